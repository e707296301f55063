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

#endif
