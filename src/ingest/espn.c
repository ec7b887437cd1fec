/* espn.c — ESPN site API scoreboard parser and URL (see espn.h).
 *
 * Shape: {events:[{id, date, status:{period, type:{name, state, completed}},
 *          competitions:[{neutralSite, venue:{fullName, address:{city, state}, indoor},
 *                         competitors:[{homeAway, score:"7", team:{displayName, abbreviation}}]}]}]}
 * Scores are strings; a scheduled game shows "0", which is read as "no score yet". */
#include "ingest/espn.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "core/buf.h"
#include "core/mem.h"
#include "core/str.h"
#include "core/timeutil.h"
#include "ingest/collect_http.h"

void aps_espn_board_cleanup(struct aps_espn_board *b)
{
    aps_free(b->events);
    memset(b, 0, sizeof *b);
}

enum aps_game_status aps_espn_status(const char *name, const char *state, int completed)
{
    /* States the game's phase cannot tell: it ended without being played out */
    static const struct {
        const char *name;
        enum aps_game_status st;
    } named[] = {
        {"STATUS_POSTPONED", APS_GS_POSTPONED},  {"STATUS_SUSPENDED", APS_GS_POSTPONED},
        {"STATUS_CANCELED", APS_GS_CANCELLED},   {"STATUS_CANCELLED", APS_GS_CANCELLED},
        {"STATUS_ABANDONED", APS_GS_CANCELLED},
    };
    /* Names of the phases, for an answer without type.state and type.completed */
    static const char *const final_names[] = {"STATUS_FINAL", "STATUS_FINAL_OT",
                                              "STATUS_FULL_TIME", "STATUS_FINAL_AET",
                                              "STATUS_FINAL_PEN"};
    static const char *const live_names[] = {
        "STATUS_IN_PROGRESS", "STATUS_HALFTIME",   "STATUS_END_PERIOD", "STATUS_FIRST_HALF",
        "STATUS_SECOND_HALF", "STATUS_EXTRA_TIME", "STATUS_SHOOTOUT",   "STATUS_OVERTIME"};
    for (size_t i = 0; name && i < sizeof named / sizeof named[0]; i++)
        if (!strcmp(name, named[i].name))
            return named[i].st;
    if (completed == 1)
        return APS_GS_FINAL;
    if (state && !strcmp(state, "in"))
        return APS_GS_IN_PROGRESS;
    if (state && !strcmp(state, "post")) /* over, not completed: not played out */
        return APS_GS_POSTPONED;
    if (state && !strcmp(state, "pre"))
        return APS_GS_SCHEDULED;
    for (size_t i = 0; name && i < sizeof final_names / sizeof final_names[0]; i++)
        if (!strcmp(name, final_names[i]))
            return APS_GS_FINAL;
    for (size_t i = 0; name && i < sizeof live_names / sizeof live_names[0]; i++)
        if (!strcmp(name, live_names[i]))
            return APS_GS_IN_PROGRESS;
    return APS_GS_SCHEDULED;
}

static const char *jstr(const json_t *o, const char *key)
{
    return json_string_value(json_object_get(o, key));
}

static void copy(char *dst, size_t cap, const char *src)
{
    (void)aps_str_copy(dst, cap, src ? src : "");
}

static int score_of(const json_t *c)
{
    json_t *s = json_object_get(c, "score");
    int v;
    if (json_is_integer(s))
        return (int)json_integer_value(s);
    return json_is_string(s) && !aps_parse_int(json_string_value(s), &v) && v >= 0 ? v : -1;
}

static void parse_venue(struct aps_espn_event *e, const json_t *comp)
{
    json_t *v = json_object_get(comp, "venue");
    json_t *addr = json_object_get(v, "address");
    copy(e->venue, sizeof e->venue, jstr(v, "fullName"));
    const char *city = jstr(addr, "city"), *state = jstr(addr, "state");
    if (city && state)
        snprintf(e->venue_city, sizeof e->venue_city, "%s, %s", city, state);
    else
        copy(e->venue_city, sizeof e->venue_city, city);
    json_t *in = json_object_get(v, "indoor");
    e->indoor = json_is_boolean(in) ? json_is_true(in) : -1;
}

/* The two competitors; false when the event does not have exactly a home and an away side. */
static bool parse_sides(struct aps_espn_event *e, const json_t *comp)
{
    size_t i;
    json_t *c;
    bool home = false, away = false;
    json_array_foreach(json_object_get(comp, "competitors"), i, c) {
        const char *side = jstr(c, "homeAway");
        json_t *team = json_object_get(c, "team");
        const char *name = jstr(team, "displayName");
        if (!side || !name)
            continue;
        bool is_home = !strcmp(side, "home");
        copy(is_home ? e->home : e->away, APS_NAME_MAX, name);
        copy(is_home ? e->home_abbr : e->away_abbr, 16, jstr(team, "abbreviation"));
        *(is_home ? &e->home_score : &e->away_score) = score_of(c);
        *(is_home ? &home : &away) = true;
    }
    return home && away;
}

