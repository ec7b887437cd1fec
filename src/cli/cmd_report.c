/* cmd_report.c — `aps report models [--out FILE]`: writes docs/models.md from the registry, the
 * stored walk-forward predictions and the stored odds. Every number in the file is computed here,
 * on the same games for every column of a table:
 *   - the leaderboard of the training run that made the model reported, per sport and market;
 *   - the production model's walk-forward probabilities next to the market's no-vig probabilities
 *     at the entry (opening or pre-match) phase, at the close (on the market gate's games,
 *     engine/gate.h), and FiveThirtyEight's;
 *   - the verdict of the model's stored market gate, in the summary and the goals;
 *   - the production model's picks on the gate's games replayed by the backtest, as the gate
 *     replays them (aps_gate_backtest_opts);
 *   - the Elo predictor's backtest scores next to the closing market per sport. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/opts.h"
#include "config/config.h"
#include "core/buf.h"
#include "core/file.h"
#include "core/mem.h"
#include "core/timeutil.h"
#include "engine/backtest.h"
#include "engine/elo_store.h"
#include "engine/gate.h"
#include "engine/market.h"
#include "engine/model_predictor.h"
#include "engine/report.h"
#include "model/registry.h"
#include "odds/scoring.h"
#include "odds/tier.h"
#include "store/store.h"
#include <jansson.h>

static void help(FILE *out)
{
    fprintf(out,
            "usage: aps report models [--out FILE]\n\n"
            "Writes the model report (default docs/models.md): per sport and market the\n"
            "production model (else the latest challenger) with the leaderboard of the\n"
            "'aps train' run that made it, its walk-forward log-loss, Brier,\n"
            "ECE and AUC next to the market's no-vig opening/pre-match and closing probabilities\n"
            "and FiveThirtyEight's on the same games, its market gate as `aps train` stored it\n"
            "(the closing-market row is computed on exactly the gate's games), the backtest of\n"
            "its picks on those games, and the Elo predictor next to the closing market.\n\n"
            "FILE is a regular file (through symbolic links) or a new file in an existing\n"
            "directory, not a device or a pipe. The report is made in memory, written to a\n"
            "temporary file beside FILE and renamed over it: an interrupted or failed run\n"
            "leaves FILE as it was. FILE's out-of-sample section (bench/oos/run.sh) is kept.\n");
}

/* ---- one market of one sport ---- */

static void write_pair(FILE *out, const char *who, const struct aps_report_pairs *s)
{
    struct aps_report_scores a, b;
    if (!s->n) {
        fprintf(out, "| model vs %s | 0 | – | – | – | – | – | – | – | – |\n", who);
        return;
    }
    aps_report_score(s->a, s->y, s->n, s->k, &a);
    aps_report_score(s->b, s->y, s->n, s->k, &b);
    fprintf(out, "| model vs %s | %zu | %.4f | %.4f | %+.2f %% | %.4f | %.4f | %.4f | %.4f | "
                 "%.3f / %.3f |\n", who, s->n, a.ll, b.ll, 100 * (a.ll - b.ll) / b.ll, a.brier,
            b.brier, a.ece, b.ece, a.auc, b.auc);
}

/* The stored market gate's verdict in a few words: yes/no with the gap and the games; "not
 * measured" for a model without one (gate zeroed). */
static void gate_verdict(const struct aps_gate *g, char *out, size_t cap)
{
    if (!g->games && !g->why[0]) {
        snprintf(out, cap, "not measured (no market gate on record)");
        return;
    }
    if (!g->games || !(g->ll_market > 0)) {
        snprintf(out, cap, "no (no game with a closing price)");
        return;
    }
    double gap = 100 * (g->ll_model / g->ll_market - 1);
    snprintf(out, cap, "%s (%+.2f %%, %zu games)", g->passed ? "yes" : "no", gap, g->games);
}

/* The verdicts of the goals, computed from the same-games sets; the closing-line goal is the
 * model's stored market gate. */
