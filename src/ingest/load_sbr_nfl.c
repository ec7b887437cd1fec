/* load_sbr_nfl.c — the sportsbookreview NFL archive (nfl_archive_10Y.json, seasons 2011-2021) into
 * a batch; see ../shared/data/README.md §1.2.
 *
 * The file is one JSON array of flat objects: season (the NFL season year), date as a number
 * YYYYMMDD.0, home_team/away_team as nicknames ("Packers", kept as given), scores and quarter
 * scores as strings, closing moneylines as American integers, spreads from the home side, and
 * opening/closing totals. Neutral sites and playoff games are not marked (left false).
 *
 * The scraper that built the file read SBR's spread-or-total cells (see load_sbr.c) at fixed
 * positions, so where the away team was favoured the "spread" often holds the total (40.5) and the
 * "over_under" the spread (1.0). The two cannot be swapped back (the spread's sign is lost), so
 * values outside the NFL's ranges are dropped and counted as "bad line". Spreads and totals carry
 * no price in the source and are stored at the conventional -110; all odds under book "sbr". The
 * Super Bowl rows have home_team 0 and are rejected as "missing team". */
#include "ingest/loaders.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "core/str.h"
#include "core/timeutil.h"
#include "ingest/american.h"
#include "ingest/nfl_rows.h"

#define NFL_JSON_MAX_BYTES (64u << 20)

/* An integer given as a JSON integer, an integral real or a string of digits; -1 when absent or
 * not an integer. */
static int json_int(const json_t *v, int64_t *out)
{
    if (json_is_integer(v)) {
        *out = json_integer_value(v);
        return 0;
    }
    if (json_is_real(v)) {
        double d = json_real_value(v);
        if (d != floor(d) || fabs(d) > 1e15)
            return -1;
        *out = (int64_t)d;
        return 0;
    }
    if (json_is_string(v))
        return aps_parse_int64(json_string_value(v), out) ? -1 : 0;
    return -1;
}

/* A number given as a JSON number or a numeric string; NAN when absent or not a number. */
static double json_num(const json_t *v)
{
    double d;
    if (json_is_number(v))
        return json_number_value(v);
    if (json_is_string(v) && !aps_parse_double(json_string_value(v), &d))
        return d;
    return NAN;
}

static int read_team(const json_t *v, char *dst)
{
    if (!json_is_string(v))
        return APS_E_INVAL;
    char tmp[APS_NAME_MAX * 2];
    if (aps_str_copy(tmp, sizeof tmp, json_string_value(v)))
        return APS_E_TOOBIG;
    aps_str_trim(tmp);
    if (!*tmp)
        return APS_E_INVAL;
    return aps_str_copy(dst, APS_NAME_MAX, tmp);
}

/* Date from YYYYMMDD (as a number); 0 and the fields set, or APS_E_PARSE. */
static int read_date(const json_t *v, struct aps_game_rec *g)
{
    int64_t n;
    if (json_int(v, &n) || n < 19000101 || n > 21001231)
        return APS_E_PARSE;
    int y = (int)(n / 10000), m = (int)(n / 100 % 100), d = (int)(n % 100);
    if (!aps_date_valid(y, m, d))
        return APS_E_PARSE;
    g->start_time = aps_time_from_civil(y, m, d, 0, 0, 0);
    aps_time_format_date(g->start_time, g->date, sizeof g->date);
    return 0;
}

static int read_score(const json_t *v, int *score)
{
    int64_t n;
    if (!v || json_is_null(v) || (json_is_string(v) && aps_str_blank(json_string_value(v))))
        return APS_E_NOTFOUND;
    if (json_int(v, &n) || !aps_nfl_score_ok(n))
        return APS_E_PARSE;
    *score = (int)n;
    return 0;
}

/* {"periods_home":[q1..q4],"periods_away":[…]} into g->extra; a quarter not given is null. */
static void quarter_extra(const json_t *o, struct aps_game_rec *g)
{
    static const char *const q[] = {"1stQtr", "2ndQtr", "3rdQtr", "4thQtr"};
    json_t *x = json_object();
    for (int side = 0; side < 2; side++) {
        json_t *a = json_array();
        for (int i = 0; i < 4; i++) {
            char key[32];
            int64_t n;
            bool ok = !aps_str_fmt(key, sizeof key, "%s_%s", side ? "away" : "home", q[i]) &&
                      !json_int(json_object_get(o, key), &n) && aps_nfl_score_ok(n);
            json_array_append_new(a, ok ? json_integer(n) : json_null());
        }
        json_object_set_new(x, side ? "periods_away" : "periods_home", a);
    }
    size_t n = json_dumpb(x, g->extra, sizeof g->extra - 1, JSON_COMPACT);
    g->extra[n < sizeof g->extra ? n : 0] = '\0';
    json_decref(x);
}

