/* redis.c — the connection pool of redis.h: URL parsing, connect with AUTH and SELECT, checkout
 * and return of connections, pipelines, EVALSHA with lazy SCRIPT LOAD, and the reconnect backoff.
 *
 * Replies are bounded by the commands we send rather than by the reader: every value that can be
 * large is either written by this layer with a size cap (cache values, job payloads) or read
 * through a script that checks the size first (the cache's GET). */
#include "cache/redis.h"

#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>

#include "core/mem.h"
#include "core/str.h"
#include "core/timeutil.h"

#define CONNECT_TIMEOUT_MS 500
#define DEFAULT_TIMEOUT_MS 2000
#define BACKOFF_MIN_MS 100
#define BACKOFF_MAX_MS 5000
#define MAX_SCRIPTS 16

struct conn {
    redisContext *ctx;
    int timeout_ms; /* what redisSetTimeout last set */
    uint64_t gen;   /* the pool's endpoint generation it was opened with */
    struct conn *next;
};

/* Where and as whom the pool connects: what a URL says. */
struct endpoint {
    char host[256];
    int port, db;
    char user[128], pass[256];
};

/* A script's slot is written once and never reused: its hash is the SHA1 of its source, so a
 * reload after the server lost its cache gives the same bytes, and EVALSHA calls in flight on
 * other threads keep pointing at them (aps_redis_eval_cmd). */
struct script_sha {
    const struct aps_redis_script *script;
    char sha[48];
    bool loaded; /* false after aps_redis_forget_scripts until the next SCRIPT LOAD */
};

struct aps_redis {
    struct endpoint ep; /* under mu: aps_redis_switch may change it */
    uint64_t gen;       /* bumped by each switch; under mu */
    pthread_mutex_t mu;
    pthread_cond_t cv;
    struct conn *idle;
    int open, max;
    double retry_at; /* monotonic seconds; no connect attempt before it */
    int backoff_ms;
    uint64_t errors;
    char last_err[256];
    struct script_sha scripts[MAX_SCRIPTS];
    int nscripts;
};

/* ---- URL ------------------------------------------------------------------------------------- */

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Copies n bytes of s into out, decoding %XX escapes; APS_E_CONFIG when it does not fit. */
static int copy_decoded(char *out, size_t cap, const char *s, size_t n)
{
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c == '%' && i + 2 < n && hexval(s[i + 1]) >= 0 && hexval(s[i + 2]) >= 0) {
            c = (char)(hexval(s[i + 1]) * 16 + hexval(s[i + 2]));
            i += 2;
        }
        if (o + 1 >= cap)
            return APS_E_CONFIG;
        out[o++] = c;
    }
    out[o] = '\0';
    return 0;
}

static int parse_userinfo(struct endpoint *r, const char *s, size_t n)
{
    const char *colon = memchr(s, ':', n);
    if (!colon)
        return copy_decoded(r->pass, sizeof r->pass, s, n); /* redis://password@host */
    int rc = copy_decoded(r->user, sizeof r->user, s, (size_t)(colon - s));
    if (rc)
        return rc;
    return copy_decoded(r->pass, sizeof r->pass, colon + 1, n - (size_t)(colon - s) - 1);
}

static int parse_hostport(struct endpoint *r, const char *s, size_t n)
{
    const char *colon = memchr(s, ':', n);
    size_t hn = colon ? (size_t)(colon - s) : n;
    char port[16];
    r->port = 6379;
    if (hn == 0 || copy_decoded(r->host, sizeof r->host, s, hn))
        return APS_E_CONFIG;
    if (!colon)
        return 0;
    size_t pn = n - hn - 1;
    if (pn == 0 || pn >= sizeof port)
        return APS_E_CONFIG;
    memcpy(port, colon + 1, pn);
    port[pn] = '\0';
    if (aps_parse_int(port, &r->port) || r->port < 1 || r->port > 65535)
        return APS_E_CONFIG;
    return 0;
}

