/* flags.c — feature flags: the rules (evaluation, parsing, JSON), their rows in the store and the
 * per-process snapshot that every reader goes through (see flags.h for the design). */
#include "services/flags.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/mem.h"
#include "core/str.h"
#include "core/timeutil.h"
#include "metrics/metrics.h"
#include "services/audit.h"
#include "store/store.h"

struct flag_decl {
    const char *name, *summary;
    enum aps_flag_state def[3]; /* development, staging, production */
};

#define ON APS_FLAG_ON
#define OFF APS_FLAG_OFF
static const struct flag_decl decls[APS_FLAG__COUNT] = {
#define APS_FLAG(id, name, dev, stg, prod, summary) {name, summary, {dev, stg, prod}},
#include "services/flags.def"
#undef APS_FLAG
};
#undef ON
#undef OFF

struct aps_flags {
    pthread_mutex_t mu;
    struct aps_store *store;
    char environment[16];
    double refresh_s;
    double checked_at;          /* monotonic time of the last check; 0: check on next read */
    bool loaded;
    int64_t count, version;     /* COUNT(*) and SUM(version) the snapshot was read at */
    struct aps_flag_info snap[APS_FLAG__COUNT];
    uint64_t errors, reloads;
};

/* ---- rules ---------------------------------------------------------------------------------- */

int aps_flag_bucket(const char *flag, int64_t user_id)
{
    char key[160];
    int n = snprintf(key, sizeof key, "%s:%" PRId64, flag, user_id);
    uint64_t h = 1469598103934665603ULL; /* FNV-1a 64 */
    for (int i = 0; i < n && i < (int)sizeof key; i++) {
        h ^= (unsigned char)key[i];
        h *= 1099511628211ULL;
    }
    return (int)(h % 100);
}

bool aps_flag_rule_allows(const struct aps_flag_rule *r, const char *flag, int64_t user_id,
                          enum aps_role role)
{
    if (r->state == APS_FLAG_OFF)
        return false;
    for (size_t i = 0; user_id && i < r->nusers; i++)
        if (r->users[i] == user_id)
            return true;
    if (r->roles && (role < 0 || role >= APS_ROLE__COUNT || !(r->roles & (1u << role))))
        return false;
    if (r->state == APS_FLAG_ON)
        return true;
    return user_id > 0 && aps_flag_bucket(flag, user_id) < r->percent;
}

int aps_flag_find(const char *name)
{
    for (int i = 0; name && i < APS_FLAG__COUNT; i++)
        if (!strcmp(decls[i].name, name))
            return i;
    return -1;
}

const char *aps_flag_name(enum aps_flag flag)
{
    return (unsigned)flag < APS_FLAG__COUNT ? decls[flag].name : "?";
}

const char *aps_flag_state_name(enum aps_flag_state s)
{
    return s == APS_FLAG_ON ? "on" : s == APS_FLAG_PERCENT ? "percent" : "off";
}

static int env_index(const char *environment)
{
    if (environment && !strcmp(environment, "production"))
        return 2;
    if (environment && !strcmp(environment, "staging"))
        return 1;
    return 0;
}

/* Copies the next comma-separated item of *p (trimmed) into item and moves *p past it. False
 * at the end of the list or for an item that does not fit. */
static bool next_item(const char **p, char *item, size_t cap, bool *toolong)
{
    while (**p == ',')
        (*p)++;
    if (!**p)
        return false;
    size_t n = strcspn(*p, ",");
    *toolong = n >= cap;
    if (*toolong)
        return false;
    memcpy(item, *p, n);
    item[n] = '\0';
    *p += n;
    return true;
}

static int parse_roles(const char *roles, unsigned *out, char *err, size_t errcap)
{
    char buf[64];
    bool toolong = false;
    *out = 0;
    for (const char *p = roles ? roles : ""; next_item(&p, buf, sizeof buf, &toolong);) {
        char *t = aps_str_trim(buf);
        int r = aps_role_parse(t);
        if (r < 0) {
            snprintf(err, errcap, "roles: unknown role '%.32s' (user, pro, analyst, operator, admin)",
                     t);
            return APS_E_INVAL;
        }
        *out |= 1u << r;
    }
    if (toolong) {
        snprintf(err, errcap, "roles: unknown role");
        return APS_E_INVAL;
    }
    return 0;
}

