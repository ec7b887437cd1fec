/* espn.h — the ESPN site API scoreboard (reference §4.3): schedules, live status and final
 * scores, parsed into events the live store matches to games.
 *
 * URL: {ESPN_API_BASE_URL}/{sport}/{league}/scoreboard[?dates=YYYYMMDD]. Ids are strings, dates
 * look like "2022-11-20T18:00Z". Status names map as reference §2.3 says for the names it
 * lists; the soccer leagues' own names (a game over at STATUS_FULL_TIME) are read from the
 * status's state and completed flag (aps_espn_status). The odds `details` ("WSH -5.5") carry no price and are not stored. */
#ifndef APS_INGEST_ESPN_H
#define APS_INGEST_ESPN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/domain.h"
#include "core/err.h"
#include "ingest/batch.h"

struct aps_buf;

struct aps_espn_event {
    char id[32];
    char home[APS_NAME_MAX], away[APS_NAME_MAX];   /* team displayName */
    char home_abbr[16], away_abbr[16];
    int64_t start;                                  /* UTC seconds */
    enum aps_game_status status;
    char status_name[32];                           /* "STATUS_IN_PROGRESS" as given */
    int home_score, away_score;                     /* -1 before the game */
    int period;
    bool neutral;
    char venue[APS_NAME_MAX];                       /* "" when not given */
    char venue_city[64];                            /* "Landover, MD" */
    int indoor;                                     /* 1, 0, or -1 when not given */
    bool postseason;                                /* season.type 3: a postseason game */
};

struct aps_espn_board {
    struct aps_espn_event *events;
    size_t n, cap;
    size_t bad_events;   /* events without an id, a date or a home and an away team: not read */
    char bad_event[160]; /* the first of them: "event 3 of the answer (id 401468411) has no date" */
};

void aps_espn_board_cleanup(struct aps_espn_board *b);

/* A game's status from ESPN's status.type: name ("STATUS_FULL_TIME"), state ("pre", "in",
 * "post"; NULL when absent) and completed (1 true, 0 false, -1 absent). The names vary by sport
 * (soccer ends STATUS_FULL_TIME, STATUS_FINAL_AET or STATUS_FINAL_PEN; American sports
 * STATUS_FINAL), so the phase comes from completed and state: STATUS_POSTPONED and
 * STATUS_SUSPENDED → postponed, STATUS_CANCELED and STATUS_ABANDONED → cancelled; else completed
 * → final, "in" → in_progress, "post" without completed → postponed (over, not played out),
 * "pre" → scheduled. Without state and completed the known names of the phases decide, and
 * anything else is scheduled. */
enum aps_game_status aps_espn_status(const char *name, const char *state, int completed);

/* Parses a scoreboard body and appends its events. An event that cannot be read is left out and
 * counted in bad_events, the first described in bad_event, so that one odd event does not cost
 * the others. APS_E_PARSE when there is no events array. */
int aps_espn_parse_scoreboard(const char *json, size_t len, struct aps_espn_board *out,
                              char *err, size_t errcap) APS_MUST_CHECK;

/* {base}/{espn path of sport}/scoreboard, with ?dates=YYYYMMDD when date (UTC seconds) > 0;
 * a college board asks for the whole division (NCAAF groups=80, NCAAB groups=50, limit=1000),
 * without which ESPN lists only the day's featured games. */
void aps_espn_scoreboard_url(struct aps_buf *url, const char *base, enum aps_sport sport,
                             int64_t date);

#endif
