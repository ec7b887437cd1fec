/* load_football_data.c — football-data.co.uk season files (Premier League, La Liga, Bundesliga,
 * Serie A, Ligue 1) into a batch: one game per row, and every decimal price the row holds.
 *
 * The column set changes from season to season (61 to 106 columns in 2012-13 … 2023-24), so the
 * header is read once into a column map: the fixed result columns by name, and every odds column
 * by splitting its name into a bookmaker prefix (books.h) and a suffix that says the market,
 * selection and phase ("B365" + "CH" = Bet365 closing home). A column whose name does not split
 * that way is not an odds column and is ignored. See ../shared/data/README.md §1.4. */
#include <ctype.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "core/buf.h"
#include "core/csv.h"
#include "core/log.h"
#include "core/mem.h"
#include "core/str.h"
#include "core/timeutil.h"
#include "ingest/books.h"
#include "ingest/loaders.h"

#define MAX_GOALS 20

/* Which handicap line an odds column is quoted at. */
enum line_src { LINE_NONE, LINE_TOTAL_25, LINE_AH_PRE, LINE_AH_CLOSE };

/* What the part of a column name after the bookmaker prefix means. */
struct suffix_rule {
    const char *suffix;
    enum aps_market market;
    enum aps_selection sel;
    enum aps_phase phase;
    enum line_src line;
};

static const struct suffix_rule suffix_rules[] = {
    {"H", APS_MKT_MONEYLINE, APS_SEL_HOME, APS_PHASE_PRE, LINE_NONE},
    {"D", APS_MKT_MONEYLINE, APS_SEL_DRAW, APS_PHASE_PRE, LINE_NONE},
    {"A", APS_MKT_MONEYLINE, APS_SEL_AWAY, APS_PHASE_PRE, LINE_NONE},
    {"CH", APS_MKT_MONEYLINE, APS_SEL_HOME, APS_PHASE_CLOSE, LINE_NONE},
    {"CD", APS_MKT_MONEYLINE, APS_SEL_DRAW, APS_PHASE_CLOSE, LINE_NONE},
    {"CA", APS_MKT_MONEYLINE, APS_SEL_AWAY, APS_PHASE_CLOSE, LINE_NONE},
    {">2.5", APS_MKT_TOTAL, APS_SEL_OVER, APS_PHASE_PRE, LINE_TOTAL_25},
    {"<2.5", APS_MKT_TOTAL, APS_SEL_UNDER, APS_PHASE_PRE, LINE_TOTAL_25},
    {"C>2.5", APS_MKT_TOTAL, APS_SEL_OVER, APS_PHASE_CLOSE, LINE_TOTAL_25},
    {"C<2.5", APS_MKT_TOTAL, APS_SEL_UNDER, APS_PHASE_CLOSE, LINE_TOTAL_25},
    {"AHH", APS_MKT_SPREAD, APS_SEL_HOME, APS_PHASE_PRE, LINE_AH_PRE},
    {"AHA", APS_MKT_SPREAD, APS_SEL_AWAY, APS_PHASE_PRE, LINE_AH_PRE},
    {"CAHH", APS_MKT_SPREAD, APS_SEL_HOME, APS_PHASE_CLOSE, LINE_AH_CLOSE},
    {"CAHA", APS_MKT_SPREAD, APS_SEL_AWAY, APS_PHASE_CLOSE, LINE_AH_CLOSE},
};

#define NRULES (sizeof suffix_rules / sizeof suffix_rules[0])

/* Time zones whose clocks change on the EU dates. */
enum eu_zone { ZONE_UK, ZONE_CET };

/* The Div column. Every league's Time column is UK local time, not the league's own: Bundesliga
 * Saturday games (15:30 in Germany) read 14:30 and Serie A evening games (20:45 in Italy) read
 * 19:45 in every file from 2019-20, so all five convert from the UK zone. */
struct division {
    const char *div;
    enum aps_sport sport;
    enum eu_zone zone;
};

static const struct division divisions[] = {
    {"E0", APS_SPORT_EPL, ZONE_UK},        {"SP1", APS_SPORT_LALIGA, ZONE_UK},
    {"D1", APS_SPORT_BUNDESLIGA, ZONE_UK}, {"I1", APS_SPORT_SERIEA, ZONE_UK},
    {"F1", APS_SPORT_LIGUE1, ZONE_UK},
};

struct odds_col {
    int col;
    const char *book;
    const struct suffix_rule *rule;
};

