/*
 * api_admin.h - the administration routes of the API (users, vendors, project members, API
 * tokens, the audit log); handlers in api_admin.c, rows in api.c's route table.
 */
#ifndef LO_HTTP_API_ADMIN_H
#define LO_HTTP_API_ADMIN_H

struct lo_http_req;

int lo__h_users_list(struct lo_http_req *r);
int lo__h_users_create(struct lo_http_req *r);
int lo__h_user_get(struct lo_http_req *r);
int lo__h_user_patch(struct lo_http_req *r);
int lo__h_vendors_list(struct lo_http_req *r);
int lo__h_vendors_create(struct lo_http_req *r);
int lo__h_members_list(struct lo_http_req *r);
int lo__h_members_add(struct lo_http_req *r);
int lo__h_member_remove(struct lo_http_req *r);
int lo__h_tokens_list(struct lo_http_req *r);
int lo__h_tokens_create(struct lo_http_req *r);
int lo__h_token_revoke(struct lo_http_req *r);
int lo__h_audit_list(struct lo_http_req *r);
int lo__h_audit_verify(struct lo_http_req *r);

#endif
