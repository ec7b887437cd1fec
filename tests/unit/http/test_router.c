/* test_router.c — route matching (parameters, 404 vs 405 with Allow, HEAD, trailing slash), the
 * error envelope and header helpers, ETags and the bounded JSON body parser. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "http/http.h"

static int h_ok(struct aps_http_req *req, struct aps_http_res *res)
{
    (void)req;
    return aps_http_json(res, 200, json_object());
}

static const struct aps_route table[] = {
    {"GET", "/api/v1/games", h_ok, APS_PERM_PUBLIC, 0, APS_CACHE_NONE, "games", "list", NULL, NULL,
     NULL, NULL},
    {"GET", "/api/v1/games/today", h_ok, APS_PERM_PUBLIC, 0, APS_CACHE_NONE, "games", "today",
     NULL, NULL, NULL, NULL},
    {"GET", "/api/v1/games/{id}", h_ok, APS_PERM_PUBLIC, 0, APS_CACHE_NONE, "games", "one", NULL,
     NULL, NULL, NULL},
    {"DELETE", "/api/v1/games/{id}", h_ok, APS_PERM_PUBLIC, 0, APS_CACHE_NONE, "games", "del",
     NULL, NULL, NULL, NULL},
    {"POST", "/api/v1/odds/{game}/book/{book}", h_ok, APS_PERM_PUBLIC, 0, APS_CACHE_NONE, "odds",
     "two params", NULL, NULL, NULL, NULL},
};
static const size_t ntable = sizeof table / sizeof table[0];

static const struct aps_route *match(const char *method, const char *path, struct aps_arena *a,
                                     const char **params, char *allow)
{
    return aps_http_route_match(table, ntable, method, path, params, a, allow, 64);
}

static void test_match_literal_and_params(void **state)
{
    (void)state;
    struct aps_arena a = {0};
    const char *params[APS_HTTP_MAX_PARAMS] = {0};
    char allow[64];
    assert_ptr_equal(match("GET", "/api/v1/games", &a, params, allow), &table[0]);
    /* A literal row listed before the parameter row wins. */
    assert_ptr_equal(match("GET", "/api/v1/games/today", &a, params, allow), &table[1]);
    const struct aps_route *rt = match("GET", "/api/v1/games/42", &a, params, allow);
    assert_ptr_equal(rt, &table[2]);
    assert_string_equal(params[0], "42");
    struct aps_http_req req = {.route = rt};
    memcpy(req.params, params, sizeof params);
    assert_string_equal(aps_http_param(&req, "id"), "42");
    assert_null(aps_http_param(&req, "other"));
    rt = match("POST", "/api/v1/odds/7/book/pinnacle", &a, params, allow);
    assert_ptr_equal(rt, &table[4]);
    assert_string_equal(params[0], "7");
    assert_string_equal(params[1], "pinnacle");
    aps_arena_cleanup(&a);
}

static void test_match_misses(void **state)
{
    (void)state;
    struct aps_arena a = {0};
    const char *params[APS_HTTP_MAX_PARAMS] = {0};
    char allow[64];
    assert_null(match("GET", "/api/v1/nothing", &a, params, allow));
    assert_string_equal(allow, "");
    /* An empty segment is no parameter; an extra segment is no match. */
    assert_null(match("GET", "/api/v1/games//", &a, params, allow));
    assert_null(match("GET", "/api/v1/games/1/2", &a, params, allow));
    assert_null(match("GET", "/api/v1/gamesx", &a, params, allow));
    /* Known path, wrong method: the caller answers 405 with Allow. */
    assert_null(match("PUT", "/api/v1/games/9", &a, params, allow));
    assert_string_equal(allow, "GET, DELETE");
    assert_null(match("POST", "/api/v1/games", &a, params, allow));
    assert_string_equal(allow, "GET");
    aps_arena_cleanup(&a);
}

static void test_match_head_and_trailing_slash(void **state)
{
    (void)state;
    struct aps_arena a = {0};
    const char *params[APS_HTTP_MAX_PARAMS] = {0};
    char allow[64];
    assert_ptr_equal(match("HEAD", "/api/v1/games", &a, params, allow), &table[0]);
    assert_ptr_equal(match("GET", "/api/v1/games/", &a, params, allow), &table[0]);
    assert_ptr_equal(match("GET", "/api/v1/games/5/", &a, params, allow), &table[2]);
    assert_string_equal(params[0], "5");
    aps_arena_cleanup(&a);
}

