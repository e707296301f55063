/*
 * store_sqlite.c - the SQLite backend of the store interface (store.h).
 *
 * One handle is one connection, used by one thread at a time. On open it sets the connection
 * up (WAL, synchronous=FULL as decision 0006 says, foreign_keys=ON, busy timeout, cache size)
 * and applies the pending migrations of migrations.c in one write transaction. Every statement
 * is prepared once per handle, on first use, and then reset and rebound: SQL text is a constant
 * of this file and values only ever travel as bound parameters, never pasted into SQL.
 *
 * The workflow operations (store_wf.h) live in store_sqlite_wf.c and store_sqlite_review.c;
 * the helpers that prepare, bind, step and read, shared with them, in sqlite_util.c.
 *
 * It must never commit on behalf of a caller: write operations refuse to run outside a write
 * transaction opened with begin(write = true), so an import can never turn into a million tiny
 * transactions by accident.
 */
#include <stdatomic.h>
#include <stdio.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/limits.h"
#include "store/migrations.h"
#include "store/sqlite_int.h"
#include "store/store.h"

/* Connection set-up, chosen by measurement (docs/internals/store.md). page_size only takes
 * effect on a new database, so it comes before anything that creates a page. */
#define SQ_PAGE_SIZE_SQL "PRAGMA page_size = 8192"
#define SQ_CACHE_SQL "PRAGMA cache_size = -16384" /* KiB: 16 MiB per connection */
#define SQ_BUSY_TIMEOUT_MS 5000
/* After a checkpoint the WAL file is cut back to this size rather than left at its peak. */
/* False once the process serves a copy of its database in memory (no syncs: a benchmark's
 * reference for what durability costs). */
static atomic_bool sq_durable = true;

/* The process's in-memory database (":memory:"), shared by its connections. */
#define SQ_MEMORY_URI "file:/labelops-memory?vfs=memdb"
#define SQ_JOURNAL_LIMIT_SQL "PRAGMA journal_size_limit = 67108864"

/* Text attached to one exported item (annotation and prediction strings) is copied into one
 * scratch buffer that may not grow past this. */
#define SQ_EXPORT_ROW_BYTES (64u * 1024 * 1024)

enum sq_stmt_id {
    S_BEGIN,
    S_BEGIN_IMMEDIATE,
    S_COMMIT,
    S_ROLLBACK,
    S_PROJECT_INSERT,
    S_PROJECT_GET,
    S_PROJECT_LIST,
    S_PROJECT_DELETE,
    S_SCHEMA_INSERT,
    S_PROJECT_SET_SCHEMA,
    S_PROJECT_COUNTS,
    S_GUIDELINE_INSERT,
    S_GUIDELINE_GET,
    S_GUIDELINE_GET_LATEST,
    S_GUIDELINE_LIST,
    S_ITEM_INSERT,
    S_ITEM_INSERT_BATCH,
    S_ITEM_LOOKUP,
    S_ITEM_UPDATE,
    S_ITEM_FIND,
    S_ITEM_SET_GOLD,
    S_ANNOTATION_INSERT,
    S_ANNOTATION_INSERT_BATCH,
    S_PREDICTION_INSERT,
    S_EVENT_INSERT,
    S_EVENT_LIST_ALL,
    S_EVENT_LIST_PROJECT,
    S_EXPORT_ITEMS,
    S_EXPORT_ANNOTATIONS,
    S_EXPORT_PREDICTIONS,
    S_ITEM_PAGE,
    S_VENDOR_INSERT,
    S_VENDOR_GET,
    S_VENDOR_LIST,
    S_USER_INSERT,
    S_USER_GET_NAME,
    S_USER_GET_ID,
    S_USER_LIST_ALL,
    S_USER_LIST_VENDOR,
    S_USER_UPDATE,
    S_MEMBER_SET,
    S_MEMBER_REMOVE,
    S_MEMBER_GET,
    S_MEMBER_LIST,
    S_SESSION_INSERT,
    S_SESSION_GET,
    S_SESSION_REVOKE,
    S_SESSION_REVOKE_USER,
    S_TOKEN_INSERT,
    S_TOKEN_GET_HASH,
    S_TOKEN_GET_ID,
    S_TOKEN_TOUCH,
    S_TOKEN_REVOKE,
    S_TOKEN_REVOKE_USER,
    S_TOKEN_LIST,
    S_THROTTLE_GET,
    S_THROTTLE_PUT,
    S_THROTTLE_CLEAR,
    S_AUDIT_LAST,
    S_AUDIT_LIST,
    S_COUNT
};

/* item_insert_many writes this many rows per statement: one statement per row spends about
 * half its time starting and ending the statement (docs/internals/store.md). */
#define SQ_ITEM_BATCH 32
#define SQ_ITEM_ROW "(?,?,?,?,?,?)"
#define SQ_ITEM_ROWS4 SQ_ITEM_ROW "," SQ_ITEM_ROW "," SQ_ITEM_ROW "," SQ_ITEM_ROW
#define SQ_ITEM_ROWS16 SQ_ITEM_ROWS4 "," SQ_ITEM_ROWS4 "," SQ_ITEM_ROWS4 "," SQ_ITEM_ROWS4
#define SQ_ITEM_ROWS32 SQ_ITEM_ROWS16 "," SQ_ITEM_ROWS16

#define SQ_ANN_BATCH 16
#define SQ_ANN_ROW "(?,?,?,?,?,?,?,?,?,?)"
#define SQ_ANN_ROWS4 SQ_ANN_ROW "," SQ_ANN_ROW "," SQ_ANN_ROW "," SQ_ANN_ROW
#define SQ_ANN_ROWS16 SQ_ANN_ROWS4 "," SQ_ANN_ROWS4 "," SQ_ANN_ROWS4 "," SQ_ANN_ROWS4

#define PROJECT_COLUMNS                                                                       \
    "SELECT p.id, p.name, p.description, s.schema_json, p.schema_version,"                    \
    " (SELECT coalesce(max(g.version), 0) FROM guidelines g WHERE g.project_id = p.id),"      \
    " p.goal_accuracy, p.goal_turnaround_hours, p.goal_cost_per_label, p.goal_budget,"        \
    " p.goal_deadline, p.created_ms"                                                          \
    " FROM projects p LEFT JOIN schema_versions s"                                            \
    " ON s.project_id = p.id AND s.version = p.schema_version"

#define USER_COLUMNS                                                                          \
    "SELECT u.id, u.name, u.role, coalesce(u.vendor_id, 0), v.name, u.password_hash,"          \
    " u.disabled, u.created_ms FROM users u LEFT JOIN vendors v ON v.id = u.vendor_id"

#define TOKEN_COLUMNS                                                                         \
    "SELECT id, token_hash, user_id, name, created_ms, coalesce(last_used_ms, 0),"             \
    " coalesce(revoked_ms, 0) FROM api_tokens"

