/*
 * request.c - what handlers use to read a request: parameters, query, headers, the JSON body
 * (strict), keyset pagination, and how they fail.
 */
#include <microhttpd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/limits.h"
#include "http/server_int.h"

struct lo_app *lo_http_app(struct lo_http_req *r)
{
    r->app->who = r->who;
    r->app->actor = r->who.name ? r->who.name : "anonymous";
    return r->app;
}

int lo_http_fail(struct lo_http_req *r, int rc, const struct lo_error *err)
{
    const char *detail = NULL;
    lo_http_error_from(&r->resp, rc, err, &detail);
    if (detail)
        lo__http_log_detail(r, r->route ? r->route->name : "request", detail);
    return rc;
}

const char *lo_http_param(struct lo_http_req *r, const char *name)
{
    struct lo_str v = lo_route_param(&r->match, name);
    char *s = lo_arena_strndup(&r->arena, v.ptr, v.len);
    return s ? s : "";
}

const char *lo_http_query(struct lo_http_req *r, const char *name)
{
    return MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, name);
}

const char *lo_http_header(struct lo_http_req *r, const char *name)
{
    return MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, name);
}

bool lo_http_json_depth_ok(const char *s, size_t len, int max_depth)
{
    int depth = 0;
    bool in_string = false;
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if (in_string) {
            if (c == '\\')
                i++;
            else if (c == '"')
                in_string = false;
            continue;
        }
        if (c == '"') {
            in_string = true;
        } else if (c == '[' || c == '{') {
            if (++depth > max_depth)
                return false;
        } else if (c == ']' || c == '}') {
            depth--;
        }
    }
    return true;
}

json_t *lo_http_body_object(struct lo_http_req *r)
{
    if (r->body.len == 0) {
        lo_http_error(&r->resp, 400, "malformed", "this request needs a JSON body", NULL);
        return NULL;
    }
    if (!lo_http_json_depth_ok(r->body.data, r->body.len, LO_LIMIT_HTTP_JSON_DEPTH)) {
        lo_http_error(&r->resp, 400, "limit_exceeded",
                      "the JSON body is nested deeper than LO_LIMIT_HTTP_JSON_DEPTH", NULL);
        return NULL;
    }
    /* jansson rejects invalid UTF-8, \u0000, integers beyond int64 and reals that overflow;
     * JSON_REJECT_DUPLICATES rejects an object that names a key twice. */
    json_error_t jerr;
    json_t *v = json_loadb(r->body.data, r->body.len, JSON_REJECT_DUPLICATES, &jerr);
    if (!v) {
        char msg[300];
        snprintf(msg, sizeof(msg), "malformed JSON at line %d column %d: %s", jerr.line,
                 jerr.column, jerr.text);
        lo_http_error(&r->resp, 400, "malformed", msg, NULL);
        return NULL;
    }
    if (!json_is_object(v)) {
        json_decref(v);
        lo_http_error(&r->resp, 422, "invalid", "the JSON body must be an object", NULL);
        return NULL;
    }
    return v;
}

int lo_http_page_parse(struct lo_http_req *r, struct lo_http_page *pg)
{
    pg->limit = LO_LIMIT_HTTP_PAGE_DEFAULT;
    pg->after = lo_http_query(r, "after");
    const char *l = lo_http_query(r, "limit");
    if (l) {
        long long v;
        if (!lo_str_to_i64(lo_str_from(l), &v) || v < 1) {
            lo_http_error(&r->resp, 422, "invalid", "limit must be a positive integer", "limit");
            return LO_EINVAL;
        }
        pg->limit = v > LO_LIMIT_HTTP_PAGE_MAX ? LO_LIMIT_HTTP_PAGE_MAX : (int)v;
    }
    return 0;
}
