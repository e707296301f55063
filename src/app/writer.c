/*
 * writer.c - the group-commit writer (writer.h), and lo_app_write, which runs a job through it
 * or, on the command line, through the same batch code with a batch of one.
 *
 * A job never ends the transaction it runs in: it may be one of many sharing a commit. A
 * refused job notes its denial (lo_write_deny); the batch code writes the audited event after
 * rolling the job back, never the job itself.
 */
#include "app/writer.h"

#include <assert.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/app_int.h"
#include "base/clock.h"
#include "base/limits.h"

struct job {
    lo_write_fn fn;
    void *ctx;
    struct lo_principal who;
    const char *actor;
    int rc;
    struct lo_error err;
    struct lo_write_denial denial; /* noted by the job when it refused its caller */
    bool denial_in_batch;          /* its event was appended in the batch's transaction */
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

void lo_write_deny(struct lo_app *wapp, enum lo_action action, const char *object_type,
                   int64_t object_id, int code)
{
    assert(wapp->denial); /* only a job may note a denial: elsewhere, lo__app_record_denial */
    struct lo_write_denial *d = wapp->denial;
    if (!d || d->noted || wapp->who.kind != LO_PRINCIPAL_USER)
        return;
    if (code != LO_EFORBIDDEN && code != LO_ENOTFOUND)
        return;
    *d = (struct lo_write_denial){ .noted = true, .action = action, .object_id = object_id,
                                   .code = code };
    snprintf(d->object_type, sizeof(d->object_type), "%s", object_type ? object_type : "");
}

/* The app acts for the job's caller. */
static void act_as(struct lo_app *app, const struct job *j)
{
    app->who = j->who;
    app->actor = j->actor ? j->actor : (j->who.name ? j->who.name : "server");
}

static int denial_event(struct lo_app *app, const struct job *j, struct lo_error *err)
{
    return lo__app_denial_event(app, j->denial.action, j->denial.object_type,
                                j->denial.object_id, j->denial.code, err);
}

/* Appends the job's denial inside the open transaction, in a savepoint of its own, so a
 * failure here leaves the other jobs' writes alone. */
static int append_denial(struct lo_app *app, const struct job *j)
{
    struct lo_store *st = app->store;
    struct lo_error err;
    lo_error_clear(&err);
    int rc = st->ops->wf->savepoint(st, &err);
    if (rc)
        return rc;
    rc = denial_event(app, j, &err);
    if (rc)
        st->ops->wf->savepoint_rollback(st);
    else
        rc = st->ops->wf->savepoint_release(st, &err);
    return rc;
}

/* Writes the job's denial in a transaction of its own (its batch did not commit it). There is
 * nobody left to tell when this fails too: the caller has its answer either way. */
static void record_denial_alone(struct lo_app *app, const struct job *j)
{
    struct lo_store *st = app->store;
    struct lo_error err;
    lo_error_clear(&err);
    act_as(app, j);
    int rc = st->ops->begin(st, true, &err);
    if (rc)
        return;
    rc = denial_event(app, j, &err);
    if (!rc)
        rc = st->ops->commit(st, &err);
    if (rc)
        st->ops->rollback(st);
}

/* Runs one job in its savepoint inside the open transaction; then, when the job noted a
 * denial, appends it outside that savepoint (after the rollback of a refused job). */
static void run_job(struct lo_app *app, struct job *j)
{
    struct lo_store *st = app->store;
    act_as(app, j);
    lo_error_clear(&j->err);
    j->denial = (struct lo_write_denial){ .noted = false };
    j->denial_in_batch = false;
    j->rc = st->ops->wf->savepoint(st, &j->err);
    if (j->rc)
        return;
    app->denial = &j->denial;
    j->rc = j->fn(app, j->ctx, &j->err);
    app->denial = NULL;
    if (j->rc)
        st->ops->wf->savepoint_rollback(st);
    else
        j->rc = st->ops->wf->savepoint_release(st, &j->err);
    if (j->denial.noted)
        j->denial_in_batch = append_denial(app, j) == 0;
}

/* Runs a batch (a list linked through next) in one transaction of app's store and commits it;
 * a denial that did not commit with it is then written on its own. Returns the seconds the
 * commit took. The writer thread and lo_app_write (a batch of one) both come here. */
static double run_batch(struct lo_app *app, struct job *batch)
{
    double commit_s = 0;
    struct lo_store *st = app->store;
    struct lo_error err;
    lo_error_clear(&err);
    int rc = st->ops->begin(st, true, &err);
    if (!rc) {
        for (struct job *j = batch; j; j = j->next)
            run_job(app, j);
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
    for (struct job *j = batch; j; j = j->next)
        if (j->denial.noted && (rc || !j->denial_in_batch))
            record_denial_alone(app, j);
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
        double commit_s = run_batch(&w->app, batch);
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
    /* The command line: the writer's own batch code with a batch of one, in a transaction of
     * its own, so a refused job is audited exactly as on the server. */
    const char *actor = app->actor;
    struct job j = { .fn = fn, .ctx = ctx, .who = app->who, .actor = actor };
    run_batch(app, &j);
    app->actor = actor;
    if (j.rc && err)
        *err = j.err;
    return j.rc;
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
