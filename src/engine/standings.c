/* standings.c — a sport's Elo standings and one team's ratings game by game (see standings.h). */
#include "engine/standings.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/mem.h"
#include "core/str.h"
#include "core/strmap.h"
#include "engine/elo_store.h"
#include "model/elo_replay.h"
#include "model/history.h"

/* A team's tally during the walk. */
struct tally {
    int64_t team;
    double before[APS_STANDINGS_RECENT]; /* its ratings before its last games, a ring */
    int nbefore, next;
    int record[2][3]; /* [regular, playoff][win, loss, draw] */
    bool in_season;   /* a game of the season shown */
    char last_date[11];
};

struct walk {
    const char *season;      /* count records of this season only; NULL: every season */
    struct aps_strmap index; /* team id (decimal text) -> tallies[i] */
    struct tally *tallies;
    size_t n, cap;
};

static struct tally *tally_of(struct walk *w, int64_t team)
{
    char key[24];
    int64_t i;
    snprintf(key, sizeof key, "%" PRId64, team);
    if (aps_strmap_get(&w->index, key, &i))
        return &w->tallies[i];
    if (w->n == w->cap) {
        w->cap = w->cap ? w->cap * 2 : 64;
        w->tallies = aps_realloc(w->tallies, w->cap * sizeof *w->tallies);
    }
    struct tally *t = &w->tallies[w->n];
    memset(t, 0, sizeof *t);
    t->team = team;
    aps_strmap_put(&w->index, key, (int64_t)w->n++);
    return t;
}

static void tally_game(struct walk *w, const struct aps_hist_game *g, int64_t team, int own,
                       int other, double before)
{
    struct tally *t = tally_of(w, team);
    t->before[t->next] = before;
    t->next = (t->next + 1) % APS_STANDINGS_RECENT;
    if (t->nbefore < APS_STANDINGS_RECENT)
        t->nbefore++;
    (void)aps_str_copy(t->last_date, sizeof t->last_date, g->date);
    if (w->season && strcmp(g->season, w->season))
        return;
    t->in_season = true;
    t->record[g->playoff][own > other ? 0 : own < other ? 1 : 2]++;
}

static int on_game(void *ctx, const struct aps_elo_replay *r, const struct aps_hist_game *g,
                   double home_before, double away_before)
{
    (void)r;
    struct walk *w = ctx;
    tally_game(w, g, g->home, g->home_score, g->away_score, home_before);
    tally_game(w, g, g->away, g->away_score, g->home_score, away_before);
    return 0;
}

/* The number of games dated before `before` (all when NULL). */
static size_t games_before(const struct aps_history *h, const char *before)
{
    size_t n = 0;
    while (n < h->ngames && !(before && strcmp(h->games[n].date, before) >= 0))
        n++;
    return n;
}

/* Lists the seasons with a finished game among the first n, newest first, and the season and
 * date of the last finished one. */
static void list_seasons(const struct aps_history *h, size_t n, struct aps_standings *out,
                         const char **last_season)
{
    bool *seen = aps_calloc((size_t)h->nseasons + 1, sizeof *seen);
    const char **names = aps_calloc((size_t)h->nseasons + 1, sizeof *names);
    *last_season = NULL;
    for (size_t i = 0; i < n; i++) {
        const struct aps_hist_game *g = &h->games[i];
        if (!aps_hist_final(g))
            continue;
        seen[g->season_no] = true;
        names[g->season_no] = g->season;
        *last_season = g->season;
        (void)aps_str_copy(out->as_of, sizeof out->as_of, g->date);
    }
    out->seasons = aps_calloc((size_t)h->nseasons + 1, sizeof *out->seasons);
    for (int s = h->nseasons - 1; s >= 0; s--)
        if (seen[s])
            (void)aps_str_copy(out->seasons[out->nseasons++], sizeof *out->seasons, names[s]);
    aps_free(seen);
    aps_free(names);
}

static int by_rating(const void *a, const void *b)
{
    const struct aps_standing *x = a, *y = b;
    if (x->rating != y->rating)
        return x->rating > y->rating ? -1 : 1;
    return x->team_id < y->team_id ? -1 : x->team_id > y->team_id;
}

/* The standings of the walk's teams: those with a game of the season (every one for all). */
static void rank_teams(const struct walk *w, const struct aps_elo *elo, bool all,
                       struct aps_standings *out)
{
    out->teams = aps_calloc(w->n + 1, sizeof *out->teams);
    for (size_t i = 0; i < w->n; i++) {
        const struct tally *t = &w->tallies[i];
        if (!all && !t->in_season)
            continue;
        struct aps_standing *s = &out->teams[out->nteams++];
        s->team_id = t->team;
        s->rating = aps_elo_rating(elo, t->team);
        s->recent = t->nbefore;
        /* the oldest rating of the ring: the next slot once it is full, else the first */
        double first = t->before[t->nbefore < APS_STANDINGS_RECENT ? 0 : t->next];
        s->change = s->rating - first;
        s->wins = t->record[0][0];
        s->losses = t->record[0][1];
        s->draws = t->record[0][2];
        s->playoff_wins = t->record[1][0];
        s->playoff_losses = t->record[1][1];
        s->playoff_draws = t->record[1][2];
        memcpy(s->last_date, t->last_date, sizeof s->last_date);
    }
    qsort(out->teams, out->nteams, sizeof *out->teams, by_rating);
}

