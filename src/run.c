/*
 * run.c - a check run: inputs -> scopes and contexts -> index -> streaming
 * evaluation -> result.
 *
 * Every input file is a unit of a scope: the resources that see each other
 * in cross-resource lookups.  With a project file a scope is an environment
 * (a file in two environments is two units); without one, it is a folder
 * holding manifests with no such folder above it, and everything below it.
 * A resource is evaluated in a context: its scope, the cluster configuration
 * documents that apply to it (config.c rules: --cluster, else the
 * environment's, else the nearest folder's) and its parameters.  Each context
 * has its own VM environment, so memoized top-level values never leak from
 * one context to another.
 *
 * Pass 1 (only when the program queries other documents) builds the index:
 * it parses just the files that can hold a queried kind (a file whose text
 * does not contain the kind's name cannot), and keeps those documents.
 * Pass 2 streams every document: parse, evaluate, record the resource's
 * findings and effective values, release the document.  Memory therefore
 * grows with the index and the results, not with the whole input.
 *
 * With kvet_inputs.jobs > 1, threads read and parse the input files ahead
 * of the main thread (each with a kvet_ctx of its own for its diagnostics),
 * a bounded number of units ahead in pass 2, and other threads evaluate
 * whole units (see eval_pool).  What decides the result's order and what
 * the run shares -- indexing, contexts, duplicates, waivers, the result's
 * order and counters, the diagnostics -- stays in the main thread, in input
 * order, so the result is the same as without threads.
 */
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "coverage.h"
#include "ctx.h"
#include "doc.h"
#include "pathglob.h"
#include "program.h"
#include "project.h"
#include "value.h"
#include "vm.h"
#include "waiver.h"

#define NO_ENV UINT32_MAX
#define NO_DOC (-1)

/* The kinds of cluster configuration document. */
enum { CFG_AUTOSCALER, CFG_AUTOSCALER_KEDA, CFG_KNATIVE_SERVING, CFG_ISVC, CFG_KINDS };
static const char *const cfg_what[CFG_KINDS] = {"config-autoscaler", "config-autoscaler-keda", "KnativeServing",
                                                "inferenceservice-config"};
/* the namespace a component reads its ConfigMap from, preferred when several compete */
static const char *const cfg_home[CFG_KINDS] = {"knative-serving", "knative-serving", NULL, "kserve"};

typedef struct unit {
    char *path;                /* a file, "-" (stdin) or NULL (kvet_inputs.buffer) */
    char *dir;                 /* its folder, absolute; NULL for streams */
    uint32_t scope;
    uint32_t env;              /* environment index, or NO_ENV */
    bool option;               /* a --cluster file: seen in every scope */
    bool env_cluster;          /* one of its environment's cluster files */
    bool dir_shared;           /* dir is the unit's before it (files of one folder share it) */
    /* what its one parse (pass 1) found, replayed in order when it is evaluated */
    bool parsed;
    /* parsed by a thread ahead of the main thread (see parse_ahead) */
    bool ahead_oom;
    int ahead;                     /* AHEAD_* */
    uint32_t src;                  /* its source id, given before the threads start */
    size_t origin;             /* the kvet_inputs.paths entry it came from, or SIZE_MAX */
    size_t len;
    kv_manifest_stats st;
    size_t first_event, nevents;   /* in run.events */
    kvet_diag *diags;              /* its load diagnostics, detached until then */
    size_t ndiags;
    kv_arena pending;              /* its documents of kinds no rule queries, until evaluated */
    struct parsed_doc *own;        /* its documents, instead of run.events (parsed ahead) */
    size_t nown, capown;
    struct unit_eval *ev;          /* while threads evaluate it, or NULL */
} unit;

/* A unit evaluated by threads (see eval_pool): what the main thread decided
 * before, in input order, and what the threads made of it.  Made when it is
 * queued and freed once it is merged: a repository of many small files
 * keeps a unit for each, and this for a few. */
typedef struct unit_eval {
    struct job_doc *jobs;
    size_t njobs;
    kv_arena nsa;                  /* documents given their environment's namespace */
    struct context *ectx;
    kvet_diag *cdiags;             /* what choosing its context reported */
    size_t ncdiags;
    struct slice *slices;          /* its jobs as the threads take them */
    uint32_t nslices;
    size_t merge_before;           /* diagnostics before its merge began */
    size_t merge_given;            /* its load diagnostics merged so far */
} unit_eval;

/* A run of a unit's jobs one thread evaluates, and what it made of them:
 * a file of many documents (a cluster dump) is shared among the threads. */
typedef struct slice {
    size_t lo, hi;
    kvet_resource *out;
    size_t nout;
    kvet_error *werr;
    size_t nwerr;
    bool woom;
    uint8_t done;                  /* set by the thread that evaluated it (flag_set) */
    kv_arena outa;                 /* its resources' strings and values, when streamed */
} slice;

enum { SLICE_JOBS = 256 };

/* With -j, a thread that has just parsed a file of fewer than AHEAD_SMALL
 * bytes takes up to AHEAD_TAKE files at once, and a thread that evaluates
 * takes queued slices together while they hold no more than POOL_SMALL
 * documents in all: for many small files, a lock and a wake-up for each
 * cost more than parsing or evaluating it.  Larger files are still taken
 * one at a time, which keeps the threads evenly busy.
 *
 * How far the threads parse ahead of the main thread is counted in files
 * (ahead.window), and beyond that in bytes: up to AHEAD_REACH files a
 * thread, one at a time, while what they parsed and the main thread has
 * not consumed holds less than AHEAD_BYTES.  A repository of one manifest
 * a file has the threads parse far enough ahead to keep busy, and large
 * files wait no more than the window's number of them and that many
 * bytes.  Evaluation likewise counts a slice of fewer than SLICE_WEIGHT
 * documents as that many. */
enum {
    AHEAD_TAKE = 32, AHEAD_SMALL = 16 << 10, AHEAD_REACH = 64, AHEAD_BYTES = 8 << 20,
    POOL_TAKE = 16, POOL_SMALL = 64, SLICE_WEIGHT = 16
};
/* A thread that has just evaluated a slice in less time takes the next
 * slices together (worker_main); after a slower one it takes one. */
#define POOL_QUICK_S 0.0002

/* A flag one thread sets when its work is done and the main thread waits
 * for, woken only when it waits for that very flag (*awaited).  The setter
 * sets the flag and then reads *awaited; the waiter sets *awaited and then
 * reads the flag, both in one total order, so one of them sees the other's
 * store.  The waiter holds `mu` from its store to the wait, so the setter,
 * taking `mu` once, finds it waiting; signalling after releasing `mu`
 * spares it waiting for the lock again. */
static void flag_set(pthread_mutex_t *mu, pthread_cond_t *cv, const uint8_t *const *awaited, uint8_t *flag)
{
    __atomic_store_n(flag, 1, __ATOMIC_SEQ_CST);
    if (__atomic_load_n(awaited, __ATOMIC_SEQ_CST) != flag)
        return;
    pthread_mutex_lock(mu);
    pthread_mutex_unlock(mu);
    pthread_cond_signal(cv);
}

static void flag_wait(pthread_mutex_t *mu, pthread_cond_t *cv, const uint8_t **awaited, const uint8_t *flag)
{
    if (__atomic_load_n(flag, __ATOMIC_ACQUIRE))
        return;
    pthread_mutex_lock(mu);
    __atomic_store_n(awaited, flag, __ATOMIC_SEQ_CST);
    while (!__atomic_load_n(flag, __ATOMIC_SEQ_CST))
        pthread_cond_wait(cv, mu);
    __atomic_store_n(awaited, NULL, __ATOMIC_SEQ_CST);
    pthread_mutex_unlock(mu);
}

/* A document of a unit given to a thread: its root as evaluated, and
 * whether it is left out (JOB_*). */
typedef struct job_doc {
    kvet_value root;
    uint32_t src;
    size_t mark;
    int skip;
} job_doc;

enum { JOB_EVAL, JOB_OWN, JOB_DUPLICATE };

enum {
    AHEAD_NONE,                    /* not given to the threads, or not taken yet */
    AHEAD_PARSED,                  /* own, diags, st and len hold its one parse */
    AHEAD_UNREAD,                  /* reading it failed: the main thread reads it again to report it */
    AHEAD_SERIAL                   /* standard input or a buffer: the main thread reads it */
};

/* A document of a unit, as pass 1 kept it for evaluation: the index copy
 * of a queried kind, else a copy of its own; `mark` counts the unit's load
 * diagnostics raised before it. */
typedef struct parsed_doc {
    kvet_value root;
    uint32_t src;
    bool duplicate;            /* an identical copy of an earlier resource of its scope */
    bool indexed;              /* root is the index's copy (parsed ahead: in the parsing thread's arena) */
    size_t mark;
} parsed_doc;

typedef struct run_scope {
    char *name;
    uint32_t env;
} run_scope;

typedef struct indexed {
    kvet_value root;
    uint64_t content;          /* for configuration: hash of what configures */
    uint32_t unit;
    int8_t cfg;                /* CFG_* or -1 */
    bool hidden;               /* an identical copy of an earlier document of its scope */
} indexed;

typedef struct result_impl {
    kvet_result pub;
    kv_arena arena;
    kv_arena queries;          /* the contexts' query lists: values may keep them */
    size_t capresources, caperrors, capwarnings, capcontexts;
    kv_arena *more;            /* the arenas of the threads that evaluated (-j) */
    size_t nmore;
} result_impl;

struct run;

/* One context: see the file comment. */
typedef struct context {
    struct run *r;
    size_t id;                 /* its index in run.contexts */
    uint32_t scope, env;
    int winner[CFG_KINDS];     /* index document, or NO_DOC */
    kvet_config_origin origin[CFG_KINDS];
    size_t pub;                /* index in result->contexts */
    kv_env *vm;
    kv_eval *ev;
    /* per query, built on first use: its documents, and those by namespace
     * (a thread's copy of a context reads the main one's: `share`) */
    kvet_value *query_lists;
    atomic_bool *query_built;
    struct ns_index *query_ns;
    struct context *share;
    bool retired;              /* its scope is evaluated: what it held is freed (retire_scope) */
    struct context *scope_next; /* the next context of its scope (run.scope_ctxs) */
} context;

/* Resources by identity (group, kind, namespace, name) within a scope:
 * the same one defined twice is noted once, and identical copies are
 * checked once. */
typedef struct ident_where {
    uint32_t src, line;
} ident_where;

/* What a second definition of a resource brings (few resources have one). */
typedef struct ident_dups {
    const char *label;         /* "Service demo/x" */
    ident_where *more;         /* the definitions after the first */
    bool differ;
} ident_dups;

typedef struct ident {
    uint64_t key, key2;        /* two independent hashes of scope and identity */
    uint64_t content;
    uint32_t scope;
    uint32_t nwhere;           /* definitions: first, then dups->more[] */
    ident_where first;
    ident_dups *dups;          /* in the table's arena, once defined twice */
} ident;

/* One entry per resource of the run: kept small, it is what a run keeps
 * of every resource whose report has been written. */
typedef struct ident_table {
    ident *v;                  /* in order of first definition */
    size_t n, capv;
    uint64_t *slot;            /* open addressing: 0, or 1 + index into v in the low half and the key's
                                  high half above it (a probe reads v only when those agree) */
    size_t cap;                /* a power of two */
    kv_arena labels;
} ident_table;

typedef struct run {
    kvet_ctx *ctx;
    const kvet_pack *prog;
    const kvet_inputs *in;
    const kvet_project *project;
    result_impl *res;
    const char *cwd;           /* the current folder while inputs become units, or NULL */
    kv_arena outa;             /* the strings and values of the resources of the unit this
                                  thread evaluates alone, when streamed */
    kv_arena scratch;          /* per document evaluation */
    kv_arena *out;             /* where resources' strings and values go: res->arena, or
                                  the unit's own when they are streamed */
    kv_strset shared;          /* strings the results repeat, copied once into *out */
    /* what this thread's contexts share, as they evaluate one resource at a
     * time: the table of remembered calls and the compiled patterns (NULL:
     * each context has its own) */
    kv_memo *memo;
    kv_regex_cache *regex;
    const kv_env_plan *plan;   /* what every context's env shares, made once */
    bool stream;               /* resources go to kvet_inputs.on_resource, unit by unit */

    unit *units; size_t nunits, capunits;
    run_scope *scopes; size_t nscopes, capscopes;
    kvet_value **env_params;   /* per environment: parameter values, or NULL */

    /* index */
    indexed *docs; size_t ndocs, capdocs;
    kv_arena index_arena;      /* the indexed documents, copied compactly */
    kv_strset index_strs;      /* their short strings (keys, kinds, labels), each kept once */
    parsed_doc *events; size_t nevents, capevents;
    size_t unit_diag_base;     /* diagnostics before the unit being parsed */
    kv_arena ns_arena;         /* a document given its environment's namespace */
    size_t **scope_docs;       /* per scope: its visible non-configuration documents */
    size_t *nscope_docs;
    size_t *global_docs; size_t nglobal_docs; /* --cluster documents that are not configuration */
    kvet_value no_docs;        /* the empty list a namespace without documents gives */
    pthread_mutex_t query_mu;  /* see query_lock */
    bool query_mu_on;
    bool *cfg_warned;          /* per index document: its competition was reported */
    size_t *cfg_docs;          /* the configuration documents among them, in input order */
    size_t ncfg_docs;
    ident_table ids;           /* every resource, by identity: noted in pass 1 when it runs (ids_noted) */
    bool ids_noted;

    context **contexts; size_t ncontexts, capcontexts;
    uint32_t *scope_last;      /* per scope: its last unit, after which its contexts retire; or NULL */
    context **scope_ctxs;      /* per scope: its contexts, linked by scope_next */
    size_t contexts_held, contexts_held_max; /* not retired, for --stats */
    context *cur_ctx;
    /* the context chosen for a folder of a scope and environment: a choice
     * depends on nothing else, and there are as many units as files */
    struct chosen { uint64_t hash; uint32_t scope, env; const char *dir; context *c; } *chosen;
    size_t nchosen, capchosen;
    uint32_t *chosen_slot;     /* open addressing: 1 + index into chosen, or 0 */
    size_t chosen_cap;         /* a power of two */

    /* the resource being evaluated */
    uint32_t cur_unit;
    kvet_resource *cur;
    kvet_finding *findings; size_t nfindings, capfindings;
    kvet_outcome *outcomes; size_t noutcomes, capoutcomes; /* the rules run on it */
    uint32_t doc_src_min;      /* source ids >= this are manifests */
    uint32_t cur_src;
    uint32_t cur_line;
    bool cur_failed;
    bool stdin_used;
    bool stdin_failed;         /* reading stdin failed: it is not read again */
    bool stdin_once;           /* one unit reads stdin: a long YAML stream need not be held */
    unsigned list_threads;     /* threads for a large JSON List or YAML file: the run's when no other input is large */
    unsigned large_files;      /* input files read through a window (2: two or more, see large_inputs) */
    char *stdin_data;
    size_t stdin_len;
    bool found_cluster_config;
    bool oom;
    kv_waivers ws;

    /* --stats (kvet_inputs.want_stats): see kvet_stats */
    kvet_stats *st;
    double seg_t;              /* start of the evaluation segment being timed */
    int32_t owner;             /* whose it is: a pack index, or -1 (derived values) */
    int32_t owner_rule;        /* the rule, or -1 */
    double t_lazy_index;       /* query lists and namespace indexes built during evaluation */
    double t_items;            /* inside eval_item */
} run;

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static long peak_rss_kb(void)
{
    struct rusage ru;
    return getrusage(RUSAGE_SELF, &ru) == 0 ? ru.ru_maxrss : 0;
}

/* Charge the time since the segment started to its owner. */
static void stats_charge(run *r, double t)
{
    if (r->owner >= 0 && (size_t)r->owner < r->st->npacks)
        r->st->pack_s[r->owner] += t - r->seg_t;
    else
        r->st->derive_s += t - r->seg_t;
    if (r->owner_rule >= 0)
        r->st->rule_s[r->owner_rule] += t - r->seg_t;
    r->seg_t = t;
}

static const char *rdup(run *r, const char *s, size_t n)
{
    char *d = kv_arena_strndup(&r->res->arena, s ? s : "", s ? n : 0);
    if (!d)
        r->oom = true;
    return d ? d : "";
}

/* A resource's own copy of a string. */
static const char *odup(run *r, const char *s, size_t n)
{
    char *d = kv_arena_strndup(r->out, s ? s : "", s ? n : 0);
    if (!d)
        r->oom = true;
    return d ? d : "";
}

/* The result's copy of a string many resources repeat (a kind, a namespace). */
static const char *shared_str(run *r, const char *s, size_t n)
{
    const kvet_string *k = kv_strset_get(r->out, &r->shared, s, n);
    if (!k)
        r->oom = true;
    return k ? k->data : "";
}

/* Append e, whose strings the list takes (or frees, when out of memory). */
static void take_error(run *r, kvet_error **v, size_t *n, size_t *cap, kvet_error e)
{
    if (*n == *cap) {
        size_t ncap = *cap ? *cap * 2 : 16;
        kvet_error *nv = realloc(*v, ncap * sizeof *nv);
        if (!nv) {
            r->oom = true;
            free(e.file);
            free(e.message);
            return;
        }
        *v = nv;
        *cap = ncap;
    }
    (*v)[(*n)++] = e;
}

static void push_error(run *r, kvet_error **v, size_t *n, size_t *cap, const char *file, uint32_t line, uint32_t col,
                       const char *msg)
{
    take_error(r, v, n, cap, (kvet_error){.file = file ? strdup(file) : NULL, .line = line, .col = col,
                                          .message = strdup(msg)});
}

static void add_error(run *r, const char *file, uint32_t line, uint32_t col, const char *msg)
{
    push_error(r, &r->res->pub.errors, &r->res->pub.nerrors, &r->res->caperrors, file, line, col, msg);
}