static void write_goals(FILE *out, const struct aps_report_market *mc,
                        const struct aps_model_row *r, const struct aps_gate *gate)
{
    struct aps_report_scores a, b;
    fprintf(out, "\nGoals (benchmarks):\n\n");
    if (mc->entry.n) {
        aps_report_score(mc->entry.a, mc->entry.y, mc->entry.n, mc->entry.k, &a);
        aps_report_score(mc->entry.b, mc->entry.y, mc->entry.n, mc->entry.k, &b);
        fprintf(out, "- beats the %s market's no-vig log-loss: **%s** (%.4f against %.4f)\n",
                mc->entry_mixed ? "opening/pre-match" : aps_phase_name(mc->entry_phase),
                a.ll < b.ll ? "yes" : "no", a.ll, b.ll);
    } else {
        fprintf(out, "- beats the opening/pre-match market: **not measurable** — the data has no "
                     "opening or pre-match prices for this market\n");
    }
    char verdict[160];
    gate_verdict(gate, verdict, sizeof verdict);
    fprintf(out, "- within 0.5 %% of the closing line's log-loss (the market gate, on the closing "
                 "market's row above): **%s**", verdict);
    if (gate->games || gate->scored)
        fprintf(out, " — %zu of the %zu games it scored walk-forward; %zu without a closing "
                     "price, %zu whose closing line is not the line it predicted",
                gate->games, gate->scored, gate->no_close, gate->other_line);
    fprintf(out, "\n");
    fprintf(out, "- walk-forward ECE ≤ 0.02: **%s** (%.4f)\n", r->ece <= 0.02 ? "yes" : "no",
            r->ece);
    if (mc->drift.n) {
        aps_report_score(mc->drift.a, mc->drift.y, mc->drift.n, mc->drift.k, &a);
        aps_report_score(mc->drift.b, mc->drift.y, mc->drift.n, mc->drift.k, &b);
        fprintf(out, "- what the close knows that the entry prices did not: on the %zu games with "
                     "both, the entry market's log-loss is %.4f and the close's %.4f (%+.2f %%); "
                     "the model sees only the entry prices and earlier games, so this gap bounds "
                     "how close to the closing line it can come\n",
                mc->drift.n, a.ll, b.ll, 100 * (a.ll - b.ll) / b.ll);
    }
}

/* One row of the summary table: the goals' verdicts of a market in a few words. */
static void write_summary(FILE *sum, const struct aps_report_market *mc,
                          const struct aps_model_row *r, bool production,
                          const struct aps_gate *gate)
{
    struct aps_report_scores a, b;
    char entry[48] = "not measurable", close[160];
    if (mc->entry.n) {
        aps_report_score(mc->entry.a, mc->entry.y, mc->entry.n, mc->entry.k, &a);
        aps_report_score(mc->entry.b, mc->entry.y, mc->entry.n, mc->entry.k, &b);
        snprintf(entry, sizeof entry, "%s (%+.2f %%)", a.ll < b.ll ? "yes" : "no",
                 100 * (a.ll - b.ll) / b.ll);
    }
    gate_verdict(gate, close, sizeof close);
    fprintf(sum, "| %s %s | %s%s | %.4f | %s | %s | %s (%.4f) |\n", r->sport, r->market, r->family,
            production ? "" : " (challenger only)", r->log_loss, entry, close,
            r->ece <= 0.02 ? "yes" : "no", r->ece);
}

/* The leaderboard of the run that made the model reported (the latest run when none is on
 * record), said to be the latest run's only when it is: a later run (a challenger trained
 * --until, say) ranked other candidates on other games. */
static void write_leaderboard(FILE *out, struct aps_conn *c, const struct aps_model_row *r)
{
    char *lb = NULL, *latest = NULL, preset[32], p2[32];
    int64_t when = 0, seed = 0, when2 = 0, seed2 = 0;
    json_error_t e;
    bool own = !aps_registry_run_of(c, r->id, &lb, &when, &seed, preset, sizeof preset);
    if (!own &&
        aps_registry_run_latest(c, r->sport, r->market, &lb, &when, &seed, preset, sizeof preset))
        return;
    bool is_latest = !own || (!aps_registry_run_latest(c, r->sport, r->market, &latest, &when2,
                                                       &seed2, p2, sizeof p2) &&
                              when2 == when && !strcmp(latest, lb));
    aps_free(latest);
    json_t *a = json_loads(lb, 0, &e);
    char date[24];
    aps_time_format_iso(when, date, sizeof date);
    fprintf(out,
            "Leaderboard of the %s `aps train` run%s (%s, seed %lld, preset %s), "
            "walk-forward, same games for every row:\n\n| rank | candidate | calibration | "
            "games | log-loss | Brier | ECE | AUC |\n|---:|---|---|---:|---:|---:|---:|---:|\n",
            is_latest ? "latest" : "earlier", is_latest ? "" : " that made this model", date,
            (long long)seed, preset);
    for (size_t i = 0; i < json_array_size(a); i++) {
        json_t *o = json_array_get(a, i);
        fprintf(out, "| %zu | %s | %s | %lld | %.4f | %.4f | %.4f | %.4f |\n", i + 1,
                json_string_value(json_object_get(o, "name")),
                json_string_value(json_object_get(o, "calibration")),
                (long long)json_integer_value(json_object_get(o, "games")),
                json_number_value(json_object_get(o, "log_loss")),
                json_number_value(json_object_get(o, "brier")),
                json_number_value(json_object_get(o, "ece")),
                json_number_value(json_object_get(o, "auc")));
    }
    fprintf(out, "\n");
    json_decref(a);
    aps_free(lb);
}

