/*
 * fsconfine.c - open a file beneath a root without leaving it (see fsconfine.h).
 *
 * The walk opens the root, then each directory component with openat(O_NOFOLLOW | O_DIRECTORY)
 * relative to the previous one, and the last with openat(O_NOFOLLOW | O_NONBLOCK): a symbolic
 * link at any step fails with ELOOP/ENOTDIR, so neither an item's path nor a link planted in the
 * media tree can lead outside. The final check through /proc/self/fd compares the real path of
 * what was opened with the real path of the root; it holds even if the root itself is reached
 * through a link (the operator's choice) and catches anything the walk missed.
 */
#include "base/fsconfine.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/limits.h"

bool lo_confined_name_ok(const char *rel, size_t len)
{
    if (!rel || len == 0 || len > LO_LIMIT_MEDIA_PATH || rel[0] == '/')
        return false;
    size_t start = 0;
    for (size_t i = 0; i <= len; i++) {
        if (i < len) {
            unsigned char c = (unsigned char)rel[i];
            if (c < 0x20 || c == 0x7f || c == '\\')
                return false; /* NUL, control bytes; a backslash is a separator somewhere */
            if (c != '/')
                continue;
        }
        size_t n = i - start;
        if (n == 0 || (n == 1 && rel[start] == '.') ||
            (n == 2 && rel[start] == '.' && rel[start + 1] == '.'))
            return false;
        start = i + 1;
    }
    return true;
}

/* The real path of an open descriptor, through /proc/self/fd. */
static bool fd_real_path(int fd, char *out, size_t cap)
{
    char link[64];
    snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
    ssize_t n = readlink(link, out, cap - 1);
    if (n <= 0 || (size_t)n >= cap - 1)
        return false;
    out[n] = '\0';
    return true;
}

static int not_found(struct lo_error *err)
{
    return lo_error_set(err, LO_ENOTFOUND, "no such file beneath the media root");
}

int lo_open_beneath(const char *root, const char *rel, size_t len, uint64_t max_bytes,
                    struct lo_confined_file *out, struct lo_error *err)
{
    out->fd = -1;
    if (!lo_confined_name_ok(rel, len))
        return lo_error_field(err, LO_EINVAL, "path",
                              "a file name must be a relative path without '..', '.' or empty "
                              "components, at most %d bytes",
                              LO_LIMIT_MEDIA_PATH);
    char root_real[PATH_MAX];
    int dir = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dir < 0 || !fd_real_path(dir, root_real, sizeof(root_real))) {
        if (dir >= 0)
            close(dir);
        return lo_error_set(err, LO_EIO, "the configured root directory cannot be opened");
    }
    char comp[LO_LIMIT_MEDIA_PATH + 1];
    size_t start = 0;
    int fd = -1;
    for (size_t i = 0; i <= len; i++) {
        if (i < len && rel[i] != '/')
            continue;
        memcpy(comp, rel + start, i - start);
        comp[i - start] = '\0';
        bool last = i == len;
        int flags = O_RDONLY | O_NOFOLLOW | O_CLOEXEC | (last ? O_NONBLOCK : O_DIRECTORY);
        int next = openat(dir, comp, flags);
        close(dir);
        dir = -1;
        if (next < 0)
            return not_found(err);
        if (last)
            fd = next;
        else
            dir = next;
        start = i + 1;
    }
    struct stat stt;
    char real[PATH_MAX];
    size_t rl = strlen(root_real);
    bool inside =
        fd_real_path(fd, real, sizeof(real)) &&
        (strcmp(root_real, "/") == 0 || (strncmp(real, root_real, rl) == 0 && real[rl] == '/'));
    if (!inside || fstat(fd, &stt) != 0 || !S_ISREG(stt.st_mode)) {
        close(fd);
        return not_found(err);
    }
    if ((uint64_t)stt.st_size > max_bytes) {
        close(fd);
        return lo_error_set(err, LO_ELIMIT, "the file is larger than the limit (%llu bytes)",
                            (unsigned long long)max_bytes);
    }
    /* Reads must block normally from here on (O_NONBLOCK only kept a FIFO from hanging open). */
    int fl = fcntl(fd, F_GETFL);
    if (fl >= 0)
        fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
    out->fd = fd;
    out->size = (uint64_t)stt.st_size;
    out->mtime_ms = (int64_t)stt.st_mtim.tv_sec * 1000 + stt.st_mtim.tv_nsec / 1000000;
    return 0;
}
