/*
 * export.c - streaming a project out as JSONL or CSV, and reading a project's labels back as
 * coded ratings for the statistics.
 *
 * Export builds each line in one capped buffer and writes it; stored JSON (payloads, values) is
 * copied as the text it is, never parsed again, so memory stays flat and speed is bounded by the
 * store's scan.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "app/app.h"
#include "app/app_int.h"
#include "base/json.h"
#include "base/limits.h"
#include "io/bgwriter.h"
#include "schema/schema.h"

/* Appends a string literal without measuring it. */
#define PUT(b, lit) lo_buf_append((b), (lit), sizeof(lit) - 1)

struct export_ctx {
    FILE *out;
    struct lo_bgwriter *w;        /* writes on its own thread while the scan goes on */
    int64_t last_ms;              /* the last time stamp formatted, and its text: imported */
    char last_time[40];           /* annotations share one, so most lines reuse it */
    enum lo_format format;
    struct lo_buf line;
    struct lo_export_report *rep;
    const struct lo_schema_field *label_field;  /* one-field projects: a plain label column */
    struct lo_store *workflow;    /* the project has a workflow: each item's state and final
                                   * label and each label's status are exported (read through
                                   * this store) */
    struct lo_arena task_arena;
    struct lo_task_row task;      /* the current item's, in task_arena */
    struct lo_error *err;
};

static int put_str(struct lo_buf *b, const char *s)
{
    return s ? lo_json_put_string(b, s, strlen(s)) : PUT(b, "null");
}

static int put_time(struct export_ctx *c, struct lo_buf *b, int64_t ms)
{
    if (ms != c->last_ms || !c->last_time[0]) {
        char t[40];
        lo_time_format(ms, t, sizeof(t));
        snprintf(c->last_time, sizeof(c->last_time), "\"%s\"", t);
        c->last_ms = ms;
    }
    return lo_buf_puts(b, c->last_time);
}

