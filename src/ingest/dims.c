/* dims.c — shared dimension rows (see dims.h for each table's conflict rule). Statements are
 * prepared once per handle; every upsert returns the row's id so one round trip both writes
 * and reads it. A cache key that does not fit its buffer is not cached (a shortened key could
 * name another row): the row is then written on every call. */
#include "ingest/dims.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "core/mem.h"
#include "core/str.h"
#include "core/strmap.h"
#include "ingest/books.h"
#include "ingest/teams.h"
#include "ingest/tennis_names.h"
#include "ingest/tennis_players.h"
#include "store/store.h"

enum {
    ST_SPORT,
    ST_TEAM,
    ST_ALIAS,
    ST_SEASON,
    ST_VENUE,
    ST_VENUE_GEO,
    ST_BOOK,
    ST_PLAYERS,
    ST_SPELLINGS,
    ST__COUNT
};

static const char *const SQL[ST__COUNT] = {
    [ST_SPORT] = "INSERT INTO sports (code, name, odds_api_key, espn_path, kind, three_way)"
                 " VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (code) DO UPDATE SET"
                 " name = excluded.name, odds_api_key = excluded.odds_api_key,"
                 " espn_path = excluded.espn_path, kind = excluded.kind,"
                 " three_way = excluded.three_way RETURNING id",
    [ST_TEAM] = "INSERT INTO teams (sport_id, key, name) VALUES (?1, ?2, ?3)"
                " ON CONFLICT (sport_id, key) DO UPDATE SET name = excluded.name RETURNING id",
    [ST_ALIAS] = "INSERT INTO team_aliases (sport_id, source, alias, team_id)"
                 " VALUES (?1, ?2, ?3, ?4) ON CONFLICT (sport_id, source, alias)"
                 " DO UPDATE SET team_id = excluded.team_id",
    [ST_SEASON] =
        "INSERT INTO seasons (sport_id, label) VALUES (?1, ?2)"
        " ON CONFLICT (sport_id, label) DO UPDATE SET label = excluded.label RETURNING id",
    [ST_VENUE] = "INSERT INTO venues (name, city, kind) VALUES (?1, ?2, ?3) ON CONFLICT (name)"
                 " DO UPDATE SET city = COALESCE(venues.city, excluded.city),"
                 " kind = COALESCE(excluded.kind, venues.kind) RETURNING id",
    [ST_VENUE_GEO] = "UPDATE venues SET latitude = COALESCE(?2, latitude),"
                     " longitude = COALESCE(?3, longitude), timezone = COALESCE(?4, timezone),"
                     " utc_offset_min = COALESCE(?5, utc_offset_min) WHERE id = ?1",
    [ST_BOOK] =
        "INSERT INTO sportsbooks (key, name, is_sharp, is_aggregate) VALUES (?1, ?2, ?3, ?4)"
        " ON CONFLICT (key) DO UPDATE SET name = CASE WHEN excluded.name = excluded.key"
        " THEN sportsbooks.name ELSE excluded.name END RETURNING id",
    [ST_PLAYERS] = "SELECT id, key FROM teams WHERE sport_id = ?1 ORDER BY key",
    [ST_SPELLINGS] = "SELECT id, key FROM teams WHERE sport_id = ?1 UNION ALL"
                     " SELECT team_id, alias FROM team_aliases WHERE sport_id = ?1 ORDER BY 1",
};

struct aps_dims {
    struct aps_conn *conn;
    struct aps_stmt *st[ST__COUNT];
    int64_t sports[APS_SPORT__COUNT]; /* 0: not known yet */
    struct aps_strmap teams;          /* "sport_id|key" → id */
    struct aps_strmap aliases;        /* "sport_id|source|alias" → 1 */
    struct aps_strmap seasons;        /* "sport_id|label" → id */
    struct aps_strmap venues;         /* name → id */
    struct aps_strmap books;          /* key → id */
    struct aps_strmap players;        /* "sport_id|full name" → history's id, 0 none (tennis) */
    struct aps_strmap player_keys;    /* "sport_id|player key" → id (tennis_players.h) */
    bool player_keys_loaded[APS_SPORT__COUNT];
    size_t written;                   /* rows written to teams, seasons and venues */
    char ambiguous[512];              /* full names that fit several players, and which */
};

