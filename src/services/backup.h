/* backup.h — backups and restores of the store, shared by `aps backup` / `aps restore` and the
 * scheduler's daily backup job (seed §6.1, §6.2).
 *
 * The store makes and restores the backups on its backend (store/backup.h: pgBackRest on
 * PostgreSQL, SQLite's online backup API on SQLite, and the retention policy of each). This
 * module keeps their record: every backup (success or failure), prune and verified restore is
 * recorded in the store's backups table; it checks a restored database's contents (picks,
 * bankrolls, bets and the lock-in chain); and aps_backup_metrics_update() computes the
 * aps_backup_* and aps_dr_* metrics from the table, so every process reports the same numbers.
 * Functions return 0 or a negative APS_E_* with one line in err; they do not log. */
#ifndef APS_SERVICES_BACKUP_H
#define APS_SERVICES_BACKUP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "store/backup.h"

struct aps_buf;
struct aps_config;
struct aps_metrics;
struct aps_store;

/* Takes a full backup of st, records it, then prunes. now: the clock (seconds); slot: the
 * scheduled slot the backup stands for (0: now) — a slot already backed up successfully is not
 * backed up again (out->existed). A failed backup is recorded too. */
int aps_backup_run(const struct aps_config *cfg, struct aps_store *st, int64_t now, int64_t slot,
                   struct aps_backup_result *out, char *err, size_t errcap) APS_MUST_CHECK;
/* Appends one line per backup held (oldest first): time, label, size, state. */
int aps_backup_list(const struct aps_config *cfg, struct aps_store *st, struct aps_buf *out,
                    char *err, size_t errcap) APS_MUST_CHECK;
/* Checks the backups (aps_store_backup_verify()). Appends what was checked to out;
 * APS_E_INTEGRITY when something is wrong. */
int aps_backup_verify(const struct aps_config *cfg, struct aps_store *st, struct aps_buf *out,
                      char *err, size_t errcap) APS_MUST_CHECK;
/* Applies the retention policy at time now; never removes the newest valid backup (and removes
 * nothing when the newest backup is not valid). *removed: how many went. */
int aps_backup_prune(const struct aps_config *cfg, struct aps_store *st, int64_t now,
                     int *removed, char *err, size_t errcap) APS_MUST_CHECK;

struct aps_restore_result {
    char source[1024];    /* SQLite: the copy restored; PostgreSQL: the target */
    char url[512];        /* PostgreSQL: where the restored cluster answers */
    int64_t picks, bankrolls, bets;
    bool chain_ok;        /* the lock-in hash chain of the picks verified */
    char head[72];        /* its head hash */
    double seconds;       /* restore and verification, wall clock */
};

/* Restores and verifies. PostgreSQL: a point-in-time restore of the pgBackRest repository into
 * o->pg_path, started on o->port, promoted at the target, then checked; SQLite: the copy is
 * integrity-checked, copied into the store st (DATABASE_URL) and checked again. The check counts
 * picks, bankrolls and bets and walks the lock-in chain; a broken chain is APS_E_INTEGRITY. A
 * verified restore is recorded in st when st is open (else in the restored database). */
int aps_backup_restore(const struct aps_config *cfg, struct aps_store *st,
                       const struct aps_restore_opts *o, struct aps_restore_result *out, char *err,
                       size_t errcap) APS_MUST_CHECK;

/* Sets the aps_backup_* and aps_dr_drill_* metrics from the backups table (and, on PostgreSQL,
 * pg_stat_archiver). A store that cannot be read leaves the metrics as they were. */
void aps_backup_metrics_update(struct aps_store *st, struct aps_metrics *m);

#endif
