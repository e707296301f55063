/*
 * app.h - the use cases of labelops: the only door to the store.
 *
 * Every use case is one function that opens the transaction, checks what it must (the policy
 * function arrives with accounts; today every caller is the local user), does the work, appends
 * the event, and commits -- or rolls back and changes nothing. cli/ and (later) http/ are thin
 * adapters over these functions, so they cannot disagree about rules.
 */
#ifndef LO_APP_APP_H
#define LO_APP_APP_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

#include "base/arena.h"
#include "base/buf.h"
#include "base/clock.h"
#include "base/err.h"
#include "base/rng.h"
#include "app/auth.h"
#include "io/csv.h"
#include "quality/ratings.h"
#include "store/store.h"

struct lo_writer;
struct lo_wf_cache;
struct lo_write_denial;

struct lo_app {
    struct lo_store *store;
    struct lo_writer *writer;/* the server's group-commit writer (app/writer.h); NULL: the
                              * app writes through its own store (the command line) */
    struct lo_wf_cache *wf_cache; /* parsed workflow configurations (app/workflow.c) */
    struct lo_clock clock;
    struct lo_rng rng;
    const char *actor;      /* who acts, by name, for events */
    struct lo_principal who;/* who acts, for lo_policy_check (app/auth.h); lo_app_open makes
                             * it the local operator, the server sets it per request */
    /* NULL, or a counter the use cases bump after committing anything that changes what a
     * credential stands for (revocation, logout, role, disabled, membership): the server
     * points every worker's app at one counter so its principal caches see the change at once
     * (http/pcache.h). */
    atomic_uint_fast64_t *auth_generation;
    /* While a write job runs (app/writer.h): where lo_write_deny notes a refusal, so the writer
     * can record it after rolling the job back. NULL outside a job. */
    struct lo_write_denial *denial;
};

/* Opens the database at db_path (creating it and applying migrations). */
int lo_app_open(struct lo_app *app, const char *db_path, struct lo_error *err);
void lo_app_close(struct lo_app *app);

/* ---- projects ---------------------------------------------------------------------------- */

struct lo_project_spec {
    const char *name;
    const char *description;     /* NULL: "" */
    const char *schema_json;     /* NULL: the first `import labels` infers one */
    double goal_accuracy;        /* NAN when unset */
    double goal_turnaround_hours;
    double goal_cost_per_label;
    double goal_budget;
    const char *goal_deadline;   /* YYYY-MM-DD or NULL */
};

void lo_project_spec_init(struct lo_project_spec *s);
int lo_app_project_create(struct lo_app *app, const struct lo_project_spec *spec, int64_t *id_out,
                          struct lo_error *err);
int lo_app_project_get(struct lo_app *app, const char *name, struct lo_arena *arena,
                       struct lo_project *out, struct lo_project_counts *counts,
                       struct lo_error *err);
int lo_app_project_list(struct lo_app *app, struct lo_arena *arena, lo_project_cb cb, void *ctx,
                        struct lo_error *err);
int lo_app_project_delete(struct lo_app *app, const char *name, struct lo_error *err);

/* The project as JSON, as every adapter shows it: name, description, created, schema and
 * guideline versions, goals (null when unset), and the schema. The caller owns the result. */
json_t *lo_project_json(const struct lo_project *p);
/* The same JSON written straight into b (compact), without building it: the server's hot path
 * for a project read. Parses to a value equal to lo_project_json's. LO_EINVAL (nothing useful
 * in b) when a string of p is not valid UTF-8: use lo_project_json then. */
int lo_project_json_write(const struct lo_project *p, struct lo_buf *b);

/* ---- schemas ----------------------------------------------------------------------------- */

/* The project's current label schema (canonical JSON, copied into arena) and its version.
 * LO_ENOTFOUND (field "schema") when it has none yet. Policy: LO_ACT_READ on the project. */
int lo_app_schema_get(struct lo_app *app, const char *project, struct lo_arena *arena,
                      const char **schema_json_out, int *version_out, struct lo_error *err);
/* Validates schema_json (src/schema: LO_EINVAL naming the field at fault) and stores it as the
 * project's next schema version; older versions are kept, and annotations keep the version
 * they were made under. Policy: LO_ACT_UPDATE on the project. Appends a schema_set event. */
int lo_app_schema_set(struct lo_app *app, const char *project, const char *schema_json,
                      int *version_out, struct lo_error *err);

/* ---- guidelines -------------------------------------------------------------------------- */

int lo_app_guideline_set(struct lo_app *app, const char *project, const char *body,
                         int *version_out, struct lo_error *err);
