/* cli.h — what every subcommand of `aps` receives. main.c loads the configuration once; a bad
 * setting ends the program with exit code 2 before any command runs. */
#ifndef APS_CLI_CLI_H
#define APS_CLI_CLI_H

#include <signal.h>
#include <stdbool.h>

#include "core/log.h"
#include "store/store.h"

struct aps_app;
struct aps_config;
struct aps_store;

struct aps_cli {
    struct aps_config *cfg;
    struct aps_logger log;
    bool tty; /* stderr is a terminal: progress bars allowed */
};

/* Exit codes */
#define APS_EXIT_OK 0
#define APS_EXIT_FAIL 1
#define APS_EXIT_USAGE 2

#define APS_CMD(name, fn, help) int fn(struct aps_cli *cli, int argc, char **argv);
#include "cli/commands.def"
#undef APS_CMD

/* `aps predict --model NAME ...`: a trained model's probabilities for the games of a date range
 * (cmd_predict_batch.c). */
int aps_cmd_predict_batch(struct aps_cli *cli, int argc, char **argv);

/* True when argv holds -h or --help. */
bool aps_cli_wants_help(int argc, char **argv);
/* Opens the store from the configuration; prints the error and returns NULL on failure. how:
 * APS_CLI_MIGRATE applies pending migrations; APS_CLI_CREATE creates a SQLite store that does
 * not exist yet (the commands that set up or fill a store: migrate but for --status and
 * --replay, ingest, collect, user, snapshot --load), which every other command refuses, naming the path: a mistyped
 * DATABASE_URL must not answer from a new, empty store. */
enum { APS_CLI_MIGRATE = 1, APS_CLI_CREATE = 2 };
struct aps_store *aps_cli_open_store(struct aps_cli *cli, unsigned how);
/* aps_cli_open_store (migrated, existing) and one connection of the given intent: 0 with *st and *c set
 * (the caller releases c and closes st), or APS_EXIT_FAIL after printing why ("aps WHO: no
 * database connection"; who may be NULL) with nothing left open. */
int aps_cli_open_conn(struct aps_cli *cli, const char *who, enum aps_db_intent intent,
                      struct aps_store **st, struct aps_conn **c) APS_MUST_CHECK;
/* Signals of the long-running commands (signals.c). aps_cli_signals_block: before any thread
 * starts, blocks SIGTERM, SIGINT and SIGHUP (every thread inherits the mask) into set and
 * ignores SIGPIPE. aps_cli_signals_wait: waits on set; each SIGHUP reloads app's configuration
 * (services/reload.h; a refused reload is logged and the old configuration stays); returns at
 * the first SIGTERM or SIGINT. aps_cli_stop_signals: SIGTERM and SIGINT only, for waits during
 * shutdown. */
void aps_cli_signals_block(sigset_t *set);
int aps_cli_signals_wait(struct aps_app *app, const sigset_t *set);
void aps_cli_stop_signals(sigset_t *stop);
const char *aps_cli_signal_name(int sig);

/* The api's first step after SIGTERM (`aps api`, `aps serve`): marks app draining, so
 * /health/ready answers 503 while every other route keeps serving, for
 * API_SHUTDOWN_DELAY_SECONDS (cut short by another SIGTERM or SIGINT); load balancers stop
 * routing here before the listener closes. */
void aps_cli_api_unready(struct aps_app *app);

#endif
