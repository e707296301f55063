/*
 * server.c - the libmicrohttpd daemon: per-request life cycle, per-thread stores, limits, rate
 * limiting, metrics, the access log and graceful shutdown.
 *
 * A request is answered on the access handler's second (or last) call, never the first, except
 * for early errors on requests that carry a body: libmicrohttpd closes the connection when a
 * response is queued on the first call, which is right when the body is refused unread (413,
 * 415 ...), and three times slower when it is not (docs/internals/http.md).
 *
 * It must never answer a client with anything but the route's own answer or the one error body,
 * and never block a worker on anything but its own store.
 */
#include "http/server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "base/clock.h"
#include "base/limits.h"
#include "base/rng.h"
#include "app/writer.h"
#include "http/server_int.h"
#include "http/static.h"

/* ---- metrics ----------------------------------------------------------------------------- */

static const int k_statuses[] = { 200, 201, 204, 400, 401, 403, 404, 405, 409, 413,
                                  414, 415, 422, 429, 431, 500, 503 };
#define N_STATUS (sizeof(k_statuses) / sizeof(k_statuses[0]) + 1) /* + "other" */
static const double k_buckets[] = { 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                    0.05,   0.1,   0.25,   0.5,   1.0,  2.5, 10.0 };
#define N_BUCKET (sizeof(k_buckets) / sizeof(k_buckets[0]) + 1) /* + "+Inf" */
static const char *const k_error_codes[] = {
    "invalid", "malformed", "not_found", "method_not_allowed", "conflict", "limit_exceeded",
    "unsupported_media_type", "unauthenticated", "forbidden", "csrf", "rate_limited",
    "unavailable", "shutting_down", "internal", "uri_too_long", "headers_too_large",
    "too_many_connections",
};
#define N_ERRCODE (sizeof(k_error_codes) / sizeof(k_error_codes[0]) + 1) /* + "other" */

struct route_metrics {
    atomic_uint_fast64_t by_status[N_STATUS];
    atomic_uint_fast64_t buckets[N_BUCKET];
    atomic_uint_fast64_t sum_us;
    atomic_uint_fast64_t count;
};

/* ---- rate limiter: token buckets, direct-mapped by a hash of the user or address ---------- */

struct rate_bucket {
    uint64_t key;
    double tokens;
    int64_t last_ms;
};

struct rate_limiter {
    pthread_mutex_t mu;
    struct rate_bucket *slots;     /* LO_LIMIT_HTTP_RATE_CLIENTS */
    double per_ms;                 /* tokens gained per millisecond */
    double burst;
};

/* ---- connection accounting ------------------------------------------------------------- */

/* libmicrohttpd drops a connection over its own limits without a word. Ours sit
 * LO_LIMIT_HTTP_CONNECTIONS_SPARE below them: a connection over ours is accepted and counted
 * here, its first request is answered 503 too_many_connections with the error body, and it is
 * closed (docs/internals/http.md). */
struct conn_info {
    bool over;                     /* over a limit when it opened */
    int ip_slot;                   /* its address in ip_counts, -1 when not counted */
};

/* Open connections per client address: open addressing, a slot is reused once its count is 0. */
struct ip_count {
    unsigned char addr[16];
    int family;                    /* 0: never used */
    int open;
};
#define IP_SLOTS 4096

/* ---- the server -------------------------------------------------------------------------- */

#define APPS_MAX (LO_LIMIT_HTTP_THREADS + 2)

/* What a worker thread owns: its store connection (inside app) and its principal cache. */
struct lo_http_worker {
    struct lo_app app;             /* first: apps[] holds &worker->app */
    struct lo_pcache pcache;
};

struct lo_http_server {
    struct lo_http_config cfg;
    char *host;
    char *db_path;
    struct MHD_Daemon *daemon;
    MHD_socket listen_fd;          /* after lo_http_server_quiesce */
    int port;
    atomic_int shutting_down;
    atomic_int in_flight;
    atomic_int background;
    atomic_uint_fast64_t next_id;
    uint32_t id_prefix;
    struct lo_clock clock;
    pthread_key_t app_key;
    pthread_mutex_t apps_mu;
    char *tls_cert_pem;            /* kept until the daemon stops, as libmicrohttpd asks */
    char *tls_key_pem;
    struct lo_app *apps[APPS_MAX];
    int napps;
    struct rate_limiter rate;
    size_t nroutes;
    const struct lo_route *routes;
    struct route_metrics *metrics;  /* nroutes + 1 (unmatched) */
    atomic_uint_fast64_t errors[N_ERRCODE];
    atomic_uint_fast64_t store_us;
    atomic_uint_fast64_t store_calls;
    atomic_uint_fast64_t auth_generation; /* bumped by app/ on revocations (http/pcache.h) */
    atomic_int open_connections;
    pthread_mutex_t ip_mu;
    struct ip_count *ip_counts;    /* IP_SLOTS */
    struct lo_writer *writer;      /* group commit of the workflow's writes (app/writer.h) */
};

void lo_http_config_init(struct lo_http_config *c)
{
    memset(c, 0, sizeof(*c));
    c->host = "127.0.0.1";
    c->port = 8080;
    c->db_path = "labelops.db";
    c->threads = 32; /* a request holds its thread while it waits for its group commit:
                      * more threads, more requests share one commit (decision 0006) */
    c->rate_per_minute = LO_LIMIT_HTTP_RATE_PER_MINUTE;
    c->rate_burst = LO_LIMIT_HTTP_RATE_BURST;
    c->log = stderr;
}

int lo__http_in_flight(const struct lo_http_server *s)
{
    return atomic_load(&s->in_flight);
}

const struct lo_http_config *lo__http_config(const struct lo_http_server *s)
{
    return &s->cfg;
}

void lo__http_background_begin(struct lo_http_server *s)
{
    atomic_fetch_add(&s->background, 1);
}

void lo__http_background_end(struct lo_http_server *s)
{
    atomic_fetch_sub(&s->background, 1);
}

static int status_slot(int status)
{
    for (size_t i = 0; i + 1 < N_STATUS; i++)
        if (k_statuses[i] == status)
            return (int)i;
    return (int)N_STATUS - 1;
}

