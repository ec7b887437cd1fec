/* loaders.h — one parser per historical source (see ../shared/data/README.md for each layout and
 * its quirks). A loader reads one file into a batch (batch.h) and never touches the store.
 *
 * Result: 0 when the file was read (rows that fail validation are counted in b->rejects by reason
 * and skipped); a negative APS_E_* when the file cannot be read as this source at all (unreadable,
 * malformed CSV/JSON, required columns missing, a column it reads named twice), with one line in
 * err naming the file, the line when known, and the problem. On error the batch may hold partial
 * rows: the caller discards it. */
#ifndef APS_INGEST_LOADERS_H
#define APS_INGEST_LOADERS_H

#include <stddef.h>

#include "ingest/batch.h"

/* football-data.co.uk season file (E0, SP1, D1, I1, F1 → EPL, LALIGA, BUNDESLIGA, SERIEA, LIGUE1
 * from the Div column): results, pre-match 1X2 per book (phase pre), closing 1X2 (phase close),
 * over/under 2.5 (total) and Asian handicap (spread), decimal odds. */
int aps_load_football_data(const char *path, struct aps_batch *b, char *err, size_t errcap);

/* tennis-data.co.uk layout: a yearly ATP file or the deuce Grand Slam ATP/WTA exports. Sides are
 * assigned without the result (see the .c file); sport from the file (ATP/WTA columns or name). */
int aps_load_tennis_data(const char *path, struct aps_batch *b, char *err, size_t errcap);

/* sportsbookreviewsonline.com two-rows-per-game spreadsheets (NBA, NHL, MLB, NCAAB). sport is an
 * enum aps_sport, or -1 to infer it from the path (nba/nhl/mlb/ncaa in the folder or file name). */
int aps_load_sbr(const char *path, int sport, struct aps_batch *b, char *err, size_t errcap);

/* The sport an SBR file's path names (enum aps_sport), or -1: a word nba, nhl, mlb, ncaa or ncaab,
 * in any case, in the file name, else in the folder it is in. */
int aps_load_sbr_sport(const char *path);

/* The sportsbookreview NFL JSON archive (nfl_archive_10Y.json). */
int aps_load_sbr_nfl(const char *path, struct aps_batch *b, char *err, size_t errcap);

/* spreadspoke_scores.csv (needs nfl_teams.csv, and reads nfl_stadiums.csv when present, from the
 * same folder). Closing spread and total, weather. */
int aps_load_spreadspoke(const char *path, struct aps_batch *b, char *err, size_t errcap);

/* FiveThirtyEight files: nfl-elo-game/nfl_games.csv (games with scores and 538 Elo forecasts),
 * checking-our-work/<league>_games.csv and world_cup_matches_*.csv (forecasts), mirrors/nfl_elo.csv and
 * nba_elo_latest.csv (forecasts). initial_elos.csv is not a data file and is refused. */
int aps_load_fivethirtyeight(const char *path, struct aps_batch *b, char *err, size_t errcap);

/* The loaders' error line: "PATH:LINE: message", or "PATH: message" when line is 0 (the problem
 * is the file's, not a line's), written into err when err is not NULL; returns rc. */
int aps_load_error(char *err, size_t errcap, const char *path, size_t line, int rc, const char *fmt,
                   ...) __attribute__((format(printf, 6, 7)));

/* A header that names a column the loader reads twice is refused: which of the two holds the
 * values is not known, and reading either would store some rows' values from the wrong column.
 * aps_load_repeated writes the error line for the column name found at indexes a and b (0-based)
 * and returns APS_E_PARSE. aps_load_check_columns does so for the first of the columns cols
 * (header indexes, -1 for a column the file lacks) whose name another column has too, and
 * returns 0 when none has. Unnamed columns (SBR's prices after a line) never count. */
int aps_load_repeated(char *err, size_t errcap, const char *path, const char *name, int a, int b);
int aps_load_check_columns(char **header, size_t n, const int *cols, size_t ncols, const char *path,
                           char *err, size_t errcap);

#endif
