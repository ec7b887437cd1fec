/* api_auth.c — the /api/v1/auth endpoints (routes_auth.def): register, login (with TOTP), rotating
 * refresh, logout, me, password change, 2FA setup/verify/disable and API keys. The work is in
 * accounts.c (store), auth.c and totp.c (primitives); every auth event is audited (audit.c).
 *
 * Error codes beyond the envelope's usual ones: INVALID_CREDENTIALS (401), LOCKED (429 with
 * Retry-After, after 5 failures for 15 minutes), TOTP_REQUIRED / INVALID_TOTP (401 at login,
 * 400 elsewhere; also for a code already accepted once, see accounts.h), INVALID_TOKEN /
 * TOKEN_REUSED (401 at refresh), ACCOUNT_DISABLED (403), CONFLICT (409: e-mail taken, 2FA
 * state), TOO_MANY_KEYS (409).
 *
 * Changing credentials (password, 2FA, creating keys) needs a login session: a call made with
 * an API key gets 403, so a leaked key cannot take the account over. Argon2id runs while no
 * store connection is held (it takes ~100 ms and 64 MiB). */
#include <stdio.h>
#include <string.h>

#include "config/config.h"
#include "core/log.h"
#include "core/mem.h"
#include "core/timeutil.h"
#include "http/auth.h"
#include "http/totp.h"
#include "metrics/metrics.h"
#include "services/accounts.h"
#include "services/api_json.h"
#include "services/api_util.h"
#include "services/api_valid.h"
#include "services/app.h"
#include "services/audit.h"
#include "services/authn.h"
#include "services/routes.h"

/* ---- helpers ------------------------------------------------------------------------------- */

static struct aps_app *app_of(const struct aps_http_req *req)
{
    return req->app;
}

static json_t *user_json(const struct aps_user *u)
{
    return json_pack("{s:I, s:s, s:o, s:s, s:b, s:b, s:o, s:o}", "id", (json_int_t)u->id,
                     "email", u->email, "name", u->name[0] ? json_string(u->name) : json_null(),
                     "role", aps_role_name(u->role), "is_active", u->is_active, "totp_enabled",
                     u->totp_enabled, "created_at", aps_api_time(u->created_at), "last_login_at",
                     u->last_login_at ? aps_api_time(u->last_login_at) : json_null());
}

/* Appends one audit row; takes details. Uses c when given, else a connection of its own. A
 * failed write is logged, never shown to the client (the event itself already happened). */
static void audit(const struct aps_http_req *req, struct aps_conn *c, const char *action,
                  int64_t actor, bool ok, const char *rtype, int64_t rid, json_t *details)
{
    struct aps_app *app = app_of(req);
    struct aps_audit_event e = {0};
    struct aps_conn *own = NULL;
    char id[24];
    aps_audit_from_request(&e, req);
    e.action = action;
    e.success = ok;
    static const char *const names[] = {"action", "outcome", NULL};
    const char *labels[] = {action, ok ? "success" : "failure"};
    aps_metric_add(aps_metrics_counter(app->metrics, "aps_auth_events_total",
                                       "Account events (register, login, login_failed, ...)",
                                       names),
                   labels, 1);
    if (actor) {
        e.actor_id = actor;
        if (!req->who.authenticated)
            e.actor_type = "user";
    }
    snprintf(id, sizeof id, "%lld", (long long)rid);
    e.resource_type = rtype;
    e.resource_id = rid ? id : NULL;
    e.details = details;
    int rc = c ? 0 : aps_store_acquire(app->store, APS_DB_WRITE, &own);
    if (!rc)
        rc = aps_audit_write(c ? c : own, &e, aps_time_now());
    if (rc)
        APS_LOG(&app->log, APS_LOG_ERROR, NULL, "audit write failed: %s (%s)", action,
                aps_strerror(rc));
    if (own)
        aps_store_release(own);
    json_decref(details);
}

static int refuse_api_key(const struct aps_http_req *req, struct aps_http_res *res)
{
    if (!req->who.api_key_id)
        return 0;
    aps_http_error(res, 403, "FORBIDDEN",
                   "changing credentials needs a login session, not an API key");
    return 1;
}

