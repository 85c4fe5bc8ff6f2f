/*
 * kvet.h - the public C API of libkvet.
 *
 * libkvet compiles rule packs written in the kvet language and evaluates them
 * over Kubernetes manifests.  The library never prints and never exits: every
 * failure is returned to the caller as a diagnostic record (kvet_diag) that
 * carries a file, a position and a message.  All state lives in explicit
 * handles; there is no mutable global state, so independent contexts may be
 * used from different threads.
 *
 * Typical use:
 *
 *   kvet_ctx *ctx = kvet_ctx_new();
 *   kvet_pack *pack = kvet_pack_load(ctx, paths, npaths);   // sources or compiled
 *   kvet_result *res = kvet_check(ctx, pack, &inputs);
 *   ... read res->resources / res->errors, then kvet_result_free(res) ...
 *   kvet_pack_free(pack); kvet_ctx_free(ctx);
 */
#ifndef KVET_KVET_H
#define KVET_KVET_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define KVET_FORMAT_VERSION 1 /* version of the JSON report format */

/* ------------------------------------------------------------------------
 * Values
 *
 * One small tagged value type serves documents, rule evaluation and derived
 * values.  Values are immutable and owned by an arena (a document, a
 * compilation or a result); they are never freed one by one.  ABSENT is the
 * value of a path that does not exist and is distinct from null, 0 and "".
 * ------------------------------------------------------------------------ */
typedef enum kvet_type {
    KVET_ABSENT = 0,
    KVET_NULL,
    KVET_BOOL,
    KVET_INT,
    KVET_FLOAT,
    KVET_STRING,
    KVET_LIST,
    KVET_MAP
} kvet_type;

typedef struct kvet_string {
    uint32_t len;
    char data[]; /* len bytes, then a NUL (the text may itself hold NULs) */
} kvet_string;

struct kvet_list;
struct kvet_map;

/* Where a value came from: a source (a manifest or a rule file, see
 * kvet_source_name) and a 1-based line and column.  src 0 = unknown. */
typedef struct kvet_value {
    uint8_t type;   /* kvet_type */
    uint8_t flags;  /* KVET_VF_* */
    uint16_t reserved;
    uint32_t src;
    uint32_t line, col;
    union {
        int b;
        int64_t i;
        double f;
        const kvet_string *s;
        const struct kvet_list *l;
        const struct kvet_map *m;
    } u;
} kvet_value;

#define KVET_VF_QUOTED 0x01 /* a YAML scalar written in quotes */
#define KVET_VF_LITERAL 0x02 /* a YAML literal block scalar (|): line and col are its
                                indicator's, `reserved` the column its text lines start at */

typedef struct kvet_list {
    uint32_t n;
    kvet_value items[];
} kvet_list;

typedef struct kvet_map_entry {
    const kvet_string *key;
    kvet_value val;
} kvet_map_entry;

/* Maps keep insertion (document) order. */
typedef struct kvet_map {
    uint32_t n;
    kvet_map_entry e[];
} kvet_map;

/* Lookup of a key in a map value; returns an ABSENT value (positioned at
 * the map) when the key is missing or v is not a map. */
kvet_value kvet_map_get(kvet_value map, const char *key, size_t keylen);

/* ------------------------------------------------------------------------
 * Diagnostics
 * ------------------------------------------------------------------------ */
typedef enum kvet_severity {
    KVET_SEV_INFO = 0,
    KVET_SEV_WARNING = 1,
    KVET_SEV_ERROR = 2,
    KVET_SEV_NOTE = 3 /* diagnostics only: extra information */
} kvet_severity;

typedef struct kvet_diag {
    kvet_severity severity;
    char *file;     /* NULL when no file is involved (e.g. a bad --set) */
    uint32_t line;  /* 1-based; 0 = unknown */
    uint32_t col;   /* 1-based; 0 = unknown */
    uint32_t width; /* caret width in columns, >= 1 when col > 0 */
    char *message;
    char *excerpt;  /* the source line, without newline (its first 4,096 bytes
                       and "..." when it is longer); may be NULL */
    char *hint;     /* "did you mean ...", may be NULL */
} kvet_diag;

