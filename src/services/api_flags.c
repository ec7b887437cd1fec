/* api_flags.c — feature flags over the API: the admin's list and change (audited, see flags.h),
 * and the caller's own flags, which the dashboard reads to show or hide what ships dark. */
#include <stdio.h>
#include <string.h>

#include "config/config.h"
#include "services/api_util.h"
#include "services/api_valid.h"
#include "services/app.h"
#include "services/audit.h"
#include "services/flags.h"
#include "services/routes.h"

static const char *environment(const struct aps_app *app)
{
    return app && app->cfg ? aps_cfg_str(app->cfg, APS_SET_ENVIRONMENT) : "development";
}

int aps_api_flags_list(struct aps_http_req *req, struct aps_http_res *res)
{
    const struct aps_app *app = req->app;
    struct aps_flag_info fl[APS_FLAG__COUNT];
    struct aps_conn *c = NULL;
    int64_t version = 0;
    if (aps_api_acquire(req, res, APS_DB_WRITE, &c))
        return 0;
    int rc = aps_flags_read(c, environment(app), fl, &version);
    aps_store_release(c);
    if (rc)
        return aps_api_db_error(res, rc);
    json_t *items = json_array();
    for (int i = 0; i < APS_FLAG__COUNT; i++)
        json_array_append_new(items, aps_flag_info_json(&fl[i]));
    /* every declared flag on one page, in the list envelope */
    return aps_http_json(res, 200,
                         json_pack("{s:o, s:I, s:i, s:I, s:I, s:s}", "items", items, "total",
                                   (json_int_t)APS_FLAG__COUNT, "page", 1, "limit",
                                   (json_int_t)APS_FLAG__COUNT, "version", (json_int_t)version,
                                   "environment", environment(app)));
}

/* A JSON array of strings or integers as the comma list aps_flag_rule_parse reads. */
static bool list_text(json_t *v, bool ints, char *out, size_t cap)
{
    size_t i, len = 0;
    json_t *e;
    out[0] = '\0';
    if (!v || json_is_null(v))
        return true;
    if (!json_is_array(v))
        return false;
    json_array_foreach(v, i, e)
    {
        int n = ints ? (json_is_integer(e) ? snprintf(out + len, cap - len, "%s%lld", i ? "," : "",
                                                      (long long)json_integer_value(e))
                                           : -1)
                     : (json_is_string(e) ? snprintf(out + len, cap - len, "%s%s", i ? "," : "",
                                                     json_string_value(e))
                                          : -1);
        if (n < 0 || (size_t)n >= cap - len)
            return false;
        len += (size_t)n;
    }
    return true;
}

/* Reads {state, percent, roles, users} into rule. 0 when fine; else the 422 is set. */
static int rule_input(struct aps_http_req *req, struct aps_http_res *res, struct aps_flag_rule *r)
{
    char roles[256], users[APS_FLAG_MAX_USERS * 24], err[200];
    const char *state = NULL;
    double pct = 0;
    bool has_pct = false;
    if (!aps_api_body_object(req, res))
        return 1;
    aps_api_b_str(req, res, "state", true, 16, &state);
    aps_api_b_double(req, res, "percent", false, 0, 100, &pct, &has_pct);
    if (!list_text(json_object_get(req->json, "roles"), false, roles, sizeof roles))
        aps_api_invalid(res, "roles", "must be a list of role names");
    if (!list_text(json_object_get(req->json, "users"), true, users, sizeof users))
        aps_api_invalid(res, "users", "must be a list of at most 32 user ids");
    if (state && !strcmp(state, "percent") && !has_pct)
        aps_api_invalid(res, "percent", "is required with state percent");
    if (aps_api_bad(res))
        return 1;
    if (aps_flag_rule_parse(state, (int)pct, roles, users, r, err, sizeof err)) {
        aps_api_invalid(res, "state", err);
        return 1;
    }
    return 0;
}

int aps_api_flags_put(struct aps_http_req *req, struct aps_http_res *res)
{
    struct aps_app *app = req->app;
    struct aps_flag_rule rule;
    struct aps_audit_event who;
    struct aps_conn *c = NULL;
    int flag = aps_flag_find(aps_http_param(req, "name"));
    if (flag < 0)
        return aps_api_not_found(res, "flag");
    if (rule_input(req, res, &rule) || aps_api_acquire(req, res, APS_DB_WRITE, &c))
        return 0;
    memset(&who, 0, sizeof who);
    aps_audit_from_request(&who, req);
    int rc = aps_flags_set(c, environment(app), flag, &rule, req->who.user_id, &who);
    aps_store_release(c);
    if (rc)
        return aps_api_db_error(res, rc);
    aps_flags_invalidate(app->flags);
    json_t *o = aps_flag_rule_json(&rule);
    json_object_set_new(o, "name", json_string(aps_flag_name(flag)));
    return aps_http_json(res, 200, o);
}

int aps_api_flags_mine(struct aps_http_req *req, struct aps_http_res *res)
{
    struct aps_app *app = req->app;
    json_t *flags = json_object();
    for (int i = 0; i < APS_FLAG__COUNT; i++)
        json_object_set_new(flags, aps_flag_name(i),
                            json_boolean(aps_flags_enabled(app->flags, i, req->who.user_id,
                                                           req->who.role)));
    return aps_http_json(res, 200, json_pack("{s:o}", "flags", flags));
}
