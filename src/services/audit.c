/* audit.c — appends audit_log rows (see audit.h). */
#include "services/audit.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/config.h"
#include "core/timeutil.h"
#include "http/http.h"
#include "store/store.h"

static int bind_text_cut(struct aps_stmt *s, int idx, const char *v, size_t max)
{
    char cut[257];
    if (!v || strlen(v) <= max)
        return aps_stmt_bind_text(s, idx, v);
    snprintf(cut, sizeof cut < max + 1 ? sizeof cut : max + 1, "%s", v);
    return aps_stmt_bind_text(s, idx, cut);
}

int aps_audit_write(struct aps_conn *c, const struct aps_audit_event *e, int64_t now)
{
    struct aps_stmt *s = NULL;
    char *details = NULL;
    if (!e->action || !*e->action)
        return APS_E_INVAL;
    if (e->details) {
        details = json_dumps(e->details, JSON_COMPACT | JSON_SORT_KEYS);
        if (!details)
            return APS_E_NOMEM;
    }
    int rc = aps_conn_prepare(c,
                              "INSERT INTO audit_log (at, actor_id, actor_type, action,"
                              " resource_type, resource_id, outcome, ip, user_agent, request_id,"
                              " details) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
                              &s);
    if (!rc)
        rc = aps_stmt_bind_int64(s, 1, now);
    if (!rc)
        rc = e->actor_id > 0 ? aps_stmt_bind_int64(s, 2, e->actor_id) : aps_stmt_bind_null(s, 2);
    if (!rc)
        rc = aps_stmt_bind_text(s, 3, e->actor_type ? e->actor_type : "system");
    if (!rc)
        rc = aps_stmt_bind_text(s, 4, e->action);
    if (!rc)
        rc = aps_stmt_bind_text(s, 5, e->resource_type);
    if (!rc)
        rc = aps_stmt_bind_text(s, 6, e->resource_id);
    if (!rc)
        rc = aps_stmt_bind_text(s, 7, e->success ? "success" : "failure");
    if (!rc)
        rc = bind_text_cut(s, 8, e->ip, 64);
    if (!rc)
        rc = bind_text_cut(s, 9, e->user_agent, 256);
    if (!rc)
        rc = bind_text_cut(s, 10, e->request_id, 64);
    if (!rc)
        rc = aps_stmt_bind_text(s, 11, details);
    if (!rc) {
        rc = aps_stmt_step(s);
        rc = rc == APS_DONE ? 0 : rc < 0 ? rc : APS_E_DB;
    }
    aps_stmt_finalize(s);
    aps_free(details); /* json_dumps text: jansson allocates through core/mem.h */
    return rc;
}

void aps_audit_from_request(struct aps_audit_event *e, const struct aps_http_req *req)
{
    e->actor_id = req->who.user_id;
    e->actor_type = !req->who.authenticated ? "anonymous"
                    : req->who.api_key_id    ? "api_key"
                                             : "user";
    e->ip = req->client_ip[0] ? req->client_ip : NULL;
    e->user_agent = aps_http_header(req, "User-Agent");
    e->request_id = req->request_id[0] ? req->request_id : NULL;
}

/* The subcommand this process runs (argv[1] of /proc/self/cmdline: "api", "worker", …). */
static void own_command(char *out, size_t cap)
{
    char buf[256];
    snprintf(out, cap, "?");
    FILE *f = fopen("/proc/self/cmdline", "rb");
    if (!f)
        return;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    size_t first = strlen(buf) + 1;
    if (first < n)
        snprintf(out, cap, "%s", buf + first);
}

int aps_audit_secret_reads(struct aps_store *st, const struct aps_config *cfg,
                           const char *process)
{
    /* Once per process: the secret files are read once, when the configuration loads. */
    static atomic_flag done = ATOMIC_FLAG_INIT;
    struct aps_conn *c = NULL;
    char command[64];
    if (!st || !cfg || atomic_flag_test_and_set(&done))
        return 0;
    own_command(command, sizeof command);
    int rc = aps_store_acquire(st, APS_DB_WRITE, &c);
    for (int k = 0; !rc && k < APS_SET__COUNT; k++) {
        if (aps_cfg_source(cfg, k) != APS_SRC_SECRET)
            continue;
        struct aps_audit_event e = {.action = "secret_read", .actor_type = "system",
                                    .resource_type = "secret", .resource_id = aps_setting_name(k),
                                    .success = true};
        e.details = json_pack("{s:s, s:s, s:s}", "file", aps_cfg_origin(cfg, k), "process",
                              process ? process : "?", "command", command);
        rc = aps_audit_write(c, &e, aps_time_now());
        json_decref(e.details);
    }
    aps_store_release(c);
    return rc;
}
