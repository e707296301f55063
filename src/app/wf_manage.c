/*
 * wf_manage.c - the manager's side of the workflow (workflow.h): the queue, requeue, pause,
 * resume, invalidate, annotators' settings; the reads (item history, the caller's standing,
 * annotations with their version) and annotation edits; consolidation by truth inference.
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
#include "quality/inference.h"

/* ---- manager ------------------------------------------------------------------------------ */

struct queue_ctx {
    struct lo_app *app;
    json_t *list;
    struct lo_arena *arena;
    int64_t now;
};

static int flag_json_cb(void *ctx, const struct lo_flag_row *f)
{
    struct queue_ctx *q = ctx;
    json_array_append_new(q->list, json_pack("{s:I, s:s, s:s, s:s, s:s, s:I}", "item",
                                             (json_int_t)f->item_id, "reason", f->reason,
                                             "comment", f->comment ? f->comment : "", "by",
                                             f->user_name, "prior_state", f->prior_state, "at",
                                             (json_int_t)f->created_ms));
    return 0;
}

static int overdue_cb(void *ctx, const struct lo_task_row *t)
{
    struct queue_ctx *q = ctx;
    json_array_append_new(q->list,
                          json_pack("{s:I, s:s, s:f}", "item", (json_int_t)t->item_id, "state",
                                    t->state, "age_hours",
                                    (double)(q->now - t->created_ms) / 3600000.0));
    return 0;
}

static int worker_json_cb(void *ctx, const struct lo_worker_row *w)
{
    struct queue_ctx *q = ctx;
    if (!w->paused)
        return 0;
    struct lo_user_row u;
    struct lo_error e;
    const char *name = "";
    if (!q->app->store->ops->user_get(q->app->store, NULL, w->user_id, q->arena, &u, &e))
        name = u.name;
    json_array_append_new(q->list,
                          json_pack("{s:s, s:I, s:o, s:s, s:I, s:I, s:I}", "user", name,
                                    "user_id", (json_int_t)w->user_id, "p_below",
                                    lo__wf_num_or_null(w->p_below), "reason",
                                    w->pause_reason ? w->pause_reason : "", "since",
                                    (json_int_t)w->paused_ms, "gold_correct",
                                    (json_int_t)w->gold_correct, "gold_total",
                                    (json_int_t)w->gold_total));
    return 0;
}

static int lot_json_cb(void *ctx, const struct lo_lot_row *l)
{
    struct queue_ctx *q = ctx;
    json_array_append_new(q->list,
                          json_pack("{s:I, s:I, s:s, s:I, s:I, s:I, s:i, s:i, s:I, s:I}",
                                    "lot", (json_int_t)l->id, "vendor_id",
                                    (json_int_t)l->vendor_id, "state", l->state,
                                    "size", (json_int_t)l->size, "items", (json_int_t)l->items,
                                    "sample", (json_int_t)l->sample, "ac", l->ac, "re", l->re,
                                    "reviewed", (json_int_t)l->reviewed, "defects",
                                    (json_int_t)l->defects));
    return 0;
}

static json_t *counts_json(const struct lo_wf_counts *c)
{
    return json_pack("{s:I, s:I, s:I, s:I, s:I, s:I}", "queued", (json_int_t)c->queued,
                     "in_review", (json_int_t)c->in_review, "rework", (json_int_t)c->rework,
                     "adjudication", (json_int_t)c->adjudication, "escalated",
                     (json_int_t)c->escalated, "complete", (json_int_t)c->complete);
}

int lo_app_wf_queue(struct lo_app *app, const char *project, json_t **out, struct lo_error *err)
{
    struct lo_store *st = app->store;
    const struct lo_wf_store_ops *wf = st->ops->wf;
    struct lo_arena arena;
    struct lo_project p;
    *out = NULL;
    lo_arena_init(&arena, 8192);
    int rc = st->ops->begin(st, false, err);
    if (rc) {
        lo_arena_free(&arena);
        return rc;
    }
    rc = lo__app_find_project_for(app, project, LO_ACT_UPDATE, &arena, &p, err);
    int64_t now = lo_clock_now_ms(&app->clock);
    json_t *flagged = json_array(), *overdue = json_array(), *paused = json_array();
    json_t *lots = json_array();
    struct queue_ctx q = { app, flagged, &arena, now };
    struct lo_wf_counts c;
    if (!rc)
        rc = wf->flag_list_open(st, p.id, 100, &arena, flag_json_cb, &q, err);
    if (!rc && !isnan(p.goal_turnaround_hours)) {
        q.list = overdue;
        rc = wf->task_overdue(st, p.id, now - (int64_t)(p.goal_turnaround_hours * 3600000.0), 100,
                              &arena, overdue_cb, &q, err);
    }
    if (!rc) {
        q.list = paused;
        rc = wf->worker_list(st, p.id, &arena, worker_json_cb, &q, err);
    }
    if (!rc)
        rc = wf->task_counts(st, p.id, &c, err);
    if (!rc) {
        q.list = lots;
        rc = wf->lot_list(st, p.id, 50, &arena, lot_json_cb, &q, err);
    }
    st->ops->rollback(st);
    if (!rc)
        *out = json_pack("{s:o, s:o, s:o, s:I, s:I, s:o, s:o, s:o}", "flagged", flagged,
                         "overdue", overdue, "paused", paused, "review",
                         (json_int_t)c.in_review, "adjudication", (json_int_t)c.adjudication,
                         "lots", lots, "counts", counts_json(&c), "turnaround_hours",
                         lo__wf_num_or_null(p.goal_turnaround_hours));
    else {
        json_decref(flagged);
        json_decref(overdue);
        json_decref(paused);
        json_decref(lots);
    }
    lo_arena_free(&arena);
    return rc;
}

struct manage_job {
    int64_t project_id;
    const char *project;
    int64_t item_id;
    const char *user;
    const char *action;
    const json_t *body;
    json_t *out;
};

