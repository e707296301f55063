/*
 * test_consolidate.c - merging several annotators' boxes (IoU clustering, mean coordinates,
 * support) and spans (positional vote with a minimum support).
 */
#include <stdlib.h>

#include "base/arena.h"
#include "base/rng.h"
#include "quality/consolidate.h"
#include "harness.h"

#define N_OF(a) (sizeof(a) / sizeof((a)[0]))

/* Three annotators, two objects: a car near (10,10) and a person near (100,50); annotator 2 also
 * drew a box nobody else saw. */
static void test_three_annotators_boxes_merge_into_mean_boxes_with_support(void)
{
    struct lo_error err;
    struct lo_arena arena;
    lo_arena_init(&arena, 0);
    struct lo_box boxes[] = {
        { 10, 10, 40, 20, 1 },  { 100, 50, 20, 60, 2 },                        /* annotator 0 */
        { 12, 10, 40, 22, 1 },  { 98, 52, 22, 60, 2 },  { 300, 300, 10, 10, 1 }, /* 1 */
        { 11, 13, 40, 20, 1 },  { 102, 48, 20, 62, 2 },                        /* annotator 2 */
    };
    uint32_t ann[] = { 0, 0, 1, 1, 1, 2, 2 };
    struct lo_consensus_box *out;
    size_t n_out;
    long of[7];
    int rc = lo_boxes_consolidate(boxes, ann, 7, NULL, &arena, &out, &n_out, of, &err);
    CHECK_INT(rc, 0);
    CHECK_INT(n_out, 3);
    CHECK_INT(out[0].support, 3);
    CHECK_INT(out[0].box.cls, 1);
    CHECK_NEAR(out[0].box.x, 11, 1e-12);
    CHECK_NEAR(out[0].box.y, 11, 1e-12);
    CHECK_NEAR(out[0].box.w, 40, 1e-12);
    CHECK_NEAR(out[0].box.h, 62.0 / 3.0, 1e-12);
    CHECK_INT(out[1].support, 3);
    CHECK_INT(out[1].box.cls, 2);
    CHECK_NEAR(out[1].box.x, 100, 1e-12);
    CHECK_NEAR(out[1].box.y, 50, 1e-12);
    CHECK_NEAR(out[1].box.w, 62.0 / 3.0, 1e-12);
    CHECK_NEAR(out[1].box.h, 182.0 / 3.0, 1e-12);
    CHECK_INT(out[2].support, 1);
    CHECK_NEAR(out[2].box.x, 300, 0);
    CHECK_NEAR(out[2].mean_iou, 1, 0);
    CHECK(out[0].mean_iou > 0.8 && out[0].mean_iou < 1);
    CHECK_INT(of[0], 0);
    CHECK_INT(of[5], 0);
    CHECK_INT(of[6], 1);
    CHECK_INT(of[4], 2);

    /* A majority of the three: the lone box goes. */
    struct lo_box_consolidate_opts o = lo_box_consolidate_defaults();
    o.min_support = 2;
    rc = lo_boxes_consolidate(boxes, ann, 7, &o, &arena, &out, &n_out, of, &err);
    CHECK_INT(rc, 0);
    CHECK_INT(n_out, 2);
    CHECK_INT(of[4], -1);
    lo_arena_free(&arena);
}

static void test_one_annotators_two_boxes_never_share_a_cluster(void)
{
    struct lo_error err;
    struct lo_arena arena;
    lo_arena_init(&arena, 0);
    /* Annotator 0 drew the same object twice; annotator 1 once. */
    struct lo_box boxes[] = { { 0, 0, 10, 10, 0 }, { 1, 0, 10, 10, 0 }, { 0, 1, 10, 10, 0 } };
    uint32_t ann[] = { 0, 0, 1 };
    struct lo_consensus_box *out;
    size_t n_out;
    long of[3];
    CHECK_INT(lo_boxes_consolidate(boxes, ann, 3, NULL, &arena, &out, &n_out, of, &err), 0);
    CHECK_INT(n_out, 2);
    CHECK_INT(out[0].support, 2);
    CHECK_INT(out[1].support, 1);
    CHECK(of[0] != of[1]);
    lo_arena_free(&arena);
}

