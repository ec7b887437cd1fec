/* response.c — building responses: the error envelope (DESIGN §8), headers, JSON bodies, ETags,
 * and the bounded JSON body parser the dispatcher runs before any handler. */
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <xxhash.h>

#include "core/str.h"
#include "http/http.h"

int aps_http_error(struct aps_http_res *res, int status, const char *code, const char *message)
{
    if (res->json)
        json_decref(res->json);
    res->raw = NULL;
    res->raw_len = 0;
    res->status = status;
    res->no_cache = true;
    res->json = json_pack("{s:{s:s,s:s,s:[]}}", "error", "code", code, "message",
                          message ? message : "", "details");
    return 0;
}

void aps_http_error_field(struct aps_http_res *res, const char *field, const char *message)
{
    json_t *details = json_object_get(json_object_get(res->json, "error"), "details");
    if (json_is_array(details))
        json_array_append_new(details, json_pack("{s:s,s:s}", "field", field, "message", message));
}

void aps_http_header_set(struct aps_http_res *res, const char *name, const char *value)
{
    int i = 0;
    while (i < res->nheaders && !aps_str_eq_nocase(res->headers[i].name, name))
        i++;
    if (i == APS_HTTP_MAX_HEADERS)
        return; /* the table is sized for what the server and hooks set; see http.h */
    if (aps_str_copy(res->headers[i].name, sizeof res->headers[i].name, name))
        return;
    /* A value over 255 bytes is cut; headers here are ids, counts and short lists. */
    (void)aps_str_copy(res->headers[i].value, sizeof res->headers[i].value, value);
    if (i == res->nheaders)
        res->nheaders++;
}

int aps_http_json(struct aps_http_res *res, int status, json_t *obj)
{
    if (res->json)
        json_decref(res->json);
    res->json = obj;
    res->status = status ? status : 200;
    return 0;
}

/* XXH3's 128 bits: an ETag only has to change when the body does (a chance collision is one in
 * 2^64 even among billions of bodies); it need not resist forgery, since whoever could choose
 * two colliding bodies already controls what the route returns. */
void aps_http_etag(const void *body, size_t len, char out[48])
{
    XXH128_canonical_t h;
    XXH128_canonicalFromHash(&h, XXH3_128bits(body, len));
    out[0] = '"';
    sodium_bin2hex(out + 1, 33, h.digest, sizeof h.digest);
    out[33] = '"';
    out[34] = '\0';
}

bool aps_http_etag_matches(const char *inm, const char *etag)
{
    size_t el = strlen(etag);
    const char *p = inm;
    while (p && *p) {
        while (*p == ' ' || *p == ',' || *p == '\t')
            p++;
        if (*p == '*')
            return true;
        if (!strncmp(p, "W/", 2))
            p += 2;
        if (!strncmp(p, etag, el) && (p[el] == '\0' || p[el] == ',' || p[el] == ' '))
            return true;
        p = strchr(p, ',');
    }
    return false;
}

/* The deepest nesting of [ and { in a JSON text, counted outside strings; stops early once
 * past max. */
static int json_depth(const char *s, size_t n, int max)
{
    int depth = 0, deepest = 0;
    bool in_str = false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (in_str) {
            if (c == '\\')
                i++;
            else if (c == '"')
                in_str = false;
        } else if (c == '"') {
            in_str = true;
        } else if (c == '[' || c == '{') {
            if (++depth > deepest)
                deepest = depth;
            if (deepest > max)
                return deepest;
        } else if (c == ']' || c == '}') {
            depth--;
        }
    }
    return deepest;
}

int aps_http_parse_json(const char *body, size_t len, int max_depth, json_t **out, char *msg,
                        size_t msgcap)
{
    *out = NULL;
    if (json_depth(body, len, max_depth) > max_depth) {
        snprintf(msg, msgcap, "JSON nested deeper than %d levels", max_depth);
        return APS_E_TOOBIG;
    }
    json_error_t jerr;
    json_t *j = json_loadb(body, len, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, &jerr);
    if (!j) {
        snprintf(msg, msgcap, "malformed JSON at line %d column %d: %s", jerr.line, jerr.column,
                 jerr.text);
        return APS_E_PARSE;
    }
    if (!json_is_object(j) && !json_is_array(j)) {
        json_decref(j);
        snprintf(msg, msgcap, "the body must be a JSON object or array");
        return APS_E_PARSE;
    }
    *out = j;
    return 0;
}