static int job_requeue(struct lo_app *app, void *ctx, struct lo_error *err)
{
    struct manage_job *j = ctx;
    struct lo_store *st = app->store;
    struct lo_arena arena;
    struct lo_task_row t;
    struct wf_project w;
    const char *prior = NULL, *from = NULL;
    lo_arena_init(&arena, 2048);
    int rc = lo__wf_project_load(app, j->project_id, j->project, false, &arena, &w, err);
    if (!rc)
        rc = st->ops->wf->task_get(st, j->item_id, &arena, &t, err);
    if (!rc && t.project_id != j->project_id)
        rc = lo_error_field(err, LO_ENOTFOUND, "id", "no item %lld in project '%s'",
                            (long long)j->item_id, j->project);
    if (!rc && strcmp(t.state, "escalated"))
        rc = lo_error_set(err, LO_ECONFLICT, "item %lld is not flagged (it is %s)",
                          (long long)j->item_id, t.state);
    if (!rc)
        rc = st->ops->wf->flag_resolve(st, t.item_id, lo_clock_now_ms(&app->clock), &arena,
                                       &prior, err);
    if (!rc)
        rc = lo__wf_transition(&t, LO_WF_EV_RESOLVE_FLAG, lo_clock_now_ms(&app->clock), &arena, &from,
                        err);
    if (!rc) {
        t.assignee = 0;
        rc = st->ops->wf->task_put(st, &t, err);
    }
    const char *comment = json_string_value(json_object_get(j->body, "comment"));
    if (!rc)
        rc = lo__wf_item_event(app, &t, "item_requeued", from,
                        json_pack("{s:s, s:s}", "comment", comment ? comment : "", "flagged_from",
                                  prior ? prior : ""),
                        err);
    /* An item that has all its labels is decided again (complete, or back to adjudication);
     * otherwise it waits for the labels it lacks. */
    if (!rc && !t.is_gold && t.done >= t.wanted)
        rc = lo__wf_decide(app, &w, &t, lo_clock_now_ms(&app->clock), &arena, err);
    if (!rc)
        j->out = json_pack("{s:I, s:s}", "item", (json_int_t)t.item_id, "item_state", t.state);
    lo__wf_project_free(&w);
    lo_arena_free(&arena);
    return rc;
}

int lo_app_item_requeue(struct lo_app *app, const char *project, int64_t item_id,
                        const json_t *body, json_t **out, struct lo_error *err)
{
    json_t *empty = body ? NULL : json_object();
    struct manage_job j = { .project = project, .item_id = item_id, .body = body ? body : empty };
    *out = NULL;
    int rc = lo__wf_precheck(app, project, LO_ACT_UPDATE, &j.project_id, err);
    if (!rc)
        rc = lo_app_write(app, job_requeue, &j, err);
    json_decref(empty);
    return lo__wf_hand_over(rc, &j.out, out);
}

struct invalidate_ctx {
    struct lo_app *app;
    const struct wf_project *w;
    struct lo_arena *arena;
    struct lo_error *err;
    int64_t now;
    long annotations, items;
};

static int invalidate_cb(void *ctx, const struct lo_wf_annotation *a)
{
    struct invalidate_ctx *c = ctx;
    struct lo_store *st = c->app->store;
    struct lo_task_row t;
    c->annotations++;
    int rc = st->ops->wf->task_get(st, a->item_id, c->arena, &t, c->err);
    if (rc == LO_ENOTFOUND) {
        lo_error_clear(c->err);
        return 0;
    }
    if (rc || t.is_gold)
        return rc;
    if (t.done > 0 && (strcmp(a->stage ? a->stage : "", "adjudicate") != 0))
        t.done--;
    const char *from = NULL;
    rc = lo__wf_transition(&t, LO_WF_EV_INVALIDATE, c->now, c->arena, &from, c->err);
    if (rc)
        return rc;
    t.final_json = NULL;
    t.confidence = NAN;
    t.method = NULL;
    t.review_annotation = 0;
    t.assignee = 0;
    if (t.wanted <= t.done)
        t.wanted = t.done + 1;
    c->items++;
    rc = st->ops->wf->task_put(st, &t, c->err);
    if (!rc)
        rc = lo__wf_item_event(c->app, &t, "item_invalidated", from,
                        json_pack("{s:I, s:s}", "annotation", (json_int_t)a->id, "annotator",
                                  a->annotator ? a->annotator : ""),
                        c->err);
    return rc;
}

/* One list of tags from body[key] (strings without commas) appended to b, "lang:" first for
 * languages. */
static int tags_from(const json_t *body, const char *key, const char *prefix, struct lo_buf *b,
                     int *count, struct lo_error *err)
{
    json_t *v = json_object_get(body, key);
    if (!v)
        return 0;
    if (!json_is_array(v))
        return lo_error_field(err, LO_EINVAL, key, "%s must be a list of tags", key);
    size_t i;
    json_t *t;
    json_array_foreach(v, i, t) {
        const char *tag = json_string_value(t);
        if (!tag || !tag[0] || strlen(tag) > LO_LIMIT_NAME || strchr(tag, ','))
            return lo_error_field(err, LO_EINVAL, key,
                                  "%s[%zu] must be a tag of 1 to %d bytes without commas", key, i,
                                  LO_LIMIT_NAME);
        if (++*count > 31)
            return lo_error_field(err, LO_ELIMIT, key,
                                  "an annotator has at most 31 skill and language tags");
        if (b->len)
            lo_buf_puts(b, ",");
        lo_buf_puts(b, prefix);
        lo_buf_puts(b, tag);
    }
    return 0;
}

