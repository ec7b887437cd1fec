/* tennis_players.c — a tour's player rows put together by player key (see tennis_players.h).
 * A tour has about a thousand players and a merge is rare, so the rows are read once, keyed and
 * sorted in memory, and each group of two or more is checked and merged with a few statements. */
#include "ingest/tennis_players.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/mem.h"
#include "core/str.h"
#include "ingest/teams.h"
#include "ingest/tennis_names.h"
#include "store/store.h"

bool aps_tennis_player_key(enum aps_sport s, const char *name, char out[APS_TENNIS_KEY_MAX])
{
    struct aps_team_ref ref;
    return !aps_team_resolve(s, name, &ref) &&
           aps_tennis_name_key(ref.key, out, APS_TENNIS_KEY_MAX);
}

struct player_row {
    int64_t id;
    char name[96];                /* the row's key as stored */
    char key[APS_TENNIS_KEY_MAX]; /* its player key; "" when it has none */
    int rank; /* 2: the history's way ("Surname I.") and its own key, not a listed alias; 1: the
               * history's way; 0: any other (a live provider's full name) */
};

struct rows {
    struct player_row *v;
    size_t n, cap;
};

static bool is_tour(enum aps_sport s)
{
    return aps_sport_info(s)->kind == APS_KIND_TENNIS;
}

/* A row's group: a tour's player key (above); another sport's listed team (teams_ncaab.def). */
static bool row_key(enum aps_sport s, const char *name, char out[APS_TENNIS_KEY_MAX])
{
    struct aps_team_ref ref;
    if (is_tour(s))
        return aps_tennis_player_key(s, name, out);
    return !aps_team_resolve(s, name, &ref) && !aps_str_copy(out, APS_TENNIS_KEY_MAX, ref.key);
}

static int rank(enum aps_sport s, const char *name)
{
    struct aps_team_ref ref;
    if (!is_tour(s)) /* 2: stored under its team's key; 1: under another spelling of it */
        return aps_team_resolve(s, name, &ref) || strcmp(ref.key, name) ? 1 : 2;
    if (!aps_tennis_is_history_form(name))
        return 0;
    return aps_team_resolve(s, name, &ref) || strcmp(ref.key, name) ? 1 : 2;
}

static int load_rows(struct aps_conn *c, enum aps_sport s, int64_t sport_id, struct rows *r)
{
    struct aps_stmt *st = NULL;
    int rc = aps_conn_preparef(c, &st, "SELECT id, key FROM teams WHERE sport_id = ?1 ORDER BY id",
                               "i", sport_id);
    while (!rc && (rc = aps_stmt_step(st)) == APS_ROW) {
        rc = 0;
        const char *name = aps_stmt_text(st, 1);
        if (!name)
            continue;
        if (r->n == r->cap) {
            r->cap = r->cap ? r->cap * 2 : 256;
            r->v = aps_realloc(r->v, r->cap * sizeof *r->v);
        }
        struct player_row *p = &r->v[r->n];
        if (aps_str_copy(p->name, sizeof p->name, name) || !row_key(s, name, p->key))
            continue; /* a name no source could have written: left as it is */
        p->id = aps_stmt_int64(st, 0);
        p->rank = rank(s, name);
        r->n++;
    }
    aps_stmt_finalize(st);
    return rc < 0 ? rc : 0;
}

/* A full name that exactly one history player fits (players with one key count as one) takes
 * that player's key. */
static void key_full_names(struct rows *r)
{
    for (size_t i = 0; i < r->n; i++) {
        struct player_row *p = &r->v[i];
        if (strchr(p->name, '.'))
            continue;
        const char *fit = NULL;
        bool several = false;
        for (size_t j = 0; j < r->n && !several; j++) {
            const struct player_row *h = &r->v[j];
            if (!h->rank || !aps_tennis_name_fits(p->name, h->name))
                continue;
            several = fit && strcmp(fit, h->key) != 0;
            fit = h->key;
        }
        if (fit && !several)
            memcpy(p->key, fit, strlen(fit) + 1);
    }
}

static int cmp_rows(const void *a, const void *b)
{
    const struct player_row *x = a, *y = b;
    int k = strcmp(x->key, y->key);
    return k ? k : (x->id > y->id) - (x->id < y->id);
}

static void note(struct aps_tennis_merge *out, const char *a, const char *b, const char *why)
{
    size_t n = strlen(out->apart);
    snprintf(out->apart + n, sizeof out->apart - n, "%s\"%s\" and \"%s\" %s", n ? "; " : "", a, b,
             why);
}

/* Games with locked-in picks that row ?1 plays in. */
static const char SQL_PICKS[] =
    "SELECT COUNT(*) FROM predictions p JOIN games g ON g.id = p.game_id"
    " WHERE g.home_team_id = ?1 OR g.away_team_id = ?1";
/* Pairs of games of rows ?1 and ?2 on one day (a game between them counts). */
static const char SQL_SHARED_DAY[] =
    "SELECT COUNT(*) FROM games a JOIN games b ON b.game_date = a.game_date"
    " WHERE (a.home_team_id = ?1 OR a.away_team_id = ?1)"
    " AND (b.home_team_id = ?2 OR b.away_team_id = ?2)";
