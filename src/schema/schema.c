/*
 * schema.c - parsing label schemas, validating annotation values against them, inferring a
 * schema from plain labels.
 *
 * Pure domain code: no SQL, no I/O, no global state, never prints. A schema lives in one arena
 * freed by lo_schema_free. Every error names the field and the rule; the checks are strict
 * (unknown keys are errors) so that a typo in a schema or a value is caught at the door instead
 * of turning into silently ignored data.
 */
#include "schema/schema.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/arena.h"
#include "base/limits.h"

struct lo__class_key {
    const char *name;
    size_t index; /* position in the field's classes */
};

struct lo_schema {
    struct lo_arena arena;
    const char *description; /* NULL when none */
    struct lo_schema_field *fields;
    size_t n_fields;
};

/* ---------------------------------------------------------------- small helpers */

size_t lo_utf8_length(const char *s, size_t len)
{
    size_t n = 0;
    for (size_t i = 0; i < len; i++)
        if (((unsigned char)s[i] & 0xC0) != 0x80)
            n++;
    return n;
}

bool lo_utf8_byte_offset(const char *s, size_t len, size_t cp, size_t *byte_offset)
{
    size_t seen = 0;
    for (size_t i = 0; i < len; i++) {
        if (((unsigned char)s[i] & 0xC0) != 0x80) {
            if (seen == cp) {
                *byte_offset = i;
                return true;
            }
            seen++;
        }
    }
    if (seen == cp) {
        *byte_offset = len;
        return true;
    }
    return false;
}

const char *lo_field_type_name(enum lo_field_type t)
{
    switch (t) {
    case LO_FIELD_SINGLE_CHOICE: return "single_choice";
    case LO_FIELD_MULTI_CHOICE: return "multi_choice";
    case LO_FIELD_SPANS: return "spans";
    case LO_FIELD_BOXES: return "boxes";
    case LO_FIELD_FREE_TEXT: return "free_text";
    case LO_FIELD_RATING: return "rating";
    }
    return "unknown";
}

const char *lo_rating_level_name(enum lo_rating_level l)
{
    return l == LO_LEVEL_INTERVAL ? "interval" : "ordinal";
}

static const char *json_type_name(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT: return "an object";
    case JSON_ARRAY: return "an array";
    case JSON_STRING: return "a string";
    case JSON_INTEGER: return "a number";
    case JSON_REAL: return "a number";
    case JSON_TRUE: return "a boolean";
    case JSON_FALSE: return "a boolean";
    case JSON_NULL: return "null";
    }
    return "something else";
}

/* A field name is used in error paths like "entities[3].end", so it may not contain the path
 * punctuation: letters, digits, '_' and '-', starting with a letter or '_'. */
static int check_field_name(const char *name, size_t len, const char *where, struct lo_error *err)
{
    if (len == 0)
        return lo_error_field(err, LO_EINVAL, where, "field name must not be empty");
    if (len > LO_LIMIT_NAME)
        return lo_error_field(err, LO_ELIMIT, where,
                              "field name is %zu bytes, more than LO_LIMIT_NAME (%d)", len,
                              LO_LIMIT_NAME);
    for (size_t i = 0; i < len; i++) {
        char c = name[i];
        bool letter = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
        bool digit = (c >= '0' && c <= '9') || c == '-';
        if (!letter && !(digit && i > 0))
            return lo_error_field(err, LO_EINVAL, where,
                                  "field name '%.*s' may use only letters, digits, '_' and '-', "
                                  "starting with a letter or '_'",
                                  (int)len, name);
    }
    return 0;
}

static int class_key_cmp(const void *a, const void *b)
{
    const struct lo__class_key *x = a, *y = b;
    return strcmp(x->name, y->name);
}

long lo_schema_class_index(const struct lo_schema_field *f, struct lo_str name)
{
    size_t lo = 0, hi = f->n_classes;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = lo_str_cmp(name, lo_str_from(f->class_keys[mid].name));
        if (c == 0)
            return (long)f->class_keys[mid].index;
        if (c < 0)
            hi = mid;
        else
            lo = mid + 1;
    }
    return -1;
}

/* ---------------------------------------------------------------- parsing a schema */

struct key_rule {
    const char *keys[8];
};

static const struct key_rule type_keys[] = {
    [LO_FIELD_SINGLE_CHOICE] = { { "classes" } },
    [LO_FIELD_MULTI_CHOICE] = { { "classes", "min_selected", "max_selected" } },
    [LO_FIELD_SPANS] = { { "classes", "source", "allow_overlap", "max_spans" } },
    [LO_FIELD_BOXES] = { { "classes", "width_field", "height_field", "max_boxes" } },
    [LO_FIELD_FREE_TEXT] = { { "min_length", "max_length" } },
    [LO_FIELD_RATING] = { { "min", "max", "step", "level" } },
};

static bool key_allowed(enum lo_field_type t, const char *key)
{
    static const char *const common[] = { "name", "type", "required", "description" };
    for (size_t i = 0; i < sizeof(common) / sizeof(common[0]); i++)
        if (strcmp(key, common[i]) == 0)
            return true;
    for (size_t i = 0; i < 8 && type_keys[t].keys[i]; i++)
        if (strcmp(key, type_keys[t].keys[i]) == 0)
            return true;
    return false;
}

static int get_bool(const json_t *obj, const char *key, bool def, bool *out, const char *where,
                    struct lo_error *err)
{
    const json_t *v = json_object_get(obj, key);
    *out = def;
    if (!v)
        return 0;
    if (!json_is_boolean(v))
        return lo_error_field(err, LO_EINVAL, where, "\"%s\" must be true or false, not %s", key,
                              json_type_name(v));
    *out = json_is_true(v);
    return 0;
}

/* A whole number in [0, limit]; above limit is LO_ELIMIT naming limit_name. */
static int get_count(const json_t *obj, const char *key, size_t def, size_t limit,
                     const char *limit_name, size_t *out, const char *where, struct lo_error *err)
{
    const json_t *v = json_object_get(obj, key);
    *out = def;
    if (!v)
        return 0;
    if (!json_is_integer(v))
        return lo_error_field(err, LO_EINVAL, where, "\"%s\" must be a whole number, not %s", key,
                              json_type_name(v));
    json_int_t n = json_integer_value(v);
    if (n < 0)
        return lo_error_field(err, LO_EINVAL, where, "\"%s\" must not be negative", key);
    if ((unsigned long long)n > limit)
        return lo_error_field(err, LO_ELIMIT, where, "\"%s\" is %lld, more than %s (%zu)", key,
                              (long long)n, limit_name, limit);
    *out = (size_t)n;
    return 0;
}

/* A string of 1..LO_LIMIT_NAME bytes, copied into the arena. */
static int get_name_string(struct lo_schema *s, const json_t *obj, const char *key,
                           const char *def, const char **out, const char *where,
                           struct lo_error *err)
{
    const json_t *v = json_object_get(obj, key);
    if (!v) {
        *out = def;
        return 0;
    }
    if (!json_is_string(v))
        return lo_error_field(err, LO_EINVAL, where, "\"%s\" must be a string, not %s", key,
                              json_type_name(v));
    size_t len = json_string_length(v);
    if (len == 0)
        return lo_error_field(err, LO_EINVAL, where, "\"%s\" must not be empty", key);
    if (len > LO_LIMIT_NAME)
        return lo_error_field(err, LO_ELIMIT, where,
                              "\"%s\" is %zu bytes, more than LO_LIMIT_NAME (%d)", key, len,
                              LO_LIMIT_NAME);
    *out = lo_arena_strndup(&s->arena, json_string_value(v), len);
    if (!*out)
        return lo_error_set(err, LO_ENOMEM, "out of memory");
    return 0;
}

