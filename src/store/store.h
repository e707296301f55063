/*
 * store.h - the persistence interface of labelops.
 *
 * One interface, a struct of function pointers (like SQLite's VFS), with one backend per
 * database: SQLite now (store_sqlite.c), PostgreSQL later. All SQL lives behind it. Callers in
 * app/ open a transaction, call operations, and commit or roll back; no operation commits on
 * its own. Strings a read operation returns are copied into the caller's arena and live as
 * long as it. A store handle is used by one thread at a time (the server opens one per worker).
 *
 * Every operation returns 0 or a negative enum lo_err (LO_ENOTFOUND, LO_ECONFLICT, LO_ESTORE)
 * and fills err.
 */
#ifndef LO_STORE_STORE_H
#define LO_STORE_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/arena.h"
#include "base/err.h"
#include "store/store_wf.h"

/* A project. Goals are NAN (numbers) or NULL (deadline) when unset. */
struct lo_project {
    int64_t id;
    const char *name;
    const char *description;      /* "" when none */
    const char *schema_json;      /* NULL until the project has a schema */
    int schema_version;           /* 0 without a schema, then 1, 2, ... */
    int guideline_version;        /* latest guideline version, 0 when none (read only) */
    double goal_accuracy;         /* target share of correct labels, 0..1 */
    double goal_turnaround_hours;
    double goal_cost_per_label;
    double goal_budget;
    const char *goal_deadline;    /* ISO 8601 date, e.g. 2027-03-31 */
    int64_t created_ms;
};

struct lo_project_counts {
    int64_t items;
    int64_t annotations;
    int64_t predictions;
    int64_t gold_items;
    int64_t annotators;           /* distinct annotator names */
};

struct lo_guideline {
    int64_t project_id;
    int version;
    const char *body;             /* Markdown */
    const char *author;
    int64_t created_ms;
};

struct lo_item {
    int64_t id;
    int64_t project_id;
    const char *external_id;
    const char *payload_json;     /* a JSON object */
    const char *gold_json;        /* the known answer (a JSON value), NULL when none */
    const char *gold_section;     /* the heading of the guideline section the gold answer comes
                                   * from, NULL when none (migration 5) */
    int64_t created_ms;
};

/* An annotation and its provenance. Provenance fields not yet known are 0 / NULL / NAN. */
struct lo_annotation {
    int64_t id;
    int64_t project_id;
    int64_t item_id;
    const char *annotator;
    const char *value_json;       /* a JSON object: {field name: value} */
    int64_t created_ms;
    int guideline_version;
    int schema_version;
    const char *workflow_stage;   /* e.g. "import", "label", "review" */
    const char *lease_id;
    double working_seconds;       /* server-measured; NAN when unknown */
    const char *source;           /* "import" or "human" */
    const char *status;           /* read by export_scan: "active", or "rejected", "superseded",
                                   * "invalidated" for workflow labels that no longer count;
                                   * written as "active" by the inserts */
};

struct lo_prediction {
    int64_t id;
    int64_t project_id;
    int64_t item_id;
    const char *model_name;
    const char *model_version;
    const char *value_json;
    double score;                 /* NAN when the model gave none */
    int64_t created_ms;
};

/* One entry of the event log, the source of truth for operations. */
struct lo_event {
    int64_t id;
    int64_t project_id;           /* 0 when not about a project */
    const char *kind;             /* "project_created", "imported", "guideline_set", ... */
    const char *actor;
    const char *object_type;      /* "project", "item", "annotation", ... */
    int64_t object_id;
    const char *payload_json;     /* a JSON object, "{}" when nothing more */
    int64_t created_ms;
    /* The audit chain (security events only; 0 / NULL for the others): the event's place in
     * the chain, the previous audited event's hash and this one's, both as 64 hex digits. */
    int64_t audit_seq;
    const char *prev_hash;
    const char *hash;
};

/* Accounts (issue 4). Roles are stored by name (app/auth.h lo_role_name); secrets only as
 * hashes: password_hash is a libsodium Argon2id string, token hashes are SHA-256 hex. */
struct lo_vendor_row {
    int64_t id;
    const char *name;
    int64_t created_ms;
};

