/*
 * test_schema.c - label schemas: parsing and its rules, validating every field type, error paths
 * that name the field and the rule, inference from plain labels, code-point span offsets, limits.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "base/limits.h"
#include "base/str.h"
#include "harness.h"
#include "schema/schema.h"

/* A schema with one field of every type. */
static const char *const full_schema =
    "{\"fields\":["
    "{\"name\":\"sentiment\",\"type\":\"single_choice\",\"classes\":[\"pos\",\"neg\",\"neu\"],"
    "\"required\":true},"
    "{\"name\":\"topics\",\"type\":\"multi_choice\",\"classes\":[\"sport\",\"politics\",\"tech\"],"
    "\"min_selected\":1,\"max_selected\":2},"
    "{\"name\":\"entities\",\"type\":\"spans\",\"classes\":[\"PER\",\"ORG\"],\"source\":\"text\"},"
    "{\"name\":\"objects\",\"type\":\"boxes\",\"classes\":[\"car\",\"person\"],\"max_boxes\":3},"
    "{\"name\":\"comment\",\"type\":\"free_text\",\"max_length\":10},"
    "{\"name\":\"quality\",\"type\":\"rating\",\"min\":1,\"max\":5,\"step\":0.5,"
    "\"level\":\"ordinal\"}"
    "]}";

static struct lo_schema *parse(const char *text, struct lo_error *err)
{
    struct lo_schema *s = NULL;
    lo_error_clear(err);
    if (lo_schema_parse(text, strlen(text), &s, err) != 0)
        return NULL;
    return s;
}

/* Parses text as a value and validates it; returns the code, err filled. */
static int check_value(const struct lo_schema *s, const char *value, const char *item,
                       struct lo_error *err)
{
    json_error_t jerr;
    json_t *v = json_loads(value, 0, &jerr);
    json_t *it = item ? json_loads(item, 0, &jerr) : NULL;
    if (!v || (item && !it)) {
        fprintf(stderr, "bad test JSON: %s\n", jerr.text);
        abort();
    }
    lo_error_clear(err);
    int rc = lo_schema_validate_value(s, v, it, err);
    json_decref(v);
    json_decref(it);
    return rc;
}

#define CHECK_HAS(haystack, needle) \
    CHECK_MSG(strstr((haystack), (needle)) != NULL, "\"%s\" does not mention \"%s\"", \
              (haystack), (needle))

/* Expects the value to fail with code, at path, with a message mentioning rule. */
#define CHECK_REJECTS(s, value, item, code, path, rule)                                   \
    do {                                                                                  \
        struct lo_error e_;                                                               \
        CHECK_INT(check_value((s), (value), (item), &e_), (code));                        \
        CHECK_STR(e_.field, (path));                                                      \
        CHECK_HAS(e_.msg, (rule));                                                        \
    } while (0)

#define CHECK_ACCEPTS(s, value, item)                                                     \
    do {                                                                                  \
        struct lo_error e_;                                                               \
        int rc_ = check_value((s), (value), (item), &e_);                                 \
        CHECK_MSG(rc_ == 0, "rejected %s: %s: %s", (value), e_.field, e_.msg);            \
    } while (0)

/* Expects the schema to fail with code, naming field, with a message mentioning rule. */
#define CHECK_SCHEMA_REJECTS(text, code, where, rule)                                     \
    do {                                                                                  \
        struct lo_error e_;                                                               \
        struct lo_schema *s_ = NULL;                                                      \
        lo_error_clear(&e_);                                                              \
        CHECK_INT(lo_schema_parse((text), strlen(text), &s_, &e_), (code));               \
        CHECK(s_ == NULL);                                                                \
        CHECK_STR(e_.field, (where));                                                     \
        CHECK_HAS(e_.msg, (rule));                                                        \
    } while (0)

static void test_full_schema_parses_with_defaults(void)
{
    struct lo_error err;
    struct lo_schema *s = parse(full_schema, &err);
    CHECK_MSG(s != NULL, "%s: %s", err.field, err.msg);
    CHECK_INT(lo_schema_field_count(s), 6);
    const struct lo_schema_field *f = lo_schema_field_at(s, 0);
    CHECK_STR(f->name, "sentiment");
    CHECK(f->type == LO_FIELD_SINGLE_CHOICE);
    CHECK(f->required);
    CHECK_INT(f->n_classes, 3);
    CHECK_STR(f->classes[2], "neu");
    CHECK_INT(lo_schema_class_index(f, lo_str_from("neg")), 1);
    CHECK_INT(lo_schema_class_index(f, lo_str_from("ne")), -1);
    f = lo_schema_field_find(s, "topics");
    CHECK(f && !f->required && f->min_selected == 1 && f->max_selected == 2);
    f = lo_schema_field_find(s, "entities");
    CHECK(f && !f->allow_overlap);
    CHECK_STR(f->source, "text");
    CHECK_INT(f->max_count, LO_LIMIT_SPANS_PER_VALUE);
    f = lo_schema_field_find(s, "objects");
    CHECK_STR(f->width_field, "width");
    CHECK_STR(f->height_field, "height");
    CHECK_INT(f->max_count, 3);
    f = lo_schema_field_find(s, "comment");
    CHECK_INT(f->min_length, 0);
    CHECK_INT(f->max_length, 10);
    f = lo_schema_field_find(s, "quality");
    CHECK(f->type == LO_FIELD_RATING && f->has_step && f->level == LO_LEVEL_ORDINAL);
    CHECK_NEAR(f->step, 0.5, 0);
    CHECK(lo_schema_field_find(s, "nope") == NULL);
    CHECK(lo_schema_field_at(s, 6) == NULL);
    lo_schema_free(s);
}

