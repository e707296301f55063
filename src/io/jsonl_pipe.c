/*
 * jsonl_pipe.c - JSONL read and checked by a small pool of producer threads, handed to the
 * caller (the consumer) in file order.
 *
 * A ring of batch slots travels between the threads. A producer takes the next free slot and
 * reads a batch of lines into it while holding the mutex (reading is cheap and must be in file
 * order), then checks the batch with the mutex released, so several batches are checked at
 * once. Checking is the scanner (no allocation per line, each producer owns its scratch);
 * jansson parses only the lines the caller needs as values. Objects are freed by a producer,
 * never the consumer: freeing across threads costs glibc a lock per object.
 * The consumer takes slots strictly in ring order. Each slot's state changes only under the
 * mutex, which also orders the memory between the threads.
 */
#include "io/jsonl_pipe.h"

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/json.h"
#include "io/csv.h"

#define PIPE_SLOTS 6
#define PIPE_PRODUCERS 2
#define PIPE_BATCH_RECS 512

enum slot_state { SLOT_FREE, SLOT_FILLING, SLOT_FULL, SLOT_CONSUMING };

struct pipe_key {
    enum lo_json_kind kind;
    uint32_t off, len;         /* relative to the line's text (lines are far below 4 GiB) */
};

struct pipe_rec {
    long line;
    size_t text_off, text_len;
    size_t err_off;            /* offset of the NUL-terminated error text in buf */
    json_t *obj;
    int code;
    enum lo_json_kind kind;
    struct pipe_key keys[LO_JSONL_PIPE_KEYS];
};

struct pipe_slot {
    struct pipe_rec recs[PIPE_BATCH_RECS];
    size_t n;
    struct lo_buf buf;         /* line texts and error messages */
    enum slot_state state;
};

struct lo_jsonl_pipe {
    pthread_t threads[PIPE_PRODUCERS];
    int n_threads;
    pthread_mutex_t mu;
    pthread_cond_t cond;
    struct pipe_slot slots[PIPE_SLOTS];
    size_t fill_at;            /* next slot a producer takes */
    size_t consume_at;         /* next slot the consumer takes */
    size_t consume_pos;
    bool holding;              /* the consumer holds slots[consume_at] */
    bool read_done;            /* no more lines: end of file or a fatal error */
    size_t end_at;             /* with read_done: the slot after the last one filled */
    bool stop;                 /* the consumer wants the producers to end */
    struct lo_error fatal;     /* a fatal read error, code 0 at a clean end */
    struct lo_line_reader lr;
    struct lo_jsonl_pipe_opts opts;
};

/* Reads up to a batch of lines into s (mutex held). Returns 0, or the reader's fatal error. */
static int read_batch(struct lo_jsonl_pipe *p, struct pipe_slot *s, bool *eof,
                      struct lo_error *err)
{
    *eof = false;
    while (s->n < PIPE_BATCH_RECS) {
        struct lo_str line;
        lo_error_clear(err);
        int rc = lo_lines_next(&p->lr, &line, err);
        if (rc == 0) {
            *eof = true;
            return 0;
        }
        struct pipe_rec *r = &s->recs[s->n];
        memset(r, 0, sizeof(*r));
        if (rc < 0) {
            if (rc != LO_EINVAL)
                return rc; /* the reader cannot go on */
            r->line = p->lr.line_no;
            r->code = LO_EINVAL;
            r->err_off = s->buf.len;
            if (lo_buf_append(&s->buf, err->msg, strlen(err->msg) + 1))
                return lo_error_set(err, LO_ENOMEM, "out of memory");
            s->n++;
            continue;
        }
        struct lo_str t = lo_str_trim(line);
        if (t.len == 0)
            continue;
        r->line = p->lr.line_no;
        r->text_off = s->buf.len;
        r->text_len = t.len;
        r->err_off = SIZE_MAX;
        if (lo_buf_append(&s->buf, t.ptr, t.len) || lo_buf_putc(&s->buf, '\0'))
            return lo_error_set(err, LO_ENOMEM, "out of memory");
        s->n++;
    }
    return 0;
}

static void record_error(struct pipe_slot *s, struct pipe_rec *r, int code, const char *msg)
{
    r->code = code;
    r->err_off = s->buf.len;
    if (lo_buf_append(&s->buf, msg, strlen(msg) + 1))
        r->err_off = SIZE_MAX; /* shown as a generic message */
}

