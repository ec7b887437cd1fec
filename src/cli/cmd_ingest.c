/* cmd_ingest.c — `aps ingest SOURCE PATH|URL…` and `aps ingest all [DIR]`: parse each file with
 * its loader, store it through the writer (one transaction per file), show progress on a
 * terminal and end with a summary per sport. A parse thread (ingest/pipeline.h) reads the next
 * files while writer lanes store the ones before; results are reported in file order. */
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "cli/cli.h"
#include "cli/opts.h"
#include "config/config.h"
#include "core/mem.h"
#include "core/timeutil.h"
#include "ingest/fetch.h"
#include "ingest/ingest.h"
#include "ingest/inventory.h"
#include "ingest/pipeline.h"
#include "store/store.h"

static void help(FILE *out)
{
    fprintf(
        out,
        "usage: aps ingest SOURCE PATH|URL...\n"
        "       aps ingest all [DIR]\n\n"
        "Loads historical data files into the store (DATABASE_URL), one transaction per file.\n"
        "Re-running is idempotent: rows are upserted by their natural keys.\n\n"
        "SOURCE is one of:\n"
        "  football-data    football-data.co.uk season files (EPL, La Liga, Bundesliga, Serie A, Ligue 1)\n"
        "  sbr              sportsbookreviewsonline.com spreadsheets (NBA, NHL, MLB, NCAAB)\n"
        "  sbr-nfl          the sportsbookreview NFL JSON archive\n"
        "  spreadspoke      spreadspoke_scores.csv (NFL results, closing spread and total)\n"
        "  tennis-data      tennis-data.co.uk files (ATP, WTA)\n"
        "  fivethirtyeight  FiveThirtyEight games and forecasts\n"
        "  all              every source found in DIR (default: TRAINING_DATA_PATH when set,\n"
        "                   else APS_DATA_DIR)\n\n"
        "A PATH that is a folder is searched for the files the source reads; a file or\n"
        "folder that two PATHs reach is read once. A URL (http://, https://, file://) is\n"
        "downloaded first. An sbr file's name says its sport (nba, ncaa or ncaab, nhl, mlb,\n"
        "as a word of its own; else its folder's name does) and its season (2014-15, 2021).\n\n"
        "options:\n"
        "  --format table|json   summary format (default table)\n"
        "  --jobs N              PostgreSQL: store up to N files at once, one transaction and\n"
        "                        connection each (1-8, default 2); files of one sport are\n"
        "                        always stored one after another, in order. SQLite: one\n"
        "  --quiet               no progress bar and no per-file lines\n");
}

/* Parsed files that may wait for the writer: enough to keep it busy while the parse thread is on
 * a long file, few enough that memory stays a few batches. */
enum { PARSE_AHEAD = 2 };

struct job {
    enum aps_source source;
    char *path;
};

struct sport_tally {
    size_t rejected;
    double seconds;
    bool touched;
};

struct run {
    struct job *jobs;
    size_t njobs, cap;
    struct aps_ingest_found found; /* every PATH's files, each folder and file once */
    struct sport_tally tally[APS_SPORT__COUNT];
    size_t files_failed;
    int lanes; /* --jobs (0: the default) */
    bool quiet, json, tty;
};

static void add_job(struct run *r, enum aps_source s, const char *path)
{
    if (r->njobs == r->cap) {
        r->cap = r->cap ? r->cap * 2 : 32;
        r->jobs = aps_realloc(r->jobs, r->cap * sizeof *r->jobs);
    }
    r->jobs[r->njobs].source = s;
    r->jobs[r->njobs++].path = aps_strdup(path);
}

/* Adds the files of path that no earlier PATH reached: a file named twice, or a folder and its
 * subfolder, is read once, the second way said on stderr. */
static int add_path(struct run *r, enum aps_source s, const char *path, bool must_exist)
{
    if (aps_fetch_is_url(path)) {
        add_job(r, s, path);
        return 0;
    }
    size_t files = r->found.n, notes = r->found.nnotes;
    int rc = aps_ingest_discover_add(s, path, &r->found);
    if (rc == APS_E_NOTFOUND && !must_exist)
        return 0;
    if (rc) {
        fprintf(stderr, "aps ingest: %s: %s\n", path,
                rc == APS_E_UNSUPPORTED ? "not a regular file or a directory" : aps_strerror(rc));
        return rc;
    }
    for (size_t i = notes; i < r->found.nnotes; i++) /* a link loop: said once, even with --quiet */
        fprintf(stderr, "aps ingest: %s\n", r->found.notes[i]);
    for (size_t i = files; i < r->found.n; i++)
        add_job(r, s, r->found.paths[i]);
    return 0;
}

