/*
 * buf.h - a growable byte buffer with a cap (after curl's dynbuf).
 *
 * Every buffer is created with the most it may ever hold; appending past it fails with
 * LO_ELIMIT and leaves the buffer as it was. The contents are always NUL-terminated.
 */
#ifndef LO_BASE_BUF_H
#define LO_BASE_BUF_H

#include <stddef.h>

#include "base/str.h"

struct lo_buf {
    char *data;
    size_t len;
    size_t cap;     /* allocated bytes */
    size_t max;     /* most bytes of content allowed */
};

void lo_buf_init(struct lo_buf *b, size_t max);
void lo_buf_free(struct lo_buf *b);
void lo_buf_reset(struct lo_buf *b);
int lo__buf_append_slow(struct lo_buf *b, const void *data, size_t len);

/* Appends len bytes; LO_ELIMIT past the cap (the buffer is left as it was), LO_ENOMEM. */
static inline int lo_buf_append(struct lo_buf *b, const void *data, size_t len)
{
    /* The common case: it fits in what is allocated, and under the cap. */
    if (len == 0 && b->data)
        return 0;
    if (len < b->cap - b->len && b->len + len <= b->max) {
        __builtin_memcpy(b->data + b->len, data, len);
        b->len += len;
        b->data[b->len] = '\0';
        return 0;
    }
    return lo__buf_append_slow(b, data, len);
}
int lo_buf_putc(struct lo_buf *b, char c);
int lo_buf_puts(struct lo_buf *b, const char *s);
int lo_buf_printf(struct lo_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
struct lo_str lo_buf_view(const struct lo_buf *b);
/* Hands the NUL-terminated contents to the caller (free() them) and resets b. */
char *lo_buf_take(struct lo_buf *b);

#endif
