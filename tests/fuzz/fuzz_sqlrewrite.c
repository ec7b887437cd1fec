/* fuzz_sqlrewrite.c — libFuzzer driver for the ?N → $N rewriting of SQL for PostgreSQL
 * (src/store/store.h): any text must be rewritten or refused with an error, never overrun. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "core/buf.h"
#include "core/mem.h"
#include "store/store.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *sql = aps_strndup((const char *)data, size);
    struct aps_buf out = {0};
    int rc = aps_sql_rewrite_pg(sql, &out); /* any result is fine; only a crash is not */
    (void)rc;
    aps_buf_cleanup(&out);
    aps_free(sql);
    return 0;
}
