/* grade.h — settling a bet against a final score (platform-spec §3.13) and its profit or loss.
 *
 * Rules:
 *   moneyline  two-way: the side that scored more wins; a tie is a push. Three-way
 *              (home/draw/away, soccer): a tie wins "draw" and loses both sides.
 *   spread     each side carries its own line (points added to that side's score):
 *              adj = own_margin + line; > 0 win, < 0 loss, = 0 push.
 *   total      over wins if total > line, under if total < line, equal is a push.
 *   cancelled game: void. A postponed game is not over: when its picks and bets are settled,
 *   and when they are void instead, is aps_grade_settle's rule below.
 * Lines must be multiples of 0.25; the grading works in integer quarter-points, so there is no
 * epsilon anywhere. A quarter line (Asian handicap −0.25, 2.75, …) splits the stake over the two
 * neighbouring half-point lines (−0.25 = half on 0, half on −0.5), giving WIN, HALF_WIN, PUSH,
 * HALF_LOSS or LOSS. */
#ifndef APS_ODDS_GRADE_H
#define APS_ODDS_GRADE_H

#include <stdbool.h>
#include <stdint.h>

#include "core/domain.h"
#include "core/err.h"

enum aps_grade_result {
    APS_GRADE_WIN,
    APS_GRADE_LOSS,
    APS_GRADE_PUSH,
    APS_GRADE_VOID,
    APS_GRADE_HALF_WIN,
    APS_GRADE_HALF_LOSS,
    APS_GRADE__COUNT
};

/* What was bet. line: the selection's own spread line or the total; ignored for moneyline. */
struct aps_grade_pick {
    enum aps_market market;
    enum aps_selection sel;
    double line;
    bool three_way; /* moneyline with a draw outcome (1X2) */
};

/* The game's outcome; scores are read only when status is APS_GS_FINAL. */
struct aps_grade_score {
    int home, away;
    enum aps_game_status status;
};

/* "win", "loss", "push", "void", "half_win", "half_loss"; "?" for an unknown value. */
const char *aps_grade_result_name(enum aps_grade_result r);
/* The result for its name; -1 when unknown. */
int aps_grade_result_parse(const char *s);

/* Whether a bet of market at line can end half won or half lost: a spread or total on a quarter
 * line (−0.25, 2.75, …); never a moneyline, nor a whole or half line. */
bool aps_grade_splits(enum aps_market market, double line);

/* Whether pick can be graded: its selection belongs to its market (draw only in a three-way
 * moneyline) and a spread or total line is a finite multiple of 0.25. */
bool aps_grade_pick_valid(const struct aps_grade_pick *pick);

/* Grades pick against score into *out. Errors (and *out untouched): APS_E_INVAL for a selection
 * that does not belong to the market (draw in a two-way moneyline, over on a spread, …) or a
 * spread/total line that is not a finite multiple of 0.25; APS_E_STATE when the game is not over
 * (scheduled, in progress, postponed) or a final game has a negative (unknown) score. */
int aps_grade_bet(const struct aps_grade_pick *pick, const struct aps_grade_score *score,
                  enum aps_grade_result *out) APS_MUST_CHECK;

/* The game as a pick or a bet of it is settled against. */
struct aps_grade_game {
    enum aps_game_status status;
    int home, away;       /* the final score; -1 when unknown */
    int64_t start;        /* the game's start as stored now (ESPN moves it when it reschedules) */
    int64_t booked_start; /* its start when the pick was locked in or the bet placed */
};

/* When a settlement is made, and the grace period of a postponed game (POSTPONED_VOID_HOURS). */
#define APS_GRADE_GRACE_DEFAULT_S (48 * 3600) /* POSTPONED_VOID_HOURS' default, 48 */
struct aps_grade_clock {
    int64_t now;     /* seconds */
    int64_t grace_s; /* >= 0 */
};

/* The one rule for settling a pick or a bet — picks (engine/picks.h) and users' bets
 * (engine/bankroll.h) both apply it — as bookmakers settle a postponed game: on the score only
 * when the game was played within the grace period after the start the pick or bet was made for
 * (booked_start), void when it was not, and void at once when it was cancelled. With
 * deadline = booked_start + grace_s:
 *   cancelled                                     void
 *   final, started by the deadline, with a score  graded on the score (aps_grade_bet)
 *   final, started after the deadline             void
 *   postponed, or moved (any other status) to     void once now >= deadline; waits before
 *   start after the deadline
 *   anything else: scheduled or in progress by    waits
 *   the deadline, postponed before it, final
 *   without its score
 * Result in *out. Errors (and *out untouched): APS_E_STATE while it waits; aps_grade_bet's
 * APS_E_INVAL for a pick that does not belong to its market when it is graded on a score (a void
 * needs no valid pick). */
int aps_grade_settle(const struct aps_grade_pick *pick, const struct aps_grade_game *g,
                     const struct aps_grade_clock *clock,
                     enum aps_grade_result *out) APS_MUST_CHECK;

/* An SQL condition true for every game whose picks or bets aps_grade_settle may settle now —
 * final, cancelled, postponed, or moved from the start a pick or bet was made for (booked, an SQL
 * expression; NULL: not known, taken as the game's start) — over games aliased g. It selects the
 * candidates; aps_grade_settle decides each. */
#define APS_GRADE_CANDIDATE_SQL(booked)                                                    \
    "(g.status IN ('final', 'cancelled', 'postponed') OR g.start_time <> COALESCE(" booked \
    ", g.start_time))"

/* Profit or loss of stake at decimal price dec: win stake·(d − 1), loss −stake, push and void 0,
 * half win stake·(d − 1)/2, half loss −stake/2. */
double aps_grade_profit(enum aps_grade_result r, double stake, double dec);

#endif
