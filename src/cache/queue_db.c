/* queue_db.c — the store backend of the job queue (queue.h, queue_backend.h): the jobs table of
 * migrations/005_jobs.sql on SQLite or PostgreSQL, the same SQL on both but for two clauses
 * (the clock and SKIP LOCKED, below).
 *
 * States (column `state`) and the statement that moves each job:
 *   ready   push (INSERT … ON CONFLICT (idempotency_key) DO NOTHING); due when run_at <= now
 *   leased  claim (UPDATE … WHERE id IN (oldest due ready jobs)), holds lease_owner/lease_until
 *   done    ack (only while lease_owner is still the acking consumer)
 *   ready   fail with attempts left (run_at later), release (attempts - 1, run_at now), or a
 *           lease that expired (reclaim, run at the start of every claim)
 *   dead    fail on the last attempt, or a lease that expired on the last attempt (reclaim:
 *           the claim reports each such job, APS_QUEUE_EXPIRED_DEAD, once it has committed)
 *
 * Concurrent claimers: a claim is one transaction. SQLite's write transactions start with BEGIN
 * IMMEDIATE (store_sqlite.c), so claimers queue on the write lock and each sees the others'
 * leases. PostgreSQL runs claimers side by side, so the inner SELECT takes FOR UPDATE SKIP
 * LOCKED: rows another claimer is taking are skipped, not waited for (and never taken twice).
 *
 * The clock: every time the queue stores or compares (run_at, lease_until, the reclaim cut,
 * finished_at, the oldest job's age) is read inside the statement that uses it. On PostgreSQL
 * it is the server's clock (APS_SQL_PG_NOW_MS), so workers, schedulers and api processes on
 * hosts whose clocks disagree (by the skew NTP allows, or a jump) still agree on when a lease
 * ends and a job is due: a worker whose clock runs an hour ahead does not take over every live
 * lease, nor run delayed jobs early, and one behind does not hold due jobs back. A delay (a
 * delayed push, a retry's backoff, a lease's length) is added to that clock. On SQLite every
 * process that opens the file runs on one host, so the caller's clock (aps_queue_now_ms) is
 * bound in its place. These two clauses, the clock and SKIP LOCKED, are the dialect
 * differences, spelled out next to the statements. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cache/queue_backend.h"
#include "core/mem.h"
#include "core/str.h"
#include "core/timeutil.h"
#include "store/store.h"

#define JOB_COLS                                                                                 \
    "id, name, payload, attempts, max_attempts, idempotency_key, enqueued_at, last_error"
#define POLL_MAX_MS 100

struct dq {
    struct aps_queue_be base;
    struct aps_store *st;
    bool pg; /* the store is PostgreSQL */
};

/* Dialect difference: the queue's clock in a statement (see the top of the file): the
 * server's on PostgreSQL; on SQLite the caller's, bound as parameter ?n, the statement's
 * last. */
#define NOW_SQLITE(n) "CAST(?" #n " AS BIGINT)"
#define NOW_PG APS_SQL_PG_NOW_MS
/* A statement's parameters: spec, and on SQLite one integer more, the caller's clock. */
#define SPEC(q, spec) ((q)->pg ? spec : spec "i")

#define PUSH_SQL(now)                                                                          \
    "INSERT INTO jobs (name, payload, idempotency_key, state, attempts, max_attempts, run_at," \
    " enqueued_at) VALUES (?1, ?2, ?3, 'ready', 0, ?4, " now " + CAST(?5 AS BIGINT), " now ")" \
    " ON CONFLICT (idempotency_key) DO NOTHING RETURNING id"
static const char *const push_sql[] = {PUSH_SQL(NOW_SQLITE(6)), PUSH_SQL(NOW_PG)};
static const char idem_sql[] = "SELECT id FROM jobs WHERE idempotency_key = ?1";

/* Leases that ran out: back to ready, or dead when that was the last attempt. */
#define RECLAIM_HEAD(now)                                                                       \
    "UPDATE jobs SET state = CASE WHEN attempts >= max_attempts THEN 'dead' ELSE 'ready' END,"  \
    " last_error = CASE WHEN attempts >= max_attempts"                                          \
    " THEN 'lease expired on the last attempt (worker died or timed out)' ELSE last_error END," \
    " finished_at = CASE WHEN attempts >= max_attempts THEN " now " ELSE NULL END,"             \
    " lease_owner = NULL, lease_until = NULL"                                                   \
    " WHERE id IN (SELECT id FROM jobs WHERE state = 'leased' AND lease_until < " now
