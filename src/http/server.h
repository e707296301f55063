/*
 * server.h - `labelops serve`: the HTTP JSON API over libmicrohttpd.
 *
 * A thread pool (epoll) answers requests; each worker thread opens its own struct lo_app (one
 * store connection per thread, as SQLite wants) the first time it needs one. Every request gets
 * an arena, a request id, a principal (from the session cookie or the API token), and is
 * answered through the route table (router.h) with the one error body (response.h). Limits come
 * from base/limits.h.
 *
 * Shutdown (lo_http_server_stop) stops accepting connections, answers 503 to requests that
 * arrive on open connections, waits for the requests in flight to finish (up to
 * LO_LIMIT_HTTP_SHUTDOWN_SECONDS), then closes every store.
 */
#ifndef LO_HTTP_SERVER_H
#define LO_HTTP_SERVER_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "base/err.h"

struct lo_http_config {
    const char *host;          /* numeric IPv4 or IPv6 address to bind; default 127.0.0.1 */
    int port;                  /* 0: any free port (lo_http_server_port says which) */
    const char *db_path;
    int threads;               /* worker threads, 1..LO_LIMIT_HTTP_THREADS */
    int rate_per_minute;       /* per user (or address when anonymous); 0 turns it off */
    int rate_burst;
    bool secure_cookies;       /* mark the session cookie Secure (set by TLS, or behind a
                                * TLS-terminating proxy) */
    const char *tls_cert;      /* PEM certificate chain file: serve HTTPS; NULL: plain HTTP */
    const char *tls_key;       /* PEM private key file (with tls_cert) */
    FILE *log;                 /* access log, one JSON line per request (stderr); NULL: none */
    const char *web_dir;       /* serve the UI from this directory (development); NULL: the
                                * files embedded at build time (http/static.h) */
    const char *media_root;    /* items' images are served from beneath it; NULL: no media */
};

void lo_http_config_init(struct lo_http_config *c);

struct lo_http_server;

/* Opens the database (applying migrations) and starts listening. */
int lo_http_server_start(const struct lo_http_config *cfg, struct lo_http_server **out,
                         struct lo_error *err);
/* The port the server listens on. */
int lo_http_server_port(const struct lo_http_server *s);
/* Stops accepting connections and makes new requests on open ones answer 503; returns at once.
 * Idempotent; lo_http_server_stop does it too. */
void lo_http_server_quiesce(struct lo_http_server *s);
/* Graceful stop: see above. Frees s. Returns the number of requests still in flight when the
 * wait ran out (0 normally). */
int lo_http_server_stop(struct lo_http_server *s);

#endif
