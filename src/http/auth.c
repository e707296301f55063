/*
 * auth.c - who is calling: the session cookie (browsers) or an API token (scripts), resolved by
 * app/accounts.h. The decisions about what the caller may do are not here: they are in app/,
 * which every handler calls with app->who set to the principal found here.
 *
 * A worker remembers the principals of credentials it saw succeed for a moment (pcache.h,
 * docs/decisions/0005-principal-cache.md): a repeated token skips the store. Failures are never
 * cached, so a guess always costs a lookup (and counts against the rate).
 */
#include <microhttpd.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "http/server_int.h"

#include "app/accounts.h"

/* The principal of a cached entry, its name copied into the request's arena (the entry may be
 * replaced by another request of this worker before this one completes). */
static int from_cache(struct lo_http_req *r, const struct lo_pcache_entry *e)
{
    char *name = lo_arena_strndup(&r->arena, e->name, strlen(e->name));
    if (!name)
        return LO_ENOMEM;
    r->who = (struct lo_principal){ .kind = LO_PRINCIPAL_USER, .user_id = e->user_id,
                                    .name = name, .role = e->role, .vendor_id = e->vendor_id,
                                    .token_id = e->token_id,
                                    .expires_ms = e->kind == LO_PCACHE_SESSION ? e->expires_ms
                                                                                : 0 };
    if (e->kind == LO_PCACHE_SESSION)
        snprintf(r->csrf, sizeof(r->csrf), "%s", e->csrf);
    return 0;
}

int lo__http_authenticate(struct lo_http_req *r, struct lo_error *err)
{
    memset(&r->who, 0, sizeof(r->who));
    r->cookie_auth = false;
    const char *authz = lo_http_header(r, "Authorization");
    const char *cookie = MHD_lookup_connection_value(r->conn, MHD_COOKIE_KIND,
                                                     LO_HTTP_SESSION_COOKIE);
    int rc;
    r->app->who.kind = LO_PRINCIPAL_ANONYMOUS;
    /* Read before the store lookup: a revocation committed during it makes the entry stale. */
    uint64_t gen = r->app->auth_generation ? atomic_load(r->app->auth_generation) : 0;
    int64_t now = lo_clock_now_ms(&r->app->clock);
    unsigned char key[LO_PCACHE_KEY_BYTES];
    const struct lo_pcache_entry *hit;
    if (authz) {
        if (strncasecmp(authz, "Bearer ", 7) != 0 || !authz[7])
            return lo_error_set(err, LO_EUNAUTH, "the Authorization header must be Bearer TOKEN");
        if (r->pcache)
            lo_pcache_key(r->pcache, LO_PCACHE_TOKEN, authz + 7, key);
        hit = r->pcache ? lo_pcache_get(r->pcache, LO_PCACHE_TOKEN, key, gen, now) : NULL;
        if (hit)
            return from_cache(r, hit);
        rc = lo_app_token_principal(r->app, authz + 7, &r->arena, &r->who, err);
        if (rc)
            memset(&r->who, 0, sizeof(r->who));
        if (rc == LO_EUNAUTH || rc == LO_ENOTFOUND)
            return lo_error_set(err, LO_EUNAUTH, "the API token is not valid");
        if (!rc && r->pcache)
            lo_pcache_put(r->pcache, LO_PCACHE_TOKEN, key, gen, now, INT64_MAX, &r->who, NULL);
        return rc;
    }
    if (cookie && cookie[0]) {
        if (r->pcache)
            lo_pcache_key(r->pcache, LO_PCACHE_SESSION, cookie, key);
        hit = r->pcache ? lo_pcache_get(r->pcache, LO_PCACHE_SESSION, key, gen, now) : NULL;
        if (hit) {
            rc = from_cache(r, hit);
            r->cookie_auth = rc == 0;
            return rc;
        }
        rc = lo_app_session_principal(r->app, cookie, &r->arena, &r->who, r->csrf,
                                      sizeof(r->csrf), err);
        if (rc)
            memset(&r->who, 0, sizeof(r->who));
        if (rc == LO_EUNAUTH || rc == LO_ENOTFOUND)
            return lo_error_set(err, LO_EUNAUTH, "the session has ended; sign in again");
        if (!rc) {
            r->cookie_auth = true;
            if (r->pcache)
                lo_pcache_put(r->pcache, LO_PCACHE_SESSION, key, gen, now, r->who.expires_ms,
                              &r->who, r->csrf);
        }
        return rc;
    }
    return lo_error_set(err, LO_EUNAUTH, "sign in, or send Authorization: Bearer TOKEN");
}
