/* mem.c — allocation wrappers with an abort-on-OOM policy, the resident size, and a bump arena. */
#include "core/mem.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void oom(size_t n)
{
    fprintf(stderr, "aps: out of memory allocating %zu bytes\n", n);
    abort();
}

void *aps_malloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p)
        oom(n);
    return p;
}

void *aps_calloc(size_t count, size_t size)
{
    void *p = calloc(count ? count : 1, size ? size : 1);
    if (!p)
        oom(count * size);
    return p;
}

void *aps_realloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    if (!q)
        oom(n);
    return q;
}

char *aps_strdup(const char *s)
{
    return aps_strndup(s, strlen(s));
}

char *aps_strndup(const char *s, size_t n)
{
    char *p = aps_malloc(n + 1);
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

size_t aps_mem_resident(void)
{
    FILE *f = fopen("/proc/self/statm", "r");
    unsigned long long size = 0, resident = 0;
    long page = sysconf(_SC_PAGESIZE);
    if (!f)
        return 0;
    int n = fscanf(f, "%llu %llu", &size, &resident);
    fclose(f);
    return n == 2 && page > 0 ? (size_t)(resident * (unsigned long long)page) : 0;
}

void aps_free(void *p)
{
    free(p);
}

struct aps_arena_block {
    struct aps_arena_block *next;
    size_t used, cap;
    max_align_t data[];
};

#define ARENA_BLOCK 16384

void *aps_arena_alloc(struct aps_arena *a, size_t n)
{
    size_t need = (n + sizeof(max_align_t) - 1) & ~(sizeof(max_align_t) - 1);
    struct aps_arena_block *b = a->head;
    if (!b || b->cap - b->used < need) {
        size_t cap = need > ARENA_BLOCK ? need : ARENA_BLOCK;
        b = aps_malloc(sizeof(*b) + cap);
        b->cap = cap;
        b->used = 0;
        b->next = a->head;
        a->head = b;
    }
    void *p = (char *)b->data + b->used;
    b->used += need;
    return p;
}

char *aps_arena_strdup(struct aps_arena *a, const char *s)
{
    size_t n = strlen(s);
    char *p = aps_arena_alloc(a, n + 1);
    memcpy(p, s, n + 1);
    return p;
}

void aps_arena_reset(struct aps_arena *a)
{
    struct aps_arena_block *b = a->head, *keep = NULL;
    while (b) {
        struct aps_arena_block *next = b->next;
        if (!next && b->cap == ARENA_BLOCK) {
            keep = b;
            keep->used = 0;
        } else {
            free(b);
        }
        b = next;
    }
    a->head = keep;
}

void aps_arena_cleanup(struct aps_arena *a)
{
    struct aps_arena_block *b = a->head;
    while (b) {
        struct aps_arena_block *next = b->next;
        free(b);
        b = next;
    }
    a->head = NULL;
}
