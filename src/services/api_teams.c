/* api_teams.c — GET /api/v1/teams (a sport's Elo standings) and /teams/{id} (one team's rating
 * game by game): engine/standings.h replays the stored games, and the answers name each team
 * from the teams table. */
#include <stdio.h>
#include <string.h>

#include "core/domain.h"
#include "core/mem.h"
#include "core/strmap.h"
#include "engine/standings.h"
#include "services/api_json.h"
#include "services/api_util.h"
#include "services/api_valid.h"
#include "services/routes.h"
#include "store/store.h"

/* The sport's teams as Team objects, by id (decimal text) in an object. */
static int read_teams(struct aps_conn *c, const char *sport, json_t **out)
{
    struct aps_stmt *st = NULL;
    json_t *by_id = json_object();
    int rc = aps_conn_preparef(c, &st,
                               "SELECT t.id, t.key, t.name FROM teams t WHERE t.sport_id ="
                               " (SELECT s.id FROM sports s WHERE s.code = ?1)",
                               "s", sport);
    while (!rc && (rc = aps_stmt_step(st)) == APS_ROW) {
        rc = 0;
        char id[24];
        snprintf(id, sizeof id, "%lld", (long long)aps_stmt_int64(st, 0));
        json_object_set_new(by_id, id,
                            json_pack("{s:I, s:o, s:o}", "id", (json_int_t)aps_stmt_int64(st, 0),
                                      "key", aps_api_col_str(st, 1), "name",
                                      aps_api_col_str(st, 2)));
    }
    aps_stmt_finalize(st);
    if (rc < 0) {
        json_decref(by_id);
        return rc;
    }
    *out = by_id;
    return 0;
}

/* Team id's object from read_teams' map (a new reference), or null. */
static json_t *team_ref(json_t *by_id, int64_t id)
{
    char key[24];
    snprintf(key, sizeof key, "%lld", (long long)id);
    json_t *t = json_object_get(by_id, key);
    return t ? json_incref(t) : json_null();
}

/* points: a league table's points (three for a win, one for a draw) where games can be drawn
 * (soccer: the sports whose moneyline is three-way); absent elsewhere. */
static json_t *standing_json(const struct aps_standing *s, size_t rank, bool points,
                             json_t *by_id)
{
    json_t *t = json_pack("{s:I, s:o, s:o, s:o, s:i, s:i, s:i, s:i, s:i, s:{s:i, s:i, s:i}, s:s}",
                          "rank", (json_int_t)rank, "team", team_ref(by_id, s->team_id),
                          "rating", aps_api_num(s->rating), "change", aps_api_num(s->change),
                          "change_games", s->recent, "wins", s->wins, "losses", s->losses,
                          "draws", s->draws, "games", s->wins + s->losses + s->draws, "playoffs",
                          "wins", s->playoff_wins, "losses", s->playoff_losses, "draws",
                          s->playoff_draws, "last_game_date", s->last_date);
    if (points)
        json_object_set_new(t, "points", json_integer(3 * s->wins + s->draws));
    return t;
}

static json_t *standings_json(const struct aps_standings *s, json_t *by_id,
                              const struct aps_api_page *pg)
{
    json_t *items = json_array();
    for (size_t i = (size_t)pg->offset; i < s->nteams && json_array_size(items) < (size_t)pg->limit;
         i++)
        json_array_append_new(items, standing_json(&s->teams[i], i + 1,
                                                   aps_sport_info(s->sport)->three_way, by_id));
    json_t *body = aps_api_list(items, (int64_t)s->nteams, pg);
    json_t *seasons = json_array();
    for (size_t i = 0; i < s->nseasons; i++)
        json_array_append_new(seasons, json_string(s->seasons[i]));
    json_object_set_new(body, "sport", json_string(aps_sport_info(s->sport)->code));
    json_object_set_new(body, "season", json_string(s->season));
    json_object_set_new(body, "seasons", seasons);
    json_object_set_new(body, "as_of", s->as_of[0] ? json_string(s->as_of) : json_null());
    json_object_set_new(body, "parameters", json_string(s->fitted ? "fitted" : "default"));
    return body;
}

