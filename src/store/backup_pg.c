/* backup_pg.c — the PostgreSQL backend of whole-store backups (backup.h has the retention
 * policy): pgBackRest.
 *
 * pgBackRest runs as a child process with its configuration file (BACKUP_PGBACKREST_CONFIG) and
 * stanza (BACKUP_STANZA); the retention options come from the settings on its command line,
 * where they override the file, so the policy has one source. The backup itself runs with
 * --no-expire-auto: expiry is the prune step's, which first checks that the newest backup is
 * sound. pgBackRest must reach the cluster's data directory: it runs on the database host (or
 * reaches it through `pgbackrest server`, deploy/backup/README.md) as the cluster's owner.
 *
 * A restore writes a new data directory (pgbackrest restore --pg1-path), recovers to the target
 * time with archiving off (a verification copy must not push WAL into the repository), promotes,
 * starts on its own port with pg_ctl and is checked through an ordinary store connection. Once it
 * is promoted, the recovery settings pgBackRest wrote into its postgresql.auto.conf are removed,
 * so that a replica made from it with pg_basebackup does not inherit them.
 *
 * The restore and the restored cluster's WAL fetching (archive-get) use their own spool and lock
 * folders beside its data directory (DIR.restore-spool), removed once it is promoted and the
 * archive-get that pgBackRest may leave running in the background has exited: pgBackRest's
 * restore empties the spool's archive queue, and with the configuration file's shared folders a
 * restore on the primary's host (a drill, a switch-over) would delete the primary's archive-push
 * acknowledgements and stall its WAL archiving until archive-timeout, and contend for its lock. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <jansson.h>
#include <netinet/in.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "config/config.h"
#include "core/buf.h"
#include "core/file.h"
#include "core/mem.h"
#include "core/str.h"
#include "core/timeutil.h"
#include "store/backup_int.h"
#include "store/store.h"

#define DAY 86400
#define OUTPUT_MAX (8 * 1024 * 1024)
#define MAX_ARGS 24
#define PROMOTE_WAIT_S 600

extern char **environ;

struct args {
    char *v[MAX_ARGS + 1];
    int n;
};

static void arg(struct args *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void arg(struct args *a, const char *fmt, ...)
{
    struct aps_buf b = {0};
    va_list ap;
    va_start(ap, fmt);
    aps_buf_vprintf(&b, fmt, ap);
    va_end(ap);
    if (a->n < MAX_ARGS)
        a->v[a->n++] = aps_buf_steal(&b);
    else
        aps_buf_cleanup(&b);
}

static void args_free(struct args *a)
{
    for (int i = 0; i < a->n; i++)
        aps_free(a->v[i]);
    a->n = 0;
}

/* What a failed program said, into out: from pgBackRest's last "ERROR:" line to the end (the
 * error and its hints; the last line alone is often a hint that makes no sense without it), on
 * one line; from any other program its last non-empty line. */
static void failure_text(const char *text, char *out, size_t cap)
{
    const char *end = text + strlen(text);
    while (end > text && (end[-1] == '\n' || end[-1] == ' '))
        end--;
    const char *start = end;
    while (start > text && start[-1] != '\n')
        start--;
    for (const char *p = text; (p = strstr(p, "ERROR: [")) && p < end; p++)
        if (p == text || p[-1] == '\n')
            start = p;
    size_t n = 0;
    for (const char *p = start; p < end && n + 1 < cap; p++) {
        bool space = *p == '\n' || *p == ' ';
        if (!space || (n && out[n - 1] != ' '))
            out[n++] = space ? ' ' : *p;
    }
    out[n] = '\0';
}

/* Runs a->v (searched in PATH) with stdout and stderr into out (at most OUTPUT_MAX bytes kept)
 * and waits for it. A start failure or a non-zero exit is APS_E_IO with the program's last line
 * of output in err. */
