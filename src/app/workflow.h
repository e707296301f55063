/*
 * workflow.h - the workflow use cases: configuring a project's workflow, handing out tasks
 * (leases), drafts, submits, review, adjudication, flags, the manager's queue, pausing and
 * invalidating annotators, item history, and editing annotations with a version check.
 *
 * Every function checks the caller (app->who) with the one policy function, then does its
 * writes through lo_app_write (app/writer.h): on the server they join a group commit, on the
 * command line they commit on their own. Answers are JSON objects shaped as in
 * docs/api-workflow.md, owned by the caller (json_decref). A decision is never made here that
 * workflow/workflow.h can make: this file gathers facts, asks, and records.
 */
#ifndef LO_APP_WORKFLOW_H
#define LO_APP_WORKFLOW_H

#include <jansson.h>
#include <stdint.h>

#include "app/app.h"

/* The project's configuration with every default filled in (and its version, 0 when the
 * project has none yet: then the defaults). Policy: READ. */
int lo_app_workflow_get(struct lo_app *app, const char *project, json_t **out,
                        struct lo_error *err);
/* Validates and stores a new configuration (LO_EINVAL naming the field), and puts every item
 * of the project into the workflow. Policy: UPDATE (managers). */
int lo_app_workflow_set(struct lo_app *app, const char *project, const json_t *config,
                        json_t **out, struct lo_error *err);

/* kind: "label" (serves the caller's rework first), "review" or "adjudicate". */
int lo_app_task_next(struct lo_app *app, const char *project, const char *kind, json_t **out,
                     struct lo_error *err);
int lo_app_task_heartbeat(struct lo_app *app, const char *lease, json_t **out,
                          struct lo_error *err);
int lo_app_task_draft(struct lo_app *app, const char *lease, const json_t *body, json_t **out,
                      struct lo_error *err);
/* idem_key (NULL: none): a repeat with the same key returns the first answer unchanged. */
int lo_app_task_submit(struct lo_app *app, const char *lease, const json_t *body,
                       const char *idem_key, json_t **out, struct lo_error *err);
/* The asynchronous forms of next and submit, for the server: the checks that need no write
 * run now (an error is returned at once and done is not called); the job then joins the
 * group-commit writer, and done(arg, rc, err, answer) is called on the writer's thread once
 * it is durable (answer: a new reference, NULL on error). Without a writer, done runs before
 * the call returns. body must live until done. */
typedef void (*lo_wf_done)(void *arg, int rc, const struct lo_error *err, json_t *answer);
int lo_app_task_next_async(struct lo_app *app, const char *project, const char *kind,
                           lo_wf_done done, void *arg, struct lo_error *err);
int lo_app_task_submit_async(struct lo_app *app, const char *lease, const json_t *body,
                             const char *idem_key, lo_wf_done done, void *arg,
                             struct lo_error *err);
int lo_app_task_skip(struct lo_app *app, const char *lease, const json_t *body, json_t **out,
                     struct lo_error *err);
int lo_app_task_flag(struct lo_app *app, const char *lease, const json_t *body, json_t **out,
                     struct lo_error *err);

/* Manager: the queue, a flagged item back to the queue, pause / resume / invalidate. */
int lo_app_wf_queue(struct lo_app *app, const char *project, json_t **out,
                    struct lo_error *err);
int lo_app_item_requeue(struct lo_app *app, const char *project, int64_t item_id,
                        const json_t *body, json_t **out, struct lo_error *err);
/* action: "pause", "resume", "invalidate" (body "since_ms") or "set" (body "skills",
 * "languages", "cap_per_day"). */
int lo_app_annotator_action(struct lo_app *app, const char *project, const char *user,
                            const char *action, const json_t *body, json_t **out,
                            struct lo_error *err);

/* Recomputes the final labels of the project's complete items by truth inference over all
 * their active labels (method: mv, ds, onecoin, glad, mace; quality/inference.h) and records
 * method and confidence. Policy: UPDATE. */
int lo_app_wf_consolidate(struct lo_app *app, const char *project, const char *method,
                          json_t **out, struct lo_error *err);

/* The project's annotators and reviewers with their skills, languages, cap, labels, gold record
 * and pause: for managers and admins; a vendor manager sees their vendor's people only. */
int lo_app_wf_annotators(struct lo_app *app, const char *project, json_t **out,
                         struct lo_error *err);

/* Every event of the item. Policy: READ. */
int lo_app_item_history(struct lo_app *app, const char *project, int64_t item_id, json_t **out,
                        struct lo_error *err);
/* The caller's standing in the project (annotator home). */
int lo_app_wf_me(struct lo_app *app, const char *project, json_t **out, struct lo_error *err);

/* One annotation with its version; its author or a reviewer of the project may read it. */
int lo_app_annotation_get(struct lo_app *app, int64_t id, json_t **out, int *version_out,
                          struct lo_error *err);
/* Replaces the value when the stored version is if_match (LO_ECONFLICT naming "If-Match" when
 * stale): the author while the item is not complete, or a manager. */
int lo_app_annotation_edit(struct lo_app *app, int64_t id, int if_match, const json_t *body,
                           json_t **out, struct lo_error *err);

#endif
