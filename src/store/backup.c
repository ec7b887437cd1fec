/* backup.c — the dispatch of whole-store backups and restores to the backend (backup.h). */
#include "store/backup.h"

#include <string.h>

#include "store/backup_int.h"
#include "store/store.h"

static const struct aps_backup_ops *ops_of(const struct aps_store *st)
{
    return !st || aps_store_kind(st) == APS_DB_POSTGRES ? &aps_backup_pg_ops
                                                        : &aps_backup_sqlite_ops;
}

const char *aps_store_backup_kind(const struct aps_store *st)
{
    return ops_of(st)->kind;
}

bool aps_store_backup_names_slot(const struct aps_store *st)
{
    return ops_of(st)->names_slot;
}

int aps_store_backup(const struct aps_config *cfg, struct aps_store *st, int64_t at,
                     struct aps_backup_result *out, char *err, size_t errcap)
{
    return ops_of(st)->run(cfg, st, at, out, err, errcap);
}

int aps_store_backup_list(const struct aps_config *cfg, struct aps_store *st,
                          struct aps_buf *out, char *err, size_t errcap)
{
    return ops_of(st)->list(cfg, out, err, errcap);
}

int aps_store_backup_verify(const struct aps_config *cfg, struct aps_store *st,
                            struct aps_buf *out, char *err, size_t errcap)
{
    return ops_of(st)->verify(cfg, out, err, errcap);
}

int aps_store_backup_prune(const struct aps_config *cfg, struct aps_store *st, int64_t now,
                           int *removed, char *err, size_t errcap)
{
    *removed = 0;
    return ops_of(st)->prune(cfg, now, removed, err, errcap);
}

int aps_store_restore(const struct aps_config *cfg, struct aps_store *st,
                      const struct aps_restore_opts *o, aps_restore_check_fn check, void *arg,
                      struct aps_store_restored *r, char *err, size_t errcap)
{
    memset(r, 0, sizeof *r);
    return ops_of(st)->restore(cfg, st, o, check, arg, r, err, errcap);
}
