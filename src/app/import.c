/*
 * import.c - the import use cases: items (JSONL, CSV, TSV; also the JSONL export read back),
 * labels in long format, and model predictions.
 *
 * An import is one write transaction: it either lands whole or changes nothing. Input is
 * streamed record by record, so memory does not grow with the file. With skip_invalid, a bad
 * record is written with its line and reason to a side file instead of stopping the import;
 * errors of the store itself (disk full, ...) always stop it.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "app/app.h"
#include "app/app_int.h"
#include "base/json.h"
#include "base/limits.h"
#include "io/jsonl_pipe.h"
#include "io/labels.h"
#include "schema/schema.h"

void lo_import_opts_init(struct lo_import_opts *o)
{
    memset(o, 0, sizeof(*o));
}

/* What every import shares: the transaction, the project, its schema, the side file. */
struct import_ctx {
    struct lo_app *app;
    const struct lo_import_opts *o;
    struct lo_import_report *rep;
    const char *path;
    struct lo_arena arena;
    struct lo_project project;
    struct lo_schema *schema;       /* NULL when the project has none yet */
    FILE *rejects;
    char *rejects_path;
    int64_t now_ms;
    struct lo_buf scratch;
};

static int import_begin(struct import_ctx *c, struct lo_app *app, const char *project,
                        const char *path, const struct lo_import_opts *o,
                        struct lo_import_report *rep, struct lo_error *err)
{
    memset(c, 0, sizeof(*c));
    memset(rep, 0, sizeof(*rep));
    c->app = app;
    c->o = o;
    c->rep = rep;
    c->path = path;
    c->now_ms = lo_clock_now_ms(&app->clock);
    lo_arena_init(&c->arena, 16 * 1024);
    lo_buf_init(&c->scratch, LO_LIMIT_JSONL_LINE * 2);
    struct lo_store *st = app->store;
    int rc = st->ops->begin(st, true, err);
    if (rc)
        return rc;
    rc = lo__app_find_project_for(app, project, LO_ACT_IMPORT, &c->arena, &c->project, err);
    if (rc)
        return rc;
    if (c->project.schema_json) {
        rc = lo_schema_parse(c->project.schema_json, strlen(c->project.schema_json), &c->schema,
                             err);
        if (rc) {
            lo_error_prefix(err, "stored schema of project '%s'", project);
            return rc;
        }
    }
    if (o->skip_invalid) {
        const char *rp = o->rejects_path;
        if (!rp) {
            size_t n = strlen(path) + 32;
            c->rejects_path = malloc(n);
            if (!c->rejects_path)
                return lo_error_set(err, LO_ENOMEM, "out of memory");
            snprintf(c->rejects_path, n, "%s.rejected.jsonl", strcmp(path, "-") ? path : "stdin");
            rp = c->rejects_path;
        }
        c->rejects = fopen(rp, "w");
        if (!c->rejects) {
            lo_error_set(err, LO_EIO, "cannot write the rejects file");
            return lo_error_at(err, rp, 0);
        }
    }
    return 0;
}

static int import_end(struct import_ctx *c, int rc, const char *kind, struct lo_error *err)
{
    struct lo_store *st = c->app->store;
    int64_t tasks_added = 0;
    if (!rc) /* new items of a project with a workflow join its queue */
        rc = lo__wf_sync(c->app, c->project.id, &tasks_added, err);
    if (!rc && c->rep->predictions > 0) /* routing by the least confident prediction */
        rc = lo__wf_rescore(c->app, c->project.id, err);
    if (!rc) {
        json_t *payload = json_pack(
            "{s:s, s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}", "kind", kind, "file", c->path,
            "lines", (json_int_t)c->rep->lines, "items_inserted",
            (json_int_t)c->rep->items_inserted, "items_updated", (json_int_t)c->rep->items_updated,
            "items_skipped", (json_int_t)(c->rep->items_skipped + c->rep->items_unchanged),
            "annotations", (json_int_t)c->rep->annotations, "predictions",
            (json_int_t)c->rep->predictions, "gold", (json_int_t)c->rep->gold, "rejected",
            (json_int_t)c->rep->rejected);
        rc = lo__app_event(c->app, c->project.id, "imported", "project", c->project.id, payload,
                           err);
    }
    if (!rc)
        rc = st->ops->commit(st, err);
    if (rc)
        st->ops->rollback(st);
    if (c->rejects) {
        if (fclose(c->rejects) != 0 && !rc)
            rc = lo_error_set(err, LO_EIO, "writing the rejects file failed");
    }
    c->rep->seconds = (double)(lo_clock_now_ms(&c->app->clock) - c->now_ms) / 1000.0;
    free(c->rejects_path);
    lo_schema_free(c->schema);
    lo_buf_free(&c->scratch);
    lo_arena_free(&c->arena);
    return rc;
}

/* Decides what a bad record does: with skip_invalid it is written to the side file and the
 * import goes on (returns 0); otherwise the error stands (returns its code). Errors that are not
 * about the record (store, memory, limits that leave the reader mid-record) always stand. */
static int reject(struct import_ctx *c, long line, struct lo_str raw, int rc,
                  struct lo_error *err)
{
    if (!err->file[0] || err->line == 0)
        lo_error_at(err, c->path, line);
    if (!c->o->skip_invalid || (rc != LO_EINVAL && rc != LO_ELIMIT))
        return rc;
    char msg[1024];
    lo_error_format(err, msg, sizeof(msg));
    json_t *rec = json_pack("{s:I, s:s}", "line", (json_int_t)line, "error", msg);
    if (raw.len && lo_utf8_valid(raw.ptr, raw.len, NULL))
        json_object_set_new(rec, "record", json_stringn(raw.ptr, raw.len));
    char *s = lo_json_dump(rec);
    json_decref(rec);
    if (s) {
        fprintf(c->rejects, "%s\n", s);
        free(s);
    }
    c->rep->rejected++;
    lo_error_clear(err);
    return 0;
}

/* ---- time stamps in exports -------------------------------------------------------------- */

