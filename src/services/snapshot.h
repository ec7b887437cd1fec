/* snapshot.h — anonymised copies of the store for staging (seed §2.2 "anonymized production
 * data snapshots"): `aps snapshot --anonymize --out FILE` writes a SQLite file with every table
 * of the schema copied from one consistent read (a REPEATABLE READ, read-only transaction on
 * PostgreSQL, a read transaction on SQLite), with the personal data replaced or removed:
 *   users       email → user<id>@example.invalid, name → "User <id>", password hash → an
 *               unusable marker (nobody can sign in as a copied user), TOTP secrets removed,
 *               lockouts cleared;
 *   api_keys    name → "key <id>", prefix → "anon", hash → a value no key has, all revoked;
 *   audit_log   ip, user agent, request id and details removed; a resource id kept only when it
 *               is a plain identifier (an e-mail address is not);
 *   bankrolls   name → "Bankroll <id>";   bets: notes removed;
 *   bankroll_transactions: description removed;
 * and not copied at all: sessions (refresh-token hashes, IPs), jobs, locks and schedule_runs (a
 * staging store must not inherit queued work). Ids stay, so bankrolls, bets, backtests and
 * flags keep their (now pseudonymous) owners. The file also holds a table aps_snapshot
 * (key, value: taken_at, source, schema, anonymized).
 *
 * `aps snapshot --load FILE` copies such a file into DATABASE_URL, which must be migrated to the
 * same schema version and hold no users (a fresh staging store); PostgreSQL identity sequences
 * are moved past the copied ids. */
#ifndef APS_SERVICES_SNAPSHOT_H
#define APS_SERVICES_SNAPSHOT_H

#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

struct aps_store;

struct aps_snapshot_stats {
    int tables;          /* tables copied */
    int64_t rows;        /* rows copied */
    int64_t anonymized;  /* values replaced or removed */
};

/* Writes the anonymised snapshot of src into a new SQLite file at path (refused when it exists,
 * or when its directory does not: no directory is created), migrated from migrations_dir (NULL:
 * the build's). On failure the file is removed and err holds one line. */
int aps_snapshot_export(struct aps_store *src, const char *path, const char *migrations_dir,
                        struct aps_snapshot_stats *stats, char *err,
                        size_t errcap) APS_MUST_CHECK;
/* Copies the snapshot file at path into dst (see above). */
int aps_snapshot_load(struct aps_store *dst, const char *path, struct aps_snapshot_stats *stats,
                      char *err, size_t errcap) APS_MUST_CHECK;

#endif
