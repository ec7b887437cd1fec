/* test_dims.c — the shared dimension rows on a real store (SQLite always, PostgreSQL when
 * APS_TEST_PG_URL is set): one conflict rule per table, whichever write path calls. Aliases are
 * kept per source and follow today's resolution, every spelling is recorded, venues keep their
 * first city and take the latest known kind, a bare book key never replaces a stored name,
 * sports follow the compiled table, and unknown teams write nothing. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <math.h>

#include <string.h>

#include "core/mem.h"
#include "ingest/dims.h"
#include "../support/testdb.h"

struct fx {
    struct testdb db;
    struct aps_conn *c;
    struct aps_dims *d;
};

static int setup(void **state, int kind)
{
    struct fx *fx = aps_calloc(1, sizeof *fx);
    int rc = kind ? testdb_pg(&fx->db, "dims") : testdb_sqlite(&fx->db);
    if (rc == 1) { /* no PostgreSQL */
        aps_free(fx);
        *state = NULL;
        return testdb_pg_required() ? -1 : 0;
    }
    if (rc || aps_store_acquire(fx->db.st, APS_DB_WRITE, &fx->c) ||
        aps_dims_open(&fx->d, fx->c))
        return -1;
    *state = fx;
    return 0;
}
static int setup_sqlite(void **state) { return setup(state, 0); }
static int setup_pg(void **state) { return setup(state, 1); }

static int teardown(void **state)
{
    struct fx *fx = *state;
    if (!fx)
        return 0;
    aps_dims_close(fx->d);
    if (fx->c)
        aps_store_release(fx->c);
    testdb_close(&fx->db);
    aps_free(fx);
    return 0;
}

static int64_t q1(struct fx *fx, const char *sql, const char *arg)
{
    int64_t v = -1;
    assert_int_equal(aps_conn_query_row(fx->c, sql, "i", &v, "s", arg), 0);
    return v;
}

static const char *qs(struct fx *fx, const char *sql, const char *arg, char *out, size_t cap)
{
    out[0] = '\0';
    assert_int_equal(aps_conn_query_row(fx->c, sql, "s", out, cap, "s", arg), 0);
    return out;
}

/* A fresh handle: nothing cached, every call writes again. */
static void reopen(struct fx *fx)
{
    aps_dims_close(fx->d);
    assert_int_equal(aps_dims_open(&fx->d, fx->c), 0);
}

static void test_aliases(void **state)
{
    struct fx *fx = *state;
    if (!fx)
        skip();
    int64_t kc, kc2, kc3, den;
    assert_int_equal(aps_dims_team(fx->d, APS_SPORT_NFL, "spreadspoke", "Kansas City Chiefs", &kc), 0);
    assert_int_equal(aps_dims_team(fx->d, APS_SPORT_NFL, "espn", "Kansas City Chiefs", &kc2), 0);
    assert_int_equal(aps_dims_team(fx->d, APS_SPORT_NFL, "espn", "KC", &kc3), 0);
    assert_int_equal(aps_dims_team(fx->d, APS_SPORT_NFL, "espn", "Denver Broncos", &den), 0);
    assert_int_equal(kc, kc2);
    assert_int_equal(kc, kc3);
    assert_int_not_equal(kc, den);
    /* one row per source and spelling; a second spelling of a cached team is recorded too */
    const char *count = "SELECT COUNT(*) FROM team_aliases WHERE source = ?1";
    assert_int_equal(q1(fx, count, "spreadspoke"), 1);
    assert_int_equal(q1(fx, count, "espn"), 3);
    assert_int_equal(q1(fx, "SELECT COUNT(*) FROM teams WHERE key = ?1", "KC"), 1);

    /* a stale mapping within one source is moved to today's team; other sources are untouched */
    assert_int_equal(aps_conn_execf(fx->c, "UPDATE team_aliases SET team_id = ?1", "i", den), 0);
    reopen(fx);
    assert_int_equal(aps_dims_team(fx->d, APS_SPORT_NFL, "espn", "KC", &kc3), 0);
    assert_int_equal(kc3, kc);
    const char *team = "SELECT team_id FROM team_aliases WHERE alias = ?1 AND source = 'espn'";
    assert_int_equal(q1(fx, team, "KC"), kc);
    assert_int_equal(q1(fx, "SELECT team_id FROM team_aliases WHERE source = ?1", "spreadspoke"),
                     den);

    /* an unknown team in a curated sport, or an empty name, writes nothing */
    int64_t x = 0;
    assert_int_equal(aps_dims_team(fx->d, APS_SPORT_NFL, "espn", "Nowhere Nobodies", &x),
                     APS_E_NOTFOUND);
    assert_int_equal(aps_dims_team(fx->d, APS_SPORT_NFL, "espn", "", &x), APS_E_INVAL);
    assert_int_equal(q1(fx, count, "espn"), 3);
}