/* Checks one object; returns the reason to reject it, or NULL with g filled in. */
static const char *nfl_game(const json_t *o, struct aps_game_rec *g)
{
    if (!json_is_object(o))
        return "bad row";
    if (read_date(json_object_get(o, "date"), g))
        return "bad date";
    int64_t season = 0;
    if (json_int(json_object_get(o, "season"), &season))
        season = 0;
    int rh = read_team(json_object_get(o, "home_team"), g->home);
    int ra = read_team(json_object_get(o, "away_team"), g->away);
    const char *why = aps_nfl_check_game(g, season, rh, ra);
    if (why)
        return why;
    int sh = read_score(json_object_get(o, "home_final"), &g->home_score);
    int sa = read_score(json_object_get(o, "away_final"), &g->away_score);
    if (sh == APS_E_NOTFOUND || sa == APS_E_NOTFOUND)
        return "no score";
    if (sh || sa)
        return "bad score";
    g->status = APS_GS_FINAL;
    quarter_extra(o, g);
    return NULL;
}

static void nfl_moneyline(struct aps_batch *b, size_t gi, const json_t *v, enum aps_selection sel)
{
    double price = NAN;
    if (json_is_string(v)) {
        if (aps_american_price(json_string_value(v), &price)) {
            aps_batch_reject(b, "bad price");
            return;
        }
    } else if (json_is_number(v)) {
        price = aps_american_to_decimal(json_number_value(v));
        if (isnan(price)) {
            aps_batch_reject(b, "bad price");
            return;
        }
    }
    (void)aps_batch_odds(b, gi, "sbr", APS_MKT_MONEYLINE, sel, APS_PHASE_CLOSE, NAN, price);
}

static void nfl_spread(struct aps_batch *b, size_t gi, const json_t *v, enum aps_phase ph)
{
    double home = json_num(v);
    if (isnan(home))
        return;
    if (!aps_nfl_spread_ok(home)) {
        aps_batch_reject(b, "bad line");
        return;
    }
    home += 0.0; /* no negative zero */
    (void)aps_batch_odds(b, gi, "sbr", APS_MKT_SPREAD, APS_SEL_HOME, ph, home,
                         APS_AMERICAN_STD_PRICE);
    (void)aps_batch_odds(b, gi, "sbr", APS_MKT_SPREAD, APS_SEL_AWAY, ph, 0.0 - home,
                         APS_AMERICAN_STD_PRICE);
}

static void nfl_total(struct aps_batch *b, size_t gi, const json_t *v, enum aps_phase ph)
{
    double t = json_num(v);
    if (isnan(t))
        return;
    if (!aps_nfl_total_ok(t)) {
        aps_batch_reject(b, "bad line");
        return;
    }
    (void)aps_batch_odds(b, gi, "sbr", APS_MKT_TOTAL, APS_SEL_OVER, ph, t, APS_AMERICAN_STD_PRICE);
    (void)aps_batch_odds(b, gi, "sbr", APS_MKT_TOTAL, APS_SEL_UNDER, ph, t, APS_AMERICAN_STD_PRICE);
}

static void nfl_row(struct aps_batch *b, const json_t *o, size_t index)
{
    struct aps_game_rec tmp;
    memset(&tmp, 0, sizeof tmp);
    tmp.home_score = tmp.away_score = -1;
    tmp.game_no = 1;
    tmp.line = index + 1; /* the element's position in the array: JSON has no useful line */
    const char *why = nfl_game(o, &tmp);
    if (why) {
        aps_batch_reject(b, why);
        return;
    }
    struct aps_game_rec *g = aps_batch_add_game(b);
    *g = tmp;
    size_t gi = b->ngames - 1;
    nfl_moneyline(b, gi, json_object_get(o, "home_close_ml"), APS_SEL_HOME);
    nfl_moneyline(b, gi, json_object_get(o, "away_close_ml"), APS_SEL_AWAY);
    nfl_spread(b, gi, json_object_get(o, "home_open_spread"), APS_PHASE_OPEN);
    nfl_spread(b, gi, json_object_get(o, "home_close_spread"), APS_PHASE_CLOSE);
    nfl_total(b, gi, json_object_get(o, "open_over_under"), APS_PHASE_OPEN);
    nfl_total(b, gi, json_object_get(o, "close_over_under"), APS_PHASE_CLOSE);
}

int aps_load_sbr_nfl(const char *path, struct aps_batch *b, char *err, size_t errcap)
{
    b->source = "sbr";
    struct stat st;
    if (stat(path, &st) != 0)
        return aps_load_error(err, errcap, path, 0, APS_E_IO, "cannot read the file");
    if ((uint64_t)st.st_size > NFL_JSON_MAX_BYTES)
        return aps_load_error(err, errcap, path, 0, APS_E_TOOBIG, "over 64 MiB");
    json_error_t jerr;
    json_t *root = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);
    if (!root) /* the column too: the archive is one line of 1.4 MB */
        return aps_load_error(err, errcap, path, jerr.line > 0 ? (size_t)jerr.line : 0, APS_E_PARSE,
                              "%s%s%.0d%s", jerr.text, jerr.column > 0 ? " (column " : "",
                              jerr.column > 0 ? jerr.column : 0, jerr.column > 0 ? ")" : "");
    if (!json_is_array(root)) {
        json_decref(root);
        return aps_load_error(err, errcap, path, 0, APS_E_PARSE, "not a JSON array of games");
    }
    for (size_t i = 0; i < json_array_size(root); i++) {
        b->rows++;
        nfl_row(b, json_array_get(root, i), i);
    }
    json_decref(root);
    return 0;
}
