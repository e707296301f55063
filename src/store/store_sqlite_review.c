/*
 * store_sqlite_review.c - the workflow's labels and their review in the SQLite store
 * (store_wf.h): workers (a user's standing in a project), annotations with their status and
 * version, reviews, flags, lots of lot-based review, and the reads of an item, its latest
 * prediction, its history and its project's name that the review pages need.
 *
 * The operations are named in lo__sq_wf_ops (store_sqlite_wf.c), so they are not static; no
 * one else calls them. Each connection keeps this file's prepared statements apart from the
 * other files' (made on first use); the connection and the helpers that prepare, bind, step and
 * read come from store_sqlite.c and sqlite_util.c through sqlite_int.h. It never builds SQL text:
 * values travel as bound parameters.
 */
#include <math.h>
#include <sqlite3.h>
#include <string.h>

#include "store/sqlite_int.h"
#include "store/store.h"

enum review_stmt {
    R_WORKER_GET,
    R_WORKER_PUT,
    R_WORKER_LIST,
    R_VENDOR_LABELS,
    R_ANN_ADD,
    R_ANN_GET,
    R_ANN_LIST,
    R_ANN_LIST_ALL,
    R_ANN_STATUS,
    R_ANN_EDIT,
    R_ANN_EXISTS,
    R_ANN_INVALIDATE,
    R_ANN_TALLY,
    R_REVIEW_ADD,
    R_REVIEW_LAST,
    R_REVIEW_AUTHOR,
    R_FLAG_ADD,
    R_FLAG_RESOLVE,
    R_FLAG_OPEN,
    R_ITEM_GET,
    R_PRED_LATEST,
    R_EVENT_ITEM,
    R_PROJECT_NAME,
    R_ANN_SCAN,
    R_LOT_OPEN,
    R_LOT_GET,
    R_LOT_INSERT,
    R_LOT_PUT,
    R_LOT_LIST,
    R_COUNT
};

#define WORKER_COLS                                                                            \
    "project_id, user_id, vendor_id, paused, paused_ms, pause_reason, p_below, skills,"        \
    " cap_per_day, labels, day, labels_day, gold_correct, gold_total, gold_day,"               \
    " gold_day_correct, gold_day_total, gold_day_p_below"
#define ANN_COLS                                                                               \
    "id, item_id, user_id, annotator, value_json, created_ms, guideline_version,"              \
    " schema_version, workflow_stage, lease_id, working_seconds, status, version, prelabel"
#define LOT_COLS                                                                               \
    "id, project_id, vendor_id, state, size, items, sample, ac, re, reviewed, defects,"        \
    " created_ms, decided_ms"
#define REVIEW_COLS                                                                            \
    "id, item_id, annotation_id, author_id, reviewer, verdict, reasons_json, comment,"         \
    " created_ms"
#define FLAG_COLS                                                                              \
    "id, project_id, item_id, user_name, reason, comment, prior_state, created_ms, resolved_ms"

