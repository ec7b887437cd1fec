/* domain.h — the platform's fixed vocabularies: sports, markets, selections, odds phases and game
 * statuses, each with its canonical lower-case name as stored in the database. */
#ifndef APS_CORE_DOMAIN_H
#define APS_CORE_DOMAIN_H

#include <stdbool.h>

enum aps_sport {
#define APS_SPORT(code, name, odds_key, espn, kind, three_way) APS_SPORT_##code,
#include "core/sports.def"
#undef APS_SPORT
    APS_SPORT__COUNT
};

enum aps_sport_kind { APS_KIND_TEAM, APS_KIND_TENNIS };

struct aps_sport_info {
    const char *code;     /* "NFL" */
    const char *name;     /* "National Football League" */
    const char *odds_key; /* TheOddsAPI sport key (prefix for tennis) */
    const char *espn;     /* ESPN site API path "football/nfl" */
    enum aps_sport_kind kind;
    bool three_way;
};

const struct aps_sport_info *aps_sport_info(enum aps_sport s);
/* Sport by code, case-insensitive; -1 when unknown. */
int aps_sport_from_code(const char *code);

enum aps_market { APS_MKT_MONEYLINE, APS_MKT_SPREAD, APS_MKT_TOTAL, APS_MKT__COUNT };
enum aps_selection { APS_SEL_HOME, APS_SEL_AWAY, APS_SEL_DRAW, APS_SEL_OVER, APS_SEL_UNDER, APS_SEL__COUNT };
/* open: first line the source gives; pre: a pre-match price with no time (football-data's main
 * columns); close: the source's closing line; live: a timed snapshot from a collector. */
enum aps_phase { APS_PHASE_OPEN, APS_PHASE_PRE, APS_PHASE_CLOSE, APS_PHASE_LIVE, APS_PHASE__COUNT };
enum aps_game_status {
    APS_GS_SCHEDULED, APS_GS_IN_PROGRESS, APS_GS_FINAL, APS_GS_POSTPONED, APS_GS_CANCELLED,
    APS_GS__COUNT
};

/* The closing line of a game is the last quote before the start it is played at. A live close
 * (closing_lines.source 'live', captured by ingest/live_store.h at the game's start_time, which
 * it records as closed_at) stands only while closed_at is still the game's start_time and the
 * game is not postponed or cancelled: ESPN moves a postponed game's start when it reschedules
 * it, and the game closes again at its new start; a postponed or cancelled game has not started
 * and has no close. An imported close (any other source) always stands. SQL conditions over a
 * games row g and a closing_lines row cl, each argument a string literal naming the table or
 * its alias; every reader of closing lines and the capture apply them. */
#define APS_CLOSE_PLAYED_SQL(g) "(" g ".status NOT IN ('postponed', 'cancelled'))"
#define APS_CLOSE_STANDS_SQL(cl, g)                      \
    "(" cl ".source <> 'live' OR (" cl ".closed_at = " g \
    ".start_time AND " APS_CLOSE_PLAYED_SQL(g) "))"

const char *aps_market_name(enum aps_market m);       /* "moneyline", "spread", "total" */
const char *aps_selection_name(enum aps_selection s); /* "home", "away", "draw", "over", "under" */
const char *aps_phase_name(enum aps_phase p);         /* "open", "pre", "close", "live" */
const char *aps_status_name(enum aps_game_status s);  /* "scheduled", "in_progress", "final", ... */
int aps_market_parse(const char *s);    /* -1 when unknown */
int aps_selection_parse(const char *s); /* -1 when unknown */
int aps_phase_parse(const char *s);
int aps_status_parse(const char *s);

/* The sides of a market, the one definition every module uses: moneyline home, away (home,
 * draw, away when the sport has a draw), spread home, away, total over, under. Fills out in that
 * order and returns how many (2 or 3). */
int aps_market_sides(enum aps_market m, bool three_way, enum aps_selection out[3]);
/* The index of sel among aps_market_sides(m, three_way), or -1 when it is not a side of it. */
int aps_market_side_index(enum aps_market m, bool three_way, enum aps_selection sel);

#endif
