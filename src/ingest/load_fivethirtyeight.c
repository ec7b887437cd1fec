/* load_fivethirtyeight.c — FiveThirtyEight's published forecasts into a batch (loaders.h).
 *
 * The layout is told by the header, not the file name:
 *   - nfl-elo-game/nfl_games.csv (elo1, elo_prob1, result1): one game per row with its final score
 *     and one "538_elo" forecast. team1 is at home unless neutral=1; a neutral game still lists
 *     team1 as home, with neutral set.
 *   - checking-our-work/<league>_games.csv (prob1_outcome): forecasts only, model "538", the sport
 *     from the file name (nfl_, nba_, mlb_, nhl_, wnba_). 538 does not say which side is at
 *     home or whether the site was neutral, so team1_home and neutral are false, meaning "not
 *     known" (the writer learns the orientation when it matches the forecast to a stored game). MLB's dh column (0, or 1 for the second game of a
 *     doubleheader) becomes game_no dh + 1.
 *   - 538 Elo mirrors (elo_prob1 with score1/score2): mirrors/nfl_elo.csv (qbelo_prob1) gives
 *     "538_elo" and "538_qbelo" forecasts, nba_elo_latest.csv (raptor_prob1 or carm-elo_prob1)
 *     "538_elo" and "538_raptor" (when the row has one; CARM-Elo is not loaded).
 *     team1 is at home unless neutral; unplayed rows are kept with result NAN and no scores.
 * Refused with APS_E_UNSUPPORTED: world_cup_matches_*.csv (three-way forecasts for national teams;
 * sports.def has no sport for international soccer, so there is nothing to attach them to) and
 * initial_elos.csv (starting ratings, not games).
 *
 * Seasons: 538 names a season by the year it ends in; split-year leagues (NBA, NHL) become
 * "2021-22" like every other loader's, the rest stay "2021". Dates are YYYY-MM-DD or M/D/YYYY
 * (the NFL mirror). Rows that fail validation are counted in the batch by reason: "bad date",
 * "bad season", "missing team", "unknown team", "bad probability", "bad score", "bad result",
 * "bad flag". See ../shared/data/README.md §2. */
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "core/csv.h"
#include "core/str.h"
#include "core/timeutil.h"
#include "ingest/loaders.h"
#include "ingest/teams.h"

enum layout { LAYOUT_NFL_GAMES, LAYOUT_CHECKING, LAYOUT_ELO_MIRROR };

/* Column indices by name, -1 when the file has no such column. */
struct cols {
    int date, season, neutral, playoff, team1, team2;
    int prob1, prob2, outcome1, dh;         /* checking-our-work */
    int elo, qbelo, raptor, score1, score2; /* Elo files */
    int result1;                            /* nfl-elo-game */
};

struct load {
    const char *path;
    struct aps_batch *b;
    enum layout layout;
    enum aps_sport sport;
    bool split; /* the sport's seasons span two calendar years */
    struct cols c;
    char **f;
    size_t n;
    size_t ncols; /* the header's fields */
    size_t line;
};

/* What every row has, validated. */
struct row {
    char date[11];
    int64_t day_start; /* the date at 00:00 UTC */
    char season[16];
    const char *team1, *team2;
    bool neutral;
    int score1, score2; /* -1 when not played */
    double result1;     /* NAN when not played */
};

static const char *cell(const struct load *L, int col)
{
    return col >= 0 && (size_t)col < L->n ? L->f[col] : "";
}

/* The cell with spaces trimmed in place (the reader's row is ours until the next row). */
static const char *trimmed(const struct load *L, int col)
{
    return col >= 0 && (size_t)col < L->n ? aps_str_trim(L->f[col]) : "";
}

/* ---- layout and sport ---- */

static const char *base_name(const char *path)
{
    const char *s = strrchr(path, '/');
    return s ? s + 1 : path;
}

/* The league a checking-our-work file is named after ("wnba" before "nba"); -1 when none. */
static int sport_from_name(const char *path)
{
    static const struct { const char *word; enum aps_sport sport; } words[] = {
        {"wnba", APS_SPORT_WNBA}, {"nba", APS_SPORT_NBA}, {"nfl", APS_SPORT_NFL},
        {"nhl", APS_SPORT_NHL},   {"mlb", APS_SPORT_MLB},
    };
    const char *base = base_name(path);
    for (size_t w = 0; w < sizeof words / sizeof words[0]; w++)
        if (!strncasecmp(base, words[w].word, strlen(words[w].word)))
            return (int)words[w].sport;
    return -1;
}

