/*
 * store_wf.h - the workflow part of the persistence interface (migration 3): workflow
 * configurations, tasks (an item's workflow state and counters), leases, the items a user has
 * seen, workers (a user's standing in a project), reviews and flags.
 *
 * Reached as st->ops->wf. Same rules as store.h: the caller owns the transaction, strings read
 * are copied into the caller's arena, errors are negative enum lo_err with err filled. The
 * operations are deliberately small: the workflow's decisions are made in app/workflow.c with
 * workflow/workflow.h, and the store only reads and writes rows.
 */
#ifndef LO_STORE_STORE_WF_H
#define LO_STORE_STORE_WF_H

#include <stdbool.h>
#include <stdint.h>

#include "base/arena.h"
#include "base/err.h"

struct lo_store;
struct lo_event;
struct lo_item;
struct lo_prediction;

struct lo_task_row {
    int64_t item_id;
    int64_t project_id;
    const char *state;            /* lo_wf_state_name */
    int priority;
    int wanted, done, leased, rounds;
    bool is_gold;
    int64_t assignee;             /* 0: none */
    int64_t review_annotation;    /* 0: none */
    const char *skills;           /* "" when none */
    double score;                 /* NAN when none */
    const char *final_json;       /* NULL until complete */
    double confidence;            /* NAN when none */
    const char *method;           /* NULL until complete */
    int64_t state_ms, created_ms;
    int64_t lot_id;               /* lot-based review: its lot, 0: none */
    bool lot_hold;                /* waits for its lot's verdict (not offered to reviewers) */
};

/* A lot of lot-based review. */
struct lo_lot_row {
    int64_t id, project_id, vendor_id;
    const char *state;            /* open, sampling, accepted, rejected */
    long size, items, sample;
    int ac, re;
    long reviewed, defects;
    int64_t created_ms, decided_ms;
};

struct lo_lease_row {
    const char *id;
    int64_t project_id, item_id, user_id;
    const char *kind;             /* label, rework, review, adjudicate */
    int64_t annotation_id;        /* 0: none */
    const char *state;            /* live, done, released, expired */
    int64_t created_ms, expires_ms;
    const char *draft_json;       /* NULL: none */
    int64_t draft_ms;
    const char *idem_key;         /* the submit's Idempotency-Key, NULL: none */
    const char *answer_json;      /* the submit's answer, kept for a repeat of the key */
};

struct lo_worker_row {
    int64_t project_id, user_id, vendor_id;
    bool paused;
    int64_t paused_ms;
    const char *pause_reason;     /* NULL: none */
    double p_below;               /* NAN: not judged yet */
    const char *skills;
    int cap_per_day;              /* 0: the project's */
    int64_t labels, day, labels_day, gold_correct, gold_total;
    /* The gold record just before the first gold answer of UTC day gold_day (days since the
     * epoch; 0: none yet), with the p_below of that record: what an annotator is shown of their
     * own record on that day when feedback is off (docs/decisions/0008-item-workflow-view.md). */
    int64_t gold_day, gold_day_correct, gold_day_total;
    double gold_day_p_below;      /* NAN: not judged yet */
};

/* A workflow annotation: the common fields plus author id, status, version, pre-label use. */
struct lo_wf_annotation {
    int64_t id, item_id, user_id;
    const char *annotator;
    const char *value_json;
    int64_t created_ms;
    int guideline_version, schema_version;
    const char *stage;            /* label, rework, review, adjudicate */
    const char *lease_id;
    double working_seconds;
    const char *status;           /* active, rejected, superseded, invalidated */
    int version;
    const char *prelabel;         /* NULL, "accepted", "edited" */
};

struct lo_review_row {
    int64_t id, item_id, annotation_id, author_id;
    const char *reviewer;
    const char *verdict;          /* accept, fix, reject */
    const char *reasons_json;
    const char *comment;
    int64_t created_ms;
};

struct lo_flag_row {
    int64_t id, project_id, item_id;
    const char *user_name, *reason, *comment, *prior_state;
    int64_t created_ms, resolved_ms;
};

/* Items per state of a project's workflow. */
struct lo_wf_counts {
    int64_t queued, in_review, rework, adjudication, escalated, complete;
};

