/* cmd_ingest.c — `aps ingest SOURCE PATH|URL…` and `aps ingest all [DIR]`: parse each file with
 * its loader, store it through the writer (one transaction per file), show progress on a
 * terminal and end with a summary per sport. A parse thread (ingest/pipeline.h) reads the next
 * files while the writer stores the current one; results are taken and reported in file order. */
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

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
    fprintf(out,
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
            "  all              every source found in DIR (default: APS_DATA_DIR)\n\n"
            "A PATH that is a folder is searched for the files the source reads. A URL (http://,\n"
            "https://, file://) is downloaded first.\n\n"
            "options:\n"
            "  --format table|json   summary format (default table)\n"
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
    struct sport_tally tally[APS_SPORT__COUNT];
    size_t files_failed;
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

static int add_path(struct run *r, enum aps_source s, const char *path, bool must_exist)
{
    char **paths = NULL;
    size_t n = 0;
    if (aps_fetch_is_url(path)) {
        add_job(r, s, path);
        return 0;
    }
    int rc = aps_ingest_discover(s, path, &paths, &n);
    if (rc == APS_E_NOTFOUND && !must_exist)
        return 0;
    if (rc) {
        fprintf(stderr, "aps ingest: %s: %s\n", path, aps_strerror(rc));
        return rc;
    }
    for (size_t i = 0; i < n; i++)
        add_job(r, s, paths[i]);
    aps_ingest_paths_free(paths, n);
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

/* Stores one parsed file (pipeline.h); failures are reported and counted, the run goes on. The
 * file's time is its fetch and parse (on the parse thread) plus its write. */
static void ingest_one(struct run *r, struct aps_writer *w, const struct job *j,
                       struct aps_ingest_parsed *x)
{
    if (x->fetch_failed) {
        fprintf(stderr, "%saps ingest: %s\n", r->tty ? "\n" : "", x->err);
        r->files_failed++;
        return;
    }
    double t0 = aps_time_mono();
    struct aps_ingest_result res;
    int rc = x->rc;
    if (!rc)
        rc = aps_writer_write(w, &x->batch, j->path, &res, x->err, sizeof x->err);
    double dt = x->seconds + (aps_time_mono() - t0);
    if (rc) {
        fprintf(stderr, "%saps ingest: %s: %s (nothing stored from this file)\n",
                r->tty && !r->quiet ? "\n" : "", j->path, x->err);
        r->files_failed++;
        return;
    }
    int sport = aps_batch_main_sport(&x->batch);
    if (sport >= 0) {
        r->tally[sport].rejected += res.rejected;
        r->tally[sport].seconds += dt;
        r->tally[sport].touched = true;
    }
    if (!r->quiet && !r->tty)
        fprintf(stderr, "%s %s: %zu games, %zu odds, %zu forecasts, %zu rejected, %.2fs\n",
                aps_source_name(j->source), j->path, res.games, res.odds, res.forecasts,
                res.rejected, dt);
}

/* Every job in order: the parse thread reads the next files while this one is stored. */
static int ingest_jobs(struct run *r, struct aps_writer *w)
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
    for (size_t i = 0; i < r->njobs; i++) {
        progress(r, i, r->jobs[i].path);
        struct aps_ingest_parsed *x = aps_ingest_pipe_next(p);
        ingest_one(r, w, &r->jobs[i], x);
        aps_ingest_parsed_free(x);
    }
    progress(r, r->njobs, "done");
    aps_ingest_pipe_stop(p);
    aps_free(pj);
    return 0;
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
                   first ? "" : ",", rows[i].sport, (long long)seasons[i],
                   (long long)rows[i].games, (long long)rows[i].with_odds,
                   (long long)rows[i].books, (long long)rows[i].odds_rows, t->rejected,
                   t->seconds);
        else
            printf("%-11s %7lld %8lld %10lld %6lld %10lld %9zu %8.2f\n", rows[i].sport,
                   (long long)seasons[i], (long long)rows[i].games,
                   (long long)rows[i].with_odds, (long long)rows[i].books,
                   (long long)rows[i].odds_rows, t->rejected, t->seconds);
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
    int pos;
    const char *positional[256];
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

/* SOURCE and its paths ("-" among them); a word after the 256th is dropped. */
static int take_word(const struct aps_cli_opts *t, void *p, const char *arg)
{
    struct ingest_args *a = p;
    if (arg[0] == '-' && arg[1])
        return aps_cli_opts_refuse(t, arg);
    if (a->pos < 256)
        a->positional[a->pos++] = arg;
    return 0;
}

static const struct aps_cli_opt options[] = {
    {"--format", APS_OPT_FN, 0, set_format},
    {"--quiet", APS_OPT_SET, offsetof(struct ingest_args, quiet), NULL},
};

static int parse_args(struct run *r, struct aps_cli *cli, int argc, char **argv)
{
    static const struct aps_cli_opts table = {.cmd = "ingest",
                                              .bad = "unknown option",
                                              .opt = options,
                                              .n = APS_CLI_OPTS_N(options),
                                              .arg = take_word};
    struct ingest_args a = {.pos = 0};
    if (aps_cli_opts_parse(&table, argc, argv, 1, &a))
        return APS_EXIT_USAGE;
    r->json = a.json;
    r->quiet = a.quiet;
    int pos = a.pos;
    const char *const *positional = a.positional;
    if (pos < 1) {
        help(stderr);
        return APS_EXIT_USAGE;
    }
    if (!strcmp(positional[0], "all")) {
        const char *dir = pos > 1 ? positional[1] : aps_cfg_str(cli->cfg, APS_SET_APS_DATA_DIR);
        struct stat st;
        if (!dir || stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
            fprintf(stderr, "aps ingest: data directory %s not found (set APS_DATA_DIR)\n",
                    dir ? dir : "(unset)");
            return APS_EXIT_FAIL;
        }
        for (int s = 0; s < APS_SOURCE__COUNT; s++) {
            char sub[4096];
            snprintf(sub, sizeof sub, "%s/%s", dir, aps_source_subdir(s));
            if (add_path(r, s, sub, false))
                return APS_EXIT_FAIL;
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

int aps_cmd_ingest(struct aps_cli *cli, int argc, char **argv)
{
    if (aps_cli_wants_help(argc, argv)) {
        help(stdout);
        return APS_EXIT_OK;
    }
    struct run r = {.tty = cli->tty};
    int rc = parse_args(&r, cli, argc, argv);
    struct aps_store *st = NULL;
    struct aps_conn *c = NULL;
    struct aps_writer *w = NULL;
    char err[512];
    if (rc)
        goto out;
    rc = APS_EXIT_FAIL;
    st = aps_cli_open_store(cli, true);
    if (!st)
        goto out;
    if (aps_store_acquire(st, APS_DB_WRITE, &c)) {
        fprintf(stderr, "aps ingest: no database connection\n");
        goto out;
    }
    if (aps_writer_open(&w, c, err, sizeof err)) {
        fprintf(stderr, "aps ingest: %s\n", err);
        goto out;
    }
    if (ingest_jobs(&r, w))
        goto out;
    print_summary(&r, c);
    rc = r.files_failed ? APS_EXIT_FAIL : APS_EXIT_OK;
out:
    aps_writer_close(w);
    if (c)
        aps_store_release(c);
    aps_store_close(st);
    for (size_t i = 0; i < r.njobs; i++)
        aps_free(r.jobs[i].path);
    aps_free(r.jobs);
    return rc;
}
