/* sqlrewrite.c — turns the project's one SQL dialect (?N numbered parameters, DESIGN §6) into
 * PostgreSQL's ($N). SQLite takes ?N natively, so only the PostgreSQL backend calls this.
 *
 * The scanner copies quoted text verbatim: '…' string literals ('' escapes, and backslash escapes
 * in E'…'), "…" quoted identifiers, -- line comments, nested block comments and $tag$…$tag$
 * dollar-quoted strings. Outside them, ?N becomes $N; a '?' without a number (also a JSON
 * operator such as ?| — spell those as functions) or an unterminated quote is APS_E_PARSE. */
#include <ctype.h>
#include <string.h>

#include "core/buf.h"
#include "store/store.h"
#include "store/store_backend.h"

/* PostgreSQL's limit on bind parameters in one statement. */
#define MAX_PARAM 65535

static bool ident_char(char ch)
{
    return isalnum((unsigned char)ch) || ch == '_' || (unsigned char)ch >= 0x80;
}

/* Skips a quoted run that starts at s[i] == q and ends at an unescaped q (doubled q escapes it;
 * with backslashes set, so does a backslash). Returns the index after the closing quote, or
 * 0 when unterminated. */
static size_t skip_quoted(const char *s, size_t i, char q, bool backslashes)
{
    for (i++; s[i]; i++) {
        if (backslashes && s[i] == '\\' && s[i + 1]) {
            i++;
        } else if (s[i] == q) {
            if (s[i + 1] != q)
                return i + 1;
            i++;
        }
    }
    return 0;
}

/* Block comments nest in PostgreSQL. Returns the index after the closing star-slash, or 0. */
static size_t skip_block_comment(const char *s, size_t i)
{
    int depth = 0;
    while (s[i]) {
        if (s[i] == '/' && s[i + 1] == '*') {
            depth++;
            i += 2;
        } else if (s[i] == '*' && s[i + 1] == '/') {
            i += 2;
            if (--depth == 0)
                return i;
        } else {
            i++;
        }
    }
    return 0;
}

/* At s[i] == '$' (not inside an identifier): the length of an opening $tag$ (tag possibly
 * empty), or 0 when this '$' does not open a dollar quote. */
static size_t dollar_tag_len(const char *s, size_t i)
{
    size_t j = i + 1;
    if (isdigit((unsigned char)s[j]))
        return 0; /* $1 is a positional parameter, not a quote */
    while (ident_char(s[j]))
        j++;
    return s[j] == '$' ? j - i + 1 : 0;
}

/* Skips $tag$…$tag$ starting at s[i]; returns the index after the closing tag, or 0. */
static size_t skip_dollar_quoted(const char *s, size_t i, size_t taglen)
{
    for (const char *d = strchr(s + i + taglen, '$'); d; d = strchr(d + 1, '$')) {
        if (strncmp(d, s + i, taglen) == 0)
            return (size_t)(d - s) + taglen;
    }
    return 0;
}

/* At s[i] == '?': appends $N and returns the index after the digits, or 0 for a bad number. */
static size_t rewrite_param(const char *s, size_t i, struct aps_buf *out, int *max_param)
{
    size_t j = i + 1;
    long n = 0;
    while (isdigit((unsigned char)s[j]) && n <= MAX_PARAM)
        n = n * 10 + (s[j++] - '0');
    if (j == i + 1 || n < 1 || n > MAX_PARAM)
        return 0;
    aps_buf_printf(out, "$%ld", n);
    if (n > *max_param)
        *max_param = (int)n;
    return j;
}

/* Length of the token at s[i] that must be copied verbatim (a quote or comment), 0 when s[i]
 * starts none, or (size_t)-1 when one starts but never ends. */
static size_t verbatim_len(const char *s, size_t i)
{
    size_t end = 0;
    bool after_ident = i > 0 && ident_char(s[i - 1]);
    if (s[i] == '\'') {
        bool e_string = i > 0 && (s[i - 1] == 'E' || s[i - 1] == 'e') &&
                        !(i > 1 && ident_char(s[i - 2]));
        end = skip_quoted(s, i, '\'', e_string);
    } else if (s[i] == '"') {
        end = skip_quoted(s, i, '"', false);
    } else if (s[i] == '-' && s[i + 1] == '-') {
        end = i + strcspn(s + i, "\n");
    } else if (s[i] == '/' && s[i + 1] == '*') {
        end = skip_block_comment(s, i);
    } else if (s[i] == '$' && !after_ident && dollar_tag_len(s, i)) {
        end = skip_dollar_quoted(s, i, dollar_tag_len(s, i));
    } else {
        return 0;
    }
    return end ? end - i : (size_t)-1;
}

int aps_sql_rewrite_pg_n(const char *sql, struct aps_buf *out, int *max_param)
{
    *max_param = 0;
    if (!sql)
        return APS_E_INVAL;
    size_t i = 0;
    while (sql[i]) {
        size_t n = verbatim_len(sql, i);
        if (n == (size_t)-1)
            return APS_E_PARSE;
        if (n) {
            aps_buf_append(out, sql + i, n);
            i += n;
        } else if (sql[i] == '?') {
            i = rewrite_param(sql, i, out, max_param);
            if (!i)
                return APS_E_PARSE;
        } else {
            aps_buf_putc(out, sql[i++]);
        }
    }
    return 0;
}

int aps_sql_rewrite_pg(const char *sql, struct aps_buf *out)
{
    int max_param;
    return aps_sql_rewrite_pg_n(sql, out, &max_param);
}

bool aps_sql_ident_ok(const char *s)
{
    if (!s || !*s || isdigit((unsigned char)*s) || *s == '.')
        return false;
    for (; *s; s++) {
        if (!isalnum((unsigned char)*s) && *s != '_' && *s != '.')
            return false;
    }
    return true;
}