static int get_number(const json_t *obj, const char *key, bool required, double *out,
                      bool *present, const char *where, struct lo_error *err)
{
    const json_t *v = json_object_get(obj, key);
    if (present)
        *present = v != NULL;
    if (!v) {
        if (required)
            return lo_error_field(err, LO_EINVAL, where, "a rating needs \"%s\"", key);
        return 0;
    }
    if (!json_is_number(v))
        return lo_error_field(err, LO_EINVAL, where, "\"%s\" must be a number, not %s", key,
                              json_type_name(v));
    *out = json_number_value(v);
    return 0;
}

static int parse_classes(struct lo_schema *s, const json_t *fj, struct lo_schema_field *f,
                         const char *where, struct lo_error *err)
{
    const json_t *arr = json_object_get(fj, "classes");
    if (!arr)
        return lo_error_field(err, LO_EINVAL, where, "a %s field needs a \"classes\" list",
                              lo_field_type_name(f->type));
    if (!json_is_array(arr))
        return lo_error_field(err, LO_EINVAL, where, "\"classes\" must be an array, not %s",
                              json_type_name(arr));
    size_t n = json_array_size(arr);
    if (n == 0)
        return lo_error_field(err, LO_EINVAL, where, "\"classes\" must not be empty");
    if (n > LO_LIMIT_SCHEMA_CLASSES)
        return lo_error_field(err, LO_ELIMIT, where,
                              "%zu classes, more than LO_LIMIT_SCHEMA_CLASSES (%d)", n,
                              LO_LIMIT_SCHEMA_CLASSES);
    const char **classes = lo_arena_calloc(&s->arena, n, sizeof(*classes));
    struct lo__class_key *keys = lo_arena_calloc(&s->arena, n, sizeof(*keys));
    if (!classes || !keys)
        return lo_error_set(err, LO_ENOMEM, "out of memory");
    for (size_t i = 0; i < n; i++) {
        const json_t *c = json_array_get(arr, i);
        if (!json_is_string(c))
            return lo_error_field(err, LO_EINVAL, where, "classes[%zu] must be a string, not %s",
                                  i, json_type_name(c));
        size_t len = json_string_length(c);
        const char *str = json_string_value(c);
        if (len == 0)
            return lo_error_field(err, LO_EINVAL, where, "classes[%zu] must not be empty", i);
        if (len > LO_LIMIT_LABEL)
            return lo_error_field(err, LO_ELIMIT, where,
                                  "classes[%zu] is %zu bytes, more than LO_LIMIT_LABEL (%d)", i,
                                  len, LO_LIMIT_LABEL);
        struct lo_str trimmed = lo_str_trim((struct lo_str){ str, len });
        if (trimmed.len != len)
            return lo_error_field(err, LO_EINVAL, where,
                                  "class '%s' must not begin or end with blanks", str);
        if (memchr(str, '\0', len))
            return lo_error_field(err, LO_EINVAL, where, "classes[%zu] contains a NUL byte", i);
        classes[i] = lo_arena_strndup(&s->arena, str, len);
        if (!classes[i])
            return lo_error_set(err, LO_ENOMEM, "out of memory");
        keys[i].name = classes[i];
        keys[i].index = i;
    }
    qsort(keys, n, sizeof(*keys), class_key_cmp);
    for (size_t i = 1; i < n; i++)
        if (strcmp(keys[i - 1].name, keys[i].name) == 0)
            return lo_error_field(err, LO_EINVAL, where,
                                  "class '%s' appears twice; class names must be unique",
                                  keys[i].name);
    f->classes = classes;
    f->n_classes = n;
    f->class_keys = keys;
    return 0;
}

static int parse_type_specific(struct lo_schema *s, const json_t *fj, struct lo_schema_field *f,
                               const char *where, struct lo_error *err)
{
    int rc = 0;
    switch (f->type) {
    case LO_FIELD_SINGLE_CHOICE:
        return parse_classes(s, fj, f, where, err);
    case LO_FIELD_MULTI_CHOICE:
        rc = parse_classes(s, fj, f, where, err);
        if (rc)
            return rc;
        rc = get_count(fj, "min_selected", 0, SIZE_MAX, "", &f->min_selected, where, err);
        if (rc)
            return rc;
        rc = get_count(fj, "max_selected", f->n_classes, SIZE_MAX, "", &f->max_selected, where,
                       err);
        if (rc)
            return rc;
        if (f->max_selected > f->n_classes)
            return lo_error_field(err, LO_EINVAL, where,
                                  "max_selected (%zu) exceeds the number of classes (%zu)",
                                  f->max_selected, f->n_classes);
        if (f->min_selected > f->max_selected)
            return lo_error_field(err, LO_EINVAL, where,
                                  "min_selected (%zu) must not exceed max_selected (%zu)",
                                  f->min_selected, f->max_selected);
        return 0;
    case LO_FIELD_SPANS:
        rc = parse_classes(s, fj, f, where, err);
        if (rc)
            return rc;
        rc = get_name_string(s, fj, "source", "text", &f->source, where, err);
        if (rc)
            return rc;
        rc = get_bool(fj, "allow_overlap", false, &f->allow_overlap, where, err);
        if (rc)
            return rc;
        rc = get_count(fj, "max_spans", LO_LIMIT_SPANS_PER_VALUE, LO_LIMIT_SPANS_PER_VALUE,
                       "LO_LIMIT_SPANS_PER_VALUE", &f->max_count, where, err);
        if (rc)
            return rc;
        if (f->max_count == 0)
            return lo_error_field(err, LO_EINVAL, where, "\"max_spans\" must be at least 1");
        return 0;
    case LO_FIELD_BOXES:
        rc = parse_classes(s, fj, f, where, err);
        if (rc)
            return rc;
        rc = get_name_string(s, fj, "width_field", "width", &f->width_field, where, err);
        if (rc)
            return rc;
        rc = get_name_string(s, fj, "height_field", "height", &f->height_field, where, err);
        if (rc)
            return rc;
        rc = get_count(fj, "max_boxes", LO_LIMIT_BOXES_PER_VALUE, LO_LIMIT_BOXES_PER_VALUE,
                       "LO_LIMIT_BOXES_PER_VALUE", &f->max_count, where, err);
        if (rc)
            return rc;
        if (f->max_count == 0)
            return lo_error_field(err, LO_EINVAL, where, "\"max_boxes\" must be at least 1");
        return 0;
    case LO_FIELD_FREE_TEXT:
        rc = get_count(fj, "min_length", 0, LO_LIMIT_FREE_TEXT, "LO_LIMIT_FREE_TEXT",
                       &f->min_length, where, err);
        if (rc)
            return rc;
        rc = get_count(fj, "max_length", LO_LIMIT_FREE_TEXT, LO_LIMIT_FREE_TEXT,
                       "LO_LIMIT_FREE_TEXT", &f->max_length, where, err);
        if (rc)
            return rc;
        if (f->min_length > f->max_length)
            return lo_error_field(err, LO_EINVAL, where,
                                  "min_length (%zu) must not exceed max_length (%zu)",
                                  f->min_length, f->max_length);
        return 0;
    case LO_FIELD_RATING: {
        rc = get_number(fj, "min", true, &f->min, NULL, where, err);
        if (rc)
            return rc;
        rc = get_number(fj, "max", true, &f->max, NULL, where, err);
        if (rc)
            return rc;
        if (f->min > f->max)
            return lo_error_field(err, LO_EINVAL, where, "min (%g) must not exceed max (%g)",
                                  f->min, f->max);
        rc = get_number(fj, "step", false, &f->step, &f->has_step, where, err);
        if (rc)
            return rc;
        if (f->has_step) {
            if (!(f->step > 0))
                return lo_error_field(err, LO_EINVAL, where, "step (%g) must be positive",
                                      f->step);
            double k = (f->max - f->min) / f->step;
            if (!isfinite(k) || k > 1e15)
                return lo_error_field(err, LO_EINVAL, where,
                                      "step (%g) is too small for the range [%g, %g]", f->step,
                                      f->min, f->max);
            if (fabs(k - nearbyint(k)) > 1e-9 * fmax(1.0, fabs(k)))
                return lo_error_field(err, LO_EINVAL, where,
                                      "max (%g) must be min (%g) plus a whole number of steps "
                                      "(%g)",
                                      f->max, f->min, f->step);
        }
        const json_t *lv = json_object_get(fj, "level");
        if (!lv)
            return lo_error_field(err, LO_EINVAL, where,
                                  "a rating needs \"level\": \"ordinal\" or \"interval\"");
        if (json_is_string(lv) && strcmp(json_string_value(lv), "ordinal") == 0)
            f->level = LO_LEVEL_ORDINAL;
        else if (json_is_string(lv) && strcmp(json_string_value(lv), "interval") == 0)
            f->level = LO_LEVEL_INTERVAL;
        else
            return lo_error_field(err, LO_EINVAL, where,
                                  "\"level\" must be \"ordinal\" or \"interval\"");
        return 0;
    }
    }
    return lo_error_field(err, LO_EINVAL, where, "unknown field type");
}

