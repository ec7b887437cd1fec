/* csv.c — bounded CSV reader (see csv.h). The input is held whole; each row is unescaped into a
 * reusable row buffer and fields point into it. */
#include "core/csv.h"

#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/buf.h"
#include "core/mem.h"
#include "core/str.h"

struct aps_csv {
    char *data;
    size_t len, pos;
    size_t line, row_line;
    char *row;       /* unescaped bytes of the current row */
    char **fields;   /* pointers into row */
};

static int csv_init(struct aps_csv **out, char *data, size_t len)
{
    struct aps_csv *c = aps_calloc(1, sizeof *c);
    c->data = data;
    c->len = len;
    c->line = 1;
    if (len >= 3 && (unsigned char)data[0] == 0xEF && (unsigned char)data[1] == 0xBB &&
        (unsigned char)data[2] == 0xBF)
        c->pos = 3;
    c->row = aps_malloc(APS_CSV_MAX_ROW + 1);
    c->fields = aps_malloc(sizeof(char *) * APS_CSV_MAX_FIELDS);
    *out = c;
    return 0;
}

int aps_csv_open(struct aps_csv **out, const char *path)
{
    *out = NULL;
    FILE *f = fopen(path, "rb");
    if (!f)
        return APS_E_IO;
    struct stat st;
    if (fstat(fileno(f), &st) != 0) {
        fclose(f);
        return APS_E_IO;
    }
    if ((size_t)st.st_size > APS_CSV_MAX_BYTES) {
        fclose(f);
        return APS_E_TOOBIG;
    }
    size_t len = (size_t)st.st_size;
    char *data = aps_malloc(len + 1);
    size_t got = fread(data, 1, len, f);
    int err = ferror(f);
    fclose(f);
    if (err || got != len) {
        aps_free(data);
        return APS_E_IO;
    }
    data[len] = '\0';
    return csv_init(out, data, len);
}

int aps_csv_open_mem(struct aps_csv **out, const char *data, size_t len)
{
    *out = NULL;
    if (len > APS_CSV_MAX_BYTES)
        return APS_E_TOOBIG;
    char *copy = aps_malloc(len + 1);
    memcpy(copy, data, len);
    copy[len] = '\0';
    return csv_init(out, copy, len);
}

/* Consumes one line ending (\n, \r\n or \r) at c->pos if there is one; returns 1 if it did. */
static int eat_eol(struct aps_csv *c)
{
    if (c->pos < c->len && c->data[c->pos] == '\r') {
        c->pos++;
        if (c->pos < c->len && c->data[c->pos] == '\n')
            c->pos++;
        c->line++;
        return 1;
    }
    if (c->pos < c->len && c->data[c->pos] == '\n') {
        c->pos++;
        c->line++;
        return 1;
    }
    return 0;
}

int aps_csv_next(struct aps_csv *c, char ***fields, size_t *n)
{
    if (c->pos >= c->len)
        return 0;
    c->row_line = c->line;
    size_t out = 0, nf = 0;
    c->fields[nf++] = c->row;
    for (;;) {
        if (c->pos >= c->len || eat_eol(c))
            break;
        char ch = c->data[c->pos];
        if (ch == ',') {
            c->pos++;
            if (out >= APS_CSV_MAX_ROW || nf >= APS_CSV_MAX_FIELDS)
                return APS_E_TOOBIG;
            c->row[out++] = '\0';
            c->fields[nf++] = c->row + out;
            continue;
        }
        if (ch == '"' && c->fields[nf - 1] == c->row + out) {
            /* A quoted field: runs to the closing quote; "" is a literal quote. */
            c->pos++;
            for (;;) {
                if (c->pos >= c->len)
                    return APS_E_PARSE;
                ch = c->data[c->pos++];
                if (ch == '"') {
                    if (c->pos < c->len && c->data[c->pos] == '"') {
                        c->pos++;
                    } else {
                        break;
                    }
                } else if (ch == '\n' || (ch == '\r' && !(c->pos < c->len && c->data[c->pos] == '\n'))) {
                    c->line++;
                }
                if (out >= APS_CSV_MAX_ROW)
                    return APS_E_TOOBIG;
                c->row[out++] = ch;
            }
            continue;
        }
        if (out >= APS_CSV_MAX_ROW)
            return APS_E_TOOBIG;
        c->row[out++] = ch;
        c->pos++;
    }
    c->row[out] = '\0';
    *fields = c->fields;
    *n = nf;
    return 1;
}

