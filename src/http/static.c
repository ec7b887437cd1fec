/* static.c — serving a file from a directory (the API docs page): the name must be one path
 * segment of [A-Za-z0-9._-] that does not start with a dot, so no request can leave the
 * directory; the file is read whole (up to 16 MiB) into the request arena. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "http/http.h"

#define STATIC_MAX (16u << 20)

bool aps_http_static_name_ok(const char *name)
{
    if (!name || !*name || name[0] == '.' || strlen(name) > 128)
        return false;
    for (const char *p = name; *p; p++) {
        char c = *p;
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '.' || c == '_' || c == '-';
        if (!ok)
            return false;
    }
    return !strstr(name, "..");
}

static const char *content_type(const char *name)
{
    static const struct {
        const char *ext, *type;
    } types[] = {
        {".html", "text/html; charset=utf-8"},  {".css", "text/css; charset=utf-8"},
        {".js", "text/javascript; charset=utf-8"}, {".json", "application/json"},
        {".png", "image/png"},                  {".svg", "image/svg+xml"},
        {".map", "application/json"},           {".txt", "text/plain; charset=utf-8"},
    };
    const char *dot = strrchr(name, '.');
    for (size_t i = 0; dot && i < sizeof types / sizeof types[0]; i++)
        if (!strcmp(dot, types[i].ext))
            return types[i].type;
    return "application/octet-stream";
}

int aps_http_static_file(struct aps_http_req *req, struct aps_http_res *res, const char *dir,
                         const char *name)
{
    if (!aps_http_static_name_ok(name))
        return aps_http_error(res, 404, "NOT_FOUND", "no such file");
    char path[1024];
    int n = snprintf(path, sizeof path, "%s/%s", dir, name);
    if (n < 0 || (size_t)n >= sizeof path)
        return aps_http_error(res, 404, "NOT_FOUND", "no such file");
    FILE *f = fopen(path, "rb");
    struct stat st;
    if (!f || fstat(fileno(f), &st) || !S_ISREG(st.st_mode) || (size_t)st.st_size > STATIC_MAX) {
        if (f)
            fclose(f);
        return aps_http_error(res, 404, "NOT_FOUND", "no such file");
    }
    char *buf = aps_arena_alloc(&req->arena, (size_t)st.st_size + 1);
    size_t got = fread(buf, 1, (size_t)st.st_size, f);
    int bad = ferror(f);
    fclose(f);
    if (bad || got != (size_t)st.st_size)
        return aps_http_error(res, 500, "INTERNAL_ERROR", "cannot read the file");
    res->status = 200;
    res->raw = buf;
    res->raw_len = got;
    res->content_type = content_type(name);
    aps_http_header_set(res, "Cache-Control", "public, max-age=300");
    return 0;
}
