/*
 * json_scan.c - validates JSON the way jansson does, without building values.
 *
 * A recursive descent over the bytes. Strings are checked in one pass (escapes, surrogate
 * pairs, UTF-8); only object keys that contain escapes are decoded, into scratch reserved up
 * front, because duplicate keys are compared decoded. Duplicates are found by a linear compare
 * in small objects and by a hash set once an object has many keys, so a hostile line cannot
 * make the scan quadratic. Every rule mirrors jansson 2.14's load.c; where jansson's
 * behaviour is a choice (depth counted per value, underflowing reals accepted), the comment
 * says so.
 */
#include "io/json_scan.h"

#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef JSON_PARSER_MAX_DEPTH
#define JSON_PARSER_MAX_DEPTH 2048
#endif

/* Objects with more keys than this use the hash set for duplicate detection. */
#define LINEAR_KEYS 16

struct lo__json_key {
    const char *ptr;
    size_t len;
};

struct lo__json_slot {
    const char *ptr;
    size_t len;
    uint32_t hash;
    uint32_t serial; /* 0: empty */
};

void lo_json_scan_init(struct lo_json_scan *sc)
{
    memset(sc, 0, sizeof(*sc));
}

void lo_json_scan_free(struct lo_json_scan *sc)
{
    free(sc->members);
    free(sc->keys);
    free(sc->keybuf);
    free(sc->table);
    free(sc->numbuf);
    memset(sc, 0, sizeof(*sc));
}

__attribute__((format(printf, 3, 4))) static int fail(struct lo_json_scan *sc, size_t at,
                                                      const char *fmt, ...)
{
    char why[160];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, sizeof(why), fmt, ap);
    va_end(ap);
    return lo_error_set(sc->err, LO_EINVAL, "malformed JSON at column %zu: %s", at + 1, why);
}

static int out_of_memory(struct lo_json_scan *sc)
{
    return lo_error_set(sc->err, LO_ENOMEM, "out of memory");
}

static inline size_t skip_ws(const char *s, size_t i, size_t n)
{
    while (i < n && (s[i] == ' ' || s[i] == '\n' || s[i] == '\r' || s[i] == '\t'))
        i++;
    return i;
}

static inline bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static int hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* The code unit of \uXXXX whose hex digits start at s[i], or -1. */
static long hex4(const char *s, size_t i, size_t n)
{
    if (i > n || n - i < 4)
        return -1;
    long v = 0;
    for (int k = 0; k < 4; k++) {
        int h = hex_value(s[i + k]);
        if (h < 0)
            return -1;
        v = v * 16 + h;
    }
    return v;
}

/* Length of the well-formed UTF-8 sequence at s (at most n bytes), 0 when ill-formed:
 * overlongs, surrogates and code points above U+10FFFF are ill-formed, as in jansson. */
static size_t utf8_seq(const unsigned char *s, size_t n)
{
    unsigned char c = s[0];
    size_t k;
    uint32_t cp;
    if (c < 0x80)
        return 1;
    if (c >= 0xC2 && c <= 0xDF) {
        k = 2;
        cp = c & 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
        k = 3;
        cp = c & 0x0F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        k = 4;
        cp = c & 0x07;
    } else {
        return 0;
    }
    if (n < k)
        return 0;
    for (size_t i = 1; i < k; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        cp = (cp << 6) | (s[i] & 0x3F);
    }
    if ((k == 3 && cp < 0x800) || (k == 4 && cp < 0x10000) || cp > 0x10FFFF ||
        (cp >= 0xD800 && cp <= 0xDFFF))
        return 0;
    return k;
}

/* Bytes that need no attention inside a string: printable ASCII but '"' and '\\'. */
static inline bool plain_byte(unsigned char c)
{
    return c >= 0x20 && c < 0x80 && c != '"' && c != '\\';
}