static enum lo_json_kind kind_of(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT: return LO_JSON_OBJECT;
    case JSON_ARRAY: return LO_JSON_ARRAY;
    case JSON_STRING: return LO_JSON_STRING;
    case JSON_INTEGER: return LO_JSON_INTEGER;
    case JSON_REAL: return LO_JSON_REAL;
    case JSON_TRUE: return LO_JSON_TRUE;
    case JSON_FALSE: return LO_JSON_FALSE;
    case JSON_NULL: return LO_JSON_NULL;
    }
    return LO_JSON_NONE;
}

/* Parses one line with jansson (lines that need values). */
static void parse_dom(struct pipe_slot *s, struct pipe_rec *r)
{
    struct lo_error perr;
    lo_error_clear(&perr);
    r->obj = lo_json_parse(s->buf.data + r->text_off, r->text_len, &perr);
    if (!r->obj) {
        record_error(s, r, LO_EINVAL, perr.msg);
        return;
    }
    r->kind = kind_of(r->obj);
}

/* True when "key" (with its quotes) occurs in the text. */
static bool has_quoted(const char *text, size_t len, const char *key)
{
    size_t kl = strlen(key);
    const char *end = text + len;
    const char *p = memchr(text, '"', len);
    while (p) {
        size_t left = (size_t)(end - p);
        if (left >= kl + 2 && memcmp(p + 1, key, kl) == 0 && p[kl + 1] == '"')
            return true;
        if (left <= 1)
            break;
        p = memchr(p + 1, '"', left - 1);
    }
    return false;
}

static void parse_batch(const struct lo_jsonl_pipe_opts *o, struct lo_json_scan *sc,
                        struct pipe_slot *s)
{
    for (size_t i = 0; i < s->n; i++) {
        struct pipe_rec *r = &s->recs[i];
        if (r->code)
            continue;
        const char *text = s->buf.data + r->text_off;
        /* A line that will be parsed anyway is not scanned first: the text "dom_key" (quoted)
         * is a cheap superset of the lines with that top-level key, unless the key is written
         * with escapes, and those the scan below finds. */
        if (o->dom_always || (o->dom_key && has_quoted(text, r->text_len, o->dom_key))) {
            parse_dom(s, r);
            continue;
        }
        struct lo_error perr;
        lo_error_clear(&perr);
        int rc = lo_json_scan(sc, text, r->text_len, &perr);
        if (rc) {
            record_error(s, r, rc, perr.msg);
            continue;
        }
        r->kind = sc->kind;
        if (sc->kind != LO_JSON_OBJECT)
            continue;
        for (size_t k = 0; k < o->n_keys; k++) {
            const struct lo_json_member *m = lo_json_scan_member(sc, o->keys[k]);
            if (m)
                r->keys[k] = (struct pipe_key){ m->kind, (uint32_t)(m->value.ptr - text),
                                                (uint32_t)m->value.len };
        }
        if (o->dom_key && lo_json_scan_member(sc, o->dom_key))
            parse_dom(s, r);
    }
}

static void *producer(void *arg)
{
    struct lo_jsonl_pipe *p = arg;
    json_t *stale[PIPE_BATCH_RECS];
    struct lo_error err;
    struct lo_json_scan sc;
    lo_json_scan_init(&sc);
    for (;;) {
        pthread_mutex_lock(&p->mu);
        while (!p->stop && !p->read_done && p->slots[p->fill_at].state != SLOT_FREE)
            pthread_cond_wait(&p->cond, &p->mu);
        if (p->stop || p->read_done) {
            pthread_mutex_unlock(&p->mu);
            break;
        }
        size_t at = p->fill_at;
        struct pipe_slot *s = &p->slots[at];
        s->state = SLOT_FILLING;
        p->fill_at = (p->fill_at + 1) % PIPE_SLOTS;
        /* Objects of the slot's last round are freed below, outside the mutex. */
        size_t n_stale = 0;
        for (size_t i = 0; i < s->n; i++)
            if (s->recs[i].obj)
                stale[n_stale++] = s->recs[i].obj;
        s->n = 0;
        lo_buf_reset(&s->buf);
        bool eof = false;
        int rc = read_batch(p, s, &eof, &err);
        if (rc) {
            p->fatal = err;
            eof = true;
        }
        if (eof) {
            p->read_done = true;
            p->end_at = s->n ? (at + 1) % PIPE_SLOTS : at;
            if (!s->n)
                s->state = SLOT_FREE;
            pthread_cond_broadcast(&p->cond);
        }
        pthread_mutex_unlock(&p->mu);
        for (size_t i = 0; i < n_stale; i++)
            json_decref(stale[i]);
        if (!s->n)
            break;
        parse_batch(&p->opts, &sc, s);
        pthread_mutex_lock(&p->mu);
        s->state = SLOT_FULL;
        pthread_cond_broadcast(&p->cond);
        pthread_mutex_unlock(&p->mu);
    }
    lo_json_scan_free(&sc);
    return NULL;
}

