/* load_tennis_data.c — tennis-data.co.uk files (yearly ATP files and the deuce Grand Slam ATP/WTA
 * exports) into a batch: one game per match with the pre-match winner/loser prices of every book.
 *
 * Sides. The source keys each row by Winner and Loser, so taking the winner as "home" would put
 * the result into the sides. The loader instead makes "home" the player whose name (as given,
 * byte order) sorts first, the other "away", and marks every match neutral; the W/L prices follow
 * the players. About half the matches then have the winner at home.
 *
 * Settlement of the Comment column:
 *   Completed     final, sets won as the scores.
 *   Retired,      final with the sets as played (possibly level, or the winner behind) and extra
 *   Disqualified  {"comment":"Retired"}. The scores alone do not settle such a match, so extra
 *                 always says who advanced ("winner":"home"/"away"); whether a moneyline bet is
 *                 paid on the player who advanced or voided is the settler's rule, not the
 *                 loader's.
 *   Walkover      cancelled, no scores: no ball was struck, so bets are void.
 *   anything else ("Sched", "NSY" are stray values in atp_odds.csv): final when both set counts
 *                 are given, scheduled when not; the comment is kept in extra.
 * See ../shared/data/README.md §1.5. */
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

/* The header, mapped. -1 for a column the file does not have. */
struct td_map {
    int date, winner, loser, location, tournament, series, court, surface, round, best_of;
    int wrank, lrank, wpts, lpts, wsets, lsets, comment;
    struct {
        int col;
        const char *book;
        bool winner; /* the W column; else L */
    } odds[APS_CSV_MAX_FIELDS];
    size_t nodds;
};

struct td_file {
    const char *path;
    struct aps_csv *csv;
    struct aps_batch *b;
    enum aps_sport sport;
    struct td_map map;
    size_t ncols; /* the header's fields */
    char *err;
    size_t errcap;
};

static int file_error(struct td_file *td, int rc, const char *what)
{
    size_t line = td->csv ? aps_csv_line(td->csv) : 0;
    return aps_load_error(td->err, td->errcap, td->path, line, rc, "%s", what);
}

/* Field i of the row (trimmed by read_row), "" when the row is short or the column absent. */
static const char *field(char **f, size_t n, int i)
{
    return i >= 0 && (size_t)i < n ? f[i] : "";
}

/* --- header ---------------------------------------------------------------------------------- */

static bool is_wl_suffix(const char *rest)
{
    return !strcmp(rest, "W") || !strcmp(rest, "L");
}

/* The first of two spellings that the header has (R's write.csv turns "Best of" into "Best.of"). */
static int find_either(char **f, size_t n, const char *a, const char *b)
{
    int i = aps_csv_find(f, n, a);
    return i >= 0 ? i : aps_csv_find(f, n, b);
}

/* True when the base name of path contains "wta" in any case. */
static bool path_says_wta(const char *path)
{
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    for (const char *p = base; p[0] && p[1] && p[2]; p++)
        if (tolower((unsigned char)p[0]) == 'w' && tolower((unsigned char)p[1]) == 't' &&
            tolower((unsigned char)p[2]) == 'a')
            return true;
    return false;
}

static void map_odds(struct td_map *m, char **f, size_t n)
{
    m->nodds = 0;
    for (size_t i = 0; i < n; i++) {
        const char *key;
        size_t len = aps_book_match_prefix(f[i], is_wl_suffix, &key);
        if (!len)
            continue;
        m->odds[m->nodds].col = (int)i;
        m->odds[m->nodds].book = key;
        m->odds[m->nodds].winner = f[i][len] == 'W';
        m->nodds++;
    }
}

