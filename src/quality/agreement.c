/*
 * agreement.c - agreement coefficients over struct lo_agree_data (see agreement.h).
 *
 * Everything works on units carrying value counts, so the cost is linear in the ratings
 * (Krippendorff's coincidences are summed per unit from its value counts, never as a
 * classes-by-classes matrix per unit). Scratch memory is malloc'ed and freed before
 * returning; results are plain numbers. This file must never print, read files or keep state
 * between calls.
 */
#include "quality/agreement.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/limits.h"

/* Chance agreement this close to 1 leaves nothing to correct for. */
#define PE_ONE_EPS 1e-12

/* Allocation sizes are never 0, so that NULL always means out of memory. */
static size_t at_least_one(size_t n)
{
    return n ? n : 1;
}

static const char *const level_names[] = { "nominal", "ordinal", "interval", "ratio" };

const char *lo_level_name(enum lo_level level)
{
    if ((unsigned)level > LO_LEVEL_RATIO)
        return "?";
    return level_names[level];
}

int lo_level_parse(const char *name)
{
    for (int i = 0; i <= LO_LEVEL_RATIO; i++)
        if (name && strcmp(name, level_names[i]) == 0)
            return i;
    return -1;
}

/* ---------------------------------------------------------------------------------------
 * Building the units
 */

/* Fills v_start/v_class/v_count/m/max_raters from the r_* arrays. */
static int build_value_counts(struct lo_agree_data *d, size_t n_ratings, struct lo_arena *arena,
                              struct lo_error *err)
{
    size_t nu = d->n_units;
    d->v_start = lo_arena_alloc(arena, (nu + 1) * sizeof(size_t));
    d->v_class = lo_arena_alloc(arena, (n_ratings ? n_ratings : 1) * sizeof(uint32_t));
    d->v_count = lo_arena_alloc(arena, (n_ratings ? n_ratings : 1) * sizeof(double));
    d->m = lo_arena_alloc(arena, (nu ? nu : 1) * sizeof(double));
    uint32_t *stamp = calloc(d->n_classes ? d->n_classes : 1, sizeof(uint32_t));
    size_t *pos = malloc((d->n_classes ? d->n_classes : 1) * sizeof(size_t));
    if (!d->v_start || !d->v_class || !d->v_count || !d->m || !stamp || !pos) {
        free(stamp);
        free(pos);
        return lo_error_set(err, LO_ENOMEM, "out of memory building agreement units");
    }
    size_t nv = 0;
    d->max_raters = 0;
    for (size_t u = 0; u < nu; u++) {
        d->v_start[u] = nv;
        /* Units are numbered from 1 in the stamps so that 0 means "not seen". A unit count
         * beyond UINT32_MAX would wrap; units come from uint32_t items or table cells. */
        uint32_t tag = (uint32_t)(u + 1);
        for (size_t p = d->r_start[u]; p < d->r_start[u + 1]; p++) {
            uint32_t c = d->r_class[p];
            if (stamp[c] != tag) {
                stamp[c] = tag;
                pos[c] = nv;
                d->v_class[nv] = c;
                d->v_count[nv] = 1;
                nv++;
            } else {
                d->v_count[pos[c]] += 1;
            }
        }
        size_t m = d->r_start[u + 1] - d->r_start[u];
        d->m[u] = (double)m;
        if (m > d->max_raters)
            d->max_raters = m;
    }
    d->v_start[nu] = nv;
    free(stamp);
    free(pos);
    return 0;
}

int lo_agree_from_ratings(const struct lo_ratings *r, struct lo_arena *arena,
                          struct lo_agree_data *out, struct lo_error *err)
{
    memset(out, 0, sizeof(*out));
    size_t n = r->n, ni = r->n_items;
    for (size_t i = 0; i < n; i++) {
        if (r->item[i] >= ni || r->annotator[i] >= r->n_annotators || r->label[i] >= r->n_classes)
            return lo_error_set(err, LO_EINVAL, "rating %zu has a code out of range", i);
    }
    out->n_annotators = r->n_annotators;
    out->n_classes = r->n_classes;
    out->class_names = r->class_names;
    out->class_values = r->numeric ? r->class_values : NULL;

    /* Counting sort by item keeps the order of reading inside an item, so the first rating
     * of an annotator comes first. */
    size_t *first = lo_arena_calloc(arena, ni + 1, sizeof(size_t));
    size_t *fill = malloc((ni ? ni : 1) * sizeof(size_t));
    uint32_t *stamp = calloc(r->n_annotators ? r->n_annotators : 1, sizeof(uint32_t));
    out->r_annotator = lo_arena_alloc(arena, (n ? n : 1) * sizeof(uint32_t));
    out->r_class = lo_arena_alloc(arena, (n ? n : 1) * sizeof(uint32_t));
    out->unit_item = lo_arena_alloc(arena, (ni ? ni : 1) * sizeof(uint32_t));
    out->weight = lo_arena_alloc(arena, (ni ? ni : 1) * sizeof(double));
    if (!first || !fill || !stamp || !out->r_annotator || !out->r_class || !out->unit_item ||
        !out->weight) {
        free(fill);
        free(stamp);
        return lo_error_set(err, LO_ENOMEM, "out of memory building agreement units");
    }
    for (size_t i = 0; i < n; i++)
        first[r->item[i] + 1]++;
    for (size_t it = 0; it < ni; it++)
        first[it + 1] += first[it];
    memcpy(fill, first, ni * sizeof(size_t));
    for (size_t i = 0; i < n; i++) {
        size_t p = fill[r->item[i]]++;
        out->r_annotator[p] = r->annotator[i];
        out->r_class[p] = r->label[i];
    }
    free(fill);

    /* Drop repeats and empty items in place (the write position never passes the read one).
     * first[] becomes r_start. */
    size_t w = 0, u = 0;
    for (size_t it = 0; it < ni; it++) {
        size_t s = first[it], e = first[it + 1];
        size_t unit_start = w;
        uint32_t tag = (uint32_t)(it + 1);
        for (size_t p = s; p < e; p++) {
            uint32_t a = out->r_annotator[p];
            if (stamp[a] == tag) {
                out->ignored_repeats++;
                continue;
            }
            stamp[a] = tag;
            out->r_annotator[w] = a;
            out->r_class[w] = out->r_class[p];
            w++;
        }
        if (w > unit_start) {
            first[u] = unit_start;
            out->unit_item[u] = (uint32_t)it;
            out->weight[u] = 1.0;
            u++;
        }
    }
    first[u] = w;
    free(stamp);
    out->r_start = first;
    out->n_units = u;
    return build_value_counts(out, w, arena, err);
}

