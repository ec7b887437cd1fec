/* request.c — reading a request's query parameters and headers (http.h): plain lookups over the
 * arrays the server filled once when the request arrived. A request carries a handful of each,
 * so a linear scan is all the index it needs. */
#include <string.h>
#include <strings.h>

#include "http/http.h"

const char *aps_http_query(const struct aps_http_req *r, const char *name)
{
    for (size_t i = 0; i < r->nquery; i++)
        if (!strcmp(r->query[i].name, name))
            return r->query[i].value;
    return NULL;
}

const char *aps_http_header(const struct aps_http_req *r, const char *name)
{
    for (size_t i = 0; i < r->nheaders; i++)
        if (!strcasecmp(r->headers[i].name, name))
            return r->headers[i].value;
    return NULL;
}
