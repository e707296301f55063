/*
 * arena.h - a bump allocator for things that die together (one import, one statistics run,
 * one request). Freed in one place with lo_arena_free; individual frees do not exist.
 */
#ifndef LO_BASE_ARENA_H
#define LO_BASE_ARENA_H

#include <stddef.h>

#include "base/str.h"

struct lo_arena_block;

struct lo_arena {
    struct lo_arena_block *head;
    size_t block_size;
    size_t total;   /* bytes handed out, for limits and reports */
};

void lo_arena_init(struct lo_arena *a, size_t block_size);
void lo_arena_free(struct lo_arena *a);
/* Returns 16-byte aligned memory, or NULL when out of memory. */
void *lo_arena_alloc(struct lo_arena *a, size_t size);
void *lo_arena_calloc(struct lo_arena *a, size_t n, size_t size);
/* Copies len bytes and a NUL into the arena. */
char *lo_arena_strndup(struct lo_arena *a, const char *s, size_t len);
struct lo_str lo_arena_str(struct lo_arena *a, struct lo_str s);

#endif