size_t aps_csv_line(const struct aps_csv *c)
{
    return c->row_line;
}

double aps_csv_progress(const struct aps_csv *c)
{
    return c->len ? (double)c->pos / (double)c->len : 1.0;
}

void aps_csv_close(struct aps_csv *c)
{
    if (!c)
        return;
    aps_free(c->data);
    aps_free(c->row);
    aps_free(c->fields);
    aps_free(c);
}

/* The name of a header field without the spaces around it: its start, and its length in *len. */
static const char *trimmed(const char *h, size_t *len)
{
    while (*h == ' ')
        h++;
    size_t n = strlen(h);
    while (n && h[n - 1] == ' ')
        n--;
    *len = n;
    return h;
}

int aps_csv_find(char **header, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++) {
        size_t len;
        const char *h = trimmed(header[i], &len);
        if (len == strlen(name) && !memcmp(h, name, len))
            return (int)i;
    }
    return -1;
}

int aps_csv_repeated(char **header, size_t n, const int *cols, size_t ncols, int *other)
{
    for (size_t k = 0; k < ncols; k++) {
        if (cols[k] < 0 || (size_t)cols[k] >= n)
            continue;
        size_t len, len2;
        const char *name = trimmed(header[cols[k]], &len);
        for (size_t j = 0; j < n && len; j++) {
            const char *h = trimmed(header[j], &len2);
            if ((int)j != cols[k] && len2 == len && !memcmp(h, name, len)) {
                *other = (int)j;
                return cols[k];
            }
        }
    }
    return -1;
}

int aps_csv_row_blank(char **fields, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!aps_str_blank(fields[i]))
            return 0;
    return 1;
}

const char *aps_csv_width_problem(char **fields, size_t n, size_t ncols)
{
    if (n < ncols)
        return "fields missing";
    for (size_t i = ncols; i < n; i++)
        if (!aps_str_blank(fields[i]))
            return "fields past the header";
    return NULL;
}

_Static_assert(APS_CSV_MAX_ROW == 64u << 10 && APS_CSV_MAX_FIELDS == 512 &&
                   APS_CSV_MAX_BYTES == 256u << 20,
               "aps_csv_strerror names the limits in words");

const char *aps_csv_strerror(int rc)
{
    if (rc == APS_E_TOOBIG)
        return "over the reader's limits (a line over 64 KiB, a row over 512 fields, or a file "
               "over 256 MiB)";
    if (rc == APS_E_PARSE)
        return "a quoted field is never closed";
    return aps_strerror(rc);
}

void aps_csv_put_text(struct aps_buf *b, const char *v)
{
    bool formula = v[0] && strchr("=+-@\t\r", v[0]);
    if (!formula && !strpbrk(v, ",\"\n\r")) {
        aps_buf_puts(b, v);
        return;
    }
    aps_buf_putc(b, '"');
    if (formula)
        aps_buf_putc(b, '\'');
    for (; *v; v++) {
        if (*v == '"')
            aps_buf_putc(b, '"');
        aps_buf_putc(b, *v);
    }
    aps_buf_putc(b, '"');
}

void aps_csv_put_num(struct aps_buf *b, double v, int digits)
{
    if (isfinite(v) && digits < 0)
        aps_buf_printf(b, "%g", v);
    else if (isfinite(v))
        aps_buf_printf(b, "%.*f", digits, v);
}