/* ------------------------------------------------------------------------
 * Context: limits, parameters and collected diagnostics.
 * ------------------------------------------------------------------------ */
typedef struct kvet_limits {
    uint64_t max_alias_expansion; /* nodes created through YAML aliases per document */
    uint32_t max_depth;           /* nesting depth of documents and rule expressions */
    uint64_t max_document_bytes;  /* size of one input file or of stdin (default 2 GiB) */
    uint64_t max_steps;           /* VM instructions per document */
    uint32_t max_call_depth;      /* user function recursion */
    uint32_t regex_match_limit;   /* PCRE2 match limit */
    uint32_t regex_depth_limit;   /* PCRE2 depth limit */
    uint64_t max_string_bytes;    /* largest string a rule may build */
    int regex_jit;                /* 1: JIT-compile regular expressions when possible */
} kvet_limits;

typedef struct kvet_ctx kvet_ctx;

kvet_ctx *kvet_ctx_new(void);
void kvet_ctx_free(kvet_ctx *ctx);

/* The defaults are documented in docs/security.md. */
kvet_limits kvet_default_limits(void);
void kvet_ctx_set_limits(kvet_ctx *ctx, const kvet_limits *limits);
const kvet_limits *kvet_ctx_limits(const kvet_ctx *ctx);

/* Lints: warnings, raised while rules compile, about rules that may pass
 * without saying so (docs/language.md, "Absent values").  On by default;
 * `kvet compile` and `kvet test` show them, `kvet check` and the other
 * commands that run a pack turn them off so that every run does not repeat
 * them. */
void kvet_ctx_set_lints(kvet_ctx *ctx, int on);

/* Override a pack parameter by name, as `--set name=value` does.  The text
 * is read as a kvet literal when it is one (int, float, bool, quoted
 * string, list) and as a string otherwise. Returns 0, or -1 with a diag. */
int kvet_ctx_set_param(kvet_ctx *ctx, const char *name, const char *value);

/* Diagnostics collected so far (in the order they were raised), and a way
 * to drop them once rendered. */
size_t kvet_diag_count(const kvet_ctx *ctx);
const kvet_diag *kvet_diag_at(const kvet_ctx *ctx, size_t i);
size_t kvet_error_count(const kvet_ctx *ctx);
void kvet_diag_clear(kvet_ctx *ctx);

/* Render a diagnostic GCC-style:
 *   file:line:col: error: message
 *    12 |   rule X error "t"
 *       |        ^~~~
 *   hint: did you mean ...?
 * Returns a malloc'd string; color adds ANSI escapes. */
char *kvet_diag_render(const kvet_diag *d, int color);

/* ------------------------------------------------------------------------
 * Packs
 * ------------------------------------------------------------------------ */
typedef struct kvet_pack kvet_pack;

/* Load rule packs: each path is a rule file (.kvet), a folder of rule files
 * (one pack per folder), or a compiled pack (.kvetc).  Imports are resolved
 * among the given paths and the search path (kvet_ctx_add_pack_path).
 * Returns NULL when any error was reported. */
kvet_pack *kvet_pack_load(kvet_ctx *ctx, const char *const *paths, size_t n);
void kvet_pack_free(kvet_pack *pack);

/* Compile one rule file held in memory (no imports of packs that are not
 * on the pack search path).  `name` is used in diagnostics. */
kvet_pack *kvet_pack_load_source(kvet_ctx *ctx, const char *name, const char *text, size_t len);

/* A folder searched for packs named in `import` statements. */
int kvet_ctx_add_pack_path(kvet_ctx *ctx, const char *dir);

/* Serialize a loaded pack to the compiled form (deterministic bytes).
 * Returns 0 or -1 with a diag; the file is written atomically. */
int kvet_pack_write(kvet_ctx *ctx, const kvet_pack *pack, const char *path);

/* Bytecode listing for `kvet compile --dump`; malloc'd text. */
char *kvet_pack_disassemble(const kvet_pack *pack);