static void test_envelope(void **state)
{
    (void)state;
    struct aps_http_res res = {0};
    assert_int_equal(aps_http_error(&res, 400, "VALIDATION_ERROR", "bad input"), 0);
    aps_http_error_field(&res, "sport", "unknown sport");
    char *s = json_dumps(res.json, JSON_COMPACT);
    assert_string_equal(s, "{\"error\":{\"code\":\"VALIDATION_ERROR\",\"message\":\"bad input\","
                           "\"details\":[{\"field\":\"sport\",\"message\":\"unknown sport\"}]}}");
    free(s);
    assert_int_equal(res.status, 400);
    assert_true(res.no_cache);
    /* A second error replaces the first (no leak: run under ASan). */
    aps_http_error(&res, 404, "NOT_FOUND", "gone");
    assert_string_equal(json_string_value(json_object_get(json_object_get(res.json, "error"),
                                                          "code")),
                        "NOT_FOUND");
    json_decref(res.json);
}

static void test_headers(void **state)
{
    (void)state;
    struct aps_http_res res = {0};
    aps_http_header_set(&res, "X-A", "1");
    aps_http_header_set(&res, "x-a", "2");
    assert_int_equal(res.nheaders, 1);
    assert_string_equal(res.headers[0].value, "2");
    char name[16];
    for (int i = 0; i < APS_HTTP_MAX_HEADERS + 3; i++) {
        snprintf(name, sizeof name, "H%d", i);
        aps_http_header_set(&res, name, "v");
    }
    assert_int_equal(res.nheaders, APS_HTTP_MAX_HEADERS);
}

static void test_etag(void **state)
{
    (void)state;
    char e1[48], e2[48];
    aps_http_etag("abc", 3, e1);
    aps_http_etag("abd", 3, e2);
    assert_int_equal(strlen(e1), 34);
    assert_int_equal(e1[0], '"');
    assert_int_equal(e1[33], '"');
    assert_string_not_equal(e1, e2);
    /* The tag is XXH3-128 of the bytes (the value `xxhsum -H2` prints), so every process of a
     * release gives the same body the same tag and a 304 holds across instances. */
    assert_string_equal(e1, "\"06b05ab6733a618578af5f94892f3950\"");
    char list[128];
    snprintf(list, sizeof list, "\"zzz\", W/%s", e1);
    assert_true(aps_http_etag_matches(list, e1));
    assert_false(aps_http_etag_matches(list, e2));
    assert_true(aps_http_etag_matches("*", e2));
    assert_false(aps_http_etag_matches("", e2));
}

static void test_parse_json(void **state)
{
    (void)state;
    json_t *j = NULL;
    char msg[200];
    assert_int_equal(aps_http_parse_json("{\"a\":[1,{\"b\":2}]}", 17, 3, &j, msg, sizeof msg), 0);
    assert_true(json_is_object(j));
    json_decref(j);
    /* Depth 4 against a limit of 3; brackets inside strings do not count. */
    assert_int_equal(aps_http_parse_json("[[[[1]]]]", 9, 3, &j, msg, sizeof msg), APS_E_TOOBIG);
    assert_null(j);
    assert_non_null(strstr(msg, "deeper than 3"));
    const char *s = "{\"a\":\"[[[[[[\"}";
    assert_int_equal(aps_http_parse_json(s, strlen(s), 2, &j, msg, sizeof msg), 0);
    json_decref(j);
    assert_int_equal(aps_http_parse_json("{\"a\":", 5, 32, &j, msg, sizeof msg), APS_E_PARSE);
    assert_int_equal(aps_http_parse_json("42", 2, 32, &j, msg, sizeof msg), APS_E_PARSE);
    assert_int_equal(aps_http_parse_json("{\"a\":1,\"a\":2}", 13, 32, &j, msg, sizeof msg),
                     APS_E_PARSE);
    /* A very deep body is refused by the scan, not by recursion. */
    struct aps_buf deep = {0};
    for (int i = 0; i < 100000; i++)
        aps_buf_putc(&deep, '[');
    assert_int_equal(aps_http_parse_json(deep.data, deep.len, 32, &j, msg, sizeof msg),
                     APS_E_TOOBIG);
    aps_buf_cleanup(&deep);
}

static void test_static_names(void **state)
{
    (void)state;
    assert_true(aps_http_static_name_ok("swagger-ui.css"));
    assert_true(aps_http_static_name_ok("index.html"));
    assert_false(aps_http_static_name_ok(".."));
    assert_false(aps_http_static_name_ok("../etc"));
    assert_false(aps_http_static_name_ok("a/b"));
    assert_false(aps_http_static_name_ok(".hidden"));
    assert_false(aps_http_static_name_ok("a..b"));
    assert_false(aps_http_static_name_ok(""));
    assert_false(aps_http_static_name_ok("a%2f"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_match_literal_and_params),
        cmocka_unit_test(test_match_misses),
        cmocka_unit_test(test_match_head_and_trailing_slash),
        cmocka_unit_test(test_envelope),
        cmocka_unit_test(test_headers),
        cmocka_unit_test(test_etag),
        cmocka_unit_test(test_parse_json),
        cmocka_unit_test(test_static_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
