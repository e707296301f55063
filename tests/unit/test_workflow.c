/*
 * test_workflow.c - the workflow's decisions: state machine, overlap, routing, review, gold
 * pause; and a simulation of a whole labeling run with dynamic overlap and gold against majority
 * vote with a fixed overlap of three.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "workflow/workflow.h"

static void test_legal_transitions_follow_the_workflow(void)
{
    enum lo_wf_state s;
    CHECK_INT(lo_wf_transition(LO_WF_QUEUED, LO_WF_EV_NEEDS_REVIEW, &s, NULL), 0);
    CHECK_INT(s, LO_WF_IN_REVIEW);
    CHECK_INT(lo_wf_transition(s, LO_WF_EV_REJECT, &s, NULL), 0);
    CHECK_INT(s, LO_WF_REWORK);
    CHECK_INT(lo_wf_transition(s, LO_WF_EV_REWORK_SUBMIT, &s, NULL), 0);
    CHECK_INT(s, LO_WF_IN_REVIEW);
    CHECK_INT(lo_wf_transition(s, LO_WF_EV_ACCEPT, &s, NULL), 0);
    CHECK_INT(s, LO_WF_QUEUED);
    CHECK_INT(lo_wf_transition(s, LO_WF_EV_CONSOLIDATE, &s, NULL), 0);
    CHECK_INT(s, LO_WF_COMPLETE);
    CHECK_INT(lo_wf_transition(LO_WF_REWORK, LO_WF_EV_REWORK_LIMIT, &s, NULL), 0);
    CHECK_INT(s, LO_WF_ADJUDICATION);
    CHECK_INT(lo_wf_transition(s, LO_WF_EV_ADJUDICATE, &s, NULL), 0);
    CHECK_INT(s, LO_WF_COMPLETE);
    CHECK_INT(lo_wf_transition(LO_WF_QUEUED, LO_WF_EV_FLAG, &s, NULL), 0);
    CHECK_INT(s, LO_WF_ESCALATED);
    CHECK_INT(lo_wf_transition(s, LO_WF_EV_RESOLVE_FLAG, &s, NULL), 0);
    CHECK_INT(s, LO_WF_QUEUED);
}

static void test_illegal_transitions_are_conflicts_that_name_both(void)
{
    enum lo_wf_state s = LO_WF_QUEUED;
    struct lo_error err;
    lo_error_clear(&err);
    CHECK_INT(lo_wf_transition(LO_WF_COMPLETE, LO_WF_EV_SUBMIT, &s, &err), LO_ECONFLICT);
    CHECK(strstr(err.msg, "complete") && strstr(err.msg, "submit"));
    CHECK_INT(lo_wf_transition(LO_WF_QUEUED, LO_WF_EV_ACCEPT, &s, NULL), LO_ECONFLICT);
    CHECK_INT(lo_wf_transition(LO_WF_IN_REVIEW, LO_WF_EV_SUBMIT, &s, NULL), LO_ECONFLICT);
    CHECK_INT(lo_wf_transition(LO_WF_ESCALATED, LO_WF_EV_CONSOLIDATE, &s, NULL), LO_ECONFLICT);
    /* Every state can be invalidated back to the queue (labels of a paused annotator). */
    for (int st = 0; st < LO_WF_STATE_COUNT; st++) {
        CHECK_INT(lo_wf_transition((enum lo_wf_state)st, LO_WF_EV_INVALIDATE, &s, NULL), 0);
        CHECK_INT(s, LO_WF_QUEUED);
    }
}

static void test_fixed_overlap_covers_its_share_the_same_way_every_time(void)
{
    struct lo_wf_overlap o = { .k = 3, .coverage = 0.25 };
    int covered = 0;
    for (uint64_t id = 1; id <= 20000; id++) {
        int k = lo_wf_fixed_overlap(&o, id);
        CHECK(k == 1 || k == 3);
        CHECK_INT(k, lo_wf_fixed_overlap(&o, id));
        covered += k == 3;
    }
    CHECK_NEAR(covered / 20000.0, 0.25, 0.02);
    o.coverage = 1;
    CHECK_INT(lo_wf_fixed_overlap(&o, 7), 3);
    o.coverage = 0;
    CHECK_INT(lo_wf_fixed_overlap(&o, 7), 1);
}

/* ops-vectors.md section 4: Y = 3; A (q .7) = OK, B (q .9) = OK -> P(OK) = 0.9767;
 * A = OK, B = BAD -> P(BAD) = 0.7606; add C (q .8) = BAD -> P(BAD) = 0.9621. */