typedef struct kvet_pack_info {
    const char *name;
    const char *version;
    const char *digest; /* sha256 of the pack's source files, hex */
} kvet_pack_info;

size_t kvet_pack_count(const kvet_pack *pack);      /* loaded packs, imports included */
kvet_pack_info kvet_pack_at(const kvet_pack *pack, size_t i);

typedef struct kvet_rule_info {
    const char *id;
    kvet_severity severity;    /* after overrides */
    int enabled;               /* 0: a `disable` turned it off */
    const char *title;
    const char *pack;
    const char *remedy;        /* NULL when absent */
    const char *link;          /* NULL when absent */
    const char *doc;           /* rationale text, NULL when absent */
    const char *file;
    uint32_t line, col;
    const char *applies_to;    /* e.g. "Service serving.knative.dev/v1" */
    kvet_severity stock_severity; /* as the rule is written, before any `override` */
    /* The last `override` or `disable` of the rule, written in another
     * pack (an organisation's) or in its own: NULL, 0 when none. */
    const char *override_pack;
    const char *override_file;
    uint32_t override_line, override_col;
} kvet_rule_info;

size_t kvet_rule_count(const kvet_pack *pack);
/* The pack's user functions (`fn NAME(...)`), for kvet_stats. */
size_t kvet_function_count(const kvet_pack *pack);
const char *kvet_function_name(const kvet_pack *pack, size_t i);
kvet_rule_info kvet_rule_at(const kvet_pack *pack, size_t i);
/* kvet_rule_at(pack, i).id without the rest: reports name every outcome. */
const char *kvet_rule_id(const kvet_pack *pack, size_t i);
/* A rule's `meta KEY "value"`, or NULL. */
const char *kvet_rule_meta(const kvet_pack *pack, size_t i, const char *key);

/* A view: derived values a pack names for reports (`view NAME $a, $b`,
 * docs/language.md).  The HTML and Markdown reports show the `scaling`
 * view of each resource; a report never knows a pack's value names. */
typedef struct kvet_view_info {
    const char *name;          /* e.g. "scaling" */
    const char *pack;          /* the pack that declares it */
    const char *const *values; /* dotted derived-value names, as declared */
    size_t nvalues;
    const char *file;
    uint32_t line, col;
} kvet_view_info;

size_t kvet_view_count(const kvet_pack *pack);
kvet_view_info kvet_view_at(const kvet_pack *pack, size_t i);
/* The view with this name: 1, or 0 with *out zeroed when no pack declares
 * it.  When several packs do, the first in load order wins (packs named by
 * the user come before the packs they import). */
int kvet_view_find(const kvet_pack *pack, const char *name, kvet_view_info *out);

/* ------------------------------------------------------------------------
 * Checking
 * ------------------------------------------------------------------------ */
/* A waiver: a finding of a rule on a resource that a person accepted, with
 * a reason, an owner and an expiry date. */
typedef enum kvet_waiver_status {
    KVET_WAIVER_ACTIVE = 0,  /* waives the findings it matches */
    KVET_WAIVER_EXPIRED,     /* past its expiry date: waives nothing */
    KVET_WAIVER_STALE,       /* active, but matched no finding */
    KVET_WAIVER_INVALID,     /* an annotation waiver without a reason */
    KVET_WAIVER_FORBIDDEN    /* an annotation waiver for a rule that takes file waivers only */
} kvet_waiver_status;

typedef struct kvet_waiver {
    int from_file;           /* 0: the kvet.dev/waive annotation; 1: a waiver file */
    const char *file;        /* where the waiver is written */
    uint32_t line;
    const char *rule;        /* a rule id, `*` wildcards allowed in files */
    const char *selector;    /* the resources it covers, e.g. "InferenceService prod/ranker" */
    const char *reason, *owner, *expires; /* owner and expires may be "" for annotations */
    kvet_waiver_status status;
    size_t matched;          /* findings it waived */
} kvet_waiver;

