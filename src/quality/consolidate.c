/*
 * consolidate.c - boxes by complete-linkage IoU clustering, spans by a positional vote (see
 * consolidate.h and docs/quality/structured.md).
 */
#include "quality/consolidate.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---- boxes ---- */

struct lo_box_consolidate_opts lo_box_consolidate_defaults(void)
{
    struct lo_box_consolidate_opts o = { 0.5, false, 1 };
    return o;
}

static double box_iou(const struct lo_box *a, const struct lo_box *b)
{
    double ix = fmin(a->x + a->w, b->x + b->w) - fmax(a->x, b->x);
    double iy = fmin(a->y + a->h, b->y + b->h) - fmax(a->y, b->y);
    if (ix <= 0 || iy <= 0)
        return 0.0;
    double inter = ix * iy;
    double v = inter / (a->w * a->h + b->w * b->h - inter);
    return v > 1.0 ? 1.0 : v;
}

struct pair {
    double iou;
    uint32_t a, b; /* a < b */
};

static int cmp_pair(const void *x, const void *y)
{
    const struct pair *p = x, *q = y;
    if (p->iou != q->iou)
        return p->iou > q->iou ? -1 : 1;
    if (p->a != q->a)
        return p->a < q->a ? -1 : 1;
    return (p->b > q->b) - (p->b < q->b);
}

struct by_x {
    double x;
    uint32_t i;
};

static int cmp_by_x(const void *x, const void *y)
{
    const struct by_x *p = x, *q = y;
    if (p->x != q->x)
        return p->x < q->x ? -1 : 1;
    return (p->i > q->i) - (p->i < q->i);
}

static bool may_pair(const struct lo_box *boxes, const uint32_t *ann, uint32_t i, uint32_t j,
                     const struct lo_box_consolidate_opts *o)
{
    if (ann[i] == ann[j])
        return false;
    if (!o->ignore_class && boxes[i].cls != boxes[j].cls)
        return false;
    return true;
}

/* Every pair of boxes by different annotators with IoU >= threshold, by a sweep on x. */
static int box_pairs(const struct lo_box *boxes, const uint32_t *ann, size_t n,
                     const struct lo_box_consolidate_opts *o, struct pair **out, size_t *n_out,
                     struct lo_error *err)
{
    *out = NULL;
    *n_out = 0;
    struct by_x *order = malloc((n ? n : 1) * sizeof(*order));
    size_t cap = 64, np = 0;
    struct pair *p = malloc(cap * sizeof(*p));
    if (!order || !p)
        goto nomem;
    for (size_t i = 0; i < n; i++)
        order[i] = (struct by_x){ boxes[i].x, (uint32_t)i };
    qsort(order, n, sizeof(*order), cmp_by_x);
    for (size_t s = 0; s < n; s++) {
        const struct lo_box *a = &boxes[order[s].i];
        for (size_t t = s + 1; t < n && order[t].x < a->x + a->w; t++) {
            uint32_t i = order[s].i, j = order[t].i;
            if (!may_pair(boxes, ann, i, j, o))
                continue;
            double v = box_iou(a, &boxes[j]);
            if (v < o->iou_threshold)
                continue;
            if (np == cap) {
                if (cap >= LO_COMPARE_MAX_CANDIDATE_PAIRS) {
                    free(order);
                    free(p);
                    return lo_error_set(err, LO_ELIMIT,
                                        "more than %u overlapping box pairs: the boxes are too "
                                        "crowded to consolidate",
                                        LO_COMPARE_MAX_CANDIDATE_PAIRS);
                }
                size_t ncap = cap * 2;
                if (ncap > LO_COMPARE_MAX_CANDIDATE_PAIRS)
                    ncap = LO_COMPARE_MAX_CANDIDATE_PAIRS;
                struct pair *q = realloc(p, ncap * sizeof(*q));
                if (!q)
                    goto nomem;
                p = q;
                cap = ncap;
            }
            p[np++] = (struct pair){ v, i < j ? i : j, i < j ? j : i };
        }
    }
    free(order);
    *out = p;
    *n_out = np;
    return 0;
nomem:
    free(order);
    free(p);
    return lo_error_set(err, LO_ENOMEM, "out of memory consolidating boxes");
}

struct cluster_state {
    uint32_t *head;   /* [n] first member of the cluster whose root is i */
    uint32_t *next;   /* [n] next member, UINT32_MAX at the end */
    uint32_t *tail;   /* [n] last member of root i's cluster */
    uint32_t *root;   /* [n] the root of box i's cluster (kept exact on merge) */
    uint32_t *size;   /* [n] members of root i's cluster */
};

