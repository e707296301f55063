/*
 * ratings.c - turns labels given as strings into dense integer codes (struct lo_ratings).
 *
 * Names are interned in open-addressing hash tables (FNV-1a); all memory that outlives the
 * builder comes from the caller's arena. This file knows nothing of files or databases.
 */
#include "quality/ratings.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/limits.h"

struct intern {
    uint32_t *slots;      /* index + 1, 0 = empty */
    size_t cap;           /* power of two */
    const char **names;   /* arena strings, by index */
    size_t *lens;
    uint64_t *hashes;
    size_t n, names_cap;
};

struct lo_ratings_builder {
    struct lo_arena *arena;
    struct intern items, annotators, classes;
    uint32_t *item, *annotator, *label;
    size_t n, cap;
    const char **gold;    /* by item, NULL when unknown; grown with items */
    size_t gold_cap;
    bool any_gold;
};

static uint64_t fnv1a(const char *s, size_t n)
{
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < n; i++) {
        h ^= (unsigned char)s[i];
        h *= 1099511628211ull;
    }
    return h;
}

static void intern_free(struct intern *t)
{
    free(t->slots);
    free(t->names);
    free(t->lens);
    free(t->hashes);
    memset(t, 0, sizeof(*t));
}

static int intern_grow(struct intern *t)
{
    size_t ncap = t->cap ? t->cap * 2 : 1024;
    uint32_t *slots = calloc(ncap, sizeof(*slots));
    if (!slots)
        return LO_ENOMEM;
    for (size_t i = 0; i < t->n; i++) {
        size_t pos = t->hashes[i] & (ncap - 1);
        while (slots[pos])
            pos = (pos + 1) & (ncap - 1);
        slots[pos] = (uint32_t)(i + 1);
    }
    free(t->slots);
    t->slots = slots;
    t->cap = ncap;
    return 0;
}

/* Finds or adds s; *index receives its number. Returns 1 when added, 0 when found, < 0 error. */
static int intern_get(struct intern *t, struct lo_arena *arena, struct lo_str s, uint32_t *index)
{
    if (t->n + 1 > t->cap / 2) {
        int rc = intern_grow(t);
        if (rc)
            return rc;
    }
    uint64_t h = fnv1a(s.ptr, s.len);
    size_t pos = h & (t->cap - 1);
    while (t->slots[pos]) {
        uint32_t i = t->slots[pos] - 1;
        if (t->hashes[i] == h && t->lens[i] == s.len && memcmp(t->names[i], s.ptr, s.len) == 0) {
            *index = i;
            return 0;
        }
        pos = (pos + 1) & (t->cap - 1);
    }
    if (t->n == UINT32_MAX - 1)
        return LO_ELIMIT;
    if (t->n == t->names_cap) {
        size_t ncap = t->names_cap ? t->names_cap * 2 : 1024;
        const char **names = realloc(t->names, ncap * sizeof(*names));
        if (!names)
            return LO_ENOMEM;
        t->names = names;
        size_t *lens = realloc(t->lens, ncap * sizeof(*lens));
        if (!lens)
            return LO_ENOMEM;
        t->lens = lens;
        uint64_t *hashes = realloc(t->hashes, ncap * sizeof(*hashes));
        if (!hashes)
            return LO_ENOMEM;
        t->hashes = hashes;
        t->names_cap = ncap;
    }
    char *copy = lo_arena_strndup(arena, s.ptr, s.len);
    if (!copy)
        return LO_ENOMEM;
    t->names[t->n] = copy;
    t->lens[t->n] = s.len;
    t->hashes[t->n] = h;
    t->slots[pos] = (uint32_t)(t->n + 1);
    *index = (uint32_t)t->n;
    t->n++;
    return 1;
}

int lo_ratings_builder_new(struct lo_ratings_builder **out, struct lo_arena *arena)
{
    struct lo_ratings_builder *b = calloc(1, sizeof(*b));
    if (!b)
        return LO_ENOMEM;
    b->arena = arena;
    *out = b;
    return 0;
}

void lo_ratings_builder_free(struct lo_ratings_builder *b)
{
    if (!b)
        return;
    intern_free(&b->items);
    intern_free(&b->annotators);
    intern_free(&b->classes);
    free(b->item);
    free(b->annotator);
    free(b->label);
    free(b->gold);
    free(b);
}

