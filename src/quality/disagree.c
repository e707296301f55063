/*
 * disagree.c - confusion pairs, items ranked by entropy, per-annotator confusion matrices (see
 * disagree.h and docs/quality/disagreement.md).
 */
#include "quality/disagree.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/limits.h"

static int check_codes(const struct lo_ratings *r, struct lo_error *err)
{
    for (size_t t = 0; t < r->n; t++)
        if (r->item[t] >= r->n_items || r->annotator[t] >= r->n_annotators ||
            r->label[t] >= r->n_classes)
            return lo_error_set(err, LO_EINVAL, "rating %zu has a code out of range", t);
    return 0;
}

/* Ratings grouped by item: the ratings of item i are idx[start[i] .. start[i + 1]). */
struct by_item {
    size_t *start;
    size_t *idx;
};

static int group_by_item(const struct lo_ratings *r, struct by_item *g)
{
    g->start = calloc(r->n_items + 1, sizeof(*g->start));
    g->idx = malloc((r->n ? r->n : 1) * sizeof(*g->idx));
    if (!g->start || !g->idx) {
        free(g->start);
        free(g->idx);
        return LO_ENOMEM;
    }
    for (size_t t = 0; t < r->n; t++)
        g->start[r->item[t] + 1]++;
    for (size_t i = 0; i < r->n_items; i++)
        g->start[i + 1] += g->start[i];
    size_t *fill = malloc((r->n_items ? r->n_items : 1) * sizeof(*fill));
    if (!fill) {
        free(g->start);
        free(g->idx);
        return LO_ENOMEM;
    }
    memcpy(fill, g->start, r->n_items * sizeof(*fill));
    for (size_t t = 0; t < r->n; t++)
        g->idx[fill[r->item[t]]++] = t;
    free(fill);
    return 0;
}

static void by_item_free(struct by_item *g)
{
    free(g->start);
    free(g->idx);
}

/* ---- confusion pairs ---- */

static int cmp_pair(const void *x, const void *y)
{
    const struct lo_confusion_pair *p = x, *q = y;
    if (p->items != q->items)
        return p->items > q->items ? -1 : 1;
    if (p->pairs != q->pairs)
        return p->pairs > q->pairs ? -1 : 1;
    if (p->a != q->a)
        return p->a < q->a ? -1 : 1;
    return (p->b > q->b) - (p->b < q->b);
}

int lo_confusion_pairs(const struct lo_ratings *r, struct lo_arena *arena,
                       struct lo_confusion_pair **out, size_t *n_out, size_t *n_multi,
                       struct lo_error *err)
{
    *out = NULL;
    *n_out = 0;
    *n_multi = 0;
    int rc = check_codes(r, err);
    if (rc)
        return rc;
    size_t K = r->n_classes;
    if (K > LO_LIMIT_CLASSES_STATS)
        return lo_error_set(err, LO_ELIMIT,
                            "%zu distinct labels: confusion pairs handle at most %d "
                            "(LO_LIMIT_CLASSES_STATS)",
                            K, LO_LIMIT_CLASSES_STATS);
    struct by_item g = { 0 };
    size_t *items = NULL, *count = NULL;
    double *pairs = NULL;
    uint32_t *present = NULL;
    rc = group_by_item(r, &g);
    if (rc)
        goto nomem;
    items = calloc(K * K + 1, sizeof(*items));
    pairs = calloc(K * K + 1, sizeof(*pairs));
    count = calloc(K ? K : 1, sizeof(*count));
    present = malloc((K ? K : 1) * sizeof(*present));
    if (!items || !pairs || !count || !present)
        goto nomem;

