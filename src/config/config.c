/* config.c — the settings table (from settings.def) and the loader that layers the four sources
 * of DESIGN §7, lowest priority first:
 *   defaults (the per-environment one where the table has it) < config/<ENVIRONMENT>.env
 *   < the environment (envp) < a file NAME in APS_SECRETS_DIR < NAME_FILE=/path.
 * ENVIRONMENT is decided first, from envp alone, because it names the file; APS_SECRETS_DIR is
 * taken after the file and the environment have been applied. Every value is validated once
 * all sources are in (config_check.c), so a bad value that a higher source overrides is
 * harmless. The environment is never read here except through opts->envp. */
#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include "config/config_int.h"
#include "core/mem.h"
#include "core/str.h"

/* APS_GT / APS_LT make a bound exclusive: they expand inside the designated initialiser below,
 * after ".lo = " or ".hi = ", into the bound and the flag that marks it open. */
#define APS_GT(x) (x), .lo_open = true
#define APS_LT(x) (x), .hi_open = true

const struct aps_setting_def aps_config_table[APS_SET__COUNT] = {
#define APS_SETTING(name_, type_, def_, lo_, hi_, allowed_, secret_, runtime_, dev_, stg_, prod_, \
                    help_)                                                                      \
    [APS_SET_##name_] = {.name = #name_,                                                        \
                         .type = APS_T_##type_,                                                 \
                         .def = def_,                                                           \
                         .lo = lo_,                                                             \
                         .hi = hi_,                                                             \
                         .allowed = allowed_,                                                   \
                         .secret = secret_,                                                     \
                         .runtime = runtime_,                                                   \
                         .env_def = {dev_, stg_, prod_},                                        \
                         .help = help_},
#include "config/settings.def"
#undef APS_SETTING
};

#define SECRET_MAX (64 * 1024)  /* a secret file larger than this is a mistake */
#define ENVFILE_MAX (1 << 20)   /* and so is a config file larger than this */

static const char *const env_names[] = {"development", "staging", "production"};

void aps_config_value_set(struct aps_config_value *v, const char *text, enum aps_config_source src,
                          const char *origin)
{
    aps_free(v->text);
    aps_free(v->origin);
    v->text = text ? aps_strdup(text) : NULL;
    v->origin = aps_strdup(origin);
    v->src = src;
}

int aps_setting_find(const char *name)
{
    for (int i = 0; i < APS_SET__COUNT; i++)
        if (!strcmp(aps_config_table[i].name, name))
            return i;
    return -1;
}

/* The setting whose name is the first n bytes of s, or -1. */
static int find_n(const char *s, size_t n)
{
    for (int i = 0; i < APS_SET__COUNT; i++)
        if (strlen(aps_config_table[i].name) == n && !memcmp(aps_config_table[i].name, s, n))
            return i;
    return -1;
}

/* Why a read of path failed, for the one-line message. */
static const char *read_failure(int rc, int errnum)
{
    switch (rc) {
    case APS_E_TOOBIG:
        return "file too large";
    case APS_E_PARSE:
        return "file holds a NUL byte";
    case APS_E_INVAL:
        return "not a regular file";
    default:
        return strerror(errnum);
    }
}

/* ---- ENVIRONMENT and defaults ------------------------------------------------------------ */

static int choose_environment(struct aps_config *cfg, char *const *envp, char *err, size_t errcap)
{
    struct aps_config_value *v = &cfg->v[APS_SET_ENVIRONMENT];
    aps_config_value_set(v, aps_config_table[APS_SET_ENVIRONMENT].def, APS_SRC_DEFAULT, "default");
    for (size_t i = 0; envp && envp[i]; i++)
        if (aps_str_starts(envp[i], "ENVIRONMENT="))
            aps_config_value_set(v, envp[i] + 12, APS_SRC_ENVIRON, "environment");
    int rc = aps_config_check_value(APS_SET_ENVIRONMENT, v, err, errcap);
    if (rc)
        return rc;
    for (int e = 0; e < 3; e++)
        if (!strcmp(v->text, env_names[e]))
            cfg->env = e;
    return 0;
}

static void apply_defaults(struct aps_config *cfg)
{
    char origin[64];
    snprintf(origin, sizeof origin, "default for %s", env_names[cfg->env]);
    for (int i = 0; i < APS_SET__COUNT; i++) {
        const struct aps_setting_def *d = &aps_config_table[i];
        if (i == APS_SET_ENVIRONMENT)
            continue;
        if (d->env_def[cfg->env])
            aps_config_value_set(&cfg->v[i], d->env_def[cfg->env], APS_SRC_ENV_DEFAULT, origin);
        else
            aps_config_value_set(&cfg->v[i], d->def, APS_SRC_DEFAULT, "default");
    }
}

