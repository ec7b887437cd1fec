/* elo.h — the Elo rating engine: one rating per team (or player) of a sport, updated game by game.
 *
 * Pure computation, no store access: the caller feeds finished games in time order, calls
 * aps_elo_new_season() at each season boundary, and reads a point-in-time prediction by asking for
 * the probability before it feeds the game's result. Formulas (reference/platform-spec.md §3.7,
 * DESIGN.md §8, with its defects fixed):
 *
 *   E_home = 1/(1 + 10^(-(R_home + H - R_away)/scale))      E_away = 1 - E_home (zero-sum)
 *   R'_home = R_home + K·m·(S_home - E_home)               R'_away = R_away - (same amount)
 *
 * H is the home advantage in Elo points (0 at neutral sites and in sports without a home side).
 * m is the margin-of-victory multiplier: 1, or FiveThirtyEight's NFL form
 *   m = ln(max(|pd|,1) + 1) · 2.2/(d_w·0.001 + 2.2)   for a decided game, where d_w is the
 *       winner's rating edge including home advantage (R_home + H - R_away when home won, its
 *       negative when away won): favourites that win gain less, upsets move ratings more;
 *   m = ln(2) · 2.2                                      for a tie (538's documented model puts
 *       1.0 in place of the whole denominator when result1 = 0.5).
 * This is what reproduces 538's published nfl_games.csv (tests/unit/model/test_elo.c).
 *
 * Seasons: at each boundary every rating regresses a fraction `regress` toward `mean`. The engine
 * applies it lazily — a team's stored rating carries the season it was last played in — so
 * aps_elo_new_season() is O(1) and a team that missed whole seasons can be handled as 538 does
 * (params.lapse_to_initial: regress toward `initial` once per boundary instead).
 *
 * Three-way markets (soccer): an ordered-logit split of the same Elo difference d (with H):
 *   P(home) = 1/(1 + 10^(-(d - w)/scale))     P(away) = 1/(1 + 10^((d + w)/scale))
 *   P(draw) = 1 - P(home) - P(away)
 * w = params.draw_width >= 0 (Elo points). P(draw) is largest at d = 0, where it equals
 * 2/(1 + 10^(-w/scale)) - 1, and w = 0 gives the plain two-way model. The rating update itself
 * stays the two-way one with S = 0.5 for a draw.
 *
 * Tennis surfaces: with params.surface_weight w > 0 each player also has a rating per surface, and
 * the rating used in a game on a surface is (1 - w)·overall + w·surface; both are updated by the
 * same amount. A game with surface NULL uses the overall rating alone. */
#ifndef APS_MODEL_ELO_H
#define APS_MODEL_ELO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/domain.h"
#include "core/err.h"

#define APS_ELO_SCALE 400.0

enum aps_elo_mov {
    APS_ELO_MOV_NONE,            /* m = 1 */
    APS_ELO_MOV_FIVETHIRTYEIGHT, /* 538's NFL multiplier, above */
};

enum aps_elo_surface {
    APS_ELO_SURFACE_HARD,
    APS_ELO_SURFACE_CLAY,
    APS_ELO_SURFACE_GRASS,
    APS_ELO_SURFACE_CARPET,
    APS_ELO_SURFACE__COUNT
};

struct aps_elo_params {
    double k;              /* K factor, > 0 */
    double home_adv;       /* H in Elo points added to the home side, >= 0 */
    enum aps_elo_mov mov;  /* margin-of-victory multiplier */
    double regress;        /* fraction toward `mean` at each season boundary, 0..1 */
    double mean;           /* rating the season regression pulls toward */
    double initial;        /* rating of a team never seen */
    double scale;          /* 400 */
    bool has_home;         /* false in tennis: H is never applied */
    double draw_width;     /* w of the three-way split, >= 0; 0 = no draws predicted */
    double surface_weight; /* tennis surface blend, 0..1; 0 = no surface ratings */
    bool lapse_to_initial; /* a team that missed whole seasons regresses toward `initial` */
};

/* One game as the engine needs it. surface: NULL, or "hard", "clay", "grass", "carpet" (any case),
 * used only when params.surface_weight > 0. neutral: no home advantage for this game. */
struct aps_elo_game {
    int64_t home; /* team1 in tennis */
    int64_t away;
    bool neutral;
    const char *surface;
};