static int parse_users(const char *users, struct aps_flag_rule *r, char *err, size_t errcap)
{
    char buf[32];
    bool toolong = false;
    r->nusers = 0;
    for (const char *p = users ? users : ""; next_item(&p, buf, sizeof buf, &toolong);) {
        int64_t id;
        char *t = aps_str_trim(buf);
        if (aps_parse_int64(t, &id) || id <= 0) {
            snprintf(err, errcap, "users: '%.32s' is not a user id", t);
            return APS_E_INVAL;
        }
        if (r->nusers == APS_FLAG_MAX_USERS) {
            snprintf(err, errcap, "users: at most %d ids", APS_FLAG_MAX_USERS);
            return APS_E_INVAL;
        }
        r->users[r->nusers++] = id;
    }
    if (toolong) {
        snprintf(err, errcap, "users: an id is too long");
        return APS_E_INVAL;
    }
    return 0;
}

int aps_flag_rule_parse(const char *state, int percent, const char *roles, const char *users,
                        struct aps_flag_rule *out, char *err, size_t errcap)
{
    memset(out, 0, sizeof *out);
    size_t n = state ? strlen(state) : 0;
    if (n && !strcmp(state, "on")) {
        out->state = APS_FLAG_ON;
    } else if (n && !strcmp(state, "off")) {
        out->state = APS_FLAG_OFF;
    } else if (n > 1 && n < 5 && state[n - 1] == '%') {
        char num[8];
        memcpy(num, state, n - 1);
        num[n - 1] = '\0';
        out->state = APS_FLAG_PERCENT;
        if (aps_parse_int(num, &out->percent))
            out->percent = -1;
    } else if (n && !strcmp(state, "percent")) {
        out->state = APS_FLAG_PERCENT;
        out->percent = percent;
    } else {
        snprintf(err, errcap, "state must be on, off, percent or N%% (0..100)");
        return APS_E_INVAL;
    }
    if (out->state == APS_FLAG_PERCENT && (out->percent < 0 || out->percent > 100)) {
        snprintf(err, errcap, "percent must be an integer from 0 to 100");
        return APS_E_INVAL;
    }
    if (parse_roles(roles, &out->roles, err, errcap) || parse_users(users, out, err, errcap))
        return APS_E_INVAL;
    return 0;
}

/* The roles as the comma list the store keeps. */
static void roles_text(unsigned roles, char *out, size_t cap)
{
    size_t len = 0;
    out[0] = '\0';
    for (int r = 0; r < APS_ROLE__COUNT; r++)
        if (roles & (1u << r))
            len += (size_t)snprintf(out + len, len < cap ? cap - len : 0, "%s%s", len ? "," : "",
                                    aps_role_name(r));
}

static void users_text(const struct aps_flag_rule *r, char *out, size_t cap)
{
    size_t len = 0;
    out[0] = '\0';
    for (size_t i = 0; i < r->nusers && len < cap; i++)
        len += (size_t)snprintf(out + len, cap - len, "%s%" PRId64, i ? "," : "", r->users[i]);
}

json_t *aps_flag_rule_json(const struct aps_flag_rule *r)
{
    json_t *roles = json_array(), *users = json_array();
    for (int i = 0; i < APS_ROLE__COUNT; i++)
        if (r->roles & (1u << i))
            json_array_append_new(roles, json_string(aps_role_name(i)));
    for (size_t i = 0; i < r->nusers; i++)
        json_array_append_new(users, json_integer(r->users[i]));
    return json_pack("{s:s, s:i, s:o, s:o}", "state", aps_flag_state_name(r->state), "percent",
                     r->state == APS_FLAG_PERCENT ? r->percent : r->state == APS_FLAG_ON ? 100 : 0,
                     "roles", roles, "users", users);
}

json_t *aps_flag_info_json(const struct aps_flag_info *fi)
{
    json_t *o = aps_flag_rule_json(&fi->rule);
    json_object_set_new(o, "name", json_string(fi->name));
    json_object_set_new(o, "summary", json_string(fi->summary));
    json_object_set_new(o, "default", json_boolean(!fi->stored));
    json_object_set_new(o, "version", json_integer(fi->version));
    json_object_set_new(o, "updated_by", fi->updated_by ? json_integer(fi->updated_by)
                                                         : json_null());
    json_object_set_new(o, "updated_at", fi->updated_at ? json_integer(fi->updated_at)
                                                         : json_null());
    return o;
}

/* ---- the store ------------------------------------------------------------------------------ */

static void defaults(const char *environment, struct aps_flag_info *out)
{
    int e = env_index(environment);
    for (int i = 0; i < APS_FLAG__COUNT; i++) {
        memset(&out[i], 0, sizeof out[i]);
        out[i].name = decls[i].name;
        out[i].summary = decls[i].summary;
        out[i].rule.state = decls[i].def[e];
    }
}