int aps_dims_open(struct aps_dims **out, struct aps_conn *c)
{
    struct aps_dims *d = aps_calloc(1, sizeof *d);
    d->conn = c;
    for (int i = 0; i < ST__COUNT; i++) {
        int rc = aps_conn_prepare(c, SQL[i], &d->st[i]);
        if (rc) {
            aps_dims_close(d);
            *out = NULL;
            return rc;
        }
    }
    *out = d;
    return 0;
}

void aps_dims_close(struct aps_dims *d)
{
    if (!d)
        return;
    for (int i = 0; i < ST__COUNT; i++)
        aps_stmt_finalize(d->st[i]);
    aps_strmap_cleanup(&d->teams);
    aps_strmap_cleanup(&d->aliases);
    aps_strmap_cleanup(&d->seasons);
    aps_strmap_cleanup(&d->venues);
    aps_strmap_cleanup(&d->books);
    aps_strmap_cleanup(&d->players);
    aps_strmap_cleanup(&d->player_keys);
    aps_free(d);
}

size_t aps_dims_written(const struct aps_dims *d)
{
    return d->written;
}

void aps_dims_forget(struct aps_dims *d)
{
    memset(d->sports, 0, sizeof d->sports);
    aps_strmap_clear(&d->teams);
    aps_strmap_clear(&d->aliases);
    aps_strmap_clear(&d->seasons);
    aps_strmap_clear(&d->venues);
    aps_strmap_clear(&d->books);
    aps_strmap_clear(&d->players);
    aps_strmap_clear(&d->player_keys);
    memset(d->player_keys_loaded, 0, sizeof d->player_keys_loaded);
}

const char *aps_dims_ambiguous(const struct aps_dims *d)
{
    return d->ambiguous;
}

/* Runs a bound statement to the end; with id, reads column 0 of its first row (a RETURNING id
 * that yields no row is an error). The statement is reset either way. */
static int run(struct aps_stmt *st, int64_t *id)
{
    int rc = aps_stmt_step(st);
    if (rc == APS_ROW && id)
        *id = aps_stmt_int64(st, 0);
    else if (rc == APS_DONE && id)
        rc = APS_E_DB;
    while (rc == APS_ROW)
        rc = aps_stmt_step(st);
    aps_stmt_reset(st);
    return rc < 0 ? rc : 0;
}

int aps_dims_sport(struct aps_dims *d, enum aps_sport s, int64_t *id)
{
    if (d->sports[s]) {
        *id = d->sports[s];
        return 0;
    }
    const struct aps_sport_info *si = aps_sport_info(s);
    int rc = aps_stmt_bindf(d->st[ST_SPORT], "sssssb", si->code, si->name, si->odds_key,
                            si->espn, si->kind == APS_KIND_TENNIS ? "tennis" : "team",
                            si->three_way);
    if (!rc)
        rc = run(d->st[ST_SPORT], id);
    if (!rc)
        d->sports[s] = *id;
    return rc;
}

static int alias(struct aps_dims *d, int64_t sid, const char *source, const char *name,
                 int64_t team)
{
    char key[512];
    bool keyed = !aps_str_fmt(key, sizeof key, "%" PRId64 "|%s|%s", sid, source, name);
    int64_t seen;
    if (keyed && aps_strmap_get(&d->aliases, key, &seen))
        return 0;
    int rc = aps_stmt_bindf(d->st[ST_ALIAS], "issi", sid, source, name, team);
    if (!rc)
        rc = run(d->st[ST_ALIAS], NULL);
    if (!rc && keyed)
        aps_strmap_put(&d->aliases, key, 1);
    return rc;
}

static void note_ambiguous(struct aps_dims *d, const char *name, const char *cands)
{
    size_t n = strlen(d->ambiguous);
    snprintf(d->ambiguous + n, sizeof d->ambiguous - n, "%s%s fits %s", n ? "; " : "", name, cands);
}