static void progress(const struct run *r, size_t done, const char *what)
{
    if (!r->tty || r->quiet)
        return;
    int width = 30, filled = r->njobs ? (int)(done * (size_t)width / r->njobs) : width;
    fprintf(stderr, "\r\033[K[%.*s%*s] %zu/%zu %s", filled, "##############################",
            width - filled, "", done, r->njobs, what);
    if (done == r->njobs)
        fputc('\n', stderr);
    fflush(stderr);
}

/* Writer lanes. On PostgreSQL several files are stored at once, each lane a thread with its own
 * connection and writer (one transaction per file, as with one lane). Files are handed out in
 * job order, and a file waits while an earlier file that has records of one of its sports is
 * waiting or being stored: games of one sport are matched against the games stored before them
 * (other sources, earlier seasons; forecasts against games), so within a sport the files are
 * stored one after another in job order, exactly as with one lane. Different sports share only
 * sportsbooks and venues, which are upserted by their keys. A transaction the server aborts as a
 * deadlock (two lanes upserting the same venues in opposite orders) is run again. Results are
 * reported in job order. SQLite has one writer: one lane. */
enum { MAX_LANES = 8, DEFAULT_LANES = 2, LOOKAHEAD = 8, BUSY_RETRIES = 4 };

enum slot_state { SLOT_WAITING, SLOT_RUNNING, SLOT_DONE };

/* One parsed file between the parse thread and its report. */
struct slot {
    struct aps_ingest_parsed *x;
    uint64_t sports; /* a bit per sport its games and forecasts belong to */
    enum slot_state state;
    int rc;
    struct aps_ingest_result res;
    double seconds; /* fetch and parse (on the parse thread) plus the write */
};

struct lanes;

struct lane {
    pthread_t thread;
    struct aps_conn *conn;
    struct aps_writer *w;
    struct lanes *all;
    struct slot *work; /* the file in hand, or NULL */
    const char *path;
};

struct lanes {
    pthread_mutex_t lock;
    pthread_cond_t cond; /* a lane was given a file or finished one, or the run ends */
    struct slot **slots; /* by job index, from taken off the pipe until reported */
    struct lane lane[MAX_LANES];
    int n;
    bool stop;
};

/* Stores one file on its lane; the transaction again when the server aborted it to break a
 * deadlock with another lane (the writer rolled it back and forgot its cached ids). */
static void store_file(struct lane *l, struct slot *sl, const char *path)
{
    struct aps_ingest_parsed *x = sl->x;
    double t0 = aps_time_mono();
    int rc = x->rc;
    for (int tries = 0; !rc; tries++) {
        rc = aps_writer_write(l->w, &x->batch, path, &sl->res, x->err, sizeof x->err);
        if (rc != APS_E_BUSY || tries == BUSY_RETRIES)
            break;
        fprintf(stderr, "aps ingest: %s: %s; storing the file again\n", path, x->err);
        struct timespec pause = {0, 20000000L * (tries + 1)};
        nanosleep(&pause, NULL);
        rc = 0;
    }
    sl->rc = rc;
    sl->seconds = x->seconds + (aps_time_mono() - t0);
}

static void *lane_main(void *arg)
{
    struct lane *l = arg;
    struct lanes *ls = l->all;
    pthread_mutex_lock(&ls->lock);
    for (;;) {
        while (!l->work && !ls->stop)
            pthread_cond_wait(&ls->cond, &ls->lock);
        if (!l->work)
            break;
        struct slot *sl = l->work;
        const char *path = l->path;
        pthread_mutex_unlock(&ls->lock);
        if (!sl->x->fetch_failed)
            store_file(l, sl, path);
        pthread_mutex_lock(&ls->lock);
        sl->state = SLOT_DONE;
        l->work = NULL;
        pthread_cond_broadcast(&ls->cond);
    }
    pthread_mutex_unlock(&ls->lock);
    return NULL;
}

