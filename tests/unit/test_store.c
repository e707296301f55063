/*
 * test_store.c - the store suite.
 *
 * The suite (STORE_SUITE below) is written against store.h only: each test takes a fresh, empty
 * struct lo_store from a backend's factory. The SQLite backend runs it here; the PostgreSQL
 * backend adds its factory and runs the same list. Tests that must look inside one backend
 * (migrations, pragmas) are listed apart, in SQLITE_ONLY.
 */
#include <math.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/arena.h"
#include "base/buf.h"
#include "base/err.h"
#include "harness.h"
#include "store/migrations.h"
#include "store/store.h"

/* ---- helpers ------------------------------------------------------------------------------ */

#define T0 1800000000000LL /* a fixed time, ms */

static struct lo_project project_named(const char *name)
{
    struct lo_project p = { 0 };
    p.name = name;
    p.description = "";
    p.goal_accuracy = NAN;
    p.goal_turnaround_hours = NAN;
    p.goal_cost_per_label = NAN;
    p.goal_budget = NAN;
    p.created_ms = T0;
    return p;
}

/* Creates a project in its own write transaction; returns its id (0 on failure). */
static int64_t make_project(struct lo_store *st, const char *name)
{
    struct lo_error err;
    struct lo_project p = project_named(name);
    if (st->ops->begin(st, true, &err) || st->ops->project_create(st, &p, &err)
        || st->ops->commit(st, &err)) {
        st->ops->rollback(st);
        return 0;
    }
    return p.id;
}

static int64_t add_item(struct lo_store *st, int64_t project_id, const char *ext,
                        const char *payload)
{
    struct lo_item it = { .project_id = project_id, .external_id = ext, .payload_json = payload,
                          .created_ms = T0 };
    int64_t id = 0;
    enum lo_item_outcome out;
    if (st->ops->item_insert(st, &it, LO_ITEM_SKIP, &id, &out, NULL))
        return 0;
    return id;
}

static int64_t add_annotation(struct lo_store *st, int64_t item_id, const char *annotator,
                              const char *value)
{
    struct lo_annotation a = { .item_id = item_id, .annotator = annotator, .value_json = value,
                               .created_ms = T0, .working_seconds = NAN, .source = "import" };
    int64_t id = 0;
    if (st->ops->annotation_insert(st, &a, &id, NULL))
        return 0;
    return id;
}

/* Renders an export as one string: "ext[annotator=value,...|model,...] ..." */
static int render_row(void *ctx, const struct lo_export_row *row)
{
    struct lo_buf *b = ctx;
    lo_buf_printf(b, "%s%s[", b->len ? " " : "", row->item.external_id);
    for (size_t i = 0; i < row->n_annotations; i++)
        lo_buf_printf(b, "%s%s=%s", i ? "," : "", row->annotations[i].annotator,
                      row->annotations[i].value_json);
    if (row->n_predictions)
        lo_buf_putc(b, '|');
    for (size_t i = 0; i < row->n_predictions; i++)
        lo_buf_printf(b, "%s%s", i ? "," : "", row->predictions[i].model_name);
    lo_buf_putc(b, ']');
    return 0;
}

/* The export of a project as a string; the caller frees it. */
static char *export_string(struct lo_store *st, int64_t project_id)
{
    struct lo_buf b;
    lo_buf_init(&b, 1 << 20);
    if (st->ops->export_scan(st, project_id, render_row, &b, NULL)) {
        lo_buf_free(&b);
        return strdup("(export failed)");
    }
    if (!b.data)
        return strdup("");
    return lo_buf_take(&b);
}

static int count_project(void *ctx, const struct lo_project *p)
{
    (void)p;
    (*(int *)ctx)++;
    return 0;
}

/* ---- the suite ---------------------------------------------------------------------------- */

static void test_project_create_get_list_delete(struct lo_store *st)
{
    struct lo_error err;
    struct lo_arena arena;
    lo_arena_init(&arena, 0);
    struct lo_project p = project_named("cats");
    p.description = "cat or not";
    p.goal_accuracy = 0.95;
    p.goal_turnaround_hours = 48;
    p.goal_cost_per_label = 0.05;
    p.goal_budget = 1000;
    p.goal_deadline = "2027-03-31";
    CHECK_INT(st->ops->begin(st, true, &err), 0);
    CHECK_INT(st->ops->project_create(st, &p, &err), 0);
    CHECK(p.id > 0);
    struct lo_project q = project_named("dogs");
    CHECK_INT(st->ops->project_create(st, &q, &err), 0);
    CHECK_INT(st->ops->commit(st, &err), 0);

    struct lo_project got;
    CHECK_INT(st->ops->project_get(st, "cats", &arena, &got, &err), 0);
    CHECK_INT(got.id, p.id);
    CHECK_STR(got.name, "cats");
    CHECK_STR(got.description, "cat or not");
    CHECK(got.schema_json == NULL);
    CHECK_INT(got.schema_version, 0);
    CHECK_INT(got.guideline_version, 0);
    CHECK_NEAR(got.goal_accuracy, 0.95, 0);
    CHECK_NEAR(got.goal_turnaround_hours, 48, 0);
    CHECK_NEAR(got.goal_cost_per_label, 0.05, 0);
    CHECK_NEAR(got.goal_budget, 1000, 0);
    CHECK_STR(got.goal_deadline, "2027-03-31");
    CHECK_INT(got.created_ms, T0);

    CHECK_INT(st->ops->project_get(st, "dogs", &arena, &got, &err), 0);
    CHECK(isnan(got.goal_accuracy) && isnan(got.goal_budget));
    CHECK(got.goal_deadline == NULL);
    CHECK_STR(got.description, "");

    int n = 0;
    CHECK_INT(st->ops->project_list(st, &arena, count_project, &n, &err), 0);
    CHECK_INT(n, 2);

    CHECK_INT(st->ops->begin(st, true, &err), 0);
    CHECK_INT(st->ops->project_delete(st, p.id, &err), 0);
    CHECK_INT(st->ops->commit(st, &err), 0);
    CHECK_INT(st->ops->project_get(st, "cats", &arena, &got, &err), LO_ENOTFOUND);
    n = 0;
    CHECK_INT(st->ops->project_list(st, &arena, count_project, &n, &err), 0);
    CHECK_INT(n, 1);
    lo_arena_free(&arena);
}

static void test_project_name_taken_is_conflict(struct lo_store *st)
{
    struct lo_error err;
    CHECK(make_project(st, "cats") > 0);
    struct lo_project p = project_named("cats");
    CHECK_INT(st->ops->begin(st, true, &err), 0);
    lo_error_clear(&err);
    CHECK_INT(st->ops->project_create(st, &p, &err), LO_ECONFLICT);
    CHECK_INT(err.code, LO_ECONFLICT);
    CHECK(strstr(err.msg, "cats") != NULL);
    /* The transaction is still usable after the refused statement. */
    struct lo_project q = project_named("cats2");
    CHECK_INT(st->ops->project_create(st, &q, &err), 0);
    CHECK_INT(st->ops->commit(st, &err), 0);
}

static void test_unknown_project_is_not_found(struct lo_store *st)
{
    struct lo_error err;
    struct lo_arena arena;
    struct lo_project p;
    struct lo_project_counts c;
    int v = 0;
    lo_arena_init(&arena, 0);
    CHECK_INT(st->ops->project_get(st, "nope", &arena, &p, &err), LO_ENOTFOUND);
    CHECK(strstr(err.msg, "nope") != NULL);
    CHECK_INT(st->ops->project_counts(st, 999, &c, &err), LO_ENOTFOUND);
    CHECK_INT(st->ops->begin(st, true, &err), 0);
    CHECK_INT(st->ops->project_delete(st, 999, &err), LO_ENOTFOUND);
    CHECK_INT(st->ops->project_set_schema(st, 999, "{}", T0, &v, &err), LO_ENOTFOUND);
    CHECK_INT(st->ops->guideline_add(st, 999, "# g", "pm", T0, &v, &err), LO_ENOTFOUND);
    CHECK(add_item(st, 999, "x", "{}") == 0);
    struct lo_item many[40];
    int64_t ids[40];
    enum lo_item_outcome outcomes[40];
    for (int i = 0; i < 40; i++)
        many[i] = (struct lo_item){ .project_id = 999, .external_id = "x", .payload_json = "{}" };
    CHECK_INT(st->ops->item_insert_many(st, many, 40, LO_ITEM_SKIP, ids, outcomes, &err),
              LO_ENOTFOUND);
    CHECK_INT(st->ops->rollback(st), 0);
    lo_arena_free(&arena);
}

static void test_writes_need_a_write_transaction(struct lo_store *st)
{
    struct lo_error err;
    struct lo_project p = project_named("cats");
    CHECK_INT(st->ops->project_create(st, &p, &err), LO_EUSAGE);
    CHECK_INT(st->ops->begin(st, false, &err), 0);
    CHECK_INT(st->ops->project_create(st, &p, &err), LO_EUSAGE);
    CHECK_INT(st->ops->begin(st, true, &err), LO_EUSAGE); /* no nesting */
    CHECK_INT(st->ops->commit(st, &err), 0);
    CHECK_INT(st->ops->commit(st, &err), LO_EUSAGE);
}