/* "+0.0123 over 120 bets", or why there is none. */
static const char *price_clv_text(const struct aps_bt_tally *t, char *buf, size_t cap)
{
    if (t->clv_price_n)
        snprintf(buf, cap, "%+.4f over %zu bets", t->clv_price_sum / (double)t->clv_price_n,
                 t->clv_price_n);
    else
        snprintf(buf, cap, "none (no bet's line is quoted at the close)");
    return buf;
}

static void write_backtest(FILE *out, const struct aps_backtest_report *r)
{
    const struct aps_bt_tally *t = &r->all;
    char buf[96];
    fprintf(out, "\nIts picks on the market gate's games replayed by the backtest (the gate's "
                 "evidence: fractional Kelly from the settings, no edge cap, bankroll %d): %zu "
                 "bets, yield %+.2f %%, bankroll %.0f → %.0f, max drawdown %.1f %%.\n",
            APS_GATE_BANKROLL, t->bets, t->staked > 0 ? 100 * t->profit / t->staked : 0.0,
            r->bankroll0, r->bankroll, 100 * r->max_drawdown);
    if (t->clv_n && r->market == APS_MKT_MONEYLINE)
        fprintf(out, "Mean closing-line value of those bets: %+.4f over %zu bets with a close "
                     "(no CLV where the entry price is itself the close).\n",
                t->clv_sum / (double)t->clv_n, t->clv_n);
    else if (t->clv_n)
        fprintf(out, "Mean closing-line value of those bets: %+.4f points of line over %zu bets "
                     "with a close (no CLV where the entry price is itself the close); price CLV at "
                     "each bet's own line (entry price against the fair close at that line): %s.\n",
                t->clv_sum / (double)t->clv_n, t->clv_n,
                price_clv_text(t, buf, sizeof buf));
}

/* The walk-forward evidence for the tier rule and the edge cap: the replayed bets by tier and by
 * edge bucket, and whether the market is published; the cap is the stored gate's. */
static void write_tiers_and_edges(FILE *out, const struct aps_backtest_report *r,
                                  const struct aps_gate *gate, bool gated, bool production)
{
    fprintf(out, "\nPublication: **%s** (%s).\n\n| tier | bets | won | yield |\n"
                 "|---|---:|---:|---:|\n",
            production && gate->passed ? "published" : "tracking only",
            !gated         ? "no market gate on record"
            : gate->passed ? "market gate passed"
                           : "market gate failed");
    for (int t = 0; t < APS_TIER_D; t++) {
        const struct aps_bt_tally *ta = &r->tier[t];
        if (ta->bets)
            fprintf(out, "| %s | %zu | %zu | %+.2f %% |\n", aps_tier_name(t), ta->bets,
                    ta->wins + ta->half_wins,
                    ta->staked > 0 ? 100 * ta->profit / ta->staked : 0.0);
    }
    struct aps_gate g;
    memset(&g, 0, sizeof g);
    aps_gate_buckets(r, &g);
    fprintf(out, "\n| edge | bets | yield |\n|---|---:|---:|\n");
    for (int k = 0; k < APS_GATE_NBUCKETS; k++)
        if (g.bucket[k].bets)
            fprintf(out, "| %.3f–%.3f | %zu | %+.2f %% |\n", g.bucket[k].lo, g.bucket[k].hi,
                    g.bucket[k].bets, 100 * g.bucket[k].profit / g.bucket[k].staked);
    double cap = gated ? gate->max_edge : g.max_edge;
    fprintf(out, "\nLargest edge this record supports (highest bucket with at least %d bets and a "
                 "positive yield%s): %.3f%s.\n",
            APS_GATE_MIN_BUCKET_BETS, gated ? ", as stored with the market gate" : "", cap,
            cap > 0 ? "" : " (no edge is believed)");
}