static int parse_type(const json_t *tv, enum lo_field_type *out, const char *where,
                      struct lo_error *err)
{
    if (!tv)
        return lo_error_field(err, LO_EINVAL, where,
                              "a field needs a \"type\": single_choice, multi_choice, spans, "
                              "boxes, free_text or rating");
    if (!json_is_string(tv))
        return lo_error_field(err, LO_EINVAL, where, "\"type\" must be a string, not %s",
                              json_type_name(tv));
    const char *t = json_string_value(tv);
    for (int i = LO_FIELD_SINGLE_CHOICE; i <= LO_FIELD_RATING; i++) {
        if (strcmp(t, lo_field_type_name((enum lo_field_type)i)) == 0) {
            *out = (enum lo_field_type)i;
            return 0;
        }
    }
    return lo_error_field(err, LO_EINVAL, where,
                          "unknown type '%s': use single_choice, multi_choice, spans, boxes, "
                          "free_text or rating",
                          t);
}

static int parse_field(struct lo_schema *s, const json_t *fj, size_t idx,
                       struct lo_schema_field *f, struct lo_error *err)
{
    char where[LO_ERROR_FIELD_MAX];
    int rc;
    snprintf(where, sizeof(where), "fields[%zu]", idx);
    if (!json_is_object(fj))
        return lo_error_field(err, LO_EINVAL, where, "a field must be an object, not %s",
                              json_type_name(fj));
    const json_t *nv = json_object_get(fj, "name");
    if (!nv)
        return lo_error_field(err, LO_EINVAL, where, "a field needs a \"name\"");
    if (!json_is_string(nv))
        return lo_error_field(err, LO_EINVAL, where, "\"name\" must be a string, not %s",
                              json_type_name(nv));
    rc = check_field_name(json_string_value(nv), json_string_length(nv), where, err);
    if (rc)
        return rc;
    f->name = lo_arena_strndup(&s->arena, json_string_value(nv), json_string_length(nv));
    if (!f->name)
        return lo_error_set(err, LO_ENOMEM, "out of memory");
    /* From here on errors name the field by its name. */
    snprintf(where, sizeof(where), "%s", f->name);
    for (size_t j = 0; j < idx; j++)
        if (strcmp(s->fields[j].name, f->name) == 0)
            return lo_error_field(err, LO_EINVAL, where,
                                  "field name '%s' appears twice; field names must be unique",
                                  f->name);

    rc = parse_type(json_object_get(fj, "type"), &f->type, where, err);
    if (rc)
        return rc;
    const char *key;
    const json_t *v;
    json_object_foreach((json_t *)fj, key, v) {
        if (!key_allowed(f->type, key))
            return lo_error_field(err, LO_EINVAL, where, "unknown key \"%s\" for a %s field",
                                  key, lo_field_type_name(f->type));
    }
    rc = get_bool(fj, "required", false, &f->required, where, err);
    if (rc)
        return rc;
    v = json_object_get(fj, "description");
    if (v) {
        if (!json_is_string(v))
            return lo_error_field(err, LO_EINVAL, where,
                                  "\"description\" must be a string, not %s", json_type_name(v));
        f->description = lo_arena_strndup(&s->arena, json_string_value(v), json_string_length(v));
        if (!f->description)
            return lo_error_set(err, LO_ENOMEM, "out of memory");
    }
    return parse_type_specific(s, fj, f, where, err);
}

int lo_schema_from_json(const json_t *root, struct lo_schema **out, struct lo_error *err)
{
    int rc;
    *out = NULL;
    if (!json_is_object(root))
        return lo_error_field(err, LO_EINVAL, "",
                              "a schema must be a JSON object with a \"fields\" array");
    const char *key;
    const json_t *v;
    json_object_foreach((json_t *)root, key, v) {
        if (strcmp(key, "fields") != 0 && strcmp(key, "description") != 0)
            return lo_error_field(err, LO_EINVAL, "",
                                  "unknown key \"%s\" in a schema (allowed: fields, description)",
                                  key);
    }
    const json_t *fields = json_object_get(root, "fields");
    if (!fields)
        return lo_error_field(err, LO_EINVAL, "", "a schema needs a \"fields\" array");
    if (!json_is_array(fields))
        return lo_error_field(err, LO_EINVAL, "", "\"fields\" must be an array, not %s",
                              json_type_name(fields));
    size_t n = json_array_size(fields);
    if (n == 0)
        return lo_error_field(err, LO_EINVAL, "", "a schema needs at least one field");
    if (n > LO_LIMIT_SCHEMA_FIELDS)
        return lo_error_field(err, LO_ELIMIT, "",
                              "%zu fields, more than LO_LIMIT_SCHEMA_FIELDS (%d)", n,
                              LO_LIMIT_SCHEMA_FIELDS);
    const json_t *desc = json_object_get(root, "description");
    if (desc && !json_is_string(desc))
        return lo_error_field(err, LO_EINVAL, "", "\"description\" must be a string, not %s",
                              json_type_name(desc));

    struct lo_schema *s = calloc(1, sizeof(*s));
    if (!s)
        return lo_error_set(err, LO_ENOMEM, "out of memory");
    lo_arena_init(&s->arena, 16 * 1024);
    s->fields = lo_arena_calloc(&s->arena, n, sizeof(*s->fields));
    if (!s->fields) {
        rc = lo_error_set(err, LO_ENOMEM, "out of memory");
        goto fail;
    }
    if (desc) {
        s->description =
            lo_arena_strndup(&s->arena, json_string_value(desc), json_string_length(desc));
        if (!s->description) {
            rc = lo_error_set(err, LO_ENOMEM, "out of memory");
            goto fail;
        }
    }
    for (size_t i = 0; i < n; i++) {
        rc = parse_field(s, json_array_get(fields, i), i, &s->fields[i], err);
        if (rc)
            goto fail;
        s->n_fields = i + 1;
    }
    *out = s;
    return 0;
fail:
    lo_schema_free(s);
    return rc;
}