static int locked(struct aps_http_res *res, int64_t until, int64_t now)
{
    char v[24];
    snprintf(v, sizeof v, "%lld", (long long)(until > now ? until - now : 1));
    aps_http_error(res, 429, "LOCKED",
                   "too many failed attempts; the account is locked for 15 minutes");
    aps_http_header_set(res, "Retry-After", v);
    return 0;
}

/* Loads the caller's row from the primary (credentials change right after). */
static int load_me(struct aps_http_req *req, struct aps_http_res *res, struct aps_user *u)
{
    struct aps_conn *c = NULL;
    if (aps_api_acquire(req, res, APS_DB_WRITE, &c))
        return -1;
    int rc = aps_accounts_user_by_id(c, req->who.user_id, u);
    aps_store_release(c);
    if (rc == APS_E_NOTFOUND)
        aps_api_not_found(res, "user");
    else if (rc)
        aps_api_db_error(res, rc);
    return rc ? -1 : 0;
}

/* Records a failed proof (password or TOTP code) for u; returns the lock time when it locked. */
static int64_t count_failure(struct aps_http_req *req, int64_t user_id, const char *what)
{
    struct aps_conn *c = NULL;
    int64_t until = 0;
    if (aps_store_acquire(app_of(req)->store, APS_DB_WRITE, &c))
        return 0;
    if (aps_accounts_login_failed(c, user_id, aps_time_now(), &until))
        until = 0;
    audit(req, c, "login_failed", user_id, false, "user", user_id,
          json_pack("{s:s, s:b}", "reason", what, "locked", until > 0));
    aps_store_release(c);
    if (until)
        APS_LOG(&app_of(req)->log, APS_LOG_WARNING, NULL,
                "account %lld locked after repeated failures", (long long)user_id);
    return until;
}

/* A six-digit code field; NULL (with a detail when required) when absent or malformed. */
static const char *code_field(const struct aps_http_req *req, struct aps_http_res *res,
                              const char *name, bool required)
{
    const char *s = NULL;
    aps_api_b_str(req, res, name, required, 16, &s);
    if (!s)
        return NULL;
    bool ok = strlen(s) == APS_TOTP_DIGITS;
    for (const char *p = s; ok && *p; p++)
        ok = *p >= '0' && *p <= '9';
    if (!ok) {
        aps_api_invalid(res, name, "must be the 6 digits of the authenticator app");
        return NULL;
    }
    return s;
}

/* ---- register, login, refresh, logout ------------------------------------------------------ */

int aps_api_auth_register(struct aps_http_req *req, struct aps_http_res *res)
{
    const char *email_in = NULL, *password = NULL, *name = NULL, *why = NULL;
    char email[APS_ACCOUNTS_EMAIL_MAX + 1], hash[APS_AUTH_HASH_CAP];
    struct aps_conn *c = NULL;
    struct aps_user u = {0};
    if (!aps_api_body_object(req, res))
        return 0;
    aps_api_b_str(req, res, "email", true, APS_ACCOUNTS_EMAIL_MAX, &email_in);
    aps_api_b_str(req, res, "password", true, APS_AUTH_PASSWORD_MAX_BYTES, &password);
    aps_api_b_str(req, res, "name", false, APS_ACCOUNTS_NAME_MAX, &name);
    if (email_in && aps_accounts_email_normalize(email_in, email, &why))
        aps_api_invalid(res, "email", why);
    if (password && aps_auth_password_check(password, &why))
        aps_api_invalid(res, "password", why);
    if (aps_api_bad(res))
        return 0;
    if (aps_auth_password_hash(password, hash))
        return aps_http_error(res, 503, "SERVICE_UNAVAILABLE", "cannot hash the password now");
    if (aps_api_acquire(req, res, APS_DB_WRITE, &c))
        return 0;
    int64_t now = aps_time_now();
    int rc = aps_accounts_user_create(c, email, hash, name, APS_ROLE_USER, now, &u.id);
    if (!rc)
        rc = aps_accounts_user_by_id(c, u.id, &u);
    if (!rc)
        audit(req, c, "register", u.id, true, "user", u.id, NULL);
    aps_store_release(c);
    if (rc == APS_E_EXISTS)
        return aps_http_error(res, 409, "CONFLICT", "an account with this e-mail already exists");
    if (rc)
        return aps_api_db_error(res, rc);
    return aps_http_json(res, 201, user_json(&u));
}

