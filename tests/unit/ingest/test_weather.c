/* test_weather.c — the OpenWeatherMap parser on the real London sample (Kelvin → °F, m/s → mph),
 * the rule of which games get a reading, and the request URL. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "core/buf.h"
#include "ingest/weather.h"

#define SAMPLE APS_DATA_DIR_DEFAULT "/api-samples/openweathermap/current_weather_london_2023-05-26.json"

static void test_london_sample(void **state)
{
    (void)state;
    FILE *f = fopen(SAMPLE, "rb");
    assert_non_null(f);
    char body[4096];
    size_t len = fread(body, 1, sizeof body, f);
    fclose(f);
    struct aps_weather_obs w;
    char err[128];
    assert_int_equal(aps_weather_parse(body, len, &w, err, sizeof err), 0);
    /* 288.45 K = 15.3 °C = 59.54 °F; 6.17 m/s = 13.80 mph */
    assert_true(fabs(w.temperature_f - 59.54) < 0.01);
    assert_true(fabs(w.wind_mph - 13.802) < 0.01);
    assert_true(fabs(w.humidity_pct - 58) < 1e-9);
    assert_string_equal(w.conditions, "few clouds");
    assert_int_equal(w.observed_at, 1685094601);
    assert_string_equal(w.place, "London");
}

static void test_conversions(void **state)
{
    (void)state;
    assert_true(fabs(aps_weather_kelvin_to_f(273.15) - 32.0) < 1e-9);
    assert_true(fabs(aps_weather_kelvin_to_f(373.15) - 212.0) < 1e-9);
    assert_true(fabs(aps_weather_ms_to_mph(1.0) - 2.236936) < 1e-6);
}

static void test_bad_bodies(void **state)
{
    (void)state;
    struct aps_weather_obs w;
    char err[128] = "";
    const char *no_temp = "{\"cod\":\"404\",\"message\":\"city not found\"}";
    assert_int_equal(aps_weather_parse(no_temp, strlen(no_temp), &w, err, sizeof err), APS_E_PARSE);
    assert_int_equal(aps_weather_parse("{\"main\":{\"temp\":2", 18, &w, err, sizeof err),
                     APS_E_PARSE);
    const char *celsius = "{\"main\":{\"temp\":15.3},\"dt\":1}"; /* units=metric: refused */
    assert_int_equal(aps_weather_parse(celsius, strlen(celsius), &w, err, sizeof err), APS_E_PARSE);
}

static void test_due(void **state)
{
    (void)state;
    int64_t now = 1000000, h = 3600;
    assert_true(aps_weather_due(APS_SPORT_NFL, 0, now + 3 * h, now, 4 * h));
    assert_true(aps_weather_due(APS_SPORT_MLB, -1, now + 4 * h, now, 4 * h)); /* unknown venue */
    assert_false(aps_weather_due(APS_SPORT_NFL, 1, now + 3 * h, now, 4 * h)); /* dome */
    assert_false(aps_weather_due(APS_SPORT_NFL, 0, now + 5 * h, now, 4 * h)); /* too early */
    assert_false(aps_weather_due(APS_SPORT_NFL, 0, now - 60, now, 4 * h));    /* started */
    assert_false(aps_weather_due(APS_SPORT_NBA, 0, now + h, now, 4 * h));     /* indoor sport */
}

static void test_url(void **state)
{
    (void)state;
    struct aps_buf u = {0};
    aps_weather_url(&u, "https://api.openweathermap.org/data/2.5/", "Landover,MD,US", NAN, NAN,
                    "k1");
    assert_string_equal(aps_buf_str(&u),
                        "https://api.openweathermap.org/data/2.5/weather?q=Landover,MD,US&appid=k1");
    aps_weather_url(&u, "http://m/data/2.5", NULL, 38.9078, -76.8645, "k2");
    assert_string_equal(aps_buf_str(&u), "http://m/data/2.5/weather?lat=38.9078&lon=-76.8645&appid=k2");
    aps_buf_cleanup(&u);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_london_sample), cmocka_unit_test(test_conversions),
        cmocka_unit_test(test_bad_bodies),    cmocka_unit_test(test_due),
        cmocka_unit_test(test_url),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
