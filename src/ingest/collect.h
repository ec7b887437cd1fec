/* collect.h — the collector jobs: one function per job (odds, scores, schedule, weather, closing
 * lines, sports list), each joining a provider client (collect_http.h), its parser
 * (theoddsapi.h, espn.h, weather.h) and the live store (live_store.h). The worker's job table
 * and `aps collect` call these; they do not log, they fill a report.
 *
 * Each poll is one transaction: a provider answer is stored whole or not at all. A malformed or
 * truncated answer stores nothing; an event with an unknown team, a TheOddsAPI event without an
 * id, teams or commence time, an ESPN event without an id, a date or a home and an away team, or
 * a game whose place the weather service does not know (404, 400) is rejected alone and counted,
 * and the others are stored.
 * Provider bookkeeping (quota headers, last success, last error) goes to provider_status even
 * when the poll fails. Keys come from the configuration only and never reach the report. */
#ifndef APS_INGEST_COLLECT_H
#define APS_INGEST_COLLECT_H

#include <stddef.h>
#include <stdint.h>

#include "core/domain.h"
#include "core/err.h"

struct aps_config;
struct aps_store;
struct aps_metrics;
struct aps_collect;

struct aps_collector {
    const struct aps_config *cfg;
    struct aps_store *store;
    struct aps_metrics *metrics;   /* may be NULL */
    struct aps_collect *http[3];   /* theoddsapi, espn, weather; made on first use */
    double deadline;               /* the running job's time limit (aps_time_mono s); 0: none */
};

struct aps_collect_report {
    const char *provider;          /* "theoddsapi", "espn", "weather", "store" */
    size_t events;                 /* events in the provider's answer */
    size_t games_created, games_updated; /* updated: known games seen again */
    size_t games_changed;                /* of those, games whose status, start, scores or venue
                                            the answer changed */
    size_t rejected;               /* events refused (unknown team, same team twice, no id,
                                      teams, commence time or date; a weather place unknown) */
    size_t skipped_events;         /* TheOddsAPI events of sports the platform does not cover */
    size_t quotes, inserted, unchanged, movements, skipped_quotes;
    size_t weather_rows, closing_captured;
    size_t tournaments;            /* tennis: the active TheOddsAPI tournaments polled */
    int64_t credits_remaining, credits_used, credits_last; /* -1 when not reported */
    char rejected_names[256];      /* the first refused events and why, comma-separated:
                                      "A @ B (unknown team), event 3 of the answer has no id" */
    char ambiguous[256];           /* tennis names stored as new players because several of
                                      the history's players fit them, with those players:
                                      "Alexander Zverev fits \"Zverev A.\", \"Zverev A.\"" */
    const char *failure;           /* NULL, or the failure class: "http", "parse", "budget",
                                      "config", "db" (also the metric label),
                                      "unsupported" (ESPN and tennis; not counted) */
    char err[512];                 /* one line; URLs redacted, never a key */
};

/* A zeroed struct plus these fields is a valid collector; cleanup frees the clients. */
void aps_collector_init(struct aps_collector *c, const struct aps_config *cfg,
                        struct aps_store *store, struct aps_metrics *metrics);
void aps_collector_cleanup(struct aps_collector *c);

/* TheOddsAPI odds for sport: markets and regions from the configuration, refused (APS_E_BUSY,
 * nothing requested but the free GET /v4/sports, which tells the credits of now when those last
 * reported refuse it) when the cost would exceed the credits left or the budget. A tennis tour
 * has a key per tournament (tennis_atp_us_open): the active ones are read from GET /v4/sports
 * (free) and each is polled (the same for scores). */
int aps_collector_odds(struct aps_collector *c, enum aps_sport sport, int64_t now,
                       struct aps_collect_report *r) APS_MUST_CHECK;
/* TheOddsAPI scores (days_from 0: live and upcoming only, 1 credit; 1–3: also recent finals,
 * 2 credits): status and scores of known games. */
int aps_collector_odds_scores(struct aps_collector *c, enum aps_sport sport, int days_from,
                              int64_t now, struct aps_collect_report *r) APS_MUST_CHECK;
/* ESPN scoreboard: with days 0 the current board (live status, final scores); with days > 0
 * the boards of the next `days` local dates from now (the schedule). A tennis tour is refused
 * (APS_E_UNSUPPORTED, failure "unsupported", nothing requested): ESPN's tennis board lists
 * tournaments with their matches under groupings, not games. */
int aps_collector_espn(struct aps_collector *c, enum aps_sport sport, int days, int64_t now,
                       struct aps_collect_report *r) APS_MUST_CHECK;
/* Weather for the sport's outdoor games starting within WEATHER_LEAD_HOURS. */
int aps_collector_weather(struct aps_collector *c, enum aps_sport sport, int64_t now,
                          struct aps_collect_report *r) APS_MUST_CHECK;
/* Closing lines of games that have started (aps_live_capture_closing). */
int aps_collector_closing(struct aps_collector *c, int64_t now,
                          struct aps_collect_report *r) APS_MUST_CHECK;
/* TheOddsAPI /sports (free): how many sports are active and covered; stores quota headers. */
int aps_collector_sports(struct aps_collector *c, int64_t now, size_t *active, size_t *covered,
                         struct aps_collect_report *r) APS_MUST_CHECK;

#endif