static int report_market(FILE *out, FILE *sum, struct aps_cli *cli, struct aps_conn *c,
                         const struct aps_history *h, enum aps_market m)
{
    const char *sport = aps_sport_info(h->sport)->code, *mk = aps_market_name(m);
    struct aps_model_row r;
    struct aps_model_preds pr;
    int rc = aps_registry_production(c, sport, mk, &r);
    bool production = !rc;
    if (rc == APS_E_NOTFOUND)
        rc = aps_registry_latest(c, sport, mk, &r);
    if (rc == APS_E_NOTFOUND)
        return 0;
    if (rc || (rc = aps_registry_preds_load(c, r.id, &pr))) {
        aps_registry_row_cleanup(&r);
        return rc;
    }
    int k = m == APS_MKT_MONEYLINE && aps_sport_info(h->sport)->three_way ? 3 : 2;
    /* the stored gate's verdict, and its games recomputed with its margin method */
    struct aps_gate gate;
    bool gated = aps_gate_read(r.metrics, &gate);
    enum aps_margin_method mm = gated && gate.margin < APS_MARGIN__COUNT
                                    ? gate.margin
                                    : (enum aps_margin_method)aps_engine_margin_method(cli->cfg);
    struct aps_gate_games gg;
    if ((rc = aps_gate_games(h, &pr, m, k, mm, &gg))) {
        aps_registry_preds_cleanup(&pr);
        aps_registry_row_cleanup(&r);
        return rc;
    }
    struct aps_report_market mc;
    aps_report_market_build(h, &pr, m, k, &gg, mm, &mc);
    fprintf(out, "## %s %s\n\n", sport, mk);
    write_leaderboard(out, c, &r);
    fprintf(out, "%s `%s` (%s): walk-forward log-loss %.4f, ECE %.4f on %lld games; %s.\n\n"
                 "Model against the market's no-vig probabilities (%s margin removal) and "
                 "FiveThirtyEight, each row on the games where both have a probability; the "
                 "closing market's row is the market gate's games:\n\n"
                 "| comparison | games | LL model | LL other | LL gap | Brier model | Brier other "
                 "| ECE model | ECE other | AUC model / other |\n"
                 "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n",
            production ? "Production model" : "No production model; the latest challenger",
            r.name, r.family, r.log_loss, r.ece, (long long)r.games, r.note ? r.note : "",
            aps_margin_method_name(mm));
    char who[64];
    snprintf(who, sizeof who, "%s market", mc.entry_mixed ? "open/pre-match"
                                           : mc.entry.n ? aps_phase_name(mc.entry_phase) : "entry");
    write_pair(out, who, &mc.entry);
    write_pair(out, "closing market", &mc.close);
    if (m == APS_MKT_MONEYLINE && k == 2)
        write_pair(out, "FiveThirtyEight", &mc.f538);
    write_goals(out, &mc, &r, &gate);
    write_summary(sum, &mc, &r, production, &gate);
    struct aps_predictor pred;
    struct aps_backtest_report br;
    struct aps_backtest_opts bo;
    struct aps_kelly_params kp;
    aps_engine_kelly_params(cli->cfg, &kp);
    aps_gate_backtest_opts(&kp, mm, m, &bo);
    rc = aps_gate_predictor(h, &pr, m, k, r.name, &gg, &pred);
    if (!rc) {
        rc = aps_backtest_run(h, &pred, &bo, &br);
        if (!rc) {
            write_backtest(out, &br);
            write_tiers_and_edges(out, &br, &gate, gated, production);
        }
        aps_backtest_report_cleanup(&br);
        pred.destroy(pred.ctx);
    }
    fprintf(out, "\n");
    aps_report_market_cleanup(&mc);
    aps_gate_games_cleanup(&gg);
    aps_registry_preds_cleanup(&pr);
    aps_registry_row_cleanup(&r);
    return rc;
}

