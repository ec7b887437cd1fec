/* cache_test.h — helpers shared by the tests of src/cache: a configuration built from explicit
 * settings (no files, no process environment), the test Redis from APS_TEST_REDIS_URL with a
 * key prefix of its own per run (so runs can overlap), and clean-up of that prefix.
 *
 * Redis comes from `eval "$(scripts/redistest start)"`. Without APS_TEST_REDIS_URL a test that
 * needs it fails, unless APS_TEST_REDIS_OPTIONAL=1, when only the Redis cases are skipped. */
#ifndef APS_TEST_CACHE_TEST_H
#define APS_TEST_CACHE_TEST_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cache/redis.h"
#include "config/config.h"
#include "core/mem.h"

/* Loads a configuration from "KEY=VALUE" strings (NULL-terminated). */
static __attribute__((unused)) struct aps_config *config_from(const char *const *settings)
{
    char *envp[32];
    int n = 0;
    envp[n++] = (char *)"APS_SECRETS_DIR=/nonexistent-aps-test";
    for (int i = 0; settings[i] && n < 31; i++)
        envp[n++] = (char *)(uintptr_t)settings[i];
    envp[n] = NULL;
    struct aps_config_opts o = {envp, "/nonexistent-aps-test-config"};
    struct aps_config *cfg = NULL;
    char err[512] = "";
    if (aps_config_load(&cfg, &o, err, sizeof err))
        fail_msg("aps_config_load: %s", err);
    return cfg;
}

/* The test Redis URL, or NULL when none is configured. */
static __attribute__((unused)) const char *test_redis_url(void)
{
    const char *url = getenv("APS_TEST_REDIS_URL");
    return url && *url ? url : NULL;
}

/* Decides what to do without Redis: returns true to go on (with or without Redis), false to fail
 * the program with a clear message. */
static __attribute__((unused)) bool redis_available_or_optional(const char *prog)
{
    if (test_redis_url())
        return true;
    const char *opt = getenv("APS_TEST_REDIS_OPTIONAL");
    bool optional = opt && strcmp(opt, "1") == 0;
    fprintf(stderr, "%s: APS_TEST_REDIS_URL is not set; start a server with "
                    "`eval \"$(scripts/redistest start)\"`%s\n",
            prog, optional ? " (Redis cases skipped: APS_TEST_REDIS_OPTIONAL=1)"
                           : " or set APS_TEST_REDIS_OPTIONAL=1");
    return optional;
}

/* A key prefix unique to this process and call. */
static __attribute__((unused)) void unique_prefix(char *out, size_t cap, const char *what)
{
    static int seq;
    snprintf(out, cap, "apstest_%s_%ld_%ld_%d", what, (long)getpid(), (long)time(NULL), ++seq);
}

/* Deletes every key under prefix on the test Redis (a throwaway server, so KEYS is fine). */
static __attribute__((unused)) void redis_drop_prefix(const char *prefix)
{
    static const struct aps_redis_script drop = {
        "local ks = redis.call('KEYS', ARGV[1] .. '*')\n"
        "for _, k in ipairs(ks) do redis.call('DEL', k) end\n"
        "return #ks\n"};
    struct aps_redis *r = NULL;
    char err[256];
    redisReply *rep = NULL;
    if (!test_redis_url() || aps_redis_open(&r, test_redis_url(), 1, err, sizeof err))
        return;
    const char *words[] = {prefix};
    if (aps_redis_eval(r, 5000, &drop, &rep, 0, 1, words, NULL) == 0)
        freeReplyObject(rep);
    aps_redis_close(r);
}

/* Runs one command on the test Redis and returns its reply (caller frees); fails the test when
 * Redis does not answer. */
static __attribute__((unused)) redisReply *redis_raw(int argc, const char *const *argv,
                                                     const size_t *lens)
{
    struct aps_redis *r = NULL;
    char err[256];
    redisReply *rep = NULL;
    if (aps_redis_open(&r, test_redis_url(), 1, err, sizeof err))
        fail_msg("aps_redis_open: %s", err);
    struct aps_redis_cmd cmd = {argc, argv, lens};
    int rc = aps_redis_pipeline(r, 5000, 1, &cmd, &rep);
    aps_redis_close(r);
    if (rc)
        fail_msg("redis command %s failed: %s", argv[0], aps_strerror(rc));
    return rep;
}

static __attribute__((unused)) void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

#endif
