/* cmd_predict_batch.c — `aps predict --model NAME --from D --to D --format csv|json`: a trained
 * model's probabilities for every stored game in a date range, past or future, in one pass over
 * the sport's point-in-time features (the rows `aps models explain` and live picks compute). */
#include <jansson.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/opts.h"
#include "core/buf.h"
#include "core/csv.h"
#include "core/mem.h"
#include "core/str.h"
#include "core/strmap.h"
#include "core/timeutil.h"
#include "engine/model_predictor.h"
#include "engine/trainer.h"
#include "model/registry.h"
#include "store/store.h"

struct batch_args {
    const char *model, *sport, *market, *from, *to;
    bool json;
};

static int set_market(void *p, const char *opt, const char *v)
{
    (void)opt;
    if (aps_market_parse(v) < 0)
        return fprintf(stderr, "aps predict: --market must be moneyline, spread or total\n"), 1;
    ((struct batch_args *)p)->market = v;
    return 0;
}

static int set_date(const char *opt, const char *v, const char **out)
{
    int64_t t;
    if (strlen(v) != 10 || aps_time_parse_iso(v, &t))
        return fprintf(stderr, "aps predict: %s must be a date YYYY-MM-DD\n", opt), 1;
    *out = v;
    return 0;
}

static int set_from(void *p, const char *opt, const char *v)
{
    return set_date(opt, v, &((struct batch_args *)p)->from);
}

static int set_to(void *p, const char *opt, const char *v)
{
    return set_date(opt, v, &((struct batch_args *)p)->to);
}

static int set_format(void *p, const char *opt, const char *v)
{
    (void)opt;
    if (strcmp(v, "csv") && strcmp(v, "json"))
        return fprintf(stderr, "aps predict: --format must be csv or json\n"), 1;
    ((struct batch_args *)p)->json = !strcmp(v, "json");
    return 0;
}

static const struct aps_cli_opt options[] = {
    {"--model", APS_OPT_STR, offsetof(struct batch_args, model), NULL},
    {"--sport", APS_OPT_STR, offsetof(struct batch_args, sport), NULL},
    {"--market", APS_OPT_FN, 0, set_market},
    {"--from", APS_OPT_FN, 0, set_from},
    {"--to", APS_OPT_FN, 0, set_to},
    {"--format", APS_OPT_FN, 0, set_format},
};

/* Every argument is an option with a value; an unknown one is named with --model's hint. */
static int unknown(const struct aps_cli_opts *t, void *args, const char *arg)
{
    (void)t;
    (void)args;
    fprintf(stderr, "aps predict: unknown option %s with --model (see --help)\n", arg);
    return 1;
}

static int parse(int argc, char **argv, struct batch_args *a)
{
    static const struct aps_cli_opts table = {
        .cmd = "predict", .opt = options, .n = APS_CLI_OPTS_N(options), .arg = unknown};
    memset(a, 0, sizeof *a);
    if (aps_cli_opts_parse(&table, argc, argv, 1, a))
        return APS_EXIT_USAGE;
    if (!strcmp(a->model, "production") &&
        (!a->sport || aps_sport_from_code(a->sport) < 0 || !a->market)) {
        fprintf(stderr, "aps predict: --model production needs --sport CODE and --market M\n");
        return APS_EXIT_USAGE;
    }
    if (a->sport) { /* any case: the registry and the store hold the canonical code */
        int code = aps_sport_from_code(a->sport);
        if (code < 0) {
            fprintf(stderr, "aps predict: unknown sport %s\n", a->sport);
            return APS_EXIT_USAGE;
        }
        a->sport = aps_sport_info(code)->code;
    }
    if (a->from && a->to && strcmp(a->from, a->to) > 0) {
        fprintf(stderr, "aps predict: --from is after --to\n");
        return APS_EXIT_USAGE;
    }
    return 0;
}

/* Team id → key, for the sport's games. */
struct team_keys {
    struct aps_strmap index;   /* id text → position in key */
    char (*key)[48];
    size_t n;
};

