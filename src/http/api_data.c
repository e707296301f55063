/*
 * api_data.c - the data routes: a project's items (keyset pages by item id, one item with its
 * annotations and predictions), guidelines (read a version, write a new one from a Markdown
 * body), the label schema (read it, set a new version), uploads of labels and predictions
 * (streamed to a file, then imported as the CLI does), agreement and aggregation computed from
 * lo_app_project_ratings. Every route calls one
 * app/ use case that checks the policy (out of scope: 404, visible but not allowed: 403); the
 * handlers decide nothing but the shape of the answer.
 */
#include "http/api_data.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/clock.h"
#include "base/json.h"
#include "base/limits.h"
#include "http/server_int.h"
#include "quality/agreement.h"
#include "quality/inference.h"

#define TIMED(r, call)                                                                         \
    do {                                                                                       \
        double t0_ = lo_monotonic_s();                                                         \
        rc = (call);                                                                           \
        (r)->store_s += lo_monotonic_s() - t0_;                                                \
    } while (0)

static json_t *real_or_null(double v)
{
    return isfinite(v) ? json_real(v) : json_null();
}

static json_t *time_json(int64_t ms)
{
    char t[40];
    lo_time_format(ms, t, sizeof(t));
    return json_string(t);
}

/* A stored JSON text as a value (null when absent or unreadable). */
static json_t *stored_json(const char *text)
{
    json_t *v = text ? json_loads(text, JSON_DECODE_ANY, NULL) : NULL;
    return v ? v : json_null();
}

/* A query argument that must be a positive integer when present: 0 and *out untouched when
 * absent, LO_EINVAL with the 422 set otherwise. */
static int query_i64(struct lo_http_req *r, const char *name, long long min, long long *out)
{
    const char *v = lo_http_query(r, name);
    if (!v)
        return 0;
    long long x;
    if (!lo_str_to_i64(lo_str_from(v), &x) || x < min) {
        char msg[120];
        snprintf(msg, sizeof(msg), "%s must be an integer >= %lld", name, min);
        lo_http_error(&r->resp, 422, "invalid", msg, name);
        return LO_EINVAL;
    }
    *out = x;
    return 0;
}

/* ---- items ------------------------------------------------------------------------------- */

static json_t *item_json(const struct lo_export_row *row, bool full)
{
    const struct lo_item *it = &row->item;
    json_t *o = json_object();
    json_object_set_new(o, "id", json_integer(it->id));
    json_object_set_new(o, "external_id", json_string(it->external_id ? it->external_id : ""));
    json_object_set_new(o, "payload", stored_json(it->payload_json));
    json_object_set_new(o, "gold", stored_json(it->gold_json));
    if (it->gold_json && it->gold_section)
        json_object_set_new(o, "gold_section", json_string(it->gold_section));
    json_object_set_new(o, "created", time_json(it->created_ms));
    json_object_set_new(o, "n_annotations", json_integer((json_int_t)row->n_annotations));
    json_object_set_new(o, "n_predictions", json_integer((json_int_t)row->n_predictions));
    if (!full)
        return o;
    json_t *anns = json_array();
    for (size_t i = 0; i < row->n_annotations; i++) {
        const struct lo_annotation *a = &row->annotations[i];
        json_t *x = json_object();
        json_object_set_new(x, "id", json_integer(a->id));
        json_object_set_new(x, "annotator", json_string(a->annotator ? a->annotator : ""));
        json_object_set_new(x, "value", stored_json(a->value_json));
        json_object_set_new(x, "created", time_json(a->created_ms));
        json_object_set_new(x, "guideline_version", json_integer(a->guideline_version));
        json_object_set_new(x, "schema_version", json_integer(a->schema_version));
        json_object_set_new(x, "workflow_stage",
                            a->workflow_stage ? json_string(a->workflow_stage) : json_null());
        json_object_set_new(x, "working_seconds", real_or_null(a->working_seconds));
        json_object_set_new(x, "source", a->source ? json_string(a->source) : json_null());
        /* active, or why a workflow label no longer counts: rejected, superseded, invalidated */
        json_object_set_new(x, "status", json_string(a->status ? a->status : "active"));
        json_array_append_new(anns, x);
    }
    json_object_set_new(o, "annotations", anns);
    json_t *preds = json_array();
    for (size_t i = 0; i < row->n_predictions; i++) {
        const struct lo_prediction *p = &row->predictions[i];
        json_t *x = json_object();
        json_object_set_new(x, "id", json_integer(p->id));
        json_object_set_new(x, "model", json_string(p->model_name ? p->model_name : ""));
        json_object_set_new(x, "model_version",
                            p->model_version ? json_string(p->model_version) : json_null());
        json_object_set_new(x, "value", stored_json(p->value_json));
        json_object_set_new(x, "score", real_or_null(p->score));
        json_object_set_new(x, "created", time_json(p->created_ms));
        json_array_append_new(preds, x);
    }
    json_object_set_new(o, "predictions", preds);
    return o;
}