static const char *const sq_sql[S_COUNT] = {
    [S_BEGIN] = "BEGIN",
    [S_BEGIN_IMMEDIATE] = "BEGIN IMMEDIATE",
    [S_COMMIT] = "COMMIT",
    [S_ROLLBACK] = "ROLLBACK",
    [S_PROJECT_INSERT] =
        "INSERT INTO projects (name, description, goal_accuracy, goal_turnaround_hours,"
        " goal_cost_per_label, goal_budget, goal_deadline, created_ms)"
        " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    [S_PROJECT_GET] = PROJECT_COLUMNS " WHERE p.name = ?1",
    [S_PROJECT_LIST] = PROJECT_COLUMNS " ORDER BY p.name",
    [S_PROJECT_DELETE] = "DELETE FROM projects WHERE id = ?1",
    [S_SCHEMA_INSERT] =
        "INSERT INTO schema_versions (project_id, version, schema_json, created_ms)"
        " SELECT ?1, coalesce(max(version), 0) + 1, ?2, ?3 FROM schema_versions"
        " WHERE project_id = ?1 RETURNING version",
    [S_PROJECT_SET_SCHEMA] = "UPDATE projects SET schema_version = ?2 WHERE id = ?1",
    [S_PROJECT_COUNTS] =
        "SELECT (SELECT count(*) FROM projects WHERE id = ?1),"
        " (SELECT count(*) FROM items WHERE project_id = ?1),"
        " (SELECT count(*) FROM items i JOIN annotations a ON a.item_id = i.id"
        "  WHERE i.project_id = ?1),"
        " (SELECT count(*) FROM items i JOIN predictions r ON r.item_id = i.id"
        "  WHERE i.project_id = ?1),"
        " (SELECT count(*) FROM items WHERE project_id = ?1 AND gold_json IS NOT NULL),"
        " (SELECT count(DISTINCT a.annotator) FROM items i JOIN annotations a"
        "  ON a.item_id = i.id WHERE i.project_id = ?1)",
    [S_GUIDELINE_INSERT] =
        "INSERT INTO guidelines (project_id, version, body, author, created_ms)"
        " SELECT ?1, coalesce(max(version), 0) + 1, ?2, ?3, ?4 FROM guidelines"
        " WHERE project_id = ?1 RETURNING version",
    [S_GUIDELINE_GET] = "SELECT version, body, author, created_ms FROM guidelines"
                        " WHERE project_id = ?1 AND version = ?2",
    [S_GUIDELINE_GET_LATEST] = "SELECT version, body, author, created_ms FROM guidelines"
                               " WHERE project_id = ?1 ORDER BY version DESC LIMIT 1",
    [S_GUIDELINE_LIST] = "SELECT version, author, created_ms FROM guidelines"
                         " WHERE project_id = ?1 ORDER BY version DESC",
    [S_ITEM_INSERT] =
        "INSERT INTO items (project_id, external_id, payload_json, gold_json, gold_section,"
        " created_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6)"
        " ON CONFLICT (project_id, external_id) DO NOTHING",
    [S_ITEM_INSERT_BATCH] =
        "INSERT INTO items (project_id, external_id, payload_json, gold_json, gold_section,"
        " created_ms) VALUES " SQ_ITEM_ROWS32 " ON CONFLICT (project_id, external_id) DO NOTHING",
    [S_ITEM_LOOKUP] = "SELECT id, payload_json, gold_json, gold_section FROM items"
                      " WHERE project_id = ?1 AND external_id = ?2",
    [S_ITEM_UPDATE] = "UPDATE items SET payload_json = ?2, gold_json = coalesce(?3, gold_json),"
                      " gold_section = coalesce(?4, gold_section) WHERE id = ?1",
    [S_ITEM_FIND] = "SELECT id FROM items WHERE project_id = ?1 AND external_id = ?2",
    [S_ITEM_SET_GOLD] = "UPDATE items SET gold_json = ?2 WHERE id = ?1",
    [S_ANNOTATION_INSERT] =
        "INSERT INTO annotations (item_id, annotator, value_json, created_ms,"
        " guideline_version, schema_version, workflow_stage, lease_id, working_seconds, source)"
        " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
    [S_ANNOTATION_INSERT_BATCH] =
        "INSERT INTO annotations (item_id, annotator, value_json, created_ms,"
        " guideline_version, schema_version, workflow_stage, lease_id, working_seconds, source)"
        " VALUES " SQ_ANN_ROWS16,
    [S_PREDICTION_INSERT] =
        "INSERT INTO predictions (item_id, model_name, model_version, value_json, score,"
        " created_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    [S_EVENT_INSERT] =
        "INSERT INTO events (project_id, kind, actor, object_type, object_id, payload_json,"
        " created_ms, audit_seq, prev_hash, hash) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9,"
        " ?10)",
    [S_EVENT_LIST_ALL] = "SELECT id, project_id, kind, actor, object_type, object_id,"
                         " payload_json, created_ms, audit_seq, prev_hash, hash FROM events"
                         " ORDER BY id",
    [S_EVENT_LIST_PROJECT] = "SELECT id, project_id, kind, actor, object_type, object_id,"
                             " payload_json, created_ms, audit_seq, prev_hash, hash"
                             " FROM events WHERE project_id = ?1 ORDER BY id",
    /* The export merges three cursors in item id order. Items come from a scan in rowid
     * order ("+" keeps the planner off the (project_id, external_id) index, which would need
     * a sort); annotations and predictions from their item_id indexes, starting at the
     * project's first item, already in (item id, id) order. No sort anywhere, so memory stays
     * flat. The price: rows of other projects in between are read and skipped. */
    [S_EXPORT_ITEMS] = "SELECT id, external_id, payload_json, gold_json, created_ms,"
                       " gold_section FROM items WHERE +project_id = ?1 ORDER BY id",
    [S_EXPORT_ANNOTATIONS] =
        "SELECT item_id, id, annotator, value_json, created_ms, guideline_version,"
        " schema_version, workflow_stage, lease_id, working_seconds, source, status"
        " FROM annotations WHERE item_id >= ?1 ORDER BY item_id, id",
    [S_EXPORT_PREDICTIONS] =
        "SELECT item_id, id, model_name, model_version, value_json, score, created_ms"
        " FROM predictions WHERE item_id >= ?1 ORDER BY item_id, id",
    /* A page of items: a range of the rowid (id), "+" again keeping the planner off the
     * (project_id, external_id) index, which would read and sort the whole project. It reads
     * the page plus any rows of other projects interleaved in its id range. */
    [S_ITEM_PAGE] = "SELECT id, external_id, payload_json, gold_json, created_ms, gold_section"
                    " FROM items WHERE +project_id = ?1 AND id > ?2 ORDER BY id LIMIT ?3",
    [S_VENDOR_INSERT] = "INSERT INTO vendors (name, created_ms) VALUES (?1, ?2)",
    [S_VENDOR_GET] = "SELECT id, name, created_ms FROM vendors WHERE name = ?1",
    [S_VENDOR_LIST] = "SELECT id, name, created_ms FROM vendors ORDER BY name",
    [S_USER_INSERT] = "INSERT INTO users (name, vendor_id, role, password_hash, disabled,"
                      " created_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    [S_USER_GET_NAME] = USER_COLUMNS " WHERE u.name = ?1",
    [S_USER_GET_ID] = USER_COLUMNS " WHERE u.id = ?1",
    [S_USER_LIST_ALL] = USER_COLUMNS " ORDER BY u.name",
    [S_USER_LIST_VENDOR] = USER_COLUMNS " WHERE u.vendor_id = ?1 ORDER BY u.name",
    [S_USER_UPDATE] = "UPDATE users SET role = ?2, disabled = ?3,"
                      " password_hash = coalesce(?4, password_hash) WHERE id = ?1",
    [S_MEMBER_SET] = "INSERT INTO memberships (project_id, user_id, role, created_ms)"
                     " VALUES (?1, ?2, ?3, ?4) ON CONFLICT (project_id, user_id)"
                     " DO UPDATE SET role = excluded.role",
    [S_MEMBER_REMOVE] = "DELETE FROM memberships WHERE project_id = ?1 AND user_id = ?2",
    [S_MEMBER_GET] = "SELECT m.project_id, m.user_id, u.name, m.role, m.created_ms"
                     " FROM memberships m JOIN users u ON u.id = m.user_id"
                     " WHERE m.project_id = ?1 AND m.user_id = ?2",
    [S_MEMBER_LIST] = "SELECT m.project_id, m.user_id, u.name, m.role, m.created_ms"
                      " FROM memberships m JOIN users u ON u.id = m.user_id"
                      " WHERE m.project_id = ?1 ORDER BY u.name",
    [S_SESSION_INSERT] = "INSERT INTO sessions (token_hash, user_id, csrf_token, created_ms,"
                         " expires_ms) VALUES (?1, ?2, ?3, ?4, ?5)",
    [S_SESSION_GET] = "SELECT id, token_hash, user_id, csrf_token, created_ms, expires_ms,"
                      " coalesce(revoked_ms, 0) FROM sessions WHERE token_hash = ?1",
    [S_SESSION_REVOKE] = "UPDATE sessions SET revoked_ms = ?2 WHERE token_hash = ?1"
                         " AND revoked_ms IS NULL",
    [S_SESSION_REVOKE_USER] = "UPDATE sessions SET revoked_ms = ?2 WHERE user_id = ?1"
                              " AND revoked_ms IS NULL",
    [S_TOKEN_INSERT] = "INSERT INTO api_tokens (token_hash, user_id, name, created_ms)"
                       " VALUES (?1, ?2, ?3, ?4)",
    [S_TOKEN_GET_HASH] = TOKEN_COLUMNS " WHERE token_hash = ?1",
    [S_TOKEN_GET_ID] = TOKEN_COLUMNS " WHERE id = ?1",
    [S_TOKEN_LIST] = TOKEN_COLUMNS " WHERE ?1 = 0 OR user_id = ?1 ORDER BY id",
    [S_TOKEN_TOUCH] = "UPDATE api_tokens SET last_used_ms = ?2 WHERE id = ?1",
    [S_TOKEN_REVOKE] = "UPDATE api_tokens SET revoked_ms = ?2 WHERE id = ?1"
                       " AND revoked_ms IS NULL",
    [S_TOKEN_REVOKE_USER] = "UPDATE api_tokens SET revoked_ms = ?2 WHERE user_id = ?1"
                            " AND revoked_ms IS NULL",
    [S_THROTTLE_GET] = "SELECT failures, window_start_ms FROM login_throttle WHERE key = ?1",
    [S_THROTTLE_PUT] = "INSERT INTO login_throttle (key, failures, window_start_ms)"
                       " VALUES (?1, ?2, ?3) ON CONFLICT (key) DO UPDATE SET"
                       " failures = excluded.failures, window_start_ms = excluded.window_start_ms",
    [S_THROTTLE_CLEAR] = "DELETE FROM login_throttle WHERE key = ?1",
    [S_AUDIT_LAST] = "SELECT audit_seq, hash FROM events WHERE audit_seq IS NOT NULL"
                     " ORDER BY audit_seq DESC LIMIT 1",
    [S_AUDIT_LIST] = "SELECT id, project_id, kind, actor, object_type, object_id,"
                     " payload_json, created_ms, audit_seq, prev_hash, hash FROM events"
                     " WHERE audit_seq IS NOT NULL ORDER BY id",
};

enum sq_tx { TX_NONE, TX_READ, TX_WRITE };

struct sq_store {
    struct lo_store base; /* first, so a struct lo_store * is a struct sq_store * */
    sqlite3 *db;
    enum sq_tx tx;
    sqlite3_stmt *stmts[S_COUNT];
    struct lo_sq_stmts *parts[LO_SQ_PARTS]; /* the other files' statements (sqlite_int.h) */
};

static struct sq_store *sq(struct lo_store *st)
{
    return (struct sq_store *)st;
}

/* Maps an SQLite result code to an lo_err and records "what: sqlite's message". */
static int sq_fail(struct sq_store *s, int rc, const char *what, struct lo_error *err)
{
    int code = LO_ESTORE;
    if (rc == SQLITE_NOMEM)
        code = LO_ENOMEM;
    else if (rc == SQLITE_CONSTRAINT_UNIQUE || rc == SQLITE_CONSTRAINT_PRIMARYKEY)
        code = LO_ECONFLICT;
    else if (rc == SQLITE_CONSTRAINT_FOREIGNKEY)
        code = LO_ENOTFOUND;
    return lo_error_set(err, code, "%s: %s", what, s->db ? sqlite3_errmsg(s->db) : "");
}

/* ---- for the other files of the store (sqlite_int.h) ---- */

sqlite3 *lo__sq_db(struct lo_store *st)
{
    return sq(st)->db;
}

bool lo__sq_writing(struct lo_store *st)
{
    return sq(st)->tx == TX_WRITE;
}

struct lo_sq_stmts **lo__sq_part_slot(struct lo_store *st, enum lo_sq_part part)
{
    return &sq(st)->parts[part];
}

int lo__sq_fail(struct lo_store *st, int rc, const char *what, struct lo_error *err)
{
    return sq_fail(sq(st), rc, what, err);
}

/* The cached statement id, prepared on first use and reset, ready for binding. */
static int sq_stmt(struct sq_store *s, enum sq_stmt_id id, sqlite3_stmt **out,
                   struct lo_error *err)
{
    int rc = lo__sq_prepare(&s->base, sq_sql[id], "preparing a statement", &s->stmts[id], err);
    if (rc)
        return rc;
    *out = s->stmts[id];
    return 0;
}

static int need_write(struct sq_store *s, const char *op, struct lo_error *err)
{
    if (s->tx == TX_WRITE)
        return 0;
    return lo_error_set(err, LO_EUSAGE, "%s needs a write transaction (begin with write = true)",
                        op);
}

/* ---- transactions ---------------------------------------------------------------------- */

static int sq_begin(struct lo_store *st, bool write, struct lo_error *err)
{
    struct sq_store *s = sq(st);
    sqlite3_stmt *stmt = NULL;
    if (s->tx != TX_NONE)
        return lo_error_set(err, LO_EUSAGE, "a transaction is open already");
    int rc = sq_stmt(s, write ? S_BEGIN_IMMEDIATE : S_BEGIN, &stmt, err);
    if (rc)
        return rc;
    rc = lo__sq_run(st, stmt, "beginning a transaction", err);
    if (rc)
        return rc;
    s->tx = write ? TX_WRITE : TX_READ;
    return 0;
}

static int sq_commit(struct lo_store *st, struct lo_error *err)
{
    struct sq_store *s = sq(st);
    sqlite3_stmt *stmt = NULL;
    if (s->tx == TX_NONE)
        return lo_error_set(err, LO_EUSAGE, "commit without a transaction");
    int rc = sq_stmt(s, S_COMMIT, &stmt, err);
    if (rc)
        return rc;
    rc = lo__sq_run(st, stmt, "committing", err);
    if (rc)
        return rc; /* still open: the caller rolls back */
    s->tx = TX_NONE;
    return 0;
}

static int sq_rollback(struct lo_store *st)
{
    struct sq_store *s = sq(st);
    sqlite3_stmt *stmt = NULL;
    if (s->tx == TX_NONE)
        return 0;
    s->tx = TX_NONE;
    int rc = sq_stmt(s, S_ROLLBACK, &stmt, NULL);
    if (rc)
        return rc;
    /* SQLite may have rolled back by itself (e.g. after SQLITE_FULL): nothing left to do. */
    if (sqlite3_get_autocommit(s->db))
        return 0;
    return lo__sq_run(st, stmt, "rolling back", NULL);
}

/* ---- projects ---------------------------------------------------------------------------- */

static int sq_project_create(struct lo_store *st, struct lo_project *p, struct lo_error *err)
{
    struct sq_store *s = sq(st);
    sqlite3_stmt *stmt = NULL;
    int rc = need_write(s, "project_create", err);
    if (rc)
        return rc;
    rc = sq_stmt(s, S_PROJECT_INSERT, &stmt, err);
    if (rc)
        return rc;
    lo__sq_bind_text(stmt, 1, p->name);
    lo__sq_bind_text(stmt, 2, p->description ? p->description : "");
    lo__sq_bind_double(stmt, 3, p->goal_accuracy);
    lo__sq_bind_double(stmt, 4, p->goal_turnaround_hours);
    lo__sq_bind_double(stmt, 5, p->goal_cost_per_label);
    lo__sq_bind_double(stmt, 6, p->goal_budget);
    lo__sq_bind_text(stmt, 7, p->goal_deadline);
    sqlite3_bind_int64(stmt, 8, p->created_ms);
    rc = lo__sq_run(st, stmt, "creating a project", err);
    if (rc == LO_ECONFLICT)
        return lo_error_field(err, LO_ECONFLICT, "name", "a project named '%s' exists already",
                              p->name);
    if (rc)
        return rc;
    p->id = sqlite3_last_insert_rowid(s->db);
    p->schema_version = 0;
    p->guideline_version = 0;
    if (p->schema_json) {
        /* A schema given at creation is version 1, kept like every later one. */
        return st->ops->project_set_schema(st, p->id, p->schema_json, p->created_ms,
                                           &p->schema_version, err);
    }
    return 0;
}

static int read_project(sqlite3_stmt *stmt, struct lo_arena *arena, struct lo_project *p)
{
    int rc;
    memset(p, 0, sizeof(*p));
    p->id = sqlite3_column_int64(stmt, 0);
    rc = lo__sq_col_text(stmt, 1, arena, &p->name);
    if (rc)
        return rc;
    rc = lo__sq_col_text(stmt, 2, arena, &p->description);
    if (rc)
        return rc;
    rc = lo__sq_col_text(stmt, 3, arena, &p->schema_json);
    if (rc)
        return rc;
    p->schema_version = sqlite3_column_int(stmt, 4);
    p->guideline_version = sqlite3_column_int(stmt, 5);
    p->goal_accuracy = lo__sq_col_double(stmt, 6);
    p->goal_turnaround_hours = lo__sq_col_double(stmt, 7);
    p->goal_cost_per_label = lo__sq_col_double(stmt, 8);
    p->goal_budget = lo__sq_col_double(stmt, 9);
    rc = lo__sq_col_text(stmt, 10, arena, &p->goal_deadline);
    if (rc)
        return rc;
    p->created_ms = sqlite3_column_int64(stmt, 11);
    if (!p->description)
        p->description = "";
    return 0;
}