int lo_schema_parse(const char *json, size_t len, struct lo_schema **out, struct lo_error *err)
{
    *out = NULL;
    if (len > LO_LIMIT_SCHEMA_BYTES)
        return lo_error_field(err, LO_ELIMIT, "",
                              "schema is %zu bytes, more than LO_LIMIT_SCHEMA_BYTES (%d)", len,
                              LO_LIMIT_SCHEMA_BYTES);
    json_error_t jerr;
    json_t *root = json_loadb(json, len, JSON_REJECT_DUPLICATES, &jerr);
    if (!root)
        return lo_error_field(err, LO_EINVAL, "",
                              "schema is not valid JSON: %s (line %d, column %d)", jerr.text,
                              jerr.line, jerr.column);
    int rc = lo_schema_from_json(root, out, err);
    json_decref(root);
    return rc;
}

void lo_schema_free(struct lo_schema *s)
{
    if (!s)
        return;
    lo_arena_free(&s->arena);
    free(s);
}

size_t lo_schema_field_count(const struct lo_schema *s)
{
    return s->n_fields;
}

const struct lo_schema_field *lo_schema_field_at(const struct lo_schema *s, size_t i)
{
    return i < s->n_fields ? &s->fields[i] : NULL;
}

const struct lo_schema_field *lo_schema_field_find(const struct lo_schema *s, const char *name)
{
    for (size_t i = 0; i < s->n_fields; i++)
        if (strcmp(s->fields[i].name, name) == 0)
            return &s->fields[i];
    return NULL;
}

/* ---------------------------------------------------------------- canonical form */

/* Integral numbers are written as JSON integers so that 5 stays 5, not 5.0. */
static json_t *json_num(double d)
{
    if (d == nearbyint(d) && fabs(d) < 9007199254740992.0)
        return json_integer((json_int_t)d);
    return json_real(d);
}

static int set_new(json_t *obj, const char *key, json_t *v)
{
    if (!v)
        return LO_ENOMEM;
    return json_object_set_new(obj, key, v) ? LO_ENOMEM : 0;
}

static int field_to_json(const struct lo_schema_field *f, json_t *o)
{
    int rc = 0;
    rc |= set_new(o, "name", json_string(f->name));
    rc |= set_new(o, "type", json_string(lo_field_type_name(f->type)));
    rc |= set_new(o, "required", json_boolean(f->required));
    if (f->description)
        rc |= set_new(o, "description", json_string(f->description));
    if (f->n_classes) {
        json_t *arr = json_array();
        for (size_t i = 0; arr && i < f->n_classes; i++)
            if (json_array_append_new(arr, json_string(f->classes[i])))
                rc = LO_ENOMEM;
        rc |= set_new(o, "classes", arr);
    }
    switch (f->type) {
    case LO_FIELD_SINGLE_CHOICE:
        break;
    case LO_FIELD_MULTI_CHOICE:
        rc |= set_new(o, "min_selected", json_integer((json_int_t)f->min_selected));
        rc |= set_new(o, "max_selected", json_integer((json_int_t)f->max_selected));
        break;
    case LO_FIELD_SPANS:
        rc |= set_new(o, "source", json_string(f->source));
        rc |= set_new(o, "allow_overlap", json_boolean(f->allow_overlap));
        rc |= set_new(o, "max_spans", json_integer((json_int_t)f->max_count));
        break;
    case LO_FIELD_BOXES:
        rc |= set_new(o, "width_field", json_string(f->width_field));
        rc |= set_new(o, "height_field", json_string(f->height_field));
        rc |= set_new(o, "max_boxes", json_integer((json_int_t)f->max_count));
        break;
    case LO_FIELD_FREE_TEXT:
        rc |= set_new(o, "min_length", json_integer((json_int_t)f->min_length));
        rc |= set_new(o, "max_length", json_integer((json_int_t)f->max_length));
        break;
    case LO_FIELD_RATING:
        rc |= set_new(o, "min", json_num(f->min));
        rc |= set_new(o, "max", json_num(f->max));
        if (f->has_step)
            rc |= set_new(o, "step", json_num(f->step));
        rc |= set_new(o, "level", json_string(lo_rating_level_name(f->level)));
        break;
    }
    return rc ? LO_ENOMEM : 0;
}

char *lo_schema_to_json(const struct lo_schema *s)
{
    char *text = NULL;
    json_t *root = json_object();
    json_t *fields = json_array();
    if (!root || !fields)
        goto done;
    if (s->description && set_new(root, "description", json_string(s->description)))
        goto done;
    for (size_t i = 0; i < s->n_fields; i++) {
        json_t *o = json_object();
        if (!o || json_array_append_new(fields, o))
            goto done;
        if (field_to_json(&s->fields[i], o))
            goto done;
    }
    if (json_object_set(root, "fields", fields))
        goto done;
    text = json_dumps(root, JSON_COMPACT);
done:
    json_decref(fields);
    json_decref(root);
    return text;
}

/* ---------------------------------------------------------------- validating values */

static int check_class(const struct lo_schema_field *f, const json_t *v, const char *path,
                       long *index, struct lo_error *err)
{
    if (!json_is_string(v))
        return lo_error_field(err, LO_EINVAL, path,
                              "expected a class name (a string), got %s", json_type_name(v));
    long i = lo_schema_class_index(
        f, (struct lo_str){ json_string_value(v), json_string_length(v) });
    if (i < 0)
        return lo_error_field(err, LO_EINVAL, path, "'%s' is not one of the classes of '%s'",
                              json_string_value(v), f->name);
    if (index)
        *index = i;
    return 0;
}

static int validate_multi(const struct lo_schema_field *f, const json_t *v, struct lo_error *err)
{
    char path[LO_ERROR_FIELD_MAX];
    if (!json_is_array(v))
        return lo_error_field(err, LO_EINVAL, f->name,
                              "expected an array of class names, got %s", json_type_name(v));
    size_t n = json_array_size(v);
    if (n > f->n_classes)
        return lo_error_field(err, LO_EINVAL, f->name,
                              "selects %zu classes, but the field has only %zu", n,
                              f->n_classes);
    unsigned char *seen = calloc(f->n_classes, 1);
    if (!seen)
        return lo_error_set(err, LO_ENOMEM, "out of memory");
    int rc = 0;
    for (size_t i = 0; i < n; i++) {
        long ci = 0;
        snprintf(path, sizeof(path), "%s[%zu]", f->name, i);
        rc = check_class(f, json_array_get(v, i), path, &ci, err);
        if (rc)
            goto done;
        if (seen[ci]) {
            rc = lo_error_field(err, LO_EINVAL, path, "class '%s' is selected twice",
                                f->classes[ci]);
            goto done;
        }
        seen[ci] = 1;
    }
    if (n < f->min_selected)
        rc = lo_error_field(err, LO_EINVAL, f->name,
                            "selects %zu classes, at least min_selected (%zu) required", n,
                            f->min_selected);
    else if (n > f->max_selected)
        rc = lo_error_field(err, LO_EINVAL, f->name,
                            "selects %zu classes, at most max_selected (%zu) allowed", n,
                            f->max_selected);
done:
    free(seen);
    return rc;
}

