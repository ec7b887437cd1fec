/* openapi.c — the OpenAPI 3.1 document, built from the route table (openapi.h). What a route row
 * says becomes the operation: method and pattern, tag, summary, path parameters, permission
 * (security requirement and x-permission), body limit (x-body-limit) and cache policy (x-cache).
 * The failures every route can meet come from the dispatcher and share one envelope schema. */
#include "services/openapi.h"

#include <ctype.h>
#include <string.h>

#include "core/buf.h"

static const char *cache_names[] = {"none", "default", "predictions", "odds"};

/* "get_api_v1_games_id" from GET /api/v1/games/{id}: unique because (method, pattern) is. */
static json_t *operation_id(const struct aps_route *rt)
{
    struct aps_buf b = {0};
    for (const char *p = rt->method; *p; p++)
        aps_buf_putc(&b, (char)tolower((unsigned char)*p));
    for (const char *p = rt->pattern; *p; p++) {
        if (isalnum((unsigned char)*p))
            aps_buf_putc(&b, (char)tolower((unsigned char)*p));
        else if (*p == '/' || *p == '-' || *p == '_')
            aps_buf_putc(&b, '_');
    }
    json_t *j = json_string(aps_buf_str(&b));
    aps_buf_cleanup(&b);
    return j;
}

static json_t *path_params(const char *pattern)
{
    json_t *params = json_array();
    for (const char *p = strchr(pattern, '{'); p; p = strchr(p + 1, '{')) {
        const char *close = strchr(p, '}');
        if (!close)
            break;
        json_array_append_new(
            params, json_pack("{s:s%,s:s,s:b,s:{s:s}}", "name", p + 1, (size_t)(close - p - 1),
                              "in", "path", "required", 1, "schema", "type", "string"));
    }
    return params;
}

static json_t *error_ref(void)
{
    return json_pack("{s:s}", "$ref", "#/components/responses/Error");
}

/* What a successful answer carries: JSON except for the metrics text, the docs page and the
 * dashboard's files. */
static json_t *success_response(const struct aps_route *rt)
{
    size_t n = strlen(rt->pattern);
    const char *type = "application/json";
    if (n >= 8 && !strcmp(rt->pattern + n - 8, "/metrics"))
        type = "text/plain";
    else if (rt->tag && (!strcmp(rt->tag, "docs") || !strcmp(rt->tag, "web")))
        type = "text/html";
    return json_pack("{s:s,s:{s:{s:{}}}}", "description", "Success", "content", type, "schema");
}

static json_t *responses(const struct aps_route *rt, bool has_body)
{
    json_t *r = json_object();
    json_object_set_new(r, "2XX", success_response(rt));
    if (rt->cache != APS_CACHE_NONE)
        json_object_set_new(r, "304", json_pack("{s:s}", "description",
                                                "Not modified (If-None-Match matched the ETag)"));
    json_object_set_new(r, "400", error_ref());
    if (rt->perm != APS_PERM_PUBLIC) {
        json_object_set_new(r, "401", error_ref());
        json_object_set_new(r, "403", error_ref());
    }
    json_object_set_new(r, "404", error_ref());
    if (has_body)
        json_object_set_new(r, "413", error_ref());
    json_object_set_new(r, "429", error_ref());
    json_object_set_new(r, "500", error_ref());
    return r;
}

static json_t *operation(const struct aps_route *rt)
{
    bool has_body = !strcmp(rt->method, "POST") || !strcmp(rt->method, "PUT") ||
                    !strcmp(rt->method, "PATCH");
    json_t *op = json_object();
    json_object_set_new(op, "operationId", operation_id(rt));
    json_object_set_new(op, "tags", json_pack("[s]", rt->tag ? rt->tag : "api"));
    json_object_set_new(op, "summary", json_string(rt->summary ? rt->summary : ""));
    json_object_set_new(op, "parameters", path_params(rt->pattern));
    if (rt->perm == APS_PERM_PUBLIC)
        json_object_set_new(op, "security", json_array());
    else
        json_object_set_new(op, "security",
                            json_pack("[{s:[]},{s:[]}]", "bearerAuth", "apiKey"));
    json_object_set_new(op, "x-permission", json_string(aps_perm_name(rt->perm)));
    json_object_set_new(op, "x-cache", json_string(cache_names[rt->cache]));
    if (has_body) {
        json_object_set_new(op, "requestBody",
                            json_pack("{s:b,s:{s:{s:{s:s}}}}", "required", 0, "content",
                                      "application/json", "schema", "type", "object"));
        json_object_set_new(op, "x-body-limit",
                            json_integer(rt->body_limit ? (json_int_t)rt->body_limit
                                                        : (json_int_t)(1 << 20)));
    }
    json_object_set_new(op, "responses", responses(rt, has_body));
    return op;
}

/* The shared parts, written as the JSON they are. */
static const char components_json[] =
    "{\"securitySchemes\":{"
    "\"bearerAuth\":{\"type\":\"http\",\"scheme\":\"bearer\",\"bearerFormat\":\"JWT\"},"
    "\"apiKey\":{\"type\":\"apiKey\",\"in\":\"header\",\"name\":\"X-API-Key\"}},"
    "\"schemas\":{\"Error\":{\"type\":\"object\",\"required\":[\"error\",\"request_id\"],"
    "\"properties\":{\"error\":{\"type\":\"object\",\"required\":[\"code\",\"message\"],"
    "\"properties\":{\"code\":{\"type\":\"string\",\"examples\":[\"VALIDATION_ERROR\"]},"
    "\"message\":{\"type\":\"string\"},"
    "\"details\":{\"type\":\"array\",\"items\":{\"type\":\"object\","
    "\"properties\":{\"field\":{\"type\":\"string\"},\"message\":{\"type\":\"string\"}}}}}},"
    "\"request_id\":{\"type\":\"string\"}}}},"
    "\"responses\":{\"Error\":{\"description\":\"Error envelope: machine code, message, "
    "per-field details, request id\",\"content\":{\"application/json\":{\"schema\":"
    "{\"$ref\":\"#/components/schemas/Error\"}}}}}}";

static json_t *components(void)
{
    return json_loads(components_json, 0, NULL);
}

static void add_tag(json_t *tags, const char *tag)
{
    size_t i;
    json_t *t;
    json_array_foreach(tags, i, t)
    {
        if (!strcmp(json_string_value(json_object_get(t, "name")), tag))
            return;
    }
    json_array_append_new(tags, json_pack("{s:s}", "name", tag));
}

json_t *aps_openapi_document(const struct aps_route *routes, size_t n, const char *title,
                             const char *version)
{
    json_t *paths = json_object(), *tags = json_array();
    for (size_t i = 0; i < n; i++) {
        const struct aps_route *rt = &routes[i];
        json_t *item = json_object_get(paths, rt->pattern);
        if (!item) {
            item = json_object();
            json_object_set_new(paths, rt->pattern, item);
        }
        char m[16];
        size_t k = 0;
        for (; rt->method[k] && k < sizeof m - 1; k++)
            m[k] = (char)tolower((unsigned char)rt->method[k]);
        m[k] = '\0';
        json_object_set_new(item, m, operation(rt));
        add_tag(tags, rt->tag ? rt->tag : "api");
    }
    return json_pack("{s:s,s:{s:s,s:s,s:s},s:o,s:o,s:o}", "openapi", "3.1.0", "info", "title",
                     title ? title : "API", "version", version ? version : "0",
                     "description",
                     "Every error answers with the envelope in components.schemas.Error; every "
                     "response carries X-Request-ID and X-Response-Time.",
                     "tags", tags, "paths", paths, "components", components());
}
