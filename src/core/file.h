/* file.h — replacing a file whole; making a private file. */
#ifndef APS_CORE_FILE_H
#define APS_CORE_FILE_H

#include <stddef.h>

/* Replaces path with data[0..n): written to a temporary file beside it (path.tmp.PID), given
 * mode (mode < 0: 0666 less the umask, as a new file), synced and renamed over path, so that a
 * reader sees the old file or the new one, never a part. On failure the temporary file is
 * removed, path is as it was, and -1 is returned with errno set; 0 on success. */
int aps_file_replace(const char *path, const void *data, size_t n, int mode);

/* Creates path empty with mode 0600 (owner only) when it does not exist; an existing file is
 * left as it is. For files SQLite is about to create (a store, a backup copy): SQLite gives a new
 * file 0644 less the umask, and its -wal and -shm files take the database file's mode, so a
 * store made here is readable by its owner alone. 0, or -1 with errno set. */
int aps_file_create_private(const char *path);

#endif
