/*
 * migrations.c - the schema of the SQLite store, as numbered migrations.
 *
 * Why C string literals and not .sql files turned into C at build time: the schema is small,
 * string literals need no generator step in the build, and the SQL stays readable here with its
 * comments. Never edit a released migration; add the next number. Deleting a project deletes
 * everything in it through ON DELETE CASCADE, so every child table has an index that starts
 * with its foreign key (without one, each cascaded delete would scan the child table).
 */
#include "store/migrations.h"

static const char migration_0001[] =
    /* Marks the file as a labelops database ("LOPS"). */
    "PRAGMA application_id = 1280266323;\n"

    "CREATE TABLE projects (\n"
    "    id INTEGER PRIMARY KEY,\n"
    "    name TEXT NOT NULL UNIQUE,\n"
    "    description TEXT NOT NULL DEFAULT '',\n"
    "    schema_version INTEGER NOT NULL DEFAULT 0,  -- current; the text is in schema_versions\n"
    "    goal_accuracy REAL,                         -- NULL when unset\n"
    "    goal_turnaround_hours REAL,\n"
    "    goal_cost_per_label REAL,\n"
    "    goal_budget REAL,\n"
    "    goal_deadline TEXT,                         -- ISO 8601 date\n"
    "    created_ms INTEGER NOT NULL\n"
    ");\n"

    /* Every schema version a project ever had; rows are never updated. */
    "CREATE TABLE schema_versions (\n"
    "    project_id INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,\n"
    "    version INTEGER NOT NULL,\n"
    "    schema_json TEXT NOT NULL,\n"
    "    created_ms INTEGER NOT NULL,\n"
    "    PRIMARY KEY (project_id, version)\n"
    ") WITHOUT ROWID;\n"
    "CREATE TRIGGER schema_versions_immutable BEFORE UPDATE ON schema_versions BEGIN\n"
    "    SELECT RAISE(ABORT, 'schema versions are never changed');\n"
    "END;\n"

    /* Guideline versions; rows are never updated. */
    "CREATE TABLE guidelines (\n"
    "    project_id INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,\n"
    "    version INTEGER NOT NULL,\n"
    "    body TEXT NOT NULL,\n"
    "    author TEXT NOT NULL,\n"
    "    created_ms INTEGER NOT NULL,\n"
    "    PRIMARY KEY (project_id, version)\n"
    ") WITHOUT ROWID;\n"
    "CREATE TRIGGER guidelines_immutable BEFORE UPDATE ON guidelines BEGIN\n"
    "    SELECT RAISE(ABORT, 'guideline versions are never changed');\n"
    "END;\n"

    "CREATE TABLE items (\n"
    "    id INTEGER PRIMARY KEY,\n"
    "    project_id INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,\n"
    "    external_id TEXT NOT NULL,\n"
    "    payload_json TEXT NOT NULL,\n"
    "    gold_json TEXT,\n"
    "    created_ms INTEGER NOT NULL,\n"
    "    UNIQUE (project_id, external_id)\n"
    ");\n"
    /* No index on project_id alone: the unique index serves lookups, counts and the cascade,
     * and a second index cost a quarter of the insert time (docs/internals/store.md). */

    "CREATE TABLE annotations (\n"
    "    id INTEGER PRIMARY KEY,\n"
    "    item_id INTEGER NOT NULL REFERENCES items(id) ON DELETE CASCADE,\n"
    "    annotator TEXT NOT NULL,\n"
    "    value_json TEXT NOT NULL,\n"
    "    created_ms INTEGER NOT NULL,\n"
    "    guideline_version INTEGER NOT NULL DEFAULT 0,\n"
    "    schema_version INTEGER NOT NULL DEFAULT 0,\n"
    "    workflow_stage TEXT,\n"
    "    lease_id TEXT,\n"
    "    working_seconds REAL,                       -- NULL when unknown\n"
    "    source TEXT\n"
    ");\n"
    /* (item_id, id) order: the export merge reads annotations in item order. */
    "CREATE INDEX annotations_item ON annotations(item_id);\n"

    "CREATE TABLE predictions (\n"
    "    id INTEGER PRIMARY KEY,\n"
    "    item_id INTEGER NOT NULL REFERENCES items(id) ON DELETE CASCADE,\n"
    "    model_name TEXT NOT NULL,\n"
    "    model_version TEXT NOT NULL DEFAULT '',\n"
    "    value_json TEXT NOT NULL,\n"
    "    score REAL,                                 -- NULL when the model gave none\n"
    "    created_ms INTEGER NOT NULL\n"
    ");\n"
    "CREATE INDEX predictions_item ON predictions(item_id);\n"

    /* The event log. project_id is NULL for events about no project (and for the event that
     * records a project's deletion, which must outlive the project's own events). */
    "CREATE TABLE events (\n"
    "    id INTEGER PRIMARY KEY,\n"
    "    project_id INTEGER REFERENCES projects(id) ON DELETE CASCADE,\n"
    "    kind TEXT NOT NULL,\n"
    "    actor TEXT NOT NULL DEFAULT '',\n"
    "    object_type TEXT NOT NULL DEFAULT '',\n"
    "    object_id INTEGER NOT NULL DEFAULT 0,\n"
    "    payload_json TEXT NOT NULL DEFAULT '{}',\n"
    "    created_ms INTEGER NOT NULL\n"
    ");\n"
    "CREATE INDEX events_project ON events(project_id);\n";

