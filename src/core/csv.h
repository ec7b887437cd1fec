/* csv.h — a bounded CSV reader for the historical data files, and the fields of CSV written out.
 *
 * Copes with what the real files do: a UTF-8 byte-order mark, LF, CRLF and bare CR line endings,
 * quoted fields with doubled quotes, and bytes that are not UTF-8 (passed through). Limits: the
 * whole input at most APS_CSV_MAX_BYTES, a row at most APS_CSV_MAX_FIELDS fields and
 * APS_CSV_MAX_ROW bytes; past a limit the reader returns APS_E_TOOBIG and names the line. */
#ifndef APS_CORE_CSV_H
#define APS_CORE_CSV_H

#include <stddef.h>

#include "core/err.h"

struct aps_buf;

#define APS_CSV_MAX_BYTES (256u << 20)
#define APS_CSV_MAX_FIELDS 512
#define APS_CSV_MAX_ROW (64u << 10)

struct aps_csv;

/* Opens a file (read whole into memory). On failure *out is NULL. */
int aps_csv_open(struct aps_csv **out, const char *path) APS_MUST_CHECK;
/* Reads from a copy of the given bytes. */
int aps_csv_open_mem(struct aps_csv **out, const char *data, size_t len) APS_MUST_CHECK;
/* Next row: returns 1 with *fields (n of them, NUL-terminated, owned by the reader and valid until
 * the next call) set, 0 at end of input, or a negative APS_E_* (APS_E_PARSE for an unterminated
 * quote, APS_E_TOOBIG past a limit). Empty lines are returned as one empty field. */
int aps_csv_next(struct aps_csv *c, char ***fields, size_t *n) APS_MUST_CHECK;
/* 1-based physical line where the last returned row started. */
size_t aps_csv_line(const struct aps_csv *c);
/* Fraction of the input consumed, 0..1, for progress bars. */
double aps_csv_progress(const struct aps_csv *c);
void aps_csv_close(struct aps_csv *c);
/* What an error of aps_csv_open or aps_csv_next means for a data file, in words: which limit
 * was passed (APS_E_TOOBIG), an unterminated quote (APS_E_PARSE), else aps_strerror(rc). */
const char *aps_csv_strerror(int rc);

/* Index of the column named name in a header row (exact match after trimming spaces), or -1. */
int aps_csv_find(char **header, size_t n, const char *name);
/* The first of the columns cols[0..ncols) (header indexes; -1 for a column the file lacks) whose
 * name, trimmed, another column of the header has too, with that column's index in *other; -1
 * when none does. Unnamed columns never count. */
int aps_csv_repeated(char **header, size_t n, const int *cols, size_t ncols, int *other);
/* True when every field of the row is empty or spaces (football-data's all-comma rows). */
int aps_csv_row_blank(char **fields, size_t n);
/* Why a data row cannot be read against a header of ncols fields, or NULL when it can: with
 * fewer fields it was cut off (a truncated download's last line: "129" read as "1", a name cut
 * short), "fields missing"; with text past the header its columns are shifted (an unquoted comma
 * in a name), "fields past the header". Empty fields past the header (a trailing comma) are
 * harmless. The reason is the loaders' reject reason. */
const char *aps_csv_width_problem(char **fields, size_t n, size_t ncols);

/* Writing (RFC 4180). A text field, quoted when it holds a comma, a quote or a line break; one
 * a spreadsheet would take for a formula (starting with =, +, -, @, a tab or a carriage return:
 * a team of a sport without a curated list is keyed by the name its provider sent) is quoted
 * after an apostrophe, so a spreadsheet opens it as the text it is. */
void aps_csv_put_text(struct aps_buf *b, const char *v);
/* v with `digits` decimals (%g when digits < 0); nothing (an empty field) when v is not finite. */
void aps_csv_put_num(struct aps_buf *b, double v, int digits);

#endif