/* The Elo predictor's backtest scores next to the closing market (the `aps backtest` numbers). */
static int elo_line(FILE *out, struct aps_cli *cli, struct aps_conn *c,
                    const struct aps_history *h)
{
    struct aps_elo_params params;
    bool fitted;
    struct aps_predictor pred = {0};
    struct aps_backtest_report r = {0};
    struct aps_backtest_opts o = {.market = APS_MKT_MONEYLINE, .burn_in = 1,
                                  .bankroll = aps_cfg_double(cli->cfg, APS_SET_DEFAULT_BANKROLL),
                                  .margin = aps_engine_margin_method(cli->cfg)};
    aps_engine_kelly_params(cli->cfg, &o.kelly);
    int rc = aps_elo_params_default(h->sport, &params);
    (void)fitted;
    struct aps_elo_predictor_opts po = {&params, true, 8};
    if (!rc)
        rc = aps_elo_predictor_new(h, &po, &pred);
    if (!rc)
        rc = aps_backtest_run(h, &pred, &o, &r);
    if (!rc && r.scores.n) {
        const struct aps_bt_scores *s = &r.scores;
        fprintf(out, "| %s | %s .. %s | %zu | %.4f | %.4f | %+.2f %% | %.4f | %.4f | %.4f | %.4f |\n",
                aps_sport_info(h->sport)->code, r.from, r.to, s->n, s->ll_model, s->ll_close,
                100 * (s->ll_model - s->ll_close) / s->ll_close, s->brier_model, s->brier_close,
                s->ece_model, s->ece_close);
    }
    if (pred.destroy)
        pred.destroy(pred.ctx);
    aps_backtest_report_cleanup(&r);
    (void)c;
    return rc;
}

/* Elo next to FiveThirtyEight on one sport (engine/report.h); nothing when no game compares. */
static int elo_vs_538_line(FILE *out, const struct aps_history *h)
{
    struct aps_report_elo538 e;
    int rc = aps_report_elo_vs_538(h, &e);
    if (!rc && e.n)
        fprintf(out, "| %s | %s .. %s | %zu | %.4f | %.4f | %+.2f %% | %.4f | %.4f |\n",
                aps_sport_info(h->sport)->code, e.first, e.last, e.n, e.ll_elo, e.ll_538,
                100 * (e.ll_elo - e.ll_538) / e.ll_538, e.brier_elo, e.brier_538);
    return rc;
}

static void write_header(FILE *out, int argc, char **argv)
{
    char now[24];
    aps_time_format_iso(aps_time_now(), now, sizeof now);
    fprintf(out, "# Models: walk-forward results\n\nWritten by `aps");
    for (int i = 0; i < argc; i++)
        fprintf(out, " %s", argv[i]);
    fprintf(out, "` (src/cli/cmd_report.c) at %s from the registry, the stored walk-forward "
                 "predictions of each production model and the stored odds. Nothing here is "
                 "typed by hand: rerun the command after `aps train --sport all --market all` "
                 "(the seed and preset of each run are given with its leaderboard) to refresh "
                 "it.\n\n", now);
    fprintf(out, "How the numbers are made: `aps train` computes point-in-time features for every "
                 "game (src/model/features.h), runs a seeded search (Elo, L2 logistic regression, "
                 "logistic regression with the entry market as its offset, XGBoost, a stacked "
                 "ensemble; for spreads and totals regressions of the margin or total read as a "
                 "score distribution at the market's line: normal around a ridge, around a ridge "
                 "centred on the entry line, or around XGBoost, Poisson for totals of goals or "
                 "runs, and Skellam (a difference of two Poisson counts) for soccer and hockey "
                 "handicaps) scored walk-forward — season by season, then month "
                 "by month in the latest season (a history of one season: its first quarter only "
                 "trains, then month by month; a latest season too young to leave 200 games to "
                 "test: month by month after the seasons before it, as if they were the whole "
                 "history), each fold's model trained on earlier games only, "
                 "the first fold only warming up calibration and stacking — and registers the best "
                 "candidate. The tables compare its walk-forward probabilities with the market's "
                 "no-vig probabilities on exactly the same games. *Entry* is the earliest "
                 "pre-game price in the data (open, else pre-match); the closing line is the "
                 "benchmark and is never a feature of its own game. Spreads and totals are scored "
                 "as P(home covers / over) at the most-quoted closing line, the line the trainer "
                 "labels and predicts each game at, pushes left out; the closing market is "
                 "compared on the games where its benchmark prices that same line.\n\n");
}

