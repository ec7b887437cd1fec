/* fetch.h — brings a data file named by URL (http://, https://, file://) to a local temporary
 * file so the loaders can read it like any other path. Bounded in size and time. */
#ifndef APS_INGEST_FETCH_H
#define APS_INGEST_FETCH_H

#include <stdbool.h>
#include <stddef.h>

#include "core/err.h"

#define APS_FETCH_MAX_BYTES (256u << 20)

/* True when s looks like a URL this module can fetch. */
bool aps_fetch_is_url(const char *s);
/* Downloads url into a new temporary file whose path is written to path_out (cap >= 64); the
 * file keeps the URL's last path segment as its suffix so loaders can infer sport and season
 * from the name. The caller removes the file. */
int aps_fetch_to_temp(const char *url, char *path_out, size_t cap, char *err,
                      size_t errcap) APS_MUST_CHECK;

#endif
