/* log.c — JSON log lines. */
#include "core/log.h"

#include <stdarg.h>
#include <string.h>

#include "core/buf.h"
#include "core/str.h"
#include "core/timeutil.h"

static const char *names[] = {"DEBUG", "INFO", "WARNING", "ERROR", "OFF"};

int aps_log_level_parse(const char *s)
{
    for (int i = 0; i <= APS_LOG_OFF; i++)
        if (aps_str_eq_nocase(s, names[i]))
            return i;
    if (aps_str_eq_nocase(s, "WARN"))
        return APS_LOG_WARNING;
    if (aps_str_eq_nocase(s, "CRITICAL"))
        return APS_LOG_ERROR;
    return -1;
}

const char *aps_log_level_name(enum aps_log_level l)
{
    return (unsigned)l <= APS_LOG_OFF ? names[l] : "?";
}

void aps_json_escape(struct aps_buf *b, const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    for (;;) {
        const unsigned char *run = p; /* bytes that go out as they are, appended at once */
        while (*p >= 0x20 && *p != '"' && *p != '\\')
            p++;
        if (p > run)
            aps_buf_append(b, run, (size_t)(p - run));
        if (!*p)
            return;
        switch (*p) {
        case '"':
            aps_buf_puts(b, "\\\"");
            break;
        case '\\':
            aps_buf_puts(b, "\\\\");
            break;
        case '\n':
            aps_buf_puts(b, "\\n");
            break;
        case '\r':
            aps_buf_puts(b, "\\r");
            break;
        case '\t':
            aps_buf_puts(b, "\\t");
            break;
        default: {
            static const char hex[] = "0123456789abcdef";
            char u[6] = {'\\', 'u', '0', '0', hex[*p >> 4], hex[*p & 15]};
            aps_buf_append(b, u, sizeof u);
        }
        }
        p++;
    }
}

size_t aps_json_escape_into(char *out, const char *s)
{
    static const char hex[] = "0123456789abcdef";
    char *o = out;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p >= 0x20 && *p != '"' && *p != '\\') {
            *o++ = (char)*p;
            continue;
        }
        *o++ = '\\';
        switch (*p) {
        case '"':
        case '\\':
            *o++ = (char)*p;
            break;
        case '\n':
            *o++ = 'n';
            break;
        case '\r':
            *o++ = 'r';
            break;
        case '\t':
            *o++ = 't';
            break;
        default:
            memcpy(o, "u00", 3);
            o[3] = hex[*p >> 4];
            o[4] = hex[*p & 15];
            o += 5;
        }
    }
    *o = '\0';
    return (size_t)(o - out);
}

void aps_log_begin(struct aps_buf *line, enum aps_log_level l, const char *msg)
{
    char ts[APS_TIME_ISO_US_CAP];
    size_t n = aps_time_format_iso_us(aps_time_now_us(), ts);
    aps_buf_puts(line, "{\"ts\":\"");
    aps_buf_append(line, ts, n);
    aps_buf_puts(line, "\",\"level\":\"");
    aps_buf_puts(line, aps_log_level_name(l));
    aps_buf_puts(line, "\",\"msg\":\"");
    aps_json_escape(line, msg);
    aps_buf_putc(line, '"');
}

void aps_log_format(struct aps_buf *line, enum aps_log_level l, const char *extra_json,
                    const char *msg)
{
    aps_log_begin(line, l, msg);
    if (extra_json && *extra_json) {
        aps_buf_putc(line, ',');
        aps_buf_puts(line, extra_json);
    }
    aps_buf_puts(line, "}\n");
}

void aps_log_write(const struct aps_logger *lg, enum aps_log_level l, const char *extra_json,
                   const char *fmt, ...)
{
    struct aps_buf msg = {0}, line = {0};
    va_list ap;
    va_start(ap, fmt);
    aps_buf_vprintf(&msg, fmt, ap);
    va_end(ap);
    aps_log_format(&line, l, extra_json, aps_buf_str(&msg));
    FILE *out = lg->out ? lg->out : stdout;
    fwrite(line.data, 1, line.len, out);
    fflush(out);
    aps_buf_cleanup(&msg);
    aps_buf_cleanup(&line);
}
