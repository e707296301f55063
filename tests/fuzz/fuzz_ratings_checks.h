/*
 * fuzz_ratings_checks.h - the invariants of struct lo_ratings, whoever built it, shared by the
 * fuzz targets that build one (fuzz_labels.c, fuzz_agree_input.c). Include it after defining
 * CHECK(cond) and `static bool names_comparable`.
 */
#ifndef LO_FUZZ_RATINGS_CHECKS_H
#define LO_FUZZ_RATINGS_CHECKS_H

static int cmp_cstr(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static void check_distinct(const char **names, size_t n)
{
    if (n < 2 || !names_comparable)
        return;
    const char **copy = malloc(n * sizeof(*copy));
    CHECK(copy);
    memcpy(copy, names, n * sizeof(*copy));
    qsort(copy, n, sizeof(*copy), cmp_cstr);
    for (size_t i = 1; i < n; i++)
        CHECK(strcmp(copy[i - 1], copy[i]) != 0);
    free(copy);
}

/* Indices in [0, n) must first appear in the order 0, 1, 2, ...; returns how many appear. */
static size_t check_first_appearance(const uint32_t *idx, size_t n_ratings, size_t n)
{
    size_t next = 0;
    for (size_t i = 0; i < n_ratings; i++) {
        CHECK(idx[i] < n);
        CHECK(idx[i] <= next);
        if (idx[i] == next)
            next++;
    }
    return next;
}

static void check_class_names(const struct lo_ratings *r);

static void check_ratings(const struct lo_ratings *r, bool unrated_items_allowed)
{
    CHECK(r->n == 0 || (r->item && r->annotator && r->label));
    CHECK(r->n_items == 0 || r->item_names);
    CHECK(r->n_annotators == 0 || r->annotator_names);
    CHECK(r->n_classes == 0 || r->class_names);
    CHECK(r->n_classes <= LO_LIMIT_CLASSES_STATS);

    size_t rated_items = check_first_appearance(r->item, r->n, r->n_items);
    CHECK(check_first_appearance(r->annotator, r->n, r->n_annotators) == r->n_annotators);
    if (!unrated_items_allowed)
        CHECK(rated_items == r->n_items);

    for (size_t i = 0; i < r->n_items; i++)
        CHECK(r->item_names[i] && (r->item_names[i][0] || !names_comparable));
    for (size_t i = 0; i < r->n_annotators; i++)
        CHECK(r->annotator_names[i] && (r->annotator_names[i][0] || !names_comparable));
    check_distinct(r->item_names, r->n_items);
    check_distinct(r->annotator_names, r->n_annotators);
    check_distinct(r->class_names, r->n_classes);

    /* Every class is used. */
    bool *used = calloc(r->n_classes + 1, 1);
    CHECK(used);
    for (size_t i = 0; i < r->n; i++) {
        CHECK(r->label[i] < r->n_classes);
        used[r->label[i]] = true;
    }
    for (size_t k = 0; k < r->n_classes; k++)
        CHECK(used[k]);
    free(used);

    if (r->numeric)
        for (size_t k = 1; k < r->n_classes; k++)
            CHECK(r->class_values[k - 1] <= r->class_values[k]);
    if (names_comparable)
        check_class_names(r);

    /* Gold. */
    CHECK((r->gold == NULL) == (r->gold_names == NULL));
    if (!r->gold) {
        CHECK(rated_items == r->n_items);
        return;
    }
    for (size_t i = 0; i < r->n_items; i++) {
        if (i >= rated_items)
            CHECK(r->gold_names[i]); /* an item without ratings exists only for its gold */
        if (!r->gold_names[i]) {
            CHECK(r->gold[i] == -1);
            continue;
        }
        CHECK(r->gold[i] >= -1 && r->gold[i] < (int32_t)r->n_classes);
        if (!names_comparable)
            continue;
        if (r->gold[i] >= 0) {
            const char *cls = r->class_names[r->gold[i]];
            double gv, cv;
            CHECK(strcmp(cls, r->gold_names[i]) == 0 ||
                  (r->numeric && lo_str_to_double(lo_str_from(r->gold_names[i]), &gv) &&
                   lo_str_to_double(lo_str_from(cls), &cv) && gv == cv));
        } else {
            for (size_t k = 0; k < r->n_classes; k++)
                CHECK(strcmp(r->class_names[k], r->gold_names[i]) != 0);
        }
    }
}

/* Classes are sorted (numeric order, ties in byte order, when every name is a number; else
 * strictly in byte order), class_values match the names and lo_ratings_class_index finds
 * each class. */
static void check_class_names(const struct lo_ratings *r)
{
    bool all_numbers = r->n_classes > 0;
    for (size_t k = 0; k < r->n_classes; k++) {
        double v;
        CHECK(r->class_names[k]);
        if (!lo_str_to_double(lo_str_from(r->class_names[k]), &v))
            all_numbers = false;
    }
    CHECK(r->numeric == all_numbers);
    CHECK((r->class_values != NULL) == r->numeric);
    for (size_t k = 0; k < r->n_classes; k++) {
        if (r->numeric) {
            double v = 0;
            CHECK(lo_str_to_double(lo_str_from(r->class_names[k]), &v));
            CHECK(r->class_values[k] == v);
        }
        if (k == 0)
            continue;
        struct lo_str prev = lo_str_from(r->class_names[k - 1]);
        struct lo_str cur = lo_str_from(r->class_names[k]);
        if (r->numeric) {
            CHECK(r->class_values[k - 1] <= r->class_values[k]);
            if (r->class_values[k - 1] == r->class_values[k])
                CHECK(lo_str_cmp(prev, cur) < 0);
        } else {
            CHECK(lo_str_cmp(prev, cur) < 0);
        }
    }
    for (size_t k = 0; k < r->n_classes; k++)
        CHECK(lo_ratings_class_index(r, r->class_names[k]) == (int)k);
}

#endif
