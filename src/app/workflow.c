/*
 * workflow.c - the workflow use cases (workflow.h).
 *
 * Shape of every write: a short read transaction on the caller's connection finds the project
 * and asks the policy (a denial is audited there), then the work runs as one job through
 * lo_app_write: on the server inside the group-commit writer, where jobs run one at a time, so
 * the task counters (wanted, leased, done) are read and written without races.
 */
#include "app/workflow.h"

#include <math.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/app_int.h"
#include "app/writer.h"
#include "base/json.h"
#include "base/limits.h"
#include "quality/consolidate.h"
#include "quality/inference.h"
#include "quality/sampling.h"
#include "schema/schema.h"
#include "workflow/config.h"
#include "workflow/workflow.h"

#define DAY_MS 86400000LL
/* Added to the priority of an item past the turnaround goal: above any priority an item sets. */
#define LO_WF_OVERDUE_PRIORITY 1000000000
#define WEEK_MS (7 * DAY_MS)

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

static json_t *parse_or_null(const char *text)
{
    if (!text)
        return json_null();
    json_t *v = json_loads(text, JSON_DECODE_ANY, NULL);
    return v ? v : json_null();
}

static json_t *num_or_null(double v)
{
    return isnan(v) ? json_null() : json_real(v);
}

/* Everything a job needs about its project, read inside the job's transaction. */
struct wf_project {
    struct lo_project p;
    struct lo_wf_config cfg;
    bool has_cfg;
    int cfg_version;
    struct lo_schema *schema;
    const struct lo_schema_field *field; /* compared field: single choice or rating, or NULL */
    bool cached;                  /* cfg and schema belong to the app's cache */
    struct wf_cache_entry *entry; /* that cache entry, NULL when not cached */
};

