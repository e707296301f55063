/*
 * store_sqlite_wf.c - the workflow operations (store_wf.h) of the SQLite store.
 *
 * Each connection keeps its own prepared statements here, made on first use (the rest of the
 * store's are in store_sqlite.c); the connection, its transaction state and its error mapping
 * come from there through sqlite_int.h.
 */
#include <math.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#include "store/sqlite_int.h"
#include "store/store.h"

enum wf_stmt {
    W_CONFIG_GET,
    W_CONFIG_PUT,
    W_SYNC_SELECT,
    W_TASK_INSERT,
    W_TASK_GET,
    W_TASK_PUT,
    W_TASK_CAND,
    W_TASK_CAND_SCORE,
    W_TASK_NEXT_STATE,
    W_TASK_NEXT_ASSIGNED,
    W_TASK_COUNTS,
    W_TASK_OVERDUE,
    W_LEASE_INSERT,
    W_LEASE_GET,
    W_LEASE_PUT,
    W_LEASE_LIVE_FOR,
    W_LEASE_EXPIRE,
    W_LEASE_OTHER,
    W_SEEN_ADD,
    W_WORKER_GET,
    W_WORKER_PUT,
    W_WORKER_LIST,
    W_VENDOR_LABELS,
    W_ANN_ADD,
    W_ANN_GET,
    W_ANN_LIST,
    W_ANN_LIST_ALL,
    W_ANN_STATUS,
    W_ANN_EDIT,
    W_ANN_EXISTS,
    W_ANN_INVALIDATE,
    W_ANN_TALLY,
    W_REVIEW_ADD,
    W_REVIEW_LAST,
    W_REVIEW_AUTHOR,
    W_FLAG_ADD,
    W_FLAG_RESOLVE,
    W_FLAG_OPEN,
    W_ITEM_GET,
    W_PRED_LATEST,
    W_EVENT_ITEM,
    W_PROJECT_NAME,
    W_ANN_SCAN,
    W_TASK_RESCORE,
    W_TASK_UNLABELED,
    W_TASK_WANTED,
    W_SEEN_HAS,
    W_SEEN_REMOVE,
    W_LOT_OPEN,
    W_LOT_GET,
    W_LOT_INSERT,
    W_LOT_PUT,
    W_LOT_TASKS,
    W_LOT_LIST,
    W_TASK_ESCALATE,
    W_LEASE_DRAFT,
    W_SAVEPOINT,
    W_RELEASE,
    W_ROLLBACK_TO,
    W_COUNT
};

#define TASK_COLS                                                                              \
    "item_id, project_id, state, priority, wanted, done, leased, rounds, is_gold, assignee,"   \
    " review_annotation, skills, score, final_json, confidence, method, state_ms, created_ms,"  \
    " lot_id, lot_hold"
#define LEASE_COLS                                                                             \
    "id, project_id, item_id, user_id, kind, annotation_id, state, created_ms, expires_ms,"    \
    " draft_json, draft_ms, idem_key, answer_json"
#define WORKER_COLS                                                                            \
    "project_id, user_id, vendor_id, paused, paused_ms, pause_reason, p_below, skills,"        \
    " cap_per_day, labels, day, labels_day, gold_correct, gold_total"
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

/* The candidate query: queued tasks with room the user has not seen. */
#define CAND_SQL                                                                               \
    "SELECT " TASK_COLS " FROM tasks t WHERE t.project_id = ?1 AND t.state = 'queued'"         \
    " AND t.is_gold = ?2 AND (t.is_gold OR t.done + t.leased < t.wanted)"                      \
    " AND NOT EXISTS (SELECT 1 FROM seen s WHERE s.user_id = ?3 AND s.item_id = t.item_id)"

