/* writer.c — stores a batch in one transaction (see writer.h).
 *
 * Steps, all inside one transaction:
 *   0. for a tennis tour, merge the stored rows of one player (tennis_players.h), and for NCAAB
 *      those of one team (teams_ncaab.def), so that the batch's spellings find their stored
 *      games on the one row they now resolve to;
 *   1. resolve every game's teams, season and venue to ids (creating them when new);
 *   2. match each game against the sport's stored games, in either home/away order, so a game
 *      listed by two sources is one row; drop duplicates inside the batch;
 *   3. stage games, then upsert them by natural key and read their ids back;
 *   4. stage odds (deduplicated), upsert them and derive closing lines from phase "close";
 *   5. stage forecasts matched to games, upsert them;
 *   6. record the run in ingest_runs.
 * The caches (ids of sports, teams, seasons, books, venues) are only trusted after a commit: a
 * rollback clears them. */
#include "ingest/writer.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistr.h>

#include "core/buf.h"
#include "core/log.h"
#include "core/mem.h"
#include "core/numfmt.h"
#include "core/str.h"
#include "core/strmap.h"
#include "core/timeutil.h"
#include "ingest/dims.h"
#include "ingest/tennis_players.h"
#include "store/store.h"

struct aps_writer {
    struct aps_conn *conn;
    struct aps_dims *dims;
    int64_t sport_ids[APS_SPORT__COUNT]; /* every sport's row, written when the writer opens */
    size_t dims_analyzed; /* aps_dims_written() when teams, seasons and venues were analyzed */
    unsigned staged;      /* STAGE_* tables that hold rows of the last committed batch */
    unsigned filling;     /* STAGE_* tables the batch being written has put rows in */
};

/* The staging tables, as bits of aps_writer.staged and .filling. */
enum { STAGE_GAMES = 1, STAGE_ODDS = 2, STAGE_FORECASTS = 4 };
static const char *const STAGE_NAMES[] = {"stage_games", "stage_odds", "stage_forecasts"};

/* Per-game working state for one batch. */
struct game_work {
    int64_t home_id, away_id, season_id, venue_id;
    int64_t game_id;  /* after the upsert */
    bool dropped;
    bool swapped;     /* stored with home and away the other way round */
};

static const char SQL_STAGE[] =
    "CREATE TEMP TABLE IF NOT EXISTS stage_games (idx BIGINT, sport_id BIGINT, season_id BIGINT,"
    " game_date TEXT, game_no INTEGER, home_team_id BIGINT, away_team_id BIGINT,"
    " start_time BIGINT, time_known INTEGER, neutral INTEGER, playoff INTEGER, status TEXT,"
    " home_score INTEGER, away_score INTEGER, venue_id BIGINT, source TEXT, extra TEXT);"
    "CREATE TEMP TABLE IF NOT EXISTS stage_odds (game_id BIGINT, book_id BIGINT, market TEXT,"
    " selection TEXT, phase TEXT, recorded_at BIGINT, line DOUBLE PRECISION,"
    " price DOUBLE PRECISION, closed_at BIGINT);"
    "CREATE TEMP TABLE IF NOT EXISTS stage_forecasts (model TEXT, sport_id BIGINT,"
    " game_date TEXT, team1_id BIGINT, team2_id BIGINT, game_no INTEGER, game_id BIGINT,"
    " season TEXT, team1_home INTEGER, neutral INTEGER, prob1 DOUBLE PRECISION,"
    " prob2 DOUBLE PRECISION, prob_tie DOUBLE PRECISION, result1 DOUBLE PRECISION);";

/* PostgreSQL, for the batch's transaction: random index reads priced near sequential ones. The
 * rows a batch reads are the ones the run has just written, in shared buffers, so the default
 * (a disk seek per index read) is wrong here; with it the foreign-key checks of games against
 * seasons (a few hundred rows) run a sequential scan of the table per game row. SET LOCAL ends
 * with the transaction, and the checks' plans are made inside one. */
static const char SQL_PLANNER_PG[] = "SET LOCAL random_page_cost = 1.1";

static const char SQL_UPSERT_GAMES[] =
    "INSERT INTO games (sport_id, season_id, game_date, game_no, home_team_id, away_team_id,"
    " start_time, time_known, neutral, playoff, status, home_score, away_score, venue_id,"
    " created_at, updated_at)"
    " SELECT sport_id, season_id, game_date, game_no, home_team_id, away_team_id, start_time,"
    " time_known, neutral, playoff, status, home_score, away_score, venue_id, ?1, ?1"
    " FROM stage_games WHERE true"
    " ON CONFLICT (sport_id, game_date, home_team_id, away_team_id, game_no) DO UPDATE SET"
    " start_time = CASE WHEN excluded.time_known = 1 OR games.time_known = 0"
    "   THEN excluded.start_time ELSE games.start_time END,"
    " time_known = CASE WHEN excluded.time_known = 1 THEN 1 ELSE games.time_known END,"
    " neutral = CASE WHEN excluded.neutral = 1 THEN 1 ELSE games.neutral END,"
    " playoff = CASE WHEN excluded.playoff = 1 THEN 1 ELSE games.playoff END,"
    " status = CASE WHEN excluded.status = 'scheduled' THEN games.status"
    "   ELSE excluded.status END,"
    " home_score = COALESCE(excluded.home_score, games.home_score),"
    " away_score = COALESCE(excluded.away_score, games.away_score),"
    " venue_id = COALESCE(excluded.venue_id, games.venue_id),"
    " updated_at = excluded.updated_at";

static const char SQL_GAME_IDS[] =
    "SELECT s.idx, g.id FROM stage_games s JOIN games g ON g.sport_id = s.sport_id"
    " AND g.game_date = s.game_date AND g.home_team_id = s.home_team_id"
    " AND g.away_team_id = s.away_team_id AND g.game_no = s.game_no";

