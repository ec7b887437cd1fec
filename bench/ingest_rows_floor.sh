#!/usr/bin/env bash
# bench/ingest_rows_floor.sh — the second floor of bench/ingest: the rows `aps ingest all` stored
# (every game, odds row and closing line of a finished SQLite store), written out as CSV and loaded
# back by the databases' own bulk loaders into tables of the same typed columns with no key or
# index. The issue's floor loads the source CSVs (one line of a sportsbookreview file holds a
# game's lines at several books, so it becomes about ten odds rows here); this one loads what the
# store holds, so the ratio to it is the cost of our parsing, resolving, checking and indexing over
# the cheapest way to put the same rows in the same database.
#
#   bench/ingest_rows_floor.sh STORE.db OUT_DIR
#
# OUT_DIR/rows.sqlite  for `sqlite3 DB < rows.sqlite`
# OUT_DIR/rows.psql    for `psql URL -f rows.psql`
# Prints the number of rows written (games, odds, closing lines).
set -euo pipefail
store=$1 out=$2
mkdir -p "$out"
games_cols="sport_id,season_id,game_date,game_no,home_team_id,away_team_id,start_time,time_known,neutral,playoff,status,home_score,away_score,venue_id,external_id,created_at,updated_at"
odds_cols="game_id,book_id,market,selection,phase,recorded_at,line,price"
closing_cols="game_id,book_id,market,selection,line,price,closed_at,source"
sqlite3 -csv "$store" "SELECT $games_cols FROM games" > "$out/games.csv"
sqlite3 -csv "$store" "SELECT $odds_cols FROM odds" > "$out/odds.csv"
sqlite3 -csv "$store" "SELECT $closing_cols FROM closing_lines" > "$out/closing_lines.csv"
ddl="CREATE TABLE games (sport_id BIGINT, season_id BIGINT, game_date TEXT, game_no INTEGER,
  home_team_id BIGINT, away_team_id BIGINT, start_time BIGINT, time_known INTEGER,
  neutral INTEGER, playoff INTEGER, status TEXT, home_score INTEGER, away_score INTEGER,
  venue_id BIGINT, external_id TEXT, created_at BIGINT, updated_at BIGINT);
CREATE TABLE odds (game_id BIGINT, book_id BIGINT, market TEXT, selection TEXT, phase TEXT,
  recorded_at BIGINT, line DOUBLE PRECISION, price DOUBLE PRECISION);
CREATE TABLE closing_lines (game_id BIGINT, book_id BIGINT, market TEXT, selection TEXT,
  line DOUBLE PRECISION, price DOUBLE PRECISION, closed_at BIGINT, source TEXT);"
{
  echo ".bail on"
  echo "$ddl"
  echo ".mode csv"
  for t in games odds closing_lines; do echo ".import '$out/$t.csv' $t"; done
} > "$out/rows.sqlite"
{
  echo "\\set ON_ERROR_STOP on"
  echo "$ddl"
  for t in games odds closing_lines; do echo "\\copy $t FROM '$out/$t.csv' (FORMAT csv)"; done
} > "$out/rows.psql"
echo "$(wc -l < "$out/games.csv") $(wc -l < "$out/odds.csv") $(wc -l < "$out/closing_lines.csv")"