/* Opens a session and answers with the token pair (and the user when given). */
/* The access token names the session family (sid) and the user's token generation (gen). */
struct access_subject {
    int64_t user_id;
    enum aps_role role;
    int64_t sid, gen;
};

static int issue_pair(struct aps_http_req *req, struct aps_http_res *res,
                      const struct access_subject *who, const char *refresh,
                      const struct aps_user *u)
{
    const struct aps_config *cfg = app_of(req)->cfg;
    int access_s = (int)aps_cfg_int(cfg, APS_SET_JWT_ACCESS_TOKEN_EXPIRE_MINUTES) * 60;
    int64_t refresh_s = aps_cfg_int(cfg, APS_SET_JWT_REFRESH_TOKEN_EXPIRE_DAYS) * 86400;
    char *access = NULL;
    if (aps_auth_token_issue(aps_cfg_str(cfg, APS_SET_JWT_SECRET), who->user_id, who->role,
                             who->sid, who->gen, aps_time_now(), access_s, &access))
        return aps_http_error(res, 500, "INTERNAL_ERROR", "cannot sign the access token");
    json_t *o = json_pack("{s:s, s:s, s:s, s:i, s:I}", "access_token", access, "refresh_token",
                          refresh, "token_type", "bearer", "expires_in", access_s,
                          "refresh_expires_in", (json_int_t)refresh_s);
    aps_free(access);
    if (u)
        json_object_set_new(o, "user", user_json(u));
    res->no_cache = true;
    return aps_http_json(res, 200, o);
}

/* Checks the password and TOTP of u; returns 0 to go on, or 1 with res set. */
static int check_proofs(struct aps_http_req *req, struct aps_http_res *res,
                        const struct aps_user *u, const char *password, const char *code)
{
    int64_t now = aps_time_now();
    if (!aps_auth_password_verify(u->password_hash, password)) {
        count_failure(req, u->id, "password");
        aps_http_error(res, 401, "INVALID_CREDENTIALS", "wrong e-mail or password");
        return 1;
    }
    if (!u->is_active) {
        audit(req, NULL, "login_failed", u->id, false, "user", u->id,
              json_pack("{s:s}", "reason", "disabled"));
        aps_http_error(res, 403, "ACCOUNT_DISABLED", "this account is disabled");
        return 1;
    }
    if (u->totp_enabled && !code) {
        aps_http_error(res, 401, "TOTP_REQUIRED", "this account needs totp_code");
        return 1;
    }
    if (!u->totp_enabled)
        return 0;
    /* The code is spent here, on the primary: a second login with it is refused. */
    struct aps_conn *c = NULL;
    if (aps_api_acquire(req, res, APS_DB_WRITE, &c))
        return 1;
    int rc = aps_accounts_totp_use(c, u->id, code, now);
    aps_store_release(c);
    if (rc == APS_E_INTEGRITY || rc == APS_E_STATE) {
        count_failure(req, u->id, "totp");
        aps_http_error(res, 401, "INVALID_TOTP",
                       "the authenticator code is not valid or has already been used");
        return 1;
    }
    if (rc) {
        aps_api_db_error(res, rc);
        return 1;
    }
    return 0;
}

