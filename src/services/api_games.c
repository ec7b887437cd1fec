/* api_games.c — GET /api/v1/games, /games/today, /games/upcoming and /games/{id}: games from
 * the store with filters and pagination; one game can carry its current odds and the best price
 * per side (api_odds.c does the odds). */
#include <string.h>

#include "core/domain.h"
#include "core/mem.h"
#include "core/timeutil.h"
#include "services/api_json.h"
#include "services/api_odds.h"
#include "services/api_util.h"
#include "services/api_valid.h"
#include "services/routes.h"

#define GAMES_FROM "FROM games g" APS_API_GAME_JOINS

static json_t *game_row(const struct aps_stmt *st)
{
    return aps_api_game_json(st, 0);
}

/* Runs the page of games matching w, in the given order, and answers the list. */
static int games_page(struct aps_http_req *req, struct aps_http_res *res,
                      const struct aps_api_where *w, const struct aps_api_page *pg, bool newest, json_t *window)
{
    struct aps_conn *c = NULL;
    int64_t total = 0;
    if (aps_api_acquire(req, res, APS_DB_READ, &c)) {
        json_decref(window);
        return 0;
    }
    json_t *items = json_array();
    const struct aps_api_list_sql q = {
        .select = "SELECT " APS_API_GAME_COLUMNS,
        .from = GAMES_FROM,
        .order = newest ? "g.start_time DESC, g.id DESC" : "g.start_time, g.id",
        .filter_from = "FROM games g",
        .key = "g.id",
    };
    int rc = aps_api_page_rows(req, c, &q, w, pg, game_row, items, &total);
    aps_store_release(c);
    if (rc < 0) {
        json_decref(items);
        json_decref(window);
        return aps_api_db_error(res, rc);
    }
    json_t *body = aps_api_list(items, total, pg);
    if (window)
        json_object_set_new(body, "window", window);
    return aps_http_json(res, 200, body);
}

/* The team filter's condition: the games of every team whose key or name is the parameter, in
 * any case. Written from the matching teams (teams_key_lower, teams_name_lower) to their games,
 * home or away, so that both stores read each team's games from the home and away indexes
 * (a condition on every game's teams reads every game). */
#define TEAM_GAMES                                                    \
    "g.id IN (SELECT x.id FROM teams t"                               \
    " JOIN games x ON x.home_team_id = t.id OR x.away_team_id = t.id" \
    " WHERE LOWER(t.key) = LOWER(?) OR LOWER(t.name) = LOWER(?))"

/* sport, status, team and team_id filters shared by the list endpoints. */
static void common_filters(const struct aps_http_req *req, struct aps_http_res *res,
                           struct aps_api_where *w)
{
    int sport, status;
    int64_t team_id = 0;
    bool has_team_id;
    aps_api_q_sport(req, res, "sport", &sport);
    aps_api_q_status(req, res, "status", &status);
    aps_api_q_int(req, res, "team_id", &team_id, &has_team_id);
    const char *team = aps_api_q_str(req, res, "team");
    if (sport >= 0)
        aps_api_where_text(w, APS_API_GAME_SPORT_IS, aps_sport_info(sport)->code);
    if (status >= 0)
        aps_api_where_text(w, "g.status = ?", aps_status_name(status));
    if (has_team_id)
        aps_api_where_int(w, "(g.home_team_id = ? OR g.away_team_id = ?)", team_id);
    if (team && !aps_api_bad(res))
        aps_api_where_text(w, TEAM_GAMES, team);
}

int aps_api_games_list(struct aps_http_req *req, struct aps_http_res *res)
{
    struct aps_api_where w = {0};
    struct aps_api_page pg;
    char from[11], to[11];
    aps_api_q_page(req, res, &pg);
    aps_api_q_date_range(req, res, from, to);
    common_filters(req, res, &w);
    if (from[0])
        aps_api_where_text(&w, "g.game_date >= ?", from);
    if (to[0])
        aps_api_where_text(&w, "g.game_date <= ?", to);
    /* A date window reads forward in time; the whole history reads newest first. */
    if (!aps_api_bad(res))
        games_page(req, res, &w, &pg, !from[0] && !to[0], NULL);
    aps_api_where_cleanup(&w);
    return 0;
}

int aps_api_games_today(struct aps_http_req *req, struct aps_http_res *res)
{
    struct aps_api_where w = {0};
    struct aps_api_page pg;
    int64_t from = 0, to = 0;
    json_t *window = NULL;
    aps_api_q_page(req, res, &pg);
    common_filters(req, res, &w);
    aps_api_q_today(req, res, aps_time_now(), &from, &to, &window);
    aps_api_where_int(&w, "g.start_time >= ?", from);
    aps_api_where_int(&w, "g.start_time < ?", to);
    if (!aps_api_bad(res))
        games_page(req, res, &w, &pg, false, window);
    else
        json_decref(window);
    aps_api_where_cleanup(&w);
    return 0;
}

