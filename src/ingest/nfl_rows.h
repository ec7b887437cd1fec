/* nfl_rows.h — the checks an NFL game row passes in every NFL loader (the sportsbookreview archive
 * and spreadspoke): the season's range, both teams given and different, scores and closing lines
 * within the NFL's ranges. Each loader reads its own layout and hands the values here, so a row is
 * accepted or rejected, with the same reason, whichever file it comes from. The team check is the
 * same for every sport: the other sportsbookreview spreadsheets (load_sbr.c) use it too. */
#ifndef APS_INGEST_NFL_ROWS_H
#define APS_INGEST_NFL_ROWS_H

#include <stdbool.h>
#include <stdint.h>

#include "ingest/batch.h"

/* Checks the results of reading a game's two team names into g->home and g->away (0;
 * APS_E_INVAL when a name is missing; another error when it is unusable) and that the teams
 * differ. Returns NULL, or the reason to reject the row: "missing team", "bad team" or
 * "same teams". */
const char *aps_game_check_teams(const struct aps_game_rec *g, int home_rc, int away_rc);

/* Checks the season (1900-2100; pass 0 when the row's season is not a number) and the results of
 * reading the two team names (aps_game_check_teams()). On success sets g->season and g->sport and returns NULL;
 * otherwise returns the reason to reject the row: "bad season", "missing team", "bad team" or
 * "same teams". */
const char *aps_nfl_check_game(struct aps_game_rec *g, int64_t season, int home_rc, int away_rc);

/* A final score the NFL has room for: 0 to 200 points. */
bool aps_nfl_score_ok(int64_t points);

/* A spread (from either side) no NFL line has gone past: at most 30 points either way, on the
 * quarter-point grid (aps_line_on_grid). */
bool aps_nfl_spread_ok(double line);

/* A game total within the NFL's range: 25 to 80 points, on the quarter-point grid (spreadspoke's
 * "36.6" twice in 1993 is a typing error, counted as "bad line"). */
bool aps_nfl_total_ok(double total);

#endif