static void test_schema_versions_increase_and_old_ones_are_kept(struct lo_store *st)
{
    struct lo_error err;
    struct lo_arena arena;
    struct lo_project got;
    int v1 = 0, v2 = 0;
    lo_arena_init(&arena, 0);
    int64_t id = make_project(st, "cats");
    CHECK(id > 0);
    CHECK_INT(st->ops->begin(st, true, &err), 0);
    CHECK_INT(st->ops->project_set_schema(st, id, "{\"v\":1}", T0, &v1, &err), 0);
    CHECK_INT(st->ops->project_set_schema(st, id, "{\"v\":2}", T0 + 1, &v2, &err), 0);
    CHECK_INT(st->ops->commit(st, &err), 0);
    CHECK_INT(v1, 1);
    CHECK_INT(v2, 2);
    CHECK_INT(st->ops->project_get(st, "cats", &arena, &got, &err), 0);
    CHECK_INT(got.schema_version, 2);
    CHECK_STR(got.schema_json, "{\"v\":2}");

    /* A schema given at creation is version 1 of another project, numbered on its own. */
    struct lo_project q = project_named("dogs");
    q.schema_json = "{\"d\":1}";
    CHECK_INT(st->ops->begin(st, true, &err), 0);
    CHECK_INT(st->ops->project_create(st, &q, &err), 0);
    CHECK_INT(st->ops->commit(st, &err), 0);
    CHECK_INT(q.schema_version, 1);
    CHECK_INT(st->ops->project_get(st, "dogs", &arena, &got, &err), 0);
    CHECK_INT(got.schema_version, 1);
    CHECK_STR(got.schema_json, "{\"d\":1}");
    lo_arena_free(&arena);
}

static int collect_guideline(void *ctx, const struct lo_guideline *g)
{
    struct lo_buf *b = ctx;
    lo_buf_printf(b, "%d:%s:%s ", g->version, g->author, g->body ? "body" : "nobody");
    return 0;
}

static void test_guidelines_are_versioned_and_old_versions_unchanged(struct lo_store *st)
{
    struct lo_error err;
    struct lo_arena arena;
    struct lo_guideline g;
    int v = 0;
    lo_arena_init(&arena, 0);
    int64_t id = make_project(st, "cats");
    CHECK(id > 0);
    CHECK_INT(st->ops->guideline_get(st, id, 0, &arena, &g, &err), LO_ENOTFOUND);
    CHECK_INT(st->ops->begin(st, true, &err), 0);
    CHECK_INT(st->ops->guideline_add(st, id, "# v1\nLabel cats.", "ann", T0, &v, &err), 0);
    CHECK_INT(v, 1);
    CHECK_INT(st->ops->guideline_add(st, id, "# v2\nLabel cats, not lions.", "bob", T0 + 5, &v,
                                     &err),
              0);
    CHECK_INT(v, 2);
    CHECK_INT(st->ops->commit(st, &err), 0);

    CHECK_INT(st->ops->guideline_get(st, id, 1, &arena, &g, &err), 0);
    CHECK_INT(g.version, 1);
    CHECK_STR(g.body, "# v1\nLabel cats.");
    CHECK_STR(g.author, "ann");
    CHECK_INT(g.created_ms, T0);
    CHECK_INT(st->ops->guideline_get(st, id, 0, &arena, &g, &err), 0);
    CHECK_INT(g.version, 2);
    CHECK_STR(g.body, "# v2\nLabel cats, not lions.");
    CHECK_INT(st->ops->guideline_get(st, id, 3, &arena, &g, &err), LO_ENOTFOUND);

    struct lo_project p;
    CHECK_INT(st->ops->project_get(st, "cats", &arena, &p, &err), 0);
    CHECK_INT(p.guideline_version, 2);

    struct lo_buf b;
    lo_buf_init(&b, 4096);
    CHECK_INT(st->ops->guideline_list(st, id, &arena, collect_guideline, &b, &err), 0);
    CHECK_STR(b.data, "2:bob:nobody 1:ann:nobody ");
    lo_buf_free(&b);
    lo_arena_free(&arena);
}

static void test_item_insert_skip_and_update_outcomes(struct lo_store *st)
{
    struct lo_error err;
    int64_t pid = make_project(st, "cats");
    CHECK(pid > 0);
    struct lo_item it = { .project_id = pid, .external_id = "a", .payload_json = "{\"t\":1}",
                          .created_ms = T0 };
    int64_t id1 = 0, id2 = 0;
    enum lo_item_outcome out;
    CHECK_INT(st->ops->begin(st, true, &err), 0);
    CHECK_INT(st->ops->item_insert(st, &it, LO_ITEM_SKIP, &id1, &out, &err), 0);
    CHECK_INT(out, LO_ITEM_INSERTED);

    it.payload_json = "{\"t\":2}";
    CHECK_INT(st->ops->item_insert(st, &it, LO_ITEM_SKIP, &id2, &out, &err), 0);
    CHECK_INT(out, LO_ITEM_EXISTED);
    CHECK_INT(id2, id1);
    char *s = export_string(st, pid);
    int same = strcmp(s, "a[]") == 0;
    free(s);
    CHECK(same);

    CHECK_INT(st->ops->item_insert(st, &it, LO_ITEM_UPDATE, &id2, &out, &err), 0);
    CHECK_INT(out, LO_ITEM_UPDATED);
    CHECK_INT(id2, id1);
    CHECK_INT(st->ops->item_insert(st, &it, LO_ITEM_UPDATE, &id2, &out, &err), 0);
    CHECK_INT(out, LO_ITEM_UNCHANGED);

    /* The same external id in another project is another item. */
    int64_t other = 0;
    struct lo_project q = project_named("dogs");
    CHECK_INT(st->ops->project_create(st, &q, &err), 0);
    it.project_id = q.id;
    CHECK_INT(st->ops->item_insert(st, &it, LO_ITEM_SKIP, &other, &out, &err), 0);
    CHECK_INT(out, LO_ITEM_INSERTED);
    CHECK(other != id1);
    CHECK_INT(st->ops->commit(st, &err), 0);

    int64_t found = 0;
    CHECK_INT(st->ops->item_find(st, pid, "a", &found, &err), 0);
    CHECK_INT(found, id1);
    CHECK_INT(st->ops->item_find(st, pid, "zz", &found, &err), LO_ENOTFOUND);
}

static void test_item_insert_many_matches_one_by_one_outcomes(struct lo_store *st)
{
    struct lo_error err;
    enum { N = 70 }; /* more than one statement's worth of rows, and a remainder */
    static char ext[N][16], payload[N][32];
    struct lo_item items[N];
    int64_t ids[N], again[N];
    enum lo_item_outcome out[N];
    int64_t pid = make_project(st, "cats");
    CHECK(pid > 0);
    for (int i = 0; i < N; i++) {
        snprintf(ext[i], sizeof(ext[i]), "e%d", i);
        snprintf(payload[i], sizeof(payload[i]), "{\"i\":%d}", i);
        items[i] = (struct lo_item){ .project_id = pid, .external_id = ext[i],
                                     .payload_json = payload[i], .created_ms = T0 };
    }
    items[10].external_id = "e3"; /* a repeat inside the batch */
    CHECK_INT(st->ops->begin(st, true, &err), 0);
    CHECK(add_item(st, pid, "e5", "{\"i\":5}") > 0);    /* stored, same payload */
    CHECK(add_item(st, pid, "e40", "{\"old\":1}") > 0); /* stored, other payload */
    CHECK_INT(st->ops->item_insert_many(st, items, N, LO_ITEM_UPDATE, ids, out, &err), 0);
    for (int i = 0; i < N; i++) {
        enum lo_item_outcome want = LO_ITEM_INSERTED;
        if (i == 5)
            want = LO_ITEM_UNCHANGED;
        else if (i == 40 || i == 10)
            want = LO_ITEM_UPDATED;
        CHECK_MSG(out[i] == want, "item %d: outcome %d, expected %d", i, out[i], want);
        int64_t found = 0;
        CHECK_INT(st->ops->item_find(st, pid, items[i].external_id, &found, &err), 0);
        CHECK_MSG(found == ids[i], "item %d: id %lld, stored as %lld", i, (long long)ids[i],
                  (long long)found);
    }
    CHECK_INT(ids[10], ids[3]);

    /* The same batch again, skipping: everything existed, with the same ids. */
    CHECK_INT(st->ops->item_insert_many(st, items, N, LO_ITEM_SKIP, again, out, &err), 0);
    for (int i = 0; i < N; i++) {
        CHECK_INT(out[i], LO_ITEM_EXISTED);
        CHECK_INT(again[i], ids[i]);
    }
    CHECK_INT(st->ops->commit(st, &err), 0);
    struct lo_project_counts c;
    CHECK_INT(st->ops->project_counts(st, pid, &c, &err), 0);
    CHECK_INT(c.items, N - 1);
}

/* Renders each item's gold section as "ext=section" ("-" when none), space-separated. */
static int render_section(void *ctx, const struct lo_export_row *row)
{
    struct lo_buf *b = ctx;
    lo_buf_printf(b, "%s%s=%s", b->len ? " " : "", row->item.external_id,
                  row->item.gold_section ? row->item.gold_section : "-");
    return 0;
}

