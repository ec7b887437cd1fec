/* test_teams.c — canonical teams: every team name in the real data files resolves, franchise
 * moves land on one key, the alias tables hold no ambiguous alias, and open fields are normalised.
 *
 * The alias tables are expanded here a second time (the same .def files, a different macro) and
 * normalised by this file's own code, so the ambiguity check does not trust teams.c. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <ctype.h>
#include <glob.h>
#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/csv.h"
#include "core/strmap.h"
#include "ingest/teams.h"

#define DATA APS_DATA_DIR_DEFAULT "/"

struct def_row {
    const char *key, *name, *aliases;
};

#define APS_TEAM(key, name, aliases) {key, name, aliases},
static const struct def_row nfl_rows[] = {
#include "ingest/teams_nfl.def"
};
static const struct def_row nba_rows[] = {
#include "ingest/teams_nba.def"
};
static const struct def_row nhl_rows[] = {
#include "ingest/teams_nhl.def"
};
static const struct def_row mlb_rows[] = {
#include "ingest/teams_mlb.def"
};
static const struct def_row wnba_rows[] = {
#include "ingest/teams_wnba.def"
};
static const struct def_row epl_rows[] = {
#include "ingest/teams_epl.def"
};
static const struct def_row laliga_rows[] = {
#include "ingest/teams_laliga.def"
};
static const struct def_row bundesliga_rows[] = {
#include "ingest/teams_bundesliga.def"
};
static const struct def_row seriea_rows[] = {
#include "ingest/teams_seriea.def"
};
static const struct def_row ligue1_rows[] = {
#include "ingest/teams_ligue1.def"
};
static const struct def_row atp_rows[] = {
#include "ingest/teams_atp.def"
};
static const struct def_row wta_rows[] = {
#include "ingest/teams_wta.def"
};
static const struct def_row ncaab_rows[] = {
#include "ingest/teams_ncaab.def"
};
#undef APS_TEAM

struct def_table {
    enum aps_sport sport;
    const struct def_row *rows;
    size_t n;
};

static const struct def_table tables[] = {
    {APS_SPORT_NFL, nfl_rows, sizeof nfl_rows / sizeof nfl_rows[0]},
    {APS_SPORT_NBA, nba_rows, sizeof nba_rows / sizeof nba_rows[0]},
    {APS_SPORT_NHL, nhl_rows, sizeof nhl_rows / sizeof nhl_rows[0]},
    {APS_SPORT_MLB, mlb_rows, sizeof mlb_rows / sizeof mlb_rows[0]},
    {APS_SPORT_WNBA, wnba_rows, sizeof wnba_rows / sizeof wnba_rows[0]},
    {APS_SPORT_EPL, epl_rows, sizeof epl_rows / sizeof epl_rows[0]},
    {APS_SPORT_LALIGA, laliga_rows, sizeof laliga_rows / sizeof laliga_rows[0]},
    {APS_SPORT_BUNDESLIGA, bundesliga_rows, sizeof bundesliga_rows / sizeof bundesliga_rows[0]},
    {APS_SPORT_SERIEA, seriea_rows, sizeof seriea_rows / sizeof seriea_rows[0]},
    {APS_SPORT_LIGUE1, ligue1_rows, sizeof ligue1_rows / sizeof ligue1_rows[0]},
    {APS_SPORT_ATP, atp_rows, sizeof atp_rows / sizeof atp_rows[0]},
    {APS_SPORT_WTA, wta_rows, sizeof wta_rows / sizeof wta_rows[0]},
    {APS_SPORT_NCAAB, ncaab_rows, sizeof ncaab_rows / sizeof ncaab_rows[0]},
};

/* This test's own normaliser: keeps only what the matching rule keeps (see teams.h). */
static void norm(const char *s, size_t n, char *out, size_t cap)
{
    size_t k = 0;
    for (size_t i = 0; i < n && k + 1 < cap; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == ' ' || c == '.' || c == '\'' || c == '-')
            continue;
        out[k++] = (char)(c < 0x80 ? tolower(c) : c);
    }
    out[k] = '\0';
}

static const char *resolved_key(enum aps_sport sport, const char *name)
{
    static struct aps_team_ref ref;
    int rc = aps_team_resolve(sport, name, &ref);
    return rc ? NULL : ref.key;
}

/* Calls fn(sport, row, alias) for every alias of every curated team (the key and the name too). */
static void each_alias(void (*fn)(enum aps_sport, const struct def_row *, const char *, void *),
                       void *arg)
{
    for (size_t t = 0; t < sizeof tables / sizeof tables[0]; t++) {
        for (size_t r = 0; r < tables[t].n; r++) {
            const struct def_row *row = &tables[t].rows[r];
            fn(tables[t].sport, row, row->key, arg);
            fn(tables[t].sport, row, row->name, arg);
            const char *p = row->aliases;
            for (;;) {
                const char *bar = strchr(p, '|');
                size_t n = bar ? (size_t)(bar - p) : strlen(p);
                char alias[128];
                snprintf(alias, sizeof alias, "%.*s", (int)n, p);
                if (n) /* "" is a row with no alias beyond its key and name */
                    fn(tables[t].sport, row, alias, arg);
                if (!bar)
                    break;
                p = bar + 1;
            }
        }
    }
}

