/* router.c — matching a request's method and path against the route table (http.h).
 *
 * Patterns are literal text with {name} segments; a parameter matches one non-empty path segment.
 * The table is small (tens of rows), so a linear scan that compares bytes beats any index we
 * could build, and it keeps the table the single source of truth. */
#include <string.h>

#include "core/str.h"
#include "http/http.h"

struct span {
    const char *p;
    size_t n;
};

/* Matches path[0..len) against pattern; fills spans with the parameter values. Returns the
 * number of parameters, or -1 when the path does not match. */
static int match_pattern(const char *pattern, const char *path, size_t len,
                         struct span spans[APS_HTTP_MAX_PARAMS])
{
    const char *p = pattern, *q = path, *end = path + len;
    int np = 0;
    while (*p && q < end) {
        if (*p == '{') {
            const char *close = strchr(p, '}');
            const char *seg = memchr(q, '/', (size_t)(end - q));
            if (!seg)
                seg = end;
            if (!close || seg == q || np == APS_HTTP_MAX_PARAMS)
                return -1;
            spans[np].p = q;
            spans[np].n = (size_t)(seg - q);
            np++;
            p = close + 1;
            q = seg;
        } else if (*p == *q) {
            p++;
            q++;
        } else {
            return -1;
        }
    }
    return *p || q != end ? -1 : np;
}

static bool method_fits(const char *route_method, const char *method)
{
    return !strcmp(route_method, method) ||
           (!strcmp(method, "HEAD") && !strcmp(route_method, "GET"));
}

/* Adds m to the comma list in allow unless it is there already. */
static void allow_add(char *allow, size_t cap, const char *m)
{
    size_t ml = strlen(m);
    for (const char *s = allow; (s = strstr(s, m)); s += ml)
        if ((s == allow || s[-1] == ' ') && (s[ml] == ',' || s[ml] == '\0'))
            return;
    size_t used = strlen(allow);
    if (used + ml + 3 > cap)
        return;
    if (used) {
        memcpy(allow + used, ", ", 2);
        used += 2;
    }
    memcpy(allow + used, m, ml + 1);
}

const struct aps_route *aps_http_route_match(const struct aps_route *routes, size_t n,
                                             const char *method, const char *path,
                                             const char **params, struct aps_arena *a,
                                             char *allow, size_t allowcap)
{
    size_t len = strlen(path);
    if (len > 1 && path[len - 1] == '/')
        len--;
    if (allow && allowcap)
        allow[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        struct span spans[APS_HTTP_MAX_PARAMS];
        int np = match_pattern(routes[i].pattern, path, len, spans);
        if (np < 0)
            continue;
        if (!method_fits(routes[i].method, method)) {
            if (allow && allowcap)
                allow_add(allow, allowcap, routes[i].method);
            continue;
        }
        for (int k = 0; k < np && params; k++) {
            char *v = aps_arena_alloc(a, spans[k].n + 1);
            memcpy(v, spans[k].p, spans[k].n);
            v[spans[k].n] = '\0';
            params[k] = v;
        }
        return &routes[i];
    }
    return NULL;
}

const char *aps_http_param(const struct aps_http_req *r, const char *name)
{
    if (!r->route)
        return NULL;
    size_t nl = strlen(name);
    int idx = 0;
    for (const char *p = strchr(r->route->pattern, '{'); p && idx < APS_HTTP_MAX_PARAMS;
         p = strchr(p + 1, '{'), idx++) {
        const char *close = strchr(p, '}');
        if (close && (size_t)(close - p - 1) == nl && !memcmp(p + 1, name, nl))
            return r->params[idx];
    }
    return NULL;
}