struct lo_user_row {
    int64_t id;
    const char *name;
    const char *role;
    int64_t vendor_id;            /* 0: in-house */
    const char *vendor_name;      /* NULL when in-house (read only) */
    const char *password_hash;
    bool disabled;
    int64_t created_ms;
};

struct lo_member_row {
    int64_t project_id;
    int64_t user_id;
    const char *user_name;        /* read only */
    const char *role;
    int64_t created_ms;
};

struct lo_session_row {
    int64_t id;
    const char *token_hash;
    int64_t user_id;
    const char *csrf_token;
    int64_t created_ms;
    int64_t expires_ms;
    int64_t revoked_ms;           /* 0 while valid */
};

struct lo_token_row {
    int64_t id;
    const char *token_hash;
    int64_t user_id;
    const char *name;
    int64_t created_ms;
    int64_t last_used_ms;         /* 0: never */
    int64_t revoked_ms;           /* 0 while valid */
};

/* Failed sign-ins counted under a key ("user:NAME" or "addr:ADDRESS") since window_start_ms. */
struct lo_throttle_row {
    int64_t failures;
    int64_t window_start_ms;
};

/* What item_insert does when the external id exists already. */
enum lo_item_conflict {
    LO_ITEM_SKIP,                 /* keep the stored item, report LO_ITEM_EXISTED */
    LO_ITEM_UPDATE,               /* replace the payload, report LO_ITEM_UPDATED (or UNCHANGED) */
};

enum lo_item_outcome {
    LO_ITEM_INSERTED,
    LO_ITEM_EXISTED,
    LO_ITEM_UPDATED,
    LO_ITEM_UNCHANGED,
};

/* One item with everything attached to it, as export_scan delivers it. The arrays and strings
 * are valid only during the callback. */
struct lo_export_row {
    struct lo_item item;
    size_t n_annotations;
    const struct lo_annotation *annotations; /* by id */
    size_t n_predictions;
    const struct lo_prediction *predictions; /* by id */
};

struct lo_store;

typedef int (*lo_project_cb)(void *ctx, const struct lo_project *p);
typedef int (*lo_guideline_cb)(void *ctx, const struct lo_guideline *g);
typedef int (*lo_export_cb)(void *ctx, const struct lo_export_row *row);
typedef int (*lo_event_cb)(void *ctx, const struct lo_event *e);
typedef int (*lo_vendor_row_cb)(void *ctx, const struct lo_vendor_row *v);
typedef int (*lo_user_row_cb)(void *ctx, const struct lo_user_row *u);
typedef int (*lo_member_row_cb)(void *ctx, const struct lo_member_row *m);
typedef int (*lo_token_row_cb)(void *ctx, const struct lo_token_row *t);

struct lo_store_ops {
    const char *name;             /* "sqlite" */
    const struct lo_wf_store_ops *wf; /* the workflow operations (store_wf.h) */
    void (*close)(struct lo_store *st);

    /* Transactions: write = true takes the write lock at once (SQLite BEGIN IMMEDIATE). */
    int (*begin)(struct lo_store *st, bool write, struct lo_error *err);
    int (*commit)(struct lo_store *st, struct lo_error *err);
    int (*rollback)(struct lo_store *st);

    /* Projects. project_create fills p->id; a taken name is LO_ECONFLICT. */
    int (*project_create)(struct lo_store *st, struct lo_project *p, struct lo_error *err);
    int (*project_get)(struct lo_store *st, const char *name, struct lo_arena *arena,
                       struct lo_project *out, struct lo_error *err);
    int (*project_list)(struct lo_store *st, struct lo_arena *arena, lo_project_cb cb, void *ctx,
                        struct lo_error *err);
    /* Deletes the project and everything in it. */
    int (*project_delete)(struct lo_store *st, int64_t project_id, struct lo_error *err);
    /* Stores a new schema version (the old ones are kept) and returns its number. */
    int (*project_set_schema)(struct lo_store *st, int64_t project_id, const char *schema_json,
                              int64_t now_ms, int *version_out, struct lo_error *err);
    int (*project_counts)(struct lo_store *st, int64_t project_id, struct lo_project_counts *out,
                          struct lo_error *err);