static int run(struct args *a, struct aps_buf *out, char *err, size_t errcap)
{
    int fds[2];
    posix_spawn_file_actions_t fa;
    pid_t pid;
    if (a->n >= MAX_ARGS || pipe2(fds, O_CLOEXEC)) {
        snprintf(err, errcap, "%s: too many arguments or no pipe", a->v[0]);
        return APS_E_IO;
    }
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, fds[1], 1);
    posix_spawn_file_actions_adddup2(&fa, fds[1], 2);
    a->v[a->n] = NULL;
    int src = posix_spawnp(&pid, a->v[0], &fa, NULL, a->v, environ);
    posix_spawn_file_actions_destroy(&fa);
    close(fds[1]);
    if (src) {
        close(fds[0]);
        snprintf(err, errcap, "cannot run %s: %s", a->v[0], strerror(src));
        return APS_E_UNSUPPORTED;
    }
    char chunk[8192];
    for (;;) {
        ssize_t got = read(fds[0], chunk, sizeof chunk);
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0)
            break;
        if (out->len + (size_t)got <= OUTPUT_MAX)
            aps_buf_append(out, chunk, (size_t)got);
    }
    close(fds[0]);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
        return 0;
    char line[600];
    failure_text(aps_buf_str(out), line, sizeof line);
    snprintf(err, errcap, "%s %s failed (status %d): %s", a->v[0], a->v[a->n - 1],
             WIFEXITED(status) ? WEXITSTATUS(status) : -1, line);
    return APS_E_IO;
}

/* How many full backups' WAL covers the PITR window: the window over the backup period, rounded
 * up (daily backups, 7 days: 7); with scheduled backups off, one a day is assumed. At least 1. */
static int64_t archive_fulls(int64_t period_s, int64_t pitr_days)
{
    int64_t pitr = pitr_days * DAY;
    int64_t n = period_s > 0 ? (pitr + period_s - 1) / period_s : pitr_days;
    return n > 0 ? n : 1;
}

/* pgbackrest with the configuration, the stanza and, for commands that expire, the retention. */
static void pgbackrest(const struct aps_config *cfg, struct args *a, bool retention)
{
    arg(a, "pgbackrest");
    arg(a, "--config=%s", aps_cfg_str(cfg, APS_SET_BACKUP_PGBACKREST_CONFIG));
    arg(a, "--stanza=%s", aps_cfg_str(cfg, APS_SET_BACKUP_STANZA));
    if (!retention)
        return;
    arg(a, "--repo1-retention-full-type=time");
    arg(a, "--repo1-retention-full=%lld", (long long)aps_cfg_int(cfg, APS_SET_BACKUP_RETENTION_DAYS));
    arg(a, "--repo1-retention-archive-type=full");
    arg(a, "--repo1-retention-archive=%lld",
        (long long)archive_fulls(aps_cfg_int(cfg, APS_SET_SCHEDULE_BACKUP_SECONDS),
                                 aps_cfg_int(cfg, APS_SET_BACKUP_PITR_DAYS)));
}

/* The stanza's backups of `pgbackrest info --output=json` (oldest first) into *root / *backups
 * (json_decref root). */
static int info(const struct aps_config *cfg, json_t **root, json_t **backups, char *err,
                size_t errcap)
{
    struct args a = {0};
    struct aps_buf out = {0};
    json_error_t je;
    pgbackrest(cfg, &a, false);
    arg(&a, "--output=json");
    arg(&a, "info");
    int rc = run(&a, &out, err, errcap);
    args_free(&a);
    *root = rc ? NULL : json_loads(aps_buf_str(&out), 0, &je);
    aps_buf_cleanup(&out);
    if (rc)
        return rc;
    json_t *stanza = json_array_get(*root, 0);
    *backups = json_object_get(stanza, "backup");
    if (!json_is_array(*backups)) {
        snprintf(err, errcap, "pgbackrest info: unexpected output (%s)", *root ? "no backup list" : je.text);
        json_decref(*root);
        *root = NULL;
        return APS_E_PARSE;
    }
    return 0;
}

static int64_t jint(json_t *o, const char *a, const char *b)
{
    json_t *v = json_object_get(o, a);
    if (b)
        v = json_object_get(v, b);
    return json_is_integer(v) ? (int64_t)json_integer_value(v) : 0;
}

/* The text of pgBackRest's "WARN: " lines in its output, "; "-joined into out (truncated). */
static void warnings(const char *log, char *out, size_t cap)
{
    size_t n = 0;
    out[0] = 0;
    for (const char *w = strstr(log, "WARN: "); w && n + 1 < cap; w = strstr(w, "WARN: ")) {
        w += 6;
        size_t len = strcspn(w, "\n");
        int k = snprintf(out + n, cap - n, "%s%.*s", n ? "; " : "", (int)len, w);
        n = k < 0 ? cap : n + (size_t)k;
        w += len;
    }
}

