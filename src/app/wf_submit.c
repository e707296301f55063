/*
 * wf_submit.c - finishing tasks (workflow.h): a label, a rework, a review verdict, an
 * adjudication; what happens to the item then (review, overlap, consolidation, adjudication)
 * and lot-based review.
 */
#include <math.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/app_int.h"
#include "app/wf_int.h"
#include "app/workflow.h"
#include "app/writer.h"
#include "base/json.h"
#include "base/limits.h"
#include "quality/consolidate.h"
#include "quality/inference.h"
#include "quality/sampling.h"

/* ---- consolidation and overlap ------------------------------------------------------------ */

struct label_set {
    size_t n, cap;
    uint32_t *labels;
    double *q;
    int64_t *ann;
    const char **value;      /* the whole value object, as stored */
};

struct collect_ctx {
    struct lo_app *app;
    const struct wf_project *w;
    struct label_set *ls;
    struct lo_arena *arena;
    struct lo_error *err;
};

/* Class index of a's value for the compared field (single choice: schema order; rating: step
 * index from min), or -1 when the value has none. */
static long class_of(const struct lo_schema_field *f, const char *value_json)
{
    json_t *v = json_loads(value_json, 0, NULL);
    json_t *fv = v ? json_object_get(v, f->name) : NULL;
    long k = -1;
    if (f->type == LO_FIELD_SINGLE_CHOICE && json_is_string(fv))
        k = lo_schema_class_index(f, lo_str_from(json_string_value(fv)));
    else if (f->type == LO_FIELD_RATING && json_is_number(fv)) {
        double step = f->has_step && f->step > 0 ? f->step : 1.0;
        k = lround((json_number_value(fv) - f->min) / step);
    }
    json_decref(v);
    return k;
}

static size_t class_count(const struct lo_schema_field *f)
{
    if (f->type == LO_FIELD_SINGLE_CHOICE)
        return f->n_classes;
    double step = f->has_step && f->step > 0 ? f->step : 1.0;
    return (size_t)lround((f->max - f->min) / step) + 1;
}

static int collect_cb(void *ctx, const struct lo_wf_annotation *a)
{
    struct collect_ctx *c = ctx;
    struct label_set *ls = c->ls;
    if (ls->n == ls->cap) {
        size_t cap = ls->cap ? ls->cap * 2 : 8;
        uint32_t *lb = lo_arena_alloc(c->arena, cap * sizeof(*lb));
        double *q = lo_arena_alloc(c->arena, cap * sizeof(*q));
        int64_t *an = lo_arena_alloc(c->arena, cap * sizeof(*an));
        const char **vv = lo_arena_alloc(c->arena, cap * sizeof(*vv));
        if (!lb || !q || !an || !vv)
            return lo_error_set(c->err, LO_ENOMEM, "out of memory");
        if (ls->n) {
            memcpy(lb, ls->labels, ls->n * sizeof(*lb));
            memcpy(q, ls->q, ls->n * sizeof(*q));
            memcpy(an, ls->ann, ls->n * sizeof(*an));
            memcpy(vv, ls->value, ls->n * sizeof(*vv));
        }
        ls->labels = lb, ls->q = q, ls->ann = an, ls->value = vv, ls->cap = cap;
    }
    long k = c->w->field ? class_of(c->w->field, a->value_json) : 0;
    if (k < 0)
        return 0; /* the label leaves the compared field empty: it does not vote */
    /* The annotator's accuracy: the posterior mean of their gold record under Beta(1,1). */
    struct lo_worker_row wk;
    bool found;
    int rc = c->app->store->ops->wf->worker_get(c->app->store, c->w->p.id, a->user_id, c->arena,
                                               &wk, &found, c->err);
    if (rc)
        return rc;
    ls->labels[ls->n] = (uint32_t)k;
    ls->q[ls->n] = ((double)wk.gold_correct + 1.0) / ((double)wk.gold_total + 2.0);
    ls->ann[ls->n] = a->id;
    ls->value[ls->n] = a->value_json;
    ls->n++;
    return 0;
}

/* The schema's first boxes or spans field, or NULL. */
static const struct lo_schema_field *structured_field(const struct lo_schema *s)
{
    for (size_t i = 0; s && i < lo_schema_field_count(s); i++) {
        const struct lo_schema_field *f = lo_schema_field_at(s, i);
        if (f->type == LO_FIELD_BOXES || f->type == LO_FIELD_SPANS)
            return f;
    }
    return NULL;
}

/* How the annotators' objects split, found by consolidating with a support of 1 (every object
 * anyone drew): tie, some object was drawn by exactly half of them (the majority rule's tie);
 * partial, some object was not drawn by all of them. */
struct structured_vote {
    bool tie;
    bool partial;
};

static void vote_note(struct structured_vote *v, size_t support, size_t n)
{
    if (2 * support == n)
        v->tie = true;
    if (support < n)
        v->partial = true;
}

/* Box or span consolidation of n labels (values[i], whole value objects) on field f: an
 * object is kept when a majority of the annotators drew it (boxes clustered at IoU >= 0.5 with
 * one class, spans by a vote on every character; quality/consolidate.h). *final_out is the
 * first label's value with f replaced by the consensus (malloc'd JSON text); *confidence the
 * mean share of annotators behind each kept object (1 when all agree there is none); *vote how
 * the objects split (struct structured_vote). */
