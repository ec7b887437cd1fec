/* clock.h — the wall clock of this process as the platform reads it: CLOCK_REALTIME plus the
 * whole seconds written in the file CLOCK_OFFSET_FILE names (testing only: end-to-end tests move
 * it with the mock providers' clock, fault tests set one process's clock apart from the others').
 *
 * Jobs and the scheduler read it (aps_jobs_now), and so do the job queue and the leader lock
 * where the caller's clock decides: on SQLite (queue.c, leader.c), and the queue's retry budget;
 * on PostgreSQL and Redis the server's clock decides leases, due times and the lock. The file is
 * read at every call, so a test moves the clock of running processes by writing it. */
#ifndef APS_CONFIG_CLOCK_H
#define APS_CONFIG_CLOCK_H

#include <stdint.h>

/* Milliseconds since the epoch: the wall clock plus the whole seconds on the first line of
 * offset_file; the wall clock alone when offset_file is NULL or "", or the file unreadable. */
int64_t aps_clock_now_ms(const char *offset_file);

#endif
