/* jobs.c — the job table of jobs.def, the dispatcher that checks a payload before its handler
 * runs, and the helpers every handler shares (clock, follow-up jobs, named locks, payload
 * fields, cache invalidation). The handlers live in jobs_collect.c, jobs_picks.c and
 * jobs_ops.c. */
#include "services/jobs.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cache/cache.h"
#include "cache/leader.h"
#include "cache/queue.h"
#include "config/clock.h"
#include "config/config.h"
#include "core/domain.h"
#include "core/str.h"
#include "core/timeutil.h"
#include "ingest/collect.h"
#include "services/app.h"

static const struct aps_job_def table[] = {
#define APS_JOB(name, timeout, attempts, sport, help) \
    {#name, aps_job_do_##name, timeout, attempts, sport, help},
#include "services/jobs.def"
#undef APS_JOB
};

const struct aps_job_def *aps_jobs_table(size_t *n)
{
    *n = sizeof table / sizeof table[0];
    return table;
}

const struct aps_job_def *aps_jobs_find(const struct aps_job_def *t, size_t n, const char *name)
{
    for (size_t i = 0; name && i < n; i++)
        if (!strcmp(t[i].name, name))
            return &t[i];
    return NULL;
}

int aps_jobs_max_timeout(const struct aps_job_def *t, size_t n)
{
    int m = 1;
    for (size_t i = 0; i < n; i++)
        if (t[i].timeout_s > m)
            m = t[i].timeout_s;
    return m;
}

int aps_job_fail(struct aps_job_run *r, int rc, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->err, sizeof r->err, fmt, ap);
    va_end(ap);
    return rc;
}

int aps_job_reject(struct aps_job_run *r, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->err, sizeof r->err, fmt, ap);
    va_end(ap);
    r->rejected = true;
    return APS_E_INVAL;
}

int aps_job_refuse(struct aps_job_run *r, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->err, sizeof r->err, fmt, ap);
    va_end(ap);
    r->refused = true;
    return APS_E_INVAL;
}

/* ---- dispatch ------------------------------------------------------------------------------ */

static int parse_payload(const char *text, struct aps_job_run *r)
{
    json_error_t je;
    if (!text)
        text = "{}";
    if (!*text)
        return aps_job_reject(r, "payload is empty (a JSON object: {} for none)"), APS_E_PARSE;
    json_t *j = json_loads(text, JSON_REJECT_DUPLICATES, &je);
    if (!j) {
        aps_job_reject(r, "payload is not JSON: %s", je.text);
        return APS_E_PARSE;
    }
    if (!json_is_object(j)) {
        json_decref(j);
        aps_job_reject(r, "payload must be a JSON object");
        return APS_E_PARSE;
    }
    r->payload = j;
    return 0;
}

static int resolve_sport(const struct aps_job_def *d, struct aps_job_run *r)
{
    const char *code = aps_job_str(r, "sport", NULL);
    r->sport = code ? aps_sport_from_code(code) : -1;
    if (code && r->sport < 0)
        return aps_job_reject(r, "unknown sport %.32s", code);
    if (d->needs_sport && r->sport < 0)
        return aps_job_reject(r, "%s needs a sport in its payload", d->name);
    return 0;
}

/* The checks before a handler runs: the payload parsed (into r->payload) and its sport. */
static int check_payload(const struct aps_job_def *d, const char *payload_json,
                         struct aps_job_run *r)
{
    r->def = d;
    r->err[0] = r->warn[0] = '\0';
    r->sport = -1;
    r->rejected = r->refused = false;
    int rc = parse_payload(payload_json, r);
    return rc ? rc : resolve_sport(d, r);
}

int aps_jobs_check(const struct aps_job_def *d, const char *payload_json, char *err, size_t errcap)
{
    struct aps_job_run r = {0}; /* no app: nothing runs, only the checks */
    int rc = check_payload(d, payload_json, &r);
    json_decref(r.payload);
    if (rc)
        snprintf(err, errcap, "%s", r.err);
    return rc;
}

int aps_jobs_exec(const struct aps_job_def *d, const char *payload_json, struct aps_job_run *r)
{
    int rc = check_payload(d, payload_json, r);
    if (!rc && !r->now)
        r->now = r->app ? aps_jobs_now(r->app->cfg) : aps_time_now();
    if (!rc && r->col) /* a provider's wait that would outlast the job is not waited for */
        r->col->deadline = aps_time_mono() + 0.95 * d->timeout_s;
    if (!rc)
        rc = d->fn(r);
    if (r->col)
        r->col->deadline = 0;
    if (rc && !r->err[0])
        aps_job_fail(r, rc, "%s", aps_strerror(rc));
    json_decref(r->payload);
    r->payload = NULL;
    return rc;
}

void aps_job_run_cleanup(struct aps_job_run *r)
{
    aps_buf_cleanup(&r->fields);
}

int aps_jobs_enqueue(struct aps_queue *q, const struct aps_job_def *d, const char *payload,
                     const char *idem, char id_out[64])
{
    char why[512];
    int rc = aps_jobs_check(d, payload, why, sizeof why);
    if (!rc)
        rc = aps_queue_push(q, d->name, payload, idem, d->max_attempts, 0, id_out);
    return rc == APS_E_EXISTS ? 0 : rc;
}

/* ---- shared helpers ------------------------------------------------------------------------ */

int64_t aps_jobs_now(const struct aps_config *cfg)
{
    const char *path = cfg ? aps_cfg_str(cfg, APS_SET_CLOCK_OFFSET_FILE) : NULL;
    return aps_clock_now_ms(path) / 1000;
}

int aps_job_lock(struct aps_job_run *r, const char *name, int64_t ttl_ms, bool *held)
{
    *held = true;
    if (!r->locks)
        return 0;
    char lock[128];
    snprintf(lock, sizeof lock, "job:%s", name);
    int rc = aps_leader_acquire(r->locks, lock, r->id, ttl_ms, held);
    if (rc)
        return aps_job_fail(r, rc, "cannot take the %s lock: %s", name, aps_strerror(rc));
    return 0;
}

void aps_job_unlock(struct aps_job_run *r, const char *name)
{
    char lock[128];
    if (!r->locks)
        return;
    snprintf(lock, sizeof lock, "job:%s", name);
    (void)aps_leader_release(r->locks, lock, r->id);
}

int64_t aps_job_int(const struct aps_job_run *r, const char *key, int64_t def)
{
    json_t *v = r->payload ? json_object_get(r->payload, key) : NULL;
    return json_is_integer(v) ? (int64_t)json_integer_value(v) : def;
}

const char *aps_job_str(const struct aps_job_run *r, const char *key, const char *def)
{
    json_t *v = r->payload ? json_object_get(r->payload, key) : NULL;
    return json_is_string(v) ? json_string_value(v) : def;
}

void aps_job_invalidate(struct aps_job_run *r, const char *tag)
{
    if (r->app && r->app->cache && aps_cache_invalidate(r->app->cache, tag) == 0)
        aps_buf_printf(&r->fields, ",\"invalidated_%s\":true", tag);
}
