/* test_openapi.c — the OpenAPI document is generated from the route table and lists exactly its
 * routes: one operation per row, none extra, each with its tag, summary, permission, security
 * requirement and path parameters; and the table itself has no duplicate (method, pattern). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <ctype.h>
#include <string.h>

#include "services/api_server.h"
#include "services/openapi.h"
#include "services/routes.h"

static json_t *operation_of(json_t *doc, const struct aps_route *rt)
{
    char m[16];
    size_t i = 0;
    for (; rt->method[i] && i < sizeof m - 1; i++)
        m[i] = (char)tolower((unsigned char)rt->method[i]);
    m[i] = '\0';
    return json_object_get(json_object_get(json_object_get(doc, "paths"), rt->pattern), m);
}

static size_t count_params(const char *pattern)
{
    size_t n = 0;
    for (const char *p = strchr(pattern, '{'); p; p = strchr(p + 1, '{'))
        n++;
    return n;
}

static void check_document(const struct aps_route *routes, size_t n)
{
    json_t *doc = aps_openapi_document(routes, n, "T", "1");
    assert_non_null(doc);
    assert_string_equal(json_string_value(json_object_get(doc, "openapi")), "3.1.0");
    size_t ops = 0;
    const char *path;
    json_t *item;
    json_object_foreach(json_object_get(doc, "paths"), path, item) ops += json_object_size(item);
    assert_int_equal(ops, n);
    for (size_t i = 0; i < n; i++) {
        const struct aps_route *rt = &routes[i];
        json_t *op = operation_of(doc, rt);
        if (!op)
            fail_msg("%s %s is missing from the document", rt->method, rt->pattern);
        assert_string_equal(json_string_value(json_array_get(json_object_get(op, "tags"), 0)),
                            rt->tag);
        assert_string_equal(json_string_value(json_object_get(op, "summary")), rt->summary);
        assert_string_equal(json_string_value(json_object_get(op, "x-permission")),
                            aps_perm_name(rt->perm));
        size_t sec = json_array_size(json_object_get(op, "security"));
        assert_int_equal(sec, rt->perm == APS_PERM_PUBLIC ? 0 : 2);
        assert_int_equal(json_array_size(json_object_get(op, "parameters")),
                         count_params(rt->pattern));
        assert_non_null(json_object_get(json_object_get(op, "responses"), "2XX"));
    }
    json_t *err = json_object_get(json_object_get(json_object_get(doc, "components"), "schemas"),
                                  "Error");
    assert_non_null(json_object_get(json_object_get(err, "properties"), "request_id"));
    json_decref(doc);
}

static int noop(struct aps_http_req *req, struct aps_http_res *res)
{
    (void)req;
    (void)res;
    return 0;
}

static void test_small_table(void **state)
{
    (void)state;
    static const struct aps_route t[] = {
        {"GET", "/a/{x}/b/{y}", noop, APS_PERM_PUBLIC, 0, APS_CACHE_NONE, "t", "two params"},
        {"POST", "/a/{x}/b/{y}", noop, APS_PERM_MANAGE_USERS, 4096, APS_CACHE_NONE, "t", "post"},
        {"GET", "/c", noop, APS_PERM_VIEW_PREDICTIONS, 0, APS_CACHE_PREDICTIONS, "u", "c"},
    };
    check_document(t, 3);
    json_t *doc = aps_openapi_document(t, 3, "T", "1");
    json_t *post = operation_of(doc, &t[1]);
    assert_int_equal(json_integer_value(json_object_get(post, "x-body-limit")), 4096);
    assert_non_null(json_object_get(post, "requestBody"));
    assert_string_equal(json_string_value(json_object_get(
                            json_array_get(json_object_get(post, "parameters"), 1), "name")),
                        "y");
    assert_non_null(json_object_get(json_object_get(operation_of(doc, &t[2]), "responses"),
                                    "304"));
    assert_int_equal(json_array_size(json_object_get(doc, "tags")), 2);
    json_decref(doc);
}

static void test_real_table(void **state)
{
    (void)state;
    assert_true(aps_nroutes >= 10);
    for (size_t i = 0; i < aps_nroutes; i++)
        for (size_t j = i + 1; j < aps_nroutes; j++)
            if (!strcmp(aps_routes[i].method, aps_routes[j].method) &&
                !strcmp(aps_routes[i].pattern, aps_routes[j].pattern))
                fail_msg("duplicate route %s %s", aps_routes[i].method, aps_routes[i].pattern);
    check_document(aps_routes, aps_nroutes);
}

/* The response cache files keys under the endpoint group, so invalidating "predictions" drops
 * every cached prediction answer (api_server.h). */
static void test_cache_tag(void **state)
{
    (void)state;
    char tag[33];
    aps_api_cache_tag("GET /api/v1/predictions?limit=50#u3", tag);
    assert_string_equal(tag, "predictions");
    aps_api_cache_tag("GET /api/v1/odds/12/best", tag);
    assert_string_equal(tag, "odds");
    aps_api_cache_tag("GET /api/v1/openapi.json", tag);
    assert_string_equal(tag, "openapi_json");
    aps_api_cache_tag("GET /metrics", tag);
    assert_string_equal(tag, "api");
    aps_api_cache_tag("GET /api/v1/Some-Group", tag);
    assert_string_equal(tag, "some_group");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_small_table),
        cmocka_unit_test(test_real_table),
        cmocka_unit_test(test_cache_tag),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
