/* api_json.c — the JSON the domain endpoints answer with: numbers, money, times and columns,
 * the list envelope, and the common objects (game, odds quote, prediction) (see api_json.h). */
#include "services/api_json.h"

#include <math.h>
#include <string.h>

#include "core/buf.h"
#include "core/domain.h"
#include "core/money.h"
#include "core/timeutil.h"
#include "odds/benchmark.h"
#include "odds/convert.h"

/* ---- JSON ---------------------------------------------------------------------------------- */

json_t *aps_api_num(double v)
{
    return isfinite(v) ? json_real(v) : json_null();
}

json_t *aps_api_col_num(const struct aps_stmt *s, int col)
{
    return aps_stmt_is_null(s, col) ? json_null() : aps_api_num(aps_stmt_double(s, col));
}

json_t *aps_api_money(int64_t cents)
{
    return json_real(aps_money_to_double(cents));
}

json_t *aps_api_col_money(const struct aps_stmt *s, int col)
{
    return aps_stmt_is_null(s, col) ? json_null() : aps_api_money(aps_stmt_int64(s, col));
}

json_t *aps_api_col_int(const struct aps_stmt *s, int col)
{
    return aps_stmt_is_null(s, col) ? json_null() : json_integer(aps_stmt_int64(s, col));
}

/* The length of the well-formed UTF-8 sequence at p (RFC 3629: no overlongs, no surrogates,
 * nothing above U+10FFFF), or 0. */
static size_t utf8_seq(const unsigned char *p)
{
    unsigned char c = p[0];
    if (c < 0x80)
        return 1;
    unsigned char lo = 0x80, hi = 0xBF;
    size_t n;
    if (c >= 0xC2 && c <= 0xDF)
        n = 2;
    else if (c >= 0xE0 && c <= 0xEF) {
        n = 3;
        lo = c == 0xE0 ? 0xA0 : 0x80;
        hi = c == 0xED ? 0x9F : 0xBF;
    } else if (c >= 0xF0 && c <= 0xF4) {
        n = 4;
        lo = c == 0xF0 ? 0x90 : 0x80;
        hi = c == 0xF4 ? 0x8F : 0xBF;
    } else
        return 0;
    if (p[1] < lo || p[1] > hi)
        return 0;
    for (size_t i = 2; i < n; i++)
        if (p[i] < 0x80 || p[i] > 0xBF)
            return 0;
    return n;
}

json_t *aps_api_text(const char *s)
{
    if (!s)
        return json_null();
    json_t *j = json_string(s);
    if (j)
        return j;
    struct aps_buf b = {0};
    for (const unsigned char *p = (const unsigned char *)s; *p;) {
        size_t n = utf8_seq(p);
        if (n)
            aps_buf_append(&b, (const char *)p, n);
        else
            aps_buf_puts(&b, "\xEF\xBF\xBD"); /* U+FFFD REPLACEMENT CHARACTER */
        p += n ? n : 1;
    }
    j = json_stringn(b.data ? b.data : "", b.len);
    aps_buf_cleanup(&b);
    return j;
}

json_t *aps_api_col_str(const struct aps_stmt *s, int col)
{
    return aps_api_text(aps_stmt_text(s, col));
}

json_t *aps_api_time(int64_t t)
{
    char iso[32];
    aps_time_format_iso(t, iso, sizeof iso);
    return json_string(iso);
}

json_t *aps_api_col_time(const struct aps_stmt *s, int col, bool zero_is_null)
{
    if (aps_stmt_is_null(s, col))
        return json_null();
    int64_t t = aps_stmt_int64(s, col);
    return t == 0 && zero_is_null ? json_null() : aps_api_time(t);
}

json_t *aps_api_col_json(const struct aps_stmt *s, int col)
{
    const char *t = aps_stmt_text(s, col);
    if (!t)
        return json_null();
    json_t *v = json_loads(t, JSON_DECODE_ANY, NULL);
    return v ? v : json_string(t);
}

json_t *aps_api_list(json_t *items, int64_t total, const struct aps_api_page *pg)
{
    return json_pack("{s:o, s:I, s:i, s:i}", "items", items, "total", (json_int_t)total, "page",
                     pg->page, "limit", pg->limit);
}