static int parse_url(struct endpoint *r, const char *url)
{
    if (strncmp(url, "rediss://", 9) == 0)
        return APS_E_UNSUPPORTED;
    if (strncmp(url, "redis://", 8) != 0)
        return APS_E_CONFIG;
    const char *p = url + 8;
    const char *end = p + strcspn(p, "/?#");
    const char *at = memchr(p, '@', (size_t)(end - p));
    int rc = 0;
    if (at) {
        rc = parse_userinfo(r, p, (size_t)(at - p));
        p = at + 1;
    }
    if (!rc)
        rc = parse_hostport(r, p, (size_t)(end - p));
    if (rc || *end != '/' || end[1] == '\0' || end[1] == '?')
        return rc;
    char db[16];
    size_t dn = strcspn(end + 1, "?#");
    if (dn >= sizeof db)
        return APS_E_CONFIG;
    memcpy(db, end + 1, dn);
    db[dn] = '\0';
    if (aps_parse_int(db, &r->db) || r->db < 0 || r->db > 1000)
        return APS_E_CONFIG;
    return 0;
}

static int parse_url_or_say(struct endpoint *ep, const char *url, char *err, size_t errcap)
{
    int rc = parse_url(ep, url ? url : "");
    if (rc) /* The URL may carry a password: name the problem, never echo the URL. */
        snprintf(err, errcap, "REDIS_URL: %s",
                 rc == APS_E_UNSUPPORTED ? "rediss:// (TLS) is not supported by this build"
                                         : "expected redis://[user:password@]host[:port][/db]");
    return rc;
}

int aps_redis_open(struct aps_redis **out, const char *url, int max_conns, char *err,
                   size_t errcap)
{
    struct aps_redis *r = aps_calloc(1, sizeof *r);
    *out = NULL;
    int rc = parse_url_or_say(&r->ep, url, err, errcap);
    if (rc) {
        aps_free(r);
        return rc;
    }
    r->max = max_conns > 0 ? max_conns : 16;
    r->backoff_ms = BACKOFF_MIN_MS;
    pthread_mutex_init(&r->mu, NULL);
    pthread_cond_init(&r->cv, NULL);
    *out = r;
    return 0;
}

void aps_redis_close(struct aps_redis *r)
{
    if (!r)
        return;
    while (r->idle) {
        struct conn *c = r->idle;
        r->idle = c->next;
        redisFree(c->ctx);
        aps_free(c);
    }
    pthread_cond_destroy(&r->cv);
    pthread_mutex_destroy(&r->mu);
    aps_free(r);
}

/* ---- connections ----------------------------------------------------------------------------- */

/* hiredis takes the words as `const char **` but only reads them (and their characters). */
static const char **argv_words(const char *const *argv)
{
    return (const char **)(uintptr_t)argv;
}

static struct timeval tv_of(int ms)
{
    struct timeval tv = {ms / 1000, (ms % 1000) * 1000};
    return tv;
}

/* Called with r->mu held: one more failure, a longer wait before the next connect. */
static void note_failure(struct aps_redis *r, const char *why)
{
    r->errors++;
    snprintf(r->last_err, sizeof r->last_err, "%s", why);
    r->retry_at = aps_time_mono() + r->backoff_ms / 1000.0;
    r->backoff_ms = r->backoff_ms * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : r->backoff_ms * 2;
}

/* Runs one setup command (AUTH, SELECT) on a fresh context; false when it failed. */
static bool setup_cmd(redisContext *ctx, int argc, const char **argv)
{
    redisReply *rep = redisCommandArgv(ctx, argc, argv, NULL);
    bool ok = rep && rep->type != REDIS_REPLY_ERROR;
    if (rep)
        freeReplyObject(rep);
    return ok;
}

