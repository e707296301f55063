/*
 * wf_config.c - a project's workflow configuration (workflow.h): reading and replacing it, and
 * keeping the task rows in step with it and with the items (lo__wf_sync after an import, new
 * overlap applied to unlabeled items, scores refreshed for least-confident-first routing).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "app/app_int.h"
#include "app/wf_int.h"
#include "app/workflow.h"
#include "app/writer.h"
#include "base/json.h"

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
            rc = lo__wf_project_load(app, p.id, project, true, &arena, &w, err);
            if (!rc)
                *out = config_json(&w);
            lo__wf_project_free(&w);
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
    int rc = lo__wf_precheck(app, project, LO_ACT_UPDATE, &j.project_id, err);
    if (!rc)
        rc = lo_app_write(app, job_workflow_set, &j, err);
    return lo__wf_hand_over(rc, &j.out, out);
}