    /* Guidelines: every set makes a new version; old versions are never changed. */
    int (*guideline_add)(struct lo_store *st, int64_t project_id, const char *body,
                         const char *author, int64_t now_ms, int *version_out,
                         struct lo_error *err);
    /* version 0 means the latest; LO_ENOTFOUND when there is none. */
    int (*guideline_get)(struct lo_store *st, int64_t project_id, int version,
                         struct lo_arena *arena, struct lo_guideline *out, struct lo_error *err);
    /* Newest first; body is not filled (NULL) to keep listing cheap. */
    int (*guideline_list)(struct lo_store *st, int64_t project_id, struct lo_arena *arena,
                          lo_guideline_cb cb, void *ctx, struct lo_error *err);

    /* Items. On an existing external id, mode decides; *id_out is the item's id either way.
     * LO_ITEM_UPDATE replaces gold_json and gold_section only when the item carries them (a
     * NULL keeps the stored value). */
    int (*item_insert)(struct lo_store *st, const struct lo_item *item,
                       enum lo_item_conflict mode, int64_t *id_out,
                       enum lo_item_outcome *outcome, struct lo_error *err);
    /* Inserts n items as n item_insert calls in that order would (same ids, same outcomes),
     * several rows per statement: the bulk path of imports. ids_out and outcomes have room for
     * n entries. On an error the items before the failing one may be stored: roll back. */
    int (*item_insert_many)(struct lo_store *st, const struct lo_item *items, size_t n,
                            enum lo_item_conflict mode, int64_t *ids_out,
                            enum lo_item_outcome *outcomes, struct lo_error *err);
    int (*item_find)(struct lo_store *st, int64_t project_id, const char *external_id,
                     int64_t *id_out, struct lo_error *err);
    int (*item_set_gold)(struct lo_store *st, int64_t item_id, const char *gold_json,
                         struct lo_error *err);

    int (*annotation_insert)(struct lo_store *st, const struct lo_annotation *a,
                             int64_t *id_out, struct lo_error *err);
    /* Inserts n annotations as n annotation_insert calls in order would, several rows per
     * statement; ids_out (n entries) may be NULL. On an error roll back. */
    int (*annotation_insert_many)(struct lo_store *st, const struct lo_annotation *a, size_t n,
                                  int64_t *ids_out, struct lo_error *err);
    int (*prediction_insert)(struct lo_store *st, const struct lo_prediction *p,
                             int64_t *id_out, struct lo_error *err);
    int (*event_append)(struct lo_store *st, const struct lo_event *e, int64_t *id_out,
                        struct lo_error *err);
    /* Events of a project (0: all) in id order. */
    int (*event_list)(struct lo_store *st, int64_t project_id, struct lo_arena *arena,
                      lo_event_cb cb, void *ctx, struct lo_error *err);

    /* Every item of a project in id order with its annotations and predictions, streamed in
     * constant memory. A non-zero return from cb stops the scan and is returned. */
    int (*export_scan)(struct lo_store *st, int64_t project_id, lo_export_cb cb, void *ctx,
                       struct lo_error *err);
    /* Up to limit (>= 1) items of the project with an id above after_id, in id order, each
     * with its annotations and predictions, delivered as export_scan does. A seek on the item
     * id, not a scan of the project: the cost is the page (plus rows of other projects stored
     * between its first and last id). */
    int (*item_page)(struct lo_store *st, int64_t project_id, int64_t after_id, int limit,
                     lo_export_cb cb, void *ctx, struct lo_error *err);

