/*
 * http_load.c - a small closed-loop HTTP/1.1 load generator for bench_http.sh when wrk is not
 * installed: C keep-alive connections, one thread each, each sending the same GET and reading
 * the answer (Content-Length bodies only) as fast as it can for a fixed time.
 * Prints requests/s and latency percentiles. Not a test; never used by the tests.
 *
 * usage: http_load PORT PATH CONNECTIONS SECONDS [HEADER]   (host is 127.0.0.1)
 */
#define _GNU_SOURCE 1 /* strcasestr */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

struct worker {
    int port;
    char req[2048];
    size_t req_len;
    double end;
    double *lat;
    size_t n, cap;
    long errors;
};

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int connect_to(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a;
    memset(&a, 0, sizeof(a));
    a.sin_family = AF_INET;
    a.sin_port = htons((uint16_t)port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    if (connect(fd, (struct sockaddr *)&a, sizeof(a)) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

/* Reads one response; returns 0 when it is a 200 with its whole body. */
static int read_response(int fd, char *buf, size_t cap)
{
    size_t have = 0;
    char *end = NULL;
    while (!end) {
        ssize_t n = recv(fd, buf + have, cap - have - 1, 0);
        if (n <= 0)
            return -1;
        have += (size_t)n;
        buf[have] = '\0';
        end = strstr(buf, "\r\n\r\n");
    }
    const char *cl = strcasestr(buf, "\r\nContent-Length:");
    size_t body = cl ? (size_t)strtoul(cl + 17, NULL, 10) : 0;
    size_t total = (size_t)(end + 4 - buf) + body;
    while (have < total) {
        ssize_t n = recv(fd, buf, cap - 1 < total - have ? cap - 1 : total - have, 0);
        if (n <= 0)
            return -1;
        have += (size_t)n;
    }
    return strncmp(buf, "HTTP/1.1 200", 12) == 0 ? 0 : 1;
}

static void *run(void *arg)
{
    struct worker *w = arg;
    char buf[65536];
    int fd = connect_to(w->port);
    while (fd >= 0 && now_s() < w->end) {
        double t0 = now_s();
        if (send(fd, w->req, w->req_len, MSG_NOSIGNAL) != (ssize_t)w->req_len ||
            read_response(fd, buf, sizeof(buf)) < 0) {
            w->errors++;
            close(fd);
            fd = connect_to(w->port);
            continue;
        }
        if (w->n == w->cap) {
            w->cap = w->cap ? w->cap * 2 : 4096;
            w->lat = realloc(w->lat, w->cap * sizeof(double));
        }
        w->lat[w->n++] = now_s() - t0;
    }
    if (fd >= 0)
        close(fd);
    return NULL;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
    if (argc < 5) {
        fprintf(stderr, "usage: http_load PORT PATH CONNECTIONS SECONDS [HEADER]\n");
        return 2;
    }
    int port = atoi(argv[1]), conns = atoi(argv[3]);
    double secs = atof(argv[4]);
    if (conns < 1 || conns > 1024 || secs <= 0)
        return 2;
    struct worker *ws = calloc((size_t)conns, sizeof(*ws));
    pthread_t *th = calloc((size_t)conns, sizeof(*th));
    double start = now_s();
    for (int i = 0; i < conns; i++) {
        ws[i].port = port;
        ws[i].end = start + secs;
        int n = snprintf(ws[i].req, sizeof(ws[i].req),
                         "GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\n%s%s\r\n", argv[2],
                         argc > 5 ? argv[5] : "", argc > 5 ? "\r\n" : "");
        ws[i].req_len = (size_t)n;
        pthread_create(&th[i], NULL, run, &ws[i]);
    }
    size_t total = 0;
    long errors = 0;
    for (int i = 0; i < conns; i++) {
        pthread_join(th[i], NULL);
        total += ws[i].n;
        errors += ws[i].errors;
    }
    double elapsed = now_s() - start;
    double *all = malloc((total ? total : 1) * sizeof(double));
    size_t k = 0;
    for (int i = 0; i < conns; i++) {
        memcpy(all + k, ws[i].lat, ws[i].n * sizeof(double));
        k += ws[i].n;
        free(ws[i].lat);
    }
    qsort(all, total, sizeof(double), cmp_double);
    double p50 = total ? all[total / 2] : 0, p99 = total ? all[(size_t)(total * 0.99)] : 0;
    printf("%.0f req/s  p50 %.3f ms  p99 %.3f ms  (%zu requests, %ld errors, %d connections)\n",
           (double)total / elapsed, p50 * 1e3, p99 * 1e3, total, errors, conns);
    free(all);
    free(ws);
    free(th);
    return 0;
}
