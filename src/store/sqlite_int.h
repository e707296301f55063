/*
 * sqlite_int.h - what the files of the SQLite store share. store_sqlite.c owns the connection
 * (and projects, items, export, accounts); store_sqlite_wf.c adds the workflow's queue (tasks,
 * leases, seen) and the workflow operations table; store_sqlite_review.c adds labels, reviews,
 * flags, lots and workers; sqlite_util.c holds the helpers all of them use to prepare, bind,
 * step and read. Nobody outside src/store/ includes it.
 */
#ifndef LO_STORE_SQLITE_INT_H
#define LO_STORE_SQLITE_INT_H

#include <sqlite3.h>
#include <stdbool.h>
#include <stdint.h>

#include "base/arena.h"
#include "base/err.h"
#include "store/store_wf.h"

struct lo_store;
struct lo_sq_stmts; /* one part's statements in one connection (sqlite_util.c) */

/* ---- the connection (store_sqlite.c) ------------------------------------------------------- */

/* The files that number statements of their own, each kept apart in every connection. */
enum lo_sq_part { LO_SQ_PART_WF, LO_SQ_PART_REVIEW, LO_SQ_PARTS };

sqlite3 *lo__sq_db(struct lo_store *st);
/* True inside a write transaction. */
bool lo__sq_writing(struct lo_store *st);
/* Where the connection keeps part's statements (NULL until first used); close frees them. */
struct lo_sq_stmts **lo__sq_part_slot(struct lo_store *st, enum lo_sq_part part);
/* Maps an SQLite result code to an lo_err and records "what: sqlite's message". */
int lo__sq_fail(struct lo_store *st, int rc, const char *what, struct lo_error *err);

/* ---- helpers for every file of the store (sqlite_util.c) --------------------------------- */

/* A part's SQL: count constant texts, indexed by the part's own statement enum. */
struct lo_sq_sql {
    enum lo_sq_part part;
    int count;
    const char *const *text;
};

/* Prepares sql into *slot unless it is there already (SQLITE_PREPARE_PERSISTENT: it is kept
 * until the connection closes and finalizes it). On failure, the error names what. */
int lo__sq_prepare(struct lo_store *st, const char *sql, const char *what, sqlite3_stmt **slot,
                   struct lo_error *err);
/* Finalizes count statements (NULL ones are skipped). */
void lo__sq_finalize(sqlite3_stmt **stmts, int count);
void lo__sq_stmts_free(struct lo_sq_stmts *stmts);
/* Statement id of sql for this connection, prepared on first use, its bindings cleared. The
 * statement stays the connection's: use it, reset it, never finalize it. */
int lo__sq_stmt(struct lo_store *st, const struct lo_sq_sql *sql, int id, sqlite3_stmt **out,
                struct lo_error *err);
/* The same for a statement that writes: LO_EUSAGE, naming op, outside a write transaction. */
int lo__sq_write_stmt(struct lo_store *st, const struct lo_sq_sql *sql, int id, const char *op,
                      sqlite3_stmt **out, struct lo_error *err);

/* Binds v, not copied (it must live until the statement is reset); NULL binds NULL. */
int lo__sq_bind_text(sqlite3_stmt *stmt, int i, const char *v);
/* Binds v; NAN (unset) binds NULL. */
int lo__sq_bind_double(sqlite3_stmt *stmt, int i, double v);
/* Binds an id; 0 (none) binds NULL. */
int lo__sq_bind_id(sqlite3_stmt *stmt, int i, int64_t v);
/* Column i as a double; NULL reads as NAN. */
double lo__sq_col_double(sqlite3_stmt *stmt, int i);
/* Copies text column i into arena, NULL stays NULL: 0, or LO_ENOMEM. */
int lo__sq_col_text(sqlite3_stmt *stmt, int i, struct lo_arena *arena, const char **out);
/* lo__sq_col_text for readers that check once per row: returns the copy (NULL for NULL) and
 * sets *bad when memory ran out, leaving it alone otherwise. */
const char *lo__sq_col_dup(sqlite3_stmt *stmt, int i, struct lo_arena *arena, bool *bad);

/* Steps a statement whose rows are not needed (bindings done), then resets it: 0 or an error
 * naming what. */
int lo__sq_run(struct lo_store *st, sqlite3_stmt *stmt, const char *what, struct lo_error *err);
/* lo__sq_run for an INSERT: on success the new rowid goes to *id_out (when not NULL). */
int lo__sq_insert(struct lo_store *st, sqlite3_stmt *stmt, const char *what, int64_t *id_out,
                  struct lo_error *err);
/* Steps once: 1 with a row (the caller reads it, then resets), 0 at the end (reset), or a
 * negative error naming what (reset). */
int lo__sq_step(struct lo_store *st, sqlite3_stmt *stmt, const char *what, struct lo_error *err);
/* Resets stmt (a no-op when the caller has reset it already) and reports that memory ran out
 * reading what: LO_ENOMEM. */
int lo__sq_nomem(sqlite3_stmt *stmt, const char *what, struct lo_error *err);

/* ---- the workflow operations --------------------------------------------------------------- */