static int sq_project_get(struct lo_store *st, const char *name, struct lo_arena *arena,
                          struct lo_project *out, struct lo_error *err)
{
    struct sq_store *s = sq(st);
    sqlite3_stmt *stmt = NULL;
    int rc = sq_stmt(s, S_PROJECT_GET, &stmt, err);
    if (rc)
        return rc;
    lo__sq_bind_text(stmt, 1, name);
    int step = sqlite3_step(stmt);
    if (step == SQLITE_ROW) {
        rc = read_project(stmt, arena, out);
        if (rc)
            lo_error_set(err, rc, "out of memory reading project '%s'", name);
    } else if (step == SQLITE_DONE) {
        rc = lo_error_set(err, LO_ENOTFOUND, "no project named '%s'", name);
    } else {
        rc = sq_fail(s, sqlite3_extended_errcode(s->db), "reading a project", err);
    }
    sqlite3_reset(stmt);
    return rc;
}

static int sq_project_list(struct lo_store *st, struct lo_arena *arena, lo_project_cb cb,
                           void *ctx, struct lo_error *err)
{
    struct sq_store *s = sq(st);
    sqlite3_stmt *stmt = NULL;
    int rc = sq_stmt(s, S_PROJECT_LIST, &stmt, err);
    if (rc)
        return rc;
    for (;;) {
        int step = sqlite3_step(stmt);
        if (step == SQLITE_DONE)
            break;
        if (step != SQLITE_ROW) {
            rc = sq_fail(s, sqlite3_extended_errcode(s->db), "listing projects", err);
            break;
        }
        struct lo_project p;
        rc = read_project(stmt, arena, &p);
        if (rc) {
            lo_error_set(err, rc, "out of memory listing projects");
            break;
        }
        rc = cb(ctx, &p);
        if (rc)
            break;
    }
    sqlite3_reset(stmt);
    return rc;
}

static int sq_project_delete(struct lo_store *st, int64_t project_id, struct lo_error *err)
{
    struct sq_store *s = sq(st);
    sqlite3_stmt *stmt = NULL;
    int rc = need_write(s, "project_delete", err);
    if (rc)
        return rc;
    rc = sq_stmt(s, S_PROJECT_DELETE, &stmt, err);
    if (rc)
        return rc;
    sqlite3_bind_int64(stmt, 1, project_id);
    rc = lo__sq_run(st, stmt, "deleting a project", err);
    if (rc)
        return rc;
    if (sqlite3_changes(s->db) == 0)
        return lo_error_set(err, LO_ENOTFOUND, "no project with id %lld", (long long)project_id);
    return 0;
}

/* Runs an INSERT ... RETURNING version and reads the version. */
static int insert_returning_version(struct sq_store *s, sqlite3_stmt *stmt, const char *what,
                                    int *version_out, struct lo_error *err)
{
    int rc = 0;
    int step = sqlite3_step(stmt);
    if (step == SQLITE_ROW) {
        *version_out = sqlite3_column_int(stmt, 0);
        step = sqlite3_step(stmt);
    }
    if (step != SQLITE_DONE)
        rc = sq_fail(s, sqlite3_extended_errcode(s->db), what, err);
    sqlite3_reset(stmt);
    return rc;
}

static int sq_project_set_schema(struct lo_store *st, int64_t project_id,
                                 const char *schema_json, int64_t now_ms, int *version_out,
                                 struct lo_error *err)
{
    struct sq_store *s = sq(st);
    sqlite3_stmt *stmt = NULL;
    int version = 0;
    int rc = need_write(s, "project_set_schema", err);
    if (rc)
        return rc;
    rc = sq_stmt(s, S_SCHEMA_INSERT, &stmt, err);
    if (rc)
        return rc;
    sqlite3_bind_int64(stmt, 1, project_id);
    lo__sq_bind_text(stmt, 2, schema_json);
    sqlite3_bind_int64(stmt, 3, now_ms);
    rc = insert_returning_version(s, stmt, "storing a schema version", &version, err);
    if (rc == LO_ENOTFOUND)
        return lo_error_set(err, rc, "no project with id %lld", (long long)project_id);
    if (rc)
        return rc;
    rc = sq_stmt(s, S_PROJECT_SET_SCHEMA, &stmt, err);
    if (rc)
        return rc;
    sqlite3_bind_int64(stmt, 1, project_id);
    sqlite3_bind_int(stmt, 2, version);
    rc = lo__sq_run(st, stmt, "setting the current schema", err);
    if (rc)
        return rc;
    if (version_out)
        *version_out = version;
    return 0;
}

static int sq_project_counts(struct lo_store *st, int64_t project_id,
                             struct lo_project_counts *out, struct lo_error *err)
{
    struct sq_store *s = sq(st);
    sqlite3_stmt *stmt = NULL;
    int rc = sq_stmt(s, S_PROJECT_COUNTS, &stmt, err);
    if (rc)
        return rc;
    sqlite3_bind_int64(stmt, 1, project_id);
    int step = sqlite3_step(stmt);
    if (step != SQLITE_ROW) {
        rc = sq_fail(s, sqlite3_extended_errcode(s->db), "counting", err);
    } else if (sqlite3_column_int64(stmt, 0) == 0) {
        rc = lo_error_set(err, LO_ENOTFOUND, "no project with id %lld", (long long)project_id);
    } else {
        out->items = sqlite3_column_int64(stmt, 1);
        out->annotations = sqlite3_column_int64(stmt, 2);
        out->predictions = sqlite3_column_int64(stmt, 3);
        out->gold_items = sqlite3_column_int64(stmt, 4);
        out->annotators = sqlite3_column_int64(stmt, 5);
    }
    sqlite3_reset(stmt);
    return rc;
}

/* ---- guidelines -------------------------------------------------------------------------- */

static int sq_guideline_add(struct lo_store *st, int64_t project_id, const char *body,
                            const char *author, int64_t now_ms, int *version_out,
                            struct lo_error *err)
{
    struct sq_store *s = sq(st);
    sqlite3_stmt *stmt = NULL;
    int version = 0;
    int rc = need_write(s, "guideline_add", err);
    if (rc)
        return rc;
    rc = sq_stmt(s, S_GUIDELINE_INSERT, &stmt, err);
    if (rc)
        return rc;
    sqlite3_bind_int64(stmt, 1, project_id);
    lo__sq_bind_text(stmt, 2, body ? body : "");
    lo__sq_bind_text(stmt, 3, author ? author : "");
    sqlite3_bind_int64(stmt, 4, now_ms);
    rc = insert_returning_version(s, stmt, "storing a guideline version", &version, err);
    if (rc == LO_ENOTFOUND)
        return lo_error_set(err, rc, "no project with id %lld", (long long)project_id);
    if (rc)
        return rc;
    if (version_out)
        *version_out = version;
    return 0;
}

static int sq_guideline_get(struct lo_store *st, int64_t project_id, int version,
                            struct lo_arena *arena, struct lo_guideline *out,
                            struct lo_error *err)
{
    struct sq_store *s = sq(st);
    sqlite3_stmt *stmt = NULL;
    int rc = sq_stmt(s, version ? S_GUIDELINE_GET : S_GUIDELINE_GET_LATEST, &stmt, err);
    if (rc)
        return rc;
    sqlite3_bind_int64(stmt, 1, project_id);
    if (version)
        sqlite3_bind_int(stmt, 2, version);
    int step = sqlite3_step(stmt);
    if (step == SQLITE_ROW) {
        memset(out, 0, sizeof(*out));
        out->project_id = project_id;
        out->version = sqlite3_column_int(stmt, 0);
        out->created_ms = sqlite3_column_int64(stmt, 3);
        rc = lo__sq_col_text(stmt, 1, arena, &out->body);
        if (!rc)
            rc = lo__sq_col_text(stmt, 2, arena, &out->author);
        if (rc)
            lo_error_set(err, rc, "out of memory reading a guideline");
    } else if (step == SQLITE_DONE) {
        if (version)
            rc = lo_error_set(err, LO_ENOTFOUND, "no guideline version %d", version);
        else
            rc = lo_error_set(err, LO_ENOTFOUND, "the project has no guidelines");
    } else {
        rc = sq_fail(s, sqlite3_extended_errcode(s->db), "reading a guideline", err);
    }
    sqlite3_reset(stmt);
    return rc;
}

static int sq_guideline_list(struct lo_store *st, int64_t project_id, struct lo_arena *arena,
                             lo_guideline_cb cb, void *ctx, struct lo_error *err)
{
    struct sq_store *s = sq(st);
    sqlite3_stmt *stmt = NULL;
    int rc = sq_stmt(s, S_GUIDELINE_LIST, &stmt, err);
    if (rc)
        return rc;
    sqlite3_bind_int64(stmt, 1, project_id);
    for (;;) {
        int step = sqlite3_step(stmt);
        if (step == SQLITE_DONE)
            break;
        if (step != SQLITE_ROW) {
            rc = sq_fail(s, sqlite3_extended_errcode(s->db), "listing guidelines", err);
            break;
        }
        struct lo_guideline g = { .project_id = project_id };
        g.version = sqlite3_column_int(stmt, 0);
        g.created_ms = sqlite3_column_int64(stmt, 2);
        rc = lo__sq_col_text(stmt, 1, arena, &g.author);
        if (rc) {
            lo_error_set(err, rc, "out of memory listing guidelines");
            break;
        }
        rc = cb(ctx, &g);
        if (rc)
            break;
    }
    sqlite3_reset(stmt);
    return rc;
}

/* ---- items, annotations, predictions, events ---------------------------------------------- */

static bool same_text(const unsigned char *stored, const char *given)
{
    if (!stored || !given)
        return !stored && !given;
    return strcmp((const char *)stored, given) == 0;
}

/* Binds item to the six parameters starting at first (project, external id, payload, gold,
 * gold section, created). */
static void bind_item(sqlite3_stmt *stmt, int first, const struct lo_item *item)
{
    sqlite3_bind_int64(stmt, first, item->project_id);
    lo__sq_bind_text(stmt, first + 1, item->external_id);
    lo__sq_bind_text(stmt, first + 2, item->payload_json ? item->payload_json : "{}");
    lo__sq_bind_text(stmt, first + 3, item->gold_json);
    lo__sq_bind_text(stmt, first + 4, item->gold_section);
    sqlite3_bind_int64(stmt, first + 5, item->created_ms);
}

/* Settles one item after an INSERT ... DO NOTHING that stored the rows with ids fresh_lo ..
 * fresh_hi (an empty range when it stored none). An item whose id is in that range and not
 * claimed yet was inserted (the first of equal external ids in one statement wins); any
 * other item existed, and mode decides. claimed lists the ids already reported inserted. */
