/* load_sbr.c — sportsbookreviewsonline.com season spreadsheets (NBA, NHL, MLB, NCAAB) into a batch.
 *
 * The layout (see ../shared/data/README.md §1.3): two rows per game, the visitor (VH=V) then the
 * home team (VH=H), or N on both rows at a neutral site; the first N row is stored as the away side.
 * Dates are MMDD without a year: the year is walked from the season in the file name (see
 * walk_year). Columns are found by header name, spaces ignored ("Run Line" = "RunLine").
 *
 * Odds, all under book "sbr", American prices turned decimal (american.h):
 * - NBA, NCAAB: Open/Close hold the spread on the favourite's row and the total on the other row,
 *   told apart by size (spread_or_total); ML is the closing moneyline. SBR prints no price for
 *   spreads and totals: they are stored at the conventional -110 (APS_AMERICAN_STD_PRICE), except
 *   where a cell runs the line and the favourite's price together ("2.5115": 2.5 at -115).
 * - NHL, MLB: Open/Close are the moneylines; PuckLine/RunLine and the unnamed column after it are
 *   the closing spread from that row's side and its price; OpenOU/CloseOU and the unnamed column
 *   after each are the total and a price: the first row's price is the over, the second row's the
 *   under. (Checked on the data: when the first row's price is the shorter one, games go over the
 *   line more often, 51-58 % against 44-49 %, in every NHL and MLB file.)
 * A value out of range, or a line off the quarter-point grid, is dropped and counted ("bad line",
 * "bad price"); a game with a bad date, score or team is rejected whole. Rows that do not pair up are counted as "unpaired row".
 * The files do not mark playoff games: the postseason of each season is where postseason.def
 * says it begins (mark_postseason). */
#include "ingest/loaders.h"

#include <ctype.h>
#include <jansson.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "core/csv.h"
#include "core/mem.h"
#include "core/str.h"
#include "core/strmap.h"
#include "core/timeutil.h"
#include "ingest/american.h"
#include "ingest/nfl_rows.h"
#include "ingest/teams.h"

#define SBR_MAX_COLS 64
#define SBR_ROW_BYTES 2048
#define SBR_MAX_PERIODS 12
#define SBR_SPREAD_MAX 60.0
#define SBR_TOTAL_SPLIT 60.0 /* basketball: Open/Close values at or above this are totals */
#define SBR_SCORE_MAX 500

/* Column indexes, -1 when the file has no such column. A line column's price is the next one. */
struct sbr_cols {
    int date, rot, vh, team, final, open, close, ml;
    int line, open_ou, close_ou, pitcher, month, day, year;
    int periods[SBR_MAX_PERIODS];
    size_t nperiods;
};

/* One data row copied out of the CSV reader (whose fields live only until the next row). */
struct sbr_row {
    size_t n, line;
    char *f[SBR_MAX_COLS];
    char buf[SBR_ROW_BYTES];
};

struct sbr_load {
    struct aps_batch *b;
    enum aps_sport sport;
    bool basketball;      /* Open/Close are spread-or-total, not moneylines */
    bool split;           /* the season spans two calendar years */
    char season[16];
    int first_year;
    int year, prev_month; /* year walk state; prev_month 0 before the first dated row */
    int other_year[3];    /* y, m, d of a first game whose Year column contradicts the name */
    size_t ncols;         /* the header's fields */
    struct sbr_cols c;
};

static const char *cell(const struct sbr_row *r, int col)
{
    return col >= 0 && (size_t)col < r->n ? r->f[col] : "";
}

/* ---- sport and season from the path ---- */

static const char *base_name(const char *path)
{
    const char *s = strrchr(path, '/');
    return s ? s + 1 : path;
}

/* Sport named in s (case-insensitive) as a word of its own, not inside a longer one: ncaab or
 * ncaa, nba, nhl, mlb, each with no letter right before or after it ("nba odds 2014-15",
 * "mlb_odds_2014", "ncaa-basketball-2010-11"; not "unbalanced"); -1 when none. */
