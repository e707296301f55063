/*
 * test_json_scan.c - the scanner must accept exactly what jansson accepts
 * (JSON_REJECT_DUPLICATES | JSON_DECODE_ANY), and read top-level keys right.
 *
 * Every case is run through both: the expected verdict written beside it, jansson's verdict and
 * the scanner's must all agree. Then every line of the JSONL fixtures, then generated inputs
 * at the edges (depth limit, objects big enough for the hash set).
 */
#include <dirent.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "harness.h"
#include "io/json_scan.h"

static bool jansson_accepts(const char *s, size_t len)
{
    json_error_t jerr;
    json_t *v = json_loadb(s, len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &jerr);
    json_decref(v);
    return v != NULL;
}

static bool scan_accepts(struct lo_json_scan *sc, const char *s, size_t len, struct lo_error *err)
{
    lo_error_clear(err);
    return lo_json_scan(sc, s, len, err) == 0;
}

struct json_case {
    const char *text;
    size_t len; /* 0: strlen(text) */
    bool valid;
};

#define OK(s) { s, 0, true }
#define BAD(s) { s, 0, false }
#define BADN(s) { s, sizeof(s) - 1, false }
#define OKN(s) { s, sizeof(s) - 1, true }

static const struct json_case cases[] = {
    /* grammar */
    OK("{}"), OK(" {} "), OK("\t{\r\n}\n"), OK("{\"a\":1}"), OK("{ \"a\" : [ 1 , 2 ] }"),
    OK("{\"a\":{\"b\":{\"c\":[]}}}"), OK("[]"), OK("[1,\"x\",true,false,null,{},[]]"),
    OK("\"top-level string\""), OK("42"), OK("true"), OK("null"),
    BAD(""), BAD(" "), BAD("{"), BAD("}"), BAD("{\"a\"}"), BAD("{\"a\":}"), BAD("{\"a\" 1}"),
    BAD("{\"a\":1,}"), BAD("{,}"), BAD("{\"a\":1 \"b\":2}"), BAD("[1,]"), BAD("[,1]"), BAD("[1 2]"),
    BAD("{a:1}"), BAD("{'a':1}"), BAD("{\"a\":1}}"), BAD("{\"a\":1} x"), BAD("{} {}"),
    BAD("{\"a\":tru}"), BAD("{\"a\":truex}"), BAD("{\"a\":True}"), BAD("{\"a\":nul}"),
    BAD("{\"a\":undefined}"), BAD("{\"a\":NaN}"), BAD("{\"a\":Infinity}"), BAD("{1:2}"),
    BAD("{\"a\":1}\x0b"), BAD("\xef\xbb\xbf{}"), BAD("{\"a\":[}"), BAD("{\"a\":]"),
    BADN("{\"a\":1}\0"), BADN("{\0}"), BADN("[1\0\0]"), BADN("[\"x\"\0]"), BADN("{\"a\":{}\0}"),
    /* jansson's lexer loses one NUL byte put back after a number or a literal */
    OKN("{\"a\":2\0}"), OKN("{\"a\":true\0,\"b\":null\0}"), OKN("[1\0 ]"), OKN("7\0"),
    OKN("{\"a\":1.5\0}"), OKN("false\0"),
    /* numbers */
    OK("{\"n\":0}"), OK("{\"n\":-0}"), OK("{\"n\":-1}"), OK("{\"n\":1.5}"), OK("{\"n\":-0.0}"),
    OK("{\"n\":1e5}"), OK("{\"n\":1E+5}"), OK("{\"n\":1e-5}"), OK("{\"n\":0.1e1}"),
    OK("{\"n\":9223372036854775807}"), OK("{\"n\":-9223372036854775808}"),
    BAD("{\"n\":9223372036854775808}"), BAD("{\"n\":-9223372036854775809}"),
    BAD("{\"n\":99999999999999999999}"), OK("{\"n\":99999999999999999999.0}"),
    OK("{\"n\":1e308}"), BAD("{\"n\":1e309}"), BAD("{\"n\":-1e309}"), OK("{\"n\":1e-400}"),
    OK("{\"n\":1.7976931348623157e308}"), BAD("{\"n\":1.7976931348623159e308}"),
    OK("{\"n\":0e99999999999}"), BAD("{\"n\":1e99999999999}"),
    BAD("{\"n\":01}"), BAD("{\"n\":-01}"), BAD("{\"n\":00}"), BAD("{\"n\":+1}"),
    BAD("{\"n\":.5}"), BAD("{\"n\":1.}"), BAD("{\"n\":1.e5}"), BAD("{\"n\":1e}"),
    BAD("{\"n\":1e+}"), BAD("{\"n\":-}"), BAD("{\"n\":--1}"), BAD("{\"n\":0x10}"),
    BAD("{\"n\":1_000}"), BAD("9223372036854775808"),
    /* strings and escapes */
    OK("{\"s\":\"\"}"), OK("{\"s\":\"\\\"\\\\\\/\\b\\f\\n\\r\\t\"}"), OK("{\"s\":\"\\u0041\"}"),
    OK("{\"s\":\"\\u00e9\\u00E9\"}"), OK("{\"s\":\"\\uD83D\\uDE00\"}"),
    OK("{\"s\":\"\\ud83d\\ude00\"}"), OK("{\"s\":\"\\uFFFF\"}"), OK("{\"s\":\"\x7f\"}"),
    OK("{\"s\":\"/\"}"),
    BAD("{\"s\":\"\\u0000\"}"), BAD("{\"\\u0000\":1}"), BAD("{\"s\":\"\\uD83D\"}"),
    BAD("{\"s\":\"\\uDE00\"}"), BAD("{\"s\":\"\\uD83Dx\"}"), BAD("{\"s\":\"\\uD83D\\u0041\"}"),
    BAD("{\"s\":\"\\uD83D\\uD83D\"}"), BAD("{\"s\":\"\\uDE00\\uD83D\"}"),
    BAD("{\"s\":\"\\uD83D\\n\"}"), BAD("{\"s\":\"\\u12\"}"), BAD("{\"s\":\"\\u12G4\"}"),
    BAD("{\"s\":\"\\x41\"}"), BAD("{\"s\":\"\\a\"}"), BAD("{\"s\":\"\\'\"}"), BAD("{\"s\":\"\\\"}"),
    BAD("{\"s\":\"abc}"), BAD("{\"s\":\"a\nb\"}"), BAD("{\"s\":\"a\tb\"}"), BAD("{\"s\":\"\x1f\"}"),
    BADN("{\"s\":\"a\0b\"}"), BAD("{\"s\":'x'}"),
    /* UTF-8 */
    OK("{\"s\":\"\xc3\xa9\"}"), OK("{\"s\":\"\xe2\x82\xac\"}"), OK("{\"s\":\"\xf0\x9f\x98\x80\"}"),
    OK("{\"s\":\"\xef\xbf\xbf\"}"), OK("{\"s\":\"\xf4\x8f\xbf\xbf\"}"), OK("{\"\xc3\xa9\":1}"),
    BAD("{\"s\":\"\xc3\"}"), BAD("{\"s\":\"\xc3x\"}"), BAD("{\"s\":\"\x80\"}"),
    BAD("{\"s\":\"\xbf\"}"), BAD("{\"s\":\"\xc0\xaf\"}"), BAD("{\"s\":\"\xc1\xbf\"}"),
    BAD("{\"s\":\"\xe0\x80\xaf\"}"), BAD("{\"s\":\"\xed\xa0\x80\"}"), BAD("{\"s\":\"\xed\xbf\xbf\"}"),
    BAD("{\"s\":\"\xf0\x80\x80\xaf\"}"), BAD("{\"s\":\"\xf4\x90\x80\x80\"}"),
    BAD("{\"s\":\"\xf5\x80\x80\x80\"}"), BAD("{\"s\":\"\xff\"}"), BAD("{\"s\":\"\xe2\x82\"}"),
    BAD("{\"\xff\":1}"), BAD("{\"a\":1}\xc3\xa9"),
    /* duplicate keys, compared decoded, at every level */
    OK("{\"a\":1,\"b\":2,\"A\":3}"), OK("{\"a\":{\"a\":{\"a\":1}}}"), OK("[{\"a\":1},{\"a\":2}]"),
    OK("{\"a\":{\"b\":1},\"b\":{\"a\":1}}"), OK("{\"ab\":1,\"a\":2,\"a\\u0062c\":3}"),
    BAD("{\"a\":1,\"a\":2}"), BAD("{\"a\":1,\"\\u0061\":2}"), BAD("{\"\\u0061\":1,\"a\":2}"),
    BAD("{\"\\n\":1,\"\\u000a\":2}"), BAD("{\"\\/\":1,\"/\":2}"),
    BAD("{\"\\uD83D\\uDE00\":1,\"\xf0\x9f\x98\x80\":2}"), BAD("{\"x\":{\"a\":1,\"a\":2}}"),
    BAD("{\"x\":[1,{\"y\":{\"a\":1,\"b\":2,\"a\":3}}]}"), BAD("[{\"a\":1,\"a\":1}]"),
    BAD("{\"\":1,\"\":2}"),
    /* item lines as the import sees them */
    OK("{\"id\":\"item-0000001\",\"text\":\"hello\",\"meta\":{\"source\":\"bench\",\"batch\":1}}"),
    OK("{\"id\":7,\"data\":{\"text\":\"x\"},\"annotations\":[{\"annotator\":\"a\",\"value\":{}}]}"),
};