static int put_int_or_null(struct lo_buf *b, int v)
{
    if (!v)
        return lo_buf_append(b, "null", 4);
    char tmp[16];
    size_t n = 0;
    unsigned u = v < 0 ? 0u - (unsigned)v : (unsigned)v;
    do {
        tmp[sizeof(tmp) - 1 - n++] = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    if (v < 0)
        tmp[sizeof(tmp) - 1 - n++] = '-';
    return lo_buf_append(b, tmp + sizeof(tmp) - n, n);
}

int lo__app_workflow_json(struct lo_buf *b, const struct lo_task_row *t, bool full)
{
    int rc = 0;
    rc |= PUT(b, "{\"state\":");
    rc |= put_str(b, full ? t->state : NULL);
    rc |= PUT(b, ",\"final\":");
    rc |= full && t->final_json ? lo_buf_puts(b, t->final_json) : PUT(b, "null");
    rc |= PUT(b, ",\"confidence\":");
    rc |= full ? lo_json_put_double(b, t->confidence) : PUT(b, "null");
    rc |= PUT(b, ",\"method\":");
    rc |= put_str(b, full ? t->method : NULL);
    rc |= lo_buf_putc(b, '}');
    return rc ? LO_ELIMIT : 0;
}

int lo__app_item_task(struct lo_store *st, int64_t item_id, struct lo_arena *arena,
                      struct lo_task_row *out, bool *found, struct lo_error *err)
{
    int rc = st->ops->wf->task_get(st, item_id, arena, out, err);
    *found = rc == 0;
    if (rc == LO_ENOTFOUND) {
        lo_error_clear(err);
        rc = 0;
    }
    return rc;
}

/* The workflow's outcome of one item (docs/workflow.md): *out is its task, valid until the
 * next item, or NULL when the project has no workflow or the item was never in it. */
static int item_task(struct export_ctx *c, int64_t item_id, const struct lo_task_row **out)
{
    *out = NULL;
    if (!c->workflow)
        return 0;
    bool found = false;
    lo_arena_free(&c->task_arena); /* one item's task at a time */
    lo_arena_init(&c->task_arena, 4096);
    int rc = lo__app_item_task(c->workflow, item_id, &c->task_arena, &c->task, &found, c->err);
    if (!rc && found)
        *out = &c->task;
    return rc;
}

static int jsonl_row(struct export_ctx *c, const struct lo_export_row *row)
{
    struct lo_buf *b = &c->line;
    int rc = 0;
    lo_buf_reset(b);
    rc |= PUT(b, "{\"id\":");
    rc |= put_str(b, row->item.external_id);
    rc |= PUT(b, ",\"data\":");
    rc |= lo_buf_puts(b, row->item.payload_json);
    if (row->item.gold_json) {
        rc |= PUT(b, ",\"gold\":");
        rc |= lo_buf_puts(b, row->item.gold_json);
    }
    if (row->item.gold_json && row->item.gold_section) { /* import reads it beside gold only */
        rc |= PUT(b, ",\"gold_section\":");
        rc |= put_str(b, row->item.gold_section);
    }
    rc |= PUT(b, ",\"annotations\":[");
    for (size_t i = 0; i < row->n_annotations; i++) {
        const struct lo_annotation *a = &row->annotations[i];
        rc |= lo_buf_puts(b, i ? ",{\"annotator\":" : "{\"annotator\":");
        rc |= put_str(b, a->annotator);
        rc |= PUT(b, ",\"value\":");
        rc |= lo_buf_puts(b, a->value_json);
        rc |= PUT(b, ",\"created\":");
        rc |= put_time(c, b, a->created_ms);
        rc |= PUT(b, ",\"guideline_version\":");
        rc |= put_int_or_null(b, a->guideline_version);
        rc |= PUT(b, ",\"schema_version\":");
        rc |= put_int_or_null(b, a->schema_version);
        rc |= PUT(b, ",\"workflow_stage\":");
        rc |= put_str(b, a->workflow_stage);
        rc |= PUT(b, ",\"lease_id\":");
        rc |= put_str(b, a->lease_id);
        rc |= PUT(b, ",\"working_seconds\":");
        rc |= lo_json_put_double(b, a->working_seconds);
        rc |= PUT(b, ",\"source\":");
        rc |= put_str(b, a->source);
        if (a->status && strcmp(a->status, "active")) { /* a workflow label that no longer counts */
            rc |= PUT(b, ",\"status\":");
            rc |= put_str(b, a->status);
        }
        rc |= lo_buf_putc(b, '}');
    }
    rc |= PUT(b, "],\"predictions\":[");
    for (size_t i = 0; i < row->n_predictions; i++) {
        const struct lo_prediction *p = &row->predictions[i];
        rc |= lo_buf_puts(b, i ? ",{\"model\":" : "{\"model\":");
        rc |= put_str(b, p->model_name);
        rc |= PUT(b, ",\"model_version\":");
        rc |= put_str(b, p->model_version);
        rc |= PUT(b, ",\"value\":");
        rc |= lo_buf_puts(b, p->value_json);
        rc |= PUT(b, ",\"score\":");
        rc |= lo_json_put_double(b, p->score);
        rc |= PUT(b, ",\"created\":");
        rc |= put_time(c, b, p->created_ms);
        rc |= lo_buf_putc(b, '}');
    }
    rc |= lo_buf_putc(b, ']');
    const struct lo_task_row *t = NULL;
    int trc = item_task(c, row->item.id, &t);
    if (trc)
        return trc;
    if (t) {
        rc |= PUT(b, ",\"workflow\":");
        rc |= lo__app_workflow_json(b, t, true);
    }
    rc |= PUT(b, "}\n");
    if (rc)
        return lo_error_set(c->err, LO_ELIMIT,
                            "item '%s' is too large to export on one line (%d bytes)",
                            row->item.external_id, LO_LIMIT_JSONL_LINE * 4);
    return lo_bgwriter_write(c->w, b->data, b->len, c->err);
}

static void csv_str(struct lo_buf *b, const char *s)
{
    bool quote = false;
    size_t n = s ? strlen(s) : 0;
    for (size_t i = 0; i < n && !quote; i++)
        quote = s[i] == ',' || s[i] == '"' || s[i] == '\n' || s[i] == '\r';
    if (!quote) {
        lo_buf_append(b, s, n);
        return;
    }
    lo_buf_putc(b, '"');
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '"')
            lo_buf_putc(b, '"');
        lo_buf_putc(b, s[i]);
    }
    lo_buf_putc(b, '"');
}