static const char SQL_GAME_SOURCES[] =
    "INSERT INTO game_sources (game_id, source, extra)"
    " SELECT g.id, s.source, s.extra FROM stage_games s JOIN games g ON g.sport_id = s.sport_id"
    " AND g.game_date = s.game_date AND g.home_team_id = s.home_team_id"
    " AND g.away_team_id = s.away_team_id AND g.game_no = s.game_no WHERE true"
    " ON CONFLICT (game_id, source) DO UPDATE SET extra = excluded.extra";

#define ODDS_COLS "game_id, book_id, market, selection, phase, recorded_at, line, price"
#define CLOSING_COLS "game_id, book_id, market, selection, line, price, closed_at, source"

static const char SQL_UPSERT_ODDS[] =
    "INSERT INTO odds (" ODDS_COLS ") SELECT " ODDS_COLS " FROM stage_odds WHERE true"
    " ON CONFLICT (game_id, book_id, market, selection, phase, recorded_at) DO UPDATE SET"
    " line = excluded.line, price = excluded.price"
    " WHERE odds.line IS DISTINCT FROM excluded.line OR odds.price <> excluded.price";

static const char SQL_UPSERT_CLOSING[] =
    "INSERT INTO closing_lines (" CLOSING_COLS ")"
    " SELECT game_id, book_id, market, selection, line, price, closed_at, ?1"
    " FROM stage_odds WHERE phase = 'close'"
    " ON CONFLICT (game_id, book_id, market, selection) DO UPDATE SET line = excluded.line,"
    " price = excluded.price, closed_at = excluded.closed_at, source = excluded.source";

static const char SQL_UPSERT_FORECASTS[] =
    "INSERT INTO forecasts (model, sport_id, game_date, team1_id, team2_id, game_no, game_id,"
    " season, team1_home, neutral, prob1, prob2, prob_tie, result1)"
    " SELECT model, sport_id, game_date, team1_id, team2_id, game_no, game_id, season,"
    " team1_home, neutral, prob1, prob2, prob_tie, result1 FROM stage_forecasts WHERE true"
    " ON CONFLICT (model, sport_id, game_date, team1_id, team2_id, game_no) DO UPDATE SET"
    " game_id = excluded.game_id, season = excluded.season, team1_home = excluded.team1_home,"
    " neutral = excluded.neutral, prob1 = excluded.prob1, prob2 = excluded.prob2,"
    " prob_tie = excluded.prob_tie, result1 = excluded.result1";

/* Empties the staging tables the last committed batch filled (most batches fill only
 * stage_games, and each TRUNCATE costs the server a few milliseconds): TRUNCATE on PostgreSQL
 * (DELETE leaves dead rows that later scans of the temporary tables must skip); SQLite has no
 * TRUNCATE and turns a DELETE without WHERE into one. Inside the batch's transaction, so a
 * rollback leaves the tables, and aps_writer.staged, as they were. */
static int empty_stage(struct aps_writer *w)
{
    if (!w->staged)
        return 0;
    bool pg = aps_conn_kind(w->conn) == APS_DB_POSTGRES;
    char sql[128];
    size_t len = 0;
    for (size_t i = 0; i < sizeof STAGE_NAMES / sizeof *STAGE_NAMES; i++) {
        if (!(w->staged & (1u << i)))
            continue;
        int n = pg ? snprintf(sql + len, sizeof sql - len, "%s%s", len ? ", " : "TRUNCATE ",
                              STAGE_NAMES[i])
                   : snprintf(sql + len, sizeof sql - len, "DELETE FROM %s;", STAGE_NAMES[i]);
        if (n < 0 || (size_t)n >= sizeof sql - len)
            return APS_E_RANGE;
        len += (size_t)n;
    }
    return aps_conn_exec(w->conn, sql);
}

static int fail(struct aps_writer *w, int rc, char *err, size_t errcap, const char *what)
{
    snprintf(err, errcap, "%s: %s", what, aps_conn_errmsg(w->conn));
    return rc ? rc : APS_E_DB;
}

/* Makes sure every sport of the compiled table has its row, and keeps the ids. */
static int sync_sports(struct aps_writer *w)
{
    int rc = 0;
    for (int s = 0; s < APS_SPORT__COUNT && !rc; s++)
        rc = aps_dims_sport(w->dims, (enum aps_sport)s, &w->sport_ids[s]);
    return rc;
}

int aps_writer_open(struct aps_writer **out, struct aps_conn *conn, char *err, size_t errcap)
{
    struct aps_writer *w = aps_calloc(1, sizeof *w);
    w->conn = conn;
    int rc = aps_dims_open(&w->dims, conn);
    if (!rc) {
        rc = aps_conn_begin(conn);
        if (!rc)
            rc = sync_sports(w);
        if (!rc)
            rc = aps_conn_exec(conn, SQL_STAGE);
        if (!rc)
            rc = aps_conn_commit(conn);
        else
            aps_conn_rollback(conn);
    }
    if (rc) {
        snprintf(err, errcap, "cannot prepare the writer: %s", aps_conn_errmsg(conn));
        aps_writer_close(w);
        *out = NULL;
        return rc;
    }
    *out = w;
    return 0;
}

void aps_writer_close(struct aps_writer *w)
{
    if (!w)
        return;
    aps_dims_close(w->dims);
    aps_free(w);
}

static int64_t sport_id(const struct aps_writer *w, enum aps_sport s)
{
    return w->sport_ids[s];
}

/* Team id for a source name: APS_E_NOTFOUND when the name is unknown in a curated sport. */
static int team_id(struct aps_writer *w, enum aps_sport s, const char *source, const char *name,
                   int64_t *id)
{
    return aps_dims_team(w->dims, s, source, name, id);
}

