/*
 * harness.h - the tiny in-house unit test harness.
 *
 * A test file defines `static void test_x(void)` functions, lists them with LO_T() in a table
 * and hands the table to lo_test_run. A failed CHECK ends the current test (not the program)
 * and is reported with file and line. Every binary ends with "N passed, N failed".
 */
#ifndef LO_TEST_HARNESS_H
#define LO_TEST_HARNESS_H

#include <math.h>
#include <stddef.h>
#include <string.h>

struct lo_test {
    const char *name;
    void (*fn)(void);
};

#define LO_T(f) { #f, f }

/* Runs the tests (all, or those named on the command line) and returns the exit status. */
int lo_test_run(const struct lo_test *tests, size_t n, int argc, char **argv);

/* Records a failure of the current test; returns 0 so it can sit inside an expression. */
int lo__test_fail(const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Path of a fixture file under tests/fixtures (static buffer, valid until the next call). */
const char *lo_fixture(const char *relpath);

/* A fresh empty directory for this test binary's scratch files. */
const char *lo_test_tmpdir(void);

#define CHECK(cond)                                                                    \
    do {                                                                               \
        if (!(cond)) {                                                                 \
            lo__test_fail(__FILE__, __LINE__, "CHECK(%s)", #cond);                     \
            return;                                                                    \
        }                                                                              \
    } while (0)

#define CHECK_MSG(cond, ...)                                                           \
    do {                                                                               \
        if (!(cond)) {                                                                 \
            lo__test_fail(__FILE__, __LINE__, __VA_ARGS__);                            \
            return;                                                                    \
        }                                                                              \
    } while (0)

#define CHECK_INT(a, b)                                                                \
    do {                                                                               \
        long long lo__a = (long long)(a), lo__b = (long long)(b);                      \
        if (lo__a != lo__b) {                                                          \
            lo__test_fail(__FILE__, __LINE__, "%s == %lld, expected %s == %lld", #a,   \
                          lo__a, #b, lo__b);                                           \
            return;                                                                    \
        }                                                                              \
    } while (0)

#define CHECK_NEAR(a, b, tol)                                                          \
    do {                                                                               \
        double lo__a = (double)(a), lo__b = (double)(b);                               \
        if (!(fabs(lo__a - lo__b) <= (tol))) {                                         \
            lo__test_fail(__FILE__, __LINE__, "%s == %.10g, expected %.10g within %g", \
                          #a, lo__a, lo__b, (double)(tol));                            \
            return;                                                                    \
        }                                                                              \
    } while (0)

#define CHECK_STR(a, b)                                                                \
    do {                                                                               \
        const char *lo__a = (a), *lo__b = (b);                                         \
        if (!lo__a || !lo__b || strcmp(lo__a, lo__b) != 0) {                           \
            lo__test_fail(__FILE__, __LINE__, "%s == \"%s\", expected \"%s\"", #a,     \
                          lo__a ? lo__a : "(null)", lo__b ? lo__b : "(null)");         \
            return;                                                                    \
        }                                                                              \
    } while (0)

#endif
