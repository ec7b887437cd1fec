/* history.c — loads a sport's games and odds (see history.h): four queries, joined in memory.
 *
 * The odds of a sport are its largest part (hundreds of thousands of rows). They are read in the
 * order the store finds them cheapest, without a sort in SQL, and put in order here: by game id,
 * then odds id, the order an ORDER BY o.game_id, o.id would give (both keys together are unique,
 * so that order is total). The sportsbooks table is read once, not joined to every odds row;
 * each book gets its index in the history at its first quote in that order. Game ids are found
 * through an id map (dense table over the id range, else a sorted array). */
#include "model/history.h"

#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/mem.h"
#include "core/str.h"
#include "core/strmap.h"
#include "model/elo.h"
#include "store/store.h"

static const char SQL_GAMES[] =
    "SELECT g.id, g.home_team_id, g.away_team_id, g.start_time, g.game_date, se.label,"
    " g.neutral, g.playoff, g.status, g.home_score, g.away_score,"
    " (SELECT gs.extra FROM game_sources gs WHERE gs.game_id = g.id AND gs.source = 'tennis-data')"
    " FROM games g JOIN seasons se ON se.id = g.season_id JOIN sports sp ON sp.id = g.sport_id"
    " WHERE sp.code = ?1 AND (CAST(?2 AS TEXT) IS NULL OR g.game_date >= ?2)"
    " AND (CAST(?3 AS TEXT) IS NULL OR g.game_date <= ?3)"
    " ORDER BY g.start_time, g.id";

static const char SQL_BOOKS[] = "SELECT id, key, is_aggregate, is_sharp FROM sportsbooks";

#define ODDS_WHERE                                                            \
    " WHERE sp.code = ?1 AND (CAST(?2 AS TEXT) IS NULL OR g.game_date >= ?2)" \
    " AND (CAST(?3 AS TEXT) IS NULL OR g.game_date <= ?3)"

/* The odds ids of the sport's games in the dates: their range and how many (the odds key's
 * index holds both, so the table itself is not read). */
static const char SQL_ODDS_SPAN[] =
    "SELECT min(o.id), max(o.id), count(*) FROM odds o JOIN games g ON g.id = o.game_id"
    " JOIN sports sp ON sp.id = g.sport_id" ODDS_WHERE;

/* The odds themselves, without ORDER BY (sort_odds() orders them): by the games, through the
 * odds key's index and one table lookup per row, or, when the sport's rows fill most of their id
 * range (each file's odds are stored together), by that range of the table read in order, the
 * rows of other games skipped here. */
static const char SQL_ODDS_BY_GAME[] =
    "SELECT o.id, o.game_id, o.book_id, o.market, o.selection, o.phase, o.line, o.price,"
    " o.recorded_at FROM odds o JOIN games g ON g.id = o.game_id JOIN sports sp"
    " ON sp.id = g.sport_id" ODDS_WHERE;
static const char SQL_ODDS_BY_ID[] =
    "SELECT o.id, o.game_id, o.book_id, o.market, o.selection, o.phase, o.line, o.price,"
    " o.recorded_at FROM odds o WHERE o.id BETWEEN ?1 AND ?2";

/* FiveThirtyEight's forecasts of the sport. When a game has more than one forecast of a model,
 * the first in this order wins: "538_elo" before "538", then the forecast key's columns
 * descending (a total order, the reverse of the forecast table's unique key). */
static const char SQL_538[] =
    "SELECT f.game_id, f.prob1, f.team1_home FROM forecasts f JOIN sports sp"
    " ON sp.id = f.sport_id WHERE sp.code = ?1 AND f.model IN ('538_elo', '538')"
    " AND f.game_id IS NOT NULL"
    " ORDER BY f.model DESC, f.game_date DESC, f.team1_id DESC, f.team2_id DESC, f.game_no DESC";

/* ---- id maps ------------------------------------------------------------------------------- */

/* Ids (game or book) to indexes. Dense: idx[id - lo] for every id in [lo, lo + span), -1 for
 * none; used when the ids fill at least a quarter of their range. Otherwise a sorted array of
 * (id, index) pairs searched by halves. */
struct id_pair {
    int64_t id;
    int64_t idx;
};

