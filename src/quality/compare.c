/*
 * compare.c - structured-label comparators (see compare.h and docs/quality/structured.md).
 *
 * Box matching finds candidate pairs with a sweep over boxes sorted by x, so sparse scenes cost
 * about O(n log n) rather than |pred| x |ref| IoU computations. Nothing here keeps state.
 */
#include "quality/compare.h"

#include <assert.h>
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

void lo_prf_from_counts(size_t tp, size_t n_pred, size_t n_ref, struct lo_prf *out)
{
    assert(tp <= n_pred && tp <= n_ref);
    out->tp = tp;
    out->n_pred = n_pred;
    out->n_ref = n_ref;
    if (n_pred == 0 && n_ref == 0) {
        out->precision = out->recall = out->f1 = 1.0;
        return;
    }
    out->precision = n_pred ? (double)tp / (double)n_pred : 0.0;
    out->recall = n_ref ? (double)tp / (double)n_ref : 0.0;
    out->f1 = 2.0 * (double)tp / ((double)n_pred + (double)n_ref);
}

/* ---- class sets ---- */

static int cmp_int(const void *a, const void *b)
{
    int x = *(const int *)a, y = *(const int *)b;
    return (x > y) - (x < y);
}

/* Sorts a copy of v and removes duplicates; *out is malloc'ed (NULL when n == 0). */
static int sorted_unique(const int *v, size_t n, int **out, size_t *n_out)
{
    *out = NULL;
    *n_out = 0;
    if (n == 0)
        return 0;
    int *c = malloc(n * sizeof(*c));
    if (!c)
        return LO_ENOMEM;
    memcpy(c, v, n * sizeof(*c));
    qsort(c, n, sizeof(*c), cmp_int);
    size_t k = 1;
    for (size_t i = 1; i < n; i++)
        if (c[i] != c[k - 1])
            c[k++] = c[i];
    *out = c;
    *n_out = k;
    return 0;
}

/* |A n B| and |A u B| of two sets of class codes. */
static int set_counts(const int *a, size_t na, const int *b, size_t nb, size_t *inter,
                      size_t *uni, struct lo_error *err)
{
    int *sa = NULL, *sb = NULL;
    size_t ka, kb;
    int rc = sorted_unique(a, na, &sa, &ka);
    if (rc)
        goto fail;
    rc = sorted_unique(b, nb, &sb, &kb);
    if (rc)
        goto fail;
    size_t i = 0, j = 0, common = 0;
    while (i < ka && j < kb) {
        if (sa[i] < sb[j]) {
            i++;
        } else if (sa[i] > sb[j]) {
            j++;
        } else {
            common++;
            i++;
            j++;
        }
    }
    *inter = common;
    *uni = ka + kb - common;
    free(sa);
    free(sb);
    return 0;
fail:
    free(sa);
    free(sb);
    return lo_error_set(err, rc, "out of memory comparing class sets");
}

int lo_jaccard(const int *a, size_t na, const int *b, size_t nb, double *out,
               struct lo_error *err)
{
    size_t inter, uni;
    int rc = set_counts(a, na, b, nb, &inter, &uni, err);
    if (rc)
        return rc;
    *out = uni ? (double)inter / (double)uni : 1.0;
    return 0;
}

/* ---- spans ---- */

int lo_spans_validate(const struct lo_span *s, size_t n, struct lo_error *err)
{
    for (size_t i = 0; i < n; i++)
        if (s[i].end <= s[i].start)
            return lo_error_field(err, LO_EINVAL, "span",
                                  "span %zu [%zu, %zu) is empty or reversed (end must be > start)",
                                  i, s[i].start, s[i].end);
    return 0;
}

static int cmp_span(const void *a, const void *b)
{
    const struct lo_span *x = a, *y = b;
    if (x->cls != y->cls)
        return x->cls < y->cls ? -1 : 1;
    if (x->start != y->start)
        return x->start < y->start ? -1 : 1;
    if (x->end != y->end)
        return x->end < y->end ? -1 : 1;
    return 0;
}

