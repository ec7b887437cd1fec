/* store_fmt.c — typed statements (store.h, "typed statements"): parameters and result columns
 * described by spec letters or struct aps_arg values, bound and read through the dispatch in
 * store.c, so both backends get them unchanged.
 *
 * One bind path: every parameter letter becomes a struct aps_arg (arg_of) and every struct
 * aps_arg one backend bind (bind_arg). The spec is checked against the statement's own count of
 * parameters (the backend's `params`) and, for results, against its count of columns, so a spec
 * that drifts from its SQL fails on the first run in the tests rather than binding the wrong
 * slots. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "core/mem.h"
#include "store/store.h"
#include "store/store_backend.h"

/* ---- parameters ---------------------------------------------------------------------------- */

static int bind_arg(struct aps_stmt *s, int idx, const struct aps_arg *a)
{
    if (aps_arg_is_null(a))
        return aps_stmt_bind_null(s, idx);
    switch (a->type) {
    case APS_ARG_INT64:
        return aps_stmt_bind_int64(s, idx, a->v.i);
    case APS_ARG_DOUBLE:
        return aps_stmt_bind_double(s, idx, a->v.d);
    case APS_ARG_TEXT:
        return aps_stmt_bind_text(s, idx, a->v.t);
    case APS_ARG_NULL:
        break;
    }
    aps_conn_set_error(s->conn, "bind: parameter %d has an unknown type", idx);
    return APS_E_INVAL;
}

/* Reads the argument of parameter letter l from *ap into *a; APS_E_INVAL for an unknown
 * letter (nothing read). */
static int arg_of(char l, va_list *ap, struct aps_arg *a)
{
    const char *t = NULL;
    const int64_t *ip = NULL;
    *a = APS_ARG_NONE;
    switch (l) {
    case 'i':
        *a = APS_ARG_I64(va_arg(*ap, int64_t));
        return 0;
    case 'I':
        ip = va_arg(*ap, const int64_t *);
        if (ip)
            *a = APS_ARG_I64(*ip);
        return 0;
    case 'b':
        *a = APS_ARG_I64(va_arg(*ap, int) != 0);
        return 0;
    case 'd':
        *a = APS_ARG_DBL(va_arg(*ap, double));
        return 0;
    case 's':
        *a = APS_ARG_TXT(va_arg(*ap, const char *));
        return 0;
    case 'S':
        t = va_arg(*ap, const char *);
        if (t && *t)
            *a = APS_ARG_TXT(t);
        return 0;
    case 'n':
        return 0;
    default:
        return APS_E_INVAL;
    }
}

static int vbind(struct aps_stmt *s, const char *spec, va_list *ap)
{
    size_t n = strlen(spec);
    int want = s->conn->ops->params(s);
    if (want < 0 || (size_t)want != n) {
        aps_conn_set_error(s->conn, "bind: spec \"%s\" gives %zu parameters, the SQL has %d",
                           spec, n, want);
        return APS_E_INVAL;
    }
    for (size_t i = 0; i < n; i++) {
        struct aps_arg a;
        if (arg_of(spec[i], ap, &a) != 0) {
            aps_conn_set_error(s->conn, "bind: unknown letter '%c' in spec \"%s\"", spec[i],
                               spec);
            return APS_E_INVAL;
        }
        int rc = bind_arg(s, (int)i + 1, &a);
        if (rc)
            return rc;
    }
    return 0;
}

static int vprepare(struct aps_conn *c, struct aps_stmt **out, const char *sql, const char *spec,
                    va_list *ap)
{
    int rc = aps_conn_prepare(c, sql, out);
    if (rc)
        return rc;
    rc = vbind(*out, spec ? spec : "", ap);
    if (rc) {
        aps_stmt_finalize(*out);
        *out = NULL;
    }
    return rc;
}

int aps_stmt_bindf(struct aps_stmt *s, const char *spec, ...)
{
    va_list ap;
    va_start(ap, spec);
    int rc = vbind(s, spec ? spec : "", &ap);
    va_end(ap);
    return rc;
}

int aps_stmt_bind_args(struct aps_stmt *s, int first, const struct aps_arg *args, int n)
{
    for (int i = 0; i < n; i++) {
        int rc = bind_arg(s, first + i, &args[i]);
        if (rc)
            return rc;
    }
    return 0;
}

int aps_conn_preparef(struct aps_conn *c, struct aps_stmt **out, const char *sql,
                      const char *spec, ...)
{
    va_list ap;
    va_start(ap, spec);
    int rc = vprepare(c, out, sql, spec, &ap);
    va_end(ap);
    return rc;
}

int aps_conn_vpreparef(struct aps_conn *c, struct aps_stmt **out, const char *sql,
                       const char *spec, va_list ap)
{
    va_list cp;
    va_copy(cp, ap);
    int rc = vprepare(c, out, sql, spec, &cp);
    va_end(cp);
    return rc;
}

/* ---- running ------------------------------------------------------------------------------- */