struct id_map {
    int64_t lo;
    size_t span; /* dense table length; 0 when sparse */
    int64_t *dense;
    struct id_pair *sorted;
    size_t n;
};

static int cmp_pair(const void *a, const void *b)
{
    int64_t x = ((const struct id_pair *)a)->id, y = ((const struct id_pair *)b)->id;
    return (x > y) - (x < y);
}

/* Builds the map from n pairs (ids unique); takes ownership of pairs. */
static void id_map_build(struct id_map *m, struct id_pair *pairs, size_t n)
{
    memset(m, 0, sizeof *m);
    m->n = n;
    if (!n) {
        aps_free(pairs);
        return;
    }
    int64_t lo = pairs[0].id, hi = pairs[0].id;
    for (size_t i = 1; i < n; i++) {
        lo = pairs[i].id < lo ? pairs[i].id : lo;
        hi = pairs[i].id > hi ? pairs[i].id : hi;
    }
    uint64_t span = (uint64_t)hi - (uint64_t)lo + 1;
    if (span / 4 <= n) {
        m->lo = lo;
        m->span = (size_t)span;
        m->dense = aps_malloc(m->span * sizeof *m->dense);
        for (size_t i = 0; i < m->span; i++)
            m->dense[i] = -1;
        for (size_t i = 0; i < n; i++)
            m->dense[pairs[i].id - lo] = pairs[i].idx;
        aps_free(pairs);
        return;
    }
    qsort(pairs, n, sizeof *pairs, cmp_pair);
    m->sorted = pairs;
}

/* The index of id, or -1. */
static int64_t id_map_get(const struct id_map *m, int64_t id)
{
    if (m->dense) {
        if (id < m->lo || (uint64_t)id - (uint64_t)m->lo >= m->span)
            return -1;
        return m->dense[id - m->lo];
    }
    size_t a = 0, b = m->n;
    while (a < b) {
        size_t mid = a + (b - a) / 2;
        if (m->sorted[mid].id < id)
            a = mid + 1;
        else
            b = mid;
    }
    return a < m->n && m->sorted[a].id == id ? m->sorted[a].idx : -1;
}

static void id_map_cleanup(struct id_map *m)
{
    aps_free(m->dense);
    aps_free(m->sorted);
    memset(m, 0, sizeof *m);
}

/* ---- games --------------------------------------------------------------------------------- */

/* The surface of a tennis game from its tennis-data record, a JSON object: its top-level
 * "surface" string as aps_elo_surface_parse() reads it; -1 when there is none, it is not a string
 * or not a surface, or the record is not JSON. */
static int surface_json(const char *extra)
{
    json_error_t e;
    json_t *j = json_loads(extra, 0, &e);
    int s = -1;
    if (j) {
        const char *v = json_string_value(json_object_get(j, "surface"));
        if (v)
            s = aps_elo_surface_parse(v);
        json_decref(j);
    }
    return s;
}

/* A flat record, as the ingest writes them, read without building it: one object of members
 * whose keys and string values are printable ASCII without escapes and whose other values are
 * true, false, null or numbers of at most 15 digits without exponent. The parser reads those the
 * same way, so the result is surface_json()'s; false for any other text (left to the parser). */
struct flat {
    const char *p;
};

static void flat_ws(struct flat *f)
{
    while (*f->p == ' ' || *f->p == '\t' || *f->p == '\n' || *f->p == '\r')
        f->p++;
}

/* A string at f->p: its contents [*s, *s + *n). */
static bool flat_string(struct flat *f, const char **s, size_t *n)
{
    if (*f->p != '"')
        return false;
    const char *q = ++f->p;
    while (*q >= 0x20 && *q <= 0x7e && *q != '"' && *q != '\\')
        q++;
    if (*q != '"')
        return false;
    *s = f->p;
    *n = (size_t)(q - f->p);
    f->p = q + 1;
    return true;
}

static size_t flat_digits(struct flat *f)
{
    const char *q = f->p;
    while (*f->p >= '0' && *f->p <= '9')
        f->p++;
    return (size_t)(f->p - q);
}

