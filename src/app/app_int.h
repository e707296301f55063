/*
 * app_int.h - what the files of app/ share and nobody else may use.
 */
#ifndef LO_APP_APP_INT_H
#define LO_APP_APP_INT_H

#include <jansson.h>

#include "app/app.h"

/* Appends an event in the open transaction; takes over payload (may be NULL). */
int lo__app_event(struct lo_app *app, int64_t project_id, const char *kind,
                  const char *object_type, int64_t object_id, json_t *payload_take,
                  struct lo_error *err);

/* project_get with a not-found message that names the project. */
int lo__app_find_project(struct lo_app *app, const char *name, struct lo_arena *arena,
                         struct lo_project *out, struct lo_error *err);

/* ---- access control (policy.c, audit.c) ---- */

const char *lo__action_name(enum lo_action a);

/* app->who's role in the project (LO_ROLE_ADMIN for admins and the local operator,
 * LO_ROLE_NONE for non-members), read in the open transaction. */
int lo__app_member_role(struct lo_app *app, int64_t project_id, enum lo_role *out,
                        struct lo_error *err);

/* Appends the audited access_denied event of a refusal (who = app->who, payload: the action
 * and the answer's code name) in the open write transaction: the one shape of every denial,
 * whether recorded by lo__app_record_denial or after a write job (app/writer.c). */
int lo__app_denial_event(struct lo_app *app, enum lo_action action, const char *object_type,
                         int64_t object_id, int code, struct lo_error *err);
/* Outside a write job: ends the open transaction, records the denial (only a user's) with
 * lo__app_denial_event in a transaction of its own, and opens a read transaction again for
 * the caller to roll back. Inside a job use lo_write_deny (app/writer.h) instead. */
void lo__app_record_denial(struct lo_app *app, enum lo_action action, const char *object_type,
                           int64_t object_id, int code);

/* Asks lo_policy_check for app->who. On a denial the open transaction is ended, the denial is
 * recorded as an audited access_denied event, a read transaction is open again (the caller
 * rolls it back as on any error) and the error is returned: "no <what>" for an object out of
 * scope, so that it reads like one that does not exist. */
int lo__app_authorize(struct lo_app *app, enum lo_action action,
                      const struct lo_policy_object *obj, const char *object_type,
                      const char *what, struct lo_error *err);
/* The same for a project found in the open transaction; out of scope reads "no project named". */
int lo__app_authorize_project(struct lo_app *app, enum lo_action action,
                              const struct lo_project *p, struct lo_error *err);
/* lo__app_find_project, then lo__app_authorize_project. */
int lo__app_find_project_for(struct lo_app *app, const char *name, enum lo_action action,
                             struct lo_arena *arena, struct lo_project *out,
                             struct lo_error *err);

/* The audit chain: for an audited kind, fills e's audit_seq, prev_hash and hash (into arena)
 * from the last audited event in the open write transaction. */
int lo__audit_chain(struct lo_app *app, struct lo_event *e, struct lo_arena *arena,
                    struct lo_error *err);

/* Puts every item of the project that has none into the workflow (a task row), when the project
 * has a workflow; in the open write transaction. import.c calls it after adding items. */
int lo__wf_sync(struct lo_app *app, int64_t project_id, int64_t *added, struct lo_error *err);

/* Whether the caller sees the project's items as an annotator does (items.c): only those the
 * workflow gave them, their own labels only. In the open transaction. */
int lo__app_annotator_view(struct lo_app *app, int64_t project_id, bool *out,
                           struct lo_error *err);

/* ---- an item's workflow outcome (export.c; the export and the item read share it) ---- */

/* The task of item item_id (its strings in arena), in the open transaction: *found is false,
 * and 0 returned, when the item is in no workflow; otherwise a store error. */
int lo__app_item_task(struct lo_store *st, int64_t item_id, struct lo_arena *arena,
                      struct lo_task_row *out, bool *found, struct lo_error *err);
/* Appends the item's "workflow" object, {"state", "final", "confidence", "method"}, as JSON
 * text: the one writer of that object, for the JSONL export and GET .../items/{id}. Without
 * full, every member is null, the state too (an annotator's view: a gold item's state would
 * tell it apart, decisions/0008). LO_ELIMIT when b's cap is reached (b is then partly
 * written). */
int lo__app_workflow_json(struct lo_buf *b, const struct lo_task_row *t, bool full);

/* Recomputes the least prediction score of the project's tasks (after a predictions import). */
int lo__wf_rescore(struct lo_app *app, int64_t project_id, struct lo_error *err);

/* Frees the app's cache of parsed workflow configurations (lo_app_close). */
void lo__wf_cache_free(struct lo_app *app);

#endif
