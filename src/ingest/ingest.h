/* ingest.h — the historical sources by name, the files each one reads in a folder, and loading
 * one file into the store through the writer. */
#ifndef APS_INGEST_INGEST_H
#define APS_INGEST_INGEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "ingest/batch.h"
#include "ingest/writer.h"

enum aps_source {
    APS_SOURCE_SPREADSPOKE,
    APS_SOURCE_SBR_NFL,
    APS_SOURCE_FOOTBALL_DATA,
    APS_SOURCE_SBR,
    APS_SOURCE_TENNIS_DATA,
    APS_SOURCE_FIVETHIRTYEIGHT, /* last: its forecasts are matched to the games loaded before */
    APS_SOURCE__COUNT
};

const char *aps_source_name(enum aps_source s); /* "football-data", "sbr", … */
int aps_source_from_name(const char *name);     /* -1 when unknown */
/* The folder of a data directory (README layout) that holds this source: "football-data",
 * "sportsbookreview", … */
const char *aps_source_subdir(enum aps_source s);

/* The files of source under path (a regular file is returned as is; a folder is walked
 * recursively and only the files this source reads are kept, sorted by path). APS_E_NOTFOUND when
 * path does not exist, APS_E_UNSUPPORTED when it is neither a regular file nor a folder (a FIFO, a
 * device). Caller frees with aps_ingest_paths_free. */
int aps_ingest_discover(enum aps_source s, const char *path, char ***paths,
                        size_t *n) APS_MUST_CHECK;
void aps_ingest_paths_free(char **paths, size_t n);

/* Parses one file with the source's loader (batch must be empty; the caller cleans it up). */
int aps_ingest_parse(enum aps_source s, const char *path, struct aps_batch *b, char *err,
                     size_t errcap) APS_MUST_CHECK;
/* The sport most records of the batch belong to, or -1 when it is empty. */
int aps_batch_main_sport(const struct aps_batch *b);
/* A bit (1 << sport) for each sport the batch's games and forecasts belong to. */
uint64_t aps_batch_sports(const struct aps_batch *b);

#endif
