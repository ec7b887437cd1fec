/* redis.h — private to src/cache: a small pool of hiredis connections to one Redis server, shared
 * by the cache, the rate limiter, the queue and the leader lock. Only files in src/cache include
 * this header (it pulls in hiredis); the public headers stay free of it.
 *
 * Why a pool: a hiredis context is not thread-safe and a blocking XREADGROUP holds its connection
 * for the whole wait, so each caller checks a connection out for one command or one pipeline.
 * Connections are opened on demand up to max_conns and kept while healthy.
 *
 * Failure policy: a connection that fails (refused, reset, timed out, protocol error) is closed
 * and the next attempt to connect waits for a backoff that doubles from 100 ms to 5 s; while the
 * server is in backoff every call fails at once with APS_E_IO, so a dead Redis costs callers
 * nothing but the error. The first success resets the backoff. */
#ifndef APS_CACHE_REDIS_H
#define APS_CACHE_REDIS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <hiredis/hiredis.h>

#include "core/err.h"

struct aps_redis;

/* One command: argc words; lens[i] is the length of argv[i] (lens NULL: every word is a C
 * string). */
struct aps_redis_cmd {
    int argc;
    const char *const *argv;
    const size_t *lens;
};

/* A Lua script run with EVALSHA; the pool loads it (SCRIPT LOAD) on first use and again after
 * NOSCRIPT (a restarted server). Declare one static const per script. */
struct aps_redis_script {
    const char *src;
};

/* Parses url (redis://[user:password@]host[:port][/db]) and opens the pool; no connection is
 * made until the first command, so a Redis that is down at start-up is not an error here.
 * APS_E_CONFIG for a malformed URL, APS_E_UNSUPPORTED for rediss:// (this hiredis has no TLS). */
int aps_redis_open(struct aps_redis **out, const char *url, int max_conns, char *err,
                   size_t errcap) APS_MUST_CHECK;
void aps_redis_close(struct aps_redis *r);
/* Moves the pool to a new URL (new credentials at a configuration reload): connects with it
 * first (APS_E_IO and err "new REDIS_URL refused: …", no password, when that fails: nothing
 * changes); then idle connections close, checked-out ones finish and close when given back,
 * new ones use the new URL. The same URL changes nothing. */
int aps_redis_switch(struct aps_redis *r, const char *url, char *err, size_t errcap) APS_MUST_CHECK;

/* Sends n commands in one write and reads the n replies (a pipeline) on one connection.
 * timeout_ms bounds each read (0: the default of 2 s). On success replies[0..n-1] are set (the
 * caller frees each with freeReplyObject; an error reply is a reply, not a failure). On APS_E_IO
 * (unreachable, in backoff, broken connection, timeout) every replies[i] is NULL. */
int aps_redis_pipeline(struct aps_redis *r, int timeout_ms, int n, const struct aps_redis_cmd *cmds,
                       redisReply **replies) APS_MUST_CHECK;
/* One command given as C strings. */
int aps_redis_cmd(struct aps_redis *r, int timeout_ms, redisReply **reply, int argc,
                  const char *const *argv) APS_MUST_CHECK;
/* EVALSHA of script with nkeys keys followed by arguments: words[0..nwords-1] (lens as above). */
int aps_redis_eval(struct aps_redis *r, int timeout_ms, const struct aps_redis_script *script,
                   redisReply **reply, int nkeys, int nwords, const char *const *words,
                   const size_t *lens) APS_MUST_CHECK;
/* Builds the EVALSHA command for script into cmd for use in a pipeline; loads the script first
 * when needed. Storage from the caller, alive until the command is sent: nwords + 3 slots in
 * argv and argv_lens, and nk for the key count. APS_E_IO when Redis cannot be reached to load
 * the script. */
int aps_redis_eval_cmd(struct aps_redis *r, const struct aps_redis_script *script, int nkeys,
                       int nwords, const char *const *words, const size_t *lens,
                       const char **argv, size_t *argv_lens, char nk[16],
                       struct aps_redis_cmd *cmd) APS_MUST_CHECK;
/* True when reply is an error reply that starts with prefix (e.g. "NOSCRIPT", "NOGROUP"). */
bool aps_redis_is_error(const redisReply *reply, const char *prefix);
/* Forgets the loaded script hashes (after a NOSCRIPT seen by a pipeline). */
void aps_redis_forget_scripts(struct aps_redis *r);
/* Round trip of a PING in milliseconds. */
int aps_redis_ping(struct aps_redis *r, double *ms) APS_MUST_CHECK;
/* Connection failures and I/O errors seen since open (for metrics and tests). */
uint64_t aps_redis_errors(struct aps_redis *r);
/* The last failure in words ("" when none). */
void aps_redis_last_error(struct aps_redis *r, char *buf, size_t cap);

#endif