/* Accounts and the audit chain (issue 4). Secrets are never stored: passwords as Argon2id
 * strings, session and API tokens as the SHA-256 of the token. Users are never deleted (the
 * audit log names them), only disabled. */
static const char migration_0002[] =
    "CREATE TABLE vendors (\n"
    "    id INTEGER PRIMARY KEY,\n"
    "    name TEXT NOT NULL UNIQUE,\n"
    "    created_ms INTEGER NOT NULL\n"
    ");\n"

    "CREATE TABLE users (\n"
    "    id INTEGER PRIMARY KEY,\n"
    "    name TEXT NOT NULL UNIQUE,\n"
    "    vendor_id INTEGER REFERENCES vendors(id),   -- NULL: the in-house team\n"
    "    role TEXT NOT NULL,                          -- global role by name\n"
    "    password_hash TEXT NOT NULL,                 -- crypto_pwhash_str (Argon2id)\n"
    "    disabled INTEGER NOT NULL DEFAULT 0,\n"
    "    created_ms INTEGER NOT NULL\n"
    ");\n"
    "CREATE INDEX users_vendor ON users(vendor_id);\n"

    "CREATE TABLE memberships (\n"
    "    project_id INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,\n"
    "    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,\n"
    "    role TEXT NOT NULL,\n"
    "    created_ms INTEGER NOT NULL,\n"
    "    PRIMARY KEY (project_id, user_id)\n"
    ") WITHOUT ROWID;\n"
    "CREATE INDEX memberships_user ON memberships(user_id);\n"

    "CREATE TABLE sessions (\n"
    "    id INTEGER PRIMARY KEY,\n"
    "    token_hash TEXT NOT NULL UNIQUE,             -- sha256 hex of the cookie token\n"
    "    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,\n"
    "    csrf_token TEXT NOT NULL,                    -- useless without the session token\n"
    "    created_ms INTEGER NOT NULL,\n"
    "    expires_ms INTEGER NOT NULL,\n"
    "    revoked_ms INTEGER                           -- NULL while valid\n"
    ");\n"
    "CREATE INDEX sessions_user ON sessions(user_id);\n"

    "CREATE TABLE api_tokens (\n"
    "    id INTEGER PRIMARY KEY,\n"
    "    token_hash TEXT NOT NULL UNIQUE,             -- sha256 hex of the token\n"
    "    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,\n"
    "    name TEXT NOT NULL,\n"
    "    created_ms INTEGER NOT NULL,\n"
    "    last_used_ms INTEGER,\n"
    "    revoked_ms INTEGER\n"
    ");\n"
    "CREATE INDEX api_tokens_user ON api_tokens(user_id);\n"

    /* Failed sign-ins per key: 'user:NAME' or 'addr:ADDRESS'. */
    "CREATE TABLE login_throttle (\n"
    "    key TEXT PRIMARY KEY,\n"
    "    failures INTEGER NOT NULL,\n"
    "    window_start_ms INTEGER NOT NULL\n"
    ") WITHOUT ROWID;\n"

    /* The audit chain lives in the event log itself: security events carry their place in the
     * chain, the previous audited event's hash and their own (sha256 over the previous hash
     * and the event's content; project_id is not covered, see below). */
    "ALTER TABLE events ADD COLUMN audit_seq INTEGER;\n"
    "ALTER TABLE events ADD COLUMN prev_hash TEXT;\n"
    "ALTER TABLE events ADD COLUMN hash TEXT;\n"
    "CREATE UNIQUE INDEX events_audit ON events(audit_seq) WHERE audit_seq IS NOT NULL;\n"
    /* Deleting a project deletes its events, but audited ones must outlive it: they are
     * detached (project_id NULL) before the cascade runs. */
    "CREATE TRIGGER projects_keep_audit BEFORE DELETE ON projects BEGIN\n"
    "    UPDATE events SET project_id = NULL WHERE project_id = OLD.id\n"
    "        AND audit_seq IS NOT NULL;\n"
    "END;\n"
    /* Append-only: audited events are never changed or deleted through labelops. */
    "CREATE TRIGGER events_audit_no_update BEFORE UPDATE OF kind, actor, object_type, object_id,\n"
    "    payload_json, created_ms, audit_seq, prev_hash, hash ON events\n"
    "    WHEN OLD.audit_seq IS NOT NULL BEGIN\n"
    "    SELECT RAISE(ABORT, 'audited events are never changed');\n"
    "END;\n"
    "CREATE TRIGGER events_audit_no_delete BEFORE DELETE ON events\n"
    "    WHEN OLD.audit_seq IS NOT NULL BEGIN\n"
    "    SELECT RAISE(ABORT, 'audited events are never deleted');\n"
    "END;\n";

