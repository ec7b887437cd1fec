/* migrate.h — numbered, idempotent schema migrations (migrations/NNN_name.sql).
 *
 * Each file is applied once, in a transaction, and recorded in schema_migrations (version, name,
 * applied_at). Files are written once for both backends; the one dialect difference, an
 * auto-increment key, is spelled @ID@ and expanded per backend. */
#ifndef APS_STORE_MIGRATE_H
#define APS_STORE_MIGRATE_H

#include <stdio.h>

#include "core/err.h"

struct aps_store;

struct aps_migration_status {
    int version;
    char name[128];
    int applied; /* 1 when recorded in schema_migrations */
};

/* Applies every pending migration from dir (NULL → the build's migrations directory). Writes one
 * line per applied file to log (may be NULL). Sets *applied to how many ran. */
int aps_migrate_up(struct aps_store *st, const char *dir, FILE *log, int *applied,
                   char *err, size_t errcap) APS_MUST_CHECK;
/* Lists known migrations and whether each is applied; caller frees *out with aps_free. */
int aps_migrate_status(struct aps_store *st, const char *dir, struct aps_migration_status **out,
                       int *n, char *err, size_t errcap) APS_MUST_CHECK;
/* The expand/contract check (migrate_check.c): reads dir's migrations newer than `since` (-1:
 * the "-- schema:" version of the previous release's SQL) and the previous release's SQL at
 * release_path (NULL: <dir>/release/queries.sql). Writes a summary line and one line per
 * problem to out (may be NULL); *problems counts them. Returns 0 when the check could run. */
int aps_migrate_check(const char *dir, const char *release_path, int since, FILE *out,
                      int *problems, char *err, size_t errcap) APS_MUST_CHECK;
/* The check itself over n migrations given as file names (NNN_contract_* marks a contract
 * migration) and SQL texts; release_sql is the text of release/queries.sql or NULL. Appends
 * one line per problem to report and returns how many. */
struct aps_buf;
int aps_migrate_check_text(const char *const *names, const char *const *sqls, int n,
                           const char *release_sql, struct aps_buf *report);
/* Runs every statement of the release SQL file at release_path against st, each with NULL for
 * its parameters in a transaction that is rolled back; writes "NNN ok" or "NNN error: …" per
 * statement to out. *failed counts the errors. Returns 0 when the file could be replayed. */
int aps_migrate_replay(struct aps_store *st, const char *release_path, FILE *out, int *failed,
                       char *err, size_t errcap) APS_MUST_CHECK;
/* The default migrations directory (compiled in, overridable with APS_MIGRATIONS_DIR setting). */
const char *aps_migrate_default_dir(void);

#endif
