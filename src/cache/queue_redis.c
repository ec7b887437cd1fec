/* queue_redis.c — the Redis Streams backend of the job queue (queue.h, queue_backend.h).
 *
 * Keys (P = REDIS_KEY_PREFIX):
 *   P:jobs          stream of ready and leased jobs, read by the consumer group "workers";
 *                   a leased job is an entry in the group's pending list (PEL)
 *   P:jobs:delayed  sorted set of jobs waiting for their time (score: due ms), members are the
 *                   job's fields as a JSON array
 *   P:jobs:dead     stream of dead letters (capped near 10,000), with the last error
 *   P:jobs:seq      counter of job ids, started (and started again, when Redis lost it) at
 *                   the server's time in ms × 1000: ids stay unique across a loss of Redis's
 *                   data or a move from the store's queue (whose ids count from 1), so a new
 *                   job never takes the id, and the followable status, of an older one
 *   P:jobs:idem:K   id of the job pushed with idempotency key K (expires after 24 h)
 *   P:fence:L       the highest fencing epoch of lock L a push has carried (store/fence.h)
 *   P:jobs:reclaim  a short-lived marker that spaces out XAUTOCLAIM runs (see claim_script)
 *
 * Every state change is one Lua script, so it is atomic and one round trip: push (idempotency
 * check + id + XADD or ZADD), claim (move due delayed jobs into the stream, XAUTOCLAIM entries
 * idle longer than the visibility timeout, then XREADGROUP new ones), ack (XACK, only while
 * this consumer still holds the entry), settle (retry into the delayed set, dead-letter,
 * release, or renew the lease). A claim that finds nothing waits with a plain XREADGROUP BLOCK
 * (scripts cannot block), no longer than until the next delayed job is due.
 *
 * Acked entries are not deleted one by one (XDEL leaves tombstones that make every later
 * lookup slower); each ack trims the stream below the oldest entry still needed — the oldest
 * pending one, or the group's last delivered one — with XTRIM MINID ~, which frees whole nodes.
 * Ready jobs are the group's lag (entries not delivered yet).
 *
 * Attempts: an entry stores the starts made before it was added (0 when pushed, n on a retry);
 * the group's delivery count adds this entry's starts, so attempts = stored + delivered. A job
 * whose lease expired on its last allowed attempt is dead-lettered by the claim that finds it.
 *
 * A server restarted without its data answers NOGROUP to every command on the group: the call
 * that meets it makes the group again (regroup) and runs once more. Ack and settle then find an
 * entry that is neither pending nor in the stream: the job is gone from Redis and only the
 * worker's copy is left, so settle puts that copy back (the job's fields travel with every
 * retry, dead and release for this) and ack has nothing to do; both answer 2 ("vanished"). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cache/queue_backend.h"
#include "cache/redis.h"
#include "core/mem.h"
#include "core/str.h"
#include "core/timeutil.h"

#define GROUP "workers"
#define IDEM_TTL_MS "86400000"
#define TIMEOUT_MS 2000
#define DEAD_MAXLEN "10000"

struct rq {
    struct aps_queue_be base;
    struct aps_redis *redis;
    char stream[96], delayed[96], dead[96], seq[96], reclaim[96], idem_prefix[96];
    char fence_prefix[72]; /* "<prefix>:" */
};

/* Helpers shared by the scripts: the server's clock and field access on a flat field list. */
#define LUA_HELPERS                                                                              \
    "local function now_ms() local t = redis.call('TIME')\n"                                     \
    "  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000) end\n"                 \
    "local function getf(f, k) for i = 1, #f, 2 do if f[i] == k then return f[i + 1] end end\n" \
    "  return nil end\n"                                                                         \
    "local function setf(f, k, v) for i = 1, #f, 2 do if f[i] == k then f[i + 1] = v return end\n" \
    "  end f[#f + 1] = k f[#f + 1] = v end\n"

/* The push of the jobs whose idempotency keys are KEYS[4 .. 3 + n]; fixed: how many keys
 * follow them. Per job {1, id} for a new job or {0, id} when its idempotency key was seen. */
#define PUSH_JOBS(fixed)                                                                       \
    "local now = now_ms()\n"                                                                   \
    "local enq = string.format('%d', now)\n"                                                   \
    "local out = {}\n"                                                                         \
    "for j = 1, #KEYS - " fixed " do\n"                                                        \
    "  local a = 1 + (j - 1) * 5\n"                                                            \
    "  local idem = ARGV[a + 5]\n"                                                             \
    "  local prev = false\n"                                                                   \
    "  if idem ~= '' then prev = redis.call('GET', KEYS[3 + j]) end\n"                         \
    "  if prev then\n"                                                                         \
    "    out[#out + 1] = 0 out[#out + 1] = prev\n"                                             \
    "  else\n"                                                                                 \
    "    if redis.call('EXISTS', KEYS[3]) == 0 then\n"                                         \
    "      redis.call('SET', KEYS[3], string.format('%d', now * 1000)) end\n"                  \
    "    local id = string.format('%d', redis.call('INCR', KEYS[3]))\n"                        \
    "    if idem ~= '' then redis.call('SET', KEYS[3 + j], id, 'PX', ARGV[1]) end\n"           \
    "    local f = {'id', id, 'name', ARGV[a + 1], 'payload', ARGV[a + 2], 'attempts', '0',\n" \
    "      'max', ARGV[a + 3], 'idem', idem, 'enq', enq, 'err', ''}\n"                         \
    "    local delay = tonumber(ARGV[a + 4])\n"                                                \
    "    if delay > 0 then redis.call('ZADD', KEYS[2], now + delay, cjson.encode(f))\n"        \
    "    else redis.call('XADD', KEYS[1], '*', unpack(f)) end\n"                               \
    "    out[#out + 1] = 1 out[#out + 1] = id\n"                                               \
    "  end\n"                                                                                  \
    "end\n"                                                                                    \
    "return out\n"