/* ?1 consumer, ?2 the lease's length (ms), ?3 how many. */
#define CLAIM_HEAD(now)                                                          \
    "UPDATE jobs SET state = 'leased', lease_owner = ?1,"                        \
    " lease_until = " now " + CAST(?2 AS BIGINT), attempts = attempts + 1"       \
    " WHERE id IN (SELECT id FROM jobs WHERE state = 'ready' AND run_at <= " now \
    " ORDER BY run_at, id LIMIT ?3"
#define CLAIM_TAIL ") RETURNING " JOB_COLS
/* The reclaimed rows, with their new state: the dead ones are reported. */
#define RECLAIM_TAIL ") RETURNING " JOB_COLS ", state"
/* Dialect difference: PostgreSQL skips rows locked by a concurrent claimer; SQLite has no row
 * locks (BEGIN IMMEDIATE serialises the whole claim) and no FOR UPDATE. */
#define PG_SKIP_LOCKED " FOR UPDATE SKIP LOCKED"
static const char *const reclaim_sql[] = {RECLAIM_HEAD(NOW_SQLITE(1)) RECLAIM_TAIL,
                                          RECLAIM_HEAD(NOW_PG) PG_SKIP_LOCKED RECLAIM_TAIL};
static const char *const claim_sql[] = {CLAIM_HEAD(NOW_SQLITE(4)) CLAIM_TAIL,
                                        CLAIM_HEAD(NOW_PG) PG_SKIP_LOCKED CLAIM_TAIL};

/* ?1 id, ?2 consumer, ?3 ms after now that the new time lies (the retry's delay, the lease's
 * length; 0 for dead and release), ?4 error text. Only the lease holder's row changes. */
#define HELD " WHERE id = ?1 AND state = 'leased' AND lease_owner = ?2"
#define ACK_SQL(now)                                                             \
    "UPDATE jobs SET state = 'done', finished_at = " now ", lease_owner = NULL," \
    " lease_until = NULL" HELD
static const char *const ack_sql[] = {ACK_SQL(NOW_SQLITE(3)), ACK_SQL(NOW_PG)};
#define LATER(now) now " + CAST(?3 AS BIGINT)"
#define SETTLE_SQL(now)                                                             \
    {                                                                               \
        [APS_SETTLE_RETRY] = "UPDATE jobs SET state = 'ready', run_at = " LATER(    \
            now) ","                                                                \
                 " last_error = ?4, lease_owner = NULL, lease_until = NULL" HELD,   \
        [APS_SETTLE_DEAD] = "UPDATE jobs SET state = 'dead', finished_at = " LATER( \
            now) ","                                                                \
                 " last_error = ?4, lease_owner = NULL, lease_until = NULL" HELD,   \
        [APS_SETTLE_RELEASE] = "UPDATE jobs SET state = 'ready', run_at = " LATER(  \
            now) ","                                                                \
                 " attempts = attempts - 1, last_error = ?4, lease_owner = NULL,"   \
                 " lease_until = NULL" HELD,                                        \
        [APS_SETTLE_EXTEND] = "UPDATE jobs SET lease_until = " LATER(               \
            now) ","                                                                \
                 " last_error = COALESCE(?4, last_error)" HELD,                     \
    }
static const char *const settle_sql[][APS_SETTLE_EXTEND + 1] = {SETTLE_SQL(NOW_SQLITE(5)),
                                                                SETTLE_SQL(NOW_PG)};

/* The counts by state, and how long the oldest due, unfinished job has waited (ms; 0 when
 * none). */
#define STATS_SQL(now)                                                                            \
    "SELECT COALESCE(SUM(CASE WHEN state = 'ready' AND run_at <= " now " THEN 1 ELSE 0 END), 0)," \
    " COALESCE(SUM(CASE WHEN state = 'leased' THEN 1 ELSE 0 END), 0),"                            \
    " COALESCE(SUM(CASE WHEN state = 'ready' AND run_at > " now " THEN 1 ELSE 0 END), 0),"        \
    " COALESCE(SUM(CASE WHEN state = 'dead' THEN 1 ELSE 0 END), 0),"                              \
    " " now " - COALESCE(MIN(CASE WHEN state = 'leased' OR (state = 'ready' AND run_at <= " now   \
    ") THEN run_at END), " now ")"                                                                \
    " FROM jobs WHERE state IN ('ready', 'leased', 'dead')"