static int errcode_slot(const char *code)
{
    for (size_t i = 0; i + 1 < N_ERRCODE; i++)
        if (strcmp(k_error_codes[i], code) == 0)
            return (int)i;
    return (int)N_ERRCODE - 1;
}

static void metrics_record(struct lo_http_server *s, int route, int status, double seconds,
                           double store_s, const char *error_code)
{
    struct route_metrics *m = &s->metrics[route < 0 ? (int)s->nroutes : route];
    atomic_fetch_add(&m->by_status[status_slot(status)], 1);
    size_t b = 0;
    while (b + 1 < N_BUCKET && seconds > k_buckets[b])
        b++;
    atomic_fetch_add(&m->buckets[b], 1);
    atomic_fetch_add(&m->sum_us, (uint64_t)(seconds * 1e6));
    atomic_fetch_add(&m->count, 1);
    if (error_code)
        atomic_fetch_add(&s->errors[errcode_slot(error_code)], 1);
    if (store_s > 0) {
        atomic_fetch_add(&s->store_us, (uint64_t)(store_s * 1e6));
        atomic_fetch_add(&s->store_calls, 1);
    }
}

static const char *route_label(const struct lo_http_server *s, size_t i)
{
    return i < s->nroutes ? s->routes[i].name : "unmatched";
}

int lo__http_metrics_render(struct lo_http_server *s, struct lo_buf *b)
{
    int rc = lo_buf_puts(b, "# HELP lo_http_requests_total Requests answered, by route and status.\n"
                            "# TYPE lo_http_requests_total counter\n");
    for (size_t i = 0; i <= s->nroutes && !rc; i++) {
        for (size_t k = 0; k < N_STATUS && !rc; k++) {
            uint64_t v = atomic_load(&s->metrics[i].by_status[k]);
            if (!v)
                continue;
            if (k + 1 < N_STATUS)
                rc = lo_buf_printf(b, "lo_http_requests_total{route=\"%s\",status=\"%d\"} %llu\n",
                                   route_label(s, i), k_statuses[k], (unsigned long long)v);
            else
                rc = lo_buf_printf(b, "lo_http_requests_total{route=\"%s\",status=\"other\"} %llu\n",
                                   route_label(s, i), (unsigned long long)v);
        }
    }
    if (!rc)
        rc = lo_buf_puts(b, "# HELP lo_http_request_duration_seconds Time from the first header "
                            "to the last byte sent.\n"
                            "# TYPE lo_http_request_duration_seconds histogram\n");
    for (size_t i = 0; i <= s->nroutes && !rc; i++) {
        uint64_t count = atomic_load(&s->metrics[i].count);
        if (!count)
            continue;
        uint64_t cum = 0;
        for (size_t k = 0; k < N_BUCKET && !rc; k++) {
            cum += atomic_load(&s->metrics[i].buckets[k]);
            if (k + 1 < N_BUCKET)
                rc = lo_buf_printf(b, "lo_http_request_duration_seconds_bucket{route=\"%s\","
                                      "le=\"%g\"} %llu\n",
                                   route_label(s, i), k_buckets[k], (unsigned long long)cum);
            else
                rc = lo_buf_printf(b, "lo_http_request_duration_seconds_bucket{route=\"%s\","
                                      "le=\"+Inf\"} %llu\n",
                                   route_label(s, i), (unsigned long long)cum);
        }
        if (!rc)
            rc = lo_buf_printf(b, "lo_http_request_duration_seconds_sum{route=\"%s\"} %.6f\n"
                                  "lo_http_request_duration_seconds_count{route=\"%s\"} %llu\n",
                               route_label(s, i),
                               (double)atomic_load(&s->metrics[i].sum_us) / 1e6,
                               route_label(s, i), (unsigned long long)count);
    }
    if (!rc)
        rc = lo_buf_puts(b, "# HELP lo_http_errors_total Error responses, by error code.\n"
                            "# TYPE lo_http_errors_total counter\n");
    for (size_t k = 0; k < N_ERRCODE && !rc; k++) {
        uint64_t v = atomic_load(&s->errors[k]);
        if (v)
            rc = lo_buf_printf(b, "lo_http_errors_total{code=\"%s\"} %llu\n",
                               k + 1 < N_ERRCODE ? k_error_codes[k] : "other",
                               (unsigned long long)v);
    }
    if (!rc)
        rc = lo_buf_printf(b, "# HELP lo_http_store_seconds_total Time spent in use cases "
                              "(store work included).\n"
                              "# TYPE lo_http_store_seconds_total counter\n"
                              "lo_http_store_seconds_total %.6f\n"
                              "# HELP lo_http_store_requests_total Requests that used the store.\n"
                              "# TYPE lo_http_store_requests_total counter\n"
                              "lo_http_store_requests_total %llu\n"
                              "# HELP lo_http_requests_in_flight Requests being answered now.\n"
                              "# TYPE lo_http_requests_in_flight gauge\n"
                              "lo_http_requests_in_flight %d\n",
                           (double)atomic_load(&s->store_us) / 1e6,
                           (unsigned long long)atomic_load(&s->store_calls),
                           atomic_load(&s->in_flight));
    if (!rc && s->writer) {
        struct lo_writer_stats ws;
        lo_writer_stats(s->writer, &ws);
        rc = lo_buf_printf(b,
                           "# HELP lo_writer_jobs_total Workflow writes run by the group-commit "
                           "writer.\n"
                           "# TYPE lo_writer_jobs_total counter\n"
                           "lo_writer_jobs_total %llu\n"
                           "# HELP lo_writer_commits_total Commits of the writer (each carries "
                           "one or more jobs).\n"
                           "# TYPE lo_writer_commits_total counter\n"
                           "lo_writer_commits_total %llu\n"
                           "# HELP lo_writer_batch_max The most jobs one commit carried.\n"
                           "# TYPE lo_writer_batch_max gauge\n"
                           "lo_writer_batch_max %llu\n"
                           "# HELP lo_writer_busy_seconds_total Time the writer spent on "
                           "batches, commits included.\n"
                           "# TYPE lo_writer_busy_seconds_total counter\n"
                           "lo_writer_busy_seconds_total %.6f\n"
                           "# HELP lo_writer_commit_seconds_total Time the writer spent "
                           "committing.\n"
                           "# TYPE lo_writer_commit_seconds_total counter\n"
                           "lo_writer_commit_seconds_total %.6f\n",
                           ws.jobs, ws.commits, ws.max_batch, ws.busy_s, ws.commit_s);
    }
    return rc;
}