static int team_keys_load(struct aps_conn *c, const char *sport, struct team_keys *tk)
{
    struct aps_stmt *st = NULL;
    size_t cap = 0;
    int rc = aps_conn_preparef(c, &st,
                               "SELECT t.id, t.key FROM teams t JOIN sports sp"
                               " ON sp.id = t.sport_id WHERE sp.code = ?1",
                               "s", sport);
    while (!rc && (rc = aps_stmt_step(st)) == APS_ROW) {
        char id[24];
        if (tk->n == cap) {
            cap = cap ? cap * 2 : 64;
            tk->key = aps_realloc(tk->key, cap * sizeof *tk->key);
        }
        snprintf(id, sizeof id, "%lld", (long long)aps_stmt_int64(st, 0));
        rc = aps_str_copy(tk->key[tk->n], sizeof tk->key[0], aps_stmt_text(st, 1));
        if (rc)
            break; /* a truncated team key would name another team */
        aps_strmap_put(&tk->index, id, (int64_t)tk->n++);
    }
    aps_stmt_finalize(st);
    return rc == APS_DONE ? 0 : rc;
}

static void team_keys_cleanup(struct team_keys *tk)
{
    aps_strmap_cleanup(&tk->index);
    aps_free(tk->key);
    memset(tk, 0, sizeof *tk);
}

static const char *team_key(const struct team_keys *tk, int64_t id, char *buf, size_t cap)
{
    char k[24];
    int64_t i;
    snprintf(k, sizeof k, "%lld", (long long)id);
    snprintf(buf, cap, "%s", aps_strmap_get(&tk->index, k, &i) ? tk->key[i] : k);
    return buf;
}

/* The line a spread/total probability is given at: the closing main line, else the latest
 * pre-match or opening one; NAN when the game has none. */
static double game_line(const struct aps_history *h, size_t gi, enum aps_market m)
{
    static const enum aps_phase order[] = {APS_PHASE_CLOSE, APS_PHASE_PRE, APS_PHASE_OPEN};
    for (size_t i = 0; i < sizeof order / sizeof order[0]; i++) {
        double l = aps_feat_main_line(h, gi, m, order[i]);
        if (!isnan(l))
            return l;
    }
    return NAN;
}

/* One game's outcomes: the selections of the market with their probabilities. */
struct outcome_row {
    int n;
    const char *name[3];
    double p[3];
    double line, mu, sigma;
};

static void outcomes(const struct aps_trained *t, const struct aps_prediction *pr,
                     const struct aps_history *h, size_t gi, struct outcome_row *o)
{
    static const enum aps_selection ml2[] = {APS_SEL_HOME, APS_SEL_AWAY},
                                    ml3[] = {APS_SEL_HOME, APS_SEL_DRAW, APS_SEL_AWAY},
                                    sp[] = {APS_SEL_HOME, APS_SEL_AWAY},
                                    tot[] = {APS_SEL_OVER, APS_SEL_UNDER};
    const enum aps_selection *sel = t->market == APS_MKT_SPREAD ? sp
                                    : t->market == APS_MKT_TOTAL ? tot
                                    : t->k == 3                  ? ml3
                                                                 : ml2;
    o->n = t->market == APS_MKT_MONEYLINE && t->k == 3 ? 3 : 2;
    o->line = t->market == APS_MKT_MONEYLINE ? NAN : game_line(h, gi, t->market);
    o->mu = t->regression ? pr->mu : NAN;
    o->sigma = t->regression ? pr->sigma : NAN;
    for (int j = 0; j < o->n; j++) {
        /* o->line is the home side's spread; the away side's own line is its negation */
        double own = t->market == APS_MKT_SPREAD && sel[j] == APS_SEL_AWAY ? -o->line : o->line;
        o->name[j] = aps_selection_name(sel[j]);
        o->p[j] = t->regression && isnan(o->line) ? NAN : aps_trained_prob(t, pr, sel[j], own);
    }
}

static json_t *num(double v)
{
    return isfinite(v) ? json_real(v) : json_null();
}