/* The one stored player of the tour whose history name ("Sinner J.") a provider's full name
 * ("Jannik Sinner") fits (ingest/tennis_names.h); *id 0 when none does, or when several do
 * (noted in d->ambiguous, once per handle and name: the name then stays a player of its own). */
static int tennis_history_player(struct aps_dims *d, int64_t sid, const char *name, int64_t *id)
{
    char key[256];
    bool keyed = !aps_str_fmt(key, sizeof key, "%" PRId64 "|%s", sid, name);
    if (keyed && aps_strmap_get(&d->players, key, id))
        return 0;
    *id = 0;
    struct aps_stmt *st = d->st[ST_PLAYERS];
    int rc = aps_stmt_bindf(st, "i", sid);
    size_t fits = 0;
    char cands[256] = "";
    while (!rc && (rc = aps_stmt_step(st)) == APS_ROW) {
        rc = 0;
        const char *hist = aps_stmt_text(st, 1);
        if (!hist || !aps_tennis_name_fits(name, hist))
            continue;
        size_t n = strlen(cands);
        snprintf(cands + n, sizeof cands - n, "%s\"%s\"", fits ? ", " : "", hist);
        if (!fits++)
            *id = aps_stmt_int64(st, 0);
    }
    aps_stmt_reset(st);
    if (rc < 0)
        return rc;
    if (fits > 1) {
        *id = 0;
        note_ambiguous(d, name, cands);
    }
    if (keyed)
        aps_strmap_put(&d->players, key, *id);
    return 0;
}

/* "sport_id|player key" of a tour's spelling into out; false when it has no player key. */
static bool player_key(enum aps_sport s, int64_t sid, const char *name, char *out, size_t cap)
{
    char k[APS_TENNIS_KEY_MAX];
    return aps_tennis_player_key(s, name, k) && !aps_str_fmt(out, cap, "%" PRId64 "|%s", sid, k);
}

/* Every stored spelling of the tour's players (row keys and aliases) by player key, once per
 * handle; a key that two rows share (a store whose rows are not merged yet) names the lower id. */
static int load_player_keys(struct aps_dims *d, enum aps_sport s, int64_t sid)
{
    struct aps_stmt *st = d->st[ST_SPELLINGS];
    int rc = aps_stmt_bindf(st, "i", sid);
    while (!rc && (rc = aps_stmt_step(st)) == APS_ROW) {
        char key[APS_TENNIS_KEY_MAX + 32];
        int64_t seen;
        rc = 0;
        const char *name = aps_stmt_text(st, 1);
        if (name && player_key(s, sid, name, key, sizeof key) &&
            !aps_strmap_get(&d->player_keys, key, &seen))
            aps_strmap_put(&d->player_keys, key, aps_stmt_int64(st, 0));
    }
    aps_stmt_reset(st);
    if (rc >= 0)
        d->player_keys_loaded[s] = true;
    return rc < 0 ? rc : 0;
}

/* The tour's stored player whose player key the resolved name has (tennis_players.h), *id 0 when
 * none; a player key not known yet is recorded for id new_id when that is not 0. */
static int tennis_same_player(struct aps_dims *d, enum aps_sport s, int64_t sid, const char *name,
                              int64_t new_id, int64_t *id)
{
    char key[APS_TENNIS_KEY_MAX + 32];
    *id = 0;
    if (!player_key(s, sid, name, key, sizeof key))
        return 0;
    int rc = d->player_keys_loaded[s] ? 0 : load_player_keys(d, s, sid);
    if (!rc && !aps_strmap_get(&d->player_keys, key, id) && new_id)
        aps_strmap_put(&d->player_keys, key, new_id);
    return rc;
}

/* A tennis player: a full name from a live provider is the history's "Surname I." player when
 * exactly one stored player of the tour fits; any name is the stored player of its player key.
 * *id 0 when neither: the name is a new player. */
static int tennis_player(struct aps_dims *d, enum aps_sport s, int64_t sid, const char *name,
                         int64_t *id)
{
    int rc = 0;
    *id = 0;
    if (!strchr(name, '.'))
        rc = tennis_history_player(d, sid, name, id);
    if (!rc && !*id)
        rc = tennis_same_player(d, s, sid, name, 0, id);
    return rc;
}

