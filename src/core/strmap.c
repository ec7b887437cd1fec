/* strmap.c — string → int64 hash map (FNV-1a, linear probing, grows at 70 % load). */
#include "core/strmap.h"

#include <string.h>

#include "core/mem.h"

struct aps_strmap_slot {
    char *key; /* NULL = empty */
    uint64_t hash;
    int64_t value;
};

static uint64_t hash_str(const char *s)
{
    uint64_t h = 1469598103934665603ull;
    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 1099511628211ull;
    }
    return h;
}

static struct aps_strmap_slot *find(const struct aps_strmap *m, const char *key, uint64_t h)
{
    size_t mask = m->cap - 1;
    for (size_t i = h & mask;; i = (i + 1) & mask) {
        struct aps_strmap_slot *s = &m->slots[i];
        if (!s->key || (s->hash == h && !strcmp(s->key, key)))
            return s;
    }
}

static void grow(struct aps_strmap *m)
{
    struct aps_strmap old = *m;
    m->cap = old.cap ? old.cap * 2 : 64;
    m->slots = aps_calloc(m->cap, sizeof *m->slots);
    for (size_t i = 0; i < old.cap; i++) {
        if (!old.slots[i].key)
            continue;
        *find(m, old.slots[i].key, old.slots[i].hash) = old.slots[i];
    }
    aps_free(old.slots);
}

void aps_strmap_put(struct aps_strmap *m, const char *key, int64_t value)
{
    if ((m->len + 1) * 10 >= m->cap * 7)
        grow(m);
    uint64_t h = hash_str(key);
    struct aps_strmap_slot *s = find(m, key, h);
    if (!s->key) {
        s->key = aps_strdup(key);
        s->hash = h;
        m->len++;
    }
    s->value = value;
}

bool aps_strmap_get(const struct aps_strmap *m, const char *key, int64_t *value)
{
    if (!m->cap)
        return false;
    struct aps_strmap_slot *s = find(m, key, hash_str(key));
    if (!s->key)
        return false;
    *value = s->value;
    return true;
}

size_t aps_strmap_len(const struct aps_strmap *m)
{
    return m->len;
}

void aps_strmap_clear(struct aps_strmap *m)
{
    for (size_t i = 0; i < m->cap; i++) {
        aps_free(m->slots[i].key);
        m->slots[i].key = NULL;
    }
    m->len = 0;
}

void aps_strmap_cleanup(struct aps_strmap *m)
{
    aps_strmap_clear(m);
    aps_free(m->slots);
    m->slots = NULL;
    m->cap = 0;
}