/* An input warning: a diagnostic now, and a record in the result. */
static void add_warning(run *r, const char *file, uint32_t line, uint32_t col, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
static void add_warning(run *r, const char *file, uint32_t line, uint32_t col, const char *fmt, ...)
{
    va_list ap;
    kv_buf b;
    kv_buf_init(&b);
    va_start(ap, fmt);
    char tmp[2048];
    vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    kv_buf_puts(&b, tmp);
    char *msg = kv_buf_take(&b);
    if (!msg) {
        r->oom = true;
        return;
    }
    kv_diag(r->ctx, KVET_SEV_WARNING, file, line, col, 0, NULL, "%s", msg);
    push_error(r, &r->res->pub.warnings, &r->res->pub.nwarnings, &r->res->capwarnings, file, line, col, msg);
    free(msg);
}

/* ------------------------------------------------------------- VM hooks */

static void hook_rule_run(void *ud, uint32_t rule)
{
    run *r = ((context *)ud)->r;
    r->res->pub.rule_evaluated[rule]++;
    if (r->st) {
        stats_charge(r, now_s());
        r->owner = (int32_t)r->prog->rules[rule].pack;
        r->owner_rule = (int32_t)rule;
    }
    if (r->noutcomes == r->capoutcomes) {
        size_t cap = r->capoutcomes ? r->capoutcomes * 2 : 16;
        kvet_outcome *o = realloc(r->outcomes, cap * sizeof *o);
        if (!o) {
            r->oom = true;
            return;
        }
        r->outcomes = o;
        r->capoutcomes = cap;
    }
    kvet_outcome *o = &r->outcomes[r->noutcomes++];
    memset(o, 0, sizeof *o);
    o->rule = rule;
    o->status = KVET_OUTCOME_PASS;
}

static void hook_derive_run(void *ud, uint32_t derive, int valued)
{
    run *r = ((context *)ud)->r;
    if (r->st) {
        r->owner = -1;
        r->owner_rule = -1;
        double t = now_s();
        r->st->derive_each_s[derive] += t - r->seg_t;
        stats_charge(r, t);
    }
    r->res->pub.derive_applied[derive]++;
    if (valued)
        r->res->pub.derive_valued[derive]++;
}

static void hook_finding(void *ud, uint32_t rule, kvet_value at, kvet_value msg, kvet_value remedy)
{
    run *r = ((context *)ud)->r;
    const kv_rule *ru = &r->prog->rules[rule];
    r->res->pub.rule_findings[rule]++;
    if (r->nfindings == r->capfindings) {
        size_t cap = r->capfindings ? r->capfindings * 2 : 8;
        kvet_finding *f = realloc(r->findings, cap * sizeof *f);
        if (!f) {
            r->oom = true;
            return;
        }
        r->findings = f;
        r->capfindings = cap;
    }
    /* rules run one after the other: the rule's outcome is the last one */
    if (r->noutcomes && r->outcomes[r->noutcomes - 1].rule == rule)
        r->outcomes[r->noutcomes - 1].findings++;
    kvet_finding *f = &r->findings[r->nfindings++];
    memset(f, 0, sizeof *f);
    f->rule = ru->id;
    f->severity = ru->effective;
    f->title = ru->title;
    f->link = ru->link;
    kv_buf b;
    kv_buf_init(&b);
    kv_value_render(&b, msg, false);
    f->message = kv_buf_take(&b);
    if (remedy.type == KVET_STRING) {
        kv_buf_init(&b);
        kv_value_render(&b, remedy, false);
        char *s = kv_buf_take(&b);
        f->remedy = odup(r, s, s ? strlen(s) : 0);
        free(s);
    } else {
        f->remedy = NULL;
    }
    /* point at the manifest: the `at` value's position when it comes from
     * a document of this run, else the resource itself */
    if (at.src >= r->doc_src_min && at.src && at.line) {
        f->file = kv_source_name(r->ctx, at.src);
        f->line = at.line;
        f->col = at.col;
    } else {
        f->file = kv_source_name(r->ctx, r->cur_src);
        f->line = r->cur_line;
        f->col = 1;
    }
}

static void hook_error(void *ud, const char *what, const char *file, uint32_t line, uint32_t col, const char *message)
{
    run *r = ((context *)ud)->r;
    r->cur_failed = true;
    /* `what` is the rule id when the rule's own code failed (a derived
     * value's or a where clause's failure is no rule's outcome) */
    if (r->noutcomes) {
        kvet_outcome *o = &r->outcomes[r->noutcomes - 1];
        if (!strcmp(what, r->prog->rules[o->rule].id))
            o->status = KVET_OUTCOME_ERROR;
    }
    kv_buf b;
    kv_buf_init(&b);
    kvet_resource *res = r->cur;
    kv_buf_printf(&b, "%s failed on %s %s%s%s (%s:%u): %s", what, res->kind, res->ns[0] ? res->ns : "",
                  res->ns[0] ? "/" : "", res->name, res->file, res->line, message);
    char *s = kv_buf_take(&b);
    add_error(r, file, line, col, s ? s : message);
    free(s);
}

/* One query's documents grouped by namespace, the groups sorted by name
 * so a lookup is a binary search: docs(kind, api, ns) inside a rule then
 * costs the size of one namespace, not of the whole input. */
typedef struct ns_group {
    const char *ns;
    uint32_t len;
    kvet_value list;
} ns_group;

typedef struct ns_index {
    atomic_bool built;
    ns_group *groups;
    size_t ngroups;
} ns_index;

typedef struct ns_item {
    const char *ns;
    uint32_t len;
    uint32_t pos;              /* position in the query's list: keeps input order */
} ns_item;

static int ns_cmp(const char *a, uint32_t al, const char *b, uint32_t bl)
{
    int c = memcmp(a, b, al < bl ? al : bl);
    return c ? c : (al > bl) - (al < bl);
}

static int ns_item_cmp(const void *x, const void *y)
{
    const ns_item *a = x, *b = y;
    int c = ns_cmp(a->ns, a->len, b->ns, b->len);
    return c ? c : (a->pos > b->pos) - (a->pos < b->pos);
}

/* Is a document of kind and apiVersion (both strings) one of query qu's? */
static bool query_takes(const kv_query *qu, const kvet_string *kind, const kvet_string *api)
{
    kv_selector s = {qu->kind, qu->api};
    return kv_selector_match(&s, kind->data, kind->len, api->data, api->len);
}

static bool doc_matches(const kv_query *qu, kvet_value root)
{
    kvet_value kind = kvet_map_get(root, "kind", 4);
    kvet_value api = kvet_map_get(root, "apiVersion", 10);
    return kind.type == KVET_STRING && api.type == KVET_STRING && query_takes(qu, kind.u.s, api.u.s);
}

/* While threads evaluate, the query lists of the main thread's contexts
 * are built under run.query_mu; built, they are read without it. */
static void query_lock(run *r)
{
    if (r->query_mu_on)
        pthread_mutex_lock(&r->query_mu);
}

static void query_unlock(run *r)
{
    if (r->query_mu_on)
        pthread_mutex_unlock(&r->query_mu);
}

/* The documents of query q a context sees: its scope's, the --cluster
 * files', and the configuration documents chosen for it (no others: a
 * configuration that lost cannot be read by mistake).  False when out of
 * memory. */
static bool query_build(context *c, uint32_t q)
{
    run *r = c->r;
    if (atomic_load_explicit(&c->query_built[q], memory_order_relaxed))
        return true;
    double t0 = r->st ? now_s() : 0;
    const kv_query *qu = &r->prog->queries[q];
    size_t *own = c->scope < r->nscopes ? r->scope_docs[c->scope] : NULL;
    size_t nown = c->scope < r->nscopes ? r->nscope_docs[c->scope] : 0;
    /* the matching documents, in the order below, each matched once */
    size_t *hit = malloc((CFG_KINDS + r->nglobal_docs + nown + 1) * sizeof *hit);
    if (!hit)
        return false;
    size_t n = 0;
    for (int k = 0; k < CFG_KINDS; k++)
        if (c->winner[k] != NO_DOC && doc_matches(qu, r->docs[c->winner[k]].root))
            hit[n++] = (size_t)c->winner[k];
    for (size_t i = 0; i < r->nglobal_docs; i++)
        if (doc_matches(qu, r->docs[r->global_docs[i]].root))
            hit[n++] = r->global_docs[i];
    for (size_t i = 0; i < nown; i++)
        if (doc_matches(qu, r->docs[own[i]].root))
            hit[n++] = own[i];
    /* the list lives as long as the result: values may hold it */
    kvet_list *l = kv_list_new(&r->res->queries, (uint32_t)n);
    if (!l) {
        free(hit);
        return false;
    }
    for (size_t i = 0; i < n; i++)
        l->items[i] = r->docs[hit[i]].root;
    free(hit);
    c->query_lists[q] = kv_list_value(l);
    atomic_store_explicit(&c->query_built[q], true, memory_order_release);
    if (r->st) {
        double d = now_s() - t0;
        r->t_lazy_index += d;
        r->seg_t += d;
    }
    return true;
}

/* The context whose query lists a context reads: a thread's copy reads
 * the main thread's. */
static context *query_owner(context *self)
{
    return self->share ? self->share : self;
}

static kvet_value hook_query(void *ud, uint32_t q)
{
    context *self = ud;
    context *c = query_owner(self);
    if (!atomic_load_explicit(&c->query_built[q], memory_order_acquire)) {
        query_lock(c->r);
        bool ok = query_build(c, q);
        query_unlock(c->r);
        if (!ok) {
            self->r->oom = true;
            return kv_absent();
        }
    }
    return c->query_lists[q];
}

static bool build_ns_index(context *c, uint32_t q, ns_index *ix)
{
    run *r = c->r;
    if (!query_build(c, q))
        return false;
    /* one empty list for every namespace without documents, not one per lookup */
    if (r->no_docs.type != KVET_LIST) {
        kvet_list *empty = kv_list_new(&r->res->queries, 0);
        if (!empty)
            return false;
        r->no_docs = kv_list_value(empty);
    }
    kvet_value all = c->query_lists[q];
    uint32_t n = all.type == KVET_LIST ? all.u.l->n : 0;
    ns_item *items = malloc((n + 1) * sizeof *items);
    if (!items)
        return false;
    /* a document without a namespace is in "namespace not set" (""): it
     * meets only other namespace-less documents of its scope */
    for (uint32_t i = 0; i < n; i++) {
        kvet_value ns = kvet_map_get(kvet_map_get(all.u.l->items[i], "metadata", 8), "namespace", 9);
        bool named = ns.type == KVET_STRING && ns.u.s->len > 0;
        items[i] = (ns_item){named ? ns.u.s->data : "", named ? ns.u.s->len : 0, i};
    }
    qsort(items, n, sizeof *items, ns_item_cmp);
    size_t groups = 0;
    for (uint32_t i = 0; i < n; i++)
        groups += i == 0 || ns_cmp(items[i - 1].ns, items[i - 1].len, items[i].ns, items[i].len) != 0;
    ix->groups = calloc(groups + 1, sizeof *ix->groups);
    if (!ix->groups) {
        free(items);
        return false;
    }
    for (uint32_t i = 0; i < n;) {
        uint32_t j = i;
        while (j < n && ns_cmp(items[j].ns, items[j].len, items[i].ns, items[i].len) == 0)
            j++;
        kvet_list *l = kv_list_new(&r->res->queries, j - i);
        if (!l) {
            free(items);
            return false;
        }
        for (uint32_t k = i; k < j; k++)
            l->items[k - i] = all.u.l->items[items[k].pos];
        ix->groups[ix->ngroups++] = (ns_group){items[i].ns, items[i].len, kv_list_value(l)};
        i = j;
    }
    free(items);
    atomic_store_explicit(&ix->built, true, memory_order_release);
    return true;
}

static kvet_value hook_query_ns(void *ud, uint32_t q, const kvet_string *ns)
{
    context *self = ud;
    context *c = query_owner(self);
    run *r = c->r;
    ns_index *ix = &c->query_ns[q];
    if (!atomic_load_explicit(&ix->built, memory_order_acquire)) {
        query_lock(r);
        double t0 = r->st ? now_s() : 0;
        bool ok = atomic_load_explicit(&ix->built, memory_order_relaxed) || build_ns_index(c, q, ix);
        if (r->st) {
            /* index time, not the running rule's */
            double d = now_s() - t0;
            r->t_lazy_index += d;
            r->seg_t += d;
        }
        query_unlock(r);
        if (!ok) {
            self->r->oom = true;
            return kv_absent();
        }
    }
    size_t lo = 0, hi = ix->ngroups;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int cmp = ns_cmp(ix->groups[mid].ns, ix->groups[mid].len, ns->data, ns->len);
        if (cmp == 0)
            return ix->groups[mid].list;
        if (cmp < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return r->no_docs;
}


/* -------------------------------------------------------------- reading */

/* The name of an input in reports: standard input under its given name. */
static const char *input_name(const run *r, const char *path)
{
    if (strcmp(path, "-") != 0)
        return path;
    return r->in->stdin_name && *r->in->stdin_name ? r->in->stdin_name : "<stdin>";
}

static const char *unit_name(const run *r, const unit *u)
{
    if (!u->path)
        return r->in->buffer_name ? r->in->buffer_name : "<memory>";
    return input_name(r, u->path);
}

/* A file this large is read through a window (doc.h), WINDOW bytes at a
 * time, when it is a JSON array or List, or YAML; standard input too, when
 * it is YAML. */
enum { WINDOW_MIN = 4 << 20, WINDOW = 1 << 20 };

static bool has_suffix(const char *s, const char *suf)
{
    size_t n = strlen(s), m = strlen(suf);
    return n >= m && !strcmp(s + n - m, suf);
}

/* Read standard input, once whatever the passes: its text, or its
 * failure, is remembered.  Returns 0; -1 after reporting the failure; -2
 * when it failed before (already reported).  Or, when one unit reads it
 * and it goes on as YAML past WINDOW_MIN bytes (not named *.json by
 * --stdin-filename, which makes it JSON), 1: *head gets what was read, for
 * the unit to read the rest through a window (the rest cannot be read
 * again); when it goes on as a JSON array or List, 2: *plan reads it from
 * a temporary copy, *len bytes, as a file's; when it goes on as YAML that
 * threads may parse in parts, 3: *yaml is such a copy, which ends where
 * reading stdin failed (*yaml_end the error) or past the limit (-1). */
static int read_stdin(run *r, char **data, size_t *len, char **head, kv_json_plan **plan, FILE **yaml,
                      int *yaml_end)
{
    if (r->stdin_failed)
        return -2;
    if (!r->stdin_used) {
        const char *name = input_name(r, "-");
        char *text = NULL;
        FILE *spool = NULL;
        /* a long YAML stream is cut into parts for threads when they are
         * free for it (no large file is parsed beside it) */
        int copy_end = 0;
        int rc = r->stdin_once ? kv_read_stdin_below(r->ctx, name, WINDOW_MIN, has_suffix(name, ".json"),
                                                     r->list_threads > 1 && !r->large_files ? &copy_end : NULL,
                                                     &text, len, &spool)
                               : kv_read_named(r->ctx, "-", name, &text, len);
        r->stdin_used = true;
        if (rc == 3) {
            /* copied to a temporary file, *len bytes long (yaml_split.c) */
            *yaml = spool;
            *yaml_end = copy_end;
            return 3;
        }
        if (rc == 2) {
            /* a long JSON input, copied to a temporary file: an array or a
             * List is read from it through a window as a file is (`kubectl
             * get -o json | kvet check -`), anything else whole, as before */
            *plan = kv_json_plan_stream(r->ctx, spool, WINDOW, r->list_threads);
            if (*plan)
                return 2;
            rc = kv_read_spool(r->ctx, spool, name, *len, &text, len);
            fclose(spool);
        }
        if (rc < 0) {
            r->stdin_failed = true;
            return -1;
        }
        if (rc == 1) {
            *head = text;
            return 1;
        }
        r->stdin_data = text;
        r->stdin_len = *len;
    }
    *data = r->stdin_data;
    *len = r->stdin_len;
    return 0;
}

static bool str_eq(kvet_value v, const char *s)
{
    return v.type == KVET_STRING && v.u.s->len == strlen(s) && !memcmp(v.u.s->data, s, v.u.s->len);
}

/* Which kind of cluster configuration a document is, or -1. */
static int config_kind(kvet_value root)
{
    kvet_value kind = kvet_map_get(root, "kind", 4);
    kvet_value api = kvet_map_get(root, "apiVersion", 10);
    if (str_eq(kind, "KnativeServing"))
        return api.type == KVET_STRING && !strncmp(api.u.s->data, "operator.knative.dev/", 21) ? CFG_KNATIVE_SERVING
                                                                                               : -1;
    if (!str_eq(kind, "ConfigMap") || !str_eq(api, "v1"))
        return -1;
    kvet_value name = kvet_map_get(kvet_map_get(root, "metadata", 8), "name", 4);
    if (str_eq(name, "config-autoscaler"))
        return CFG_AUTOSCALER;
    if (str_eq(name, "config-autoscaler-keda"))
        return CFG_AUTOSCALER_KEDA;
    if (str_eq(name, "inferenceservice-config"))
        return CFG_ISVC;
    return -1;
}

/* What configures scaling: a ConfigMap's data, a KnativeServing's
 * autoscaler section (the operator writes spec.config["config-autoscaler"],
 * else spec.config["autoscaler"]).  Copies that differ elsewhere (labels,
 * ingress settings) configure alike. */
static kvet_value config_section(kvet_value root, int cfg)
{
    if (cfg != CFG_KNATIVE_SERVING)
        return kvet_map_get(root, "data", 4);
    kvet_value conf = kvet_map_get(kvet_map_get(root, "spec", 4), "config", 6);
    kvet_value v = kvet_map_get(conf, "config-autoscaler", 17);
    return v.type != KVET_ABSENT ? v : kvet_map_get(conf, "autoscaler", 10);
}

static uint64_t config_content(kvet_value root, int cfg)
{
    return kv_value_hash(config_section(root, cfg));
}

/* The document with metadata.namespace set to ns when it has none, as
 * kustomize's `namespace:` does.  Built in arena a. */
static kvet_value namespaced(kv_arena *a, kvet_value root, const char *ns, bool *oom)
{
    if (!ns || root.type != KVET_MAP)
        return root;
    kvet_value meta = kvet_map_get(root, "metadata", 8);
    kvet_value cur = kvet_map_get(meta, "namespace", 9);
    if (cur.type == KVET_STRING && cur.u.s->len)
        return root;
    kvet_value nsv = kv_string_value(a, ns, strlen(ns));
    uint32_t mn = meta.type == KVET_MAP ? meta.u.m->n : 0;
    kvet_map *m = kv_map_new(a, mn + 1);
    kvet_map *top = kv_map_new(a, root.u.m->n + (meta.type == KVET_MAP ? 0 : 1));
    kvet_string *key_ns = kv_string_cstr(a, "namespace");
    kvet_string *key_meta = kv_string_cstr(a, "metadata");
    if (!m || !top || !key_ns || !key_meta || nsv.type != KVET_STRING) {
        *oom = true;
        return root;
    }
    uint32_t k = 0;
    for (uint32_t i = 0; i < mn; i++)
        if (strcmp(meta.u.m->e[i].key->data, "namespace") != 0)
            m->e[k++] = meta.u.m->e[i];
    nsv.src = 0; /* written by no manifest: findings fall back to the resource */
    m->e[k].key = key_ns;
    m->e[k++].val = nsv;
    m->n = k;
    kvet_value mv = kv_map_value(m);
    mv.src = meta.type == KVET_MAP ? meta.src : root.src;
    mv.line = meta.type == KVET_MAP ? meta.line : root.line;
    mv.col = meta.type == KVET_MAP ? meta.col : root.col;
    uint32_t t = 0;
    for (uint32_t i = 0; i < root.u.m->n; i++) {
        top->e[t] = root.u.m->e[i];
        if (!strcmp(root.u.m->e[i].key->data, "metadata"))
            top->e[t].val = mv;
        t++;
    }
    if (meta.type != KVET_MAP) {
        /* no (usable) metadata: the new one replaces it, or is added */
        bool replaced = false;
        for (uint32_t i = 0; i < t; i++)
            replaced |= !strcmp(top->e[i].key->data, "metadata");
        if (!replaced) {
            top->e[t].key = key_meta;
            top->e[t++].val = mv;
        }
    }
    top->n = t;
    kvet_value out = kv_map_value(top);
    out.src = root.src;
    out.line = root.line;
    out.col = root.col;
    return out;
}

static kvet_value with_namespace(run *r, kv_arena *a, kvet_value root, const char *ns)
{
    bool oom = false;
    kvet_value out = namespaced(a, root, ns, &oom);
    if (oom)
        r->oom = true;
    return out;
}

static const char *unit_namespace(const run *r, const unit *u)
{
    return u->env != NO_ENV ? r->project->envs[u->env].ns : NULL;
}

/* -------------------------------------------------------- identities */

static uint64_t hash_str(uint64_t h, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)s[i]) * 0x100000001b3ULL;
    return (h ^ 0xff) * 0x100000001b3ULL;
}

/* A resource's identity in its scope: API group, kind, namespace, name,
 * as two independent hashes (a false match of both is left to chance at
 * 2^-128 a pair).  Returns false for a document without a name
 * (generateName). */
static bool identity(kvet_value root, uint32_t scope, uint64_t key[2])
{
    kvet_value api = kvet_map_get(root, "apiVersion", 10);
    kvet_value kind = kvet_map_get(root, "kind", 4);
    kvet_value meta = kvet_map_get(root, "metadata", 8);
    kvet_value ns = kvet_map_get(meta, "namespace", 9);
    kvet_value name = kvet_map_get(meta, "name", 4);
    if (api.type != KVET_STRING || kind.type != KVET_STRING || name.type != KVET_STRING || !name.u.s->len)
        return false;
    const char *slash = memchr(api.u.s->data, '/', api.u.s->len);
    size_t glen = slash ? (size_t)(slash - api.u.s->data) : 0;
    const char *nsd = ns.type == KVET_STRING ? ns.u.s->data : "";
    size_t nsl = ns.type == KVET_STRING ? ns.u.s->len : 0;
    uint64_t h = 0xcbf29ce484222325ULL ^ scope;
    h = hash_str(h, api.u.s->data, glen);
    h = hash_str(h, kind.u.s->data, kind.u.s->len);
    h = hash_str(h, nsd, nsl);
    key[0] = hash_str(h, name.u.s->data, name.u.s->len);
    /* the second: the parts' lengths and a multiply-rotate mix of their bytes */
    uint64_t g = 0x9E3779B97F4A7C15ULL + scope;
    const struct { const char *p; size_t n; } part[4] = {
        {api.u.s->data, glen}, {kind.u.s->data, kind.u.s->len}, {nsd, nsl}, {name.u.s->data, name.u.s->len}};
    for (int k = 0; k < 4; k++) {
        g = (g ^ part[k].n) * 0xff51afd7ed558ccdULL;
        for (size_t i = 0; i < part[k].n; i++)
            g = ((g ^ (unsigned char)part[k].p[i]) * 0xc4ceb9fe1a85ec53ULL) ^ (g >> 29);
    }
    key[1] = g ^ (g >> 32);
    return true;
}