int aps_api_auth_login(struct aps_http_req *req, struct aps_http_res *res)
{
    const char *email_in = NULL, *password = NULL, *code = NULL, *why = NULL;
    char email[APS_ACCOUNTS_EMAIL_MAX + 1], refresh[APS_AUTH_TOKEN_CAP];
    struct aps_conn *c = NULL;
    struct aps_user u;
    if (!aps_api_body_object(req, res))
        return 0;
    /* the OAuth2 password flow names the e-mail "username" */
    bool by_username =
        !json_object_get(req->json, "email") && json_object_get(req->json, "username");
    aps_api_b_str(req, res, by_username ? "username" : "email", true, APS_ACCOUNTS_EMAIL_MAX,
                  &email_in);
    aps_api_b_str(req, res, "password", true, APS_AUTH_PASSWORD_MAX_BYTES, &password);
    code = code_field(req, res, "totp_code", false);
    if (email_in && aps_accounts_email_normalize(email_in, email, &why))
        aps_api_invalid(res, "email", why);
    if (aps_api_bad(res) || aps_api_acquire(req, res, APS_DB_WRITE, &c))
        return 0;
    int rc = aps_accounts_user_by_email(c, email, &u);
    aps_store_release(c);
    int64_t now = aps_time_now();
    if (rc == APS_E_NOTFOUND) {
        aps_auth_password_dummy_verify(password);
        audit(req, NULL, "login_failed", 0, false, "user", 0,
              json_pack("{s:s, s:s}", "reason", "unknown_email", "email", email));
        return aps_http_error(res, 401, "INVALID_CREDENTIALS", "wrong e-mail or password");
    }
    if (rc)
        return aps_api_db_error(res, rc);
    if (u.locked_until > now) {
        audit(req, NULL, "login_failed", u.id, false, "user", u.id,
              json_pack("{s:s}", "reason", "locked"));
        return locked(res, u.locked_until, now);
    }
    if (check_proofs(req, res, &u, password, code))
        return 0;
    if (aps_api_acquire(req, res, APS_DB_WRITE, &c))
        return 0;
    const struct aps_session_origin from = {req->client_ip, aps_http_header(req, "User-Agent")};
    int64_t ttl = aps_cfg_int(app_of(req)->cfg, APS_SET_JWT_REFRESH_TOKEN_EXPIRE_DAYS) * 86400;
    int64_t sid = 0;
    rc = aps_accounts_login_succeeded(c, u.id, now);
    if (!rc)
        rc = aps_accounts_session_create(c, u.id, ttl, now, &from, refresh, &sid);
    if (!rc)
        audit(req, c, "login", u.id, true, "user", u.id,
              json_pack("{s:b}", "totp", u.totp_enabled));
    if (rc) {
        aps_store_release(c);
        return aps_api_db_error(res, rc);
    }
    aps_store_release(c);
    u.last_login_at = now;
    u.failed_logins = 0;
    const struct access_subject who = {u.id, u.role, sid, u.token_gen};
    return issue_pair(req, res, &who, refresh, &u);
}

int aps_api_auth_refresh(struct aps_http_req *req, struct aps_http_res *res)
{
    const char *token = NULL;
    char fresh[APS_AUTH_TOKEN_CAP];
    struct aps_conn *c = NULL;
    struct aps_user_status us;
    int64_t user_id = 0, sid = 0, now = aps_time_now();
    if (!aps_api_body_object(req, res))
        return 0;
    aps_api_b_str(req, res, "refresh_token", true, 128, &token);
    if (aps_api_bad(res) || aps_api_acquire(req, res, APS_DB_WRITE, &c))
        return 0;
    const struct aps_session_origin from = {req->client_ip, aps_http_header(req, "User-Agent")};
    int64_t ttl = aps_cfg_int(app_of(req)->cfg, APS_SET_JWT_REFRESH_TOKEN_EXPIRE_DAYS) * 86400;
    int rc = aps_accounts_session_rotate(c, token, ttl, now, &from, fresh, &user_id, &sid);
    if (!rc)
        rc = aps_accounts_user_status(c, user_id, &us);
    if (!rc && !us.active) {
        /* The fresh session must not outlive the answer; if this fails it simply expires. */
        int gone = aps_accounts_session_revoke(c, user_id, fresh);
        rc = gone == APS_E_DB ? gone : APS_E_STATE;
    }
    if (rc == APS_E_INTEGRITY) {
        audit(req, c, "refresh_reuse", user_id, false, "session", 0,
              json_pack("{s:s}", "effect", "chain revoked"));
        APS_LOG(&app_of(req)->log, APS_LOG_WARNING, NULL,
                "refresh token reuse for user %lld: session chain revoked", (long long)user_id);
    } else if (!rc) {
        audit(req, c, "refresh", user_id, true, "session", 0, NULL);
    }
    aps_store_release(c);
    if (rc == APS_E_INTEGRITY)
        aps_authn_changed(app_of(req));
    if (!rc) {
        const struct access_subject who = {user_id, us.role, sid, us.token_gen};
        return issue_pair(req, res, &who, fresh, NULL);
    }
    if (rc == APS_E_INTEGRITY)
        return aps_http_error(res, 401, "TOKEN_REUSED",
                              "this refresh token was already used; its sessions are revoked");
    if (rc == APS_E_NOTFOUND || rc == APS_E_TIMEOUT || rc == APS_E_STATE)
        return aps_http_error(res, 401, "INVALID_TOKEN",
                              rc == APS_E_TIMEOUT ? "the refresh token has expired"
                              : rc == APS_E_STATE ? "the refresh token has been revoked"
                                                  : "the refresh token is not valid");
    return aps_api_db_error(res, rc);
}

