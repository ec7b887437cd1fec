/* config_file.c — the byte-level readers of the configuration module: a bounded whole-file read
 * (env files, secret files) and the KEY=VALUE env-file parser. They know nothing of the settings
 * table; config.c decides what a key means. */
#include <errno.h>
#include <stdio.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config/config_int.h"
#include "core/buf.h"
#include "core/mem.h"
#include "core/str.h"

/* Reads up to max bytes of an open regular file; the caller closes fd. */
static int read_fd(int fd, size_t max, char **out)
{
    struct stat st;
    if (fstat(fd, &st))
        return APS_E_IO;
    if (!S_ISREG(st.st_mode)) {
        errno = EINVAL;
        return APS_E_INVAL;
    }
    struct aps_buf b = {0};
    char chunk[4096];
    for (;;) {
        ssize_t n = read(fd, chunk, sizeof chunk);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            aps_buf_cleanup(&b);
            return APS_E_IO;
        }
        if (n == 0)
            break;
        if (b.len + (size_t)n > max) {
            aps_buf_cleanup(&b);
            return APS_E_TOOBIG;
        }
        aps_buf_append(&b, chunk, (size_t)n);
    }
    if (memchr(aps_buf_str(&b), '\0', b.len)) {
        aps_buf_cleanup(&b);
        return APS_E_PARSE;
    }
    *out = aps_buf_steal(&b);
    return 0;
}

int aps_config_read_file(const char *path, size_t max, char **out)
{
    *out = NULL;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return errno == ENOENT ? APS_E_NOTFOUND : APS_E_IO;
    int rc = read_fd(fd, max, out);
    int saved = errno;
    close(fd);
    errno = saved;
    return rc;
}

static bool valid_key(const char *k)
{
    if (!*k)
        return false;
    for (const char *p = k; *p; p++)
        if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
              *p == '_'))
            return false;
    return true;
}

/* Removes one pair of matching quotes around v in place. Returns false for an opening quote
 * without its closing twin. */
static bool unquote(char *v)
{
    size_t n = strlen(v);
    if (!n || (v[0] != '"' && v[0] != '\''))
        return true;
    if (n < 2 || v[n - 1] != v[0])
        return false;
    memmove(v, v + 1, n - 2);
    v[n - 2] = '\0';
    return true;
}

static int fail_line(char *err, size_t errcap, const char *path, int line, const char *what)
{
    snprintf(err, errcap, "%s:%d: %s", path, line, what);
    return APS_E_CONFIG;
}

/* Parses one line (already a private copy, trimmed) and hands KEY and VALUE to fn. */
static int parse_line(char *s, const char *path, int line, aps_config_line_fn fn, void *ud,
                      char *err, size_t errcap)
{
    if (!*s || *s == '#')
        return 0;
    if (aps_str_starts(s, "export ") || aps_str_starts(s, "export\t"))
        s = aps_str_trim(s + 7);
    char *eq = strchr(s, '=');
    if (!eq)
        return fail_line(err, errcap, path, line, "expected KEY=VALUE");
    *eq = '\0';
    char *key = aps_str_trim(s);
    char *value = aps_str_trim(eq + 1);
    if (!valid_key(key))
        return fail_line(err, errcap, path, line, "a key is letters, digits and '_'");
    if (!unquote(value))
        return fail_line(err, errcap, path, line, "unterminated quote");
    return fn(ud, key, value, line, err, errcap);
}

int aps_config_parse_env(const char *text, const char *path, aps_config_line_fn fn, void *ud,
                         char *err, size_t errcap)
{
    int line = 0;
    const char *p = text;
    while (*p) {
        const char *nl = strchr(p, '\n');
        size_t n = nl ? (size_t)(nl - p) : strlen(p);
        char *copy = aps_strndup(p, n);
        line++;
        int rc = parse_line(aps_str_trim(copy), path, line, fn, ud, err, errcap);
        aps_free(copy);
        if (rc)
            return rc;
        p += n + (nl ? 1 : 0);
    }
    return 0;
}