/* kvet's own documents (a project file, rule tests) are no resources. */
static bool kvet_own_doc(kvet_value root)
{
    kvet_value api = kvet_map_get(root, "apiVersion", 10);
    return api.type == KVET_STRING && api.u.s->len > 9 && !memcmp(api.u.s->data, "kvet.dev/", 9);
}

/* How notes name a resource: "Service demo/x". */
static void identity_label(kvet_value root, char *label, size_t labelsz)
{
    kvet_value kind = kvet_map_get(root, "kind", 4);
    kvet_value meta = kvet_map_get(root, "metadata", 8);
    kvet_value ns = kvet_map_get(meta, "namespace", 9);
    kvet_value name = kvet_map_get(meta, "name", 4);
    snprintf(label, labelsz, "%s %s%s%s", kind.u.s->data, ns.type == KVET_STRING ? ns.u.s->data : "",
             ns.type == KVET_STRING && ns.u.s->len ? "/" : "", name.u.s->data);
}

static uint64_t ident_slot(uint64_t key, size_t i)
{
    return (key >> 32 << 32) | (uint32_t)(i + 1);
}

/* Record a definition; returns the entry (NULL when out of memory) and
 * whether an identical one came before. */
static ident *ident_add(run *r, ident_table *t, const uint64_t key[2], uint32_t scope, uint64_t content,
                        kvet_value root, uint32_t src, uint32_t line, bool *identical)
{
    *identical = false;
    if ((t->n + 1) * 2 > t->cap) {
        size_t ncap = t->cap ? t->cap * 2 : 256;
        uint64_t *ns = calloc(ncap, sizeof *ns);
        if (!ns) {
            r->oom = true;
            return NULL;
        }
        for (size_t i = 0; i < t->n; i++) {
            size_t j = t->v[i].key & (ncap - 1);
            while (ns[j])
                j = (j + 1) & (ncap - 1);
            ns[j] = ident_slot(t->v[i].key, i);
        }
        free(t->slot);
        t->slot = ns;
        t->cap = ncap;
    }
    size_t j = key[0] & (t->cap - 1);
    ident *e = NULL;
    uint64_t tag = key[0] >> 32;
    for (; t->slot[j]; j = (j + 1) & (t->cap - 1)) {
        if (t->slot[j] >> 32 != tag)
            continue;
        ident *c = &t->v[(uint32_t)t->slot[j] - 1];
        if (c->key == key[0] && c->key2 == key[1] && c->scope == scope) {
            e = c;
            break;
        }
    }
    if (!e) {
        if (t->n == t->capv) {
            size_t capv = t->capv ? t->capv * 2 : 256;
            ident *nv = realloc(t->v, capv * sizeof *nv);
            if (!nv) {
                r->oom = true;
                return NULL;
            }
            t->v = nv;
            t->capv = capv;
        }
        e = &t->v[t->n];
        memset(e, 0, sizeof *e);
        e->key = key[0];
        e->key2 = key[1];
        e->scope = scope;
        e->content = content;
        e->first = (ident_where){src, line};
        e->nwhere = 1;
        t->slot[j] = ident_slot(key[0], t->n++);
        return e;
    }
    if (!e->dups) {
        /* named only in the note a second definition brings */
        char label[512];
        identity_label(root, label, sizeof label);
        if (!(e->dups = kv_arena_calloc(&t->labels, sizeof *e->dups)) ||
            !(e->dups->label = kv_arena_strdup(&t->labels, label))) {
            r->oom = true;
            return e;
        }
    }
    if (e->content == content)
        *identical = true;
    else
        e->dups->differ = true;
    ident_where *nw = realloc(e->dups->more, e->nwhere * sizeof *nw);
    if (!nw) {
        r->oom = true;
        return e;
    }
    e->dups->more = nw;
    nw[e->nwhere - 1] = (ident_where){src, line};
    e->nwhere++;
    return e;
}

static void ident_free(ident_table *t)
{
    for (size_t i = 0; i < t->n; i++)
        if (t->v[i].dups)
            free(t->v[i].dups->more);
    free(t->v);
    free(t->slot);
    kv_arena_free(&t->labels);
}

/* "file:line" of a definition */
static char *ident_where_text(const run *r, ident_where w)
{
    kv_buf b;
    kv_buf_init(&b);
    kv_buf_printf(&b, "%s:%u", kv_source_name(r->ctx, w.src), w.line);
    return kv_buf_take(&b);
}

typedef struct dup_note {
    const ident *e;
    char *where;               /* its first definition */
} dup_note;

static int cmp_dup_note(const void *a, const void *b)
{
    return strcmp(((const dup_note *)a)->where, ((const dup_note *)b)->where);
}

/* One note per resource defined more than once in a scope, in input order. */
static void report_duplicates(run *r)
{
    ident_table *t = &r->ids;
    size_t nd = 0;
    for (size_t i = 0; i < t->n; i++)
        nd += t->v[i].nwhere > 1;
    dup_note *dups = calloc(nd + 1, sizeof *dups);
    if (!dups) {
        r->oom = true;
        return;
    }
    nd = 0;
    for (size_t i = 0; i < t->n; i++)
        if (t->v[i].nwhere > 1) {
            dups[nd].e = &t->v[i];
            dups[nd].where = ident_where_text(r, t->v[i].first);
            if (!dups[nd++].where)
                r->oom = true;
        }
    if (r->oom)
        goto done;
    qsort(dups, nd, sizeof *dups, cmp_dup_note);
    for (size_t i = 0; i < nd; i++) {
        const ident *e = dups[i].e;
        kv_buf b;
        kv_buf_init(&b);
        kv_buf_printf(&b, "%s is defined %u times in one scope (%s):", e->dups->label, e->nwhere,
                      r->scopes[e->scope].name);
        for (size_t k = 0; k < e->nwhere && k < 8; k++) {
            ident_where w = k ? e->dups->more[k - 1] : e->first;
            kv_buf_printf(&b, "%s %s:%u", k ? "," : "", kv_source_name(r->ctx, w.src), w.line);
        }
        if (e->nwhere > 8)
            kv_buf_printf(&b, " and %u more", e->nwhere - 8);
        kv_buf_puts(&b, e->dups->differ ? "; the definitions differ and each was checked, but only one can be applied"
                                  : "; identical copies were checked once");
        char *msg = kv_buf_take(&b);
        /* the first definition's file and line lead the note */
        if (msg)
            kv_diag(r->ctx, KVET_SEV_NOTE, kv_source_name(r->ctx, e->first.src), e->first.line, 0, 0, NULL, "%s",
                    msg);
        free(msg);
    }
done:
    for (size_t i = 0; i < nd; i++)
        free(dups[i].where);
    free(dups);
}

/* ------------------------------------------------------------ pass 1 */

/* Index a document whose copy for the index is made. */
static bool record_doc(run *r, kvet_value copy)
{
    if (r->ndocs == r->capdocs) {
        size_t cap = r->capdocs ? r->capdocs * 2 : 64;
        indexed *d = realloc(r->docs, cap * sizeof *d);
        if (!d) {
            r->oom = true;
            return false;
        }
        r->docs = d;
        r->capdocs = cap;
    }
    indexed *d = &r->docs[r->ndocs];
    memset(d, 0, sizeof *d);
    d->root = copy;
    d->unit = r->cur_unit;
    d->cfg = (int8_t)config_kind(copy);
    d->content = d->cfg >= 0 ? config_content(copy, d->cfg) : 0;
    r->ndocs++;
    return true;
}

/* The index's copy of a document of unit u, in arena a (its blocks kept
 * for the run): a document's own arena starts with a block much larger
 * than a typical manifest; keys and most values repeat from document to
 * document, and are kept once in strs.  ABSENT when out of memory. */
static kvet_value index_copy(const run *r, const unit *u, kv_arena *a, kv_strset *strs, kv_arena *scratch,
                             kvet_value root)
{
    bool oom = false;
    kvet_value copy = kv_value_copy_shared(a, strs, namespaced(scratch, root, unit_namespace(r, u), &oom), &oom);
    kv_arena_reset(scratch);
    return oom ? kv_absent() : copy;
}

static bool push_doc(run *r, kvet_value root, kvet_value *kept)
{
    *kept = index_copy(r, &r->units[r->cur_unit], &r->index_arena, &r->index_strs, &r->scratch, root);
    if (kept->type == KVET_ABSENT) {
        r->oom = true;
        return false;
    }
    return record_doc(r, *kept);
}

/* Note the definition of the resource of the current unit that `root` is
 * (with the environment's namespace when it has none; src is where the
 * document was read): true when an identical one of its scope came before.
 * The callers leave kvet's own documents out. */
static bool note_definition(run *r, kvet_value root, uint32_t src, kv_arena *tmp)
{
    const unit *u = &r->units[r->cur_unit];
    root = with_namespace(r, tmp, root, unit_namespace(r, u));
    uint64_t key[2];
    bool identical = false;
    if (identity(root, u->scope, key))
        ident_add(r, &r->ids, key, u->scope, kv_value_hash(root), root, src, root.line, &identical);
    return identical;
}

/* Pass 1: note the definition of a document kept for evaluation (and, when
 * it is the index's last, whether the index hides it as a copy). */
static bool note_kept(run *r, kvet_value kept, uint32_t src, bool indexed_last)
{
    if (kvet_own_doc(kept))
        return false;
    bool identical = note_definition(r, kept, src, &r->scratch);
    kv_arena_reset(&r->scratch);
    if (indexed_last)
        r->docs[r->ndocs - 1].hidden = identical;
    return identical;
}

/* Does the index keep a document (its kind and apiVersion read already)? */
static bool wanted(const run *r, kvet_value root, const kvet_string *kind, const kvet_string *api)
{
    if (config_kind(root) >= 0)
        return true;
    for (uint32_t q = 0; q < r->prog->nqueries; q++)
        if (query_takes(&r->prog->queries[q], kind, api))
            return true;
    return false;
}

/* pass 1: the one parse of every input.  Documents of queried kinds and
 * configuration go to the index; every document is remembered in order
 * for evaluation (pass 2), the others as a copy of their own (the items of
 * Lists come one by one, kv_load_manifests). */
static int index_doc(void *ud, kv_doc *doc)
{
    run *r = ud;
    if (r->nevents == r->capevents) {
        size_t cap = r->capevents ? r->capevents * 2 : 256;
        parsed_doc *e = realloc(r->events, cap * sizeof *e);
        if (!e) {
            r->oom = true;
            return 0;
        }
        r->events = e;
        r->capevents = cap;
    }
    kvet_value kind = kvet_map_get(doc->root, "kind", 4);
    kvet_value api = kvet_map_get(doc->root, "apiVersion", 10);
    kvet_value kept = kv_absent();
    bool queried = kind.type == KVET_STRING && api.type == KVET_STRING && wanted(r, doc->root, kind.u.s, api.u.s);
    if (queried) {
        if (!push_doc(r, doc->root, &kept))
            return 0;
    } else {
        bool oom = false;
        kept = kv_value_copy(&r->units[r->cur_unit].pending, doc->root, &oom);
        if (oom) {
            r->oom = true;
            return 0;
        }
    }
    bool duplicate = note_kept(r, kept, doc->src, queried);
    r->events[r->nevents++] =
        (parsed_doc){kept, doc->src, duplicate, queried, kvet_diag_count(r->ctx) - r->unit_diag_base};
    return 0;
}

/* Each scope's visible documents, for the query hooks. */
static void group_index(run *r)
{
    r->scope_docs = calloc(r->nscopes + 1, sizeof *r->scope_docs);
    r->nscope_docs = calloc(r->nscopes + 1, sizeof *r->nscope_docs);
    r->global_docs = malloc((r->ndocs + 1) * sizeof *r->global_docs);
    r->cfg_warned = calloc(r->ndocs + 1, sizeof *r->cfg_warned);
    size_t *fill = calloc(r->nscopes + 1, sizeof *fill);
    if (!r->scope_docs || !r->nscope_docs || !r->global_docs || !r->cfg_warned || !fill) {
        free(fill);
        r->oom = true;
        return;
    }
    r->cfg_docs = malloc((r->ndocs + 1) * sizeof *r->cfg_docs);
    if (!r->cfg_docs) {
        free(fill);
        r->oom = true;
        return;
    }
    for (size_t i = 0; i < r->ndocs; i++) {
        const indexed *d = &r->docs[i];
        if (d->cfg >= 0 && !d->hidden)
            r->cfg_docs[r->ncfg_docs++] = i;
        if (d->hidden || d->cfg >= 0)
            continue;
        if (r->units[d->unit].option)
            r->global_docs[r->nglobal_docs++] = i;
        else
            r->nscope_docs[r->units[d->unit].scope]++;
    }
    for (size_t s = 0; s < r->nscopes; s++) {
        r->scope_docs[s] = malloc((r->nscope_docs[s] + 1) * sizeof **r->scope_docs);
        if (!r->scope_docs[s]) {
            r->oom = true;
            free(fill);
            return;
        }
    }
    for (size_t i = 0; i < r->ndocs; i++) {
        const indexed *d = &r->docs[i];
        if (d->hidden || d->cfg >= 0 || r->units[d->unit].option)
            continue;
        uint32_t s = r->units[d->unit].scope;
        r->scope_docs[s][fill[s]++] = i;
    }
    free(fill);
}

/* ---------------------------------------------- cluster configuration */

static bool in_folder(const char *dir, const char *folder)
{
    size_t n = strlen(folder);
    return !strncmp(dir, folder, n) && (dir[n] == '\0' || dir[n] == '/' || (n == 1 && folder[0] == '/'));
}

/* Is document i a candidate of `kind` for unit u at `tier`?  Tiers, first
 * that has any candidate wins: 0 --cluster files; 1 the environment's
 * cluster files; 2 documents among the environment's manifests (or, without
 * a project file, those of the nearest folder at or above the unit's). */
static bool candidate(const run *r, size_t i, int kind, const unit *u, int tier, const char *folder)
{
    const indexed *d = &r->docs[i];
    const unit *du = &r->units[d->unit];
    if (d->cfg != kind || d->hidden)
        return false;
    switch (tier) {
    case 0: return du->option;
    case 1: return !du->option && du->env_cluster && du->env == u->env && u->env != NO_ENV;
    default:
        if (du->option || du->scope != u->scope)
            return false;
        if (u->env != NO_ENV)
            return true;
        if (!u->dir || !du->dir)
            return d->unit == (size_t)(u - r->units) || (!u->dir && !du->dir);
        return !strcmp(du->dir, folder);
    }
}

/* The folder nearest to u's (at or above it, within its scope) that holds
 * a configuration document of `kind`, or NULL. */
static const char *nearest_folder(const run *r, int kind, const unit *u)
{
    const char *best = NULL;
    for (size_t ci = 0, i = 0; ci < r->ncfg_docs && (i = r->cfg_docs[ci], true); ci++) {
        const indexed *d = &r->docs[i];
        const unit *du = &r->units[d->unit];
        if (d->cfg != kind || d->hidden || du->option || du->scope != u->scope || !du->dir)
            continue;
        if (in_folder(u->dir, du->dir) && (!best || strlen(du->dir) > strlen(best)))
            best = du->dir;
    }
    return best;
}

static bool in_home(const indexed *d, int kind)
{
    if (!cfg_home[kind])
        return false;
    return str_eq(kvet_map_get(kvet_map_get(d->root, "metadata", 8), "namespace", 9), cfg_home[kind]);
}

/* Choose unit u's configuration of each kind; a choice between documents
 * that configure differently is reported once. */
static void choose_config(run *r, const unit *u, int winner[CFG_KINDS], kvet_config_origin origin[CFG_KINDS])
{
    for (int k = 0; k < CFG_KINDS; k++) {
        winner[k] = NO_DOC;
        origin[k] = KVET_CONFIG_FOLDER;
        for (int tier = 0; tier < 3 && winner[k] == NO_DOC; tier++) {
            const char *folder = NULL;
            if (tier == 2 && u->env == NO_ENV && u->dir) {
                folder = nearest_folder(r, k, u);
                if (!folder)
                    break;
            }
            /* preferred: one that configures something, in the namespace its
             * component reads; then the first */
            size_t first = (size_t)-1, best = (size_t)-1;
            int best_rank = -1;
            for (size_t ci = 0, i = 0; ci < r->ncfg_docs && (i = r->cfg_docs[ci], true); ci++)
                if (candidate(r, i, k, u, tier, folder)) {
                    if (first == (size_t)-1)
                        first = i;
                    int rank = (config_section(r->docs[i].root, k).type == KVET_MAP) * 2 + in_home(&r->docs[i], k);
                    if (rank > best_rank) {
                        best_rank = rank;
                        best = i;
                    }
                }
            if (first == (size_t)-1)
                continue;
            size_t w = best;
            winner[k] = (int)w;
            origin[k] = tier == 0 ? KVET_CONFIG_OPTION
                        : tier == 1 ? KVET_CONFIG_ENVIRONMENT
                        : u->env != NO_ENV ? KVET_CONFIG_MANIFESTS : KVET_CONFIG_FOLDER;
            if (r->cfg_warned[w])
                continue;
            r->cfg_warned[w] = true;
            /* the others that configure differently */
            kv_buf b;
            kv_buf_init(&b);
            size_t others = 0;
            for (size_t ci = 0, i = 0; ci < r->ncfg_docs && (i = r->cfg_docs[ci], true); ci++)
                if (i != w && candidate(r, i, k, u, tier, folder) && r->docs[i].content != r->docs[w].content) {
                    const indexed *d = &r->docs[i];
                    /* eight named, as a duplicate's note names them (a
                     * cluster dump may hold a thousand) */
                    if (others < 8)
                        kv_buf_printf(&b, "%s%s:%u", others ? ", " : "", kv_source_name(r->ctx, d->root.src),
                                      d->root.line);
                    others++;
                }
            if (others > 8)
                kv_buf_printf(&b, " and %zu more", others - 8);
            char *list = kv_buf_take(&b);
            if (others) {
                const indexed *d = &r->docs[w];
                const char *how = u->env != NO_ENV
                                      ? "list the one to use under the environment's cluster: in kvet.yaml, or pass --cluster"
                                      : "declare environments in kvet.yaml (docs/environments.md), or pass --cluster";
                add_warning(r, kv_source_name(r->ctx, d->root.src), d->root.line, d->root.col,
                            "%zu different %s documents apply to the same manifests%s%s: this one (%s:%u) was used, "
                            "not %s; %s",
                            others + 1, cfg_what[k], u->env != NO_ENV ? " of environment " : "",
                            u->env != NO_ENV ? r->project->envs[u->env].name : "",
                            kv_source_name(r->ctx, d->root.src), d->root.line, list ? list : "the others", how);
            }
            free(list);
        }
    }
}

/* ------------------------------------------------------------ contexts */

static const kvet_value *env_params(run *r, uint32_t env)
{
    return env != NO_ENV && r->env_params ? r->env_params[env] : NULL;
}

/* The VM env and evaluator of context c, using the tables of r's thread,
 * made on first use: a run has a context per scope and configuration, and
 * each kept a memo table as large as its largest resource needed and
 * compiled every pattern again.  Without them (out of memory) a context
 * has its own.  False when out of memory. */
static bool make_vm(run *r, context *c, const kv_vm_hooks *hooks)
{
    if (!r->memo)
        r->memo = kv_memo_new();
    if (!r->regex)
        r->regex = kv_regex_cache_new();
    c->vm = kv_env_new(r->ctx, r->prog, r->plan, hooks, r->regex);
    c->ev = c->vm ? kv_eval_new(c->vm) : NULL;
    if (!c->ev)
        return false;
    kv_eval_share_memo(c->ev, r->memo);
    return true;
}

static context *context_for(run *r, uint32_t unit_index);
static context *choose_context(run *r, const unit *u);

