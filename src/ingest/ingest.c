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

static void list_free(struct path_list *l)
{
    for (size_t i = 0; i < l->n; i++)
        aps_free(l->v[i]);
    aps_free(l->v);
    memset(l, 0, sizeof *l);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorts the list's entries from index `from` on. */
static void list_sort(struct path_list *l, size_t from)
{
    if (l->n > from + 1) /* an empty list has no array at all (qsort of NULL is undefined) */
        qsort(l->v + from, l->n - from, sizeof *l->v, cmp_str);
}

/* Folders and files met in a walk, by device and inode, each with the path it was met by first:
 * a link back up the tree (a loop) or a second way to one folder or file is then seen as such. */
struct aps_ingest_seen {
    dev_t dev;
    ino_t ino;
    char *path;
};

struct walker {
    bool (*want)(const char *);
    struct path_list files, notes;
    struct aps_ingest_seen *seen;
    size_t nseen, capseen;
};

enum { MAX_DEPTH = 8 };

/* The path by which st's folder or file was met before, or NULL (and it is now met by path). */
static const char *met_before(struct walker *w, const struct stat *st, const char *path)
{
    for (size_t i = 0; i < w->nseen; i++)
        if (w->seen[i].dev == st->st_dev && w->seen[i].ino == st->st_ino)
            return w->seen[i].path;
    if (w->nseen == w->capseen) {
        w->capseen = w->capseen ? w->capseen * 2 : 32;
        w->seen = aps_realloc(w->seen, w->capseen * sizeof *w->seen);
    }
    w->seen[w->nseen++] = (struct aps_ingest_seen){st->st_dev, st->st_ino, aps_strdup(path)};
    return NULL;
}

/* Notes an entry not read again: a link back to a folder above it (a loop), a second way to a
 * folder or to a file, or the same path reached again (given twice, or a folder's subfolder
 * given after it). */
static void note(struct walker *w, const char *path, const char *first, bool folder)
{
    char line[8192];
    size_t n = strlen(first);
    if (folder && !strncmp(path, first, n) && path[n] == '/')
        snprintf(line, sizeof line, "%s: a link back to %s (a loop); not followed", path, first);
    else if (!strcmp(path, first))
        snprintf(line, sizeof line, "%s: reached twice; %s once", path,
                 folder ? "searched" : "read");
    else
        snprintf(line, sizeof line, "%s: the same %s as %s; %s once", path,
                 folder ? "folder" : "file", first, folder ? "searched" : "read");
    list_add(&w->notes, line);
}

static int walk(struct walker *w, const char *dir, int depth);

/* One entry of a folder: a folder is walked and a wanted file kept, each unless it was met
 * before; folders deeper than MAX_DEPTH are not searched. */
static int visit(struct walker *w, const char *dir, const char *name, int depth)
{
    size_t len = strlen(dir) + strlen(name) + 2;
    char *p = aps_malloc(len);
    snprintf(p, len, "%s/%s", dir, name);
    struct stat st;
    int rc = 0;
    bool folder = false, keep = false;
    if (stat(p, &st) == 0) { /* else a dangling link, or an entry gone since */
        folder = S_ISDIR(st.st_mode) && depth < MAX_DEPTH;
        keep = folder || (S_ISREG(st.st_mode) && w->want(p));
    }
    const char *first = keep ? met_before(w, &st, p) : NULL;
    if (first)
        note(w, p, first, folder);
    else if (keep && folder)
        rc = walk(w, p, depth + 1);
    else if (keep)
        list_add(&w->files, p);
    aps_free(p);
    return rc;
}

/* Walks dir's entries in name order, so that which of two ways to one folder or file is kept
 * does not depend on the order the file system lists them in. */
static int walk(struct walker *w, const char *dir, int depth)
{
    DIR *d = opendir(dir);
    if (!d)
        return APS_E_IO;
    struct path_list names = {0};
    for (struct dirent *e = readdir(d); e; e = readdir(d))
        if (e->d_name[0] != '.')
            list_add(&names, e->d_name);
    closedir(d);
    list_sort(&names, 0);
    int rc = 0;
    for (size_t i = 0; i < names.n && !rc; i++)
        rc = visit(w, dir, names.v[i], depth);
    list_free(&names);
    return rc;
}

int aps_ingest_discover_add(enum aps_source s, const char *path, struct aps_ingest_found *out)
{
    /* the walker takes over out's lists (a full list grows on the next add) and gives them back */
    struct walker w = {.want = (unsigned)s < APS_SOURCE__COUNT ? sources[s].want : NULL,
                       .files = {out->paths, out->n, out->n},
                       .notes = {out->notes, out->nnotes, out->nnotes},
                       .seen = out->seen,
                       .nseen = out->nseen,
                       .capseen = out->capseen};
    size_t from = out->n;
    struct stat st;
    int rc = 0;
    if (!w.want)
        return APS_E_INVAL;
    if (stat(path, &st) != 0)
        return APS_E_NOTFOUND;
    bool folder = S_ISDIR(st.st_mode);
    if (!folder && !S_ISREG(st.st_mode))
        return APS_E_UNSUPPORTED; /* a FIFO or a device: reading it could wait forever */
    const char *first = met_before(&w, &st, path);
    if (first)
        note(&w, path, first, folder);
    else if (folder)
        rc = walk(&w, path, 0);
    else
        list_add(&w.files, path);
    list_sort(&w.files, from);
    *out = (struct aps_ingest_found){.paths = w.files.v,
                                     .n = w.files.n,
                                     .notes = w.notes.v,
                                     .nnotes = w.notes.n,
                                     .seen = w.seen,
                                     .nseen = w.nseen,
                                     .capseen = w.capseen};
    return rc;
}

int aps_ingest_discover(enum aps_source s, const char *path, struct aps_ingest_found *out)
{
    memset(out, 0, sizeof *out);
    int rc = aps_ingest_discover_add(s, path, out);
    if (rc)
        aps_ingest_found_free(out);
    return rc;
}

void aps_ingest_found_free(struct aps_ingest_found *f)
{
    struct path_list files = {f->paths, f->n, f->n}, notes = {f->notes, f->nnotes, f->nnotes};
    list_free(&files);
    list_free(&notes);
    for (size_t i = 0; i < f->nseen; i++)
        aps_free(f->seen[i].path);
    aps_free(f->seen);
    memset(f, 0, sizeof *f);
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