/* KEYS: stream, delayed, seq, then one idempotency key per job ("<prefix>:jobs:idem:" when the
 * job has none). ARGV: idempotency ttl ms, then per job: name, payload, max, delay ms, idem.
 * Returns the flattened PUSH_JOBS results. One run pushes a whole batch: the per-call cost of a
 * script is paid once. */
static const struct aps_redis_script push_script = {LUA_HELPERS PUSH_JOBS("3")};

/* push_script behind a fence: the fence key <prefix>:fence:<lock> is the last key and the
 * writer's epoch the last argument. When the fence holds a newer epoch nothing is pushed and
 * the reply is {-1, ''}; else the fence is raised to the epoch, in the same atomic step as the
 * pushes (zero jobs: only the raise). */
static const struct aps_redis_script fenced_push_script = {
    LUA_HELPERS
    "local epoch = tonumber(ARGV[#ARGV])\n"
    "local fence = tonumber(redis.call('GET', KEYS[#KEYS]) or '0')\n"
    "if fence > epoch then return {-1, ''} end\n"
    "if fence < epoch then redis.call('SET', KEYS[#KEYS], ARGV[#ARGV]) end\n"
    PUSH_JOBS("4")};

/* KEYS: stream, delayed, dead, reclaim throttle. ARGV: group, consumer, min idle ms, count,
 * throttle ms. Returns {ms until the next delayed job (-1: none), {entry, delivered, fields,
 * ...}, {entry, fields, ...} of the jobs it dead-lettered}. XAUTOCLAIM walks the pending list, so it runs at most once per throttle period across
 * all claimers (a quarter of the visibility timeout, 10 ms to 1 s): an abandoned job waits at
 * most that much longer. The same throttled step reaps consumers of workers that died: idle
 * for ten visibility timeouts and holding no entries (a live worker's claims keep its idle time
 * near zero; one deleted by mistake is recreated by its next XREADGROUP). */
static const struct aps_redis_script claim_script = {
    LUA_HELPERS
    "local now = now_ms()\n"
    "local due = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', now, 'LIMIT', 0, 256)\n"
    "for _, m in ipairs(due) do\n"
    "  redis.call('XADD', KEYS[1], '*', unpack(cjson.decode(m)))\n"
    "  redis.call('ZREM', KEYS[2], m)\n"
    "end\n"
    "local want = tonumber(ARGV[4])\n"
    "local out, n, dead = {}, 0, {}\n"
    "local ac = {'0-0', {}}\n"
    "if redis.call('SET', KEYS[4], '1', 'PX', ARGV[5], 'NX') then\n"
    "  ac = redis.call('XAUTOCLAIM', KEYS[1], ARGV[1], ARGV[2], ARGV[3], '0-0', 'COUNT', want)\n"
    "  for _, c in ipairs(redis.call('XINFO', 'CONSUMERS', KEYS[1], ARGV[1])) do\n"
    "    local name = getf(c, 'name')\n"
    "    if name ~= ARGV[2] and tonumber(getf(c, 'pending')) == 0 and\n"
    "        tonumber(getf(c, 'idle')) > 10 * tonumber(ARGV[3]) then\n"
    "      redis.call('XGROUP', 'DELCONSUMER', KEYS[1], ARGV[1], name)\n"
    "    end\n"
    "  end\n"
    "end\n"
    "for _, e in ipairs(ac[2]) do\n"
    "  local p = redis.call('XPENDING', KEYS[1], ARGV[1], e[1], e[1], 1)\n"
    "  local delivered = (p[1] and tonumber(p[1][4])) or 1\n"
    "  local f = e[2]\n"
    "  local before = tonumber(getf(f, 'attempts') or '0')\n"
    "  if before + delivered > tonumber(getf(f, 'max') or '1') then\n"
    "    setf(f, 'attempts', string.format('%d', before + delivered - 1))\n"
    "    setf(f, 'err', 'lease expired on the last attempt (worker died or timed out)')\n"
    "    setf(f, 'failed', string.format('%d', now))\n"
    "    redis.call('XADD', KEYS[3], 'MAXLEN', '~', '" DEAD_MAXLEN "', '*', unpack(f))\n"
    "    redis.call('XACK', KEYS[1], ARGV[1], e[1])\n"
    "    dead[#dead + 1] = e[1] dead[#dead + 1] = f\n"
    "  else\n"
    "    out[#out + 1] = e[1] out[#out + 1] = delivered out[#out + 1] = f n = n + 1\n"
    "  end\n"
    "end\n"
    "if n < want then\n"
    "  local r = redis.call('XREADGROUP', 'GROUP', ARGV[1], ARGV[2], 'COUNT', want - n,\n"
    "    'STREAMS', KEYS[1], '>')\n"
    "  if r then for _, e in ipairs(r[1][2]) do\n"
    "    out[#out + 1] = e[1] out[#out + 1] = 1 out[#out + 1] = e[2]\n"
    "  end end\n"
    "end\n"
    "local nd = redis.call('ZRANGE', KEYS[2], 0, 0, 'WITHSCORES')\n"
    "local wait = -1\n"
    "if nd[2] then wait = math.max(0, tonumber(nd[2]) - now) end\n"
    "return {wait, out, dead}\n"};

