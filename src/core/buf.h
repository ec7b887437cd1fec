/* buf.h — a growable byte buffer, always NUL-terminated. A zeroed struct is an empty buffer;
 * aps_buf_cleanup() frees it and leaves it empty again. */
#ifndef APS_CORE_BUF_H
#define APS_CORE_BUF_H

#include <stdarg.h>
#include <stddef.h>

struct aps_buf {
    char *data;
    size_t len, cap;
};

void aps_buf_reserve(struct aps_buf *b, size_t extra);
void aps_buf_append(struct aps_buf *b, const void *p, size_t n);
void aps_buf_puts(struct aps_buf *b, const char *s);
void aps_buf_putc(struct aps_buf *b, char c);
void aps_buf_printf(struct aps_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void aps_buf_vprintf(struct aps_buf *b, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));
void aps_buf_reset(struct aps_buf *b);
/* Transfers ownership of the bytes to the caller (free with aps_free); the buffer becomes empty. */
char *aps_buf_steal(struct aps_buf *b);
void aps_buf_cleanup(struct aps_buf *b);
/* The contents, or "" when empty; valid until the next change. */
const char *aps_buf_str(const struct aps_buf *b);

#endif