static const char *const stats_sql[] = {STATS_SQL(NOW_SQLITE(1)), STATS_SQL(NOW_PG)};
static const char dead_sql[] = "SELECT " JOB_COLS " FROM jobs WHERE state = 'dead'"
                               " ORDER BY finished_at DESC, id DESC LIMIT ?1 OFFSET ?2";

/* ?1 id. Only a dead letter changes. */
#define REQUEUE_SQL(now)                                                                  \
    "UPDATE jobs SET state = 'ready', attempts = 0, run_at = " now ", finished_at = NULL" \
    " WHERE id = ?1 AND state = 'dead'"
static const char *const requeue_sql[] = {REQUEUE_SQL(NOW_SQLITE(2)), REQUEUE_SQL(NOW_PG)};
static const char drop_sql[] = "DELETE FROM jobs WHERE id = ?1 AND state = 'dead'";

/* ---- helpers --------------------------------------------------------------------------------- */

/* The caller's clock, for a SQLite statement's last parameter (NOW_SQLITE); 0 on PostgreSQL,
 * whose statements read the server's clock and bind no such parameter. */
static int64_t caller_now(const struct dq *q)
{
    return q->pg ? 0 : aps_queue_now_ms(&q->base);
}

static int64_t id_of(const struct aps_job *j)
{
    int64_t id = -1;
    return aps_parse_int64(j->id, &id) ? -1 : id;
}

/* Fills job from the JOB_COLS columns of the current row. */
static void read_job(struct aps_stmt *s, struct aps_job *j, const char *consumer)
{
    const char *idem = aps_stmt_text(s, 5), *err = aps_stmt_text(s, 7);
    snprintf(j->id, sizeof j->id, "%lld", (long long)aps_stmt_int64(s, 0));
    snprintf(j->name, sizeof j->name, "%s", aps_stmt_text(s, 1) ? aps_stmt_text(s, 1) : "");
    j->payload = aps_strdup(aps_stmt_text(s, 2) ? aps_stmt_text(s, 2) : "null");
    j->attempts = (int)aps_stmt_int64(s, 3);
    j->max_attempts = (int)aps_stmt_int64(s, 4);
    snprintf(j->idem, sizeof j->idem, "%s", idem ? idem : "");
    j->enqueued_ms = aps_stmt_int64(s, 6);
    snprintf(j->error, sizeof j->error, "%s", err ? err : "");
    snprintf(j->consumer, sizeof j->consumer, "%s", consumer);
    j->entry[0] = '\0';
}

/* Reads up to max rows of JOB_COLS into jobs (*n of them); 0 or a negative code. */
static int read_rows(struct aps_stmt *s, struct aps_job *jobs, int max, int *n,
                     const char *consumer)
{
    while (*n < max) {
        int rc = aps_stmt_step(s);
        if (rc != APS_ROW)
            return rc < 0 ? rc : 0;
        read_job(s, &jobs[*n], consumer);
        (*n)++;
    }
    return 0;
}

/* ---- push ------------------------------------------------------------------------------------ */

static int push_one(const struct dq *q, struct aps_conn *c, struct aps_queue_msg *m)
{
    struct aps_stmt *s = NULL;
    int rc = aps_conn_preparef(c, &s, push_sql[q->pg], SPEC(q, "sssii"), m->name, m->payload,
                               m->idem, (int64_t)m->max_attempts, m->delay_ms, caller_now(q));
    if (rc)
        return rc;
    rc = aps_stmt_step(s);
    if (rc == APS_ROW)
        snprintf(m->id, sizeof m->id, "%lld", (long long)aps_stmt_int64(s, 0));
    aps_stmt_finalize(s);
    if (rc != APS_DONE || !m->idem)
        return rc == APS_ROW ? 0 : rc < 0 ? rc : APS_E_DB;
    /* No row: the idempotency key was taken; report the first job. */
    int64_t id = 0;
    rc = aps_conn_query_row(c, idem_sql, "i", &id, "s", m->idem);
    if (rc)
        return rc;
    snprintf(m->id, sizeof m->id, "%lld", (long long)id);
    m->rc = APS_E_EXISTS;
    return 0;
}

static int dq_push(struct aps_queue_be *b, struct aps_queue_msg *msgs, size_t n,
                   const struct aps_fence *fence)
{
    struct dq *q = (struct dq *)b;
    struct aps_conn *c = NULL;
    int rc = aps_store_acquire(q->st, APS_DB_WRITE, &c);
    if (rc)
        return rc;
    rc = aps_conn_begin(c);
    if (!rc && fence)
        rc = aps_fence_pass(c, fence); /* in the pushes' transaction: both or neither */
    for (size_t i = 0; i < n && !rc; i++)
        rc = push_one(q, c, &msgs[i]);
    rc = rc ? rc : aps_conn_commit(c);
    if (rc)
        aps_conn_rollback(c);
    aps_store_release(c);
    return rc;
}

