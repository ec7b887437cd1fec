/* walkforward.c — folds, labels, calibration and scores of walk-forward evaluation (see
 * walkforward.h). Running a candidate through the folds is in candidate.c. */
#include "model/walkforward.h"

#include <math.h>
#include <string.h>

#include "core/mem.h"
#include "core/str.h"
#include "model/feat_int.h"
#include "model/margin_model.h"
#include "odds/scoring.h"

#define MIN_FOLD_GAMES 30
/* Folds that test fewer games after the warm-up fold make the latest season young (make_folds);
 * the trainer scores at least 200 */
#define YOUNG_SEASON_GAMES 200
#define MIN_SIGMA_ROWS 100
#define MIN_CALIB_ROWS 200
#define CLIP 1e-15

void aps_wf_opts_default(struct aps_wf_opts *o)
{
    *o = (struct aps_wf_opts){.burn_in = 2, .eval_seasons = 8, .monthly_seasons = 1,
                              .train_seasons = 10};
}

/* ---- labels ---- */

static void label_game(struct aps_wf_data *d, size_t gi)
{
    const struct aps_hist_game *g = &d->h->games[gi];
    d->y[gi] = -1;
    d->target[gi] = d->line[gi] = NAN;
    if (d->market != APS_MKT_MONEYLINE)
        d->line[gi] = aps_feat_main_line(d->h, gi, d->market, APS_PHASE_CLOSE);
    if (!aps_hist_final(g))
        return;
    int hs = g->home_score, as = g->away_score;
    if (d->market == APS_MKT_MONEYLINE) {
        if (d->k == 3)
            d->y[gi] = hs > as ? 0 : hs == as ? 1 : 2;
        else if (hs != as)
            d->y[gi] = hs > as ? 0 : 1;
        return;
    }
    d->target[gi] = d->market == APS_MKT_SPREAD ? hs - as : hs + as;
    if (isnan(d->line[gi]))
        return;
    double adj = d->market == APS_MKT_SPREAD ? hs - as + d->line[gi] : hs + as - d->line[gi];
    if (adj != 0)
        d->y[gi] = adj > 0 ? 0 : 1;
}

/* ---- folds ---- */

static void add_fold(struct aps_wf_data *d, size_t *cap, size_t t0, size_t t1, size_t lo,
                     const char *label)
{
    if (d->nfolds == *cap) {
        *cap = *cap ? *cap * 2 : 32;
        d->folds = aps_realloc(d->folds, *cap * sizeof *d->folds);
    }
    struct aps_wf_fold *f = &d->folds[d->nfolds++];
    f->t0 = t0;
    f->t1 = t1;
    f->train_lo = lo;
    (void)aps_str_copy(f->label, sizeof f->label, label);
}

/* Cuts season run [a, b) into calendar months; small months join the fold before. */
static void month_folds(struct aps_wf_data *d, size_t *cap, size_t a, size_t b, size_t lo)
{
    const struct aps_hist_game *g = d->h->games;
    size_t start = a;
    for (size_t i = a; i < b; i++) {
        bool last = i + 1 == b;
        if (!last && !strncmp(g[i + 1].date, g[i].date, 7))
            continue; /* a fold ends where a month does, also one grown from a small month */
        char label[8];
        memcpy(label, g[start].date, 7);
        label[7] = '\0';
        size_t end = i + 1;
        if (end - start < MIN_FOLD_GAMES && d->nfolds && d->folds[d->nfolds - 1].t1 == start &&
            start > a) {
            d->folds[d->nfolds - 1].t1 = end;
        } else if (end - start < MIN_FOLD_GAMES && !last) {
            continue; /* too small at the start of the season: grows into the next month */
        } else {
            add_fold(d, cap, start, end, lo, label);
        }
        start = end;
    }
}

static size_t day_start(const struct aps_history *h, size_t i)
{
    while (i > 0 && i < h->ngames && !strcmp(h->games[i - 1].date, h->games[i].date))
        i--;
    return i;
}

/* Lays the folds of the season runs run[0..nr) (run[nr] is the end), the latest season counted
 * as one of its own or, young, as months after the season before it (see make_folds). */
