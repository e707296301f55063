/*
 * writer.c - the group-commit writer (writer.h).
 */
#include "app/writer.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "base/limits.h"

struct job {
    lo_write_fn fn;
    void *ctx;
    struct lo_principal who;
    const char *actor;
    int rc;
    struct lo_error err;
    bool done;
    struct job *next;
    /* asynchronous jobs: the callback, and the copies of the caller's names (the caller's
     * memory may be reused while the job waits) */
    lo_write_done on_done;
    void *arg;
    char *name_copy, *actor_copy;
};

struct lo_writer {
    struct lo_app app;          /* the writer's own connection */
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t more;        /* jobs queued, or stopping */
    pthread_cond_t finished;    /* a batch has been committed */
    struct job *head, *tail;
    bool stopping;
    struct lo_writer_stats stats;
};

/* Runs one job in its savepoint inside the open transaction. */
static void run_job(struct lo_writer *w, struct job *j)
{
    struct lo_store *st = w->app.store;
    w->app.who = j->who;
    w->app.actor = j->actor ? j->actor : (j->who.name ? j->who.name : "server");
    lo_error_clear(&j->err);
    j->rc = st->ops->wf->savepoint(st, &j->err);
    if (j->rc)
        return;
    j->rc = j->fn(&w->app, j->ctx, &j->err);
    if (j->rc)
        st->ops->wf->savepoint_rollback(st);
    else
        j->rc = st->ops->wf->savepoint_release(st, &j->err);
}

/* Runs a batch (a list linked through next) in one transaction and commits it; returns the
 * seconds the commit took. */
static double run_batch(struct lo_writer *w, struct job *batch)
{
    double commit_s = 0;
    struct lo_store *st = w->app.store;
    struct lo_error err;
    lo_error_clear(&err);
    int rc = st->ops->begin(st, true, &err);
    if (!rc) {
        for (struct job *j = batch; j; j = j->next)
            run_job(w, j);
        double t0 = lo_monotonic_s();
        rc = st->ops->commit(st, &err);
        commit_s = lo_monotonic_s() - t0;
        if (rc)
            st->ops->rollback(st);
    }
    if (rc) {
        /* Nothing of the batch is durable: every job that had succeeded fails now. */
        for (struct job *j = batch; j; j = j->next) {
            if (!j->rc) {
                j->rc = rc;
                j->err = err;
            }
        }
    }
    return commit_s;
}

static void *writer_main(void *arg)
{
    struct lo_writer *w = arg;
    pthread_mutex_lock(&w->mu);
    for (;;) {
        while (!w->head && !w->stopping)
            pthread_cond_wait(&w->more, &w->mu);
        if (!w->head && w->stopping)
            break;
        /* Take the whole queue, at most LO_LIMIT_WRITER_BATCH jobs. */
        struct job *batch = w->head, *last = batch;
        unsigned long long n = 1;
        while (last->next && n < LO_LIMIT_WRITER_BATCH) {
            last = last->next;
            n++;
        }
        w->head = last->next;
        if (!w->head)
            w->tail = NULL;
        last->next = NULL;
        pthread_mutex_unlock(&w->mu);

        double t0 = lo_monotonic_s();
        double commit_s = run_batch(w, batch);
        double busy = lo_monotonic_s() - t0;

        /* Waiting callers are woken below; asynchronous ones are answered from here, outside
         * the lock (their callbacks resume connections). */
        struct job *async = NULL, *waiting = NULL;
        for (struct job *j = batch, *next; j; j = next) {
            next = j->next;
            struct job **list = j->on_done ? &async : &waiting;
            j->next = *list;
            *list = j;
        }
        for (struct job *j = async, *next; j; j = next) {
            next = j->next;
            j->on_done(j->arg, j->rc, &j->err);
            free(j->name_copy);
            free(j->actor_copy);
            free(j);
        }
        pthread_mutex_lock(&w->mu);
        for (struct job *j = waiting; j;) {
            struct job *next = j->next; /* j belongs to its caller once done is set */
            j->done = true;
            j = next;
        }
        w->stats.jobs += n;
        w->stats.commits++;
        w->stats.busy_s += busy;
        w->stats.commit_s += commit_s;
        if (n > w->stats.max_batch)
            w->stats.max_batch = n;
        pthread_cond_broadcast(&w->finished);
    }
    pthread_mutex_unlock(&w->mu);
    return NULL;
}