static redisContext *connect_one(const struct endpoint *r, char *why, size_t cap)
{
    redisContext *ctx = redisConnectWithTimeout(r->host, r->port, tv_of(CONNECT_TIMEOUT_MS));
    char db[16];
    if (!ctx || ctx->err) {
        snprintf(why, cap, "connect %.100s:%d: %.100s", r->host, r->port,
                 ctx ? ctx->errstr : "no memory");
        goto fail;
    }
    (void)redisEnableKeepAlive(ctx);
    const char *auth2[] = {"AUTH", r->pass};
    const char *auth3[] = {"AUTH", r->user, r->pass};
    if (r->pass[0] && !setup_cmd(ctx, r->user[0] ? 3 : 2, r->user[0] ? auth3 : auth2)) {
        snprintf(why, cap, "AUTH refused by %.100s:%d", r->host, r->port);
        goto fail;
    }
    snprintf(db, sizeof db, "%d", r->db);
    const char *sel[] = {"SELECT", db};
    if (r->db != 0 && !setup_cmd(ctx, 2, sel)) {
        snprintf(why, cap, "SELECT %d refused by %.100s:%d", r->db, r->host, r->port);
        goto fail;
    }
    return ctx;
fail:
    if (ctx)
        redisFree(ctx);
    return NULL;
}

/* Checks a connection out: an idle one, a new one (unless in backoff), or waits for one. */
static int acquire(struct aps_redis *r, struct conn **out)
{
    char why[256];
    pthread_mutex_lock(&r->mu);
    while (!r->idle && r->open >= r->max)
        pthread_cond_wait(&r->cv, &r->mu);
    if (r->idle) {
        *out = r->idle;
        r->idle = r->idle->next;
        pthread_mutex_unlock(&r->mu);
        return 0;
    }
    if (aps_time_mono() < r->retry_at) {
        pthread_mutex_unlock(&r->mu);
        return APS_E_IO;
    }
    r->open++;
    struct endpoint ep = r->ep;
    uint64_t gen = r->gen;
    pthread_mutex_unlock(&r->mu);
    redisContext *ctx = connect_one(&ep, why, sizeof why);
    pthread_mutex_lock(&r->mu);
    if (!ctx) {
        r->open--;
        note_failure(r, why);
        pthread_cond_signal(&r->cv);
        pthread_mutex_unlock(&r->mu);
        return APS_E_IO;
    }
    r->backoff_ms = BACKOFF_MIN_MS;
    r->retry_at = 0;
    pthread_mutex_unlock(&r->mu);
    *out = aps_calloc(1, sizeof **out);
    (*out)->ctx = ctx;
    (*out)->gen = gen;
    return 0;
}

/* Returns a connection; a broken one is closed and counted. */
static void release(struct aps_redis *r, struct conn *c, bool broken)
{
    char why[256] = "";
    if (broken)
        snprintf(why, sizeof why, "%s", c->ctx->err ? c->ctx->errstr : "protocol error");
    pthread_mutex_lock(&r->mu);
    bool stale = !broken && c->gen != r->gen; /* opened before a switch: close it */
    if (broken || stale) {
        r->open--;
        if (broken)
            note_failure(r, why);
    } else {
        c->next = r->idle;
        r->idle = c;
    }
    pthread_cond_signal(&r->cv);
    pthread_mutex_unlock(&r->mu);
    if (broken || stale) {
        redisFree(c->ctx);
        aps_free(c);
    }
}

/* ---- switching endpoint ------------------------------------------------------------------------ */

int aps_redis_switch(struct aps_redis *r, const char *url, char *err, size_t errcap)
{
    struct endpoint ep = {0};
    char why[256];
    int rc = parse_url_or_say(&ep, url, err, errcap);
    if (rc)
        return rc;
    pthread_mutex_lock(&r->mu);
    bool same = !memcmp(&ep, &r->ep, sizeof ep);
    pthread_mutex_unlock(&r->mu);
    if (same)
        return 0;
    redisContext *ctx = connect_one(&ep, why, sizeof why);
    if (!ctx) {
        snprintf(err, errcap, "new REDIS_URL refused: %s", why);
        return APS_E_IO;
    }
    struct conn *fresh = aps_calloc(1, sizeof *fresh);
    fresh->ctx = ctx;
    pthread_mutex_lock(&r->mu);
    struct conn *old = r->idle;
    for (struct conn *c = old; c; c = c->next)
        r->open--;
    r->ep = ep;
    fresh->gen = ++r->gen;
    fresh->next = NULL;
    r->idle = fresh;
    r->open++;
    r->backoff_ms = BACKOFF_MIN_MS;
    r->retry_at = 0;
    pthread_cond_broadcast(&r->cv);
    pthread_mutex_unlock(&r->mu);
    while (old) {
        struct conn *c = old;
        old = c->next;
        redisFree(c->ctx);
        aps_free(c);
    }
    return 0;
}