/* ---- config/<ENVIRONMENT>.env ------------------------------------------------------------- */

struct file_ctx {
    struct aps_config *cfg;
    const char *path;
    bool seen[APS_SET__COUNT];
};

static int file_line(void *ud, const char *key, const char *value, int line, char *err,
                     size_t errcap)
{
    struct file_ctx *fc = ud;
    int k = aps_setting_find(key);
    if (k < 0) {
        snprintf(err, errcap, "unknown setting %s in %s:%d", key, fc->path, line);
        return APS_E_CONFIG;
    }
    if (fc->seen[k]) {
        snprintf(err, errcap, "setting %s given twice in %s (again at line %d)", key, fc->path,
                 line);
        return APS_E_CONFIG;
    }
    fc->seen[k] = true;
    char origin[512];
    snprintf(origin, sizeof origin, "%s:%d", fc->path, line);
    struct aps_config_value *v = &fc->cfg->v[k];
    aps_config_value_set(v, value, APS_SRC_FILE, origin);
    if (k == APS_SET_ENVIRONMENT)
        return aps_config_fail(err, errcap, k, v, "only in the environment (it chooses this file)");
    /* Production rule: the committed production file never holds a secret. */
    if (aps_config_table[k].secret && fc->cfg->env == APS_ENV_PRODUCTION)
        return aps_config_fail(err, errcap, k, v,
                               "secrets only from APS_SECRETS_DIR, %s_FILE or the environment "
                               "in production",
                               key);
    return 0;
}

static int apply_env_file(struct aps_config *cfg, const char *dir, char *err, size_t errcap)
{
    char path[4096];
    if (snprintf(path, sizeof path, "%s/%s.env", dir, env_names[cfg->env]) >= (int)sizeof path) {
        snprintf(err, errcap, "config directory path too long");
        return APS_E_CONFIG;
    }
    char *text = NULL;
    int rc = aps_config_read_file(path, ENVFILE_MAX, &text);
    if (rc == APS_E_NOTFOUND && cfg->env == APS_ENV_DEVELOPMENT)
        return 0; /* no file: the defaults stand */
    if (rc == APS_E_NOTFOUND) { /* staging and production are defined by their file */
        snprintf(err, errcap,
                 "cannot read %s: no such file: ENVIRONMENT=%s takes its settings from it (run"
                 " aps in the folder that holds config/, /usr/local/share/aps in the images)",
                 path, env_names[cfg->env]);
        return APS_E_CONFIG;
    }
    if (rc) {
        snprintf(err, errcap, "cannot read %s: %s", path, read_failure(rc, errno));
        return APS_E_CONFIG;
    }
    struct file_ctx fc = {.cfg = cfg, .path = path};
    rc = aps_config_parse_env(text, path, file_line, &fc, err, errcap);
    aps_free(text);
    return rc;
}

/* ---- the environment ---------------------------------------------------------------------- */

static void apply_environ(struct aps_config *cfg, char *const *envp)
{
    for (size_t i = 0; envp && envp[i]; i++) {
        const char *eq = strchr(envp[i], '=');
        if (!eq)
            continue;
        int k = find_n(envp[i], (size_t)(eq - envp[i]));
        if (k < 0)
            continue; /* not ours: the environment holds much else */
        aps_config_value_set(&cfg->v[k], eq + 1, APS_SRC_ENVIRON, "environment");
        cfg->v[k].env_plain = true;
    }
}

/* ---- secrets ------------------------------------------------------------------------------ */

/* Sets key from the secret file at path; origin names the source in messages. A missing file is
 * APS_E_NOTFOUND with err untouched, so the caller decides whether that is fine. */
static int apply_secret_file(struct aps_config *cfg, int k, const char *path, const char *origin,
                             char *err, size_t errcap)
{
    char *text = NULL;
    int rc = aps_config_read_file(path, SECRET_MAX, &text);
    if (rc == APS_E_NOTFOUND)
        return rc;
    if (rc) {
        snprintf(err, errcap, "cannot read %s: %s", origin, read_failure(rc, errno));
        return APS_E_CONFIG;
    }
    size_t n = strlen(text);
    while (n && (text[n - 1] == '\n' || text[n - 1] == '\r'))
        text[--n] = '\0';
    aps_config_value_set(&cfg->v[k], text, APS_SRC_SECRET, origin);
    aps_free(text);
    return 0;
}