static int ensure_gold_slot(struct lo_ratings_builder *b, size_t item)
{
    if (item < b->gold_cap)
        return 0;
    size_t ncap = b->gold_cap ? b->gold_cap : 1024;
    while (ncap <= item)
        ncap *= 2;
    const char **g = realloc(b->gold, ncap * sizeof(*g));
    if (!g)
        return LO_ENOMEM;
    memset(g + b->gold_cap, 0, (ncap - b->gold_cap) * sizeof(*g));
    b->gold = g;
    b->gold_cap = ncap;
    return 0;
}

int lo_ratings_builder_add(struct lo_ratings_builder *b, struct lo_str item,
                           struct lo_str annotator, struct lo_str label, struct lo_error *err)
{
    uint32_t ii, ai, li;
    if (label.len > LO_LIMIT_LABEL)
        return lo_error_field(err, LO_ELIMIT, "label", "label longer than %d bytes (LO_LIMIT_LABEL)",
                              LO_LIMIT_LABEL);
    if (b->n == b->cap) {
        size_t ncap = b->cap ? b->cap * 2 : 4096;
        uint32_t *p = realloc(b->item, ncap * sizeof(*p));
        if (!p)
            return lo_error_set(err, LO_ENOMEM, "out of memory");
        b->item = p;
        p = realloc(b->annotator, ncap * sizeof(*p));
        if (!p)
            return lo_error_set(err, LO_ENOMEM, "out of memory");
        b->annotator = p;
        p = realloc(b->label, ncap * sizeof(*p));
        if (!p)
            return lo_error_set(err, LO_ENOMEM, "out of memory");
        b->label = p;
        b->cap = ncap;
    }
    int rc = intern_get(&b->items, b->arena, item, &ii);
    if (rc >= 0)
        rc = intern_get(&b->annotators, b->arena, annotator, &ai);
    if (rc >= 0)
        rc = intern_get(&b->classes, b->arena, label, &li);
    if (rc < 0)
        return lo_error_set(err, rc, "out of memory while coding labels");
    if (b->classes.n > LO_LIMIT_CLASSES_STATS)
        return lo_error_field(err, LO_ELIMIT, "label",
                              "more than %d distinct labels (LO_LIMIT_CLASSES_STATS)",
                              LO_LIMIT_CLASSES_STATS);
    b->item[b->n] = ii;
    b->annotator[b->n] = ai;
    b->label[b->n] = li;
    b->n++;
    return 0;
}

int lo_ratings_builder_gold(struct lo_ratings_builder *b, struct lo_str item, struct lo_str gold,
                            struct lo_error *err)
{
    uint32_t ii;
    int rc = intern_get(&b->items, b->arena, item, &ii);
    if (rc < 0)
        return lo_error_set(err, rc, "out of memory");
    rc = ensure_gold_slot(b, ii);
    if (rc)
        return lo_error_set(err, rc, "out of memory");
    if (b->gold[ii]) {
        if (strlen(b->gold[ii]) != gold.len || memcmp(b->gold[ii], gold.ptr, gold.len) != 0)
            return lo_error_field(err, LO_EINVAL, "gold",
                                  "item '%.*s' has two different gold labels: '%s' and '%.*s'",
                                  (int)item.len, item.ptr, b->gold[ii], (int)gold.len, gold.ptr);
        return 0;
    }
    b->gold[ii] = lo_arena_strndup(b->arena, gold.ptr, gold.len);
    if (!b->gold[ii])
        return lo_error_set(err, LO_ENOMEM, "out of memory");
    b->any_gold = true;
    return 0;
}

struct class_key {
    const char *name;
    size_t len;
    double value;
    uint32_t old;
};

static int cmp_numeric(const void *pa, const void *pb)
{
    const struct class_key *a = pa, *b = pb;
    if (a->value < b->value)
        return -1;
    if (a->value > b->value)
        return 1;
    return lo_str_cmp((struct lo_str){ a->name, a->len }, (struct lo_str){ b->name, b->len });
}

static int cmp_bytes(const void *pa, const void *pb)
{
    const struct class_key *a = pa, *b = pb;
    return lo_str_cmp((struct lo_str){ a->name, a->len }, (struct lo_str){ b->name, b->len });
}

