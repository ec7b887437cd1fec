/* err.h — the project's one error space.
 *
 * Every fallible function returns 0 on success or a negative APS_E_* code. Detail text, when there
 * is any, lives on the handle that failed (aps_store_errmsg() and friends), never in a global. */
#ifndef APS_CORE_ERR_H
#define APS_CORE_ERR_H

#define APS_ERR_MAP(X)                                                    \
    X(NOMEM, -1, "out of memory")                                         \
    X(INVAL, -2, "invalid argument")                                      \
    X(IO, -3, "input/output error")                                       \
    X(NOTFOUND, -4, "not found")                                          \
    X(TOOBIG, -5, "input over its size limit")                            \
    X(PARSE, -6, "malformed input")                                       \
    X(RANGE, -7, "value out of range")                                    \
    X(DB, -8, "database error")                                           \
    X(CONFIG, -9, "configuration error")                                  \
    X(EXISTS, -10, "already exists")                                      \
    X(BUSY, -11, "resource busy")                                         \
    X(TIMEOUT, -12, "timed out")                                          \
    X(UNSUPPORTED, -13, "not supported")                                  \
    X(STATE, -14, "operation not valid in this state")                    \
    X(INTEGRITY, -15, "integrity check failed")                           \
    X(NOSPACE, -16, "no space left on the storage device")                \
    X(STALE, -17, "refused: a newer lease holder fenced this one out")   \
    X(INTERRUPTED, -18, "interrupted by a signal")

enum aps_err {
#define APS_ERR_ENUM(name, code, text) APS_E_##name = (code),
    APS_ERR_MAP(APS_ERR_ENUM)
#undef APS_ERR_ENUM
};

/* Text for an APS_E_* code (or "success" for 0); never NULL, static storage. */
const char *aps_strerror(int err);

#define APS_MUST_CHECK __attribute__((warn_unused_result))

#endif
