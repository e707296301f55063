/*
 * test_http.c - the pure parts of http/: route matching, the error body and status mapping, the
 * JSON depth check, the principal cache, the project writer. The server itself is tested over loopback by tests/cli/test_api.sh.
 */
#include <jansson.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "app/app.h"
#include "base/err.h"
#include "http/pcache.h"
#include "http/response.h"
#include "http/router.h"
#include "http/server_int.h"
#include "harness.h"

static int dummy(struct lo_http_req *r)
{
    (void)r;
    return 0;
}

static const struct lo_route k_table[] = {
    { "GET", "/a", "GET /a", LO_ROUTE_PUBLIC, LO_BODY_NONE, dummy },
    { "GET", "/p/{name}", "GET /p/{name}", LO_ROUTE_USER, LO_BODY_NONE, dummy },
    { "DELETE", "/p/{name}", "DELETE /p/{name}", LO_ROUTE_USER, LO_BODY_NONE, dummy },
    { "GET", "/p/{name}/x/{id}", "GET /p/{name}/x/{id}", LO_ROUTE_USER, LO_BODY_NONE, dummy },
};
#define N_TABLE (sizeof(k_table) / sizeof(k_table[0]))

static void test_route_with_params_is_found_and_params_extracted(void)
{
    struct lo_route_match m;
    char allow[64];
    CHECK_INT(lo_route_find(k_table, N_TABLE, "GET", "/p/demo/x/42", &m, allow, sizeof(allow)), 0);
    CHECK_INT(m.index, 3);
    struct lo_str v = lo_route_param(&m, "name");
    CHECK(v.len == 4 && memcmp(v.ptr, "demo", 4) == 0);
    v = lo_route_param(&m, "id");
    CHECK(v.len == 2 && memcmp(v.ptr, "42", 2) == 0);
    CHECK_INT(lo_route_param(&m, "nope").len, 0);
}

static void test_unknown_path_is_not_found(void)
{
    struct lo_route_match m;
    char allow[64];
    CHECK_INT(lo_route_find(k_table, N_TABLE, "GET", "/b", &m, allow, sizeof(allow)),
              LO_ENOTFOUND);
    CHECK_INT(lo_route_find(k_table, N_TABLE, "GET", "/p/", &m, allow, sizeof(allow)),
              LO_ENOTFOUND);
    CHECK_INT(lo_route_find(k_table, N_TABLE, "GET", "/p/a/b", &m, allow, sizeof(allow)),
              LO_ENOTFOUND);
    CHECK_INT(lo_route_find(k_table, N_TABLE, "GET", "/a/", &m, allow, sizeof(allow)),
              LO_ENOTFOUND);
}

static void test_known_path_with_wrong_method_lists_allowed_methods(void)
{
    struct lo_route_match m;
    char allow[64];
    CHECK_INT(lo_route_find(k_table, N_TABLE, "PUT", "/p/x", &m, allow, sizeof(allow)),
              LO_EUSAGE);
    CHECK_STR(allow, "GET, DELETE");
}

static void test_every_server_route_has_a_unique_method_and_pattern(void)
{
    size_t n;
    const struct lo_route *t = lo_http_routes(&n);
    CHECK(n > 0);
    for (size_t i = 0; i < n; i++) {
        CHECK(t[i].handler && t[i].name && t[i].pattern[0] == '/');
        for (size_t j = i + 1; j < n; j++)
            CHECK_MSG(strcmp(t[i].method, t[j].method) || strcmp(t[i].pattern, t[j].pattern),
                      "route %s %s twice", t[i].method, t[i].pattern);
    }
}

static void test_errors_map_to_statuses(void)
{
    CHECK_INT(lo_http_status_for(LO_EINVAL), 422);
    CHECK_INT(lo_http_status_for(LO_EUNAUTH), 401);
    CHECK_INT(lo_http_status_for(LO_EFORBIDDEN), 403);
    CHECK_INT(lo_http_status_for(LO_ENOTFOUND), 404);
    CHECK_INT(lo_http_status_for(LO_ECONFLICT), 409);
    CHECK_INT(lo_http_status_for(LO_ELIMIT), 413);
    CHECK_INT(lo_http_status_for(LO_ERATE), 429);
    CHECK_INT(lo_http_status_for(LO_EBUSY), 503);
    CHECK_INT(lo_http_status_for(LO_ESTORE), 500);
}

