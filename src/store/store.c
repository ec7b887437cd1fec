/* store.c — the backend-agnostic half of the storage interface (DESIGN §6): database URLs, the
 * connection pools (primary and optional read replica) and the thin dispatch of every aps_conn_*
 * and aps_stmt_* call to the backend's method table (store_backend.h).
 *
 * Pool design: each target (primary, replica) keeps up to pool_size idle connections in a stack
 * and lets at most pool_size + pool_overflow exist at once. aps_store_acquire() takes an idle
 * connection, or opens one while under the cap, or waits on the store's condition variable up to
 * pool_timeout seconds (then APS_E_TIMEOUT). Connecting happens outside the lock, with the slot
 * reserved. aps_store_release() rolls back a transaction left open, drops a broken connection,
 * and closes the connection when the idle stack is full (the overflow ones).
 *
 * Switching URLs (aps_store_switch, a configuration reload with new credentials): a connection
 * with the new URL is opened first, so a bad URL changes nothing; then, under the lock, the
 * pool's target changes, its generation moves on and its idle connections are closed. A
 * connection checked out at that moment finishes its work and is closed when released (its
 * generation is old), so in-flight work is never cut and the pool drains to the new URL. target
 * and shown are only read under st->mu for that reason. */
#include "store/store.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "config/config.h"
#include "core/buf.h"
#include "core/file.h"
#include "core/mem.h"
#include "core/str.h"
#include "store/store_backend.h"

struct aps_pool {
    struct aps_store *st;
    char *target; /* what the backend connects to: a file path or a libpq URI */
    char *shown;  /* the URL with its password masked, for messages */
    bool replica;
    struct aps_conn **idle; /* stack of up to st->size idle connections */
    int nidle, open, in_use;
    uint64_t gen;   /* bumped when aps_store_switch changes target; under st->mu */
    char **retired; /* targets and shown strings replaced by a switch, freed at close */
    int nretired;
};

struct aps_store {
    const struct aps_store_ops *ops;
    pthread_mutex_t mu;
    pthread_cond_t cv; /* signalled when a connection is released or a slot frees */
    struct aps_pool primary, replica;
    bool has_replica;
    bool generic_plans;
    bool inspect;
    int size, overflow;
    double timeout;
    uint64_t acquired, timeouts, round_trips;
    char lasterr[512]; /* the last acquire failure, under mu */
};

/* ---- URLs ---------------------------------------------------------------------------------- */

/* Writes url into out with the password (user:PASS@ and password=PASS) replaced by ***. */
static void mask_url(const char *url, char *out, size_t cap)
{
    struct aps_buf b = {0};
    const char *p = strstr(url, "://");
    const char *auth = p ? p + 3 : url;
    size_t authlen = strcspn(auth, "/?#"); /* user:password@host:port */
    const char *at = memrchr(auth, '@', authlen);
    const char *colon = at ? memchr(auth, ':', (size_t)(at - auth)) : NULL;
    if (colon) {
        aps_buf_append(&b, url, (size_t)(colon + 1 - url));
        aps_buf_puts(&b, "***");
        aps_buf_puts(&b, at);
    } else {
        aps_buf_puts(&b, url);
    }
    char *pw = strstr(b.data, "password=");
    if (pw) {
        size_t keep = (size_t)(pw - b.data) + 9;
        const char *rest = pw + 9 + strcspn(pw + 9, "&");
        struct aps_buf m = {0};
        aps_buf_append(&m, b.data, keep);
        aps_buf_puts(&m, "***");
        aps_buf_puts(&m, rest);
        aps_buf_cleanup(&b);
        b = m;
    }
    snprintf(out, cap, "%s", aps_buf_str(&b));
    aps_buf_cleanup(&b);
}

/* mkdir -p for the directory part of path. */
static int make_parent_dirs(const char *path)
{
    char *dir = aps_strdup(path);
    int rc = 0;
    char *slash = strrchr(dir, '/');
    if (slash && slash != dir) {
        *slash = '\0';
        for (char *p = dir + 1;; p++) {
            bool end = *p == '\0';
            if (*p == '/' || end) {
                *p = '\0';
                if (mkdir(dir, 0755) != 0 && errno != EEXIST) {
                    rc = APS_E_IO;
                    break;
                }
                if (end)
                    break;
                *p = '/';
            }
        }
    }
    aps_free(dir);
    return rc;
}

