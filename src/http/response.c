/*
 * response.c - error bodies, status mapping and security headers.
 */
#include "http/response.h"

#include <microhttpd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/json.h"

void lo_http_resp_init(struct lo_http_resp *r)
{
    memset(r, 0, sizeof(*r));
    /* A response body is built by the server itself; the cap only guards against a runaway. */
    lo_buf_init(&r->body, 16 * 1024 * 1024);
}

void lo_http_resp_free(struct lo_http_resp *r)
{
    lo_buf_free(&r->body);
    if (r->stream)
        MHD_destroy_response(r->stream);
    r->stream = NULL;
}

int lo_http_status_for(int code)
{
    switch (code) {
    case LO_OK: return 200;
    case LO_EINVAL: return 422;
    case LO_EUSAGE: return 400;
    case LO_EUNAUTH: return 401;
    case LO_EFORBIDDEN: return 403;
    case LO_ENOTFOUND: return 404;
    case LO_ECONFLICT: return 409;
    case LO_ELIMIT: return 413;
    case LO_EUNDEFINED: return 422;
    case LO_ERATE: return 429;
    case LO_EBUSY: return 503;
    default: return 500;
    }
}

void lo_http_error(struct lo_http_resp *r, int status, const char *code, const char *message,
                   const char *field)
{
    lo_buf_reset(&r->body);
    r->status = status;
    r->content_type = "application/json";
    r->error_code = code;
    int rc = lo_buf_puts(&r->body, "{\"error\":{\"code\":");
    if (!rc)
        rc = lo_json_put_string(&r->body, code, strlen(code));
    if (!rc)
        rc = lo_buf_puts(&r->body, ",\"message\":");
    /* Messages are ours, but may quote client input: keep them valid UTF-8 JSON. */
    if (!rc && lo_utf8_valid(message, strlen(message), NULL))
        rc = lo_json_put_string(&r->body, message, strlen(message));
    else if (!rc)
        rc = lo_buf_puts(&r->body, "\"the request was not accepted\"");
    if (!rc && field && field[0] && lo_utf8_valid(field, strlen(field), NULL)) {
        rc = lo_buf_puts(&r->body, ",\"field\":");
        if (!rc)
            rc = lo_json_put_string(&r->body, field, strlen(field));
    }
    if (!rc)
        rc = lo_buf_puts(&r->body, "}}\n");
    if (rc) {
        lo_buf_reset(&r->body);
        lo_buf_puts(&r->body, "{\"error\":{\"code\":\"error\",\"message\":\"error\"}}\n");
    }
}

void lo_http_error_from(struct lo_http_resp *r, int rc, const struct lo_error *err,
                        const char **detail)
{
    int code = rc ? rc : (err && err->code ? err->code : LO_EINVAL);
    *detail = NULL;
    switch (code) {
    case LO_ESTORE:
    case LO_EIO:
    case LO_ENOMEM:
        /* Never SQL, file names or paths to a client: say what happened, log the detail. */
        *detail = err && err->msg[0] ? err->msg : lo_err_name(code);
        lo_http_error(r, 500, "internal", "the server could not complete the request", NULL);
        return;
    default:
        break;
    }
    const char *msg = err && err->msg[0] ? err->msg : lo_err_name(code);
    char buf[LO_ERROR_MSG_MAX + 32];
    if (err && err->line > 0) {
        /* Import errors name the line of the upload; the file is a temporary one: leave it out. */
        snprintf(buf, sizeof(buf), "line %ld: %s", err->line, msg);
        msg = buf;
    }
    lo_http_error(r, lo_http_status_for(code), lo_err_name(code), msg, err ? err->field : NULL);
}

int lo_http_json(struct lo_http_resp *r, int status, json_t *v_take)
{
    if (!v_take)
        return LO_ENOMEM;
    lo_buf_reset(&r->body);
    char *s = json_dumps(v_take, JSON_COMPACT | JSON_ENCODE_ANY);
    json_decref(v_take);
    if (!s)
        return LO_ENOMEM;
    int rc = lo_buf_puts(&r->body, s);
    free(s);
    if (!rc)
        rc = lo_buf_putc(&r->body, '\n');
    if (rc)
        return rc;
    r->status = status;
    r->content_type = "application/json";
    r->error_code = NULL;
    return 0;
}

/* The security headers, with the CSP and caching of a UI file where one is given. */
static void security_headers(struct MHD_Response *resp, const char *csp, const char *cache)
{
    MHD_add_response_header(resp, "Content-Security-Policy",
                            csp ? csp
                                : "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; "
                                  "form-action 'self'");
    MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(resp, "X-Frame-Options", "DENY");
    MHD_add_response_header(resp, "Referrer-Policy", "no-referrer");
    MHD_add_response_header(resp, "Cache-Control", cache ? cache : "no-store");
}

void lo_http_security_headers(struct MHD_Response *resp)
{
    security_headers(resp, NULL, NULL);
}

struct MHD_Response *lo_http_resp_build(struct lo_http_resp *r)
{
    struct MHD_Response *resp;
    if (r->stream) {
        resp = r->stream;
        r->stream = NULL;
    } else {
        resp = MHD_create_response_from_buffer(r->body.len, r->body.data ? r->body.data : (void *)"",
                                               MHD_RESPMEM_MUST_COPY);
    }
    if (!resp)
        return NULL;
    security_headers(resp, r->csp, r->cache_control);
    if (r->etag[0])
        MHD_add_response_header(resp, "ETag", r->etag);
    if (r->content_type)
        MHD_add_response_header(resp, "Content-Type", r->content_type);
    if (r->set_cookie[0])
        MHD_add_response_header(resp, "Set-Cookie", r->set_cookie);
    if (r->allow[0])
        MHD_add_response_header(resp, "Allow", r->allow);
    if (r->disposition[0])
        MHD_add_response_header(resp, "Content-Disposition", r->disposition);
    if (r->retry_after > 0) {
        char v[24];
        snprintf(v, sizeof(v), "%d", r->retry_after);
        MHD_add_response_header(resp, "Retry-After", v);
    }
    return resp;
}