int aps_api_games_upcoming(struct aps_http_req *req, struct aps_http_res *res)
{
    struct aps_api_where w = {0};
    struct aps_api_page pg;
    int64_t days = 0, now = aps_time_now();
    bool given;
    int sport;
    aps_api_q_page(req, res, &pg);
    aps_api_q_int(req, res, "days", &days, &given);
    if (!given) /* the route's default (routes_games.def) */
        (void)aps_http_qint(req, "days", &days);
    aps_api_q_sport(req, res, "sport", &sport);
    if (sport >= 0)
        aps_api_where_text(&w, APS_API_GAME_SPORT_IS, aps_sport_info(sport)->code);
    aps_api_where_raw(&w, "g.status = 'scheduled'");
    aps_api_where_int(&w, "g.start_time > ?", now);
    aps_api_where_int(&w, "g.start_time <= ?", now + days * 86400);
    if (!aps_api_bad(res))
        games_page(req, res, &w, &pg, false, NULL);
    aps_api_where_cleanup(&w);
    return 0;
}

/* Adds "odds" (latest per book, market, selection) and "best" (line shopping) to game from the
 * quotes statement (finalized here). */
static int add_odds(struct aps_stmt *st, json_t *game)
{
    struct aps_api_quote *q = NULL;
    size_t n = 0;
    int rc = aps_api_quotes_read(st, &q, &n);
    if (rc)
        return rc;
    json_t *best = aps_api_quotes_best(q, n);
    json_object_set_new(game, "odds", aps_api_quotes_current(q, n));
    json_object_set_new(game, "best", best ? best : json_null());
    aps_free(q);
    return 0;
}

/* Adds "weather" from its statement (finalized here): the last observation stored for the
 * game's venue (outdoor games only; the weather job fetches it shortly before the start), or
 * null. */
static int add_weather(struct aps_stmt *st, json_t *game)
{
    json_t *w = json_null();
    int rc = aps_stmt_step(st);
    if (rc == APS_ROW) {
        w = json_pack("{s:o, s:o, s:o, s:o, s:b, s:o}", "temperature_f", aps_api_col_num(st, 0),
                      "wind_mph", aps_api_col_num(st, 1), "humidity_pct", aps_api_col_num(st, 2),
                      "conditions", aps_api_col_str(st, 3), "is_dome",
                      aps_stmt_int64(st, 4) != 0, "observed_at", aps_api_col_time(st, 5, false));
        rc = 0;
    }
    aps_stmt_finalize(st);
    json_object_set_new(game, "weather", w);
    return rc < 0 ? rc : 0;
}

/* The game, its weather and (include_odds) its quotes are independent reads: one round trip. */
int aps_api_games_get(struct aps_http_req *req, struct aps_http_res *res)
{
    bool include_odds = false;
    int64_t id = aps_api_path_id(req, res, "id");
    aps_api_q_bool(req, res, "include_odds", &include_odds);
    struct aps_conn *c = NULL;
    struct aps_stmt *st[3] = {NULL, NULL, NULL}; /* game, weather, quotes */
    if (aps_api_bad(res) || aps_api_acquire(req, res, APS_DB_READ, &c))
        return 0;
    json_t *game = NULL;
    int rc = aps_conn_preparef(c, &st[0],
                               "SELECT " APS_API_GAME_COLUMNS " " GAMES_FROM " WHERE g.id = ?1",
                               "i", id);
    if (!rc)
        rc = aps_conn_preparef(c, &st[1], "SELECT temperature_f, wind_mph, humidity_pct,"
                                          " conditions, is_dome, observed_at FROM weather"
                                          " WHERE game_id = ?1", "i", id);
    if (!rc && include_odds)
        rc = aps_api_quotes_prepare(c, id, -1, NULL, &st[2]);
    if (!rc)
        rc = aps_conn_pipeline(c, st, include_odds ? 3 : 2);
    if (!rc)
        rc = aps_stmt_step(st[0]);
    if (rc == APS_ROW) {
        game = aps_api_game_json(st[0], 0);
        rc = 0;
    }
    aps_stmt_finalize(st[0]);
    if (game && include_odds) {
        rc = add_odds(st[2], game);
        st[2] = NULL;
    }
    if (game && !rc) {
        rc = add_weather(st[1], game);
        st[1] = NULL;
    }
    aps_stmt_finalize(st[1]);
    aps_stmt_finalize(st[2]);
    aps_store_release(c);
    if (rc < 0) {
        json_decref(game);
        return aps_api_db_error(res, rc);
    }
    if (!game)
        return aps_api_not_found(res, "game");
    return aps_http_json(res, 200, game);
}