static void test_venues_books_seasons(void **state)
{
    struct fx *fx = *state;
    if (!fx)
        skip();
    int64_t v1, v2, v3, none = 5;
    char buf[64];
    assert_int_equal(aps_dims_venue(fx->d, "Arena", "Denver, CO", 1, &v1), 0);
    reopen(fx);
    assert_int_equal(aps_dims_venue(fx->d, "Arena", "Boulder, CO", 0, &v2), 0);
    reopen(fx);
    assert_int_equal(aps_dims_venue(fx->d, "Arena", NULL, -1, &v3), 0);
    assert_int_equal(aps_dims_venue(fx->d, "", "x", 1, &none), 0);
    assert_int_equal(none, 0);
    assert_int_equal(v1, v2);
    assert_int_equal(v1, v3);
    assert_string_equal(qs(fx, "SELECT city FROM venues WHERE name = ?1", "Arena", buf, sizeof buf),
                        "Denver, CO");
    assert_string_equal(qs(fx, "SELECT kind FROM venues WHERE name = ?1", "Arena", buf, sizeof buf),
                        "outdoor");
    /* coordinates and time zone; NAN and an empty zone keep what is stored */
    assert_int_equal(aps_dims_venue_geo(fx->d, v1, 39.74, -105.02, "America/Denver", -420), 0);
    assert_int_equal(aps_dims_venue_geo(fx->d, v1, NAN, NAN, "", 0), 0);
    assert_string_equal(qs(fx, "SELECT CAST(latitude AS TEXT) || ' ' || CAST(longitude AS TEXT) ||"
                               " ' ' || timezone || ' ' || CAST(utc_offset_min AS TEXT) FROM venues"
                               " WHERE name = ?1", "Arena", buf, sizeof buf),
                        "39.74 -105.02 America/Denver -420");

    int64_t b1, b2, p;
    const char *name = "SELECT name FROM sportsbooks WHERE key = ?1";
    assert_int_equal(aps_dims_book(fx->d, "newbook", "New Book", &b1), 0);
    reopen(fx);
    assert_int_equal(aps_dims_book(fx->d, "newbook", NULL, &b2), 0);
    assert_int_equal(b1, b2);
    assert_string_equal(qs(fx, name, "newbook", buf, sizeof buf), "New Book");
    assert_int_equal(aps_dims_book(fx->d, "pinnacle", "Pinnacle Sports", &p), 0);
    assert_string_equal(qs(fx, name, "pinnacle", buf, sizeof buf), "Pinnacle");

    int64_t s1, s2, s3;
    assert_int_equal(aps_dims_season(fx->d, APS_SPORT_NBA, "2022-23", &s1), 0);
    reopen(fx);
    assert_int_equal(aps_dims_season(fx->d, APS_SPORT_NBA, "2022-23", &s2), 0);
    assert_int_equal(aps_dims_season(fx->d, APS_SPORT_NHL, "2022-23", &s3), 0);
    assert_int_equal(s1, s2);
    assert_int_not_equal(s1, s3);
}

