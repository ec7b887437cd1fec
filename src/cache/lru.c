/* lru.c — the in-process cache tier of lru.h. Each entry is one allocation holding the node, the
 * key and the value; the recency list runs from head (most recent) to tail (next to evict).
 * Bytes are counted as key length + value length, which is what callers can reason about.
 * An entry lent out by aps_lru_get_ref() counts its holders (under the lock): dropped from the
 * table while held, it leaves the table and the counts at once and is freed by its last release. */
#include "cache/lru.h"

#include <pthread.h>
#include <stdbool.h>
#include <string.h>

#include "core/mem.h"

struct entry {
    struct entry *hnext;       /* hash chain */
    struct entry *prev, *next; /* recency list */
    uint32_t hash;
    size_t klen, vlen;
    int64_t expires_ms;
    struct aps_lru *owner;
    int refs;                  /* holders of aps_lru_get_ref() */
    bool detached;             /* out of the table, freed by the last release */
    char *val;                 /* points into this allocation, after the key */
    char key[];
};

struct aps_lru {
    pthread_mutex_t mu;
    struct entry **buckets;
    size_t nbuckets; /* a power of two */
    struct entry *head, *tail;
    size_t max_entries, max_bytes;
    struct aps_lru_stats st;
};

static uint32_t hash_key(const char *s, size_t n)
{
    uint32_t h = 2166136261u; /* FNV-1a */
    for (size_t i = 0; i < n; i++) {
        h ^= (unsigned char)s[i];
        h *= 16777619u;
    }
    return h;
}

struct aps_lru *aps_lru_new(size_t max_entries, size_t max_bytes)
{
    struct aps_lru *l = aps_calloc(1, sizeof *l);
    l->max_entries = max_entries ? max_entries : 1;
    l->max_bytes = max_bytes ? max_bytes : 1;
    l->nbuckets = 16;
    while (l->nbuckets < l->max_entries && l->nbuckets < ((size_t)1 << 24))
        l->nbuckets <<= 1;
    l->buckets = aps_calloc(l->nbuckets, sizeof *l->buckets);
    pthread_mutex_init(&l->mu, NULL);
    return l;
}

void aps_lru_free(struct aps_lru *l)
{
    if (!l)
        return;
    struct entry *e = l->head;
    while (e) {
        struct entry *next = e->next;
        aps_free(e);
        e = next;
    }
    aps_free(l->buckets);
    pthread_mutex_destroy(&l->mu);
    aps_free(l);
}

static struct entry **find_slot(struct aps_lru *l, const char *key, size_t klen, uint32_t h)
{
    struct entry **pp = &l->buckets[h & (l->nbuckets - 1)];
    while (*pp && !((*pp)->hash == h && (*pp)->klen == klen && memcmp((*pp)->key, key, klen) == 0))
        pp = &(*pp)->hnext;
    return pp;
}

static void list_unlink(struct aps_lru *l, struct entry *e)
{
    if (e->prev)
        e->prev->next = e->next;
    else
        l->head = e->next;
    if (e->next)
        e->next->prev = e->prev;
    else
        l->tail = e->prev;
    e->prev = e->next = NULL;
}

static void list_push_front(struct aps_lru *l, struct entry *e)
{
    e->prev = NULL;
    e->next = l->head;
    if (l->head)
        l->head->prev = e;
    l->head = e;
    if (!l->tail)
        l->tail = e;
}

/* Unlinks e from its chain and the list and frees it; called with the lock held. */
static void drop(struct aps_lru *l, struct entry *e)
{
    struct entry **pp = find_slot(l, e->key, e->klen, e->hash);
    *pp = e->hnext;
    list_unlink(l, e);
    l->st.entries--;
    l->st.bytes -= e->klen + e->vlen;
    if (e->refs)
        e->detached = true;
    else
        aps_free(e);
}

/* Under the lock: the live entry of key, moved to the front, or NULL (an expired one is dropped
 * and counted). */
