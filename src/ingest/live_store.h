/* live_store.h — the collectors' write path: games seen by live providers, change-only odds
 * snapshots with their movements, closing-line capture, weather and provider bookkeeping.
 *
 * One game is one game across sources: a provider's event is matched first by its own id
 * (external_ids), then by sport and the two teams (either home/away order) with a start within
 * ±30 minutes, or on the same local date when that stored game has no id from this provider
 * yet. Only then is a new game created. ESPN is the schedule's authority: its start time
 * replaces a stored one; an odds provider's start time is only used for games it created, and
 * follows its moved commence time until another source lists the game. A known start moved to
 * another local date moves the game's date by as many days (number after the games the two teams
 * already have on that date); a pick keeps the date it was locked in for (engine/lockin.h).
 *
 * Odds: a quote is stored (phase "live", recorded_at = the book's last_update or now) only when
 * its price or line differs from the latest live snapshot of the same game, book, market and
 * selection; a change also writes an odds_movements row. Running the same poll twice stores
 * nothing the second time.
 *
 * Usage: begin a transaction, aps_live_open(), any number of calls, aps_live_close(), commit.
 * The handle caches ids and must not outlive the transaction it was opened in. */
#ifndef APS_INGEST_LIVE_STORE_H
#define APS_INGEST_LIVE_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/domain.h"
#include "core/err.h"

struct aps_conn;
struct aps_live;
struct aps_weather_obs;

struct aps_live_game {
    enum aps_sport sport;
    const char *provider;       /* "theoddsapi", "espn" */
    const char *external_id;
    const char *home, *away;    /* as the provider spells them */
    int64_t start;              /* UTC seconds */
    bool schedule_authority;    /* the provider's start time replaces a stored one (ESPN) */
    int status;                 /* enum aps_game_status, or -1 when the provider does not say */
    int home_score, away_score; /* -1 when not given */
    const char *venue;          /* NULL or "" when not given */
    const char *venue_city;     /* "Landover, MD" */
    int indoor;                 /* 1, 0, -1 unknown */
    bool postseason;            /* the provider says it is a playoff game (ESPN's season type):
                                   the game is marked so; false says nothing */
};

struct aps_live_ref {
    int64_t game_id;
    bool swapped; /* the stored game has home and away the other way round */
    bool created; /* this call created the game */
    bool changed; /* this call changed a stored game's status, start, scores or venue */
};

struct aps_live_quote {
    const char *book;           /* provider key: "pinnacle" */
    const char *book_title;     /* "Pinnacle"; NULL: the key */
    enum aps_market market;
    enum aps_selection sel;     /* from the provider's home/away point of view */
    double line;                /* NAN for moneyline */
    double price;               /* decimal */
    int64_t recorded_at;        /* the book's last_update; 0: now */
};

struct aps_live_counts {
    size_t inserted;   /* new snapshots */
    size_t unchanged;  /* quotes equal to the latest snapshot */
    size_t movements;  /* odds_movements rows */
};

int aps_live_open(struct aps_live **out, struct aps_conn *c) APS_MUST_CHECK;
void aps_live_close(struct aps_live *l);
/* The connection's last error text. */
const char *aps_live_errmsg(const struct aps_live *l);
/* Tennis names this handle kept as new players because several of the tour's history players
 * fit them (ingest/dims.h aps_dims_ambiguous): "" when none. */
const char *aps_live_ambiguous(const struct aps_live *l);

/* Matches or creates the game and records the provider's id, status, scores and venue.
 * APS_E_NOTFOUND when a team is unknown in a curated sport; APS_E_INVAL for the same team twice
 * or an empty name. */
int aps_live_game(struct aps_live *l, const struct aps_live_game *g, int64_t now,
                  struct aps_live_ref *out) APS_MUST_CHECK;

/* Stores q for game g when it changed (see above); counts into cnt. */
int aps_live_quote(struct aps_live *l, const struct aps_live_ref *g, const struct aps_live_quote *q,
                   int64_t now, struct aps_live_counts *cnt) APS_MUST_CHECK;

/* Writes the game's weather row: a reading, or a dome row (w NULL) with no readings. */
int aps_live_weather(struct aps_live *l, int64_t game_id, const struct aps_weather_obs *w,
                     int64_t now) APS_MUST_CHECK;

/* A game that needs a weather reading. */
struct aps_live_venue_game {
    int64_t game_id, start;
    char place[128];    /* "Landover,MD,US" for the q= form */
    double lat, lon;    /* NAN when unknown */
    int indoor;         /* 1, 0, -1 */
};
/* Scheduled games of sport starting within lead_s after now whose weather row is missing or
 * older than an hour. *out: a new array (aps_free). */
int aps_live_weather_due(struct aps_conn *c, enum aps_sport sport, int64_t now, int64_t lead_s,
                         struct aps_live_venue_game **out, size_t *n) APS_MUST_CHECK;

/* For games that started within the last three days (start_time <= now) and are not postponed
 * or cancelled, copies the last live snapshot taken at or before the start into closing_lines,
 * per book, market and selection, with closed_at = the start. A live close that no longer stands
 * (core/domain.h APS_CLOSE_STANDS_SQL: the game's start has moved since, or it is now postponed
 * or cancelled) is removed first, so a game postponed and rescheduled closes again at its new
 * start from the quotes before that start; one never played keeps none. Standing live closes and
 * historical ones are kept. One transaction of its own (c must not be in one). *captured: rows
 * added. */
int aps_live_capture_closing(struct aps_conn *c, int64_t now, int *captured) APS_MUST_CHECK;

/* Provider bookkeeping (provider_status). Quota fields are -1 when unknown. */
struct aps_provider_status {
    int64_t requests_remaining, requests_used, last_cost;
    int64_t last_success_at;    /* 0 when never */
    char last_error[256];
};
/* APS_E_NOTFOUND (and *out zeroed, quota -1) when the provider has no row yet. */
int aps_live_provider_get(struct aps_conn *c, const char *provider,
                          struct aps_provider_status *out) APS_MUST_CHECK;
/* Records one request: quota headers (-1: keep the stored value), success or error text
 * (error NULL: a success at now, clearing the last error). */
int aps_live_provider_put(struct aps_conn *c, const char *provider, int64_t remaining,
                          int64_t used, int64_t last_cost, const char *error,
                          int64_t now) APS_MUST_CHECK;

/* The local calendar date (YYYY-MM-DD) a game starting at start belongs to: North American
 * leagues play in US time zones (UTC−8 gives the right date for every start from 09:00 ET to
 * 22:30 PT); other sports use the UTC date. */
void aps_live_local_date(enum aps_sport s, int64_t start, char *out, size_t cap);
/* The season label the historical loaders use for a local date: "2022-23" for split-year
 * sports (NBA, NHL, NCAAB, soccer; season starting in July or later), "2022" otherwise
 * (January and February NFL/NCAAF games belong to the previous year's season). */
void aps_live_season(enum aps_sport s, const char *date, char *out, size_t cap);

#endif
