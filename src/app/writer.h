/*
 * writer.h - group commit: one thread that owns the server's write connection and runs the
 * write work of many requests in one transaction, each in its own savepoint.
 *
 * A durable SQLite commit costs an fsync (about 0.25 ms here), so a server that committed each
 * request on its own could not pass about 4,000 writes per second whatever its thread count.
 * The writer takes every job waiting in its queue, runs them one after another inside one
 * BEGIN IMMEDIATE (a failing job is rolled back to its savepoint and leaves the others alone;
 * a refused job's denial is audited after that rollback, see lo_write_deny), commits once, and
 * only then wakes each job's caller: every acknowledged write is durable.
 * Jobs run one at a time, so a job sees all earlier jobs' writes and no two race: the
 * workflow's counters (labels wanted, leased, done) need no further locking.
 */
#ifndef LO_APP_WRITER_H
#define LO_APP_WRITER_H

#include "app/app.h"

struct lo_writer;

/* The work of one request, run by the writer thread with wapp: the writer's app, whose store
 * is inside a write transaction and whose who/actor are the caller's. A non-zero return rolls
 * the job's writes back and is returned to the caller with err. */
typedef int (*lo_write_fn)(struct lo_app *wapp, void *ctx, struct lo_error *err);

/* A refusal noted by a job (lo_write_deny): what was refused and the answer given. */
struct lo_write_denial {
    bool noted;
    enum lo_action action;
    char object_type[24];
    int64_t object_id;
    int code;                     /* LO_EFORBIDDEN or LO_ENOTFOUND */
};

/* Inside a job: the caller (wapp->who) was refused action on object_type object_id, answered
 * code. A job cannot write the audited access_denied event itself (its writes are rolled back
 * when it fails, and it must not end the shared transaction), so it notes the denial and
 * returns its error as usual; after rolling the job back, the writer -- or lo_app_write on the
 * command line, by the same code -- appends the event in the same transaction, outside the
 * job's savepoint, so it commits with the batch. When that commit fails, the event is written
 * again in a transaction of its own. The first denial of a job is kept; one that is not a
 * user's, or with another code, is not recorded (as with lo__app_authorize). Thread: the
 * job's. */
void lo_write_deny(struct lo_app *wapp, enum lo_action action, const char *object_type,
                   int64_t object_id, int code);

/* Starts the writer on its own connection to db_path. */
int lo_writer_start(const char *db_path, struct lo_writer **out, struct lo_error *err);
/* Runs the jobs still queued, then stops the thread and closes the connection. */
void lo_writer_stop(struct lo_writer *w);

/* Queues fn(ctx) and waits until it ran and its transaction is durable (or failed). who and
 * actor are the caller's, used for policy checks and events inside fn. */
int lo_writer_run(struct lo_writer *w, const struct lo_principal *who, const char *actor,
                  lo_write_fn fn, void *ctx, struct lo_error *err);

/* Called on the writer thread once an asynchronous job ran and its transaction is durable (rc
 * 0) or failed (rc and err). It must be quick: the next batch waits for it. */
typedef void (*lo_write_done)(void *arg, int rc, const struct lo_error *err);

/* Queues fn(ctx) and returns at once; done(arg, ...) is called from the writer thread when the
 * job's commit is durable. who and actor are copied. ctx must live until done. LO_EBUSY when
 * the writer is stopping (done is not called then). */
int lo_writer_submit(struct lo_writer *w, const struct lo_principal *who, const char *actor,
                     lo_write_fn fn, void *ctx, lo_write_done done, void *arg,
                     struct lo_error *err);

struct lo_writer_stats {
    unsigned long long jobs, commits, max_batch;
    double busy_s;        /* time spent running batches, commits included */
    double commit_s;      /* of which committing (the fsync) */
};
void lo_writer_stats(struct lo_writer *w, struct lo_writer_stats *out);

/* Runs fn with app as it is: through app->writer when the app has one (the server), otherwise
 * in a write transaction of its own on app->store (the command line). */
int lo_app_write(struct lo_app *app, lo_write_fn fn, void *ctx, struct lo_error *err);
/* The same without waiting: through the writer, done runs on the writer thread after the
 * commit; without one, the job runs now and done is called before this returns. Returns 0 when
 * done will be (or was) called, an error otherwise. */
int lo_app_write_async(struct lo_app *app, lo_write_fn fn, void *ctx, lo_write_done done,
                       void *arg, struct lo_error *err);

#endif
