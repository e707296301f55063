/*
 * workflow.c - the workflow use cases (workflow.h): the project cache and shared helpers, next
 * task and the lease operations (heartbeat, draft, skip, flag); wf_config.c has the
 * configuration, wf_submit.c the submits, wf_manage.c the manager's side and the reads.
 *
 * Shape of every write: a short read transaction on the caller's connection finds the project
 * and asks the policy (a denial is audited there), then the work runs as one job through
 * lo_app_write: on the server inside the group-commit writer, where jobs run one at a time, so
 * the task counters (wanted, leased, done) are read and written without races.
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

/* Added to the priority of an item past the turnaround goal: above any priority an item sets. */
#define LO_WF_OVERDUE_PRIORITY 1000000000

/* ---- small helpers ------------------------------------------------------------------------ */

static int state_parse(const char *name, enum lo_wf_state *out)
{
    for (int s = 0; s < LO_WF_STATE_COUNT; s++) {
        if (name && !strcmp(lo_wf_state_name((enum lo_wf_state)s), name)) {
            *out = (enum lo_wf_state)s;
            return 0;
        }
    }
    return LO_EINVAL;
}

json_t *lo__wf_parse_or_null(const char *text)
{
    if (!text)
        return json_null();
    json_t *v = json_loads(text, JSON_DECODE_ANY, NULL);
    return v ? v : json_null();
}

json_t *lo__wf_num_or_null(double v)
{
    return isnan(v) ? json_null() : json_real(v);
}

/* Everything a job needs about its project, read inside the job's transaction. */

void lo__wf_project_free(struct wf_project *w)
{
    if (w->has_cfg && !w->cached)
        lo_wf_config_free(&w->cfg);
    if (!w->cached)
        lo_schema_free(w->schema);
    memset(w, 0, sizeof(*w));
}

/* Parsed configurations and schemas, per app (so per thread), by (project, configuration
 * version, schema version): a version is never changed once stored, so an entry never goes
 * stale; a new version is a new key. Parsing both on every request was a sixth of the work. */
#define WF_CACHE_SLOTS 8

struct wf_cache_entry {
    int64_t project_id;
    int cfg_version, schema_version;
    int64_t expired_ms;           /* when this thread last reclaimed the project's leases */
    int64_t escalated_ms;         /* when it last raised the project's overdue items */
    struct lo_wf_config cfg;
    struct lo_schema *schema;
};

struct lo_wf_cache {
    struct wf_cache_entry e[WF_CACHE_SLOTS];
    unsigned next;                /* the slot to replace next */
};

void lo__wf_cache_free(struct lo_app *app)
{
    struct lo_wf_cache *c = app->wf_cache;
    if (!c)
        return;
    for (int i = 0; i < WF_CACHE_SLOTS; i++) {
        if (c->e[i].project_id) {
            lo_wf_config_free(&c->e[i].cfg);
            lo_schema_free(c->e[i].schema);
        }
    }
    free(c);
    app->wf_cache = NULL;
}

static struct wf_cache_entry *cache_find(struct lo_app *app, int64_t project_id, int cfg_version,
                                         int schema_version)
{
    struct lo_wf_cache *c = app->wf_cache;
    for (int i = 0; c && i < WF_CACHE_SLOTS; i++) {
        struct wf_cache_entry *e = &c->e[i];
        if (e->project_id == project_id && e->cfg_version == cfg_version
            && e->schema_version == schema_version)
            return e;
    }
    return NULL;
}

/* Moves w's parsed configuration and schema into the cache (w borrows them from then on). */
static void cache_put(struct lo_app *app, struct wf_project *w)
{
    if (!app->wf_cache && !(app->wf_cache = calloc(1, sizeof(struct lo_wf_cache))))
        return; /* no cache: w keeps its own */
    struct lo_wf_cache *c = app->wf_cache;
    struct wf_cache_entry *e = &c->e[c->next++ % WF_CACHE_SLOTS];
    if (e->project_id) {
        lo_wf_config_free(&e->cfg);
        lo_schema_free(e->schema);
    }
    *e = (struct wf_cache_entry){ .project_id = w->p.id, .cfg_version = w->cfg_version,
                                  .schema_version = w->p.schema_version, .cfg = w->cfg,
                                  .schema = w->schema };
    w->cached = true;
    w->entry = e;
}

/* The compared field: the configured one, else the schema's first single-choice or rating. */
static const struct lo_schema_field *compared_field(const struct lo_schema *s, const char *name)
{
    if (!s)
        return NULL;
    if (name)
        return lo_schema_field_find(s, name);
    for (size_t i = 0; i < lo_schema_field_count(s); i++) {
        const struct lo_schema_field *f = lo_schema_field_at(s, i);
        if (f->type == LO_FIELD_SINGLE_CHOICE || f->type == LO_FIELD_RATING)
            return f;
    }
    return NULL;
}

