/* fuzz_env.c — libFuzzer driver for the env-file parser of the settings (aps_config_parse_env in
 * src/config/config_int.h): any bytes give KEY=VALUE lines or APS_E_CONFIG with a message, never
 * a crash; every key and value handed to the callback is a NUL-terminated string. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config/config_int.h"
#include "core/mem.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int on_line(void *ud, const char *key, const char *value, int line, char *err, size_t cap)
{
    size_t *total = ud;
    if (line < 1)
        abort();
    *total += strlen(key) + strlen(value);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = aps_strndup((const char *)data, size); /* the parser reads NUL-terminated text */
    char err[256];
    size_t total = 0;
    int rc = aps_config_parse_env(text, "fuzz.env", on_line, &total, err, sizeof err);
    if (rc && rc != APS_E_CONFIG)
        abort();
    aps_free(text);
    return 0;
}
