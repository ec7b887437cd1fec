/* feat_spec.c — which feature columns a sport uses (spec), its JSON form, and the pre-game extras
 * (weather, tennis rankings) read from game_sources. */
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/mem.h"
#include "core/str.h"
#include "model/feat_int.h"
#include "store/store.h"

#define MIN_SHARE 0.05

struct book_count {
    int book, n;
};

static int by_count(const void *a, const void *b)
{
    const struct book_count *x = a, *y = b;
    return x->n != y->n ? (y->n > x->n ? 1 : -1) : x->book - y->book;
}

void aps_feat_spec_all(const struct aps_history *h, struct aps_feat_spec *out)
{
    memset(out, 0, sizeof *out);
    for (int c = 0; c < APS_FEAT__COUNT; c++)
        out->col[out->ncols++] = c;
    struct book_count *bc = aps_calloc(h->nbooks + 1, sizeof *bc);
    for (size_t b = 0; b < h->nbooks; b++)
        bc[b].book = (int)b;
    for (size_t gi = 0; gi < h->ngames; gi++) {
        const struct aps_hist_game *g = &h->games[gi];
        int last = -1;
        for (size_t i = g->q0; i < g->q0 + g->nq; i++) {
            const struct aps_hist_quote *q = &h->quotes[i];
            if (q->market != APS_MKT_MONEYLINE || q->sel != APS_SEL_HOME || q->book == last ||
                (q->phase != APS_PHASE_OPEN && q->phase != APS_PHASE_PRE) ||
                h->books[q->book].aggregate)
                continue;
            bc[q->book].n++;
            last = q->book;
        }
    }
    qsort(bc, h->nbooks, sizeof *bc, by_count);
    for (size_t i = 0, k = 0; i < h->nbooks && k < APS_FEAT_BOOKS; i++)
        if (bc[i].n >= 1 && (size_t)bc[i].n * 5 >= h->ngames)
            (void)aps_str_copy(out->books[k++], sizeof out->books[0], h->books[bc[i].book].key);
    aps_free(bc);
}

void aps_feat_spec_prune(const struct aps_feat_matrix *m, const struct aps_history *h,
                         const struct aps_feat_spec *all, struct aps_feat_spec *out)
{
    memset(out, 0, sizeof *out);
    memcpy(out->books, all->books, sizeof out->books);
    size_t finals = 0;
    for (size_t gi = 0; gi < m->n; gi++)
        finals += aps_hist_final(&h->games[gi]);
    for (int j = 0; j < all->ncols; j++) {
        size_t have = 0;
        double first = NAN;
        bool varies = false;
        for (size_t gi = 0; gi < m->n; gi++) {
            double v = m->x[gi * (size_t)m->d + (size_t)j];
            if (isnan(v) || !aps_hist_final(&h->games[gi]))
                continue;
            if (!have++)
                first = v;
            else if (v != first)
                varies = true;
        }
        if (varies && (double)have >= MIN_SHARE * (double)finals)
            out->col[out->ncols++] = all->col[j];
    }
    for (int b = 0; b < APS_FEAT_BOOKS; b++) {
        bool used = false;
        for (int j = 0; j < out->ncols; j++)
            used |= out->col[j] == APS_F_BOOK0 + b;
        if (!used)
            out->books[b][0] = '\0';
    }
}

char *aps_feat_spec_to_json(const struct aps_feat_spec *s)
{
    json_t *o = json_object(), *cols = json_array(), *books = json_array();
    for (int j = 0; j < s->ncols; j++)
        json_array_append_new(cols, json_string(aps_feat_col_name(s->col[j])));
    for (int b = 0; b < APS_FEAT_BOOKS; b++)
        json_array_append_new(books, json_string(s->books[b]));
    json_object_set_new(o, "cols", cols);
    json_object_set_new(o, "books", books);
    char *txt = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    char *copy = aps_strdup(txt ? txt : "{}");
    aps_free(txt);
    return copy;
}

static int col_from_name(const char *name)
{
    for (int c = 0; name && c < APS_FEAT__COUNT; c++)
        if (!strcmp(aps_feat_col_name(c), name))
            return c;
    return -1;
}

int aps_feat_spec_from_json(const char *json, struct aps_feat_spec *s)
{
    json_error_t e;
    json_t *o = json_loads(json, 0, &e);
    int rc = o ? 0 : APS_E_PARSE;
    memset(s, 0, sizeof *s);
    json_t *cols = json_object_get(o, "cols"), *books = json_object_get(o, "books");
    if (!rc && (!json_is_array(cols) || json_array_size(cols) > APS_FEAT__COUNT))
        rc = APS_E_PARSE;
    for (size_t i = 0; !rc && i < json_array_size(cols); i++) {
        int c = col_from_name(json_string_value(json_array_get(cols, i)));
        if (c < 0)
            rc = APS_E_PARSE;
        else
            s->col[s->ncols++] = c;
    }
    for (size_t b = 0; !rc && b < json_array_size(books) && b < APS_FEAT_BOOKS; b++) {
        const char *k = json_string_value(json_array_get(books, b));
        if (k && aps_str_copy(s->books[b], sizeof s->books[b], k))
            rc = APS_E_PARSE;
    }
    json_decref(o);
    return rc;
}

