/* accounts.c — users, login failures and lockout, sessions (refresh tokens), API keys and 2FA on
 * the store (see accounts.h for the design notes: lockout, rotation and reuse, 2FA states). */
#include "services/accounts.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "core/mem.h"
#include "core/str.h"
#include "services/seal.h"
#include "store/store.h"

/* ---- statement helpers ----------------------------------------------------------------- */

/* One bound parameter: an integer or a text (NULL text binds SQL NULL). */
static void acc_copy(char *dst, size_t cap, const char *src)
{
    snprintf(dst, cap, "%s", src ? src : "");
}

/* ---- users ------------------------------------------------------------------------------ */

int aps_accounts_email_normalize(const char *in, char out[APS_ACCOUNTS_EMAIL_MAX + 1],
                                 const char **why)
{
    size_t n = in ? strlen(in) : 0, at = 0, ats = 0;
    *why = NULL;
    if (n < 3 || n > APS_ACCOUNTS_EMAIL_MAX) {
        *why = "must be an e-mail address of at most 254 characters";
        return APS_E_INVAL;
    }
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)in[i];
        if (ch <= 0x20 || ch == 0x7f || strchr("\"<>()[]\\,;:", ch)) {
            *why = "must not contain spaces, quotes or brackets";
            return APS_E_INVAL;
        }
        if (ch == '@') {
            at = i;
            ats++;
        }
        out[i] = (char)tolower(ch);
    }
    out[n] = '\0';
    const char *domain = out + at + 1;
    if (ats != 1 || at == 0 || at > 64 || !strchr(domain, '.') || domain[0] == '.' ||
        out[n - 1] == '.' || strstr(domain, "..")) {
        *why = "must look like name@example.com";
        return APS_E_INVAL;
    }
    return 0;
}

int aps_accounts_user_create(struct aps_conn *c, const char *email, const char *password_hash,
                             const char *name, enum aps_role role, int64_t now, int64_t *id)
{
    if (role < 0 || role >= APS_ROLE__COUNT)
        return APS_E_INVAL;
    return aps_conn_query_row(c,
                              "INSERT INTO users (email, password_hash, name, role, created_at,"
                              " updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?5) RETURNING id",
                              "i", id, "ssssi", email, password_hash, name, aps_role_name(role),
                              now);
}

#define USER_COLUMNS                                                                     \
    "SELECT id, email, name, password_hash, role, is_active, totp_secret, totp_enabled," \
    " totp_pending, failed_logins, locked_until, last_login_at, created_at, token_gen,"  \
    " totp_last_step FROM users"

/* The additional data that ties a sealed TOTP seed to its user's row (seal.h). */
static void seal_ad(int64_t user_id, char ad[32])
{
    snprintf(ad, 32, "users:%lld", (long long)user_id);
}

/* Opens a stored seed into out; one that does not open (a key no longer configured, a value
 * from another row) reads as none, so 2FA checks against it fail closed. */
static void open_seed(const char *stored, int64_t user_id, char *out, size_t cap)
{
    char ad[32];
    seal_ad(user_id, ad);
    out[0] = '\0';
    if (stored && aps_unseal(stored, ad, out, cap))
        out[0] = '\0';
}

static void read_user(struct aps_stmt *s, struct aps_user *u)
{
    memset(u, 0, sizeof *u);
    u->id = aps_stmt_int64(s, 0);
    acc_copy(u->email, sizeof u->email, aps_stmt_text(s, 1));
    acc_copy(u->name, sizeof u->name, aps_stmt_text(s, 2));
    acc_copy(u->password_hash, sizeof u->password_hash, aps_stmt_text(s, 3));
    int r = aps_role_parse(aps_stmt_text(s, 4) ? aps_stmt_text(s, 4) : "");
    u->role = r >= 0 ? (enum aps_role)r : APS_ROLE_USER;
    u->is_active = aps_stmt_int64(s, 5) != 0;
    open_seed(aps_stmt_text(s, 6), u->id, u->totp_secret, sizeof u->totp_secret);
    u->totp_enabled = aps_stmt_int64(s, 7) != 0;
    open_seed(aps_stmt_text(s, 8), u->id, u->totp_pending, sizeof u->totp_pending);
    u->failed_logins = (int)aps_stmt_int64(s, 9);
    u->locked_until = aps_stmt_int64(s, 10);
    u->last_login_at = aps_stmt_is_null(s, 11) ? 0 : aps_stmt_int64(s, 11);
    u->created_at = aps_stmt_int64(s, 12);
    u->token_gen = aps_stmt_int64(s, 13);
    u->totp_last_step = aps_stmt_int64(s, 14);
}

