/* config_check.c — validation of loaded settings: each value against its type, bounds and allowed
 * words (normalising it: "0.60" → "0.6", "debug" → "DEBUG"), then the rules that span settings
 * (tier order) and the production refusals. Every failure is one line naming the key, the value
 * (secrets redacted), where it came from and what is allowed. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "config/config_int.h"
#include "core/buf.h"
#include "core/cidr.h"
#include "core/mem.h"
#include "core/str.h"

#define SECRET_MIN_LEN 32

/* ---- messages ---------------------------------------------------------------------------- */

char *aps_config_mask_url(const char *url)
{
    const char *sep = strstr(url, "://");
    if (!sep)
        return aps_strdup("(redacted)");
    const char *auth = sep + 3;
    size_t alen = strcspn(auth, "/?#");
    const char *at = memchr(auth, '@', alen);
    struct aps_buf b = {0};
    aps_buf_append(&b, url, (size_t)(auth - url));
    const char *rest = auth;
    if (at) {
        const char *colon = memchr(auth, ':', (size_t)(at - auth));
        if (colon)
            aps_buf_append(&b, auth, (size_t)(colon - auth));
        aps_buf_puts(&b, colon ? ":***" : "***");
        rest = at;
    }
    const char *q = strchr(rest, '?');
    aps_buf_append(&b, rest, q ? (size_t)(q - rest) : strlen(rest));
    if (q)
        aps_buf_puts(&b, "?***");
    return aps_buf_steal(&b);
}

/* The value as an error message may show it: secrets redacted, control bytes replaced, long
 * values cut. */
static void error_value(const struct aps_setting_def *d, const char *text, char *out, size_t cap)
{
    if (!text) {
        snprintf(out, cap, "(unset)");
        return;
    }
    char *masked = NULL;
    if (d->secret && d->type != APS_T_URL) {
        snprintf(out, cap, "(redacted)");
        return;
    }
    if (d->secret)
        text = masked = aps_config_mask_url(text);
    size_t n = 0;
    for (const char *p = text; *p && n + 4 < cap; p++)
        out[n++] = (unsigned char)*p < 0x20 || *p == 0x7f ? '?' : *p;
    if (text[n] && n + 4 >= cap && cap > 4) {
        memcpy(out + n, "...", 3);
        n += 3;
    }
    out[n] = '\0';
    aps_free(masked);
}

int aps_config_fail(char *err, size_t errcap, enum aps_setting key,
                    const struct aps_config_value *v, const char *fmt, ...)
{
    const struct aps_setting_def *d = &aps_config_table[key];
    char shown[128], allowed[512];
    error_value(d, v->text, shown, sizeof shown);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(allowed, sizeof allowed, fmt, ap);
    va_end(ap);
    snprintf(err, errcap, "invalid setting %s=%s (from %s): allowed %s", d->name, shown,
             v->origin ? v->origin : "default", allowed);
    return APS_E_CONFIG;
}

/* "0 < x <= 1" for the bounds of d. */
static void bounds_text(const struct aps_setting_def *d, char *out, size_t cap)
{
    snprintf(out, cap, "%.15g %s x %s %.15g", d->lo, d->lo_open ? "<" : "<=",
             d->hi_open ? "<" : "<=", d->hi);
}

static bool in_bounds(const struct aps_setting_def *d, double x)
{
    bool lo_ok = d->lo_open ? x > d->lo : x >= d->lo;
    bool hi_ok = d->hi_open ? x < d->hi : x <= d->hi;
    return lo_ok && hi_ok;
}

/* "a|b|c" as "a, b, c". */
static void words_text(const char *allowed, char *out, size_t cap)
{
    size_t n = 0;
    for (const char *p = allowed; *p && n + 3 < cap; p++) {
        if (*p == '|') {
            out[n++] = ',';
            out[n++] = ' ';
        } else {
            out[n++] = *p;
        }
    }
    out[n] = '\0';
}

static void replace_text(struct aps_config_value *v, const char *text)
{
    char *copy = aps_strdup(text);
    aps_free(v->text);
    v->text = copy;
}

/* ---- one value per type -------------------------------------------------------------------- */