/* ---- the tables themselves ---- */

static void check_one_alias(enum aps_sport sport, const struct def_row *row, const char *alias,
                            void *arg)
{
    size_t *bad = arg;
    const char *key = resolved_key(sport, alias);
    if (!key || strcmp(key, row->key)) {
        printf("  %s alias \"%s\" of %s resolves to %s\n", aps_sport_info(sport)->code, alias,
               row->key, key ? key : "(nothing)");
        ++*bad;
    }
}

static void test_every_alias_resolves_to_its_own_team(void **state)
{
    size_t bad = 0;
    each_alias(check_one_alias, &bad);
    assert_int_equal(bad, 0);
}

struct seen {
    struct aps_strmap map[APS_SPORT__COUNT]; /* normalised alias -> row pointer */
    size_t ambiguous, aliases;
};

static void note_alias(enum aps_sport sport, const struct def_row *row, const char *alias,
                       void *arg)
{
    struct seen *s = arg;
    char n[128];
    norm(alias, strlen(alias), n, sizeof n);
    int64_t prev;
    s->aliases++;
    if (aps_strmap_get(&s->map[sport], n, &prev)) {
        const struct def_row *other = (const struct def_row *)(intptr_t)prev;
        if (strcmp(other->key, row->key)) {
            printf("  ambiguous %s alias \"%s\": %s and %s\n", aps_sport_info(sport)->code, alias,
                   other->key, row->key);
            s->ambiguous++;
        }
        return;
    }
    aps_strmap_put(&s->map[sport], n, (int64_t)(intptr_t)row);
}

static void test_no_alias_names_two_teams(void **state)
{
    struct seen s;
    memset(&s, 0, sizeof s);
    each_alias(note_alias, &s);
    for (int i = 0; i < APS_SPORT__COUNT; i++)
        aps_strmap_cleanup(&s.map[i]);
    assert_true(s.aliases > 600);
    assert_int_equal(s.ambiguous, 0);
}

static void test_keys_unique_and_team_counts(void **state)
{
    for (size_t t = 0; t < sizeof tables / sizeof tables[0]; t++)
        for (size_t i = 0; i < tables[t].n; i++)
            for (size_t j = i + 1; j < tables[t].n; j++)
                assert_string_not_equal(tables[t].rows[i].key, tables[t].rows[j].key);
    /* 32 current NFL clubs plus 91 defunct 538 franchises: 538 lists 123 codes. */
    assert_int_equal(tables[0].n, 123);
    assert_int_equal(tables[1].n, 30);
    assert_int_equal(tables[2].n, 33); /* 32 active clubs and the inactive Arizona Coyotes */
    assert_int_equal(tables[3].n, 30);
}

/* ---- the real files ---- */

struct names {
    struct aps_strmap seen;
    size_t distinct, unresolved;
};

static void check_name(struct names *nm, enum aps_sport sport, const char *name)
{
    if (!*name || aps_strmap_get(&nm->seen, name, &(int64_t){0}))
        return;
    aps_strmap_put(&nm->seen, name, 1);
    nm->distinct++;
    if (!resolved_key(sport, name)) {
        printf("  unresolved %s name \"%s\"\n", aps_sport_info(sport)->code, name);
        nm->unresolved++;
    }
}

/* Resolves every distinct non-empty value of the named columns; returns the distinct count. */
static size_t check_csv(enum aps_sport sport, const char *const *paths, const char *const *cols)
{
    struct names nm;
    memset(&nm, 0, sizeof nm);
    for (const char *const *p = paths; *p; p++) {
        struct aps_csv *c;
        char **f;
        size_t n;
        assert_int_equal(aps_csv_open(&c, *p), 0);
        assert_int_equal(aps_csv_next(c, &f, &n), 1);
        int idx[8], ncols = 0;
        for (const char *const *col = cols; *col; col++) {
            idx[ncols] = aps_csv_find(f, n, *col);
            assert_true(idx[ncols] >= 0);
            ncols++;
        }
        int rc;
        while ((rc = aps_csv_next(c, &f, &n)) == 1)
            for (int k = 0; k < ncols; k++)
                if ((size_t)idx[k] < n)
                    check_name(&nm, sport, f[idx[k]]);
        assert_int_equal(rc, 0);
        aps_csv_close(c);
    }
    aps_strmap_cleanup(&nm.seen);
    assert_int_equal(nm.unresolved, 0);
    return nm.distinct;
}

#define PATHS(...) ((const char *const[]){__VA_ARGS__, NULL})
#define COLS(...) ((const char *const[]){__VA_ARGS__, NULL})

