/*
 * bench_compare.c - box matching and consolidation on 5000 boxes per annotator, against a
 * reference measured in the same run: the naive all-pairs IoU loop (|pred| x |ref| IoUs, no
 * matching at all), which any matcher that looks at every pair must pay at least.
 *
 * usage: bench_compare [N]   (default 5000 boxes per side)
 */
#include <stdio.h>
#include <stdlib.h>

#include "base/arena.h"
#include "base/clock.h"
#include "base/rng.h"
#include "quality/compare.h"
#include "quality/consolidate.h"

static void scene(struct lo_box *b, size_t n, struct lo_rng *rng)
{
    /* Objects on a jittered grid, 4 classes: the shape of a dense detection image. */
    for (size_t i = 0; i < n; i++)
        b[i] = (struct lo_box){ (double)(i % 100) * 20 + lo_rng_uniform(rng),
                                (double)(i / 100) * 20 + lo_rng_uniform(rng),
                                10 + lo_rng_uniform(rng), 10 + lo_rng_uniform(rng),
                                (int)(i % 4) };
}

int main(int argc, char **argv)
{
    size_t n = argc > 1 ? (size_t)strtoul(argv[1], NULL, 10) : 5000;
    struct lo_rng rng;
    lo_rng_seed(&rng, 1);
    struct lo_box *all = malloc(3 * n * sizeof(*all));
    uint32_t *ann = malloc(3 * n * sizeof(*ann));
    if (!all || !ann)
        return 1;
    for (size_t a = 0; a < 3; a++) {
        scene(all + a * n, n, &rng);
        for (size_t i = 0; i < n; i++)
            ann[a * n + i] = (uint32_t)a;
    }
    struct lo_box *p = all, *r = all + n;
    struct lo_error err;

    double t0 = lo_monotonic_s();
    double sink = 0;
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < n; j++) {
            double v;
            lo_box_iou(&p[i], &r[j], &v, &err);
            sink += v;
        }
    double t_ref = lo_monotonic_s() - t0;

    struct lo_box_match m;
    struct lo_box_match_opts o = lo_box_match_defaults();
    t0 = lo_monotonic_s();
    if (lo_boxes_match(p, n, r, n, &o, NULL, NULL, &m, &err))
        return 1;
    double t_greedy = lo_monotonic_s() - t0;
    o.method = LO_MATCH_OPTIMAL;
    t0 = lo_monotonic_s();
    struct lo_box_match mo;
    if (lo_boxes_match(p, n, r, n, &o, NULL, NULL, &mo, &err))
        return 1;
    double t_opt = lo_monotonic_s() - t0;

    struct lo_arena arena;
    lo_arena_init(&arena, 0);
    struct lo_consensus_box *out;
    size_t n_out;
    t0 = lo_monotonic_s();
    if (lo_boxes_consolidate(all, ann, 3 * n, NULL, &arena, &out, &n_out, NULL, &err))
        return 1;
    double t_cons = lo_monotonic_s() - t0;
    lo_arena_free(&arena);

    printf("boxes per side: %zu (checksum %.3f)\n", n, sink);
    printf("reference: all-pairs IoU loop (%zu IoUs)     %8.4f s\n", n * n, t_ref);
    printf("greedy matching  (%zu matched)              %8.4f s  = %.4f x reference\n",
           m.prf.tp, t_greedy, t_greedy / t_ref);
    printf("optimal matching (%zu matched)              %8.4f s  = %.4f x reference\n",
           mo.prf.tp, t_opt, t_opt / t_ref);
    printf("consolidation of 3 x %zu boxes (%zu clusters) %8.4f s  = %.4f x reference\n", n,
           n_out, t_cons, t_cons / t_ref);
    free(all);
    free(ann);
    return 0;
}