static kvet_context *add_pub_context(run *r, context *c)
{
    kvet_result *res = &r->res->pub;
    if (res->ncontexts == r->res->capcontexts) {
        size_t cap = r->res->capcontexts ? r->res->capcontexts * 2 : 8;
        kvet_context *nv = realloc(res->contexts, cap * sizeof *nv);
        if (!nv) {
            r->oom = true;
            return NULL;
        }
        res->contexts = nv;
        r->res->capcontexts = cap;
    }
    kvet_context *pc = &res->contexts[res->ncontexts];
    memset(pc, 0, sizeof *pc);
    c->pub = res->ncontexts++;
    pc->env = c->env != NO_ENV ? r->project->envs[c->env].name : NULL;
    pc->scope = r->scopes[c->scope].name;
    pc->namespace_default = c->env != NO_ENV ? r->project->envs[c->env].ns : NULL;
    size_t n = 0;
    for (int k = 0; k < CFG_KINDS; k++)
        n += c->winner[k] != NO_DOC;
    pc->config = n ? kv_arena_calloc(&r->res->arena, n * sizeof *pc->config) : NULL;
    for (int k = 0; k < CFG_KINDS; k++) {
        if (c->winner[k] == NO_DOC || !pc->config)
            continue;
        const indexed *d = &r->docs[c->winner[k]];
        kvet_config_doc *cd = &pc->config[pc->nconfig++];
        kvet_value meta = kvet_map_get(d->root, "metadata", 8);
        kvet_value name = kvet_map_get(meta, "name", 4), ns = kvet_map_get(meta, "namespace", 9);
        cd->what = cfg_what[k];
        cd->name = name.type == KVET_STRING ? rdup(r, name.u.s->data, name.u.s->len) : "";
        cd->ns = ns.type == KVET_STRING ? rdup(r, ns.u.s->data, ns.u.s->len) : "";
        cd->file = kv_source_name(r->ctx, d->root.src);
        cd->line = d->root.line;
        cd->origin = c->origin[k];
        bool oom = false;
        cd->settings = kv_value_copy(&r->res->arena, config_section(d->root, k), &oom);
        r->oom |= oom;
        r->found_cluster_config = true;
    }
    return pc;
}

static context *new_context(run *r, const unit *u, const int winner[CFG_KINDS],
                            const kvet_config_origin origin[CFG_KINDS])
{
    if (r->ncontexts == r->capcontexts) {
        size_t cap = r->capcontexts ? r->capcontexts * 2 : 8;
        context **nv = realloc(r->contexts, cap * sizeof *nv);
        if (!nv) {
            r->oom = true;
            return NULL;
        }
        r->contexts = nv;
        r->capcontexts = cap;
    }
    context *c = calloc(1, sizeof *c);
    if (!c) {
        r->oom = true;
        return NULL;
    }
    c->id = r->ncontexts;
    r->contexts[r->ncontexts++] = c;
    c->r = r;
    c->scope = u->scope;
    c->env = u->env;
    memcpy(c->winner, winner, sizeof c->winner);
    memcpy(c->origin, origin, sizeof c->origin);
    c->query_lists = calloc(r->prog->nqueries + 1, sizeof *c->query_lists);
    c->query_built = calloc(r->prog->nqueries + 1, sizeof *c->query_built);
    c->query_ns = calloc(r->prog->nqueries + 1, sizeof *c->query_ns);
    kv_vm_hooks hooks = {c, hook_finding, hook_error, hook_query, hook_query_ns, hook_rule_run, hook_derive_run,
                         kv_coverage_hits(r->in->coverage, r->prog), r->st ? r->st->fn_steps : NULL,
                         r->st ? r->st->fn_calls : NULL};
    if (!make_vm(r, c, &hooks) || !c->query_lists || !c->query_built || !c->query_ns) {
        r->oom = true;
        return NULL;
    }
    kv_env_set_params(c->vm, env_params(r, u->env));
    add_pub_context(r, c);
    if (r->scope_ctxs) {
        c->scope_next = r->scope_ctxs[c->scope];
        r->scope_ctxs[c->scope] = c;
    }
    if (++r->contexts_held > r->contexts_held_max)
        r->contexts_held_max = r->contexts_held;
    return c;
}

/* Free what context c holds: its VM env (the pack's top-level values for
 * it), its evaluator and its query lists' indexes. */
static void release_context(run *r, context *c)
{
    free(c->query_lists);
    free(c->query_built);
    for (uint32_t q = 0; c->query_ns && q < r->prog->nqueries; q++)
        free(c->query_ns[q].groups);
    free(c->query_ns);
    kv_eval_free(c->ev);
    kv_env_free(c->vm);
    c->query_lists = NULL;
    c->query_built = NULL;
    c->query_ns = NULL;
    c->ev = NULL;
    c->vm = NULL;
}

static void free_context(run *r, context *c)
{
    if (!c)
        return;
    release_context(r, c);
    free(c);
}

/* The context of a unit's resources: an existing one with the same scope,
 * environment and configuration, or a new one. */
static uint64_t chosen_hash(const unit *u)
{
    uint64_t h = hash_str(0xcbf29ce484222325ULL, u->dir, strlen(u->dir));
    return (h ^ u->scope) * 0x100000001b3ULL ^ ((uint64_t)u->env << 32);
}

/* The slot of unit u's folder in r->chosen_slot: taken when a context was
 * chosen for it, else the empty slot to take. */
static size_t chosen_find(const run *r, const unit *u, uint64_t h)
{
    size_t mask = r->chosen_cap - 1, i = (size_t)h & mask;
    for (; r->chosen_slot[i]; i = (i + 1) & mask) {
        const struct chosen *c = &r->chosen[r->chosen_slot[i] - 1];
        if (c->hash == h && c->scope == u->scope && c->env == u->env && !strcmp(c->dir, u->dir))
            break;
    }
    return i;
}

/* Remember the context chosen for u's folder; failing to only costs time. */
static void chosen_add(run *r, const unit *u, uint64_t h, context *c)
{
    if (2 * (r->nchosen + 1) > r->chosen_cap) {
        size_t cap = r->chosen_cap ? r->chosen_cap * 2 : 64;
        uint32_t *slot = calloc(cap, sizeof *slot);
        if (!slot)
            return;
        for (size_t k = 0; k < r->nchosen; k++) {
            size_t i = (size_t)r->chosen[k].hash & (cap - 1);
            while (slot[i])
                i = (i + 1) & (cap - 1);
            slot[i] = (uint32_t)k + 1;
        }
        free(r->chosen_slot);
        r->chosen_slot = slot;
        r->chosen_cap = cap;
    }
    if (r->nchosen == r->capchosen) {
        size_t cap = r->capchosen ? r->capchosen * 2 : 32;
        struct chosen *v = realloc(r->chosen, cap * sizeof *v);
        if (!v)
            return;
        r->chosen = v;
        r->capchosen = cap;
    }
    r->chosen[r->nchosen] = (struct chosen){h, u->scope, u->env, u->dir, c};
    r->chosen_slot[chosen_find(r, u, h)] = (uint32_t)++r->nchosen;
}

static context *context_for(run *r, uint32_t unit_index)
{
    const unit *u = &r->units[unit_index];
    /* a stream's choice may be its own (see candidate): only folders are remembered */
    if (!u->dir)
        return choose_context(r, u);
    uint64_t h = chosen_hash(u);
    if (r->chosen_cap) {
        size_t i = chosen_find(r, u, h);
        if (r->chosen_slot[i]) {
            struct chosen *ch = &r->chosen[r->chosen_slot[i] - 1];
            if (!ch->c->retired)
                return ch->c;
            /* no later unit has a retired context's scope (retire_scope); were
             * one to, it would get a context of its own */
            context *c = choose_context(r, u);
            if (c)
                ch->c = c;
            return c;
        }
    }
    context *c = choose_context(r, u);
    if (c)
        chosen_add(r, u, h, c);
    return c;
}

static context *choose_context(run *r, const unit *u)
{
    int winner[CFG_KINDS];
    kvet_config_origin origin[CFG_KINDS];
    if (r->docs)
        choose_config(r, u, winner, origin);
    else
        for (int k = 0; k < CFG_KINDS; k++) {
            winner[k] = NO_DOC;
            origin[k] = KVET_CONFIG_FOLDER;
        }
    for (size_t i = r->ncontexts; i > 0; i--) {
        context *c = r->contexts[i - 1];
        if (!c->retired && c->scope == u->scope && c->env == u->env && !memcmp(c->winner, winner, sizeof winner))
            return c;
    }
    return new_context(r, u, winner, origin);
}

/* ------------------------------------------------------------ pass 2 */

static int cmp_finding(const void *a, const void *b)
{
    const kvet_finding *x = a, *y = b;
    int c = strcmp(x->file ? x->file : "", y->file ? y->file : "");
    if (c)
        return c;
    if (x->line != y->line)
        return x->line < y->line ? -1 : 1;
    if (x->col != y->col)
        return x->col < y->col ? -1 : 1;
    c = strcmp(x->rule, y->rule);
    if (c)
        return c;
    return strcmp(x->message ? x->message : "", y->message ? y->message : "");
}

/* Each rule's outcome on the resource once its findings are waived or
 * baselined: failing while one is open, else waived or baselined. */
static void settle_outcomes(const run *r, kvet_resource *rs)
{
    for (size_t i = 0; i < rs->nfindings; i++) {
        const kvet_finding *f = &rs->findings[i];
        kvet_outcome *o = NULL;
        for (size_t k = 0; k < rs->noutcomes && !o; k++)
            if (!strcmp(r->prog->rules[rs->outcomes[k].rule].id, f->rule))
                o = &rs->outcomes[k];
        if (!o)
            continue;
        if (!f->waiver && !f->baselined)
            o->open++;
        else if (f->waiver && !o->waiver)
            o->waiver = f->waiver;
    }
    for (size_t k = 0; k < rs->noutcomes; k++) {
        kvet_outcome *o = &rs->outcomes[k];
        if (o->status == KVET_OUTCOME_PASS && !o->findings)
            r->res->pub.rule_passed[o->rule]++;
        if (o->status == KVET_OUTCOME_ERROR || !o->findings)
            continue;
        o->status = o->open ? KVET_OUTCOME_FAIL : o->waiver ? KVET_OUTCOME_WAIVED : KVET_OUTCOME_BASELINED;
    }
}

/* Evaluate a resource into a new entry of r->res: all that needs only the
 * resource and its context, so a thread may do it (-j); NULL when out of
 * memory.  settle_resource does the rest. */
static kvet_resource *eval_compute(run *r, kvet_value root, uint32_t src)
{
    kvet_result *res = &r->res->pub;
    if (res->nresources == r->res->capresources) {
        size_t cap = r->res->capresources ? r->res->capresources * 2 : 64;
        kvet_resource *nr = realloc(res->resources, cap * sizeof *nr);
        if (!nr) {
            r->oom = true;
            return NULL;
        }
        res->resources = nr;
        r->res->capresources = cap;
    }
    kvet_resource *rs = &res->resources[res->nresources++];
    memset(rs, 0, sizeof *rs);
    kvet_value api = kvet_map_get(root, "apiVersion", 10);
    kvet_value kind = kvet_map_get(root, "kind", 4);
    kvet_value meta = kvet_map_get(root, "metadata", 8);
    kvet_value ns = kvet_map_get(meta, "namespace", 9);
    kvet_value name = kvet_map_get(meta, "name", 4);
    if (name.type != KVET_STRING)
        name = kvet_map_get(meta, "generateName", 12);
    rs->api_version = shared_str(r, api.u.s->data, api.u.s->len);
    rs->kind = shared_str(r, kind.u.s->data, kind.u.s->len);
    rs->ns = ns.type == KVET_STRING ? shared_str(r, ns.u.s->data, ns.u.s->len) : "";
    rs->name = name.type == KVET_STRING ? odup(r, name.u.s->data, name.u.s->len) : "";
    rs->file = kv_source_name(r->ctx, src);
    rs->line = root.line;
    rs->effective = kv_map_value(kv_map_new(r->out, 0));
    rs->context = r->cur_ctx->pub;
    rs->env = r->cur_ctx->env != NO_ENV ? r->project->envs[r->cur_ctx->env].name : NULL;

    r->cur = rs;
    r->cur_src = src;
    r->cur_line = root.line;
    r->cur_failed = false;
    r->nfindings = 0;
    r->noutcomes = 0;
    kv_arena_reset(&r->scratch);
    kv_eval_resource(r->cur_ctx->ev, root, &r->scratch);
    /* re-fetch: hooks may have grown other arrays, not this one */
    rs = &res->resources[res->nresources - 1];
    rs->not_evaluated = r->cur_failed;

    bool oom = false;
    kvet_value eff = kv_eval_effective(r->cur_ctx->ev);
    rs->effective = kv_value_copy_shared(r->out, &r->shared, eff, &oom);
    if (oom)
        r->oom = true;
    if (r->nfindings) {
        qsort(r->findings, r->nfindings, sizeof *r->findings, cmp_finding);
        rs->findings = malloc(r->nfindings * sizeof *rs->findings);
        if (!rs->findings) {
            r->oom = true;
        } else {
            memcpy(rs->findings, r->findings, r->nfindings * sizeof *rs->findings);
            rs->nfindings = r->nfindings;
        }
    }
    if (r->noutcomes) {
        rs->outcomes = malloc(r->noutcomes * sizeof *rs->outcomes);
        if (!rs->outcomes) {
            r->oom = true;
        } else {
            memcpy(rs->outcomes, r->outcomes, r->noutcomes * sizeof *rs->outcomes);
            rs->noutcomes = r->noutcomes;
        }
    }
    if (r->in->want_trace) {
        size_t nt;
        const kv_trace_rec *t = kv_eval_trace(r->cur_ctx->ev, &nt);
        if (nt) {
            rs->trace = calloc(nt, sizeof *rs->trace);
            if (!rs->trace) {
                r->oom = true;
                nt = 0;
            }
            rs->ntrace = nt;
            for (size_t i = 0; i < nt; i++) {
                const kv_derive *d = &r->prog->derives[t[i].derive];
                kvet_trace *tr = &rs->trace[i];
                tr->name = d->name;
                tr->value = kv_value_copy(&r->res->arena, t[i].value, &oom);
                tr->rule_file = d->pos.file < r->prog->nfiles ? r->prog->files[d->pos.file] : NULL;
                tr->rule_line = d->pos.line;
                tr->rule_col = d->pos.col;
                tr->expr = strdup(d->expr);
                tr->reads = d->reads[0] ? strdup(d->reads) : NULL;
                if (t[i].value.src) {
                    tr->value_file = kv_source_name(r->ctx, t[i].value.src);
                    tr->value_line = t[i].value.line;
                    tr->value_col = t[i].value.col;
                }
            }
        }
    }
    return rs;
}

/* What a resource's evaluation leaves to the run, in input order: waivers
 * (which note their use) first, as explicit acceptance, then the baseline,
 * and the counts. */
static void settle_resource(run *r, kvet_resource *rs, kvet_value root)
{
    kvet_result *res = &r->res->pub;
    if (config_kind(root) >= 0)
        r->found_cluster_config = true;
    kv_waivers_resource(r->ctx, &r->ws, r->prog, root, rs, rs->file);
    for (size_t i = 0; i < rs->nfindings; i++) {
        kvet_finding *f = &rs->findings[i];
        if (f->waiver) {
            res->waived++;
        } else if (kv_baseline_has(&r->ws, f, rs)) {
            f->baselined = 1;
            res->baselined++;
        } else if (f->severity <= KVET_SEV_ERROR) {
            res->findings[f->severity]++;
        }
    }
    settle_outcomes(r, rs);
}

/* What n resources hold outside the arenas: their findings' messages,
 * their findings and outcomes. */
static void release_resources(kvet_resource *v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        for (size_t k = 0; k < v[i].nfindings; k++)
            free(v[i].findings[k].message);
        free(v[i].findings);
        free(v[i].outcomes);
    }
}

static void release_errors(kvet_error *v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(v[i].file);
        free(v[i].message);
    }
    free(v);
}

/* Streaming (kvet_inputs.on_resource): a unit's resources take their
 * memory from the unit's own arena, and are handed over and freed in
 * input order once settled, so the result does not grow with the input. */
static void out_begin(run *r, kv_arena *a)
{
    if (!r->stream)
        return;
    r->out = a;
    /* the set's strings are in the arena of a unit done with */
    kv_strset_free(&r->shared);
}

/* Hand over the resources settled so far and free their memory: at the
 * end of a unit, and every STREAM_BATCH resources inside a large one. */
enum { STREAM_BATCH = 256 };

static void out_flush(run *r, kv_arena *a)
{
    kvet_result *res = &r->res->pub;
    size_t n = res->nresources;
    res->nresources = 0;
    for (size_t i = 0; i < n; i++) {
        kvet_resource *rs = &res->resources[i];
        r->in->on_resource(r->in->on_resource_arg, res, rs);
        res->nstreamed++;
        release_resources(rs, 1);
    }
    /* the set's strings are in the arena freed next */
    kv_strset_free(&r->shared);
    kv_arena_reset(a);
}

static void out_end(run *r, kv_arena *a)
{
    if (!r->stream)
        return;
    out_flush(r, a);
    kv_arena_free(a);
    r->out = &r->res->arena;
}

static void eval_resource(run *r, kvet_value root, uint32_t src)
{
    kvet_resource *rs = eval_compute(r, root, src);
    if (rs)
        settle_resource(r, rs, root);
}


/* Evaluate a resource, unless it is an identical copy of an earlier one of
 * its scope: `duplicate` says so when pass 1 noted its definition, else it
 * is noted now. */
static void eval_item(run *r, kvet_value root, uint32_t src, int duplicate)
{
    const unit *u = &r->units[r->cur_unit];
    /* the environment's namespace for a document without one: a copy of
     * the top levels that lives while the document is evaluated */
    if (unit_namespace(r, u)) {
        kv_arena_reset(&r->ns_arena);
        root = with_namespace(r, &r->ns_arena, root, unit_namespace(r, u));
    }
    if (duplicate < 0)
        duplicate = note_definition(r, root, src, &r->ns_arena);
    if (duplicate) {
        r->res->pub.duplicates++;
        return;
    }
    eval_resource(r, root, src);
}

/* pass 2: every resource (kv_load_manifests has taken Lists apart and
 * left out, or reported, documents that are not resources) */
static void eval_one(run *r, kvet_value root, uint32_t src, int duplicate)
{
    if (kvet_own_doc(root))
        return;
    /* one large file (a cluster dump, a JSON List) is not held whole in the results */
    if (r->stream && r->res->pub.nresources >= STREAM_BATCH)
        out_flush(r, &r->outa);
    if (!r->st) {
        eval_item(r, root, src, duplicate);
        return;
    }
    double t0 = now_s();
    r->seg_t = t0;
    r->owner = -1;
    r->owner_rule = -1;
    eval_item(r, root, src, duplicate);
    double t1 = now_s();
    stats_charge(r, t1);
    r->t_items += t1 - t0;
    r->st->documents++;
}

static int eval_doc(void *ud, kv_doc *doc)
{
    eval_one(ud, doc->root, doc->src, -1);
    return 0;
}

/* Inputs that produced load errors are reported in result->errors. */
static void collect_input_errors(run *r, size_t from)
{
    for (size_t i = from; i < kvet_diag_count(r->ctx); i++) {
        const kvet_diag *d = kvet_diag_at(r->ctx, i);
        if (d->severity == KVET_SEV_ERROR)
            add_error(r, d->file, d->line, d->col, d->message);
    }
}

/* What a load found, added to the result (pass 2) and to the input it
 * came from (NULL for --cluster and environment cluster files). */
static void count_input(run *r, kvet_input_info *info, size_t len, const kv_manifest_stats *st)
{
    r->res->pub.skipped += st->skipped;
    if (!info)
        return;
    info->bytes += len;
    info->documents += st->documents;
    info->resources += st->resources;
    info->skipped += st->skipped;
    info->invalid += st->invalid;
}

/* Evaluate a unit pass 1 has parsed: its documents and load diagnostics
 * in the order the parse met them, as if it were parsed now. */