static void test_nfl_files_resolve(void **state)
{
    assert_int_equal(check_csv(APS_SPORT_NFL, PATHS(DATA "spreadspoke/spreadspoke_scores.csv"),
                               COLS("team_home", "team_away")),
                     44);
    assert_int_equal(check_csv(APS_SPORT_NFL, PATHS(DATA "spreadspoke/nfl_teams.csv"),
                               COLS("team_name", "team_name_short", "team_id", "team_id_pfr")),
                     120);
    const char *nfl538 = DATA "fivethirtyeight/nfl-elo-game/nfl_games.csv";
    assert_int_equal(check_csv(APS_SPORT_NFL, PATHS(nfl538), COLS("team1", "team2")), 123);
    assert_int_equal(check_csv(APS_SPORT_NFL,
                               PATHS(DATA "fivethirtyeight/nfl-elo-game/initial_elos.csv"),
                               COLS("team")),
                     123);
    assert_int_equal(check_csv(APS_SPORT_NFL, PATHS(DATA "fivethirtyeight/mirrors/nfl_elo.csv"),
                               COLS("team1", "team2")),
                     32);
    assert_int_equal(check_csv(APS_SPORT_NFL,
                               PATHS(DATA "fivethirtyeight/checking-our-work/nfl_games.csv"),
                               COLS("team1", "team2")),
                     32);
}

static void test_nba_nhl_mlb_wnba_files_resolve(void **state)
{
    const char *cow = DATA "fivethirtyeight/checking-our-work/";
    char p[4][256];
    const char *lg[] = {"nba", "nhl", "mlb", "wnba"};
    for (int i = 0; i < 4; i++)
        snprintf(p[i], sizeof p[i], "%s%s_games.csv", cow, lg[i]);
    assert_int_equal(check_csv(APS_SPORT_NBA, PATHS(p[0]), COLS("team1", "team2")), 30);
    assert_int_equal(check_csv(APS_SPORT_NHL, PATHS(p[1]), COLS("team1", "team2")), 32);
    assert_int_equal(check_csv(APS_SPORT_MLB, PATHS(p[2]), COLS("team1", "team2")), 30);
    assert_int_equal(check_csv(APS_SPORT_WNBA, PATHS(p[3]), COLS("team1", "team2")), 12);
    assert_int_equal(check_csv(APS_SPORT_NBA,
                               PATHS(DATA "fivethirtyeight/mirrors/nba_elo_latest.csv"),
                               COLS("team1", "team2")),
                     30);
    /* SBR: 30 CamelCase cities plus "LA Clippers" and "Oklahoma City" in 2015-16. */
    assert_int_equal(check_csv(APS_SPORT_NBA,
                               PATHS(DATA "sportsbookreview/nba/nba odds 2014-15.csv",
                                     DATA "sportsbookreview/nba/nba odds 2015-16.csv",
                                     DATA "sportsbookreview/nba/nba odds 2016-17.csv",
                                     DATA "sportsbookreview/nba/nba odds 2017-18.csv",
                                     DATA "sportsbookreview/nba/nba odds 2018-19.csv"),
                               COLS("Team")),
                     32);
    /* "Arizonas", "Tampa", "Tampa Bay", "NY Islanders" beside the usual 31 spellings. */
    assert_int_equal(check_csv(APS_SPORT_NHL,
                               PATHS(DATA "sportsbookreview/nhl/nhl odds 2019-20.csv",
                                     DATA "sportsbookreview/nhl/nhl odds 2021.csv"),
                               COLS("Team")),
                     35);
    /* 30 codes plus LAD beside LOS, and CHC, SFG, BRS in 2020. */
    assert_int_equal(check_csv(APS_SPORT_MLB,
                               PATHS(DATA "sportsbookreview/mlb/mlb_odds_2014.csv",
                                     DATA "sportsbookreview/mlb/mlb_odds_2015.csv",
                                     DATA "sportsbookreview/mlb/mlb_odds_2016.csv",
                                     DATA "sportsbookreview/mlb/mlb_odds_2017.csv",
                                     DATA "sportsbookreview/mlb/mlb_odds_2018.csv",
                                     DATA "sportsbookreview/mlb/mlb_odds_2019.csv",
                                     DATA "sportsbookreview/mlb/mlb_odds_2020.csv"),
                               COLS("Team")),
                     34);
}

/* One NCAAB team, one key: SBR's four seasons spell 50 teams a second (or third) way
 * ("ColoradoSt." beside "ColoradoState", "NCCENTRAL" beside "NCCentral", "TowsonState" before
 * "Towson"); each was a team of its own with its own Elo chain. Every spelling now resolves to
 * its team's key, and no key plays twice on one day (but one), which a merge of two schools would
 * show. */
