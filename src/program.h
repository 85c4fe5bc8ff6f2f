/*
 * program.h - a compiled, linked rule program (struct kvet_pack).
 *
 * All loaded packs (the ones named on the command line and everything they
 * import) are compiled into one program: one code array, one constant pool
 * and flat tables of blocks, rules, derived values, parameters, globals,
 * functions and queries.  This is what `kvet compile` writes to disk and
 * what the VM runs.  Everything here is owned by the program's arena.
 */
#ifndef KV_PROGRAM_H
#define KV_PROGRAM_H

#include <stdbool.h>
#include <stdint.h>

#include "kvet/kvet.h"
#include "arena.h"
#include "strbuf.h"

/* Where an instruction (or a table entry) was written. */
typedef struct kv_pos {
    uint32_t file;        /* index into prog->files */
    uint32_t line, col;
} kv_pos;

typedef struct kv_chunk {
    uint32_t entry;       /* first instruction */
    uint32_t nlocals;     /* slots this chunk's frame needs (blocks: shared) */
    uint32_t maxstack;    /* most values it holds on the stack (verify.c) */
} kv_chunk;

typedef struct kv_packmeta {
    const char *name, *version;
    char digest[65];      /* sha256 over the pack's source files, hex */
    uint32_t nfiles;
} kv_packmeta;

typedef struct kv_selector {
    const char *kind;     /* exact kind */
    const char *api;      /* apiVersion pattern ("*" wildcards) or NULL = any */
} kv_selector;

typedef struct kv_block {
    uint32_t pack;
    kv_selector *sel;
    uint32_t nsel;
    int32_t where;        /* chunk index or -1 */
    uint32_t nlocals;     /* frame size shared by all chunks of the block */
    kv_pos pos;
} kv_block;

typedef struct kv_let {
    uint32_t block;
    uint32_t slot;        /* in the block frame */
    uint32_t chunk;       /* thunk computing it */
    const char *name;
} kv_let;

typedef struct kv_derive {
    const char *name;     /* dotted, e.g. "scale.min" */
    uint32_t block;
    uint32_t chunk;
    kv_pos pos;
    const char *expr;     /* source text, for explain */
    const char *reads;    /* comma separated derived names read, or "" */
} kv_derive;

typedef struct kv_rule {
    const char *id, *title;
    const char *remedy_text; /* template source, for docs; NULL if none */
    const char *link, *doc;
    const char **meta_keys, **meta_vals;
    uint32_t nmeta;
    kvet_severity severity;  /* as written */
    kvet_severity effective; /* after overrides */
    bool enabled;
    uint32_t pack, block;
    uint32_t chunk;
    int32_t remedy;          /* chunk producing the remedy text, or -1 */
    kv_pos pos;
    const char *applies_to;
    int32_t override_pack;   /* the pack of the last override or disable, or -1 */
    kv_pos override_pos;
} kv_rule;

/* `view NAME $a, $b`: derived values a pack names for reports. */
typedef struct kv_view {
    const char *name;
    const char **values;     /* dotted derived-value names */
    uint32_t nvalues;
    uint32_t pack;
    kv_pos pos;
} kv_view;

typedef struct kv_param {
    const char *name;        /* "pack.name" */
    const char *short_name;
    uint32_t pack;
    kvet_value value;        /* default, possibly overridden by --set */
    const char *doc;
    kv_pos pos;
} kv_param;

typedef struct kv_global {
    const char *name;
    uint32_t chunk;
} kv_global;

typedef struct kv_fn {
    const char *name;
    uint32_t nparams;
    uint32_t chunk;
} kv_fn;

typedef struct kv_query {
    const char *kind;
    const char *api;         /* pattern or NULL */
} kv_query;

/* An indexed lookup: the documents of `query` (in a namespace, or all of
 * them) whose key, fns[fn] (one parameter: the document), matches a value.
 * The compiler makes one for filter/find/any/count over docs(KIND, API, NS)
 * or docs(KIND[, API]) whose
 * predicate starts with `KEY(x) == VALUE`, `KEY(x) in VALUE` or
 * `VALUE in KEY(x)`; the VM groups each namespace's documents (or all of
 * them) by key once per context. */
