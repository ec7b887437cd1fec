/* audit.h — the append-only audit log (table audit_log, reference §6.5): one row for every auth
 * event (login, login_failed, logout, refresh, refresh_reuse, password_change, 2fa_setup,
 * 2fa_enabled, 2fa_disabled, api_key_created, api_key_revoked, register) and every admin change
 * (role_changed, user_created, setting_changed, model_promoted, …).
 *
 * details is a JSON object of facts about the event; it must never hold a secret (no password,
 * token, key, TOTP secret or code) — callers pass only ids, names, e-mails and reasons. */
#ifndef APS_SERVICES_AUDIT_H
#define APS_SERVICES_AUDIT_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/err.h"

struct aps_conn;
struct aps_config;
struct aps_http_req;
struct aps_store;

struct aps_audit_event {
    const char *action;        /* "login", "role_changed", … (required) */
    int64_t actor_id;          /* user id; 0 when none (system, unknown e-mail) */
    const char *actor_type;    /* "user", "api_key", "system" (NULL → "system") */
    const char *resource_type; /* "user", "session", "api_key", … (may be NULL) */
    const char *resource_id;   /* may be NULL */
    bool success;              /* outcome "success" or "failure" */
    const char *ip;            /* may be NULL */
    const char *user_agent;    /* may be NULL */
    const char *request_id;    /* may be NULL */
    json_t *details;           /* borrowed; NULL for none */
};

/* Appends one row stamped now. */
int aps_audit_write(struct aps_conn *c, const struct aps_audit_event *e,
                    int64_t now) APS_MUST_CHECK;
/* Fills actor (from req->who: user or api_key), ip, user agent and request id from a request;
 * the caller sets action, resource, outcome and details. The strings live as long as req. */
void aps_audit_from_request(struct aps_audit_event *e, const struct aps_http_req *req);

/* Writes one row per setting this process took from a secret file (APS_SECRETS_DIR/NAME or
 * NAME_FILE): action secret_read, actor system, resource ("secret", the setting's name), details
 * {file, process, command} — which secret, which process, never the value. process: the
 * caller's "host:pid". Once per process: the first call writes, later calls return 0 at once
 * (the files are read once, at start). Returns 0 when there was nothing to write. */
int aps_audit_secret_reads(struct aps_store *st, const struct aps_config *cfg,
                           const char *process) APS_MUST_CHECK;
/* The same rows every time it is called: after a configuration reload, which reads the secret
 * files again (services/reload.h). */
int aps_audit_secret_reads_now(struct aps_store *st, const struct aps_config *cfg,
                               const char *process) APS_MUST_CHECK;

#endif
