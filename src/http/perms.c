/* perms.c — the permission table of perms.h. */
#include "http/perms.h"

#include <string.h>

static const unsigned char table[APS_PERM__COUNT][APS_ROLE__COUNT] = {
#define APS_PERM_ROW(name, u, p, a, o, ad) {u, p, a, o, ad},
    APS_PERM_TABLE(APS_PERM_ROW)
#undef APS_PERM_ROW
};

static const char *perm_names[] = {
#define APS_PERM_NAME(name, u, p, a, o, ad) #name,
    APS_PERM_TABLE(APS_PERM_NAME)
#undef APS_PERM_NAME
};

static const char *role_names[] = {"user", "pro", "analyst", "operator", "admin"};

bool aps_role_can(enum aps_role role, enum aps_perm perm)
{
    if ((unsigned)perm >= APS_PERM__COUNT)
        return false;
    if (perm == APS_PERM_PUBLIC)
        return true;
    if (role < 0 || role >= APS_ROLE__COUNT)
        return false;
    return table[perm][role] != 0;
}

bool aps_perm_staff(enum aps_perm perm)
{
    return perm != APS_PERM_PUBLIC && !aps_role_can(APS_ROLE_USER, perm) &&
           !aps_role_can(APS_ROLE_PRO, perm);
}

bool aps_role_needs_two_factor(enum aps_role role)
{
    return role == APS_ROLE_OPERATOR || role == APS_ROLE_ADMIN;
}

const char *aps_role_name(enum aps_role role)
{
    return role >= 0 && role < APS_ROLE__COUNT ? role_names[role] : "anonymous";
}

int aps_role_parse(const char *s)
{
    for (int i = 0; i < APS_ROLE__COUNT; i++)
        if (!strcmp(s, role_names[i]))
            return i;
    return -2;
}

const char *aps_perm_name(enum aps_perm perm)
{
    return (unsigned)perm < APS_PERM__COUNT ? perm_names[perm] : "?";
}