static int consolidate_structured(const struct lo_schema_field *f, const char *const *values,
                                  size_t n, struct lo_arena *arena, char **final_out,
                                  double *confidence, struct structured_vote *vote,
                                  struct lo_error *err)
{
    size_t cap = 0, m = 0;
    json_t **docs = calloc(n, sizeof(*docs));
    if (!docs)
        return lo_error_set(err, LO_ENOMEM, "out of memory");
    for (size_t i = 0; i < n; i++) {
        docs[i] = json_loads(values[i], 0, NULL);
        cap += json_array_size(json_object_get(docs[i], f->name));
    }
    struct lo_box *boxes = lo_arena_calloc(arena, cap + 1, sizeof(*boxes));
    struct lo_span *spans = lo_arena_calloc(arena, cap + 1, sizeof(*spans));
    uint32_t *who = lo_arena_calloc(arena, cap + 1, sizeof(*who));
    int rc = boxes && spans && who ? 0 : lo_error_set(err, LO_ENOMEM, "out of memory");
    for (size_t i = 0; i < n && !rc; i++) {
        size_t k;
        json_t *o;
        json_array_foreach(json_object_get(docs[i], f->name), k, o) {
            const char *label = json_string_value(json_object_get(o, "label"));
            long cls = label ? lo_schema_class_index(f, lo_str_from(label)) : -1;
            if (cls < 0)
                continue; /* validated on submit: cannot happen */
            if (f->type == LO_FIELD_BOXES)
                boxes[m] = (struct lo_box){ json_number_value(json_object_get(o, "x")),
                                            json_number_value(json_object_get(o, "y")),
                                            json_number_value(json_object_get(o, "w")),
                                            json_number_value(json_object_get(o, "h")),
                                            (int)cls };
            else
                spans[m] = (struct lo_span){
                    (size_t)json_integer_value(json_object_get(o, "start")),
                    (size_t)json_integer_value(json_object_get(o, "end")), (int)cls };
            who[m++] = (uint32_t)i;
        }
    }
    size_t majority = n / 2 + 1, nout = 0;
    json_t *arr = json_array();
    double support = 0;
    if (!rc && f->type == LO_FIELD_BOXES) {
        /* The clusters do not depend on min_support: every cluster once, those with a
         * majority kept. */
        struct lo_box_consolidate_opts o = lo_box_consolidate_defaults();
        o.min_support = 1;
        struct lo_consensus_box *cb = NULL;
        size_t nall = 0;
        rc = lo_boxes_consolidate(boxes, who, m, &o, arena, &cb, &nall, NULL, err);
        for (size_t i = 0; !rc && i < nall; i++) {
            vote_note(vote, cb[i].support, n);
            if (cb[i].support < majority)
                continue;
            nout++;
            json_array_append_new(arr, json_pack("{s:f, s:f, s:f, s:f, s:s}", "x", cb[i].box.x,
                                                 "y", cb[i].box.y, "w", cb[i].box.w, "h",
                                                 cb[i].box.h, "label",
                                                 f->classes[cb[i].box.cls]));
            support += (double)cb[i].support / (double)n;
        }
    } else if (!rc) {
        struct lo_consensus_span *cs = NULL;
        rc = lo_spans_consolidate(spans, who, m, majority, arena, &cs, &nout, err);
        struct lo_consensus_span *all = NULL;
        size_t nall = 0;
        if (!rc)
            rc = lo_spans_consolidate(spans, who, m, 1, arena, &all, &nall, err);
        for (size_t i = 0; !rc && i < nall; i++)
            vote_note(vote, all[i].support, n);
        for (size_t i = 0; !rc && i < nout; i++) {
            json_array_append_new(arr, json_pack("{s:I, s:I, s:s}", "start",
                                                 (json_int_t)cs[i].span.start, "end",
                                                 (json_int_t)cs[i].span.end, "label",
                                                 f->classes[cs[i].span.cls]));
            support += (double)cs[i].support / (double)n;
        }
    }
    if (!rc) {
        json_t *final = json_is_object(docs[0]) ? json_deep_copy(docs[0]) : json_object();
        json_object_set(final, f->name, arr);
        *final_out = lo_json_dump(final);
        json_decref(final);
        *confidence = nout ? support / (double)nout : 1.0;
        if (!*final_out)
            rc = lo_error_set(err, LO_ENOMEM, "out of memory");
    }
    json_decref(arr);
    for (size_t i = 0; i < n; i++)
        json_decref(docs[i]);
    free(docs);
    return rc;
}

/* The consensus of all of an item's active labels on the schema's boxes or spans field (arena
 * text), its confidence, how the objects split, and *n_labels (when not NULL) how many labels
 * it merged. */
static int merge_structured(struct lo_app *app, const struct wf_project *w, int64_t item_id,
                            struct lo_arena *arena, const char **final_out, double *confidence,
                            struct structured_vote *vote, size_t *n_labels, struct lo_error *err)
{
    struct label_set all = { 0 };
    struct wf_project plain = { .p = w->p };
    struct collect_ctx c2 = { app, &plain, &all, arena, err };
    char *merged = NULL;
    int rc = app->store->ops->wf->annotation_list(app->store, item_id, "active", arena,
                                                  collect_cb, &c2, err);
    if (!rc)
        rc = consolidate_structured(structured_field(w->schema), all.value, all.n, arena,
                                    &merged, confidence, vote, err);
    if (rc)
        return rc;
    if (n_labels)
        *n_labels = all.n;
    *final_out = lo_arena_strndup(arena, merged, strlen(merged));
    free(merged);
    return *final_out ? 0 : lo_error_set(err, LO_ENOMEM, "out of memory");
}

int lo__wf_merged_objects(struct lo_app *app, const struct wf_project *w, int64_t item_id,
                          struct lo_arena *arena, json_t **out, struct lo_error *err)
{
    *out = NULL;
    const struct lo_schema_field *f = structured_field(w->schema);
    if (!f)
        return 0;
    const char *merged = NULL;
    double conf = 0;
    struct structured_vote vote = { 0 };
    size_t n = 0;
    int rc = merge_structured(app, w, item_id, arena, &merged, &conf, &vote, &n, err);
    if (rc || n < 2)
        return rc;
    json_t *doc = json_loads(merged, 0, NULL);
    json_t *objects = json_object_get(doc, f->name);
    if (objects)
        *out = json_pack("{s:O}", f->name, objects);
    json_decref(doc);
    return *out ? 0 : lo_error_set(err, LO_ENOMEM, "out of memory");
}

