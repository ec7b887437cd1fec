/* migrate_check.c — is a new migration safe while the previous release still runs? (expand and
 * contract). During a rolling deploy the new schema is in place before the last old process
 * stops, so a migration newer than the running release may only add: no table or column that
 * release reads may be dropped or renamed, no NOT NULL column without a default may be added to
 * an existing table (its INSERTs do not name it), no existing column may be made NOT NULL, lose
 * its default or change to a type other than a widening one (text, bigint, double precision,
 * numeric). Destructive steps go in a later "contract" migration (NNN_contract_*.sql), which may
 * drop or rename only what the previous release no longer mentions.
 *
 * What the previous release reads comes from its SQL, extracted from its sources by
 * scripts/release-sql into <migrations>/release/queries.sql (header lines "-- release: REV" and
 * "-- schema: N", then one statement per line). The same file is replayed against a migrated
 * store by aps_migrate_replay(), which is how tests/integration/migrate_compat.sh shows that the
 * old queries still run.
 *
 * The check reads SQL text, not a live schema: a lexer (comments, quoted strings and
 * identifiers), statements split at top-level semicolons, and the few statement shapes that can
 * break old code (DROP TABLE/VIEW, ALTER TABLE … DROP/RENAME/ADD/ALTER). Tables created by a
 * migration in the checked set are new to the old release and exempt. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/mem.h"
#include "core/str.h"
#include "store/migrate.h"
#include "store/migrate_int.h"
#include "store/store.h"

struct toks {
    char **v;
    size_t n, cap;
};

static void toks_push(struct toks *t, const char *s, size_t len)
{
    if (t->n == t->cap) {
        t->cap = t->cap ? t->cap * 2 : 64;
        t->v = aps_realloc(t->v, t->cap * sizeof *t->v);
    }
    char *w = aps_malloc(len + 1);
    for (size_t i = 0; i < len; i++)
        w[i] = (char)tolower((unsigned char)s[i]);
    w[len] = '\0';
    t->v[t->n++] = w;
}

static void toks_free(struct toks *t)
{
    for (size_t i = 0; i < t->n; i++)
        aps_free(t->v[i]);
    aps_free(t->v);
    memset(t, 0, sizeof *t);
}

static bool ident_char(char c)
{
    return isalnum((unsigned char)c) || c == '_' || c == '$';
}

/* Splits sql into lower-case tokens: identifiers and numbers, a quoted identifier without its
 * quotes, a string literal as the one token "'", any other character alone. Comments vanish. */
static void lex(const char *p, struct toks *t)
{
    while (*p) {
        if (isspace((unsigned char)*p)) {
            p++;
        } else if (p[0] == '-' && p[1] == '-') {
            p += strcspn(p, "\n");
        } else if (p[0] == '/' && p[1] == '*') {
            const char *e = strstr(p + 2, "*/");
            p = e ? e + 2 : p + strlen(p);
        } else if (*p == '\'') {
            for (p++; *p && !(*p == '\'' && p[1] != '\''); p += *p == '\'' ? 2 : 1)
                ;
            p += *p ? 1 : 0;
            toks_push(t, "'", 1);
        } else if (*p == '"') {
            const char *e = strchr(p + 1, '"');
            size_t len = e ? (size_t)(e - p - 1) : strlen(p + 1);
            toks_push(t, p + 1, len);
            p += len + 1 + (e ? 1 : 0);
        } else if (ident_char(*p)) {
            size_t len = 1;
            while (ident_char(p[len]))
                len++;
            toks_push(t, p, len);
            p += len;
        } else {
            toks_push(t, p++, 1);
        }
    }
}

static bool is(const struct toks *t, size_t i, const char *w)
{
    return i < t->n && !strcmp(t->v[i], w);
}

/* Skips the optional words of `seq` (e.g. {"if", "exists"}) at *i when all are there. */
static void skip_seq(const struct toks *t, size_t *i, const char *a, const char *b, const char *c)
{
    size_t j = *i;
    if (!is(t, j, a) || (b && !is(t, j + 1, b)) || (c && !is(t, j + 2, c)))
        return;
    *i = j + 1 + (b ? 1 : 0) + (c ? 1 : 0);
}

/* ---- the previous release ------------------------------------------------------------------ */

struct release {
    struct toks *stmts; /* one token list per statement */
    size_t n;
    int schema;         /* "-- schema: N", or -1 */
};

static void release_free(struct release *r)
{
    for (size_t i = 0; i < r->n; i++)
        toks_free(&r->stmts[i]);
    aps_free(r->stmts);
    memset(r, 0, sizeof *r);
}

