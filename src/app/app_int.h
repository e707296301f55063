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

#endif
