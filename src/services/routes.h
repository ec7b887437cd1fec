/* routes.h — the API's route table, assembled from one .def file per endpoint group
 * (routes_health.def, routes_auth.def, routes_games.def, routes_odds.def,
 * routes_predictions.def, routes_betting.def, routes_backtests.def,
 * routes_admin.def, routes_web.def). Each line:
 *   APS_ROUTE(METHOD, "/api/v1/path/{param}", handler, PERM, body_limit, CACHE, "tag", "summary")
 * with PERM an enum aps_perm suffix (PUBLIC, VIEW_PREDICTIONS, …) and CACHE an enum
 * aps_cache_policy suffix (NONE, DEFAULT, PREDICTIONS, ODDS). */
#ifndef APS_SERVICES_ROUTES_H
#define APS_SERVICES_ROUTES_H

#include <stddef.h>

#include "http/http.h"

extern const struct aps_route aps_routes[];
extern const size_t aps_nroutes;

/* Every handler named in the .def files. */
#define APS_ROUTE(method, pattern, handler, perm, limit, cache, tag, summary) \
    int handler(struct aps_http_req *req, struct aps_http_res *res);
#include "services/routes_all.def"
#undef APS_ROUTE

#endif