/* Applies {"skills": [...], "languages": [...], "cap_per_day": n} to w (members absent: kept). */
static int worker_settings(const json_t *body, struct lo_arena *arena, struct lo_worker_row *w,
                           struct lo_error *err)
{
    static const char *const known[] = { "skills", "languages", "cap_per_day", NULL };
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)body, key, v) {
        bool ok = false;
        for (const char *const *k = known; *k && !ok; k++)
            ok = !strcmp(*k, key);
        if (!ok)
            return lo_error_field(err, LO_EINVAL, key, "unknown annotator setting '%s'", key);
    }
    json_t *cap = json_object_get(body, "cap_per_day");
    if (cap && (!json_is_integer(cap) || json_integer_value(cap) < 0
                || json_integer_value(cap) > 1000000))
        return lo_error_field(err, LO_EINVAL, "cap_per_day",
                              "cap_per_day must be an integer from 0 (the project's) to 1000000");
    if (cap)
        w->cap_per_day = (int)json_integer_value(cap);
    if (!json_object_get(body, "skills") && !json_object_get(body, "languages"))
        return 0;
    /* Tags not named in the body are kept: skills without "lang:", languages with it. */
    struct lo_buf b;
    int count = 0, rc = 0;
    lo_buf_init(&b, 32 * (LO_LIMIT_NAME + 8));
    const char *old = w->skills ? w->skills : "";
    for (int keep_lang = 0; keep_lang < 2 && !rc; keep_lang++) {
        const char *list = keep_lang ? "languages" : "skills";
        if (json_object_get(body, list)) {
            rc = tags_from(body, list, keep_lang ? "lang:" : "", &b, &count, err);
            continue;
        }
        for (const char *p = old; *p;) {
            const char *end = strchr(p, ',');
            size_t len = end ? (size_t)(end - p) : strlen(p);
            bool lang = len > 5 && !strncmp(p, "lang:", 5);
            if (lang == (bool)keep_lang && len) {
                if (b.len)
                    lo_buf_puts(&b, ",");
                lo_buf_append(&b, p, len);
                count++;
            }
            p = end ? end + 1 : p + len;
        }
    }
    if (!rc) {
        w->skills = lo_arena_strndup(arena, b.data ? b.data : "", b.len);
        if (!w->skills)
            rc = lo_error_set(err, LO_ENOMEM, "out of memory");
    }
    lo_buf_free(&b);
    return rc;
}

/* A worker as the API shows it: skills and languages apart. */
static json_t *worker_json(const struct lo_worker_row *w, const char *name, const char *vendor)
{
    json_t *skills = json_array(), *langs = json_array();
    for (const char *p = w->skills ? w->skills : ""; *p;) {
        const char *end = strchr(p, ',');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        if (len > 5 && !strncmp(p, "lang:", 5))
            json_array_append_new(langs, json_stringn(p + 5, len - 5));
        else if (len)
            json_array_append_new(skills, json_stringn(p, len));
        p = end ? end + 1 : p + len;
    }
    double acc = w->gold_total ? (double)w->gold_correct / (double)w->gold_total : NAN;
    return json_pack("{s:s, s:o, s:o, s:o, s:i, s:b, s:I, s:{s:I, s:I, s:o, s:o}}", "user",
                     name, "vendor", vendor ? json_string(vendor) : json_null(), "skills",
                     skills, "languages", langs, "cap_per_day", w->cap_per_day, "paused",
                     w->paused, "labels", (json_int_t)w->labels, "gold", "correct",
                     (json_int_t)w->gold_correct, "total", (json_int_t)w->gold_total, "accuracy",
                     lo__wf_num_or_null(acc), "p_below", lo__wf_num_or_null(w->p_below));
}

static int job_annotator(struct lo_app *app, void *ctx, struct lo_error *err)
{
    struct manage_job *j = ctx;
    struct lo_store *st = app->store;
    struct lo_arena arena;
    struct lo_user_row u;
    struct wf_project w;
    int64_t now = lo_clock_now_ms(&app->clock);
    lo_arena_init(&arena, 4096);
    int rc = lo__wf_project_load(app, j->project_id, j->project, false, &arena, &w, err);
    if (!rc) {
        rc = st->ops->user_get(st, j->user, 0, &arena, &u, err);
        if (rc == LO_ENOTFOUND)
            rc = lo_error_field(err, LO_ENOTFOUND, "user", "no user named '%s'", j->user);
    }
    struct lo_worker_row wk;
    bool found;
    if (!rc)
        rc = st->ops->wf->worker_get(st, w.p.id, u.id, &arena, &wk, &found, err);
    if (rc)
        goto out;
    wk.vendor_id = u.vendor_id;
    if (!strcmp(j->action, "set")) {
        rc = worker_settings(j->body, &arena, &wk, err);
        if (!rc)
            rc = st->ops->wf->worker_put(st, &wk, err);
        if (!rc)
            rc = lo__app_event(app, w.p.id, "annotator_set", "user", u.id,
                               json_pack("{s:s, s:O}", "user", u.name, "settings", j->body),
                               err);
        if (!rc)
            j->out = worker_json(&wk, u.name, NULL);
    } else if (!strcmp(j->action, "pause") || !strcmp(j->action, "resume")) {
        bool pause = !strcmp(j->action, "pause");
        const char *reason = json_string_value(json_object_get(j->body, "reason"));
        wk.paused = pause;
        wk.paused_ms = pause ? now : 0;
        wk.pause_reason = pause ? (reason ? reason : "manager") : NULL;
        rc = st->ops->wf->worker_put(st, &wk, err);
        if (!rc)
            rc = lo__app_event(app, w.p.id, pause ? "annotator_paused" : "annotator_resumed",
                               "user", u.id,
                               json_pack("{s:s, s:s}", "user", u.name, "reason",
                                         reason ? reason : ""),
                               err);
        if (!rc)
            j->out = json_pack("{s:s, s:b}", "user", u.name, "paused", pause);
    } else {
        json_t *since = json_object_get(j->body, "since_ms");
        if (!json_is_integer(since) || json_integer_value(since) < 0) {
            rc = lo_error_field(err, LO_EINVAL, "since_ms",
                                "invalidate needs \"since_ms\": a time in milliseconds since "
                                "the epoch");
            goto out;
        }
        struct invalidate_ctx ic = { app, &w, &arena, err, now, 0, 0 };
        rc = st->ops->wf->annotation_invalidate(st, w.p.id, u.id, json_integer_value(since),
                                                &arena, invalidate_cb, &ic, err);
        if (!rc)
            rc = lo__app_event(app, w.p.id, "annotator_invalidated", "user", u.id,
                               json_pack("{s:s, s:I, s:i, s:i}", "user", u.name, "since_ms",
                                         (json_int_t)json_integer_value(since), "annotations",
                                         (int)ic.annotations, "items", (int)ic.items),
                               err);
        if (!rc)
            j->out = json_pack("{s:s, s:i, s:i}", "user", u.name, "annotations",
                               (int)ic.annotations, "items_requeued", (int)ic.items);
    }
out:
    lo__wf_project_free(&w);
    lo_arena_free(&arena);
    return rc;
}