const char *kvet_waiver_status_name(kvet_waiver_status s); /* "active", "expired", ... */

/* One entry of a baseline file (`kvet baseline`): a finding of a rule on a
 * resource, accepted as it is.  Matched by rule and resource identity. */
typedef struct kvet_baseline_entry {
    const char *rule, *api_version, *kind, *ns, *name;
    uint32_t line, col;      /* where the entry starts in the file (0: unknown) */
    size_t matched;          /* findings it covered in the run; 0: stale */
} kvet_baseline_entry;

/* ------------------------------------------------------------------------
 * Projects: a project file (kvet.yaml, docs/environments.md) declares the
 * environments of a repository: for each, its manifests, its cluster
 * configuration, its pack parameters and the namespace of namespace-less
 * documents.  Each environment is checked with its own context.
 * ------------------------------------------------------------------------ */
typedef struct kvet_project kvet_project;

/* NULL after reporting the problem (with its position) in the diagnostics. */
kvet_project *kvet_project_load(kvet_ctx *ctx, const char *path);
void kvet_project_free(kvet_project *project);
const char *kvet_project_file(const kvet_project *project);
const char *kvet_project_root(const kvet_project *project); /* the file's folder */
size_t kvet_project_env_count(const kvet_project *project);
const char *kvet_project_env_name(const kvet_project *project, size_t i);
/* kvet.yaml in `start` (a folder, or a file's folder) or the nearest folder
 * above it; a malloc'd path, or NULL when there is none. */
char *kvet_project_find(const char *start);

struct kvet_result;
struct kvet_resource;

typedef struct kvet_inputs {
    const char *const *paths; /* files, folders (recursive) or "-" for stdin */
    size_t npaths;
    const char *const *cluster; /* cluster config files */
    size_t ncluster;
    int want_trace;           /* record derivation traces (kvet explain) */
    const char *buffer;       /* optional: manifests held in memory ... */
    size_t buffer_len;
    const char *buffer_name;  /* ... and the name used for them in reports */
    const char *stdin_name;   /* the name of "-" (standard input) in reports; NULL: "<stdin>" */
    const char *const *exclude; /* glob patterns (`*`, `?`, `[...]`, `**`): files and folders
                                   below a folder of `paths` whose path relative to that folder,
                                   or as walked, matches one are not read (a pattern that
                                   matches the folder itself is matched against relative
                                   paths only); files named in `paths` are always read */
    size_t nexclude;
    const char *const *waiver_files; /* YAML waiver files (docs/waivers.md) */
    size_t nwaiver_files;
    const char *baseline;     /* a baseline file (kvet baseline), or NULL */
    const char *today;        /* "YYYY-MM-DD" for waiver expiry; NULL: no waiver expires */
    struct kvet_coverage *coverage; /* optional: accumulates what the run exercised */
    const kvet_project *project; /* environments; NULL: scopes are inferred from folders */
    const char *const *envs;  /* with a project: check only these environments (none: all) */
    size_t nenvs;
    int want_stats;           /* measure where the run's time and memory went (result->stats) */
    /* threads that parse and evaluate input files (kvet check -j); 0 or 1:
     * none.  The result is the same for any value.  With want_stats the run
     * uses none (its timings are per phase); with want_trace or coverage,
     * threads only parse (those records are kept in one thread). */
    unsigned jobs;
    /* optional: each resource, handed over as soon as it is settled and in
     * the order resources[] would hold them; the result then keeps none of
     * them (resources is NULL, nresources 0, nstreamed counts them), so a
     * run's memory does not grow with its resources.  The resource and
     * what it points to are valid only during the call; the result's
     * contexts and counts so far may be read.  Ignored with want_trace or
     * coverage, which need the whole result. */
    void (*on_resource)(void *arg, const struct kvet_result *res, const struct kvet_resource *r);
    void *on_resource_arg;
} kvet_inputs;

