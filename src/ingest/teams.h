/* teams.h — one team is one team: every source's spelling of a team maps to one canonical team
 * per sport.
 *
 * For the professional leagues with fixed membership (NFL, NBA, NHL, MLB, WNBA) the canonical
 * teams are franchises, listed in teams_<sport>.def with every alias the sources use (full names,
 * nicknames, SBR's CamelCase cities, abbreviations, old names after franchise moves); a name that
 * is not listed is unknown and the row is rejected. For open fields (soccer leagues, NCAAB, NCAAF,
 * tennis players) the canonical key is the source name with spacing normalised, and a name is
 * never unknown; a soccer club whose sources spell it differently (football-data's "Man United",
 * ESPN's and TheOddsAPI's "Manchester United") is listed in teams_<league>.def under
 * football-data's spelling, so that every spelling of it is one team; so is a tennis player the
 * history writes with other initials ("Mathieu P." for "Mathieu P.H."), in teams_<tour>.def, and
 * an NCAAB team SBR spells several ways ("ColoradoSt." beside "ColoradoState"), in
 * teams_ncaab.def under its usual spelling.
 * (Spellings that differ only in case, accents, spaces, hyphens, dots or apostrophes need no
 * line: ingest/tennis_players.h makes them one player.) */
#ifndef APS_INGEST_TEAMS_H
#define APS_INGEST_TEAMS_H

#include <stdbool.h>
#include <stddef.h>

#include "core/domain.h"
#include "core/err.h"

struct aps_team_ref {
    char key[96];   /* canonical key, unique per sport: "KC" for NFL, "Man United" for EPL */
    char name[96];  /* display name: "Kansas City Chiefs" */
};

/* True when the sport's teams are a fixed, curated list (unknown names are errors). */
bool aps_teams_curated(enum aps_sport sport);
/* True for an open field whose list names some teams' other spellings (soccer leagues, NCAAB,
 * tennis tours): a listed spelling is its team's key, any other name its own. */
bool aps_teams_listed(enum aps_sport sport);
/* Resolves a source's name (any listed alias, case- and space-insensitive) to its canonical
 * team. APS_E_NOTFOUND for an unlisted name in a curated sport; APS_E_INVAL for an empty name. */
int aps_team_resolve(enum aps_sport sport, const char *source_name,
                     struct aps_team_ref *out) APS_MUST_CHECK;

#endif