int lo_app_annotator_action(struct lo_app *app, const char *project, const char *user,
                            const char *action, const json_t *body, json_t **out,
                            struct lo_error *err)
{
    *out = NULL;
    if (strcmp(action, "pause") && strcmp(action, "resume") && strcmp(action, "invalidate")
        && strcmp(action, "set"))
        return lo_error_set(err, LO_EUSAGE, "unknown annotator action '%s'", action);
    json_t *empty = body ? NULL : json_object();
    struct manage_job j = { .project = project, .user = user, .action = action,
                            .body = body ? body : empty };
    int rc = lo__wf_precheck(app, project, LO_ACT_UPDATE, &j.project_id, err);
    if (!rc)
        rc = lo_app_write(app, job_annotator, &j, err);
    json_decref(empty);
    return lo__wf_hand_over(rc, &j.out, out);
}

/* ---- reads: history, me, annotations ------------------------------------------------------ */

struct history_ctx {
    json_t *events;
    const char *only_actor;       /* an annotator sees their own actions only */
};

/* The item events that are an annotator's own action on their own lease or label, the only ones
 * an annotator is shown. A label submit leaves no event of its own; the transitions it causes
 * (item_complete, item_to_review, ...) are left out, because a gold item, which never leaves
 * the queue, has none of them (docs/decisions/0008-item-workflow-view.md). */
static bool history_own_action(const char *kind)
{
    static const char *const own[] = { "item_rework_submitted", "item_flagged", "task_skipped",
                                        "annotation_edited" };
    for (size_t i = 0; i < sizeof(own) / sizeof(own[0]); i++)
        if (!strcmp(kind, own[i]))
            return true;
    return false;
}

static int history_cb(void *ctx, const struct lo_event *e)
{
    struct history_ctx *h = ctx;
    if (h->only_actor
        && (!e->actor || strcmp(e->actor, h->only_actor) || !history_own_action(e->kind)))
        return 0;
    json_t *payload = lo__wf_parse_or_null(e->payload_json);
    if (h->only_actor && json_is_object(payload)) { /* the item's states: not for annotators */
        json_object_del(payload, "from");
        json_object_del(payload, "to");
    }
    char at[32];
    lo_time_format(e->created_ms, at, sizeof(at));
    json_array_append_new(h->events,
                          json_pack("{s:I, s:s, s:s, s:s, s:I, s:o}", "id", (json_int_t)e->id,
                                    "kind", e->kind, "actor", e->actor, "at", at, "at_ms",
                                    (json_int_t)e->created_ms, "payload", payload));
    return 0;
}

int lo_app_item_history(struct lo_app *app, const char *project, int64_t item_id, json_t **out,
                        struct lo_error *err)
{
    struct lo_store *st = app->store;
    struct lo_arena arena;
    struct lo_project p;
    struct lo_item item;
    *out = NULL;
    lo_arena_init(&arena, 8192);
    int rc = st->ops->begin(st, false, err);
    if (rc) {
        lo_arena_free(&arena);
        return rc;
    }
    rc = lo__app_find_project_for(app, project, LO_ACT_READ, &arena, &p, err);
    if (!rc)
        rc = st->ops->wf->item_get(st, item_id, &arena, &item, err);
    if (rc == LO_ENOTFOUND || (!rc && item.project_id != p.id))
        rc = lo_error_field(err, LO_ENOTFOUND, "id", "no item %lld in project '%s'",
                            (long long)item_id, project);
    json_t *events = json_array();
    struct lo_task_row t;
    bool has_task = false, restricted = false;
    struct history_ctx hc = { events, NULL };
    if (!rc)
        rc = lo__app_annotator_view(app, p.id, &restricted, err);
    if (!rc && restricted) {
        /* an annotator: only an item given to them, their own actions, no state or final */
        bool seen = false;
        rc = st->ops->wf->seen_has(st, app->who.user_id, item_id, &seen, err);
        if (!rc && !seen)
            rc = lo_error_field(err, LO_ENOTFOUND, "id", "no item %lld in project '%s'",
                                (long long)item_id, project);
        hc.only_actor = app->who.name ? app->who.name : "";
    }
    if (!rc)
        rc = st->ops->wf->event_list_item(st, item_id, &arena, history_cb, &hc, err);
    if (!rc) {
        int r2 = st->ops->wf->task_get(st, item_id, &arena, &t, err);
        has_task = r2 == 0;
        if (r2 == LO_ENOTFOUND)
            lo_error_clear(err);
        else
            rc = r2;
    }
    st->ops->rollback(st);
    if (!rc) {
        /* an annotator gets no state: a gold item's (always queued) would tell it apart */
        *out = json_pack("{s:I, s:s, s:o, s:o}", "item", (json_int_t)item_id, "external_id",
                         item.external_id, "state",
                         has_task && !restricted ? json_string(t.state) : json_null(), "events",
                         events);
        if (has_task && t.final_json && !restricted)
            json_object_set_new(*out, "final",
                                json_pack("{s:o, s:o, s:s}", "value", lo__wf_parse_or_null(t.final_json),
                                          "confidence", lo__wf_num_or_null(t.confidence), "method",
                                          t.method ? t.method : ""));
    } else {
        json_decref(events);
    }
    lo_arena_free(&arena);
    return rc;
}

