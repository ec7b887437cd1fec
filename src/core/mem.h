/* mem.h — the one allocator wrapper.
 *
 * Policy: running out of memory is not recoverable in this program; the wrappers print one line
 * and abort. Callers therefore never check the result for NULL. Memory from these functions is
 * released with aps_free() (which is free()). */
#ifndef APS_CORE_MEM_H
#define APS_CORE_MEM_H

#include <stddef.h>

void *aps_malloc(size_t n);
void *aps_calloc(size_t count, size_t size);
void *aps_realloc(void *p, size_t n);
char *aps_strdup(const char *s);
char *aps_strndup(const char *s, size_t n);
void aps_free(void *p);

/* The process's resident memory in bytes (/proc/self/statm), or 0 when it cannot be read. */
size_t aps_mem_resident(void);

/* A bump arena: many small allocations released together by aps_arena_cleanup(). A zeroed struct
 * is a valid empty arena; cleanup is safe on it. */
struct aps_arena {
    struct aps_arena_block *head;
};
void *aps_arena_alloc(struct aps_arena *a, size_t n);
char *aps_arena_strdup(struct aps_arena *a, const char *s);
void aps_arena_cleanup(struct aps_arena *a);
/* Releases every allocation but keeps the arena's first block (when it is of the usual size) for
 * the next ones: an arena used over and over (one per server thread) then allocates nothing. */
void aps_arena_reset(struct aps_arena *a);

#endif
