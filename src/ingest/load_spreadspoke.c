/* load_spreadspoke.c — spreadspoke_scores.csv (NFL 1966 onwards, the Kaggle "NFL scores and betting
 * data") into a batch; see ../shared/data/README.md §1.1.
 *
 * Each row is one game with its closing spread and total (no moneylines). The spread is given from
 * the favourite's side (spread_favorite <= 0) with the favourite as a team id (team_favorite_id,
 * "PICK" for a pick'em); nfl_teams.csv in the same folder maps team names to those ids, so the
 * home line is spread_favorite when the home team is the favourite and its negation otherwise.
 * This copy of nfl_teams.csv predates the Raiders' move and Washington's renames while the scores
 * already use them: the small tables below add what it lacks (see extra_names, same_ids).
 * Spreads and totals are stored as closing odds of book "consensus" at the conventional -110; one
 * off the quarter-point grid or out of the NFL's range (nfl_rows.h) is dropped as "bad line".
 * nfl_stadiums.csv, when present, gives the stadium type (indoor/outdoor/retractable) for extra,
 * and its location and coordinates, completed by ingest/nfl_venues.h, for the batch's venue
 * records (coordinates and time zone of every stadium the loaded games name). */
#include "ingest/loaders.h"

#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "core/csv.h"
#include "core/mem.h"
#include "core/str.h"
#include "core/timeutil.h"
#include "ingest/american.h"
#include "ingest/nfl_rows.h"
#include "ingest/nfl_venues.h"

#define SS_MAX_TEAMS 256
#define SS_MAX_STADIUMS 512
#define SS_ID_MAX 8

/* Team names in the scores that this copy of nfl_teams.csv does not list, with their ids. */
static const struct { const char *name, *id; } extra_names[] = {
    {"Las Vegas Raiders", "LVR"},
    {"Washington Football Team", "WAS"},
    {"Washington Commanders", "WAS"},
};

/* Ids that name one franchise: nfl_teams.csv gives the Raiders OAK, the scores use LVR (and LV
 * once) for the Oakland and Los Angeles years too. */
static const char *const same_ids[][3] = {{"OAK", "LVR", "LV"}};

struct ss_team {
    char name[APS_NAME_MAX];
    char id[SS_ID_MAX];
};

struct ss_stadium {
    char name[APS_NAME_MAX];
    char type[24];
    char location[APS_NAME_MAX];
    double lat, lon;           /* NAN when the file gives none */
};

enum ss_col {
    C_DATE, C_SEASON, C_WEEK, C_PLAYOFF, C_HOME, C_SCORE_HOME, C_SCORE_AWAY, C_AWAY, C_FAV,
    C_SPREAD, C_TOTAL, C_STADIUM, C_NEUTRAL, C_TEMP, C_WIND, C_HUMIDITY, C_WEATHER, C__COUNT
};

static const struct { const char *name; bool required; } ss_cols[C__COUNT] = {
    [C_DATE] = {"schedule_date", true},         [C_SEASON] = {"schedule_season", true},
    [C_WEEK] = {"schedule_week", false},        [C_PLAYOFF] = {"schedule_playoff", false},
    [C_HOME] = {"team_home", true},             [C_SCORE_HOME] = {"score_home", true},
    [C_SCORE_AWAY] = {"score_away", true},      [C_AWAY] = {"team_away", true},
    [C_FAV] = {"team_favorite_id", false},      [C_SPREAD] = {"spread_favorite", false},
    [C_TOTAL] = {"over_under_line", false},     [C_STADIUM] = {"stadium", false},
    [C_NEUTRAL] = {"stadium_neutral", false},   [C_TEMP] = {"weather_temperature", false},
    [C_WIND] = {"weather_wind_mph", false},     [C_HUMIDITY] = {"weather_humidity", false},
    [C_WEATHER] = {"weather_detail", false},
};

struct ss_load {
    struct aps_batch *b;
    struct ss_team teams[SS_MAX_TEAMS];
    size_t nteams;
    struct ss_stadium stadiums[SS_MAX_STADIUMS];
    size_t nstadiums;
    int col[C__COUNT];
    char **f; /* the current row */
    size_t n;
    size_t ncols; /* the header's fields */
};

/* The current row's cell for column c, trimmed in place; "" when the file has no such column. */
static const char *get(struct ss_load *L, enum ss_col c)
{
    int i = L->col[c];
    return i >= 0 && (size_t)i < L->n ? aps_str_trim(L->f[i]) : "";
}

