/* fuzz_csv.c — libFuzzer driver for the bounded CSV reader (src/core/csv.h): any bytes must give
 * rows, a clean end, or an error code — never a crash, a hang or an out-of-bounds access.
 * Build: cmake -B build-fuzz -DCMAKE_C_COMPILER=clang -DAPS_FUZZ=ON; run: build-fuzz/fuzz_csv
 * tests/fuzz/corpus/csv (the corpus seeds are cut from the real data files' quirks). */
#include <stddef.h>
#include <stdint.h>

#include "core/csv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct aps_csv *c = NULL;
    if (aps_csv_open_mem(&c, (const char *)data, size))
        return 0;
    char **f;
    size_t n, rows = 0;
    int rc;
    while ((rc = aps_csv_next(c, &f, &n)) == 1 && rows++ < 100000) {
        size_t total = 0;
        for (size_t i = 0; i < n; i++)
            for (const char *p = f[i]; *p; p++)
                total++;
        (void)total;
        (void)aps_csv_row_blank(f, n);
    }
    aps_csv_close(c);
    return 0;
}