/* Trims the stream (KEYS[1]) below the oldest entry group g still needs. */
#define LUA_TRIM                                                                                 \
    "local function trim(s, g)\n"                                                               \
    "  local p = redis.call('XPENDING', s, g)\n"                                                \
    "  local minid = p[1] > 0 and p[2] or nil\n"                                                \
    "  if not minid then\n"                                                                     \
    "    for _, gi in ipairs(redis.call('XINFO', 'GROUPS', s)) do\n"                            \
    "      if getf(gi, 'name') == g then minid = getf(gi, 'last-delivered-id') end\n"           \
    "    end\n"                                                                                 \
    "  end\n"                                                                                   \
    "  if minid and minid ~= '0-0' then redis.call('XTRIM', s, 'MINID', '~', minid) end\n"      \
    "end\n"

/* Whether consumer c holds entry e of stream s in group g: 1 held, 0 not (another consumer
 * holds it, or it was settled and is still in the stream), 2 vanished (neither pending nor in
 * the stream: lost with the server's data; entry ids are times, so a stream made again after a
 * restart has later ones). */
#define LUA_HELD                                                      \
    "local function held(s, g, e, c)\n"                               \
    "  local p = redis.call('XPENDING', s, g, e, e, 1)\n"             \
    "  if p[1] then if p[1][2] == c then return 1 end return 0 end\n" \
    "  if redis.call('XRANGE', s, e, e)[1] then return 0 end\n"       \
    "  return 2\n"                                                    \
    "end\n"

/* KEYS: stream. ARGV: group, then (entry, consumer) pairs. Returns per pair 1 acked, 0 no longer
 * held by that consumer (left alone), 2 vanished (nothing to ack). */
static const struct aps_redis_script ack_script = {
    LUA_HELPERS LUA_TRIM LUA_HELD
    "local out = {}\n"
    "for i = 2, #ARGV, 2 do\n"
    "  local h = held(KEYS[1], ARGV[1], ARGV[i], ARGV[i + 1])\n"
    "  if h == 1 then redis.call('XACK', KEYS[1], ARGV[1], ARGV[i]) end\n"
    "  out[#out + 1] = h\n"
    "end\n"
    "trim(KEYS[1], ARGV[1])\n"
    "return out\n"};

/* KEYS: stream, delayed, dead. ARGV: group. Returns {ready, leased, delayed, dead, age of the
 * oldest due unfinished job in ms (-1: none)}. */
static const struct aps_redis_script stats_script = {
    LUA_HELPERS
    "local function ms(id) return tonumber(string.match(id, '^(%d+)')) end\n"
    "local now = now_ms()\n"
    "local ready, leased, oldest = 0, 0, nil\n"
    "local gs = redis.pcall('XINFO', 'GROUPS', KEYS[1])\n"
    "local grouped = false\n"
    "if type(gs) == 'table' and not gs.err then\n"
    "  for _, gi in ipairs(gs) do if getf(gi, 'name') == ARGV[1] then\n"
    "    grouped = true\n"
    "    local last = getf(gi, 'last-delivered-id')\n"
    "    leased = getf(gi, 'pending')\n"
    "    local lag = getf(gi, 'lag')\n"
    "    local first = redis.call('XRANGE', KEYS[1], '(' .. last, '+', 'COUNT', 1)\n"
    "    if first[1] then oldest = ms(first[1][1]) end\n"
    "    if type(lag) == 'number' then ready = lag\n"
    "    else ready = #redis.call('XRANGE', KEYS[1], '(' .. last, '+') end\n"
    "    if leased > 0 then\n"
    "      local p = redis.call('XPENDING', KEYS[1], ARGV[1])\n"
    "      if p[2] and (not oldest or ms(p[2]) < oldest) then oldest = ms(p[2]) end\n"
    "    end\n"
    "  end end\n"
    "end\n"
    "if not grouped then\n" /* no group yet (or lost): every entry waits for the first claim */
    "  ready = redis.call('XLEN', KEYS[1])\n"
    "  local first = redis.call('XRANGE', KEYS[1], '-', '+', 'COUNT', 1)\n"
    "  if first[1] then oldest = ms(first[1][1]) end\n"
    "end\n"
    "local age = -1\n"
    "if oldest then age = math.max(0, now - oldest) end\n"
    "return {ready, leased, redis.call('ZCARD', KEYS[2]), redis.call('XLEN', KEYS[3]), age}\n"};

/* KEYS: stream, delayed, dead. ARGV: group, consumer, entry, mode (retry|dead|release|extend),
 * error, delay ms, attempts, then (except for extend) the job's id, name, payload, max,
 * idempotency key and enqueue time. Returns 1, 0 when the consumer no longer holds the entry,
 * or 2 when the entry vanished (the job is put back from the fields given). */
