/* backup_int.h — what backup.c (the SQLite copies, the record, the metrics) and backup_pg.c
 * (pgBackRest) share. Not a public header: only the two files include it. */
#ifndef APS_SERVICES_BACKUP_INT_H
#define APS_SERVICES_BACKUP_INT_H

#include "services/backup.h"

struct aps_conn;

/* Adds a row to the backups table (see migrations/007_backups.sql). */
int aps_backup_record(struct aps_store *st, const char *kind, const char *label,
                      int64_t started_at, int64_t finished_at, int64_t size_bytes, bool ok,
                      const char *error) APS_MUST_CHECK;
/* Counts picks, bankrolls and bets and walks the lock-in chain on c into out. */
int aps_backup_check_db(struct aps_conn *c, struct aps_restore_result *out, char *err,
                        size_t errcap) APS_MUST_CHECK;

int aps_backup_pg_run(const struct aps_config *cfg, struct aps_store *st, int64_t now,
                      struct aps_backup_result *out, char *err, size_t errcap) APS_MUST_CHECK;
int aps_backup_pg_list(const struct aps_config *cfg, struct aps_buf *out, char *err,
                       size_t errcap) APS_MUST_CHECK;
int aps_backup_pg_verify(const struct aps_config *cfg, struct aps_buf *out, char *err,
                         size_t errcap) APS_MUST_CHECK;
int aps_backup_pg_prune(const struct aps_config *cfg, int *removed, char *err,
                        size_t errcap) APS_MUST_CHECK;
int aps_backup_pg_restore(const struct aps_config *cfg, struct aps_store *st,
                          const struct aps_restore_opts *o, struct aps_restore_result *out,
                          char *err, size_t errcap) APS_MUST_CHECK;

#endif
