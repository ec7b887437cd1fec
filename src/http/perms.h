/* perms.h — roles and the one permission table (DESIGN §8; reference §6.1 reduced to the five
 * roles this platform has). A route names the permission it needs; aps_role_can() decides. */
#ifndef APS_HTTP_PERMS_H
#define APS_HTTP_PERMS_H

#include <stdbool.h>

enum aps_role {
    APS_ROLE_ANONYMOUS = -1,
    APS_ROLE_USER = 0,
    APS_ROLE_PRO,
    APS_ROLE_ANALYST,
    APS_ROLE_OPERATOR,
    APS_ROLE_ADMIN,
    APS_ROLE__COUNT
};

/* APS_PERM(name, user, pro, analyst, operator, admin) — 1 where the role holds it. */
#define APS_PERM_TABLE(X)                                   \
    X(PUBLIC, 1, 1, 1, 1, 1)             /* also anonymous */ \
    X(AUTHENTICATED, 1, 1, 1, 1, 1)                          \
    X(VIEW_PREDICTIONS, 1, 1, 1, 1, 1)                       \
    X(MANAGE_OWN_BANKROLL, 1, 1, 0, 0, 1)                    \
    X(ADVANCED_ANALYTICS, 0, 1, 1, 1, 1)                     \
    X(API_KEYS, 0, 1, 1, 1, 1)                               \
    X(VIEW_HEALTH, 0, 0, 0, 1, 1)                            \
    X(MANAGE_MODELS, 0, 0, 1, 0, 1)                          \
    X(VIEW_AUDIT, 0, 0, 0, 1, 1)                             \
    X(MANAGE_ALERTS, 0, 0, 0, 1, 1)                          \
    X(MANAGE_JOBS, 0, 0, 0, 1, 1)                            \
    X(MANAGE_CONFIG, 0, 0, 0, 0, 1)                          \
    X(MANAGE_USERS, 0, 0, 0, 0, 1)

enum aps_perm {
#define APS_PERM_ENUM(name, u, p, a, o, ad) APS_PERM_##name,
    APS_PERM_TABLE(APS_PERM_ENUM)
#undef APS_PERM_ENUM
    APS_PERM__COUNT
};

bool aps_role_can(enum aps_role role, enum aps_perm perm);
/* A permission neither user nor pro holds: the staff's routes (admin, system, jobs, audit,
 * health details, model management). */
bool aps_perm_staff(enum aps_perm perm);
/* The roles that must have 2FA on to use the staff's routes where the environment requires it
 * (the reference's admin and operator). */
bool aps_role_needs_two_factor(enum aps_role role);
const char *aps_role_name(enum aps_role role);  /* "user", "pro", …; "anonymous" */
int aps_role_parse(const char *s);              /* -2 when unknown */
const char *aps_perm_name(enum aps_perm perm);

#endif