int lo_agree_from_counts(const double *counts, size_t n_items, size_t n_classes,
                         const char **class_names, const double *class_values,
                         struct lo_arena *arena, struct lo_agree_data *out, struct lo_error *err)
{
    memset(out, 0, sizeof(*out));
    out->n_classes = n_classes;
    out->class_names = class_names;
    out->class_values = class_values;
    size_t nz = 0;
    for (size_t i = 0; i < n_items * n_classes; i++) {
        if (!isfinite(counts[i]) || counts[i] < 0)
            return lo_error_set(err, LO_EINVAL, "count in row %zu, column %zu is not a count",
                                i / n_classes + 1, i % n_classes + 1);
        if (counts[i] > 0)
            nz++;
    }
    out->v_start = lo_arena_alloc(arena, (n_items + 1) * sizeof(size_t));
    out->v_class = lo_arena_alloc(arena, (nz ? nz : 1) * sizeof(uint32_t));
    out->v_count = lo_arena_alloc(arena, (nz ? nz : 1) * sizeof(double));
    out->m = lo_arena_alloc(arena, (n_items ? n_items : 1) * sizeof(double));
    out->weight = lo_arena_alloc(arena, (n_items ? n_items : 1) * sizeof(double));
    out->unit_item = lo_arena_alloc(arena, (n_items ? n_items : 1) * sizeof(uint32_t));
    if (!out->v_start || !out->v_class || !out->v_count || !out->m || !out->weight ||
        !out->unit_item)
        return lo_error_set(err, LO_ENOMEM, "out of memory building agreement units");
    size_t nv = 0, u = 0;
    double max_m = 0;
    for (size_t i = 0; i < n_items; i++) {
        size_t start = nv;
        double m = 0;
        for (size_t k = 0; k < n_classes; k++) {
            double c = counts[i * n_classes + k];
            if (c > 0) {
                out->v_class[nv] = (uint32_t)k;
                out->v_count[nv] = c;
                nv++;
                m += c;
            }
        }
        if (nv == start)
            continue;
        out->v_start[u] = start;
        out->m[u] = m;
        out->weight[u] = 1.0;
        out->unit_item[u] = (uint32_t)i;
        if (m > max_m)
            max_m = m;
        u++;
    }
    out->v_start[u] = nv;
    out->n_units = u;
    out->max_raters = (size_t)ceil(max_m);
    return 0;
}

int lo_agree_from_table(const double *table, size_t q, const char **class_names,
                        const double *class_values, struct lo_arena *arena,
                        struct lo_agree_data *out, struct lo_error *err)
{
    memset(out, 0, sizeof(*out));
    size_t cells = 0;
    for (size_t i = 0; i < q * q; i++) {
        if (!isfinite(table[i]) || table[i] < 0)
            return lo_error_set(err, LO_EINVAL, "table cell (%zu, %zu) is not a count",
                                i / q + 1, i % q + 1);
        if (table[i] > 0)
            cells++;
    }
    out->n_annotators = 2;
    out->n_classes = q;
    out->class_names = class_names;
    out->class_values = class_values;
    out->r_start = lo_arena_alloc(arena, (cells + 1) * sizeof(size_t));
    out->r_annotator = lo_arena_alloc(arena, (2 * cells + 1) * sizeof(uint32_t));
    out->r_class = lo_arena_alloc(arena, (2 * cells + 1) * sizeof(uint32_t));
    out->weight = lo_arena_alloc(arena, (cells + 1) * sizeof(double));
    if (!out->r_start || !out->r_annotator || !out->r_class || !out->weight)
        return lo_error_set(err, LO_ENOMEM, "out of memory building agreement units");
    size_t u = 0;
    for (size_t k = 0; k < q; k++) {
        for (size_t l = 0; l < q; l++) {
            double c = table[k * q + l];
            if (c <= 0)
                continue;
            out->r_start[u] = 2 * u;
            out->r_annotator[2 * u] = 0;
            out->r_class[2 * u] = (uint32_t)k;
            out->r_annotator[2 * u + 1] = 1;
            out->r_class[2 * u + 1] = (uint32_t)l;
            out->weight[u] = c;
            u++;
        }
    }
    out->r_start[u] = 2 * u;
    out->n_units = u;
    return build_value_counts(out, 2 * u, arena, err);
}

/* ---------------------------------------------------------------------------------------
 * Weights
 */

void lo_agree_weights(enum lo_weighting kind, const double *class_values, size_t q, double *w)
{
    double lo = 0, hi = q > 0 ? (double)(q - 1) : 0;
    if (class_values && q > 0) {
        lo = hi = class_values[0];
        for (size_t k = 1; k < q; k++) {
            if (class_values[k] < lo)
                lo = class_values[k];
            if (class_values[k] > hi)
                hi = class_values[k];
        }
    }
    double range = hi - lo;
    for (size_t k = 0; k < q; k++) {
        for (size_t l = 0; l < q; l++) {
            double xk = class_values ? class_values[k] : (double)k;
            double xl = class_values ? class_values[l] : (double)l;
            double v;
            if (kind == LO_WEIGHTS_NONE || range <= 0)
                v = k == l ? 1.0 : 0.0;
            else if (kind == LO_WEIGHTS_LINEAR)
                v = 1.0 - fabs(xk - xl) / range;
            else
                v = 1.0 - (xk - xl) * (xk - xl) / (range * range);
            w[k * q + l] = v;
        }
    }
}