json_t *aps_api_list_slice(json_t *all, const struct aps_api_page *pg)
{
    size_t total = json_array_size(all);
    json_t *items = json_array();
    for (size_t i = (size_t)pg->offset; i < total && i < (size_t)pg->offset + (size_t)pg->limit;
         i++)
        json_array_append(items, json_array_get(all, i));
    json_decref(all);
    return aps_api_list(items, (int64_t)total, pg);
}
json_t *aps_api_pick_conventions(void)
{
    return json_pack(
        "{s:s, s:s, s:s, s:s}", "rounding",
        "as locked in, and the same in best-price and sizing answers: probabilities, market"
        " probabilities, edges, expected values and stake fractions to 6 decimals, decimal"
        " prices to 4, lines and money amounts to 2; American odds to whole points",
        "best_price",
        "the highest decimal price any non-aggregate bookmaker quotes for the side at the main"
        " line (the line most books quote), from the latest snapshots",
        "clv",
        "against the closing benchmark (sharp books, else every bookmaker, else the market"
        " average; MARGIN_METHOD no-vig averaged over books): moneyline as a fraction of the"
        " stake (0.02 = +2 %), spread and total in points",
        "publication",
        "published: from a production model that passed the promotion gate for its sport and"
        " market; tracking_only: recorded and graded, never a tier or a stake");
}

static json_t *team_json(const struct aps_stmt *s, int col)
{
    return json_pack("{s:I, s:o?, s:o?}", "id", (json_int_t)aps_stmt_int64(s, col), "key",
                     aps_api_col_str(s, col + 1), "name", aps_api_col_str(s, col + 2));
}

json_t *aps_api_game_json(const struct aps_stmt *s, int c)
{
    json_t *g = json_object();
    json_object_set_new(g, "id", json_integer(aps_stmt_int64(s, c)));
    json_object_set_new(g, "sport", aps_api_col_str(s, c + 1));
    json_object_set_new(g, "date", aps_api_col_str(s, c + 2));
    /* the game's date where it is played, as the sources give it (not the UTC date) */
    json_object_set_new(g, "local_date", aps_api_col_str(s, c + 2));
    json_object_set_new(g, "start_time", aps_api_col_time(s, c + 3, false));
    json_object_set_new(g, "time_known", json_boolean(aps_stmt_int64(s, c + 4) != 0));
    json_object_set_new(g, "status", aps_api_col_str(s, c + 5));
    json_object_set_new(g, "home_score", aps_api_col_int(s, c + 6));
    json_object_set_new(g, "away_score", aps_api_col_int(s, c + 7));
    json_object_set_new(g, "neutral", json_boolean(aps_stmt_int64(s, c + 8) != 0));
    json_object_set_new(g, "playoff", json_boolean(aps_stmt_int64(s, c + 9) != 0));
    json_object_set_new(g, "home_team", team_json(s, c + 10));
    json_object_set_new(g, "away_team", team_json(s, c + 13));
    json_object_set_new(g, "venue", aps_api_col_str(s, c + 16));
    return g;
}

void aps_api_price_fields(json_t *obj, double dec)
{
    double am = NAN, implied = NAN;
    if (aps_convert_decimal_to_american(dec, &am))
        am = NAN;
    if (aps_convert_decimal_to_prob(dec, &implied))
        implied = NAN;
    json_object_set_new(obj, "price", aps_api_num(aps_round_price(dec)));
    /* American odds are shown rounded to whole points, as books quote them. */
    json_object_set_new(obj, "american",
                        isfinite(am) ? json_integer((json_int_t)lround(am)) : json_null());
    json_object_set_new(obj, "implied_probability", aps_api_num(aps_round_probability(implied)));
}

