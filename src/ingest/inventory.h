/* inventory.h — what is in the store, per sport and season: games, games with final scores,
 * games with odds, odds rows and books. Used by `aps stats` and the ingest summary. */
#ifndef APS_INGEST_INVENTORY_H
#define APS_INGEST_INVENTORY_H

#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

struct aps_conn;

struct aps_inventory_row {
    char sport[16];
    char season[16];  /* "" in per-sport totals */
    int64_t games, finals, with_odds, odds_rows, books, forecasts;
};

/* Rows per sport and season, ordered by sport then season. Caller frees *rows with aps_free. */
int aps_inventory_by_season(struct aps_conn *c, struct aps_inventory_row **rows,
                            size_t *n) APS_MUST_CHECK;
/* Rows per sport (season ""); *seasons_out (may be NULL; free with aps_free) gets the number
 * of seasons of each row. */
int aps_inventory_by_sport(struct aps_conn *c, struct aps_inventory_row **rows, size_t *n,
                           int64_t **seasons_out) APS_MUST_CHECK;

#endif