static int sections_of(struct lo_store *st, int64_t pid, bool paged, char *out, size_t cap)
{
    struct lo_error err;
    struct lo_buf b;
    lo_buf_init(&b, 1 << 16);
    int rc = paged ? st->ops->item_page(st, pid, 0, 100, render_section, &b, &err)
                   : st->ops->export_scan(st, pid, render_section, &b, &err);
    snprintf(out, cap, "%s", b.data ? b.data : "");
    lo_buf_free(&b);
    return rc;
}

static void test_item_gold_section_round_trips(struct lo_store *st)
{
    struct lo_error err;
    enum { N = 40 }; /* one statement of item_insert_many's rows and a remainder */
    static char ext[N][16];
    struct lo_item items[N];
    int64_t ids[N];
    enum lo_item_outcome out[N];
    int64_t pid = make_project(st, "gold");
    CHECK(pid > 0);
    for (int i = 0; i < N; i++) {
        snprintf(ext[i], sizeof(ext[i]), "g%02d", i);
        items[i] = (struct lo_item){ .project_id = pid, .external_id = ext[i],
                                     .payload_json = "{}", .gold_json = "{\"c\":\"a\"}",
                                     .gold_section = i % 2 ? "Negative" : NULL,
                                     .created_ms = T0 };
    }
    CHECK_INT(st->ops->begin(st, true, &err), 0);
    CHECK_INT(st->ops->item_insert_many(st, items, N, LO_ITEM_SKIP, ids, out, &err), 0);
    struct lo_item one = { .project_id = pid, .external_id = "z", .payload_json = "{}",
                           .gold_json = "1", .gold_section = "Edge cases", .created_ms = T0 };
    int64_t zid = 0;
    enum lo_item_outcome oc;
    CHECK_INT(st->ops->item_insert(st, &one, LO_ITEM_SKIP, &zid, &oc, &err), 0);
    CHECK_INT(oc, LO_ITEM_INSERTED);

    /* Updating: the same section is no change, a NULL keeps it, another replaces it. */
    CHECK_INT(st->ops->item_insert(st, &one, LO_ITEM_UPDATE, &zid, &oc, &err), 0);
    CHECK_INT(oc, LO_ITEM_UNCHANGED);
    one.gold_section = NULL;
    one.payload_json = "{\"v\":2}";
    CHECK_INT(st->ops->item_insert(st, &one, LO_ITEM_UPDATE, &zid, &oc, &err), 0);
    CHECK_INT(oc, LO_ITEM_UPDATED);
    one.gold_section = "Sarcasm";
    CHECK_INT(st->ops->item_insert(st, &one, LO_ITEM_UPDATE, &zid, &oc, &err), 0);
    CHECK_INT(oc, LO_ITEM_UPDATED);
    CHECK_INT(st->ops->commit(st, &err), 0);

    char scan[4096], page[4096];
    CHECK_INT(sections_of(st, pid, false, scan, sizeof(scan)), 0);
    CHECK_INT(sections_of(st, pid, true, page, sizeof(page)), 0);
    CHECK(strstr(scan, "g00=- g01=Negative g02=- g03=Negative") == scan);
    CHECK(strstr(scan, "g38=- g39=Negative z=Sarcasm") != NULL);
    CHECK_STR(page, scan);

    struct lo_arena arena;
    lo_arena_init(&arena, 4096);
    struct lo_item got;
    CHECK_INT(st->ops->wf->item_get(st, ids[1], &arena, &got, &err), 0);
    CHECK_STR(got.gold_section ? got.gold_section : "(null)", "Negative");
    CHECK_INT(st->ops->wf->item_get(st, ids[2], &arena, &got, &err), 0);
    CHECK(got.gold_section == NULL);
    lo_arena_free(&arena);
}

struct captured {
    int rows;
    struct lo_item item;
    char payload[64], gold[64];
    struct lo_annotation a;
    char annotator[32], value[64], stage[32], lease[32], source[32];
    struct lo_prediction p;
    char model[32], model_version[32], pvalue[64];
    size_t n_annotations, n_predictions;
};

static void copy_str(char *dst, size_t cap, const char *src)
{
    snprintf(dst, cap, "%s", src ? src : "(null)");
}

static int capture_first(void *ctx, const struct lo_export_row *row)
{
    struct captured *c = ctx;
    if (c->rows++)
        return 0;
    c->item = row->item;
    copy_str(c->payload, sizeof(c->payload), row->item.payload_json);
    copy_str(c->gold, sizeof(c->gold), row->item.gold_json);
    c->n_annotations = row->n_annotations;
    c->n_predictions = row->n_predictions;
    if (row->n_annotations) {
        c->a = row->annotations[0];
        copy_str(c->annotator, sizeof(c->annotator), c->a.annotator);
        copy_str(c->value, sizeof(c->value), c->a.value_json);
        copy_str(c->stage, sizeof(c->stage), c->a.workflow_stage);
        copy_str(c->lease, sizeof(c->lease), c->a.lease_id);
        copy_str(c->source, sizeof(c->source), c->a.source);
    }
    if (row->n_predictions) {
        c->p = row->predictions[0];
        copy_str(c->model, sizeof(c->model), c->p.model_name);
        copy_str(c->model_version, sizeof(c->model_version), c->p.model_version);
        copy_str(c->pvalue, sizeof(c->pvalue), c->p.value_json);
    }
    return 0;
}

static void test_annotation_and_prediction_provenance_round_trip(struct lo_store *st)
{
    struct lo_error err;
    int64_t pid = make_project(st, "cats");
    CHECK(pid > 0);
    CHECK_INT(st->ops->begin(st, true, &err), 0);
    int64_t item = add_item(st, pid, "a", "{\"text\":\"meow\"}");
    CHECK(item > 0);
    CHECK_INT(st->ops->item_set_gold(st, item, "{\"label\":\"cat\"}", &err), 0);
    struct lo_annotation a = { .item_id = item, .annotator = "ann", .created_ms = T0 + 7,
                               .value_json = "{\"label\":\"cat\"}", .guideline_version = 3,
                               .schema_version = 2, .workflow_stage = "review",
                               .lease_id = "L-17", .working_seconds = 12.5, .source = "human" };
    int64_t aid = 0, rid = 0;
    CHECK_INT(st->ops->annotation_insert(st, &a, &aid, &err), 0);
    CHECK(aid > 0);
    struct lo_prediction p = { .item_id = item, .model_name = "resnet", .model_version = "1.2",
                               .value_json = "{\"label\":\"dog\"}", .score = 0.25,
                               .created_ms = T0 + 9 };
    CHECK_INT(st->ops->prediction_insert(st, &p, &rid, &err), 0);
    CHECK(rid > 0);
    CHECK_INT(st->ops->commit(st, &err), 0);

    struct captured c = { 0 };
    CHECK_INT(st->ops->export_scan(st, pid, capture_first, &c, &err), 0);
    CHECK_INT(c.rows, 1);
    CHECK_INT(c.item.id, item);
    CHECK_INT(c.item.project_id, pid);
    CHECK_STR(c.payload, "{\"text\":\"meow\"}");
    CHECK_STR(c.gold, "{\"label\":\"cat\"}");
    CHECK_INT(c.n_annotations, 1);
    CHECK_INT(c.a.id, aid);
    CHECK_INT(c.a.item_id, item);
    CHECK_INT(c.a.project_id, pid);
    CHECK_STR(c.annotator, "ann");
    CHECK_STR(c.value, "{\"label\":\"cat\"}");
    CHECK_INT(c.a.created_ms, T0 + 7);
    CHECK_INT(c.a.guideline_version, 3);
    CHECK_INT(c.a.schema_version, 2);
    CHECK_STR(c.stage, "review");
    CHECK_STR(c.lease, "L-17");
    CHECK_NEAR(c.a.working_seconds, 12.5, 0);
    CHECK_STR(c.source, "human");
    CHECK_INT(c.n_predictions, 1);
    CHECK_INT(c.p.id, rid);
    CHECK_STR(c.model, "resnet");
    CHECK_STR(c.model_version, "1.2");
    CHECK_STR(c.pvalue, "{\"label\":\"dog\"}");
    CHECK_NEAR(c.p.score, 0.25, 0);
    CHECK_INT(c.p.created_ms, T0 + 9);
}

static void test_unknown_provenance_reads_back_as_unknown(struct lo_store *st)
{
    struct lo_error err;
    int64_t pid = make_project(st, "cats");
    CHECK(pid > 0);
    CHECK_INT(st->ops->begin(st, true, &err), 0);
    int64_t item = add_item(st, pid, "a", "{}");
    struct lo_annotation a = { .item_id = item, .annotator = "ann", .value_json = "{}",
                               .working_seconds = NAN };
    CHECK_INT(st->ops->annotation_insert(st, &a, NULL, &err), 0);
    struct lo_prediction p = { .item_id = item, .model_name = "m", .value_json = "{}",
                               .score = NAN };
    CHECK_INT(st->ops->prediction_insert(st, &p, NULL, &err), 0);
    CHECK_INT(st->ops->commit(st, &err), 0);
    struct captured c = { 0 };
    CHECK_INT(st->ops->export_scan(st, pid, capture_first, &c, &err), 0);
    CHECK_STR(c.gold, "(null)");
    CHECK_INT(c.a.guideline_version, 0);
    CHECK_INT(c.a.schema_version, 0);
    CHECK_STR(c.stage, "(null)");
    CHECK_STR(c.lease, "(null)");
    CHECK(isnan(c.a.working_seconds));
    CHECK(isnan(c.p.score));
}