typedef struct kvet_finding {
    const char *rule;
    kvet_severity severity;
    const char *title;
    char *message;
    const char *remedy;  /* may be NULL */
    const char *link;    /* may be NULL */
    const char *file;
    uint32_t line, col;
    const kvet_waiver *waiver; /* the active waiver that covers it, or NULL */
    int baselined;           /* it is in the baseline: reported, but it does not fail */
} kvet_finding;

/* How a rule ended on a resource.  Every reporter reads these instead of
 * guessing from selector texts: a rule's `where` clause and its block's
 * selectors decided, in the library, whether it applied. */
typedef enum kvet_outcome_status {
    KVET_OUTCOME_PASS = 0,       /* evaluated without a finding */
    KVET_OUTCOME_FAIL,           /* at least one open finding */
    KVET_OUTCOME_WAIVED,         /* findings, none open, at least one waived */
    KVET_OUTCOME_BASELINED,      /* findings, none open, all in the baseline */
    KVET_OUTCOME_ERROR,          /* the rule failed while evaluated (see errors) */
    KVET_OUTCOME_NOT_APPLICABLE  /* not evaluated: see kvet_na_reason */
} kvet_outcome_status;

/* Why a rule did not apply to a resource. */
typedef enum kvet_na_reason {
    KVET_NA_NONE = 0,     /* it applied */
    KVET_NA_DISABLED,     /* a `disable` turned the rule off */
    KVET_NA_SELECTOR,     /* its block selects other kinds or apiVersions */
    KVET_NA_WHERE         /* its block's `where` condition did not hold (or failed: see errors) */
} kvet_na_reason;

/* A rule evaluated on a resource: kvet_resource.outcomes holds one per
 * such rule, in kvet_rule_at order; rules it does not hold did not apply. */
typedef struct kvet_outcome {
    uint32_t rule;            /* kvet_rule_at index */
    uint32_t status;          /* kvet_outcome_status, never NOT_APPLICABLE */
    uint32_t findings;        /* findings the rule raised on the resource */
    uint32_t open;            /* of them, neither waived nor baselined */
    const kvet_waiver *waiver;/* WAIVED: the waiver of its first waived finding */
} kvet_outcome;

/* One step in the derivation of an effective value. */
typedef struct kvet_trace {
    const char *name;     /* dotted name of the derived value */
    kvet_value value;
    const char *rule_file;/* where the derivation is written */
    uint32_t rule_line, rule_col;
    char *expr;           /* source text of the expression that produced it */
    char *reads;          /* comma separated derived values it read, or NULL */
    const char *value_file; /* where the value itself came from, or NULL */
    uint32_t value_line, value_col;
} kvet_trace;

/* Cluster configuration documents (the config-autoscaler and
 * config-autoscaler-keda ConfigMaps, the KnativeServing resource, KServe's
 * inferenceservice-config ConfigMap): which one a resource was checked
 * with, and why that one. */
typedef enum kvet_config_origin {
    KVET_CONFIG_OPTION = 0,   /* --cluster: applies everywhere */
    KVET_CONFIG_ENVIRONMENT,  /* the environment's cluster files */
    KVET_CONFIG_MANIFESTS,    /* among the environment's manifests */
    KVET_CONFIG_FOLDER        /* no project file: the nearest one in the folder or above */
} kvet_config_origin;

typedef struct kvet_config_doc {
    const char *what;         /* "config-autoscaler", "KnativeServing", ... */
    const char *name, *ns;    /* the document's metadata */
    const char *file;
    uint32_t line;
    kvet_config_origin origin;
    kvet_value settings;      /* what it sets: a ConfigMap's data, a KnativeServing's
                                 autoscaler section; each value keeps its position */
} kvet_config_doc;

const char *kvet_config_origin_name(kvet_config_origin o); /* "option", "environment", ... */

/* A context: the resources checked together.  Cross-resource lookups see
 * only the resources of their scope; cluster configuration and parameters
 * are the context's. */
typedef struct kvet_context {
    const char *env;          /* the environment, or NULL without a project file */
    const char *scope;        /* the scope's folder (relative to the project root with
                                 environments), or the stream's name */
    kvet_config_doc *config;  /* the configuration used, one per kind found */
    size_t nconfig;
    const char *namespace_default; /* the environment's namespace for namespace-less documents, or NULL */
} kvet_context;