/* Under the lock: gives waiting files of slots[from, to) to idle lanes, the earliest first, each
 * only when no file being stored and no earlier waiting file shares a sport with it. */
static void dispatch(const struct run *r, struct lanes *ls, size_t from, size_t to)
{
    bool gave = false;
    uint64_t held = 0;
    for (int k = 0; k < ls->n; k++)
        if (ls->lane[k].work)
            held |= ls->lane[k].work->sports;
    for (size_t i = from; i < to; i++) {
        struct slot *sl = ls->slots[i];
        if (sl->state != SLOT_WAITING)
            continue;
        for (int k = 0; k < ls->n && !(sl->sports & held); k++) {
            if (ls->lane[k].work)
                continue;
            ls->lane[k].work = sl;
            ls->lane[k].path = r->jobs[i].path;
            sl->state = SLOT_RUNNING;
            gave = true;
            break;
        }
        held |= sl->sports; /* later files of these sports come after this one */
    }
    if (gave)
        pthread_cond_broadcast(&ls->cond);
}

static bool lane_idle(const struct lanes *ls)
{
    for (int k = 0; k < ls->n; k++)
        if (!ls->lane[k].work)
            return true;
    return false;
}

/* " (bad price 4 first at line 17, fields missing 1 at line 380)": why rows were rejected and
 * where the first of each is in the file, or "" when none was. */
static const char *reasons(const struct aps_ingest_result *res, char *out, size_t cap)
{
    size_t n = 0;
    out[0] = '\0';
    for (size_t i = 0; i < res->nreasons && n < cap; i++) {
        const struct aps_batch_rejects *r = &res->reasons[i];
        n += (size_t)snprintf(out + n, cap - n, "%s%s %zu", i ? ", " : " (", r->reason, r->count);
        if (r->line && n < cap)
            n += (size_t)snprintf(out + n, cap - n, "%s at line %zu", r->count > 1 ? " first" : "",
                                  r->line);
    }
    if (n && n + 1 < cap)
        memcpy(out + n, ")", 2);
    return out;
}

/* Reports one stored file (main thread, job order); failures are counted, the run goes on. */
static void report(struct run *r, const struct job *j, const struct slot *sl)
{
    char why[256];
    const struct aps_ingest_parsed *x = sl->x;
    if (x->fetch_failed) {
        fprintf(stderr, "%saps ingest: %s\n", r->tty ? "\n" : "", x->err);
        r->files_failed++;
        return;
    }
    if (sl->rc) {
        /* a loader's message starts with the path already ("PATH:LINE: …") */
        size_t n = strlen(j->path);
        bool named = !strncmp(x->err, j->path, n) && x->err[n] == ':';
        fprintf(stderr, "%saps ingest: %s%s%s (nothing stored from this file)\n",
                r->tty && !r->quiet ? "\n" : "", named ? "" : j->path, named ? "" : ": ", x->err);
        r->files_failed++;
        return;
    }
    const struct aps_ingest_result *res = &sl->res;
    int sport = aps_batch_main_sport(&x->batch);
    if (sport >= 0) {
        r->tally[sport].rejected += res->rejected;
        r->tally[sport].seconds += sl->seconds;
        r->tally[sport].touched = true;
    }
    if (!r->quiet && !r->tty)
        fprintf(stderr, "%s %s: %zu games, %zu odds, %zu forecasts, %zu rejected%s, %.2fs\n",
                aps_source_name(j->source), j->path, res->games, res->odds, res->forecasts,
                res->rejected, reasons(res, why, sizeof why), sl->seconds);
    const char *who = sport == APS_SPORT_NCAAB ? "team" : "player";
    if (!r->quiet && res->players_merged)
        fprintf(stderr, "%s%s: %zu %s rows merged into the row of the same %s\n",
                r->tty ? "\n" : "", j->path, res->players_merged, who, who);
    if (!r->quiet && res->players_apart[0])
        fprintf(stderr, "%s%s: %ss %s\n", r->tty ? "\n" : "", j->path, who, res->players_apart);
}

/* Every job: the parse thread reads files ahead, the lanes store them, this thread takes them
 * off the pipe in job order, hands them out and reports them in job order. */
