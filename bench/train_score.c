/* train_score.c — the driver of bench/train's scoring measurement: how long one game's feature
 * row takes to go through a trained model (aps_trained_predict), for the stacked ensemble of a
 * seeded medium_quality search and for the sport's production model when one is registered.
 *
 *   train_score DATABASE_URL SPORT [REPEAT]
 *
 * The features of every game of the sport are computed first (not timed); then every row is
 * scored REPEAT times (default 20) and the mean time per row is printed, one key=value line per
 * model. The probabilities are summed and printed too, so the work cannot be optimised away. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/str.h"
#include "core/timeutil.h"
#include "engine/trainer.h"
#include "model/registry.h"
#include "store/store.h"

static int elo_col(const struct aps_trained *t)
{
    for (int j = 0; j < t->spec.ncols; j++)
        if (t->spec.col[j] == APS_F_ELO_DIFF)
            return j;
    return -1;
}

/* Mean microseconds per row over every game of the matrix built for t's spec. */
static int time_model(const struct aps_trainer_sport *ts, const struct aps_trained *t, int repeat,
                      const char *label)
{
    struct aps_feat_matrix m;
    int rc = aps_feat_build(&ts->h, &ts->x, &t->spec, &m);
    if (rc)
        return rc;
    int ec = elo_col(t);
    double sum = 0, t0 = aps_time_mono();
    struct aps_prediction pr;
    for (int r = 0; r < repeat && !rc; r++)
        for (size_t gi = 0; gi < m.n && !rc; gi++) {
            const double *x = m.x + gi * (size_t)m.d;
            rc = aps_trained_predict(t, x, m.elo + gi * 3, ec >= 0 ? x[ec] : NAN, &pr);
            sum += t->regression ? pr.mu : pr.p[0];
        }
    double us = (aps_time_mono() - t0) * 1e6 / ((double)m.n * repeat);
    if (!rc)
        printf("model=%s family=%s bases=%d features=%d games=%zu us_per_game=%.2f check=%.3f\n",
               label, aps_family_name(t->family), t->nbase, t->spec.ncols, m.n, us, sum);
    aps_feat_matrix_cleanup(&m);
    return rc;
}

static int ensemble(struct aps_trainer_sport *ts, int repeat)
{
    struct aps_wf_opts wo;
    struct aps_wf_data d;
    aps_wf_opts_default(&wo);
    int rc = aps_wf_data_init(&d, &ts->h, &ts->m, &ts->spec, APS_MKT_MONEYLINE, &wo);
    if (rc)
        return rc;
    struct aps_search_opts so = {.seed = 42,
                                 .budget_s = 3600,
                                 .max_models = 50,
                                 .preset = APS_PRESET_MEDIUM,
                                 .fit_name = "ensemble"};
    struct aps_search_result r;
    rc = aps_search_run(&d, &so, &r);
    if (!rc && r.model.family != APS_FAM_ENSEMBLE)
        rc = APS_E_NOTFOUND;
    if (!rc)
        rc = time_model(ts, &r.model, repeat, "ensemble");
    if (!rc || rc == APS_E_NOTFOUND)
        aps_search_result_cleanup(&r);
    aps_wf_data_cleanup(&d);
    return rc;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: train_score DATABASE_URL SPORT [REPEAT]\n");
        return 2;
    }
    int repeat = 20, sport = aps_sport_from_code(argv[2]);
    if (argc > 3 && aps_parse_int(argv[3], &repeat))
        repeat = 0;
    char err[256];
    struct aps_store *st;
    struct aps_conn *c;
    struct aps_store_opts so = {.url = argv[1], .pool_size = 1, .pool_timeout = 5};
    if (sport < 0 || repeat < 1 || aps_store_open(&st, &so, err, sizeof err)) {
        fprintf(stderr, "train_score: bad sport, repeat or store %s\n", err);
        return 1;
    }
    if (aps_store_acquire(st, APS_DB_READ, &c))
        return 1;
    struct aps_trainer_sport ts;
    int rc = aps_trainer_prepare(c, sport, &ts);
    if (!rc)
        rc = ensemble(&ts, repeat);
    struct aps_model_row row;
    struct aps_trained t;
    char why[256] = "";
    if (!rc && !aps_registry_production(c, argv[2], "moneyline", &row)) {
        rc = aps_registry_load(row.path, &t, why, sizeof why);
        if (rc && why[0])
            fprintf(stderr, "train_score: %s: %s\n", row.path, why);
        if (!rc) {
            rc = time_model(&ts, &t, repeat, row.name);
            aps_trained_cleanup(&t);
        }
        aps_registry_row_cleanup(&row);
    }
    if (rc)
        fprintf(stderr, "train_score: %s: %s\n", argv[2], aps_strerror(rc));
    aps_trainer_sport_cleanup(&ts);
    aps_store_release(c);
    aps_store_close(st);
    return rc ? 1 : 0;
}