static void test_dynamic_overlap_stops_at_the_published_posteriors(void)
{
    struct lo_wf_overlap o = { .dynamic = true, .k_min = 2, .k_max = 4, .target = 0.95 };
    const double q[] = { 0.7, 0.9, 0.8 };
    uint32_t label;
    double conf;
    uint32_t agree[] = { 0, 0 };
    CHECK_INT(lo_wf_dynamic_overlap(&o, 3, 2, agree, q, &label, &conf), LO_WF_DONE);
    CHECK_INT(label, 0);
    CHECK_NEAR(conf, 0.9767, 0.00005);
    uint32_t split[] = { 0, 1, 1 };
    CHECK_INT(lo_wf_dynamic_overlap(&o, 3, 2, split, q, &label, &conf), LO_WF_NEED_MORE);
    CHECK_INT(label, 1);
    CHECK_NEAR(conf, 0.7606, 0.00005);
    CHECK_INT(lo_wf_dynamic_overlap(&o, 3, 3, split, q, &label, &conf), LO_WF_DONE);
    CHECK_NEAR(conf, 0.9621, 0.00005);
    /* One label never suffices under k_min = 2, however sure. */
    const double sure[] = { 0.999 };
    CHECK_INT(lo_wf_dynamic_overlap(&o, 3, 1, agree, sure, &label, &conf), LO_WF_NEED_MORE);
    /* At k_max and still unsure: adjudicate. */
    uint32_t mess[] = { 0, 1, 2, 0 };
    const double q4[] = { 0.5, 0.5, 0.5, 0.5 };
    CHECK_INT(lo_wf_dynamic_overlap(&o, 3, 4, mess, q4, &label, &conf), LO_WF_ADJUDICATE);
}

static struct lo_wf_candidate cand(uint64_t id, int prio, int64_t created)
{
    struct lo_wf_candidate c = { .item_id = id, .priority = prio, .created_ms = created,
                                 .labels_needed = 1, .prediction_score = NAN };
    return c;
}

static void test_pick_orders_rework_late_priority_confidence_age(void)
{
    struct lo_rng rng;
    lo_rng_seed(&rng, 1);
    struct lo_wf_worker w = { .skill_mask = 0 };
    struct lo_wf_routing r = { .turnaround_hours = 24, .least_confident_first = true };
    int64_t now = 100LL * 3600 * 1000;
    struct lo_wf_candidate c[5] = { cand(1, 0, now - 1000), cand(2, 5, now - 1000),
                                    cand(3, 0, now - 2000), cand(4, 5, now - 500),
                                    cand(5, 0, now - 30LL * 3600 * 1000) };
    c[3].prediction_score = 0.2;
    c[1].prediction_score = 0.9;
    /* The item past the 24 h turnaround comes first. */
    CHECK_INT(lo_wf_pick(c, 5, &w, &r, now, &rng), 4);
    c[4].labels_needed = 0;
    /* Then priority 5, least confident prediction first. */
    CHECK_INT(lo_wf_pick(c, 5, &w, &r, now, &rng), 3);
    r.least_confident_first = false;
    /* Without it, the oldest of the priority-5 items. */
    CHECK_INT(lo_wf_pick(c, 5, &w, &r, now, &rng), 1);
    /* The worker's own rework beats everything, even if nobody else needs the item. */
    c[0].rework_for_worker = true;
    c[0].seen_by_worker = true;
    c[0].labels_needed = 0;
    CHECK_INT(lo_wf_pick(c, 5, &w, &r, now, &rng), 0);
}

static void test_pick_never_serves_an_item_twice_nor_beyond_skills_caps_or_pause(void)
{
    struct lo_rng rng;
    lo_rng_seed(&rng, 2);
    struct lo_wf_routing r = { 0 };
    struct lo_wf_worker w = { .skill_mask = 1 };
    struct lo_wf_candidate c[3] = { cand(1, 0, 0), cand(2, 0, 1), cand(3, 0, 2) };
    c[0].seen_by_worker = true;
    c[1].skill_mask = 2;
    CHECK_INT(lo_wf_pick(c, 3, &w, &r, 0, &rng), 2);
    c[2].labels_needed = 0;
    CHECK_INT(lo_wf_pick(c, 3, &w, &r, 0, &rng), -1);
    c[2].labels_needed = 1;
    w.cap = 10;
    w.labels_today = 10;
    CHECK_INT(lo_wf_pick(c, 3, &w, &r, 0, &rng), -1);
    w.labels_today = 0;
    w.paused = true;
    CHECK_INT(lo_wf_pick(c, 3, &w, &r, 0, &rng), -1);
}

