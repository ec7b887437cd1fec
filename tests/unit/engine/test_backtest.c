/* test_backtest.c — a backtest over one real season (Premier League 2013-14, with 2012-13 as the
 * warm-up season), checked against the raw football-data file, read here independently of the
 * loaders: every bet's price is the best bookmaker price in the file's row, its result follows
 * the file's final score, its stake follows the Kelly rule from that day's opening bankroll, its
 * CLV follows Pinnacle's closing prices in the file, and the totals add up. Then, on the same
 * seasons and a predictor walked the way the backtest walks it, the bet live picks would take on
 * each game (their Kelly parameters, a 1-unit bankroll) is the backtest's bet: same side, line,
 * price, probability and edge, in every market. Spread and total bets carry the price CLV at
 * their own line, checked against Pinnacle's closing prices in the 2022-23 file. A figure that is
 * not defined (no stake, no scored game, fewer than two bets) is never printed as a number. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/csv.h"
#include "core/mem.h"
#include "core/str.h"
#include "engine/backtest.h"
#include "engine/elo_store.h"
#include "engine/market.h"
#include "ingest/ingest.h"
#include "ingest/writer.h"
#include "odds/tier.h"
#include "../support/testdb.h"

#define DATA APS_DATA_DIR_DEFAULT "/football-data/E0/"

struct row {
    char date[40], home[64], away[64];
    int hg, ag;
    double best[3];  /* best bookmaker price home, draw, away */
    double close[3]; /* Pinnacle closing */
    double ahh, ahch;          /* Asian handicap of the home side: pre-match, closing */
    double pc_ah[2], pc_ou[2]; /* Pinnacle closing: home/away at ahch, over/under 2.5 */
};

static const char *BOOKS[] = {"B365", "BW", "IW", "LB", "PS", "WH", "SJ", "VC"};

static double field(char **f, size_t n, char **hdr, size_t nh, const char *name)
{
    int i = aps_csv_find(hdr, nh, name);
    double v = NAN;
    if (i >= 0 && (size_t)i < n && aps_parse_double(f[i], &v))
        v = NAN;
    return v;
}

/* A season's file, read straight from the CSV. */
static size_t read_rows(const char *path, struct row *rows, size_t cap)
{
    struct aps_csv *c;
    assert_int_equal(aps_csv_open(&c, path), 0);
    char **f, *hdr[128];
    size_t n, nh, k = 0;
    assert_int_equal(aps_csv_next(c, &f, &n), 1);
    nh = n;
    for (size_t i = 0; i < n; i++)
        hdr[i] = aps_strdup(f[i]);
    while (aps_csv_next(c, &f, &n) == 1 && k < cap) {
        if (aps_csv_row_blank(f, n))
            continue;
        struct row *r = &rows[k++];
        int d, m, y;
        assert_int_equal(sscanf(f[1], "%d/%d/%d", &d, &m, &y), 3);
        snprintf(r->date, sizeof r->date, "%04d-%02d-%02d", y < 100 ? 2000 + y : y, m, d);
        /* the later files have a Time column before the teams */
        int hc = aps_csv_find(hdr, nh, "HomeTeam"), ac = aps_csv_find(hdr, nh, "AwayTeam");
        assert_true(hc >= 0 && ac >= 0 && (size_t)hc < n && (size_t)ac < n);
        snprintf(r->home, sizeof r->home, "%s", f[hc]);
        snprintf(r->away, sizeof r->away, "%s", f[ac]);
        r->hg = (int)field(f, n, hdr, nh, "FTHG");
        r->ag = (int)field(f, n, hdr, nh, "FTAG");
        static const char *sfx[3] = {"H", "D", "A"};
        for (int s = 0; s < 3; s++) {
            r->best[s] = NAN;
            for (size_t b = 0; b < sizeof BOOKS / sizeof BOOKS[0]; b++) {
                char col[16];
                snprintf(col, sizeof col, "%s%s", BOOKS[b], sfx[s]);
                double v = field(f, n, hdr, nh, col);
                if (v > 1 && (isnan(r->best[s]) || v > r->best[s]))
                    r->best[s] = v;
            }
            char col[16];
            snprintf(col, sizeof col, "PSC%s", sfx[s]);
            r->close[s] = field(f, n, hdr, nh, col);
        }
        r->ahh = field(f, n, hdr, nh, "AHh");
        r->ahch = field(f, n, hdr, nh, "AHCh");
        r->pc_ah[0] = field(f, n, hdr, nh, "PCAHH");
        r->pc_ah[1] = field(f, n, hdr, nh, "PCAHA");
        r->pc_ou[0] = field(f, n, hdr, nh, "PC>2.5");
        r->pc_ou[1] = field(f, n, hdr, nh, "PC<2.5");
    }
    for (size_t i = 0; i < nh; i++)
        aps_free(hdr[i]);
    aps_csv_close(c);
    return k;
}