/* The item has a new accepted label, or lost one: decide whether it needs more, is complete,
 * or goes to adjudication, and record it. t is in state queued. */
int lo__wf_decide(struct lo_app *app, const struct wf_project *w, struct lo_task_row *t,
                  int64_t now, struct lo_arena *arena, struct lo_error *err)
{
    return lo__wf_decide_final(app, w, t, now, false, arena, err);
}

/* With refinal, t is complete and one of its labels changed: its final label is computed again
 * when the labels still decide it (and left as it was when they no longer agree). */
int lo__wf_decide_final(struct lo_app *app, const struct wf_project *w, struct lo_task_row *t,
                        int64_t now, bool refinal, struct lo_arena *arena,
                        struct lo_error *err)
{
    struct lo_store *st = app->store;
    if (t->is_gold)
        return st->ops->wf->task_put(st, t, err);
    struct label_set ls = { 0 };
    struct collect_ctx cc = { app, w, &ls, arena, err };
    int rc = st->ops->wf->annotation_list(st, t->item_id, "active", arena, collect_cb, &cc, err);
    if (rc)
        return rc;
    const struct lo_wf_overlap *o = &w->cfg.overlap;
    enum lo_wf_overlap_decision d;
    uint32_t label = 0;
    double conf = NAN;
    const char *method = "single";
    const char *merged_final = NULL; /* the boxes or spans consensus, when method is that */
    bool comparable = w->field != NULL;
    size_t n_classes = comparable ? class_count(w->field) : 0;
    if (t->done < t->wanted) {
        d = LO_WF_NEED_MORE;
    } else if (!comparable || ls.n == 0) {
        /* Nothing to vote on: one label decides; several boxes or spans labels are merged
         * object by object, unless the objects split as the project's adjudicate_on says
         * (a tie: an object drawn by exactly half; any disagreement: one not drawn by all);
         * other fields (free text) go to an adjudicator, who composes the final. */
        d = LO_WF_DONE;
        method = "single";
        if (t->done > 1 && structured_field(w->schema)) {
            method = "consensus";
            struct structured_vote vote = { 0 };
            rc = merge_structured(app, w, t->item_id, arena, &merged_final, &conf, &vote, NULL,
                                  err);
            if (rc)
                return rc;
            if (w->cfg.adjudicate_on == LO_WF_DISAGREE_ANY ? vote.partial : vote.tie)
                d = LO_WF_ADJUDICATE;
        } else if (t->done > 1) {
            d = LO_WF_ADJUDICATE;
        }
    } else if (o->dynamic && n_classes >= 2) {
        d = lo_wf_dynamic_overlap(o, n_classes, ls.n, ls.labels, ls.q, &label, &conf);
        method = "onecoin";
        if (d == LO_WF_NEED_MORE && t->done >= o->k_max)
            d = LO_WF_ADJUDICATE;
    } else if (w->cfg.consolidation == LO_WF_CONS_ONECOIN && n_classes >= 2) {
        double *post = lo_arena_alloc(arena, n_classes * sizeof(double));
        if (!post)
            return lo_error_set(err, LO_ENOMEM, "out of memory");
        rc = lo_onecoin_posterior(n_classes, ls.n, ls.labels, ls.q, NULL, post);
        if (rc)
            return lo_error_set(err, rc, "computing the one-coin posterior");
        for (size_t k = 1; k < n_classes; k++)
            if (post[k] > post[label])
                label = (uint32_t)k;
        conf = post[label];
        method = "onecoin";
        d = LO_WF_DONE;
    } else {
        /* Majority: the most frequent answer; a tie (or, when configured, any disagreement)
         * goes to adjudication. */
        size_t best = 0, second = 0;
        for (size_t i = 0; i < ls.n; i++) {
            size_t c = 0;
            for (size_t k = 0; k < ls.n; k++)
                c += ls.labels[k] == ls.labels[i];
            if (c > best) {
                best = c;
                label = ls.labels[i];
            }
        }
        for (size_t i = 0; i < ls.n; i++) {
            if (ls.labels[i] == label)
                continue;
            size_t c = 0;
            for (size_t k = 0; k < ls.n; k++)
                c += ls.labels[k] == ls.labels[i];
            if (c > second)
                second = c;
        }
        conf = (double)best / (double)ls.n;
        method = "majority";
        bool disagree = w->cfg.adjudicate_on == LO_WF_DISAGREE_ANY ? best < ls.n : best == second;
        d = disagree ? LO_WF_ADJUDICATE : LO_WF_DONE;
    }

