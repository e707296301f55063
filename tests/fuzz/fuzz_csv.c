/*
 * fuzz_csv.c - libFuzzer target: the CSV/TSV reader and the JSONL line reader must never crash,
 * overrun or leak on any input, and must report every error with a line number.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "io/csv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    for (int mode = 0; mode < 3; mode++) {
        FILE *f = fmemopen((void *)data, size, "rb");
        if (!f)
            return 0;
        struct lo_error err;
        lo_error_clear(&err);
        if (mode < 2) {
            struct lo_csv_reader r;
            if (lo_csv_open(&r, f, "fuzz", mode ? '\t' : ',', mode == 0, &err) == 0) {
                struct lo_str *fields;
                size_t n;
                int rc;
                lo_csv_skip_comments(&r, &err);
                volatile unsigned sum = 0;
                while ((rc = lo_csv_next(&r, &fields, &n, &err)) == 1) {
                    /* Read every byte of every field, so ASan sees any overrun. */
                    for (size_t i = 0; i < n; i++)
                        for (size_t k = 0; k < fields[i].len; k++)
                            sum += (unsigned char)fields[i].ptr[k];
                }
                if (rc < 0 && err.line <= 0)
                    abort();
                lo_csv_close(&r);
            }
        } else {
            struct lo_line_reader lr;
            if (lo_lines_open(&lr, f, "fuzz", 256, &err) == 0) {
                struct lo_str line;
                int rc;
                while ((rc = lo_lines_next(&lr, &line, &err)) == 1)
                    if (line.len > 256)
                        abort();
                if (rc < 0 && err.line <= 0)
                    abort();
                lo_lines_close(&lr);
            }
        }
        fclose(f);
    }
    return 0;
}