/* The workflow engine (issue 5). An item enters the workflow when its project has a workflow
 * configuration: it gets a row in tasks, which holds its state and counters; leases hand an
 * item to one person for one purpose; the rest records what people did. The counters in tasks
 * are kept by the writer (one thread, app/writer.c), so they never race. */
static const char migration_0003[] =
    "CREATE TABLE workflows (\n"
    "    project_id INTEGER PRIMARY KEY REFERENCES projects(id) ON DELETE CASCADE,\n"
    "    config_json TEXT NOT NULL,\n"
    "    version INTEGER NOT NULL,\n"
    "    updated_ms INTEGER NOT NULL\n"
    ");\n"

    "CREATE TABLE tasks (\n"
    "    item_id INTEGER PRIMARY KEY REFERENCES items(id) ON DELETE CASCADE,\n"
    "    project_id INTEGER NOT NULL,\n"
    "    state TEXT NOT NULL,                -- queued, in_review, rework, adjudication, ...\n"
    "    priority INTEGER NOT NULL DEFAULT 0,\n"
    "    wanted INTEGER NOT NULL,            -- labels wanted now (overlap)\n"
    "    done INTEGER NOT NULL DEFAULT 0,    -- active labels\n"
    "    leased INTEGER NOT NULL DEFAULT 0,  -- live label leases\n"
    "    rounds INTEGER NOT NULL DEFAULT 0,  -- rework rounds used\n"
    "    is_gold INTEGER NOT NULL DEFAULT 0,\n"
    "    assignee INTEGER,                   -- rework: the user whose label was rejected\n"
    "    review_annotation INTEGER,          -- in_review / rework: the label concerned\n"
    "    skills TEXT NOT NULL DEFAULT '',    -- required skill tags, comma-separated\n"
    "    score REAL,                         -- least model prediction score, NULL: none\n"
    "    final_json TEXT,                    -- complete: the final label\n"
    "    confidence REAL,\n"
    "    method TEXT,\n"
    "    state_ms INTEGER NOT NULL,          -- when the state last changed\n"
    "    created_ms INTEGER NOT NULL,\n"
    "    lot_id INTEGER,                     -- lot-based review: the item's lot\n"
    "    lot_hold INTEGER NOT NULL DEFAULT 0 -- 1: waits for its lot's verdict, not reviewed\n"
    ");\n"
    /* next-task walks this index in priority order and stops at the first rows that fit; the
     * counters are in it so that items with no room are passed over without reading them. */
    "CREATE INDEX tasks_queue ON tasks(project_id, state, is_gold, priority DESC, item_id,\n"
    "    done, leased, wanted);\n"
    "CREATE INDEX tasks_assignee ON tasks(assignee) WHERE assignee IS NOT NULL;\n"

    "CREATE TABLE leases (\n"
    "    id TEXT PRIMARY KEY,                -- 128 random bits, hex\n"
    "    project_id INTEGER NOT NULL,       -- deleted with the item (cascade)\n"
    "    item_id INTEGER NOT NULL REFERENCES items(id) ON DELETE CASCADE,\n"
    "    user_id INTEGER NOT NULL,\n"
    "    kind TEXT NOT NULL,                 -- label, rework, review, adjudicate\n"
    "    annotation_id INTEGER,              -- review / rework: the label concerned\n"
    "    state TEXT NOT NULL,                -- live, done, released, expired\n"
    "    created_ms INTEGER NOT NULL,\n"
    "    expires_ms INTEGER NOT NULL,\n"
    "    draft_json TEXT,\n"
    "    draft_ms INTEGER,\n"
    "    idem_key TEXT,                      -- the submit's Idempotency-Key, and its answer\n"
    "    answer_json TEXT\n"
    ") WITHOUT ROWID;\n"
    "CREATE INDEX leases_item ON leases(item_id);\n"

    "CREATE INDEX leases_user_live ON leases(user_id, project_id, kind) WHERE state = 'live';\n"
    "CREATE INDEX leases_expiry ON leases(project_id, expires_ms) WHERE state = 'live';\n"

    /* Items a user was given or skipped: never served to them again for a fresh label. */
    "CREATE TABLE seen (\n"
    "    user_id INTEGER NOT NULL,\n"
    "    item_id INTEGER NOT NULL REFERENCES items(id) ON DELETE CASCADE,\n"
    "    PRIMARY KEY (user_id, item_id)\n"
    ") WITHOUT ROWID;\n"
    "CREATE INDEX seen_item ON seen(item_id);\n"

    /* A user's standing in one project's workflow. */
    "CREATE TABLE workers (\n"
    "    project_id INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,\n"
    "    user_id INTEGER NOT NULL,\n"
    "    vendor_id INTEGER NOT NULL DEFAULT 0,\n"
    "    paused INTEGER NOT NULL DEFAULT 0,\n"
    "    paused_ms INTEGER,\n"
    "    pause_reason TEXT,\n"
    "    p_below REAL,                       -- P(accuracy < target) at the last gold answer\n"
    "    skills TEXT NOT NULL DEFAULT '',\n"
    "    cap_per_day INTEGER NOT NULL DEFAULT 0,\n"
    "    labels INTEGER NOT NULL DEFAULT 0,\n"
    "    day INTEGER NOT NULL DEFAULT 0,     -- days since the epoch of labels_day\n"
    "    labels_day INTEGER NOT NULL DEFAULT 0,\n"
    "    gold_correct INTEGER NOT NULL DEFAULT 0,\n"
    "    gold_total INTEGER NOT NULL DEFAULT 0,\n"
    "    PRIMARY KEY (project_id, user_id)\n"
    ") WITHOUT ROWID;\n";

