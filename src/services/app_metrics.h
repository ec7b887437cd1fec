/* app_metrics.h — the product metrics that come from the store, recomputed when /metrics is
 * scraped, so that every process (api, worker, serve) reports the same truth: picks published
 * and graded, rolling hit rate, log-loss, Brier, CLV and ROI of graded picks per sport, market
 * and tier, bankrolls and bets, production models, training runs, odds freshness, provider
 * quotas, data-quality results, users, API keys, open alerts; plus the store pool and queue
 * gauges and aps_build_info. Event counters (logins, requests, job runs, collector calls) are
 * counted where the event happens, not here.
 *
 * The store is read at most once per APS_APP_METRICS_TTL_S seconds per process: a scrape inside
 * that window renders what the previous one computed. Each family is cleared and set again, so a
 * label set that left the store (a model no longer in production, a window with no graded
 * picks) disappears from the output. Label values are bounded: sport codes, market and tier
 * names, result words, roles, currencies, check codes, provider names — never an id. */
#ifndef APS_SERVICES_APP_METRICS_H
#define APS_SERVICES_APP_METRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "odds/grade.h"

struct aps_app;
struct aps_http_req;
struct aps_http_res;

#define APS_APP_METRICS_TTL_S 5.0

/* Refreshes the store-derived families of app->metrics when the last refresh is older than the
 * TTL (or always when force). now: seconds since the epoch. Query failures are counted in
 * aps_metrics_refresh_errors_total and the other families still refresh; the first error is
 * returned. Thread-safe: two scrapes at once may both refresh, with the same result. */
int aps_app_metrics_refresh(struct aps_app *app, int64_t now, bool force);

/* The answer to a Prometheus scrape, the same on every port that serves /metrics (the API's and
 * a worker's): 404 when METRICS_ENABLED is off, 403 when METRICS_ALLOW_CIDRS is set and the
 * client's address is outside it; otherwise updates the process metrics, refreshes the
 * store-derived families (within the TTL, failures counted) and the backup metrics, then renders
 * every family of app->metrics in the text exposition format into res (the body in req's arena,
 * not cached). Returns 0. */
int aps_app_metrics_respond(struct aps_app *app, struct aps_http_req *req,
                            struct aps_http_res *res);

/* One graded pick, as the rolling summaries read it. */
struct aps_pick_outcome {
    double probability;          /* the model's probability of the picked side */
    enum aps_grade_result result;
    double clv;                  /* closing-line value; NAN when none was recorded */
    double profit;               /* profit per unit staked (win at 2.10: 1.10; loss: -1) */
    double stake;                /* stake as a fraction of the bankroll; 0 when not staked */
};

/* The summary of a set of graded picks. A field is NAN when nothing in the set defines it. */
struct aps_pick_summary {
    size_t graded;               /* every pick given */
    size_t decided;              /* win or loss (the picks the probability scores read) */
    size_t staked;               /* stake > 0 */
    /* The hit ratio (Prometheus aps_picks_hit_ratio): wins/(wins + losses) with a half win
     * counting half a win and a half loss half a loss (aps_score_accuracy). Not the API's win
     * rate (engine/track_record.h), which counts halves whole for its Wilson interval; both are
     * published, so each keeps its definition and its name. */
    double hit_ratio;
    double log_loss, brier;      /* over decided picks: y = 1 for a win, 0 for a loss */
    double clv_mean;             /* mean CLV over picks with one */
    double clv_positive;         /* share of those with CLV > 0 */
    double roi;                  /* Σ stake·profit / Σ stake over staked picks */
};

/* Summarises n outcomes (n may be 0: every rate NAN). Allocates scratch arrays (aps_malloc). */
void aps_pick_summarize(const struct aps_pick_outcome *o, size_t n, struct aps_pick_summary *out);

#endif