/* Splits a database URL into the backend and its connection target (aps_free it).
 * sqlite:///rel.db → "rel.db", sqlite:////abs.db → "/abs.db", sqlite://:memory: → ":memory:";
 * postgresql://, postgres:// and any "+driver" form → a libpq URI without the driver part. */
static int parse_url(const char *url, const struct aps_store_ops **ops, char **target, char *err,
                     size_t errcap)
{
    char shown[512];
    mask_url(url ? url : "", shown, sizeof shown);
    const char *sep = url ? strstr(url, "://") : NULL;
    if (!sep) {
        snprintf(err, errcap, "database URL '%s' has no scheme (want sqlite:/// or postgresql://)",
                 shown);
        return APS_E_CONFIG;
    }
    size_t slen = (size_t)(sep - url);
    const char *plus = memchr(url, '+', slen);
    size_t blen = plus ? (size_t)(plus - url) : slen;
    const char *rest = sep + 3;
    if (blen == 6 && strncmp(url, "sqlite", 6) == 0) {
        *ops = &aps_store_sqlite_ops;
        if (*rest == '/')
            rest++; /* SQLAlchemy: three slashes then a relative path, four for absolute */
        if (!*rest) {
            snprintf(err, errcap, "database URL '%s' has no file path", shown);
            return APS_E_CONFIG;
        }
        *target = aps_strdup(rest);
        return 0;
    }
    if ((blen == 10 && strncmp(url, "postgresql", 10) == 0) ||
        (blen == 8 && strncmp(url, "postgres", 8) == 0)) {
        *ops = &aps_store_pg_ops;
        struct aps_buf b = {0};
        aps_buf_puts(&b, "postgresql://");
        aps_buf_puts(&b, rest);
        *target = aps_buf_steal(&b);
        return 0;
    }
    snprintf(err, errcap, "database URL '%s': unknown scheme (want sqlite:/// or postgresql://)",
             shown);
    return APS_E_CONFIG;
}

/* ---- pools --------------------------------------------------------------------------------- */

static int pool_init(struct aps_store *st, struct aps_pool *p, const char *url, bool replica,
                     bool existing, char *err, size_t errcap)
{
    const struct aps_store_ops *ops = NULL;
    char shown[512];
    int rc = parse_url(url, &ops, &p->target, err, errcap);
    if (rc)
        return rc;
    if (st->ops && ops != st->ops) {
        snprintf(err, errcap, "the replica URL names a different database kind than the primary");
        return APS_E_CONFIG;
    }
    st->ops = ops;
    mask_url(url, shown, sizeof shown);
    p->shown = aps_strdup(shown);
    p->st = st;
    p->replica = replica;
    p->idle = aps_calloc((size_t)st->size, sizeof *p->idle);
    if (ops->kind != APS_DB_SQLITE || replica || st->inspect || !strcmp(p->target, ":memory:"))
        return 0;
    struct stat sb;
    if (existing && stat(p->target, &sb) != 0 && errno == ENOENT) {
        snprintf(err, errcap,
                 "no store at %s: the file does not exist ('aps migrate' creates a store, 'aps"
                 " ingest' fills it)",
                 p->target);
        return APS_E_NOTFOUND;
    }
    if (make_parent_dirs(p->target) != 0) {
        snprintf(err, errcap, "cannot create the directory for %s: %s", shown, strerror(errno));
        return APS_E_IO;
    }
    /* A new store holds password hashes and sealed secrets: its owner's alone. A path SQLite
     * reads in URI form (file:...) is left to SQLite. */
    if (strncmp(p->target, "file:", 5) != 0 && aps_file_create_private(p->target) != 0) {
        snprintf(err, errcap, "cannot create %s: %s", shown, strerror(errno));
        return APS_E_IO;
    }
    return 0;
}

static void conn_destroy(struct aps_conn *c)
{
    if (!c)
        return;
    c->ops->disconnect(c->be);
    aps_free(c);
}