static size_t put_utf8(char *out, uint32_t cp)
{
    if (cp < 0x80) {
        out[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (char)(0xC0 | (cp >> 6));
        out[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (char)(0xE0 | (cp >> 12));
        out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        out[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    out[0] = (char)(0xF0 | (cp >> 18));
    out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    out[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

/* Decodes the body of a validated string (between the quotes) into out. Returns the decoded
 * length, or SIZE_MAX when it would need cap bytes or more (a NUL must still fit). Decoding
 * never makes a string longer than its text. */
static size_t decode_body(const char *s, size_t n, char *out, size_t cap)
{
    size_t o = 0;
    for (size_t i = 0; i < n;) {
        char one;
        if (s[i] != '\\') {
            one = s[i++];
        } else {
            char e = s[i + 1];
            i += 2;
            switch (e) {
            case 'b': one = '\b'; break;
            case 'f': one = '\f'; break;
            case 'n': one = '\n'; break;
            case 'r': one = '\r'; break;
            case 't': one = '\t'; break;
            case 'u': {
                uint32_t cp = (uint32_t)hex4(s, i, n);
                i += 4;
                if (cp >= 0xD800 && cp <= 0xDBFF) {
                    uint32_t lo = (uint32_t)hex4(s, i + 2, n);
                    i += 6;
                    cp = ((cp - 0xD800) << 10) + (lo - 0xDC00) + 0x10000;
                }
                char u[4];
                size_t k = put_utf8(u, cp);
                if (o + k >= cap)
                    return SIZE_MAX;
                memcpy(out + o, u, k);
                o += k;
                continue;
            }
            default: one = e; break; /* " \\ / */
            }
        }
        if (o + 1 >= cap)
            return SIZE_MAX;
        out[o++] = one;
    }
    return o;
}

/* Scans the string starting at s[*pos] == '"'; on success *pos is one past the closing quote.
 * With key != NULL, *key receives the decoded string (escaped keys are decoded into keybuf). */
static int scan_string(struct lo_json_scan *sc, size_t *pos, struct lo_str *key)
{
    const char *s = sc->s;
    size_t n = sc->len;
    size_t start = *pos + 1, i = start;
    bool escaped = false;
    for (;;) {
        while (i < n && plain_byte((unsigned char)s[i]))
            i++;
        if (i >= n)
            return fail(sc, n, "premature end of input in a string");
        unsigned char c = (unsigned char)s[i];
        if (c == '"')
            break;
        if (c == '\\') {
            escaped = true;
            if (i + 1 >= n)
                return fail(sc, n, "premature end of input in a string");
            char e = s[i + 1];
            if (e == '"' || e == '\\' || e == '/' || e == 'b' || e == 'f' || e == 'n' ||
                e == 'r' || e == 't') {
                i += 2;
                continue;
            }
            if (e != 'u')
                return fail(sc, i, "invalid escape");
            long cp = hex4(s, i + 2, n);
            if (cp < 0)
                return fail(sc, i, "invalid escape");
            if (cp == 0)
                return fail(sc, i, "\\u0000 is not allowed");
            if (cp >= 0xDC00 && cp <= 0xDFFF)
                return fail(sc, i, "invalid Unicode '\\u%04lX' (a lone low surrogate)", cp);
            if (cp >= 0xD800 && cp <= 0xDBFF) {
                long lo = -1;
                if (i + 7 < n && s[i + 6] == '\\' && s[i + 7] == 'u')
                    lo = hex4(s, i + 8, n);
                if (lo < 0xDC00 || lo > 0xDFFF)
                    return fail(sc, i, "invalid Unicode '\\u%04lX' (a lone high surrogate)", cp);
                i += 12;
            } else {
                i += 6;
            }
            continue;
        }
        if (c < 0x20)
            return fail(sc, i, "control character 0x%x in a string", c);
        size_t k = utf8_seq((const unsigned char *)s + i, n - i);
        if (!k)
            return fail(sc, i, "invalid UTF-8");
        i += k;
    }
    *pos = i + 1;
    if (key) {
        if (!escaped) {
            key->ptr = s + start;
            key->len = i - start;
        } else {
            /* keybuf holds at least len bytes, reserved at the start of the scan. */
            char *out = sc->keybuf + sc->keybuf_len;
            key->ptr = out;
            key->len = decode_body(s + start, i - start, out, SIZE_MAX);
            sc->keybuf_len += key->len;
        }
    }
    return 0;
}

/* Checks a real's range the way jansson does: strtod overflow (±HUGE_VAL with ERANGE) is an
 * error, underflow is not. */
static int check_real(struct lo_json_scan *sc, size_t start, size_t end, bool has_exp)
{
    size_t len = end - start;
    if (!has_exp && len < 300)
        return 0; /* fewer than 300 digits cannot reach DBL_MAX (~1.8e308) */
    if (len + 1 > sc->numbuf_cap) {
        char *nb = realloc(sc->numbuf, len + 1);
        if (!nb)
            return out_of_memory(sc);
        sc->numbuf = nb;
        sc->numbuf_cap = len + 1;
    }
    memcpy(sc->numbuf, sc->s + start, len);
    sc->numbuf[len] = '\0';
    errno = 0;
    double v = strtod(sc->numbuf, NULL);
    if ((v == HUGE_VAL || v == -HUGE_VAL) && errno == ERANGE)
        return fail(sc, start, "real number overflow");
    return 0;
}

static int scan_number(struct lo_json_scan *sc, size_t *pos, enum lo_json_kind *kind)
{
    const char *s = sc->s;
    size_t n = sc->len, start = *pos, i = start;
    bool neg = false;
    if (s[i] == '-') {
        neg = true;
        i++;
    }
    if (i >= n || !is_digit(s[i]))
        return fail(sc, start, "invalid token");
    size_t digits_at = i;
    if (s[i] == '0') {
        i++;
        if (i < n && is_digit(s[i]))
            return fail(sc, start, "invalid token (a number with a leading zero)");
    } else {
        while (i < n && is_digit(s[i]))
            i++;
    }
    size_t ndigits = i - digits_at;
    if (i >= n || (s[i] != '.' && s[i] != 'e' && s[i] != 'E')) {
        /* An integer: must fit int64, like jansson's strtoll. */
        if (ndigits > 19 ||
            (ndigits == 19 &&
             memcmp(s + digits_at, neg ? "9223372036854775808" : "9223372036854775807", 19) > 0))
            return fail(sc, start, neg ? "too big negative integer" : "too big integer");
        *kind = LO_JSON_INTEGER;
        *pos = i;
        return 0;
    }
    bool has_exp = false;
    if (s[i] == '.') {
        i++;
        if (i >= n || !is_digit(s[i]))
            return fail(sc, start, "invalid token (no digit after the decimal point)");
        while (i < n && is_digit(s[i]))
            i++;
    }
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        has_exp = true;
        i++;
        if (i < n && (s[i] == '+' || s[i] == '-'))
            i++;
        if (i >= n || !is_digit(s[i]))
            return fail(sc, start, "invalid token (no digit in the exponent)");
        while (i < n && is_digit(s[i]))
            i++;
    }
    int rc = check_real(sc, start, i, has_exp);
    if (rc)
        return rc;
    *kind = LO_JSON_REAL;
    *pos = i;
    return 0;
}

static uint32_t key_hash(const char *p, size_t n)
{
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)p[i]) * 16777619u;
    return h;
}

static int table_grow(struct lo_json_scan *sc)
{
    size_t cap = sc->table_cap ? sc->table_cap * 2 : 256;
    struct lo__json_slot *t = calloc(cap, sizeof(*t));
    if (!t)
        return out_of_memory(sc);
    for (size_t i = 0; i < sc->table_cap; i++) {
        struct lo__json_slot *e = &sc->table[i];
        if (!e->serial)
            continue;
        size_t j = e->hash & (cap - 1);
        while (t[j].serial)
            j = (j + 1) & (cap - 1);
        t[j] = *e;
    }
    free(sc->table);
    sc->table = t;
    sc->table_cap = cap;
    return 0;
}

/* Adds key to the set of object `serial`; 1 when it was there already. */
static int table_add(struct lo_json_scan *sc, uint32_t serial, struct lo_str key)
{
    if ((sc->table_used + 1) * 2 > sc->table_cap) {
        int rc = table_grow(sc);
        if (rc)
            return rc;
    }
    uint32_t h = key_hash(key.ptr, key.len);
    size_t mask = sc->table_cap - 1, j = h & mask;
    for (; sc->table[j].serial; j = (j + 1) & mask) {
        struct lo__json_slot *e = &sc->table[j];
        if (e->serial == serial && e->hash == h && e->len == key.len &&
            memcmp(e->ptr, key.ptr, key.len) == 0)
            return 1;
    }
    sc->table[j] = (struct lo__json_slot){ key.ptr, key.len, h, serial };
    sc->table_used++;
    return 0;
}

static int push_key(struct lo_json_scan *sc, struct lo_str key)
{
    if (sc->n_keys == sc->keys_cap) {
        size_t cap = sc->keys_cap ? sc->keys_cap * 2 : 64;
        struct lo__json_key *k = realloc(sc->keys, cap * sizeof(*k));
        if (!k)
            return out_of_memory(sc);
        sc->keys = k;
        sc->keys_cap = cap;
    }
    sc->keys[sc->n_keys++] = (struct lo__json_key){ key.ptr, key.len };
    return 0;
}

static int add_member(struct lo_json_scan *sc, struct lo_json_member m)
{
    if (sc->n_members == sc->members_cap) {
        size_t cap = sc->members_cap ? sc->members_cap * 2 : 16;
        struct lo_json_member *a = realloc(sc->members, cap * sizeof(*a));
        if (!a)
            return out_of_memory(sc);
        sc->members = a;
        sc->members_cap = cap;
    }
    sc->members[sc->n_members++] = m;
    return 0;
}

static int scan_value(struct lo_json_scan *sc, size_t *pos, enum lo_json_kind *kind);

static int scan_object(struct lo_json_scan *sc, size_t *pos)
{
    const char *s = sc->s;
    size_t n = sc->len;
    bool top = sc->depth == 1;
    uint32_t serial = ++sc->serial;
    size_t key_base = sc->n_keys, n_obj_keys = 0;
    bool hashed = false;
    size_t i = skip_ws(s, *pos + 1, n);
    int rc = 0;
    if (i < n && s[i] == '}') {
        *pos = i + 1;
        return 0;
    }
    for (;;) {
        if (i >= n || s[i] != '"')
            return fail(sc, i, "string or '}' expected");
        size_t key_at = i;
        struct lo_str key;
        rc = scan_string(sc, &i, &key);
        if (rc)
            return rc;
        if (!hashed) {
            for (size_t k = key_base; k < sc->n_keys; k++)
                if (sc->keys[k].len == key.len && memcmp(sc->keys[k].ptr, key.ptr, key.len) == 0)
                    return fail(sc, key_at, "duplicate object key");
            rc = push_key(sc, key);
            if (rc)
                return rc;
            if (++n_obj_keys > LINEAR_KEYS) {
                /* Many keys: from here on a hash set (stale entries of other objects stay
                 * in it but never match: each object has its own serial). */
                hashed = true;
                for (size_t k = key_base; k < sc->n_keys; k++) {
                    rc = table_add(sc, serial,
                                   (struct lo_str){ sc->keys[k].ptr, sc->keys[k].len });
                    if (rc < 0)
                        return rc;
                }
                sc->n_keys = key_base;
            }
        } else {
            rc = table_add(sc, serial, key);
            if (rc < 0)
                return rc;
            if (rc)
                return fail(sc, key_at, "duplicate object key");
        }
        i = skip_ws(s, i, n);
        if (i >= n || s[i] != ':')
            return fail(sc, i, "':' expected");
        i = skip_ws(s, i + 1, n);
        size_t value_at = i;
        enum lo_json_kind kind;
        rc = scan_value(sc, &i, &kind);
        if (rc)
            return rc;
        if (top) {
            size_t value_end = i;
            if (kind >= LO_JSON_INTEGER && s[value_end - 1] == '\0')
                value_end--; /* the skipped NUL (see scan_value) is not part of the value */
            rc = add_member(sc, (struct lo_json_member){
                                    key, { s + value_at, value_end - value_at }, kind });
            if (rc)
                return rc;
        }
        i = skip_ws(s, i, n);
        if (i < n && s[i] == ',') {
            i = skip_ws(s, i + 1, n);
            continue;
        }
        if (i < n && s[i] == '}')
            break;
        return fail(sc, i, "',' or '}' expected");
    }
    sc->n_keys = key_base;
    *pos = i + 1;
    return 0;
}

static int scan_array(struct lo_json_scan *sc, size_t *pos)
{
    const char *s = sc->s;
    size_t n = sc->len;
    size_t i = skip_ws(s, *pos + 1, n);
    if (i < n && s[i] == ']') {
        *pos = i + 1;
        return 0;
    }
    for (;;) {
        enum lo_json_kind kind;
        int rc = scan_value(sc, &i, &kind);
        if (rc)
            return rc;
        i = skip_ws(s, i, n);
        if (i < n && s[i] == ',') {
            i = skip_ws(s, i + 1, n);
            continue;
        }
        if (i < n && s[i] == ']')
            break;
        return fail(sc, i, "',' or ']' expected");
    }
    *pos = i + 1;
    return 0;
}

static int scan_literal(struct lo_json_scan *sc, size_t *pos, const char *word,
                        enum lo_json_kind k, enum lo_json_kind *kind)
{
    size_t wl = strlen(word);
    if (sc->len - *pos < wl || memcmp(sc->s + *pos, word, wl) != 0)
        return fail(sc, *pos, "invalid token");
    *pos += wl;
    *kind = k;
    return 0;
}

/* Scans the value at s[*pos] (whitespace already skipped). Like jansson, every value counts
 * towards the depth limit, scalars included: an object at the top is depth 1. */
static int scan_value(struct lo_json_scan *sc, size_t *pos, enum lo_json_kind *kind)
{
    if (++sc->depth > JSON_PARSER_MAX_DEPTH)
        return fail(sc, *pos, "maximum parsing depth (%d) reached", JSON_PARSER_MAX_DEPTH);
    if (*pos >= sc->len)
        return fail(sc, *pos, "unexpected end of input");
    int rc;
    switch (sc->s[*pos]) {
    case '{':
        *kind = LO_JSON_OBJECT;
        rc = scan_object(sc, pos);
        break;
    case '[':
        *kind = LO_JSON_ARRAY;
        rc = scan_array(sc, pos);
        break;
    case '"':
        *kind = LO_JSON_STRING;
        rc = scan_string(sc, pos, NULL);
        break;
    case 't': rc = scan_literal(sc, pos, "true", LO_JSON_TRUE, kind); break;
    case 'f': rc = scan_literal(sc, pos, "false", LO_JSON_FALSE, kind); break;
    case 'n': rc = scan_literal(sc, pos, "null", LO_JSON_NULL, kind); break;
    default:
        if (sc->s[*pos] == '-' || is_digit(sc->s[*pos]))
            rc = scan_number(sc, pos, kind);
        else
            rc = fail(sc, *pos, "invalid token");
    }
    /* jansson's quirk, kept for exact agreement: its lexer reads one character past a number
     * or a literal and puts it back, and a NUL byte put back is lost. So one NUL right after
     * a number, true, false or null is skipped. */
    if (!rc && *kind >= LO_JSON_INTEGER && *pos < sc->len && sc->s[*pos] == '\0')
        (*pos)++;
    sc->depth--;
    return rc;
}

int lo_json_scan(struct lo_json_scan *sc, const char *s, size_t len, struct lo_error *err)
{
    sc->s = s;
    sc->len = len;
    sc->err = err;
    sc->depth = 0;
    sc->serial = 0;
    sc->n_keys = 0;
    sc->n_members = 0;
    sc->kind = LO_JSON_NONE;
    sc->keybuf_len = 0;
    if (sc->table_used) {
        memset(sc->table, 0, sc->table_cap * sizeof(*sc->table));
        sc->table_used = 0;
    }
    /* Decoded keys are never longer than the text they come from. */
    if (sc->keybuf_cap < len + 1) {
        char *kb = realloc(sc->keybuf, len + 1);
        if (!kb)
            return out_of_memory(sc);
        sc->keybuf = kb;
        sc->keybuf_cap = len + 1;
    }
    size_t i = skip_ws(s, 0, len);
    enum lo_json_kind kind;
    int rc = scan_value(sc, &i, &kind);
    if (rc) {
        sc->n_members = 0;
        return rc;
    }
    i = skip_ws(s, i, len);
    if (i < len) {
        sc->n_members = 0;
        return fail(sc, i, "end of input expected after the value");
    }
    sc->kind = kind;
    return 0;
}

const struct lo_json_member *lo_json_scan_member(const struct lo_json_scan *sc, const char *key)
{
    size_t kl = strlen(key);
    for (size_t i = 0; i < sc->n_members; i++) {
        const struct lo_json_member *m = &sc->members[i];
        if (m->key.len == kl && memcmp(m->key.ptr, key, kl) == 0)
            return m;
    }
    return NULL;
}

int lo_json_string_decode(struct lo_str text, char *out, size_t cap, size_t *out_len)
{
    if (text.len < 2 || cap == 0)
        return LO_ELIMIT;
    size_t n = decode_body(text.ptr + 1, text.len - 2, out, cap);
    if (n == SIZE_MAX)
        return LO_ELIMIT;
    out[n] = '\0';
    *out_len = n;
    return 0;
}

int64_t lo_json_integer_value(struct lo_str text)
{
    size_t i = 0;
    bool neg = text.len && text.ptr[0] == '-';
    if (neg)
        i++;
    uint64_t v = 0;
    for (; i < text.len && is_digit(text.ptr[i]); i++)
        v = v * 10 + (uint64_t)(text.ptr[i] - '0');
    return neg ? (int64_t)(0 - v) : (int64_t)v;
}
