/*
 * items.c - reading a project's items: a page of them in id order, or one item with its
 * annotations and predictions. Both check LO_ACT_READ on the project, so an item of a project
 * out of the caller's scope reads exactly like one of a project that does not exist.
 *
 * Both are the store's item_page: a seek on the item id that reads the page and the
 * annotations and predictions attached to it, never the items before it.
 */
#include <string.h>

#include "app/app.h"
#include "app/app_int.h"

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
        if (!rc)
            rc = st->ops->item_page(st, p.id, after_id, limit, cb, ctx, err);
        st->ops->rollback(st);
    }
    lo_arena_free(&arena);
    return rc;
}

int lo_app_item_get(struct lo_app *app, const char *project, int64_t item_id, lo_export_cb cb,
                    void *ctx, struct lo_error *err)
{
    struct lo_store *st = app->store;
    struct lo_arena arena;
    struct lo_project p;
    if (item_id < 1)
        return lo_error_field(err, LO_ENOTFOUND, "id", "no item %lld in project '%s'",
                              (long long)item_id, project);
    lo_arena_init(&arena, 4096);
    int rc = st->ops->begin(st, false, err);
    if (!rc) {
        rc = lo__app_find_project_for(app, project, LO_ACT_READ, &arena, &p, err);
        struct item_one s = { .id = item_id, .cb = cb, .ctx = ctx };
        if (!rc)
            rc = st->ops->item_page(st, p.id, item_id - 1, 1, item_one_cb, &s, err);
        if (!rc && !s.found)
            rc = lo_error_field(err, LO_ENOTFOUND, "id", "no item %lld in project '%s'",
                                (long long)item_id, project);
        st->ops->rollback(st);
    }
    lo_arena_free(&arena);
    return rc;
}