static void pool_cleanup(struct aps_pool *p)
{
    for (int i = 0; i < p->nidle; i++)
        conn_destroy(p->idle[i]);
    aps_free(p->idle);
    aps_free(p->target);
    aps_free(p->shown);
    for (int i = 0; i < p->nretired; i++)
        aps_free(p->retired[i]);
    aps_free(p->retired);
    memset(p, 0, sizeof *p);
}

/* Formats an error line into dst; a message cut at cap is still a useful message. */
static void __attribute__((format(printf, 3, 4)))
put_msg(char *dst, size_t cap, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(dst, cap, fmt, ap);
    va_end(ap);
}

/* What a new connection of pool p is opened with, taken under st->mu. The strings are the
 * pool's own: a switch retires the ones it replaces rather than freeing them, so they stay valid
 * (and a backend may key on the target's address, as SQLite's shared in-memory database does). */
struct conn_target {
    const char *target, *shown;
    uint64_t gen;
};

static void target_of(const struct aps_pool *p, struct conn_target *t)
{
    t->target = p->target;
    t->shown = p->shown;
    t->gen = p->gen;
}

/* Opens a new connection for pool p to t (no lock held). */
static int conn_open(struct aps_pool *p, const struct conn_target *t, struct aps_conn **out,
                     char *err, size_t errcap)
{
    struct aps_store *st = p->st;
    char why[512] = "";
    void *be = NULL;
    unsigned flags = (p->replica ? APS_CONN_READONLY : 0) |
                     (st->generic_plans ? APS_CONN_GENERIC_PLANS : 0) |
                     (st->inspect ? APS_CONN_INSPECT : 0);
    int rc = st->ops->connect(t->target, flags, &be, why, sizeof why);
    if (rc) {
        put_msg(err, errcap, "cannot connect to %s: %s", t->shown, why);
        return rc;
    }
    struct aps_conn *c = aps_calloc(1, sizeof *c);
    c->ops = st->ops;
    c->pool = p;
    c->be = be;
    c->replica = p->replica;
    c->gen = t->gen;
    *out = c;
    return 0;
}

static struct timespec deadline_after(double seconds)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    double whole = floor(seconds);
    ts.tv_sec += (time_t)whole;
    ts.tv_nsec += (long)((seconds - whole) * 1e9);
    if (ts.tv_nsec >= 1000000000L) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000L;
    }
    return ts;
}

/* Under st->mu: takes an idle connection (*out set) or reserves a slot to open one (*out NULL),
 * waiting until the deadline. */
static int pool_take(struct aps_pool *p, const struct timespec *deadline, struct aps_conn **out)
{
    struct aps_store *st = p->st;
    for (;;) {
        if (p->nidle > 0) {
            *out = p->idle[--p->nidle];
            break;
        }
        if (p->open < st->size + st->overflow) {
            *out = NULL;
            p->open++;
            break;
        }
        if (pthread_cond_timedwait(&st->cv, &st->mu, deadline) == ETIMEDOUT && p->nidle == 0 &&
            p->open >= st->size + st->overflow) {
            st->timeouts++;
            return APS_E_TIMEOUT;
        }
    }
    p->in_use++;
    return 0;
}

/* Gives back a slot taken by pool_take when no connection came of it. */
static void pool_forfeit(struct aps_pool *p)
{
    struct aps_store *st = p->st;
    pthread_mutex_lock(&st->mu);
    p->open--;
    p->in_use--;
    pthread_cond_broadcast(&st->cv);
    pthread_mutex_unlock(&st->mu);
}

static int pool_acquire(struct aps_pool *p, struct aps_conn **out)
{
    struct aps_store *st = p->st;
    struct timespec deadline = deadline_after(st->timeout);
    struct aps_conn *c = NULL;
    char err[512] = "";
    struct conn_target t;
    pthread_mutex_lock(&st->mu);
    int rc = pool_take(p, &deadline, &c);
    if (rc)
        snprintf(st->lasterr, sizeof st->lasterr, "no free connection to %s within %.3g s",
                 p->shown, st->timeout);
    else
        target_of(p, &t);
    pthread_mutex_unlock(&st->mu);
    if (rc)
        return rc;
    if (c && !c->ops->healthy(c->be)) { /* broken while idle: replace it */
        conn_destroy(c);
        c = NULL;
    }
    if (!c) {
        rc = conn_open(p, &t, &c, err, sizeof err);
        if (rc) {
            pool_forfeit(p);
            pthread_mutex_lock(&st->mu);
            snprintf(st->lasterr, sizeof st->lasterr, "%s", err);
            pthread_mutex_unlock(&st->mu);
            return rc;
        }
    }
    c->errmsg[0] = '\0';
    *out = c;
    return 0;
}

