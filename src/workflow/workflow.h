/*
 * workflow.h - the decisions of a labeling workflow, as pure functions: which state an item
 * moves to, which item a worker gets next, whether an item needs another label, whether a label
 * goes to review, whether an annotator is paused.
 *
 * Pure domain code: no SQL, no HTTP, no clock or randomness of its own (the caller passes a
 * struct lo_rng and "now"). The server's use cases (app/) load the facts from the store, ask
 * these functions, and record what they decided as events. See docs/workflow.md.
 */
#ifndef LO_WORKFLOW_WORKFLOW_H
#define LO_WORKFLOW_WORKFLOW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/err.h"
#include "base/rng.h"

/* ---- item states ------------------------------------------------------------------------- */

enum lo_wf_state {
    LO_WF_QUEUED,        /* needs (more) labels */
    LO_WF_IN_REVIEW,     /* a label waits for a reviewer */
    LO_WF_REWORK,        /* a reviewer rejected a label: back to its annotator */
    LO_WF_ADJUDICATION,  /* annotators disagree, or confidence stays low at k_max */
    LO_WF_ESCALATED,     /* flagged by an annotator: in the manager's queue */
    LO_WF_COMPLETE,      /* final label computed */
    LO_WF_STATE_COUNT,
};

enum lo_wf_event {
    LO_WF_EV_SUBMIT,          /* an annotator submits a fresh label */
    LO_WF_EV_NEEDS_REVIEW,    /* the review policy picked the label */
    LO_WF_EV_ACCEPT,          /* a reviewer accepts (or fixes and accepts) */
    LO_WF_EV_REJECT,          /* a reviewer rejects with reasons */
    LO_WF_EV_REWORK_SUBMIT,   /* the annotator resubmits after a reject */
    LO_WF_EV_REWORK_LIMIT,    /* N rework rounds used up */
    LO_WF_EV_MORE_LABELS,     /* the overlap rule wants another label */
    LO_WF_EV_DISAGREE,        /* the overlap rule gives up at k_max: adjudicate */
    LO_WF_EV_CONSOLIDATE,     /* the overlap rule is satisfied: final label */
    LO_WF_EV_ADJUDICATE,      /* an adjudicator decides */
    LO_WF_EV_FLAG,            /* an annotator flags the item */
    LO_WF_EV_RESOLVE_FLAG,    /* the manager sends it back to the queue */
    LO_WF_EV_INVALIDATE,      /* labels invalidated (a paused annotator's): label again */
    LO_WF_EVENT_COUNT,
};

const char *lo_wf_state_name(enum lo_wf_state s);
const char *lo_wf_event_name(enum lo_wf_event e);

/* The state after event in state from; LO_ECONFLICT (with a message naming both) when the
 * transition is not allowed. */
int lo_wf_transition(enum lo_wf_state from, enum lo_wf_event ev, enum lo_wf_state *to,
                     struct lo_error *err);

/* ---- overlap ----------------------------------------------------------------------------- */

struct lo_wf_overlap {
    int k;               /* fixed overlap on covered items (>= 1) */
    double coverage;     /* share of items labeled k times, the rest once (0..1) */
    bool dynamic;        /* dynamic overlap: k_min .. k_max until confidence >= target */
    int k_min, k_max;
    double target;       /* consensus confidence to stop at (e.g. 0.95) */
};

/* How many labels an item gets under a fixed overlap: k when the item falls in the covered share
 * (decided by a hash of its id, so the same item always gets the same answer), else 1. */
int lo_wf_fixed_overlap(const struct lo_wf_overlap *o, uint64_t item_id);

enum lo_wf_overlap_decision {
    LO_WF_NEED_MORE,     /* hand the item to another annotator */
    LO_WF_DONE,          /* consolidate: the final label is confident enough */
    LO_WF_ADJUDICATE,    /* k_max reached and still not confident */
};

/* Dynamic overlap for one item: annotators with estimated accuracies q[j] gave labels[j]
 * (n_classes classes). Computes the one-coin posterior; *label and *confidence receive its
 * most probable class and that class's posterior. */
