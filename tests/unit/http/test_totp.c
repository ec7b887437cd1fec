/* test_totp.c — RFC 6238 TOTP: the appendix B SHA1 vectors (8 digits as printed, 6 digits as
 * their last six), base32 round trips and RFC 4648 vectors, the ±1 step window, and the
 * otpauth:// URI. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "http/totp.h"

/* The RFC's SHA1 seed is the ASCII string "12345678901234567890"; in base32: */
#define RFC_SECRET "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"

static const struct {
    int64_t t;
    const char *code8;
} rfc_rows[] = {
    {59, "94287082"},         {1111111109, "07081804"}, {1111111111, "14050471"},
    {1234567890, "89005924"}, {2000000000, "69279037"}, {20000000000LL, "65353130"},
};

static void test_rfc6238_sha1_vectors(void **state)
{
    char out[9];
    for (size_t i = 0; i < sizeof rfc_rows / sizeof rfc_rows[0]; i++) {
        assert_int_equal(aps_totp_code(RFC_SECRET, rfc_rows[i].t, 8, out), 0);
        assert_string_equal(out, rfc_rows[i].code8);
        assert_int_equal(aps_totp_code(RFC_SECRET, rfc_rows[i].t, 6, out), 0);
        assert_string_equal(out, rfc_rows[i].code8 + 2);
    }
}

static void test_hotp_rfc4226_vectors(void **state)
{
    /* RFC 4226 appendix D, same ASCII seed. */
    static const uint32_t want[] = {755224, 287082, 359152, 969429, 338314,
                                    254676, 287922, 162583, 399871, 520489};
    const uint8_t *key = (const uint8_t *)"12345678901234567890";
    for (uint64_t c = 0; c < 10; c++) {
        uint32_t code = 0;
        assert_int_equal(aps_totp_hotp(key, 20, c, 6, &code), 0);
        assert_int_equal(code, want[c]);
    }
    uint32_t code;
    assert_int_equal(aps_totp_hotp(key, 20, 0, 5, &code), APS_E_INVAL);
    assert_int_equal(aps_totp_hotp(key, 20, 0, 9, &code), APS_E_INVAL);
}

static void test_base32(void **state)
{
    /* RFC 4648 §10 vectors (we write no padding). */
    static const char *plain[] = {"f", "fo", "foo", "foob", "fooba", "foobar"};
    static const char *enc[] = {"MY", "MZXQ", "MZXW6", "MZXW6YQ", "MZXW6YTB", "MZXW6YTBOI"};
    char out[32];
    uint8_t back[32];
    size_t n = 0;
    for (int i = 0; i < 6; i++) {
        assert_int_equal(aps_totp_base32_encode((const uint8_t *)plain[i], strlen(plain[i]), out,
                                                sizeof out),
                         0);
        assert_string_equal(out, enc[i]);
        assert_int_equal(aps_totp_base32_decode(enc[i], back, sizeof back, &n), 0);
        assert_int_equal(n, strlen(plain[i]));
        assert_memory_equal(back, plain[i], n);
    }
    /* Lower case, spaces and padding are tolerated; other characters are not. */
    assert_int_equal(aps_totp_base32_decode("mzxw 6ytb oi======", back, sizeof back, &n), 0);
    assert_int_equal(n, 6);
    assert_int_equal(aps_totp_base32_decode("MZXW1", back, sizeof back, &n), APS_E_PARSE);
    assert_int_equal(aps_totp_base32_decode("MZXW6YTBOI", back, 3, &n), APS_E_TOOBIG);
    assert_int_equal(aps_totp_base32_encode((const uint8_t *)"foobar", 6, out, 10), APS_E_TOOBIG);
}

static void test_secret_new(void **state)
{
    char a[APS_TOTP_SECRET_CAP], b[APS_TOTP_SECRET_CAP];
    uint8_t raw[64];
    size_t n = 0;
    aps_totp_secret_new(a);
    aps_totp_secret_new(b);
    assert_int_equal(strlen(a), 32);
    assert_string_not_equal(a, b);
    assert_int_equal(aps_totp_base32_decode(a, raw, sizeof raw, &n), 0);
    assert_int_equal(n, 20); /* 160 bits */
}