/* The user that sql (USER_COLUMNS and a WHERE with spec's parameters) finds. */
static int user_where(struct aps_conn *c, struct aps_user *u, const char *sql, const char *spec,
                      ...)
{
    struct aps_stmt *s = NULL;
    va_list ap;
    va_start(ap, spec);
    int rc = aps_conn_vpreparef(c, &s, sql, spec, ap);
    va_end(ap);
    if (rc)
        return rc;
    rc = aps_stmt_step(s);
    if (rc == APS_ROW) {
        read_user(s, u);
        rc = 0;
    } else if (rc == APS_DONE) {
        rc = APS_E_NOTFOUND;
    }
    aps_stmt_finalize(s);
    return rc;
}

int aps_accounts_user_by_email(struct aps_conn *c, const char *email, struct aps_user *u)
{
    return user_where(c, u, USER_COLUMNS " WHERE email = ?1", "s", email);
}

int aps_accounts_user_by_id(struct aps_conn *c, int64_t id, struct aps_user *u)
{
    return user_where(c, u, USER_COLUMNS " WHERE id = ?1", "i", id);
}

int aps_accounts_access_status(struct aps_conn *c, int64_t id, int64_t sid,
                               struct aps_user_status *out)
{
    struct aps_stmt *s = NULL;
    int rc = aps_conn_preparef(c, &s,
                               "SELECT u.role, u.is_active, u.email, u.token_gen, u.totp_enabled,"
                               " (SELECT COUNT(*) FROM sessions s WHERE s.family_id = ?2"
                               " AND s.user_id = u.id AND s.revoked = 0)"
                               " FROM users u WHERE u.id = ?1",
                               "ii", id, sid);
    if (rc)
        return rc;
    rc = aps_stmt_step(s);
    if (rc == APS_ROW) {
        int r = aps_role_parse(aps_stmt_text(s, 0) ? aps_stmt_text(s, 0) : "");
        out->role = r >= 0 ? (enum aps_role)r : APS_ROLE_USER;
        out->active = aps_stmt_int64(s, 1) != 0;
        acc_copy(out->email, sizeof out->email, aps_stmt_text(s, 2));
        out->token_gen = aps_stmt_int64(s, 3);
        out->two_factor = aps_stmt_int64(s, 4) != 0;
        out->session_live = aps_stmt_int64(s, 5) > 0;
        rc = 0;
    } else if (rc == APS_DONE) {
        rc = APS_E_NOTFOUND;
    }
    aps_stmt_finalize(s);
    return rc;
}

int aps_accounts_user_status(struct aps_conn *c, int64_t id, struct aps_user_status *out)
{
    return aps_accounts_access_status(c, id, 0, out);
}

/* Runs one UPDATE of a user (?1 the user, ?2 a text, ?3 now) and the revocation of all their
 * sessions, in the caller's transaction. */
static int update_revoke(struct aps_conn *c, const char *sql, int64_t user_id, const char *text,
                         int64_t now, int64_t *revoked)
{
    int64_t changed = 0;
    int rc = aps_conn_changef(c, &changed, sql, "isi", user_id, text, now);
    if (!rc && changed == 0)
        rc = APS_E_NOTFOUND;
    if (!rc)
        rc = aps_accounts_session_revoke_all(c, user_id, revoked);
    return rc;
}

/* update_revoke in a transaction of its own. */
static int update_and_revoke(struct aps_conn *c, const char *sql, int64_t user_id,
                             const char *text, int64_t now, int64_t *revoked)
{
    int rc = aps_conn_begin(c);
    if (rc)
        return rc;
    rc = update_revoke(c, sql, user_id, text, now, revoked);
    if (!rc)
        rc = aps_conn_commit(c);
    if (rc)
        aps_conn_rollback(c);
    return rc;
}