static void test_canonical_form_is_stable_and_reparses(void)
{
    struct lo_error err;
    struct lo_schema *s = parse(full_schema, &err);
    CHECK(s != NULL);
    char *a = lo_schema_to_json(s);
    CHECK(a != NULL);
    struct lo_schema *s2 = parse(a, &err);
    CHECK_MSG(s2 != NULL, "%s: %s", err.field, err.msg);
    char *b = lo_schema_to_json(s2);
    CHECK_STR(a, b);
    /* Defaults are written out and integers stay integers. */
    CHECK_HAS(a, "\"allow_overlap\":false");
    CHECK_HAS(a, "\"min\":1,\"max\":5,\"step\":0.5,\"level\":\"ordinal\"");
    CHECK_HAS(a, "{\"name\":\"sentiment\",\"type\":\"single_choice\",\"required\":true,"
                 "\"classes\":[\"pos\",\"neg\",\"neu\"]}");
    free(a);
    free(b);
    lo_schema_free(s);
    lo_schema_free(s2);
}

static void test_schema_rules_name_the_field_and_the_rule(void)
{
    CHECK_SCHEMA_REJECTS("{\"fields\":[{\"name\":\"a\",\"type\":\"choice\",\"classes\":[\"x\"]}]}",
                         LO_EINVAL, "a", "unknown type 'choice'");
    CHECK_SCHEMA_REJECTS("{\"fields\":[{\"name\":\"a\",\"type\":\"single_choice\","
                         "\"classes\":[\"x\"]},{\"name\":\"a\",\"type\":\"free_text\"}]}",
                         LO_EINVAL, "a", "appears twice");
    CHECK_SCHEMA_REJECTS("{\"fields\":[{\"name\":\"a\",\"type\":\"single_choice\","
                         "\"classes\":[\"x\",\"y\",\"x\"]}]}",
                         LO_EINVAL, "a", "class 'x' appears twice");
    CHECK_SCHEMA_REJECTS("{\"fields\":[{\"name\":\"a\",\"type\":\"single_choice\","
                         "\"classes\":[]}]}",
                         LO_EINVAL, "a", "\"classes\" must not be empty");
    CHECK_SCHEMA_REJECTS("{\"fields\":[{\"name\":\"a\",\"type\":\"spans\"}]}", LO_EINVAL, "a",
                         "needs a \"classes\" list");
    CHECK_SCHEMA_REJECTS("{\"fields\":[{\"name\":\"a\",\"type\":\"single_choice\","
                         "\"classes\":[\"x\", 3]}]}",
                         LO_EINVAL, "a", "classes[1] must be a string");
    CHECK_SCHEMA_REJECTS("{\"fields\":[{\"name\":\"a\",\"type\":\"single_choice\","
                         "\"classes\":[\" x\"]}]}",
                         LO_EINVAL, "a", "blanks");
    CHECK_SCHEMA_REJECTS("{\"fields\":[{\"name\":\"r\",\"type\":\"rating\",\"min\":5,\"max\":1,"
                         "\"level\":\"ordinal\"}]}",
                         LO_EINVAL, "r", "min (5) must not exceed max (1)");
    CHECK_SCHEMA_REJECTS("{\"fields\":[{\"name\":\"r\",\"type\":\"rating\",\"min\":0,\"max\":10,"
                         "\"step\":3,\"level\":\"interval\"}]}",
                         LO_EINVAL, "r", "whole number of steps");
    CHECK_SCHEMA_REJECTS("{\"fields\":[{\"name\":\"r\",\"type\":\"rating\",\"min\":0,\"max\":10,"
                         "\"step\":0,\"level\":\"interval\"}]}",
                         LO_EINVAL, "r", "step (0) must be positive");
    CHECK_SCHEMA_REJECTS("{\"fields\":[{\"name\":\"r\",\"type\":\"rating\",\"min\":0,"
                         "\"max\":10}]}",
                         LO_EINVAL, "r", "needs \"level\"");
    CHECK_SCHEMA_REJECTS("{\"fields\":[{\"name\":\"r\",\"type\":\"rating\",\"max\":10,"
                         "\"level\":\"ratio\"}]}",
                         LO_EINVAL, "r", "needs \"min\"");
    CHECK_SCHEMA_REJECTS("{\"fields\":[{\"name\":\"r\",\"type\":\"rating\",\"min\":0,\"max\":1,"
                         "\"level\":\"ratio\"}]}",
                         LO_EINVAL, "r", "\"level\" must be \"ordinal\" or \"interval\"");
    CHECK_SCHEMA_REJECTS("{\"fields\":[{\"name\":\"m\",\"type\":\"multi_choice\","
                         "\"classes\":[\"x\",\"y\"],\"min_selected\":2,\"max_selected\":1}]}",
                         LO_EINVAL, "m", "min_selected (2) must not exceed max_selected (1)");
    CHECK_SCHEMA_REJECTS("{\"fields\":[{\"name\":\"m\",\"type\":\"multi_choice\","
                         "\"classes\":[\"x\",\"y\"],\"max_selected\":3}]}",
                         LO_EINVAL, "m", "exceeds the number of classes");
    CHECK_SCHEMA_REJECTS("{\"fields\":[{\"name\":\"t\",\"type\":\"free_text\","
                         "\"min_length\":5,\"max_length\":2}]}",
                         LO_EINVAL, "t", "min_length (5) must not exceed max_length (2)");
    CHECK_SCHEMA_REJECTS("{\"fields\":[{\"name\":\"a\",\"type\":\"single_choice\","
                         "\"classes\":[\"x\"],\"requried\":true}]}",
                         LO_EINVAL, "a", "unknown key \"requried\"");
    CHECK_SCHEMA_REJECTS("{\"fields\":[{\"name\":\"a\",\"type\":\"free_text\",\"required\":1}]}",
                         LO_EINVAL, "a", "\"required\" must be true or false");
    CHECK_SCHEMA_REJECTS("{\"fields\":[{\"type\":\"free_text\"}]}", LO_EINVAL, "fields[0]",
                         "needs a \"name\"");
    CHECK_SCHEMA_REJECTS("{\"fields\":[{\"name\":\"a.b\",\"type\":\"free_text\"}]}", LO_EINVAL,
                         "fields[0]", "may use only letters");
    CHECK_SCHEMA_REJECTS("{\"fields\":[{\"name\":\"a\"}]}", LO_EINVAL, "a", "needs a \"type\"");
    CHECK_SCHEMA_REJECTS("{\"fields\":[]}", LO_EINVAL, "", "at least one field");
    CHECK_SCHEMA_REJECTS("{\"felds\":[]}", LO_EINVAL, "", "unknown key \"felds\"");
    CHECK_SCHEMA_REJECTS("[1,2]", LO_EINVAL, "", "must be a JSON object");
    CHECK_SCHEMA_REJECTS("{\"fields\":[", LO_EINVAL, "", "not valid JSON");
    CHECK_SCHEMA_REJECTS("{\"fields\":[],\"fields\":[]}", LO_EINVAL, "", "not valid JSON");
}

