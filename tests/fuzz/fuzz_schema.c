/*
 * fuzz_schema.c - libFuzzer target: schema parsing, and value validation against a fixed schema
 * of every field type. Any input must give 0 or a clean error, never a crash or a leak.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/json.h"
#include "schema/schema.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char fixed_schema[] =
    "{\"fields\":["
    "{\"name\":\"c\",\"type\":\"single_choice\",\"classes\":[\"a\",\"b\"]},"
    "{\"name\":\"m\",\"type\":\"multi_choice\",\"classes\":[\"x\",\"y\",\"z\"]},"
    "{\"name\":\"s\",\"type\":\"spans\",\"classes\":[\"P\",\"L\"]},"
    "{\"name\":\"b\",\"type\":\"boxes\",\"classes\":[\"car\"]},"
    "{\"name\":\"t\",\"type\":\"free_text\"},"
    "{\"name\":\"r\",\"type\":\"rating\",\"min\":1,\"max\":5,\"step\":1,\"level\":\"ordinal\"}]}";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct lo_error err;
    struct lo_schema *s = NULL;
    lo_error_clear(&err);
    if (lo_schema_parse((const char *)data, size, &s, &err) == 0) {
        char *canon = lo_schema_to_json(s);
        struct lo_schema *again = NULL;
        if (!canon || lo_schema_parse(canon, strlen(canon), &again, &err) != 0)
            abort(); /* the canonical form must parse back */
        free(canon);
        lo_schema_free(again);
        lo_schema_free(s);
    }
    struct lo_schema *fixed = NULL;
    if (lo_schema_parse(fixed_schema, sizeof(fixed_schema) - 1, &fixed, &err) != 0)
        abort();
    json_t *v = lo_json_parse((const char *)data, size, NULL);
    if (v) {
        json_t *item = json_pack("{s:s, s:i, s:i}", "text", "Ada Lovelace wrote in London.",
                                 "width", 640, "height", 480);
        lo_schema_validate_value(fixed, v, item, &err);
        lo_schema_validate_value(fixed, v, NULL, &err);
        json_decref(item);
        json_decref(v);
    }
    lo_schema_free(fixed);
    return 0;
}
