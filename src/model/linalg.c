/* linalg.c — Cholesky solve (see linalg.h). */
#include "model/linalg.h"

#include <math.h>

static int factor(double *a, int n)
{
    for (int j = 0; j < n; j++) {
        double s = a[j * n + j];
        for (int k = 0; k < j; k++)
            s -= a[j * n + k] * a[j * n + k];
        if (!(s > 0))
            return APS_E_RANGE;
        double l = sqrt(s);
        a[j * n + j] = l;
        for (int i = j + 1; i < n; i++) {
            double t = a[i * n + j];
            for (int k = 0; k < j; k++)
                t -= a[i * n + k] * a[j * n + k];
            a[i * n + j] = t / l;
        }
    }
    return 0;
}

int aps_linalg_solve_spd(double *a, double *b, int n)
{
    double diag = 0;
    for (int i = 0; i < n; i++)
        diag += fabs(a[i * n + i]);
    diag = n ? diag / n : 0;
    /* the factor overwrites the lower triangle; keep the diagonal to retry with a ridge */
    double keep[512];
    if (n > 512)
        return APS_E_TOOBIG;
    for (int i = 0; i < n; i++) {
        keep[i] = a[i * n + i];
        for (int k = 0; k < i; k++)
            a[i * n + k] = a[k * n + i];
    }
    int rc = factor(a, n);
    for (double ridge = 1e-10; rc && ridge < 1e-2; ridge *= 100) {
        for (int i = 0; i < n; i++) {
            a[i * n + i] = keep[i] + ridge * (diag > 0 ? diag : 1);
            for (int k = 0; k < i; k++)
                a[i * n + k] = a[k * n + i];
        }
        rc = factor(a, n);
    }
    if (rc)
        return rc;
    for (int i = 0; i < n; i++) {
        double s = b[i];
        for (int k = 0; k < i; k++)
            s -= a[i * n + k] * b[k];
        b[i] = s / a[i * n + i];
    }
    for (int i = n - 1; i >= 0; i--) {
        double s = b[i];
        for (int k = i + 1; k < n; k++)
            s -= a[k * n + i] * b[k];
        b[i] = s / a[i * n + i];
    }
    return 0;
}
