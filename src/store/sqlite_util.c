/*
 * sqlite_util.c - the small SQLite helpers every file of the SQLite store uses: preparing a
 * statement once per connection and keeping it, binding text, numbers and ids that may be
 * unset, stepping with SQLite's errors mapped to lo_err, and copying a column into the caller's
 * arena.
 *
 * It holds no state: the statements live in the connection (store_sqlite.c), and everything
 * here works on what the caller hands in. It never builds SQL text.
 */
#include <assert.h>
#include <math.h>
#include <sqlite3.h>
#include <stdlib.h>

#include "store/sqlite_int.h"

/* One part's statements in one connection, indexed by the part's statement enum. */
struct lo_sq_stmts {
    int count;
    sqlite3_stmt *stmt[];
};

/* ---- statements -------------------------------------------------------------------------- */

int lo__sq_prepare(struct lo_store *st, const char *sql, const char *what, sqlite3_stmt **slot,
                   struct lo_error *err)
{
    if (*slot)
        return 0;
    int rc = sqlite3_prepare_v3(lo__sq_db(st), sql, -1, SQLITE_PREPARE_PERSISTENT, slot, NULL);
    if (rc != SQLITE_OK)
        return lo__sq_fail(st, rc, what, err);
    return 0;
}

void lo__sq_finalize(sqlite3_stmt **stmts, int count)
{
    for (int i = 0; i < count; i++)
        sqlite3_finalize(stmts[i]);
}

void lo__sq_stmts_free(struct lo_sq_stmts *stmts)
{
    if (!stmts)
        return;
    lo__sq_finalize(stmts->stmt, stmts->count);
    free(stmts);
}

int lo__sq_stmt(struct lo_store *st, const struct lo_sq_sql *sql, int id, sqlite3_stmt **out,
                struct lo_error *err)
{
    assert(id >= 0 && id < sql->count);
    struct lo_sq_stmts **slot = lo__sq_part_slot(st, sql->part);
    if (!*slot) {
        *slot = calloc(1, sizeof(**slot) + (size_t)sql->count * sizeof((*slot)->stmt[0]));
        if (!*slot)
            return lo_error_set(err, LO_ENOMEM, "out of memory preparing a statement");
        (*slot)->count = sql->count;
    }
    sqlite3_stmt **stmt = &(*slot)->stmt[id];
    int rc = lo__sq_prepare(st, sql->text[id], "preparing a workflow statement", stmt, err);
    if (rc)
        return rc;
    sqlite3_clear_bindings(*stmt);
    *out = *stmt;
    return 0;
}

int lo__sq_write_stmt(struct lo_store *st, const struct lo_sq_sql *sql, int id, const char *op,
                      sqlite3_stmt **out, struct lo_error *err)
{
    if (!lo__sq_writing(st))
        return lo_error_set(err, LO_EUSAGE, "%s needs a write transaction", op);
    return lo__sq_stmt(st, sql, id, out, err);
}

/* ---- binding and reading ------------------------------------------------------------------ */

int lo__sq_bind_text(sqlite3_stmt *stmt, int i, const char *v)
{
    if (!v)
        return sqlite3_bind_null(stmt, i);
    return sqlite3_bind_text(stmt, i, v, -1, SQLITE_STATIC);
}

int lo__sq_bind_double(sqlite3_stmt *stmt, int i, double v)
{
    if (isnan(v))
        return sqlite3_bind_null(stmt, i);
    return sqlite3_bind_double(stmt, i, v);
}

int lo__sq_bind_id(sqlite3_stmt *stmt, int i, int64_t v)
{
    if (!v)
        return sqlite3_bind_null(stmt, i);
    return sqlite3_bind_int64(stmt, i, v);
}

double lo__sq_col_double(sqlite3_stmt *stmt, int i)
{
    if (sqlite3_column_type(stmt, i) == SQLITE_NULL)
        return NAN;
    return sqlite3_column_double(stmt, i);
}

int lo__sq_col_text(sqlite3_stmt *stmt, int i, struct lo_arena *arena, const char **out)
{
    const unsigned char *t = sqlite3_column_text(stmt, i);
    if (!t) {
        *out = NULL;
        /* NULL is also what SQLite gives when converting the value ran out of memory. */
        return sqlite3_errcode(sqlite3_db_handle(stmt)) == SQLITE_NOMEM ? LO_ENOMEM : 0;
    }
    char *copy = lo_arena_strndup(arena, (const char *)t, (size_t)sqlite3_column_bytes(stmt, i));
    if (!copy)
        return LO_ENOMEM;
    *out = copy;
    return 0;
}

const char *lo__sq_col_dup(sqlite3_stmt *stmt, int i, struct lo_arena *arena, bool *bad)
{
    const char *copy = NULL;
    if (lo__sq_col_text(stmt, i, arena, &copy))
        *bad = true;
    return copy;
}

/* ---- stepping ----------------------------------------------------------------------------- */

int lo__sq_run(struct lo_store *st, sqlite3_stmt *stmt, const char *what, struct lo_error *err)
{
    int rc = sqlite3_step(stmt);
    if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
        rc = lo__sq_fail(st, sqlite3_extended_errcode(lo__sq_db(st)), what, err);
        sqlite3_reset(stmt);
        return rc;
    }
    sqlite3_reset(stmt);
    return 0;
}

int lo__sq_insert(struct lo_store *st, sqlite3_stmt *stmt, const char *what, int64_t *id_out,
                  struct lo_error *err)
{
    int rc = lo__sq_run(st, stmt, what, err);
    if (!rc && id_out)
        *id_out = sqlite3_last_insert_rowid(lo__sq_db(st));
    return rc;
}

int lo__sq_step(struct lo_store *st, sqlite3_stmt *stmt, const char *what, struct lo_error *err)
{
    int rc = sqlite3_step(stmt);
    if (rc == SQLITE_ROW)
        return 1;
    if (rc == SQLITE_DONE)
        rc = 0;
    else
        rc = lo__sq_fail(st, sqlite3_extended_errcode(lo__sq_db(st)), what, err);
    sqlite3_reset(stmt);
    return rc;
}

int lo__sq_nomem(sqlite3_stmt *stmt, const char *what, struct lo_error *err)
{
    sqlite3_reset(stmt);
    return lo_error_set(err, LO_ENOMEM, "out of memory reading %s", what);
}