/* ---- commands -------------------------------------------------------------------------------- */

int aps_redis_pipeline(struct aps_redis *r, int timeout_ms, int n, const struct aps_redis_cmd *cmds,
                       redisReply **replies)
{
    struct conn *c = NULL;
    int rc = acquire(r, &c);
    for (int i = 0; i < n; i++)
        replies[i] = NULL;
    if (rc)
        return rc;
    int want = timeout_ms > 0 ? timeout_ms : DEFAULT_TIMEOUT_MS;
    bool broken = false;
    if (c->timeout_ms != want) {
        broken = redisSetTimeout(c->ctx, tv_of(want)) != REDIS_OK;
        c->timeout_ms = want;
    }
    for (int i = 0; i < n && !broken; i++)
        broken = redisAppendCommandArgv(c->ctx, cmds[i].argc, argv_words(cmds[i].argv),
                                        cmds[i].lens) != REDIS_OK;
    for (int i = 0; i < n && !broken; i++) {
        void *rep = NULL;
        broken = redisGetReply(c->ctx, &rep) != REDIS_OK || !rep;
        replies[i] = rep;
    }
    release(r, c, broken);
    if (!broken)
        return 0;
    for (int i = 0; i < n; i++) {
        if (replies[i])
            freeReplyObject(replies[i]);
        replies[i] = NULL;
    }
    return APS_E_IO;
}

int aps_redis_cmd(struct aps_redis *r, int timeout_ms, redisReply **reply, int argc,
                  const char *const *argv)
{
    struct aps_redis_cmd cmd = {argc, argv, NULL};
    return aps_redis_pipeline(r, timeout_ms, 1, &cmd, reply);
}

bool aps_redis_is_error(const redisReply *reply, const char *prefix)
{
    return reply && reply->type == REDIS_REPLY_ERROR && reply->str &&
           strncmp(reply->str, prefix, strlen(prefix)) == 0;
}

/* Copies the loaded hash of script into sha ("" when not loaded yet). */
static void script_sha(struct aps_redis *r, const struct aps_redis_script *s, char sha[48])
{
    sha[0] = '\0';
    pthread_mutex_lock(&r->mu);
    for (int i = 0; i < r->nscripts; i++)
        if (r->scripts[i].script == s && r->scripts[i].loaded)
            memcpy(sha, r->scripts[i].sha, 48);
    pthread_mutex_unlock(&r->mu);
}

static int load_script(struct aps_redis *r, const struct aps_redis_script *s, char sha[48])
{
    const char *argv[] = {"SCRIPT", "LOAD", s->src};
    redisReply *rep = NULL;
    int rc = aps_redis_cmd(r, 0, &rep, 3, argv);
    if (rc)
        return rc;
    if (rep->type != REDIS_REPLY_STRING || rep->len >= 48) {
        freeReplyObject(rep);
        return APS_E_IO;
    }
    memcpy(sha, rep->str, rep->len);
    sha[rep->len] = '\0';
    freeReplyObject(rep);
    pthread_mutex_lock(&r->mu);
    int i = 0;
    while (i < r->nscripts && r->scripts[i].script != s)
        i++;
    if (i < r->nscripts) {
        r->scripts[i].loaded = true; /* same source, same hash: the bytes stay as they are */
    } else if (i < MAX_SCRIPTS) {
        r->scripts[i].script = s;
        memcpy(r->scripts[i].sha, sha, 48);
        r->scripts[i].loaded = true;
        r->nscripts = i + 1;
    }
    pthread_mutex_unlock(&r->mu);
    return 0;
}

void aps_redis_forget_scripts(struct aps_redis *r)
{
    pthread_mutex_lock(&r->mu);
    for (int i = 0; i < r->nscripts; i++)
        r->scripts[i].loaded = false;
    pthread_mutex_unlock(&r->mu);
}

