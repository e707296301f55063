/*
 * server_int.h - what the files of http/ share: the request context handlers work on, and the
 * helpers they call. Nobody outside http/ includes it.
 */
#ifndef LO_HTTP_SERVER_INT_H
#define LO_HTTP_SERVER_INT_H

#include <jansson.h>
#include <stdatomic.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "app/app.h"
#include "base/arena.h"
#include "base/buf.h"
#include "http/api_data.h"
#include "http/body.h"
#include "http/pcache.h"
#include "http/response.h"
#include "http/router.h"
#include "http/server.h"

struct MHD_Connection;

/* One request, from its first header to its completion. Lives in malloc'd memory owned by the
 * server; everything a handler allocates goes into arena. */
struct lo_http_req {
    struct lo_http_server *srv;
    struct MHD_Connection *conn;
    const char *method;            /* libmicrohttpd's, valid until completion */
    char method_copy[16];          /* for the access log */
    const char *path;              /* decoded path, no query */
    struct lo_route_match match;
    const struct lo_route *route;  /* NULL when unmatched */
    struct lo_arena arena;
    struct lo_app *app;            /* this worker thread's app */
    struct lo_pcache *pcache;      /* this worker thread's principal cache */
    struct lo_principal who;       /* ANONYMOUS until authenticated */
    bool cookie_auth;              /* authenticated through the session cookie */
    char csrf[80];                 /* the session's CSRF token (cookie sessions) */
    char request_id[24];
    double t0;                     /* lo_monotonic_s at the first header */
    double store_s;                /* seconds spent in app/ calls */
    int phase;                     /* 0: first call seen; 1: reading body; 2: answered */
    bool answer_now;               /* an early error to send at once */
    bool close_after;              /* close the connection after the answer */
    /* body */
    uint64_t body_bytes;
    bool body_too_large;
    struct lo_buf body;            /* LO_BODY_JSON */
    int upload_fd;                 /* LO_BODY_UPLOAD: -1 when none */
    char upload_path[128];
    int upload_errno;
    struct lo_http_resp resp;
    int status;                    /* what was sent */
    bool counted;                  /* in the in-flight count */
    /* an answer that comes later, from the group-commit writer (lo__http_async_*) */
    pthread_mutex_t async_mu;
    bool async_used;               /* async_mu initialised */
    bool async_done;               /* the answer is in resp */
    bool async_suspended;          /* the connection waits for it */
    bool parked;                   /* suspended by this call of the handler: do not send */
};

/* Server internals the handlers need. */
int lo__http_in_flight(const struct lo_http_server *s);
const struct lo_http_config *lo__http_config(const struct lo_http_server *s);
/* Writes the Prometheus text of the server's metrics to b. */
int lo__http_metrics_render(struct lo_http_server *s, struct lo_buf *b);
/* Export threads are counted so that shutdown waits for them. */
void lo__http_background_begin(struct lo_http_server *s);
void lo__http_background_end(struct lo_http_server *s);
/* Logs a server-side detail that must not reach the client. */
void lo__http_log_detail(struct lo_http_req *r, const char *what, const char *detail);

/* ---- helpers for handlers (request.c) ------------------------------------------------------ */

/* Points app->who at r->who before an app/ call. Every handler calls app/ through this. */
struct lo_app *lo_http_app(struct lo_http_req *r);
/* Sets r->resp to the error for rc/err (store details go to the log, never the client). */
int lo_http_fail(struct lo_http_req *r, int rc, const struct lo_error *err);
/* A parameter of the matched route as a NUL-terminated string in the arena. */
const char *lo_http_param(struct lo_http_req *r, const char *name);
/* A query argument (decoded), NULL when absent. */
const char *lo_http_query(struct lo_http_req *r, const char *name);
/* A request header, NULL when absent. */
const char *lo_http_header(struct lo_http_req *r, const char *name);

/* Parses the buffered JSON body with lo_http_parse_object (http/body.h). On failure sets the
 * 400/422 response and returns NULL. */
json_t *lo_http_body_object(struct lo_http_req *r);

/* Keyset pagination: ?limit= (default LO_LIMIT_HTTP_PAGE_DEFAULT, capped at
 * LO_LIMIT_HTTP_PAGE_MAX) and ?after= (the key of the last row of the previous page). */
struct lo_http_page {
    int limit;
    const char *after;             /* NULL: from the start */
};
int lo_http_page_parse(struct lo_http_req *r, struct lo_http_page *pg);

/* The format of an upload: ?format= (jsonl, csv, tsv), else the Content-Type; LO_FMT_AUTO when
 * neither says (or ?format= names no format). */
enum lo_format lo_http_upload_format(struct lo_http_req *r);
/* A boolean query argument: absent is false; "true", "1" or "" (a bare ?name) true; "false" or
 * "0" false; anything else LO_EINVAL with a 422 naming it. */
int lo_http_query_bool(struct lo_http_req *r, const char *name, bool *out);

/* Answers that come later (the workflow's writes wait for a group commit without holding a
 * server thread). The handler calls lo__http_async_begin, queues its work, then
 * lo__http_async_park (or lo__http_async_cancel when queuing failed, and answers as usual);
 * the work's completion, on any thread, sets r->resp and calls lo__http_async_answer, which
 * resumes the connection. */
void lo__http_async_begin(struct lo_http_req *r);
void lo__http_async_park(struct lo_http_req *r);
void lo__http_async_cancel(struct lo_http_req *r);
/* Takes the lock the handler may still hold; call resp-setting code between _lock and
 * _answer. */
void lo__http_async_lock(struct lo_http_req *r);
void lo__http_async_answer(struct lo_http_req *r);

/* Authentication (auth.c): fills r->who from the cookie or bearer token. 0 when signed in,
 * LO_EUNAUTH otherwise (with err). */
int lo__http_authenticate(struct lo_http_req *r, struct lo_error *err);

#define LO_HTTP_SESSION_COOKIE "lo_session"
#define LO_HTTP_CSRF_HEADER "X-CSRF-Token"

#endif