int aps_api_auth_logout(struct aps_http_req *req, struct aps_http_res *res)
{
    const char *token = NULL;
    struct aps_conn *c = NULL;
    if (!aps_api_body_object(req, res))
        return 0;
    aps_api_b_str(req, res, "refresh_token", true, 128, &token);
    if (aps_api_bad(res) || aps_api_acquire(req, res, APS_DB_WRITE, &c))
        return 0;
    int rc = aps_accounts_session_revoke(c, req->who.user_id, token);
    if (!rc || rc == APS_E_NOTFOUND)
        audit(req, c, "logout", req->who.user_id, !rc, "session", 0,
              rc ? json_pack("{s:s}", "reason", "unknown or already revoked") : NULL);
    aps_store_release(c);
    if (!rc)
        aps_authn_changed(app_of(req));
    if (rc && rc != APS_E_NOTFOUND)
        return aps_api_db_error(res, rc);
    /* Idempotent: a token that is already dead is logged out as well. */
    return aps_http_json(res, 200, json_pack("{s:s, s:b}", "status", "logged_out", "revoked",
                                             rc == 0));
}

/* ---- me, password ------------------------------------------------------------------------ */

int aps_api_auth_me(struct aps_http_req *req, struct aps_http_res *res)
{
    struct aps_user u;
    if (load_me(req, res, &u))
        return 0;
    json_t *o = user_json(&u);
    json_object_set_new(o, "auth", json_string(req->who.api_key_id ? "api_key" : "bearer"));
    res->personal = true;
    return aps_http_json(res, 200, o);
}

int aps_api_auth_password(struct aps_http_req *req, struct aps_http_res *res)
{
    const char *cur = NULL, *next = NULL, *why = NULL;
    char hash[APS_AUTH_HASH_CAP];
    struct aps_conn *c = NULL;
    struct aps_user u;
    int64_t revoked = 0, now = aps_time_now();
    if (refuse_api_key(req, res) || !aps_api_body_object(req, res))
        return 0;
    aps_api_b_str(req, res, "current_password", true, APS_AUTH_PASSWORD_MAX_BYTES, &cur);
    aps_api_b_str(req, res, "new_password", true, APS_AUTH_PASSWORD_MAX_BYTES, &next);
    if (next && aps_auth_password_check(next, &why))
        aps_api_invalid(res, "new_password", why);
    if (cur && next && !strcmp(cur, next))
        aps_api_invalid(res, "new_password", "must differ from the current password");
    if (aps_api_bad(res) || load_me(req, res, &u))
        return 0;
    if (u.locked_until > now)
        return locked(res, u.locked_until, now);
    if (!aps_auth_password_verify(u.password_hash, cur)) {
        int64_t until = count_failure(req, u.id, "password_change");
        if (until)
            return locked(res, until, now);
        aps_api_invalid(res, "current_password", "is not correct");
        return 0;
    }
    if (aps_auth_password_hash(next, hash))
        return aps_http_error(res, 503, "SERVICE_UNAVAILABLE", "cannot hash the password now");
    if (aps_api_acquire(req, res, APS_DB_WRITE, &c))
        return 0;
    int rc = aps_accounts_user_set_password(c, u.id, hash, now, &revoked);
    if (!rc)
        audit(req, c, "password_change", u.id, true, "user", u.id,
              json_pack("{s:I}", "sessions_revoked", (json_int_t)revoked));
    aps_store_release(c);
    if (rc)
        return aps_api_db_error(res, rc);
    aps_authn_changed(app_of(req));
    return aps_http_json(res, 200, json_pack("{s:s, s:I}", "status", "password_changed",
                                             "sessions_revoked", (json_int_t)revoked));
}

/* ---- 2FA ------------------------------------------------------------------------------------ */

