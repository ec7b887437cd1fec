/* file.c — replacing a file whole (file.h). */
#include "core/file.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

int aps_file_replace(const char *path, const void *data, size_t n, int mode)
{
    char tmp[PATH_MAX + 32];
    if (snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid()) >= (int)sizeof tmp) {
        errno = ENAMETOOLONG;
        return -1;
    }
    int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode < 0 ? 0666 : (mode_t)mode);
    if (fd < 0)
        return -1;
    const char *p = data;
    bool ok = mode < 0 || !fchmod(fd, (mode_t)mode);
    for (size_t done = 0; ok && done < n;) {
        ssize_t w = write(fd, p + done, n - done);
        if (w < 0 && errno == EINTR)
            continue;
        if (w == 0)
            errno = EIO;
        ok = w > 0;
        done += ok ? (size_t)w : 0;
    }
    ok = ok && !fsync(fd);
    int saved = ok ? 0 : errno;
    if (close(fd) && ok) {
        ok = false;
        saved = errno;
    }
    if (ok && rename(tmp, path)) {
        ok = false;
        saved = errno;
    }
    if (ok)
        return 0;
    unlink(tmp);
    errno = saved;
    return -1;
}

int aps_file_create_private(const char *path)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0)
        return errno == EEXIST ? 0 : -1;
    return close(fd);
}
