/* nfl_venues.h — where NFL stadiums are, for what nfl_stadiums.csv leaves out: its LATITUDE and
 * LONGITUDE are those of the stadium's NOAA weather station (a few km to ~30 km away), blank for
 * about half the stadiums, and the scores name stadiums (renamed ones, later ones) that it does not
 * list. The table here gives approximate city-centre coordinates for those; a stadium's time zone
 * follows from its "City, ST" location (state or country). */
#ifndef APS_INGEST_NFL_VENUES_H
#define APS_INGEST_NFL_VENUES_H

#include <stdbool.h>

/* Location ("City, ST") and coordinates of a stadium nfl_stadiums.csv lacks or gives no
 * coordinates for; false when the table does not know it. */
bool aps_nfl_stadium_place(const char *name, const char **location, double *lat, double *lon);

/* The IANA time zone and standard-time offset from UTC (minutes) of a "City, ST" or
 * "City, Country" location; false when unknown. */
bool aps_nfl_location_tz(const char *location, const char **tz, int *utc_offset_min);

#endif