int lo_ratings_builder_finish(struct lo_ratings_builder *b, struct lo_ratings *out,
                              struct lo_error *err)
{
    int rc = LO_ENOMEM;
    struct lo_arena *a = b->arena;
    size_t nc = b->classes.n;
    memset(out, 0, sizeof(*out));
    struct class_key *keys = calloc(nc ? nc : 1, sizeof(*keys));
    uint32_t *remap = calloc(nc ? nc : 1, sizeof(*remap));
    if (!keys || !remap)
        goto fail;
    bool numeric = nc > 0;
    for (size_t i = 0; i < nc; i++) {
        keys[i].name = b->classes.names[i];
        keys[i].len = b->classes.lens[i];
        keys[i].old = (uint32_t)i;
        if (numeric && !lo_str_to_double((struct lo_str){ keys[i].name, keys[i].len },
                                         &keys[i].value))
            numeric = false;
    }
    qsort(keys, nc, sizeof(*keys), numeric ? cmp_numeric : cmp_bytes);
    for (size_t i = 0; i < nc; i++)
        remap[keys[i].old] = (uint32_t)i;

    out->n = b->n;
    out->n_items = b->items.n;
    out->n_annotators = b->annotators.n;
    out->n_classes = nc;
    out->numeric = numeric;
    out->item = lo_arena_alloc(a, b->n * sizeof(uint32_t) + 1);
    out->annotator = lo_arena_alloc(a, b->n * sizeof(uint32_t) + 1);
    out->label = lo_arena_alloc(a, b->n * sizeof(uint32_t) + 1);
    out->item_names = lo_arena_alloc(a, b->items.n * sizeof(char *) + 1);
    out->annotator_names = lo_arena_alloc(a, b->annotators.n * sizeof(char *) + 1);
    out->class_names = lo_arena_alloc(a, nc * sizeof(char *) + 1);
    if (!out->item || !out->annotator || !out->label || !out->item_names ||
        !out->annotator_names || !out->class_names)
        goto fail;
    if (b->n) {
        memcpy(out->item, b->item, b->n * sizeof(uint32_t));
        memcpy(out->annotator, b->annotator, b->n * sizeof(uint32_t));
    }
    for (size_t i = 0; i < b->n; i++)
        out->label[i] = remap[b->label[i]];
    if (b->items.n)
        memcpy(out->item_names, b->items.names, b->items.n * sizeof(char *));
    if (b->annotators.n)
        memcpy(out->annotator_names, b->annotators.names, b->annotators.n * sizeof(char *));
    for (size_t i = 0; i < nc; i++)
        out->class_names[i] = keys[i].name;
    if (numeric) {
        out->class_values = lo_arena_alloc(a, nc * sizeof(double));
        if (!out->class_values)
            goto fail;
        for (size_t i = 0; i < nc; i++)
            out->class_values[i] = keys[i].value;
    }
    if (b->any_gold) {
        rc = ensure_gold_slot(b, b->items.n);
        if (rc)
            goto fail;
        out->gold_names = lo_arena_alloc(a, b->items.n * sizeof(char *) + 1);
        out->gold = lo_arena_alloc(a, b->items.n * sizeof(int32_t) + 1);
        if (!out->gold_names || !out->gold)
            goto fail;
        for (size_t i = 0; i < b->items.n; i++) {
            out->gold_names[i] = b->gold[i];
            out->gold[i] = b->gold[i] ? lo_ratings_class_index(out, b->gold[i]) : -1;
        }
    }
    free(keys);
    free(remap);
    lo_ratings_builder_free(b);
    return 0;
fail:
    free(keys);
    free(remap);
    lo_ratings_builder_free(b);
    memset(out, 0, sizeof(*out));
    return lo_error_set(err, LO_ENOMEM, "out of memory while coding labels");
}

int lo_ratings_class_index(const struct lo_ratings *r, const char *name)
{
    size_t lo = 0, hi = r->n_classes;
    struct lo_str key = lo_str_from(name);
    if (r->numeric) {
        double v;
        if (!lo_str_to_double(key, &v))
            return -1;
        /* Values may repeat ("1" and "1.0"): find the exact text among equal values. */
        for (size_t i = 0; i < r->n_classes; i++)
            if (strcmp(r->class_names[i], name) == 0)
                return (int)i;
        for (size_t i = 0; i < r->n_classes; i++)
            if (r->class_values[i] == v)
                return (int)i;
        return -1;
    }
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        int c = lo_str_cmp(lo_str_from(r->class_names[mid]), key);
        if (c == 0)
            return (int)mid;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return -1;
}
