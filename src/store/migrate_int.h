/* migrate_int.h — what migrate.c shares with migrate_check.c: the migration files of a
 * directory and their text. Not for use outside src/store. */
#ifndef APS_STORE_MIGRATE_INT_H
#define APS_STORE_MIGRATE_INT_H

#include <stddef.h>

#include "store/store.h"

struct mig_file {
    int version;
    char name[128]; /* without the number and the .sql */
    char file[300]; /* the file name, for messages */
};

/* Lists dir's migration files sorted by version into *out (aps_free it). Files that do not end
 * in .sql are ignored; a .sql file with a bad name or a repeated version is an error. */
int aps_mig_scan(const char *dir, struct mig_file **out, int *n, char *err,
                 size_t errcap) APS_MUST_CHECK;
/* Reads path into a NUL-terminated string (aps_free it), with @ID@ expanded for kind. */
int aps_mig_load(const char *path, enum aps_db_kind kind, char **out, char *err,
                 size_t errcap) APS_MUST_CHECK;

#endif