static bool flat_number(struct flat *f)
{
    if (*f->p == '-')
        f->p++;
    bool zero = *f->p == '0';
    size_t n = flat_digits(f);
    if (!n || (zero && n > 1))
        return false;
    if (*f->p == '.') {
        f->p++;
        size_t k = flat_digits(f);
        if (!k)
            return false;
        n += k;
    }
    return n <= 15 && *f->p != 'e' && *f->p != 'E';
}

static bool flat_word(struct flat *f, const char *w)
{
    size_t n = strlen(w);
    if (strncmp(f->p, w, n))
        return false;
    f->p += n;
    return true;
}

/* A value other than a string; f->p is past it when true. */
static bool flat_scalar(struct flat *f)
{
    const char *at = f->p;
    if (flat_number(f))
        return true;
    f->p = at;
    return flat_word(f, "true") || flat_word(f, "false") || flat_word(f, "null");
}

/* *surface: the record's surface when it is flat (true), as surface_json() would give it. */
static bool flat_surface(const char *extra, int *surface)
{
    struct flat f = {extra};
    *surface = -1;
    flat_ws(&f);
    if (*f.p++ != '{')
        return false;
    flat_ws(&f);
    bool more = *f.p != '}';
    while (more) {
        const char *k, *v;
        size_t nk, nv;
        if (!flat_string(&f, &k, &nk))
            return false;
        flat_ws(&f);
        if (*f.p++ != ':')
            return false;
        flat_ws(&f);
        bool is_surface = nk == 7 && !memcmp(k, "surface", 7);
        if (*f.p == '"') {
            if (!flat_string(&f, &v, &nv))
                return false;
            if (is_surface) {
                char name[16];
                *surface = -1;
                if (nv < sizeof name) {
                    memcpy(name, v, nv);
                    name[nv] = '\0';
                    *surface = aps_elo_surface_parse(name);
                }
            }
        } else if (flat_scalar(&f)) {
            if (is_surface)
                *surface = -1; /* the last of repeated keys counts, as in the parser */
        } else {
            return false;
        }
        flat_ws(&f);
        more = *f.p == ',';
        if (more) {
            f.p++;
            flat_ws(&f);
        }
    }
    if (*f.p++ != '}')
        return false;
    flat_ws(&f);
    return *f.p == '\0';
}

static int surface_of(const char *extra)
{
    int s;
    if (!extra)
        return -1;
    return flat_surface(extra, &s) ? s : surface_json(extra);
}

static int load_games(struct aps_conn *c, const char *sport, const char *from, const char *to,
                      struct aps_history *h)
{
    struct aps_stmt *st = NULL;
    size_t cap = 0;
    struct aps_strmap seasons = {0};
    int rc = aps_conn_preparef(c, &st, SQL_GAMES, "sss", sport, from, to);
    while (!rc && (rc = aps_stmt_step(st)) == APS_ROW) {
        rc = 0;
        if (h->ngames == cap) {
            cap = cap ? cap * 2 : 1024;
            h->games = aps_realloc(h->games, cap * sizeof *h->games);
        }
        struct aps_hist_game *g = &h->games[h->ngames];
        memset(g, 0, sizeof *g);
        g->id = aps_stmt_int64(st, 0);
        g->home = aps_stmt_int64(st, 1);
        g->away = aps_stmt_int64(st, 2);
        g->start_time = aps_stmt_int64(st, 3);
        (void)aps_str_copy(g->date, sizeof g->date, aps_stmt_text(st, 4));
        (void)aps_str_copy(g->season, sizeof g->season, aps_stmt_text(st, 5));
        g->neutral = aps_stmt_int64(st, 6) != 0;
        g->playoff = aps_stmt_int64(st, 7) != 0;
        int s = aps_status_parse(aps_stmt_text(st, 8));
        g->status = s < 0 ? APS_GS_SCHEDULED : (enum aps_game_status)s;
        g->home_score = aps_stmt_is_null(st, 9) ? -1 : (int)aps_stmt_int64(st, 9);
        g->away_score = aps_stmt_is_null(st, 10) ? -1 : (int)aps_stmt_int64(st, 10);
        g->surface = surface_of(aps_stmt_text(st, 11));
        g->fc_538 = NAN;
        int64_t sn;
        if (!aps_strmap_get(&seasons, g->season, &sn)) {
            sn = h->nseasons++;
            aps_strmap_put(&seasons, g->season, sn);
        }
        g->season_no = (int)sn;
        h->ngames++;
    }
    aps_stmt_finalize(st);
    aps_strmap_cleanup(&seasons);
    return rc < 0 ? rc : 0;
}

