/* leader.c — the leader lock of leader.h: a two-entry method table (acquire, release) with a
 * Redis backend (Lua compare-and-set) and a store backend (the locks table), each keeping the
 * lock's epoch (the fencing token) beside it. */
#include "cache/leader.h"

#include <stdio.h>
#include <string.h>

#include "cache/redis.h"
#include "config/clock.h"
#include "config/config.h"
#include "core/mem.h"
#include "core/str.h"
#include "store/store.h"

#define TIMEOUT_MS 1000

struct leader_ops {
    int (*acquire)(struct aps_leader *l, const char *name, const char *owner, int64_t ttl_ms,
                   int64_t floor, int64_t *epoch);
    int (*release)(struct aps_leader *l, const char *name, const char *owner);
};

struct aps_leader {
    const struct leader_ops *ops;
    struct aps_redis *redis;
    struct aps_store *st;
    char prefix[64];
    char *clock_file; /* CLOCK_OFFSET_FILE (testing only), NULL when unset; owned */
};

/* ---- Redis ----------------------------------------------------------------------------------- */

/* KEYS: lock, epoch. ARGV: owner, ttl ms, floor. Takes a free lock or renews our own; the
 * epoch when we hold it (a taken lock gets the next one, above floor), 0 when another owner
 * does. A renewal keeps its epoch unless that is not above floor (the epoch key was lost). */
static const struct aps_redis_script acquire_script = {
    "local v = redis.call('GET', KEYS[1])\n"
    "local floor = tonumber(ARGV[3])\n"
    "if v == ARGV[1] then\n"
    "  redis.call('PEXPIRE', KEYS[1], ARGV[2])\n"
    "  local e = tonumber(redis.call('GET', KEYS[2]) or '0')\n"
    "  if e >= 1 and e >= floor then return e end\n"
    "elseif v then return 0\n"
    "else redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2]) end\n"
    "local e = redis.call('INCR', KEYS[2])\n"
    "if e <= floor then e = floor + 1 redis.call('SET', KEYS[2], e) end\n"
    "return e\n"};

/* KEYS: lock. ARGV: owner. Deletes the lock only when we hold it. */
static const struct aps_redis_script release_script = {
    "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end\n"
    "return 0\n"};

/* "<prefix>:lock:<name>" into key; APS_E_TOOBIG when it does not fit, since a truncated key
 * would name a different lock. */
static int lock_key(char *key, size_t cap, const char *prefix, const char *name)
{
    int n = snprintf(key, cap, "%s:lock:%s", prefix, name);
    return n < 0 || (size_t)n >= cap ? APS_E_TOOBIG : 0;
}

static int redis_acquire(struct aps_leader *l, const char *name, const char *owner,
                         int64_t ttl_ms, int64_t floor, int64_t *epoch)
{
    char key[256], ekey[264], ttl[24], fl[24];
    if (lock_key(key, sizeof key, l->prefix, name) ||
        aps_str_fmt(ekey, sizeof ekey, "%s:epoch", key))
        return APS_E_TOOBIG;
    snprintf(ttl, sizeof ttl, "%lld", (long long)ttl_ms);
    snprintf(fl, sizeof fl, "%lld", (long long)floor);
    const char *words[] = {key, ekey, owner, ttl, fl};
    redisReply *rep = NULL;
    int rc = aps_redis_eval(l->redis, TIMEOUT_MS, &acquire_script, &rep, 2, 5, words, NULL);
    if (rc)
        return rc;
    rc = rep->type == REDIS_REPLY_INTEGER ? 0 : APS_E_IO;
    *epoch = rc == 0 ? rep->integer : 0;
    freeReplyObject(rep);
    return rc;
}

static int redis_release(struct aps_leader *l, const char *name, const char *owner)
{
    char key[256];
    if (lock_key(key, sizeof key, l->prefix, name))
        return APS_E_TOOBIG;
    const char *words[] = {key, owner};
    redisReply *rep = NULL;
    int rc = aps_redis_eval(l->redis, TIMEOUT_MS, &release_script, &rep, 1, 2, words, NULL);
    if (rc)
        return rc;
    rc = rep->type == REDIS_REPLY_INTEGER ? 0 : APS_E_IO;
    freeReplyObject(rep);
    return rc;
}

static const struct leader_ops redis_ops = {redis_acquire, redis_release};

/* ---- store ----------------------------------------------------------------------------------- */

/* Takes the row when it is free, expired or already ours; a row (the epoch) comes back only
 * then. A renewal of our own live lock keeps its epoch while that is above 0 and not below the
 * floor; anything else starts the next epoch above both. ?1 name, ?2 owner, ?3 ttl ms, ?4
 * floor. Expiry is judged by the database server's clock on PostgreSQL (APS_SQL_PG_NOW_MS), so
 * that schedulers on hosts whose clocks disagree agree on it; on SQLite, where every process
 * runs on one host, by the caller's, bound as ?5 (the dialect difference). */