static void find_cols(struct cols *c, char **h, size_t n)
{
    c->date = aps_csv_find(h, n, "date");
    c->season = aps_csv_find(h, n, "season");
    c->neutral = aps_csv_find(h, n, "neutral");
    c->playoff = aps_csv_find(h, n, "playoff");
    c->team1 = aps_csv_find(h, n, "team1");
    c->team2 = aps_csv_find(h, n, "team2");
    c->prob1 = aps_csv_find(h, n, "prob1");
    c->prob2 = aps_csv_find(h, n, "prob2");
    c->outcome1 = aps_csv_find(h, n, "prob1_outcome");
    c->dh = aps_csv_find(h, n, "dh");
    c->elo = aps_csv_find(h, n, "elo_prob1");
    c->qbelo = aps_csv_find(h, n, "qbelo_prob1");
    c->raptor = aps_csv_find(h, n, "raptor_prob1");
    c->score1 = aps_csv_find(h, n, "score1");
    c->score2 = aps_csv_find(h, n, "score2");
    c->result1 = aps_csv_find(h, n, "result1");
}

/* Names the first required column the layout lacks, or NULL. */
static const char *missing_col(const struct load *L)
{
    const struct cols *c = &L->c;
    if (c->date < 0)
        return "date";
    if (c->season < 0)
        return "season";
    if (c->team1 < 0)
        return "team1";
    if (c->team2 < 0)
        return "team2";
    if (L->layout == LAYOUT_CHECKING)
        return c->prob1 < 0 ? "prob1" : c->prob2 < 0 ? "prob2" : NULL;
    if (c->neutral < 0)
        return "neutral";
    if (c->score1 < 0 || c->score2 < 0)
        return c->score1 < 0 ? "score1" : "score2";
    if (L->layout == LAYOUT_NFL_GAMES)
        return c->playoff < 0 ? "playoff" : NULL;
    return NULL;
}

/* Decides the layout and the sport from the header row. */
static int detect(struct load *L, char **h, size_t n, char *err, size_t errcap)
{
    find_cols(&L->c, h, n);
    const struct cols *c = &L->c;
    if (aps_csv_find(h, n, "probtie") >= 0)
        return aps_load_error(
            err, errcap, L->path, 1, APS_E_UNSUPPORTED,
            "no sport for world cup: international soccer has no canonical sport, "
            "so these three-way forecasts are not loaded");
    if (n == 2 && aps_csv_find(h, n, "team") == 0 && aps_csv_find(h, n, "elo") == 1)
        return aps_load_error(err, errcap, L->path, 1, APS_E_UNSUPPORTED,
                              "initial_elos.csv holds starting ratings, not games");
    if (c->outcome1 >= 0) {
        int s = sport_from_name(L->path);
        if (s < 0)
            return aps_load_error(err, errcap, L->path, 1, APS_E_UNSUPPORTED,
                                  "a checking-our-work file must be named after its league "
                                  "(nfl_, nba_, mlb_, nhl_ or wnba_games.csv)");
        L->layout = LAYOUT_CHECKING;
        L->sport = (enum aps_sport)s;
    } else if (c->elo >= 0 && c->result1 >= 0) {
        L->layout = LAYOUT_NFL_GAMES;
        L->sport = APS_SPORT_NFL;
    } else if (c->elo >= 0 && (c->qbelo >= 0 || c->raptor >= 0 ||
                               aps_csv_find(h, n, "carm-elo_prob1") >= 0)) {
        L->layout = LAYOUT_ELO_MIRROR;
        L->sport = c->qbelo >= 0 ? APS_SPORT_NFL : APS_SPORT_NBA;
    } else {
        return aps_load_error(err, errcap, L->path, 1, APS_E_PARSE, "not a FiveThirtyEight layout");
    }
    L->split = L->sport == APS_SPORT_NBA || L->sport == APS_SPORT_NHL;
    const char *miss = missing_col(L);
    if (miss)
        return aps_load_error(err, errcap, L->path, 1, APS_E_PARSE, "missing column %s", miss);
    const int read[] = {c->date,     c->season, c->neutral, c->playoff, c->team1,  c->team2,
                        c->prob1,    c->prob2,  c->outcome1, c->dh,     c->elo,    c->qbelo,
                        c->raptor,   c->score1, c->score2,  c->result1};
    return aps_load_check_columns(h, n, read, sizeof read / sizeof read[0], L->path, err, errcap);
}

/* ---- fields ---- */

/* Reads an unsigned decimal of 1..maxd digits at *s, advancing *s. */
static bool read_num(const char **s, int maxd, int *out)
{
    int v = 0, k = 0;
    while (k < maxd && **s >= '0' && **s <= '9') {
        v = v * 10 + (**s - '0');
        (*s)++;
        k++;
    }
    *out = v;
    return k > 0;
}