struct items_page {
    int limit, n;
    int64_t last;
    json_t *rows;
};

static int items_page_cb(void *ctx, const struct lo_export_row *row)
{
    struct items_page *c = ctx;
    if (c->n == c->limit)
        return 1; /* one more exists: the page is full */
    json_array_append_new(c->rows, item_json(row, false));
    c->n++;
    c->last = row->item.id;
    return 0;
}

int lo__h_items_list(struct lo_http_req *r)
{
    struct lo_http_page pg;
    int rc = lo_http_page_parse(r, &pg);
    if (rc)
        return rc;
    long long after = 0;
    if (pg.after && (!lo_str_to_i64(lo_str_from(pg.after), &after) || after < 0)) {
        lo_http_error(&r->resp, 422, "invalid", "after must be an item id", "after");
        return LO_EINVAL;
    }
    struct items_page c = { .limit = pg.limit, .rows = json_array() };
    struct lo_error err;
    lo_error_clear(&err);
    /* One row more than the page: its presence says that there is a next page. */
    TIMED(r, lo_app_item_list(lo_http_app(r), lo_http_param(r, "name"), after, pg.limit + 1,
                              items_page_cb, &c, &err));
    bool more = rc == 1;
    if (rc && !more) {
        json_decref(c.rows);
        return lo_http_fail(r, rc, &err);
    }
    char next[32];
    snprintf(next, sizeof(next), "%lld", (long long)c.last);
    return lo_http_json(&r->resp, 200,
                           json_pack("{s:o, s:o}", "items", c.rows, "next",
                                     more && c.n ? json_string(next) : json_null()));
}

static int item_one_cb(void *ctx, const struct lo_export_row *row)
{
    *(json_t **)ctx = item_json(row, true);
    return 0;
}

int lo__h_item_get(struct lo_http_req *r)
{
    long long id;
    if (!lo_str_to_i64(lo_str_from(lo_http_param(r, "id")), &id) || id < 1) {
        lo_http_error(&r->resp, 404, "not_found", "no such item", "id");
        return LO_ENOTFOUND;
    }
    json_t *item = NULL;
    const char *workflow = NULL;
    struct lo_error err;
    lo_error_clear(&err);
    int rc;
    TIMED(r, lo_app_item_get(lo_http_app(r), lo_http_param(r, "name"), id, item_one_cb, &item,
                             &r->arena, &workflow, &err));
    if (rc) {
        json_decref(item);
        return lo_http_fail(r, rc, &err);
    }
    if (workflow) /* the export's "workflow" object, as app/ wrote it */
        json_object_set_new(item, "workflow", stored_json(workflow));
    return lo_http_json(&r->resp, 200, item);
}

/* ---- guidelines -------------------------------------------------------------------------- */

int lo__h_guidelines_get(struct lo_http_req *r)
{
    long long version = 0;
    int rc = query_i64(r, "version", 1, &version);
    if (rc)
        return rc;
    struct lo_guideline g;
    struct lo_error err;
    lo_error_clear(&err);
    TIMED(r, lo_app_guideline_get(lo_http_app(r), lo_http_param(r, "name"),
                                  version > INT32_MAX ? INT32_MAX : (int)version, &r->arena, &g,
                                  &err));
    if (rc)
        return lo_http_fail(r, rc, &err);
    return lo_http_json(&r->resp, 200,
                        json_pack("{s:i, s:s, s:s, s:o}", "version", g.version, "body",
                                  g.body ? g.body : "", "author", g.author ? g.author : "",
                                  "created", time_json(g.created_ms)));
}