static void test_annotation_on_unknown_item_is_not_found(struct lo_store *st)
{
    struct lo_error err;
    CHECK(make_project(st, "cats") > 0);
    CHECK_INT(st->ops->begin(st, true, &err), 0);
    struct lo_annotation a = { .item_id = 4242, .annotator = "ann", .value_json = "{}",
                               .working_seconds = NAN };
    CHECK_INT(st->ops->annotation_insert(st, &a, NULL, &err), LO_ENOTFOUND);
    struct lo_prediction p = { .item_id = 4242, .model_name = "m", .value_json = "{}",
                               .score = NAN };
    CHECK_INT(st->ops->prediction_insert(st, &p, NULL, &err), LO_ENOTFOUND);
    CHECK_INT(st->ops->item_set_gold(st, 4242, "1", &err), LO_ENOTFOUND);
    CHECK_INT(st->ops->rollback(st), 0);
}

struct id_check {
    const int64_t *ids;
    int row, mismatches;
};

/* Row k (0 or 1) must hold the annotations with index i % 2 == k, with their reported ids. */
static int check_ids(void *ctx, const struct lo_export_row *row)
{
    struct id_check *c = ctx;
    for (size_t j = 0; j < row->n_annotations; j++)
        c->mismatches += row->annotations[j].id != c->ids[2 * j + (size_t)c->row];
    c->row++;
    return 0;
}

static void test_annotation_insert_many_stores_all_in_order(struct lo_store *st)
{
    struct lo_error err;
    enum { N = 37 }; /* more than one statement's worth of rows, and a remainder */
    static char who[N][16];
    struct lo_annotation a[N];
    int64_t ids[N];
    int64_t pid = make_project(st, "cats");
    CHECK(pid > 0);
    CHECK_INT(st->ops->begin(st, true, &err), 0);
    int64_t i1 = add_item(st, pid, "one", "{}");
    int64_t i2 = add_item(st, pid, "two", "{}");
    CHECK(i1 > 0 && i2 > 0);
    for (int i = 0; i < N; i++) {
        snprintf(who[i], sizeof(who[i]), "a%d", i);
        a[i] = (struct lo_annotation){ .item_id = i % 2 ? i2 : i1, .annotator = who[i],
                                       .value_json = "1", .working_seconds = NAN };
    }
    CHECK_INT(st->ops->annotation_insert_many(st, a, N, ids, &err), 0);
    for (int i = 1; i < N; i++)
        CHECK(ids[i] > ids[i - 1]);
    struct lo_project_counts c;
    CHECK_INT(st->ops->project_counts(st, pid, &c, &err), 0);
    CHECK_INT(c.annotations, N);
    CHECK_INT(c.annotators, N);
    struct id_check check = { .ids = ids };
    CHECK_INT(st->ops->export_scan(st, pid, check_ids, &check, &err), 0);
    CHECK_INT(check.row, 2);
    CHECK_INT(check.mismatches, 0);

    /* An unknown item is named, and the caller rolls the whole batch back. */
    a[20].item_id = 4242;
    lo_error_clear(&err);
    CHECK_INT(st->ops->annotation_insert_many(st, a, N, NULL, &err), LO_ENOTFOUND);
    CHECK(strstr(err.msg, "4242") != NULL);
    CHECK_INT(st->ops->rollback(st), 0);
    CHECK_INT(st->ops->project_counts(st, pid, &c, &err), 0);
    CHECK_INT(c.annotations, 0);
}

static int collect_event(void *ctx, const struct lo_event *e)
{
    struct lo_buf *b = ctx;
    lo_buf_printf(b, "%s/%s/%s:%lld/%lld ", e->kind, e->actor, e->object_type,
                  (long long)e->object_id, (long long)e->project_id);
    return 0;
}

static void test_events_are_listed_in_order(struct lo_store *st)
{
    struct lo_error err;
    struct lo_arena arena;
    lo_arena_init(&arena, 0);
    int64_t a = make_project(st, "a");
    int64_t b = make_project(st, "b");
    CHECK(a > 0 && b > 0);
    const char *kinds[] = { "project_created", "imported", "guideline_set", "exported" };
    const int64_t projects[] = { a, b, a, 0 };
    CHECK_INT(st->ops->begin(st, true, &err), 0);
    int64_t last = 0;
    for (int i = 0; i < 4; i++) {
        struct lo_event e = { .project_id = projects[i], .kind = kinds[i], .actor = "pm",
                              .object_type = "project", .object_id = i + 1,
                              .created_ms = T0 + i };
        int64_t id = 0;
        CHECK_INT(st->ops->event_append(st, &e, &id, &err), 0);
        CHECK(id > last);
        last = id;
    }
    CHECK_INT(st->ops->commit(st, &err), 0);

    struct lo_buf buf;
    lo_buf_init(&buf, 4096);
    CHECK_INT(st->ops->event_list(st, a, &arena, collect_event, &buf, &err), 0);
    char want_a[128];
    snprintf(want_a, sizeof(want_a),
             "project_created/pm/project:1/%lld guideline_set/pm/project:3/%lld ", (long long)a,
             (long long)a);
    CHECK_STR(buf.data, want_a);
    lo_buf_reset(&buf);
    CHECK_INT(st->ops->event_list(st, 0, &arena, collect_event, &buf, &err), 0);
    CHECK(strstr(buf.data, "project_created") < strstr(buf.data, "imported"));
    CHECK(strstr(buf.data, "imported") < strstr(buf.data, "guideline_set"));
    CHECK(strstr(buf.data, "guideline_set") < strstr(buf.data, "exported/pm/project:4/0"));
    lo_buf_free(&buf);
    lo_arena_free(&arena);
}

static void test_export_scan_orders_and_groups_items(struct lo_store *st)
{
    struct lo_error err;
    int64_t pid = make_project(st, "cats");
    int64_t other = make_project(st, "dogs");
    CHECK(pid > 0 && other > 0);
    CHECK_INT(st->ops->begin(st, true, &err), 0);
    int64_t i1 = add_item(st, pid, "one", "{}");
    int64_t i2 = add_item(st, pid, "two", "{}");
    int64_t o1 = add_item(st, other, "dog", "{}");
    int64_t i3 = add_item(st, pid, "three", "{}");
    int64_t i4 = add_item(st, pid, "four", "{}");
    CHECK(i1 && i2 && i3 && i4 && o1);
    /* Annotations arrive out of item order and interleaved with another project's. */
    CHECK(add_annotation(st, i3, "x", "1"));
    CHECK(add_annotation(st, i1, "y", "2"));
    CHECK(add_annotation(st, o1, "z", "9"));
    CHECK(add_annotation(st, i3, "w", "3"));
    CHECK(add_annotation(st, i1, "v", "4"));
    struct lo_prediction p = { .item_id = i4, .model_name = "m1", .value_json = "{}",
                               .score = NAN };
    CHECK_INT(st->ops->prediction_insert(st, &p, NULL, &err), 0);
    p.item_id = i1;
    p.model_name = "m2";
    CHECK_INT(st->ops->prediction_insert(st, &p, NULL, &err), 0);
    CHECK_INT(st->ops->commit(st, &err), 0);

    char *s = export_string(st, pid);
    CHECK(s);
    int ok = strcmp(s, "one[y=2,v=4|m2] two[] three[x=1,w=3] four[|m1]") == 0;
    if (!ok)
        lo__test_fail(__FILE__, __LINE__, "export was \"%s\"", s);
    free(s);
    s = export_string(st, other);
    ok = ok && strcmp(s, "dog[z=9]") == 0;
    free(s);
    CHECK(ok);
}

static int stop_after_two(void *ctx, const struct lo_export_row *row)
{
    (void)row;
    return ++*(int *)ctx == 2 ? 77 : 0;
}

static void test_export_scan_stops_when_the_callback_says_so(struct lo_store *st)
{
    struct lo_error err;
    int64_t pid = make_project(st, "cats");
    CHECK(pid > 0);
    CHECK_INT(st->ops->begin(st, true, &err), 0);
    CHECK(add_item(st, pid, "a", "{}") && add_item(st, pid, "b", "{}")
          && add_item(st, pid, "c", "{}"));
    CHECK_INT(st->ops->commit(st, &err), 0);
    int n = 0;
    CHECK_INT(st->ops->export_scan(st, pid, stop_after_two, &n, &err), 77);
    CHECK_INT(n, 2);
    /* The handle is usable afterwards. */
    char *s = export_string(st, pid);
    int ok = strcmp(s, "a[] b[] c[]") == 0;
    free(s);
    CHECK(ok);
}

/* A page as a string, like export_string; "" for an empty page. */
static char *page_string(struct lo_store *st, int64_t project_id, int64_t after, int limit,
                         int *rc_out)
{
    struct lo_error err;
    struct lo_buf b;
    lo_buf_init(&b, 1 << 20);
    lo_buf_puts(&b, "");
    *rc_out = st->ops->item_page(st, project_id, after, limit, render_row, &b, &err);
    char *s = strdup(b.data ? b.data : "");
    lo_buf_free(&b);
    return s;
}

static bool page_is(struct lo_store *st, int64_t project_id, int64_t after, int limit,
                    const char *want)
{
    int rc = 0;
    char *s = page_string(st, project_id, after, limit, &rc);
    bool ok = rc == 0 && s && strcmp(s, want) == 0;
    if (!ok)
        lo__test_fail(__FILE__, __LINE__, "page after %lld limit %d was \"%s\" (rc %d), want \"%s\"",
                      (long long)after, limit, s ? s : "(null)", rc, want);
    free(s);
    return ok;
}