static void test_gold_is_served_at_its_share(void)
{
    struct lo_rng rng;
    lo_rng_seed(&rng, 3);
    struct lo_wf_routing r = { .gold_share = 0.1 };
    struct lo_wf_worker w = { 0 };
    struct lo_wf_candidate c[2] = { cand(1, 0, 0), cand(2, 9, 0) };
    c[0].is_gold = true;
    int gold = 0;
    for (int i = 0; i < 20000; i++)
        gold += lo_wf_pick(c, 2, &w, &r, 0, &rng) == 0;
    CHECK_NEAR(gold / 20000.0, 0.1, 0.01);
    r.gold_share = 0;
    CHECK_INT(lo_wf_pick(c, 2, &w, &r, 0, &rng), 1);
}

static void test_trust_review_reviews_the_unproven_more(void)
{
    struct lo_rng rng;
    lo_rng_seed(&rng, 4);
    struct lo_wf_review rv = { .mode = LO_WF_REVIEW_TRUST, .target = 0.9, .prior_a = 1,
                               .prior_b = 1, .floor = 0.05 };
    int strong = 0, weak = 0, fresh = 0;
    for (int i = 0; i < 20000; i++) {
        strong += lo_wf_review_pick(&rv, 99, 100, &rng);
        weak += lo_wf_review_pick(&rv, 70, 100, &rng);
        fresh += lo_wf_review_pick(&rv, 0, 0, &rng);
    }
    CHECK(weak > 19000);           /* P(acc < .9) is about 1 after 70/100 */
    CHECK_NEAR(fresh / 20000.0, 0.9, 0.02); /* uniform prior: P(acc < .9) = 0.9 */
    CHECK_NEAR(strong / 20000.0, 0.05, 0.01); /* the floor */
    struct lo_wf_review none = { .mode = LO_WF_REVIEW_NONE }, all = { .mode = LO_WF_REVIEW_ALL };
    CHECK(!lo_wf_review_pick(&none, 0, 0, &rng));
    CHECK(lo_wf_review_pick(&all, 100, 100, &rng));
}

/* ops-vectors.md section 3: 3/5 with Beta(1,1): P(acc < 0.8) = 0.9011; 18/20: 0.1787. */
static void test_pause_rule_uses_the_beta_posterior(void)
{
    struct lo_wf_gold_rule g = { .target = 0.8, .certainty = 0.9, .min_gold = 5, .prior_a = 1,
                                 .prior_b = 1 };
    double p;
    CHECK(lo_wf_should_pause(&g, 3, 5, &p));
    CHECK_NEAR(p, 0.9011, 0.00005);
    CHECK(!lo_wf_should_pause(&g, 18, 20, &p));
    CHECK_NEAR(p, 0.1787, 0.00005);
    CHECK(!lo_wf_should_pause(&g, 0, 4, &p)); /* too few gold answers to judge */
}

static void test_lot_review_samples_the_z14_plan_and_judges_the_lot(void)
{
    struct lo_rng rng;
    lo_rng_seed(&rng, 5);
    /* Lot 1000 at AQL 2.5, level II, normal: J, n 80, Ac 5, Re 6 (ops-vectors.md section 1). */
    long sample[80];
    long hits[1000] = { 0 };
    for (int round = 0; round < 200; round++) {
        CHECK_INT(lo_wf_lot_sample(1000, 80, &rng, sample, NULL), 0);
        for (int k = 0; k < 80; k++) {
            CHECK(sample[k] >= 0 && sample[k] < 1000);
            if (k)
                CHECK(sample[k] > sample[k - 1]); /* sorted, no repeats */
            hits[sample[k]]++;
        }
    }
    long min = 1000, max = 0;
    for (int i = 0; i < 1000; i++) {
        min = hits[i] < min ? hits[i] : min;
        max = hits[i] > max ? hits[i] : max;
    }
    CHECK(min >= 3 && max <= 45); /* every item drawn about 16 times in 200 rounds */
    CHECK_INT(lo_wf_lot_verdict(5, 6, 5), LO_WF_LOT_ACCEPT);
    CHECK_INT(lo_wf_lot_verdict(5, 6, 6), LO_WF_LOT_REJECT);
    CHECK_INT(lo_wf_lot_verdict(1, 4, 2), LO_WF_LOT_ACCEPT_RETURN);
    CHECK_INT(lo_wf_lot_sample(10, 11, &rng, sample, NULL), LO_EINVAL);
    CHECK_INT(lo_wf_lot_sample(10, 10, &rng, sample, NULL), 0);
    for (int k = 0; k < 10; k++)
        CHECK_INT(sample[k], k);
}

