/* linewriter.h — lines written to a file descriptor by a thread of their own, so that the threads
 * that make them never wait for the write (the access log of the HTTP server).
 *
 * aps_linewriter_put() copies a line into a buffer under a mutex and returns; the writer thread
 * takes everything buffered in one swap and writes it with one write(2), so lines made while a
 * write is under way go out together in the next (under load, one system call for many lines;
 * when idle, a line is written as soon as the writer wakes, within microseconds). Lines are
 * written whole and in the order they were put. When the writer falls APS_LINEWRITER_MAX bytes
 * behind (a reader of a pipe that stopped reading) put() waits for room rather than drop a line.
 * aps_linewriter_close() writes what is left and joins the thread. */
#ifndef APS_CORE_LINEWRITER_H
#define APS_CORE_LINEWRITER_H

#include <stddef.h>

#define APS_LINEWRITER_MAX (4u << 20)

struct aps_linewriter;

/* A writer for fd (not closed by it); NULL when its thread cannot be started. */
struct aps_linewriter *aps_linewriter_open(int fd);
/* Queues len bytes (a whole line, newline included). Thread-safe. */
void aps_linewriter_put(struct aps_linewriter *w, const char *line, size_t len);
/* Writes what is queued, stops the thread and frees w (NULL is a no-op). */
void aps_linewriter_close(struct aps_linewriter *w);

#endif
