/*
 * test_writer.c - the group-commit writer (app/writer.h): many callers' jobs share commits,
 * a failing job leaves the others' writes alone, every acknowledged write is in the database,
 * and lo_app_write without a writer runs the same job in a transaction of its own.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/app.h"
#include "app/writer.h"
#include "harness.h"

#define THREADS 8
#define JOBS 150

struct job_ctx {
    int n;          /* the job's number */
    bool fail;      /* append, then fail: the append must be rolled back */
};

static int append_job(struct lo_app *app, void *ctx, struct lo_error *err)
{
    struct job_ctx *j = ctx;
    char payload[64];
    snprintf(payload, sizeof(payload), "{\"n\":%d}", j->n);
    struct lo_event e = {
        .kind = j->fail ? "writer_failed" : "writer_test",
        .actor = app->actor,
        .object_type = "test",
        .object_id = j->n,
        .payload_json = payload,
        .created_ms = 1,
    };
    int rc = app->store->ops->event_append(app->store, &e, NULL, err);
    if (!rc && j->fail)
        rc = lo_error_set(err, LO_ECONFLICT, "job %d fails on purpose", j->n);
    return rc;
}

struct thread_arg {
    struct lo_writer *w;
    int first;
    int ok, failed_as_asked, wrong;
};

static void *caller(void *arg)
{
    struct thread_arg *t = arg;
    struct lo_principal who = { .kind = LO_PRINCIPAL_LOCAL, .name = "tester" };
    for (int i = 0; i < JOBS; i++) {
        struct job_ctx j = { .n = t->first + i, .fail = (t->first + i) % 10 == 3 };
        struct lo_error err;
        lo_error_clear(&err);
        int rc = lo_writer_run(t->w, &who, "tester", append_job, &j, &err);
        if (!rc && !j.fail)
            t->ok++;
        else if (rc == LO_ECONFLICT && j.fail && strstr(err.msg, "on purpose"))
            t->failed_as_asked++;
        else
            t->wrong++;
    }
    return NULL;
}

struct count_ctx {
    long test, failed;
    bool seen[THREADS * JOBS];
};

static int count_cb(void *ctx, const struct lo_event *e)
{
    struct count_ctx *c = ctx;
    if (!strcmp(e->kind, "writer_test")) {
        c->test++;
        if (e->object_id >= 0 && e->object_id < THREADS * JOBS)
            c->seen[e->object_id] = true;
    } else if (!strcmp(e->kind, "writer_failed")) {
        c->failed++;
    }
    return 0;
}

static int count_events(const char *db, struct count_ctx *c)
{
    struct lo_app app;
    struct lo_error err;
    struct lo_arena arena;
    memset(c, 0, sizeof(*c));
    if (lo_app_open(&app, db, &err))
        return -1;
    lo_arena_init(&arena, 4096);
    int rc = app.store->ops->begin(app.store, false, &err);
    if (!rc)
        rc = app.store->ops->event_list(app.store, 0, &arena, count_cb, c, &err);
    app.store->ops->rollback(app.store);
    lo_arena_free(&arena);
    lo_app_close(&app);
    return rc;
}

static void test_group_commit(void)
{
    char db[512];
    snprintf(db, sizeof(db), "%s/writer.db", lo_test_tmpdir());
    struct lo_writer *w = NULL;
    struct lo_error err;
    lo_error_clear(&err);
    CHECK_INT(lo_writer_start(db, &w, &err), 0);
    pthread_t th[THREADS];
    struct thread_arg args[THREADS];
    for (int i = 0; i < THREADS; i++) {
        args[i] = (struct thread_arg){ .w = w, .first = i * JOBS };
        CHECK_INT(pthread_create(&th[i], NULL, caller, &args[i]), 0);
    }
    int ok = 0, failed = 0, wrong = 0;
    for (int i = 0; i < THREADS; i++) {
        pthread_join(th[i], NULL);
        ok += args[i].ok;
        failed += args[i].failed_as_asked;
        wrong += args[i].wrong;
    }
    struct lo_writer_stats stats;
    lo_writer_stats(w, &stats);
    lo_writer_stop(w);

    CHECK_INT(wrong, 0);
    CHECK_INT(failed, THREADS * JOBS / 10);
    CHECK_INT(ok + failed, THREADS * JOBS);
    CHECK_INT((long long)stats.jobs, THREADS * JOBS);
    /* Callers waiting together shared commits: that is the point of the writer. */
    CHECK_MSG(stats.commits < stats.jobs && stats.max_batch >= 2,
              "%llu commits for %llu jobs, largest batch %llu", stats.commits, stats.jobs,
              stats.max_batch);

    /* What was acknowledged is there, once each; what failed left nothing. */
    struct count_ctx *c = calloc(1, sizeof(*c));
    CHECK(c);
    CHECK_INT(count_events(db, c), 0);
    CHECK_INT(c->test, ok);
    CHECK_INT(c->failed, 0);
    for (int n = 0; n < THREADS * JOBS; n++)
        CHECK_MSG(c->seen[n] == (n % 10 != 3), "job %d: stored %d", n, c->seen[n]);
    free(c);
}