static const char *const review_sql[R_COUNT] = {
    [R_WORKER_GET] = "SELECT " WORKER_COLS " FROM workers WHERE project_id = ?1"
                     " AND user_id = ?2",
    [R_WORKER_PUT] = "INSERT OR REPLACE INTO workers (" WORKER_COLS ") VALUES"
                     " (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16,"
                     " ?17, ?18)",
    [R_WORKER_LIST] = "SELECT " WORKER_COLS " FROM workers WHERE project_id = ?1"
                      " ORDER BY user_id",
    [R_VENDOR_LABELS] = "SELECT coalesce(sum(CASE WHEN vendor_id = ?2 THEN labels END), 0),"
                        " coalesce(sum(labels), 0) FROM workers WHERE project_id = ?1",
    [R_ANN_ADD] = "INSERT INTO annotations (item_id, user_id, annotator, value_json, created_ms,"
                  " guideline_version, schema_version, workflow_stage, lease_id,"
                  " working_seconds, status, version, prelabel, source)"
                  " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, 'human')",
    [R_ANN_GET] = "SELECT " ANN_COLS " FROM annotations WHERE id = ?1",
    [R_ANN_LIST] = "SELECT " ANN_COLS " FROM annotations WHERE item_id = ?1 AND status = ?2"
                   " ORDER BY id",
    [R_ANN_LIST_ALL] = "SELECT " ANN_COLS " FROM annotations WHERE item_id = ?1 ORDER BY id",
    [R_ANN_STATUS] = "UPDATE annotations SET status = ?2 WHERE id = ?1",
    [R_ANN_EDIT] = "UPDATE annotations SET value_json = ?3, version = version + 1"
                   " WHERE id = ?1 AND version = ?2",
    [R_ANN_EXISTS] = "SELECT version FROM annotations WHERE id = ?1",
    [R_ANN_INVALIDATE] =
        "UPDATE annotations SET status = 'invalidated' WHERE user_id = ?2"
        " AND created_ms >= ?3 AND status = 'active' AND EXISTS (SELECT 1 FROM items i"
        "   WHERE i.id = annotations.item_id AND i.project_id = ?1) RETURNING " ANN_COLS,
    [R_ANN_TALLY] = "SELECT count(*), coalesce(sum(a.working_seconds), 0) FROM annotations a"
                    " WHERE a.user_id = ?2 AND a.created_ms >= ?3 AND EXISTS (SELECT 1"
                    "   FROM items i WHERE i.id = a.item_id AND i.project_id = ?1)",
    [R_REVIEW_ADD] = "INSERT INTO reviews (item_id, annotation_id, author_id, reviewer, verdict,"
                     " reasons_json, comment, created_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7,"
                     " ?8)",
    [R_REVIEW_LAST] = "SELECT " REVIEW_COLS " FROM reviews WHERE annotation_id = ?1"
                      " ORDER BY id DESC LIMIT 1",
    [R_REVIEW_AUTHOR] = "SELECT r.id, r.item_id, r.annotation_id, r.author_id, r.reviewer,"
                        " r.verdict, r.reasons_json, r.comment, r.created_ms FROM reviews r"
                        " JOIN items i ON i.id = r.item_id WHERE r.author_id = ?2"
                        " AND i.project_id = ?1 ORDER BY r.id DESC LIMIT ?3",
    [R_FLAG_ADD] = "INSERT INTO flags (project_id, item_id, user_name, reason, comment,"
                   " prior_state, created_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    [R_FLAG_RESOLVE] = "UPDATE flags SET resolved_ms = ?2 WHERE item_id = ?1"
                       " AND resolved_ms IS NULL RETURNING id, prior_state",
    [R_FLAG_OPEN] = "SELECT " FLAG_COLS " FROM flags WHERE project_id = ?1"
                    " AND resolved_ms IS NULL ORDER BY id LIMIT ?2",
    [R_ITEM_GET] = "SELECT id, project_id, external_id, payload_json, gold_json, created_ms,"
                   " gold_section FROM items WHERE id = ?1",
    [R_PRED_LATEST] = "SELECT id, item_id, model_name, model_version, value_json, score,"
                      " created_ms FROM predictions WHERE item_id = ?1 ORDER BY id DESC LIMIT 1",
    [R_EVENT_ITEM] = "SELECT id, project_id, kind, actor, object_type, object_id, payload_json,"
                     " created_ms, audit_seq, prev_hash, hash FROM events"
                     " WHERE object_type = 'item' AND object_id = ?1 ORDER BY id",
    [R_PROJECT_NAME] = "SELECT name FROM projects WHERE id = ?1",
    [R_ANN_SCAN] = "SELECT a.id, a.item_id, a.user_id, a.annotator, a.value_json, a.created_ms,"
                   " a.guideline_version, a.schema_version, a.workflow_stage, a.lease_id,"
                   " a.working_seconds, a.status, a.version, a.prelabel, t.state, t.is_gold"
                   " FROM tasks t JOIN annotations a ON a.item_id = t.item_id"
                   " WHERE t.project_id = ?1 AND a.status = 'active' ORDER BY t.item_id, a.id",
    [R_LOT_OPEN] = "SELECT " LOT_COLS " FROM lots WHERE project_id = ?1 AND vendor_id = ?2"
                   " AND state = 'open' ORDER BY id LIMIT 1",
    [R_LOT_GET] = "SELECT " LOT_COLS " FROM lots WHERE id = ?1",
    [R_LOT_INSERT] = "INSERT INTO lots (project_id, vendor_id, state, size, items, sample, ac,"
                     " re, reviewed, defects, created_ms, decided_ms)"
                     " VALUES (?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
    /* bind_lot binds every column; ?2, ?3, ?5 and ?12 are fixed at creation (a gap in the
     * numbers is allowed). */
    [R_LOT_PUT] = "UPDATE lots SET state = ?4, items = ?6, sample = ?7, ac = ?8, re = ?9,"
                  " reviewed = ?10, defects = ?11, decided_ms = ?13 WHERE id = ?1",
    [R_LOT_LIST] = "SELECT " LOT_COLS " FROM lots WHERE project_id = ?1 ORDER BY id DESC"
                   " LIMIT ?2",
};

static const struct lo_sq_sql review_part = { LO_SQ_PART_REVIEW, R_COUNT, review_sql };

/* ---- workers ------------------------------------------------------------------------------ */

static int read_worker(sqlite3_stmt *s, struct lo_arena *arena, struct lo_worker_row *w)
{
    bool bad = false;
    memset(w, 0, sizeof(*w));
    w->project_id = sqlite3_column_int64(s, 0);
    w->user_id = sqlite3_column_int64(s, 1);
    w->vendor_id = sqlite3_column_int64(s, 2);
    w->paused = sqlite3_column_int(s, 3) != 0;
    w->paused_ms = sqlite3_column_int64(s, 4);
    w->pause_reason = lo__sq_col_dup(s, 5, arena, &bad);
    w->p_below = lo__sq_col_double(s, 6);
    w->skills = lo__sq_col_dup(s, 7, arena, &bad);
    w->cap_per_day = sqlite3_column_int(s, 8);
    w->labels = sqlite3_column_int64(s, 9);
    w->day = sqlite3_column_int64(s, 10);
    w->labels_day = sqlite3_column_int64(s, 11);
    w->gold_correct = sqlite3_column_int64(s, 12);
    w->gold_total = sqlite3_column_int64(s, 13);
    w->gold_day = sqlite3_column_int64(s, 14);
    w->gold_day_correct = sqlite3_column_int64(s, 15);
    w->gold_day_total = sqlite3_column_int64(s, 16);
    w->gold_day_p_below = lo__sq_col_double(s, 17);
    return bad ? LO_ENOMEM : 0;
}