static int64_t days_from_civil(int64_t y, int64_t m, int64_t d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

/* Parses 2026-11-27T21:00:00.000Z (milliseconds optional) or a number of milliseconds. */
static bool parse_time(const json_t *v, int64_t *ms)
{
    if (json_is_integer(v)) {
        *ms = (int64_t)json_integer_value(v);
        return true;
    }
    if (!json_is_string(v))
        return false;
    const char *s = json_string_value(v);
    int y, mo, d, h, mi, sec, frac = 0, n = 0;
    if (sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%n", &y, &mo, &d, &h, &mi, &sec, &n) != 6)
        return false;
    const char *p = s + n;
    if (*p == '.') {
        int digits = 0;
        p++;
        while (*p >= '0' && *p <= '9') {
            if (digits < 3) {
                frac = frac * 10 + (*p - '0');
                digits++;
            }
            p++;
        }
        while (digits++ < 3)
            frac *= 10;
    }
    if (strcmp(p, "Z") != 0 || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 ||
        sec > 60)
        return false;
    *ms = ((days_from_civil(y, mo, d) * 86400) + h * 3600 + mi * 60 + sec) * 1000 + frac;
    return true;
}

/* ---- items ------------------------------------------------------------------------------- */

static const char *const id_keys[] = { "id", "external_id", "item", "item_id", NULL };

static int scalar_text(const json_t *v, char *out, size_t cap)
{
    if (json_is_string(v)) {
        if (json_string_length(v) >= cap)
            return LO_ELIMIT;
        memcpy(out, json_string_value(v), json_string_length(v) + 1);
        return 0;
    }
    if (json_is_integer(v)) {
        snprintf(out, cap, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
        return 0;
    }
    return LO_EINVAL;
}

/* Validates a value against the schema (when there is one) and dumps it. */
static int value_text(struct import_ctx *c, const json_t *value, const json_t *payload,
                      const char *what, char **out, struct lo_error *err)
{
    if (!json_is_object(value))
        return lo_error_field(err, LO_EINVAL, what, "%s must be a JSON object {field: value}",
                              what);
    if (!c->schema)
        return lo_error_field(err, LO_EINVAL, what,
                              "project '%s' has no label schema yet: create it with --schema or "
                              "import labels first",
                              c->project.name);
    int rc = lo_schema_validate_value(c->schema, value, payload, err);
    if (rc) {
        char field[LO_ERROR_FIELD_MAX];
        snprintf(field, sizeof(field), "%s.%s", what, err->field);
        snprintf(err->field, sizeof(err->field), "%s", field);
        return rc;
    }
    *out = lo_json_dump(value);
    return *out ? 0 : lo_error_set(err, LO_ENOMEM, "out of memory");
}

/* Reads one annotation of an export-shaped line into *ann, validating its value; *value_out
 * (malloc'd) backs ann->value_json. Strings in ann are borrowed from a. */
static int annotation_from_json(struct import_ctx *c, const json_t *payload, const json_t *a,
                                size_t index, struct lo_annotation *ann, char **value_out,
                                struct lo_error *err)
{
    char what[64];
    snprintf(what, sizeof(what), "annotations[%zu]", index);
    if (!json_is_object(a))
        return lo_error_field(err, LO_EINVAL, what, "an annotation must be a JSON object");
    const char *annotator = json_string_value(json_object_get(a, "annotator"));
    if (!annotator || !annotator[0])
        return lo_error_field(err, LO_EINVAL, what, "annotation without an annotator name");
    if (strlen(annotator) > LO_LIMIT_NAME)
        return lo_error_field(err, LO_ELIMIT, what, "annotator name longer than %d bytes",
                              LO_LIMIT_NAME);
    *ann = (struct lo_annotation){
        .project_id = c->project.id,
        .annotator = annotator,
        .created_ms = c->now_ms,
        .guideline_version = c->project.guideline_version,
        .schema_version = c->project.schema_version,
        .workflow_stage = "import",
        .working_seconds = NAN,
        .source = "import",
    };
    const json_t *t = json_object_get(a, "created");
    if (t && !parse_time(t, &ann->created_ms))
        return lo_error_field(err, LO_EINVAL, what,
                              "created must be a time like 2026-11-27T21:00:00.000Z");
    const json_t *gv = json_object_get(a, "guideline_version");
    const json_t *sv = json_object_get(a, "schema_version");
    if (gv && !json_is_null(gv) && !json_is_integer(gv))
        return lo_error_field(err, LO_EINVAL, what, "guideline_version must be an integer");
    if (sv && !json_is_null(sv) && !json_is_integer(sv))
        return lo_error_field(err, LO_EINVAL, what, "schema_version must be an integer");
    if (gv)
        ann->guideline_version = (int)json_integer_value(gv);
    if (sv)
        ann->schema_version = (int)json_integer_value(sv);
    if (json_is_string(json_object_get(a, "workflow_stage")))
        ann->workflow_stage = json_string_value(json_object_get(a, "workflow_stage"));
    if (json_is_string(json_object_get(a, "lease_id")))
        ann->lease_id = json_string_value(json_object_get(a, "lease_id"));
    if (json_is_number(json_object_get(a, "working_seconds")))
        ann->working_seconds = json_number_value(json_object_get(a, "working_seconds"));
    if (json_is_string(json_object_get(a, "source")))
        ann->source = json_string_value(json_object_get(a, "source"));
    int rc = value_text(c, json_object_get(a, "value"), payload, what, value_out, err);
    if (rc)
        return rc;
    ann->value_json = *value_out;
    return 0;
}

/* Reads one prediction into *pr, validating its value; *value_out backs pr->value_json. */
static int prediction_from_json(struct import_ctx *c, const json_t *payload, const json_t *p,
                                const char *what, struct lo_prediction *pr, char **value_out,
                                struct lo_error *err)
{
    if (!json_is_object(p))
        return lo_error_field(err, LO_EINVAL, what, "a prediction must be a JSON object");
    const char *model = json_string_value(json_object_get(p, "model"));
    if (!model)
        model = c->o->model;
    if (!model || !model[0])
        return lo_error_field(err, LO_EINVAL, what,
                              "prediction without a model name (give --model)");
    const char *version = json_string_value(json_object_get(p, "model_version"));
    if (!version)
        version = c->o->model_version ? c->o->model_version : "";
    const json_t *score = json_object_get(p, "score");
    if (score && !json_is_null(score) && !json_is_number(score))
        return lo_error_field(err, LO_EINVAL, what, "score must be a number");
    *pr = (struct lo_prediction){
        .project_id = c->project.id,
        .model_name = model,
        .model_version = version,
        .score = json_is_number(score) ? json_number_value(score) : NAN,
        .created_ms = c->now_ms,
    };
    const json_t *t = json_object_get(p, "created");
    if (t && !parse_time(t, &pr->created_ms))
        return lo_error_field(err, LO_EINVAL, what, "created must be a time");
    int rc = value_text(c, json_object_get(p, "value"), payload, what, value_out, err);
    if (rc)
        return rc;
    pr->value_json = *value_out;
    return 0;
}

static int insert_prediction(struct import_ctx *c, int64_t item_id, const json_t *payload,
                             const json_t *p, const char *what, struct lo_error *err)
{
    struct lo_prediction pr;
    char *value = NULL;
    int rc = prediction_from_json(c, payload, p, what, &pr, &value, err);
    if (!rc) {
        int64_t id;
        pr.item_id = item_id;
        rc = c->app->store->ops->prediction_insert(c->app->store, &pr, &id, err);
        if (!rc)
            c->rep->predictions++;
    }
    free(value);
    return rc;
}

static void count_outcome(struct lo_import_report *rep, enum lo_item_outcome oc)
{
    switch (oc) {
    case LO_ITEM_INSERTED: rep->items_inserted++; break;
    case LO_ITEM_EXISTED: rep->items_skipped++; break;
    case LO_ITEM_UPDATED: rep->items_updated++; break;
    case LO_ITEM_UNCHANGED: rep->items_unchanged++; break;
    }
}

static int check_external_id(const char *id, struct lo_error *err)
{
    size_t n = strlen(id);
    if (n == 0)
        return lo_error_field(err, LO_EINVAL, "id", "empty item id");
    if (n > LO_LIMIT_EXTERNAL_ID)
        return lo_error_field(err, LO_ELIMIT, "id", "item id longer than %d bytes "
                              "(LO_LIMIT_EXTERNAL_ID)", LO_LIMIT_EXTERNAL_ID);
    return 0;
}

/* Checks an export-shaped item's "gold_section": the heading text of the guideline section
 * its gold answer comes from (gold feedback shows that section, docs/workflow.md). A
 * non-blank string of one line, at most LO_LIMIT_GOLD_SECTION bytes, and only beside a gold
 * answer. */
static int check_gold_section(const json_t *v, bool has_gold, struct lo_error *err)
{
    if (!json_is_string(v))
        return lo_error_field(err, LO_EINVAL, "gold_section",
                              "gold_section must be a string: the heading of a guideline section");
    size_t n = json_string_length(v);
    if (n > LO_LIMIT_GOLD_SECTION)
        return lo_error_field(err, LO_ELIMIT, "gold_section",
                              "gold_section longer than %d bytes (LO_LIMIT_GOLD_SECTION)",
                              LO_LIMIT_GOLD_SECTION);
    const char *t = json_string_value(v);
    bool blank = true;
    for (size_t i = 0; i < n; i++) {
        if (t[i] == '\n' || t[i] == '\r' || t[i] == '\0')
            return lo_error_field(err, LO_EINVAL, "gold_section",
                                  "gold_section must be one line: a heading's text");
        blank = blank && (t[i] == ' ' || t[i] == '\t');
    }
    if (blank)
        return lo_error_field(err, LO_EINVAL, "gold_section", "gold_section is empty");
    if (!has_gold)
        return lo_error_field(err, LO_EINVAL, "gold_section",
                              "gold_section without gold: it names where a gold answer comes from");
    return 0;
}

/* An item read and validated, waiting to be written with its batch. */
struct pending_item {
    json_t *obj;                  /* held: annotation strings point into it */
    char ext[LO_LIMIT_EXTERNAL_ID + 1];
    char *payload_text;
    char *gold_text;
    const char *gold_section;     /* borrowed from obj; NULL when none */
    struct lo_annotation *anns;
    char **ann_values;
    size_t n_anns;
    struct lo_prediction *preds;
    char **pred_values;
    size_t n_preds;
};

#define ITEM_BATCH 64

struct item_batch {
    struct pending_item p[ITEM_BATCH];
    struct lo_item items[ITEM_BATCH];
    int64_t ids[ITEM_BATCH];
    enum lo_item_outcome outcomes[ITEM_BATCH];
    size_t n;
};

static void pending_free(struct pending_item *p)
{
    for (size_t i = 0; i < p->n_anns; i++)
        free(p->ann_values[i]);
    for (size_t i = 0; i < p->n_preds; i++)
        free(p->pred_values[i]);
    free(p->anns);
    free(p->ann_values);
    free(p->preds);
    free(p->pred_values);
    free(p->payload_text);
    free(p->gold_text);
    json_decref(p->obj);
    memset(p, 0, sizeof(*p));
}

/* Turns the outcome of reading an item's id (0, LO_ENOTFOUND: no id key, LO_ELIMIT: too long,
 * LO_EINVAL: not a string or an integer) into the error both item paths report, and checks a
 * read id. */
static int item_id_checked(struct import_ctx *c, int rc, const char *id_key, const char *ext,
                           struct lo_error *err)
{
    if (rc == LO_ENOTFOUND)
        return lo_error_field(err, LO_EINVAL, c->o->id_field ? c->o->id_field : "id",
                              "no item id (a key id, external_id, item or item_id, or name it "
                              "with --id-field)");
    if (rc == LO_ELIMIT)
        return lo_error_field(err, LO_ELIMIT, id_key, "item id longer than %d bytes",
                              LO_LIMIT_EXTERNAL_ID);
    if (rc)
        return lo_error_field(err, LO_EINVAL, id_key, "item id must be a string or an integer");
    return check_external_id(ext, err);
}

/* Reads a plain item line (no "data" key, no field mapping) from what the scanner found: the id
 * from its key's text, the payload as the line's text. The same rules and errors as
 * prepare_item, without a DOM: jansson never sees these lines. */
static int prepare_scanned_item(struct import_ctx *c, const struct lo_jsonl_rec *rec,
                                struct pending_item *p, struct lo_error *err)
{
    memset(p, 0, sizeof(*p));
    const struct lo_jsonl_value *idv = NULL;
    const char *id_key = c->o->id_field;
    if (id_key) {
        if (rec->keys[0].kind != LO_JSON_NONE)
            idv = &rec->keys[0];
    } else {
        for (size_t k = 0; id_keys[k] && !idv; k++) {
            if (rec->keys[k].kind != LO_JSON_NONE)
                idv = &rec->keys[k];
            id_key = id_keys[k];
        }
    }
    int rc = LO_ENOTFOUND;
    if (idv && idv->kind == LO_JSON_STRING) {
        size_t n;
        rc = lo_json_string_decode(idv->text, p->ext, sizeof(p->ext), &n);
    } else if (idv && idv->kind == LO_JSON_INTEGER) {
        snprintf(p->ext, sizeof(p->ext), "%lld", (long long)lo_json_integer_value(idv->text));
        rc = 0;
    } else if (idv) {
        rc = LO_EINVAL;
    }
    rc = item_id_checked(c, rc, id_key, p->ext, err);
    if (rc)
        return rc;
    p->payload_text = strndup(rec->text.ptr, rec->text.len);
    if (!p->payload_text)
        return lo_error_set(err, LO_ENOMEM, "out of memory");
    return 0;
}

/* Reads and validates one item object (taken over) into *p. raw, when not empty, is the
 * object's text exactly as read: when the payload is the object itself it is stored as given,
 * which spares serialising it again. Nothing is written here: a record that fails leaves
 * nothing behind. */
static int prepare_item(struct import_ctx *c, json_t *obj, struct lo_str raw,
                        struct pending_item *p, struct lo_error *err)
{
    int rc = 0;
    memset(p, 0, sizeof(*p));
    p->obj = obj;
    const char *id_key = c->o->id_field;
    json_t *idv = NULL;
    if (id_key) {
        idv = json_object_get(obj, id_key);
    } else {
        for (const char *const *k = id_keys; *k && !idv; k++) {
            idv = json_object_get(obj, *k);
            id_key = *k;
        }
    }
    rc = idv ? scalar_text(idv, p->ext, sizeof(p->ext)) : LO_ENOTFOUND;
    rc = item_id_checked(c, rc, id_key, p->ext, err);
    if (rc)
        goto fail;

    json_t *data = json_object_get(obj, "data");
    bool export_shape = json_is_object(data);
    json_t *payload = obj;
    bool raw_payload = false;
    if (export_shape) {
        payload = data;
        /* Keep the payload's text as written, so an export read back exports the same bytes. */
        struct lo_str data_text;
        if (raw.len && lo_json_member_text(raw, "data", &data_text)) {
            raw = data_text;
            raw_payload = true;
        }
    } else if (raw.len && !c->o->text_field && !c->o->image_field) {
        raw_payload = true;
    } else {
        const char *maps[2][2] = { { c->o->text_field, "text" }, { c->o->image_field, "image" } };
        for (int m = 0; m < 2; m++) {
            if (!maps[m][0])
                continue;
            json_t *v = json_object_get(obj, maps[m][0]);
            if (!v) {
                rc = lo_error_field(err, LO_EINVAL, maps[m][0], "no key '%s' in the item",
                                    maps[m][0]);
                goto fail;
            }
            json_object_set(obj, maps[m][1], v);
            if (strcmp(maps[m][0], maps[m][1]) != 0)
                json_object_del(obj, maps[m][0]);
        }
    }
    json_t *anns = export_shape ? json_object_get(obj, "annotations") : NULL;
    json_t *preds = export_shape ? json_object_get(obj, "predictions") : NULL;
    json_t *gold = export_shape ? json_object_get(obj, "gold") : NULL;
    json_t *section = export_shape ? json_object_get(obj, "gold_section") : NULL;
    if (anns && !json_is_array(anns)) {
        rc = lo_error_field(err, LO_EINVAL, "annotations", "annotations must be an array");
        goto fail;
    }
    if (preds && !json_is_array(preds)) {
        rc = lo_error_field(err, LO_EINVAL, "predictions", "predictions must be an array");
        goto fail;
    }
    size_t na = json_array_size(anns), np = json_array_size(preds);
    if (na > LO_LIMIT_ANNOTATIONS_PER_ITEM) {
        rc = lo_error_field(err, LO_ELIMIT, "annotations",
                            "more than %d annotations on one item (LO_LIMIT_ANNOTATIONS_PER_ITEM)",
                            LO_LIMIT_ANNOTATIONS_PER_ITEM);
        goto fail;
    }
    if (gold && !json_is_null(gold)) {
        rc = value_text(c, gold, payload, "gold", &p->gold_text, err);
        if (rc)
            goto fail;
    }
    if (section && !json_is_null(section)) {
        rc = check_gold_section(section, p->gold_text != NULL, err);
        if (rc)
            goto fail;
        p->gold_section = json_string_value(section);
    }
    if (na) {
        p->anns = calloc(na, sizeof(*p->anns));
        p->ann_values = calloc(na, sizeof(char *));
        if (!p->anns || !p->ann_values) {
            rc = lo_error_set(err, LO_ENOMEM, "out of memory");
            goto fail;
        }
        for (size_t i = 0; i < na; i++) {
            rc = annotation_from_json(c, payload, json_array_get(anns, i), i, &p->anns[i],
                                      &p->ann_values[i], err);
            if (rc)
                goto fail;
            p->n_anns++;
        }
    }
    if (np) {
        p->preds = calloc(np, sizeof(*p->preds));
        p->pred_values = calloc(np, sizeof(char *));
        if (!p->preds || !p->pred_values) {
            rc = lo_error_set(err, LO_ENOMEM, "out of memory");
            goto fail;
        }
        for (size_t i = 0; i < np; i++) {
            char what[64];
            snprintf(what, sizeof(what), "predictions[%zu]", i);
            rc = prediction_from_json(c, payload, json_array_get(preds, i), what, &p->preds[i],
                                      &p->pred_values[i], err);
            if (rc)
                goto fail;
            p->n_preds++;
        }
    }
    p->payload_text = raw_payload ? strndup(raw.ptr, raw.len) : lo_json_dump(payload);
    if (!p->payload_text) {
        rc = lo_error_set(err, LO_ENOMEM, "out of memory");
        goto fail;
    }
    return 0;
fail:
    pending_free(p);
    return rc;
}

/* Writes a batch of prepared items and everything attached to them. Only store failures can
 * happen here, and they stop the import. */
static int flush_items(struct import_ctx *c, struct item_batch *b, struct lo_error *err)
{
    struct lo_store *st = c->app->store;
    int rc = 0;
    if (b->n == 0)
        return 0;
    for (size_t i = 0; i < b->n; i++)
        b->items[i] = (struct lo_item){
            .project_id = c->project.id,
            .external_id = b->p[i].ext,
            .payload_json = b->p[i].payload_text,
            .gold_section = b->p[i].gold_section,
            .created_ms = c->now_ms,
        };
    rc = st->ops->item_insert_many(st, b->items, b->n,
                                   c->o->update ? LO_ITEM_UPDATE : LO_ITEM_SKIP, b->ids,
                                   b->outcomes, err);
    for (size_t i = 0; !rc && i < b->n; i++) {
        struct pending_item *p = &b->p[i];
        count_outcome(c->rep, b->outcomes[i]);
        if (b->outcomes[i] == LO_ITEM_EXISTED || b->outcomes[i] == LO_ITEM_UNCHANGED) {
            c->rep->annotations_skipped += (int64_t)p->n_anns;
            continue;
        }
        if (p->gold_text) {
            rc = st->ops->item_set_gold(st, b->ids[i], p->gold_text, err);
            if (rc)
                break;
            c->rep->gold++;
        }
        if (p->n_anns) {
            for (size_t k = 0; k < p->n_anns; k++)
                p->anns[k].item_id = b->ids[i];
            int64_t stack_ids[64];
            int64_t *ids = p->n_anns <= 64 ? stack_ids : malloc(p->n_anns * sizeof(int64_t));
            if (!ids) {
                rc = lo_error_set(err, LO_ENOMEM, "out of memory");
                break;
            }
            rc = st->ops->annotation_insert_many(st, p->anns, p->n_anns, ids, err);
            if (ids != stack_ids)
                free(ids);
            if (rc)
                break;
            c->rep->annotations += (int64_t)p->n_anns;
        }
        for (size_t k = 0; k < p->n_preds; k++) {
            int64_t id;
            p->preds[k].item_id = b->ids[i];
            rc = st->ops->prediction_insert(st, &p->preds[k], &id, err);
            if (rc)
                break;
            c->rep->predictions++;
        }
    }
    for (size_t i = 0; i < b->n; i++)
        pending_free(&b->p[i]);
    b->n = 0;
    return rc;
}

/* Counts an item just prepared into b->p[b->n] (rc 0) into the batch, writing the batch when
 * it is full. */
static int batch_added(struct import_ctx *c, struct item_batch *b, int rc, struct lo_error *err)
{
    if (rc)
        return rc;
    b->n++;
    if (b->n == ITEM_BATCH)
        return flush_items(c, b, err) ? LO_ESTORE : 0;
    return 0;
}

/* Adds one item object (taken over) to the batch, writing the batch when it is full. A record
 * that fails validation returns LO_EINVAL/LO_ELIMIT and is not in the batch. */
static int batch_item(struct import_ctx *c, struct item_batch *b, json_t *obj, struct lo_str raw,
                      struct lo_error *err)
{
    int rc = prepare_item(c, obj, raw, &b->p[b->n], err);
    return batch_added(c, b, rc, err);
}

/* Like batch_item, for a plain line the scanner has read (no json_t). */
static int batch_scanned_item(struct import_ctx *c, struct item_batch *b,
                              const struct lo_jsonl_rec *rec, struct lo_error *err)
{
    int rc = prepare_scanned_item(c, rec, &b->p[b->n], err);
    return batch_added(c, b, rc, err);
}

static int import_items_jsonl(struct import_ctx *c, FILE *fp, struct lo_error *err)
{
    struct lo_jsonl_pipe *pipe;
    struct item_batch *b = calloc(1, sizeof(*b));
    if (!b)
        return lo_error_set(err, LO_ENOMEM, "out of memory");
    /* Plain item lines are only scanned; jansson parses the export shape (a "data" key: its
     * annotations, predictions and gold need values) and lines whose fields are renamed. */
    struct lo_jsonl_pipe_opts po = {
        .max_line = LO_LIMIT_JSONL_LINE,
        .dom_key = "data",
        .dom_always = c->o->text_field || c->o->image_field,
    };
    if (c->o->id_field) {
        po.keys[po.n_keys++] = c->o->id_field;
    } else {
        for (const char *const *k = id_keys; *k; k++)
            po.keys[po.n_keys++] = *k;
    }
    int rc = lo_jsonl_pipe_start(&pipe, fp, c->path, &po, err);
    if (rc) {
        free(b);
        return rc;
    }
    struct lo_jsonl_rec rec;
    for (;;) {
        rc = lo_jsonl_pipe_next(pipe, &rec, err);
        if (rc <= 0)
            break;
        c->rep->lines++;
        if (!rec.code && rec.kind != LO_JSON_OBJECT) {
            rec.code = LO_EINVAL;
            rec.error = "a line must hold a JSON object";
        }
        if (rec.code) {
            lo_error_set(err, rec.code, "%s", rec.error);
            rc = reject(c, rec.line, rec.text, rec.code, err);
            if (rc)
                break;
            continue;
        }
        /* The payload text must outlive the pipe's batch: prepare_item copies it. */
        if (rec.obj)
            rc = batch_item(c, b, json_incref(rec.obj), rec.text, err);
        else
            rc = batch_scanned_item(c, b, &rec, err);
        if (rc == LO_ESTORE && err->code != LO_EINVAL && err->code != LO_ELIMIT)
            rc = err->code ? err->code : LO_ESTORE;
        if (rc) {
            rc = reject(c, rec.line, rec.text, rc, err);
            if (rc)
                break;
        }
    }
    if (!rc)
        rc = flush_items(c, b, err);
    for (size_t i = 0; i < b->n; i++)
        pending_free(&b->p[i]);
    free(b);
    lo_jsonl_pipe_stop(pipe);
    return rc;
}

static int find_header(struct lo_str *hdr, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (lo_str_eq_cstr(lo_str_trim(hdr[i]), name))
            return (int)i;
    return -1;
}

static int import_items_csv(struct import_ctx *c, FILE *fp, char delim, struct lo_error *err)
{
    struct lo_csv_reader r;
    int rc = lo_csv_open(&r, fp, c->path, delim, delim == ',', err);
    if (rc)
        return rc;
    struct lo_str *f;
    size_t n;
    char **names = NULL;
    struct item_batch *b = calloc(1, sizeof(*b));
    if (!b) {
        lo_csv_close(&r);
        return lo_error_set(err, LO_ENOMEM, "out of memory");
    }
    size_t ncols = 0;
    rc = lo_csv_next(&r, &f, &n, err);
    if (rc <= 0) {
        if (rc == 0) {
            lo_error_set(err, LO_EINVAL, "empty file: no header row");
            rc = lo_error_at(err, c->path, 1);
        }
        goto out;
    }
    int id_col = -1;
    if (c->o->id_field) {
        id_col = find_header(f, n, c->o->id_field);
    } else {
        for (const char *const *k = id_keys; *k && id_col < 0; k++)
            id_col = find_header(f, n, *k);
    }
    if (id_col < 0) {
        lo_error_field(err, LO_EINVAL, c->o->id_field ? c->o->id_field : "id",
                       "no id column (id, external_id, item or item_id; or --id-field)");
        rc = lo_error_at(err, c->path, 1);
        goto out;
    }
    ncols = n;
    names = calloc(n, sizeof(char *));
    if (!names) {
        rc = lo_error_set(err, LO_ENOMEM, "out of memory");
        goto out;
    }
    bool found_text = !c->o->text_field, found_image = !c->o->image_field;
    for (size_t i = 0; i < n; i++) {
        struct lo_str h = lo_str_trim(f[i]);
        const char *nm = NULL;
        if (c->o->text_field && lo_str_eq_cstr(h, c->o->text_field)) {
            nm = "text";
            found_text = true;
        } else if (c->o->image_field && lo_str_eq_cstr(h, c->o->image_field)) {
            nm = "image";
            found_image = true;
        }
        names[i] = nm ? strdup(nm) : strndup(h.ptr, h.len);
        if (!names[i]) {
            rc = lo_error_set(err, LO_ENOMEM, "out of memory");
            goto out;
        }
    }
    if (!found_text || !found_image) {
        const char *missing = !found_text ? c->o->text_field : c->o->image_field;
        lo_error_field(err, LO_EINVAL, missing, "no column named '%s'", missing);
        rc = lo_error_at(err, c->path, 1);
        goto out;
    }
    for (;;) {
        rc = lo_csv_next(&r, &f, &n, err);
        if (rc == 0)
            break;
        if (rc < 0) {
            if (rc == LO_EINVAL && c->o->skip_invalid && r.src.eof == false) {
                rc = reject(c, r.record_line, (struct lo_str){ NULL, 0 }, rc, err);
                if (rc)
                    break;
                continue;
            }
            break;
        }
        c->rep->lines++;
        if (n != ncols) {
            lo_error_set(err, LO_EINVAL, "record has %zu fields, the header has %zu", n, ncols);
            rc = reject(c, r.record_line, (struct lo_str){ NULL, 0 }, LO_EINVAL, err);
            if (rc)
                break;
            continue;
        }
        json_t *obj = json_object();
        for (size_t i = 0; i < n; i++) {
            json_t *v = json_stringn(f[i].ptr, f[i].len);
            if ((int)i == id_col)
                json_object_set_new(obj, "id", v);
            else
                json_object_set_new(obj, names[i], v);
        }
        /* The id column is renamed to "id" above, so the object path finds it. */
        struct lo_import_opts o2 = *c->o;
        o2.id_field = "id";
        o2.text_field = NULL;
        o2.image_field = NULL;
        const struct lo_import_opts *saved = c->o;
        c->o = &o2;
        rc = batch_item(c, b, obj, (struct lo_str){ NULL, 0 }, err);
        if (rc == LO_ESTORE && err->code != LO_EINVAL && err->code != LO_ELIMIT)
            rc = err->code ? err->code : LO_ESTORE;
        c->o = saved;
        if (rc) {
            rc = reject(c, r.record_line, (struct lo_str){ NULL, 0 }, rc, err);
            if (rc)
                break;
        }
    }
    if (!rc)
        rc = flush_items(c, b, err);
out:
    for (size_t i = 0; i < b->n; i++)
        pending_free(&b->p[i]);
    free(b);
    for (size_t i = 0; names && i < ncols; i++)
        free(names[i]);
    free(names);
    lo_csv_close(&r);
    return rc;
}

static int open_input(const char *path, FILE **fp, struct lo_error *err)
{
    if (strcmp(path, "-") == 0) {
        *fp = stdin;
        return 0;
    }
    *fp = fopen(path, "rb");
    if (!*fp) {
        lo_error_set(err, LO_EIO, "cannot open file");
        return lo_error_at(err, path, 0);
    }
    return 0;
}

static void close_input(FILE *fp)
{
    if (fp && fp != stdin)
        fclose(fp);
}

int lo_app_import_items(struct lo_app *app, const char *project, const char *path,
                        const struct lo_import_opts *o, struct lo_import_report *rep,
                        struct lo_error *err)
{
    struct import_ctx c;
    FILE *fp = NULL;
    int rc = import_begin(&c, app, project, path, o, rep, err);
    if (!rc)
        rc = open_input(path, &fp, err);
    if (!rc) {
        enum lo_format fmt = o->format ? o->format : lo_format_from_path(path);
        if (fmt == LO_FMT_AUTO)
            fmt = LO_FMT_JSONL;
        if (fmt == LO_FMT_JSONL)
            rc = import_items_jsonl(&c, fp, err);
        else
            rc = import_items_csv(&c, fp, fmt == LO_FMT_TSV ? '\t' : ',', err);
    }
    close_input(fp);
    return import_end(&c, rc, "items", err);
}

/* ---- labels ------------------------------------------------------------------------------ */

struct item_cache {
    char ext[LO_LIMIT_EXTERNAL_ID + 1];
    int64_t id;
    bool valid;
    char gold[LO_LIMIT_LABEL + 1];
    bool gold_set;
};

static int item_for_label(struct import_ctx *c, struct item_cache *ic, struct lo_str ext,
                          struct lo_error *err)
{
    if (ic->valid && strlen(ic->ext) == ext.len && memcmp(ic->ext, ext.ptr, ext.len) == 0)
        return 0;
    if (ext.len > LO_LIMIT_EXTERNAL_ID)
        return lo_error_field(err, LO_ELIMIT, "item", "item id longer than %d bytes",
                              LO_LIMIT_EXTERNAL_ID);
    memcpy(ic->ext, ext.ptr, ext.len);
    ic->ext[ext.len] = '\0';
    ic->valid = false;
    ic->gold_set = false;
    struct lo_item item = {
        .project_id = c->project.id,
        .external_id = ic->ext,
        .payload_json = "{}",
        .created_ms = c->now_ms,
    };
    enum lo_item_outcome oc;
    int rc = c->app->store->ops->item_insert(c->app->store, &item, LO_ITEM_SKIP, &ic->id, &oc,
                                             err);
    if (rc)
        return rc;
    if (oc == LO_ITEM_INSERTED)
        c->rep->items_inserted++;
    ic->valid = true;
    return 0;
}

/* The value object of a plain label: through the schema when there is one, else the shape the
 * inferred schema will have ({"label": "text"} or {"label": number}). */
static int label_value(struct import_ctx *c, struct lo_schema_inferrer *inf, struct lo_str label,
                       const char *what, char **out, struct lo_error *err)
{
    json_t *v = NULL;
    int rc;
    if (c->schema) {
        rc = lo_schema_value_from_label(c->schema, c->o->value_field, label, &v, err);
        if (!rc)
            rc = lo_schema_validate_value(c->schema, v, NULL, err);
        if (rc) {
            if (!err->field[0])
                snprintf(err->field, sizeof(err->field), "%s", what);
            json_decref(v);
            return rc;
        }
    } else {
        rc = lo_schema_inferrer_add(inf, label, err);
        if (rc) {
            snprintf(err->field, sizeof(err->field), "%s", what);
            return rc;
        }
        struct lo_str t = lo_str_trim(label);
        if (c->o->numeric) {
            double d;
            lo_str_to_double(t, &d);
            v = json_pack("{s:f}", "label", d);
            if (v && d == floor(d) && fabs(d) < 9e15)
                json_object_set_new(v, "label", json_integer((json_int_t)d));
        } else {
            v = json_object();
            if (v)
                json_object_set_new(v, "label", json_stringn(t.ptr, t.len));
        }
    }
    *out = v ? lo_json_dump(v) : NULL;
    json_decref(v);
    return *out ? 0 : lo_error_set(err, LO_ENOMEM, "out of memory");
}

static int import_label_row(struct import_ctx *c, struct lo_schema_inferrer *inf,
                            struct item_cache *ic, const struct lo_label_row *row,
                            struct lo_error *err)
{
    char *value = NULL, *gold = NULL;
    if (row->annotator.len > LO_LIMIT_NAME)
        return lo_error_field(err, LO_ELIMIT, "annotator", "annotator name longer than %d bytes",
                              LO_LIMIT_NAME);
    if (row->has_gold && row->gold.len > LO_LIMIT_LABEL)
        return lo_error_field(err, LO_ELIMIT, "gold", "gold label longer than %d bytes",
                              LO_LIMIT_LABEL);
    /* Values first: a row that fails writes nothing. */
    int rc = label_value(c, inf, row->label, "label", &value, err);
    bool same_gold = ic->valid && ic->gold_set && strlen(ic->ext) == row->item.len &&
                     memcmp(ic->ext, row->item.ptr, row->item.len) == 0 &&
                     strlen(ic->gold) == row->gold.len &&
                     memcmp(ic->gold, row->gold.ptr, row->gold.len) == 0;
    if (!rc && row->has_gold && !same_gold)
        rc = label_value(c, inf, row->gold, "gold", &gold, err);
    if (!rc)
        rc = item_for_label(c, ic, row->item, err);
    if (rc)
        goto out;
    char annotator[LO_LIMIT_NAME + 1];
    memcpy(annotator, row->annotator.ptr, row->annotator.len);
    annotator[row->annotator.len] = '\0';
    struct lo_annotation ann = {
        .project_id = c->project.id,
        .item_id = ic->id,
        .annotator = annotator,
        .value_json = value,
        .created_ms = c->now_ms,
        .guideline_version = c->project.guideline_version,
        .schema_version = c->schema ? c->project.schema_version : c->project.schema_version + 1,
        .workflow_stage = "import",
        .working_seconds = NAN,
        .source = "import",
    };
    int64_t id;
    rc = c->app->store->ops->annotation_insert(c->app->store, &ann, &id, err);
    if (rc)
        goto out;
    c->rep->annotations++;
    if (gold) {
        rc = c->app->store->ops->item_set_gold(c->app->store, ic->id, gold, err);
        if (rc)
            goto out;
        if (!ic->gold_set)
            c->rep->gold++;
        memcpy(ic->gold, row->gold.ptr, row->gold.len);
        ic->gold[row->gold.len] = '\0';
        ic->gold_set = true;
    }
out:
    free(value);
    free(gold);
    return rc;
}

int lo_app_import_labels(struct lo_app *app, const char *project, const char *path,
                         const struct lo_import_opts *o, struct lo_import_report *rep,
                         struct lo_error *err)
{
    struct import_ctx c;
    struct lo_label_reader *r = NULL;
    struct lo_schema_inferrer *inf = NULL;
    struct item_cache *ic = calloc(1, sizeof(*ic));
    int rc = ic ? import_begin(&c, app, project, path, o, rep, err)
                : lo_error_set(err, LO_ENOMEM, "out of memory");
    if (!ic)
        return rc;
    if (rc)
        goto out;
    if (!c.schema) {
        rc = lo_schema_inferrer_new(&inf, o->value_field, o->numeric, err);
        if (rc)
            goto out;
    }
    struct lo_label_mapping map = { o->item_field, o->annotator_field, o->label_field,
                                    o->gold_field };
    rc = lo_label_reader_open(&r, path, o->format, &map, err);
    if (rc)
        goto out;
    struct lo_label_row row;
    for (;;) {
        rc = lo_label_reader_next(r, &row, err);
        if (rc == 0)
            break;
        if (rc < 0) {
            /* The reader consumed the whole record for these; anything else stops. */
            if (rc == LO_EINVAL && o->skip_invalid && err->line > 0) {
                c.rep->lines++;
                rc = reject(&c, err->line, (struct lo_str){ NULL, 0 }, rc, err);
                if (rc)
                    break;
                continue;
            }
            break;
        }
        c.rep->lines++;
        rc = import_label_row(&c, inf, ic, &row, err);
        if (rc) {
            rc = reject(&c, row.line, (struct lo_str){ NULL, 0 }, rc, err);
            if (rc)
                break;
        }
    }
    if (!rc && inf) {
        struct lo_schema *schema = NULL;
        rc = lo_schema_inferrer_finish(inf, &schema, err);
        inf = NULL;
        if (rc) {
            lo_error_prefix(err, "no label to infer a schema from");
            goto out;
        }
        char *canonical = lo_schema_to_json(schema);
        lo_schema_free(schema);
        int version = 0;
        rc = canonical ? app->store->ops->project_set_schema(app->store, c.project.id, canonical,
                                                              c.now_ms, &version, err)
                       : lo_error_set(err, LO_ENOMEM, "out of memory");
        free(canonical);
        if (!rc) {
            c.rep->schema_inferred = true;
            rc = lo__app_event(app, c.project.id, "schema_set", "project", c.project.id,
                               json_pack("{s:i, s:s}", "version", version, "how", "inferred"),
                               err);
        }
    }
out:
    lo_schema_inferrer_free(inf);
    lo_label_reader_close(r);
    free(ic);
    return import_end(&c, rc, "labels", err);
}

/* ---- predictions ------------------------------------------------------------------------- */

static const char *const pred_item_keys[] = { "item", "id", "external_id", "item_id", NULL };

static int prediction_from_object(struct import_ctx *c, json_t *obj, struct lo_error *err)
{
    json_t *idv = NULL;
    const char *key = NULL;
    for (const char *const *k = pred_item_keys; *k && !idv; k++) {
        idv = json_object_get(obj, c->o->item_field ? c->o->item_field : *k);
        key = c->o->item_field ? c->o->item_field : *k;
        if (c->o->item_field)
            break;
    }
    char ext[LO_LIMIT_EXTERNAL_ID + 1];
    if (!idv || scalar_text(idv, ext, sizeof(ext)))
        return lo_error_field(err, LO_EINVAL, key ? key : "item",
                              "no item id (item, id, external_id or item_id)");
    int64_t item_id;
    int rc = c->app->store->ops->item_find(c->app->store, c->project.id, ext, &item_id, err);
    if (rc == LO_ENOTFOUND)
        return lo_error_field(err, LO_EINVAL, key, "no item '%s' in project '%s'", ext,
                              c->project.name);
    if (rc)
        return rc;
    json_t *value = json_object_get(obj, "value");
    json_t *made = NULL;
    if (!value) {
        json_t *label = json_object_get(obj, c->o->label_field ? c->o->label_field : "label");
        char text[LO_LIMIT_LABEL + 1];
        if (!label || !c->schema)
            return lo_error_field(err, LO_EINVAL, "value",
                                  c->schema ? "a prediction needs a value object or a label"
                                            : "project has no label schema yet");
        if (json_is_real(label))
            snprintf(text, sizeof(text), "%.17g", json_real_value(label));
        else if (scalar_text(label, text, sizeof(text)))
            return lo_error_field(err, LO_EINVAL, "label", "label must be a string or a number");
        rc = lo_schema_value_from_label(c->schema, c->o->value_field, lo_str_from(text), &made,
                                        err);
        if (rc)
            return rc;
        json_object_set_new(obj, "value", made);
    }
    const json_t *score = json_object_get(obj, "score");
    if (json_is_string(score)) {
        double d;
        if (!lo_str_to_double(lo_str_from(json_string_value(score)), &d))
            return lo_error_field(err, LO_EINVAL, "score", "score must be a number");
        json_object_set_new(obj, "score", json_real(d));
    }
    if (!json_object_get(obj, "model") && json_is_string(json_object_get(obj, "model_name")))
        json_object_set(obj, "model", json_object_get(obj, "model_name"));
    return insert_prediction(c, item_id, NULL, obj, "prediction", err);
}

int lo_app_import_predictions(struct lo_app *app, const char *project, const char *path,
                              const struct lo_import_opts *o, struct lo_import_report *rep,
                              struct lo_error *err)
{
    struct import_ctx c;
    FILE *fp = NULL;
    int rc = import_begin(&c, app, project, path, o, rep, err);
    if (!rc && !c.schema)
        rc = lo_error_set(err, LO_EINVAL,
                          "project '%s' has no label schema yet: predictions are validated "
                          "against it",
                          project);
    if (!rc)
        rc = open_input(path, &fp, err);
    if (rc)
        goto out;
    enum lo_format fmt = o->format ? o->format : lo_format_from_path(path);
    if (fmt == LO_FMT_AUTO)
        fmt = LO_FMT_JSONL;
    if (fmt == LO_FMT_JSONL) {
        struct lo_line_reader lr;
        rc = lo_lines_open(&lr, fp, path, LO_LIMIT_JSONL_LINE, err);
        if (rc)
            goto out;
        struct lo_str line;
        for (;;) {
            rc = lo_lines_next(&lr, &line, err);
            if (rc <= 0)
                break;
            struct lo_str t = lo_str_trim(line);
            if (!t.len)
                continue;
            c.rep->lines++;
            json_t *obj = lo_json_parse(t.ptr, t.len, err);
            if (obj && !json_is_object(obj)) {
                json_decref(obj);
                obj = NULL;
                lo_error_set(err, LO_EINVAL, "a line must hold a JSON object");
            }
            rc = obj ? prediction_from_object(&c, obj, err) : LO_EINVAL;
            json_decref(obj);
            if (rc) {
                rc = reject(&c, lr.line_no, t, rc, err);
                if (rc)
                    break;
            }
        }
        lo_lines_close(&lr);
    } else {
        struct lo_csv_reader r;
        char delim = fmt == LO_FMT_TSV ? '\t' : ',';
        rc = lo_csv_open(&r, fp, path, delim, delim == ',', err);
        if (rc)
            goto out;
        struct lo_str *f;
        size_t n, ncols = 0;
        json_t *header = json_array();
        rc = lo_csv_next(&r, &f, &n, err);
        if (rc == 0) {
            lo_error_set(err, LO_EINVAL, "empty file: no header row");
            rc = lo_error_at(err, path, 1);
        }
        if (rc > 0) {
            ncols = n;
            for (size_t i = 0; i < n; i++) {
                struct lo_str h = lo_str_trim(f[i]);
                json_array_append_new(header, json_stringn(h.ptr, h.len));
            }
            for (;;) {
                rc = lo_csv_next(&r, &f, &n, err);
                if (rc <= 0)
                    break;
                c.rep->lines++;
                if (n != ncols) {
                    lo_error_set(err, LO_EINVAL, "record has %zu fields, the header has %zu", n,
                                 ncols);
                    rc = LO_EINVAL;
                } else {
                    json_t *obj = json_object();
                    for (size_t i = 0; i < n; i++)
                        if (f[i].len)
                            json_object_set_new(obj, json_string_value(json_array_get(header, i)),
                                                json_stringn(f[i].ptr, f[i].len));
                    json_t *value = json_object_get(obj, "value");
                    if (json_is_string(value)) {
                        json_t *parsed = lo_json_parse(json_string_value(value),
                                                       json_string_length(value), err);
                        if (parsed)
                            json_object_set_new(obj, "value", parsed);
                    }
                    rc = prediction_from_object(&c, obj, err);
                    json_decref(obj);
                }
                if (rc) {
                    rc = reject(&c, r.record_line, (struct lo_str){ NULL, 0 }, rc, err);
                    if (rc)
                        break;
                }
            }
        }
        json_decref(header);
        lo_csv_close(&r);
    }
out:
    close_input(fp);
    return import_end(&c, rc, "predictions", err);
}