int aps_api_teams_list(struct aps_http_req *req, struct aps_http_res *res)
{
    struct aps_api_page pg;
    int sport = -1;
    char date[11];
    aps_api_q_page(req, res, &pg);
    aps_api_q_sport(req, res, "sport", &sport);
    aps_api_q_date(req, res, "date", date);
    const char *season = aps_api_q_str(req, res, "season");
    if (!aps_api_bad(res) && sport < 0)
        aps_api_invalid(res, "sport", "is required");
    struct aps_conn *c = NULL;
    if (aps_api_bad(res) || aps_api_acquire(req, res, APS_DB_READ, &c))
        return 0;
    struct aps_standings s;
    json_t *by_id = NULL;
    int rc = aps_standings_load(c, (enum aps_sport)sport, date[0] ? date : NULL, season, &s);
    if (!rc)
        rc = read_teams(c, aps_sport_info(sport)->code, &by_id);
    aps_store_release(c);
    if (rc == APS_E_NOTFOUND) {
        char why[160];
        snprintf(why, sizeof why, "no finished %s game%s%s%s%s", aps_sport_info(sport)->code,
                 season ? " in season " : "", season ? season : "", date[0] ? " before " : "",
                 date[0] ? date : "");
        aps_standings_cleanup(&s);
        return aps_http_error(res, 404, "NOT_FOUND", why);
    }
    if (rc) {
        aps_standings_cleanup(&s);
        return aps_api_db_error(res, rc);
    }
    json_t *body = standings_json(&s, by_id, &pg);
    json_decref(by_id);
    aps_standings_cleanup(&s);
    return aps_http_json(res, 200, body);
}

static const char *result_word(const struct aps_team_game *g)
{
    return g->score_for > g->score_against   ? "win"
           : g->score_for < g->score_against ? "loss"
                                             : "draw";
}

static json_t *team_game_json(const struct aps_team_game *g, json_t *by_id)
{
    return json_pack("{s:I, s:s, s:s, s:b, s:o, s:o, s:i, s:i, s:s, s:o, s:o}", "game_id",
                     (json_int_t)g->game_id, "date", g->date, "season", g->season, "home", g->home,
                     "opponent", team_ref(by_id, g->opponent), "opponent_rating",
                     aps_api_num(g->opponent_before), "score_for", g->score_for, "score_against",
                     g->score_against, "result", result_word(g), "rating_before",
                     aps_api_num(g->rating_before), "rating_after", aps_api_num(g->rating_after));
}

/* The team's sport code into sport; APS_E_NOTFOUND when there is no such team. */
static int team_sport(struct aps_conn *c, int64_t id, char sport[16])
{
    char *code = NULL;
    int rc = aps_conn_query_row(c,
                                "SELECT s.code FROM teams t JOIN sports s ON s.id = t.sport_id"
                                " WHERE t.id = ?1",
                                "m", &code, "i", id);
    if (!rc)
        snprintf(sport, 16, "%s", code);
    aps_free(code);
    return rc;
}

int aps_api_teams_get(struct aps_http_req *req, struct aps_http_res *res)
{
    int64_t id = aps_api_path_id(req, res, "id"), max = 50;
    bool given;
    char date[11], code[16];
    aps_api_q_date(req, res, "date", date);
    aps_api_q_int(req, res, "games", &max, &given);
    if (!given) /* the route's default (routes_teams.def) */
        (void)aps_http_qint(req, "games", &max);
    struct aps_conn *c = NULL;
    if (aps_api_bad(res) || aps_api_acquire(req, res, APS_DB_READ, &c))
        return 0;
    struct aps_team_game *games = NULL;
    size_t n = 0;
    double rating = 0;
    bool fitted = false;
    json_t *by_id = NULL;
    int rc = team_sport(c, id, code);
    int sport = rc ? -1 : aps_sport_from_code(code);
    if (!rc && sport < 0)
        rc = APS_E_NOTFOUND;
    if (!rc)
        rc = aps_team_ratings(c, (enum aps_sport)sport, id, date[0] ? date : NULL, (size_t)max,
                              &games, &n, &rating, &fitted);
    if (!rc)
        rc = read_teams(c, code, &by_id);
    aps_store_release(c);
    if (rc) {
        aps_free(games);
        return rc == APS_E_NOTFOUND ? aps_api_not_found(res, "team") : aps_api_db_error(res, rc);
    }
    json_t *list = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(list, team_game_json(&games[i], by_id));
    json_t *body = json_pack("{s:o, s:s, s:o, s:s, s:o, s:o}", "team", team_ref(by_id, id), "sport",
                             code, "rating", aps_api_num(rating), "parameters",
                             fitted ? "fitted" : "default", "as_of",
                             n ? json_string(games[n - 1].date) : json_null(), "games", list);
    json_decref(by_id);
    aps_free(games);
    return aps_http_json(res, 200, body);
}
