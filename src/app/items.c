/*
 * items.c - reading a project's items: a page of them in id order, or one item with its
 * annotations and predictions. Both check LO_ACT_READ on the project, so an item of a project
 * out of the caller's scope reads exactly like one of a project that does not exist.
 *
 * Both ride on the store's export_scan (items in id order with everything attached, constant
 * memory). A page therefore costs a scan up to its last row and one item a scan up to it:
 * O(items before it). A store call that seeks by id would make them O(page); see
 * docs/internals/http.md, "Left to do".
 */
#include <string.h>

#include "app/app.h"
#include "app/app_int.h"

struct item_scan {
    int64_t after;      /* list: rows with a larger id; get: the id wanted */
    bool exact;
    bool found;
    lo_export_cb cb;
    void *ctx;
};

static int item_scan_cb(void *ctx, const struct lo_export_row *row)
{
    struct item_scan *s = ctx;
    if (s->exact) {
        if (row->item.id != s->after)
            return row->item.id > s->after ? 1 : 0; /* in id order: past it, it is not there */
        s->found = true;
        int rc = s->cb(s->ctx, row);
        return rc ? rc : 1;
    }
    if (row->item.id <= s->after)
        return 0;
    return s->cb(s->ctx, row);
}

int lo_app_item_list(struct lo_app *app, const char *project, int64_t after_id, lo_export_cb cb,
                     void *ctx, struct lo_error *err)
{
    struct lo_store *st = app->store;
    struct lo_arena arena;
    struct lo_project p;
    lo_arena_init(&arena, 4096);
    int rc = st->ops->begin(st, false, err);
    if (!rc) {
        rc = lo__app_find_project_for(app, project, LO_ACT_READ, &arena, &p, err);
        struct item_scan s = { .after = after_id, .cb = cb, .ctx = ctx };
        if (!rc)
            rc = st->ops->export_scan(st, p.id, item_scan_cb, &s, err);
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
    lo_arena_init(&arena, 4096);
    int rc = st->ops->begin(st, false, err);
    if (!rc) {
        rc = lo__app_find_project_for(app, project, LO_ACT_READ, &arena, &p, err);
        struct item_scan s = { .after = item_id, .exact = true, .cb = cb, .ctx = ctx };
        if (!rc) {
            rc = st->ops->export_scan(st, p.id, item_scan_cb, &s, err);
            if (rc == 1)
                rc = 0;
            if (!rc && !s.found)
                rc = lo_error_field(err, LO_ENOTFOUND, "id", "no item %lld in project '%s'",
                                    (long long)item_id, project);
        }
        st->ops->rollback(st);
    }
    lo_arena_free(&arena);
    return rc;
}
