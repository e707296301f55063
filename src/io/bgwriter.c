/*
 * bgwriter.c - a ring of chunks between the caller (filling) and one writer thread
 * (fwrite + fflush). A chunk changes hands only under the mutex.
 */
#include "io/bgwriter.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define BGW_CHUNKS 4
#define BGW_CHUNK_BYTES (1024 * 1024)

struct chunk {
    char *data;
    size_t len;
    bool full;             /* handed to the writer */
};

struct lo_bgwriter {
    FILE *fp;
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cond;
    struct chunk chunks[BGW_CHUNKS];
    size_t fill_at;        /* the chunk the caller fills */
    size_t write_at;       /* the next chunk the writer writes */
    bool closing;
    bool failed;
};

static void *writer_main(void *arg)
{
    struct lo_bgwriter *w = arg;
    for (;;) {
        pthread_mutex_lock(&w->mu);
        struct chunk *c = &w->chunks[w->write_at];
        while (!c->full && !w->closing)
            pthread_cond_wait(&w->cond, &w->mu);
        if (!c->full) {
            pthread_mutex_unlock(&w->mu);
            break;
        }
        bool failed = w->failed;
        pthread_mutex_unlock(&w->mu);
        bool ok = failed || fwrite(c->data, 1, c->len, w->fp) == c->len;
        pthread_mutex_lock(&w->mu);
        if (!ok)
            w->failed = true;
        c->len = 0;
        c->full = false;
        w->write_at = (w->write_at + 1) % BGW_CHUNKS;
        pthread_cond_broadcast(&w->cond);
        pthread_mutex_unlock(&w->mu);
    }
    return NULL;
}

int lo_bgwriter_start(struct lo_bgwriter **out, FILE *fp, struct lo_error *err)
{
    struct lo_bgwriter *w = calloc(1, sizeof(*w));
    if (!w)
        return lo_error_set(err, LO_ENOMEM, "out of memory");
    w->fp = fp;
    for (int i = 0; i < BGW_CHUNKS; i++) {
        w->chunks[i].data = malloc(BGW_CHUNK_BYTES);
        if (!w->chunks[i].data) {
            for (int k = 0; k < i; k++)
                free(w->chunks[k].data);
            free(w);
            return lo_error_set(err, LO_ENOMEM, "out of memory");
        }
    }
    pthread_mutex_init(&w->mu, NULL);
    pthread_cond_init(&w->cond, NULL);
    if (pthread_create(&w->thread, NULL, writer_main, w) != 0) {
        for (int i = 0; i < BGW_CHUNKS; i++)
            free(w->chunks[i].data);
        pthread_mutex_destroy(&w->mu);
        pthread_cond_destroy(&w->cond);
        free(w);
        return lo_error_set(err, LO_ENOMEM, "cannot start the writer thread");
    }
    *out = w;
    return 0;
}

/* Hands the chunk being filled to the writer and waits for the next one to be free. */
static int hand_over(struct lo_bgwriter *w, struct lo_error *err)
{
    pthread_mutex_lock(&w->mu);
    w->chunks[w->fill_at].full = true;
    w->fill_at = (w->fill_at + 1) % BGW_CHUNKS;
    pthread_cond_broadcast(&w->cond);
    while (w->chunks[w->fill_at].full && !w->failed)
        pthread_cond_wait(&w->cond, &w->mu);
    bool failed = w->failed;
    pthread_mutex_unlock(&w->mu);
    return failed ? lo_error_set(err, LO_EIO, "writing the output failed") : 0;
}

int lo_bgwriter_write(struct lo_bgwriter *w, const void *data, size_t len, struct lo_error *err)
{
    const char *p = data;
    while (len) {
        struct chunk *c = &w->chunks[w->fill_at];
        size_t room = BGW_CHUNK_BYTES - c->len;
        size_t n = len < room ? len : room;
        memcpy(c->data + c->len, p, n);
        c->len += n;
        p += n;
        len -= n;
        if (c->len == BGW_CHUNK_BYTES) {
            int rc = hand_over(w, err);
            if (rc)
                return rc;
        }
    }
    return 0;
}

int lo_bgwriter_finish(struct lo_bgwriter *w, struct lo_error *err)
{
    pthread_mutex_lock(&w->mu);
    if (w->chunks[w->fill_at].len)
        w->chunks[w->fill_at].full = true;
    w->closing = true;
    pthread_cond_broadcast(&w->cond);
    pthread_mutex_unlock(&w->mu);
    pthread_join(w->thread, NULL);
    bool failed = w->failed || fflush(w->fp) != 0;
    for (int i = 0; i < BGW_CHUNKS; i++)
        free(w->chunks[i].data);
    pthread_mutex_destroy(&w->mu);
    pthread_cond_destroy(&w->cond);
    free(w);
    return failed ? lo_error_set(err, LO_EIO, "writing the output failed") : 0;
}