static void wf_project_free(struct wf_project *w)
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
static int wf_project_load(struct lo_app *app, int64_t project_id, const char *name,
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

/* The caller's role check for a project by id, inside a job (no audit record: the writer's
 * transaction is shared, so a denial here is only answered). */
static int job_authorize(struct lo_app *app, int64_t project_id, enum lo_action action,
                         struct lo_error *err)
{
    if (app->who.kind == LO_PRINCIPAL_LOCAL)
        return 0;
    struct lo_policy_object obj = { .kind = LO_OBJ_PROJECT, .id = project_id };
    int rc = lo__app_member_role(app, project_id, &obj.member_role, err);
    if (rc)
        return rc;
    rc = lo_policy_check(&app->who, action, &obj);
    if (rc == LO_ENOTFOUND)
        return lo_error_set(err, rc, "no such task");
    if (rc)
        return lo_error_set(err, rc, "your role in this project may not %s",
                            lo__action_name(action));
    return 0;
}

/* The read step before a write: find the project and ask the policy (audited on denial). */
static int precheck(struct lo_app *app, const char *project, enum lo_action action,
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

static int need_user(struct lo_app *app, struct lo_error *err)
{
    if (app->who.kind == LO_PRINCIPAL_USER && app->who.user_id > 0)
        return 0;
    return lo_error_set(err, LO_EUSAGE,
                        "tasks belong to a user: sign in, or on the command line name one "
                        "with --as USER");
}

static int transition(struct lo_task_row *t, enum lo_wf_event ev, int64_t now,
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
static int item_event(struct lo_app *app, const struct lo_task_row *t, const char *kind,
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
static int hand_over(int rc, json_t **answer, json_t **out)
{
    if (!rc)
        *out = *answer;
    else
        json_decref(*answer);
    *answer = NULL;
    return rc;
}

/* ---- configuration ------------------------------------------------------------------------ */

static json_t *config_json(const struct wf_project *w)
{
    json_t *o = json_deep_copy(w->cfg.doc);
    json_object_set_new(o, "version", json_integer(w->cfg_version));
    return o;
}

int lo_app_workflow_get(struct lo_app *app, const char *project, json_t **out,
                        struct lo_error *err)
{
    struct lo_store *st = app->store;
    struct lo_arena arena;
    struct lo_project p;
    struct wf_project w;
    *out = NULL;
    lo_arena_init(&arena, 4096);
    int rc = st->ops->begin(st, false, err);
    if (!rc) {
        rc = lo__app_find_project_for(app, project, LO_ACT_READ, &arena, &p, err);
        if (!rc) {
            rc = wf_project_load(app, p.id, project, true, &arena, &w, err);
            if (!rc)
                *out = config_json(&w);
            wf_project_free(&w);
        }
        st->ops->rollback(st);
    }
    lo_arena_free(&arena);
    return rc;
}

struct wanted_ctx {
    const struct lo_wf_config *cfg;
};

static int wanted_for(void *ctx, int64_t item_id, bool is_gold)
{
    const struct wanted_ctx *c = ctx;
    if (is_gold)
        return 0; /* gold items are answered by everyone, never completed */
    if (c->cfg->overlap.dynamic)
        return c->cfg->overlap.k_min;
    return lo_wf_fixed_overlap(&c->cfg->overlap, (uint64_t)item_id);
}

int lo__wf_sync(struct lo_app *app, int64_t project_id, int64_t *added, struct lo_error *err)
{
    struct lo_store *st = app->store;
    struct lo_arena arena;
    const char *json = NULL;
    int version;
    *added = 0;
    lo_arena_init(&arena, 1024);
    int rc = st->ops->wf->config_get(st, project_id, &arena, &json, &version, err);
    if (rc == LO_ENOTFOUND) { /* no workflow: nothing to do */
        lo_error_clear(err);
        lo_arena_free(&arena);
        return 0;
    }
    struct lo_wf_config cfg;
    json_t *doc = rc ? NULL : lo_json_parse(json, strlen(json), err);
    if (!rc && !doc)
        rc = LO_ESTORE;
    if (!rc) {
        rc = lo_wf_config_parse(doc, &cfg, err);
        if (!rc) {
            struct wanted_ctx wc = { .cfg = &cfg };
            rc = st->ops->wf->task_sync(st, project_id, lo_clock_now_ms(&app->clock), wanted_for,
                                        &wc, added, err);
            lo_wf_config_free(&cfg);
        }
    }
    json_decref(doc);
    lo_arena_free(&arena);
    return rc;
}

int lo__wf_rescore(struct lo_app *app, int64_t project_id, struct lo_error *err)
{
    return app->store->ops->wf->task_rescore(app->store, project_id, err);
}

struct set_job {
    int64_t project_id;
    const char *project;
    const json_t *config;
    json_t *out;
};

static int job_workflow_set(struct lo_app *app, void *ctx, struct lo_error *err)
{
    struct set_job *j = ctx;
    struct lo_store *st = app->store;
    struct lo_wf_config cfg;
    struct lo_arena arena;
    lo_arena_init(&arena, 4096);
    int rc = lo_wf_config_parse(j->config, &cfg, err);
    if (rc) {
        lo_arena_free(&arena);
        return rc;
    }
    struct lo_project p;
    rc = lo__app_find_project(app, j->project, &arena, &p, err);
    if (!rc && cfg.field) {
        /* A named field must exist in the schema and be comparable. */
        struct lo_schema *s = NULL;
        if (!p.schema_json)
            rc = lo_error_field(err, LO_EINVAL, "field",
                                "field '%s' is named but the project has no schema yet",
                                cfg.field);
        else if (!(rc = lo_schema_parse(p.schema_json, strlen(p.schema_json), &s, err))) {
            const struct lo_schema_field *f = lo_schema_field_find(s, cfg.field);
            if (!f)
                rc = lo_error_field(err, LO_EINVAL, "field", "the schema has no field '%s'",
                                    cfg.field);
        }
        lo_schema_free(s);
    }
    char *text = rc ? NULL : lo_json_dump(cfg.doc);
    int version = 0;
    int64_t added = 0;
    if (!rc && !text)
        rc = lo_error_set(err, LO_ENOMEM, "out of memory");
    if (!rc)
        rc = st->ops->wf->config_put(st, p.id, text, lo_clock_now_ms(&app->clock), &version,
                                     err);
    if (!rc)
        rc = lo__wf_sync(app, p.id, &added, err);
    struct wanted_ctx wc = { .cfg = &cfg };
    if (!rc) /* a new overlap applies to the items nobody has labeled yet */
        rc = st->ops->wf->task_rewant(st, p.id, wanted_for, &wc, err);
    if (!rc)
        rc = lo__app_event(app, p.id, "workflow_set", "project", p.id,
                           json_pack("{s:i, s:O, s:I}", "version", version, "config", cfg.doc,
                                     "tasks_added", (json_int_t)added),
                           err);
    if (!rc) {
        j->out = json_deep_copy(cfg.doc);
        json_object_set_new(j->out, "version", json_integer(version));
        json_object_set_new(j->out, "tasks_added", json_integer(added));
    }
    free(text);
    lo_wf_config_free(&cfg);
    lo_arena_free(&arena);
    return rc;
}

int lo_app_workflow_set(struct lo_app *app, const char *project, const json_t *config,
                        json_t **out, struct lo_error *err)
{
    struct set_job j = { .project = project, .config = config };
    *out = NULL;
    int rc = precheck(app, project, LO_ACT_UPDATE, &j.project_id, err);
    if (!rc)
        rc = lo_app_write(app, job_workflow_set, &j, err);
    return hand_over(rc, &j.out, out);
}

/* ---- the task a lease describes ----------------------------------------------------------- */

static int annotations_json_cb(void *ctx, const struct lo_wf_annotation *a)
{
    json_array_append_new((json_t *)ctx,
                          json_pack("{s:I, s:s, s:o, s:i, s:s, s:s}", "annotation",
                                    (json_int_t)a->id, "annotator",
                                    a->annotator ? a->annotator : "", "value",
                                    parse_or_null(a->value_json), "version", a->version, "stage",
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
                          parse_or_null(item.payload_json), "expires_ms",
                          (json_int_t)l->expires_ms, "lease_seconds", w->cfg.lease_seconds,
                          "schema_version", w->p.schema_version, "guideline_version",
                          w->p.guideline_version);
    if (!t)
        return lo_error_set(err, LO_ENOMEM, "out of memory");
    json_object_set_new(t, "draft", parse_or_null(l->draft_json));
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
                                          parse_or_null(pr.value_json), "model", pr.model_name,
                                          "model_version", pr.model_version ? pr.model_version : "",
                                          "score", num_or_null(pr.score)));
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
                                     "value", parse_or_null(a.value_json), "reasons",
                                     json_array(), "comment", "", "reviewer", "");
            int r2 = st->ops->wf->review_last(st, a.id, arena, &r, err);
            if (!r2) {
                json_object_set_new(prev, "reasons", parse_or_null(r.reasons_json));
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
    if (!rc && !strcmp(l->kind, "adjudicate")) /* every label that went round, rejected too */
        rc = st->ops->wf->annotation_list(st, l->item_id, NULL, arena, adjudication_json_cb,
                                          labels, err);
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
    int rc = wf_project_load(app, j->project_id, j->project, false, &arena, &w, err);
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
    for (int pass = 0; pass < 2 && pick < 0; pass++) {
        bool want_gold = pass == 0 ? gold : false;
        if (pass == 1 && !gold)
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
    wf_project_free(&w);
    lo_arena_free(&arena);
    return rc;
}

int lo_app_task_next(struct lo_app *app, const char *project, const char *kind, json_t **out,
                     struct lo_error *err)
{
    *out = NULL;
    if (!kind)
        kind = "label";
    bool label = !strcmp(kind, "label");
    if (!label && strcmp(kind, "review") && strcmp(kind, "adjudicate"))
        return lo_error_field(err, LO_EINVAL, "kind",
                              "kind must be label, review or adjudicate, not '%s'", kind);
    int rc = need_user(app, err);
    if (rc)
        return rc;
    struct next_job j = { .project = project, .kind = kind };
    rc = precheck(app, project, label ? LO_ACT_ANNOTATE : LO_ACT_REVIEW, &j.project_id, err);
    if (rc)
        return rc;
    char vendor[LO_LIMIT_NAME + 1] = "";
    if (app->who.vendor_id) {
        struct lo_store *st = app->store;
        struct lo_arena arena;
        struct lo_user_row u;
        lo_arena_init(&arena, 512);
        if (!st->ops->begin(st, false, err)) {
            if (!st->ops->user_get(st, NULL, app->who.user_id, &arena, &u, err) && u.vendor_name)
                snprintf(vendor, sizeof(vendor), "%s", u.vendor_name);
            st->ops->rollback(st);
        }
        lo_error_clear(err);
        lo_arena_free(&arena);
        j.vendor_name = vendor[0] ? vendor : NULL;
    }
    rc = lo_app_write(app, job_next, &j, err);
    return hand_over(rc, &j.out, out);
}

/* ---- lease operations --------------------------------------------------------------------- */

struct lease_job {
    const char *lease;
    const json_t *body;
    const char *idem_key;
    const char *op;               /* heartbeat, draft, submit, skip, flag */
    json_t *out;
};

/* Reads the caller's lease and its project. Someone else's lease reads as missing. */
static int lease_load(struct lo_app *app, const char *id, struct lo_arena *arena,
                      struct lo_lease_row *l, struct wf_project *w, struct lo_error *err)
{
    struct lo_store *st = app->store;
    memset(w, 0, sizeof(*w));
    int rc = st->ops->wf->lease_get(st, id, arena, l, err);
    if (rc == LO_ENOTFOUND || (!rc && l->user_id != app->who.user_id))
        return lo_error_field(err, LO_ENOTFOUND, "lease", "no task with lease '%s'", id);
    if (rc)
        return rc;
    bool review = !strcmp(l->kind, "review") || !strcmp(l->kind, "adjudicate");
    rc = job_authorize(app, l->project_id, review ? LO_ACT_REVIEW : LO_ACT_ANNOTATE, err);
    if (!rc)
        rc = wf_project_load(app, l->project_id, NULL, false, arena, w, err);
    return rc;
}

static int lease_expired_error(const struct lo_lease_row *l, struct lo_error *err)
{
    return lo_error_field(err, LO_ECONFLICT, "lease",
                          "the lease on item %lld expired and the item was taken by someone else",
                          (long long)l->item_id);
}

static int lease_closed_error(const struct lo_lease_row *l, struct lo_error *err)
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
    int rc = lease_load(app, j->lease, &arena, &l, &w, err);
    if (!rc && strcmp(l.state, "live") && strcmp(l.state, "expired"))
        rc = lease_closed_error(&l, err);
    if (!rc && (!strcmp(l.state, "expired") || l.expires_ms < now))
        rc = lease_expired_error(&l, err); /* a heartbeat cannot revive a lapsed lease */
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
    wf_project_free(&w);
    lo_arena_free(&arena);
    return rc;
}

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

/* Box or span consolidation of n labels (values[i], whole value objects) on field f: an
 * object is kept when a majority of the annotators drew it (boxes clustered at IoU >= 0.5 with
 * one class, spans by a vote on every character; quality/consolidate.h). *final_out is the
 * first label's value with f replaced by the consensus (malloc'd JSON text); *confidence the
 * mean share of annotators behind each kept object (1 when all agree there is none). */
static int consolidate_structured(const struct lo_schema_field *f, const char *const *values,
                                  size_t n, struct lo_arena *arena, char **final_out,
                                  double *confidence, struct lo_error *err)
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
        struct lo_box_consolidate_opts o = lo_box_consolidate_defaults();
        o.min_support = majority;
        struct lo_consensus_box *cb = NULL;
        rc = lo_boxes_consolidate(boxes, who, m, &o, arena, &cb, &nout, NULL, err);
        for (size_t i = 0; !rc && i < nout; i++) {
            json_array_append_new(arr, json_pack("{s:f, s:f, s:f, s:f, s:s}", "x", cb[i].box.x,
                                                 "y", cb[i].box.y, "w", cb[i].box.w, "h",
                                                 cb[i].box.h, "label",
                                                 f->classes[cb[i].box.cls]));
            support += (double)cb[i].support / (double)n;
        }
    } else if (!rc) {
        struct lo_consensus_span *cs = NULL;
        rc = lo_spans_consolidate(spans, who, m, majority, arena, &cs, &nout, err);
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

/* The item has a new accepted label, or lost one: decide whether it needs more, is complete,
 * or goes to adjudication, and record it. t is in state queued. */
static int decide_final(struct lo_app *app, const struct wf_project *w, struct lo_task_row *t,
                        int64_t now, bool refinal, struct lo_arena *arena,
                        struct lo_error *err);

static int decide(struct lo_app *app, const struct wf_project *w, struct lo_task_row *t,
                  int64_t now, struct lo_arena *arena, struct lo_error *err)
{
    return decide_final(app, w, t, now, false, arena, err);
}

/* With refinal, t is complete and one of its labels changed: its final label is computed again
 * when the labels still decide it (and left as it was when they no longer agree). */
static int decide_final(struct lo_app *app, const struct wf_project *w, struct lo_task_row *t,
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
    bool comparable = w->field != NULL;
    size_t n_classes = comparable ? class_count(w->field) : 0;
    if (t->done < t->wanted) {
        d = LO_WF_NEED_MORE;
    } else if (!comparable || ls.n == 0) {
        /* Nothing to vote on: one label decides; several boxes or spans labels are merged
         * (below); other fields (free text) go to an adjudicator, who composes the final. */
        d = LO_WF_DONE;
        method = "single";
        if (t->done > 1 && structured_field(w->schema))
            method = "consensus";
        else if (t->done > 1)
            d = LO_WF_ADJUDICATE;
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
        rc = transition(t, LO_WF_EV_DISAGREE, now, arena, &from, err);
        if (!rc)
            rc = st->ops->wf->task_put(st, t, err);
        if (!rc)
            rc = item_event(app, t, "item_to_adjudication", from,
                            json_pack("{s:i}", "labels", t->done), err);
        return rc;
    }
    /* Complete: the final value is the first agreeing label's whole value, or for boxes and
     * spans the consensus of all labels. */
    const char *final = NULL;
    char *merged = NULL;
    if (!strcmp(method, "consensus")) {
        struct label_set all = { 0 };
        struct wf_project plain = { .p = w->p };
        struct collect_ctx c2 = { app, &plain, &all, arena, err };
        rc = st->ops->wf->annotation_list(st, t->item_id, "active", arena, collect_cb, &c2, err);
        if (!rc)
            rc = consolidate_structured(structured_field(w->schema), all.value, all.n, arena,
                                        &merged, &conf, err);
        if (rc)
            return rc;
        final = lo_arena_strndup(arena, merged, strlen(merged));
        free(merged);
    }
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
        rc = transition(t, LO_WF_EV_CONSOLIDATE, now, arena, &from, err);
    if (rc)
        return rc;
    t->final_json = final;
    t->confidence = conf;
    t->method = method;
    t->assignee = 0;
    rc = st->ops->wf->task_put(st, t, err);
    payload = json_pack("{s:s, s:o, s:i}", "method", method, "confidence", num_or_null(conf),
                        "labels", t->done);
    if (!rc)
        rc = item_event(app, t, refinal ? "item_final_updated" : "item_complete", from, payload,
                        err);
    else
        json_decref(payload);
    return rc;
}

/* ---- submit ------------------------------------------------------------------------------- */

/* Validates value (an object) against the project's schema and the item. */
static int check_value(struct lo_app *app, const struct wf_project *w, int64_t item_id,
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
        rc = item_event(app, t, "item_to_review", from,
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
        rc = transition(&t, LO_WF_EV_ACCEPT, now, arena, &from, err);
        t.review_annotation = 0;
        if (!rc)
            rc = item_event(app, &t, "item_accepted", from,
                            json_pack("{s:I, s:s}", "lot", (json_int_t)lot.id, "by", "lot"),
                            err);
        if (!rc)
            rc = decide(app, w, &t, now, arena, err);
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
            return lease_expired_error(l, err);
    }
    const json_t *value = json_object_get(j->body, "value");
    char *text = NULL;
    rc = check_value(app, w, l->item_id, value, arena, &text, err);
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
            feedback = json_pack("{s:b, s:o, s:i}", "correct", correct, "expected",
                                 parse_or_null(item.gold_json), "guideline_version",
                                 w->p.guideline_version);
        }
        rc = wf->task_put(st, &t, err);
    } else if (rework) {
        t.done++;
        t.assignee = 0;
        rc = transition(&t, LO_WF_EV_REWORK_SUBMIT, now, arena, &from, err);
        t.review_annotation = ann_id;
        if (!rc)
            rc = wf->task_put(st, &t, err);
        if (!rc)
            rc = item_event(app, &t, "item_rework_submitted", from,
                            json_pack("{s:I}", "annotation", (json_int_t)ann_id), err);
    } else if (strcmp(t.state, "queued")) {
        /* The item left the queue while this lease was out (flagged, say): the label is kept
         * and counted; the item is decided when it comes back (requeue). */
        t.done++;
        rc = wf->task_put(st, &t, err);
    } else if (w->cfg.lot_review) {
        /* Lot-based review: the label waits in its vendor's lot for the lot's verdict. */
        t.done++;
        rc = transition(&t, LO_WF_EV_NEEDS_REVIEW, now, arena, &from, err);
        t.review_annotation = ann_id;
        if (!rc)
            rc = lot_join(app, w, &t, from, now, arena, err);
    } else {
        t.done++;
        if (lo_wf_review_pick(&w->cfg.review, (long)wk.gold_correct, (long)wk.gold_total,
                              &app->rng)) {
            rc = transition(&t, LO_WF_EV_NEEDS_REVIEW, now, arena, &from, err);
            t.review_annotation = ann_id;
            if (!rc)
                rc = wf->task_put(st, &t, err);
            if (!rc)
                rc = item_event(app, &t, "item_to_review", from,
                                json_pack("{s:I}", "annotation", (json_int_t)ann_id), err);
        } else {
            rc = decide(app, w, &t, now, arena, err);
        }
    }
    if (!rc)
        rc = wf->worker_put(st, &wk, err);
    if (rc) {
        json_decref(feedback);
        return rc;
    }
    j->out = json_pack("{s:I, s:s, s:b, s:f, s:o}", "annotation", (json_int_t)ann_id,
                       "item_state", t.is_gold ? "queued" : t.state, "late", late,
                       "working_seconds", secs, "feedback", feedback);
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
        rc = check_value(app, w, l->item_id, json_object_get(j->body, "value"), arena, &fixed,
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
            rc = transition(&t, LO_WF_EV_REJECT, now, arena, &from, err);
            if (!rc)
                rc = transition(&t, LO_WF_EV_REWORK_LIMIT, now, arena, NULL, err);
            t.assignee = 0;
        } else if (!rc) {
            rc = transition(&t, LO_WF_EV_REJECT, now, arena, &from, err);
            t.assignee = a.user_id;
        }
        if (!rc)
            rc = wf->task_put(st, &t, err);
        if (!rc)
            rc = item_event(app, &t, "item_rejected", from,
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
            rc = transition(&t, LO_WF_EV_ACCEPT, now, arena, &from, err);
        t.review_annotation = 0;
        if (!rc)
            rc = item_event(app, &t, fixed ? "item_fixed" : "item_accepted", from,
                            json_pack("{s:I}", "annotation", (json_int_t)(fixed ? fixed_id : a.id)),
                            err);
        if (!rc)
            rc = decide(app, w, &t, now, arena, err);
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
    rc = check_value(app, w, l->item_id, json_object_get(j->body, "value"), arena, &text, err);
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
        rc = transition(&t, LO_WF_EV_ADJUDICATE, now, arena, &from, err);
    if (!rc) {
        t.final_json = lo_arena_strndup(arena, text, strlen(text));
        t.confidence = NAN;
        t.method = "adjudicated";
        rc = wf->task_put(st, &t, err);
    }
    free(text);
    if (!rc)
        rc = item_event(app, &t, "item_adjudicated", from,
                        json_pack("{s:I}", "annotation", (json_int_t)id), err);
    l->state = "done"; /* written by job_submit */
    if (!rc)
        j->out = json_pack("{s:I, s:s, s:b, s:f, s:o}", "annotation", (json_int_t)id,
                           "item_state", t.state, "late", false, "working_seconds",
                           a.working_seconds, "feedback", json_null());
    return rc;
}

static int job_submit(struct lo_app *app, void *ctx, struct lo_error *err)
{
    struct lease_job *j = ctx;
    struct lo_store *st = app->store;
    struct lo_arena arena;
    struct lo_lease_row l;
    struct wf_project w;
    memset(&w, 0, sizeof(w));
    int64_t now = lo_clock_now_ms(&app->clock);
    lo_arena_init(&arena, 8192);
    int rc = lease_load(app, j->lease, &arena, &l, &w, err);
    if (rc)
        goto out;
    if (j->idem_key && l.idem_key && !strcmp(l.idem_key, j->idem_key) && l.answer_json) {
        j->out = parse_or_null(l.answer_json); /* a repeat: the first answer, nothing changes */
        goto out;
    }
    if (strcmp(l.state, "live") && strcmp(l.state, "expired")) {
        rc = lease_closed_error(&l, err);
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
            rc = lease_expired_error(&l, err);
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
    wf_project_free(&w);
    lo_arena_free(&arena);
    return rc;
}

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
    int rc = lease_load(app, j->lease, &arena, &l, &w, err);
    if (!rc && strcmp(l.state, "live") && strcmp(l.state, "expired"))
        rc = lease_closed_error(&l, err);
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
        rc = transition(&t, LO_WF_EV_FLAG, now, &arena, &from, err);
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
        rc = item_event(app, &t, "item_flagged", from,
                        json_pack("{s:s, s:s}", "reason", reason, "comment",
                                  comment ? comment : ""),
                        err);
    else if (!rc)
        rc = lo__app_event(app, w.p.id, "task_skipped", "item", t.item_id,
                           json_pack("{s:s, s:s}", "kind", l.kind, "reason",
                                     reason ? reason : ""),
                           err);
    if (!rc)
        j->out = json_pack("{s:s, s:s}", "item_state", t.state, "lease", "released");
out:
    wf_project_free(&w);
    lo_arena_free(&arena);
    return rc;
}

static int lease_call(struct lo_app *app, const char *lease, const char *op, const json_t *body,
                      const char *idem_key, lo_write_fn fn, json_t **out, struct lo_error *err)
{
    *out = NULL;
    int rc = need_user(app, err);
    if (rc)
        return rc;
    if (idem_key && (!idem_key[0] || strlen(idem_key) > LO_LIMIT_IDEMPOTENCY_KEY))
        return lo_error_field(err, LO_EINVAL, "Idempotency-Key",
                              "an Idempotency-Key has 1 to %d bytes", LO_LIMIT_IDEMPOTENCY_KEY);
    json_t *empty = body ? NULL : json_object();
    struct lease_job j = { .lease = lease, .body = body ? body : empty, .idem_key = idem_key,
                           .op = op };
    rc = lo_app_write(app, fn, &j, err);
    json_decref(empty);
    return hand_over(rc, &j.out, out);
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
    return lease_call(app, lease, "submit", body, idem_key, job_submit, out, err);
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
                                    num_or_null(w->p_below), "reason",
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
                         num_or_null(p.goal_turnaround_hours));
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
    int rc = wf_project_load(app, j->project_id, j->project, false, &arena, &w, err);
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
        rc = transition(&t, LO_WF_EV_RESOLVE_FLAG, lo_clock_now_ms(&app->clock), &arena, &from,
                        err);
    if (!rc) {
        t.assignee = 0;
        rc = st->ops->wf->task_put(st, &t, err);
    }
    const char *comment = json_string_value(json_object_get(j->body, "comment"));
    if (!rc)
        rc = item_event(app, &t, "item_requeued", from,
                        json_pack("{s:s, s:s}", "comment", comment ? comment : "", "flagged_from",
                                  prior ? prior : ""),
                        err);
    /* An item that has all its labels is decided again (complete, or back to adjudication);
     * otherwise it waits for the labels it lacks. */
    if (!rc && !t.is_gold && t.done >= t.wanted)
        rc = decide(app, &w, &t, lo_clock_now_ms(&app->clock), &arena, err);
    if (!rc)
        j->out = json_pack("{s:I, s:s}", "item", (json_int_t)t.item_id, "item_state", t.state);
    wf_project_free(&w);
    lo_arena_free(&arena);
    return rc;
}

int lo_app_item_requeue(struct lo_app *app, const char *project, int64_t item_id,
                        const json_t *body, json_t **out, struct lo_error *err)
{
    json_t *empty = body ? NULL : json_object();
    struct manage_job j = { .project = project, .item_id = item_id, .body = body ? body : empty };
    *out = NULL;
    int rc = precheck(app, project, LO_ACT_UPDATE, &j.project_id, err);
    if (!rc)
        rc = lo_app_write(app, job_requeue, &j, err);
    json_decref(empty);
    return hand_over(rc, &j.out, out);
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
    rc = transition(&t, LO_WF_EV_INVALIDATE, c->now, c->arena, &from, c->err);
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
        rc = item_event(c->app, &t, "item_invalidated", from,
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
                     num_or_null(acc), "p_below", num_or_null(w->p_below));
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
    int rc = wf_project_load(app, j->project_id, j->project, false, &arena, &w, err);
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
    wf_project_free(&w);
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
    int rc = precheck(app, project, LO_ACT_UPDATE, &j.project_id, err);
    if (!rc)
        rc = lo_app_write(app, job_annotator, &j, err);
    json_decref(empty);
    return hand_over(rc, &j.out, out);
}

/* ---- reads: history, me, annotations ------------------------------------------------------ */

struct history_ctx {
    json_t *events;
    const char *only_actor;       /* an annotator sees their own actions only */
};

static int history_cb(void *ctx, const struct lo_event *e)
{
    struct history_ctx *h = ctx;
    if (h->only_actor && (!e->actor || strcmp(e->actor, h->only_actor)))
        return 0;
    char at[32];
    lo_time_format(e->created_ms, at, sizeof(at));
    json_array_append_new(h->events,
                          json_pack("{s:I, s:s, s:s, s:s, s:I, s:o}", "id", (json_int_t)e->id,
                                    "kind", e->kind, "actor", e->actor, "at", at, "at_ms",
                                    (json_int_t)e->created_ms, "payload",
                                    parse_or_null(e->payload_json)));
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
        /* an annotator: only an item given to them, their own actions, no final label */
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
        *out = json_pack("{s:I, s:s, s:o, s:o}", "item", (json_int_t)item_id, "external_id",
                         item.external_id, "state",
                         has_task ? json_string(t.state) : json_null(), "events", events);
        if (has_task && t.final_json && !restricted)
            json_object_set_new(*out, "final",
                                json_pack("{s:o, s:o, s:s}", "value", parse_or_null(t.final_json),
                                          "confidence", num_or_null(t.confidence), "method",
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
                                    "reasons", parse_or_null(r->reasons_json), "comment",
                                    r->comment ? r->comment : "", "reviewer",
                                    r->reviewer ? r->reviewer : "", "at",
                                    (json_int_t)r->created_ms));
    return 0;
}

int lo_app_wf_me(struct lo_app *app, const char *project, json_t **out, struct lo_error *err)
{
    struct lo_store *st = app->store;
    const struct lo_wf_store_ops *wf = st->ops->wf;
    struct lo_arena arena;
    struct lo_project p;
    *out = NULL;
    int rc = need_user(app, err);
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
    struct lo_wf_counts c;
    bool found;
    int64_t now = lo_clock_now_ms(&app->clock), labels = 0, item;
    double secs = 0;
    json_t *feedback = json_array();
    bool rework = false;
    if (!rc)
        rc = lo__app_member_role(app, p.id, &role, err);
    if (!rc)
        rc = wf->worker_get(st, p.id, app->who.user_id, &arena, &wk, &found, err);
    if (!rc)
        rc = wf->task_counts(st, p.id, &c, err);
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
        double acc = wk.gold_total ? (double)wk.gold_correct / (double)wk.gold_total : NAN;
        *out = json_pack("{s:s, s:s, s:{s:I, s:I, s:I, s:I}, s:o, s:{s:I, s:f}, "
                         "s:{s:I, s:I, s:o, s:o}, s:b, s:o}",
                         "project", p.name, "role", lo_role_name(role), "queue", "label",
                         (json_int_t)c.queued, "rework", (json_int_t)(rework ? 1 : 0), "review",
                         (json_int_t)c.in_review, "adjudicate", (json_int_t)c.adjudication,
                         "counts", counts_json(&c), "week", "labels", (json_int_t)labels,
                         "working_seconds", secs, "gold", "correct",
                         (json_int_t)wk.gold_correct, "total", (json_int_t)wk.gold_total,
                         "accuracy", num_or_null(acc), "p_below", num_or_null(wk.p_below),
                         "paused", wk.paused, "feedback", feedback);
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
                     parse_or_null(a->value_json), "version", a->version, "status",
                     a->status ? a->status : "", "stage", a->stage ? a->stage : "",
                     "working_seconds", num_or_null(a->working_seconds), "prelabel",
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
    if (pol == LO_EFORBIDDEN && lo_policy_check(&app->who, LO_ACT_READ, &obj) == 0 && !edit)
        return lo_error_field(err, LO_ENOTFOUND, "id", "no annotation %lld", (long long)id);
    if (pol == LO_EFORBIDDEN && edit && lo_policy_check(&app->who, LO_ACT_REVIEW, &obj) == 0)
        return lo_error_set(err, LO_EFORBIDDEN, "only the author or a manager may edit it");
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
        rc = wf_project_load(app, 0, project, true, &arena, &w, err);
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
        rc = check_value(app, &w, a.item_id, json_object_get(j->body, "value"), &arena, &text,
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
                        rc = item_event(app, &t, "item_final_updated", NULL,
                                        json_pack("{s:s}", "method", "adjudicated"), err);
                }
            } else {
                rc = decide_final(app, &w, &t, now, true, &arena, err);
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
    wf_project_free(&w);
    lo_arena_free(&arena);
    return rc;
}

int lo_app_annotation_edit(struct lo_app *app, int64_t id, int if_match, const json_t *body,
                           json_t **out, struct lo_error *err)
{
    struct edit_job j = { .id = id, .if_match = if_match, .body = body };
    *out = NULL;
    int rc = lo_app_write(app, job_edit, &j, err);
    return hand_over(rc, &j.out, out);
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
    int rc = precheck(app, project, LO_ACT_UPDATE, &j.project_id, err);
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
        rc = wf_project_load(app, j.project_id, project, false, &arena, &w, err);
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
    wf_project_free(&w);
    lo_arena_free(&arena);
    return hand_over(rc, &j.out, out);
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
        if (!rc && lo_policy_check(&app->who, LO_ACT_UPDATE, &obj))
            rc = lo_error_set(err, LO_EFORBIDDEN,
                              "only managers see the annotators' figures of project '%s'",
                              project);
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
