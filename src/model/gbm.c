/* gbm.c — XGBoost through its C API (see gbm.h). */
#include "model/gbm.h"

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <xgboost/c_api.h>

#include "core/mem.h"

#define XG(call) ((call) == 0 ? 0 : APS_E_IO)

const char *aps_gbm_last_error(void)
{
    return XGBGetLastError();
}

static size_t row_at(const size_t *rows, size_t i)
{
    return rows ? rows[i] : i;
}

/* A DMatrix of the chosen rows (floats, NAN missing). */
static int dmatrix(const double *x, int d, const size_t *rows, size_t n, DMatrixHandle *out)
{
    float *f = aps_malloc((n * (size_t)d + 1) * sizeof *f);
    for (size_t i = 0; i < n; i++)
        for (int j = 0; j < d; j++)
            f[i * (size_t)d + (size_t)j] = (float)x[row_at(rows, i) * (size_t)d + (size_t)j];
    int rc = XG(XGDMatrixCreateFromMat(f, (bst_ulong)n, (bst_ulong)d, NAN, out));
    aps_free(f);
    return rc;
}

static int set_params(BoosterHandle b, enum aps_gbm_objective obj, int k,
                      const struct aps_gbm_params *p)
{
    char v[32];
    int rc = 0;
    const char *objective = obj == APS_GBM_BINARY    ? "binary:logistic"
                            : obj == APS_GBM_SOFTMAX ? "multi:softprob" : "reg:squarederror";
#define SETP(name, fmt, val)                                                  \
    do {                                                                      \
        snprintf(v, sizeof v, fmt, val);                                      \
        if (!rc)                                                              \
            rc = XG(XGBoosterSetParam(b, name, v));                           \
    } while (0)
    SETP("objective", "%s", objective);
    SETP("tree_method", "%s", "hist");
    SETP("max_bin", "%d", 64);
    SETP("verbosity", "%d", 0);
    SETP("max_depth", "%d", p->depth);
    SETP("eta", "%.6g", p->eta);
    SETP("min_child_weight", "%.6g", p->min_child);
    SETP("subsample", "%.6g", p->subsample);
    SETP("colsample_bytree", "%.6g", p->colsample);
    SETP("lambda", "%.6g", p->lambda);
    SETP("alpha", "%.6g", p->alpha);
    SETP("gamma", "%.6g", p->gamma);
    SETP("seed", "%llu", (unsigned long long)(p->seed % 2147483647ULL));
    SETP("nthread", "%d", p->nthread > 0 ? p->nthread : 1);
    if (obj == APS_GBM_SOFTMAX)
        SETP("num_class", "%d", k);
#undef SETP
    return rc;
}

static int check(int d, const double *y, size_t n, enum aps_gbm_objective obj, int k,
                 const struct aps_gbm_params *p)
{
    if (d < 1 || !n || !y || !p || p->rounds < 1 || p->depth < 1 || !(p->eta > 0))
        return APS_E_INVAL;
    if (obj == APS_GBM_SOFTMAX && (k < 3 || k > 16))
        return APS_E_INVAL;
    return 0;
}

int aps_gbm_fit(const double *x, int d, const double *y, const size_t *rows, size_t n,
                enum aps_gbm_objective obj, int k, const struct aps_gbm_params *p,
                struct aps_gbm *m)
{
    memset(m, 0, sizeof *m);
    int rc = check(d, y, n, obj, k, p);
    if (rc)
        return rc;
    DMatrixHandle dm = NULL;
    BoosterHandle b = NULL;
    float *label = aps_malloc(n * sizeof *label);
    for (size_t i = 0; i < n; i++) {
        double v = y[row_at(rows, i)];
        label[i] = (float)(obj == APS_GBM_BINARY ? (v == 0) : v);
    }
    rc = dmatrix(x, d, rows, n, &dm);
    if (!rc)
        rc = XG(XGDMatrixSetFloatInfo(dm, "label", label, (bst_ulong)n));
    if (!rc)
        rc = XG(XGBoosterCreate(&dm, 1, &b));
    if (!rc)
        rc = set_params(b, obj, k, p);
    for (int it = 0; !rc && it < p->rounds; it++)
        rc = XG(XGBoosterUpdateOneIter(b, it, dm));
    aps_free(label);
    if (dm)
        XGDMatrixFree(dm);
    if (rc) {
        if (b)
            XGBoosterFree(b);
        return rc;
    }
    *m = (struct aps_gbm){b, d, obj == APS_GBM_REGRESSION ? 1 : obj == APS_GBM_BINARY ? 2 : k, obj};
    return 0;
}

void aps_gbm_cleanup(struct aps_gbm *m)
{
    if (m->booster)
        XGBoosterFree(m->booster);
    memset(m, 0, sizeof *m);
}

