/*
 * clock.c - system and fixed clocks.
 */
#include "base/clock.h"

#include <stdio.h>
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

void lo_time_format(int64_t ms, char *out, int cap)
{
    time_t secs = (time_t)(ms / 1000);
    struct tm tm;
    gmtime_r(&secs, &tm);
    snprintf(out, (size_t)cap, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
             tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (int)(ms % 1000));
}

double lo_monotonic_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}
