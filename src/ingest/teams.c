/* teams.c — resolves a source's team name to one canonical team per sport (see teams.h).
 *
 * The curated leagues' teams live in teams_<sport>.def, and so do the soccer clubs whose
 * spellings differ between the sources (teams_epl.def…), the college basketball teams SBR spells
 * several ways (teams_ncaab.def) and the tennis players the history writes with other initials
 * (teams_atp.def, teams_wta.def). On first use one index per such sport
 * is built (under pthread_once): every alias, the key and the display name, normalised, in a
 * sorted array searched by binary search. The index is a read-only singleton after that, so
 * lookups from many threads need no lock. It is never freed; it lives as long as the process.
 *
 * Normalising for the match: ASCII letters lower-cased; spaces, dots, apostrophes (also the
 * typographic ’) and hyphens dropped. Other bytes, UTF-8 included, compare as they are. */
#include "ingest/teams.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "core/mem.h"
#include "core/str.h"

/* The longest normalised alias or source name that can match, with its NUL. */
#define NORM_MAX 96

struct team_def {
    const char *key, *name, *aliases;
};

#define APS_TEAM(key, name, aliases) {key, name, aliases},
static const struct team_def nfl_teams[] = {
#include "ingest/teams_nfl.def"
};
static const struct team_def nba_teams[] = {
#include "ingest/teams_nba.def"
};
static const struct team_def nhl_teams[] = {
#include "ingest/teams_nhl.def"
};
static const struct team_def mlb_teams[] = {
#include "ingest/teams_mlb.def"
};
static const struct team_def wnba_teams[] = {
#include "ingest/teams_wnba.def"
};
static const struct team_def epl_teams[] = {
#include "ingest/teams_epl.def"
};
static const struct team_def laliga_teams[] = {
#include "ingest/teams_laliga.def"
};
static const struct team_def bundesliga_teams[] = {
#include "ingest/teams_bundesliga.def"
};
static const struct team_def seriea_teams[] = {
#include "ingest/teams_seriea.def"
};
static const struct team_def ligue1_teams[] = {
#include "ingest/teams_ligue1.def"
};
static const struct team_def atp_players[] = {
#include "ingest/teams_atp.def"
};
static const struct team_def wta_players[] = {
#include "ingest/teams_wta.def"
};
static const struct team_def ncaab_teams[] = {
#include "ingest/teams_ncaab.def"
};
#undef APS_TEAM

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

struct alias_ent {
    char norm[NORM_MAX];
    size_t team; /* index into the sport's team_def array */
};

struct sport_index {
    const struct team_def *teams;
    size_t nteams;
    struct alias_ent *ents; /* sorted by (norm, team), duplicates removed */
    size_t nents;
};

/* The singleton: written once by build_all() under pthread_once, read-only afterwards. */
static struct sport_index g_index[APS_SPORT__COUNT];
static pthread_once_t g_once = PTHREAD_ONCE_INIT;

bool aps_teams_curated(enum aps_sport sport)
{
    return sport == APS_SPORT_NFL || sport == APS_SPORT_NBA || sport == APS_SPORT_NHL ||
           sport == APS_SPORT_MLB || sport == APS_SPORT_WNBA;
}

bool aps_teams_listed(enum aps_sport sport)
{
    const struct aps_sport_info *si = aps_sport_info(sport);
    return si->three_way || si->kind == APS_KIND_TENNIS || sport == APS_SPORT_NCAAB;
}

/* Normalises n bytes of s into out (cap bytes). Returns the length, or -1 when it does not fit. */
static int normalise(const char *s, size_t n, char *out, size_t cap)
{
    size_t len = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == ' ' || c == '\t' || c == '.' || c == '\'' || c == '-')
            continue;
        /* U+2019 RIGHT SINGLE QUOTATION MARK, the typographic apostrophe. */
        if (c == 0xE2 && i + 2 < n && (unsigned char)s[i + 1] == 0x80 &&
            (unsigned char)s[i + 2] == 0x99) {
            i += 2;
            continue;
        }
        if (c >= 'A' && c <= 'Z')
            c = (unsigned char)(c - 'A' + 'a');
        if (len + 1 >= cap)
            return -1;
        out[len++] = (char)c;
    }
    out[len] = '\0';
    return (int)len;
}

static int cmp_ent(const void *a, const void *b)
{
    const struct alias_ent *x = a, *y = b;
    int c = strcmp(x->norm, y->norm);
    if (c)
        return c;
    return (x->team > y->team) - (x->team < y->team);
}

/* Adds one alias of team ti; empty pieces (a stray "||") are skipped. An alias too long to
 * normalise is a mistake in the .def file; test_teams resolves every alias and would catch it. */
static void add_alias(struct sport_index *ix, size_t ti, const char *s, size_t n)
{
    struct alias_ent *e = &ix->ents[ix->nents];
    if (normalise(s, n, e->norm, sizeof e->norm) <= 0)
        return;
    e->team = ti;
    ix->nents++;
}

static size_t count_aliases(const struct team_def *teams, size_t nteams)
{
    size_t n = 0;
    for (size_t i = 0; i < nteams; i++) {
        n += 3; /* key, name, and the first piece of the alias list */
        for (const char *p = teams[i].aliases; *p; p++)
            n += *p == '|';
    }
    return n;
}