static void test_ncaab_spellings_are_one_team(void **state)
{
    static const char *const seasons[] = {"2007-08", "2008-09", "2009-10", "2010-11"};
    struct aps_strmap keys = {0}, days = {0};
    size_t nkeys = 0, twice = 0;
    for (size_t i = 0; i < 4; i++) {
        char path[256], day[160];
        snprintf(path, sizeof path, DATA "sportsbookreview/ncaab/ncaa-basketball-%s.csv",
                 seasons[i]);
        struct aps_csv *c;
        char **f;
        size_t n;
        assert_int_equal(aps_csv_open(&c, path), 0);
        assert_int_equal(aps_csv_next(c, &f, &n), 1);
        int date = aps_csv_find(f, n, "Date"), team = aps_csv_find(f, n, "Team");
        while (aps_csv_next(c, &f, &n) == 1) {
            if ((size_t)team >= n || !*f[team])
                continue;
            const char *key = resolved_key(APS_SPORT_NCAAB, f[team]);
            assert_non_null(key);
            if (!aps_strmap_get(&keys, key, &(int64_t){0})) {
                aps_strmap_put(&keys, key, 1);
                nkeys++;
            }
            snprintf(day, sizeof day, "%s|%s|%s", seasons[i], f[date], key);
            if (aps_strmap_get(&days, day, &(int64_t){0}))
                printf("  %s plays twice on %s\n", key, day);
            twice += aps_strmap_get(&days, day, &(int64_t){0});
            aps_strmap_put(&days, day, 1);
        }
        aps_csv_close(c);
    }
    aps_strmap_cleanup(&keys);
    aps_strmap_cleanup(&days);
    printf("  NCAAB: %zu teams\n", nkeys);
    /* The one real case: Georgia played two SEC tournament games on 2008-03-15, the day after a
     * tornado hit Atlanta. */
    assert_int_equal(twice, 1);
    assert_int_equal(nkeys, 376); /* 426 spellings */
    /* Spellings of one school meet; schools that share a city or a state stay apart. */
    static const struct {
        const char *a, *b;
        bool same;
    } pairs[] = {
        {"ColoradoSt.", "ColoradoState", true},   {"NCCENTRAL", "NCCentral", true},
        {"TowsonState", "Towson", true},          {"No.Colorado", "NorthernColorado", true},
        {"Charlotte", "NCCharlotte", true},       {"hartford", "Hartford", true},
        {"Washington", "WashingtonState", false}, {"Utah", "UtahState", false},
        {"Indiana", "IndianaState", false},       {"ColoradoState", "Colorado", false},
        {"MichiganSt.", "Michigan", false},       {"Penn", "PennState", false},
    };
    for (size_t i = 0; i < sizeof pairs / sizeof pairs[0]; i++) {
        char a[96];
        snprintf(a, sizeof a, "%s", resolved_key(APS_SPORT_NCAAB, pairs[i].a));
        assert_int_equal(!strcmp(a, resolved_key(APS_SPORT_NCAAB, pairs[i].b)), pairs[i].same);
    }
}

/* Walks a JSON tree; for objects holding any of keys[] as strings, resolves them. */
static void walk_json(json_t *j, struct names *nm, enum aps_sport sport, const char *const *keys,
                      const char *only_sport_key)
{
    if (json_is_array(j)) {
        size_t i;
        json_t *v;
        json_array_foreach(j, i, v) walk_json(v, nm, sport, keys, only_sport_key);
        return;
    }
    if (!json_is_object(j))
        return;
    const char *sk = json_string_value(json_object_get(j, "sport_key"));
    if (only_sport_key && sk && strcmp(sk, only_sport_key))
        return;
    for (const char *const *k = keys; *k; k++) {
        const char *s = json_string_value(json_object_get(j, *k));
        if (s)
            check_name(nm, sport, s);
    }
    const char *key;
    json_t *v;
    json_object_foreach(j, key, v) walk_json(v, nm, sport, keys, only_sport_key);
}

static size_t check_json(enum aps_sport sport, const char *path, const char *const *keys,
                         const char *only_sport_key)
{
    json_error_t err;
    json_t *root = json_load_file(path, 0, &err);
    assert_non_null(root);
    struct names nm;
    memset(&nm, 0, sizeof nm);
    walk_json(root, &nm, sport, keys, only_sport_key);
    json_decref(root);
    aps_strmap_cleanup(&nm.seen);
    assert_int_equal(nm.unresolved, 0);
    return nm.distinct;
}

/* ESPN team objects sit under a "team" key; leaders and statistics do not carry one. */
static void walk_espn(json_t *j, struct names *nm, enum aps_sport sport)
{
    static const char *const keys[] = {"abbreviation", "displayName", "shortDisplayName", "name",
                                       NULL};
    const char *key;
    json_t *v;
    size_t i;
    if (json_is_array(j)) {
        json_array_foreach(j, i, v) walk_espn(v, nm, sport);
        return;
    }
    if (!json_is_object(j))
        return;
    json_t *team = json_object_get(j, "team");
    if (json_is_object(team) && json_object_get(team, "displayName"))
        for (const char *const *k = keys; *k; k++)
            if (json_string_value(json_object_get(team, *k)))
                check_name(nm, sport, json_string_value(json_object_get(team, *k)));
    json_object_foreach(j, key, v) walk_espn(v, nm, sport);
}