/* Loads project, configuration (required unless optional) and schema in the open transaction. */
int lo__wf_project_load(struct lo_app *app, int64_t project_id, const char *name,
                           bool optional, struct lo_arena *arena, struct wf_project *w,
                           struct lo_error *err)
{
    struct lo_store *st = app->store;
    memset(w, 0, sizeof(*w));
    int rc = name ? 0 : st->ops->wf->project_name(st, project_id, arena, &name, err);
    if (!rc)
        rc = lo__app_find_project(app, name, arena, &w->p, err);
    if (rc)
        return rc;
    if (project_id && w->p.id != project_id)
        return lo_error_field(err, LO_ENOTFOUND, "project", "no project named '%s'", name);
    const char *json = NULL;
    rc = st->ops->wf->config_get(st, w->p.id, arena, &json, &w->cfg_version, err);
    if (rc == LO_ENOTFOUND) {
        if (!optional)
            return lo_error_set(err, LO_ECONFLICT,
                                "project '%s' has no workflow yet: set one first (PUT "
                                "/api/v1/projects/%s/workflow or `labelops workflow set`)",
                                name, name);
        lo_error_clear(err);
        rc = 0;
    }
    if (rc)
        return rc;
    struct wf_cache_entry *e = json ? cache_find(app, w->p.id, w->cfg_version,
                                                 w->p.schema_version)
                                    : NULL;
    if (e) {
        w->cfg = e->cfg;
        w->schema = e->schema;
        w->entry = e;
        w->has_cfg = w->cached = true;
        w->field = compared_field(w->schema, w->cfg.field);
        return 0;
    }
    json_t *doc = json ? lo_json_parse(json, strlen(json), err) : NULL;
    if (json && !doc)
        return LO_ESTORE;
    rc = lo_wf_config_parse(doc, &w->cfg, err);
    json_decref(doc);
    if (rc)
        return rc;
    w->has_cfg = true;
    if (w->p.schema_json) {
        rc = lo_schema_parse(w->p.schema_json, strlen(w->p.schema_json), &w->schema, err);
        if (rc)
            return rc;
        w->field = compared_field(w->schema, w->cfg.field);
    }
    if (json) /* the defaults of a project without a workflow are not worth keeping */
        cache_put(app, w);
    return 0;
}

/* The caller's role check for a project by id, inside a job. A denial is noted for the writer
 * (lo_write_deny), which audits it after rolling the job back: the job itself must not end the
 * shared transaction. */
int lo__wf_job_authorize(struct lo_app *app, int64_t project_id, enum lo_action action,
                         struct lo_error *err)
{
    if (app->who.kind == LO_PRINCIPAL_LOCAL)
        return 0;
    struct lo_policy_object obj = { .kind = LO_OBJ_PROJECT, .id = project_id };
    int rc = lo__app_member_role(app, project_id, &obj.member_role, err);
    if (rc)
        return rc;
    rc = lo_policy_check(&app->who, action, &obj);
    if (rc)
        lo_write_deny(app, action, "project", project_id, rc);
    if (rc == LO_ENOTFOUND)
        return lo_error_set(err, rc, "no such task");
    if (rc)
        return lo_error_set(err, rc, "your role in this project may not %s",
                            lo__action_name(action));
    return 0;
}

/* The read step before a write: find the project and ask the policy (audited on denial). */
int lo__wf_precheck(struct lo_app *app, const char *project, enum lo_action action,
                    int64_t *project_id, struct lo_error *err)
{
    struct lo_store *st = app->store;
    struct lo_arena arena;
    struct lo_project p;
    lo_arena_init(&arena, 1024);
    int rc = st->ops->begin(st, false, err);
    if (!rc) {
        rc = lo__app_find_project_for(app, project, action, &arena, &p, err);
        if (!rc)
            *project_id = p.id;
        st->ops->rollback(st);
    }
    lo_arena_free(&arena);
    return rc;
}

int lo__wf_need_user(struct lo_app *app, struct lo_error *err)
{
    if (app->who.kind == LO_PRINCIPAL_USER && app->who.user_id > 0)
        return 0;
    return lo_error_set(err, LO_EUSAGE,
                        "tasks belong to a user: sign in, or on the command line name one "
                        "with --as USER");
}

int lo__wf_transition(struct lo_task_row *t, enum lo_wf_event ev, int64_t now,
                      struct lo_arena *arena, const char **from_out, struct lo_error *err)
{
    enum lo_wf_state from, to;
    if (state_parse(t->state, &from))
        return lo_error_set(err, LO_ESTORE, "item %lld has an unknown state '%s'",
                            (long long)t->item_id, t->state ? t->state : "");
    int rc = lo_wf_transition(from, ev, &to, err);
    if (rc)
        return rc;
    if (from_out)
        *from_out = t->state;
    t->state = lo_arena_strndup(arena, lo_wf_state_name(to), strlen(lo_wf_state_name(to)));
    if (!t->state)
        return lo_error_set(err, LO_ENOMEM, "out of memory");
    t->state_ms = now;
    return 0;
}

/* Records an item's state change. */
int lo__wf_item_event(struct lo_app *app, const struct lo_task_row *t, const char *kind,
                      const char *from, json_t *payload, struct lo_error *err)
{
    if (!payload)
        payload = json_object();
    if (from)
        json_object_set_new(payload, "from", json_string(from));
    json_object_set_new(payload, "to", json_string(t->state));
    return lo__app_event(app, t->project_id, kind, "item", t->item_id, payload, err);
}

/* A job's answer to the caller on success; freed on failure. Returns rc. */
int lo__wf_hand_over(int rc, json_t **answer, json_t **out)
{
    if (!rc)
        *out = *answer;
    else
        json_decref(*answer);
    *answer = NULL;
    return rc;
}

/* ---- the task a lease describes ----------------------------------------------------------- */

