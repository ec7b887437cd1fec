/* principal_cache.c — verified bearer tokens (see principal_cache.h).
 *
 * Process-wide state on purpose, like the status cache of authn.c: the authenticate hook gets
 * only the application context. A set-associative table under one mutex (the critical section
 * is a hash compare and a copy of the claims); a digest of the key set it was filled under is
 * kept, and a lookup under another key set empties the table first. */
#include "services/principal_cache.h"

#include <pthread.h>
#include <sodium.h>
#include <stdbool.h>
#include <string.h>

#include "core/mem.h"

struct entry {
    uint64_t hash; /* keyed hash of the token; 0 for an empty entry */
    uint64_t used; /* tick of the last hit, for eviction */
    char token[APS_PRINCIPAL_TOKEN_MAX];
    struct aps_auth_claims claims;
};

static struct {
    pthread_mutex_t lock;
    unsigned char key[crypto_shorthash_KEYBYTES];
    bool filled;                          /* keys holds the digest of a key set */
    unsigned char keys[crypto_generichash_BYTES]; /* the key set the entries were verified with */
    uint64_t tick, hits, misses;
    struct entry e[APS_PRINCIPAL_SETS][APS_PRINCIPAL_WAYS];
} pc = {.lock = PTHREAD_MUTEX_INITIALIZER};

static pthread_once_t key_once = PTHREAD_ONCE_INIT;
static bool key_ok;

static void make_key(void)
{
    key_ok = sodium_init() >= 0;
    if (key_ok)
        crypto_shorthash_keygen(pc.key);
}

static uint64_t token_hash(const char *token, size_t n)
{
    unsigned char h[crypto_shorthash_BYTES];
    uint64_t v;
    crypto_shorthash(h, (const unsigned char *)token, n, pc.key);
    memcpy(&v, h, sizeof v);
    return v ? v : 1;
}

static void clear_locked(void)
{
    memset(pc.e, 0, sizeof pc.e);
}

/* The digest of a key set: each key with its length, in order (NULL and empty ones as empty). */
static void keyset_digest(const char *const *secrets, size_t n,
                          unsigned char out[crypto_generichash_BYTES])
{
    crypto_generichash_state st;
    crypto_generichash_init(&st, NULL, 0, crypto_generichash_BYTES);
    for (size_t i = 0; i < n; i++) {
        uint64_t len = secrets[i] ? strlen(secrets[i]) : 0;
        crypto_generichash_update(&st, (const unsigned char *)&len, sizeof len);
        if (len)
            crypto_generichash_update(&st, (const unsigned char *)secrets[i], len);
    }
    crypto_generichash_final(&st, out, crypto_generichash_BYTES);
}

/* Under the lock: the entry of this token, or NULL. Adopts the key set (emptying the table) when
 * it is not the one the entries were made with. */
static struct entry *find_locked(const unsigned char *keys, const char *token, uint64_t h)
{
    if (!pc.filled || sodium_memcmp(pc.keys, keys, sizeof pc.keys)) {
        clear_locked();
        memcpy(pc.keys, keys, sizeof pc.keys);
        pc.filled = true;
        return NULL;
    }
    struct entry *set = pc.e[h % APS_PRINCIPAL_SETS];
    for (int w = 0; w < APS_PRINCIPAL_WAYS; w++)
        if (set[w].hash == h && aps_auth_equal(set[w].token, token))
            return &set[w];
    return NULL;
}

static void remember_locked(const char *token, uint64_t h, const struct aps_auth_claims *cl)
{
    struct entry *set = pc.e[h % APS_PRINCIPAL_SETS], *victim = &set[0];
    for (int w = 0; w < APS_PRINCIPAL_WAYS; w++) {
        if (set[w].hash == h && !strcmp(set[w].token, token))
            return; /* another thread got there first */
        if (set[w].used < victim->used)
            victim = &set[w];
    }
    victim->hash = h;
    victim->used = ++pc.tick;
    memcpy(victim->token, token, strlen(token) + 1);
    victim->claims = *cl;
}

int aps_principal_verify_keys(const char *const *secrets, size_t nkeys, const char *token,
                              int64_t now, struct aps_auth_claims *out)
{
    size_t n = strlen(token);
    pthread_once(&key_once, make_key);
    if (!key_ok || n >= APS_PRINCIPAL_TOKEN_MAX)
        return aps_auth_token_verify_keys(secrets, nkeys, token, now, out);
    unsigned char keys[crypto_generichash_BYTES];
    keyset_digest(secrets, nkeys, keys);
    uint64_t h = token_hash(token, n);
    pthread_mutex_lock(&pc.lock);
    struct entry *e = find_locked(keys, token, h);
    bool hit = e && e->claims.exp > now;
    if (hit) {
        *out = e->claims;
        e->used = ++pc.tick;
        pc.hits++;
    } else {
        pc.misses++;
    }
    pthread_mutex_unlock(&pc.lock);
    if (hit)
        return 0;
    int rc = aps_auth_token_verify_keys(secrets, nkeys, token, now, out);
    if (rc == 0) {
        pthread_mutex_lock(&pc.lock);
        if (pc.filled && !sodium_memcmp(pc.keys, keys, sizeof pc.keys))
            remember_locked(token, h, out);
        pthread_mutex_unlock(&pc.lock);
    }
    return rc;
}

int aps_principal_verify(const char *secret, const char *token, int64_t now,
                         struct aps_auth_claims *out)
{
    if (!secret)
        return aps_auth_token_verify(secret, token, now, out);
    return aps_principal_verify_keys(&secret, 1, token, now, out);
}

void aps_principal_cache_clear(void)
{
    pthread_mutex_lock(&pc.lock);
    clear_locked();
    pthread_mutex_unlock(&pc.lock);
}

void aps_principal_cache_counts(struct aps_principal_cache_counts *out)
{
    pthread_mutex_lock(&pc.lock);
    out->hits = pc.hits;
    out->misses = pc.misses;
    pthread_mutex_unlock(&pc.lock);
}