static size_t check_espn(enum aps_sport sport, const char *path)
{
    json_error_t err;
    json_t *root = json_load_file(path, 0, &err);
    assert_non_null(root);
    struct names nm;
    memset(&nm, 0, sizeof nm);
    walk_espn(root, &nm, sport);
    json_decref(root);
    aps_strmap_cleanup(&nm.seen);
    assert_int_equal(nm.unresolved, 0);
    return nm.distinct;
}

static void test_json_sources_resolve(void **state)
{
    /* SBR NFL: 43 string spellings ("Fortyniners", "Washingtom", "LosAngeles"…); the Super Bowl
     * rows' home_team is the number 0 and is the loader's concern. */
    assert_int_equal(check_json(APS_SPORT_NFL, DATA "sportsbookreview/nfl/nfl_archive_10Y.json",
                                COLS("home_team", "away_team"), NULL),
                     43);
    const char *espn = DATA "api-samples/espn/";
    char p[256];
    snprintf(p, sizeof p, "%snfl_teams.json", espn);
    assert_int_equal(check_espn(APS_SPORT_NFL, p), 32 * 3);
    snprintf(p, sizeof p, "%snfl_scoreboard_2022_week11_live.json", espn);
    assert_int_equal(check_espn(APS_SPORT_NFL, p), 28 * 3); /* four teams on a bye */
    snprintf(p, sizeof p, "%snfl_scoreboard_2023_week5_pregame.json", espn);
    assert_int_equal(check_espn(APS_SPORT_NFL, p), 28 * 3); /* four teams on a bye */
    snprintf(p, sizeof p, "%snfl_team_22.json", espn);
    assert_int_equal(check_espn(APS_SPORT_NFL, p), 3);
    snprintf(p, sizeof p, "%snba_scoreboard_2022-11-22_live.json", espn);
    assert_int_equal(check_espn(APS_SPORT_NBA, p), 8 * 3);

    const char *odds = DATA "api-samples/theoddsapi/";
    snprintf(p, sizeof p, "%sodds_basketball_nba_h2h_spreads_totals_american_2022-11-23.json",
             odds);
    assert_int_equal(check_json(APS_SPORT_NBA, p, COLS("home_team", "away_team"), NULL), 24);
    snprintf(p, sizeof p, "%sodds_basketball_nba_h2h_decimal_2022-12-06.json", odds);
    assert_int_equal(check_json(APS_SPORT_NBA, p, COLS("home_team", "away_team"), NULL), 6);
    snprintf(p, sizeof p, "%sodds_upcoming_h2h_us_american_2024-03-27.json", odds);
    assert_int_equal(
        check_json(APS_SPORT_NBA, p, COLS("home_team", "away_team"), "basketball_nba"), 8);
    assert_int_equal(
        check_json(APS_SPORT_NHL, p, COLS("home_team", "away_team"), "icehockey_nhl"), 24);
    snprintf(p, sizeof p, "%shistorical_odds_docs_example.json", odds);
    assert_int_equal(check_json(APS_SPORT_NFL, p, COLS("home_team", "away_team"), NULL), 2);
}

/* ---- behaviour ---- */

static void assert_same_team(enum aps_sport sport, const char *key, const char *const *names)
{
    for (const char *const *n = names; *n; n++) {
        const char *got = resolved_key(sport, *n);
        if (!got || strcmp(got, key))
            printf("  %s \"%s\" -> %s, want %s\n", aps_sport_info(sport)->code, *n,
                   got ? got : "(nothing)", key);
        assert_non_null(got);
        assert_string_equal(got, key);
    }
}