/* Fills fi's rule from a row (name, state, percent, roles, users, version, by, at); a row that
 * no longer parses (edited by hand) turns the flag off rather than guessing. */
static void row_rule(const struct aps_stmt *st, struct aps_flag_info *fi)
{
    char err[160];
    const char *state = aps_stmt_text(st, 1);
    char pct[8];
    if (state && !strcmp(state, "percent")) {
        snprintf(pct, sizeof pct, "%d%%", (int)aps_stmt_int64(st, 2));
        state = pct;
    }
    if (aps_flag_rule_parse(state, 0, aps_stmt_text(st, 3), aps_stmt_text(st, 4), &fi->rule, err,
                            sizeof err))
        memset(&fi->rule, 0, sizeof fi->rule);
    fi->stored = true;
    fi->version = aps_stmt_int64(st, 5);
    fi->updated_by = aps_stmt_int64(st, 6);
    fi->updated_at = aps_stmt_int64(st, 7);
}

static int table_version(struct aps_conn *c, int64_t *count, int64_t *version)
{
    struct aps_stmt *st = NULL;
    int rc = aps_conn_prepare(c, "SELECT COUNT(*), COALESCE(SUM(version), 0) FROM feature_flags",
                              &st);
    if (!rc)
        rc = aps_stmt_step(st);
    if (rc == APS_ROW) {
        *count = aps_stmt_int64(st, 0);
        *version = aps_stmt_int64(st, 1);
        rc = 0;
    } else if (rc == APS_DONE) {
        rc = APS_E_DB;
    }
    aps_stmt_finalize(st);
    return rc;
}

int aps_flags_read(struct aps_conn *c, const char *environment, struct aps_flag_info *out,
                   int64_t *version)
{
    struct aps_stmt *st = NULL;
    int64_t count = 0, v = 0;
    defaults(environment, out);
    int rc = table_version(c, &count, &v);
    if (!rc)
        rc = aps_conn_prepare(c, "SELECT name, state, percent, roles, users, version, updated_by,"
                                 " updated_at FROM feature_flags", &st);
    while (!rc && (rc = aps_stmt_step(st)) == APS_ROW) {
        rc = 0;
        int i = aps_flag_find(aps_stmt_text(st, 0));
        if (i >= 0)
            row_rule(st, &out[i]);
    }
    aps_stmt_finalize(st);
    if (rc < 0)
        return rc;
    if (version)
        *version = v;
    return 0;
}

static int upsert(struct aps_conn *c, enum aps_flag flag, const struct aps_flag_rule *r,
                  int64_t by)
{
    char roles[128], users[APS_FLAG_MAX_USERS * 21];
    roles_text(r->roles, roles, sizeof roles);
    users_text(r, users, sizeof users);
    return aps_conn_execf(
        c,
        "INSERT INTO feature_flags (name, state, percent, roles, users, version, updated_by,"
        " updated_at) VALUES (?1, ?2, ?3, ?4, ?5, 1, ?6, ?7) ON CONFLICT (name) DO UPDATE SET"
        " state = excluded.state, percent = excluded.percent, roles = excluded.roles,"
        " users = excluded.users, version = feature_flags.version + 1,"
        " updated_by = excluded.updated_by, updated_at = excluded.updated_at",
        "ssissIi", aps_flag_name(flag), aps_flag_state_name(r->state),
        (int64_t)(r->state == APS_FLAG_PERCENT ? r->percent : 0), roles, users, by ? &by : NULL,
        aps_time_now());
}

int aps_flags_set(struct aps_conn *c, const char *environment, enum aps_flag flag,
                  const struct aps_flag_rule *rule, int64_t by, const struct aps_audit_event *who)
{
    struct aps_flag_info cur[APS_FLAG__COUNT];
    if ((unsigned)flag >= APS_FLAG__COUNT)
        return APS_E_INVAL;
    int rc = aps_conn_begin(c);
    if (!rc)
        rc = aps_flags_read(c, environment, cur, NULL);
    if (!rc)
        rc = upsert(c, flag, rule, by);
    if (!rc) {
        struct aps_audit_event e = *who;
        e.action = "flag_changed";
        e.resource_type = "flag";
        e.resource_id = aps_flag_name(flag);
        e.success = true;
        e.details = json_pack("{s:o, s:b, s:o}", "previous", aps_flag_rule_json(&cur[flag].rule),
                              "previous_default", !cur[flag].stored, "value",
                              aps_flag_rule_json(rule));
        rc = aps_audit_write(c, &e, aps_time_now());
        json_decref(e.details);
    }
    if (!rc)
        rc = aps_conn_commit(c);
    if (rc)
        aps_conn_rollback(c);
    return rc;
}