static void eval_parsed_unit(run *r, uint32_t ui)
{
    unit *u = &r->units[ui];
    size_t before = kvet_diag_count(r->ctx);
    size_t given = 0;
    kv_manifest_stats st;
    memset(&st, 0, sizeof st);
    r->cur_unit = ui;
    r->cur_ctx = context_for(r, ui);
    out_begin(r, &r->outa);
    if (r->cur_ctx) {
        const parsed_doc *events = u->own ? u->own : r->events + u->first_event;
        size_t nevents = u->own ? u->nown : u->nevents;
        for (size_t i = 0; i < nevents && !r->oom; i++) {
            const parsed_doc *e = &events[i];
            while (given < e->mark && given < u->ndiags)
                kv_diag_attach(r->ctx, &u->diags[given++]);
            eval_one(r, e->root, e->src, r->ids_noted ? e->duplicate : -1);
        }
        while (given < u->ndiags)
            kv_diag_attach(r->ctx, &u->diags[given++]);
        st = u->st;
    }
    for (; given < u->ndiags; given++)
        kv_diag_release(&u->diags[given]);
    free(u->diags);
    u->diags = NULL;
    u->ndiags = 0;
    /* what no rule queries is not needed once evaluated */
    kv_arena_free(&u->pending);
    free(u->own);
    u->own = NULL;
    u->nown = u->capown = 0;
    out_end(r, &r->outa);
    collect_input_errors(r, before);
    kvet_input_info *info = NULL;
    if (u->origin != SIZE_MAX && u->origin < r->res->pub.ninputs)
        info = &r->res->pub.inputs[u->origin];
    count_input(r, info, u->len, &st);
}

typedef struct windowed {
    kv_json_plan *json;
    bool yaml;
    unsigned threads;          /* for a YAML file: threads that parse parts of it ahead */
    char *stdin_head;          /* stdin's start, the rest to be read through the window */
    size_t headlen;
    size_t total;              /* once it is loaded: the bytes the stream held */
    FILE *stdin_yaml;          /* stdin's YAML copied to a file, to be parsed in parts */
    int stdin_end;             /* how that copy ends: 0 whole, -1 past the limit, else a read error */
} windowed;

/* How file `path` is read: through a window (*size gets its size), or
 * whole (neither set). */
static windowed window_for(kvet_ctx *ctx, const char *path, unsigned threads, size_t *size)
{
    windowed w = {0};
    struct stat st;
    if (!strcmp(path, "-") || stat(path, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size < WINDOW_MIN ||
        (uint64_t)st.st_size > ctx->limits.max_document_bytes)
        return w;
    if (has_suffix(path, ".json"))
        w.json = kv_json_plan_file(ctx, path, WINDOW, threads);
    else if (has_suffix(path, ".yaml") || has_suffix(path, ".yml")) {
        w.yaml = kv_yaml_windowable(path);
        w.threads = threads;
    }
    if (w.json || w.yaml)
        *size = (size_t)st.st_size;
    return w;
}

/* Read a unit's file whole, or set *win to read it through a window (a
 * large file; a JSON List's items converted in `threads` threads): 0, or
 * -1 after reporting, as kv_read_file.  Without `window` a large file is
 * left unread: 1. */
static int read_unit_file(kvet_ctx *ctx, const char *path, unsigned threads, bool window, windowed *win, char **data,
                          size_t *len)
{
    int rc = kv_read_file_below(ctx, path, WINDOW_MIN, data, len);
    if (rc != 1 || !window)
        return rc;
    *win = window_for(ctx, path, threads, len);
    if (win->json || win->yaml)
        return 0;
    return kv_read_file(ctx, path, data, len);
}

/* How many inputs are files read through a window (2: at least two, or
 * too many inputs to look; standard input is not counted). */
static unsigned large_inputs(const run *r)
{
    if (r->nunits > 64)
        return 2;
    unsigned n = 0;
    for (size_t i = 0; i < r->nunits && n < 2; i++) {
        const unit *u = &r->units[i];
        struct stat st;
        n += u->path && strcmp(u->path, "-") != 0 && stat(u->path, &st) == 0 && S_ISREG(st.st_mode) &&
             st.st_size >= WINDOW_MIN;
    }
    return n;
}

/* kv_load_manifests, of the text or through the window; YAML documents are
 * built in `into` when it is not NULL */
static void load_manifests(kvet_ctx *ctx, windowed *w, const char *path, const char *name, uint32_t src,
                           const char *data, size_t len, unsigned flags, kv_arena *into, kv_doc_fn fn, void *ud,
                           kv_manifest_stats *st)
{
    if (w->stdin_head) {
        /* the loader takes the head over, and counts the bytes the stream held */
        kv_yaml_stream in = {.f = stdin, .name = name, .src = src, .window = WINDOW, .head = w->stdin_head,
                             .headlen = w->headlen, .limit = ctx->limits.max_document_bytes,
                             .what = "standard input", .sources = (flags & KV_LOAD_SOURCES) != 0,
                             .total = &w->total};
        w->stdin_head = NULL;
        kv_load_manifests_yaml_stream(ctx, &in, into, fn, ud, st);
    } else if (w->stdin_yaml) {
        /* a copy that ends early is read by one thread to where stdin's reading ended */
        kv_yaml_stream in = {.f = w->stdin_yaml, .name = name, .src = src, .window = WINDOW,
                             .limit = w->stdin_end < 0 ? ctx->limits.max_document_bytes : 0,
                             .what = "standard input", .sources = (flags & KV_LOAD_SOURCES) != 0,
                             .threads = w->threads, .end_errno = w->stdin_end > 0 ? w->stdin_end : 0};
        kv_load_manifests_yaml_stream(ctx, &in, into, fn, ud, st);
        fclose(w->stdin_yaml);
        w->stdin_yaml = NULL;
    } else if (w->json)
        kv_load_manifests_planned(ctx, w->json, name, src, fn, ud, st);
    else if (w->yaml)
        kv_load_manifests_yaml_window(ctx, path, name, src, WINDOW, w->threads, into, fn, ud, st);
    else
        kv_load_manifests_in(ctx, name, src, data, len, flags, into, fn, ud, st);
}

static void load_unit(run *r, uint32_t ui, bool indexing)
{
    const unit *u = &r->units[ui];
    const char *name = unit_name(r, u);
    char *data = NULL;
    size_t len = 0;
    bool owned = false;
    size_t before = kvet_diag_count(r->ctx);
    r->cur_unit = ui;
    windowed win = {0};
    if (u->path) {
        /* a large file is read through a window as it is loaded */
        owned = strcmp(u->path, "-") != 0;
        int rc = owned ? read_unit_file(r->ctx, u->path, r->list_threads, true, &win, &data, &len)
                       : read_stdin(r, &data, &len, &win.stdin_head, &win.json, &win.stdin_yaml, &win.stdin_end);
        if (rc == 1) {
            win.headlen = len;
            rc = 0;
        } else if (rc == 2 || rc == 3) {
            rc = 0; /* len: the bytes the copy holds */
            win.threads = r->list_threads;
        }
        if (rc < 0) {
            /* a file is read again in pass 2, which reports it; stdin is not */
            if (indexing && strcmp(u->path, "-") != 0)
                kv_diag_truncate(r->ctx, before);
            else if (rc == -1)
                collect_input_errors(r, before);
            return;
        }
    } else {
        /* the loaders want a NUL after the text */
        data = malloc(r->in->buffer_len + 1);
        if (!data) {
            r->oom = true;
            return;
        }
        memcpy(data, r->in->buffer, r->in->buffer_len);
        data[r->in->buffer_len] = '\0';
        len = r->in->buffer_len;
        owned = true;
    }
    uint32_t src = kv_source_add(r->ctx, name);
    /* piped helm template output names its templates; a file is its own */
    unsigned flags = !u->path || !strcmp(u->path, "-") ? KV_LOAD_SOURCES : 0;
    kv_manifest_stats st;
    bool streamed = win.stdin_head != NULL;
    if (indexing) {
        unit *pu = &r->units[ui];
        pu->first_event = r->nevents;
        r->unit_diag_base = before;
        load_manifests(r->ctx, &win, u->path, name, src, data, len, flags, NULL, index_doc, r, &pu->st);
        if (streamed)
            len = win.total;
        pu->nevents = r->nevents - pu->first_event;
        pu->len = len;
        if (!kv_diag_detach(r->ctx, before, &pu->diags, &pu->ndiags))
            r->oom = true;
        pu->parsed = true;
    } else {
        r->cur_ctx = context_for(r, ui);
        out_begin(r, &r->outa);
        if (r->cur_ctx)
            load_manifests(r->ctx, &win, u->path, name, src, data, len, flags, NULL, eval_doc, r, &st);
        else
            memset(&st, 0, sizeof st);
        if (streamed)
            len = win.total;
        out_end(r, &r->outa);
        collect_input_errors(r, before);
        kvet_input_info *info = NULL;
        if (u->origin != SIZE_MAX && u->origin < r->res->pub.ninputs)
            info = &r->res->pub.inputs[u->origin];
        count_input(r, info, len, &st);
    }
    kv_json_plan_free(win.json);
    free(win.stdin_head); /* not loaded: no context to check it in */
    if (win.stdin_yaml)
        fclose(win.stdin_yaml);
    if (owned)
        free(data);
}

/* ------------------------------------------------- parsing ahead (-j) */

/* The threads that parse units ahead of the main thread.  A thread takes
 * the next unit below `limit`, or below `reach` while the units parsed and
 * not yet consumed hold less than AHEAD_BYTES, parses it with its own
 * kvet_ctx, and marks it done; the main thread waits for each unit in
 * order and moves `limit` and `reach` on as it consumes them (evaluated
 * and merged, or indexed), so what waits in memory is at most `window`
 * units and AHEAD_BYTES more (and one unit a thread past that). */
typedef struct ahead {
    run *r;
    pthread_mutex_t mu;
    pthread_cond_t ready;      /* the unit the main thread waits for is done */
    pthread_cond_t room;       /* limit or reach moved on, a starved thread may go on, or stop */
    uint32_t next, limit, window;
    uint32_t reach, reach_window;  /* beyond limit, up to reach while inflight < AHEAD_BYTES */
    size_t inflight;           /* bytes parsed and not yet consumed by the main thread (atomic) */
    size_t *counted;           /* per unit: its bytes in inflight, from the thread that parsed it */
    uint8_t starved;           /* a thread waits below reach for inflight to fall (atomic) */
    const uint8_t *awaited;    /* the flag of the unit the main thread waits for (flag_wait) */
    uint8_t *done;             /* per unit (flag_set) */
    bool stop;
    pthread_t *threads;
    size_t nthreads;
    unsigned jobs;             /* threads asked for (nthreads grows as they start) */
    /* per thread: the index's copies of the documents it parsed (pass 1),
     * adopted by the index once the threads are done; a thread's string
     * set shares strings among them */
    kv_arena *copies;
    size_t ncopies;            /* threads that took their slot */
} ahead;

typedef struct ahead_doc_ud {
    const run *r;
    kvet_ctx *ctx;
    unit *u;
    kv_arena *copies;          /* the thread's (ahead.copies) */
    kv_strset *strs;           /* the thread's: its strings live in its copies */
    kv_arena *scratch;
} ahead_doc_ud;

static int ahead_doc(void *ud, kv_doc *doc)
{
    ahead_doc_ud *a = ud;
    unit *u = a->u;
    if (u->ahead_oom)
        return 0;
    if (u->nown == u->capown) {
        size_t cap = u->capown ? u->capown * 2 : 4;
        parsed_doc *e = realloc(u->own, cap * sizeof *e);
        if (!e) {
            u->ahead_oom = true;
            return 0;
        }
        u->own = e;
        u->capown = cap;
    }
    /* pass 1 (the program queries): the thread makes the index's copy in
     * its own arena, which the index adopts; wanted() reads only the
     * program */
    bool to_index = false;
    if (a->r->prog->nqueries) {
        kvet_value kind = kvet_map_get(doc->root, "kind", 4);
        kvet_value api = kvet_map_get(doc->root, "apiVersion", 10);
        to_index = kind.type == KVET_STRING && api.type == KVET_STRING && wanted(a->r, doc->root, kind.u.s, api.u.s);
    }
    bool oom = false;
    kvet_value kept;
    if (to_index) {
        kept = index_copy(a->r, u, a->copies, a->strs, a->scratch, doc->root);
        oom = kept.type == KVET_ABSENT;
    } else {
        /* built in the unit's arena already (no program query: parse_ahead) */
        kept = doc->arena == &u->pending ? doc->root : kv_value_copy(&u->pending, doc->root, &oom);
    }
    if (oom) {
        u->ahead_oom = true;
        return 0;
    }
    /* the thread's context holds only this unit's diagnostics */
    u->own[u->nown++] = (parsed_doc){kept, doc->src, false, to_index, kvet_diag_count(a->ctx)};
    return 0;
}

/* Read and parse one unit in a thread: what load_unit(indexing) does,
 * with every document kept in the unit (pass 1 indexes them later, in
 * order).  Touches only the unit and the thread's own context. */
static void parse_ahead(const run *r, kvet_ctx *tctx, kv_arena *copies, kv_strset *strs, kv_arena *scratch,
                        unit *u)
{
    if (!u->path || !strcmp(u->path, "-")) {
        u->ahead = AHEAD_SERIAL;
        return;
    }
    /* the loader names documents by their source id */
    if (kv_source_set(tctx, u->src, unit_name(r, u)) < 0) {
        u->ahead_oom = true;
        u->ahead = AHEAD_UNREAD;
        return;
    }
    char *data = NULL;
    size_t len = 0;
    windowed win = {0};
    /* With nothing queried, a large file is evaluated as it is read, a
     * window at a time (load_unit); parsed here it would wait whole in
     * memory for the main thread, 3 times its size (a cluster's dump beside
     * its --cluster file took 177 MB where it takes 14 MB alone). */
    int rc = read_unit_file(tctx, u->path, r->list_threads, r->prog->nqueries != 0, &win, &data, &len);
    if (rc == 1) {
        u->ahead = AHEAD_SERIAL;
        return;
    }
    if (rc < 0) {
        kv_diag_truncate(tctx, 0);
        u->ahead = AHEAD_UNREAD;
        return;
    }
    ahead_doc_ud ud = {r, tctx, u, copies, strs, scratch};
    /* with no query every document is kept until the unit is evaluated:
     * build it in the unit's arena instead of copying it there */
    load_manifests(tctx, &win, u->path, unit_name(r, u), u->src, data, len, 0,
                   r->prog->nqueries ? NULL : &u->pending, ahead_doc, &ud, &u->st);
    kv_json_plan_free(win.json);
    free(data);
    u->len = len;
    /* pass 1 keeps every unit's list until pass 2: no room to spare */
    if (u->nown && u->nown < u->capown) {
        parsed_doc *e = realloc(u->own, u->nown * sizeof *e);
        if (e) {
            u->own = e;
            u->capown = u->nown;
        }
    }
    if (!kv_diag_detach(tctx, 0, &u->diags, &u->ndiags))
        u->ahead_oom = true;
    u->ahead = AHEAD_PARSED;
}

/* The first unit the threads may not parse yet (under a->mu). */
static uint32_t ahead_bound(const ahead *a)
{
    if (a->reach > a->limit && __atomic_load_n(&a->inflight, __ATOMIC_SEQ_CST) < AHEAD_BYTES)
        return a->reach;
    return a->limit;
}

static void *ahead_main(void *arg)
{
    ahead *a = arg;
    run *r = a->r;
    kvet_ctx *tctx = kvet_ctx_new();
    if (tctx)
        kvet_ctx_set_limits(tctx, &r->ctx->limits);
    kv_strset strs = {0};
    kv_arena scratch;
    kv_arena_init(&scratch);
    bool small = false;        /* the last file this thread parsed */
    pthread_mutex_lock(&a->mu);
    kv_arena *copies = &a->copies[a->ncopies++];
    for (;;) {
        uint32_t bound = 0;
        while (!a->stop && a->next < r->nunits) {
            bound = ahead_bound(a);
            if (a->next < bound)
                break;
            /* starved is stored before inflight is read again, and the main
             * thread lowers inflight before it reads starved: one of the two
             * sees the other's store, so the thread does not sleep through
             * the drop that lets it go on */
            if (a->next < a->reach && !__atomic_load_n(&a->starved, __ATOMIC_SEQ_CST)) {
                __atomic_store_n(&a->starved, 1, __ATOMIC_SEQ_CST);
                continue;
            }
            pthread_cond_wait(&a->room, &a->mu);
        }
        if (a->stop || a->next >= r->nunits)
            break;
        /* after a small file, a few at a time, as long as the window has
         * room for each thread's share; past the window one at a time, so
         * that inflight is looked at for every file */
        uint32_t take = small && a->next < a->limit ? (a->limit - a->next) / (2 * a->jobs) : 1;
        take = take < 1 ? 1 : take > AHEAD_TAKE ? AHEAD_TAKE : take;
        if (take > r->nunits - a->next)
            take = r->nunits - a->next;
        uint32_t first = a->next;
        a->next += take;
        bool more = a->next < bound && a->next < r->nunits;
        pthread_mutex_unlock(&a->mu);
        /* room for more: the next thread wakes (one at a time, not all
         * to fight for the lock) */
        if (more)
            pthread_cond_signal(&a->room);
        for (uint32_t i = first; i < first + take; i++) {
            if (tctx)
                parse_ahead(r, tctx, copies, &strs, &scratch, &r->units[i]);
            else
                r->units[i].ahead_oom = true;
            small = r->units[i].len < AHEAD_SMALL;
            /* counted before the flag: the main thread takes it off once
             * it has consumed the unit */
            a->counted[i] = r->units[i].len;
            __atomic_add_fetch(&a->inflight, a->counted[i], __ATOMIC_SEQ_CST);
            flag_set(&a->mu, &a->ready, &a->awaited, &a->done[i]);
        }
        pthread_mutex_lock(&a->mu);
    }
    pthread_mutex_unlock(&a->mu);
    kv_strset_free(&strs);
    kv_arena_free(&scratch);
    kvet_ctx_free(tctx);
    return NULL;
}

/* Start up to `jobs` threads; false when none could be started (the run
 * then parses in the main thread). */
static bool ahead_start(ahead *a, run *r, unsigned jobs, uint32_t window)
{
    memset(a, 0, sizeof *a);
    a->r = r;
    a->window = window;
    a->limit = window;
    a->reach_window = AHEAD_REACH * jobs > window ? AHEAD_REACH * jobs : window;
    a->reach = a->reach_window;
    a->jobs = jobs;
    a->done = calloc(r->nunits + 1, 1);
    a->counted = calloc(r->nunits + 1, sizeof *a->counted);
    a->threads = calloc(jobs, sizeof *a->threads);
    a->copies = calloc(jobs, sizeof *a->copies);
    if (!a->done || !a->counted || !a->threads || !a->copies) {
        free(a->done);
        free(a->counted);
        free(a->threads);
        free(a->copies);
        return false;
    }
    /* source ids in input order, as the main thread would give them */
    for (uint32_t i = 0; i < r->nunits; i++) {
        unit *u = &r->units[i];
        u->ahead = AHEAD_NONE;
        if (u->path && strcmp(u->path, "-") != 0 && !u->parsed) {
            u->src = kv_source_add(r->ctx, unit_name(r, u));
            if (!u->src) {
                r->oom = true;
                free(a->done);
                free(a->counted);
                free(a->threads);
                free(a->copies);
                return false;
            }
        }
    }
    pthread_mutex_init(&a->mu, NULL);
    pthread_cond_init(&a->ready, NULL);
    pthread_cond_init(&a->room, NULL);
    for (unsigned k = 0; k < jobs; k++)
        if (pthread_create(&a->threads[a->nthreads], NULL, ahead_main, a) == 0)
            a->nthreads++;
    if (a->nthreads)
        return true;
    pthread_mutex_destroy(&a->mu);
    pthread_cond_destroy(&a->ready);
    pthread_cond_destroy(&a->room);
    free(a->done);
    free(a->counted);
    free(a->threads);
    free(a->copies);
    return false;
}

/* Whether the threads are done with unit i (the main thread's, not waiting). */
static bool ahead_ready(const ahead *a, uint32_t i)
{
    return __atomic_load_n(&a->done[i], __ATOMIC_ACQUIRE) != 0;
}

/* Wait until the threads are done with unit i. */
static void ahead_wait(ahead *a, uint32_t i)
{
    flag_wait(&a->mu, &a->ready, &a->awaited, &a->done[i]);
}

/* Unit i is consumed: the threads may parse on, once half the window (or
 * of the reach) is free, or once what they parsed ahead is down to half
 * the bytes they may: for small files, moving the limit one by one woke a
 * thread for every file.  (Only the main thread writes limit and reach.) */
static void ahead_consumed(ahead *a, uint32_t i)
{
    /* its memory goes now: parsed units queued for evaluation count until
     * they are merged */
    __atomic_sub_fetch(&a->inflight, a->counted[i], __ATOMIC_SEQ_CST);
    uint32_t limit = i + 1 + a->window, reach = i + 1 + a->reach_window;
    bool starved = __atomic_load_n(&a->starved, __ATOMIC_SEQ_CST) &&
                   __atomic_load_n(&a->inflight, __ATOMIC_SEQ_CST) < AHEAD_BYTES / 2;
    if (!starved && limit < a->limit + (a->window + 1) / 2 && reach < a->reach + (a->reach_window + 1) / 2)
        return;
    pthread_mutex_lock(&a->mu);
    bool moved = limit > a->limit || reach > a->reach || starved;
    if (limit > a->limit)
        a->limit = limit;
    if (reach > a->reach)
        a->reach = reach;
    if (starved)
        __atomic_store_n(&a->starved, 0, __ATOMIC_SEQ_CST);
    pthread_mutex_unlock(&a->mu);
    /* one thread wakes; it wakes the next if there is room (ahead_main) */
    if (moved)
        pthread_cond_signal(&a->room);
}

static void ahead_stop(ahead *a)
{
    pthread_mutex_lock(&a->mu);
    a->stop = true;
    pthread_cond_broadcast(&a->room);
    pthread_mutex_unlock(&a->mu);
    for (size_t k = 0; k < a->nthreads; k++)
        pthread_join(a->threads[k], NULL);
    /* the documents the index took from the threads live as long as it */
    for (size_t k = 0; k < a->ncopies; k++)
        kv_arena_adopt(&a->r->index_arena, &a->copies[k]);
    pthread_mutex_destroy(&a->mu);
    pthread_cond_destroy(&a->ready);
    pthread_cond_destroy(&a->room);
    free(a->done);
    free(a->counted);
    free(a->threads);
    free(a->copies);
}

/* Pass 1 for a unit a thread parsed: index its documents in order, as
 * index_doc does while parsing. */
static void index_ahead(run *r, uint32_t ui)
{
    unit *u = &r->units[ui];
    r->cur_unit = ui;
    for (size_t i = 0; i < u->nown && !r->oom; i++) {
        parsed_doc *e = &u->own[i];
        if (e->indexed && !record_doc(r, e->root))
            break;
        e->duplicate = note_kept(r, e->root, e->src, e->indexed);
    }
    u->parsed = true;
}

/* Take what the threads made of unit i: true when it is parsed (and
 * indexed, in pass 1), false when the main thread must read it. */
static bool take_ahead(run *r, ahead *a, uint32_t i, bool indexing)
{
    ahead_wait(a, i);
    unit *u = &r->units[i];
    if (u->ahead_oom)
        r->oom = true;
    if (u->ahead != AHEAD_PARSED)
        return false;
    if (indexing)
        index_ahead(r, i);
    else
        u->parsed = true;
    return true;
}

/* ------------------------------------------------ evaluating in threads (-j) */

/* Threads evaluate whole units.  The main thread keeps what decides the
 * result's order and what it shares: in input order it chooses a unit's
 * context, notes its duplicates (eval_item), and hands it to the threads;
 * then, again in input order, it takes what they made of it and does the
 * rest (settle_resource, the unit's diagnostics and errors, its counts).
 * Each thread evaluates with a run of its own: a copy of the main one for
 * what is read-only by then (the index, the program, the inputs), with its
 * own result, scratch memory and contexts, so its own VM environments.
 * Source names are read by the threads: the main thread adds none while
 * they work (a unit it must read itself waits until they are idle). */
typedef struct worker {
    struct eval_pool *p;
    pthread_t thread;
    run own;
    result_impl res;
    context **ctxs;            /* by the main thread's context id */
    size_t nctxs;
    size_t retired_seen;       /* eval_pool.retired[0..retired_seen) are freed here too */
} worker;

typedef struct pool_task {
    uint32_t unit, slice;
} pool_task;

typedef struct eval_pool {
    run *r;
    pthread_mutex_t mu;
    pthread_cond_t work;       /* slices are queued, or stop */
    pthread_cond_t ready;      /* the slice the main thread waits for is evaluated */
    const uint8_t *awaited;    /* that slice's flag (flag_wait) */
    pool_task *queue;          /* a ring of qcap */
    size_t qhead, qtail, qcap;
    size_t npending;           /* written after qtail by the main thread, not yet queued */
    bool stop;
    worker *w;
    size_t nworkers;
    kv_key_share *keys;        /* the threads' indexes of indexed lookups, built once */
    size_t *retired;           /* ids of the main thread's retired contexts, in order */
    size_t nretired, capretired;
} eval_pool;

static context *worker_context(worker *w, context *mc)
{
    if (mc->id < w->nctxs && w->ctxs[mc->id])
        return w->ctxs[mc->id];
    run *r = &w->own;
    if (mc->id >= w->nctxs) {
        size_t n = mc->id + 8;
        context **v = realloc(w->ctxs, n * sizeof *v);
        if (!v)
            return NULL;
        memset(v + w->nctxs, 0, (n - w->nctxs) * sizeof *v);
        w->ctxs = v;
        w->nctxs = n;
    }
    context *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    w->ctxs[mc->id] = c;
    c->r = r;
    c->id = mc->id;
    c->scope = mc->scope;
    c->env = mc->env;
    c->pub = mc->pub;
    memcpy(c->winner, mc->winner, sizeof c->winner);
    memcpy(c->origin, mc->origin, sizeof c->origin);
    c->share = mc;
    /* no --stats here: it evaluates in the main thread */
    kv_vm_hooks hooks = {c, hook_finding, hook_error, hook_query, hook_query_ns, hook_rule_run, hook_derive_run,
                         NULL, NULL, NULL};
    if (!make_vm(r, c, &hooks))
        return NULL;
    kv_env_share_keys(c->vm, w->p->keys);
    kv_env_set_params(c->vm, env_params(r, c->env));
    return c;
}

/* In a thread: evaluate slice si of unit ui, documents the main thread kept. */
static void worker_slice(worker *w, uint32_t ui, uint32_t si)
{
    run *r = &w->own;
    const unit_eval *e = w->p->r->units[ui].ev;
    slice *sl = &e->slices[si];
    kvet_result *res = &r->res->pub;
    res->resources = NULL;
    res->nresources = r->res->capresources = 0;
    res->errors = NULL;
    res->nerrors = r->res->caperrors = 0;
    r->cur_ctx = worker_context(w, e->ectx);
    if (!r->cur_ctx)
        r->oom = true;
    out_begin(r, &sl->outa);
    for (size_t i = sl->lo; i < sl->hi && !r->oom; i++)
        if (e->jobs[i].skip == JOB_EVAL)
            eval_compute(r, e->jobs[i].root, e->jobs[i].src);
    sl->out = res->resources;
    sl->nout = res->nresources;
    sl->werr = res->errors;
    sl->nwerr = res->nerrors;
    sl->woom = r->oom;
}

/* In a thread, under the pool's lock: free its copies of the contexts
 * the main thread retired since it last looked. */
static void worker_retire(worker *w)
{
    const eval_pool *p = w->p;
    for (; w->retired_seen < p->nretired; w->retired_seen++) {
        size_t id = p->retired[w->retired_seen];
        if (id < w->nctxs && w->ctxs[id]) {
            if (w->own.cur_ctx == w->ctxs[id])
                w->own.cur_ctx = NULL;
            free_context(&w->own, w->ctxs[id]);
            w->ctxs[id] = NULL;
        }
    }
}

static void *worker_main(void *arg)
{
    worker *w = arg;
    eval_pool *p = w->p;
    /* the last slice took little time: documents that cost little to
     * evaluate, taken several at a time; documents that cost much are taken
     * one by one, so that no thread holds several while another waits */
    bool quick = true;
    pthread_mutex_lock(&p->mu);
    for (;;) {
        while (!p->stop && p->qhead == p->qtail)
            pthread_cond_wait(&p->work, &p->mu);
        if (p->qhead == p->qtail)
            break;
        /* the next slice, and those after it while they are small */
        pool_task t[POOL_TAKE];
        size_t take = 0, docs = 0;
        while (take < (quick ? POOL_TAKE : 1) && p->qhead != p->qtail) {
            pool_task next = p->queue[p->qhead % p->qcap];
            const slice *sl = &p->r->units[next.unit].ev->slices[next.slice];
            if (take && docs + (sl->hi - sl->lo) > POOL_SMALL)
                break;
            docs += sl->hi - sl->lo;
            t[take++] = next;
            p->qhead++;
        }
        bool more = p->qhead != p->qtail;
        worker_retire(w);
        pthread_mutex_unlock(&p->mu);
        /* the rest is the next thread's: it wakes (pool_queue wakes one) */
        if (more)
            pthread_cond_signal(&p->work);
        for (size_t k = 0; k < take; k++) {
            double t0 = now_s();
            worker_slice(w, t[k].unit, t[k].slice);
            quick = now_s() - t0 < POOL_QUICK_S;
            flag_set(&p->mu, &p->ready, &p->awaited, &p->r->units[t[k].unit].ev->slices[t[k].slice].done);
        }
        pthread_mutex_lock(&p->mu);
    }
    pthread_mutex_unlock(&p->mu);
    return NULL;
}

static void worker_free(worker *w)
{
    for (size_t i = 0; i < w->nctxs; i++)
        free_context(&w->own, w->ctxs[i]);
    free(w->ctxs);
    kv_memo_free(w->own.memo);
    kv_regex_cache_free(w->own.regex);
    free(w->own.findings);
    free(w->own.outcomes);
    kv_arena_free(&w->own.scratch);
    kv_arena_free(&w->own.ns_arena);
    kv_strset_free(&w->own.shared);
    free(w->res.pub.rule_evaluated);
    free(w->res.pub.rule_findings);
    free(w->res.pub.derive_applied);
    free(w->res.pub.derive_valued);
}

/* A thread's run: the main one's read-only parts, the rest its own. */
static bool worker_init(worker *w, eval_pool *p)
{
    run *r = p->r;
    memset(w, 0, sizeof *w);
    w->p = p;
    kv_arena_init(&w->res.arena);
    w->res.pub.rule_evaluated = calloc(r->prog->nrules + 1, sizeof(size_t));
    w->res.pub.rule_findings = calloc(r->prog->nrules + 1, sizeof(size_t));
    w->res.pub.derive_applied = calloc(r->prog->nderives + 1, sizeof(size_t));
    w->res.pub.derive_valued = calloc(r->prog->nderives + 1, sizeof(size_t));
    run *o = &w->own;
    *o = *r;
    o->res = &w->res;
    o->out = &w->res.arena;
    kv_arena_init(&o->scratch);
    kv_arena_init(&o->ns_arena);
    kv_arena_init(&o->outa);
    memset(&o->index_arena, 0, sizeof o->index_arena);
    memset(&o->index_strs, 0, sizeof o->index_strs);
    memset(&o->ids, 0, sizeof o->ids);
    memset(&o->ws, 0, sizeof o->ws);
    /* its own set of shared strings: the main run's table is not this
     * thread's to grow, and its strings go to this thread's results */
    memset(&o->shared, 0, sizeof o->shared);
    o->contexts = NULL;
    o->ncontexts = o->capcontexts = 0;
    o->cur_ctx = NULL;
    o->cur = NULL;
    o->findings = NULL;
    o->nfindings = o->capfindings = 0;
    o->outcomes = NULL;
    o->noutcomes = o->capoutcomes = 0;
    o->no_docs = kv_absent();
    o->query_mu_on = false; /* its contexts read the main run's lists */
    o->st = NULL;
    o->oom = false;
    o->memo = NULL;            /* this thread's own, made with its first context */
    o->regex = NULL;
    if (!w->res.pub.rule_evaluated || !w->res.pub.rule_findings || !w->res.pub.derive_applied ||
        !w->res.pub.derive_valued) {
        worker_free(w);
        return false;
    }
    return true;
}

/* Start up to `jobs` threads; false when none could be started. */
static bool pool_start(eval_pool *p, run *r, unsigned jobs, uint32_t window)
{
    memset(p, 0, sizeof *p);
    p->r = r;
    /* eval_units_pooled queues slices up to window * SLICE_JOBS documents,
     * each counting SLICE_WEIGHT at least */
    p->qcap = (size_t)window * SLICE_JOBS / SLICE_WEIGHT + 1;
    p->queue = calloc(p->qcap, sizeof *p->queue);
    p->w = calloc(jobs, sizeof *p->w);
    p->keys = kv_key_share_new();
    if (!p->queue || !p->w || !p->keys) {
        free(p->queue);
        free(p->w);
        kv_key_share_free(p->keys);
        return false;
    }
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->work, NULL);
    pthread_cond_init(&p->ready, NULL);
    pthread_mutex_init(&r->query_mu, NULL);
    r->query_mu_on = true;
    for (unsigned k = 0; k < jobs; k++) {
        worker *w = &p->w[p->nworkers];
        if (!worker_init(w, p))
            break;
        if (pthread_create(&w->thread, NULL, worker_main, w) != 0) {
            worker_free(w);
            break;
        }
        p->nworkers++;
    }
    if (p->nworkers)
        return true;
    r->query_mu_on = false;
    pthread_mutex_destroy(&r->query_mu);
    kv_key_share_free(p->keys);
    pthread_mutex_destroy(&p->mu);
    pthread_cond_destroy(&p->work);
    pthread_cond_destroy(&p->ready);
    free(p->queue);
    free(p->w);
    return false;
}