int aps_accounts_user_change_role(struct aps_conn *c, int64_t id, enum aps_role role, int64_t now,
                                  int64_t *revoked, bool *changed)
{
    int64_t n = 0;
    if (revoked)
        *revoked = 0;
    if (changed)
        *changed = false;
    if (role < 0 || role >= APS_ROLE__COUNT)
        return APS_E_INVAL;
    /* Only a role that differs is written: the same role keeps the sessions and token_gen. */
    int rc = aps_conn_changef(c, &n,
                              "UPDATE users SET role = ?2, updated_at = ?3,"
                              " token_gen = token_gen + 1 WHERE id = ?1 AND role <> ?2",
                              "isi", id, aps_role_name(role), now);
    if (!rc && n == 0) { /* no such user, or the role it has already */
        char had[24];
        return aps_conn_query_row(c, "SELECT role FROM users WHERE id = ?1", "s", had, sizeof had,
                                  "i", id);
    }
    if (!rc && changed)
        *changed = true;
    return rc ? rc : aps_accounts_session_revoke_all(c, id, revoked);
}

int aps_accounts_user_set_role(struct aps_conn *c, int64_t id, enum aps_role role, int64_t now,
                               bool *changed)
{
    int rc = aps_conn_begin(c);
    if (rc)
        return rc;
    rc = aps_accounts_user_change_role(c, id, role, now, NULL, changed);
    if (!rc)
        rc = aps_conn_commit(c);
    if (rc)
        aps_conn_rollback(c);
    return rc;
}

int aps_accounts_user_set_password(struct aps_conn *c, int64_t id, const char *password_hash,
                                   int64_t now, int64_t *revoked)
{
    return update_and_revoke(c,
                             "UPDATE users SET password_hash = ?2, updated_at = ?3,"
                             " failed_logins = 0, token_gen = token_gen + 1 WHERE id = ?1",
                             id, password_hash, now, revoked);
}

int aps_accounts_login_failed(struct aps_conn *c, int64_t id, int64_t now, int64_t *locked_until)
{
    /* One statement, so concurrent failures count exactly: every SET expression reads the
     * row's old values. The fifth failure locks and restarts the count. */
    int64_t changed = 0, until = 0;
    *locked_until = 0;
    int rc = aps_conn_changef(c, &changed,
                              "UPDATE users SET"
                              " failed_logins = CASE WHEN failed_logins + 1 >= ?3 THEN 0"
                              " ELSE failed_logins + 1 END,"
                              " locked_until = CASE WHEN failed_logins + 1 >= ?3 THEN ?2"
                              " ELSE locked_until END WHERE id = ?1",
                              "iii", id, now + APS_ACCOUNTS_LOCK_SECONDS,
                              (int64_t)APS_ACCOUNTS_MAX_FAILURES);
    if (rc)
        return rc;
    if (changed == 0)
        return APS_E_NOTFOUND;
    rc = aps_conn_query_row(c, "SELECT locked_until FROM users WHERE id = ?1", "i", &until, "i",
                            id);
    if (rc)
        return rc;
    if (until == now + APS_ACCOUNTS_LOCK_SECONDS)
        *locked_until = until;
    return 0;
}

int aps_accounts_login_succeeded(struct aps_conn *c, int64_t id, int64_t now)
{
    return aps_conn_execf(c, "UPDATE users SET failed_logins = 0, last_login_at = ?2 WHERE id = ?1",
                          "ii", id, now);
}

int aps_accounts_totp_set_pending(struct aps_conn *c, int64_t user_id, const char *secret,
                                  int64_t now)
{
    char ad[32], sealed[APS_SEAL_MAX];
    seal_ad(user_id, ad);
    int rc = aps_seal(secret, ad, sealed, sizeof sealed);
    if (rc)
        return rc;
    int64_t changed = 0;
    rc = aps_conn_changef(c, &changed,
                          "UPDATE users SET totp_pending = ?2, updated_at = ?3"
                          " WHERE id = ?1 AND totp_enabled = 0",
                          "isi", user_id, sealed, now);
    if (!rc && changed == 0)
        rc = APS_E_STATE;
    return rc;
}