int lo_agree_weights_normalize(double *w, size_t q, struct lo_error *err)
{
    bool diag_one = true, diag_zero = true;
    double max = 0;
    for (size_t i = 0; i < q * q; i++) {
        if (!isfinite(w[i]) || w[i] < 0)
            return lo_error_set(err, LO_EINVAL,
                                "weight (%zu, %zu) must be a finite non-negative number",
                                i / q + 1, i % q + 1);
        if (w[i] > max)
            max = w[i];
    }
    for (size_t k = 0; k < q; k++) {
        if (w[k * q + k] != 1.0)
            diag_one = false;
        if (w[k * q + k] != 0.0)
            diag_zero = false;
    }
    if (diag_one) {
        for (size_t i = 0; i < q * q; i++)
            if (w[i] > 1.0)
                return lo_error_set(err, LO_EINVAL,
                                    "agreement weights must lie in [0, 1] (cell %zu, %zu)",
                                    i / q + 1, i % q + 1);
        return 0;
    }
    if (diag_zero && max > 0) {
        for (size_t i = 0; i < q * q; i++)
            w[i] = 1.0 - w[i] / max;
        return 0;
    }
    return lo_error_set(err, LO_EINVAL,
                        "a weight matrix needs 1 on the diagonal (agreement weights) or 0 on "
                        "the diagonal (disagreement weights)");
}

/* ---------------------------------------------------------------------------------------
 * Shared pieces
 */

static void result_init(struct lo_agree_result *res, const struct lo_agree_data *d,
                        const double *w)
{
    memset(res, 0, sizeof(*res));
    res->value = NAN;
    res->po = NAN;
    res->pe = NAN;
    res->annotators = d->n_annotators ? d->n_annotators : d->max_raters;
    res->ignored_repeats = d->ignored_repeats;
    res->weighted = w != NULL;
    for (size_t u = 0; u < d->n_units; u++) {
        res->items += d->weight[u];
        if (d->m[u] >= 2)
            res->pairable += d->weight[u] * d->m[u];
    }
}

__attribute__((format(printf, 2, 3))) static int undefined(struct lo_agree_result *res,
                                                           const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(res->reason, sizeof(res->reason), fmt, ap);
    va_end(ap);
    res->defined = false;
    res->value = NAN;
    return 0;
}

/* kappa-type ratio (po - pe) / (1 - pe). */
static int chance_corrected(struct lo_agree_result *res, double po, double pe)
{
    res->po = po;
    res->pe = pe;
    if (pe >= 1.0 - PE_ONE_EPS)
        return undefined(res, "chance agreement is 1 (a single category is used), so there is "
                              "nothing to correct for");
    res->defined = true;
    res->value = (po - pe) / (1.0 - pe);
    return 0;
}

static int classes_limit(const struct lo_agree_data *d, struct lo_error *err)
{
    if (d->n_classes > LO_LIMIT_CLASSES_STATS)
        return lo_error_set(err, LO_ELIMIT,
                            "%zu distinct labels; agreement tables handle at most %d "
                            "(LO_LIMIT_CLASSES_STATS)",
                            d->n_classes, LO_LIMIT_CLASSES_STATS);
    return 0;
}

/* Gwet's observed agreement over units rated at least twice:
 * pa = mean_u sum_k r_uk (r*_uk - 1) / (r_u (r_u - 1)), r*_uk = sum_l w_kl r_ul.
 * Returns false when no unit is rated twice. */
static bool observed_agreement(const struct lo_agree_data *d, const double *w, double *pa)
{
    size_t q = d->n_classes;
    double sum = 0, n2 = 0;
    for (size_t u = 0; u < d->n_units; u++) {
        double m = d->m[u];
        if (m < 2)
            continue;
        double s = 0;
        for (size_t e = d->v_start[u]; e < d->v_start[u + 1]; e++) {
            double n = d->v_count[e];
            double star = n;
            if (w) {
                star = 0;
                for (size_t f = d->v_start[u]; f < d->v_start[u + 1]; f++)
                    star += w[d->v_class[e] * q + d->v_class[f]] * d->v_count[f];
            }
            s += n * (star - 1);
        }
        sum += d->weight[u] * s / (m * (m - 1));
        n2 += d->weight[u];
    }
    if (n2 <= 0)
        return false;
    *pa = sum / n2;
    return true;
}

/* Gwet's category prevalence pi_k = mean over units (rated at least once) of r_uk / r_u. */
static void prevalence(const struct lo_agree_data *d, double *pi)
{
    double total = 0;
    memset(pi, 0, d->n_classes * sizeof(double));
    for (size_t u = 0; u < d->n_units; u++) {
        for (size_t e = d->v_start[u]; e < d->v_start[u + 1]; e++)
            pi[d->v_class[e]] += d->weight[u] * d->v_count[e] / d->m[u];
        total += d->weight[u];
    }
    for (size_t k = 0; k < d->n_classes && total > 0; k++)
        pi[k] /= total;
}

static double weight_total(const double *w, size_t q)
{
    if (!w)
        return (double)q;
    double t = 0;
    for (size_t i = 0; i < q * q; i++)
        t += w[i];
    return t;
}

static const char NOTHING_PAIRABLE[] =
    "no item has two or more ratings, so there is nothing to compare";

/* ---------------------------------------------------------------------------------------
 * Multi-rater coefficients (Gwet's forms, which allow missing ratings)
 */

int lo_agree_percent(const struct lo_agree_data *d, const double *w, struct lo_agree_result *res,
                     struct lo_error *err)
{
    (void)err;
    result_init(res, d, w);
    double pa;
    if (!observed_agreement(d, w, &pa))
        return undefined(res, NOTHING_PAIRABLE);
    res->defined = true;
    res->value = pa;
    res->po = pa;
    return 0;
}

int lo_agree_ac1(const struct lo_agree_data *d, const double *w, struct lo_agree_result *res,
                 struct lo_error *err)
{
    result_init(res, d, w);
    size_t q = d->n_classes;
    double pa;
    if (!observed_agreement(d, w, &pa))
        return undefined(res, NOTHING_PAIRABLE);
    if (q < 2)
        return undefined(res, "only one category exists; AC1 needs at least two");
    double *pi = malloc(q * sizeof(double));
    if (!pi)
        return lo_error_set(err, LO_ENOMEM, "out of memory");
    prevalence(d, pi);
    double s = 0;
    for (size_t k = 0; k < q; k++)
        s += pi[k] * (1 - pi[k]);
    free(pi);
    double pe = weight_total(w, q) / ((double)q * (double)(q - 1)) * s;
    return chance_corrected(res, pa, pe);
}

