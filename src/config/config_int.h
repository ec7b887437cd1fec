/* config_int.h — private to src/config: the settings table as data, the loaded values, and the
 * helpers shared by config.c (loading), config_file.c (reading files), config_check.c
 * (validation) and config_print.c (output). Nothing outside src/config includes this. */
#ifndef APS_CONFIG_CONFIG_INT_H
#define APS_CONFIG_CONFIG_INT_H

#include <pthread.h>

#include "config/config.h"

/* One row of settings.def. */
struct aps_setting_def {
    const char *name;
    enum aps_setting_type type;
    const char *def;
    double lo, hi;
    bool lo_open, hi_open; /* set by APS_GT() / APS_LT() in the table */
    const char *allowed;
    bool secret;
    bool runtime;           /* may be overridden at run time (config.h) */
    const char *env_def[3]; /* development, staging, production; NULL: use def */
    const char *help;
};

extern const struct aps_setting_def aps_config_table[APS_SET__COUNT];

/* The index of an ENVIRONMENT value in env_def[]. */
enum { APS_ENV_DEVELOPMENT, APS_ENV_STAGING, APS_ENV_PRODUCTION };

/* A loaded value. text is the normalised value (NULL: unset); shown is what output displays;
 * origin says where it came from. All three strings are owned by the value. */
struct aps_config_value {
    char *text;
    char *shown;
    char *origin;
    int64_t i; /* INT, SIZE (bytes) */
    double d;  /* DOUBLE */
    bool b;    /* BOOL */
    enum aps_config_source src;
    bool env_plain; /* a plain KEY=value for this key was in the environment */
};

/* The run-time layer: per setting, whether an override is set and its value (an int64, or the
 * bits of a double), each an atomic word. Allocated apart from the struct so that it can change
 * behind the const pointer every reader holds. */
struct aps_config_runtime {
    _Atomic bool set[APS_SET__COUNT];
    _Atomic uint64_t value[APS_SET__COUNT];
};

/* What a reload needs and keeps (config_reload.c): the sources the configuration was loaded
 * from, and the strings a reload replaced, which stay allocated until aps_config_free because a
 * reader on another thread may still hold them. Allocated apart, like the run-time layer. */
struct aps_config_reload_state {
    pthread_mutex_t lock; /* one reload at a time */
    char **envp;          /* a private copy of the environment given at load */
    char *config_dir;
    char **retired;
    size_t nretired, capretired;
};

struct aps_config {
    struct aps_config_value v[APS_SET__COUNT];
    int env; /* APS_ENV_* */
    struct aps_config_runtime *rt;
    struct aps_config_reload_state *rs;
};

/* Remembers the sources of a configuration just loaded, for aps_config_reload
 * (config_reload.c); frees them with the configuration. */
void aps_config_reload_init(struct aps_config *cfg, char *const *envp, const char *config_dir);
void aps_config_reload_free(struct aps_config *cfg);

/* Replaces the value's text and origin (copies both; text may be NULL for unset). */
void aps_config_value_set(struct aps_config_value *v, const char *text, enum aps_config_source src,
                          const char *origin);

/* Reads a whole small file into *out (NUL-terminated, free with aps_free). Returns 0,
 * APS_E_NOTFOUND when it does not exist, APS_E_TOOBIG over max bytes, APS_E_PARSE when it holds
 * a NUL byte, APS_E_IO otherwise (errno kept). */
int aps_config_read_file(const char *path, size_t max, char **out) APS_MUST_CHECK;

/* Called for each KEY=VALUE line of an env file; line is 1-based. Returns 0 or an error (the
 * callback has then written err). */
typedef int (*aps_config_line_fn)(void *ud, const char *key, const char *value, int line,
                                  char *err, size_t errcap);

/* Parses env-file text: KEY=VALUE lines, blank lines, full-line # comments, an optional
 * "export " prefix and optional matching quotes around the value. path is only used in messages.
 * Returns 0 or APS_E_CONFIG with err written. */
int aps_config_parse_env(const char *text, const char *path, aps_config_line_fn fn, void *ud,
                         char *err, size_t errcap) APS_MUST_CHECK;

/* Parses and normalises one value to its type and bounds. Returns 0 or APS_E_CONFIG with the
 * one-line message in err. */
int aps_config_check_value(enum aps_setting key, struct aps_config_value *v, char *err,
                           size_t errcap) APS_MUST_CHECK;

/* Rules across settings (tier order) and the production refusals. */
int aps_config_check_rules(const struct aps_config *cfg, char *err, size_t errcap) APS_MUST_CHECK;

/* Refuses a secret whose prefix marks it for the other side (test keys in production,
 * production keys elsewhere) and strips an operator's "test:"/"live:" mark (config_keys.c). */
int aps_config_check_key_env(struct aps_config *cfg, char *err, size_t errcap) APS_MUST_CHECK;

/* Writes "invalid setting KEY=VALUE (from ORIGIN): allowed <fmt…>" into err; returns
 * APS_E_CONFIG. Secrets show as "(redacted)" (URLs with their password masked). */
int aps_config_fail(char *err, size_t errcap, enum aps_setting key,
                    const struct aps_config_value *v, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

/* Masks the password and query of a URL ("postgresql://u:***@h/db"); free with aps_free. */
char *aps_config_mask_url(const char *url);

#endif