/* Parses the text of release/queries.sql: one statement per line that is not a comment. */
static void release_parse(const char *text, struct release *r)
{
    memset(r, 0, sizeof *r);
    r->schema = -1;
    size_t cap = 0;
    for (const char *p = text; p && *p;) {
        size_t len = strcspn(p, "\n");
        if (!strncmp(p, "-- schema:", 10)) {
            char num[16];
            int v;
            snprintf(num, sizeof num, "%.*s", (int)(len - 10 < 15 ? len - 10 : 15), p + 10);
            if (aps_parse_int(aps_str_trim(num), &v) == 0)
                r->schema = v;
        } else if (len && strncmp(p, "--", 2)) {
            if (r->n == cap) {
                cap = cap ? cap * 2 : 128;
                r->stmts = aps_realloc(r->stmts, cap * sizeof *r->stmts);
            }
            char *line = aps_malloc(len + 1);
            memcpy(line, p, len);
            line[len] = '\0';
            memset(&r->stmts[r->n], 0, sizeof r->stmts[r->n]);
            lex(line, &r->stmts[r->n++]);
            aps_free(line);
        }
        p += len + (p[len] ? 1 : 0);
    }
}

static bool has_word(const struct toks *t, const char *w)
{
    for (size_t i = 0; i < t->n; i++)
        if (!strcmp(t->v[i], w))
            return true;
    return false;
}

/* Whether a statement of the release names table (and, when col is given, col or `*`). */
static bool release_reads(const struct release *r, const char *table, const char *col)
{
    for (size_t i = 0; i < r->n; i++)
        if (has_word(&r->stmts[i], table) &&
            (!col || has_word(&r->stmts[i], col) || has_word(&r->stmts[i], "*")))
            return true;
    return false;
}

/* ---- the check ----------------------------------------------------------------------------- */

struct checker {
    const struct release *rel;
    struct toks created;    /* tables created by the checked migrations */
    const char *file;       /* the migration being read */
    bool contract;
    struct aps_buf *report;
    int problems;
};

static bool is_new(const struct checker *k, const char *table)
{
    return has_word(&k->created, table);
}