typedef int (*lo_task_row_cb)(void *ctx, const struct lo_task_row *t);
typedef int (*lo_wf_annotation_cb)(void *ctx, const struct lo_wf_annotation *a);
typedef int (*lo_worker_row_cb)(void *ctx, const struct lo_worker_row *w);
typedef int (*lo_review_row_cb)(void *ctx, const struct lo_review_row *r);
typedef int (*lo_flag_row_cb)(void *ctx, const struct lo_flag_row *f);
/* How many labels a new task wants, and whether its item has a gold answer. */
typedef int (*lo_task_wanted_fn)(void *ctx, int64_t item_id, bool is_gold);

struct lo_wf_store_ops {
    /* The project's configuration; LO_ENOTFOUND when it has none. put stores a new version. */
    int (*config_get)(struct lo_store *st, int64_t project_id, struct lo_arena *arena,
                      const char **json_out, int *version_out, struct lo_error *err);
    int (*config_put)(struct lo_store *st, int64_t project_id, const char *json, int64_t now_ms,
                      int *version_out, struct lo_error *err);

    /* Creates a task (state queued) for every item of the project without one; wanted(ctx,
     * item, is_gold) gives its labels wanted. Skill tags come from the item payload's
     * "skills" array and its "language" ("lang:" + code), the score from its least confident
     * prediction, the priority from its "priority" integer. *added receives the count. */
    int (*task_sync)(struct lo_store *st, int64_t project_id, int64_t now_ms,
                     lo_task_wanted_fn wanted, void *ctx, int64_t *added, struct lo_error *err);
    int (*task_get)(struct lo_store *st, int64_t item_id, struct lo_arena *arena,
                    struct lo_task_row *out, struct lo_error *err);
    /* Writes every mutable column of t (by t->item_id). */
    int (*task_put)(struct lo_store *st, const struct lo_task_row *t, struct lo_error *err);
    /* Queued tasks with room (done + leased < wanted; any gold task when gold) that user_id has
     * not seen, in priority order (then least score first with by_score, then item id), at
     * most limit of them. */
    int (*task_candidates)(struct lo_store *st, int64_t project_id, int64_t user_id, bool gold,
                           bool by_score, int limit, struct lo_arena *arena, lo_task_row_cb cb,
                           void *ctx, struct lo_error *err);
    /* The first task in state (in_review, adjudication, rework ...) with no live lease of
     * lease_kind; with not_author, skips labels written by not_author and items that user
     * was given or skipped before (seen); rework only those assigned to assignee (0: any).
     * LO_ENOTFOUND when none. */
    int (*task_next_in_state)(struct lo_store *st, int64_t project_id, const char *state,
                              const char *lease_kind, int64_t not_author, int64_t assignee,
                              int64_t *item_out, struct lo_error *err);
    int (*task_counts)(struct lo_store *st, int64_t project_id, struct lo_wf_counts *out,
                       struct lo_error *err);
    /* How many tasks task_candidates could still return to user_id, gold and regular together:
     * queued, with room or gold, on items user_id has not seen. */
    int (*task_count_open)(struct lo_store *st, int64_t project_id, int64_t user_id,
                           int64_t *out, struct lo_error *err);
    /* Tasks not complete created before cutoff_ms, oldest first, at most limit. */
    int (*task_overdue)(struct lo_store *st, int64_t project_id, int64_t cutoff_ms, int limit,
                        struct lo_arena *arena, lo_task_row_cb cb, void *ctx,
                        struct lo_error *err);

    int (*lease_create)(struct lo_store *st, const struct lo_lease_row *l, struct lo_error *err);
    int (*lease_get)(struct lo_store *st, const char *id, struct lo_arena *arena,
                     struct lo_lease_row *out, struct lo_error *err);
    /* Writes state, expires_ms, draft_json, draft_ms, idem_key and answer_json of l (by id). */
    int (*lease_put)(struct lo_store *st, const struct lo_lease_row *l, struct lo_error *err);
    /* The user's oldest live lease of kind (or kind2, NULL: none) in the project;
     * LO_ENOTFOUND when none. */
    int (*lease_live_for)(struct lo_store *st, int64_t project_id, int64_t user_id,
                          const char *kind, const char *kind2, struct lo_arena *arena,
                          struct lo_lease_row *out, struct lo_error *err);
    /* Marks live leases of the project that expired before now_ms as expired and calls cb with
     * each (cb fixes the task counters). */
    int (*lease_expire)(struct lo_store *st, int64_t project_id, int64_t now_ms,
                        struct lo_arena *arena,
                        int (*cb)(void *ctx, const struct lo_lease_row *l), void *ctx,
                        struct lo_error *err);
    /* Another live lease (not except_id) on the item; true in *out when there is one. */
    int (*lease_other_live)(struct lo_store *st, int64_t item_id, const char *except_id,
                            bool *out, struct lo_error *err);

