/* dims.h — the dimension rows every write path shares: sports, teams and their aliases,
 * seasons, venues and sportsbooks. The historical loaders (writer.c) and the live collectors
 * (live_store.c) both get their ids here, so each table has one conflict rule:
 *
 *   sports       the compiled sport table (core/domain) is the authority: an existing row takes
 *                its name, provider keys, kind and three_way from it.
 *   teams        one row per (sport, canonical key) from ingest/teams.h; the curated display
 *                name replaces a stored one. A tennis tour: one row per player key
 *                (ingest/tennis_players.h): a spelling whose player key a stored row's key or
 *                alias has is that row ("Carreno-Busta P." is the stored "Carreno Busta P.").
 *   team_aliases one row per (sport, source, spelling). The source is part of the key, so a live
 *                provider's spelling never touches an alias a historical loader recorded, and the
 *                other way round. Within one source the team the spelling resolves to today wins
 *                (a corrected teams_<sport>.def moves the alias; a stale mapping would keep
 *                sending the name to the wrong team). Every distinct spelling is recorded, not
 *                only the first one seen for a team.
 *   seasons      one row per (sport, label); never changed once stored.
 *   venues       one row per name. The first city given is kept (a later source does not move
 *                a stadium); the latest known indoor/outdoor kind wins (a roof can be added);
 *                a caller that knows neither (the historical files) leaves both as they are.
 *   sportsbooks  one row per key; is_sharp/is_aggregate are set when the row is created. The
 *                name is the curated one (ingest/books.h), else the provider's title; a bare key
 *                (no curated name, no title) never replaces a stored name.
 *
 * Ids are cached in the handle. The cache is only right while the rows it names exist: call
 * aps_dims_forget() after a rollback. Open the handle on the connection that writes. */
#ifndef APS_INGEST_DIMS_H
#define APS_INGEST_DIMS_H

#include <stddef.h>
#include <stdint.h>

#include "core/domain.h"
#include "core/err.h"

struct aps_conn;
struct aps_dims;

int aps_dims_open(struct aps_dims **out, struct aps_conn *c) APS_MUST_CHECK;
void aps_dims_close(struct aps_dims *d);
/* Drops every cached id (after a rollback). */
void aps_dims_forget(struct aps_dims *d);
/* How many times this handle has written a row of teams, seasons or venues (the tables games
 * refers to): a count that grows only when a name missed the cache, so a caller can tell that
 * those tables may have new rows since it last looked. */
size_t aps_dims_written(const struct aps_dims *d);

/* The sport's row, created or refreshed from the compiled sport table. */
int aps_dims_sport(struct aps_dims *d, enum aps_sport s, int64_t *id) APS_MUST_CHECK;
/* The canonical team for a source's spelling (ingest/teams.h), recording the spelling as an
 * alias of source. APS_E_NOTFOUND for a name unknown in a curated sport, APS_E_INVAL for an
 * empty name; nothing is written then. */
int aps_dims_team(struct aps_dims *d, enum aps_sport s, const char *source, const char *name,
                  int64_t *id) APS_MUST_CHECK;
/* Tennis: a name without a dot ("Jannik Sinner", a live provider's) is first matched against
 * the tour's stored players written the history's way ("Sinner J."; ingest/tennis_names.h) and
 * is that player when exactly one fits; when none fits it is the stored player of its player key
 * (ingest/tennis_players.h), else a player of its own. When several fit it is not guessed: the
 * name with its candidates is added to aps_dims_ambiguous() ("Name fits \"A.\", \"B.\"",
 * "; "-separated, "" when none) and it is the player of its player key or one of its own. */
const char *aps_dims_ambiguous(const struct aps_dims *d);
int aps_dims_season(struct aps_dims *d, enum aps_sport s, const char *label,
                    int64_t *id) APS_MUST_CHECK;
/* name NULL or "": no venue, *id 0. city NULL or "": not known. indoor: 1, 0, -1 not known. */
int aps_dims_venue(struct aps_dims *d, const char *name, const char *city, int indoor,
                   int64_t *id) APS_MUST_CHECK;
/* Sets venue id's coordinates (degrees; NAN keeps what is stored) and time zone (IANA name and
 * standard-time offset from UTC in minutes; tz NULL or "" keeps what is stored). */
int aps_dims_venue_geo(struct aps_dims *d, int64_t id, double lat, double lon, const char *tz,
                       int utc_offset_min) APS_MUST_CHECK;
/* title: the provider's display name, used when ingest/books.h does not name the book (NULL:
 * none). */
int aps_dims_book(struct aps_dims *d, const char *key, const char *title,
                  int64_t *id) APS_MUST_CHECK;

#endif
