/* backup.h — whole-store backups and restores, dispatched to the store's backend the way its
 * queries are: one `struct aps_backup_ops` per backend (backup_int.h), chosen by the store's kind.
 *
 * PostgreSQL (backup_pg.c): pgBackRest does the work: full backups into its repository (a folder
 * by default, S3 in production, per BACKUP_PGBACKREST_CONFIG), continuous WAL archiving by the
 * server's archive_command, time-based retention and point-in-time restores into a new data
 * directory. The retention the options express:
 *   repo1-retention-full-type=time, repo1-retention-full=BACKUP_RETENTION_DAYS — a full backup
 *     is expired once it is older than that, except the newest one older than it (it is needed
 *     to restore to the start of the window) and never the newest backup;
 *   repo1-retention-archive-type=full, repo1-retention-archive=N — WAL is kept for the newest N
 *     full backups, N = BACKUP_PITR_DAYS worth of backup periods (7 daily backups: 7 days of
 *     point-in-time recovery); older backups keep only the WAL that makes them consistent.
 * SQLite (backup_sqlite.c, the embedded default): BACKUP_DIR/aps-YYYYMMDDTHHMMSSZ.db copies made
 * with SQLite's online backup API while the store is in use, checked with PRAGMA
 * integrity_check, pruned by the time in their names with the same BACKUP_RETENTION_DAYS.
 *
 * The record of backups (the backups table), the check of a restored database's contents and the
 * metrics are the services' (services/backup.h). Functions return 0 or a negative APS_E_* with
 * one line in err; they do not log. */
#ifndef APS_STORE_BACKUP_H
#define APS_STORE_BACKUP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

struct aps_buf;
struct aps_config;
struct aps_conn;
struct aps_store;

struct aps_backup_result {
    char kind[16];        /* "postgres" or "sqlite" */
    char label[128];      /* the pgBackRest label or the copy's file name */
    char path[1024];      /* the copy's path (SQLite) */
    int64_t started_at, finished_at, size_bytes;
    int pruned;           /* backups removed by the prune step after it */
    bool existed;         /* the slot's backup was already made: nothing was done */
    char warning[512];    /* PostgreSQL: pgBackRest's warnings of a backup that succeeded (a
                             database host that did not answer), "; "-joined; "" when none */
};

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

/* What aps_store_restore() restored, filled before it calls the check. */
struct aps_store_restored {
    char source[1024];    /* SQLite: the copy restored; PostgreSQL: the target */
    char url[512];        /* PostgreSQL: where the restored cluster answers */
    int64_t copy_at;      /* SQLite: the time the copy's name stands for (0: not one of ours) */
    int64_t copy_size;    /* SQLite: the copy's size in bytes */
    bool separate;        /* restored into a new database (PostgreSQL), not into the store */
};

/* The kind of backup the store's backend makes: "postgres" or "sqlite" (st NULL: "postgres",
 * the backend whose restore needs no open store). */
const char *aps_store_backup_kind(const struct aps_store *st);
/* True when the backend names a backup by the time it stands for, so a second backup of the same
 * slot finds the first itself (SQLite); false when the caller must look in its record. */
bool aps_store_backup_names_slot(const struct aps_store *st);

/* Takes a full backup of st standing for time at (the name of a SQLite copy). Fills out's label,
 * path, size_bytes and existed (a copy of that time is already there: nothing was done). */
int aps_store_backup(const struct aps_config *cfg, struct aps_store *st, int64_t at,
                     struct aps_backup_result *out, char *err, size_t errcap) APS_MUST_CHECK;
/* Appends one line per backup held (oldest first): time, label, size, state. */
int aps_store_backup_list(const struct aps_config *cfg, struct aps_store *st,
                          struct aps_buf *out, char *err, size_t errcap) APS_MUST_CHECK;
/* Checks the backups: PostgreSQL: `pgbackrest check` (archiving works; it switches and archives
 * the current WAL segment) and `pgbackrest verify` (every file of the repository against its
 * checksum); SQLite: PRAGMA integrity_check of every copy. Appends what was checked to out;
 * APS_E_INTEGRITY when something is wrong. */
int aps_store_backup_verify(const struct aps_config *cfg, struct aps_store *st,
                            struct aps_buf *out, char *err, size_t errcap) APS_MUST_CHECK;
/* Applies the retention policy at time now; never removes the newest valid backup (and removes
 * nothing when the newest backup is not valid). *removed: how many went. */
int aps_store_backup_prune(const struct aps_config *cfg, struct aps_store *st, int64_t now,
                           int *removed, char *err, size_t errcap) APS_MUST_CHECK;

/* Checks a restored database through c (arg: the caller's); 0 or a negative APS_E_* with one
 * line in err. */
typedef int (*aps_restore_check_fn)(struct aps_conn *c, void *arg, char *err, size_t errcap);

/* Restores and calls check on the restored database. PostgreSQL (st may be NULL): a
 * point-in-time restore of the pgBackRest repository into o->pg_path, started on o->port,
 * promoted at the target, checked, and stopped again when o->stop. SQLite: the copy (o->from, or
 * the newest at or before o->to) is integrity-checked and checked, copied into the store st
 * (DATABASE_URL), integrity-checked and checked again; the PostgreSQL options are refused. A
 * PostgreSQL restore refuses o->from, an o->pg_path that is not new or empty and an o->port in
 * use. Each refusal is APS_E_INVAL before anything changes. *r is filled before check runs. */
int aps_store_restore(const struct aps_config *cfg, struct aps_store *st,
                      const struct aps_restore_opts *o, aps_restore_check_fn check, void *arg,
                      struct aps_store_restored *r, char *err, size_t errcap) APS_MUST_CHECK;

#endif