static void test_item_page_seeks_by_id_and_groups_children(struct lo_store *st)
{
    struct lo_error err;
    int64_t pid = make_project(st, "cats");
    int64_t other = make_project(st, "dogs");
    CHECK(pid > 0 && other > 0);
    CHECK_INT(st->ops->begin(st, true, &err), 0);
    int64_t i1 = add_item(st, pid, "one", "{}");
    int64_t i2 = add_item(st, pid, "two", "{}");
    int64_t o1 = add_item(st, other, "dog", "{}");
    int64_t i3 = add_item(st, pid, "three", "{}");
    int64_t i4 = add_item(st, pid, "four", "{}");
    CHECK(i1 && i2 && i3 && i4 && o1);
    CHECK(add_annotation(st, i3, "x", "1"));
    CHECK(add_annotation(st, i1, "y", "2"));
    CHECK(add_annotation(st, o1, "z", "9"));
    CHECK(add_annotation(st, i3, "w", "3"));
    CHECK(add_annotation(st, i2, "u", "5"));
    struct lo_prediction p = { .item_id = i4, .model_name = "m1", .value_json = "{}",
                               .score = NAN };
    CHECK_INT(st->ops->prediction_insert(st, &p, NULL, &err), 0);
    p.item_id = i2;
    p.model_name = "m2";
    CHECK_INT(st->ops->prediction_insert(st, &p, NULL, &err), 0);
    CHECK_INT(st->ops->commit(st, &err), 0);

    /* Pages in id order, each item with exactly its own annotations and predictions, the
     * other project's item (stored between them) never in them. */
    CHECK(page_is(st, pid, 0, 2, "one[y=2] two[u=5|m2]"));
    CHECK(page_is(st, pid, i2, 2, "three[x=1,w=3] four[|m1]"));
    CHECK(page_is(st, pid, i1, 1, "two[u=5|m2]"));
    CHECK(page_is(st, pid, i2 - 1, 1, "two[u=5|m2]"));
    CHECK(page_is(st, pid, i3, 10, "four[|m1]"));
    CHECK(page_is(st, pid, i4, 10, ""));
    CHECK(page_is(st, other, 0, 10, "dog[z=9]"));
    CHECK(page_is(st, other, o1, 10, ""));
    /* Inside a caller's read transaction too. */
    CHECK_INT(st->ops->begin(st, false, &err), 0);
    CHECK(page_is(st, pid, 0, 4, "one[y=2] two[u=5|m2] three[x=1,w=3] four[|m1]"));
    CHECK_INT(st->ops->rollback(st), 0);
    /* A page of nothing is a usage error, not an empty answer. */
    int rc = 0;
    free(page_string(st, pid, 0, 0, &rc));
    CHECK_INT(rc, LO_EUSAGE);
}

static void test_rollback_leaves_nothing(struct lo_store *st)
{
    struct lo_error err;
    struct lo_arena arena;
    struct lo_project got;
    struct lo_project_counts c;
    lo_arena_init(&arena, 0);
    int64_t pid = make_project(st, "cats");
    CHECK(pid > 0);
    CHECK_INT(st->ops->begin(st, true, &err), 0);
    int64_t item = add_item(st, pid, "a", "{}");
    CHECK(item > 0);
    CHECK(add_annotation(st, item, "ann", "1"));
    struct lo_project q = project_named("dogs");
    CHECK_INT(st->ops->project_create(st, &q, &err), 0);
    int v = 0;
    CHECK_INT(st->ops->guideline_add(st, pid, "# g", "pm", T0, &v, &err), 0);
    struct lo_event e = { .project_id = pid, .kind = "imported", .payload_json = "{}" };
    CHECK_INT(st->ops->event_append(st, &e, NULL, &err), 0);
    CHECK_INT(st->ops->rollback(st), 0);

    CHECK_INT(st->ops->project_counts(st, pid, &c, &err), 0);
    CHECK_INT(c.items, 0);
    CHECK_INT(c.annotations, 0);
    CHECK_INT(st->ops->project_get(st, "dogs", &arena, &got, &err), LO_ENOTFOUND);
    struct lo_guideline g;
    CHECK_INT(st->ops->guideline_get(st, pid, 0, &arena, &g, &err), LO_ENOTFOUND);
    struct lo_buf b;
    lo_buf_init(&b, 4096);
    CHECK_INT(st->ops->event_list(st, 0, &arena, collect_event, &b, &err), 0);
    CHECK(b.len == 0);
    lo_buf_free(&b);
    lo_arena_free(&arena);
}

static void test_project_counts_count_what_is_in_the_project(struct lo_store *st)
{
    struct lo_error err;
    struct lo_project_counts c;
    int64_t pid = make_project(st, "cats");
    int64_t other = make_project(st, "dogs");
    CHECK(pid > 0 && other > 0);
    CHECK_INT(st->ops->begin(st, true, &err), 0);
    int64_t i1 = add_item(st, pid, "a", "{}");
    int64_t i2 = add_item(st, pid, "b", "{}");
    int64_t o1 = add_item(st, other, "a", "{}");
    CHECK(add_annotation(st, i1, "ann", "1") && add_annotation(st, i1, "bob", "1")
          && add_annotation(st, i2, "ann", "2") && add_annotation(st, o1, "cy", "3"));
    CHECK_INT(st->ops->item_set_gold(st, i2, "2", &err), 0);
    struct lo_prediction p = { .item_id = i1, .model_name = "m", .value_json = "{}",
                               .score = 0.5 };
    CHECK_INT(st->ops->prediction_insert(st, &p, NULL, &err), 0);
    CHECK_INT(st->ops->commit(st, &err), 0);
    CHECK_INT(st->ops->project_counts(st, pid, &c, &err), 0);
    CHECK_INT(c.items, 2);
    CHECK_INT(c.annotations, 3);
    CHECK_INT(c.predictions, 1);
    CHECK_INT(c.gold_items, 1);
    CHECK_INT(c.annotators, 2);
}

static void test_deleting_a_project_deletes_everything_in_it(struct lo_store *st)
{
    struct lo_error err;
    struct lo_arena arena;
    struct lo_project_counts c;
    lo_arena_init(&arena, 0);
    int64_t pid = make_project(st, "cats");
    int64_t keep = make_project(st, "dogs");
    CHECK(pid > 0 && keep > 0);
    CHECK_INT(st->ops->begin(st, true, &err), 0);
    int v = 0;
    CHECK_INT(st->ops->project_set_schema(st, pid, "{}", T0, &v, &err), 0);
    CHECK_INT(st->ops->guideline_add(st, pid, "# g", "pm", T0, &v, &err), 0);
    int64_t item = add_item(st, pid, "a", "{}");
    int64_t kept_item = add_item(st, keep, "a", "{}");
    CHECK(add_annotation(st, item, "ann", "1") && add_annotation(st, kept_item, "ann", "1"));
    struct lo_prediction p = { .item_id = item, .model_name = "m", .value_json = "{}",
                               .score = NAN };
    CHECK_INT(st->ops->prediction_insert(st, &p, NULL, &err), 0);
    struct lo_event e = { .project_id = pid, .kind = "imported", .payload_json = "{}" };
    CHECK_INT(st->ops->event_append(st, &e, NULL, &err), 0);
    e.project_id = keep;
    CHECK_INT(st->ops->event_append(st, &e, NULL, &err), 0);
    CHECK_INT(st->ops->project_delete(st, pid, &err), 0);
    CHECK_INT(st->ops->commit(st, &err), 0);

    CHECK_INT(st->ops->project_counts(st, pid, &c, &err), LO_ENOTFOUND);
    struct lo_guideline g;
    CHECK_INT(st->ops->guideline_get(st, pid, 0, &arena, &g, &err), LO_ENOTFOUND);
    int64_t found;
    CHECK_INT(st->ops->item_find(st, pid, "a", &found, &err), LO_ENOTFOUND);
    char *s = export_string(st, pid);
    int empty = strcmp(s, "") == 0;
    free(s);
    CHECK(empty);
    struct lo_buf b;
    lo_buf_init(&b, 4096);
    CHECK_INT(st->ops->event_list(st, 0, &arena, collect_event, &b, &err), 0);
    char want[64];
    snprintf(want, sizeof(want), "imported//:0/%lld ", (long long)keep);
    int events_ok = b.data && strcmp(b.data, want) == 0;
    lo_buf_free(&b);
    CHECK(events_ok);

    /* The other project is untouched. */
    CHECK_INT(st->ops->project_counts(st, keep, &c, &err), 0);
    CHECK_INT(c.items, 1);
    CHECK_INT(c.annotations, 1);

    /* The name is free again. */
    CHECK(make_project(st, "cats") > 0);
    lo_arena_free(&arena);
}

/* ---- accounts (migration 2) ---------------------------------------------------------------- */

static int count_user(void *ctx, const struct lo_user_row *u)
{
    (void)u;
    ++*(int *)ctx;
    return 0;
}

static int collect_member(void *ctx, const struct lo_member_row *m)
{
    lo_buf_printf(ctx, "%s=%s ", m->user_name, m->role);
    return 0;
}

