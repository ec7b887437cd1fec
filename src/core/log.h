/* log.h — one structured JSON line per event on stdout (stderr for the CLI's human output is the
 * caller's business). Libraries do not log; services and commands do, through APS_LOG, which
 * checks the level before formatting anything. Never pass a secret. */
#ifndef APS_CORE_LOG_H
#define APS_CORE_LOG_H

#include <stddef.h>
#include <stdio.h>

enum aps_log_level { APS_LOG_DEBUG, APS_LOG_INFO, APS_LOG_WARNING, APS_LOG_ERROR, APS_LOG_OFF };

/* level may change while other threads log (a configuration reload sets it): it is atomic. */
struct aps_logger {
    _Atomic enum aps_log_level level;
    FILE *out; /* NULL means stdout */
};

/* Parses "DEBUG", "INFO", "WARNING", "ERROR" (any case); -1 when unknown. */
int aps_log_level_parse(const char *s);
const char *aps_log_level_name(enum aps_log_level l);

/* Writes {"ts":"…","level":"…","msg":"…"[,extra]} where extra_json is a fragment like
 * "\"k\":1" or NULL. */
void aps_log_write(const struct aps_logger *lg, enum aps_log_level l, const char *extra_json,
                   const char *fmt, ...) __attribute__((format(printf, 4, 5)));

#define APS_LOG(lg, lvl, extra, ...)                          \
    do {                                                      \
        if ((lg) && (lvl) >= (lg)->level)                     \
            aps_log_write((lg), (lvl), (extra), __VA_ARGS__); \
    } while (0)

/* Appends s to a JSON string body (without quotes), escaping as JSON requires. */
struct aps_buf;
/* Appends to line the whole line aps_log_write() would write (newline included), for writers
 * that send it elsewhere (the HTTP server's access log). */
void aps_log_format(struct aps_buf *line, enum aps_log_level l, const char *extra_json,
                    const char *msg);
void aps_json_escape(struct aps_buf *b, const char *s);
/* The same into out, which must hold 6 * strlen(s) + 1 bytes; returns the length written (a NUL
 * follows). */
size_t aps_json_escape_into(char *out, const char *s);
/* Appends the start of such a line, {"ts":"…","level":"…","msg":"…" (no closing brace), for
 * writers that add their fields without an extra_json string and end it with "}\n". */
void aps_log_begin(struct aps_buf *line, enum aps_log_level l, const char *msg);

#endif
