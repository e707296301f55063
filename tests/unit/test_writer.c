/*
 * test_writer.c - the group-commit writer (app/writer.h): many callers' jobs share commits,
 * a failing job leaves the others' writes alone, every acknowledged write is in the database,
 * and lo_app_write without a writer runs the same job in a transaction of its own. A refused
 * job's denial (lo_write_deny) is audited in the batch, outside the job's rolled-back writes,
 * or on its own when the batch's commit fails; on the command line alike.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/accounts.h"
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

/* ---- refused jobs: the denial is audited, the batch's other jobs stand ---------------------- */

static const struct lo_principal mallory = {
    .kind = LO_PRINCIPAL_USER, .user_id = 7, .name = "mallory", .role = LO_ROLE_ANNOTATOR,
};

/* A store whose next commit fails (and does nothing): the ops of the store it wraps, but commit.
 * ops comes first, so the store's ops pointer leads back to the whole. */
struct failing_commit {
    struct lo_store_ops ops;
    const struct lo_store_ops *orig;
};

static int commit_fails_once(struct lo_store *st, struct lo_error *err)
{
    const struct failing_commit *f = (const struct failing_commit *)st->ops;
    st->ops = f->orig; /* the writer's rollback, and anything after, are the real ones */
    return lo_error_set(err, LO_EIO, "commit fails on purpose");
}

struct deny_job {
    int n;
    bool refuse;                  /* append, note a denial, fail: only the denial must stay */
    struct failing_commit *fail_commit; /* when set: succeed, and make the batch's commit fail */
};

static int deny_job_fn(struct lo_app *app, void *ctx, struct lo_error *err)
{
    struct deny_job *d = ctx;
    struct job_ctx append = { .n = d->n, .fail = d->refuse };
    int rc = append_job(app, &append, err);
    if (rc != LO_ECONFLICT)
        return rc; /* the append itself failed, or this job succeeds */
    lo_error_clear(err);
    lo_write_deny(app, LO_ACT_ANNOTATE, "item", 40 + d->n, LO_EFORBIDDEN);
    return lo_error_set(err, LO_EFORBIDDEN, "job %d is refused", d->n);
}

static int deny_job_or_fail_commit(struct lo_app *app, void *ctx, struct lo_error *err)
{
    struct deny_job *d = ctx;
    int rc = deny_job_fn(app, ctx, err);
    if (!rc && d->fail_commit) {
        d->fail_commit->ops = *app->store->ops;
        d->fail_commit->ops.commit = commit_fails_once;
        d->fail_commit->orig = app->store->ops;
        app->store->ops = &d->fail_commit->ops;
    }
    return rc;
}

/* Holds the writer in a batch of its own until released, so that the jobs queued meanwhile
 * are taken together as the next batch. */
struct gate {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    bool entered, open;
    int done;                     /* jobs answered */
    int rc[4];
    char msg[4][64];
};

static int gate_job(struct lo_app *app, void *ctx, struct lo_error *err)
{
    struct gate *g = ctx;
    (void)app;
    (void)err;
    pthread_mutex_lock(&g->mu);
    g->entered = true;
    pthread_cond_broadcast(&g->cv);
    while (!g->open)
        pthread_cond_wait(&g->cv, &g->mu);
    pthread_mutex_unlock(&g->mu);
    return 0;
}

struct gate_answer {
    struct gate *g;
    int slot;
};

static void gate_done(void *arg, int rc, const struct lo_error *err)
{
    struct gate_answer *a = arg;
    pthread_mutex_lock(&a->g->mu);
    a->g->rc[a->slot] = rc;
    snprintf(a->g->msg[a->slot], sizeof(a->g->msg[a->slot]), "%s", rc ? err->msg : "");
    a->g->done++;
    pthread_cond_broadcast(&a->g->cv);
    pthread_mutex_unlock(&a->g->mu);
}

struct denial_tally {
    long test, failed, denied, other_audit;
    char order[16];               /* t (writer_test), f (writer_failed), d (access_denied) */
    struct lo_event denial;       /* the last access_denied, its strings copied below */
    char actor[32], object_type[32], payload[128];
};