/* The sections go to a memory stream first, so the summary of their verdicts can lead. */
/* The rules of publication and tiers (engine/gate.h, odds/kelly.h, engine/picks.h); each market
 * section below gives the walk-forward evidence for its model. */
#define PUBLICATION_RULES                                                                        \
    "## Publication, tiers and no bet\n\n"                                                       \
    "- **Published** markets are those whose production model passed the promotion gate for its " \
    "sport and market on walk-forward data: leakage check, walk-forward ECE at most 0.03, and "   \
    "the market gate — the model's stored walk-forward predictions on the games the trainer "     \
    "scored that have a closing price at the line it predicted, their log-loss within 0.5 % of "  \
    "the closing no-vig market's on at least 200 such games (the summary's closing-line column). " \
    "Elo is a "                                                                                  \
    "candidate like any other. Every other market is **tracking only**: its picks are recorded " \
    "and graded, never given a tier or a stake.\n"                                               \
    "- A published pick is a **bet** or **no bet** with its reason, in this order: negative "    \
    "edge; an edge above the largest the model's walk-forward record supports (the upper end of " \
    "the highest edge bucket below with at least 20 bets and a positive yield; none supported: "  \
    "no bet); edge below MIN_EDGE_THRESHOLD; probability below SIGNAL_TIER_C_MIN; no positive "   \
    "expected value.\n"                                                                          \
    "- A bet's **tier** is the worse of its probability tier (A at SIGNAL_TIER_A_MIN 0.65, B at " \
    "SIGNAL_TIER_B_MIN 0.60, C at SIGNAL_TIER_C_MIN 0.55) and its edge tier (A at 2 ×, B at "     \
    "1.5 ×, C at 1 × MIN_EDGE_THRESHOLD): value first, gated by the model's confidence. The "     \
    "thresholds are the settings'; the evidence for them is each market's replay below (bets "   \
    "and yield by tier and by edge bucket, the same rule applied walk-forward).\n\n"

static int run_report(FILE *out, struct aps_cli *cli, struct aps_conn *c)
{
    int rc = 0;
    char *body = NULL, *summary = NULL;
    size_t nbody = 0, nsummary = 0;
    FILE *bf = open_memstream(&body, &nbody), *sf = open_memstream(&summary, &nsummary);
    if (!bf || !sf)
        rc = APS_E_NOMEM;
    for (int s = 0; s < APS_SPORT__COUNT && !rc; s++) {
        struct aps_history h;
        rc = aps_history_load(c, s, NULL, NULL, &h);
        for (int m = 0; !rc && m < APS_MKT__COUNT && h.ngames; m++)
            rc = report_market(bf, sf, cli, c, &h, m);
        aps_history_cleanup(&h);
    }
    if (bf)
        fclose(bf);
    if (sf)
        fclose(sf);
    if (!rc) {
        fprintf(out, "%s", PUBLICATION_RULES);
        fprintf(out, "## Summary: the goals per sport and market\n\nGoals (benchmarks): the "
                     "production model's walk-forward log-loss beats the market's no-vig entry "
                     "(opening or pre-match) probabilities, comes within 0.5 %% of the closing "
                     "line's, and its ECE is at most 0.02. The closing-line column is the model's "
                     "market gate as `aps train` stored it — the verdict that decides promotion "
                     "and publication — on the games the trainer scored walk-forward that have a "
                     "closing price at the line the model predicted; its section's closing-market "
                     "row is computed on exactly those games. The other cells are computed on the "
                     "same games as the section below them; *not measurable* means the data has "
                     "no such prices for the market. Where a goal is missed the section says by "
                     "how much, and its last line measures what the closing line knows that the "
                     "entry prices did not.\n\n| market | model | LL model | beats entry (gap) | "
                     "within 0.5 %% of close: market gate (gap, games) | ECE ≤ 0.02 |\n"
                     "|---|---|---:|---|---|---|\n%s\n%s",
                summary ? summary : "", body ? body : "");
    }
    aps_free(body);
    aps_free(summary);
    fprintf(out, "## Elo alone against the closing market (moneyline)\n\nThe Elo predictor of "
                 "`aps backtest` (default starting parameters, refitted each season on earlier "
                 "seasons; first season burn-in), scored on every game with a closing price:\n\n"
                 "| sport | games from .. to | games | LL Elo | LL close | LL gap | Brier Elo | "
                 "Brier close | ECE Elo | ECE close |\n|---|---|---:|---:|---:|---:|---:|---:|---:"
                 "|---:|\n");
    for (int s = 0; s < APS_SPORT__COUNT && !rc; s++) {
        struct aps_history h;
        rc = aps_history_load(c, s, NULL, NULL, &h);
        if (!rc && h.ngames)
            rc = elo_line(out, cli, c, &h);
        aps_history_cleanup(&h);
    }
    if (rc)
        return rc;
    fprintf(out, "\n## Elo alone against FiveThirtyEight (moneyline)\n\nThe same Elo predictor "
                 "next to FiveThirtyEight's published pre-game probabilities (its plain Elo "
                 "`elo_prob1` where stored, else its checking-our-work forecasts) on every finished "
                 "game with a 538 forecast, ties left out, after the first season:\n\n"
                 "| sport | games from .. to | games | LL Elo | LL 538 | LL gap | Brier Elo | "
                 "Brier 538 |\n|---|---|---:|---:|---:|---:|---:|---:|\n");
    for (int s = 0; s < APS_SPORT__COUNT && !rc; s++) {
        struct aps_history h;
        rc = aps_history_load(c, s, NULL, NULL, &h);
        if (!rc && h.ngames)
            rc = elo_vs_538_line(out, &h);
        aps_history_cleanup(&h);
    }
    return rc;
}

