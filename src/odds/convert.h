/* convert.h — odds formats and implied probability (platform-spec §3.1).
 *
 * The platform stores decimal odds; American odds arrive from US feeds and the CLI. Valid American
 * odds have |A| >= 100 (−100 and +100 are both even money, decimal 2.0); valid decimal odds are
 * > 1. Pure functions: no I/O, no state. Results are unrounded (American odds from decimal are not
 * rounded to integers; round for display only). */
#ifndef APS_ODDS_CONVERT_H
#define APS_ODDS_CONVERT_H

#include <stdbool.h>

#include "core/err.h"

bool aps_convert_american_valid(double american); /* finite and |A| >= 100 */
bool aps_convert_decimal_valid(double dec);       /* finite and > 1 */
/* The prices a book quotes, and the ingest keeps: decimal 1.001 to 1001, American -100000 to
 * -100 and +100 to +100000. A user's bet or sizing outside them is a typing error. */
#define APS_DECIMAL_QUOTED_MIN 1.001
#define APS_DECIMAL_QUOTED_MAX 1001.0

/* A > 0: 1 + A/100; A < 0: 1 + 100/|A|. APS_E_INVAL for |A| < 100 or non-finite; *out untouched. */
int aps_convert_american_to_decimal(double american, double *out) APS_MUST_CHECK;
/* d >= 2: +(d − 1)·100; d < 2: −100/(d − 1). APS_E_INVAL for d <= 1 or non-finite. */
int aps_convert_decimal_to_american(double dec, double *out) APS_MUST_CHECK;
/* Implied probability 1/d of a decimal price (margin included). APS_E_INVAL for d <= 1. */
int aps_convert_decimal_to_prob(double dec, double *out) APS_MUST_CHECK;
/* Implied probability of an American price: 100/(A + 100) or |A|/(|A| + 100). */
int aps_convert_american_to_prob(double american, double *out) APS_MUST_CHECK;
/* Fair decimal price 1/p of a probability; APS_E_INVAL unless 0 < p < 1. */
int aps_convert_prob_to_decimal(double p, double *out) APS_MUST_CHECK;

/* The one rounding rule of every number shown with a pick, a best price or a sizing (the
 * precisions a pick is locked in with): probabilities, edges, expected values and stake
 * fractions to 6 decimals, decimal prices to 4, lines and money amounts to 2. NaN stays NaN. */
double aps_round_probability(double v);
double aps_round_price(double v);
double aps_round_line(double v);

#endif