static int item_settle(struct sq_store *s, const struct lo_item *item,
                       enum lo_item_conflict mode, int64_t fresh_lo, int64_t fresh_hi,
                       int64_t *claimed, size_t *n_claimed, int64_t *id_out,
                       enum lo_item_outcome *outcome, struct lo_error *err)
{
    sqlite3_stmt *stmt = NULL;
    int rc = sq_stmt(s, S_ITEM_LOOKUP, &stmt, err);
    if (rc)
        return rc;
    sqlite3_bind_int64(stmt, 1, item->project_id);
    lo__sq_bind_text(stmt, 2, item->external_id);
    if (sqlite3_step(stmt) != SQLITE_ROW) {
        rc = sq_fail(s, sqlite3_extended_errcode(s->db), "looking up an item", err);
        sqlite3_reset(stmt);
        return rc;
    }
    int64_t id = sqlite3_column_int64(stmt, 0);
    bool same = same_text(sqlite3_column_text(stmt, 1), item->payload_json)
                && (!item->gold_json || same_text(sqlite3_column_text(stmt, 2), item->gold_json))
                && (!item->gold_section
                    || same_text(sqlite3_column_text(stmt, 3), item->gold_section));
    sqlite3_reset(stmt);
    *id_out = id;
    if (id >= fresh_lo && id <= fresh_hi) {
        bool seen = false;
        for (size_t i = 0; i < *n_claimed; i++)
            seen = seen || claimed[i] == id;
        if (!seen) {
            claimed[(*n_claimed)++] = id;
            *outcome = LO_ITEM_INSERTED;
            return 0;
        }
    }
    if (mode == LO_ITEM_SKIP) {
        *outcome = LO_ITEM_EXISTED;
        return 0;
    }
    if (same) {
        *outcome = LO_ITEM_UNCHANGED;
        return 0;
    }
    rc = sq_stmt(s, S_ITEM_UPDATE, &stmt, err);
    if (rc)
        return rc;
    sqlite3_bind_int64(stmt, 1, id);
    lo__sq_bind_text(stmt, 2, item->payload_json ? item->payload_json : "{}");
    lo__sq_bind_text(stmt, 3, item->gold_json);
    lo__sq_bind_text(stmt, 4, item->gold_section);
    rc = lo__sq_run(&s->base, stmt, "updating an item", err);
    if (rc)
        return rc;
    *outcome = LO_ITEM_UPDATED;
    return 0;
}

/* Runs an item INSERT whose parameters are bound and returns how many rows it stored. */
static int item_exec(struct sq_store *s, sqlite3_stmt *stmt, int64_t project_id, int *stored,
                     struct lo_error *err)
{
    int rc = lo__sq_run(&s->base, stmt, "inserting items", err);
    if (rc == LO_ENOTFOUND)
        return lo_error_set(err, rc, "no project with id %lld", (long long)project_id);
    if (rc)
        return rc;
    *stored = sqlite3_changes(s->db);
    return 0;
}

static int sq_item_insert(struct lo_store *st, const struct lo_item *item,
                          enum lo_item_conflict mode, int64_t *id_out,
                          enum lo_item_outcome *outcome, struct lo_error *err)
{
    struct sq_store *s = sq(st);
    sqlite3_stmt *stmt = NULL;
    int stored = 0;
    int rc = need_write(s, "item_insert", err);
    if (rc)
        return rc;
    rc = sq_stmt(s, S_ITEM_INSERT, &stmt, err);
    if (rc)
        return rc;
    bind_item(stmt, 1, item);
    rc = item_exec(s, stmt, item->project_id, &stored, err);
    if (rc)
        return rc;
    if (stored == 1) {
        *id_out = sqlite3_last_insert_rowid(s->db);
        *outcome = LO_ITEM_INSERTED;
        return 0;
    }
    /* The external id exists: the rare path, so more statements are fine. */
    size_t n_claimed = 0;
    return item_settle(s, item, mode, 1, 0, NULL, &n_claimed, id_out, outcome, err);
}

static int sq_item_insert_many(struct lo_store *st, const struct lo_item *items, size_t n,
                               enum lo_item_conflict mode, int64_t *ids_out,
                               enum lo_item_outcome *outcomes, struct lo_error *err)
{
    struct sq_store *s = sq(st);
    sqlite3_stmt *stmt = NULL;
    int rc = need_write(s, "item_insert_many", err);
    if (rc)
        return rc;
    size_t done = 0;
    while (n - done >= SQ_ITEM_BATCH) {
        const struct lo_item *chunk = items + done;
        int stored = 0;
        rc = sq_stmt(s, S_ITEM_INSERT_BATCH, &stmt, err);
        if (rc)
            return rc;
        for (int i = 0; i < SQ_ITEM_BATCH; i++)
            bind_item(stmt, 1 + 6 * i, &chunk[i]);
        rc = item_exec(s, stmt, chunk[0].project_id, &stored, err);
        if (rc)
            return rc;
        int64_t last = sqlite3_last_insert_rowid(s->db);
        if (stored == SQ_ITEM_BATCH) {
            /* All new: one statement gives new rows max(rowid) + 1, + 2, ... in order. */
            for (int i = 0; i < SQ_ITEM_BATCH; i++) {
                ids_out[done + (size_t)i] = last - SQ_ITEM_BATCH + 1 + i;
                outcomes[done + (size_t)i] = LO_ITEM_INSERTED;
            }
        } else {
            int64_t claimed[SQ_ITEM_BATCH];
            size_t n_claimed = 0;
            int64_t lo = stored ? last - stored + 1 : 1, hi = stored ? last : 0;
            for (int i = 0; i < SQ_ITEM_BATCH && !rc; i++)
                rc = item_settle(s, &chunk[i], mode, lo, hi, claimed, &n_claimed,
                                 &ids_out[done + (size_t)i], &outcomes[done + (size_t)i], err);
            if (rc)
                return rc;
        }
        done += SQ_ITEM_BATCH;
    }
    for (; done < n; done++) {
        rc = sq_item_insert(st, &items[done], mode, &ids_out[done], &outcomes[done], err);
        if (rc)
            return rc;
    }
    return 0;
}

static int sq_item_find(struct lo_store *st, int64_t project_id, const char *external_id,
                        int64_t *id_out, struct lo_error *err)
{
    struct sq_store *s = sq(st);
    sqlite3_stmt *stmt = NULL;
    int rc = sq_stmt(s, S_ITEM_FIND, &stmt, err);
    if (rc)
        return rc;
    sqlite3_bind_int64(stmt, 1, project_id);
    lo__sq_bind_text(stmt, 2, external_id);
    int step = sqlite3_step(stmt);
    if (step == SQLITE_ROW)
        *id_out = sqlite3_column_int64(stmt, 0);
    else if (step == SQLITE_DONE)
        rc = lo_error_set(err, LO_ENOTFOUND, "no item '%s'", external_id);
    else
        rc = sq_fail(s, sqlite3_extended_errcode(s->db), "finding an item", err);
    sqlite3_reset(stmt);
    return rc;
}

static int sq_item_set_gold(struct lo_store *st, int64_t item_id, const char *gold_json,
                            struct lo_error *err)
{
    struct sq_store *s = sq(st);
    sqlite3_stmt *stmt = NULL;
    int rc = need_write(s, "item_set_gold", err);
    if (rc)
        return rc;
    rc = sq_stmt(s, S_ITEM_SET_GOLD, &stmt, err);
    if (rc)
        return rc;
    sqlite3_bind_int64(stmt, 1, item_id);
    lo__sq_bind_text(stmt, 2, gold_json);
    rc = lo__sq_run(st, stmt, "setting gold", err);
    if (rc)
        return rc;
    if (sqlite3_changes(s->db) == 0)
        return lo_error_set(err, LO_ENOTFOUND, "no item with id %lld", (long long)item_id);
    return 0;
}

/* Binds annotation a to the ten parameters starting at first. */
static void bind_annotation(sqlite3_stmt *stmt, int first, const struct lo_annotation *a)
{
    sqlite3_bind_int64(stmt, first, a->item_id);
    lo__sq_bind_text(stmt, first + 1, a->annotator ? a->annotator : "");
    lo__sq_bind_text(stmt, first + 2, a->value_json ? a->value_json : "{}");
    sqlite3_bind_int64(stmt, first + 3, a->created_ms);
    sqlite3_bind_int(stmt, first + 4, a->guideline_version);
    sqlite3_bind_int(stmt, first + 5, a->schema_version);
    lo__sq_bind_text(stmt, first + 6, a->workflow_stage);
    lo__sq_bind_text(stmt, first + 7, a->lease_id);
    lo__sq_bind_double(stmt, first + 8, a->working_seconds);
    lo__sq_bind_text(stmt, first + 9, a->source);
}

static int sq_annotation_insert(struct lo_store *st, const struct lo_annotation *a,
                                int64_t *id_out, struct lo_error *err)
{
    struct sq_store *s = sq(st);
    sqlite3_stmt *stmt = NULL;
    int rc = need_write(s, "annotation_insert", err);
    if (rc)
        return rc;
    rc = sq_stmt(s, S_ANNOTATION_INSERT, &stmt, err);
    if (rc)
        return rc;
    bind_annotation(stmt, 1, a);
    rc = lo__sq_run(st, stmt, "inserting an annotation", err);
    if (rc == LO_ENOTFOUND)
        return lo_error_set(err, rc, "no item with id %lld", (long long)a->item_id);
    if (rc)
        return rc;
    if (id_out)
        *id_out = sqlite3_last_insert_rowid(s->db);
    return 0;
}

static int sq_annotation_insert_many(struct lo_store *st, const struct lo_annotation *a,
                                     size_t n, int64_t *ids_out, struct lo_error *err)
{
    struct sq_store *s = sq(st);
    sqlite3_stmt *stmt = NULL;
    int rc = need_write(s, "annotation_insert_many", err);
    if (rc)
        return rc;
    size_t done = 0;
    while (n - done >= SQ_ANN_BATCH) {
        rc = sq_stmt(s, S_ANNOTATION_INSERT_BATCH, &stmt, err);
        if (rc)
            return rc;
        for (int i = 0; i < SQ_ANN_BATCH; i++)
            bind_annotation(stmt, 1 + 10 * i, &a[done + (size_t)i]);
        rc = lo__sq_run(st, stmt, "inserting annotations", err);
        if (rc == LO_ENOTFOUND)
            break; /* the statement stored nothing: redo its rows one by one to name the item */
        if (rc)
            return rc;
        /* One statement gives new rows max(rowid) + 1, + 2, ... in order. */
        int64_t last = sqlite3_last_insert_rowid(s->db);
        for (int i = 0; ids_out && i < SQ_ANN_BATCH; i++)
            ids_out[done + (size_t)i] = last - SQ_ANN_BATCH + 1 + i;
        done += SQ_ANN_BATCH;
    }
    for (; done < n; done++) {
        rc = sq_annotation_insert(st, &a[done], ids_out ? &ids_out[done] : NULL, err);
        if (rc)
            return rc;
    }
    return 0;
}

static int sq_prediction_insert(struct lo_store *st, const struct lo_prediction *p,
                                int64_t *id_out, struct lo_error *err)
{
    struct sq_store *s = sq(st);
    sqlite3_stmt *stmt = NULL;
    int rc = need_write(s, "prediction_insert", err);
    if (rc)
        return rc;
    rc = sq_stmt(s, S_PREDICTION_INSERT, &stmt, err);
    if (rc)
        return rc;
    sqlite3_bind_int64(stmt, 1, p->item_id);
    lo__sq_bind_text(stmt, 2, p->model_name ? p->model_name : "");
    lo__sq_bind_text(stmt, 3, p->model_version ? p->model_version : "");
    lo__sq_bind_text(stmt, 4, p->value_json ? p->value_json : "{}");
    lo__sq_bind_double(stmt, 5, p->score);
    sqlite3_bind_int64(stmt, 6, p->created_ms);
    rc = lo__sq_run(st, stmt, "inserting a prediction", err);
    if (rc == LO_ENOTFOUND)
        return lo_error_set(err, rc, "no item with id %lld", (long long)p->item_id);
    if (rc)
        return rc;
    if (id_out)
        *id_out = sqlite3_last_insert_rowid(s->db);
    return 0;
}

static int sq_event_append(struct lo_store *st, const struct lo_event *e, int64_t *id_out,
                           struct lo_error *err)
{
    struct sq_store *s = sq(st);
    sqlite3_stmt *stmt = NULL;
    int rc = need_write(s, "event_append", err);
    if (rc)
        return rc;
    rc = sq_stmt(s, S_EVENT_INSERT, &stmt, err);
    if (rc)
        return rc;
    lo__sq_bind_id(stmt, 1, e->project_id);
    lo__sq_bind_text(stmt, 2, e->kind ? e->kind : "");
    lo__sq_bind_text(stmt, 3, e->actor ? e->actor : "");
    lo__sq_bind_text(stmt, 4, e->object_type ? e->object_type : "");
    sqlite3_bind_int64(stmt, 5, e->object_id);
    lo__sq_bind_text(stmt, 6, e->payload_json ? e->payload_json : "{}");
    sqlite3_bind_int64(stmt, 7, e->created_ms);
    if (e->audit_seq) {
        sqlite3_bind_int64(stmt, 8, e->audit_seq);
        lo__sq_bind_text(stmt, 9, e->prev_hash);
        lo__sq_bind_text(stmt, 10, e->hash);
    } else {
        sqlite3_bind_null(stmt, 8);
        sqlite3_bind_null(stmt, 9);
        sqlite3_bind_null(stmt, 10);
    }
    rc = lo__sq_run(st, stmt, "appending an event", err);
    if (rc == LO_ENOTFOUND)
        return lo_error_set(err, rc, "no project with id %lld", (long long)e->project_id);
    if (rc)
        return rc;
    if (id_out)
        *id_out = sqlite3_last_insert_rowid(s->db);
    return 0;
}

