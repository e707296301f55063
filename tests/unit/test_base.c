/*
 * test_base.c - base layer: errors, strings, UTF-8, buffers, arena, rng.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/arena.h"
#include "base/buf.h"
#include "base/clock.h"
#include "base/err.h"
#include "base/json.h"
#include "base/rng.h"
#include "base/str.h"
#include "harness.h"

static void test_error_format_names_file_line_and_field(void)
{
    struct lo_error err;
    char out[256];
    lo_error_clear(&err);
    lo_error_field(&err, LO_EINVAL, "label", "value 7 is not a class");
    lo_error_at(&err, "a.csv", 12);
    lo_error_format(&err, out, sizeof(out));
    CHECK_STR(out, "a.csv:12: field 'label': value 7 is not a class");
}

static void test_utf8_rejects_overlong_surrogate_and_truncated(void)
{
    size_t off = 0;
    CHECK(lo_utf8_valid("h\xc3\xa9llo", 6, NULL));
    CHECK(lo_utf8_valid("\xf0\x9f\x98\x80", 4, NULL));
    CHECK(!lo_utf8_valid("ab\xc0\xaf", 4, &off));
    CHECK_INT(off, 2);
    CHECK(!lo_utf8_valid("\xed\xa0\x80", 3, NULL));
    CHECK(!lo_utf8_valid("x\xe2\x82", 3, &off));
    CHECK_INT(off, 1);
    CHECK(!lo_utf8_valid("\xff", 1, NULL));
}

static void test_numbers_parse_strictly(void)
{
    double d;
    long long i;
    CHECK(lo_str_to_double(lo_str_from(" 2.5e1 "), &d));
    CHECK_NEAR(d, 25.0, 0);
    CHECK(!lo_str_to_double(lo_str_from("nan"), &d));
    CHECK(!lo_str_to_double(lo_str_from("0x10"), &d));
    CHECK(!lo_str_to_double(lo_str_from("3 apples"), &d));
    CHECK(lo_str_to_i64(lo_str_from("-42"), &i));
    CHECK_INT(i, -42);
    CHECK(!lo_str_to_i64(lo_str_from("99999999999999999999"), &i));
}

static void test_buf_refuses_to_grow_past_its_cap(void)
{
    struct lo_buf b;
    lo_buf_init(&b, 8);
    CHECK_INT(lo_buf_puts(&b, "12345"), 0);
    CHECK_INT(lo_buf_puts(&b, "6789"), LO_ELIMIT);
    CHECK_STR(b.data, "12345");
    CHECK_INT(lo_buf_puts(&b, "678"), 0);
    CHECK_INT(b.len, 8);
    CHECK_INT(lo_buf_putc(&b, 'x'), LO_ELIMIT);
    lo_buf_free(&b);
}

static void test_arena_alignment_and_strings(void)
{
    struct lo_arena a;
    lo_arena_init(&a, 64);
    for (int i = 0; i < 100; i++) {
        void *p = lo_arena_alloc(&a, (size_t)i + 1);
        CHECK(p != NULL);
        CHECK(((uintptr_t)p & 15) == 0);
    }
    char *s = lo_arena_strndup(&a, "hello world", 5);
    CHECK_STR(s, "hello");
    lo_arena_free(&a);
}

static void test_rng_same_seed_same_stream(void)
{
    struct lo_rng a, b;
    lo_rng_seed(&a, 42);
    lo_rng_seed(&b, 42);
    for (int i = 0; i < 1000; i++)
        CHECK(lo_rng_next(&a) == lo_rng_next(&b));
    lo_rng_seed(&b, 43);
    CHECK(lo_rng_next(&a) != lo_rng_next(&b));
    for (int i = 0; i < 1000; i++) {
        double u = lo_rng_uniform(&a);
        CHECK(u >= 0 && u < 1);
        CHECK(lo_rng_below(&a, 7) < 7);
    }
}

static void test_json_member_text_finds_values_as_written(void)
{
    struct lo_str obj = lo_str_from("{ \"id\" : \"a,}\\\"b\", \"data\": {\"x\": [1, {\"y\": \"]\"}]} ,"
                                    "\"n\":-1.5e3 }");
    struct lo_str v;
    CHECK(lo_json_member_text(obj, "data", &v));
    CHECK(lo_str_eq_cstr(v, "{\"x\": [1, {\"y\": \"]\"}]}"));
    CHECK(lo_json_member_text(obj, "id", &v));
    CHECK(lo_str_eq_cstr(v, "\"a,}\\\"b\""));
    CHECK(lo_json_member_text(obj, "n", &v));
    CHECK(lo_str_eq_cstr(v, "-1.5e3"));
    CHECK(!lo_json_member_text(obj, "x", &v));
}

static void test_json_escaping_round_trips(void)
{
    struct lo_buf b;
    lo_buf_init(&b, 1024);
    const char *s = "q\"b\\n\nt\t\x01\xc3\xa9";
    CHECK_INT(lo_json_put_string(&b, s, strlen(s)), 0);
    json_t *v = lo_json_parse(b.data, b.len, NULL);
    CHECK(v != NULL);
    CHECK_STR(json_string_value(v), s);
    json_decref(v);
    lo_buf_reset(&b);
    lo_json_put_double(&b, 0.1);
    CHECK_STR(b.data, "0.1");
    lo_buf_reset(&b);
    lo_json_put_double(&b, NAN);
    CHECK_STR(b.data, "null");
    lo_buf_free(&b);
}

/* lo_time_format does its own calendar arithmetic (no gmtime_r lock): it must agree with
 * gmtime_r across eras, leap days and the end of centuries. */
static void test_time_format_agrees_with_gmtime(void)
{
    static const int64_t secs[] = { 0, 59, 86399, 86400, 951782400 /* 2000-02-29 */,
                                    951868799, 4107542400 /* 2100-03-01 */, 1798761599,
                                    253402300799 /* 9999-12-31T23:59:59 */, 68169600 };
    for (size_t i = 0; i < sizeof(secs) / sizeof(secs[0]); i++) {
        for (int64_t step = 0; step < 3 * 86400; step += 3 * 3600 + 7) {
            int64_t s = secs[i] + step;
            time_t t = (time_t)s;
            struct tm tm;
            gmtime_r(&t, &tm);
            char want[40], got[40];
            snprintf(want, sizeof(want), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",
                     tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
                     tm.tm_sec, 123);
            lo_time_format(s * 1000 + 123, got, sizeof(got));
            CHECK_STR(got, want);
        }
    }
    char got[40];
    lo_time_format(-1, got, sizeof(got));
    CHECK_STR(got, "1969-12-31T23:59:59.999Z");
}

int main(int argc, char **argv)
{
    static const struct lo_test tests[] = {
        LO_T(test_error_format_names_file_line_and_field),
        LO_T(test_utf8_rejects_overlong_surrogate_and_truncated),
        LO_T(test_numbers_parse_strictly),
        LO_T(test_buf_refuses_to_grow_past_its_cap),
        LO_T(test_arena_alignment_and_strings),
        LO_T(test_rng_same_seed_same_stream),
        LO_T(test_json_member_text_finds_values_as_written),
        LO_T(test_json_escaping_round_trips),
        LO_T(test_time_format_agrees_with_gmtime),
    };
    return lo_test_run(tests, sizeof(tests) / sizeof(tests[0]), argc, argv);
}