/* path's folder joined with name into out; APS_E_TOOBIG when it does not fit. */
static int sibling(const char *path, const char *name, char *out, size_t cap)
{
    const char *slash = strrchr(path, '/');
    int dir = slash ? (int)(slash - path + 1) : 0;
    int k = snprintf(out, cap, "%.*s%s", dir, path, name);
    return k < 0 || (size_t)k >= cap ? APS_E_TOOBIG : 0;
}

/* ---- nfl_teams.csv and nfl_stadiums.csv ---- */

/* Opens a side file and reads its header row into f, n: 1 with the file open, else 0 (empty) or
 * an error, closed. */
static int open_side_file(const char *file, struct aps_csv **csv, char ***f, size_t *n)
{
    int rc = aps_csv_open(csv, file);
    if (rc)
        return rc;
    rc = aps_csv_next(*csv, f, n);
    if (rc != 1)
        aps_csv_close(*csv);
    return rc;
}

/* Reads two named columns of a small side file, calling add(L, a, b) per row; APS_E_INVAL when
 * the header lacks either or names one twice. */
static int read_side_file(struct ss_load *L, const char *file, const char *ca, const char *cb,
                          int (*add)(struct ss_load *, const char *, const char *))
{
    struct aps_csv *csv;
    char **f;
    size_t n;
    int rc = open_side_file(file, &csv, &f, &n);
    if (rc != 1)
        return rc;
    int cols[2] = {aps_csv_find(f, n, ca), aps_csv_find(f, n, cb)}, other;
    int ia = cols[0], ib = cols[1];
    if (ia < 0 || ib < 0 || aps_csv_repeated(f, n, cols, 2, &other) >= 0)
        rc = APS_E_INVAL; /* each column once, or which one holds the values is not known */
    while (rc == 1 && (rc = aps_csv_next(csv, &f, &n)) == 1) {
        if ((size_t)ia >= n || (size_t)ib >= n || aps_str_blank(f[ia]))
            continue;
        rc = add(L, aps_str_trim(f[ia]), aps_str_trim(f[ib]));
        if (!rc)
            rc = 1;
    }
    aps_csv_close(csv);
    return rc < 0 ? rc : 0;
}

static int add_team(struct ss_load *L, const char *name, const char *id)
{
    if (L->nteams == SS_MAX_TEAMS)
        return APS_E_TOOBIG;
    struct ss_team *t = &L->teams[L->nteams];
    if (aps_str_copy(t->name, sizeof t->name, name) || aps_str_copy(t->id, sizeof t->id, id))
        return 0; /* a name or id too long to be real: skip it */
    L->nteams++;
    return 0;
}

enum st_col { S_NAME, S_TYPE, S_LOCATION, S_LAT, S_LON, S__COUNT };
static const char *const st_cols[S__COUNT] = {"stadium_name", "stadium_type", "stadium_location",
                                              "LATITUDE", "LONGITUDE"};

static double coord(char **f, size_t n, int i, double limit)
{
    double v;
    if (i < 0 || (size_t)i >= n || aps_parse_double(aps_str_trim(f[i]), &v) || fabs(v) > limit)
        return NAN;
    return v;
}

static void add_stadium(struct ss_load *L, char **f, size_t n, const int *col)
{
    struct ss_stadium *s = &L->stadiums[L->nstadiums];
    int li = col[S_LOCATION];
    const char *loc = li >= 0 && (size_t)li < n ? aps_str_trim(f[li]) : "";
    if ((size_t)col[S_TYPE] >= n ||
        aps_str_copy(s->name, sizeof s->name, aps_str_trim(f[col[S_NAME]])) ||
        aps_str_copy(s->type, sizeof s->type, aps_str_trim(f[col[S_TYPE]])) ||
        aps_str_copy(s->location, sizeof s->location, loc))
        return; /* too long to be real: skip it */
    s->lat = coord(f, n, col[S_LAT], 90);
    s->lon = coord(f, n, col[S_LON], 180);
    if (isnan(s->lat) || isnan(s->lon))
        s->lat = s->lon = NAN;
    L->nstadiums++;
}

/* nfl_stadiums.csv: name, type, location and (weather station) coordinates per stadium. */
static int read_stadiums(struct ss_load *L, const char *file)
{
    struct aps_csv *csv;
    char **f;
    size_t n;
    int col[S__COUNT];
    int rc = open_side_file(file, &csv, &f, &n);
    if (rc != 1)
        return rc;
    for (int c = 0; c < S__COUNT; c++)
        col[c] = aps_csv_find(f, n, st_cols[c]);
    int other;
    if (col[S_NAME] < 0 || col[S_TYPE] < 0 || aps_csv_repeated(f, n, col, S__COUNT, &other) >= 0)
        rc = APS_E_PARSE;
    while (rc == 1 && (rc = aps_csv_next(csv, &f, &n)) == 1) {
        if ((size_t)col[S_NAME] >= n || aps_str_blank(f[col[S_NAME]]))
            continue;
        if (L->nstadiums == SS_MAX_STADIUMS)
            rc = APS_E_TOOBIG;
        else
            add_stadium(L, f, n, col);
    }
    aps_csv_close(csv);
    return rc < 0 ? rc : 0;
}