/* ---- rate limiting ----------------------------------------------------------------------- */

static uint64_t hash_key(const char *s)
{
    uint64_t h = 1469598103934665603ULL; /* FNV-1a */
    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 1099511628211ULL;
    }
    return h | 1; /* 0 marks an empty slot */
}

/* Takes one token for key. 0 when allowed; LO_ERATE with *retry_after seconds otherwise. */
static int rate_take(struct lo_http_server *s, const char *key, int *retry_after)
{
    struct rate_limiter *rl = &s->rate;
    if (!rl->slots)
        return 0;
    uint64_t h = hash_key(key);
    int64_t now = lo_clock_now_ms(&s->clock);
    int rc = 0;
    pthread_mutex_lock(&rl->mu);
    struct rate_bucket *b = &rl->slots[h % LO_LIMIT_HTTP_RATE_CLIENTS];
    if (b->key != h) {
        /* A new client, or a collision: the newcomer starts with a full bucket. */
        b->key = h;
        b->tokens = rl->burst;
        b->last_ms = now;
    }
    if (now > b->last_ms) {
        b->tokens = fmin(rl->burst, b->tokens + (double)(now - b->last_ms) * rl->per_ms);
        b->last_ms = now;
    }
    if (b->tokens >= 1.0) {
        b->tokens -= 1.0;
    } else {
        double wait_ms = (1.0 - b->tokens) / rl->per_ms;
        *retry_after = (int)ceil(wait_ms / 1000.0);
        if (*retry_after < 1)
            *retry_after = 1;
        rc = LO_ERATE;
    }
    pthread_mutex_unlock(&rl->mu);
    return rc;
}

/* ---- connection accounting ------------------------------------------------------------- */

/* The slot of an address in ip_counts, found or claimed; -1 when the table is full or the
 * address is not IP. Called with ip_mu held. */
static int ip_slot(struct lo_http_server *s, const struct sockaddr *sa)
{
    unsigned char key[16] = { 0 };
    int family = sa ? sa->sa_family : 0;
    if (family == AF_INET)
        memcpy(key, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, 4);
    else if (family == AF_INET6)
        memcpy(key, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr, 16);
    else
        return -1;
    uint64_t h = 1469598103934665603ULL; /* FNV-1a */
    for (size_t i = 0; i < sizeof(key); i++) {
        h ^= key[i];
        h *= 1099511628211ULL;
    }
    int reuse = -1;
    for (int n = 0; n < IP_SLOTS; n++) {
        int i = (int)((h + (uint64_t)n) % IP_SLOTS);
        struct ip_count *c = &s->ip_counts[i];
        if (c->family == family && memcmp(c->addr, key, sizeof(key)) == 0)
            return i;
        if (c->family == 0) { /* the end of the chain: the address is not in the table */
            if (reuse < 0)
                reuse = i;
            break;
        }
        if (c->open == 0 && reuse < 0)
            reuse = i;
    }
    if (reuse >= 0) {
        struct ip_count *c = &s->ip_counts[reuse];
        memcpy(c->addr, key, sizeof(key));
        c->family = family;
        c->open = 0;
    }
    return reuse;
}

static void on_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
                          enum MHD_ConnectionNotificationCode code)
{
    struct lo_http_server *s = cls;
    struct conn_info *ci = *socket_context;
    if (code == MHD_CONNECTION_NOTIFY_STARTED) {
        ci = calloc(1, sizeof(*ci));
        if (!ci)
            return; /* not counted: libmicrohttpd's own limits still hold */
        const union MHD_ConnectionInfo *info =
            MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
        int open = atomic_fetch_add(&s->open_connections, 1) + 1;
        int ip_open = 0;
        pthread_mutex_lock(&s->ip_mu);
        ci->ip_slot = ip_slot(s, info ? info->client_addr : NULL);
        if (ci->ip_slot >= 0)
            ip_open = ++s->ip_counts[ci->ip_slot].open;
        pthread_mutex_unlock(&s->ip_mu);
        ci->over = open > LO_LIMIT_HTTP_CONNECTIONS || ip_open > LO_LIMIT_HTTP_CONNECTIONS_PER_IP;
        *socket_context = ci;
        return;
    }
    if (!ci)
        return;
    atomic_fetch_sub(&s->open_connections, 1);
    if (ci->ip_slot >= 0) {
        pthread_mutex_lock(&s->ip_mu);
        s->ip_counts[ci->ip_slot].open--;
        pthread_mutex_unlock(&s->ip_mu);
    }
    free(ci);
    *socket_context = NULL;
}

/* ---- per-thread app ---------------------------------------------------------------------- */

static struct lo_http_worker *thread_worker(struct lo_http_server *s)
{
    struct lo_http_worker *w = pthread_getspecific(s->app_key);
    if (w)
        return w;
    w = calloc(1, sizeof(*w));
    if (!w)
        return NULL;
    struct lo_error err;
    lo_error_clear(&err);
    if (lo_app_open(&w->app, s->db_path, &err)) {
        free(w);
        return NULL;
    }
    w->app.auth_generation = &s->auth_generation;
    w->app.writer = s->writer;
    lo_pcache_init(&w->pcache, LO_LIMIT_HTTP_PRINCIPAL_CACHE_MS);
    pthread_mutex_lock(&s->apps_mu);
    if (s->napps == APPS_MAX) {
        pthread_mutex_unlock(&s->apps_mu);
        lo_app_close(&w->app);
        free(w);
        return NULL;
    }
    s->apps[s->napps++] = &w->app;
    pthread_mutex_unlock(&s->apps_mu);
    pthread_setspecific(s->app_key, w);
    return w;
}