static int annotations_json_cb(void *ctx, const struct lo_wf_annotation *a)
{
    json_array_append_new((json_t *)ctx,
                          json_pack("{s:I, s:s, s:o, s:i, s:s, s:s}", "annotation",
                                    (json_int_t)a->id, "annotator",
                                    a->annotator ? a->annotator : "", "value",
                                    lo__wf_parse_or_null(a->value_json), "version", a->version, "stage",
                                    a->stage ? a->stage : "", "status",
                                    a->status ? a->status : ""));
    return 0;
}

static int adjudication_json_cb(void *ctx, const struct lo_wf_annotation *a)
{
    if (a->status && (!strcmp(a->status, "invalidated") || !strcmp(a->status, "superseded")))
        return 0;
    return annotations_json_cb(ctx, a);
}

/* The task answer for lease l (see docs/api-workflow.md). */
static int task_json(struct lo_app *app, const struct wf_project *w, const struct lo_lease_row *l,
                     struct lo_arena *arena, json_t **out, struct lo_error *err)
{
    struct lo_store *st = app->store;
    struct lo_item item;
    int rc = st->ops->wf->item_get(st, l->item_id, arena, &item, err);
    if (rc)
        return rc;
    json_t *t = json_pack("{s:s, s:s, s:s, s:{s:I, s:s, s:o}, s:I, s:i, s:i, s:i}", "lease",
                          l->id, "kind", l->kind, "project", w->p.name, "item", "id",
                          (json_int_t)item.id, "external_id", item.external_id, "data",
                          lo__wf_parse_or_null(item.payload_json), "expires_ms",
                          (json_int_t)l->expires_ms, "lease_seconds", w->cfg.lease_seconds,
                          "schema_version", w->p.schema_version, "guideline_version",
                          w->p.guideline_version);
    if (!t)
        return lo_error_set(err, LO_ENOMEM, "out of memory");
    /* the server's clock beside expires_ms, so a client counts the lease down exactly */
    json_object_set_new(t, "now_ms", json_integer(lo_clock_now_ms(&app->clock)));
    json_object_set_new(t, "draft", lo__wf_parse_or_null(l->draft_json));
    json_object_set_new(t, "prelabel", json_null());
    json_object_set_new(t, "previous", json_null());
    json_t *labels = json_array();
    json_object_set_new(t, "labels", labels);
    bool fresh = !strcmp(l->kind, "label") || !strcmp(l->kind, "rework");
    if (fresh && w->cfg.prelabels) {
        struct lo_prediction pr;
        rc = st->ops->wf->prediction_latest(st, l->item_id, arena, &pr, err);
        if (!rc)
            json_object_set_new(t, "prelabel",
                                json_pack("{s:o, s:s, s:s, s:o}", "value",
                                          lo__wf_parse_or_null(pr.value_json), "model", pr.model_name,
                                          "model_version", pr.model_version ? pr.model_version : "",
                                          "score", lo__wf_num_or_null(pr.score)));
        else if (rc == LO_ENOTFOUND) {
            lo_error_clear(err);
            rc = 0;
        }
    }
    if (!rc && !strcmp(l->kind, "rework") && l->annotation_id) {
        struct lo_wf_annotation a;
        struct lo_review_row r;
        rc = st->ops->wf->annotation_get(st, l->annotation_id, arena, &a, err);
        if (!rc) {
            json_t *prev = json_pack("{s:I, s:o, s:o, s:s, s:s}", "annotation", (json_int_t)a.id,
                                     "value", lo__wf_parse_or_null(a.value_json), "reasons",
                                     json_array(), "comment", "", "reviewer", "");
            int r2 = st->ops->wf->review_last(st, a.id, arena, &r, err);
            if (!r2) {
                json_object_set_new(prev, "reasons", lo__wf_parse_or_null(r.reasons_json));
                json_object_set_new(prev, "comment", json_string(r.comment ? r.comment : ""));
                json_object_set_new(prev, "reviewer", json_string(r.reviewer ? r.reviewer : ""));
            } else if (r2 == LO_ENOTFOUND) {
                lo_error_clear(err);
            } else {
                rc = r2;
            }
            json_object_set_new(t, "previous", prev);
        }
    }
    if (!rc && !strcmp(l->kind, "review") && l->annotation_id) {
        struct lo_wf_annotation a;
        rc = st->ops->wf->annotation_get(st, l->annotation_id, arena, &a, err);
        if (!rc)
            rc = annotations_json_cb(labels, &a);
    }
    json_object_set_new(t, "merged", json_null());
    if (!rc && !strcmp(l->kind, "adjudicate")) { /* every label that went round, rejected too */
        rc = st->ops->wf->annotation_list(st, l->item_id, NULL, arena, adjudication_json_cb,
                                          labels, err);
        json_t *merged = NULL;
        if (!rc)
            rc = lo__wf_merged_objects(app, w, l->item_id, arena, &merged, err);
        if (merged)
            json_object_set_new(t, "merged", merged);
    }
    if (rc) {
        json_decref(t);
        return rc;
    }
    *out = json_pack("{s:o}", "task", t);
    return 0;
}

/* ---- next task ---------------------------------------------------------------------------- */

struct next_job {
    int64_t project_id;
    const char *project;
    const char *kind;             /* label, review, adjudicate */
    const char *vendor_name;      /* the caller's vendor, NULL in-house */
    json_t *out;
};

