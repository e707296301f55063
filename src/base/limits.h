/*
 * limits.h - every limit of labelops has a name, here and only here.
 *
 * Going over one is a clear error that names the limit (LO_ELIMIT), never a crash or a silent
 * cut. Values are chosen so that honest data never meets them and hostile data cannot exhaust
 * the machine.
 */
#ifndef LO_BASE_LIMITS_H
#define LO_BASE_LIMITS_H

#define LO_LIMIT_JSONL_LINE (1024 * 1024)      /* bytes in one JSONL line */
#define LO_LIMIT_CSV_FIELD (256 * 1024)        /* bytes in one CSV/TSV field */
#define LO_LIMIT_CSV_RECORD (1024 * 1024)      /* bytes in one CSV/TSV record */
#define LO_LIMIT_CSV_COLUMNS 4096              /* columns in one CSV/TSV record */
#define LO_LIMIT_NAME 256                      /* bytes in a project, annotator or field name */
#define LO_LIMIT_EXTERNAL_ID 512               /* bytes in an item's external id */
#define LO_LIMIT_LABEL 4096                    /* bytes in one label read from a long-format file */
#define LO_LIMIT_GOLD_SECTION 512              /* bytes of a gold item's guideline heading */
#define LO_LIMIT_SCHEMA_FIELDS 64              /* fields in one label schema */
#define LO_LIMIT_SCHEMA_CLASSES 10000          /* classes in one classification field */
#define LO_LIMIT_SCHEMA_BYTES (1024 * 1024)    /* bytes of a label schema document */
#define LO_LIMIT_GUIDELINE_BYTES (4 * 1024 * 1024) /* bytes of one guideline version */
#define LO_LIMIT_ANNOTATIONS_PER_ITEM 1000     /* annotations on one item */
#define LO_LIMIT_BOXES_PER_VALUE 5000          /* boxes in one annotation value */
#define LO_LIMIT_SPANS_PER_VALUE 10000         /* spans in one annotation value */
#define LO_LIMIT_FREE_TEXT (64 * 1024)         /* bytes of a free-text answer */
#define LO_LIMIT_CLASSES_STATS 1000            /* distinct labels a statistic will handle */
#define LO_LIMIT_EM_ITERATIONS 100000          /* cap on any EM iteration cap */
#define LO_LIMIT_BOOTSTRAP 1000000             /* bootstrap replicates */

/* ---- workflow (workflow/, app/workflow.c, app/writer.c) ----------------------------------- */
#define LO_LIMIT_WRITER_BATCH 256              /* requests' writes committed together */
#define LO_LIMIT_LEASE_SECONDS_MAX 86400       /* longest lease a project may configure */
#define LO_LIMIT_OVERLAP_MAX 50                /* annotators per item (k, k_max) */
#define LO_LIMIT_WF_REASONS 64                 /* reason codes in a list (rework, flags) */
#define LO_LIMIT_WF_CANDIDATES 64              /* queued items weighed per next-task call */
#define LO_LIMIT_IDEMPOTENCY_KEY 128           /* bytes of an Idempotency-Key header */
#define LO_LIMIT_DRAFT_BYTES (4 * 1024 * 1024) /* bytes of a saved draft */
#define LO_LIMIT_COMMENT 4096                  /* bytes of a review or flag comment */

/* ---- HTTP server (http/) ------------------------------------------------------------------ */
#define LO_LIMIT_HTTP_BODY (1024 * 1024)       /* bytes of a JSON request body (413 before buffering) */
#define LO_LIMIT_HTTP_UPLOAD (1024LL * 1024 * 1024) /* bytes of an import upload (streamed to disk) */
#define LO_LIMIT_HTTP_JSON_DEPTH 32            /* nesting of arrays/objects in a request body */
#define LO_LIMIT_HTTP_HEADERS (16 * 1024)      /* bytes of all request header lines (431) */
#define LO_LIMIT_HTTP_URL 4096                 /* bytes of the request target (414) */
#define LO_LIMIT_HTTP_CONN_MEMORY (64 * 1024)  /* libmicrohttpd's per-connection memory pool */
#define LO_LIMIT_HTTP_CONNECTIONS 1024         /* open connections at once */
#define LO_LIMIT_HTTP_CONNECTIONS_PER_IP 256   /* open connections from one address */
#define LO_LIMIT_HTTP_CONNECTIONS_SPARE 64     /* accepted beyond those two only to be answered
                                                * 503 too_many_connections and closed */
#define LO_LIMIT_HTTP_IDLE_SECONDS 30          /* a connection silent this long is closed */
#define LO_LIMIT_HTTP_SHUTDOWN_SECONDS 30      /* how long shutdown waits for in-flight requests */
#define LO_LIMIT_HTTP_PAGE_DEFAULT 50          /* items in a page when ?limit= is not given */
#define LO_LIMIT_HTTP_PAGE_MAX 500             /* most items in one page (?limit= is capped) */
#define LO_LIMIT_HTTP_RATE_PER_MINUTE 600      /* requests per user (or address) per minute */
#define LO_LIMIT_HTTP_RATE_BURST 120           /* requests a user may make at once */
#define LO_LIMIT_HTTP_RATE_CLIENTS 4096        /* users/addresses the rate limiter tracks */
#define LO_LIMIT_HTTP_THREADS 64               /* most worker threads --threads accepts */
#define LO_LIMIT_HTTP_TLS_FILE (1024 * 1024)   /* bytes of a TLS certificate or key file */
#define LO_LIMIT_HTTP_PRINCIPAL_CACHE_MS 1000  /* a worker trusts a cached sign-in this long
                                                * (docs/decisions/0005-principal-cache.md) */
#define LO_LIMIT_MEDIA_PATH 1024               /* bytes of an item's media path (relative) */
#define LO_LIMIT_MEDIA_BYTES (64LL * 1024 * 1024) /* bytes of one media file the server sends */
#define LO_LIMIT_WEB_FILE (8 * 1024 * 1024)    /* bytes of one UI file read with --web-dir */

#endif