static void test_error_body_has_code_message_and_field(void)
{
    struct lo_http_resp r;
    lo_http_resp_init(&r);
    struct lo_error err;
    lo_error_clear(&err);
    lo_error_field(&err, LO_ECONFLICT, "name", "a project named 'x' exists already");
    const char *detail;
    lo_http_error_from(&r, LO_ECONFLICT, &err, &detail);
    json_t *v = json_loadb(r.body.data, r.body.len, JSON_REJECT_DUPLICATES, NULL);
    int status = r.status;
    lo_http_resp_free(&r);
    CHECK(v != NULL);
    json_t *e = json_object_get(v, "error");
    int ok = json_object_size(v) == 1 && json_object_size(e) == 3 &&
             strcmp(json_string_value(json_object_get(e, "code")), "conflict") == 0 &&
             strcmp(json_string_value(json_object_get(e, "field")), "name") == 0;
    json_decref(v);
    CHECK(ok);
    CHECK_INT(status, 409);
    CHECK(detail == NULL);
}

static void test_store_errors_reach_the_client_without_detail(void)
{
    struct lo_http_resp r;
    lo_http_resp_init(&r);
    struct lo_error err;
    lo_error_clear(&err);
    lo_error_set(&err, LO_ESTORE, "SQLITE_CORRUPT in SELECT * FROM projects at /var/db/x.db");
    const char *detail;
    lo_http_error_from(&r, LO_ESTORE, &err, &detail);
    int leaked = strstr(r.body.data, "SQL") || strstr(r.body.data, "/var");
    int status = r.status;
    lo_http_resp_free(&r);
    CHECK(!leaked);
    CHECK_INT(status, 500);
    CHECK(detail != NULL);
}

static void test_json_depth_counts_brackets_outside_strings(void)
{
    CHECK(lo_http_json_depth_ok("[[[]]]", 6, 3));
    CHECK(!lo_http_json_depth_ok("[[[[]]]]", 8, 3));
    CHECK(lo_http_json_depth_ok("{\"a\":\"[[[[[[\"}", 14, 1));
    CHECK(lo_http_json_depth_ok("{\"a\\\"[[[\":1}", 13, 1));
}

static const struct lo_principal k_alice = { .kind = LO_PRINCIPAL_USER, .user_id = 7,
                                             .name = "alice", .role = LO_ROLE_ANNOTATOR,
                                             .vendor_id = 3, .token_id = 11 };

static void test_pcache_answers_a_fresh_entry_with_the_principal(void)
{
    static struct lo_pcache c;
    unsigned char key[LO_PCACHE_KEY_BYTES];
    lo_pcache_init(&c, 1000);
    lo_pcache_key(&c, LO_PCACHE_TOKEN, "lot_secret", key);
    CHECK(lo_pcache_get(&c, LO_PCACHE_TOKEN, key, 5, 100) == NULL);
    lo_pcache_put(&c, LO_PCACHE_TOKEN, key, 5, 100, INT64_MAX, &k_alice, NULL);
    const struct lo_pcache_entry *e = lo_pcache_get(&c, LO_PCACHE_TOKEN, key, 5, 1099);
    CHECK(e != NULL);
    if (!e)
        return;
    CHECK_STR(e->name, "alice");
    CHECK_INT(e->user_id, 7);
    CHECK_INT(e->role, LO_ROLE_ANNOTATOR);
    CHECK_INT(e->vendor_id, 3);
    CHECK_INT(e->token_id, 11);
    /* The same text as a session cookie is another credential. */
    unsigned char skey[LO_PCACHE_KEY_BYTES];
    lo_pcache_key(&c, LO_PCACHE_SESSION, "lot_secret", skey);
    CHECK(memcmp(key, skey, sizeof(key)) != 0);
    CHECK(lo_pcache_get(&c, LO_PCACHE_SESSION, skey, 5, 200) == NULL);
}

static void test_pcache_forgets_after_ttl_and_generation_bump(void)
{
    static struct lo_pcache c;
    unsigned char key[LO_PCACHE_KEY_BYTES];
    lo_pcache_init(&c, 1000);
    lo_pcache_key(&c, LO_PCACHE_TOKEN, "lot_a", key);
    lo_pcache_put(&c, LO_PCACHE_TOKEN, key, 5, 100, INT64_MAX, &k_alice, NULL);
    CHECK(lo_pcache_get(&c, LO_PCACHE_TOKEN, key, 5, 1100) == NULL); /* TTL reached */
    lo_pcache_put(&c, LO_PCACHE_TOKEN, key, 5, 100, INT64_MAX, &k_alice, NULL);
    CHECK(lo_pcache_get(&c, LO_PCACHE_TOKEN, key, 6, 101) == NULL); /* a revocation since */
    /* A stale entry is cleared, not revived by the old generation. */
    CHECK(lo_pcache_get(&c, LO_PCACHE_TOKEN, key, 5, 102) == NULL);
    /* A clock that went back does not stretch the TTL. */
    lo_pcache_put(&c, LO_PCACHE_TOKEN, key, 5, 100, INT64_MAX, &k_alice, NULL);
    CHECK(lo_pcache_get(&c, LO_PCACHE_TOKEN, key, 5, 50) == NULL);
    /* TTL 0: off. */
    lo_pcache_init(&c, 0);
    lo_pcache_put(&c, LO_PCACHE_TOKEN, key, 5, 100, INT64_MAX, &k_alice, NULL);
    CHECK(lo_pcache_get(&c, LO_PCACHE_TOKEN, key, 5, 100) == NULL);
}

