/*
 * wfload.c - a closed-loop load generator for the labeling workflow (bench_workflow.sh): N
 * simulated annotators, each a thread with its own keep-alive HTTP/1.1 connection and its own
 * user's API token, loop for a fixed time over
 *
 *     POST /api/v1/projects/{P}/tasks/next   {"kind":"label"}          -> the lease id
 *     POST /api/v1/tasks/{lease}/submit      {"value":{FIELD:CLASS}}   with an Idempotency-Key
 *
 * and record the latency of every call. Prints cycles/s (a cycle is a next that gave a task
 * followed by a submit answered 201), calls/s, p50/p95/p99/max per call type and the errors by
 * status. An empty queue ({"task": null}) is counted and the annotator waits 20 ms before it
 * asks again: the benchmark imports enough items that this never happens during a run.
 *
 * Not a test and not installed; it never runs in the test suite. Plain POSIX sockets, one
 * thread per connection, jansson to read the task. Host 127.0.0.1 unless --host says otherwise.
 *
 * Before the clock starts each annotator signs in once (GET /api/v1/session with its token):
 * the server records a token's first use with a write of its own, and 256 first uses at once
 * are a start-up burst, not the steady state measured here (--no-warmup measures it too).
 *
 * usage: wfload [--host H] [--field F] [--classes a,b,...] [--json] [--no-warmup]
 *               PORT PROJECT TOKENS_FILE CLIENTS SECONDS
 */
#include <arpa/inet.h>
#include <errno.h>
#include <jansson.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

enum { CALL_NEXT, CALL_SUBMIT, CALL_KINDS };
static const char *const call_names[CALL_KINDS] = { "next", "submit" };

enum {
    MAX_CLIENTS = 4096,
    TOKEN_CAP = 256,
    REQ_CAP = 4096,
    RESP_CAP = 1 << 20, /* one answer; a task with a large item would need more */
    STATUS_SLOTS = 600, /* 0 = transport error, else the HTTP status */
    MAX_CLASSES = 64,
};

/* What every annotator shares: read-only once the threads start. */
struct config {
    struct sockaddr_in addr;
    const char *project;
    const char *field;
    const char *classes[MAX_CLASSES];
    int nclasses;
    double seconds;
    bool warmup;          /* GET /api/v1/session once per annotator before the clock starts */
    unsigned long run_id; /* in every Idempotency-Key: runs never reuse a key */
    pthread_barrier_t *start;
};

/* A growable latency array (milliseconds), owned by one thread until the merge. */
struct lat_vec {
    float *v;
    size_t n, cap;
};

struct annotator {
    const struct config *cfg;
    int index;
    char token[TOKEN_CAP];
    int fd;
    char *resp; /* RESP_CAP bytes */
    double end;
    struct lat_vec lat[CALL_KINDS];
    long status[CALL_KINDS][STATUS_SLOTS];
    long cycles, empty, reconnects;
    uint64_t seq;
    char last_error[160];
};

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void sleep_ms(long ms)
{
    struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

static int lat_push(struct lat_vec *l, double ms)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 8192;
        float *v = realloc(l->v, cap * sizeof(*v));
        if (!v)
            return -1;
        l->v = v;
        l->cap = cap;
    }
    l->v[l->n++] = (float)ms;
    return 0;
}

