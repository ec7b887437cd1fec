/* mhd_pages.c — libmicrohttpd's own error pages as the API's JSON envelope.
 *
 * A few answers never reach our code: a request line or header block larger than the connection's
 * memory pool (414 / 431), a request line or header that does not parse (400), a Content-Length
 * or chunk size that does not (400 / 413), an HTTP version it does not speak (505). For those the
 * library sends a short HTML page from its read-only data, with a Content-Length fixed when it was
 * compiled, and it has no option to change them (0.9.75). So at start-up, once per process, each
 * such page in the loaded library's read-only segments is overwritten, in place and at the same
 * length, with the envelope {"error":{"code","message","details":[]},"request_id"} padded with
 * spaces (valid JSON; the id is all zeros, since the library answers before any request exists).
 * A library built without its messages has empty bodies and nothing to patch; a page this file
 * does not know keeps its HTML (the api_probe test counts them). */
#include <link.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "http/http.h"

struct page_kind {
    const char *title_has; /* a piece of the page's <title> (or body) that names it */
    const char *code;
    const char *message;
};

/* The first match wins: the more specific pieces come first. The messages are short because the
 * envelope must fit in the page it replaces (117 bytes for the shortest). */
static const struct page_kind kinds[] = {
    {"Request too big", "REQUEST_TOO_LARGE", "headers too large"},
    {"chunk size", "PAYLOAD_TOO_LARGE", "chunk too large"},
    {"content too large", "PAYLOAD_TOO_LARGE", "body too large"},
    {"Content-Length", "BAD_REQUEST", "bad Content-Length"},
    {"chunked encoding", "BAD_REQUEST", "bad chunks"},
    {"Host:", "BAD_REQUEST", "Host header required"},
    {"version", "HTTP_VERSION_NOT_SUPPORTED", "use HTTP/1.1"},
    {"malformed", "BAD_REQUEST", "malformed"},
    {"Internal server error", "INTERNAL_ERROR", "internal error"},
};

#define OPEN_TAG "<html><head><title>"
#define CLOSE_TAG "</html>"

/* Writes the envelope for the page at p (n bytes) into out, padded with spaces to n bytes.
 * False when the page is unknown or the envelope does not fit. */
static bool envelope_for(const char *p, size_t n, char *out)
{
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
        if (!memmem(p, n, kinds[i].title_has, strlen(kinds[i].title_has)))
            continue;
        char buf[512];
        int len = snprintf(buf, sizeof buf,
                           "{\"error\":{\"code\":\"%s\",\"message\":\"%s\",\"details\":[]},"
                           "\"request_id\":\"00000000000000000000000000000000\"}",
                           kinds[i].code, kinds[i].message);
        if (len < 0 || (size_t)len > n)
            return false;
        memcpy(out, buf, (size_t)len);
        memset(out + len, ' ', n - (size_t)len);
        return true;
    }
    return false;
}

/* Rewrites the pages inside one read-only segment [base, base + size). */
static int patch_segment(char *base, size_t size, int prot)
{
    long pg = sysconf(_SC_PAGESIZE);
    int patched = 0;
    char *end = base + size;
    for (char *p = base; (p = memmem(p, (size_t)(end - p), OPEN_TAG, strlen(OPEN_TAG)));) {
        char *close = memmem(p, (size_t)(end - p), CLOSE_TAG, strlen(CLOSE_TAG));
        if (!close)
            break;
        size_t n = (size_t)(close - p) + strlen(CLOSE_TAG);
        char repl[1024];
        if (n <= sizeof repl && envelope_for(p, n, repl)) {
            char *first = (char *)((uintptr_t)p & ~(uintptr_t)(pg - 1));
            size_t span = (size_t)(p + n - first);
            if (mprotect(first, span, prot | PROT_WRITE) == 0) {
                memcpy(p, repl, n);
                mprotect(first, span, prot);
                patched++;
            }
        }
        p += n;
    }
    return patched;
}

static int on_object(struct dl_phdr_info *info, size_t size, void *data)
{
    int *patched = data;
    (void)size;
    if (!info->dlpi_name || !strstr(info->dlpi_name, "libmicrohttpd"))
        return 0;
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        /* Read-only data only: never a writable segment, never code being run. */
        if (ph->p_type != PT_LOAD || (ph->p_flags & (PF_W | PF_X)))
            continue;
        *patched += patch_segment((char *)(info->dlpi_addr + ph->p_vaddr), ph->p_memsz, PROT_READ);
    }
    return 1;
}

int aps_http_library_pages_as_json(void)
{
    int patched = 0;
    dl_iterate_phdr(on_object, &patched);
    return patched;
}