/* ---- request life cycle ------------------------------------------------------------------ */

static void req_free(struct lo_http_req *r)
{
    if (r->async_used)
        pthread_mutex_destroy(&r->async_mu);
    lo_arena_free(&r->arena);
    lo_buf_free(&r->body);
    if (r->upload_fd >= 0)
        close(r->upload_fd);
    if (r->upload_path[0])
        unlink(r->upload_path);
    lo_http_resp_free(&r->resp);
    free(r);
}

struct header_sum {
    size_t bytes;
};

static enum MHD_Result sum_header(void *cls, enum MHD_ValueKind kind, const char *key,
                                  const char *value)
{
    (void)kind;
    struct header_sum *h = cls;
    h->bytes += strlen(key) + (value ? strlen(value) : 0) + 4;
    return MHD_YES;
}

static bool media_type_is(const char *ct, const char *want)
{
    size_t n = strlen(want);
    if (!ct || strncasecmp(ct, want, n) != 0)
        return false;
    return ct[n] == '\0' || ct[n] == ';' || ct[n] == ' ';
}

static bool upload_type_ok(const char *ct)
{
    return media_type_is(ct, "application/x-ndjson") || media_type_is(ct, "application/jsonl") ||
           media_type_is(ct, "application/json-lines") || media_type_is(ct, "text/csv") ||
           media_type_is(ct, "text/tab-separated-values") ||
           media_type_is(ct, "application/octet-stream");
}

static bool const_time_eq(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    unsigned char d = (unsigned char)(la != lb);
    for (size_t i = 0; i < la && i < lb; i++)
        d |= (unsigned char)(a[i] ^ b[i]);
    return d == 0 && la > 0;
}

static void client_key(struct lo_http_req *r, char *out, size_t cap)
{
    if (r->who.kind == LO_PRINCIPAL_USER) {
        snprintf(out, cap, "u:%lld", (long long)r->who.user_id);
        return;
    }
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(r->conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    char addr[INET6_ADDRSTRLEN] = "?";
    if (ci && ci->client_addr) {
        if (ci->client_addr->sa_family == AF_INET)
            inet_ntop(AF_INET, &((const struct sockaddr_in *)ci->client_addr)->sin_addr, addr,
                      sizeof(addr));
        else if (ci->client_addr->sa_family == AF_INET6)
            inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)ci->client_addr)->sin6_addr, addr,
                      sizeof(addr));
    }
    snprintf(out, cap, "a:%s", addr);
}

/* Everything decided from the headers alone: limits, route, auth, rate, content type. Sets an
 * error response in r->resp when the request is refused. */