/* ---- simulation -------------------------------------------------------------------------- */

#define SIM_ITEMS 5000
#define SIM_GOLD 300
#define SIM_ANNOTATORS 40
#define SIM_CLASSES 3
#define SIM_MAXK 5

static uint32_t answer(struct lo_rng *rng, double acc, uint32_t truth)
{
    if (lo_rng_uniform(rng) < acc)
        return truth;
    uint32_t wrong = (uint32_t)lo_rng_below(rng, SIM_CLASSES - 1);
    return wrong >= truth ? wrong + 1 : wrong;
}

struct sim_result {
    double accuracy;
    long labels;
    int paused_near_chance, near_chance, paused_good;
};

static void simulate_dynamic(const double *acc, const uint32_t *truth, struct sim_result *res)
{
    struct lo_rng rng;
    lo_rng_seed(&rng, 20261127);
    const size_t n_all = SIM_ITEMS + SIM_GOLD;
    struct lo_wf_candidate *c = calloc(n_all, sizeof(*c));
    bool *seen = calloc(n_all * SIM_ANNOTATORS, 1);
    uint32_t(*labels)[SIM_MAXK] = calloc(n_all, sizeof(*labels));
    int(*who)[SIM_MAXK] = calloc(n_all, sizeof(*who));
    int *n_labels = calloc(n_all, sizeof(int));
    uint32_t *final = calloc(n_all, sizeof(uint32_t));
    bool *done = calloc(n_all, 1);
    long gold_ok[SIM_ANNOTATORS] = { 0 }, gold_n[SIM_ANNOTATORS] = { 0 };
    bool paused[SIM_ANNOTATORS] = { false };
    for (size_t i = 0; i < n_all; i++) {
        c[i] = cand(i + 1, 0, (int64_t)i);
        c[i].is_gold = i >= SIM_ITEMS;
        c[i].labels_needed = c[i].is_gold ? 1000000 : 1;
    }
    struct lo_wf_overlap o = { .dynamic = true, .k_min = 2, .k_max = SIM_MAXK, .target = 0.93 };
    struct lo_wf_routing r = { .gold_share = 0.08 };
    struct lo_wf_gold_rule g = { .target = 0.6, .certainty = 0.95, .min_gold = 8, .prior_a = 1,
                                 .prior_b = 1 };
    long n_given = 0, remaining = SIM_ITEMS;
    for (long step = 0; remaining > 0 && step < 200000; step++) {
        int a = (int)lo_rng_below(&rng, SIM_ANNOTATORS);
        if (paused[a])
            continue;
        for (size_t i = 0; i < n_all; i++)
            c[i].seen_by_worker = seen[i * SIM_ANNOTATORS + (size_t)a];
        struct lo_wf_worker w = { 0 };
        long pick = lo_wf_pick(c, n_all, &w, &r, 0, &rng);
        if (pick < 0)
            continue;
        size_t i = (size_t)pick;
        uint32_t ans = answer(&rng, acc[a], truth[i]);
        if (c[i].is_gold) {
            gold_n[a]++;
            gold_ok[a] += ans == truth[i];
            paused[a] = lo_wf_should_pause(&g, gold_ok[a], gold_n[a], NULL);
            continue; /* gold may be answered by everyone once */
        }
        seen[i * SIM_ANNOTATORS + (size_t)a] = true;
        n_given++;
        labels[i][n_labels[i]] = ans;
        who[i][n_labels[i]] = a;
        n_labels[i]++;
        /* Accuracies estimated from gold only (posterior mean, Beta(2,1): mildly optimistic);
         * a paused annotator's labels count as noise (accuracy = chance). */
        double q[SIM_MAXK];
        for (int k = 0; k < n_labels[i]; k++) {
            int b = who[i][k];
            q[k] = paused[b] ? 1.0 / SIM_CLASSES : (2.0 + gold_ok[b]) / (3.0 + gold_n[b]);
        }
        uint32_t lab;
        double conf;
        enum lo_wf_overlap_decision d =
            lo_wf_dynamic_overlap(&o, SIM_CLASSES, (size_t)n_labels[i], labels[i], q, &lab,
                                  &conf);
        if (d == LO_WF_NEED_MORE) {
            c[i].labels_needed = 1;
            continue;
        }
        final[i] = lab;
        done[i] = true;
        c[i].labels_needed = 0;
        remaining--;
    }
    long correct = 0;
    for (size_t i = 0; i < SIM_ITEMS; i++)
        correct += done[i] && final[i] == truth[i];
    res->accuracy = (double)correct / SIM_ITEMS;
    res->labels = n_given;
    for (int a = 0; a < SIM_ANNOTATORS; a++) {
        bool near_chance = acc[a] < 0.45;
        res->near_chance += near_chance;
        res->paused_near_chance += near_chance && paused[a];
        res->paused_good += !near_chance && acc[a] >= 0.75 && paused[a];
    }
    free(c);
    free(seen);
    free(labels);
    free(who);
    free(n_labels);
    free(final);
    free(done);
}

