/* grade.h — settling a bet against a final score (platform-spec §3.13) and its profit or loss.
 *
 * Rules:
 *   moneyline  two-way: the side that scored more wins; a tie is a push. Three-way
 *              (home/draw/away, soccer): a tie wins "draw" and loses both sides.
 *   spread     each side carries its own line (points added to that side's score):
 *              adj = own_margin + line; > 0 win, < 0 loss, = 0 push.
 *   total      over wins if total > line, under if total < line, equal is a push.
 *   cancelled or postponed game: void.
 * Lines must be multiples of 0.25; the grading works in integer quarter-points, so there is no
 * epsilon anywhere. A quarter line (Asian handicap −0.25, 2.75, …) splits the stake over the two
 * neighbouring half-point lines (−0.25 = half on 0, half on −0.5), giving WIN, HALF_WIN, PUSH,
 * HALF_LOSS or LOSS. */
#ifndef APS_ODDS_GRADE_H
#define APS_ODDS_GRADE_H

#include <stdbool.h>

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

/* Grades pick against score into *out. Errors (and *out untouched): APS_E_INVAL for a selection
 * that does not belong to the market (draw in a two-way moneyline, over on a spread, …) or a
 * spread/total line that is not a finite multiple of 0.25; APS_E_STATE when the game is not over
 * (scheduled, in progress) or a final game has a negative (unknown) score. */
int aps_grade_bet(const struct aps_grade_pick *pick, const struct aps_grade_score *score,
                  enum aps_grade_result *out) APS_MUST_CHECK;

/* Profit or loss of stake at decimal price dec: win stake·(d − 1), loss −stake, push and void 0,
 * half win stake·(d − 1)/2, half loss −stake/2. */
double aps_grade_profit(enum aps_grade_result r, double stake, double dec);

#endif
