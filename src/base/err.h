/*
 * err.h - the one error style of labelops.
 *
 * Every fallible function returns 0 or a negative enum lo_err and, when the caller passed a
 * struct lo_error, fills it with a human message that names what was wrong and where (file and
 * line, field, limit). This module must never print or exit: adapters (cli/, http/) decide how
 * an error reaches the user.
 */
#ifndef LO_BASE_ERR_H
#define LO_BASE_ERR_H

#include <stddef.h>

enum lo_err {
    LO_OK = 0,
    LO_ENOMEM = -1,     /* allocation failed */
    LO_EINVAL = -2,     /* bad input: malformed, fails validation */
    LO_EIO = -3,        /* reading or writing a file failed */
    LO_ENOTFOUND = -4,  /* the named object does not exist */
    LO_ECONFLICT = -5,  /* the object exists already, or a state conflict */
    LO_ELIMIT = -6,     /* a named limit (base/limits.h) was exceeded */
    LO_ESTORE = -7,     /* the database failed */
    LO_EUSAGE = -8,     /* the caller used the interface wrongly (CLI: exit code 2) */
    LO_EUNDEFINED = -9, /* a statistic is undefined for the data (not an input error) */
    LO_EUNAUTH = -10,   /* not signed in, or the credentials are wrong (HTTP 401) */
    LO_EFORBIDDEN = -11,/* a visible object the caller's role may not change (HTTP 403) */
    LO_ERATE = -12,     /* too many requests or sign-in attempts (HTTP 429) */
    LO_EBUSY = -13,     /* shutting down or the store is locked (HTTP 503) */
};

#define LO_ERROR_MSG_MAX 512
#define LO_ERROR_FIELD_MAX 128
#define LO_ERROR_FILE_MAX 256

struct lo_error {
    int code;                          /* enum lo_err, 0 when unset */
    char msg[LO_ERROR_MSG_MAX];        /* what went wrong, one sentence, no trailing newline */
    char field[LO_ERROR_FIELD_MAX];    /* the field at fault, "" when none */
    char file[LO_ERROR_FILE_MAX];      /* the input file at fault, "" when none */
    long line;                         /* 1-based line in file, 0 when none */
};

/* Clears err (err may be NULL). */
void lo_error_clear(struct lo_error *err);

/* Records code and a printf-style message in err (err may be NULL) and returns code, so that
 * `return lo_error_set(err, LO_EINVAL, "...");` reads as one step. */
int lo_error_set(struct lo_error *err, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Like lo_error_set, and names the field at fault. */
int lo_error_field(struct lo_error *err, int code, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Sets the file and line where the error happened, keeping code and message. Returns err->code
 * (or LO_EINVAL when err is NULL) so that it can end a function. */
int lo_error_at(struct lo_error *err, const char *file, long line);

/* Prepends "prefix: " to the message. */
void lo_error_prefix(struct lo_error *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Formats the error as "file:line: field: message" (parts that are unset are left out). */
void lo_error_format(const struct lo_error *err, char *out, size_t cap);

/* A short stable name for a code, e.g. "invalid", "not_found"; used in JSON errors. */
const char *lo_err_name(int code);

#endif
