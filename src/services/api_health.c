/* api_health.c — the handlers of routes_health.def: health summary and probes, the detailed
 * component report, Prometheus metrics, the OpenAPI document and the docs page.
 *
 * Liveness: the process answers. Readiness (what a load balancer or Kubernetes asks before
 * sending traffic): the process can serve its routes correctly — it is not draining after a
 * SIGTERM, the primary store answers a query and every migration on disk is applied. Any
 * failure is 503 with the error envelope, one detail per failed check. Redis is not part of
 * readiness: while it is down every route still answers (rate limits and the cache fall back to
 * the process), so an outage of it is reported as "degraded" by /health/detailed and by
 * aps_dependency_up, never by taking every instance out of rotation. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "cache/cache.h"
#include "cache/queue.h"
#include "config/config.h"
#include "core/log.h"
#include "core/timeutil.h"
#include "metrics/metrics.h"
#include "services/app.h"
#include "services/app_metrics.h"
#include "services/deps.h"
#include "services/openapi.h"
#include "services/routes.h"
#include "store/migrate.h"
#include "store/store.h"

/* Milliseconds rounded to microseconds, so reports do not print 17 digits. */
static json_t *ms_json(double ms)
{
    return json_real(round(ms * 1000) / 1000);
}

static struct aps_app *app_of(const struct aps_http_req *req)
{
    return req->app;
}

static json_t *now_iso(void)
{
    char ts[32];
    aps_time_format_iso(aps_time_now(), ts, sizeof ts);
    return json_string(ts);
}

/* The summary is what load balancers and probes call most: its body is written straight into
 * the request arena, {"status":"ok","time":"…","version":"…"}, the bytes the JSON builder would
 * give, without building and serialising a JSON object. */
int aps_api_health(struct aps_http_req *req, struct aps_http_res *res)
{
    static const char head[] = "{\"status\":\"ok\",\"time\":\"", mid[] = "\",\"version\":\"";
    struct aps_app *app = app_of(req);
    const char *version = aps_cfg_str(app->cfg, APS_SET_APP_VERSION);
    if (!version)
        version = "";
    char ts[32];
    aps_time_format_iso(aps_time_now(), ts, sizeof ts);
    size_t tl = strlen(ts);
    char *b = aps_arena_alloc(&req->arena, sizeof head + tl + sizeof mid + 6 * strlen(version) + 3);
    char *p = b;
    memcpy(p, head, sizeof head - 1);
    p += sizeof head - 1;
    memcpy(p, ts, tl);
    p += tl;
    memcpy(p, mid, sizeof mid - 1);
    p += sizeof mid - 1;
    p += aps_json_escape_into(p, version);
    memcpy(p, "\"}", 3);
    p += 2;
    res->status = 200;
    res->raw = b;
    res->raw_len = (size_t)(p - b);
    res->content_type = "application/json";
    return 0;
}

int aps_api_health_live(struct aps_http_req *req, struct aps_http_res *res)
{
    return aps_http_json(res, 200, json_pack("{s:s,s:o}", "status", "alive", "time", now_iso()));
}

/* Migrations on disk that are not applied yet (or -1 when the status cannot be read). */
static int pending_migrations(struct aps_app *app, char *err, size_t errcap)
{
    const char *dir = aps_cfg_str(app->cfg, APS_SET_APS_MIGRATIONS_DIR);
    struct aps_migration_status *ms = NULL;
    int n = 0, pending = 0;
    if (aps_migrate_status(app->store, dir && *dir ? dir : NULL, &ms, &n, err, errcap))
        return -1;
    for (int i = 0; i < n; i++)
        pending += !ms[i].applied;
    aps_free(ms);
    return pending;
}

int aps_api_health_ready(struct aps_http_req *req, struct aps_http_res *res)
{
    struct aps_app *app = app_of(req);
    char err[256] = "", msg[300];
    double ms = 0;
    json_t *checks = json_object();
    aps_http_error(res, 503, "NOT_READY", "the service is not ready");
    bool ok = true;
    if (atomic_load(&app->draining)) {
        aps_http_error_field(res, "shutdown", "draining before exit");
        ok = false;
    }
    if (!app->store || aps_deps_probe_store(app->store, APS_DB_WRITE, &ms, NULL, err, sizeof err)) {
        aps_http_error_field(res, "database", app->store ? err : "no store configured");
        ok = false;
    } else {
        json_object_set_new(checks, "database", ms_json(ms));
        int pending = pending_migrations(app, err, sizeof err);
        if (pending) {
            if (pending > 0)
                snprintf(msg, sizeof msg, "%d migration(s) not applied", pending);
            aps_http_error_field(res, "migrations", pending > 0 ? msg : err);
            ok = false;
        }
    }
    if (!ok) {
        json_decref(checks);
        return 0;
    }
    json_decref(res->json);
    res->json = NULL;
    return aps_http_json(res, 200,
                         json_pack("{s:s,s:o,s:o}", "status", "ready", "time", now_iso(),
                                   "latency_ms", checks));
}

static json_t *component(bool up, double ms, const char *err)
{
    json_t *c = json_pack("{s:s}", "status", up ? "up" : "down");
    if (up)
        json_object_set_new(c, "latency_ms", ms_json(ms));
    else
        json_object_set_new(c, "error", json_string(err));
    return c;
}