int lo__sq_wf_worker_get(struct lo_store *st, int64_t project_id, int64_t user_id,
                         struct lo_arena *arena, struct lo_worker_row *out, bool *found,
                         struct lo_error *err)
{
    sqlite3_stmt *s;
    int rc = lo__sq_stmt(st, &review_part, R_WORKER_GET, &s, err);
    if (rc)
        return rc;
    sqlite3_bind_int64(s, 1, project_id);
    sqlite3_bind_int64(s, 2, user_id);
    rc = lo__sq_step(st, s, "reading a worker", err);
    if (rc < 0)
        return rc;
    *found = rc == 1;
    if (rc == 0) {
        memset(out, 0, sizeof(*out));
        out->project_id = project_id;
        out->user_id = user_id;
        out->p_below = NAN;
        out->gold_day_p_below = NAN;
        out->skills = "";
        return 0;
    }
    if (read_worker(s, arena, out))
        return lo__sq_nomem(s, "a worker", err);
    sqlite3_reset(s);
    return 0;
}

int lo__sq_wf_worker_put(struct lo_store *st, const struct lo_worker_row *w, struct lo_error *err)
{
    sqlite3_stmt *s;
    int rc = lo__sq_write_stmt(st, &review_part, R_WORKER_PUT, "worker_put", &s, err);
    if (rc)
        return rc;
    sqlite3_bind_int64(s, 1, w->project_id);
    sqlite3_bind_int64(s, 2, w->user_id);
    sqlite3_bind_int64(s, 3, w->vendor_id);
    sqlite3_bind_int(s, 4, w->paused);
    lo__sq_bind_id(s, 5, w->paused_ms);
    lo__sq_bind_text(s, 6, w->pause_reason);
    lo__sq_bind_double(s, 7, w->p_below);
    lo__sq_bind_text(s, 8, w->skills ? w->skills : "");
    sqlite3_bind_int(s, 9, w->cap_per_day);
    sqlite3_bind_int64(s, 10, w->labels);
    sqlite3_bind_int64(s, 11, w->day);
    sqlite3_bind_int64(s, 12, w->labels_day);
    sqlite3_bind_int64(s, 13, w->gold_correct);
    sqlite3_bind_int64(s, 14, w->gold_total);
    sqlite3_bind_int64(s, 15, w->gold_day);
    sqlite3_bind_int64(s, 16, w->gold_day_correct);
    sqlite3_bind_int64(s, 17, w->gold_day_total);
    lo__sq_bind_double(s, 18, w->gold_day_p_below);
    return lo__sq_run(st, s, "storing a worker", err);
}

int lo__sq_wf_worker_list(struct lo_store *st, int64_t project_id, struct lo_arena *arena,
                          lo_worker_row_cb cb, void *ctx, struct lo_error *err)
{
    sqlite3_stmt *s;
    int rc = lo__sq_stmt(st, &review_part, R_WORKER_LIST, &s, err);
    if (rc)
        return rc;
    sqlite3_bind_int64(s, 1, project_id);
    while ((rc = lo__sq_step(st, s, "listing workers", err)) == 1) {
        struct lo_worker_row w;
        if (read_worker(s, arena, &w))
            return lo__sq_nomem(s, "workers", err);
        rc = cb(ctx, &w);
        if (rc) {
            sqlite3_reset(s);
            return rc;
        }
    }
    return rc;
}

int lo__sq_wf_vendor_labels(struct lo_store *st, int64_t project_id, int64_t vendor_id,
                            int64_t *vendor_out, int64_t *all_out, struct lo_error *err)
{
    sqlite3_stmt *s;
    int rc = lo__sq_stmt(st, &review_part, R_VENDOR_LABELS, &s, err);
    if (rc)
        return rc;
    sqlite3_bind_int64(s, 1, project_id);
    sqlite3_bind_int64(s, 2, vendor_id);
    rc = lo__sq_step(st, s, "counting a vendor's labels", err);
    if (rc < 0)
        return rc;
    *vendor_out = rc ? sqlite3_column_int64(s, 0) : 0;
    *all_out = rc ? sqlite3_column_int64(s, 1) : 0;
    if (rc)
        sqlite3_reset(s);
    return 0;
}

/* ---- annotations -------------------------------------------------------------------------- */

