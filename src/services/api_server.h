/* api_server.h — the REST API server: the HTTP layer (http.h) wired to the application context
 * (app.h): the route table of routes.def, authentication (authn.h), rate limits
 * (cache/ratelimit.h) and the response cache (cache/cache.h). `aps api` and `aps serve` start it.
 *
 * Response cache keys: the HTTP layer builds "GET /api/v1/<group>/…?sorted-query[#u<user>]";
 * the cache tag is <group>, the first path segment after /api/v1/ ("predictions", "odds",
 * "games", …), so aps_cache_invalidate(cache, "predictions") makes every cached prediction answer
 * stale. Cached values hold the ETag, a newline, then the body. */
#ifndef APS_SERVICES_API_SERVER_H
#define APS_SERVICES_API_SERVER_H

#include <stddef.h>

#include "core/err.h"
#include "http/http.h"

struct aps_app;

/* Fills o for app: routes, hooks (each left NULL when the app lacks the part), metrics (unless
 * METRICS_ENABLED is false), log, limits left at the HTTP layer's defaults. host and port are the
 * caller's; threads 0 (one per core). */
void aps_api_server_opts(struct aps_http_server_opts *o, struct aps_app *app, const char *host,
                         int port);

/* How long answers of a route with cache policy p are kept (the CACHE_TTL_* settings), seconds;
 * 0 for none. */
int aps_api_cache_ttl(const struct aps_app *app, enum aps_cache_policy p);

/* The request threads to run for `requested` (0: one per core). On an embedded store (SQLite) a
 * request's store reads are CPU work in this process, so threads beyond the cores only add
 * switching. On a remote store (PostgreSQL) a thread waits out every round trip; the api then
 * runs at least DATABASE_POOL_SIZE threads, so that every pooled connection can have a query in
 * flight while other threads use the cores (measured in bench/results/api-db.md). */
int aps_api_server_threads(const struct aps_app *app, int requested);

/* Sets the process's allocator up for serving requests, before the server starts: glibc's
 * fastbins off (M_MXFAST 0; the per-thread caches stay). With them, every allocation of 1 KiB or
 * more (libpq's result blocks, response buffers) first merged the fastbins a request's small
 * frees had filled: malloc_consolidate was 6-9 % of the api's CPU on PostgreSQL reads, and about
 * a tenth of its CPU per request went away without it (bench/results/api-db.md). */
void aps_api_server_tune_malloc(void);

/* Before anything else in `aps api` and `aps serve` (argv: the process's own, argv[0] first):
 * glibc keeps at most 7 freed blocks of each size per thread (tcache) unless GLIBC_TUNABLES,
 * read once when a process starts, says otherwise, and a request allocates and frees hundreds
 * of small blocks (JSON trees, result rows), so most of them went through the slower bins. With
 * 256 an uncached list read took 0.85x the CPU (bench/results/api-db.md). So the process starts
 * itself again, once, with glibc.malloc.tcache_count=256 added to GLIBC_TUNABLES — unless the
 * variable already names a tcache count (the operator's choice stands, and the restarted
 * process sees it). Returns only when it does not restart (then nothing is changed). */
void aps_api_server_exec_tuned(char **argv);

/* The tag the response cache files a key under (see above); writes "api" when the key names no
 * group. out needs 33 bytes. */
void aps_api_cache_tag(const char *key, char out[33]);

#endif
