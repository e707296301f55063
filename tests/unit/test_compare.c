/*
 * test_compare.c - structured-label comparators: IoU of known rectangles, box matching at a
 * threshold (greedy and optimal), span F1 (exact and positional overlap), Jaccard, exact match
 * of plain values, the empty conventions and degenerate geometry.
 */
#include <stdlib.h>

#include "base/rng.h"
#include "quality/compare.h"
#include "harness.h"

#define N_OF(a) (sizeof(a) / sizeof((a)[0]))

static void test_iou_of_known_rectangles(void)
{
    struct lo_error err;
    double v;
    struct lo_box a = { 0, 0, 2, 2, 0 }, b = { 1, 1, 2, 2, 0 };
    CHECK_INT(lo_box_iou(&a, &b, &v, &err), 0);
    CHECK_NEAR(v, 1.0 / 7.0, 1e-15); /* intersection 1, union 4 + 4 - 1 */
    struct lo_box c = { 0, 0, 10, 10, 0 }, d = { 5, 0, 10, 10, 0 };
    CHECK_INT(lo_box_iou(&c, &d, &v, &err), 0);
    CHECK_NEAR(v, 1.0 / 3.0, 1e-15); /* 50 / 150 */
    CHECK_INT(lo_box_iou(&c, &c, &v, &err), 0);
    CHECK_NEAR(v, 1.0, 0);
    struct lo_box inner = { 2, 2, 5, 5, 0 };
    CHECK_INT(lo_box_iou(&c, &inner, &v, &err), 0);
    CHECK_NEAR(v, 0.25, 1e-15); /* contained: 25 / 100 */
    struct lo_box touching = { 10, 0, 5, 10, 0 }, far = { 100, 100, 1, 1, 0 };
    CHECK_INT(lo_box_iou(&c, &touching, &v, &err), 0);
    CHECK_NEAR(v, 0.0, 0);
    CHECK_INT(lo_box_iou(&c, &far, &v, &err), 0);
    CHECK_NEAR(v, 0.0, 0);
}

static void test_degenerate_boxes_are_rejected(void)
{
    struct lo_error err;
    double v;
    struct lo_box ok = { 0, 0, 1, 1, 0 };
    struct lo_box zero_w = { 0, 0, 0, 1, 0 }, neg_h = { 0, 0, 1, -2, 0 };
    struct lo_box nan_x = { NAN, 0, 1, 1, 0 }, inf_w = { 0, 0, INFINITY, 1, 0 };
    lo_error_clear(&err);
    CHECK_INT(lo_box_iou(&ok, &zero_w, &v, &err), LO_EINVAL);
    CHECK(strstr(err.msg, "width and height must be > 0") != NULL);
    CHECK_INT(lo_box_iou(&neg_h, &ok, &v, &err), LO_EINVAL);
    CHECK_INT(lo_box_iou(&nan_x, &ok, &v, &err), LO_EINVAL);
    CHECK_INT(lo_box_iou(&ok, &inf_w, &v, &err), LO_EINVAL);
    struct lo_box_match m;
    CHECK_INT(lo_boxes_match(&ok, 1, &zero_w, 1, NULL, NULL, NULL, &m, &err), LO_EINVAL);
    CHECK(strstr(err.msg, "reference box 0") != NULL);
}

static void test_box_matching_counts_precision_recall_f1(void)
{
    struct lo_error err;
    /* Reference: two objects. Prediction: one near each, one spurious. */
    struct lo_box ref[] = { { 0, 0, 10, 10, 1 }, { 50, 50, 10, 10, 2 } };
    struct lo_box pred[] = { { 1, 0, 10, 10, 1 }, { 200, 200, 5, 5, 1 }, { 50, 52, 10, 10, 2 } };
    long pm[3], rm[2];
    struct lo_box_match m;
    CHECK_INT(lo_boxes_match(pred, 3, ref, 2, NULL, pm, rm, &m, &err), 0);
    CHECK_INT(m.prf.tp, 2);
    CHECK_NEAR(m.prf.precision, 2.0 / 3.0, 1e-15);
    CHECK_NEAR(m.prf.recall, 1.0, 0);
    CHECK_NEAR(m.prf.f1, 0.8, 1e-15);
    CHECK_INT(pm[0], 0);
    CHECK_INT(pm[1], -1);
    CHECK_INT(pm[2], 1);
    CHECK_INT(rm[0], 0);
    CHECK_INT(rm[1], 2);
    /* IoU 90/110 and 80/120 */
    CHECK_NEAR(m.mean_iou, (90.0 / 110.0 + 80.0 / 120.0) / 2, 1e-12);
}