/* Stores a football-data file and checks it held games games. */
static void ingest_games(struct aps_store *st, const char *path, size_t games)
{
    struct aps_conn *c;
    struct aps_writer *w;
    char err[512];
    assert_int_equal(aps_store_acquire(st, APS_DB_WRITE, &c), 0);
    assert_int_equal(aps_writer_open(&w, c, err, sizeof err), 0);
    struct aps_batch b = {0};
    struct aps_ingest_result res;
    assert_int_equal(aps_ingest_parse(APS_SOURCE_FOOTBALL_DATA, path, &b, err, sizeof err), 0);
    assert_int_equal(aps_writer_write(w, &b, path, &res, err, sizeof err), 0);
    assert_int_equal(res.games, games);
    aps_batch_cleanup(&b);
    aps_writer_close(w);
    aps_store_release(c);
}

static void ingest(struct aps_store *st, const char *path)
{
    ingest_games(st, path, 380);
}

static const char *team_key(struct aps_conn *c, int64_t id, char *out, size_t cap)
{
    struct aps_stmt *st;
    assert_int_equal(aps_conn_prepare(c, "SELECT key FROM teams WHERE id = ?1", &st), 0);
    assert_int_equal(aps_stmt_bind_int64(st, 1, id), 0);
    assert_int_equal(aps_stmt_step(st), APS_ROW);
    snprintf(out, cap, "%s", aps_stmt_text(st, 0));
    aps_stmt_finalize(st);
    return out;
}