static const struct aps_redis_script settle_script = {
    LUA_HELPERS LUA_HELD
    "local h = held(KEYS[1], ARGV[1], ARGV[3], ARGV[2])\n"
    "local mode = ARGV[4]\n"
    "if h == 0 or (h == 2 and mode == 'extend') then return h end\n"
    "if mode == 'extend' then\n"
    "  redis.call('XCLAIM', KEYS[1], ARGV[1], ARGV[2], 0, ARGV[3], 'JUSTID')\n"
    "  return 1\n"
    "end\n"
    "local e = redis.call('XRANGE', KEYS[1], ARGV[3], ARGV[3])\n"
    "if h == 2 then\n"
    "  e = {{ARGV[3], {'id', ARGV[8], 'name', ARGV[9], 'payload', ARGV[10], 'attempts', '0',\n"
    "    'max', ARGV[11], 'idem', ARGV[12], 'enq', ARGV[13], 'err', ''}}}\n"
    "end\n"
    "if e[1] then\n"
    "  local f = e[1][2]\n"
    "  local att = tonumber(ARGV[7])\n"
    "  if mode == 'release' then att = att - 1 end\n"
    "  setf(f, 'attempts', string.format('%d', att))\n"
    "  setf(f, 'err', ARGV[5])\n"
    "  local now = now_ms()\n"
    "  local delay = tonumber(ARGV[6])\n"
    "  if mode == 'dead' then\n"
    "    setf(f, 'failed', string.format('%d', now))\n"
    "    redis.call('XADD', KEYS[3], 'MAXLEN', '~', '" DEAD_MAXLEN "', '*', unpack(f))\n"
    "  elseif mode == 'release' or delay <= 0 then\n"
    "    redis.call('XADD', KEYS[1], '*', unpack(f))\n"
    "  else\n"
    "    redis.call('ZADD', KEYS[2], now + delay, cjson.encode(f))\n"
    "  end\n"
    "end\n"
    "if h == 2 then return 2 end\n"
    "redis.call('XACK', KEYS[1], ARGV[1], ARGV[3])\n"
    "return 1\n"};

/* KEYS: dead, stream. ARGV: job id, "requeue" or "drop". Returns 1, or 0 when no dead letter
 * has that id. A requeued job starts again with no attempts made. */
static const struct aps_redis_script revive_script = {
    LUA_HELPERS
    "for _, e in ipairs(redis.call('XRANGE', KEYS[1], '-', '+')) do\n"
    "  local f = e[2]\n"
    "  if getf(f, 'id') == ARGV[1] then\n"
    "    if ARGV[2] == 'requeue' then\n"
    "      setf(f, 'attempts', '0')\n"
    "      redis.call('XADD', KEYS[2], '*', unpack(f))\n"
    "    end\n"
    "    redis.call('XDEL', KEYS[1], e[1])\n"
    "    return 1\n"
    "  end\n"
    "end\n"
    "return 0\n"};

/* KEYS: stream. ARGV: group, consumer. Deletes the consumer when it holds no entries. */
static const struct aps_redis_script forget_script = {
    "local p = redis.call('XPENDING', KEYS[1], ARGV[1], '-', '+', 1, ARGV[2])\n"
    "if p[1] then return 0 end\n"
    "redis.call('XGROUP', 'DELCONSUMER', KEYS[1], ARGV[1], ARGV[2])\n"
    "return 1\n"};

/* ---- open / close ---------------------------------------------------------------------------- */

/* Creates the consumer group (and the stream) unless it exists; 0 also for BUSYGROUP. *created
 * (may be NULL) says whether this call made it. */
static int ensure_group(struct rq *q, bool *created)
{
    const char *argv[] = {"XGROUP", "CREATE", q->stream, GROUP, "0", "MKSTREAM"};
    redisReply *rep = NULL;
    int rc = aps_redis_cmd(q->redis, TIMEOUT_MS, &rep, 6, argv);
    if (rc)
        return rc;
    bool busy = aps_redis_is_error(rep, "BUSYGROUP");
    rc = rep->type == REDIS_REPLY_ERROR && !busy ? APS_E_IO : 0;
    if (created)
        *created = !rc && !busy;
    freeReplyObject(rep);
    return rc;
}

/* A command met NOGROUP: makes the group again and reports the loss (once: only the call that
 * made the group reports it, not a concurrent one that found it made). */
static int regroup(struct rq *q)
{
    bool created = false;
    int rc = ensure_group(q, &created);
    if (!rc && created)
        aps_queue_be_event(&q->base, APS_QUEUE_GROUP_LOST, NULL);
    return rc;
}

static bool is_nogroup(const redisReply *rep)
{
    return rep->type == REDIS_REPLY_ERROR && strstr(rep->str, "NOGROUP");
}

/* aps_redis_eval of a script that works on the group; after NOGROUP it regroups and runs the
 * script once more. *rep is the caller's to free (may be an error reply). */
static int eval_grouped(struct rq *q, const struct aps_redis_script *script, int nkeys, int nwords,
                        const char **words, redisReply **rep)
{
    int rc = aps_redis_eval(q->redis, TIMEOUT_MS, script, rep, nkeys, nwords, words, NULL);
    if (rc || !is_nogroup(*rep))
        return rc;
    freeReplyObject(*rep);
    *rep = NULL;
    rc = regroup(q);
    return rc ? rc : aps_redis_eval(q->redis, TIMEOUT_MS, script, rep, nkeys, nwords, words, NULL);
}

static void rq_close(struct aps_queue_be *b)
{
    struct rq *q = (struct rq *)b;
    aps_redis_close(q->redis);
    aps_free(q);
}

/* ---- replies to jobs ------------------------------------------------------------------------- */