static void test_users_vendors_and_memberships_round_trip(struct lo_store *st)
{
    struct lo_error err;
    struct lo_arena arena;
    lo_arena_init(&arena, 0);
    int64_t pid = make_project(st, "cats");
    CHECK(pid > 0);
    CHECK_INT(st->ops->begin(st, true, &err), 0);
    struct lo_vendor_row v = { .name = "acme", .created_ms = T0 };
    CHECK_INT(st->ops->vendor_create(st, &v, &err), 0);
    struct lo_vendor_row v2 = { .name = "acme", .created_ms = T0 };
    CHECK_INT(st->ops->vendor_create(st, &v2, &err), LO_ECONFLICT);
    struct lo_user_row u = { .name = "ann", .role = "annotator", .vendor_id = v.id,
                             .password_hash = "$argon2id$x", .created_ms = T0 };
    CHECK_INT(st->ops->user_create(st, &u, &err), 0);
    struct lo_user_row pm = { .name = "pm", .role = "manager", .password_hash = "$argon2id$y",
                              .created_ms = T0 };
    CHECK_INT(st->ops->user_create(st, &pm, &err), 0);
    struct lo_user_row dup = pm;
    CHECK_INT(st->ops->user_create(st, &dup, &err), LO_ECONFLICT);
    struct lo_user_row ghost = { .name = "ghost", .role = "annotator", .vendor_id = 999,
                                 .password_hash = "h", .created_ms = T0 };
    CHECK_INT(st->ops->user_create(st, &ghost, &err), LO_ENOTFOUND);
    struct lo_member_row m = { .project_id = pid, .user_id = u.id, .role = "annotator",
                               .created_ms = T0 };
    CHECK_INT(st->ops->member_set(st, &m, &err), 0);
    m.role = "reviewer";
    CHECK_INT(st->ops->member_set(st, &m, &err), 0);
    CHECK_INT(st->ops->commit(st, &err), 0);

    struct lo_user_row got;
    CHECK_INT(st->ops->user_get(st, "ann", 0, &arena, &got, &err), 0);
    CHECK_STR(got.role, "annotator");
    CHECK_STR(got.vendor_name, "acme");
    CHECK_INT(got.vendor_id, v.id);
    CHECK(!got.disabled);
    CHECK_INT(st->ops->user_get(st, NULL, pm.id, &arena, &got, &err), 0);
    CHECK_STR(got.name, "pm");
    CHECK(got.vendor_name == NULL);
    CHECK_INT(st->ops->user_get(st, "nobody", 0, &arena, &got, &err), LO_ENOTFOUND);
    int all = 0, acme = 0;
    CHECK_INT(st->ops->user_list(st, 0, &arena, count_user, &all, &err), 0);
    CHECK_INT(st->ops->user_list(st, v.id, &arena, count_user, &acme, &err), 0);
    CHECK_INT(all, 2);
    CHECK_INT(acme, 1);
    struct lo_member_row gm;
    CHECK_INT(st->ops->member_get(st, pid, u.id, &arena, &gm, &err), 0);
    CHECK_STR(gm.role, "reviewer");
    CHECK_INT(st->ops->member_get(st, pid, pm.id, &arena, &gm, &err), LO_ENOTFOUND);
    struct lo_buf b;
    lo_buf_init(&b, 4096);
    CHECK_INT(st->ops->member_list(st, pid, &arena, collect_member, &b, &err), 0);
    int listed = b.data && strcmp(b.data, "ann=reviewer ") == 0;
    lo_buf_free(&b);
    CHECK(listed);

    CHECK_INT(st->ops->begin(st, true, &err), 0);
    CHECK_INT(st->ops->user_update(st, u.id, "reviewer", true, NULL, &err), 0);
    CHECK_INT(st->ops->member_remove(st, pid, u.id, &err), 0);
    CHECK_INT(st->ops->member_remove(st, pid, u.id, &err), LO_ENOTFOUND);
    CHECK_INT(st->ops->commit(st, &err), 0);
    CHECK_INT(st->ops->user_get(st, "ann", 0, &arena, &got, &err), 0);
    CHECK(got.disabled);
    CHECK_STR(got.role, "reviewer");
    CHECK_STR(got.password_hash, "$argon2id$x");
    lo_arena_free(&arena);
}

static void test_sessions_and_tokens_are_found_by_hash_and_revoked(struct lo_store *st)
{
    struct lo_error err;
    struct lo_arena arena;
    lo_arena_init(&arena, 0);
    CHECK_INT(st->ops->begin(st, true, &err), 0);
    struct lo_user_row u = { .name = "ann", .role = "annotator", .password_hash = "h",
                             .created_ms = T0 };
    CHECK_INT(st->ops->user_create(st, &u, &err), 0);
    struct lo_session_row s = { .token_hash = "aa", .user_id = u.id, .csrf_token = "c1",
                                .created_ms = T0, .expires_ms = T0 + 1000 };
    CHECK_INT(st->ops->session_create(st, &s, &err), 0);
    struct lo_session_row s2 = { .token_hash = "bb", .user_id = u.id, .csrf_token = "c2",
                                 .created_ms = T0, .expires_ms = T0 + 1000 };
    CHECK_INT(st->ops->session_create(st, &s2, &err), 0);
    struct lo_token_row t = { .token_hash = "tt", .user_id = u.id, .name = "ci",
                              .created_ms = T0 };
    CHECK_INT(st->ops->token_create(st, &t, &err), 0);
    CHECK_INT(st->ops->token_touch(st, t.id, T0 + 5, &err), 0);
    CHECK_INT(st->ops->commit(st, &err), 0);

    struct lo_session_row gs;
    CHECK_INT(st->ops->session_get(st, "aa", &arena, &gs, &err), 0);
    CHECK_STR(gs.csrf_token, "c1");
    CHECK_INT(gs.expires_ms, T0 + 1000);
    CHECK_INT(gs.revoked_ms, 0);
    CHECK_INT(st->ops->session_get(st, "zz", &arena, &gs, &err), LO_ENOTFOUND);
    struct lo_token_row gt;
    CHECK_INT(st->ops->token_get(st, "tt", 0, &arena, &gt, &err), 0);
    CHECK_INT(gt.id, t.id);
    CHECK_STR(gt.name, "ci");
    CHECK_INT(gt.last_used_ms, T0 + 5);
    CHECK_INT(st->ops->token_get(st, NULL, t.id, &arena, &gt, &err), 0);
    CHECK_STR(gt.token_hash, "tt");

    CHECK_INT(st->ops->begin(st, true, &err), 0);
    CHECK_INT(st->ops->session_revoke(st, "aa", 0, T0 + 7, &err), 0);
    CHECK_INT(st->ops->session_revoke(st, "aa", 0, T0 + 8, &err), LO_ENOTFOUND);
    CHECK_INT(st->ops->session_revoke(st, NULL, u.id, T0 + 9, &err), 0);
    CHECK_INT(st->ops->token_revoke(st, t.id, 0, T0 + 9, &err), 0);
    CHECK_INT(st->ops->token_revoke(st, t.id, 0, T0 + 9, &err), LO_ENOTFOUND);
    CHECK_INT(st->ops->commit(st, &err), 0);
    CHECK_INT(st->ops->session_get(st, "aa", &arena, &gs, &err), 0);
    CHECK_INT(gs.revoked_ms, T0 + 7);
    CHECK_INT(st->ops->session_get(st, "bb", &arena, &gs, &err), 0);
    CHECK_INT(gs.revoked_ms, T0 + 9);
    CHECK_INT(st->ops->token_get(st, "tt", 0, &arena, &gt, &err), 0);
    CHECK_INT(gt.revoked_ms, T0 + 9);
    lo_arena_free(&arena);
}

static void test_throttle_state_is_kept_per_key(struct lo_store *st)
{
    struct lo_error err;
    struct lo_throttle_row t;
    CHECK_INT(st->ops->throttle_get(st, "user:ann", &t, &err), 0);
    CHECK_INT(t.failures, 0);
    CHECK_INT(st->ops->begin(st, true, &err), 0);
    struct lo_throttle_row put = { .failures = 3, .window_start_ms = T0 };
    CHECK_INT(st->ops->throttle_put(st, "user:ann", &put, &err), 0);
    put.failures = 4;
    CHECK_INT(st->ops->throttle_put(st, "user:ann", &put, &err), 0);
    CHECK_INT(st->ops->commit(st, &err), 0);
    CHECK_INT(st->ops->throttle_get(st, "user:ann", &t, &err), 0);
    CHECK_INT(t.failures, 4);
    CHECK_INT(t.window_start_ms, T0);
    CHECK_INT(st->ops->throttle_get(st, "addr:1.2.3.4", &t, &err), 0);
    CHECK_INT(t.failures, 0);
    CHECK_INT(st->ops->begin(st, true, &err), 0);
    CHECK_INT(st->ops->throttle_clear(st, "user:ann", &err), 0);
    CHECK_INT(st->ops->commit(st, &err), 0);
    CHECK_INT(st->ops->throttle_get(st, "user:ann", &t, &err), 0);
    CHECK_INT(t.failures, 0);
}

static int count_event(void *ctx, const struct lo_event *e)
{
    (void)e;
    ++*(int *)ctx;
    return 0;
}

/* ---- workflow: what an annotator could still be given, their gold record ------------------ */

