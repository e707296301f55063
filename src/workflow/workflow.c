/*
 * workflow.c - the workflow's decisions: the item state machine, overlap, routing, review
 * sampling and the gold pause rule. Pure functions over facts the caller gathered.
 */
#include "workflow/workflow.h"

#include <math.h>
#include <stdlib.h>

#include "quality/audit.h"
#include "quality/inference.h"

static const char *const state_names[LO_WF_STATE_COUNT] = {
    "queued", "in_review", "rework", "adjudication", "escalated", "complete",
};

static const char *const event_names[LO_WF_EVENT_COUNT] = {
    "submit",       "needs_review", "accept",    "reject",      "rework_submit",
    "rework_limit", "more_labels",  "disagree",  "consolidate", "adjudicate",
    "flag",         "resolve_flag", "invalidate",
};

const char *lo_wf_state_name(enum lo_wf_state s)
{
    return (unsigned)s < LO_WF_STATE_COUNT ? state_names[s] : "unknown";
}

const char *lo_wf_event_name(enum lo_wf_event e)
{
    return (unsigned)e < LO_WF_EVENT_COUNT ? event_names[e] : "unknown";
}

/* The transition table: next[from][event], or -1 where the event is not allowed. A submitted
 * label either goes to review or is counted towards overlap, which then asks for more labels,
 * consolidates or sends the item to adjudication; so SUBMIT keeps an item QUEUED and the overlap
 * decision moves it on. */
#define X (-1)
static const signed char next_state[LO_WF_STATE_COUNT][LO_WF_EVENT_COUNT] = {
    /*              submit        needs_review     accept        reject        rework_submit
                    rework_limit  more_labels      disagree      consolidate   adjudicate
                    flag          resolve_flag     invalidate */
    [LO_WF_QUEUED] = { LO_WF_QUEUED, LO_WF_IN_REVIEW, X, X, X,
                       X, LO_WF_QUEUED, LO_WF_ADJUDICATION, LO_WF_COMPLETE, X,
                       LO_WF_ESCALATED, X, LO_WF_QUEUED },
    [LO_WF_IN_REVIEW] = { X, X, LO_WF_QUEUED, LO_WF_REWORK, X,
                          X, X, X, X, X,
                          X, X, LO_WF_QUEUED },
    [LO_WF_REWORK] = { X, X, X, X, LO_WF_IN_REVIEW,
                       LO_WF_ADJUDICATION, X, X, X, X,
                       LO_WF_ESCALATED, X, LO_WF_QUEUED },
    [LO_WF_ADJUDICATION] = { X, X, X, X, X,
                             X, X, X, X, LO_WF_COMPLETE,
                             LO_WF_ESCALATED, X, LO_WF_QUEUED },
    [LO_WF_ESCALATED] = { X, X, X, X, X,
                          X, X, X, X, X,
                          X, LO_WF_QUEUED, LO_WF_QUEUED },
    [LO_WF_COMPLETE] = { X, X, X, X, X,
                         X, X, X, X, X,
                         X, X, LO_WF_QUEUED },
};
#undef X

int lo_wf_transition(enum lo_wf_state from, enum lo_wf_event ev, enum lo_wf_state *to,
                     struct lo_error *err)
{
    if ((unsigned)from >= LO_WF_STATE_COUNT || (unsigned)ev >= LO_WF_EVENT_COUNT)
        return lo_error_set(err, LO_EINVAL, "unknown state or event");
    int n = next_state[from][ev];
    if (n < 0)
        return lo_error_set(err, LO_ECONFLICT, "an item that is %s cannot take '%s'",
                            state_names[from], event_names[ev]);
    *to = (enum lo_wf_state)n;
    return 0;
}

/* ---- overlap ----------------------------------------------------------------------------- */

static uint64_t mix64(uint64_t x)
{
    x ^= x >> 30;
    x *= 0xBF58476D1CE4E5B9ull;
    x ^= x >> 27;
    x *= 0x94D049BB133111EBull;
    return x ^ (x >> 31);
}

int lo_wf_fixed_overlap(const struct lo_wf_overlap *o, uint64_t item_id)
{
    if (o->k <= 1 || o->coverage <= 0)
        return 1;
    double u = (double)(mix64(item_id) >> 11) * 0x1.0p-53;
    return u < o->coverage ? o->k : 1;
}

enum lo_wf_overlap_decision lo_wf_dynamic_overlap(const struct lo_wf_overlap *o,
                                                  size_t n_classes, size_t n,
                                                  const uint32_t *labels, const double *q,
                                                  uint32_t *label, double *confidence)
{
    *label = 0;
    *confidence = 0;
    if (n == 0)
        return LO_WF_NEED_MORE;
    double stack[64];
    double *post = n_classes <= 64 ? stack : malloc(n_classes * sizeof(double));
    if (!post || lo_onecoin_posterior(n_classes, n, labels, q, NULL, post) != 0) {
        if (post != stack)
            free(post);
        return (int)n >= o->k_max ? LO_WF_ADJUDICATE : LO_WF_NEED_MORE;
    }
    size_t best = 0;
    for (size_t k = 1; k < n_classes; k++)
        if (post[k] > post[best])
            best = k;
    *label = (uint32_t)best;
    *confidence = post[best];
    if (post != stack)
        free(post);
    if ((int)n >= o->k_min && *confidence >= o->target)
        return LO_WF_DONE;
    if ((int)n >= o->k_max)
        return LO_WF_ADJUDICATE;
    return LO_WF_NEED_MORE;
}