/* Appends len bytes of s to out (n bytes used of cap), cutting at cap - 1 as snprintf would. */
static void key_put(char *out, size_t cap, size_t *n, const char *s, size_t len)
{
    if (*n + len >= cap)
        len = *n < cap ? cap - 1 - *n : 0;
    memcpy(out + *n, s, len);
    *n += len;
    out[*n] = '\0';
}

/* Appends '|' and v. */
static void key_put_i64(char *out, size_t cap, size_t *n, int64_t v)
{
    char t[APS_FMT_CAP + 1];
    t[0] = '|';
    key_put(out, cap, n, t, aps_fmt_i64(t + 1, v) + 1);
}

/* "date|home|away|no", built without printf: the stored games of a sport are keyed this way
 * for every file. */
static void game_key(char *out, size_t cap, const char *date, int64_t home, int64_t away, int no)
{
    size_t n = 0;
    if (!cap)
        return;
    out[0] = '\0';
    key_put(out, cap, &n, date, strlen(date));
    key_put_i64(out, cap, &n, home);
    key_put_i64(out, cap, &n, away);
    key_put_i64(out, cap, &n, no);
}

/* Loads the stored games of a sport into map: key → id·2 + 1 when a source other than `source`
 * lists the game, id·2 when only `source` itself does. The other sources are counted by a
 * scalar subquery, which both backends run as a probe of game_sources' key per game: PostgreSQL
 * turns the same test written as EXISTS into a hash of every game_sources row of every sport,
 * built again for each file, several times the cost for a sport with few games. */
static int load_games(struct aps_writer *w, enum aps_sport s, const char *source,
                      struct aps_strmap *map)
{
    struct aps_stmt *st = NULL;
    int rc = aps_conn_preparef(w->conn, &st,
                               "SELECT g.game_date, g.home_team_id, g.away_team_id, g.game_no,"
                               " g.id, (SELECT COUNT(*) FROM game_sources gs"
                               " WHERE gs.game_id = g.id AND gs.source <> ?2)"
                               " FROM games g WHERE g.sport_id = ?1",
                               "is", sport_id(w, s), source);
    while (!rc && (rc = aps_stmt_step(st)) == APS_ROW) {
        char key[96];
        game_key(key, sizeof key, aps_stmt_text(st, 0), aps_stmt_int64(st, 1),
                 aps_stmt_int64(st, 2), (int)aps_stmt_int64(st, 3));
        aps_strmap_put(map, key, aps_stmt_int64(st, 4) * 2 + (aps_stmt_int64(st, 5) != 0));
        rc = 0;
    }
    aps_stmt_finalize(st);
    return rc < 0 ? rc : 0;
}

/* Per sport: the stored games, loaded once per batch. */
struct sport_games {
    bool loaded[APS_SPORT__COUNT];
    struct aps_strmap map[APS_SPORT__COUNT];
};

static int stored_games(struct aps_writer *w, struct sport_games *sg, enum aps_sport s,
                        const char *source, struct aps_strmap **out)
{
    if (!sg->loaded[s]) {
        int rc = load_games(w, s, source, &sg->map[s]);
        if (rc)
            return rc;
        sg->loaded[s] = true;
    }
    *out = &sg->map[s];
    return 0;
}

static void sport_games_cleanup(struct sport_games *sg)
{
    for (int s = 0; s < APS_SPORT__COUNT; s++)
        aps_strmap_cleanup(&sg->map[s]);
}

/* Counts n rejects for reason; line is the file's line of the first of them (0: not known), and
 * the reason keeps the earliest line it was given. */
static void add_reason(struct aps_ingest_result *res, const char *reason, size_t n, size_t line)
{
    if (!n)
        return;
    res->rejected += n;
    for (size_t i = 0; i < res->nreasons; i++) {
        struct aps_batch_rejects *r = &res->reasons[i];
        if (!strcmp(r->reason, reason)) {
            r->count += n;
            if (line && (!r->line || line < r->line))
                r->line = line;
            return;
        }
    }
    if (res->nreasons < APS_MAX_REASONS) {
        struct aps_batch_rejects *r = &res->reasons[res->nreasons++];
        (void)aps_str_copy(r->reason, APS_REASON_MAX, reason);
        r->count = n;
        r->line = line;
    }
}

/* Follows the orientation and date of a game another source already stored:
 *  - the same date with home and away the other way round (a neutral-site game, usually);
 *  - one day off, in either orientation, when another source listed that game (sources
 *    disagree on dates: sportsbookreview lists several NFL games a day early or late). Games
 *    only this source listed are never moved, so one source's games on consecutive days (a
 *    baseball series) stay apart. The stored date wins. */
static int match_stored(const struct aps_strmap *stored, struct aps_game_rec *g,
                        struct game_work *x)
{
    char key[96];
    int64_t v;
    game_key(key, sizeof key, g->date, x->home_id, x->away_id, g->game_no);
    if (aps_strmap_get(stored, key, &v))
        return 0;
    int y, m, d;
    if (sscanf(g->date, "%4d-%2d-%2d", &y, &m, &d) != 3 || !aps_date_valid(y, m, d))
        return APS_E_PARSE;
    int64_t day = aps_days_from_civil(y, m, d);
    static const int offsets[] = {0, -1, 1};
    for (int k = 0; k < 3; k++) {
        char date[11];
        aps_time_format_date((day + offsets[k]) * 86400, date, sizeof date);
        for (int swap = 0; swap < 2; swap++) {
            if (!k && !swap)
                continue;
            int64_t h = swap ? x->away_id : x->home_id, a = swap ? x->home_id : x->away_id;
            game_key(key, sizeof key, date, h, a, g->game_no);
            if (!aps_strmap_get(stored, key, &v) || (k && !(v & 1)))
                continue;
            if (swap) {
                x->swapped = true;
                x->home_id = h;
                x->away_id = a;
                int sc = g->home_score;
                g->home_score = g->away_score;
                g->away_score = sc;
            }
            if (k) {
                g->start_time += offsets[k] * 86400;
                (void)aps_str_copy(g->date, sizeof g->date, date);
            }
            return 0;
        }
    }
    return 0;
}