static int check_int(enum aps_setting key, struct aps_config_value *v, char *err, size_t errcap)
{
    const struct aps_setting_def *d = &aps_config_table[key];
    int64_t x;
    if (aps_parse_int64(v->text, &x) || !in_bounds(d, (double)x)) {
        char b[96];
        bounds_text(d, b, sizeof b);
        return aps_config_fail(err, errcap, key, v, "an integer with %s", b);
    }
    char norm[32];
    snprintf(norm, sizeof norm, "%lld", (long long)x);
    replace_text(v, norm);
    v->i = x;
    v->d = (double)x;
    return 0;
}

static int check_double(enum aps_setting key, struct aps_config_value *v, char *err,
                        size_t errcap)
{
    const struct aps_setting_def *d = &aps_config_table[key];
    double x;
    if (aps_parse_double(v->text, &x) || !in_bounds(d, x)) {
        char b[96];
        bounds_text(d, b, sizeof b);
        return aps_config_fail(err, errcap, key, v, "a number with %s", b);
    }
    char norm[40];
    snprintf(norm, sizeof norm, "%.15g", x);
    if (strtod(norm, NULL) != x)
        snprintf(norm, sizeof norm, "%.17g", x);
    replace_text(v, norm);
    v->d = x;
    return 0;
}

static int check_bool(enum aps_setting key, struct aps_config_value *v, char *err, size_t errcap)
{
    bool x;
    if (aps_parse_bool(v->text, &x))
        return aps_config_fail(err, errcap, key, v, "true, false, 1, 0, yes or no");
    replace_text(v, x ? "true" : "false");
    v->b = x;
    v->i = x;
    return 0;
}

/* The word of allowed ("a|b|c") equal to the n bytes at s, ignoring case; NULL when none. Writes
 * its length to *len. */
static const char *find_word(const char *allowed, const char *s, size_t n, size_t *len)
{
    for (const char *p = allowed; *p;) {
        size_t w = strcspn(p, "|");
        if (w == n && !strncasecmp(p, s, n)) {
            *len = w;
            return p;
        }
        p += w + (p[w] ? 1 : 0);
    }
    return NULL;
}

static int check_enum(enum aps_setting key, struct aps_config_value *v, char *err, size_t errcap)
{
    const struct aps_setting_def *d = &aps_config_table[key];
    size_t len;
    const char *w = find_word(d->allowed, v->text, strlen(v->text), &len);
    if (!w) {
        char words[256];
        words_text(d->allowed, words, sizeof words);
        return aps_config_fail(err, errcap, key, v, "one of %s", words);
    }
    char *canon = aps_strndup(w, len);
    aps_free(v->text);
    v->text = canon;
    return 0;
}

static int check_list(enum aps_setting key, struct aps_config_value *v, char *err, size_t errcap)
{
    const struct aps_setting_def *d = &aps_config_table[key];
    struct aps_buf norm = {0};
    const char *p = v->text;
    int rc = 0;
    for (;;) {
        size_t n = strcspn(p, ",");
        const char *s = p, *e = p + n;
        while (s < e && (*s == ' ' || *s == '\t'))
            s++;
        while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
            e--;
        size_t len;
        const char *w = find_word(d->allowed, s, (size_t)(e - s), &len);
        if (!w) {
            char words[256];
            words_text(d->allowed, words, sizeof words);
            rc = aps_config_fail(err, errcap, key, v, "a comma list of %s", words);
            break;
        }
        if (norm.len)
            aps_buf_putc(&norm, ',');
        aps_buf_append(&norm, w, len);
        if (!p[n])
            break;
        p += n + 1;
    }
    if (!rc) {
        aps_free(v->text);
        v->text = aps_buf_steal(&norm);
    }
    aps_buf_cleanup(&norm);
    return rc;
}

