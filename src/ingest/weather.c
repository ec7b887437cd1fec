/* weather.c — OpenWeatherMap current-weather parser, the due rule and the URL (see weather.h).
 *
 * Shape: {coord, weather:[{main, description}], main:{temp, humidity, …}, wind:{speed, deg},
 *         dt, name, cod}. Temperatures in Kelvin, wind in m/s (the service's standard units). */
#include "ingest/weather.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "core/buf.h"
#include "core/str.h"
#include "ingest/collect_http.h"

double aps_weather_kelvin_to_f(double k)
{
    return (k - 273.15) * 9.0 / 5.0 + 32.0;
}

double aps_weather_ms_to_mph(double ms)
{
    return ms * 3600.0 / 1609.344;
}

static double jnum(const json_t *o, const char *key)
{
    json_t *v = json_object_get(o, key);
    return json_is_number(v) ? json_number_value(v) : NAN;
}

int aps_weather_parse(const char *json, size_t len, struct aps_weather_obs *out, char *err,
                      size_t errcap)
{
    memset(out, 0, sizeof *out);
    json_error_t je;
    json_t *root = json_loadb(json, len, 0, &je);
    if (!root) {
        snprintf(err, errcap, "weather: %s (line %d, column %d)", je.text, je.line, je.column);
        return APS_E_PARSE;
    }
    json_t *main = json_object_get(root, "main");
    double k = jnum(main, "temp"), dt = jnum(root, "dt");
    int rc = 0;
    if (isnan(k) || isnan(dt) || k < 150 || k > 350) {
        snprintf(err, errcap, "weather: no main.temp (Kelvin) or dt in the answer");
        rc = APS_E_PARSE;
    } else {
        out->temperature_f = aps_weather_kelvin_to_f(k);
        double ws = jnum(json_object_get(root, "wind"), "speed");
        out->wind_mph = isnan(ws) ? NAN : aps_weather_ms_to_mph(ws);
        out->humidity_pct = jnum(main, "humidity");
        out->observed_at = (int64_t)dt;
        json_t *w0 = json_array_get(json_object_get(root, "weather"), 0);
        const char *desc = json_string_value(json_object_get(w0, "description"));
        (void)aps_str_copy(out->conditions, sizeof out->conditions, desc ? desc : "");
        const char *name = json_string_value(json_object_get(root, "name"));
        (void)aps_str_copy(out->place, sizeof out->place, name ? name : "");
    }
    json_decref(root);
    return rc;
}

bool aps_weather_sport(enum aps_sport s)
{
    return s == APS_SPORT_NFL || s == APS_SPORT_NCAAF || s == APS_SPORT_CFL ||
           s == APS_SPORT_MLB || s == APS_SPORT_ATP || s == APS_SPORT_WTA;
}

bool aps_weather_due(enum aps_sport s, int indoor, int64_t start, int64_t now, int64_t lead_s)
{
    return aps_weather_sport(s) && indoor != 1 && start > now && start - now <= lead_s;
}

void aps_weather_url(struct aps_buf *url, const char *base, const char *place, double lat,
                     double lon, const char *key)
{
    aps_buf_reset(url);
    size_t n = strlen(base);
    while (n && base[n - 1] == '/')
        n--;
    aps_buf_append(url, base, n);
    aps_buf_puts(url, "/weather");
    if (isfinite(lat) && isfinite(lon)) {
        char v[32];
        snprintf(v, sizeof v, "%.4f", lat);
        aps_collect_url_param(url, "lat", v);
        snprintf(v, sizeof v, "%.4f", lon);
        aps_collect_url_param(url, "lon", v);
    } else {
        aps_collect_url_param(url, "q", place ? place : "");
    }
    aps_collect_url_param(url, "appid", key ? key : "");
}