static struct lo_span *sorted_spans(const struct lo_span *s, size_t n)
{
    struct lo_span *c = malloc((n ? n : 1) * sizeof(*c));
    if (!c)
        return NULL;
    if (n)
        memcpy(c, s, n * sizeof(*c));
    qsort(c, n, sizeof(*c), cmp_span);
    return c;
}

int lo_spans_prf_exact(const struct lo_span *pred, size_t n_pred, const struct lo_span *ref,
                       size_t n_ref, struct lo_prf *out, struct lo_error *err)
{
    int rc = lo_spans_validate(pred, n_pred, err);
    if (rc)
        return rc;
    rc = lo_spans_validate(ref, n_ref, err);
    if (rc)
        return rc;
    struct lo_span *p = sorted_spans(pred, n_pred);
    struct lo_span *r = sorted_spans(ref, n_ref);
    if (!p || !r) {
        free(p);
        free(r);
        return lo_error_set(err, LO_ENOMEM, "out of memory comparing spans");
    }
    size_t i = 0, j = 0, tp = 0;
    while (i < n_pred && j < n_ref) {
        int c = cmp_span(&p[i], &r[j]);
        if (c < 0) {
            i++;
        } else if (c > 0) {
            j++;
        } else {
            tp++;
            i++;
            j++;
        }
    }
    free(p);
    free(r);
    lo_prf_from_counts(tp, n_pred, n_ref, out);
    return 0;
}

/* Merges overlapping or touching spans of one class, in place, on spans sorted by cmp_span.
 * Returns the new count. Touching spans merge because they cover no position twice. */
static size_t union_spans(struct lo_span *s, size_t n)
{
    if (n == 0)
        return 0;
    size_t k = 0;
    for (size_t i = 1; i < n; i++) {
        if (s[i].cls == s[k].cls && s[i].start <= s[k].end) {
            if (s[i].end > s[k].end)
                s[k].end = s[i].end;
        } else {
            s[++k] = s[i];
        }
    }
    return k + 1;
}

static size_t covered(const struct lo_span *s, size_t n)
{
    size_t total = 0;
    for (size_t i = 0; i < n; i++)
        total += s[i].end - s[i].start;
    return total;
}

int lo_spans_prf_overlap(const struct lo_span *pred, size_t n_pred, const struct lo_span *ref,
                         size_t n_ref, struct lo_prf *out, struct lo_error *err)
{
    int rc = lo_spans_validate(pred, n_pred, err);
    if (rc)
        return rc;
    rc = lo_spans_validate(ref, n_ref, err);
    if (rc)
        return rc;
    struct lo_span *p = sorted_spans(pred, n_pred);
    struct lo_span *r = sorted_spans(ref, n_ref);
    if (!p || !r) {
        free(p);
        free(r);
        return lo_error_set(err, LO_ENOMEM, "out of memory comparing spans");
    }
    size_t np = union_spans(p, n_pred), nr = union_spans(r, n_ref);
    /* Both lists are disjoint intervals sorted by (class, start): a two-pointer walk sums the
     * intersections. */
    size_t i = 0, j = 0, tp = 0;
    while (i < np && j < nr) {
        if (p[i].cls != r[j].cls) {
            if (p[i].cls < r[j].cls)
                i++;
            else
                j++;
            continue;
        }
        size_t lo = p[i].start > r[j].start ? p[i].start : r[j].start;
        size_t hi = p[i].end < r[j].end ? p[i].end : r[j].end;
        if (hi > lo)
            tp += hi - lo;
        if (p[i].end < r[j].end)
            i++;
        else
            j++;
    }
    size_t units_p = covered(p, np), units_r = covered(r, nr);
    free(p);
    free(r);
    lo_prf_from_counts(tp, units_p, units_r, out);
    return 0;
}

/* ---- boxes ---- */

int lo_box_validate(const struct lo_box *b, struct lo_error *err)
{
    if (!isfinite(b->x) || !isfinite(b->y) || !isfinite(b->w) || !isfinite(b->h))
        return lo_error_field(err, LO_EINVAL, "box", "box coordinates must be finite numbers");
    if (!(b->w > 0) || !(b->h > 0))
        return lo_error_field(err, LO_EINVAL, "box",
                              "box has w = %g, h = %g: width and height must be > 0", b->w, b->h);
    if (!isfinite(b->x + b->w) || !isfinite(b->y + b->h) || !isfinite(b->w * b->h))
        return lo_error_field(err, LO_EINVAL, "box", "box coordinates are too large");
    return 0;
}

