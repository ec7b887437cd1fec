/* theoddsapi.h — TheOddsAPI v4: request URLs, the quota rule, and parsers for /v4/sports,
 * /v4/sports/{sport}/odds and /v4/sports/{sport}/scores (reference §4.2).
 *
 * The parsers turn a response body into a feed: events (the provider's id, the teams as the
 * provider spells them, commence time, scores when given) and price quotes per bookmaker, market
 * and selection (decimal price, line). Team names are resolved later by the live store; quotes
 * the platform cannot place (an unknown market such as h2h_lay, an outcome that names neither
 * team, a price out of range) are counted, never stored, and so is an event without an id, teams
 * or commence time. The parsers do no I/O. */
#ifndef APS_INGEST_THEODDSAPI_H
#define APS_INGEST_THEODDSAPI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/domain.h"
#include "core/err.h"
#include "ingest/batch.h"

struct aps_buf;

enum aps_odds_format { APS_ODDS_AMERICAN, APS_ODDS_DECIMAL };

struct aps_odds_event {
    char id[64];
    enum aps_sport sport;
    char home[APS_NAME_MAX], away[APS_NAME_MAX];
    int64_t commence;           /* UTC seconds */
    bool completed;             /* scores feed */
    bool has_scores;            /* scores feed: scores were given (the game has started) */
    int home_score, away_score; /* -1 when not given */
    int64_t last_update;        /* scores feed; 0 when not given */
};

struct aps_odds_quote {
    size_t event;               /* index into the feed's events */
    char book[APS_BOOK_MAX];    /* the provider's bookmaker key: "pinnacle", "draftkings" */
    char book_title[64];
    int64_t recorded_at;        /* the market's last_update, else the bookmaker's; 0 if neither */
    enum aps_market market;
    enum aps_selection sel;
    double line;                /* the selection's own spread, the total; NAN for moneyline */
    double price;               /* decimal odds > 1 */
};

struct aps_odds_feed {
    struct aps_odds_event *events;
    size_t nevents, capevents;
    struct aps_odds_quote *quotes;
    size_t nquotes, capquotes;
    size_t skipped_events;      /* events of a sport the platform does not cover */
    size_t skipped_quotes;      /* outcomes not understood or with an invalid price */
    size_t bad_events;          /* events without an id, teams or commence time: not read */
    char bad_event[160];        /* the first of them: "event 3 of the answer has no id" */
};

/* A zeroed feed is empty; cleanup frees and zeroes it. */
void aps_odds_feed_cleanup(struct aps_odds_feed *f);

struct aps_odds_sport {
    char key[64];
    char title[64];
    bool active, has_outrights;
    int sport;                  /* enum aps_sport, or -1 when the platform does not cover it */
};

/* The platform sport of a TheOddsAPI sport key ("basketball_nba" → NBA, "tennis_atp_french_open"
 * → ATP), or -1. */
int aps_theoddsapi_sport(const char *sport_key);

/* Parses a /v4/sports answer into a new array (free with aps_free). */
int aps_theoddsapi_parse_sports(const char *json, size_t len, struct aps_odds_sport **out,
                                size_t *n, char *err, size_t errcap) APS_MUST_CHECK;
/* Parses a /v4/sports/{sport}/odds answer (prices in fmt) and appends to feed. An event without
 * an id, teams or commence time is left out and counted in bad_events, the others are read;
 * APS_E_PARSE when the body is not the documented shape (not a JSON array, or no event has
 * them). */
int aps_theoddsapi_parse_odds(const char *json, size_t len, enum aps_odds_format fmt,
                              struct aps_odds_feed *feed, char *err,
                              size_t errcap) APS_MUST_CHECK;
/* Parses a /v4/sports/{sport}/scores answer (ScoreEvent[]: scores null before the game, score
 * values as strings) and appends events to feed; bad events and errors as for the odds. */
int aps_theoddsapi_parse_scores(const char *json, size_t len, struct aps_odds_feed *feed,
                                char *err, size_t errcap) APS_MUST_CHECK;

/* Credits a live odds call costs: markets × regions (comma lists). */
int64_t aps_theoddsapi_cost(const char *markets, const char *regions);
/* True when a call costing cost credits fits: within what the provider says remains (remaining,
 * -1 unknown) and within the configured budget given what was used (used, -1 unknown). */
bool aps_theoddsapi_budget_ok(int64_t remaining, int64_t used, int64_t budget, int64_t cost);

/* Request URLs; the key is appended as apiKey (never log the result; redact it first). */
/* Keeps, in order at the front of v, the entries of sport that are active (a tennis tour's
 * tournaments then in play, each its own key: tennis_atp_us_open); returns how many. */
size_t aps_theoddsapi_keep_active(struct aps_odds_sport *v, size_t n, enum aps_sport sport);

void aps_theoddsapi_sports_url(struct aps_buf *url, const char *base, const char *key);
void aps_theoddsapi_odds_url(struct aps_buf *url, const char *base, const char *sport_key,
                             const char *key, const char *regions, const char *markets,
                             enum aps_odds_format fmt);
void aps_theoddsapi_scores_url(struct aps_buf *url, const char *base, const char *sport_key,
                               const char *key, int days_from);

#endif