int lo__h_guidelines_put(struct lo_http_req *r)
{
    if (r->body.len == 0) {
        lo_http_error(&r->resp, 400, "malformed",
                      "a guideline needs its Markdown text as the request body", NULL);
        return LO_EINVAL;
    }
    if (memchr(r->body.data, '\0', r->body.len)) {
        lo_http_error(&r->resp, 422, "invalid", "a guideline may not contain a NUL byte",
                      "guideline");
        return LO_EINVAL;
    }
    char *text = lo_arena_strndup(&r->arena, r->body.data, r->body.len);
    if (!text)
        return lo_http_fail(r, LO_ENOMEM, NULL);
    int version = 0;
    struct lo_error err;
    lo_error_clear(&err);
    int rc;
    TIMED(r, lo_app_guideline_set(lo_http_app(r), lo_http_param(r, "name"), text, &version,
                                  &err));
    if (rc)
        return lo_http_fail(r, rc, &err);
    return lo_http_json(&r->resp, 201,
                        json_pack("{s:i, s:I}", "version", version, "bytes",
                                  (json_int_t)r->body.len));
}

/* ---- agreement and aggregation ----------------------------------------------------------- */

/* The project's ratings for ?field= (default: the only field). */
static int load_ratings(struct lo_http_req *r, struct lo_ratings *out)
{
    struct lo_error err;
    lo_error_clear(&err);
    int rc;
    TIMED(r, lo_app_project_ratings(lo_http_app(r), lo_http_param(r, "name"),
                                    lo_http_query(r, "field"), &r->arena, out, &err));
    if (rc == LO_EUSAGE) /* "name one field": a request to fix, not a usage error */
        rc = lo_error_field(&err, LO_EINVAL, "field",
                            "the schema has several fields: name one with ?field=");
    if (rc)
        return lo_http_fail(r, rc, &err);
    return 0;
}

static const char *const k_metrics[] = { "alpha", "fleiss", "fleiss_generalized", "percent",
                                         "cohen", "scott", "conger", "ac1", "bp", NULL };

int lo__h_agreement(struct lo_http_req *r)
{
    const char *metric = lo_http_query(r, "metric");
    if (!metric)
        metric = "alpha";
    int m = -1;
    for (int i = 0; k_metrics[i]; i++)
        if (strcmp(k_metrics[i], metric) == 0)
            m = i;
    if (m < 0) {
        lo_http_error(&r->resp, 422, "invalid",
                      "metric must be alpha, fleiss, fleiss_generalized, percent, cohen, scott, "
                      "conger, ac1 or bp",
                      "metric");
        return LO_EINVAL;
    }
    const char *lv = lo_http_query(r, "level");
    int level = lv ? lo_level_parse(lv) : LO_LEVEL_NOMINAL;
    if (level < 0) {
        lo_http_error(&r->resp, 422, "invalid", "level must be nominal, ordinal, interval or ratio",
                      "level");
        return LO_EINVAL;
    }
    struct lo_ratings rat;
    int rc = load_ratings(r, &rat);
    if (rc)
        return rc;
    struct lo_agree_data d;
    struct lo_agree_result res;
    struct lo_error err;
    lo_error_clear(&err);
    memset(&res, 0, sizeof(res));
    double t0 = lo_monotonic_s();
    rc = lo_agree_from_ratings(&rat, &r->arena, &d, &err);
    if (!rc) {
        switch (m) {
        case 0: rc = lo_agree_alpha(&d, (enum lo_level)level, &res, &err); break;
        case 1: rc = lo_agree_fleiss(&d, &res, NULL, &err); break;
        case 2: rc = lo_agree_fleiss_generalized(&d, NULL, &res, &err); break;
        case 3: rc = lo_agree_percent(&d, NULL, &res, &err); break;
        case 4: rc = lo_agree_cohen(&d, NULL, &res, &err); break;
        case 5: rc = lo_agree_scott(&d, NULL, &res, &err); break;
        case 6: rc = lo_agree_conger(&d, NULL, &res, &err); break;
        case 7: rc = lo_agree_ac1(&d, NULL, &res, &err); break;
        default: rc = lo_agree_bp(&d, NULL, &res, &err); break;
        }
    }
    r->store_s += lo_monotonic_s() - t0;
    if (rc)
        return lo_http_fail(r, rc, &err);
    json_t *o = json_object();
    json_object_set_new(o, "metric", json_string(metric));
    if (m == 0)
        json_object_set_new(o, "level", json_string(lo_level_name((enum lo_level)level)));
    json_object_set_new(o, "defined", json_boolean(res.defined));
    json_object_set_new(o, "value", res.defined ? real_or_null(res.value) : json_null());
    json_object_set_new(o, "reason", res.defined ? json_null() : json_string(res.reason));
    json_object_set_new(o, m == 0 ? "observed_disagreement" : "observed_agreement",
                        real_or_null(res.po));
    json_object_set_new(o, m == 0 ? "expected_disagreement" : "chance_agreement",
                        real_or_null(res.pe));
    json_object_set_new(o, "items", real_or_null(res.items));
    json_object_set_new(o, "annotators", json_integer((json_int_t)res.annotators));
    json_object_set_new(o, "ratings", json_integer((json_int_t)rat.n));
    json_object_set_new(o, "ignored_repeats", json_integer((json_int_t)res.ignored_repeats));
    return lo_http_json(&r->resp, 200, o);
}

