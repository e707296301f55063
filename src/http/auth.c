/*
 * auth.c - who is calling: the session cookie (browsers) or an API token (scripts), resolved by
 * app/accounts.h. The decisions about what the caller may do are not here: they are in app/,
 * which every handler calls with app->who set to the principal found here.
 */
#include <microhttpd.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "http/server_int.h"

#include "app/accounts.h"

int lo__http_authenticate(struct lo_http_req *r, struct lo_error *err)
{
    memset(&r->who, 0, sizeof(r->who));
    r->cookie_auth = false;
    const char *authz = lo_http_header(r, "Authorization");
    const char *cookie = MHD_lookup_connection_value(r->conn, MHD_COOKIE_KIND,
                                                     LO_HTTP_SESSION_COOKIE);
    int rc;
    r->app->who.kind = LO_PRINCIPAL_ANONYMOUS;
    if (authz) {
        if (strncasecmp(authz, "Bearer ", 7) != 0 || !authz[7])
            return lo_error_set(err, LO_EUNAUTH, "the Authorization header must be Bearer TOKEN");
        rc = lo_app_token_principal(r->app, authz + 7, &r->arena, &r->who, err);
        if (rc)
            memset(&r->who, 0, sizeof(r->who));
        if (rc == LO_EUNAUTH || rc == LO_ENOTFOUND)
            return lo_error_set(err, LO_EUNAUTH, "the API token is not valid");
        return rc;
    }
    if (cookie && cookie[0]) {
        rc = lo_app_session_principal(r->app, cookie, &r->arena, &r->who, r->csrf,
                                      sizeof(r->csrf), err);
        if (rc)
            memset(&r->who, 0, sizeof(r->who));
        if (rc == LO_EUNAUTH || rc == LO_ENOTFOUND)
            return lo_error_set(err, LO_EUNAUTH, "the session has ended; sign in again");
        if (!rc)
            r->cookie_auth = true;
        return rc;
    }
    return lo_error_set(err, LO_EUNAUTH, "sign in, or send Authorization: Bearer TOKEN");
}