/* The workflow, continued (one string literal may hold only so much): what people did with
 * tasks. */
static const char migration_0004[] =
    /* Annotations made through the workflow know their author's id, a status, an edit version
     * (for ETag / If-Match) and whether a pre-label was accepted unchanged or edited. */
    "ALTER TABLE annotations ADD COLUMN user_id INTEGER;\n"
    "ALTER TABLE annotations ADD COLUMN status TEXT NOT NULL DEFAULT 'active';\n"
    "ALTER TABLE annotations ADD COLUMN version INTEGER NOT NULL DEFAULT 1;\n"
    "ALTER TABLE annotations ADD COLUMN prelabel TEXT;\n"
    "CREATE INDEX annotations_user ON annotations(user_id, created_ms) WHERE user_id IS NOT NULL;\n"

    "CREATE TABLE reviews (\n"
    "    id INTEGER PRIMARY KEY,\n"
    "    item_id INTEGER NOT NULL REFERENCES items(id) ON DELETE CASCADE,\n"
    "    annotation_id INTEGER NOT NULL,\n"
    "    author_id INTEGER,                  -- the reviewed label's author\n"
    "    reviewer TEXT NOT NULL,\n"
    "    verdict TEXT NOT NULL,              -- accept, fix, reject\n"
    "    reasons_json TEXT NOT NULL DEFAULT '[]',\n"
    "    comment TEXT NOT NULL DEFAULT '',\n"
    "    created_ms INTEGER NOT NULL\n"
    ");\n"
    "CREATE INDEX reviews_item ON reviews(item_id);\n"
    "CREATE INDEX reviews_author ON reviews(author_id, id);\n"

    "CREATE TABLE flags (\n"
    "    id INTEGER PRIMARY KEY,\n"
    "    project_id INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,\n"
    "    item_id INTEGER NOT NULL REFERENCES items(id) ON DELETE CASCADE,\n"
    "    user_name TEXT NOT NULL,\n"
    "    reason TEXT NOT NULL,\n"
    "    comment TEXT NOT NULL DEFAULT '',\n"
    "    prior_state TEXT NOT NULL,\n"
    "    created_ms INTEGER NOT NULL,\n"
    "    resolved_ms INTEGER\n"
    ");\n"
    "CREATE INDEX flags_item ON flags(item_id);\n"
    "CREATE INDEX flags_open ON flags(project_id) WHERE resolved_ms IS NULL;\n"

    "CREATE INDEX tasks_lot ON tasks(lot_id) WHERE lot_id IS NOT NULL;\n"

    /* Lot-based review: a vendor's labels in lots of lot_size items; a closed lot's Z1.4
     * sample is reviewed and decides the lot (docs/workflow.md). */
    "CREATE TABLE lots (\n"
    "    id INTEGER PRIMARY KEY,\n"
    "    project_id INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,\n"
    "    vendor_id INTEGER NOT NULL DEFAULT 0,\n"
    "    state TEXT NOT NULL,                -- open, sampling, accepted, rejected\n"
    "    size INTEGER NOT NULL,\n"
    "    items INTEGER NOT NULL DEFAULT 0,\n"
    "    sample INTEGER NOT NULL DEFAULT 0,\n"
    "    ac INTEGER NOT NULL DEFAULT 0,\n"
    "    re INTEGER NOT NULL DEFAULT 1,\n"
    "    reviewed INTEGER NOT NULL DEFAULT 0,\n"
    "    defects INTEGER NOT NULL DEFAULT 0,\n"
    "    created_ms INTEGER NOT NULL,\n"
    "    decided_ms INTEGER\n"
    ");\n"
    "CREATE INDEX lots_open ON lots(project_id, vendor_id, state);\n"

    /* An item's history is read by object. */
    "CREATE INDEX events_object ON events(object_type, object_id);\n";

