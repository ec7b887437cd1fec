/* writer.h — stores a loader's batch (batch.h) in one transaction.
 *
 * It maps every team name to its canonical team (teams.h), recognises a game that another source
 * already stored (same sport, date and teams, in either home/away order), upserts games by their
 * natural key, adds odds snapshots, closing lines and forecasts, and records the run in
 * ingest_runs. Rows are staged with the bulk path (COPY on PostgreSQL) and merged with the same
 * INSERT … SELECT … ON CONFLICT statements on both backends, so a second run of the same file
 * changes no counts. On any error the transaction is rolled back and nothing of the file stays. */
#ifndef APS_INGEST_WRITER_H
#define APS_INGEST_WRITER_H

#include <stddef.h>

#include "core/err.h"
#include "ingest/batch.h"

struct aps_conn;
struct aps_writer;

struct aps_ingest_result {
    size_t games;               /* games in the batch that were stored (new or updated) */
    size_t odds;                /* odds snapshots in the batch that were stored */
    size_t forecasts;           /* forecasts stored */
    size_t forecasts_matched;   /* of which matched to a stored game */
    size_t rejected;            /* loader rejects + writer rejects (unknown team, duplicate) */
    struct aps_batch_rejects {
        char reason[APS_REASON_MAX];
        size_t count;
        size_t line; /* the file's line of the first row rejected for it, 0 when not known */
    } reasons[APS_MAX_REASONS];
    size_t nreasons;
    size_t players_merged;   /* tennis, NCAAB: rows merged into their player's or team's row, or
                              * put under the team's key (tennis_players.h) */
    char players_apart[512]; /* tennis, NCAAB: rows that merge left apart and why; "" when none */
};

/* The connection must be a write connection; the writer keeps caches tied to it. */
int aps_writer_open(struct aps_writer **out, struct aps_conn *conn, char *err,
                    size_t errcap) APS_MUST_CHECK;
/* Writes the batch (the writer may reorder or mark its records). path is recorded as provenance. */
int aps_writer_write(struct aps_writer *w, struct aps_batch *b, const char *path,
                     struct aps_ingest_result *res, char *err, size_t errcap) APS_MUST_CHECK;
void aps_writer_close(struct aps_writer *w);

#endif