    for (size_t i = 0; i < r->n_items; i++) {
        size_t s = g.start[i], e = g.start[i + 1];
        if (e - s < 2)
            continue;
        (*n_multi)++;
        size_t np = 0;
        for (size_t t = s; t < e; t++) {
            uint32_t l = r->label[g.idx[t]];
            if (count[l]++ == 0)
                present[np++] = l;
        }
        for (size_t x = 0; x < np; x++)
            for (size_t y = 0; y < np; y++) {
                uint32_t a = present[x], b = present[y];
                if (a >= b)
                    continue;
                items[a * K + b]++;
                pairs[a * K + b] += (double)count[a] * (double)count[b];
            }
        for (size_t x = 0; x < np; x++)
            count[present[x]] = 0;
    }
    size_t n = 0;
    for (size_t a = 0; a < K; a++)
        for (size_t b = a + 1; b < K; b++)
            if (items[a * K + b])
                n++;
    struct lo_confusion_pair *res = lo_arena_alloc(arena, (n ? n : 1) * sizeof(*res));
    if (!res)
        goto nomem;
    size_t k = 0;
    for (size_t a = 0; a < K; a++)
        for (size_t b = a + 1; b < K; b++)
            if (items[a * K + b])
                res[k++] = (struct lo_confusion_pair){
                    (uint32_t)a, (uint32_t)b, items[a * K + b], pairs[a * K + b],
                    (double)items[a * K + b] / (double)*n_multi,
                };
    qsort(res, n, sizeof(*res), cmp_pair);
    *out = res;
    *n_out = n;
    rc = 0;
    goto done;
nomem:
    rc = lo_error_set(err, LO_ENOMEM, "out of memory counting confusion pairs");
done:
    by_item_free(&g);
    free(items);
    free(pairs);
    free(count);
    free(present);
    return rc;
}

/* ---- entropy ---- */

static int cmp_uncertainty(const void *x, const void *y)
{
    const struct lo_item_uncertainty *p = x, *q = y;
    if (fabs(p->entropy - q->entropy) > 1e-12)
        return p->entropy > q->entropy ? -1 : 1;
    if (p->n_ratings != q->n_ratings)
        return p->n_ratings > q->n_ratings ? -1 : 1;
    return (p->item > q->item) - (p->item < q->item);
}

/* Entropy in bits of a distribution p[0..K) and its mode (ties: lowest index). */
static void entropy_of(const double *p, size_t K, double *h, uint32_t *top, double *top_p)
{
    double s = 0;
    uint32_t best = 0;
    for (size_t k = 0; k < K; k++) {
        if (p[k] > 0)
            s -= p[k] * log2(p[k]);
        if (p[k] > p[best])
            best = (uint32_t)k;
    }
    *h = s > 0 ? s : 0.0; /* -0.0 and rounding below zero read as 0 */
    *top = best;
    *top_p = K ? p[best] : 0.0;
}

int lo_items_by_entropy(const struct lo_ratings *r, const double *posterior,
                        struct lo_arena *arena, struct lo_item_uncertainty **out, size_t *n_out,
                        struct lo_error *err)
{
    *out = NULL;
    *n_out = 0;
    int rc = check_codes(r, err);
    if (rc)
        return rc;
    size_t K = r->n_classes;
    uint32_t *n_ratings = calloc(r->n_items ? r->n_items : 1, sizeof(*n_ratings));
    if (!n_ratings)
        return lo_error_set(err, LO_ENOMEM, "out of memory ranking items by entropy");
    for (size_t t = 0; t < r->n; t++)
        n_ratings[r->item[t]]++;
    double *shares = NULL;
    if (!posterior) {
        rc = lo_vote_shares(r, arena, &shares, NULL, err);
        if (rc) {
            free(n_ratings);
            return rc;
        }
        posterior = shares;
    } else {
        for (size_t c = 0; c < r->n_items * K; c++)
            if (!isfinite(posterior[c]) || posterior[c] < 0) {
                free(n_ratings);
                return lo_error_set(err, LO_EINVAL,
                                    "posterior of item %zu, class %zu is %g: probabilities must "
                                    "be finite and >= 0",
                                    c / K, c % K, posterior[c]);
            }
    }
    size_t n = 0;
    for (size_t i = 0; i < r->n_items; i++)
        if (n_ratings[i])
            n++;
    struct lo_item_uncertainty *res = lo_arena_alloc(arena, (n ? n : 1) * sizeof(*res));
    if (!res) {
        free(n_ratings);
        return lo_error_set(err, LO_ENOMEM, "out of memory ranking items by entropy");
    }
    double hmax = K > 1 ? log2((double)K) : 0.0;
    size_t k = 0;
    for (size_t i = 0; i < r->n_items; i++) {
        if (!n_ratings[i])
            continue;
        struct lo_item_uncertainty *u = &res[k++];
        u->item = (uint32_t)i;
        u->n_ratings = n_ratings[i];
        entropy_of(posterior + i * K, K, &u->entropy, &u->top, &u->top_p);
        u->normalized = hmax > 0 ? u->entropy / hmax : 0.0;
    }
    free(n_ratings);
    qsort(res, n, sizeof(*res), cmp_uncertainty);
    *out = res;
    *n_out = n;
    return 0;
}