static void test_pcache_session_ends_at_its_expiry_and_keeps_csrf(void)
{
    static struct lo_pcache c;
    unsigned char key[LO_PCACHE_KEY_BYTES];
    lo_pcache_init(&c, 1000);
    lo_pcache_key(&c, LO_PCACHE_SESSION, "los_x", key);
    lo_pcache_put(&c, LO_PCACHE_SESSION, key, 1, 100, 500, &k_alice, "csrf-1");
    const struct lo_pcache_entry *e = lo_pcache_get(&c, LO_PCACHE_SESSION, key, 1, 499);
    CHECK(e != NULL);
    if (e)
        CHECK_STR(e->csrf, "csrf-1");
    CHECK(lo_pcache_get(&c, LO_PCACHE_SESSION, key, 1, 500) == NULL);
    /* Anonymous principals are never cached. */
    struct lo_principal anon = { .kind = LO_PRINCIPAL_ANONYMOUS, .name = "x" };
    lo_pcache_put(&c, LO_PCACHE_SESSION, key, 1, 100, 500, &anon, NULL);
    CHECK(lo_pcache_get(&c, LO_PCACHE_SESSION, key, 1, 101) == NULL);
}

/* The project as the server writes it (no JSON tree) must parse to what lo_project_json builds,
 * goal by goal, for unset and set goals, integral and fractional reals, escapes and a schema. */
static void check_project_renderings_agree(const struct lo_project *p)
{
    struct lo_buf b;
    lo_buf_init(&b, 1 << 20);
    CHECK_INT(lo_project_json_write(p, &b), 0);
    json_error_t jerr;
    json_t *fast = json_loadb(b.data, b.len, JSON_REJECT_DUPLICATES, &jerr);
    json_t *tree = lo_project_json(p);
    CHECK(fast != NULL);
    if (fast && !json_equal(fast, tree)) {
        char *want = json_dumps(tree, JSON_COMPACT);
        lo__test_fail(__FILE__, __LINE__, "wrote %.*s, lo_project_json says %s", (int)b.len,
                      b.data, want);
        free(want);
    }
    json_decref(fast);
    json_decref(tree);
    lo_buf_free(&b);
}

static void test_project_json_write_parses_like_lo_project_json(void)
{
    struct lo_project p = { .id = 1, .name = "reviews", .description = "",
                            .goal_accuracy = NAN, .goal_turnaround_hours = NAN,
                            .goal_cost_per_label = NAN, .goal_budget = NAN,
                            .created_ms = 1798761599123LL };
    check_project_renderings_agree(&p);
    p.name = "caf\u00e9 \"quoted\" \\ tab\t";
    p.description = "line\nbreak \u2713";
    p.schema_version = 3;
    p.guideline_version = 12;
    p.goal_accuracy = 0.9;
    p.goal_turnaround_hours = 48;
    p.goal_cost_per_label = 0.1 + 0.2;
    p.goal_budget = 1e21;
    p.goal_deadline = "2027-03-31";
    p.schema_json = "{\"fields\":[{\"name\":\"label\",\"type\":\"single_choice\","
                    "\"classes\":[\"neg\",\"pos\"]}]}";
    check_project_renderings_agree(&p);
    p.description = "bad \xff byte";
    struct lo_buf b;
    lo_buf_init(&b, 4096);
    CHECK_INT(lo_project_json_write(&p, &b), LO_EINVAL);
    lo_buf_free(&b);
}

int main(int argc, char **argv)
{
    static const struct lo_test tests[] = {
        LO_T(test_route_with_params_is_found_and_params_extracted),
        LO_T(test_unknown_path_is_not_found),
        LO_T(test_known_path_with_wrong_method_lists_allowed_methods),
        LO_T(test_every_server_route_has_a_unique_method_and_pattern),
        LO_T(test_errors_map_to_statuses),
        LO_T(test_error_body_has_code_message_and_field),
        LO_T(test_store_errors_reach_the_client_without_detail),
        LO_T(test_json_depth_counts_brackets_outside_strings),
        LO_T(test_project_json_write_parses_like_lo_project_json),
        LO_T(test_pcache_answers_a_fresh_entry_with_the_principal),
        LO_T(test_pcache_forgets_after_ttl_and_generation_bump),
        LO_T(test_pcache_session_ends_at_its_expiry_and_keeps_csrf),
    };
    return lo_test_run(tests, sizeof(tests) / sizeof(tests[0]), argc, argv);
}
