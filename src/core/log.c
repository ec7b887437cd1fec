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
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
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
        default:
            if (*p < 0x20)
                aps_buf_printf(b, "\\u%04x", *p);
            else
                aps_buf_putc(b, (char)*p);
        }
    }
}

void aps_log_format(struct aps_buf *line, enum aps_log_level l, const char *extra_json,
                    const char *msg)
{
    int64_t us = aps_time_now_us();
    char ts[32];
    aps_time_format_iso(us / 1000000, ts, sizeof ts);
    ts[19] = '\0';
    aps_buf_printf(line, "{\"ts\":\"%s.%06dZ\",\"level\":\"%s\",\"msg\":\"", ts,
                   (int)(us % 1000000), aps_log_level_name(l));
    aps_json_escape(line, msg);
    aps_buf_putc(line, '"');
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
