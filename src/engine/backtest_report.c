/* backtest_report.c — writes a backtest report as a table, JSON (jansson) or CSV of bets. */
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "engine/backtest.h"
#include "odds/tier.h"

static double yield_of(const struct aps_bt_tally *t)
{
    return t->staked > 0 ? t->profit / t->staked : NAN;
}

static double clv_mean(const struct aps_bt_tally *t)
{
    return t->clv_n ? t->clv_sum / (double)t->clv_n : NAN;
}

static double clv_share(const struct aps_bt_tally *t)
{
    return t->clv_n ? (double)t->clv_pos / (double)t->clv_n : NAN;
}

static double clv_price_mean(const struct aps_bt_tally *t)
{
    return t->clv_price_n ? t->clv_price_sum / (double)t->clv_price_n : NAN;
}

static double clv_price_share(const struct aps_bt_tally *t)
{
    return t->clv_price_n ? (double)t->clv_price_pos / (double)t->clv_price_n : NAN;
}

/* The table's text of a figure: v to prec decimals followed by unit ("%" or ""), with a sign
 * when sign is set, or "-" when v is undefined (NaN or infinite: a yield without stakes, a
 * Sharpe ratio of fewer than two bets, a score of a season with no scored game), so that no
 * undefined figure reads as a number. Returns buf (cap bytes). */
static const char *fig(double v, int prec, bool sign, const char *unit, char *buf, size_t cap)
{
    if (!isfinite(v))
        snprintf(buf, cap, "-");
    else
        snprintf(buf, cap, sign ? "%+.*f%s" : "%.*f%s", prec, v, unit);
    return buf;
}

static void table_tally(FILE *out, const char *label, const struct aps_bt_tally *t)
{
    char y[32], m[32], sh[32];
    fprintf(out, "  %-9s %6zu %6zu %6zu %6zu %12.2f %11.2f %9s %9s %8s\n", label, t->bets,
            t->wins + t->half_wins, t->losses + t->half_losses, t->pushes + t->voids, t->staked,
            t->profit, fig(100 * yield_of(t), 2, false, "%", y, sizeof y),
            fig(clv_mean(t), 4, false, "", m, sizeof m),
            fig(100 * clv_share(t), 1, false, "%", sh, sizeof sh));
}

/* "-0.0123 [-0.0200, -0.0050]": a log-loss difference with its 95 % interval. */
static const char *diff_text(double d, double lo, double hi, char *buf, size_t cap)
{
    if (isnan(d))
        snprintf(buf, cap, "-");
    else
        snprintf(buf, cap, "%+.4f [%+.4f, %+.4f]%s", d, lo, hi,
                 lo > 0 || hi < 0 ? "" : " (interval includes 0)");
    return buf;
}

static void table_scores(FILE *out, const struct aps_bt_scores *s)
{
    char b[96], f[6][32];
    fprintf(out,
            "  %zu games: log-loss model %s, market %s; Brier model %s, market %s; ECE model "
            "%s, market %s\n",
            s->n, fig(s->ll_model, 4, false, "", f[0], sizeof f[0]),
            fig(s->ll_close, 4, false, "", f[1], sizeof f[1]),
            fig(s->brier_model, 4, false, "", f[2], sizeof f[2]),
            fig(s->brier_close, 4, false, "", f[3], sizeof f[3]),
            fig(s->ece_model, 4, false, "", f[4], sizeof f[4]),
            fig(s->ece_close, 4, false, "", f[5], sizeof f[5]));
    fprintf(out, "  log-loss model minus closing market, mean per game [paired bootstrap 95 %%]: "
                 "%s\n", diff_text(s->d_close, s->d_close_lo, s->d_close_hi, b, sizeof b));
    if (!s->n_entry)
        fprintf(out, "  entry market: none of these games has opening or pre-match prices\n");
    else
        fprintf(out, "  entry market on the %zu of these games with opening/pre-match prices: "
                     "log-loss model %.4f, entry %.4f, close %.4f; model minus entry %s\n",
                s->n_entry, s->ll_model_entry, s->ll_entry, s->ll_close_entry,
                diff_text(s->d_entry, s->d_entry_lo, s->d_entry_hi, b, sizeof b));
    if (s->n538)
        fprintf(out, "  FiveThirtyEight on %zu of these games: log-loss 538 %.4f, model %.4f; "
                     "Brier 538 %.4f, model %.4f\n",
                s->n538, s->ll_538, s->ll_model_538, s->brier_538, s->brier_model_538);
}