static void test_box_matching_requires_same_class_unless_told(void)
{
    struct lo_error err;
    struct lo_box ref[] = { { 0, 0, 10, 10, 1 } };
    struct lo_box pred[] = { { 0, 0, 10, 10, 2 } };
    struct lo_box_match m;
    struct lo_box_match_opts o = lo_box_match_defaults();
    CHECK_INT(lo_boxes_match(pred, 1, ref, 1, &o, NULL, NULL, &m, &err), 0);
    CHECK_INT(m.prf.tp, 0);
    CHECK_NEAR(m.prf.f1, 0.0, 0);
    o.ignore_class = true;
    CHECK_INT(lo_boxes_match(pred, 1, ref, 1, &o, NULL, NULL, &m, &err), 0);
    CHECK_INT(m.prf.tp, 1);
}

static void test_box_threshold_is_inclusive_and_must_be_in_range(void)
{
    struct lo_error err;
    /* IoU exactly 1/3 (see test_iou_of_known_rectangles), and 0.5 exactly: 10x10 vs 10x5. */
    struct lo_box a = { 0, 0, 10, 10, 0 }, half = { 0, 0, 10, 5, 0 };
    struct lo_box_match m;
    struct lo_box_match_opts o = lo_box_match_defaults();
    CHECK_INT(lo_boxes_match(&a, 1, &half, 1, &o, NULL, NULL, &m, &err), 0);
    CHECK_INT(m.prf.tp, 1);
    o.iou_threshold = 0.5000001;
    CHECK_INT(lo_boxes_match(&a, 1, &half, 1, &o, NULL, NULL, &m, &err), 0);
    CHECK_INT(m.prf.tp, 0);
    o.iou_threshold = 0;
    CHECK_INT(lo_boxes_match(&a, 1, &half, 1, &o, NULL, NULL, &m, &err), LO_EUSAGE);
    o.iou_threshold = 1.5;
    CHECK_INT(lo_boxes_match(&a, 1, &half, 1, &o, NULL, NULL, &m, &err), LO_EUSAGE);
}

/* Two reference boxes G1, G2 and two predictions A, B with IoU(A,G1) = .818, IoU(A,G2) = .667,
 * IoU(B,G1) = .667, IoU(B,G2) = .333 at threshold 0.6: greedy takes A-G1 and strands B and G2;
 * the optimal matching pairs A-G2 and B-G1. */
static void test_optimal_matching_finds_more_pairs_than_greedy_when_crowded(void)
{
    struct lo_error err;
    struct lo_box ref[] = { { 0, 0, 10, 10, 0 }, { 3, 0, 10, 10, 0 } };
    struct lo_box pred[] = { { 1, 0, 10, 10, 0 }, { -2, 0, 10, 10, 0 } };
    struct lo_box_match_opts o = lo_box_match_defaults();
    o.iou_threshold = 0.6;
    struct lo_box_match m;
    long pm[2];
    CHECK_INT(lo_boxes_match(pred, 2, ref, 2, &o, pm, NULL, &m, &err), 0);
    CHECK_INT(m.prf.tp, 1);
    CHECK_INT(pm[0], 0);
    CHECK_INT(pm[1], -1);
    o.method = LO_MATCH_OPTIMAL;
    CHECK_INT(lo_boxes_match(pred, 2, ref, 2, &o, pm, NULL, &m, &err), 0);
    CHECK_INT(m.prf.tp, 2);
    CHECK_INT(pm[0], 1);
    CHECK_INT(pm[1], 0);
    CHECK_NEAR(m.mean_iou, 80.0 / 120.0, 1e-12);
}

/* Brute force: the most matches any one-to-one assignment of up to 6 x 6 boxes reaches. */
static size_t best_count(const double *iou, size_t np, size_t nr, size_t i, unsigned used,
                         double t)
{
    if (i == np)
        return 0;
    size_t best = best_count(iou, np, nr, i + 1, used, t);
    for (size_t j = 0; j < nr; j++) {
        if ((used & (1u << j)) || iou[i * nr + j] < t)
            continue;
        size_t c = 1 + best_count(iou, np, nr, i + 1, used | (1u << j), t);
        if (c > best)
            best = c;
    }
    return best;
}

