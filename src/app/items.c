/*
 * items.c - reading a project's items: a page of them in id order, or one item with its
 * annotations and predictions. Both check LO_ACT_READ on the project, so an item of a project
 * out of the caller's scope reads exactly like one of a project that does not exist.
 *
 * Both are the store's item_page: a seek on the item id that reads the page and the
 * annotations and predictions attached to it, never the items before it. One item comes with
 * its workflow outcome, written by the export's writer of that object (export.c).
 */
#include <stdlib.h>
#include <string.h>

#include "app/app.h"
#include "app/app_int.h"
#include "base/limits.h"

/* What an annotator sees of the items (docs/access.md): only the items the workflow gave them,
 * with their own labels only: no one else's, no gold answer, no model predictions. Reviewers,
 * managers and admins see everything. */
struct item_view {
    struct lo_app *app;
    bool restricted;
    lo_export_cb cb;
    void *ctx;
    struct lo_error *err;
};

int lo__app_annotator_view(struct lo_app *app, int64_t project_id, bool *out,
                           struct lo_error *err)
{
    *out = false;
    if (app->who.kind != LO_PRINCIPAL_USER)
        return 0;
    struct lo_policy_object obj = { .kind = LO_OBJ_PROJECT, .id = project_id };
    int rc = lo__app_member_role(app, project_id, &obj.member_role, err);
    if (rc)
        return rc;
    *out = lo_policy_check(&app->who, LO_ACT_REVIEW, &obj) != 0
           && lo_policy_check(&app->who, LO_ACT_ANNOTATE, &obj) == 0;
    return 0;
}

static int item_view_cb(void *ctx, const struct lo_export_row *row)
{
    struct item_view *v = ctx;
    if (!v->restricted)
        return v->cb(v->ctx, row);
    struct lo_store *st = v->app->store;
    bool seen = false;
    int rc = st->ops->wf->seen_has(st, v->app->who.user_id, row->item.id, &seen, v->err);
    if (rc || !seen)
        return rc;
    struct lo_export_row mine = *row;
    struct lo_annotation *own = calloc(row->n_annotations + 1, sizeof(*own));
    if (!own)
        return lo_error_set(v->err, LO_ENOMEM, "out of memory");
    mine.n_annotations = 0;
    for (size_t i = 0; i < row->n_annotations; i++)
        if (row->annotations[i].annotator && v->app->who.name
            && !strcmp(row->annotations[i].annotator, v->app->who.name))
            own[mine.n_annotations++] = row->annotations[i];
    mine.annotations = own;
    mine.item.gold_json = NULL;
    mine.item.gold_section = NULL;
    mine.n_predictions = 0;
    mine.predictions = NULL;
    rc = v->cb(v->ctx, &mine);
    free(own);
    return rc;
}

struct item_view;

struct item_one {
    int64_t id;
    bool found;
    lo_export_cb cb;
    void *ctx;
};

static int item_one_cb(void *ctx, const struct lo_export_row *row)
{
    struct item_one *s = ctx;
    if (row->item.id != s->id)
        return 0; /* the next item of the project: the one asked for is not there */
    struct item_view *v = s->ctx;
    if (v->restricted) {
        bool seen = false;
        int rc = v->app->store->ops->wf->seen_has(v->app->store, v->app->who.user_id,
                                                  row->item.id, &seen, v->err);
        if (rc || !seen)
            return rc; /* not given to this annotator: reads as missing */
    }
    s->found = true;
    return s->cb(s->ctx, row);
}

int lo_app_item_list(struct lo_app *app, const char *project, int64_t after_id, int limit,
                     lo_export_cb cb, void *ctx, struct lo_error *err)
{
    struct lo_store *st = app->store;
    struct lo_arena arena;
    struct lo_project p;
    if (limit < 1)
        return lo_error_field(err, LO_EINVAL, "limit", "a page holds at least one item");
    lo_arena_init(&arena, 4096);
    int rc = st->ops->begin(st, false, err);
    if (!rc) {
        rc = lo__app_find_project_for(app, project, LO_ACT_READ, &arena, &p, err);
        struct item_view v = { .app = app, .cb = cb, .ctx = ctx, .err = err };
        if (!rc)
            rc = lo__app_annotator_view(app, p.id, &v.restricted, err);
        if (!rc)
            rc = st->ops->item_page(st, p.id, after_id, limit, item_view_cb, &v, err);
        st->ops->rollback(st);
    }
    lo_arena_free(&arena);
    return rc;
}

