/*
 * fuzz_http_body.c - libFuzzer target: the strict parse of JSON request bodies (http/body.h).
 * An accepted body must be an object that jansson reads back the same after a dump, and nest
 * no deeper than the limit; a refused one must say 400 or 422 with a code and a message.
 */
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/limits.h"
#include "http/body.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int status;
    const char *code;
    char msg[300];
    json_t *v = lo_http_parse_object((const char *)data, size, &status, &code, msg, sizeof(msg));
    if (!v) {
        if ((status != 400 && status != 422) || !code || !msg[0])
            abort();
        return 0;
    }
    if (!json_is_object(v) || status != 0)
        abort();
    if (!lo_http_json_depth_ok((const char *)data, size, LO_LIMIT_HTTP_JSON_DEPTH))
        abort();
    char *s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
    if (!s)
        abort();
    json_t *back = json_loads(s, JSON_REJECT_DUPLICATES, NULL);
    if (!back || !json_equal(v, back))
        abort();
    json_decref(back);
    free(s);
    json_decref(v);
    return 0;
}