static void one_season_checked_against_the_file(void **state)
{
    (void)state;
    struct testdb t;
    assert_int_equal(testdb_sqlite(&t), 0);
    ingest(t.st, DATA "1213_E0.csv");
    ingest(t.st, DATA "1314_E0.csv");

    struct aps_conn *c;
    assert_int_equal(aps_store_acquire(t.st, APS_DB_READ, &c), 0);
    struct aps_history h;
    assert_int_equal(aps_history_load(c, APS_SPORT_EPL, NULL, NULL, &h), 0);
    assert_int_equal(h.ngames, 760);
    assert_int_equal(h.nseasons, 2);

    struct aps_elo_params p;
    assert_int_equal(aps_elo_params_default(APS_SPORT_EPL, &p), 0);
    struct aps_elo_predictor_opts po = {&p, false, 8};
    struct aps_predictor pred;
    assert_int_equal(aps_elo_predictor_new(&h, &po, &pred), 0);
    struct aps_backtest_opts o = {.market = APS_MKT_MONEYLINE, .bankroll = 10000, .burn_in = 1,
                                  .margin = APS_MARGIN_MULTIPLICATIVE};
    aps_kelly_params_default(&o.kelly);
    struct aps_backtest_report r;
    assert_int_equal(aps_backtest_run(&h, &pred, &o, &r), 0);

    /* only the second season is bet and scored; every game has pre-match and closing prices */
    assert_int_equal(r.games, 380);
    assert_int_equal(r.with_entry, 380);
    assert_int_equal(r.with_close, 380);
    assert_int_equal(r.scores.n, 380);
    assert_string_equal(r.from, "2013-08-17");
    assert_string_equal(r.to, "2014-05-11");
    assert_true(r.nbets > 0);

    static struct row rows[400];
    size_t nrows = read_rows(DATA "1314_E0.csv", rows, 400);
    assert_int_equal(nrows, 380);

    double profit = 0, staked = 0, bankroll = 10000, day_open = 10000;
    size_t wins = 0, losses = 0, per_tier[4] = {0};
    char day[11] = "";
    for (size_t i = 0; i < r.nbets; i++) {
        const struct aps_bt_bet *b = &r.bets[i];
        const struct aps_hist_game *g = &h.games[b->game];
        char hk[96], ak[96];
        team_key(c, g->home, hk, sizeof hk);
        team_key(c, g->away, ak, sizeof ak);
        const struct row *row = NULL;
        for (size_t k = 0; k < nrows && !row; k++)
            if (!strcmp(rows[k].date, g->date) && !strcmp(rows[k].home, hk) &&
                !strcmp(rows[k].away, ak))
                row = &rows[k];
        assert_non_null(row);
        int s = b->sel == APS_SEL_HOME ? 0 : b->sel == APS_SEL_DRAW ? 1 : 2;
        /* the best bookmaker price of the row */
        assert_true(fabs(b->price - row->best[s]) < 1e-9);
        /* graded from the file's score */
        int actual = row->hg > row->ag ? 0 : row->hg == row->ag ? 1 : 2;
        enum aps_grade_result want = actual == s ? APS_GRADE_WIN : APS_GRADE_LOSS;
        assert_int_equal(b->result, want);
        double pl = want == APS_GRADE_WIN ? b->stake * (b->price - 1) : -b->stake;
        assert_true(fabs(b->profit - pl) < 1e-9);
        /* staked by the Kelly rule from the day's opening bankroll */
        if (strcmp(day, g->date)) {
            snprintf(day, sizeof day, "%s", g->date);
            day_open = bankroll;
        }
        assert_true(fabs(b->bankroll_before - day_open) < 1e-6);
        double fk = (b->p * b->price - 1) / (b->price - 1);
        /* the tier: the worse of the probability's (0.65 / 0.60 / 0.55) and the edge's
         * (2 / 1.5 / 1 × the 0.03 minimum) */
        int tp = b->p >= 0.65 ? 0 : b->p >= 0.60 ? 1 : 2;
        int te = b->edge >= 0.06 ? 0 : b->edge >= 0.045 ? 1 : 2;
        int tier = tp > te ? tp : te;
        assert_int_equal(b->tier, tier);
        double mult = tier == 0 ? 1.0 : tier == 1 ? 0.75 : 0.5;
        double frac = fmin(fk * 0.25 * mult, 0.02);
        assert_true(fabs(b->stake - day_open * frac) < 1e-6);
        assert_true(b->edge >= 0.03 - 1e-12);
        /* CLV against Pinnacle's closing prices, margin removed multiplicatively */
        double inv = 1 / row->close[0] + 1 / row->close[1] + 1 / row->close[2];
        double fair = (1 / row->close[s]) / inv;
        assert_true(b->has_clv);
        assert_true(fabs(b->clv - (fair * b->price - 1)) < 1e-9);
        assert_true(b->has_clv_price && b->clv_price == b->clv); /* a moneyline's is its CLV */
        profit += b->profit;
        staked += b->stake;
        bankroll += b->profit;
        wins += want == APS_GRADE_WIN;
        losses += want == APS_GRADE_LOSS;
        per_tier[b->tier]++;
    }
    assert_true(fabs(r.all.profit - profit) < 1e-6);
    assert_true(fabs(r.all.staked - staked) < 1e-6);
    assert_true(fabs(r.bankroll - (10000 + profit)) < 1e-6);
    assert_int_equal(r.all.wins, wins);
    assert_int_equal(r.all.losses, losses);
    assert_int_equal(r.all.bets, r.nbets);
    assert_int_equal(r.tier[0].bets + r.tier[1].bets + r.tier[2].bets, r.nbets);
    assert_int_equal(r.tier[0].bets, per_tier[0]);
    assert_int_equal(r.tier[APS_TIER_D].bets, 0); /* D is tracked, never staked */
    /* the model's and the close's scores are proper log-losses of a three-way market */
    assert_true(r.scores.ll_close > 0.8 && r.scores.ll_close < 1.1);
    assert_true(r.scores.ll_model > 0.8 && r.scores.ll_model < 1.2);
    /* pinned: this exact season and these parameters (values reproduced by the checks above) */
    assert_int_equal(r.nbets, 16);
    assert_int_equal(wins, 12);
    assert_true(fabs(r.bankroll - 11093.63) < 0.005);

    aps_backtest_report_cleanup(&r);
    pred.destroy(pred.ctx);
    aps_history_cleanup(&h);
    aps_store_release(c);
    testdb_close(&t);
}

