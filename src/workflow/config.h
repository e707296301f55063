/*
 * config.h - a project's workflow configuration: parsed from JSON, validated field by field
 * (an error names the field, e.g. "review.share"), and written back as JSON with every default
 * filled in. docs/api-workflow.md lists the members.
 */
#ifndef LO_WORKFLOW_CONFIG_H
#define LO_WORKFLOW_CONFIG_H

#include <jansson.h>
#include <stdbool.h>

#include "base/err.h"
#include "workflow/workflow.h"

enum lo_wf_consolidation {
    LO_WF_CONS_MAJORITY,      /* most frequent answer; a tie goes to adjudication */
    LO_WF_CONS_ONECOIN,       /* one-coin posterior with accuracies from gold */
};

enum lo_wf_disagreement {
    LO_WF_DISAGREE_TIE,       /* adjudicate when the top answers tie */
    LO_WF_DISAGREE_ANY,       /* adjudicate unless every label agrees */
};

struct lo_wf_config {
    int lease_seconds;
    struct lo_wf_overlap overlap;
    enum lo_wf_disagreement adjudicate_on;
    struct lo_wf_review review;
    bool lot_review;          /* review.mode "lot": Z1.4 acceptance sampling of lots */
    int lot_size;             /* labels per lot */
    double aql;               /* acceptance quality limit, percent defective (a Z1.4 AQL) */
    int rework_max_rounds;
    json_t *rework_reasons;   /* array of strings (owned by doc) */
    json_t *flag_reasons;     /* array of strings (owned by doc) */
    struct lo_wf_gold_rule gold;
    double gold_share;
    bool gold_feedback;
    bool prelabels;
    bool least_confident_first;
    int cap_per_day;          /* 0: none */
    json_t *vendor_shares;    /* object {vendor name: share}, owned by doc */
    enum lo_wf_consolidation consolidation;
    const char *field;        /* NULL: the schema's first comparable field (owned by doc) */
    json_t *doc;              /* the normalised document, with every default */
};

/* Parses (NULL: all defaults) and validates; on success cfg holds a reference to its own
 * normalised document (free with lo_wf_config_free). */
int lo_wf_config_parse(const json_t *in, struct lo_wf_config *cfg, struct lo_error *err);
void lo_wf_config_free(struct lo_wf_config *cfg);

/* Whether reason is in the list (a JSON array of strings). */
bool lo_wf_reason_known(const json_t *list, const char *reason);

#endif