static int sport_in(const char *s, size_t n)
{
    static const struct { const char *word; enum aps_sport sport; } words[] = {
        {"ncaab", APS_SPORT_NCAAB}, {"ncaa", APS_SPORT_NCAAB}, {"nba", APS_SPORT_NBA},
        {"nhl", APS_SPORT_NHL},     {"mlb", APS_SPORT_MLB},
    };
    for (size_t w = 0; w < sizeof words / sizeof words[0]; w++) {
        size_t k = strlen(words[w].word);
        for (size_t i = 0; i + k <= n; i++)
            if (!strncasecmp(s + i, words[w].word, k) &&
                (i == 0 || !isalpha((unsigned char)s[i - 1])) &&
                (i + k == n || !isalpha((unsigned char)s[i + k])))
                return (int)words[w].sport;
    }
    return -1;
}

/* The file name decides, else the folder it is in. Folders further up do not: a data root such
 * as /home/nbaker/odds/ says nothing about the files in it. */
int aps_load_sbr_sport(const char *path)
{
    const char *base = base_name(path);
    int s = sport_in(base, strlen(base));
    if (s >= 0 || base == path)
        return s;
    const char *dir_end = base - 1, *dir = dir_end;
    while (dir > path && dir[-1] != '/')
        dir--;
    return sport_in(dir, (size_t)(dir_end - dir));
}

/* Season from the file name: "2014-15" (or "2014_15", "2014-2015") as given; a lone year Y is
 * the season that ends in Y for split-year sports ("2021" → "2020-21") and Y itself otherwise. */
static int season_from_name(struct sbr_load *L, const char *base)
{
    for (const char *p = base; *p; p++) {
        if (!isdigit((unsigned char)*p) || (p > base && isdigit((unsigned char)p[-1])))
            continue;
        size_t k = 0;
        while (isdigit((unsigned char)p[k]))
            k++;
        if (k != 4)
            continue;
        int y = (p[0] - '0') * 1000 + (p[1] - '0') * 100 + (p[2] - '0') * 10 + (p[3] - '0');
        if (y < 1900 || y > 2100)
            continue;
        const char *q = p + 4;
        if ((*q == '-' || *q == '_') && isdigit((unsigned char)q[1]) &&
            isdigit((unsigned char)q[2])) {
            int y2 = (q[1] - '0') * 10 + (q[2] - '0');
            if (isdigit((unsigned char)q[3]) && isdigit((unsigned char)q[4]))
                y2 = (q[3] - '0') * 10 + (q[4] - '0');
            if (y2 != (y + 1) % 100)
                return APS_E_PARSE;
            L->first_year = y;
        } else {
            L->first_year = L->split ? y - 1 : y;
        }
        if (L->split)
            snprintf(L->season, sizeof L->season, "%d-%02d", L->first_year,
                     (L->first_year + 1) % 100);
        else
            snprintf(L->season, sizeof L->season, "%d", L->first_year);
        return 0;
    }
    return APS_E_PARSE;
}

/* ---- header ---- */

/* Lower-case name without spaces, for matching "Run Line" and "RunLine" alike. */
static void norm_name(const char *s, char *out, size_t cap)
{
    size_t j = 0;
    for (; *s && j + 1 < cap; s++)
        if (*s != ' ')
            out[j++] = (char)tolower((unsigned char)*s);
    out[j] = '\0';
}

/* "1st", "2nd", "3rd", "4th" … "9th": a period or inning column. */
static bool is_period_name(const char *s)
{
    if (!isdigit((unsigned char)s[0]))
        return false;
    while (isdigit((unsigned char)*s))
        s++;
    return !strcmp(s, "st") || !strcmp(s, "nd") || !strcmp(s, "rd") || !strcmp(s, "th");
}

/* Maps column i by its normalized name; false when the loader does not read such a column. */
static bool map_column(struct sbr_cols *c, const char *name, int i)
{
    static const struct { const char *name; size_t off; } names[] = {
        {"date", offsetof(struct sbr_cols, date)},       {"rot", offsetof(struct sbr_cols, rot)},
        {"vh", offsetof(struct sbr_cols, vh)},           {"team", offsetof(struct sbr_cols, team)},
        {"final", offsetof(struct sbr_cols, final)},     {"open", offsetof(struct sbr_cols, open)},
        {"close", offsetof(struct sbr_cols, close)},     {"ml", offsetof(struct sbr_cols, ml)},
        {"puckline", offsetof(struct sbr_cols, line)},   {"runline", offsetof(struct sbr_cols, line)},
        {"openou", offsetof(struct sbr_cols, open_ou)},  {"closeou", offsetof(struct sbr_cols, close_ou)},
        {"pitcher", offsetof(struct sbr_cols, pitcher)}, {"month", offsetof(struct sbr_cols, month)},
        {"day", offsetof(struct sbr_cols, day)},         {"year", offsetof(struct sbr_cols, year)},
    };
    for (size_t k = 0; k < sizeof names / sizeof names[0]; k++) {
        if (!strcmp(name, names[k].name)) {
            int *slot = (int *)((char *)c + names[k].off);
            if (*slot < 0)
                *slot = i;
            return true;
        }
    }
    if (!is_period_name(name))
        return false;
    if (c->nperiods < SBR_MAX_PERIODS)
        c->periods[c->nperiods++] = i;
    return true;
}