static int apply_secrets_dir(struct aps_config *cfg, char *err, size_t errcap)
{
    const char *dir = cfg->v[APS_SET_APS_SECRETS_DIR].text;
    if (aps_str_blank(dir))
        return 0;
    for (int k = 0; k < APS_SET__COUNT; k++) {
        if (!aps_config_table[k].secret)
            continue;
        char path[4096];
        if (snprintf(path, sizeof path, "%s/%s", dir, aps_config_table[k].name) >=
            (int)sizeof path) {
            snprintf(err, errcap, "APS_SECRETS_DIR path too long");
            return APS_E_CONFIG;
        }
        int rc = apply_secret_file(cfg, k, path, path, err, errcap);
        if (rc && rc != APS_E_NOTFOUND)
            return rc; /* also when APS_SECRETS_DIR is a file: "Not a directory" */
    }
    return 0;
}

/* NAME_FILE=/path for a secret NAME; the highest source. Unlike the secrets directory, a file
 * named this way must exist. */
static int apply_key_files(struct aps_config *cfg, char *const *envp, char *err, size_t errcap)
{
    for (size_t i = 0; envp && envp[i]; i++) {
        const char *eq = strchr(envp[i], '=');
        size_t n = eq ? (size_t)(eq - envp[i]) : 0;
        if (n <= 5 || memcmp(envp[i] + n - 5, "_FILE", 5))
            continue;
        int k = find_n(envp[i], n - 5);
        if (k < 0)
            continue;
        if (!aps_config_table[k].secret) {
            snprintf(err, errcap, "%.*s: only secret settings may be read from a file", (int)n,
                     envp[i]);
            return APS_E_CONFIG;
        }
        char origin[4200];
        snprintf(origin, sizeof origin, "%s", envp[i]);
        int rc = apply_secret_file(cfg, k, eq + 1, origin, err, errcap);
        if (rc == APS_E_NOTFOUND) {
            snprintf(err, errcap, "cannot read %s: %s", origin, strerror(ENOENT));
            return APS_E_CONFIG;
        }
        if (rc)
            return rc;
    }
    return 0;
}

/* ---- load, free, accessors ------------------------------------------------------------------ */

static int check_all(struct aps_config *cfg, char *err, size_t errcap)
{
    for (int k = 0; k < APS_SET__COUNT; k++) {
        int rc = aps_config_check_value(k, &cfg->v[k], err, errcap);
        if (rc)
            return rc;
    }
    int rc = aps_config_check_rules(cfg, err, errcap);
    return rc ? rc : aps_config_check_key_env(cfg, err, errcap);
}

int aps_config_load(struct aps_config **out, const struct aps_config_opts *opts, char *err,
                    size_t errcap)
{
    char *const *envp = opts ? opts->envp : NULL;
    const char *dir = opts && opts->config_dir ? opts->config_dir : "config";
    struct aps_config *cfg = aps_calloc(1, sizeof *cfg);
    cfg->rt = aps_calloc(1, sizeof *cfg->rt);
    *out = NULL;
    if (errcap)
        err[0] = '\0';
    int rc = choose_environment(cfg, envp, err, errcap);
    if (rc)
        goto out;
    apply_defaults(cfg);
    rc = apply_env_file(cfg, dir, err, errcap);
    if (rc)
        goto out;
    apply_environ(cfg, envp);
    rc = apply_secrets_dir(cfg, err, errcap);
    if (rc)
        goto out;
    rc = apply_key_files(cfg, envp, err, errcap);
    if (rc)
        goto out;
    rc = check_all(cfg, err, errcap);
out:
    if (rc) {
        aps_config_free(cfg);
        return rc;
    }
    aps_config_reload_init(cfg, envp, dir);
    *out = cfg;
    return 0;
}

void aps_config_free(struct aps_config *cfg)
{
    if (!cfg)
        return;
    for (int k = 0; k < APS_SET__COUNT; k++) {
        aps_free(cfg->v[k].text);
        aps_free(cfg->v[k].shown);
        aps_free(cfg->v[k].origin);
    }
    aps_free(cfg->rt);
    aps_config_reload_free(cfg);
    aps_free(cfg);
}

static const struct aps_config_value *value_of(const struct aps_config *cfg, enum aps_setting key)
{
    return cfg && (unsigned)key < APS_SET__COUNT ? &cfg->v[key] : NULL;
}

/* A reload (config_reload.c) may replace text, shown, origin, i, d and b of a live setting
 * while other threads read them: both sides use atomic accesses. */
const char *aps_cfg_str(const struct aps_config *cfg, enum aps_setting key)
{
    const struct aps_config_value *v = value_of(cfg, key);
    return v ? __atomic_load_n(&v->text, __ATOMIC_ACQUIRE) : NULL;
}

/* The run-time override of key, when one is set: *bits holds it. */
static bool runtime_value(const struct aps_config *cfg, enum aps_setting key, uint64_t *bits)
{
    if (!cfg || !cfg->rt || (unsigned)key >= APS_SET__COUNT || !aps_config_table[key].runtime ||
        !atomic_load_explicit(&cfg->rt->set[key], memory_order_acquire))
        return false;
    *bits = atomic_load_explicit(&cfg->rt->value[key], memory_order_relaxed);
    return true;
}