/* The batch's venue records: each venue created when new, then its coordinates and time zone. */
static int store_venues(struct aps_writer *w, const struct aps_batch *b)
{
    int rc = 0;
    for (size_t i = 0; i < b->nvenues && !rc; i++) {
        const struct aps_venue_rec *v = &b->venues[i];
        int64_t id = 0;
        rc = aps_dims_venue(w->dims, v->name, v->city, -1, &id);
        if (!rc && id)
            rc = aps_dims_venue_geo(w->dims, id, v->latitude, v->longitude, v->timezone,
                                    v->utc_offset_min);
    }
    return rc;
}

/* A team's home venue: the venue of its latest home game not at a neutral site (teams move;
 * the latest is where they play now). Only teams of the batch's games with a venue. */
static const char SQL_HOME_VENUES[] =
    "UPDATE teams SET home_venue_id = (SELECT g.venue_id FROM games g WHERE g.home_team_id ="
    " teams.id AND g.neutral = 0 AND g.venue_id IS NOT NULL ORDER BY g.start_time DESC, g.id DESC"
    " LIMIT 1) WHERE id IN (SELECT home_team_id FROM stage_games WHERE venue_id IS NOT NULL)";

/* Step 0: the batch's tennis tours and NCAAB (whose list names other spellings), each once. */
static int merge_players(struct aps_writer *w, const struct aps_batch *b,
                         struct aps_ingest_result *res)
{
    bool done[APS_SPORT__COUNT] = {0};
    int rc = 0;
    for (size_t i = 0; i < b->ngames && !rc; i++) {
        enum aps_sport s = b->games[i].sport;
        if (done[s] || (aps_sport_info(s)->kind != APS_KIND_TENNIS && s != APS_SPORT_NCAAB))
            continue;
        done[s] = true;
        struct aps_tennis_merge m;
        rc = aps_tennis_players_merge(w->conn, s, sport_id(w, s), &m);
        if (rc)
            break;
        res->players_merged += m.merged;
        size_t n = strlen(res->players_apart);
        if (m.apart[0])
            snprintf(res->players_apart + n, sizeof res->players_apart - n, "%s%s", n ? "; " : "",
                     m.apart);
        if (m.merged)
            aps_dims_forget(w->dims); /* cached ids of the rows that went */
    }
    return rc;
}

/* Step 1 and 2: ids for every game, matching against stored games and the batch itself. */
static int resolve_games(struct aps_writer *w, struct aps_batch *b, struct game_work *gw,
                         struct sport_games *sg, struct aps_ingest_result *res)
{
    struct aps_strmap seen = {0};
    int rc = 0;
    for (size_t i = 0; i < b->ngames && !rc; i++) {
        struct aps_game_rec *g = &b->games[i];
        struct game_work *x = &gw[i];
        if (u8_check((const uint8_t *)g->home, strlen(g->home)) ||
            u8_check((const uint8_t *)g->away, strlen(g->away))) {
            x->dropped = true; /* stored, it would break every JSON answer that names it */
            add_reason(res, "team name not UTF-8", 1, g->line);
            continue;
        }
        int r1 = team_id(w, g->sport, b->source, g->home, &x->home_id);
        int r2 = r1 ? r1 : team_id(w, g->sport, b->source, g->away, &x->away_id);
        if (r1 == APS_E_NOTFOUND || r2 == APS_E_NOTFOUND || r1 == APS_E_INVAL ||
            r2 == APS_E_INVAL) {
            x->dropped = true;
            add_reason(res, "unknown team", 1, g->line);
            continue;
        }
        if (r1 || r2) {
            rc = r1 ? r1 : r2;
            break;
        }
        if (x->home_id == x->away_id) {
            x->dropped = true;
            add_reason(res, "same team twice", 1, g->line);
            continue;
        }
        rc = aps_dims_season(w->dims, g->sport, g->season, &x->season_id);
        if (!rc)
            rc = aps_dims_venue(w->dims, g->venue, NULL, -1, &x->venue_id);
        struct aps_strmap *stored = NULL;
        if (!rc)
            rc = stored_games(w, sg, g->sport, b->source, &stored);
        if (rc)
            break;
        char key[96], swapped[96];
        rc = match_stored(stored, g, x);
        if (rc)
            break;
        game_key(key, sizeof key, g->date, x->home_id, x->away_id, g->game_no);
        game_key(swapped, sizeof swapped, g->date, x->away_id, x->home_id, g->game_no);
        int64_t id;
        char skey[100], sswap[100];
        rc = aps_str_fmt(skey, sizeof skey, "%d|%s", (int)g->sport, key);
        if (!rc)
            rc = aps_str_fmt(sswap, sizeof sswap, "%d|%s", (int)g->sport, swapped);
        if (rc)
            break;
        if (aps_strmap_get(&seen, skey, &id) || aps_strmap_get(&seen, sswap, &id)) {
            x->dropped = true;
            add_reason(res, "duplicate game", 1, g->line);
            continue;
        }
        aps_strmap_put(&seen, skey, (int64_t)i);
    }
    aps_strmap_cleanup(&seen);
    return rc;
}

