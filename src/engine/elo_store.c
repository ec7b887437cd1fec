/* elo_store.c — Elo parameters and history in the store (see elo_store.h). */
#include "engine/elo_store.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "config/config.h"
#include "core/mem.h"
#include "core/timeutil.h"
#include "model/elo_replay.h"
#include "odds/grade.h"
#include "odds/kelly.h"
#include "odds/margin.h"
#include "store/store.h"

int aps_elo_params_load(struct aps_conn *c, enum aps_sport sport, struct aps_elo_params *p,
                        bool *found)
{
    *found = false;
    int rc = aps_elo_params_default(sport, p);
    if (rc)
        return rc;
    char *json = NULL;
    rc = aps_conn_query_row(c,
                            "SELECT e.params FROM elo_params e JOIN sports s ON s.id = e.sport_id"
                            " WHERE s.code = ?1",
                            "m", &json, "s", aps_sport_info(sport)->code);
    if (rc)
        return rc == APS_E_NOTFOUND ? 0 : rc;
    rc = aps_elo_params_from_json(json, p);
    *found = rc == 0;
    aps_free(json);
    return rc < 0 ? rc : 0;
}

int aps_elo_params_save(struct aps_conn *c, enum aps_sport sport, const struct aps_elo_params *p,
                        double log_loss, size_t games)
{
    char json[512];
    aps_elo_params_to_json(p, json, sizeof json);
    return aps_conn_execf(
        c,
        "INSERT INTO elo_params (sport_id, params, log_loss, games, fitted_at)"
        " SELECT id, ?2, ?3, ?4, ?5 FROM sports WHERE code = ?1"
        " ON CONFLICT (sport_id) DO UPDATE SET params = excluded.params,"
        " log_loss = excluded.log_loss, games = excluded.games, fitted_at = excluded.fitted_at",
        "ssdii", aps_sport_info(sport)->code, json, log_loss, (int64_t)games, aps_time_now());
}

static int delete_history(struct aps_conn *c, enum aps_sport sport)
{
    return aps_conn_execf(c,
                          "DELETE FROM elo_history WHERE game_id IN (SELECT g.id FROM games g"
                          " JOIN sports s ON s.id = g.sport_id WHERE s.code = ?1)",
                          "s", aps_sport_info(sport)->code);
}

static int copy_rating(struct aps_copy *cp, int64_t game, int64_t team, double before,
                       double after)
{
    char v[4][32];
    snprintf(v[0], sizeof v[0], "%" PRId64, game);
    snprintf(v[1], sizeof v[1], "%" PRId64, team);
    snprintf(v[2], sizeof v[2], "%.10g", before);
    snprintf(v[3], sizeof v[3], "%.10g", after);
    const char *row[4] = {v[0], v[1], v[2], v[3]};
    return aps_copy_row(cp, row);
}

struct copy_ctx {
    struct aps_copy *cp;
    size_t rows;
};

static int copy_ratings(void *ctx, const struct aps_elo_replay *r, const struct aps_hist_game *g,
                        double home_before, double away_before)
{
    struct copy_ctx *cc = ctx;
    int rc = copy_rating(cc->cp, g->id, g->home, home_before, aps_elo_rating(&r->elo, g->home));
    if (!rc)
        rc = copy_rating(cc->cp, g->id, g->away, away_before, aps_elo_rating(&r->elo, g->away));
    cc->rows += 2;
    return rc;
}

static int replay_into(struct aps_copy *cp, const struct aps_history *h,
                       const struct aps_elo_params *p, size_t *rows)
{
    struct aps_elo_replay r;
    struct copy_ctx cc = {cp, 0};
    int rc = aps_elo_replay_init(&r, p);
    if (!rc)
        rc = aps_elo_replay_history(&r, h, h->ngames, copy_ratings, &cc);
    *rows += cc.rows;
    aps_elo_replay_cleanup(&r);
    return rc;
}

int aps_elo_history_save(struct aps_conn *c, const struct aps_history *h,
                         const struct aps_elo_params *p, size_t *rows)
{
    *rows = 0;
    int rc = aps_conn_begin(c);
    if (rc)
        return rc;
    rc = delete_history(c, h->sport);
    struct aps_copy *cp = NULL;
    static const char *cols[] = {"game_id", "team_id", "rating_before", "rating_after"};
    if (!rc)
        rc = aps_conn_copy_begin(c, "elo_history", cols, 4, &cp);
    if (!rc) {
        rc = replay_into(cp, h, p, rows);
        int rc2 = aps_copy_end(cp);
        if (!rc)
            rc = rc2;
    }
    if (!rc)
        rc = aps_conn_commit(c);
    if (rc)
        aps_conn_rollback(c);
    return rc;
}

void aps_engine_kelly_params(const struct aps_config *cfg, struct aps_kelly_params *kp)
{
    kp->kelly_fraction = aps_cfg_double(cfg, APS_SET_KELLY_FRACTION);
    kp->max_bet_percent = aps_cfg_double(cfg, APS_SET_MAX_BET_PERCENT);
    kp->min_edge = aps_cfg_double(cfg, APS_SET_MIN_EDGE_THRESHOLD);
    kp->tier_a_min = aps_cfg_double(cfg, APS_SET_SIGNAL_TIER_A_MIN);
    kp->tier_b_min = aps_cfg_double(cfg, APS_SET_SIGNAL_TIER_B_MIN);
    kp->tier_c_min = aps_cfg_double(cfg, APS_SET_SIGNAL_TIER_C_MIN);
    kp->min_bet_size = aps_cfg_double(cfg, APS_SET_MIN_BET_SIZE);
    kp->max_edge = 0; /* no cap here: publishing sets each model's (engine/gate.h) */
}

int aps_engine_margin_method(const struct aps_config *cfg)
{
    int m = aps_margin_method_parse(aps_cfg_str(cfg, APS_SET_MARGIN_METHOD));
    return m < 0 ? APS_MARGIN_MULTIPLICATIVE : m;
}

void aps_engine_grade_clock(const struct aps_config *cfg, int64_t now,
                            struct aps_grade_clock *clock)
{
    clock->now = now;
    clock->grace_s = aps_cfg_int(cfg, APS_SET_POSTPONED_VOID_HOURS) * 3600;
}