/* The id of a team name, or NULL when neither the teams file nor extra_names lists it. */
static const char *team_id(const struct ss_load *L, const char *name)
{
    for (size_t i = 0; i < L->nteams; i++)
        if (!strcmp(L->teams[i].name, name))
            return L->teams[i].id;
    for (size_t i = 0; i < sizeof extra_names / sizeof extra_names[0]; i++)
        if (!strcmp(extra_names[i].name, name))
            return extra_names[i].id;
    return NULL;
}

static int id_group(const char *id)
{
    for (size_t g = 0; g < sizeof same_ids / sizeof same_ids[0]; g++)
        for (size_t k = 0; k < 3; k++)
            if (same_ids[g][k] && !strcmp(same_ids[g][k], id))
                return (int)g;
    return -1;
}

static bool same_team_id(const char *a, const char *b)
{
    if (!a || !b)
        return false;
    if (!strcmp(a, b))
        return true;
    int g = id_group(a);
    return g >= 0 && g == id_group(b);
}

static const struct ss_stadium *stadium(const struct ss_load *L, const char *name)
{
    for (size_t i = 0; i < L->nstadiums; i++)
        if (!strcmp(L->stadiums[i].name, name))
            return &L->stadiums[i];
    return NULL;
}

static const char *stadium_type(const struct ss_load *L, const char *name)
{
    const struct ss_stadium *s = stadium(L, name);
    return s ? s->type : "";
}

/* A venue record for stadium name: the file's location and coordinates, completed from
 * ingest/nfl_venues.h, and the time zone of the location. Nothing when neither knows it. */
static void add_venue(struct ss_load *L, const char *name)
{
    const struct ss_stadium *s = stadium(L, name);
    const char *loc = s ? s->location : "", *tz = NULL;
    double lat = s ? s->lat : NAN, lon = s ? s->lon : NAN, plat, plon;
    const char *ploc;
    if (aps_nfl_stadium_place(name, &ploc, &plat, &plon)) {
        if (!*loc)
            loc = ploc;
        if (isnan(lat)) {
            lat = plat;
            lon = plon;
        }
    }
    int off = 0;
    bool zoned = aps_nfl_location_tz(loc, &tz, &off);
    if (isnan(lat) && !zoned)
        return;
    struct aps_venue_rec *v = aps_batch_add_venue(L->b);
    (void)aps_str_copy(v->name, sizeof v->name, name);
    if (aps_str_copy(v->city, sizeof v->city, loc))
        v->city[0] = '\0';
    v->latitude = lat;
    v->longitude = lon;
    if (zoned && !aps_str_copy(v->timezone, sizeof v->timezone, tz))
        v->utc_offset_min = off;
}

/* One venue record per stadium the batch's games name (a name neither source knows is looked up
 * again at each of its games; there are few). */
static void add_venues(struct ss_load *L)
{
    for (size_t i = 0; i < L->b->ngames; i++) {
        const char *name = L->b->games[i].venue;
        bool seen = !*name;
        for (size_t k = 0; !seen && k < L->b->nvenues; k++)
            seen = !strcmp(L->b->venues[k].name, name);
        if (!seen)
            add_venue(L, name);
    }
}

/* ---- one row ---- */

/* "M/D/YYYY" into g's date and start time. */
static int read_date(const char *s, struct aps_game_rec *g)
{
    int v[3], k = 0;
    char part[8];
    while (k < 3) {
        size_t len = strcspn(s, "/");
        if (len == 0 || len >= sizeof part)
            return APS_E_PARSE;
        memcpy(part, s, len);
        part[len] = '\0';
        if (aps_parse_int(part, &v[k++]))
            return APS_E_PARSE;
        s += len;
        if (k < 3 && *s++ != '/')
            return APS_E_PARSE;
    }
    if (*s || !aps_date_valid(v[2], v[0], v[1]) || v[2] < 1900)
        return APS_E_PARSE;
    g->start_time = aps_time_from_civil(v[2], v[0], v[1], 0, 0, 0);
    aps_time_format_date(g->start_time, g->date, sizeof g->date);
    return 0;
}

