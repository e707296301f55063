/*
 * fuzz_json_scan.c - libFuzzer target: the JSON scanner must accept exactly what jansson
 * accepts (JSON_REJECT_DUPLICATES | JSON_DECODE_ANY), and for an accepted object its top-level
 * members must be jansson's: same keys, same kinds, same strings and integers. Any
 * disagreement aborts. The scratch struct is kept across inputs so that its reuse is fuzzed too.
 */
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io/json_scan.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static enum lo_json_kind kind_of(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT: return LO_JSON_OBJECT;
    case JSON_ARRAY: return LO_JSON_ARRAY;
    case JSON_STRING: return LO_JSON_STRING;
    case JSON_INTEGER: return LO_JSON_INTEGER;
    case JSON_REAL: return LO_JSON_REAL;
    case JSON_TRUE: return LO_JSON_TRUE;
    case JSON_FALSE: return LO_JSON_FALSE;
    case JSON_NULL: return LO_JSON_NULL;
    }
    return LO_JSON_NONE;
}

static void disagree(const char *what, const uint8_t *data, size_t size, const char *detail)
{
    fprintf(stderr, "scanner and jansson disagree: %s (%s) on %zu bytes: %.*s\n", what, detail,
            size, (int)(size > 300 ? 300 : size), (const char *)data);
    abort();
}

static void compare_members(const struct lo_json_scan *sc, json_t *obj, const uint8_t *data,
                            size_t size)
{
    if (sc->n_members != json_object_size(obj))
        disagree("member count", data, size, "");
    static char buf[4096];
    for (size_t i = 0; i < sc->n_members; i++) {
        const struct lo_json_member *m = &sc->members[i];
        json_t *v = json_object_getn(obj, m->key.ptr, m->key.len);
        if (!v)
            disagree("a key jansson does not have", data, size, "");
        if (kind_of(v) != m->kind)
            disagree("the kind of a member", data, size, "");
        if (m->kind == LO_JSON_STRING) {
            size_t n;
            int rc = lo_json_string_decode(m->value, buf, sizeof(buf), &n);
            if (rc == 0 && (n != json_string_length(v) || memcmp(buf, json_string_value(v), n)))
                disagree("a decoded string", data, size, "");
            if (rc && json_string_length(v) < sizeof(buf))
                disagree("a decoded string's length", data, size, "");
        }
        if (m->kind == LO_JSON_INTEGER && lo_json_integer_value(m->value) != json_integer_value(v))
            disagree("an integer", data, size, "");
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct lo_json_scan sc;
    json_error_t jerr;
    json_t *v = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY,
                           &jerr);
    struct lo_error err;
    lo_error_clear(&err);
    int rc = lo_json_scan(&sc, (const char *)data, size, &err);
    if (rc && rc != LO_EINVAL)
        abort();
    if (!v && rc == 0)
        disagree("the scanner accepts, jansson rejects", data, size, jerr.text);
    if (v && rc != 0)
        disagree("jansson accepts, the scanner rejects", data, size, err.msg);
    if (v) {
        if (kind_of(v) != sc.kind)
            disagree("the top-level kind", data, size, "");
        if (json_is_object(v))
            compare_members(&sc, v, data, size);
    }
    json_decref(v);
    return 0;
}