enum lo_wf_overlap_decision lo_wf_dynamic_overlap(const struct lo_wf_overlap *o,
                                                  size_t n_classes, size_t n,
                                                  const uint32_t *labels, const double *q,
                                                  uint32_t *label, double *confidence);

/* ---- routing ----------------------------------------------------------------------------- */

struct lo_wf_candidate {
    uint64_t item_id;
    int priority;            /* higher first */
    int64_t created_ms;      /* for age against the turnaround target */
    int labels_needed;       /* labels still wanted (overlap minus done minus leased) */
    uint32_t skill_mask;     /* skills the item requires (bit set) */
    double prediction_score; /* model confidence, NAN when none */
    bool is_gold;
    bool rework_for_worker;  /* a rejected label of this worker waits on it */
    bool seen_by_worker;     /* the worker labeled it already (never twice, but rework) */
};

struct lo_wf_worker {
    uint32_t skill_mask;     /* skills the worker has */
    int labels_today;
    int cap;                 /* most labels per day, 0 = none */
    bool paused;
};

struct lo_wf_routing {
    double gold_share;       /* share of served tasks that are gold (0..1) */
    double turnaround_hours; /* items older than this rise in priority; 0 = off */
    bool least_confident_first; /* order by prediction score ascending */
};

/* Index of the candidate the worker gets next, or -1 when none fits (or the worker is paused
 * or at their cap). Order: the worker's rework first; then items past the turnaround target;
 * then priority; then (optionally) the least confident prediction; then the oldest. A gold item
 * is served with probability gold_share, drawn from rng, and otherwise never. */
long lo_wf_pick(const struct lo_wf_candidate *c, size_t n, const struct lo_wf_worker *w,
                const struct lo_wf_routing *r, int64_t now_ms, struct lo_rng *rng);

/* ---- review and gold --------------------------------------------------------------------- */

enum lo_wf_review_mode {
    LO_WF_REVIEW_NONE,
    LO_WF_REVIEW_ALL,
    LO_WF_REVIEW_RANDOM,     /* a share of labels */
    LO_WF_REVIEW_TRUST,      /* probability P(accuracy < target) from the annotator's gold */
};

struct lo_wf_review {
    enum lo_wf_review_mode mode;
    double share;            /* RANDOM: the share reviewed */
    double target;           /* TRUST: the accuracy target */
    double prior_a, prior_b; /* TRUST: Beta prior of an accuracy */
    double floor;            /* TRUST: the least review probability (keeps trusted people honest) */
};

/* Whether a label of an annotator with gold record correct/total goes to review. */
bool lo_wf_review_pick(const struct lo_wf_review *r, long gold_correct, long gold_total,
                       struct lo_rng *rng);

/* Lot-based review (acceptance sampling, ANSI/ASQ Z1.4 through quality/sampling.h): the plan's
 * sample of a lot of n_items is drawn at random (Floyd's algorithm, sample[] gets the indices,
 * sorted); after review, lo_wf_lot_verdict says whether the lot passes with the defects found
 * in the sample. A rejected lot sends all of its items to review. */
int lo_wf_lot_sample(long n_items, long sample_size, struct lo_rng *rng, long *sample,
                     struct lo_error *err);

enum lo_wf_lot_verdict {
    LO_WF_LOT_ACCEPT,        /* defects <= Ac */
    LO_WF_LOT_REJECT,        /* defects >= Re: review every item of the lot */
    LO_WF_LOT_ACCEPT_RETURN, /* reduced inspection, Ac < defects < Re: accept, return to normal */
};

enum lo_wf_lot_verdict lo_wf_lot_verdict(int ac, int re, long defects);

struct lo_wf_gold_rule {
    double target;           /* accuracy target */
    double certainty;        /* pause when P(accuracy < target) >= certainty */
    long min_gold;           /* do not judge on fewer gold answers */
    double prior_a, prior_b;
};

/* Whether an annotator with this gold record is paused; *p_below receives P(acc < target). */
bool lo_wf_should_pause(const struct lo_wf_gold_rule *g, long gold_correct, long gold_total,
                        double *p_below);

#endif
