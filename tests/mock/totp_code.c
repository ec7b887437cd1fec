/* totp_code.c — test helper for tests/integration/api_auth.sh: prints the current RFC 6238 code
 * (6 digits, 30 s step) of a base32 secret, or the code at a given time.
 *   totp_code SECRET [UNIX_TIME] */
#include <stdio.h>

#include "core/str.h"
#include "core/timeutil.h"
#include "http/totp.h"

int main(int argc, char **argv)
{
    int64_t t = aps_time_now();
    char code[9];
    if (argc < 2 || argc > 3 || (argc == 3 && aps_parse_int64(argv[2], &t))) {
        fprintf(stderr, "usage: totp_code SECRET [UNIX_TIME]\n");
        return 2;
    }
    if (aps_totp_code(argv[1], t, APS_TOTP_DIGITS, code)) {
        fprintf(stderr, "totp_code: not a base32 secret\n");
        return 1;
    }
    printf("%s\n", code);
    return 0;
}