static int feedback_cb(void *ctx, const struct lo_review_row *r)
{
    json_array_append_new((json_t *)ctx,
                          json_pack("{s:I, s:I, s:s, s:o, s:s, s:s, s:I}", "item",
                                    (json_int_t)r->item_id, "annotation",
                                    (json_int_t)r->annotation_id, "verdict", r->verdict,
                                    "reasons", lo__wf_parse_or_null(r->reasons_json), "comment",
                                    r->comment ? r->comment : "", "reviewer",
                                    r->reviewer ? r->reviewer : "", "at",
                                    (json_int_t)r->created_ms));
    return 0;
}

/* The gold object of lo_app_wf_me. An annotator (lo__app_annotator_view) of a project with gold
 * feedback off is shown their record as of the start of the current UTC day ("as_of"): a live
 * record would move on a gold answer only, so polling after each submit would say which item
 * was gold (docs/decisions/0008-item-workflow-view.md). "as_of" is there whenever that rule
 * applies, not only once a gold answer was counted today: its appearing would say the same. */
static json_t *me_gold_json(const struct lo_worker_row *wk, bool lagged, int64_t now)
{
    int64_t today = now / DAY_MS;
    int64_t correct = wk->gold_correct, total = wk->gold_total;
    double p_below = wk->p_below;
    if (lagged && wk->gold_day == today) { /* a gold answer today: the record before it */
        correct = wk->gold_day_correct;
        total = wk->gold_day_total;
        p_below = wk->gold_day_p_below;
    } /* else every answer counted is from before today */
    double acc = total ? (double)correct / (double)total : NAN;
    json_t *g = json_pack("{s:I, s:I, s:o, s:o}", "correct", (json_int_t)correct, "total",
                          (json_int_t)total, "accuracy", lo__wf_num_or_null(acc), "p_below",
                          lo__wf_num_or_null(p_below));
    if (lagged) {
        char at[32];
        lo_time_format(today * DAY_MS, at, sizeof(at));
        json_object_set_new(g, "as_of", json_string(at));
    }
    return g;
}

int lo_app_wf_me(struct lo_app *app, const char *project, json_t **out, struct lo_error *err)
{
    struct lo_store *st = app->store;
    const struct lo_wf_store_ops *wf = st->ops->wf;
    struct lo_arena arena;
    struct lo_project p;
    *out = NULL;
    int rc = lo__wf_need_user(app, err);
    if (rc)
        return rc;
    lo_arena_init(&arena, 8192);
    rc = st->ops->begin(st, false, err);
    if (rc) {
        lo_arena_free(&arena);
        return rc;
    }
    rc = lo__app_find_project_for(app, project, LO_ACT_READ, &arena, &p, err);
    enum lo_role role = LO_ROLE_NONE;
    struct lo_worker_row wk;
    struct lo_wf_counts c = { 0 };
    bool found, restricted = false, lagged = false;
    int64_t now = lo_clock_now_ms(&app->clock), labels = 0, item, open = 0;
    double secs = 0;
    json_t *feedback = json_array();
    bool rework = false;
    if (!rc)
        rc = lo__app_member_role(app, p.id, &role, err);
    if (!rc)
        rc = lo__app_annotator_view(app, p.id, &restricted, err);
    if (!rc && restricted) {
        /* An annotator: the queue they could still be given, and no project-wide counts; both
         * would move differently after a gold label than after a regular one (overlap 1). */
        struct wf_project w;
        rc = lo__wf_project_load(app, p.id, p.name, true, &arena, &w, err);
        lagged = !rc && !w.cfg.gold_feedback;
        lo__wf_project_free(&w);
        if (!rc)
            rc = wf->task_count_open(st, p.id, app->who.user_id, &open, err);
    } else if (!rc) {
        rc = wf->task_counts(st, p.id, &c, err);
    }
    if (!rc)
        rc = wf->worker_get(st, p.id, app->who.user_id, &arena, &wk, &found, err);
    if (!rc)
        rc = wf->annotation_tally(st, p.id, app->who.user_id, now - WEEK_MS, &labels, &secs, err);
    if (!rc)
        rc = wf->review_list_author(st, p.id, app->who.user_id, 20, &arena, feedback_cb,
                                    feedback, err);
    if (!rc) {
        int r2 = wf->task_next_in_state(st, p.id, "rework", "rework", 0, app->who.user_id, &item,
                                        err);
        rework = r2 == 0;
        if (r2 == LO_ENOTFOUND)
            lo_error_clear(err);
        else
            rc = r2;
    }
    st->ops->rollback(st);
    if (!rc) {
        *out = json_pack("{s:s, s:s, s:{s:I, s:I, s:I, s:I}, s:o, s:{s:I, s:f}, s:o, s:b, s:o}",
                         "project", p.name, "role", lo_role_name(role), "queue", "label",
                         (json_int_t)(restricted ? open : c.queued), "rework",
                         (json_int_t)(rework ? 1 : 0), "review",
                         (json_int_t)(restricted ? 0 : c.in_review), "adjudicate",
                         (json_int_t)(restricted ? 0 : c.adjudication), "counts",
                         restricted ? json_null() : counts_json(&c), "week", "labels",
                         (json_int_t)labels, "working_seconds", secs, "gold",
                         me_gold_json(&wk, lagged, now), "paused", wk.paused, "feedback",
                         feedback);
    } else {
        json_decref(feedback);
    }
    lo_arena_free(&arena);
    return rc;
}

