/* nfl_venues.c — stadium places and time zones the NFL files lack (see nfl_venues.h). */
#include "ingest/nfl_venues.h"

#include <stddef.h>
#include <string.h>

#define N_OF(a) (sizeof(a) / sizeof((a)[0]))

/* Stadiums in spreadspoke_scores.csv without coordinates in nfl_stadiums.csv; coordinates to
 * about 0.01 degree (around 1 km), which is far finer than travel distances need. */
static const struct {
    const char *name, *location;
    double lat, lon;
} places[] = {
    {"FedEx Field", "Landover, MD", 38.91, -76.86},
    {"Louisiana Superdome", "New Orleans, LA", 29.95, -90.08},
    {"Mercedes-Benz Superdome", "New Orleans, LA", 29.95, -90.08},
    {"Caesars Superdome", "New Orleans, LA", 29.95, -90.08},
    {"Georgia Dome", "Atlanta, GA", 33.76, -84.40},
    {"Mercedes-Benz Stadium", "Atlanta, GA", 33.76, -84.40},
    {"Atlanta-Fulton County Stadium", "Atlanta, GA", 33.74, -84.39},
    {"Ford Field", "Detroit, MI", 42.34, -83.05},
    {"Pontiac Silverdome", "Pontiac, MI", 42.65, -83.26},
    {"Edward Jones Dome", "St. Louis, MO", 38.63, -90.19},
    {"Hubert H. Humphrey Metrodome", "Minneapolis, MN", 44.97, -93.26},
    {"Mall of America Field", "Minneapolis, MN", 44.97, -93.26},
    {"U.S. Bank Stadium", "Minneapolis, MN", 44.97, -93.26},
    {"RCA Dome", "Indianapolis, IN", 39.76, -86.16},
    {"Seattle Kingdome", "Seattle, WA", 47.60, -122.33},
    {"Lumen Field", "Seattle, WA", 47.60, -122.33},
    {"SoFi Stadium", "Inglewood, CA", 33.95, -118.34},
    {"Dignity Health Sports Park", "Carson, CA", 33.86, -118.26},
    {"Anaheim Stadium", "Anaheim, CA", 33.80, -117.88},
    {"Jack Murphy Stadium", "San Diego, CA", 32.78, -117.12},
    {"Rose Bowl", "Pasadena, CA", 34.16, -118.17},
    {"Stanford Stadium", "Stanford, CA", 37.43, -122.16},
    {"Houston Astrodome", "Houston, TX", 29.68, -95.41},
    {"Alamo Dome", "San Antonio, TX", 29.42, -98.48},
    {"TIAA Bank Field", "Jacksonville, FL", 30.32, -81.64},
    {"Alltel Stadium", "Jacksonville, FL", 30.32, -81.64},
    {"Joe Robbie Stadium", "Miami Gardens, FL", 25.96, -80.24},
    {"Pro Player Stadium", "Miami Gardens, FL", 25.96, -80.24},
    {"Dolphin Stadium", "Miami Gardens, FL", 25.96, -80.24},
    {"Tampa Stadium", "Tampa, FL", 27.98, -82.50},
    {"Allegiant Stadium", "Las Vegas, NV", 36.09, -115.18},
    {"Highmark Stadium", "Orchard Park, NY", 42.77, -78.79},
    {"Empower Field at Mile High", "Denver, CO", 39.74, -105.02},
    {"State Farm Stadium", "Glendale, AZ", 33.53, -112.26},
    {"GEHA Field at Arrowhead Stadium", "Kansas City, MO", 39.05, -94.48},
    {"Paycor Stadium", "Cincinnati, OH", 39.10, -84.52},
    {"Acrisure Stadium", "Pittsburgh, PA", 40.45, -80.02},
    {"Memorial Stadium (Champaign)", "Champaign, IL", 40.10, -88.24},
    {"Memorial Stadium (Clemson)", "Clemson, SC", 34.68, -82.84},
    {"Liberty Bowl Memorial Stadium", "Memphis, TN", 35.12, -89.98},
    {"Tiger Stadium (LSU)", "Baton Rouge, LA", 30.41, -91.18},
    {"Wembley Stadium", "London, UK", 51.56, -0.28},
    {"Twickenham Stadium", "London, UK", 51.46, -0.34},
    {"Tottenham Hotspur Stadium", "London, UK", 51.60, -0.07},
    {"Rogers Centre", "Toronto, Canada", 43.64, -79.39},
    {"Estadio Azteca", "Mexico City, Mexico", 19.30, -99.15},
    {"Frankfurt Stadium", "Frankfurt, Germany", 50.07, 8.65},
    {"Allianz Arena", "Munich, Germany", 48.22, 11.62},
};

/* Time zone by the part of a location after its last comma: a US state code or a country. */
static const struct {
    const char *region, *tz;
    int offset;
} zones[] = {
    {"MA", "America/New_York", -300}, {"NJ", "America/New_York", -300},
    {"NY", "America/New_York", -300}, {"PA", "America/New_York", -300},
    {"MD", "America/New_York", -300}, {"DC", "America/New_York", -300},
    {"VA", "America/New_York", -300}, {"NC", "America/New_York", -300},
    {"SC", "America/New_York", -300}, {"GA", "America/New_York", -300},
    {"FL", "America/New_York", -300}, {"OH", "America/New_York", -300},
    {"MI", "America/Detroit", -300},  {"IN", "America/Indiana/Indianapolis", -300},
    {"CT", "America/New_York", -300}, {"IL", "America/Chicago", -360},
    {"WI", "America/Chicago", -360},  {"MN", "America/Chicago", -360},
    {"MO", "America/Chicago", -360},  {"LA", "America/Chicago", -360},
    {"TX", "America/Chicago", -360},  {"TN", "America/Chicago", -360},
    {"AL", "America/Chicago", -360},  {"CO", "America/Denver", -420},
    {"AZ", "America/Phoenix", -420},  {"NV", "America/Los_Angeles", -480},
    {"CA", "America/Los_Angeles", -480}, {"WA", "America/Los_Angeles", -480},
    {"OR", "America/Los_Angeles", -480}, {"UK", "Europe/London", 0},
    {"Canada", "America/Toronto", -300}, {"Mexico", "America/Mexico_City", -360},
    {"Germany", "Europe/Berlin", 60},
};

bool aps_nfl_stadium_place(const char *name, const char **location, double *lat, double *lon)
{
    for (size_t i = 0; name && i < N_OF(places); i++)
        if (!strcmp(places[i].name, name)) {
            *location = places[i].location;
            *lat = places[i].lat;
            *lon = places[i].lon;
            return true;
        }
    return false;
}

bool aps_nfl_location_tz(const char *location, const char **tz, int *utc_offset_min)
{
    const char *comma = location ? strrchr(location, ',') : NULL;
    if (!comma)
        return false;
    const char *region = comma + 1;
    while (*region == ' ')
        region++;
    for (size_t i = 0; i < N_OF(zones); i++)
        if (!strcmp(zones[i].region, region)) {
            *tz = zones[i].tz;
            *utc_offset_min = zones[i].offset;
            return true;
        }
    return false;
}