static void req_begin(struct lo_http_req *r, const char *url)
{
    struct lo_http_server *s = r->srv;
    if (atomic_load(&s->shutting_down)) {
        lo_http_error(&r->resp, 503, "shutting_down", "the server is shutting down", NULL);
        r->resp.retry_after = 1;
        return;
    }
    const union MHD_ConnectionInfo *conn_info =
        MHD_get_connection_info(r->conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    const struct conn_info *ci = conn_info ? conn_info->socket_context : NULL;
    if (ci && ci->over) {
        lo_http_error(&r->resp, 503, "too_many_connections",
                      "too many open connections (LO_LIMIT_HTTP_CONNECTIONS, "
                      "LO_LIMIT_HTTP_CONNECTIONS_PER_IP); try again later",
                      NULL);
        r->resp.retry_after = 1;
        r->close_after = true;
        return;
    }
    /* libmicrohttpd hands over the path alone: add up the query arguments as well. */
    struct header_sum qs = { 0 };
    MHD_get_connection_values(r->conn, MHD_GET_ARGUMENT_KIND, sum_header, &qs);
    if (strlen(url) + qs.bytes > LO_LIMIT_HTTP_URL) {
        lo_http_error(&r->resp, 414, "uri_too_long",
                      "the request target is longer than LO_LIMIT_HTTP_URL", NULL);
        return;
    }
    struct header_sum hs = { 0 };
    MHD_get_connection_values(r->conn, MHD_HEADER_KIND, sum_header, &hs);
    if (hs.bytes > LO_LIMIT_HTTP_HEADERS) {
        lo_http_error(&r->resp, 431, "headers_too_large",
                      "the request headers are larger than LO_LIMIT_HTTP_HEADERS", NULL);
        return;
    }
    r->path = lo_arena_strndup(&r->arena, url, strlen(url));
    const char *method = strcmp(r->method, "HEAD") == 0 ? "GET" : r->method;
    int rc = lo_route_find(s->routes, s->nroutes, method, r->path, &r->match, r->resp.allow,
                           sizeof(r->resp.allow));
    bool ui = rc == LO_ENOTFOUND && lo__http_static_wants(r->method, r->path);
    if (rc == LO_ENOTFOUND && !ui) {
        lo_http_error(&r->resp, 404, "not_found", "no such resource", NULL);
        return;
    }
    if (rc && !ui) {
        lo_http_error(&r->resp, 405, "method_not_allowed",
                      "this resource does not answer that method", NULL);
        return;
    }
    r->resp.allow[0] = '\0';
    /* The browser UI's files (static.c) answer what no API route does; metrics count them as
     * "unmatched", the access log names them "GET /ui". */
    r->match.index = ui ? -1 : r->match.index;
    r->route = ui ? lo__http_static_route() : &s->routes[r->match.index];

    /* The body: refuse it before reading a byte when its declared size is over the limit. */
    const char *cl = lo_http_header(r, "Content-Length");
    const char *te = lo_http_header(r, "Transfer-Encoding");
    long long declared = 0;
    if (cl && !lo_str_to_i64(lo_str_from(cl), &declared)) {
        lo_http_error(&r->resp, 400, "malformed", "Content-Length is not a number", NULL);
        return;
    }
    bool has_body = declared > 0 || te;
    long long cap = r->route->body == LO_BODY_UPLOAD ? LO_LIMIT_HTTP_UPLOAD : LO_LIMIT_HTTP_BODY;
    if (declared > cap) {
        lo_http_error(&r->resp, 413, "limit_exceeded",
                      r->route->body == LO_BODY_UPLOAD
                          ? "the upload is larger than LO_LIMIT_HTTP_UPLOAD"
                          : "the request body is larger than LO_LIMIT_HTTP_BODY",
                      NULL);
        return;
    }
    const char *ct = lo_http_header(r, "Content-Type");
    if (has_body && r->route->body == LO_BODY_JSON && !media_type_is(ct, "application/json")) {
        lo_http_error(&r->resp, 415, "unsupported_media_type",
                      "the request body must be application/json", NULL);
        return;
    }
    if (has_body && r->route->body == LO_BODY_TEXT && !media_type_is(ct, "text/markdown") &&
        !media_type_is(ct, "text/plain")) {
        lo_http_error(&r->resp, 415, "unsupported_media_type",
                      "the request body must be text/markdown or text/plain", NULL);
        return;
    }
    if (has_body && r->route->body == LO_BODY_UPLOAD && !upload_type_ok(ct)) {
        lo_http_error(&r->resp, 415, "unsupported_media_type",
                      "an upload must be application/x-ndjson, text/csv or "
                      "text/tab-separated-values",
                      NULL);
        return;
    }

    struct lo_http_worker *w = thread_worker(s);
    r->app = w ? &w->app : NULL;
    r->pcache = w ? &w->pcache : NULL;
    if (!r->app) {
        lo_http_error(&r->resp, 503, "unavailable", "the store cannot be opened now", NULL);
        r->resp.retry_after = 1;
        return;
    }
    struct lo_error err;
    lo_error_clear(&err);
    int auth_rc = 0;
    if (r->route->auth == LO_ROUTE_USER) {
        double t0 = lo_monotonic_s();
        auth_rc = lo__http_authenticate(r, &err);
        r->store_s += lo_monotonic_s() - t0;
    }
    /* The rate counts failed attempts too (by address), so guessing tokens is rate limited. */
    if (s->rate.slots && strncmp(r->path, "/api/", 5) == 0) {
        char key[96];
        client_key(r, key, sizeof(key));
        int retry = 0;
        if (rate_take(s, key, &retry)) {
            lo_http_error(&r->resp, 429, "rate_limited", "too many requests; try again later",
                          NULL);
            r->resp.retry_after = retry;
            return;
        }
    }
    if (auth_rc) {
        lo_http_fail(r, auth_rc, &err);
        return;
    }
    if (r->cookie_auth && strcmp(method, "GET") != 0) {
        const char *token = lo_http_header(r, LO_HTTP_CSRF_HEADER);
        if (!token || !const_time_eq(token, r->csrf)) {
            lo_http_error(&r->resp, 403, "csrf",
                          "a signed-in browser write needs the X-CSRF-Token header", NULL);
            return;
        }
    }
    if (has_body && r->route->body == LO_BODY_UPLOAD) {
        const char *tmp = getenv("TMPDIR");
        snprintf(r->upload_path, sizeof(r->upload_path), "%s/labelops-upload-XXXXXX",
                 tmp && tmp[0] && strlen(tmp) < 80 ? tmp : "/tmp");
        r->upload_fd = mkstemp(r->upload_path);
        if (r->upload_fd < 0) {
            r->upload_path[0] = '\0';
            lo__http_log_detail(r, "upload", strerror(errno));
            lo_http_error(&r->resp, 503, "unavailable", "uploads cannot be stored now", NULL);
            return;
        }
    }
}

static void req_take_body(struct lo_http_req *r, const char *data, size_t n)
{
    r->body_bytes += n;
    if (r->resp.status || r->body_too_large)
        return; /* refused already: the rest is read and dropped */
    uint64_t cap = r->route->body == LO_BODY_UPLOAD ? (uint64_t)LO_LIMIT_HTTP_UPLOAD
                                                     : (uint64_t)LO_LIMIT_HTTP_BODY;
    if (r->body_bytes > cap) {
        /* A chunked body with no length given: count it, keep none of it, answer 413. */
        r->body_too_large = true;
        lo_buf_free(&r->body);
        return;
    }
    if (r->route->body == LO_BODY_JSON || r->route->body == LO_BODY_TEXT) {
        if (lo_buf_append(&r->body, data, n))
            r->body_too_large = true;
    } else if (r->route->body == LO_BODY_UPLOAD && r->upload_fd >= 0) {
        while (n > 0 && !r->upload_errno) {
            ssize_t w = write(r->upload_fd, data, n);
            if (w < 0 && errno == EINTR)
                continue;
            if (w < 0) {
                r->upload_errno = errno;
                break;
            }
            data += w;
            n -= (size_t)w;
        }
    }
}

static enum MHD_Result req_send(struct lo_http_req *r)
{
    if (!r->resp.status)
        lo_http_error(&r->resp, 500, "internal", "the server could not complete the request",
                      NULL);
    struct MHD_Response *resp = lo_http_resp_build(&r->resp);
    if (!resp)
        return MHD_NO;
    MHD_add_response_header(resp, "X-Request-Id", r->request_id);
    if (atomic_load(&r->srv->shutting_down) || r->close_after)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CONNECTION, "close");
    if (r->srv->tls_cert_pem)
        MHD_add_response_header(resp, "Strict-Transport-Security", "max-age=31536000");
    r->status = r->resp.status;
    r->phase = 2;
    enum MHD_Result ret = MHD_queue_response(r->conn, (unsigned int)r->resp.status, resp);
    MHD_destroy_response(resp);
    return ret;
}

