/* american.h — small helpers for sources that quote American odds (sportsbookreview, spreadspoke).
 *
 * An American price A says how much a 100 stake wins (A >= +100) or how much must be staked to win
 * 100 (A <= -100); |A| < 100 is not a price. These helpers turn the strings such files hold into
 * decimal prices and lines, telling apart "no value given" (a missing cell, "NL" for no line, "-")
 * from a value that is present but wrong, because loaders count the second kind as a reject. */
#ifndef APS_INGEST_AMERICAN_H
#define APS_INGEST_AMERICAN_H

#include <stdbool.h>

#include "core/err.h"

/* The largest |A| accepted. Real college basketball lines reach 10000-30000; past 20000 the
 * decimal price (about 1.005) says nothing a model can use and is more often a typing error. */
#define APS_AMERICAN_MAX 20000.0

/* The conventional -110 price (decimal 1.909...) that SBR and spreadspoke imply for spreads and
 * totals but do not print. Odds stored with it carry a convention, not a quoted price. */
#define APS_AMERICAN_STD_PRICE (1.0 + 100.0 / 110.0)

/* True for a cell that holds no value: NULL, blank, "NL"/"nl" (no line) or "-". */
bool aps_american_missing(const char *s);

/* Decimal price for an American number, or NAN when |a| < 100 or |a| > APS_AMERICAN_MAX. */
double aps_american_to_decimal(double a);

/* Parses an American price cell into a decimal price. A missing cell gives 0 with *price NAN.
 * APS_E_PARSE when the cell is not a number, APS_E_RANGE when |A| is out of range; *price is NAN
 * then too. */
int aps_american_price(const char *s, double *price) APS_MUST_CHECK;

/* Parses a line cell (spread or total): "pk"/"PK" is 0 (pick'em), a missing cell gives 0 with
 * *line NAN, a number on the quarter-point grid gives itself (batch.h aps_line_on_grid).
 * APS_E_RANGE for a number off that grid, APS_E_PARSE for anything else (*line NAN for both). */
int aps_american_line(const char *s, double *line) APS_MUST_CHECK;

/* SBR's fused cell: a half-point line run together with its price, "2.5115" for 2.5 at -115.
 * Reads digits, ".5", then exactly three digits of a price from 100 to 999 (a favourite's price,
 * so negative): 0 with *line and the decimal *price. APS_E_PARSE (both NAN) for anything else. */
int aps_american_fused(const char *s, double *line, double *price) APS_MUST_CHECK;

#endif