/* Whether the clusters rooted at ra and rb may merge: no shared annotator, every cross pair
 * overlapping at the threshold (complete linkage). */
static bool may_merge(const struct cluster_state *cs, const struct lo_box *boxes,
                      const uint32_t *ann, uint32_t ra, uint32_t rb,
                      const struct lo_box_consolidate_opts *o)
{
    for (uint32_t i = cs->head[ra]; i != UINT32_MAX; i = cs->next[i])
        for (uint32_t j = cs->head[rb]; j != UINT32_MAX; j = cs->next[j]) {
            if (!may_pair(boxes, ann, i, j, o))
                return false;
            if (box_iou(&boxes[i], &boxes[j]) < o->iou_threshold)
                return false;
        }
    return true;
}

static void merge(struct cluster_state *cs, uint32_t ra, uint32_t rb)
{
    /* Keep the lower root so a cluster is named by its lowest member index. */
    if (rb < ra) {
        uint32_t t = ra;
        ra = rb;
        rb = t;
    }
    for (uint32_t j = cs->head[rb]; j != UINT32_MAX; j = cs->next[j])
        cs->root[j] = ra;
    cs->next[cs->tail[ra]] = cs->head[rb];
    cs->tail[ra] = cs->tail[rb];
    cs->size[ra] += cs->size[rb];
    cs->head[rb] = UINT32_MAX;
    cs->size[rb] = 0;
}

struct ranked {
    size_t support;
    uint32_t root;
};

static int cmp_ranked(const void *x, const void *y)
{
    const struct ranked *p = x, *q = y;
    if (p->support != q->support)
        return p->support > q->support ? -1 : 1;
    return (p->root > q->root) - (p->root < q->root);
}

static int cmp_int(const void *x, const void *y)
{
    int a = *(const int *)x, b = *(const int *)y;
    return (a > b) - (a < b);
}

/* The most frequent class among the members (ties: the lowest code). */
static int majority_class(const struct cluster_state *cs, const struct lo_box *boxes,
                          uint32_t r, int *scratch)
{
    size_t k = 0;
    for (uint32_t i = cs->head[r]; i != UINT32_MAX; i = cs->next[i])
        scratch[k++] = boxes[i].cls;
    qsort(scratch, k, sizeof(*scratch), cmp_int);
    int best = scratch[0];
    size_t best_n = 0;
    for (size_t s = 0; s < k;) {
        size_t e = s;
        while (e < k && scratch[e] == scratch[s])
            e++;
        if (e - s > best_n) {
            best_n = e - s;
            best = scratch[s];
        }
        s = e;
    }
    return best;
}

int lo_boxes_consolidate(const struct lo_box *boxes, const uint32_t *annotator, size_t n,
                         const struct lo_box_consolidate_opts *opts, struct lo_arena *arena,
                         struct lo_consensus_box **out, size_t *n_out, long *cluster_of,
                         struct lo_error *err)
{
    struct lo_box_consolidate_opts o = opts ? *opts : lo_box_consolidate_defaults();
    *out = NULL;
    *n_out = 0;
    if (!(o.iou_threshold > 0 && o.iou_threshold <= 1))
        return lo_error_field(err, LO_EUSAGE, "iou_threshold",
                              "the IoU threshold must be in (0, 1], got %g", o.iou_threshold);
    if (o.min_support == 0)
        o.min_support = 1;
    if (n >= UINT32_MAX)
        return lo_error_set(err, LO_ELIMIT, "too many boxes to consolidate");
    for (size_t i = 0; i < n; i++) {
        int rc = lo_box_validate(&boxes[i], err);
        if (rc) {
            lo_error_prefix(err, "box %zu (annotator %u)", i, (unsigned)annotator[i]);
            return rc;
        }
    }
    if (n == 0)
        return 0;