static void lay_folds(struct aps_wf_data *d, const struct aps_wf_opts *o, const size_t *run,
                      size_t nr, bool young, size_t *cap)
{
    const struct aps_history *h = d->h;
    size_t full = young ? nr - 1 : nr; /* the seasons that count for the burn-in */
    /* a sport with few seasons still gets one training season before the tested ones */
    int burn = o->burn_in < 1 ? 1 : o->burn_in;
    if ((size_t)burn >= full && full >= 2)
        burn = (int)full - 1;
    if (full == 1 && h->ngames) {
        /* a single season: its first quarter (at least, to the end of that day) only trains, the
           rest is cut into months */
        size_t t = (h->ngames + 3) / 4;
        while (t < h->ngames && !strcmp(h->games[t - 1].date, h->games[t].date))
            t++;
        if (t < h->ngames)
            month_folds(d, cap, t, h->ngames, 0);
        return;
    }
    size_t first = nr > (size_t)o->eval_seasons ? nr - (size_t)o->eval_seasons : 0;
    if (first < (size_t)burn)
        first = (size_t)burn;
    /* young: when the only full season tested is the first, which only warms up, it is cut
       into months too */
    size_t monthly = (size_t)o->monthly_seasons + (young && first + 1 >= full);
    for (size_t r = first; r < nr; r++) {
        if (run[r + 1] <= run[r])
            continue;
        size_t lo = run[r > (size_t)o->train_seasons ? r - (size_t)o->train_seasons : 0];
        if (r + monthly >= nr)
            month_folds(d, cap, run[r], run[r + 1], lo);
        else
            add_fold(d, cap, run[r], run[r + 1], lo, h->games[run[r]].season);
    }
}

static int make_folds(struct aps_wf_data *d, const struct aps_wf_opts *o)
{
    const struct aps_history *h = d->h;
    size_t *run = aps_malloc((h->ngames + 2) * sizeof *run), nr = 0, cap = 0;
    for (size_t i = 0; i < h->ngames; i++)
        if (!i || h->games[i].season_no != h->games[i - 1].season_no)
            run[nr++] = day_start(h, i);
    run[nr] = h->ngames;
    lay_folds(d, o, run, nr, false, &cap);
    /* A latest season so young (a cutoff, or the data, a few weeks into it) that the folds after
       the warm-up fold test fewer than YOUNG_SEASON_GAMES games is laid out as months after the
       seasons before it, as if they were the whole history: a few more games never leave fewer
       to score (the season before it was the burn-in or the warm-up fold alone). */
    size_t tested = d->nfolds >= 2 ? d->folds[d->nfolds - 1].t1 - d->folds[1].t0 : 0;
    if (nr >= 2 && tested < YOUNG_SEASON_GAMES) {
        d->nfolds = 0;
        lay_folds(d, o, run, nr, true, &cap);
    }
    aps_free(run);
    return d->nfolds >= 2 ? 0 : APS_E_NOTFOUND;
}

int aps_wf_data_init(struct aps_wf_data *d, const struct aps_history *h,
                     const struct aps_feat_matrix *m, const struct aps_feat_spec *spec,
                     enum aps_market market, const struct aps_wf_opts *o)
{
    memset(d, 0, sizeof *d);
    d->h = h;
    d->m = m;
    d->spec = spec;
    d->market = market;
    d->regression = market != APS_MKT_MONEYLINE;
    d->k = market == APS_MKT_MONEYLINE && aps_sport_info(h->sport)->three_way ? 3 : 2;
    size_t n = h->ngames + 1;
    d->y = aps_malloc(n * sizeof *d->y);
    d->target = aps_malloc(n * sizeof *d->target);
    d->line = aps_malloc(n * sizeof *d->line);
    d->elo_diff = aps_malloc(n * sizeof *d->elo_diff);
    int ec = -1;
    for (int j = 0; j < spec->ncols; j++)
        if (spec->col[j] == APS_F_ELO_DIFF)
            ec = j;
    for (size_t gi = 0; gi < h->ngames; gi++) {
        label_game(d, gi);
        d->elo_diff[gi] = ec >= 0 ? m->x[gi * (size_t)m->d + (size_t)ec] : NAN;
    }
    int rc = make_folds(d, o);
    if (rc)
        aps_wf_data_cleanup(d);
    return rc;
}