/* ---- routing ----------------------------------------------------------------------------- */

static bool fits(const struct lo_wf_candidate *c, const struct lo_wf_worker *w)
{
    if (c->seen_by_worker && !c->rework_for_worker)
        return false;
    if (!c->rework_for_worker && c->labels_needed <= 0)
        return false;
    return (c->skill_mask & ~w->skill_mask) == 0;
}

/* Whether a should be served before b. */
static bool before(const struct lo_wf_candidate *a, const struct lo_wf_candidate *b,
                   const struct lo_wf_routing *r, int64_t now_ms)
{
    if (a->rework_for_worker != b->rework_for_worker)
        return a->rework_for_worker;
    if (r->turnaround_hours > 0) {
        int64_t limit = (int64_t)(r->turnaround_hours * 3600e3);
        bool late_a = now_ms - a->created_ms > limit, late_b = now_ms - b->created_ms > limit;
        if (late_a != late_b)
            return late_a;
    }
    if (a->priority != b->priority)
        return a->priority > b->priority;
    if (r->least_confident_first) {
        double sa = isnan(a->prediction_score) ? INFINITY : a->prediction_score;
        double sb = isnan(b->prediction_score) ? INFINITY : b->prediction_score;
        if (sa != sb)
            return sa < sb;
    }
    if (a->created_ms != b->created_ms)
        return a->created_ms < b->created_ms;
    return a->item_id < b->item_id;
}

long lo_wf_pick(const struct lo_wf_candidate *c, size_t n, const struct lo_wf_worker *w,
                const struct lo_wf_routing *r, int64_t now_ms, struct lo_rng *rng)
{
    if (w->paused || (w->cap > 0 && w->labels_today >= w->cap))
        return -1;
    /* Gold is drawn first, so that how often gold comes does not depend on the queue. */
    bool want_gold = r->gold_share > 0 && lo_rng_uniform(rng) < r->gold_share;
    long best = -1, best_gold = -1;
    for (size_t i = 0; i < n; i++) {
        if (!fits(&c[i], w))
            continue;
        if (c[i].is_gold && !c[i].rework_for_worker) {
            if (best_gold < 0 || before(&c[i], &c[best_gold], r, now_ms))
                best_gold = (long)i;
            continue;
        }
        if (best < 0 || before(&c[i], &c[best], r, now_ms))
            best = (long)i;
    }
    if (best >= 0 && c[best].rework_for_worker)
        return best;
    if (want_gold && best_gold >= 0)
        return best_gold;
    return best;
}

/* ---- review and gold --------------------------------------------------------------------- */

static int cmp_long(const void *a, const void *b)
{
    long x = *(const long *)a, y = *(const long *)b;
    return (x > y) - (x < y);
}

int lo_wf_lot_sample(long n_items, long sample_size, struct lo_rng *rng, long *sample,
                     struct lo_error *err)
{
    if (n_items < 1 || sample_size < 0 || sample_size > n_items)
        return lo_error_set(err, LO_EINVAL, "a sample of %ld from a lot of %ld items",
                            sample_size, n_items);
    /* Floyd: for j in n-m .. n-1 take t in [0, j]; if taken already, take j. The membership
     * test is a scan: samples are a few hundred items at most (code letter R: 2,000). */
    long m = 0;
    for (long j = n_items - sample_size; j < n_items; j++) {
        long t = (long)lo_rng_below(rng, (uint64_t)j + 1);
        bool taken = false;
        for (long k = 0; k < m && !taken; k++)
            taken = sample[k] == t;
        sample[m++] = taken ? j : t;
    }
    qsort(sample, (size_t)m, sizeof(long), cmp_long);
    return 0;
}

enum lo_wf_lot_verdict lo_wf_lot_verdict(int ac, int re, long defects)
{
    if (defects <= ac)
        return LO_WF_LOT_ACCEPT;
    if (defects >= re)
        return LO_WF_LOT_REJECT;
    return LO_WF_LOT_ACCEPT_RETURN;
}

static double prob_below(double a0, double b0, long correct, long total, double target)
{
    struct lo_beta prior = { a0 > 0 ? a0 : 1, b0 > 0 ? b0 : 1 }, post;
    if (lo_beta_posterior(prior, correct, total, &post, NULL) != 0)
        return 1;
    return lo_beta_prob_below(post, target);
}

bool lo_wf_review_pick(const struct lo_wf_review *r, long gold_correct, long gold_total,
                       struct lo_rng *rng)
{
    switch (r->mode) {
    case LO_WF_REVIEW_NONE:
        return false;
    case LO_WF_REVIEW_ALL:
        return true;
    case LO_WF_REVIEW_RANDOM:
        return lo_rng_uniform(rng) < r->share;
    case LO_WF_REVIEW_TRUST: {
        double p = prob_below(r->prior_a, r->prior_b, gold_correct, gold_total, r->target);
        if (p < r->floor)
            p = r->floor;
        return lo_rng_uniform(rng) < p;
    }
    }
    return true;
}

bool lo_wf_should_pause(const struct lo_wf_gold_rule *g, long gold_correct, long gold_total,
                        double *p_below)
{
    double p = prob_below(g->prior_a, g->prior_b, gold_correct, gold_total, g->target);
    if (p_below)
        *p_below = p;
    return gold_total >= g->min_gold && p >= g->certainty;
}
