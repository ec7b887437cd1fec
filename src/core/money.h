/* money.h — money as integer minor units. Every amount the platform adds or subtracts (bankroll
 * balances, stakes, payouts, deposits) is an int64_t count of cents (1/100 of the currency
 * unit): sums of cents are exact, where sums of binary doubles drift (0.1 + 0.2 is not 0.3).
 * Decimal text in ("12.34", "1e2") is read into cents without a lossy step; a double out (JSON,
 * the previous release's columns) is cents / 100.0, which prints back as the same two decimals.
 * Amounts in [-APS_MONEY_LIMIT_CENTS, APS_MONEY_LIMIT_CENTS] are in range: every one of them,
 * and every sum of two, is exact as a double and as int64_t. */
#ifndef APS_CORE_MONEY_H
#define APS_CORE_MONEY_H

#include <stdbool.h>
#include <stdint.h>

#include "core/err.h"

/* 10^15 cents, ten trillion units; far above any bound the API accepts. */
#define APS_MONEY_LIMIT_CENTS INT64_C(1000000000000000)

/* Reads decimal text — an optional sign, digits with an optional '.', an optional exponent
 * ("e-3") — into cents. APS_E_PARSE: not such a number; APS_E_INVAL: a non-zero digit below the
 * cent (0.001, 1e-8); APS_E_RANGE: |amount| above APS_MONEY_LIMIT_CENTS. */
int aps_money_parse(const char *text, int64_t *cents) APS_MUST_CHECK;

/* Reads a double that came from decimal text (a JSON number) into cents: the shortest decimal
 * that reads back as the same double (what the sender wrote, for up to 15 significant digits),
 * then aps_money_parse. Errors as aps_money_parse; APS_E_PARSE also for NaN and infinities. */
int aps_money_from_double(double v, int64_t *cents) APS_MUST_CHECK;

/* Rounds an amount computed in floating point (a Kelly stake, a payout at decimal odds) to whole
 * cents, half away from zero, after removing the binary representation error (an amount that is
 * 12.345 in decimal rounds to 12.35 although the double is 12.34499…). `units` is in currency
 * units; aps_money_round_cents takes the amount already in cents. Clamped to the limit. */
int64_t aps_money_round(double units);
int64_t aps_money_round_cents(double cents);

/* cents / 100 as the nearest double (prints as at most two decimals with %.15g). */
double aps_money_to_double(int64_t cents);

/* Writes cents as decimal text with two decimals ("-12.05") into buf; returns buf. */
char *aps_money_format(int64_t cents, char *buf, int cap);

/* The currency codes a bankroll may have: ISO 4217's currency and fund codes (precious metals,
 * SDRs, bond-market units, the testing and the no-currency code left out), as a list of SQL
 * string literals for IN (...). */
#define APS_ISO4217_SQL                                                                    \
    "'AED','AFN','ALL','AMD','ANG','AOA','ARS','AUD','AWG','AZN','BAM','BBD','BDT','BGN'," \
    "'BHD','BIF','BMD','BND','BOB','BOV','BRL','BSD','BTN','BWP','BYN','BZD','CAD','CDF'," \
    "'CHE','CHF','CHW','CLF','CLP','CNY','COP','COU','CRC','CUC','CUP','CVE','CZK','DJF'," \
    "'DKK','DOP','DZD','EGP','ERN','ETB','EUR','FJD','FKP','GBP','GEL','GHS','GIP','GMD'," \
    "'GNF','GTQ','GYD','HKD','HNL','HRK','HTG','HUF','IDR','ILS','INR','IQD','IRR','ISK'," \
    "'JMD','JOD','JPY','KES','KGS','KHR','KMF','KPW','KRW','KWD','KYD','KZT','LAK','LBP'," \
    "'LKR','LRD','LSL','LYD','MAD','MDL','MGA','MKD','MMK','MNT','MOP','MRU','MUR','MVR'," \
    "'MWK','MXN','MXV','MYR','MZN','NAD','NGN','NIO','NOK','NPR','NZD','OMR','PAB','PEN'," \
    "'PGK','PHP','PKR','PLN','PYG','QAR','RON','RSD','RUB','RWF','SAR','SBD','SCR','SDG'," \
    "'SEK','SGD','SHP','SLE','SLL','SOS','SRD','SSP','STN','SVC','SYP','SZL','THB','TJS'," \
    "'TMT','TND','TOP','TRY','TTD','TWD','TZS','UAH','UGX','USD','USN','UYI','UYU','UYW'," \
    "'UZS','VED','VES','VND','VUV','WST','XAF','XCD','XCG','XOF','XPF','YER','ZAR','ZMW'," \
    "'ZWG','ZWL'"
/* True when code is one of APS_ISO4217_SQL's codes (three capital letters, case matters). */
bool aps_currency_is_iso4217(const char *code);

#endif
