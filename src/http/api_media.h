/*
 * api_media.h - GET /api/v1/projects/{name}/items/{id}/media: an item's image, for callers who
 * may read the item, from beneath `labelops serve --media-root` (app/media.h). Row in k_routes.
 */
#ifndef LO_HTTP_API_MEDIA_H
#define LO_HTTP_API_MEDIA_H

struct lo_http_req;

int lo__h_item_media(struct lo_http_req *r);

#endif
