/*
 * test_disagree.c - confusion pairs, items ranked by entropy, per-annotator confusion against a
 * consensus, vote shares. Hand-computed on a small set of labels; invariance under class renaming
 * and row order.
 */
#include <stdlib.h>

#include "base/arena.h"
#include "quality/disagree.h"
#include "harness.h"

#define N_OF(a) (sizeof(a) / sizeof((a)[0]))

struct row {
    const char *item, *annotator, *label;
};

/* i1: cat dog cat; i2: cat cat cat; i3: dog bird cat; i4: dog dog; i5: bird.
 * Classes in byte order: bird 0, cat 1, dog 2. */
static const struct row pets[] = {
    { "i1", "a", "cat" }, { "i1", "b", "dog" }, { "i1", "c", "cat" },
    { "i2", "a", "cat" }, { "i2", "b", "cat" }, { "i2", "c", "cat" },
    { "i3", "a", "dog" }, { "i3", "b", "bird" }, { "i3", "c", "cat" },
    { "i4", "a", "dog" }, { "i4", "b", "dog" },
    { "i5", "a", "bird" },
};

static int build(const struct row *rows, size_t n, struct lo_arena *arena,
                 struct lo_ratings *out)
{
    struct lo_error err;
    struct lo_ratings_builder *b;
    int rc = lo_ratings_builder_new(&b, arena);
    if (rc)
        return rc;
    for (size_t i = 0; i < n; i++) {
        rc = lo_ratings_builder_add(b, lo_str_from(rows[i].item), lo_str_from(rows[i].annotator),
                                    lo_str_from(rows[i].label), &err);
        if (rc) {
            lo_ratings_builder_free(b);
            return rc;
        }
    }
    return lo_ratings_builder_finish(b, out, &err);
}

static void test_confusion_pairs_ranked_by_items_then_rating_pairs(void)
{
    struct lo_arena arena;
    lo_arena_init(&arena, 0);
    struct lo_ratings r;
    struct lo_error err;
    CHECK_INT(build(pets, N_OF(pets), &arena, &r), 0);
    CHECK_STR(r.class_names[0], "bird");
    struct lo_confusion_pair *p;
    size_t n, multi;
    CHECK_INT(lo_confusion_pairs(&r, &arena, &p, &n, &multi, &err), 0);
    CHECK_INT(multi, 4);
    CHECK_INT(n, 3);
    CHECK_STR(r.class_names[p[0].a], "cat");
    CHECK_STR(r.class_names[p[0].b], "dog");
    CHECK_INT(p[0].items, 2);
    CHECK_NEAR(p[0].pairs, 3, 0); /* i1: 2 cats x 1 dog; i3: 1 x 1 */
    CHECK_NEAR(p[0].share, 0.5, 0);
    CHECK_STR(r.class_names[p[1].a], "bird");
    CHECK_STR(r.class_names[p[1].b], "cat");
    CHECK_INT(p[1].items, 1);
    CHECK_STR(r.class_names[p[2].b], "dog");
    lo_arena_free(&arena);
}

static void test_items_ranked_by_vote_entropy(void)
{
    struct lo_arena arena;
    lo_arena_init(&arena, 0);
    struct lo_ratings r;
    struct lo_error err;
    CHECK_INT(build(pets, N_OF(pets), &arena, &r), 0);
    struct lo_item_uncertainty *u;
    size_t n;
    CHECK_INT(lo_items_by_entropy(&r, NULL, &arena, &u, &n, &err), 0);
    CHECK_INT(n, 5);
    CHECK_STR(r.item_names[u[0].item], "i3");
    CHECK_NEAR(u[0].entropy, log2(3.0), 1e-12);
    CHECK_NEAR(u[0].normalized, 1.0, 1e-12);
    CHECK_STR(r.class_names[u[0].top], "bird"); /* a three-way tie: the lowest class */
    CHECK_NEAR(u[0].top_p, 1.0 / 3.0, 1e-15);
    CHECK_STR(r.item_names[u[1].item], "i1");
    CHECK_NEAR(u[1].entropy, -(2.0 / 3) * log2(2.0 / 3) - (1.0 / 3) * log2(1.0 / 3), 1e-12);
    /* Unanimous items: entropy 0, more ratings first. */
    CHECK_STR(r.item_names[u[2].item], "i2");
    CHECK_STR(r.item_names[u[3].item], "i4");
    CHECK_STR(r.item_names[u[4].item], "i5");
    CHECK_NEAR(u[4].entropy, 0, 0);
    CHECK_INT(u[4].n_ratings, 1);
    lo_arena_free(&arena);
}