static void test_hand_written_cases_agree_with_jansson(void)
{
    struct lo_json_scan sc;
    struct lo_error err;
    lo_json_scan_init(&sc);
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const struct json_case *c = &cases[i];
        size_t len = c->len ? c->len : strlen(c->text);
        bool j = jansson_accepts(c->text, len);
        bool s = scan_accepts(&sc, c->text, len, &err);
        CHECK_MSG(j == c->valid, "case %zu (%s): jansson %s it, the case says %s", i, c->text,
                  j ? "accepts" : "rejects", c->valid ? "valid" : "invalid");
        CHECK_MSG(s == j, "case %zu (%s): scanner %s it, jansson %s (%s)", i, c->text,
                  s ? "accepts" : "rejects", j ? "accepts" : "rejects", err.msg);
        if (!s) {
            CHECK_MSG(strstr(err.msg, "column ") != NULL, "case %zu: no column in '%s'", i,
                      err.msg);
            CHECK_INT(err.code, LO_EINVAL);
        }
    }
    lo_json_scan_free(&sc);
}

/* Checks one line both ways; returns false (and says why) when they disagree. */
static bool agree_on(struct lo_json_scan *sc, const char *s, size_t len, const char *where)
{
    struct lo_error err;
    bool j = jansson_accepts(s, len);
    bool k = scan_accepts(sc, s, len, &err);
    if (j != k)
        lo__test_fail(__FILE__, __LINE__, "%s: jansson %s, scanner %s (%s)", where,
                      j ? "accepts" : "rejects", k ? "accepts" : "rejects", err.msg);
    return j == k;
}

