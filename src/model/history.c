/* history.c — loads a sport's games and odds (see history.h): three queries, joined in memory. */
#include "model/history.h"

#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/mem.h"
#include "core/str.h"
#include "core/strmap.h"
#include "model/elo.h"
#include "store/store.h"

static const char SQL_GAMES[] =
    "SELECT g.id, g.home_team_id, g.away_team_id, g.start_time, g.game_date, se.label,"
    " g.neutral, g.playoff, g.status, g.home_score, g.away_score,"
    " (SELECT gs.extra FROM game_sources gs WHERE gs.game_id = g.id AND gs.source = 'tennis-data')"
    " FROM games g JOIN seasons se ON se.id = g.season_id JOIN sports sp ON sp.id = g.sport_id"
    " WHERE sp.code = ?1 AND (CAST(?2 AS TEXT) IS NULL OR g.game_date >= ?2)"
    " AND (CAST(?3 AS TEXT) IS NULL OR g.game_date <= ?3)"
    " ORDER BY g.start_time, g.id";

static const char SQL_ODDS[] =
    "SELECT o.game_id, b.key, b.is_aggregate, b.is_sharp, o.market, o.selection, o.phase, o.line,"
    " o.price, o.recorded_at FROM odds o JOIN games g ON g.id = o.game_id JOIN sports sp ON sp.id = g.sport_id"
    " JOIN sportsbooks b ON b.id = o.book_id"
    " WHERE sp.code = ?1 AND (CAST(?2 AS TEXT) IS NULL OR g.game_date >= ?2)"
    " AND (CAST(?3 AS TEXT) IS NULL OR g.game_date <= ?3)"
    " ORDER BY o.game_id, o.id";

static const char SQL_538[] =
    "SELECT f.game_id, f.prob1, f.team1_home FROM forecasts f JOIN games g ON g.id = f.game_id"
    " JOIN sports sp ON sp.id = g.sport_id WHERE sp.code = ?1 AND f.model IN ('538_elo', '538')"
    " ORDER BY f.model DESC";

static int surface_of(const char *extra)
{
    if (!extra)
        return -1;
    json_error_t e;
    json_t *j = json_loads(extra, 0, &e);
    int s = -1;
    if (j) {
        const char *v = json_string_value(json_object_get(j, "surface"));
        if (v)
            s = aps_elo_surface_parse(v);
        json_decref(j);
    }
    return s;
}

static int load_games(struct aps_conn *c, const char *sport, const char *from, const char *to,
                      struct aps_history *h, struct aps_strmap *index)
{
    struct aps_stmt *st = NULL;
    size_t cap = 0;
    struct aps_strmap seasons = {0};
    int rc = aps_conn_preparef(c, &st, SQL_GAMES, "sss", sport, from, to);
    while (!rc && (rc = aps_stmt_step(st)) == APS_ROW) {
        rc = 0;
        if (h->ngames == cap) {
            cap = cap ? cap * 2 : 1024;
            h->games = aps_realloc(h->games, cap * sizeof *h->games);
        }
        struct aps_hist_game *g = &h->games[h->ngames];
        memset(g, 0, sizeof *g);
        g->id = aps_stmt_int64(st, 0);
        g->home = aps_stmt_int64(st, 1);
        g->away = aps_stmt_int64(st, 2);
        g->start_time = aps_stmt_int64(st, 3);
        (void)aps_str_copy(g->date, sizeof g->date, aps_stmt_text(st, 4));
        (void)aps_str_copy(g->season, sizeof g->season, aps_stmt_text(st, 5));
        g->neutral = aps_stmt_int64(st, 6) != 0;
        g->playoff = aps_stmt_int64(st, 7) != 0;
        int s = aps_status_parse(aps_stmt_text(st, 8));
        g->status = s < 0 ? APS_GS_SCHEDULED : (enum aps_game_status)s;
        g->home_score = aps_stmt_is_null(st, 9) ? -1 : (int)aps_stmt_int64(st, 9);
        g->away_score = aps_stmt_is_null(st, 10) ? -1 : (int)aps_stmt_int64(st, 10);
        g->surface = surface_of(aps_stmt_text(st, 11));
        g->fc_538 = NAN;
        int64_t sn;
        if (!aps_strmap_get(&seasons, g->season, &sn)) {
            sn = h->nseasons++;
            aps_strmap_put(&seasons, g->season, sn);
        }
        g->season_no = (int)sn;
        char key[24];
        snprintf(key, sizeof key, "%lld", (long long)g->id);
        aps_strmap_put(index, key, (int64_t)h->ngames);
        h->ngames++;
    }
    aps_stmt_finalize(st);
    aps_strmap_cleanup(&seasons);
    return rc < 0 ? rc : 0;
}

