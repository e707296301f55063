/*
 * arena.c - bump allocator in linked blocks.
 */
#include "base/arena.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct lo_arena_block {
    struct lo_arena_block *next;
    size_t size;
    size_t used;
    _Alignas(16) unsigned char data[];
};

void lo_arena_init(struct lo_arena *a, size_t block_size)
{
    a->head = NULL;
    a->block_size = block_size ? block_size : 64 * 1024;
    a->total = 0;
}

void lo_arena_free(struct lo_arena *a)
{
    struct lo_arena_block *b = a->head;
    while (b) {
        struct lo_arena_block *next = b->next;
        free(b);
        b = next;
    }
    a->head = NULL;
    a->total = 0;
}

void *lo_arena_alloc(struct lo_arena *a, size_t size)
{
    size_t rounded = (size + 15) & ~(size_t)15;
    if (rounded < size)
        return NULL;
    struct lo_arena_block *b = a->head;
    if (!b || b->size - b->used < rounded) {
        size_t bsize = rounded > a->block_size ? rounded : a->block_size;
        if (bsize > SIZE_MAX - sizeof(*b))
            return NULL;
        b = malloc(sizeof(*b) + bsize);
        if (!b)
            return NULL;
        b->size = bsize;
        b->used = 0;
        b->next = a->head;
        a->head = b;
    }
    void *p = b->data + b->used;
    b->used += rounded;
    a->total += rounded;
    return p;
}

void *lo_arena_calloc(struct lo_arena *a, size_t n, size_t size)
{
    if (size && n > SIZE_MAX / size)
        return NULL;
    void *p = lo_arena_alloc(a, n * size);
    if (p)
        memset(p, 0, n * size);
    return p;
}

char *lo_arena_strndup(struct lo_arena *a, const char *s, size_t len)
{
    char *p = lo_arena_alloc(a, len + 1);
    if (!p)
        return NULL;
    if (len)
        memcpy(p, s, len);
    p[len] = '\0';
    return p;
}

struct lo_str lo_arena_str(struct lo_arena *a, struct lo_str s)
{
    struct lo_str out = { lo_arena_strndup(a, s.ptr, s.len), s.len };
    return out;
}