int lo_app_guideline_get(struct lo_app *app, const char *project, int version,
                         struct lo_arena *arena, struct lo_guideline *out, struct lo_error *err);
int lo_app_guideline_log(struct lo_app *app, const char *project, struct lo_arena *arena,
                         lo_guideline_cb cb, void *ctx, struct lo_error *err);

/* ---- import ------------------------------------------------------------------------------ */

struct lo_import_opts {
    enum lo_format format;       /* LO_FMT_AUTO: from the extension */
    bool update;                 /* items: an existing external id gets the new payload */
    bool skip_invalid;           /* import the good lines, write the bad ones to rejects_path */
    const char *rejects_path;    /* NULL: FILE.rejected.jsonl */
    /* items */
    const char *id_field;        /* NULL: id, external_id, item, item_id */
    const char *text_field;      /* a column/key stored as payload "text" */
    const char *image_field;     /* a column/key stored as payload "image" */
    /* labels */
    const char *item_field, *annotator_field, *label_field, *gold_field;
    const char *value_field;     /* schema field the labels fill (NULL: the only field) */
    bool numeric;                /* schema inference: a numeric rating instead of classes */
    /* predictions */
    const char *model;           /* default model name when the file has none */
    const char *model_version;
};

struct lo_import_report {
    int64_t lines;               /* records read */
    int64_t items_inserted, items_updated, items_unchanged, items_skipped;
    int64_t annotations, predictions, gold;
    int64_t rejected;            /* with skip_invalid */
    int64_t annotations_skipped; /* attached to skipped items */
    bool schema_inferred;
    double seconds;
};

void lo_import_opts_init(struct lo_import_opts *o);
int lo_app_import_items(struct lo_app *app, const char *project, const char *path,
                        const struct lo_import_opts *o, struct lo_import_report *rep,
                        struct lo_error *err);
int lo_app_import_labels(struct lo_app *app, const char *project, const char *path,
                         const struct lo_import_opts *o, struct lo_import_report *rep,
                         struct lo_error *err);
int lo_app_import_predictions(struct lo_app *app, const char *project, const char *path,
                              const struct lo_import_opts *o, struct lo_import_report *rep,
                              struct lo_error *err);

/* ---- export ------------------------------------------------------------------------------ */

struct lo_export_report {
    int64_t items, annotations, predictions;
    double seconds;
};

/* Streams every item of the project with its annotations and predictions to out, as JSONL (one
 * item per line, readable by lo_app_import_items) or CSV (one row per annotation or
 * prediction; items without any get one row). Memory stays flat. */
int lo_app_export(struct lo_app *app, const char *project, enum lo_format format, FILE *out,
                  struct lo_export_report *rep, struct lo_error *err);

/* ---- statistics over a project ----------------------------------------------------------- */

/* Loads a project's labels for one schema field (NULL: the only field) as coded ratings, with
 * gold answers where items have them. Only single-choice and rating fields reduce to a label. */
int lo_app_project_ratings(struct lo_app *app, const char *project, const char *field,
                           struct lo_arena *arena, struct lo_ratings *out, struct lo_error *err);

/* ---- items (items.c) ---------------------------------------------------------------------- */

/* Calls cb for at most limit items of the project with an id above after_id, in id order,
 * with their annotations and predictions (an indexed seek: the cost is the page, not the
 * project); a non-zero return from cb stops and is returned (1: "page full"). Policy:
 * LO_ACT_READ on the project. */
int lo_app_item_list(struct lo_app *app, const char *project, int64_t after_id, int limit,
                     lo_export_cb cb, void *ctx, struct lo_error *err);
/* Calls cb once with item item_id of the project; LO_ENOTFOUND when the project has no such
 * item. *workflow_out receives the item's workflow outcome as the JSON text of the export's
 * "workflow" object ({"state", "final", "confidence", "method"}; out_arena owns it), NULL when
 * the item is in no workflow; an annotator's has no final label, confidence or method
 * (docs/decisions/0008-item-workflow-view.md). Policy: LO_ACT_READ on the project; an
 * annotator sees only an item the workflow gave them, with their own labels. */
int lo_app_item_get(struct lo_app *app, const char *project, int64_t item_id, lo_export_cb cb,
                    void *ctx, struct lo_arena *out_arena, const char **workflow_out,
                    struct lo_error *err);
/* 0 when the caller may see every label of the project (per-item consensus included);
 * LO_EFORBIDDEN for an annotator, who sees only their own (docs/access.md). Policy: READ. */
int lo_app_labels_visible(struct lo_app *app, const char *project, struct lo_error *err);

#endif
