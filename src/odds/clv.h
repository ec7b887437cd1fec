/* clv.h — closing-line value, exactly as DESIGN §8 defines it. Positive always means the bet beat
 * the close.
 *
 *   price CLV   = p_close_novig · d_bet − 1   (the bet price against the fair closing price)
 *   spread      = line_bet − line_close       (both lines from the bettor's side: points added to
 *                                              the bettor's score, so −3.5 beats a −4.5 close: +1)
 *   total over  = line_close − line_bet       (over 210.5, close 212.5 → +2)
 *   total under = line_bet − line_close
 * The closing line itself (the benchmark book's last snapshot before the start) is chosen by the
 * caller; these functions only compare. */
#ifndef APS_ODDS_CLV_H
#define APS_ODDS_CLV_H

#include <stddef.h>

#include "core/domain.h"
#include "core/err.h"
#include "odds/margin.h"

/* p_close_novig · d_bet − 1. */
double aps_clv_price(double p_close_novig, double d_bet);
/* Price CLV against a closing market: the no-vig probability of outcome `side` among the n
 * closing decimal prices (method m), times d_bet, minus 1. Errors as aps_margin_remove, and
 * APS_E_INVAL for side >= n or d_bet <= 1. */
int aps_clv_price_market(enum aps_margin_method m, const double *close_dec, size_t n, size_t side,
                         double d_bet, double *out) APS_MUST_CHECK;
/* Spread points: line_bet − line_close (bettor's side). */
double aps_clv_spread(double line_bet, double line_close);
/* Total points: over close − bet, under bet − close; APS_E_INVAL for another selection. */
int aps_clv_total(enum aps_selection sel, double line_bet, double line_close,
                  double *out) APS_MUST_CHECK;
/* Points CLV for a spread (home/away) or total (over/under) bet; APS_E_INVAL for moneyline or a
 * selection outside the market. */
int aps_clv_points(enum aps_market m, enum aps_selection sel, double line_bet, double line_close,
                   double *out) APS_MUST_CHECK;

#endif