int aps_redis_eval_cmd(struct aps_redis *r, const struct aps_redis_script *script, int nkeys,
                       int nwords, const char *const *words, const size_t *lens,
                       const char **argv, size_t *argv_lens, char nk[16],
                       struct aps_redis_cmd *cmd)
{
    char sha[48];
    script_sha(r, script, sha);
    if (!sha[0]) {
        int rc = load_script(r, script, sha);
        if (rc)
            return rc;
    }
    /* The hash must outlive this call: point at the pool's copy, which never moves. */
    const char *stable = NULL;
    pthread_mutex_lock(&r->mu);
    for (int i = 0; i < r->nscripts; i++)
        if (r->scripts[i].script == script)
            stable = r->scripts[i].sha;
    pthread_mutex_unlock(&r->mu);
    if (!stable)
        return APS_E_IO;
    if (nkeys < 0 || nkeys > nwords)
        return APS_E_INVAL;
    snprintf(nk, 16, "%d", nkeys);
    argv[0] = "EVALSHA";
    argv[1] = stable;
    argv[2] = nk;
    argv_lens[0] = 7;
    argv_lens[1] = strlen(stable);
    argv_lens[2] = strlen(nk);
    for (int i = 0; i < nwords; i++) {
        argv[3 + i] = words[i];
        argv_lens[3 + i] = lens ? lens[i] : strlen(words[i]);
    }
    cmd->argc = nwords + 3;
    cmd->argv = argv;
    cmd->lens = argv_lens;
    return 0;
}

int aps_redis_eval(struct aps_redis *r, int timeout_ms, const struct aps_redis_script *script,
                   redisReply **reply, int nkeys, int nwords, const char *const *words,
                   const size_t *lens)
{
    const char *small_argv[32];
    size_t small_lens[32];
    const char **argv = small_argv;
    size_t *argv_lens = small_lens;
    struct aps_redis_cmd cmd;
    char nk[16];
    int rc = APS_E_IO;
    if (nwords < 0)
        return APS_E_INVAL;
    if (nwords + 3 > 32) {
        argv = aps_malloc(sizeof *argv * (size_t)(nwords + 3));
        argv_lens = aps_malloc(sizeof *argv_lens * (size_t)(nwords + 3));
    }
    for (int attempt = 0; attempt < 2; attempt++) {
        rc = aps_redis_eval_cmd(r, script, nkeys, nwords, words, lens, argv, argv_lens, nk, &cmd);
        if (!rc)
            rc = aps_redis_pipeline(r, timeout_ms, 1, &cmd, reply);
        if (rc || !aps_redis_is_error(*reply, "NOSCRIPT"))
            break;
        /* The server lost its script cache (restart, SCRIPT FLUSH): load again, once. */
        freeReplyObject(*reply);
        *reply = NULL;
        aps_redis_forget_scripts(r);
        rc = APS_E_IO;
    }
    if (argv != small_argv) {
        aps_free(argv);
        aps_free(argv_lens);
    }
    return rc;
}

int aps_redis_ping(struct aps_redis *r, double *ms)
{
    const char *argv[] = {"PING"};
    redisReply *rep = NULL;
    double t0 = aps_time_mono();
    int rc = aps_redis_cmd(r, 1000, &rep, 1, argv);
    if (rc)
        return rc;
    bool ok = rep->type == REDIS_REPLY_STATUS;
    freeReplyObject(rep);
    *ms = (aps_time_mono() - t0) * 1000.0;
    return ok ? 0 : APS_E_IO;
}

uint64_t aps_redis_errors(struct aps_redis *r)
{
    pthread_mutex_lock(&r->mu);
    uint64_t n = r->errors;
    pthread_mutex_unlock(&r->mu);
    return n;
}

void aps_redis_last_error(struct aps_redis *r, char *buf, size_t cap)
{
    pthread_mutex_lock(&r->mu);
    snprintf(buf, cap, "%s", r->last_err);
    pthread_mutex_unlock(&r->mu);
}