static void test_schema_limits_are_named(void)
{
    /* 65 fields */
    char *text = malloc(65 * 64 + 64);
    CHECK(text != NULL);
    size_t n = (size_t)sprintf(text, "{\"fields\":[");
    for (int i = 0; i <= LO_LIMIT_SCHEMA_FIELDS; i++)
        n += (size_t)sprintf(text + n, "%s{\"name\":\"f%d\",\"type\":\"free_text\"}",
                             i ? "," : "", i);
    sprintf(text + n, "]}");
    struct lo_error err;
    CHECK(parse(text, &err) == NULL);
    CHECK_INT(err.code, LO_ELIMIT);
    CHECK_HAS(err.msg, "LO_LIMIT_SCHEMA_FIELDS");
    free(text);

    /* 10,001 classes */
    text = malloc((size_t)(LO_LIMIT_SCHEMA_CLASSES + 1) * 10 + 128);
    CHECK(text != NULL);
    n = (size_t)sprintf(text, "{\"fields\":[{\"name\":\"c\",\"type\":\"single_choice\","
                              "\"classes\":[");
    for (int i = 0; i <= LO_LIMIT_SCHEMA_CLASSES; i++)
        n += (size_t)sprintf(text + n, "%s\"k%d\"", i ? "," : "", i);
    sprintf(text + n, "]}]}");
    CHECK(parse(text, &err) == NULL);
    CHECK_INT(err.code, LO_ELIMIT);
    CHECK_STR(err.field, "c");
    CHECK_HAS(err.msg, "LO_LIMIT_SCHEMA_CLASSES");
    free(text);

    CHECK_SCHEMA_REJECTS("{\"fields\":[{\"name\":\"b\",\"type\":\"boxes\",\"classes\":[\"x\"],"
                         "\"max_boxes\":5001}]}",
                         LO_ELIMIT, "b", "LO_LIMIT_BOXES_PER_VALUE");
    CHECK_SCHEMA_REJECTS("{\"fields\":[{\"name\":\"t\",\"type\":\"free_text\","
                         "\"max_length\":1000000}]}",
                         LO_ELIMIT, "t", "LO_LIMIT_FREE_TEXT");

    /* A schema document over LO_LIMIT_SCHEMA_BYTES is refused before parsing. */
    size_t big = (size_t)LO_LIMIT_SCHEMA_BYTES + 1;
    text = malloc(big);
    CHECK(text != NULL);
    memset(text, ' ', big);
    struct lo_schema *s = NULL;
    CHECK_INT(lo_schema_parse(text, big, &s, &err), LO_ELIMIT);
    CHECK_HAS(err.msg, "LO_LIMIT_SCHEMA_BYTES");
    free(text);
}

static void test_value_must_be_object_of_known_fields_with_required_present(void)
{
    struct lo_error err;
    struct lo_schema *s = parse(full_schema, &err);
    CHECK(s != NULL);
    CHECK_ACCEPTS(s, "{\"sentiment\":\"pos\"}", NULL);
    CHECK_ACCEPTS(s, "{\"sentiment\":\"pos\",\"comment\":null}", NULL);
    CHECK_REJECTS(s, "{}", NULL, LO_EINVAL, "sentiment", "required field 'sentiment' is missing");
    CHECK_REJECTS(s, "{\"sentiment\":null}", NULL, LO_EINVAL, "sentiment", "required");
    CHECK_REJECTS(s, "{\"sentiment\":\"pos\",\"sentimnet\":\"neg\"}", NULL, LO_EINVAL,
                  "sentimnet", "not a field of the schema");
    CHECK_REJECTS(s, "[\"pos\"]", NULL, LO_EINVAL, "", "must be an object");
    lo_schema_free(s);
}

static void test_single_choice_accepts_only_its_classes(void)
{
    struct lo_error err;
    struct lo_schema *s = parse(full_schema, &err);
    CHECK(s != NULL);
    CHECK_ACCEPTS(s, "{\"sentiment\":\"neu\"}", NULL);
    CHECK_REJECTS(s, "{\"sentiment\":\"positive\"}", NULL, LO_EINVAL, "sentiment",
                  "'positive' is not one of the classes of 'sentiment'");
    CHECK_REJECTS(s, "{\"sentiment\":1}", NULL, LO_EINVAL, "sentiment",
                  "expected a class name (a string), got a number");
    CHECK_REJECTS(s, "{\"sentiment\":[\"pos\"]}", NULL, LO_EINVAL, "sentiment", "got an array");
    lo_schema_free(s);
}