static const char *field(const redisReply *f, const char *name, size_t *len)
{
    for (size_t i = 0; i + 1 < f->elements; i += 2) {
        const redisReply *k = f->element[i], *v = f->element[i + 1];
        if (k->type == REDIS_REPLY_STRING && strcmp(k->str, name) == 0 &&
            v->type == REDIS_REPLY_STRING) {
            if (len)
                *len = v->len;
            return v->str;
        }
    }
    return NULL;
}

static int int_field(const redisReply *f, const char *name, int64_t *out)
{
    const char *s = field(f, name, NULL);
    return s ? aps_parse_int64(s, out) : APS_E_PARSE;
}

/* Fills job from a stream entry (id, field list); delivered is the entry's delivery count. */
static int fill_job(struct aps_job *job, const redisReply *id, const redisReply *fields,
                    int64_t delivered, const char *consumer)
{
    size_t plen = 0;
    int64_t before = 0, max = 0, enq = 0;
    const char *jid = field(fields, "id", NULL), *name = field(fields, "name", NULL);
    const char *payload = field(fields, "payload", &plen), *idem = field(fields, "idem", NULL);
    const char *err = field(fields, "err", NULL);
    if (id->type != REDIS_REPLY_STRING || fields->type != REDIS_REPLY_ARRAY || !jid || !name ||
        !payload || int_field(fields, "attempts", &before) || int_field(fields, "max", &max) ||
        int_field(fields, "enq", &enq))
        return APS_E_PARSE;
    snprintf(job->id, sizeof job->id, "%s", jid);
    snprintf(job->name, sizeof job->name, "%s", name);
    snprintf(job->idem, sizeof job->idem, "%s", idem ? idem : "");
    snprintf(job->entry, sizeof job->entry, "%s", id->str);
    snprintf(job->consumer, sizeof job->consumer, "%s", consumer);
    snprintf(job->error, sizeof job->error, "%s", err ? err : "");
    job->payload = aps_strndup(payload, plen);
    job->attempts = (int)(before + delivered);
    job->max_attempts = (int)max;
    job->enqueued_ms = enq;
    return 0;
}

/* ---- push ------------------------------------------------------------------------------------ */

#define PUSH_CHUNK 64 /* jobs per script run */

/* One script run of a batch push: msgs[first .. first+n-1], with storage for its words. */
struct push_chunk {
    size_t first, n;
    const char **words;
    const char **argv;
    size_t *lens;
    char (*nums)[2][24];
    char (*idem_keys)[256];
    char nk[16];
    char fence_key[256], epoch[24];
};

static void chunk_free(struct push_chunk *c)
{
    aps_free(c->words);
    aps_free(c->argv);
    aps_free(c->lens);
    aps_free(c->nums);
    aps_free(c->idem_keys);
}

static int chunk_cmd(struct rq *q, const struct aps_queue_msg *msgs, const struct aps_fence *fence,
                     struct push_chunk *c, struct aps_redis_cmd *cmd)
{
    size_t nkeys = 3 + c->n + (fence != NULL), nwords = nkeys + 1 + 5 * c->n + (fence != NULL);
    c->words = aps_calloc(nwords, sizeof *c->words);
    c->argv = aps_calloc(nwords + 3, sizeof *c->argv);
    c->lens = aps_calloc(nwords + 3, sizeof *c->lens);
    c->nums = aps_calloc(c->n, sizeof *c->nums);
    c->idem_keys = aps_calloc(c->n, sizeof *c->idem_keys);
    c->words[0] = q->stream;
    c->words[1] = q->delayed;
    c->words[2] = q->seq;
    c->words[nkeys] = IDEM_TTL_MS;
    for (size_t j = 0; j < c->n; j++) {
        const struct aps_queue_msg *m = &msgs[c->first + j];
        const char *idem = m->idem ? m->idem : "";
        if (aps_str_fmt(c->idem_keys[j], sizeof c->idem_keys[j], "%s%s", q->idem_prefix, idem))
            return APS_E_TOOBIG; /* cannot happen: the prefix and the idempotency key are capped */
        snprintf(c->nums[j][0], sizeof c->nums[j][0], "%d", m->max_attempts);
        snprintf(c->nums[j][1], sizeof c->nums[j][1], "%lld", (long long)m->delay_ms);
        const char **a = &c->words[nkeys + 1 + 5 * j];
        c->words[3 + j] = c->idem_keys[j];
        a[0] = m->name;
        a[1] = m->payload;
        a[2] = c->nums[j][0];
        a[3] = c->nums[j][1];
        a[4] = idem;
    }
    if (fence) {
        if (aps_str_fmt(c->fence_key, sizeof c->fence_key, "%sfence:%s", q->fence_prefix,
                        fence->name))
            return APS_E_TOOBIG;
        snprintf(c->epoch, sizeof c->epoch, "%lld", (long long)fence->epoch);
        c->words[nkeys - 1] = c->fence_key;
        c->words[nwords - 1] = c->epoch;
    }
    return aps_redis_eval_cmd(q->redis, fence ? &fenced_push_script : &push_script, (int)nkeys,
                              (int)nwords, c->words, NULL, c->argv, c->lens, c->nk, cmd);
}