static json_t *annotation_json(const struct lo_wf_annotation *a, const char *project)
{
    return json_pack("{s:I, s:s, s:I, s:s, s:o, s:i, s:s, s:s, s:o, s:o, s:I}", "id",
                     (json_int_t)a->id, "project", project, "item", (json_int_t)a->item_id,
                     "annotator", a->annotator ? a->annotator : "", "value",
                     lo__wf_parse_or_null(a->value_json), "version", a->version, "status",
                     a->status ? a->status : "", "stage", a->stage ? a->stage : "",
                     "working_seconds", lo__wf_num_or_null(a->working_seconds), "prelabel",
                     a->prelabel ? json_string(a->prelabel) : json_null(), "created_ms",
                     (json_int_t)a->created_ms);
}

/* The annotation, its project's name, and whether the caller may read (and edit) it. */
static int annotation_access(struct lo_app *app, int64_t id, bool edit, struct lo_arena *arena,
                             struct lo_wf_annotation *a, const char **project,
                             struct lo_error *err)
{
    struct lo_store *st = app->store;
    struct lo_item item;
    int rc = st->ops->wf->annotation_get(st, id, arena, a, err);
    if (!rc)
        rc = st->ops->wf->item_get(st, a->item_id, arena, &item, err);
    if (!rc)
        rc = st->ops->wf->project_name(st, item.project_id, arena, project, err);
    if (rc)
        return rc == LO_ENOTFOUND ? lo_error_field(err, rc, "id", "no annotation %lld",
                                                   (long long)id)
                                  : rc;
    if (app->who.kind == LO_PRINCIPAL_LOCAL)
        return 0;
    struct lo_policy_object obj = { .kind = LO_OBJ_PROJECT, .id = item.project_id };
    rc = lo__app_member_role(app, item.project_id, &obj.member_role, err);
    if (rc)
        return rc;
    bool author = a->user_id && a->user_id == app->who.user_id;
    int pol = lo_policy_check(&app->who, edit ? LO_ACT_UPDATE : LO_ACT_REVIEW, &obj);
    if (pol == 0 || (author && lo_policy_check(&app->who, LO_ACT_ANNOTATE, &obj) == 0))
        return 0;
    if (!edit && lo_policy_check(&app->who, LO_ACT_READ, &obj) == 0) {
        /* whoever reads the project's items with their labels reads this one (a vendor
         * manager); an annotator reads only their own */
        bool restricted = true;
        rc = lo__app_annotator_view(app, item.project_id, &restricted, err);
        if (rc)
            return rc;
        if (!restricted)
            return 0;
        return lo_error_field(err, LO_ENOTFOUND, "id", "no annotation %lld", (long long)id);
    }
    if (pol == LO_EFORBIDDEN && edit && lo_policy_check(&app->who, LO_ACT_REVIEW, &obj) == 0) {
        lo_write_deny(app, LO_ACT_UPDATE, "annotation", id, LO_EFORBIDDEN);
        return lo_error_set(err, LO_EFORBIDDEN, "only the author or a manager may edit it");
    }
    /* An edit is a job (job_edit): the writer audits the denial after rolling it back. */
    if (edit && pol != LO_EUNAUTH)
        lo_write_deny(app, LO_ACT_UPDATE, "annotation", id, LO_ENOTFOUND);
    return lo_error_field(err, LO_ENOTFOUND, "id", "no annotation %lld", (long long)id);
}

int lo_app_annotation_get(struct lo_app *app, int64_t id, json_t **out, int *version_out,
                          struct lo_error *err)
{
    struct lo_store *st = app->store;
    struct lo_arena arena;
    struct lo_wf_annotation a;
    const char *project = NULL;
    *out = NULL;
    lo_arena_init(&arena, 4096);
    int rc = st->ops->begin(st, false, err);
    if (!rc) {
        rc = annotation_access(app, id, false, &arena, &a, &project, err);
        st->ops->rollback(st);
    }
    if (!rc) {
        *out = annotation_json(&a, project);
        *version_out = a.version;
    }
    lo_arena_free(&arena);
    return rc;
}

struct edit_job {
    int64_t id;
    int if_match;
    const json_t *body;
    json_t *out;
};

static int job_edit(struct lo_app *app, void *ctx, struct lo_error *err)
{
    struct edit_job *j = ctx;
    struct lo_store *st = app->store;
    struct lo_arena arena;
    struct lo_wf_annotation a;
    struct wf_project w;
    const char *project = NULL;
    char *text = NULL;
    memset(&w, 0, sizeof(w));
    lo_arena_init(&arena, 4096);
    int rc = annotation_access(app, j->id, true, &arena, &a, &project, err);
    if (!rc)
        rc = lo__wf_project_load(app, 0, project, true, &arena, &w, err);
    if (!rc && a.user_id == app->who.user_id && app->who.kind == LO_PRINCIPAL_USER) {
        /* the author may edit until the item is complete */
        struct lo_task_row t;
        int r2 = st->ops->wf->task_get(st, a.item_id, &arena, &t, err);
        if (r2 == 0 && !strcmp(t.state, "complete")) {
            struct lo_policy_object obj = { .kind = LO_OBJ_PROJECT, .id = w.p.id };
            rc = lo__app_member_role(app, w.p.id, &obj.member_role, err);
            if (!rc && lo_policy_check(&app->who, LO_ACT_UPDATE, &obj))
                rc = lo_error_set(err, LO_ECONFLICT,
                                  "item %lld is complete: only a manager may edit its labels",
                                  (long long)a.item_id);
        } else if (r2 == LO_ENOTFOUND) {
            lo_error_clear(err);
        } else if (r2) {
            rc = r2;
        }
    }
    if (!rc)
        rc = lo__wf_check_value(app, &w, a.item_id, json_object_get(j->body, "value"), &arena, &text,
                         err);
    if (!rc)
        rc = st->ops->wf->annotation_edit(st, j->id, j->if_match, text, err);
    if (!rc && w.has_cfg && a.status && !strcmp(a.status, "active")) {
        /* A complete item's final label follows an edit of the labels that decided it. */
        struct lo_task_row t;
        int r2 = st->ops->wf->task_get(st, a.item_id, &arena, &t, err);
        if (r2 == LO_ENOTFOUND) {
            lo_error_clear(err);
        } else if (r2) {
            rc = r2;
        } else if (!strcmp(t.state, "complete") && !t.is_gold) {
            int64_t now = lo_clock_now_ms(&app->clock);
            if (t.method && !strcmp(t.method, "adjudicated")) {
                if (a.stage && !strcmp(a.stage, "adjudicate")) {
                    t.final_json = text;
                    rc = st->ops->wf->task_put(st, &t, err);
                    if (!rc)
                        rc = lo__wf_item_event(app, &t, "item_final_updated", NULL,
                                        json_pack("{s:s}", "method", "adjudicated"), err);
                }
            } else {
                rc = lo__wf_decide_final(app, &w, &t, now, true, &arena, err);
            }
        }
    }
    if (!rc)
        rc = lo__app_event(app, w.p.id, "annotation_edited", "item", a.item_id,
                           json_pack("{s:I, s:i}", "annotation", (json_int_t)a.id, "version",
                                     j->if_match + 1),
                           err);
    if (!rc) {
        a.value_json = text;
        a.version = j->if_match + 1;
        j->out = annotation_json(&a, project);
    }
    free(text);
    lo__wf_project_free(&w);
    lo_arena_free(&arena);
    return rc;
}