static void test_multi_choice_checks_classes_duplicates_and_counts(void)
{
    struct lo_error err;
    struct lo_schema *s = parse(full_schema, &err);
    CHECK(s != NULL);
    CHECK_ACCEPTS(s, "{\"sentiment\":\"pos\",\"topics\":[\"tech\"]}", NULL);
    CHECK_ACCEPTS(s, "{\"sentiment\":\"pos\",\"topics\":[\"tech\",\"sport\"]}", NULL);
    CHECK_REJECTS(s, "{\"sentiment\":\"pos\",\"topics\":[\"tech\",\"art\"]}", NULL, LO_EINVAL,
                  "topics[1]", "'art' is not one of the classes");
    CHECK_REJECTS(s, "{\"sentiment\":\"pos\",\"topics\":[\"tech\",\"tech\"]}", NULL, LO_EINVAL,
                  "topics[1]", "selected twice");
    CHECK_REJECTS(s, "{\"sentiment\":\"pos\",\"topics\":[]}", NULL, LO_EINVAL, "topics",
                  "min_selected (1)");
    CHECK_REJECTS(s, "{\"sentiment\":\"pos\",\"topics\":[\"tech\",\"sport\",\"politics\"]}",
                  NULL, LO_EINVAL, "topics", "max_selected (2)");
    CHECK_REJECTS(s, "{\"sentiment\":\"pos\",\"topics\":\"tech\"}", NULL, LO_EINVAL, "topics",
                  "expected an array");
    lo_schema_free(s);
}

static void test_spans_check_bounds_classes_and_overlap(void)
{
    struct lo_error err;
    struct lo_schema *s = parse(full_schema, &err);
    CHECK(s != NULL);
    const char *item = "{\"text\":\"Ada works at IBM\"}"; /* 16 code points */
    CHECK_ACCEPTS(s,
                  "{\"sentiment\":\"pos\",\"entities\":[{\"start\":13,\"end\":16,\"label\":\"ORG\"},"
                  "{\"start\":0,\"end\":3,\"label\":\"PER\"}]}",
                  item);
    CHECK_ACCEPTS(s, "{\"sentiment\":\"pos\",\"entities\":[]}", item);
    /* Adjacent spans touch but do not overlap. */
    CHECK_ACCEPTS(s,
                  "{\"sentiment\":\"pos\",\"entities\":[{\"start\":0,\"end\":3,\"label\":\"PER\"},"
                  "{\"start\":3,\"end\":5,\"label\":\"PER\"}]}",
                  item);
    CHECK_REJECTS(s,
                  "{\"sentiment\":\"pos\",\"entities\":[{\"start\":0,\"end\":3,\"label\":\"PER\"},"
                  "{\"start\":13,\"end\":17,\"label\":\"ORG\"}]}",
                  item, LO_EINVAL, "entities[1].end", "past the end of the item's text (16");
    /* Without the item, only the shape is checked. */
    CHECK_ACCEPTS(s,
                  "{\"sentiment\":\"pos\",\"entities\":[{\"start\":13,\"end\":17,\"label\":"
                  "\"ORG\"}]}",
                  NULL);
    CHECK_REJECTS(s,
                  "{\"sentiment\":\"pos\",\"entities\":[{\"start\":5,\"end\":5,\"label\":\"PER\"}]}",
                  NULL, LO_EINVAL, "entities[0].end", "must be greater than start");
    CHECK_REJECTS(s,
                  "{\"sentiment\":\"pos\",\"entities\":[{\"start\":-1,\"end\":2,\"label\":\"PER\"}]}",
                  NULL, LO_EINVAL, "entities[0].start", "must not be negative");
    CHECK_REJECTS(s,
                  "{\"sentiment\":\"pos\",\"entities\":[{\"start\":0,\"end\":2.5,\"label\":\"PER\"}]}",
                  NULL, LO_EINVAL, "entities[0].end", "whole number of code points");
    CHECK_REJECTS(s,
                  "{\"sentiment\":\"pos\",\"entities\":[{\"start\":0,\"end\":2,\"label\":\"LOC\"}]}",
                  NULL, LO_EINVAL, "entities[0].label", "'LOC' is not one of the classes");
    CHECK_REJECTS(s, "{\"sentiment\":\"pos\",\"entities\":[{\"start\":0,\"end\":2}]}", NULL,
                  LO_EINVAL, "entities[0].label", "needs \"label\"");
    CHECK_REJECTS(s,
                  "{\"sentiment\":\"pos\",\"entities\":[{\"start\":0,\"end\":2,\"label\":\"PER\","
                  "\"score\":1}]}",
                  NULL, LO_EINVAL, "entities[0]", "unknown key \"score\"");
    CHECK_REJECTS(s,
                  "{\"sentiment\":\"pos\",\"entities\":[{\"start\":0,\"end\":9,\"label\":\"PER\"},"
                  "{\"start\":20,\"end\":22,\"label\":\"PER\"},"
                  "{\"start\":4,\"end\":6,\"label\":\"ORG\"}]}",
                  NULL, LO_EINVAL, "entities[2]", "overlaps entities[0]");
    CHECK_REJECTS(s, "{\"sentiment\":\"pos\",\"entities\":[{\"start\":0,\"end\":1,\"label\":\"PER\"}]}",
                  "{\"body\":\"x\"}", LO_EINVAL, "entities", "no text in its \"text\" field");
    lo_schema_free(s);

    /* With allow_overlap, nested spans are fine but the very same span twice is not. */
    s = parse("{\"fields\":[{\"name\":\"ner\",\"type\":\"spans\",\"classes\":[\"A\",\"B\"],"
              "\"allow_overlap\":true,\"source\":\"body\"}]}",
              &err);
    CHECK(s != NULL);
    CHECK_ACCEPTS(s,
                  "{\"ner\":[{\"start\":0,\"end\":9,\"label\":\"A\"},{\"start\":2,\"end\":4,"
                  "\"label\":\"A\"},{\"start\":0,\"end\":9,\"label\":\"B\"}]}",
                  "{\"body\":\"0123456789\"}");
    CHECK_REJECTS(s,
                  "{\"ner\":[{\"start\":0,\"end\":9,\"label\":\"A\"},{\"start\":0,\"end\":9,"
                  "\"label\":\"A\"}]}",
                  NULL, LO_EINVAL, "ner[1]", "the same span twice");
    lo_schema_free(s);
}

