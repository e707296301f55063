/*
 * api_data.h - the data routes of the API (api_data.c): a project's items, guidelines, schema,
 * label and prediction uploads, agreement and aggregation. Rows for them are in k_routes (api.c).
 */
#ifndef LO_HTTP_API_DATA_H
#define LO_HTTP_API_DATA_H

struct lo_http_req;

int lo__h_items_list(struct lo_http_req *r);
int lo__h_item_get(struct lo_http_req *r);
int lo__h_guidelines_get(struct lo_http_req *r);
int lo__h_guidelines_put(struct lo_http_req *r);
int lo__h_agreement(struct lo_http_req *r);
int lo__h_aggregate(struct lo_http_req *r);
int lo__h_schema_get(struct lo_http_req *r);
int lo__h_schema_put(struct lo_http_req *r);
int lo__h_labels_import(struct lo_http_req *r);
int lo__h_predictions_import(struct lo_http_req *r);

#endif