static int pg_run(const struct aps_config *cfg, struct aps_store *st, int64_t at,
                  struct aps_backup_result *out, char *err, size_t errcap)
{
    struct args a = {0};
    struct aps_buf log = {0};
    json_t *root = NULL, *backups = NULL;
    (void)st;
    (void)at;
    pgbackrest(cfg, &a, false);
    arg(&a, "--type=full");
    arg(&a, "--no-expire-auto");
    arg(&a, "backup");
    int rc = run(&a, &log, err, errcap);
    args_free(&a);
    if (!rc)
        warnings(aps_buf_str(&log), out->warning, sizeof out->warning);
    aps_buf_cleanup(&log);
    if (!rc)
        rc = info(cfg, &root, &backups, err, errcap);
    json_t *newest = rc ? NULL : json_array_get(backups, json_array_size(backups) - 1);
    if (!rc && !newest) {
        snprintf(err, errcap, "pgbackrest reported success but lists no backup");
        rc = APS_E_STATE;
    }
    if (!rc) {
        json_t *info_o = json_object_get(newest, "info");
        snprintf(out->label, sizeof out->label, "%s",
                 json_string_value(json_object_get(newest, "label")) ?: "?");
        out->size_bytes = jint(json_object_get(info_o, "repository"), "size", NULL);
    }
    json_decref(root);
    return rc;
}

static int pg_list(const struct aps_config *cfg, struct aps_buf *out, char *err, size_t errcap)
{
    json_t *root = NULL, *backups = NULL, *b;
    size_t i;
    int rc = info(cfg, &root, &backups, err, errcap);
    if (rc)
        return rc;
    json_array_foreach(backups, i, b) {
        char when[32];
        json_t *io = json_object_get(b, "info");
        aps_time_format_iso(jint(b, "timestamp", "stop"), when, sizeof when);
        aps_buf_printf(out, "%s  %-4s  %-26s %12lld bytes (database %lld)  %s\n", when,
                       json_string_value(json_object_get(b, "type")) ?: "?",
                       json_string_value(json_object_get(b, "label")) ?: "?",
                       (long long)jint(json_object_get(io, "repository"), "size", NULL),
                       (long long)jint(io, "size", NULL),
                       json_is_true(json_object_get(b, "error")) ? "ERROR" : "ok");
    }
    json_t *arch = json_array_get(json_object_get(json_array_get(root, 0), "archive"), 0);
    if (arch)
        aps_buf_printf(out, "WAL archive %s .. %s\n",
                       json_string_value(json_object_get(arch, "min")) ?: "-",
                       json_string_value(json_object_get(arch, "max")) ?: "-");
    json_decref(root);
    return 0;
}

static int pg_verify(const struct aps_config *cfg, struct aps_buf *out, char *err,
                     size_t errcap)
{
    struct args a = {0};
    struct aps_buf log = {0};
    pgbackrest(cfg, &a, false);
    arg(&a, "check");
    int rc = run(&a, &log, err, errcap);
    args_free(&a);
    size_t n = rc ? strlen(err) : 0;
    if (rc && strstr(err, "unable to connect to '") && n + 1 < errcap)
        /* check wants every database host of the configuration; a backup needs the primary only */
        snprintf(err + n, errcap - n,
                 " (a database host of the pgBackRest configuration does not answer: backups still"
                 " run from the primary, and this check passes again once every host answers;"
                 " after a failover, rebuild the lost primary as a replica)");
    if (!rc)
        aps_buf_puts(out, "archiving: ok (the current WAL segment was switched and archived)\n");
    aps_buf_reset(&log);
    if (!rc) {
        pgbackrest(cfg, &a, false);
        arg(&a, "--output=text");
        arg(&a, "verify");
        rc = run(&a, &log, err, errcap);
        args_free(&a);
        aps_buf_puts(out, aps_buf_str(&log));
        if (rc)
            rc = APS_E_INTEGRITY;
    }
    aps_buf_cleanup(&log);
    return rc;
}

