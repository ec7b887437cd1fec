/* api_json.h — the JSON the domain endpoints answer with: numbers, money and times (from values
 * or from result columns), the list envelope, and the common objects (game, odds quote,
 * prediction) with the SQL columns they are read from. */
#ifndef APS_SERVICES_API_JSON_H
#define APS_SERVICES_API_JSON_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "services/api_valid.h"
#include "store/store.h"

/* A number, or null when not finite (jansson refuses NaN). */
json_t *aps_api_num(double v);
/* Column col as a number, or null when SQL NULL. */
json_t *aps_api_col_num(const struct aps_stmt *s, int col);
/* An amount of integer cents as a JSON number with at most two decimals (money.h); the column
 * form is null for NULL. */
json_t *aps_api_money(int64_t cents);
json_t *aps_api_col_money(const struct aps_stmt *s, int col);
json_t *aps_api_col_int(const struct aps_stmt *s, int col);
/* s as a JSON string, each byte that is not UTF-8 shown as U+FFFD (a provider's error or name
 * is shown, not dropped); null for NULL. */
json_t *aps_api_text(const char *s);
/* Column col as aps_api_text. */
json_t *aps_api_col_str(const struct aps_stmt *s, int col);
/* Column col (seconds since the epoch) as "YYYY-MM-DDTHH:MM:SSZ"; null when NULL (or 0 when
 * zero_is_null: "time not known"). */
json_t *aps_api_col_time(const struct aps_stmt *s, int col, bool zero_is_null);
json_t *aps_api_time(int64_t t);
/* A JSON text column parsed, or its text when it is not JSON; null when NULL. */
json_t *aps_api_col_json(const struct aps_stmt *s, int col);
/* The list envelope of every list answer, {items, total, page, limit}; takes items. */
json_t *aps_api_list(json_t *items, int64_t total, const struct aps_api_page *pg);
/* The envelope of one page of a list built whole in memory (total = its length); takes all. */
json_t *aps_api_list_slice(json_t *all, const struct aps_api_page *pg);

/* The game columns (17) and the joins they need; aps_api_game_json reads them from col0. */
#define APS_API_GAME_COLUMNS                                                               \
    "g.id, sp.code, g.game_date, g.start_time, g.time_known, g.status, g.home_score,"      \
    " g.away_score, g.neutral, g.playoff, th.id, th.key, th.name, ta.id, ta.key, ta.name," \
    " v.name"
#define APS_API_GAME_NCOLS 17
#define APS_API_GAME_JOINS                                                          \
    " JOIN sports sp ON sp.id = g.sport_id JOIN teams th ON th.id = g.home_team_id" \
    " JOIN teams ta ON ta.id = g.away_team_id LEFT JOIN venues v ON v.id = g.venue_id"
/* A game's sport by its code, as a condition on games alone: a list's count needs no join. */
#define APS_API_GAME_SPORT_IS "g.sport_id = (SELECT s.id FROM sports s WHERE s.code = ?)"
json_t *aps_api_game_json(const struct aps_stmt *s, int col0);

/* One odds snapshot as the odds endpoints read it (odds JOIN sportsbooks). */
struct aps_api_quote {
    char book[32], book_name[64];
    bool aggregate;
    int market, sel, phase; /* enum values; -1 when the stored word is unknown */
    int64_t recorded_at;    /* 0: the source did not say when */
    double line, price;     /* line NAN when none */
};
json_t *aps_api_quote_json(const struct aps_api_quote *q);
/* {price, american, implied_probability} fields added to obj for a decimal price. */
void aps_api_price_fields(json_t *obj, double dec);

/* The prediction columns (APS_API_PRED_NCOLS) over predictions p LEFT JOIN prediction_results r
 * JOIN games g; the game columns follow at col0 + APS_API_PRED_NCOLS when the query selects them
 * too. */
/* A pick locked in at or after the start it was made for (created_at, the clock when it was
 * locked, against predictions.game_start, or the game's start for the picks made before that
 * was stored): a replay's (`aps predict --now` in the past), never a live forecast. Needs g. */
#define APS_API_PRED_LOCKED_LATE "p.created_at >= COALESCE(p.game_start, g.start_time)"
#define APS_API_PRED_COLUMNS                                                               \
    "p.id, p.game_id, p.model, p.market, p.selection, p.line, p.price, p.book,"            \
    " p.probability, p.market_probability, p.edge, p.tier, p.stake_fraction, p.locked_at," \
    " p.hash, p.prev_hash, p.created_at, r.result, r.profit_loss, r.clv, r.graded_at,"     \
    " p.publication, p.no_bet_reason, (SELECT MIN(p2.id) FROM predictions p2"              \
    " WHERE p2.game_id = p.game_id AND p2.market = p.market AND p2.id > p.id),"            \
    " (SELECT s.name FROM sportsbooks s WHERE s.key = p.book),"                            \
    " CASE WHEN " APS_API_PRED_LOCKED_LATE " THEN 0 ELSE 1 END,"                           \
    " COALESCE(p.game_date, g.game_date)"
#define APS_API_PRED_NCOLS 27
/* The condition that keeps only the current pick of each game and market (the newest). */
#define APS_API_PRED_CURRENT                                                \
    "NOT EXISTS (SELECT 1 FROM predictions p3 WHERE p3.game_id = p.game_id" \
    " AND p3.market = p.market AND p3.id > p.id)"
/* The conventions every pick response states: rounding, best price, CLV units. */
json_t *aps_api_pick_conventions(void);
json_t *aps_api_prediction_json(const struct aps_stmt *s, int col0);

#endif