/* Writes the results of one chunk's reply into its msgs. */
static int chunk_results(const redisReply *r, struct aps_queue_msg *msgs,
                         const struct push_chunk *c)
{
    if (r->type == REDIS_REPLY_ARRAY && r->elements == 2 &&
        r->element[0]->type == REDIS_REPLY_INTEGER && r->element[0]->integer == -1)
        return APS_E_STALE; /* a newer epoch holds the fence: nothing was pushed */
    if (r->type != REDIS_REPLY_ARRAY || r->elements != 2 * c->n)
        return APS_E_IO;
    for (size_t j = 0; j < c->n; j++) {
        const redisReply *flag = r->element[2 * j], *id = r->element[2 * j + 1];
        struct aps_queue_msg *m = &msgs[c->first + j];
        if (flag->type != REDIS_REPLY_INTEGER || id->type != REDIS_REPLY_STRING)
            return APS_E_IO;
        snprintf(m->id, sizeof m->id, "%s", id->str);
        m->rc = flag->integer ? 0 : APS_E_EXISTS;
    }
    return 0;
}

/* Sends chunks[0..n-1] in one pipeline. Chunks whose reply was NOSCRIPT (the server's script
 * cache was flushed; nothing ran for them) are moved to the front and counted in *again. */
static int push_round(struct rq *q, struct aps_queue_msg *msgs, const struct aps_fence *fence,
                      struct push_chunk *chunks, size_t n, size_t *again)
{
    struct aps_redis_cmd *cmds = aps_calloc(n, sizeof *cmds);
    redisReply **reps = aps_calloc(n, sizeof *reps);
    int rc = 0;
    *again = 0;
    for (size_t i = 0; i < n && !rc; i++)
        rc = chunk_cmd(q, msgs, fence, &chunks[i], &cmds[i]);
    if (!rc)
        rc = aps_redis_pipeline(q->redis, TIMEOUT_MS, (int)n, cmds, reps);
    for (size_t i = 0; i < n; i++) {
        struct push_chunk c = chunks[i];
        if (!rc && aps_redis_is_error(reps[i], "NOSCRIPT"))
            chunks[(*again)++] = (struct push_chunk){.first = c.first, .n = c.n};
        else if (!rc)
            rc = chunk_results(reps[i], msgs, &c);
        chunk_free(&c);
        if (reps[i])
            freeReplyObject(reps[i]);
    }
    aps_free(cmds);
    aps_free(reps);
    return rc;
}

static int rq_push(struct aps_queue_be *b, struct aps_queue_msg *msgs, size_t n,
                   const struct aps_fence *fence)
{
    struct rq *q = (struct rq *)b;
    size_t todo = n || !fence ? (n + PUSH_CHUNK - 1) / PUSH_CHUNK : 1; /* a bare fence raise */
    struct push_chunk *chunks = aps_calloc(todo, sizeof *chunks);
    int rc = 0;
    for (size_t i = 0; i < todo; i++) {
        chunks[i].first = i * PUSH_CHUNK;
        chunks[i].n = n - chunks[i].first < PUSH_CHUNK ? n - chunks[i].first : PUSH_CHUNK;
    }
    for (int round = 0; round < 2 && todo && !rc; round++) {
        rc = push_round(q, msgs, fence, chunks, todo, &todo);
        if (todo)
            aps_redis_forget_scripts(q->redis);
    }
    aps_free(chunks);
    return rc ? rc : todo ? APS_E_IO : 0;
}

/* ---- claim ----------------------------------------------------------------------------------- */

/* Reports the jobs the claim script dead-lettered ({entry, fields, ...}; their fields hold the
 * attempts made, so no delivery is added). */
static void report_expired(struct rq *q, const redisReply *dead)
{
    for (size_t i = 0; i + 1 < dead->elements; i += 2) {
        struct aps_job job = {0};
        if (!fill_job(&job, dead->element[i], dead->element[i + 1], 0, ""))
            aps_queue_be_event(&q->base, APS_QUEUE_EXPIRED_DEAD, &job);
        aps_job_cleanup(&job);
    }
}

/* Runs the claim script: fills jobs, *n of them, and *wait_ms (ms until the next delayed job is
 * due, -1 when none). Makes the group again if the server lost it. */
static int claim_once(struct rq *q, const char *consumer, int64_t visibility_ms,
                      struct aps_job *jobs, int max, int *n, int64_t *wait_ms)
{
    char idle[24], count[24], throttle[24];
    int64_t every = visibility_ms / 4;
    every = every < 10 ? 10 : every > 1000 ? 1000 : every;
    snprintf(idle, sizeof idle, "%lld", (long long)visibility_ms);
    snprintf(count, sizeof count, "%d", max);
    snprintf(throttle, sizeof throttle, "%lld", (long long)every);
    const char *words[] = {q->stream, q->delayed, q->dead, q->reclaim, GROUP, consumer, idle,
                           count, throttle};
    redisReply *rep = NULL;
    int rc = eval_grouped(q, &claim_script, 4, 9, words, &rep);
    if (rc)
        return rc;
    if (rep->type != REDIS_REPLY_ARRAY || rep->elements != 3 ||
        rep->element[0]->type != REDIS_REPLY_INTEGER ||
        rep->element[1]->type != REDIS_REPLY_ARRAY || rep->element[2]->type != REDIS_REPLY_ARRAY) {
        freeReplyObject(rep);
        return APS_E_IO;
    }
    *wait_ms = rep->element[0]->integer;
    const redisReply *out = rep->element[1];
    for (size_t i = 0; i + 2 < out->elements && *n < max && !rc; i += 3) {
        int64_t delivered = out->element[i + 1]->integer;
        rc = fill_job(&jobs[*n], out->element[i], out->element[i + 2], delivered, consumer);
        if (!rc)
            (*n)++;
    }
    report_expired(q, rep->element[2]);
    freeReplyObject(rep);
    return rc;
}