static int read_ann(sqlite3_stmt *s, struct lo_arena *arena, struct lo_wf_annotation *a)
{
    bool bad = false;
    memset(a, 0, sizeof(*a));
    a->id = sqlite3_column_int64(s, 0);
    a->item_id = sqlite3_column_int64(s, 1);
    a->user_id = sqlite3_column_int64(s, 2);
    a->annotator = lo__sq_col_dup(s, 3, arena, &bad);
    a->value_json = lo__sq_col_dup(s, 4, arena, &bad);
    a->created_ms = sqlite3_column_int64(s, 5);
    a->guideline_version = sqlite3_column_int(s, 6);
    a->schema_version = sqlite3_column_int(s, 7);
    a->stage = lo__sq_col_dup(s, 8, arena, &bad);
    a->lease_id = lo__sq_col_dup(s, 9, arena, &bad);
    a->working_seconds = lo__sq_col_double(s, 10);
    a->status = lo__sq_col_dup(s, 11, arena, &bad);
    a->version = sqlite3_column_int(s, 12);
    a->prelabel = lo__sq_col_dup(s, 13, arena, &bad);
    return bad ? LO_ENOMEM : 0;
}

static int scan_anns(struct lo_store *st, sqlite3_stmt *s, struct lo_arena *arena,
                     lo_wf_annotation_cb cb, void *ctx, struct lo_error *err)
{
    int rc;
    while ((rc = lo__sq_step(st, s, "reading annotations", err)) == 1) {
        struct lo_wf_annotation a;
        if (read_ann(s, arena, &a))
            return lo__sq_nomem(s, "annotations", err);
        rc = cb(ctx, &a);
        if (rc) {
            sqlite3_reset(s);
            return rc;
        }
    }
    return rc;
}

int lo__sq_wf_annotation_add(struct lo_store *st, const struct lo_wf_annotation *a, int64_t *id_out,
                             struct lo_error *err)
{
    sqlite3_stmt *s;
    int rc = lo__sq_write_stmt(st, &review_part, R_ANN_ADD, "annotation_add", &s, err);
    if (rc)
        return rc;
    sqlite3_bind_int64(s, 1, a->item_id);
    lo__sq_bind_id(s, 2, a->user_id);
    lo__sq_bind_text(s, 3, a->annotator ? a->annotator : "");
    lo__sq_bind_text(s, 4, a->value_json ? a->value_json : "{}");
    sqlite3_bind_int64(s, 5, a->created_ms);
    sqlite3_bind_int(s, 6, a->guideline_version);
    sqlite3_bind_int(s, 7, a->schema_version);
    lo__sq_bind_text(s, 8, a->stage);
    lo__sq_bind_text(s, 9, a->lease_id);
    lo__sq_bind_double(s, 10, a->working_seconds);
    lo__sq_bind_text(s, 11, a->status ? a->status : "active");
    sqlite3_bind_int(s, 12, a->version > 0 ? a->version : 1);
    lo__sq_bind_text(s, 13, a->prelabel);
    return lo__sq_insert(st, s, "storing an annotation", id_out, err);
}

int lo__sq_wf_annotation_get(struct lo_store *st, int64_t id, struct lo_arena *arena,
                             struct lo_wf_annotation *out, struct lo_error *err)
{
    sqlite3_stmt *s;
    int rc = lo__sq_stmt(st, &review_part, R_ANN_GET, &s, err);
    if (rc)
        return rc;
    sqlite3_bind_int64(s, 1, id);
    rc = lo__sq_step(st, s, "reading an annotation", err);
    if (rc <= 0)
        return rc ? rc : lo_error_set(err, LO_ENOTFOUND, "no annotation %lld", (long long)id);
    if (read_ann(s, arena, out))
        return lo__sq_nomem(s, "an annotation", err);
    sqlite3_reset(s);
    return 0;
}

int lo__sq_wf_annotation_list(struct lo_store *st, int64_t item_id, const char *status,
                              struct lo_arena *arena, lo_wf_annotation_cb cb, void *ctx,
                              struct lo_error *err)
{
    sqlite3_stmt *s;
    int rc = lo__sq_stmt(st, &review_part, status ? R_ANN_LIST : R_ANN_LIST_ALL, &s, err);
    if (rc)
        return rc;
    sqlite3_bind_int64(s, 1, item_id);
    if (status)
        lo__sq_bind_text(s, 2, status);
    return scan_anns(st, s, arena, cb, ctx, err);
}

int lo__sq_wf_annotation_set_status(struct lo_store *st, int64_t id, const char *status,
                                    struct lo_error *err)
{
    sqlite3_stmt *s;
    int rc = lo__sq_write_stmt(st, &review_part, R_ANN_STATUS, "annotation_set_status", &s, err);
    if (rc)
        return rc;
    sqlite3_bind_int64(s, 1, id);
    lo__sq_bind_text(s, 2, status);
    return lo__sq_run(st, s, "changing an annotation's status", err);
}