int lo_agree_bp(const struct lo_agree_data *d, const double *w, struct lo_agree_result *res,
                struct lo_error *err)
{
    (void)err;
    result_init(res, d, w);
    size_t q = d->n_classes;
    double pa;
    if (!observed_agreement(d, w, &pa))
        return undefined(res, NOTHING_PAIRABLE);
    if (q < 2)
        return undefined(res, "only one category exists; Brennan-Prediger needs at least two");
    double pe = weight_total(w, q) / ((double)q * (double)q);
    return chance_corrected(res, pa, pe);
}

int lo_agree_fleiss_generalized(const struct lo_agree_data *d, const double *w,
                                struct lo_agree_result *res, struct lo_error *err)
{
    result_init(res, d, w);
    size_t q = d->n_classes;
    double pa;
    if (!observed_agreement(d, w, &pa))
        return undefined(res, NOTHING_PAIRABLE);
    if (w) {
        int rc = classes_limit(d, err);
        if (rc)
            return rc;
    }
    double *pi = malloc((q ? q : 1) * sizeof(double));
    if (!pi)
        return lo_error_set(err, LO_ENOMEM, "out of memory");
    prevalence(d, pi);
    double pe = 0;
    for (size_t k = 0; k < q; k++) {
        if (!w) {
            pe += pi[k] * pi[k];
            continue;
        }
        for (size_t l = 0; l < q; l++)
            pe += w[k * q + l] * pi[k] * pi[l];
    }
    free(pi);
    return chance_corrected(res, pa, pe);
}

int lo_agree_fleiss(const struct lo_agree_data *d, struct lo_agree_result *res,
                    double *per_category, struct lo_error *err)
{
    result_init(res, d, NULL);
    size_t q = d->n_classes;
    for (size_t k = 0; per_category && k < q; k++)
        per_category[k] = NAN;
    if (d->n_units == 0)
        return undefined(res, NOTHING_PAIRABLE);
    double mmin = d->m[0], mmax = d->m[0];
    for (size_t u = 1; u < d->n_units; u++) {
        if (d->m[u] < mmin)
            mmin = d->m[u];
        if (d->m[u] > mmax)
            mmax = d->m[u];
    }
    if (mmin != mmax)
        return undefined(res,
                         "the number of ratings per item varies (from %g to %g); Fleiss' kappa "
                         "needs the same number on every item (use alpha or ac1)",
                         mmin, mmax);
    double m = mmin;
    if (m < 2)
        return undefined(res, NOTHING_PAIRABLE);
    double *p = calloc(q ? q : 1, sizeof(double));
    double *disagree = calloc(q ? q : 1, sizeof(double));
    if (!p || !disagree) {
        free(p);
        free(disagree);
        return lo_error_set(err, LO_ENOMEM, "out of memory");
    }
    double N = 0, pbar = 0;
    for (size_t u = 0; u < d->n_units; u++) {
        double wu = d->weight[u], sq = 0;
        for (size_t e = d->v_start[u]; e < d->v_start[u + 1]; e++) {
            double n = d->v_count[e];
            p[d->v_class[e]] += wu * n;
            disagree[d->v_class[e]] += wu * n * (m - n);
            sq += n * n;
        }
        pbar += wu * (sq - m) / (m * (m - 1));
        N += wu;
    }
    pbar /= N;
    double pe = 0;
    for (size_t k = 0; k < q; k++) {
        p[k] /= N * m;
        pe += p[k] * p[k];
    }
    /* Fleiss (1971) eq. 12: kappa_j = 1 - sum_i n_ij (m - n_ij) / (N m (m-1) p_j q_j). */
    for (size_t k = 0; per_category && k < q; k++) {
        double pq = p[k] * (1 - p[k]);
        if (pq > 0)
            per_category[k] = 1.0 - disagree[k] / (N * m * (m - 1) * pq);
    }
    free(p);
    free(disagree);
    return chance_corrected(res, pbar, pe);
}

int lo_agree_conger(const struct lo_agree_data *d, const double *w, struct lo_agree_result *res,
                    struct lo_error *err)
{
    result_init(res, d, w);
    size_t q = d->n_classes, r = d->n_annotators;
    if (!d->r_start)
        return undefined(res, "annotators are unknown in counts input; Conger's kappa needs "
                              "them (use fleiss or ac1)");
    if (r < 2)
        return undefined(res, "Conger's kappa needs at least two annotators; the data has %zu",
                         r);
    double pa;
    if (!observed_agreement(d, w, &pa))
        return undefined(res, NOTHING_PAIRABLE);
    int rc = classes_limit(d, err);
    if (rc)
        return rc;
    if (r > SIZE_MAX / (q ? q : 1) / sizeof(double))
        return lo_error_set(err, LO_ENOMEM, "out of memory");
    double *pg = calloc(at_least_one(r * q), sizeof(double));
    double *ng = calloc(r, sizeof(double));
    double *pbar = calloc(q ? q : 1, sizeof(double));
    if (!pg || !ng || !pbar) {
        free(pg);
        free(ng);
        free(pbar);
        return lo_error_set(err, LO_ENOMEM, "out of memory");
    }
    for (size_t u = 0; u < d->n_units; u++) {
        for (size_t p = d->r_start[u]; p < d->r_start[u + 1]; p++) {
            pg[(size_t)d->r_annotator[p] * q + d->r_class[p]] += d->weight[u];
            ng[d->r_annotator[p]] += d->weight[u];
        }
    }
    for (size_t g = 0; g < r; g++)
        for (size_t k = 0; k < q && ng[g] > 0; k++)
            pg[g * q + k] /= ng[g];
    for (size_t g = 0; g < r; g++)
        for (size_t k = 0; k < q; k++)
            pbar[k] += pg[g * q + k] / (double)r;
    /* pe = sum_kl w_kl (pbar_k pbar_l - s2_kl / r), s2_kl the covariance over annotators of
     * p_gk and p_gl (Conger 1980; Gwet 2014, ch. 2). */
    double pe = 0, rr = (double)r;
    for (size_t k = 0; k < q; k++) {
        for (size_t l = 0; l < q; l++) {
            double wk = w ? w[k * q + l] : (k == l ? 1.0 : 0.0);
            if (wk == 0)
                continue;
            double cross = 0;
            for (size_t g = 0; g < r; g++)
                cross += pg[g * q + k] * pg[g * q + l];
            double s2 = (cross - rr * pbar[k] * pbar[l]) / (rr - 1);
            pe += wk * (pbar[k] * pbar[l] - s2 / rr);
        }
    }
    free(pg);
    free(ng);
    free(pbar);
    return chance_corrected(res, pa, pe);
}

