/*
 * cmd_serve.c - `labelops serve`: starts the HTTP server (http/server.h) and stops it gracefully
 * on SIGINT or SIGTERM. `labelops serve --routes` prints the route table (for the OpenAPI test).
 */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "base/limits.h"
#include "cli/cli.h"
#include "cli/commands.h"
#include "http/router.h"
#include "http/server.h"
#include "store/store.h"

static int print_routes(struct lo_cli *cli)
{
    size_t n;
    const struct lo_route *t = lo_http_routes(&n);
    for (size_t i = 0; i < n; i++)
        fprintf(cli->out, "%s %s %s\n", t[i].method, t[i].pattern,
                t[i].auth == LO_ROUTE_USER ? "user" : "public");
    return 0;
}

/* The in-memory copy and its WAL files. */
static void remove_copy(const char *path)
{
    if (!path[0])
        return;
    char p[300];
    unlink(path);
    snprintf(p, sizeof(p), "%s-wal", path);
    unlink(p);
    snprintf(p, sizeof(p), "%s-shm", path);
    unlink(p);
}

static int run_serve(struct lo_cli *cli, const struct lo_args *args)
{
    if (args->npos)
        return lo_cli_usage(cli, "serve takes no arguments");
    if (lo_args_has(args, "routes"))
        return print_routes(cli);
    struct lo_http_config cfg;
    lo_http_config_init(&cfg);
    cfg.db_path = cli->db_path;
    if (lo_args_get(args, "host"))
        cfg.host = lo_args_get(args, "host");
    struct lo_error err;
    lo_error_clear(&err);
    long port, threads, rate, burst;
    int rc = lo_args_long(args, "port", 8080, &port, &err);
    if (!rc)
        rc = lo_args_long(args, "threads", 32, &threads, &err);
    if (!rc)
        rc = lo_args_long(args, "rate", LO_LIMIT_HTTP_RATE_PER_MINUTE, &rate, &err);
    if (!rc)
        rc = lo_args_long(args, "burst", LO_LIMIT_HTTP_RATE_BURST, &burst, &err);
    if (rc)
        return lo_cli_fail(cli, &err);
    if (port < 0 || port > 65535)
        return lo_cli_usage(cli, "--port must be 0..65535");
    if (threads < 1 || threads > LO_LIMIT_HTTP_THREADS)
        return lo_cli_usage(cli, "--threads must be 1..%d", LO_LIMIT_HTTP_THREADS);
    if (rate < 0 || rate > 1000000000 || burst < 1 || burst > 1000000000)
        return lo_cli_usage(cli, "--rate must be >= 0 and --burst >= 1");
    cfg.port = (int)port;
    cfg.threads = (int)threads;
    cfg.rate_per_minute = (int)rate;
    cfg.rate_burst = (int)burst;
    cfg.tls_cert = lo_args_get(args, "tls-cert");
    cfg.tls_key = lo_args_get(args, "tls-key");
    if (!cfg.tls_cert != !cfg.tls_key)
        return lo_cli_usage(cli, "--tls-cert and --tls-key go together");
    if (lo_args_has(args, "quiet"))
        cfg.log = NULL;
    cfg.web_dir = lo_args_get(args, "web-dir");
    cfg.media_root = lo_args_get(args, "media-root");
    if (cfg.web_dir && access(cfg.web_dir, R_OK | X_OK) != 0)
        return lo_cli_usage(cli, "--web-dir: cannot read the directory '%s'", cfg.web_dir);
    if (cfg.media_root && access(cfg.media_root, R_OK | X_OK) != 0)
        return lo_cli_usage(cli, "--media-root: cannot read the directory '%s'", cfg.media_root);

    /* Block the stop signals in every thread (the workers inherit the mask) and wait for them
     * here; a write to a closed export pipe must fail with EPIPE, not kill the process. */
    sigset_t stop;
    sigemptyset(&stop);
    sigaddset(&stop, SIGINT);
    sigaddset(&stop, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stop, NULL);
    signal(SIGPIPE, SIG_IGN);

    /* --in-memory: serve a copy of the database in memory without syncs (benchmarks: what
     * durability costs). Nothing written reaches the file; the copy is removed at exit. */
    char memory[256] = "";
    if (lo_args_has(args, "in-memory")) {
        rc = lo_store_sqlite_memory_copy(cfg.db_path, memory, sizeof(memory), &err);
        if (rc)
            return lo_cli_fail(cli, &err);
        cfg.db_path = memory;
    }
    struct lo_http_server *srv;
    rc = lo_http_server_start(&cfg, &srv, &err);
    if (rc) {
        remove_copy(memory);
        return lo_cli_fail(cli, &err);
    }
    fprintf(cli->errf,
            "{\"event\":\"listening\",\"host\":\"%s\",\"port\":%d,\"threads\":%d,\"tls\":%s}\n",
            cfg.host, lo_http_server_port(srv), cfg.threads, cfg.tls_cert ? "true" : "false");
    fflush(cli->errf);
    int sig = 0;
    while (sigwait(&stop, &sig) != 0)
        ;
    lo_http_server_quiesce(srv);
    fprintf(cli->errf, "{\"event\":\"shutting_down\",\"signal\":\"%s\"}\n",
            sig == SIGINT ? "SIGINT" : "SIGTERM");
    fflush(cli->errf);
    int left = lo_http_server_stop(srv);
    fprintf(cli->errf, "{\"event\":\"stopped\",\"unfinished\":%d}\n", left);
    remove_copy(memory);
    return left ? 1 : 0;
}

static const struct lo_optspec serve_opts[] = {
    { "host", true, "address to listen on (default 127.0.0.1)" },
    { "port", true, "port (default 8080; 0 picks a free one, printed on stderr)" },
    { "threads", true, "worker threads, each with its own store connection (default 32)" },
    { "in-memory", false, "serve a copy of the database in memory (/dev/shm) without syncs; "
                          "writes are lost at exit (for benchmarks)" },
    { "rate", true, "requests per minute per user or address (default 600; 0: no limit)" },
    { "burst", true, "requests a user may make at once before the rate applies (default 120)" },
    { "tls-cert", true, "PEM certificate (chain) file: serve HTTPS, Secure cookies, HSTS" },
    { "tls-key", true, "PEM private key file for --tls-cert" },
    { "quiet", false, "no access log" },
    { "web-dir", true, "serve the browser UI from this directory (development; default: the "
                       "files built in)" },
    { "media-root", true, "serve items' images (payload \"image\": a relative path) from "
                          "beneath this directory" },
    { "routes", false, "print the route table and exit" },
    { NULL, false, NULL },
};

const struct lo_command lo_cmd_serve = {
    "serve", "run the HTTP JSON API",
    "usage: labelops serve [--host 127.0.0.1] [--port 8080] [--db PATH] [--threads N]\n"
    "                      [--tls-cert F --tls-key F] [--rate N] [--burst N] [--quiet]\n"
    "                      [--web-dir DIR] [--media-root DIR]\n"
    "       labelops serve --routes\n"
    "\n"
    "Serves /api/v1 (see docs/openapi.yaml), /healthz, /metrics and the browser UI at /\n"
    "(docs/ui.md). One JSON access-log line\n"
    "per request goes to stderr. SIGINT or SIGTERM stop it gracefully: no new connections,\n"
    "requests in flight finish, requests that arrive meanwhile get 503.",
    serve_opts, run_serve,
};