/* IoU of two boxes already validated. */
static double iou_unchecked(const struct lo_box *a, const struct lo_box *b)
{
    double ix = fmin(a->x + a->w, b->x + b->w) - fmax(a->x, b->x);
    double iy = fmin(a->y + a->h, b->y + b->h) - fmax(a->y, b->y);
    if (ix <= 0 || iy <= 0)
        return 0.0;
    double inter = ix * iy;
    double uni = a->w * a->h + b->w * b->h - inter;
    double v = inter / uni;
    return v > 1.0 ? 1.0 : v;
}

int lo_box_iou(const struct lo_box *a, const struct lo_box *b, double *out, struct lo_error *err)
{
    int rc = lo_box_validate(a, err);
    if (rc)
        return rc;
    rc = lo_box_validate(b, err);
    if (rc)
        return rc;
    *out = iou_unchecked(a, b);
    return 0;
}

struct lo_box_match_opts lo_box_match_defaults(void)
{
    struct lo_box_match_opts o = { 0.5, false, LO_MATCH_GREEDY };
    return o;
}

struct cand {
    double iou;
    uint32_t p, r;
};

static int cmp_cand(const void *a, const void *b)
{
    const struct cand *x = a, *y = b;
    if (x->iou != y->iou)
        return x->iou > y->iou ? -1 : 1;
    if (x->p != y->p)
        return x->p < y->p ? -1 : 1;
    return (x->r > y->r) - (x->r < y->r);
}

static int cmp_x_ctx_boxes(const struct lo_box *boxes, uint32_t a, uint32_t b)
{
    double xa = boxes[a].x, xb = boxes[b].x;
    if (xa != xb)
        return xa < xb ? -1 : 1;
    return (a > b) - (a < b);
}

/* Sorts idx[0..n) by boxes[idx].x, stable merge sort (qsort has no context pointer). */
static void sort_by_x(const struct lo_box *boxes, uint32_t *idx, uint32_t *tmp, size_t n)
{
    if (n < 2)
        return;
    size_t h = n / 2;
    sort_by_x(boxes, idx, tmp, h);
    sort_by_x(boxes, idx + h, tmp, n - h);
    size_t i = 0, j = h, k = 0;
    while (i < h && j < n)
        tmp[k++] = cmp_x_ctx_boxes(boxes, idx[i], idx[j]) <= 0 ? idx[i++] : idx[j++];
    while (i < h)
        tmp[k++] = idx[i++];
    while (j < n)
        tmp[k++] = idx[j++];
    memcpy(idx, tmp, n * sizeof(*idx));
}

/* Collects every (pred, ref) pair with IoU >= threshold (and equal classes unless ignored).
 * *out is malloc'ed. */
