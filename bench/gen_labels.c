/*
 * gen_labels.c - writes a synthetic long-format label file for the truth-inference benchmark,
 * deterministic for a seed: each item has a true class (a skewed prior), each annotator an
 * accuracy in [0.55, 0.95] and errors spread uniformly over the other classes, and every item
 * is labelled by `per_item` distinct annotators drawn at random.
 *
 * usage: gen_labels ITEMS ANNOTATORS CLASSES PER_ITEM SEED LABELS.csv [GOLD.csv]
 */
#include <stdio.h>
#include <stdlib.h>

#include "base/rng.h"

int main(int argc, char **argv)
{
    if (argc < 7) {
        fprintf(stderr, "usage: gen_labels ITEMS ANNOTATORS CLASSES PER_ITEM SEED LABELS.csv "
                        "[GOLD.csv]\n");
        return 2;
    }
    long items = atol(argv[1]), annotators = atol(argv[2]), classes = atol(argv[3]);
    long per_item = atol(argv[4]);
    unsigned long long seed = strtoull(argv[5], NULL, 10);
    if (items < 1 || annotators < 1 || classes < 2 || per_item < 1 || per_item > annotators ||
        per_item > 64) {
        fprintf(stderr, "gen_labels: bad sizes\n");
        return 2;
    }
    FILE *out = fopen(argv[6], "w");
    FILE *gold = argc > 7 ? fopen(argv[7], "w") : NULL;
    if (!out || (argc > 7 && !gold)) {
        fprintf(stderr, "gen_labels: cannot open output\n");
        return 1;
    }
    struct lo_rng rng;
    lo_rng_seed(&rng, seed);
    double *acc = malloc((size_t)annotators * sizeof(double));
    double *prior = malloc((size_t)classes * sizeof(double));
    if (!acc || !prior)
        return 1;
    for (long a = 0; a < annotators; a++)
        acc[a] = 0.55 + 0.40 * lo_rng_uniform(&rng);
    double tot = 0;
    for (long k = 0; k < classes; k++) {
        prior[k] = 1.0 / (double)(k + 1); /* Zipf-like: class 0 most frequent */
        tot += prior[k];
    }
    fputs("item,annotator,label\n", out);
    if (gold)
        fputs("item,label\n", gold);
    long chosen[64];
    for (long i = 0; i < items; i++) {
        double u = lo_rng_uniform(&rng) * tot;
        long z = 0;
        while (z < classes - 1 && u >= prior[z]) {
            u -= prior[z];
            z++;
        }
        if (gold)
            fprintf(gold, "i%ld,%ld\n", i, z);
        for (long j = 0; j < per_item; j++) {
            long a;
            int dup;
            do {
                a = (long)lo_rng_below(&rng, (uint64_t)annotators);
                dup = 0;
                for (long t = 0; t < j; t++)
                    dup |= chosen[t] == a;
            } while (dup);
            chosen[j] = a;
            long l = z;
            if (lo_rng_uniform(&rng) >= acc[a]) {
                l = (long)lo_rng_below(&rng, (uint64_t)(classes - 1));
                if (l >= z)
                    l++;
            }
            fprintf(out, "i%ld,w%ld,%ld\n", i, a, l);
        }
    }
    free(acc);
    free(prior);
    int bad = fclose(out) != 0;
    if (gold)
        bad |= fclose(gold) != 0;
    return bad;
}
