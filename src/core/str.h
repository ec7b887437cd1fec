/* str.h — strict, bounded parsing of numbers and small string helpers.
 *
 * The parse functions accept the whole string or nothing: leading/trailing spaces are allowed,
 * anything else left over is APS_E_PARSE. They never touch *out on failure. */
#ifndef APS_CORE_STR_H
#define APS_CORE_STR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

int aps_parse_int64(const char *s, int64_t *out) APS_MUST_CHECK;
int aps_parse_int(const char *s, int *out) APS_MUST_CHECK;
int aps_parse_double(const char *s, double *out) APS_MUST_CHECK;
int aps_parse_bool(const char *s, bool *out) APS_MUST_CHECK;

/* True for NULL, "" or only spaces. */
bool aps_str_blank(const char *s);
/* Trims spaces in place; returns s. */
char *aps_str_trim(char *s);
/* Copies at most cap-1 bytes and NUL-terminates; returns APS_E_TOOBIG when truncated. */
int aps_str_copy(char *dst, size_t cap, const char *src);
/* snprintf into dst that reports truncation: 0, or APS_E_TOOBIG when the text did not fit (dst
 * then holds the truncated text, which must not be used as a key or a statement). */
int aps_str_fmt(char *dst, size_t cap, const char *fmt, ...) APS_MUST_CHECK
    __attribute__((format(printf, 3, 4)));
/* The strings up to a NULL one, concatenated into dst (no printf: for keys made on every
 * request). 0, or APS_E_TOOBIG when they did not fit (dst then holds the cut text, which must
 * not be used). */
int aps_str_cat(char *dst, size_t cap, ...) APS_MUST_CHECK __attribute__((sentinel));
bool aps_str_eq_nocase(const char *a, const char *b);
bool aps_str_starts(const char *s, const char *prefix);

#endif
