/* openapi.h — the OpenAPI 3.1 document of the API, generated from the route table so the two
 * cannot drift apart (a unit test checks that the document lists exactly the table's routes). */
#ifndef APS_SERVICES_OPENAPI_H
#define APS_SERVICES_OPENAPI_H

#include <jansson.h>
#include <stddef.h>

#include "http/http.h"

/* Builds the document for routes[0..n): one operation per route with its tag, summary, path
 * parameters, request body (POST/PUT/PATCH), security requirement from its permission
 * (x-permission names it) and the error envelope for the failures the dispatcher can produce.
 * The caller owns the result (json_decref). */
json_t *aps_openapi_document(const struct aps_route *routes, size_t n, const char *title,
                             const char *version);

#endif