    int (*seen_add)(struct lo_store *st, int64_t user_id, int64_t item_id, struct lo_error *err);

    /* A missing worker row reads as the defaults (found false). */
    int (*worker_get)(struct lo_store *st, int64_t project_id, int64_t user_id,
                      struct lo_arena *arena, struct lo_worker_row *out, bool *found,
                      struct lo_error *err);
    int (*worker_put)(struct lo_store *st, const struct lo_worker_row *w, struct lo_error *err);
    int (*worker_list)(struct lo_store *st, int64_t project_id, struct lo_arena *arena,
                       lo_worker_row_cb cb, void *ctx, struct lo_error *err);
    /* Labels so far by the vendor's workers in the project, and by everyone. */
    int (*vendor_labels)(struct lo_store *st, int64_t project_id, int64_t vendor_id,
                         int64_t *vendor_out, int64_t *all_out, struct lo_error *err);

    int (*annotation_add)(struct lo_store *st, const struct lo_wf_annotation *a,
                          int64_t *id_out, struct lo_error *err);
    int (*annotation_get)(struct lo_store *st, int64_t id, struct lo_arena *arena,
                          struct lo_wf_annotation *out, struct lo_error *err);
    /* The item's annotations with the given status (NULL: all) in id order. */
    int (*annotation_list)(struct lo_store *st, int64_t item_id, const char *status,
                           struct lo_arena *arena, lo_wf_annotation_cb cb, void *ctx,
                           struct lo_error *err);
    int (*annotation_set_status)(struct lo_store *st, int64_t id, const char *status,
                                 struct lo_error *err);
    /* Replaces the value when the stored version is expected_version (then version + 1);
     * LO_ECONFLICT when it is not. */
    int (*annotation_edit)(struct lo_store *st, int64_t id, int expected_version,
                           const char *value_json, struct lo_error *err);
    /* Marks the user's active annotations in the project made at or after since_ms
     * invalidated and calls cb with each. */
    int (*annotation_invalidate)(struct lo_store *st, int64_t project_id, int64_t user_id,
                                 int64_t since_ms, struct lo_arena *arena,
                                 lo_wf_annotation_cb cb, void *ctx, struct lo_error *err);
    /* The user's labels in the project since since_ms and their summed working seconds. */
    int (*annotation_tally)(struct lo_store *st, int64_t project_id, int64_t user_id,
                            int64_t since_ms, int64_t *labels_out, double *seconds_out,
                            struct lo_error *err);

    int (*review_add)(struct lo_store *st, const struct lo_review_row *r, int64_t *id_out,
                      struct lo_error *err);
    /* The newest review of the annotation; LO_ENOTFOUND when none. */
    int (*review_last)(struct lo_store *st, int64_t annotation_id, struct lo_arena *arena,
                       struct lo_review_row *out, struct lo_error *err);
    /* Reviews of labels by author_id in the project, newest first, at most limit. */
    int (*review_list_author)(struct lo_store *st, int64_t project_id, int64_t author_id,
                              int limit, struct lo_arena *arena, lo_review_row_cb cb, void *ctx,
                              struct lo_error *err);

    int (*flag_add)(struct lo_store *st, const struct lo_flag_row *f, int64_t *id_out,
                    struct lo_error *err);
    /* Resolves the item's open flags; *prior_state gets the state the first one came from. */
    int (*flag_resolve)(struct lo_store *st, int64_t item_id, int64_t now_ms,
                        struct lo_arena *arena, const char **prior_state, struct lo_error *err);
    int (*flag_list_open)(struct lo_store *st, int64_t project_id, int limit,
                          struct lo_arena *arena, lo_flag_row_cb cb, void *ctx,
                          struct lo_error *err);

