/*
 * clock.c - system and fixed clocks.
 */
#include "base/clock.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

static int64_t system_now_ms(void *ctx)
{
    (void)ctx;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int64_t fixed_now_ms(void *ctx)
{
    return *(int64_t *)ctx;
}

struct lo_clock lo_clock_system(void)
{
    struct lo_clock c = { system_now_ms, NULL };
    return c;
}

struct lo_clock lo_clock_fixed(int64_t *ms_cell)
{
    struct lo_clock c = { fixed_now_ms, ms_cell };
    return c;
}

int64_t lo_clock_now_ms(const struct lo_clock *c)
{
    return c->now_ms(c->ctx);
}

/* The civil date of a day count since 1970-01-01 (Howard Hinnant's days_from_civil inverse,
 * proleptic Gregorian). Pure arithmetic: gmtime_r takes glibc's time-zone lock on every call,
 * which the server's threads contended for on each request and access-log line. */
static void civil_from_days(int64_t z, int *y, int *m, int *d)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = (int)(yoe + era * 400 + (*m <= 2));
}

void lo_time_format(int64_t ms, char *out, int cap)
{
    int64_t secs = ms >= 0 ? ms / 1000 : -((-ms + 999) / 1000);
    int64_t msec = ms - secs * 1000;
    int64_t days = secs >= 0 ? secs / 86400 : -((-secs + 86399) / 86400);
    int64_t sod = secs - days * 86400;
    int y, m, d;
    civil_from_days(days, &y, &m, &d);
    if (y < 0 || y > 9999) {
        snprintf(out, (size_t)cap, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", y, m, d,
                 (int)(sod / 3600), (int)(sod / 60 % 60), (int)(sod % 60), (int)msec);
        return;
    }
    /* The common case without printf: every access-log line and rendered time comes here. */
    char t[25];
    const int f[7] = { y, m, d, (int)(sod / 3600), (int)(sod / 60 % 60), (int)(sod % 60),
                       (int)msec };
    const int at[7] = { 0, 5, 8, 11, 14, 17, 20 }, width[7] = { 4, 2, 2, 2, 2, 2, 3 };
    memcpy(t, "0000-00-00T00:00:00.000Z", sizeof(t));
    for (int i = 0; i < 7; i++)
        for (int k = width[i] - 1, v = f[i]; k >= 0; k--, v /= 10)
            t[at[i] + k] = (char)('0' + v % 10);
    if (cap <= 0)
        return;
    size_t n = (size_t)cap - 1 < sizeof(t) - 1 ? (size_t)cap - 1 : sizeof(t) - 1;
    memcpy(out, t, n);
    out[n] = '\0';
}

double lo_monotonic_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}