int lo__sq_wf_annotation_edit(struct lo_store *st, int64_t id, int expected_version,
                              const char *value_json, struct lo_error *err)
{
    sqlite3_stmt *s;
    int rc = lo__sq_write_stmt(st, &review_part, R_ANN_EDIT, "annotation_edit", &s, err);
    if (rc)
        return rc;
    sqlite3_bind_int64(s, 1, id);
    sqlite3_bind_int(s, 2, expected_version);
    lo__sq_bind_text(s, 3, value_json);
    rc = lo__sq_run(st, s, "editing an annotation", err);
    if (rc)
        return rc;
    if (sqlite3_changes(lo__sq_db(st)) == 1)
        return 0;
    rc = lo__sq_stmt(st, &review_part, R_ANN_EXISTS, &s, err);
    if (rc)
        return rc;
    sqlite3_bind_int64(s, 1, id);
    rc = lo__sq_step(st, s, "reading an annotation's version", err);
    if (rc < 0)
        return rc;
    if (rc == 0)
        return lo_error_set(err, LO_ENOTFOUND, "no annotation %lld", (long long)id);
    int now = sqlite3_column_int(s, 0);
    sqlite3_reset(s);
    return lo_error_field(err, LO_ECONFLICT, "If-Match",
                          "annotation %lld is at version %d, the edit was based on version %d",
                          (long long)id, now, expected_version);
}

int lo__sq_wf_annotation_invalidate(struct lo_store *st, int64_t project_id, int64_t user_id,
                                    int64_t since_ms, struct lo_arena *arena,
                                    lo_wf_annotation_cb cb, void *ctx, struct lo_error *err)
{
    sqlite3_stmt *s;
    int rc =
        lo__sq_write_stmt(st, &review_part, R_ANN_INVALIDATE, "annotation_invalidate", &s, err);
    if (rc)
        return rc;
    sqlite3_bind_int64(s, 1, project_id);
    sqlite3_bind_int64(s, 2, user_id);
    sqlite3_bind_int64(s, 3, since_ms);
    return scan_anns(st, s, arena, cb, ctx, err);
}

int lo__sq_wf_annotation_tally(struct lo_store *st, int64_t project_id, int64_t user_id,
                               int64_t since_ms, int64_t *labels_out, double *seconds_out,
                               struct lo_error *err)
{
    sqlite3_stmt *s;
    int rc = lo__sq_stmt(st, &review_part, R_ANN_TALLY, &s, err);
    if (rc)
        return rc;
    sqlite3_bind_int64(s, 1, project_id);
    sqlite3_bind_int64(s, 2, user_id);
    sqlite3_bind_int64(s, 3, since_ms);
    rc = lo__sq_step(st, s, "counting labels", err);
    if (rc < 0)
        return rc;
    *labels_out = rc ? sqlite3_column_int64(s, 0) : 0;
    *seconds_out = rc ? sqlite3_column_double(s, 1) : 0;
    if (rc)
        sqlite3_reset(s);
    return 0;
}

/* ---- reviews and flags -------------------------------------------------------------------- */

static int read_review(sqlite3_stmt *s, struct lo_arena *arena, struct lo_review_row *r)
{
    bool bad = false;
    memset(r, 0, sizeof(*r));
    r->id = sqlite3_column_int64(s, 0);
    r->item_id = sqlite3_column_int64(s, 1);
    r->annotation_id = sqlite3_column_int64(s, 2);
    r->author_id = sqlite3_column_int64(s, 3);
    r->reviewer = lo__sq_col_dup(s, 4, arena, &bad);
    r->verdict = lo__sq_col_dup(s, 5, arena, &bad);
    r->reasons_json = lo__sq_col_dup(s, 6, arena, &bad);
    r->comment = lo__sq_col_dup(s, 7, arena, &bad);
    r->created_ms = sqlite3_column_int64(s, 8);
    return bad ? LO_ENOMEM : 0;
}

int lo__sq_wf_review_add(struct lo_store *st, const struct lo_review_row *r, int64_t *id_out,
                         struct lo_error *err)
{
    sqlite3_stmt *s;
    int rc = lo__sq_write_stmt(st, &review_part, R_REVIEW_ADD, "review_add", &s, err);
    if (rc)
        return rc;
    sqlite3_bind_int64(s, 1, r->item_id);
    sqlite3_bind_int64(s, 2, r->annotation_id);
    lo__sq_bind_id(s, 3, r->author_id);
    lo__sq_bind_text(s, 4, r->reviewer ? r->reviewer : "");
    lo__sq_bind_text(s, 5, r->verdict);
    lo__sq_bind_text(s, 6, r->reasons_json ? r->reasons_json : "[]");
    lo__sq_bind_text(s, 7, r->comment ? r->comment : "");
    sqlite3_bind_int64(s, 8, r->created_ms);
    return lo__sq_insert(st, s, "storing a review", id_out, err);
}

int lo__sq_wf_review_last(struct lo_store *st, int64_t annotation_id, struct lo_arena *arena,
                          struct lo_review_row *out, struct lo_error *err)
{
    sqlite3_stmt *s;
    int rc = lo__sq_stmt(st, &review_part, R_REVIEW_LAST, &s, err);
    if (rc)
        return rc;
    sqlite3_bind_int64(s, 1, annotation_id);
    rc = lo__sq_step(st, s, "reading a review", err);
    if (rc <= 0)
        return rc ? rc : lo_error_set(err, LO_ENOTFOUND, "no review");
    if (read_review(s, arena, out))
        return lo__sq_nomem(s, "a review", err);
    sqlite3_reset(s);
    return 0;
}