typedef enum kv_key_mode {
    KV_KEY_EQ,       /* KEY(x) == VALUE, a string */
    KV_KEY_IN,       /* KEY(x) in VALUE, a list of strings */
    KV_KEY_IN_KEYS   /* VALUE in KEY(x): a string among the document's list of keys */
} kv_key_mode;

typedef struct kv_key {
    uint32_t query;
    uint32_t fn;
    uint32_t mode;   /* kv_key_mode */
} kv_key;

struct kvet_pack {
    kv_arena arena;

    const char **files; uint32_t nfiles;        /* rule source names */
    kv_packmeta *packs; uint32_t npacks;

    uint32_t *code; uint32_t ncode;
    kv_pos *lines;                               /* one per instruction */
    kvet_value *consts; uint32_t nconsts;

    kv_chunk *chunks; uint32_t nchunks;
    kv_block *blocks; uint32_t nblocks;
    kv_let *lets; uint32_t nlets;
    kv_derive *derives; uint32_t nderives;       /* in evaluation (topological) order */
    kv_rule *rules; uint32_t nrules;
    kv_param *params; uint32_t nparams;
    kv_global *globals; uint32_t nglobals;
    kv_fn *fns; uint32_t nfns;
    kv_query *queries; uint32_t nqueries;
    kv_key *keys; uint32_t nkeys;
    kv_view *views; uint32_t nviews;

    /* runtime only, not serialized: context source id of each file */
    uint32_t *file_src;
};

/* Does a selector match a document's kind and apiVersion? */
bool kv_selector_match(const kv_selector *s, const char *kind, size_t kl,
                       const char *api, size_t al);

/* One rule file of a pack being compiled. */
typedef struct kv_srcfile {
    const char *name;
    const char *text;
    size_t len;
    uint32_t src;            /* context source id */
    struct kv_node *ast;     /* FILE node */
} kv_srcfile;

typedef struct kv_srcpack {
    const char *name, *version;
    kv_srcfile *files;
    uint32_t nfiles;
    char digest[65];
} kv_srcpack;

/* Compile parsed packs into a program (compile.c).  packs[0..nroot) are the
 * packs named by the user; the rest were brought in by imports.  Returns NULL
 * when errors were reported. */
kvet_pack *kv_compile(kvet_ctx *ctx, kv_srcpack *packs, uint32_t npacks);
void kv_program_free(kvet_pack *prog);
/* Format 3 added a rule's override record and the packs' views, format 4
 * the indexed lookups (keys), format 5 the builtin first_key (the builtins
 * after it in the table moved up one index).  A file of
 * another format is refused with a message that says to compile again:
 * compiled packs are build outputs, never kept across kvet versions. */
#define KV_PACKFILE_FORMAT 5u
/* Serialize / load the compiled form (packfile.c). */
int kv_program_serialize(const kvet_pack *prog, char **out, size_t *len);
kvet_pack *kv_program_deserialize(kvet_ctx *ctx, const char *name, const char *data, size_t len);
/* Apply --set overrides held by the context to the program's params. */
int kv_program_apply_params(kvet_ctx *ctx, kvet_pack *prog);
/* Overrides name=raw applied to vals[] (one per prog->params); `what`,
 * `file` and `line` say where they were written, for errors.  0 or -1. */
int kv_program_param_values(kvet_ctx *ctx, const kvet_pack *prog, const char *what, const char *file,
                            uint32_t line, const char *const *names, const char *const *raws, size_t n,
                            kv_arena *a, kvet_value *vals);

/* Position of an instruction as "file:line:col" parts. */
static inline kv_pos kv_program_pos(const kvet_pack *p, uint32_t pc)
{
    kv_pos none = {0, 0, 0};
    return pc < p->ncode ? p->lines[pc] : none;
}

#endif
