/*
 * config.c - the workflow configuration (config.h).
 */
#include "workflow/config.h"

#include <math.h>
#include <string.h>

#include "base/limits.h"
#include "quality/sampling.h"

/* Member key of object o as a number in [lo, hi], or def when absent. */
static int num(json_t *o, const char *prefix, const char *key, double lo, double hi, double def,
               double *out, struct lo_error *err)
{
    char path[96];
    snprintf(path, sizeof(path), "%s%s", prefix, key);
    json_t *v = json_object_get(o, key);
    if (!v) {
        *out = def;
        return 0;
    }
    if (!json_is_number(v))
        return lo_error_field(err, LO_EINVAL, path, "%s must be a number", path);
    double d = json_number_value(v);
    if (!(d >= lo && d <= hi))
        return lo_error_field(err, LO_EINVAL, path, "%s must be between %g and %g, not %g", path,
                              lo, hi, d);
    *out = d;
    return 0;
}

static int integer(json_t *o, const char *prefix, const char *key, long lo, long hi, long def,
                   int *out, struct lo_error *err)
{
    char path[96];
    snprintf(path, sizeof(path), "%s%s", prefix, key);
    json_t *v = json_object_get(o, key);
    if (!v) {
        *out = (int)def;
        return 0;
    }
    if (!json_is_integer(v))
        return lo_error_field(err, LO_EINVAL, path, "%s must be an integer", path);
    json_int_t i = json_integer_value(v);
    if (i < lo || i > hi)
        return lo_error_field(err, LO_EINVAL, path, "%s must be between %ld and %ld, not %lld",
                              path, lo, hi, (long long)i);
    *out = (int)i;
    return 0;
}

static int boolean(json_t *o, const char *prefix, const char *key, bool def, bool *out,
                   struct lo_error *err)
{
    char path[96];
    snprintf(path, sizeof(path), "%s%s", prefix, key);
    json_t *v = json_object_get(o, key);
    if (!v) {
        *out = def;
        return 0;
    }
    if (!json_is_boolean(v))
        return lo_error_field(err, LO_EINVAL, path, "%s must be true or false", path);
    *out = json_is_true(v);
    return 0;
}

/* An object member (absent: an empty object added to o). */
static int section(json_t *o, const char *key, json_t **out, struct lo_error *err)
{
    json_t *v = json_object_get(o, key);
    if (!v) {
        v = json_object();
        json_object_set_new(o, key, v);
    }
    if (!json_is_object(v))
        return lo_error_field(err, LO_EINVAL, key, "%s must be an object", key);
    *out = v;
    return 0;
}

static int reasons(json_t *o, const char *key, const char *path, const char *const *def,
                   json_t **out, struct lo_error *err)
{
    json_t *v = json_object_get(o, key);
    if (!v) {
        v = json_array();
        for (const char *const *d = def; *d; d++)
            json_array_append_new(v, json_string(*d));
        json_object_set_new(o, key, v);
    }
    if (!json_is_array(v) || json_array_size(v) == 0)
        return lo_error_field(err, LO_EINVAL, path, "%s must be a non-empty list of reason codes",
                              path);
    if (json_array_size(v) > LO_LIMIT_WF_REASONS)
        return lo_error_field(err, LO_ELIMIT, path, "%s has more than %d reasons", path,
                              LO_LIMIT_WF_REASONS);
    size_t i;
    json_t *r;
    json_array_foreach(v, i, r) {
        if (!json_is_string(r) || json_string_length(r) == 0
            || json_string_length(r) > LO_LIMIT_NAME)
            return lo_error_field(err, LO_EINVAL, path,
                                  "%s[%zu] must be a reason code (1 to %d bytes)", path, i,
                                  LO_LIMIT_NAME);
    }
    *out = v;
    return 0;
}

/* Sets key of o to the number (normalising). */
static void put_num(json_t *o, const char *key, double v)
{
    json_object_set_new(o, key, json_real(v));
}

static void put_int(json_t *o, const char *key, int v)
{
    json_object_set_new(o, key, json_integer(v));
}

static const char *const k_rework_reasons[] = { "wrong_label", "incomplete", "guideline", "other",
                                                NULL };
static const char *const k_flag_reasons[] = { "unclear_guideline", "broken_data",
                                              "sensitive_content", "other", NULL };