typedef struct kvet_resource {
    const char *api_version, *kind, *ns, *name; /* ns/name may be "" */
    size_t context;           /* index into kvet_result.contexts */
    const char *env;          /* its context's environment, or NULL */
    const char *file;
    uint32_t line;
    kvet_value effective;   /* a map (possibly empty) of derived values */
    kvet_finding *findings;
    size_t nfindings;
    kvet_trace *trace;      /* only with want_trace */
    size_t ntrace;
    int not_evaluated;      /* a rule failed on this resource: see errors */
    kvet_outcome *outcomes; /* the rules evaluated on it, by rule index */
    size_t noutcomes;
} kvet_resource;

typedef struct kvet_error {
    char *file;
    uint32_t line, col;
    char *message;
} kvet_error;

/* What one input (a PATH of kvet_inputs, or the buffer) held: enough to
 * say what was read when no resource was found. */
typedef struct kvet_input_info {
    const char *path;       /* as given; stdin under kvet_inputs.stdin_name or "<stdin>" */
    int folder;             /* a folder, walked recursively */
    size_t files;           /* files read (1 for a file or stdin) */
    size_t hidden;          /* entries below the folder named .*, not read */
    size_t excluded;        /* files and folders below it that kvet_inputs.exclude took */
    size_t other;           /* files below it not named *.yaml, *.yml or *.json */
    uint64_t bytes;         /* bytes read */
    size_t documents;       /* documents (the items of a List or of a top-level list one by one) */
    size_t resources;       /* Kubernetes resources among them */
    size_t skipped;         /* documents that are not Kubernetes resources (each noted) */
    size_t invalid;         /* documents with a missing or malformed apiVersion or kind (errors) */
    size_t unassigned;      /* files in no environment of the project file, not read */
} kvet_input_info;

typedef struct kvet_result {
    kvet_resource *resources;
    size_t nresources;
    size_t nstreamed;       /* resources given to kvet_inputs.on_resource instead */
    kvet_error *errors;     /* input and evaluation errors */
    size_t nerrors;
    size_t nrules;          /* enabled rules */
    size_t findings[3];     /* by kvet_severity: info, warning, error; not counting
                               waived or baselined findings */
    size_t waived, baselined;
    kvet_waiver *waivers;   /* every waiver seen (files first, then annotations) */
    size_t nwaivers;
    kvet_context *contexts; /* every context a resource was checked in */
    size_t ncontexts;
    kvet_error *warnings;   /* input warnings: competing cluster configuration,
                               files in no environment; they fail the run at
                               --fail-level warning */
    size_t nwarnings;
    size_t duplicates;      /* identical copies of a resource in one scope, checked once */
    size_t skipped;         /* documents that are not Kubernetes resources (no apiVersion and
                               kind, template placeholders), skipped with a note */
    kvet_input_info *inputs; /* one per kvet_inputs.paths entry, then one for the buffer */
    size_t ninputs;
    int used_cluster_defaults; /* no cluster config document was found */
    /* per rule, in kvet_rule_at order: resources the rule was evaluated on
     * (its block applied and it was enabled) and findings it raised; and
     * the resources it passed on (evaluated without a finding or an error:
     * a rule with `each` may raise several findings on one resource, so
     * the findings say nothing about how many resources passed) */
    size_t *rule_evaluated, *rule_findings;
    size_t *rule_passed;
    /* per derived value, in kvet_derive_at order: resources it applied to
     * and how many of them got a (non-absent) value */
    size_t *derive_applied, *derive_valued;
    struct kvet_stats *stats; /* with kvet_inputs.want_stats, else NULL */
    /* the --baseline file's entries, in file order, each with the findings it
     * covered; an entry that covered none is stale (reported as a warning) */
    const char *baseline_file;       /* kvet_inputs.baseline, or NULL */
    struct kvet_baseline_entry *baseline;
    size_t nbaseline;
    size_t stale_baseline;           /* entries that covered no finding */
} kvet_result;