struct expire_ctx {
    struct lo_app *app;
    struct lo_arena *arena;
    struct lo_error *err;
};

/* An expired label lease frees its slot on the item, and the item may be offered to its holder
 * again (they never submitted; their draft comes back with it). */
static int on_expired(void *ctx, const struct lo_lease_row *l)
{
    struct expire_ctx *c = ctx;
    struct lo_store *st = c->app->store;
    if (strcmp(l->kind, "label"))
        return 0;
    struct lo_task_row t;
    int rc = st->ops->wf->task_get(st, l->item_id, c->arena, &t, c->err);
    if (rc)
        return rc;
    if (t.leased > 0)
        t.leased--;
    rc = st->ops->wf->task_put(st, &t, c->err);
    if (!rc)
        rc = st->ops->wf->seen_remove(st, l->user_id, l->item_id, c->err);
    return rc;
}

static int new_lease(struct lo_app *app, const struct wf_project *w, int64_t item_id,
                     const char *kind, int64_t annotation_id, int64_t now, struct lo_arena *arena,
                     struct lo_lease_row *l, struct lo_error *err)
{
    /* 48 bits of time, then 80 random bits: new leases land at the right edge of the leases
     * index (fewer pages touched per commit than a wholly random key), and cannot be guessed
     * (they are checked against their owner anyway). */
    unsigned char raw[16];
    char *id = lo_arena_alloc(arena, 33);
    if (!id)
        return lo_error_set(err, LO_ENOMEM, "out of memory");
    for (int i = 0; i < 6; i++)
        raw[i] = (unsigned char)((uint64_t)now >> (8 * (5 - i)));
    randombytes_buf(raw + 6, sizeof(raw) - 6);
    sodium_bin2hex(id, 33, raw, sizeof(raw));
    *l = (struct lo_lease_row){
        .id = id,
        .project_id = w->p.id,
        .item_id = item_id,
        .user_id = app->who.user_id,
        .kind = kind,
        .annotation_id = annotation_id,
        .state = "live",
        .created_ms = now,
        .expires_ms = now + (int64_t)w->cfg.lease_seconds * 1000,
    };
    /* A draft saved under an earlier lease of the same person on the item comes back. */
    int rc = app->store->ops->wf->lease_last_draft(app->store, item_id, app->who.user_id, arena,
                                                   &l->draft_json, err);
    if (!rc && l->draft_json)
        l->draft_ms = now;
    return rc ? rc : app->store->ops->wf->lease_create(app->store, l, err);
}

/* Bit masks of skills: bit i for the worker's i-th skill, bit 31 for a skill they lack. */
static uint32_t skill_mask(const char *tags, const char *worker_skills, bool worker)
{
    uint32_t mask = 0;
    if (worker) {
        int n = 0;
        for (const char *p = worker_skills; p && *p && n < 31; n++) {
            mask |= 1u << n;
            p = strchr(p, ',');
            p = p ? p + 1 : NULL;
        }
        return mask;
    }
    for (const char *p = tags; p && *p;) {
        const char *end = strchr(p, ',');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        int bit = 31, i = 0;
        for (const char *q = worker_skills; q && *q && i < 31; i++) {
            const char *qe = strchr(q, ',');
            size_t ql = qe ? (size_t)(qe - q) : strlen(q);
            if (ql == len && !memcmp(p, q, len)) {
                bit = i;
                break;
            }
            q = qe ? qe + 1 : NULL;
        }
        mask |= 1u << bit;
        p = end ? end + 1 : NULL;
    }
    return mask;
}

struct cand_ctx {
    struct lo_wf_candidate c[LO_LIMIT_WF_CANDIDATES];
    const char *worker_skills;
    size_t n;
};

static int cand_cb(void *ctx, const struct lo_task_row *t)
{
    struct cand_ctx *c = ctx;
    if (c->n >= LO_LIMIT_WF_CANDIDATES)
        return 1;
    c->c[c->n++] = (struct lo_wf_candidate){
        .item_id = (uint64_t)t->item_id,
        .priority = t->priority,
        .created_ms = t->created_ms,
        .labels_needed = t->is_gold ? 1 : t->wanted - t->done - t->leased,
        .skill_mask = skill_mask(t->skills, c->worker_skills, false),
        .prediction_score = t->score,
        .is_gold = t->is_gold,
    };
    return 0;
}

static int reply_none(struct next_job *j, const char *reason)
{
    j->out = json_pack("{s:n, s:s}", "task", "reason", reason);
    return 0;
}

