/* test_principal_cache.c — bearer tokens verified once per token: a second verification of the
 * same token is answered from the cache with the same claims; failures (tampered, wrong secret)
 * are never remembered; an expired token is refused even when cached; a change of secret and
 * aps_principal_cache_clear() empty it; more tokens than the cache holds still verify right. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "core/err.h"
#include "core/mem.h"
#include "http/auth.h"
#include "services/principal_cache.h"

#define SECRET "principal-cache-secret-0123456789abcdef"
#define OTHER "another-secret-for-the-same-tokens-0123"
#define NOW 1700000000

static char *issue(int64_t user, int64_t sid, int lifetime)
{
    char *tok = NULL;
    assert_int_equal(aps_auth_token_issue(SECRET, user, APS_ROLE_USER, sid, 3, NOW, lifetime, &tok),
                     0);
    return tok;
}

static struct aps_principal_cache_counts counts(void)
{
    struct aps_principal_cache_counts c;
    aps_principal_cache_counts(&c);
    return c;
}

static void test_second_verification_is_a_hit(void **state)
{
    aps_principal_cache_clear();
    char *tok = issue(7, 11, 900);
    struct aps_auth_claims a, b, direct;
    struct aps_principal_cache_counts c0 = counts();
    assert_int_equal(aps_principal_verify(SECRET, tok, NOW + 1, &a), 0);
    assert_int_equal(aps_principal_verify(SECRET, tok, NOW + 2, &b), 0);
    struct aps_principal_cache_counts c1 = counts();
    assert_int_equal(c1.misses - c0.misses, 1);
    assert_int_equal(c1.hits - c0.hits, 1);
    assert_int_equal(aps_auth_token_verify(SECRET, tok, NOW + 2, &direct), 0);
    assert_memory_equal(&b, &direct, sizeof direct);
    assert_memory_equal(&a, &b, sizeof a);
    assert_int_equal(b.user_id, 7);
    assert_int_equal(b.sid, 11);
    assert_int_equal(b.gen, 3);
    aps_free(tok);
}

static void test_failures_are_not_remembered(void **state)
{
    aps_principal_cache_clear();
    char *tok = issue(8, 12, 900);
    struct aps_auth_claims cl;
    char bad[1024];
    snprintf(bad, sizeof bad, "%s", tok);
    bad[strlen(bad) - 2] = bad[strlen(bad) - 2] == 'A' ? 'B' : 'A'; /* the signature */
    for (int i = 0; i < 3; i++)
        assert_int_equal(aps_principal_verify(SECRET, bad, NOW + 1, &cl), APS_E_INTEGRITY);
    struct aps_principal_cache_counts c0 = counts();
    assert_int_equal(aps_principal_verify(SECRET, bad, NOW + 1, &cl), APS_E_INTEGRITY);
    assert_int_equal(counts().hits, c0.hits);
    /* the good token, cached, does not make its tampered twin good */
    assert_int_equal(aps_principal_verify(SECRET, tok, NOW + 1, &cl), 0);
    assert_int_equal(aps_principal_verify(SECRET, bad, NOW + 1, &cl), APS_E_INTEGRITY);
    aps_free(tok);
}

static void test_expiry_and_secret_change(void **state)
{
    aps_principal_cache_clear();
    char *tok = issue(9, 13, 10);
    struct aps_auth_claims cl;
    assert_int_equal(aps_principal_verify(SECRET, tok, NOW, &cl), 0);
    assert_int_equal(aps_principal_verify(SECRET, tok, NOW + 9, &cl), 0);
    assert_int_equal(aps_principal_verify(SECRET, tok, NOW + 10, &cl), APS_E_TIMEOUT);
    assert_int_equal(aps_principal_verify(SECRET, tok, NOW + 5, &cl), 0);
    /* a new secret: the cached token is checked against it, and refused */
    assert_int_equal(aps_principal_verify(OTHER, tok, NOW + 5, &cl), APS_E_INTEGRITY);
    struct aps_principal_cache_counts c0 = counts();
    assert_int_equal(aps_principal_verify(SECRET, tok, NOW + 5, &cl), 0);
    assert_int_equal(counts().misses - c0.misses, 1);
    aps_principal_cache_clear();
    c0 = counts();
    assert_int_equal(aps_principal_verify(SECRET, tok, NOW + 5, &cl), 0);
    assert_int_equal(counts().misses - c0.misses, 1);
    aps_free(tok);
}

/* A rotation: the token verifies while its key is in the set (the second time from the cache),
 * and is refused once its key is removed, although it was cached. */
static void test_key_removed_from_the_set(void **state)
{
    (void)state;
    aps_principal_cache_clear();
    char *tok = issue(21, 34, 900);
    struct aps_auth_claims cl;
    const char *both[] = {OTHER, SECRET}, *rotated[] = {OTHER, NULL};
    assert_int_equal(aps_principal_verify_keys(both, 2, tok, NOW + 1, &cl), 0);
    struct aps_principal_cache_counts c0 = counts();
    assert_int_equal(aps_principal_verify_keys(both, 2, tok, NOW + 2, &cl), 0);
    assert_int_equal(counts().hits - c0.hits, 1);
    assert_int_equal(cl.user_id, 21);
    assert_int_not_equal(aps_principal_verify_keys(rotated, 2, tok, NOW + 3, &cl), 0);
    assert_int_not_equal(aps_principal_verify_keys(rotated, 2, tok, NOW + 4, &cl), 0);
    aps_free(tok);
}

static void test_more_tokens_than_entries(void **state)
{
    enum { N = APS_PRINCIPAL_SETS * APS_PRINCIPAL_WAYS * 2 };
    static char *toks[N];
    struct aps_auth_claims cl;
    aps_principal_cache_clear();
    for (int i = 0; i < N; i++) {
        toks[i] = issue(1000 + i, 1 + i, 900);
        assert_int_equal(aps_principal_verify(SECRET, toks[i], NOW + 1, &cl), 0);
    }
    for (int i = 0; i < N; i += 97) {
        assert_int_equal(aps_principal_verify(SECRET, toks[i], NOW + 2, &cl), 0);
        assert_int_equal(cl.user_id, 1000 + i);
        assert_int_equal(cl.sid, 1 + i);
    }
    for (int i = 0; i < N; i++)
        aps_free(toks[i]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_second_verification_is_a_hit),
        cmocka_unit_test(test_failures_are_not_remembered),
        cmocka_unit_test(test_expiry_and_secret_change),
        cmocka_unit_test(test_key_removed_from_the_set),
        cmocka_unit_test(test_more_tokens_than_entries),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