int lo__sq_wf_review_list_author(struct lo_store *st, int64_t project_id, int64_t author_id,
                                 int limit, struct lo_arena *arena, lo_review_row_cb cb, void *ctx,
                                 struct lo_error *err)
{
    sqlite3_stmt *s;
    int rc = lo__sq_stmt(st, &review_part, R_REVIEW_AUTHOR, &s, err);
    if (rc)
        return rc;
    sqlite3_bind_int64(s, 1, project_id);
    sqlite3_bind_int64(s, 2, author_id);
    sqlite3_bind_int(s, 3, limit);
    while ((rc = lo__sq_step(st, s, "listing reviews", err)) == 1) {
        struct lo_review_row r;
        if (read_review(s, arena, &r))
            return lo__sq_nomem(s, "reviews", err);
        rc = cb(ctx, &r);
        if (rc) {
            sqlite3_reset(s);
            return rc;
        }
    }
    return rc;
}

int lo__sq_wf_flag_add(struct lo_store *st, const struct lo_flag_row *f, int64_t *id_out,
                       struct lo_error *err)
{
    sqlite3_stmt *s;
    int rc = lo__sq_write_stmt(st, &review_part, R_FLAG_ADD, "flag_add", &s, err);
    if (rc)
        return rc;
    sqlite3_bind_int64(s, 1, f->project_id);
    sqlite3_bind_int64(s, 2, f->item_id);
    lo__sq_bind_text(s, 3, f->user_name ? f->user_name : "");
    lo__sq_bind_text(s, 4, f->reason);
    lo__sq_bind_text(s, 5, f->comment ? f->comment : "");
    lo__sq_bind_text(s, 6, f->prior_state);
    sqlite3_bind_int64(s, 7, f->created_ms);
    return lo__sq_insert(st, s, "storing a flag", id_out, err);
}

int lo__sq_wf_flag_resolve(struct lo_store *st, int64_t item_id, int64_t now_ms,
                           struct lo_arena *arena, const char **prior_state, struct lo_error *err)
{
    sqlite3_stmt *s;
    *prior_state = NULL;
    int rc = lo__sq_write_stmt(st, &review_part, R_FLAG_RESOLVE, "flag_resolve", &s, err);
    if (rc)
        return rc;
    sqlite3_bind_int64(s, 1, item_id);
    sqlite3_bind_int64(s, 2, now_ms);
    int64_t first = 0;
    bool bad = false;
    while ((rc = lo__sq_step(st, s, "resolving flags", err)) == 1) {
        int64_t id = sqlite3_column_int64(s, 0);
        if (!first || id < first) {
            first = id;
            *prior_state = lo__sq_col_dup(s, 1, arena, &bad);
        }
    }
    if (rc)
        return rc;
    if (bad)
        return lo_error_set(err, LO_ENOMEM, "out of memory resolving flags");
    if (!first)
        return lo_error_set(err, LO_ENOTFOUND, "item %lld has no open flag", (long long)item_id);
    return 0;
}

int lo__sq_wf_flag_list_open(struct lo_store *st, int64_t project_id, int limit,
                             struct lo_arena *arena, lo_flag_row_cb cb, void *ctx,
                             struct lo_error *err)
{
    sqlite3_stmt *s;
    int rc = lo__sq_stmt(st, &review_part, R_FLAG_OPEN, &s, err);
    if (rc)
        return rc;
    sqlite3_bind_int64(s, 1, project_id);
    sqlite3_bind_int(s, 2, limit);
    while ((rc = lo__sq_step(st, s, "listing flags", err)) == 1) {
        bool bad = false;
        struct lo_flag_row f = {
            .id = sqlite3_column_int64(s, 0),
            .project_id = sqlite3_column_int64(s, 1),
            .item_id = sqlite3_column_int64(s, 2),
            .user_name = lo__sq_col_dup(s, 3, arena, &bad),
            .reason = lo__sq_col_dup(s, 4, arena, &bad),
            .comment = lo__sq_col_dup(s, 5, arena, &bad),
            .prior_state = lo__sq_col_dup(s, 6, arena, &bad),
            .created_ms = sqlite3_column_int64(s, 7),
            .resolved_ms = sqlite3_column_int64(s, 8),
        };
        if (bad)
            return lo__sq_nomem(s, "flags", err);
        rc = cb(ctx, &f);
        if (rc) {
            sqlite3_reset(s);
            return rc;
        }
    }
    return rc;
}

/* ---- items, predictions, events ---------------------------------------------- */

int lo__sq_wf_item_get(struct lo_store *st, int64_t item_id, struct lo_arena *arena,
                       struct lo_item *out, struct lo_error *err)
{
    sqlite3_stmt *s;
    int rc = lo__sq_stmt(st, &review_part, R_ITEM_GET, &s, err);
    if (rc)
        return rc;
    sqlite3_bind_int64(s, 1, item_id);
    rc = lo__sq_step(st, s, "reading an item", err);
    if (rc <= 0)
        return rc ? rc : lo_error_set(err, LO_ENOTFOUND, "no item %lld", (long long)item_id);
    bool bad = false;
    memset(out, 0, sizeof(*out));
    out->id = sqlite3_column_int64(s, 0);
    out->project_id = sqlite3_column_int64(s, 1);
    out->external_id = lo__sq_col_dup(s, 2, arena, &bad);
    out->payload_json = lo__sq_col_dup(s, 3, arena, &bad);
    out->gold_json = lo__sq_col_dup(s, 4, arena, &bad);
    out->created_ms = sqlite3_column_int64(s, 5);
    out->gold_section = lo__sq_col_dup(s, 6, arena, &bad);
    if (bad)
        return lo__sq_nomem(s, "an item", err);
    sqlite3_reset(s);
    return 0;
}

