/* load_error.c — the one form of a loader's error line (loaders.h). */
#include "ingest/loaders.h"

#include <stdarg.h>
#include <stdio.h>

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
