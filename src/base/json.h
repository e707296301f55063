/*
 * json.h - the small JSON helpers labelops needs beside jansson: a strict parse that names the
 * line and column, and fast escaping for streaming output (exports write millions of strings
 * and must not build a json_t per value).
 */
#ifndef LO_BASE_JSON_H
#define LO_BASE_JSON_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "base/buf.h"
#include "base/err.h"
#include "base/str.h"

/* Parses len bytes with JSON_REJECT_DUPLICATES. On failure err says where and why. */
json_t *lo_json_parse(const char *s, size_t len, struct lo_error *err);

/* Appends s as a JSON string literal (quotes included). s must be valid UTF-8. */
int lo_json_put_string(struct lo_buf *b, const char *s, size_t len);

/* Appends a double as JSON: shortest round-trip form, "null" for NaN or infinity. */
int lo_json_put_double(struct lo_buf *b, double v);

/* Finds the text of a top-level member of a JSON object, exactly as written. obj must already be
 * known to be a valid JSON object (parsed by jansson): this only matches brackets and strings.
 * Returns true and sets *value when key is present. */
bool lo_json_member_text(struct lo_str obj, const char *key, struct lo_str *value);

/* Serialises v compactly, keys in insertion order. Caller frees. */
char *lo_json_dump(const json_t *v);

#endif