int64_t aps_cfg_configured_int(const struct aps_config *cfg, enum aps_setting key)
{
    const struct aps_config_value *v = value_of(cfg, key);
    return v ? __atomic_load_n(&v->i, __ATOMIC_RELAXED) : 0;
}

double aps_cfg_configured_double(const struct aps_config *cfg, enum aps_setting key)
{
    const struct aps_config_value *v = value_of(cfg, key);
    double d = 0.0;
    if (v)
        __atomic_load(&v->d, &d, __ATOMIC_RELAXED);
    return d;
}

int64_t aps_cfg_int(const struct aps_config *cfg, enum aps_setting key)
{
    uint64_t bits;
    if (runtime_value(cfg, key, &bits))
        return (int64_t)bits;
    return aps_cfg_configured_int(cfg, key);
}

double aps_cfg_double(const struct aps_config *cfg, enum aps_setting key)
{
    uint64_t bits;
    double d;
    if (!runtime_value(cfg, key, &bits))
        return aps_cfg_configured_double(cfg, key);
    memcpy(&d, &bits, sizeof d);
    return d;
}

bool aps_cfg_overridden(const struct aps_config *cfg, enum aps_setting key)
{
    uint64_t bits;
    return runtime_value(cfg, key, &bits);
}

bool aps_setting_is_runtime(enum aps_setting key)
{
    return (unsigned)key < APS_SET__COUNT && aps_config_table[key].runtime;
}

int aps_config_runtime_set(const struct aps_config *cfg, enum aps_setting key, const char *text,
                           char *err, size_t errcap)
{
    if (!cfg || !cfg->rt || !aps_setting_is_runtime(key) || !text)
        return APS_E_INVAL;
    struct aps_config_value v = {0};
    aps_config_value_set(&v, text, APS_SRC_DEFAULT, "run-time setting");
    int rc = aps_config_check_value(key, &v, err, errcap);
    uint64_t bits = 0;
    if (!rc && aps_config_table[key].type == APS_T_DOUBLE)
        memcpy(&bits, &v.d, sizeof bits);
    else if (!rc && aps_config_table[key].type == APS_T_INT)
        bits = (uint64_t)v.i;
    else if (!rc)
        rc = APS_E_INVAL;
    aps_free(v.text);
    aps_free(v.shown);
    aps_free(v.origin);
    if (rc)
        return rc;
    atomic_store_explicit(&cfg->rt->value[key], bits, memory_order_relaxed);
    atomic_store_explicit(&cfg->rt->set[key], true, memory_order_release);
    return 0;
}

void aps_config_runtime_clear(const struct aps_config *cfg, enum aps_setting key)
{
    if (cfg && cfg->rt && aps_setting_is_runtime(key))
        atomic_store_explicit(&cfg->rt->set[key], false, memory_order_release);
}

bool aps_cfg_bool(const struct aps_config *cfg, enum aps_setting key)
{
    const struct aps_config_value *v = value_of(cfg, key);
    return v ? __atomic_load_n(&v->b, __ATOMIC_RELAXED) : false;
}

enum aps_config_source aps_cfg_source(const struct aps_config *cfg, enum aps_setting key)
{
    const struct aps_config_value *v = value_of(cfg, key);
    return v ? __atomic_load_n(&v->src, __ATOMIC_RELAXED) : APS_SRC_DEFAULT;
}

const char *aps_cfg_origin(const struct aps_config *cfg, enum aps_setting key)
{
    const struct aps_config_value *v = value_of(cfg, key);
    return v ? __atomic_load_n(&v->origin, __ATOMIC_ACQUIRE) : "";
}

const char *aps_cfg_display(const struct aps_config *cfg, enum aps_setting key)
{
    const struct aps_config_value *v = value_of(cfg, key);
    const char *shown = v ? __atomic_load_n(&v->shown, __ATOMIC_ACQUIRE) : NULL;
    return shown ? shown : "(unset)";
}

const char *aps_cfg_source_name(enum aps_config_source src)
{
    static const char *const names[] = {"default", "env-default", "file", "environment", "secret"};
    return (unsigned)src < sizeof names / sizeof names[0] ? names[src] : "?";
}

const char *aps_setting_name(enum aps_setting key)
{
    return (unsigned)key < APS_SET__COUNT ? aps_config_table[key].name : "?";
}

bool aps_setting_is_secret(enum aps_setting key)
{
    return (unsigned)key < APS_SET__COUNT && aps_config_table[key].secret;
}