static int pg_prune(const struct aps_config *cfg, int64_t now, int *removed, char *err,
                    size_t errcap)
{
    json_t *root = NULL, *backups = NULL;
    struct args a = {0};
    struct aps_buf log = {0};
    (void)now; /* pgBackRest's expire keeps its own clock */
    int rc = info(cfg, &root, &backups, err, errcap);
    if (rc)
        return rc;
    size_t before = json_array_size(backups);
    json_t *newest = json_array_get(backups, before - 1);
    if (newest && json_is_true(json_object_get(newest, "error"))) {
        snprintf(err, errcap, "the newest backup %s has errors; nothing pruned",
                 json_string_value(json_object_get(newest, "label")) ?: "?");
        rc = APS_E_INTEGRITY;
    }
    json_decref(root);
    if (rc || !before)
        return rc;
    pgbackrest(cfg, &a, true);
    arg(&a, "expire");
    rc = run(&a, &log, err, errcap);
    args_free(&a);
    aps_buf_cleanup(&log);
    if (!rc)
        rc = info(cfg, &root, &backups, err, errcap);
    if (!rc) {
        *removed = (int)(before - json_array_size(backups));
        json_decref(root);
    }
    return rc;
}

/* ---- restore ------------------------------------------------------------------------------- */

/* The target time in PostgreSQL's form: "2026-12-02T05:40:00Z" → "2026-12-02 05:40:00+00". */
static int target_time(const char *to, char *out, size_t cap)
{
    if (aps_str_copy(out, cap, to) || strlen(to) < 10 || strspn(to, "0123456789-:. +TZ") != strlen(to))
        return APS_E_INVAL;
    char *t = strchr(out, 'T');
    if (t)
        *t = ' ';
    size_t n = strlen(out);
    if (n && out[n - 1] == 'Z') {
        if (n + 2 > cap)
            return APS_E_INVAL;
        memcpy(out + n - 1, "+00", 4);
    }
    return 0;
}

/* DATABASE_URL with its host and port replaced by 127.0.0.1:port: where the restored cluster
 * answers with the same user, password, database and options. */
static int local_url(const char *url, int port, char *out, size_t cap)
{
    const char *scheme = url ? strstr(url, "://") : NULL;
    if (!scheme)
        return APS_E_CONFIG;
    const char *auth = scheme + 3, *end = auth + strcspn(auth, "/?");
    const char *at = memrchr(auth, '@', (size_t)(end - auth));
    const char *host = at ? at + 1 : auth;
    int n = snprintf(out, cap, "postgresql://%.*s127.0.0.1:%d%s", (int)(host - auth), auth, port,
                     end);
    return n > 0 && (size_t)n < cap ? 0 : APS_E_TOOBIG;
}

static int pg_ctl(const struct aps_config *cfg, const char *dir, const char *action, int port,
                  char *err, size_t errcap)
{
    struct args a = {0};
    struct aps_buf log = {0};
    arg(&a, "%s/pg_ctl", aps_cfg_str(cfg, APS_SET_BACKUP_PG_BINDIR));
    arg(&a, "-D");
    arg(&a, "%s", dir);
    arg(&a, "-w");
    arg(&a, "-t");
    arg(&a, "%d", PROMOTE_WAIT_S);
    if (!strcmp(action, "start")) {
        arg(&a, "-l");
        arg(&a, "%s/restore.log", dir);
        arg(&a, "-o");
        arg(&a, "-p %d", port);
    } else {
        arg(&a, "-m");
        arg(&a, "fast");
    }
    arg(&a, "%s", action);
    int rc = run(&a, &log, err, errcap);
    size_t len = strlen(err);
    if (rc && !strcmp(action, "start") && len < errcap)
        snprintf(err + len, errcap - len, " (the server's log: %s/restore.log)", dir);
    args_free(&a);
    aps_buf_cleanup(&log);
    return rc;
}

/* Where a restore may write and listen: DIR must be new or empty (pgBackRest would refuse it
 * after the restore's start, with a hint to use --delta that aps does not take, or, for a
 * running cluster's directory, one to remove its postmaster.pid), and PORT free on the loopback
 * address it is reached on (else the whole restore is done before pg_ctl cannot start it). */
static int restore_target(const char *dir, int port, char *err, size_t errcap)
{
    DIR *d = opendir(dir);
    struct dirent *e = NULL;
    if (!d && errno != ENOENT) {
        snprintf(err, errcap, "--pg-path %s: %s", dir, strerror(errno));
        return APS_E_IO;
    }
    while (d && (e = readdir(d)) && (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")))
        ;
    if (d)
        closedir(d);
    if (e) {
        snprintf(err, errcap,
                 "--pg-path %s is not empty: a restore makes a new cluster in a new or empty"
                 " directory and never writes over one (least of all a running cluster's); name"
                 " another, or delete this one if a failed restore left it",
                 dir);
        return APS_E_INVAL;
    }
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1, rc = 0;
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd >= 0 && !setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) &&
        bind(fd, (struct sockaddr *)&sa, sizeof sa) && errno == EADDRINUSE) {
        snprintf(err, errcap,
                 "--port %d is in use on this host (by the primary?): name a free port for the"
                 " restored cluster",
                 port);
        rc = APS_E_INVAL;
    }
    if (fd >= 0)
        close(fd);
    return rc;
}