static int candidate_pairs(const struct lo_box *pred, size_t n_pred, const struct lo_box *ref,
                           size_t n_ref, const struct lo_box_match_opts *o, struct cand **out,
                           size_t *n_out, struct lo_error *err)
{
    *out = NULL;
    *n_out = 0;
    if (n_pred == 0 || n_ref == 0)
        return 0;
    uint32_t *order = malloc(n_ref * sizeof(*order));
    uint32_t *tmp = malloc(n_ref * sizeof(*tmp));
    size_t cap = 64, n = 0;
    struct cand *c = malloc(cap * sizeof(*c));
    if (!order || !tmp || !c)
        goto nomem;
    double max_w = 0;
    for (size_t j = 0; j < n_ref; j++) {
        order[j] = (uint32_t)j;
        if (ref[j].w > max_w)
            max_w = ref[j].w;
    }
    sort_by_x(ref, order, tmp, n_ref);
    for (size_t i = 0; i < n_pred; i++) {
        const struct lo_box *a = &pred[i];
        /* A ref box can overlap a only if ref.x < a.x + a.w and ref.x > a.x - max_w. */
        double lo_x = a->x - max_w;
        size_t lo = 0, hi = n_ref;
        while (lo < hi) {
            size_t mid = lo + (hi - lo) / 2;
            if (ref[order[mid]].x <= lo_x)
                lo = mid + 1;
            else
                hi = mid;
        }
        for (size_t k = lo; k < n_ref && ref[order[k]].x < a->x + a->w; k++) {
            uint32_t j = order[k];
            if (!o->ignore_class && ref[j].cls != a->cls)
                continue;
            double v = iou_unchecked(a, &ref[j]);
            if (v < o->iou_threshold)
                continue;
            if (n == cap) {
                if (cap >= LO_COMPARE_MAX_CANDIDATE_PAIRS) {
                    free(order);
                    free(tmp);
                    free(c);
                    return lo_error_set(err, LO_ELIMIT,
                                        "more than %u overlapping box pairs: the boxes are "
                                        "too crowded to match",
                                        LO_COMPARE_MAX_CANDIDATE_PAIRS);
                }
                size_t ncap = cap * 2 > LO_COMPARE_MAX_CANDIDATE_PAIRS
                                  ? LO_COMPARE_MAX_CANDIDATE_PAIRS
                                  : cap * 2;
                struct cand *nc = realloc(c, ncap * sizeof(*nc));
                if (!nc)
                    goto nomem;
                c = nc;
                cap = ncap;
            }
            c[n].iou = v;
            c[n].p = (uint32_t)i;
            c[n].r = j;
            n++;
        }
    }
    free(order);
    free(tmp);
    *out = c;
    *n_out = n;
    return 0;
nomem:
    free(order);
    free(tmp);
    free(c);
    return lo_error_set(err, LO_ENOMEM, "out of memory matching boxes");
}

static void match_greedy(struct cand *c, size_t n, long *pm, long *rm)
{
    if (n == 0)
        return;
    qsort(c, n, sizeof(*c), cmp_cand);
    for (size_t k = 0; k < n; k++) {
        if (pm[c[k].p] >= 0 || rm[c[k].r] >= 0)
            continue;
        pm[c[k].p] = c[k].r;
        rm[c[k].r] = c[k].p;
    }
}

static uint32_t uf_find(uint32_t *parent, uint32_t x)
{
    while (parent[x] != x) {
        parent[x] = parent[parent[x]];
        x = parent[x];
    }
    return x;
}

/*
 * Minimum-cost assignment of rows to distinct columns (rows <= cols) with the Hungarian
 * algorithm in its O(rows^2 cols) potential form (Kuhn 1955; Munkres 1957). cost is row-major
 * rows x cols; col_of_row receives the column of each row.
 */
static int hungarian(const double *cost, size_t rows, size_t cols, size_t *col_of_row)
{
    double *u = calloc(rows + 1, sizeof(double));
    double *v = calloc(cols + 1, sizeof(double));
    double *minv = malloc((cols + 1) * sizeof(double));
    size_t *p = calloc(cols + 1, sizeof(size_t));   /* p[j]: row (1-based) holding column j */
    size_t *way = calloc(cols + 1, sizeof(size_t));
    bool *used = malloc((cols + 1) * sizeof(bool));
    if (!u || !v || !minv || !p || !way || !used) {
        free(u), free(v), free(minv), free(p), free(way), free(used);
        return LO_ENOMEM;
    }
    for (size_t i = 1; i <= rows; i++) {
        p[0] = i;
        size_t j0 = 0;
        for (size_t j = 0; j <= cols; j++) {
            minv[j] = DBL_MAX;
            used[j] = false;
        }
        do {
            used[j0] = true;
            size_t i0 = p[j0], j1 = 0;
            double delta = DBL_MAX;
            for (size_t j = 1; j <= cols; j++) {
                if (used[j])
                    continue;
                double cur = cost[(i0 - 1) * cols + (j - 1)] - u[i0] - v[j];
                if (cur < minv[j]) {
                    minv[j] = cur;
                    way[j] = j0;
                }
                if (minv[j] < delta) {
                    delta = minv[j];
                    j1 = j;
                }
            }
            for (size_t j = 0; j <= cols; j++) {
                if (used[j]) {
                    u[p[j]] += delta;
                    v[j] -= delta;
                } else {
                    minv[j] -= delta;
                }
            }
            j0 = j1;
        } while (p[j0] != 0);
        do {
            size_t j1 = way[j0];
            p[j0] = p[j1];
            j0 = j1;
        } while (j0 != 0);
    }
    for (size_t j = 1; j <= cols; j++)
        if (p[j])
            col_of_row[p[j] - 1] = j - 1;
    free(u), free(v), free(minv), free(p), free(way), free(used);
    return 0;
}