/* What aps_elo_update() did: the pre-game state and the zero-sum change. */
struct aps_elo_result {
    double p_home;      /* pre-game probability the home side wins (two-way) */
    double home_before; /* pre-game ratings used (surface-blended when a surface applies) */
    double away_before;
    double delta_home; /* change of the home side's rating; delta_away = -delta_home */
    double delta_away;
    double k_eff; /* K times the margin multiplier */
};

struct aps_elo_entry;

/* Ratings of one sport. init/cleanup pair; cleanup is safe on a zeroed struct. */
struct aps_elo {
    struct aps_elo_params p;
    struct aps_elo_entry *slots; /* open addressing, capacity a power of two */
    size_t cap;
    size_t count;
    int season; /* number of aps_elo_new_season() calls so far */
};

/* The starting parameters of a sport (src/model/elo_params.def). APS_E_INVAL for an unknown
 * sport. These are starting values, not fitted ones. */
int aps_elo_params_default(enum aps_sport sport, struct aps_elo_params *out) APS_MUST_CHECK;

/* Checks the parameters and sets up an empty engine. APS_E_INVAL when a parameter is out of
 * range or not finite (e is then left empty but safe to clean up). */
int aps_elo_init(struct aps_elo *e, const struct aps_elo_params *p) APS_MUST_CHECK;
void aps_elo_cleanup(struct aps_elo *e);

/* 1/(1 + 10^(-diff/400)): the expected score of a side diff Elo points stronger. */
double aps_elo_expect(double diff);

/* The current (point-in-time) overall rating of a team, with any pending season regression
 * applied; `initial` for a team never seen. */
double aps_elo_rating(const struct aps_elo *e, int64_t team);
/* Sets a team's overall rating as of the current season (no regression pending). APS_E_INVAL
 * when the rating is not finite. */
int aps_elo_set_rating(struct aps_elo *e, int64_t team, double rating) APS_MUST_CHECK;
/* Marks a season boundary: every rating regresses toward the mean before its next use. */
void aps_elo_new_season(struct aps_elo *e);
/* Number of teams with a stored rating. */
size_t aps_elo_count(const struct aps_elo *e);
/* Iterates the stored teams: start with *pos = 0; returns false at the end. The rating given is
 * the current one (as aps_elo_rating()). Order is unspecified. */
bool aps_elo_next(const struct aps_elo *e, size_t *pos, int64_t *team, double *rating);

/* Two-way probability that the home side wins. APS_E_INVAL for the same team twice or an unknown
 * surface. */
int aps_elo_prob(const struct aps_elo *e, const struct aps_elo_game *g,
                 double *p_home) APS_MUST_CHECK;
/* Three-way probabilities p[0] home, p[1] draw, p[2] away, summing to 1. */
int aps_elo_prob3(const struct aps_elo *e, const struct aps_elo_game *g,
                  double p[3]) APS_MUST_CHECK;
/* Feeds a finished game: S = 1, 0.5 or 0 from the scores, ratings move by ±K·m·(S - E). res may
 * be NULL. APS_E_INVAL for the same team twice, negative scores or an unknown surface; nothing
 * changes then. */
int aps_elo_update(struct aps_elo *e, const struct aps_elo_game *g, int home_score, int away_score,
                   struct aps_elo_result *res) APS_MUST_CHECK;

/* aps_elo_update() (no result record) that also gives the game's pre-game probabilities: p[0]
 * as aps_elo_prob() gives it (three_way false), or p[0..2] as aps_elo_prob3() (three_way true),
 * bit for bit what those calls made just before the update return. Each side is looked up once,
 * and two-way the probability and the update share one power of ten. Errors as
 * aps_elo_update(); nothing changes and p is untouched then. */
int aps_elo_prob_update(struct aps_elo *e, const struct aps_elo_game *g, int home_score,
                        int away_score, bool three_way, double p[3]) APS_MUST_CHECK;

/* Surface by name, case-insensitive; -1 when unknown. */
int aps_elo_surface_parse(const char *name);
/* The name of a surface ("hard", "clay", "grass", "carpet"), or NULL for -1 and unknown values:
 * the value aps_elo_game.surface takes. */
const char *aps_elo_surface_name(int surface);

#endif