static bool known_season(const struct aps_standings *s, const char *season)
{
    for (size_t i = 0; i < s->nseasons; i++)
        if (!strcmp(s->seasons[i], season))
            return true;
    return false;
}

int aps_standings_load(struct aps_conn *c, enum aps_sport sport, const char *before,
                       const char *season, struct aps_standings *out)
{
    memset(out, 0, sizeof *out);
    out->sport = sport;
    struct aps_history h;
    struct aps_elo_params p;
    struct aps_elo_replay r = {0};
    struct walk w = {0};
    int rc = aps_history_load_games(c, sport, NULL, before, &h);
    if (rc)
        return rc;
    size_t n = games_before(&h, before);
    const char *last = NULL;
    list_seasons(&h, n, out, &last);
    bool all = season && !strcmp(season, "all");
    if (!season)
        season = last;
    if (!season || (!all && !known_season(out, season)))
        rc = APS_E_NOTFOUND;
    if (!rc) {
        (void)aps_str_copy(out->season, sizeof out->season, season);
        rc = aps_elo_params_load(c, sport, &p, &out->fitted);
    }
    if (!rc)
        rc = aps_elo_replay_init(&r, &p);
    w.season = all ? NULL : season;
    if (!rc)
        rc = aps_elo_replay_history(&r, &h, n, on_game, &w);
    if (!rc)
        rank_teams(&w, &r.elo, all, out);
    aps_elo_replay_cleanup(&r);
    aps_strmap_cleanup(&w.index);
    aps_free(w.tallies);
    aps_history_cleanup(&h);
    return rc;
}

void aps_standings_cleanup(struct aps_standings *s)
{
    aps_free(s->teams);
    aps_free(s->seasons);
    s->teams = NULL;
    s->seasons = NULL;
    s->nteams = s->nseasons = 0;
}

/* The walk of one team: its games, in a ring of the last max. */
struct team_walk {
    int64_t team;
    size_t max, n, next;
    struct aps_team_game *games;
};

static int on_team_game(void *ctx, const struct aps_elo_replay *r, const struct aps_hist_game *g,
                        double home_before, double away_before)
{
    struct team_walk *w = ctx;
    bool home = g->home == w->team;
    if (!home && g->away != w->team)
        return 0;
    struct aps_team_game *t = &w->games[w->next];
    w->next = (w->next + 1) % w->max;
    if (w->n < w->max)
        w->n++;
    t->game_id = g->id;
    t->opponent = home ? g->away : g->home;
    (void)aps_str_copy(t->date, sizeof t->date, g->date);
    (void)aps_str_copy(t->season, sizeof t->season, g->season);
    t->home = home;
    t->score_for = home ? g->home_score : g->away_score;
    t->score_against = home ? g->away_score : g->home_score;
    t->rating_before = home ? home_before : away_before;
    t->opponent_before = home ? away_before : home_before;
    t->rating_after = aps_elo_rating(&r->elo, w->team);
    return 0;
}

int aps_team_ratings(struct aps_conn *c, enum aps_sport sport, int64_t team, const char *before,
                     size_t max, struct aps_team_game **games, size_t *n, double *rating,
                     bool *fitted)
{
    *games = NULL;
    *n = 0;
    struct aps_history h;
    struct aps_elo_params p;
    struct aps_elo_replay r = {0};
    struct team_walk w = {.team = team, .max = max ? max : 1};
    int rc = aps_history_load_games(c, sport, NULL, before, &h);
    if (rc)
        return rc;
    w.games = aps_calloc(w.max, sizeof *w.games);
    rc = aps_elo_params_load(c, sport, &p, fitted);
    if (!rc)
        rc = aps_elo_replay_init(&r, &p);
    if (!rc)
        rc = aps_elo_replay_history(&r, &h, games_before(&h, before), on_team_game, &w);
    if (!rc) {
        *rating = aps_elo_rating(&r.elo, team);
        /* oldest first: the ring starts at next once it has wrapped */
        *games = aps_calloc(w.n + 1, sizeof **games);
        size_t start = w.n < w.max ? 0 : w.next;
        for (size_t i = 0; i < w.n; i++)
            (*games)[i] = w.games[(start + i) % w.max];
        *n = w.n;
    }
    aps_free(w.games);
    aps_elo_replay_cleanup(&r);
    aps_history_cleanup(&h);
    return rc;
}