/* ---- the store ----------------------------------------------------------------------------- */

static int store_open(struct aps_store **out, const struct aps_store_opts *o, bool inspect,
                      char *err, size_t errcap)
{
    *out = NULL;
    if (!o || o->pool_size < 1 || o->pool_overflow < 0 || !(o->pool_timeout >= 0)) {
        snprintf(err, errcap, "invalid pool settings (size >= 1, overflow >= 0, timeout >= 0)");
        return APS_E_INVAL;
    }
    struct aps_store *st = aps_calloc(1, sizeof *st);
    pthread_mutex_init(&st->mu, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC); /* deadlines immune to clock changes */
    pthread_cond_init(&st->cv, &ca);
    pthread_condattr_destroy(&ca);
    st->size = o->pool_size;
    st->overflow = o->pool_overflow;
    st->timeout = o->pool_timeout;
    st->generic_plans = o->generic_plans;
    st->inspect = inspect;
    struct aps_conn *c = NULL;
    int rc = pool_init(st, &st->primary, o->url, false, o->existing, err, errcap);
    if (rc)
        goto fail;
    if (o->replica_url && *o->replica_url) {
        rc = pool_init(st, &st->replica, o->replica_url, true, false, err, errcap);
        if (rc)
            goto fail;
        st->has_replica = true;
    }
    rc = pool_acquire(&st->primary, &c); /* checks the URL now rather than on first use */
    if (rc) {
        snprintf(err, errcap, "%s", st->lasterr);
        goto fail;
    }
    aps_store_release(c);
    *out = st;
    return 0;
fail:
    aps_store_close(st);
    return rc;
}

int aps_store_open(struct aps_store **out, const struct aps_store_opts *o, char *err, size_t errcap)
{
    return store_open(out, o, false, err, errcap);
}

int aps_store_open_inspect(struct aps_store **out, const char *path, char *err, size_t errcap)
{
    struct aps_buf url = {0};
    aps_buf_printf(&url, "sqlite:///%s", path);
    struct aps_store_opts o = {.url = aps_buf_str(&url), .pool_size = 1, .pool_timeout = 5};
    int rc = store_open(out, &o, true, err, errcap);
    aps_buf_cleanup(&url);
    return rc;
}

int aps_store_open_config(struct aps_store **out, const struct aps_config *cfg, unsigned flags,
                          char *err, size_t errcap)
{
    struct aps_store_opts o = {
        .url = aps_cfg_str(cfg, APS_SET_DATABASE_URL),
        .replica_url = aps_cfg_str(cfg, APS_SET_DATABASE_REPLICA_URL),
        .pool_size = (int)aps_cfg_int(cfg, APS_SET_DATABASE_POOL_SIZE),
        .pool_overflow = (int)aps_cfg_int(cfg, APS_SET_DATABASE_POOL_OVERFLOW),
        .pool_timeout = (double)aps_cfg_int(cfg, APS_SET_DATABASE_POOL_TIMEOUT),
        .generic_plans = flags & APS_STORE_GENERIC_PLANS,
        .existing = flags & APS_STORE_EXISTING,
    };
    return aps_store_open(out, &o, err, errcap);
}