/* A at x=0, B at x=3, C at x=6 (10x10): IoU(A,B) = IoU(B,C) = 70/130 >= 0.5 but IoU(A,C) =
 * 40/160. Complete linkage does not chain A to C; the tie between A-B and B-C goes to the pair
 * with the lower indices. */
static void test_clusters_do_not_chain_and_ties_go_to_lower_indices(void)
{
    struct lo_error err;
    struct lo_arena arena;
    lo_arena_init(&arena, 0);
    struct lo_box boxes[] = { { 0, 0, 10, 10, 0 }, { 3, 0, 10, 10, 0 }, { 6, 0, 10, 10, 0 } };
    uint32_t ann[] = { 0, 1, 2 };
    struct lo_consensus_box *out;
    size_t n_out;
    long of[3];
    CHECK_INT(lo_boxes_consolidate(boxes, ann, 3, NULL, &arena, &out, &n_out, of, &err), 0);
    CHECK_INT(n_out, 2);
    CHECK_INT(out[0].support, 2);
    CHECK_NEAR(out[0].box.x, 1.5, 0);
    CHECK_INT(of[0], 0);
    CHECK_INT(of[1], 0);
    CHECK_INT(of[2], 1);
    /* Listing the boxes in another order gives the same clusters by content. */
    struct lo_box rev[] = { boxes[2], boxes[1], boxes[0] };
    uint32_t rann[] = { 2, 1, 0 };
    CHECK_INT(lo_boxes_consolidate(rev, rann, 3, NULL, &arena, &out, &n_out, of, &err), 0);
    CHECK_INT(n_out, 2);
    CHECK_INT(out[0].support, 2);
    /* Both pairs still tie, and the lower indices are now C-B: the tie rule is by index. */
    CHECK_NEAR(out[0].box.x, 4.5, 0);
    lo_arena_free(&arena);
}

static void test_classes_separate_boxes_unless_ignored_then_majority_class(void)
{
    struct lo_error err;
    struct lo_arena arena;
    lo_arena_init(&arena, 0);
    struct lo_box boxes[] = { { 0, 0, 10, 10, 5 }, { 0, 0, 10, 10, 3 }, { 1, 1, 10, 10, 5 } };
    uint32_t ann[] = { 0, 1, 2 };
    struct lo_consensus_box *out;
    size_t n_out;
    CHECK_INT(lo_boxes_consolidate(boxes, ann, 3, NULL, &arena, &out, &n_out, NULL, &err), 0);
    CHECK_INT(n_out, 2);
    CHECK_INT(out[0].box.cls, 5);
    CHECK_INT(out[0].support, 2);
    CHECK_INT(out[1].box.cls, 3);
    struct lo_box_consolidate_opts o = lo_box_consolidate_defaults();
    o.ignore_class = true;
    CHECK_INT(lo_boxes_consolidate(boxes, ann, 3, &o, &arena, &out, &n_out, NULL, &err), 0);
    CHECK_INT(n_out, 1);
    CHECK_INT(out[0].support, 3);
    CHECK_INT(out[0].box.cls, 5);
    /* One vote each: the lowest code wins. */
    CHECK_INT(lo_boxes_consolidate(boxes, ann, 2, &o, &arena, &out, &n_out, NULL, &err), 0);
    CHECK_INT(n_out, 1);
    CHECK_INT(out[0].box.cls, 3);
    lo_arena_free(&arena);
}

static void test_consolidation_rejects_degenerate_boxes_and_accepts_none(void)
{
    struct lo_error err;
    struct lo_arena arena;
    lo_arena_init(&arena, 0);
    struct lo_box boxes[] = { { 0, 0, 10, 10, 0 }, { 0, 0, 10, 0, 0 } };
    uint32_t ann[] = { 0, 1 };
    struct lo_consensus_box *out;
    size_t n_out;
    lo_error_clear(&err);
    CHECK_INT(lo_boxes_consolidate(boxes, ann, 2, NULL, &arena, &out, &n_out, NULL, &err),
              LO_EINVAL);
    CHECK(strstr(err.msg, "box 1 (annotator 1)") != NULL);
    CHECK_INT(lo_boxes_consolidate(NULL, NULL, 0, NULL, &arena, &out, &n_out, NULL, &err), 0);
    CHECK_INT(n_out, 0);
    struct lo_box_consolidate_opts o = lo_box_consolidate_defaults();
    o.iou_threshold = 0;
    CHECK_INT(lo_boxes_consolidate(boxes, ann, 1, &o, &arena, &out, &n_out, NULL, &err),
              LO_EUSAGE);
    lo_arena_free(&arena);
}