/* Waits up to wait_ms for new entries with XREADGROUP BLOCK (fresh deliveries: delivered = 1). */
static int claim_block(struct rq *q, const char *consumer, int64_t wait_ms, struct aps_job *jobs,
                       int max, int *n)
{
    char block[24], count[24];
    snprintf(block, sizeof block, "%lld", (long long)(wait_ms < 1 ? 1 : wait_ms));
    snprintf(count, sizeof count, "%d", max);
    const char *argv[] = {"XREADGROUP", "GROUP", GROUP, consumer, "COUNT", count,
                          "BLOCK", block, "STREAMS", q->stream, ">"};
    redisReply *rep = NULL;
    int rc = aps_redis_cmd(q->redis, (int)wait_ms + TIMEOUT_MS, &rep, 11, argv);
    if (rc)
        return rc;
    if (rep->type == REDIS_REPLY_ARRAY && rep->elements == 1 &&
        rep->element[0]->type == REDIS_REPLY_ARRAY && rep->element[0]->elements == 2) {
        const redisReply *entries = rep->element[0]->element[1];
        for (size_t i = 0; i < entries->elements && *n < max && !rc; i++) {
            const redisReply *e = entries->element[i];
            if (e->type != REDIS_REPLY_ARRAY || e->elements != 2)
                continue;
            rc = fill_job(&jobs[*n], e->element[0], e->element[1], 1, consumer);
            if (!rc)
                (*n)++;
        }
    } else if (is_nogroup(rep)) {
        rc = regroup(q); /* lost while this claim waited: the caller's next round reads again */
    } else if (rep->type == REDIS_REPLY_ERROR) {
        rc = APS_E_IO;
    }
    freeReplyObject(rep);
    return rc;
}

static int rq_claim(struct aps_queue_be *b, const char *consumer, int64_t visibility_ms,
                    int block_ms, struct aps_job *jobs, int max, int *n)
{
    struct rq *q = (struct rq *)b;
    double deadline = aps_time_mono() + block_ms / 1000.0;
    for (;;) {
        int64_t wait = -1;
        int rc = claim_once(q, consumer, visibility_ms, jobs, max, n, &wait);
        if (rc || *n > 0)
            return rc;
        int64_t left = (int64_t)((deadline - aps_time_mono()) * 1000.0);
        if (left <= 0)
            return APS_E_NOTFOUND;
        if (wait >= 0 && wait < left)
            left = wait; /* wake when the next delayed job is due */
        rc = claim_block(q, consumer, left, jobs, max, n);
        if (rc || *n > 0)
            return rc;
    }
}

/* ---- ack and settle -------------------------------------------------------------------------- */

static int rq_ack(struct aps_queue_be *b, struct aps_job *jobs, int n, bool *held)
{
    struct rq *q = (struct rq *)b;
    int nwords = 2 + 2 * n;
    const char **words = aps_calloc((size_t)nwords, sizeof *words);
    words[0] = q->stream;
    words[1] = GROUP;
    for (int i = 0; i < n; i++) {
        words[2 + 2 * i] = jobs[i].entry;
        words[3 + 2 * i] = jobs[i].consumer;
    }
    redisReply *rep = NULL;
    int rc = eval_grouped(q, &ack_script, 1, nwords, words, &rep);
    aps_free(words);
    if (rc)
        return rc;
    if (rep->type != REDIS_REPLY_ARRAY || rep->elements != (size_t)n) {
        freeReplyObject(rep);
        return APS_E_IO;
    }
    for (int i = 0; i < n; i++) {
        long long h = rep->element[i]->type == REDIS_REPLY_INTEGER ? rep->element[i]->integer : 0;
        held[i] = h == 1 || h == 2;
        jobs[i].vanished = h == 2;
    }
    freeReplyObject(rep);
    return 0;
}

static int rq_settle(struct aps_queue_be *b, struct aps_job *job, enum aps_settle how,
                     const char *error, int64_t delay_ms)
{
    static const char *const modes[] = {"retry", "dead", "release", "extend"};
    struct rq *q = (struct rq *)b;
    char delay[24], attempts[24], max[24], enq[24];
    int64_t d = how == APS_SETTLE_RETRY && delay_ms > 0 ? delay_ms : 0; /* after Redis's TIME */
    snprintf(delay, sizeof delay, "%lld", (long long)d);
    snprintf(attempts, sizeof attempts, "%d", job->attempts);
    snprintf(max, sizeof max, "%d", job->max_attempts);
    snprintf(enq, sizeof enq, "%lld", (long long)job->enqueued_ms);
    const char *text = error ? error : "", *payload = job->payload ? job->payload : "{}";
    /* The job's own fields come along, to put it back if its entry vanished (not for extend). */
    const char *words[] = {q->stream,  q->delayed, q->dead,   GROUP,    job->consumer, job->entry,
                           modes[how], text,       delay,     attempts, job->id,       job->name,
                           payload,    max,        job->idem, enq};
    int nwords = how == APS_SETTLE_EXTEND ? 10 : 16;
    redisReply *rep = NULL;
    int rc = eval_grouped(q, &settle_script, 3, nwords, words, &rep);
    if (rc)
        return rc;
    long long h = rep->type == REDIS_REPLY_INTEGER ? rep->integer : -1;
    freeReplyObject(rep);
    if (h == 2)
        job->vanished = true;
    return h < 0 ? APS_E_IO : h == 0 ? APS_E_STATE : 0;
}