/* ---- claim ----------------------------------------------------------------------------------- */

/* The jobs a claim dead-lettered, reported after its transaction committed. */
struct expired {
    struct aps_job *jobs; /* aps_realloc'd; each job's payload owned here */
    int n;
};

static void expired_cleanup(struct expired *e)
{
    for (int i = 0; i < e->n; i++)
        aps_job_cleanup(&e->jobs[i]);
    aps_free(e->jobs);
    *e = (struct expired){0};
}

/* Moves the expired leases (reclaim), keeping in *e the rows that went dead. */
static int reclaim(const struct dq *q, struct aps_conn *c, int64_t now, struct expired *e)
{
    struct aps_stmt *s = NULL;
    int rc = aps_conn_preparef(c, &s, reclaim_sql[q->pg], SPEC(q, ""), now);
    while (!rc) {
        rc = aps_stmt_step(s);
        if (rc != APS_ROW)
            break; /* APS_DONE (0) or an error */
        rc = 0;
        const char *state = aps_stmt_text(s, 8);
        if (!state || strcmp(state, "dead"))
            continue;
        e->jobs = aps_realloc(e->jobs, (size_t)(e->n + 1) * sizeof *e->jobs);
        memset(&e->jobs[e->n], 0, sizeof *e->jobs);
        read_job(s, &e->jobs[e->n++], "");
    }
    if (s)
        aps_stmt_finalize(s);
    return rc;
}

/* One claim transaction: reclaim expired leases (the dead-lettered ones in *e), then lease up
 * to max due jobs. */
static int claim_tx(const struct dq *q, struct aps_conn *c, const char *consumer,
                    int64_t visibility_ms, struct aps_job *jobs, int max, int *n, struct expired *e)
{
    int64_t now = caller_now(q); /* on SQLite, one reading for both statements */
    struct aps_stmt *s = NULL;
    int rc = aps_conn_begin(c);
    if (!rc)
        rc = reclaim(q, c, now, e);
    if (!rc)
        rc = aps_conn_preparef(c, &s, claim_sql[q->pg], SPEC(q, "sii"), consumer, visibility_ms,
                               (int64_t)max, now);
    rc = rc ? rc : read_rows(s, jobs, max, n, consumer);
    if (s)
        aps_stmt_finalize(s);
    rc = rc ? rc : aps_conn_commit(c);
    if (rc) {
        aps_conn_rollback(c);
        for (int i = 0; i < *n; i++)
            aps_job_cleanup(&jobs[i]);
        *n = 0;
        expired_cleanup(e); /* rolled back: they are leased still */
    }
    return rc;
}