static const char *const wf_sql[W_COUNT] = {
    [W_CONFIG_GET] = "SELECT config_json, version FROM workflows WHERE project_id = ?1",
    [W_CONFIG_PUT] = "INSERT INTO workflows (project_id, config_json, version, updated_ms)"
                     " VALUES (?1, ?2, 1, ?3) ON CONFLICT (project_id) DO UPDATE SET"
                     " config_json = excluded.config_json, version = version + 1,"
                     " updated_ms = excluded.updated_ms RETURNING version",
    [W_SYNC_SELECT] =
        "SELECT i.id, i.gold_json IS NOT NULL,"
        " coalesce((SELECT group_concat(v, ',') FROM (SELECT j.value AS v"
        "   FROM json_each(i.payload_json, '$.skills') j WHERE j.type = 'text'"
        "   UNION ALL SELECT 'lang:' || json_extract(i.payload_json, '$.language')"
        "   WHERE json_type(i.payload_json, '$.language') = 'text')), ''),"
        " (SELECT min(p.score) FROM predictions p WHERE p.item_id = i.id),"
        " CASE WHEN json_type(i.payload_json, '$.priority') = 'integer'"
        "   THEN max(-1000000, min(1000000, json_extract(i.payload_json, '$.priority')))"
        "   ELSE 0 END"
        " FROM items i WHERE i.project_id = ?1"
        " AND NOT EXISTS (SELECT 1 FROM tasks t WHERE t.item_id = i.id) ORDER BY i.id",
    [W_TASK_INSERT] = "INSERT INTO tasks (item_id, project_id, state, wanted, is_gold, skills,"
                      " score, priority, state_ms, created_ms)"
                      " VALUES (?1, ?2, 'queued', ?3, ?4, ?5, ?6, ?7, ?8, ?8)",
    [W_TASK_GET] = "SELECT " TASK_COLS " FROM tasks WHERE item_id = ?1",
    [W_TASK_PUT] = "UPDATE tasks SET state = ?2, priority = ?3, wanted = ?4, done = ?5,"
                   " leased = ?6, rounds = ?7, assignee = ?8, review_annotation = ?9,"
                   " final_json = ?10, confidence = ?11, method = ?12, state_ms = ?13,"
                   " lot_id = ?14, lot_hold = ?15 WHERE item_id = ?1",
    [W_TASK_CAND] = CAND_SQL " ORDER BY t.priority DESC, t.item_id LIMIT ?4",
    [W_TASK_CAND_SCORE] =
        CAND_SQL " ORDER BY t.priority DESC, t.score IS NULL, t.score, t.item_id LIMIT ?4",
    [W_TASK_NEXT_STATE] =
        "SELECT t.item_id FROM tasks t WHERE t.project_id = ?1 AND t.state = ?2"
        " AND t.lot_hold = 0 AND NOT EXISTS (SELECT 1 FROM leases l WHERE l.item_id = t.item_id"
        "   AND l.state = 'live' AND l.kind = ?3)"
        " AND (?4 = 0 OR NOT EXISTS (SELECT 1 FROM annotations a"
        "   WHERE a.id = t.review_annotation AND a.user_id = ?4))"
        " AND (?4 = 0 OR NOT EXISTS (SELECT 1 FROM seen s WHERE s.user_id = ?4"
        "   AND s.item_id = t.item_id))"
        " ORDER BY t.priority DESC, t.state_ms, t.item_id LIMIT 1",
    [W_TASK_NEXT_ASSIGNED] =
        "SELECT t.item_id FROM tasks t WHERE t.assignee = ?5 AND t.project_id = ?1"
        " AND t.state = ?2 AND NOT EXISTS (SELECT 1 FROM leases l WHERE l.item_id = t.item_id"
        "   AND l.state = 'live' AND l.kind = ?3) AND ?4 = ?4"
        " ORDER BY t.state_ms, t.item_id LIMIT 1",
    [W_TASK_COUNTS] = "SELECT state, count(*) FROM tasks WHERE project_id = ?1 GROUP BY state",
    [W_TASK_OVERDUE] = "SELECT " TASK_COLS " FROM tasks WHERE project_id = ?1"
                       " AND state != 'complete' AND is_gold = 0 AND created_ms < ?2"
                       " ORDER BY created_ms, item_id LIMIT ?3",
    [W_LEASE_INSERT] = "INSERT INTO leases (" LEASE_COLS ")"
                       " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, NULL, NULL)",
    [W_LEASE_GET] = "SELECT " LEASE_COLS " FROM leases WHERE id = ?1",
    [W_LEASE_PUT] = "UPDATE leases SET state = ?2, expires_ms = ?3, draft_json = ?4,"
                    " draft_ms = ?5, idem_key = ?6, answer_json = ?7 WHERE id = ?1",
    [W_LEASE_LIVE_FOR] = "SELECT " LEASE_COLS " FROM leases WHERE user_id = ?2"
                         " AND project_id = ?1 AND kind IN (?3, ?4) AND state = 'live'"
                         " ORDER BY created_ms LIMIT 1",
    [W_LEASE_EXPIRE] = "UPDATE leases SET state = 'expired' WHERE project_id = ?1"
                       " AND state = 'live' AND expires_ms < ?2 RETURNING " LEASE_COLS,
    [W_LEASE_OTHER] = "SELECT 1 FROM leases WHERE item_id = ?1 AND state = 'live'"
                      " AND id != ?2 LIMIT 1",
    [W_SEEN_ADD] = "INSERT OR IGNORE INTO seen (user_id, item_id) VALUES (?1, ?2)",
    [W_WORKER_GET] = "SELECT " WORKER_COLS " FROM workers WHERE project_id = ?1"
                     " AND user_id = ?2",
    [W_WORKER_PUT] = "INSERT OR REPLACE INTO workers (" WORKER_COLS ") VALUES"
                     " (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
    [W_WORKER_LIST] = "SELECT " WORKER_COLS " FROM workers WHERE project_id = ?1"
                      " ORDER BY user_id",
    [W_VENDOR_LABELS] = "SELECT coalesce(sum(CASE WHEN vendor_id = ?2 THEN labels END), 0),"
                        " coalesce(sum(labels), 0) FROM workers WHERE project_id = ?1",
    [W_ANN_ADD] = "INSERT INTO annotations (item_id, user_id, annotator, value_json, created_ms,"
                  " guideline_version, schema_version, workflow_stage, lease_id,"
                  " working_seconds, status, version, prelabel, source)"
                  " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, 'human')",
    [W_ANN_GET] = "SELECT " ANN_COLS " FROM annotations WHERE id = ?1",
    [W_ANN_LIST] = "SELECT " ANN_COLS " FROM annotations WHERE item_id = ?1 AND status = ?2"
                   " ORDER BY id",
    [W_ANN_LIST_ALL] = "SELECT " ANN_COLS " FROM annotations WHERE item_id = ?1 ORDER BY id",
    [W_ANN_STATUS] = "UPDATE annotations SET status = ?2 WHERE id = ?1",
    [W_ANN_EDIT] = "UPDATE annotations SET value_json = ?3, version = version + 1"
                   " WHERE id = ?1 AND version = ?2",
    [W_ANN_EXISTS] = "SELECT version FROM annotations WHERE id = ?1",
    [W_ANN_INVALIDATE] =
        "UPDATE annotations SET status = 'invalidated' WHERE user_id = ?2"
        " AND created_ms >= ?3 AND status = 'active' AND EXISTS (SELECT 1 FROM items i"
        "   WHERE i.id = annotations.item_id AND i.project_id = ?1) RETURNING " ANN_COLS,
    [W_ANN_TALLY] = "SELECT count(*), coalesce(sum(a.working_seconds), 0) FROM annotations a"
                    " WHERE a.user_id = ?2 AND a.created_ms >= ?3 AND EXISTS (SELECT 1"
                    "   FROM items i WHERE i.id = a.item_id AND i.project_id = ?1)",
    [W_REVIEW_ADD] = "INSERT INTO reviews (item_id, annotation_id, author_id, reviewer, verdict,"
                     " reasons_json, comment, created_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7,"
                     " ?8)",
    [W_REVIEW_LAST] = "SELECT " REVIEW_COLS " FROM reviews WHERE annotation_id = ?1"
                      " ORDER BY id DESC LIMIT 1",
    [W_REVIEW_AUTHOR] = "SELECT r.id, r.item_id, r.annotation_id, r.author_id, r.reviewer,"
                        " r.verdict, r.reasons_json, r.comment, r.created_ms FROM reviews r"
                        " JOIN items i ON i.id = r.item_id WHERE r.author_id = ?2"
                        " AND i.project_id = ?1 ORDER BY r.id DESC LIMIT ?3",
    [W_FLAG_ADD] = "INSERT INTO flags (project_id, item_id, user_name, reason, comment,"
                   " prior_state, created_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    [W_FLAG_RESOLVE] = "UPDATE flags SET resolved_ms = ?2 WHERE item_id = ?1"
                       " AND resolved_ms IS NULL RETURNING id, prior_state",
    [W_FLAG_OPEN] = "SELECT " FLAG_COLS " FROM flags WHERE project_id = ?1"
                    " AND resolved_ms IS NULL ORDER BY id LIMIT ?2",
    [W_ITEM_GET] = "SELECT id, project_id, external_id, payload_json, gold_json, created_ms"
                   " FROM items WHERE id = ?1",
    [W_PRED_LATEST] = "SELECT id, item_id, model_name, model_version, value_json, score,"
                      " created_ms FROM predictions WHERE item_id = ?1 ORDER BY id DESC LIMIT 1",
    [W_EVENT_ITEM] = "SELECT id, project_id, kind, actor, object_type, object_id, payload_json,"
                     " created_ms, audit_seq, prev_hash, hash FROM events"
                     " WHERE object_type = 'item' AND object_id = ?1 ORDER BY id",
    [W_PROJECT_NAME] = "SELECT name FROM projects WHERE id = ?1",
    [W_TASK_RESCORE] = "UPDATE tasks SET score = (SELECT min(p.score) FROM predictions p"
                       " WHERE p.item_id = tasks.item_id) WHERE project_id = ?1",
    [W_TASK_UNLABELED] = "SELECT item_id FROM tasks WHERE project_id = ?1 AND state = 'queued'"
                         " AND is_gold = 0 AND done = 0 AND leased = 0",
    [W_TASK_WANTED] = "UPDATE tasks SET wanted = ?2 WHERE item_id = ?1",
    [W_SEEN_HAS] = "SELECT 1 FROM seen WHERE user_id = ?1 AND item_id = ?2",
    [W_SEEN_REMOVE] = "DELETE FROM seen WHERE user_id = ?1 AND item_id = ?2",
    [W_LOT_OPEN] = "SELECT " LOT_COLS " FROM lots WHERE project_id = ?1 AND vendor_id = ?2"
                   " AND state = 'open' ORDER BY id LIMIT 1",
    [W_LOT_GET] = "SELECT " LOT_COLS " FROM lots WHERE id = ?1",
    [W_LOT_INSERT] = "INSERT INTO lots (project_id, vendor_id, state, size, items, sample, ac,"
                     " re, reviewed, defects, created_ms, decided_ms)"
                     " VALUES (?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
    /* bind_lot binds every column; ?2, ?3, ?5 and ?12 are fixed at creation (a gap in the
     * numbers is allowed). */
    [W_LOT_PUT] = "UPDATE lots SET state = ?4, items = ?6, sample = ?7, ac = ?8, re = ?9,"
                  " reviewed = ?10, defects = ?11, decided_ms = ?13 WHERE id = ?1",
    [W_LOT_TASKS] = "SELECT " TASK_COLS " FROM tasks WHERE lot_id = ?1 ORDER BY item_id",
    [W_TASK_ESCALATE] = "UPDATE tasks SET priority = priority + ?3 WHERE project_id = ?1"
                        " AND state = 'queued' AND is_gold = 0 AND created_ms < ?2"
                        " AND priority < ?3",
    [W_LOT_LIST] = "SELECT " LOT_COLS " FROM lots WHERE project_id = ?1 ORDER BY id DESC"
                   " LIMIT ?2",
    [W_LEASE_DRAFT] = "SELECT draft_json FROM leases WHERE item_id = ?1 AND user_id = ?2"
                      " AND draft_json IS NOT NULL ORDER BY draft_ms DESC LIMIT 1",
    [W_ANN_SCAN] = "SELECT a.id, a.item_id, a.user_id, a.annotator, a.value_json, a.created_ms,"
                   " a.guideline_version, a.schema_version, a.workflow_stage, a.lease_id,"
                   " a.working_seconds, a.status, a.version, a.prelabel, t.state, t.is_gold"
                   " FROM tasks t JOIN annotations a ON a.item_id = t.item_id"
                   " WHERE t.project_id = ?1 AND a.status = 'active' ORDER BY t.item_id, a.id",
    [W_SAVEPOINT] = "SAVEPOINT wf_job",
    [W_RELEASE] = "RELEASE wf_job",
    [W_ROLLBACK_TO] = "ROLLBACK TO wf_job",
};

struct lo_sq_wf {
    sqlite3_stmt *stmts[W_COUNT];
};

void lo__sq_wf_free(struct lo_sq_wf *w)
{
    if (!w)
        return;
    for (int i = 0; i < W_COUNT; i++)
        sqlite3_finalize(w->stmts[i]);
    free(w);
}