int aps_api_auth_2fa_setup(struct aps_http_req *req, struct aps_http_res *res)
{
    char secret[APS_TOTP_SECRET_CAP], uri[512];
    struct aps_conn *c = NULL;
    struct aps_user u;
    if (refuse_api_key(req, res) || load_me(req, res, &u))
        return 0;
    if (u.totp_enabled)
        return aps_http_error(res, 409, "CONFLICT", "2FA is already on; disable it first");
    aps_totp_secret_new(secret);
    if (aps_totp_uri(secret, u.email, uri, sizeof uri))
        return aps_http_error(res, 500, "INTERNAL_ERROR", "cannot build the otpauth URI");
    if (aps_api_acquire(req, res, APS_DB_WRITE, &c))
        return 0;
    int rc = aps_accounts_totp_set_pending(c, u.id, secret, aps_time_now());
    if (!rc)
        audit(req, c, "2fa_setup", u.id, true, "user", u.id, NULL);
    aps_store_release(c);
    if (rc == APS_E_STATE)
        return aps_http_error(res, 409, "CONFLICT", "2FA is already on; disable it first");
    if (rc)
        return aps_api_db_error(res, rc);
    res->personal = true;
    return aps_http_json(res, 200,
                         json_pack("{s:s, s:s, s:s, s:s, s:i, s:i}", "secret", secret,
                                   "otpauth_uri", uri, "issuer", APS_TOTP_ISSUER, "algorithm",
                                   "SHA1", "digits", APS_TOTP_DIGITS, "period", APS_TOTP_STEP));
}

/* verify (on = true) or disable (on = false) with a code. */
static int totp_switch(struct aps_http_req *req, struct aps_http_res *res, bool on)
{
    struct aps_conn *c = NULL;
    struct aps_user u;
    int64_t now = aps_time_now();
    if (refuse_api_key(req, res) || !aps_api_body_object(req, res))
        return 0;
    const char *code = code_field(req, res, "code", true);
    if (aps_api_bad(res) || load_me(req, res, &u))
        return 0;
    if (!on && u.locked_until > now)
        return locked(res, u.locked_until, now);
    if (aps_api_acquire(req, res, APS_DB_WRITE, &c))
        return 0;
    int rc = on ? aps_accounts_totp_enable(c, u.id, code, now)
                : aps_accounts_totp_disable(c, u.id, code, now);
    if (!rc || rc == APS_E_INTEGRITY)
        audit(req, c, on ? "2fa_enabled" : "2fa_disabled", u.id, !rc, "user", u.id,
              rc ? json_pack("{s:s}", "reason", "invalid code") : NULL);
    aps_store_release(c);
    if (rc == APS_E_INTEGRITY && !on) {
        /* Disabling with guessed codes is an attack on the second factor: it counts. */
        int64_t until = count_failure(req, u.id, "totp_disable");
        if (until)
            return locked(res, until, now);
    }
    if (rc == APS_E_INTEGRITY)
        return aps_http_error(res, 400, "INVALID_TOTP",
                              "the authenticator code is not valid or has already been used");
    if (rc == APS_E_STATE)
        return aps_http_error(res, 409, "CONFLICT",
                              on ? "no 2FA setup is pending; call /auth/2fa/setup first"
                                 : "2FA is not on");
    if (rc)
        return aps_api_db_error(res, rc);
    aps_authn_changed(app_of(req)); /* whether staff routes need it follows at once */
    return aps_http_json(res, 200, json_pack("{s:b}", "totp_enabled", on));
}

int aps_api_auth_2fa_verify(struct aps_http_req *req, struct aps_http_res *res)
{
    return totp_switch(req, res, true);
}

int aps_api_auth_2fa_disable(struct aps_http_req *req, struct aps_http_res *res)
{
    return totp_switch(req, res, false);
}

/* ---- API keys ------------------------------------------------------------------------------ */

static json_t *key_json(const struct aps_api_key *k)
{
    return json_pack("{s:I, s:s, s:s, s:i, s:b, s:o, s:o, s:o}", "id", (json_int_t)k->id, "name",
                     k->name, "prefix", k->prefix, "rate_limit_per_min", k->rate_limit_per_min,
                     "revoked", k->revoked, "last_used_at",
                     k->last_used_at ? aps_api_time(k->last_used_at) : json_null(),
                     "expires_at", k->expires_at ? aps_api_time(k->expires_at) : json_null(),
                     "created_at", aps_api_time(k->created_at));
}