/* Slice si of unit ui is to be queued: written past the ring's tail,
 * where the threads do not read (the caller keeps fewer than qcap queued
 * and not yet merged), and queued with the others (pool_queue) once the
 * caller has prepared what it can. */
/* What a queued slice counts for in eval_units_pooled's window. */
static size_t slice_weight(const slice *sl)
{
    return sl->hi - sl->lo > SLICE_WEIGHT ? sl->hi - sl->lo : SLICE_WEIGHT;
}

static void pool_push(eval_pool *p, uint32_t ui, uint32_t si)
{
    p->queue[(p->qtail + p->npending++) % p->qcap] = (pool_task){ui, si};
}

/* Queue the slices pushed and wake the threads, once for all of them. */
static void pool_queue(eval_pool *p)
{
    if (!p->npending)
        return;
    pthread_mutex_lock(&p->mu);
    p->qtail += p->npending;
    pthread_mutex_unlock(&p->mu);
    /* one thread wakes, and wakes the next if it leaves some (worker_main):
     * woken all at once, they would queue up for the lock */
    pthread_cond_signal(&p->work);
    p->npending = 0;
}

static void pool_wait(eval_pool *p, uint32_t ui, uint32_t si)
{
    flag_wait(&p->mu, &p->ready, &p->awaited, &p->r->units[ui].ev->slices[si].done);
}

/* Join the threads; their counts go to the result, and their arenas,
 * which the resources they made point into, live as long as it. */
static void pool_stop(eval_pool *p)
{
    run *r = p->r;
    result_impl *ri = r->res;
    pthread_mutex_lock(&p->mu);
    p->stop = true;
    pthread_cond_broadcast(&p->work);
    pthread_mutex_unlock(&p->mu);
    for (size_t k = 0; k < p->nworkers; k++)
        pthread_join(p->w[k].thread, NULL);
    r->query_mu_on = false;
    pthread_mutex_destroy(&r->query_mu);
    kv_arena *more = realloc(ri->more, (ri->nmore + p->nworkers) * sizeof *more);
    if (more)
        ri->more = more;
    for (size_t k = 0; k < p->nworkers; k++) {
        worker *w = &p->w[k];
        for (uint32_t i = 0; i < r->prog->nrules; i++) {
            ri->pub.rule_evaluated[i] += w->res.pub.rule_evaluated[i];
            ri->pub.rule_findings[i] += w->res.pub.rule_findings[i];
        }
        for (uint32_t i = 0; i < r->prog->nderives; i++) {
            ri->pub.derive_applied[i] += w->res.pub.derive_applied[i];
            ri->pub.derive_valued[i] += w->res.pub.derive_valued[i];
        }
        r->oom |= w->own.oom;
        worker_free(w);
        if (more)
            ri->more[ri->nmore++] = w->res.arena;
        else
            kv_arena_free(&w->res.arena), r->oom = true;
    }
    pthread_mutex_destroy(&p->mu);
    pthread_cond_destroy(&p->work);
    pthread_cond_destroy(&p->ready);
    free(p->queue);
    free(p->w);
    free(p->retired);
    kv_key_share_free(p->keys); /* after the threads' envs, which use it */
}

/* Once unit ui is evaluated and merged, and it is the last unit of its
 * scope, no resource is evaluated in the scope's contexts again: free what
 * they hold, and have the threads (p, or NULL) free their copies.  A run
 * over many scopes (a repository of many folders) then keeps VM envs only
 * for the scopes under way, not one for every scope it has seen. */
static void retire_scope(run *r, uint32_t ui, eval_pool *p)
{
    uint32_t scope = r->units[ui].scope;
    if (!r->scope_last || r->scope_last[scope] != ui)
        return;
    for (context *c = r->scope_ctxs[scope]; c; c = c->scope_next) {
        if (c->retired)
            continue;
        if (r->cur_ctx == c)
            r->cur_ctx = NULL;
        release_context(r, c);
        c->retired = true;
        r->contexts_held--;
        if (!p)
            continue;
        /* (out of memory, the threads keep their copy until they stop) */
        pthread_mutex_lock(&p->mu);
        if (p->nretired == p->capretired) {
            size_t cap = p->capretired ? 2 * p->capretired : 64;
            size_t *v = realloc(p->retired, cap * sizeof *v);
            if (v) {
                p->retired = v;
                p->capretired = cap;
            }
        }
        if (p->nretired < p->capretired)
            p->retired[p->nretired++] = c->id;
        pthread_mutex_unlock(&p->mu);
    }
}

/* Each scope's last unit, for retire_scope; without memory for it nothing
 * retires. */
static void plan_retirement(run *r)
{
    r->scope_last = calloc(r->nscopes + 1, sizeof *r->scope_last);
    r->scope_ctxs = calloc(r->nscopes + 1, sizeof *r->scope_ctxs);
    if (!r->scope_last || !r->scope_ctxs) {
        free(r->scope_last);
        free(r->scope_ctxs);
        r->scope_last = NULL;
        r->scope_ctxs = NULL;
        return;
    }
    for (uint32_t i = 0; i < r->nunits; i++)
        r->scope_last[r->units[i].scope] = i;
}

/* Main thread, in input order: what eval_parsed_unit decides before it
 * evaluates -- the unit's context, the documents that are no resources or
 * duplicates -- for a unit that is parsed.  False when out of memory. */
static bool prepare_unit(run *r, uint32_t ui)
{
    unit *u = &r->units[ui];
    r->cur_unit = ui;
    unit_eval *e = u->ev = calloc(1, sizeof *u->ev);
    if (!e) {
        r->oom = true;
        return false;
    }
    kv_arena_init(&e->nsa);
    /* choosing a context may warn: the warning is put back in its place
     * among the unit's diagnostics when the unit is merged */
    size_t before = kvet_diag_count(r->ctx);
    e->ectx = context_for(r, ui);
    bool detached = kv_diag_detach(r->ctx, before, &e->cdiags, &e->ncdiags);
    if (!e->ectx || !detached) {
        r->oom = true;
        return false;
    }
    const parsed_doc *events = u->own ? u->own : r->events + u->first_event;
    size_t n = u->own ? u->nown : u->nevents;
    e->jobs = calloc(n + 1, sizeof *e->jobs);
    if (!e->jobs) {
        r->oom = true;
        return false;
    }
    e->njobs = n;
    const char *ns = unit_namespace(r, u);
    for (size_t i = 0; i < n; i++) {
        job_doc *j = &e->jobs[i];
        kvet_value root = events[i].root;
        j->src = events[i].src;
        j->mark = events[i].mark;
        if (kvet_own_doc(root)) {
            j->skip = JOB_OWN;
            continue;
        }
        if (ns)
            root = with_namespace(r, &e->nsa, root, ns);
        j->root = root;
        if (r->ids_noted ? events[i].duplicate : note_definition(r, root, j->src, &e->nsa))
            j->skip = JOB_DUPLICATE;
    }
    e->nslices = n ? (uint32_t)((n + SLICE_JOBS - 1) / SLICE_JOBS) : 1;
    e->slices = calloc(e->nslices, sizeof *e->slices);
    if (!e->slices) {
        e->nslices = 0;
        r->oom = true;
        return false;
    }
    for (uint32_t k = 0; k < e->nslices; k++) {
        e->slices[k].lo = (size_t)k * SLICE_JOBS;
        e->slices[k].hi = k + 1 < e->nslices ? (size_t)(k + 1) * SLICE_JOBS : n;
        kv_arena_init(&e->slices[k].outa);
    }
    return !r->oom;
}