static int job_next(struct lo_app *app, void *ctx, struct lo_error *err)
{
    struct next_job *j = ctx;
    struct lo_store *st = app->store;
    const struct lo_wf_store_ops *wf = st->ops->wf;
    struct lo_arena arena;
    struct wf_project w;
    int64_t now = lo_clock_now_ms(&app->clock);
    lo_arena_init(&arena, 8192);
    int rc = lo__wf_project_load(app, j->project_id, j->project, false, &arena, &w, err);
    if (rc)
        goto out;
    /* Lapsed leases are reclaimed at most once a second per project and thread (a lease is
     * seconds to hours long; the check is a tenth of next-task's work). */
    if (!w.entry || now - w.entry->expired_ms >= 1000) {
        struct expire_ctx ec = { app, &arena, err };
        rc = wf->lease_expire(st, w.p.id, now, &arena, on_expired, &ec, err);
        if (rc)
            goto out;
        if (w.entry)
            w.entry->expired_ms = now;
    }
    /* Items older than the turnaround goal rise above every priority, once a minute. */
    if (!isnan(w.p.goal_turnaround_hours) && (!w.entry || now - w.entry->escalated_ms >= 60000)) {
        int64_t raised = 0;
        rc = wf->task_escalate(st, w.p.id, now - (int64_t)(w.p.goal_turnaround_hours * 3600000.0),
                               LO_WF_OVERDUE_PRIORITY, &raised, err);
        if (!rc && raised)
            rc = lo__app_event(app, w.p.id, "items_overdue", "project", w.p.id,
                               json_pack("{s:I, s:f}", "raised", (json_int_t)raised,
                                         "turnaround_hours", w.p.goal_turnaround_hours),
                               err);
        if (rc)
            goto out;
        if (w.entry)
            w.entry->escalated_ms = now;
    }

    /* A live lease of the same kind comes back: a reload loses nothing. */
    {
        struct lo_lease_row l;
        rc = wf->lease_live_for(st, w.p.id, app->who.user_id, j->kind,
                                !strcmp(j->kind, "label") ? "rework" : NULL, &arena, &l, err);
        if (!rc) {
            rc = task_json(app, &w, &l, &arena, &j->out, err);
            goto out;
        }
        if (rc != LO_ENOTFOUND)
            goto out;
        lo_error_clear(err);
    }

    struct lo_lease_row l;
    int64_t item = 0;
    if (strcmp(j->kind, "label")) {
        bool review = !strcmp(j->kind, "review");
        rc = wf->task_next_in_state(st, w.p.id, review ? "in_review" : "adjudication", j->kind,
                                    review ? app->who.user_id : 0, 0, &item, err);
        if (rc == LO_ENOTFOUND) {
            lo_error_clear(err);
            rc = reply_none(j, "empty");
            goto out;
        }
        if (rc)
            goto out;
        struct lo_task_row t;
        rc = wf->task_get(st, item, &arena, &t, err);
        if (!rc)
            rc = new_lease(app, &w, item, j->kind, review ? t.review_annotation : 0, now, &arena,
                           &l, err);
        if (!rc)
            rc = task_json(app, &w, &l, &arena, &j->out, err);
        goto out;
    }

    struct lo_worker_row wk;
    bool found;
    rc = wf->worker_get(st, w.p.id, app->who.user_id, &arena, &wk, &found, err);
    if (rc)
        goto out;
    if (wk.paused) {
        rc = reply_none(j, "paused");
        goto out;
    }
    int cap = wk.cap_per_day ? wk.cap_per_day : w.cfg.cap_per_day;
    if (cap > 0 && wk.day == now / DAY_MS && wk.labels_day >= cap) {
        rc = reply_none(j, "cap");
        goto out;
    }
    json_t *share = j->vendor_name ? json_object_get(w.cfg.vendor_shares, j->vendor_name) : NULL;
    if (share) {
        int64_t mine, all;
        rc = wf->vendor_labels(st, w.p.id, app->who.vendor_id, &mine, &all, err);
        if (rc)
            goto out;
        /* Past its share of the labels so far (judged once there are a few). */
        if (all >= 20 && (double)mine > json_number_value(share) * (double)all) {
            rc = reply_none(j, "vendor_share");
            goto out;
        }
    }

    /* The caller's rework comes first. */
    rc = wf->task_next_in_state(st, w.p.id, "rework", "rework", 0, app->who.user_id, &item, err);
    if (!rc) {
        struct lo_task_row t;
        rc = wf->task_get(st, item, &arena, &t, err);
        if (!rc)
            rc = new_lease(app, &w, item, "rework", t.review_annotation, now, &arena, &l, err);
        if (!rc)
            rc = task_json(app, &w, &l, &arena, &j->out, err);
        goto out;
    }
    if (rc != LO_ENOTFOUND)
        goto out;
    lo_error_clear(err);

    /* A gold task with probability gold_share, drawn before looking at the queue. */
    struct cand_ctx *cc = lo_arena_calloc(&arena, 1, sizeof(*cc));
    if (!cc) {
        rc = lo_error_set(err, LO_ENOMEM, "out of memory");
        goto out;
    }
    cc->worker_skills = wk.skills;
    bool gold = w.cfg.gold_share > 0 && lo_rng_uniform(&app->rng) < w.cfg.gold_share;
    long pick = -1;
    /* The draw decides which queue is tried first; when it is empty the other is tried, so
     * the answer "empty" depends on the queue only (a project with gold left keeps serving it). */
    for (int pass = 0; pass < 2 && pick < 0; pass++) {
        bool want_gold = pass == 0 ? gold : !gold;
        if (pass == 1 && !gold && w.cfg.gold_share <= 0)
            break;
        struct lo_wf_worker ww = {
            .skill_mask = skill_mask(NULL, wk.skills, true),
            .labels_today = wk.day == now / DAY_MS ? (int)wk.labels_day : 0,
            .cap = cap,
        };
        struct lo_wf_routing rt = {
            .gold_share = want_gold ? 1.0 : 0.0,
            .turnaround_hours = isnan(w.p.goal_turnaround_hours) ? 0 : w.p.goal_turnaround_hours,
            .least_confident_first = w.cfg.least_confident_first,
        };
        /* The head of the queue first (the query returns it in routing order), all
         * LO_LIMIT_WF_CANDIDATES only when none of the first few fits (skills). */
        static const int limits[] = { 8, LO_LIMIT_WF_CANDIDATES };
        for (int k = 0; k < 2 && pick < 0; k++) {
            cc->n = 0;
            rc = wf->task_candidates(st, w.p.id, app->who.user_id, want_gold,
                                     w.cfg.least_confident_first, limits[k], &arena, cand_cb, cc,
                                     err);
            if (rc < 0)
                goto out;
            rc = 0;
            pick = lo_wf_pick(cc->c, cc->n, &ww, &rt, now, &app->rng);
            if ((int)cc->n < limits[k])
                break; /* that was the whole queue */
        }
    }
    if (pick < 0) {
        rc = reply_none(j, "empty");
        goto out;
    }
    item = (int64_t)cc->c[pick].item_id;
    struct lo_task_row t;
    rc = wf->task_get(st, item, &arena, &t, err);
    if (rc)
        goto out;
    t.leased++;
    rc = wf->task_put(st, &t, err);
    if (!rc)
        rc = wf->seen_add(st, app->who.user_id, item, err);
    if (!rc)
        rc = new_lease(app, &w, item, "label", 0, now, &arena, &l, err);
    if (!rc)
        rc = task_json(app, &w, &l, &arena, &j->out, err);
out:
    lo__wf_project_free(&w);
    lo_arena_free(&arena);
    return rc;
}

