/* api_fixture.h — what the domain endpoint tests share: a fresh SQLite store migrated with the
 * real migrations and seeded with a few games, books, odds, closing lines, locked-in picks,
 * users, models and alerts; an application context around it; and requests built by hand that
 * the handlers are called with directly (no HTTP server).
 *
 * Query parameters and headers: tr_query() and tr_header() fill the request's arrays (in its
 * arena, as the server does), and the handlers read them through the HTTP layer's own
 * aps_http_query() and aps_http_header(). */
#ifndef APS_TEST_API_FIXTURE_H
#define APS_TEST_API_FIXTURE_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <ftw.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "config/config.h"
#include "core/mem.h"
#include "core/timeutil.h"
#include "engine/lockin.h"
#include "http/http.h"
#include "services/app.h"
#include "services/routes.h"
#include "store/migrate.h"
#include "store/store.h"

#define FX_UNUSED __attribute__((unused))
#define FX_MAX_Q 16

/* A request and its response; q and h are the request's query and header arrays. */
struct treq {
    struct aps_http_req req;
    struct aps_http_res res;
    struct aps_route route;
    struct aps_http_kv *q, *h; /* FX_MAX_Q entries each in req.arena, taken on first use */
};

/* Ids the seed creates (fixed: the store is fresh). */
enum {
    FX_USER = 1,      /* role user */
    FX_OTHER = 2,     /* another user */
    FX_ADMIN = 3,     /* admin */
    FX_G_FINAL = 1,   /* NFL KC–BAL, final 27–20, with odds and closing lines */
    FX_G_FUTURE = 2,  /* NFL BUF–MIA in two days, scheduled, live odds */
    FX_G_TODAY = 3,   /* EPL ARS–CHE today (UTC), three hours from now */
    FX_G_STARTED = 4, /* NFL KC–MIA, scheduled but started an hour ago */
};

struct fixture {
    char dir[256];
    struct aps_config *cfg;
    struct aps_app app;
    int64_t now;
    char today[11];
    char hash[4][APS_HASH_HEX]; /* lock-in hashes of picks 1..3 */
};