/* Step 3: stage the games, upsert them and read their ids. */
static int store_games(struct aps_writer *w, struct aps_batch *b, struct game_work *gw,
                       struct aps_ingest_result *res)
{
    static const char *cols[] = {"idx", "sport_id", "season_id", "game_date", "game_no",
                                 "home_team_id", "away_team_id", "start_time", "time_known",
                                 "neutral", "playoff", "status", "home_score", "away_score",
                                 "venue_id", "source", "extra"};
    struct aps_copy *cp = NULL;
    int rc = aps_conn_copy_begin(w->conn, "stage_games", cols, 17, &cp);
    if (rc)
        return rc;
    w->filling |= STAGE_GAMES;
    for (size_t i = 0; i < b->ngames && !rc; i++) {
        if (gw[i].dropped)
            continue;
        struct aps_game_rec *g = &b->games[i];
        const struct aps_arg row[17] = {
            APS_ARG_I64((int64_t)i), APS_ARG_I64(sport_id(w, g->sport)),
            APS_ARG_I64(gw[i].season_id), APS_ARG_TXT(g->date), APS_ARG_I64(g->game_no),
            APS_ARG_I64(gw[i].home_id), APS_ARG_I64(gw[i].away_id), APS_ARG_I64(g->start_time),
            APS_ARG_I64(g->time_known), APS_ARG_I64(g->neutral), APS_ARG_I64(g->playoff),
            APS_ARG_TXT(aps_status_name(g->status)),
            g->home_score >= 0 ? APS_ARG_I64(g->home_score) : APS_ARG_NONE,
            g->away_score >= 0 ? APS_ARG_I64(g->away_score) : APS_ARG_NONE,
            gw[i].venue_id ? APS_ARG_I64(gw[i].venue_id) : APS_ARG_NONE, APS_ARG_TXT(b->source),
            APS_ARG_TXT(g->extra[0] ? g->extra : NULL)};
        rc = aps_copy_row_args(cp, row);
        res->games++;
    }
    int rc2 = aps_copy_end(cp);
    if (rc || rc2)
        return rc ? rc : rc2;

    rc = aps_conn_exec(w->conn, "ANALYZE stage_games");
    if (rc)
        return rc;
    rc = aps_conn_execf(w->conn, SQL_UPSERT_GAMES, "i", aps_time_now());
    if (!rc)
        rc = aps_conn_exec(w->conn, SQL_GAME_SOURCES);
    struct aps_stmt *st = NULL;
    if (!rc)
        rc = aps_conn_prepare(w->conn, SQL_GAME_IDS, &st);
    while (!rc && (rc = aps_stmt_step(st)) == APS_ROW) {
        int64_t idx = aps_stmt_int64(st, 0);
        if (idx >= 0 && (size_t)idx < b->ngames)
            gw[idx].game_id = aps_stmt_int64(st, 1);
        rc = 0;
    }
    aps_stmt_finalize(st);
    return rc < 0 ? rc : 0;
}

static int cmp_odds(const void *a, const void *b, void *ctx)
{
    const struct aps_batch *batch = ctx;
    const struct aps_odds_rec *x = &batch->odds[*(const size_t *)a];
    const struct aps_odds_rec *y = &batch->odds[*(const size_t *)b];
    if (x->game != y->game)
        return x->game < y->game ? -1 : 1;
    int c = strcmp(x->book, y->book);
    if (c)
        return c;
    if (x->market != y->market)
        return (int)x->market - (int)y->market;
    if (x->sel != y->sel)
        return (int)x->sel - (int)y->sel;
    if (x->phase != y->phase)
        return (int)x->phase - (int)y->phase;
    size_t ia = *(const size_t *)a, ib = *(const size_t *)b;
    return ia < ib ? -1 : ia > ib;
}

static bool same_odds_key(const struct aps_odds_rec *x, const struct aps_odds_rec *y)
{
    return x->game == y->game && !strcmp(x->book, y->book) && x->market == y->market &&
           x->sel == y->sel && x->phase == y->phase;
}

static enum aps_selection swap_side(enum aps_selection s)
{
    return s == APS_SEL_HOME ? APS_SEL_AWAY : s == APS_SEL_AWAY ? APS_SEL_HOME : s;
}

/* Step 4's rows: the odds kept after deduplication, in the order they are stored. */
struct odds_rows {
    const struct aps_batch *b;
    const struct game_work *gw;
    size_t *order;  /* indices into b->odds, sorted */
    int64_t *bids;  /* book id of each b->odds entry */
    size_t *keep;   /* positions in order that are stored */
    size_t n;
};

/* Where a pass of copy_odds() writes: the staging table, or the odds or closing_lines tables
 * themselves (the closing lines: rows of phase "close" only). */
enum odds_target { TO_STAGE, TO_ODDS, TO_CLOSING };

/* One COPY pass over the kept rows into target. */
static int copy_odds(struct aps_writer *w, const struct odds_rows *r, enum odds_target t)
{
    static const char *stage_cols[] = {"game_id", "book_id", "market", "selection", "phase",
                                       "recorded_at", "line", "price", "closed_at"};
    static const char *closing_cols[] = {"game_id", "book_id", "market", "selection",
                                         "line", "price", "closed_at", "source"};
    static const char *const tables[] = {"stage_odds", "odds", "closing_lines"};
    struct aps_copy *cp = NULL;
    int rc = aps_conn_copy_begin(w->conn, tables[t], t == TO_CLOSING ? closing_cols : stage_cols,
                                 t == TO_ODDS ? 8 : 9 - (t == TO_CLOSING), &cp);
    if (t == TO_STAGE)
        w->filling |= STAGE_ODDS;
    for (size_t i = 0; i < r->n && !rc; i++) {
        size_t at = r->order[r->keep[i]];
        const struct aps_odds_rec *o = &r->b->odds[at];
        if (t == TO_CLOSING && o->phase != APS_PHASE_CLOSE)
            continue;
        const struct game_work *g = &r->gw[o->game];
        enum aps_selection sel = g->swapped ? swap_side(o->sel) : o->sel;
        struct aps_arg gid = APS_ARG_I64(g->game_id), bk = APS_ARG_I64(r->bids[at]);
        struct aps_arg mk = APS_ARG_TXT(aps_market_name(o->market));
        struct aps_arg side = APS_ARG_TXT(aps_selection_name(sel));
        struct aps_arg ln = APS_ARG_DBL(o->line), pr = APS_ARG_DBL(o->price);
        struct aps_arg closed = APS_ARG_I64(r->b->games[o->game].start_time);
        const struct aps_arg stage[9] = {
            gid, bk, mk, side, APS_ARG_TXT(aps_phase_name(o->phase)), APS_ARG_I64(0), ln, pr,
            closed};
        const struct aps_arg closing[8] = {gid, bk, mk, side, ln, pr, closed,
                                           APS_ARG_TXT(r->b->source)};
        rc = aps_copy_row_args(cp, t == TO_CLOSING ? closing : stage);
    }
    if (cp) {
        int rc2 = aps_copy_end(cp);
        if (!rc)
            rc = rc2;
    }
    return rc;
}