/* ---- stats and dead letters ------------------------------------------------------------------ */

static int rq_stats(struct aps_queue_be *b, struct aps_queue_stats *s)
{
    struct rq *q = (struct rq *)b;
    const char *words[] = {q->stream, q->delayed, q->dead, GROUP};
    redisReply *r = NULL;
    int rc = aps_redis_eval(q->redis, TIMEOUT_MS, &stats_script, &r, 3, 4, words, NULL);
    if (rc)
        return rc;
    if (r->type != REDIS_REPLY_ARRAY || r->elements != 5) {
        freeReplyObject(r);
        return APS_E_IO;
    }
    int64_t v[5];
    for (int i = 0; i < 5; i++)
        v[i] = r->element[i]->type == REDIS_REPLY_INTEGER ? r->element[i]->integer : 0;
    freeReplyObject(r);
    s->ready = v[0];
    s->leased = v[1];
    s->delayed = v[2];
    s->dead = v[3];
    s->oldest_age_s = v[4] > 0 ? v[4] / 1000.0 : 0;
    return 0;
}

/* A stream is read from an entry id, not a position: the newest offset + max are read and the
 * first offset skipped (the stream is capped near 10,000 entries, so that is the most read). */
static int rq_dead(struct aps_queue_be *b, int64_t offset, struct aps_job *jobs, int max, int *n)
{
    struct rq *q = (struct rq *)b;
    char count[24];
    snprintf(count, sizeof count, "%lld", (long long)offset + max);
    const char *argv[] = {"XREVRANGE", q->dead, "+", "-", "COUNT", count};
    redisReply *rep = NULL;
    int rc = aps_redis_cmd(q->redis, TIMEOUT_MS, &rep, 6, argv);
    if (rc)
        return rc;
    if (rep->type != REDIS_REPLY_ARRAY)
        rc = APS_E_IO;
    for (size_t i = 0; !rc && i < rep->elements && *n < max; i++) {
        const redisReply *e = rep->element[i];
        if ((int64_t)i < offset)
            continue;
        if (e->type != REDIS_REPLY_ARRAY || e->elements != 2)
            continue;
        /* The stored count is the starts made; a dead letter has no delivery of its own. */
        rc = fill_job(&jobs[*n], e->element[0], e->element[1], 0, "");
        if (!rc)
            (*n)++;
    }
    freeReplyObject(rep);
    return rc;
}

static int rq_revive(struct aps_queue_be *b, const char *id, bool requeue)
{
    struct rq *q = (struct rq *)b;
    const char *words[] = {q->dead, q->stream, id, requeue ? "requeue" : "drop"};
    redisReply *rep = NULL;
    int rc = aps_redis_eval(q->redis, TIMEOUT_MS, &revive_script, &rep, 2, 4, words, NULL);
    if (rc)
        return rc;
    rc = rep->type != REDIS_REPLY_INTEGER ? APS_E_IO : rep->integer == 1 ? 0 : APS_E_NOTFOUND;
    freeReplyObject(rep);
    return rc;
}

static int rq_forget(struct aps_queue_be *b, const char *consumer)
{
    struct rq *q = (struct rq *)b;
    const char *words[] = {q->stream, GROUP, consumer};
    redisReply *rep = NULL;
    int rc = aps_redis_eval(q->redis, TIMEOUT_MS, &forget_script, &rep, 1, 3, words, NULL);
    if (rc)
        return rc;
    /* NOGROUP: nothing to forget. */
    rc = rep->type == REDIS_REPLY_ERROR && !strstr(rep->str, "NOGROUP") ? APS_E_IO : 0;
    freeReplyObject(rep);
    return rc;
}

static int rq_switch(struct aps_queue_be *b, const char *url, char *err, size_t errcap)
{
    return aps_redis_switch(((struct rq *)b)->redis, url, err, errcap);
}

static const struct aps_queue_ops redis_ops = {
    .name = "redis",
    .close = rq_close,
    .push = rq_push,
    .claim = rq_claim,
    .ack = rq_ack,
    .settle = rq_settle,
    .stats = rq_stats,
    .dead = rq_dead,
    .revive = rq_revive,
    .forget = rq_forget,
    .switch_url = rq_switch,
};

int aps_queue_redis_open(struct aps_queue_be **out, const char *url, const char *prefix,
                         char *err, size_t errcap)
{
    struct rq *q = aps_calloc(1, sizeof *q);
    *out = NULL;
    int rc = aps_redis_open(&q->redis, url, 64, err, errcap);
    if (rc) {
        aps_free(q);
        return rc;
    }
    q->base.ops = &redis_ops;
    snprintf(q->stream, sizeof q->stream, "%s:jobs", prefix);
    snprintf(q->delayed, sizeof q->delayed, "%s:jobs:delayed", prefix);
    snprintf(q->dead, sizeof q->dead, "%s:jobs:dead", prefix);
    snprintf(q->seq, sizeof q->seq, "%s:jobs:seq", prefix);
    snprintf(q->reclaim, sizeof q->reclaim, "%s:jobs:reclaim", prefix);
    snprintf(q->idem_prefix, sizeof q->idem_prefix, "%s:jobs:idem:", prefix);
    snprintf(q->fence_prefix, sizeof q->fence_prefix, "%s:", prefix);
    /* Best effort now; a call that meets NOGROUP makes it later (Redis down or restarted). */
    (void)ensure_group(q, NULL);
    *out = &q->base;
    return 0;
}