static void req_dispatch(struct lo_http_req *r)
{
    if (r->body_too_large) {
        lo_http_error(&r->resp, 413, "limit_exceeded",
                      r->route->body == LO_BODY_UPLOAD
                          ? "the upload is larger than LO_LIMIT_HTTP_UPLOAD"
                          : "the request body is larger than LO_LIMIT_HTTP_BODY",
                      NULL);
        return;
    }
    if (r->upload_errno) {
        lo__http_log_detail(r, "upload", strerror(r->upload_errno));
        lo_http_error(&r->resp, 503, "unavailable", "the upload could not be stored", NULL);
        return;
    }
    int rc = r->route->handler(r);
    if (rc && !r->resp.status)
        lo_http_fail(r, rc, NULL);
    /* The app is shared by the thread's requests: leave it signed out. */
    if (r->app) {
        memset(&r->app->who, 0, sizeof(r->app->who));
        r->app->actor = "anonymous";
    }
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version,
                                  const char *upload_data, size_t *upload_data_size,
                                  void **con_cls)
{
    (void)version;
    struct lo_http_server *s = cls;
    struct lo_http_req *r = *con_cls;
    if (!r) {
        r = calloc(1, sizeof(*r));
        if (!r)
            return MHD_NO;
        r->srv = s;
        r->conn = conn;
        r->method = method;
        snprintf(r->method_copy, sizeof(r->method_copy), "%s", method);
        r->path = "";
        r->upload_fd = -1;
        r->t0 = lo_monotonic_s();
        lo_arena_init(&r->arena, 8192);
        lo_buf_init(&r->body, LO_LIMIT_HTTP_BODY);
        lo_http_resp_init(&r->resp);
        snprintf(r->request_id, sizeof(r->request_id), "%08x%08llx", (unsigned)s->id_prefix,
                 (unsigned long long)atomic_fetch_add(&s->next_id, 1));
        r->counted = true;
        atomic_fetch_add(&s->in_flight, 1);
        *con_cls = r;
        req_begin(r, url);
        r->phase = 1;
        if (r->resp.status) {
            const char *cl = lo_http_header(r, "Content-Length");
            bool has_body = (cl && strcmp(cl, "0") != 0) || lo_http_header(r, "Transfer-Encoding");
            if (has_body)
                return req_send(r); /* refuse the body unread; the connection closes */
        }
        return MHD_YES;
    }
    if (r->phase == 2)
        return MHD_YES;
    if (*upload_data_size) {
        req_take_body(r, upload_data, *upload_data_size);
        *upload_data_size = 0;
        return MHD_YES;
    }
    if (!r->resp.status)
        req_dispatch(r);
    if (r->parked) { /* the answer comes later: lo__http_async_answer resumes us */
        r->parked = false;
        return MHD_YES;
    }
    return req_send(r);
}

/* ---- answers that come later --------------------------------------------------------------- */

void lo__http_async_begin(struct lo_http_req *r)
{
    if (!r->async_used) {
        /* recursive: without a writer the work finishes (and answers) inside the call */
        pthread_mutexattr_t at;
        pthread_mutexattr_init(&at);
        pthread_mutexattr_settype(&at, PTHREAD_MUTEX_RECURSIVE);
        pthread_mutex_init(&r->async_mu, &at);
        pthread_mutexattr_destroy(&at);
        r->async_used = true;
    }
    pthread_mutex_lock(&r->async_mu);
}

void lo__http_async_park(struct lo_http_req *r)
{
    if (!r->async_done) { /* else the answer came already: send it in this call */
        MHD_suspend_connection(r->conn);
        r->async_suspended = true;
        r->parked = true;
    }
    pthread_mutex_unlock(&r->async_mu);
}

void lo__http_async_cancel(struct lo_http_req *r)
{
    pthread_mutex_unlock(&r->async_mu);
}

void lo__http_async_lock(struct lo_http_req *r)
{
    pthread_mutex_lock(&r->async_mu);
}

void lo__http_async_answer(struct lo_http_req *r)
{
    r->async_done = true;
    bool resume = r->async_suspended;
    r->async_suspended = false;
    struct MHD_Connection *conn = r->conn;
    /* Unlock first: once resumed, the request may be answered and freed at once. A suspended
     * request is not touched by libmicrohttpd until it is resumed, so r stays valid until
     * then; an unsuspended one was answered by the handler's own call. */
    pthread_mutex_unlock(&r->async_mu);
    if (resume)
        MHD_resume_connection(conn);
}

static void json_log_string(char *out, size_t cap, const char *s)
{
    /* The few values we log are ours or routes; escape what JSON needs, drop control bytes. */
    size_t j = 0;
    for (; s && *s && j + 3 < cap; s++) {
        unsigned char c = (unsigned char)*s;
        if (c < 0x20)
            continue;
        if (c == '"' || c == '\\')
            out[j++] = '\\';
        out[j++] = (char)c;
    }
    out[j] = '\0';
}

void lo__http_log_detail(struct lo_http_req *r, const char *what, const char *detail)
{
    FILE *log = r->srv->cfg.log;
    if (!log)
        return;
    char d[600];
    json_log_string(d, sizeof(d), detail);
    fprintf(log, "{\"event\":\"error_detail\",\"id\":\"%s\",\"what\":\"%s\",\"detail\":\"%s\"}\n",
            r->request_id, what, d);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    (void)conn;
    struct lo_http_server *s = cls;
    struct lo_http_req *r = *con_cls;
    if (!r)
        return;
    *con_cls = NULL;
    double secs = lo_monotonic_s() - r->t0;
    int status = toe == MHD_REQUEST_TERMINATED_COMPLETED_OK ? r->status : 0;
    metrics_record(s, r->route ? r->match.index : -1, status, secs, r->store_s,
                   r->resp.error_code);
    if (s->cfg.log) {
        char user[LO_ERROR_FIELD_MAX], route[160], meth[40];
        json_log_string(meth, sizeof(meth), r->method_copy);
        json_log_string(user, sizeof(user), r->who.kind == LO_PRINCIPAL_USER ? r->who.name : "");
        json_log_string(route, sizeof(route), r->route ? r->route->name : "unmatched");
        char ts[40];
        lo_time_format(lo_clock_now_ms(&s->clock), ts, sizeof(ts));
        fprintf(s->cfg.log,
                "{\"ts\":\"%s\",\"id\":\"%s\",\"method\":\"%s\",\"route\":\"%s\",\"status\":%d,"
                "\"user\":%s%s%s,\"ms\":%.3f,\"store_ms\":%.3f,\"bytes_in\":%llu%s}\n",
                ts, r->request_id, meth, route, status,
                user[0] ? "\"" : "", user[0] ? user : "null", user[0] ? "\"" : "", secs * 1e3,
                r->store_s * 1e3, (unsigned long long)r->body_bytes,
                toe == MHD_REQUEST_TERMINATED_COMPLETED_OK ? "" : ",\"aborted\":true");
    }
    if (r->counted)
        atomic_fetch_sub(&s->in_flight, 1);
    req_free(r);
}

