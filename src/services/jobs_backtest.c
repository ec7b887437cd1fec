/* jobs_backtest.c — the backtest job: runs a backtest requested through the API (a row of the
 * backtests table, migration 012) with engine/backtest.h and stores its JSON report with the
 * bankroll curve. Payload: {"backtest_id": N, "sport": CODE, "requested_by": USER} (the API's
 * requests carry requested_by, so the worker keeps the job's job_status row current).
 *
 * Idempotent: a request already done is left as it is; any other runs from the start (a run that
 * died half way, the row still "running"; a failed one whose job was requeued), since a backtest
 * only reads the history. A request the backtest cannot take (an unknown model, one whose files
 * cannot be read, nothing to score in its window) ends "failed" with the reason, and so does its
 * job's status, at once: the job is refused (jobs.h), neither retried (it would fail the same
 * way) nor dead-lettered (the requester's to mend, not an operator's). A step that fails (the store, the report's text) fails the
 * job, which the queue retries; the row stays "running" until a run ends it, and once the job
 * has failed for good (its job_status row "failed") the API reads the row as failed with the
 * job's error (api_backtests.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/config.h"
#include "core/mem.h"
#include "core/str.h"
#include "core/timeutil.h"
#include "engine/backtest.h"
#include "engine/elo_store.h"
#include "services/app.h"
#include "services/jobs.h"
#include "store/store.h"

struct bt_request {
    char state[16], market[16], from[11], to[11], model[128];
    double bankroll;
    bool has_from, has_to, has_model;
};

static void copy_col(const struct aps_stmt *st, int col, char *out, size_t cap, bool *present)
{
    const char *v = aps_stmt_text(st, col);
    if (present)
        *present = v != NULL;
    (void)aps_str_copy(out, cap, v ? v : "");
}

static int read_request(struct aps_conn *c, int64_t id, struct bt_request *q)
{
    struct aps_stmt *st = NULL;
    memset(q, 0, sizeof *q);
    int rc = aps_conn_preparef(c, &st, "SELECT state, market, date_from, date_to, model, bankroll"
                                       " FROM backtests WHERE id = ?1", "i", id);
    if (!rc && (rc = aps_stmt_step(st)) == APS_ROW) {
        copy_col(st, 0, q->state, sizeof q->state, NULL);
        copy_col(st, 1, q->market, sizeof q->market, NULL);
        copy_col(st, 2, q->from, sizeof q->from, &q->has_from);
        copy_col(st, 3, q->to, sizeof q->to, &q->has_to);
        copy_col(st, 4, q->model, sizeof q->model, &q->has_model);
        q->bankroll = aps_stmt_double(st, 5);
        rc = 0;
    } else if (rc == APS_DONE) {
        rc = APS_E_NOTFOUND;
    }
    aps_stmt_finalize(st);
    return rc;
}

/* Sets the row's state with the report or the error (either may be NULL). */
static int finish(struct aps_conn *c, int64_t id, const char *state, const char *report,
                  const char *error, int64_t now)
{
    bool running = !strcmp(state, "running");
    return aps_conn_execf(c,
                          running ? "UPDATE backtests SET state = ?2, started_at = ?5,"
                                    " report = ?3, error = ?4 WHERE id = ?1"
                                  : "UPDATE backtests SET state = ?2, finished_at = ?5,"
                                    " report = ?3, error = ?4 WHERE id = ?1",
                          "isssi", id, state, report, error, now);
}

/* Runs the request; *report is the JSON text (aps_free()), or NULL with why the request cannot
 * be run in err. A negative APS_E_* when a step failed. */
static int run(struct aps_job_run *r, struct aps_conn *c, const struct bt_request *q,
               char **report, char *err, size_t cap)
{
    const struct aps_config *cfg = r->app->cfg;
    struct aps_history h;
    struct aps_backtest_report rep = {0};
    struct aps_backtest_sport_opts o = {
        .bt = {.market = (enum aps_market)aps_market_parse(q->market),
               .from = q->has_from ? q->from : NULL, .to = q->has_to ? q->to : NULL,
               .bankroll = q->bankroll, .burn_in = 1,
               .margin = aps_engine_margin_method(cfg)},
        .model = q->has_model ? q->model : NULL,
        .refit = true,
        .why = err,
        .why_cap = cap};
    aps_engine_kelly_params(cfg, &o.bt.kelly);
    char model_name[128];
    *report = NULL;
    int rc = aps_backtest_sport(c, (enum aps_sport)r->sport, &o, &h, &rep, model_name,
                                sizeof model_name);
    if (rc == APS_E_NOTFOUND && q->has_model) {
        snprintf(err, cap, "no model %s for %s %s", q->model, aps_sport_info(r->sport)->code,
                 q->market);
        rc = 0;
    } else if (rc == APS_E_IO && err[0]) {
        rc = 0; /* the model's files are gone or unreadable: it cannot run until they are back */
    } else if (!rc && aps_backtest_empty(&rep, &h, &o.bt, err, cap)) {
        rc = 0; /* an empty evaluation fails the request with its reason, as `aps backtest` */
    } else if (!rc) {
        json_t *j = aps_backtest_json(&rep, &h, true);
        *report = j ? json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
        json_decref(j);
        if (!*report)
            rc = APS_E_NOMEM;
    }
    aps_backtest_report_cleanup(&rep);
    aps_history_cleanup(&h);
    return rc;
}

int aps_job_do_backtest(struct aps_job_run *r)
{
    int64_t id = aps_job_int(r, "backtest_id", 0);
    if (id <= 0)
        return aps_job_reject(r, "backtest_id must be a positive id");
    struct aps_conn *c = NULL;
    int rc = aps_store_acquire(r->app->store, APS_DB_WRITE, &c);
    if (rc)
        return aps_job_fail(r, rc, "no database connection: %s", aps_strerror(rc));
    struct bt_request q;
    rc = read_request(c, id, &q);
    if (rc == APS_E_NOTFOUND) { /* it will not appear: the API records it before the job */
        aps_store_release(c);
        return aps_job_reject(r, "no backtest %lld", (long long)id);
    }
    if (!rc && !strcmp(q.state, "done")) {
        snprintf(r->warn, sizeof r->warn, "skipped: backtest already done");
        aps_store_release(c);
        return 0;
    }
    char *report = NULL, err[480] = "";
    bool known = !rc && aps_market_parse(q.market) >= 0;
    if (!rc && !known) {
        snprintf(err, sizeof err, "unknown market %s", q.market);
        rc = finish(c, id, "failed", NULL, err, aps_time_now());
    } else if (!rc) {
        rc = finish(c, id, "running", NULL, NULL, aps_time_now());
    }
    if (!rc && known)
        rc = run(r, c, &q, &report, err, sizeof err);
    if (!rc && known)
        rc = finish(c, id, report ? "done" : "failed", report, report ? NULL : err,
                    aps_time_now());
    aps_free(report); /* json_dumps text: jansson allocates through core/mem.h */
    aps_buf_printf(&r->fields, ",\"backtest_id\":%lld", (long long)id);
    aps_store_release(c);
    if (rc)
        return aps_job_fail(r, rc, "backtest %lld: %s", (long long)id, aps_strerror(rc));
    if (err[0]) /* the request cannot run: the job ends with it, neither retried nor dead */
        return aps_job_refuse(r, "backtest %lld: %s", (long long)id, err);
    return 0;
}