/* The text after "FATAL:" of the last such line of the restored cluster's server log
 * (DIR/restore.log), or "" when it has none. */
static void server_fatal(const char *dir, char *out, size_t cap)
{
    char path[4200], line[1024];
    out[0] = '\0';
    snprintf(path, sizeof path, "%s/restore.log", dir);
    FILE *f = fopen(path, "r");
    if (!f)
        return;
    while (fgets(line, sizeof line, f)) {
        const char *p = strstr(line, "FATAL:");
        if (p) {
            p += strlen("FATAL:");
            p += strspn(p, " \t");
            snprintf(out, cap, "%.*s", (int)strcspn(p, "\r\n"), p);
        }
    }
    fclose(f);
}

/* Opens the restored cluster in DIR and waits until recovery reached the target and it was
 * promoted. A cluster that stops on the way (its recovery ended before the target: a --to after
 * the newest archived commit) is named with the server's FATAL line and its log. */
static int open_promoted(const char *dir, const char *url, struct aps_store **out, char *err,
                         size_t errcap)
{
    struct aps_store_opts o = {.url = url, .pool_size = 1, .pool_timeout = 30};
    struct aps_conn *c = NULL;
    int64_t in_recovery = 1;
    int rc = aps_store_open(out, &o, err, errcap);
    for (int i = 0; !rc && in_recovery && i < PROMOTE_WAIT_S * 10; i++) {
        if (i) {
            struct timespec ts = {0, 100000000L};
            nanosleep(&ts, NULL);
        }
        rc = aps_store_acquire(*out, APS_DB_WRITE, &c);
        if (rc)
            aps_store_last_error(*out, err, errcap);
        if (!rc)
            rc = aps_conn_query_int64(c, "SELECT CASE WHEN pg_is_in_recovery() THEN 1 ELSE 0 END",
                                      0, NULL, &in_recovery);
        if (rc && c)
            snprintf(err, errcap, "%s", aps_conn_errmsg(c));
        if (c)
            aps_store_release(c);
        c = NULL;
    }
    char fatal[512];
    if (rc)
        server_fatal(dir, fatal, sizeof fatal);
    if (rc && fatal[0])
        snprintf(err, errcap,
                 "the restored cluster stopped before it was promoted: %s (the server's log:"
                 " %s/restore.log; the cluster's folders are left for inspection)",
                 fatal, dir);
    if (!rc && in_recovery) {
        snprintf(err, errcap, "the restored cluster did not leave recovery within %d s",
                 PROMOTE_WAIT_S);
        rc = APS_E_TIMEOUT;
    }
    return rc;
}

/* True when the postgresql.auto.conf line [p, p+n) sets a recovery setting that pgBackRest's
 * restore wrote: restore_command or recovery_target*. */
static bool recovery_line(const char *p, size_t n)
{
    static const char *const keys[] = {"restore_command", "recovery_target"};
    size_t sp = strspn(p, " \t");
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        size_t k = strlen(keys[i]);
        if (sp + k <= n && !strncmp(p + sp, keys[i], k))
            return true;
    }
    return false;
}

/* Removes pgBackRest's recovery settings from the promoted cluster's DIR/postgresql.auto.conf:
 * they have done their work. Left there, pg_basebackup would copy them into a replica rebuilt
 * from this cluster after the switch-over, and that replica would stop replaying and promote
 * itself at its first commit past the target (recovery_target_action = 'promote'): a second
 * primary. archive_mode = 'off' stays; the switch-over turns archiving on. */