int lo__sq_wf_prediction_latest(struct lo_store *st, int64_t item_id, struct lo_arena *arena,
                                struct lo_prediction *out, struct lo_error *err)
{
    sqlite3_stmt *s;
    int rc = lo__sq_stmt(st, &review_part, R_PRED_LATEST, &s, err);
    if (rc)
        return rc;
    sqlite3_bind_int64(s, 1, item_id);
    rc = lo__sq_step(st, s, "reading a prediction", err);
    if (rc <= 0)
        return rc ? rc : lo_error_set(err, LO_ENOTFOUND, "no prediction");
    bool bad = false;
    memset(out, 0, sizeof(*out));
    out->id = sqlite3_column_int64(s, 0);
    out->item_id = sqlite3_column_int64(s, 1);
    out->model_name = lo__sq_col_dup(s, 2, arena, &bad);
    out->model_version = lo__sq_col_dup(s, 3, arena, &bad);
    out->value_json = lo__sq_col_dup(s, 4, arena, &bad);
    out->score = lo__sq_col_double(s, 5);
    out->created_ms = sqlite3_column_int64(s, 6);
    if (bad)
        return lo__sq_nomem(s, "a prediction", err);
    sqlite3_reset(s);
    return 0;
}

int lo__sq_wf_event_list_item(struct lo_store *st, int64_t item_id, struct lo_arena *arena,
                              int (*cb)(void *ctx, const struct lo_event *e), void *ctx,
                              struct lo_error *err)
{
    sqlite3_stmt *s;
    int rc = lo__sq_stmt(st, &review_part, R_EVENT_ITEM, &s, err);
    if (rc)
        return rc;
    sqlite3_bind_int64(s, 1, item_id);
    while ((rc = lo__sq_step(st, s, "reading an item's history", err)) == 1) {
        bool bad = false;
        struct lo_event e = {
            .id = sqlite3_column_int64(s, 0),
            .project_id = sqlite3_column_int64(s, 1),
            .kind = lo__sq_col_dup(s, 2, arena, &bad),
            .actor = lo__sq_col_dup(s, 3, arena, &bad),
            .object_type = lo__sq_col_dup(s, 4, arena, &bad),
            .object_id = sqlite3_column_int64(s, 5),
            .payload_json = lo__sq_col_dup(s, 6, arena, &bad),
            .created_ms = sqlite3_column_int64(s, 7),
            .audit_seq = sqlite3_column_int64(s, 8),
            .prev_hash = lo__sq_col_dup(s, 9, arena, &bad),
            .hash = lo__sq_col_dup(s, 10, arena, &bad),
        };
        if (bad)
            return lo__sq_nomem(s, "events", err);
        rc = cb(ctx, &e);
        if (rc) {
            sqlite3_reset(s);
            return rc;
        }
    }
    return rc;
}

int lo__sq_wf_project_name(struct lo_store *st, int64_t project_id, struct lo_arena *arena,
                           const char **out, struct lo_error *err)
{
    sqlite3_stmt *s;
    int rc = lo__sq_stmt(st, &review_part, R_PROJECT_NAME, &s, err);
    if (rc)
        return rc;
    sqlite3_bind_int64(s, 1, project_id);
    rc = lo__sq_step(st, s, "reading a project's name", err);
    if (rc <= 0)
        return rc ? rc : lo_error_set(err, LO_ENOTFOUND, "no project %lld", (long long)project_id);
    bool bad = false;
    *out = lo__sq_col_dup(s, 0, arena, &bad);
    sqlite3_reset(s);
    return bad ? lo_error_set(err, LO_ENOMEM, "out of memory") : 0;
}

int lo__sq_wf_annotation_scan(struct lo_store *st, int64_t project_id, struct lo_arena *arena,
                              int (*cb)(void *ctx, const struct lo_wf_annotation *a,
                                        const char *state, bool is_gold),
                              void *ctx, struct lo_error *err)
{
    sqlite3_stmt *s;
    int rc = lo__sq_stmt(st, &review_part, R_ANN_SCAN, &s, err);
    if (rc)
        return rc;
    sqlite3_bind_int64(s, 1, project_id);
    while ((rc = lo__sq_step(st, s, "reading a project's labels", err)) == 1) {
        struct lo_wf_annotation a;
        bool bad = false;
        if (read_ann(s, arena, &a))
            return lo__sq_nomem(s, "annotations", err);
        const char *state = lo__sq_col_dup(s, 14, arena, &bad);
        if (bad)
            return lo__sq_nomem(s, "annotations", err);
        rc = cb(ctx, &a, state, sqlite3_column_int(s, 15) != 0);
        if (rc) {
            sqlite3_reset(s);
            return rc;
        }
    }
    return rc;
}