/* Optimal matching: candidate pairs split into connected groups (union-find over pred and ref
 * boxes); each group is solved exactly, maximising the count of matches first (every edge
 * weighs big + IoU with big > the most IoU a group can gain) and total IoU second. */
static int match_optimal(struct cand *c, size_t n, size_t n_pred, size_t n_ref, long *pm,
                         long *rm, struct lo_error *err)
{
    size_t nn = n_pred + n_ref;
    uint32_t *parent = malloc((nn ? nn : 1) * sizeof(*parent));
    uint32_t *local = malloc((nn ? nn : 1) * sizeof(*local));
    size_t *edge_order = NULL;
    if (!parent || !local)
        goto nomem;
    for (size_t k = 0; k < nn; k++)
        parent[k] = (uint32_t)k;
    for (size_t k = 0; k < n; k++) {
        uint32_t a = uf_find(parent, c[k].p), b = uf_find(parent, (uint32_t)(n_pred + c[k].r));
        if (a != b)
            parent[a] = b;
    }
    /* Group edges by root so each group is visited once. */
    edge_order = malloc((n ? n : 1) * sizeof(*edge_order));
    uint32_t *roots = malloc((n ? n : 1) * sizeof(*roots));
    if (!edge_order || !roots) {
        free(roots);
        goto nomem;
    }
    for (size_t k = 0; k < n; k++) {
        roots[k] = uf_find(parent, c[k].p);
        edge_order[k] = k;
    }
    /* Counting sort of edges by root. */
    size_t *start = calloc(nn + 1, sizeof(*start));
    size_t *sorted = malloc((n ? n : 1) * sizeof(*sorted));
    if (!start || !sorted) {
        free(roots), free(start), free(sorted);
        goto nomem;
    }
    for (size_t k = 0; k < n; k++)
        start[roots[k] + 1]++;
    for (size_t k = 0; k < nn; k++)
        start[k + 1] += start[k];
    for (size_t k = 0; k < n; k++)
        sorted[start[roots[k]]++] = k;
    free(edge_order);
    edge_order = sorted;
    free(start);
    free(roots);

    size_t g0 = 0;
    while (g0 < n) {
        uint32_t root = uf_find(parent, c[edge_order[g0]].p);
        size_t g1 = g0;
        while (g1 < n && uf_find(parent, c[edge_order[g1]].p) == root)
            g1++;
        /* Local numbering of the group's pred (rows) and ref (cols) boxes. */
        size_t rows = 0, cols = 0;
        for (size_t k = g0; k < g1; k++) {
            struct cand *e = &c[edge_order[k]];
            local[e->p] = UINT32_MAX;
            local[n_pred + e->r] = UINT32_MAX;
        }
        for (size_t k = g0; k < g1; k++) {
            struct cand *e = &c[edge_order[k]];
            if (local[e->p] == UINT32_MAX)
                local[e->p] = (uint32_t)rows++;
            if (local[n_pred + e->r] == UINT32_MAX)
                local[n_pred + e->r] = (uint32_t)cols++;
        }
        if (rows > LO_COMPARE_MAX_OPTIMAL_GROUP || cols > LO_COMPARE_MAX_OPTIMAL_GROUP) {
            free(parent), free(local), free(edge_order);
            return lo_error_set(err, LO_ELIMIT,
                                "a group of %zu x %zu mutually overlapping boxes is over the "
                                "%u that optimal matching solves; use greedy matching",
                                rows, cols, LO_COMPARE_MAX_OPTIMAL_GROUP);
        }
        bool transpose = rows > cols;
        size_t R = transpose ? cols : rows, C = transpose ? rows : cols;
        double big = (double)R + 1.0;
        double *cost = calloc(R * C, sizeof(double));
        size_t *col_of_row = malloc(R * sizeof(size_t));
        uint32_t *row_box = malloc(rows * sizeof(uint32_t));
        uint32_t *col_box = malloc(cols * sizeof(uint32_t));
        if (!cost || !col_of_row || !row_box || !col_box) {
            free(cost), free(col_of_row), free(row_box), free(col_box);
            goto nomem;
        }
        for (size_t k = g0; k < g1; k++) {
            struct cand *e = &c[edge_order[k]];
            size_t pr = local[e->p], rc = local[n_pred + e->r];
            row_box[pr] = e->p;
            col_box[rc] = e->r;
            size_t ii = transpose ? rc : pr, jj = transpose ? pr : rc;
            cost[ii * C + jj] = -(big + e->iou);
        }
        int rc = hungarian(cost, R, C, col_of_row);
        if (rc) {
            free(cost), free(col_of_row), free(row_box), free(col_box);
            goto nomem;
        }
        for (size_t ii = 0; ii < R; ii++) {
            size_t jj = col_of_row[ii];
            if (cost[ii * C + jj] == 0.0)
                continue; /* assigned through a non-edge: not a match */
            size_t pr = transpose ? jj : ii, rcl = transpose ? ii : jj;
            pm[row_box[pr]] = col_box[rcl];
            rm[col_box[rcl]] = row_box[pr];
        }
        free(cost), free(col_of_row), free(row_box), free(col_box);
        g0 = g1;
    }
    free(parent), free(local), free(edge_order);
    return 0;
nomem:
    free(parent), free(local), free(edge_order);
    return lo_error_set(err, LO_ENOMEM, "out of memory matching boxes");
}

