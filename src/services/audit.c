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

/* v, or its first max bytes copied into buf (of 257 bytes) when it is longer. */
static const char *cut(const char *v, size_t max, char buf[257])
{
    if (!v || strlen(v) <= max)
        return v;
    size_t n = max < 256 ? max : 256;
    memcpy(buf, v, n);
    buf[n] = '\0';
    return buf;
}

int aps_audit_write(struct aps_conn *c, const struct aps_audit_event *e, int64_t now)
{
    char *details = NULL, ip[257], ua[257], rid[257];
    if (!e->action || !*e->action)
        return APS_E_INVAL;
    if (e->details) {
        details = json_dumps(e->details, JSON_COMPACT | JSON_SORT_KEYS);
        if (!details)
            return APS_E_NOMEM;
    }
    int rc = aps_conn_execf(c,
                            "INSERT INTO audit_log (at, actor_id, actor_type, action,"
                            " resource_type, resource_id, outcome, ip, user_agent, request_id,"
                            " details) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
                            "iIsssssssss", now, e->actor_id > 0 ? &e->actor_id : NULL,
                            e->actor_type ? e->actor_type : "system", e->action,
                            e->resource_type, e->resource_id,
                            e->success ? "success" : "failure", cut(e->ip, 64, ip),
                            cut(e->user_agent, 256, ua), cut(e->request_id, 64, rid), details);
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
