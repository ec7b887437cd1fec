/* linewriter.h — lines written to a file descriptor by a thread of their own, so that the threads
 * that make them never wait for the write (the access log of the HTTP server).
 *
 * aps_linewriter_put() copies a line into a buffer under a mutex and returns; the writer thread
 * takes everything buffered in one swap and writes it with one write(2). Lines are gathered in
 * memory and written in batches: a batch goes out flush_ms after the first line put into it, or
 * as soon as it holds batch_bytes, whichever comes first, so under load one system call (and one
 * wake-up of the writer) carries many lines, and an idle log still reaches its file within
 * flush_ms. Lines are written whole and in the order they were put. When the writer falls
 * APS_LINEWRITER_MAX bytes behind (a reader of a pipe that stopped reading) put() waits for
 * room rather than drop a line. aps_linewriter_close() writes what is left and joins the thread. */
#ifndef APS_CORE_LINEWRITER_H
#define APS_CORE_LINEWRITER_H

#include <stddef.h>

#define APS_LINEWRITER_MAX (4u << 20)
#define APS_LINEWRITER_FLUSH_MS 5         /* aps_linewriter_open()'s flush time */
#define APS_LINEWRITER_BATCH (256u << 10) /* and batch size */

struct aps_linewriter;

/* A writer for fd (not closed by it) with the default flush time and batch size; NULL when its
 * thread cannot be started. */
struct aps_linewriter *aps_linewriter_open(int fd);
/* The same with a batch written flush_ms after its first line or at batch_bytes (0 for either
 * takes the default; batch_bytes is capped at APS_LINEWRITER_MAX). */
struct aps_linewriter *aps_linewriter_open_batched(int fd, unsigned flush_ms, size_t batch_bytes);
/* Queues len bytes (a whole line, newline included). Thread-safe. */
void aps_linewriter_put(struct aps_linewriter *w, const char *line, size_t len);
/* Writes what is queued, stops the thread and frees w (NULL is a no-op). */
void aps_linewriter_close(struct aps_linewriter *w);

#endif
