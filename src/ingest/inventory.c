/* inventory.c — counts of what the store holds (see inventory.h). Two grouped queries, written
 * once for both backends. */
#include "ingest/inventory.h"

#include <stdio.h>
#include <string.h>

#include "core/mem.h"
#include "core/str.h"
#include "store/store.h"

/* The per-season counts; the per-sport totals are computed with the same statements grouped by
 * sport only (books must be distinct across seasons, so they are not summed). */
static const char SQL_GAMES[] =
    "SELECT sp.code, %s, COUNT(*),"
    " SUM(CASE WHEN g.status = 'final' THEN 1 ELSE 0 END),"
    " SUM(CASE WHEN EXISTS (SELECT 1 FROM odds o WHERE o.game_id = g.id) THEN 1 ELSE 0 END),"
    " COUNT(DISTINCT g.season_id)"
    " FROM games g JOIN sports sp ON sp.id = g.sport_id JOIN seasons se ON se.id = g.season_id"
    " GROUP BY sp.code%s ORDER BY sp.code%s";

/* The odds are counted per game and book first (the order of the odds' unique key, so no sort
 * on SQLite), those counts summed per sport (and season) and book, and only those few rows
 * joined with sports, seasons and books: the books of a sport are then counted without a
 * COUNT(DISTINCT …) over every game and book (which sorted ~450,000 rows on PostgreSQL).
 * Arguments: the season column of the result, the season column of the inner grouping (twice),
 * the seasons join, the outer grouping's season. */
static const char SQL_ODDS[] =
    "SELECT sp.code, %s, SUM(x.n), COUNT(CASE WHEN b.is_aggregate = 0 THEN 1 END)"
    " FROM (SELECT g.sport_id%s, o.book_id, SUM(o.n) AS n"
    " FROM (SELECT game_id, book_id, COUNT(*) AS n FROM odds GROUP BY game_id, book_id) o"
    " JOIN games g ON g.id = o.game_id GROUP BY g.sport_id%s, o.book_id) x"
    " JOIN sports sp ON sp.id = x.sport_id%s JOIN sportsbooks b ON b.id = x.book_id"
    " GROUP BY sp.code%s";

static const char SQL_FORECASTS[] =
    "SELECT sp.code, %s, COUNT(*) FROM forecasts f JOIN games g ON g.id = f.game_id"
    " JOIN sports sp ON sp.id = g.sport_id JOIN seasons se ON se.id = g.season_id"
    " GROUP BY sp.code%s";

static struct aps_inventory_row *find_row(struct aps_inventory_row *rows, size_t n,
                                          const char *sport, const char *season)
{
    for (size_t i = 0; i < n; i++)
        if (!strcmp(rows[i].sport, sport) && !strcmp(rows[i].season, season))
            return &rows[i];
    return NULL;
}

static int run(struct aps_conn *c, bool by_season, struct aps_inventory_row **rows, size_t *n,
               int64_t **seasons_out)
{
    const char *sel = by_season ? "se.label" : "''";
    const char *grp = by_season ? ", se.label" : "";
    char sql[1024];
    struct aps_stmt *st = NULL;
    size_t cap = 0, len = 0;
    struct aps_inventory_row *out = NULL;
    int64_t *seasons = NULL;
    int rc = aps_str_fmt(sql, sizeof sql, SQL_GAMES, sel, grp, grp);
    if (!rc)
        rc = aps_conn_prepare(c, sql, &st);
    while (!rc && (rc = aps_stmt_step(st)) == APS_ROW) {
        if (len == cap) {
            cap = cap ? cap * 2 : 32;
            out = aps_realloc(out, cap * sizeof *out);
            seasons = aps_realloc(seasons, cap * sizeof *seasons);
        }
        struct aps_inventory_row *r = &out[len];
        memset(r, 0, sizeof *r);
        (void)aps_str_copy(r->sport, sizeof r->sport, aps_stmt_text(st, 0));
        (void)aps_str_copy(r->season, sizeof r->season, by_season ? aps_stmt_text(st, 1) : "");
        r->games = aps_stmt_int64(st, 2);
        r->finals = aps_stmt_int64(st, 3);
        r->with_odds = aps_stmt_int64(st, 4);
        seasons[len++] = aps_stmt_int64(st, 5);
        rc = 0;
    }
    aps_stmt_finalize(st);
    st = NULL;
    if (!rc) {
        const char *inner = by_season ? ", g.season_id" : "";
        rc = aps_str_fmt(sql, sizeof sql, SQL_ODDS, sel, inner, inner,
                         by_season ? " JOIN seasons se ON se.id = x.season_id" : "", grp);
        if (!rc)
            rc = aps_conn_prepare(c, sql, &st);
    }
    while (!rc && (rc = aps_stmt_step(st)) == APS_ROW) {
        struct aps_inventory_row *r =
            find_row(out, len, aps_stmt_text(st, 0), by_season ? aps_stmt_text(st, 1) : "");
        if (r) {
            r->odds_rows = aps_stmt_int64(st, 2);
            r->books = aps_stmt_int64(st, 3);
        }
        rc = 0;
    }
    aps_stmt_finalize(st);
    st = NULL;
    if (!rc) {
        rc = aps_str_fmt(sql, sizeof sql, SQL_FORECASTS, sel, grp);
        if (!rc)
            rc = aps_conn_prepare(c, sql, &st);
    }
    while (!rc && (rc = aps_stmt_step(st)) == APS_ROW) {
        struct aps_inventory_row *r =
            find_row(out, len, aps_stmt_text(st, 0), by_season ? aps_stmt_text(st, 1) : "");
        if (r)
            r->forecasts = aps_stmt_int64(st, 2);
        rc = 0;
    }
    aps_stmt_finalize(st);
    if (rc < 0) {
        aps_free(out);
        aps_free(seasons);
        return rc;
    }
    *rows = out;
    *n = len;
    if (seasons_out)
        *seasons_out = seasons;
    else
        aps_free(seasons);
    return 0;
}

int aps_inventory_by_season(struct aps_conn *c, struct aps_inventory_row **rows, size_t *n)
{
    return run(c, true, rows, n, NULL);
}

int aps_inventory_by_sport(struct aps_conn *c, struct aps_inventory_row **rows, size_t *n,
                           int64_t **seasons_out)
{
    return run(c, false, rows, n, seasons_out);
}
