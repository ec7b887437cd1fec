/* load_error.c — the one form of a loader's error line, and the check that refuses a header
 * naming a column the loader reads twice (loaders.h). */
#include "ingest/loaders.h"

#include <stdarg.h>
#include <stdio.h>

#include "core/csv.h"

int aps_load_error(char *err, size_t errcap, const char *path, size_t line, int rc, const char *fmt,
                   ...)
{
    char msg[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (err && errcap) {
        if (line)
            snprintf(err, errcap, "%s:%zu: %s", path, line, msg);
        else
            snprintf(err, errcap, "%s: %s", path, msg);
    }
    return rc;
}

int aps_load_repeated(char *err, size_t errcap, const char *path, const char *name, int a, int b)
{
    return aps_load_error(err, errcap, path, 1, APS_E_PARSE,
                          "column %s appears twice in the header (columns %d and %d): which one "
                          "holds the values is not known",
                          name, (a < b ? a : b) + 1, (a < b ? b : a) + 1);
}

int aps_load_check_columns(char **header, size_t n, const int *cols, size_t ncols, const char *path,
                           char *err, size_t errcap)
{
    int other = -1, i = aps_csv_repeated(header, n, cols, ncols, &other);
    return i < 0 ? 0 : aps_load_repeated(err, errcap, path, header[i], i, other);
}