int lo__h_aggregate(struct lo_http_req *r)
{
    const char *mname = lo_http_query(r, "method");
    enum lo_infer_method method = LO_INFER_MV;
    if (mname && lo_infer_method_parse(mname, &method) != 0) {
        lo_http_error(&r->resp, 422, "invalid", "method must be mv, wmv, ds, onecoin, glad or mace",
                      "method");
        return LO_EINVAL;
    }
    struct lo_http_page pg;
    int rc = lo_http_page_parse(r, &pg);
    if (rc)
        return rc;
    /* Per-item consensus labels are other annotators' labels in another form. */
    struct lo_error verr;
    lo_error_clear(&verr);
    rc = lo_app_labels_visible(lo_http_app(r), lo_http_param(r, "name"), &verr);
    if (rc)
        return lo_http_fail(r, rc, &verr);
    struct lo_ratings rat;
    rc = load_ratings(r, &rat);
    if (rc)
        return rc;
    size_t start = 0;
    if (pg.after) {
        size_t i = 0;
        while (i < rat.n_items && strcmp(rat.item_names[i], pg.after) != 0)
            i++;
        if (i == rat.n_items) {
            lo_http_error(&r->resp, 422, "invalid", "after must be an item of the previous page",
                          "after");
            return LO_EINVAL;
        }
        start = i + 1;
    }
    struct lo_infer_options opt;
    lo_infer_options_init(&opt, method);
    struct lo_infer_result res;
    struct lo_error err;
    lo_error_clear(&err);
    double t0 = lo_monotonic_s();
    rc = lo_infer(&rat, &opt, &r->arena, &res, &err);
    r->store_s += lo_monotonic_s() - t0;
    if (rc)
        return lo_http_fail(r, rc, &err);
    json_t *rows = json_array();
    size_t i = start, n = 0;
    for (; i < res.n_items && n < (size_t)pg.limit; i++, n++) {
        int32_t k = res.label[i];
        json_t *x = json_object();
        json_object_set_new(x, "item", json_string(rat.item_names[i]));
        json_object_set_new(x, "label", k >= 0 ? json_string(rat.class_names[k]) : json_null());
        json_object_set_new(x, "confidence", k >= 0 ? real_or_null(res.confidence[i])
                                                    : json_null());
        json_object_set_new(x, "ratings", json_integer(res.n_ratings[i]));
        json_array_append_new(rows, x);
    }
    json_t *classes = json_array();
    for (size_t k = 0; k < rat.n_classes; k++)
        json_array_append_new(classes, json_string(rat.class_names[k]));
    json_t *o = json_object();
    json_object_set_new(o, "method", json_string(lo_infer_method_name(method)));
    json_object_set_new(o, "n_items", json_integer((json_int_t)res.n_items));
    json_object_set_new(o, "n_annotators", json_integer((json_int_t)res.n_annotators));
    json_object_set_new(o, "classes", classes);
    json_object_set_new(o, "converged", res.has_loglik ? json_boolean(res.converged) : json_null());
    json_object_set_new(o, "items", rows);
    json_object_set_new(o, "next", i < res.n_items && n > 0
                                       ? json_string(rat.item_names[i - 1])
                                       : json_null());
    return lo_http_json(&r->resp, 200, o);
}

/* ---- the label schema ---------------------------------------------------------------------- */

static int schema_answer(struct lo_http_req *r, int status, const char *project,
                         const char *schema_json, int version)
{
    json_t *schema = json_loads(schema_json, 0, NULL);
    if (!schema)
        return lo_http_fail(r, LO_ESTORE, NULL);
    return lo_http_json(&r->resp, status,
                        json_pack("{s:s, s:i, s:o}", "project", project, "version", version,
                                  "schema", schema));
}

int lo__h_schema_get(struct lo_http_req *r)
{
    const char *project = lo_http_param(r, "name");
    const char *schema = NULL;
    int version = 0;
    struct lo_error err;
    lo_error_clear(&err);
    int rc;
    TIMED(r, lo_app_schema_get(lo_http_app(r), project, &r->arena, &schema, &version, &err));
    if (rc)
        return lo_http_fail(r, rc, &err);
    return schema_answer(r, 200, project, schema, version);
}