static void build_sport(struct sport_index *ix, const struct team_def *teams, size_t nteams)
{
    ix->teams = teams;
    ix->nteams = nteams;
    ix->ents = aps_calloc(count_aliases(teams, nteams), sizeof *ix->ents);
    for (size_t i = 0; i < nteams; i++) {
        add_alias(ix, i, teams[i].key, strlen(teams[i].key));
        add_alias(ix, i, teams[i].name, strlen(teams[i].name));
        const char *p = teams[i].aliases;
        for (;;) {
            const char *bar = strchr(p, '|');
            size_t n = bar ? (size_t)(bar - p) : strlen(p);
            add_alias(ix, i, p, n);
            if (!bar)
                break;
            p = bar + 1;
        }
    }
    qsort(ix->ents, ix->nents, sizeof *ix->ents, cmp_ent);
    /* The same alias listed twice for one team ("SanDiego" beside "San Diego") is one entry. */
    size_t w = 0;
    for (size_t r = 0; r < ix->nents; r++) {
        if (w && !cmp_ent(&ix->ents[w - 1], &ix->ents[r]))
            continue;
        ix->ents[w++] = ix->ents[r];
    }
    ix->nents = w;
}

static void build_all(void)
{
    build_sport(&g_index[APS_SPORT_NFL], nfl_teams, COUNT(nfl_teams));
    build_sport(&g_index[APS_SPORT_NBA], nba_teams, COUNT(nba_teams));
    build_sport(&g_index[APS_SPORT_NHL], nhl_teams, COUNT(nhl_teams));
    build_sport(&g_index[APS_SPORT_MLB], mlb_teams, COUNT(mlb_teams));
    build_sport(&g_index[APS_SPORT_WNBA], wnba_teams, COUNT(wnba_teams));
    build_sport(&g_index[APS_SPORT_EPL], epl_teams, COUNT(epl_teams));
    build_sport(&g_index[APS_SPORT_LALIGA], laliga_teams, COUNT(laliga_teams));
    build_sport(&g_index[APS_SPORT_BUNDESLIGA], bundesliga_teams, COUNT(bundesliga_teams));
    build_sport(&g_index[APS_SPORT_SERIEA], seriea_teams, COUNT(seriea_teams));
    build_sport(&g_index[APS_SPORT_LIGUE1], ligue1_teams, COUNT(ligue1_teams));
    build_sport(&g_index[APS_SPORT_ATP], atp_players, COUNT(atp_players));
    build_sport(&g_index[APS_SPORT_WTA], wta_players, COUNT(wta_players));
    build_sport(&g_index[APS_SPORT_NCAAB], ncaab_teams, COUNT(ncaab_teams));
}

/* The first entry whose alias is norm (lowest team index on a tie), or NULL. */
static const struct alias_ent *find(const struct sport_index *ix, const char *norm)
{
    size_t lo = 0, hi = ix->nents;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (strcmp(ix->ents[mid].norm, norm) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo < ix->nents && !strcmp(ix->ents[lo].norm, norm))
        return &ix->ents[lo];
    return NULL;
}

static int resolve_curated(enum aps_sport sport, const char *name, struct aps_team_ref *out)
{
    char norm[NORM_MAX];
    int n = normalise(name, strlen(name), norm, sizeof norm);
    if (n == 0)
        return APS_E_INVAL;
    if (n < 0)
        return APS_E_NOTFOUND;
    pthread_once(&g_once, build_all);
    const struct sport_index *ix = &g_index[sport];
    const struct alias_ent *e = find(ix, norm);
    if (!e)
        return APS_E_NOTFOUND;
    const struct team_def *t = &ix->teams[e->team];
    (void)aps_str_copy(out->key, sizeof out->key, t->key);
    (void)aps_str_copy(out->name, sizeof out->name, t->name);
    return 0;
}

/* Open fields: the name with leading and trailing white space dropped and every inner run of
 * white space made one space. */
static int resolve_open(const char *name, struct aps_team_ref *out)
{
    size_t len = 0;
    bool gap = false;
    for (const char *p = name; *p; p++) {
        bool space = *p == ' ' || *p == '\t' || *p == '\n' || *p == '\r' || *p == '\v' ||
                     *p == '\f';
        if (space) {
            gap = len > 0;
            continue;
        }
        if (len + (gap ? 2 : 1) >= sizeof out->key)
            return APS_E_TOOBIG;
        if (gap)
            out->key[len++] = ' ';
        gap = false;
        out->key[len++] = *p;
    }
    out->key[len] = '\0';
    if (!len)
        return APS_E_INVAL;
    memcpy(out->name, out->key, len + 1);
    return 0;
}

int aps_team_resolve(enum aps_sport sport, const char *source_name, struct aps_team_ref *out)
{
    if (!source_name || !out || (int)sport < 0 || sport >= APS_SPORT__COUNT)
        return APS_E_INVAL;
    if (aps_teams_curated(sport))
        return resolve_curated(sport, source_name, out);
    /* A soccer league's or NCAAB's listed spellings meet on one team, a tour's on one player;
     * any other name is its own key. */
    int rc = aps_teams_listed(sport) ? resolve_curated(sport, source_name, out) : APS_E_NOTFOUND;
    return rc == APS_E_NOTFOUND ? resolve_open(source_name, out) : rc;
}
