/* config.h — every setting of the platform, declared once in settings.def, loaded from the four
 * sources of DESIGN §7 in priority order:
 *   1. the table's defaults (per-environment where the table gives one);
 *   2. config/<ENVIRONMENT>.env (KEY=VALUE lines, # comments);
 *   3. the process environment;
 *   4. secrets: a file named KEY in APS_SECRETS_DIR (default /run/secrets), or KEY_FILE=/path.
 * This module is the only place that reads the environment: callers pass envp in.
 *
 * The loaded struct is read-only after start-up and may be shared between threads, except for
 * its run-time layer: settings marked `runtime` in settings.def may be overridden while the
 * process runs (aps_config_runtime_set, fed from the settings table by src/services/runtime.c),
 * and aps_cfg_int() / aps_cfg_double() return the override while one is set. That layer is
 * lock-free (one atomic word per setting), so readers on any thread always see a whole value. */
#ifndef APS_CONFIG_CONFIG_H
#define APS_CONFIG_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "core/err.h"

enum aps_setting {
#define APS_SETTING(name, type, def, lo, hi, allowed, secret, runtime, dev, stg, prod, help) \
    APS_SET_##name,
#include "config/settings.def"
#undef APS_SETTING
    APS_SET__COUNT
};

/* LIST, URL and SIZE were added after the first four: a comma list of allowed words, a URL whose
 * scheme is checked, and a byte size such as "32g" (aps_cfg_int() gives the bytes). All three
 * read as strings through aps_cfg_str(). */
enum aps_setting_type {
    APS_T_STR,
    APS_T_INT,
    APS_T_DOUBLE,
    APS_T_BOOL,
    APS_T_ENUM,
    APS_T_LIST,
    APS_T_URL,
    APS_T_SIZE
};

enum aps_config_source {
    APS_SRC_DEFAULT,     /* the table's default */
    APS_SRC_ENV_DEFAULT, /* the table's per-environment default */
    APS_SRC_FILE,        /* config/<ENVIRONMENT>.env */
    APS_SRC_ENVIRON,     /* process environment */
    APS_SRC_SECRET       /* secrets directory or KEY_FILE */
};

struct aps_config;

struct aps_config_opts {
    char *const *envp;      /* environment as "KEY=VALUE" strings; NULL for none */
    const char *config_dir; /* where <ENVIRONMENT>.env lives; NULL → "config" */
};

/* Loads and validates every setting. On failure returns APS_E_CONFIG and writes one line into
 * err: the key, the value, its source and what is allowed. *out is NULL on failure; free with
 * aps_config_free(). */
int aps_config_load(struct aps_config **out, const struct aps_config_opts *opts, char *err,
                    size_t errcap) APS_MUST_CHECK;
void aps_config_free(struct aps_config *cfg);

const char *aps_cfg_str(const struct aps_config *cfg, enum aps_setting key);
int64_t aps_cfg_int(const struct aps_config *cfg, enum aps_setting key);
double aps_cfg_double(const struct aps_config *cfg, enum aps_setting key);
bool aps_cfg_bool(const struct aps_config *cfg, enum aps_setting key);
enum aps_config_source aps_cfg_source(const struct aps_config *cfg, enum aps_setting key);
const char *aps_cfg_source_name(enum aps_config_source src);
const char *aps_setting_name(enum aps_setting key);
/* Where the value came from in words: "default", "default for production",
 * "config/production.env:3", "environment", "/run/secrets/SECRET_KEY", "SECRET_KEY_FILE=/p". */
const char *aps_cfg_origin(const struct aps_config *cfg, enum aps_setting key);
/* The key named name (exact, case-sensitive), or -1 when there is none. */
int aps_setting_find(const char *name);
bool aps_setting_is_secret(enum aps_setting key);
/* The text `aps config print` shows for key: the value, "(unset)", a secret as "(set,
 * redacted)", a URL with its password masked. Valid while cfg lives; never NULL. */
const char *aps_cfg_display(const struct aps_config *cfg, enum aps_setting key);

/* The run-time layer. aps_setting_is_runtime: the table's `runtime` column. runtime_set checks
 * text exactly as loading would and makes it the value every aps_cfg_int / aps_cfg_double of key
 * returns from now on (APS_E_INVAL for a key that is not runtime, APS_E_CONFIG with err for a
 * bad value); runtime_clear goes back to the configured value. aps_cfg_configured_* read the
 * value from the four sources, ignoring the layer; aps_cfg_overridden tells whether one is set.
 * aps_cfg_str() and aps_cfg_display() always give the configured text. */
bool aps_setting_is_runtime(enum aps_setting key);
int aps_config_runtime_set(const struct aps_config *cfg, enum aps_setting key, const char *text,
                           char *err, size_t errcap) APS_MUST_CHECK;
void aps_config_runtime_clear(const struct aps_config *cfg, enum aps_setting key);
bool aps_cfg_overridden(const struct aps_config *cfg, enum aps_setting key);
int64_t aps_cfg_configured_int(const struct aps_config *cfg, enum aps_setting key);
double aps_cfg_configured_double(const struct aps_config *cfg, enum aps_setting key);

/* Reloading. A setting is live when it is `runtime` in settings.def or listed in live.def: its
 * readers go through aps_cfg_* at each use, so a reload can change it while the process runs.
 *
 * aps_config_reload reads the same sources the configuration was loaded from (the environment
 * given at load, config/<ENVIRONMENT>.env, the secrets directory, NAME_FILE files) and checks
 * them with the same code as aps_config_load. On any failure it returns APS_E_CONFIG with the
 * same one-line message start-up would print, and cfg is unchanged. Otherwise every live
 * setting whose value changed takes the new value (report->applied), and every other changed
 * setting keeps its old value until a restart (report->restart). Before anything changes, check
 * (may be NULL) sees the new configuration and the report: it applies what lives outside the
 * configuration (a database pool's URL) and may refuse the whole reload (non-zero, err
 * written), which then changes nothing. The change happens behind the
 * const pointer every reader holds, as for the run-time layer; strings a reader got before stay
 * valid until aps_config_free. One reload runs at a time; any thread may call it. */
struct aps_config_reload_report {
    bool applied[APS_SET__COUNT];
    bool restart[APS_SET__COUNT];
    int napplied, nrestart;
};
bool aps_setting_is_live(enum aps_setting key);
typedef int (*aps_config_reload_check)(void *ud, const struct aps_config *fresh,
                                       const struct aps_config_reload_report *report, char *err,
                                       size_t errcap);
int aps_config_reload(const struct aps_config *cfg, struct aps_config_reload_report *report,
                      aps_config_reload_check check, void *ud, char *err,
                      size_t errcap) APS_MUST_CHECK;

/* Writes the effective settings as a table (or JSON when json is true): name, value (secrets
 * shown as "(set, redacted)" or "(unset)"), source. */
void aps_config_print(const struct aps_config *cfg, FILE *out, bool json);

/* Checks text as a value of key exactly as loading would (type, bounds, allowed words). Returns
 * 0 and the normalised text in norm (may be NULL), or APS_E_CONFIG with one line in err;
 * APS_E_INVAL for an unknown key. Rules across settings (tier order) are the caller's. */
int aps_config_validate(enum aps_setting key, const char *text, char *norm, size_t normcap,
                        char *err, size_t errcap) APS_MUST_CHECK;

#endif
