/*
 * sampling.h - lot acceptance sampling by attributes after ANSI/ASQ Z1.4 = MIL-STD-105E
 * (single sampling): sample-size code letters (Table I), the master tables of plans for normal,
 * tightened and reduced inspection (Tables II-A, II-B, II-C) resolved through their arrows,
 * 100% inspection when the sample would be the whole lot, the operating characteristic
 * (binomial and hypergeometric), AOQ, AOQL and ATI of rectifying inspection, and the
 * switching rules (4.7) as a state machine.
 *
 * A "lot" in labelops is a delivered batch (a vendor's batch, a day's output of one task
 * type); a "unit" is an item and a "defective" an item whose label is wrong. Pure functions and
 * caller-owned state; no I/O, no allocation. See docs/quality/audits.md for the tables, the
 * rule that encodes Table II and where the printed tables were checked.
 */
#ifndef LO_QUALITY_SAMPLING_H
#define LO_QUALITY_SAMPLING_H

#include <stdbool.h>

#include "base/err.h"

enum lo_z14_level {
    LO_Z14_S1 = 0, LO_Z14_S2, LO_Z14_S3, LO_Z14_S4, /* special levels */
    LO_Z14_I, LO_Z14_II, LO_Z14_III,                /* general levels; II is the default */
};

enum lo_z14_severity {
    LO_Z14_NORMAL = 0,
    LO_Z14_TIGHTENED,
    LO_Z14_REDUCED,
};

/* "I", "II", "III", "S-1".."S-4" (also "S1".."S4", any case). LO_EUSAGE if unknown. */
int lo_z14_level_parse(const char *s, enum lo_z14_level *out, struct lo_error *err);
const char *lo_z14_level_name(enum lo_z14_level l);
/* "normal", "tightened", "reduced". */
int lo_z14_severity_parse(const char *s, enum lo_z14_severity *out, struct lo_error *err);
const char *lo_z14_severity_name(enum lo_z14_severity s);

#define LO_Z14_N_AQL 26
/* The AQL columns of Table II: 0.010 0.015 ... 650 1000 (percent defective, or defects per
 * hundred units from 10 up). */
extern const double lo_z14_aqls[LO_Z14_N_AQL];
/* Column index of an AQL value (to 0.1% relative), or -1 when it is not a table column. */
int lo_z14_aql_index(double aql);

/* Table I: the code letter ('A'..'R') for a lot size (>= 2) and inspection level. */
int lo_z14_code_letter(long lot, enum lo_z14_level level, char *letter, struct lo_error *err);
/* Sample size of a code letter under a severity, 0 when the letter has none ('S' exists for
 * tightened only). */
long lo_z14_letter_sample_size(char letter, enum lo_z14_severity sev);

/* One cell of a master table. */
enum lo_z14_cell_kind {
    LO_Z14_PLAN = 0,
    LO_Z14_ARROW_DOWN, /* use the first plan below: next letter, larger sample */
    LO_Z14_ARROW_UP,   /* use the first plan above: previous letter, smaller sample */
    LO_Z14_NONE,       /* the letter has no row under this severity */
};

struct lo_z14_cell {
    enum lo_z14_cell_kind kind;
    int ac, re;  /* for LO_Z14_PLAN */
};

/* The cell of Table II-A/B/C at a letter and AQL column. */
struct lo_z14_cell lo_z14_table_cell(char letter, int aql_index, enum lo_z14_severity sev);

#define LO_Z14_MAX_STEPS 24

struct lo_z14_plan {
    long lot;
    double aql;
    enum lo_z14_level level;
    enum lo_z14_severity severity;
    char initial_letter;   /* from Table I */
    char letter;           /* after following the arrows */
    int n_steps;
    char steps[LO_Z14_MAX_STEPS + 1]; /* the arrows followed, "u" up, "d" down, as a string */
    long n;                /* sample size of the letter reached */
    int ac, re;            /* accept with <= ac defectives, reject with >= re; under reduced
                            * inspection re may exceed ac + 1 (accept, but go back to normal) */
    bool full_inspection;  /* n >= lot: inspect every unit of the lot */
    long sample;           /* units to inspect: n, or lot under 100% inspection */
};

/* Resolves the plan for a lot. LO_EINVAL for a lot < 2 or an AQL that is not a table column
 * (the message lists them). */
int lo_z14_resolve(long lot, double aql, enum lo_z14_level level, enum lo_z14_severity sev,
                   struct lo_z14_plan *out, struct lo_error *err);

/* ---- Operating characteristic and rectifying inspection --------------------------------- */

/* Probability of acceptance of a single sampling plan (n, ac) when the defect rate is p
 * (binomial: an infinite lot, or sampling with replacement). */
double lo_plan_pa(long n, int ac, double p);
/* The same for a finite lot of N units of which D are defective (hypergeometric). */
double lo_plan_pa_finite(long N, long D, long n, int ac);
/* Rectifying inspection, rejected lots sorted 100%: average outgoing quality
 * AOQ(p) = Pa p (N − n)/N and average total inspection ATI(p) = n + (1 − Pa)(N − n).
 * N = 0 means an unbounded lot: AOQ = Pa p and ATI is not defined (NaN; check N first). */
double lo_plan_aoq(long N, long n, int ac, double p);
double lo_plan_ati(long N, long n, int ac, double p);
/* AOQL = max over p of AOQ(p), and the p where it occurs (grid search refined by golden
 * section; both to about 1e-9). */
void lo_plan_aoql(long N, long n, int ac, double *aoql, double *at_p);

/* ---- Switching rules (MIL-STD-105E 4.7) ------------------------------------------------- */

enum lo_z14_state {
    LO_Z14_STATE_NORMAL = 0,
    LO_Z14_STATE_TIGHTENED,
    LO_Z14_STATE_REDUCED,
    LO_Z14_STATE_DISCONTINUED, /* 5 lots rejected while on tightened: stop until the supplier
                                * has corrected; resume on tightened */
};

/* Kept per vendor x task type x defect class, by the caller. Zero it (or call
 * lo_z14_switching_init) to start on normal inspection. */
struct lo_z14_switching {
    enum lo_z14_state state;
    int normal_history;        /* normal: results of up to the last 4 lots, bit set = rejected */
    int normal_history_len;
    int run_accepted;          /* consecutive accepted lots in the current state */
    long run_defectives[10];   /* normal: defectives of the last 10 lots (ring) */
    int tightened_rejected;    /* rejected lots since tightened began */
    long lots;                 /* lots recorded */
    const char *reason;        /* why the last switch happened, "" when none (static string) */
};

/* What the caller knows about one lot inspected under the current state. */
struct lo_z14_lot {
    bool accepted;             /* on original inspection */
    long defectives;           /* defectives found in the sample */
    int ac;                    /* acceptance number of the plan used (reduced: defectives > ac
                                * on an accepted lot reinstates normal) */
    bool production_steady;    /* 4.7.3 (c), 4.7.4 (c) */
    bool reduced_approved;     /* 4.7.3 (d): the responsible authority wants reduced */
    long limit_number;         /* Table VIII limit for the last 10 samples; < 0: never reduce */
};

void lo_z14_switching_init(struct lo_z14_switching *s);
/* Records one lot and returns the state for the next lot (s->reason says why it changed). A
 * lot recorded while discontinued is ignored. */
enum lo_z14_state lo_z14_switching_record(struct lo_z14_switching *s, const struct lo_z14_lot *lot);
/* After corrective action: resume on tightened inspection (4.7.6). */
void lo_z14_switching_resume(struct lo_z14_switching *s);
const char *lo_z14_state_name(enum lo_z14_state st);

#endif
