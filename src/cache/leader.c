/* leader.c — the leader lock of leader.h: a two-entry method table (acquire, release) with a
 * Redis backend (Lua compare-and-set) and a store backend (the locks table). */
#include "cache/leader.h"

#include <stdio.h>
#include <string.h>

#include "cache/redis.h"
#include "config/config.h"
#include "core/mem.h"
#include "core/timeutil.h"
#include "store/store.h"

#define TIMEOUT_MS 1000

struct leader_ops {
    int (*acquire)(struct aps_leader *l, const char *name, const char *owner, int64_t ttl_ms,
                   bool *held);
    int (*release)(struct aps_leader *l, const char *name, const char *owner);
};

struct aps_leader {
    const struct leader_ops *ops;
    struct aps_redis *redis;
    struct aps_store *st;
    char prefix[64];
};

/* ---- Redis ----------------------------------------------------------------------------------- */

/* KEYS: lock. ARGV: owner, ttl ms. Takes a free lock or renews our own; 1 when we hold it. */
static const struct aps_redis_script acquire_script = {
    "local v = redis.call('GET', KEYS[1])\n"
    "if v == ARGV[1] then redis.call('PEXPIRE', KEYS[1], ARGV[2]) return 1 end\n"
    "if not v then redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2]) return 1 end\n"
    "return 0\n"};

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
                         int64_t ttl_ms, bool *held)
{
    char key[256], ttl[24];
    if (lock_key(key, sizeof key, l->prefix, name))
        return APS_E_TOOBIG;
    snprintf(ttl, sizeof ttl, "%lld", (long long)ttl_ms);
    const char *words[] = {key, owner, ttl};
    redisReply *rep = NULL;
    int rc = aps_redis_eval(l->redis, TIMEOUT_MS, &acquire_script, &rep, 1, 3, words, NULL);
    if (rc)
        return rc;
    rc = rep->type == REDIS_REPLY_INTEGER ? 0 : APS_E_IO;
    *held = rc == 0 && rep->integer == 1;
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

/* Takes the row when it is free, expired or already ours; a row comes back only then. */
static const char acquire_sql[] =
    "INSERT INTO locks (name, owner, expires_at) VALUES (?1, ?2, CAST(?3 AS BIGINT))"
    " ON CONFLICT (name) DO UPDATE SET owner = excluded.owner, expires_at = excluded.expires_at"
    " WHERE locks.owner = excluded.owner OR locks.expires_at < CAST(?4 AS BIGINT)"
    " RETURNING owner";
static const char release_sql[] = "DELETE FROM locks WHERE name = ?1 AND owner = ?2";

static int db_acquire(struct aps_leader *l, const char *name, const char *owner, int64_t ttl_ms,
                      bool *held)
{
    int64_t now = aps_time_now_us() / 1000;
    struct aps_conn *c = NULL;
    struct aps_stmt *s = NULL;
    int rc = aps_store_acquire(l->st, APS_DB_WRITE, &c);
    if (rc)
        return rc;
    rc = aps_conn_preparef(c, &s, acquire_sql, "ssii", name, owner, now + ttl_ms, now);
    if (!rc)
        rc = aps_stmt_step(s);
    *held = rc == APS_ROW;
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
        l->st = st;
        l->ops = &db_ops;
    } else {
        snprintf(err, errcap, "leader lock: set REDIS_URL or open the store first");
        aps_free(l);
        return APS_E_CONFIG;
    }
    *out = l;
    return 0;
}

void aps_leader_close(struct aps_leader *l)
{
    if (!l)
        return;
    aps_redis_close(l->redis);
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

int aps_leader_acquire(struct aps_leader *l, const char *name, const char *owner, int64_t ttl_ms,
                       bool *held)
{
    *held = false;
    if (!word_ok(name) || !word_ok(owner) || ttl_ms < 1)
        return APS_E_INVAL;
    return l->ops->acquire(l, name, owner, ttl_ms, held);
}

int aps_leader_release(struct aps_leader *l, const char *name, const char *owner)
{
    if (!word_ok(name) || !word_ok(owner))
        return APS_E_INVAL;
    return l->ops->release(l, name, owner);
}