static bool push_resource(run *r, const kvet_resource *from)
{
    kvet_result *res = &r->res->pub;
    if (res->nresources == r->res->capresources) {
        size_t cap = r->res->capresources ? r->res->capresources * 2 : 64;
        kvet_resource *nr = realloc(res->resources, cap * sizeof *nr);
        if (!nr) {
            r->oom = true;
            return false;
        }
        res->resources = nr;
        r->res->capresources = cap;
    }
    res->resources[res->nresources++] = *from;
    return true;
}

/* Main thread, in input order: what eval_parsed_unit does after evaluating
 * each document, for a slice of a unit a thread evaluated. */
static void merge_slice(run *r, uint32_t ui, uint32_t si)
{
    unit *u = &r->units[ui];
    unit_eval *e = u->ev;
    slice *sl = &e->slices[si];
    kvet_result *res = &r->res->pub;
    if (si == 0) {
        e->merge_before = kvet_diag_count(r->ctx);
        e->merge_given = 0;
        for (size_t k = 0; k < e->ncdiags; k++)
            kv_diag_attach(r->ctx, &e->cdiags[k]);
        free(e->cdiags);
        e->cdiags = NULL;
        e->ncdiags = 0;
    }
    r->cur_unit = ui;
    r->oom |= sl->woom;
    size_t k = 0;
    for (size_t i = sl->lo; i < sl->hi; i++) {
        const job_doc *j = &e->jobs[i];
        while (e->merge_given < j->mark && e->merge_given < u->ndiags)
            kv_diag_attach(r->ctx, &u->diags[e->merge_given++]);
        if (j->skip == JOB_DUPLICATE)
            res->duplicates++;
        if (j->skip != JOB_EVAL || k >= sl->nout)
            continue;
        if (push_resource(r, &sl->out[k]))
            settle_resource(r, &res->resources[res->nresources - 1], j->root);
        else
            memset(&sl->out[k], 0, sizeof sl->out[k]);
        k++;
    }
    /* what a thread made that could not be merged (out of memory) */
    if (k < sl->nout)
        release_resources(sl->out + k, sl->nout - k);
    free(sl->out);
    sl->out = NULL;
    sl->nout = 0;
    out_end(r, &sl->outa);
    /* a thread's errors (failed rules) come before the unit's input errors */
    for (size_t w = 0; w < sl->nwerr; w++)
        take_error(r, &res->errors, &res->nerrors, &r->res->caperrors, sl->werr[w]);
    free(sl->werr);
    sl->werr = NULL;
    sl->nwerr = 0;
}

/* Main thread, once every slice of unit ui is merged. */
static void finish_unit(run *r, uint32_t ui)
{
    unit *u = &r->units[ui];
    unit_eval *e = u->ev;
    kvet_result *res = &r->res->pub;
    while (e->merge_given < u->ndiags)
        kv_diag_attach(r->ctx, &u->diags[e->merge_given++]);
    free(u->diags);
    u->diags = NULL;
    u->ndiags = 0;
    kv_arena_free(&u->pending);
    free(u->own);
    u->own = NULL;
    u->nown = u->capown = 0;
    size_t merge_before = e->merge_before;
    free(e->jobs);
    free(e->slices);
    kv_arena_free(&e->nsa);
    free(e);
    u->ev = NULL;
    collect_input_errors(r, merge_before);
    kvet_input_info *info = NULL;
    if (u->origin != SIZE_MAX && u->origin < res->ninputs)
        info = &res->inputs[u->origin];
    count_input(r, info, u->len, &u->st);
}

/* Pass 2 with threads: the slices of parsed units are evaluated by them,
 * `window` slices at most ahead of the one merged next; a unit that is not
 * parsed is read and evaluated by the main thread once the threads are
 * idle.  `ah` parses the units ahead (NULL after pass 1, which parsed them
 * all). */
static void eval_units_pooled(run *r, eval_pool *p, ahead *ah, uint32_t window)
{
    uint32_t qu = 0, qs = 0;   /* the next slice to queue: unit, slice */
    uint32_t mu = 0, ms = 0;   /* the next to merge */
    uint32_t taken = 0;
    /* documents queued and not merged, a slice counting SLICE_WEIGHT at least */
    size_t inflight = 0, room = (size_t)window * SLICE_JOBS;
    bool blocked = false;
    while (mu < r->nunits && !r->oom) {
        /* queue once half the window is free, and wake the threads once:
         * small files would otherwise cost a wake-up each */
        bool queued = false;
        while (!blocked && qu < r->nunits && (inflight < room / 2 || (queued && inflight < room)) && !r->oom) {
            if (qs == 0) {
                if (ah && taken == qu) {
                    /* with slices to merge, merge them rather than wait for
                     * a file the threads are still parsing */
                    if (mu < qu && !ahead_ready(ah, qu))
                        break;
                    take_ahead(r, ah, qu, false);
                    taken++;
                }
                if (!r->units[qu].parsed || !prepare_unit(r, qu)) {
                    blocked = true;
                    break;
                }
            }
            pool_push(p, qu, qs);
            inflight += slice_weight(&r->units[qu].ev->slices[qs]);
            queued = true;
            if (++qs == r->units[qu].ev->nslices) {
                qs = 0;
                qu++;
            }
        }
        pool_queue(p);
        if (r->oom)
            break;
        if (mu < qu || ms < qs) {
            pool_wait(p, mu, ms);
            inflight -= slice_weight(&r->units[mu].ev->slices[ms]);
            merge_slice(r, mu, ms);
            if (++ms < r->units[mu].ev->nslices)
                continue;
            finish_unit(r, mu);
            retire_scope(r, mu, p);
            ms = 0;
        } else {
            /* the threads are idle: the main thread may add source names */
            load_unit(r, mu, false);
            retire_scope(r, mu, p);
            qu++;
            blocked = false;
        }
        if (ah)
            ahead_consumed(ah, mu);
        mu++;
    }
    /* what was queued but not merged (out of memory) is released at the end */
    for (; mu < qu || (mu == qu && ms < qs); ms = 0, mu++)
        for (; ms < (mu < qu ? r->units[mu].ev->nslices : qs); ms++)
            pool_wait(p, mu, ms);
}

/* ------------------------------------------------------ units and scopes */

static unit *add_unit(run *r, const char *path, uint32_t env)
{
    if (r->nunits == r->capunits) {
        size_t cap = r->capunits ? r->capunits * 2 : 64;
        unit *nv = realloc(r->units, cap * sizeof *nv);
        if (!nv) {
            r->oom = true;
            return NULL;
        }
        r->units = nv;
        r->capunits = cap;
    }
    unit *u = &r->units[r->nunits];
    memset(u, 0, sizeof *u);
    kv_arena_init(&u->pending);
    u->env = env;
    u->origin = SIZE_MAX;
    if (path) {
        u->path = strdup(path);
        if (!u->path) {
            r->oom = true;
            return NULL;
        }
        if (strcmp(path, "-") != 0) {
            char *abs = kv_path_absolute_in(r->cwd, path);
            char *slash = abs ? strrchr(abs, '/') : NULL;
            if (slash)
                slash == abs ? (void)(slash[1] = '\0') : (void)(*slash = '\0');
            /* a folder's files come one after the other: one copy of its name */
            const unit *prev = r->nunits ? u - 1 : NULL;
            if (abs && prev && prev->dir && !strcmp(prev->dir, abs)) {
                free(abs);
                abs = prev->dir;
                u->dir_shared = true;
            }
            u->dir = abs;
        }
    }
    r->nunits++;
    return u;
}

static uint32_t add_scope(run *r, const char *name, uint32_t env)
{
    if (r->nscopes == r->capscopes) {
        size_t cap = r->capscopes ? r->capscopes * 2 : 16;
        run_scope *nv = realloc(r->scopes, cap * sizeof *nv);
        if (!nv) {
            r->oom = true;
            return 0;
        }
        r->scopes = nv;
        r->capscopes = cap;
    }
    r->scopes[r->nscopes].name = kv_arena_strdup(&r->res->arena, name);
    r->scopes[r->nscopes].env = env;
    return (uint32_t)r->nscopes++;
}