static int read_header(struct sbr_load *L, char **h, size_t n, const char *path, char *err,
                       size_t errcap)
{
    struct sbr_cols *c = &L->c;
    memset(c, 0, sizeof *c);
    int *all[] = {&c->date,  &c->rot,     &c->vh,       &c->team,    &c->final,
                  &c->open,  &c->close,   &c->ml,       &c->line,    &c->open_ou,
                  &c->close_ou, &c->pitcher, &c->month, &c->day,     &c->year};
    for (size_t k = 0; k < sizeof all / sizeof all[0]; k++)
        *all[k] = -1;
    if (n > SBR_MAX_COLS)
        return aps_load_error(err, errcap, path, 1, APS_E_TOOBIG, "%zu columns, at most %d", n,
                              SBR_MAX_COLS);
    L->ncols = n;
    char names[SBR_MAX_COLS][64];
    for (size_t i = 0; i < n; i++) {
        norm_name(h[i], names[i], sizeof names[i]);
        if (!map_column(c, names[i], (int)i))
            continue;
        for (size_t k = 0; k < i; k++) /* "Close" twice, or "Run Line" and "RunLine" */
            if (!strcmp(names[k], names[i]))
                return aps_load_repeated(err, errcap, path, h[i], (int)k, (int)i);
    }
    const char *need[] = {"Date", "Rot", "VH", "Team", "Final", "Open", "Close"};
    int have[] = {c->date, c->rot, c->vh, c->team, c->final, c->open, c->close};
    for (size_t k = 0; k < sizeof have / sizeof have[0]; k++)
        if (have[k] < 0)
            return aps_load_error(err, errcap, path, 1, APS_E_PARSE, "no %s column", need[k]);
    /* A line column's price sits in the unnamed column right after it. */
    int priced[] = {c->line, c->open_ou, c->close_ou};
    for (size_t k = 0; k < 3; k++)
        if (priced[k] >= 0 && ((size_t)priced[k] + 1 >= n || !aps_str_blank(h[priced[k] + 1])))
            return aps_load_error(err, errcap, path, 1, APS_E_PARSE,
                                  "no unnamed price column after %s", h[priced[k]]);
    return 0;
}

/* ---- rows ---- */

static int copy_row(struct sbr_row *r, char **f, size_t n, size_t line)
{
    size_t used = 0;
    r->n = n < SBR_MAX_COLS ? n : SBR_MAX_COLS;
    r->line = line;
    for (size_t i = 0; i < r->n; i++) {
        size_t k = strlen(f[i]);
        if (used + k + 1 > sizeof r->buf)
            return APS_E_TOOBIG;
        r->f[i] = memcpy(r->buf + used, f[i], k + 1);
        used += k + 1;
    }
    return 0;
}

/* 'V', 'H', 'N' or 0 for anything else. */
static char row_side(const struct sbr_load *L, const struct sbr_row *r)
{
    const char *s = cell(r, L->c.vh);
    while (*s == ' ')
        s++;
    char ch = (char)toupper((unsigned char)s[0]);
    if ((ch == 'V' || ch == 'H' || ch == 'N') && aps_str_blank(s + 1))
        return ch;
    return 0;
}

/* A game is V then H, or N then N, with consecutive rotation numbers (or equal ones: one MLB
 * 2018 game repeats the visitor's number on the home row, a typing slip, not a second game). */
static bool rows_pair(const struct sbr_load *L, const struct sbr_row *a, const struct sbr_row *h)
{
    char sa = row_side(L, a), sh = row_side(L, h);
    if (!((sa == 'V' && sh == 'H') || (sa == 'N' && sh == 'N')))
        return false;
    int64_t ra, rh;
    if (aps_parse_int64(cell(a, L->c.rot), &ra) || aps_parse_int64(cell(h, L->c.rot), &rh))
        return false;
    return rh == ra + 1 || rh == ra;
}

