/*
 * schema.h - label schemas: what an annotation of a project may contain, and the check that an
 * annotation value (or a model prediction) obeys it.
 *
 * A schema is a JSON document {"fields": [...]} with one or more named fields, each of a type:
 * single_choice, multi_choice, spans (character ranges of an item's text), boxes (pixel
 * rectangles on an item's image), free_text, rating. The format is described with examples in
 * docs/schema.md. An annotation value is a JSON object {field name: field value}.
 *
 * This module is pure: no SQL, no I/O, no global state. A parsed schema is immutable, so one
 * struct lo_schema may be shared by threads that only read it. Every error names the field (in
 * err->field, a path such as "entities[3].end" for values) and the rule that was broken (in
 * err->msg).
 *
 * Span offsets are Unicode code points (not bytes, not UTF-16 units): see docs/schema.md.
 */
#ifndef LO_SCHEMA_SCHEMA_H
#define LO_SCHEMA_SCHEMA_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "base/err.h"
#include "base/str.h"

enum lo_field_type {
    LO_FIELD_SINGLE_CHOICE, /* value: one class, a JSON string */
    LO_FIELD_MULTI_CHOICE,  /* value: array of distinct classes */
    LO_FIELD_SPANS,         /* value: array of {"start", "end", "label"} */
    LO_FIELD_BOXES,         /* value: array of {"x", "y", "w", "h", "label"} */
    LO_FIELD_FREE_TEXT,     /* value: a JSON string */
    LO_FIELD_RATING,        /* value: a JSON number */
};

/* Measurement level of a rating: it decides which agreement statistics apply. */
enum lo_rating_level {
    LO_LEVEL_ORDINAL,  /* ordered categories: distances between values carry no meaning */
    LO_LEVEL_INTERVAL, /* equal steps mean equal differences */
};

struct lo__class_key;

/* One field of a schema. Read-only for callers: the schema owns every pointer in it. Members
 * that do not apply to the field's type are zero. */
struct lo_schema_field {
    const char *name;
    enum lo_field_type type;
    bool required;
    const char *description;    /* NULL when the schema gives none */

    /* single_choice, multi_choice, spans, boxes: the classes in schema order. */
    const char *const *classes;
    size_t n_classes;
    /* Internal to schema.c: the classes in byte order, for lookup by lo_schema_class_index. */
    const struct lo__class_key *class_keys;

    /* multi_choice: how many classes a value may select (defaults 0 and n_classes). */
    size_t min_selected, max_selected;

    /* spans: the item payload field holding the text (default "text"), whether spans may
     * overlap (default false), most spans in one value (default LO_LIMIT_SPANS_PER_VALUE). */
    const char *source;
    bool allow_overlap;
    /* spans and boxes: most elements in one value. */
    size_t max_count;

    /* boxes: item payload fields with the image size in pixels (defaults "width", "height");
     * boxes are checked against the image only when the item has both as numbers. */
    const char *width_field, *height_field;

    /* free_text: length in code points (defaults 0 and LO_LIMIT_FREE_TEXT). */
    size_t min_length, max_length;

    /* rating: the range, the step (has_step false: any number in range) and the level. */
    double min, max, step;
    bool has_step;
    enum lo_rating_level level;
};

struct lo_schema;

/* Parses and validates a schema document of len bytes (need not be NUL-terminated). On success
 * *out is a new schema the caller frees with lo_schema_free. Errors: LO_EINVAL for malformed
 * JSON or a broken rule (unknown type or key, duplicate field or class names, empty classes,
 * min > max, ...), LO_ELIMIT past a limit of base/limits.h (LO_LIMIT_SCHEMA_BYTES, _FIELDS,
 * _CLASSES, LO_LIMIT_NAME, LO_LIMIT_LABEL, LO_LIMIT_BOXES_PER_VALUE, ...), LO_ENOMEM.
 * err->field is the field's name (or "fields[i]" when it has no usable name). */
int lo_schema_parse(const char *json, size_t len, struct lo_schema **out, struct lo_error *err);

/* Like lo_schema_parse, from a JSON value the caller already holds (not taken over). */
int lo_schema_from_json(const json_t *root, struct lo_schema **out, struct lo_error *err);

/* Frees a schema (NULL is fine). */
void lo_schema_free(struct lo_schema *s);

/* The canonical form: compact JSON, keys in a fixed order, every default written out, so that two
 * equal schemas give equal bytes and lo_schema_parse(lo_schema_to_json(s)) equals s. Returns a
 * malloc'd NUL-terminated string the caller frees with free(), or NULL when out of memory. */
char *lo_schema_to_json(const struct lo_schema *s);

