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
/* The default migrations directory (compiled in, overridable with APS_MIGRATIONS_DIR setting). */
const char *aps_migrate_default_dir(void);

#endif