static void sleep_ms(int64_t ms)
{
    struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static int dq_claim(struct aps_queue_be *b, const char *consumer, int64_t visibility_ms,
                    int block_ms, struct aps_job *jobs, int max, int *n)
{
    struct dq *q = (struct dq *)b;
    double deadline = aps_time_mono() + block_ms / 1000.0;
    int64_t pause = 10;
    for (;;) {
        struct aps_conn *c = NULL;
        struct expired e = {0};
        int rc = aps_store_acquire(q->st, APS_DB_WRITE, &c);
        if (rc)
            return rc;
        rc = claim_tx(q, c, consumer, visibility_ms, jobs, max, n, &e);
        aps_store_release(c);
        for (int i = 0; i < e.n; i++)
            aps_queue_be_event(&q->base, APS_QUEUE_EXPIRED_DEAD, &e.jobs[i]);
        expired_cleanup(&e);
        if (rc || *n > 0)
            return rc;
        /* Nothing due: poll, more slowly as the wait goes on (the store has no blocking read). */
        int64_t left = (int64_t)((deadline - aps_time_mono()) * 1000.0);
        if (left <= 0)
            return APS_E_NOTFOUND;
        sleep_ms(pause < left ? pause : left);
        pause = pause * 2 > POLL_MAX_MS ? POLL_MAX_MS : pause * 2;
    }
}

/* ---- ack and settle -------------------------------------------------------------------------- */

static int dq_ack(struct aps_queue_be *b, struct aps_job *jobs, int n, bool *held)
{
    struct dq *q = (struct dq *)b;
    struct aps_conn *c = NULL;
    int64_t now = caller_now(q);
    int rc = aps_store_acquire(q->st, APS_DB_WRITE, &c);
    if (rc)
        return rc;
    rc = aps_conn_begin(c);
    for (int i = 0; i < n && !rc; i++) {
        int64_t changed = 0;
        rc = aps_conn_changef(c, &changed, ack_sql[q->pg], SPEC(q, "is"), id_of(&jobs[i]),
                              jobs[i].consumer, now);
        held[i] = changed == 1;
    }
    rc = rc ? rc : aps_conn_commit(c);
    if (rc)
        aps_conn_rollback(c);
    aps_store_release(c);
    return rc;
}

static int dq_settle(struct aps_queue_be *b, struct aps_job *job, enum aps_settle how,
                     const char *error, int64_t delay_ms)
{
    struct dq *q = (struct dq *)b;
    struct aps_conn *c = NULL;
    int64_t changed = 0;
    int rc = aps_store_acquire(q->st, APS_DB_WRITE, &c);
    if (rc)
        return rc;
    rc = aps_conn_changef(c, &changed, settle_sql[q->pg][how], SPEC(q, "isis"), id_of(job),
                          job->consumer, delay_ms, how == APS_SETTLE_EXTEND ? NULL : error,
                          caller_now(q));
    aps_store_release(c);
    return rc ? rc : changed == 1 ? 0 : APS_E_STATE;
}

/* ---- stats and dead letters ------------------------------------------------------------------ */

static int dq_stats(struct aps_queue_be *b, struct aps_queue_stats *st)
{
    struct dq *q = (struct dq *)b;
    struct aps_conn *c = NULL;
    int64_t age_ms = 0;
    int rc = aps_store_acquire(q->st, APS_DB_READ, &c);
    if (rc)
        return rc;
    rc = aps_conn_query_row(c, stats_sql[q->pg], "iiiii", &st->ready, &st->leased, &st->delayed,
                            &st->dead, &age_ms, SPEC(q, ""), caller_now(q));
    aps_store_release(c);
    if (rc == APS_E_NOTFOUND)
        return APS_E_DB; /* an aggregate always has a row */
    st->oldest_age_s = rc || age_ms < 0 ? 0 : age_ms / 1000.0;
    return rc;
}

static int dq_dead(struct aps_queue_be *b, int64_t offset, struct aps_job *jobs, int max, int *n)
{
    struct dq *q = (struct dq *)b;
    struct aps_conn *c = NULL;
    struct aps_stmt *s = NULL;
    int rc = aps_store_acquire(q->st, APS_DB_READ, &c);
    if (rc)
        return rc;
    rc = aps_conn_preparef(c, &s, dead_sql, "ii", (int64_t)max, offset);
    rc = rc ? rc : read_rows(s, jobs, max, n, "");
    if (s)
        aps_stmt_finalize(s);
    aps_store_release(c);
    return rc;
}

static int dq_revive(struct aps_queue_be *b, const char *id, bool requeue)
{
    struct dq *q = (struct dq *)b;
    struct aps_conn *c = NULL;
    int64_t jid = 0, changed = 0;
    if (aps_parse_int64(id, &jid))
        return APS_E_INVAL;
    int rc = aps_store_acquire(q->st, APS_DB_WRITE, &c);
    if (rc)
        return rc;
    rc = requeue
             ? aps_conn_changef(c, &changed, requeue_sql[q->pg], SPEC(q, "i"), jid, caller_now(q))
             : aps_conn_changef(c, &changed, drop_sql, "i", jid);
    aps_store_release(c);
    return rc ? rc : changed == 1 ? 0 : APS_E_NOTFOUND;
}

static void dq_close(struct aps_queue_be *b)
{
    aps_free(b); /* the store belongs to the caller */
}

static const struct aps_queue_ops db_ops = {
    .name = "store",
    .close = dq_close,
    .push = dq_push,
    .claim = dq_claim,
    .ack = dq_ack,
    .settle = dq_settle,
    .stats = dq_stats,
    .dead = dq_dead,
    .revive = dq_revive,
    .forget = NULL,
};

int aps_queue_db_open(struct aps_queue_be **out, struct aps_store *st, char *err, size_t errcap)
{
    struct dq *q = aps_calloc(1, sizeof *q);
    (void)err;
    (void)errcap;
    q->base.ops = &db_ops;
    q->st = st;
    q->pg = aps_store_kind(st) == APS_DB_POSTGRES;
    *out = &q->base;
    return 0;
}