/* True (1) when no game of the batch has a stored odds row or closing line: then none of the
 * kept rows can meet a stored key (they are unique among themselves), and the upserts would
 * insert every row, in order, exactly as plain copies into the tables do. */
static int batch_fresh(struct aps_writer *w)
{
    int64_t n = 0;
    int rc = aps_conn_query_row(
        w->conn,
        "SELECT COUNT(*) FROM stage_games s JOIN games g ON g.sport_id = s.sport_id"
        " AND g.game_date = s.game_date AND g.home_team_id = s.home_team_id"
        " AND g.away_team_id = s.away_team_id AND g.game_no = s.game_no"
        " WHERE EXISTS (SELECT 1 FROM odds o WHERE o.game_id = g.id)"
        " OR EXISTS (SELECT 1 FROM closing_lines c WHERE c.game_id = g.id)",
        "i", &n, "");
    return rc ? rc : n == 0;
}

/* The kept rows straight into odds and closing_lines, inside a savepoint: a key another
 * transaction stored meanwhile (APS_E_EXISTS) undoes them, and the caller upserts instead. */
static int copy_direct(struct aps_writer *w, const struct odds_rows *r)
{
    int rc = aps_conn_exec(w->conn, "SAVEPOINT odds_direct");
    if (rc)
        return rc;
    rc = copy_odds(w, r, TO_ODDS);
    if (!rc)
        rc = copy_odds(w, r, TO_CLOSING);
    if (rc == APS_E_EXISTS)
        return aps_conn_exec(w->conn, "ROLLBACK TO SAVEPOINT odds_direct") ? APS_E_DB
                                                                            : APS_E_EXISTS;
    return rc ? rc : aps_conn_exec(w->conn, "RELEASE SAVEPOINT odds_direct");
}

/* The kept rows through the staging table: upserted by their keys, closing lines derived. */
static int copy_staged(struct aps_writer *w, const struct odds_rows *r, const char *source)
{
    int rc = copy_odds(w, r, TO_STAGE);
    /* No ANALYZE of the staged odds: both statements below scan the whole table, so no plan
     * depends on its statistics (stage_games is analyzed, for the joins with games). */
    if (!rc)
        rc = aps_conn_exec(w->conn, SQL_UPSERT_ODDS);
    return rc ? rc : aps_conn_execf(w->conn, SQL_UPSERT_CLOSING, "s", source);
}

/* Step 4: odds (the last of duplicates wins), upserted, and the closing lines derived from them;
 * on PostgreSQL a batch of games without stored odds copies its rows into the tables directly. */
static int store_odds(struct aps_writer *w, struct aps_batch *b, struct game_work *gw,
                      struct aps_ingest_result *res)
{
    if (!b->nodds)
        return 0;
    struct odds_rows r = {.b = b, .gw = gw};
    r.order = aps_malloc(sizeof *r.order * b->nodds);
    for (size_t i = 0; i < b->nodds; i++)
        r.order[i] = i;
    qsort_r(r.order, b->nodds, sizeof *r.order, cmp_odds, b);
    r.keep = aps_malloc(sizeof *r.keep * b->nodds);
    for (size_t k = 0; k < b->nodds; k++) {
        const struct aps_odds_rec *o = &b->odds[r.order[k]];
        if (k + 1 < b->nodds && same_odds_key(o, &b->odds[r.order[k + 1]]))
            continue; /* a later record of the same key follows */
        if (o->game >= b->ngames || gw[o->game].dropped || !gw[o->game].game_id)
            continue;
        r.keep[r.n++] = k;
    }
    res->odds += r.n;

    /* Book ids first: no other statement may run while a COPY is open on PostgreSQL. */
    r.bids = aps_malloc(sizeof *r.bids * b->nodds);
    int rc = 0;
    for (size_t k = 0; k < b->nodds && !rc; k++)
        rc = aps_dims_book(w->dims, b->odds[k].book, NULL, &r.bids[k]);
    /* The direct copies on PostgreSQL only: SQLite's copy is one INSERT statement per row, and
     * a statement per row into odds costs more than one into the in-memory staging table plus
     * one INSERT … SELECT (whose conflict clause costs nothing measurable there). */
    int fresh = rc ? rc : aps_conn_kind(w->conn) == APS_DB_POSTGRES ? batch_fresh(w) : 0;
    rc = fresh < 0 ? fresh : fresh ? copy_direct(w, &r) : APS_E_EXISTS;
    if (rc == APS_E_EXISTS)
        rc = copy_staged(w, &r, b->source);
    aps_free(r.order);
    aps_free(r.keep);
    aps_free(r.bids);
    return rc;
}

/* Step 5: forecasts, matched to stored games in either orientation. Teams and games are
 * resolved before the COPY opens (no other statement may run during it on PostgreSQL). */