static void test_franchise_moves(void **state)
{
    assert_same_team(APS_SPORT_NFL, "TEN",
                     COLS("Houston Oilers", "Tennessee Oilers", "Tennessee Titans", "Titans"));
    assert_same_team(APS_SPORT_NFL, "LAR",
                     COLS("Los Angeles Rams", "St. Louis Rams", "St.Louis", "LAR", "Rams"));
    assert_same_team(APS_SPORT_NFL, "LAC", COLS("San Diego Chargers", "SanDiego", "LAC", "SDG"));
    assert_same_team(APS_SPORT_NFL, "LV",
                     COLS("Oakland Raiders", "Los Angeles Raiders", "Las Vegas Raiders", "OAK",
                          "LVRaiders", "Oakland"));
    assert_same_team(APS_SPORT_NFL, "WAS",
                     COLS("Washington Redskins", "Washington Football Team",
                          "Washington Commanders", "WSH", "Washingtom", "Redskins"));
    assert_same_team(APS_SPORT_NFL, "IND", COLS("Baltimore Colts", "Indianapolis Colts", "CLT"));
    assert_same_team(APS_SPORT_NFL, "ARI",
                     COLS("Chicago Cardinals", "St. Louis Cardinals", "Phoenix Cardinals",
                          "Arizona Cardinals", "CRD"));
    assert_same_team(APS_SPORT_NFL, "NE", COLS("Boston Patriots", "New England Patriots", "NWE"));
    assert_same_team(APS_SPORT_NFL, "NYJ", COLS("New York Titans", "Titans of New York", "Jets"));
    assert_same_team(APS_SPORT_NFL, "CHI", COLS("Decatur Staleys", "Chicago Bears"));
    assert_same_team(APS_SPORT_NFL, "KC", COLS("KCChiefs", "Kansas", "KAN", "Kansas City"));
    assert_same_team(APS_SPORT_NBA, "OKC",
                     COLS("Seattle SuperSonics", "Oklahoma City Thunder", "OklahomaCity",
                          "Okla City"));
    assert_same_team(APS_SPORT_NBA, "BKN", COLS("New Jersey Nets", "Brooklyn Nets", "BRK", "NJN"));
    assert_same_team(APS_SPORT_NBA, "CHA", COLS("Charlotte Bobcats", "Charlotte Hornets",
                                                "Hornets", "CHO"));
    assert_same_team(APS_SPORT_NBA, "NOP", COLS("New Orleans Hornets", "Pelicans", "NewOrleans"));
    assert_same_team(APS_SPORT_NBA, "LAC", COLS("LAClippers", "LA Clippers", "Clippers"));
    assert_same_team(APS_SPORT_NHL, "ARI", COLS("Phoenix Coyotes", "Arizona Coyotes", "Arizonas"));
    assert_same_team(APS_SPORT_NHL, "WPG", COLS("Atlanta Thrashers", "Winnipeg Jets", "Jets"));
    assert_same_team(APS_SPORT_NHL, "SEA", COLS("Seattle Kraken", "Kraken"));
    assert_same_team(APS_SPORT_NHL, "VGK", COLS("Vegas Golden Knights", "Vegas"));
    assert_same_team(APS_SPORT_NHL, "MTL", COLS("Montréal Canadiens", "Montreal Canadiens"));
    assert_same_team(APS_SPORT_NHL, "STL", COLS("St.Louis", "St. Louis", "StLouis", "st louis"));
    assert_same_team(APS_SPORT_MLB, "MIA", COLS("Florida Marlins", "Miami Marlins", "FLA"));
    assert_same_team(APS_SPORT_MLB, "LAA", COLS("Anaheim Angels", "Los Angeles Angels", "ANA"));
    assert_same_team(APS_SPORT_MLB, "WSH", COLS("Montreal Expos", "Washington Nationals", "WAS"));
    assert_same_team(APS_SPORT_MLB, "CLE", COLS("Cleveland Indians", "Cleveland Guardians"));
    assert_same_team(APS_SPORT_MLB, "ATH", COLS("Oakland Athletics", "Oakland A's", "OAK"));
    assert_same_team(APS_SPORT_MLB, "LAD", COLS("LOS", "LAD", "Dodgers"));
    assert_same_team(APS_SPORT_WNBA, "LVA", COLS("Aces", "San Antonio Stars", "Las Vegas Aces"));
}

static void test_display_name_and_case(void **state)
{
    struct aps_team_ref r;
    assert_int_equal(aps_team_resolve(APS_SPORT_NFL, "  kansas   CITY  chiefs ", &r), 0);
    assert_string_equal(r.key, "KC");
    assert_string_equal(r.name, "Kansas City Chiefs");
    assert_int_equal(aps_team_resolve(APS_SPORT_NBA, "golden-state", &r), 0);
    assert_string_equal(r.name, "Golden State Warriors");
    assert_int_equal(aps_team_resolve(APS_SPORT_NFL, "DECATUR STALEYS", &r), 0);
    assert_string_equal(r.name, "Chicago Bears");
    /* One alias, different sports, different teams. */
    assert_string_equal(resolved_key(APS_SPORT_NFL, "Giants"), "NYG");
    assert_string_equal(resolved_key(APS_SPORT_MLB, "Giants"), "SF");
    assert_string_equal(resolved_key(APS_SPORT_NHL, "Jets"), "WPG");
    assert_string_equal(resolved_key(APS_SPORT_NFL, "Jets"), "NYJ");
}

static void test_unknown_and_invalid(void **state)
{
    struct aps_team_ref r;
    assert_int_equal(aps_team_resolve(APS_SPORT_NFL, "Springfield Isotopes", &r),
                     APS_E_NOTFOUND);
    assert_int_equal(aps_team_resolve(APS_SPORT_NFL, "0", &r), APS_E_NOTFOUND);
    assert_int_equal(aps_team_resolve(APS_SPORT_NBA, "Kansas City Chiefs", &r), APS_E_NOTFOUND);
    assert_int_equal(aps_team_resolve(APS_SPORT_MLB, "Chicago", &r), APS_E_NOTFOUND);
    assert_int_equal(aps_team_resolve(APS_SPORT_MLB, "Los Angeles", &r), APS_E_NOTFOUND);
    char longname[300];
    memset(longname, 'x', sizeof longname - 1);
    longname[sizeof longname - 1] = '\0';
    assert_int_equal(aps_team_resolve(APS_SPORT_NFL, longname, &r), APS_E_NOTFOUND);
    assert_int_equal(aps_team_resolve(APS_SPORT_NFL, "", &r), APS_E_INVAL);
    assert_int_equal(aps_team_resolve(APS_SPORT_NFL, "  ", &r), APS_E_INVAL);
    assert_int_equal(aps_team_resolve(APS_SPORT_NFL, NULL, &r), APS_E_INVAL);
    assert_int_equal(aps_team_resolve(APS_SPORT__COUNT, "KC", &r), APS_E_INVAL);
}