int aps_dims_team(struct aps_dims *d, enum aps_sport s, const char *source, const char *name,
                  int64_t *id)
{
    struct aps_team_ref ref;
    int64_t sid;
    int rc = aps_team_resolve(s, name, &ref);
    if (!rc)
        rc = aps_dims_sport(d, s, &sid);
    if (rc)
        return rc;
    bool tennis = aps_sport_info(s)->kind == APS_KIND_TENNIS;
    if (tennis) {
        rc = tennis_player(d, s, sid, ref.key, id);
        if (rc || *id)
            return rc ? rc : alias(d, sid, source, name, *id);
    }
    char key[256];
    bool keyed = !aps_str_fmt(key, sizeof key, "%" PRId64 "|%s", sid, ref.key);
    if (!keyed || !aps_strmap_get(&d->teams, key, id)) {
        rc = aps_stmt_bindf(d->st[ST_TEAM], "iss", sid, ref.key, ref.name);
        if (!rc)
            rc = run(d->st[ST_TEAM], id);
        if (!rc && tennis) {
            int64_t known;
            rc = tennis_same_player(d, s, sid, ref.key, *id, &known);
        }
        if (rc)
            return rc;
        d->written++;
        if (keyed)
            aps_strmap_put(&d->teams, key, *id);
    }
    return alias(d, sid, source, name, *id);
}

int aps_dims_season(struct aps_dims *d, enum aps_sport s, const char *label, int64_t *id)
{
    int64_t sid;
    int rc = aps_dims_sport(d, s, &sid);
    if (rc)
        return rc;
    char key[128];
    bool keyed = !aps_str_fmt(key, sizeof key, "%" PRId64 "|%s", sid, label);
    if (keyed && aps_strmap_get(&d->seasons, key, id))
        return 0;
    rc = aps_stmt_bindf(d->st[ST_SEASON], "is", sid, label);
    if (!rc)
        rc = run(d->st[ST_SEASON], id);
    if (!rc)
        d->written++;
    if (!rc && keyed)
        aps_strmap_put(&d->seasons, key, *id);
    return rc;
}

int aps_dims_venue(struct aps_dims *d, const char *name, const char *city, int indoor,
                   int64_t *id)
{
    *id = 0;
    if (!name || !*name || aps_strmap_get(&d->venues, name, id))
        return 0;
    const char *kind = indoor == 1 ? "indoor" : indoor == 0 ? "outdoor" : NULL;
    int rc = aps_stmt_bindf(d->st[ST_VENUE], "sSs", name, city, kind);
    if (!rc)
        rc = run(d->st[ST_VENUE], id);
    if (!rc) {
        d->written++;
        aps_strmap_put(&d->venues, name, *id);
    }
    return rc;
}

int aps_dims_venue_geo(struct aps_dims *d, int64_t id, double lat, double lon, const char *tz,
                       int utc_offset_min)
{
    int64_t off = utc_offset_min;
    int rc = aps_stmt_bindf(d->st[ST_VENUE_GEO], "iddSI", id, lat, lon, tz,
                            tz && *tz ? &off : NULL);
    if (rc)
        return rc;
    rc = aps_stmt_step(d->st[ST_VENUE_GEO]);
    aps_stmt_reset(d->st[ST_VENUE_GEO]);
    return rc < 0 ? rc : 0;
}

int aps_dims_book(struct aps_dims *d, const char *key, const char *title, int64_t *id)
{
    if (aps_strmap_get(&d->books, key, id))
        return 0;
    const char *name = aps_book_name(key);
    if (!strcmp(name, key) && title && *title)
        name = title; /* a book the curated table does not list: the provider's title */
    int rc = aps_stmt_bindf(d->st[ST_BOOK], "ssbb", key, name, aps_book_is_sharp(key),
                            aps_book_is_aggregate(key));
    if (!rc)
        rc = run(d->st[ST_BOOK], id);
    if (!rc)
        aps_strmap_put(&d->books, key, *id);
    return rc;
}