/* ---- dates ---- */

/* The year of a MMDD date, walking rows in file order: the season's first year (its second when
 * a split season's first row is before July, as in 2020-21, which began in January), moving on a
 * year when the month goes back by more than six (December → January). Months that move forward
 * never change the year, so the NHL's August 2020 bubble games stay in 2020. */
static int walk_year(struct sbr_load *L, int month)
{
    if (!L->prev_month)
        L->year = L->first_year + (L->split && month < 7 ? 1 : 0);
    else if (month < L->prev_month - 6)
        L->year++;
    L->prev_month = month;
    return L->year;
}

/* Month/Day/Year columns (NBA files): 1 when present and read, 0 when absent, <0 when bad. */
static int explicit_date(const struct sbr_load *L, const struct sbr_row *r, int *y, int *m, int *d)
{
    if (L->c.month < 0 || L->c.day < 0 || L->c.year < 0)
        return 0;
    const char *cm = cell(r, L->c.month), *cd = cell(r, L->c.day), *cy = cell(r, L->c.year);
    if (aps_str_blank(cm) && aps_str_blank(cd) && aps_str_blank(cy))
        return 0;
    if (aps_parse_int(cm, m) || aps_parse_int(cd, d) || aps_parse_int(cy, y))
        return APS_E_PARSE;
    return 1;
}

static int pair_date(struct sbr_load *L, const struct sbr_row *a, const struct sbr_row *h, int *y,
                     int *m, int *d)
{
    int mmdd, mmdd2;
    if (aps_parse_int(cell(a, L->c.date), &mmdd) || aps_parse_int(cell(h, L->c.date), &mmdd2) ||
        mmdd != mmdd2 || mmdd < 101 || mmdd > 1231)
        return APS_E_PARSE;
    *m = mmdd / 100;
    *d = mmdd % 100;
    if (*m < 1 || *m > 12)
        return APS_E_PARSE;
    *y = walk_year(L, *m);
    int ey, em, ed;
    int rc = explicit_date(L, a, &ey, &em, &ed);
    if (rc < 0 || (rc == 1 && (em != *m || ed != *d)))
        return APS_E_PARSE;
    if (rc == 1 && ey != *y && !L->other_year[0] && L->b->ngames == 0) {
        /* The first game already disagrees with the season in the file name: the file is
         * misnamed, and its games would be filed under the wrong season. */
        L->other_year[0] = ey;
        L->other_year[1] = em;
        L->other_year[2] = ed;
    }
    if (rc == 1 && ey != *y) /* the owner's Year column wins; the walk follows it */
        *y = L->year = ey;
    return aps_date_valid(*y, *m, *d) ? 0 : APS_E_PARSE;
}

/* ---- game fields ---- */

static int copy_team(char *dst, const char *src)
{
    char tmp[APS_NAME_MAX * 2];
    if (aps_str_copy(tmp, sizeof tmp, src))
        return APS_E_TOOBIG;
    aps_str_trim(tmp);
    if (!*tmp)
        return APS_E_INVAL;
    return aps_str_copy(dst, APS_NAME_MAX, tmp);
}

/* Final score: 0 and *score set; APS_E_NOTFOUND when not given, APS_E_PARSE when wrong. */
static int read_score(const char *s, int *score)
{
    if (aps_american_missing(s))
        return APS_E_NOTFOUND;
    int v;
    if (aps_parse_int(s, &v) || v < 0 || v > SBR_SCORE_MAX)
        return APS_E_PARSE;
    *score = v;
    return 0;
}

/* 2 for the second meeting of the same two teams on the same date, and so on (doubleheaders). */
static int game_number(const struct aps_batch *b, const struct aps_game_rec *g)
{
    int n = 1;
    for (size_t j = b->ngames; j-- > 0;) {
        const struct aps_game_rec *o = &b->games[j];
        int c = strcmp(o->date, g->date);
        if (c < 0)
            break;
        if (c == 0 && ((!strcmp(o->home, g->home) && !strcmp(o->away, g->away)) ||
                       (!strcmp(o->home, g->away) && !strcmp(o->away, g->home))))
            n++;
    }
    return n;
}