/* ---- start and stop ---------------------------------------------------------------------- */

static void server_free(struct lo_http_server *s)
{
    lo_writer_stop(s->writer); /* runs what is queued, commits, stops */
    s->writer = NULL;
    for (int i = 0; i < s->napps; i++) {
        /* Each is the first member of a struct lo_http_worker (the first one opened by
         * lo_http_server_start too), so freeing it frees the worker and its cache. */
        struct lo_http_worker *w = (struct lo_http_worker *)(void *)s->apps[i];
        lo_app_close(&w->app);
        lo_pcache_clear(&w->pcache);
        free(w);
    }
    pthread_key_delete(s->app_key);
    pthread_mutex_destroy(&s->apps_mu);
    pthread_mutex_destroy(&s->rate.mu);
    free(s->rate.slots);
    pthread_mutex_destroy(&s->ip_mu);
    free(s->ip_counts);
    free(s->metrics);
    free(s->host);
    free(s->db_path);
    free(s->tls_cert_pem);
    if (s->tls_key_pem) {
        /* The private key: do not leave it in freed memory. */
        volatile char *k = s->tls_key_pem;
        for (size_t i = 0; k[i]; i++)
            k[i] = 0;
        free(s->tls_key_pem);
    }
    free(s);
}

/* Reads a PEM file (up to LO_LIMIT_HTTP_TLS_FILE) into a NUL-terminated malloc'd string. */
static int read_pem(const char *path, const char *what, char **out, struct lo_error *err)
{
    *out = NULL;
    FILE *f = fopen(path, "rb");
    if (!f) {
        lo_error_set(err, LO_EIO, "cannot read the TLS %s", what);
        return lo_error_at(err, path, 0);
    }
    char *buf = malloc(LO_LIMIT_HTTP_TLS_FILE + 1);
    size_t n = buf ? fread(buf, 1, LO_LIMIT_HTTP_TLS_FILE + 1, f) : 0;
    int bad = ferror(f);
    fclose(f);
    if (!buf)
        return lo_error_set(err, LO_ENOMEM, "out of memory");
    if (bad || n == 0 || n > LO_LIMIT_HTTP_TLS_FILE) {
        free(buf);
        lo_error_set(err, n > LO_LIMIT_HTTP_TLS_FILE ? LO_ELIMIT : LO_EIO,
                     "the TLS %s is empty, unreadable or larger than LO_LIMIT_HTTP_TLS_FILE", what);
        return lo_error_at(err, path, 0);
    }
    buf[n] = '\0';
    *out = buf;
    return 0;
}