/* Points pool p at url (see the file comment): connects first, then swaps under the lock. */
static int pool_switch(struct aps_pool *p, const char *url, char *err, size_t errcap)
{
    struct aps_store *st = p->st;
    const struct aps_store_ops *ops = NULL;
    char *target = NULL, shown[512];
    int rc = parse_url(url, &ops, &target, err, errcap);
    if (rc)
        return rc;
    if (ops != st->ops) {
        aps_free(target);
        snprintf(err, errcap, "the new URL names another kind of database: restart to change it");
        return APS_E_CONFIG;
    }
    mask_url(url, shown, sizeof shown);
    struct conn_target t = {.target = target, .shown = shown};
    pthread_mutex_lock(&st->mu); /* only this thread switches, but p->target is read locked */
    bool same = !strcmp(target, p->target);
    t.gen = p->gen + 1;
    pthread_mutex_unlock(&st->mu);
    struct aps_conn *fresh = NULL;
    if (!same)
        rc = conn_open(p, &t, &fresh, err, errcap);
    if (same || rc) {
        aps_free(target);
        return rc;
    }
    pthread_mutex_lock(&st->mu);
    struct aps_conn **old = p->idle;
    int nold = p->nidle;
    p->idle = aps_calloc((size_t)st->size, sizeof *p->idle);
    p->nidle = 0;
    p->open -= nold;
    p->retired = aps_realloc(p->retired, (size_t)(p->nretired + 2) * sizeof *p->retired);
    p->retired[p->nretired++] = p->target;
    p->retired[p->nretired++] = p->shown;
    p->target = target;
    p->shown = aps_strdup(shown);
    p->gen = t.gen;
    fresh->gen = p->gen;
    p->idle[p->nidle++] = fresh;
    p->open++;
    pthread_cond_broadcast(&st->cv);
    pthread_mutex_unlock(&st->mu);
    for (int i = 0; i < nold; i++)
        conn_destroy(old[i]);
    aps_free(old);
    return 0;
}

int aps_store_switch(struct aps_store *st, const char *url, const char *replica_url, char *err,
                     size_t errcap)
{
    bool replica = replica_url && *replica_url;
    if (replica != st->has_replica) {
        snprintf(err, errcap, "adding or removing DATABASE_REPLICA_URL needs a restart");
        return APS_E_CONFIG;
    }
    int rc = pool_switch(&st->primary, url, err, errcap);
    if (!rc && replica)
        rc = pool_switch(&st->replica, replica_url, err, errcap);
    return rc;
}

void aps_store_close(struct aps_store *st)
{
    if (!st)
        return;
    pool_cleanup(&st->primary);
    pool_cleanup(&st->replica);
    pthread_cond_destroy(&st->cv);
    pthread_mutex_destroy(&st->mu);
    aps_free(st);
}

enum aps_db_kind aps_store_kind(const struct aps_store *st)
{
    return st->ops->kind;
}

int aps_store_sqlite_file(const char *url, char *out, size_t cap)
{
    const struct aps_store_ops *ops = NULL;
    char *target = NULL, err[600];
    if (parse_url(url, &ops, &target, err, sizeof err))
        return APS_E_CONFIG;
    int rc = ops->kind != APS_DB_SQLITE || !strcmp(target, ":memory:") ||
                     !strncmp(target, "file:", 5)
                 ? APS_E_UNSUPPORTED
                 : aps_str_copy(out, cap, target);
    aps_free(target);
    return rc;
}

bool aps_store_has_replica(const struct aps_store *st)
{
    return st->has_replica;
}

void aps_store_stats(struct aps_store *st, struct aps_store_stats *out)
{
    pthread_mutex_lock(&st->mu);
    out->open = st->primary.open + st->replica.open;
    out->in_use = st->primary.in_use + st->replica.in_use;
    out->max = st->size + st->overflow;
    out->acquired_total = st->acquired;
    out->timeouts_total = st->timeouts;
    out->round_trips_total = st->round_trips;
    pthread_mutex_unlock(&st->mu);
}

void aps_store_last_error(struct aps_store *st, char *buf, size_t cap)
{
    pthread_mutex_lock(&st->mu);
    snprintf(buf, cap, "%s", st->lasterr);
    pthread_mutex_unlock(&st->mu);
}

int aps_store_acquire(struct aps_store *st, enum aps_db_intent intent, struct aps_conn **out)
{
    *out = NULL;
    int rc = APS_E_DB;
    /* A read goes to the replica when there is one; if the replica cannot be reached it falls
     * back to the primary (a replica that is merely busy still times out). */
    if (intent == APS_DB_READ && st->has_replica)
        rc = pool_acquire(&st->replica, out);
    if (rc == APS_E_TIMEOUT)
        return rc;
    if (rc)
        rc = pool_acquire(&st->primary, out);
    if (rc)
        return rc;
    (*out)->intent = intent;
    pthread_mutex_lock(&st->mu);
    st->acquired++;
    pthread_mutex_unlock(&st->mu);
    return 0;
}

