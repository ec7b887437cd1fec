/* search.c — candidates, the search loop, the leaderboard and the production fit (see search.h). */
#include "model/search.h"

#include <jansson.h>
#include <pthread.h>
#include <stdatomic.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/mem.h"
#include "core/timeutil.h"

/* An ensemble fits every candidate that ran as one of its base models. */
_Static_assert(APS_SEARCH_MAX_CANDIDATES <= APS_ENS_MAX,
               "an ensemble must hold every candidate of the largest search");

/* ---- seeded random numbers (splitmix64): passed around, never global ---- */

static uint64_t next_u64(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static double uniform(uint64_t *s, double lo, double hi)
{
    return lo + (hi - lo) * (double)(next_u64(s) >> 11) / 9007199254740992.0;
}

static double log_uniform(uint64_t *s, double lo, double hi)
{
    return exp(uniform(s, log(lo), log(hi)));
}

int aps_preset_parse(const char *s)
{
    static const char *const names[] = {"medium_quality", "good_quality", "high_quality",
                                        "best_quality"};
    for (int i = 0; s && i < 4; i++)
        if (!strcmp(names[i], s))
            return i;
    return -1;
}

/* ---- candidates ---- */

static const double l2_grid[4][7] = {
    {10, 100}, {3, 30, 300}, {1, 10, 100, 1000}, {1, 3, 10, 30, 100, 300, 1000}};
static const int l2_count[4] = {2, 3, 4, 7};
static const double offset_l2[3] = {100, 1000, 10000}; /* market-offset logistic penalties */
static const double anchor_l2[3] = {30, 300, 3000};    /* market-anchored ridge penalties */
static const double poisson_l2[2] = {10, 100};        /* Poisson-total ridge penalties */
static const double skellam_l2[2] = {10, 100};        /* Skellam-margin ridge penalties; the
                                                         anchored Skellam uses anchor_l2[1..2] */
#define APS_COUNT_MEAN 20 /* totals averaging below this many are counts (goals, runs) */

/* True when the market is a total whose final games before the first test fold average a count
 * small enough for a Poisson outcome (goals, runs; not basketball or football points). */
static bool count_total(const struct aps_wf_data *d)
{
    double s = 0;
    size_t n = 0, end = d->nfolds ? d->folds[0].t0 : 0;
    for (size_t gi = 0; d->market == APS_MKT_TOTAL && gi < end; gi++)
        if (!isnan(d->target[gi])) {
            s += d->target[gi];
            n++;
        }
    return n > 0 && s / (double)n < APS_COUNT_MEAN;
}

/* True for the spread (handicap) of a sport whose scores are goals: soccer and hockey. */
static bool goal_spread(const struct aps_wf_data *d)
{
    return d->market == APS_MKT_SPREAD &&
           (aps_sport_info(d->h->sport)->three_way || d->h->sport == APS_SPORT_NHL);
}

static const int gbm_count[4] = {1, 2, 4, 8};

static struct aps_gbm_params gbm_draw(uint64_t *rng, int i)
{
    struct aps_gbm_params p = {100, 3, 0.08, 10, 0.8, 0.8, 5, 0, 0, 0, 1};
    if (i > 0) {
        p.depth = 2 + (int)(next_u64(rng) % 3);
        p.eta = log_uniform(rng, 0.03, 0.15);
        p.rounds = (int)lround(8 / p.eta);
        p.min_child = log_uniform(rng, 2, 50);
        p.subsample = uniform(rng, 0.6, 1);
        p.colsample = uniform(rng, 0.5, 1);
        p.lambda = uniform(rng, 0, 10);
        p.alpha = uniform(rng, 0, 2);
        p.gamma = uniform(rng, 0, 1);
    }
    p.seed = next_u64(rng) % 2147483647ULL;
    return p;
}

int aps_search_candidates(const struct aps_wf_data *d, const struct aps_search_opts *o,
                          struct aps_candidate **out, size_t *n)
{
    int pr = o->preset < APS_PRESET_MEDIUM || o->preset > APS_PRESET_BEST ? 0 : (int)o->preset;
    uint64_t rng = o->seed;
    struct aps_candidate *c = aps_calloc(APS_SEARCH_MAX_CANDIDATES, sizeof *c);
    size_t k = 0;
    if (!d->regression || d->market == APS_MKT_SPREAD) {
        c[k].family = APS_FAM_ELO;
        snprintf(c[k++].name, sizeof c->name, "elo");
    }
    for (int i = 0; i < l2_count[pr]; i++) {
        c[k].family = APS_FAM_LOGISTIC;
        c[k].l2 = l2_grid[pr][i];
        snprintf(c[k++].name, sizeof c->name, "%s_l2=%g", d->regression ? "ridge" : "logistic",
                 l2_grid[pr][i]);
    }
    if (!d->regression) {
        c[k].family = APS_FAM_LOGISTIC;
        c[k].l2 = 10;
        c[k].market_only = true;
        snprintf(c[k++].name, sizeof c->name, "logistic_market_l2=10");
    }
    int off[3];
    for (int i = 0; !d->regression && aps_candidate_offset_cols(d->spec, d->k, off) && i < 3; i++) {
        c[k].family = APS_FAM_LOGISTIC;
        c[k].l2 = offset_l2[i];
        c[k].market_offset = true;
        snprintf(c[k++].name, sizeof c->name, "logistic_offset_l2=%g", offset_l2[i]);
    }
    for (int i = 0; d->regression && aps_candidate_line_col(d->spec, d->market) >= 0 && i < 3;
         i++) {
        c[k].family = APS_FAM_LOGISTIC;
        c[k].l2 = anchor_l2[i];
        c[k].market_offset = true;
        snprintf(c[k++].name, sizeof c->name, "ridge_offset_l2=%g", anchor_l2[i]);
    }
    for (int i = 0; count_total(d) && i < 2; i++) {
        c[k].family = APS_FAM_LOGISTIC;
        c[k].l2 = poisson_l2[i];
        c[k].poisson = true;
        snprintf(c[k++].name, sizeof c->name, "ridge_poisson_l2=%g", poisson_l2[i]);
    }
    for (int i = 0; goal_spread(d) && i < 2; i++) {
        c[k].family = APS_FAM_LOGISTIC;
        c[k].l2 = skellam_l2[i];
        c[k].skellam = true;
        snprintf(c[k++].name, sizeof c->name, "ridge_skellam_l2=%g", skellam_l2[i]);
    }
    for (int i = 1; goal_spread(d) && aps_candidate_line_col(d->spec, d->market) >= 0 && i < 3;
         i++) {
        c[k].family = APS_FAM_LOGISTIC;
        c[k].l2 = anchor_l2[i];
        c[k].market_offset = c[k].skellam = true;
        snprintf(c[k++].name, sizeof c->name, "ridge_offset_skellam_l2=%g", anchor_l2[i]);
    }
    for (int i = 0; i < gbm_count[pr]; i++, k++) {
        c[k].family = APS_FAM_GBM;
        c[k].gbm = gbm_draw(&rng, i);
        snprintf(c[k].name, sizeof c->name, "gbm_%d_d%d_eta%.3f_r%d", i + 1, c[k].gbm.depth,
                 c[k].gbm.eta, c[k].gbm.rounds);
    }
    *out = c;
    *n = k;
    return 0;
}

/* ---- one candidate ---- */

struct ran {
    struct aps_candidate c;
    struct aps_oof raw, cal;
    enum aps_calib_method method;
    double final_sigma;
};

struct progress {
    const struct aps_search_opts *o;
    size_t i, n;
    const char *name;
};

static void on_fold(void *arg, size_t fold, size_t nfolds)
{
    const struct progress *pg = arg;
    fprintf(pg->o->progress, "\r\033[K%s: candidate %zu/%zu %s, fold %zu/%zu",
            pg->o->label ? pg->o->label : "train", pg->i, pg->n, pg->name, fold, nfolds);
    fflush(pg->o->progress);
}

static void add_entry(struct aps_search_result *r, const struct aps_candidate *c,
                      enum aps_calib_method m, const struct aps_wf_scores *s, double seconds)
{
    r->lb = aps_realloc(r->lb, (r->nlb + 1) * sizeof *r->lb);
    struct aps_lb_entry *e = &r->lb[r->nlb++];
    memset(e, 0, sizeof *e);
    snprintf(e->name, sizeof e->name, "%s", c->name);
    e->family = c->family;
    e->params = aps_candidate_to_json(c);
    e->calib = m;
    e->s = *s;
    e->seconds = seconds;
}

/* One candidate's walk-forward result, kept until the leaderboard takes it in order, and the
 * state of its run while the threads share its folds. */
enum slot_state { SLOT_WAITING, SLOT_RUNNING, SLOT_NOT_RUN };

struct slot {
    struct aps_wf_scores s;
    double seconds; /* the time spent on it: its folds' and its calibration's, summed */
    int rc;
    bool skipped;  /* over the budget or the model cap when its turn came */
    bool over_mem; /* skipped for the resident memory over max_mem */
    enum slot_state state; /* set once, under the pool's lock, by its first fold's thread */
    atomic_size_t left;    /* folds not finished */
    atomic_bool cut;       /* a fold failed or was not run: the others need not run */
    int *fold_rc;
    double *fold_secs, *fallback;
};

/* The candidates are independent (each walk-forward run reads the shared data and writes only
 * its own slot), and so are one candidate's folds (each writes only its own games' rows), so
 * the search hands out (candidate, fold) pairs to SEARCH_THREADS threads; whichever thread
 * finishes a candidate's last fold calibrates and scores it, and the leaderboard then takes the
 * candidates in candidate order, exactly as one thread running them in turn would have added
 * them. Handing out folds rather than whole candidates keeps both threads busy to the end: the
 * boosted trees, the longest candidate, take as long as all the others together. The pairs are
 * handed out longest first: the candidates in start order (boosted trees, then the logistic
 * models, then Elo; candidate order within each), each candidate's folds from the last (the
 * most games to learn from) to the first. Candidate i runs when the budget is not spent at its
 * first fold's turn and i < max_models (a candidate that fails ends the search, so the first i
 * that run all succeeded); the ones after a failure are not started. */
#define SEARCH_THREADS 2

struct search_pool {
    const struct aps_wf_data *d;
    const struct aps_search_opts *o;
    const struct aps_candidate *cands;
    const size_t *order; /* the candidates in the order they start */
    size_t nc;
    struct ran *runs;
    struct slot *slots;
    double t0;
    pthread_mutex_t lock; /* the slots' state */
    atomic_size_t next;   /* the next (candidate, fold) pair to take */
    atomic_size_t failed; /* the first candidate that failed (nc: none) */
    atomic_size_t resident_max;
};

/* Whether the process's resident memory is above max_mem at a candidate's turn; the largest
 * size seen is kept in *seen. */
static bool over_memory(const struct aps_search_opts *o, atomic_size_t *seen)
{
    if (!o->max_mem)
        return false;
    size_t now = aps_mem_resident(), was = atomic_load(seen);
    while (now > was && !atomic_compare_exchange_weak(seen, &was, now))
        ;
    return now > o->max_mem;
}

static bool stopped(const struct aps_search_opts *o)
{
    return o->stop && atomic_load(o->stop);
}

/* Decides at candidate i's first fold whether it runs, and if so sets its run up; true when
 * its folds are to run. */
static bool take_candidate(struct search_pool *sp, size_t i)
{
    struct slot *sl = &sp->slots[i];
    size_t nf = sp->d->nfolds;
    pthread_mutex_lock(&sp->lock);
    if (sl->state == SLOT_WAITING) {
        sl->state = SLOT_NOT_RUN;
        if (i > atomic_load(&sp->failed)) {
            /* not started: an earlier candidate failed */
        } else if (aps_time_mono() - sp->t0 > sp->o->budget_s || (int)i >= sp->o->max_models) {
            sl->skipped = true;
        } else if (over_memory(sp->o, &sp->resident_max)) {
            sl->skipped = sl->over_mem = true;
        } else {
            sl->state = SLOT_RUNNING;
            sp->runs[i].c = sp->cands[i];
            aps_wf_begin(sp->d, &sp->runs[i].c, &sp->runs[i].raw);
            sl->fold_rc = aps_calloc(nf, sizeof *sl->fold_rc);
            sl->fold_secs = aps_calloc(nf, sizeof *sl->fold_secs);
            sl->fallback = aps_calloc(nf, sizeof *sl->fallback);
            atomic_init(&sl->left, nf);
            atomic_init(&sl->cut, false);
        }
    }
    bool run = sl->state == SLOT_RUNNING;
    pthread_mutex_unlock(&sp->lock);
    return run;
}

/* After candidate i's last fold: its error scale, calibration and scores, or the first
 * failure among its folds. */
static void finish_candidate(struct search_pool *sp, size_t i)
{
    struct slot *sl = &sp->slots[i];
    struct ran *rn = &sp->runs[i];
    double t0 = aps_time_mono(), secs = 0;
    int rc = 0;
    for (size_t f = 0; f < sp->d->nfolds; f++) {
        secs += sl->fold_secs[f];
        if (!rc)
            rc = sl->fold_rc[f];
    }
    if (!rc && atomic_load(&sl->cut))
        rc = APS_E_INTERRUPTED; /* folds left out after an earlier candidate failed */
    if (!rc) {
        aps_wf_end(sp->d, &rn->raw, sl->fallback, &rn->final_sigma);
        rc = aps_wf_calibrate(sp->d, &rn->raw, &rn->cal, &rn->method);
    }
    if (!rc)
        rc = aps_wf_score(sp->d, &rn->cal, &sl->s);
    if (!rc && sl->s.n == 0)
        rc = APS_E_NOTFOUND;
    if (rc)
        aps_oof_cleanup(&rn->raw);
    sl->seconds = secs + (aps_time_mono() - t0);
    sl->rc = rc;
    if (rc) {
        size_t f = atomic_load(&sp->failed);
        while (i < f && !atomic_compare_exchange_weak(&sp->failed, &f, i))
            ;
    }
    aps_free(sl->fold_rc);
    aps_free(sl->fold_secs);
    aps_free(sl->fallback);
}

static void *search_worker(void *arg)
{
    struct search_pool *sp = arg;
    size_t nf = sp->d->nfolds;
    size_t *rows = aps_malloc((sp->d->h->ngames + 1) * sizeof *rows);
    for (;;) {
        size_t at = atomic_fetch_add(&sp->next, 1);
        if (at >= sp->nc * nf)
            break;
        size_t i = sp->order[at / nf], f = nf - 1 - at % nf;
        if (!take_candidate(sp, i))
            continue;
        struct slot *sl = &sp->slots[i];
        struct ran *rn = &sp->runs[i];
        double t0 = aps_time_mono();
        int rc = 0;
        if (stopped(sp->o))
            rc = APS_E_INTERRUPTED;
        else if (atomic_load(&sl->cut) || i > atomic_load(&sp->failed))
            atomic_store(&sl->cut, true);
        else
            rc = aps_wf_fold(sp->d, &rn->c, f, rows, &rn->raw, &sl->fallback[f]);
        if (rc)
            atomic_store(&sl->cut, true);
        sl->fold_rc[f] = rc;
        sl->fold_secs[f] = aps_time_mono() - t0;
        size_t left = atomic_fetch_sub(&sl->left, 1) - 1;
        if (sp->o->progress) {
            struct progress pg = {sp->o, i + 1, sp->nc + 1, sp->cands[i].name};
            on_fold(&pg, nf - left, nf);
        }
        if (!left)
            finish_candidate(sp, i);
    }
    aps_free(rows);
    return NULL;
}

/* How long a candidate of family f takes against the others: the start order's key. */
static int cost_rank(enum aps_family f)
{
    return f == APS_FAM_GBM ? 0 : f == APS_FAM_LOGISTIC ? 1 : 2;
}

void aps_search_start_order(const struct aps_candidate *cands, size_t nc, size_t *order)
{
    size_t n = 0;
    for (int rank = 0; rank <= 2; rank++)
        for (size_t i = 0; i < nc; i++)
            if (cost_rank(cands[i].family) == rank)
                order[n++] = i;
}

/* Runs every candidate, then moves the ones that ran to the front of runs, in order, adding
 * each to the leaderboard; *nr gets their count. */
static int run_candidates(const struct aps_wf_data *d, const struct aps_search_opts *o,
                          const struct aps_candidate *cands, size_t nc, double t0,
                          struct ran *runs, size_t *nr, struct aps_search_result *r)
{
    if (!d->nfolds)
        return APS_E_NOTFOUND;
    struct slot *slots = aps_calloc(nc + 1, sizeof *slots);
    size_t *order = aps_malloc((nc + 1) * sizeof *order);
    aps_search_start_order(cands, nc, order);
    struct search_pool sp = {.d = d,
                             .o = o,
                             .cands = cands,
                             .order = order,
                             .nc = nc,
                             .runs = runs,
                             .slots = slots,
                             .t0 = t0};
    atomic_init(&sp.next, 0);
    atomic_init(&sp.failed, nc);
    atomic_init(&sp.resident_max, 0);
    pthread_mutex_init(&sp.lock, NULL);
    pthread_t th[SEARCH_THREADS];
    size_t nth = 0;
    for (size_t t = 1; t < SEARCH_THREADS && t < nc * d->nfolds; t++)
        if (!pthread_create(&th[nth], NULL, search_worker, &sp))
            nth++;
    (void)search_worker(&sp);
    for (size_t t = 0; t < nth; t++)
        pthread_join(th[t], NULL);
    pthread_mutex_destroy(&sp.lock);
    r->resident_max = atomic_load(&sp.resident_max);
    int rc = 0;
    *nr = 0;
    for (size_t i = 0; i < nc && !rc; i++) {
        if (slots[i].skipped) {
            r->skipped++;
            r->skipped_mem += slots[i].over_mem;
            continue;
        }
        rc = slots[i].rc;
        if (rc)
            break;
        add_entry(r, &runs[i].c, runs[i].method, &slots[i].s, slots[i].seconds);
        if (*nr != i) {
            runs[*nr] = runs[i];
            memset(&runs[i], 0, sizeof runs[i]);
        }
        (*nr)++;
    }
    aps_free(slots);
    aps_free(order);
    return rc;
}

static int by_loss(const void *a, const void *b)
{
    const struct aps_lb_entry *x = a, *y = b;
    if (x->s.log_loss != y->s.log_loss)
        return x->s.log_loss < y->s.log_loss ? -1 : 1;
    return strcmp(x->name, y->name);
}

/* The family averages of the runs' calibrated predictions: the ensemble's inputs. groups[i] gets
 * run i's group. Returns the number of groups; out[g] are init'ed here. */
static int family_inputs(const struct aps_wf_data *d, const struct ran *runs, size_t nr,
                         int *groups, struct aps_oof *out)
{
    int ng = 0;
    struct aps_oof *members = aps_malloc((nr + 1) * sizeof *members);
    for (int f = 0; f < APS_FAM__COUNT; f++) {
        int n = 0;
        for (size_t i = 0; i < nr; i++)
            if (runs[i].c.family == (enum aps_family)f) {
                members[n++] = runs[i].cal;
                groups[i] = ng;
            }
        if (n)
            aps_ens_average(members, n, d->regression, &out[ng++]);
    }
    aps_free(members);
    return ng;
}

/* ---- production fit ---- */

static int fit_base(const struct aps_wf_data *d, const struct ran *rn, size_t *rows, size_t n,
                    struct aps_trained *t)
{
    int b = t->nbase;
    int rc = aps_base_fit(&rn->c, d, rows, n, &t->base[b]);
    if (!rc)
        rc = aps_wf_fit_calibrator(d, &rn->raw, rn->method, &t->calib[b]);
    t->sigma[b] = rn->final_sigma;
    if (!rc)
        t->nbase++;
    else
        aps_base_cleanup(&t->base[b]);
    return rc;
}

static int fit_final(const struct aps_wf_data *d, const struct ran *runs, size_t nr,
                     const struct ran *ensr, const char *best, struct aps_trained *t)
{
    size_t *rows = aps_malloc((d->h->ngames + 1) * sizeof *rows);
    size_t n = aps_wf_final_rows(d, rows);
    int rc = 0, groups[APS_ENS_MAX + 1];
    t->sport = d->h->sport;
    t->market = d->market;
    t->regression = d->regression;
    t->k = d->k;
    t->spec = *d->spec;
    snprintf(t->name, sizeof t->name, "%s", best);
    bool ens = !strcmp(best, "ensemble");
    t->family = APS_FAM_ENSEMBLE;
    for (size_t i = 0; i < nr && !rc; i++) {
        if (!ens && strcmp(runs[i].c.name, best))
            continue;
        if (!ens)
            t->family = runs[i].c.family;
        rc = fit_base(d, &runs[i], rows, n, t);
    }
    if (!rc && ens) {
        struct aps_oof in[APS_FAM__COUNT];
        t->ngroups = family_inputs(d, runs, nr, groups, in);
        memcpy(t->group, groups, (size_t)t->nbase * sizeof *groups);
        rc = aps_ens_fit_meta(d, in, t);
        for (int g = 0; g < t->ngroups; g++)
            aps_oof_cleanup(&in[g]);
        if (!rc)
            rc = aps_wf_fit_calibrator(d, &ensr->raw, ensr->method, &t->out_calib);
    }
    aps_free(rows);
    return rc;
}

static void copy_oof(const struct aps_oof *src, struct aps_oof *dst)
{
    aps_oof_init(dst, src->n, src->k, src->mu != NULL);
    dst->dist = src->dist;
    memcpy(dst->p, src->p, src->n * (size_t)src->k * sizeof *dst->p);
    if (src->mu) {
        memcpy(dst->mu, src->mu, src->n * sizeof *dst->mu);
        memcpy(dst->sigma, src->sigma, src->n * sizeof *dst->sigma);
    }
}

/* The stacked ensemble over the families of the base candidates that ran, calibrated
 * walk-forward like a base model: ens->raw its raw and ens->cal its calibrated predictions. */
static int run_ensemble(const struct aps_wf_data *d, const struct ran *runs, size_t nr,
                        struct ran *ens, struct aps_search_result *r)
{
    double t0 = aps_time_mono();
    struct aps_oof in[APS_FAM__COUNT];
    int groups[APS_ENS_MAX + 1];
    int ng = family_inputs(d, runs, nr, groups, in);
    struct aps_wf_scores s;
    int rc = ng >= 2 ? aps_ens_walkforward(d, in, ng, &ens->raw) : APS_E_NOTFOUND;
    if (!rc)
        rc = aps_wf_calibrate(d, &ens->raw, &ens->cal, &ens->method);
    if (!rc)
        rc = aps_wf_score(d, &ens->cal, &s);
    for (int g = 0; g < ng; g++)
        aps_oof_cleanup(&in[g]);
    if (rc == APS_E_NOTFOUND)
        return 0; /* one family only: nothing to stack */
    if (rc)
        return rc;
    struct aps_candidate c = {.family = APS_FAM_ENSEMBLE};
    snprintf(c.name, sizeof c.name, "ensemble");
    add_entry(r, &c, ens->method, &s, aps_time_mono() - t0);
    return 0;
}

static int finish(const struct aps_wf_data *d, struct ran *runs, size_t nr, struct ran *ens,
                  const char *fit_name, struct aps_search_result *r)
{
    qsort(r->lb, r->nlb, sizeof *r->lb, by_loss);
    const char *best = r->lb[0].name;
    for (size_t i = 0; fit_name && i < r->nlb; i++)
        if (!strcmp(r->lb[i].name, fit_name))
            best = r->lb[i].name;
    int rc = fit_final(d, runs, nr, ens, best, &r->model);
    if (rc)
        return rc;
    if (!strcmp(best, "ensemble")) {
        copy_oof(&ens->cal, &r->oof);
        return 0;
    }
    for (size_t i = 0; i < nr; i++)
        if (!strcmp(runs[i].c.name, best))
            copy_oof(&runs[i].cal, &r->oof);
    return 0;
}

int aps_search_run(const struct aps_wf_data *d, const struct aps_search_opts *o,
                   struct aps_search_result *r)
{
    struct aps_candidate *cands = NULL;
    size_t nc = 0, nr = 0;
    double t0 = aps_time_mono();
    memset(r, 0, sizeof *r);
    int rc = aps_search_candidates(d, o, &cands, &nc);
    struct ran *runs = aps_calloc(nc + 1, sizeof *runs);
    struct ran ens = {0};
    if (!rc)
        rc = run_candidates(d, o, cands, nc, t0, runs, &nr, r);
    if (!rc && stopped(o))
        rc = APS_E_INTERRUPTED;
    bool in_budget = (int)nr + 1 <= o->max_models && aps_time_mono() - t0 <= o->budget_s;
    atomic_size_t seen;
    atomic_init(&seen, r->resident_max);
    bool over_mem = !rc && nr >= 2 && in_budget && over_memory(o, &seen);
    r->resident_max = atomic_load(&seen);
    if (!rc && nr >= 2 && in_budget && !over_mem)
        rc = run_ensemble(d, runs, nr, &ens, r);
    else if (!rc && nr >= 2) {
        r->skipped++;
        r->skipped_mem += over_mem;
    }
    if (o->progress) {
        fprintf(o->progress, "\r\033[K");
        fflush(o->progress);
    }
    if (!rc && !r->nlb)
        rc = APS_E_NOTFOUND;
    if (!rc)
        rc = finish(d, runs, nr, &ens, o->fit_name, r);
    for (size_t i = 0; i < nc; i++) {
        aps_oof_cleanup(&runs[i].raw);
        aps_oof_cleanup(&runs[i].cal);
    }
    aps_oof_cleanup(&ens.raw);
    aps_oof_cleanup(&ens.cal);
    aps_free(runs);
    aps_free(cands);
    r->seconds = aps_time_mono() - t0;
    if (rc) { /* the counts stay: they say why nothing ran */
        size_t skipped = r->skipped, skipped_mem = r->skipped_mem, resident = r->resident_max;
        aps_search_result_cleanup(r);
        r->skipped = skipped;
        r->skipped_mem = skipped_mem;
        r->resident_max = resident;
    }
    return rc;
}

void aps_search_result_cleanup(struct aps_search_result *r)
{
    for (size_t i = 0; i < r->nlb; i++)
        aps_free(r->lb[i].params);
    aps_free(r->lb);
    aps_oof_cleanup(&r->oof);
    aps_trained_cleanup(&r->model);
    memset(r, 0, sizeof *r);
}

char *aps_search_leaderboard_json(const struct aps_search_result *r)
{
    json_t *a = json_array();
    for (size_t i = 0; i < r->nlb; i++) {
        const struct aps_lb_entry *e = &r->lb[i];
        json_error_t err;
        json_t *o = json_object(), *params = json_loads(e->params, 0, &err);
        json_object_set_new(o, "rank", json_integer((json_int_t)i + 1));
        json_object_set_new(o, "name", json_string(e->name));
        json_object_set_new(o, "family", json_string(aps_family_name(e->family)));
        json_object_set_new(o, "params", params ? params : json_object());
        json_object_set_new(o, "calibration", json_string(aps_calib_name(e->calib)));
        json_object_set_new(o, "games", json_integer((json_int_t)e->s.n));
        json_object_set_new(o, "log_loss", json_real(e->s.log_loss));
        json_object_set_new(o, "brier", json_real(e->s.brier));
        json_object_set_new(o, "ece", json_real(e->s.ece));
        json_object_set_new(o, "auc", json_real(e->s.auc));
        json_object_set_new(o, "seconds", json_real(round(e->seconds * 1000) / 1000));
        json_array_append_new(a, o);
    }
    char *txt = json_dumps(a, JSON_COMPACT | JSON_REAL_PRECISION(10));
    json_decref(a);
    char *copy = aps_strdup(txt ? txt : "[]");
    aps_free(txt);
    return copy;
}

void aps_search_print(const struct aps_search_result *r, FILE *out)
{
    fprintf(out, "  %-4s %-34s %-12s %6s %8s %8s %7s %7s %7s\n", "rank", "candidate",
            "calibration", "games", "log-loss", "brier", "ece", "auc", "secs");
    for (size_t i = 0; i < r->nlb; i++) {
        const struct aps_lb_entry *e = &r->lb[i];
        fprintf(out, "  %-4zu %-34s %-12s %6zu %8.4f %8.4f %7.4f %7.4f %7.2f\n", i + 1, e->name,
                aps_calib_name(e->calib), e->s.n, e->s.log_loss, e->s.brier, e->s.ece, e->s.auc,
                e->seconds);
    }
    if (r->skipped > r->skipped_mem)
        fprintf(out, "  (%zu candidates not run: H2O_MAX_RUNTIME_SECS or H2O_MAX_MODELS reached)\n",
                r->skipped - r->skipped_mem);
    if (r->skipped_mem)
        fprintf(out,
                "  (%zu candidates not run: the process held %.0f MiB at their turn, over"
                " H2O_MAX_MEM_SIZE)\n",
                r->skipped_mem, (double)r->resident_max / 1048576.0);
}
