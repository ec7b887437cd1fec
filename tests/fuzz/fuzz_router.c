/* fuzz_router.c — libFuzzer driver for the HTTP router and the query-spec parser
 * (src/http/http.h): the input's first line is "METHOD PATH", matched against the platform's
 * route table (services/routes.h); the rest is parsed as a route's query spec. Any bytes give a
 * route, a 404/405 answer or a parse error, never a crash or an overflow of the allow buffer. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/mem.h"
#include "http/http.h"
#include "services/routes.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void match(char *line)
{
    char *sp = strchr(line, ' ');
    const char *method = line, *path = "/";
    if (sp) {
        *sp = '\0';
        path = sp + 1;
    }
    struct aps_arena a = {0};
    const char *params[APS_HTTP_MAX_PARAMS] = {0}; /* exact size: ASan sees an overflow */
    char allow[128];
    const struct aps_route *rt =
        aps_http_route_match(aps_routes, aps_nroutes, method, path, params, &a, allow, sizeof allow);
    if (!rt && strlen(allow) >= sizeof allow)
        abort();
    aps_arena_cleanup(&a);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = aps_strndup((const char *)data, size);
    char *nl = strchr(text, '\n');
    if (nl)
        *nl = '\0';
    match(text);
    if (nl) {
        struct aps_qparam q[32];
        size_t n = 0;
        char err[256] = "";
        int rc = aps_http_qspec_parse(nl + 1, q, sizeof q / sizeof q[0], &n, err, sizeof err);
        if (n > sizeof q / sizeof q[0] || (rc && !err[0]))
            abort();
    }
    aps_free(text);
    return 0;
}