static void test_open_fields(void **state)
{
    struct aps_team_ref r;
    assert_false(aps_teams_curated(APS_SPORT_EPL));
    assert_false(aps_teams_curated(APS_SPORT_ATP));
    assert_false(aps_teams_curated(APS_SPORT_NCAAB));
    assert_true(aps_teams_curated(APS_SPORT_WNBA));
    assert_true(aps_teams_curated(APS_SPORT_NFL));
    assert_int_equal(aps_team_resolve(APS_SPORT_EPL, "  Man   United\t", &r), 0);
    assert_string_equal(r.key, "Man United");
    assert_string_equal(r.name, "Manchester United");
    assert_int_equal(aps_team_resolve(APS_SPORT_EPL, "Nott'm Forest", &r), 0);
    assert_string_equal(r.key, "Nott'm Forest");
    /* a club no table lists is its own key */
    assert_int_equal(aps_team_resolve(APS_SPORT_EPL, "  Arsenal ", &r), 0);
    assert_string_equal(r.key, "Arsenal");
    assert_string_equal(r.name, "Arsenal");
    /* one club, three sources: football-data's key, ESPN's displayName, TheOddsAPI's team name */
    static const char *const brighton[] = {"Brighton", "Brighton & Hove Albion",
                                           "Brighton and Hove Albion"};
    for (size_t i = 0; i < 3; i++) {
        assert_int_equal(aps_team_resolve(APS_SPORT_EPL, brighton[i], &r), 0);
        assert_string_equal(r.key, "Brighton");
    }
    assert_int_equal(aps_team_resolve(APS_SPORT_EPL, "Luton", &r), 0);
    assert_string_equal(r.key, "Luton");
    assert_int_equal(aps_team_resolve(APS_SPORT_EPL, "Luton Town", &r), 0);
    assert_string_equal(r.key, "Luton");
    assert_int_equal(aps_team_resolve(APS_SPORT_ATP, "Federer R.", &r), 0);
    assert_string_equal(r.key, "Federer R.");
    /* a tour's list names its own players only */
    assert_int_equal(aps_team_resolve(APS_SPORT_ATP, "Mathieu P.", &r), 0);
    assert_string_equal(r.key, "Mathieu P.H.");
    assert_int_equal(aps_team_resolve(APS_SPORT_WTA, "Mathieu P.", &r), 0);
    assert_string_equal(r.key, "Mathieu P.");
    assert_int_equal(aps_team_resolve(APS_SPORT_NCAAB, "Springfield Isotopes", &r), 0);
    assert_int_equal(aps_team_resolve(APS_SPORT_LALIGA, " \t ", &r), APS_E_INVAL);
    char longname[200];
    memset(longname, 'y', sizeof longname - 1);
    longname[sizeof longname - 1] = '\0';
    assert_int_equal(aps_team_resolve(APS_SPORT_SERIEA, longname, &r), APS_E_TOOBIG);
    longname[95] = '\0'; /* 95 characters and the NUL fill the 96-byte key exactly */
    assert_int_equal(aps_team_resolve(APS_SPORT_SERIEA, longname, &r), 0);
    assert_int_equal(strlen(r.key), 95);
}

/* Calls fn(name, arg) for every non-empty value of columns col1 and col2 of the CSV files
 * matching pattern. */
static void each_name(const char *pattern, const char *col1, const char *col2,
                      void (*fn)(const char *name, void *arg), void *arg)
{
    glob_t g;
    assert_int_equal(glob(pattern, 0, NULL, &g), 0);
    for (size_t i = 0; i < g.gl_pathc; i++) {
        struct aps_csv *c;
        char **f;
        size_t n;
        assert_int_equal(aps_csv_open(&c, g.gl_pathv[i]), 0);
        assert_int_equal(aps_csv_next(c, &f, &n), 1);
        int cols[2] = {aps_csv_find(f, n, col1), aps_csv_find(f, n, col2)};
        assert_true(cols[0] >= 0 && cols[1] >= 0);
        while (aps_csv_next(c, &f, &n) == 1)
            for (int k = 0; k < 2; k++)
                if ((size_t)cols[k] < n && *f[cols[k]])
                    fn(f[cols[k]], arg);
        aps_csv_close(c);
    }
    globfree(&g);
}

struct own_keys {
    enum aps_sport sport;
    const char *dir;
    size_t names, moved;
};