static json_t *database_component(struct aps_store *st, enum aps_db_intent intent, bool *up)
{
    char err[256] = "";
    double ms = 0;
    bool replica = false;
    *up = !aps_deps_probe_store(st, intent, &ms, &replica, err, sizeof err);
    json_t *c = component(*up, ms, err);
    if (intent == APS_DB_WRITE) {
        struct aps_store_stats s;
        aps_store_stats(st, &s);
        json_object_set_new(c, "backend", json_string(aps_store_kind(st) == APS_DB_SQLITE
                                                          ? "sqlite"
                                                          : "postgresql"));
        json_object_set_new(c, "pool", json_pack("{s:i,s:i,s:i,s:I,s:I}", "open", s.open,
                                                 "in_use", s.in_use, "max", s.max, "acquired",
                                                 (json_int_t)s.acquired_total, "timeouts",
                                                 (json_int_t)s.timeouts_total));
    } else if (*up && !replica) {
        json_object_set_new(c, "note", json_string("read served by the primary"));
    }
    return c;
}

static json_t *cache_component(struct aps_cache *cache, bool *up)
{
    struct aps_cache_stats s;
    aps_cache_stats(cache, &s);
    double ms = 0;
    json_t *c;
    *up = true;
    if (aps_cache_shared(cache)) {
        *up = !aps_cache_ping(cache, &ms);
        c = component(*up, ms, "Redis does not answer");
        json_object_set_new(c, "tier", json_string("local+redis"));
    } else {
        c = json_pack("{s:s,s:s}", "status", "up", "tier", "local");
    }
    json_object_set_new(c, "local_entries", json_integer((json_int_t)s.local_entries));
    json_object_set_new(c, "hits", json_integer((json_int_t)(s.hits_local + s.hits_redis)));
    json_object_set_new(c, "misses", json_integer((json_int_t)s.misses));
    return c;
}

static json_t *queue_component(struct aps_queue *q, bool *up)
{
    struct aps_queue_stats s;
    double t0 = aps_time_mono();
    *up = !aps_queue_stats(q, &s);
    double ms = (aps_time_mono() - t0) * 1000;
    json_t *c = component(*up, ms, "the queue backend does not answer");
    json_object_set_new(c, "backend", json_string(aps_queue_backend(q)));
    if (*up)
        json_object_set_new(c, "depth",
                            json_pack("{s:I,s:I,s:I,s:I,s:f}", "ready", (json_int_t)s.ready,
                                      "leased", (json_int_t)s.leased, "delayed",
                                      (json_int_t)s.delayed, "dead", (json_int_t)s.dead,
                                      "oldest_age_s", s.oldest_age_s));
    return c;
}

int aps_api_health_detailed(struct aps_http_req *req, struct aps_http_res *res)
{
    struct aps_app *app = app_of(req);
    json_t *comps = json_object();
    bool db_up = false, up = true, degraded = false;
    if (app->store) {
        json_object_set_new(comps, "database", database_component(app->store, APS_DB_WRITE,
                                                                  &db_up));
        if (aps_store_has_replica(app->store)) {
            json_object_set_new(comps, "replica",
                                database_component(app->store, APS_DB_READ, &up));
            degraded |= !up;
        }
    }
    if (app->cache) {
        json_object_set_new(comps, "cache", cache_component(app->cache, &up));
        degraded |= !up;
    }
    if (app->queue) {
        json_object_set_new(comps, "queue", queue_component(app->queue, &up));
        degraded |= !up;
    }
    const char *status = !db_up ? "unhealthy" : degraded ? "degraded" : "healthy";
    return aps_http_json(res, 200,
                         json_pack("{s:s,s:o,s:s,s:s,s:b,s:o}", "status", status, "time",
                                   now_iso(), "version",
                                   aps_cfg_str(app->cfg, APS_SET_APP_VERSION), "instance",
                                   app->instance, "draining", atomic_load(&app->draining),
                                   "components", comps));
}

int aps_api_metrics(struct aps_http_req *req, struct aps_http_res *res)
{
    return aps_app_metrics_respond(app_of(req), req, res);
}

int aps_api_openapi(struct aps_http_req *req, struct aps_http_res *res)
{
    struct aps_app *app = app_of(req);
    json_t *doc = aps_openapi_document(aps_routes, aps_nroutes,
                                       aps_cfg_str(app->cfg, APS_SET_APP_NAME),
                                       aps_cfg_str(app->cfg, APS_SET_APP_VERSION));
    if (!doc)
        return APS_E_NOMEM;
    return aps_http_json(res, 200, doc);
}

int aps_api_docs(struct aps_http_req *req, struct aps_http_res *res)
{
    struct aps_app *app = app_of(req);
    return aps_http_static_file(req, res, aps_cfg_str(app->cfg, APS_SET_API_DOCS_DIR),
                                "index.html");
}

int aps_api_docs_file(struct aps_http_req *req, struct aps_http_res *res)
{
    struct aps_app *app = app_of(req);
    return aps_http_static_file(req, res, aps_cfg_str(app->cfg, APS_SET_API_DOCS_DIR),
                                aps_http_param(req, "file"));
}

/* The dashboard's page: never cached by the browser, so a new build shows at the next load
 * (its scripts and styles carry a content hash in their names and are cached). */
int aps_api_web_index(struct aps_http_req *req, struct aps_http_res *res)
{
    struct aps_app *app = app_of(req);
    int rc = aps_http_static_file(req, res, aps_cfg_str(app->cfg, APS_SET_DASHBOARD_DIR),
                                  "index.html");
    if (!rc && res->status == 200)
        aps_http_header_set(res, "Cache-Control", "no-cache");
    return rc;
}

int aps_api_web_file(struct aps_http_req *req, struct aps_http_res *res)
{
    struct aps_app *app = app_of(req);
    char dir[1024];
    snprintf(dir, sizeof dir, "%s/assets", aps_cfg_str(app->cfg, APS_SET_DASHBOARD_DIR));
    int rc = aps_http_static_file(req, res, dir, aps_http_param(req, "file"));
    if (!rc && res->status == 200)
        aps_http_header_set(res, "Cache-Control", "public, max-age=31536000, immutable");
    return rc;
}