/* ---------------------------------------------------------------------------------------
 * Two-annotator coefficients from the contingency table of units rated by both
 */

/* Fills t (q*q) with the table of annotator 0 against annotator 1 and returns its total. */
static double two_rater_table(const struct lo_agree_data *d, double *t)
{
    size_t q = d->n_classes;
    double n = 0;
    memset(t, 0, q * q * sizeof(double));
    for (size_t u = 0; u < d->n_units; u++) {
        int64_t a = -1, b = -1;
        for (size_t p = d->r_start[u]; p < d->r_start[u + 1]; p++) {
            if (d->r_annotator[p] == 0)
                a = d->r_class[p];
            else if (d->r_annotator[p] == 1)
                b = d->r_class[p];
        }
        if (a < 0 || b < 0)
            continue;
        t[(size_t)a * q + (size_t)b] += d->weight[u];
        n += d->weight[u];
    }
    return n;
}

enum two_rater_kind { TWO_COHEN, TWO_SCOTT };

static int two_rater(const struct lo_agree_data *d, const double *w, enum two_rater_kind kind,
                     struct lo_agree_result *res, struct lo_error *err)
{
    const char *name = kind == TWO_COHEN ? "Cohen's kappa" : "Scott's pi";
    result_init(res, d, w);
    size_t q = d->n_classes;
    if (!d->r_start)
        return undefined(res, "annotators are unknown in counts input; %s needs two", name);
    if (d->n_annotators != 2)
        return undefined(res,
                         "%s compares exactly two annotators; the data has %zu (use conger, "
                         "fleiss, ac1 or alpha)",
                         name, d->n_annotators);
    int rc = classes_limit(d, err);
    if (rc)
        return rc;
    double *t = malloc(at_least_one(q * q) * sizeof(double));
    double *row = calloc(q ? q : 1, sizeof(double));
    double *col = calloc(q ? q : 1, sizeof(double));
    if (!t || !row || !col) {
        free(t);
        free(row);
        free(col);
        return lo_error_set(err, LO_ENOMEM, "out of memory");
    }
    double n = two_rater_table(d, t);
    res->items = n;
    res->pairable = 2 * n;
    if (n <= 0) {
        free(t);
        free(row);
        free(col);
        return undefined(res, "no item was rated by both annotators");
    }
    double po = 0;
    for (size_t k = 0; k < q; k++) {
        for (size_t l = 0; l < q; l++) {
            double p = t[k * q + l] / n;
            row[k] += p;
            col[l] += p;
            po += (w ? w[k * q + l] : (k == l ? 1.0 : 0.0)) * p;
        }
    }
    double pe = 0;
    for (size_t k = 0; k < q; k++) {
        for (size_t l = 0; l < q; l++) {
            double wk = w ? w[k * q + l] : (k == l ? 1.0 : 0.0);
            if (kind == TWO_COHEN)
                pe += wk * row[k] * col[l];
            else
                pe += wk * (row[k] + col[k]) * (row[l] + col[l]) / 4.0;
        }
    }
    free(t);
    free(row);
    free(col);
    return chance_corrected(res, po, pe);
}

int lo_agree_cohen(const struct lo_agree_data *d, const double *w, struct lo_agree_result *res,
                   struct lo_error *err)
{
    return two_rater(d, w, TWO_COHEN, res, err);
}

int lo_agree_scott(const struct lo_agree_data *d, const double *w, struct lo_agree_result *res,
                   struct lo_error *err)
{
    return two_rater(d, w, TWO_SCOTT, res, err);
}

/* ---------------------------------------------------------------------------------------
 * Krippendorff's alpha
 */

struct alpha_ctx {
    const struct lo_agree_data *d;
    enum lo_level level;
    const double *unit_w;  /* multiplicity per unit (d->weight, or a bootstrap replicate) */
    double *marg;          /* [q] value marginals n_c of pairable units */
    /* Ordinal: classes with the same number ("0" and "00") are one value, so marginals and
     * ranks are per distinct value. */
    double *cum;           /* [q] cumulative value marginals in value order */
    double *vmarg;         /* [q] marginal of each distinct value */
    size_t *rank;          /* [q] rank of class c's value among the distinct values */
    size_t n_values;       /* distinct values */
    size_t *present;       /* [q] classes with n_c > 0 */
    double shift;          /* interval: values are centred on it to keep sums accurate */
};

static double delta2(const struct alpha_ctx *x, uint32_t c, uint32_t k)
{
    if (c == k)
        return 0;
    const double *v = x->d->class_values;
    switch (x->level) {
    case LO_LEVEL_NOMINAL:
        return 1;
    case LO_LEVEL_INTERVAL:
        return (v[c] - v[k]) * (v[c] - v[k]);
    case LO_LEVEL_RATIO: {
        double s = v[c] + v[k];
        if (s == 0)
            return 0;
        double r = (v[c] - v[k]) / s;
        return r * r;
    }
    case LO_LEVEL_ORDINAL: {
        size_t a = x->rank[c], b = x->rank[k];
        if (a == b)
            return 0;
        if (a > b) {
            size_t t = a;
            a = b;
            b = t;
        }
        /* sum_{g=a..b} n_g - (n_a + n_b) / 2, from cumulative marginals. */
        double between = x->cum[b] - (a > 0 ? x->cum[a - 1] : 0);
        double s = between - (x->vmarg[a] + x->vmarg[b]) / 2.0;
        return s * s;
    }
    }
    return 0;
}

static int cmp_by_value(const void *pa, const void *pb, const double *v)
{
    size_t a = *(const size_t *)pa, b = *(const size_t *)pb;
    if (v[a] < v[b])
        return -1;
    if (v[a] > v[b])
        return 1;
    return a < b ? -1 : a > b;
}

/* Insertion sort of class indices by value (qsort has no context argument in C17; the number
 * of classes is bounded by LO_LIMIT_CLASSES_STATS where this is used). */
static void sort_by_value(size_t *idx, size_t n, const double *v)
{
    for (size_t i = 1; i < n; i++) {
        size_t x = idx[i], j = i;
        while (j > 0 && cmp_by_value(&idx[j - 1], &x, v) > 0) {
            idx[j] = idx[j - 1];
            j--;
        }
        idx[j] = x;
    }
}