/* The stored (sealed) text of a seed column of one user. */
static int stored_seed(struct aps_conn *c, int64_t user_id, const char *col, char *out,
                       size_t cap)
{
    char sql[96];
    struct aps_stmt *s = NULL;
    int rc = aps_str_fmt(sql, sizeof sql, "SELECT %s FROM users WHERE id = ?1", col);
    if (!rc)
        rc = aps_conn_preparef(c, &s, sql, "i", user_id);
    if (!rc)
        rc = aps_stmt_step(s);
    if (rc == APS_ROW)
        rc = aps_str_copy(out, cap, aps_stmt_text(s, 0) ? aps_stmt_text(s, 0) : "");
    else if (rc == APS_DONE)
        rc = APS_E_NOTFOUND;
    aps_stmt_finalize(s);
    return rc;
}

int aps_accounts_totp_enable(struct aps_conn *c, int64_t user_id, const char *code, int64_t now)
{
    struct aps_user u;
    int rc = aps_accounts_user_by_id(c, user_id, &u);
    if (rc)
        return rc;
    if (u.totp_enabled || !u.totp_pending[0])
        return APS_E_STATE;
    /* A new secret: no step of it has been used yet. */
    int64_t step = aps_totp_match(u.totp_pending, code, now, -1);
    if (step < 0)
        return APS_E_INTEGRITY;
    char stored[APS_SEAL_MAX];
    rc = stored_seed(c, user_id, "totp_pending", stored, sizeof stored);
    if (rc)
        return rc;
    int64_t changed = 0;
    /* Conditional on the same pending secret, so a setup racing with this verify wins. The
     * stored (sealed) value moves as it is: both columns seal for the same row. */
    rc = aps_conn_changef(c, &changed,
                          "UPDATE users SET totp_secret = totp_pending, totp_enabled = 1,"
                          " totp_pending = NULL, totp_last_step = ?4, updated_at = ?3"
                          " WHERE id = ?1 AND totp_pending = ?2 AND totp_enabled = 0",
                          "isii", user_id, stored, now, step);
    if (!rc && changed == 0)
        rc = APS_E_STATE;
    return rc;
}

/* Checks code against the enabled secret and spends it: the UPDATE (disable too, or only the
 * step) runs only while 2FA is on and the last step accepted is earlier than the code's, so of
 * two connections presenting one code only the first to write succeeds. */
static int totp_spend(struct aps_conn *c, int64_t user_id, const char *code, int64_t now,
                      bool disable)
{
    struct aps_user u;
    int rc = aps_accounts_user_by_id(c, user_id, &u);
    if (rc)
        return rc;
    if (!u.totp_enabled || !u.totp_secret[0])
        return APS_E_STATE;
    int64_t step = aps_totp_match(u.totp_secret, code, now, u.totp_last_step);
    if (step < 0)
        return APS_E_INTEGRITY;
    /* Only the disable statement records the time (?3): the spec binds it only there. */
    const char *sql = disable ? "UPDATE users SET totp_secret = NULL, totp_enabled = 0,"
                                " totp_pending = NULL, totp_last_step = ?2, updated_at = ?3"
                                " WHERE id = ?1 AND totp_enabled = 1 AND totp_last_step < ?2"
                              : "UPDATE users SET totp_last_step = ?2"
                                " WHERE id = ?1 AND totp_enabled = 1 AND totp_last_step < ?2";
    int64_t changed = 0;
    rc = aps_conn_changef(c, &changed, sql, disable ? "iii" : "ii", user_id, step, now);
    if (!rc && changed == 0)
        rc = APS_E_INTEGRITY;
    return rc;
}

int aps_accounts_totp_use(struct aps_conn *c, int64_t user_id, const char *code, int64_t now)
{
    return totp_spend(c, user_id, code, now, false);
}

int aps_accounts_totp_disable(struct aps_conn *c, int64_t user_id, const char *code, int64_t now)
{
    return totp_spend(c, user_id, code, now, true);
}

