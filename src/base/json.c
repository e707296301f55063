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