static void write_table(const struct aps_backtest_report *r, FILE *out)
{
    fprintf(out, "Backtest %s %s, model %s, games %s .. %s\n", aps_sport_info(r->sport)->code,
            aps_market_name(r->market), r->model, r->from[0] ? r->from : "-",
            r->to[0] ? r->to : "-");
    fprintf(out, "games %zu, with an entry price %zu (of which closing prices only %zu), with a "
                 "closing benchmark %zu, scored against pre-match prices (no closing prices) %zu\n",
            r->games, r->with_entry, r->entry_from_close, r->with_close, r->close_from_pre);
    if (r->frozen)
        fprintf(out, "games predicted by the frozen model (after its training data, features "
                     "point in time): %zu\n", r->frozen);
    char g[32], dd[32], sh[32];
    fprintf(out, "bankroll %.2f -> %.2f (%s), max drawdown %s, Sharpe %s per bet\n\n", r->bankroll0,
            r->bankroll, fig(100 * r->growth, 2, true, "%", g, sizeof g),
            fig(100 * r->max_drawdown, 2, false, "%", dd, sizeof dd),
            fig(r->sharpe, 4, false, "", sh, sizeof sh));
    fprintf(out, "  %-9s %6s %6s %6s %6s %12s %11s %9s %9s %8s\n", "bets", "n", "won", "lost",
            "push", "staked", "profit", "yield", "CLV mean", "CLV>0");
    table_tally(out, "all", &r->all);
    for (int t = 0; t < 3; t++) {
        char label[16];
        snprintf(label, sizeof label, "tier %s", aps_tier_name(t));
        table_tally(out, label, &r->tier[t]);
    }
    if (r->market != APS_MKT_MONEYLINE) {
        fprintf(out, "  price CLV at each bet's own line (entry price against the fair close at "
                     "that line; the CLV\n  columns above are points of line): ");
        if (r->all.clv_price_n)
            fprintf(out, "mean %+.4f over %zu of the %zu bets, %.1f%% positive\n",
                    clv_price_mean(&r->all), r->all.clv_price_n, r->all.bets,
                    100 * clv_price_share(&r->all));
        else
            fprintf(out, "none (%s)\n",
                    r->all.bets ? "no bet's line is quoted at the close after an earlier entry"
                                : "no bets");
    }
    fprintf(out, "\nModel against the market's no-vig benchmark (closing prices; pre-match where "
                 "the data has none), same games:\n");
    table_scores(out, &r->scores);
    fprintf(out, "\nReliability of the model (10 bins):\n  %-9s %7s %10s %9s\n", "bin", "n",
            "predicted", "observed");
    for (int b = 0; b < APS_SCORE_BINS; b++)
        if (r->scores.rel_model.count[b])
            fprintf(out, "  %.1f-%.1f   %7zu %10.4f %9.4f\n", b / 10.0, (b + 1) / 10.0,
                    r->scores.rel_model.count[b], r->scores.rel_model.mean_pred[b],
                    r->scores.rel_model.observed[b]);
    fprintf(out, "\nBy season:\n  %-9s %6s %11s %9s %9s %7s %9s %9s %9s %9s\n", "season", "bets",
            "profit", "yield", "CLV mean", "games", "LL model", "LL close", "BS model",
            "BS close");
    for (size_t i = 0; i < r->nseasons; i++) {
        const struct aps_bt_season *s = &r->seasons[i];
        char f[6][32];
        fprintf(out, "  %-9s %6zu %11.2f %9s %9s %7zu %9s %9s %9s %9s\n", s->season, s->t.bets,
                s->t.profit, fig(100 * yield_of(&s->t), 2, false, "%", f[0], sizeof f[0]),
                fig(clv_mean(&s->t), 4, false, "", f[1], sizeof f[1]), s->s.n,
                fig(s->s.ll_model, 4, false, "", f[2], sizeof f[2]),
                fig(s->s.ll_close, 4, false, "", f[3], sizeof f[3]),
                fig(s->s.brier_model, 4, false, "", f[4], sizeof f[4]),
                fig(s->s.brier_close, 4, false, "", f[5], sizeof f[5]));
    }
}

/* A number, or null when it is not finite. */
static json_t *num(double v)
{
    return isfinite(v) ? json_real(v) : json_null();
}

static json_t *tally_json(const struct aps_bt_tally *t)
{
    json_t *o =
        json_pack("{s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:o,s:o,s:o,s:I,s:o,s:o}", "bets",
                  (json_int_t)t->bets, "wins", (json_int_t)t->wins, "losses",
                  (json_int_t)t->losses, "pushes", (json_int_t)t->pushes, "half_wins",
                  (json_int_t)t->half_wins, "half_losses", (json_int_t)t->half_losses, "voids",
                  (json_int_t)t->voids, "staked", num(t->staked), "profit", num(t->profit),
                  "yield", num(yield_of(t)), "clv_bets", (json_int_t)t->clv_n, "clv_mean",
                  num(clv_mean(t)), "clv_positive_share", num(clv_share(t)));
    json_object_set_new(o, "clv_price_bets", json_integer((json_int_t)t->clv_price_n));
    json_object_set_new(o, "clv_price_mean", num(clv_price_mean(t)));
    json_object_set_new(o, "clv_price_positive_share", num(clv_price_share(t)));
    return o;
}