/* ---- the output file ---- */

/* The largest existing file --out may replace: a report is a few hundred kilobytes. */
#define REPORT_MAX_BYTES (8 << 20)

/* The file the report replaces. The report is made in memory and written to a temporary file
 * beside it, then renamed into place, so an interrupted or failed run leaves the old file as it
 * was; --out therefore names a regular file (followed through symbolic links, so a linked
 * report stays linked) or a new file in an existing directory, never a device or a pipe. */
struct report_file {
    char *path;  /* the file written: --out resolved (aps_free) */
    char *kept;  /* the out-of-sample section kept from the old file, or NULL (aps_free) */
    mode_t mode; /* the old file's permissions, given to the new one */
    bool exists;
};

/* The out-of-sample section that bench/oos/run.sh wrote into the report (from its begin marker
 * through its end marker and line break) in text, or NULL when it has none (aps_free it). */
static char *kept_section(const char *text)
{
    const char *begin = strstr(text, "<!-- oos:begin");
    const char *end = begin ? strstr(begin, "<!-- oos:end -->") : NULL;
    if (!end)
        return NULL;
    end += strlen("<!-- oos:end -->");
    char *copy = aps_strndup(begin, (size_t)(end - begin) + 1);
    copy[end - begin] = '\n';
    return copy;
}

/* Reads the regular file f->path (at most REPORT_MAX_BYTES) and keeps its out-of-sample
 * section in f->kept. */
static int read_kept(struct report_file *f, char *err, size_t errcap)
{
    FILE *in = fopen(f->path, "r");
    if (!in) {
        snprintf(err, errcap, "cannot read %s: %s", f->path, strerror(errno));
        return APS_E_IO;
    }
    struct aps_buf b = {0};
    char chunk[4096];
    size_t n;
    int rc = 0;
    while (!rc && (n = fread(chunk, 1, sizeof chunk, in)) > 0) {
        aps_buf_append(&b, chunk, n);
        if (b.len > REPORT_MAX_BYTES)
            rc = APS_E_TOOBIG;
    }
    if (!rc && ferror(in))
        rc = APS_E_IO;
    fclose(in);
    if (rc)
        snprintf(err, errcap, "%s: %s", f->path,
                 rc == APS_E_TOOBIG ? "larger than a report, not overwritten" : "read error");
    else
        f->kept = kept_section(b.len ? aps_buf_str(&b) : "");
    aps_buf_cleanup(&b);
    return rc;
}

/* The directory of path must take a new file (the temporary one). */
static int check_dir(const char *path, char *err, size_t errcap)
{
    const char *slash = strrchr(path, '/');
    char *dir = slash ? aps_strndup(path, slash == path ? 1 : (size_t)(slash - path))
                      : aps_strdup(".");
    int rc = access(dir, W_OK | X_OK) ? APS_E_IO : 0;
    if (rc)
        snprintf(err, errcap, "cannot write in %s: %s", dir, strerror(errno));
    aps_free(dir);
    return rc;
}

