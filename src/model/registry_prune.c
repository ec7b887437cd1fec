/* registry_prune.c — the retention of model artefacts (seed §6.1): production models are kept
 * forever, training artefacts for 90 days (registry.h has the states).
 *
 * A model that was never promoted (promoted_at NULL), created before the cut-off and not the
 * newest model of its sport and market, is pruned: in one transaction its walk-forward
 * predictions are deleted and its row becomes status 'pruned' (the row stays: training runs
 * name it as their best model, and it keeps the model's metrics and training-data hash for the
 * record); then its artefact folder is deleted. The row changes first, so an interruption
 * leaves files of a pruned row — which the next prune deletes — and never a registered
 * challenger without its files. Only the files a model folder holds (model.json, base<i>.json)
 * are deleted, then the folder: a path that is anything else is left alone and counted. */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/mem.h"
#include "core/str.h"
#include "model/registry.h"
#include "store/store.h"

struct victim {
    int64_t id;
    char path[512];
    bool pruned; /* already pruned: only its files are left to delete */
};

/* Models to prune and pruned models whose folder may remain, into *out (aps_free it). */
static int victims(struct aps_conn *c, int64_t before, struct victim **out, size_t *n)
{
    static const char sql[] =
        "SELECT m.id, m.path, CASE WHEN m.status = 'pruned' THEN 1 ELSE 0 END FROM models m"
        " WHERE m.status = 'pruned' OR (m.promoted_at IS NULL AND m.status <> 'production'"
        " AND m.created_at < ?1 AND m.id <> (SELECT n.id FROM models n WHERE n.sport_id ="
        " m.sport_id AND n.market = m.market ORDER BY n.created_at DESC, n.id DESC LIMIT 1))"
        " ORDER BY m.id";
    struct aps_stmt *st = NULL;
    size_t cap = 0;
    *out = NULL;
    *n = 0;
    int rc = aps_conn_preparef(c, &st, sql, "i", before);
    while (!rc && (rc = aps_stmt_step(st)) == APS_ROW) {
        rc = 0;
        if (*n == cap)
            *out = aps_realloc(*out, (cap = cap ? cap * 2 : 16) * sizeof **out);
        struct victim *v = &(*out)[(*n)++];
        v->id = aps_stmt_int64(st, 0);
        (void)aps_str_copy(v->path, sizeof v->path, aps_stmt_text(st, 1) ?: "");
        v->pruned = aps_stmt_int64(st, 2) != 0;
    }
    aps_stmt_finalize(st);
    return rc < 0 ? rc : 0;
}

static int mark_pruned(struct aps_conn *c, int64_t id)
{
    int64_t dummy = 0;
    int rc = aps_conn_begin(c);
    if (!rc)
        rc = aps_conn_execf(c, "DELETE FROM model_predictions WHERE model_id = ?1", "i", id);
    if (!rc) /* APS_E_NOTFOUND when the model is gone */
        rc = aps_conn_query_row(c, "UPDATE models SET status = 'pruned' WHERE id = ?1"
                                   " RETURNING 1", "i", &dummy, "i", id);
    if (!rc)
        rc = aps_conn_commit(c);
    else
        aps_conn_rollback(c);
    return rc;
}

static bool artefact_name(const char *s)
{
    int b, n = 0;
    return !strcmp(s, "model.json") ||
           (sscanf(s, "base%d.json%n", &b, &n) == 1 && b >= 0 && (size_t)n == strlen(s));
}

/* Deletes a model folder's artefacts and the folder. 0 when it is gone (or never was),
 * APS_E_STATE when it holds anything else (then it is left as it is). */
static int remove_folder(const char *path)
{
    DIR *d = opendir(path);
    if (!d)
        return errno == ENOENT ? 0 : APS_E_IO;
    int rc = 0;
    for (struct dirent *e; !rc && (e = readdir(d));)
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..") && !artefact_name(e->d_name))
            rc = APS_E_STATE;
    rewinddir(d);
    for (struct dirent *e; !rc && (e = readdir(d));) {
        char file[PATH_MAX];
        if (!artefact_name(e->d_name))
            continue;
        if (snprintf(file, sizeof file, "%s/%s", path, e->d_name) >= (int)sizeof file)
            rc = APS_E_TOOBIG;
        else if (unlink(file) && errno != ENOENT)
            rc = APS_E_IO;
    }
    closedir(d);
    if (!rc && rmdir(path) && errno != ENOENT)
        rc = APS_E_IO;
    return rc;
}

int aps_registry_prune(struct aps_conn *c, int64_t before, int *pruned, int *kept_files)
{
    struct victim *v = NULL;
    size_t n = 0;
    *pruned = *kept_files = 0;
    int rc = victims(c, before, &v, &n);
    for (size_t i = 0; !rc && i < n; i++) {
        if (!v[i].pruned) {
            rc = mark_pruned(c, v[i].id);
            if (rc)
                break;
            ++*pruned;
        }
        if (v[i].path[0] && remove_folder(v[i].path))
            ++*kept_files;
    }
    aps_free(v);
    return rc;
}