/* The statement, prepared on first use, reset and unbound. */
static int stmt(struct lo_store *st, enum wf_stmt id, sqlite3_stmt **out, struct lo_error *err)
{
    struct lo_sq_wf **slot = lo__sq_wf_slot(st);
    if (!*slot) {
        *slot = calloc(1, sizeof(**slot));
        if (!*slot)
            return lo_error_set(err, LO_ENOMEM, "out of memory preparing a statement");
    }
    struct lo_sq_wf *w = *slot;
    if (!w->stmts[id]) {
        int rc = sqlite3_prepare_v3(lo__sq_db(st), wf_sql[id], -1, SQLITE_PREPARE_PERSISTENT,
                                    &w->stmts[id], NULL);
        if (rc != SQLITE_OK)
            return lo__sq_fail(st, rc, "preparing a workflow statement", err);
    }
    sqlite3_clear_bindings(w->stmts[id]);
    *out = w->stmts[id];
    return 0;
}

static int write_stmt(struct lo_store *st, enum wf_stmt id, const char *op, sqlite3_stmt **out,
                      struct lo_error *err)
{
    if (!lo__sq_writing(st))
        return lo_error_set(err, LO_EUSAGE, "%s needs a write transaction", op);
    return stmt(st, id, out, err);
}

static void btext(sqlite3_stmt *s, int i, const char *v)
{
    if (v)
        sqlite3_bind_text(s, i, v, -1, SQLITE_STATIC);
    else
        sqlite3_bind_null(s, i);
}

static void bdouble(sqlite3_stmt *s, int i, double v)
{
    if (isnan(v))
        sqlite3_bind_null(s, i);
    else
        sqlite3_bind_double(s, i, v);
}

static void bid(sqlite3_stmt *s, int i, int64_t v)
{
    if (v)
        sqlite3_bind_int64(s, i, v);
    else
        sqlite3_bind_null(s, i);
}

static double cdouble(sqlite3_stmt *s, int i)
{
    return sqlite3_column_type(s, i) == SQLITE_NULL ? NAN : sqlite3_column_double(s, i);
}

/* Column i as text copied into arena (NULL stays NULL); sets *bad on out of memory. */
static const char *ctext(sqlite3_stmt *s, int i, struct lo_arena *arena, bool *bad)
{
    const unsigned char *t = sqlite3_column_text(s, i);
    if (!t)
        return NULL;
    char *copy = lo_arena_strndup(arena, (const char *)t, (size_t)sqlite3_column_bytes(s, i));
    if (!copy)
        *bad = true;
    return copy;
}

/* Steps a statement that returns no rows we need, then resets it. */
static int run(struct lo_store *st, sqlite3_stmt *s, const char *what, struct lo_error *err)
{
    int rc = sqlite3_step(s);
    int ext = sqlite3_extended_errcode(lo__sq_db(st));
    sqlite3_reset(s);
    if (rc != SQLITE_DONE && rc != SQLITE_ROW)
        return lo__sq_fail(st, ext, what, err);
    return 0;
}

/* Steps once: 1 with a row (the caller resets), 0 at the end (reset), or an error (reset). */
static int step(struct lo_store *st, sqlite3_stmt *s, const char *what, struct lo_error *err)
{
    int rc = sqlite3_step(s);
    if (rc == SQLITE_ROW)
        return 1;
    int ext = sqlite3_extended_errcode(lo__sq_db(st));
    sqlite3_reset(s);
    if (rc == SQLITE_DONE)
        return 0;
    return lo__sq_fail(st, ext, what, err);
}

static int nomem(sqlite3_stmt *s, const char *what, struct lo_error *err)
{
    sqlite3_reset(s);
    return lo_error_set(err, LO_ENOMEM, "out of memory reading %s", what);
}

/* ---- configuration ------------------------------------------------------------------------ */

static int w_config_get(struct lo_store *st, int64_t project_id, struct lo_arena *arena,
                        const char **json_out, int *version_out, struct lo_error *err)
{
    sqlite3_stmt *s;
    int rc = stmt(st, W_CONFIG_GET, &s, err);
    if (rc)
        return rc;
    sqlite3_bind_int64(s, 1, project_id);
    rc = step(st, s, "reading a workflow", err);
    if (rc <= 0)
        return rc ? rc : lo_error_set(err, LO_ENOTFOUND, "the project has no workflow");
    bool bad = false;
    *json_out = ctext(s, 0, arena, &bad);
    *version_out = sqlite3_column_int(s, 1);
    sqlite3_reset(s);
    return bad ? lo_error_set(err, LO_ENOMEM, "out of memory reading a workflow") : 0;
}

static int w_config_put(struct lo_store *st, int64_t project_id, const char *json,
                        int64_t now_ms, int *version_out, struct lo_error *err)
{
    sqlite3_stmt *s;
    int rc = write_stmt(st, W_CONFIG_PUT, "config_put", &s, err);
    if (rc)
        return rc;
    sqlite3_bind_int64(s, 1, project_id);
    btext(s, 2, json);
    sqlite3_bind_int64(s, 3, now_ms);
    rc = step(st, s, "storing a workflow", err);
    if (rc <= 0)
        return rc ? rc : lo_error_set(err, LO_ESTORE, "storing a workflow returned no version");
    *version_out = sqlite3_column_int(s, 0);
    sqlite3_reset(s);
    return 0;
}

/* ---- tasks -------------------------------------------------------------------------------- */

static int read_task(sqlite3_stmt *s, struct lo_arena *arena, struct lo_task_row *t)
{
    bool bad = false;
    memset(t, 0, sizeof(*t));
    t->item_id = sqlite3_column_int64(s, 0);
    t->project_id = sqlite3_column_int64(s, 1);
    t->state = ctext(s, 2, arena, &bad);
    t->priority = sqlite3_column_int(s, 3);
    t->wanted = sqlite3_column_int(s, 4);
    t->done = sqlite3_column_int(s, 5);
    t->leased = sqlite3_column_int(s, 6);
    t->rounds = sqlite3_column_int(s, 7);
    t->is_gold = sqlite3_column_int(s, 8) != 0;
    t->assignee = sqlite3_column_int64(s, 9);
    t->review_annotation = sqlite3_column_int64(s, 10);
    t->skills = ctext(s, 11, arena, &bad);
    t->score = cdouble(s, 12);
    t->final_json = ctext(s, 13, arena, &bad);
    t->confidence = cdouble(s, 14);
    t->method = ctext(s, 15, arena, &bad);
    t->state_ms = sqlite3_column_int64(s, 16);
    t->created_ms = sqlite3_column_int64(s, 17);
    t->lot_id = sqlite3_column_int64(s, 18);
    t->lot_hold = sqlite3_column_int(s, 19) != 0;
    return bad ? LO_ENOMEM : 0;
}

/* Calls cb with each task row of a bound statement; a non-zero cb return stops and is returned. */
static int scan_tasks(struct lo_store *st, sqlite3_stmt *s, struct lo_arena *arena,
                      lo_task_row_cb cb, void *ctx, struct lo_error *err)
{
    int rc;
    while ((rc = step(st, s, "reading tasks", err)) == 1) {
        struct lo_task_row t;
        if (read_task(s, arena, &t))
            return nomem(s, "tasks", err);
        rc = cb(ctx, &t);
        if (rc) {
            sqlite3_reset(s);
            return rc;
        }
    }
    return rc;
}

static int w_task_sync(struct lo_store *st, int64_t project_id, int64_t now_ms,
                       lo_task_wanted_fn wanted, void *ctx, int64_t *added,
                       struct lo_error *err)
{
    sqlite3_stmt *sel, *ins;
    *added = 0;
    int rc = write_stmt(st, W_SYNC_SELECT, "task_sync", &sel, err);
    if (!rc)
        rc = stmt(st, W_TASK_INSERT, &ins, err);
    if (rc)
        return rc;
    sqlite3_bind_int64(sel, 1, project_id);
    while ((rc = step(st, sel, "finding items without a task", err)) == 1) {
        int64_t item = sqlite3_column_int64(sel, 0);
        bool gold = sqlite3_column_int(sel, 1) != 0;
        int w = wanted(ctx, item, gold);
        sqlite3_bind_int64(ins, 1, item);
        sqlite3_bind_int64(ins, 2, project_id);
        sqlite3_bind_int(ins, 3, w);
        sqlite3_bind_int(ins, 4, gold);
        sqlite3_bind_value(ins, 5, sqlite3_column_value(sel, 2));
        sqlite3_bind_value(ins, 6, sqlite3_column_value(sel, 3));
        sqlite3_bind_value(ins, 7, sqlite3_column_value(sel, 4));
        sqlite3_bind_int64(ins, 8, now_ms);
        rc = run(st, ins, "creating a task", err);
        if (rc) {
            sqlite3_reset(sel);
            return rc;
        }
        (*added)++;
    }
    return rc;
}