/* Checks that an element object has only the allowed keys. */
static int check_element_keys(const json_t *o, const char *const *allowed, const char *path,
                              const char *what, struct lo_error *err)
{
    const char *key;
    const json_t *v;
    json_object_foreach((json_t *)o, key, v) {
        bool ok = false;
        for (size_t i = 0; allowed[i]; i++)
            if (strcmp(key, allowed[i]) == 0)
                ok = true;
        if (!ok)
            return lo_error_field(err, LO_EINVAL, path, "unknown key \"%s\" in a %s", key, what);
    }
    return 0;
}

static int check_count(const struct lo_schema_field *f, size_t n, size_t hard_limit,
                       const char *limit_name, const char *what, const char *key,
                       struct lo_error *err)
{
    if (n > hard_limit)
        return lo_error_field(err, LO_ELIMIT, f->name, "%zu %s, more than %s (%zu)", n, what,
                              limit_name, hard_limit);
    if (n > f->max_count)
        return lo_error_field(err, LO_EINVAL, f->name, "%zu %s, more than %s (%zu)", n, what,
                              key, f->max_count);
    return 0;
}

struct span_ref {
    json_int_t start, end;
    long label;
    size_t index;
};

static int span_cmp(const void *a, const void *b)
{
    const struct span_ref *x = a, *y = b;
    if (x->start != y->start)
        return x->start < y->start ? -1 : 1;
    if (x->end != y->end)
        return x->end < y->end ? -1 : 1;
    if (x->label != y->label)
        return x->label < y->label ? -1 : 1;
    return (x->index > y->index) - (x->index < y->index);
}

static int span_int(const json_t *o, const char *key, const char *prefix, json_int_t *out,
                    struct lo_error *err)
{
    char path[LO_ERROR_FIELD_MAX];
    snprintf(path, sizeof(path), "%s.%s", prefix, key);
    const json_t *v = json_object_get(o, key);
    if (!v)
        return lo_error_field(err, LO_EINVAL, path, "a span needs \"%s\"", key);
    if (!json_is_integer(v))
        return lo_error_field(err, LO_EINVAL, path,
                              "expected a whole number of code points, got %s",
                              json_is_real(v) ? "a fraction" : json_type_name(v));
    *out = json_integer_value(v);
    return 0;
}

static int validate_spans(const struct lo_schema_field *f, const json_t *v, const json_t *item,
                          struct lo_error *err)
{
    static const char *const keys[] = { "start", "end", "label", NULL };
    char path[LO_ERROR_FIELD_MAX];
    char sub[LO_ERROR_FIELD_MAX];
    int rc;
    if (!json_is_array(v))
        return lo_error_field(err, LO_EINVAL, f->name,
                              "expected an array of spans {start, end, label}, got %s",
                              json_type_name(v));
    size_t n = json_array_size(v);
    rc = check_count(f, n, LO_LIMIT_SPANS_PER_VALUE, "LO_LIMIT_SPANS_PER_VALUE", "spans",
                     "max_spans", err);
    if (rc)
        return rc;

    bool have_text = false;
    json_int_t text_len = 0;
    if (item) {
        const json_t *t = json_is_object(item) ? json_object_get(item, f->source) : NULL;
        if (!json_is_string(t))
            return lo_error_field(err, LO_EINVAL, f->name,
                                  "the item has no text in its \"%s\" field, which the spans "
                                  "of '%s' point into",
                                  f->source, f->name);
        have_text = true;
        text_len = (json_int_t)lo_utf8_length(json_string_value(t), json_string_length(t));
    }

    struct span_ref *refs = n ? malloc(n * sizeof(*refs)) : NULL;
    if (n && !refs)
        return lo_error_set(err, LO_ENOMEM, "out of memory");
    for (size_t i = 0; i < n; i++) {
        const json_t *sp = json_array_get(v, i);
        snprintf(path, sizeof(path), "%s[%zu]", f->name, i);
        if (!json_is_object(sp)) {
            rc = lo_error_field(err, LO_EINVAL, path,
                                "a span must be an object {start, end, label}, not %s",
                                json_type_name(sp));
            goto done;
        }
        rc = check_element_keys(sp, keys, path, "span", err);
        if (rc)
            goto done;
        struct span_ref *r = &refs[i];
        *r = (struct span_ref){ .index = i };
        rc = span_int(sp, "start", path, &r->start, err);
        if (rc)
            goto done;
        rc = span_int(sp, "end", path, &r->end, err);
        if (rc)
            goto done;
        snprintf(sub, sizeof(sub), "%s.label", path);
        const json_t *lv = json_object_get(sp, "label");
        if (!lv) {
            rc = lo_error_field(err, LO_EINVAL, sub, "a span needs \"label\"");
            goto done;
        }
        rc = check_class(f, lv, sub, &r->label, err);
        if (rc)
            goto done;
        if (r->start < 0) {
            snprintf(sub, sizeof(sub), "%s.start", path);
            rc = lo_error_field(err, LO_EINVAL, sub, "start (%lld) must not be negative",
                                (long long)r->start);
            goto done;
        }
        if (r->end <= r->start) {
            snprintf(sub, sizeof(sub), "%s.end", path);
            rc = lo_error_field(err, LO_EINVAL, sub,
                                "end (%lld) must be greater than start (%lld)",
                                (long long)r->end, (long long)r->start);
            goto done;
        }
        if (have_text && r->end > text_len) {
            snprintf(sub, sizeof(sub), "%s.end", path);
            rc = lo_error_field(err, LO_EINVAL, sub,
                                "end (%lld) is past the end of the item's text (%lld code "
                                "points)",
                                (long long)r->end, (long long)text_len);
            goto done;
        }
    }

    /* Sorted by start, a span overlaps an earlier one exactly when it starts before the furthest
     * end seen so far; the same span (range and class) twice is an error even where overlaps
     * are allowed, because it would count one annotation twice. */
    if (n > 1)
        qsort(refs, n, sizeof(*refs), span_cmp);
    size_t furthest = 0;
    for (size_t k = 1; k < n; k++) {
        const struct span_ref *prev = &refs[k - 1], *cur = &refs[k];
        if (prev->start == cur->start && prev->end == cur->end && prev->label == cur->label) {
            size_t a = prev->index < cur->index ? prev->index : cur->index;
            size_t b = prev->index < cur->index ? cur->index : prev->index;
            snprintf(path, sizeof(path), "%s[%zu]", f->name, b);
            rc = lo_error_field(err, LO_EINVAL, path, "repeats %s[%zu]: the same span twice",
                                f->name, a);
            goto done;
        }
        if (!f->allow_overlap && cur->start < refs[furthest].end) {
            size_t a = refs[furthest].index < cur->index ? refs[furthest].index : cur->index;
            size_t b = refs[furthest].index < cur->index ? cur->index : refs[furthest].index;
            snprintf(path, sizeof(path), "%s[%zu]", f->name, b);
            rc = lo_error_field(err, LO_EINVAL, path,
                                "overlaps %s[%zu], and spans of '%s' may not overlap "
                                "(allow_overlap is false)",
                                f->name, a, f->name);
            goto done;
        }
        if (cur->end > refs[furthest].end)
            furthest = k;
    }
    rc = 0;
done:
    free(refs);
    return rc;
}