    const char *from = NULL;
    json_t *payload = NULL;
    if (refinal && d != LO_WF_DONE)
        return 0;
    if (d == LO_WF_NEED_MORE) {
        if (t->wanted <= t->done)
            t->wanted = t->done + 1;
        return st->ops->wf->task_put(st, t, err); /* stays queued: no state change */
    }
    if (d == LO_WF_ADJUDICATE) {
        rc = lo__wf_transition(t, LO_WF_EV_DISAGREE, now, arena, &from, err);
        if (!rc)
            rc = st->ops->wf->task_put(st, t, err);
        if (!rc)
            rc = lo__wf_item_event(app, t, "item_to_adjudication", from,
                            json_pack("{s:i}", "labels", t->done), err);
        return rc;
    }
    /* Complete: the final value is the first agreeing label's whole value, or for boxes and
     * spans the consensus of all labels. */
    const char *final = merged_final;
    for (size_t i = 0; i < ls.n && !final; i++)
        if (!comparable || ls.labels[i] == label)
            final = ls.value[i];
    if (!final) {
        /* no comparable votes: take the only label as it is */
        struct label_set all = { 0 };
        struct collect_ctx c2 = { app, &(struct wf_project){ .p = w->p }, &all, arena, err };
        rc = st->ops->wf->annotation_list(st, t->item_id, "active", arena, collect_cb, &c2, err);
        if (rc)
            return rc;
        final = all.n ? all.value[all.n - 1] : "{}";
    }
    if (!refinal)
        rc = lo__wf_transition(t, LO_WF_EV_CONSOLIDATE, now, arena, &from, err);
    if (rc)
        return rc;
    t->final_json = final;
    t->confidence = conf;
    t->method = method;
    t->assignee = 0;
    rc = st->ops->wf->task_put(st, t, err);
    payload = json_pack("{s:s, s:o, s:i}", "method", method, "confidence", lo__wf_num_or_null(conf),
                        "labels", t->done);
    if (!rc)
        rc = lo__wf_item_event(app, t, refinal ? "item_final_updated" : "item_complete", from, payload,
                        err);
    else
        json_decref(payload);
    return rc;
}

/* ---- submit ------------------------------------------------------------------------------- */

/* Validates value (an object) against the project's schema and the item. */
int lo__wf_check_value(struct lo_app *app, const struct wf_project *w, int64_t item_id,
                       const json_t *value, struct lo_arena *arena, char **text_out,
                       struct lo_error *err)
{
    if (!json_is_object(value))
        return lo_error_field(err, LO_EINVAL, "value",
                              "\"value\" must be an object of field name: value");
    if (!w->schema)
        return lo_error_set(err, LO_ECONFLICT, "project '%s' has no label schema yet",
                            w->p.name);
    struct lo_item item;
    int rc = app->store->ops->wf->item_get(app->store, item_id, arena, &item, err);
    if (rc)
        return rc;
    json_t *payload = json_loads(item.payload_json, 0, NULL);
    rc = lo_schema_validate_value(w->schema, value, payload, err);
    json_decref(payload);
    if (rc) {
        /* name the field inside the body: value.<field> */
        char field[LO_ERROR_FIELD_MAX];
        snprintf(field, sizeof(field), "value.%s", err->field);
        snprintf(err->field, sizeof(err->field), "%s", field);
        return rc;
    }
    *text_out = lo_json_dump(value);
    return *text_out ? 0 : lo_error_set(err, LO_ENOMEM, "out of memory");
}

/* Whether value matches the gold answer on the compared field (or entirely, without one). */
static bool gold_correct(const struct wf_project *w, const char *gold_json, const json_t *value)
{
    json_t *g = json_loads(gold_json, JSON_DECODE_ANY, NULL);
    bool ok = false;
    if (g && w->field) {
        json_t *gv = json_is_object(g) ? json_object_get(g, w->field->name) : g;
        json_t *vv = json_object_get(value, w->field->name);
        ok = gv && vv && json_equal(gv, vv);
        if (!ok && gv && vv && json_is_number(gv) && json_is_number(vv))
            ok = json_number_value(gv) == json_number_value(vv);
    } else if (g) {
        ok = json_equal(g, value);
    }
    json_decref(g);
    return ok;
}

/* ---- lot-based review (ANSI/ASQ Z1.4 through quality/sampling.h) ------------------------- */

struct lot_items {
    int64_t *ids;
    size_t n, cap;
    bool held_only;
    struct lo_arena *arena;
};

static int lot_items_cb(void *ctx, const struct lo_task_row *t)
{
    struct lot_items *li = ctx;
    if (li->held_only && !t->lot_hold)
        return 0;
    if (li->n == li->cap) {
        size_t cap = li->cap ? li->cap * 2 : 64;
        int64_t *ids = lo_arena_alloc(li->arena, cap * sizeof(*ids));
        if (!ids)
            return LO_ENOMEM;
        if (li->n)
            memcpy(ids, li->ids, li->n * sizeof(*ids));
        li->ids = ids;
        li->cap = cap;
    }
    li->ids[li->n++] = t->item_id;
    return 0;
}

/* A full lot: its Z1.4 sample (general level II, normal inspection) is drawn and offered to
 * reviewers; the rest wait for the verdict. */
static int lot_close(struct lo_app *app, const struct wf_project *w, struct lo_lot_row *lot,
                     int64_t now, struct lo_arena *arena, struct lo_error *err)
{
    struct lo_store *st = app->store;
    struct lo_z14_plan plan;
    struct lot_items li = { .arena = arena, .held_only = true };
    int rc = lo_z14_resolve(lot->items, w->cfg.aql, LO_Z14_II, LO_Z14_NORMAL, &plan, err);
    if (!rc)
        rc = st->ops->wf->lot_tasks(st, lot->id, arena, lot_items_cb, &li, err);
    if (rc)
        return rc;
    long n = plan.sample < (long)li.n ? plan.sample : (long)li.n;
    long *pick = lo_arena_alloc(arena, (size_t)(n + 1) * sizeof(long));
    if (!pick)
        return lo_error_set(err, LO_ENOMEM, "out of memory");
    rc = lo_wf_lot_sample((long)li.n, n, &app->rng, pick, err);
    for (long k = 0; !rc && k < n; k++) {
        struct lo_task_row t;
        rc = st->ops->wf->task_get(st, li.ids[pick[k]], arena, &t, err);
        if (!rc) {
            t.lot_hold = false;
            rc = st->ops->wf->task_put(st, &t, err);
        }
    }
    lot->state = "sampling";
    lot->sample = n;
    lot->ac = plan.ac;
    lot->re = plan.re;
    if (!rc)
        rc = st->ops->wf->lot_put(st, lot, err);
    if (!rc)
        rc = lo__app_event(app, w->p.id, "lot_sampled", "lot", lot->id,
                           json_pack("{s:I, s:I, s:I, s:i, s:i, s:s, s:f}", "vendor_id",
                                     (json_int_t)lot->vendor_id, "items", (json_int_t)lot->items,
                                     "sample", (json_int_t)n, "ac", plan.ac, "re", plan.re,
                                     "letter", (char[2]){ plan.letter, 0 }, "aql", w->cfg.aql),
                           err);
    (void)now;
    return rc;
}

