/* standings.h — a sport's teams ranked by Elo before a day, and one team's ratings game by game.
 *
 * Both replay the sport's stored games with its stored Elo parameters (the defaults until `aps
 * elo fit` stored some), through the same walk as `aps elo ratings` and the picks' features
 * (model/elo_replay.h), so a rating here is the rating a pick made before the day read. A
 * team's rating is the one after its last finished game before the day; the regression of a
 * new season is applied when that season's first game is entered, so it shows only once the
 * season has started. Read-only: nothing here writes. */
#ifndef APS_ENGINE_STANDINGS_H
#define APS_ENGINE_STANDINGS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/domain.h"
#include "core/err.h"

struct aps_conn;

/* The span of a standing's recent change, in games. */
#define APS_STANDINGS_RECENT 10

struct aps_standing {
    int64_t team_id;
    double rating;           /* after its last finished game before the day */
    double change;           /* rating minus its rating before its last `recent` games */
    int recent;              /* games the change spans: APS_STANDINGS_RECENT, or fewer */
    int wins, losses, draws; /* its finished regular-season games in the season shown (all:
                                  every season) */
    int playoff_wins, playoff_losses, playoff_draws; /* and its playoff games */
    char last_date[11];                              /* its last finished game before the day */
};

struct aps_standings {
    enum aps_sport sport;
    char season[16];            /* the season shown; "all" for every rated team */
    char as_of[11];             /* the last finished game counted; "" when none */
    bool fitted;                /* the sport's fitted parameters (else its defaults) */
    struct aps_standing *teams; /* best rating first (ties: lower team id first) */
    size_t nteams;
    char (*seasons)[16]; /* every season with a finished game before the day, newest first */
    size_t nseasons;
};

/* The standings of season before day `before` (YYYY-MM-DD, NULL: after the last stored game):
 * the teams that finished a game in the season, each with its current rating and its record in
 * the season. season NULL is the season of the last finished game before the day; "all" lists
 * every team rated by then with its record over every season. APS_E_NOTFOUND when the season
 * names none with a finished game before the day (out->seasons still lists them). Cleanup is
 * safe on a zeroed struct and after an error. */
int aps_standings_load(struct aps_conn *c, enum aps_sport sport, const char *before,
                       const char *season, struct aps_standings *out) APS_MUST_CHECK;
void aps_standings_cleanup(struct aps_standings *s);

/* One finished game of a team, as its rating moved. */
struct aps_team_game {
    int64_t game_id, opponent;
    char date[11], season[16];
    bool home; /* the home side (team 1 in tennis) */
    int score_for, score_against;
    double rating_before, rating_after;
    double opponent_before; /* the opponent's rating before the game */
};

/* Team's last `max` finished games before day `before` (NULL: all stored), oldest first, in
 * *games (caller frees with aps_free) and their number in *n, with its rating after them in
 * *rating (the rating a new team starts from when it has none). */
int aps_team_ratings(struct aps_conn *c, enum aps_sport sport, int64_t team, const char *before,
                     size_t max, struct aps_team_game **games, size_t *n, double *rating,
                     bool *fitted) APS_MUST_CHECK;

#endif
