/* fuzz_http_json.c — libFuzzer driver for the request-body JSON parser of the HTTP layer
 * (aps_http_parse_json: jansson with the server's own nesting-depth limit). */
#include <stddef.h>
#include <stdint.h>

#include "http/http.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    json_t *j = NULL;
    char msg[256];
    if (aps_http_parse_json((const char *)data, size, 32, &j, msg, sizeof msg) == 0 && j)
        json_decref(j);
    return 0;
}
