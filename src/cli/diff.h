/*
 * diff.h - `kvet diff`: what a change does to scaling.  The comparison of
 * two check runs (diff.c) and its reports (diff_report.c).
 *
 * Each side of a comparison is one kvet_check run: a folder or file, a git
 * revision read into a temporary folder, or one tree with other parameters
 * or cluster configuration.  Resources are paired by identity (API group,
 * kind, namespace, name and, with a project file on both sides, the
 * environment); for each pair the derived values (`effective`) are walked
 * and every changed leaf is described, and the findings are matched by rule
 * and message.  Everything a report needs is computed here, so that the
 * four formats say the same thing.
 */
#ifndef KVET_CLI_DIFF_H
#define KVET_CLI_DIFF_H

#include "cli.h"

/* What a change may do: run more pods (cost) or fewer, later, or otherwise
 * scaled than before (risk).  Both may be set. */
enum {
    DIFF_COST = 1,
    DIFF_RISK = 2
};

/* One step of a path into the derived values: a map key, or a list index
 * (index >= 0).  Keys point into the results' values. */
typedef struct diff_seg {
    const char *key;
    uint32_t keylen;
    long index;
} diff_seg;

/* A derived value that differs between the sides. */
typedef struct diff_change {
    char *key;               /* components.predictor.scale.min (keys with dots in ["..."]) */
    diff_seg *path;
    size_t npath;
    char *component;         /* "predictor" for components.predictor.*, else NULL */
    kvet_value before, after;/* KVET_ABSENT where the value does not exist */
    char *text;              /* "min 1 -> 0", with the explanation when there is one */
    unsigned impact;         /* DIFF_COST | DIFF_RISK */
    bool detail;             /* what KServe writes for Knative, recommendations */
    bool merged;             /* its words are part of another change's text */
} diff_change;

/* A finding that appeared, disappeared or changed its message or severity. */
typedef struct diff_finding {
    const kvet_finding *f;   /* the head's (new, changed) or the base's (resolved) */
    const kvet_finding *was; /* changed: the base's */
} diff_finding;

typedef enum diff_status {
    DIFF_CHANGED = 0,        /* on both sides, and something differs */
    DIFF_ADDED,              /* only on the head side */
    DIFF_REMOVED,            /* only on the base side */
    DIFF_FAILED              /* a rule or derivation failed on it on one side: not compared */
} diff_status;

typedef struct diff_resource {
    diff_status status;
    const kvet_resource *base, *head; /* NULL where it does not exist */
    diff_change *changes;
    size_t nchanges;
    char *summary;           /* added and removed: its derived values in words, or NULL */
    diff_finding *fnew, *fresolved, *fchanged;
    size_t nnew, nresolved, nchanged;
    unsigned impact;         /* the union of its changes' */
    int rank;                /* importance: lower comes first in the Markdown report */
    size_t order;            /* position in the report (head order, then removed in base order) */
} diff_resource;

/* A setting of a cluster configuration document that differs. */
typedef struct diff_setting {
    const char *env;         /* the environment, or NULL */
    const char *what;        /* "config-autoscaler", "KnativeServing", ... */
    const char *key;
    kvet_value before, after;
    const char *file;        /* the head's document (the base's when it is gone) */
    uint32_t line;
} diff_setting;

/* An input or evaluation error of one side. */
typedef struct diff_error {
    const char *side;        /* "base" or "head" */
    const kvet_error *e;
} diff_error;

typedef struct diff_side {
    const char *name;        /* "base" or "head" */
    char *label;             /* as the user named it */
    char *revision;          /* a git revision as given, or NULL */
    char *commit;            /* its commit's object name */
    char *tree;              /* the temporary folder it was read into */
    char **paths;            /* the inputs (relative to tree for a revision) */
    size_t npaths;
    const char **cluster;    /* --cluster / --to-cluster files for this side */
    size_t ncluster;
    const char **sets;       /* NAME=VALUE, in the order they apply */
    size_t nsets;
    char *norm;              /* a prefix dropped from messages before they are compared */
    bool empty;              /* none of the inputs exists on this side (a revision) */
    kvet_ctx *ctx;
    kvet_pack *pack;
    kvet_project *project;
    kvet_result *res;        /* NULL for an empty side */
} diff_side;

typedef enum diff_mode {
    DIFF_PATHS = 0,          /* two folders or files */
    DIFF_REVISIONS,          /* at least one side is a git revision */
    DIFF_SETTINGS            /* one tree, other parameters or cluster configuration */
} diff_mode;

typedef struct diff_result {
    diff_mode mode;
    diff_side base, head;
    const char *const *on;   /* DIFF_SETTINGS and revisions limited by PATH: the paths */
    size_t non;
    bool by_env;             /* identities include the environment */
    diff_resource *v;
    size_t n, cap;
    size_t compared;         /* resources on both sides */
    size_t unchanged, changed, added, removed, failed;
    size_t fnew[3], fresolved, fchanged; /* findings; fnew by severity */
    diff_setting *settings;
    size_t nsettings, capsettings;
    diff_error *errors;
    size_t nerrors, caperrors;
    bool oom;
} diff_result;

typedef struct diff_report_opts {
    bool color;
    bool quiet;
} diff_report_opts;

/* Reports (diff_report.c, docs/output.md "kvet diff"): 0, or -1 when the
 * buffer ran out of memory. */
int diff_report_text(kv_buf *out, const diff_result *d, const diff_report_opts *o);
int diff_report_json(kv_buf *out, const diff_result *d, const diff_report_opts *o);
int diff_report_markdown(kv_buf *out, const diff_result *d, const diff_report_opts *o);
int diff_report_github(kv_buf *out, const diff_result *d, const diff_report_opts *o);

/* Shared by the reports: a value in words ("unset", "none", "yes", 3,
 * 70, kpa.autoscaling.knative.dev, compact JSON for lists and maps). */
void diff_value_text(kv_buf *b, kvet_value v);
/* "Kind ns/name [env e]" of the resource on the head side, else the base's. */
void diff_resource_label(kv_buf *b, const diff_resource *r);
/* The label of a side: "examples/diff/base", "origin/main (1a2b3c4)",
 * "kserve_version=0.15.0". */
const char *diff_side_label(const diff_side *s);

#endif
