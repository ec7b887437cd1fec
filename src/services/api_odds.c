/* api_odds.c — GET /api/v1/odds/{game_id}[/best|/history|/movements|/closing]: a game's stored
 * odds snapshots as they are (current per book, every snapshot, movements, closing lines) and
 * line shopping across bookmakers with src/odds/shop. Nothing is computed that the snapshots do
 * not hold, except conversions of the stored decimal price (American, implied probability). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/domain.h"
#include "core/mem.h"
#include "core/str.h"
#include "engine/bankroll.h"
#include "odds/convert.h"
#include "odds/shop.h"
#include "services/api_json.h"
#include "services/api_odds.h"
#include "services/api_util.h"
#include "services/api_valid.h"
#include "services/routes.h"

/* ---- loading ------------------------------------------------------------------------------- */

/* Snapshots of one book and selection in time: the capture time, then the phase (a source that
 * gives no time still lists its open before its close). Kept equal to phase_rank(). */
#define PHASE_RANK_SQL \
    "CASE o.phase WHEN 'open' THEN 0 WHEN 'pre' THEN 1 WHEN 'live' THEN 2 ELSE 3 END"

static int phase_rank(int phase)
{
    switch (phase) {
    case APS_PHASE_OPEN: return 0;
    case APS_PHASE_PRE: return 1;
    case APS_PHASE_LIVE: return 2;
    default: return 3; /* close, and anything unknown, last */
    }
}

static void read_quote(const struct aps_stmt *st, struct aps_api_quote *q)
{
    const char *t;
    memset(q, 0, sizeof *q);
    t = aps_stmt_text(st, 0);
    (void)aps_str_copy(q->book, sizeof q->book, t ? t : "");
    t = aps_stmt_text(st, 1);
    (void)aps_str_copy(q->book_name, sizeof q->book_name, t ? t : "");
    q->aggregate = aps_stmt_int64(st, 2) != 0;
    t = aps_stmt_text(st, 3);
    q->market = t ? aps_market_parse(t) : -1;
    t = aps_stmt_text(st, 4);
    q->sel = t ? aps_selection_parse(t) : -1;
    t = aps_stmt_text(st, 5);
    q->phase = t ? aps_phase_parse(t) : -1;
    q->recorded_at = aps_stmt_int64(st, 6);
    q->line = aps_stmt_double(st, 7);
    q->price = aps_stmt_double(st, 8);
}

int aps_api_quotes_prepare(struct aps_conn *c, int64_t game_id, int market, const char *book,
                           struct aps_stmt **out)
{
    struct aps_api_where w = {0};
    struct aps_buf sql = {0};
    aps_api_where_int(&w, "o.game_id = ?", game_id);
    if (market >= 0)
        aps_api_where_text(&w, "o.market = ?", aps_market_name(market));
    if (book)
        aps_api_where_text(&w, "b.key = ?", book);
    aps_buf_printf(&sql,
                   "SELECT b.key, b.name, b.is_aggregate, o.market, o.selection, o.phase,"
                   " o.recorded_at, o.line, o.price FROM odds o JOIN sportsbooks b"
                   " ON b.id = o.book_id%s ORDER BY b.key, o.market, o.selection,"
                   " o.recorded_at, " PHASE_RANK_SQL ", o.id",
                   aps_buf_str(&w.sql));
    int rc = aps_api_prepare(c, aps_buf_str(&sql), &w, out);
    aps_buf_cleanup(&sql);
    aps_api_where_cleanup(&w);
    return rc;
}

