/* fuzz_espn.c — libFuzzer driver for the ESPN scoreboard parser (src/ingest/espn.h): any bytes
 * give events or APS_E_PARSE, never a crash or a leak. */
#include <stddef.h>
#include <stdint.h>

#include <stdlib.h>

#include "ingest/espn.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct aps_espn_board board = {0};
    char err[256] = "";
    int rc = aps_espn_parse_scoreboard((const char *)data, size, &board, err, sizeof err);
    if (rc && !err[0]) /* a failure must say why */
        abort();
    aps_espn_board_cleanup(&board);
    return 0;
}