/* Reads an events row (S_EVENT_LIST_* / S_AUDIT_LIST column order). */
static int read_event(sqlite3_stmt *stmt, struct lo_arena *arena, struct lo_event *e)
{
    memset(e, 0, sizeof(*e));
    e->id = sqlite3_column_int64(stmt, 0);
    e->project_id = sqlite3_column_int64(stmt, 1); /* NULL reads as 0 */
    e->object_id = sqlite3_column_int64(stmt, 5);
    e->created_ms = sqlite3_column_int64(stmt, 7);
    e->audit_seq = sqlite3_column_int64(stmt, 8);
    int rc = lo__sq_col_text(stmt, 2, arena, &e->kind);
    if (!rc)
        rc = lo__sq_col_text(stmt, 3, arena, &e->actor);
    if (!rc)
        rc = lo__sq_col_text(stmt, 4, arena, &e->object_type);
    if (!rc)
        rc = lo__sq_col_text(stmt, 6, arena, &e->payload_json);
    if (!rc)
        rc = lo__sq_col_text(stmt, 9, arena, &e->prev_hash);
    if (!rc)
        rc = lo__sq_col_text(stmt, 10, arena, &e->hash);
    return rc;
}

static int event_scan(struct sq_store *s, sqlite3_stmt *stmt, struct lo_arena *arena,
                      lo_event_cb cb, void *ctx, struct lo_error *err)
{
    int rc = 0;
    for (;;) {
        int step = sqlite3_step(stmt);
        if (step == SQLITE_DONE)
            break;
        if (step != SQLITE_ROW) {
            rc = sq_fail(s, sqlite3_extended_errcode(s->db), "listing events", err);
            break;
        }
        struct lo_event e;
        rc = read_event(stmt, arena, &e);
        if (rc) {
            lo_error_set(err, rc, "out of memory listing events");
            break;
        }
        rc = cb(ctx, &e);
        if (rc)
            break;
    }
    sqlite3_reset(stmt);
    return rc;
}

static int sq_event_list(struct lo_store *st, int64_t project_id, struct lo_arena *arena,
                         lo_event_cb cb, void *ctx, struct lo_error *err)
{
    struct sq_store *s = sq(st);
    sqlite3_stmt *stmt = NULL;
    int rc = sq_stmt(s, project_id ? S_EVENT_LIST_PROJECT : S_EVENT_LIST_ALL, &stmt, err);
    if (rc)
        return rc;
    if (project_id)
        sqlite3_bind_int64(stmt, 1, project_id);
    return event_scan(s, stmt, arena, cb, ctx, err);
}

/* ---- export -------------------------------------------------------------------------------- */

/* The annotations and predictions of the item being exported. Their strings are copied into
 * text (the cursor moves past them to see where the item's group ends), first as offsets, then
 * turned into pointers once the group is complete and text no longer moves. */
struct export_group {
    struct lo_buf text;
    struct lo_annotation *ann;
    size_t n_ann, cap_ann;
    struct lo_prediction *pred;
    size_t n_pred, cap_pred;
};

#define NO_TEXT ((const char *)0)

/* Appends column i's text (with its NUL) and stores its offset + 1 in *slot (0 for NULL). */
static int group_copy(struct export_group *g, sqlite3_stmt *stmt, int i, const char **slot)
{
    const unsigned char *t = sqlite3_column_text(stmt, i);
    if (!t) {
        *slot = NO_TEXT;
        return 0;
    }
    size_t off = g->text.len;
    int rc = lo_buf_append(&g->text, t, (size_t)sqlite3_column_bytes(stmt, i) + 1);
    if (rc)
        return rc;
    *slot = (const char *)(uintptr_t)(off + 1);
    return 0;
}

static const char *group_ptr(const struct export_group *g, const char *slot)
{
    if (slot == NO_TEXT)
        return NULL;
    return g->text.data + ((uintptr_t)slot - 1);
}

static int grow(void **v, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap)
        return 0;
    if (need > LO_LIMIT_ANNOTATIONS_PER_ITEM)
        return LO_ELIMIT;
    size_t ncap = *cap ? *cap * 2 : 8;
    if (ncap > LO_LIMIT_ANNOTATIONS_PER_ITEM)
        ncap = LO_LIMIT_ANNOTATIONS_PER_ITEM;
    void *p = realloc(*v, ncap * elem);
    if (!p)
        return LO_ENOMEM;
    *v = p;
    *cap = ncap;
    return 0;
}

static int group_add_annotation(struct export_group *g, sqlite3_stmt *a, int64_t project_id)
{
    int rc = grow((void **)&g->ann, &g->cap_ann, g->n_ann + 1, sizeof(*g->ann));
    if (rc)
        return rc;
    struct lo_annotation *x = &g->ann[g->n_ann];
    x->item_id = sqlite3_column_int64(a, 0);
    x->id = sqlite3_column_int64(a, 1);
    x->project_id = project_id;
    x->created_ms = sqlite3_column_int64(a, 4);
    x->guideline_version = sqlite3_column_int(a, 5);
    x->schema_version = sqlite3_column_int(a, 6);
    x->working_seconds = lo__sq_col_double(a, 9);
    rc = group_copy(g, a, 2, &x->annotator);
    if (!rc)
        rc = group_copy(g, a, 3, &x->value_json);
    if (!rc)
        rc = group_copy(g, a, 7, &x->workflow_stage);
    if (!rc)
        rc = group_copy(g, a, 8, &x->lease_id);
    if (!rc)
        rc = group_copy(g, a, 10, &x->source);
    if (!rc)
        rc = group_copy(g, a, 11, &x->status);
    if (rc)
        return rc;
    g->n_ann++;
    return 0;
}

static int group_add_prediction(struct export_group *g, sqlite3_stmt *r, int64_t project_id)
{
    int rc = grow((void **)&g->pred, &g->cap_pred, g->n_pred + 1, sizeof(*g->pred));
    if (rc)
        return rc;
    struct lo_prediction *x = &g->pred[g->n_pred];
    x->item_id = sqlite3_column_int64(r, 0);
    x->id = sqlite3_column_int64(r, 1);
    x->project_id = project_id;
    x->score = lo__sq_col_double(r, 5);
    x->created_ms = sqlite3_column_int64(r, 6);
    rc = group_copy(g, r, 2, &x->model_name);
    if (!rc)
        rc = group_copy(g, r, 3, &x->model_version);
    if (!rc)
        rc = group_copy(g, r, 4, &x->value_json);
    if (rc)
        return rc;
    g->n_pred++;
    return 0;
}

static void group_fix_pointers(struct export_group *g)
{
    for (size_t i = 0; i < g->n_ann; i++) {
        struct lo_annotation *x = &g->ann[i];
        x->annotator = group_ptr(g, x->annotator);
        x->value_json = group_ptr(g, x->value_json);
        x->workflow_stage = group_ptr(g, x->workflow_stage);
        x->lease_id = group_ptr(g, x->lease_id);
        x->source = group_ptr(g, x->source);
        x->status = group_ptr(g, x->status);
    }
    for (size_t i = 0; i < g->n_pred; i++) {
        struct lo_prediction *x = &g->pred[i];
        x->model_name = group_ptr(g, x->model_name);
        x->model_version = group_ptr(g, x->model_version);
        x->value_json = group_ptr(g, x->value_json);
    }
}

static int group_error(int rc, int64_t item_id, struct lo_error *err)
{
    if (rc == LO_ELIMIT)
        return lo_error_set(err, rc,
                            "item %lld has more than %d annotations or predictions, or more "
                            "than %u bytes of them (LO_LIMIT_ANNOTATIONS_PER_ITEM)",
                            (long long)item_id, LO_LIMIT_ANNOTATIONS_PER_ITEM,
                            SQ_EXPORT_ROW_BYTES);
    return lo_error_set(err, rc, "out of memory exporting item %lld", (long long)item_id);
}

/* A merge of three cursors, each in item id order: items (the statement items_id, its
 * parameters bound by bind_items), the project's annotations and its predictions. Each item's
 * group is gathered by advancing the child cursors while they point at it; memory holds one
 * item's group at a time, and the children are read no further than the last item. */
static int export_merge(struct sq_store *s, int64_t project_id, enum sq_stmt_id items_id,
                        int64_t after_id, int limit, lo_export_cb cb, void *ctx,
                        struct export_group *g, struct lo_error *err)
{
    sqlite3_stmt *items = NULL, *anns = NULL, *preds = NULL;
    int rc = sq_stmt(s, items_id, &items, err);
    if (!rc)
        rc = sq_stmt(s, S_EXPORT_ANNOTATIONS, &anns, err);
    if (!rc)
        rc = sq_stmt(s, S_EXPORT_PREDICTIONS, &preds, err);
    if (rc)
        return rc;
    sqlite3_bind_int64(items, 1, project_id);
    if (items_id == S_ITEM_PAGE) {
        sqlite3_bind_int64(items, 2, after_id);
        sqlite3_bind_int(items, 3, limit);
    }
    int arc = SQLITE_DONE, prc = SQLITE_DONE;
    bool children_started = false;
    for (;;) {
        int irc = sqlite3_step(items);
        if (irc == SQLITE_DONE)
            break;
        if (irc != SQLITE_ROW) {
            rc = sq_fail(s, sqlite3_extended_errcode(s->db), "exporting", err);
            break;
        }
        struct lo_export_row row = { 0 };
        row.item.id = sqlite3_column_int64(items, 0);
        if (!children_started) {
            /* The children start at the project's first item. */
            sqlite3_bind_int64(anns, 1, row.item.id);
            sqlite3_bind_int64(preds, 1, row.item.id);
            arc = sqlite3_step(anns);
            prc = sqlite3_step(preds);
            children_started = true;
        }
        row.item.project_id = project_id;
        row.item.external_id = (const char *)sqlite3_column_text(items, 1);
        row.item.payload_json = (const char *)sqlite3_column_text(items, 2);
        row.item.gold_json = (const char *)sqlite3_column_text(items, 3);
        row.item.created_ms = sqlite3_column_int64(items, 4);
        row.item.gold_section = (const char *)sqlite3_column_text(items, 5);
        lo_buf_reset(&g->text);
        g->n_ann = 0;
        g->n_pred = 0;
        while (arc == SQLITE_ROW && sqlite3_column_int64(anns, 0) <= row.item.id) {
            if (sqlite3_column_int64(anns, 0) == row.item.id) {
                rc = group_add_annotation(g, anns, project_id);
                if (rc)
                    break;
            }
            arc = sqlite3_step(anns);
        }
        while (!rc && prc == SQLITE_ROW && sqlite3_column_int64(preds, 0) <= row.item.id) {
            if (sqlite3_column_int64(preds, 0) == row.item.id) {
                rc = group_add_prediction(g, preds, project_id);
                if (rc)
                    break;
            }
            prc = sqlite3_step(preds);
        }
        if (rc) {
            group_error(rc, row.item.id, err);
            break;
        }
        if ((arc != SQLITE_ROW && arc != SQLITE_DONE)
            || (prc != SQLITE_ROW && prc != SQLITE_DONE)) {
            rc = sq_fail(s, sqlite3_extended_errcode(s->db), "exporting", err);
            break;
        }
        group_fix_pointers(g);
        row.n_annotations = g->n_ann;
        row.annotations = g->ann;
        row.n_predictions = g->n_pred;
        row.predictions = g->pred;
        rc = cb(ctx, &row);
        if (rc)
            break;
    }
    sqlite3_reset(items);
    sqlite3_reset(anns);
    sqlite3_reset(preds);
    return rc;
}