/* With x->marg holding the value marginals of the pairable ratings (N of them), lists the
 * classes present and prepares the level's helpers (ordinal cumulative marginals, the centre of
 * interval values). Returns the number of classes present, or 0 with *why set. */
static size_t alpha_prepare(struct alpha_ctx *x, double N, const char **why)
{
    const struct lo_agree_data *d = x->d;
    size_t q = d->n_classes;
    if (N <= 0) {
        *why = NOTHING_PAIRABLE;
        return 0;
    }
    size_t np = 0;
    for (size_t c = 0; c < q; c++)
        if (x->marg[c] > 0)
            x->present[np++] = c;
    if (np < 2) {
        *why = "only one value occurs among the pairable ratings, so expected disagreement is "
               "0 and alpha is undefined";
        return 0;
    }
    const double *v = d->class_values;
    if (x->level == LO_LEVEL_ORDINAL) {
        memset(x->vmarg, 0, x->n_values * sizeof(double));
        for (size_t c = 0; c < q; c++)
            x->vmarg[x->rank[c]] += x->marg[c];
        double run = 0;
        for (size_t i = 0; i < x->n_values; i++) {
            run += x->vmarg[i];
            x->cum[i] = run;
        }
    }
    if (x->level == LO_LEVEL_INTERVAL) {
        double sum = 0;
        for (size_t i = 0; i < np; i++)
            sum += x->marg[x->present[i]] * v[x->present[i]];
        x->shift = sum / N;
    }
    return np;
}

/* Observed disagreement of one pairable unit, before its multiplicity:
 * (1 / (m_u - 1)) sum_{c != k} n_uc n_uk delta(c, k). */
static double unit_observed(const struct alpha_ctx *x, size_t u)
{
    const struct lo_agree_data *d = x->d;
    const double *v = d->class_values;
    double m = d->m[u], sum = 0;
    size_t s = d->v_start[u], e = d->v_start[u + 1];
    if (e - s < 2)
        return 0;
    if (x->level == LO_LEVEL_NOMINAL) {
        double sq = 0;
        for (size_t i = s; i < e; i++)
            sq += d->v_count[i] * d->v_count[i];
        sum = m * m - sq;
    } else if (x->level == LO_LEVEL_INTERVAL) {
        /* sum over ordered pairs of (x_i - x_j)^2 = 2 (m S2 - S1^2); the shift only keeps the
         * sums small, the result does not depend on it. */
        double s1 = 0, s2 = 0;
        for (size_t i = s; i < e; i++) {
            double y = v[d->v_class[i]] - x->shift;
            s1 += d->v_count[i] * y;
            s2 += d->v_count[i] * y * y;
        }
        sum = 2 * (m * s2 - s1 * s1);
        if (sum < 0)
            sum = 0;
    } else {
        for (size_t i = s; i < e; i++)
            for (size_t j = i + 1; j < e; j++)
                sum += 2 * d->v_count[i] * d->v_count[j] *
                       delta2(x, d->v_class[i], d->v_class[j]);
    }
    return sum / (m - 1);
}

/* Expected disagreement sum_{c, k} n_c n_k delta(c, k) over the np classes present. */
static double expected_sum(const struct alpha_ctx *x, double N, size_t np)
{
    const double *v = x->d->class_values;
    double exp = 0;
    if (x->level == LO_LEVEL_NOMINAL) {
        double sq = 0;
        for (size_t i = 0; i < np; i++)
            sq += x->marg[x->present[i]] * x->marg[x->present[i]];
        exp = N * N - sq;
    } else if (x->level == LO_LEVEL_INTERVAL) {
        double s1 = 0, s2 = 0;
        for (size_t i = 0; i < np; i++) {
            double y = v[x->present[i]] - x->shift, n = x->marg[x->present[i]];
            s1 += n * y;
            s2 += n * y * y;
        }
        exp = 2 * (N * s2 - s1 * s1);
    } else {
        for (size_t i = 0; i < np; i++)
            for (size_t j = i + 1; j < np; j++)
                exp += 2 * x->marg[x->present[i]] * x->marg[x->present[j]] *
                       delta2(x, (uint32_t)x->present[i], (uint32_t)x->present[j]);
    }
    return exp;
}

static void alpha_finish(double N, double obs, double exp, double *alpha, double *d_o,
                         double *d_e, const char **why)
{
    if (!(exp > 0)) {
        *why = "expected disagreement is 0, so alpha is undefined";
        return;
    }
    *d_o = obs / N;
    *d_e = exp / (N * (N - 1));
    *alpha = 1.0 - (N - 1) * obs / exp;
}

/* Computes alpha, D_o and D_e with x->unit_w as multiplicities; *why is set (and the
 * outputs left alone) when alpha is undefined. */
static void alpha_core(struct alpha_ctx *x, double *alpha, double *d_o, double *d_e,
                       const char **why)
{
    const struct lo_agree_data *d = x->d;
    *why = NULL;
    memset(x->marg, 0, d->n_classes * sizeof(double));
    double N = 0;
    for (size_t u = 0; u < d->n_units; u++) {
        if (d->m[u] < 2 || x->unit_w[u] == 0)
            continue;
        for (size_t e = d->v_start[u]; e < d->v_start[u + 1]; e++)
            x->marg[d->v_class[e]] += x->unit_w[u] * d->v_count[e];
        N += x->unit_w[u] * d->m[u];
    }
    size_t np = alpha_prepare(x, N, why);
    if (np == 0)
        return;
    double obs = 0;
    for (size_t u = 0; u < d->n_units; u++)
        if (d->m[u] >= 2 && x->unit_w[u] != 0)
            obs += x->unit_w[u] * unit_observed(x, u);
    alpha_finish(N, obs, expected_sum(x, N, np), alpha, d_o, d_e, why);
}

static void alpha_ctx_free(struct alpha_ctx *x)
{
    free(x->marg);
    free(x->cum);
    free(x->vmarg);
    free(x->rank);
    free(x->present);
}