void aps_wf_data_cleanup(struct aps_wf_data *d)
{
    aps_free(d->y);
    aps_free(d->target);
    aps_free(d->line);
    aps_free(d->elo_diff);
    aps_free(d->folds);
    memset(d, 0, sizeof *d);
}

size_t aps_wf_train_rows(const struct aps_wf_data *d, size_t f, size_t *rows)
{
    const struct aps_wf_fold *fo = &d->folds[f];
    size_t n = 0;
    for (size_t gi = fo->train_lo; gi < fo->t0; gi++) {
        bool ok = d->regression ? !isnan(d->target[gi]) : d->y[gi] >= 0;
        if (ok)
            rows[n++] = gi;
    }
    return n;
}

size_t aps_wf_final_rows(const struct aps_wf_data *d, size_t *rows)
{
    size_t n = 0, lo = d->nfolds ? d->folds[d->nfolds - 1].train_lo : 0;
    for (size_t gi = lo; gi < d->h->ngames; gi++) {
        bool ok = d->regression ? !isnan(d->target[gi]) : d->y[gi] >= 0;
        if (ok)
            rows[n++] = gi;
    }
    return n;
}

int aps_wf_fold_of(const struct aps_wf_data *d, size_t gi)
{
    size_t lo = 0, hi = d->nfolds;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (gi < d->folds[mid].t0)
            hi = mid;
        else if (gi >= d->folds[mid].t1)
            lo = mid + 1;
        else
            return (int)mid;
    }
    return -1;
}

bool aps_wf_scored(const struct aps_wf_data *d, size_t gi)
{
    return d->y[gi] >= 0 && aps_wf_fold_of(d, gi) >= 1;
}

/* ---- out-of-fold sets ---- */

void aps_oof_init(struct aps_oof *o, size_t n, int k, bool regression)
{
    memset(o, 0, sizeof *o);
    o->n = n;
    o->k = k;
    o->p = aps_malloc((n * (size_t)k + 1) * sizeof *o->p);
    for (size_t i = 0; i < n * (size_t)k; i++)
        o->p[i] = NAN;
    if (regression) {
        o->mu = aps_malloc((n + 1) * sizeof *o->mu);
        o->sigma = aps_malloc((n + 1) * sizeof *o->sigma);
        for (size_t i = 0; i < n; i++)
            o->mu[i] = o->sigma[i] = NAN;
    }
}

void aps_oof_cleanup(struct aps_oof *o)
{
    aps_free(o->p);
    aps_free(o->mu);
    aps_free(o->sigma);
    memset(o, 0, sizeof *o);
}

void aps_wf_regression_probs(const struct aps_wf_data *d, struct aps_oof *o)
{
    enum aps_selection s0 = d->market == APS_MKT_TOTAL ? APS_SEL_OVER : APS_SEL_HOME;
    for (size_t gi = 0; gi < o->n; gi++) {
        double p = aps_margin_cover_prob_dist(o->dist, o->mu[gi], o->sigma[gi], d->market, s0,
                                              d->line[gi]);
        o->p[gi * 2] = p;
        o->p[gi * 2 + 1] = 1 - p;
    }
}

void aps_wf_sigma(const struct aps_wf_data *d, struct aps_oof *o, const double *fallback,
                  double *final_sigma)
{
    double ss = 0;
    size_t cnt = 0;
    for (size_t f = 0; f < d->nfolds; f++) {
        double s = cnt >= MIN_SIGMA_ROWS ? sqrt(ss / (double)cnt) : fallback[f];
        for (size_t gi = d->folds[f].t0; gi < d->folds[f].t1; gi++) {
            if (isnan(o->mu[gi]))
                continue;
            o->sigma[gi] = s;
        }
        for (size_t gi = d->folds[f].t0; gi < d->folds[f].t1; gi++) {
            if (isnan(o->mu[gi]) || isnan(d->target[gi]))
                continue;
            ss += (d->target[gi] - o->mu[gi]) * (d->target[gi] - o->mu[gi]);
            cnt++;
        }
    }
    *final_sigma = cnt ? sqrt(ss / (double)cnt) : fallback[d->nfolds ? d->nfolds - 1 : 0];
    aps_wf_regression_probs(d, o);
}