int lo_boxes_match(const struct lo_box *pred, size_t n_pred, const struct lo_box *ref,
                   size_t n_ref, const struct lo_box_match_opts *opts, long *pred_match,
                   long *ref_match, struct lo_box_match *out, struct lo_error *err)
{
    struct lo_box_match_opts o = opts ? *opts : lo_box_match_defaults();
    if (!(o.iou_threshold > 0 && o.iou_threshold <= 1))
        return lo_error_field(err, LO_EUSAGE, "iou_threshold",
                              "the IoU threshold must be in (0, 1], got %g", o.iou_threshold);
    if (o.method != LO_MATCH_GREEDY && o.method != LO_MATCH_OPTIMAL)
        return lo_error_set(err, LO_EUSAGE, "unknown box matching method %d", (int)o.method);
    if (n_pred > UINT32_MAX || n_ref > UINT32_MAX)
        return lo_error_set(err, LO_ELIMIT, "too many boxes to match");
    for (size_t i = 0; i < n_pred; i++) {
        int rc = lo_box_validate(&pred[i], err);
        if (rc) {
            lo_error_prefix(err, "predicted box %zu", i);
            return rc;
        }
    }
    for (size_t j = 0; j < n_ref; j++) {
        int rc = lo_box_validate(&ref[j], err);
        if (rc) {
            lo_error_prefix(err, "reference box %zu", j);
            return rc;
        }
    }
    long *pm = malloc((n_pred ? n_pred : 1) * sizeof(*pm));
    long *rm = malloc((n_ref ? n_ref : 1) * sizeof(*rm));
    struct cand *c = NULL;
    size_t n = 0;
    int rc = 0;
    if (!pm || !rm) {
        rc = lo_error_set(err, LO_ENOMEM, "out of memory matching boxes");
        goto done;
    }
    for (size_t i = 0; i < n_pred; i++)
        pm[i] = -1;
    for (size_t j = 0; j < n_ref; j++)
        rm[j] = -1;
    rc = candidate_pairs(pred, n_pred, ref, n_ref, &o, &c, &n, err);
    if (rc)
        goto done;
    if (o.method == LO_MATCH_GREEDY) {
        match_greedy(c, n, pm, rm);
    } else {
        rc = match_optimal(c, n, n_pred, n_ref, pm, rm, err);
        if (rc)
            goto done;
    }
    size_t tp = 0;
    double sum_iou = 0;
    for (size_t i = 0; i < n_pred; i++) {
        if (pm[i] < 0)
            continue;
        tp++;
        sum_iou += iou_unchecked(&pred[i], &ref[pm[i]]);
    }
    lo_prf_from_counts(tp, n_pred, n_ref, &out->prf);
    out->mean_iou = tp ? sum_iou / (double)tp : 0.0;
    if (pred_match)
        memcpy(pred_match, pm, n_pred * sizeof(*pm));
    if (ref_match)
        memcpy(ref_match, rm, n_ref * sizeof(*rm));
done:
    free(pm);
    free(rm);
    free(c);
    return rc;
}

