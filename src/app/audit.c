/*
 * audit.c - the audit chain in the event log.
 *
 * Not a second logging system: security-relevant events (lo_audit_kind) are ordinary rows of
 * the event log that lo__app_event also links into a hash chain. Entry n stores
 * sha256(hash of entry n-1 || n || kind || actor || object_type || object_id || payload ||
 * created_ms) (each field length-prefixed, so no two different entries encode alike), and the
 * hash of entry n-1. Changing an entry breaks its own hash; removing or reordering entries
 * breaks the sequence numbers and the links. The project id is not covered: deleting a project
 * detaches its audited events (project_id becomes NULL) instead of deleting them.
 *
 * What a chain cannot show on its own: the loss of the newest entries. `audit verify` prints the
 * head (last sequence number and hash); keeping that elsewhere closes the gap.
 */
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "app/accounts.h"
#include "app/app_int.h"

#define HASH_HEX (crypto_hash_sha256_BYTES * 2 + 1)
static const char zero_hash[] =
    "0000000000000000000000000000000000000000000000000000000000000000";

static const char *const audit_kinds[] = {
    "login",          "login_failed",   "logout",         "access_denied",
    "user_created",   "user_disabled",  "user_role_set",  "password_set",
    "vendor_created", "member_set",     "member_removed", "token_created",
    "token_revoked",  "imported",       "exported",       "project_deleted",
    "project_created", "user_enabled",
};

bool lo_audit_kind(const char *kind)
{
    for (size_t i = 0; i < sizeof(audit_kinds) / sizeof(audit_kinds[0]); i++)
        if (strcmp(kind, audit_kinds[i]) == 0)
            return true;
    return false;
}

static void put_field(crypto_hash_sha256_state *h, const void *p, size_t n)
{
    unsigned char len[8];
    for (int i = 0; i < 8; i++)
        len[i] = (unsigned char)((uint64_t)n >> (8 * i));
    crypto_hash_sha256_update(h, len, sizeof(len));
    if (n)
        crypto_hash_sha256_update(h, p, n);
}

static void put_str(crypto_hash_sha256_state *h, const char *s)
{
    put_field(h, s ? s : "", s ? strlen(s) : 0);
}

static void put_int(crypto_hash_sha256_state *h, int64_t v)
{
    char t[24];
    int n = snprintf(t, sizeof(t), "%lld", (long long)v);
    put_field(h, t, (size_t)n);
}

/* The hash of entry e after prev_hex, as hex into out (HASH_HEX bytes). */
static void entry_hash(const char *prev_hex, int64_t seq, const struct lo_event *e, char *out)
{
    crypto_hash_sha256_state h;
    unsigned char d[crypto_hash_sha256_BYTES];
    crypto_hash_sha256_init(&h);
    put_str(&h, prev_hex);
    put_int(&h, seq);
    put_str(&h, e->kind);
    put_str(&h, e->actor);
    put_str(&h, e->object_type);
    put_int(&h, e->object_id);
    put_str(&h, e->payload_json);
    put_int(&h, e->created_ms);
    crypto_hash_sha256_final(&h, d);
    sodium_bin2hex(out, HASH_HEX, d, sizeof(d));
}

int lo__audit_chain(struct lo_app *app, struct lo_event *e, struct lo_arena *arena,
                    struct lo_error *err)
{
    int64_t seq = 0;
    const char *last = NULL;
    int rc = app->store->ops->audit_last(app->store, arena, &seq, &last, err);
    if (rc)
        return rc;
    char *hash = lo_arena_alloc(arena, HASH_HEX);
    char *prev = lo_arena_strndup(arena, last ? last : zero_hash, strlen(last ? last : zero_hash));
    if (!hash || !prev)
        return lo_error_set(err, LO_ENOMEM, "out of memory");
    e->audit_seq = seq + 1;
    e->prev_hash = prev;
    entry_hash(prev, e->audit_seq, e, hash);
    e->hash = hash;
    return 0;
}

static int authorize_audit(struct lo_app *app, struct lo_error *err)
{
    struct lo_policy_object obj = { .kind = LO_OBJ_AUDIT };
    return lo__app_authorize(app, LO_ACT_READ, &obj, "audit", "audit log", err);
}