/* Gold feedback names the guideline section a gold item comes from (docs/workflow.md): the
 * heading text the manager gave with the item, NULL when none. */
static const char migration_0005[] =
    "ALTER TABLE items ADD COLUMN gold_section TEXT;\n";

/* An annotator is shown their gold record as of the start of the UTC day when gold feedback is
 * off (docs/decisions/0008-item-workflow-view.md): the record just before their first gold
 * answer of day gold_day (days since the epoch; 0: none yet), kept so that a restart changes
 * nothing of what they are shown. */
static const char migration_0006[] =
    "ALTER TABLE workers ADD COLUMN gold_day INTEGER NOT NULL DEFAULT 0;\n"
    "ALTER TABLE workers ADD COLUMN gold_day_correct INTEGER NOT NULL DEFAULT 0;\n"
    "ALTER TABLE workers ADD COLUMN gold_day_total INTEGER NOT NULL DEFAULT 0;\n"
    "ALTER TABLE workers ADD COLUMN gold_day_p_below REAL;\n";

const struct lo_migration lo__migrations[] = {
    { 1, "initial schema: projects, schema versions, guidelines, items, annotations, "
         "predictions, events",
      migration_0001 },
    { 2, "accounts: vendors, users, memberships, sessions, API tokens, sign-in throttle; "
         "the audit chain in the event log",
      migration_0002 },
    { 3, "workflow: configurations, tasks, leases (with idempotency keys), seen items, workers",
      migration_0003 },
    { 4, "workflow: annotation author, status, version and pre-label use; reviews, flags, "
         "events by object",
      migration_0004 },
    { 5, "items: the guideline section a gold item comes from", migration_0005 },
    { 6, "workers: the gold record at the start of the day of their last gold answer",
      migration_0006 },
};

const size_t lo__migrations_count = sizeof(lo__migrations) / sizeof(lo__migrations[0]);