static void test_verify_window(void **state)
{
    const int64_t now = 1700000000; /* a multiple of 10, mid-step: 1700000000 % 30 == 20 */
    const int64_t step = now / 30;
    char code[9];
    assert_int_equal(aps_totp_code(RFC_SECRET, now, 6, code), 0);
    assert_int_equal(aps_totp_match(RFC_SECRET, code, now, -1), step);
    /* The previous and next steps are accepted, two away are not. */
    assert_int_equal(aps_totp_code(RFC_SECRET, now - 30, 6, code), 0);
    assert_int_equal(aps_totp_match(RFC_SECRET, code, now, -1), step - 1);
    assert_int_equal(aps_totp_code(RFC_SECRET, now + 30, 6, code), 0);
    assert_int_equal(aps_totp_match(RFC_SECRET, code, now, -1), step + 1);
    assert_int_equal(aps_totp_code(RFC_SECRET, now - 60, 6, code), 0);
    assert_int_equal(aps_totp_match(RFC_SECRET, code, now, -1), -1);
    assert_int_equal(aps_totp_code(RFC_SECRET, now + 60, 6, code), 0);
    assert_int_equal(aps_totp_match(RFC_SECRET, code, now, -1), -1);
    /* Shapes: wrong length, NULL, a bad secret. */
    assert_int_equal(aps_totp_match(RFC_SECRET, "12345", now, -1), -1);
    assert_int_equal(aps_totp_match(RFC_SECRET, "1234567", now, -1), -1);
    assert_int_equal(aps_totp_match(RFC_SECRET, NULL, now, -1), -1);
    assert_int_equal(aps_totp_match("not base32!", "123456", now, -1), -1);
}

/* RFC 6238 §5.2: once a step's code was accepted, neither it nor an earlier step's code is
 * accepted again; a later step inside the window still is. */
static void test_match_after_last_step(void **state)
{
    const int64_t now = 1700000000, step = now / 30;
    char code[9], prev[9], next[9];
    assert_int_equal(aps_totp_code(RFC_SECRET, now, 6, code), 0);
    assert_int_equal(aps_totp_code(RFC_SECRET, now - 30, 6, prev), 0);
    assert_int_equal(aps_totp_code(RFC_SECRET, now + 30, 6, next), 0);
    assert_int_equal(aps_totp_match(RFC_SECRET, code, now, step - 1), step);
    assert_int_equal(aps_totp_match(RFC_SECRET, code, now, step), -1);
    assert_int_equal(aps_totp_match(RFC_SECRET, prev, now, step), -1);
    assert_int_equal(aps_totp_match(RFC_SECRET, prev, now, step - 1), -1);
    assert_int_equal(aps_totp_match(RFC_SECRET, next, now, step), step + 1);
    assert_int_equal(aps_totp_match(RFC_SECRET, next, now, step + 1), -1);
}

static void test_uri(void **state)
{
    char uri[512];
    assert_int_equal(aps_totp_uri(RFC_SECRET, "ann+x@example.com", uri, sizeof uri), 0);
    assert_string_equal(uri, "otpauth://totp/AI%20PRO%20SPORTS:ann%2Bx%40example.com?secret="
                             RFC_SECRET "&issuer=AI%20PRO%20SPORTS&algorithm=SHA1&digits=6"
                             "&period=30");
    assert_int_equal(aps_totp_uri(RFC_SECRET, "a@b.c", uri, 40), APS_E_TOOBIG);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rfc6238_sha1_vectors),
        cmocka_unit_test(test_hotp_rfc4226_vectors),
        cmocka_unit_test(test_base32),
        cmocka_unit_test(test_secret_new),
        cmocka_unit_test(test_verify_window),
        cmocka_unit_test(test_match_after_last_step),
        cmocka_unit_test(test_uri),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
