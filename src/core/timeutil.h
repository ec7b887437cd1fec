/* timeutil.h — calendar arithmetic in UTC without the C library's time zone state.
 *
 * Times are int64 seconds since 1970-01-01T00:00:00Z. Dates are proleptic Gregorian. */
#ifndef APS_CORE_TIMEUTIL_H
#define APS_CORE_TIMEUTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

/* Days since 1970-01-01 for a civil date (month 1..12, day 1..31). */
int64_t aps_days_from_civil(int y, int m, int d);
void aps_civil_from_days(int64_t days, int *y, int *m, int *d);
bool aps_date_valid(int y, int m, int d);
/* Seconds since the epoch for a UTC civil date and time. */
int64_t aps_time_from_civil(int y, int mo, int d, int h, int mi, int s);

/* Parses "YYYY-MM-DD", optionally followed by "THH:MM[:SS[.ffffff]]" (or a space for the T) and
 * a zone: "Z", or an offset "+HH", "+HHMM", "+HH:MM" (or '-'), PostgreSQL's form included
 * ("2026-12-02 05:40:00.123+00"); no zone is UTC. The time is UTC's; the fraction is dropped. */
int aps_time_parse_iso(const char *s, int64_t *out) APS_MUST_CHECK;
/* Writes "YYYY-MM-DD" into out (cap >= 11). */
void aps_time_format_date(int64_t t, char *out, size_t cap);
/* Writes "YYYY-MM-DDTHH:MM:SSZ" into out (cap >= 21). */
void aps_time_format_iso(int64_t t, char *out, size_t cap);
/* Writes "YYYY-MM-DDTHH:MM:SS.ffffffZ" (microseconds) of us microseconds since the epoch into
 * out; returns its length. Without printf for the years 0..9999. */
#define APS_TIME_ISO_US_CAP 48
size_t aps_time_format_iso_us(int64_t us, char out[APS_TIME_ISO_US_CAP]);
/* Wall clock now, seconds and microseconds. */
int64_t aps_time_now(void);
int64_t aps_time_now_us(void);
/* Monotonic seconds, for measuring durations. */
double aps_time_mono(void);

#endif