struct fc_work {
    int64_t t1, t2, game_id;
    bool keep, team1_home;
};

/* 1 when the stored game id's winner is the forecast's (team1 won when result1 is 1), 0 when it
 * is not or the game has no winner. */
static int winner_agrees(struct aps_writer *w, int64_t id, int64_t t1, double result1, int *agrees)
{
    int64_t home = 0, hs = -1, as = -1;
    *agrees = 0;
    int rc = aps_conn_query_row(w->conn,
                                "SELECT home_team_id, COALESCE(home_score, -1),"
                                " COALESCE(away_score, -1) FROM games WHERE id = ?1",
                                "iii", &home, &hs, &as, "i", id);
    if (rc || hs < 0 || as < 0 || hs == as)
        return rc;
    bool team1_won = home == t1 ? hs > as : as > hs;
    *agrees = team1_won == (result1 == 1.0);
    return 0;
}

/* The forecast's game: the stored meeting of its teams on its date numbered game_no, team1 at
 * home first, else the other way round. On a day the two met more than once the game whose
 * winner agrees with the forecast's result is it, whatever its number: 538 numbers some
 * doubleheaders the other way round and marks none where the teams swapped home (SD - SF on
 * 2020-09-25, one game at each park), so the number alone put forecasts on the other game, or
 * two on one; among the games that agree, or when the result does not tell, the one with team1
 * at home, then the one numbered game_no. */
static int forecast_game(struct aps_writer *w, struct aps_strmap *stored,
                         const struct aps_forecast_rec *f, int game_no, struct fc_work *x)
{
    int64_t ids[6];
    int rank[6], n = 0, best = -1;
    for (int no = 1; no <= 3; no++)
        for (int away = 0; away < 2; away++) {
            char gk[96];
            int64_t v;
            game_key(gk, sizeof gk, f->date, away ? x->t2 : x->t1, away ? x->t1 : x->t2, no);
            if (!aps_strmap_get(stored, gk, &v))
                continue;
            ids[n] = v / 2;
            rank[n++] = !away * 2 + (no == game_no);
        }
    bool told = n > 1 && (f->result1 == 0.0 || f->result1 == 1.0);
    for (int i = 0; i < n; i++) {
        int agrees = 0;
        int rc = told ? winner_agrees(w, ids[i], x->t1, f->result1, &agrees) : 0;
        if (rc)
            return rc;
        rank[i] += agrees * 4;
        bool eligible = n > 1 || rank[i] % 2; /* one game: only under its own number */
        if (eligible && (best < 0 || rank[i] > rank[best]))
            best = i;
    }
    if (best >= 0) {
        x->game_id = ids[best];
        x->team1_home = rank[best] & 2;
    }
    return 0;
}

static int resolve_forecasts(struct aps_writer *w, struct aps_batch *b, struct sport_games *sg,
                             struct fc_work *fw, struct aps_ingest_result *res)
{
    struct aps_strmap seen = {0};
    int rc = 0;
    for (size_t i = 0; i < b->nforecasts && !rc; i++) {
        const struct aps_forecast_rec *f = &b->forecasts[i];
        struct fc_work *x = &fw[i];
        int r1 = team_id(w, f->sport, b->source, f->team1, &x->t1);
        int r2 = r1 ? r1 : team_id(w, f->sport, b->source, f->team2, &x->t2);
        if (r1 == APS_E_NOTFOUND || r2 == APS_E_NOTFOUND || r1 == APS_E_INVAL ||
            r2 == APS_E_INVAL) {
            add_reason(res, "unknown team", 1, 0);
            continue;
        }
        if (r1 || r2) {
            rc = r1 ? r1 : r2;
            break;
        }
        int game_no = f->game_no > 0 ? f->game_no : 1;
        char key[100];
        rc = aps_str_fmt(key, sizeof key, "%s|%s|%" PRId64 "|%" PRId64 "|%d", f->model, f->date,
                         x->t1, x->t2, game_no);
        if (rc)
            break;
        int64_t v;
        if (aps_strmap_get(&seen, key, &v)) {
            add_reason(res, "duplicate forecast", 1, 0);
            continue;
        }
        aps_strmap_put(&seen, key, 1);
        struct aps_strmap *stored = NULL;
        rc = stored_games(w, sg, f->sport, b->source, &stored);
        if (rc)
            break;
        x->team1_home = f->team1_home;
        rc = forecast_game(w, stored, f, game_no, x);
        x->keep = true;
    }
    aps_strmap_cleanup(&seen);
    return rc;
}

static int store_forecasts(struct aps_writer *w, struct aps_batch *b, struct sport_games *sg,
                           struct aps_ingest_result *res)
{
    if (!b->nforecasts)
        return 0;
    struct fc_work *fw = aps_calloc(b->nforecasts, sizeof *fw);
    int rc = resolve_forecasts(w, b, sg, fw, res);
    static const char *cols[] = {"model", "sport_id", "game_date", "team1_id", "team2_id",
                                 "game_no", "game_id", "season", "team1_home", "neutral",
                                 "prob1", "prob2", "prob_tie", "result1"};
    struct aps_copy *cp = NULL;
    if (!rc)
        rc = aps_conn_copy_begin(w->conn, "stage_forecasts", cols, 14, &cp);
    if (!rc)
        w->filling |= STAGE_FORECASTS;
    for (size_t i = 0; i < b->nforecasts && !rc; i++) {
        const struct aps_forecast_rec *f = &b->forecasts[i];
        const struct fc_work *x = &fw[i];
        if (!x->keep)
            continue;
        const struct aps_arg row[14] = {
            APS_ARG_TXT(f->model), APS_ARG_I64(sport_id(w, f->sport)), APS_ARG_TXT(f->date),
            APS_ARG_I64(x->t1), APS_ARG_I64(x->t2), APS_ARG_I64(f->game_no > 0 ? f->game_no : 1),
            x->game_id ? APS_ARG_I64(x->game_id) : APS_ARG_NONE,
            APS_ARG_TXT(f->season), APS_ARG_I64(x->team1_home), APS_ARG_I64(f->neutral),
            APS_ARG_DBL(f->prob1), APS_ARG_DBL(f->prob2), APS_ARG_DBL(f->prob_tie),
            APS_ARG_DBL(f->result1)};
        rc = aps_copy_row_args(cp, row);
        res->forecasts++;
        if (x->game_id)
            res->forecasts_matched++;
    }
    aps_free(fw);
    if (cp) {
        int rc2 = aps_copy_end(cp);
        if (!rc)
            rc = rc2;
    }
    if (!rc)
        rc = aps_conn_exec(w->conn, SQL_UPSERT_FORECASTS);
    return rc;
}