static bool same_real(double a, double b)
{
    return (isnan(a) && isnan(b)) || a == b;
}

/* The bets of r checked against aps_market_bet with the picks' parameters on a predictor walked
 * day by day as the backtest walks its own; returns how many of r's bets were met. */
static size_t check_against_picks(const struct aps_history *h, struct aps_predictor *pred,
                                  const struct aps_backtest_opts *o,
                                  const struct aps_backtest_report *r)
{
    struct aps_kelly_params kp = o->kelly; /* as engine/picks.c sizes a published pick */
    kp.min_bet_size = 0;
    size_t met = 0, next = 0;
    for (size_t d0 = 0; d0 < h->ngames;) {
        size_t d1 = d0 + 1;
        while (d1 < h->ngames && !strcmp(h->games[d1].date, h->games[d0].date))
            d1++;
        for (size_t gi = d0; gi < d1; gi++) {
            assert_int_equal(pred->begin(pred->ctx, h, gi), 0);
            struct aps_market_view v;
            assert_int_equal(aps_market_view(h, &h->games[gi], o->market, o->margin, &v), 0);
            if (h->games[gi].season_no < o->burn_in || !v.has_entry)
                continue;
            struct aps_market_bet live, bt;
            assert_int_equal(aps_market_bet(pred, h, gi, &v, &kp, 1.0, &live), 0);
            assert_int_equal(aps_market_bet(pred, h, gi, &v, &o->kelly, 1000, &bt), 0);
            assert_int_equal(live.side, bt.side);
            if (next >= r->nbets || r->bets[next].game != gi)
                continue;
            const struct aps_bt_bet *b = &r->bets[next++];
            assert_true(live.side >= 0);
            assert_int_equal(live.s->sel, b->sel);
            assert_true(same_real(live.s->entry_line, b->line));
            assert_true(live.s->entry_price == b->price);
            assert_true(live.probability == b->p);
            assert_true(same_real(live.s->entry_novig, b->no_vig));
            assert_true(live.sized == 0 && live.sz.edge == b->edge);
            met++;
        }
        for (size_t gi = d0; gi < d1; gi++)
            assert_int_equal(pred->observe(pred->ctx, h, gi), 0);
        d0 = d1;
    }
    return met;
}

static void backtest_and_picks_take_the_same_side(void **state)
{
    (void)state;
    struct testdb t;
    assert_int_equal(testdb_sqlite(&t), 0);
    ingest(t.st, DATA "2122_E0.csv"); /* seasons with handicap and total prices */
    ingest(t.st, DATA "2223_E0.csv");
    struct aps_conn *c;
    assert_int_equal(aps_store_acquire(t.st, APS_DB_READ, &c), 0);
    struct aps_history h;
    assert_int_equal(aps_history_load(c, APS_SPORT_EPL, NULL, NULL, &h), 0);
    struct aps_elo_params p;
    assert_int_equal(aps_elo_params_default(APS_SPORT_EPL, &p), 0);
    struct aps_elo_predictor_opts po = {&p, false, 8};
    static const enum aps_market markets[] = {APS_MKT_MONEYLINE, APS_MKT_SPREAD, APS_MKT_TOTAL};
    for (size_t m = 0; m < 3; m++) {
        struct aps_backtest_opts o = {.market = markets[m], .bankroll = 10000, .burn_in = 1,
                                      .margin = APS_MARGIN_MULTIPLICATIVE};
        aps_kelly_params_default(&o.kelly);
        struct aps_predictor a, b;
        assert_int_equal(aps_elo_predictor_new(&h, &po, &a), 0);
        assert_int_equal(aps_elo_predictor_new(&h, &po, &b), 0);
        struct aps_backtest_report r;
        assert_int_equal(aps_backtest_run(&h, &a, &o, &r), 0);
        assert_int_equal(check_against_picks(&h, &b, &o, &r), r.nbets);
        assert_true(r.nbets > 0);
        aps_backtest_report_cleanup(&r);
        a.destroy(a.ctx);
        b.destroy(b.ctx);
    }
    aps_history_cleanup(&h);
    aps_store_release(c);
    testdb_close(&t);
}