/* The header, mapped. -1 for a column the file does not have. */
struct fd_map {
    int div, date, time, home, away, fthg, ftag, hthg, htag, referee;
    int ah_pre, ah_close; /* BbAHh or AHh; AHCh */
    struct odds_col odds[APS_CSV_MAX_FIELDS];
    size_t nodds;
};

struct fd_file {
    const char *path;
    struct aps_csv *csv;
    struct aps_batch *b;
    struct fd_map map;
    size_t ncols;    /* the header's fields */
    char season[16]; /* from the file name; "" to take it from each row's date */
    int season_y;    /* the season's first year, with season */
    size_t outside;  /* rows dated outside that season */
    char first_outside[16];
    char *err;
    size_t errcap;
};

static int file_error(struct fd_file *fd, int rc, const char *what)
{
    size_t line = fd->csv ? aps_csv_line(fd->csv) : 0;
    return aps_load_error(fd->err, fd->errcap, fd->path, line, rc, "%s", what);
}

/* --- dates, times, seasons ------------------------------------------------------------------ */

/* Seconds of the last Sunday of a month at 01:00 UTC (the EU clock change instant). */
static int64_t last_sunday_0100(int y, int m)
{
    static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int64_t last = aps_days_from_civil(y, m, mdays[m - 1]);
    int64_t dow = ((last % 7) + 7 + 4) % 7; /* 1970-01-01 was a Thursday; 0 = Sunday */
    return (last - dow) * 86400 + 3600;
}

/* UTC seconds for a local wall-clock time in zone z. Summer time runs from the last Sunday of
 * March 01:00 UTC to the last Sunday of October 01:00 UTC in both zones: the UK is UTC+0 in
 * winter and UTC+1 in summer, CET UTC+1 and UTC+2. A wall time inside the spring gap or the
 * autumn repeat is read as summer time when that lands inside the summer interval. */
static int64_t eu_local_to_utc(int y, int mo, int d, int h, int mi, enum eu_zone z)
{
    int64_t local = aps_time_from_civil(y, mo, d, h, mi, 0);
    int64_t std = z == ZONE_CET ? 3600 : 0;
    int64_t summer = local - std - 3600;
    if (summer >= last_sunday_0100(y, 3) && summer < last_sunday_0100(y, 10))
        return summer;
    return local - std;
}

/* Reads 1 to maxd digits; returns the number of digits read (0 when none). */
static int read_digits(const char *s, int maxd, int *out)
{
    int v = 0, n = 0;
    while (n < maxd && isdigit((unsigned char)s[n])) {
        v = v * 10 + (s[n] - '0');
        n++;
    }
    *out = v;
    return n;
}

/* "dd/mm/yy" or "dd/mm/yyyy"; two-digit years 00-69 are 20xx, 70-99 are 19xx. */
static int parse_fd_date(const char *s, int *y, int *m, int *d)
{
    while (*s == ' ')
        s++;
    int nd = read_digits(s, 2, d);
    if (!nd || s[nd] != '/')
        return APS_E_PARSE;
    s += nd + 1;
    int nm = read_digits(s, 2, m);
    if (!nm || s[nm] != '/')
        return APS_E_PARSE;
    s += nm + 1;
    int ny = read_digits(s, 4, y);
    if (ny != 2 && ny != 4)
        return APS_E_PARSE;
    if (!aps_str_blank(s + ny))
        return APS_E_PARSE;
    if (ny == 2)
        *y += *y < 70 ? 2000 : 1900;
    return aps_date_valid(*y, *m, *d) ? 0 : APS_E_PARSE;
}

/* "HH:MM" (an hour of one or two digits). */
static int parse_hhmm(const char *s, int *h, int *mi)
{
    while (*s == ' ')
        s++;
    int nh = read_digits(s, 2, h);
    if (!nh || s[nh] != ':')
        return APS_E_PARSE;
    s += nh + 1;
    if (read_digits(s, 2, mi) != 2 || !aps_str_blank(s + 2))
        return APS_E_PARSE;
    return *h < 24 && *mi < 60 ? 0 : APS_E_PARSE;
}

/* Season of a split-year league from a date: July onwards starts a new season. */
static void season_from_date(int y, int m, char *out, size_t cap)
{
    int start = m >= 7 ? y : y - 1;
    snprintf(out, cap, "%04d-%02d", start, (start + 1) % 100);
}

/* Whether a game in month m of year y belongs to the season starting in July of year start: July
 * to the next June, and the next July and August too (2019-20 finished in August 2020). */
