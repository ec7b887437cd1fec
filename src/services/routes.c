/* routes.c — the route table (see routes.h). A zeroed row closes the table, so the table also
 * compiles while a group has no routes yet; aps_nroutes does not count it. */
#include "services/routes.h"

const struct aps_route aps_routes[] = {
#define APS_ROUTE(method, pattern, handler, perm, limit, cache, tag, summary, query, request, \
                  response, errors)                                                          \
    {method,  pattern, handler, APS_PERM_##perm, limit, APS_CACHE_##cache, tag, summary,      \
     query,   request, response, errors},
#include "services/routes_all.def"
#undef APS_ROUTE
    {0},
};

const size_t aps_nroutes = sizeof aps_routes / sizeof aps_routes[0] - 1;