/* The plain label of a value object for one-field projects ("" when not reducible). */
static void csv_label(struct export_ctx *c, struct lo_buf *b, const char *value_json)
{
    if (!c->label_field || !value_json)
        return;
    json_t *v = json_loads(value_json, 0, NULL);
    char text[LO_LIMIT_LABEL + 1];
    struct lo_error ignore;
    json_t *fv = json_object_get(v, c->label_field->name);
    if (fv && lo_schema_value_label(c->label_field, fv, text, sizeof(text), &ignore) == 0)
        csv_str(b, text);
    json_decref(v);
}

/* A label's status: what the JSONL export says of it. In a project with a workflow every
 * label has one ("active" too: a CSV cell cannot be left out the way a JSON member is); without
 * a workflow only a label that no longer counts has one, which none has today. */
static void csv_status(const struct export_ctx *c, struct lo_buf *b, const char *status)
{
    if (c->workflow)
        csv_str(b, status ? status : "active");
    else if (status && strcmp(status, "active"))
        csv_str(b, status);
}

/* ",item_state,final,final_confidence,final_method": the JSONL export's "workflow" object of
 * the item (docs/workflow.md); empty cells for an item outside a workflow, and for a final
 * label, confidence or method it does not have (yet). */
static void csv_workflow(struct lo_buf *b, const struct lo_task_row *t)
{
    lo_buf_putc(b, ',');
    if (t)
        csv_str(b, t->state);
    lo_buf_putc(b, ',');
    if (t && t->final_json)
        csv_str(b, t->final_json);
    lo_buf_putc(b, ',');
    if (t && isfinite(t->confidence))
        lo_json_put_double(b, t->confidence); /* the same digits as in the JSONL */
    lo_buf_putc(b, ',');
    if (t && t->method)
        csv_str(b, t->method);
}

static int csv_emit(struct export_ctx *c)
{
    return lo_bgwriter_write(c->w, c->line.data, c->line.len, c->err);
}

static int csv_row(struct export_ctx *c, const struct lo_export_row *row)
{
    struct lo_buf *b = &c->line;
    char t[40];
    /* item,kind,annotator,label,value,score,created,guideline_version,schema_version,
     * workflow_stage,lease_id,working_seconds,source,gold,data,
     * status,item_state,final,final_confidence,final_method */
    const struct lo_task_row *task = NULL;
    int trc = item_task(c, row->item.id, &task);
    if (trc)
        return trc;
    for (size_t i = 0; i < row->n_annotations; i++) {
        const struct lo_annotation *a = &row->annotations[i];
        lo_buf_reset(b);
        csv_str(b, row->item.external_id);
        PUT(b, ",annotation,");
        csv_str(b, a->annotator);
        lo_buf_putc(b, ',');
        csv_label(c, b, a->value_json);
        lo_buf_putc(b, ',');
        csv_str(b, a->value_json);
        PUT(b, ",,");
        lo_time_format(a->created_ms, t, sizeof(t));
        lo_buf_puts(b, t);
        lo_buf_printf(b, ",%d,%d,", a->guideline_version, a->schema_version);
        csv_str(b, a->workflow_stage);
        lo_buf_putc(b, ',');
        csv_str(b, a->lease_id);
        lo_buf_putc(b, ',');
        if (!isnan(a->working_seconds))
            lo_buf_printf(b, "%.3f", a->working_seconds);
        lo_buf_putc(b, ',');
        csv_str(b, a->source);
        lo_buf_putc(b, ',');
        csv_str(b, row->item.gold_json);
        lo_buf_putc(b, ',');
        csv_str(b, row->item.payload_json);
        lo_buf_putc(b, ',');
        csv_status(c, b, a->status);
        csv_workflow(b, task);
        if (lo_buf_putc(b, '\n'))
            return lo_error_set(c->err, LO_ELIMIT, "row of item '%s' too large",
                                row->item.external_id);
        int rc = csv_emit(c);
        if (rc)
            return rc;
    }
    for (size_t i = 0; i < row->n_predictions; i++) {
        const struct lo_prediction *p = &row->predictions[i];
        lo_buf_reset(b);
        csv_str(b, row->item.external_id);
        PUT(b, ",prediction,");
        char who[2 * LO_LIMIT_NAME + 2];
        snprintf(who, sizeof(who), "%s%s%s", p->model_name, p->model_version[0] ? "@" : "",
                 p->model_version);
        csv_str(b, who);
        lo_buf_putc(b, ',');
        csv_label(c, b, p->value_json);
        lo_buf_putc(b, ',');
        csv_str(b, p->value_json);
        lo_buf_putc(b, ',');
        if (!isnan(p->score))
            lo_buf_printf(b, "%.17g", p->score);
        lo_buf_putc(b, ',');
        lo_time_format(p->created_ms, t, sizeof(t));
        lo_buf_puts(b, t);
        PUT(b, ",,,,,,,");
        csv_str(b, row->item.gold_json);
        lo_buf_putc(b, ',');
        csv_str(b, row->item.payload_json);
        lo_buf_putc(b, ',');
        csv_workflow(b, task);
        if (lo_buf_putc(b, '\n'))
            return lo_error_set(c->err, LO_ELIMIT, "row of item '%s' too large",
                                row->item.external_id);
        int rc = csv_emit(c);
        if (rc)
            return rc;
    }
    if (row->n_annotations == 0 && row->n_predictions == 0) {
        lo_buf_reset(b);
        csv_str(b, row->item.external_id);
        PUT(b, ",item,,,,,,,,,,,,");
        csv_str(b, row->item.gold_json);
        lo_buf_putc(b, ',');
        csv_str(b, row->item.payload_json);
        lo_buf_putc(b, ',');
        csv_workflow(b, task);
        if (lo_buf_putc(b, '\n'))
            return lo_error_set(c->err, LO_ELIMIT, "row of item '%s' too large",
                                row->item.external_id);
        return csv_emit(c);
    }
    return 0;
}