static int denial_cb(void *ctx, const struct lo_event *e)
{
    struct denial_tally *c = ctx;
    size_t n = strlen(c->order);
    if (!strcmp(e->kind, "writer_test")) {
        c->test++;
        if (n + 1 < sizeof(c->order))
            c->order[n] = 't';
    } else if (!strcmp(e->kind, "writer_failed")) {
        c->failed++;
        if (n + 1 < sizeof(c->order))
            c->order[n] = 'f';
    } else if (!strcmp(e->kind, "access_denied")) {
        c->denied++;
        if (n + 1 < sizeof(c->order))
            c->order[n] = 'd';
        c->denial = *e;
        snprintf(c->actor, sizeof(c->actor), "%s", e->actor ? e->actor : "");
        snprintf(c->object_type, sizeof(c->object_type), "%s", e->object_type);
        snprintf(c->payload, sizeof(c->payload), "%s", e->payload_json);
    } else if (e->audit_seq) {
        c->other_audit++;
    }
    return 0;
}

/* Tallies the events of db and checks its audit chain. */
static void tally_denials(const char *db, struct denial_tally *c)
{
    struct lo_app app;
    struct lo_error err;
    struct lo_arena arena;
    memset(c, 0, sizeof(*c));
    lo_error_clear(&err);
    CHECK_INT(lo_app_open(&app, db, &err), 0);
    lo_arena_init(&arena, 4096);
    CHECK_INT(app.store->ops->begin(app.store, false, &err), 0);
    CHECK_INT(app.store->ops->event_list(app.store, 0, &arena, denial_cb, c, &err), 0);
    app.store->ops->rollback(app.store);
    int64_t checked = 0, bad = 0;
    CHECK_INT(lo_app_audit_verify(&app, &checked, &bad, &err), 0);
    CHECK_INT(checked, c->denied + c->other_audit);
    lo_arena_free(&arena);
    lo_app_close(&app);
}

/* The writer runs the gate alone, then ok1, the refused job and ok2 as one batch. */
static void run_gated_batch(const char *db, struct deny_job jobs[3], struct gate *g,
                            struct lo_writer_stats *stats)
{
    struct lo_writer *w = NULL;
    struct lo_error err;
    lo_error_clear(&err);
    CHECK_INT(lo_writer_start(db, &w, &err), 0);
    if (!w)
        return;
    struct gate_answer answers[4] = { { g, 0 }, { g, 1 }, { g, 2 }, { g, 3 } };
    CHECK_INT(lo_writer_submit(w, &mallory, NULL, gate_job, g, gate_done, &answers[0], &err), 0);
    pthread_mutex_lock(&g->mu);
    while (!g->entered)
        pthread_cond_wait(&g->cv, &g->mu);
    pthread_mutex_unlock(&g->mu);
    for (int i = 0; i < 3; i++)
        CHECK_INT(lo_writer_submit(w, &mallory, NULL, deny_job_or_fail_commit, &jobs[i],
                                   gate_done, &answers[i + 1], &err),
                  0);
    pthread_mutex_lock(&g->mu);
    g->open = true;
    pthread_cond_broadcast(&g->cv);
    while (g->done < 4)
        pthread_cond_wait(&g->cv, &g->mu);
    pthread_mutex_unlock(&g->mu);
    /* A job of one more batch: when it returns, the batches before it are counted too (the
     * writer answers a batch's asynchronous jobs before it counts the batch). */
    struct job_ctx last = { .n = 99 };
    CHECK_INT(lo_writer_run(w, &mallory, NULL, append_job, &last, &err), 0);
    lo_writer_stats(w, stats);
    lo_writer_stop(w);
}

static void gate_init(struct gate *g)
{
    memset(g, 0, sizeof(*g));
    pthread_mutex_init(&g->mu, NULL);
    pthread_cond_init(&g->cv, NULL);
}

static void gate_destroy(struct gate *g)
{
    pthread_mutex_destroy(&g->mu);
    pthread_cond_destroy(&g->cv);
}