static bool in_season(int start, int y, int m)
{
    return (y == start && m >= 7) || (y == start + 1 && m <= 8);
}

/* "1213_E0.csv" → "2012-13", returning the first year (2012); leaves out empty and returns 0
 * when the name does not start that way. */
static int season_from_name(const char *path, char *out, size_t cap)
{
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    int a, b;
    out[0] = '\0';
    if (read_digits(base, 2, &a) != 2 || read_digits(base + 2, 2, &b) != 2 || base[4] != '_')
        return 0;
    if (b != (a + 1) % 100)
        return 0;
    int y = a < 70 ? 2000 + a : 1900 + a;
    snprintf(out, cap, "%04d-%02d", y, b);
    return y;
}

/* --- header ---------------------------------------------------------------------------------- */

static const struct suffix_rule *find_rule(const char *rest)
{
    for (size_t i = 0; i < NRULES; i++)
        if (!strcmp(suffix_rules[i].suffix, rest))
            return &suffix_rules[i];
    return NULL;
}

static bool is_odds_suffix(const char *rest)
{
    return find_rule(rest) != NULL;
}

/* Adds column i to the odds map when its name is a known book prefix plus an odds suffix. */
static void map_odds_column(struct fd_map *m, int i, const char *name)
{
    const char *key;
    size_t len = aps_book_match_prefix(name, is_odds_suffix, &key);
    if (!len)
        return;
    struct odds_col *oc = &m->odds[m->nodds++];
    oc->col = i;
    oc->book = key;
    oc->rule = find_rule(name + len);
}

static int map_header(struct fd_file *fd, char **f, size_t n)
{
    struct fd_map *m = &fd->map;
    m->div = aps_csv_find(f, n, "Div");
    m->date = aps_csv_find(f, n, "Date");
    m->time = aps_csv_find(f, n, "Time");
    m->home = aps_csv_find(f, n, "HomeTeam");
    m->away = aps_csv_find(f, n, "AwayTeam");
    m->fthg = aps_csv_find(f, n, "FTHG");
    m->ftag = aps_csv_find(f, n, "FTAG");
    m->hthg = aps_csv_find(f, n, "HTHG");
    m->htag = aps_csv_find(f, n, "HTAG");
    m->referee = aps_csv_find(f, n, "Referee");
    m->ah_pre = aps_csv_find(f, n, "AHh");
    if (m->ah_pre < 0)
        m->ah_pre = aps_csv_find(f, n, "BbAHh");
    m->ah_close = aps_csv_find(f, n, "AHCh");
    if (m->div < 0 || m->date < 0 || m->home < 0 || m->away < 0 || m->fthg < 0 || m->ftag < 0)
        return file_error(fd, APS_E_PARSE,
                    "not a football-data file: missing Div, Date, HomeTeam, AwayTeam, FTHG or FTAG");
    m->nodds = 0;
    for (size_t i = 0; i < n; i++)
        map_odds_column(m, (int)i, aps_str_trim(f[i]));
    int read[12 + APS_CSV_MAX_FIELDS] = {m->div,  m->date,    m->time,   m->home,
                                         m->away, m->fthg,    m->ftag,   m->hthg,
                                         m->htag, m->referee, m->ah_pre, m->ah_close};
    size_t nread = 12;
    for (size_t i = 0; i < m->nodds && nread < sizeof read / sizeof read[0]; i++)
        read[nread++] = m->odds[i].col;
    return aps_load_check_columns(f, n, read, nread, fd->path, fd->err, fd->errcap);
}

/* --- rows ------------------------------------------------------------------------------------ */

/* Field i of the row (trimmed by read_row), "" when the row is shorter than the header or the
 * column is absent. */
static const char *field(char **f, size_t n, int i)
{
    return i >= 0 && (size_t)i < n ? f[i] : "";
}

/* Adds "key":value (value already JSON) to the object in obj when the closed object still fits
 * in APS_EXTRA_MAX; otherwise the key is dropped. */
static void extra_put(struct aps_buf *obj, const char *key, const char *value_json)
{
    if (obj->len + strlen(key) + strlen(value_json) + 5 >= APS_EXTRA_MAX)
        return;
    aps_buf_putc(obj, obj->len ? ',' : '{');
    aps_buf_printf(obj, "\"%s\":%s", key, value_json);
}