/* The image size from the item, when it has both as positive numbers. */
static bool image_size(const struct lo_schema_field *f, const json_t *item, double *w, double *h)
{
    if (!json_is_object(item))
        return false;
    const json_t *wv = json_object_get(item, f->width_field);
    const json_t *hv = json_object_get(item, f->height_field);
    if (!json_is_number(wv) || !json_is_number(hv))
        return false;
    *w = json_number_value(wv);
    *h = json_number_value(hv);
    return *w > 0 && *h > 0;
}

static int box_number(const json_t *o, const char *key, const char *prefix, double *out,
                      struct lo_error *err)
{
    char path[LO_ERROR_FIELD_MAX];
    snprintf(path, sizeof(path), "%s.%s", prefix, key);
    const json_t *v = json_object_get(o, key);
    if (!v)
        return lo_error_field(err, LO_EINVAL, path, "a box needs \"%s\"", key);
    if (!json_is_number(v))
        return lo_error_field(err, LO_EINVAL, path, "expected a number of pixels, got %s",
                              json_type_name(v));
    *out = json_number_value(v);
    return 0;
}

static int validate_boxes(const struct lo_schema_field *f, const json_t *v, const json_t *item,
                          struct lo_error *err)
{
    static const char *const keys[] = { "x", "y", "w", "h", "label", NULL };
    char path[LO_ERROR_FIELD_MAX];
    char sub[LO_ERROR_FIELD_MAX];
    int rc;
    if (!json_is_array(v))
        return lo_error_field(err, LO_EINVAL, f->name,
                              "expected an array of boxes {x, y, w, h, label}, got %s",
                              json_type_name(v));
    size_t n = json_array_size(v);
    rc = check_count(f, n, LO_LIMIT_BOXES_PER_VALUE, "LO_LIMIT_BOXES_PER_VALUE", "boxes",
                     "max_boxes", err);
    if (rc)
        return rc;
    double iw = 0, ih = 0;
    bool known = item && image_size(f, item, &iw, &ih);
    for (size_t i = 0; i < n; i++) {
        const json_t *b = json_array_get(v, i);
        double x = 0, y = 0, w = 0, h = 0;
        snprintf(path, sizeof(path), "%s[%zu]", f->name, i);
        if (!json_is_object(b))
            return lo_error_field(err, LO_EINVAL, path,
                                  "a box must be an object {x, y, w, h, label}, not %s",
                                  json_type_name(b));
        rc = check_element_keys(b, keys, path, "box", err);
        if (rc)
            return rc;
        rc = box_number(b, "x", path, &x, err);
        if (rc)
            return rc;
        rc = box_number(b, "y", path, &y, err);
        if (rc)
            return rc;
        rc = box_number(b, "w", path, &w, err);
        if (rc)
            return rc;
        rc = box_number(b, "h", path, &h, err);
        if (rc)
            return rc;
        snprintf(sub, sizeof(sub), "%s.label", path);
        const json_t *lv = json_object_get(b, "label");
        if (!lv)
            return lo_error_field(err, LO_EINVAL, sub, "a box needs \"label\"");
        rc = check_class(f, lv, sub, NULL, err);
        if (rc)
            return rc;
        if (x < 0 || y < 0) {
            snprintf(sub, sizeof(sub), "%s.%s", path, x < 0 ? "x" : "y");
            return lo_error_field(err, LO_EINVAL, sub, "%s (%g) must not be negative",
                                  x < 0 ? "x" : "y", x < 0 ? x : y);
        }
        if (!(w > 0) || !(h > 0)) {
            snprintf(sub, sizeof(sub), "%s.%s", path, !(w > 0) ? "w" : "h");
            return lo_error_field(err, LO_EINVAL, sub, "%s (%g) must be greater than 0",
                                  !(w > 0) ? "w" : "h", !(w > 0) ? w : h);
        }
        if (known && x + w > iw) {
            snprintf(sub, sizeof(sub), "%s.w", path);
            return lo_error_field(err, LO_EINVAL, sub,
                                  "box ends past the image's right edge (x + w = %g > %s %g)",
                                  x + w, f->width_field, iw);
        }
        if (known && y + h > ih) {
            snprintf(sub, sizeof(sub), "%s.h", path);
            return lo_error_field(err, LO_EINVAL, sub,
                                  "box ends past the image's bottom edge (y + h = %g > %s %g)",
                                  y + h, f->height_field, ih);
        }
    }
    return 0;
}

static int validate_free_text(const struct lo_schema_field *f, const json_t *v,
                              struct lo_error *err)
{
    if (!json_is_string(v))
        return lo_error_field(err, LO_EINVAL, f->name, "expected a string, got %s",
                              json_type_name(v));
    size_t bytes = json_string_length(v);
    if (bytes > LO_LIMIT_FREE_TEXT)
        return lo_error_field(err, LO_ELIMIT, f->name,
                              "text is %zu bytes, more than LO_LIMIT_FREE_TEXT (%d)", bytes,
                              LO_LIMIT_FREE_TEXT);
    size_t len = lo_utf8_length(json_string_value(v), bytes);
    if (len < f->min_length)
        return lo_error_field(err, LO_EINVAL, f->name,
                              "text is %zu characters, shorter than min_length (%zu)", len,
                              f->min_length);
    if (len > f->max_length)
        return lo_error_field(err, LO_EINVAL, f->name,
                              "text is %zu characters, longer than max_length (%zu)", len,
                              f->max_length);
    return 0;
}

static int validate_rating(const struct lo_schema_field *f, const json_t *v, struct lo_error *err)
{
    if (!json_is_number(v))
        return lo_error_field(err, LO_EINVAL, f->name, "expected a number, got %s",
                              json_type_name(v));
    double d = json_number_value(v);
    if (d < f->min || d > f->max)
        return lo_error_field(err, LO_EINVAL, f->name, "%g is outside the range [%g, %g]", d,
                              f->min, f->max);
    if (f->has_step) {
        double k = (d - f->min) / f->step;
        if (fabs(k - nearbyint(k)) > 1e-9 * fmax(1.0, fabs(k)))
            return lo_error_field(err, LO_EINVAL, f->name,
                                  "%g is not on the step: allowed are %g, %g, ... up to %g", d,
                                  f->min, f->min + f->step, f->max);
    }
    return 0;
}

