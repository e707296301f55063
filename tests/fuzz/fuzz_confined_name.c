/*
 * fuzz_confined_name.c - libFuzzer target: the name check in front of every confined open
 * (base/fsconfine.h), which sees media paths from item payloads and UI file names from URLs.
 * The check is compared with a plain restatement of the rule: an accepted name is relative,
 * within the limit, free of control bytes and backslashes, and none of its '/'-separated
 * components is empty, "." or "..". Also: a name that is accepted stays accepted when a safe
 * component is prepended, and never when ".." is.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/fsconfine.h"
#include "base/limits.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool reference_ok(const char *s, size_t n)
{
    if (n == 0 || n > LO_LIMIT_MEDIA_PATH || s[0] == '/')
        return false;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x20 || c == 0x7f || c == '\\')
            return false;
    }
    size_t start = 0;
    for (size_t i = 0; i <= n; i++) {
        if (i < n && s[i] != '/')
            continue;
        size_t len = i - start;
        if (len == 0 || (len == 1 && s[start] == '.') ||
            (len == 2 && s[start] == '.' && s[start + 1] == '.'))
            return false;
        start = i + 1;
    }
    return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *s = (const char *)data;
    bool ok = lo_confined_name_ok(s, size);
    if (ok != reference_ok(s, size))
        abort();
    if (!ok || size + 3 > LO_LIMIT_MEDIA_PATH)
        return 0;
    char *buf = malloc(size + 3);
    if (!buf)
        return 0;
    memcpy(buf, "a/", 2);
    memcpy(buf + 2, s, size);
    if (!lo_confined_name_ok(buf, size + 2))
        abort();
    memcpy(buf, "../", 3);
    memcpy(buf + 3, s, size);
    if (lo_confined_name_ok(buf, size + 3))
        abort();
    free(buf);
    return 0;
}