    struct pair *pairs = NULL;
    size_t np = 0;
    struct cluster_state cs = { 0 };
    struct ranked *rk = NULL;
    int *scratch = NULL;
    int rc = box_pairs(boxes, annotator, n, &o, &pairs, &np, err);
    if (rc)
        return rc;
    cs.head = malloc(n * sizeof(uint32_t));
    cs.next = malloc(n * sizeof(uint32_t));
    cs.tail = malloc(n * sizeof(uint32_t));
    cs.root = malloc(n * sizeof(uint32_t));
    cs.size = malloc(n * sizeof(uint32_t));
    rk = malloc(n * sizeof(*rk));
    scratch = malloc(n * sizeof(*scratch));
    if (!cs.head || !cs.next || !cs.tail || !cs.root || !cs.size || !rk || !scratch)
        goto nomem;
    for (uint32_t i = 0; i < n; i++) {
        cs.head[i] = cs.tail[i] = cs.root[i] = i;
        cs.next[i] = UINT32_MAX;
        cs.size[i] = 1;
    }
    if (np)
        qsort(pairs, np, sizeof(*pairs), cmp_pair);
    for (size_t k = 0; k < np; k++) {
        uint32_t ra = cs.root[pairs[k].a], rb = cs.root[pairs[k].b];
        if (ra == rb)
            continue;
        if (!may_merge(&cs, boxes, annotator, ra, rb, &o))
            continue;
        merge(&cs, ra, rb);
    }

    size_t nc = 0;
    for (uint32_t i = 0; i < n; i++)
        if (cs.head[i] != UINT32_MAX && cs.size[i] >= o.min_support)
            rk[nc++] = (struct ranked){ cs.size[i], i };
    qsort(rk, nc, sizeof(*rk), cmp_ranked);
    struct lo_consensus_box *res = lo_arena_calloc(arena, nc ? nc : 1, sizeof(*res));
    if (!res)
        goto nomem;
    if (cluster_of)
        for (size_t i = 0; i < n; i++)
            cluster_of[i] = -1;
    for (size_t c = 0; c < nc; c++) {
        uint32_t r = rk[c].root;
        double sx = 0, sy = 0, sw = 0, sh = 0;
        for (uint32_t i = cs.head[r]; i != UINT32_MAX; i = cs.next[i]) {
            sx += boxes[i].x;
            sy += boxes[i].y;
            sw += boxes[i].w;
            sh += boxes[i].h;
            if (cluster_of)
                cluster_of[i] = (long)c;
        }
        double m = (double)cs.size[r];
        struct lo_consensus_box *cb = &res[c];
        cb->box = (struct lo_box){ sx / m, sy / m, sw / m, sh / m, boxes[r].cls };
        if (o.ignore_class)
            cb->box.cls = majority_class(&cs, boxes, r, scratch);
        cb->support = cs.size[r];
        double si = 0;
        for (uint32_t i = cs.head[r]; i != UINT32_MAX; i = cs.next[i])
            si += box_iou(&boxes[i], &cb->box);
        cb->mean_iou = si / m;
    }
    *out = res;
    *n_out = nc;
    rc = 0;
    goto done;
nomem:
    rc = lo_error_set(err, LO_ENOMEM, "out of memory consolidating boxes");
done:
    free(pairs);
    free(cs.head);
    free(cs.next);
    free(cs.tail);
    free(cs.root);
    free(cs.size);
    free(rk);
    free(scratch);
    return rc;
}

/* ---- spans ---- */

struct ann_span {
    uint32_t ann;
    int cls;
    size_t start, end;
};

static int cmp_ann_span(const void *x, const void *y)
{
    const struct ann_span *p = x, *q = y;
    if (p->ann != q->ann)
        return p->ann < q->ann ? -1 : 1;
    if (p->cls != q->cls)
        return p->cls < q->cls ? -1 : 1;
    if (p->start != q->start)
        return p->start < q->start ? -1 : 1;
    return (p->end > q->end) - (p->end < q->end);
}

struct event {
    size_t pos;
    uint32_t cls;   /* dense class index */
    int delta;      /* +1 a span begins, -1 one ends */
};

static int cmp_event(const void *x, const void *y)
{
    const struct event *p = x, *q = y;
    if (p->pos != q->pos)
        return p->pos < q->pos ? -1 : 1;
    return (p->delta > q->delta) - (p->delta < q->delta);
}

static uint32_t class_index(const int *classes, size_t k, int cls)
{
    size_t lo = 0, hi = k;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (classes[mid] < cls)
            lo = mid + 1;
        else
            hi = mid;
    }
    return (uint32_t)lo;
}

int lo_spans_consolidate(const struct lo_span *spans, const uint32_t *annotator, size_t n,
                         size_t min_support, struct lo_arena *arena,
                         struct lo_consensus_span **out, size_t *n_out, struct lo_error *err)
{
    *out = NULL;
    *n_out = 0;
    if (min_support == 0)
        min_support = 1;
    int rc = lo_spans_validate(spans, n, err);
    if (rc)
        return rc;
    if (n == 0)
        return 0;
    if (n >= UINT32_MAX / 2)
        return lo_error_set(err, LO_ELIMIT, "too many spans to consolidate");