/* The map from game id to index in h->games. */
static void index_games(const struct aps_history *h, struct id_map *index)
{
    struct id_pair *pairs = aps_malloc((h->ngames ? h->ngames : 1) * sizeof *pairs);
    for (size_t i = 0; i < h->ngames; i++)
        pairs[i] = (struct id_pair){h->games[i].id, (int64_t)i};
    id_map_build(index, pairs, h->ngames);
}

/* ---- books --------------------------------------------------------------------------------- */

/* Every row of the sportsbooks table; hidx: its index in h->books once it has a quote, else -1. */
struct book_row {
    struct aps_hist_book b;
    int hidx;
};

struct book_table {
    struct book_row *rows;
    size_t n;
    struct id_map ids; /* sportsbooks.id → index in rows */
};

static int load_books(struct aps_conn *c, struct book_table *bt)
{
    struct aps_stmt *st = NULL;
    struct id_pair *pairs = NULL;
    size_t cap = 0;
    memset(bt, 0, sizeof *bt);
    int rc = aps_conn_preparef(c, &st, SQL_BOOKS, "");
    while (!rc && (rc = aps_stmt_step(st)) == APS_ROW) {
        rc = 0;
        if (bt->n == cap) {
            cap = cap ? cap * 2 : 32;
            bt->rows = aps_realloc(bt->rows, cap * sizeof *bt->rows);
            pairs = aps_realloc(pairs, cap * sizeof *pairs);
        }
        struct book_row *r = &bt->rows[bt->n];
        memset(r, 0, sizeof *r);
        (void)aps_str_copy(r->b.key, sizeof r->b.key, aps_stmt_text(st, 1));
        r->b.aggregate = aps_stmt_int64(st, 2) != 0;
        r->b.sharp = aps_stmt_int64(st, 3) != 0;
        r->hidx = -1;
        pairs[bt->n] = (struct id_pair){aps_stmt_int64(st, 0), (int64_t)bt->n};
        bt->n++;
    }
    aps_stmt_finalize(st);
    id_map_build(&bt->ids, pairs, bt->n);
    return rc < 0 ? rc : 0;
}

static void book_table_cleanup(struct book_table *bt)
{
    aps_free(bt->rows);
    id_map_cleanup(&bt->ids);
    memset(bt, 0, sizeof *bt);
}

/* The history's index of a book (a row of bt), adding it at its first quote. */
static int book_index(struct aps_history *h, struct book_table *bt, int64_t row)
{
    struct book_row *r = &bt->rows[row];
    if (r->hidx >= 0)
        return r->hidx;
    h->books = aps_realloc(h->books, (h->nbooks + 1) * sizeof *h->books);
    h->books[h->nbooks] = r->b;
    r->hidx = (int)h->nbooks++;
    return r->hidx;
}

/* ---- odds ---------------------------------------------------------------------------------- */

/* One odds row as read: game is its index in h->games; m, s, p are -1 when the store's text is
 * not a known value. */
struct odds_row {
    int64_t id, game, book_row, recorded_at;
    double line, price;
    int8_t m, s, p;
};

static int cmp_odds_id(const void *a, const void *b)
{
    int64_t x = ((const struct odds_row *)a)->id, y = ((const struct odds_row *)b)->id;
    return (x > y) - (x < y);
}

/* The games' indexes in the order of their ids: rank[i] is game i's place. Caller frees. */
static size_t *rank_by_id(const struct aps_history *h)
{
    size_t n = h->ngames ? h->ngames : 1;
    struct id_pair *byid = aps_malloc(n * sizeof *byid);
    size_t *rank = aps_malloc(n * sizeof *rank);
    for (size_t i = 0; i < h->ngames; i++)
        byid[i] = (struct id_pair){h->games[i].id, (int64_t)i};
    qsort(byid, h->ngames, sizeof *byid, cmp_pair);
    for (size_t r = 0; r < h->ngames; r++)
        rank[byid[r].idx] = r;
    aps_free(byid);
    return rank;
}

