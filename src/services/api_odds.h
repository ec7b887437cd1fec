/* api_odds.h — the odds snapshots of a game as the odds and game endpoints read them
 * (api_odds.c). */
#ifndef APS_SERVICES_API_ODDS_H
#define APS_SERVICES_API_ODDS_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "services/api_json.h"
#include "store/store.h"

/* Every snapshot of a game — one market and/or one book when market >= 0 / book
 * != NULL — ordered by book, market, selection, then time (capture time, then the phase: open,
 * pre, live, close). *out: aps_free. */
int aps_api_quotes_load(struct aps_conn *c, int64_t game_id, int market, const char *book,
                        struct aps_api_quote **out, size_t *n) APS_MUST_CHECK;
/* The same in two steps, so that the read can share a round trip (aps_conn_pipeline): the
 * bound statement, then its rows (the statement is finalized). */
int aps_api_quotes_prepare(struct aps_conn *c, int64_t game_id, int market, const char *book,
                           struct aps_stmt **out) APS_MUST_CHECK;
int aps_api_quotes_read(struct aps_stmt *st, struct aps_api_quote **out, size_t *n) APS_MUST_CHECK;
/* The latest snapshot per book, market and selection, as a JSON array (q in load order). */
json_t *aps_api_quotes_current(const struct aps_api_quote *q, size_t n);
/* Line shopping across the non-aggregate books' current offers: per market and selection the
 * best price (moneyline) or best line (spread, total; higher price on equal lines), with its
 * book. A JSON array; NULL on a malformed stored quote. */
json_t *aps_api_quotes_best(const struct aps_api_quote *q, size_t n);

#endif