static int wants_one(void *ctx, int64_t item_id, bool is_gold)
{
    (void)ctx;
    (void)item_id;
    (void)is_gold;
    return 1;
}

static int64_t open_count(struct lo_store *st, int64_t pid, int64_t user)
{
    struct lo_error err;
    int64_t n = -1;
    if (st->ops->wf->task_count_open(st, pid, user, &n, &err))
        return -1;
    return n;
}

static void test_open_tasks_count_what_a_user_could_still_be_given(struct lo_store *st)
{
    struct lo_error err;
    struct lo_arena arena;
    lo_arena_init(&arena, 4096);
    int64_t pid = make_project(st, "open");
    CHECK(pid > 0);
    CHECK_INT(st->ops->begin(st, true, &err), 0);
    int64_t a = add_item(st, pid, "a", "{}"), b = add_item(st, pid, "b", "{}");
    struct lo_item gi = { .project_id = pid, .external_id = "g", .payload_json = "{}",
                          .gold_json = "{\"c\":\"x\"}", .created_ms = T0 };
    int64_t g = 0, added = 0;
    enum lo_item_outcome oc;
    CHECK_INT(st->ops->item_insert(st, &gi, LO_ITEM_SKIP, &g, &oc, &err), 0);
    CHECK_INT(st->ops->wf->task_sync(st, pid, T0, wants_one, NULL, &added, &err), 0);
    CHECK_INT(added, 3);
    CHECK_INT(open_count(st, pid, 7), 3);

    /* an item they were given no longer counts for them, gold or not */
    CHECK_INT(st->ops->wf->seen_add(st, 7, a, &err), 0);
    CHECK_INT(open_count(st, pid, 7), 2);
    CHECK_INT(st->ops->wf->seen_add(st, 7, g, &err), 0);
    CHECK_INT(open_count(st, pid, 7), 1);
    CHECK_INT(open_count(st, pid, 8), 3);

    /* a regular item without room (leased as often as wanted) is not offered; gold always is */
    struct lo_task_row t;
    CHECK_INT(st->ops->wf->task_get(st, b, &arena, &t, &err), 0);
    t.leased = 1;
    CHECK_INT(st->ops->wf->task_put(st, &t, &err), 0);
    CHECK_INT(st->ops->wf->task_get(st, g, &arena, &t, &err), 0);
    t.leased = 5;
    CHECK_INT(st->ops->wf->task_put(st, &t, &err), 0);
    CHECK_INT(open_count(st, pid, 8), 2);
    CHECK_INT(open_count(st, pid, 7), 0);

    /* an item out of the queue is not offered */
    CHECK_INT(st->ops->wf->task_get(st, a, &arena, &t, &err), 0);
    t.state = "complete";
    CHECK_INT(st->ops->wf->task_put(st, &t, &err), 0);
    CHECK_INT(open_count(st, pid, 8), 1);
    CHECK_INT(open_count(st, pid + 1000, 8), 0);
    CHECK_INT(st->ops->commit(st, &err), 0);
    lo_arena_free(&arena);
}

static void test_worker_gold_record_of_the_day_round_trips(struct lo_store *st)
{
    struct lo_error err;
    struct lo_arena arena;
    lo_arena_init(&arena, 4096);
    int64_t pid = make_project(st, "wk");
    CHECK(pid > 0);
    struct lo_worker_row w;
    bool found = true;
    CHECK_INT(st->ops->begin(st, true, &err), 0);
    CHECK_INT(st->ops->wf->worker_get(st, pid, 5, &arena, &w, &found, &err), 0);
    CHECK(!found);
    CHECK(w.gold_day == 0 && w.gold_day_total == 0 && isnan(w.gold_day_p_below));
    w.gold_correct = 9;
    w.gold_total = 10;
    w.p_below = 0.125;
    w.gold_day = 20500;
    w.gold_day_correct = 3;
    w.gold_day_total = 4;
    CHECK_INT(st->ops->wf->worker_put(st, &w, &err), 0);
    CHECK_INT(st->ops->wf->worker_get(st, pid, 5, &arena, &w, &found, &err), 0);
    CHECK(found);
    CHECK(w.gold_day == 20500 && w.gold_day_correct == 3 && w.gold_day_total == 4);
    CHECK(isnan(w.gold_day_p_below)); /* not judged then */
    CHECK(w.gold_correct == 9 && w.gold_total == 10 && w.p_below == 0.125);
    w.gold_day_p_below = 0.75;
    CHECK_INT(st->ops->wf->worker_put(st, &w, &err), 0);
    CHECK_INT(st->ops->wf->worker_get(st, pid, 5, &arena, &w, &found, &err), 0);
    CHECK(w.gold_day_p_below == 0.75);
    CHECK_INT(st->ops->commit(st, &err), 0);
    lo_arena_free(&arena);
}

static void test_audited_events_keep_their_chain_and_outlive_their_project(struct lo_store *st)
{
    struct lo_error err;
    struct lo_arena arena;
    lo_arena_init(&arena, 0);
    int64_t pid = make_project(st, "cats");
    CHECK(pid > 0);
    int64_t seq = -1;
    const char *hash = "x";
    CHECK_INT(st->ops->audit_last(st, &arena, &seq, &hash, &err), 0);
    CHECK_INT(seq, 0);
    CHECK(hash == NULL);
    CHECK_INT(st->ops->begin(st, true, &err), 0);
    struct lo_event plain = { .project_id = pid, .kind = "guideline_set", .payload_json = "{}" };
    CHECK_INT(st->ops->event_append(st, &plain, NULL, &err), 0);
    struct lo_event e = { .project_id = pid, .kind = "imported", .payload_json = "{}",
                          .audit_seq = 1, .prev_hash = "00", .hash = "h1" };
    CHECK_INT(st->ops->event_append(st, &e, NULL, &err), 0);
    e.audit_seq = 2;
    e.prev_hash = "h1";
    e.hash = "h2";
    CHECK_INT(st->ops->event_append(st, &e, NULL, &err), 0);
    e.hash = "h3"; /* the same place in the chain twice */
    CHECK(st->ops->event_append(st, &e, NULL, &err) != 0);
    CHECK_INT(st->ops->project_delete(st, pid, &err), 0);
    CHECK_INT(st->ops->commit(st, &err), 0);
    CHECK_INT(st->ops->audit_last(st, &arena, &seq, &hash, &err), 0);
    CHECK_INT(seq, 2);
    CHECK_STR(hash, "h2");
    int audited = 0, all = 0;
    CHECK_INT(st->ops->audit_list(st, &arena, count_event, &audited, &err), 0);
    CHECK_INT(st->ops->event_list(st, 0, &arena, count_event, &all, &err), 0);
    CHECK_INT(audited, 2);
    CHECK_INT(all, 2); /* the plain event went with its project */
    lo_arena_free(&arena);
}

/* Every backend runs this list. */
#define STORE_SUITE(X)                                                                         \
    X(test_project_create_get_list_delete)                                                     \
    X(test_project_name_taken_is_conflict)                                                     \
    X(test_unknown_project_is_not_found)                                                       \
    X(test_writes_need_a_write_transaction)                                                    \
    X(test_schema_versions_increase_and_old_ones_are_kept)                                     \
    X(test_guidelines_are_versioned_and_old_versions_unchanged)                                \
    X(test_item_insert_skip_and_update_outcomes)                                               \
    X(test_item_insert_many_matches_one_by_one_outcomes)                                       \
    X(test_item_gold_section_round_trips)                                                      \
    X(test_annotation_and_prediction_provenance_round_trip)                                    \
    X(test_unknown_provenance_reads_back_as_unknown)                                           \
    X(test_annotation_on_unknown_item_is_not_found)                                            \
    X(test_annotation_insert_many_stores_all_in_order)                                         \
    X(test_events_are_listed_in_order)                                                         \
    X(test_export_scan_orders_and_groups_items)                                                \
    X(test_export_scan_stops_when_the_callback_says_so)                                        \
    X(test_item_page_seeks_by_id_and_groups_children)                                          \
    X(test_rollback_leaves_nothing)                                                            \
    X(test_project_counts_count_what_is_in_the_project)                                        \
    X(test_deleting_a_project_deletes_everything_in_it)                                        \
    X(test_users_vendors_and_memberships_round_trip)                                           \
    X(test_sessions_and_tokens_are_found_by_hash_and_revoked)                                  \
    X(test_throttle_state_is_kept_per_key)                                                     \
    X(test_audited_events_keep_their_chain_and_outlive_their_project)                           \
    X(test_open_tasks_count_what_a_user_could_still_be_given)                                  \
    X(test_worker_gold_record_of_the_day_round_trips)

/* ---- the SQLite backend --------------------------------------------------------------------- */

static const char *fresh_db_path(void)
{
    static char path[512];
    static int n;
    snprintf(path, sizeof(path), "%s/store-%d.db", lo_test_tmpdir(), ++n);
    return path;
}

/* The factory: a fresh, empty SQLite store. */
static struct lo_store *open_sqlite(void)
{
    struct lo_error err;
    struct lo_store *st = NULL;
    if (lo_store_open_sqlite(fresh_db_path(), &st, &err)) {
        lo__test_fail(__FILE__, __LINE__, "open: %s", err.msg);
        return NULL;
    }
    return st;
}