static int read_team(const char *s, char *dst)
{
    if (!*s)
        return APS_E_INVAL;
    return aps_str_copy(dst, APS_NAME_MAX, s);
}

/* Both scores blank: a game not played yet (scheduled). */
static const char *read_scores(struct ss_load *L, struct aps_game_rec *g)
{
    const char *sh = get(L, C_SCORE_HOME), *sa = get(L, C_SCORE_AWAY);
    if (!*sh && !*sa) {
        g->status = APS_GS_SCHEDULED;
        return NULL;
    }
    int h, a;
    if (aps_parse_int(sh, &h) || aps_parse_int(sa, &a) || !aps_nfl_score_ok(h) ||
        !aps_nfl_score_ok(a))
        return "bad score";
    g->home_score = h;
    g->away_score = a;
    g->status = APS_GS_FINAL;
    return NULL;
}

static void set_int(json_t *o, const char *key, const char *s)
{
    int v;
    if (!aps_parse_int(s, &v))
        json_object_set_new(o, key, json_integer(v));
}

static void set_string(json_t *o, const char *key, const char *s)
{
    json_t *v = *s ? json_string(s) : NULL; /* NULL too for bytes that are not UTF-8 */
    if (v)
        json_object_set_new(o, key, v);
}

/* {"week":1 or "Wildcard","stadium_type":…,"temperature":…,"wind_mph":…,"humidity":…,
 * "weather":…} with what the row gives. */
static void row_extra(struct ss_load *L, struct aps_game_rec *g)
{
    json_t *o = json_object();
    const char *week = get(L, C_WEEK);
    set_int(o, "week", week);
    if (!json_object_get(o, "week"))
        set_string(o, "week", week);
    set_string(o, "stadium_type", stadium_type(L, g->venue));
    set_int(o, "temperature", get(L, C_TEMP));
    set_int(o, "wind_mph", get(L, C_WIND));
    set_int(o, "humidity", get(L, C_HUMIDITY));
    set_string(o, "weather", get(L, C_WEATHER));
    size_t n = json_object_size(o) ? json_dumpb(o, g->extra, sizeof g->extra - 1, JSON_COMPACT) : 0;
    g->extra[n < sizeof g->extra ? n : 0] = '\0';
    json_decref(o);
}

/* Checks the current row; returns the reason to reject it, or NULL with g filled in. */
static const char *row_game(struct ss_load *L, struct aps_game_rec *g)
{
    if (read_date(get(L, C_DATE), g))
        return "bad date";
    int season = 0;
    if (aps_parse_int(get(L, C_SEASON), &season))
        season = 0;
    int rh = read_team(get(L, C_HOME), g->home), ra = read_team(get(L, C_AWAY), g->away);
    const char *why = aps_nfl_check_game(g, season, rh, ra);
    if (!why)
        why = read_scores(L, g);
    if (why)
        return why;
    bool flag;
    g->playoff = !aps_parse_bool(get(L, C_PLAYOFF), &flag) && flag;
    g->neutral = !aps_parse_bool(get(L, C_NEUTRAL), &flag) && flag;
    (void)aps_str_copy(g->venue, sizeof g->venue, get(L, C_STADIUM));
    row_extra(L, g);
    return NULL;
}

static void add_two(struct aps_batch *b, size_t gi, enum aps_market m, enum aps_selection s1,
                    double l1, enum aps_selection s2, double l2)
{
    (void)aps_batch_odds(b, gi, "consensus", m, s1, APS_PHASE_CLOSE, l1, APS_AMERICAN_STD_PRICE);
    (void)aps_batch_odds(b, gi, "consensus", m, s2, APS_PHASE_CLOSE, l2, APS_AMERICAN_STD_PRICE);
}

/* The closing spread as the home line: spread_favorite (<= 0) when the home team is the favourite,
 * its negation when the away team is, 0 for PICK. */
static void row_spread(struct ss_load *L, size_t gi, const struct aps_game_rec *g)
{
    const char *fav = get(L, C_FAV), *sp = get(L, C_SPREAD);
    if (!*fav && !*sp)
        return;
    double s;
    if (!*fav || aps_parse_double(sp, &s) || s > 0 || !aps_nfl_spread_ok(s)) {
        aps_batch_reject(L->b, "bad line");
        return;
    }
    double home;
    if (!strcmp(fav, "PICK"))
        home = 0.0;
    else if (same_team_id(team_id(L, g->home), fav))
        home = s + 0.0;
    else if (same_team_id(team_id(L, g->away), fav))
        home = 0.0 - s;
    else {
        aps_batch_reject(L->b, "unknown favourite");
        return;
    }
    add_two(L->b, gi, APS_MKT_SPREAD, APS_SEL_HOME, home, APS_SEL_AWAY, 0.0 - home);
}