struct stored_row {
    int64_t id;
    char col[2][APS_SEAL_MAX];
    bool null[2];
};

static int stored_rows(struct aps_conn *c, struct stored_row **out, size_t *n)
{
    struct aps_stmt *s = NULL;
    struct stored_row *v = NULL;
    size_t count = 0;
    int rc = aps_conn_prepare(c, "SELECT id, totp_secret, totp_pending FROM users WHERE"
                                 " totp_secret IS NOT NULL OR totp_pending IS NOT NULL ORDER BY id",
                              &s);
    while (!rc && (rc = aps_stmt_step(s)) == APS_ROW) {
        rc = 0;
        v = aps_realloc(v, (count + 1) * sizeof *v);
        v[count].id = aps_stmt_int64(s, 0);
        for (int k = 0; k < 2; k++) {
            v[count].null[k] = aps_stmt_is_null(s, 1 + k);
            acc_copy(v[count].col[k], sizeof v[count].col[k], aps_stmt_text(s, 1 + k));
        }
        count++;
    }
    aps_stmt_finalize(s);
    if (rc < 0) {
        aps_free(v);
        return rc;
    }
    *out = v;
    *n = count;
    return 0;
}

int aps_accounts_totp_reseal(struct aps_conn *c, int64_t *resealed, int64_t *unopened)
{
    static const char *const update[2] = {
        "UPDATE users SET totp_secret = ?2 WHERE id = ?1 AND totp_secret = ?3",
        "UPDATE users SET totp_pending = ?2 WHERE id = ?1 AND totp_pending = ?3"};
    struct stored_row *v = NULL;
    size_t n = 0;
    *resealed = *unopened = 0;
    int rc = stored_rows(c, &v, &n);
    for (size_t i = 0; !rc && i < n; i++) {
        for (int k = 0; !rc && k < 2; k++) {
            char ad[32], plain[APS_TOTP_SECRET_CAP], sealed[APS_SEAL_MAX];
            if (v[i].null[k] || aps_seal_is_current(v[i].col[k]))
                continue;
            seal_ad(v[i].id, ad);
            if (aps_unseal(v[i].col[k], ad, plain, sizeof plain)) {
                (*unopened)++;
                continue;
            }
            rc = aps_seal(plain, ad, sealed, sizeof sealed);
            int64_t changed = 0;
            if (!rc)
                rc = aps_conn_changef(c, &changed, update[k], "iss", v[i].id, sealed,
                                      v[i].col[k]);
            *resealed += changed;
        }
    }
    aps_free(v);
    return rc;
}

/* ---- sessions --------------------------------------------------------------------------- */

static void origin_args(const struct aps_session_origin *from, char ip[65], char ua[257])
{
    acc_copy(ip, 65, from ? from->ip : NULL);
    acc_copy(ua, 257, from ? from->user_agent : NULL);
}

/* Inserts a session row for a fresh token in the chain family (0: the row starts its own
 * family); *id = its row. */
static int session_insert(struct aps_conn *c, int64_t user_id, int64_t ttl, int64_t now,
                          const struct aps_session_origin *from, int64_t family,
                          char token[APS_AUTH_TOKEN_CAP], int64_t *id)
{
    char hash[APS_AUTH_SHA256_HEX], ip[65], ua[257];
    aps_auth_random_token(token);
    aps_auth_sha256_hex(token, hash);
    origin_args(from, ip, ua);
    int rc = aps_conn_query_row(c,
                                "INSERT INTO sessions (user_id, token_hash, expires_at, ip,"
                                " user_agent, created_at, family_id) VALUES (?1, ?2, ?3, ?4, ?5,"
                                " ?6, ?7) RETURNING id",
                                "i", id, "isiSSii", user_id, hash, now + ttl, ip, ua, now,
                                family);
    if (!rc && !family)
        rc = aps_conn_execf(c, "UPDATE sessions SET family_id = id WHERE id = ?1", "i", *id);
    return rc;
}

