/* file.h — replacing a file whole. */
#ifndef APS_CORE_FILE_H
#define APS_CORE_FILE_H

#include <stddef.h>

/* Replaces path with data[0..n): written to a temporary file beside it (path.tmp.PID), given
 * mode (mode < 0: 0666 less the umask, as a new file), synced and renamed over path, so that a
 * reader sees the old file or the new one, never a part. On failure the temporary file is
 * removed, path is as it was, and -1 is returned with errno set; 0 on success. */
int aps_file_replace(const char *path, const void *data, size_t n, int mode);

#endif