static json_t *scores_json(const struct aps_bt_scores *s)
{
    json_t *rel = json_array();
    for (int b = 0; b < APS_SCORE_BINS; b++)
        json_array_append_new(rel, json_pack("{s:f,s:f,s:I,s:o,s:o}", "lo", b / 10.0, "hi",
                                             (b + 1) / 10.0, "n", (json_int_t)s->rel_model.count[b],
                                             "predicted", num(s->rel_model.mean_pred[b]),
                                             "observed", num(s->rel_model.observed[b])));
    json_t *o = json_pack("{s:I,s:o,s:o,s:o,s:o,s:o,s:o,s:o}", "games", (json_int_t)s->n,
                          "log_loss_model", num(s->ll_model), "log_loss_close", num(s->ll_close),
                          "brier_model", num(s->brier_model), "brier_close", num(s->brier_close),
                          "ece_model", num(s->ece_model), "ece_close", num(s->ece_close),
                          "reliability", rel);
    json_object_set_new(o, "log_loss_diff_close",
                        json_pack("{s:o,s:o,s:o}", "mean", num(s->d_close), "lo95",
                                  num(s->d_close_lo), "hi95", num(s->d_close_hi)));
    json_object_set_new(o, "entry",
                        json_pack("{s:I,s:o,s:o,s:o,s:o,s:o,s:{s:o,s:o,s:o}}", "games",
                                  (json_int_t)s->n_entry, "log_loss_model", num(s->ll_model_entry),
                                  "log_loss_entry", num(s->ll_entry), "log_loss_close",
                                  num(s->ll_close_entry), "brier_entry", num(s->brier_entry),
                                  "ece_entry", num(s->ece_entry), "log_loss_diff", "mean",
                                  num(s->d_entry), "lo95", num(s->d_entry_lo), "hi95",
                                  num(s->d_entry_hi)));
    if (s->n538)
        json_object_set_new(o, "fivethirtyeight",
                            json_pack("{s:I,s:o,s:o,s:o,s:o}", "games", (json_int_t)s->n538,
                                      "log_loss_538", num(s->ll_538), "log_loss_model",
                                      num(s->ll_model_538), "brier_538", num(s->brier_538),
                                      "brier_model", num(s->brier_model_538)));
    return o;
}

/* The bankroll at the end of each betting day and its drawdown from the running peak. */
static json_t *curve_json(const struct aps_backtest_report *r, const struct aps_history *h)
{
    json_t *a = json_array();
    double peak = r->bankroll0;
    for (size_t i = 0; i < r->nbets; i++) {
        const char *date = h->games[r->bets[i].game].date;
        double end = r->bets[i].bankroll_before + r->bets[i].profit;
        /* the bets of one day share its opening bankroll: sum their profits */
        while (i + 1 < r->nbets && !strcmp(h->games[r->bets[i + 1].game].date, date))
            end += r->bets[++i].profit;
        if (end > peak)
            peak = end;
        json_array_append_new(a, json_pack("{s:s,s:o,s:o}", "date", date, "bankroll", num(end),
                                           "drawdown", num(peak > 0 ? (peak - end) / peak : NAN)));
    }
    return a;
}

json_t *aps_backtest_json(const struct aps_backtest_report *r, const struct aps_history *h,
                          bool curve)
{
    json_t *tiers = json_object();
    for (int t = 0; t < 4; t++)
        json_object_set_new(tiers, aps_tier_name(t), tally_json(&r->tier[t]));
    json_t *seasons = json_array();
    for (size_t i = 0; i < r->nseasons; i++)
        json_array_append_new(seasons, json_pack("{s:s,s:o,s:o}", "season", r->seasons[i].season,
                                                 "bets", tally_json(&r->seasons[i].t), "scores",
                                                 scores_json(&r->seasons[i].s)));
    json_t *o = json_pack(
        "{s:s,s:s,s:s,s:s,s:s,s:I,s:I,s:I,s:I,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o}", "sport",
        aps_sport_info(r->sport)->code, "market", aps_market_name(r->market), "model", r->model,
        "from", r->from, "to", r->to, "games", (json_int_t)r->games, "games_with_entry_price",
        (json_int_t)r->with_entry, "games_entry_at_close", (json_int_t)r->entry_from_close,
        "games_with_closing_benchmark", (json_int_t)r->with_close, "bankroll_start",
        num(r->bankroll0), "bankroll_end", num(r->bankroll), "bankroll_growth", num(r->growth),
        "max_drawdown", num(r->max_drawdown), "sharpe_per_bet", num(r->sharpe), "bets",
        tally_json(&r->all), "tiers", tiers, "scores", scores_json(&r->scores), "seasons",
        seasons);
    json_object_set_new(o, "games_benchmark_pre_match", json_integer((json_int_t)r->close_from_pre));
    json_object_set_new(o, "games_frozen_model", json_integer((json_int_t)r->frozen));
    if (curve)
        json_object_set_new(o, "curve", curve_json(r, h));
    return o;
}

