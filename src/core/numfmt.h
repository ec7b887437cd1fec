/* numfmt.h — numbers to text without printf, for the bulk paths that write millions of them
 * (the ingest writer's staged rows).
 *
 * aps_fmt_double() writes a decimal that reads back (strtod) as exactly v: the shortest of
 * up to APS_FMT_FAST_DECIMALS decimals when v has such a form (every price and line of the data
 * sets: -110, 1.91, 2.375), otherwise what "%.17g" writes. NaN and infinities are written as
 * "%.17g" writes them. All return the length written (the buffer is NUL-terminated). */
#ifndef APS_CORE_NUMFMT_H
#define APS_CORE_NUMFMT_H

#include <stddef.h>
#include <stdint.h>

#define APS_FMT_FAST_DECIMALS 6
#define APS_FMT_CAP \
    32 /* enough for any value of the first two; aps_fmt_fixed() cuts what
                            * does not fit (|v| >= 1e20 or so) at APS_FMT_CAP - 1 bytes */

size_t aps_fmt_i64(char buf[APS_FMT_CAP], int64_t v);
size_t aps_fmt_double(char buf[APS_FMT_CAP], double v);
/* What "%.*f" writes for v with decimals digits after the point (rounded as printf rounds);
 * without printf for 0 <= decimals <= APS_FMT_FAST_DECIMALS and |v| < 1e9. */
size_t aps_fmt_fixed(char buf[APS_FMT_CAP], double v, int decimals);

#endif
