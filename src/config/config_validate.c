/* config_validate.c — checks one candidate value for a setting against the table (type, bounds,
 * allowed words) without loading a configuration, for callers that change a setting at run time
 * (the admin API's PUT /admin/settings/{key}). The same check as loading, so a value accepted
 * here is one the configuration would also accept. */
#include <string.h>

#include "config/config_int.h"
#include "core/mem.h"
#include "core/str.h"

int aps_config_validate(enum aps_setting key, const char *text, char *norm, size_t normcap,
                        char *err, size_t errcap)
{
    if ((unsigned)key >= APS_SET__COUNT || !text)
        return APS_E_INVAL;
    struct aps_config_value v;
    memset(&v, 0, sizeof v);
    aps_config_value_set(&v, text, APS_SRC_ENVIRON, "request");
    int rc = aps_config_check_value(key, &v, err, errcap);
    if (!rc && norm && aps_str_copy(norm, normcap, v.text ? v.text : ""))
        rc = APS_E_TOOBIG;
    aps_free(v.text);
    aps_free(v.shown);
    aps_free(v.origin);
    return rc;
}