static void test_refused_job_is_audited_and_its_batch_commits(void)
{
    char db[512];
    snprintf(db, sizeof(db), "%s/denied.db", lo_test_tmpdir());
    struct gate g;
    gate_init(&g);
    struct deny_job jobs[3] = { { .n = 1 }, { .n = 2, .refuse = true }, { .n = 3 } };
    struct lo_writer_stats stats;
    memset(&stats, 0, sizeof(stats));
    run_gated_batch(db, jobs, &g, &stats);
    /* the three jobs shared one commit */
    CHECK_INT((long long)stats.jobs, 5);
    CHECK_INT((long long)stats.commits, 3);
    CHECK_INT((long long)stats.max_batch, 3);
    CHECK_INT(g.rc[1], 0);
    CHECK_INT(g.rc[2], LO_EFORBIDDEN);
    CHECK(strstr(g.msg[2], "job 2 is refused") != NULL);
    CHECK_INT(g.rc[3], 0);

    struct denial_tally c;
    tally_denials(db, &c);
    CHECK_INT(c.test, 3);   /* both other jobs' writes are stored (and the last job's) */
    /* the denial was written in the batch, where the refused job ran, not after it */
    CHECK_STR(c.order, "tdtt");
    CHECK_INT(c.failed, 0); /* the refused job's own write is not */
    CHECK_INT(c.denied, 1);
    CHECK_STR(c.actor, "mallory");
    CHECK_STR(c.object_type, "item");
    CHECK_INT(c.denial.object_id, 42);
    CHECK_STR(c.payload, "{\"action\":\"annotate\",\"answer\":\"forbidden\"}");
    CHECK_INT(c.denial.audit_seq, 1);
    gate_destroy(&g);
}

static void test_refused_job_is_audited_when_its_batch_fails(void)
{
    char db[512];
    snprintf(db, sizeof(db), "%s/denied-failed.db", lo_test_tmpdir());
    struct gate g;
    gate_init(&g);
    struct failing_commit fc;
    struct deny_job jobs[3] = { { .n = 1 }, { .n = 2, .refuse = true },
                                { .n = 3, .fail_commit = &fc } };
    struct lo_writer_stats stats;
    memset(&stats, 0, sizeof(stats));
    run_gated_batch(db, jobs, &g, &stats);
    CHECK_INT((long long)stats.max_batch, 3);
    /* nothing of the batch is durable, so the jobs that had succeeded fail */
    CHECK_INT(g.rc[1], LO_EIO);
    CHECK(strstr(g.msg[1], "on purpose") != NULL);
    CHECK_INT(g.rc[2], LO_EFORBIDDEN);
    CHECK_INT(g.rc[3], LO_EIO);

    struct denial_tally c;
    tally_denials(db, &c);
    CHECK_INT(c.test, 1);   /* the last job's, in a batch after */
    CHECK_STR(c.order, "dt");
    CHECK_INT(c.failed, 0);
    CHECK_INT(c.denied, 1); /* written again on its own, once */
    CHECK_STR(c.actor, "mallory");
    CHECK_INT(c.denial.object_id, 42);
    gate_destroy(&g);
}

static void test_refused_job_is_audited_without_writer(void)
{
    char db[512];
    snprintf(db, sizeof(db), "%s/denied-direct.db", lo_test_tmpdir());
    struct lo_app app;
    struct lo_error err;
    lo_error_clear(&err);
    CHECK_INT(lo_app_open(&app, db, &err), 0);
    app.who = mallory; /* as `--as mallory` on the command line */
    app.actor = mallory.name;
    struct deny_job ok = { .n = 1 }, refused = { .n = 5, .refuse = true };
    CHECK_INT(lo_app_write(&app, deny_job_fn, &ok, &err), 0);
    CHECK_INT(lo_app_write(&app, deny_job_fn, &refused, &err), LO_EFORBIDDEN);
    CHECK(strstr(err.msg, "job 5 is refused") != NULL);
    CHECK(app.denial == NULL);
    CHECK_STR(app.actor, "mallory");
    lo_app_close(&app);

    struct denial_tally c;
    tally_denials(db, &c);
    CHECK_INT(c.test, 1);
    CHECK_INT(c.failed, 0);
    CHECK_INT(c.denied, 1);
    CHECK_STR(c.actor, "mallory");
    CHECK_STR(c.object_type, "item");
    CHECK_INT(c.denial.object_id, 45);
    CHECK_STR(c.payload, "{\"action\":\"annotate\",\"answer\":\"forbidden\"}");
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
        LO_T(test_refused_job_is_audited_and_its_batch_commits),
        LO_T(test_refused_job_is_audited_when_its_batch_fails),
        LO_T(test_refused_job_is_audited_without_writer),
        LO_T(test_stopped_writer_refuses),
    };
    return lo_test_run(tests, sizeof(tests) / sizeof(tests[0]), argc, argv);
}
