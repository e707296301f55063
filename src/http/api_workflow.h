/*
 * api_workflow.h - the workflow routes (api_workflow.c): configuration, tasks (next, heartbeat,
 * draft, submit, skip, flag), the manager's queue and actions, item history, the caller's
 * standing, and annotations with ETag / If-Match. Rows for them are in k_routes (api.c);
 * docs/api-workflow.md describes them.
 */
#ifndef LO_HTTP_API_WORKFLOW_H
#define LO_HTTP_API_WORKFLOW_H

struct lo_http_req;

int lo__h_workflow_get(struct lo_http_req *r);
int lo__h_workflow_put(struct lo_http_req *r);
int lo__h_task_next(struct lo_http_req *r);
int lo__h_task_heartbeat(struct lo_http_req *r);
int lo__h_task_draft(struct lo_http_req *r);
int lo__h_task_submit(struct lo_http_req *r);
int lo__h_task_skip(struct lo_http_req *r);
int lo__h_task_flag(struct lo_http_req *r);
int lo__h_wf_queue(struct lo_http_req *r);
int lo__h_item_requeue(struct lo_http_req *r);
int lo__h_annotator_pause(struct lo_http_req *r);
int lo__h_annotator_resume(struct lo_http_req *r);
int lo__h_annotator_invalidate(struct lo_http_req *r);
int lo__h_item_history(struct lo_http_req *r);
int lo__h_wf_me(struct lo_http_req *r);
int lo__h_annotation_get(struct lo_http_req *r);
int lo__h_annotation_patch(struct lo_http_req *r);
int lo__h_wf_consolidate(struct lo_http_req *r);
int lo__h_annotator_put(struct lo_http_req *r);
int lo__h_wf_annotators(struct lo_http_req *r);

#endif