static int run_lanes(struct run *r, struct lanes *ls, struct aps_ingest_pipe *p)
{
    size_t taken = 0, reported = 0;
    progress(r, 0, r->njobs ? r->jobs[0].path : "done");
    pthread_mutex_lock(&ls->lock);
    while (reported < r->njobs) {
        dispatch(r, ls, reported, taken);
        while (reported < taken && ls->slots[reported]->state == SLOT_DONE) {
            struct slot *sl = ls->slots[reported];
            report(r, &r->jobs[reported], sl);
            aps_ingest_parsed_free(sl->x);
            aps_free(sl);
            ls->slots[reported++] = NULL;
            progress(r, reported, reported < r->njobs ? r->jobs[reported].path : "done");
        }
        if (reported == r->njobs)
            break;
        if (taken < r->njobs && taken - reported < LOOKAHEAD && lane_idle(ls)) {
            pthread_mutex_unlock(&ls->lock);
            struct slot *sl = aps_calloc(1, sizeof *sl);
            sl->x = aps_ingest_pipe_next(p);
            if (!sl->x->rc && !sl->x->fetch_failed)
                sl->sports = aps_batch_sports(&sl->x->batch);
            pthread_mutex_lock(&ls->lock);
            ls->slots[taken++] = sl;
            continue;
        }
        pthread_cond_wait(&ls->cond, &ls->lock);
    }
    ls->stop = true;
    pthread_cond_broadcast(&ls->cond);
    pthread_mutex_unlock(&ls->lock);
    return 0;
}

static int ingest_jobs(struct run *r, struct lanes *ls)
{
    struct aps_ingest_job *pj = aps_calloc(r->njobs ? r->njobs : 1, sizeof *pj);
    for (size_t i = 0; i < r->njobs; i++)
        pj[i] = (struct aps_ingest_job){r->jobs[i].source, r->jobs[i].path};
    struct aps_ingest_pipe *p = NULL;
    int rc = aps_ingest_pipe_start(&p, pj, r->njobs, PARSE_AHEAD);
    if (rc) {
        fprintf(stderr, "aps ingest: cannot start the parse thread\n");
        aps_free(pj);
        return rc;
    }
    ls->slots = aps_calloc(r->njobs ? r->njobs : 1, sizeof *ls->slots);
    int started = 0;
    for (; started < ls->n; started++) {
        ls->lane[started].all = ls;
        if (pthread_create(&ls->lane[started].thread, NULL, lane_main, &ls->lane[started]))
            break;
    }
    if (started < ls->n) {
        fprintf(stderr, "aps ingest: cannot start a writer thread\n");
        rc = APS_E_IO;
        pthread_mutex_lock(&ls->lock);
        ls->stop = true;
        pthread_cond_broadcast(&ls->cond);
        pthread_mutex_unlock(&ls->lock);
    } else {
        rc = run_lanes(r, ls, p);
    }
    for (int k = 0; k < started; k++)
        pthread_join(ls->lane[k].thread, NULL);
    aps_ingest_pipe_stop(p);
    aps_free(ls->slots);
    aps_free(pj);
    return rc;
}

static void print_summary(const struct run *r, struct aps_conn *c)
{
    struct aps_inventory_row *rows = NULL;
    int64_t *seasons = NULL;
    size_t n = 0;
    if (aps_inventory_by_sport(c, &rows, &n, &seasons)) {
        fprintf(stderr, "aps ingest: cannot read the summary: %s\n", aps_conn_errmsg(c));
        return;
    }
    if (r->json)
        printf("{\"sports\":[");
    else
        printf("%-11s %7s %8s %10s %6s %10s %9s %8s\n", "sport", "seasons", "games", "with odds",
               "books", "odds rows", "rejected", "seconds");
    bool first = true;
    for (size_t i = 0; i < n; i++) {
        int s = aps_sport_from_code(rows[i].sport);
        const struct sport_tally *t = s >= 0 ? &r->tally[s] : NULL;
        if (!t || !t->touched)
            continue;
        if (r->json)
            printf("%s{\"sport\":\"%s\",\"seasons\":%lld,\"games\":%lld,\"games_with_odds\":%lld,"
                   "\"bookmakers\":%lld,\"odds_rows\":%lld,\"rejected\":%zu,\"seconds\":%.3f}",
                   first ? "" : ",", rows[i].sport, (long long)seasons[i], (long long)rows[i].games,
                   (long long)rows[i].with_odds, (long long)rows[i].books,
                   (long long)rows[i].odds_rows, t->rejected, t->seconds);
        else
            printf("%-11s %7lld %8lld %10lld %6lld %10lld %9zu %8.2f\n", rows[i].sport,
                   (long long)seasons[i], (long long)rows[i].games, (long long)rows[i].with_odds,
                   (long long)rows[i].books, (long long)rows[i].odds_rows, t->rejected, t->seconds);
        first = false;
    }
    if (r->json)
        printf("],\"files\":%zu,\"files_failed\":%zu}\n", r->njobs, r->files_failed);
    else
        printf("%zu files, %zu failed\n", r->njobs, r->files_failed);
    aps_free(rows);
    aps_free(seasons);
}