/* The body is the schema document itself (docs/schema.md); the answer is the stored,
 * canonical form with its new version. */
int lo__h_schema_put(struct lo_http_req *r)
{
    json_t *body = lo_http_body_object(r);
    if (!body)
        return LO_EINVAL;
    char *text = lo_json_dump(body);
    json_decref(body);
    if (!text)
        return lo_http_fail(r, LO_ENOMEM, NULL);
    const char *project = lo_http_param(r, "name");
    int version = 0;
    struct lo_error err;
    lo_error_clear(&err);
    int rc;
    TIMED(r, lo_app_schema_set(lo_http_app(r), project, text, &version, &err));
    free(text);
    if (rc)
        return lo_http_fail(r, rc, &err);
    const char *stored = NULL;
    TIMED(r, lo_app_schema_get(lo_http_app(r), project, &r->arena, &stored, &version, &err));
    if (rc)
        return lo_http_fail(r, rc, &err);
    return schema_answer(r, 201, project, stored, version);
}

/* ---- uploads of labels and predictions ------------------------------------------------------ */

/* What every upload route checks before importing: a body, a known format, and (when given) a
 * string query argument per option. Closes the upload file for the importer to read by path. */
static int upload_ready(struct lo_http_req *r, struct lo_import_opts *o)
{
    if (r->upload_fd < 0 || r->body_bytes == 0) {
        lo_http_error(&r->resp, 400, "malformed", "an import needs the file as the request body",
                      NULL);
        return LO_EINVAL;
    }
    lo_import_opts_init(o);
    o->format = lo_http_upload_format(r);
    if (o->format == LO_FMT_AUTO) {
        lo_http_error(&r->resp, 422, "invalid", "say the format: ?format=jsonl, csv or tsv",
                      "format");
        return LO_EINVAL;
    }
    close(r->upload_fd);
    r->upload_fd = -1;
    return 0;
}

static json_t *import_report_json(const struct lo_import_report *rep)
{
    return json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:b}", "lines", (json_int_t)rep->lines,
                     "items_inserted", (json_int_t)rep->items_inserted, "annotations",
                     (json_int_t)rep->annotations, "annotations_skipped",
                     (json_int_t)rep->annotations_skipped, "predictions",
                     (json_int_t)rep->predictions, "gold", (json_int_t)rep->gold,
                     "schema_inferred", rep->schema_inferred);
}

/* Long-format labels, as `labelops import labels`: ?format=, item_field, annotator_field,
 * label_field, gold_field, field, numeric. */
int lo__h_labels_import(struct lo_http_req *r)
{
    struct lo_import_opts o;
    int rc = upload_ready(r, &o);
    if (rc)
        return rc;
    o.item_field = lo_http_query(r, "item_field");
    o.annotator_field = lo_http_query(r, "annotator_field");
    o.label_field = lo_http_query(r, "label_field");
    o.gold_field = lo_http_query(r, "gold_field");
    o.value_field = lo_http_query(r, "field");
    rc = lo_http_query_bool(r, "numeric", &o.numeric);
    if (rc)
        return rc;
    struct lo_import_report rep;
    struct lo_error err;
    lo_error_clear(&err);
    TIMED(r, lo_app_import_labels(lo_http_app(r), lo_http_param(r, "name"), r->upload_path, &o,
                                  &rep, &err));
    if (rc)
        return lo_http_fail(r, rc, &err);
    return lo_http_json(&r->resp, 200, import_report_json(&rep));
}

/* Model predictions, as `labelops import predictions`: ?format=, field, model, model_version. */
int lo__h_predictions_import(struct lo_http_req *r)
{
    struct lo_import_opts o;
    int rc = upload_ready(r, &o);
    if (rc)
        return rc;
    o.value_field = lo_http_query(r, "field");
    o.model = lo_http_query(r, "model");
    o.model_version = lo_http_query(r, "model_version");
    struct lo_import_report rep;
    struct lo_error err;
    lo_error_clear(&err);
    TIMED(r, lo_app_import_predictions(lo_http_app(r), lo_http_param(r, "name"), r->upload_path,
                                       &o, &rep, &err));
    if (rc)
        return lo_http_fail(r, rc, &err);
    return lo_http_json(&r->resp, 200, import_report_json(&rep));
}