static int drop_recovery_settings(const char *dir, char *err, size_t errcap)
{
    char path[4200], chunk[4096];
    struct aps_buf in = {0}, out = {0};
    struct stat sb;
    size_t n;
    snprintf(path, sizeof path, "%s/postgresql.auto.conf", dir);
    FILE *f = fopen(path, "r");
    int rc = f && !fstat(fileno(f), &sb) ? 0 : APS_E_IO;
    while (!rc && (n = fread(chunk, 1, sizeof chunk, f)) > 0)
        aps_buf_append(&in, chunk, n);
    if (!rc && ferror(f))
        rc = APS_E_IO;
    for (const char *p = aps_buf_str(&in), *end = p + in.len; !rc && p < end;) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t len = nl ? (size_t)(nl - p) + 1 : (size_t)(end - p);
        if (!recovery_line(p, len))
            aps_buf_append(&out, p, len);
        p += len;
    }
    if (!rc && out.len != in.len &&
        aps_file_replace(path, aps_buf_str(&out), out.len, (int)(sb.st_mode & 07777)))
        rc = APS_E_IO;
    if (rc)
        snprintf(err, errcap,
                 "restored and promoted, but its recovery settings could not be removed from"
                 " %s/postgresql.auto.conf: %s (remove restore_command and recovery_target*"
                 " before a replica is made from it)",
                 dir, strerror(errno));
    if (f)
        fclose(f);
    aps_buf_cleanup(&in);
    aps_buf_cleanup(&out);
    return rc;
}

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb, (void)flag, (void)ftw;
    return remove(path);
}