/* The rows in (game id, odds id) order, a new array (caller frees): a counting sort by the rank
 * of the game's id (stable), then each game's rows by odds id where they are not in order yet. */
static struct odds_row *sort_odds(const struct aps_history *h, const struct odds_row *rows,
                                  size_t n)
{
    size_t *rank = rank_by_id(h);
    size_t *start = aps_calloc(h->ngames + 1, sizeof *start);
    struct odds_row *out = aps_malloc((n ? n : 1) * sizeof *out);
    for (size_t i = 0; i < n; i++)
        start[rank[rows[i].game] + 1]++;
    for (size_t r = 0; r < h->ngames; r++)
        start[r + 1] += start[r];
    for (size_t i = 0; i < n; i++)
        out[start[rank[rows[i].game]]++] = rows[i];
    /* start[r] is now the end of rank r's rows and the start of rank r + 1's */
    for (size_t r = 0, lo = 0; r < h->ngames; lo = start[r++]) {
        for (size_t i = lo + 1; i < start[r]; i++)
            if (out[i - 1].id > out[i].id) {
                qsort(out + lo, start[r] - lo, sizeof *out, cmp_odds_id);
                break;
            }
    }
    aps_free(start);
    aps_free(rank);
    return out;
}

/* Reads the sport's odds rows of the games in index whose book is in bt (as the joins with
 * games and sportsbooks would). */
static int read_odds(struct aps_conn *c, const char *sport, const char *from, const char *to,
                     const struct book_table *bt, const struct id_map *index, struct odds_row **out,
                     size_t *nout)
{
    struct aps_stmt *st = NULL;
    struct odds_row *rows = NULL;
    size_t n = 0, cap = 0;
    int64_t lo, hi, count;
    *out = NULL;
    *nout = 0;
    int rc = aps_conn_query_row(c, SQL_ODDS_SPAN, "iii", &lo, &hi, &count, "sss", sport, from, to);
    if (rc)
        return rc;
    if (!count)
        return 0;
    if ((uint64_t)hi - (uint64_t)lo < 2 * (uint64_t)count)
        rc = aps_conn_preparef(c, &st, SQL_ODDS_BY_ID, "ii", lo, hi);
    else
        rc = aps_conn_preparef(c, &st, SQL_ODDS_BY_GAME, "sss", sport, from, to);
    while (!rc && (rc = aps_stmt_step(st)) == APS_ROW) {
        rc = 0;
        int64_t br = id_map_get(&bt->ids, aps_stmt_int64(st, 2));
        int64_t gi = id_map_get(index, aps_stmt_int64(st, 1));
        if (br < 0 || gi < 0)
            continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 4096;
            rows = aps_realloc(rows, cap * sizeof *rows);
        }
        struct odds_row *r = &rows[n++];
        r->id = aps_stmt_int64(st, 0);
        r->game = gi;
        r->book_row = br;
        r->m = (int8_t)aps_market_parse(aps_stmt_text(st, 3));
        r->s = (int8_t)aps_selection_parse(aps_stmt_text(st, 4));
        r->p = (int8_t)aps_phase_parse(aps_stmt_text(st, 5));
        r->line = aps_stmt_double(st, 6);
        r->price = aps_stmt_double(st, 7);
        r->recorded_at = aps_stmt_int64(st, 8);
    }
    aps_stmt_finalize(st);
    if (rc < 0) {
        aps_free(rows);
        return rc;
    }
    *out = rows;
    *nout = n;
    return 0;
}

/* Odds in (game id, odds id) order; each game's rows become its quote slice (its first row sets
 * the slice's start even when the row itself is skipped). */
