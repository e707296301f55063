/*
 * static.h - the browser UI's files (web/): embedded into the binary at build time by
 * scripts/gen_web_assets.py, or read from a directory with `labelops serve --web-dir DIR`.
 *
 * A GET or HEAD that matches no API route and is not under /api/ is the UI's: /assets/<version>/
 * <file> is a file of web/ (cached for a year when <version> is the build's, since the URL then
 * changes whenever any file does), and the UI's views ("/", "/signin", "/p/...") are
 * index.html (the UI routes its views itself), revalidated on every load; any other path is the
 * usual JSON 404. HTML pages carry their own
 * Content-Security-Policy (LO_HTTP_UI_CSP): scripts, styles and images from the server itself,
 * no inline script or style, Trusted Types required for every HTML sink.
 */
#ifndef LO_HTTP_STATIC_H
#define LO_HTTP_STATIC_H

#include <stdbool.h>
#include <stddef.h>

struct lo_http_req;
struct lo_route;

/* One embedded file (the generated web_assets.c holds the table). */
struct lo_web_asset {
    const char *path; /* relative to web/, "js/main.js" */
    const unsigned char *data;
    size_t len;
    const char *content_type;
    const char *etag; /* quoted strong validator: the content's hash */
};

extern const struct lo_web_asset lo__web_assets[];
extern const size_t lo__web_assets_count;
extern const char lo__web_version[]; /* a hash of every embedded file */

#define LO_HTTP_UI_CSP                                                                             \
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' blob:; "              \
    "connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'; "            \
    "object-src 'none'; require-trusted-types-for 'script'; trusted-types 'none'"

/* True when a request that matched no route belongs to the UI: GET or HEAD, not under /api/. */
bool lo__http_static_wants(const char *method, const char *path);
/* The pseudo-route such a request is answered by (public, no body; not in the route table, so
 * not in `serve --routes` or the OpenAPI document). */
const struct lo_route *lo__http_static_route(void);

/* The embedded file at rel, NULL when none. Pure. */
const struct lo_web_asset *lo__web_asset_find(const char *rel);

#endif