/* Puts t (a new label, now in review) into its vendor's open lot, held; closes a full lot. */
static int lot_join(struct lo_app *app, const struct wf_project *w, struct lo_task_row *t,
                    const char *from, int64_t now, struct lo_arena *arena, struct lo_error *err)
{
    struct lo_store *st = app->store;
    struct lo_lot_row lot;
    int rc = st->ops->wf->lot_open(st, w->p.id, app->who.vendor_id, &lot, arena, err);
    if (rc == LO_ENOTFOUND) {
        lo_error_clear(err);
        lot = (struct lo_lot_row){ .project_id = w->p.id, .vendor_id = app->who.vendor_id,
                                   .state = "open", .size = w->cfg.lot_size, .re = 1,
                                   .created_ms = now };
        rc = st->ops->wf->lot_create(st, &lot, err);
    }
    if (rc)
        return rc;
    t->lot_id = lot.id;
    t->lot_hold = true;
    rc = st->ops->wf->task_put(st, t, err);
    if (!rc)
        rc = lo__wf_item_event(app, t, "item_to_review", from,
                        json_pack("{s:I, s:I}", "annotation", (json_int_t)t->review_annotation,
                                  "lot", (json_int_t)lot.id),
                        err);
    lot.items++;
    if (!rc && lot.items >= lot.size)
        return lot_close(app, w, &lot, now, arena, err);
    return rc ? rc : st->ops->wf->lot_put(st, &lot, err);
}

/* A review of a sampled item counts for its lot; with the whole sample reviewed the lot is
 * decided: accepted, its held labels are accepted; rejected, every one of them is reviewed. */
static int lot_reviewed(struct lo_app *app, const struct wf_project *w, int64_t lot_id,
                        bool defect, int64_t now, struct lo_arena *arena, struct lo_error *err)
{
    struct lo_store *st = app->store;
    struct lo_lot_row lot;
    int rc = st->ops->wf->lot_get(st, lot_id, &lot, arena, err);
    if (rc || strcmp(lot.state, "sampling"))
        return rc;
    lot.reviewed++;
    lot.defects += defect;
    if (lot.reviewed < lot.sample)
        return st->ops->wf->lot_put(st, &lot, err);
    enum lo_wf_lot_verdict v = lo_wf_lot_verdict(lot.ac, lot.re, lot.defects);
    bool accept = v != LO_WF_LOT_REJECT;
    struct lot_items li = { .arena = arena, .held_only = true };
    rc = st->ops->wf->lot_tasks(st, lot.id, arena, lot_items_cb, &li, err);
    for (size_t k = 0; !rc && k < li.n; k++) {
        struct lo_task_row t;
        const char *from = NULL;
        rc = st->ops->wf->task_get(st, li.ids[k], arena, &t, err);
        if (rc)
            break;
        t.lot_hold = false;
        if (!accept || strcmp(t.state, "in_review")) {
            rc = st->ops->wf->task_put(st, &t, err); /* now offered to reviewers */
            continue;
        }
        rc = lo__wf_transition(&t, LO_WF_EV_ACCEPT, now, arena, &from, err);
        t.review_annotation = 0;
        if (!rc)
            rc = lo__wf_item_event(app, &t, "item_accepted", from,
                            json_pack("{s:I, s:s}", "lot", (json_int_t)lot.id, "by", "lot"),
                            err);
        if (!rc)
            rc = lo__wf_decide(app, w, &t, now, arena, err);
    }
    lot.state = accept ? "accepted" : "rejected";
    lot.decided_ms = now;
    if (!rc)
        rc = st->ops->wf->lot_put(st, &lot, err);
    if (!rc)
        rc = lo__app_event(app, w->p.id, accept ? "lot_accepted" : "lot_rejected", "lot", lot.id,
                           json_pack("{s:I, s:I, s:I, s:i, s:i}", "items", (json_int_t)lot.items,
                                     "sample", (json_int_t)lot.sample, "defects",
                                     (json_int_t)lot.defects, "ac", lot.ac, "re", lot.re),
                           err);
    return rc;
}

static int submit_label(struct lo_app *app, struct lease_job *j, const struct wf_project *w,
                        struct lo_lease_row *l, bool late, int64_t now, struct lo_arena *arena,
                        struct lo_error *err)
{
    struct lo_store *st = app->store;
    const struct lo_wf_store_ops *wf = st->ops->wf;
    bool rework = !strcmp(l->kind, "rework");
    struct lo_task_row t;
    int rc = wf->task_get(st, l->item_id, arena, &t, err);
    if (rc)
        return rc;
    bool was_live = !strcmp(l->state, "live");
    if (late) {
        /* Accepted only if nobody took the item meanwhile. */
        bool other = false;
        rc = wf->lease_other_live(st, l->item_id, l->id, &other, err);
        if (rc)
            return rc;
        int room = t.wanted - t.done - (t.leased - (was_live && !rework ? 1 : 0));
        bool ok = rework ? !strcmp(t.state, "rework") && t.assignee == app->who.user_id && !other
                         : !strcmp(t.state, "queued") && (t.is_gold || room > 0);
        if (!ok)
            return lo__wf_lease_expired_error(l, err);
    }
    const json_t *value = json_object_get(j->body, "value");
    char *text = NULL;
    rc = lo__wf_check_value(app, w, l->item_id, value, arena, &text, err);
    if (rc)
        return rc;
    const char *prelabel = json_string_value(json_object_get(j->body, "prelabel"));
    json_t *pj = json_object_get(j->body, "prelabel");
    if (pj && !json_is_null(pj)
        && (!prelabel || (strcmp(prelabel, "accepted") && strcmp(prelabel, "edited")))) {
        free(text);
        return lo_error_field(err, LO_EINVAL, "prelabel",
                              "prelabel must be \"accepted\", \"edited\" or null");
    }
    double secs = (double)(now - l->created_ms) / 1000.0;
    struct lo_wf_annotation a = {
        .item_id = l->item_id,
        .user_id = app->who.user_id,
        .annotator = app->who.name ? app->who.name : app->actor,
        .value_json = text,
        .created_ms = now,
        .guideline_version = w->p.guideline_version,
        .schema_version = w->p.schema_version,
        .stage = l->kind,
        .lease_id = l->id,
        .working_seconds = secs,
        .status = "active",
        .prelabel = prelabel,
    };
    int64_t ann_id = 0;
    rc = wf->annotation_add(st, &a, &ann_id, err);
    free(text);
    if (rc)
        return rc;
    l->state = "done"; /* written by job_submit */
    if (late && !rework) /* its expiry forgot that the item was theirs */
        rc = wf->seen_add(st, app->who.user_id, l->item_id, err);
    if (rc)
        return rc;
    if (!rework && was_live && t.leased > 0)
        t.leased--;

