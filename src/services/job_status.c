/* job_status.c — the job_status table (job_status.h). */
#include "services/job_status.h"

#include <stdio.h>
#include <string.h>

#include "services/api_json.h"
#include "store/store.h"

int aps_job_status_create(struct aps_conn *c, const char *id, const char *name,
                          const char *payload, int64_t requested_by, bool fresh, int64_t now)
{
    /* ON CONFLICT … is the same text on SQLite and PostgreSQL */
    const char *sql =
        fresh ? "INSERT INTO job_status (job_id, name, payload, requested_by, state, attempts,"
                " created_at) VALUES (?1, ?2, ?3, CAST(?4 AS BIGINT), 'queued', 0,"
                " CAST(?5 AS BIGINT)) ON CONFLICT (job_id) DO UPDATE SET name = excluded.name,"
                " payload = excluded.payload, requested_by = excluded.requested_by,"
                " state = 'queued', attempts = 0, error = NULL, created_at = excluded.created_at,"
                " started_at = NULL, finished_at = NULL"
              : "INSERT INTO job_status (job_id, name, payload, requested_by, state, attempts,"
                " created_at) VALUES (?1, ?2, ?3, CAST(?4 AS BIGINT), 'queued', 0,"
                " CAST(?5 AS BIGINT)) ON CONFLICT (job_id) DO NOTHING";
    return aps_conn_execf(c, sql, "sssIi", id, name, payload,
                          requested_by > 0 ? &requested_by : NULL, now);
}

int aps_job_status_update(struct aps_store *st, const char *id, const char *state, int attempts,
                          const char *error, int64_t now)
{
    const char *sql;
    if (!strcmp(state, "running"))
        sql = "UPDATE job_status SET state = ?2, attempts = ?3, started_at = ?5, error = ?4"
              " WHERE job_id = ?1";
    else if (!strcmp(state, "queued"))
        sql = "UPDATE job_status SET state = ?2, attempts = ?3, error = ?4, finished_at = NULL"
              " WHERE job_id = ?1";
    else
        sql = "UPDATE job_status SET state = ?2, attempts = ?3, error = ?4, finished_at = ?5"
              " WHERE job_id = ?1";
    struct aps_conn *c = NULL;
    int rc = aps_store_acquire(st, APS_DB_WRITE, &c);
    if (rc)
        return rc;
    /* A retry has no time of its own to record: its SQL has no ?5 (and now goes unread). */
    rc = aps_conn_execf(c, sql, strcmp(state, "queued") ? "ssisi" : "ssis", id, state,
                        (int64_t)attempts, error, now);
    aps_store_release(c);
    return rc;
}

int aps_job_status_get(struct aps_conn *c, const char *id, json_t **out, int64_t *requested_by)
{
    struct aps_stmt *s = NULL;
    int rc = aps_conn_preparef(c, &s,
                               "SELECT job_id, name, payload, requested_by, state, attempts,"
                               " error, created_at, started_at, finished_at FROM job_status"
                               " WHERE job_id = ?1",
                               "s", id);
    if (!rc)
        rc = aps_stmt_step(s);
    if (rc == APS_ROW) {
        json_t *payload = json_loads(aps_stmt_text(s, 2) ? aps_stmt_text(s, 2) : "{}", 0, NULL);
        *requested_by = aps_stmt_is_null(s, 3) ? 0 : aps_stmt_int64(s, 3);
        *out = json_pack("{s:o, s:o, s:o, s:o, s:o, s:I, s:o, s:o, s:o, s:o}", "id",
                         aps_api_col_str(s, 0), "name", aps_api_col_str(s, 1), "payload",
                         payload && json_is_object(payload) ? payload : json_object(), "requested_by",
                         aps_api_col_int(s, 3), "state", aps_api_col_str(s, 4), "attempts",
                         (json_int_t)aps_stmt_int64(s, 5), "error", aps_api_col_str(s, 6),
                         "created_at", aps_api_col_time(s, 7, false), "started_at",
                         aps_api_col_time(s, 8, false), "finished_at",
                         aps_api_col_time(s, 9, false));
        if (payload && !json_is_object(payload))
            json_decref(payload);
        rc = 0;
    } else if (rc == APS_DONE) {
        rc = APS_E_NOTFOUND;
    } else if (rc > 0) {
        rc = APS_E_DB;
    }
    aps_stmt_finalize(s);
    return rc;
}
