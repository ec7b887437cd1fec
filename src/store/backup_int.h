/* backup_int.h — what the backup dispatch (backup.c) and its backends (backup_sqlite.c,
 * backup_pg.c) share. Not a public header: only those files include it.
 *
 * A backend is one `struct aps_backup_ops` method table, as a query backend is one
 * `struct aps_store_ops` (store_backend.h). Every function returns 0 or a negative APS_E_* with
 * one line in err. */
#ifndef APS_STORE_BACKUP_INT_H
#define APS_STORE_BACKUP_INT_H

#include "store/backup.h"

struct aps_backup_ops {
    const char *kind;  /* "postgres" or "sqlite": the backups table's kind */
    bool names_slot;   /* see aps_store_backup_names_slot() */
    int (*run)(const struct aps_config *cfg, struct aps_store *st, int64_t at,
               struct aps_backup_result *out, char *err, size_t errcap);
    int (*list)(const struct aps_config *cfg, struct aps_buf *out, char *err, size_t errcap);
    int (*verify)(const struct aps_config *cfg, struct aps_buf *out, char *err, size_t errcap);
    int (*prune)(const struct aps_config *cfg, int64_t now, int *removed, char *err,
                 size_t errcap);
    int (*restore)(const struct aps_config *cfg, struct aps_store *st,
                   const struct aps_restore_opts *o, aps_restore_check_fn check, void *arg,
                   struct aps_store_restored *r, char *err, size_t errcap);
};

extern const struct aps_backup_ops aps_backup_sqlite_ops;
extern const struct aps_backup_ops aps_backup_pg_ops;

#endif