static void test_sports_and_forget(void **state)
{
    struct fx *fx = *state;
    if (!fx)
        skip();
    int64_t nfl, again;
    char buf[64];
    assert_int_equal(aps_dims_sport(fx->d, APS_SPORT_NFL, &nfl), 0);
    assert_int_equal(aps_conn_execf(fx->c, "UPDATE sports SET espn_path = 'x', name = 'y'", ""),
                     0);
    /* cached: no write */
    assert_int_equal(aps_dims_sport(fx->d, APS_SPORT_NFL, &again), 0);
    assert_string_equal(qs(fx, "SELECT espn_path FROM sports WHERE code = ?1", "NFL", buf,
                           sizeof buf), "x");
    /* forgotten: the compiled table is written again */
    aps_dims_forget(fx->d);
    assert_int_equal(aps_dims_sport(fx->d, APS_SPORT_NFL, &again), 0);
    assert_int_equal(again, nfl);
    assert_string_equal(qs(fx, "SELECT espn_path FROM sports WHERE code = ?1", "NFL", buf,
                           sizeof buf), "football/nfl");
    assert_string_equal(qs(fx, "SELECT name FROM sports WHERE code = ?1", "NFL", buf, sizeof buf),
                        "National Football League");
}

/* A tennis player named in full by a live provider is the history's "Surname I." player when
 * exactly one stored player of the tour fits; when two do ("Kuznetsov A." and "Kuznetsov An.")
 * the name stays a player of its own and the candidates are noted; the other tour's players are
 * never candidates. Two spellings of one history player are one player, so a full name fits it
 * once. */
static void test_tennis_full_names(void **state)
{
    struct fx *fx = *state;
    if (!fx)
        return;
    int64_t sinner, alcaraz, cb1, cb2, ka, kan, id;
    assert_int_equal(aps_dims_team(fx->d, APS_SPORT_ATP, "tennis-data", "Sinner J.", &sinner), 0);
    assert_int_equal(aps_dims_team(fx->d, APS_SPORT_ATP, "tennis-data", "Alcaraz C.", &alcaraz), 0);
    assert_int_equal(aps_dims_team(fx->d, APS_SPORT_ATP, "tennis-data", "Carreno Busta P.", &cb1),
                     0);
    assert_int_equal(aps_dims_team(fx->d, APS_SPORT_ATP, "tennis-data", "Carreno-Busta P.", &cb2),
                     0);
    assert_int_equal(aps_dims_team(fx->d, APS_SPORT_ATP, "tennis-data", "Kuznetsov A.", &ka), 0);
    assert_int_equal(aps_dims_team(fx->d, APS_SPORT_ATP, "tennis-data", "Kuznetsov An.", &kan), 0);
    assert_int_equal(aps_dims_team(fx->d, APS_SPORT_WTA, "tennis-data", "Swiatek I.", &id), 0);
    assert_int_equal(cb1, cb2);
    assert_int_not_equal(ka, kan);
    reopen(fx);
    assert_int_equal(aps_dims_team(fx->d, APS_SPORT_ATP, "theoddsapi", "Jannik Sinner", &id), 0);
    assert_int_equal(id, sinner);
    assert_int_equal(aps_dims_team(fx->d, APS_SPORT_ATP, "theoddsapi", "Carlos Alcaraz", &id), 0);
    assert_int_equal(id, alcaraz);
    assert_int_equal(
        q1(fx, "SELECT team_id FROM team_aliases WHERE source = 'theoddsapi' AND alias = ?1",
           "Jannik Sinner"),
        sinner);
    assert_int_equal(aps_dims_team(fx->d, APS_SPORT_ATP, "theoddsapi", "Pablo Carreño Busta", &id),
                     0);
    assert_int_equal(id, cb1);
    assert_string_equal(aps_dims_ambiguous(fx->d), "");
    assert_int_equal(aps_dims_team(fx->d, APS_SPORT_ATP, "theoddsapi", "Andrey Kuznetsov", &id), 0);
    assert_true(id != ka && id != kan);
    assert_string_equal(aps_dims_ambiguous(fx->d),
                        "Andrey Kuznetsov fits \"Kuznetsov A.\", \"Kuznetsov An.\"");
    /* Once per handle and name. */
    assert_int_equal(aps_dims_team(fx->d, APS_SPORT_ATP, "theoddsapi", "Andrey Kuznetsov", &id), 0);
    assert_string_equal(aps_dims_ambiguous(fx->d),
                        "Andrey Kuznetsov fits \"Kuznetsov A.\", \"Kuznetsov An.\"");
    /* The WTA's Swiatek I. is no ATP player. */
    assert_int_equal(aps_dims_team(fx->d, APS_SPORT_ATP, "theoddsapi", "Iga Swiatek", &id), 0);
    assert_int_equal(q1(fx, "SELECT COUNT(*) FROM teams WHERE key = ?1", "Iga Swiatek"), 1);
}

