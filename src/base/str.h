/*
 * str.h - string views. A view borrows bytes it does not own; its lifetime is the owner's.
 */
#ifndef LO_BASE_STR_H
#define LO_BASE_STR_H

#include <stdbool.h>
#include <stddef.h>

struct lo_str {
    const char *ptr;
    size_t len;
};

#define LO_STR_LIT(s) ((struct lo_str){ (s), sizeof(s) - 1 })

struct lo_str lo_str_from(const char *cstr);
bool lo_str_eq(struct lo_str a, struct lo_str b);
bool lo_str_eq_cstr(struct lo_str a, const char *b);
/* Case-insensitive ASCII comparison with a C string. */
bool lo_str_ieq_cstr(struct lo_str a, const char *b);
struct lo_str lo_str_trim(struct lo_str s);
/* Byte-order comparison, shorter prefix first. */
int lo_str_cmp(struct lo_str a, struct lo_str b);

/* True when s is well-formed UTF-8 (no overlongs, no surrogates, nothing above U+10FFFF).
 * On false, *bad_offset (if not NULL) is the byte offset of the first bad sequence. */
bool lo_utf8_valid(const char *s, size_t len, size_t *bad_offset);

/* Parses the whole view as a finite double (leading/trailing spaces allowed). */
bool lo_str_to_double(struct lo_str s, double *out);
/* Parses the whole view as a base-10 int64. */
bool lo_str_to_i64(struct lo_str s, long long *out);

#endif