static void fx_exec(struct fixture *fx, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void fx_exec(struct fixture *fx, const char *fmt, ...)
{
    char sql[4096];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(sql, sizeof sql, fmt, ap);
    va_end(ap);
    assert_true(n > 0 && n < (int)sizeof sql);
    struct aps_conn *c = NULL;
    assert_int_equal(aps_store_acquire(fx->app.store, APS_DB_WRITE, &c), 0);
    if (aps_conn_exec(c, sql))
        fail_msg("seed SQL failed: %s\n%s", aps_conn_errmsg(c), sql);
    aps_store_release(c);
}

/* First column of the first row as int64 (fails the test when there is none). */
static FX_UNUSED int64_t fx_int(struct fixture *fx, const char *sql)
{
    struct aps_conn *c = NULL;
    int64_t v = 0;
    assert_int_equal(aps_store_acquire(fx->app.store, APS_DB_WRITE, &c), 0);
    int rc = aps_conn_query_int64(c, sql, 0, NULL, &v);
    if (rc)
        fail_msg("query failed (%d): %s: %s", rc, sql, aps_conn_errmsg(c));
    aps_store_release(c);
    return v;
}

static FX_UNUSED double fx_double(struct fixture *fx, const char *sql)
{
    struct aps_conn *c = NULL;
    struct aps_stmt *st = NULL;
    assert_int_equal(aps_store_acquire(fx->app.store, APS_DB_WRITE, &c), 0);
    assert_int_equal(aps_conn_prepare(c, sql, &st), 0);
    assert_int_equal(aps_stmt_step(st), APS_ROW);
    double v = aps_stmt_double(st, 0);
    aps_stmt_finalize(st);
    aps_store_release(c);
    return v;
}

static void seed_games(struct fixture *fx)
{
    int64_t now = fx->now, past = now - 40 * 86400, soon = now + 2 * 86400;
    char d_past[11], d_soon[11];
    aps_time_format_date(past, d_past, sizeof d_past);
    aps_time_format_date(soon, d_soon, sizeof d_soon);
    fx_exec(fx, "INSERT INTO sports (code, name, kind, three_way) VALUES"
                " ('NFL', 'National Football League', 'team', 0),"
                " ('EPL', 'English Premier League', 'team', 1);"
                "INSERT INTO teams (sport_id, key, name) VALUES (1, 'KC', 'Kansas City Chiefs'),"
                " (1, 'BAL', 'Baltimore Ravens'), (1, 'BUF', 'Buffalo Bills'),"
                " (1, 'MIA', 'Miami Dolphins'), (2, 'ARS', 'Arsenal'), (2, 'CHE', 'Chelsea');"
                "INSERT INTO seasons (sport_id, label) VALUES (1, '2024'), (2, '2024-25');");
    fx_exec(fx,
            "INSERT INTO games (sport_id, season_id, game_date, home_team_id, away_team_id,"
            " start_time, time_known, status, home_score, away_score, created_at, updated_at)"
            " VALUES (1, 1, '%s', 1, 2, %lld, 1, 'final', 27, 20, 0, 0),"
            " (1, 1, '%s', 3, 4, %lld, 1, 'scheduled', NULL, NULL, 0, 0),"
            " (2, 2, '%s', 5, 6, %lld, 1, 'scheduled', NULL, NULL, 0, 0),"
            " (1, 1, '%s', 1, 4, %lld, 1, 'scheduled', NULL, NULL, 0, 0)",
            d_past, (long long)past, d_soon, (long long)soon, fx->today,
            (long long)(now + 3 * 3600), fx->today, (long long)(now - 3600));
}

/* Books: pinnacle (sharp), draftkings, fanduel, avg (aggregate). Game 1 has an open and a
 * close per book; game 2 has two timed live snapshots at draftkings (a move) and one at
 * fanduel. */
static void seed_odds(struct fixture *fx)
{
    long long t1 = (long long)(fx->now - 7200), t2 = (long long)(fx->now - 600);
    fx_exec(fx, "INSERT INTO sportsbooks (key, name, is_sharp, is_aggregate) VALUES"
                " ('pinnacle', 'Pinnacle', 1, 0), ('draftkings', 'DraftKings', 0, 0),"
                " ('fanduel', 'FanDuel', 0, 0), ('avg', 'Market average', 0, 1)");
    fx_exec(fx,
            "INSERT INTO odds (game_id, book_id, market, selection, phase, recorded_at, line,"
            " price) VALUES"
            " (1, 1, 'moneyline', 'home', 'open', 0, NULL, 1.60),"
            " (1, 1, 'moneyline', 'away', 'open', 0, NULL, 2.45),"
            " (1, 1, 'moneyline', 'home', 'close', 0, NULL, 1.55),"
            " (1, 1, 'moneyline', 'away', 'close', 0, NULL, 2.60),"
            " (1, 2, 'moneyline', 'home', 'close', 0, NULL, 1.58),"
            " (1, 2, 'moneyline', 'away', 'close', 0, NULL, 2.50),"
            " (1, 4, 'moneyline', 'home', 'close', 0, NULL, 1.70),"
            " (1, 1, 'spread', 'home', 'close', 0, -3.5, 1.95),"
            " (1, 1, 'spread', 'away', 'close', 0, 3.5, 1.91),"
            " (1, 2, 'spread', 'home', 'close', 0, -3.0, 1.87),"
            " (1, 2, 'spread', 'away', 'close', 0, 3.0, 1.95),"
            " (2, 2, 'moneyline', 'home', 'live', %lld, NULL, 1.80),"
            " (2, 2, 'moneyline', 'home', 'live', %lld, NULL, 1.85),"
            " (2, 2, 'moneyline', 'away', 'live', %lld, NULL, 2.05),"
            " (2, 3, 'moneyline', 'home', 'live', %lld, NULL, 1.83),"
            " (2, 3, 'moneyline', 'away', 'live', %lld, NULL, 2.10)",
            t1, t2, t1, t1, t1);
    fx_exec(fx, "INSERT INTO closing_lines (game_id, book_id, market, selection, line, price,"
                " closed_at, source) VALUES"
                " (1, 1, 'moneyline', 'home', NULL, 1.55, 0, 'test'),"
                " (1, 1, 'moneyline', 'away', NULL, 2.60, 0, 'test'),"
                " (1, 2, 'moneyline', 'home', NULL, 1.58, 0, 'test'),"
                " (1, 2, 'moneyline', 'away', NULL, 2.50, 0, 'test'),"
                " (1, 1, 'spread', 'home', -3.5, 1.95, 0, 'test'),"
                " (1, 1, 'spread', 'away', 3.5, 1.91, 0, 'test')");
}

/* Three picks through the real lock-in chain: 1 on game 1 (graded win), 2 on game 2 (both
 * published bets), 3 on game 3 (tracking only). */
static void seed_picks(struct fixture *fx)
{
    struct aps_conn *c = NULL;
    assert_int_equal(aps_store_acquire(fx->app.store, APS_DB_WRITE, &c), 0);
    struct {
        int64_t game;
        enum aps_market m;
        enum aps_selection s;
        double line, price, p, mp, edge;
        const char *tier, *book;
    } picks[3] = {
        {FX_G_FINAL, APS_MKT_MONEYLINE, APS_SEL_HOME, NAN, 1.60, 0.68, 0.61, 0.07, "A", "pinnacle"},
        {FX_G_FUTURE, APS_MKT_MONEYLINE, APS_SEL_HOME, NAN, 1.85, 0.58, 0.53, 0.05, "C",
         "draftkings"},
        {FX_G_TODAY, APS_MKT_MONEYLINE, APS_SEL_AWAY, NAN, 3.10, 0.36, 0.31, 0.05, "", "fanduel"},
    };
    for (int i = 0; i < 3; i++) {
        struct aps_pick p;
        memset(&p, 0, sizeof p);
        p.game_id = picks[i].game;
        snprintf(p.model, sizeof p.model, "elo");
        p.market = picks[i].m;
        p.selection = picks[i].s;
        p.line = picks[i].line;
        p.price = picks[i].price;
        snprintf(p.book, sizeof p.book, "%s", picks[i].book);
        p.probability = picks[i].p;
        p.market_probability = picks[i].mp;
        p.edge = picks[i].edge;
        snprintf(p.tier, sizeof p.tier, "%s", picks[i].tier);
        p.stake_fraction = i == 2 ? 0 : 0.01;
        snprintf(p.publication, sizeof p.publication, "%s", i == 2 ? "tracking_only" : "published");
        snprintf(p.no_bet_reason, sizeof p.no_bet_reason, "%s",
                 i == 2 ? "tracking only: no model passed the promotion gate for EPL moneyline"
                        : "");
        if (aps_lockin_append(c, &p))
            fail_msg("lock-in: %s", aps_conn_errmsg(c));
        assert_int_equal(p.id, i + 1);
        memcpy(fx->hash[i + 1], p.hash, APS_HASH_HEX);
    }
    aps_store_release(c);
    fx_exec(fx,
            "INSERT INTO prediction_results (prediction_id, result, profit_loss,"
            " closing_line, closing_price, clv, graded_at) VALUES"
            " (1, 'win', 0.60, NULL, 1.55, 0.0213, %lld);"
            "INSERT INTO prediction_explanations (prediction_id, rank, feature, value,"
            " contribution) VALUES (1, 1, 'elo_diff', 85.0, 0.061),"
            " (1, 2, 'rest_days_diff', -1.0, -0.012)",
            (long long)fx->now);
}

static void seed_accounts(struct fixture *fx)
{
    fx_exec(fx,
            "INSERT INTO users (email, password_hash, name, role, created_at, updated_at) VALUES"
            " ('u1@example.com', 'x', 'User One', 'user', 0, 0),"
            " ('u2@example.com', 'x', 'User Two', 'user', 0, 0),"
            " ('admin@example.com', 'x', 'Admin', 'admin', 0, 0);"
            "INSERT INTO sessions (user_id, token_hash, expires_at, created_at) VALUES"
            " (2, 'h1', 9999999999, 0), (2, 'h2', 9999999999, 0), (1, 'h3', 9999999999, 0);"
            "INSERT INTO models (name, sport_id, market, family, status, path, features,"
            " params, data_hash, metrics, log_loss, ece, games, leakage_ok, created_at) VALUES"
            " ('nfl_ml_elo_1', 1, 'moneyline', 'elo', 'production', 'var/models/a', '[\"elo\"]',"
            "  '{}', 'abc', '{\"log_loss\":0.66}', 0.66, 0.02, 5000, 1, 1),"
            " ('nfl_ml_gbm_2', 1, 'moneyline', 'gbm', 'challenger', 'var/models/b',"
            "  '[\"elo\",\"rest\"]', '{\"depth\":4}', 'def', '{}', 0.64, 0.01, 5000, 1, 2),"
            " ('nfl_ml_gbm_3', 1, 'moneyline', 'gbm', 'challenger', 'var/models/c', '[]', '{}',"
            "  'ghi', '{}', 0.60, 0.03, 5000, 0, 3);"
            "INSERT INTO training_runs (sport_id, market, status, seed, leaderboard,"
            " best_model_id, started_at) VALUES (1, 'moneyline', 'completed', 7, '[]', 2, 1);"
            "INSERT INTO alerts (kind, severity, title, message, created_at) VALUES"
            " ('odds_stale', 'warning', 'Odds stale', 'NFL odds older than 1 h', 10),"
            " ('job_dead', 'critical', 'Job dead', 'train failed', 20);"
            "INSERT INTO data_quality_checks (check_code, source, passed, records_checked,"
            " failed_count, score, checked_at) VALUES ('DQ001', 'odds', 1, 100, 0, 1.0, 5),"
            " ('DQ001', 'odds', 0, 120, 3, 0.97, 6)");
}

static int rm_entry(const char *p, const struct stat *sb, int flag, struct FTW *f)
{
    (void)sb;
    (void)flag;
    (void)f;
    return remove(p);
}

static FX_UNUSED int fx_setup(void **state)
{
    struct fixture *fx = aps_calloc(1, sizeof *fx);
    char err[512], url[300];
    snprintf(fx->dir, sizeof fx->dir, "/tmp/aps-api-test-XXXXXX");
    assert_non_null(mkdtemp(fx->dir));
    snprintf(url, sizeof url, "sqlite:///%s/t.db", fx->dir);
    struct aps_config_opts co = {NULL, fx->dir};
    if (aps_config_load(&fx->cfg, &co, err, sizeof err))
        fail_msg("config: %s", err);
    struct aps_store_opts so = {.url = url,
                                .pool_size = 2,
                                .pool_overflow = 2,
                                .pool_timeout = 5.0};
    if (aps_store_open(&fx->app.store, &so, err, sizeof err))
        fail_msg("store: %s", err);
    int applied = 0;
    if (aps_migrate_up(fx->app.store, APS_SOURCE_DIR "/migrations", NULL, &applied, err,
                       sizeof err))
        fail_msg("migrate: %s", err);
    fx->app.cfg = fx->cfg;
    fx->app.log.level = APS_LOG_OFF;
    fx->now = aps_time_now();
    aps_time_format_date(fx->now, fx->today, sizeof fx->today);
    seed_games(fx);
    seed_odds(fx);
    seed_picks(fx);
    seed_accounts(fx);
    *state = fx;
    return 0;
}

static FX_UNUSED int fx_teardown(void **state)
{
    struct fixture *fx = *state;
    aps_store_close(fx->app.store);
    aps_config_free(fx->cfg);
    nftw(fx->dir, rm_entry, 8, FTW_DEPTH | FTW_PHYS);
    aps_free(fx);
    return 0;
}

/* ---- requests ------------------------------------------------------------------------------ */

static FX_UNUSED void tr_init(struct treq *t, struct fixture *fx, const char *method,
                              const char *pattern, int64_t user_id, enum aps_role role)
{
    memset(t, 0, sizeof *t);
    t->route.method = method;
    t->route.pattern = pattern;
    /* the real row when the table has one: its query spec gives the parameters' bounds */
    for (size_t i = 0; i < aps_nroutes; i++)
        if (!strcmp(aps_routes[i].method, method) && !strcmp(aps_routes[i].pattern, pattern))
            t->route = aps_routes[i];
    t->req.method = method;
    t->req.path = pattern;
    t->req.route = &t->route;
    t->req.app = &fx->app;
    t->req.who.authenticated = user_id != 0;
    t->req.who.user_id = user_id;
    t->req.who.role = role;
    snprintf(t->req.request_id, sizeof t->req.request_id, "test");
    snprintf(t->req.client_ip, sizeof t->req.client_ip, "127.0.0.1");
}

static FX_UNUSED void tr_param(struct treq *t, int idx, const char *v)
{
    t->req.params[idx] = v;
}

/* Appends name=value to one of the request's arrays (*kv, *n), taking it on first use. */
static FX_UNUSED void tr_add(struct treq *t, struct aps_http_kv **kv, size_t *n, const char *k,
                             const char *v)
{
    if (!*kv)
        *kv = aps_arena_alloc(&t->req.arena, FX_MAX_Q * sizeof **kv);
    assert_true(*n < FX_MAX_Q);
    (*kv)[(*n)++] = (struct aps_http_kv){k, v, strlen(k), v ? strlen(v) : 0};
}

/* A query parameter as the server would take it from the URL (v NULL: sent without '='). */
static FX_UNUSED void tr_query(struct treq *t, const char *k, const char *v)
{
    tr_add(t, &t->q, &t->req.nquery, k, v);
    t->req.query = t->q;
}

static FX_UNUSED void tr_header(struct treq *t, const char *k, const char *v)
{
    tr_add(t, &t->h, &t->req.nheaders, k, v);
    t->req.headers = t->h;
}

static FX_UNUSED void tr_body(struct treq *t, const char *json)
{
    json_error_t e;
    t->req.body = json;
    t->req.body_len = strlen(json);
    t->req.json = json_loads(json, JSON_DECODE_ANY, &e);
    if (!t->req.json)
        fail_msg("test body is not JSON: %s", e.text);
}

/* Runs the handler; returns the status (200 when the handler left it 0). */
static FX_UNUSED int tr_run(struct treq *t, aps_http_handler h)
{
    assert_int_equal(h(&t->req, &t->res), 0);
    assert_non_null(t->res.json);
    return t->res.status ? t->res.status : 200;
}

static FX_UNUSED void tr_cleanup(struct treq *t)
{
    json_decref(t->req.json);
    json_decref(t->res.json);
    aps_arena_cleanup(&t->req.arena);
    memset(t, 0, sizeof *t);
}

/* The response's error code ("VALIDATION_ERROR"), or "" when it is not an error. */
static FX_UNUSED const char *tr_code(const struct treq *t)
{
    const char *c = json_string_value(
        json_object_get(json_object_get(t->res.json, "error"), "code"));
    return c ? c : "";
}

/* True when the validation details name field. */
static FX_UNUSED bool tr_detail(const struct treq *t, const char *field)
{
    json_t *d = json_object_get(json_object_get(t->res.json, "error"), "details");
    for (size_t i = 0; i < json_array_size(d); i++)
        if (!strcmp(json_string_value(json_object_get(json_array_get(d, i), "field")), field))
            return true;
    return false;
}

static FX_UNUSED json_t *tr_get(const struct treq *t, const char *key)
{
    return json_object_get(t->res.json, key);
}

static FX_UNUSED double jnum(json_t *o, const char *key)
{
    json_t *v = json_object_get(o, key);
    return json_is_number(v) ? json_number_value(v) : NAN;
}

static FX_UNUSED const char *jstr(json_t *o, const char *key)
{
    return json_string_value(json_object_get(o, key));
}

#endif