static void problem(struct checker *k, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void problem(struct checker *k, const char *fmt, ...)
{
    va_list ap;
    aps_buf_printf(k->report, "%s: ", k->file);
    va_start(ap, fmt);
    aps_buf_vprintf(k->report, fmt, ap);
    va_end(ap);
    aps_buf_putc(k->report, '\n');
    k->problems++;
}

/* A drop or rename of table (col NULL) or table.col. */
static void destructive(struct checker *k, const char *verb, const char *table, const char *col)
{
    char what[300];
    if (is_new(k, table))
        return;
    snprintf(what, sizeof what, "%s%s%s", table, col ? "." : "", col ? col : "");
    if (!k->contract) {
        problem(k,
                "%s %s: destructive step in an expand migration (the previous release may still"
                " use it); put it in a later NNN_contract_*.sql",
                verb, what);
    } else if (!k->rel) {
        problem(k, "%s %s: a contract migration needs the previous release's SQL"
                   " (release/queries.sql) to show nothing reads it",
                verb, what);
    } else if (release_reads(k->rel, table, col)) {
        problem(k, "%s %s: the previous release still reads it (release/queries.sql)", verb,
                what);
    }
}

/* One ALTER TABLE action, tokens [a, e). */
static void alter_action(struct checker *k, const struct toks *t, const char *table, size_t a,
                         size_t e)
{
    bool fresh = is_new(k, table);
    if (is(t, a, "drop") && !is(t, a + 1, "constraint")) {
        size_t i = a + 1;
        skip_seq(t, &i, "column", NULL, NULL);
        skip_seq(t, &i, "if", "exists", NULL);
        if (i < e)
            destructive(k, "dropping column", table, t->v[i]);
    } else if (is(t, a, "rename") && !is(t, a + 1, "constraint")) {
        size_t i = a + 1;
        if (is(t, i, "to")) {
            destructive(k, "renaming table", table, NULL);
            return;
        }
        skip_seq(t, &i, "column", NULL, NULL);
        if (i < e)
            destructive(k, "renaming column", table, t->v[i]);
    } else if (is(t, a, "add") && !fresh) {
        size_t i = a + 1;
        static const char *const cons[] = {"constraint", "primary", "unique", "foreign", "check"};
        for (size_t c = 0; c < sizeof cons / sizeof cons[0]; c++)
            if (is(t, i, cons[c]))
                return;
        skip_seq(t, &i, "column", NULL, NULL);
        skip_seq(t, &i, "if", "not", "exists");
        bool notnull = false, dflt = false;
        for (size_t j = i; j + 1 < e; j++)
            notnull |= is(t, j, "not") && is(t, j + 1, "null");
        for (size_t j = i; j < e; j++)
            dflt |= is(t, j, "default") || is(t, j, "generated");
        if (notnull && !dflt && i < e)
            problem(k, "adding column %s.%s NOT NULL without a default: the previous release's"
                       " INSERTs do not name it", table, t->v[i]);
    } else if (is(t, a, "alter") && !fresh) {
        size_t i = a + 1;
        skip_seq(t, &i, "column", NULL, NULL);
        if (i >= e)
            return;
        const char *col = t->v[i++];
        skip_seq(t, &i, "set", "data", NULL);
        if (is(t, i, "type")) {
            char ty[64] = "";
            size_t len = 0;
            for (size_t j = i + 1; j < e && !is(t, j, "using") && len < sizeof ty; j++)
                len += (size_t)snprintf(ty + len, sizeof ty - len, "%s%s", len ? " " : "",
                                        t->v[j]);
            if (strcmp(ty, "text") && strcmp(ty, "bigint") && strcmp(ty, "double precision") &&
                strcmp(ty, "numeric"))
                problem(k, "changing the type of %s.%s: only a widening to text, bigint,"
                           " double precision or numeric is safe for the previous release",
                        table, col);
        } else if (is(t, i, "set") && is(t, i + 1, "not") && is(t, i + 2, "null")) {
            problem(k, "making %s.%s NOT NULL: the previous release may write NULL there", table,
                    col);
        } else if (is(t, i, "drop") && is(t, i + 1, "default")) {
            problem(k, "dropping the default of %s.%s: the previous release's INSERTs may rely on"
                       " it", table, col);
        }
    }
}

/* One statement, tokens [s, e). */
static void check_stmt(struct checker *k, const struct toks *t, size_t s, size_t e)
{
    size_t i = s;
    if (is(t, i, "create")) {
        i++;
        skip_seq(t, &i, "temporary", NULL, NULL);
        skip_seq(t, &i, "temp", NULL, NULL);
        if (!is(t, i, "table"))
            return;
        i++;
        skip_seq(t, &i, "if", "not", "exists");
        if (i < e)
            toks_push(&k->created, t->v[i], strlen(t->v[i]));
    } else if (is(t, i, "drop") && (is(t, i + 1, "table") || is(t, i + 1, "view"))) {
        i += 2;
        skip_seq(t, &i, "if", "exists", NULL);
        for (; i < e; i++)
            if (strcmp(t->v[i], ",") && strcmp(t->v[i], "cascade") && strcmp(t->v[i], "restrict"))
                destructive(k, "dropping table", t->v[i], NULL);
    } else if (is(t, i, "alter") && is(t, i + 1, "table")) {
        i += 2;
        skip_seq(t, &i, "if", "exists", NULL);
        skip_seq(t, &i, "only", NULL, NULL);
        if (i >= e)
            return;
        const char *table = t->v[i++];
        int depth = 0;
        for (size_t a = i, j = i; j <= e; j++) {
            if (j < e && !strcmp(t->v[j], "("))
                depth++;
            else if (j < e && !strcmp(t->v[j], ")"))
                depth--;
            if (j == e || (depth == 0 && !strcmp(t->v[j], ","))) {
                alter_action(k, t, table, a, j);
                a = j + 1;
            }
        }
    }
}

int aps_migrate_check_text(const char *const *names, const char *const *sqls, int n,
                           const char *release_sql, struct aps_buf *report)
{
    struct release rel;
    struct checker k = {0};
    if (release_sql)
        release_parse(release_sql, &rel);
    k.rel = release_sql ? &rel : NULL;
    k.report = report;
    for (int f = 0; f < n; f++) {
        struct toks t = {0};
        lex(sqls[f], &t);
        k.file = names[f];
        const char *base = strchr(names[f], '_');
        k.contract = base && !strncmp(base + 1, "contract", 8);
        for (size_t s = 0, i = 0; i <= t.n; i++) {
            if (i == t.n || !strcmp(t.v[i], ";")) {
                if (i > s)
                    check_stmt(&k, &t, s, i);
                s = i + 1;
            }
        }
        toks_free(&t);
    }
    toks_free(&k.created);
    if (release_sql)
        release_free(&rel);
    return k.problems;
}

/* ---- files ---------------------------------------------------------------------------------- */

static char *read_text(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    struct aps_buf b = {0};
    char chunk[8192];
    size_t got;
    while ((got = fread(chunk, 1, sizeof chunk, f)) > 0 && b.len < (64u << 20))
        aps_buf_append(&b, chunk, got);
    fclose(f);
    aps_buf_putc(&b, '\0');
    return aps_buf_steal(&b);
}

int aps_migrate_check(const char *dir, const char *release_path, int since, FILE *out,
                      int *problems, char *err, size_t errcap)
{
    struct mig_file *files = NULL;
    char path[1400], rpath[1400];
    int n = 0, m = 0;
    *problems = 0;
    dir = dir ? dir : aps_migrate_default_dir();
    if (!release_path) {
        snprintf(rpath, sizeof rpath, "%s/release/queries.sql", dir);
        release_path = rpath;
    }
    char *release = read_text(release_path);
    struct release rel = {.schema = -1};
    if (release)
        release_parse(release, &rel);
    if (since < 0)
        since = rel.schema;
    release_free(&rel);
    if (since < 0) {
        snprintf(err, errcap, "no previous release: %s is missing or has no '-- schema:' line,"
                              " and no --since was given", release_path);
        aps_free(release);
        return APS_E_NOTFOUND;
    }
    int rc = aps_mig_scan(dir, &files, &n, err, errcap);
    const char **names = aps_calloc((size_t)n + 1, sizeof *names);
    char **sqls = aps_calloc((size_t)n + 1, sizeof *sqls);
    for (int i = 0; !rc && i < n; i++) {
        if (files[i].version <= since)
            continue;
        snprintf(path, sizeof path, "%s/%s", dir, files[i].file);
        rc = aps_mig_load(path, APS_DB_POSTGRES, &sqls[m], err, errcap);
        names[m++] = files[i].file;
    }
    if (!rc) {
        struct aps_buf report = {0};
        *problems = aps_migrate_check_text(names, (const char *const *)sqls, m, release, &report);
        if (out) {
            fprintf(out, "checked %d migration(s) newer than %03d against %s\n", m, since,
                    release ? release_path : "no previous release SQL");
            fputs(aps_buf_str(&report), out);
        }
        aps_buf_cleanup(&report);
    }
    for (int i = 0; i < m; i++)
        aps_free(sqls[i]);
    aps_free(sqls);
    aps_free(names);
    aps_free(files);
    aps_free(release);
    return rc;
}

/* ---- replay --------------------------------------------------------------------------------- */

/* The highest ?N placeholder of a statement. */
static int max_param(const char *sql)
{
    int top = 0;
    for (const char *p = strchr(sql, '?'); p; p = strchr(p + 1, '?')) {
        int v = 0;
        for (const char *d = p + 1; isdigit((unsigned char)*d) && v < 1000; d++)
            v = v * 10 + (*d - '0');
        top = v > top ? v : top;
    }
    return top;
}

/* Runs one statement with NULL for every parameter in a transaction that is rolled back. */
static int replay_one(struct aps_conn *c, const char *sql)
{
    struct aps_stmt *st = NULL;
    int rc = aps_conn_begin(c);
    if (!rc)
        rc = aps_conn_prepare(c, sql, &st);
    for (int i = 1; !rc && i <= max_param(sql); i++)
        rc = aps_stmt_bind_null(st, i);
    for (int rows = 0; !rc && rows < 1000; rows++) {
        rc = aps_stmt_step(st);
        if (rc == APS_ROW)
            rc = 0;
        else
            break;
    }
    aps_stmt_finalize(st);
    return rc < 0 ? rc : 0;
}

int aps_migrate_replay(struct aps_store *st, const char *release_path, FILE *out, int *failed,
                       char *err, size_t errcap)
{
    char *text = read_text(release_path);
    struct aps_conn *c = NULL;
    *failed = 0;
    if (!text) {
        snprintf(err, errcap, "cannot read %s", release_path);
        return APS_E_IO;
    }
    int rc = aps_store_acquire(st, APS_DB_WRITE, &c);
    if (rc) {
        aps_store_last_error(st, err, errcap);
        aps_free(text);
        return rc;
    }
    int no = 0;
    for (char *p = text; *p;) {
        size_t len = strcspn(p, "\n");
        char keep = p[len];
        p[len] = '\0';
        if (len && strncmp(p, "--", 2)) {
            if (p[len - 1] == ';')
                p[len - 1] = '\0';
            int r = replay_one(c, p);
            char msg[200];
            snprintf(msg, sizeof msg, "%s", r ? aps_conn_errmsg(c) : "");
            msg[strcspn(msg, "\n")] = '\0';
            char *detail = strstr(msg, "DETAIL:"); /* the failing row: depends on every column */
            if (detail)
                *detail = '\0';
            aps_str_trim(msg);
            aps_conn_rollback(c);
            no++;
            *failed += r != 0;
            if (out)
                fprintf(out, "%03d %s%s\n", no, r ? "error: " : "ok", msg);
        }
        p += len + (keep ? 1 : 0);
    }
    aps_store_release(c);
    aps_free(text);
    return 0;
}
