/*
 * json.c - strict parsing and fast escaping over jansson.
 */
#include "base/json.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

json_t *lo_json_parse(const char *s, size_t len, struct lo_error *err)
{
    json_error_t jerr;
    json_t *v = json_loadb(s, len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &jerr);
    if (!v)
        lo_error_set(err, LO_EINVAL, "malformed JSON at line %d column %d: %s", jerr.line,
                     jerr.column, jerr.text);
    return v;
}

int lo_json_put_string(struct lo_buf *b, const char *s, size_t len)
{
    static const char hex[] = "0123456789abcdef";
    int rc = lo_buf_putc(b, '"');
    size_t run = 0;
    for (size_t i = 0; i < len && !rc; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c != '"' && c != '\\')
            continue;
        rc = lo_buf_append(b, s + run, i - run);
        if (rc)
            break;
        run = i + 1;
        switch (c) {
        case '"': rc = lo_buf_append(b, "\\\"", 2); break;
        case '\\': rc = lo_buf_append(b, "\\\\", 2); break;
        case '\n': rc = lo_buf_append(b, "\\n", 2); break;
        case '\r': rc = lo_buf_append(b, "\\r", 2); break;
        case '\t': rc = lo_buf_append(b, "\\t", 2); break;
        default: {
            char esc[6] = { '\\', 'u', '0', '0', hex[c >> 4], hex[c & 15] };
            rc = lo_buf_append(b, esc, 6);
        }
        }
    }
    if (!rc)
        rc = lo_buf_append(b, s + run, len - run);
    if (!rc)
        rc = lo_buf_putc(b, '"');
    return rc;
}

int lo_json_put_double(struct lo_buf *b, double v)
{
    if (!isfinite(v))
        return lo_buf_puts(b, "null");
    char tmp[32];
    for (int prec = 15; prec <= 17; prec++) {
        snprintf(tmp, sizeof(tmp), "%.*g", prec, v);
        if (strtod(tmp, NULL) == v)
            break;
    }
    return lo_buf_puts(b, tmp);
}

char *lo_json_dump(const json_t *v)
{
    return json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
}

static size_t skip_ws(const char *s, size_t i, size_t n)
{
    while (i < n && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r'))
        i++;
    return i;
}

/* End (one past) of the string starting at s[i] == '"'. */
static size_t skip_string(const char *s, size_t i, size_t n)
{
    for (i++; i < n; i++) {
        if (s[i] == '\\')
            i++;
        else if (s[i] == '"')
            return i + 1;
    }
    return n;
}

/* End (one past) of the value starting at s[i]. */
static size_t skip_value(const char *s, size_t i, size_t n)
{
    if (i >= n)
        return n;
    if (s[i] == '"')
        return skip_string(s, i, n);
    if (s[i] == '{' || s[i] == '[') {
        int depth = 0;
        while (i < n) {
            char c = s[i];
            if (c == '"') {
                i = skip_string(s, i, n);
                continue;
            }
            if (c == '{' || c == '[')
                depth++;
            else if (c == '}' || c == ']') {
                depth--;
                if (depth == 0)
                    return i + 1;
            }
            i++;
        }
        return n;
    }
    while (i < n && s[i] != ',' && s[i] != '}' && s[i] != ']' && s[i] != ' ' && s[i] != '\t' &&
           s[i] != '\n' && s[i] != '\r')
        i++;
    return i;
}

bool lo_json_member_text(struct lo_str obj, const char *key, struct lo_str *value)
{
    const char *s = obj.ptr;
    size_t n = obj.len, klen = strlen(key);
    size_t i = skip_ws(s, 0, n);
    if (i >= n || s[i] != '{')
        return false;
    i++;
    for (;;) {
        i = skip_ws(s, i, n);
        if (i >= n || s[i] != '"')
            return false;
        size_t kend = skip_string(s, i, n);
        /* Keys written with escapes never match: callers ask for plain ASCII keys. */
        bool match = kend - i - 2 == klen && memcmp(s + i + 1, key, klen) == 0;
        i = skip_ws(s, kend, n);
        if (i >= n || s[i] != ':')
            return false;
        i = skip_ws(s, i + 1, n);
        size_t vend = skip_value(s, i, n);
        if (match) {
            value->ptr = s + i;
            value->len = vend - i;
            return true;
        }
        i = skip_ws(s, vend, n);
        if (i >= n || s[i] != ',')
            return false;
        i++;
    }
}
