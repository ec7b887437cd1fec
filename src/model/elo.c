/* elo.c — the Elo rating engine (formulas and design in elo.h).
 *
 * Ratings live in an open-addressing hash table keyed by the store's int64 team ids (linear
 * probing, power-of-two capacity, load at most one half). Each entry remembers the season index it
 * was last settled in; season regression is applied when the entry is next read or played, which
 * makes aps_elo_new_season() O(1) and lets a long absence be treated differently from a one-season
 * gap (params.lapse_to_initial). */
#include "model/elo.h"

#include <math.h>
#include <string.h>

#include "core/mem.h"
#include "core/str.h"

struct aps_elo_entry {
    int64_t team;
    double rating;
    double surface[APS_ELO_SURFACE__COUNT];
    int season; /* season index the ratings are settled to */
    bool used;
};

/* ---- defaults (elo_params.def) -------------------------------------------------------------- */

struct elo_default {
    double k, home_adv;
    enum aps_elo_mov mov;
    double regress, mean, initial, draw_width, surface_weight;
};

/* Designated initialisers: an unknown code fails to compile and a duplicate trips
 * -Woverride-init; with the count check below every sport has exactly one line. */
static const struct elo_default elo_defaults[APS_SPORT__COUNT] = {
#define APS_ELO_PARAMS(code, k, h, mov, rg, mean, init, dw, sw) \
    [APS_SPORT_##code] = {k, h, APS_ELO_MOV_##mov, rg, mean, init, dw, sw},
#include "model/elo_params.def"
#undef APS_ELO_PARAMS
};

enum {
    ELO_DEFAULTS_COUNT = 0
#define APS_ELO_PARAMS(code, k, h, mov, rg, mean, init, dw, sw) +1
#include "model/elo_params.def"
#undef APS_ELO_PARAMS
};
_Static_assert((int)ELO_DEFAULTS_COUNT == (int)APS_SPORT__COUNT,
               "elo_params.def must list every sport");

int aps_elo_params_default(enum aps_sport sport, struct aps_elo_params *out)
{
    if ((int)sport < 0 || sport >= APS_SPORT__COUNT || !out)
        return APS_E_INVAL;
    const struct elo_default *d = &elo_defaults[sport];
    const struct aps_sport_info *info = aps_sport_info(sport);
    *out = (struct aps_elo_params){
        .k = d->k,
        .home_adv = d->home_adv,
        .mov = d->mov,
        .regress = d->regress,
        .mean = d->mean,
        .initial = d->initial,
        .scale = APS_ELO_SCALE,
        .has_home = info->kind != APS_KIND_TENNIS,
        .draw_width = info->three_way ? d->draw_width : 0.0,
        .surface_weight = d->surface_weight,
        .lapse_to_initial = false,
    };
    return 0;
}

/* ---- set-up --------------------------------------------------------------------------------- */

static bool params_valid(const struct aps_elo_params *p)
{
    const double v[] = {p->k,       p->home_adv, p->regress,    p->mean,
                        p->initial, p->scale,    p->draw_width, p->surface_weight};
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++)
        if (!isfinite(v[i]))
            return false;
    return p->k > 0 && p->home_adv >= 0 && p->scale > 0 && p->regress >= 0 && p->regress <= 1 &&
           p->draw_width >= 0 && p->surface_weight >= 0 && p->surface_weight <= 1 &&
           (p->mov == APS_ELO_MOV_NONE || p->mov == APS_ELO_MOV_FIVETHIRTYEIGHT);
}

int aps_elo_init(struct aps_elo *e, const struct aps_elo_params *p)
{
    memset(e, 0, sizeof *e);
    if (!p || !params_valid(p))
        return APS_E_INVAL;
    e->p = *p;
    return 0;
}

void aps_elo_cleanup(struct aps_elo *e)
{
    aps_free(e->slots);
    memset(e, 0, sizeof *e);
}

/* ---- the table ------------------------------------------------------------------------------ */