/* export_scan (items_id S_EXPORT_ITEMS) and item_page (S_ITEM_PAGE). */
static int merge_scan(struct lo_store *st, int64_t project_id, enum sq_stmt_id items_id,
                      int64_t after_id, int limit, lo_export_cb cb, void *ctx,
                      struct lo_error *err)
{
    struct sq_store *s = sq(st);
    struct export_group g = { 0 };
    bool own_tx = s->tx == TX_NONE;
    int rc;
    /* The three cursors must read one snapshot; without a caller's transaction, take one. */
    if (own_tx) {
        rc = sq_begin(st, false, err);
        if (rc)
            return rc;
    }
    lo_buf_init(&g.text, SQ_EXPORT_ROW_BYTES);
    rc = export_merge(s, project_id, items_id, after_id, limit, cb, ctx, &g, err);
    lo_buf_free(&g.text);
    free(g.ann);
    free(g.pred);
    if (own_tx)
        sq_rollback(st); /* read only: nothing to keep */
    return rc;
}

static int sq_export_scan(struct lo_store *st, int64_t project_id, lo_export_cb cb, void *ctx,
                          struct lo_error *err)
{
    return merge_scan(st, project_id, S_EXPORT_ITEMS, 0, 0, cb, ctx, err);
}

static int sq_item_page(struct lo_store *st, int64_t project_id, int64_t after_id, int limit,
                        lo_export_cb cb, void *ctx, struct lo_error *err)
{
    if (limit < 1)
        return lo_error_field(err, LO_EUSAGE, "limit", "a page holds at least one item");
    return merge_scan(st, project_id, S_ITEM_PAGE, after_id, limit, cb, ctx, err);
}

/* ---- open and close ------------------------------------------------------------------------ */

/* ---- accounts ---------------------------------------------------------------------------- */

static int sq_vendor_create(struct lo_store *st, struct lo_vendor_row *v, struct lo_error *err)
{
    struct sq_store *s = sq(st);
    sqlite3_stmt *stmt = NULL;
    int rc = need_write(s, "vendor_create", err);
    if (!rc)
        rc = sq_stmt(s, S_VENDOR_INSERT, &stmt, err);
    if (rc)
        return rc;
    lo__sq_bind_text(stmt, 1, v->name);
    sqlite3_bind_int64(stmt, 2, v->created_ms);
    return lo__sq_insert(st, stmt, "creating a vendor", &v->id, err);
}

static int read_vendor(sqlite3_stmt *stmt, struct lo_arena *arena, struct lo_vendor_row *v)
{
    v->id = sqlite3_column_int64(stmt, 0);
    v->created_ms = sqlite3_column_int64(stmt, 2);
    return lo__sq_col_text(stmt, 1, arena, &v->name);
}

static int sq_vendor_get(struct lo_store *st, const char *name, struct lo_arena *arena,
                         struct lo_vendor_row *out, struct lo_error *err)
{
    struct sq_store *s = sq(st);
    sqlite3_stmt *stmt = NULL;
    int rc = sq_stmt(s, S_VENDOR_GET, &stmt, err);
    if (rc)
        return rc;
    lo__sq_bind_text(stmt, 1, name);
    rc = lo__sq_step(st, stmt, "reading a vendor", err);
    if (rc <= 0)
        return rc ? rc : lo_error_set(err, LO_ENOTFOUND, "no vendor named '%s'", name);
    rc = read_vendor(stmt, arena, out);
    sqlite3_reset(stmt);
    return rc ? lo__sq_nomem(stmt, "a vendor", err) : 0;
}

static int sq_vendor_list(struct lo_store *st, struct lo_arena *arena, lo_vendor_row_cb cb,
                          void *ctx, struct lo_error *err)
{
    struct sq_store *s = sq(st);
    sqlite3_stmt *stmt = NULL;
    int rc = sq_stmt(s, S_VENDOR_LIST, &stmt, err);
    while (!rc) {
        int step = sqlite3_step(stmt);
        if (step == SQLITE_DONE)
            break;
        if (step != SQLITE_ROW) {
            rc = sq_fail(s, sqlite3_extended_errcode(s->db), "listing vendors", err);
            break;
        }
        struct lo_vendor_row v;
        rc = read_vendor(stmt, arena, &v);
        if (rc)
            rc = lo__sq_nomem(stmt, "vendors", err);
        else
            rc = cb(ctx, &v);
    }
    if (stmt)
        sqlite3_reset(stmt);
    return rc;
}

static int sq_user_create(struct lo_store *st, struct lo_user_row *u, struct lo_error *err)
{
    struct sq_store *s = sq(st);
    sqlite3_stmt *stmt = NULL;
    int rc = need_write(s, "user_create", err);
    if (!rc)
        rc = sq_stmt(s, S_USER_INSERT, &stmt, err);
    if (rc)
        return rc;
    lo__sq_bind_text(stmt, 1, u->name);
    lo__sq_bind_id(stmt, 2, u->vendor_id);
    lo__sq_bind_text(stmt, 3, u->role);
    lo__sq_bind_text(stmt, 4, u->password_hash);
    sqlite3_bind_int(stmt, 5, u->disabled ? 1 : 0);
    sqlite3_bind_int64(stmt, 6, u->created_ms);
    return lo__sq_insert(st, stmt, "creating a user", &u->id, err);
}

static int read_user(sqlite3_stmt *stmt, struct lo_arena *arena, struct lo_user_row *u)
{
    memset(u, 0, sizeof(*u));
    u->id = sqlite3_column_int64(stmt, 0);
    u->vendor_id = sqlite3_column_int64(stmt, 3);
    u->disabled = sqlite3_column_int(stmt, 6) != 0;
    u->created_ms = sqlite3_column_int64(stmt, 7);
    int rc = lo__sq_col_text(stmt, 1, arena, &u->name);
    if (!rc)
        rc = lo__sq_col_text(stmt, 2, arena, &u->role);
    if (!rc)
        rc = lo__sq_col_text(stmt, 4, arena, &u->vendor_name);
    if (!rc)
        rc = lo__sq_col_text(stmt, 5, arena, &u->password_hash);
    return rc;
}

static int sq_user_get(struct lo_store *st, const char *name, int64_t id, struct lo_arena *arena,
                       struct lo_user_row *out, struct lo_error *err)
{
    struct sq_store *s = sq(st);
    sqlite3_stmt *stmt = NULL;
    int rc = sq_stmt(s, name ? S_USER_GET_NAME : S_USER_GET_ID, &stmt, err);
    if (rc)
        return rc;
    if (name)
        lo__sq_bind_text(stmt, 1, name);
    else
        sqlite3_bind_int64(stmt, 1, id);
    rc = lo__sq_step(st, stmt, "reading a user", err);
    if (rc < 0)
        return rc;
    if (rc == 0 && name)
        return lo_error_set(err, LO_ENOTFOUND, "no user named '%s'", name);
    if (rc == 0)
        return lo_error_set(err, LO_ENOTFOUND, "no user with id %lld", (long long)id);
    rc = read_user(stmt, arena, out);
    sqlite3_reset(stmt);
    return rc ? lo__sq_nomem(stmt, "a user", err) : 0;
}

static int sq_user_list(struct lo_store *st, int64_t vendor_id, struct lo_arena *arena,
                        lo_user_row_cb cb, void *ctx, struct lo_error *err)
{
    struct sq_store *s = sq(st);
    sqlite3_stmt *stmt = NULL;
    int rc = sq_stmt(s, vendor_id > 0 ? S_USER_LIST_VENDOR : S_USER_LIST_ALL, &stmt, err);
    if (rc)
        return rc;
    if (vendor_id > 0)
        sqlite3_bind_int64(stmt, 1, vendor_id);
    while (!rc) {
        int step = sqlite3_step(stmt);
        if (step == SQLITE_DONE)
            break;
        if (step != SQLITE_ROW) {
            rc = sq_fail(s, sqlite3_extended_errcode(s->db), "listing users", err);
            break;
        }
        struct lo_user_row u;
        rc = read_user(stmt, arena, &u);
        if (rc)
            rc = lo__sq_nomem(stmt, "users", err);
        else
            rc = cb(ctx, &u);
    }
    sqlite3_reset(stmt);
    return rc;
}

static int sq_changed_one(struct sq_store *s, sqlite3_stmt *stmt, const char *what,
                          const char *missing, struct lo_error *err)
{
    int rc = lo__sq_run(&s->base, stmt, what, err);
    if (rc)
        return rc;
    if (sqlite3_changes(s->db) == 0)
        return lo_error_set(err, LO_ENOTFOUND, "%s", missing);
    return 0;
}

static int sq_user_update(struct lo_store *st, int64_t id, const char *role, bool disabled,
                          const char *password_hash, struct lo_error *err)
{
    struct sq_store *s = sq(st);
    sqlite3_stmt *stmt = NULL;
    int rc = need_write(s, "user_update", err);
    if (!rc)
        rc = sq_stmt(s, S_USER_UPDATE, &stmt, err);
    if (rc)
        return rc;
    sqlite3_bind_int64(stmt, 1, id);
    lo__sq_bind_text(stmt, 2, role);
    sqlite3_bind_int(stmt, 3, disabled ? 1 : 0);
    lo__sq_bind_text(stmt, 4, password_hash);
    return sq_changed_one(s, stmt, "updating a user", "no such user", err);
}

static int sq_member_set(struct lo_store *st, const struct lo_member_row *m,
                         struct lo_error *err)
{
    struct sq_store *s = sq(st);
    sqlite3_stmt *stmt = NULL;
    int rc = need_write(s, "member_set", err);
    if (!rc)
        rc = sq_stmt(s, S_MEMBER_SET, &stmt, err);
    if (rc)
        return rc;
    sqlite3_bind_int64(stmt, 1, m->project_id);
    sqlite3_bind_int64(stmt, 2, m->user_id);
    lo__sq_bind_text(stmt, 3, m->role);
    sqlite3_bind_int64(stmt, 4, m->created_ms);
    rc = lo__sq_run(st, stmt, "adding a member", err);
    if (rc == LO_ENOTFOUND)
        return lo_error_set(err, rc, "no such project or user");
    return rc;
}

static int sq_member_remove(struct lo_store *st, int64_t project_id, int64_t user_id,
                            struct lo_error *err)
{
    struct sq_store *s = sq(st);
    sqlite3_stmt *stmt = NULL;
    int rc = need_write(s, "member_remove", err);
    if (!rc)
        rc = sq_stmt(s, S_MEMBER_REMOVE, &stmt, err);
    if (rc)
        return rc;
    sqlite3_bind_int64(stmt, 1, project_id);
    sqlite3_bind_int64(stmt, 2, user_id);
    return sq_changed_one(s, stmt, "removing a member", "not a member", err);
}

static int read_member(sqlite3_stmt *stmt, struct lo_arena *arena, struct lo_member_row *m)
{
    memset(m, 0, sizeof(*m));
    m->project_id = sqlite3_column_int64(stmt, 0);
    m->user_id = sqlite3_column_int64(stmt, 1);
    m->created_ms = sqlite3_column_int64(stmt, 4);
    int rc = lo__sq_col_text(stmt, 2, arena, &m->user_name);
    if (!rc)
        rc = lo__sq_col_text(stmt, 3, arena, &m->role);
    return rc;
}

static int sq_member_get(struct lo_store *st, int64_t project_id, int64_t user_id,
                         struct lo_arena *arena, struct lo_member_row *out, struct lo_error *err)
{
    struct sq_store *s = sq(st);
    sqlite3_stmt *stmt = NULL;
    int rc = sq_stmt(s, S_MEMBER_GET, &stmt, err);
    if (rc)
        return rc;
    sqlite3_bind_int64(stmt, 1, project_id);
    sqlite3_bind_int64(stmt, 2, user_id);
    rc = lo__sq_step(st, stmt, "reading a membership", err);
    if (rc <= 0)
        return rc ? rc : lo_error_set(err, LO_ENOTFOUND, "not a member");
    rc = read_member(stmt, arena, out);
    sqlite3_reset(stmt);
    return rc ? lo__sq_nomem(stmt, "a membership", err) : 0;
}

static int sq_member_list(struct lo_store *st, int64_t project_id, struct lo_arena *arena,
                          lo_member_row_cb cb, void *ctx, struct lo_error *err)
{
    struct sq_store *s = sq(st);
    sqlite3_stmt *stmt = NULL;
    int rc = sq_stmt(s, S_MEMBER_LIST, &stmt, err);
    if (rc)
        return rc;
    sqlite3_bind_int64(stmt, 1, project_id);
    while (!rc) {
        int step = sqlite3_step(stmt);
        if (step == SQLITE_DONE)
            break;
        if (step != SQLITE_ROW) {
            rc = sq_fail(s, sqlite3_extended_errcode(s->db), "listing members", err);
            break;
        }
        struct lo_member_row m;
        rc = read_member(stmt, arena, &m);
        if (rc)
            rc = lo__sq_nomem(stmt, "members", err);
        else
            rc = cb(ctx, &m);
    }
    sqlite3_reset(stmt);
    return rc;
}