int lo_app_annotation_edit(struct lo_app *app, int64_t id, int if_match, const json_t *body,
                           json_t **out, struct lo_error *err)
{
    struct edit_job j = { .id = id, .if_match = if_match, .body = body };
    *out = NULL;
    int rc = lo_app_write(app, job_edit, &j, err);
    return lo__wf_hand_over(rc, &j.out, out);
}

/* ---- consolidation by truth inference over the whole project ------------------------------ */

struct cons_read {
    const struct lo_schema_field *f;
    struct lo_ratings_builder *b;
    struct lo_error *err;
    long labels;
};

static int cons_scan_cb(void *ctx, const struct lo_wf_annotation *a, const char *state,
                        bool is_gold)
{
    struct cons_read *c = ctx;
    (void)state;
    if (is_gold)
        return 0; /* gold items are answered by everyone and never completed */
    json_t *v = json_loads(a->value_json, 0, NULL);
    json_t *fv = v ? json_object_get(v, c->f->name) : NULL;
    char label[LO_LIMIT_LABEL + 1], item[32];
    struct lo_error e2;
    int rc = 0;
    if (fv && !json_is_null(fv) && !lo_schema_value_label(c->f, fv, label, sizeof(label), &e2)) {
        snprintf(item, sizeof(item), "%lld", (long long)a->item_id);
        rc = lo_ratings_builder_add(c->b, lo_str_from(item),
                                    lo_str_from(a->annotator ? a->annotator : ""),
                                    lo_str_from(label), c->err);
        c->labels++;
    }
    json_decref(v);
    return rc;
}

struct cons_update {
    int64_t item_id;
    const char *label;
    double confidence;
};

struct cons_job {
    int64_t project_id;
    const char *project;
    const char *method;
    const struct lo_schema_field *f;
    struct cons_update *u;
    size_t n;
    long labels;
    json_t *out;
};

static int job_consolidate(struct lo_app *app, void *ctx, struct lo_error *err)
{
    struct cons_job *j = ctx;
    struct lo_store *st = app->store;
    struct lo_arena arena;
    long updated = 0, changed = 0;
    int rc = 0;
    lo_arena_init(&arena, 8192);
    for (size_t i = 0; i < j->n && !rc; i++) {
        struct lo_task_row t;
        rc = st->ops->wf->task_get(st, j->u[i].item_id, &arena, &t, err);
        if (rc == LO_ENOTFOUND) {
            lo_error_clear(err);
            rc = 0;
            continue;
        }
        if (rc || strcmp(t.state, "complete") || t.is_gold)
            continue;
        json_t *final = t.final_json ? json_loads(t.final_json, 0, NULL) : NULL;
        if (!json_is_object(final)) {
            json_decref(final);
            final = json_object();
        }
        json_t *old = json_deep_copy(json_object_get(final, j->f->name));
        json_t *val = j->f->type == LO_FIELD_RATING ? json_real(strtod(j->u[i].label, NULL))
                                                    : json_string(j->u[i].label);
        if (j->f->type == LO_FIELD_RATING && json_real_value(val) == (double)(long long)json_real_value(val)) {
            json_t *iv = json_integer((json_int_t)json_real_value(val));
            json_decref(val);
            val = iv;
        }
        bool same = old && (json_equal(old, val) || (json_is_number(old) && json_is_number(val)
                            && json_number_value(old) == json_number_value(val)));
        json_object_set_new(final, j->f->name, val);
        char *text = lo_json_dump(final);
        json_decref(final);
        json_decref(old);
        if (!text) {
            rc = lo_error_set(err, LO_ENOMEM, "out of memory");
            break;
        }
        t.final_json = lo_arena_strndup(&arena, text, strlen(text));
        free(text);
        t.confidence = j->u[i].confidence;
        t.method = j->method;
        rc = st->ops->wf->task_put(st, &t, err);
        updated++;
        changed += !same;
    }
    if (!rc)
        rc = lo__app_event(app, j->project_id, "consolidated", "project", j->project_id,
                           json_pack("{s:s, s:I, s:i, s:i}", "method", j->method, "labels",
                                     (json_int_t)j->labels, "items_updated", (int)updated,
                                     "items_changed", (int)changed),
                           err);
    if (!rc)
        j->out = json_pack("{s:s, s:s, s:I, s:i, s:i}", "project", j->project, "method",
                           j->method, "labels", (json_int_t)j->labels, "items_updated",
                           (int)updated, "items_changed", (int)changed);
    lo_arena_free(&arena);
    return rc;
}