    struct lo_worker_row wk;
    bool found;
    rc = wf->worker_get(st, w->p.id, app->who.user_id, arena, &wk, &found, err);
    if (rc)
        return rc;
    wk.vendor_id = app->who.vendor_id;
    int64_t today = now / DAY_MS;
    if (wk.day != today) {
        wk.day = today;
        wk.labels_day = 0;
    }
    wk.labels++;
    wk.labels_day++;
    json_t *feedback = json_null();
    const char *from = NULL;
    if (t.is_gold) {
        struct lo_item item;
        rc = wf->item_get(st, l->item_id, arena, &item, err);
        if (rc)
            return rc;
        bool correct = item.gold_json && gold_correct(w, item.gold_json, value);
        /* The record as of the start of the day, before the day's first gold answer counts:
         * what an annotator is shown of it while feedback is off (lo_app_wf_me). Kept with
         * feedback on too, so that turning it off mid-day shows the right figures. */
        if (wk.gold_day != today) {
            wk.gold_day = today;
            wk.gold_day_correct = wk.gold_correct;
            wk.gold_day_total = wk.gold_total;
            wk.gold_day_p_below = wk.p_below;
        }
        wk.gold_total++;
        wk.gold_correct += correct;
        double p_below = NAN;
        bool pause = lo_wf_should_pause(&w->cfg.gold, (long)wk.gold_correct, (long)wk.gold_total,
                                        &p_below);
        wk.p_below = p_below;
        if (pause && !wk.paused) {
            wk.paused = true;
            wk.paused_ms = now;
            wk.pause_reason = "gold";
            rc = lo__app_event(app, w->p.id, "annotator_paused", "user", app->who.user_id,
                               json_pack("{s:s, s:s, s:f, s:I, s:I}", "user", a.annotator,
                                         "reason", "gold accuracy below the target", "p_below",
                                         p_below, "gold_correct", (json_int_t)wk.gold_correct,
                                         "gold_total", (json_int_t)wk.gold_total),
                               err);
            if (rc)
                return rc;
        }
        if (w->cfg.gold_feedback) {
            json_decref(feedback);
            /* "section" (the guideline section the gold item names) is left out without one */
            feedback = json_pack("{s:b, s:o, s:i, s:s*}", "correct", correct, "expected",
                                 lo__wf_parse_or_null(item.gold_json), "guideline_version",
                                 w->p.guideline_version, "section", item.gold_section);
        }
        rc = wf->task_put(st, &t, err);
    } else if (rework) {
        t.done++;
        t.assignee = 0;
        rc = lo__wf_transition(&t, LO_WF_EV_REWORK_SUBMIT, now, arena, &from, err);
        t.review_annotation = ann_id;
        if (!rc)
            rc = wf->task_put(st, &t, err);
        if (!rc)
            rc = lo__wf_item_event(app, &t, "item_rework_submitted", from,
                            json_pack("{s:I}", "annotation", (json_int_t)ann_id), err);
    } else if (strcmp(t.state, "queued")) {
        /* The item left the queue while this lease was out (flagged, say): the label is kept
         * and counted; the item is decided when it comes back (requeue). */
        t.done++;
        rc = wf->task_put(st, &t, err);
    } else if (w->cfg.lot_review) {
        /* Lot-based review: the label waits in its vendor's lot for the lot's verdict. */
        t.done++;
        rc = lo__wf_transition(&t, LO_WF_EV_NEEDS_REVIEW, now, arena, &from, err);
        t.review_annotation = ann_id;
        if (!rc)
            rc = lot_join(app, w, &t, from, now, arena, err);
    } else {
        t.done++;
        if (lo_wf_review_pick(&w->cfg.review, (long)wk.gold_correct, (long)wk.gold_total,
                              &app->rng)) {
            rc = lo__wf_transition(&t, LO_WF_EV_NEEDS_REVIEW, now, arena, &from, err);
            t.review_annotation = ann_id;
            if (!rc)
                rc = wf->task_put(st, &t, err);
            if (!rc)
                rc = lo__wf_item_event(app, &t, "item_to_review", from,
                                json_pack("{s:I}", "annotation", (json_int_t)ann_id), err);
        } else {
            rc = lo__wf_decide(app, w, &t, now, arena, err);
        }
    }
    if (!rc)
        rc = wf->worker_put(st, &wk, err);
    /* An annotator (may annotate, may not review: the item routes' test) gets no item_state: a
     * gold item never leaves the queue, so its state would tell it apart from a regular item
     * (docs/decisions/0008-item-workflow-view.md). */
    bool annotator_view = false;
    if (!rc)
        rc = lo__app_annotator_view(app, w->p.id, &annotator_view, err);
    if (rc) {
        json_decref(feedback);
        return rc;
    }
    j->out = json_pack("{s:I, s:b, s:f, s:o}", "annotation", (json_int_t)ann_id, "late", late,
                       "working_seconds", secs, "feedback", feedback);
    if (!annotator_view)
        json_object_set_new(j->out, "item_state", json_string(t.is_gold ? "queued" : t.state));
    return 0;
}