static void test_items_ranked_by_a_given_posterior(void)
{
    struct lo_arena arena;
    lo_arena_init(&arena, 0);
    struct lo_ratings r;
    struct lo_error err;
    CHECK_INT(build(pets, N_OF(pets), &arena, &r), 0);
    /* A model that is sure of everything but i4, which it splits evenly between cat and dog. */
    double post[5 * 3] = { 0 };
    for (size_t i = 0; i < 5; i++)
        post[i * 3 + 1] = 1;
    size_t i4 = 3;
    CHECK_STR(r.item_names[i4], "i4");
    post[i4 * 3 + 1] = 0.5;
    post[i4 * 3 + 2] = 0.5;
    struct lo_item_uncertainty *u;
    size_t n;
    CHECK_INT(lo_items_by_entropy(&r, post, &arena, &u, &n, &err), 0);
    CHECK_STR(r.item_names[u[0].item], "i4");
    CHECK_NEAR(u[0].entropy, 1.0, 1e-15);
    CHECK_NEAR(u[0].normalized, 1.0 / log2(3.0), 1e-12);
    CHECK_NEAR(u[1].entropy, 0, 0);
    post[0] = NAN;
    CHECK_INT(lo_items_by_entropy(&r, post, &arena, &u, &n, &err), LO_EINVAL);
    lo_arena_free(&arena);
}

static void test_vote_shares_break_ties_to_the_lowest_class(void)
{
    struct lo_arena arena;
    lo_arena_init(&arena, 0);
    struct lo_ratings r;
    struct lo_error err;
    CHECK_INT(build(pets, N_OF(pets), &arena, &r), 0);
    double *s;
    int32_t *lab;
    CHECK_INT(lo_vote_shares(&r, &arena, &s, &lab, &err), 0);
    CHECK_STR(r.class_names[lab[0]], "cat");
    CHECK_NEAR(s[0 * 3 + 1], 2.0 / 3.0, 1e-15);
    CHECK_STR(r.class_names[lab[2]], "bird");
    CHECK_STR(r.class_names[lab[3]], "dog");
    CHECK_NEAR(s[3 * 3 + 2], 1.0, 0);
    lo_arena_free(&arena);
}

static void test_each_annotators_confusion_matrix_against_consensus(void)
{
    struct lo_arena arena;
    lo_arena_init(&arena, 0);
    struct lo_ratings r;
    struct lo_error err;
    CHECK_INT(build(pets, N_OF(pets), &arena, &r), 0);
    int32_t *lab;
    CHECK_INT(lo_vote_shares(&r, &arena, NULL, &lab, &err), 0);
    struct lo_annotator_confusion c;
    CHECK_INT(lo_annotator_confusion(&r, lab, &arena, &c, &err), 0);
    CHECK_STR(r.annotator_names[0], "a");
    size_t K = 3;
    double rate;
    /* a: agrees on i1, i2, i4, i5; said dog where the consensus is bird on i3. */
    CHECK_INT(c.compared[0], 5);
    CHECK_INT(c.agreed[0], 4);
    CHECK_INT(c.counts[(0 * K + 0) * K + 2], 1);
    CHECK(lo_annotator_agreement(&c, 0, &rate));
    CHECK_NEAR(rate, 0.8, 1e-15);
    /* b: dog on i1 where the consensus is cat. */
    CHECK_INT(c.compared[1], 4);
    CHECK_INT(c.agreed[1], 3);
    CHECK_INT(c.counts[(1 * K + 1) * K + 2], 1);
    /* c: cat on i3 (consensus bird). */
    CHECK_INT(c.compared[2], 3);
    CHECK_INT(c.agreed[2], 2);
    CHECK_INT(c.counts[(2 * K + 0) * K + 1], 1);
    CHECK_INT(c.skipped, 0);

    /* Without a consensus on i1..i3, c has nothing to compare: undefined, not NaN. */
    lab[0] = lab[1] = lab[2] = -1;
    CHECK_INT(lo_annotator_confusion(&r, lab, &arena, &c, &err), 0);
    CHECK_INT(c.skipped, 9);
    CHECK(!lo_annotator_agreement(&c, 2, &rate));
    lab[0] = 7;
    CHECK_INT(lo_annotator_confusion(&r, lab, &arena, &c, &err), LO_EINVAL);
    lo_arena_free(&arena);
}

/* Renaming the classes (order preserved or not) and shuffling rows leaves every result the same
 * when read by name. */