struct ingest_args {
    bool json, quiet;
    int jobs;
    int pos, cap;
    const char **positional; /* SOURCE and its paths: pointers into argv */
};

static int set_format(void *p, const char *opt, const char *v)
{
    (void)opt;
    if (strcmp(v, "table") && strcmp(v, "json")) {
        fprintf(stderr, "aps ingest: --format must be table or json\n");
        return 1;
    }
    ((struct ingest_args *)p)->json = !strcmp(v, "json");
    return 0;
}

/* SOURCE and its paths ("-" among them), as many as the command line holds. */
static int take_word(const struct aps_cli_opts *t, void *p, const char *arg)
{
    struct ingest_args *a = p;
    if (arg[0] == '-' && arg[1])
        return aps_cli_opts_refuse(t, arg);
    if (a->pos == a->cap) {
        a->cap = a->cap ? 2 * a->cap : 16;
        a->positional = aps_realloc(a->positional, (size_t)a->cap * sizeof *a->positional);
    }
    a->positional[a->pos++] = arg;
    return 0;
}

static int set_jobs(void *p, const char *opt, const char *v)
{
    if (!aps_cli_int_in(v, 1, MAX_LANES, &((struct ingest_args *)p)->jobs)) {
        fprintf(stderr, "aps ingest: %s must be a number from 1 to %d\n", opt, MAX_LANES);
        return 1;
    }
    return 0;
}

static const struct aps_cli_opt options[] = {
    {"--format", APS_OPT_FN, 0, set_format},
    {"--jobs", APS_OPT_FN, 0, set_jobs},
    {"--quiet", APS_OPT_SET, offsetof(struct ingest_args, quiet), NULL},
};

/* The runs' paths from SOURCE PATH... or "all [DIR]". */
static int add_paths(struct run *r, struct aps_cli *cli, const struct ingest_args *a)
{
    r->json = a->json;
    r->quiet = a->quiet;
    r->lanes = a->jobs;
    int pos = a->pos;
    const char *const *positional = a->positional;
    if (pos < 1) {
        help(stderr);
        return APS_EXIT_USAGE;
    }
    if (!strcmp(positional[0], "all")) {
        if (pos > 2) {
            fprintf(stderr, "aps ingest: all takes one DIR, not %d\n", pos - 1);
            return APS_EXIT_USAGE;
        }
        /* the trainer image's TRAINING_DATA_PATH first (seed 1.3), then APS_DATA_DIR */
        const char *training = aps_cfg_str(cli->cfg, APS_SET_TRAINING_DATA_PATH);
        const char *dir = pos > 1    ? positional[1]
                          : training ? training
                                     : aps_cfg_str(cli->cfg, APS_SET_APS_DATA_DIR);
        struct stat st;
        if (!dir || stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
            fprintf(stderr, "aps ingest: data directory %s not found (set %s)\n",
                    dir ? dir : "(unset)",
                    pos > 1    ? "DIR"
                    : training ? "TRAINING_DATA_PATH"
                               : "APS_DATA_DIR");
            return APS_EXIT_FAIL;
        }
        for (int s = 0; s < APS_SOURCE__COUNT; s++) {
            char sub[4096];
            snprintf(sub, sizeof sub, "%s/%s", dir, aps_source_subdir(s));
            if (add_path(r, s, sub, false))
                return APS_EXIT_FAIL;
            /* each source walks its own folder: sbr's holds sbr-nfl's, whose files it skips */
            aps_ingest_found_free(&r->found);
        }
        return 0;
    }
    int s = aps_source_from_name(positional[0]);
    if (s < 0) {
        fprintf(stderr, "aps ingest: unknown source '%s' (see aps ingest --help)\n", positional[0]);
        return APS_EXIT_USAGE;
    }
    if (pos < 2) {
        fprintf(stderr, "aps ingest: %s needs at least one PATH or URL\n", positional[0]);
        return APS_EXIT_USAGE;
    }
    for (int i = 1; i < pos; i++)
        if (add_path(r, s, positional[i], true))
            return APS_EXIT_FAIL;
    return 0;
}