/* extra: {"ht":[h,a],"ref":"…"} with whatever the row has. */
static void build_extra(struct fd_file *fd, char **f, size_t n, struct aps_game_rec *g)
{
    struct aps_buf obj = {0}, val = {0};
    int hh, ha;
    if (!aps_parse_int(field(f, n, fd->map.hthg), &hh) &&
        !aps_parse_int(field(f, n, fd->map.htag), &ha) && hh >= 0 && ha >= 0) {
        aps_buf_printf(&val, "[%d,%d]", hh, ha);
        extra_put(&obj, "ht", aps_buf_str(&val));
    }
    const char *ref = field(f, n, fd->map.referee);
    if (!aps_str_blank(ref)) {
        aps_buf_reset(&val);
        aps_buf_putc(&val, '"');
        aps_json_escape(&val, ref);
        aps_buf_putc(&val, '"');
        extra_put(&obj, "ref", aps_buf_str(&val));
    }
    if (obj.len)
        aps_buf_putc(&obj, '}');
    (void)aps_str_copy(g->extra, sizeof g->extra, aps_buf_str(&obj));
    aps_buf_cleanup(&obj);
    aps_buf_cleanup(&val);
}

/* Scores: both empty → not played (0); both integers in 0..MAX_GOALS → 1; else bad (-1). */
static int read_scores(const char *hs, const char *as, int *h, int *a)
{
    if (aps_str_blank(hs) && aps_str_blank(as))
        return 0;
    if (aps_parse_int(hs, h) || aps_parse_int(as, a))
        return -1;
    if (*h < 0 || *a < 0 || *h > MAX_GOALS || *a > MAX_GOALS)
        return -1;
    return 1;
}

static const struct division *find_division(const char *div)
{
    for (size_t i = 0; i < sizeof divisions / sizeof divisions[0]; i++)
        if (!strcmp(divisions[i].div, div))
            return &divisions[i];
    return NULL;
}

/* Fills date, start time and season. Returns NULL, or a reject reason. */
static const char *read_when(struct fd_file *fd, char **f, size_t n, const struct division *dv,
                             struct aps_game_rec *g)
{
    int y, m, d, h, mi;
    if (parse_fd_date(field(f, n, fd->map.date), &y, &m, &d))
        return "bad date";
    if (snprintf(g->date, sizeof g->date, "%04d-%02d-%02d", y, m, d) >= (int)sizeof g->date)
        return "bad date";
    g->start_time = aps_time_from_civil(y, m, d, 0, 0, 0);
    /* A kick-off time that does not parse loses only the time, not the match. */
    if (!parse_hhmm(field(f, n, fd->map.time), &h, &mi)) {
        g->start_time = eu_local_to_utc(y, m, d, h, mi, dv->zone);
        g->time_known = true;
    }
    if (fd->season[0] && !in_season(fd->season_y, y, m)) {
        if (!fd->outside++)
            memcpy(fd->first_outside, g->date, sizeof fd->first_outside);
        return "date outside the season";
    }
    if (fd->season[0])
        memcpy(g->season, fd->season, sizeof g->season);
    else
        season_from_date(y, m, g->season, sizeof g->season);
    return NULL;
}

/* Fills teams, scores and status. Returns NULL, or a reject reason. */
static const char *read_result(struct fd_file *fd, char **f, size_t n, struct aps_game_rec *g)
{
    const char *home = field(f, n, fd->map.home);
    const char *away = field(f, n, fd->map.away);
    if (!*home || !*away)
        return "missing team";
    if (!strcmp(home, away))
        return "same teams";
    if (aps_str_copy(g->home, sizeof g->home, home) || aps_str_copy(g->away, sizeof g->away, away))
        return "team name too long";
    int sc = read_scores(field(f, n, fd->map.fthg), field(f, n, fd->map.ftag), &g->home_score,
                         &g->away_score);
    if (sc < 0)
        return "bad score";
    g->status = sc ? APS_GS_FINAL : APS_GS_SCHEDULED;
    if (!sc)
        g->home_score = g->away_score = -1;
    return NULL;
}

/* The handicap line in column col for this row: NAN when absent, bad set when present but not a
 * number within 20 goals on the quarter-goal grid. */
static double read_line(char **f, size_t n, int col, bool *bad)
{
    const char *s = field(f, n, col);
    double v;
    if (aps_str_blank(s))
        return NAN;
    if (aps_parse_double(s, &v) || fabs(v) > 20 || !aps_line_on_grid(v)) {
        *bad = true;
        return NAN;
    }
    return v;
}

/* Adds every price of the row. Asian handicap prices without a line cannot be attributed and
 * are skipped; a line that is present but not a number is counted once as "bad handicap". */