static int validate_field(const struct lo_schema_field *f, const json_t *v, const json_t *item,
                          struct lo_error *err)
{
    switch (f->type) {
    case LO_FIELD_SINGLE_CHOICE: return check_class(f, v, f->name, NULL, err);
    case LO_FIELD_MULTI_CHOICE: return validate_multi(f, v, err);
    case LO_FIELD_SPANS: return validate_spans(f, v, item, err);
    case LO_FIELD_BOXES: return validate_boxes(f, v, item, err);
    case LO_FIELD_FREE_TEXT: return validate_free_text(f, v, err);
    case LO_FIELD_RATING: return validate_rating(f, v, err);
    }
    return lo_error_field(err, LO_EINVAL, f->name, "unknown field type");
}

int lo_schema_validate_value(const struct lo_schema *s, const json_t *value,
                             const json_t *item_payload, struct lo_error *err)
{
    if (!json_is_object(value))
        return lo_error_field(err, LO_EINVAL, "",
                              "an annotation value must be an object {field: value}, not %s",
                              value ? json_type_name(value) : "nothing");
    const char *key;
    const json_t *v;
    json_object_foreach((json_t *)value, key, v) {
        if (!lo_schema_field_find(s, key))
            return lo_error_field(err, LO_EINVAL, key, "'%s' is not a field of the schema",
                                  key);
    }
    for (size_t i = 0; i < s->n_fields; i++) {
        const struct lo_schema_field *f = &s->fields[i];
        v = json_object_get(value, f->name);
        if (!v || json_is_null(v)) {
            if (f->required)
                return lo_error_field(err, LO_EINVAL, f->name,
                                      "required field '%s' is missing", f->name);
            continue;
        }
        int rc = validate_field(f, v, item_payload, err);
        if (rc)
            return rc;
    }
    return 0;
}

/* ---------------------------------------------------------------- plain labels */

static int only_field(const struct lo_schema *s, const char *field_name,
                      const struct lo_schema_field **out, struct lo_error *err)
{
    if (field_name) {
        *out = lo_schema_field_find(s, field_name);
        if (!*out)
            return lo_error_field(err, LO_EINVAL, field_name,
                                  "'%s' is not a field of the schema", field_name);
        return 0;
    }
    if (s->n_fields != 1)
        return lo_error_set(err, LO_EUSAGE,
                            "the schema has %zu fields; name the one the labels belong to",
                            s->n_fields);
    *out = &s->fields[0];
    return 0;
}

int lo_schema_value_from_label(const struct lo_schema *s, const char *field_name,
                               struct lo_str label, json_t **out, struct lo_error *err)
{
    *out = NULL;
    const struct lo_schema_field *f;
    int rc = only_field(s, field_name, &f, err);
    if (rc)
        return rc;
    label = lo_str_trim(label);
    if (label.len > LO_LIMIT_LABEL)
        return lo_error_field(err, LO_ELIMIT, f->name,
                              "label is %zu bytes, more than LO_LIMIT_LABEL (%d)", label.len,
                              LO_LIMIT_LABEL);
    json_t *v = NULL;
    switch (f->type) {
    case LO_FIELD_SINGLE_CHOICE:
    case LO_FIELD_FREE_TEXT:
        v = json_stringn(label.ptr, label.len);
        if (!v)
            return lo_error_field(err, LO_EINVAL, f->name, "label is not valid UTF-8");
        break;
    case LO_FIELD_RATING: {
        long long i;
        double d;
        /* A whole number is stored as a JSON integer however it was written ("3", "3.0",
         * "3e0"), so equal ratings give equal value bytes. */
        if (lo_str_to_i64(label, &i))
            v = json_integer((json_int_t)i);
        else if (lo_str_to_double(label, &d))
            v = json_num(d);
        else
            return lo_error_field(err, LO_EINVAL, f->name,
                                  "label '%.*s' is not a number, and '%s' is a rating",
                                  (int)(label.len > 64 ? 64 : label.len), label.ptr, f->name);
        if (!v)
            return lo_error_set(err, LO_ENOMEM, "out of memory");
        break;
    }
    case LO_FIELD_MULTI_CHOICE:
    case LO_FIELD_SPANS:
    case LO_FIELD_BOXES:
        return lo_error_field(err, LO_EINVAL, f->name,
                              "a %s field cannot be given as a plain label",
                              lo_field_type_name(f->type));
    }
    json_t *obj = json_object();
    if (!obj || json_object_set_new(obj, f->name, v)) {
        json_decref(obj);
        return lo_error_set(err, LO_ENOMEM, "out of memory");
    }
    *out = obj;
    return 0;
}

int lo_schema_value_label(const struct lo_schema_field *f, const json_t *field_value, char *out,
                          size_t cap, struct lo_error *err)
{
    char tmp[64];
    const char *text = NULL;
    size_t len = 0;
    if (f->type == LO_FIELD_SINGLE_CHOICE) {
        if (!json_is_string(field_value))
            return lo_error_field(err, LO_EINVAL, f->name, "expected a class name (a string)");
        text = json_string_value(field_value);
        len = json_string_length(field_value);
    } else if (f->type == LO_FIELD_RATING) {
        if (json_is_integer(field_value)) {
            snprintf(tmp, sizeof(tmp), "%lld", (long long)json_integer_value(field_value));
        } else if (json_is_real(field_value)) {
            double d = json_real_value(field_value);
            /* The shortest %g that reads back as the same double. */
            for (int prec = 1; prec <= 17; prec++) {
                snprintf(tmp, sizeof(tmp), "%.*g", prec, d);
                if (strtod(tmp, NULL) == d)
                    break;
            }
        } else {
            return lo_error_field(err, LO_EINVAL, f->name, "expected a number");
        }
        text = tmp;
        len = strlen(tmp);
    } else {
        return lo_error_field(err, LO_EINVAL, f->name,
                              "a %s value has no single label text", lo_field_type_name(f->type));
    }
    if (len + 1 > cap)
        return lo_error_field(err, LO_ELIMIT, f->name, "label of %zu bytes does not fit in %zu",
                              len, cap);
    memcpy(out, text, len);
    out[len] = '\0';
    return 0;
}

/* ---------------------------------------------------------------- inference */

struct lo_schema_inferrer {
    struct lo_arena arena;            /* the distinct labels */
    char field_name[LO_LIMIT_NAME + 1];
    bool numeric;
    size_t added;
    /* numeric */
    double min, max;
    bool all_integers;
    /* classes: an open-addressing set of distinct labels */
    struct lo_str *slots;
    size_t cap, count;
    bool all_numbers;
};

int lo_schema_inferrer_new(struct lo_schema_inferrer **out, const char *field_name, bool numeric,
                           struct lo_error *err)
{
    *out = NULL;
    if (!field_name)
        field_name = "label";
    int rc = check_field_name(field_name, strlen(field_name), field_name, err);
    if (rc)
        return rc;
    struct lo_schema_inferrer *inf = calloc(1, sizeof(*inf));
    if (!inf)
        return lo_error_set(err, LO_ENOMEM, "out of memory");
    lo_arena_init(&inf->arena, 16 * 1024);
    snprintf(inf->field_name, sizeof(inf->field_name), "%s", field_name);
    inf->numeric = numeric;
    inf->all_integers = true;
    inf->all_numbers = true;
    *out = inf;
    return 0;
}

void lo_schema_inferrer_free(struct lo_schema_inferrer *inf)
{
    if (!inf)
        return;
    free(inf->slots);
    lo_arena_free(&inf->arena);
    free(inf);
}

static uint64_t hash_str(struct lo_str s)
{
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < s.len; i++) {
        h ^= (unsigned char)s.ptr[i];
        h *= 1099511628211ull;
    }
    return h;
}