static int w_task_get(struct lo_store *st, int64_t item_id, struct lo_arena *arena,
                      struct lo_task_row *out, struct lo_error *err)
{
    sqlite3_stmt *s;
    int rc = stmt(st, W_TASK_GET, &s, err);
    if (rc)
        return rc;
    sqlite3_bind_int64(s, 1, item_id);
    rc = step(st, s, "reading a task", err);
    if (rc <= 0)
        return rc ? rc
                  : lo_error_set(err, LO_ENOTFOUND, "item %lld is not in the workflow",
                                 (long long)item_id);
    if (read_task(s, arena, out))
        return nomem(s, "a task", err);
    sqlite3_reset(s);
    return 0;
}

static int w_task_put(struct lo_store *st, const struct lo_task_row *t, struct lo_error *err)
{
    sqlite3_stmt *s;
    int rc = write_stmt(st, W_TASK_PUT, "task_put", &s, err);
    if (rc)
        return rc;
    sqlite3_bind_int64(s, 1, t->item_id);
    btext(s, 2, t->state);
    sqlite3_bind_int(s, 3, t->priority);
    sqlite3_bind_int(s, 4, t->wanted);
    sqlite3_bind_int(s, 5, t->done);
    sqlite3_bind_int(s, 6, t->leased);
    sqlite3_bind_int(s, 7, t->rounds);
    bid(s, 8, t->assignee);
    bid(s, 9, t->review_annotation);
    btext(s, 10, t->final_json);
    bdouble(s, 11, t->confidence);
    btext(s, 12, t->method);
    sqlite3_bind_int64(s, 13, t->state_ms);
    bid(s, 14, t->lot_id);
    sqlite3_bind_int(s, 15, t->lot_hold);
    return run(st, s, "updating a task", err);
}

static int w_task_candidates(struct lo_store *st, int64_t project_id, int64_t user_id, bool gold,
                             bool by_score, int limit, struct lo_arena *arena, lo_task_row_cb cb,
                             void *ctx, struct lo_error *err)
{
    sqlite3_stmt *s;
    int rc = stmt(st, by_score ? W_TASK_CAND_SCORE : W_TASK_CAND, &s, err);
    if (rc)
        return rc;
    sqlite3_bind_int64(s, 1, project_id);
    sqlite3_bind_int(s, 2, gold);
    sqlite3_bind_int64(s, 3, user_id);
    sqlite3_bind_int(s, 4, limit);
    return scan_tasks(st, s, arena, cb, ctx, err);
}

static int w_task_next_in_state(struct lo_store *st, int64_t project_id, const char *state,
                                const char *lease_kind, int64_t not_author, int64_t assignee,
                                int64_t *item_out, struct lo_error *err)
{
    sqlite3_stmt *s;
    int rc = stmt(st, assignee ? W_TASK_NEXT_ASSIGNED : W_TASK_NEXT_STATE, &s, err);
    if (rc)
        return rc;
    sqlite3_bind_int64(s, 1, project_id);
    btext(s, 2, state);
    btext(s, 3, lease_kind);
    sqlite3_bind_int64(s, 4, not_author);
    if (assignee)
        sqlite3_bind_int64(s, 5, assignee);
    rc = step(st, s, "finding the next task", err);
    if (rc <= 0)
        return rc ? rc : lo_error_set(err, LO_ENOTFOUND, "no %s task", state);
    *item_out = sqlite3_column_int64(s, 0);
    sqlite3_reset(s);
    return 0;
}

static int w_task_counts(struct lo_store *st, int64_t project_id, struct lo_wf_counts *out,
                         struct lo_error *err)
{
    sqlite3_stmt *s;
    memset(out, 0, sizeof(*out));
    int rc = stmt(st, W_TASK_COUNTS, &s, err);
    if (rc)
        return rc;
    sqlite3_bind_int64(s, 1, project_id);
    while ((rc = step(st, s, "counting tasks", err)) == 1) {
        const char *state = (const char *)sqlite3_column_text(s, 0);
        int64_t n = sqlite3_column_int64(s, 1);
        if (!state)
            continue;
        if (!strcmp(state, "queued"))
            out->queued = n;
        else if (!strcmp(state, "in_review"))
            out->in_review = n;
        else if (!strcmp(state, "rework"))
            out->rework = n;
        else if (!strcmp(state, "adjudication"))
            out->adjudication = n;
        else if (!strcmp(state, "escalated"))
            out->escalated = n;
        else if (!strcmp(state, "complete"))
            out->complete = n;
    }
    return rc;
}

static int w_task_overdue(struct lo_store *st, int64_t project_id, int64_t cutoff_ms, int limit,
                          struct lo_arena *arena, lo_task_row_cb cb, void *ctx,
                          struct lo_error *err)
{
    sqlite3_stmt *s;
    int rc = stmt(st, W_TASK_OVERDUE, &s, err);
    if (rc)
        return rc;
    sqlite3_bind_int64(s, 1, project_id);
    sqlite3_bind_int64(s, 2, cutoff_ms);
    sqlite3_bind_int(s, 3, limit);
    return scan_tasks(st, s, arena, cb, ctx, err);
}

/* ---- leases ------------------------------------------------------------------------------- */

static int read_lease(sqlite3_stmt *s, struct lo_arena *arena, struct lo_lease_row *l)
{
    bool bad = false;
    memset(l, 0, sizeof(*l));
    l->id = ctext(s, 0, arena, &bad);
    l->project_id = sqlite3_column_int64(s, 1);
    l->item_id = sqlite3_column_int64(s, 2);
    l->user_id = sqlite3_column_int64(s, 3);
    l->kind = ctext(s, 4, arena, &bad);
    l->annotation_id = sqlite3_column_int64(s, 5);
    l->state = ctext(s, 6, arena, &bad);
    l->created_ms = sqlite3_column_int64(s, 7);
    l->expires_ms = sqlite3_column_int64(s, 8);
    l->draft_json = ctext(s, 9, arena, &bad);
    l->draft_ms = sqlite3_column_int64(s, 10);
    l->idem_key = ctext(s, 11, arena, &bad);
    l->answer_json = ctext(s, 12, arena, &bad);
    return bad ? LO_ENOMEM : 0;
}

static int w_lease_create(struct lo_store *st, const struct lo_lease_row *l, struct lo_error *err)
{
    sqlite3_stmt *s;
    int rc = write_stmt(st, W_LEASE_INSERT, "lease_create", &s, err);
    if (rc)
        return rc;
    btext(s, 1, l->id);
    sqlite3_bind_int64(s, 2, l->project_id);
    sqlite3_bind_int64(s, 3, l->item_id);
    sqlite3_bind_int64(s, 4, l->user_id);
    btext(s, 5, l->kind);
    bid(s, 6, l->annotation_id);
    btext(s, 7, l->state ? l->state : "live");
    sqlite3_bind_int64(s, 8, l->created_ms);
    sqlite3_bind_int64(s, 9, l->expires_ms);
    btext(s, 10, l->draft_json);
    bid(s, 11, l->draft_ms);
    return run(st, s, "creating a lease", err);
}

static int one_lease(struct lo_store *st, sqlite3_stmt *s, struct lo_arena *arena,
                     struct lo_lease_row *out, const char *missing, struct lo_error *err)
{
    int rc = step(st, s, "reading a lease", err);
    if (rc <= 0)
        return rc ? rc : lo_error_set(err, LO_ENOTFOUND, "%s", missing);
    if (read_lease(s, arena, out))
        return nomem(s, "a lease", err);
    sqlite3_reset(s);
    return 0;
}

static int w_lease_get(struct lo_store *st, const char *id, struct lo_arena *arena,
                       struct lo_lease_row *out, struct lo_error *err)
{
    sqlite3_stmt *s;
    int rc = stmt(st, W_LEASE_GET, &s, err);
    if (rc)
        return rc;
    btext(s, 1, id);
    return one_lease(st, s, arena, out, "no such task", err);
}

static int w_lease_put(struct lo_store *st, const struct lo_lease_row *l, struct lo_error *err)
{
    sqlite3_stmt *s;
    int rc = write_stmt(st, W_LEASE_PUT, "lease_put", &s, err);
    if (rc)
        return rc;
    btext(s, 1, l->id);
    btext(s, 2, l->state);
    sqlite3_bind_int64(s, 3, l->expires_ms);
    btext(s, 4, l->draft_json);
    bid(s, 5, l->draft_ms);
    btext(s, 6, l->idem_key);
    btext(s, 7, l->answer_json);
    return run(st, s, "updating a lease", err);
}