#define ACQUIRE_SQL(now)                                                                          \
    "INSERT INTO locks (name, owner, expires_at, epoch)"                                          \
    " VALUES (?1, ?2, " now " + CAST(?3 AS BIGINT), CAST(?4 AS BIGINT) + 1)"                      \
    " ON CONFLICT (name) DO UPDATE SET owner = excluded.owner, expires_at = excluded.expires_at," \
    " epoch = CASE WHEN locks.owner = excluded.owner AND locks.expires_at >= " now                \
    " AND locks.epoch >= 1 AND locks.epoch >= CAST(?4 AS BIGINT) THEN locks.epoch"                \
    " WHEN locks.epoch > CAST(?4 AS BIGINT) THEN locks.epoch + 1"                                 \
    " ELSE CAST(?4 AS BIGINT) + 1 END"                                                            \
    " WHERE locks.owner = excluded.owner OR locks.expires_at < " now " RETURNING epoch"
static const char acquire_sqlite[] = ACQUIRE_SQL("CAST(?5 AS BIGINT)");
static const char acquire_pg[] = ACQUIRE_SQL(APS_SQL_PG_NOW_MS);
/* The row stays, expired, so that its epoch keeps counting. */
static const char release_sql[] =
    "UPDATE locks SET expires_at = 0 WHERE name = ?1 AND owner = ?2";

static int db_acquire(struct aps_leader *l, const char *name, const char *owner, int64_t ttl_ms,
                      int64_t floor, int64_t *epoch)
{
    bool pg = aps_store_kind(l->st) == APS_DB_POSTGRES;
    struct aps_conn *c = NULL;
    struct aps_stmt *s = NULL;
    int rc = aps_store_acquire(l->st, APS_DB_WRITE, &c);
    if (rc)
        return rc;
    if (pg)
        rc = aps_conn_preparef(c, &s, acquire_pg, "ssii", name, owner, ttl_ms, floor);
    else
        rc = aps_conn_preparef(c, &s, acquire_sqlite, "ssiii", name, owner, ttl_ms, floor,
                               aps_clock_now_ms(l->clock_file));
    if (!rc)
        rc = aps_stmt_step(s);
    if (rc == APS_ROW)
        *epoch = aps_stmt_int64(s, 0);
    if (s)
        aps_stmt_finalize(s);
    aps_store_release(c);
    return rc < 0 ? rc : 0;
}

static int db_release(struct aps_leader *l, const char *name, const char *owner)
{
    struct aps_conn *c = NULL;
    int rc = aps_store_acquire(l->st, APS_DB_WRITE, &c);
    if (rc)
        return rc;
    rc = aps_conn_execf(c, release_sql, "ss", name, owner);
    aps_store_release(c);
    return rc;
}

static const struct leader_ops db_ops = {db_acquire, db_release};

/* ---- dispatch -------------------------------------------------------------------------------- */

int aps_leader_open(struct aps_leader **out, const struct aps_config *cfg, struct aps_store *st,
                    char *err, size_t errcap)
{
    const char *url = aps_cfg_str(cfg, APS_SET_REDIS_URL);
    const char *prefix = aps_cfg_str(cfg, APS_SET_REDIS_KEY_PREFIX);
    struct aps_leader *l = aps_calloc(1, sizeof *l);
    *out = NULL;
    snprintf(l->prefix, sizeof l->prefix, "%s", prefix && *prefix ? prefix : "aps");
    if (url && *url) {
        int rc = aps_redis_open(&l->redis, url, 4, err, errcap);
        if (rc) {
            aps_free(l);
            return rc;
        }
        l->ops = &redis_ops;
    } else if (st) {
        const char *clock = aps_cfg_str(cfg, APS_SET_CLOCK_OFFSET_FILE);
        l->st = st;
        l->ops = &db_ops;
        l->clock_file = clock && *clock ? aps_strdup(clock) : NULL;
    } else {
        snprintf(err, errcap, "leader lock: set REDIS_URL or open the store first");
        aps_free(l);
        return APS_E_CONFIG;
    }
    *out = l;
    return 0;
}

int aps_leader_redis_switch(struct aps_leader *l, const char *url, char *err, size_t errcap)
{
    return l && l->redis ? aps_redis_switch(l->redis, url, err, errcap) : 0;
}

void aps_leader_close(struct aps_leader *l)
{
    if (!l)
        return;
    aps_redis_close(l->redis);
    aps_free(l->clock_file);
    aps_free(l);
}

static bool word_ok(const char *s)
{
    size_t n = s ? strlen(s) : 0;
    if (n == 0 || n > 127)
        return false;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] < 0x21 || s[i] == 0x7f)
            return false;
    return true;
}

int aps_leader_acquire_epoch(struct aps_leader *l, const char *name, const char *owner,
                             int64_t ttl_ms, int64_t floor, bool *held, int64_t *epoch)
{
    int64_t e = 0;
    *held = false;
    if (epoch)
        *epoch = 0;
    if (!word_ok(name) || !word_ok(owner) || ttl_ms < 1 || floor < 0)
        return APS_E_INVAL;
    int rc = l->ops->acquire(l, name, owner, ttl_ms, floor, &e);
    *held = rc == 0 && e > 0;
    if (epoch && *held)
        *epoch = e;
    return rc;
}

int aps_leader_acquire(struct aps_leader *l, const char *name, const char *owner, int64_t ttl_ms,
                       bool *held)
{
    return aps_leader_acquire_epoch(l, name, owner, ttl_ms, 0, held, NULL);
}

int aps_leader_release(struct aps_leader *l, const char *name, const char *owner)
{
    if (!word_ok(name) || !word_ok(owner))
        return APS_E_INVAL;
    return l->ops->release(l, name, owner);
}