static int map_header(struct td_file *td, char **f, size_t n)
{
    struct td_map *m = &td->map;
    td->ncols = n;
    for (size_t i = 0; i < n; i++)
        aps_str_trim(f[i]);
    m->date = aps_csv_find(f, n, "Date");
    m->winner = aps_csv_find(f, n, "Winner");
    m->loser = aps_csv_find(f, n, "Loser");
    if (m->date < 0 || m->winner < 0 || m->loser < 0)
        return file_error(td, APS_E_PARSE, "not a tennis-data file: missing Date, Winner or Loser");
    m->location = aps_csv_find(f, n, "Location");
    m->tournament = aps_csv_find(f, n, "Tournament");
    m->series = find_either(f, n, "Series", "Tier");
    m->court = aps_csv_find(f, n, "Court");
    m->surface = aps_csv_find(f, n, "Surface");
    m->round = aps_csv_find(f, n, "Round");
    m->best_of = find_either(f, n, "Best of", "Best.of");
    m->wrank = aps_csv_find(f, n, "WRank");
    m->lrank = aps_csv_find(f, n, "LRank");
    m->wpts = aps_csv_find(f, n, "WPts");
    m->lpts = aps_csv_find(f, n, "LPts");
    m->wsets = aps_csv_find(f, n, "Wsets");
    m->lsets = aps_csv_find(f, n, "Lsets");
    m->comment = aps_csv_find(f, n, "Comment");
    bool wta = aps_csv_find(f, n, "WTA") >= 0 ||
               (aps_csv_find(f, n, "Tier") >= 0 && aps_csv_find(f, n, "Series") < 0) ||
               path_says_wta(td->path);
    td->sport = wta ? APS_SPORT_WTA : APS_SPORT_ATP;
    map_odds(m, f, n);
    int read[17 + APS_CSV_MAX_FIELDS] = {
        m->date,  m->winner, m->loser, m->location, m->tournament, m->series,
        m->court, m->surface, m->round, m->best_of, m->wrank,      m->lrank,
        m->wpts,  m->lpts,   m->wsets, m->lsets,    m->comment};
    size_t nread = 17;
    for (size_t i = 0; i < m->nodds && nread < sizeof read / sizeof read[0]; i++)
        read[nread++] = m->odds[i].col;
    return aps_load_check_columns(f, n, read, nread, td->path, td->err, td->errcap);
}

/* --- rows ------------------------------------------------------------------------------------ */

/* Reads exactly min..max digits followed by the character end; returns the characters used. */
static size_t read_part(const char *s, size_t min, size_t max, char end, int *out)
{
    size_t k = 0;
    int v = 0;
    while (k < max && isdigit((unsigned char)s[k]))
        v = v * 10 + (s[k++] - '0');
    if (k < min || s[k] != end)
        return 0;
    *out = v;
    return k + (end != '\0');
}

/* "YYYY-MM-DD" (the converted files) or "dd/mm/yyyy" (the original spreadsheets' text). */
static int parse_td_date(const char *s, int *y, int *m, int *d)
{
    size_t a, b, c;
    if (s[0] && s[1] && s[2] && s[3] && s[4] == '-') {
        a = read_part(s, 4, 4, '-', y);
        b = a ? read_part(s + a, 1, 2, '-', m) : 0;
        c = b ? read_part(s + a + b, 1, 2, '\0', d) : 0;
    } else {
        a = read_part(s, 1, 2, '/', d);
        b = a ? read_part(s + a, 1, 2, '/', m) : 0;
        c = b ? read_part(s + a + b, 4, 4, '\0', y) : 0;
    }
    return c && aps_date_valid(*y, *m, *d) ? 0 : APS_E_PARSE;
}

/* Adds "key":value (value already JSON) when the closed object still fits in APS_EXTRA_MAX;
 * otherwise the key is dropped, so the most useful keys go first. */
static void extra_put(struct aps_buf *obj, const char *key, const char *value_json)
{
    if (obj->len + strlen(key) + strlen(value_json) + 5 >= APS_EXTRA_MAX)
        return;
    aps_buf_putc(obj, obj->len ? ',' : '{');
    aps_buf_printf(obj, "\"%s\":%s", key, value_json);
}

static void extra_put_str(struct aps_buf *obj, const char *key, const char *s)
{
    if (aps_str_blank(s))
        return;
    struct aps_buf val = {0};
    aps_buf_putc(&val, '"');
    aps_json_escape(&val, s);
    aps_buf_putc(&val, '"');
    extra_put(obj, key, aps_buf_str(&val));
    aps_buf_cleanup(&val);
}