/* The row of the file for game g of the history. */
static const struct row *find_row(struct aps_conn *c, const struct aps_hist_game *g,
                                  const struct row *rows, size_t nrows)
{
    char hk[96], ak[96];
    team_key(c, g->home, hk, sizeof hk);
    team_key(c, g->away, ak, sizeof ak);
    for (size_t k = 0; k < nrows; k++)
        if (!strcmp(rows[k].date, g->date) && !strcmp(rows[k].home, hk) &&
            !strcmp(rows[k].away, ak))
            return &rows[k];
    return NULL;
}

/* Price CLV at the bet's own line, for Asian handicaps and 2.5-goal totals of Premier League
 * 2022-23 (2021-22 warms up), against Pinnacle's closing prices in the file: where the closing
 * handicap is the bet's, the bet's price times Pinnacle's fair closing probability of its side
 * at that line, minus 1; where the handicap moved, none (no book quotes the old line at the
 * close) while the points CLV is the move. Totals stay at 2.5, so their points CLV is 0 and the
 * price CLV is what tells a good entry. The tally's count and mean add up. */
static void price_clv_at_the_bets_line(void **state)
{
    (void)state;
    struct testdb t;
    assert_int_equal(testdb_sqlite(&t), 0);
    ingest(t.st, DATA "2122_E0.csv");
    ingest(t.st, DATA "2223_E0.csv");
    struct aps_conn *c;
    assert_int_equal(aps_store_acquire(t.st, APS_DB_READ, &c), 0);
    struct aps_history h;
    assert_int_equal(aps_history_load(c, APS_SPORT_EPL, NULL, NULL, &h), 0);
    static struct row rows[400];
    size_t nrows = read_rows(DATA "2223_E0.csv", rows, 400);
    assert_int_equal(nrows, 380);
    struct aps_elo_params p;
    assert_int_equal(aps_elo_params_default(APS_SPORT_EPL, &p), 0);
    struct aps_elo_predictor_opts po = {&p, false, 8};
    size_t kept = 0, moved = 0, totals = 0;
    for (int m = 0; m < 2; m++) {
        enum aps_market mk = m ? APS_MKT_TOTAL : APS_MKT_SPREAD;
        struct aps_backtest_opts o = {.market = mk,
                                      .bankroll = 10000,
                                      .burn_in = 1,
                                      .margin = APS_MARGIN_MULTIPLICATIVE};
        aps_kelly_params_default(&o.kelly);
        struct aps_predictor pred;
        assert_int_equal(aps_elo_predictor_new(&h, &po, &pred), 0);
        struct aps_backtest_report r;
        assert_int_equal(aps_backtest_run(&h, &pred, &o, &r), 0);
        assert_true(r.nbets > 20);
        size_t n = 0, pos = 0;
        double sum = 0;
        for (size_t i = 0; i < r.nbets; i++) {
            const struct aps_bt_bet *b = &r.bets[i];
            const struct row *row = find_row(c, &h.games[b->game], rows, nrows);
            assert_non_null(row);
            int s = b->sel == APS_SEL_HOME || b->sel == APS_SEL_OVER ? 0 : 1;
            double home_line = mk == APS_MKT_SPREAD ? (s ? -b->line : b->line) : 2.5;
            double close_line = mk == APS_MKT_SPREAD ? row->ahch : 2.5;
            const double *pc = mk == APS_MKT_SPREAD ? row->pc_ah : row->pc_ou;
            assert_true(b->has_clv);
            if (mk == APS_MKT_SPREAD) {
                assert_true(home_line == row->ahh); /* entered at the pre-match handicap */
                assert_true(fabs(b->clv - (s ? close_line - home_line : home_line - close_line)) <
                            1e-9);
            } else {
                assert_true(b->line == 2.5 && b->clv == 0);
                totals++;
            }
            if (home_line != close_line) {
                assert_false(b->has_clv_price);
                moved++;
                continue;
            }
            assert_true(b->has_clv_price);
            if (pc[0] > 1 && pc[1] > 1) {
                double fair = (1 / pc[s]) / (1 / pc[0] + 1 / pc[1]);
                assert_true(fabs(b->clv_price - (fair * b->price - 1)) < 1e-9);
                kept++;
            }
            n++;
            pos += b->clv_price > 0;
            sum += b->clv_price;
        }
        assert_int_equal(r.all.clv_price_n, n);
        assert_int_equal(r.all.clv_price_pos, pos);
        assert_true(fabs(r.all.clv_price_sum - sum) < 1e-9);
        json_t *j = aps_backtest_json(&r, &h, false);
        json_t *bets = json_object_get(j, "bets");
        assert_int_equal(json_integer_value(json_object_get(bets, "clv_price_bets")),
                         (json_int_t)n);
        assert_true(fabs(json_real_value(json_object_get(bets, "clv_price_mean")) - sum / n) <
                    1e-12);
        json_decref(j);
        aps_backtest_report_cleanup(&r);
        pred.destroy(pred.ctx);
    }
    assert_true(kept > 20); /* checked against Pinnacle's closing prices */
    assert_true(moved > 5); /* handicaps that moved: no price at the bet's line */
    assert_true(totals > 10);
    aps_history_cleanup(&h);
    aps_store_release(c);
    testdb_close(&t);
}