int aps_accounts_session_create(struct aps_conn *c, int64_t user_id, int64_t ttl, int64_t now,
                                const struct aps_session_origin *from,
                                char token[APS_AUTH_TOKEN_CAP], int64_t *family)
{
    int64_t id = 0;
    if (ttl <= 0)
        return APS_E_INVAL;
    int rc = session_insert(c, user_id, ttl, now, from, 0, token, &id);
    if (!rc && family)
        *family = id;
    return rc;
}

/* Revokes a rotated chain from row id onwards, following replaced_by (bounded, in case of a
 * cycle that cannot happen but would otherwise never end). */
static int revoke_chain(struct aps_conn *c, int64_t id)
{
    for (int step = 0; id > 0 && step < 100000; step++) {
        int64_t next = 0;
        int rc = aps_conn_execf(c, "UPDATE sessions SET revoked = 1 WHERE id = ?1", "i", id);
        if (rc)
            return rc;
        rc = aps_conn_query_row(c, "SELECT COALESCE(replaced_by, 0) FROM sessions WHERE id = ?1",
                                "i", &next, "i", id);
        if (rc)
            return rc == APS_E_NOTFOUND ? 0 : rc;
        id = next;
    }
    return 0;
}

struct session_row {
    int64_t id, user_id, expires_at, replaced_by, family;
    bool revoked;
};

static int session_find(struct aps_conn *c, const char *token, struct session_row *r)
{
    char hash[APS_AUTH_SHA256_HEX];
    struct aps_stmt *s = NULL;
    aps_auth_sha256_hex(token, hash);
    int rc = aps_conn_preparef(c, &s,
                               "SELECT id, user_id, expires_at, revoked, COALESCE(replaced_by, 0),"
                               " COALESCE(family_id, id) FROM sessions WHERE token_hash = ?1",
                               "s", hash);
    if (rc)
        return rc;
    rc = aps_stmt_step(s);
    if (rc == APS_ROW) {
        r->id = aps_stmt_int64(s, 0);
        r->user_id = aps_stmt_int64(s, 1);
        r->expires_at = aps_stmt_int64(s, 2);
        r->revoked = aps_stmt_int64(s, 3) != 0;
        r->replaced_by = aps_stmt_int64(s, 4);
        r->family = aps_stmt_int64(s, 5);
        rc = 0;
    } else if (rc == APS_DONE) {
        rc = APS_E_NOTFOUND;
    }
    aps_stmt_finalize(s);
    return rc;
}

/* The body of a rotation inside its transaction; APS_E_INTEGRITY means reuse was detected and
 * the caller must revoke the chain from the old row. */
static int rotate_in_txn(struct aps_conn *c, const struct session_row *old, int64_t ttl,
                         int64_t now, const struct aps_session_origin *from,
                         char new_token[APS_AUTH_TOKEN_CAP])
{
    int64_t new_id = 0, changed = 0;
    if (old->revoked)
        return old->replaced_by ? APS_E_INTEGRITY : APS_E_STATE;
    if (old->expires_at <= now)
        return APS_E_TIMEOUT;
    int rc = session_insert(c, old->user_id, ttl, now, from, old->family, new_token, &new_id);
    if (rc)
        return rc;
    /* Conditional on revoked = 0: of two rotations racing on one token, one changes the row
     * and the other sees 0 rows — which is reuse. */
    rc = aps_conn_changef(c, &changed,
                          "UPDATE sessions SET revoked = 1, replaced_by = ?2 WHERE id = ?1"
                          " AND revoked = 0",
                          "ii", old->id, new_id);
    if (!rc && changed != 1)
        rc = APS_E_INTEGRITY;
    return rc;
}