int lo_jsonl_pipe_start(struct lo_jsonl_pipe **out, FILE *fp, const char *path,
                        const struct lo_jsonl_pipe_opts *opts, struct lo_error *err)
{
    if (opts->n_keys > LO_JSONL_PIPE_KEYS)
        return lo_error_set(err, LO_EUSAGE, "more than %d keys asked of the JSONL pipe",
                            LO_JSONL_PIPE_KEYS);
    struct lo_jsonl_pipe *p = calloc(1, sizeof(*p));
    if (!p)
        return lo_error_set(err, LO_ENOMEM, "out of memory");
    p->opts = *opts;
    for (int i = 0; i < PIPE_SLOTS; i++)
        lo_buf_init(&p->slots[i].buf, (opts->max_line + 512) * PIPE_BATCH_RECS);
    int rc = lo_lines_open(&p->lr, fp, path, opts->max_line, err);
    if (rc) {
        free(p);
        return rc;
    }
    /* jansson seeds its hash function on first use; do it here, on one thread. */
    json_decref(json_object());
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->cond, NULL);
    for (int i = 0; i < PIPE_PRODUCERS; i++) {
        if (pthread_create(&p->threads[i], NULL, producer, p) != 0)
            break;
        p->n_threads++;
    }
    if (p->n_threads == 0) {
        lo_lines_close(&p->lr);
        pthread_mutex_destroy(&p->mu);
        pthread_cond_destroy(&p->cond);
        for (int i = 0; i < PIPE_SLOTS; i++)
            lo_buf_free(&p->slots[i].buf);
        free(p);
        return lo_error_set(err, LO_ENOMEM, "cannot start a parser thread");
    }
    *out = p;
    return 0;
}

int lo_jsonl_pipe_next(struct lo_jsonl_pipe *p, struct lo_jsonl_rec *rec, struct lo_error *err)
{
    for (;;) {
        if (p->holding) {
            struct pipe_slot *s = &p->slots[p->consume_at];
            if (p->consume_pos < s->n) {
                struct pipe_rec *r = &s->recs[p->consume_pos++];
                rec->line = r->line;
                rec->text.ptr = s->buf.data + r->text_off;
                rec->text.len = r->text_len;
                rec->obj = r->obj; /* borrowed: the slot frees it */
                rec->kind = r->kind;
                for (size_t k = 0; k < LO_JSONL_PIPE_KEYS; k++) {
                    rec->keys[k].kind = r->keys[k].kind;
                    rec->keys[k].text.ptr = rec->text.ptr + r->keys[k].off;
                    rec->keys[k].text.len = r->keys[k].len;
                }
                rec->code = r->code;
                rec->error = r->code ? (r->err_off == SIZE_MAX ? "malformed JSON"
                                                               : s->buf.data + r->err_off)
                                     : NULL;
                return 1;
            }
            pthread_mutex_lock(&p->mu);
            s->state = SLOT_FREE;
            p->holding = false;
            p->consume_at = (p->consume_at + 1) % PIPE_SLOTS;
            pthread_cond_broadcast(&p->cond);
            pthread_mutex_unlock(&p->mu);
        }
        pthread_mutex_lock(&p->mu);
        for (;;) {
            struct pipe_slot *s = &p->slots[p->consume_at];
            if (s->state == SLOT_FULL)
                break;
            if (p->read_done && s->state == SLOT_FREE && p->consume_at == p->end_at)
                break;
            pthread_cond_wait(&p->cond, &p->mu);
        }
        struct pipe_slot *s = &p->slots[p->consume_at];
        if (s->state == SLOT_FULL) {
            s->state = SLOT_CONSUMING;
            p->holding = true;
            p->consume_pos = 0;
            pthread_mutex_unlock(&p->mu);
            continue;
        }
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
    for (int i = 0; i < p->n_threads; i++)
        pthread_join(p->threads[i], NULL);
    for (int i = 0; i < PIPE_SLOTS; i++) {
        for (size_t k = 0; k < p->slots[i].n; k++)
            json_decref(p->slots[i].recs[k].obj);
        lo_buf_free(&p->slots[i].buf);
    }
    lo_lines_close(&p->lr);
    pthread_mutex_destroy(&p->mu);
    pthread_cond_destroy(&p->cond);
    free(p);
}
