/* live_store.c — the collectors' write path (see live_store.h for the matching and change-only
 * rules). Statements are prepared once per handle; sports, teams, seasons, books and venues go
 * through ingest/dims.h, whose ids are cached for the handle's transaction. SQL is written once
 * for both backends;
 * arithmetic on parameters is done in C so PostgreSQL never has to guess a parameter's type. */
#include "ingest/live_store.h"

#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/mem.h"
#include "core/str.h"
#include "core/timeutil.h"
#include "ingest/dims.h"
#include "ingest/weather.h"
#include "store/store.h"

#define MATCH_WINDOW_S 1800
#define SEARCH_WINDOW_S (2 * 86400)

enum {
    ST_EXT_GET,
    ST_CANDIDATES,
    ST_GAME_NO,
    ST_GAME_INS,
    ST_GAME_GET,
    ST_GAME_UPD,
    ST_GAME_MOVE,
    ST_EXT_INS,
    ST_SOURCE,
    ST_LATEST,
    ST_ODDS_INS,
    ST_MOVE,
    ST_WEATHER,
    ST_PLAYOFF,
    ST__COUNT
};

static const char *const SQL[ST__COUNT] = {
    [ST_EXT_GET] = "SELECT e.game_id, g.home_team_id FROM external_ids e JOIN games g"
                   " ON g.id = e.game_id WHERE e.provider = ?1 AND e.external_id = ?2",
    [ST_CANDIDATES] =
        "SELECT g.id, g.home_team_id, g.start_time, g.game_date,"
        " EXISTS (SELECT 1 FROM external_ids x WHERE x.game_id = g.id AND x.provider = ?6)"
        " FROM games g WHERE g.sport_id = ?1 AND ((g.home_team_id = ?2 AND g.away_team_id = ?3)"
        " OR (g.home_team_id = ?3 AND g.away_team_id = ?2))"
        " AND g.start_time >= ?4 AND g.start_time <= ?5 ORDER BY g.id",
    [ST_GAME_NO] = "SELECT COALESCE(MAX(game_no), 0) FROM games WHERE sport_id = ?1"
                   " AND game_date = ?2 AND home_team_id = ?3 AND away_team_id = ?4",
    [ST_GAME_INS] =
        "INSERT INTO games (sport_id, season_id, game_date, game_no, home_team_id, away_team_id,"
        " start_time, time_known, status, home_score, away_score, venue_id, external_id,"
        " created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 1, ?8, ?9, ?10, ?11, ?12,"
        " ?13, ?13) RETURNING id",
    [ST_GAME_GET] = "SELECT status, start_time, time_known, home_score, away_score, venue_id,"
                    " external_id, (SELECT COUNT(*) FROM game_sources s WHERE s.game_id = ?1"
                    " AND s.source <> ?2), game_date FROM games WHERE id = ?1",
    [ST_GAME_UPD] = "UPDATE games SET status = ?2, start_time = ?3, time_known = ?4,"
                    " home_score = ?5, away_score = ?6, venue_id = ?7, external_id = ?8,"
                    " updated_at = ?9 WHERE id = ?1",
    /* after the games of that date between the same two teams (a double-header stays apart) */
    [ST_GAME_MOVE] = "UPDATE games SET game_date = ?2, game_no = (SELECT COALESCE(MAX(x.game_no),"
                     " 0) + 1 FROM games x WHERE x.sport_id = games.sport_id"
                     " AND x.game_date = ?2 AND x.home_team_id = games.home_team_id"
                     " AND x.away_team_id = games.away_team_id) WHERE id = ?1",
    [ST_EXT_INS] = "INSERT INTO external_ids (provider, external_id, game_id) VALUES (?1, ?2, ?3)"
                   " ON CONFLICT (provider, external_id) DO NOTHING",
    [ST_SOURCE] = "INSERT INTO game_sources (game_id, source) VALUES (?1, ?2)"
                  " ON CONFLICT (game_id, source) DO NOTHING",
    [ST_LATEST] = "SELECT price, line, recorded_at FROM odds WHERE game_id = ?1 AND book_id = ?2"
                  " AND market = ?3 AND selection = ?4 AND phase = 'live'"
                  " ORDER BY recorded_at DESC LIMIT 1",
    [ST_ODDS_INS] = "INSERT INTO odds (game_id, book_id, market, selection, phase, recorded_at,"
                    " line, price) VALUES (?1, ?2, ?3, ?4, 'live', ?5, ?6, ?7)"
                    " ON CONFLICT (game_id, book_id, market, selection, phase, recorded_at)"
                    " DO NOTHING",
    [ST_MOVE] = "INSERT INTO odds_movements (game_id, book_id, market, selection, old_line,"
                " new_line, old_price, new_price, detected_at)"
                " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    [ST_WEATHER] = "INSERT INTO weather (game_id, temperature_f, wind_mph, humidity_pct,"
                   " conditions, is_dome, observed_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"
                   " ON CONFLICT (game_id) DO UPDATE SET temperature_f = excluded.temperature_f,"
                   " wind_mph = excluded.wind_mph, humidity_pct = excluded.humidity_pct,"
                   " conditions = excluded.conditions, is_dome = excluded.is_dome,"
                   " observed_at = excluded.observed_at",
    [ST_PLAYOFF] = "UPDATE games SET playoff = 1 WHERE id = ?1 AND playoff = 0",
};

struct aps_live {
    struct aps_conn *conn;
    struct aps_stmt *st[ST__COUNT];
    struct aps_dims *dims; /* ids cached for this transaction */
};

/* ---- statement helpers ------------------------------------------------------------------ */

/* v, or NULL (SQL NULL) when *v is negative: this file's "not known" for counts, scores and
 * ids. */
static const int64_t *known(const int64_t *v)
{
    return *v >= 0 ? v : NULL;
}

/* Runs a statement to the end. */
static int run(struct aps_stmt *st)
{
    int rc;
    while ((rc = aps_stmt_step(st)) == APS_ROW)
        ;
    return rc < 0 ? rc : 0;
}

/* Steps to the first row and reads column 0 as an id; drains the rest. */
static int first_id(struct aps_stmt *st, int64_t *id)
{
    int rc = aps_stmt_step(st);
    if (rc == APS_ROW) {
        *id = aps_stmt_int64(st, 0);
        return run(st);
    }
    return rc < 0 ? rc : APS_E_NOTFOUND;
}

int aps_live_open(struct aps_live **out, struct aps_conn *c)
{
    struct aps_live *l = aps_calloc(1, sizeof *l);
    l->conn = c;
    int rc = aps_dims_open(&l->dims, c);
    for (int i = 0; i < ST__COUNT && !rc; i++)
        rc = aps_conn_prepare(c, SQL[i], &l->st[i]);
    if (rc) {
        aps_live_close(l);
        l = NULL;
    }
    *out = l;
    return rc;
}

void aps_live_close(struct aps_live *l)
{
    if (!l)
        return;
    for (int i = 0; i < ST__COUNT; i++)
        aps_stmt_finalize(l->st[i]);
    aps_dims_close(l->dims);
    aps_free(l);
}

const char *aps_live_errmsg(const struct aps_live *l)
{
    return aps_conn_errmsg(l->conn);
}

const char *aps_live_ambiguous(const struct aps_live *l)
{
    return aps_dims_ambiguous(l->dims);
}

/* ---- dates and seasons ------------------------------------------------------------------ */

static bool north_american(enum aps_sport s)
{
    return aps_sport_info(s)->kind == APS_KIND_TEAM && !aps_sport_info(s)->three_way;
}

/* The local time the date of a game is taken from: UTC-8 for North American leagues (a late
 * game on the west coast keeps its evening's date), UTC elsewhere. */
static int64_t local_time(enum aps_sport s, int64_t start)
{
    return north_american(s) ? start - 8 * 3600 : start;
}

void aps_live_local_date(enum aps_sport s, int64_t start, char *out, size_t cap)
{
    aps_time_format_date(local_time(s, start), out, cap);
}

static int64_t local_day(enum aps_sport s, int64_t start)
{
    int64_t t = local_time(s, start);
    return t / 86400 - (t % 86400 < 0);
}

/* The date of a game whose known start moved from `from` to `to`: its stored date moved by as
 * many days as the start's local date did (the stored date keeps its source's convention); ""
 * when the local date stays, or the stored date cannot be read. */
static void moved_date(enum aps_sport s, const char *date, int64_t from, int64_t to, char *out,
                       size_t cap)
{
    int y, m, d;
    int64_t shift = local_day(s, to) - local_day(s, from);
    out[0] = '\0';
    if (!shift || sscanf(date, "%4d-%2d-%2d", &y, &m, &d) != 3 || !aps_date_valid(y, m, d))
        return;
    aps_civil_from_days(aps_days_from_civil(y, m, d) + shift, &y, &m, &d);
    snprintf(out, cap, "%04d-%02d-%02d", y, m, d);
}

void aps_live_season(enum aps_sport s, const char *date, char *out, size_t cap)
{
    int y = 1970, m = 1;
    if (sscanf(date, "%4d-%2d", &y, &m) != 2)
        y = 1970, m = 1;
    bool split = s == APS_SPORT_NBA || s == APS_SPORT_NHL || s == APS_SPORT_NCAAB ||
                 aps_sport_info(s)->three_way;
    if (split) {
        int first = m >= 7 ? y : y - 1;
        snprintf(out, cap, "%d-%02d", first, (first + 1) % 100);
    } else if ((s == APS_SPORT_NFL || s == APS_SPORT_NCAAF) && m <= 2) {
        snprintf(out, cap, "%d", y - 1);
    } else {
        snprintf(out, cap, "%d", y);
    }
}

/* ---- games ------------------------------------------------------------------------------ */

struct match_keys {
    int64_t sport_id, home_id, away_id;
    char date[11];
};

/* The stored game this event is, by teams and time (see live_store.h); 0 in *id when none. */
static int match_game(struct aps_live *l, const struct aps_live_game *g,
                      const struct match_keys *k, int64_t *id, int64_t *stored_home)
{
    struct aps_stmt *st = l->st[ST_CANDIDATES];
    *id = 0;
    int rc = aps_stmt_bindf(st, "iiiiis", k->sport_id, k->home_id, k->away_id,
                            g->start - SEARCH_WINDOW_S, g->start + SEARCH_WINDOW_S, g->provider);
    int64_t best_diff = INT64_MAX, date_id = 0, date_home = 0;
    while (!rc && (rc = aps_stmt_step(st)) == APS_ROW) {
        rc = 0;
        int64_t gid = aps_stmt_int64(st, 0), home = aps_stmt_int64(st, 1);
        int64_t diff = llabs(aps_stmt_int64(st, 2) - g->start);
        const char *date = aps_stmt_text(st, 3);
        bool has_own_id = aps_stmt_int64(st, 4) != 0;
        if (diff <= MATCH_WINDOW_S && diff < best_diff) {
            best_diff = diff;
            *id = gid;
            *stored_home = home;
        } else if (!date_id && !has_own_id && date && !strcmp(date, k->date)) {
            date_id = gid;
            date_home = home;
        }
    }
    if (rc < 0)
        return rc;
    if (!*id && date_id) {
        *id = date_id;
        *stored_home = date_home;
    }
    return 0;
}

static int insert_game(struct aps_live *l, const struct aps_live_game *g,
                       const struct match_keys *k, int64_t venue, int64_t now, int64_t *id)
{
    char season[16];
    int64_t season_db = 0, game_no = 0;
    aps_live_season(g->sport, k->date, season, sizeof season);
    int rc = aps_dims_season(l->dims, g->sport, season, &season_db);
    if (!rc)
        rc = aps_stmt_bindf(l->st[ST_GAME_NO], "isii", k->sport_id, k->date, k->home_id,
                            k->away_id);
    if (!rc)
        rc = first_id(l->st[ST_GAME_NO], &game_no);
    if (rc)
        return rc;
    int status = g->status >= 0 ? g->status : APS_GS_SCHEDULED;
    int64_t hs = g->home_score, as = g->away_score;
    rc = aps_stmt_bindf(l->st[ST_GAME_INS], "iisiiiisIIIsi", k->sport_id, season_db, k->date,
                        game_no + 1, k->home_id, k->away_id, g->start,
                        aps_status_name((enum aps_game_status)status), known(&hs), known(&as),
                        venue ? &venue : NULL, g->external_id, now);
    return rc ? rc : first_id(l->st[ST_GAME_INS], id);
}

/* A status may move forward (scheduled → in_progress → final) but a final game stays final and
 * a game in play does not go back to scheduled because one source lags. */
static bool status_allowed(int from, int to)
{
    if (to < 0 || from == to)
        return false;
    if (from == APS_GS_FINAL)
        return false;
    return !(from == APS_GS_IN_PROGRESS && to == APS_GS_SCHEDULED);
}

/* Updates stored game id from the provider's g; *changed tells whether its status, start,
 * scores or venue moved. A known start moved to another local date moves the game's date with
 * it: the game is listed, chosen and matched on the day it is now played (a pick keeps the date
 * it was locked in for, engine/lockin.h). */
static int update_game(struct aps_live *l, const struct aps_live_game *g, int64_t id,
                       bool swapped, int64_t venue, int64_t now, bool *changed)
{
    struct aps_stmt *st = l->st[ST_GAME_GET];
    int rc = aps_stmt_bindf(st, "is", id, g->provider);
    if (!rc)
        rc = aps_stmt_step(st);
    if (rc != APS_ROW)
        return rc < 0 ? rc : APS_E_NOTFOUND;
    int status = aps_status_parse(aps_stmt_text(st, 0));
    int64_t start = aps_stmt_int64(st, 1), time_known = aps_stmt_int64(st, 2);
    int64_t hs = aps_stmt_is_null(st, 3) ? -1 : aps_stmt_int64(st, 3);
    int64_t as = aps_stmt_is_null(st, 4) ? -1 : aps_stmt_int64(st, 4);
    int64_t vid = aps_stmt_is_null(st, 5) ? -1 : aps_stmt_int64(st, 5);
    char ext[64];
    (void)aps_str_copy(ext, sizeof ext, aps_stmt_text(st, 6) ? aps_stmt_text(st, 6) : "");
    bool others = aps_stmt_int64(st, 7) > 0; /* a source besides this provider knows the game */
    char date[16];
    (void)aps_str_copy(date, sizeof date, aps_stmt_text(st, 8) ? aps_stmt_text(st, 8) : "");
    rc = run(st);
    if (rc)
        return rc;
    const int64_t was[] = {status, start, time_known, hs, as, vid};
    /* A final score is only replaced by another source's final score (a correction). */
    bool keep_scores = status == APS_GS_FINAL && g->status != APS_GS_FINAL;
    if (status_allowed(status, g->status))
        status = g->status;
    /* The schedule's authority moves a start; a provider alone with a game (it created it and
     * no other source has listed it since) moves it too: its moved commence time is the start. */
    if (g->schedule_authority || !time_known || !others) {
        start = g->start;
        time_known = 1;
    }
    if (g->home_score >= 0 && g->away_score >= 0 && status != APS_GS_SCHEDULED && !keep_scores) {
        hs = swapped ? g->away_score : g->home_score;
        as = swapped ? g->home_score : g->away_score;
    }
    if (venue)
        vid = venue;
    const int64_t now_is[] = {status, start, time_known, hs, as, vid};
    *changed = memcmp(was, now_is, sizeof was) != 0;
    char new_date[16] = "";
    if (was[2] && start != was[1])
        moved_date(g->sport, date, was[1], start, new_date, sizeof new_date);
    rc = aps_stmt_bindf(l->st[ST_GAME_UPD], "isiiIIIsi", id,
                        aps_status_name((enum aps_game_status)status), start, time_known,
                        known(&hs), known(&as), known(&vid), ext[0] ? ext : g->external_id, now);
    if (!rc)
        rc = run(l->st[ST_GAME_UPD]);
    if (!rc && new_date[0])
        rc = aps_stmt_bindf(l->st[ST_GAME_MOVE], "is", id, new_date);
    return rc || !new_date[0] ? rc : run(l->st[ST_GAME_MOVE]);
}

static int record_ids(struct aps_live *l, const struct aps_live_game *g, int64_t id)
{
    int rc = aps_stmt_bindf(l->st[ST_EXT_INS], "ssi", g->provider, g->external_id, id);
    if (!rc)
        rc = run(l->st[ST_EXT_INS]);
    if (!rc)
        rc = aps_stmt_bindf(l->st[ST_SOURCE], "is", id, g->provider);
    return rc ? rc : run(l->st[ST_SOURCE]);
}

/* The game the provider's id already points at; 0 in *id when none. */
static int known_game(struct aps_live *l, const struct aps_live_game *g, int64_t *id,
                      int64_t *stored_home)
{
    *id = 0;
    int rc = aps_stmt_bindf(l->st[ST_EXT_GET], "ss", g->provider, g->external_id);
    if (!rc)
        rc = aps_stmt_step(l->st[ST_EXT_GET]);
    if (rc == APS_ROW) {
        *id = aps_stmt_int64(l->st[ST_EXT_GET], 0);
        *stored_home = aps_stmt_int64(l->st[ST_EXT_GET], 1);
        rc = run(l->st[ST_EXT_GET]);
    }
    return rc < 0 ? rc : 0;
}

/* A game the provider calls a postseason game is one from then on. */
static int mark_playoff(struct aps_live *l, int64_t id)
{
    int rc = aps_stmt_bindf(l->st[ST_PLAYOFF], "i", id);
    return rc ? rc : run(l->st[ST_PLAYOFF]);
}

int aps_live_game(struct aps_live *l, const struct aps_live_game *g, int64_t now,
                  struct aps_live_ref *out)
{
    memset(out, 0, sizeof *out);
    if (!g->provider || !g->external_id || !*g->external_id)
        return APS_E_INVAL;
    struct match_keys k = {0};
    int rc = aps_dims_sport(l->dims, g->sport, &k.sport_id);
    if (!rc)
        rc = aps_dims_team(l->dims, g->sport, g->provider, g->home, &k.home_id);
    if (!rc)
        rc = aps_dims_team(l->dims, g->sport, g->provider, g->away, &k.away_id);
    if (rc)
        return rc;
    if (k.home_id == k.away_id)
        return APS_E_INVAL;
    aps_live_local_date(g->sport, g->start, k.date, sizeof k.date);
    int64_t id = 0, stored_home = 0, venue = 0;
    rc = known_game(l, g, &id, &stored_home);
    if (!rc && !id)
        rc = match_game(l, g, &k, &id, &stored_home);
    if (!rc)
        rc = aps_dims_venue(l->dims, g->venue, g->venue_city, g->indoor, &venue);
    if (!rc && !id) {
        rc = insert_game(l, g, &k, venue, now, &id);
        stored_home = k.home_id;
        out->created = true;
    } else if (!rc) {
        rc = update_game(l, g, id, stored_home != k.home_id, venue, now, &out->changed);
    }
    if (!rc)
        rc = record_ids(l, g, id);
    if (!rc && g->postseason)
        rc = mark_playoff(l, id);
    if (rc)
        return rc;
    out->game_id = id;
    out->swapped = stored_home != k.home_id;
    return 0;
}

/* ---- odds ------------------------------------------------------------------------------- */

static bool same_value(double a, double b)
{
    if (isnan(a) || isnan(b))
        return isnan(a) && isnan(b);
    return fabs(a - b) < 1e-9;
}

static enum aps_selection oriented(enum aps_selection s, bool swapped)
{
    if (!swapped)
        return s;
    return s == APS_SEL_HOME ? APS_SEL_AWAY : s == APS_SEL_AWAY ? APS_SEL_HOME : s;
}

int aps_live_quote(struct aps_live *l, const struct aps_live_ref *g, const struct aps_live_quote *q,
                   int64_t now, struct aps_live_counts *cnt)
{
    if (!(q->price > 1.0) || !q->book || !*q->book)
        return APS_E_INVAL;
    int64_t book = 0;
    int rc = aps_dims_book(l->dims, q->book, q->book_title, &book);
    if (rc)
        return rc;
    const char *mkt = aps_market_name(q->market);
    const char *sel = aps_selection_name(oriented(q->sel, g->swapped));
    struct aps_stmt *st = l->st[ST_LATEST];
    rc = aps_stmt_bindf(st, "iiss", g->game_id, book, mkt, sel);
    if (!rc)
        rc = aps_stmt_step(st);
    if (rc < 0)
        return rc;
    bool have = rc == APS_ROW;
    double old_price = have ? aps_stmt_double(st, 0) : NAN;
    double old_line = have ? aps_stmt_double(st, 1) : NAN;
    int64_t old_at = have ? aps_stmt_int64(st, 2) : 0;
    if ((rc = run(st)))
        return rc;
    if (have && same_value(old_price, q->price) && same_value(old_line, q->line)) {
        cnt->unchanged++;
        return 0;
    }
    int64_t at = q->recorded_at > 0 ? q->recorded_at : now;
    if (have && at <= old_at) /* a change the book did not timestamp anew */
        at = now > old_at ? now : old_at + 1;
    rc = aps_stmt_bindf(l->st[ST_ODDS_INS], "iissidd", g->game_id, book, mkt, sel, at, q->line,
                        q->price);
    if (!rc)
        rc = run(l->st[ST_ODDS_INS]);
    if (rc)
        return rc;
    cnt->inserted++;
    if (!have)
        return 0;
    rc = aps_stmt_bindf(l->st[ST_MOVE], "iissddddi", g->game_id, book, mkt, sel, old_line,
                        q->line, old_price, q->price, at);
    if (!rc)
        rc = run(l->st[ST_MOVE]);
    if (!rc)
        cnt->movements++;
    return rc;
}

/* ---- weather ---------------------------------------------------------------------------- */

int aps_live_weather(struct aps_live *l, int64_t game_id, const struct aps_weather_obs *w,
                     int64_t now)
{
    int rc;
    if (w)
        rc = aps_stmt_bindf(l->st[ST_WEATHER], "idddsii", game_id, w->temperature_f, w->wind_mph,
                  w->humidity_pct, w->conditions, (int64_t)0,
                  w->observed_at > 0 ? w->observed_at : now);
    else
        rc = aps_stmt_bindf(l->st[ST_WEATHER], "idddsii", game_id, NAN, NAN, NAN, "dome",
                            (int64_t)1, now);
    return rc ? rc : run(l->st[ST_WEATHER]);
}

/* "Landover, MD" → "Landover,MD,US" (a US city and state for the q= form); a city without a
 * state is passed as it is. */
static void place_of(const char *city, char *out, size_t cap)
{
    size_t j = 0;
    bool state = city && strchr(city, ',');
    for (const char *p = city ? city : ""; *p && j + 1 < cap; p++)
        if (!(*p == ' ' && p > city && p[-1] == ','))
            out[j++] = *p;
    out[j] = '\0';
    if (state && j + 4 < cap)
        memcpy(out + j, ",US", 4);
}

int aps_live_weather_due(struct aps_conn *c, enum aps_sport sport, int64_t now, int64_t lead_s,
                         struct aps_live_venue_game **out, size_t *n)
{
    *out = NULL;
    *n = 0;
    struct aps_stmt *st = NULL;
    int rc = aps_conn_preparef(
        c, &st,
        "SELECT g.id, g.start_time, v.city, v.kind, v.latitude, v.longitude FROM games g"
        " JOIN sports s ON s.id = g.sport_id LEFT JOIN venues v ON v.id = g.venue_id"
        " LEFT JOIN weather w ON w.game_id = g.id"
        " WHERE s.code = ?1 AND g.status = 'scheduled' AND g.start_time > ?2"
        " AND g.start_time <= ?3 AND (w.game_id IS NULL OR w.observed_at < ?4)"
        " ORDER BY g.start_time, g.id",
        "siii", aps_sport_info(sport)->code, now, now + lead_s, now - 3600);
    size_t cap = 0;
    while (!rc && (rc = aps_stmt_step(st)) == APS_ROW) {
        rc = 0;
        if (*n == cap) {
            cap = cap ? cap * 2 : 16;
            *out = aps_realloc(*out, cap * sizeof **out);
        }
        struct aps_live_venue_game *v = &(*out)[(*n)++];
        v->game_id = aps_stmt_int64(st, 0);
        v->start = aps_stmt_int64(st, 1);
        const char *city = aps_stmt_text(st, 2), *kind = aps_stmt_text(st, 3);
        place_of(city, v->place, sizeof v->place);
        v->indoor = !kind ? -1 : !strcmp(kind, "indoor") ? 1 : 0;
        v->lat = aps_stmt_double(st, 4);
        v->lon = aps_stmt_double(st, 5);
    }
    aps_stmt_finalize(st);
    if (rc < 0) {
        aps_free(*out);
        *out = NULL;
        *n = 0;
        return rc;
    }
    return 0;
}

/* ---- closing lines ---------------------------------------------------------------------- */

#define CLOSE_WINDOW (3 * 86400) /* games that started this recently get their close captured */

int aps_live_capture_closing(struct aps_conn *c, int64_t now, int *captured)
{
    *captured = 0;
    int64_t changes = 0;
    int rc = aps_conn_begin(c);
    if (rc)
        return rc;
    /* Live closes that no longer stand (the game was moved to another start, or is postponed or
     * cancelled) go first, so that a moved game closes again at its new start. A game whose
     * close stood once is among the recent ones: its start is now more recent or still is. */
    rc = aps_conn_execf(c,
                        "DELETE FROM closing_lines WHERE id IN (SELECT cl.id FROM games g"
                        " JOIN closing_lines cl ON cl.game_id = g.id WHERE g.start_time > ?1"
                        " AND NOT " APS_CLOSE_STANDS_SQL("cl", "g") ")",
                        "i", now - CLOSE_WINDOW);
    if (!rc)
        rc = aps_conn_changef(
            c, &changes,
            "INSERT INTO closing_lines (game_id, book_id, market, selection, line, price,"
            " closed_at, source)"
            " SELECT o.game_id, o.book_id, o.market, o.selection, o.line, o.price, g.start_time,"
            " 'live' FROM odds o JOIN games g ON g.id = o.game_id"
            " WHERE g.start_time <= ?1 AND g.start_time > ?2 AND " APS_CLOSE_PLAYED_SQL("g")
            " AND o.phase = 'live' AND o.recorded_at <= g.start_time"
            " AND o.recorded_at = (SELECT MAX(o2.recorded_at) FROM odds o2"
            "   WHERE o2.game_id = o.game_id AND o2.book_id = o.book_id AND o2.market = o.market"
            "   AND o2.selection = o.selection AND o2.phase = 'live'"
            "   AND o2.recorded_at <= g.start_time)"
            " ON CONFLICT (game_id, book_id, market, selection) DO NOTHING",
            "ii", now, now - CLOSE_WINDOW);
    if (rc) {
        aps_conn_rollback(c);
        return rc;
    }
    rc = aps_conn_commit(c);
    if (!rc)
        *captured = (int)changes;
    return rc;
}

/* ---- provider bookkeeping --------------------------------------------------------------- */

int aps_live_provider_get(struct aps_conn *c, const char *provider, struct aps_provider_status *out)
{
    memset(out, 0, sizeof *out);
    out->requests_remaining = out->requests_used = out->last_cost = -1;
    struct aps_stmt *st = NULL;
    int rc = aps_conn_preparef(c, &st,
                               "SELECT requests_remaining, requests_used, last_cost,"
                               " last_success_at, last_error FROM provider_status"
                               " WHERE provider = ?1",
                               "s", provider);
    if (!rc)
        rc = aps_stmt_step(st);
    if (rc == APS_ROW) {
        for (int i = 0; i < 3; i++) {
            int64_t v = aps_stmt_is_null(st, i) ? -1 : aps_stmt_int64(st, i);
            *(i == 0 ? &out->requests_remaining : i == 1 ? &out->requests_used : &out->last_cost) = v;
        }
        out->last_success_at = aps_stmt_is_null(st, 3) ? 0 : aps_stmt_int64(st, 3);
        const char *e = aps_stmt_text(st, 4);
        (void)aps_str_copy(out->last_error, sizeof out->last_error, e ? e : "");
        rc = run(st);
    } else if (rc == APS_DONE) {
        rc = APS_E_NOTFOUND;
    }
    aps_stmt_finalize(st);
    return rc;
}

int aps_live_provider_put(struct aps_conn *c, const char *provider, int64_t remaining,
                          int64_t used, int64_t last_cost, const char *error, int64_t now)
{
    /* A negative count is not known (kept as it was); an error leaves last_success_at. */
    return aps_conn_execf(
        c,
        "INSERT INTO provider_status (provider, requests_remaining, requests_used, last_cost,"
        " last_success_at, last_error, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"
        " ON CONFLICT (provider) DO UPDATE SET"
        " requests_remaining = COALESCE(excluded.requests_remaining,"
        "   provider_status.requests_remaining),"
        " requests_used = COALESCE(excluded.requests_used, provider_status.requests_used),"
        " last_cost = COALESCE(excluded.last_cost, provider_status.last_cost),"
        " last_success_at = COALESCE(excluded.last_success_at, provider_status.last_success_at),"
        " last_error = excluded.last_error, updated_at = excluded.updated_at",
        "sIIIIsi", provider, known(&remaining), known(&used), known(&last_cost),
        error ? NULL : &now, error, now);
}
