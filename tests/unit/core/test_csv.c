/* test_csv.c — CSV fields written out: plain text as it is, a comma, a quote or a line break
 * quoted with quotes doubled, a field a spreadsheet would take for a formula quoted after an
 * apostrophe, numbers with fixed decimals or %g and empty when not finite; and the reader takes
 * every written row back field for field. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <string.h>

#include "core/buf.h"
#include "core/csv.h"

static const char *text_of(struct aps_buf *b, const char *v)
{
    aps_buf_reset(b);
    aps_csv_put_text(b, v);
    return aps_buf_str(b);
}

static void test_text(void **state)
{
    (void)state;
    struct aps_buf b = {0};
    assert_string_equal(text_of(&b, "Kansas City"), "Kansas City");
    assert_string_equal(text_of(&b, ""), "");
    assert_string_equal(text_of(&b, "edge below 0.03, no bet"), "\"edge below 0.03, no bet\"");
    assert_string_equal(text_of(&b, "the \"Big\" game"), "\"the \"\"Big\"\" game\"");
    assert_string_equal(text_of(&b, "two\nlines"), "\"two\nlines\"");
    assert_string_equal(text_of(&b, "=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
    assert_string_equal(text_of(&b, "-3.5"), "\"'-3.5\"");
    assert_string_equal(text_of(&b, "@SUM(A1)"), "\"'@SUM(A1)\"");
    assert_string_equal(text_of(&b, "a=b"), "a=b"); /* only a leading sign makes a formula */
    aps_buf_cleanup(&b);
}

static void test_numbers(void **state)
{
    (void)state;
    struct aps_buf b = {0};
    aps_csv_put_num(&b, 1.625, 4);
    aps_buf_putc(&b, ',');
    aps_csv_put_num(&b, -0.5, 2);
    aps_buf_putc(&b, ',');
    aps_csv_put_num(&b, 227.5, -1);
    aps_buf_putc(&b, ',');
    aps_csv_put_num(&b, NAN, 6);
    aps_buf_putc(&b, ',');
    aps_csv_put_num(&b, INFINITY, -1);
    assert_string_equal(aps_buf_str(&b), "1.6250,-0.50,227.5,,");
    aps_buf_cleanup(&b);
}

/* What the writer writes, the reader reads back as the same fields (the formula guard's
 * apostrophe aside). */
static void test_round_trip(void **state)
{
    (void)state;
    const char *fields[] = {"plain", "a, b", "say \"hi\"", "", "line\r\nbreak", "x"};
    const size_t nf = sizeof fields / sizeof fields[0];
    struct aps_buf b = {0};
    for (int row = 0; row < 2; row++) {
        for (size_t i = 0; i < nf; i++) {
            if (i)
                aps_buf_putc(&b, ',');
            aps_csv_put_text(&b, fields[i]);
        }
        aps_buf_puts(&b, "\r\n");
    }
    struct aps_csv *c = NULL;
    assert_int_equal(aps_csv_open_mem(&c, aps_buf_str(&b), b.len), 0);
    char **got;
    size_t n;
    for (int row = 0; row < 2; row++) {
        assert_int_equal(aps_csv_next(c, &got, &n), 1);
        assert_int_equal(n, nf);
        for (size_t i = 0; i < nf; i++)
            assert_string_equal(got[i], fields[i]);
    }
    assert_int_equal(aps_csv_next(c, &got, &n), 0);
    aps_csv_close(c);
    aps_buf_cleanup(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_text),
        cmocka_unit_test(test_numbers),
        cmocka_unit_test(test_round_trip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