    /* ---- accounts (migration 2) ---- */
    /* A taken name is LO_ECONFLICT; fills id. */
    int (*vendor_create)(struct lo_store *st, struct lo_vendor_row *v, struct lo_error *err);
    int (*vendor_get)(struct lo_store *st, const char *name, struct lo_arena *arena,
                      struct lo_vendor_row *out, struct lo_error *err);
    int (*vendor_list)(struct lo_store *st, struct lo_arena *arena, lo_vendor_row_cb cb,
                       void *ctx, struct lo_error *err);
    /* A taken name is LO_ECONFLICT, an unknown vendor_id LO_ENOTFOUND; fills id. */
    int (*user_create)(struct lo_store *st, struct lo_user_row *u, struct lo_error *err);
    /* By name (name != NULL) or by id. */
    int (*user_get)(struct lo_store *st, const char *name, int64_t id, struct lo_arena *arena,
                    struct lo_user_row *out, struct lo_error *err);
    /* By name; vendor_id > 0 lists only that vendor's users. */
    int (*user_list)(struct lo_store *st, int64_t vendor_id, struct lo_arena *arena,
                     lo_user_row_cb cb, void *ctx, struct lo_error *err);
    /* Changes role, disabled flag and password hash (NULL: keep) of user id. */
    int (*user_update)(struct lo_store *st, int64_t id, const char *role, bool disabled,
                       const char *password_hash, struct lo_error *err);
    /* Inserts or replaces the membership. */
    int (*member_set)(struct lo_store *st, const struct lo_member_row *m, struct lo_error *err);
    int (*member_remove)(struct lo_store *st, int64_t project_id, int64_t user_id,
                         struct lo_error *err);
    /* The user's role in the project; LO_ENOTFOUND when not a member. */
    int (*member_get)(struct lo_store *st, int64_t project_id, int64_t user_id,
                      struct lo_arena *arena, struct lo_member_row *out, struct lo_error *err);
    int (*member_list)(struct lo_store *st, int64_t project_id, struct lo_arena *arena,
                       lo_member_row_cb cb, void *ctx, struct lo_error *err);
    /* Sessions and API tokens are looked up by the hash of the secret only. */
    int (*session_create)(struct lo_store *st, struct lo_session_row *s, struct lo_error *err);
    int (*session_get)(struct lo_store *st, const char *token_hash, struct lo_arena *arena,
                       struct lo_session_row *out, struct lo_error *err);
    /* Revokes one session (token_hash) or, with token_hash NULL, every session of user_id. */
    int (*session_revoke)(struct lo_store *st, const char *token_hash, int64_t user_id,
                          int64_t now_ms, struct lo_error *err);
    int (*token_create)(struct lo_store *st, struct lo_token_row *t, struct lo_error *err);
    /* By hash (token_hash != NULL) or by id. */
    int (*token_get)(struct lo_store *st, const char *token_hash, int64_t id,
                     struct lo_arena *arena, struct lo_token_row *out, struct lo_error *err);
    int (*token_touch)(struct lo_store *st, int64_t id, int64_t now_ms, struct lo_error *err);
    /* The tokens of user_id (every user's with user_id 0) in id order; token_hash is NULL. */
    int (*token_list)(struct lo_store *st, int64_t user_id, struct lo_arena *arena,
                      lo_token_row_cb cb, void *ctx, struct lo_error *err);
    /* Revokes token id or, with id 0, every token of user_id. */
    int (*token_revoke)(struct lo_store *st, int64_t id, int64_t user_id, int64_t now_ms,
                        struct lo_error *err);
    /* Sign-in throttle state under key; a missing key reads as zero failures. */
    int (*throttle_get)(struct lo_store *st, const char *key, struct lo_throttle_row *out,
                        struct lo_error *err);
    int (*throttle_put)(struct lo_store *st, const char *key, const struct lo_throttle_row *t,
                        struct lo_error *err);
    int (*throttle_clear)(struct lo_store *st, const char *key, struct lo_error *err);
    /* The last audited event's sequence number and hash (0 and NULL when none). */
    int (*audit_last)(struct lo_store *st, struct lo_arena *arena, int64_t *seq_out,
                      const char **hash_out, struct lo_error *err);
    /* Audited events in id order (the order they were appended). */
    int (*audit_list)(struct lo_store *st, struct lo_arena *arena, lo_event_cb cb, void *ctx,
                      struct lo_error *err);
};

struct lo_store {
    const struct lo_store_ops *ops;
};

/* Opens (creating if needed) an SQLite database at path and applies pending migrations. */
int lo_store_open_sqlite(const char *path, struct lo_store **out, struct lo_error *err);

/* For benchmarks: copies the database at path to a file in memory (/dev/shm, else /tmp), whose
 * path goes to copy_path, and makes every connection the process opens from then on commit
 * without syncs (WAL kept, so readers and the writer still do not block each other): the
 * reference for what durable commits cost. The caller serves the copy and removes it. */
int lo_store_sqlite_memory_copy(const char *path, char *copy_path, size_t cap,
                                struct lo_error *err);

/* The schema version the migrations of this binary bring a database to. */
int lo_store_schema_version(void);

static inline void lo_store_close(struct lo_store *st)
{
    if (st)
        st->ops->close(st);
}

#endif