struct list_ctx {
    lo_audit_cb cb;
    void *ctx;
};

static int list_cb(void *ctx, const struct lo_event *e)
{
    struct list_ctx *c = ctx;
    struct lo_audit_entry a = {
        .seq = e->audit_seq,
        .event_id = e->id,
        .kind = e->kind,
        .actor = e->actor,
        .object_type = e->object_type,
        .object_id = e->object_id,
        .payload_json = e->payload_json,
        .created_ms = e->created_ms,
        .hash_hex = e->hash,
    };
    return c->cb(c->ctx, &a);
}

int lo_app_audit_list(struct lo_app *app, struct lo_arena *a, lo_audit_cb cb, void *ctx,
                      struct lo_error *err)
{
    struct lo_store *st = app->store;
    struct list_ctx c = { cb, ctx };
    int rc = st->ops->begin(st, false, err);
    if (rc)
        return rc;
    rc = authorize_audit(app, err);
    if (!rc)
        rc = st->ops->audit_list(st, a, list_cb, &c, err);
    st->ops->rollback(st);
    return rc;
}

struct verify_ctx {
    int64_t expect_seq;
    char prev[HASH_HEX];
    int64_t bad_seq;
    struct lo_error *err;
    struct lo_arena *arena; /* the rows' strings; emptied after each row */
};

static int verify_cb(void *ctx, const struct lo_event *e)
{
    struct verify_ctx *v = ctx;
    char want[HASH_HEX];
    if (e->audit_seq != v->expect_seq) {
        v->bad_seq = v->expect_seq;
        return lo_error_set(v->err, LO_EINVAL,
                            "audit entry %lld (event %lld) comes where entry %lld should: an "
                            "entry was removed or the order changed",
                            (long long)e->audit_seq, (long long)e->id, (long long)v->expect_seq);
    }
    if (!e->prev_hash || strcmp(e->prev_hash, v->prev) != 0) {
        v->bad_seq = e->audit_seq;
        return lo_error_set(v->err, LO_EINVAL,
                            "audit entry %lld (event %lld) does not follow the entry before it: "
                            "an entry was removed, changed or reordered",
                            (long long)e->audit_seq, (long long)e->id);
    }
    entry_hash(v->prev, e->audit_seq, e, want);
    if (!e->hash || sodium_memcmp(want, e->hash, HASH_HEX - 1) != 0 || strlen(e->hash) != 64) {
        v->bad_seq = e->audit_seq;
        return lo_error_set(v->err, LO_EINVAL,
                            "audit entry %lld (event %lld, %s) was changed: its hash does not "
                            "match its content",
                            (long long)e->audit_seq, (long long)e->id, e->kind);
    }
    memcpy(v->prev, want, HASH_HEX);
    v->expect_seq++;
    /* The row's strings are no longer needed: memory stays flat however long the log. */
    lo_arena_free(v->arena);
    lo_arena_init(v->arena, 64 * 1024);
    return 0;
}

int lo_app_audit_verify(struct lo_app *app, int64_t *checked_out, int64_t *bad_seq_out,
                        struct lo_error *err)
{
    struct lo_store *st = app->store;
    struct lo_arena arena;
    struct verify_ctx v = { .expect_seq = 1, .err = err, .arena = &arena };
    memcpy(v.prev, zero_hash, HASH_HEX);
    if (checked_out)
        *checked_out = 0;
    if (bad_seq_out)
        *bad_seq_out = 0;
    if (sodium_init() < 0)
        return lo_error_set(err, LO_ENOMEM, "libsodium failed to initialise");
    lo_arena_init(&arena, 64 * 1024);
    int rc = st->ops->begin(st, false, err);
    if (rc)
        goto out;
    rc = authorize_audit(app, err);
    if (!rc)
        rc = st->ops->audit_list(st, &arena, verify_cb, &v, err);
    st->ops->rollback(st);
out:
    lo_arena_free(&arena);
    if (checked_out)
        *checked_out = v.expect_seq - 1;
    if (bad_seq_out)
        *bad_seq_out = v.bad_seq;
    return rc;
}
