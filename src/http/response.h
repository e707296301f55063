/*
 * response.h - what every answer of the server shares: the one error body
 * {"error": {"code", "message", "field"?}}, the mapping from enum lo_err to an HTTP status, and
 * the security headers every response carries.
 *
 * An error message that reaches a client is one the app/ layer wrote for people; store and I/O
 * failures (which may name SQL, files or paths) are replaced by a generic sentence here and
 * logged on the server instead. This module must never put a stack trace, SQL text or a file
 * path into a response.
 */
#ifndef LO_HTTP_RESPONSE_H
#define LO_HTTP_RESPONSE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "base/buf.h"
#include "base/err.h"

struct MHD_Response;

/* A response being prepared by a handler. Either body (buffered) or stream is used. */
struct lo_http_resp {
    int status;                 /* 0 until a handler decided */
    const char *content_type;   /* static string */
    struct lo_buf body;
    struct MHD_Response *stream;/* a prepared streaming response (takes precedence) */
    char set_cookie[512];       /* "" when none */
    char allow[64];             /* Allow header of a 405, "" when none */
    char disposition[160];      /* Content-Disposition, "" when none */
    int retry_after;            /* seconds for Retry-After, 0 when none */
    const char *error_code;     /* the error code sent, for metrics and logs; NULL on success */
    const char *csp;            /* Content-Security-Policy instead of the API's; NULL: the API's */
    const char *cache_control;  /* Cache-Control instead of no-store; NULL: no-store */
    char etag[80];              /* ETag, "" when none */
};

void lo_http_resp_init(struct lo_http_resp *r);
void lo_http_resp_free(struct lo_http_resp *r);

/* The HTTP status for a negative enum lo_err. LO_EINVAL is 422 (valid JSON failing validation);
 * a malformed body is answered 400 by the body parser itself. */
int lo_http_status_for(int code);

/* Sets r to an error response. field may be NULL or "". code is a short stable name. */
void lo_http_error(struct lo_http_resp *r, int status, const char *code, const char *message,
                   const char *field);

/* Sets r to the error response for err (code = lo_err_name, status from the mapping). Store,
 * I/O and memory failures become a generic 500/503 message; their detail is returned through
 * *detail (NULL when the message is sent as is) for the server log. */
void lo_http_error_from(struct lo_http_resp *r, int rc, const struct lo_error *err,
                        const char **detail);

/* Sets r to a JSON response; takes over v. */
int lo_http_json(struct lo_http_resp *r, int status, json_t *v_take);

/* Builds the libmicrohttpd response (buffered or the prepared stream) with every security
 * header. Returns NULL when out of memory. The caller queues and destroys it. */
struct MHD_Response *lo_http_resp_build(struct lo_http_resp *r);

/* The headers every response carries (also used for the server's own error pages). */
void lo_http_security_headers(struct MHD_Response *resp);

#endif