static json_t *periods_json(const struct sbr_load *L, const struct sbr_row *r)
{
    json_t *a = json_array();
    for (size_t i = 0; i < L->c.nperiods; i++) {
        int v;
        const char *s = cell(r, L->c.periods[i]);
        /* "x" (not played, the home ninth) and blanks become null. */
        json_array_append_new(a, aps_parse_int(s, &v) ? json_null() : json_integer(v));
    }
    return a;
}

static void set_string(json_t *o, const char *key, const char *s)
{
    char tmp[APS_NAME_MAX];
    (void)aps_str_copy(tmp, sizeof tmp, s);
    aps_str_trim(tmp);
    json_t *v = *tmp ? json_string(tmp) : NULL; /* NULL as well for bytes that are not UTF-8 */
    if (v)
        json_object_set_new(o, key, v);
}

/* Writes o compactly into g->extra; when it does not fit, drops the period scores and tries
 * again, then gives up ("" is no extra). Takes ownership of o. */
static void put_extra(struct aps_game_rec *g, json_t *o)
{
    for (int attempt = 0; attempt < 2; attempt++) {
        size_t n = json_object_size(o) ? json_dumpb(o, g->extra, sizeof g->extra - 1, JSON_COMPACT)
                                        : 0;
        if (n < sizeof g->extra) {
            g->extra[n] = '\0';
            break;
        }
        g->extra[0] = '\0';
        json_object_del(o, "periods_home");
        json_object_del(o, "periods_away");
    }
    json_decref(o);
}

static void game_extra(const struct sbr_load *L, struct aps_game_rec *g, const struct sbr_row *a,
                       const struct sbr_row *h)
{
    json_t *o = json_object();
    if (L->c.pitcher >= 0) {
        set_string(o, "pitcher_home", cell(h, L->c.pitcher));
        set_string(o, "pitcher_away", cell(a, L->c.pitcher));
    }
    if (L->c.nperiods) {
        json_object_set_new(o, "periods_home", periods_json(L, h));
        json_object_set_new(o, "periods_away", periods_json(L, a));
    }
    put_extra(g, o);
}

/* ---- odds ---- */

/* Totals outside these ranges are typing errors in the source (an NCAAB "37" for 137). */
static bool total_ok(enum aps_sport s, double t)
{
    switch (s) {
    case APS_SPORT_NBA: return t >= 150 && t <= 300;
    case APS_SPORT_NCAAB: return t >= 90 && t <= 200;
    case APS_SPORT_NHL: return t >= 3 && t <= 12;
    case APS_SPORT_MLB: return t >= 4 && t <= 20;
    default: return t > 0 && t <= 400;
    }
}

static void add_pair(struct aps_batch *b, size_t gi, enum aps_market m, enum aps_phase ph,
                     enum aps_selection s1, double l1, double p1, enum aps_selection s2, double l2,
                     double p2)
{
    (void)aps_batch_odds(b, gi, "sbr", m, s1, ph, l1, p1);
    (void)aps_batch_odds(b, gi, "sbr", m, s2, ph, l2, p2);
}

/* A line cell: NAN when missing; counted as "bad line" (and NAN) when unreadable, negative (SBR
 * writes spread magnitudes and totals, never a sign) or off the quarter-point grid. *price is the
 * conventional -110, or the price a fused cell ("2.5115": 2.5 at -115) gives with its line. */
static double basket_value(struct aps_batch *b, const char *s, double *price)
{
    double v;
    *price = APS_AMERICAN_STD_PRICE;
    int rc = aps_american_line(s, &v);
    if (rc == APS_E_RANGE && !aps_american_fused(s, &v, price))
        return v;
    if (rc || v < 0) {
        aps_batch_reject(b, "bad line");
        return NAN;
    }
    return v;
}

/* NBA/NCAAB Open or Close: the favourite's row holds the spread, the other row the total, so the
 * larger kind is found by size. v[0] is the first (away) row, v[1] the second (home) row. A pair
 * with two spreads or two totals cannot be read and counts one "bad line". A fused cell's price is
 * the favourite's side of the spread; the other side, and both sides of a total (whose side the
 * price was is not known), are at the conventional -110. */