static void test_results_do_not_change_when_classes_are_renamed_or_rows_reordered(void)
{
    struct lo_arena arena;
    lo_arena_init(&arena, 0);
    struct lo_error err;
    struct lo_ratings r1, r2;
    CHECK_INT(build(pets, N_OF(pets), &arena, &r1), 0);
    /* cat -> 9, dog -> 1, bird -> 5 (numeric: class order changes), rows reversed. */
    struct row alt[N_OF(pets)];
    for (size_t i = 0; i < N_OF(pets); i++) {
        const struct row *p = &pets[N_OF(pets) - 1 - i];
        const char *l = strcmp(p->label, "cat") == 0 ? "9" : strcmp(p->label, "dog") == 0 ? "1" : "5";
        alt[i] = (struct row){ p->item, p->annotator, l };
    }
    CHECK_INT(build(alt, N_OF(alt), &arena, &r2), 0);
    const char *map[3][2] = { { "cat", "9" }, { "dog", "1" }, { "bird", "5" } };

    struct lo_confusion_pair *p1, *p2;
    size_t n1, n2, m1, m2;
    CHECK_INT(lo_confusion_pairs(&r1, &arena, &p1, &n1, &m1, &err), 0);
    CHECK_INT(lo_confusion_pairs(&r2, &arena, &p2, &n2, &m2, &err), 0);
    CHECK_INT(n1, n2);
    CHECK_INT(m1, m2);
    CHECK_INT(p1[0].items, p2[0].items);
    CHECK_NEAR(p1[0].pairs, p2[0].pairs, 0);
    /* The top pair is {cat, dog} = {9, 1} in both. */
    const char *x = r2.class_names[p2[0].a], *y = r2.class_names[p2[0].b];
    CHECK((strcmp(x, "1") == 0 && strcmp(y, "9") == 0));

    struct lo_item_uncertainty *u1, *u2;
    CHECK_INT(lo_items_by_entropy(&r1, NULL, &arena, &u1, &n1, &err), 0);
    CHECK_INT(lo_items_by_entropy(&r2, NULL, &arena, &u2, &n2, &err), 0);
    CHECK_INT(n1, n2);
    for (size_t k = 0; k < n1; k++) {
        CHECK_STR(r1.item_names[u1[k].item], r2.item_names[u2[k].item]);
        CHECK_NEAR(u1[k].entropy, u2[k].entropy, 1e-12);
    }
    /* Majority labels map through the renaming except where the tie-break follows class order
     * (i3's three-way tie); check the others. */
    int32_t *l1, *l2;
    CHECK_INT(lo_vote_shares(&r1, &arena, NULL, &l1, &err), 0);
    CHECK_INT(lo_vote_shares(&r2, &arena, NULL, &l2, &err), 0);
    for (size_t i = 0; i < r1.n_items; i++) {
        if (strcmp(r1.item_names[i], "i3") == 0)
            continue;
        size_t j = 0;
        while (strcmp(r2.item_names[j], r1.item_names[i]) != 0)
            j++;
        const char *want = NULL;
        for (size_t k = 0; k < 3; k++)
            if (strcmp(map[k][0], r1.class_names[l1[i]]) == 0)
                want = map[k][1];
        CHECK_STR(r2.class_names[l2[j]], want);
    }
    lo_arena_free(&arena);
}

static void test_no_ratings_and_single_ratings_give_empty_lists(void)
{
    struct lo_arena arena;
    lo_arena_init(&arena, 0);
    struct lo_error err;
    struct lo_ratings r;
    static const struct row single[] = { { "x", "a", "1" }, { "y", "a", "2" } };
    CHECK_INT(build(single, 2, &arena, &r), 0);
    struct lo_confusion_pair *p;
    size_t n, multi;
    CHECK_INT(lo_confusion_pairs(&r, &arena, &p, &n, &multi, &err), 0);
    CHECK_INT(n, 0);
    CHECK_INT(multi, 0);
    struct lo_ratings empty = { 0 };
    struct lo_item_uncertainty *u;
    CHECK_INT(lo_items_by_entropy(&empty, NULL, &arena, &u, &n, &err), 0);
    CHECK_INT(n, 0);
    CHECK_INT(lo_confusion_pairs(&empty, &arena, &p, &n, &multi, &err), 0);
    CHECK_INT(n, 0);
    lo_arena_free(&arena);
}

int main(int argc, char **argv)
{
    static const struct lo_test tests[] = {
        LO_T(test_confusion_pairs_ranked_by_items_then_rating_pairs),
        LO_T(test_items_ranked_by_vote_entropy),
        LO_T(test_items_ranked_by_a_given_posterior),
        LO_T(test_vote_shares_break_ties_to_the_lowest_class),
        LO_T(test_each_annotators_confusion_matrix_against_consensus),
        LO_T(test_results_do_not_change_when_classes_are_renamed_or_rows_reordered),
        LO_T(test_no_ratings_and_single_ratings_give_empty_lists),
    };
    return lo_test_run(tests, N_OF(tests), argc, argv);
}