int lo_writer_start(const char *db_path, struct lo_writer **out, struct lo_error *err)
{
    *out = NULL;
    struct lo_writer *w = calloc(1, sizeof(*w));
    if (!w)
        return lo_error_set(err, LO_ENOMEM, "out of memory starting the writer");
    int rc = lo_app_open(&w->app, db_path, err);
    if (rc) {
        free(w);
        return rc;
    }
    pthread_mutex_init(&w->mu, NULL);
    pthread_cond_init(&w->more, NULL);
    pthread_cond_init(&w->finished, NULL);
    if (pthread_create(&w->thread, NULL, writer_main, w) != 0) {
        lo_app_close(&w->app);
        pthread_mutex_destroy(&w->mu);
        pthread_cond_destroy(&w->more);
        pthread_cond_destroy(&w->finished);
        free(w);
        return lo_error_set(err, LO_EIO, "cannot start the writer thread");
    }
    *out = w;
    return 0;
}

void lo_writer_stop(struct lo_writer *w)
{
    if (!w)
        return;
    pthread_mutex_lock(&w->mu);
    w->stopping = true;
    pthread_cond_signal(&w->more);
    pthread_mutex_unlock(&w->mu);
    pthread_join(w->thread, NULL);
    lo_app_close(&w->app);
    pthread_mutex_destroy(&w->mu);
    pthread_cond_destroy(&w->more);
    pthread_cond_destroy(&w->finished);
    free(w);
}

int lo_writer_run(struct lo_writer *w, const struct lo_principal *who, const char *actor,
                  lo_write_fn fn, void *ctx, struct lo_error *err)
{
    struct job j = { .fn = fn, .ctx = ctx, .who = *who, .actor = actor };
    pthread_mutex_lock(&w->mu);
    if (w->stopping) {
        pthread_mutex_unlock(&w->mu);
        return lo_error_set(err, LO_EBUSY, "the server is shutting down");
    }
    if (w->tail)
        w->tail->next = &j;
    else
        w->head = &j;
    w->tail = &j;
    pthread_cond_signal(&w->more);
    while (!j.done)
        pthread_cond_wait(&w->finished, &w->mu);
    pthread_mutex_unlock(&w->mu);
    if (j.rc && err)
        *err = j.err;
    return j.rc;
}

int lo_writer_submit(struct lo_writer *w, const struct lo_principal *who, const char *actor,
                     lo_write_fn fn, void *ctx, lo_write_done done, void *arg,
                     struct lo_error *err)
{
    struct job *j = calloc(1, sizeof(*j));
    if (!j)
        return lo_error_set(err, LO_ENOMEM, "out of memory");
    *j = (struct job){ .fn = fn, .ctx = ctx, .who = *who, .on_done = done, .arg = arg };
    j->name_copy = who->name ? strdup(who->name) : NULL;
    j->actor_copy = actor ? strdup(actor) : NULL;
    if ((who->name && !j->name_copy) || (actor && !j->actor_copy)) {
        free(j->name_copy);
        free(j->actor_copy);
        free(j);
        return lo_error_set(err, LO_ENOMEM, "out of memory");
    }
    j->who.name = j->name_copy;
    j->actor = j->actor_copy;
    pthread_mutex_lock(&w->mu);
    if (w->stopping) {
        pthread_mutex_unlock(&w->mu);
        free(j->name_copy);
        free(j->actor_copy);
        free(j);
        return lo_error_set(err, LO_EBUSY, "the server is shutting down");
    }
    if (w->tail)
        w->tail->next = j;
    else
        w->head = j;
    w->tail = j;
    pthread_cond_signal(&w->more);
    pthread_mutex_unlock(&w->mu);
    return 0;
}

void lo_writer_stats(struct lo_writer *w, struct lo_writer_stats *out)
{
    pthread_mutex_lock(&w->mu);
    *out = w->stats;
    pthread_mutex_unlock(&w->mu);
}

int lo_app_write(struct lo_app *app, lo_write_fn fn, void *ctx, struct lo_error *err)
{
    if (app->writer)
        return lo_writer_run(app->writer, &app->who, app->actor, fn, ctx, err);
    struct lo_store *st = app->store;
    int rc = st->ops->begin(st, true, err);
    if (rc)
        return rc;
    rc = fn(app, ctx, err);
    if (!rc)
        rc = st->ops->commit(st, err);
    if (rc)
        st->ops->rollback(st);
    return rc;
}

int lo_app_write_async(struct lo_app *app, lo_write_fn fn, void *ctx, lo_write_done done,
                       void *arg, struct lo_error *err)
{
    if (app->writer)
        return lo_writer_submit(app->writer, &app->who, app->actor, fn, ctx, done, arg, err);
    struct lo_error e;
    lo_error_clear(&e);
    int rc = lo_app_write(app, fn, ctx, &e);
    done(arg, rc, &e);
    return 0;
}
