/* request.c — reading a request's query parameters and headers (http.h): plain lookups over the
 * arrays the server filled once when the request arrived. A request carries a handful of each,
 * so a linear scan is all the index it needs; comparing lengths first leaves the byte comparison
 * to the one name that can match. Also the request ids, drawn from a per-thread pool of random
 * bytes. */
#include <sodium.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "http/http.h"

/* The value of the first of kv[0..n) named name, compared without regard to case when nocase. */
static const char *find(const struct aps_http_kv *kv, size_t n, const char *name, bool nocase)
{
    size_t len = strlen(name);
    for (size_t i = 0; i < n; i++)
        if (kv[i].name_len == len &&
            !(nocase ? strncasecmp(kv[i].name, name, len) : memcmp(kv[i].name, name, len)))
            return kv[i].value;
    return NULL;
}

const char *aps_http_query(const struct aps_http_req *r, const char *name)
{
    return find(r->query, r->nquery, name, false);
}

const char *aps_http_header(const struct aps_http_req *r, const char *name)
{
    return find(r->headers, r->nheaders, name, true);
}

/* Random bytes per thread, refilled from the system's generator when used up: one system call
 * for every POOL / 16 ids instead of one per request. Each thread's pool is its own, and every
 * byte is used once, so ids are as unique as 128 random bits. */
#define POOL 4096

static _Thread_local unsigned char pool[POOL];
static _Thread_local size_t pool_used = POOL;

void aps_http_request_id_new(char out[33])
{
    static const char hex[] = "0123456789abcdef";
    if (pool_used + 16 > POOL) {
        if (sodium_init() < 0)
            abort(); /* no random source: the server refuses to start before this */
        randombytes_buf(pool, POOL);
        pool_used = 0;
    }
    const unsigned char *b = pool + pool_used;
    for (int i = 0; i < 16; i++) {
        out[2 * i] = hex[b[i] >> 4];
        out[2 * i + 1] = hex[b[i] & 15];
    }
    out[32] = '\0';
    sodium_memzero(pool + pool_used, 16); /* used bytes do not stay around */
    pool_used += 16;
}
