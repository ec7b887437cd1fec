/* lru.h — private to src/cache: the in-process cache tier, a bounded least-recently-used map from
 * string keys to byte values with a per-entry expiry. One mutex guards a hash table (chained,
 * sized once for the entry limit) and a recency list; both limits (entries and value bytes) are
 * enforced on every insert by evicting from the cold end.
 *
 * Times are milliseconds on any clock the caller keeps consistent (the cache passes a monotonic
 * clock; tests pass their own). */
#ifndef APS_CACHE_LRU_H
#define APS_CACHE_LRU_H

#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

struct aps_lru;

struct aps_lru_stats {
    size_t entries, bytes;
    uint64_t evictions, expirations;
};

/* max_entries >= 1, max_bytes >= 1; the table never grows past them. */
struct aps_lru *aps_lru_new(size_t max_entries, size_t max_bytes);
void aps_lru_free(struct aps_lru *l);
/* 0 and a copy in *val (aps_malloc, NUL-terminated for convenience, caller frees) when key is
 * present and unexpired at now_ms; APS_E_NOTFOUND otherwise (an expired entry is dropped). */
int aps_lru_get(struct aps_lru *l, const char *key, int64_t now_ms, char **val,
                size_t *len) APS_MUST_CHECK;
/* Like aps_lru_get() without the copy: *val points at the entry's bytes (not NUL-terminated),
 * which stay valid and unchanged until aps_lru_release(*ref), whatever happens to the key
 * meanwhile (replaced, deleted, expired, evicted). Every ref is released before aps_lru_free. */
struct aps_lru_ref;
int aps_lru_get_ref(struct aps_lru *l, const char *key, int64_t now_ms, const char **val,
                    size_t *len, struct aps_lru_ref **ref) APS_MUST_CHECK;
void aps_lru_release(struct aps_lru_ref *ref);
/* Inserts or replaces key; the entry expires at expires_ms. APS_E_TOOBIG when the key and value
 * alone exceed max_bytes (then nothing is stored: for a cache that is a normal outcome, so the
 * result may be ignored). */
int aps_lru_set(struct aps_lru *l, const char *key, const char *val, size_t len,
                int64_t expires_ms);
/* Drops key; 0 when it was there, APS_E_NOTFOUND otherwise. */
int aps_lru_del(struct aps_lru *l, const char *key);
/* Drops every entry whose key starts with prefix; returns how many. */
size_t aps_lru_del_prefix(struct aps_lru *l, const char *prefix);
void aps_lru_stats(struct aps_lru *l, struct aps_lru_stats *out);

#endif
