/* api_jobs.c — the dead-letter handlers of routes_admin.def: list the jobs the queue gave up on
 * (cache/queue.h: out of attempts and retry budget), put one back on the queue, or drop it.
 * The same operations as `aps worker dead list|requeue|drop`; each change is audited. */
#include <stdio.h>
#include <string.h>

#include "cache/queue.h"
#include "core/mem.h"
#include "services/api_json.h"
#include "services/api_util.h"
#include "services/api_valid.h"
#include "services/app.h"
#include "services/routes.h"
#include "store/store.h"


static json_t *dead_json(const struct aps_job *j)
{
    /* the error and the payload as stored, whatever bytes a job or a provider put in them */
    return json_pack("{s:o,s:o,s:i,s:i,s:I,s:o,s:o}", "id", aps_api_text(j->id), "name",
                     aps_api_text(j->name), "attempts", j->attempts, "max_attempts",
                     j->max_attempts, "enqueued_ms", (json_int_t)j->enqueued_ms, "error",
                     aps_api_text(j->error), "payload",
                     aps_api_text(j->payload ? j->payload : ""));
}

int aps_api_jobs_dead_list(struct aps_http_req *req, struct aps_http_res *res)
{
    struct aps_app *app = req->app;
    struct aps_api_page pg;
    aps_api_q_page(req, res, &pg);
    if (aps_api_bad(res))
        return 0;
    int64_t limit = pg.limit;
    if (!app->queue)
        return aps_http_error(res, 503, "SERVICE_UNAVAILABLE", "no job queue is configured");
    struct aps_job *jobs = aps_calloc((size_t)limit, sizeof *jobs);
    int n = 0;
    int rc = aps_queue_dead(app->queue, pg.offset, jobs, (int)limit, &n);
    json_t *items = json_array();
    for (int i = 0; i < n; i++) {
        json_array_append_new(items, dead_json(&jobs[i]));
        aps_job_cleanup(&jobs[i]);
    }
    aps_free(jobs);
    if (rc) {
        json_decref(items);
        return aps_http_error(res, 503, "SERVICE_UNAVAILABLE", "the job queue does not answer");
    }
    struct aps_queue_stats qs;
    /* The count is read after the page: a letter dead-lettered between the two reads may make
     * the total one more than the pages held, never less than what was listed. */
    int64_t total = aps_queue_stats(app->queue, &qs) ? pg.offset + n : qs.dead;
    return aps_http_json(res, 200,
                         aps_api_list(items, total < pg.offset + n ? pg.offset + n : total, &pg));
}

/* Requeues or drops dead letter {id}, then audits it. */
static int revive(struct aps_http_req *req, struct aps_http_res *res, bool requeue)
{
    struct aps_app *app = req->app;
    int64_t id = aps_api_path_id(req, res, "id");
    if (aps_api_bad(res))
        return 0;
    if (!app->queue)
        return aps_http_error(res, 503, "SERVICE_UNAVAILABLE", "no job queue is configured");
    char rid[24];
    snprintf(rid, sizeof rid, "%lld", (long long)id);
    int rc = requeue ? aps_queue_requeue(app->queue, rid) : aps_queue_drop(app->queue, rid);
    if (rc == APS_E_NOTFOUND)
        return aps_api_not_found(res, "dead-lettered job");
    if (rc)
        return aps_http_error(res, 503, "SERVICE_UNAVAILABLE", "the job queue does not answer");
    struct aps_conn *c = NULL;
    if (aps_api_acquire(req, res, APS_DB_WRITE, &c))
        return 0;
    rc = aps_api_audit(c, req, requeue ? "job_requeued" : "job_dropped", "job", rid, true, NULL);
    aps_store_release(c);
    if (rc)
        return aps_api_db_error(res, rc);
    return aps_http_json(res, 200, json_pack("{s:s,s:b}", "id", rid,
                                             requeue ? "requeued" : "dropped", 1));
}

int aps_api_jobs_dead_requeue(struct aps_http_req *req, struct aps_http_res *res)
{
    return revive(req, res, true);
}

int aps_api_jobs_dead_drop(struct aps_http_req *req, struct aps_http_res *res)
{
    return revive(req, res, false);
}