static int connect_to(const struct sockaddr_in *addr)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0)
        return -1;
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    if (connect(fd, (const struct sockaddr *)addr, sizeof(*addr)) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

static int send_all(int fd, const char *p, size_t n)
{
    while (n) {
        ssize_t k = send(fd, p, n, MSG_NOSIGNAL);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            return -1;
        p += k;
        n -= (size_t)k;
    }
    return 0;
}

/* The value of header NAME (case-insensitive) in the head [head, end), or NULL. */
static const char *find_header(const char *head, const char *end, const char *name)
{
    size_t len = strlen(name);
    const char *p = strstr(head, "\r\n");
    while (p && p < end) {
        p += 2;
        if ((size_t)(end - p) > len && strncasecmp(p, name, len) == 0 && p[len] == ':') {
            p += len + 1;
            while (*p == ' ' || *p == '\t')
                p++;
            return p;
        }
        p = strstr(p, "\r\n");
    }
    return NULL;
}

/*
 * Reads one answer on fd into a->resp. Returns the HTTP status and sets *body (NUL-terminated)
 * and *close_after; -1 on a transport or framing error. Content-Length and chunked bodies.
 */
static int read_response(struct annotator *a, const char **body, bool *close_after)
{
    char *buf = a->resp;
    size_t have = 0;
    char *head_end = NULL;
    while (!head_end) {
        if (have >= RESP_CAP - 1)
            return -1;
        ssize_t n = recv(a->fd, buf + have, RESP_CAP - 1 - have, 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        have += (size_t)n;
        buf[have] = '\0';
        head_end = strstr(buf, "\r\n\r\n");
    }
    if (strncmp(buf, "HTTP/1.", 7) != 0 || strlen(buf) < 12)
        return -1;
    int status = atoi(buf + 9);
    const char *conn = find_header(buf, head_end, "Connection");
    *close_after = conn && strncasecmp(conn, "close", 5) == 0;
    const char *te = find_header(buf, head_end, "Transfer-Encoding");
    const char *cl = find_header(buf, head_end, "Content-Length");
    char *b = head_end + 4;
    size_t body_at = (size_t)(b - buf);
    if (te && strncasecmp(te, "chunked", 7) == 0) {
        /* De-chunk in place: the decoded body is never longer than the encoded one. */
        size_t out = body_at, in = body_at;
        for (;;) {
            char *crlf;
            while (!(crlf = strstr(buf + in, "\r\n"))) {
                if (have >= RESP_CAP - 1)
                    return -1;
                ssize_t n = recv(a->fd, buf + have, RESP_CAP - 1 - have, 0);
                if (n <= 0)
                    return -1;
                have += (size_t)n;
                buf[have] = '\0';
            }
            size_t size = (size_t)strtoul(buf + in, NULL, 16);
            size_t data = (size_t)(crlf + 2 - buf);
            while (have < data + size + 2) {
                if (have >= RESP_CAP - 1)
                    return -1;
                ssize_t n = recv(a->fd, buf + have, RESP_CAP - 1 - have, 0);
                if (n <= 0)
                    return -1;
                have += (size_t)n;
                buf[have] = '\0';
            }
            memmove(buf + out, buf + data, size);
            out += size;
            in = data + size + 2;
            if (size == 0)
                break; /* trailers are not used by the server */
        }
        buf[out] = '\0';
    } else {
        size_t len = cl ? (size_t)strtoul(cl, NULL, 10) : 0;
        if (body_at + len >= RESP_CAP)
            return -1;
        while (have < body_at + len) {
            ssize_t n = recv(a->fd, buf + have, RESP_CAP - 1 - have, 0);
            if (n < 0 && errno == EINTR)
                continue;
            if (n <= 0)
                return -1;
            have += (size_t)n;
        }
        buf[body_at + len] = '\0';
    }
    *body = b;
    return status;
}

/* One POST with a JSON body; returns the status (or -1) and the body through *resp_body. */
/* One request: a POST with a JSON body, or a GET when json is NULL. Returns the status (or -1)
 * and the answer's body through *resp_body (valid until the next request). */
static int request(struct annotator *a, const char *path, const char *extra_header,
                   const char *json, const char **resp_body)
{
    char req[REQ_CAP];
    *resp_body = NULL;
    int n;
    if (json)
        n = snprintf(req, sizeof(req),
                     "POST %s HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer %s\r\n"
                     "Content-Type: application/json\r\nContent-Length: %zu\r\n%s\r\n%s",
                     path, a->token, strlen(json), extra_header, json);
    else
        n = snprintf(req, sizeof(req),
                     "GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer %s\r\n%s\r\n",
                     path, a->token, extra_header);
    if (n < 0 || (size_t)n >= sizeof(req))
        return -1;
    for (int attempt = 0; attempt < 2; attempt++) {
        if (a->fd < 0) {
            a->fd = connect_to(&a->cfg->addr);
            if (a->fd < 0)
                return -1;
            a->reconnects++;
        }
        bool close_after = false;
        int status = -1;
        if (send_all(a->fd, req, (size_t)n) == 0)
            status = read_response(a, resp_body, &close_after);
        if (status < 0 || close_after) {
            close(a->fd);
            a->fd = -1;
        }
        if (status >= 0)
            return status;
        /* A keep-alive connection the server closed between requests: retry once, fresh. */
    }
    return -1;
}

static void count_status(struct annotator *a, int call, int status)
{
    int slot = status < 0 || status >= STATUS_SLOTS ? 0 : status;
    a->status[call][slot]++;
}

static void note_error(struct annotator *a, const char *call, int status, const char *body)
{
    if (a->last_error[0])
        return;
    snprintf(a->last_error, sizeof(a->last_error), "%s %d: %.120s", call, status,
             body ? body : "(no answer)");
    a->last_error[strcspn(a->last_error, "\r\n")] = '\0';
}

/* The lease id of a tasks/next answer into lease; 1 when the task is null, -1 when unreadable. */
static int parse_lease(const char *body, char *lease, size_t cap)
{
    json_error_t jerr;
    json_t *j = json_loads(body, 0, &jerr);
    if (!j)
        return -1;
    int rc = -1;
    json_t *task = json_object_get(j, "task");
    if (task && json_is_null(task)) {
        rc = 1;
    } else if (json_is_object(task)) {
        const char *s = json_string_value(json_object_get(task, "lease"));
        size_t len = s ? strlen(s) : 0;
        bool safe = len > 0 && len < cap;
        for (size_t i = 0; safe && i < len; i++)
            safe = (s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'z') ||
                   (s[i] >= 'A' && s[i] <= 'Z') || s[i] == '-' || s[i] == '_' || s[i] == '.';
        if (safe) {
            memcpy(lease, s, len + 1);
            rc = 0;
        }
    }
    json_decref(j);
    return rc;
}

static void *annotator_run(void *arg)
{
    struct annotator *a = arg;
    const struct config *cfg = a->cfg;
    char next_path[512], submit_path[512], lease[256], value[512], idem[96];
    snprintf(next_path, sizeof(next_path), "/api/v1/projects/%s/tasks/next", cfg->project);
    a->fd = connect_to(&cfg->addr);
    if (cfg->warmup) {
        /* Sign in once before the clock starts: the server records a token's first use (a
         * write), which is not what this measures. */
        const char *body = NULL;
        int st = request(a, "/api/v1/session", "", NULL, &body);
        if (st != 200)
            note_error(a, "warm-up GET /api/v1/session", st, body);
    }
    pthread_barrier_wait(cfg->start);
    while (now_s() < a->end) {
        const char *body = NULL;
        double t0 = now_s();
        int st = request(a, next_path, "", "{\"kind\":\"label\"}", &body);
        double t1 = now_s();
        lat_push(&a->lat[CALL_NEXT], (t1 - t0) * 1e3);
        count_status(a, CALL_NEXT, st);
        if (st != 200) {
            note_error(a, "next", st, body);
            if (st < 0)
                sleep_ms(10); /* the server is gone or refusing: do not spin */
            continue;
        }
        int lr = parse_lease(body, lease, sizeof(lease));
        if (lr == 1) {
            a->empty++;
            sleep_ms(20);
            continue;
        }
        if (lr < 0) {
            note_error(a, "next (unreadable task)", st, body);
            a->status[CALL_NEXT][0]++;
            continue;
        }
        snprintf(submit_path, sizeof(submit_path), "/api/v1/tasks/%s/submit", lease);
        const char *cls = cfg->classes[(size_t)(a->index + (int)a->seq) % (size_t)cfg->nclasses];
        snprintf(value, sizeof(value), "{\"value\":{\"%s\":\"%s\"}}", cfg->field, cls);
        snprintf(idem, sizeof(idem), "Idempotency-Key: wfload-%lx-%d-%llu\r\n", cfg->run_id,
                 a->index, (unsigned long long)a->seq++);
        t0 = now_s();
        st = request(a, submit_path, idem, value, &body);
        t1 = now_s();
        lat_push(&a->lat[CALL_SUBMIT], (t1 - t0) * 1e3);
        count_status(a, CALL_SUBMIT, st);
        if (st == 201)
            a->cycles++;
        else
            note_error(a, "submit", st, body);
    }
    if (a->fd >= 0)
        close(a->fd);
    return NULL;
}

static int cmp_float(const void *x, const void *y)
{
    float a = *(const float *)x, b = *(const float *)y;
    return (a > b) - (a < b);
}

static double quantile(const float *v, size_t n, double q)
{
    if (!n)
        return 0;
    size_t i = (size_t)(q * (double)n);
    return v[i < n ? i : n - 1];
}

/* Reads up to max tokens, one a line (blank lines skipped) into a[i].token. */
static int read_tokens(const char *path, struct annotator *a, int max)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    char line[TOKEN_CAP + 4];
    int n = 0;
    while (n < max && fgets(line, sizeof(line), f)) {
        size_t len = strcspn(line, "\r\n");
        line[len] = '\0';
        if (!len)
            continue;
        if (len >= TOKEN_CAP)
            break;
        memcpy(a[n].token, line, len + 1);
        n++;
    }
    fclose(f);
    return n;
}

static int usage(void)
{
    fprintf(stderr,
            "usage: wfload [--host H] [--field F] [--classes a,b,...] [--json] [--no-warmup]\n"
            "              PORT PROJECT TOKENS_FILE CLIENTS SECONDS\n");
    return 2;
}

int main(int argc, char **argv)
{
    struct config cfg;
    memset(&cfg, 0, sizeof(cfg));
    const char *host = "127.0.0.1";
    char classes_buf[1024] = "a";
    cfg.field = "label";
    cfg.warmup = true;
    bool as_json = false;
    int i = 1;
    for (; i < argc && strncmp(argv[i], "--", 2) == 0; i++) {
        if (strcmp(argv[i], "--json") == 0)
            as_json = true;
        else if (strcmp(argv[i], "--no-warmup") == 0)
            cfg.warmup = false;
        else if (strcmp(argv[i], "--host") == 0 && i + 1 < argc)
            host = argv[++i];
        else if (strcmp(argv[i], "--field") == 0 && i + 1 < argc)
            cfg.field = argv[++i];
        else if (strcmp(argv[i], "--classes") == 0 && i + 1 < argc)
            snprintf(classes_buf, sizeof(classes_buf), "%s", argv[++i]);
        else
            return usage();
    }
    if (argc - i != 5)
        return usage();
    int port = atoi(argv[i]);
    cfg.project = argv[i + 1];
    const char *tokens_path = argv[i + 2];
    int clients = atoi(argv[i + 3]);
    cfg.seconds = atof(argv[i + 4]);
    if (port <= 0 || port > 65535 || clients < 1 || clients > MAX_CLIENTS || cfg.seconds <= 0)
        return usage();
    for (char *save = NULL, *c = strtok_r(classes_buf, ",", &save); c && cfg.nclasses < MAX_CLASSES;
         c = strtok_r(NULL, ",", &save))
        cfg.classes[cfg.nclasses++] = c;
    if (!cfg.nclasses || strpbrk(cfg.field, "\"\\") || strpbrk(cfg.project, "/?# "))
        return usage();
    struct timespec rt;
    clock_gettime(CLOCK_REALTIME, &rt);
    cfg.run_id =
        (unsigned long)rt.tv_sec * 1000003UL ^ (unsigned long)rt.tv_nsec ^ (unsigned long)getpid();
    cfg.addr.sin_family = AF_INET;
    cfg.addr.sin_port = htons((uint16_t)port);
    if (inet_pton(AF_INET, host, &cfg.addr.sin_addr) != 1) {
        fprintf(stderr, "wfload: --host must be an IPv4 address\n");
        return 2;
    }

    struct annotator *ann = calloc((size_t)clients, sizeof(*ann));
    pthread_t *th = calloc((size_t)clients, sizeof(*th));
    if (!ann || !th)
        return 1;
    int ntok = read_tokens(tokens_path, ann, clients);
    if (ntok < clients) {
        fprintf(stderr, "wfload: %s has %d tokens; each of the %d annotators needs its own\n",
                tokens_path, ntok < 0 ? 0 : ntok, clients);
        return 1;
    }
    pthread_barrier_t start;
    pthread_barrier_init(&start, NULL, (unsigned)clients + 1);
    cfg.start = &start;
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, 256 * 1024);
    for (int k = 0; k < clients; k++) {
        ann[k].cfg = &cfg;
        ann[k].index = k;
        ann[k].fd = -1;
        ann[k].resp = malloc(RESP_CAP);
        if (!ann[k].resp || pthread_create(&th[k], &attr, annotator_run, &ann[k]) != 0) {
            fprintf(stderr, "wfload: cannot start annotator %d\n", k);
            return 1;
        }
    }
    /* Every annotator is connected and waiting: start the clock for all at once. */
    double t_start = now_s();
    for (int k = 0; k < clients; k++)
        ann[k].end = t_start + cfg.seconds;
    pthread_barrier_wait(&start);
    t_start = now_s();
    for (int k = 0; k < clients; k++)
        pthread_join(th[k], NULL);
    double elapsed = now_s() - t_start;
    pthread_barrier_destroy(&start);
    pthread_attr_destroy(&attr);

    long cycles = 0, empty = 0, reconnects = 0;
    long status[CALL_KINDS][STATUS_SLOTS];
    memset(status, 0, sizeof(status));
    struct lat_vec all[CALL_KINDS];
    memset(all, 0, sizeof(all));
    const char *first_error = NULL;
    for (int k = 0; k < clients; k++) {
        cycles += ann[k].cycles;
        empty += ann[k].empty;
        reconnects += ann[k].reconnects;
        if (!first_error && ann[k].last_error[0])
            first_error = ann[k].last_error;
        for (int c = 0; c < CALL_KINDS; c++) {
            for (int s = 0; s < STATUS_SLOTS; s++)
                status[c][s] += ann[k].status[c][s];
            struct lat_vec *l = &ann[k].lat[c];
            float *v = realloc(all[c].v, (all[c].n + l->n + 1) * sizeof(float));
            if (!v)
                return 1;
            if (l->n) /* l->v is NULL when the annotator made no call of this kind */
                memcpy(v + all[c].n, l->v, l->n * sizeof(float));
            all[c].v = v;
            all[c].n += l->n;
            free(l->v);
        }
    }
    long calls = 0;
    double p[CALL_KINDS][4];
    for (int c = 0; c < CALL_KINDS; c++) {
        qsort(all[c].v, all[c].n, sizeof(float), cmp_float);
        p[c][0] = quantile(all[c].v, all[c].n, 0.50);
        p[c][1] = quantile(all[c].v, all[c].n, 0.95);
        p[c][2] = quantile(all[c].v, all[c].n, 0.99);
        p[c][3] = all[c].n ? all[c].v[all[c].n - 1] : 0;
        calls += (long)all[c].n;
    }
    /* errors: every answer other than 200 for next and 201 for submit */
    long errors = 0;
    for (int c = 0; c < CALL_KINDS; c++)
        for (int s = 0; s < STATUS_SLOTS; s++)
            if (s != (c == CALL_NEXT ? 200 : 201))
                errors += status[c][s];

    if (as_json) {
        json_t *out = json_pack("{s:i, s:f, s:I, s:f, s:I, s:f, s:I, s:I, s:I}", "clients", clients,
                                "seconds", elapsed, "cycles", (json_int_t)cycles, "cycles_per_s",
                                (double)cycles / elapsed, "calls", (json_int_t)calls, "calls_per_s",
                                (double)calls / elapsed, "empty", (json_int_t)empty, "reconnects",
                                (json_int_t)reconnects, "errors", (json_int_t)errors);
        for (int c = 0; c < CALL_KINDS; c++) {
            json_t *st = json_object();
            for (int s = 0; s < STATUS_SLOTS; s++) {
                if (!status[c][s])
                    continue;
                char key[16];
                snprintf(key, sizeof(key), "%d", s);
                json_object_set_new(st, s ? key : "transport", json_integer(status[c][s]));
            }
            json_object_set_new(out, call_names[c],
                                json_pack("{s:I, s:f, s:f, s:f, s:f, s:o}", "n",
                                          (json_int_t)all[c].n, "p50_ms", p[c][0], "p95_ms",
                                          p[c][1], "p99_ms", p[c][2], "max_ms", p[c][3], "status",
                                          st));
        }
        if (first_error)
            json_object_set_new(out, "first_error", json_string(first_error));
        char *s = json_dumps(out, JSON_COMPACT);
        if (s)
            puts(s);
        free(s);
        json_decref(out);
    } else {
        printf("wfload: %d annotators (one connection and one token each), %.1f s, project %s\n",
               clients, elapsed, cfg.project);
        printf("cycles (next + submit 201): %ld, %.0f/s   calls: %ld, %.0f/s\n", cycles,
               (double)cycles / elapsed, calls, (double)calls / elapsed);
        printf("%-8s %9s %9s %9s %9s %9s   (ms)\n", "call", "n", "p50", "p95", "p99", "max");
        for (int c = 0; c < CALL_KINDS; c++)
            printf("%-8s %9zu %9.2f %9.2f %9.2f %9.2f\n", call_names[c], all[c].n, p[c][0], p[c][1],
                   p[c][2], p[c][3]);
        printf("empty-queue answers: %ld   reconnects: %ld   errors: %ld", empty, reconnects,
               errors);
        for (int c = 0; c < CALL_KINDS; c++)
            for (int s = 0; s < STATUS_SLOTS; s++)
                if (status[c][s] && s != (c == CALL_NEXT ? 200 : 201)) {
                    if (s)
                        printf("  %s %d x%ld", call_names[c], s, status[c][s]);
                    else
                        printf("  %s transport x%ld", call_names[c], status[c][s]);
                }
        printf("\n");
        if (first_error)
            printf("first error: %s\n", first_error);
    }
    for (int c = 0; c < CALL_KINDS; c++)
        free(all[c].v);
    for (int k = 0; k < clients; k++)
        free(ann[k].resp);
    free(ann);
    free(th);
    return 0;
}
