/*
 * fuzz_wf_config.c - libFuzzer target: a project's workflow configuration (workflow/config.c).
 * Any JSON must give a configuration or a clean error naming a field, never a crash or a leak;
 * an accepted configuration, written out with its defaults, must parse back to the same text
 * (the stored document is a fixed point).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/json.h"
#include "workflow/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    json_t *in = lo_json_parse((const char *)data, size, NULL);
    if (!in)
        return 0;
    struct lo_wf_config cfg;
    struct lo_error err;
    lo_error_clear(&err);
    if (lo_wf_config_parse(in, &cfg, &err) != 0) {
        if (!err.msg[0])
            abort(); /* a refusal says why */
        json_decref(in);
        return 0;
    }
    char *first = lo_json_dump(cfg.doc);
    struct lo_wf_config again;
    if (!first || lo_wf_config_parse(cfg.doc, &again, &err) != 0)
        abort(); /* the normalised document is accepted */
    char *second = lo_json_dump(again.doc);
    if (!second || strcmp(first, second) != 0)
        abort(); /* and is a fixed point */
    if (cfg.overlap.k_max < cfg.overlap.k_min || cfg.lease_seconds < 10)
        abort();
    free(first);
    free(second);
    lo_wf_config_free(&again);
    lo_wf_config_free(&cfg);
    json_decref(in);
    return 0;
}