int aps_accounts_session_rotate(struct aps_conn *c, const char *token, int64_t ttl, int64_t now,
                                const struct aps_session_origin *from,
                                char new_token[APS_AUTH_TOKEN_CAP], int64_t *user_id,
                                int64_t *family)
{
    struct session_row old = {0};
    if (ttl <= 0 || !token || !*token)
        return ttl <= 0 ? APS_E_INVAL : APS_E_NOTFOUND;
    int rc = aps_conn_begin(c);
    if (rc)
        return rc;
    rc = session_find(c, token, &old);
    if (!rc)
        rc = rotate_in_txn(c, &old, ttl, now, from, new_token);
    if (!rc) {
        rc = aps_conn_commit(c);
        if (!rc) {
            *user_id = old.user_id;
            if (family)
                *family = old.family;
        }
        return rc;
    }
    aps_conn_rollback(c);
    new_token[0] = '\0';
    if (rc != APS_E_INTEGRITY)
        return rc;
    /* Reuse: revoke the chain in a transaction of its own (the rotation was rolled back). */
    *user_id = old.user_id;
    int rc2 = aps_conn_begin(c);
    if (!rc2)
        rc2 = revoke_chain(c, old.id);
    if (!rc2)
        rc2 = aps_conn_commit(c);
    if (rc2) {
        aps_conn_rollback(c);
        return rc2;
    }
    return APS_E_INTEGRITY;
}

int aps_accounts_session_revoke(struct aps_conn *c, int64_t user_id, const char *token)
{
    char hash[APS_AUTH_SHA256_HEX];
    int64_t changed = 0;
    if (!token || !*token)
        return APS_E_NOTFOUND;
    aps_auth_sha256_hex(token, hash);
    int rc = aps_conn_changef(c, &changed,
                              "UPDATE sessions SET revoked = 1"
                              " WHERE token_hash = ?2 AND user_id = ?1 AND revoked = 0",
                              "is", user_id, hash);
    if (!rc && changed == 0)
        rc = APS_E_NOTFOUND;
    return rc;
}

int aps_accounts_session_revoke_all(struct aps_conn *c, int64_t user_id, int64_t *n)
{
    int64_t changed = 0;
    int rc = aps_conn_changef(c, &changed,
                              "UPDATE sessions SET revoked = 1 WHERE user_id = ?1 AND revoked = 0",
                              "i", user_id);
    if (!rc && n)
        *n = changed;
    return rc;
}

/* ---- API keys --------------------------------------------------------------------------- */

#define KEY_COLUMNS                                                                          \
    "k.id, k.user_id, k.name, k.prefix, k.rate_limit_per_min, k.revoked, k.last_used_at," \
    " k.expires_at, k.created_at"

static void read_key(struct aps_stmt *s, struct aps_api_key *k)
{
    memset(k, 0, sizeof *k);
    k->id = aps_stmt_int64(s, 0);
    k->user_id = aps_stmt_int64(s, 1);
    acc_copy(k->name, sizeof k->name, aps_stmt_text(s, 2));
    acc_copy(k->prefix, sizeof k->prefix, aps_stmt_text(s, 3));
    k->rate_limit_per_min = (int)aps_stmt_int64(s, 4);
    k->revoked = aps_stmt_int64(s, 5) != 0;
    k->last_used_at = aps_stmt_is_null(s, 6) ? 0 : aps_stmt_int64(s, 6);
    k->expires_at = aps_stmt_is_null(s, 7) ? 0 : aps_stmt_int64(s, 7);
    k->created_at = aps_stmt_int64(s, 8);
}

int aps_accounts_api_key_create(struct aps_conn *c, int64_t user_id, const char *name,
                                int rate_limit_per_min, int64_t expires_at, int64_t now,
                                char key[APS_AUTH_KEY_CAP], struct aps_api_key *out)
{
    char prefix[APS_AUTH_KEY_PREFIX_LEN + 1], hash[APS_AUTH_SHA256_HEX];
    int64_t live = 0, id = 0;
    if (!name || !*name || rate_limit_per_min < 1 || (expires_at && expires_at <= now))
        return APS_E_INVAL;
    int rc = aps_conn_query_row(c,
                                "SELECT COUNT(*) FROM api_keys WHERE user_id = ?1 AND revoked = 0"
                                " AND (expires_at IS NULL OR expires_at > ?2)",
                                "i", &live, "ii", user_id, now);
    if (rc)
        return rc;
    if (live >= APS_ACCOUNTS_MAX_API_KEYS)
        return APS_E_RANGE;
    aps_auth_api_key_new(key, prefix, hash);
    rc = aps_conn_query_row(c,
                            "INSERT INTO api_keys (user_id, name, prefix, key_hash,"
                            " rate_limit_per_min, expires_at, created_at)"
                            " VALUES (?1, ?2, ?3, ?4, ?5, NULLIF(?6, 0), ?7) RETURNING id",
                            "i", &id, "isssiii", user_id, name, prefix, hash,
                            (int64_t)rate_limit_per_min, expires_at, now);
    if (rc) {
        key[0] = '\0';
        return rc;
    }
    memset(out, 0, sizeof *out);
    out->id = id;
    out->user_id = user_id;
    acc_copy(out->name, sizeof out->name, name);
    acc_copy(out->prefix, sizeof out->prefix, prefix);
    out->rate_limit_per_min = rate_limit_per_min;
    out->expires_at = expires_at;
    out->created_at = now;
    return 0;
}

