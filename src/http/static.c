/*
 * static.c - serving the browser UI (see static.h): index.html for the UI's own paths and the
 * files of web/ under /assets/<version>/, from the embedded table or from --web-dir.
 *
 * index.html names its assets as "{{ASSET_BASE}}/..."; the placeholder becomes
 * "/assets/<version>" when the page is served, so a new build changes every asset URL and the
 * year-long cache of the old ones is never wrong. In --web-dir mode the version is "dev" and
 * nothing is cached for long: an edit shows on the next reload.
 *
 * It must never serve a file outside web/ (the embedded table is looked up by exact name; from
 * disk, lo_open_beneath refuses "..", absolute names and links), and never inline data into the
 * page: index.html is the same for every caller and holds no data.
 */
#include "http/static.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/fsconfine.h"
#include "base/limits.h"
#include "http/server_int.h"

#define ASSET_PREFIX "/assets/"
#define BASE_PLACEHOLDER "{{ASSET_BASE}}"
#define CACHE_IMMUTABLE "public, max-age=31536000, immutable"
#define CACHE_REVALIDATE "no-cache"

bool lo__http_static_wants(const char *method, const char *path)
{
    if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0)
        return false;
    return path[0] == '/' && strncmp(path, "/api/", 5) != 0 && strcmp(path, "/api") != 0;
}

const struct lo_web_asset *lo__web_asset_find(const char *rel)
{
    for (size_t i = 0; i < lo__web_assets_count; i++)
        if (strcmp(lo__web_assets[i].path, rel) == 0)
            return &lo__web_assets[i];
    return NULL;
}

static const char *type_of(const char *name)
{
    static const struct {
        const char *ext;
        const char *type;
    } k_types[] = {
        { ".html", "text/html; charset=utf-8" },
        { ".css", "text/css; charset=utf-8" },
        { ".js", "text/javascript; charset=utf-8" },
        { ".json", "application/json" },
        { ".svg", "image/svg+xml" },
        { ".png", "image/png" },
        { ".md", "text/markdown; charset=utf-8" },
        { ".txt", "text/plain; charset=utf-8" },
    };
    size_t len = strlen(name);
    for (size_t i = 0; i < sizeof(k_types) / sizeof(k_types[0]); i++) {
        size_t n = strlen(k_types[i].ext);
        if (len > n && strcmp(name + len - n, k_types[i].ext) == 0)
            return k_types[i].type;
    }
    return NULL;
}

/* The UI's own views (web/js/main.js routes them): "/", "/signin" and "/p/<project>/<view>".
 * Anything else that is not an asset stays a 404, as it was before the UI existed. */
static bool is_ui_view(const char *path)
{
    return strcmp(path, "/") == 0 || strcmp(path, "/signin") == 0 ||
           (strncmp(path, "/p/", 3) == 0 && path[3] != '\0');
}

/* The client already has this version: 304 with no body. */
static bool not_modified(struct lo_http_req *r, const char *etag)
{
    const char *inm = lo_http_header(r, "If-None-Match");
    return inm && etag[0] && strstr(inm, etag) != NULL;
}

static int not_found(struct lo_http_req *r)
{
    lo_http_error(&r->resp, 404, "not_found", "no such resource", NULL);
    return 0;
}

/* Reads a file of --web-dir into buf. */
static int read_web_file(struct lo_http_req *r, const char *rel, struct lo_buf *buf, char *etag,
                         size_t etag_cap)
{
    const char *dir = lo__http_config(r->srv)->web_dir;
    struct lo_confined_file f;
    struct lo_error err;
    lo_error_clear(&err);
    int rc = lo_open_beneath(dir, rel, strlen(rel), LO_LIMIT_WEB_FILE, &f, &err);
    if (rc)
        return rc;
    char chunk[16384];
    for (;;) {
        ssize_t n = read(f.fd, chunk, sizeof(chunk));
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            rc = n < 0 ? LO_EIO : 0;
            break;
        }
        rc = lo_buf_append(buf, chunk, (size_t)n);
        if (rc)
            break;
    }
    close(f.fd);
    snprintf(etag, etag_cap, "\"dev-%llx-%llx\"", (unsigned long long)f.size,
             (unsigned long long)f.mtime_ms);
    return rc;
}

