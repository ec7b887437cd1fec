/* buf.c — growable buffer. */
#include "core/buf.h"

#include <stdio.h>
#include <string.h>

#include "core/mem.h"

void aps_buf_reserve(struct aps_buf *b, size_t extra)
{
    size_t need = b->len + extra + 1;
    if (need <= b->cap)
        return;
    size_t cap = b->cap ? b->cap : 64;
    while (cap < need)
        cap *= 2;
    b->data = aps_realloc(b->data, cap);
    b->cap = cap;
}

void aps_buf_append(struct aps_buf *b, const void *p, size_t n)
{
    aps_buf_reserve(b, n);
    memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = '\0';
}

void aps_buf_puts(struct aps_buf *b, const char *s)
{
    aps_buf_append(b, s, strlen(s));
}

void aps_buf_putc(struct aps_buf *b, char c)
{
    aps_buf_append(b, &c, 1);
}

void aps_buf_vprintf(struct aps_buf *b, const char *fmt, va_list ap)
{
    va_list ap2;
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap2);
    va_end(ap2);
    if (n < 0)
        return;
    aps_buf_reserve(b, (size_t)n);
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    b->len += (size_t)n;
}

void aps_buf_printf(struct aps_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    aps_buf_vprintf(b, fmt, ap);
    va_end(ap);
}

void aps_buf_reset(struct aps_buf *b)
{
    b->len = 0;
    if (b->data)
        b->data[0] = '\0';
}

char *aps_buf_steal(struct aps_buf *b)
{
    char *p = b->data ? b->data : aps_strdup("");
    b->data = NULL;
    b->len = b->cap = 0;
    return p;
}

void aps_buf_cleanup(struct aps_buf *b)
{
    aps_free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}

const char *aps_buf_str(const struct aps_buf *b)
{
    return b->data ? b->data : "";
}
