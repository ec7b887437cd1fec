/* picks.h — publishing picks for upcoming games and grading them after the games.
 *
 * Publishing: for every scheduled game of a sport that starts within the horizon, the predictor
 * (trained on every game finished before now) gives its probabilities; the market view gives the
 * current best price (the highest decimal price any bookmaker quotes for the side, at the main
 * line) and the no-vig market; the side with the largest edge is the pick. A replay (now in the
 * past) is current as of now: it reads only the quotes known then (see replay below).
 * A market is "published" only from its production model when that model passed the market gate
 * (engine/gate.h); otherwise it is "tracking_only" (the production model's or Elo's probability,
 * recorded and graded, never a tier or a stake). The result counts the tracking-only picks by
 * reason and names every production model that did not load (Elo prices its market). A published pick is a bet (tier A–C and a
 * fractional-Kelly stake by odds/kelly.h's rule) or "no bet" with its reason: negative edge, edge
 * below MIN_EDGE_THRESHOLD, probability below SIGNAL_TIER_C_MIN, an edge above the largest the
 * model's walk-forward record supports. The top feature contributions of the model's prediction
 * are stored with every published pick (prediction_explanations). A pick is locked in (lockin.h) when the game has none for
 * that market yet, or when the side, line or price changed or the probability moved by more than
 * half a point since the last one: re-running it with nothing new adds nothing.
 *
 * Grading: every pick without a result gets one when aps_grade_settle (odds/grade.h) — the rule
 * users' bets are settled by too — says it is due: win, loss, push, half results for quarter
 * lines on the score of a game played within POSTPONED_VOID_HOURS of the start the pick was
 * locked in for; void for a cancelled game, or a postponed one not played within that grace;
 * profit per unit staked; CLV against the closing benchmark (odds/benchmark.h: price CLV for
 * moneylines as a fraction of the stake, points for spreads and totals). A pick records its
 * game's start when it is locked in (predictions.game_start). Idempotent. */
#ifndef APS_ENGINE_PICKS_H
#define APS_ENGINE_PICKS_H

#include <stddef.h>
#include <stdint.h>

#include "core/domain.h"
#include "core/err.h"
#include "engine/predictor.h"
#include "model/registry.h"
#include "odds/grade.h"
#include "odds/kelly.h"
#include "odds/margin.h"

struct aps_conn;
struct aps_metrics;

struct aps_publish_opts {
    enum aps_sport sport;
    int64_t now;               /* seconds; games starting after it are upcoming */
    int64_t horizon;           /* seconds ahead to publish for */
    struct aps_kelly_params kelly;
    enum aps_margin_method margin;
    const char *model;         /* name recorded with the pick ("elo" or a registry name) */
    bool replay;               /* now is in the past: publish for games in [now, now + horizon]
                                  whatever their stored status (the predictor still only learns
                                  from games before now) — a paper-trading replay. Prices, lines,
                                  no-vig probabilities and the models' market features then come
                                  from the quotes known at now only (aps_history_known_at): none
                                  recorded after it, no imported close of a game not started
                                  before it; the imported open and pre-match lines stand as its
                                  entry. A live run reads every stored quote */
    struct aps_metrics *metrics; /* NULL, or where the edge of each published pick
                                    (aps_pick_edge_ratio) and the time of each prediction
                                    (aps_model_inference_duration_seconds) are observed */
};

/* Why picks locked in by a run are tracking only: one reason (the text after "tracking only: "
 * in their no_bet_reason) and how many picks of the run gave it. A market has at most two in a
 * run: the one it starts with and, when its production model fails on a game, that one. */
#define APS_PUBLISH_REASONS (2 * APS_MKT__COUNT)
struct aps_publish_reason {
    char why[200];
    size_t picks;
};

/* A production model that did not load (its files, or its live features): its market is
 * priced by Elo, tracking only. why names the file and the error. */
struct aps_publish_unloaded {
    enum aps_market market;
    char model[128];
    char why[APS_REGISTRY_WHY_CAP];
};

struct aps_publish_result {
    size_t games;              /* upcoming games looked at */
    size_t priced;             /* … with a current price for at least one market */
    size_t published;          /* picks locked in now */
    size_t unchanged;          /* picks already current, or graded (never replaced) */
    size_t staked;             /* published picks with a stake */
    size_t tracking;           /* … of them tracking only */
    /* the tracking-only picks by reason, and the production models that did not load in
       market order */
    struct aps_publish_reason reasons[APS_PUBLISH_REASONS];
    size_t nreasons;
    struct aps_publish_unloaded unloaded[APS_MKT__COUNT];
    size_t nunloaded;
};

/* Contributions stored with each published pick of a trained model. */
#define APS_PICK_EXPLAIN_TOP 8

/* Builds the predictor from the sport's history (fitted Elo parameters when stored) and
 * publishes. When pred is NULL the Elo predictor is used. */
int aps_picks_publish(struct aps_conn *c, const struct aps_publish_opts *o,
                      struct aps_publish_result *r) APS_MUST_CHECK;

struct aps_grade_run {
    size_t graded, wins, losses, pushes, voids;
    size_t failed; /* picks that could not be graded this run (each rolled back alone) */
    char why[256]; /* on failure: what failed, with the first pick that could not be graded */
};

/* Grades every ungraded pick (all sports) that aps_grade_settle settles at clock (its now and
 * grace); CLV against the closing benchmark of engine/market.h with margin method mm
 * (MARGIN_METHOD), so a pick and a bet on the same side report the same CLV. A pick whose
 * grading fails is rolled back alone and the others are graded: the call then fails with
 * r->failed and r->why set (r->why is set on every failure). */
int aps_picks_grade(struct aps_conn *c, enum aps_margin_method mm,
                    const struct aps_grade_clock *clock, struct aps_grade_run *r) APS_MUST_CHECK;

#endif