size_t lo_schema_field_count(const struct lo_schema *s);
/* The i-th field in schema order, i < lo_schema_field_count(s). */
const struct lo_schema_field *lo_schema_field_at(const struct lo_schema *s, size_t i);
/* The field named name, or NULL. */
const struct lo_schema_field *lo_schema_field_find(const struct lo_schema *s, const char *name);
/* Index of class name in f->classes, or -1 (binary search: fast for 10,000 classes). */
long lo_schema_class_index(const struct lo_schema_field *f, struct lo_str name);
/* "single_choice", "multi_choice", "spans", "boxes", "free_text", "rating". */
const char *lo_field_type_name(enum lo_field_type t);
/* "ordinal", "interval". */
const char *lo_rating_level_name(enum lo_rating_level l);

/* Checks an annotation value, a JSON object {field name: field value}, against the schema.
 * item_payload is the item's JSON payload, or NULL when unknown: span bounds (end <= length of
 * the item's text) and box bounds (inside the image) are checked only when it is given. An
 * optional field may be absent or null. Returns 0 or LO_EINVAL (LO_ELIMIT past a count limit);
 * err->field is the path of the fault ("sentiment", "topics[1]", "entities[3].end") and err->msg
 * names the rule. Does not modify or keep value or item_payload. */
int lo_schema_validate_value(const struct lo_schema *s, const json_t *value,
                             const json_t *item_payload, struct lo_error *err);

/* Turns a plain label from a long-format file into the value object of a one-field schema:
 * {"label": "pos"} for a single_choice or free_text field, {"label": 3} (or 2.5) for a rating;
 * a whole number is always a JSON integer ("3.0" gives 3).
 * field_name selects the field; NULL means the schema's only field (LO_EUSAGE when it has more
 * than one). The label is trimmed of surrounding blanks. A rating label that is not a number is
 * LO_EINVAL; multi_choice, spans and boxes cannot come from a plain label (LO_EINVAL). The value
 * is not validated: pass it to lo_schema_validate_value. *out is a new reference (json_decref). */
int lo_schema_value_from_label(const struct lo_schema *s, const char *field_name,
                               struct lo_str label, json_t **out, struct lo_error *err);

/* The inverse for agreement and exports: the label text of one field's value, the class for a
 * single_choice field, the shortest exact decimal for a rating ("3", "2.5"). Writes a
 * NUL-terminated string to out (cap bytes). LO_EINVAL for other field types or a value of the
 * wrong JSON type, LO_ELIMIT when out is too small. */
int lo_schema_value_label(const struct lo_schema_field *f, const json_t *field_value, char *out,
                          size_t cap, struct lo_error *err);

/*
 * Inference: a project created without a schema gets one from the labels of its first import.
 * Feed every label to an inferrer (memory grows with distinct labels only, so a file can be
 * streamed), then finish it:
 *   - numeric false: one single_choice field whose classes are the distinct labels, sorted in
 *     numeric order when every label is a number, else in byte order (as quality/ratings.h);
 *   - numeric true: one rating field with min and max from the data; when every label is an
 *     integer, step 1 and level ordinal, else no step and level interval.
 */
struct lo_schema_inferrer;

/* field_name NULL means "label". Errors: LO_EINVAL for a bad field name, LO_ENOMEM. */
int lo_schema_inferrer_new(struct lo_schema_inferrer **out, const char *field_name, bool numeric,
                           struct lo_error *err);
/* Adds one label (trimmed of surrounding blanks). Errors: LO_EINVAL for an empty label or, with
 * numeric, a label that is not a finite number; LO_ELIMIT past LO_LIMIT_LABEL bytes or
 * LO_LIMIT_SCHEMA_CLASSES distinct labels. The caller adds file:line to err. */
int lo_schema_inferrer_add(struct lo_schema_inferrer *inf, struct lo_str label,
                           struct lo_error *err);
/* Builds the schema (LO_EINVAL when no label was added) and frees the inferrer in every case.
 * A numeric file where every label is the same number gives a rating with min equal to max. */
int lo_schema_inferrer_finish(struct lo_schema_inferrer *inf, struct lo_schema **out,
                              struct lo_error *err);
/* Frees an inferrer that will not be finished (NULL is fine). */
void lo_schema_inferrer_free(struct lo_schema_inferrer *inf);

/* Convenience over the inferrer for labels already in memory. */
int lo_schema_infer_from_labels(const struct lo_str *labels, size_t n, bool numeric,
                                const char *field_name, struct lo_schema **out,
                                struct lo_error *err);

/* Converts a code-point offset in UTF-8 text s (len bytes, valid UTF-8) to a byte offset, for
 * exporters whose format counts bytes. Returns false when cp is past the end of the text. */
bool lo_utf8_byte_offset(const char *s, size_t len, size_t cp, size_t *byte_offset);
/* Number of code points in valid UTF-8 text. */
size_t lo_utf8_length(const char *s, size_t len);

#endif