/* True while a process holds one of pgBackRest's lock files in dir (it takes them with flock). */
static bool locks_held(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return false;
    bool held = false;
    struct dirent *e;
    while (!held && (e = readdir(d))) {
        size_t n = strlen(e->d_name);
        if (n < 5 || strcmp(e->d_name + n - 5, ".lock"))
            continue;
        int fd = openat(dirfd(d), e->d_name, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
            continue;
        held = flock(fd, LOCK_EX | LOCK_NB) && errno == EWOULDBLOCK;
        close(fd);
    }
    closedir(d);
    return held;
}

/* Removes the restore's spool folder once the archive-get process that pgBackRest may have left
 * running in the background (fetching WAL ahead of recovery) has let go of its lock: removed
 * while it runs, the folder would be written again. Waits at most wait_s seconds. */
#define SPOOL_WAIT 30.0
static int remove_spool(const char *spool, double wait_s, char *err, size_t errcap)
{
    char locks[4200];
    snprintf(locks, sizeof locks, "%s/lock", spool);
    double t0 = aps_time_mono();
    struct stat sb;
    do {
        if (!locks_held(locks)) {
            nftw(spool, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
            if (lstat(spool, &sb) && errno == ENOENT)
                return 0;
        }
        struct timespec ts = {0, 50 * 1000 * 1000};
        nanosleep(&ts, NULL);
    } while (aps_time_mono() - t0 < wait_s);
    snprintf(err, errcap,
             "restored and promoted, but its spool folder is still in use after %.0f s", wait_s);
    return APS_E_IO;
}

/* Removes what a restore that failed before its cluster started made (nothing that was there
 * before it): the spool folder, and the data directory pgBackRest began to fill — removed when
 * the restore made it, emptied when it was there, empty. */
static int rm_inside(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    return ftw->level ? rm_entry(path, sb, flag, ftw) : 0;
}

static void undo_restore(const char *pg_path, bool dir_was, const char *spool, bool spool_was)
{
    char why[512];
    if (!spool_was)
        (void)remove_spool(spool, 5.0, why, sizeof why);
    nftw(pg_path, dir_was ? rm_inside : rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* pgbackrest restore into o->pg_path; target: the --to time in PostgreSQL's form. */
static int pgbr_restore(const struct aps_config *cfg, const struct aps_restore_opts *o,
                        const char *target, const char *spool, char *err, size_t errcap)
{
    struct args a = {0};
    struct aps_buf log = {0};
    if (mkdir(spool, 0750) && errno != EEXIST) {
        snprintf(err, errcap, "%s: %s", spool, strerror(errno));
        return APS_E_IO;
    }
    pgbackrest(cfg, &a, false);
    arg(&a, "--pg1-path=%s", o->pg_path);
    arg(&a, "--archive-mode=off");
    arg(&a, "--spool-path=%s/spool", spool); /* also on the restore_command it writes */
    arg(&a, "--lock-path=%s/lock", spool);
    if (o->set) {
        arg(&a, "--set=%s", o->set);
        arg(&a, "--type=immediate");
        arg(&a, "--target-action=promote");
    } else if (o->to) {
        arg(&a, "--type=time");
        arg(&a, "--target=%s", target);
        arg(&a, "--target-action=promote");
    }
    arg(&a, "restore");
    int rc = run(&a, &log, err, errcap);
    args_free(&a);
    aps_buf_cleanup(&log);
    return rc;
}

/* The refusals of a PostgreSQL restore's options, before anything is made; fills the restored
 * cluster's URL, the spool folder's path and the --to target in PostgreSQL's form. */
static int restore_opts_check(const struct aps_config *cfg, const struct aps_restore_opts *o,
                              struct aps_store_restored *r, char *spool, size_t spoolcap,
                              char *target, size_t targetcap, char *err, size_t errcap)
{
    if (o->from) {
        snprintf(err, errcap,
                 "--from FILE restores a SQLite copy; this store is PostgreSQL: restore from"
                 " the pgBackRest repository with --to TIME or --set LABEL (aps backup list)");
        return APS_E_INVAL;
    }
    if (!o->pg_path || !*o->pg_path || o->port <= 0 || o->port > 65535) {
        snprintf(err, errcap, "a PostgreSQL restore needs --pg-path DIR (new) and --port N");
        return APS_E_INVAL;
    }
    if (o->to && target_time(o->to, target, targetcap)) {
        snprintf(err, errcap, "--to %s: want a time such as 2026-12-02T05:40:00Z", o->to);
        return APS_E_INVAL;
    }
    if (local_url(aps_cfg_str(cfg, APS_SET_DATABASE_URL), o->port, r->url, sizeof r->url)) {
        snprintf(err, errcap, "DATABASE_URL cannot name the restored cluster");
        return APS_E_CONFIG;
    }
    if ((size_t)snprintf(spool, spoolcap, "%s.restore-spool", o->pg_path) >= spoolcap) {
        snprintf(err, errcap, "--pg-path is too long");
        return APS_E_INVAL;
    }
    return restore_target(o->pg_path, o->port, err, errcap);
}

static int pg_restore(const struct aps_config *cfg, struct aps_store *st,
                      const struct aps_restore_opts *o, aps_restore_check_fn check, void *arg,
                      struct aps_store_restored *r, char *err, size_t errcap)
{
    struct aps_store *rs = NULL;
    struct aps_conn *c = NULL;
    struct stat sb;
    char spool[4096], target[96] = "";
    (void)st; /* the restored cluster is a new database: the caller records the restore */
    int rc = restore_opts_check(cfg, o, r, spool, sizeof spool, target, sizeof target, err,
                                errcap);
    if (rc)
        return rc;
    r->separate = true;
    snprintf(r->source, sizeof r->source, "%s", o->set ? o->set : o->to ? o->to : "latest");
    bool dir_was = !lstat(o->pg_path, &sb), spool_was = !lstat(spool, &sb);
    rc = pgbr_restore(cfg, o, target, spool, err, errcap);
    if (rc) /* no cluster runs on what it made: nothing of it is worth keeping */
        undo_restore(o->pg_path, dir_was, spool, spool_was);
    if (!rc)
        rc = pg_ctl(cfg, o->pg_path, "start", o->port, err, errcap);
    bool started_ok = !rc;
    if (!rc)
        rc = open_promoted(o->pg_path, r->url, &rs, err, errcap);
    bool promoted = !rc; /* recovery reads no more WAL */
    if (!rc)
        rc = aps_store_acquire(rs, APS_DB_WRITE, &c);
    if (!rc)
        rc = check(c, arg, err, errcap);
    if (c)
        aps_store_release(c);
    aps_store_close(rs);
    if (promoted) {
        char why[1024];
        int src = drop_recovery_settings(o->pg_path, why, sizeof why);
        if (!src)
            src = remove_spool(spool, SPOOL_WAIT, why, sizeof why);
        if (!rc && src) {
            snprintf(err, errcap, "%s", why);
            rc = src;
        }
    }
    if (started_ok && o->stop) {
        char why[512];
        int src = pg_ctl(cfg, o->pg_path, "stop", o->port, why, sizeof why);
        if (!rc && src) {
            snprintf(err, errcap, "%s", why);
            rc = src;
        }
    }
    return rc;
}

const struct aps_backup_ops aps_backup_pg_ops = {
    .kind = "postgres",
    .names_slot = false,
    .run = pg_run,
    .list = pg_list,
    .verify = pg_verify,
    .prune = pg_prune,
    .restore = pg_restore,
};
