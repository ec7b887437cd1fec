/* test_openapi.c — the OpenAPI document is generated from the route table and lists exactly its
 * routes: one operation per row, none extra, each with its tag, summary, permission, security
 * requirement and path parameters; and the table itself has no duplicate (method, pattern). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
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

static size_t count_params(const struct aps_route *rt)
{
    size_t n = 0;
    for (const char *p = strchr(rt->pattern, '{'); p; p = strchr(p + 1, '{'))
        n++;
    struct aps_qparam qs[APS_HTTP_MAX_QPARAMS];
    size_t nq = 0;
    char err[160];
    if (aps_http_qspec_parse(rt->query, qs, APS_HTTP_MAX_QPARAMS, &nq, err, sizeof err))
        fail_msg("%s %s: %s", rt->method, rt->pattern, err);
    return n + nq;
}

/* Every $ref in v names a schema of the document. */
static void check_refs(json_t *doc, json_t *v)
{
    const char *k;
    json_t *x;
    size_t i;
    if (json_is_object(v)) {
        json_object_foreach(v, k, x)
        {
            if (!strcmp(k, "$ref")) {
                const char *r = json_string_value(x);
                assert_non_null(r);
                assert_true(!strncmp(r, "#/components/schemas/", 21));
                if (!json_object_get(
                        json_object_get(json_object_get(doc, "components"), "schemas"), r + 21))
                    fail_msg("unresolved $ref %s", r);
            } else {
                check_refs(doc, x);
            }
        }
    } else if (json_is_array(v)) {
        json_array_foreach(v, i, x) check_refs(doc, x);
    }
}

static void check_document(const struct aps_route *routes, size_t n)
{
    json_t *doc = aps_openapi_document(routes, n, "T", "1");
    assert_non_null(doc);
    assert_string_equal(json_string_value(json_object_get(doc, "openapi")), "3.1.0");
    assert_non_null(json_object_get(json_object_get(doc, "info"), "license"));
    assert_true(json_array_size(json_object_get(doc, "servers")) >= 1);
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
        assert_int_equal(sec, rt->perm == APS_PERM_PUBLIC ? 0 : 3);
        assert_int_equal(json_array_size(json_object_get(op, "parameters")), count_params(rt));
        json_t *resp = json_object_get(op, "responses");
        char code[8];
        snprintf(code, sizeof code, "%d", atoi(rt->response ? rt->response : "200"));
        if (!json_object_get(resp, code))
            fail_msg("%s %s: no %s response", rt->method, rt->pattern, code);
        assert_non_null(json_object_get(resp, "400"));
        assert_non_null(json_object_get(resp, "500"));
        if (rt->perm != APS_PERM_PUBLIC)
            assert_non_null(json_object_get(resp, "403"));
        if (strchr(rt->pattern, '{'))
            assert_non_null(json_object_get(resp, "404"));
    }
    json_t *schemas = json_object_get(json_object_get(doc, "components"), "schemas");
    json_t *err = json_object_get(schemas, "Error");
    assert_non_null(json_object_get(json_object_get(err, "properties"), "request_id"));
    check_refs(doc, doc);
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
        {"GET", "/a/{x}/b/{y}", noop, APS_PERM_PUBLIC, 0, APS_CACHE_NONE, "t", "two params",
         "n:int(1,9)=3 on:bool", NULL, "200 Game", NULL},
        {"POST", "/a/{x}/b/{y}", noop, APS_PERM_MANAGE_USERS, 4096, APS_CACHE_NONE, "t", "post",
         NULL, "LoginRequest", "201 Game", "409"},
        {"GET", "/c", noop, APS_PERM_VIEW_PREDICTIONS, 0, APS_CACHE_PREDICTIONS, "u", "c",
         "page:int(1,)=1", NULL, "200 List:Game", NULL},
    };
    check_document(t, 3);
    json_t *doc = aps_openapi_document(t, 3, "T", "1");
    json_t *get = operation_of(doc, &t[0]);
    json_t *post = operation_of(doc, &t[1]);
    assert_int_equal(json_integer_value(json_object_get(post, "x-body-limit")), 4096);
    assert_non_null(json_object_get(post, "requestBody"));
    assert_non_null(json_object_get(json_object_get(post, "responses"), "201"));
    assert_non_null(json_object_get(json_object_get(post, "responses"), "409"));
    assert_non_null(json_object_get(json_object_get(post, "responses"), "413"));
    assert_null(json_object_get(json_object_get(get, "responses"), "409"));
    assert_string_equal(json_string_value(json_object_get(
                            json_array_get(json_object_get(post, "parameters"), 1), "name")),
                        "y");
    /* query parameters: type, bounds and default from the spec */
    json_t *n = json_array_get(json_object_get(get, "parameters"), 2);
    assert_string_equal(json_string_value(json_object_get(n, "in")), "query");
    assert_string_equal(json_string_value(json_object_get(n, "name")), "n");
    json_t *sc = json_object_get(n, "schema");
    assert_string_equal(json_string_value(json_object_get(sc, "type")), "integer");
    assert_int_equal(json_integer_value(json_object_get(sc, "minimum")), 1);
    assert_int_equal(json_integer_value(json_object_get(sc, "maximum")), 9);
    assert_int_equal(json_integer_value(json_object_get(sc, "default")), 3);
    json_t *c = operation_of(doc, &t[2]);
    assert_non_null(json_object_get(json_object_get(c, "responses"), "304"));
    /* a list answer is the list envelope with items of its kind */
    json_t *list = json_object_get(json_object_get(json_object_get(doc, "components"), "schemas"),
                                   "GameList");
    assert_non_null(list);
    assert_string_equal(json_string_value(json_object_get(
                            json_array_get(json_object_get(list, "allOf"), 0), "$ref")),
                        "#/components/schemas/ListEnvelope");
    assert_int_equal(json_array_size(json_object_get(doc, "tags")), 2);
    json_decref(doc);
}

