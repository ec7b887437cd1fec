/* request.c — reading a request's query parameters and headers (http.h): plain lookups over the
 * arrays the server filled once when the request arrived. A request carries a handful of each,
 * so a linear scan is all the index it needs; comparing lengths first leaves the byte comparison
 * to the one name that can match. */
#include <stdbool.h>
#include <string.h>
#include <strings.h>

#include "http/http.h"

/* The value of the first of kv[0..n) named name, compared without regard to case when nocase. */
static const char *find(const struct aps_http_kv *kv, size_t n, const char *name, bool nocase)
{
    size_t len = strlen(name);
    for (size_t i = 0; i < n; i++)
        if (kv[i].name_len == len &&
            !(nocase ? strncasecmp(kv[i].name, name, len) : memcmp(kv[i].name, name, len)))
            return kv[i].value;
    return NULL;
}

const char *aps_http_query(const struct aps_http_req *r, const char *name)
{
    return find(r->query, r->nquery, name, false);
}

const char *aps_http_header(const struct aps_http_req *r, const char *name)
{
    return find(r->headers, r->nheaders, name, true);
}