/* The table st->ops->wf points at (store_sqlite_wf.c). */
extern const struct lo_wf_store_ops lo__sq_wf_ops;

/* store_sqlite_review.c: the operations of that table that live there (see store_wf.h). */
int lo__sq_wf_worker_get(struct lo_store *st, int64_t project_id, int64_t user_id,
                         struct lo_arena *arena, struct lo_worker_row *out, bool *found,
                         struct lo_error *err);
int lo__sq_wf_worker_put(struct lo_store *st, const struct lo_worker_row *w, struct lo_error *err);
int lo__sq_wf_worker_list(struct lo_store *st, int64_t project_id, struct lo_arena *arena,
                          lo_worker_row_cb cb, void *ctx, struct lo_error *err);
int lo__sq_wf_vendor_labels(struct lo_store *st, int64_t project_id, int64_t vendor_id,
                            int64_t *vendor_out, int64_t *all_out, struct lo_error *err);
int lo__sq_wf_annotation_add(struct lo_store *st, const struct lo_wf_annotation *a, int64_t *id_out,
                             struct lo_error *err);
int lo__sq_wf_annotation_get(struct lo_store *st, int64_t id, struct lo_arena *arena,
                             struct lo_wf_annotation *out, struct lo_error *err);
int lo__sq_wf_annotation_list(struct lo_store *st, int64_t item_id, const char *status,
                              struct lo_arena *arena, lo_wf_annotation_cb cb, void *ctx,
                              struct lo_error *err);
int lo__sq_wf_annotation_set_status(struct lo_store *st, int64_t id, const char *status,
                                    struct lo_error *err);
int lo__sq_wf_annotation_edit(struct lo_store *st, int64_t id, int expected_version,
                              const char *value_json, struct lo_error *err);
int lo__sq_wf_annotation_invalidate(struct lo_store *st, int64_t project_id, int64_t user_id,
                                    int64_t since_ms, struct lo_arena *arena,
                                    lo_wf_annotation_cb cb, void *ctx, struct lo_error *err);
int lo__sq_wf_annotation_tally(struct lo_store *st, int64_t project_id, int64_t user_id,
                               int64_t since_ms, int64_t *labels_out, double *seconds_out,
                               struct lo_error *err);
int lo__sq_wf_review_add(struct lo_store *st, const struct lo_review_row *r, int64_t *id_out,
                         struct lo_error *err);
int lo__sq_wf_review_last(struct lo_store *st, int64_t annotation_id, struct lo_arena *arena,
                          struct lo_review_row *out, struct lo_error *err);
int lo__sq_wf_review_list_author(struct lo_store *st, int64_t project_id, int64_t author_id,
                                 int limit, struct lo_arena *arena, lo_review_row_cb cb, void *ctx,
                                 struct lo_error *err);
int lo__sq_wf_flag_add(struct lo_store *st, const struct lo_flag_row *f, int64_t *id_out,
                       struct lo_error *err);
int lo__sq_wf_flag_resolve(struct lo_store *st, int64_t item_id, int64_t now_ms,
                           struct lo_arena *arena, const char **prior_state, struct lo_error *err);
int lo__sq_wf_flag_list_open(struct lo_store *st, int64_t project_id, int limit,
                             struct lo_arena *arena, lo_flag_row_cb cb, void *ctx,
                             struct lo_error *err);
int lo__sq_wf_item_get(struct lo_store *st, int64_t item_id, struct lo_arena *arena,
                       struct lo_item *out, struct lo_error *err);
int lo__sq_wf_prediction_latest(struct lo_store *st, int64_t item_id, struct lo_arena *arena,
                                struct lo_prediction *out, struct lo_error *err);
int lo__sq_wf_event_list_item(struct lo_store *st, int64_t item_id, struct lo_arena *arena,
                              int (*cb)(void *ctx, const struct lo_event *e), void *ctx,
                              struct lo_error *err);
int lo__sq_wf_project_name(struct lo_store *st, int64_t project_id, struct lo_arena *arena,
                           const char **out, struct lo_error *err);
int lo__sq_wf_annotation_scan(struct lo_store *st, int64_t project_id, struct lo_arena *arena,
                              int (*cb)(void *ctx, const struct lo_wf_annotation *a,
                                        const char *state, bool is_gold),
                              void *ctx, struct lo_error *err);
int lo__sq_wf_lot_open(struct lo_store *st, int64_t project_id, int64_t vendor_id,
                       struct lo_lot_row *out, struct lo_arena *arena, struct lo_error *err);
int lo__sq_wf_lot_get(struct lo_store *st, int64_t id, struct lo_lot_row *out,
                      struct lo_arena *arena, struct lo_error *err);
int lo__sq_wf_lot_create(struct lo_store *st, struct lo_lot_row *l, struct lo_error *err);
int lo__sq_wf_lot_put(struct lo_store *st, const struct lo_lot_row *l, struct lo_error *err);
int lo__sq_wf_lot_list(struct lo_store *st, int64_t project_id, int limit, struct lo_arena *arena,
                       int (*cb)(void *ctx, const struct lo_lot_row *l), void *ctx,
                       struct lo_error *err);

#endif