/* Three annotators x 5000 jittered boxes on a grid: 5000 consensus boxes of support 3. */
static void test_fifteen_thousand_boxes_consolidate_to_five_thousand(void)
{
    struct lo_error err;
    struct lo_arena arena;
    lo_arena_init(&arena, 0);
    struct lo_rng rng;
    lo_rng_seed(&rng, 3);
    size_t per = 5000, n = 3 * per;
    struct lo_box *b = malloc(n * sizeof(*b));
    uint32_t *ann = malloc(n * sizeof(*ann));
    CHECK(b && ann);
    for (size_t a = 0; a < 3; a++)
        for (size_t i = 0; i < per; i++) {
            size_t k = a * per + (a == 1 ? per - 1 - i : i);
            double gx = (double)(i % 100) * 20, gy = (double)(i / 100) * 20;
            b[k] = (struct lo_box){ gx + lo_rng_uniform(&rng), gy + lo_rng_uniform(&rng),
                                    10 + lo_rng_uniform(&rng), 10, (int)(i % 4) };
            ann[k] = (uint32_t)a;
        }
    struct lo_consensus_box *out;
    size_t n_out;
    CHECK_INT(lo_boxes_consolidate(b, ann, n, NULL, &arena, &out, &n_out, NULL, &err), 0);
    CHECK_INT(n_out, per);
    for (size_t c = 0; c < n_out; c++)
        CHECK_INT(out[c].support, 3);
    free(b);
    free(ann);
    lo_arena_free(&arena);
}

static void test_span_vote_keeps_positions_with_minimum_support(void)
{
    struct lo_error err;
    struct lo_arena arena;
    lo_arena_init(&arena, 0);
    struct lo_span s[] = { { 0, 5, 1 }, { 0, 4, 1 }, { 1, 5, 1 } };
    uint32_t ann[] = { 0, 1, 2 };
    struct lo_consensus_span *out;
    size_t n_out;
    CHECK_INT(lo_spans_consolidate(s, ann, 3, 2, &arena, &out, &n_out, &err), 0);
    CHECK_INT(n_out, 1);
    CHECK_INT(out[0].span.start, 0);
    CHECK_INT(out[0].span.end, 5);
    CHECK_INT(out[0].span.cls, 1);
    CHECK_INT(out[0].support, 2);
    CHECK_INT(lo_spans_consolidate(s, ann, 3, 3, &arena, &out, &n_out, &err), 0);
    CHECK_INT(n_out, 1);
    CHECK_INT(out[0].span.start, 1);
    CHECK_INT(out[0].span.end, 4);
    CHECK_INT(out[0].support, 3);
    CHECK_INT(lo_spans_consolidate(s, ann, 3, 4, &arena, &out, &n_out, &err), 0);
    CHECK_INT(n_out, 0);
    lo_arena_free(&arena);
}

static void test_adjacent_entities_most_annotators_separated_stay_separate(void)
{
    struct lo_error err;
    struct lo_arena arena;
    lo_arena_init(&arena, 0);
    /* Annotators 0 and 1: "New York" [0,3) and "Times" [3,5); annotator 2: one span [0,5). */
    struct lo_span s[] = { { 0, 3, 7 }, { 3, 5, 7 }, { 0, 3, 7 }, { 3, 5, 7 }, { 0, 5, 7 } };
    uint32_t ann[] = { 0, 0, 1, 1, 2 };
    struct lo_consensus_span *out;
    size_t n_out;
    CHECK_INT(lo_spans_consolidate(s, ann, 5, 2, &arena, &out, &n_out, &err), 0);
    CHECK_INT(n_out, 2);
    CHECK_INT(out[0].span.start, 0);
    CHECK_INT(out[0].span.end, 3);
    CHECK_INT(out[1].span.start, 3);
    CHECK_INT(out[1].span.end, 5);
    CHECK_INT(out[1].support, 3);
    /* Only annotator 0 separated them: one span. */
    uint32_t ann2[] = { 0, 0, 1, 1, 2 };
    struct lo_span s2[] = { { 0, 3, 7 }, { 3, 5, 7 }, { 0, 5, 7 }, { 0, 1, 7 }, { 0, 5, 7 } };
    CHECK_INT(lo_spans_consolidate(s2, ann2, 5, 2, &arena, &out, &n_out, &err), 0);
    CHECK_INT(n_out, 1);
    CHECK_INT(out[0].span.start, 0);
    CHECK_INT(out[0].span.end, 5);
    lo_arena_free(&arena);
}

