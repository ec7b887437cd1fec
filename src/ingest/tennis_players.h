/* tennis_players.h — one tennis player, one row: every spelling a source gives a player of a tour
 * lands on the same row of teams, so the player has one history and one Elo chain.
 *
 * A player's key (aps_tennis_player_key) is the spelling resolved by ingest/teams.h (the tours'
 * lists, teams_atp.def and teams_wta.def, name the few players tennis-data.co.uk writes with
 * other initials: "Mathieu P." beside "Mathieu P.H.") and then folded as ingest/tennis_names.h
 * says (case, accents, white space, hyphens, dots and apostrophes: "Carreno-Busta P." is
 * "Carreno Busta P."). ingest/dims.c stores a tour's first spelling of a key as the player's row
 * and every later spelling as an alias of it.
 *
 * A store can already hold one player as several rows: rows stored before the rule, a spelling
 * a tour's list names later, or a live provider's full name ("Pablo Carreño Busta") stored as a
 * player of its own while no history player, or several, fitted it. aps_tennis_players_merge()
 * puts them together; ingest runs it for a tour before it stores each of the tour's files, so a
 * spelling that now resolves to another row finds its stored games there. Its rule:
 *
 *   group   rows with the same key; a full name (no dot) that exactly one history player fits
 *           (aps_tennis_name_fits) is in that player's group.
 *   kept    the row whose games carry locked-in picks: a pick's lock-in hash covers the players'
 *           names as stored (engine/lockin.h), so only that row may keep its games' names; when
 *           no row has picks, the first row written the history's way ("Surname I."), one whose
 *           spelling a tour's list names as the key before one it names as an alias; else the
 *           first row.
 *   apart   a group with picks on two of its rows is left as it is; so is a row that played on a
 *           day another row of its group played (against it or in another match): one player
 *           does not play under two names on one day, so these are more likely two players.
 *   merged  the row's games, forecasts, Elo history and aliases move to the kept row and the
 *           row is deleted. The stored Elo history holds the two chains' numbers until
 *           `aps elo fit` replays the tour as one chain.
 *
 * The same merge puts together an NCAAB team's rows (teams_ncaab.def): a row's group is the team
 * its stored spelling resolves to, the row kept is the one stored under the team's key (else the
 * first, which then takes the key), and a row with locked-in picks under another spelling leaves
 * its group apart, as a pick's hash covers the name. A lone row stored under another spelling
 * takes the key the same way.
 *
 * Migration 022_tennis_players.sql merged the rows stores had then, by the folding rule alone
 * (ASCII letters only: SQL has no accent folding), keeping and leaving apart rows as above. */
#ifndef APS_INGEST_TENNIS_PLAYERS_H
#define APS_INGEST_TENNIS_PLAYERS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/domain.h"
#include "core/err.h"

struct aps_conn;

/* Bytes of a player key, with its NUL. */
#define APS_TENNIS_KEY_MAX 128

/* Writes the player key of a tour's spelling to out (APS_TENNIS_KEY_MAX bytes). False when the
 * spelling has none (empty, or too long to fold). */
bool aps_tennis_player_key(enum aps_sport s, const char *name, char out[APS_TENNIS_KEY_MAX]);

struct aps_tennis_merge {
    size_t merged;   /* rows merged into another and deleted */
    char apart[512]; /* groups or rows left apart and why, "; "-separated; "" when none */
};

/* Merges the stored players of tour s (its sports row sport_id) by the rule above, in the
 * caller's transaction. On an error the caller rolls back: rows may be half moved. */
int aps_tennis_players_merge(struct aps_conn *c, enum aps_sport s, int64_t sport_id,
                             struct aps_tennis_merge *out) APS_MUST_CHECK;

#endif