/* "YYYY-MM-DD" or "M/D/YYYY" into "YYYY-MM-DD" and the day's start in UTC. */
static bool parse_date(const char *s, char out[11], int64_t *day_start)
{
    int y, m, d;
    const char *p = s;
    if (strlen(s) == 10 && s[4] == '-' && s[7] == '-') {
        if (!read_num(&p, 4, &y) || *p++ != '-' || !read_num(&p, 2, &m) || *p++ != '-' ||
            !read_num(&p, 2, &d) || *p)
            return false;
    } else if (!read_num(&p, 2, &m) || *p++ != '/' || !read_num(&p, 2, &d) || *p++ != '/' ||
               !read_num(&p, 4, &y) || *p) {
        return false;
    }
    if (y < 1900 || y > 2100 || !aps_date_valid(y, m, d))
        return false;
    snprintf(out, 11, "%04d-%02d-%02d", y, m, d);
    *day_start = aps_time_from_civil(y, m, d, 0, 0, 0);
    return true;
}

/* 538's season (the year it ends in) as this project names it. */
static bool parse_season(const struct load *L, const char *s, char out[16])
{
    int y;
    if (aps_parse_int(s, &y) || y < 1900 || y > 2100)
        return false;
    if (L->split)
        snprintf(out, 16, "%d-%02d", y - 1, y % 100);
    else
        snprintf(out, 16, "%d", y);
    return true;
}

static bool parse_prob(const char *s, double *out)
{
    double p;
    if (aps_parse_double(s, &p) || p < 0.0 || p > 1.0)
        return false;
    *out = p;
    return true;
}

/* A result from team1's side: 1, 0.5 or 0 ("1.0" and "0.0" too). */
static bool parse_result(const char *s, double *out)
{
    double r;
    if (aps_parse_double(s, &r) || (r != 0.0 && r != 0.5 && r != 1.0))
        return false;
    *out = r;
    return true;
}

/* Both scores, or both empty (not played: -1). */
static bool parse_scores(const char *s1, const char *s2, int *a, int *b)
{
    if (aps_str_blank(s1) && aps_str_blank(s2)) {
        *a = *b = -1;
        return true;
    }
    if (aps_parse_int(s1, a) || aps_parse_int(s2, b) || *a < 0 || *b < 0 || *a > 999 || *b > 999)
        return false;
    return true;
}

static double result_of(int s1, int s2)
{
    if (s1 < 0)
        return NAN;
    return s1 > s2 ? 1.0 : s1 < s2 ? 0.0 : 0.5;
}

static bool team_known(enum aps_sport sport, const char *name)
{
    struct aps_team_ref ref;
    return aps_team_resolve(sport, name, &ref) == 0;
}

/* ---- rows ---- */

/* Validates what every layout has; returns NULL or the reject reason. */
static const char *read_common(const struct load *L, struct row *r)
{
    if (!parse_date(trimmed(L, L->c.date), r->date, &r->day_start))
        return "bad date";
    if (!parse_season(L, cell(L, L->c.season), r->season))
        return "bad season";
    r->team1 = trimmed(L, L->c.team1);
    r->team2 = trimmed(L, L->c.team2);
    if (!*r->team1 || !*r->team2)
        return "missing team";
    if (!team_known(L->sport, r->team1) || !team_known(L->sport, r->team2))
        return "unknown team";
    r->neutral = false;
    if (L->c.neutral >= 0 && aps_parse_bool(cell(L, L->c.neutral), &r->neutral))
        return "bad flag";
    r->score1 = r->score2 = -1;
    r->result1 = NAN;
    if (L->c.score1 >= 0) {
        if (!parse_scores(cell(L, L->c.score1), cell(L, L->c.score2), &r->score1, &r->score2))
            return "bad score";
        r->result1 = result_of(r->score1, r->score2);
    }
    return NULL;
}

static void add_forecast(struct load *L, const struct row *r, const char *model, double prob1,
                         double prob2, bool team1_home, int game_no)
{
    struct aps_forecast_rec *f = aps_batch_add_forecast(L->b);
    f->sport = L->sport;
    memcpy(f->season, r->season, sizeof f->season);
    memcpy(f->date, r->date, sizeof f->date);
    (void)aps_str_copy(f->team1, sizeof f->team1, r->team1);
    (void)aps_str_copy(f->team2, sizeof f->team2, r->team2);
    (void)aps_str_copy(f->model, sizeof f->model, model);
    f->prob1 = prob1;
    f->prob2 = prob2;
    f->result1 = r->result1;
    f->score1 = r->score1;
    f->score2 = r->score2;
    f->team1_home = team1_home;
    f->neutral = r->neutral;
    f->game_no = game_no;
}

