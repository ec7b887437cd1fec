/* routes.h — the API's route table, assembled from one .def file per endpoint group
 * (routes_health.def, routes_auth.def, routes_games.def, routes_teams.def, routes_odds.def,
 * routes_predictions.def, routes_betting.def, routes_backtests.def, routes_admin.def,
 * routes_web.def). Each line:
 *   APS_ROUTE(METHOD, "/api/v1/path/{param}", handler, PERM, body_limit, CACHE, "tag", "summary",
 *             QUERY, REQUEST, "RESPONSE", "ERRORS")
 * with PERM an enum aps_perm suffix (PUBLIC, VIEW_PREDICTIONS, …), CACHE an enum
 * aps_cache_policy suffix (NONE, DEFAULT, PREDICTIONS, ODDS), QUERY the query parameters the
 * dispatcher accepts and checks (a spec string, http.h; NULL for none), REQUEST the body's
 * schema name (NULL for none), RESPONSE "<status> <schema>" of the success answer and ERRORS the
 * statuses the handler itself can answer beyond the generic ones (openapi.c). The schemas are
 * components of the OpenAPI document (openapi_components.json). */
#ifndef APS_SERVICES_ROUTES_H
#define APS_SERVICES_ROUTES_H

#include <stddef.h>

#include "http/http.h"

/* Query specs shared by several routes. */
#define APS_Q_PAGE "page:int(1,1000000)=1 limit:int(1,100)=50"
#define APS_Q_DATES "date:date date_from:date date_to:date"
#define APS_Q_RESULT "result:enum(win|loss|push|void|half_win|half_loss)"

extern const struct aps_route aps_routes[];
extern const size_t aps_nroutes;

/* Every handler named in the .def files. */
#define APS_ROUTE(method, pattern, handler, perm, limit, cache, tag, summary, query, request, \
                  response, errors)                                                          \
    int handler(struct aps_http_req *req, struct aps_http_res *res);
#include "services/routes_all.def"
#undef APS_ROUTE

#endif
