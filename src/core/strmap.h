/* strmap.h — a string → int64 hash map (open addressing, linear probing). Keys are copied.
 * A zeroed struct is an empty map; cleanup frees and leaves it empty. Not thread-safe. */
#ifndef APS_CORE_STRMAP_H
#define APS_CORE_STRMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct aps_strmap {
    struct aps_strmap_slot *slots;
    size_t cap, len;
};

/* Sets key to value (inserting or replacing). */
void aps_strmap_put(struct aps_strmap *m, const char *key, int64_t value);
/* True and *value set when key is present. */
bool aps_strmap_get(const struct aps_strmap *m, const char *key, int64_t *value);
size_t aps_strmap_len(const struct aps_strmap *m);
void aps_strmap_clear(struct aps_strmap *m);
void aps_strmap_cleanup(struct aps_strmap *m);

#endif