/* Query specs: what parses, what does not, and how values are checked. */
static void test_query_spec(void **state)
{
    (void)state;
    struct aps_qparam q[APS_HTTP_MAX_QPARAMS];
    size_t n;
    char err[160], msg[400];
    assert_int_equal(aps_http_qspec_parse("a:int(1,5)=2 b:bool c:enum(x|y) d:date e:string(3) "
                                          "f!:number(0,) s:sport",
                                          q, APS_HTTP_MAX_QPARAMS, &n, err, sizeof err),
                     0);
    assert_int_equal(n, 7);
    assert_true(q[5].required);
    assert_false(aps_http_qvalue_ok(&q[0], "6", msg, sizeof msg));
    assert_string_equal(msg, "must be an integer from 1 to 5");
    assert_true(aps_http_qvalue_ok(&q[0], "5", msg, sizeof msg));
    assert_false(aps_http_qvalue_ok(&q[1], "maybe", msg, sizeof msg));
    assert_false(aps_http_qvalue_ok(&q[2], "X", msg, sizeof msg));
    assert_string_equal(msg, "must be one of x,y");
    assert_false(aps_http_qvalue_ok(&q[3], "2024-13-01", msg, sizeof msg));
    assert_false(aps_http_qvalue_ok(&q[4], "abcd", msg, sizeof msg));
    assert_false(aps_http_qvalue_ok(&q[5], "-1", msg, sizeof msg));
    assert_true(aps_http_qvalue_ok(&q[6], "nba", msg, sizeof msg));
    assert_false(aps_http_qvalue_ok(&q[6], "NBAX", msg, sizeof msg));
    const char *bad[] = {"a", "a:int(1,5", "a:float", "a:int=x", "a:int a:bool", "a:enum()",
                         "a:int(1,5)=9"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (!aps_http_qspec_parse(bad[i], q, APS_HTTP_MAX_QPARAMS, &n, err, sizeof err))
            fail_msg("spec '%s' parsed", bad[i]);
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
        cmocka_unit_test(test_query_spec),
        cmocka_unit_test(test_cache_tag),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