/* Turns raw XGBoost output (one value per row for binary and regression, k for softmax) into
 * out. */
static void expand(const struct aps_gbm *m, const float *res, size_t n, double *out)
{
    for (size_t i = 0; i < n; i++) {
        if (m->obj == APS_GBM_BINARY) {
            out[i * 2] = res[i];
            out[i * 2 + 1] = 1 - (double)res[i];
        } else if (m->obj == APS_GBM_REGRESSION) {
            out[i] = res[i];
        } else {
            for (int c = 0; c < m->k; c++)
                out[i * (size_t)m->k + (size_t)c] = res[i * (size_t)m->k + (size_t)c];
        }
    }
}

int aps_gbm_predict(const struct aps_gbm *m, const double *x, const size_t *rows, size_t n,
                    double *out)
{
    if (!n)
        return 0;
    DMatrixHandle dm = NULL;
    bst_ulong len = 0;
    const float *res = NULL;
    int rc = dmatrix(x, m->d, rows, n, &dm);
    if (!rc)
        rc = XG(XGBoosterPredict(m->booster, dm, 0, 0, 0, &len, &res));
    if (!rc && len != n * (m->obj == APS_GBM_SOFTMAX ? (size_t)m->k : 1))
        rc = APS_E_IO;
    if (!rc)
        expand(m, res, n, out);
    if (dm)
        XGDMatrixFree(dm);
    return rc;
}

int aps_gbm_predict_row(const struct aps_gbm *m, const double *x, double *out)
{
    char iface[160], cfg[] = "{\"type\":0,\"training\":false,\"iteration_begin\":0,\"cache_id\":0,"
                             "\"iteration_end\":0,\"strict_shape\":false,\"missing\":NaN}";
    int n = snprintf(iface, sizeof iface,
                     "{\"data\":[%llu,true],\"shape\":[1,%d],\"typestr\":\"<f8\",\"version\":3}",
                     (unsigned long long)(uintptr_t)x, m->d);
    if (n < 0 || (size_t)n >= sizeof iface)
        return APS_E_TOOBIG;
    const bst_ulong *shape = NULL;
    bst_ulong dim = 0;
    const float *res = NULL;
    int rc = XG(XGBoosterPredictFromDense(m->booster, iface, cfg, NULL, &shape, &dim, &res));
    if (!rc)
        expand(m, res, 1, out);
    return rc;
}

int aps_gbm_contrib(const struct aps_gbm *m, const double *x, int c, double *out)
{
    DMatrixHandle dm = NULL;
    const bst_ulong *shape = NULL;
    bst_ulong dim = 0;
    const float *res = NULL;
    char cfg[] = "{\"type\":2,\"training\":false,\"iteration_begin\":0,\"iteration_end\":0,"
                 "\"strict_shape\":true}";
    int rc = dmatrix(x, m->d, NULL, 1, &dm);
    if (!rc)
        rc = XG(XGBoosterPredictFromDMatrix(m->booster, dm, cfg, &shape, &dim, &res));
    /* strict shape: (rows, groups, features + 1) */
    if (!rc && (dim != 3 || shape[2] != (bst_ulong)m->d + 1))
        rc = APS_E_IO;
    if (!rc) {
        int g = m->obj == APS_GBM_SOFTMAX ? c : 0;
        if (g < 0 || (bst_ulong)g >= shape[1])
            rc = APS_E_INVAL;
        for (int j = 0; !rc && j <= m->d; j++)
            out[j] = res[(size_t)g * (size_t)(m->d + 1) + (size_t)j];
        if (!rc && m->obj == APS_GBM_BINARY && c == 1)
            for (int j = 0; j <= m->d; j++)
                out[j] = -out[j];
    }
    if (dm)
        XGDMatrixFree(dm);
    return rc;
}

int aps_gbm_save(const struct aps_gbm *m, const char *path)
{
    return XG(XGBoosterSaveModel(m->booster, path));
}

int aps_gbm_load(const char *path, enum aps_gbm_objective obj, int k, struct aps_gbm *m)
{
    memset(m, 0, sizeof *m);
    BoosterHandle b = NULL;
    bst_ulong d = 0;
    int rc = XG(XGBoosterCreate(NULL, 0, &b));
    if (!rc)
        rc = XG(XGBoosterLoadModel(b, path));
    if (!rc)
        rc = XG(XGBoosterGetNumFeature(b, &d));
    if (rc) {
        if (b)
            XGBoosterFree(b);
        return rc;
    }
    *m = (struct aps_gbm){b, (int)d, obj == APS_GBM_REGRESSION ? 1 : obj == APS_GBM_BINARY ? 2 : k,
                          obj};
    return 0;
}