/* index.html with its placeholder replaced by the asset base of this version. */
static int render_index(struct lo_http_req *r, const char *src, size_t len, const char *version)
{
    char base[96];
    snprintf(base, sizeof(base), "%s%s", "/assets/", version);
    size_t blen = strlen(base), plen = strlen(BASE_PLACEHOLDER);
    struct lo_buf *out = &r->resp.body;
    lo_buf_reset(out);
    int rc = 0;
    size_t i = 0;
    while (i < len && !rc) {
        if (len - i >= plen && memcmp(src + i, BASE_PLACEHOLDER, plen) == 0) {
            rc = lo_buf_append(out, base, blen);
            i += plen;
        } else {
            rc = lo_buf_putc(out, src[i]);
            i++;
        }
    }
    return rc;
}

static int serve_index(struct lo_http_req *r)
{
    const char *web_dir = lo__http_config(r->srv)->web_dir;
    int rc;
    if (web_dir) {
        struct lo_buf src;
        lo_buf_init(&src, LO_LIMIT_WEB_FILE);
        rc = read_web_file(r, "index.html", &src, r->resp.etag, sizeof(r->resp.etag));
        if (!rc)
            rc = render_index(r, src.data ? src.data : "", src.len, "dev");
        lo_buf_free(&src);
    } else {
        const struct lo_web_asset *a = lo__web_asset_find("index.html");
        if (!a)
            return not_found(r);
        snprintf(r->resp.etag, sizeof(r->resp.etag), "\"%s-index\"", lo__web_version);
        rc = render_index(r, (const char *)a->data, a->len, lo__web_version);
    }
    if (rc == LO_ENOTFOUND)
        return not_found(r);
    if (rc)
        return lo_http_fail(r, rc, NULL);
    r->resp.status = 200;
    r->resp.content_type = "text/html; charset=utf-8";
    r->resp.csp = LO_HTTP_UI_CSP;
    r->resp.cache_control = CACHE_REVALIDATE;
    if (not_modified(r, r->resp.etag)) {
        lo_buf_reset(&r->resp.body);
        r->resp.status = 304;
        r->resp.content_type = NULL;
    }
    return 0;
}

static int serve_asset(struct lo_http_req *r, const char *rest)
{
    /* rest is "<version>/<file>" */
    const char *slash = strchr(rest, '/');
    if (!slash || slash == rest || !slash[1])
        return not_found(r);
    size_t vlen = (size_t)(slash - rest);
    const char *rel = slash + 1;
    const char *type = type_of(rel);
    if (!type)
        return not_found(r);
    const char *web_dir = lo__http_config(r->srv)->web_dir;
    if (web_dir) {
        int rc = read_web_file(r, rel, &r->resp.body, r->resp.etag, sizeof(r->resp.etag));
        if (rc == LO_ENOTFOUND || rc == LO_EINVAL)
            return not_found(r);
        if (rc)
            return lo_http_fail(r, rc, NULL);
        r->resp.cache_control = CACHE_REVALIDATE;
    } else {
        const struct lo_web_asset *a = lo__web_asset_find(rel);
        if (!a)
            return not_found(r);
        lo_buf_reset(&r->resp.body);
        int rc = lo_buf_append(&r->resp.body, a->data, a->len);
        if (rc)
            return lo_http_fail(r, rc, NULL);
        snprintf(r->resp.etag, sizeof(r->resp.etag), "%s", a->etag);
        /* Only the current version's URL may be cached for good: an old or made-up version
         * gets today's file, revalidated. */
        bool current = vlen == strlen(lo__web_version) && memcmp(rest, lo__web_version, vlen) == 0;
        r->resp.cache_control = current ? CACHE_IMMUTABLE : CACHE_REVALIDATE;
    }
    r->resp.status = 200;
    r->resp.content_type = type;
    if (strncmp(type, "text/html", 9) == 0)
        r->resp.csp = LO_HTTP_UI_CSP;
    if (not_modified(r, r->resp.etag)) {
        lo_buf_reset(&r->resp.body);
        r->resp.status = 304;
        r->resp.content_type = NULL;
    }
    return 0;
}

static int h_static(struct lo_http_req *r)
{
    const char *path = r->path;
    if (strncmp(path, ASSET_PREFIX, strlen(ASSET_PREFIX)) == 0)
        return serve_asset(r, path + strlen(ASSET_PREFIX));
    if (!is_ui_view(path))
        return not_found(r);
    return serve_index(r);
}

static const struct lo_route k_static_route = {
    "GET", "/{ui}", "GET /ui", LO_ROUTE_PUBLIC, LO_BODY_NONE, h_static,
};

const struct lo_route *lo__http_static_route(void)
{
    return &k_static_route;
}