static void test_span_offsets_count_code_points_not_bytes(void)
{
    struct lo_error err;
    struct lo_schema *s = parse("{\"fields\":[{\"name\":\"e\",\"type\":\"spans\","
                                "\"classes\":[\"X\"]}]}",
                                &err);
    CHECK(s != NULL);
    /* "héllo 😀 wörld": 13 code points, 18 bytes (é, ö 2 bytes, the emoji 4). */
    const char *item = "{\"text\":\"h\\u00e9llo \\ud83d\\ude00 w\\u00f6rld\"}";
    CHECK_ACCEPTS(s, "{\"e\":[{\"start\":8,\"end\":13,\"label\":\"X\"}]}", item);
    CHECK_ACCEPTS(s, "{\"e\":[{\"start\":6,\"end\":7,\"label\":\"X\"}]}", item);
    CHECK_REJECTS(s, "{\"e\":[{\"start\":8,\"end\":14,\"label\":\"X\"}]}", item, LO_EINVAL,
                  "e[0].end", "(13 code points)");

    const char *text = "h\xc3\xa9llo \xf0\x9f\x98\x80 w\xc3\xb6rld";
    size_t len = strlen(text);
    CHECK_INT(len, 18);
    CHECK_INT(lo_utf8_length(text, len), 13);
    size_t off = 0;
    CHECK(lo_utf8_byte_offset(text, len, 6, &off));
    CHECK_INT(off, 7); /* the emoji starts at byte 7 */
    CHECK(lo_utf8_byte_offset(text, len, 8, &off));
    CHECK_INT(off, 12); /* "wörld" starts after the 4-byte emoji and a space */
    CHECK(lo_utf8_byte_offset(text, len, 13, &off));
    CHECK_INT(off, 18);
    CHECK(!lo_utf8_byte_offset(text, len, 14, &off));
    lo_schema_free(s);
}

static void test_boxes_check_shape_classes_image_and_count(void)
{
    struct lo_error err;
    struct lo_schema *s = parse(full_schema, &err);
    CHECK(s != NULL);
    const char *img = "{\"image\":\"a.jpg\",\"width\":640,\"height\":480}";
    CHECK_ACCEPTS(s,
                  "{\"sentiment\":\"pos\",\"objects\":[{\"x\":0,\"y\":0,\"w\":640,\"h\":480,"
                  "\"label\":\"car\"},{\"x\":10.5,\"y\":20,\"w\":30,\"h\":40.25,"
                  "\"label\":\"person\"}]}",
                  img);
    CHECK_REJECTS(s,
                  "{\"sentiment\":\"pos\",\"objects\":[{\"x\":600,\"y\":0,\"w\":41,\"h\":10,"
                  "\"label\":\"car\"}]}",
                  img, LO_EINVAL, "objects[0].w", "right edge");
    CHECK_REJECTS(s,
                  "{\"sentiment\":\"pos\",\"objects\":[{\"x\":0,\"y\":470,\"w\":5,\"h\":11,"
                  "\"label\":\"car\"}]}",
                  img, LO_EINVAL, "objects[0].h", "bottom edge");
    /* The image size unknown: no bounds check. */
    CHECK_ACCEPTS(s,
                  "{\"sentiment\":\"pos\",\"objects\":[{\"x\":600,\"y\":0,\"w\":41,\"h\":10,"
                  "\"label\":\"car\"}]}",
                  "{\"image\":\"a.jpg\"}");
    CHECK_REJECTS(s,
                  "{\"sentiment\":\"pos\",\"objects\":[{\"x\":1,\"y\":1,\"w\":0,\"h\":10,"
                  "\"label\":\"car\"}]}",
                  NULL, LO_EINVAL, "objects[0].w", "must be greater than 0");
    CHECK_REJECTS(s,
                  "{\"sentiment\":\"pos\",\"objects\":[{\"x\":1,\"y\":-2,\"w\":3,\"h\":10,"
                  "\"label\":\"car\"}]}",
                  NULL, LO_EINVAL, "objects[0].y", "must not be negative");
    CHECK_REJECTS(s,
                  "{\"sentiment\":\"pos\",\"objects\":[{\"x\":1,\"y\":2,\"w\":\"3\",\"h\":10,"
                  "\"label\":\"car\"}]}",
                  NULL, LO_EINVAL, "objects[0].w", "expected a number of pixels");
    CHECK_REJECTS(s,
                  "{\"sentiment\":\"pos\",\"objects\":[{\"x\":1,\"y\":2,\"w\":3,\"h\":10,"
                  "\"label\":\"bus\"}]}",
                  NULL, LO_EINVAL, "objects[0].label", "'bus' is not one of the classes");
    CHECK_REJECTS(s, "{\"sentiment\":\"pos\",\"objects\":[{\"x\":1,\"y\":2,\"h\":10,\"label\":\"car\"}]}",
                  NULL, LO_EINVAL, "objects[0].w", "needs \"w\"");
    const char *box = "{\"x\":1,\"y\":2,\"w\":3,\"h\":4,\"label\":\"car\"}";
    char v[512];
    snprintf(v, sizeof(v), "{\"sentiment\":\"pos\",\"objects\":[%s,%s,%s,%s]}", box, box, box,
             box);
    CHECK_REJECTS(s, v, NULL, LO_EINVAL, "objects", "more than max_boxes (3)");
    lo_schema_free(s);
}