/* ---- per-annotator confusion ---- */

int lo_annotator_confusion(const struct lo_ratings *r, const int32_t *consensus,
                           struct lo_arena *arena, struct lo_annotator_confusion *out,
                           struct lo_error *err)
{
    memset(out, 0, sizeof(*out));
    int rc = check_codes(r, err);
    if (rc)
        return rc;
    size_t A = r->n_annotators, K = r->n_classes;
    for (size_t i = 0; i < r->n_items; i++)
        if (consensus[i] >= 0 && (size_t)consensus[i] >= K)
            return lo_error_set(err, LO_EINVAL, "consensus of item %zu is class %d of %zu", i,
                                (int)consensus[i], K);
    if (K && A > LO_DISAGREE_MAX_CONFUSION_CELLS / K / K)
        return lo_error_set(err, LO_ELIMIT,
                            "%zu annotators x %zu classes x %zu classes is more confusion cells "
                            "than %zu",
                            A, K, K, LO_DISAGREE_MAX_CONFUSION_CELLS);
    out->n_annotators = A;
    out->n_classes = K;
    out->counts = lo_arena_calloc(arena, A * K * K + 1, sizeof(uint32_t));
    out->compared = lo_arena_calloc(arena, A ? A : 1, sizeof(uint32_t));
    out->agreed = lo_arena_calloc(arena, A ? A : 1, sizeof(uint32_t));
    if (!out->counts || !out->compared || !out->agreed)
        return lo_error_set(err, LO_ENOMEM, "out of memory building confusion matrices");
    for (size_t t = 0; t < r->n; t++) {
        int32_t k = consensus[r->item[t]];
        if (k < 0) {
            out->skipped++;
            continue;
        }
        size_t a = r->annotator[t], l = r->label[t];
        out->counts[(a * K + (size_t)k) * K + l]++;
        out->compared[a]++;
        if (l == (size_t)k)
            out->agreed[a]++;
    }
    return 0;
}

bool lo_annotator_agreement(const struct lo_annotator_confusion *c, size_t a, double *rate)
{
    if (a >= c->n_annotators || c->compared[a] == 0)
        return false;
    *rate = (double)c->agreed[a] / (double)c->compared[a];
    return true;
}

/* ---- vote shares ---- */

int lo_vote_shares(const struct lo_ratings *r, struct lo_arena *arena, double **shares,
                   int32_t **label, struct lo_error *err)
{
    if (shares)
        *shares = NULL;
    if (label)
        *label = NULL;
    int rc = check_codes(r, err);
    if (rc)
        return rc;
    size_t I = r->n_items, K = r->n_classes;
    if (K && I > (size_t)256 * 1024 * 1024 / K)
        return lo_error_set(err, LO_ELIMIT, "%zu items x %zu classes is too many vote shares",
                            I, K);
    double *s = lo_arena_calloc(arena, I * K + 1, sizeof(double));
    uint32_t *n_i = calloc(I ? I : 1, sizeof(uint32_t));
    int32_t *lab = label ? lo_arena_alloc(arena, (I ? I : 1) * sizeof(int32_t)) : NULL;
    if (!s || !n_i || (label && !lab)) {
        free(n_i);
        return lo_error_set(err, LO_ENOMEM, "out of memory counting votes");
    }
    for (size_t t = 0; t < r->n; t++) {
        s[(size_t)r->item[t] * K + r->label[t]] += 1.0;
        n_i[r->item[t]]++;
    }
    for (size_t i = 0; i < I; i++) {
        double *row = s + i * K;
        int32_t best = -1;
        for (size_t k = 0; k < K; k++)
            if (row[k] > 0 && (best < 0 || row[k] > row[best]))
                best = (int32_t)k;
        for (size_t k = 0; k < K && n_i[i]; k++)
            row[k] /= (double)n_i[i];
        if (lab)
            lab[i] = best;
    }
    free(n_i);
    if (shares)
        *shares = s;
    if (label)
        *label = lab;
    return 0;
}