/* One player, one row: the history's spellings of one player (case, spaces, hyphens, dots,
 * apostrophes, accents; the tour's listed aliases) land on the row of the first one stored, each
 * recorded as an alias, from this handle and from a fresh one (which finds them by the stored
 * aliases too); the same name on the other tour, and a name a letter apart, are other players. */
static void test_tennis_spellings(void **state)
{
    struct fx *fx = *state;
    if (!fx)
        return;
    static const char *const same[] = {"Del Potro J. M.", "del Potro J.M", "Del-Potro J.M."};
    int64_t dp, id, wta;
    assert_int_equal(aps_dims_team(fx->d, APS_SPORT_ATP, "tennis-data", "Del Potro J.M.", &dp), 0);
    for (int round = 0; round < 2; round++) {
        for (size_t i = 0; i < sizeof same / sizeof same[0]; i++) {
            assert_int_equal(aps_dims_team(fx->d, APS_SPORT_ATP, "tennis-data", same[i], &id), 0);
            assert_int_equal(id, dp);
        }
        reopen(fx);
    }
    assert_int_equal(q1(fx, "SELECT COUNT(*) FROM teams WHERE LOWER(key) LIKE ?1", "%potro%"), 1);
    assert_int_equal(q1(fx,
                        "SELECT COUNT(*) FROM team_aliases a JOIN teams t ON t.id = a.team_id"
                        " WHERE t.key = ?1",
                        "Del Potro J.M."),
                     4);
    char buf[64];
    assert_string_equal(qs(fx, "SELECT key FROM teams WHERE LOWER(key) LIKE ?1", "%potro%", buf,
                           sizeof buf),
                        "Del Potro J.M.");
    /* Listed in teams_atp.def: "Mathieu P." is Paul-Henri Mathieu, whichever comes first. */
    int64_t m1, m2;
    assert_int_equal(aps_dims_team(fx->d, APS_SPORT_ATP, "tennis-data", "Mathieu P.", &m1), 0);
    assert_int_equal(aps_dims_team(fx->d, APS_SPORT_ATP, "tennis-data", "Mathieu P.H.", &m2), 0);
    assert_int_equal(m1, m2);
    assert_string_equal(qs(fx, "SELECT key FROM teams WHERE LOWER(key) LIKE ?1", "mathieu%", buf,
                           sizeof buf),
                        "Mathieu P.H.");
    /* Other players. */
    assert_int_equal(aps_dims_team(fx->d, APS_SPORT_WTA, "tennis-data", "Del Potro J. M.", &wta),
                     0);
    assert_int_not_equal(wta, dp);
    assert_int_equal(aps_dims_team(fx->d, APS_SPORT_ATP, "tennis-data", "Del Potro J.", &id), 0);
    assert_int_not_equal(id, dp);
}

#define BOTH(t)                                                  \
    cmocka_unit_test_setup_teardown(t, setup_sqlite, teardown),  \
        cmocka_unit_test_setup_teardown(t, setup_pg, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        BOTH(test_aliases),           BOTH(test_venues_books_seasons), BOTH(test_sports_and_forget),
        BOTH(test_tennis_full_names), BOTH(test_tennis_spellings),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
