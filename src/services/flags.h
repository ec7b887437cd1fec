/* flags.h — feature flags (seed §3.4, gradual rollout): the flags are declared in flags.def with
 * a default state per environment; an operator's setting lives in the store's feature_flags
 * table (migration 014) and every change is audited (audit_log, action flag_changed).
 *
 * A flag's rule: off (nobody), on (everyone eligible) or percent N (an eligible user gets it when
 * bucket(flag, user) < N, bucket = FNV-1a 64 of "<flag>:<user id>" mod 100: stable per user,
 * independent between flags, and growing N only adds users). Eligible: the user's role is in
 * the rule's roles (none listed: every role). The rule's users get the flag whenever it is not
 * off, whatever their role or bucket; off is a kill switch. A caller with no user id (anonymous)
 * gets a percent flag never, an on flag only when no roles are listed.
 *
 * Reading: each process keeps a snapshot of the table (struct aps_flags, thread-safe) and checks
 * at most once per FEATURE_FLAGS_REFRESH_MS whether the table changed (COUNT and SUM(version), one
 * indexed-free aggregate over a table of a few rows, on the primary), reloading when it did. A
 * change is therefore seen at once by the process that made it (aps_flags_invalidate) and by
 * every other process — api replicas, workers, the scheduler, on one store — within
 * FEATURE_FLAGS_REFRESH_MS plus one query. Polling was chosen over Redis pub/sub: it works on
 * every store without Redis, needs no extra connection or thread, and a lost message cannot
 * leave a process stale. When the store cannot be read the last snapshot stays in force and the
 * failure is counted (aps_feature_flags_refresh_errors_total). */
#ifndef APS_SERVICES_FLAGS_H
#define APS_SERVICES_FLAGS_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "http/perms.h"

struct aps_conn;
struct aps_store;
struct aps_metrics;
struct aps_audit_event;

enum aps_flag {
#define APS_FLAG(id, name, dev, stg, prod, summary) APS_FLAG_##id,
#include "services/flags.def"
#undef APS_FLAG
    APS_FLAG__COUNT
};

enum aps_flag_state { APS_FLAG_OFF, APS_FLAG_ON, APS_FLAG_PERCENT };

#define APS_FLAG_MAX_USERS 32

struct aps_flag_rule {
    enum aps_flag_state state;
    int percent;                        /* 0..100; meaningful for APS_FLAG_PERCENT */
    unsigned roles;                     /* bit (1u << role) per eligible role; 0: every role */
    int64_t users[APS_FLAG_MAX_USERS];  /* always on for these users unless the state is off */
    size_t nusers;
};

/* One flag as the store and the environment define it. */
struct aps_flag_info {
    const char *name, *summary;         /* static (flags.def) */
    struct aps_flag_rule rule;          /* the stored rule, else the environment's default */
    bool stored;                        /* false: the environment's default is in force */
    int64_t version, updated_by, updated_at;
};

struct aps_flags;

/* environment: "development", "staging" or "production" (chooses the defaults); refresh_ms:
 * the most a snapshot is trusted before the table is checked again (>= 1). The store is
 * borrowed and must outlive the handle. The first load happens on first use. */
int aps_flags_open(struct aps_flags **out, struct aps_store *st, const char *environment,
                   int refresh_ms) APS_MUST_CHECK;
void aps_flags_close(struct aps_flags *f); /* NULL is fine */

/* Whether flag is on for this caller (user_id 0: anonymous). f NULL: the flag is off. */
bool aps_flags_enabled(struct aps_flags *f, enum aps_flag flag, int64_t user_id,
                       enum aps_role role);
/* The current snapshot (refreshed first when stale): out has APS_FLAG__COUNT entries. *version
 * (may be NULL) is the table's change counter the snapshot was read at. */
void aps_flags_snapshot(struct aps_flags *f, struct aps_flag_info *out, int64_t *version);
/* Makes the next read check the store (after a change made by this process). */
void aps_flags_invalidate(struct aps_flags *f);
/* Sets aps_feature_flag_enabled{flag} (1 on, 0 off, percent/100), aps_feature_flags_version
 * and aps_feature_flags_refresh_errors_total from the current snapshot. */
void aps_flags_export_metrics(struct aps_flags *f, struct aps_metrics *m);

/* Pure rule evaluation, as described at the top. */
bool aps_flag_rule_allows(const struct aps_flag_rule *r, const char *flag, int64_t user_id,
                          enum aps_role role);
/* The percent bucket 0..99 of a user for a flag. */
int aps_flag_bucket(const char *flag, int64_t user_id);

int aps_flag_find(const char *name);          /* enum aps_flag, or -1 */
const char *aps_flag_name(enum aps_flag flag);
const char *aps_flag_state_name(enum aps_flag_state s); /* "off", "on", "percent" */

/* Parses a rule from text: state "on", "off", "percent" (with percent 0..100) or "N%"; roles a
 * comma list of role names (NULL or "": every role); users a comma list of user ids. On error
 * returns APS_E_INVAL with one line in err. */
int aps_flag_rule_parse(const char *state, int percent, const char *roles, const char *users,
                        struct aps_flag_rule *out, char *err, size_t errcap) APS_MUST_CHECK;
/* {"state", "percent", "roles": [...], "users": [...]} (new reference). */
json_t *aps_flag_rule_json(const struct aps_flag_rule *r);
/* The whole flag: name, summary, the rule's fields, "default" (true when no rule is stored),
 * version, updated_by, updated_at (new reference). */
json_t *aps_flag_info_json(const struct aps_flag_info *fi);

/* Reads every declared flag from the store over c: the stored rule, else environment's default.
 * out has APS_FLAG__COUNT entries; *version the table's change counter. */
int aps_flags_read(struct aps_conn *c, const char *environment, struct aps_flag_info *out,
                   int64_t *version) APS_MUST_CHECK;
/* Stores a new rule for flag and appends its audit row (action flag_changed, resource flag,
 * details {previous, value}) in one transaction over c. who: the actor, ip, user agent and
 * request id of the audit row (action, resource and details are filled here). by: the user id
 * recorded as updated_by (0: none). */
int aps_flags_set(struct aps_conn *c, const char *environment, enum aps_flag flag,
                  const struct aps_flag_rule *rule, int64_t by,
                  const struct aps_audit_event *who) APS_MUST_CHECK;

#endif