static void test_span_vote_picks_the_majority_class_and_breaks_ties_low(void)
{
    struct lo_error err;
    struct lo_arena arena;
    lo_arena_init(&arena, 0);
    struct lo_span s[] = { { 0, 4, 2 }, { 0, 4, 1 }, { 0, 4, 1 } };
    uint32_t ann[] = { 0, 1, 2 };
    struct lo_consensus_span *out;
    size_t n_out;
    CHECK_INT(lo_spans_consolidate(s, ann, 3, 1, &arena, &out, &n_out, &err), 0);
    CHECK_INT(n_out, 1);
    CHECK_INT(out[0].span.cls, 1);
    CHECK_INT(out[0].support, 2);
    struct lo_span t[] = { { 0, 2, 9 }, { 0, 2, 4 } };
    CHECK_INT(lo_spans_consolidate(t, ann, 2, 1, &arena, &out, &n_out, &err), 0);
    CHECK_INT(n_out, 1);
    CHECK_INT(out[0].span.cls, 4);
    lo_arena_free(&arena);
}

static void test_an_annotator_votes_once_per_position(void)
{
    struct lo_error err;
    struct lo_arena arena;
    lo_arena_init(&arena, 0);
    struct lo_span s[] = { { 0, 5, 1 }, { 2, 6, 1 }, { 2, 3, 1 } };
    uint32_t ann[] = { 0, 0, 0 };
    struct lo_consensus_span *out;
    size_t n_out;
    CHECK_INT(lo_spans_consolidate(s, ann, 3, 2, &arena, &out, &n_out, &err), 0);
    CHECK_INT(n_out, 0);
    CHECK_INT(lo_spans_consolidate(s, ann, 3, 1, &arena, &out, &n_out, &err), 0);
    CHECK_INT(n_out, 1);
    CHECK_INT(out[0].span.start, 0);
    CHECK_INT(out[0].span.end, 6);
    CHECK_INT(out[0].support, 1);
    lo_arena_free(&arena);
}

static void test_span_consolidation_of_nothing_and_of_bad_spans(void)
{
    struct lo_error err;
    struct lo_arena arena;
    lo_arena_init(&arena, 0);
    struct lo_consensus_span *out;
    size_t n_out = 99;
    CHECK_INT(lo_spans_consolidate(NULL, NULL, 0, 1, &arena, &out, &n_out, &err), 0);
    CHECK_INT(n_out, 0);
    struct lo_span bad[] = { { 3, 3, 0 } };
    uint32_t ann[] = { 0 };
    CHECK_INT(lo_spans_consolidate(bad, ann, 1, 1, &arena, &out, &n_out, &err), LO_EINVAL);
    lo_arena_free(&arena);
}

int main(int argc, char **argv)
{
    static const struct lo_test tests[] = {
        LO_T(test_three_annotators_boxes_merge_into_mean_boxes_with_support),
        LO_T(test_one_annotators_two_boxes_never_share_a_cluster),
        LO_T(test_clusters_do_not_chain_and_ties_go_to_lower_indices),
        LO_T(test_classes_separate_boxes_unless_ignored_then_majority_class),
        LO_T(test_consolidation_rejects_degenerate_boxes_and_accepts_none),
        LO_T(test_fifteen_thousand_boxes_consolidate_to_five_thousand),
        LO_T(test_span_vote_keeps_positions_with_minimum_support),
        LO_T(test_adjacent_entities_most_annotators_separated_stay_separate),
        LO_T(test_span_vote_picks_the_majority_class_and_breaks_ties_low),
        LO_T(test_an_annotator_votes_once_per_position),
        LO_T(test_span_consolidation_of_nothing_and_of_bad_spans),
    };
    return lo_test_run(tests, N_OF(tests), argc, argv);
}