static int check_url(enum aps_setting key, struct aps_config_value *v, char *err, size_t errcap)
{
    const struct aps_setting_def *d = &aps_config_table[key];
    bool ok = false;
    for (const char *p = d->allowed; *p && !ok;) {
        size_t w = strcspn(p, "|");
        ok = !strncasecmp(v->text, p, w) && v->text[w] != '\0';
        p += w + (p[w] ? 1 : 0);
    }
    for (const char *c = v->text; ok && *c; c++)
        ok = (unsigned char)*c > 0x20 && *c != 0x7f;
    if (!ok) {
        char words[256];
        words_text(d->allowed, words, sizeof words);
        return aps_config_fail(err, errcap, key, v, "a URL starting with %s", words);
    }
    return 0;
}

/* "32g" for 32 GiB: the largest unit that divides the byte count. */
static void size_text(double bytes, char *out, size_t cap)
{
    static const char units[] = "tgmk";
    int64_t x = (int64_t)bytes;
    for (int i = 0; i < 4; i++) {
        int64_t unit = (int64_t)1 << (10 * (4 - i));
        if (x >= unit && x % unit == 0) {
            snprintf(out, cap, "%lld%c", (long long)(x / unit), units[i]);
            return;
        }
    }
    snprintf(out, cap, "%lld", (long long)x);
}

/* Parses "512m", "32g", "32GB", "1048576" into bytes. */
static int parse_size(const char *s, int64_t *bytes, char *norm, size_t normcap)
{
    size_t digits = strspn(s, "0123456789");
    if (!digits || digits > 18)
        return APS_E_PARSE;
    char num[20];
    memcpy(num, s, digits);
    num[digits] = '\0';
    int64_t x;
    if (aps_parse_int64(num, &x))
        return APS_E_PARSE;
    static const char units[] = "kmgt";
    const char *suf = s + digits;
    int shift = 0;
    char unit[2] = "";
    if (*suf) {
        const char *pos = strchr(units, *suf | 0x20);
        if (!pos)
            return APS_E_PARSE;
        shift = 10 * (int)(pos - units + 1);
        unit[0] = *pos;
        if (suf[1] && !aps_str_eq_nocase(suf + 1, "b"))
            return APS_E_PARSE;
    }
    if (x > (INT64_MAX >> shift))
        return APS_E_RANGE;
    *bytes = x << shift;
    snprintf(norm, normcap, "%lld%s", (long long)x, unit);
    return 0;
}

static int check_size(enum aps_setting key, struct aps_config_value *v, char *err, size_t errcap)
{
    const struct aps_setting_def *d = &aps_config_table[key];
    int64_t bytes = 0;
    char norm[32];
    if (parse_size(v->text, &bytes, norm, sizeof norm) || !in_bounds(d, (double)bytes)) {
        char lo[32], hi[32];
        size_text(d->lo, lo, sizeof lo);
        size_text(d->hi, hi, sizeof hi);
        return aps_config_fail(err, errcap, key, v, "a size such as 512m or 32g, from %s to %s",
                               lo, hi);
    }
    replace_text(v, norm);
    v->i = bytes;
    v->d = (double)bytes;
    return 0;
}

/* What output shows: the value, a secret redacted, a secret URL with its password masked. */
static void set_shown(const struct aps_setting_def *d, struct aps_config_value *v)
{
    aps_free(v->shown);
    v->shown = NULL;
    if (!v->text)
        return;
    if (!d->secret)
        v->shown = aps_strdup(v->text);
    else if (d->type == APS_T_URL)
        v->shown = aps_config_mask_url(v->text);
    else
        v->shown = aps_strdup("(set, redacted)");
}

int aps_config_check_value(enum aps_setting key, struct aps_config_value *v, char *err,
                           size_t errcap)
{
    const struct aps_setting_def *d = &aps_config_table[key];
    v->i = 0;
    v->d = 0.0;
    v->b = false;
    if (v->text && d->type != APS_T_STR)
        aps_str_trim(v->text);
    /* An empty value unsets a setting that is unset by default ("REDIS_URL=" → embedded). */
    if (v->text && !*v->text && !d->def) {
        aps_free(v->text);
        v->text = NULL;
    }
    int rc = 0;
    if (v->text) {
        switch (d->type) {
        case APS_T_STR: break;
        case APS_T_INT: rc = check_int(key, v, err, errcap); break;
        case APS_T_DOUBLE: rc = check_double(key, v, err, errcap); break;
        case APS_T_BOOL: rc = check_bool(key, v, err, errcap); break;
        case APS_T_ENUM: rc = check_enum(key, v, err, errcap); break;
        case APS_T_LIST: rc = check_list(key, v, err, errcap); break;
        case APS_T_URL: rc = check_url(key, v, err, errcap); break;
        case APS_T_SIZE: rc = check_size(key, v, err, errcap); break;
        }
    }
    if (!rc)
        set_shown(d, v);
    return rc;
}