static void test_box_count_over_the_hard_limit_is_a_limit_error(void)
{
    struct lo_error err;
    struct lo_schema *s = parse("{\"fields\":[{\"name\":\"b\",\"type\":\"boxes\","
                                "\"classes\":[\"x\"]}]}",
                                &err);
    CHECK(s != NULL);
    json_t *arr = json_array();
    for (int i = 0; i <= LO_LIMIT_BOXES_PER_VALUE; i++)
        json_array_append_new(arr, json_pack("{s:i,s:i,s:i,s:i,s:s}", "x", 0, "y", 0, "w", 1,
                                             "h", 1, "label", "x"));
    json_t *v = json_pack("{s:o}", "b", arr);
    lo_error_clear(&err);
    CHECK_INT(lo_schema_validate_value(s, v, NULL, &err), LO_ELIMIT);
    CHECK_STR(err.field, "b");
    CHECK_HAS(err.msg, "LO_LIMIT_BOXES_PER_VALUE");
    json_array_remove(arr, 0);
    CHECK_INT(lo_schema_validate_value(s, v, NULL, &err), 0);
    json_decref(v);
    lo_schema_free(s);
}

static void test_free_text_length_in_code_points(void)
{
    struct lo_error err;
    struct lo_schema *s = parse(full_schema, &err);
    CHECK(s != NULL);
    /* Ten code points, twenty bytes: within max_length 10. */
    CHECK_ACCEPTS(s, "{\"sentiment\":\"pos\",\"comment\":\"\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9"
                     "\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\"}",
                  NULL);
    CHECK_REJECTS(s, "{\"sentiment\":\"pos\",\"comment\":\"eleven char\"}", NULL, LO_EINVAL,
                  "comment", "longer than max_length (10)");
    CHECK_REJECTS(s, "{\"sentiment\":\"pos\",\"comment\":42}", NULL, LO_EINVAL, "comment",
                  "expected a string");
    lo_schema_free(s);

    s = parse("{\"fields\":[{\"name\":\"why\",\"type\":\"free_text\",\"min_length\":2}]}", &err);
    CHECK(s != NULL);
    CHECK_REJECTS(s, "{\"why\":\"x\"}", NULL, LO_EINVAL, "why", "shorter than min_length (2)");
    /* Over the byte limit whatever max_length says. */
    size_t big = (size_t)LO_LIMIT_FREE_TEXT + 1;
    char *text = malloc(big + 1);
    CHECK(text != NULL);
    memset(text, 'a', big);
    text[big] = '\0';
    json_t *v = json_pack("{s:s}", "why", text);
    free(text);
    lo_error_clear(&err);
    CHECK_INT(lo_schema_validate_value(s, v, NULL, &err), LO_ELIMIT);
    CHECK_STR(err.field, "why");
    CHECK_HAS(err.msg, "LO_LIMIT_FREE_TEXT");
    json_decref(v);
    lo_schema_free(s);
}

static void test_rating_checks_range_and_step(void)
{
    struct lo_error err;
    struct lo_schema *s = parse(full_schema, &err);
    CHECK(s != NULL);
    CHECK_ACCEPTS(s, "{\"sentiment\":\"pos\",\"quality\":1}", NULL);
    CHECK_ACCEPTS(s, "{\"sentiment\":\"pos\",\"quality\":4.5}", NULL);
    CHECK_ACCEPTS(s, "{\"sentiment\":\"pos\",\"quality\":5}", NULL);
    CHECK_REJECTS(s, "{\"sentiment\":\"pos\",\"quality\":5.5}", NULL, LO_EINVAL, "quality",
                  "outside the range [1, 5]");
    CHECK_REJECTS(s, "{\"sentiment\":\"pos\",\"quality\":0}", NULL, LO_EINVAL, "quality",
                  "outside the range");
    CHECK_REJECTS(s, "{\"sentiment\":\"pos\",\"quality\":2.25}", NULL, LO_EINVAL, "quality",
                  "not on the step");
    CHECK_REJECTS(s, "{\"sentiment\":\"pos\",\"quality\":\"3\"}", NULL, LO_EINVAL, "quality",
                  "expected a number, got a string");
    CHECK_REJECTS(s, "{\"sentiment\":\"pos\",\"quality\":true}", NULL, LO_EINVAL, "quality",
                  "got a boolean");
    lo_schema_free(s);

    /* Without a step any number in range is fine; a step of 0.1 tolerates rounding. */
    s = parse("{\"fields\":[{\"name\":\"t\",\"type\":\"rating\",\"min\":-1,\"max\":1,"
              "\"level\":\"interval\"},{\"name\":\"p\",\"type\":\"rating\",\"min\":0,\"max\":1,"
              "\"step\":0.1,\"level\":\"interval\"}]}",
              &err);
    CHECK_MSG(s != NULL, "%s", err.msg);
    CHECK(lo_schema_field_at(s, 0)->level == LO_LEVEL_INTERVAL);
    CHECK_ACCEPTS(s, "{\"t\":0.123456,\"p\":0.3}", NULL);
    CHECK_ACCEPTS(s, "{\"p\":0.7}", NULL);
    CHECK_REJECTS(s, "{\"p\":0.75}", NULL, LO_EINVAL, "p", "not on the step");
    lo_schema_free(s);
}

static void test_infer_single_choice_from_labels(void)
{
    struct lo_str labels[] = { LO_STR_LIT("neg"), LO_STR_LIT(" pos "), LO_STR_LIT("neu"),
                               LO_STR_LIT("pos"), LO_STR_LIT("neg") };
    struct lo_schema *s = NULL;
    struct lo_error err;
    lo_error_clear(&err);
    CHECK_INT(lo_schema_infer_from_labels(labels, 5, false, NULL, &s, &err), 0);
    CHECK_INT(lo_schema_field_count(s), 1);
    const struct lo_schema_field *f = lo_schema_field_at(s, 0);
    CHECK_STR(f->name, "label");
    CHECK(f->type == LO_FIELD_SINGLE_CHOICE);
    CHECK(f->required);
    CHECK_INT(f->n_classes, 3);
    CHECK_STR(f->classes[0], "neg");
    CHECK_STR(f->classes[1], "neu");
    CHECK_STR(f->classes[2], "pos");

    /* A plain label becomes a value the schema accepts. */
    json_t *v = NULL;
    CHECK_INT(lo_schema_value_from_label(s, NULL, lo_str_from("pos "), &v, &err), 0);
    char *dumped = json_dumps(v, JSON_COMPACT);
    CHECK_STR(dumped, "{\"label\":\"pos\"}");
    free(dumped);
    CHECK_INT(lo_schema_validate_value(s, v, NULL, &err), 0);
    char label[16];
    CHECK_INT(lo_schema_value_label(f, json_object_get(v, "label"), label, sizeof(label), &err),
              0);
    CHECK_STR(label, "pos");
    json_decref(v);
    CHECK_INT(lo_schema_value_from_label(s, NULL, lo_str_from("maybe"), &v, &err), 0);
    CHECK_INT(lo_schema_validate_value(s, v, NULL, &err), LO_EINVAL);
    CHECK_STR(err.field, "label");
    json_decref(v);
    lo_schema_free(s);
}