/* What next-task checks before its job: the kind, the caller, the project and the policy, and
 * the caller's vendor (for vendor shares, into vendor). */
static int next_prepare(struct lo_app *app, const char *project, const char *kind,
                        struct next_job *j, char *vendor, size_t vendor_cap,
                        struct lo_error *err)
{
    if (!kind)
        kind = "label";
    bool label = !strcmp(kind, "label");
    if (!label && strcmp(kind, "review") && strcmp(kind, "adjudicate"))
        return lo_error_field(err, LO_EINVAL, "kind",
                              "kind must be label, review or adjudicate, not '%s'", kind);
    int rc = lo__wf_need_user(app, err);
    if (rc)
        return rc;
    *j = (struct next_job){ .project = project, .kind = label ? "label" : kind };
    rc = lo__wf_precheck(app, project, label ? LO_ACT_ANNOTATE : LO_ACT_REVIEW, &j->project_id,
                         err);
    if (rc)
        return rc;
    vendor[0] = '\0';
    if (app->who.vendor_id) {
        struct lo_store *st = app->store;
        struct lo_arena arena;
        struct lo_user_row u;
        lo_arena_init(&arena, 512);
        if (!st->ops->begin(st, false, err)) {
            if (!st->ops->user_get(st, NULL, app->who.user_id, &arena, &u, err) && u.vendor_name)
                snprintf(vendor, vendor_cap, "%s", u.vendor_name);
            st->ops->rollback(st);
        }
        lo_error_clear(err);
        lo_arena_free(&arena);
        j->vendor_name = vendor[0] ? vendor : NULL;
    }
    return 0;
}

int lo_app_task_next(struct lo_app *app, const char *project, const char *kind, json_t **out,
                     struct lo_error *err)
{
    struct next_job j;
    char vendor[LO_LIMIT_NAME + 1];
    *out = NULL;
    int rc = next_prepare(app, project, kind, &j, vendor, sizeof(vendor), err);
    if (!rc)
        rc = lo_app_write(app, job_next, &j, err);
    return lo__wf_hand_over(rc, &j.out, out);
}

/* ---- the asynchronous forms (the server) ------------------------------------------------- */

/* A job that outlives the call that queued it: its context, and where its answer goes. */
struct async_call {
    struct next_job next;
    struct lease_job lease;
    char vendor[LO_LIMIT_NAME + 1];
    json_t **answer;              /* &next.out or &lease.out */
    lo_wf_done done;
    void *arg;
};

static void async_finished(void *arg, int rc, const struct lo_error *err)
{
    struct async_call *a = arg;
    json_t *out = rc ? NULL : *a->answer;
    if (rc)
        json_decref(*a->answer);
    a->done(a->arg, rc, err, out);
    free(a);
}

int lo_app_task_next_async(struct lo_app *app, const char *project, const char *kind,
                           lo_wf_done done, void *arg, struct lo_error *err)
{
    struct async_call *a = calloc(1, sizeof(*a));
    if (!a)
        return lo_error_set(err, LO_ENOMEM, "out of memory");
    a->answer = &a->next.out;
    a->done = done;
    a->arg = arg;
    int rc = next_prepare(app, project, kind, &a->next, a->vendor, sizeof(a->vendor), err);
    if (!rc)
        rc = lo_app_write_async(app, job_next, &a->next, async_finished, a, err);
    if (rc)
        free(a);
    return rc;
}

/* ---- lease operations --------------------------------------------------------------------- */

/* Reads the caller's lease and its project. Someone else's lease reads as missing, and is a
 * denial (on the lease's item) noted for the audit: its id is a secret of its holder. */
