/*
 * wf_int.h - what the workflow's use cases share (workflow.c: configuration, next task and
 * lease operations; wf_submit.c: submits, review, overlap and consolidation, lots;
 * wf_manage.c: the manager's queue and actions, reads, consolidation by inference). Nobody
 * outside these three files includes it.
 */
#ifndef LO_APP_WF_INT_H
#define LO_APP_WF_INT_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "app/app.h"
#include "schema/schema.h"
#include "store/store.h"
#include "workflow/config.h"
#include "workflow/workflow.h"

#define DAY_MS 86400000LL
#define WEEK_MS (7 * DAY_MS)

struct wf_cache_entry;

/* Everything a job needs about its project, read inside the job's transaction. */
struct wf_project {
    struct lo_project p;
    struct lo_wf_config cfg;
    bool has_cfg;
    int cfg_version;
    struct lo_schema *schema;
    const struct lo_schema_field *field; /* compared field: single choice or rating, or NULL */
    bool cached;                  /* cfg and schema belong to the app's cache */
    struct wf_cache_entry *entry; /* that cache entry, NULL when not cached */
};

/* A lease route's request and answer. */
struct lease_job {
    const char *lease;
    const json_t *body;
    const char *idem_key;
    const char *op;               /* heartbeat, draft, submit, skip, flag */
    json_t *out;
};

/* A stored JSON text as a value (null when absent or unreadable); NAN as null. */
json_t *lo__wf_parse_or_null(const char *text);
json_t *lo__wf_num_or_null(double v);

/* Loads project (by name, or by id when name is NULL), configuration (required unless
 * optional) and schema in the open transaction; the parsed parts may come from the app's
 * cache. Free with lo__wf_project_free. */
int lo__wf_project_load(struct lo_app *app, int64_t project_id, const char *name,
                        bool optional, struct lo_arena *arena, struct wf_project *w,
                        struct lo_error *err);
void lo__wf_project_free(struct wf_project *w);

/* The caller's role check inside a job: a denial is noted with lo_write_deny, and the writer
 * audits it after rolling the job back (the job must not end the shared transaction). */
int lo__wf_job_authorize(struct lo_app *app, int64_t project_id, enum lo_action action,
                         struct lo_error *err);
/* The read step before a write: find the project and ask the policy (audited on denial). */
int lo__wf_precheck(struct lo_app *app, const char *project, enum lo_action action,
                    int64_t *project_id, struct lo_error *err);
/* LO_EUSAGE unless a user is acting (tasks belong to users). */
int lo__wf_need_user(struct lo_app *app, struct lo_error *err);
/* Moves t by event ev (lo_wf_transition decides; LO_ECONFLICT when not allowed); *from_out
 * (may be NULL) receives the state it left. */
int lo__wf_transition(struct lo_task_row *t, enum lo_wf_event ev, int64_t now,
                      struct lo_arena *arena, const char **from_out, struct lo_error *err);
/* Records an item's state change (takes over payload, may be NULL). */
int lo__wf_item_event(struct lo_app *app, const struct lo_task_row *t, const char *kind,
                      const char *from, json_t *payload, struct lo_error *err);
/* A job's answer to the caller on success; freed on failure. Returns rc. */
int lo__wf_hand_over(int rc, json_t **answer, json_t **out);

/* The caller's lease and its project; someone else's lease reads as missing. */
int lo__wf_lease_load(struct lo_app *app, const char *id, struct lo_arena *arena,
                      struct lo_lease_row *l, struct wf_project *w, struct lo_error *err);
int lo__wf_lease_expired_error(const struct lo_lease_row *l, struct lo_error *err);
int lo__wf_lease_closed_error(const struct lo_lease_row *l, struct lo_error *err);

/* The overlap rule on an item in the queue (more labels, complete, or adjudication); with
 * refinal, a complete item whose labels changed gets its final label again. */
int lo__wf_decide(struct lo_app *app, const struct wf_project *w, struct lo_task_row *t,
                  int64_t now, struct lo_arena *arena, struct lo_error *err);
int lo__wf_decide_final(struct lo_app *app, const struct wf_project *w, struct lo_task_row *t,
                        int64_t now, bool refinal, struct lo_arena *arena,
                        struct lo_error *err);
/* For an adjudicator to start from: the majority merge of the item's active labels on the
 * schema's boxes or spans field, as {"<field>": [objects]} (*out, a new reference); *out NULL
 * when the schema has no such field or the item has fewer than two active labels. */
int lo__wf_merged_objects(struct lo_app *app, const struct wf_project *w, int64_t item_id,
                          struct lo_arena *arena, json_t **out, struct lo_error *err);
/* Validates a value (an object) against the schema and the item; *text_out is its JSON text
 * (malloc'd). An error names "value.<field path>". */
int lo__wf_check_value(struct lo_app *app, const struct wf_project *w, int64_t item_id,
                       const json_t *value, struct lo_arena *arena, char **text_out,
                       struct lo_error *err);
/* The submit job (wf_submit.c). */
int lo__wf_job_submit(struct lo_app *app, void *ctx, struct lo_error *err);

#endif