static void spread_or_total(struct sbr_load *L, size_t gi, const char *away_cell,
                            const char *home_cell, enum aps_phase ph)
{
    const double std = APS_AMERICAN_STD_PRICE;
    double p[2];
    double v[2] = {basket_value(L->b, away_cell, &p[0]), basket_value(L->b, home_cell, &p[1])};
    if (!isnan(v[0]) && !isnan(v[1]) && (v[0] >= SBR_TOTAL_SPLIT) == (v[1] >= SBR_TOTAL_SPLIT)) {
        aps_batch_reject(L->b, "bad line");
        return;
    }
    for (int i = 0; i < 2; i++) {
        if (isnan(v[i]))
            continue;
        if (v[i] >= SBR_TOTAL_SPLIT) {
            if (!total_ok(L->sport, v[i])) {
                aps_batch_reject(L->b, "bad line");
                continue;
            }
            add_pair(L->b, gi, APS_MKT_TOTAL, ph, APS_SEL_OVER, v[i], std, APS_SEL_UNDER, v[i],
                     std);
        } else {
            /* The favourite gives v points: home line -v when the home row (i == 1) holds it. */
            double home = i == 1 ? 0.0 - v[i] : v[i];
            add_pair(L->b, gi, APS_MKT_SPREAD, ph, APS_SEL_HOME, home, i == 1 ? p[i] : std,
                     APS_SEL_AWAY, 0.0 - home, i == 1 ? std : p[i]);
        }
    }
}

/* One American price cell as a moneyline for sel. */
static void moneyline(struct aps_batch *b, size_t gi, const char *s, enum aps_selection sel,
                      enum aps_phase ph)
{
    double price;
    if (aps_american_price(s, &price)) {
        aps_batch_reject(b, "bad price");
        return;
    }
    (void)aps_batch_odds(b, gi, "sbr", APS_MKT_MONEYLINE, sel, ph, NAN, price);
}

/* A line cell with its price in the next column (NHL/MLB): the spread from this row's side, or a
 * total with this row's side of it. Nothing when either is missing. */
static void priced_line(struct sbr_load *L, size_t gi, const struct sbr_row *r, int col,
                        enum aps_market m, enum aps_selection sel, enum aps_phase ph)
{
    double line, price;
    if (aps_american_line(cell(r, col), &line)) {
        aps_batch_reject(L->b, "bad line");
        return;
    }
    if (aps_american_price(cell(r, col + 1), &price)) {
        aps_batch_reject(L->b, "bad price");
        return;
    }
    if (isnan(line) || isnan(price))
        return;
    bool ok = m == APS_MKT_TOTAL ? total_ok(L->sport, line) : fabs(line) <= SBR_SPREAD_MAX;
    if (!ok) {
        aps_batch_reject(L->b, "bad line");
        return;
    }
    (void)aps_batch_odds(L->b, gi, "sbr", m, sel, ph, line, price);
}

static void game_odds(struct sbr_load *L, size_t gi, const struct sbr_row *a,
                      const struct sbr_row *h)
{
    const struct sbr_cols *c = &L->c;
    if (L->basketball) {
        spread_or_total(L, gi, cell(a, c->open), cell(h, c->open), APS_PHASE_OPEN);
        spread_or_total(L, gi, cell(a, c->close), cell(h, c->close), APS_PHASE_CLOSE);
        if (c->ml >= 0) {
            moneyline(L->b, gi, cell(a, c->ml), APS_SEL_AWAY, APS_PHASE_CLOSE);
            moneyline(L->b, gi, cell(h, c->ml), APS_SEL_HOME, APS_PHASE_CLOSE);
        }
        return;
    }
    moneyline(L->b, gi, cell(a, c->open), APS_SEL_AWAY, APS_PHASE_OPEN);
    moneyline(L->b, gi, cell(h, c->open), APS_SEL_HOME, APS_PHASE_OPEN);
    moneyline(L->b, gi, cell(a, c->close), APS_SEL_AWAY, APS_PHASE_CLOSE);
    moneyline(L->b, gi, cell(h, c->close), APS_SEL_HOME, APS_PHASE_CLOSE);
    if (c->line >= 0) {
        priced_line(L, gi, a, c->line, APS_MKT_SPREAD, APS_SEL_AWAY, APS_PHASE_CLOSE);
        priced_line(L, gi, h, c->line, APS_MKT_SPREAD, APS_SEL_HOME, APS_PHASE_CLOSE);
    }
    if (c->open_ou >= 0) {
        priced_line(L, gi, a, c->open_ou, APS_MKT_TOTAL, APS_SEL_OVER, APS_PHASE_OPEN);
        priced_line(L, gi, h, c->open_ou, APS_MKT_TOTAL, APS_SEL_UNDER, APS_PHASE_OPEN);
    }
    if (c->close_ou >= 0) {
        priced_line(L, gi, a, c->close_ou, APS_MKT_TOTAL, APS_SEL_OVER, APS_PHASE_CLOSE);
        priced_line(L, gi, h, c->close_ou, APS_MKT_TOTAL, APS_SEL_UNDER, APS_PHASE_CLOSE);
    }
}

