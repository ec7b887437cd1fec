/* str.c — strict number parsing and string helpers. */
#include "core/str.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char *skip_space(const char *s)
{
    while (*s && isspace((unsigned char)*s))
        s++;
    return s;
}

int aps_parse_int64(const char *s, int64_t *out)
{
    if (!s)
        return APS_E_PARSE;
    s = skip_space(s);
    if (!*s)
        return APS_E_PARSE;
    errno = 0;
    char *end;
    long long v = strtoll(s, &end, 10);
    if (end == s)
        return APS_E_PARSE;
    if (errno == ERANGE)
        return APS_E_RANGE;
    if (*skip_space(end))
        return APS_E_PARSE;
    *out = v;
    return 0;
}

int aps_parse_int(const char *s, int *out)
{
    int64_t v;
    int rc = aps_parse_int64(s, &v);
    if (rc)
        return rc;
    if (v < INT32_MIN || v > INT32_MAX)
        return APS_E_RANGE;
    *out = (int)v;
    return 0;
}

int aps_parse_double(const char *s, double *out)
{
    if (!s)
        return APS_E_PARSE;
    s = skip_space(s);
    if (!*s)
        return APS_E_PARSE;
    errno = 0;
    char *end;
    double v = strtod(s, &end);
    if (end == s)
        return APS_E_PARSE;
    if (errno == ERANGE || !isfinite(v))
        return APS_E_RANGE;
    if (*skip_space(end))
        return APS_E_PARSE;
    *out = v;
    return 0;
}

int aps_parse_bool(const char *s, bool *out)
{
    static const char *yes[] = {"1", "true", "yes", "on"};
    static const char *no[] = {"0", "false", "no", "off"};
    if (!s)
        return APS_E_PARSE;
    for (size_t i = 0; i < 4; i++) {
        if (aps_str_eq_nocase(s, yes[i])) {
            *out = true;
            return 0;
        }
        if (aps_str_eq_nocase(s, no[i])) {
            *out = false;
            return 0;
        }
    }
    return APS_E_PARSE;
}

bool aps_str_blank(const char *s)
{
    return !s || !*skip_space(s);
}

char *aps_str_trim(char *s)
{
    size_t n = strlen(s);
    while (n && isspace((unsigned char)s[n - 1]))
        s[--n] = '\0';
    size_t i = 0;
    while (s[i] && isspace((unsigned char)s[i]))
        i++;
    if (i)
        memmove(s, s + i, n - i + 1);
    return s;
}

int aps_str_fmt(char *dst, size_t cap, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(dst, cap, fmt, ap);
    va_end(ap);
    return n < 0 || (size_t)n >= cap ? APS_E_TOOBIG : 0;
}

int aps_str_cat(char *dst, size_t cap, ...)
{
    va_list ap;
    size_t n = 0;
    int rc = 0;
    va_start(ap, cap);
    for (const char *s; (s = va_arg(ap, const char *));) {
        size_t k = strlen(s);
        if (n + k >= cap) {
            k = cap > n + 1 ? cap - n - 1 : 0;
            rc = APS_E_TOOBIG;
        }
        memcpy(dst + n, s, k);
        n += k;
        if (rc)
            break;
    }
    va_end(ap);
    if (cap)
        dst[n] = '\0';
    return rc;
}

int aps_str_copy(char *dst, size_t cap, const char *src)
{
    size_t n = strlen(src);
    if (n >= cap) {
        if (cap) {
            memcpy(dst, src, cap - 1);
            dst[cap - 1] = '\0';
        }
        return APS_E_TOOBIG;
    }
    memcpy(dst, src, n + 1);
    return 0;
}

bool aps_str_eq_nocase(const char *a, const char *b)
{
    return strcasecmp(a, b) == 0;
}

bool aps_str_starts(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}
