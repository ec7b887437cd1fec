/* backup.h — backups and restores of the store, shared by `aps backup` / `aps restore` and the
 * scheduler's daily backup job (seed §6.1, §6.2).
 *
 * PostgreSQL: pgBackRest does the work (backup.c runs it; backup_pg.c): full backups into its
 * repository (a folder by default, S3 in production, per BACKUP_PGBACKREST_CONFIG), continuous
 * WAL archiving by the server's archive_command, time-based retention and point-in-time restores
 * into a new data directory. The retention the options express:
 *   repo1-retention-full-type=time, repo1-retention-full=BACKUP_RETENTION_DAYS — a full backup
 *     is expired once it is older than that, except the newest one older than it (it is needed
 *     to restore to the start of the window) and never the newest backup;
 *   repo1-retention-archive-type=full, repo1-retention-archive=N — WAL is kept for the newest N
 *     full backups, N = BACKUP_PITR_DAYS worth of backup periods (7 daily backups: 7 days of
 *     point-in-time recovery); older backups keep only the WAL that makes them consistent.
 * SQLite (the embedded default): BACKUP_DIR/aps-YYYYMMDDTHHMMSSZ.db copies made with SQLite's
 * online backup API while the store is in use, checked with PRAGMA integrity_check, pruned by
 * the time in their names with the same BACKUP_RETENTION_DAYS.
 *
 * Every backup (success or failure), prune and verified restore is recorded in the store's
 * backups table; aps_backup_metrics_update() computes the aps_backup_* and aps_dr_* metrics
 * from it, so every process reports the same numbers. Functions return 0 or a negative APS_E_*
 * with one line in err; they do not log. */
#ifndef APS_SERVICES_BACKUP_H
#define APS_SERVICES_BACKUP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

struct aps_buf;
struct aps_config;
struct aps_metrics;
struct aps_store;

struct aps_backup_result {
    char kind[16];        /* "postgres" or "sqlite" */
    char label[128];      /* the pgBackRest label or the copy's file name */
    char path[1024];      /* the copy's path (SQLite) */
    int64_t started_at, finished_at, size_bytes;
    int pruned;           /* backups removed by the prune step after it */
    bool existed;         /* the slot's backup was already made: nothing was done */
};

/* Takes a full backup of st, records it, then prunes. now: the clock (seconds); slot: the
 * scheduled slot the backup stands for (0: now) — a slot already backed up successfully is not
 * backed up again (out->existed). A failed backup is recorded too. */
int aps_backup_run(const struct aps_config *cfg, struct aps_store *st, int64_t now, int64_t slot,
                   struct aps_backup_result *out, char *err, size_t errcap) APS_MUST_CHECK;
/* Appends one line per backup held (oldest first): time, label, size, state. */
int aps_backup_list(const struct aps_config *cfg, struct aps_store *st, struct aps_buf *out,
                    char *err, size_t errcap) APS_MUST_CHECK;
/* Checks the backups: PostgreSQL: `pgbackrest check` (archiving works; it switches and archives
 * the current WAL segment) and `pgbackrest verify` (every file of the repository against its
 * checksum); SQLite: PRAGMA integrity_check of every copy. Appends what was checked to out;
 * APS_E_INTEGRITY when something is wrong. */
int aps_backup_verify(const struct aps_config *cfg, struct aps_store *st, struct aps_buf *out,
                      char *err, size_t errcap) APS_MUST_CHECK;
/* Applies the retention policy at time now; never removes the newest valid backup (and removes
 * nothing when the newest backup is not valid). *removed: how many went. */
int aps_backup_prune(const struct aps_config *cfg, struct aps_store *st, int64_t now,
                     int *removed, char *err, size_t errcap) APS_MUST_CHECK;

struct aps_restore_opts {
    const char *to;       /* target time ("2026-12-02 05:40:00.123+00", ISO 8601 with T/Z is
                             accepted); NULL: the latest state the backups hold */
    const char *from;     /* SQLite: the copy to restore (NULL: the newest at or before to) */
    const char *set;      /* PostgreSQL: restore this backup (label) to its own end, instead of
                             a time: how a backup older than the PITR window is restored */
    const char *pg_path;  /* PostgreSQL: the new, empty data directory */
    int port;             /* PostgreSQL: the port the restored cluster listens on */
    bool stop;            /* PostgreSQL: stop the restored cluster after verifying it */
};

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