/* The item's "workflow" object as JSON text in out_arena (*out: NULL when the item is in no
 * workflow), in the open transaction. An annotator's has every member null: no final label, and
 * no state, which would tell a gold item apart (decisions/0008). */
static int item_workflow(struct lo_app *app, int64_t item_id, bool restricted,
                         struct lo_arena *out_arena, const char **out, struct lo_error *err)
{
    struct lo_arena arena;
    struct lo_task_row t;
    struct lo_buf b;
    bool found = false;
    lo_arena_init(&arena, 4096);
    lo_buf_init(&b, LO_LIMIT_JSONL_LINE * 4); /* the export's cap on an item's line */
    int rc = lo__app_item_task(app->store, item_id, &arena, &t, &found, err);
    if (!rc && found) {
        rc = lo__app_workflow_json(&b, &t, !restricted);
        if (rc)
            rc = lo_error_set(err, rc, "the workflow outcome of item %lld is too large",
                              (long long)item_id);
    }
    if (!rc && found) {
        *out = lo_arena_strndup(out_arena, b.data, b.len);
        if (!*out)
            rc = lo_error_set(err, LO_ENOMEM, "out of memory");
    }
    lo_buf_free(&b);
    lo_arena_free(&arena);
    return rc;
}

int lo_app_item_get(struct lo_app *app, const char *project, int64_t item_id, lo_export_cb cb,
                    void *ctx, struct lo_arena *out_arena, const char **workflow_out,
                    struct lo_error *err)
{
    struct lo_store *st = app->store;
    struct lo_arena arena;
    struct lo_project p;
    *workflow_out = NULL;
    if (item_id < 1)
        return lo_error_field(err, LO_ENOTFOUND, "id", "no item %lld in project '%s'",
                              (long long)item_id, project);
    lo_arena_init(&arena, 4096);
    int rc = st->ops->begin(st, false, err);
    if (!rc) {
        rc = lo__app_find_project_for(app, project, LO_ACT_READ, &arena, &p, err);
        struct item_view v = { .app = app, .cb = cb, .ctx = ctx, .err = err };
        struct item_one s = { .id = item_id, .cb = item_view_cb, .ctx = &v };
        if (!rc)
            rc = lo__app_annotator_view(app, p.id, &v.restricted, err);
        if (!rc)
            rc = st->ops->item_page(st, p.id, item_id - 1, 1, item_one_cb, &s, err);
        if (!rc && !s.found)
            rc = lo_error_field(err, LO_ENOTFOUND, "id", "no item %lld in project '%s'",
                                (long long)item_id, project);
        if (!rc) /* in the same snapshot as the labels */
            rc = item_workflow(app, item_id, v.restricted, out_arena, workflow_out, err);
        st->ops->rollback(st);
    }
    lo_arena_free(&arena);
    return rc;
}

int lo_app_labels_visible(struct lo_app *app, const char *project, struct lo_error *err)
{
    struct lo_store *st = app->store;
    struct lo_arena arena;
    struct lo_project p;
    bool restricted = false;
    lo_arena_init(&arena, 1024);
    int rc = st->ops->begin(st, false, err);
    if (!rc) {
        rc = lo__app_find_project_for(app, project, LO_ACT_READ, &arena, &p, err);
        if (!rc)
            rc = lo__app_annotator_view(app, p.id, &restricted, err);
        st->ops->rollback(st);
    }
    lo_arena_free(&arena);
    if (!rc && restricted)
        rc = lo_error_set(err, LO_EFORBIDDEN,
                          "an annotator does not see other annotators' labels of project '%s'",
                          project);
    return rc;
}