int lo_http_server_start(const struct lo_http_config *cfg, struct lo_http_server **out,
                         struct lo_error *err)
{
    *out = NULL;
    if (cfg->threads < 1 || cfg->threads > LO_LIMIT_HTTP_THREADS)
        return lo_error_field(err, LO_EUSAGE, "threads", "--threads must be 1..%d",
                              LO_LIMIT_HTTP_THREADS);
    if (cfg->port < 0 || cfg->port > 65535)
        return lo_error_field(err, LO_EUSAGE, "port", "--port must be 0..65535");
    struct sockaddr_storage ss;
    memset(&ss, 0, sizeof(ss));
    socklen_t sslen;
    struct sockaddr_in *v4 = (struct sockaddr_in *)&ss;
    struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)&ss;
    unsigned int ipv6_flag = 0;
    if (inet_pton(AF_INET, cfg->host, &v4->sin_addr) == 1) {
        v4->sin_family = AF_INET;
        v4->sin_port = htons((uint16_t)cfg->port);
        sslen = sizeof(*v4);
    } else if (inet_pton(AF_INET6, cfg->host, &v6->sin6_addr) == 1) {
        v6->sin6_family = AF_INET6;
        v6->sin6_port = htons((uint16_t)cfg->port);
        sslen = sizeof(*v6);
        ipv6_flag = MHD_USE_IPv6;
    } else {
        return lo_error_field(err, LO_EUSAGE, "host",
                              "--host must be a numeric IPv4 or IPv6 address, got '%s'",
                              cfg->host);
    }
    (void)sslen;

    struct lo_http_server *s = calloc(1, sizeof(*s));
    if (!s)
        return lo_error_set(err, LO_ENOMEM, "out of memory");
    s->cfg = *cfg;
    s->host = strdup(cfg->host);
    s->db_path = strdup(cfg->db_path);
    s->clock = lo_clock_system();
    pthread_mutex_init(&s->apps_mu, NULL);
    pthread_mutex_init(&s->rate.mu, NULL);
    pthread_mutex_init(&s->ip_mu, NULL);
    s->ip_counts = calloc(IP_SLOTS, sizeof(*s->ip_counts));
    pthread_key_create(&s->app_key, NULL);
    s->routes = lo_http_routes(&s->nroutes);
    s->metrics = calloc(s->nroutes + 1, sizeof(*s->metrics));
    if (cfg->rate_per_minute > 0) {
        s->rate.slots = calloc(LO_LIMIT_HTTP_RATE_CLIENTS, sizeof(*s->rate.slots));
        s->rate.per_ms = cfg->rate_per_minute / 60000.0;
        s->rate.burst = cfg->rate_burst > 0 ? cfg->rate_burst : 1;
    }
    struct lo_rng rng;
    lo_rng_seed(&rng, (uint64_t)lo_clock_now_ms(&s->clock) ^ (uint64_t)getpid());
    s->id_prefix = (uint32_t)lo_rng_next(&rng);
    if (!s->host || !s->db_path || !s->metrics || !s->ip_counts ||
        (cfg->rate_per_minute > 0 && !s->rate.slots)) {
        server_free(s);
        return lo_error_set(err, LO_ENOMEM, "out of memory");
    }

    /* Open the database once here: migrations run before any worker opens its connection,
     * and a bad path is reported before the server says it listens. */
    struct lo_http_worker *first = calloc(1, sizeof(*first));
    int rc = first ? lo_app_open(&first->app, s->db_path, err) : LO_ENOMEM;
    if (rc) {
        free(first);
        server_free(s);
        return rc;
    }
    s->apps[s->napps++] = &first->app;
    rc = lo_writer_start(s->db_path, &s->writer, err);
    if (rc) {
        server_free(s);
        return rc;
    }
    first->app.writer = s->writer;

    unsigned int flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ITC |
                         MHD_ALLOW_SUSPEND_RESUME |
                         ipv6_flag;
    struct MHD_OptionItem tls_opts[3] = { { MHD_OPTION_END, 0, NULL } };
    if (cfg->tls_cert || cfg->tls_key) {
        if (!cfg->tls_cert || !cfg->tls_key) {
            server_free(s);
            return lo_error_set(err, LO_EUSAGE, "--tls-cert and --tls-key go together");
        }
        rc = read_pem(cfg->tls_cert, "certificate", &s->tls_cert_pem, err);
        if (!rc)
            rc = read_pem(cfg->tls_key, "key", &s->tls_key_pem, err);
        if (rc) {
            server_free(s);
            return rc;
        }
        tls_opts[0] = (struct MHD_OptionItem){ MHD_OPTION_HTTPS_MEM_KEY, 0, s->tls_key_pem };
        tls_opts[1] = (struct MHD_OptionItem){ MHD_OPTION_HTTPS_MEM_CERT, 0, s->tls_cert_pem };
        tls_opts[2] = (struct MHD_OptionItem){ MHD_OPTION_END, 0, NULL };
        flags |= MHD_USE_TLS;
        s->cfg.secure_cookies = true;
    }
    if (cfg->threads > 1)
        s->daemon = MHD_start_daemon(
            flags, (uint16_t)cfg->port, NULL, NULL, on_request, s, MHD_OPTION_SOCK_ADDR,
            (struct sockaddr *)&ss, MHD_OPTION_THREAD_POOL_SIZE, (unsigned int)cfg->threads,
            MHD_OPTION_CONNECTION_LIMIT,
            (unsigned int)(LO_LIMIT_HTTP_CONNECTIONS + LO_LIMIT_HTTP_CONNECTIONS_SPARE),
            MHD_OPTION_PER_IP_CONNECTION_LIMIT,
            (unsigned int)(LO_LIMIT_HTTP_CONNECTIONS_PER_IP + LO_LIMIT_HTTP_CONNECTIONS_SPARE),
            MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)LO_LIMIT_HTTP_IDLE_SECONDS,
            MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)LO_LIMIT_HTTP_CONN_MEMORY,
            MHD_OPTION_NOTIFY_CONNECTION, on_connection, s,
            MHD_OPTION_NOTIFY_COMPLETED, on_completed, s, MHD_OPTION_ARRAY, tls_opts, MHD_OPTION_END);
    else
        s->daemon = MHD_start_daemon(
            flags, (uint16_t)cfg->port, NULL, NULL, on_request, s, MHD_OPTION_SOCK_ADDR,
            (struct sockaddr *)&ss, MHD_OPTION_CONNECTION_LIMIT,
            (unsigned int)(LO_LIMIT_HTTP_CONNECTIONS + LO_LIMIT_HTTP_CONNECTIONS_SPARE),
            MHD_OPTION_PER_IP_CONNECTION_LIMIT,
            (unsigned int)(LO_LIMIT_HTTP_CONNECTIONS_PER_IP + LO_LIMIT_HTTP_CONNECTIONS_SPARE),
            MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)LO_LIMIT_HTTP_IDLE_SECONDS,
            MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)LO_LIMIT_HTTP_CONN_MEMORY,
            MHD_OPTION_NOTIFY_CONNECTION, on_connection, s, MHD_OPTION_NOTIFY_COMPLETED,
            on_completed, s, MHD_OPTION_ARRAY, tls_opts, MHD_OPTION_END);
    if (!s->daemon) {
        int e = errno;
        server_free(s);
        return lo_error_set(err, LO_EIO, "cannot listen on %s port %d: %s", cfg->host,
                            cfg->port, e ? strerror(e) : "libmicrohttpd refused to start");
    }
    const union MHD_DaemonInfo *di = MHD_get_daemon_info(s->daemon, MHD_DAEMON_INFO_BIND_PORT);
    s->port = di ? di->port : cfg->port;
    *out = s;
    return 0;
}

int lo_http_server_port(const struct lo_http_server *s)
{
    return s->port;
}

void lo_http_server_quiesce(struct lo_http_server *s)
{
    if (atomic_exchange(&s->shutting_down, 1))
        return;
    s->listen_fd = MHD_quiesce_daemon(s->daemon);
    /* Refuse new connections at once (they would wait in the backlog until the daemon stops);
     * the descriptor itself stays open until after MHD_stop_daemon, as libmicrohttpd asks. */
    if (s->listen_fd != MHD_INVALID_SOCKET)
        shutdown(s->listen_fd, SHUT_RDWR);
}

int lo_http_server_stop(struct lo_http_server *s)
{
    lo_http_server_quiesce(s);
    MHD_socket fd = s->listen_fd;
    double t0 = lo_monotonic_s();
    while ((atomic_load(&s->in_flight) > 0 || atomic_load(&s->background) > 0) &&
           lo_monotonic_s() - t0 < LO_LIMIT_HTTP_SHUTDOWN_SECONDS) {
        struct timespec ts = { 0, 5 * 1000 * 1000 };
        nanosleep(&ts, NULL);
    }
    int left = atomic_load(&s->in_flight);
    MHD_stop_daemon(s->daemon);
    if (fd != MHD_INVALID_SOCKET)
        close(fd);
    server_free(s);
    return left;
}
