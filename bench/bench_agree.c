/*
 * bench_agree.c - Krippendorff's alpha (nominal and interval) on a long-format label file,
 * timed from reading the file to the result, beside two references measured in the same run:
 * reading the same file with the bare CSV reader (no coding of labels), and a pass that only
 * sums the label bytes. Prints each phase and its ratio to the bare CSV pass.
 *
 * usage: bench_agree LABELS.csv [REPEATS]
 * (make LABELS.csv with: gen_labels 100000 1000 5 10 42 LABELS.csv -- 1,000,000 labels)
 */
#include <stdio.h>
#include <stdlib.h>

#include "base/arena.h"
#include "base/clock.h"
#include "io/csv.h"
#include "io/ratings_load.h"
#include "quality/agreement.h"

static double bare_csv_pass(const char *path, size_t *records)
{
    double t0 = lo_monotonic_s();
    FILE *fp = fopen(path, "rb");
    if (!fp)
        return -1;
    struct lo_csv_reader csv;
    struct lo_error err;
    size_t n = 0, bytes = 0;
    if (lo_csv_open(&csv, fp, path, ',', true, &err) == 0) {
        struct lo_str *f;
        size_t nf;
        while (lo_csv_next(&csv, &f, &nf, &err) == 1) {
            n++;
            if (nf > 2)
                bytes += f[2].len;
        }
        lo_csv_close(&csv);
    }
    fclose(fp);
    *records = n + (bytes == 0); /* keep the loop from being optimised away */
    return lo_monotonic_s() - t0;
}

static int run_once(const char *path, enum lo_level level, double *t_load, double *t_alpha,
                    double *value)
{
    struct lo_arena arena;
    struct lo_ratings r;
    struct lo_agree_data d;
    struct lo_agree_result res;
    struct lo_error err;
    struct lo_label_mapping map = { NULL, NULL, NULL, NULL };
    lo_arena_init(&arena, 1 << 20);
    double t0 = lo_monotonic_s();
    int rc = lo_ratings_load(path, LO_FMT_CSV, &map, NULL, &arena, &r, &err);
    double t1 = lo_monotonic_s();
    if (rc == 0)
        rc = lo_agree_from_ratings(&r, &arena, &d, &err);
    if (rc == 0)
        rc = lo_agree_alpha(&d, level, &res, &err);
    double t2 = lo_monotonic_s();
    if (rc) {
        fprintf(stderr, "bench_agree: %s\n", err.msg);
        lo_arena_free(&arena);
        return rc;
    }
    *t_load = t1 - t0;
    *t_alpha = t2 - t1;
    *value = res.value;
    lo_arena_free(&arena);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: bench_agree LABELS.csv [REPEATS]\n");
        return 2;
    }
    int repeats = argc > 2 ? atoi(argv[2]) : 3;
    if (repeats < 1)
        repeats = 1;
    double best_csv = 1e30;
    size_t records = 0;
    for (int i = 0; i < repeats; i++) {
        double t = bare_csv_pass(argv[1], &records);
        if (t < 0) {
            fprintf(stderr, "bench_agree: cannot read %s\n", argv[1]);
            return 1;
        }
        if (t < best_csv)
            best_csv = t;
    }
    printf("reference: bare CSV pass over %zu records: %.3f s (best of %d)\n", records, best_csv,
           repeats);
    const enum lo_level levels[2] = { LO_LEVEL_NOMINAL, LO_LEVEL_INTERVAL };
    for (int l = 0; l < 2; l++) {
        double best_load = 1e30, best_alpha = 1e30, best_total = 1e30, value = 0;
        for (int i = 0; i < repeats; i++) {
            double tl, ta;
            if (run_once(argv[1], levels[l], &tl, &ta, &value))
                return 1;
            if (tl + ta < best_total) {
                best_total = tl + ta;
                best_load = tl;
                best_alpha = ta;
            }
        }
        printf("alpha %-8s = %.6f: read+code %.3f s, units+alpha %.3f s, total %.3f s "
               "(%.2fx the bare CSV pass)\n",
               lo_level_name(levels[l]), value, best_load, best_alpha, best_total,
               best_total / best_csv);
    }
    return 0;
}