static int w_lease_live_for(struct lo_store *st, int64_t project_id, int64_t user_id,
                            const char *kind, const char *kind2, struct lo_arena *arena,
                            struct lo_lease_row *out, struct lo_error *err)
{
    sqlite3_stmt *s;
    int rc = stmt(st, W_LEASE_LIVE_FOR, &s, err);
    if (rc)
        return rc;
    sqlite3_bind_int64(s, 1, project_id);
    sqlite3_bind_int64(s, 2, user_id);
    btext(s, 3, kind);
    btext(s, 4, kind2 ? kind2 : kind);
    return one_lease(st, s, arena, out, "no live lease", err);
}

static int w_lease_expire(struct lo_store *st, int64_t project_id, int64_t now_ms,
                          struct lo_arena *arena,
                          int (*cb)(void *ctx, const struct lo_lease_row *l), void *ctx,
                          struct lo_error *err)
{
    sqlite3_stmt *s;
    int rc = write_stmt(st, W_LEASE_EXPIRE, "lease_expire", &s, err);
    if (rc)
        return rc;
    sqlite3_bind_int64(s, 1, project_id);
    sqlite3_bind_int64(s, 2, now_ms);
    /* SQLite makes every change of an UPDATE ... RETURNING at the first step and then hands
     * out the rows, so cb may write to other tables while we step. */
    while ((rc = step(st, s, "expiring leases", err)) == 1) {
        struct lo_lease_row l;
        if (read_lease(s, arena, &l))
            return nomem(s, "leases", err);
        rc = cb(ctx, &l);
        if (rc) {
            sqlite3_reset(s);
            return rc;
        }
    }
    return rc;
}

static int w_lease_other_live(struct lo_store *st, int64_t item_id, const char *except_id,
                              bool *out, struct lo_error *err)
{
    sqlite3_stmt *s;
    int rc = stmt(st, W_LEASE_OTHER, &s, err);
    if (rc)
        return rc;
    sqlite3_bind_int64(s, 1, item_id);
    btext(s, 2, except_id ? except_id : "");
    rc = step(st, s, "looking for other leases", err);
    if (rc < 0)
        return rc;
    *out = rc == 1;
    if (rc == 1)
        sqlite3_reset(s);
    return 0;
}

static int w_seen_add(struct lo_store *st, int64_t user_id, int64_t item_id,
                      struct lo_error *err)
{
    sqlite3_stmt *s;
    int rc = write_stmt(st, W_SEEN_ADD, "seen_add", &s, err);
    if (rc)
        return rc;
    sqlite3_bind_int64(s, 1, user_id);
    sqlite3_bind_int64(s, 2, item_id);
    return run(st, s, "recording a seen item", err);
}

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
    w->pause_reason = ctext(s, 5, arena, &bad);
    w->p_below = cdouble(s, 6);
    w->skills = ctext(s, 7, arena, &bad);
    w->cap_per_day = sqlite3_column_int(s, 8);
    w->labels = sqlite3_column_int64(s, 9);
    w->day = sqlite3_column_int64(s, 10);
    w->labels_day = sqlite3_column_int64(s, 11);
    w->gold_correct = sqlite3_column_int64(s, 12);
    w->gold_total = sqlite3_column_int64(s, 13);
    return bad ? LO_ENOMEM : 0;
}

static int w_worker_get(struct lo_store *st, int64_t project_id, int64_t user_id,
                        struct lo_arena *arena, struct lo_worker_row *out, bool *found,
                        struct lo_error *err)
{
    sqlite3_stmt *s;
    int rc = stmt(st, W_WORKER_GET, &s, err);
    if (rc)
        return rc;
    sqlite3_bind_int64(s, 1, project_id);
    sqlite3_bind_int64(s, 2, user_id);
    rc = step(st, s, "reading a worker", err);
    if (rc < 0)
        return rc;
    *found = rc == 1;
    if (rc == 0) {
        memset(out, 0, sizeof(*out));
        out->project_id = project_id;
        out->user_id = user_id;
        out->p_below = NAN;
        out->skills = "";
        return 0;
    }
    if (read_worker(s, arena, out))
        return nomem(s, "a worker", err);
    sqlite3_reset(s);
    return 0;
}

static int w_worker_put(struct lo_store *st, const struct lo_worker_row *w, struct lo_error *err)
{
    sqlite3_stmt *s;
    int rc = write_stmt(st, W_WORKER_PUT, "worker_put", &s, err);
    if (rc)
        return rc;
    sqlite3_bind_int64(s, 1, w->project_id);
    sqlite3_bind_int64(s, 2, w->user_id);
    sqlite3_bind_int64(s, 3, w->vendor_id);
    sqlite3_bind_int(s, 4, w->paused);
    bid(s, 5, w->paused_ms);
    btext(s, 6, w->pause_reason);
    bdouble(s, 7, w->p_below);
    btext(s, 8, w->skills ? w->skills : "");
    sqlite3_bind_int(s, 9, w->cap_per_day);
    sqlite3_bind_int64(s, 10, w->labels);
    sqlite3_bind_int64(s, 11, w->day);
    sqlite3_bind_int64(s, 12, w->labels_day);
    sqlite3_bind_int64(s, 13, w->gold_correct);
    sqlite3_bind_int64(s, 14, w->gold_total);
    return run(st, s, "storing a worker", err);
}

static int w_worker_list(struct lo_store *st, int64_t project_id, struct lo_arena *arena,
                         lo_worker_row_cb cb, void *ctx, struct lo_error *err)
{
    sqlite3_stmt *s;
    int rc = stmt(st, W_WORKER_LIST, &s, err);
    if (rc)
        return rc;
    sqlite3_bind_int64(s, 1, project_id);
    while ((rc = step(st, s, "listing workers", err)) == 1) {
        struct lo_worker_row w;
        if (read_worker(s, arena, &w))
            return nomem(s, "workers", err);
        rc = cb(ctx, &w);
        if (rc) {
            sqlite3_reset(s);
            return rc;
        }
    }
    return rc;
}

static int w_vendor_labels(struct lo_store *st, int64_t project_id, int64_t vendor_id,
                           int64_t *vendor_out, int64_t *all_out, struct lo_error *err)
{
    sqlite3_stmt *s;
    int rc = stmt(st, W_VENDOR_LABELS, &s, err);
    if (rc)
        return rc;
    sqlite3_bind_int64(s, 1, project_id);
    sqlite3_bind_int64(s, 2, vendor_id);
    rc = step(st, s, "counting a vendor's labels", err);
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
    a->annotator = ctext(s, 3, arena, &bad);
    a->value_json = ctext(s, 4, arena, &bad);
    a->created_ms = sqlite3_column_int64(s, 5);
    a->guideline_version = sqlite3_column_int(s, 6);
    a->schema_version = sqlite3_column_int(s, 7);
    a->stage = ctext(s, 8, arena, &bad);
    a->lease_id = ctext(s, 9, arena, &bad);
    a->working_seconds = cdouble(s, 10);
    a->status = ctext(s, 11, arena, &bad);
    a->version = sqlite3_column_int(s, 12);
    a->prelabel = ctext(s, 13, arena, &bad);
    return bad ? LO_ENOMEM : 0;
}

static int scan_anns(struct lo_store *st, sqlite3_stmt *s, struct lo_arena *arena,
                     lo_wf_annotation_cb cb, void *ctx, struct lo_error *err)
{
    int rc;
    while ((rc = step(st, s, "reading annotations", err)) == 1) {
        struct lo_wf_annotation a;
        if (read_ann(s, arena, &a))
            return nomem(s, "annotations", err);
        rc = cb(ctx, &a);
        if (rc) {
            sqlite3_reset(s);
            return rc;
        }
    }
    return rc;
}

static int w_annotation_add(struct lo_store *st, const struct lo_wf_annotation *a,
                            int64_t *id_out, struct lo_error *err)
{
    sqlite3_stmt *s;
    int rc = write_stmt(st, W_ANN_ADD, "annotation_add", &s, err);
    if (rc)
        return rc;
    sqlite3_bind_int64(s, 1, a->item_id);
    bid(s, 2, a->user_id);
    btext(s, 3, a->annotator ? a->annotator : "");
    btext(s, 4, a->value_json ? a->value_json : "{}");
    sqlite3_bind_int64(s, 5, a->created_ms);
    sqlite3_bind_int(s, 6, a->guideline_version);
    sqlite3_bind_int(s, 7, a->schema_version);
    btext(s, 8, a->stage);
    btext(s, 9, a->lease_id);
    bdouble(s, 10, a->working_seconds);
    btext(s, 11, a->status ? a->status : "active");
    sqlite3_bind_int(s, 12, a->version > 0 ? a->version : 1);
    btext(s, 13, a->prelabel);
    rc = run(st, s, "storing an annotation", err);
    if (!rc && id_out)
        *id_out = sqlite3_last_insert_rowid(lo__sq_db(st));
    return rc;
}