static void test_optimal_matching_is_maximum_and_greedy_never_beats_it(void)
{
    struct lo_error err;
    struct lo_rng rng;
    lo_rng_seed(&rng, 7);
    for (int round = 0; round < 300; round++) {
        struct lo_box p[6], r[6];
        size_t np = 1 + lo_rng_below(&rng, 6), nr = 1 + lo_rng_below(&rng, 6);
        for (size_t i = 0; i < np; i++)
            p[i] = (struct lo_box){ lo_rng_uniform(&rng) * 6, lo_rng_uniform(&rng) * 2,
                                    5 + lo_rng_uniform(&rng) * 3, 5, 0 };
        for (size_t j = 0; j < nr; j++)
            r[j] = (struct lo_box){ lo_rng_uniform(&rng) * 6, lo_rng_uniform(&rng) * 2,
                                    5 + lo_rng_uniform(&rng) * 3, 5, 0 };
        double iou[36];
        for (size_t i = 0; i < np; i++)
            for (size_t j = 0; j < nr; j++)
                CHECK_INT(lo_box_iou(&p[i], &r[j], &iou[i * nr + j], &err), 0);
        struct lo_box_match_opts o = lo_box_match_defaults();
        struct lo_box_match g, opt, swapped;
        CHECK_INT(lo_boxes_match(p, np, r, nr, &o, NULL, NULL, &g, &err), 0);
        CHECK_INT(lo_boxes_match(r, nr, p, np, &o, NULL, NULL, &swapped, &err), 0);
        CHECK_INT(g.prf.tp, swapped.prf.tp);
        o.method = LO_MATCH_OPTIMAL;
        CHECK_INT(lo_boxes_match(p, np, r, nr, &o, NULL, NULL, &opt, &err), 0);
        CHECK(opt.prf.tp >= g.prf.tp);
        CHECK_INT(opt.prf.tp, best_count(iou, np, nr, 0, 0, 0.5));
    }
}

static void test_empty_against_empty_is_perfect_and_against_nonempty_is_zero(void)
{
    struct lo_error err;
    struct lo_box_match m;
    CHECK_INT(lo_boxes_match(NULL, 0, NULL, 0, NULL, NULL, NULL, &m, &err), 0);
    CHECK_NEAR(m.prf.precision, 1, 0);
    CHECK_NEAR(m.prf.recall, 1, 0);
    CHECK_NEAR(m.prf.f1, 1, 0);
    struct lo_box one = { 0, 0, 1, 1, 0 };
    CHECK_INT(lo_boxes_match(NULL, 0, &one, 1, NULL, NULL, NULL, &m, &err), 0);
    CHECK_NEAR(m.prf.precision, 0, 0);
    CHECK_NEAR(m.prf.recall, 0, 0);
    CHECK_NEAR(m.prf.f1, 0, 0);
    struct lo_prf prf;
    CHECK_INT(lo_spans_prf_exact(NULL, 0, NULL, 0, &prf, &err), 0);
    CHECK_NEAR(prf.f1, 1, 0);
    CHECK_INT(lo_spans_prf_overlap(NULL, 0, NULL, 0, &prf, &err), 0);
    CHECK_NEAR(prf.f1, 1, 0);
    double j;
    CHECK_INT(lo_jaccard(NULL, 0, NULL, 0, &j, &err), 0);
    CHECK_NEAR(j, 1, 0);
    int a[] = { 3 };
    CHECK_INT(lo_jaccard(a, 1, NULL, 0, &j, &err), 0);
    CHECK_NEAR(j, 0, 0);
}

static void test_jaccard_of_known_sets_ignores_order_and_duplicates(void)
{
    struct lo_error err;
    double j;
    int a[] = { 1, 2, 3 }, b[] = { 4, 3, 2 };
    CHECK_INT(lo_jaccard(a, 3, b, 3, &j, &err), 0);
    CHECK_NEAR(j, 0.5, 0); /* {2,3} / {1,2,3,4} */
    int c[] = { 2, 1, 1, 2 }, d[] = { 1, 2 };
    CHECK_INT(lo_jaccard(c, 4, d, 2, &j, &err), 0);
    CHECK_NEAR(j, 1, 0);
    int e[] = { 5 }, f[] = { 6, 7 };
    CHECK_INT(lo_jaccard(e, 1, f, 2, &j, &err), 0);
    CHECK_NEAR(j, 0, 0);
}