static void run_on_sqlite(void (*fn)(struct lo_store *))
{
    struct lo_store *st = open_sqlite();
    if (!st)
        return;
    fn(st);
    lo_store_close(st);
}

#define SQLITE_WRAPPER(f)                                                                      \
    static void f##_sqlite(void)                                                               \
    {                                                                                          \
        run_on_sqlite(f);                                                                      \
    }
STORE_SUITE(SQLITE_WRAPPER)

/* Reads one integer with the sqlite3 library directly (backend-specific checks). */
static long long sqlite_int(const char *path, const char *sql)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *stmt = NULL;
    long long v = -1;
    if (sqlite3_open(path, &db) == SQLITE_OK
        && sqlite3_prepare_v2(db, sql, -1, &stmt, NULL) == SQLITE_OK
        && sqlite3_step(stmt) == SQLITE_ROW)
        v = sqlite3_column_int64(stmt, 0);
    sqlite3_finalize(stmt);
    sqlite3_close(db);
    return v;
}

static int sqlite_exec(const char *path, const char *sql)
{
    sqlite3 *db = NULL;
    int rc = sqlite3_open(path, &db);
    if (rc == SQLITE_OK)
        rc = sqlite3_exec(db, sql, NULL, NULL, NULL);
    sqlite3_close(db);
    return rc;
}

static void test_sqlite_opens_in_wal_mode_at_the_current_schema_version(void)
{
    struct lo_error err;
    struct lo_store *st = NULL;
    const char *path = fresh_db_path();
    CHECK_INT(lo_store_open_sqlite(path, &st, &err), 0);
    CHECK_STR(st->ops->name, "sqlite");
    lo_store_close(st);
    CHECK(lo_store_schema_version() >= 1);
    CHECK_INT(sqlite_int(path, "SELECT max(version) FROM schema_migrations"),
              lo_store_schema_version());
    CHECK_INT(sqlite_int(path, "SELECT count(*) FROM pragma_journal_mode"
                               " WHERE journal_mode = 'wal'"),
              1);
}

/* The real migrations plus one more that would fail if it ran twice. */
static const struct lo_migration *migrations_plus(const char *extra_sql, size_t *count)
{
    static struct lo_migration list[64];
    size_t n = lo__migrations_count;
    if (n + 1 > sizeof(list) / sizeof(list[0]))
        return NULL;
    memcpy(list, lo__migrations, n * sizeof(list[0]));
    list[n].version = (int)n + 1;
    list[n].name = "test migration";
    list[n].sql = extra_sql;
    *count = n + 1;
    return list;
}

static void test_sqlite_reopening_applies_no_migration_twice(void)
{
    struct lo_error err;
    struct lo_store *st = NULL;
    const char *path = fresh_db_path();
    CHECK_INT(lo_store_open_sqlite(path, &st, &err), 0);
    lo_store_close(st);

    size_t count = 0;
    const struct lo_migration *list = migrations_plus("CREATE TABLE extra (x INTEGER);", &count);
    CHECK(list);
    CHECK_INT(lo__store_open_sqlite_with(path, list, count, &st, &err), 0);
    CHECK(make_project(st, "cats") > 0);
    lo_store_close(st);
    /* Again: "CREATE TABLE extra" would fail if it ran a second time. */
    lo_error_clear(&err);
    CHECK_MSG(lo__store_open_sqlite_with(path, list, count, &st, &err) == 0, "%s", err.msg);
    struct lo_arena arena;
    struct lo_project p;
    lo_arena_init(&arena, 0);
    int rc = st->ops->project_get(st, "cats", &arena, &p, &err);
    lo_arena_free(&arena);
    lo_store_close(st);
    CHECK_INT(rc, 0);
    CHECK_INT(sqlite_int(path, "SELECT count(*) FROM schema_migrations"), count);
}

static void test_sqlite_failed_migration_changes_nothing(void)
{
    struct lo_error err;
    struct lo_store *st = NULL;
    const char *path = fresh_db_path();
    CHECK_INT(lo_store_open_sqlite(path, &st, &err), 0);
    lo_store_close(st);
    size_t count = 0;
    const struct lo_migration *list =
        migrations_plus("CREATE TABLE extra (x INTEGER); INSERT INTO nosuchtable VALUES (1);",
                        &count);
    CHECK(list);
    lo_error_clear(&err);
    CHECK_INT(lo__store_open_sqlite_with(path, list, count, &st, &err), LO_ESTORE);
    CHECK(st == NULL);
    CHECK(strstr(err.msg, "test migration") != NULL);
    CHECK_INT(sqlite_int(path, "SELECT max(version) FROM schema_migrations"),
              lo_store_schema_version());
    CHECK_INT(sqlite_int(path, "SELECT count(*) FROM sqlite_schema WHERE name = 'extra'"), 0);
}

static void test_sqlite_newer_database_is_refused(void)
{
    struct lo_error err;
    struct lo_store *st = NULL;
    const char *path = fresh_db_path();
    CHECK_INT(lo_store_open_sqlite(path, &st, &err), 0);
    lo_store_close(st);
    /* What a later labelops would leave behind. */
    CHECK_INT(sqlite_exec(path, "INSERT INTO schema_migrations VALUES (999, 'future', 'x')"),
              SQLITE_OK);
    lo_error_clear(&err);
    CHECK_INT(lo_store_open_sqlite(path, &st, &err), LO_ESTORE);
    CHECK(st == NULL);
    CHECK_MSG(strstr(err.msg, "newer") && strstr(err.msg, "999"), "message: %s", err.msg);
}

static void test_sqlite_foreign_database_is_refused(void)
{
    struct lo_error err;
    struct lo_store *st = NULL;
    const char *path = fresh_db_path();
    CHECK_INT(sqlite_exec(path, "PRAGMA application_id = 42; CREATE TABLE t (x);"), SQLITE_OK);
    lo_error_clear(&err);
    CHECK_INT(lo_store_open_sqlite(path, &st, &err), LO_ESTORE);
    CHECK(strstr(err.msg, "another program") != NULL);
}

static void test_sqlite_committed_data_survives_reopening(void)
{
    struct lo_error err;
    struct lo_store *st = NULL;
    const char *path = fresh_db_path();
    CHECK_INT(lo_store_open_sqlite(path, &st, &err), 0);
    int64_t pid = make_project(st, "cats");
    CHECK(pid > 0);
    CHECK_INT(st->ops->begin(st, true, &err), 0);
    CHECK(add_item(st, pid, "a", "{\"x\":1}") > 0);
    CHECK_INT(st->ops->commit(st, &err), 0);
    lo_store_close(st);
    CHECK_INT(lo_store_open_sqlite(path, &st, &err), 0);
    struct lo_project_counts c;
    int rc = st->ops->project_counts(st, pid, &c, &err);
    lo_store_close(st);
    CHECK_INT(rc, 0);
    CHECK_INT(c.items, 1);
}

/* Under WAL with synchronous=NORMAL a commit is not fsynced, but it is in the WAL file: a
 * process killed right after COMMIT returned must not lose it. */
static void test_sqlite_commit_survives_a_crash_of_the_process(void)
{
    struct lo_error err;
    const char *path = fresh_db_path();
    fflush(stdout);
    pid_t child = fork();
    CHECK(child >= 0);
    if (child == 0) {
        struct lo_store *st = NULL;
        if (lo_store_open_sqlite(path, &st, &err))
            _exit(2);
        int64_t pid = make_project(st, "cats");
        if (pid <= 0 || st->ops->begin(st, true, &err) || !add_item(st, pid, "a", "{}")
            || st->ops->commit(st, &err))
            _exit(3);
        kill(getpid(), SIGKILL); /* no close, no checkpoint */
        _exit(4);
    }
    int status = 0;
    CHECK(waitpid(child, &status, 0) == child);
    CHECK_MSG(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL, "child status %d", status);
    char wal[600];
    struct stat sb;
    snprintf(wal, sizeof(wal), "%s-wal", path);
    CHECK(stat(wal, &sb) == 0 && sb.st_size > 0); /* the commit is only in the WAL */

    struct lo_store *st = NULL;
    CHECK_INT(lo_store_open_sqlite(path, &st, &err), 0);
    struct lo_arena arena;
    struct lo_project p;
    struct lo_project_counts c = { 0 };
    lo_arena_init(&arena, 0);
    int rc = st->ops->project_get(st, "cats", &arena, &p, &err);
    if (!rc)
        rc = st->ops->project_counts(st, p.id, &c, &err);
    lo_arena_free(&arena);
    lo_store_close(st);
    CHECK_INT(rc, 0);
    CHECK_INT(c.items, 1);
}

#define SQLITE_ENTRY(f) { #f, f##_sqlite },

int main(int argc, char **argv)
{
    static const struct lo_test tests[] = {
        STORE_SUITE(SQLITE_ENTRY)
        LO_T(test_sqlite_opens_in_wal_mode_at_the_current_schema_version),
        LO_T(test_sqlite_reopening_applies_no_migration_twice),
        LO_T(test_sqlite_failed_migration_changes_nothing),
        LO_T(test_sqlite_newer_database_is_refused),
        LO_T(test_sqlite_foreign_database_is_refused),
        LO_T(test_sqlite_committed_data_survives_reopening),
        LO_T(test_sqlite_commit_survives_a_crash_of_the_process),
    };
    return lo_test_run(tests, sizeof(tests) / sizeof(tests[0]), argc, argv);
}