int lo__wf_lease_load(struct lo_app *app, const char *id, struct lo_arena *arena,
                      struct lo_lease_row *l, struct wf_project *w, struct lo_error *err)
{
    struct lo_store *st = app->store;
    memset(w, 0, sizeof(*w));
    int rc = st->ops->wf->lease_get(st, id, arena, l, err);
    if (rc == LO_ENOTFOUND)
        return lo_error_field(err, LO_ENOTFOUND, "lease", "no task with lease '%s'", id);
    if (rc)
        return rc;
    bool review = !strcmp(l->kind, "review") || !strcmp(l->kind, "adjudicate");
    enum lo_action action = review ? LO_ACT_REVIEW : LO_ACT_ANNOTATE;
    if (l->user_id != app->who.user_id) {
        lo_write_deny(app, action, "item", l->item_id, LO_ENOTFOUND);
        return lo_error_field(err, LO_ENOTFOUND, "lease", "no task with lease '%s'", id);
    }
    rc = lo__wf_job_authorize(app, l->project_id, action, err);
    if (!rc)
        rc = lo__wf_project_load(app, l->project_id, NULL, false, arena, w, err);
    return rc;
}

int lo__wf_lease_expired_error(const struct lo_lease_row *l, struct lo_error *err)
{
    return lo_error_field(err, LO_ECONFLICT, "lease",
                          "the lease on item %lld expired and the item was taken by someone else",
                          (long long)l->item_id);
}

int lo__wf_lease_closed_error(const struct lo_lease_row *l, struct lo_error *err)
{
    if (!strcmp(l->state, "done"))
        return lo_error_field(err, LO_ECONFLICT, "lease", "this task was submitted already");
    return lo_error_field(err, LO_ECONFLICT, "lease", "this task was %s", l->state);
}

static int job_heartbeat(struct lo_app *app, void *ctx, struct lo_error *err)
{
    struct lease_job *j = ctx;
    struct lo_store *st = app->store;
    struct lo_arena arena;
    struct lo_lease_row l;
    struct wf_project w;
    int64_t now = lo_clock_now_ms(&app->clock);
    lo_arena_init(&arena, 4096);
    int rc = lo__wf_lease_load(app, j->lease, &arena, &l, &w, err);
    if (!rc && strcmp(l.state, "live") && strcmp(l.state, "expired"))
        rc = lo__wf_lease_closed_error(&l, err);
    if (!rc && (!strcmp(l.state, "expired") || l.expires_ms < now))
        rc = lo__wf_lease_expired_error(&l, err); /* a heartbeat cannot revive a lapsed lease */
    if (!rc && !strcmp(j->op, "draft")) {
        json_t *v = json_object_get(j->body, "value");
        if (!json_is_object(v))
            rc = lo_error_field(err, LO_EINVAL, "value", "a draft needs \"value\": an object");
        char *text = rc ? NULL : lo_json_dump(v);
        if (!rc && !text)
            rc = lo_error_set(err, LO_ENOMEM, "out of memory");
        if (!rc && strlen(text) > LO_LIMIT_DRAFT_BYTES)
            rc = lo_error_field(err, LO_ELIMIT, "value", "a draft may have at most %d bytes",
                                LO_LIMIT_DRAFT_BYTES);
        if (!rc) {
            l.draft_json = lo_arena_strndup(&arena, text, strlen(text));
            l.draft_ms = now;
        }
        free(text);
    }
    if (!rc) {
        l.expires_ms = now + (int64_t)w.cfg.lease_seconds * 1000;
        rc = st->ops->wf->lease_put(st, &l, err);
    }
    if (!rc)
        j->out = !strcmp(j->op, "draft")
                     ? json_pack("{s:I, s:I}", "saved_ms", (json_int_t)now, "expires_ms",
                                 (json_int_t)l.expires_ms)
                     : json_pack("{s:I}", "expires_ms", (json_int_t)l.expires_ms);
    lo__wf_project_free(&w);
    lo_arena_free(&arena);
    return rc;
}

/* ---- releasing a lease: skip and flag; the lease routes ------------------------------- */