int aps_api_quotes_read(struct aps_stmt *st, struct aps_api_quote **out, size_t *n)
{
    size_t cap = 0;
    int rc;
    *out = NULL;
    *n = 0;
    while ((rc = aps_stmt_step(st)) == APS_ROW) {
        if (*n == cap) {
            cap = cap ? cap * 2 : 64;
            *out = aps_realloc(*out, cap * sizeof **out);
        }
        read_quote(st, &(*out)[(*n)++]);
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

int aps_api_quotes_load(struct aps_conn *c, int64_t game_id, int market, const char *book,
                        struct aps_api_quote **out, size_t *n)
{
    struct aps_stmt *st = NULL;
    *out = NULL;
    *n = 0;
    int rc = aps_api_quotes_prepare(c, game_id, market, book, &st);
    return rc ? rc : aps_api_quotes_read(st, out, n);
}

static bool same_key(const struct aps_api_quote *a, const struct aps_api_quote *b)
{
    return a->market == b->market && a->sel == b->sel && !strcmp(a->book, b->book);
}

json_t *aps_api_quotes_current(const struct aps_api_quote *q, size_t n)
{
    json_t *items = json_array();
    for (size_t i = 0; i < n; i++)
        if (i + 1 == n || !same_key(&q[i], &q[i + 1]))
            json_array_append_new(items, aps_api_quote_json(&q[i]));
    return items;
}

/* ---- line shopping ------------------------------------------------------------------------- */

struct timed {
    const struct aps_api_quote *q;
    size_t index;
};

/* Time order for the shop: capture time, phase, then load order (so the sort is stable). */
static int cmp_time(const void *a, const void *b)
{
    const struct timed *x = a, *y = b;
    if (x->q->recorded_at != y->q->recorded_at)
        return x->q->recorded_at < y->q->recorded_at ? -1 : 1;
    int rx = phase_rank(x->q->phase), ry = phase_rank(y->q->phase);
    if (rx != ry)
        return rx < ry ? -1 : 1;
    return x->index < y->index ? -1 : x->index > y->index;
}

/* The bookmakers' quotes (aggregates left out) as shop quotes in time order; *n set. */
static struct aps_quote *shop_quotes(const struct aps_api_quote *q, size_t nq, size_t *n)
{
    struct timed *t = aps_calloc(nq ? nq : 1, sizeof *t);
    size_t k = 0;
    for (size_t i = 0; i < nq; i++)
        if (!q[i].aggregate && q[i].market >= 0 && q[i].sel >= 0)
            t[k++] = (struct timed){&q[i], i};
    qsort(t, k, sizeof *t, cmp_time);
    struct aps_quote *out = aps_calloc(k ? k : 1, sizeof *out);
    for (size_t i = 0; i < k; i++) {
        const struct aps_api_quote *x = t[i].q;
        out[i] = (struct aps_quote){x->book, x->market, x->sel,
                                    x->market == APS_MKT_MONEYLINE ? NAN : x->line, x->price,
                                    x->recorded_at};
    }
    aps_free(t);
    *n = k;
    return out;
}

static json_t *best_json(const struct aps_api_quote *src, enum aps_market m,
                         enum aps_selection s, const struct aps_shop_pick *p)
{
    json_t *o = json_object();
    json_object_set_new(o, "market", json_string(aps_market_name(m)));
    json_object_set_new(o, "selection", json_string(aps_selection_name(s)));
    json_object_set_new(o, "book", json_string(p->book));
    json_object_set_new(o, "book_name", json_string(src->book_name));
    json_object_set_new(o, "line", aps_api_num(aps_round_line(p->line)));
    aps_api_price_fields(o, p->price);
    json_object_set_new(o, "recorded_at", p->recorded_at ? aps_api_time(p->recorded_at)
                                                         : json_null());
    json_object_set_new(o, "books", json_integer((json_int_t)p->books));
    return o;
}

/* The api quote a shop quote came from (shop quotes borrow the book string). */
static const struct aps_api_quote *origin(const struct aps_api_quote *q, size_t nq,
                                          const char *book)
{
    for (size_t i = 0; i < nq; i++)
        if (q[i].book == book)
            return &q[i];
    return q;
}

static bool any_of(const struct aps_quote *q, size_t n, int m, int s)
{
    for (size_t i = 0; i < n; i++)
        if ((int)q[i].market == m && (int)q[i].sel == s)
            return true;
    return false;
}

json_t *aps_api_quotes_best(const struct aps_api_quote *q, size_t nq)
{
    size_t n = 0;
    struct aps_quote *sq = shop_quotes(q, nq, &n);
    json_t *items = json_array();
    for (int m = 0; m < APS_MKT__COUNT && items; m++) {
        for (int s = 0; s < APS_SEL__COUNT && items; s++) {
            struct aps_shop_pick p;
            if (!aps_bankroll_selection_ok(m, s, true) || !any_of(sq, n, m, s))
                continue;
            int rc = aps_shop_best_line(sq, n, INT64_MAX, m, s, &p);
            if (rc == APS_E_NOTFOUND)
                continue;
            if (rc) {
                json_decref(items);
                items = NULL;
                break;
            }
            json_array_append_new(items, best_json(origin(q, nq, p.book), m, s, &p));
        }
    }
    aps_free(sq);
    return items;
}

/* ---- handlers ------------------------------------------------------------------------------ */

/* The game id, market and book filters of an odds request, and a read connection. Returns 0
 * with *c held, or 1 with res answered. */
static int odds_args(struct aps_http_req *req, struct aps_http_res *res, int64_t *game_id,
                     int *market, const char **book, struct aps_conn **c)
{
    struct aps_api_page pg;
    *game_id = aps_api_path_id(req, res, "game_id");
    aps_api_q_page(req, res, &pg);
    aps_api_q_market(req, res, "market", market);
    *book = aps_api_q_str(req, res, "book");
    return aps_api_bad(res) || aps_api_acquire(req, res, APS_DB_READ, c) ? 1 : 0;
}

/* The statements that check the game exists and the book filter names a sportsbook (*b NULL
 * without one): run them with aps_conn_pipeline() next to other reads, then odds_checked(). */
static int odds_checks(struct aps_conn *c, int64_t game_id, const char *book,
                       struct aps_stmt **g, struct aps_stmt **b)
{
    *g = *b = NULL;
    int rc = aps_conn_preparef(c, g, "SELECT 1 FROM games WHERE id = ?1", "i", game_id);
    if (!rc && book)
        rc = aps_conn_preparef(c, b, "SELECT id FROM sportsbooks WHERE key = ?1", "s", book);
    return rc;
}

/* Reads (and finalizes) the checks; on a failed one answers res and releases *c. Returns 0, or
 * 1 with res answered. rc is an earlier failure to report. */
static int odds_checked(struct aps_http_res *res, struct aps_conn **c, struct aps_stmt *g,
                        struct aps_stmt *b, int rc)
{
    int game = rc ? rc : aps_stmt_step(g);
    int known = rc || !b ? APS_ROW : aps_stmt_step(b);
    aps_stmt_finalize(g);
    aps_stmt_finalize(b);
    rc = game < 0 ? game : known < 0 ? known : 0;
    if (rc < 0) {
        aps_api_db_error(res, rc);
    } else if (game == APS_DONE) {
        aps_api_not_found(res, "game");
        rc = 1;
    } else if (known == APS_DONE) {
        aps_api_invalid(res, "book", "unknown sportsbook key");
        rc = 1;
    }
    if (rc) {
        aps_store_release(*c);
        *c = NULL;
        return 1;
    }
    return 0;
}

/* What every odds endpoint starts with: odds_args and the checks. Returns 0 with *c held, or 1
 * with res answered. */
static int odds_prelude(struct aps_http_req *req, struct aps_http_res *res, int64_t *game_id,
                        int *market, const char **book, struct aps_conn **c)
{
    struct aps_stmt *g = NULL, *b = NULL;
    if (odds_args(req, res, game_id, market, book, c))
        return 1;
    int rc = odds_checks(*c, *game_id, *book, &g, &b);
    struct aps_stmt *both[2] = {g, b};
    if (!rc && b)
        rc = aps_conn_pipeline(*c, both, 2);
    return odds_checked(res, c, g, b, rc);
}

/* One page of items in the list envelope (page and limit were checked by the prelude). */
static int answer_quotes(const struct aps_http_req *req, struct aps_http_res *res, json_t *items)
{
    struct aps_api_page pg;
    if (!items)
        return aps_http_error(res, 500, "INTERNAL_ERROR", "a stored odds row is malformed");
    aps_api_q_page(req, res, &pg);
    return aps_http_json(res, 200, aps_api_list_slice(items, &pg));
}

/* Shared body of the endpoints that answer from the loaded snapshots: the checks and the
 * snapshots are read in one round trip. */
static int odds_answer(struct aps_http_req *req, struct aps_http_res *res,
                       json_t *(*build)(const struct aps_api_quote *, size_t))
{
    int64_t game_id;
    int market;
    const char *book;
    struct aps_conn *c = NULL;
    struct aps_stmt *g = NULL, *b = NULL, *qs = NULL;
    struct aps_api_quote *q = NULL;
    size_t n = 0;
    if (odds_args(req, res, &game_id, &market, &book, &c))
        return 0;
    int rc = odds_checks(c, game_id, book, &g, &b);
    if (!rc)
        rc = aps_api_quotes_prepare(c, game_id, market, book, &qs);
    struct aps_stmt *all[3] = {g, qs, b};
    if (!rc)
        rc = aps_conn_pipeline(c, all, b ? 3 : 2);
    if (odds_checked(res, &c, g, b, rc)) {
        aps_stmt_finalize(qs);
        return 0;
    }
    rc = aps_api_quotes_read(qs, &q, &n);
    aps_store_release(c);
    if (rc)
        return aps_api_db_error(res, rc);
    json_t *items = build(q, n);
    aps_free(q);
    return answer_quotes(req, res, items);
}

int aps_api_odds_current(struct aps_http_req *req, struct aps_http_res *res)
{
    return odds_answer(req, res, aps_api_quotes_current);
}

int aps_api_odds_best(struct aps_http_req *req, struct aps_http_res *res)
{
    return odds_answer(req, res, aps_api_quotes_best);
}

/* Every snapshot, in time order across books. */
static json_t *history_json(const struct aps_api_quote *q, size_t n)
{
    struct timed *t = aps_calloc(n ? n : 1, sizeof *t);
    for (size_t i = 0; i < n; i++)
        t[i] = (struct timed){&q[i], i};
    qsort(t, n, sizeof *t, cmp_time);
    json_t *items = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(items, aps_api_quote_json(t[i].q));
    aps_free(t);
    return items;
}

int aps_api_odds_history(struct aps_http_req *req, struct aps_http_res *res)
{
    return odds_answer(req, res, history_json);
}

/* Consecutive snapshots of one book, market and selection whose price or line differ. */
static json_t *derived_movements(const struct aps_api_quote *q, size_t n)
{
    json_t *items = json_array();
    for (size_t i = 1; i < n; i++) {
        const struct aps_api_quote *a = &q[i - 1], *b = &q[i];
        bool same_line = (isnan(a->line) && isnan(b->line)) || a->line == b->line;
        if (!same_key(a, b) || (same_line && a->price == b->price))
            continue;
        json_t *o = json_object();
        json_object_set_new(o, "book", json_string(b->book));
        json_object_set_new(o, "market", json_string(aps_market_name(b->market)));
        json_object_set_new(o, "selection", json_string(aps_selection_name(b->sel)));
        json_object_set_new(o, "old_line", aps_api_num(a->line));
        json_object_set_new(o, "new_line", aps_api_num(b->line));
        json_object_set_new(o, "old_price", aps_api_num(a->price));
        json_object_set_new(o, "new_price", aps_api_num(b->price));
        json_object_set_new(o, "from_phase", a->phase >= 0 ? json_string(aps_phase_name(a->phase))
                                                           : json_null());
        json_object_set_new(o, "to_phase", b->phase >= 0 ? json_string(aps_phase_name(b->phase))
                                                         : json_null());
        json_object_set_new(o, "detected_at", b->recorded_at ? aps_api_time(b->recorded_at)
                                                             : json_null());
        json_array_append_new(items, o);
    }
    return items;
}

/* The odds_movements rows of the game (with the filters); NULL on a store error (*rc set). */
static json_t *recorded_movements(struct aps_conn *c, int64_t game_id, int market,
                                  const char *book, int *rc)
{
    struct aps_api_where w = {0};
    struct aps_buf sql = {0};
    struct aps_stmt *st = NULL;
    aps_api_where_int(&w, "m.game_id = ?", game_id);
    if (market >= 0)
        aps_api_where_text(&w, "m.market = ?", aps_market_name(market));
    if (book)
        aps_api_where_text(&w, "b.key = ?", book);
    aps_buf_printf(&sql,
                   "SELECT b.key, m.market, m.selection, m.old_line, m.new_line, m.old_price,"
                   " m.new_price, m.detected_at FROM odds_movements m JOIN sportsbooks b"
                   " ON b.id = m.book_id%s ORDER BY m.detected_at, m.id",
                   aps_buf_str(&w.sql));
    json_t *items = json_array();
    *rc = aps_api_prepare(c, aps_buf_str(&sql), &w, &st);
    while (!*rc && (*rc = aps_stmt_step(st)) == APS_ROW) {
        *rc = 0;
        json_array_append_new(
            items, json_pack("{s:o?, s:o?, s:o?, s:o, s:o, s:o, s:o, s:o}", "book",
                             aps_api_col_str(st, 0), "market", aps_api_col_str(st, 1),
                             "selection", aps_api_col_str(st, 2), "old_line",
                             aps_api_col_num(st, 3), "new_line", aps_api_col_num(st, 4),
                             "old_price", aps_api_col_num(st, 5), "new_price",
                             aps_api_col_num(st, 6), "detected_at",
                             aps_api_col_time(st, 7, true)));
    }
    aps_stmt_finalize(st);
    aps_buf_cleanup(&sql);
    aps_api_where_cleanup(&w);
    if (*rc < 0) {
        json_decref(items);
        return NULL;
    }
    *rc = 0;
    return items;
}

int aps_api_odds_movements(struct aps_http_req *req, struct aps_http_res *res)
{
    int64_t game_id;
    int market;
    const char *book;
    struct aps_conn *c = NULL;
    struct aps_api_quote *q = NULL;
    size_t n = 0;
    int rc;
    if (odds_prelude(req, res, &game_id, &market, &book, &c))
        return 0;
    json_t *items = recorded_movements(c, game_id, market, book, &rc);
    const char *source = "odds_movements";
    if (!rc && json_array_size(items) == 0) {
        json_decref(items);
        items = NULL;
        rc = aps_api_quotes_load(c, game_id, market, book, &q, &n);
        if (!rc)
            items = derived_movements(q, n);
        source = "derived from consecutive odds snapshots";
    }
    aps_store_release(c);
    aps_free(q);
    if (rc)
        return aps_api_db_error(res, rc);
    struct aps_api_page pg;
    aps_api_q_page(req, res, &pg);
    json_t *list = aps_api_list_slice(items, &pg);
    json_object_set_new(list, "source", json_string(source));
    return aps_http_json(res, 200, list);
}

int aps_api_odds_closing(struct aps_http_req *req, struct aps_http_res *res)
{
    int64_t game_id;
    int market;
    const char *book;
    struct aps_conn *c = NULL;
    struct aps_api_where w = {0};
    struct aps_buf sql = {0};
    struct aps_stmt *st = NULL;
    if (odds_prelude(req, res, &game_id, &market, &book, &c))
        return 0;
    aps_api_where_int(&w, "cl.game_id = ?", game_id);
    aps_api_where_raw(&w, APS_CLOSE_STANDS_SQL("cl", "g"));
    if (market >= 0)
        aps_api_where_text(&w, "cl.market = ?", aps_market_name(market));
    if (book)
        aps_api_where_text(&w, "b.key = ?", book);
    aps_buf_printf(&sql,
                   "SELECT b.key, b.name, b.is_aggregate, cl.market, cl.selection, cl.line,"
                   " cl.price, cl.closed_at, cl.source FROM closing_lines cl JOIN sportsbooks b"
                   " ON b.id = cl.book_id JOIN games g ON g.id = cl.game_id%s"
                   " ORDER BY cl.market, cl.selection, b.key",
                   aps_buf_str(&w.sql));
    json_t *items = json_array();
    int rc = aps_api_prepare(c, aps_buf_str(&sql), &w, &st);
    while (!rc && (rc = aps_stmt_step(st)) == APS_ROW) {
        rc = 0;
        json_t *o = json_pack("{s:o?, s:o?, s:b, s:o?, s:o?, s:o}", "book",
                              aps_api_col_str(st, 0), "book_name", aps_api_col_str(st, 1),
                              "aggregate", aps_stmt_int64(st, 2) != 0, "market",
                              aps_api_col_str(st, 3), "selection", aps_api_col_str(st, 4),
                              "line", aps_api_col_num(st, 5));
        aps_api_price_fields(o, aps_stmt_double(st, 6));
        json_object_set_new(o, "closed_at", aps_api_col_time(st, 7, true));
        json_object_set_new(o, "source", aps_api_col_str(st, 8));
        json_array_append_new(items, o);
    }
    aps_stmt_finalize(st);
    aps_store_release(c);
    aps_buf_cleanup(&sql);
    aps_api_where_cleanup(&w);
    if (rc < 0) {
        json_decref(items);
        return aps_api_db_error(res, rc);
    }
    return answer_quotes(req, res, items);
}