/* One game's line of the CSV (the header in write_games). */
static void csv_row(const struct aps_hist_game *g, const char *home, const char *away,
                    const char *name, enum aps_market market, bool in_training,
                    const struct outcome_row *o)
{
    struct aps_buf row = {0};
    aps_buf_printf(&row, "%lld,%s,%s,", (long long)g->id, g->date, g->season);
    aps_csv_put_text(&row, home);
    aps_buf_putc(&row, ',');
    aps_csv_put_text(&row, away);
    aps_buf_printf(&row, ",%s,", aps_status_name(g->status));
    if (g->home_score >= 0)
        aps_buf_printf(&row, "%d,%d,", g->home_score, g->away_score);
    else
        aps_buf_puts(&row, ",,");
    aps_buf_printf(&row, "%s,%s,%d,", name, aps_market_name(market), in_training);
    aps_csv_put_num(&row, o->line, -1);
    aps_buf_putc(&row, ',');
    aps_csv_put_num(&row, o->mu, 6);
    aps_buf_putc(&row, ',');
    aps_csv_put_num(&row, o->sigma, 6);
    for (int k = 0; k < 3; k++) {
        aps_buf_printf(&row, ",%s,", k < o->n ? o->name[k] : "");
        if (k < o->n)
            aps_csv_put_num(&row, o->p[k], 9);
    }
    aps_buf_putc(&row, '\n');
    fwrite(aps_buf_str(&row), 1, row.len, stdout);
    aps_buf_cleanup(&row);
}

/* Prints every game of the window; *count gets how many. */
static int write_games(const struct aps_trained *t, const struct aps_history *h,
                       const struct aps_feat_matrix *m, const struct team_keys *keys,
                       const struct batch_args *a, const char *name, const char *fresh,
                       size_t *count)
{
    json_t *arr = a->json ? json_array() : NULL;
    if (!a->json)
        fprintf(stdout, "game_id,date,season,home,away,status,home_score,away_score,model,market,"
                        "in_training,line,mu,sigma,selection_1,p_1,selection_2,p_2,selection_3,"
                        "p_3\n");
    int rc = 0;
    *count = 0;
    for (size_t gi = 0; gi < h->ngames && !rc; gi++) {
        const struct aps_hist_game *g = &h->games[gi];
        if ((a->from && strcmp(g->date, a->from) < 0) || (a->to && strcmp(g->date, a->to) > 0))
            continue;
        const double *x = m->x + gi * (size_t)m->d;
        double ed = NAN;
        for (int j = 0; j < t->spec.ncols; j++)
            if (t->spec.col[j] == APS_F_ELO_DIFF)
                ed = x[j];
        struct aps_prediction pr;
        rc = aps_trained_predict(t, x, m->elo + gi * 3, ed, &pr);
        if (rc)
            break;
        struct outcome_row o;
        outcomes(t, &pr, h, gi, &o);
        char home[64], away[64];
        bool in_training = strcmp(g->date, fresh) < 0;
        (*count)++;
        if (a->json) {
            json_t *j = json_pack("{s:I,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:b}", "game_id",
                                  (json_int_t)g->id, "date", g->date, "season", g->season, "home",
                                  team_key(keys, g->home, home, sizeof home), "away",
                                  team_key(keys, g->away, away, sizeof away), "status",
                                  aps_status_name(g->status), "model", name, "market",
                                  aps_market_name(t->market), "in_training", in_training);
            json_object_set_new(j, "home_score", g->home_score >= 0 ? json_integer(g->home_score)
                                                                    : json_null());
            json_object_set_new(j, "away_score", g->away_score >= 0 ? json_integer(g->away_score)
                                                                    : json_null());
            if (t->market != APS_MKT_MONEYLINE) {
                json_object_set_new(j, "line", num(o.line));
                json_object_set_new(j, "mu", num(o.mu));
                json_object_set_new(j, "sigma", num(o.sigma));
            }
            json_t *p = json_object();
            for (int k = 0; k < o.n; k++)
                json_object_set_new(p, o.name[k], num(o.p[k]));
            json_object_set_new(j, "probabilities", p);
            json_array_append_new(arr, j);
            continue;
        }
        csv_row(g, team_key(keys, g->home, home, sizeof home),
                team_key(keys, g->away, away, sizeof away), name, t->market, in_training, &o);
    }
    if (arr) {
        if (!rc)
            json_dumpf(arr, stdout, JSON_INDENT(1) | JSON_PRESERVE_ORDER);
        if (!rc)
            putchar('\n');
        json_decref(arr);
    }
    return rc;
}

