/* config_keys.c — keys belong to one side: test keys (development, staging) are refused in
 * production and production keys are refused anywhere else, so a copied .env or secrets folder
 * cannot point staging at the live odds account or production at a sandbox.
 *
 * A key's side is read from its value's prefix (case-insensitive), on every secret that is not
 * a URL (SECRET_KEY, JWT_SECRET, ODDS_API_KEY, ESPN_API_KEY, WEATHER_API_KEY, …):
 *   test  "test:", "test_", "test-", "dev:", "dev_", "dev-", "sk_test_", "pk_test_", "rk_test_"
 *   live  "live:", "live_", "live-", "prod:", "prod_", "prod-", "sk_live_", "pk_live_", "rk_live_"
 * The "test:", "dev:", "live:" and "prod:" forms are an operator's marks on a provider key that
 * has no mark of its own: they are removed from the value once checked, so the provider gets
 * the key as issued. A value without a mark is accepted everywhere. */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "config/config_int.h"
#include "core/mem.h"

struct key_mark {
    const char *prefix;
    bool live;   /* a production key */
    bool strip;  /* an operator's mark, removed from the value */
};

static const struct key_mark marks[] = {
    {"test:", false, true},     {"dev:", false, true},      {"live:", true, true},
    {"prod:", true, true},      {"sk_test_", false, false}, {"pk_test_", false, false},
    {"rk_test_", false, false}, {"sk_live_", true, false},  {"pk_live_", true, false},
    {"rk_live_", true, false},  {"test_", false, false},    {"test-", false, false},
    {"dev_", false, false},     {"dev-", false, false},     {"live_", true, false},
    {"live-", true, false},     {"prod_", true, false},     {"prod-", true, false},
};

static const struct key_mark *mark_of(const char *value)
{
    for (size_t i = 0; value && i < sizeof marks / sizeof marks[0]; i++)
        if (!strncasecmp(value, marks[i].prefix, strlen(marks[i].prefix)))
            return &marks[i];
    return NULL;
}

int aps_config_check_key_env(struct aps_config *cfg, char *err, size_t errcap)
{
    bool production = cfg->env == APS_ENV_PRODUCTION;
    for (int k = 0; k < APS_SET__COUNT; k++) {
        const struct aps_setting_def *d = &aps_config_table[k];
        struct aps_config_value *v = &cfg->v[k];
        const struct key_mark *m = d->secret && d->type != APS_T_URL ? mark_of(v->text) : NULL;
        if (!m)
            continue;
        if (m->live && !production)
            return aps_config_fail(err, errcap, k, v,
                                   "a development or staging key outside production, not a key"
                                   " marked for production ('%s')",
                                   m->prefix);
        if (!m->live && production)
            return aps_config_fail(err, errcap, k, v,
                                   "a production key in production, not a key marked for"
                                   " development or staging ('%s')",
                                   m->prefix);
        if (m->strip) {
            size_t n = strlen(m->prefix);
            memmove(v->text, v->text + n, strlen(v->text + n) + 1);
        }
    }
    return 0;
}