/* Asynchronous jobs (the server's next-task and submit): done is called once per job, after
 * the commit, with the job's result, from the writer's thread; they share commits with the
 * waiting callers'. */
struct async_tally {
    pthread_mutex_t mu;
    int called, ok, failed, wrong;
    pthread_t submitter;       /* the thread that queued the jobs */
    bool on_submitter;         /* done ran on it (it must not) */
};

struct async_arg {
    struct async_tally *t;
    struct job_ctx job;
};

static void async_done(void *arg, int rc, const struct lo_error *err)
{
    struct async_arg *a = arg;
    pthread_mutex_lock(&a->t->mu);
    a->t->called++;
    if (!rc && !a->job.fail)
        a->t->ok++;
    else if (rc == LO_ECONFLICT && a->job.fail && strstr(err->msg, "on purpose"))
        a->t->failed++;
    else
        a->t->wrong++;
    if (pthread_equal(pthread_self(), a->t->submitter))
        a->t->on_submitter = true;
    pthread_mutex_unlock(&a->t->mu);
}

static void test_async_jobs(void)
{
    char db[512];
    snprintf(db, sizeof(db), "%s/async.db", lo_test_tmpdir());
    struct lo_writer *w = NULL;
    struct lo_error err;
    lo_error_clear(&err);
    CHECK_INT(lo_writer_start(db, &w, &err), 0);
    struct async_tally t = { .submitter = pthread_self() };
    pthread_mutex_init(&t.mu, NULL);
    enum { N = 300 };
    struct async_arg *args = calloc(N, sizeof(*args));
    CHECK(args);
    struct lo_principal who = { .kind = LO_PRINCIPAL_LOCAL, .name = "tester" };
    for (int i = 0; i < N; i++) {
        args[i] = (struct async_arg){ .t = &t, .job = { .n = i, .fail = i % 10 == 3 } };
        CHECK_INT(lo_writer_submit(w, &who, "tester", append_job, &args[i].job, async_done,
                                   &args[i], &err),
                  0);
    }
    lo_writer_stop(w); /* runs what is queued, then stops */
    CHECK_INT(t.called, N);
    CHECK_INT(t.wrong, 0);
    CHECK_INT(t.failed, N / 10);
    CHECK_INT(t.ok, N - N / 10);
    CHECK_MSG(!t.on_submitter, "done ran on the submitting thread");
    struct count_ctx *c = calloc(1, sizeof(*c));
    CHECK(c);
    CHECK_INT(count_events(db, c), 0);
    CHECK_INT(c->test, N - N / 10);
    CHECK_INT(c->failed, 0);
    free(c);
    free(args);
    pthread_mutex_destroy(&t.mu);
}

static void test_without_writer(void)
{
    char db[512];
    snprintf(db, sizeof(db), "%s/direct.db", lo_test_tmpdir());
    struct lo_app app;
    struct lo_error err;
    lo_error_clear(&err);
    CHECK_INT(lo_app_open(&app, db, &err), 0);
    struct job_ctx good = { .n = 1 }, bad = { .n = 2, .fail = true };
    CHECK_INT(lo_app_write(&app, append_job, &good, &err), 0);
    CHECK_INT(lo_app_write(&app, append_job, &bad, &err), LO_ECONFLICT);
    lo_app_close(&app);
    struct count_ctx *c = calloc(1, sizeof(*c));
    CHECK(c);
    CHECK_INT(count_events(db, c), 0);
    CHECK_INT(c->test, 1);
    CHECK_INT(c->failed, 0);
    free(c);
}

static void test_stopped_writer_refuses(void)
{
    /* lo_writer_stop runs what is queued; nothing can be queued after it (covered by the
     * server's shutdown test); here: a writer on a bad path does not start. */
    struct lo_writer *w = NULL;
    struct lo_error err;
    lo_error_clear(&err);
    int rc = lo_writer_start("/nonexistent-dir/x/y.db", &w, &err);
    CHECK(rc != 0);
    CHECK(w == NULL);
    CHECK(strstr(err.msg, "y.db") != NULL);
}

int main(int argc, char **argv)
{
    static const struct lo_test tests[] = {
        LO_T(test_group_commit),
        LO_T(test_async_jobs),
        LO_T(test_without_writer),
        LO_T(test_stopped_writer_refuses),
    };
    return lo_test_run(tests, sizeof(tests) / sizeof(tests[0]), argc, argv);
}