/* ---- calibration ---- */

static void copy_oof(const struct aps_oof *raw, struct aps_oof *out, bool regression)
{
    aps_oof_init(out, raw->n, raw->k, regression);
    memcpy(out->p, raw->p, raw->n * (size_t)raw->k * sizeof *out->p);
    out->dist = raw->dist;
    if (regression) {
        memcpy(out->mu, raw->mu, raw->n * sizeof *out->mu);
        memcpy(out->sigma, raw->sigma, raw->n * sizeof *out->sigma);
    }
}

/* Gathers the (probability of class 0 or row, class) pairs of the tested games before end. */
static size_t gather(const struct aps_wf_data *d, const struct aps_oof *raw, size_t end, double *p,
                     int *y)
{
    size_t n = 0;
    for (size_t gi = d->folds[0].t0; gi < end; gi++) {
        if (d->y[gi] < 0 || isnan(raw->p[gi * (size_t)raw->k]))
            continue;
        if (raw->k == 2) {
            p[n] = raw->p[gi * 2];
            y[n] = d->y[gi] == 0;
        } else {
            memcpy(p + n * (size_t)raw->k, raw->p + gi * (size_t)raw->k,
                   (size_t)raw->k * sizeof *p);
            y[n] = d->y[gi];
        }
        n++;
    }
    return n;
}

/* Applies calibrator c to game gi's row. */
static void apply(const struct aps_calib *c, const double *in, double *out, int k)
{
    memcpy(out, in, (size_t)k * sizeof *out);
    if (k == 2) {
        out[0] = aps_calib_apply(c, in[0]);
        out[1] = 1 - out[0];
    } else {
        aps_calib_apply_multi(c, out, k);
    }
}

static int fit_one(enum aps_calib_method m, const double *p, const int *y, size_t n, int k,
                   struct aps_calib *c)
{
    if (k == 2)
        return aps_calib_fit(m, p, y, n, c);
    return aps_calib_fit_multi(m, p, y, n, k, c);
}

static double row_loss(const double *p, int y)
{
    double q = p[y];
    return -log(q < CLIP ? CLIP : q);
}

int aps_wf_calibrate(const struct aps_wf_data *d, const struct aps_oof *raw, struct aps_oof *out,
                     enum aps_calib_method *final_method)
{
    int k = raw->k, rc = 0, nm = k == 2 ? APS_CALIB__COUNT : 2;
    static const enum aps_calib_method multi[] = {APS_CALIB_NONE, APS_CALIB_TEMPERATURE};
    copy_oof(raw, out, d->regression);
    *final_method = APS_CALIB_NONE;
    double *cal = aps_malloc((raw->n * (size_t)k * (size_t)nm + 1) * sizeof *cal);
    double loss[APS_CALIB__COUNT] = {0};
    double *p = aps_malloc((raw->n * (size_t)k + 1) * sizeof *p);
    int *y = aps_malloc((raw->n + 1) * sizeof *y);
    for (size_t f = 0; f < d->nfolds && !rc; f++) {
        size_t n = f ? gather(d, raw, d->folds[f].t0, p, y) : 0;
        int best = 0;
        for (int mi = 1; mi < nm; mi++)
            if (loss[mi] < loss[best])
                best = mi;
        for (int mi = 0; mi < nm && !rc; mi++) {
            enum aps_calib_method m = k == 2 ? (enum aps_calib_method)mi : multi[mi];
            struct aps_calib c = {.method = APS_CALIB_NONE, .a = 1};
            if (n >= MIN_CALIB_ROWS)
                rc = fit_one(m, p, y, n, k, &c);
            for (size_t gi = d->folds[f].t0; gi < d->folds[f].t1 && !rc; gi++) {
                double *row = cal + (gi * (size_t)nm + (size_t)mi) * (size_t)k;
                if (isnan(raw->p[gi * (size_t)k])) {
                    row[0] = NAN;
                    continue;
                }
                apply(&c, raw->p + gi * (size_t)k, row, k);
                if (mi == best)
                    memcpy(out->p + gi * (size_t)k, row, (size_t)k * sizeof *row);
            }
            aps_calib_cleanup(&c);
        }
        /* this fold's losses count toward the choice for the folds after it */
        for (size_t gi = d->folds[f].t0; f >= 1 && gi < d->folds[f].t1; gi++)
            for (int mi = 0; d->y[gi] >= 0 && mi < nm; mi++) {
                const double *row = cal + (gi * (size_t)nm + (size_t)mi) * (size_t)k;
                if (!isnan(row[0]))
                    loss[mi] += row_loss(row, d->y[gi]);
            }
    }
    int best = 0;
    for (int mi = 1; mi < nm; mi++)
        if (loss[mi] < loss[best])
            best = mi;
    *final_method = k == 2 ? (enum aps_calib_method)best : multi[best];
    aps_free(cal);
    aps_free(p);
    aps_free(y);
    return rc;
}

