/*
 * sqlite_int.h - what the files of the SQLite store share (store_sqlite.c owns the connection;
 * store_sqlite_wf.c adds the workflow operations). Nobody outside src/store/ includes it.
 */
#ifndef LO_STORE_SQLITE_INT_H
#define LO_STORE_SQLITE_INT_H

#include <sqlite3.h>
#include <stdbool.h>

#include "base/err.h"
#include "store/store_wf.h"

struct lo_store;
struct lo_sq_wf; /* the workflow statements of one connection */

sqlite3 *lo__sq_db(struct lo_store *st);
/* True inside a write transaction. */
bool lo__sq_writing(struct lo_store *st);
/* Where the connection keeps its workflow statements (NULL until first used). */
struct lo_sq_wf **lo__sq_wf_slot(struct lo_store *st);
/* Maps an SQLite result code to an lo_err and records "what: sqlite's message". */
int lo__sq_fail(struct lo_store *st, int rc, const char *what, struct lo_error *err);
void lo__sq_wf_free(struct lo_sq_wf *w);

extern const struct lo_wf_store_ops lo__sq_wf_ops;

#endif