/* ---- one game from a pair of rows ---- */

/* Checks the pair; returns the reason to reject it, or NULL with the fields filled in. */
static const char *pair_game(struct sbr_load *L, const struct sbr_row *a, const struct sbr_row *h,
                             struct aps_game_rec *g)
{
    int y, m, d;
    if (pair_date(L, a, h, &y, &m, &d))
        return "bad date";
    int ra = copy_team(g->away, cell(a, L->c.team)), rh = copy_team(g->home, cell(h, L->c.team));
    const char *why = aps_game_check_teams(g, rh, ra);
    if (why)
        return why;
    int sa = read_score(cell(a, L->c.final), &g->away_score);
    int sh = read_score(cell(h, L->c.final), &g->home_score);
    if (sa == APS_E_NOTFOUND || sh == APS_E_NOTFOUND)
        return "no score";
    if (sa || sh)
        return "bad score";
    g->sport = L->sport;
    memcpy(g->season, L->season, sizeof g->season);
    g->start_time = aps_time_from_civil(y, m, d, 0, 0, 0);
    aps_time_format_date(g->start_time, g->date, sizeof g->date);
    g->neutral = row_side(L, a) == 'N';
    g->status = APS_GS_FINAL;
    g->line = a->line;
    return NULL;
}

static void add_game(struct sbr_load *L, const struct sbr_row *a, const struct sbr_row *h)
{
    struct aps_game_rec tmp;
    memset(&tmp, 0, sizeof tmp);
    tmp.home_score = tmp.away_score = -1;
    L->b->line = a->line; /* the game's rejects name its first row */
    const char *why = pair_game(L, a, h, &tmp);
    if (why) {
        aps_batch_reject(L->b, why);
        return;
    }
    tmp.game_no = game_number(L->b, &tmp);
    game_extra(L, &tmp, a, h);
    struct aps_game_rec *g = aps_batch_add_game(L->b);
    *g = tmp;
    game_odds(L, L->b->ngames - 1, a, h);
}

/* ---- the postseason ---- */

struct postseason {
    enum aps_sport sport;
    const char *season, *first_day;
    int regular_games;
};

static const struct postseason postseasons[] = {
#define APS_POSTSEASON(sport, season, day, games) {APS_SPORT_##sport, season, day, games},
#include "ingest/postseason.def"
#undef APS_POSTSEASON
};

/* Team's games so far in the file, this one included, by its canonical team (a file spells
 * some teams two ways: "NYIslanders" and "NY Islanders" in the NHL's 2021). */
static int64_t played(struct aps_strmap *seen, enum aps_sport sport, const char *team)
{
    struct aps_team_ref ref;
    const char *key = aps_team_resolve(sport, team, &ref) ? team : ref.key;
    int64_t n = 0;
    (void)aps_strmap_get(seen, key, &n);
    aps_strmap_put(seen, key, ++n);
    return n;
}

/* Marks the batch's playoff games by the season's line of postseason.def (games in file order,
 * which is the order they were played); a season not listed has none marked. */
static void mark_postseason(struct sbr_load *L)
{
    const struct postseason *p = NULL;
    for (size_t i = 0; i < sizeof postseasons / sizeof postseasons[0] && !p; i++)
        if (postseasons[i].sport == L->sport && !strcmp(postseasons[i].season, L->season))
            p = &postseasons[i];
    if (!p)
        return;
    struct aps_strmap seen = {0};
    for (size_t i = 0; i < L->b->ngames; i++) {
        struct aps_game_rec *g = &L->b->games[i];
        int64_t home = played(&seen, L->sport, g->home), away = played(&seen, L->sport, g->away);
        g->playoff = strcmp(g->date, p->first_day) >= 0 &&
                     (!p->regular_games || home > p->regular_games || away > p->regular_games);
    }
    aps_strmap_cleanup(&seen);
}

