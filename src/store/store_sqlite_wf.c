/*
 * store_sqlite_wf.c - the workflow's queue in the SQLite store (store_wf.h): the workflow
 * configuration, tasks (sync, get, put, next-task selection, counts, overdue and escalation,
 * the tasks of a lot), leases and their drafts, the items a user has seen, and the savepoints
 * of the group-commit writer. It also holds the table lo__sq_wf_ops, which names the operations
 * of store_sqlite_review.c too (labels, reviews, flags, lots, workers).
 *
 * Each connection keeps this file's prepared statements apart from the other files' (made on
 * first use); the connection, its transaction state, its error mapping and the helpers that
 * prepare, bind, step and read come from store_sqlite.c and sqlite_util.c through sqlite_int.h.
 * It never builds SQL text: values travel as bound parameters.
 */
#include <sqlite3.h>
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
    W_TASK_COUNT_OPEN,
    W_TASK_OVERDUE,
    W_LEASE_INSERT,
    W_LEASE_GET,
    W_LEASE_PUT,
    W_LEASE_LIVE_FOR,
    W_LEASE_EXPIRE,
    W_LEASE_OTHER,
    W_SEEN_ADD,
    W_TASK_RESCORE,
    W_TASK_UNLABELED,
    W_TASK_WANTED,
    W_SEEN_HAS,
    W_SEEN_REMOVE,
    W_LOT_TASKS,
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

/* The candidate query: queued tasks with room the user has not seen (?2: gold or not). The
 * count of what an annotator could still be given (W_TASK_COUNT_OPEN) shares the filter. */
#define CAND_WHERE                                                                             \
    " t.project_id = ?1 AND t.state = 'queued'"                                                \
    " AND (t.is_gold OR t.done + t.leased < t.wanted)"                                         \
    " AND NOT EXISTS (SELECT 1 FROM seen s WHERE s.user_id = ?3 AND s.item_id = t.item_id)"
#define CAND_SQL "SELECT " TASK_COLS " FROM tasks t WHERE t.is_gold = ?2 AND" CAND_WHERE

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
    /* CAND_WHERE without ?2 (both kinds): SQLite allows the gap in the numbers */
    [W_TASK_COUNT_OPEN] = "SELECT count(*) FROM tasks t WHERE" CAND_WHERE,
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
    [W_TASK_RESCORE] = "UPDATE tasks SET score = (SELECT min(p.score) FROM predictions p"
                       " WHERE p.item_id = tasks.item_id) WHERE project_id = ?1",
    [W_TASK_UNLABELED] = "SELECT item_id FROM tasks WHERE project_id = ?1 AND state = 'queued'"
                         " AND is_gold = 0 AND done = 0 AND leased = 0",
    [W_TASK_WANTED] = "UPDATE tasks SET wanted = ?2 WHERE item_id = ?1",
    [W_SEEN_HAS] = "SELECT 1 FROM seen WHERE user_id = ?1 AND item_id = ?2",
    [W_SEEN_REMOVE] = "DELETE FROM seen WHERE user_id = ?1 AND item_id = ?2",
    [W_LOT_TASKS] = "SELECT " TASK_COLS " FROM tasks WHERE lot_id = ?1 ORDER BY item_id",
    [W_TASK_ESCALATE] = "UPDATE tasks SET priority = priority + ?3 WHERE project_id = ?1"
                        " AND state = 'queued' AND is_gold = 0 AND created_ms < ?2"
                        " AND priority < ?3",
    [W_LEASE_DRAFT] = "SELECT draft_json FROM leases WHERE item_id = ?1 AND user_id = ?2"
                      " AND draft_json IS NOT NULL ORDER BY draft_ms DESC LIMIT 1",
    [W_SAVEPOINT] = "SAVEPOINT wf_job",
    [W_RELEASE] = "RELEASE wf_job",
    [W_ROLLBACK_TO] = "ROLLBACK TO wf_job",
};

static const struct lo_sq_sql wf_part = { LO_SQ_PART_WF, W_COUNT, wf_sql };

/* ---- configuration ------------------------------------------------------------------------ */