static int job_release(struct lo_app *app, void *ctx, struct lo_error *err)
{
    struct lease_job *j = ctx;
    struct lo_store *st = app->store;
    const struct lo_wf_store_ops *wf = st->ops->wf;
    struct lo_arena arena;
    struct lo_lease_row l;
    struct wf_project w;
    int64_t now = lo_clock_now_ms(&app->clock);
    lo_arena_init(&arena, 4096);
    bool flag = !strcmp(j->op, "flag");
    int rc = lo__wf_lease_load(app, j->lease, &arena, &l, &w, err);
    if (!rc && strcmp(l.state, "live") && strcmp(l.state, "expired"))
        rc = lo__wf_lease_closed_error(&l, err);
    const char *reason = json_string_value(json_object_get(j->body, "reason"));
    json_t *cj = json_object_get(j->body, "comment");
    const char *comment = json_string_value(cj);
    if (!rc && cj && !json_is_null(cj) && !comment)
        rc = lo_error_field(err, LO_EINVAL, "comment", "comment must be a string");
    if (!rc && comment && strlen(comment) > LO_LIMIT_COMMENT)
        rc = lo_error_field(err, LO_ELIMIT, "comment", "a comment may have at most %d bytes",
                            LO_LIMIT_COMMENT);
    if (!rc && flag && (!reason || !lo_wf_reason_known(w.cfg.flag_reasons, reason)))
        rc = lo_error_field(err, LO_EINVAL, "reason",
                            "a flag needs \"reason\": one of the project's flag reasons");
    struct lo_task_row t;
    if (!rc)
        rc = wf->task_get(st, l.item_id, &arena, &t, err);
    if (rc)
        goto out;
    if (!strcmp(l.kind, "label") && !strcmp(l.state, "live") && t.leased > 0)
        t.leased--;
    if (!strcmp(l.kind, "review")) /* a skipped review is not offered to them again */
        rc = wf->seen_add(st, app->who.user_id, t.item_id, err);
    if (rc)
        goto out;
    l.state = "released";
    rc = wf->lease_put(st, &l, err);
    const char *from = NULL;
    if (!rc && flag) {
        rc = lo__wf_transition(&t, LO_WF_EV_FLAG, now, &arena, &from, err);
        struct lo_flag_row f = {
            .project_id = w.p.id,
            .item_id = t.item_id,
            .user_name = app->who.name,
            .reason = reason,
            .comment = comment ? comment : "",
            .prior_state = from,
            .created_ms = now,
        };
        if (!rc)
            rc = wf->flag_add(st, &f, NULL, err);
    }
    if (!rc)
        rc = wf->task_put(st, &t, err);
    if (!rc && flag)
        rc = lo__wf_item_event(app, &t, "item_flagged", from,
                        json_pack("{s:s, s:s}", "reason", reason, "comment",
                                  comment ? comment : ""),
                        err);
    else if (!rc)
        rc = lo__app_event(app, w.p.id, "task_skipped", "item", t.item_id,
                           json_pack("{s:s, s:s}", "kind", l.kind, "reason",
                                     reason ? reason : ""),
                           err);
    /* An annotator gets no item_state, as on a submit: on a regular item it may have moved on
     * under their lease, a gold item's never does (docs/decisions/0008-item-workflow-view.md). */
    bool annotator_view = false;
    if (!rc)
        rc = lo__app_annotator_view(app, w.p.id, &annotator_view, err);
    if (!rc)
        j->out = json_pack("{s:s}", "lease", "released");
    if (!rc && !annotator_view)
        json_object_set_new(j->out, "item_state", json_string(t.state));
out:
    lo__wf_project_free(&w);
    lo_arena_free(&arena);
    return rc;
}

static int lease_check(struct lo_app *app, const char *idem_key, struct lo_error *err)
{
    int rc = lo__wf_need_user(app, err);
    if (rc)
        return rc;
    if (idem_key && (!idem_key[0] || strlen(idem_key) > LO_LIMIT_IDEMPOTENCY_KEY))
        return lo_error_field(err, LO_EINVAL, "Idempotency-Key",
                              "an Idempotency-Key has 1 to %d bytes", LO_LIMIT_IDEMPOTENCY_KEY);
    return 0;
}

int lo_app_task_submit_async(struct lo_app *app, const char *lease, const json_t *body,
                             const char *idem_key, lo_wf_done done, void *arg,
                             struct lo_error *err)
{
    int rc = lease_check(app, idem_key, err);
    if (rc)
        return rc;
    struct async_call *a = calloc(1, sizeof(*a));
    if (!a)
        return lo_error_set(err, LO_ENOMEM, "out of memory");
    a->lease = (struct lease_job){ .lease = lease, .body = body, .idem_key = idem_key,
                                   .op = "submit" };
    a->answer = &a->lease.out;
    a->done = done;
    a->arg = arg;
    rc = lo_app_write_async(app, lo__wf_job_submit, &a->lease, async_finished, a, err);
    if (rc)
        free(a);
    return rc;
}

static int lease_call(struct lo_app *app, const char *lease, const char *op, const json_t *body,
                      const char *idem_key, lo_write_fn fn, json_t **out, struct lo_error *err)
{
    *out = NULL;
    int rc = lease_check(app, idem_key, err);
    if (rc)
        return rc;
    json_t *empty = body ? NULL : json_object();
    struct lease_job j = { .lease = lease, .body = body ? body : empty, .idem_key = idem_key,
                           .op = op };
    rc = lo_app_write(app, fn, &j, err);
    json_decref(empty);
    return lo__wf_hand_over(rc, &j.out, out);
}

int lo_app_task_heartbeat(struct lo_app *app, const char *lease, json_t **out,
                          struct lo_error *err)
{
    return lease_call(app, lease, "heartbeat", NULL, NULL, job_heartbeat, out, err);
}

int lo_app_task_draft(struct lo_app *app, const char *lease, const json_t *body, json_t **out,
                      struct lo_error *err)
{
    return lease_call(app, lease, "draft", body, NULL, job_heartbeat, out, err);
}

int lo_app_task_submit(struct lo_app *app, const char *lease, const json_t *body,
                       const char *idem_key, json_t **out, struct lo_error *err)
{
    return lease_call(app, lease, "submit", body, idem_key, lo__wf_job_submit, out, err);
}

int lo_app_task_skip(struct lo_app *app, const char *lease, const json_t *body, json_t **out,
                     struct lo_error *err)
{
    return lease_call(app, lease, "skip", body, NULL, job_release, out, err);
}

int lo_app_task_flag(struct lo_app *app, const char *lease, const json_t *body, json_t **out,
                     struct lo_error *err)
{
    return lease_call(app, lease, "flag", body, NULL, job_release, out, err);
}
