/*
 * err.c - filling and formatting struct lo_error. Never prints, never allocates.
 */
#include "base/err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void lo_error_clear(struct lo_error *err)
{
    if (!err)
        return;
    memset(err, 0, sizeof(*err));
}

static int error_vset(struct lo_error *err, int code, const char *field, const char *fmt,
                      va_list ap)
{
    if (!err)
        return code;
    err->code = code;
    vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
    if (field)
        snprintf(err->field, sizeof(err->field), "%s", field);
    else
        err->field[0] = '\0';
    return code;
}

int lo_error_set(struct lo_error *err, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = error_vset(err, code, NULL, fmt, ap);
    va_end(ap);
    return rc;
}

int lo_error_field(struct lo_error *err, int code, const char *field, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = error_vset(err, code, field, fmt, ap);
    va_end(ap);
    return rc;
}

int lo_error_at(struct lo_error *err, const char *file, long line)
{
    if (!err)
        return LO_EINVAL;
    if (file)
        snprintf(err->file, sizeof(err->file), "%s", file);
    err->line = line;
    return err->code ? err->code : LO_EINVAL;
}

void lo_error_prefix(struct lo_error *err, const char *fmt, ...)
{
    if (!err)
        return;
    char head[256];
    char old[LO_ERROR_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(head, sizeof(head), fmt, ap);
    va_end(ap);
    memcpy(old, err->msg, sizeof(old));
    snprintf(err->msg, sizeof(err->msg), "%s: %s", head, old);
}

void lo_error_format(const struct lo_error *err, char *out, size_t cap)
{
    size_t used = 0;
    if (cap == 0)
        return;
    out[0] = '\0';
    if (err->file[0] && err->line > 0)
        used += (size_t)snprintf(out, cap, "%s:%ld: ", err->file, err->line);
    else if (err->file[0])
        used += (size_t)snprintf(out, cap, "%s: ", err->file);
    if (used < cap && err->field[0])
        used += (size_t)snprintf(out + used, cap - used, "field '%s': ", err->field);
    if (used < cap)
        snprintf(out + used, cap - used, "%s", err->msg[0] ? err->msg : lo_err_name(err->code));
}

const char *lo_err_name(int code)
{
    switch (code) {
    case LO_OK: return "ok";
    case LO_ENOMEM: return "out_of_memory";
    case LO_EINVAL: return "invalid";
    case LO_EIO: return "io_error";
    case LO_ENOTFOUND: return "not_found";
    case LO_ECONFLICT: return "conflict";
    case LO_ELIMIT: return "limit_exceeded";
    case LO_ESTORE: return "store_error";
    case LO_EUSAGE: return "usage";
    case LO_EUNDEFINED: return "undefined";
    case LO_EUNAUTH: return "unauthenticated";
    case LO_EFORBIDDEN: return "forbidden";
    case LO_ERATE: return "rate_limited";
    case LO_EBUSY: return "unavailable";
    default: return "error";
    }
}