static void test_span_exact_f1_of_known_sets(void)
{
    struct lo_error err;
    struct lo_prf prf;
    struct lo_span pred[] = { { 0, 5, 1 }, { 10, 15, 2 }, { 20, 25, 1 } };
    struct lo_span ref[] = { { 30, 35, 1 }, { 10, 15, 1 }, { 0, 5, 1 }, { 20, 26, 1 } };
    CHECK_INT(lo_spans_prf_exact(pred, 3, ref, 4, &prf, &err), 0);
    CHECK_INT(prf.tp, 1); /* [10,15) differs in class, [20,25) in end */
    CHECK_NEAR(prf.precision, 1.0 / 3.0, 1e-15);
    CHECK_NEAR(prf.recall, 0.25, 1e-15);
    CHECK_NEAR(prf.f1, 2.0 / 7.0, 1e-15);
    /* A duplicated span matches once. */
    struct lo_span dup[] = { { 0, 5, 1 }, { 0, 5, 1 } };
    CHECK_INT(lo_spans_prf_exact(dup, 2, ref, 4, &prf, &err), 0);
    CHECK_INT(prf.tp, 1);
    CHECK_NEAR(prf.precision, 0.5, 0);
}

static void test_span_overlap_f1_counts_positions(void)
{
    struct lo_error err;
    struct lo_prf prf;
    struct lo_span p1[] = { { 0, 10, 0 } }, r1[] = { { 5, 15, 0 } };
    CHECK_INT(lo_spans_prf_overlap(p1, 1, r1, 1, &prf, &err), 0);
    CHECK_INT(prf.tp, 5);
    CHECK_INT(prf.n_pred, 10);
    CHECK_INT(prf.n_ref, 10);
    CHECK_NEAR(prf.f1, 0.5, 0);
    /* Class mismatch earns nothing. */
    struct lo_span r2[] = { { 5, 15, 1 } };
    CHECK_INT(lo_spans_prf_overlap(p1, 1, r2, 1, &prf, &err), 0);
    CHECK_INT(prf.tp, 0);
    /* Overlapping spans of one side count a position once. */
    struct lo_span p3[] = { { 5, 12, 0 }, { 0, 10, 0 } }, r3[] = { { 0, 12, 0 } };
    CHECK_INT(lo_spans_prf_overlap(p3, 2, r3, 1, &prf, &err), 0);
    CHECK_INT(prf.n_pred, 12);
    CHECK_NEAR(prf.f1, 1, 0);
    /* Several classes, several spans: pred covers 0-4 (A) and 6-9 (B); ref 2-7 (A), 8-12 (B).
     * tp = |{2,3}| + |{8}| = 3; |pred| = 4 + 3 = 7, |ref| = 5 + 4 = 9. */
    struct lo_span p4[] = { { 6, 9, 2 }, { 0, 4, 1 } }, r4[] = { { 2, 7, 1 }, { 8, 12, 2 } };
    CHECK_INT(lo_spans_prf_overlap(p4, 2, r4, 2, &prf, &err), 0);
    CHECK_INT(prf.tp, 3);
    CHECK_NEAR(prf.precision, 3.0 / 7.0, 1e-15);
    CHECK_NEAR(prf.recall, 3.0 / 9.0, 1e-15);
    CHECK_NEAR(prf.f1, 6.0 / 16.0, 1e-15);
}

static void test_empty_or_reversed_spans_are_rejected(void)
{
    struct lo_error err;
    struct lo_prf prf;
    struct lo_span bad[] = { { 4, 4, 0 } }, rev[] = { { 5, 2, 0 } }, ok[] = { { 0, 1, 0 } };
    lo_error_clear(&err);
    CHECK_INT(lo_spans_prf_exact(bad, 1, ok, 1, &prf, &err), LO_EINVAL);
    CHECK_STR(err.field, "span");
    CHECK_INT(lo_spans_prf_overlap(ok, 1, rev, 1, &prf, &err), LO_EINVAL);
}

