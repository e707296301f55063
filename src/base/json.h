/*
 * json.h - the small JSON helpers labelops needs beside jansson: a strict parse that names the
 * line and column, and fast escaping for streaming output (exports write millions of strings
 * and must not build a json_t per value).
 */
#ifndef LO_BASE_JSON_H
#define LO_BASE_JSON_H

#include <jansson.h>
#include <stddef.h>

#include "base/buf.h"
#include "base/err.h"

/* Parses len bytes with JSON_REJECT_DUPLICATES. On failure err says where and why. */
json_t *lo_json_parse(const char *s, size_t len, struct lo_error *err);

/* Appends s as a JSON string literal (quotes included). s must be valid UTF-8. */
int lo_json_put_string(struct lo_buf *b, const char *s, size_t len);

/* Appends a double as JSON: shortest round-trip form, "null" for NaN or infinity. */
int lo_json_put_double(struct lo_buf *b, double v);

/* Serialises v compactly, keys in insertion order. Caller frees. */
char *lo_json_dump(const json_t *v);

#endif