json_t *aps_api_quote_json(const struct aps_api_quote *q)
{
    json_t *o = json_object();
    json_object_set_new(o, "book", json_string(q->book));
    json_object_set_new(o, "book_name", json_string(q->book_name));
    json_object_set_new(o, "aggregate", json_boolean(q->aggregate));
    json_object_set_new(o, "market",
                        q->market >= 0 ? json_string(aps_market_name(q->market)) : json_null());
    json_object_set_new(o, "selection",
                        q->sel >= 0 ? json_string(aps_selection_name(q->sel)) : json_null());
    json_object_set_new(o, "phase",
                        q->phase >= 0 ? json_string(aps_phase_name(q->phase)) : json_null());
    json_object_set_new(o, "recorded_at",
                        q->recorded_at ? aps_api_time(q->recorded_at) : json_null());
    json_object_set_new(o, "line", aps_api_num(aps_round_line(q->line)));
    aps_api_price_fields(o, q->price);
    return o;
}

json_t *aps_api_prediction_json(const struct aps_stmt *s, int c)
{
    json_t *p = json_object();
    json_object_set_new(p, "id", json_integer(aps_stmt_int64(s, c)));
    json_object_set_new(p, "game_id", json_integer(aps_stmt_int64(s, c + 1)));
    json_object_set_new(p, "model", aps_api_col_str(s, c + 2));
    json_object_set_new(p, "market", aps_api_col_str(s, c + 3));
    json_object_set_new(p, "selection", aps_api_col_str(s, c + 4));
    json_object_set_new(p, "line", aps_api_col_num(s, c + 5));
    json_object_set_new(p, "book", aps_api_col_str(s, c + 7));
    json_object_set_new(p, "book_name", aps_api_col_str(s, c + 24));
    if (aps_stmt_is_null(s, c + 6))
        json_object_set_new(p, "price", json_null());
    else
        aps_api_price_fields(p, aps_stmt_double(s, c + 6));
    json_object_set_new(p, "probability", aps_api_col_num(s, c + 8));
    json_object_set_new(p, "market_probability", aps_api_col_num(s, c + 9));
    json_object_set_new(p, "edge", aps_api_col_num(s, c + 10));
    /* a tier only on a bet of a published market: "" (no bet), the old "D" (track only) and
     * picks locked in before publication was recorded have none */
    const char *tier = aps_stmt_text(s, c + 11);
    const char *pub = aps_stmt_text(s, c + 21), *why = aps_stmt_text(s, c + 22);
    bool bet = tier && tier[0] && strcmp(tier, "D") && pub && !strcmp(pub, "published");
    json_object_set_new(p, "tier", bet ? json_string(tier) : json_null());
    json_object_set_new(p, "bet", json_boolean(bet));
    json_object_set_new(p, "publication", json_string(pub ? pub : "tracking_only"));
    json_object_set_new(p, "no_bet_reason",
                        bet   ? json_null()
                        : why ? json_string(why)
                              : json_string(
                                    pub ? "no bet"
                                        : "locked in before publication was recorded: tracking"
                                          " only"));
    bool superseded = !aps_stmt_is_null(s, c + 23);
    json_object_set_new(p, "current", json_boolean(!superseded));
    json_object_set_new(p, "superseded_by",
                        superseded ? json_integer(aps_stmt_int64(s, c + 23)) : json_null());
    json_object_set_new(p, "stake_fraction", aps_api_col_num(s, c + 12));
    json_object_set_new(p, "locked_at", aps_api_col_str(s, c + 13));
    json_object_set_new(p, "locked_before_start", json_boolean(aps_stmt_int64(s, c + 25) != 0));
    json_object_set_new(p, "game_date", aps_api_col_str(s, c + 26));
    json_object_set_new(p, "hash", aps_api_col_str(s, c + 14));
    json_object_set_new(p, "prev_hash", aps_api_col_str(s, c + 15));
    json_object_set_new(p, "created_at", aps_api_col_time(s, c + 16, false));
    json_t *r = json_null();
    if (!aps_stmt_is_null(s, c + 17))
        r = json_pack("{s:o?, s:o?, s:o?, s:s, s:o?}", "result", aps_api_col_str(s, c + 17),
                      "profit_units", aps_api_col_num(s, c + 18), "clv", aps_api_col_num(s, c + 19),
                      "clv_unit", aps_close_clv_unit(aps_market_parse(aps_stmt_text(s, c + 3))),
                      "graded_at", aps_api_col_time(s, c + 20, false));
    json_object_set_new(p, "result", r);
    return p;
}