static void row_total(struct ss_load *L, size_t gi)
{
    const char *s = get(L, C_TOTAL);
    double t;
    if (!*s)
        return;
    if (aps_parse_double(s, &t) || !aps_nfl_total_ok(t)) {
        aps_batch_reject(L->b, "bad line");
        return;
    }
    add_two(L->b, gi, APS_MKT_TOTAL, APS_SEL_OVER, t, APS_SEL_UNDER, t);
}

static void load_row(struct ss_load *L, size_t line)
{
    struct aps_game_rec tmp;
    memset(&tmp, 0, sizeof tmp);
    tmp.home_score = tmp.away_score = -1;
    tmp.game_no = 1;
    tmp.line = line;
    const char *why = aps_csv_width_problem(L->f, L->n, L->ncols); /* a cut-off or shifted row */
    if (!why)
        why = row_game(L, &tmp);
    if (why) {
        aps_batch_reject(L->b, why);
        return;
    }
    struct aps_game_rec *g = aps_batch_add_game(L->b);
    *g = tmp;
    size_t gi = L->b->ngames - 1;
    row_spread(L, gi, g);
    row_total(L, gi);
}

/* ---- the file ---- */

static int read_side_files(struct ss_load *L, const char *path, char *err, size_t errcap)
{
    char file[4096];
    int rc = sibling(path, "nfl_teams.csv", file, sizeof file);
    if (!rc && access(file, R_OK))
        return aps_load_error(
            err, errcap, file, 0, APS_E_IO,
            "cannot read the team ids: %s (nfl_teams.csv belongs next to the scores)",
            strerror(errno));
    if (!rc)
        rc = read_side_file(L, file, "team_name", "team_id", add_team);
    if (rc)
        return aps_load_error(err, errcap, file, 0, rc == APS_E_INVAL ? APS_E_PARSE : rc,
                              "cannot read the team ids: %s",
                              rc == APS_E_INVAL ? "the header needs one team_name column and one "
                                                  "team_id column"
                                                : aps_strerror(rc));
    /* Stadium facts are a nicety: a missing or unreadable file leaves them out. */
    if (!sibling(path, "nfl_stadiums.csv", file, sizeof file) && read_stadiums(L, file))
        L->nstadiums = 0;
    return 0;
}

static int read_scores_file(struct ss_load *L, struct aps_csv *csv, const char *path, char *err,
                            size_t errcap)
{
    int rc = aps_csv_next(csv, &L->f, &L->n);
    if (rc < 0)
        return aps_load_error(err, errcap, path, 1, rc, "cannot read the header row: %s",
                              aps_csv_strerror(rc));
    if (rc == 0)
        return aps_load_error(err, errcap, path, 1, APS_E_PARSE, "no header row");
    L->ncols = L->n;
    for (int c = 0; c < C__COUNT; c++) {
        L->col[c] = aps_csv_find(L->f, L->n, ss_cols[c].name);
        if (L->col[c] < 0 && ss_cols[c].required)
            return aps_load_error(err, errcap, path, 1, APS_E_PARSE, "no %s column",
                                  ss_cols[c].name);
    }
    rc = aps_load_check_columns(L->f, L->n, L->col, C__COUNT, path, err, errcap);
    if (rc)
        return rc;
    while ((rc = aps_csv_next(csv, &L->f, &L->n)) == 1) {
        if (aps_csv_row_blank(L->f, L->n))
            continue;
        L->b->rows++;
        L->b->line = aps_csv_line(csv);
        load_row(L, L->b->line);
    }
    if (rc < 0)
        return aps_load_error(err, errcap, path, aps_csv_line(csv), rc, "%s", aps_strerror(rc));
    return 0;
}

int aps_load_spreadspoke(const char *path, struct aps_batch *b, char *err, size_t errcap)
{
    b->source = "spreadspoke";
    struct ss_load *L = aps_calloc(1, sizeof *L);
    L->b = b;
    struct aps_csv *csv = NULL;
    int rc = read_side_files(L, path, err, errcap);
    if (rc)
        goto out;
    rc = aps_csv_open(&csv, path);
    if (rc) {
        rc = aps_load_error(err, errcap, path, 0, rc, "cannot read: %s", aps_strerror(rc));
        goto out;
    }
    rc = read_scores_file(L, csv, path, err, errcap);
    if (!rc)
        add_venues(L);
out:
    if (csv)
        aps_csv_close(csv);
    aps_free(L);
    return rc;
}