static int lines_checked;

static bool check_file_lines(struct lo_json_scan *sc, const char *path)
{
    FILE *fp = fopen(path, "rb");
    if (!fp)
        return false;
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    long no = 0;
    bool ok = true;
    while (ok && (n = getline(&line, &cap, fp)) >= 0) {
        no++;
        size_t len = (size_t)n;
        while (len && (line[len - 1] == '\n' || line[len - 1] == '\r'))
            len--;
        char where[600];
        snprintf(where, sizeof(where), "%s:%ld", path, no);
        ok = agree_on(sc, line, len, where);
        lines_checked++;
    }
    free(line);
    fclose(fp);
    return ok;
}

static bool walk_jsonl(struct lo_json_scan *sc, const char *dir, int *files)
{
    DIR *d = opendir(dir);
    if (!d)
        return false;
    bool ok = true;
    struct dirent *e;
    while (ok && (e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        char path[1024];
        snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
        struct stat st;
        if (stat(path, &st) != 0)
            continue;
        size_t nl = strlen(e->d_name);
        if (S_ISDIR(st.st_mode)) {
            ok = walk_jsonl(sc, path, files);
        } else if (nl > 6 && strcmp(e->d_name + nl - 6, ".jsonl") == 0) {
            ok = check_file_lines(sc, path);
            (*files)++;
        }
    }
    closedir(d);
    return ok;
}

static void test_every_fixture_line_agrees_with_jansson(void)
{
    struct lo_json_scan sc;
    lo_json_scan_init(&sc);
    int files = 0;
    lines_checked = 0;
    bool ok = walk_jsonl(&sc, lo_fixture("."), &files);
    lo_json_scan_free(&sc);
    CHECK(ok);
    CHECK(files >= 3);
    CHECK(lines_checked >= 9);
}

/* '[' * depth, then inner, then ']' * depth, wrapped in {"a": ...}. */
static char *nested(int depth, const char *inner, size_t *len)
{
    size_t il = strlen(inner);
    char *s = malloc((size_t)depth * 2 + il + 8);
    size_t n = 0;
    n += (size_t)sprintf(s, "{\"a\":");
    for (int i = 0; i < depth; i++)
        s[n++] = '[';
    memcpy(s + n, inner, il);
    n += il;
    for (int i = 0; i < depth; i++)
        s[n++] = ']';
    s[n++] = '}';
    s[n] = '\0';
    *len = n;
    return s;
}

static void test_depth_limit_is_jansson_s(void)
{
    struct lo_json_scan sc;
    struct lo_error err;
    lo_json_scan_init(&sc);
    /* The object is depth 1: arrays reach JSON_PARSER_MAX_DEPTH at MAX - 1 of them. */
    const int max = JSON_PARSER_MAX_DEPTH;
    const int depths[] = { max - 3, max - 2, max - 1, max, max + 1 };
    const char *inners[] = { "", "1", "{}", "{\"b\":2}" };
    int accepted = 0, rejected = 0;
    for (size_t d = 0; d < sizeof(depths) / sizeof(depths[0]); d++) {
        for (size_t k = 0; k < sizeof(inners) / sizeof(inners[0]); k++) {
            size_t len;
            char *s = nested(depths[d], inners[k], &len);
            char where[64];
            snprintf(where, sizeof(where), "depth %d inner '%s'", depths[d], inners[k]);
            bool same = agree_on(&sc, s, len, where);
            if (scan_accepts(&sc, s, len, &err))
                accepted++;
            else
                rejected++;
            free(s);
            if (!same)
                break;
        }
    }
    lo_json_scan_free(&sc);
    CHECK(accepted > 0);
    CHECK(rejected > 0);
}

static void test_big_objects_find_duplicates_through_the_hash_set(void)
{
    struct lo_json_scan sc;
    struct lo_error err;
    lo_json_scan_init(&sc);
    char *s = malloc(200000);
    for (int dup_at = -1; dup_at < 3000; dup_at += 701) {
        /* 3000 keys k0..k2999, the last one repeats k<dup_at> (written with an escape). */
        size_t n = (size_t)sprintf(s, "{\"nest\":{\"x\":1,\"x2\":2},");
        for (int i = 0; i < 3000; i++)
            n += (size_t)sprintf(s + n, "\"k%d\":{\"k%d\":%d},", i, i, i);
        if (dup_at >= 0)
            n += (size_t)sprintf(s + n, "\"\\u006b%d\":0}", dup_at);
        else
            n += (size_t)sprintf(s + n, "\"k\":0}");
        bool j = jansson_accepts(s, n);
        bool k = scan_accepts(&sc, s, n, &err);
        CHECK_INT(k, j);
        CHECK_INT(k, dup_at < 0);
        if (k)
            CHECK_INT(sc.n_members, 3002);
        else
            CHECK(strstr(err.msg, "duplicate") != NULL);
    }
    /* The scratch is reused: a small line after the big ones still works. */
    const char *small = "{\"a\":1,\"b\":{\"a\":2}}";
    CHECK(scan_accepts(&sc, small, strlen(small), &err));
    CHECK(!scan_accepts(&sc, "{\"a\":1,\"a\":2}", 13, &err));
    free(s);
    lo_json_scan_free(&sc);
}

static void test_members_give_decoded_keys_and_exact_value_text(void)
{
    struct lo_json_scan sc;
    struct lo_error err;
    lo_json_scan_init(&sc);
    const char *line = " {\"\\u0069d\" : \"it\\u00e9m-\\\"1\\\"\", \"n\":-42, \"data\": {\"a\":[1]},"
                       "\"r\":1.5e3, \"t\":true, \"z\":null, \"e\":[]} ";
    CHECK_INT(lo_json_scan(&sc, line, strlen(line), &err), 0);
    CHECK_INT(sc.kind, LO_JSON_OBJECT);
    CHECK_INT(sc.n_members, 7);
    const struct lo_json_member *id = lo_json_scan_member(&sc, "id");
    CHECK(id != NULL);
    CHECK_INT(id->kind, LO_JSON_STRING);
    char out[64];
    size_t olen = 0;
    CHECK_INT(lo_json_string_decode(id->value, out, sizeof(out), &olen), 0);
    CHECK_STR(out, "it\xc3\xa9m-\"1\"");
    CHECK_INT(olen, 9);
    const struct lo_json_member *n = lo_json_scan_member(&sc, "n");
    CHECK(n && n->kind == LO_JSON_INTEGER);
    CHECK_INT(lo_json_integer_value(n->value), -42);
    const struct lo_json_member *data = lo_json_scan_member(&sc, "data");
    CHECK(data && data->kind == LO_JSON_OBJECT);
    CHECK_INT(data->value.len, 9);
    CHECK(memcmp(data->value.ptr, "{\"a\":[1]}", 9) == 0);
    CHECK_INT(lo_json_scan_member(&sc, "r")->kind, LO_JSON_REAL);
    CHECK_INT(lo_json_scan_member(&sc, "t")->kind, LO_JSON_TRUE);
    CHECK_INT(lo_json_scan_member(&sc, "z")->kind, LO_JSON_NULL);
    CHECK_INT(lo_json_scan_member(&sc, "e")->kind, LO_JSON_ARRAY);
    CHECK(lo_json_scan_member(&sc, "a") == NULL); /* nested keys are not members */
    CHECK(lo_json_scan_member(&sc, "missing") == NULL);
    lo_json_scan_free(&sc);
}

static void test_integer_ids_at_the_int64_edges(void)
{
    struct lo_json_scan sc;
    struct lo_error err;
    lo_json_scan_init(&sc);
    const char *line = "{\"a\":9223372036854775807,\"b\":-9223372036854775808,\"c\":-0,\"d\":0}";
    CHECK_INT(lo_json_scan(&sc, line, strlen(line), &err), 0);
    CHECK(lo_json_integer_value(lo_json_scan_member(&sc, "a")->value) == INT64_MAX);
    CHECK(lo_json_integer_value(lo_json_scan_member(&sc, "b")->value) == INT64_MIN);
    CHECK_INT(lo_json_integer_value(lo_json_scan_member(&sc, "c")->value), 0);
    CHECK_INT(lo_json_integer_value(lo_json_scan_member(&sc, "d")->value), 0);
    lo_json_scan_free(&sc);
}

static void test_string_decode_respects_the_cap(void)
{
    char out[8];
    size_t n;
    CHECK_INT(lo_json_string_decode(LO_STR_LIT("\"1234567\""), out, sizeof(out), &n), 0);
    CHECK_STR(out, "1234567");
    CHECK_INT(lo_json_string_decode(LO_STR_LIT("\"12345678\""), out, sizeof(out), &n), LO_ELIMIT);
    /* escapes shrink: 7 decoded bytes from a longer text fit */
    CHECK_INT(lo_json_string_decode(LO_STR_LIT("\"\\u0041\\u0042CDEFG\""), out, sizeof(out), &n),
              0);
    CHECK_STR(out, "ABCDEFG");
    CHECK_INT(lo_json_string_decode(LO_STR_LIT("\"\\uD83D\\uDE00\\uD83D\\uDE00\""), out,
                                    sizeof(out), &n),
              LO_ELIMIT);
    CHECK_INT(lo_json_string_decode(LO_STR_LIT("\"\\uD83D\\uDE00\""), out, sizeof(out), &n), 0);
    CHECK_STR(out, "\xf0\x9f\x98\x80");
}

static void test_errors_name_the_byte_column(void)
{
    struct lo_json_scan sc;
    struct lo_error err;
    lo_json_scan_init(&sc);
    lo_error_clear(&err);
    CHECK_INT(lo_json_scan(&sc, "{\"a\":1,\"a\":2}", 13, &err), LO_EINVAL);
    CHECK(strstr(err.msg, "column 8") != NULL);
    CHECK(strstr(err.msg, "duplicate") != NULL);
    lo_error_clear(&err);
    /* a byte column: the two-byte é counts twice */
    CHECK_INT(lo_json_scan(&sc, "{\"\xc3\xa9\":1 x}", 10, &err), LO_EINVAL);
    CHECK(strstr(err.msg, "column 9") != NULL);
    lo_error_clear(&err);
    CHECK_INT(lo_json_scan(&sc, "{\"n\":123456789012345678901}", 27, &err), LO_EINVAL);
    CHECK(strstr(err.msg, "too big integer") != NULL);
    lo_json_scan_free(&sc);
}

int main(int argc, char **argv)
{
    static const struct lo_test tests[] = {
        LO_T(test_hand_written_cases_agree_with_jansson),
        LO_T(test_every_fixture_line_agrees_with_jansson),
        LO_T(test_depth_limit_is_jansson_s),
        LO_T(test_big_objects_find_duplicates_through_the_hash_set),
        LO_T(test_members_give_decoded_keys_and_exact_value_text),
        LO_T(test_integer_ids_at_the_int64_edges),
        LO_T(test_string_decode_respects_the_cap),
        LO_T(test_errors_name_the_byte_column),
    };
    return lo_test_run(tests, sizeof(tests) / sizeof(tests[0]), argc, argv);
}