static int reasons_check(const struct wf_project *w, const json_t *reasons,
                         struct lo_error *err)
{
    if (!json_is_array(reasons) || json_array_size(reasons) == 0)
        return lo_error_field(err, LO_EINVAL, "reasons",
                              "a reject needs \"reasons\": a non-empty list of reason codes");
    size_t i;
    json_t *r;
    json_array_foreach(reasons, i, r) {
        if (!json_is_string(r) || !lo_wf_reason_known(w->cfg.rework_reasons, json_string_value(r)))
            return lo_error_field(err, LO_EINVAL, "reasons",
                                  "reasons[%zu] is not one of the project's reason codes", i);
    }
    return 0;
}

static int submit_review(struct lo_app *app, struct lease_job *j, const struct wf_project *w,
                         struct lo_lease_row *l, int64_t now, struct lo_arena *arena,
                         struct lo_error *err)
{
    struct lo_store *st = app->store;
    const struct lo_wf_store_ops *wf = st->ops->wf;
    const char *verdict = json_string_value(json_object_get(j->body, "verdict"));
    if (!verdict || (strcmp(verdict, "accept") && strcmp(verdict, "fix") && strcmp(verdict, "reject")))
        return lo_error_field(err, LO_EINVAL, "verdict",
                              "a review needs \"verdict\": accept, fix or reject");
    json_t *cj = json_object_get(j->body, "comment");
    const char *comment = json_string_value(cj);
    if (cj && !json_is_null(cj) && !comment)
        return lo_error_field(err, LO_EINVAL, "comment", "comment must be a string");
    if (comment && strlen(comment) > LO_LIMIT_COMMENT)
        return lo_error_field(err, LO_ELIMIT, "comment", "a comment may have at most %d bytes",
                              LO_LIMIT_COMMENT);
    json_t *reasons = json_object_get(j->body, "reasons");
    int rc = 0;
    if (!strcmp(verdict, "reject"))
        rc = reasons_check(w, reasons, err);
    else if (reasons && !json_is_array(reasons))
        rc = lo_error_field(err, LO_EINVAL, "reasons", "reasons must be a list");
    if (rc)
        return rc;
    struct lo_task_row t;
    struct lo_wf_annotation a;
    rc = wf->task_get(st, l->item_id, arena, &t, err);
    if (!rc)
        rc = wf->annotation_get(st, l->annotation_id, arena, &a, err);
    if (rc)
        return rc;
    if (strcmp(t.state, "in_review") || t.review_annotation != a.id)
        return lo_error_field(err, LO_ECONFLICT, "lease",
                              "item %lld is no longer waiting for this review (it is %s)",
                              (long long)t.item_id, t.state);
    char *fixed = NULL;
    int64_t fixed_id = 0;
    if (!strcmp(verdict, "fix")) {
        rc = lo__wf_check_value(app, w, l->item_id, json_object_get(j->body, "value"), arena, &fixed,
                         err);
        if (rc)
            return rc;
    }
    char *reasons_text = json_is_array(reasons) ? lo_json_dump(reasons) : NULL;
    struct lo_review_row r = {
        .item_id = l->item_id,
        .annotation_id = a.id,
        .author_id = a.user_id,
        .reviewer = app->who.name,
        .verdict = verdict,
        .reasons_json = reasons_text ? reasons_text : "[]",
        .comment = comment ? comment : "",
        .created_ms = now,
    };
    rc = wf->review_add(st, &r, NULL, err);
    free(reasons_text);
    const char *from = NULL;
    if (!rc && !strcmp(verdict, "reject")) {
        rc = wf->annotation_set_status(st, a.id, "rejected", err);
        if (t.done > 0)
            t.done--;
        t.rounds++;
        if (!rc && t.rounds > w->cfg.rework_max_rounds) {
            rc = lo__wf_transition(&t, LO_WF_EV_REJECT, now, arena, &from, err);
            if (!rc)
                rc = lo__wf_transition(&t, LO_WF_EV_REWORK_LIMIT, now, arena, NULL, err);
            t.assignee = 0;
        } else if (!rc) {
            rc = lo__wf_transition(&t, LO_WF_EV_REJECT, now, arena, &from, err);
            t.assignee = a.user_id;
        }
        if (!rc)
            rc = wf->task_put(st, &t, err);
        if (!rc)
            rc = lo__wf_item_event(app, &t, "item_rejected", from,
                            json_pack("{s:I, s:O, s:s, s:i}", "annotation", (json_int_t)a.id,
                                      "reasons", reasons, "comment", comment ? comment : "",
                                      "round", t.rounds),
                            err);
    } else if (!rc) {
        if (fixed) {
            struct lo_wf_annotation fa = a;
            fa.id = 0;
            fa.user_id = app->who.user_id;
            fa.annotator = app->who.name;
            fa.value_json = fixed;
            fa.created_ms = now;
            fa.stage = "review";
            fa.lease_id = l->id;
            fa.working_seconds = (double)(now - l->created_ms) / 1000.0;
            fa.status = "active";
            fa.version = 1;
            fa.prelabel = NULL;
            rc = wf->annotation_set_status(st, a.id, "superseded", err);
            if (!rc)
                rc = wf->annotation_add(st, &fa, &fixed_id, err);
        }
        if (!rc)
            rc = lo__wf_transition(&t, LO_WF_EV_ACCEPT, now, arena, &from, err);
        t.review_annotation = 0;
        if (!rc)
            rc = lo__wf_item_event(app, &t, fixed ? "item_fixed" : "item_accepted", from,
                            json_pack("{s:I}", "annotation", (json_int_t)(fixed ? fixed_id : a.id)),
                            err);
        if (!rc)
            rc = lo__wf_decide(app, w, &t, now, arena, err);
    }
    free(fixed);
    if (!rc && t.lot_id) /* fix counts as a defect as much as reject does */
        rc = lot_reviewed(app, w, t.lot_id, strcmp(verdict, "accept") != 0, now, arena, err);
    if (rc)
        return rc;
    l->state = "done"; /* written by job_submit */
    j->out = json_pack("{s:I, s:s, s:b, s:f, s:o}", "annotation",
                           (json_int_t)(fixed_id ? fixed_id : a.id), "item_state", t.state,
                           "late", false, "working_seconds",
                           (double)(now - l->created_ms) / 1000.0, "feedback", json_null());
    return rc;
}