static size_t slot_of(int64_t team, size_t cap)
{
    /* splitmix64's finaliser: sequential ids spread over the whole table. */
    uint64_t x = (uint64_t)team;
    x = (x ^ (x >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    x = (x ^ (x >> 27)) * UINT64_C(0x94d049bb133111eb);
    x ^= x >> 31;
    return (size_t)x & (cap - 1);
}

static struct aps_elo_entry *find(const struct aps_elo *e, int64_t team)
{
    if (!e->cap)
        return NULL;
    for (size_t i = slot_of(team, e->cap);; i = (i + 1) & (e->cap - 1)) {
        if (!e->slots[i].used)
            return NULL;
        if (e->slots[i].team == team)
            return &e->slots[i];
    }
}

static void grow(struct aps_elo *e)
{
    size_t old_cap = e->cap;
    struct aps_elo_entry *old = e->slots;
    e->cap = old_cap ? old_cap * 2 : 64;
    e->slots = aps_calloc(e->cap, sizeof *e->slots);
    for (size_t i = 0; i < old_cap; i++) {
        if (!old[i].used)
            continue;
        size_t j = slot_of(old[i].team, e->cap);
        while (e->slots[j].used)
            j = (j + 1) & (e->cap - 1);
        e->slots[j] = old[i];
    }
    aps_free(old);
}

/* The entry of a team, created at the initial rating (as of the current season) when missing.
 * The pointer is valid until the next insertion. */
static struct aps_elo_entry *insert(struct aps_elo *e, int64_t team)
{
    struct aps_elo_entry *en = find(e, team);
    if (en)
        return en;
    if ((e->count + 1) * 2 > e->cap)
        grow(e);
    size_t i = slot_of(team, e->cap);
    while (e->slots[i].used)
        i = (i + 1) & (e->cap - 1);
    en = &e->slots[i];
    en->used = true;
    en->team = team;
    en->rating = e->p.initial;
    for (int s = 0; s < APS_ELO_SURFACE__COUNT; s++)
        en->surface[s] = e->p.initial;
    en->season = e->season;
    e->count++;
    return en;
}

/* ---- seasons -------------------------------------------------------------------------------- */

/* A rating after n season boundaries. One boundary: the 538 form r·(1−f) + mean·f. Several (the
 * team missed whole seasons): the same step n times, toward `initial` under lapse_to_initial —
 * FiveThirtyEight's NFL ratings treat a franchise returning from a lapse that way. */
static double regressed(const struct aps_elo_params *p, double r, int n)
{
    if (n <= 0 || p->regress == 0)
        return r;
    if (n == 1)
        return r * (1 - p->regress) + p->mean * p->regress;
    double target = p->lapse_to_initial ? p->initial : p->mean;
    return target + (r - target) * pow(1 - p->regress, n);
}

/* Applies the pending regression to an entry in place. */
static void settle(const struct aps_elo *e, struct aps_elo_entry *en)
{
    int n = e->season - en->season;
    en->rating = regressed(&e->p, en->rating, n);
    for (int s = 0; s < APS_ELO_SURFACE__COUNT; s++)
        en->surface[s] = regressed(&e->p, en->surface[s], n);
    en->season = e->season;
}

void aps_elo_new_season(struct aps_elo *e)
{
    e->season++;
}

double aps_elo_rating(const struct aps_elo *e, int64_t team)
{
    const struct aps_elo_entry *en = find(e, team);
    if (!en)
        return e->p.initial;
    return regressed(&e->p, en->rating, e->season - en->season);
}

int aps_elo_set_rating(struct aps_elo *e, int64_t team, double rating)
{
    if (!isfinite(rating))
        return APS_E_INVAL;
    struct aps_elo_entry *en = insert(e, team);
    settle(e, en);
    en->rating = rating;
    return 0;
}

size_t aps_elo_count(const struct aps_elo *e)
{
    return e->count;
}

bool aps_elo_next(const struct aps_elo *e, size_t *pos, int64_t *team, double *rating)
{
    for (; *pos < e->cap; (*pos)++) {
        const struct aps_elo_entry *en = &e->slots[*pos];
        if (!en->used)
            continue;
        *team = en->team;
        *rating = regressed(&e->p, en->rating, e->season - en->season);
        (*pos)++;
        return true;
    }
    return false;
}

/* ---- probabilities -------------------------------------------------------------------------- */

static double expect_scaled(double diff, double scale)
{
    return 1.0 / (1.0 + pow(10.0, -diff / scale));
}

double aps_elo_expect(double diff)
{
    return expect_scaled(diff, APS_ELO_SCALE);
}

int aps_elo_surface_parse(const char *name)
{
    static const char *const names[APS_ELO_SURFACE__COUNT] = {"hard", "clay", "grass", "carpet"};
    for (int i = 0; name && i < APS_ELO_SURFACE__COUNT; i++)
        if (aps_str_eq_nocase(name, names[i]))
            return i;
    return -1;
}

/* Which surface rating a game uses: -1 for none (no surface given, or surface ratings off). */
static int game_surface(const struct aps_elo *e, const struct aps_elo_game *g, int *surface)
{
    *surface = -1;
    if (e->p.surface_weight <= 0 || !g->surface)
        return 0;
    *surface = aps_elo_surface_parse(g->surface);
    return *surface < 0 ? APS_E_INVAL : 0;
}

/* A side's rating in a game: the overall one, or blended with the surface's. */
static double blend(const struct aps_elo *e, double overall, double on_surface, int surface)
{
    if (surface < 0)
        return overall;
    return (1 - e->p.surface_weight) * overall + e->p.surface_weight * on_surface;
}

/* Current rating of one side as used in a game (read-only: pending regression computed, not
 * stored). */
static double side_rating(const struct aps_elo *e, int64_t team, int surface)
{
    const struct aps_elo_entry *en = find(e, team);
    if (!en)
        return e->p.initial;
    int n = e->season - en->season;
    double on_surface = surface < 0 ? 0 : regressed(&e->p, en->surface[surface], n);
    return blend(e, regressed(&e->p, en->rating, n), on_surface, surface);
}

/* The home side's edge in Elo points, home advantage included. */
static double game_diff(const struct aps_elo *e, const struct aps_elo_game *g, double rh, double ra)
{
    double h = e->p.has_home && !g->neutral ? e->p.home_adv : 0.0;
    return rh + h - ra;
}

static int prepare(const struct aps_elo *e, const struct aps_elo_game *g, int *surface)
{
    if (!g || g->home == g->away)
        return APS_E_INVAL;
    return game_surface(e, g, surface);
}

int aps_elo_prob(const struct aps_elo *e, const struct aps_elo_game *g, double *p_home)
{
    int surface;
    int rc = prepare(e, g, &surface);
    if (rc)
        return rc;
    double d = game_diff(e, g, side_rating(e, g->home, surface), side_rating(e, g->away, surface));
    *p_home = expect_scaled(d, e->p.scale);
    return 0;
}

/* The three-way split of the home side's edge d. */
static void split3(const struct aps_elo *e, double d, double p[3])
{
    double w = e->p.draw_width;
    p[0] = expect_scaled(d - w, e->p.scale);
    p[2] = expect_scaled(-(d + w), e->p.scale);
    p[1] = 1.0 - p[0] - p[2];
    if (p[1] < 0) /* w = 0 and rounding */
        p[1] = 0;
}

int aps_elo_prob3(const struct aps_elo *e, const struct aps_elo_game *g, double p[3])
{
    int surface;
    int rc = prepare(e, g, &surface);
    if (rc)
        return rc;
    split3(e, game_diff(e, g, side_rating(e, g->home, surface), side_rating(e, g->away, surface)),
           p);
    return 0;
}

/* ---- updates -------------------------------------------------------------------------------- */

/* The margin-of-victory multiplier; diff is the home side's edge with home advantage. */
static double mov_multiplier(const struct aps_elo_params *p, double diff, int margin)
{
    if (p->mov == APS_ELO_MOV_NONE)
        return 1.0;
    int pd = margin < 0 ? -margin : margin;
    double base = log((pd > 1 ? pd : 1) + 1.0);
    if (margin == 0)
        return base * 2.2; /* 538: a tie's denominator is 1.0 */
    double winner_diff = margin > 0 ? diff : -diff;
    return base * (2.2 / (winner_diff * 0.001 + 2.2));
}

/* The two sides of a game settled (regression applied), with their ratings as used in it and the
 * home side's edge. */
struct game_sides {
    struct aps_elo_entry *h, *a;
    double rh, ra, diff;
    int surface;
};

static int settle_sides(struct aps_elo *e, const struct aps_elo_game *g, int home_score,
                        int away_score, struct game_sides *gs)
{
    int rc = prepare(e, g, &gs->surface);
    if (rc)
        return rc;
    if (home_score < 0 || away_score < 0)
        return APS_E_INVAL;
    if ((e->count + 2) * 2 > e->cap)
        grow(e); /* both insertions below then fit without moving the table */
    gs->h = insert(e, g->home);
    gs->a = insert(e, g->away);
    settle(e, gs->h);
    settle(e, gs->a);
    int sf = gs->surface;
    gs->rh = blend(e, gs->h->rating, sf < 0 ? 0 : gs->h->surface[sf], sf);
    gs->ra = blend(e, gs->a->rating, sf < 0 ? 0 : gs->a->surface[sf], sf);
    gs->diff = game_diff(e, g, gs->rh, gs->ra);
    return 0;
}

/* Moves both sides by K·m·(S - p_home). */
static void move(struct aps_elo *e, const struct game_sides *gs, double p_home, int home_score,
                 int away_score, struct aps_elo_result *res)
{
    double s = home_score > away_score ? 1.0 : home_score < away_score ? 0.0 : 0.5;
    double k_eff = e->p.k * mov_multiplier(&e->p, gs->diff, home_score - away_score);
    double delta = k_eff * (s - p_home);
    gs->h->rating += delta;
    gs->a->rating -= delta;
    if (gs->surface >= 0) {
        gs->h->surface[gs->surface] += delta;
        gs->a->surface[gs->surface] -= delta;
    }
    if (res)
        *res = (struct aps_elo_result){p_home, gs->rh, gs->ra, delta, -delta, k_eff};
}

int aps_elo_update(struct aps_elo *e, const struct aps_elo_game *g, int home_score, int away_score,
                   struct aps_elo_result *res)
{
    struct game_sides gs;
    int rc = settle_sides(e, g, home_score, away_score, &gs);
    if (rc)
        return rc;
    move(e, &gs, expect_scaled(gs.diff, e->p.scale), home_score, away_score, res);
    return 0;
}

/* Settling a side stores the rating side_rating() computes without storing, so the edge here is
 * the one aps_elo_prob() and aps_elo_prob3() see before the update, bit for bit. */
int aps_elo_prob_update(struct aps_elo *e, const struct aps_elo_game *g, int home_score,
                        int away_score, bool three_way, double p[3])
{
    struct game_sides gs;
    int rc = settle_sides(e, g, home_score, away_score, &gs);
    if (rc)
        return rc;
    double p_home = expect_scaled(gs.diff, e->p.scale);
    if (three_way)
        split3(e, gs.diff, p);
    else
        p[0] = p_home;
    move(e, &gs, p_home, home_score, away_score, NULL);
    return 0;
}

const char *aps_elo_surface_name(int surface)
{
    static const char *const names[APS_ELO_SURFACE__COUNT] = {"hard", "clay", "grass", "carpet"};
    return surface >= 0 && surface < APS_ELO_SURFACE__COUNT ? names[surface] : NULL;
}
