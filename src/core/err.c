/* err.c — text for the error codes of err.h. */
#include "core/err.h"

const char *aps_strerror(int err)
{
    switch (err) {
    case 0:
        return "success";
#define APS_ERR_CASE(name, code, text) \
    case code:                         \
        return text;
        APS_ERR_MAP(APS_ERR_CASE)
#undef APS_ERR_CASE
    default:
        return "unknown error";
    }
}
