/* accounts.h — persistence of accounts, sessions (refresh tokens), API keys and 2FA on the store
 * (tables users, sessions, api_keys of migrations/003_accounts.sql). SQL is written once for
 * SQLite and PostgreSQL. Every function works on a connection the caller holds (a WRITE one for
 * every function that changes something) and returns 0 or a negative APS_E_*; the store's text
 * is in aps_conn_errmsg(). Secrets never leave as stored: passwords as Argon2id hashes, refresh
 * tokens and API keys as SHA-256 hex.
 *
 * Login lockout: each failed login adds one to users.failed_logins; the fifth within a lockout
 * period sets locked_until = now + 15 min and starts the count again. A successful login clears
 * the count.
 *
 * Sessions and refresh rotation (state of one sessions row):
 *   live ──rotate──▶ revoked, replaced_by = the new row   (aps_accounts_session_rotate)
 *   live ──logout / password change / role change──▶ revoked, replaced_by NULL
 * Presenting a refresh token whose row was rotated away (revoked with replaced_by set) means two
 * parties hold the same token: one of them stole it. Rotation then refuses with APS_E_INTEGRITY
 * and revokes the whole chain that grew from it (every descendant through replaced_by), so both
 * the thief and the victim must log in again; the user's other sessions (other devices) stay. A
 * token revoked by logout or a password change is simply refused (APS_E_STATE).
 *
 * 2FA: setup stores a proposed secret in totp_pending; verify with a valid code moves it to
 * totp_secret and turns totp_enabled on; disable needs a valid code of the enabled secret. Both
 * columns hold the seed sealed for its row when DATA_ENCRYPTION_KEYS is set (seal.h); struct
 * aps_user carries it opened (a seed that does not open reads as none: 2FA fails closed).
 * A code is accepted once (RFC 6238 §5.2): totp_last_step holds the time step of the last code
 * accepted, and a login or disable takes only a code of a later step, moving the column to it
 * with a compare-and-set, so two requests that carry the same code cannot both succeed. */
#ifndef APS_SERVICES_ACCOUNTS_H
#define APS_SERVICES_ACCOUNTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "http/auth.h"
#include "http/perms.h"
#include "http/totp.h"

struct aps_conn;

#define APS_ACCOUNTS_MAX_FAILURES 5
#define APS_ACCOUNTS_LOCK_SECONDS (15 * 60)
#define APS_ACCOUNTS_EMAIL_MAX 254
#define APS_ACCOUNTS_NAME_MAX 100
#define APS_ACCOUNTS_MAX_API_KEYS 25 /* live keys per user */

struct aps_user {
    int64_t id;
    char email[APS_ACCOUNTS_EMAIL_MAX + 1];
    char name[APS_ACCOUNTS_NAME_MAX + 1];
    char password_hash[APS_AUTH_HASH_CAP];
    enum aps_role role;
    bool is_active;
    bool totp_enabled;
    char totp_secret[APS_TOTP_SECRET_CAP];  /* "" when none */
    char totp_pending[APS_TOTP_SECRET_CAP]; /* "" when none */
    int64_t totp_last_step;                 /* step of the last code accepted; 0 before any */
    int failed_logins;
    int64_t locked_until;                   /* 0 when never locked */
    int64_t last_login_at;                  /* 0 when never */
    int64_t created_at;
    int64_t token_gen;                      /* see aps_user_status */
};

/* Lower-cases an e-mail and checks its shape (one '@', a dotted domain, 3..254 bytes, no
 * spaces or control characters). APS_E_INVAL with *why set to a static sentence. */
int aps_accounts_email_normalize(const char *in, char out[APS_ACCOUNTS_EMAIL_MAX + 1],
                                 const char **why) APS_MUST_CHECK;

/* Creates a user. email must be normalised; name may be NULL. APS_E_EXISTS when the e-mail is
 * taken. */
int aps_accounts_user_create(struct aps_conn *c, const char *email, const char *password_hash,
                             const char *name, enum aps_role role, int64_t now,
                             int64_t *id) APS_MUST_CHECK;