static void test_infer_sorts_numeric_classes_by_value(void)
{
    struct lo_str labels[] = { LO_STR_LIT("10"), LO_STR_LIT("2"), LO_STR_LIT("1"),
                               LO_STR_LIT("2") };
    struct lo_schema *s = NULL;
    struct lo_error err;
    CHECK_INT(lo_schema_infer_from_labels(labels, 4, false, "grade", &s, &err), 0);
    const struct lo_schema_field *f = lo_schema_field_find(s, "grade");
    CHECK(f != NULL);
    CHECK_INT(f->n_classes, 3);
    CHECK_STR(f->classes[0], "1");
    CHECK_STR(f->classes[1], "2");
    CHECK_STR(f->classes[2], "10");
    lo_schema_free(s);
}

static void test_infer_numeric_rating_from_labels(void)
{
    struct lo_str labels[] = { LO_STR_LIT("3"), LO_STR_LIT("1"), LO_STR_LIT("5"),
                               LO_STR_LIT("4") };
    struct lo_schema *s = NULL;
    struct lo_error err;
    CHECK_INT(lo_schema_infer_from_labels(labels, 4, true, NULL, &s, &err), 0);
    const struct lo_schema_field *f = lo_schema_field_at(s, 0);
    CHECK(f->type == LO_FIELD_RATING);
    CHECK_NEAR(f->min, 1, 0);
    CHECK_NEAR(f->max, 5, 0);
    CHECK(f->has_step);
    CHECK_NEAR(f->step, 1, 0);
    CHECK(f->level == LO_LEVEL_ORDINAL);
    json_t *v = NULL;
    CHECK_INT(lo_schema_value_from_label(s, NULL, lo_str_from("3"), &v, &err), 0);
    char *dumped = json_dumps(v, JSON_COMPACT);
    CHECK_STR(dumped, "{\"label\":3}");
    free(dumped);
    CHECK_INT(lo_schema_validate_value(s, v, NULL, &err), 0);
    json_decref(v);
    CHECK_INT(lo_schema_value_from_label(s, NULL, lo_str_from(" 4.0"), &v, &err), 0);
    dumped = json_dumps(v, JSON_COMPACT);
    CHECK_STR(dumped, "{\"label\":4}");
    free(dumped);
    json_decref(v);
    CHECK_INT(lo_schema_value_from_label(s, NULL, lo_str_from("high"), &v, &err), LO_EINVAL);
    CHECK_STR(err.field, "label");
    CHECK_HAS(err.msg, "not a number");
    lo_schema_free(s);

    /* Fractions make an interval rating without a step. */
    struct lo_str frac[] = { LO_STR_LIT("0.25"), LO_STR_LIT("1.5"), LO_STR_LIT("-2") };
    CHECK_INT(lo_schema_infer_from_labels(frac, 3, true, NULL, &s, &err), 0);
    f = lo_schema_field_at(s, 0);
    CHECK(!f->has_step && f->level == LO_LEVEL_INTERVAL);
    CHECK_NEAR(f->min, -2, 0);
    CHECK_NEAR(f->max, 1.5, 0);
    CHECK_INT(lo_schema_value_from_label(s, NULL, lo_str_from("0.25"), &v, &err), 0);
    char label[32];
    CHECK_INT(lo_schema_value_label(f, json_object_get(v, "label"), label, sizeof(label), &err),
              0);
    CHECK_STR(label, "0.25");
    json_decref(v);
    lo_schema_free(s);

    /* A label that is not a number stops a numeric inference. */
    struct lo_str bad[] = { LO_STR_LIT("1"), LO_STR_LIT("two") };
    CHECK_INT(lo_schema_infer_from_labels(bad, 2, true, NULL, &s, &err), LO_EINVAL);
    CHECK(s == NULL);
    CHECK_HAS(err.msg, "'two' is not a number");
}

static void test_infer_refuses_nothing_and_too_many_classes(void)
{
    struct lo_schema *s = NULL;
    struct lo_error err;
    CHECK_INT(lo_schema_infer_from_labels(NULL, 0, false, NULL, &s, &err), LO_EINVAL);
    CHECK_HAS(err.msg, "no labels");
    struct lo_schema_inferrer *inf = NULL;
    CHECK_INT(lo_schema_inferrer_new(&inf, NULL, false, &err), 0);
    char buf[32];
    int rc = 0;
    for (int i = 0; i <= LO_LIMIT_SCHEMA_CLASSES && rc == 0; i++) {
        snprintf(buf, sizeof(buf), "c%d", i);
        rc = lo_schema_inferrer_add(inf, lo_str_from(buf), &err);
    }
    CHECK_INT(rc, LO_ELIMIT);
    CHECK_HAS(err.msg, "LO_LIMIT_SCHEMA_CLASSES");
    /* A repeated label is not a new class. */
    CHECK_INT(lo_schema_inferrer_add(inf, lo_str_from("c5"), &err), 0);
    CHECK_INT(lo_schema_inferrer_finish(inf, &s, &err), 0);
    CHECK_INT(lo_schema_field_at(s, 0)->n_classes, LO_LIMIT_SCHEMA_CLASSES);
    lo_schema_free(s);
    CHECK_INT(lo_schema_inferrer_new(&inf, "bad name", false, &err), LO_EINVAL);
}