static int w_annotation_get(struct lo_store *st, int64_t id, struct lo_arena *arena,
                            struct lo_wf_annotation *out, struct lo_error *err)
{
    sqlite3_stmt *s;
    int rc = stmt(st, W_ANN_GET, &s, err);
    if (rc)
        return rc;
    sqlite3_bind_int64(s, 1, id);
    rc = step(st, s, "reading an annotation", err);
    if (rc <= 0)
        return rc ? rc
                  : lo_error_set(err, LO_ENOTFOUND, "no annotation %lld", (long long)id);
    if (read_ann(s, arena, out))
        return nomem(s, "an annotation", err);
    sqlite3_reset(s);
    return 0;
}

static int w_annotation_list(struct lo_store *st, int64_t item_id, const char *status,
                             struct lo_arena *arena, lo_wf_annotation_cb cb, void *ctx,
                             struct lo_error *err)
{
    sqlite3_stmt *s;
    int rc = stmt(st, status ? W_ANN_LIST : W_ANN_LIST_ALL, &s, err);
    if (rc)
        return rc;
    sqlite3_bind_int64(s, 1, item_id);
    if (status)
        btext(s, 2, status);
    return scan_anns(st, s, arena, cb, ctx, err);
}

static int w_annotation_set_status(struct lo_store *st, int64_t id, const char *status,
                                   struct lo_error *err)
{
    sqlite3_stmt *s;
    int rc = write_stmt(st, W_ANN_STATUS, "annotation_set_status", &s, err);
    if (rc)
        return rc;
    sqlite3_bind_int64(s, 1, id);
    btext(s, 2, status);
    return run(st, s, "changing an annotation's status", err);
}