/* APS_E_NOTFOUND when there is no such user. */
int aps_accounts_user_by_email(struct aps_conn *c, const char *email,
                               struct aps_user *u) APS_MUST_CHECK;
int aps_accounts_user_by_id(struct aps_conn *c, int64_t id, struct aps_user *u) APS_MUST_CHECK;
/* The few columns the per-request check needs (one indexed read). */
struct aps_user_status {
    enum aps_role role;
    bool active;
    char email[APS_ACCOUNTS_EMAIL_MAX + 1];
    int64_t token_gen;   /* bumped by role and password changes: older access tokens die */
    bool two_factor;     /* 2FA is on */
    bool session_live;   /* the session family asked about still has a live row */
};
int aps_accounts_user_status(struct aps_conn *c, int64_t id,
                             struct aps_user_status *out) APS_MUST_CHECK;
/* The status plus whether session family sid is still live (logout, a password or role change
 * and refresh reuse revoke it). One indexed read; what every bearer request is checked against. */
int aps_accounts_access_status(struct aps_conn *c, int64_t id, int64_t sid,
                               struct aps_user_status *out) APS_MUST_CHECK;
/* Changes the role, bumps token_gen and revokes every session of the user (their tokens carry
 * the old role's trust). Runs in its own transaction. The role the user has already changes
 * nothing (no write, no session revoked): *changed (may be NULL) says which it was. */
int aps_accounts_user_set_role(struct aps_conn *c, int64_t id, enum aps_role role, int64_t now,
                               bool *changed) APS_MUST_CHECK;
/* The same change inside the caller's transaction (with what it reads and audits around it);
 * *revoked = sessions revoked (may be NULL; 0 when unchanged). APS_E_NOTFOUND for no such
 * user. */
int aps_accounts_user_change_role(struct aps_conn *c, int64_t id, enum aps_role role, int64_t now,
                                  int64_t *revoked, bool *changed) APS_MUST_CHECK;
/* Stores a new password hash, bumps token_gen and revokes every session; *revoked = sessions
 * revoked (may be NULL). Runs in its own transaction. */
int aps_accounts_user_set_password(struct aps_conn *c, int64_t id, const char *password_hash,
                                   int64_t now, int64_t *revoked) APS_MUST_CHECK;

/* Records a failed login; *locked_until is set (> now) when this failure locked the account,
 * else 0. */
int aps_accounts_login_failed(struct aps_conn *c, int64_t id, int64_t now,
                              int64_t *locked_until) APS_MUST_CHECK;
/* Clears the failure count and stamps last_login_at. */
int aps_accounts_login_succeeded(struct aps_conn *c, int64_t id, int64_t now) APS_MUST_CHECK;

/* Where a session came from (either may be NULL; cut to 64 / 256 bytes). */
struct aps_session_origin {
    const char *ip;
    const char *user_agent;
};

/* Opens a session: a new refresh token into token (shown once), valid ttl seconds; *family (may
 * be NULL) = the session family the access tokens of this login name as "sid". */
int aps_accounts_session_create(struct aps_conn *c, int64_t user_id, int64_t ttl, int64_t now,
                                const struct aps_session_origin *from,
                                char token[APS_AUTH_TOKEN_CAP], int64_t *family) APS_MUST_CHECK;
/* Rotates a refresh token: revokes its row and opens a new one (same lifetime from now) whose
 * token is written to new_token; *user_id tells whose and *family (may be NULL) the session
 * family, which rotation keeps. Errors: APS_E_NOTFOUND (unknown token),
 * APS_E_TIMEOUT (expired), APS_E_STATE (revoked by logout or password change), APS_E_INTEGRITY
 * (reuse of a rotated token: the chain is revoked, see above; *user_id is set). Runs in its own
 * transaction. */
int aps_accounts_session_rotate(struct aps_conn *c, const char *token, int64_t ttl, int64_t now,
                                const struct aps_session_origin *from,
                                char new_token[APS_AUTH_TOKEN_CAP], int64_t *user_id,
                                int64_t *family) APS_MUST_CHECK;
/* Logout: revokes the session of token if it belongs to user_id. APS_E_NOTFOUND when there is
 * no such live session of that user. */