/* ---- the file ---- */

static void reject_row(struct sbr_load *L, const struct sbr_row *r, const char *why)
{
    L->b->line = r->line;
    aps_batch_reject(L->b, why);
}

/* Pairs rows as they come: a V/N row waits for its H/N partner; a row that cannot pair is
 * counted as "unpaired row" and the next V/N row starts afresh. A row without the header's
 * fields (cut off, or shifted by a comma) is rejected before pairing, so its partner is left
 * unpaired. */
static int read_rows(struct sbr_load *L, struct aps_csv *csv, const char *path, char *err,
                     size_t errcap)
{
    /* Two row copies on the heap (4 KiB together); pend holds the row waiting for its partner. */
    struct sbr_row *pend = aps_malloc(sizeof *pend), *cur = aps_malloc(sizeof *cur);
    bool have = false;
    int rc;
    char **f;
    size_t n;
    while ((rc = aps_csv_next(csv, &f, &n)) == 1) {
        if (aps_csv_row_blank(f, n))
            continue;
        L->b->rows++;
        L->b->line = aps_csv_line(csv);
        const char *bad = aps_csv_width_problem(f, n, L->ncols);
        if (bad || copy_row(cur, f, n, aps_csv_line(csv))) {
            aps_batch_reject(L->b, bad ? bad : "bad row");
            continue;
        }
        if (have && rows_pair(L, pend, cur)) {
            add_game(L, pend, cur);
            have = false;
            continue;
        }
        if (have)
            reject_row(L, pend, "unpaired row");
        char s = row_side(L, cur);
        have = s == 'V' || s == 'N';
        if (!have)
            reject_row(L, cur, "unpaired row");
        struct sbr_row *t = pend;
        pend = cur;
        cur = t;
    }
    if (have)
        reject_row(L, pend, "unpaired row");
    if (rc < 0)
        rc = aps_load_error(err, errcap, path, aps_csv_line(csv), rc, "%s", aps_strerror(rc));
    aps_free(pend);
    aps_free(cur);
    return rc;
}

int aps_load_sbr(const char *path, int sport, struct aps_batch *b, char *err, size_t errcap)
{
    struct sbr_load L;
    memset(&L, 0, sizeof L);
    L.b = b;
    b->source = "sbr";
    if (sport < 0)
        sport = aps_load_sbr_sport(path);
    if (sport != APS_SPORT_NBA && sport != APS_SPORT_NCAAB && sport != APS_SPORT_NHL &&
        sport != APS_SPORT_MLB)
        return aps_load_error(err, errcap, path, 0, APS_E_INVAL,
                              "not an NBA, NCAAB, NHL or MLB file (name it after the sport)");
    L.sport = (enum aps_sport)sport;
    L.basketball = sport == APS_SPORT_NBA || sport == APS_SPORT_NCAAB;
    L.split = sport != APS_SPORT_MLB;
    if (season_from_name(&L, base_name(path)))
        return aps_load_error(err, errcap, path, 0, APS_E_PARSE,
                              "no season (YYYY or YYYY-YY) in the file name");

    struct aps_csv *csv;
    int rc = aps_csv_open(&csv, path);
    if (rc)
        return aps_load_error(err, errcap, path, 0, rc, "cannot read: %s", aps_strerror(rc));
    char **h;
    size_t n;
    rc = aps_csv_next(csv, &h, &n);
    if (rc <= 0) {
        rc = rc ? aps_load_error(err, errcap, path, 1, rc, "cannot read the header row: %s",
                                 aps_csv_strerror(rc))
                : aps_load_error(err, errcap, path, 1, APS_E_PARSE, "no header row");
        goto out;
    }
    rc = read_header(&L, h, n, path, err, errcap);
    if (rc)
        goto out;
    rc = read_rows(&L, csv, path, err, errcap);
    if (!rc && L.other_year[0])
        rc =
            aps_load_error(err, errcap, path, 0, APS_E_PARSE,
                           "the file name says season %s, but its Year column dates the first game "
                           "%04d-%02d-%02d: name the file after the season it holds",
                           L.season, L.other_year[0], L.other_year[1], L.other_year[2]);
    if (!rc)
        mark_postseason(&L);
out:
    aps_csv_close(csv);
    return rc;
}