/* Fills f for --out out, before any work: the resolved path, its mode and kept section. Refuses
 * (APS_E_INVAL) what is not a regular file, an old file over REPORT_MAX_BYTES (APS_E_TOOBIG),
 * and a directory it cannot write in. Free with report_file_cleanup, also on failure. */
static int report_file_open(const char *out, struct report_file *f, char *err, size_t errcap)
{
    struct stat sb;
    memset(f, 0, sizeof *f);
    if (lstat(out, &sb)) {
        if (errno != ENOENT) {
            snprintf(err, errcap, "%s: %s", out, strerror(errno));
            return APS_E_IO;
        }
        f->path = aps_strdup(out);
        return check_dir(f->path, err, errcap);
    }
    if (stat(out, &sb) || !S_ISREG(sb.st_mode)) {
        snprintf(err, errcap,
                 "%s is not a regular file: the report is written to a file (a"
                 " temporary file beside it, renamed into place)",
                 out);
        return APS_E_INVAL;
    }
    f->path = realpath(out, NULL); /* malloc'd: aps_free is free */
    if (!f->path) {
        snprintf(err, errcap, "%s: %s", out, strerror(errno));
        return APS_E_IO;
    }
    f->exists = true;
    f->mode = sb.st_mode & 07777;
    int rc = check_dir(f->path, err, errcap);
    return rc ? rc : read_kept(f, err, errcap);
}

/* Writes text to a temporary file beside f->path (with the old file's permissions), then
 * renames it over f->path; on failure the temporary file is removed and f->path is untouched. */
static int report_file_replace(const struct report_file *f, const char *text, size_t len, char *err,
                               size_t errcap)
{
    if (!aps_file_replace(f->path, text, len, f->exists ? (int)f->mode : -1))
        return 0;
    snprintf(err, errcap, "cannot write %s: %s", f->path, strerror(errno));
    return APS_E_IO;
}

static void report_file_cleanup(struct report_file *f)
{
    aps_free(f->path);
    aps_free(f->kept);
}

int aps_cmd_report(struct aps_cli *cli, int argc, char **argv)
{
    if (aps_cli_wants_help(argc, argv) || argc < 2 || strcmp(argv[1], "models")) {
        help(argc < 2 || aps_cli_wants_help(argc, argv) ? stdout : stderr);
        return aps_cli_wants_help(argc, argv) ? APS_EXIT_OK : APS_EXIT_USAGE;
    }
    static const struct aps_cli_opt options[] = {{"--out", APS_OPT_STR, 0, NULL}};
    static const struct aps_cli_opts table = {
        .cmd = "report models", .bad = "unknown option", .opt = options, .n = 1};
    const char *path = "docs/models.md";
    if (aps_cli_opts_parse(&table, argc, argv, 2, &path))
        return APS_EXIT_USAGE;
    struct report_file f;
    char err[1200] = "";
    int rc = report_file_open(path, &f, err, sizeof err);
    if (rc) {
        fprintf(stderr, "aps report models: %s\n", err);
        report_file_cleanup(&f);
        return APS_EXIT_FAIL;
    }
    struct aps_store *st = NULL;
    struct aps_conn *c = NULL;
    if (aps_cli_open_conn(cli, "report", APS_DB_READ, &st, &c)) {
        report_file_cleanup(&f);
        return APS_EXIT_FAIL;
    }
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    rc = out ? 0 : APS_E_NOMEM;
    if (!rc) {
        write_header(out, argc, argv);
        rc = run_report(out, cli, c);
    }
    if (!rc && f.kept)
        fprintf(out, "\n%s", f.kept);
    if (out && fclose(out) && !rc)
        rc = APS_E_NOMEM;
    if (rc)
        snprintf(err, sizeof err, "%s: %s %s", path, aps_strerror(rc), aps_conn_errmsg(c));
    else
        rc = report_file_replace(&f, text, len, err, sizeof err);
    if (rc)
        fprintf(stderr, "aps report models: %s\n", err);
    else
        printf("wrote %s\n", path);
    aps_free(text);
    report_file_cleanup(&f);
    aps_store_release(c);
    aps_store_close(st);
    return rc ? APS_EXIT_FAIL : APS_EXIT_OK;
}