static int submit_adjudication(struct lo_app *app, struct lease_job *j,
                               const struct wf_project *w, struct lo_lease_row *l, int64_t now,
                               struct lo_arena *arena, struct lo_error *err)
{
    struct lo_store *st = app->store;
    const struct lo_wf_store_ops *wf = st->ops->wf;
    struct lo_task_row t;
    int rc = wf->task_get(st, l->item_id, arena, &t, err);
    if (rc)
        return rc;
    if (strcmp(t.state, "adjudication"))
        return lo_error_field(err, LO_ECONFLICT, "lease",
                              "item %lld is no longer waiting for adjudication (it is %s)",
                              (long long)t.item_id, t.state);
    char *text = NULL;
    rc = lo__wf_check_value(app, w, l->item_id, json_object_get(j->body, "value"), arena, &text, err);
    if (rc)
        return rc;
    struct lo_wf_annotation a = {
        .item_id = l->item_id,
        .user_id = app->who.user_id,
        .annotator = app->who.name,
        .value_json = text,
        .created_ms = now,
        .guideline_version = w->p.guideline_version,
        .schema_version = w->p.schema_version,
        .stage = "adjudicate",
        .lease_id = l->id,
        .working_seconds = (double)(now - l->created_ms) / 1000.0,
        .status = "active",
    };
    int64_t id = 0;
    const char *from = NULL;
    rc = wf->annotation_add(st, &a, &id, err);
    if (!rc)
        rc = lo__wf_transition(&t, LO_WF_EV_ADJUDICATE, now, arena, &from, err);
    if (!rc) {
        t.final_json = lo_arena_strndup(arena, text, strlen(text));
        t.confidence = NAN;
        t.method = "adjudicated";
        rc = wf->task_put(st, &t, err);
    }
    free(text);
    if (!rc)
        rc = lo__wf_item_event(app, &t, "item_adjudicated", from,
                        json_pack("{s:I}", "annotation", (json_int_t)id), err);
    l->state = "done"; /* written by job_submit */
    if (!rc)
        j->out = json_pack("{s:I, s:s, s:b, s:f, s:o}", "annotation", (json_int_t)id,
                           "item_state", t.state, "late", false, "working_seconds",
                           a.working_seconds, "feedback", json_null());
    return rc;
}

int lo__wf_job_submit(struct lo_app *app, void *ctx, struct lo_error *err)
{
    struct lease_job *j = ctx;
    struct lo_store *st = app->store;
    struct lo_arena arena;
    struct lo_lease_row l;
    struct wf_project w;
    memset(&w, 0, sizeof(w));
    int64_t now = lo_clock_now_ms(&app->clock);
    lo_arena_init(&arena, 8192);
    int rc = lo__wf_lease_load(app, j->lease, &arena, &l, &w, err);
    if (rc)
        goto out;
    if (j->idem_key && l.idem_key && !strcmp(l.idem_key, j->idem_key) && l.answer_json) {
        j->out = lo__wf_parse_or_null(l.answer_json); /* a repeat: the first answer, nothing changes */
        goto out;
    }
    if (strcmp(l.state, "live") && strcmp(l.state, "expired")) {
        rc = lo__wf_lease_closed_error(&l, err);
        goto out;
    }
    bool late = !strcmp(l.state, "expired") || l.expires_ms < now;
    if (!strcmp(l.kind, "label") || !strcmp(l.kind, "rework")) {
        rc = submit_label(app, j, &w, &l, late, now, &arena, err);
    } else {
        bool other = false;
        if (late)
            rc = st->ops->wf->lease_other_live(st, l.item_id, l.id, &other, err);
        if (!rc && other)
            rc = lo__wf_lease_expired_error(&l, err);
        if (!rc && !strcmp(l.kind, "review"))
            rc = submit_review(app, j, &w, &l, now, &arena, err);
        else if (!rc)
            rc = submit_adjudication(app, j, &w, &l, now, &arena, err);
        if (!rc && late)
            json_object_set_new(j->out, "late", json_true());
    }
    /* The lease is done; with a key, it keeps the answer for a repeat (docs/api-workflow.md). */
    char *answer = NULL;
    if (!rc && j->idem_key) {
        answer = lo_json_dump(j->out);
        if (!answer)
            rc = lo_error_set(err, LO_ENOMEM, "out of memory");
        l.idem_key = j->idem_key;
        l.answer_json = answer;
    }
    if (!rc)
        rc = st->ops->wf->lease_put(st, &l, err);
    free(answer);
out:
    if (rc) {
        json_decref(j->out);
        j->out = NULL;
    }
    lo__wf_project_free(&w);
    lo_arena_free(&arena);
    return rc;
}
