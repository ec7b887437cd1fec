/* fuzz_weather.c — libFuzzer driver for the OpenWeatherMap current-weather parser
 * (src/ingest/weather.h): any bytes give one reading or APS_E_PARSE, never a crash. */
#include <stddef.h>
#include <stdint.h>

#include <stdlib.h>

#include "ingest/weather.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct aps_weather_obs obs;
    char err[256] = "";
    int rc = aps_weather_parse((const char *)data, size, &obs, err, sizeof err);
    if (rc && !err[0]) /* a failure must say why */
        abort();
    return 0;
}