static int run(struct aps_conn *c, const struct batch_args *a)
{
    struct aps_model_row r;
    struct aps_trained t;
    int rc = !strcmp(a->model, "production") ? aps_registry_production(c, a->sport, a->market, &r)
                                             : aps_registry_get(c, a->model, &r);
    if (rc) {
        fprintf(stderr, "aps predict: no model %s%s%s%s%s\n", a->model, a->sport ? " for " : "",
                a->sport ? a->sport : "", a->market ? " " : "", a->market ? a->market : "");
        return APS_EXIT_FAIL;
    }
    if ((a->sport && strcmp(a->sport, r.sport)) || (a->market && strcmp(a->market, r.market))) {
        fprintf(stderr, "aps predict: %s models %s %s, not %s %s\n", r.name, r.sport, r.market,
                a->sport ? a->sport : r.sport, a->market ? a->market : r.market);
        aps_registry_row_cleanup(&r);
        return APS_EXIT_USAGE;
    }
    char why[APS_REGISTRY_WHY_CAP];
    rc = aps_registry_load(r.path, &t, why, sizeof why);
    if (rc) {
        fprintf(stderr, "aps predict: %s: cannot load the model: %s\n", r.name, why);
        aps_registry_row_cleanup(&r);
        return APS_EXIT_FAIL;
    }
    struct aps_history h = {0};
    struct aps_feat_extras x = {0};
    struct aps_feat_matrix m = {0};
    struct aps_model_preds preds = {0};
    struct team_keys keys = {0};
    char fresh[11];
    const char *code = aps_sport_info(t.sport)->code;
    double t0 = aps_time_mono();
    rc = aps_history_load(c, t.sport, NULL, a->to, &h);
    if (!rc)
        rc = aps_feat_extras_load(c, &h, &x);
    if (!rc)
        rc = aps_feat_build(&h, x.n ? &x : NULL, &t.spec, &m);
    if (!rc)
        rc = aps_registry_preds_load(c, r.id, &preds);
    if (!rc)
        rc = team_keys_load(c, code, &keys);
    size_t n = 0;
    if (!rc) {
        aps_model_fresh_from(r.params, &preds, &h, fresh);
        rc = write_games(&t, &h, &m, &keys, a, r.name, fresh, &n);
    }
    if (rc)
        fprintf(stderr, "aps predict: %s: %s %s\n", r.name, aps_strerror(rc), aps_conn_errmsg(c));
    else if (!n)
        fprintf(stderr, "aps predict: no %s game dated %s .. %s\n", code,
                a->from ? a->from : "the start", a->to ? a->to : "the end");
    else
        fprintf(stderr, "aps predict: %zu %s games, model %s, %.2fs\n", n, code, r.name,
                aps_time_mono() - t0);
    team_keys_cleanup(&keys);
    aps_registry_preds_cleanup(&preds);
    aps_feat_matrix_cleanup(&m);
    aps_feat_extras_cleanup(&x);
    aps_history_cleanup(&h);
    aps_trained_cleanup(&t);
    aps_registry_row_cleanup(&r);
    return rc || !n ? APS_EXIT_FAIL : APS_EXIT_OK;
}

int aps_cmd_predict_batch(struct aps_cli *cli, int argc, char **argv)
{
    struct batch_args a;
    int rc = parse(argc, argv, &a);
    if (rc)
        return rc;
    struct aps_store *st = NULL;
    struct aps_conn *c = NULL;
    if (aps_cli_open_conn(cli, "predict", APS_DB_READ, &st, &c))
        return APS_EXIT_FAIL;
    rc = run(c, &a);
    aps_store_release(c);
    aps_store_close(st);
    return rc;
}