/* ---- lots ---------------------------------------------------------------------------------- */

static int read_lot(sqlite3_stmt *s, struct lo_arena *arena, struct lo_lot_row *l)
{
    bool bad = false;
    *l = (struct lo_lot_row){
        .id = sqlite3_column_int64(s, 0),
        .project_id = sqlite3_column_int64(s, 1),
        .vendor_id = sqlite3_column_int64(s, 2),
        .state = lo__sq_col_dup(s, 3, arena, &bad),
        .size = (long)sqlite3_column_int64(s, 4),
        .items = (long)sqlite3_column_int64(s, 5),
        .sample = (long)sqlite3_column_int64(s, 6),
        .ac = sqlite3_column_int(s, 7),
        .re = sqlite3_column_int(s, 8),
        .reviewed = (long)sqlite3_column_int64(s, 9),
        .defects = (long)sqlite3_column_int64(s, 10),
        .created_ms = sqlite3_column_int64(s, 11),
        .decided_ms = sqlite3_column_int64(s, 12),
    };
    return bad ? LO_ENOMEM : 0;
}

static int one_lot(struct lo_store *st, sqlite3_stmt *s, struct lo_lot_row *out,
                   struct lo_arena *arena, struct lo_error *err)
{
    int rc = lo__sq_step(st, s, "reading a lot", err);
    if (rc <= 0)
        return rc ? rc : lo_error_set(err, LO_ENOTFOUND, "no such lot");
    if (read_lot(s, arena, out))
        return lo__sq_nomem(s, "a lot", err);
    sqlite3_reset(s);
    return 0;
}

int lo__sq_wf_lot_open(struct lo_store *st, int64_t project_id, int64_t vendor_id,
                       struct lo_lot_row *out, struct lo_arena *arena, struct lo_error *err)
{
    sqlite3_stmt *s;
    int rc = lo__sq_stmt(st, &review_part, R_LOT_OPEN, &s, err);
    if (rc)
        return rc;
    sqlite3_bind_int64(s, 1, project_id);
    sqlite3_bind_int64(s, 2, vendor_id);
    return one_lot(st, s, out, arena, err);
}

int lo__sq_wf_lot_get(struct lo_store *st, int64_t id, struct lo_lot_row *out,
                      struct lo_arena *arena, struct lo_error *err)
{
    sqlite3_stmt *s;
    int rc = lo__sq_stmt(st, &review_part, R_LOT_GET, &s, err);
    if (rc)
        return rc;
    sqlite3_bind_int64(s, 1, id);
    return one_lot(st, s, out, arena, err);
}

static void bind_lot(sqlite3_stmt *s, const struct lo_lot_row *l)
{
    sqlite3_bind_int64(s, 1, l->id);
    sqlite3_bind_int64(s, 2, l->project_id);
    sqlite3_bind_int64(s, 3, l->vendor_id);
    lo__sq_bind_text(s, 4, l->state);
    sqlite3_bind_int64(s, 5, l->size);
    sqlite3_bind_int64(s, 6, l->items);
    sqlite3_bind_int64(s, 7, l->sample);
    sqlite3_bind_int(s, 8, l->ac);
    sqlite3_bind_int(s, 9, l->re);
    sqlite3_bind_int64(s, 10, l->reviewed);
    sqlite3_bind_int64(s, 11, l->defects);
    sqlite3_bind_int64(s, 12, l->created_ms);
    lo__sq_bind_id(s, 13, l->decided_ms);
}

int lo__sq_wf_lot_create(struct lo_store *st, struct lo_lot_row *l, struct lo_error *err)
{
    sqlite3_stmt *s;
    int rc = lo__sq_write_stmt(st, &review_part, R_LOT_INSERT, "lot_create", &s, err);
    if (rc)
        return rc;
    bind_lot(s, l);
    return lo__sq_insert(st, s, "creating a lot", &l->id, err);
}

int lo__sq_wf_lot_put(struct lo_store *st, const struct lo_lot_row *l, struct lo_error *err)
{
    sqlite3_stmt *s;
    int rc = lo__sq_write_stmt(st, &review_part, R_LOT_PUT, "lot_put", &s, err);
    if (rc)
        return rc;
    bind_lot(s, l);
    return lo__sq_run(st, s, "updating a lot", err);
}

int lo__sq_wf_lot_list(struct lo_store *st, int64_t project_id, int limit, struct lo_arena *arena,
                       int (*cb)(void *ctx, const struct lo_lot_row *l), void *ctx,
                       struct lo_error *err)
{
    sqlite3_stmt *s;
    int rc = lo__sq_stmt(st, &review_part, R_LOT_LIST, &s, err);
    if (rc)
        return rc;
    sqlite3_bind_int64(s, 1, project_id);
    sqlite3_bind_int(s, 2, limit);
    while ((rc = lo__sq_step(st, s, "listing lots", err)) == 1) {
        struct lo_lot_row l;
        if (read_lot(s, arena, &l))
            return lo__sq_nomem(s, "lots", err);
        rc = cb(ctx, &l);
        if (rc) {
            sqlite3_reset(s);
            return rc;
        }
    }
    return rc;
}
