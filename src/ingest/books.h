/* books.h — the bookmakers the historical sources name, as one table.
 *
 * football-data.co.uk and tennis-data.co.uk name each bookmaker by a short column prefix ("B365",
 * "PS", "BbMx"); the platform stores odds under a canonical lower-case book key ("bet365",
 * "pinnacle", "max"). This module maps prefixes to keys and keys to display names, and says which
 * keys are market aggregates (max, avg, consensus) and which are sharp books whose prices are the
 * reference for closing-line value. All strings returned are static. */
#ifndef APS_INGEST_BOOKS_H
#define APS_INGEST_BOOKS_H

#include <stdbool.h>
#include <stddef.h>

/* Canonical key for a source column prefix (exact, case-sensitive match: "B365" → "bet365",
 * "PS" and "P" → "pinnacle", "BbMx" and "Max" → "max"), or NULL when the prefix is unknown. */
const char *aps_book_key_from_prefix(const char *prefix);

/* Length of the longest known prefix that starts column name col and leaves a rest for which
 * accept(rest) is true; the key is stored in *key. 0 when none does (then *key is NULL). */
size_t aps_book_match_prefix(const char *col, bool (*accept)(const char *rest), const char **key);

/* Display name for a key ("pinnacle" → "Pinnacle"); the key itself when it is not in the table. */
const char *aps_book_name(const char *key);

/* True for market aggregates that are not a bookmaker one can bet with: max, avg, consensus. */
bool aps_book_is_aggregate(const char *key);

/* True for books whose prices serve as the sharp reference (Pinnacle, Betfair exchange, Circa). */
bool aps_book_is_sharp(const char *key);

#endif