/* ---- extras ---- */

static const char SQL_EXTRAS[] =
    "SELECT gs.game_id, gs.source, gs.extra FROM game_sources gs JOIN games g ON g.id = gs.game_id"
    " JOIN sports sp ON sp.id = g.sport_id WHERE sp.code = ?1"
    " AND gs.source IN ('spreadspoke', 'tennis-data') AND gs.extra IS NOT NULL";

static const char SQL_VENUES[] =
    "SELECT g.id, v.latitude, v.longitude, v.utc_offset_min FROM games g"
    " JOIN venues v ON v.id = g.venue_id JOIN sports sp ON sp.id = g.sport_id WHERE sp.code = ?1"
    " AND (v.latitude IS NOT NULL OR v.utc_offset_min IS NOT NULL)";

struct id_index {
    int64_t id;
    size_t gi;
};

static int by_id(const void *a, const void *b)
{
    const struct id_index *x = a, *y = b;
    return x->id < y->id ? -1 : x->id > y->id;
}

static double num(json_t *o, const char *key)
{
    json_t *v = json_object_get(o, key);
    return json_is_number(v) ? json_number_value(v) : NAN;
}

static void parse_extra(const char *source, const char *text, struct aps_feat_extra *x)
{
    json_error_t e;
    json_t *o = json_loads(text, 0, &e);
    if (!o)
        return;
    if (!strcmp(source, "spreadspoke")) {
        x->temp = num(o, "temperature");
        x->wind = num(o, "wind_mph");
        x->humidity = num(o, "humidity");
        const char *st = json_string_value(json_object_get(o, "stadium_type"));
        if (st)
            x->dome = !strcmp(st, "indoor") ? 1 : !strcmp(st, "outdoor") ? 0 : 0.5;
    } else {
        x->rank_home = num(o, "rank_home");
        x->rank_away = num(o, "rank_away");
        x->pts_home = num(o, "pts_home");
        x->pts_away = num(o, "pts_away");
        x->best_of = num(o, "best_of");
    }
    json_decref(o);
}

/* Each game's venue coordinates and standard-time offset (idx: game ids sorted). */
static int venues_load(struct aps_conn *c, const struct aps_history *h, const struct id_index *idx,
                       struct aps_feat_extras *out)
{
    struct aps_stmt *st = NULL;
    int rc = aps_conn_preparef(c, &st, SQL_VENUES, "s", aps_sport_info(h->sport)->code);
    while (!rc && (rc = aps_stmt_step(st)) == APS_ROW) {
        rc = 0;
        struct id_index key = {aps_stmt_int64(st, 0), 0};
        const struct id_index *hit = bsearch(&key, idx, h->ngames, sizeof *idx, by_id);
        if (!hit)
            continue;
        struct aps_feat_extra *x = &out->g[hit->gi];
        x->venue_lat = aps_stmt_double(st, 1);
        x->venue_lon = aps_stmt_double(st, 2);
        x->venue_utc_min = aps_stmt_double(st, 3);
    }
    aps_stmt_finalize(st);
    return rc;
}

int aps_feat_extras_load(struct aps_conn *c, const struct aps_history *h,
                         struct aps_feat_extras *out)
{
    struct aps_stmt *st = NULL;
    out->n = h->ngames;
    out->g = aps_malloc((h->ngames + 1) * sizeof *out->g);
    for (size_t i = 0; i < h->ngames; i++)
        out->g[i] = APS_FEAT_EXTRA_NONE;
    struct id_index *idx = aps_malloc((h->ngames + 1) * sizeof *idx);
    for (size_t i = 0; i < h->ngames; i++)
        idx[i] = (struct id_index){h->games[i].id, i};
    qsort(idx, h->ngames, sizeof *idx, by_id);
    int rc = aps_conn_preparef(c, &st, SQL_EXTRAS, "s", aps_sport_info(h->sport)->code);
    while (!rc && (rc = aps_stmt_step(st)) == APS_ROW) {
        rc = 0;
        struct id_index key = {aps_stmt_int64(st, 0), 0};
        struct id_index *hit = bsearch(&key, idx, h->ngames, sizeof *idx, by_id);
        if (hit)
            parse_extra(aps_stmt_text(st, 1), aps_stmt_text(st, 2), &out->g[hit->gi]);
    }
    aps_stmt_finalize(st);
    st = NULL;
    if (rc >= 0)
        rc = venues_load(c, h, idx, out);
    aps_free(idx);
    if (rc < 0) {
        aps_feat_extras_cleanup(out);
        return rc;
    }
    return 0;
}

void aps_feat_extras_cleanup(struct aps_feat_extras *x)
{
    aps_free(x->g);
    x->g = NULL;
    x->n = 0;
}