static int load_odds(struct aps_conn *c, const char *sport, const char *from, const char *to,
                     struct aps_history *h, const struct id_map *index)
{
    struct book_table bt;
    struct odds_row *read = NULL;
    size_t n = 0;
    int rc = load_books(c, &bt);
    if (!rc)
        rc = read_odds(c, sport, from, to, &bt, index, &read, &n);
    if (rc) {
        book_table_cleanup(&bt);
        return rc;
    }
    struct odds_row *rows = sort_odds(h, read, n);
    aps_free(read);
    h->quotes = aps_malloc((n ? n : 1) * sizeof *h->quotes);
    int64_t cur_idx = -1;
    for (size_t i = 0; i < n; i++) {
        const struct odds_row *r = &rows[i];
        if (r->game != cur_idx) {
            cur_idx = r->game;
            h->games[cur_idx].q0 = h->nquotes;
        }
        if (r->m < 0 || r->s < 0 || r->p < 0)
            continue;
        struct aps_hist_quote *q = &h->quotes[h->nquotes++];
        q->book = book_index(h, &bt, r->book_row);
        q->market = r->m;
        q->sel = r->s;
        q->phase = r->p;
        q->line = r->line;
        q->price = r->price;
        q->recorded_at = r->recorded_at;
        h->games[cur_idx].nq++;
    }
    aps_free(rows);
    book_table_cleanup(&bt);
    return 0;
}

static int load_538(struct aps_conn *c, const char *sport, struct aps_history *h,
                    const struct id_map *index)
{
    struct aps_stmt *st = NULL;
    int rc = aps_conn_preparef(c, &st, SQL_538, "s", sport);
    while (!rc && (rc = aps_stmt_step(st)) == APS_ROW) {
        rc = 0;
        int64_t idx = id_map_get(index, aps_stmt_int64(st, 0));
        if (idx < 0 || aps_stmt_is_null(st, 1))
            continue;
        double p1 = aps_stmt_double(st, 1);
        if (isnan(h->games[idx].fc_538))
            h->games[idx].fc_538 = aps_stmt_int64(st, 2) ? p1 : 1.0 - p1;
    }
    aps_stmt_finalize(st);
    return rc < 0 ? rc : 0;
}

int aps_history_load(struct aps_conn *c, enum aps_sport sport, const char *from, const char *to,
                     struct aps_history *h)
{
    memset(h, 0, sizeof *h);
    h->sport = sport;
    const char *code = aps_sport_info(sport)->code;
    struct id_map index = {0};
    int rc = load_games(c, code, from, to, h);
    if (!rc) {
        index_games(h, &index);
        rc = load_odds(c, code, from, to, h, &index);
    }
    if (!rc)
        rc = load_538(c, code, h, &index);
    id_map_cleanup(&index);
    if (rc)
        aps_history_cleanup(h);
    return rc;
}

int aps_history_load_games(struct aps_conn *c, enum aps_sport sport, const char *from,
                           const char *to, struct aps_history *h)
{
    memset(h, 0, sizeof *h);
    h->sport = sport;
    int rc = load_games(c, aps_sport_info(sport)->code, from, to, h);
    if (rc)
        aps_history_cleanup(h);
    return rc;
}

void aps_history_cleanup(struct aps_history *h)
{
    aps_free(h->games);
    aps_free(h->quotes);
    aps_free(h->books);
    memset(h, 0, sizeof *h);
}

static bool known_at(const struct aps_hist_game *g, const struct aps_hist_quote *q, int64_t t)
{
    if (q->recorded_at > 0)
        return q->recorded_at <= t;
    return q->phase != APS_PHASE_CLOSE || g->start_time < t;
}

void aps_history_known_at(struct aps_history *h, int64_t t)
{
    struct aps_hist_quote *kept = aps_malloc((h->nquotes ? h->nquotes : 1) * sizeof *kept);
    size_t n = 0;
    for (size_t gi = 0; gi < h->ngames; gi++) {
        struct aps_hist_game *g = &h->games[gi];
        size_t q0 = n;
        for (size_t i = g->q0; i < g->q0 + g->nq; i++)
            if (known_at(g, &h->quotes[i], t))
                kept[n++] = h->quotes[i];
        g->q0 = q0;
        g->nq = n - q0;
    }
    aps_free(h->quotes);
    h->quotes = kept;
    h->nquotes = n;
}

bool aps_hist_final(const struct aps_hist_game *g)
{
    return g->status == APS_GS_FINAL && g->home_score >= 0 && g->away_score >= 0;
}
