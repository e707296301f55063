/*
 * pcache.h - a worker's short-lived memory of who a credential belongs to.
 *
 * Authenticating a request costs a SHA-256 of the presented secret and a read transaction (the
 * token or session row and its user). A worker thread keeps the answers for the last few
 * credentials it saw, keyed by a keyed hash of the secret (never the secret itself), for at most
 * LO_LIMIT_HTTP_PRINCIPAL_CACHE_MS. An entry is also dropped when the server's auth generation
 * has moved since it was read: app/ bumps it after every committed revocation, logout, role
 * change, disabling, enabling or membership change (lo_app.auth_generation), so a change made
 * through this server takes effect on its next request. Changes made by another process (the
 * command line on the same database) take effect within the TTL; docs/decisions/0005.
 *
 * Pure: no store, no libmicrohttpd, no clock of its own (the caller passes now_ms). One cache
 * per worker thread, used by that thread only: no locking.
 */
#ifndef LO_HTTP_PCACHE_H
#define LO_HTTP_PCACHE_H

#include <stdbool.h>
#include <stdint.h>

#include "app/auth.h"
#include "base/limits.h"

#define LO_PCACHE_SLOTS 64          /* direct-mapped by the key's first bytes */
#define LO_PCACHE_KEY_BYTES 32      /* BLAKE2b-256 */
#define LO_PCACHE_CSRF_CAP 80

enum lo_pcache_kind { LO_PCACHE_TOKEN = 1, LO_PCACHE_SESSION = 2 };

struct lo_pcache_entry {
    enum lo_pcache_kind kind;       /* 0: empty slot */
    unsigned char key[LO_PCACHE_KEY_BYTES];
    uint64_t generation;            /* the auth generation read before the store lookup */
    int64_t stored_ms;
    int64_t expires_ms;             /* a session's own expiry; INT64_MAX for a token */
    int64_t user_id, vendor_id, token_id;
    enum lo_role role;
    char name[LO_LIMIT_NAME + 1];
    char csrf[LO_PCACHE_CSRF_CAP];  /* sessions: their CSRF token */
};

struct lo_pcache {
    unsigned char hash_key[32];     /* random per cache: keys mean nothing outside it */
    struct lo_pcache_entry slots[LO_PCACHE_SLOTS];
    int64_t ttl_ms;
    uint64_t hits, misses;          /* for tests and curiosity */
};

/* An empty cache whose entries live ttl_ms (0 turns the cache off). */
void lo_pcache_init(struct lo_pcache *c, int64_t ttl_ms);

/* The key of a presented secret in this cache: BLAKE2b keyed with the cache's random hash_key,
 * over kind and secret (a token and a session with the same text never share an entry). Not the
 * store's SHA-256 of the secret, so the cache holds nothing that finds a row in the database. */
void lo_pcache_key(const struct lo_pcache *c, enum lo_pcache_kind kind, const char *secret,
                   unsigned char key[LO_PCACHE_KEY_BYTES]);

/* The entry for key when it is fresh: same kind, stored less than ttl_ms before now_ms, under
 * the current generation, and (sessions) not expired. NULL otherwise (a stale entry is
 * cleared). The pointer is valid until the next put on this cache. */
const struct lo_pcache_entry *lo_pcache_get(struct lo_pcache *c, enum lo_pcache_kind kind,
                                            const unsigned char key[LO_PCACHE_KEY_BYTES],
                                            uint64_t generation, int64_t now_ms);

/* Remembers who key stands for. generation must be the auth generation read *before* the
 * store lookup that produced who, so that a change committed during the lookup makes the entry
 * stale at once. csrf may be NULL (tokens). Names longer than LO_LIMIT_NAME are not cached. */
void lo_pcache_put(struct lo_pcache *c, enum lo_pcache_kind kind,
                   const unsigned char key[LO_PCACHE_KEY_BYTES], uint64_t generation,
                   int64_t now_ms, int64_t expires_ms, const struct lo_principal *who,
                   const char *csrf);

/* Forgets everything (a worker does this at shutdown so no credential hash outlives it). */
void lo_pcache_clear(struct lo_pcache *c);

#endif
