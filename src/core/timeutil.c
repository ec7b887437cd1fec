/* timeutil.c — civil-date conversions (Howard Hinnant's well-known day-count algorithm, written
 * from its published description) and ISO-8601 formatting in UTC. */
#include "core/timeutil.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

int64_t aps_days_from_civil(int y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

void aps_civil_from_days(int64_t z, int *y, int *m, int *d)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    int dd = (int)(doy - (153 * mp + 2) / 5 + 1);
    int mm = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = (int)(yoe + era * 400) + (mm <= 2);
    *m = mm;
    *d = dd;
}

bool aps_date_valid(int y, int m, int d)
{
    static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (y < 1800 || y > 2200 || m < 1 || m > 12 || d < 1)
        return false;
    int lim = mdays[m - 1];
    if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
        lim = 29;
    return d <= lim;
}

int64_t aps_time_from_civil(int y, int mo, int d, int h, int mi, int s)
{
    return aps_days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + s;
}

static int digits(const char *s, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (!isdigit((unsigned char)s[i]))
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return 0;
}

/* The zone after a time, at *p: "Z", or an offset from UTC "+HH", "+HHMM" or "+HH:MM" (or with
 * '-'), into *offset (seconds east of UTC); *p moves past it. Nothing there: UTC. */
static int utc_offset(const char **p, int64_t *offset)
{
    const char *z = *p;
    int oh = 0, om = 0;
    *offset = 0;
    if (*z == 'Z') {
        *p = z + 1;
        return 0;
    }
    if (*z != '+' && *z != '-')
        return 0;
    if (digits(z + 1, 2, &oh))
        return APS_E_PARSE;
    const char *e = z + 3;
    if (*e == ':' || isdigit((unsigned char)*e)) {
        e += *e == ':';
        if (digits(e, 2, &om))
            return APS_E_PARSE;
        e += 2;
    }
    if (oh > 23 || om > 59)
        return APS_E_RANGE;
    *offset = (*z == '-' ? -1 : 1) * (int64_t)(oh * 3600 + om * 60);
    *p = e;
    return 0;
}

int aps_time_parse_iso(const char *s, int64_t *out)
{
    int y, m, d, h = 0, mi = 0, sec = 0;
    int64_t offset = 0;
    if (!s || strlen(s) < 10 || digits(s, 4, &y) || s[4] != '-' || digits(s + 5, 2, &m) ||
        s[7] != '-' || digits(s + 8, 2, &d))
        return APS_E_PARSE;
    if (!aps_date_valid(y, m, d))
        return APS_E_RANGE;
    const char *p = s + 10;
    if (*p == 'T' || *p == ' ') {
        p++;
        if (digits(p, 2, &h) || p[2] != ':' || digits(p + 3, 2, &mi))
            return APS_E_PARSE;
        p += 5;
        if (*p == ':') {
            if (digits(p + 1, 2, &sec))
                return APS_E_PARSE;
            p += 3;
            if (*p == '.') {
                p++;
                while (isdigit((unsigned char)*p))
                    p++;
            }
        }
        if (h > 23 || mi > 59 || sec > 60)
            return APS_E_RANGE;
        int rc = utc_offset(&p, &offset);
        if (rc)
            return rc;
    }
    if (*p)
        return APS_E_PARSE;
    *out = aps_time_from_civil(y, m, d, h, mi, sec) - offset;
    return 0;
}

void aps_time_format_date(int64_t t, char *out, size_t cap)
{
    int64_t days = t >= 0 ? t / 86400 : -((-t + 86399) / 86400);
    int y, m, d;
    aps_civil_from_days(days, &y, &m, &d);
    snprintf(out, cap, "%04d-%02d-%02d", y, m, d);
}

static void put2(char *p, int v)
{
    p[0] = (char)('0' + v / 10);
    p[1] = (char)('0' + v % 10);
}

/* "YYYY-MM-DDTHH:MM:SS" of t at out (19 bytes, no NUL); false, with nothing written, for a year
 * outside 0..9999 (printf's form then). */
static bool iso_digits(int64_t t, char *out)
{
    int64_t days = t >= 0 ? t / 86400 : -((-t + 86399) / 86400);
    int rem = (int)(t - days * 86400);
    int y, m, d;
    aps_civil_from_days(days, &y, &m, &d);
    if (y < 0 || y > 9999)
        return false;
    put2(out, y / 100);
    put2(out + 2, y % 100);
    out[4] = '-';
    put2(out + 5, m);
    out[7] = '-';
    put2(out + 8, d);
    out[10] = 'T';
    put2(out + 11, rem / 3600);
    out[13] = ':';
    put2(out + 14, rem / 60 % 60);
    out[16] = ':';
    put2(out + 17, rem % 60);
    return true;
}

void aps_time_format_iso(int64_t t, char *out, size_t cap)
{
    if (cap >= 21 && iso_digits(t, out)) {
        out[19] = 'Z';
        out[20] = '\0';
        return;
    }
    int64_t days = t >= 0 ? t / 86400 : -((-t + 86399) / 86400);
    int64_t rem = t - days * 86400;
    int y, m, d;
    aps_civil_from_days(days, &y, &m, &d);
    snprintf(out, cap, "%04d-%02d-%02dT%02d:%02d:%02dZ", y, m, d, (int)(rem / 3600),
             (int)(rem / 60 % 60), (int)(rem % 60));
}

size_t aps_time_format_iso_us(int64_t us, char out[APS_TIME_ISO_US_CAP])
{
    int64_t t = us >= 0 ? us / 1000000 : -((-us + 999999) / 1000000);
    int frac = (int)(us - t * 1000000);
    if (!iso_digits(t, out)) {
        char ts[32];
        aps_time_format_iso(t, ts, sizeof ts);
        ts[strcspn(ts, "Z")] = '\0';
        int n = snprintf(out, APS_TIME_ISO_US_CAP, "%s.%06dZ", ts, frac);
        return n < 0 ? 0 : (size_t)n < APS_TIME_ISO_US_CAP ? (size_t)n : APS_TIME_ISO_US_CAP - 1;
    }
    out[19] = '.';
    for (int i = 25; i >= 20; i--) {
        out[i] = (char)('0' + frac % 10);
        frac /= 10;
    }
    out[26] = 'Z';
    out[27] = '\0';
    return 27;
}

int64_t aps_time_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec;
}

int64_t aps_time_now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

double aps_time_mono(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}
