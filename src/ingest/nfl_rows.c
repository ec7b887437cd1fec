/* nfl_rows.c — the NFL game-row checks the NFL loaders share; see nfl_rows.h. */
#include "ingest/nfl_rows.h"

#include <math.h>
#include <string.h>

#include "core/str.h"

#define NFL_SEASON_MIN 1900
#define NFL_SEASON_MAX 2100
#define NFL_SCORE_MAX 200
#define NFL_SPREAD_MAX 30.0 /* the largest NFL spreads on record are about 27 points */
#define NFL_TOTAL_MIN 25.0
#define NFL_TOTAL_MAX 80.0

const char *aps_game_check_teams(const struct aps_game_rec *g, int home_rc, int away_rc)
{
    if (home_rc == APS_E_INVAL || away_rc == APS_E_INVAL)
        return "missing team";
    if (home_rc || away_rc)
        return "bad team";
    if (!strcmp(g->home, g->away))
        return "same teams";
    return NULL;
}

const char *aps_nfl_check_game(struct aps_game_rec *g, int64_t season, int home_rc, int away_rc)
{
    if (season < NFL_SEASON_MIN || season > NFL_SEASON_MAX)
        return "bad season";
    if (aps_str_fmt(g->season, sizeof g->season, "%d", (int)season))
        return "bad season";
    const char *why = aps_game_check_teams(g, home_rc, away_rc);
    if (why)
        return why;
    g->sport = APS_SPORT_NFL;
    return NULL;
}

bool aps_nfl_score_ok(int64_t points)
{
    return points >= 0 && points <= NFL_SCORE_MAX;
}

bool aps_nfl_spread_ok(double line)
{
    return !(fabs(line) > NFL_SPREAD_MAX) && aps_line_on_grid(line);
}

bool aps_nfl_total_ok(double total)
{
    return !(total < NFL_TOTAL_MIN || total > NFL_TOTAL_MAX) && aps_line_on_grid(total);
}