/* Reads one event; NULL, or what it lacks ("id", "date", …) when it cannot be read. */
static const char *parse_event(struct aps_espn_event *e, const json_t *ev)
{
    memset(e, 0, sizeof *e);
    e->home_score = e->away_score = -1;
    const char *id = jstr(ev, "id"), *date = jstr(ev, "date");
    json_t *comp = json_array_get(json_object_get(ev, "competitions"), 0);
    if (!id || !*id)
        return "id";
    if (!date || aps_time_parse_iso(date, &e->start))
        return "date";
    if (!comp)
        return "competition";
    copy(e->id, sizeof e->id, id);
    json_t *st = json_object_get(ev, "status");
    json_t *type = json_object_get(st, "type"), *done = json_object_get(type, "completed");
    const char *name = jstr(type, "name");
    copy(e->status_name, sizeof e->status_name, name);
    e->status = aps_espn_status(name, jstr(type, "state"),
                                json_is_boolean(done) ? json_is_true(done) : -1);
    e->period = (int)json_integer_value(json_object_get(st, "period"));
    e->neutral = json_is_true(json_object_get(comp, "neutralSite"));
    /* the event's season type: 1 preseason, 2 regular season, 3 postseason */
    e->postseason = json_integer_value(json_object_get(json_object_get(ev, "season"), "type")) == 3;
    parse_venue(e, comp);
    if (!parse_sides(e, comp))
        return "home and away team";
    if (e->status == APS_GS_SCHEDULED || e->status == APS_GS_POSTPONED ||
        e->status == APS_GS_CANCELLED)
        e->home_score = e->away_score = -1;
    return NULL;
}

/* Counts event i of the answer as unreadable and describes the first such event. */
static void bad_event(struct aps_espn_board *b, size_t i, const json_t *ev, const char *lacks)
{
    if (!b->bad_events++)
        aps_collect_bad_event(b->bad_event, sizeof b->bad_event, i, jstr(ev, "id"), lacks);
}

int aps_espn_parse_scoreboard(const char *json, size_t len, struct aps_espn_board *out,
                              char *err, size_t errcap)
{
    json_error_t je;
    json_t *root = json_loadb(json, len, 0, &je);
    if (!root) {
        snprintf(err, errcap, "ESPN scoreboard: %s (line %d, column %d)", je.text, je.line,
                 je.column);
        return APS_E_PARSE;
    }
    json_t *events = json_object_get(root, "events");
    if (!json_is_array(events)) {
        json_decref(root);
        snprintf(err, errcap, "ESPN scoreboard: no events array");
        return APS_E_PARSE;
    }
    size_t i;
    json_t *ev;
    json_array_foreach(events, i, ev) {
        if (out->n == out->cap) {
            out->cap = out->cap ? out->cap * 2 : 32;
            out->events = aps_realloc(out->events, out->cap * sizeof *out->events);
        }
        const char *lacks = parse_event(&out->events[out->n], ev);
        if (lacks)
            bad_event(out, i, ev, lacks);
        else
            out->n++;
    }
    json_decref(root);
    return 0;
}

/* The query a sport's board needs beyond the date: a college board lists only the day's
 * featured games unless asked for a division (groups: 80 FBS football, 50 Division I
 * basketball) and a page long enough for all of them (limit). */
static const char *board_query(enum aps_sport sport)
{
    if (sport == APS_SPORT_NCAAF)
        return "groups=80&limit=1000";
    if (sport == APS_SPORT_NCAAB)
        return "groups=50&limit=1000";
    return NULL;
}

void aps_espn_scoreboard_url(struct aps_buf *url, const char *base, enum aps_sport sport,
                             int64_t date)
{
    aps_buf_reset(url);
    size_t n = strlen(base);
    while (n && base[n - 1] == '/')
        n--;
    aps_buf_append(url, base, n);
    aps_buf_printf(url, "/%s/scoreboard", aps_sport_info(sport)->espn);
    const char *sep = "?";
    if (date > 0) {
        char d[11];
        aps_time_format_date(date, d, sizeof d);
        aps_buf_printf(url, "?dates=%.4s%.2s%.2s", d, d + 5, d + 8);
        sep = "&";
    }
    if (board_query(sport))
        aps_buf_printf(url, "%s%s", sep, board_query(sport));
}