int aps_accounts_api_key_list(struct aps_conn *c, int64_t user_id, struct aps_api_key **out,
                              size_t *n)
{
    struct aps_stmt *s = NULL;
    struct aps_api_key *v = NULL;
    size_t len = 0, cap = 0;
    *out = NULL;
    *n = 0;
    int rc = aps_conn_preparef(c, &s,
                               "SELECT " KEY_COLUMNS " FROM api_keys k WHERE k.user_id = ?1"
                               " ORDER BY k.created_at DESC, k.id DESC",
                               "i", user_id);
    if (rc)
        return rc;
    while ((rc = aps_stmt_step(s)) == APS_ROW) {
        if (len == cap) {
            cap = cap ? cap * 2 : 8;
            v = aps_realloc(v, cap * sizeof *v);
        }
        read_key(s, &v[len++]);
    }
    aps_stmt_finalize(s);
    if (rc != APS_DONE) {
        aps_free(v);
        return rc;
    }
    *out = v;
    *n = len;
    return 0;
}

int aps_accounts_api_key_revoke(struct aps_conn *c, int64_t user_id, int64_t id)
{
    int64_t changed = 0;
    int rc = aps_conn_changef(c, &changed,
                              "UPDATE api_keys SET revoked = 1 WHERE id = ?1 AND user_id = ?2"
                              " AND revoked = 0",
                              "ii", id, user_id);
    if (!rc && changed == 0)
        rc = APS_E_NOTFOUND;
    return rc;
}

int aps_accounts_api_key_lookup(struct aps_conn *c, const char *key, int64_t now,
                                struct aps_api_key_owner *out)
{
    char hash[APS_AUTH_SHA256_HEX];
    struct aps_stmt *s = NULL;
    if (!aps_auth_api_key_shape(key))
        return APS_E_NOTFOUND;
    aps_auth_sha256_hex(key, hash);
    int rc = aps_conn_preparef(c, &s,
                               "SELECT " KEY_COLUMNS
                               ", u.role, u.is_active, u.email, u.totp_enabled FROM"
                               " api_keys k JOIN users u ON u.id = k.user_id WHERE k.key_hash = ?1",
                               "s", hash);
    if (rc)
        return rc;
    rc = aps_stmt_step(s);
    if (rc == APS_ROW) {
        memset(out, 0, sizeof *out);
        read_key(s, &out->key);
        int r = aps_role_parse(aps_stmt_text(s, 9) ? aps_stmt_text(s, 9) : "");
        out->role = r >= 0 ? (enum aps_role)r : APS_ROLE_USER;
        out->active = aps_stmt_int64(s, 10) != 0;
        acc_copy(out->email, sizeof out->email, aps_stmt_text(s, 11));
        out->two_factor = aps_stmt_int64(s, 12) != 0;
        rc = 0;
    } else if (rc == APS_DONE) {
        rc = APS_E_NOTFOUND;
    }
    aps_stmt_finalize(s);
    if (rc)
        return rc;
    if (out->key.revoked)
        return APS_E_STATE;
    if (out->key.expires_at && out->key.expires_at <= now)
        return APS_E_TIMEOUT;
    return 0;
}

int aps_accounts_api_key_touch(struct aps_conn *c, int64_t id, int64_t now)
{
    return aps_conn_execf(c, "UPDATE api_keys SET last_used_at = ?2 WHERE id = ?1", "ii", id,
                          now);
}