int lo_app_wf_consolidate(struct lo_app *app, const char *project, const char *method,
                          json_t **out, struct lo_error *err)
{
    *out = NULL;
    enum lo_infer_method m;
    if (!method || lo_infer_method_parse(method, &m) || m == LO_INFER_WMV)
        return lo_error_field(err, LO_EINVAL, "method",
                              "method must be mv, ds, onecoin, glad or mace, not '%s'",
                              method ? method : "");
    struct cons_job j = { .project = project, .method = method };
    int rc = lo__wf_precheck(app, project, LO_ACT_UPDATE, &j.project_id, err);
    if (rc)
        return rc;
    /* Read and infer on the caller's connection (a long computation must not hold the
     * writer); then write the final labels in one job. */
    struct lo_store *st = app->store;
    struct lo_arena arena;
    struct wf_project w;
    struct lo_ratings r;
    struct lo_infer_result res;
    struct lo_ratings_builder *b = NULL;
    lo_arena_init(&arena, 1 << 16);
    memset(&w, 0, sizeof(w));
    rc = st->ops->begin(st, false, err);
    if (!rc) {
        rc = lo__wf_project_load(app, j.project_id, project, false, &arena, &w, err);
        if (!rc && !w.field)
            rc = lo_error_field(err, LO_EINVAL, "field",
                                "inference needs a single-choice or rating field to compare");
        if (!rc)
            rc = lo_ratings_builder_new(&b, &arena) ? lo_error_set(err, LO_ENOMEM, "out of memory")
                                                    : 0;
        struct cons_read c = { w.field, b, err, 0 };
        if (!rc)
            rc = st->ops->wf->annotation_scan(st, j.project_id, &arena, cons_scan_cb, &c, err);
        j.labels = c.labels;
        st->ops->rollback(st);
    }
    if (!rc) {
        rc = lo_ratings_builder_finish(b, &r, err);
        b = NULL;
    }
    if (!rc && r.n == 0)
        rc = lo_error_set(err, LO_EINVAL, "project '%s' has no labels to consolidate", project);
    struct lo_infer_options opt;
    lo_infer_options_init(&opt, m);
    if (!rc)
        rc = lo_infer(&r, &opt, &arena, &res, err);
    if (!rc) {
        j.f = w.field;
        j.u = lo_arena_calloc(&arena, r.n_items + 1, sizeof(*j.u));
        for (size_t i = 0; j.u && i < r.n_items; i++) {
            if (res.label[i] < 0)
                continue;
            j.u[j.n++] = (struct cons_update){ .item_id = strtoll(r.item_names[i], NULL, 10),
                                              .label = r.class_names[res.label[i]],
                                              .confidence = res.confidence[i] };
        }
        rc = j.u ? lo_app_write(app, job_consolidate, &j, err)
                 : lo_error_set(err, LO_ENOMEM, "out of memory");
    }
    lo_ratings_builder_free(b);
    lo__wf_project_free(&w);
    lo_arena_free(&arena);
    return lo__wf_hand_over(rc, &j.out, out);
}

/* ---- the project's annotators ------------------------------------------------------------- */

struct annotators_ctx {
    struct lo_app *app;
    struct lo_arena *arena;
    int64_t only_vendor;          /* a vendor manager sees their vendor's people only */
    json_t *list;
};

static int annotators_cb(void *ctx, const struct lo_member_row *m)
{
    struct annotators_ctx *c = ctx;
    struct lo_store *st = c->app->store;
    struct lo_user_row u;
    struct lo_worker_row w;
    struct lo_error e;
    bool found;
    if (st->ops->user_get(st, NULL, m->user_id, c->arena, &u, &e))
        return 0;
    if (c->only_vendor && u.vendor_id != c->only_vendor)
        return 0;
    enum lo_role r = lo_role_parse(m->role);
    if (r != LO_ROLE_ANNOTATOR && r != LO_ROLE_REVIEWER)
        return 0;
    int rc = st->ops->wf->worker_get(st, m->project_id, m->user_id, c->arena, &w, &found, &e);
    if (rc)
        return 0;
    json_t *o = worker_json(&w, u.name, u.vendor_name);
    json_object_set_new(o, "role", json_string(m->role));
    json_array_append_new(c->list, o);
    return 0;
}

int lo_app_wf_annotators(struct lo_app *app, const char *project, json_t **out,
                         struct lo_error *err)
{
    struct lo_store *st = app->store;
    struct lo_arena arena;
    struct lo_project p;
    *out = NULL;
    lo_arena_init(&arena, 8192);
    int rc = st->ops->begin(st, false, err);
    if (rc) {
        lo_arena_free(&arena);
        return rc;
    }
    rc = lo__app_find_project_for(app, project, LO_ACT_READ, &arena, &p, err);
    struct annotators_ctx c = { app, &arena, 0, json_array() };
    if (!rc && app->who.kind == LO_PRINCIPAL_USER && app->who.role == LO_ROLE_VENDOR_MANAGER)
        c.only_vendor = app->who.vendor_id ? app->who.vendor_id : -1;
    else if (!rc && app->who.kind == LO_PRINCIPAL_USER) {
        /* managers and admins; annotators and reviewers do not see each other's figures */
        struct lo_policy_object obj = { .kind = LO_OBJ_PROJECT, .id = p.id };
        rc = lo__app_member_role(app, p.id, &obj.member_role, err);
        if (!rc && lo_policy_check(&app->who, LO_ACT_UPDATE, &obj)) {
            lo__app_record_denial(app, LO_ACT_UPDATE, "project", p.id, LO_EFORBIDDEN);
            rc = lo_error_set(err, LO_EFORBIDDEN,
                              "only managers see the annotators' figures of project '%s'",
                              project);
        }
    }
    if (!rc)
        rc = st->ops->member_list(st, p.id, &arena, annotators_cb, &c, err);
    st->ops->rollback(st);
    if (!rc)
        *out = json_pack("{s:s, s:o}", "project", project, "annotators", c.list);
    else
        json_decref(c.list);
    lo_arena_free(&arena);
    return rc;
}