void aps_store_release(struct aps_conn *c)
{
    if (!c)
        return;
    struct aps_pool *p = c->pool;
    struct aps_store *st = p->st;
    if (c->ops->in_txn(c->be) && c->ops->exec(c, "ROLLBACK") != 0) {
        c->round_trips = 0;
        conn_destroy(c); /* cannot be made clean: drop it */
        c = NULL;
    }
    if (c && !c->ops->healthy(c->be)) {
        conn_destroy(c);
        c = NULL;
    }
    if (c)
        c->ops->idle(c);
    uint64_t trips = c ? c->round_trips : 0;
    if (c)
        c->round_trips = 0;
    pthread_mutex_lock(&st->mu);
    p->in_use--;
    st->round_trips += trips;
    if (c && c->gen == p->gen && p->nidle < st->size) {
        p->idle[p->nidle++] = c;
        c = NULL;
    } else {
        p->open--; /* overflow, broken or opened with a URL switched since: closed below */
    }
    pthread_cond_broadcast(&st->cv);
    pthread_mutex_unlock(&st->mu);
    conn_destroy(c);
}

/* ---- connections: thin dispatch ------------------------------------------------------------ */

void aps_conn_set_error(struct aps_conn *c, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->errmsg, sizeof c->errmsg, fmt, ap);
    va_end(ap);
    /* One line: libpq ends messages with a newline and puts DETAIL/HINT on lines of their own. */
    for (char *p = c->errmsg; *p; p++) {
        if (*p == '\n' || *p == '\r')
            *p = ' ';
    }
    size_t n = strlen(c->errmsg);
    while (n > 0 && c->errmsg[n - 1] == ' ')
        c->errmsg[--n] = '\0';
}

enum aps_db_kind aps_conn_kind(const struct aps_conn *c)
{
    return c->ops->kind;
}

bool aps_conn_is_replica(const struct aps_conn *c)
{
    return c->replica;
}

const char *aps_conn_errmsg(const struct aps_conn *c)
{
    return c->errmsg;
}

int aps_conn_exec(struct aps_conn *c, const char *sql)
{
    return c->ops->exec(c, sql);
}

int aps_conn_lock(struct aps_conn *c, enum aps_store_lock lock)
{
    static const char *const sql[] = {
#define APS_LOCK_SQL(name, key) "SELECT pg_advisory_xact_lock(" #key ")",
        APS_STORE_LOCKS(APS_LOCK_SQL)
#undef APS_LOCK_SQL
    };
    if ((int)lock < 0 || lock >= APS_LOCK__COUNT)
        return APS_E_INVAL;
    if (aps_conn_kind(c) != APS_DB_POSTGRES)
        return 0;
    return aps_conn_exec(c, sql[lock]);
}

int aps_conn_begin(struct aps_conn *c)
{
    return c->ops->begin(c);
}

int aps_conn_commit(struct aps_conn *c)
{
    return c->ops->commit(c);
}

int aps_conn_rollback(struct aps_conn *c)
{
    if (!c->ops->in_txn(c->be))
        return 0;
    return c->ops->exec(c, "ROLLBACK");
}

int aps_conn_prepare(struct aps_conn *c, const char *sql, struct aps_stmt **out)
{
    *out = NULL;
    return c->ops->prepare(c, sql, out);
}

int aps_stmt_bind_int64(struct aps_stmt *s, int idx, int64_t v)
{
    return s->conn->ops->bind_int64(s, idx, v);
}

int aps_stmt_bind_double(struct aps_stmt *s, int idx, double v)
{
    return s->conn->ops->bind_double(s, idx, v);
}

int aps_stmt_bind_text(struct aps_stmt *s, int idx, const char *v)
{
    return s->conn->ops->bind_text(s, idx, v);
}

int aps_stmt_bind_null(struct aps_stmt *s, int idx)
{
    return s->conn->ops->bind_null(s, idx);
}

int aps_stmt_step(struct aps_stmt *s)
{
    return s->conn->ops->step(s);
}

int aps_stmt_reset(struct aps_stmt *s)
{
    return s->conn->ops->reset(s);
}

int aps_stmt_columns(const struct aps_stmt *s)
{
    return s->conn->ops->columns(s);
}

const char *aps_stmt_column_name(const struct aps_stmt *s, int col)
{
    return s->conn->ops->column_name(s, col);
}