/* Everything that names row ?1 moves to row ?2; then row ?1 is deleted. */
static const char *const SQL_MOVE[] = {
    "UPDATE games SET home_team_id = ?2 WHERE home_team_id = ?1",
    "UPDATE games SET away_team_id = ?2 WHERE away_team_id = ?1",
    "UPDATE forecasts SET team1_id = ?2 WHERE team1_id = ?1",
    "UPDATE forecasts SET team2_id = ?2 WHERE team2_id = ?1",
    "UPDATE elo_history SET team_id = ?2 WHERE team_id = ?1",
    "UPDATE team_aliases SET team_id = ?2 WHERE team_id = ?1",
};

/* The index of the row to keep in g[0..n) (see the rule), or n when two rows have picks. */
static int pick_kept(struct aps_conn *c, const struct player_row *g, size_t n, size_t *kept)
{
    size_t with_picks = 0, best = 0;
    *kept = 0;
    for (size_t i = 0; i < n; i++) {
        int64_t picks = 0;
        int rc = aps_conn_query_row(c, SQL_PICKS, "i", &picks, "i", g[i].id);
        if (rc)
            return rc;
        if (picks && with_picks++ == 0)
            *kept = i;
        if (g[i].rank > g[best].rank)
            best = i;
    }
    if (with_picks > 1)
        *kept = n;
    else if (!with_picks)
        *kept = best;
    return 0;
}

/* Row g[i] goes into row g[kept] unless it played on a day another row of g[0..n) played
 * (*moved false then). */
static int merge_row(struct aps_conn *c, const struct player_row *g, size_t n, size_t i,
                     size_t kept, bool *moved)
{
    int rc = 0;
    *moved = false;
    for (size_t j = 0; j < n && !rc; j++) {
        int64_t shared = 0;
        if (j != i)
            rc = aps_conn_query_row(c, SQL_SHARED_DAY, "i", &shared, "ii", g[j].id, g[i].id);
        if (!rc && shared)
            return 0;
    }
    for (size_t k = 0; k < sizeof SQL_MOVE / sizeof SQL_MOVE[0] && !rc; k++)
        rc = aps_conn_execf(c, SQL_MOVE[k], "ii", g[i].id, g[kept].id);
    if (!rc)
        rc = aps_conn_execf(c, "DELETE FROM teams WHERE id = ?1", "i", g[i].id);
    *moved = rc == 0;
    return rc;
}

/* A listed team's group (not a tour's) ends on a row stored under the team's key, where the
 * ingest looks for it: the kept row takes the key unless picks are locked in under its spelling;
 * then the group stays apart, named, as a rename or a merge would change what the picks hash. */
static int take_key(struct aps_conn *c, enum aps_sport s, const struct player_row *g, size_t n,
                    size_t kept, struct aps_tennis_merge *out, bool *apart)
{
    int64_t picks = 0;
    *apart = false;
    if (is_tour(s) || g[kept].rank == 2)
        return 0;
    int rc = aps_conn_query_row(c, SQL_PICKS, "i", &picks, "i", g[kept].id);
    if (rc || picks) {
        *apart = true;
        note(out, g[kept].name, g[kept].key,
             "left apart: picks are locked in under the first one");
        return rc;
    }
    struct aps_team_ref ref;
    rc = aps_team_resolve(s, g[kept].name, &ref);
    if (!rc)
        rc = aps_conn_execf(c, "UPDATE teams SET key = ?2, name = ?3 WHERE id = ?1", "iss",
                            g[kept].id, ref.key, ref.name);
    out->merged += !rc && n == 1;
    return rc;
}

static int merge_group(struct aps_conn *c, enum aps_sport s, const struct player_row *g, size_t n,
                       struct aps_tennis_merge *out)
{
    size_t kept;
    bool apart = false;
    int rc = pick_kept(c, g, n, &kept);
    if (rc)
        return rc;
    if (kept == n) {
        note(out, g[0].name, g[1].name,
             "left apart: picks are locked in under more than one of its names");
        return 0;
    }
    rc = take_key(c, s, g, n, kept, out, &apart);
    if (rc || apart)
        return rc;
    for (size_t i = 0; i < n && !rc; i++) {
        bool moved = false;
        if (i != kept)
            rc = merge_row(c, g, n, i, kept, &moved);
        if (!rc && i != kept && !moved)
            note(out, g[i].name, g[kept].name, "left apart: played on one day");
        out->merged += moved;
    }
    return rc;
}

int aps_tennis_players_merge(struct aps_conn *c, enum aps_sport s, int64_t sport_id,
                             struct aps_tennis_merge *out)
{
    struct rows r = {0};
    memset(out, 0, sizeof *out);
    int rc = load_rows(c, s, sport_id, &r);
    if (!rc) {
        if (is_tour(s))
            key_full_names(&r);
        if (r.n)
            qsort(r.v, r.n, sizeof *r.v, cmp_rows);
    }
    for (size_t i = 0, j; !rc && i < r.n; i = j) {
        for (j = i + 1; j < r.n && !strcmp(r.v[j].key, r.v[i].key);)
            j++;
        if (j - i > 1 || (!is_tour(s) && r.v[i].rank != 2))
            rc = merge_group(c, s, &r.v[i], j - i, out);
    }
    aps_free(r.v);
    return rc;
}
