/* numfmt.h — numbers to text without printf, for the bulk paths that write millions of them
 * (the ingest writer's staged rows).
 *
 * aps_fmt_double() writes a decimal that reads back (strtod) as exactly v: the shortest of
 * up to APS_FMT_FAST_DECIMALS decimals when v has such a form (every price and line of the data
 * sets: -110, 1.91, 2.375), otherwise what "%.17g" writes. NaN and infinities are written as
 * "%.17g" writes them. Both return the length written (the buffer is NUL-terminated). */
#ifndef APS_CORE_NUMFMT_H
#define APS_CORE_NUMFMT_H

#include <stddef.h>
#include <stdint.h>

#define APS_FMT_FAST_DECIMALS 6
#define APS_FMT_CAP 32 /* enough for any value of either */

size_t aps_fmt_i64(char buf[APS_FMT_CAP], int64_t v);
size_t aps_fmt_double(char buf[APS_FMT_CAP], double v);

#endif