/* Prepares x; returns 0, a negative error, or 1 with res made undefined. */
static int alpha_ctx_init(struct alpha_ctx *x, const struct lo_agree_data *d, enum lo_level level,
                          struct lo_agree_result *res, struct lo_error *err)
{
    memset(x, 0, sizeof(*x));
    x->d = d;
    x->level = level;
    x->unit_w = d->weight;
    if ((unsigned)level > LO_LEVEL_RATIO)
        return lo_error_set(err, LO_EINVAL, "unknown level of measurement");
    if (level != LO_LEVEL_NOMINAL && !d->class_values) {
        undefined(res, "the labels are not all numbers, so the %s level does not apply",
                  lo_level_name(level));
        return 1;
    }
    if ((level == LO_LEVEL_ORDINAL || level == LO_LEVEL_RATIO) && classes_limit(d, err))
        return err ? err->code : LO_ELIMIT;
    size_t q = d->n_classes ? d->n_classes : 1;
    x->marg = malloc(q * sizeof(double));
    x->cum = malloc(q * sizeof(double));
    x->vmarg = malloc(q * sizeof(double));
    x->rank = malloc(q * sizeof(size_t));
    x->present = malloc(q * sizeof(size_t));
    if (!x->marg || !x->cum || !x->vmarg || !x->rank || !x->present) {
        alpha_ctx_free(x);
        return lo_error_set(err, LO_ENOMEM, "out of memory");
    }
    if (level == LO_LEVEL_ORDINAL) {
        size_t *order = malloc(q * sizeof(size_t));
        if (!order) {
            alpha_ctx_free(x);
            return lo_error_set(err, LO_ENOMEM, "out of memory");
        }
        for (size_t i = 0; i < d->n_classes; i++)
            order[i] = i;
        sort_by_value(order, d->n_classes, d->class_values);
        const double *v = d->class_values;
        for (size_t i = 0; i < d->n_classes; i++) {
            if (i > 0 && v[order[i]] != v[order[i - 1]])
                x->n_values++;
            x->rank[order[i]] = x->n_values;
        }
        x->n_values++;
        free(order);
    }
    return 0;
}

int lo_agree_alpha(const struct lo_agree_data *d, enum lo_level level,
                   struct lo_agree_result *res, struct lo_error *err)
{
    result_init(res, d, NULL);
    res->level = level;
    struct alpha_ctx x;
    int rc = alpha_ctx_init(&x, d, level, res, err);
    if (rc < 0)
        return rc;
    if (rc > 0)
        return 0;
    double alpha = NAN, d_o = NAN, d_e = NAN;
    const char *why;
    alpha_core(&x, &alpha, &d_o, &d_e, &why);
    alpha_ctx_free(&x);
    res->po = d_o;
    res->pe = d_e;
    if (why)
        return undefined(res, "%s", why);
    res->defined = true;
    res->value = alpha;
    return 0;
}

int lo_agree_coincidence(const struct lo_agree_data *d, struct lo_arena *arena, double **o,
                         struct lo_error *err)
{
    size_t q = d->n_classes;
    int rc = classes_limit(d, err);
    if (rc)
        return rc;
    double *mat = lo_arena_calloc(arena, at_least_one(q * q), sizeof(double));
    if (!mat)
        return lo_error_set(err, LO_ENOMEM, "out of memory");
    for (size_t u = 0; u < d->n_units; u++) {
        double m = d->m[u];
        if (m < 2)
            continue;
        double f = d->weight[u] / (m - 1);
        for (size_t i = d->v_start[u]; i < d->v_start[u + 1]; i++) {
            for (size_t j = d->v_start[u]; j < d->v_start[u + 1]; j++) {
                double ni = d->v_count[i], nj = d->v_count[j];
                mat[d->v_class[i] * q + d->v_class[j]] += f * ni * (i == j ? nj - 1 : nj);
            }
        }
    }
    *o = mat;
    return 0;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Quantile with linear interpolation between order statistics (Hyndman & Fan type 7). */
static double quantile_sorted(const double *v, size_t n, double p)
{
    double h = (double)(n - 1) * p;
    size_t lo = (size_t)floor(h);
    if (lo + 1 >= n)
        return v[n - 1];
    return v[lo] + (h - (double)lo) * (v[lo + 1] - v[lo]);
}

int lo_agree_alpha_ci(const struct lo_agree_data *d, enum lo_level level, double conf,
                      size_t replicates, struct lo_rng *rng, struct lo_agree_ci *out,
                      struct lo_error *err)
{
    memset(out, 0, sizeof(*out));
    out->conf = conf;
    out->replicates = replicates;
    out->lo = out->hi = NAN;
    if (!(conf > 0 && conf < 1))
        return lo_error_set(err, LO_EINVAL, "confidence level must be between 0 and 1, got %g",
                            conf);
    if (replicates < 1 || replicates > LO_LIMIT_BOOTSTRAP)
        return lo_error_set(err, LO_EINVAL, "bootstrap replicates must be 1..%d (LO_LIMIT_BOOTSTRAP)",
                            LO_LIMIT_BOOTSTRAP);
    struct lo_agree_result res;
    result_init(&res, d, NULL);
    struct alpha_ctx x;
    int rc = alpha_ctx_init(&x, d, level, &res, err);
    if (rc < 0)
        return rc;
    if (rc > 0)
        return lo_error_set(err, LO_EUNDEFINED, "%s", res.reason);

