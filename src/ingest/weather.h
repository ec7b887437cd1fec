/* weather.h — current weather in the OpenWeatherMap shape (reference §4.4) for outdoor games
 * shortly before they start.
 *
 * URL: {WEATHER_API_BASE_URL}/weather?q=City,ST,US&appid=KEY (or lat/lon when the venue has
 * coordinates). The default units are standard: Kelvin and metres per second; the parser turns
 * them into °F and mph for the weather table. Indoor venues get a dome row with no readings and
 * are never fetched. */
#ifndef APS_INGEST_WEATHER_H
#define APS_INGEST_WEATHER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/domain.h"
#include "core/err.h"

struct aps_buf;

struct aps_weather_obs {
    double temperature_f;
    double wind_mph;
    double humidity_pct;
    char conditions[64];  /* "few clouds" */
    int64_t observed_at;  /* the reading's dt, UTC seconds */
    char place[64];       /* the name the service gives the place */
};

double aps_weather_kelvin_to_f(double k);
double aps_weather_ms_to_mph(double ms);

/* Parses a /data/2.5/weather body. APS_E_PARSE when main.temp or dt is missing. */
int aps_weather_parse(const char *json, size_t len, struct aps_weather_obs *out, char *err,
                      size_t errcap) APS_MUST_CHECK;

/* True for sports played outdoors (NFL, NCAAF, CFL, MLB, tennis), whose weather matters. */
bool aps_weather_sport(enum aps_sport s);
/* True when a game needs a reading now: an outdoor sport, a venue not known to be indoor
 * (indoor: 1, 0, -1 unknown), and a start within lead_s seconds from now (not yet started). */
bool aps_weather_due(enum aps_sport s, int indoor, int64_t start, int64_t now, int64_t lead_s);

/* {base}/weather?lat=…&lon=… when both are finite, else ?q=place; then appid=key. */
void aps_weather_url(struct aps_buf *url, const char *base, const char *place, double lat,
                     double lon, const char *key);

#endif