/* Where a check run's time (seconds, wall clock) and memory went.  Peak
 * resident memory (KiB, the process's, as getrusage reports it) is taken
 * after each phase, so its growth shows which phase needed it.
 *   parse:    reading and parsing the inputs (pass 1 keeps the documents)
 *   index:    grouping the queried kinds by scope and building the lists
 *             and namespace indexes docs() reads
 *   evaluate: derived values and rules; of it, pack_s[i] is the time of the
 *             rules of pack i (kvet_pack_at order), from a rule's start to
 *             the next rule's start or derived value's end, and derive_s
 *             the rest (derived values, matching blocks, waivers).
 *             rule_s[i] splits the packs' time by rule (kvet_rule_at
 *             order) and derive_each_s[i] the derived values' by value
 *             (kvet_derive_at order; the time from the previous one's end,
 *             so matching its block is included): what a slow pack spends
 *             its time on. */
typedef struct kvet_stats {
    double parse_s, index_s, evaluate_s;
    long parse_rss_kb, index_rss_kb, evaluate_rss_kb;
    double derive_s;
    double *pack_s;
    size_t npacks;
    size_t documents;         /* documents evaluated */
    double *rule_s;           /* nrules entries */
    size_t nrules;
    double *derive_each_s;    /* nderives entries */
    size_t nderives;
    /* per user function (kvet_function_name): the VM instructions its calls
     * ran, with those of the functions they called, and the calls (a result
     * remembered from an earlier call with the same arguments is not one) */
    uint64_t *fn_steps, *fn_calls;
    size_t nfns;
    /* evaluation contexts (a scope with its cluster configuration, each
     * with the pack's top-level values): how many were made, and the most
     * held at once (a scope's are freed once its last file is evaluated) */
    size_t contexts, contexts_held;
} kvet_stats;

/* The derived values a pack defines, in evaluation order. */
typedef struct kvet_derive_info {
    const char *name;       /* dotted, e.g. "scale.min" */
    const char *file;
    uint32_t line, col;
    const char *expr;       /* source text of the expression */
} kvet_derive_info;

size_t kvet_derive_count(const kvet_pack *pack);
kvet_derive_info kvet_derive_at(const kvet_pack *pack, size_t i);

/* Evaluate the pack over the inputs.  Returns NULL only on a failure that
 * prevents any evaluation (e.g. out of memory); unreadable inputs and
 * evaluation errors are listed in result->errors. */
kvet_result *kvet_check(kvet_ctx *ctx, const kvet_pack *pack, const kvet_inputs *in);
void kvet_result_free(kvet_result *res);

/* The outcome of rule `rule` (kvet_rule_at index of the pack the result was
 * checked with) on a resource.  *outcome gets its record, or NULL when the
 * rule did not apply; *why gets the reason then (both may be NULL). */
kvet_outcome_status kvet_outcome_of(const kvet_pack *pack, const kvet_resource *r, size_t rule,
                                    const kvet_outcome **outcome, kvet_na_reason *why);
const char *kvet_outcome_name(kvet_outcome_status s); /* "pass", "fail", ..., "not applicable" */
const char *kvet_na_reason_text(kvet_na_reason w);    /* "rule disabled", ... */

/* ------------------------------------------------------------------------
 * Coverage: which rules, derived values and branches of a pack a series of
 * check runs exercised (kvet test --coverage).  Made for one pack; pass it
 * in kvet_inputs.coverage to any number of kvet_check runs with that pack.
 * ------------------------------------------------------------------------ */
typedef struct kvet_coverage kvet_coverage;

kvet_coverage *kvet_coverage_new(const kvet_pack *pack);
void kvet_coverage_free(kvet_coverage *cov);
/* Totals over the runs, by kvet_rule_at / kvet_derive_at index. */
void kvet_coverage_rule(const kvet_coverage *cov, size_t rule, size_t *evaluated, size_t *fired);
/* Resources the rule passed on, over the runs (see kvet_result.rule_passed). */
size_t kvet_coverage_rule_passed(const kvet_coverage *cov, size_t rule);
void kvet_coverage_derive(const kvet_coverage *cov, size_t derive, size_t *applied, size_t *valued);