static int cmp_cstr(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* How the user wrote a unit's folder `levels` folders up: the scope's name. */
static char *shown_folder(const char *path, size_t levels)
{
    char *s = strdup(path);
    if (!s)
        return NULL;
    for (size_t i = 0; i <= levels; i++) {
        char *slash = strrchr(s, '/');
        if (!slash) {
            /* above what was written: "." or its parents */
            s[0] = '\0';
            break;
        }
        *slash = '\0';
        if (!s[0]) {
            strcpy(s, "/");
            return s;
        }
    }
    if (!s[0] || !strcmp(s, ".")) {
        free(s);
        return strdup(".");
    }
    return s;
}

static size_t depth(const char *dir)
{
    size_t n = 0;
    for (const char *p = dir; *p; p++)
        n += *p == '/';
    return dir[0] == '/' && !dir[1] ? 0 : n;
}

/* Without a project file: a folder holding input files and no such folder
 * above it is a scope, with everything below it.  Scopes depend only on
 * where files are, not on which paths were given, so checking a tree at
 * once or one folder at a time gives the same scopes. */
static void infer_scopes(run *r, size_t from)
{
    size_t n = r->nunits - from;
    char **dirs = malloc((n + 1) * sizeof *dirs);
    if (!dirs) {
        r->oom = true;
        return;
    }
    size_t nd = 0;
    for (size_t i = from; i < r->nunits; i++) {
        /* a project file next to manifests makes no folder a scope */
        const char *base = r->units[i].path ? strrchr(r->units[i].path, '/') : NULL;
        base = base ? base + 1 : r->units[i].path;
        if (r->units[i].dir && strcmp(base, "kvet.yaml") != 0)
            dirs[nd++] = r->units[i].dir;
    }
    qsort(dirs, nd, sizeof *dirs, cmp_cstr);
    size_t uniq = 0;
    for (size_t i = 0; i < nd; i++)
        if (!uniq || strcmp(dirs[uniq - 1], dirs[i]) != 0)
            dirs[uniq++] = dirs[i];
    /* scope roots, and the scope of each */
    char **roots = malloc((uniq + 1) * sizeof *roots);
    uint32_t *root_scope = malloc((uniq + 1) * sizeof *root_scope);
    size_t nroots = 0;
    if (!roots || !root_scope) {
        free(dirs);
        free(roots);
        free(root_scope);
        r->oom = true;
        return;
    }
    uint32_t stream_scope = UINT32_MAX;
    for (size_t i = from; i < r->nunits; i++) {
        unit *u = &r->units[i];
        if (!u->dir) {
            if (stream_scope == UINT32_MAX)
                stream_scope = add_scope(r, unit_name(r, u), NO_ENV);
            u->scope = stream_scope;
            continue;
        }
        /* the shortest folder at or above u's that holds input files */
        const char *top = u->dir;
        char *probe = strdup(u->dir);
        if (!probe) {
            r->oom = true;
            break;
        }
        for (char *slash = strchr(probe + 1, '/');; slash = strchr(slash + 1, '/')) {
            char keep = 0;
            if (slash) {
                keep = *slash;
                *slash = '\0';
            }
            const char *key = probe;
            char **hit = bsearch(&key, dirs, uniq, sizeof *dirs, cmp_cstr);
            if (slash)
                *slash = keep;
            if (hit) {
                top = *hit;
                break;
            }
            if (!slash)
                break;
        }
        free(probe);
        size_t k = 0;
        while (k < nroots && strcmp(roots[k], top) != 0)
            k++;
        if (k == nroots) {
            roots[nroots] = (char *)top;
            char *name = shown_folder(u->path, depth(u->dir) - depth(top));
            root_scope[nroots++] = add_scope(r, name ? name : top, NO_ENV);
            free(name);
        }
        u->scope = root_scope[k];
    }
    free(dirs);
    free(roots);
    free(root_scope);
}

/* Files of the project matching any of the patterns (relative to its
 * root); `files` are the run's inputs. */
static bool matches_any(const kv_strings *pats, const char *rel)
{
    for (size_t i = 0; i < pats->n; i++)
        if (kv_path_glob(pats->v[i], rel))
            return true;
    return false;
}

/* A project's cluster files: each entry a file or folder below the root,
 * or a glob over the files below it. */
static void env_cluster_files(run *r, const kv_project_env *e, char ***out, size_t *nout)
{
    const char *root = r->project->root;
    char **all = NULL;
    size_t nall = 0;
    bool walked = false;
    for (size_t i = 0; i < e->cluster.n; i++) {
        const char *pat = e->cluster.v[i];
        if (!kv_path_is_glob(pat)) {
            size_t len = strlen(root) + strlen(pat) + 2;
            char *p = malloc(len);
            if (!p) {
                r->oom = true;
                continue;
            }
            snprintf(p, len, "%s/%s", root, pat);
            char **got = NULL;
            size_t ngot = 0;
            size_t before = kvet_diag_count(r->ctx);
            const char *one = p;
            if (kv_expand_inputs(r->ctx, &one, 1, &got, &ngot) < 0)
                collect_input_errors(r, before);
            for (size_t k = 0; k < ngot; k++) {
                char **nv = realloc(*out, (*nout + 1) * sizeof *nv);
                if (!nv) {
                    free(got[k]);
                    r->oom = true;
                    continue;
                }
                *out = nv;
                (*out)[(*nout)++] = got[k];
            }
            free(got);
            free(p);
            continue;
        }
        if (!walked) {
            size_t before = kvet_diag_count(r->ctx);
            if (kv_expand_inputs(r->ctx, &root, 1, &all, &nall) < 0)
                collect_input_errors(r, before);
            walked = true;
        }
        size_t found = 0;
        for (size_t k = 0; k < nall; k++) {
            char *rel = kv_path_relative(root, all[k]);
            if (rel && kv_path_glob(pat, rel)) {
                char **nv = realloc(*out, (*nout + 1) * sizeof *nv);
                char *dup = strdup(all[k]);
                if (!nv || !dup) {
                    free(dup);
                    r->oom = true;
                } else {
                    *out = nv;
                    (*out)[(*nout)++] = dup;
                    found++;
                }
            }
            free(rel);
        }
        if (!found) {
            char msg[512];
            snprintf(msg, sizeof msg, "environment '%s': cluster: '%s' matches no file", e->name, pat);
            kv_diag(r->ctx, KVET_SEV_ERROR, r->project->file, e->line, 0, 0, NULL, "%s", msg);
            add_error(r, r->project->file, e->line, 0, msg);
        }
    }
    kv_free_strings(all, nall);
}

static bool env_selected(const run *r, const char *name)
{
    if (!r->in->nenvs)
        return true;
    for (size_t i = 0; i < r->in->nenvs; i++)
        if (!strcmp(r->in->envs[i], name))
            return true;
    return false;
}

/* With a project file: each environment a scope of its manifests and its
 * cluster files; inputs in no environment are reported and not checked. */
static void project_units(run *r, char **files, size_t nfiles, const size_t *origin)
{
    const kvet_project *p = r->project;
    bool *claimed = calloc(nfiles + 1, sizeof *claimed);
    char **rel = calloc(nfiles + 1, sizeof *rel);
    if (!claimed || !rel) {
        free(claimed);
        free(rel);
        r->oom = true;
        return;
    }
    /* each path made absolute once: the environments compare them */
    char **abs = calloc(nfiles + 1, sizeof *abs);
    char *project_file = kv_path_absolute_in(r->cwd, p->file);
    char *root = kv_path_absolute_in(r->cwd, p->root);
    if (!abs || !project_file || !root) {
        free(claimed);
        free(rel);
        free(abs);
        free(project_file);
        free(root);
        r->oom = true;
        return;
    }
    for (size_t i = 0; i < nfiles; i++) {
        abs[i] = strcmp(files[i], "-") != 0 ? kv_path_absolute_in(r->cwd, files[i]) : NULL;
        rel[i] = abs[i] ? kv_path_relative_abs(root, abs[i]) : NULL;
        /* the project file itself is no manifest */
        if (abs[i] && !strcmp(abs[i], project_file))
            claimed[i] = true;
    }
    free(project_file);
    free(root);
    for (size_t i = 0; i < r->in->nenvs; i++) {
        bool known = false;
        for (size_t e = 0; e < p->nenvs; e++)
            known |= !strcmp(p->envs[e].name, r->in->envs[i]);
        if (!known) {
            char msg[512];
            snprintf(msg, sizeof msg, "--env %s: %s declares no environment of that name", r->in->envs[i], p->file);
            kv_diag(r->ctx, KVET_SEV_ERROR, NULL, 0, 0, 0, NULL, "%s", msg);
            add_error(r, NULL, 0, 0, msg);
        }
    }
    for (size_t e = 0; e < p->nenvs; e++) {
        const kv_project_env *env = &p->envs[e];
        bool selected = env_selected(r, env->name);
        char **cl = NULL;
        size_t ncl = 0;
        env_cluster_files(r, env, &cl, &ncl);
        char **clabs = calloc(ncl + 1, sizeof *clabs);
        if (!clabs)
            r->oom = true;
        for (size_t k = 0; k < ncl && clabs; k++)
            clabs[k] = kv_path_absolute_in(r->cwd, cl[k]);
        uint32_t sc = selected ? add_scope(r, p->root, (uint32_t)e) : 0;
        for (size_t k = 0; k < ncl && selected; k++) {
            unit *u = add_unit(r, cl[k], (uint32_t)e);
            if (u) {
                u->scope = sc;
                u->env_cluster = true;
            }
        }
        for (size_t i = 0; i < nfiles; i++) {
            const char *rp = rel[i];
            if (!rp && strcmp(files[i], "-") != 0)
                continue;
            /* stdin belongs to an environment only when it is the only one checked */
            bool in = rp ? matches_any(&env->paths, rp) && !matches_any(&env->exclude, rp) &&
                               !matches_any(&p->exclude, rp)
                         : r->in->nenvs == 1;
            if (rp && matches_any(&p->exclude, rp))
                claimed[i] = true;
            bool dup = false;
            for (size_t k = 0; k < ncl && clabs && !dup; k++)
                dup = clabs[k] && abs[i] && !strcmp(clabs[k], abs[i]);
            if (dup) {
                claimed[i] = true; /* one of the environment's cluster files: read as such */
                continue;
            }
            if (!in)
                continue;
            claimed[i] = true;
            if (!selected)
                continue;
            unit *u = add_unit(r, files[i], (uint32_t)e);
            if (u) {
                u->scope = sc;
                u->origin = origin ? origin[i] : SIZE_MAX;
            }
        }
        kv_free_strings(cl, ncl);
        if (clabs)
            kv_free_strings(clabs, ncl);
    }
    for (size_t i = 0; i < nfiles; i++) {
        if (claimed[i])
            continue;
        if (origin && origin[i] < r->res->pub.ninputs)
            r->res->pub.inputs[origin[i]].unassigned++;
        if (!rel[i] && strcmp(files[i], "-") != 0)
            add_warning(r, files[i], 0, 0, "not below the project's folder (%s): not checked", p->root);
        else if (!rel[i])
            add_warning(r, "<stdin>", 0, 0,
                        "standard input belongs to no environment: pick one with --env NAME; not checked");
        else
            add_warning(r, files[i], 0, 0,
                        "in no environment of %s (add it to an environment's paths, or to exclude): not checked",
                        p->file);
    }
    kv_free_strings(rel, nfiles);
    kv_free_strings(abs, nfiles);
    free(claimed);
}

/* Each environment's parameters: the pack's (after --set), then its own. */
static void project_params(run *r)
{
    const kvet_project *p = r->project;
    r->env_params = kv_arena_calloc(&r->res->arena, (p->nenvs + 1) * sizeof *r->env_params);
    if (!r->env_params) {
        r->oom = true;
        return;
    }
    for (size_t e = 0; e < p->nenvs; e++) {
        const kv_project_env *env = &p->envs[e];
        if (!env->set_names.n)
            continue;
        kvet_value *vals = kv_arena_calloc(&r->res->arena, (r->prog->nparams + 1) * sizeof *vals);
        if (!vals) {
            r->oom = true;
            return;
        }
        for (uint32_t k = 0; k < r->prog->nparams; k++)
            vals[k] = r->prog->params[k].value;
        char what[300];
        snprintf(what, sizeof what, "environment '%s': set:", env->name);
        size_t before = kvet_diag_count(r->ctx);
        if (kv_program_param_values(r->ctx, r->prog, what, p->file, env->line,
                                    (const char *const *)env->set_names.v, (const char *const *)env->set_values.v,
                                    env->set_names.n, &r->res->arena, vals) < 0)
            collect_input_errors(r, before);
        r->env_params[e] = vals;
    }
}

/* One kvet_input_info per path, and one for the buffer. */
static void describe_inputs(run *r, const kv_walk_stats *ws)
{
    const kvet_inputs *in = r->in;
    size_t n = in->npaths + (in->buffer ? 1 : 0);
    kvet_result *res = &r->res->pub;
    res->inputs = calloc(n + 1, sizeof *res->inputs);
    if (!res->inputs) {
        r->oom = true;
        return;
    }
    res->ninputs = n;
    for (size_t i = 0; i < in->npaths; i++) {
        kvet_input_info *info = &res->inputs[i];
        info->path = rdup(r, input_name(r, in->paths[i]), strlen(input_name(r, in->paths[i])));
        info->folder = ws[i].folder;
        info->files = ws[i].files;
        info->hidden = ws[i].hidden;
        info->excluded = ws[i].excluded;
        info->other = ws[i].other;
    }
    if (in->buffer) {
        const char *name = in->buffer_name ? in->buffer_name : "<memory>";
        res->inputs[n - 1].path = rdup(r, name, strlen(name));
        res->inputs[n - 1].files = 1;
    }
}

kvet_result *kvet_check(kvet_ctx *ctx, const kvet_pack *pack, const kvet_inputs *in)
{
    result_impl *ri = calloc(1, sizeof *ri);
    if (!ri)
        return NULL;
    kv_arena_init(&ri->arena);
    kv_arena_init(&ri->queries);
    run r;
    memset(&r, 0, sizeof r);
    /* read once for all the inputs' folders (NULL: each asks again) */
    char cwd[PATH_MAX];
    r.cwd = getcwd(cwd, sizeof cwd);
    r.ctx = ctx;
    r.prog = pack;
    r.in = in;
    r.project = in->project;
    r.res = ri;
    kv_arena_init(&r.scratch);
    r.out = &ri->arena;
    r.stream = in->on_resource && !in->want_trace && !in->coverage;
    kv_arena_init(&r.index_arena);
    kv_arena_init(&r.ns_arena);
    kv_env_plan *plan = kv_env_plan_new(pack);
    r.plan = plan;
    ri->pub.rule_evaluated = calloc(pack->nrules + 1, sizeof(size_t));
    ri->pub.rule_findings = calloc(pack->nrules + 1, sizeof(size_t));
    ri->pub.rule_passed = calloc(pack->nrules + 1, sizeof(size_t));
    ri->pub.derive_applied = calloc(pack->nderives + 1, sizeof(size_t));
    ri->pub.derive_valued = calloc(pack->nderives + 1, sizeof(size_t));
    char **files = NULL, **cluster = NULL;
    size_t nfiles = 0, ncluster = 0, *origin = NULL;
    if (!plan || !ri->pub.rule_evaluated || !ri->pub.rule_findings || !ri->pub.rule_passed ||
        !ri->pub.derive_applied || !ri->pub.derive_valued) {
        r.oom = true;
        goto done;
    }
    for (uint32_t i = 0; i < pack->nrules; i++)
        if (pack->rules[i].enabled)
            ri->pub.nrules++;

    size_t before = kvet_diag_count(ctx);
    kv_walk_opts wo = {in->exclude, in->nexclude};
    kv_walk_stats *ws = calloc(in->npaths + 1, sizeof *ws);
    if (!ws) {
        r.oom = true;
        goto done;
    }
    if (kv_expand_inputs_ex(ctx, in->paths, in->npaths, &wo, &files, &nfiles, &origin, ws) < 0)
        collect_input_errors(&r, before);
    describe_inputs(&r, ws);
    free(ws);
    before = kvet_diag_count(ctx);
    if (in->ncluster && kv_expand_inputs(ctx, in->cluster, in->ncluster, &cluster, &ncluster) < 0)
        collect_input_errors(&r, before);
    r.ws.arena = &ri->arena;
    r.ws.today = in->today;
    for (size_t i = 0; i < in->nwaiver_files; i++) {
        before = kvet_diag_count(ctx);
        if (kv_waivers_load_file(ctx, &r.ws, in->waiver_files[i]) < 0)
            collect_input_errors(&r, before);
    }
    r.ws.nfile = r.ws.n;
    if (in->baseline) {
        before = kvet_diag_count(ctx);
        if (kv_baseline_load(ctx, &r.ws, in->baseline) < 0)
            collect_input_errors(&r, before);
        /* known from the start: a report written while the run goes on
         * (on_resource) says which findings the baseline holds */
        ri->pub.baseline_file = r.ws.baseline_file;
    }

    /* units: --cluster files (one scope of their own, seen everywhere), then
     * the environments' or the inferred scopes' */
    if (ncluster) {
        uint32_t sc = add_scope(&r, "--cluster", NO_ENV);
        for (size_t i = 0; i < ncluster; i++) {
            unit *u = add_unit(&r, cluster[i], NO_ENV);
            if (u) {
                u->option = true;
                u->scope = sc;
            }
        }
    }
    if (r.project) {
        project_params(&r);
        project_units(&r, files, nfiles, origin);
    } else {
        size_t from = r.nunits;
        for (size_t i = 0; i < nfiles; i++) {
            unit *u = add_unit(&r, files[i], NO_ENV);
            if (u)
                u->origin = origin ? origin[i] : SIZE_MAX;
        }
        infer_scopes(&r, from);
    }
    if (in->buffer) {
        size_t from = r.nunits;
        unit *u = add_unit(&r, NULL, NO_ENV);
        if (u)
            u->origin = ri->pub.ninputs ? ri->pub.ninputs - 1 : SIZE_MAX; /* the buffer is the last input */
        if (u && r.project && in->nenvs == 1) {
            /* held in memory for one environment */
            for (size_t e = 0; e < r.project->nenvs; e++)
                if (!strcmp(r.project->envs[e].name, in->envs[0])) {
                    u->env = (uint32_t)e;
                    for (size_t s = 0; s < r.nscopes; s++)
                        if (r.scopes[s].env == e)
                            u->scope = (uint32_t)s;
                }
        } else if (u) {
            infer_scopes(&r, from);
        }
    }
    r.doc_src_min = (uint32_t)ctx->nsources;
    /* no unit is added from here on: give back what doubling left over
     * (a unit a file, in a repository of many files) */
    if (r.nunits && r.nunits < r.capunits) {
        unit *v = realloc(r.units, r.nunits * sizeof *v);
        if (v) {
            r.units = v;
            r.capunits = r.nunits;
        }
    }
    /* stdin read by one unit only can be read as it is loaded */
    size_t nstdin = 0;
    for (size_t i = 0; i < r.nunits; i++)
        nstdin += r.units[i].path && !strcmp(r.units[i].path, "-");
    r.stdin_once = nstdin == 1;

    if (in->want_stats) {
        ri->pub.stats = calloc(1, sizeof *ri->pub.stats);
        if (ri->pub.stats) {
            ri->pub.stats->npacks = pack->npacks;
            ri->pub.stats->pack_s = calloc(pack->npacks + 1, sizeof *ri->pub.stats->pack_s);
            ri->pub.stats->nrules = pack->nrules;
            ri->pub.stats->rule_s = calloc(pack->nrules + 1, sizeof *ri->pub.stats->rule_s);
            ri->pub.stats->nderives = pack->nderives;
            ri->pub.stats->derive_each_s = calloc(pack->nderives + 1, sizeof *ri->pub.stats->derive_each_s);
            ri->pub.stats->nfns = pack->nfns;
            ri->pub.stats->fn_steps = calloc(pack->nfns + 1, sizeof *ri->pub.stats->fn_steps);
            ri->pub.stats->fn_calls = calloc(pack->nfns + 1, sizeof *ri->pub.stats->fn_calls);
        }
        if (!ri->pub.stats || !ri->pub.stats->pack_s || !ri->pub.stats->rule_s || !ri->pub.stats->derive_each_s ||
            !ri->pub.stats->fn_steps || !ri->pub.stats->fn_calls)
            r.oom = true;
        else
            r.st = ri->pub.stats;
    }
    double t_pass1 = 0, t_group = 0, t_pass2;
    /* --stats times parsing and evaluation apart: it parses in the main thread */
    unsigned jobs = r.st ? 1 : in->jobs;
    /* one file is parsed by one thread: a cluster's large List shares the
     * conversion of its items, and a large YAML file the parsing of its
     * parts (yaml_split.c), when no other input is large (the cluster
     * configuration beside it, say); with several, each thread has its own */
    r.large_files = large_inputs(&r);
    r.list_threads = jobs > 1 && r.large_files <= 1 ? jobs : 1;
    ahead ah;
    bool threads = false;
    if (pack->nqueries && !r.oom) {
        double t0 = r.st ? now_s() : 0;
        /* the threads parse a few units ahead of the index, each making
         * the index's copies of the queried documents it parses; the main
         * thread notes them in input order */
        threads = jobs > 1 && r.nunits > 1 && ahead_start(&ah, &r, jobs, 4 * jobs);
        for (uint32_t i = 0; i < r.nunits && !r.oom; i++) {
            if (!threads || !take_ahead(&r, &ah, i, true))
                load_unit(&r, i, true);
            if (threads)
                ahead_consumed(&ah, i);
        }
        if (threads)
            ahead_stop(&ah);
        r.ids_noted = true;
        /* the index is complete: its strings stay, the table that found
         * them is not needed again */
        kv_strset_free(&r.index_strs);
        double t1 = r.st ? now_s() : 0;
        if (r.st)
            r.st->parse_rss_kb = peak_rss_kb();
        group_index(&r);
        if (r.st) {
            t_pass1 = t1 - t0;
            t_group = now_s() - t1;
            r.st->index_rss_kb = peak_rss_kb();
        }
    }
    t_pass2 = r.st ? now_s() : 0;
    if (!r.oom)
        plan_retirement(&r);
    /* without pass 1, the threads parse a few units ahead of evaluation:
     * twice as far as units are queued for evaluation, so the unit queued
     * next has been parsed while others were evaluated (with the same
     * distance its parse would only start when the main thread needs it) */
    uint32_t window = 4 * jobs;
    threads = !pack->nqueries && !r.oom && jobs > 1 && r.nunits > 1 && ahead_start(&ah, &r, jobs, 2 * window);
    eval_pool pool;
    /* threads evaluate too, unless the run traces or measures coverage (their
     * records are the main thread's); one file alone is theirs to share
     * when pass 1 has parsed it */
    bool pooled = jobs > 1 && (r.nunits > 1 || (r.nunits == 1 && pack->nqueries)) && !r.oom && !in->want_trace &&
                  !in->coverage && pool_start(&pool, &r, jobs, window);
    if (pooled) {
        eval_units_pooled(&r, &pool, threads ? &ah : NULL, window);
        pool_stop(&pool);
    } else {
        /* a unit pass 1 could not read is read again, to report it */
        for (uint32_t i = 0; i < r.nunits && !r.oom; i++) {
            if (threads)
                take_ahead(&r, &ah, i, false);
            if (r.units[i].parsed)
                eval_parsed_unit(&r, i);
            else
                load_unit(&r, i, false);
            retire_scope(&r, i, NULL);
            if (threads)
                ahead_consumed(&ah, i);
        }
    }
    if (threads)
        ahead_stop(&ah);
    if (r.st) {
        /* with nothing queried, parsing and evaluation interleave in one pass */
        t_pass2 = now_s() - t_pass2;
        r.st->parse_s = t_pass1 + (t_pass2 - r.t_items);
        r.st->index_s = t_group + r.t_lazy_index;
        r.st->evaluate_s = r.t_items - r.t_lazy_index;
        r.st->evaluate_rss_kb = peak_rss_kb();
        r.st->contexts = r.ncontexts;
        r.st->contexts_held = r.contexts_held_max;
        if (!pack->nqueries)
            r.st->parse_rss_kb = r.st->index_rss_kb = r.st->evaluate_rss_kb;
    }
    report_duplicates(&r);
    ri->pub.used_cluster_defaults = !r.found_cluster_config;
    kv_waivers_finish(ctx, &r.ws);
    kv_baseline_finish(ctx, &r.ws);
    /* the result keeps the baseline's entries (their strings are in its arena) */
    ri->pub.baseline_file = r.ws.baseline_file;
    ri->pub.baseline = r.ws.baseline;
    ri->pub.nbaseline = r.ws.nbaseline;
    for (size_t i = 0; i < r.ws.nbaseline; i++)
        ri->pub.stale_baseline += !r.ws.baseline[i].matched;
    r.ws.baseline = NULL;
    r.ws.nbaseline = 0;
    if (r.ws.n) {
        ri->pub.waivers = calloc(r.ws.n, sizeof *ri->pub.waivers);
        if (!ri->pub.waivers) {
            r.oom = true;
        } else {
            for (size_t i = 0; i < r.ws.n; i++)
                ri->pub.waivers[i] = r.ws.v[i]->pub;
            ri->pub.nwaivers = r.ws.n;
            /* findings point into the run's list: move them to the result's */
            for (size_t i = 0; i < ri->pub.nresources; i++)
                for (size_t k = 0; k < ri->pub.resources[i].nfindings; k++) {
                    kvet_finding *f = &ri->pub.resources[i].findings[k];
                    if (f->waiver)
                        f->waiver = &ri->pub.waivers[((const kv_waiver *)f->waiver)->index];
                }
        }
    }

done:
    if (r.oom)
        add_error(&r, NULL, 0, 0, "out of memory");
    kv_free_strings(files, nfiles);
    free(origin);
    kv_free_strings(cluster, ncluster);
    for (size_t i = 0; i < r.nunits; i++) {
        free(r.units[i].path);
        if (!r.units[i].dir_shared)
            free(r.units[i].dir);
        for (size_t k = 0; k < r.units[i].ndiags; k++)
            kv_diag_release(&r.units[i].diags[k]);
        free(r.units[i].diags);
        kv_arena_free(&r.units[i].pending);
        free(r.units[i].own);
        /* what threads evaluated and no one merged (out of memory) */
        unit_eval *e = r.units[i].ev;
        if (!e)
            continue;
        for (uint32_t si = 0; si < e->nslices; si++) {
            slice *sl = &e->slices[si];
            release_resources(sl->out, sl->nout);
            free(sl->out);
            release_errors(sl->werr, sl->nwerr);
            kv_arena_free(&sl->outa);
        }
        free(e->slices);
        for (size_t k = 0; k < e->ncdiags; k++)
            kv_diag_release(&e->cdiags[k]);
        free(e->cdiags);
        free(e->jobs);
        kv_arena_free(&e->nsa);
        free(e);
    }
    kv_arena_free(&r.outa);
    free(r.units);
    free(r.scopes);
    for (size_t i = 0; i < r.ncontexts; i++)
        free_context(&r, r.contexts[i]);
    free(r.contexts);
    free(r.scope_last);
    free(r.scope_ctxs);
    kv_env_plan_free(plan); /* after the envs made with it */
    kv_memo_free(r.memo);
    kv_regex_cache_free(r.regex);
    free(r.chosen);
    free(r.chosen_slot);
    for (size_t s = 0; r.scope_docs && s < r.nscopes; s++)
        free(r.scope_docs[s]);
    free(r.scope_docs);
    free(r.nscope_docs);
    free(r.global_docs);
    free(r.cfg_warned);
    free(r.cfg_docs);
    ident_free(&r.ids);
    free(r.docs);
    free(r.findings);
    free(r.outcomes);
    free(r.stdin_data);
    kv_waivers_free(&r.ws);
    kv_arena_free(&r.scratch);
    kv_strset_free(&r.shared);
    kv_arena_free(&r.index_arena);
    kv_strset_free(&r.index_strs);
    kv_arena_free(&r.ns_arena);
    free(r.events);
    if (!r.oom)
        kv_coverage_add(in->coverage, pack, &ri->pub);
    return &ri->pub;
}

const char *kvet_config_origin_name(kvet_config_origin o)
{
    switch (o) {
    case KVET_CONFIG_OPTION: return "option";
    case KVET_CONFIG_ENVIRONMENT: return "environment";
    case KVET_CONFIG_MANIFESTS: return "manifests";
    case KVET_CONFIG_FOLDER: return "folder";
    }
    return "?";
}

kvet_outcome_status kvet_outcome_of(const kvet_pack *pack, const kvet_resource *r, size_t rule,
                                    const kvet_outcome **outcome, kvet_na_reason *why)
{
    if (outcome)
        *outcome = NULL;
    if (why)
        *why = KVET_NA_NONE;
    /* outcomes are in rule order: a binary search */
    size_t lo = 0, hi = r->noutcomes;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (r->outcomes[mid].rule < rule)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo < r->noutcomes && r->outcomes[lo].rule == rule) {
        if (outcome)
            *outcome = &r->outcomes[lo];
        return (kvet_outcome_status)r->outcomes[lo].status;
    }
    kvet_na_reason w = KVET_NA_SELECTOR;
    if (pack && rule < pack->nrules) {
        const kv_rule *ru = &pack->rules[rule];
        const kv_block *b = ru->block < pack->nblocks ? &pack->blocks[ru->block] : NULL;
        const char *kind = r->kind ? r->kind : "", *api = r->api_version ? r->api_version : "";
        bool selected = false;
        for (uint32_t i = 0; b && i < b->nsel && !selected; i++)
            selected = kv_selector_match(&b->sel[i], kind, strlen(kind), api, strlen(api));
        w = !ru->enabled ? KVET_NA_DISABLED : selected ? KVET_NA_WHERE : KVET_NA_SELECTOR;
    }
    if (why)
        *why = w;
    return KVET_OUTCOME_NOT_APPLICABLE;
}

const char *kvet_outcome_name(kvet_outcome_status s)
{
    static const char *const names[] = {"pass", "fail", "waived", "baselined", "error", "not applicable"};
    return (unsigned)s < sizeof names / sizeof names[0] ? names[s] : "?";
}

const char *kvet_na_reason_text(kvet_na_reason w)
{
    switch (w) {
    case KVET_NA_NONE: return "it applied";
    case KVET_NA_DISABLED: return "the rule is disabled";
    case KVET_NA_SELECTOR: return "its block selects other kinds or apiVersions";
    case KVET_NA_WHERE: return "its block's where condition did not hold";
    }
    return "?";
}

void kvet_result_free(kvet_result *res)
{
    if (!res)
        return;
    result_impl *ri = (result_impl *)res;
    if (res->stats) {
        free(res->stats->pack_s);
        free(res->stats->rule_s);
        free(res->stats->derive_each_s);
        free(res->stats->fn_steps);
        free(res->stats->fn_calls);
        free(res->stats);
    }
    release_resources(res->resources, res->nresources);
    for (size_t i = 0; i < res->nresources; i++) {
        kvet_resource *rs = &res->resources[i];
        for (size_t k = 0; k < rs->ntrace; k++) {
            free(rs->trace[k].expr);
            free(rs->trace[k].reads);
        }
        free(rs->trace);
    }
    free(res->resources);
    release_errors(res->errors, res->nerrors);
    release_errors(res->warnings, res->nwarnings);
    free(res->contexts);
    free(res->waivers);
    free(res->baseline);
    free(res->inputs);
    free(res->rule_evaluated);
    free(res->rule_findings);
    free(res->rule_passed);
    free(res->derive_applied);
    free(res->derive_valued);
    kv_arena_free(&ri->arena);
    kv_arena_free(&ri->queries);
    for (size_t i = 0; i < ri->nmore; i++)
        kv_arena_free(&ri->more[i]);
    free(ri->more);
    free(ri);
}
