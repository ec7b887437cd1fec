/* fuzz_theoddsapi.c — libFuzzer driver for the TheOddsAPI answer parsers (src/ingest/theoddsapi.h):
 * the same bytes as a /v4/sports answer, an odds answer in both price formats and a scores
 * answer. Any bytes give rows or an error code, never a crash or a leak. */
#include <stddef.h>
#include <stdint.h>

#include <stdlib.h>

#include "core/mem.h"
#include "ingest/theoddsapi.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A failure must say why. */
static void check(int rc, const char *err)
{
    if (rc && !err[0])
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *json = (const char *)data;
    char err[256] = "";
    struct aps_odds_sport *sports = NULL;
    size_t n = 0;
    if (aps_theoddsapi_parse_sports(json, size, &sports, &n, err, sizeof err) == 0)
        aps_free(sports);
    for (int fmt = APS_ODDS_AMERICAN; fmt <= APS_ODDS_DECIMAL; fmt++) {
        struct aps_odds_feed feed = {0};
        err[0] = '\0';
        check(aps_theoddsapi_parse_odds(json, size, (enum aps_odds_format)fmt, &feed, err,
                                        sizeof err),
              err);
        aps_odds_feed_cleanup(&feed);
    }
    struct aps_odds_feed scores = {0};
    err[0] = '\0';
    check(aps_theoddsapi_parse_scores(json, size, &scores, err, sizeof err), err);
    aps_odds_feed_cleanup(&scores);
    return 0;
}