/* ---- the snapshot --------------------------------------------------------------------------- */

int aps_flags_open(struct aps_flags **out, struct aps_store *st, const char *environment,
                   int refresh_ms)
{
    if (!st || refresh_ms < 1)
        return APS_E_INVAL;
    struct aps_flags *f = aps_calloc(1, sizeof *f);
    pthread_mutex_init(&f->mu, NULL);
    f->store = st;
    snprintf(f->environment, sizeof f->environment, "%s", environment ? environment : "");
    f->refresh_s = refresh_ms / 1000.0;
    defaults(environment, f->snap);
    *out = f;
    return 0;
}

void aps_flags_close(struct aps_flags *f)
{
    if (!f)
        return;
    pthread_mutex_destroy(&f->mu);
    aps_free(f);
}

/* Checks the table when the snapshot is older than refresh_s and reloads it when it changed.
 * Called with f->mu held. On a failure the old snapshot stays and the next read retries after
 * another refresh period. */
static void refresh_locked(struct aps_flags *f)
{
    double now = aps_time_mono();
    if (f->loaded && now - f->checked_at < f->refresh_s)
        return;
    struct aps_conn *c = NULL;
    int64_t count = 0, version = 0;
    int rc = aps_store_acquire(f->store, APS_DB_WRITE, &c); /* the primary: no replica lag */
    if (!rc)
        rc = table_version(c, &count, &version);
    if (!rc && (!f->loaded || count != f->count || version != f->version)) {
        struct aps_flag_info next[APS_FLAG__COUNT];
        rc = aps_flags_read(c, f->environment, next, &version);
        if (!rc) {
            memcpy(f->snap, next, sizeof next);
            f->count = count;
            f->version = version;
            f->loaded = true;
            f->reloads++;
        }
    }
    if (c)
        aps_store_release(c);
    if (rc)
        f->errors++;
    f->checked_at = now;
}

bool aps_flags_enabled(struct aps_flags *f, enum aps_flag flag, int64_t user_id,
                       enum aps_role role)
{
    if (!f || (unsigned)flag >= APS_FLAG__COUNT)
        return false;
    pthread_mutex_lock(&f->mu);
    refresh_locked(f);
    bool on = aps_flag_rule_allows(&f->snap[flag].rule, decls[flag].name, user_id, role);
    pthread_mutex_unlock(&f->mu);
    return on;
}

void aps_flags_snapshot(struct aps_flags *f, struct aps_flag_info *out, int64_t *version)
{
    pthread_mutex_lock(&f->mu);
    refresh_locked(f);
    memcpy(out, f->snap, sizeof f->snap);
    if (version)
        *version = f->version;
    pthread_mutex_unlock(&f->mu);
}

void aps_flags_invalidate(struct aps_flags *f)
{
    if (!f)
        return;
    pthread_mutex_lock(&f->mu);
    f->checked_at = 0;
    f->loaded = false;
    pthread_mutex_unlock(&f->mu);
}

void aps_flags_export_metrics(struct aps_flags *f, struct aps_metrics *m)
{
    static const char *const l[] = {"flag", NULL};
    struct aps_flag_info snap[APS_FLAG__COUNT];
    int64_t version = 0;
    if (!f || !m)
        return;
    aps_flags_snapshot(f, snap, &version);
    struct aps_metric *en = aps_metrics_gauge(
        m, "aps_feature_flag_enabled",
        "Feature flag as this process sees it: 1 on, 0 off, the rollout share for a percent rule.",
        l);
    for (int i = 0; i < APS_FLAG__COUNT; i++) {
        const struct aps_flag_rule *r = &snap[i].rule;
        const char *v[] = {snap[i].name};
        aps_metric_set(en, v, r->state == APS_FLAG_ON ? 1.0
                              : r->state == APS_FLAG_PERCENT ? r->percent / 100.0 : 0.0);
    }
    aps_metric_set(aps_metrics_gauge(m, "aps_feature_flags_version",
                                     "Change counter of the feature_flags table this process has"
                                     " loaded (SUM of the rows' versions).",
                                     NULL),
                   NULL, (double)version);
    pthread_mutex_lock(&f->mu);
    double errors = (double)f->errors;
    pthread_mutex_unlock(&f->mu);
    aps_metric_set(aps_metrics_counter(m, "aps_feature_flags_refresh_errors_total",
                                       "Checks of the feature_flags table that failed (the last"
                                       " snapshot stayed in force).",
                                       NULL),
                   NULL, errors);
}
