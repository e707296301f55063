/*
 * fsconfine.h - opening a file named by untrusted input, confined to a root directory.
 *
 * Used for images a project's items refer to by a relative path (the media route) and for the
 * UI files served from disk while developing (`labelops serve --web-dir`). The name comes from
 * data or from a URL, so it must never reach outside the root: no "..", no absolute path, no
 * symbolic link anywhere on the way (each component is opened with openat(O_NOFOLLOW)), and the
 * descriptor finally opened is checked, through /proc/self/fd, to lie under the root's real
 * path. Only regular files are opened. This module must never open anything by a path string
 * built from the name (which a concurrent rename could redirect).
 */
#ifndef LO_BASE_FSCONFINE_H
#define LO_BASE_FSCONFINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/err.h"

struct lo_confined_file {
    int fd;        /* open read-only; the caller closes it (or hands it on) */
    uint64_t size; /* bytes, from fstat */
    int64_t mtime_ms;
};

/* True when rel is a name lo_open_beneath would try: non-empty, relative, at most
 * LO_LIMIT_MEDIA_PATH bytes, components separated by single '/', none of them "", "." or "..",
 * and no NUL or control byte. Pure. */
bool lo_confined_name_ok(const char *rel, size_t len);

/* Opens rel beneath root (a directory path given by the operator). LO_EINVAL when the name is
 * not acceptable (lo_confined_name_ok), LO_ENOTFOUND when there is no such regular file beneath
 * root without following a link (a link, a directory, a device or a missing file all read the
 * same), LO_ELIMIT when the file is larger than max_bytes, LO_EIO when root cannot be opened.
 * Messages never name root. */
int lo_open_beneath(const char *root, const char *rel, size_t len, uint64_t max_bytes,
                    struct lo_confined_file *out, struct lo_error *err);

#endif
