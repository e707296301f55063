/*
 * media.c - opening an item's image for a caller who may read the item (see media.h).
 *
 * The policy is asked first (lo__app_find_project_for with LO_ACT_READ, as items.c does); only
 * then is the item's payload read and the path it names opened through lo_open_beneath, which
 * refuses absolute paths, "..", and symbolic links at every step. The payload is data someone
 * imported, so the path is as untrusted as a URL. This file must never open a path that did not
 * come through lo_open_beneath, and never tell a caller where the media root is.
 */
#include "app/media.h"

#include <jansson.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "app/app_int.h"
#include "base/limits.h"

struct media_scan {
    int64_t item_id;
    bool found;
    char path[LO_LIMIT_MEDIA_PATH + 1];
    size_t path_len;
    bool has_path; /* the member is a string within LO_LIMIT_MEDIA_PATH */
    bool too_long;
    const char *field;
};

static int media_scan_cb(void *ctx, const struct lo_export_row *row)
{
    struct media_scan *s = ctx;
    if (row->item.id != s->item_id)
        return row->item.id > s->item_id ? 1 : 0; /* in id order: past it, it is not there */
    s->found = true;
    json_t *payload = json_loads(row->item.payload_json ? row->item.payload_json : "{}", 0, NULL);
    json_t *v = json_object_get(payload, s->field);
    if (json_is_string(v)) {
        size_t n = json_string_length(v);
        if (n > LO_LIMIT_MEDIA_PATH) {
            s->too_long = true;
        } else {
            memcpy(s->path, json_string_value(v), n);
            s->path[n] = '\0';
            s->path_len = n;
            s->has_path = true;
        }
    }
    json_decref(payload);
    return 1;
}

/* An annotator (who may annotate but not review) sees only the items the workflow gave them,
 * as items.c decides for the item routes (docs/access.md); everyone else who may read the
 * project sees every item. 0 with *visible set, or a store error. */
static int item_visible(struct lo_app *app, int64_t project_id, int64_t item_id, bool *visible,
                        struct lo_error *err)
{
    *visible = true;
    if (app->who.kind != LO_PRINCIPAL_USER)
        return 0;
    struct lo_policy_object obj = { .kind = LO_OBJ_PROJECT, .id = project_id };
    int rc = lo__app_member_role(app, project_id, &obj.member_role, err);
    if (rc)
        return rc;
    if (lo_policy_check(&app->who, LO_ACT_REVIEW, &obj) == 0 ||
        lo_policy_check(&app->who, LO_ACT_ANNOTATE, &obj) != 0)
        return 0;
    struct lo_store *st = app->store;
    return st->ops->wf->seen_has(st, app->who.user_id, item_id, visible, err);
}

/* The image type of a file name, by its extension; NULL when it is not one we serve. SVG is
 * left out on purpose: it can carry scripts. */
static const char *image_type(const char *path, size_t len)
{
    static const struct {
        const char *ext;
        const char *type;
    } k_types[] = {
        { ".png", "image/png" }, { ".jpg", "image/jpeg" },  { ".jpeg", "image/jpeg" },
        { ".gif", "image/gif" }, { ".webp", "image/webp" },
    };
    for (size_t i = 0; i < sizeof(k_types) / sizeof(k_types[0]); i++) {
        size_t n = strlen(k_types[i].ext);
        if (len > n && strncasecmp(path + len - n, k_types[i].ext, n) == 0)
            return k_types[i].type;
    }
    return NULL;
}

int lo_app_item_media_open(struct lo_app *app, const char *project, int64_t item_id,
                           const char *field, const char *media_root, struct lo_media *out,
                           struct lo_error *err)
{
    struct lo_store *st = app->store;
    struct lo_arena arena;
    struct lo_project p;
    struct media_scan s = { .item_id = item_id, .field = field ? field : "image" };
    memset(out, 0, sizeof(*out));
    out->file.fd = -1;
    lo_arena_init(&arena, 4096);
    int rc = st->ops->begin(st, false, err);
    if (!rc) {
        rc = lo__app_find_project_for(app, project, LO_ACT_READ, &arena, &p, err);
        bool visible = true;
        if (!rc)
            rc = item_visible(app, p.id, item_id, &visible, err);
        if (!rc && visible) {
            /* One row: the page that starts right before the item (a seek, not a scan). */
            rc = st->ops->item_page(st, p.id, item_id - 1, 1, media_scan_cb, &s, err);
            if (rc == 1)
                rc = 0;
        }
        st->ops->rollback(st);
    }
    lo_arena_free(&arena);
    if (rc)
        return rc;
    if (!s.found)
        return lo_error_field(err, LO_ENOTFOUND, "id", "no item %lld in project '%s'",
                              (long long)item_id, project);
    if (s.too_long)
        return lo_error_field(err, LO_ELIMIT, s.field,
                              "the item's media path is longer than LO_LIMIT_MEDIA_PATH");
    if (!s.has_path)
        return lo_error_field(err, LO_ENOTFOUND, s.field,
                              "the item has no media path in its payload member '%s'", s.field);
    if (!media_root)
        return lo_error_set(err, LO_ENOTFOUND,
                            "media are not served: the server was started without --media-root");
    if (!lo_confined_name_ok(s.path, s.path_len))
        return lo_error_field(err, LO_EINVAL, s.field,
                              "the item's media path must be relative to the media root, "
                              "without '..' or '.' components");
    out->content_type = image_type(s.path, s.path_len);
    if (!out->content_type)
        return lo_error_field(err, LO_EINVAL, s.field,
                              "the item's media is not an image the server sends "
                              "(.png, .jpg, .jpeg, .gif, .webp)");
    rc = lo_open_beneath(media_root, s.path, s.path_len, (uint64_t)LO_LIMIT_MEDIA_BYTES, &out->file,
                         err);
    if (rc == LO_ENOTFOUND)
        lo_error_field(err, rc, s.field, "no media file for item %lld", (long long)item_id);
    return rc;
}