static int book_index(struct aps_history *h, struct aps_strmap *books, const struct aps_stmt *st)
{
    const char *key = aps_stmt_text(st, 1);
    int64_t bi;
    if (aps_strmap_get(books, key, &bi))
        return (int)bi;
    h->books = aps_realloc(h->books, (h->nbooks + 1) * sizeof *h->books);
    struct aps_hist_book *b = &h->books[h->nbooks];
    (void)aps_str_copy(b->key, sizeof b->key, key);
    b->aggregate = aps_stmt_int64(st, 2) != 0;
    b->sharp = aps_stmt_int64(st, 3) != 0;
    aps_strmap_put(books, key, (int64_t)h->nbooks);
    return (int)h->nbooks++;
}

/* Odds arrive grouped by game id; each group becomes the game's quote slice. */
static int load_odds(struct aps_conn *c, const char *sport, const char *from, const char *to,
                     struct aps_history *h, struct aps_strmap *index)
{
    struct aps_stmt *st = NULL;
    struct aps_strmap books = {0};
    size_t cap = 0;
    int64_t cur_game = -1, cur_idx = -1;
    int rc = aps_conn_preparef(c, &st, SQL_ODDS, "sss", sport, from, to);
    while (!rc && (rc = aps_stmt_step(st)) == APS_ROW) {
        rc = 0;
        int64_t gid = aps_stmt_int64(st, 0);
        if (gid != cur_game) {
            char key[24];
            snprintf(key, sizeof key, "%lld", (long long)gid);
            cur_game = gid;
            if (!aps_strmap_get(index, key, &cur_idx))
                cur_idx = -1;
            else
                h->games[cur_idx].q0 = h->nquotes;
        }
        int m = aps_market_parse(aps_stmt_text(st, 4));
        int s = aps_selection_parse(aps_stmt_text(st, 5));
        int p = aps_phase_parse(aps_stmt_text(st, 6));
        if (cur_idx < 0 || m < 0 || s < 0 || p < 0)
            continue;
        if (h->nquotes == cap) {
            cap = cap ? cap * 2 : 4096;
            h->quotes = aps_realloc(h->quotes, cap * sizeof *h->quotes);
        }
        struct aps_hist_quote *q = &h->quotes[h->nquotes++];
        q->book = book_index(h, &books, st);
        q->market = m;
        q->sel = s;
        q->phase = p;
        q->line = aps_stmt_double(st, 7);
        q->price = aps_stmt_double(st, 8);
        q->recorded_at = aps_stmt_int64(st, 9);
        h->games[cur_idx].nq++;
    }
    aps_stmt_finalize(st);
    aps_strmap_cleanup(&books);
    return rc < 0 ? rc : 0;
}

static int load_538(struct aps_conn *c, const char *sport, struct aps_history *h,
                    struct aps_strmap *index)
{
    struct aps_stmt *st = NULL;
    int rc = aps_conn_preparef(c, &st, SQL_538, "s", sport);
    while (!rc && (rc = aps_stmt_step(st)) == APS_ROW) {
        rc = 0;
        char key[24];
        int64_t idx;
        snprintf(key, sizeof key, "%lld", (long long)aps_stmt_int64(st, 0));
        if (!aps_strmap_get(index, key, &idx) || aps_stmt_is_null(st, 1))
            continue;
        double p1 = aps_stmt_double(st, 1);
        /* "538_elo" rows sort first and win over the generic "538" ones */
        if (isnan(h->games[idx].fc_538))
            h->games[idx].fc_538 = aps_stmt_int64(st, 2) ? p1 : 1.0 - p1;
    }
    aps_stmt_finalize(st);
    return rc < 0 ? rc : 0;
}

int aps_history_load(struct aps_conn *c, enum aps_sport sport, const char *from, const char *to,
                     struct aps_history *h)
{
    memset(h, 0, sizeof *h);
    h->sport = sport;
    const char *code = aps_sport_info(sport)->code;
    struct aps_strmap index = {0};
    int rc = load_games(c, code, from, to, h, &index);
    if (!rc)
        rc = load_odds(c, code, from, to, h, &index);
    if (!rc)
        rc = load_538(c, code, h, &index);
    aps_strmap_cleanup(&index);
    if (rc)
        aps_history_cleanup(h);
    return rc;
}

void aps_history_cleanup(struct aps_history *h)
{
    aps_free(h->games);
    aps_free(h->quotes);
    aps_free(h->books);
    memset(h, 0, sizeof *h);
}

bool aps_hist_final(const struct aps_hist_game *g)
{
    return g->status == APS_GS_FINAL && g->home_score >= 0 && g->away_score >= 0;
}
