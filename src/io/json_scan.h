/*
 * json_scan.h - a validating JSON scanner that builds no DOM, for the import's hot path.
 *
 * lo_json_scan accepts exactly what jansson's json_loadb(s, len, JSON_REJECT_DUPLICATES |
 * JSON_DECODE_ANY) accepts (RFC 8259, valid UTF-8, no \u0000, no lone surrogates, integers
 * within int64, finite reals, nesting up to JSON_PARSER_MAX_DEPTH, no duplicate keys at any
 * level), and reports where the top-level members of an object are, so a caller can read a few
 * keys without jansson. It never allocates per line: a caller-owned struct lo_json_scan keeps
 * scratch arrays that grow to the largest line seen and are reused. It must never be used to
 * produce values beyond strings and integers: jansson stays the JSON library for that. Its
 * agreement with jansson is checked by tests/unit/test_json_scan.c and tests/fuzz/.
 */
#ifndef LO_IO_JSON_SCAN_H
#define LO_IO_JSON_SCAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/err.h"
#include "base/str.h"

enum lo_json_kind {
    LO_JSON_NONE = 0, /* absent */
    LO_JSON_OBJECT,
    LO_JSON_ARRAY,
    LO_JSON_STRING,
    LO_JSON_INTEGER,
    LO_JSON_REAL,
    LO_JSON_TRUE,
    LO_JSON_FALSE,
    LO_JSON_NULL,
};

/* One top-level member of an object. */
struct lo_json_member {
    struct lo_str key;         /* decoded key (escapes resolved); not NUL-terminated */
    struct lo_str value;       /* the value's text exactly as written (strings with quotes) */
    enum lo_json_kind kind;
};

struct lo__json_key;
struct lo__json_slot;

/* Scratch and results of one scan. Zero-initialise (or lo_json_scan_init), free with
 * lo_json_scan_free. Not shared between threads: each thread owns its own. */
struct lo_json_scan {
    enum lo_json_kind kind;            /* of the top-level value, after a successful scan */
    struct lo_json_member *members;    /* top-level members in order (objects only) */
    size_t n_members;
    /* scratch, private */
    size_t members_cap;
    struct lo__json_key *keys;         /* keys of the objects open at this moment, a stack */
    size_t n_keys, keys_cap;
    char *keybuf;                      /* decoded keys that had escapes */
    size_t keybuf_len, keybuf_cap;
    struct lo__json_slot *table;       /* hash set for the keys of objects with many keys */
    size_t table_cap, table_used;
    uint32_t serial;                   /* numbers the objects of one scan */
    char *numbuf;                      /* a real's text, NUL-terminated for strtod */
    size_t numbuf_cap;
    const char *s;
    size_t len;
    int depth;
    struct lo_error *err;
};

void lo_json_scan_init(struct lo_json_scan *sc);
void lo_json_scan_free(struct lo_json_scan *sc);

/* Validates s[0..len) as one JSON value (whitespace around it allowed). Returns 0 and fills
 * sc->kind, sc->members, sc->n_members (valid until the next scan with sc, and while s lives);
 * LO_EINVAL with err saying "malformed JSON at column N: reason" (N: 1-based byte offset);
 * LO_ENOMEM when the scratch cannot grow. Thread-safe with one sc per thread. */
int lo_json_scan(struct lo_json_scan *sc, const char *s, size_t len, struct lo_error *err);

/* The top-level member named key (compared with the decoded key), or NULL. */
const struct lo_json_member *lo_json_scan_member(const struct lo_json_scan *sc, const char *key);

/* Decodes a string value that lo_json_scan accepted (text with its quotes) into out (cap
 * bytes, NUL-terminated). Returns 0 and sets *out_len, or LO_ELIMIT when the decoded string
 * needs cap bytes or more (out is then unspecified). */
int lo_json_string_decode(struct lo_str text, char *out, size_t cap, size_t *out_len);

/* The value of an integer that lo_json_scan accepted (kind LO_JSON_INTEGER). */
int64_t lo_json_integer_value(struct lo_str text);

#endif