/* The table report of r as text (aps_free). */
static char *table_text(const struct aps_backtest_report *r, const struct aps_history *h)
{
    char *txt = NULL;
    size_t n = 0;
    FILE *f = open_memstream(&txt, &n);
    assert_non_null(f);
    aps_backtest_write(r, h, APS_FMT_TABLE, f);
    assert_int_equal(fclose(f), 0);
    return txt;
}

/* Regression: the table printed "nan" for a yield without stakes, a CLV mean without CLV and a
 * Sharpe ratio of fewer than two bets, and "0.0000" log-loss and Brier scores for a season with
 * no scored game (here 2014-15 with its prices removed: its games are replayed, none is bet or
 * scored). Every undefined figure is now "-" in the table and null in JSON; the defined ones are
 * still numbers. */
static void undefined_figures_are_not_numbers(void **state)
{
    (void)state;
    struct testdb t;
    assert_int_equal(testdb_sqlite(&t), 0);
    ingest(t.st, DATA "1213_E0.csv");
    ingest(t.st, DATA "1314_E0.csv");
    ingest(t.st, DATA "1415_E0.csv");
    struct aps_conn *c;
    assert_int_equal(aps_store_acquire(t.st, APS_DB_WRITE, &c), 0);
    assert_int_equal(aps_conn_exec(c, "DELETE FROM odds WHERE game_id IN (SELECT g.id FROM games g"
                                      " JOIN seasons s ON s.id = g.season_id"
                                      " WHERE s.label = '2014-15')"),
                     0);
    struct aps_history h;
    assert_int_equal(aps_history_load(c, APS_SPORT_EPL, NULL, NULL, &h), 0);
    struct aps_elo_params p;
    assert_int_equal(aps_elo_params_default(APS_SPORT_EPL, &p), 0);
    struct aps_elo_predictor_opts po = {&p, false, 8};
    /* the whole history, then one day of it without a bet */
    const char *window[2][2] = {{NULL, NULL}, {"2013-08-17", "2013-08-17"}};
    for (int w = 0; w < 2; w++) {
        struct aps_predictor pred;
        assert_int_equal(aps_elo_predictor_new(&h, &po, &pred), 0);
        struct aps_backtest_opts o = {.market = APS_MKT_MONEYLINE,
                                      .bankroll = 10000,
                                      .burn_in = 1,
                                      .margin = APS_MARGIN_MULTIPLICATIVE,
                                      .from = window[w][0],
                                      .to = window[w][1]};
        aps_kelly_params_default(&o.kelly);
        struct aps_backtest_report r;
        assert_int_equal(aps_backtest_run(&h, &pred, &o, &r), 0);
        assert_true(r.scores.n > 0);
        char *txt = table_text(&r, &h);
        assert_null(strstr(txt, "nan"));
        assert_null(strstr(txt, "inf"));
        json_t *j = aps_backtest_json(&r, &h, false);
        assert_true(json_is_real(json_object_get(json_object_get(j, "scores"), "log_loss_model")));
        if (w == 0) { /* 2014-15: no bet, no scored game, every figure of its row undefined */
            assert_int_equal(r.nseasons, 2);
            assert_string_equal(r.seasons[1].season, "2014-15");
            assert_int_equal(r.seasons[1].s.n, 0);
            char want[160];
            snprintf(want, sizeof want, "\n  %-9s %6d %11.2f %9s %9s %7d %9s %9s %9s %9s\n",
                     "2014-15", 0, 0.0, "-", "-", 0, "-", "-", "-", "-");
            assert_non_null(strstr(txt, want));
            json_t *s1 = json_object_get(json_array_get(json_object_get(j, "seasons"), 1),
                                         "scores");
            assert_true(json_is_null(json_object_get(s1, "log_loss_model")));
            assert_true(json_is_null(json_object_get(s1, "brier_close")));
            assert_true(json_is_null(json_object_get(s1, "ece_model")));
            assert_true(
                json_is_null(json_object_get(json_object_get(s1, "entry"), "log_loss_entry")));
            assert_null(strstr(txt, "Sharpe - per bet"));
        } else { /* no bet that day: the yields and the Sharpe ratio are undefined */
            assert_int_equal(r.nbets, 0);
            assert_non_null(strstr(txt, "Sharpe - per bet"));
            assert_non_null(strstr(txt, "  all            0      0      0      0         0.00"
                                        "        0.00         -         -        -\n"));
            assert_true(json_is_null(json_object_get(j, "sharpe_per_bet")));
            assert_true(json_is_null(json_object_get(json_object_get(j, "bets"), "yield")));
        }
        json_decref(j);
        aps_free(txt);
        aps_backtest_report_cleanup(&r);
        pred.destroy(pred.ctx);
    }
    aps_history_cleanup(&h);
    aps_store_release(c);
    testdb_close(&t);
}