/* A rank or points value from column col: a number, or null for "NR", "N/A" or empty; nothing
 * when the file has no such column. */
static void extra_put_num(struct aps_buf *obj, const char *key, char **f, size_t n, int col)
{
    double v;
    char num[32];
    if (col < 0)
        return;
    if (aps_parse_double(field(f, n, col), &v) || v < 0)
        extra_put(obj, key, "null");
    else if (snprintf(num, sizeof num, "%.15g", v) < (int)sizeof num)
        extra_put(obj, key, num);
}

/* The per-player columns, ordered home first. */
struct sides {
    bool winner_home;
    int rank_col[2], pts_col[2], sets_col[2]; /* column indices */
};

static void build_extra(struct td_file *td, char **f, size_t n, const struct sides *sd,
                        enum aps_game_status st, struct aps_game_rec *g)
{
    const struct td_map *m = &td->map;
    struct aps_buf obj = {0};
    const char *comment = field(f, n, m->comment);
    int best_of;
    char num[16];
    if (st == APS_GS_FINAL || st == APS_GS_CANCELLED)
        extra_put(&obj, "winner", sd->winner_home ? "\"home\"" : "\"away\"");
    if (strcmp(comment, "Completed") != 0)
        extra_put_str(&obj, "comment", comment);
    if (!aps_parse_int(field(f, n, m->best_of), &best_of) && best_of > 0 && best_of < 10 &&
        snprintf(num, sizeof num, "%d", best_of) < (int)sizeof num)
        extra_put(&obj, "best_of", num);
    extra_put_str(&obj, "surface", field(f, n, m->surface));
    extra_put_str(&obj, "court", field(f, n, m->court));
    extra_put_str(&obj, "round", field(f, n, m->round));
    extra_put_num(&obj, "rank_home", f, n, sd->rank_col[0]);
    extra_put_num(&obj, "rank_away", f, n, sd->rank_col[1]);
    extra_put_num(&obj, "pts_home", f, n, sd->pts_col[0]);
    extra_put_num(&obj, "pts_away", f, n, sd->pts_col[1]);
    extra_put_str(&obj, "series", field(f, n, m->series));
    extra_put_str(&obj, "tournament", field(f, n, m->tournament));
    extra_put_str(&obj, "location", field(f, n, m->location));
    if (obj.len)
        aps_buf_putc(&obj, '}');
    (void)aps_str_copy(g->extra, sizeof g->extra, aps_buf_str(&obj));
    aps_buf_cleanup(&obj);
}

/* Status and scores from Comment and the set counts (see the settlement note at the top). */
static void read_outcome(struct td_file *td, char **f, size_t n, const struct sides *sd,
                         struct aps_game_rec *g)
{
    const char *comment = field(f, n, td->map.comment);
    int s0, s1;
    bool have = !aps_parse_int(field(f, n, sd->sets_col[0]), &s0) &&
                !aps_parse_int(field(f, n, sd->sets_col[1]), &s1) && s0 >= 0 && s1 >= 0 && s0 <= 5 &&
                s1 <= 5;
    if (!strcmp(comment, "Walkover")) {
        g->status = APS_GS_CANCELLED;
        return;
    }
    if (have) {
        g->home_score = s0;
        g->away_score = s1;
    }
    bool played = !strcmp(comment, "Completed") || !strcmp(comment, "Retired") ||
                  !strcmp(comment, "Disqualified");
    g->status = played || have ? APS_GS_FINAL : APS_GS_SCHEDULED;
}