/* Steps s to its end (past any RETURNING rows) and finalizes it. */
static int run_to_end(struct aps_stmt *s, int64_t *changes)
{
    int rc;
    do
        rc = aps_stmt_step(s);
    while (rc == APS_ROW);
    if (rc == APS_DONE && changes)
        *changes = aps_stmt_changes(s);
    aps_stmt_finalize(s);
    return rc < 0 ? rc : 0;
}

static int vrun(struct aps_conn *c, int64_t *changes, const char *sql, const char *spec,
                va_list *ap)
{
    struct aps_stmt *s = NULL;
    int rc = vprepare(c, &s, sql, spec, ap);
    return rc ? rc : run_to_end(s, changes);
}

int aps_conn_execf(struct aps_conn *c, const char *sql, const char *spec, ...)
{
    va_list ap;
    va_start(ap, spec);
    int rc = vrun(c, NULL, sql, spec, &ap);
    va_end(ap);
    return rc;
}

int aps_conn_changef(struct aps_conn *c, int64_t *changes, const char *sql, const char *spec,
                     ...)
{
    va_list ap;
    va_start(ap, spec);
    int rc = vrun(c, changes, sql, spec, &ap);
    va_end(ap);
    return rc;
}

/* ---- one row ------------------------------------------------------------------------------- */

struct out {
    char l;
    void *p;
    size_t cap; /* 's' only */
};

/* Reads the output pointer(s) of result letter l from *ap. */
static int out_of(char l, va_list *ap, struct out *o)
{
    o->l = l;
    o->p = NULL;
    o->cap = 0;
    switch (l) {
    case 'i':
    case 'b':
    case 'd':
    case 'm':
        o->p = va_arg(*ap, void *);
        return 0;
    case 's':
        o->p = va_arg(*ap, char *);
        o->cap = va_arg(*ap, size_t);
        return 0;
    case '-':
        return 0;
    default:
        return APS_E_INVAL;
    }
}

/* Collects the outputs of spec; then *ap stands at the parameter spec. */
static int collect_outs(struct aps_conn *c, const char *spec, va_list *ap, struct out *outs,
                        int *n)
{
    for (*n = 0; spec[*n]; (*n)++) {
        if (*n == APS_STMT_SPEC_MAX) {
            aps_conn_set_error(c, "query_row: more than %d result letters", APS_STMT_SPEC_MAX);
            return APS_E_TOOBIG;
        }
        if (out_of(spec[*n], ap, &outs[*n]) != 0) {
            aps_conn_set_error(c, "query_row: unknown result letter '%c' in \"%s\"", spec[*n],
                               spec);
            return APS_E_INVAL;
        }
    }
    return 0;
}

/* Checks the row against outs before anything is written, so a failure leaves every output as
 * it was (and no copy allocated). */
static int check_row(const struct aps_stmt *s, const struct out *outs, int n)
{
    int cols = aps_stmt_columns(s);
    if (cols != n) {
        aps_conn_set_error(s->conn, "query_row: %d result letters for %d columns", n, cols);
        return APS_E_INVAL;
    }
    for (int i = 0; i < n; i++) {
        const char *t = outs[i].l == 's' ? aps_stmt_text(s, i) : NULL;
        if (t && strlen(t) >= outs[i].cap) {
            aps_conn_set_error(s->conn, "query_row: column %d (%zu bytes) does not fit in %zu",
                               i, strlen(t), outs[i].cap);
            return APS_E_TOOBIG;
        }
    }
    return 0;
}

static void write_out(const struct aps_stmt *s, int col, const struct out *o)
{
    const char *t = NULL;
    switch (o->l) {
    case 'i':
        *(int64_t *)o->p = aps_stmt_is_null(s, col) ? 0 : aps_stmt_int64(s, col);
        break;
    case 'b':
        *(bool *)o->p = !aps_stmt_is_null(s, col) && aps_stmt_int64(s, col) != 0;
        break;
    case 'd':
        *(double *)o->p = aps_stmt_double(s, col);
        break;
    case 's':
        t = aps_stmt_text(s, col);
        if (o->cap)
            snprintf(o->p, o->cap, "%s", t ? t : "");
        break;
    case 'm':
        t = aps_stmt_text(s, col);
        *(char **)o->p = t ? aps_strdup(t) : NULL;
        break;
    default: /* '-' */
        break;
    }
}

int aps_conn_query_row(struct aps_conn *c, const char *sql, const char *out_spec, ...)
{
    struct out outs[APS_STMT_SPEC_MAX];
    struct aps_stmt *s = NULL;
    int n = 0;
    va_list ap;
    va_start(ap, out_spec);
    int rc = collect_outs(c, out_spec ? out_spec : "", &ap, outs, &n);
    if (!rc)
        rc = vprepare(c, &s, sql, va_arg(ap, const char *), &ap);
    va_end(ap);
    if (rc)
        return rc;
    rc = aps_stmt_step(s);
    if (rc == APS_DONE)
        rc = APS_E_NOTFOUND;
    if (rc == APS_ROW)
        rc = check_row(s, outs, n);
    for (int i = 0; rc == 0 && i < n; i++)
        write_out(s, i, &outs[i]);
    aps_stmt_finalize(s);
    return rc;
}