/* Majority vote of three random distinct annotators per item; ties go to the lowest class. */
static double simulate_majority_of_three(const double *acc, const uint32_t *truth)
{
    struct lo_rng rng;
    lo_rng_seed(&rng, 20261128);
    long correct = 0;
    for (size_t i = 0; i < SIM_ITEMS; i++) {
        int votes[SIM_CLASSES] = { 0 };
        int chosen[3];
        for (int k = 0; k < 3; k++) {
            int a;
            bool dup;
            do {
                a = (int)lo_rng_below(&rng, SIM_ANNOTATORS);
                dup = false;
                for (int j = 0; j < k; j++)
                    dup |= chosen[j] == a;
            } while (dup);
            chosen[k] = a;
            votes[answer(&rng, acc[a], truth[i])]++;
        }
        int best = 0;
        for (int k = 1; k < SIM_CLASSES; k++)
            if (votes[k] > votes[best])
                best = k;
        correct += (uint32_t)best == truth[i];
    }
    return (double)correct / SIM_ITEMS;
}

static void test_simulation_dynamic_overlap_beats_majority_of_three_with_fewer_labels(void)
{
    double acc[SIM_ANNOTATORS];
    struct lo_rng rng;
    lo_rng_seed(&rng, 99);
    for (int a = 0; a < SIM_ANNOTATORS; a++)
        acc[a] = a < 5 ? 0.36 + 0.02 * a : 0.72 + 0.23 * lo_rng_uniform(&rng);
    uint32_t *truth = malloc((SIM_ITEMS + SIM_GOLD) * sizeof(uint32_t));
    for (size_t i = 0; i < SIM_ITEMS + SIM_GOLD; i++)
        truth[i] = (uint32_t)lo_rng_below(&rng, SIM_CLASSES);
    struct sim_result dyn = { 0 };
    simulate_dynamic(acc, truth, &dyn);
    double mv3 = simulate_majority_of_three(acc, truth);
    free(truth);
    printf("    simulation: dynamic overlap accuracy %.4f with %ld labels; majority of three %.4f "
           "with %d labels; %d of %d near-chance annotators paused\n",
           dyn.accuracy, dyn.labels, mv3, 3 * SIM_ITEMS, dyn.paused_near_chance, dyn.near_chance);
    CHECK_MSG(dyn.accuracy >= mv3, "dynamic %.4f < majority of three %.4f", dyn.accuracy, mv3);
    CHECK_MSG(dyn.labels < 3L * SIM_ITEMS, "dynamic used %ld labels, majority of three %d",
              dyn.labels, 3 * SIM_ITEMS);
    CHECK_MSG(dyn.paused_near_chance == dyn.near_chance, "%d of %d near-chance paused",
              dyn.paused_near_chance, dyn.near_chance);
    CHECK_MSG(dyn.paused_good == 0, "%d good annotators paused", dyn.paused_good);
}

int main(int argc, char **argv)
{
    static const struct lo_test tests[] = {
        LO_T(test_legal_transitions_follow_the_workflow),
        LO_T(test_illegal_transitions_are_conflicts_that_name_both),
        LO_T(test_fixed_overlap_covers_its_share_the_same_way_every_time),
        LO_T(test_dynamic_overlap_stops_at_the_published_posteriors),
        LO_T(test_pick_orders_rework_late_priority_confidence_age),
        LO_T(test_pick_never_serves_an_item_twice_nor_beyond_skills_caps_or_pause),
        LO_T(test_gold_is_served_at_its_share),
        LO_T(test_trust_review_reviews_the_unproven_more),
        LO_T(test_pause_rule_uses_the_beta_posterior),
        LO_T(test_lot_review_samples_the_z14_plan_and_judges_the_lot),
        LO_T(test_simulation_dynamic_overlap_beats_majority_of_three_with_fewer_labels),
    };
    return lo_test_run(tests, sizeof(tests) / sizeof(tests[0]), argc, argv);
}
