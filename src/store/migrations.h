/*
 * migrations.h - the numbered schema migrations of the SQLite store (private to src/store/).
 *
 * Each migration is a C string literal compiled into the binary, so a labelops binary carries
 * exactly the schema it was built for and needs no files at run time. store_sqlite.c applies the
 * pending ones on open, in one transaction, and records each in the schema_migrations table.
 * A migration is never edited once released: a change to the schema is a new, higher number.
 * Migration text is static SQL; it never contains data and is never built with printf.
 */
#ifndef LO_STORE_MIGRATIONS_H
#define LO_STORE_MIGRATIONS_H

#include <stddef.h>

#include "base/err.h"

struct lo_store;

struct lo_migration {
    int version;      /* 1, 2, 3 ... with no gaps */
    const char *name; /* short description, recorded beside the version */
    const char *sql;  /* one or more statements */
};

/* The migrations of this binary, in version order. */
extern const struct lo_migration lo__migrations[];
extern const size_t lo__migrations_count;

/* Opens an SQLite store like lo_store_open_sqlite but with the given migration list instead of
 * lo__migrations; for tests of the migration machinery. */
int lo__store_open_sqlite_with(const char *path, const struct lo_migration *migrations,
                               size_t count, struct lo_store **out, struct lo_error *err);

#endif
