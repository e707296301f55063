/*
 * api_media.c - an item's image over HTTP (see api_media.h).
 *
 * The use case (app/media.c) decides whether the caller may read the item and opens the file
 * confined to the media root; this handler only hands the descriptor to libmicrohttpd, which
 * sends it with sendfile. The answer may be cached by the caller's browser alone (private) for
 * a few minutes, revalidated by an ETag of size and modification time. It must never name the
 * media root or the file's path in an answer.
 */
#include "http/api_media.h"

#include <microhttpd.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "app/media.h"
#include "base/clock.h"
#include "http/server_int.h"

/* A payload member name in ?field=: the schema's name rules (letters, digits, '_', '-'). */
static bool field_name_ok(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 256)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '_' || c == '-';
        if (!ok)
            return false;
    }
    return true;
}

int lo__h_item_media(struct lo_http_req *r)
{
    long long id;
    if (!lo_str_to_i64(lo_str_from(lo_http_param(r, "id")), &id) || id < 1) {
        lo_http_error(&r->resp, 404, "not_found", "no such item", "id");
        return LO_ENOTFOUND;
    }
    const char *field = lo_http_query(r, "field");
    if (field && !field_name_ok(field)) {
        lo_http_error(&r->resp, 422, "invalid",
                      "field must be a payload member name (letters, digits, '_', '-')", "field");
        return LO_EINVAL;
    }
    struct lo_media m;
    struct lo_error err;
    lo_error_clear(&err);
    double t0 = lo_monotonic_s();
    int rc = lo_app_item_media_open(lo_http_app(r), lo_http_param(r, "name"), id, field,
                                    lo__http_config(r->srv)->media_root, &m, &err);
    r->store_s += lo_monotonic_s() - t0;
    if (rc)
        return lo_http_fail(r, rc, &err);
    snprintf(r->resp.etag, sizeof(r->resp.etag), "\"m-%llx-%llx\"", (unsigned long long)m.file.size,
             (unsigned long long)m.file.mtime_ms);
    r->resp.cache_control = "private, max-age=300";
    const char *inm = lo_http_header(r, "If-None-Match");
    if (inm && strstr(inm, r->resp.etag)) {
        close(m.file.fd);
        lo_buf_reset(&r->resp.body);
        r->resp.status = 304;
        r->resp.content_type = NULL;
        return 0;
    }
    /* libmicrohttpd owns the descriptor from here and closes it with the response. */
    r->resp.stream = MHD_create_response_from_fd64(m.file.size, m.file.fd);
    if (!r->resp.stream) {
        close(m.file.fd);
        return lo_http_fail(r, LO_ENOMEM, NULL);
    }
    r->resp.status = 200;
    r->resp.content_type = m.content_type;
    return 0;
}
