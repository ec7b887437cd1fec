/* clock.c — the wall clock with the testing offset of CLOCK_OFFSET_FILE (clock.h). */
#include "config/clock.h"

#include <stdio.h>

#include "core/str.h"
#include "core/timeutil.h"

#define MAX_OFFSET_S INT64_C(31557600000000)

int64_t aps_clock_now_ms(const char *offset_file)
{
    int64_t now = aps_time_now_us() / 1000;
    if (!offset_file || !*offset_file)
        return now;
    FILE *f = fopen(offset_file, "r");
    if (!f)
        return now;
    char line[64] = "";
    int64_t off = 0;
    /* Within a million years either way, so that the sum cannot overflow. */
    if (fgets(line, sizeof line, f) && !aps_parse_int64(aps_str_trim(line), &off) &&
        off > -MAX_OFFSET_S && off < MAX_OFFSET_S)
        now += off * 1000;
    fclose(f);
    return now;
}