static int parse_args(struct run *r, struct aps_cli *cli, int argc, char **argv)
{
    static const struct aps_cli_opts table = {.cmd = "ingest",
                                              .bad = "unknown option",
                                              .opt = options,
                                              .n = APS_CLI_OPTS_N(options),
                                              .arg = take_word};
    struct ingest_args a = {.pos = 0};
    int rc = aps_cli_opts_parse(&table, argc, argv, 1, &a) ? APS_EXIT_USAGE : add_paths(r, cli, &a);
    aps_free(a.positional);
    return rc;
}

/* Opens the lanes' connections and writers: r->lanes on PostgreSQL (default DEFAULT_LANES, no
 * more than the pool holds: DATABASE_POOL_SIZE + DATABASE_POOL_OVERFLOW), one on SQLite. */
static int open_lanes(struct run *r, struct aps_store *st, struct lanes *ls)
{
    int want = aps_store_kind(st) != APS_DB_POSTGRES ? 1 : r->lanes ? r->lanes : DEFAULT_LANES;
    struct aps_store_stats ss;
    aps_store_stats(st, &ss);
    if (want > ss.max - ss.in_use)
        want = ss.max - ss.in_use > 1 ? ss.max - ss.in_use : 1; /* never wait for the pool */
    char err[512];
    for (ls->n = 0; ls->n < want; ls->n++) {
        struct lane *l = &ls->lane[ls->n];
        if (aps_store_acquire(st, APS_DB_WRITE, &l->conn)) {
            if (ls->n)
                break; /* the pool is smaller: fewer lanes */
            fprintf(stderr, "aps ingest: no database connection\n");
            return APS_E_IO;
        }
        if (aps_writer_open(&l->w, l->conn, err, sizeof err)) {
            fprintf(stderr, "aps ingest: %s\n", err);
            aps_store_release(l->conn);
            l->conn = NULL;
            return APS_E_DB;
        }
    }
    return 0;
}

static void close_lanes(struct lanes *ls)
{
    for (int k = 0; k < MAX_LANES; k++) {
        aps_writer_close(ls->lane[k].w);
        if (ls->lane[k].conn)
            aps_store_release(ls->lane[k].conn);
    }
}

int aps_cmd_ingest(struct aps_cli *cli, int argc, char **argv)
{
    if (aps_cli_wants_help(argc, argv)) {
        help(stdout);
        return APS_EXIT_OK;
    }
    struct run r = {.tty = cli->tty};
    int rc = parse_args(&r, cli, argc, argv);
    struct aps_store *st = NULL;
    struct lanes ls = {.lock = PTHREAD_MUTEX_INITIALIZER, .cond = PTHREAD_COND_INITIALIZER};
    if (rc)
        goto out;
    rc = APS_EXIT_FAIL;
    st = aps_cli_open_store(cli, APS_CLI_MIGRATE | APS_CLI_CREATE);
    if (!st || open_lanes(&r, st, &ls))
        goto out;
    if (ingest_jobs(&r, &ls))
        goto out;
    print_summary(&r, ls.lane[0].conn);
    rc = r.files_failed ? APS_EXIT_FAIL : APS_EXIT_OK;
out:
    close_lanes(&ls);
    aps_store_close(st);
    for (size_t i = 0; i < r.njobs; i++)
        aps_free(r.jobs[i].path);
    aps_free(r.jobs);
    aps_ingest_found_free(&r.found);
    return rc;
}