static void test_value_from_label_needs_a_single_field_or_a_name(void)
{
    struct lo_error err;
    struct lo_schema *s = parse(full_schema, &err);
    CHECK(s != NULL);
    json_t *v = NULL;
    CHECK_INT(lo_schema_value_from_label(s, NULL, lo_str_from("pos"), &v, &err), LO_EUSAGE);
    CHECK_INT(lo_schema_value_from_label(s, "quality", lo_str_from("3.5"), &v, &err), 0);
    char *dumped = json_dumps(v, JSON_COMPACT);
    CHECK_STR(dumped, "{\"quality\":3.5}");
    free(dumped);
    json_decref(v);
    CHECK_INT(lo_schema_value_from_label(s, "topics", lo_str_from("tech"), &v, &err), LO_EINVAL);
    CHECK_STR(err.field, "topics");
    CHECK_INT(lo_schema_value_from_label(s, "nope", lo_str_from("x"), &v, &err), LO_EINVAL);
    lo_schema_free(s);
}

static void test_errors_may_be_ignored_with_a_null_error_struct(void)
{
    struct lo_schema *s = NULL;
    const char *bad = "{\"fields\":[{\"name\":\"m\",\"type\":\"multi_choice\","
                      "\"classes\":[\"x\"],\"max_selected\":3}]}";
    CHECK_INT(lo_schema_parse(bad, strlen(bad), &s, NULL), LO_EINVAL);
    CHECK(s == NULL);
    s = parse(full_schema, &(struct lo_error){ 0 });
    CHECK(s != NULL);
    json_t *v = json_pack("{s:s,s:i}", "sentiment", "pos", "quality", 9);
    CHECK_INT(lo_schema_validate_value(s, v, NULL, NULL), LO_EINVAL);
    json_decref(v);
    json_t *out = NULL;
    CHECK_INT(lo_schema_value_from_label(s, NULL, lo_str_from("pos"), &out, NULL), LO_EUSAGE);
    lo_schema_free(s);
    CHECK_SCHEMA_REJECTS("{\"fields\":[{\"name\":\"r\",\"type\":\"rating\",\"min\":-1e308,"
                         "\"max\":1e308,\"step\":1e-300,\"level\":\"interval\"}]}",
                         LO_EINVAL, "r", "too small for the range");
}

static struct lo_schema *parse_file(const char *relpath, struct lo_error *err)
{
    char buf[64 * 1024];
    FILE *f = fopen(lo_fixture(relpath), "rb");
    if (!f)
        return NULL;
    size_t n = fread(buf, 1, sizeof(buf), f);
    fclose(f);
    struct lo_schema *s = NULL;
    lo_error_clear(err);
    lo_schema_parse(buf, n, &s, err);
    return s;
}

/* The schemas shipped in examples/schemas/ (and shown in docs/schema.md) stay valid. */
static void test_example_schemas_parse_and_accept_their_documented_values(void)
{
    static const char *const names[] = { "sentiment", "ner", "detection", "article_review",
                                         "relevance" };
    char rel[128];
    struct lo_error err;
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        snprintf(rel, sizeof(rel), "../../examples/schemas/%s.json", names[i]);
        struct lo_schema *s = parse_file(rel, &err);
        CHECK_MSG(s != NULL, "%s: %s: %s", rel, err.field, err.msg);
        lo_schema_free(s);
    }
    struct lo_schema *s = parse_file("../../examples/schemas/ner.json", &err);
    CHECK(s != NULL);
    CHECK_ACCEPTS(s,
                  "{\"entities\":[{\"start\":0,\"end\":6,\"label\":\"PER\"},"
                  "{\"start\":16,\"end\":25,\"label\":\"LOC\"}]}",
                  "{\"text\":\"Zo\u00eb K. moved to K\u00f8benhavn in 2020.\"}");
    lo_schema_free(s);
    s = parse_file("../../examples/schemas/detection.json", &err);
    CHECK(s != NULL);
    CHECK_ACCEPTS(s,
                  "{\"objects\":[{\"x\":12,\"y\":40,\"w\":200,\"h\":120,\"label\":\"car\"}],"
                  "\"scene\":\"night\"}",
                  "{\"image\":\"img/0001.jpg\",\"width\":1280,\"height\":720}");
    lo_schema_free(s);
}

int main(int argc, char **argv)
{
    static const struct lo_test tests[] = {
        LO_T(test_full_schema_parses_with_defaults),
        LO_T(test_canonical_form_is_stable_and_reparses),
        LO_T(test_schema_rules_name_the_field_and_the_rule),
        LO_T(test_schema_limits_are_named),
        LO_T(test_value_must_be_object_of_known_fields_with_required_present),
        LO_T(test_single_choice_accepts_only_its_classes),
        LO_T(test_multi_choice_checks_classes_duplicates_and_counts),
        LO_T(test_spans_check_bounds_classes_and_overlap),
        LO_T(test_span_offsets_count_code_points_not_bytes),
        LO_T(test_boxes_check_shape_classes_image_and_count),
        LO_T(test_box_count_over_the_hard_limit_is_a_limit_error),
        LO_T(test_free_text_length_in_code_points),
        LO_T(test_rating_checks_range_and_step),
        LO_T(test_infer_single_choice_from_labels),
        LO_T(test_infer_sorts_numeric_classes_by_value),
        LO_T(test_infer_numeric_rating_from_labels),
        LO_T(test_infer_refuses_nothing_and_too_many_classes),
        LO_T(test_value_from_label_needs_a_single_field_or_a_name),
        LO_T(test_example_schemas_parse_and_accept_their_documented_values),
        LO_T(test_errors_may_be_ignored_with_a_null_error_struct),
    };
    return lo_test_run(tests, sizeof(tests) / sizeof(tests[0]), argc, argv);
}