static int record_run(struct aps_writer *w, const struct aps_batch *b, const char *path,
                      int64_t started, const struct aps_ingest_result *res)
{
    struct aps_buf rj = {0};
    aps_buf_putc(&rj, '{');
    for (size_t i = 0; i < res->nreasons; i++) {
        aps_buf_printf(&rj, "%s\"", i ? "," : "");
        aps_json_escape(&rj, res->reasons[i].reason);
        aps_buf_printf(&rj, "\":{\"count\":%zu", res->reasons[i].count);
        if (res->reasons[i].line)
            aps_buf_printf(&rj, ",\"first_line\":%zu", res->reasons[i].line);
        aps_buf_putc(&rj, '}');
    }
    aps_buf_putc(&rj, '}');
    int rc = aps_conn_execf(w->conn,
                            "INSERT INTO ingest_runs (source, path, started_at, finished_at,"
                            " rows_read, games, odds, forecasts, rejected, rejects)"
                            " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
                            "ssiiiiiiis", b->source, path, started, aps_time_now(),
                            (int64_t)b->rows, (int64_t)res->games, (int64_t)res->odds,
                            (int64_t)res->forecasts, (int64_t)res->rejected, aps_buf_str(&rj));
    aps_buf_cleanup(&rj);
    return rc;
}

/* PostgreSQL: ANALYZE teams, seasons and venues when rows were written to them since the last
 * time. The foreign-key checks of the games upsert run cached plans made from those tables'
 * statistics; without fresh ones a plan made while a table was nearly empty (a sequential scan)
 * stays in use for the whole run while the table grows, and the checks cost ten times more.
 * ANALYZE invalidates the plans. It runs before a batch's transaction, not after the previous
 * one's commit, so that a failure here is reported for a file of which nothing was stored. */
static int analyze_dims(struct aps_writer *w)
{
    size_t n = aps_dims_written(w->dims);
    if (aps_conn_kind(w->conn) != APS_DB_POSTGRES || n == w->dims_analyzed)
        return 0;
    int rc = aps_conn_exec(w->conn, "ANALYZE teams, seasons, venues");
    if (!rc)
        w->dims_analyzed = n;
    return rc;
}

int aps_writer_write(struct aps_writer *w, struct aps_batch *b, const char *path,
                     struct aps_ingest_result *res, char *err, size_t errcap)
{
    memset(res, 0, sizeof *res);
    for (size_t i = 0; i < b->nrejects; i++)
        add_reason(res, b->rejects[i].reason, b->rejects[i].count, b->rejects[i].line);
    int64_t started = aps_time_now();
    w->filling = 0;
    struct game_work *gw = aps_calloc(b->ngames ? b->ngames : 1, sizeof *gw);
    struct sport_games *sg = aps_calloc(1, sizeof *sg);
    const char *step = "analyzing new teams, seasons and venues";
    int rc = analyze_dims(w);
    if (!rc) {
        step = "begin";
        rc = aps_conn_begin(w->conn);
    }
    if (!rc) {
        step = "staging tables";
        rc = aps_conn_exec(w->conn, SQL_STAGE);
        if (!rc)
            rc = empty_stage(w);
        if (!rc && aps_conn_kind(w->conn) == APS_DB_POSTGRES)
            rc = aps_conn_exec(w->conn, SQL_PLANNER_PG);
    }
    if (!rc) {
        step = "merging tennis players";
        rc = merge_players(w, b, res);
    }
    if (!rc) {
        step = "storing venues";
        rc = store_venues(w, b);
    }
    if (!rc) {
        step = "resolving teams and games";
        rc = resolve_games(w, b, gw, sg, res);
    }
    if (!rc) {
        step = "storing games";
        rc = store_games(w, b, gw, res);
    }
    if (!rc) {
        step = "home venues";
        rc = aps_conn_exec(w->conn, SQL_HOME_VENUES);
    }
    if (!rc) {
        step = "storing odds";
        rc = store_odds(w, b, gw, res);
    }
    if (!rc && b->nforecasts) {
        /* forecasts may refer to games this very batch stored: read the games again */
        sport_games_cleanup(sg);
        memset(sg, 0, sizeof *sg);
    }
    if (!rc) {
        step = "storing forecasts";
        rc = store_forecasts(w, b, sg, res);
    }
    if (!rc) {
        step = "recording the run";
        rc = record_run(w, b, path, started, res);
    }
    if (!rc) {
        step = "commit";
        rc = aps_conn_commit(w->conn);
        if (!rc)
            w->staged = w->filling;
    }
    if (rc) {
        fail(w, rc, err, errcap, step);
        aps_conn_rollback(w->conn);
        aps_dims_forget(w->dims);
        size_t rejected = res->rejected;
        memset(res, 0, sizeof *res);
        res->rejected = rejected;
    }
    sport_games_cleanup(sg);
    aps_free(sg);
    aps_free(gw);
    return rc;
}
