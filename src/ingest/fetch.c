/* fetch.c — URL → temporary file with libcurl (see fetch.h). */
#include "ingest/fetch.h"

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/str.h"

struct sink {
    FILE *f;
    size_t total;
    bool too_big;
};

static size_t on_data(char *p, size_t size, size_t n, void *ud)
{
    struct sink *s = ud;
    size_t len = size * n;
    if (s->total + len > APS_FETCH_MAX_BYTES) {
        s->too_big = true;
        return 0;
    }
    s->total += len;
    return fwrite(p, 1, len, s->f);
}

bool aps_fetch_is_url(const char *s)
{
    return aps_str_starts(s, "http://") || aps_str_starts(s, "https://") ||
           aps_str_starts(s, "file://");
}

/* The last path segment of the URL (without query), sanitised for a file name. */
static void url_basename(const char *url, char *out, size_t cap)
{
    const char *end = url + strcspn(url, "?#");
    const char *start = end;
    while (start > url && start[-1] != '/')
        start--;
    size_t j = 0;
    for (const char *p = start; p < end && j + 1 < cap; p++)
        out[j++] = (*p == ' ' || *p == '%' || *p == '/') ? '_' : *p;
    out[j] = '\0';
    if (!j)
        (void)aps_str_copy(out, cap, "download");
}

int aps_fetch_to_temp(const char *url, char *path_out, size_t cap, char *err, size_t errcap)
{
    char base[128];
    url_basename(url, base, sizeof base);
    int n = snprintf(path_out, cap, "/tmp/aps-fetch-XXXXXX-%s", base);
    if (n < 0 || (size_t)n >= cap) {
        snprintf(err, errcap, "URL file name too long");
        return APS_E_TOOBIG;
    }
    int fd = mkstemps(path_out, (int)strlen(base) + 1);
    if (fd < 0) {
        snprintf(err, errcap, "cannot create a temporary file");
        return APS_E_IO;
    }
    struct sink s = {.f = fdopen(fd, "wb")};
    if (!s.f) {
        close(fd);
        unlink(path_out);
        snprintf(err, errcap, "cannot open a temporary file");
        return APS_E_IO;
    }
    CURL *h = curl_easy_init();
    int rc = 0;
    if (!h) {
        rc = APS_E_NOMEM;
    } else {
        curl_easy_setopt(h, CURLOPT_URL, url);
        curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_data);
        curl_easy_setopt(h, CURLOPT_WRITEDATA, &s);
        curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 1L);
        curl_easy_setopt(h, CURLOPT_MAXREDIRS, 5L);
        curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, 10L);
        curl_easy_setopt(h, CURLOPT_TIMEOUT, 300L);
        curl_easy_setopt(h, CURLOPT_FAILONERROR, 1L);
        curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
        CURLcode cc = curl_easy_perform(h);
        if (s.too_big) {
            snprintf(err, errcap, "%s: larger than %u bytes", url, APS_FETCH_MAX_BYTES);
            rc = APS_E_TOOBIG;
        } else if (cc != CURLE_OK) {
            snprintf(err, errcap, "%s: %s", url, curl_easy_strerror(cc));
            rc = APS_E_IO;
        }
        curl_easy_cleanup(h);
    }
    if (fclose(s.f) != 0 && !rc) {
        snprintf(err, errcap, "cannot write the temporary file");
        rc = APS_E_IO;
    }
    if (rc)
        unlink(path_out);
    return rc;
}