/* ---- rules across settings ----------------------------------------------------------------- */

static int check_tiers(const struct aps_config *cfg, char *err, size_t errcap)
{
    double a = cfg->v[APS_SET_SIGNAL_TIER_A_MIN].d;
    double b = cfg->v[APS_SET_SIGNAL_TIER_B_MIN].d;
    double c = cfg->v[APS_SET_SIGNAL_TIER_C_MIN].d;
    if (!(b < a))
        return aps_config_fail(err, errcap, APS_SET_SIGNAL_TIER_B_MIN,
                               &cfg->v[APS_SET_SIGNAL_TIER_B_MIN],
                               "less than SIGNAL_TIER_A_MIN (%.15g): tiers need A > B > C", a);
    if (!(c < b))
        return aps_config_fail(err, errcap, APS_SET_SIGNAL_TIER_C_MIN,
                               &cfg->v[APS_SET_SIGNAL_TIER_C_MIN],
                               "less than SIGNAL_TIER_B_MIN (%.15g): tiers need A > B > C", b);
    return 0;
}

/* True for a secret anyone could guess: a table default of any environment, or a placeholder. */
static bool weak_secret(enum aps_setting key, const char *s)
{
    static const char *const equal[] = {"secret", "password", "default", "dev", "development",
                                        "test", "example", "your-secret-key"};
    static const char *const within[] = {"change-me", "changeme", "change_me", "insecure",
                                         "placeholder", "not-for-prod"};
    const struct aps_setting_def *d = &aps_config_table[key];
    const char *defaults[] = {d->def, d->env_def[0], d->env_def[1], d->env_def[2]};
    for (size_t i = 0; i < sizeof defaults / sizeof defaults[0]; i++)
        if (defaults[i] && !strcmp(defaults[i], s))
            return true;
    for (size_t i = 0; i < sizeof equal / sizeof equal[0]; i++)
        if (aps_str_eq_nocase(equal[i], s))
            return true;
    for (size_t i = 0; i < sizeof within / sizeof within[0]; i++)
        if (strcasestr(s, within[i]))
            return true;
    return false;
}

static int check_strong_secret(const struct aps_config *cfg, enum aps_setting key, char *err,
                               size_t errcap)
{
    const struct aps_config_value *v = &cfg->v[key];
    if (!v->text || strlen(v->text) < SECRET_MIN_LEN)
        return aps_config_fail(err, errcap, key, v,
                               "a secret of at least %d characters in production (from "
                               "APS_SECRETS_DIR or %s_FILE)",
                               SECRET_MIN_LEN, aps_config_table[key].name);
    if (weak_secret(key, v->text))
        return aps_config_fail(err, errcap, key, v,
                               "a secret that is not a default or placeholder in production");
    return 0;
}

/* Production rule on plain-text secrets, kept simple on purpose: when the secrets directory holds
 * a file for a key, that key must not also be given as a plain KEY=value environment variable
 * (the file wins anyway; the variable would only leak the secret to child processes and
 * /proc/<pid>/environ). Secrets given only in the environment are accepted, since some platforms
 * inject them that way. */
static int check_plain_secrets(const struct aps_config *cfg, char *err, size_t errcap)
{
    const char *dir = cfg->v[APS_SET_APS_SECRETS_DIR].text;
    if (aps_str_blank(dir))
        return 0;
    for (int k = 0; k < APS_SET__COUNT; k++) {
        if (!aps_config_table[k].secret || !cfg->v[k].env_plain)
            continue;
        char path[4096];
        struct stat st;
        snprintf(path, sizeof path, "%s/%s", dir, aps_config_table[k].name);
        if (stat(path, &st))
            continue;
        struct aps_config_value shown = cfg->v[k];
        shown.origin = (char *)"environment";
        return aps_config_fail(err, errcap, k, &shown,
                               "only the file %s in production (remove the environment variable)",
                               path);
    }
    return 0;
}