static int parse(json_t *d, struct lo_wf_config *c, struct lo_error *err)
{
    static const char *const known[] = { "lease_seconds", "overlap", "review", "rework",
                                         "flag_reasons", "gold", "prelabels",
                                         "least_confident_first", "cap_per_day",
                                         "vendor_shares", "consolidation", "field",
                                         "adjudicate_on", NULL };
    const char *key;
    json_t *v;
    json_object_foreach(d, key, v) {
        bool ok = false;
        for (const char *const *k = known; *k && !ok; k++)
            ok = strcmp(*k, key) == 0;
        if (!ok)
            return lo_error_field(err, LO_EINVAL, key, "unknown workflow setting '%s'", key);
    }
    double x;
    int rc = integer(d, "", "lease_seconds", 10, LO_LIMIT_LEASE_SECONDS_MAX, 600,
                     &c->lease_seconds, err);
    if (rc)
        return rc;
    put_int(d, "lease_seconds", c->lease_seconds);

    json_t *o;
    if ((rc = section(d, "overlap", &o, err)))
        return rc;
    if ((rc = integer(o, "overlap.", "k", 1, LO_LIMIT_OVERLAP_MAX, 1, &c->overlap.k, err))
        || (rc = num(o, "overlap.", "coverage", 0, 1, 1.0, &c->overlap.coverage, err))
        || (rc = boolean(o, "overlap.", "dynamic", false, &c->overlap.dynamic, err))
        || (rc = integer(o, "overlap.", "k_min", 1, LO_LIMIT_OVERLAP_MAX, 2, &c->overlap.k_min,
                         err))
        || (rc = integer(o, "overlap.", "k_max", 1, LO_LIMIT_OVERLAP_MAX, 5, &c->overlap.k_max,
                         err))
        || (rc = num(o, "overlap.", "target", 0.5, 0.999999, 0.95, &c->overlap.target, err)))
        return rc;
    if (c->overlap.k_max < c->overlap.k_min)
        return lo_error_field(err, LO_EINVAL, "overlap.k_max",
                              "overlap.k_max (%d) must be at least overlap.k_min (%d)",
                              c->overlap.k_max, c->overlap.k_min);
    put_int(o, "k", c->overlap.k);
    put_num(o, "coverage", c->overlap.coverage);
    json_object_set_new(o, "dynamic", json_boolean(c->overlap.dynamic));
    put_int(o, "k_min", c->overlap.k_min);
    put_int(o, "k_max", c->overlap.k_max);
    put_num(o, "target", c->overlap.target);

    json_t *adj = json_object_get(d, "adjudicate_on");
    c->adjudicate_on = LO_WF_DISAGREE_TIE;
    if (adj) {
        const char *s = json_string_value(adj);
        if (s && !strcmp(s, "tie"))
            c->adjudicate_on = LO_WF_DISAGREE_TIE;
        else if (s && !strcmp(s, "any_disagreement"))
            c->adjudicate_on = LO_WF_DISAGREE_ANY;
        else
            return lo_error_field(err, LO_EINVAL, "adjudicate_on",
                                  "adjudicate_on must be \"tie\" or \"any_disagreement\"");
    }
    json_object_set_new(d, "adjudicate_on", json_string(c->adjudicate_on == LO_WF_DISAGREE_TIE
                                                            ? "tie"
                                                            : "any_disagreement"));

    if ((rc = section(d, "review", &o, err)))
        return rc;
    const char *mode = json_string_value(json_object_get(o, "mode"));
    if (json_object_get(o, "mode") && !mode)
        return lo_error_field(err, LO_EINVAL, "review.mode", "review.mode must be a string");
    if (!mode || !strcmp(mode, "none"))
        c->review.mode = LO_WF_REVIEW_NONE;
    else if (!strcmp(mode, "all"))
        c->review.mode = LO_WF_REVIEW_ALL;
    else if (!strcmp(mode, "random"))
        c->review.mode = LO_WF_REVIEW_RANDOM;
    else if (!strcmp(mode, "trust"))
        c->review.mode = LO_WF_REVIEW_TRUST;
    else if (!strcmp(mode, "lot"))
        c->lot_review = true; /* labels are not picked one by one: lots are sampled */
    else
        return lo_error_field(err, LO_EINVAL, "review.mode",
                              "review.mode must be none, all, random, trust or lot, not '%s'",
                              mode);
    json_object_set_new(o, "mode", json_string(mode ? mode : "none"));
    if ((rc = num(o, "review.", "share", 0, 1, 0.1, &c->review.share, err))
        || (rc = num(o, "review.", "target", 0.01, 0.999999, 0.9, &c->review.target, err))
        || (rc = num(o, "review.", "floor", 0, 1, 0.05, &c->review.floor, err)))
        return rc;
    c->review.prior_a = c->review.prior_b = 1.0;
    if ((rc = integer(o, "review.", "lot_size", 2, 100000, 50, &c->lot_size, err))
        || (rc = num(o, "review.", "aql", 0.01, 1000, 2.5, &c->aql, err)))
        return rc;
    if (lo_z14_aql_index(c->aql) < 0)
        return lo_error_field(err, LO_EINVAL, "review.aql",
                              "review.aql must be one of the AQLs of ANSI/ASQ Z1.4 (0.010, "
                              "0.015, ... 1.0, 1.5, 2.5, 4.0, 6.5, 10 ... 1000), not %g", c->aql);
    put_int(o, "lot_size", c->lot_size);
    put_num(o, "aql", c->aql);
    put_num(o, "share", c->review.share);
    put_num(o, "target", c->review.target);
    put_num(o, "floor", c->review.floor);

    if ((rc = section(d, "rework", &o, err)))
        return rc;
    if ((rc = integer(o, "rework.", "max_rounds", 0, 100, 2, &c->rework_max_rounds, err))
        || (rc = reasons(o, "reasons", "rework.reasons", k_rework_reasons, &c->rework_reasons,
                         err)))
        return rc;
    put_int(o, "max_rounds", c->rework_max_rounds);
    if ((rc = reasons(d, "flag_reasons", "flag_reasons", k_flag_reasons, &c->flag_reasons, err)))
        return rc;

    if ((rc = section(d, "gold", &o, err)))
        return rc;
    int min_gold;
    if ((rc = num(o, "gold.", "share", 0, 0.9, 0.0, &c->gold_share, err))
        || (rc = num(o, "gold.", "target", 0.01, 0.999999, 0.8, &c->gold.target, err))
        || (rc = num(o, "gold.", "certainty", 0.5, 0.999999, 0.95, &c->gold.certainty, err))
        || (rc = integer(o, "gold.", "min_gold", 1, 1000000, 10, &min_gold, err)))
        return rc;
    json_t *fb = json_object_get(o, "feedback");
    if (fb && !json_is_boolean(fb))
        return lo_error_field(err, LO_EINVAL, "gold.feedback",
                              "gold.feedback must be true or false");
    c->gold_feedback = fb && json_is_true(fb);
    c->gold.min_gold = min_gold;
    c->gold.prior_a = c->gold.prior_b = 1.0;
    put_num(o, "share", c->gold_share);
    put_num(o, "target", c->gold.target);
    put_num(o, "certainty", c->gold.certainty);
    put_int(o, "min_gold", min_gold);
    json_object_set_new(o, "feedback", json_boolean(c->gold_feedback));

    if ((rc = boolean(d, "", "prelabels", false, &c->prelabels, err))
        || (rc = boolean(d, "", "least_confident_first", false, &c->least_confident_first, err))
        || (rc = integer(d, "", "cap_per_day", 0, 1000000, 0, &c->cap_per_day, err)))
        return rc;
    json_object_set_new(d, "prelabels", json_boolean(c->prelabels));
    json_object_set_new(d, "least_confident_first", json_boolean(c->least_confident_first));
    put_int(d, "cap_per_day", c->cap_per_day);

    c->vendor_shares = json_object_get(d, "vendor_shares");
    if (!c->vendor_shares) {
        c->vendor_shares = json_object();
        json_object_set_new(d, "vendor_shares", c->vendor_shares);
    }
    if (!json_is_object(c->vendor_shares))
        return lo_error_field(err, LO_EINVAL, "vendor_shares",
                              "vendor_shares must be an object of vendor name: share");
    double total = 0;
    json_object_foreach(c->vendor_shares, key, v) {
        char path[LO_LIMIT_NAME + 32];
        snprintf(path, sizeof(path), "vendor_shares.%s", key);
        x = json_is_number(v) ? json_number_value(v) : -1;
        if (!(x >= 0 && x <= 1))
            return lo_error_field(err, LO_EINVAL, path, "%s must be a share between 0 and 1",
                                  path);
        total += x;
    }
    if (total > 1.000001)
        return lo_error_field(err, LO_EINVAL, "vendor_shares",
                              "vendor_shares add up to %g, more than 1", total);

    const char *cons = json_string_value(json_object_get(d, "consolidation"));
    if (json_object_get(d, "consolidation") && !cons)
        return lo_error_field(err, LO_EINVAL, "consolidation", "consolidation must be a string");
    if (!cons || !strcmp(cons, "majority"))
        c->consolidation = LO_WF_CONS_MAJORITY;
    else if (!strcmp(cons, "onecoin"))
        c->consolidation = LO_WF_CONS_ONECOIN;
    else
        return lo_error_field(err, LO_EINVAL, "consolidation",
                              "consolidation must be majority or onecoin, not '%s'", cons);
    json_object_set_new(d, "consolidation", json_string(cons ? cons : "majority"));

    json_t *f = json_object_get(d, "field");
    if (f && !json_is_null(f) && !json_is_string(f))
        return lo_error_field(err, LO_EINVAL, "field", "field must be a schema field name or null");
    c->field = f && json_is_string(f) ? json_string_value(f) : NULL;
    if (!f)
        json_object_set_new(d, "field", json_null());
    return 0;
}

int lo_wf_config_parse(const json_t *in, struct lo_wf_config *cfg, struct lo_error *err)
{
    memset(cfg, 0, sizeof(*cfg));
    if (in && !json_is_object(in))
        return lo_error_set(err, LO_EINVAL, "a workflow configuration is a JSON object");
    json_t *d = in ? json_deep_copy(in) : json_object();
    if (!d)
        return lo_error_set(err, LO_ENOMEM, "out of memory reading a workflow");
    cfg->doc = d;
    int rc = parse(d, cfg, err);
    if (rc) {
        json_decref(d);
        memset(cfg, 0, sizeof(*cfg));
    }
    return rc;
}

void lo_wf_config_free(struct lo_wf_config *cfg)
{
    json_decref(cfg->doc);
    memset(cfg, 0, sizeof(*cfg));
}

bool lo_wf_reason_known(const json_t *list, const char *reason)
{
    size_t i;
    json_t *r;
    json_array_foreach(list, i, r) {
        if (json_is_string(r) && !strcmp(json_string_value(r), reason))
            return true;
    }
    return false;
}
