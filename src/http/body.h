/*
 * body.h - the strict parse of a JSON request body, apart from the server so that it can be
 * fuzzed alone: nesting depth first (without parsing), then jansson with duplicate keys
 * rejected (jansson also rejects invalid UTF-8, \u0000, integers beyond int64 and reals that
 * overflow), then "an object at the top". Pure: no I/O, no global state.
 */
#ifndef LO_HTTP_BODY_H
#define LO_HTTP_BODY_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

/* True when no array/object in s nests deeper than max_depth (brackets inside strings do not
 * count). Does not validate the JSON. */
bool lo_http_json_depth_ok(const char *s, size_t len, int max_depth);

/* Parses s as a request body. Returns the object (caller decrefs), or NULL with *status 400
 * (code "malformed" or "limit_exceeded") or 422 ("invalid": valid JSON but not an object), and a
 * message in msg. */
json_t *lo_http_parse_object(const char *s, size_t len, int *status, const char **code,
                             char *msg, size_t cap);

#endif