int aps_accounts_session_revoke(struct aps_conn *c, int64_t user_id,
                                const char *token) APS_MUST_CHECK;
/* Revokes every live session of a user; *n = how many (may be NULL). */
int aps_accounts_session_revoke_all(struct aps_conn *c, int64_t user_id,
                                    int64_t *n) APS_MUST_CHECK;

struct aps_api_key {
    int64_t id;
    int64_t user_id;
    char name[APS_ACCOUNTS_NAME_MAX + 1];
    char prefix[APS_AUTH_KEY_PREFIX_LEN + 1];
    int rate_limit_per_min;
    bool revoked;
    int64_t last_used_at; /* 0 when never */
    int64_t expires_at;   /* 0 when it does not expire */
    int64_t created_at;
};

/* Creates a key for user_id; the key itself goes to key (shown once, never stored). expires_at
 * 0 = never. APS_E_RANGE when the user already has APS_ACCOUNTS_MAX_API_KEYS live keys. */
int aps_accounts_api_key_create(struct aps_conn *c, int64_t user_id, const char *name,
                                int rate_limit_per_min, int64_t expires_at, int64_t now,
                                char key[APS_AUTH_KEY_CAP],
                                struct aps_api_key *out) APS_MUST_CHECK;
/* The user's keys, newest first, revoked ones included. *out freed with aps_free. */
int aps_accounts_api_key_list(struct aps_conn *c, int64_t user_id, struct aps_api_key **out,
                              size_t *n) APS_MUST_CHECK;
/* Revokes key id if it is user_id's. APS_E_NOTFOUND when it is not theirs (or already
 * revoked). */
int aps_accounts_api_key_revoke(struct aps_conn *c, int64_t user_id,
                                int64_t id) APS_MUST_CHECK;
/* The caller of an API key: the key's row and its owner's role, active flag and e-mail.
 * APS_E_NOTFOUND (unknown), APS_E_STATE (revoked), APS_E_TIMEOUT (expired). */
struct aps_api_key_owner {
    struct aps_api_key key;
    enum aps_role role;
    bool active;
    bool two_factor; /* the owner has 2FA on */
    char email[APS_ACCOUNTS_EMAIL_MAX + 1];
};
int aps_accounts_api_key_lookup(struct aps_conn *c, const char *key, int64_t now,
                                struct aps_api_key_owner *out) APS_MUST_CHECK;
/* Stamps last_used_at (the lookup leaves it to the caller so reads can go to a replica). */
int aps_accounts_api_key_touch(struct aps_conn *c, int64_t id, int64_t now) APS_MUST_CHECK;

/* 2FA. set_pending stores a proposed secret (APS_E_STATE when 2FA is already on). enable checks
 * code against the pending secret (APS_E_STATE when none is pending, APS_E_INTEGRITY for a bad
 * code) and records its step as the last one used. use checks code against the enabled secret
 * and spends it: APS_E_STATE when 2FA is off, APS_E_INTEGRITY for a bad code or one whose step
 * is not later than the last one accepted (a replay, also one racing on another connection).
 * disable does what use does and turns 2FA off with the same statement. */
/* Re-seals every stored TOTP seed that is not sealed with the current key (also seeds stored in
 * clear before keys were configured). *resealed counts the values rewritten, *unopened those
 * that no configured key opens (left as they are). Run it in a transaction. */
int aps_accounts_totp_reseal(struct aps_conn *c, int64_t *resealed,
                             int64_t *unopened) APS_MUST_CHECK;
int aps_accounts_totp_set_pending(struct aps_conn *c, int64_t user_id,
                                  const char *secret, int64_t now) APS_MUST_CHECK;
int aps_accounts_totp_enable(struct aps_conn *c, int64_t user_id, const char *code,
                             int64_t now) APS_MUST_CHECK;
int aps_accounts_totp_use(struct aps_conn *c, int64_t user_id, const char *code,
                          int64_t now) APS_MUST_CHECK;
int aps_accounts_totp_disable(struct aps_conn *c, int64_t user_id, const char *code,
                              int64_t now) APS_MUST_CHECK;

#endif