    /* One item by id (gold_json too); LO_ENOTFOUND when none. */
    int (*item_get)(struct lo_store *st, int64_t item_id, struct lo_arena *arena,
                    struct lo_item *out, struct lo_error *err);
    /* The item's newest prediction; LO_ENOTFOUND when it has none. */
    int (*prediction_latest)(struct lo_store *st, int64_t item_id, struct lo_arena *arena,
                             struct lo_prediction *out, struct lo_error *err);
    /* Events about the item (object_type "item") in id order. */
    int (*event_list_item)(struct lo_store *st, int64_t item_id, struct lo_arena *arena,
                           int (*cb)(void *ctx, const struct lo_event *e), void *ctx,
                           struct lo_error *err);

    /* Every active annotation of the project's items in the workflow, in item order, with the
     * item's state and gold flag: cb(ctx, annotation, task state, is_gold). */
    int (*annotation_scan)(struct lo_store *st, int64_t project_id, struct lo_arena *arena,
                           int (*cb)(void *ctx, const struct lo_wf_annotation *a,
                                     const char *state, bool is_gold),
                           void *ctx, struct lo_error *err);

    /* Raises by bump the priority of the project's queued tasks created before cutoff_ms that
     * were not raised yet (priority < bump); *raised receives their count. */
    int (*task_escalate)(struct lo_store *st, int64_t project_id, int64_t cutoff_ms, int bump,
                         int64_t *raised, struct lo_error *err);
    /* Recomputes every task's least prediction score (after predictions are imported). */
    int (*task_rescore)(struct lo_store *st, int64_t project_id, struct lo_error *err);
    /* Tasks of the project not labeled yet (queued, nothing done or leased, not gold): calls
     * wanted(ctx, item, false) and stores the answer (a new overlap applies to them). */
    int (*task_rewant)(struct lo_store *st, int64_t project_id, lo_task_wanted_fn wanted,
                       void *ctx, struct lo_error *err);
    int (*seen_remove)(struct lo_store *st, int64_t user_id, int64_t item_id,
                       struct lo_error *err);
    /* The newest draft the user saved on the item under any lease (NULL when none). */
    int (*lease_last_draft)(struct lo_store *st, int64_t item_id, int64_t user_id,
                            struct lo_arena *arena, const char **draft_out,
                            struct lo_error *err);
    /* Whether the user was given or skipped the item. */
    int (*seen_has)(struct lo_store *st, int64_t user_id, int64_t item_id, bool *out,
                    struct lo_error *err);

    /* Lots: the open lot of (project, vendor) (LO_ENOTFOUND when none), one by id, create
     * (fills id), write back, and the tasks of a lot in item order. */
    int (*lot_open)(struct lo_store *st, int64_t project_id, int64_t vendor_id,
                    struct lo_lot_row *out, struct lo_arena *arena, struct lo_error *err);
    int (*lot_get)(struct lo_store *st, int64_t id, struct lo_lot_row *out,
                   struct lo_arena *arena, struct lo_error *err);
    int (*lot_create)(struct lo_store *st, struct lo_lot_row *l, struct lo_error *err);
    int (*lot_put)(struct lo_store *st, const struct lo_lot_row *l, struct lo_error *err);
    int (*lot_tasks)(struct lo_store *st, int64_t lot_id, struct lo_arena *arena,
                     lo_task_row_cb cb, void *ctx, struct lo_error *err);
    /* The project's lots, newest first, at most limit. */
    int (*lot_list)(struct lo_store *st, int64_t project_id, int limit, struct lo_arena *arena,
                    int (*cb)(void *ctx, const struct lo_lot_row *l), void *ctx,
                    struct lo_error *err);

    /* A project's name by id. */
    int (*project_name)(struct lo_store *st, int64_t project_id, struct lo_arena *arena,
                        const char **out, struct lo_error *err);

    /* SAVEPOINT / RELEASE / ROLLBACK TO inside a write transaction (the group-commit writer
     * runs each request's work in one). */
    int (*savepoint)(struct lo_store *st, struct lo_error *err);
    int (*savepoint_release)(struct lo_store *st, struct lo_error *err);
    int (*savepoint_rollback)(struct lo_store *st);
};

#endif