/* ---- exact match ---- */

static int cmp_box(const void *a, const void *b)
{
    const struct lo_box *x = a, *y = b;
    if (x->cls != y->cls)
        return x->cls < y->cls ? -1 : 1;
    if (x->x != y->x)
        return x->x < y->x ? -1 : 1;
    if (x->y != y->y)
        return x->y < y->y ? -1 : 1;
    if (x->w != y->w)
        return x->w < y->w ? -1 : 1;
    if (x->h != y->h)
        return x->h < y->h ? -1 : 1;
    return 0;
}

static int boxes_equal(const struct lo_box *a, size_t na, const struct lo_box *b, size_t nb,
                       bool *equal, struct lo_error *err)
{
    for (size_t i = 0; i < na; i++) {
        int rc = lo_box_validate(&a[i], err);
        if (rc)
            return rc;
    }
    for (size_t i = 0; i < nb; i++) {
        int rc = lo_box_validate(&b[i], err);
        if (rc)
            return rc;
    }
    if (na != nb) {
        *equal = false;
        return 0;
    }
    struct lo_box *x = malloc((na ? na : 1) * sizeof(*x));
    struct lo_box *y = malloc((nb ? nb : 1) * sizeof(*y));
    if (!x || !y) {
        free(x);
        free(y);
        return lo_error_set(err, LO_ENOMEM, "out of memory comparing boxes");
    }
    if (na) {
        memcpy(x, a, na * sizeof(*x));
        memcpy(y, b, nb * sizeof(*y));
    }
    qsort(x, na, sizeof(*x), cmp_box);
    qsort(y, nb, sizeof(*y), cmp_box);
    bool eq = true;
    for (size_t i = 0; i < na && eq; i++)
        eq = cmp_box(&x[i], &y[i]) == 0;
    free(x);
    free(y);
    *equal = eq;
    return 0;
}

int lo_value_equal(const struct lo_value *a, const struct lo_value *b, bool *equal,
                   struct lo_error *err)
{
    if (a->kind != b->kind)
        return lo_error_set(err, LO_EINVAL, "cannot compare values of different kinds (%d, %d)",
                            (int)a->kind, (int)b->kind);
    switch (a->kind) {
    case LO_VALUE_CLASS:
        *equal = a->u.cls == b->u.cls;
        return 0;
    case LO_VALUE_NUMBER:
        if (isnan(a->u.number) || isnan(b->u.number))
            return lo_error_set(err, LO_EINVAL, "a number to compare is NaN");
        *equal = a->u.number == b->u.number;
        return 0;
    case LO_VALUE_TEXT:
        *equal = lo_str_eq(a->u.text, b->u.text);
        return 0;
    case LO_VALUE_CLASS_SET: {
        size_t inter, uni;
        int rc = set_counts(a->u.set.v, a->u.set.n, b->u.set.v, b->u.set.n, &inter, &uni, err);
        if (rc)
            return rc;
        *equal = inter == uni;
        return 0;
    }
    case LO_VALUE_SPANS: {
        struct lo_prf prf;
        int rc = lo_spans_prf_exact(a->u.spans.v, a->u.spans.n, b->u.spans.v, b->u.spans.n,
                                    &prf, err);
        if (rc)
            return rc;
        *equal = prf.tp == prf.n_pred && prf.tp == prf.n_ref;
        return 0;
    }
    case LO_VALUE_BOXES:
        return boxes_equal(a->u.boxes.v, a->u.boxes.n, b->u.boxes.v, b->u.boxes.n, equal, err);
    }
    return lo_error_set(err, LO_EINVAL, "unknown value kind %d", (int)a->kind);
}