static int check_production(const struct aps_config *cfg, char *err, size_t errcap)
{
    if (cfg->v[APS_SET_DEBUG].b)
        return aps_config_fail(err, errcap, APS_SET_DEBUG, &cfg->v[APS_SET_DEBUG],
                               "false in production");
    int rc = check_strong_secret(cfg, APS_SET_SECRET_KEY, err, errcap);
    if (rc)
        return rc;
    rc = check_strong_secret(cfg, APS_SET_JWT_SECRET, err, errcap);
    if (rc)
        return rc;
    if (!strcmp(cfg->v[APS_SET_SECRET_KEY].text, cfg->v[APS_SET_JWT_SECRET].text))
        return aps_config_fail(err, errcap, APS_SET_JWT_SECRET, &cfg->v[APS_SET_JWT_SECRET],
                               "a value different from SECRET_KEY in production");
    return check_plain_secrets(cfg, err, errcap);
}

/* One origin: scheme://host[:port] with no path, query or trailing slash. */
static bool origin_ok(const char *s, size_t n)
{
    const char *sep = memmem(s, n, "://", 3);
    if (!sep || sep == s || (size_t)(sep - s) + 3 >= n)
        return false;
    for (const char *p = s; p < sep; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '+' || *p == '-' ||
              *p == '.'))
            return false;
    for (const char *p = sep + 3; p < s + n; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
              *p == '-' || *p == '.' || *p == ':' || *p == '[' || *p == ']'))
            return false;
    return true;
}

static int check_cors(const struct aps_config *cfg, char *err, size_t errcap)
{
    const struct aps_config_value *v = &cfg->v[APS_SET_CORS_ORIGINS];
    const char *s = v->text;
    while (s && *s) {
        const char *end = strchr(s, ',');
        size_t n = end ? (size_t)(end - s) : strlen(s);
        while (n && *s == ' ')
            s++, n--;
        while (n && s[n - 1] == ' ')
            n--;
        bool star = n == 1 && *s == '*';
        if (star && cfg->env == APS_ENV_PRODUCTION)
            return aps_config_fail(err, errcap, APS_SET_CORS_ORIGINS, v,
                                   "named origins in production (no *)");
        if (!star && !origin_ok(s, n))
            return aps_config_fail(err, errcap, APS_SET_CORS_ORIGINS, v,
                                   "a comma list of origins such as https://app.example.com or *");
        s = end ? end + 1 : NULL;
    }
    return 0;
}

int aps_config_check_rules(const struct aps_config *cfg, char *err, size_t errcap)
{
    int rc = check_tiers(cfg, err, errcap);
    if (rc)
        return rc;
    static const enum aps_setting cidr_keys[] = {APS_SET_METRICS_ALLOW_CIDRS,
                                                 APS_SET_TRUSTED_PROXIES};
    for (size_t i = 0; i < sizeof cidr_keys / sizeof cidr_keys[0]; i++) {
        const char *cidrs = cfg->v[cidr_keys[i]].text;
        if (cidrs && aps_cidr_list_check(cidrs))
            return aps_config_fail(err, errcap, cidr_keys[i], &cfg->v[cidr_keys[i]],
                                   "a comma list of addresses or CIDR blocks (10.0.0.0/8, ::1)");
    }
    rc = check_cors(cfg, err, errcap);
    if (rc)
        return rc;
    if (cfg->v[APS_SET_MIN_BET_SIZE].d > cfg->v[APS_SET_DEFAULT_BANKROLL].d)
        return aps_config_fail(err, errcap, APS_SET_MIN_BET_SIZE, &cfg->v[APS_SET_MIN_BET_SIZE],
                               "at most DEFAULT_BANKROLL (%.15g)",
                               cfg->v[APS_SET_DEFAULT_BANKROLL].d);
    return cfg->env == APS_ENV_PRODUCTION ? check_production(cfg, err, errcap) : 0;
}
