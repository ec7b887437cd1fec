/* libs.h — process-wide set-up of the third-party libraries, done once at the top of main()
 * while the process is still single-threaded:
 *   - jansson and libcurl allocate through core/mem.h (aps_malloc, aps_free, ...), so the
 *     out-of-memory policy is one and their memory (json_dumps text) is released with aps_free;
 *   - libcurl's global state is initialised before any thread can start a transfer
 *     (curl_global_init is not thread-safe).
 * hiredis 0.14, the version this platform builds against, has no allocator hooks
 * (hiredisSetAllocators arrived in hiredis 1.0): its replies stay on the C library's malloc and
 * are released with freeReplyObject only. */
#ifndef APS_SERVICES_LIBS_H
#define APS_SERVICES_LIBS_H

#include "core/err.h"

/* 0, or APS_E_IO when libcurl cannot initialise. Call before any thread starts, once. */
int aps_libs_init(void) APS_MUST_CHECK;
/* Releases libcurl's global state; call after every thread has stopped. */
void aps_libs_cleanup(void);

#endif
