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

/* What aps_ingest_discover found: the files to read, sorted by path, and one line for each
 * folder or file met a second time and not read again ("PATH: a link back to DIR (a loop); not
 * followed", "PATH: the same file as FILE; read once"). seen (private) holds every folder and
 * file met, so that aps_ingest_discover_add can go on with another path. */
struct aps_ingest_seen;
struct aps_ingest_found {
    char **paths;
    size_t n;
    char **notes;
    size_t nnotes;
    struct aps_ingest_seen *seen;
    size_t nseen, capseen;
};

/* The files of source under path (a regular file is returned as is; a folder is walked
 * recursively, eight folders deep, and only the files this source reads are kept). Each folder
 * and file is visited once, by device and inode: a symbolic link back up the tree, or a second
 * way to a folder or file, is noted in out->notes and not followed or read again. APS_E_NOTFOUND
 * when path does not exist, APS_E_UNSUPPORTED when it is neither a regular file nor a folder (a
 * FIFO, a device), APS_E_IO when a folder cannot be read (out is then empty). Caller frees with
 * aps_ingest_found_free (safe on a zeroed struct). */
int aps_ingest_discover(enum aps_source s, const char *path,
                        struct aps_ingest_found *out) APS_MUST_CHECK;
/* The same for one more path, appended to what out holds (a zeroed struct, or what earlier calls
 * found): path's files, sorted among themselves, after the earlier ones, and a folder or file
 * that an earlier path reached already (the same path twice, a folder and its subfolder, two
 * names of one file) noted as above and not listed again. On an error out keeps what it held,
 * perhaps with some of path's files; it is freed as always. */
int aps_ingest_discover_add(enum aps_source s, const char *path,
                            struct aps_ingest_found *out) APS_MUST_CHECK;
void aps_ingest_found_free(struct aps_ingest_found *f);

/* Parses one file with the source's loader (batch must be empty; the caller cleans it up). */
int aps_ingest_parse(enum aps_source s, const char *path, struct aps_batch *b, char *err,
                     size_t errcap) APS_MUST_CHECK;
/* The sport most records of the batch belong to, or -1 when it is empty. */
int aps_batch_main_sport(const struct aps_batch *b);
/* A bit (1 << sport) for each sport the batch's games and forecasts belong to. */
uint64_t aps_batch_sports(const struct aps_batch *b);

#endif
