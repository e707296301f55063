/*
 * test_io.c - CSV/TSV/line readers, the long-format label reader and the ratings builder.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/limits.h"
#include "io/csv.h"
#include "io/labels.h"
#include "io/ratings_load.h"
#include "harness.h"

static const char *write_tmp(const char *name, const char *content, size_t len)
{
    static char path[512];
    snprintf(path, sizeof(path), "%s/%s", lo_test_tmpdir(), name);
    FILE *f = fopen(path, "wb");
    fwrite(content, 1, len, f);
    fclose(f);
    return path;
}

static FILE *mem(const char *s)
{
    return fmemopen((void *)s, strlen(s), "rb");
}

static void test_csv_quotes_escapes_and_crlf(void)
{
    FILE *f = mem("a,b,c\r\n\"x,1\",\"say \"\"hi\"\"\",\r\n");
    struct lo_csv_reader r;
    struct lo_str *fl;
    size_t n;
    struct lo_error err;
    CHECK_INT(lo_csv_open(&r, f, "t.csv", ',', true, &err), 0);
    CHECK_INT(lo_csv_next(&r, &fl, &n, &err), 1);
    CHECK_INT(n, 3);
    CHECK(lo_str_eq_cstr(fl[2], "c"));
    CHECK_INT(lo_csv_next(&r, &fl, &n, &err), 1);
    CHECK_INT(n, 3);
    CHECK(lo_str_eq_cstr(fl[0], "x,1"));
    CHECK(lo_str_eq_cstr(fl[1], "say \"hi\""));
    CHECK(lo_str_eq_cstr(fl[2], ""));
    CHECK_INT(lo_csv_next(&r, &fl, &n, &err), 0);
    lo_csv_close(&r);
    fclose(f);
}

static void test_csv_multiline_record_reports_its_first_line(void)
{
    FILE *f = mem("h1,h2\n\"two\nlines\",x\n\"bad\"x,y\n");
    struct lo_csv_reader r;
    struct lo_str *fl;
    size_t n;
    struct lo_error err;
    lo_error_clear(&err);
    lo_csv_open(&r, f, "m.csv", ',', true, &err);
    CHECK_INT(lo_csv_next(&r, &fl, &n, &err), 1);
    CHECK_INT(lo_csv_next(&r, &fl, &n, &err), 1);
    CHECK(lo_str_eq_cstr(fl[0], "two\nlines"));
    CHECK_INT(r.record_line, 2);
    CHECK_INT(lo_csv_next(&r, &fl, &n, &err), LO_EINVAL);
    CHECK_INT(err.line, 4);
    CHECK_STR(err.file, "m.csv");
    lo_csv_close(&r);
    fclose(f);
}

static void test_csv_unterminated_quote_is_an_error(void)
{
    FILE *f = mem("a\n\"open");
    struct lo_csv_reader r;
    struct lo_str *fl;
    size_t n;
    struct lo_error err;
    lo_error_clear(&err);
    lo_csv_open(&r, f, "u.csv", ',', true, &err);
    CHECK_INT(lo_csv_next(&r, &fl, &n, &err), 1);
    CHECK_INT(lo_csv_next(&r, &fl, &n, &err), LO_EINVAL);
    CHECK(strstr(err.msg, "unterminated") != NULL);
    CHECK_INT(err.line, 2);
    lo_csv_close(&r);
    fclose(f);
}

static void test_csv_invalid_utf8_names_the_line(void)
{
    FILE *f = mem("a,b\nok,fine\nbad,\xff\xfe\n");
    struct lo_csv_reader r;
    struct lo_str *fl;
    size_t n;
    struct lo_error err;
    lo_error_clear(&err);
    lo_csv_open(&r, f, "x.csv", ',', true, &err);
    CHECK_INT(lo_csv_next(&r, &fl, &n, &err), 1);
    CHECK_INT(lo_csv_next(&r, &fl, &n, &err), 1);
    CHECK_INT(lo_csv_next(&r, &fl, &n, &err), LO_EINVAL);
    CHECK_INT(err.line, 3);
    CHECK(strstr(err.msg, "UTF-8") != NULL);
    lo_csv_close(&r);
    fclose(f);
}

static void test_nul_bytes_are_refused_with_the_line(void)
{
    static const char csv[] = "a,b\nok,fine\nbad,x\0y\n";
    FILE *f = fmemopen((void *)csv, sizeof(csv) - 1, "rb");
    struct lo_csv_reader r;
    struct lo_str *fl;
    size_t n;
    struct lo_error err;
    lo_error_clear(&err);
    lo_csv_open(&r, f, "n.csv", ',', true, &err);
    CHECK_INT(lo_csv_next(&r, &fl, &n, &err), 1);
    CHECK_INT(lo_csv_next(&r, &fl, &n, &err), 1);
    CHECK_INT(lo_csv_next(&r, &fl, &n, &err), LO_EINVAL);
    CHECK_INT(err.line, 3);
    CHECK(strstr(err.msg, "NUL") != NULL);
    lo_csv_close(&r);
    fclose(f);
    static const char jl[] = "{}\n{\"a\":\"x\"}\0\n";
    f = fmemopen((void *)jl, sizeof(jl) - 1, "rb");
    struct lo_line_reader lr;
    struct lo_str line;
    lo_lines_open(&lr, f, "n.jsonl", 100, &err);
    CHECK_INT(lo_lines_next(&lr, &line, &err), 1);
    CHECK_INT(lo_lines_next(&lr, &line, &err), LO_EINVAL);
    CHECK_INT(err.line, 2);
    lo_lines_close(&lr);
    fclose(f);
}

static void test_csv_field_over_limit_is_refused(void)
{
    size_t big = LO_LIMIT_CSV_FIELD + 10;
    char *s = malloc(big + 8);
    memcpy(s, "h\n", 2);
    memset(s + 2, 'x', big);
    s[big + 2] = '\n';
    FILE *f = fmemopen(s, big + 3, "rb");
    struct lo_csv_reader r;
    struct lo_str *fl;
    size_t n;
    struct lo_error err;
    lo_error_clear(&err);
    lo_csv_open(&r, f, "big.csv", ',', true, &err);
    CHECK_INT(lo_csv_next(&r, &fl, &n, &err), 1);
    int rc = lo_csv_next(&r, &fl, &n, &err);
    lo_csv_close(&r);
    fclose(f);
    free(s);
    CHECK_INT(rc, LO_ELIMIT);
    CHECK(strstr(err.msg, "LO_LIMIT_CSV_FIELD") != NULL);
    CHECK_INT(err.line, 2);
}

static void test_tsv_keeps_quotes_literally_and_skips_comments(void)
{
    FILE *f = mem("# a comment\n# another\nx\ty\n\"q\"\t2\n\n");
    struct lo_csv_reader r;
    struct lo_str *fl;
    size_t n;
    struct lo_error err;
    lo_csv_open(&r, f, "t.tsv", '\t', false, &err);
    CHECK_INT(lo_csv_skip_comments(&r, &err), 0);
    CHECK_INT(lo_csv_next(&r, &fl, &n, &err), 1);
    CHECK_INT(r.record_line, 3);
    CHECK_INT(lo_csv_next(&r, &fl, &n, &err), 1);
    CHECK(lo_str_eq_cstr(fl[0], "\"q\""));
    CHECK_INT(lo_csv_next(&r, &fl, &n, &err), 0);
    lo_csv_close(&r);
    fclose(f);
}

static void test_lines_over_limit_and_crlf(void)
{
    FILE *f = mem("{\"a\":1}\r\n0123456789abcdef\nlast");
    struct lo_line_reader r;
    struct lo_str line;
    struct lo_error err;
    lo_error_clear(&err);
    lo_lines_open(&r, f, "l.jsonl", 10, &err);
    CHECK_INT(lo_lines_next(&r, &line, &err), 1);
    CHECK(lo_str_eq_cstr(line, "{\"a\":1}"));
    CHECK_INT(lo_lines_next(&r, &line, &err), LO_ELIMIT);
    CHECK_INT(err.line, 2);
    lo_lines_close(&r);
    fclose(f);
}

struct dataset {
    const char *path;
    size_t rows, items, annotators, classes;
};

static void test_label_reader_reads_every_crowd_dataset(void)
{
    static const struct dataset sets[] = {
        { "reference/crowd/snow2008/rte.standardized.tsv", 8000, 800, 164, 2 },
        { "reference/crowd/snow2008/temp.standardized.tsv", 4620, 462, 76, 2 },
        { "reference/crowd/snow2008/wsd.standardized.tsv", 1770, 177, 34, 3 },
        { "reference/crowd/snow2008/anger.standardized.tsv", 1000, 100, 38, 0 },
        { "reference/crowd/snow2008/valence.standardized.tsv", 1000, 100, 38, 0 },
        { "reference/crowd/zheng_D_Product/answer.csv", 24945, 8315, 176, 2 },
        { "reference/agreement/dawid_skene1979_anesthesia.csv", 315, 45, 5, 4 },
    };
    for (size_t i = 0; i < sizeof(sets) / sizeof(sets[0]); i++) {
        struct lo_arena a;
        struct lo_ratings r;
        struct lo_error err;
        lo_error_clear(&err);
        lo_arena_init(&a, 0);
        char path[1024];
        snprintf(path, sizeof(path), "%s", lo_fixture(sets[i].path));
        int rc = lo_ratings_load(path, LO_FMT_AUTO, NULL, NULL, &a, &r, &err);
        CHECK_MSG(rc == 0, "%s: %s", sets[i].path, err.msg);
        CHECK_MSG(r.n == sets[i].rows, "%s: %zu rows", sets[i].path, r.n);
        CHECK_MSG(r.n_items == sets[i].items, "%s: %zu items", sets[i].path, r.n_items);
        CHECK_MSG(r.n_annotators == sets[i].annotators, "%s: %zu annotators", sets[i].path,
                  r.n_annotators);
        if (sets[i].classes)
            CHECK_MSG(r.n_classes == sets[i].classes, "%s: %zu classes", sets[i].path,
                      r.n_classes);
        CHECK(r.numeric);
        lo_arena_free(&a);
    }
}

static void test_gold_column_and_gold_file_give_known_answers(void)
{
    struct lo_arena a;
    struct lo_ratings r;
    struct lo_error err;
    char labels[1024], gold[1024];
    lo_arena_init(&a, 0);
    snprintf(labels, sizeof(labels), "%s", lo_fixture("reference/crowd/zheng_D_Product/answer.csv"));
    snprintf(gold, sizeof(gold), "%s", lo_fixture("reference/crowd/zheng_D_Product/truth.csv"));
    CHECK_INT(lo_ratings_load(labels, LO_FMT_AUTO, NULL, gold, &a, &r, &err), 0);
    size_t known = 0;
    for (size_t i = 0; i < r.n_items; i++)
        known += r.gold[i] >= 0;
    CHECK_INT(known, 8315);
    lo_arena_free(&a);

    lo_arena_init(&a, 0);
    snprintf(labels, sizeof(labels), "%s",
             lo_fixture("reference/crowd/snow2008/rte.standardized.tsv"));
    CHECK_INT(lo_ratings_load(labels, LO_FMT_AUTO, NULL, NULL, &a, &r, &err), 0);
    known = 0;
    for (size_t i = 0; i < r.n_items; i++)
        known += r.gold[i] >= 0;
    CHECK_INT(known, 800);
    lo_arena_free(&a);
}

static void test_numeric_classes_sort_by_value_strings_by_bytes(void)
{
    const char *csv = "item,annotator,label\n1,a,10\n1,b,9\n2,a,-1\n2,b,9\n";
    const char *path = write_tmp("num.csv", csv, strlen(csv));
    struct lo_arena a;
    struct lo_ratings r;
    struct lo_error err;
    lo_arena_init(&a, 0);
    CHECK_INT(lo_ratings_load(path, LO_FMT_AUTO, NULL, NULL, &a, &r, &err), 0);
    CHECK(r.numeric);
    CHECK_INT(r.n_classes, 3);
    CHECK_STR(r.class_names[0], "-1");
    CHECK_STR(r.class_names[2], "10");
    CHECK_NEAR(r.class_values[1], 9, 0);
    CHECK_INT(r.label[0], 2);
    lo_arena_free(&a);

    const char *csv2 = "question,worker,answer\nq,w1,b\nq,w2,B\nq,w3,a\n";
    path = write_tmp("str.csv", csv2, strlen(csv2));
    lo_arena_init(&a, 0);
    CHECK_INT(lo_ratings_load(path, LO_FMT_AUTO, NULL, NULL, &a, &r, &err), 0);
    CHECK(!r.numeric);
    CHECK_STR(r.class_names[0], "B");
    CHECK_STR(r.class_names[1], "a");
    CHECK_STR(r.class_names[2], "b");
    CHECK_INT(lo_ratings_class_index(&r, "b"), 2);
    CHECK_INT(lo_ratings_class_index(&r, "zz"), -1);
    lo_arena_free(&a);
}

static void test_label_reader_errors_name_file_line_and_column(void)
{
    struct lo_arena a;
    struct lo_ratings r;
    struct lo_error err;
    const char *csv = "item,annotator,label\n1,a,x\n2,,y\n";
    const char *path = write_tmp("empty.csv", csv, strlen(csv));
    lo_arena_init(&a, 0);
    lo_error_clear(&err);
    CHECK_INT(lo_ratings_load(path, LO_FMT_AUTO, NULL, NULL, &a, &r, &err), LO_EINVAL);
    CHECK_INT(err.line, 3);
    CHECK_STR(err.field, "annotator");
    lo_arena_free(&a);

    const char *nohdr = "foo,bar\n1,2\n";
    path = write_tmp("nohdr.csv", nohdr, strlen(nohdr));
    lo_arena_init(&a, 0);
    lo_error_clear(&err);
    CHECK_INT(lo_ratings_load(path, LO_FMT_AUTO, NULL, NULL, &a, &r, &err), LO_EINVAL);
    CHECK(strstr(err.msg, "--item-field") != NULL);
    CHECK(strstr(err.msg, "'foo'") != NULL);
    lo_arena_free(&a);

    struct lo_label_mapping map = { "foo", "bar", "bar", NULL };
    lo_arena_init(&a, 0);
    CHECK_INT(lo_ratings_load(path, LO_FMT_AUTO, &map, NULL, &a, &r, &err), 0);
    CHECK_INT(r.n, 1);
    lo_arena_free(&a);

    const char *ragged = "item,annotator,label\n1,a,x,extra\n";
    path = write_tmp("ragged.csv", ragged, strlen(ragged));
    lo_arena_init(&a, 0);
    lo_error_clear(&err);
    CHECK_INT(lo_ratings_load(path, LO_FMT_AUTO, NULL, NULL, &a, &r, &err), LO_EINVAL);
    CHECK_INT(err.line, 2);
    CHECK(strstr(err.msg, "4 fields") != NULL);
    lo_arena_free(&a);
}

static void test_jsonl_labels_with_numbers_and_bad_lines(void)
{
    const char *jl = "{\"item\":\"i1\",\"worker\":\"w\",\"label\":3}\n"
                     "\n"
                     "{\"item\":\"i2\",\"worker\":\"w\",\"label\":true,\"gold\":\"true\"}\n";
    const char *path = write_tmp("l.jsonl", jl, strlen(jl));
    struct lo_arena a;
    struct lo_ratings r;
    struct lo_error err;
    lo_arena_init(&a, 0);
    CHECK_INT(lo_ratings_load(path, LO_FMT_AUTO, NULL, NULL, &a, &r, &err), 0);
    CHECK_INT(r.n, 2);
    CHECK_INT(r.n_classes, 2);
    CHECK_STR(r.class_names[0], "3");
    CHECK_INT(r.gold[1], 1);
    lo_arena_free(&a);

    const char *bad = "{\"item\":\"i1\",\"worker\":\"w\",\"label\":3}\n{\"item\": oops}\n";
    path = write_tmp("bad.jsonl", bad, strlen(bad));
    lo_arena_init(&a, 0);
    lo_error_clear(&err);
    CHECK_INT(lo_ratings_load(path, LO_FMT_AUTO, NULL, NULL, &a, &r, &err), LO_EINVAL);
    CHECK_INT(err.line, 2);
    CHECK(strstr(err.msg, "malformed JSON") != NULL);
    lo_arena_free(&a);

    const char *dup = "{\"item\":\"i1\",\"item\":\"i2\",\"worker\":\"w\",\"label\":3}\n";
    path = write_tmp("dup.jsonl", dup, strlen(dup));
    lo_arena_init(&a, 0);
    CHECK_INT(lo_ratings_load(path, LO_FMT_AUTO, NULL, NULL, &a, &r, &err), LO_EINVAL);
    lo_arena_free(&a);
}

static void test_conflicting_gold_for_one_item_is_an_error(void)
{
    const char *csv = "item,annotator,label,gold\n1,a,x,x\n1,b,y,y\n";
    const char *path = write_tmp("g.csv", csv, strlen(csv));
    struct lo_arena a;
    struct lo_ratings r;
    struct lo_error err;
    lo_arena_init(&a, 0);
    lo_error_clear(&err);
    CHECK_INT(lo_ratings_load(path, LO_FMT_AUTO, NULL, NULL, &a, &r, &err), LO_EINVAL);
    CHECK_INT(err.line, 3);
    CHECK(strstr(err.msg, "two different gold") != NULL);
    lo_arena_free(&a);
}

int main(int argc, char **argv)
{
    static const struct lo_test tests[] = {
        LO_T(test_csv_quotes_escapes_and_crlf),
        LO_T(test_csv_multiline_record_reports_its_first_line),
        LO_T(test_csv_unterminated_quote_is_an_error),
        LO_T(test_csv_invalid_utf8_names_the_line),
        LO_T(test_nul_bytes_are_refused_with_the_line),
        LO_T(test_csv_field_over_limit_is_refused),
        LO_T(test_tsv_keeps_quotes_literally_and_skips_comments),
        LO_T(test_lines_over_limit_and_crlf),
        LO_T(test_label_reader_reads_every_crowd_dataset),
        LO_T(test_gold_column_and_gold_file_give_known_answers),
        LO_T(test_numeric_classes_sort_by_value_strings_by_bytes),
        LO_T(test_label_reader_errors_name_file_line_and_column),
        LO_T(test_jsonl_labels_with_numbers_and_bad_lines),
        LO_T(test_conflicting_gold_for_one_item_is_an_error),
    };
    return lo_test_run(tests, sizeof(tests) / sizeof(tests[0]), argc, argv);
}