static int sq_session_create(struct lo_store *st, struct lo_session_row *r,
                             struct lo_error *err)
{
    struct sq_store *s = sq(st);
    sqlite3_stmt *stmt = NULL;
    int rc = need_write(s, "session_create", err);
    if (!rc)
        rc = sq_stmt(s, S_SESSION_INSERT, &stmt, err);
    if (rc)
        return rc;
    lo__sq_bind_text(stmt, 1, r->token_hash);
    sqlite3_bind_int64(stmt, 2, r->user_id);
    lo__sq_bind_text(stmt, 3, r->csrf_token);
    sqlite3_bind_int64(stmt, 4, r->created_ms);
    sqlite3_bind_int64(stmt, 5, r->expires_ms);
    return lo__sq_insert(st, stmt, "creating a session", &r->id, err);
}

static int sq_session_get(struct lo_store *st, const char *token_hash, struct lo_arena *arena,
                          struct lo_session_row *out, struct lo_error *err)
{
    struct sq_store *s = sq(st);
    sqlite3_stmt *stmt = NULL;
    int rc = sq_stmt(s, S_SESSION_GET, &stmt, err);
    if (rc)
        return rc;
    lo__sq_bind_text(stmt, 1, token_hash);
    rc = lo__sq_step(st, stmt, "reading a session", err);
    if (rc <= 0)
        return rc ? rc : lo_error_set(err, LO_ENOTFOUND, "no such session");
    memset(out, 0, sizeof(*out));
    out->id = sqlite3_column_int64(stmt, 0);
    out->user_id = sqlite3_column_int64(stmt, 2);
    out->created_ms = sqlite3_column_int64(stmt, 4);
    out->expires_ms = sqlite3_column_int64(stmt, 5);
    out->revoked_ms = sqlite3_column_int64(stmt, 6);
    rc = lo__sq_col_text(stmt, 1, arena, &out->token_hash);
    if (!rc)
        rc = lo__sq_col_text(stmt, 3, arena, &out->csrf_token);
    sqlite3_reset(stmt);
    return rc ? lo__sq_nomem(stmt, "a session", err) : 0;
}

static int sq_session_revoke(struct lo_store *st, const char *token_hash, int64_t user_id,
                             int64_t now_ms, struct lo_error *err)
{
    struct sq_store *s = sq(st);
    sqlite3_stmt *stmt = NULL;
    int rc = need_write(s, "session_revoke", err);
    if (!rc)
        rc = sq_stmt(s, token_hash ? S_SESSION_REVOKE : S_SESSION_REVOKE_USER, &stmt, err);
    if (rc)
        return rc;
    if (token_hash)
        lo__sq_bind_text(stmt, 1, token_hash);
    else
        sqlite3_bind_int64(stmt, 1, user_id);
    sqlite3_bind_int64(stmt, 2, now_ms);
    if (token_hash)
        return sq_changed_one(s, stmt, "revoking a session", "no such session", err);
    return lo__sq_run(st, stmt, "revoking sessions", err);
}

static int sq_token_create(struct lo_store *st, struct lo_token_row *t, struct lo_error *err)
{
    struct sq_store *s = sq(st);
    sqlite3_stmt *stmt = NULL;
    int rc = need_write(s, "token_create", err);
    if (!rc)
        rc = sq_stmt(s, S_TOKEN_INSERT, &stmt, err);
    if (rc)
        return rc;
    lo__sq_bind_text(stmt, 1, t->token_hash);
    sqlite3_bind_int64(stmt, 2, t->user_id);
    lo__sq_bind_text(stmt, 3, t->name);
    sqlite3_bind_int64(stmt, 4, t->created_ms);
    rc = lo__sq_insert(st, stmt, "creating a token", &t->id, err);
    if (rc == LO_ENOTFOUND)
        return lo_error_set(err, rc, "no user with id %lld", (long long)t->user_id);
    return rc;
}

static int sq_token_get(struct lo_store *st, const char *token_hash, int64_t id,
                        struct lo_arena *arena, struct lo_token_row *out, struct lo_error *err)
{
    struct sq_store *s = sq(st);
    sqlite3_stmt *stmt = NULL;
    int rc = sq_stmt(s, token_hash ? S_TOKEN_GET_HASH : S_TOKEN_GET_ID, &stmt, err);
    if (rc)
        return rc;
    if (token_hash)
        lo__sq_bind_text(stmt, 1, token_hash);
    else
        sqlite3_bind_int64(stmt, 1, id);
    rc = lo__sq_step(st, stmt, "reading a token", err);
    if (rc <= 0)
        return rc ? rc : lo_error_set(err, LO_ENOTFOUND, "no such token");
    memset(out, 0, sizeof(*out));
    out->id = sqlite3_column_int64(stmt, 0);
    out->user_id = sqlite3_column_int64(stmt, 2);
    out->created_ms = sqlite3_column_int64(stmt, 4);
    out->last_used_ms = sqlite3_column_int64(stmt, 5);
    out->revoked_ms = sqlite3_column_int64(stmt, 6);
    rc = lo__sq_col_text(stmt, 1, arena, &out->token_hash);
    if (!rc)
        rc = lo__sq_col_text(stmt, 3, arena, &out->name);
    sqlite3_reset(stmt);
    return rc ? lo__sq_nomem(stmt, "a token", err) : 0;
}

static int sq_token_list(struct lo_store *st, int64_t user_id, struct lo_arena *arena,
                         lo_token_row_cb cb, void *ctx, struct lo_error *err)
{
    struct sq_store *s = sq(st);
    sqlite3_stmt *stmt = NULL;
    int rc = sq_stmt(s, S_TOKEN_LIST, &stmt, err);
    if (rc)
        return rc;
    sqlite3_bind_int64(stmt, 1, user_id);
    while (!rc) {
        int step = sqlite3_step(stmt);
        if (step == SQLITE_DONE)
            break;
        if (step != SQLITE_ROW) {
            rc = sq_fail(s, sqlite3_extended_errcode(s->db), "listing tokens", err);
            break;
        }
        struct lo_token_row t;
        memset(&t, 0, sizeof(t));
        t.id = sqlite3_column_int64(stmt, 0);
        t.user_id = sqlite3_column_int64(stmt, 2);
        t.created_ms = sqlite3_column_int64(stmt, 4);
        t.last_used_ms = sqlite3_column_int64(stmt, 5);
        t.revoked_ms = sqlite3_column_int64(stmt, 6);
        if (lo__sq_col_text(stmt, 3, arena, &t.name))
            rc = lo__sq_nomem(stmt, "tokens", err);
        else
            rc = cb(ctx, &t);
    }
    sqlite3_reset(stmt);
    return rc;
}

static int sq_token_touch(struct lo_store *st, int64_t id, int64_t now_ms, struct lo_error *err)
{
    struct sq_store *s = sq(st);
    sqlite3_stmt *stmt = NULL;
    int rc = need_write(s, "token_touch", err);
    if (!rc)
        rc = sq_stmt(s, S_TOKEN_TOUCH, &stmt, err);
    if (rc)
        return rc;
    sqlite3_bind_int64(stmt, 1, id);
    sqlite3_bind_int64(stmt, 2, now_ms);
    return sq_changed_one(s, stmt, "recording a token's use", "no such token", err);
}

static int sq_token_revoke(struct lo_store *st, int64_t id, int64_t user_id, int64_t now_ms,
                           struct lo_error *err)
{
    struct sq_store *s = sq(st);
    sqlite3_stmt *stmt = NULL;
    int rc = need_write(s, "token_revoke", err);
    if (!rc)
        rc = sq_stmt(s, id ? S_TOKEN_REVOKE : S_TOKEN_REVOKE_USER, &stmt, err);
    if (rc)
        return rc;
    sqlite3_bind_int64(stmt, 1, id ? id : user_id);
    sqlite3_bind_int64(stmt, 2, now_ms);
    if (id)
        return sq_changed_one(s, stmt, "revoking a token", "no such token (or revoked already)",
                              err);
    return lo__sq_run(st, stmt, "revoking tokens", err);
}

static int sq_throttle_get(struct lo_store *st, const char *key, struct lo_throttle_row *out,
                           struct lo_error *err)
{
    struct sq_store *s = sq(st);
    sqlite3_stmt *stmt = NULL;
    int rc = sq_stmt(s, S_THROTTLE_GET, &stmt, err);
    if (rc)
        return rc;
    lo__sq_bind_text(stmt, 1, key);
    memset(out, 0, sizeof(*out));
    rc = lo__sq_step(st, stmt, "reading the sign-in throttle", err);
    if (rc <= 0)
        return rc;
    out->failures = sqlite3_column_int64(stmt, 0);
    out->window_start_ms = sqlite3_column_int64(stmt, 1);
    sqlite3_reset(stmt);
    return 0;
}

static int sq_throttle_put(struct lo_store *st, const char *key, const struct lo_throttle_row *t,
                           struct lo_error *err)
{
    struct sq_store *s = sq(st);
    sqlite3_stmt *stmt = NULL;
    int rc = need_write(s, "throttle_put", err);
    if (!rc)
        rc = sq_stmt(s, S_THROTTLE_PUT, &stmt, err);
    if (rc)
        return rc;
    lo__sq_bind_text(stmt, 1, key);
    sqlite3_bind_int64(stmt, 2, t->failures);
    sqlite3_bind_int64(stmt, 3, t->window_start_ms);
    return lo__sq_run(st, stmt, "recording a failed sign-in", err);
}

static int sq_throttle_clear(struct lo_store *st, const char *key, struct lo_error *err)
{
    struct sq_store *s = sq(st);
    sqlite3_stmt *stmt = NULL;
    int rc = need_write(s, "throttle_clear", err);
    if (!rc)
        rc = sq_stmt(s, S_THROTTLE_CLEAR, &stmt, err);
    if (rc)
        return rc;
    lo__sq_bind_text(stmt, 1, key);
    return lo__sq_run(st, stmt, "clearing the sign-in throttle", err);
}

static int sq_audit_last(struct lo_store *st, struct lo_arena *arena, int64_t *seq_out,
                         const char **hash_out, struct lo_error *err)
{
    struct sq_store *s = sq(st);
    sqlite3_stmt *stmt = NULL;
    int rc = sq_stmt(s, S_AUDIT_LAST, &stmt, err);
    if (rc)
        return rc;
    *seq_out = 0;
    *hash_out = NULL;
    rc = lo__sq_step(st, stmt, "reading the audit chain", err);
    if (rc <= 0)
        return rc;
    *seq_out = sqlite3_column_int64(stmt, 0);
    rc = lo__sq_col_text(stmt, 1, arena, hash_out);
    sqlite3_reset(stmt);
    return rc ? lo__sq_nomem(stmt, "the audit chain", err) : 0;
}

static int sq_audit_list(struct lo_store *st, struct lo_arena *arena, lo_event_cb cb, void *ctx,
                         struct lo_error *err)
{
    struct sq_store *s = sq(st);
    sqlite3_stmt *stmt = NULL;
    int rc = sq_stmt(s, S_AUDIT_LIST, &stmt, err);
    if (rc)
        return rc;
    return event_scan(s, stmt, arena, cb, ctx, err);
}

static void sq_close(struct lo_store *st)
{
    struct sq_store *s = sq(st);
    if (s->tx != TX_NONE)
        sq_rollback(st);
    lo__sq_finalize(s->stmts, S_COUNT);
    for (int i = 0; i < LO_SQ_PARTS; i++)
        lo__sq_stmts_free(s->parts[i]);
    sqlite3_close(s->db);
    free(s);
}