/* nfl-elo-game/nfl_games.csv: a played game and its plain-Elo forecast. */
static const char *row_nfl_games(struct load *L, struct row *r)
{
    double p, res;
    bool playoff;
    if (r->score1 < 0)
        return "bad score";
    if (!parse_result(cell(L, L->c.result1), &res) || res != r->result1)
        return "bad result";
    if (!parse_prob(cell(L, L->c.elo), &p))
        return "bad probability";
    if (aps_parse_bool(cell(L, L->c.playoff), &playoff))
        return "bad flag";
    struct aps_game_rec *g = aps_batch_add_game(L->b);
    g->sport = APS_SPORT_NFL;
    memcpy(g->season, r->season, sizeof g->season);
    memcpy(g->date, r->date, sizeof g->date);
    g->start_time = r->day_start;
    g->time_known = false;
    (void)aps_str_copy(g->home, sizeof g->home, r->team1);
    (void)aps_str_copy(g->away, sizeof g->away, r->team2);
    g->neutral = r->neutral;
    g->playoff = playoff;
    g->status = APS_GS_FINAL;
    g->home_score = r->score1;
    g->away_score = r->score2;
    g->line = L->line;
    add_forecast(L, r, "538_elo", p, 1.0 - p, !r->neutral, 1);
    return NULL;
}

/* checking-our-work: one forecast with its outcome; which side was at home is not given. */
static const char *row_checking(struct load *L, struct row *r)
{
    double p1, p2;
    int dh = 0;
    if (!parse_prob(cell(L, L->c.prob1), &p1) || !parse_prob(cell(L, L->c.prob2), &p2))
        return "bad probability";
    if (!aps_str_blank(cell(L, L->c.outcome1)) &&
        !parse_result(cell(L, L->c.outcome1), &r->result1))
        return "bad result";
    if (L->c.dh >= 0 && (aps_parse_int(cell(L, L->c.dh), &dh) || dh < 0 || dh > 1))
        return "bad flag";
    add_forecast(L, r, "538", p1, p2, false, dh + 1);
    return NULL;
}

/* An Elo mirror row: plain Elo plus the QB-adjusted (NFL) or RAPTOR (NBA) forecast. */
static const char *row_mirror(struct load *L, struct row *r)
{
    double elo, second = NAN;
    int col2 = L->c.qbelo >= 0 ? L->c.qbelo : L->c.raptor;
    if (!parse_prob(cell(L, L->c.elo), &elo))
        return "bad probability";
    if (!aps_str_blank(cell(L, col2)) && !parse_prob(cell(L, col2), &second))
        return "bad probability";
    add_forecast(L, r, "538_elo", elo, 1.0 - elo, !r->neutral, 1);
    if (!isnan(second))
        add_forecast(L, r, L->c.qbelo >= 0 ? "538_qbelo" : "538_raptor", second, 1.0 - second,
                     !r->neutral, 1);
    return NULL;
}

static void read_row(struct load *L)
{
    struct row r;
    const char *why = aps_csv_width_problem(L->f, L->n, L->ncols); /* a cut-off or shifted row */
    if (!why)
        why = read_common(L, &r);
    if (!why) {
        if (L->layout == LAYOUT_NFL_GAMES)
            why = row_nfl_games(L, &r);
        else if (L->layout == LAYOUT_CHECKING)
            why = row_checking(L, &r);
        else
            why = row_mirror(L, &r);
    }
    if (why)
        aps_batch_reject(L->b, why);
}

int aps_load_fivethirtyeight(const char *path, struct aps_batch *b, char *err, size_t errcap)
{
    struct load L = {.path = path, .b = b};
    struct aps_csv *csv = NULL;
    if (err && errcap)
        err[0] = '\0';
    b->source = "fivethirtyeight";
    int rc = aps_csv_open(&csv, path);
    if (rc)
        return aps_load_error(err, errcap, path, 0, rc, "cannot read: %s", aps_strerror(rc));
    rc = aps_csv_next(csv, &L.f, &L.n);
    if (rc <= 0) {
        rc = aps_load_error(err, errcap, path, 1, rc ? rc : APS_E_PARSE,
                            rc ? "cannot read the header" : "empty file");
        goto out;
    }
    L.ncols = L.n;
    rc = detect(&L, L.f, L.n, err, errcap);
    if (rc)
        goto out;
    while ((rc = aps_csv_next(csv, &L.f, &L.n)) == 1) {
        if (aps_csv_row_blank(L.f, L.n))
            continue;
        L.line = b->line = aps_csv_line(csv);
        b->rows++;
        read_row(&L);
    }
    if (rc < 0)
        rc = aps_load_error(err, errcap, path, aps_csv_line(csv), rc, "malformed CSV: %s",
                            aps_strerror(rc));
out:
    aps_csv_close(csv);
    return rc < 0 ? rc : 0;
}
