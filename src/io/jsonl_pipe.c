/*
 * jsonl_pipe.c - a producer thread (read + parse) and the caller as consumer, over a ring of
 * batches guarded by one mutex. The producer never touches a batch the consumer holds and vice
 * versa; a batch changes hands only under the mutex, which also orders the memory.
 */
#include "io/jsonl_pipe.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/json.h"
#include "io/csv.h"

#define PIPE_BATCHES 4
#define PIPE_BATCH_RECS 512

struct pipe_rec {
    long line;
    size_t text_off, text_len;
    size_t err_off;            /* offset of the NUL-terminated error text in buf */
    json_t *obj;
    int code;
};

struct pipe_batch {
    struct pipe_rec recs[PIPE_BATCH_RECS];
    size_t n;
    struct lo_buf buf;         /* line texts and error messages */
    bool full;                 /* produced, not yet consumed */
};

struct lo_jsonl_pipe {
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cond;
    struct pipe_batch batches[PIPE_BATCHES];
    size_t produce_at, consume_at;
    size_t consume_pos;        /* next record in the batch being consumed */
    bool holding;              /* the consumer holds batches[consume_at] */
    bool done;                 /* the producer has finished (end or fatal error) */
    bool stop;                 /* the consumer wants the producer to end */
    struct lo_error fatal;     /* the producer's fatal error, code 0 at a clean end */
    struct lo_line_reader lr;
};

static void batch_clear(struct pipe_batch *b)
{
    for (size_t i = 0; i < b->n; i++)
        json_decref(b->recs[i].obj);
    b->n = 0;
    lo_buf_reset(&b->buf);
}

static void *producer(void *arg)
{
    struct lo_jsonl_pipe *p = arg;
    struct lo_error err;
    lo_error_clear(&err);
    for (;;) {
        pthread_mutex_lock(&p->mu);
        struct pipe_batch *b = &p->batches[p->produce_at];
        while (b->full && !p->stop)
            pthread_cond_wait(&p->cond, &p->mu);
        bool stop = p->stop;
        pthread_mutex_unlock(&p->mu);
        if (stop)
            break;
        /* The batch is ours until we mark it full. Objects are freed here, on the thread that
         * made them: freeing across threads costs glibc's malloc a lock per object. */
        batch_clear(b);
        int rc = 0;
        while (b->n < PIPE_BATCH_RECS) {
            struct lo_str line;
            lo_error_clear(&err);
            rc = lo_lines_next(&p->lr, &line, &err);
            if (rc == 0)
                break;
            struct pipe_rec *r = &b->recs[b->n];
            memset(r, 0, sizeof(*r));
            if (rc < 0) {
                if (rc != LO_EINVAL)
                    break; /* fatal: the reader cannot go on */
                r->line = p->lr.line_no;
                r->code = LO_EINVAL;
                r->err_off = b->buf.len;
                if (lo_buf_append(&b->buf, err.msg, strlen(err.msg) + 1)) {
                    rc = lo_error_set(&err, LO_ENOMEM, "out of memory");
                    break;
                }
                b->n++;
                rc = 1;
                continue;
            }
            struct lo_str t = lo_str_trim(line);
            if (t.len == 0)
                continue;
            r->line = p->lr.line_no;
            r->text_off = b->buf.len;
            r->text_len = t.len;
            if (lo_buf_append(&b->buf, t.ptr, t.len)) {
                rc = lo_error_set(&err, LO_ENOMEM, "out of memory");
                break;
            }
            struct lo_error perr;
            lo_error_clear(&perr);
            r->obj = lo_json_parse(t.ptr, t.len, &perr);
            if (!r->obj) {
                r->code = LO_EINVAL;
                r->err_off = b->buf.len;
                if (lo_buf_append(&b->buf, perr.msg, strlen(perr.msg) + 1)) {
                    rc = lo_error_set(&err, LO_ENOMEM, "out of memory");
                    break;
                }
            }
            b->n++;
        }
        pthread_mutex_lock(&p->mu);
        if (b->n) {
            b->full = true;
            p->produce_at = (p->produce_at + 1) % PIPE_BATCHES;
        }
        if (rc <= 0) {
            if (rc < 0)
                p->fatal = err;
            p->done = true;
        }
        pthread_cond_broadcast(&p->cond);
        bool finished = p->done;
        pthread_mutex_unlock(&p->mu);
        if (finished)
            break;
    }
    pthread_mutex_lock(&p->mu);
    p->done = true;
    pthread_cond_broadcast(&p->cond);
    pthread_mutex_unlock(&p->mu);
    return NULL;
}