static int w_config_get(struct lo_store *st, int64_t project_id, struct lo_arena *arena,
                        const char **json_out, int *version_out, struct lo_error *err)
{
    sqlite3_stmt *s;
    int rc = lo__sq_stmt(st, &wf_part, W_CONFIG_GET, &s, err);
    if (rc)
        return rc;
    sqlite3_bind_int64(s, 1, project_id);
    rc = lo__sq_step(st, s, "reading a workflow", err);
    if (rc <= 0)
        return rc ? rc : lo_error_set(err, LO_ENOTFOUND, "the project has no workflow");
    bool bad = false;
    *json_out = lo__sq_col_dup(s, 0, arena, &bad);
    *version_out = sqlite3_column_int(s, 1);
    sqlite3_reset(s);
    return bad ? lo_error_set(err, LO_ENOMEM, "out of memory reading a workflow") : 0;
}

static int w_config_put(struct lo_store *st, int64_t project_id, const char *json,
                        int64_t now_ms, int *version_out, struct lo_error *err)
{
    sqlite3_stmt *s;
    int rc = lo__sq_write_stmt(st, &wf_part, W_CONFIG_PUT, "config_put", &s, err);
    if (rc)
        return rc;
    sqlite3_bind_int64(s, 1, project_id);
    lo__sq_bind_text(s, 2, json);
    sqlite3_bind_int64(s, 3, now_ms);
    rc = lo__sq_step(st, s, "storing a workflow", err);
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
    t->state = lo__sq_col_dup(s, 2, arena, &bad);
    t->priority = sqlite3_column_int(s, 3);
    t->wanted = sqlite3_column_int(s, 4);
    t->done = sqlite3_column_int(s, 5);
    t->leased = sqlite3_column_int(s, 6);
    t->rounds = sqlite3_column_int(s, 7);
    t->is_gold = sqlite3_column_int(s, 8) != 0;
    t->assignee = sqlite3_column_int64(s, 9);
    t->review_annotation = sqlite3_column_int64(s, 10);
    t->skills = lo__sq_col_dup(s, 11, arena, &bad);
    t->score = lo__sq_col_double(s, 12);
    t->final_json = lo__sq_col_dup(s, 13, arena, &bad);
    t->confidence = lo__sq_col_double(s, 14);
    t->method = lo__sq_col_dup(s, 15, arena, &bad);
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
    while ((rc = lo__sq_step(st, s, "reading tasks", err)) == 1) {
        struct lo_task_row t;
        if (read_task(s, arena, &t))
            return lo__sq_nomem(s, "tasks", err);
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
    int rc = lo__sq_write_stmt(st, &wf_part, W_SYNC_SELECT, "task_sync", &sel, err);
    if (!rc)
        rc = lo__sq_stmt(st, &wf_part, W_TASK_INSERT, &ins, err);
    if (rc)
        return rc;
    sqlite3_bind_int64(sel, 1, project_id);
    while ((rc = lo__sq_step(st, sel, "finding items without a task", err)) == 1) {
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
        rc = lo__sq_run(st, ins, "creating a task", err);
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
    int rc = lo__sq_stmt(st, &wf_part, W_TASK_GET, &s, err);
    if (rc)
        return rc;
    sqlite3_bind_int64(s, 1, item_id);
    rc = lo__sq_step(st, s, "reading a task", err);
    if (rc <= 0)
        return rc ? rc
                  : lo_error_set(err, LO_ENOTFOUND, "item %lld is not in the workflow",
                                 (long long)item_id);
    if (read_task(s, arena, out))
        return lo__sq_nomem(s, "a task", err);
    sqlite3_reset(s);
    return 0;
}

static int w_task_put(struct lo_store *st, const struct lo_task_row *t, struct lo_error *err)
{
    sqlite3_stmt *s;
    int rc = lo__sq_write_stmt(st, &wf_part, W_TASK_PUT, "task_put", &s, err);
    if (rc)
        return rc;
    sqlite3_bind_int64(s, 1, t->item_id);
    lo__sq_bind_text(s, 2, t->state);
    sqlite3_bind_int(s, 3, t->priority);
    sqlite3_bind_int(s, 4, t->wanted);
    sqlite3_bind_int(s, 5, t->done);
    sqlite3_bind_int(s, 6, t->leased);
    sqlite3_bind_int(s, 7, t->rounds);
    lo__sq_bind_id(s, 8, t->assignee);
    lo__sq_bind_id(s, 9, t->review_annotation);
    lo__sq_bind_text(s, 10, t->final_json);
    lo__sq_bind_double(s, 11, t->confidence);
    lo__sq_bind_text(s, 12, t->method);
    sqlite3_bind_int64(s, 13, t->state_ms);
    lo__sq_bind_id(s, 14, t->lot_id);
    sqlite3_bind_int(s, 15, t->lot_hold);
    return lo__sq_run(st, s, "updating a task", err);
}

static int w_task_candidates(struct lo_store *st, int64_t project_id, int64_t user_id, bool gold,
                             bool by_score, int limit, struct lo_arena *arena, lo_task_row_cb cb,
                             void *ctx, struct lo_error *err)
{
    sqlite3_stmt *s;
    int rc = lo__sq_stmt(st, &wf_part, by_score ? W_TASK_CAND_SCORE : W_TASK_CAND, &s, err);
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
    enum wf_stmt id = assignee ? W_TASK_NEXT_ASSIGNED : W_TASK_NEXT_STATE;
    int rc = lo__sq_stmt(st, &wf_part, id, &s, err);
    if (rc)
        return rc;
    sqlite3_bind_int64(s, 1, project_id);
    lo__sq_bind_text(s, 2, state);
    lo__sq_bind_text(s, 3, lease_kind);
    sqlite3_bind_int64(s, 4, not_author);
    if (assignee)
        sqlite3_bind_int64(s, 5, assignee);
    rc = lo__sq_step(st, s, "finding the next task", err);
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
    int rc = lo__sq_stmt(st, &wf_part, W_TASK_COUNTS, &s, err);
    if (rc)
        return rc;
    sqlite3_bind_int64(s, 1, project_id);
    while ((rc = lo__sq_step(st, s, "counting tasks", err)) == 1) {
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

static int w_task_count_open(struct lo_store *st, int64_t project_id, int64_t user_id,
                             int64_t *out, struct lo_error *err)
{
    sqlite3_stmt *s;
    *out = 0;
    int rc = lo__sq_stmt(st, &wf_part, W_TASK_COUNT_OPEN, &s, err);
    if (rc)
        return rc;
    sqlite3_bind_int64(s, 1, project_id);
    sqlite3_bind_int64(s, 3, user_id);
    rc = lo__sq_step(st, s, "counting open tasks", err);
    if (rc < 0)
        return rc;
    if (rc == 1)
        *out = sqlite3_column_int64(s, 0);
    sqlite3_reset(s);
    return 0;
}

static int w_task_overdue(struct lo_store *st, int64_t project_id, int64_t cutoff_ms, int limit,
                          struct lo_arena *arena, lo_task_row_cb cb, void *ctx,
                          struct lo_error *err)
{
    sqlite3_stmt *s;
    int rc = lo__sq_stmt(st, &wf_part, W_TASK_OVERDUE, &s, err);
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
    l->id = lo__sq_col_dup(s, 0, arena, &bad);
    l->project_id = sqlite3_column_int64(s, 1);
    l->item_id = sqlite3_column_int64(s, 2);
    l->user_id = sqlite3_column_int64(s, 3);
    l->kind = lo__sq_col_dup(s, 4, arena, &bad);
    l->annotation_id = sqlite3_column_int64(s, 5);
    l->state = lo__sq_col_dup(s, 6, arena, &bad);
    l->created_ms = sqlite3_column_int64(s, 7);
    l->expires_ms = sqlite3_column_int64(s, 8);
    l->draft_json = lo__sq_col_dup(s, 9, arena, &bad);
    l->draft_ms = sqlite3_column_int64(s, 10);
    l->idem_key = lo__sq_col_dup(s, 11, arena, &bad);
    l->answer_json = lo__sq_col_dup(s, 12, arena, &bad);
    return bad ? LO_ENOMEM : 0;
}

static int w_lease_create(struct lo_store *st, const struct lo_lease_row *l, struct lo_error *err)
{
    sqlite3_stmt *s;
    int rc = lo__sq_write_stmt(st, &wf_part, W_LEASE_INSERT, "lease_create", &s, err);
    if (rc)
        return rc;
    lo__sq_bind_text(s, 1, l->id);
    sqlite3_bind_int64(s, 2, l->project_id);
    sqlite3_bind_int64(s, 3, l->item_id);
    sqlite3_bind_int64(s, 4, l->user_id);
    lo__sq_bind_text(s, 5, l->kind);
    lo__sq_bind_id(s, 6, l->annotation_id);
    lo__sq_bind_text(s, 7, l->state ? l->state : "live");
    sqlite3_bind_int64(s, 8, l->created_ms);
    sqlite3_bind_int64(s, 9, l->expires_ms);
    lo__sq_bind_text(s, 10, l->draft_json);
    lo__sq_bind_id(s, 11, l->draft_ms);
    return lo__sq_run(st, s, "creating a lease", err);
}

static int one_lease(struct lo_store *st, sqlite3_stmt *s, struct lo_arena *arena,
                     struct lo_lease_row *out, const char *missing, struct lo_error *err)
{
    int rc = lo__sq_step(st, s, "reading a lease", err);
    if (rc <= 0)
        return rc ? rc : lo_error_set(err, LO_ENOTFOUND, "%s", missing);
    if (read_lease(s, arena, out))
        return lo__sq_nomem(s, "a lease", err);
    sqlite3_reset(s);
    return 0;
}

static int w_lease_get(struct lo_store *st, const char *id, struct lo_arena *arena,
                       struct lo_lease_row *out, struct lo_error *err)
{
    sqlite3_stmt *s;
    int rc = lo__sq_stmt(st, &wf_part, W_LEASE_GET, &s, err);
    if (rc)
        return rc;
    lo__sq_bind_text(s, 1, id);
    return one_lease(st, s, arena, out, "no such task", err);
}

static int w_lease_put(struct lo_store *st, const struct lo_lease_row *l, struct lo_error *err)
{
    sqlite3_stmt *s;
    int rc = lo__sq_write_stmt(st, &wf_part, W_LEASE_PUT, "lease_put", &s, err);
    if (rc)
        return rc;
    lo__sq_bind_text(s, 1, l->id);
    lo__sq_bind_text(s, 2, l->state);
    sqlite3_bind_int64(s, 3, l->expires_ms);
    lo__sq_bind_text(s, 4, l->draft_json);
    lo__sq_bind_id(s, 5, l->draft_ms);
    lo__sq_bind_text(s, 6, l->idem_key);
    lo__sq_bind_text(s, 7, l->answer_json);
    return lo__sq_run(st, s, "updating a lease", err);
}

static int w_lease_live_for(struct lo_store *st, int64_t project_id, int64_t user_id,
                            const char *kind, const char *kind2, struct lo_arena *arena,
                            struct lo_lease_row *out, struct lo_error *err)
{
    sqlite3_stmt *s;
    int rc = lo__sq_stmt(st, &wf_part, W_LEASE_LIVE_FOR, &s, err);
    if (rc)
        return rc;
    sqlite3_bind_int64(s, 1, project_id);
    sqlite3_bind_int64(s, 2, user_id);
    lo__sq_bind_text(s, 3, kind);
    lo__sq_bind_text(s, 4, kind2 ? kind2 : kind);
    return one_lease(st, s, arena, out, "no live lease", err);
}

static int w_lease_expire(struct lo_store *st, int64_t project_id, int64_t now_ms,
                          struct lo_arena *arena,
                          int (*cb)(void *ctx, const struct lo_lease_row *l), void *ctx,
                          struct lo_error *err)
{
    sqlite3_stmt *s;
    int rc = lo__sq_write_stmt(st, &wf_part, W_LEASE_EXPIRE, "lease_expire", &s, err);
    if (rc)
        return rc;
    sqlite3_bind_int64(s, 1, project_id);
    sqlite3_bind_int64(s, 2, now_ms);
    /* SQLite makes every change of an UPDATE ... RETURNING at the first step and then hands
     * out the rows, so cb may write to other tables while we step. */
    while ((rc = lo__sq_step(st, s, "expiring leases", err)) == 1) {
        struct lo_lease_row l;
        if (read_lease(s, arena, &l))
            return lo__sq_nomem(s, "leases", err);
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
    int rc = lo__sq_stmt(st, &wf_part, W_LEASE_OTHER, &s, err);
    if (rc)
        return rc;
    sqlite3_bind_int64(s, 1, item_id);
    lo__sq_bind_text(s, 2, except_id ? except_id : "");
    rc = lo__sq_step(st, s, "looking for other leases", err);
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
    int rc = lo__sq_write_stmt(st, &wf_part, W_SEEN_ADD, "seen_add", &s, err);
    if (rc)
        return rc;
    sqlite3_bind_int64(s, 1, user_id);
    sqlite3_bind_int64(s, 2, item_id);
    return lo__sq_run(st, s, "recording a seen item", err);
}

/* ---- seen, drafts, overlap and escalation ------------------------------------------- */

static int w_task_rescore(struct lo_store *st, int64_t project_id, struct lo_error *err)
{
    sqlite3_stmt *s;
    int rc = lo__sq_write_stmt(st, &wf_part, W_TASK_RESCORE, "task_rescore", &s, err);
    if (rc)
        return rc;
    sqlite3_bind_int64(s, 1, project_id);
    return lo__sq_run(st, s, "updating the tasks' prediction scores", err);
}

static int w_task_rewant(struct lo_store *st, int64_t project_id, lo_task_wanted_fn wanted,
                         void *ctx, struct lo_error *err)
{
    sqlite3_stmt *sel, *upd;
    int rc = lo__sq_write_stmt(st, &wf_part, W_TASK_UNLABELED, "task_rewant", &sel, err);
    if (!rc)
        rc = lo__sq_stmt(st, &wf_part, W_TASK_WANTED, &upd, err);
    if (rc)
        return rc;
    sqlite3_bind_int64(sel, 1, project_id);
    while ((rc = lo__sq_step(st, sel, "finding tasks not labeled yet", err)) == 1) {
        int64_t item = sqlite3_column_int64(sel, 0);
        sqlite3_bind_int64(upd, 1, item);
        sqlite3_bind_int(upd, 2, wanted(ctx, item, false));
        rc = lo__sq_run(st, upd, "updating a task's overlap", err);
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
    int rc = lo__sq_write_stmt(st, &wf_part, W_SEEN_REMOVE, "seen_remove", &s, err);
    if (rc)
        return rc;
    sqlite3_bind_int64(s, 1, user_id);
    sqlite3_bind_int64(s, 2, item_id);
    return lo__sq_run(st, s, "forgetting a seen item", err);
}

static int w_lease_last_draft(struct lo_store *st, int64_t item_id, int64_t user_id,
                              struct lo_arena *arena, const char **draft_out,
                              struct lo_error *err)
{
    sqlite3_stmt *s;
    *draft_out = NULL;
    int rc = lo__sq_stmt(st, &wf_part, W_LEASE_DRAFT, &s, err);
    if (rc)
        return rc;
    sqlite3_bind_int64(s, 1, item_id);
    sqlite3_bind_int64(s, 2, user_id);
    rc = lo__sq_step(st, s, "reading a draft", err);
    if (rc <= 0)
        return rc;
    bool bad = false;
    *draft_out = lo__sq_col_dup(s, 0, arena, &bad);
    sqlite3_reset(s);
    return bad ? lo_error_set(err, LO_ENOMEM, "out of memory") : 0;
}

static int w_seen_has(struct lo_store *st, int64_t user_id, int64_t item_id, bool *out,
                      struct lo_error *err)
{
    sqlite3_stmt *s;
    int rc = lo__sq_stmt(st, &wf_part, W_SEEN_HAS, &s, err);
    if (rc)
        return rc;
    sqlite3_bind_int64(s, 1, user_id);
    sqlite3_bind_int64(s, 2, item_id);
    rc = lo__sq_step(st, s, "looking up a seen item", err);
    if (rc < 0)
        return rc;
    *out = rc == 1;
    if (rc == 1)
        sqlite3_reset(s);
    return 0;
}

static int w_lot_tasks(struct lo_store *st, int64_t lot_id, struct lo_arena *arena,
                       lo_task_row_cb cb, void *ctx, struct lo_error *err)
{
    sqlite3_stmt *s;
    int rc = lo__sq_stmt(st, &wf_part, W_LOT_TASKS, &s, err);
    if (rc)
        return rc;
    sqlite3_bind_int64(s, 1, lot_id);
    return scan_tasks(st, s, arena, cb, ctx, err);
}

static int w_task_escalate(struct lo_store *st, int64_t project_id, int64_t cutoff_ms, int bump,
                           int64_t *raised, struct lo_error *err)
{
    sqlite3_stmt *s;
    int rc = lo__sq_write_stmt(st, &wf_part, W_TASK_ESCALATE, "task_escalate", &s, err);
    if (rc)
        return rc;
    sqlite3_bind_int64(s, 1, project_id);
    sqlite3_bind_int64(s, 2, cutoff_ms);
    sqlite3_bind_int(s, 3, bump);
    rc = lo__sq_run(st, s, "raising overdue tasks", err);
    *raised = rc ? 0 : sqlite3_changes(lo__sq_db(st));
    return rc;
}

/* ---- savepoints --------------------------------------------------------------------------- */

static int w_savepoint(struct lo_store *st, struct lo_error *err)
{
    sqlite3_stmt *s;
    int rc = lo__sq_write_stmt(st, &wf_part, W_SAVEPOINT, "savepoint", &s, err);
    return rc ? rc : lo__sq_run(st, s, "opening a savepoint", err);
}

static int w_savepoint_release(struct lo_store *st, struct lo_error *err)
{
    sqlite3_stmt *s;
    int rc = lo__sq_stmt(st, &wf_part, W_RELEASE, &s, err);
    return rc ? rc : lo__sq_run(st, s, "releasing a savepoint", err);
}

static int w_savepoint_rollback(struct lo_store *st)
{
    sqlite3_stmt *s;
    struct lo_error e;
    if (sqlite3_get_autocommit(lo__sq_db(st)))
        return 0; /* SQLite rolled the whole transaction back already */
    int rc = lo__sq_stmt(st, &wf_part, W_ROLLBACK_TO, &s, &e);
    if (!rc)
        rc = lo__sq_run(st, s, "rolling back to a savepoint", &e);
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
    .task_count_open = w_task_count_open,
    .task_overdue = w_task_overdue,
    .lease_create = w_lease_create,
    .lease_get = w_lease_get,
    .lease_put = w_lease_put,
    .lease_live_for = w_lease_live_for,
    .lease_expire = w_lease_expire,
    .lease_other_live = w_lease_other_live,
    .seen_add = w_seen_add,
    .worker_get = lo__sq_wf_worker_get,
    .worker_put = lo__sq_wf_worker_put,
    .worker_list = lo__sq_wf_worker_list,
    .vendor_labels = lo__sq_wf_vendor_labels,
    .annotation_add = lo__sq_wf_annotation_add,
    .annotation_get = lo__sq_wf_annotation_get,
    .annotation_list = lo__sq_wf_annotation_list,
    .annotation_set_status = lo__sq_wf_annotation_set_status,
    .annotation_edit = lo__sq_wf_annotation_edit,
    .annotation_invalidate = lo__sq_wf_annotation_invalidate,
    .annotation_tally = lo__sq_wf_annotation_tally,
    .review_add = lo__sq_wf_review_add,
    .review_last = lo__sq_wf_review_last,
    .review_list_author = lo__sq_wf_review_list_author,
    .flag_add = lo__sq_wf_flag_add,
    .flag_resolve = lo__sq_wf_flag_resolve,
    .flag_list_open = lo__sq_wf_flag_list_open,
    .item_get = lo__sq_wf_item_get,
    .prediction_latest = lo__sq_wf_prediction_latest,
    .event_list_item = lo__sq_wf_event_list_item,
    .project_name = lo__sq_wf_project_name,
    .annotation_scan = lo__sq_wf_annotation_scan,
    .task_rescore = w_task_rescore,
    .task_rewant = w_task_rewant,
    .seen_has = w_seen_has,
    .seen_remove = w_seen_remove,
    .lease_last_draft = w_lease_last_draft,
    .lot_open = lo__sq_wf_lot_open,
    .lot_get = lo__sq_wf_lot_get,
    .lot_create = lo__sq_wf_lot_create,
    .lot_put = lo__sq_wf_lot_put,
    .lot_tasks = w_lot_tasks,
    .lot_list = lo__sq_wf_lot_list,
    .task_escalate = w_task_escalate,
    .savepoint = w_savepoint,
    .savepoint_release = w_savepoint_release,
    .savepoint_rollback = w_savepoint_rollback,
};