/*
 * clock.h - an injectable clock. Production code asks a struct lo_clock for the time, so tests
 * can hold time still or move it by hand.
 */
#ifndef LO_BASE_CLOCK_H
#define LO_BASE_CLOCK_H

#include <stdint.h>

struct lo_clock {
    /* Milliseconds since the Unix epoch. */
    int64_t (*now_ms)(void *ctx);
    void *ctx;
};

/* The real wall clock. */
struct lo_clock lo_clock_system(void);
/* A clock that returns *ms_cell; tests change the cell to move time. */
struct lo_clock lo_clock_fixed(int64_t *ms_cell);
int64_t lo_clock_now_ms(const struct lo_clock *c);
/* Formats ms as RFC 3339 UTC with milliseconds, e.g. 2026-11-27T21:00:00.000Z (out >= 25). */
void lo_time_format(int64_t ms, char *out, int cap);
/* Monotonic seconds for measuring durations. */
double lo_monotonic_s(void);

#endif
