/* libs.c — the libraries' process-wide set-up (libs.h). */
#include "services/libs.h"

#include <curl/curl.h>
#include <jansson.h>

#include "core/mem.h"

int aps_libs_init(void)
{
    json_set_alloc_funcs(aps_malloc, aps_free);
    CURLcode rc = curl_global_init_mem(CURL_GLOBAL_DEFAULT, aps_malloc, aps_free, aps_realloc,
                                       aps_strdup, aps_calloc);
    return rc == CURLE_OK ? 0 : APS_E_IO;
}

void aps_libs_cleanup(void)
{
    curl_global_cleanup();
}