int lo_jsonl_pipe_start(struct lo_jsonl_pipe **out, FILE *fp, const char *path, size_t max_line,
                        struct lo_error *err)
{
    struct lo_jsonl_pipe *p = calloc(1, sizeof(*p));
    if (!p)
        return lo_error_set(err, LO_ENOMEM, "out of memory");
    for (int i = 0; i < PIPE_BATCHES; i++)
        lo_buf_init(&p->batches[i].buf, (max_line + 512) * PIPE_BATCH_RECS);
    int rc = lo_lines_open(&p->lr, fp, path, max_line, err);
    if (rc) {
        free(p);
        return rc;
    }
    /* jansson seeds its hash function on first use; do it here, on one thread. */
    json_decref(json_object());
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->cond, NULL);
    if (pthread_create(&p->thread, NULL, producer, p) != 0) {
        lo_lines_close(&p->lr);
        pthread_mutex_destroy(&p->mu);
        pthread_cond_destroy(&p->cond);
        free(p);
        return lo_error_set(err, LO_ENOMEM, "cannot start the parser thread");
    }
    *out = p;
    return 0;
}

int lo_jsonl_pipe_next(struct lo_jsonl_pipe *p, struct lo_jsonl_rec *rec, struct lo_error *err)
{
    for (;;) {
        if (p->holding) {
            struct pipe_batch *b = &p->batches[p->consume_at];
            if (p->consume_pos < b->n) {
                struct pipe_rec *r = &b->recs[p->consume_pos++];
                rec->line = r->line;
                rec->text.ptr = b->buf.data + r->text_off;
                rec->text.len = r->text_len;
                rec->obj = r->obj; /* borrowed: the batch frees it */
                rec->code = r->code;
                rec->error = r->code ? b->buf.data + r->err_off : NULL;
                return 1;
            }
            /* Give the batch back. */
            pthread_mutex_lock(&p->mu);
            b->full = false;
            p->holding = false;
            p->consume_at = (p->consume_at + 1) % PIPE_BATCHES;
            pthread_cond_broadcast(&p->cond);
            pthread_mutex_unlock(&p->mu);
        }
        pthread_mutex_lock(&p->mu);
        struct pipe_batch *b = &p->batches[p->consume_at];
        while (!b->full && !p->done)
            pthread_cond_wait(&p->cond, &p->mu);
        if (b->full) {
            p->holding = true;
            p->consume_pos = 0;
            pthread_mutex_unlock(&p->mu);
            continue;
        }
        /* Done and nothing left. */
        struct lo_error fatal = p->fatal;
        pthread_mutex_unlock(&p->mu);
        if (fatal.code) {
            if (err)
                *err = fatal;
            return fatal.code;
        }
        return 0;
    }
}

void lo_jsonl_pipe_stop(struct lo_jsonl_pipe *p)
{
    if (!p)
        return;
    pthread_mutex_lock(&p->mu);
    p->stop = true;
    pthread_cond_broadcast(&p->cond);
    pthread_mutex_unlock(&p->mu);
    pthread_join(p->thread, NULL);
    for (int i = 0; i < PIPE_BATCHES; i++) {
        batch_clear(&p->batches[i]);
        lo_buf_free(&p->batches[i].buf);
    }
    lo_lines_close(&p->lr);
    pthread_mutex_destroy(&p->mu);
    pthread_cond_destroy(&p->cond);
    free(p);
}