int aps_wf_fit_calibrator(const struct aps_wf_data *d, const struct aps_oof *raw,
                          enum aps_calib_method method, struct aps_calib *c)
{
    memset(c, 0, sizeof *c);
    c->a = 1;
    if (method == APS_CALIB_NONE || !d->nfolds)
        return 0;
    int k = raw->k;
    double *p = aps_malloc((raw->n * (size_t)k + 1) * sizeof *p);
    int *y = aps_malloc((raw->n + 1) * sizeof *y);
    size_t n = gather(d, raw, d->folds[d->nfolds - 1].t1, p, y);
    int rc = n >= MIN_CALIB_ROWS ? fit_one(method, p, y, n, k, c) : 0;
    aps_free(p);
    aps_free(y);
    return rc;
}

/* ---- scores ---- */

int aps_wf_score_mask(const struct aps_wf_data *d, const struct aps_oof *o, const bool *mask,
                      struct aps_wf_scores *s)
{
    int k = o->k;
    size_t n = 0, np = 0;
    double *pool = aps_malloc((o->n * (size_t)k + 1) * sizeof *pool);
    int *py = aps_malloc((o->n * (size_t)k + 1) * sizeof *py);
    double *p0 = aps_malloc((o->n + 1) * sizeof *p0);
    int *y0 = aps_malloc((o->n + 1) * sizeof *y0);
    memset(s, 0, sizeof *s);
    for (size_t gi = 0; gi < o->n; gi++) {
        const double *row = o->p + gi * (size_t)k;
        if (!aps_wf_scored(d, gi) || (mask && !mask[gi]) || isnan(row[0]))
            continue;
        int y = d->y[gi];
        s->log_loss += row_loss(row, y);
        for (int c = 0; c < k; c++) {
            s->brier += (row[c] - (c == y)) * (row[c] - (c == y));
            if (k == 3 || c == 0) {
                pool[np] = row[c];
                py[np++] = c == y;
            }
        }
        p0[n] = row[0];
        y0[n++] = y == 0;
    }
    int rc = 0;
    s->n = n;
    if (n) {
        s->log_loss /= (double)n;
        s->brier /= k == 2 ? 2.0 * (double)n : (double)n;
        rc = aps_score_ece(pool, py, np, &s->ece);
        if (!rc)
            rc = aps_score_auc(p0, y0, n, &s->auc);
    } else {
        s->log_loss = s->brier = s->ece = s->auc = NAN;
    }
    aps_free(pool);
    aps_free(py);
    aps_free(p0);
    aps_free(y0);
    return rc;
}

int aps_wf_score(const struct aps_wf_data *d, const struct aps_oof *o, struct aps_wf_scores *s)
{
    return aps_wf_score_mask(d, o, NULL, s);
}