static struct entry *take_live_locked(struct aps_lru *l, const char *key, int64_t now_ms)
{
    size_t klen = strlen(key);
    struct entry *e = *find_slot(l, key, klen, hash_key(key, klen));
    if (e && e->expires_ms <= now_ms) {
        l->st.expirations++;
        drop(l, e);
        return NULL;
    }
    if (e) {
        list_unlink(l, e);
        list_push_front(l, e);
    }
    return e;
}

int aps_lru_get(struct aps_lru *l, const char *key, int64_t now_ms, char **val, size_t *len)
{
    int rc = APS_E_NOTFOUND;
    pthread_mutex_lock(&l->mu);
    struct entry *e = take_live_locked(l, key, now_ms);
    if (e) {
        *val = aps_malloc(e->vlen + 1);
        memcpy(*val, e->val, e->vlen);
        (*val)[e->vlen] = '\0';
        *len = e->vlen;
        rc = 0;
    }
    pthread_mutex_unlock(&l->mu);
    return rc;
}

int aps_lru_get_ref(struct aps_lru *l, const char *key, int64_t now_ms, const char **val,
                    size_t *len, struct aps_lru_ref **ref)
{
    int rc = APS_E_NOTFOUND;
    pthread_mutex_lock(&l->mu);
    struct entry *e = take_live_locked(l, key, now_ms);
    if (e) {
        e->refs++;
        *val = e->val;
        *len = e->vlen;
        *ref = (struct aps_lru_ref *)e;
        rc = 0;
    }
    pthread_mutex_unlock(&l->mu);
    return rc;
}

void aps_lru_release(struct aps_lru_ref *ref)
{
    struct entry *e = (struct entry *)ref;
    if (!e)
        return;
    struct aps_lru *l = e->owner;
    pthread_mutex_lock(&l->mu);
    bool last = --e->refs == 0 && e->detached;
    pthread_mutex_unlock(&l->mu);
    if (last)
        aps_free(e);
}

int aps_lru_set(struct aps_lru *l, const char *key, const char *val, size_t len,
                int64_t expires_ms)
{
    size_t klen = strlen(key);
    if (klen + len > l->max_bytes || klen + len < len)
        return APS_E_TOOBIG;
    uint32_t h = hash_key(key, klen);
    struct entry *e = aps_malloc(sizeof *e + klen + 1 + len);
    memcpy(e->key, key, klen + 1);
    e->val = e->key + klen + 1;
    memcpy(e->val, val, len);
    e->klen = klen;
    e->vlen = len;
    e->hash = h;
    e->expires_ms = expires_ms;
    e->owner = l;
    e->refs = 0;
    e->detached = false;
    pthread_mutex_lock(&l->mu);
    struct entry *old = *find_slot(l, key, klen, h);
    if (old)
        drop(l, old);
    while (l->tail && (l->st.entries + 1 > l->max_entries ||
                       l->st.bytes + klen + len > l->max_bytes)) {
        l->st.evictions++;
        drop(l, l->tail);
    }
    struct entry **slot = find_slot(l, key, klen, h);
    e->hnext = NULL;
    *slot = e;
    list_push_front(l, e);
    l->st.entries++;
    l->st.bytes += klen + len;
    pthread_mutex_unlock(&l->mu);
    return 0;
}

int aps_lru_del(struct aps_lru *l, const char *key)
{
    size_t klen = strlen(key);
    pthread_mutex_lock(&l->mu);
    struct entry *e = *find_slot(l, key, klen, hash_key(key, klen));
    if (e)
        drop(l, e);
    pthread_mutex_unlock(&l->mu);
    return e ? 0 : APS_E_NOTFOUND;
}

size_t aps_lru_del_prefix(struct aps_lru *l, const char *prefix)
{
    size_t plen = strlen(prefix), n = 0;
    pthread_mutex_lock(&l->mu);
    struct entry *e = l->head;
    while (e) {
        struct entry *next = e->next;
        if (e->klen >= plen && memcmp(e->key, prefix, plen) == 0) {
            drop(l, e);
            n++;
        }
        e = next;
    }
    pthread_mutex_unlock(&l->mu);
    return n;
}

void aps_lru_stats(struct aps_lru *l, struct aps_lru_stats *out)
{
    pthread_mutex_lock(&l->mu);
    *out = l->st;
    pthread_mutex_unlock(&l->mu);
}
