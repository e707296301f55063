/*
 * media.h - the media of an item: an image its payload names by a path relative to the media
 * root the server was given (`labelops serve --media-root DIR`).
 *
 * Status: the use case behind GET /api/v1/projects/{name}/items/{id}/media (issue 6).
 */
#ifndef LO_APP_MEDIA_H
#define LO_APP_MEDIA_H

#include <stdint.h>

#include "app/app.h"
#include "base/fsconfine.h"

struct lo_media {
    struct lo_confined_file file; /* file.fd is open: the caller closes it or hands it on */
    const char *content_type;     /* static string: image/png, image/jpeg, image/gif, image/webp */
};

/* Opens the file that payload member `field` (NULL: "image") of item item_id of project names,
 * beneath media_root, for app->who. Policy: LO_ACT_READ on the project, so an item of a
 * project out of scope reads exactly like one of a project that does not exist (404); an
 * annotator (no review right) gets only the items the workflow gave them, as with the item
 * routes (an item not given reads like a missing one).
 * Errors: LO_ENOTFOUND when media_root is NULL (media not served), the project or item is
 * unknown or out of scope, the payload has no such string member, or no regular file lies at
 * that path beneath the root (links are never followed); LO_EINVAL for a path that is absolute,
 * holds "..", or names a type that is not an image (by its extension: .png .jpg .jpeg .gif
 * .webp); LO_ELIMIT over LO_LIMIT_MEDIA_BYTES. Thread-safe on its own app. */
int lo_app_item_media_open(struct lo_app *app, const char *project, int64_t item_id,
                           const char *field, const char *media_root, struct lo_media *out,
                           struct lo_error *err);

#endif
