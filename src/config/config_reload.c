/* config_reload.c — reloading a configuration while the process runs (config.h): the same
 * loader and checks as start-up on the sources remembered at load, then the live settings
 * (settings.def `runtime`, live.def) take their new values in place. Readers hold the const
 * configuration and read values with atomic loads (config.c); a replaced string is kept on the
 * retired list until the configuration is freed, so a pointer a reader already has stays good. */
#include <stdint.h>
#include <string.h>

#include "config/config_int.h"
#include "core/mem.h"

static const bool live_table[APS_SET__COUNT] = {
#define APS_LIVE(name) [APS_SET_##name] = true,
#include "config/live.def"
#undef APS_LIVE
};

bool aps_setting_is_live(enum aps_setting key)
{
    return (unsigned)key < APS_SET__COUNT && (live_table[key] || aps_config_table[key].runtime);
}

void aps_config_reload_init(struct aps_config *cfg, char *const *envp, const char *config_dir)
{
    struct aps_config_reload_state *rs = aps_calloc(1, sizeof *rs);
    size_t n = 0;
    while (envp && envp[n])
        n++;
    rs->envp = aps_calloc(n + 1, sizeof *rs->envp);
    for (size_t i = 0; i < n; i++)
        rs->envp[i] = aps_strdup(envp[i]);
    rs->config_dir = aps_strdup(config_dir);
    pthread_mutex_init(&rs->lock, NULL);
    cfg->rs = rs;
}

void aps_config_reload_free(struct aps_config *cfg)
{
    struct aps_config_reload_state *rs = cfg->rs;
    if (!rs)
        return;
    for (size_t i = 0; rs->envp[i]; i++)
        aps_free(rs->envp[i]);
    aps_free(rs->envp);
    aps_free(rs->config_dir);
    for (size_t i = 0; i < rs->nretired; i++)
        aps_free(rs->retired[i]);
    aps_free(rs->retired);
    pthread_mutex_destroy(&rs->lock);
    aps_free(rs);
    cfg->rs = NULL;
}

static void retire(struct aps_config_reload_state *rs, char *s)
{
    if (!s)
        return;
    if (rs->nretired == rs->capretired) {
        rs->capretired = rs->capretired ? rs->capretired * 2 : 16;
        rs->retired = aps_realloc(rs->retired, rs->capretired * sizeof *rs->retired);
    }
    rs->retired[rs->nretired++] = s;
}

static bool same_text(const char *a, const char *b)
{
    return a == b || (a && b && !strcmp(a, b));
}

/* Moves fresh's value of key into cfg; the old strings go to the retired list. */
static void take_value(struct aps_config *cfg, struct aps_config_value *fresh, int key)
{
    struct aps_config_value *v = &cfg->v[key];
    retire(cfg->rs, v->text);
    retire(cfg->rs, v->shown);
    retire(cfg->rs, v->origin);
    __atomic_store_n(&v->i, fresh->i, __ATOMIC_RELAXED);
    __atomic_store(&v->d, &fresh->d, __ATOMIC_RELAXED);
    __atomic_store_n(&v->b, fresh->b, __ATOMIC_RELAXED);
    __atomic_store_n(&v->src, fresh->src, __ATOMIC_RELAXED);
    __atomic_store_n(&v->shown, fresh->shown, __ATOMIC_RELEASE);
    __atomic_store_n(&v->origin, fresh->origin, __ATOMIC_RELEASE);
    __atomic_store_n(&v->text, fresh->text, __ATOMIC_RELEASE);
    fresh->text = fresh->shown = fresh->origin = NULL;
}

/* Fills report from the differences between cfg and fresh. */
static void compare(const struct aps_config *cfg, const struct aps_config *fresh,
                    struct aps_config_reload_report *report)
{
    for (int k = 0; k < APS_SET__COUNT; k++) {
        if (same_text(cfg->v[k].text, fresh->v[k].text))
            continue;
        if (aps_setting_is_live(k)) {
            report->applied[k] = true;
            report->napplied++;
        } else {
            report->restart[k] = true;
            report->nrestart++;
        }
    }
}

int aps_config_reload(const struct aps_config *cfg, struct aps_config_reload_report *report,
                      aps_config_reload_check check, void *ud, char *err, size_t errcap)
{
    /* The configuration was allocated writable by aps_config_load; only live values change. */
    struct aps_config *w = (struct aps_config *)(uintptr_t)cfg;
    memset(report, 0, sizeof *report);
    if (!w || !w->rs)
        return APS_E_INVAL;
    pthread_mutex_lock(&w->rs->lock);
    struct aps_config *fresh = NULL;
    struct aps_config_opts opts = {.envp = w->rs->envp, .config_dir = w->rs->config_dir};
    int rc = aps_config_load(&fresh, &opts, err, errcap);
    if (!rc)
        compare(w, fresh, report);
    if (!rc && check)
        rc = check(ud, fresh, report, err, errcap);
    for (int k = 0; !rc && k < APS_SET__COUNT; k++)
        if (report->applied[k])
            take_value(w, &fresh->v[k], k);
    if (rc)
        memset(report, 0, sizeof *report);
    pthread_mutex_unlock(&w->rs->lock);
    aps_config_free(fresh);
    return rc;
}