    /* The pairable units, with cumulative multiplicities for drawing in proportion to them. */
    size_t np = 0;
    for (size_t u = 0; u < d->n_units; u++)
        if (d->m[u] >= 2 && d->weight[u] > 0)
            np++;
    size_t *pu = malloc((np ? np : 1) * sizeof(size_t));
    double *cumw = malloc((np ? np : 1) * sizeof(double));
    double *rw = malloc((d->n_units ? d->n_units : 1) * sizeof(double));
    double *vals = malloc(replicates * sizeof(double));
    double *uobs = NULL;
    if (!pu || !cumw || !rw || !vals) {
        rc = lo_error_set(err, LO_ENOMEM, "out of memory");
        goto done;
    }
    double total = 0;
    np = 0;
    for (size_t u = 0; u < d->n_units; u++) {
        if (d->m[u] >= 2 && d->weight[u] > 0) {
            total += d->weight[u];
            pu[np] = u;
            cumw[np] = total;
            np++;
        }
    }
    if (np == 0) {
        rc = lo_error_set(err, LO_EUNDEFINED, "%s", NOTHING_PAIRABLE);
        goto done;
    }
    size_t draws = (size_t)llround(total);
    if (draws < 1)
        draws = 1;
    bool unit_weights = true;
    for (size_t i = 0; i < np; i++)
        if (d->weight[pu[i]] != 1.0)
            unit_weights = false;
    /* Alpha on the whole data first: it fixes the interval centre used below. */
    double a0, do0, de0;
    const char *why0;
    alpha_core(&x, &a0, &do0, &de0, &why0);
    if (why0) {
        rc = lo_error_set(err, LO_EUNDEFINED, "%s", why0);
        goto done;
    }
    /* Except at the ordinal level (whose distances depend on the marginals), a unit's observed
     * disagreement is the same in every replicate: compute it once, then a replicate only adds
     * up the drawn units. */
    bool fixed_units = level != LO_LEVEL_ORDINAL;
    if (fixed_units) {
        uobs = malloc(np * sizeof(double));
        if (!uobs) {
            rc = lo_error_set(err, LO_ENOMEM, "out of memory");
            goto done;
        }
        for (size_t i = 0; i < np; i++)
            uobs[i] = unit_observed(&x, pu[i]);
    }
    x.unit_w = rw;
    size_t used = 0;
    for (size_t b = 0; b < replicates; b++) {
        if (fixed_units)
            memset(x.marg, 0, d->n_classes * sizeof(double));
        else
            memset(rw, 0, d->n_units * sizeof(double));
        double N = 0, obs = 0;
        for (size_t i = 0; i < draws; i++) {
            size_t k;
            if (unit_weights) {
                k = (size_t)lo_rng_below(rng, np);
            } else {
                double t = lo_rng_uniform(rng) * total;
                size_t lo = 0, hi = np - 1;
                while (lo < hi) {
                    size_t mid = lo + (hi - lo) / 2;
                    if (cumw[mid] > t)
                        hi = mid;
                    else
                        lo = mid + 1;
                }
                k = lo;
            }
            if (!fixed_units) {
                rw[pu[k]] += 1;
                continue;
            }
            size_t u = pu[k];
            for (size_t e = d->v_start[u]; e < d->v_start[u + 1]; e++)
                x.marg[d->v_class[e]] += d->v_count[e];
            N += d->m[u];
            obs += uobs[k];
        }
        double a = NAN, d_o, d_e;
        const char *why = NULL;
        if (fixed_units) {
            size_t npresent = alpha_prepare(&x, N, &why);
            if (npresent)
                alpha_finish(N, obs, expected_sum(&x, N, npresent), &a, &d_o, &d_e, &why);
        } else {
            alpha_core(&x, &a, &d_o, &d_e, &why);
        }
        if (!why)
            vals[used++] = a;
    }
    out->used = used;
    if (used == 0) {
        rc = lo_error_set(err, LO_EUNDEFINED, "alpha is undefined on every bootstrap replicate");
        goto done;
    }
    qsort(vals, used, sizeof(double), cmp_double);
    out->lo = quantile_sorted(vals, used, (1 - conf) / 2);
    out->hi = quantile_sorted(vals, used, (1 + conf) / 2);
    rc = 0;
done:
    free(uobs);
    free(pu);
    free(cumw);
    free(rw);
    free(vals);
    alpha_ctx_free(&x);
    return rc;
}

/* ---------------------------------------------------------------------------------------
 * Per annotator
 */

int lo_agree_by_annotator(const struct lo_agree_data *d, struct lo_arena *arena,
                          struct lo_agree_by_annotator *out, struct lo_error *err)
{
    memset(out, 0, sizeof(*out));
    if (!d->r_start)
        return lo_error_set(err, LO_EINVAL,
                            "annotators are unknown in counts input; per-annotator agreement "
                            "needs long, wide or table input");
    size_t n = d->n_annotators;
    out->n = n;
    out->vs_rest = lo_arena_calloc(arena, n ? n : 1, sizeof(double));
    out->rest_pairs = lo_arena_calloc(arena, n ? n : 1, sizeof(double));
    double *agree_rest = calloc(n ? n : 1, sizeof(double));
    if (!out->vs_rest || !out->rest_pairs || !agree_rest) {
        free(agree_rest);
        return lo_error_set(err, LO_ENOMEM, "out of memory");
    }
    double *agree = NULL;
    if (n <= LO_AGREE_PAIRWISE_MAX) {
        out->pairwise = lo_arena_calloc(arena, at_least_one(n * n), sizeof(double));
        out->shared = lo_arena_calloc(arena, at_least_one(n * n), sizeof(double));
        agree = out->pairwise;
        if (!out->pairwise || !out->shared) {
            free(agree_rest);
            return lo_error_set(err, LO_ENOMEM, "out of memory");
        }
    }
    for (size_t u = 0; u < d->n_units; u++) {
        double wu = d->weight[u];
        size_t s = d->r_start[u], e = d->r_start[u + 1];
        for (size_t i = s; i < e; i++) {
            uint32_t a = d->r_annotator[i];
            if (out->shared)
                out->shared[(size_t)a * n + a] += wu;
            for (size_t j = i + 1; j < e; j++) {
                uint32_t b = d->r_annotator[j];
                bool same = d->r_class[i] == d->r_class[j];
                out->rest_pairs[a] += wu;
                out->rest_pairs[b] += wu;
                if (same) {
                    agree_rest[a] += wu;
                    agree_rest[b] += wu;
                }
                if (out->shared) {
                    out->shared[(size_t)a * n + b] += wu;
                    out->shared[(size_t)b * n + a] += wu;
                    if (same) {
                        agree[(size_t)a * n + b] += wu;
                        agree[(size_t)b * n + a] += wu;
                    }
                }
            }
        }
    }
    for (size_t a = 0; a < n; a++)
        out->vs_rest[a] = out->rest_pairs[a] > 0 ? agree_rest[a] / out->rest_pairs[a] : NAN;
    free(agree_rest);
    if (out->shared) {
        for (size_t a = 0; a < n; a++) {
            for (size_t b = 0; b < n; b++) {
                double sh = out->shared[a * n + b];
                if (a == b)
                    agree[a * n + b] = sh > 0 ? 1.0 : NAN;
                else
                    agree[a * n + b] = sh > 0 ? agree[a * n + b] / sh : NAN;
            }
        }
    }
    return 0;
}