/* Names, sides, date and season. Returns NULL or a reject reason. */
static const char *read_match(struct td_file *td, char **f, size_t n, struct sides *sd,
                              struct aps_game_rec *g)
{
    const struct td_map *m = &td->map;
    const char *w = field(f, n, m->winner), *l = field(f, n, m->loser);
    int y, mo, d;
    if (parse_td_date(field(f, n, m->date), &y, &mo, &d))
        return "bad date";
    if (!*w || !*l)
        return "missing player";
    if (!strcmp(w, l))
        return "same player";
    sd->winner_home = strcmp(w, l) < 0;
    int hw = sd->winner_home ? 0 : 1; /* index of the winner in the home-first arrays */
    sd->rank_col[hw] = m->wrank;
    sd->rank_col[!hw] = m->lrank;
    sd->pts_col[hw] = m->wpts;
    sd->pts_col[!hw] = m->lpts;
    sd->sets_col[hw] = m->wsets;
    sd->sets_col[!hw] = m->lsets;
    if (aps_str_copy(g->home, sizeof g->home, sd->winner_home ? w : l) ||
        aps_str_copy(g->away, sizeof g->away, sd->winner_home ? l : w))
        return "player name too long";
    if (snprintf(g->date, sizeof g->date, "%04d-%02d-%02d", y, mo, d) >= (int)sizeof g->date ||
        snprintf(g->season, sizeof g->season, "%04d", y) >= (int)sizeof g->season)
        return "bad date";
    g->start_time = aps_time_from_civil(y, mo, d, 0, 0, 0);
    return NULL;
}

static void read_odds(struct td_file *td, char **f, size_t n, const struct sides *sd, size_t gi)
{
    for (size_t i = 0; i < td->map.nodds; i++) {
        const char *s = field(f, n, td->map.odds[i].col);
        double price;
        if (!*s)
            continue;
        if (aps_parse_double(s, &price))
            price = -1; /* present but not a number: aps_batch_odds counts it as a bad price */
        bool home = td->map.odds[i].winner == sd->winner_home;
        (void)aps_batch_odds(td->b, gi, td->map.odds[i].book, APS_MKT_MONEYLINE,
                             home ? APS_SEL_HOME : APS_SEL_AWAY, APS_PHASE_PRE, NAN, price);
    }
}

static void read_row(struct td_file *td, char **f, size_t n)
{
    if (aps_csv_row_blank(f, n))
        return;
    td->b->rows++;
    td->b->line = aps_csv_line(td->csv);
    const char *bad = aps_csv_width_problem(f, n, td->ncols);
    if (bad) {
        aps_batch_reject(td->b, bad);
        return;
    }
    for (size_t i = 0; i < n; i++)
        aps_str_trim(f[i]);
    struct aps_game_rec *g = aps_batch_add_game(td->b);
    struct sides sd;
    g->sport = td->sport;
    g->neutral = true;
    g->line = aps_csv_line(td->csv);
    const char *why = read_match(td, f, n, &sd, g);
    if (why) {
        aps_batch_drop_last_game(td->b);
        aps_batch_reject(td->b, why);
        return;
    }
    read_outcome(td, f, n, &sd, g);
    build_extra(td, f, n, &sd, g->status, g);
    read_odds(td, f, n, &sd, td->b->ngames - 1);
}

int aps_load_tennis_data(const char *path, struct aps_batch *b, char *err, size_t errcap)
{
    struct td_file *td = aps_calloc(1, sizeof *td);
    td->path = path;
    td->b = b;
    td->err = err;
    td->errcap = errcap;
    b->source = "tennis-data";
    char **f;
    size_t n;
    int rc = aps_csv_open(&td->csv, path);
    if (rc) {
        rc = file_error(td, rc, aps_strerror(rc));
        goto out;
    }
    rc = aps_csv_next(td->csv, &f, &n);
    if (rc <= 0) {
        rc = file_error(td, rc ? rc : APS_E_PARSE, rc ? aps_strerror(rc) : "empty file");
        goto out;
    }
    rc = map_header(td, f, n);
    if (rc)
        goto out;
    for (;;) {
        rc = aps_csv_next(td->csv, &f, &n);
        if (rc != 1)
            break;
        read_row(td, f, n);
    }
    if (rc < 0)
        rc = file_error(td, rc, aps_strerror(rc));
out:
    aps_csv_close(td->csv);
    aps_free(td);
    return rc;
}
