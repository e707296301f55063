/*
 * body.c - strict JSON request bodies (see body.h).
 */
#include "http/body.h"

#include <stdio.h>

#include "base/limits.h"

bool lo_http_json_depth_ok(const char *s, size_t len, int max_depth)
{
    int depth = 0;
    bool in_string = false;
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if (in_string) {
            if (c == '\\')
                i++;
            else if (c == '"')
                in_string = false;
            continue;
        }
        if (c == '"') {
            in_string = true;
        } else if (c == '[' || c == '{') {
            if (++depth > max_depth)
                return false;
        } else if (c == ']' || c == '}') {
            depth--;
        }
    }
    return true;
}

json_t *lo_http_parse_object(const char *s, size_t len, int *status, const char **code,
                             char *msg, size_t cap)
{
    *status = 400;
    if (len == 0) {
        *code = "malformed";
        snprintf(msg, cap, "this request needs a JSON body");
        return NULL;
    }
    if (!lo_http_json_depth_ok(s, len, LO_LIMIT_HTTP_JSON_DEPTH)) {
        *code = "limit_exceeded";
        snprintf(msg, cap, "the JSON body is nested deeper than LO_LIMIT_HTTP_JSON_DEPTH (%d)",
                 LO_LIMIT_HTTP_JSON_DEPTH);
        return NULL;
    }
    json_error_t jerr;
    json_t *v = json_loadb(s, len, JSON_REJECT_DUPLICATES, &jerr);
    if (!v) {
        *code = "malformed";
        snprintf(msg, cap, "malformed JSON at line %d column %d: %s", jerr.line, jerr.column,
                 jerr.text);
        return NULL;
    }
    if (!json_is_object(v)) {
        json_decref(v);
        *status = 422;
        *code = "invalid";
        snprintf(msg, cap, "the JSON body must be an object");
        return NULL;
    }
    *status = 0;
    *code = NULL;
    return v;
}
