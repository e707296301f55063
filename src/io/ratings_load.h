/*
 * ratings_load.h - reads a long-format label file (io/labels.h) into struct lo_ratings.
 */
#ifndef LO_IO_RATINGS_LOAD_H
#define LO_IO_RATINGS_LOAD_H

#include "base/arena.h"
#include "base/err.h"
#include "io/labels.h"
#include "quality/ratings.h"

/* Loads every row of path. gold_path, when not NULL, is a second file with item,label (or
 * item,truth / question,truth) columns giving known answers; a gold column in the labels file
 * is used as well. Memory comes from arena. */
int lo_ratings_load(const char *path, enum lo_format fmt, const struct lo_label_mapping *map,
                    const char *gold_path, struct lo_arena *arena, struct lo_ratings *out,
                    struct lo_error *err);

#endif