static int export_cb(void *ctx, const struct lo_export_row *row)
{
    struct export_ctx *c = ctx;
    c->rep->items++;
    c->rep->annotations += (int64_t)row->n_annotations;
    c->rep->predictions += (int64_t)row->n_predictions;
    return c->format == LO_FMT_CSV ? csv_row(c, row) : jsonl_row(c, row);
}

int lo_app_export(struct lo_app *app, const char *project, enum lo_format format, FILE *out,
                  struct lo_export_report *rep, struct lo_error *err)
{
    struct lo_store *st = app->store;
    struct lo_arena arena;
    struct lo_project p;
    struct lo_schema *schema = NULL;
    struct export_ctx c = { .out = out, .format = format, .rep = rep, .err = err };
    memset(rep, 0, sizeof(*rep));
    if (format != LO_FMT_CSV && format != LO_FMT_JSONL)
        return lo_error_field(err, LO_EUSAGE, "format", "export formats are jsonl and csv");
    int64_t t0 = lo_clock_now_ms(&app->clock);
    lo_arena_init(&arena, 4096);
    lo_buf_init(&c.line, LO_LIMIT_JSONL_LINE * 4);
    int rc = st->ops->begin(st, false, err);
    if (rc)
        goto out;
    rc = lo__app_find_project_for(app, project, LO_ACT_EXPORT, &arena, &p, err);
    if (rc)
        goto done;
    if (p.schema_json && lo_schema_parse(p.schema_json, strlen(p.schema_json), &schema, err) == 0 &&
        lo_schema_field_count(schema) == 1) {
        const struct lo_schema_field *f = lo_schema_field_at(schema, 0);
        if (f->type == LO_FIELD_SINGLE_CHOICE || f->type == LO_FIELD_RATING)
            c.label_field = f;
    }
    lo_error_clear(err);
    lo_arena_init(&c.task_arena, 4096);
    { /* with a workflow: each item's outcome and each label's status (both formats) */
        const char *cfg = NULL;
        int version;
        if (st->ops->wf->config_get(st, p.id, &arena, &cfg, &version, err) == 0)
            c.workflow = st;
        lo_error_clear(err);
    }
    rc = lo_bgwriter_start(&c.w, out, err);
    if (rc)
        goto done;
    static const char csv_header[] =
        "item,kind,annotator,label,value,score,created,guideline_version,schema_version,"
        "workflow_stage,lease_id,working_seconds,source,gold,data,"
        "status,item_state,final,final_confidence,final_method\n";
    if (format == LO_FMT_CSV)
        rc = lo_bgwriter_write(c.w, csv_header, sizeof(csv_header) - 1, err);
    if (!rc)
        rc = st->ops->export_scan(st, p.id, export_cb, &c, err);
    {
        struct lo_error werr;
        lo_error_clear(&werr);
        int wrc = lo_bgwriter_finish(c.w, &werr);
        if (wrc && !rc) {
            *err = werr;
            rc = wrc;
        }
    }
done:
    st->ops->rollback(st);
    if (!rc) {
        /* The export is an operation worth an event: who took which data out, and when. */
        rc = st->ops->begin(st, true, err);
        if (!rc)
            rc = lo__app_event(app, p.id, "exported", "project", p.id,
                               json_pack("{s:s, s:I, s:I}", "format", lo_format_name(format),
                                         "items", (json_int_t)rep->items, "annotations",
                                         (json_int_t)rep->annotations),
                               err);
        if (!rc)
            rc = st->ops->commit(st, err);
        else
            st->ops->rollback(st);
    }
out:
    rep->seconds = (double)(lo_clock_now_ms(&app->clock) - t0) / 1000.0;
    lo_schema_free(schema);
    lo_buf_free(&c.line);
    lo_arena_free(&c.task_arena);
    lo_arena_free(&arena);
    return rc;
}