static void check_own_key(const char *name, void *arg)
{
    struct own_keys *o = arg;
    const char *key = resolved_key(o->sport, name);
    o->names++;
    if (!key || strcmp(key, name)) {
        printf("  %s \"%s\" resolves to %s\n", o->dir, name, key ? key : "(nothing)");
        o->moved++;
    }
}

/* Every club name of football-data's files (the history) is its own key: the soccer tables give
 * the live providers' spellings of a club football-data's name, never move a historical name to
 * another club. */
static void test_football_data_names_are_their_own_keys(void **state)
{
    static const struct {
        enum aps_sport sport;
        const char *dir;
    } leagues[] = {{APS_SPORT_EPL, "E0"},
                   {APS_SPORT_LALIGA, "SP1"},
                   {APS_SPORT_BUNDESLIGA, "D1"},
                   {APS_SPORT_SERIEA, "I1"},
                   {APS_SPORT_LIGUE1, "F1"}};
    size_t names = 0, moved = 0;
    for (size_t l = 0; l < sizeof leagues / sizeof leagues[0]; l++) {
        char pattern[256];
        struct own_keys o = {leagues[l].sport, leagues[l].dir, 0, 0};
        snprintf(pattern, sizeof pattern, DATA "football-data/%s/*.csv", leagues[l].dir);
        each_name(pattern, "HomeTeam", "AwayTeam", check_own_key, &o);
        names += o.names;
        moved += o.moved;
    }
    assert_true(names > 10000);
    assert_int_equal(moved, 0);
}

static void add_name(const char *name, void *arg)
{
    aps_strmap_put(arg, name, 1);
}

/* The tours' lists (teams_atp.def, teams_wta.def) are the history's own spellings: every key and
 * alias is a name the tour's files write. */
static void test_tennis_lists_are_history_names(void **state)
{
    struct aps_strmap atp = {0}, wta = {0};
    each_name(DATA "tennis-data/atp/*.csv", "Winner", "Loser", add_name, &atp);
    each_name(DATA "tennis-data/deuce-grand-slams/atp_odds.csv", "Winner", "Loser", add_name, &atp);
    each_name(DATA "tennis-data/deuce-grand-slams/wta_odds.csv", "Winner", "Loser", add_name, &wta);
    size_t missing = 0, listed = 0;
    for (size_t t = 0; t < sizeof tables / sizeof tables[0]; t++) {
        struct aps_strmap *names = tables[t].sport == APS_SPORT_ATP   ? &atp
                                   : tables[t].sport == APS_SPORT_WTA ? &wta
                                                                      : NULL;
        for (size_t r = 0; names && r < tables[t].n; r++) {
            const struct def_row *row = &tables[t].rows[r];
            char all[256];
            snprintf(all, sizeof all, "%s|%s", row->key, row->aliases);
            for (char *p = all, *bar; p; p = bar ? bar + 1 : NULL) {
                int64_t v;
                bar = strchr(p, '|');
                if (bar)
                    *bar = '\0';
                listed++;
                if (!aps_strmap_get(names, p, &v)) {
                    printf("  %s \"%s\" is in no file of the tour\n",
                           aps_sport_info(tables[t].sport)->code, p);
                    missing++;
                }
            }
        }
    }
    aps_strmap_cleanup(&atp);
    aps_strmap_cleanup(&wta);
    assert_int_equal(listed, 22);
    assert_int_equal(missing, 0);
}

static void *resolve_many(void *arg)
{
    size_t *bad = arg;
    for (int i = 0; i < 2000; i++) {
        struct aps_team_ref r;
        if (aps_team_resolve(APS_SPORT_NFL, "Houston Oilers", &r) || strcmp(r.key, "TEN"))
            ++*bad;
    }
    return NULL;
}

/* Must run first: the index is built on first use, here by several threads at once. */
static void test_first_use_from_many_threads(void **state)
{
    pthread_t th[4];
    size_t bad[4] = {0};
    for (int i = 0; i < 4; i++)
        assert_int_equal(pthread_create(&th[i], NULL, resolve_many, &bad[i]), 0);
    for (int i = 0; i < 4; i++) {
        pthread_join(th[i], NULL);
        assert_int_equal(bad[i], 0);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_first_use_from_many_threads),
        cmocka_unit_test(test_every_alias_resolves_to_its_own_team),
        cmocka_unit_test(test_no_alias_names_two_teams),
        cmocka_unit_test(test_keys_unique_and_team_counts),
        cmocka_unit_test(test_nfl_files_resolve),
        cmocka_unit_test(test_nba_nhl_mlb_wnba_files_resolve),
        cmocka_unit_test(test_ncaab_spellings_are_one_team),
        cmocka_unit_test(test_json_sources_resolve),
        cmocka_unit_test(test_franchise_moves),
        cmocka_unit_test(test_display_name_and_case),
        cmocka_unit_test(test_unknown_and_invalid),
        cmocka_unit_test(test_open_fields),
        cmocka_unit_test(test_football_data_names_are_their_own_keys),
        cmocka_unit_test(test_tennis_lists_are_history_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
