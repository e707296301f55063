/*
 * str.c - string views, UTF-8 validation and strict number parsing.
 */
#include "base/str.h"

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct lo_str lo_str_from(const char *cstr)
{
    struct lo_str s = { cstr, cstr ? strlen(cstr) : 0 };
    return s;
}

bool lo_str_eq(struct lo_str a, struct lo_str b)
{
    return a.len == b.len && (a.len == 0 || memcmp(a.ptr, b.ptr, a.len) == 0);
}

bool lo_str_eq_cstr(struct lo_str a, const char *b)
{
    return lo_str_eq(a, lo_str_from(b));
}

static char ascii_lower(char c)
{
    return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
}

bool lo_str_ieq_cstr(struct lo_str a, const char *b)
{
    size_t n = strlen(b);
    if (n != a.len)
        return false;
    for (size_t i = 0; i < n; i++)
        if (ascii_lower(a.ptr[i]) != ascii_lower(b[i]))
            return false;
    return true;
}

struct lo_str lo_str_trim(struct lo_str s)
{
    while (s.len && (s.ptr[0] == ' ' || s.ptr[0] == '\t' || s.ptr[0] == '\r' || s.ptr[0] == '\n')) {
        s.ptr++;
        s.len--;
    }
    while (s.len && (s.ptr[s.len - 1] == ' ' || s.ptr[s.len - 1] == '\t' ||
                     s.ptr[s.len - 1] == '\r' || s.ptr[s.len - 1] == '\n'))
        s.len--;
    return s;
}

int lo_str_cmp(struct lo_str a, struct lo_str b)
{
    size_t n = a.len < b.len ? a.len : b.len;
    int c = n ? memcmp(a.ptr, b.ptr, n) : 0;
    if (c)
        return c;
    return (a.len > b.len) - (a.len < b.len);
}

bool lo_utf8_valid(const char *s, size_t len, size_t *bad_offset)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;
    while (i < len) {
        /* ASCII runs are the common case: check eight bytes at a time. */
        while (i + 8 <= len) {
            uint64_t w;
            memcpy(&w, p + i, 8);
            if (w & 0x8080808080808080ull)
                break;
            i += 8;
        }
        if (i >= len)
            break;
        unsigned c = p[i];
        size_t need;
        unsigned min;
        if (c < 0x80) {
            i++;
            continue;
        } else if ((c & 0xE0) == 0xC0) {
            need = 1;
            min = 0x80;
            c &= 0x1F;
        } else if ((c & 0xF0) == 0xE0) {
            need = 2;
            min = 0x800;
            c &= 0x0F;
        } else if ((c & 0xF8) == 0xF0) {
            need = 3;
            min = 0x10000;
            c &= 0x07;
        } else {
            goto bad;
        }
        if (i + need >= len)
            goto bad;
        for (size_t k = 1; k <= need; k++) {
            if ((p[i + k] & 0xC0) != 0x80)
                goto bad;
            c = (c << 6) | (p[i + k] & 0x3F);
        }
        if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF))
            goto bad;
        i += need + 1;
    }
    return true;
bad:
    if (bad_offset)
        *bad_offset = i;
    return false;
}

bool lo_str_to_double(struct lo_str s, double *out)
{
    char buf[64];
    s = lo_str_trim(s);
    if (s.len == 0 || s.len >= sizeof(buf))
        return false;
    memcpy(buf, s.ptr, s.len);
    buf[s.len] = '\0';
    char *end = NULL;
    errno = 0;
    double v = strtod(buf, &end);
    if (end != buf + s.len || errno == ERANGE || !isfinite(v))
        return false;
    /* strtod accepts hex floats, "inf" and "nan"; data files mean decimal numbers. */
    for (size_t i = 0; i < s.len; i++) {
        char c = buf[i];
        if (!((c >= '0' && c <= '9') || c == '.' || c == '-' || c == '+' || c == 'e' || c == 'E'))
            return false;
    }
    *out = v;
    return true;
}

bool lo_str_to_i64(struct lo_str s, long long *out)
{
    char buf[32];
    s = lo_str_trim(s);
    if (s.len == 0 || s.len >= sizeof(buf))
        return false;
    memcpy(buf, s.ptr, s.len);
    buf[s.len] = '\0';
    char *end = NULL;
    errno = 0;
    long long v = strtoll(buf, &end, 10);
    if (end != buf + s.len || errno == ERANGE)
        return false;
    *out = v;
    return true;
}