static int w_annotation_edit(struct lo_store *st, int64_t id, int expected_version,
                             const char *value_json, struct lo_error *err)
{
    sqlite3_stmt *s;
    int rc = write_stmt(st, W_ANN_EDIT, "annotation_edit", &s, err);
    if (rc)
        return rc;
    sqlite3_bind_int64(s, 1, id);
    sqlite3_bind_int(s, 2, expected_version);
    btext(s, 3, value_json);
    rc = run(st, s, "editing an annotation", err);
    if (rc)
        return rc;
    if (sqlite3_changes(lo__sq_db(st)) == 1)
        return 0;
    rc = stmt(st, W_ANN_EXISTS, &s, err);
    if (rc)
        return rc;
    sqlite3_bind_int64(s, 1, id);
    rc = step(st, s, "reading an annotation's version", err);
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

static int w_annotation_invalidate(struct lo_store *st, int64_t project_id, int64_t user_id,
                                   int64_t since_ms, struct lo_arena *arena,
                                   lo_wf_annotation_cb cb, void *ctx, struct lo_error *err)
{
    sqlite3_stmt *s;
    int rc = write_stmt(st, W_ANN_INVALIDATE, "annotation_invalidate", &s, err);
    if (rc)
        return rc;
    sqlite3_bind_int64(s, 1, project_id);
    sqlite3_bind_int64(s, 2, user_id);
    sqlite3_bind_int64(s, 3, since_ms);
    return scan_anns(st, s, arena, cb, ctx, err);
}

static int w_annotation_tally(struct lo_store *st, int64_t project_id, int64_t user_id,
                              int64_t since_ms, int64_t *labels_out, double *seconds_out,
                              struct lo_error *err)
{
    sqlite3_stmt *s;
    int rc = stmt(st, W_ANN_TALLY, &s, err);
    if (rc)
        return rc;
    sqlite3_bind_int64(s, 1, project_id);
    sqlite3_bind_int64(s, 2, user_id);
    sqlite3_bind_int64(s, 3, since_ms);
    rc = step(st, s, "counting labels", err);
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
    r->reviewer = ctext(s, 4, arena, &bad);
    r->verdict = ctext(s, 5, arena, &bad);
    r->reasons_json = ctext(s, 6, arena, &bad);
    r->comment = ctext(s, 7, arena, &bad);
    r->created_ms = sqlite3_column_int64(s, 8);
    return bad ? LO_ENOMEM : 0;
}

static int w_review_add(struct lo_store *st, const struct lo_review_row *r, int64_t *id_out,
                        struct lo_error *err)
{
    sqlite3_stmt *s;
    int rc = write_stmt(st, W_REVIEW_ADD, "review_add", &s, err);
    if (rc)
        return rc;
    sqlite3_bind_int64(s, 1, r->item_id);
    sqlite3_bind_int64(s, 2, r->annotation_id);
    bid(s, 3, r->author_id);
    btext(s, 4, r->reviewer ? r->reviewer : "");
    btext(s, 5, r->verdict);
    btext(s, 6, r->reasons_json ? r->reasons_json : "[]");
    btext(s, 7, r->comment ? r->comment : "");
    sqlite3_bind_int64(s, 8, r->created_ms);
    rc = run(st, s, "storing a review", err);
    if (!rc && id_out)
        *id_out = sqlite3_last_insert_rowid(lo__sq_db(st));
    return rc;
}

static int w_review_last(struct lo_store *st, int64_t annotation_id, struct lo_arena *arena,
                         struct lo_review_row *out, struct lo_error *err)
{
    sqlite3_stmt *s;
    int rc = stmt(st, W_REVIEW_LAST, &s, err);
    if (rc)
        return rc;
    sqlite3_bind_int64(s, 1, annotation_id);
    rc = step(st, s, "reading a review", err);
    if (rc <= 0)
        return rc ? rc : lo_error_set(err, LO_ENOTFOUND, "no review");
    if (read_review(s, arena, out))
        return nomem(s, "a review", err);
    sqlite3_reset(s);
    return 0;
}

static int w_review_list_author(struct lo_store *st, int64_t project_id, int64_t author_id,
                                int limit, struct lo_arena *arena, lo_review_row_cb cb,
                                void *ctx, struct lo_error *err)
{
    sqlite3_stmt *s;
    int rc = stmt(st, W_REVIEW_AUTHOR, &s, err);
    if (rc)
        return rc;
    sqlite3_bind_int64(s, 1, project_id);
    sqlite3_bind_int64(s, 2, author_id);
    sqlite3_bind_int(s, 3, limit);
    while ((rc = step(st, s, "listing reviews", err)) == 1) {
        struct lo_review_row r;
        if (read_review(s, arena, &r))
            return nomem(s, "reviews", err);
        rc = cb(ctx, &r);
        if (rc) {
            sqlite3_reset(s);
            return rc;
        }
    }
    return rc;
}

static int w_flag_add(struct lo_store *st, const struct lo_flag_row *f, int64_t *id_out,
                      struct lo_error *err)
{
    sqlite3_stmt *s;
    int rc = write_stmt(st, W_FLAG_ADD, "flag_add", &s, err);
    if (rc)
        return rc;
    sqlite3_bind_int64(s, 1, f->project_id);
    sqlite3_bind_int64(s, 2, f->item_id);
    btext(s, 3, f->user_name ? f->user_name : "");
    btext(s, 4, f->reason);
    btext(s, 5, f->comment ? f->comment : "");
    btext(s, 6, f->prior_state);
    sqlite3_bind_int64(s, 7, f->created_ms);
    rc = run(st, s, "storing a flag", err);
    if (!rc && id_out)
        *id_out = sqlite3_last_insert_rowid(lo__sq_db(st));
    return rc;
}

static int w_flag_resolve(struct lo_store *st, int64_t item_id, int64_t now_ms,
                          struct lo_arena *arena, const char **prior_state,
                          struct lo_error *err)
{
    sqlite3_stmt *s;
    *prior_state = NULL;
    int rc = write_stmt(st, W_FLAG_RESOLVE, "flag_resolve", &s, err);
    if (rc)
        return rc;
    sqlite3_bind_int64(s, 1, item_id);
    sqlite3_bind_int64(s, 2, now_ms);
    int64_t first = 0;
    bool bad = false;
    while ((rc = step(st, s, "resolving flags", err)) == 1) {
        int64_t id = sqlite3_column_int64(s, 0);
        if (!first || id < first) {
            first = id;
            *prior_state = ctext(s, 1, arena, &bad);
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

static int w_flag_list_open(struct lo_store *st, int64_t project_id, int limit,
                            struct lo_arena *arena, lo_flag_row_cb cb, void *ctx,
                            struct lo_error *err)
{
    sqlite3_stmt *s;
    int rc = stmt(st, W_FLAG_OPEN, &s, err);
    if (rc)
        return rc;
    sqlite3_bind_int64(s, 1, project_id);
    sqlite3_bind_int(s, 2, limit);
    while ((rc = step(st, s, "listing flags", err)) == 1) {
        bool bad = false;
        struct lo_flag_row f = {
            .id = sqlite3_column_int64(s, 0),
            .project_id = sqlite3_column_int64(s, 1),
            .item_id = sqlite3_column_int64(s, 2),
            .user_name = ctext(s, 3, arena, &bad),
            .reason = ctext(s, 4, arena, &bad),
            .comment = ctext(s, 5, arena, &bad),
            .prior_state = ctext(s, 6, arena, &bad),
            .created_ms = sqlite3_column_int64(s, 7),
            .resolved_ms = sqlite3_column_int64(s, 8),
        };
        if (bad)
            return nomem(s, "flags", err);
        rc = cb(ctx, &f);
        if (rc) {
            sqlite3_reset(s);
            return rc;
        }
    }
    return rc;
}

/* ---- items, predictions, events ---------------------------------------------- */

static int w_item_get(struct lo_store *st, int64_t item_id, struct lo_arena *arena,
                      struct lo_item *out, struct lo_error *err)
{
    sqlite3_stmt *s;
    int rc = stmt(st, W_ITEM_GET, &s, err);
    if (rc)
        return rc;
    sqlite3_bind_int64(s, 1, item_id);
    rc = step(st, s, "reading an item", err);
    if (rc <= 0)
        return rc ? rc : lo_error_set(err, LO_ENOTFOUND, "no item %lld", (long long)item_id);
    bool bad = false;
    memset(out, 0, sizeof(*out));
    out->id = sqlite3_column_int64(s, 0);
    out->project_id = sqlite3_column_int64(s, 1);
    out->external_id = ctext(s, 2, arena, &bad);
    out->payload_json = ctext(s, 3, arena, &bad);
    out->gold_json = ctext(s, 4, arena, &bad);
    out->created_ms = sqlite3_column_int64(s, 5);
    if (bad)
        return nomem(s, "an item", err);
    sqlite3_reset(s);
    return 0;
}

static int w_prediction_latest(struct lo_store *st, int64_t item_id, struct lo_arena *arena,
                               struct lo_prediction *out, struct lo_error *err)
{
    sqlite3_stmt *s;
    int rc = stmt(st, W_PRED_LATEST, &s, err);
    if (rc)
        return rc;
    sqlite3_bind_int64(s, 1, item_id);
    rc = step(st, s, "reading a prediction", err);
    if (rc <= 0)
        return rc ? rc : lo_error_set(err, LO_ENOTFOUND, "no prediction");
    bool bad = false;
    memset(out, 0, sizeof(*out));
    out->id = sqlite3_column_int64(s, 0);
    out->item_id = sqlite3_column_int64(s, 1);
    out->model_name = ctext(s, 2, arena, &bad);
    out->model_version = ctext(s, 3, arena, &bad);
    out->value_json = ctext(s, 4, arena, &bad);
    out->score = cdouble(s, 5);
    out->created_ms = sqlite3_column_int64(s, 6);
    if (bad)
        return nomem(s, "a prediction", err);
    sqlite3_reset(s);
    return 0;
}

static int w_event_list_item(struct lo_store *st, int64_t item_id, struct lo_arena *arena,
                             int (*cb)(void *ctx, const struct lo_event *e), void *ctx,
                             struct lo_error *err)
{
    sqlite3_stmt *s;
    int rc = stmt(st, W_EVENT_ITEM, &s, err);
    if (rc)
        return rc;
    sqlite3_bind_int64(s, 1, item_id);
    while ((rc = step(st, s, "reading an item's history", err)) == 1) {
        bool bad = false;
        struct lo_event e = {
            .id = sqlite3_column_int64(s, 0),
            .project_id = sqlite3_column_int64(s, 1),
            .kind = ctext(s, 2, arena, &bad),
            .actor = ctext(s, 3, arena, &bad),
            .object_type = ctext(s, 4, arena, &bad),
            .object_id = sqlite3_column_int64(s, 5),
            .payload_json = ctext(s, 6, arena, &bad),
            .created_ms = sqlite3_column_int64(s, 7),
            .audit_seq = sqlite3_column_int64(s, 8),
            .prev_hash = ctext(s, 9, arena, &bad),
            .hash = ctext(s, 10, arena, &bad),
        };
        if (bad)
            return nomem(s, "events", err);
        rc = cb(ctx, &e);
        if (rc) {
            sqlite3_reset(s);
            return rc;
        }
    }
    return rc;
}

static int w_project_name(struct lo_store *st, int64_t project_id, struct lo_arena *arena,
                          const char **out, struct lo_error *err)
{
    sqlite3_stmt *s;
    int rc = stmt(st, W_PROJECT_NAME, &s, err);
    if (rc)
        return rc;
    sqlite3_bind_int64(s, 1, project_id);
    rc = step(st, s, "reading a project's name", err);
    if (rc <= 0)
        return rc ? rc : lo_error_set(err, LO_ENOTFOUND, "no project %lld", (long long)project_id);
    bool bad = false;
    *out = ctext(s, 0, arena, &bad);
    sqlite3_reset(s);
    return bad ? lo_error_set(err, LO_ENOMEM, "out of memory") : 0;
}

static int w_annotation_scan(struct lo_store *st, int64_t project_id, struct lo_arena *arena,
                             int (*cb)(void *ctx, const struct lo_wf_annotation *a,
                                       const char *state, bool is_gold),
                             void *ctx, struct lo_error *err)
{
    sqlite3_stmt *s;
    int rc = stmt(st, W_ANN_SCAN, &s, err);
    if (rc)
        return rc;
    sqlite3_bind_int64(s, 1, project_id);
    while ((rc = step(st, s, "reading a project's labels", err)) == 1) {
        struct lo_wf_annotation a;
        bool bad = false;
        if (read_ann(s, arena, &a))
            return nomem(s, "annotations", err);
        const char *state = ctext(s, 14, arena, &bad);
        if (bad)
            return nomem(s, "annotations", err);
        rc = cb(ctx, &a, state, sqlite3_column_int(s, 15) != 0);
        if (rc) {
            sqlite3_reset(s);
            return rc;
        }
    }
    return rc;
}

static int w_task_rescore(struct lo_store *st, int64_t project_id, struct lo_error *err)
{
    sqlite3_stmt *s;
    int rc = write_stmt(st, W_TASK_RESCORE, "task_rescore", &s, err);
    if (rc)
        return rc;
    sqlite3_bind_int64(s, 1, project_id);
    return run(st, s, "updating the tasks' prediction scores", err);
}

static int w_task_rewant(struct lo_store *st, int64_t project_id, lo_task_wanted_fn wanted,
                         void *ctx, struct lo_error *err)
{
    sqlite3_stmt *sel, *upd;
    int rc = write_stmt(st, W_TASK_UNLABELED, "task_rewant", &sel, err);
    if (!rc)
        rc = stmt(st, W_TASK_WANTED, &upd, err);
    if (rc)
        return rc;
    sqlite3_bind_int64(sel, 1, project_id);
    while ((rc = step(st, sel, "finding tasks not labeled yet", err)) == 1) {
        int64_t item = sqlite3_column_int64(sel, 0);
        sqlite3_bind_int64(upd, 1, item);
        sqlite3_bind_int(upd, 2, wanted(ctx, item, false));
        rc = run(st, upd, "updating a task's overlap", err);
        if (rc) {
            sqlite3_reset(sel);
            return rc;
        }
    }
    return rc;
}

static int w_seen_remove(struct lo_store *st, int64_t user_id, int64_t item_id,
                         struct lo_error *err)
{
    sqlite3_stmt *s;
    int rc = write_stmt(st, W_SEEN_REMOVE, "seen_remove", &s, err);
    if (rc)
        return rc;
    sqlite3_bind_int64(s, 1, user_id);
    sqlite3_bind_int64(s, 2, item_id);
    return run(st, s, "forgetting a seen item", err);
}

static int w_lease_last_draft(struct lo_store *st, int64_t item_id, int64_t user_id,
                              struct lo_arena *arena, const char **draft_out,
                              struct lo_error *err)
{
    sqlite3_stmt *s;
    *draft_out = NULL;
    int rc = stmt(st, W_LEASE_DRAFT, &s, err);
    if (rc)
        return rc;
    sqlite3_bind_int64(s, 1, item_id);
    sqlite3_bind_int64(s, 2, user_id);
    rc = step(st, s, "reading a draft", err);
    if (rc <= 0)
        return rc;
    bool bad = false;
    *draft_out = ctext(s, 0, arena, &bad);
    sqlite3_reset(s);
    return bad ? lo_error_set(err, LO_ENOMEM, "out of memory") : 0;
}

static int w_seen_has(struct lo_store *st, int64_t user_id, int64_t item_id, bool *out,
                      struct lo_error *err)
{
    sqlite3_stmt *s;
    int rc = stmt(st, W_SEEN_HAS, &s, err);
    if (rc)
        return rc;
    sqlite3_bind_int64(s, 1, user_id);
    sqlite3_bind_int64(s, 2, item_id);
    rc = step(st, s, "looking up a seen item", err);
    if (rc < 0)
        return rc;
    *out = rc == 1;
    if (rc == 1)
        sqlite3_reset(s);
    return 0;
}

/* ---- lots ---------------------------------------------------------------------------------- */

static int read_lot(sqlite3_stmt *s, struct lo_arena *arena, struct lo_lot_row *l)
{
    bool bad = false;
    *l = (struct lo_lot_row){
        .id = sqlite3_column_int64(s, 0),
        .project_id = sqlite3_column_int64(s, 1),
        .vendor_id = sqlite3_column_int64(s, 2),
        .state = ctext(s, 3, arena, &bad),
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
    int rc = step(st, s, "reading a lot", err);
    if (rc <= 0)
        return rc ? rc : lo_error_set(err, LO_ENOTFOUND, "no such lot");
    if (read_lot(s, arena, out))
        return nomem(s, "a lot", err);
    sqlite3_reset(s);
    return 0;
}

static int w_lot_open(struct lo_store *st, int64_t project_id, int64_t vendor_id,
                      struct lo_lot_row *out, struct lo_arena *arena, struct lo_error *err)
{
    sqlite3_stmt *s;
    int rc = stmt(st, W_LOT_OPEN, &s, err);
    if (rc)
        return rc;
    sqlite3_bind_int64(s, 1, project_id);
    sqlite3_bind_int64(s, 2, vendor_id);
    return one_lot(st, s, out, arena, err);
}

static int w_lot_get(struct lo_store *st, int64_t id, struct lo_lot_row *out,
                     struct lo_arena *arena, struct lo_error *err)
{
    sqlite3_stmt *s;
    int rc = stmt(st, W_LOT_GET, &s, err);
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
    btext(s, 4, l->state);
    sqlite3_bind_int64(s, 5, l->size);
    sqlite3_bind_int64(s, 6, l->items);
    sqlite3_bind_int64(s, 7, l->sample);
    sqlite3_bind_int(s, 8, l->ac);
    sqlite3_bind_int(s, 9, l->re);
    sqlite3_bind_int64(s, 10, l->reviewed);
    sqlite3_bind_int64(s, 11, l->defects);
    sqlite3_bind_int64(s, 12, l->created_ms);
    bid(s, 13, l->decided_ms);
}

static int w_lot_create(struct lo_store *st, struct lo_lot_row *l, struct lo_error *err)
{
    sqlite3_stmt *s;
    int rc = write_stmt(st, W_LOT_INSERT, "lot_create", &s, err);
    if (rc)
        return rc;
    bind_lot(s, l);
    rc = run(st, s, "creating a lot", err);
    if (!rc)
        l->id = sqlite3_last_insert_rowid(lo__sq_db(st));
    return rc;
}

static int w_lot_put(struct lo_store *st, const struct lo_lot_row *l, struct lo_error *err)
{
    sqlite3_stmt *s;
    int rc = write_stmt(st, W_LOT_PUT, "lot_put", &s, err);
    if (rc)
        return rc;
    bind_lot(s, l);
    return run(st, s, "updating a lot", err);
}

static int w_lot_tasks(struct lo_store *st, int64_t lot_id, struct lo_arena *arena,
                       lo_task_row_cb cb, void *ctx, struct lo_error *err)
{
    sqlite3_stmt *s;
    int rc = stmt(st, W_LOT_TASKS, &s, err);
    if (rc)
        return rc;
    sqlite3_bind_int64(s, 1, lot_id);
    return scan_tasks(st, s, arena, cb, ctx, err);
}

static int w_lot_list(struct lo_store *st, int64_t project_id, int limit, struct lo_arena *arena,
                      int (*cb)(void *ctx, const struct lo_lot_row *l), void *ctx,
                      struct lo_error *err)
{
    sqlite3_stmt *s;
    int rc = stmt(st, W_LOT_LIST, &s, err);
    if (rc)
        return rc;
    sqlite3_bind_int64(s, 1, project_id);
    sqlite3_bind_int(s, 2, limit);
    while ((rc = step(st, s, "listing lots", err)) == 1) {
        struct lo_lot_row l;
        if (read_lot(s, arena, &l))
            return nomem(s, "lots", err);
        rc = cb(ctx, &l);
        if (rc) {
            sqlite3_reset(s);
            return rc;
        }
    }
    return rc;
}

static int w_task_escalate(struct lo_store *st, int64_t project_id, int64_t cutoff_ms, int bump,
                           int64_t *raised, struct lo_error *err)
{
    sqlite3_stmt *s;
    int rc = write_stmt(st, W_TASK_ESCALATE, "task_escalate", &s, err);
    if (rc)
        return rc;
    sqlite3_bind_int64(s, 1, project_id);
    sqlite3_bind_int64(s, 2, cutoff_ms);
    sqlite3_bind_int(s, 3, bump);
    rc = run(st, s, "raising overdue tasks", err);
    *raised = rc ? 0 : sqlite3_changes(lo__sq_db(st));
    return rc;
}

/* ---- savepoints --------------------------------------------------------------------------- */

static int w_savepoint(struct lo_store *st, struct lo_error *err)
{
    sqlite3_stmt *s;
    int rc = write_stmt(st, W_SAVEPOINT, "savepoint", &s, err);
    return rc ? rc : run(st, s, "opening a savepoint", err);
}

static int w_savepoint_release(struct lo_store *st, struct lo_error *err)
{
    sqlite3_stmt *s;
    int rc = stmt(st, W_RELEASE, &s, err);
    return rc ? rc : run(st, s, "releasing a savepoint", err);
}

static int w_savepoint_rollback(struct lo_store *st)
{
    sqlite3_stmt *s;
    struct lo_error e;
    if (sqlite3_get_autocommit(lo__sq_db(st)))
        return 0; /* SQLite rolled the whole transaction back already */
    int rc = stmt(st, W_ROLLBACK_TO, &s, &e);
    if (!rc)
        rc = run(st, s, "rolling back to a savepoint", &e);
    if (!rc)
        rc = w_savepoint_release(st, &e);
    return rc;
}

const struct lo_wf_store_ops lo__sq_wf_ops = {
    .config_get = w_config_get,
    .config_put = w_config_put,
    .task_sync = w_task_sync,
    .task_get = w_task_get,
    .task_put = w_task_put,
    .task_candidates = w_task_candidates,
    .task_next_in_state = w_task_next_in_state,
    .task_counts = w_task_counts,
    .task_overdue = w_task_overdue,
    .lease_create = w_lease_create,
    .lease_get = w_lease_get,
    .lease_put = w_lease_put,
    .lease_live_for = w_lease_live_for,
    .lease_expire = w_lease_expire,
    .lease_other_live = w_lease_other_live,
    .seen_add = w_seen_add,
    .worker_get = w_worker_get,
    .worker_put = w_worker_put,
    .worker_list = w_worker_list,
    .vendor_labels = w_vendor_labels,
    .annotation_add = w_annotation_add,
    .annotation_get = w_annotation_get,
    .annotation_list = w_annotation_list,
    .annotation_set_status = w_annotation_set_status,
    .annotation_edit = w_annotation_edit,
    .annotation_invalidate = w_annotation_invalidate,
    .annotation_tally = w_annotation_tally,
    .review_add = w_review_add,
    .review_last = w_review_last,
    .review_list_author = w_review_list_author,
    .flag_add = w_flag_add,
    .flag_resolve = w_flag_resolve,
    .flag_list_open = w_flag_list_open,
    .item_get = w_item_get,
    .prediction_latest = w_prediction_latest,
    .event_list_item = w_event_list_item,
    .project_name = w_project_name,
    .annotation_scan = w_annotation_scan,
    .task_rescore = w_task_rescore,
    .task_rewant = w_task_rewant,
    .seen_has = w_seen_has,
    .seen_remove = w_seen_remove,
    .lease_last_draft = w_lease_last_draft,
    .lot_open = w_lot_open,
    .lot_get = w_lot_get,
    .lot_create = w_lot_create,
    .lot_put = w_lot_put,
    .lot_tasks = w_lot_tasks,
    .lot_list = w_lot_list,
    .task_escalate = w_task_escalate,
    .savepoint = w_savepoint,
    .savepoint_release = w_savepoint_release,
    .savepoint_rollback = w_savepoint_rollback,
};