    struct ann_span *as = malloc(n * sizeof(*as));
    int *classes = malloc(n * sizeof(*classes));
    struct event *ev = malloc(2 * n * sizeof(*ev));
    uint32_t *count = NULL, *starts = NULL, *active = NULL, *active_pos = NULL, *touched = NULL;
    if (!as || !classes || !ev)
        goto nomem;

    /* Classes, densely numbered in increasing code. */
    for (size_t i = 0; i < n; i++)
        classes[i] = spans[i].cls;
    qsort(classes, n, sizeof(*classes), cmp_int);
    size_t k = 1;
    for (size_t i = 1; i < n; i++)
        if (classes[i] != classes[k - 1])
            classes[k++] = classes[i];

    /* One vote per annotator per position and class: unite each annotator's overlapping spans
     * of a class. Touching spans stay apart so that their boundary still counts as a start. */
    for (size_t i = 0; i < n; i++)
        as[i] = (struct ann_span){ annotator[i], spans[i].cls, spans[i].start, spans[i].end };
    qsort(as, n, sizeof(*as), cmp_ann_span);
    size_t m = 0;
    for (size_t i = 1; i < n; i++) {
        if (as[i].ann == as[m].ann && as[i].cls == as[m].cls && as[i].start < as[m].end) {
            if (as[i].end > as[m].end)
                as[m].end = as[i].end;
        } else {
            as[++m] = as[i];
        }
    }
    m++;
    size_t ne = 0;
    for (size_t i = 0; i < m; i++) {
        uint32_t c = class_index(classes, k, as[i].cls);
        ev[ne++] = (struct event){ as[i].start, c, +1 };
        ev[ne++] = (struct event){ as[i].end, c, -1 };
    }
    qsort(ev, ne, sizeof(*ev), cmp_event);

    count = calloc(k, sizeof(*count));
    starts = calloc(k, sizeof(*starts));
    active = malloc(k * sizeof(*active));
    active_pos = malloc(k * sizeof(*active_pos));
    touched = malloc(ne * sizeof(*touched));
    struct lo_consensus_span *res = lo_arena_alloc(arena, ne * sizeof(*res));
    if (!count || !starts || !active || !active_pos || !touched || !res)
        goto nomem;

    size_t n_active = 0, nres = 0;
    bool open = false;
    for (size_t e = 0; e < ne;) {
        size_t pos = ev[e].pos, n_touched = 0;
        for (; e < ne && ev[e].pos == pos; e++) {
            uint32_t c = ev[e].cls;
            if (ev[e].delta > 0) {
                if (count[c] == 0) {
                    active_pos[c] = (uint32_t)n_active;
                    active[n_active++] = c;
                }
                count[c]++;
                if (starts[c] == 0)
                    touched[n_touched++] = c;
                starts[c]++;
            } else {
                count[c]--;
                if (count[c] == 0) {
                    uint32_t last = active[--n_active];
                    active[active_pos[c]] = last;
                    active_pos[last] = active_pos[c];
                }
            }
        }
        /* The winner on [pos, next event). */
        long best = -1;
        for (size_t a = 0; a < n_active; a++) {
            uint32_t c = active[a];
            if (count[c] < min_support)
                continue;
            if (best < 0 || count[c] > count[best] || (count[c] == count[best] && c < (uint32_t)best))
                best = (long)c;
        }
        bool split = best >= 0 && 2 * (size_t)starts[best] > count[best];
        if (open) {
            struct lo_consensus_span *cur = &res[nres - 1];
            bool same = best >= 0 && classes[best] == cur->span.cls && cur->span.end == pos;
            if (!same || split)
                open = false;
        }
        if (best >= 0) {
            if (!open) {
                res[nres++] = (struct lo_consensus_span){ { pos, pos, classes[best] },
                                                          count[best] };
                open = true;
            }
            struct lo_consensus_span *cur = &res[nres - 1];
            if (count[best] < cur->support)
                cur->support = count[best];
            if (e < ne)
                cur->span.end = ev[e].pos;
        }
        for (size_t t = 0; t < n_touched; t++)
            starts[touched[t]] = 0;
    }
    *out = res;
    *n_out = nres;
    rc = 0;
    goto done;
nomem:
    rc = lo_error_set(err, LO_ENOMEM, "out of memory consolidating spans");
done:
    free(as);
    free(classes);
    free(ev);
    free(count);
    free(starts);
    free(active);
    free(active_pos);
    free(touched);
    return rc;
}