static const struct lo_store_ops sq_ops = {
    .name = "sqlite",
    .wf = &lo__sq_wf_ops,
    .close = sq_close,
    .begin = sq_begin,
    .commit = sq_commit,
    .rollback = sq_rollback,
    .project_create = sq_project_create,
    .project_get = sq_project_get,
    .project_list = sq_project_list,
    .project_delete = sq_project_delete,
    .project_set_schema = sq_project_set_schema,
    .project_counts = sq_project_counts,
    .guideline_add = sq_guideline_add,
    .guideline_get = sq_guideline_get,
    .guideline_list = sq_guideline_list,
    .item_insert = sq_item_insert,
    .item_insert_many = sq_item_insert_many,
    .item_find = sq_item_find,
    .item_set_gold = sq_item_set_gold,
    .annotation_insert = sq_annotation_insert,
    .annotation_insert_many = sq_annotation_insert_many,
    .prediction_insert = sq_prediction_insert,
    .event_append = sq_event_append,
    .event_list = sq_event_list,
    .export_scan = sq_export_scan,
    .item_page = sq_item_page,
    .vendor_create = sq_vendor_create,
    .vendor_get = sq_vendor_get,
    .vendor_list = sq_vendor_list,
    .user_create = sq_user_create,
    .user_get = sq_user_get,
    .user_list = sq_user_list,
    .user_update = sq_user_update,
    .member_set = sq_member_set,
    .member_remove = sq_member_remove,
    .member_get = sq_member_get,
    .member_list = sq_member_list,
    .session_create = sq_session_create,
    .session_get = sq_session_get,
    .session_revoke = sq_session_revoke,
    .token_create = sq_token_create,
    .token_get = sq_token_get,
    .token_touch = sq_token_touch,
    .token_revoke = sq_token_revoke,
    .token_list = sq_token_list,
    .throttle_get = sq_throttle_get,
    .throttle_put = sq_throttle_put,
    .throttle_clear = sq_throttle_clear,
    .audit_last = sq_audit_last,
    .audit_list = sq_audit_list,
};

/* Runs one static SQL text (set-up pragmas, migrations, never data). */
static int sq_exec(struct sq_store *s, const char *sql, const char *what, struct lo_error *err)
{
    int rc = sqlite3_exec(s->db, sql, NULL, NULL, NULL);
    if (rc != SQLITE_OK)
        return sq_fail(s, sqlite3_extended_errcode(s->db), what, err);
    return 0;
}

/* Reads one integer from a one-row query; a missing table reads as 0 when missing_ok. */
static int sq_query_int(struct sq_store *s, const char *sql, bool missing_ok, int64_t *out,
                        struct lo_error *err)
{
    sqlite3_stmt *stmt = NULL;
    *out = 0;
    int rc = sqlite3_prepare_v2(s->db, sql, -1, &stmt, NULL);
    if (rc != SQLITE_OK) {
        if (missing_ok && rc == SQLITE_ERROR)
            return 0;
        return sq_fail(s, sqlite3_extended_errcode(s->db), "reading the schema version", err);
    }
    rc = sqlite3_step(stmt);
    if (rc == SQLITE_ROW)
        *out = sqlite3_column_int64(stmt, 0);
    else if (rc != SQLITE_DONE)
        rc = sq_fail(s, sqlite3_extended_errcode(s->db), "reading the schema version", err);
    sqlite3_finalize(stmt);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : rc;
}

#define SQ_APPLICATION_ID 1280266323 /* "LOPS"; set by migration 1 */
#define SQ_MIGRATION_TABLE                                                                     \
    "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY,"               \
    " name TEXT NOT NULL, applied_at TEXT NOT NULL)"
#define SQ_MIGRATION_VERSION "SELECT coalesce(max(version), 0) FROM schema_migrations"

static int sq_check_version(struct sq_store *s, const char *path, int64_t current, size_t known,
                            struct lo_error *err)
{
    int64_t app_id;
    int rc = sq_query_int(s, "PRAGMA application_id", false, &app_id, err);
    if (rc)
        return rc;
    if (app_id != 0 && app_id != SQ_APPLICATION_ID)
        return lo_error_set(err, LO_ESTORE, "%s is an SQLite database of another program", path);
    if (current > (int64_t)known)
        return lo_error_set(err, LO_ESTORE,
                            "%s has schema version %lld, newer than this labelops knows (%zu); "
                            "use a newer labelops",
                            path, (long long)current, known);
    return 0;
}

/* Applies the pending migrations in one write transaction, recording each. */
static int sq_migrate(struct sq_store *s, const char *path, const struct lo_migration *migrations,
                      size_t count, struct lo_error *err)
{
    int64_t current;
    int rc = sq_query_int(s, SQ_MIGRATION_VERSION, true, &current, err);
    if (rc)
        return rc;
    rc = sq_check_version(s, path, current, count, err);
    if (rc || current == (int64_t)count)
        return rc;

    rc = sq_exec(s, "BEGIN IMMEDIATE", "locking the database for migration", err);
    if (rc)
        return rc;
    /* Another process may have migrated between the first look and the lock. */
    rc = sq_exec(s, SQ_MIGRATION_TABLE, "creating schema_migrations", err);
    if (!rc)
        rc = sq_query_int(s, SQ_MIGRATION_VERSION, false, &current, err);
    if (!rc)
        rc = sq_check_version(s, path, current, count, err);
    sqlite3_stmt *record = NULL;
    if (!rc && sqlite3_prepare_v2(s->db,
                                  "INSERT INTO schema_migrations (version, name, applied_at)"
                                  " VALUES (?1, ?2, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))",
                                  -1, &record, NULL)
                   != SQLITE_OK)
        rc = sq_fail(s, sqlite3_extended_errcode(s->db), "recording a migration", err);
    for (size_t i = (size_t)current; !rc && i < count; i++) {
        const struct lo_migration *m = &migrations[i];
        if (m->version != (int)i + 1) {
            rc = lo_error_set(err, LO_ESTORE, "migration %zu is numbered %d", i + 1, m->version);
            break;
        }
        rc = sq_exec(s, m->sql, "applying a migration", err);
        if (rc) {
            lo_error_prefix(err, "migration %d (%s)", m->version, m->name);
            break;
        }
        sqlite3_bind_int(record, 1, m->version);
        sqlite3_bind_text(record, 2, m->name, -1, SQLITE_STATIC);
        rc = lo__sq_run(&s->base, record, "recording a migration", err);
    }
    sqlite3_finalize(record);
    if (!rc)
        rc = sq_exec(s, "COMMIT", "committing migrations", err);
    if (rc)
        sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
    return rc;
}

static int sq_configure(struct sq_store *s, struct lo_error *err)
{
    int rc = sqlite3_busy_timeout(s->db, SQ_BUSY_TIMEOUT_MS);
    if (rc != SQLITE_OK)
        return sq_fail(s, rc, "setting the busy timeout", err);
    rc = sq_exec(s, SQ_PAGE_SIZE_SQL, "setting the page size", err);
    if (!rc)
        rc = sq_exec(s, SQ_CACHE_SQL, "setting the cache size", err);
    /* Savepoint and statement journals in memory, not in temporary files: the group-commit
     * writer opens a savepoint per request (app/writer.c). */
    if (!rc)
        rc = sq_exec(s, "PRAGMA temp_store = MEMORY", "setting temp_store", err);
    if (rc)
        return rc;
    /* WAL: readers never block the writer nor the writer the readers. The answer says what the
     * journal mode became ("memory" for an in-memory database, which has no WAL). */
    sqlite3_stmt *stmt = NULL;
    rc = sqlite3_prepare_v2(s->db, "PRAGMA journal_mode = WAL", -1, &stmt, NULL);
    if (rc != SQLITE_OK)
        return sq_fail(s, rc, "setting WAL mode", err);
    rc = sqlite3_step(stmt);
    const char *mode = rc == SQLITE_ROW ? (const char *)sqlite3_column_text(stmt, 0) : NULL;
    bool ok = mode && (strcmp(mode, "wal") == 0 || strcmp(mode, "memory") == 0);
    sqlite3_finalize(stmt);
    if (!ok)
        return sq_fail(s, sqlite3_extended_errcode(s->db), "switching to WAL mode", err);
    /* Durable commits: under WAL, FULL syncs the WAL at every commit, so an acknowledged write
     * survives a crash of the process and a power loss. The server's workflow writes share
     * commits (app/writer.c), which keeps the cost of the sync per request small. Only the
     * benchmark's copy in memory (lo_store_sqlite_memory_copy) runs without syncs. */
    rc = sq_exec(s, atomic_load(&sq_durable) ? "PRAGMA synchronous = FULL"
                                             : "PRAGMA synchronous = OFF",
                 "setting synchronous", err);
    if (!rc)
        rc = sq_exec(s, "PRAGMA foreign_keys = ON", "enabling foreign keys", err);
    if (!rc)
        rc = sq_exec(s, SQ_JOURNAL_LIMIT_SQL, "setting the journal size limit", err);
    return rc;
}

/* Library-wide settings, made once before the first connection (sqlite3_config refuses them
 * later). Memory statistics off: with them on, every SQLite allocation of every connection takes
 * one process-wide mutex, which the server's worker threads fought over on each request
 * (bench/README.md: 0.44 -> 0.6 of the static ceiling). labelops never reads those statistics. */
static pthread_once_t sq_library_once = PTHREAD_ONCE_INIT;

static void sq_library_init(void)
{
    sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}

int lo__store_open_sqlite_with(const char *path, const struct lo_migration *migrations,
                               size_t count, struct lo_store **out, struct lo_error *err)
{
    *out = NULL;
    pthread_once(&sq_library_once, sq_library_init);
    struct sq_store *s = calloc(1, sizeof(*s));
    if (!s)
        return lo_error_set(err, LO_ENOMEM, "out of memory opening %s", path);
    s->base.ops = &sq_ops;
    int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX
                | SQLITE_OPEN_EXRESCODE;
    /* ":memory:" is one in-memory database per process, shared by every connection (the
     * server opens one per worker thread): SQLite's memdb VFS under a fixed name. It lives
     * while a connection to it is open. */
    const char *open_path = path;
    if (strcmp(path, ":memory:") == 0) {
        open_path = SQ_MEMORY_URI;
        flags |= SQLITE_OPEN_URI;
    }
    int rc = sqlite3_open_v2(open_path, &s->db, flags, NULL);
    if (rc != SQLITE_OK) {
        rc = lo_error_set(err, LO_ESTORE, "cannot open %s: %s", path,
                          s->db ? sqlite3_errmsg(s->db) : "out of memory");
        goto fail;
    }
    rc = sq_configure(s, err);
    if (rc)
        goto fail;
    rc = sq_migrate(s, path, migrations, count, err);
    if (rc)
        goto fail;
    *out = &s->base;
    return 0;

fail:
    sqlite3_close(s->db);
    free(s);
    return rc;
}

int lo_store_open_sqlite(const char *path, struct lo_store **out, struct lo_error *err)
{
    return lo__store_open_sqlite_with(path, lo__migrations, lo__migrations_count, out, err);
}

int lo_store_sqlite_memory_copy(const char *path, char *copy_path, size_t cap,
                                struct lo_error *err)
{
    /* Migrate the file first, so the copy needs none. */
    struct lo_store *from = NULL;
    int rc = lo_store_open_sqlite(path, &from, err);
    if (rc)
        return rc;
    lo_store_close(from);
    const char *dir = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
    int n = snprintf(copy_path, cap, "%s/labelops-memory-%ld.db", dir, (long)getpid());
    if (n < 0 || (size_t)n >= cap)
        return lo_error_set(err, LO_EUSAGE, "no room for the copy's path");
    unlink(copy_path);
    /* VACUUM INTO writes a compact copy (a fresh file, so nothing of an earlier one is kept). */
    sqlite3 *src = NULL;
    int step = sqlite3_open_v2(path, &src, SQLITE_OPEN_READONLY, NULL);
    sqlite3_stmt *stmt = NULL;
    if (step == SQLITE_OK)
        step = sqlite3_prepare_v2(src, "VACUUM INTO ?1", -1, &stmt, NULL);
    if (step == SQLITE_OK) {
        sqlite3_bind_text(stmt, 1, copy_path, -1, SQLITE_STATIC);
        step = sqlite3_step(stmt) == SQLITE_DONE ? SQLITE_OK : sqlite3_errcode(src);
    }
    if (step != SQLITE_OK)
        rc = lo_error_set(err, LO_ESTORE, "copying %s into memory: %s", path,
                          src ? sqlite3_errmsg(src) : sqlite3_errstr(step));
    sqlite3_finalize(stmt);
    sqlite3_close(src);
    if (!rc)
        atomic_store(&sq_durable, false);
    return rc;
}

int lo_store_schema_version(void)
{
    return (int)lo__migrations_count;
}