static void read_odds(struct fd_file *fd, char **f, size_t n, size_t gi)
{
    bool bad = false;
    double ah[2] = {read_line(f, n, fd->map.ah_pre, &bad), read_line(f, n, fd->map.ah_close, &bad)};
    if (bad)
        aps_batch_reject(fd->b, "bad handicap");
    for (size_t i = 0; i < fd->map.nodds; i++) {
        const struct odds_col *oc = &fd->map.odds[i];
        const char *s = field(f, n, oc->col);
        if (aps_str_blank(s))
            continue;
        double line = NAN, price;
        if (oc->rule->line == LINE_TOTAL_25) {
            line = 2.5;
        } else if (oc->rule->line == LINE_AH_PRE || oc->rule->line == LINE_AH_CLOSE) {
            line = ah[oc->rule->line == LINE_AH_CLOSE];
            if (isnan(line))
                continue;
            /* The file gives the home side's handicap; the away side gets the opposite. */
            if (oc->rule->sel == APS_SEL_AWAY && line != 0)
                line = -line;
        }
        if (aps_parse_double(s, &price))
            price = -1; /* present but not a number: aps_batch_odds counts it as a bad price */
        (void)aps_batch_odds(fd->b, gi, oc->book, oc->rule->market, oc->rule->sel,
                             oc->rule->phase, line, price);
    }
}

/* One data row. Returns 0 (row added, rejected or skipped) or a negative APS_E_* for a file
 * error (an unknown division). */
static int read_row(struct fd_file *fd, char **f, size_t n)
{
    if (aps_csv_row_blank(f, n) || aps_str_blank(field(f, n, fd->map.date)))
        return 0; /* football-data's trailing all-comma rows: not data */
    fd->b->rows++;
    fd->b->line = aps_csv_line(fd->csv);
    /* A cut-off or shifted row would put prices under the wrong selections. */
    const char *bad = aps_csv_width_problem(f, n, fd->ncols);
    if (bad) {
        aps_batch_reject(fd->b, bad);
        return 0;
    }
    for (size_t i = 0; i < n; i++)
        aps_str_trim(f[i]);
    const struct division *dv = find_division(field(f, n, fd->map.div));
    if (!dv)
        return file_error(fd, APS_E_PARSE, "unknown Div (expected E0, SP1, D1, I1 or F1)");
    struct aps_game_rec *g = aps_batch_add_game(fd->b);
    g->sport = dv->sport;
    g->line = aps_csv_line(fd->csv);
    const char *why = read_when(fd, f, n, dv, g);
    if (!why)
        why = read_result(fd, f, n, g);
    if (why) {
        aps_batch_drop_last_game(fd->b);
        aps_batch_reject(fd->b, why);
        return 0;
    }
    build_extra(fd, f, n, g);
    read_odds(fd, f, n, fd->b->ngames - 1);
    return 0;
}

int aps_load_football_data(const char *path, struct aps_batch *b, char *err, size_t errcap)
{
    struct fd_file *fd = aps_calloc(1, sizeof *fd);
    fd->path = path;
    fd->b = b;
    fd->err = err;
    fd->errcap = errcap;
    b->source = "football-data";
    fd->season_y = season_from_name(path, fd->season, sizeof fd->season);
    char **f;
    size_t n;
    int rc = aps_csv_open(&fd->csv, path);
    if (rc) {
        rc = file_error(fd, rc, aps_strerror(rc));
        goto out;
    }
    rc = aps_csv_next(fd->csv, &f, &n);
    if (rc <= 0) {
        rc = file_error(fd, rc ? rc : APS_E_PARSE, rc ? aps_strerror(rc) : "empty file");
        goto out;
    }
    fd->ncols = n;
    rc = map_header(fd, f, n);
    if (rc)
        goto out;
    for (;;) {
        rc = aps_csv_next(fd->csv, &f, &n);
        if (rc != 1)
            break;
        rc = read_row(fd, f, n);
        if (rc)
            goto out;
    }
    if (rc < 0)
        rc = file_error(fd, rc, aps_strerror(rc));
    else if (fd->outside && !b->ngames)
        rc = aps_load_error(err, errcap, path, 0, APS_E_PARSE,
                            "the file name says season %s, but no game is dated in it (the first "
                            "is dated %s): name the file after the season it holds",
                            fd->season, fd->first_outside);
out:
    aps_csv_close(fd->csv);
    aps_free(fd);
    return rc;
}
