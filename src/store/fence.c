/* fence.c — the fences table of fence.h: one conditional upsert per guarded write. */
#include "store/fence.h"

#include "store/store.h"

/* A row comes back only when the stored epoch was not newer than ours (and is ours now). */
static const char pass_sql[] =
    "INSERT INTO fences (name, epoch) VALUES (?1, CAST(?2 AS BIGINT))"
    " ON CONFLICT (name) DO UPDATE SET epoch = excluded.epoch"
    " WHERE fences.epoch <= excluded.epoch RETURNING epoch";

int aps_fence_pass(struct aps_conn *c, const struct aps_fence *f)
{
    if (!f || !f->name || !*f->name || f->epoch < 1)
        return APS_E_INVAL;
    struct aps_stmt *s = NULL;
    int rc = aps_conn_preparef(c, &s, pass_sql, "si", f->name, f->epoch);
    if (rc)
        return rc;
    rc = aps_stmt_step(s);
    aps_stmt_finalize(s);
    return rc == APS_ROW ? 0 : rc == APS_DONE ? APS_E_STALE : rc;
}

int aps_fence_read(struct aps_conn *c, const char *name, int64_t *epoch)
{
    *epoch = 0;
    int rc = aps_conn_query_row(c, "SELECT epoch FROM fences WHERE name = ?1", "i", epoch, "s",
                                name);
    return rc == APS_E_NOTFOUND ? 0 : rc;
}