static void test_exact_match_of_plain_values(void)
{
    struct lo_error err;
    bool eq;
    struct lo_value a = { .kind = LO_VALUE_TEXT, .u.text = LO_STR_LIT("Cat") };
    struct lo_value b = { .kind = LO_VALUE_TEXT, .u.text = LO_STR_LIT("cat") };
    CHECK_INT(lo_value_equal(&a, &b, &eq, &err), 0);
    CHECK(!eq);
    b.u.text = LO_STR_LIT("Cat");
    CHECK_INT(lo_value_equal(&a, &b, &eq, &err), 0);
    CHECK(eq);

    int s1[] = { 3, 1, 1 }, s2[] = { 1, 3 };
    struct lo_value x = { .kind = LO_VALUE_CLASS_SET, .u.set = { s1, 3 } };
    struct lo_value y = { .kind = LO_VALUE_CLASS_SET, .u.set = { s2, 2 } };
    CHECK_INT(lo_value_equal(&x, &y, &eq, &err), 0);
    CHECK(eq);

    struct lo_span sp1[] = { { 0, 3, 1 }, { 5, 9, 2 } }, sp2[] = { { 5, 9, 2 }, { 0, 3, 1 } };
    struct lo_value u = { .kind = LO_VALUE_SPANS, .u.spans = { sp1, 2 } };
    struct lo_value v = { .kind = LO_VALUE_SPANS, .u.spans = { sp2, 2 } };
    CHECK_INT(lo_value_equal(&u, &v, &eq, &err), 0);
    CHECK(eq);
    v.u.spans.n = 1;
    CHECK_INT(lo_value_equal(&u, &v, &eq, &err), 0);
    CHECK(!eq);

    struct lo_box b1[] = { { 1, 2, 3, 4, 0 }, { 0, 0, 1, 1, 1 } };
    struct lo_box b2[] = { { 0, 0, 1, 1, 1 }, { 1, 2, 3, 4, 0 } };
    struct lo_value p = { .kind = LO_VALUE_BOXES, .u.boxes = { b1, 2 } };
    struct lo_value q = { .kind = LO_VALUE_BOXES, .u.boxes = { b2, 2 } };
    CHECK_INT(lo_value_equal(&p, &q, &eq, &err), 0);
    CHECK(eq);
    b2[1].x = 1.0000001;
    CHECK_INT(lo_value_equal(&p, &q, &eq, &err), 0);
    CHECK(!eq);

    struct lo_value n1 = { .kind = LO_VALUE_NUMBER, .u.number = 2.5 };
    struct lo_value n2 = { .kind = LO_VALUE_NUMBER, .u.number = NAN };
    CHECK_INT(lo_value_equal(&n1, &n2, &eq, &err), LO_EINVAL);
    CHECK_INT(lo_value_equal(&n1, &a, &eq, &err), LO_EINVAL);
}

/* 5000 boxes on a grid against the same grid shifted by a tenth of a box: all match. */
static void test_five_thousand_boxes_match_one_to_one(void)
{
    struct lo_error err;
    size_t n = 5000;
    struct lo_box *p = malloc(n * sizeof(*p)), *r = malloc(n * sizeof(*r));
    long *pm = malloc(n * sizeof(*pm));
    CHECK(p && r && pm);
    for (size_t i = 0; i < n; i++) {
        double gx = (double)(i % 100) * 12, gy = (double)(i / 100) * 12;
        p[i] = (struct lo_box){ gx, gy, 10, 10, (int)(i % 3) };
        /* ref in reverse order, so indices differ */
        r[n - 1 - i] = (struct lo_box){ gx + 1, gy, 10, 10, (int)(i % 3) };
    }
    struct lo_box_match m;
    struct lo_box_match_opts o = lo_box_match_defaults();
    int rc = lo_boxes_match(p, n, r, n, &o, pm, NULL, &m, &err);
    CHECK_INT(rc, 0);
    CHECK_INT(m.prf.tp, n);
    CHECK_NEAR(m.mean_iou, 90.0 / 110.0, 1e-12);
    CHECK_INT(pm[0], n - 1);
    o.method = LO_MATCH_OPTIMAL;
    rc = lo_boxes_match(p, n, r, n, &o, NULL, NULL, &m, &err);
    CHECK_INT(rc, 0);
    CHECK_INT(m.prf.tp, n);
    free(p);
    free(r);
    free(pm);
}

int main(int argc, char **argv)
{
    static const struct lo_test tests[] = {
        LO_T(test_iou_of_known_rectangles),
        LO_T(test_degenerate_boxes_are_rejected),
        LO_T(test_box_matching_counts_precision_recall_f1),
        LO_T(test_box_matching_requires_same_class_unless_told),
        LO_T(test_box_threshold_is_inclusive_and_must_be_in_range),
        LO_T(test_optimal_matching_finds_more_pairs_than_greedy_when_crowded),
        LO_T(test_optimal_matching_is_maximum_and_greedy_never_beats_it),
        LO_T(test_empty_against_empty_is_perfect_and_against_nonempty_is_zero),
        LO_T(test_jaccard_of_known_sets_ignores_order_and_duplicates),
        LO_T(test_span_exact_f1_of_known_sets),
        LO_T(test_span_overlap_f1_counts_positions),
        LO_T(test_empty_or_reversed_spans_are_rejected),
        LO_T(test_exact_match_of_plain_values),
        LO_T(test_five_thousand_boxes_match_one_to_one),
    };
    return lo_test_run(tests, N_OF(tests), argc, argv);
}