static void write_json(const struct aps_backtest_report *r, const struct aps_history *h,
                       FILE *out)
{
    json_t *o = aps_backtest_json(r, h, false);
    json_dumpf(o, out, JSON_INDENT(1) | JSON_PRESERVE_ORDER);
    fputc('\n', out);
    json_decref(o);
}

void aps_backtest_csv_header(FILE *out, bool sport)
{
    fprintf(out,
            "%sdate,season,game_id,selection,line,price,probability,no_vig,edge,tier,stake,"
            "result,profit,bankroll_before,clv,clv_price\n",
            sport ? "sport," : "");
}

void aps_backtest_csv_rows(const struct aps_backtest_report *r, const struct aps_history *h,
                           bool sport, FILE *out)
{
    for (size_t i = 0; i < r->nbets; i++) {
        const struct aps_bt_bet *b = &r->bets[i];
        const struct aps_hist_game *g = &h->games[b->game];
        if (sport)
            fprintf(out, "%s,", aps_sport_info(r->sport)->code);
        fprintf(out, "%s,%s,%lld,%s,", g->date, g->season, (long long)g->id,
                aps_selection_name(b->sel));
        if (isnan(b->line))
            fputc(',', out);
        else
            fprintf(out, "%.2f,", b->line);
        fprintf(out, "%.4f,%.6f,", b->price, b->p);
        if (isnan(b->no_vig))
            fputc(',', out);
        else
            fprintf(out, "%.6f,", b->no_vig);
        fprintf(out, "%.6f,%s,%.2f,%s,%.2f,%.2f,", b->edge, aps_tier_name(b->tier), b->stake,
                aps_grade_result_name(b->result), b->profit, b->bankroll_before);
        if (b->has_clv)
            fprintf(out, "%.6f", b->clv);
        if (b->has_clv_price)
            fprintf(out, ",%.6f\n", b->clv_price);
        else
            fputs(",\n", out);
    }
}

void aps_backtest_write(const struct aps_backtest_report *r, const struct aps_history *h,
                        enum aps_report_format f, FILE *out)
{
    if (f == APS_FMT_JSON)
        write_json(r, h, out);
    else if (f == APS_FMT_CSV) {
        aps_backtest_csv_header(out, false);
        aps_backtest_csv_rows(r, h, false, out);
    } else
        write_table(r, out);
}

bool aps_backtest_empty(const struct aps_backtest_report *r, const struct aps_history *h,
                        const struct aps_backtest_opts *o, char *why, size_t cap)
{
    if (r->scores.n || r->nbets)
        return false;
    struct aps_backtest_opts run = *o;
    if (r->fresh_from[0])
        run.fresh_from = r->fresh_from;
    o = &run;
    size_t finals = 0;
    for (size_t gi = 0; gi < h->ngames; gi++) {
        const struct aps_hist_game *g = &h->games[gi];
        finals += !aps_backtest_warm_up(o, g) && (!o->from || strcmp(g->date, o->from) >= 0) &&
                  (!o->to || strcmp(g->date, o->to) <= 0) && aps_hist_final(g);
    }
    const char *sport = aps_sport_info(h->sport)->code, *mk = aps_market_name(o->market);
    if (!r->games)
        snprintf(why, cap, "no %s game dated %s .. %s after the %d warm-up season(s)", sport,
                 o->from ? o->from : "the start", o->to ? o->to : "the end", o->burn_in);
    else if (!finals)
        snprintf(why, cap, "none of the %zu %s games in the window has a final score", r->games,
                 sport);
    else if (!r->with_close && !r->close_from_pre && !r->with_entry)
        snprintf(why, cap, "none of the %zu %s games in the window has %s prices", r->games, sport,
                 mk);
    else
        snprintf(why, cap, "model %s gave no probability for any of the %zu final %s games with "
                           "%s prices in the window (no stored walk-forward prediction for them, "
                           "and they are not after its training data)",
                 r->model, finals, sport, mk);
    return true;
}