static int set_grow(struct lo_schema_inferrer *inf)
{
    size_t ncap = inf->cap ? inf->cap * 2 : 64;
    struct lo_str *ns = calloc(ncap, sizeof(*ns));
    if (!ns)
        return LO_ENOMEM;
    for (size_t i = 0; i < inf->cap; i++) {
        if (!inf->slots[i].ptr)
            continue;
        size_t j = hash_str(inf->slots[i]) & (ncap - 1);
        while (ns[j].ptr)
            j = (j + 1) & (ncap - 1);
        ns[j] = inf->slots[i];
    }
    free(inf->slots);
    inf->slots = ns;
    inf->cap = ncap;
    return 0;
}

int lo_schema_inferrer_add(struct lo_schema_inferrer *inf, struct lo_str label,
                           struct lo_error *err)
{
    label = lo_str_trim(label);
    if (label.len == 0)
        return lo_error_field(err, LO_EINVAL, inf->field_name, "a label must not be empty");
    if (label.len > LO_LIMIT_LABEL)
        return lo_error_field(err, LO_ELIMIT, inf->field_name,
                              "label is %zu bytes, more than LO_LIMIT_LABEL (%d)", label.len,
                              LO_LIMIT_LABEL);
    long long iv;
    double dv;
    bool is_int = lo_str_to_i64(label, &iv);
    bool is_num = is_int || lo_str_to_double(label, &dv);
    if (is_int)
        dv = (double)iv;
    if (inf->numeric) {
        if (!is_num)
            return lo_error_field(err, LO_EINVAL, inf->field_name,
                                  "label '%.*s' is not a number, and the field is a numeric "
                                  "rating",
                                  (int)(label.len > 64 ? 64 : label.len), label.ptr);
        if (inf->added == 0 || dv < inf->min)
            inf->min = dv;
        if (inf->added == 0 || dv > inf->max)
            inf->max = dv;
        inf->all_integers = inf->all_integers && is_int;
        inf->added++;
        return 0;
    }
    if (memchr(label.ptr, '\0', label.len))
        return lo_error_field(err, LO_EINVAL, inf->field_name, "a label contains a NUL byte");
    if (!lo_utf8_valid(label.ptr, label.len, NULL))
        return lo_error_field(err, LO_EINVAL, inf->field_name, "a label is not valid UTF-8");
    if ((inf->count + 1) * 4 > inf->cap * 3) {
        if (set_grow(inf))
            return lo_error_set(err, LO_ENOMEM, "out of memory");
    }
    size_t j = hash_str(label) & (inf->cap - 1);
    while (inf->slots[j].ptr) {
        if (lo_str_eq(inf->slots[j], label)) {
            inf->added++;
            return 0;
        }
        j = (j + 1) & (inf->cap - 1);
    }
    if (inf->count >= LO_LIMIT_SCHEMA_CLASSES)
        return lo_error_field(err, LO_ELIMIT, inf->field_name,
                              "more than LO_LIMIT_SCHEMA_CLASSES (%d) distinct labels; a "
                              "numeric rating may fit these labels better",
                              LO_LIMIT_SCHEMA_CLASSES);
    char *copy = lo_arena_strndup(&inf->arena, label.ptr, label.len);
    if (!copy)
        return lo_error_set(err, LO_ENOMEM, "out of memory");
    inf->slots[j] = (struct lo_str){ copy, label.len };
    inf->count++;
    inf->all_numbers = inf->all_numbers && is_num;
    inf->added++;
    return 0;
}

static int numeric_label_cmp(const void *a, const void *b)
{
    const struct lo_str *x = a, *y = b;
    double dx = 0, dy = 0;
    lo_str_to_double(*x, &dx);
    lo_str_to_double(*y, &dy);
    if (dx != dy)
        return dx < dy ? -1 : 1;
    return lo_str_cmp(*x, *y);
}

static int byte_label_cmp(const void *a, const void *b)
{
    return lo_str_cmp(*(const struct lo_str *)a, *(const struct lo_str *)b);
}

static json_t *inferred_field(struct lo_schema_inferrer *inf)
{
    json_t *f = json_object();
    if (!f)
        return NULL;
    int rc = set_new(f, "name", json_string(inf->field_name));
    /* Every row of a long-format file carries a label, so the one field is always answered. */
    rc |= set_new(f, "required", json_true());
    if (inf->numeric) {
        rc |= set_new(f, "type", json_string("rating"));
        rc |= set_new(f, "min", inf->all_integers ? json_num(inf->min) : json_real(inf->min));
        rc |= set_new(f, "max", inf->all_integers ? json_num(inf->max) : json_real(inf->max));
        if (inf->all_integers)
            rc |= set_new(f, "step", json_integer(1));
        rc |= set_new(f, "level", json_string(inf->all_integers ? "ordinal" : "interval"));
    } else {
        rc |= set_new(f, "type", json_string("single_choice"));
        struct lo_str *labels = malloc(inf->count * sizeof(*labels));
        json_t *arr = json_array();
        if (!labels || !arr) {
            free(labels);
            json_decref(arr);
            json_decref(f);
            return NULL;
        }
        size_t k = 0;
        for (size_t i = 0; i < inf->cap; i++)
            if (inf->slots[i].ptr)
                labels[k++] = inf->slots[i];
        qsort(labels, k, sizeof(*labels), inf->all_numbers ? numeric_label_cmp : byte_label_cmp);
        for (size_t i = 0; i < k; i++)
            if (json_array_append_new(arr, json_stringn(labels[i].ptr, labels[i].len)))
                rc = LO_ENOMEM;
        free(labels);
        rc |= set_new(f, "classes", arr);
    }
    if (rc) {
        json_decref(f);
        return NULL;
    }
    return f;
}

int lo_schema_inferrer_finish(struct lo_schema_inferrer *inf, struct lo_schema **out,
                              struct lo_error *err)
{
    int rc;
    json_t *root = NULL, *fields = NULL, *field = NULL;
    *out = NULL;
    if (inf->added == 0) {
        rc = lo_error_field(err, LO_EINVAL, inf->field_name,
                            "no labels were read, so no schema can be inferred");
        goto done;
    }
    field = inferred_field(inf);
    root = json_object();
    fields = json_array();
    if (!field || !root || !fields || json_array_append(fields, field) ||
        json_object_set(root, "fields", fields)) {
        rc = lo_error_set(err, LO_ENOMEM, "out of memory");
        goto done;
    }
    rc = lo_schema_from_json(root, out, err);
done:
    json_decref(field);
    json_decref(fields);
    json_decref(root);
    lo_schema_inferrer_free(inf);
    return rc;
}

int lo_schema_infer_from_labels(const struct lo_str *labels, size_t n, bool numeric,
                                const char *field_name, struct lo_schema **out,
                                struct lo_error *err)
{
    struct lo_schema_inferrer *inf;
    *out = NULL;
    int rc = lo_schema_inferrer_new(&inf, field_name, numeric, err);
    if (rc)
        return rc;
    for (size_t i = 0; i < n; i++) {
        rc = lo_schema_inferrer_add(inf, labels[i], err);
        if (rc) {
            lo_schema_inferrer_free(inf);
            return rc;
        }
    }
    return lo_schema_inferrer_finish(inf, out, err);
}