int aps_api_auth_keys_list(struct aps_http_req *req, struct aps_http_res *res)
{
    struct aps_conn *c = NULL;
    struct aps_api_key *keys = NULL;
    size_t n = 0;
    struct aps_api_page pg;
    aps_api_q_page(req, res, &pg);
    if (aps_api_bad(res) || aps_api_acquire(req, res, APS_DB_WRITE, &c))
        return 0;
    int rc = aps_accounts_api_key_list(c, req->who.user_id, &keys, &n);
    aps_store_release(c);
    if (rc)
        return aps_api_db_error(res, rc);
    json_t *items = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(items, key_json(&keys[i]));
    aps_free(keys);
    res->personal = true;
    return aps_http_json(res, 200, aps_api_list_slice(items, &pg));
}

/* An optional integer body field in [lo, hi]; *out keeps its default when absent. */
static void int_field(const struct aps_http_req *req, struct aps_http_res *res,
                      const char *name, int64_t lo, int64_t hi, int64_t *out)
{
    json_t *v = json_object_get(req->json, name);
    if (!v || json_is_null(v))
        return;
    if (!json_is_integer(v) || json_integer_value(v) < lo || json_integer_value(v) > hi) {
        char msg[96];
        snprintf(msg, sizeof msg, "must be an integer from %lld to %lld", (long long)lo,
                 (long long)hi);
        aps_api_invalid(res, name, msg);
        return;
    }
    *out = json_integer_value(v);
}

int aps_api_auth_keys_create(struct aps_http_req *req, struct aps_http_res *res)
{
    const char *name = NULL;
    char key[APS_AUTH_KEY_CAP];
    struct aps_conn *c = NULL;
    struct aps_api_key k;
    int64_t env_limit = aps_cfg_int(app_of(req)->cfg, APS_SET_RATE_LIMIT_PER_MIN);
    int64_t limit = env_limit, days = 0, now = aps_time_now();
    if (refuse_api_key(req, res) || !aps_api_body_object(req, res))
        return 0;
    aps_api_b_str(req, res, "name", true, APS_ACCOUNTS_NAME_MAX, &name);
    /* A key may be slower than the environment's limit, never faster. */
    int_field(req, res, "rate_limit_per_min", 1, env_limit, &limit);
    int_field(req, res, "expires_in_days", 1, 3650, &days);
    if (aps_api_bad(res) || aps_api_acquire(req, res, APS_DB_WRITE, &c))
        return 0;
    int rc = aps_accounts_api_key_create(c, req->who.user_id, name, (int)limit,
                                         days ? now + days * 86400 : 0, now, key, &k);
    if (!rc)
        audit(req, c, "api_key_created", req->who.user_id, true, "api_key", k.id,
              json_pack("{s:s, s:s, s:i}", "name", k.name, "prefix", k.prefix,
                        "rate_limit_per_min", k.rate_limit_per_min));
    aps_store_release(c);
    if (rc == APS_E_RANGE)
        return aps_http_error(res, 409, "TOO_MANY_KEYS", "revoke a key before creating another");
    if (rc)
        return aps_api_db_error(res, rc);
    json_t *o = key_json(&k);
    json_object_set_new(o, "key", json_string(key));
    json_object_set_new(o, "notice", json_string("store this key now: it is not shown again"));
    res->no_cache = true;
    return aps_http_json(res, 201, o);
}

int aps_api_auth_keys_revoke(struct aps_http_req *req, struct aps_http_res *res)
{
    struct aps_conn *c = NULL;
    int64_t id = aps_api_path_id(req, res, "id");
    if (aps_api_bad(res) || aps_api_acquire(req, res, APS_DB_WRITE, &c))
        return 0;
    int rc = aps_accounts_api_key_revoke(c, req->who.user_id, id);
    if (!rc)
        audit(req, c, "api_key_revoked", req->who.user_id, true, "api_key", id, NULL);
    aps_store_release(c);
    if (rc == APS_E_NOTFOUND)
        return aps_api_not_found(res, "API key");
    if (rc)
        return aps_api_db_error(res, rc);
    aps_authn_changed(app_of(req));
    return aps_http_json(res, 200, json_pack("{s:I, s:b}", "id", (json_int_t)id, "revoked", 1));
}