/* A two-way branch of the compiled rules: a condition (`when`, `x when c
 * else y`, a lambda's test), a `require` or `forbid`, the left side of
 * `and`, `or` or `??`.  way[0] and way[1] name its two outcomes; taken[]
 * says which the runs saw.  Branches come in source order.  A require or
 * forbid also says whether it passed because its value was absent and
 * whether it passed with a value that was there: one that only ever passed
 * on absent values never tested what it states. */
typedef struct kvet_branch {
    const char *file;
    uint32_t line, col;
    const char *construct;  /* "condition", "require", "forbid", "and", "or", "??" */
    const char *way[2];
    int taken[2];
    const char *rule;       /* require/forbid: the id of its rule; else NULL */
    int passed_absent;      /* require/forbid: passed because its value was absent */
    int passed_present;     /* require/forbid: passed with a value that was there */
} kvet_branch;

size_t kvet_coverage_branch_count(const kvet_coverage *cov);
kvet_branch kvet_coverage_branch_at(const kvet_coverage *cov, size_t i);
/* How many of a rule's require/forbid checks passed in the runs, but only
 * ever because their value was absent (by kvet_rule_at index). */
size_t kvet_coverage_rule_absent_only(const kvet_coverage *cov, size_t rule);

/* ------------------------------------------------------------------------
 * Reading documents: every YAML or JSON document of a file as values (for
 * tools built on the library, e.g. test runners), and errors reported at a
 * value's position with the source line quoted.
 * ------------------------------------------------------------------------ */
typedef struct kvet_documents kvet_documents;

/* NULL after reporting the problem in the context's diagnostics. */
kvet_documents *kvet_documents_read(kvet_ctx *ctx, const char *path);
size_t kvet_documents_count(const kvet_documents *docs);
kvet_value kvet_documents_at(const kvet_documents *docs, size_t i);
const char *kvet_documents_path(const kvet_documents *docs);
void kvet_documents_error(kvet_documents *docs, kvet_value at, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void kvet_documents_free(kvet_documents *docs);

/* ------------------------------------------------------------------------
 * Formatting rule files (kvet fmt): the canonical layout of a rule file
 * that parses, comments kept (docs/language.md, "Formatting").  *out is a
 * malloc'd text of *out_len bytes plus a NUL (the text itself may hold NUL
 * bytes, as the source may); out_len may be NULL.  On a syntax error the
 * diagnostics are in the context and -1 is returned.
 * ------------------------------------------------------------------------ */
int kvet_format_source(kvet_ctx *ctx, const char *name, const char *text, size_t len, char **out,
                       size_t *out_len);

/* Utilities shared by the CLI and reporters. */
const char *kvet_severity_name(kvet_severity s); /* "error", "warning", ... */
int kvet_severity_parse(const char *s, kvet_severity *out);
const char *kvet_version(void);
/* Write data to path atomically (temp file + rename).  0 or -1 (errno). */
int kvet_write_file_atomic(const char *path, const char *data, size_t len);
/* The same written in pieces, for output too large to hold whole: open,
 * write any number of times, then commit (the file appears complete) or
 * abort (nothing changes); both free the handle.  Termination signals are
 * held from open to commit or abort.  NULL or -1 with errno set. */
typedef struct kvet_atomic_file kvet_atomic_file;
kvet_atomic_file *kvet_atomic_open(const char *path);
int kvet_atomic_write(kvet_atomic_file *f, const char *data, size_t len);
/* Append what fd holds from its offset to its end (the kernel copies it
 * where it can, without passing through this process).  0 or -1 (errno). */
int kvet_atomic_copy_fd(kvet_atomic_file *f, int fd);
int kvet_atomic_commit(kvet_atomic_file *f);
void kvet_atomic_abort(kvet_atomic_file *f);

#ifdef __cplusplus
}
#endif
#endif
