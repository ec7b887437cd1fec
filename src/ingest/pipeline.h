/* pipeline.h — reads and parses the files of an ingest run ahead of the writer.
 *
 * One thread fetches (URLs) and parses the files in job order while the caller stores the one
 * before; a bounded queue of parsed files sits between them, so at most `depth` parsed batches
 * wait in memory besides the one being stored. The caller takes the files back in job order,
 * each with exactly what a parse on the caller's own thread would have given: the batch, or the
 * error code and message of a failed fetch or parse. Nothing is skipped: every job comes back.
 *
 * States of a job: queued (in the jobs array) → parsed (in the queue, by the parse thread) →
 * taken (aps_ingest_pipe_next) → released (aps_ingest_parsed_free). aps_ingest_pipe_stop() at
 * any point stops the parse thread after its current file and frees what was not taken. */
#ifndef APS_INGEST_PIPELINE_H
#define APS_INGEST_PIPELINE_H

#include <stdbool.h>
#include <stddef.h>

#include "core/err.h"
#include "ingest/batch.h"
#include "ingest/ingest.h"

struct aps_ingest_job {
    enum aps_source source;
    const char *path; /* a path or URL; borrowed, must outlive the pipeline */
};

/* One file, fetched and parsed. */
struct aps_ingest_parsed {
    size_t job;             /* index into the jobs array */
    struct aps_batch batch; /* the loader's batch (not to be stored when rc != 0) */
    int rc;                 /* 0, or the error of the fetch or the parse */
    bool fetch_failed;      /* rc comes from fetching a URL, not from the loader */
    char err[1024];         /* the message when rc != 0 */
    char tmp[256];          /* the downloaded copy of a URL ("" for a path) */
    double seconds;         /* time spent fetching and parsing */
};

struct aps_ingest_pipe;

/* Starts the parse thread over jobs[0..n) (borrowed until stop). depth: how many parsed files
 * may wait in the queue (at least 1). APS_E_IO when the thread cannot be started. */
int aps_ingest_pipe_start(struct aps_ingest_pipe **out, const struct aps_ingest_job *jobs, size_t n,
                          size_t depth) APS_MUST_CHECK;
/* The next job's result, in job order, waiting for the parse thread when it is behind; NULL
 * after the last job. The caller owns the result and frees it with aps_ingest_parsed_free. */
struct aps_ingest_parsed *aps_ingest_pipe_next(struct aps_ingest_pipe *p);
/* Stops the parse thread (after the file it is parsing), frees the untaken results and p. */
void aps_ingest_pipe_stop(struct aps_ingest_pipe *p);

/* Cleans the batch, removes the downloaded copy of a URL and frees x (NULL is fine). */
void aps_ingest_parsed_free(struct aps_ingest_parsed *x);

#endif
