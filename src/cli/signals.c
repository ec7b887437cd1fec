/* signals.c — the signal handling of the long-running commands (`aps api`, `aps worker`,
 * `aps scheduler`, `aps serve`), in one place: SIGTERM and SIGINT stop, SIGHUP reloads the
 * configuration (services/reload.h), SIGPIPE is ignored. The signals are blocked in every
 * thread and taken only by sigwait() on the main thread, so no handler runs asynchronously. */
#include <pthread.h>
#include <signal.h>

#include "cli/cli.h"
#include "services/app.h"
#include "services/reload.h"

void aps_cli_signals_block(sigset_t *set)
{
    sigemptyset(set);
    sigaddset(set, SIGTERM);
    sigaddset(set, SIGINT);
    sigaddset(set, SIGHUP);
    pthread_sigmask(SIG_BLOCK, set, NULL);
    signal(SIGPIPE, SIG_IGN);
}

void aps_cli_stop_signals(sigset_t *stop)
{
    sigemptyset(stop);
    sigaddset(stop, SIGTERM);
    sigaddset(stop, SIGINT);
}

int aps_cli_signals_wait(struct aps_app *app, const sigset_t *set)
{
    for (;;) {
        int sig = 0;
        if (sigwait(set, &sig))
            continue;
        if (sig != SIGHUP)
            return sig;
        struct aps_config_reload_report report;
        char err[1024];
        /* Refused or applied, the outcome is logged; the process goes on either way. */
        (void)!aps_app_reload(app, "SIGHUP", &report, err, sizeof err);
    }
}

const char *aps_cli_signal_name(int sig)
{
    return sig == SIGTERM ? "SIGTERM" : sig == SIGINT ? "SIGINT" : "signal";
}
