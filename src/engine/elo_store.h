/* elo_store.h — fitted Elo parameters and point-in-time ratings in the store, and the engine's
 * betting settings. The walk of a history through Elo is model/elo_replay.h. */
#ifndef APS_ENGINE_ELO_STORE_H
#define APS_ENGINE_ELO_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "model/history.h"
#include "model/elo.h"
#include "model/elo_fit.h"
#include "model/elo_replay.h"

struct aps_conn;
struct aps_config;
struct aps_kelly_params;
struct aps_grade_clock;

/* The sport's fitted parameters when stored (*found true), else its defaults (*found false). */
int aps_elo_params_load(struct aps_conn *c, enum aps_sport sport, struct aps_elo_params *p,
                        bool *found) APS_MUST_CHECK;
int aps_elo_params_save(struct aps_conn *c, enum aps_sport sport, const struct aps_elo_params *p,
                        double log_loss, size_t games) APS_MUST_CHECK;
/* Replays the history with p and stores every team's rating before and after each finished game
 * (elo_history), replacing the sport's previous rows, in one transaction. */
int aps_elo_history_save(struct aps_conn *c, const struct aps_history *h,
                         const struct aps_elo_params *p, size_t *rows) APS_MUST_CHECK;

/* Betting parameters from the settings (KELLY_FRACTION, MAX_BET_PERCENT, MIN_EDGE_THRESHOLD,
 * SIGNAL_TIER_*, MIN_BET_SIZE). */
void aps_engine_kelly_params(const struct aps_config *cfg, struct aps_kelly_params *kp);
/* MARGIN_METHOD as an enum aps_margin_method. */
int aps_engine_margin_method(const struct aps_config *cfg);
/* The clock a grading at now settles picks and bets by: now and POSTPONED_VOID_HOURS. */
void aps_engine_grade_clock(const struct aps_config *cfg, int64_t now,
                            struct aps_grade_clock *clock);

#endif