bool aps_stmt_is_null(const struct aps_stmt *s, int col)
{
    return s->conn->ops->is_null(s, col);
}

int64_t aps_stmt_int64(const struct aps_stmt *s, int col)
{
    return s->conn->ops->col_int64(s, col);
}

double aps_stmt_double(const struct aps_stmt *s, int col)
{
    return s->conn->ops->col_double(s, col);
}

const char *aps_stmt_text(const struct aps_stmt *s, int col)
{
    return s->conn->ops->col_text(s, col);
}

int64_t aps_stmt_changes(const struct aps_stmt *s)
{
    return s->conn->ops->changes(s);
}

void aps_stmt_finalize(struct aps_stmt *s)
{
    if (s)
        s->conn->ops->finalize(s);
}

int aps_conn_pipeline(struct aps_conn *c, struct aps_stmt *const *stmts, int n)
{
    if (n > APS_PIPELINE_MAX) {
        aps_conn_set_error(c, "pipeline: %d statements (at most %d)", n, APS_PIPELINE_MAX);
        return APS_E_RANGE;
    }
    for (int i = 0; i < n; i++)
        if (!stmts[i] || stmts[i]->conn != c) {
            aps_conn_set_error(c, "pipeline: statement %d is not one of this connection's", i);
            return APS_E_INVAL;
        }
    return c->ops->pipeline && n > 1 ? c->ops->pipeline(c, stmts, n) : 0;
}

/* A NULL first column counts as no row: callers ask "what number?", and NULL is not one. */
int aps_conn_query_int64(struct aps_conn *c, const char *sql, int nparams,
                         const char *const *params, int64_t *out)
{
    struct aps_stmt *s = NULL;
    int rc = aps_conn_prepare(c, sql, &s);
    if (rc)
        return rc;
    for (int i = 0; i < nparams && !rc; i++)
        rc = aps_stmt_bind_text(s, i + 1, params[i]);
    if (!rc)
        rc = aps_stmt_step(s);
    if (rc == APS_ROW && !aps_stmt_is_null(s, 0)) {
        *out = aps_stmt_int64(s, 0);
        rc = 0;
    } else if (rc == APS_ROW || rc == APS_DONE) {
        rc = APS_E_NOTFOUND;
    }
    aps_stmt_finalize(s);
    return rc;
}

int aps_conn_copy_begin(struct aps_conn *c, const char *table, const char *const *cols, int ncols,
                        struct aps_copy **out)
{
    *out = NULL;
    if (!aps_sql_ident_ok(table) || ncols < 1) {
        aps_conn_set_error(c, "copy: bad table name or no columns");
        return APS_E_INVAL;
    }
    for (int i = 0; i < ncols; i++) {
        if (!aps_sql_ident_ok(cols[i])) {
            aps_conn_set_error(c, "copy: bad column name '%s'", cols[i] ? cols[i] : "(null)");
            return APS_E_INVAL;
        }
    }
    if (!c->ops->in_txn(c->be)) {
        aps_conn_set_error(c, "copy into %s must run inside a transaction", table);
        return APS_E_STATE;
    }
    return c->ops->copy_begin(c, table, cols, ncols, out);
}

int aps_copy_row(struct aps_copy *cp, const char *const *vals)
{
    return cp->conn->ops->copy_row(cp, vals);
}

int aps_copy_row_args(struct aps_copy *cp, const struct aps_arg *vals)
{
    return cp->conn->ops->copy_row_args(cp, vals);
}

int aps_copy_end(struct aps_copy *cp)
{
    if (!cp)
        return APS_E_INVAL;
    return cp->conn->ops->copy_end(cp);
}

static int copy_file(struct aps_conn *c, const char *path, bool restore)
{
    if (!c->ops->copy_file) {
        aps_conn_set_error(c,
                           "whole-database file copies are for SQLite; PostgreSQL uses pgBackRest");
        return APS_E_UNSUPPORTED;
    }
    return c->ops->copy_file(c, path, restore);
}

int aps_conn_backup_file(struct aps_conn *c, const char *path)
{
    return copy_file(c, path, false);
}

int aps_conn_restore_file(struct aps_conn *c, const char *path)
{
    return copy_file(c, path, true);
}
