/*
 * request.c - what handlers use to read a request: parameters, query, headers, the JSON body
 * (strict), keyset pagination, and how they fail.
 */
#include <microhttpd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/limits.h"
#include "http/body.h"
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

json_t *lo_http_body_object(struct lo_http_req *r)
{
    int status;
    const char *code;
    char msg[300];
    json_t *v = lo_http_parse_object(r->body.data ? r->body.data : "", r->body.len, &status,
                                     &code, msg, sizeof(msg));
    if (!v)
        lo_http_error(&r->resp, status, code, msg, NULL);
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

enum lo_format lo_http_upload_format(struct lo_http_req *r)
{
    const char *f = lo_http_query(r, "format");
    if (f)
        return lo_format_parse(f);
    const char *ct = lo_http_header(r, "Content-Type");
    if (!ct)
        return LO_FMT_AUTO;
    if (strncasecmp(ct, "text/csv", 8) == 0)
        return LO_FMT_CSV;
    if (strncasecmp(ct, "text/tab-separated-values", 25) == 0)
        return LO_FMT_TSV;
    if (strncasecmp(ct, "application/x-ndjson", 20) == 0 ||
        strncasecmp(ct, "application/jsonl", 17) == 0 ||
        strncasecmp(ct, "application/json-lines", 22) == 0)
        return LO_FMT_JSONL;
    return LO_FMT_AUTO;
}

int lo_http_query_bool(struct lo_http_req *r, const char *name, bool *out)
{
    const char *v = lo_http_query(r, name);
    *out = false;
    if (!v)
        return 0;
    if (strcmp(v, "true") == 0 || strcmp(v, "1") == 0 || v[0] == '\0') {
        *out = true;
        return 0;
    }
    if (strcmp(v, "false") == 0 || strcmp(v, "0") == 0)
        return 0;
    char msg[120];
    snprintf(msg, sizeof(msg), "%s must be true or false", name);
    lo_http_error(&r->resp, 422, "invalid", msg, name);
    return LO_EINVAL;
}