/* ---- a project's labels as coded ratings ------------------------------------------------- */

struct ratings_ctx {
    struct lo_ratings_builder *b;
    const struct lo_schema_field *field;
    struct lo_error *err;
    int64_t skipped;
};

static int label_of(const struct lo_schema_field *f, const char *value_json, char *out,
                    size_t cap)
{
    json_t *v = json_loads(value_json, 0, NULL);
    struct lo_error ignore;
    json_t *fv = json_object_get(v, f->name);
    int rc = fv && !json_is_null(fv) ? lo_schema_value_label(f, fv, out, cap, &ignore) : -1;
    json_decref(v);
    return rc;
}

static int ratings_cb(void *ctx, const struct lo_export_row *row)
{
    struct ratings_ctx *c = ctx;
    char text[LO_LIMIT_LABEL + 1];
    struct lo_str item = lo_str_from(row->item.external_id);
    for (size_t i = 0; i < row->n_annotations; i++) {
        const struct lo_annotation *a = &row->annotations[i];
        if (label_of(c->field, a->value_json, text, sizeof(text)) != 0) {
            c->skipped++;
            continue;
        }
        int rc = lo_ratings_builder_add(c->b, item, lo_str_from(a->annotator), lo_str_from(text),
                                        c->err);
        if (rc)
            return rc;
    }
    if (row->item.gold_json && label_of(c->field, row->item.gold_json, text, sizeof(text)) == 0) {
        int rc = lo_ratings_builder_gold(c->b, item, lo_str_from(text), c->err);
        if (rc)
            return rc;
    }
    return 0;
}

int lo_app_project_ratings(struct lo_app *app, const char *project, const char *field,
                           struct lo_arena *arena, struct lo_ratings *out, struct lo_error *err)
{
    struct lo_store *st = app->store;
    struct lo_project p;
    struct lo_schema *schema = NULL;
    struct ratings_ctx c = { .err = err };
    int rc = lo_ratings_builder_new(&c.b, arena);
    if (rc)
        return lo_error_set(err, rc, "out of memory");
    rc = st->ops->begin(st, false, err);
    if (rc)
        goto out;
    rc = lo__app_find_project_for(app, project, LO_ACT_READ, arena, &p, err);
    if (!rc && !p.schema_json)
        rc = lo_error_set(err, LO_EINVAL, "project '%s' has no labels yet", project);
    if (!rc)
        rc = lo_schema_parse(p.schema_json, strlen(p.schema_json), &schema, err);
    if (!rc) {
        if (field)
            c.field = lo_schema_field_find(schema, field);
        else if (lo_schema_field_count(schema) == 1)
            c.field = lo_schema_field_at(schema, 0);
        if (!c.field)
            rc = field ? lo_error_field(err, LO_EINVAL, "field", "no field '%s' in the schema",
                                        field)
                       : lo_error_field(err, LO_EUSAGE, "field",
                                        "the schema has several fields: name one with --field");
        else if (c.field->type != LO_FIELD_SINGLE_CHOICE && c.field->type != LO_FIELD_RATING)
            rc = lo_error_field(err, LO_EINVAL, "field",
                                "field '%s' is %s: agreement on it needs the structured "
                                "comparators",
                                c.field->name, lo_field_type_name(c.field->type));
    }
    if (!rc)
        rc = st->ops->export_scan(st, p.id, ratings_cb, &c, err);
    st->ops->rollback(st);
out:
    lo_schema_free(schema);
    if (rc) {
        lo_ratings_builder_free(c.b);
        return rc;
    }
    return lo_ratings_builder_finish(c.b, out, err);
}
