/* request.c — reading a request's query parameters and headers (http.h): plain lookups over the
 * arrays the server filled once when the request arrived. A request carries a handful of each,
 * so a linear scan is all the index it needs; comparing lengths first leaves the byte comparison
 * to the one name that can match. */
#include <string.h>
#include <strings.h>

#include "http/http.h"

const char *aps_http_query(const struct aps_http_req *r, const char *name)
{
    size_t n = strlen(name);
    for (size_t i = 0; i < r->nquery; i++)
        if (r->query[i].name_len == n && !memcmp(r->query[i].name, name, n))
            return r->query[i].value;
    return NULL;
}

const char *aps_http_header(const struct aps_http_req *r, const char *name)
{
    size_t n = strlen(name);
    for (size_t i = 0; i < r->nheaders; i++)
        if (r->headers[i].name_len == n && !strncasecmp(r->headers[i].name, name, n))
            return r->headers[i].value;
    return NULL;
}