/* Sports by stored games, most first, ties (none stored) in the order given. */
static void sports_by_stored_games(void **state)
{
    (void)state;
    struct testdb t;
    assert_int_equal(testdb_sqlite(&t), 0);
    ingest(t.st, DATA "1314_E0.csv");
    ingest(t.st, APS_DATA_DIR_DEFAULT "/football-data/SP1/1314_SP1.csv");
    ingest(t.st, APS_DATA_DIR_DEFAULT "/football-data/SP1/1415_SP1.csv");
    ingest_games(t.st, APS_DATA_DIR_DEFAULT "/football-data/D1/1314_D1.csv", 306);
    struct aps_conn *c;
    assert_int_equal(aps_store_acquire(t.st, APS_DB_READ, &c), 0);
    static const enum aps_sport sports[] = {APS_SPORT_NFL, APS_SPORT_EPL, APS_SPORT_LALIGA,
                                            APS_SPORT_BUNDESLIGA, APS_SPORT_SERIEA};
    size_t order[5];
    aps_backtest_sport_order(c, sports, 5, order);
    static const size_t want[] = {2, 1, 3, 0, 4}; /* 760, 380, 306, 0, 0 games */
    for (size_t i = 0; i < 5; i++)
        assert_int_equal(order[i], want[i]);
    static const enum aps_sport none[] = {APS_SPORT_SERIEA, APS_SPORT_NFL, APS_SPORT_NHL};
    aps_backtest_sport_order(c, none, 3, order); /* no games stored: as given */
    for (size_t i = 0; i < 3; i++)
        assert_int_equal(order[i], i);
    aps_store_release(c);
    testdb_close(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(one_season_checked_against_the_file),
        cmocka_unit_test(backtest_and_picks_take_the_same_side),
        cmocka_unit_test(price_clv_at_the_bets_line),
        cmocka_unit_test(sports_by_stored_games),
        cmocka_unit_test(undefined_figures_are_not_numbers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
