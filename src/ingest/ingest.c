/* ingest.c — source table, file discovery and parsing dispatch (see ingest.h). */
#include "ingest/ingest.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/mem.h"
#include "core/str.h"
#include "ingest/loaders.h"

static int load_sbr_any(const char *path, struct aps_batch *b, char *err, size_t errcap)
{
    return aps_load_sbr(path, -1, b, err, errcap);
}

static bool ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && !strcmp(s + n - m, suffix);
}

static const char *base_name(const char *path)
{
    const char *p = strrchr(path, '/');
    return p ? p + 1 : path;
}

static bool want_csv(const char *path)
{
    return ends_with(path, ".csv");
}

static bool want_json(const char *path)
{
    return ends_with(path, ".json");
}

static bool want_spreadspoke(const char *path)
{
    return !strcmp(base_name(path), "spreadspoke_scores.csv");
}

static bool want_sbr(const char *path)
{
    return want_csv(path) && aps_load_sbr_sport(path) >= 0; /* the loader's own reading */
}

/* 538: the game files; not initial_elos.csv (starting ratings) nor the World Cup files (no
 * canonical sport for national teams). */
static bool want_538(const char *path)
{
    const char *b = base_name(path);
    return want_csv(path) && strcmp(b, "initial_elos.csv") && !aps_str_starts(b, "world_cup");
}

static const struct {
    const char *name, *subdir;
    int (*load)(const char *, struct aps_batch *, char *, size_t);
    bool (*want)(const char *);
} sources[APS_SOURCE__COUNT] = {
    [APS_SOURCE_SPREADSPOKE] = {"spreadspoke", "spreadspoke", aps_load_spreadspoke,
                                want_spreadspoke},
    [APS_SOURCE_SBR_NFL] = {"sbr-nfl", "sportsbookreview/nfl", aps_load_sbr_nfl, want_json},
    [APS_SOURCE_FOOTBALL_DATA] = {"football-data", "football-data", aps_load_football_data,
                                  want_csv},
    [APS_SOURCE_SBR] = {"sbr", "sportsbookreview", load_sbr_any, want_sbr},
    [APS_SOURCE_TENNIS_DATA] = {"tennis-data", "tennis-data", aps_load_tennis_data, want_csv},
    [APS_SOURCE_FIVETHIRTYEIGHT] = {"fivethirtyeight", "fivethirtyeight", aps_load_fivethirtyeight,
                                    want_538},
};

const char *aps_source_name(enum aps_source s)
{
    return (unsigned)s < APS_SOURCE__COUNT ? sources[s].name : "?";
}

int aps_source_from_name(const char *name)
{
    for (int i = 0; i < APS_SOURCE__COUNT; i++)
        if (!strcmp(name, sources[i].name))
            return i;
    return -1;
}

const char *aps_source_subdir(enum aps_source s)
{
    return (unsigned)s < APS_SOURCE__COUNT ? sources[s].subdir : "";
}

struct path_list {
    char **v;
    size_t n, cap;
};

static void list_add(struct path_list *l, const char *p)
{
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 16;
        l->v = aps_realloc(l->v, l->cap * sizeof *l->v);
    }
    l->v[l->n++] = aps_strdup(p);
}

static int walk(const char *dir, bool (*want)(const char *), struct path_list *out, int depth)
{
    if (depth > 8)
        return 0;
    DIR *d = opendir(dir);
    if (!d)
        return APS_E_IO;
    struct dirent *e;
    int rc = 0;
    while (!rc && (e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        size_t len = strlen(dir) + strlen(e->d_name) + 2;
        char *p = aps_malloc(len);
        snprintf(p, len, "%s/%s", dir, e->d_name);
        struct stat st;
        if (stat(p, &st) == 0) {
            if (S_ISDIR(st.st_mode))
                rc = walk(p, want, out, depth + 1);
            else if (S_ISREG(st.st_mode) && want(p))
                list_add(out, p);
        }
        aps_free(p);
    }
    closedir(d);
    return rc;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int aps_ingest_discover(enum aps_source s, const char *path, char ***paths, size_t *n)
{
    struct path_list l = {0};
    struct stat st;
    *paths = NULL;
    *n = 0;
    if ((unsigned)s >= APS_SOURCE__COUNT)
        return APS_E_INVAL;
    if (stat(path, &st) != 0)
        return APS_E_NOTFOUND;
    if (S_ISDIR(st.st_mode)) {
        int rc = walk(path, sources[s].want, &l, 0);
        if (rc) {
            aps_ingest_paths_free(l.v, l.n);
            return rc;
        }
        if (l.n > 1) /* an empty folder has no list at all (qsort of NULL is undefined) */
            qsort(l.v, l.n, sizeof *l.v, cmp_str);
    } else if (S_ISREG(st.st_mode)) {
        list_add(&l, path);
    } else {
        return APS_E_UNSUPPORTED; /* a FIFO or a device: reading it could wait forever */
    }
    *paths = l.v;
    *n = l.n;
    return 0;
}

void aps_ingest_paths_free(char **paths, size_t n)
{
    for (size_t i = 0; i < n; i++)
        aps_free(paths[i]);
    aps_free(paths);
}

int aps_ingest_parse(enum aps_source s, const char *path, struct aps_batch *b, char *err,
                     size_t errcap)
{
    if ((unsigned)s >= APS_SOURCE__COUNT)
        return APS_E_INVAL;
    b->source = sources[s].name;
    return sources[s].load(path, b, err, errcap);
}

/* Records of each sport among the batch's games and forecasts. */
static void count_sports(const struct aps_batch *b, size_t count[APS_SPORT__COUNT])
{
    for (size_t i = 0; i < b->ngames; i++)
        count[b->games[i].sport]++;
    for (size_t i = 0; i < b->nforecasts; i++)
        count[b->forecasts[i].sport]++;
}

_Static_assert(APS_SPORT__COUNT <= 64, "a sport is one bit of aps_batch_sports()");

uint64_t aps_batch_sports(const struct aps_batch *b)
{
    size_t count[APS_SPORT__COUNT] = {0};
    count_sports(b, count);
    uint64_t m = 0;
    for (int s = 0; s < APS_SPORT__COUNT; s++)
        if (count[s])
            m |= 1ull << s;
    return m;
}

int aps_batch_main_sport(const struct aps_batch *b)
{
    size_t count[APS_SPORT__COUNT] = {0};
    count_sports(b, count);
    int best = -1;
    for (int s = 0; s < APS_SPORT__COUNT; s++)
        if (count[s] && (best < 0 || count[s] > count[best]))
            best = s;
    return best;
}
