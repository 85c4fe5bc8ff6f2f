/*
 * vm.c - the kvet interpreter (see opcodes.h for the instruction set).
 *
 * The dispatch loop runs one chunk; nested chunks (block lets, top-level
 * lets) are run by a recursive call whose depth is bounded by the number of
 * lets, since cycles are rejected by the compiler and guarded here; user
 * function calls use an explicit frame stack bounded by
 * limits.max_call_depth.  Every failure is an error value: it unwinds to the
 * innermost try() or ends the chunk, and the caller reports it with the
 * position of the instruction that failed.
 */
#include "vm.h"

#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ast.h"
#include "coverage.h"
#include "ctx.h"
#include "opcodes.h"
#include "value.h"

/* internal value type for filter/map accumulators; never escapes the VM */
#define KV_T_ACC 0x80

typedef struct kv_acc {
    uint32_t n, cap;
    kvet_value *items;
} kv_acc;

enum { ST_UNSET = 0, ST_BUSY, ST_DONE, ST_ERROR };

/* Lets and top-level values are computed by a nested run of the dispatch
 * loop; a chain of them that deep ends in an error, not a C stack overflow. */
#define KV_MAX_NESTED_VALUES 500

/* The documents of one namespace list grouped by a lookup's key: an open
 * hash table of key -> the documents with that key, in list order, and
 * the documents whose key is not a string (or, for a key list, not a
 * list), which every lookup must look at. */
typedef struct key_group {
    const kvet_string *key;      /* NULL: free slot */
    uint32_t hash;               /* key_hash's low half */
    uint32_t n, cap;             /* cap 0: the one position is `at.one` (most keys name one document) */
    union {
        uint32_t one;
        uint32_t *idx;
    } at;                        /* positions in the namespace's list */
    _Atomic(const kvet_list *) docs; /* those documents, once asked for alone */
} key_group;

static const uint32_t *group_idx(const key_group *g)
{
    return g->cap ? g->at.idx : &g->at.one;
}

/* The slots hold small numbers and the groups sit densely beside them: a
 * free slot costs 4 bytes, not a group's 40. */
typedef struct key_index {
    uint32_t mask;               /* slots - 1 */
    uint32_t *slot;              /* 0: free; else 1 + the key's place in groups */
    key_group *groups;           /* one per distinct key, in order of first appearance */
    uint32_t ngroups;
    key_group other;             /* no usable key: always looked at */
} key_index;

/* Indexes by (lookup, namespace list): a namespace's list is one value for
 * the whole run (kv_vm_hooks.query_ns), so its address names it. */
typedef struct key_cache_entry {
    uint32_t key;
    const kvet_list *all;        /* NULL: free slot */
    key_index *ix;               /* NULL: a key failed, the lookup scans */
} key_cache_entry;

typedef struct key_cache {
    key_cache_entry *slots;
    uint32_t n, cap;             /* cap: 0 or a power of two */
} key_cache;

/* See vm.h.  The indexes and the lists of their groups are built under
 * `mu` in `arena`; built, they are only read (a group's list is published
 * once, atomically).  Recursive: a key may itself look up by key. */
struct kv_key_share {
    pthread_mutex_t mu;
    key_cache keys;
    kv_arena arena;
};

struct kv_env {
    kvet_ctx *ctx;
    const kvet_pack *prog;
    kv_vm_hooks hooks;
    kv_regex_cache *regex;       /* its thread's (kv_env_new), or own_regex */
    kv_regex_cache *own_regex;   /* freed with the env */
    kv_arena arena;              /* run lifetime: memoized globals */
    kvet_value *globals;
    uint8_t *global_state;
    char **global_err;
    const uint8_t *fn_memo;      /* per user function: its results may be memoized (the plan's) */
    const uint8_t *key_pure;     /* per indexed lookup: its key reads the document only (the plan's) */
    key_cache keys;              /* the indexes built so far, or found in `share` */
    kv_key_share *share;         /* NULL: the indexes are this env's own */
    const kvet_value *params;    /* parameter values of this run's context, or NULL: the pack's */
    /* type()'s answers: the pack's own constant where it has one, so that
     * `type(x) == "map"` compares one string with itself */
    const kvet_string *type_names[KVET_MAP + 1];
};

typedef struct frame {
    uint32_t ret_pc;
    uint32_t base;               /* locals base */
    uint32_t sp;                 /* value stack height at the call, args popped */
    int32_t fn;                  /* the function called when its result is to be
                                    remembered, else ~ that (negative) */
    uint64_t memo_hash;
    uint64_t steps0;             /* with hooks.fn_steps: the step count at the call */
} frame;

/* A remembered call of a user function: functions are pure, so within one
 * resource the same function with the same arguments gives the same value.
 * Arguments match by value for scalars and strings (position included, so a
 * result that is one of them keeps the right position) and by identity for
 * lists and maps. */
typedef struct memo_entry {
    uint32_t gen;                /* valid when equal to the eval's generation */
    uint32_t fn;
    uint64_t hash;
    const kvet_value *args;
    kvet_value result;
} memo_entry;

/* The remembered calls of the resource being evaluated.  Only its capacity
 * outlives the resource, so the evaluators of one thread (one per context:
 * a scope and its cluster configuration) can share one (kv_eval_share_memo)
 * instead of each keeping a table as large as its largest resource needed. */
struct kv_memo {
    memo_entry *e; uint32_t cap, n;
    uint32_t gen;                /* entries of other generations are free */
};

/* What $NAME gave, remembered while the resource's derived values stay
 * as they were: a name with children is assembled afresh from them
 * (build_tree), so without this each read is a new map, which the call
 * memo (it matches maps by identity) never finds again. */
typedef struct derived_read {
    const kvet_string *name;     /* the name's constant */
    uint32_t gen, version;       /* the memo's generation (one per resource) and dv_version when it was read */
    kvet_value v;
} derived_read;

typedef struct handler {
    uint32_t catch_pc;
    uint32_t sp;
    uint32_t nframes;
    uint32_t ltop;
} handler;

/* The derived values and rules of the blocks whose selector takes one kind
 * and apiVersion, in program order.  Which blocks a resource is in depends
 * on those two strings only, and a run meets few pairs: an evaluator works
 * each pair out once instead of matching every block's selectors for every
 * resource. */
typedef struct selection {
    uint64_t hash;
    char *kind, *api;            /* NUL-terminated copies (kl, al bytes) */
    uint32_t kl, al;
    uint32_t *derives, nderives;
    uint32_t *rules, nrules;     /* enabled ones */
} selection;

/* pairs an evaluator keeps; past them one is worked out per resource */
enum { SELECTIONS_MAX = 256 };

struct kv_eval {
    kv_env *env;
    const kvet_pack *prog;
    kv_arena *arena;             /* where values are built now */
    kvet_value doc;

    kvet_value *stack; uint32_t sp, capstack;
    kvet_value *locals; uint32_t ltop, caplocals;
    frame *frames; uint32_t nframes, capframes;
    handler *handlers; uint32_t nhandlers, caphandlers;

    uint32_t *block_base;        /* per block; UINT32_MAX = no frame */
    int8_t *block_applies;       /* -1 unknown, 0, 1 */
    uint8_t *let_state;
    kvet_value *let_val;
    char **let_err;              /* in arena */

    /* derived values of this resource */
    uint32_t *dv_derive;         /* prog->derives index */
    kvet_value *dv_val;
    uint32_t ndv;
    uint32_t dv_version;         /* counts the changes to dv_val */
    derived_read dv_read[16];    /* by the name's constant index, modulo 16 */
    kv_trace_rec *trace; uint32_t ntrace;

    uint64_t *fn_steps;          /* env->hooks.fn_steps, read at every call and return */
    selection *sel; uint32_t nsel, capsel; /* open addressing by hash; capsel 0 or a power of 2 */
    selection scratch;           /* a pair the table does not keep */

    uint64_t steps;
    uint32_t nested;             /* lets and globals being computed inside each other */
    kv_arena *doc_arena;         /* the resource's arena: memoized results live there */
    kv_memo *memo;               /* own_memo, or a table of its thread's */
    kv_memo own_memo;
    const char *err;             /* message of the pending error */
    uint32_t err_pc;
    int nerrors;
};

/* ---------------------------------------------------------------- utils */

static const char *fmt_err(kv_arena *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static const char *fmt_err(kv_arena *a, const char *fmt, ...)
{
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    const char *s = kv_arena_strdup(a, buf);
    return s ? s : "out of memory";
}

static const char *tname(kvet_value v)
{
    return v.type == KV_T_ACC ? "accumulator" : kv_type_name((kvet_type)v.type);
}

/* ------------------------------------------------------------ operators */

static double num(kvet_value v) { return v.type == KVET_INT ? (double)v.u.i : v.u.f; }

static const char *op_name(int op)
{
    switch (op) {
    case KV_OP_ADD: return "+";
    case KV_OP_SUB: return "-";
    case KV_OP_MUL: return "*";
    case KV_OP_DIV: return "/";
    case KV_OP_MOD: return "%";
    case KV_OP_LT: return "<";
    case KV_OP_LE: return "<=";
    case KV_OP_GT: return ">";
    case KV_OP_GE: return ">=";
    case KV_OP_IN: return "in";
    case KV_OP_NOTIN: return "not in";
    case KV_OP_EQ: return "==";
    case KV_OP_NE: return "!=";
    }
    return "?";
}

static int arith(kv_arena *a, int op, kvet_value x, kvet_value y, kvet_value *out, const char **err)
{
    if (x.type == KVET_INT && y.type == KVET_INT) {
        int64_t r;
        switch (op) {
        case KV_OP_ADD:
            if (__builtin_add_overflow(x.u.i, y.u.i, &r)) goto overflow;
            break;
        case KV_OP_SUB:
            if (__builtin_sub_overflow(x.u.i, y.u.i, &r)) goto overflow;
            break;
        case KV_OP_MUL:
            if (__builtin_mul_overflow(x.u.i, y.u.i, &r)) goto overflow;
            break;
        case KV_OP_DIV:
        case KV_OP_MOD:
            if (y.u.i == 0) {
                *err = "division by zero";
                return -1;
            }
            if (x.u.i == INT64_MIN && y.u.i == -1) goto overflow;
            r = op == KV_OP_DIV ? x.u.i / y.u.i : x.u.i % y.u.i;
            break;
        default:
            return -1;
        }
        *out = kv_int(r);
        return 0;
    overflow:
        *err = fmt_err(a, "integer overflow in %lld %s %lld", (long long)x.u.i, op_name(op), (long long)y.u.i);
        return -1;
    }
    if (kv_is_number(x) && kv_is_number(y)) {
        double p = num(x), q = num(y), r;
        switch (op) {
        case KV_OP_ADD: r = p + q; break;
        case KV_OP_SUB: r = p - q; break;
        case KV_OP_MUL: r = p * q; break;
        case KV_OP_DIV:
            if (q == 0) { *err = "division by zero"; return -1; }
            r = p / q;
            break;
        case KV_OP_MOD:
            if (q == 0) { *err = "division by zero"; return -1; }
            r = fmod(p, q);
            break;
        default: return -1;
        }
        *out = kv_float(r);
        return 0;
    }
    if (op == KV_OP_ADD && x.type == KVET_STRING && y.type == KVET_STRING) {
        size_t n = (size_t)x.u.s->len + y.u.s->len;
        if (n > UINT32_MAX - 1) { *err = "string too long"; return -1; }
        kvet_string *s = kv_arena_alloc(a, sizeof *s + n + 1);
        if (!s) { *err = "out of memory"; return -1; }
        s->len = (uint32_t)n;
        memcpy(s->data, x.u.s->data, x.u.s->len);
        memcpy(s->data + x.u.s->len, y.u.s->data, y.u.s->len);
        s->data[n] = '\0';
        *out = kv_str_value(s);
        return 0;
    }
    if (op == KV_OP_ADD && x.type == KVET_LIST && y.type == KVET_LIST) {
        uint64_t n = (uint64_t)x.u.l->n + y.u.l->n;
        if (n > UINT32_MAX / 2) { *err = "list too long"; return -1; }
        kvet_list *l = kv_list_new(a, (uint32_t)n);
        if (!l) { *err = "out of memory"; return -1; }
        memcpy(l->items, x.u.l->items, x.u.l->n * sizeof(kvet_value));
        memcpy(l->items + x.u.l->n, y.u.l->items, y.u.l->n * sizeof(kvet_value));
        *out = kv_list_value(l);
        return 0;
    }
    *err = fmt_err(a, "cannot apply %s to %s and %s", op_name(op), tname(x), tname(y));
    return -1;
}

static bool in_op(kvet_value x, kvet_value y, int *res, kv_arena *a, const char **err)
{
    switch (y.type) {
    case KVET_LIST:
        for (uint32_t i = 0; i < y.u.l->n; i++)
            if (kv_value_equal(x, y.u.l->items[i])) { *res = 1; return true; }
        *res = 0;
        return true;
    case KVET_MAP:
        if (x.type != KVET_STRING) break;
        *res = kv_map_find(y.u.m, x.u.s->data, x.u.s->len) != NULL;
        return true;
    case KVET_STRING:
        if (x.type != KVET_STRING) break;
        if (x.u.s->len == 0) { *res = 1; return true; }
        *res = memmem(y.u.s->data, y.u.s->len, x.u.s->data, x.u.s->len) != NULL;
        return true;
    default:
        break;
    }
    *err = fmt_err(a, "cannot test %s in %s", tname(x), tname(y));
    return false;
}

int kv_vm_binop(kv_arena *a, int op, kvet_value x, kvet_value y, kvet_value *out, const char **err)
{
    switch (op) {
    case KV_OP_EQ: *out = kv_bool(kv_value_equal(x, y)); return 0;
    case KV_OP_NE: *out = kv_bool(!kv_value_equal(x, y)); return 0;
    default: break;
    }
    if (x.type == KVET_ABSENT || y.type == KVET_ABSENT) {
        *out = kv_absent();
        return 0;
    }
    switch (op) {
    case KV_OP_ADD: case KV_OP_SUB: case KV_OP_MUL: case KV_OP_DIV: case KV_OP_MOD:
        return arith(a, op, x, y, out, err);
    case KV_OP_LT: case KV_OP_LE: case KV_OP_GT: case KV_OP_GE: {
        int c;
        if (kv_is_number(x) && kv_is_number(y)) {
            if ((x.type == KVET_FLOAT && isnan(x.u.f)) || (y.type == KVET_FLOAT && isnan(y.u.f))) {
                *out = kv_bool(false); /* NaN compares false, as in Go */
                return 0;
            }
            c = kv_value_compare(x, y);
        } else if (x.type == KVET_STRING && y.type == KVET_STRING) {
            c = kv_value_compare(x, y);
        } else {
            *err = fmt_err(a, "cannot compare %s and %s with %s", tname(x), tname(y), op_name(op));
            return -1;
        }
        bool r = op == KV_OP_LT ? c < 0 : op == KV_OP_LE ? c <= 0 : op == KV_OP_GT ? c > 0 : c >= 0;
        *out = kv_bool(r);
        return 0;
    }
    case KV_OP_IN: case KV_OP_NOTIN: {
        int r;
        if (!in_op(x, y, &r, a, err))
            return -1;
        *out = kv_bool(op == KV_OP_IN ? r : !r);
        return 0;
    }
    default:
        *err = "unknown operator";
        return -1;
    }
}

/* ------------------------------------------------------------------ env */

static void mark_memoizable(const kvet_pack *p, uint8_t *memo, uint8_t *key_pure);

/* What every env of a pack would work out the same way, once per run. */
struct kv_env_plan {
    uint8_t *fn_memo;
    uint8_t *key_pure;
    const kvet_string *type_names[KVET_MAP + 1];
    kv_arena arena;
};

static bool name_types(kv_env_plan *plan, const kvet_pack *p)
{
    for (int t = KVET_ABSENT; t <= KVET_MAP; t++) {
        const char *name = kv_type_name((kvet_type)t);
        size_t n = strlen(name);
        const kvet_string *s = NULL;
        for (uint32_t i = 0; i < p->nconsts && !s; i++)
            if (p->consts[i].type == KVET_STRING && p->consts[i].u.s->len == n &&
                !memcmp(p->consts[i].u.s->data, name, n))
                s = p->consts[i].u.s;
        if (!s && !(s = kv_string_new(&plan->arena, name, n)))
            return false;
        plan->type_names[t] = s;
    }
    return true;
}

kv_env_plan *kv_env_plan_new(const kvet_pack *prog)
{
    kv_env_plan *plan = calloc(1, sizeof *plan);
    if (!plan)
        return NULL;
    kv_arena_init(&plan->arena);
    plan->fn_memo = calloc(prog->nfns + 1, 1);
    plan->key_pure = calloc(prog->nkeys + 1, 1);
    if (!plan->fn_memo || !plan->key_pure || !name_types(plan, prog)) {
        kv_env_plan_free(plan);
        return NULL;
    }
    mark_memoizable(prog, plan->fn_memo, plan->key_pure);
    return plan;
}

void kv_env_plan_free(kv_env_plan *plan)
{
    if (!plan)
        return;
    free(plan->fn_memo);
    free(plan->key_pure);
    kv_arena_free(&plan->arena);
    free(plan);
}

kv_env *kv_env_new(kvet_ctx *ctx, const kvet_pack *prog, const kv_env_plan *plan, const kv_vm_hooks *hooks,
                   kv_regex_cache *regex)
{
    kv_env *env = calloc(1, sizeof *env);
    if (!env)
        return NULL;
    env->ctx = ctx;
    env->prog = prog;
    env->hooks = *hooks;
    kv_arena_init(&env->arena);
    env->regex = regex ? regex : (env->own_regex = kv_regex_cache_new());
    env->globals = calloc(prog->nglobals + 1, sizeof *env->globals);
    env->global_state = calloc(prog->nglobals + 1, 1);
    env->global_err = calloc(prog->nglobals + 1, sizeof *env->global_err);
    if (!env->regex || !env->globals || !env->global_state || !env->global_err) {
        kv_env_free(env);
        return NULL;
    }
    env->fn_memo = plan->fn_memo;
    env->key_pure = plan->key_pure;
    memcpy(env->type_names, plan->type_names, sizeof env->type_names);
    return env;
}

void kv_env_set_params(kv_env *env, const kvet_value *params)
{
    env->params = params;
}

/* Which user functions to memoize: those whose code is pure (opcodes.h:
 * no reads of the resource's lets or derived values, which change while a
 * resource is evaluated) and calls only such functions, and whose body is
 * long enough for a lookup to pay. */
static void mark_memoizable(const kvet_pack *p, uint8_t *memo, uint8_t *key_pure)
{
    enum { MEMO_MIN_CODE = 12 };
    /* each function's code runs from its chunk's entry to the next chunk's
     * entry (the verifier checked that chunks are in order) */
    for (uint32_t f = 0; f < p->nfns; f++) {
        uint32_t c = p->fns[f].chunk;
        uint32_t start = p->chunks[c].entry;
        uint32_t end = c + 1 < p->nchunks ? p->chunks[c + 1].entry : p->ncode;
        bool pure = true;
        for (uint32_t pc = start; pc < end && pure; pc += kv_op_width(KV_INS_OP(p->code[pc])))
            pure = kv_op_has(KV_INS_OP(p->code[pc]), KV_OPF_PURE);
        memo[f] = pure ? (end - start >= MEMO_MIN_CODE ? 2 : 1) : 0; /* 1: pure but short */
    }
    /* a call of an impure function makes the caller impure too */
    for (bool changed = true; changed;) {
        changed = false;
        for (uint32_t f = 0; f < p->nfns; f++) {
            if (!memo[f])
                continue;
            uint32_t c = p->fns[f].chunk;
            uint32_t end = c + 1 < p->nchunks ? p->chunks[c + 1].entry : p->ncode;
            for (uint32_t pc = p->chunks[c].entry; pc < end; pc += kv_op_width(KV_INS_OP(p->code[pc])))
                if (kv_op_has(KV_INS_OP(p->code[pc]), KV_OPF_CALL) && !memo[KV_INS_A(p->code[pc])]) {
                    memo[f] = 0;
                    changed = true;
                    break;
                }
        }
    }
    /* an index is built once per context: its key may not read what
     * changes from one resource to the next */
    for (uint32_t k = 0; k < p->nkeys; k++)
        key_pure[k] = memo[p->keys[k].fn] != 0;
    for (uint32_t f = 0; f < p->nfns; f++)
        memo[f] = memo[f] == 2;
}

void kv_env_free(kv_env *env)
{
    if (!env)
        return;
    kv_regex_cache_free(env->own_regex);
    free(env->globals);
    free(env->global_state);
    free(env->global_err);
    free(env->keys.slots);
    kv_arena_free(&env->arena);
    free(env);
}

kv_key_share *kv_key_share_new(void)
{
    kv_key_share *ks = calloc(1, sizeof *ks);
    pthread_mutexattr_t attr;
    if (!ks || pthread_mutexattr_init(&attr) != 0) {
        free(ks);
        return NULL;
    }
    bool ok = pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_RECURSIVE) == 0 &&
              pthread_mutex_init(&ks->mu, &attr) == 0;
    pthread_mutexattr_destroy(&attr);
    if (!ok) {
        free(ks);
        return NULL;
    }
    kv_arena_init(&ks->arena);
    return ks;
}

void kv_key_share_free(kv_key_share *ks)
{
    if (!ks)
        return;
    pthread_mutex_destroy(&ks->mu);
    free(ks->keys.slots);
    kv_arena_free(&ks->arena);
    free(ks);
}

void kv_env_share_keys(kv_env *env, kv_key_share *ks)
{
    env->share = ks;
}

/* ----------------------------------------------------------------- eval */

kv_memo *kv_memo_new(void)
{
    return calloc(1, sizeof(kv_memo));
}

void kv_memo_free(kv_memo *m)
{
    if (m)
        free(m->e);
    free(m);
}

void kv_eval_share_memo(kv_eval *ev, kv_memo *m)
{
    ev->memo = m ? m : &ev->own_memo;
}

kv_eval *kv_eval_new(kv_env *env)
{
    const kvet_pack *p = env->prog;
    kv_eval *ev = calloc(1, sizeof *ev);
    if (!ev)
        return NULL;
    ev->env = env;
    ev->prog = p;
    ev->fn_steps = env->hooks.fn_steps;
    ev->memo = &ev->own_memo;
    ev->block_base = malloc((p->nblocks + 1) * sizeof *ev->block_base);
    ev->block_applies = malloc(p->nblocks + 1);
    ev->let_state = malloc(p->nlets + 1);
    ev->let_val = malloc((p->nlets + 1) * sizeof *ev->let_val);
    ev->let_err = malloc((p->nlets + 1) * sizeof *ev->let_err);
    ev->dv_derive = malloc((p->nderives + 1) * sizeof *ev->dv_derive);
    ev->dv_val = malloc((p->nderives + 1) * sizeof *ev->dv_val);
    ev->trace = malloc((p->nderives + 1) * sizeof *ev->trace);
    ev->scratch.derives = malloc((p->nderives + 1) * sizeof *ev->scratch.derives);
    ev->scratch.rules = malloc((p->nrules + 1) * sizeof *ev->scratch.rules);
    if (!ev->block_base || !ev->block_applies || !ev->let_state || !ev->let_val || !ev->let_err ||
        !ev->dv_derive || !ev->dv_val || !ev->trace || !ev->scratch.derives || !ev->scratch.rules) {
        kv_eval_free(ev);
        return NULL;
    }
    return ev;
}

void kv_eval_free(kv_eval *ev)
{
    if (!ev)
        return;
    free(ev->stack);
    free(ev->locals);
    free(ev->frames);
    free(ev->handlers);
    free(ev->block_base);
    free(ev->block_applies);
    free(ev->let_state);
    free(ev->let_val);
    free(ev->let_err);
    free(ev->dv_derive);
    free(ev->dv_val);
    free(ev->trace);
    free(ev->own_memo.e);
    for (uint32_t i = 0; i < ev->capsel; i++)
        free(ev->sel[i].derives);
    free(ev->sel);
    free(ev->scratch.derives);
    free(ev->scratch.rules);
    free(ev);
}

static __attribute__((noinline)) bool grow_locals(kv_eval *ev, uint32_t n)
{
    uint32_t cap = ev->caplocals ? ev->caplocals : 64;
    while (cap < ev->ltop + n)
        cap *= 2;
    kvet_value *l = realloc(ev->locals, cap * sizeof *l);
    if (!l)
        return false;
    ev->locals = l;
    ev->caplocals = cap;
    return true;
}

/* A frame of n locals at ltop, all absent but the first `given` (a call's
 * arguments, which the caller stores there at once).  Inline: every call
 * of a user function makes one. */
static inline bool reserve_locals_given(kv_eval *ev, uint32_t n, uint32_t given)
{
    if ((uint64_t)ev->ltop + n > 4u * 1024 * 1024 || (ev->ltop + n > ev->caplocals && !grow_locals(ev, n)))
        return false;
    for (uint32_t i = given; i < n; i++)
        ev->locals[ev->ltop + i] = kv_absent();
    return true;
}

static bool reserve_locals(kv_eval *ev, uint32_t n)
{
    return reserve_locals_given(ev, n, 0);
}

static __attribute__((noinline)) bool grow_stack(kv_eval *ev)
{
    if (ev->capstack >= 1u << 20)
        return false;
    uint32_t cap = ev->capstack ? ev->capstack * 2 : 256;
    kvet_value *s = realloc(ev->stack, cap * sizeof *s);
    if (!s)
        return false;
    ev->stack = s;
    ev->capstack = cap;
    return true;
}

static inline bool push_val(kv_eval *ev, kvet_value v)
{
    if (ev->sp == ev->capstack && !grow_stack(ev))
        return false;
    ev->stack[ev->sp++] = v;
    return true;
}

/* Room for n more values.  A chunk's frame is given its verified stack
 * bound (kv_chunk.maxstack) when it starts, so that the pushes of its
 * instructions, nearly every instruction, need no check of their own. */
static inline bool reserve_stack(kv_eval *ev, uint32_t n)
{
    while (ev->capstack - ev->sp < n)
        if (!grow_stack(ev))
            return false;
    return true;
}

/* Look up a derived value by dotted name: exact, inside a parent's value,
 * or assembled from its children. */
static kvet_value build_tree(kv_eval *ev, const char *prefix, size_t plen, bool *oom);

static kvet_value derived_get(kv_eval *ev, const kvet_string *name, bool *oom)
{
    const kvet_pack *p = ev->prog;
    /* exact or parent (longest parent wins) */
    int best = -1;
    size_t bestlen = 0;
    for (uint32_t i = 0; i < ev->ndv; i++) {
        const char *dn = p->derives[ev->dv_derive[i]].name;
        size_t dl = strlen(dn);
        if (dl == name->len && !memcmp(dn, name->data, dl))
            return ev->dv_val[i];
        if (dl < name->len && !memcmp(dn, name->data, dl) && name->data[dl] == '.' && dl >= bestlen) {
            best = (int)i;
            bestlen = dl;
        }
    }
    if (best >= 0) {
        kvet_value v = ev->dv_val[best];
        const char *rest = name->data + bestlen + 1;
        const char *end = name->data + name->len;
        while (rest < end) {
            const char *dot = memchr(rest, '.', (size_t)(end - rest));
            size_t n = dot ? (size_t)(dot - rest) : (size_t)(end - rest);
            v = kv_map_get(v, rest, n);
            rest += n + 1;
        }
        return v;
    }
    return build_tree(ev, name->data, name->len, oom);
}

/* Nested map of all derived values under prefix ("" = all). */
static kvet_value build_tree(kv_eval *ev, const char *prefix, size_t plen, bool *oom)
{
    const kvet_pack *p = ev->prog;
    /* collect distinct next components */
    uint32_t cap = ev->ndv, n = 0;
    if (!cap)
        return kv_absent();
    const char **comp = kv_arena_alloc(ev->arena, cap * sizeof *comp);
    size_t *clen = kv_arena_alloc(ev->arena, cap * sizeof *clen);
    if (!comp || !clen) { *oom = true; return kv_absent(); }
    for (uint32_t i = 0; i < ev->ndv; i++) {
        const char *dn = p->derives[ev->dv_derive[i]].name;
        size_t dl = strlen(dn);
        const char *rest;
        if (plen == 0) {
            rest = dn;
        } else if (dl > plen && !memcmp(dn, prefix, plen) && dn[plen] == '.') {
            rest = dn + plen + 1;
        } else {
            continue;
        }
        const char *dot = strchr(rest, '.');
        size_t cl = dot ? (size_t)(dot - rest) : strlen(rest);
        bool seen = false;
        for (uint32_t k = 0; k < n; k++)
            if (clen[k] == cl && !memcmp(comp[k], rest, cl))
                seen = true;
        if (!seen) {
            comp[n] = rest;
            clen[n] = cl;
            n++;
        }
    }
    if (!n)
        return kv_absent();
    /* sort components by name for deterministic output */
    for (uint32_t i = 1; i < n; i++) {
        for (uint32_t j = i; j > 0; j--) {
            size_t m = clen[j - 1] < clen[j] ? clen[j - 1] : clen[j];
            int c = memcmp(comp[j - 1], comp[j], m);
            if (c > 0 || (c == 0 && clen[j - 1] > clen[j])) {
                const char *t = comp[j]; comp[j] = comp[j - 1]; comp[j - 1] = t;
                size_t tl = clen[j]; clen[j] = clen[j - 1]; clen[j - 1] = tl;
            } else {
                break;
            }
        }
    }
    kvet_map *m = kv_map_new(ev->arena, n);
    if (!m) { *oom = true; return kv_absent(); }
    uint32_t out = 0;
    for (uint32_t k = 0; k < n; k++) {
        size_t fl = plen ? plen + 1 + clen[k] : clen[k];
        char *full = kv_arena_alloc(ev->arena, fl + 1);
        if (!full) { *oom = true; return kv_absent(); }
        if (plen) {
            memcpy(full, prefix, plen);
            full[plen] = '.';
            memcpy(full + plen + 1, comp[k], clen[k]);
        } else {
            memcpy(full, comp[k], clen[k]);
        }
        full[fl] = '\0';
        kvet_string key_s = {0};
        (void)key_s;
        kvet_string *key = kv_string_new(ev->arena, comp[k], clen[k]);
        kvet_string *fname = kv_string_new(ev->arena, full, fl);
        if (!key || !fname) { *oom = true; return kv_absent(); }
        kvet_value v = derived_get(ev, fname, oom);
        if (v.type == KVET_ABSENT)
            continue;
        m->e[out].key = key;
        m->e[out].val = v;
        out++;
    }
    m->n = out;
    return out ? kv_map_value(m) : kv_absent();
}

kvet_value kv_eval_effective(kv_eval *ev)
{
    bool oom = false;
    kvet_value v = build_tree(ev, "", 0, &oom);
    if (v.type == KVET_ABSENT) {
        kvet_map *m = kv_map_new(ev->arena, 0);
        return m ? kv_map_value(m) : v;
    }
    return v;
}

const kv_trace_rec *kv_eval_trace(kv_eval *ev, size_t *n)
{
    *n = ev->ntrace;
    return ev->trace;
}

/* ------------------------------------------------------------ the loop */

static int run_chunk(kv_eval *ev, uint32_t chunk, uint32_t base, kvet_value *result);

/* ------------------------------------------------------ indexed lookups */

static uint64_t key_hash(const kvet_string *s)
{
    return kv_hash_bytes(0, s->data, s->len);
}

/* Key k's group, or NULL with *free_slot (when asked for) where it would go. */
static key_group *key_find(const key_index *ix, const kvet_string *k, uint64_t h, uint32_t **free_slot)
{
    for (uint32_t i = (uint32_t)h & ix->mask;; i = (i + 1) & ix->mask) {
        if (!ix->slot[i]) {
            if (free_slot)
                *free_slot = &ix->slot[i];
            return NULL;
        }
        key_group *g = &ix->groups[ix->slot[i] - 1];
        if (g->hash == (uint32_t)h && kv_str_same(g->key, k))
            return g;
    }
}

static bool group_add(kv_arena *a, key_group *g, uint32_t i)
{
    if (g->n && group_idx(g)[g->n - 1] == i)
        return true; /* a key list naming one key twice */
    if (g->n == 0) {
        g->at.one = i;
        g->n = 1;
        return true;
    }
    if (g->n == (g->cap ? g->cap : 1)) {
        uint32_t cap = g->cap ? g->cap * 2 : 4;
        uint32_t *idx = kv_arena_alloc(a, (size_t)cap * sizeof *idx);
        if (!idx)
            return false;
        memcpy(idx, group_idx(g), (size_t)g->n * sizeof *idx);
        g->at.idx = idx;
        g->cap = cap;
    }
    g->at.idx[g->n++] = i;
    return true;
}

/* Add document i under key k; a key made in `made` (not a string of the
 * document) is copied into `a` the first time it is seen. */
static bool index_add(kv_arena *a, const kv_arena *made, key_index *ix, const kvet_string *k, uint32_t i)
{
    uint64_t h = key_hash(k);
    uint32_t *free_slot;
    key_group *g = key_find(ix, k, h, &free_slot);
    if (!g) {
        if (kv_arena_owns(made, k) && !(k = kv_string_new(a, k->data, k->len)))
            return false;
        g = &ix->groups[ix->ngroups++];
        *free_slot = ix->ngroups;
        g->hash = (uint32_t)h;
        g->key = k;
    }
    return group_add(a, g, i);
}

/* Group `all` by lookup `key`'s key function, in arena `a` (the env's,
 * or its share's).  *ix = NULL when a key could not be computed (the
 * lookup then scans, and the predicate meets that document's error in its
 * place).  -1: out of memory. */
static int key_index_build(kv_eval *ev, uint32_t key, const kvet_list *all, kv_arena *a, key_index **out)
{
    const kvet_pack *p = ev->prog;
    const kv_key *k = &p->keys[key];
    const kv_chunk *ch = &p->chunks[p->fns[k->fn].chunk];
    *out = NULL;
    kvet_value *keys = malloc(((size_t)all->n + 1) * sizeof *keys);
    if (!keys)
        return -1;
    kv_arena *saved = ev->arena;
    uint64_t steps = ev->steps;
    const char *err = ev->err;
    uint32_t err_pc = ev->err_pc;
    /* what the key functions make is the index's only while it is built:
     * of their keys, the distinct ones are copied into `a` */
    kv_arena made;
    kv_arena_init(&made);
    ev->arena = &made;
    bool ok = true, oom = false;
    size_t nkeys = 0;
    for (uint32_t i = 0; i < all->n && ok; i++) {
        uint32_t kbase = ev->ltop;
        if (!reserve_locals(ev, ch->nlocals)) {
            oom = true;
            break;
        }
        ev->ltop += ch->nlocals;
        ev->locals[kbase] = all->items[i];
        ev->nested++;
        int rc = run_chunk(ev, p->fns[k->fn].chunk, kbase, &keys[i]);
        ev->nested--;
        ev->ltop = kbase;
        ok = rc == 0;
        nkeys += k->mode == KV_KEY_IN_KEYS && ok && keys[i].type == KVET_LIST ? keys[i].u.l->n : 1;
    }
    /* building the index is not the resource's work, nor its error */
    ev->arena = saved;
    ev->steps = steps;
    ev->err = err;
    ev->err_pc = err_pc;
    if (!ok || oom) {
        free(keys);
        kv_arena_free(&made);
        return oom ? -1 : 0;
    }
    uint32_t cap = 8;
    while (cap < 2 * (uint64_t)nkeys)
        cap *= 2;
    key_index *ix = kv_arena_calloc(a, sizeof *ix);
    /* nkeys bounds the distinct keys */
    if (!ix || !(ix->slot = kv_arena_calloc(a, (size_t)cap * sizeof *ix->slot)) ||
        !(ix->groups = kv_arena_calloc(a, (nkeys ? nkeys : 1) * sizeof *ix->groups))) {
        free(keys);
        kv_arena_free(&made);
        return -1;
    }
    ix->mask = cap - 1;
    for (uint32_t i = 0; i < all->n && ok; i++) {
        kvet_value v = keys[i];
        if (k->mode == KV_KEY_IN_KEYS && v.type == KVET_LIST) {
            /* `value in KEY(x)`: x is found under each string of its list */
            for (uint32_t j = 0; j < v.u.l->n && ok; j++)
                if (v.u.l->items[j].type == KVET_STRING)
                    ok = index_add(a, &made, ix, v.u.l->items[j].u.s, i);
        } else if (k->mode != KV_KEY_IN_KEYS && v.type == KVET_STRING) {
            ok = index_add(a, &made, ix, v.u.s, i);
        } else {
            ok = group_add(a, &ix->other, i);
        }
    }
    free(keys);
    kv_arena_free(&made);
    if (!ok)
        return -1;
    *out = ix;
    return 0;
}

static int cmp_u32(const void *x, const void *y)
{
    uint32_t a = *(const uint32_t *)x, b = *(const uint32_t *)y;
    return a < b ? -1 : a > b;
}

/* The documents of `all` in the groups g[0..ng), in list order (the
 * groups never share a document). */
static int groups_list(kv_eval *ev, const kvet_list *all, key_group **g, uint32_t ng, kvet_value *out)
{
    const kvet_list *kept = ng == 1 ? atomic_load_explicit(&g[0]->docs, memory_order_acquire) : NULL;
    if (kept) {
        *out = kv_list_value((kvet_list *)kept);
        return 0;
    }
    kv_key_share *ks = ng == 1 ? ev->env->share : NULL;
    if (ks) {
        pthread_mutex_lock(&ks->mu);
        kept = atomic_load_explicit(&g[0]->docs, memory_order_relaxed);
        if (kept) {
            pthread_mutex_unlock(&ks->mu);
            *out = kv_list_value((kvet_list *)kept);
            return 0;
        }
    }
    size_t total = 0;
    for (uint32_t i = 0; i < ng; i++)
        total += g[i]->n;
    /* one group's list is kept with the index for the next lookup */
    kvet_list *l = kv_list_new(ng != 1 ? ev->arena : ks ? &ks->arena : &ev->env->arena, (uint32_t)total);
    uint32_t *idx = malloc((total + 1) * sizeof *idx);
    if (!l || !idx) {
        if (ks)
            pthread_mutex_unlock(&ks->mu);
        free(idx);
        return -1;
    }
    size_t n = 0;
    for (uint32_t i = 0; i < ng; i++) {
        memcpy(idx + n, group_idx(g[i]), (size_t)g[i]->n * sizeof *idx);
        n += g[i]->n;
    }
    if (ng > 1)
        qsort(idx, n, sizeof *idx, cmp_u32);
    for (size_t i = 0; i < n; i++)
        l->items[i] = all->items[idx[i]];
    free(idx);
    *out = kv_list_value(l);
    if (ng == 1)
        atomic_store_explicit(&g[0]->docs, l, memory_order_release);
    if (ks)
        pthread_mutex_unlock(&ks->mu);
    return 0;
}

/* The slot of (all, key) in the cache: its entry, or the free slot where
 * it goes. */
static key_cache_entry *cache_slot(const key_cache *kc, const kvet_list *all, uint32_t key)
{
    uint64_t h = ((uintptr_t)all >> 4) * 0x9E3779B97F4A7C15ULL + key;
    uint32_t j = (uint32_t)(h >> 32) & (kc->cap - 1);
    while (kc->slots[j].all && !(kc->slots[j].all == all && kc->slots[j].key == key))
        j = (j + 1) & (kc->cap - 1);
    return &kc->slots[j];
}

static bool cache_get(const key_cache *kc, const kvet_list *all, uint32_t key, key_index **ix)
{
    if (!kc->cap)
        return false;
    const key_cache_entry *e = cache_slot(kc, all, key);
    *ix = e->ix;
    return e->all != NULL;
}

/* Remember (all, key) -> ix (NULL: the lookup scans).  False when out of
 * memory. */
static bool cache_put(key_cache *kc, const kvet_list *all, uint32_t key, key_index *ix)
{
    if (2 * (kc->n + 1) > kc->cap) {
        uint32_t cap = kc->cap ? kc->cap * 2 : 16;
        key_cache grown = {calloc(cap, sizeof *grown.slots), kc->n, cap};
        if (!grown.slots)
            return false;
        for (uint32_t i = 0; i < kc->cap; i++)
            if (kc->slots[i].all)
                *cache_slot(&grown, kc->slots[i].all, kc->slots[i].key) = kc->slots[i];
        free(kc->slots);
        *kc = grown;
    }
    key_cache_entry *e = cache_slot(kc, all, key);
    if (!e->all)
        kc->n++;
    *e = (key_cache_entry){key, all, ix};
    return true;
}

/* The index of lookup `key` over `all`, built on first use: the env's own,
 * or its share's (built once for all the threads' envs, then remembered in
 * the env's cache too).  -1: out of memory. */
static int key_index_for(kv_eval *ev, uint32_t key, const kvet_list *all, key_index **ix)
{
    kv_env *env = ev->env;
    if (cache_get(&env->keys, all, key, ix))
        return 0;
    kv_key_share *ks = env->share;
    if (!ks) {
        /* built before it is remembered: a key's own lookups may grow the cache */
        if (key_index_build(ev, key, all, &env->arena, ix) < 0)
            return -1;
        return cache_put(&env->keys, all, key, *ix) ? 0 : -1;
    }
    pthread_mutex_lock(&ks->mu);
    int rc = 0;
    if (!cache_get(&ks->keys, all, key, ix)) {
        rc = key_index_build(ev, key, all, &ks->arena, ix);
        if (rc == 0 && !cache_put(&ks->keys, all, key, *ix))
            rc = -1;
    }
    pthread_mutex_unlock(&ks->mu);
    if (rc == 0 && !cache_put(&env->keys, all, key, *ix))
        rc = -1;
    return rc;
}

/* The documents of `all` that lookup `key` may match for value `v`: a
 * superset of those its predicate accepts, in list order; `all` itself
 * when the lookup cannot narrow it.  -1: out of memory. */
static int key_lookup(kv_eval *ev, uint32_t key, kvet_value all, kvet_value v, kvet_value *out)
{
    enum { KEY_MIN_DOCS = 8, KEY_MAX_VALUES = 64 }; /* below, a scan is as quick */
    kv_env *env = ev->env;
    const kv_key *k = &ev->prog->keys[key];
    *out = all;
    /* coverage records the ways of the scan an index stands for */
    if (!env->key_pure[key] || env->hooks.branches || all.type != KVET_LIST || all.u.l->n < KEY_MIN_DOCS)
        return 0;
    if (k->mode == KV_KEY_IN ? v.type != KVET_LIST || v.u.l->n > KEY_MAX_VALUES
                             : k->mode == KV_KEY_IN_KEYS && v.type != KVET_STRING)
        return 0;
    key_index *ix;
    if (key_index_for(ev, key, all.u.l, &ix) < 0)
        return -1;
    if (!ix)
        return 0;
    /* A string equals only a string: a string value meets the documents
     * filed under it, any other value those without a string key.  A list
     * of keys that is not a list may still hold the value (a map's key, a
     * substring) or fail: those documents are always looked at. */
    key_group *g[KEY_MAX_VALUES + 1];
    uint32_t ng = 0;
    bool other = k->mode == KV_KEY_IN_KEYS;
    uint32_t nv = k->mode == KV_KEY_IN ? v.u.l->n : 1;
    for (uint32_t i = 0; i < nv; i++)
        if ((k->mode == KV_KEY_IN ? v.u.l->items[i] : v).type != KVET_STRING)
            other = true;
    if (other && ix->other.n)
        g[ng++] = &ix->other;
    for (uint32_t i = 0; i < nv; i++) {
        kvet_value s = k->mode == KV_KEY_IN ? v.u.l->items[i] : v;
        if (s.type != KVET_STRING)
            continue;
        key_group *f = key_find(ix, s.u.s, key_hash(s.u.s), NULL);
        bool seen = !f;
        for (uint32_t m = 0; m < ng && !seen; m++)
            seen = g[m] == f;
        if (!seen)
            g[ng++] = f;
    }
    return groups_list(ev, all.u.l, g, ng, out);
}

static kvet_value stamp(const kvet_pack *p, kvet_value v, uint32_t pc)
{
    kv_pos pos = p->lines[pc];
    v.src = p->file_src ? p->file_src[pos.file] : 0;
    v.line = pos.line;
    v.col = pos.col;
    return v;
}

static int acc_push(kv_eval *ev, kvet_value *accv, kvet_value v)
{
    kv_acc *acc = (kv_acc *)(uintptr_t)accv->u.l;
    if (acc->n == acc->cap) {
        uint32_t cap = acc->cap ? acc->cap * 2 : 8;
        kvet_value *items = kv_arena_alloc(ev->arena, cap * sizeof *items);
        if (!items)
            return -1;
        if (acc->n)
            memcpy(items, acc->items, acc->n * sizeof *items);
        acc->items = items;
        acc->cap = cap;
    }
    acc->items[acc->n++] = v;
    return 0;
}

static bool block_ready(kv_eval *ev, uint32_t b);

/* Render one value into a message. */
static void render_part(kv_buf *b, kvet_value v)
{
    kv_value_render(b, v, false);
}

#define FAIL(msg) do { ev->err = (msg); goto error; } while (0)
/* within the frame's reserved bound (reserve_stack) */
#define PUSH(v) do { kvet_value pushed_ = (v); ev->stack[ev->sp++] = pushed_; } while (0)
#define POP() (ev->stack[--ev->sp])
#define TOP() (ev->stack[ev->sp - 1])
#define MARK_BRANCH(at, way) do { if (ev->env->hooks.branches) ev->env->hooks.branches[at] |= (way); } while (0)

static uint64_t memo_mix(uint64_t h, uint64_t x)
{
    h ^= x + 0x9e3779b97f4a7c15ull + (h << 6) + (h >> 2);
    return h;
}

static uint64_t memo_hash(uint32_t fn, const kvet_value *args, uint32_t n)
{
    uint64_t h = memo_mix(0xcbf29ce484222325ull, fn);
    for (uint32_t i = 0; i < n; i++) {
        kvet_value v = args[i];
        h = memo_mix(h, ((uint64_t)v.type << 56) ^ ((uint64_t)v.src << 32) ^ ((uint64_t)v.line << 12) ^ v.col);
        switch ((kvet_type)v.type) {
        case KVET_BOOL: h = memo_mix(h, (uint64_t)v.u.b); break;
        case KVET_INT: h = memo_mix(h, (uint64_t)v.u.i); break;
        case KVET_FLOAT: {
            uint64_t bits;
            memcpy(&bits, &v.u.f, sizeof bits);
            h = memo_mix(h, bits);
            break;
        }
        case KVET_STRING: h = memo_mix(h, kv_hash_bytes(0, v.u.s->data, v.u.s->len)); break;
        case KVET_LIST: h = memo_mix(h, (uint64_t)(uintptr_t)v.u.l); break;
        case KVET_MAP: h = memo_mix(h, (uint64_t)(uintptr_t)v.u.m); break;
        default: break;
        }
    }
    return h;
}

static bool memo_same(kvet_value a, kvet_value b)
{
    if (a.type != b.type || a.src != b.src || a.line != b.line || a.col != b.col || a.flags != b.flags)
        return false;
    switch ((kvet_type)a.type) {
    case KVET_BOOL: return a.u.b == b.u.b;
    case KVET_INT: return a.u.i == b.u.i;
    case KVET_FLOAT: return memcmp(&a.u.f, &b.u.f, sizeof a.u.f) == 0;
    case KVET_STRING: return kv_str_same(a.u.s, b.u.s);
    case KVET_LIST: return a.u.l == b.u.l;
    case KVET_MAP: return a.u.m == b.u.m;
    default: return true;
    }
}

static memo_entry *memo_find(kv_eval *ev, uint32_t fn, const kvet_value *args, uint32_t n, uint64_t h)
{
    const kv_memo *m = ev->memo;
    if (!m->cap)
        return NULL;
    for (uint32_t i = (uint32_t)h & (m->cap - 1);; i = (i + 1) & (m->cap - 1)) {
        memo_entry *e = &m->e[i];
        if (e->gen != m->gen)
            return NULL;
        if (e->hash == h && e->fn == fn) {
            uint32_t k = 0;
            while (k < n && memo_same(e->args[k], args[k]))
                k++;
            if (k == n)
                return e;
        }
    }
}

/* Remember fn(args) = result; on any shortage it simply does not. */
static void memo_put(kv_eval *ev, uint32_t fn, const kvet_value *args, uint32_t n, uint64_t h, kvet_value result)
{
    kv_memo *m = ev->memo;
    if ((m->n + 1) * 4 > m->cap * 3) {
        uint32_t ncap = m->cap ? m->cap * 2 : 1024;
        if (ncap > (1u << 20))
            return;
        memo_entry *nm = calloc(ncap, sizeof *nm);
        if (!nm)
            return;
        for (uint32_t i = 0; i < m->cap; i++) {
            memo_entry *e = &m->e[i];
            if (e->gen != m->gen)
                continue;
            uint32_t j = (uint32_t)e->hash & (ncap - 1);
            while (nm[j].gen == m->gen)
                j = (j + 1) & (ncap - 1);
            nm[j] = *e;
        }
        free(m->e);
        m->e = nm;
        m->cap = ncap;
    }
    kvet_value *copy = n ? kv_arena_alloc(ev->doc_arena, n * sizeof *copy) : NULL;
    if (n && !copy)
        return;
    if (n)
        memcpy(copy, args, n * sizeof *copy);
    uint32_t i = (uint32_t)h & (m->cap - 1);
    while (m->e[i].gen == m->gen)
        i = (i + 1) & (m->cap - 1);
    m->e[i] = (memo_entry){m->gen, fn, h, copy, result};
    m->n++;
}

static int run_chunk(kv_eval *ev, uint32_t chunk, uint32_t base, kvet_value *result)
{
    const kvet_pack *p = ev->prog;
    const kvet_limits *lim = &ev->env->ctx->limits;
    uint32_t pc = p->chunks[chunk].entry;
    uint32_t frames0 = ev->nframes, handlers0 = ev->nhandlers;
    uint32_t sp0 = ev->sp;
    uint32_t ltop0 = ev->ltop;
    /* read once: stores through ev would otherwise make the compiler reload them per instruction */
    const uint64_t max_steps = lim->max_steps;
    const uint32_t *code = p->code;
    if (!reserve_stack(ev, p->chunks[chunk].maxstack)) {
        ev->err = "evaluation stack overflow";
        ev->err_pc = pc;
        return -1;
    }
    /* the step count lives in a register here: ev->steps is brought up to
     * date around what evaluates code of its own (lets, globals, lookup
     * keys) and whenever this returns; derived values are computed before
     * the rules, and reading them runs none */
    uint64_t steps = ev->steps;

    for (;;) {
        if (++steps > max_steps) {
            ev->steps = steps;
            ev->err = fmt_err(ev->arena, "evaluation step limit (%llu) exceeded", (unsigned long long)max_steps);
            ev->err_pc = pc;
            /* not catchable: unwind everything */
            ev->nframes = frames0;
            ev->nhandlers = handlers0;
            ev->sp = sp0;
            ev->ltop = ltop0;
            return -1;
        }
        uint32_t w = code[pc];
        uint32_t a = KV_INS_A(w);
        uint32_t here = pc++;
        switch (KV_INS_OP(w)) {
        case KV_OPC_NOP:
            break;
        case KV_OPC_CONST:
            PUSH(stamp(p, p->consts[a], here));
            break;
        case KV_OPC_ABSENT: PUSH(stamp(p, kv_absent(), here)); break;
        case KV_OPC_NULL: PUSH(stamp(p, kv_null(), here)); break;
        case KV_OPC_TRUE: PUSH(stamp(p, kv_bool(true), here)); break;
        case KV_OPC_FALSE: PUSH(stamp(p, kv_bool(false), here)); break;
        case KV_OPC_INT: PUSH(stamp(p, kv_int(KV_INS_SA(w)), here)); break;
        case KV_OPC_LOAD:
            if (ev->locals[base + a].type == KV_T_ACC)
                FAIL("invalid instruction: an accumulator read as a value");
            PUSH(ev->locals[base + a]);
            break;
        case KV_OPC_STORE: ev->locals[base + a] = POP(); break;
        case KV_OPC_LOADLET: {
            const kv_let *l = &p->lets[a];
            switch (ev->let_state[a]) {
            case ST_DONE:
                PUSH(ev->let_val[a]);
                break;
            case ST_ERROR:
                FAIL(ev->let_err[a]);
            case ST_BUSY:
                FAIL(fmt_err(ev->arena, "`%s` is defined in terms of itself", l->name));
            default: {
                if (ev->nested >= KV_MAX_NESTED_VALUES)
                    FAIL(fmt_err(ev->arena, "lets nested more than %d deep", KV_MAX_NESTED_VALUES));
                ev->let_state[a] = ST_BUSY;
                kvet_value v;
                ev->nested++;
                ev->steps = steps;
                int rc = run_chunk(ev, l->chunk, ev->block_base[l->block], &v);
                steps = ev->steps;
                ev->nested--;
                if (rc < 0) {
                    ev->let_state[a] = ST_ERROR;
                    ev->let_err[a] = (char *)ev->err;
                    /* keep the inner position: the error happened there */
                    goto error_keep_pc;
                }
                ev->let_state[a] = ST_DONE;
                ev->let_val[a] = v;
                PUSH(v);
                break;
            }
            }
            break;
        }
        case KV_OPC_PARAM:
            PUSH(ev->env->params ? ev->env->params[a] : p->params[a].value);
            break;
        case KV_OPC_GLOBAL: {
            kv_env *env = ev->env;
            if (env->global_state[a] == ST_DONE) {
                PUSH(env->globals[a]);
                break;
            }
            if (env->global_state[a] == ST_ERROR)
                FAIL(env->global_err[a]);
            if (env->global_state[a] == ST_BUSY)
                FAIL(fmt_err(ev->arena, "`%s` is defined in terms of itself", p->globals[a].name));
            if (ev->nested >= KV_MAX_NESTED_VALUES)
                FAIL(fmt_err(ev->arena, "lets nested more than %d deep", KV_MAX_NESTED_VALUES));
            env->global_state[a] = ST_BUSY;
            /* globals outlive the document: build them in the run arena */
            kv_arena *saved = ev->arena;
            ev->arena = &env->arena;
            uint32_t gbase = ev->ltop;
            if (!reserve_locals(ev, p->chunks[p->globals[a].chunk].nlocals)) {
                ev->arena = saved;
                env->global_state[a] = ST_UNSET;
                FAIL("out of memory");
            }
            ev->ltop += p->chunks[p->globals[a].chunk].nlocals;
            kvet_value v;
            ev->nested++;
            /* a top-level value has a step budget of its own and costs the
             * document that asks for it first nothing: with -j each thread
             * computes it for a different first document, and which one
             * that is must not decide whether that document's limit is
             * reached */
            ev->steps = 0;
            int rc = run_chunk(ev, p->globals[a].chunk, gbase, &v);
            ev->steps = steps;
            ev->nested--;
            ev->ltop = gbase;
            ev->arena = saved;
            if (rc < 0) {
                env->global_state[a] = ST_ERROR;
                env->global_err[a] = kv_arena_strdup(&env->arena, ev->err);
                goto error_keep_pc;
            }
            env->global_state[a] = ST_DONE;
            env->globals[a] = v;
            PUSH(v);
            break;
        }
        case KV_OPC_DERIVED: {
            const kvet_string *name = p->consts[a].u.s;
            derived_read *seen = &ev->dv_read[a & 15];
            if (seen->name == name && seen->gen == ev->memo->gen && seen->version == ev->dv_version) {
                PUSH(seen->v);
                break;
            }
            bool oom = false;
            kvet_value v = derived_get(ev, name, &oom);
            if (oom)
                FAIL("out of memory");
            if (ev->arena == ev->doc_arena) {
                seen->name = name;
                seen->gen = ev->memo->gen;
                seen->version = ev->dv_version;
                seen->v = v;
            }
            PUSH(v);
            break;
        }
        case KV_OPC_QUERY:
            PUSH(ev->env->hooks.query(ev->env->hooks.ud, a));
            break;
        case KV_OPC_QUERYNS:
        case KV_OPC_QUERYKEY:
        case KV_OPC_QUERYKEYALL: {
            /* docs(KIND, API, NS) and the lookups over it or over all of
             * the query's documents: NS is checked here for both */
            kv_opcode op = KV_INS_OP(w);
            kvet_value v = op == KV_OPC_QUERYNS ? kv_absent() : POP(), all;
            uint32_t q = op == KV_OPC_QUERYNS ? a : p->keys[a].query;
            if (op != KV_OPC_QUERYKEYALL) {
                kvet_value ns = POP();
                if (ns.type == KVET_ABSENT) {
                    PUSH(ns);
                    break;
                }
                if (ns.type != KVET_STRING)
                    FAIL(fmt_err(ev->arena, "docs(): the namespace must be a string, got %s", tname(ns)));
                all = ev->env->hooks.query_ns(ev->env->hooks.ud, q, ns.u.s);
            } else {
                all = ev->env->hooks.query(ev->env->hooks.ud, q);
            }
            if (op == KV_OPC_QUERYNS) {
                PUSH(all);
                break;
            }
            kvet_value r = all;
            ev->steps = steps;
            int rc = key_lookup(ev, a, all, v, &r);
            steps = ev->steps;
            if (rc < 0)
                FAIL("out of memory");
            PUSH(r);
            break;
        }
        case KV_OPC_POP:
            ev->sp--;
            break;
        case KV_OPC_DUP:
            PUSH(TOP());
            break;
        case KV_OPC_FIELD: {
            kvet_value x = POP();
            const kvet_string *k = p->consts[a].u.s;
            PUSH(kv_map_get(x, k->data, k->len));
            break;
        }
        case KV_OPC_INDEX: {
            kvet_value i = POP(), x = POP();
            if (x.type == KVET_LIST && i.type == KVET_INT) {
                int64_t idx = i.u.i < 0 ? (int64_t)x.u.l->n + i.u.i : i.u.i;
                if (idx >= 0 && idx < (int64_t)x.u.l->n)
                    PUSH(x.u.l->items[idx]);
                else
                    PUSH(kv_at(kv_absent(), x));
            } else if (x.type == KVET_MAP && i.type == KVET_STRING) {
                PUSH(kv_map_get(x, i.u.s->data, i.u.s->len));
            } else if (i.type == KVET_INT || i.type == KVET_STRING || i.type == KVET_ABSENT) {
                /* every access is safe: a list by name or a map by number is absent */
                PUSH(kv_at(kv_absent(), x));
            } else {
                FAIL(fmt_err(ev->arena, "an index must be an int or a string, not a %s", tname(i)));
            }
            break;
        }
        case KV_OPC_ADD: case KV_OPC_SUB: case KV_OPC_MUL: case KV_OPC_DIV: case KV_OPC_MOD:
        case KV_OPC_EQ: case KV_OPC_NE: case KV_OPC_LT: case KV_OPC_LE: case KV_OPC_GT:
        case KV_OPC_GE: case KV_OPC_IN: case KV_OPC_NOTIN: {
            static const int ops[KV_OPC__COUNT] = {
                [KV_OPC_ADD] = KV_OP_ADD, [KV_OPC_SUB] = KV_OP_SUB, [KV_OPC_MUL] = KV_OP_MUL,
                [KV_OPC_DIV] = KV_OP_DIV, [KV_OPC_MOD] = KV_OP_MOD, [KV_OPC_EQ] = KV_OP_EQ,
                [KV_OPC_NE] = KV_OP_NE, [KV_OPC_LT] = KV_OP_LT, [KV_OPC_LE] = KV_OP_LE,
                [KV_OPC_GT] = KV_OP_GT, [KV_OPC_GE] = KV_OP_GE, [KV_OPC_IN] = KV_OP_IN,
                [KV_OPC_NOTIN] = KV_OP_NOTIN,
            };
            kvet_value y = POP(), x = POP(), r;
            /* the equalities rules test most (names, absent fields) without
             * the call: what kv_value_equal answers for them */
            int eq = -1;
            if (KV_INS_OP(w) == KV_OPC_EQ || KV_INS_OP(w) == KV_OPC_NE) {
                if (x.type == KVET_STRING && y.type == KVET_STRING)
                    eq = kv_str_same(x.u.s, y.u.s);
                else if (x.type != y.type && !(kv_is_number(x) && kv_is_number(y)))
                    eq = 0;
            }
            if (eq >= 0) {
                r = kv_bool(KV_INS_OP(w) == KV_OPC_EQ ? eq : !eq);
            } else {
                const char *err = NULL;
                if (kv_vm_binop(ev->arena, ops[KV_INS_OP(w)], x, y, &r, &err) < 0)
                    FAIL(err ? err : "invalid operation");
            }
            /* results point at the left operand's origin */
            PUSH(kv_at(r, x.src ? x : y));
            break;
        }
        case KV_OPC_NEG: {
            kvet_value x = POP();
            if (x.type == KVET_INT) {
                if (x.u.i == INT64_MIN)
                    FAIL("integer overflow in negation");
                x.u.i = -x.u.i;
            } else if (x.type == KVET_FLOAT) {
                x.u.f = -x.u.f;
            } else if (x.type != KVET_ABSENT) {
                FAIL(fmt_err(ev->arena, "cannot negate a %s", tname(x)));
            }
            PUSH(x);
            break;
        }
        case KV_OPC_NOT: {
            kvet_value x = POP();
            if (x.type == KVET_BOOL)
                x.u.b = !x.u.b;
            else if (x.type != KVET_ABSENT)
                FAIL(fmt_err(ev->arena, "`not` needs a bool, got %s", tname(x)));
            PUSH(x);
            break;
        }
        case KV_OPC_JMP:
            pc = a;
            break;
        case KV_OPC_JF: {
            kvet_value x = POP();
            if (!(x.type == KVET_BOOL && x.u.b)) {
                if (x.type != KVET_BOOL && x.type != KVET_ABSENT)
                    FAIL(fmt_err(ev->arena, "a condition must be a bool, got %s", tname(x)));
                pc = a;
                MARK_BRANCH(here, KV_COV_JUMPED);
            } else {
                MARK_BRANCH(here, KV_COV_FALLTHROUGH);
            }
            break;
        }
        case KV_OPC_JREQ:
        case KV_OPC_JFORBID: {
            /* a check passes unless its value is false (require) or true
             * (forbid); coverage also notes whether a pass was decided by
             * an absent value */
            kvet_value x = POP();
            if (x.type != KVET_BOOL && x.type != KVET_ABSENT)
                FAIL(fmt_err(ev->arena, "a condition must be a bool, got %s", tname(x)));
            bool fires = x.type == KVET_BOOL && x.u.b == (KV_INS_OP(w) == KV_OPC_JFORBID);
            if (fires) {
                MARK_BRANCH(here, KV_COV_FALLTHROUGH);
            } else {
                pc = a;
                MARK_BRANCH(here, KV_COV_JUMPED | (x.type == KVET_ABSENT ? KV_COV_ABSENT : KV_COV_PRESENT));
            }
            break;
        }
        case KV_OPC_JNA:
            if (TOP().type != KVET_ABSENT) {
                pc = a;
                MARK_BRANCH(here, KV_COV_JUMPED);
            } else {
                ev->sp--;
                MARK_BRANCH(here, KV_COV_FALLTHROUGH);
            }
            break;
        case KV_OPC_ANDSC: {
            kvet_value x = TOP();
            if (x.type != KVET_BOOL && x.type != KVET_ABSENT)
                FAIL(fmt_err(ev->arena, "`and` needs bools, got %s", tname(x)));
            bool shortcut = x.type == KVET_BOOL && !x.u.b;
            if (shortcut)
                pc = a;
            MARK_BRANCH(here, shortcut ? KV_COV_JUMPED : KV_COV_FALLTHROUGH);
            break;
        }
        case KV_OPC_ORSC: {
            kvet_value x = TOP();
            if (x.type != KVET_BOOL && x.type != KVET_ABSENT)
                FAIL(fmt_err(ev->arena, "`or` needs bools, got %s", tname(x)));
            bool shortcut = x.type == KVET_BOOL && x.u.b;
            if (shortcut)
                pc = a;
            MARK_BRANCH(here, shortcut ? KV_COV_JUMPED : KV_COV_FALLTHROUGH);
            break;
        }
        case KV_OPC_ANDEND:
        case KV_OPC_OREND: {
            kvet_value y = POP(), x = POP();
            bool is_and = KV_INS_OP(w) == KV_OPC_ANDEND;
            if (y.type != KVET_BOOL && y.type != KVET_ABSENT)
                FAIL(fmt_err(ev->arena, "`%s` needs bools, got %s", is_and ? "and" : "or", tname(y)));
            kvet_value r;
            if (is_and) {
                /* x is true or absent here */
                if (y.type == KVET_BOOL && !y.u.b) r = kv_bool(false);
                else if (x.type == KVET_BOOL && y.type == KVET_BOOL) r = kv_bool(true);
                else r = kv_absent();
            } else {
                if (y.type == KVET_BOOL && y.u.b) r = kv_bool(true);
                else if (x.type == KVET_BOOL && y.type == KVET_BOOL) r = kv_bool(false);
                else r = kv_absent();
            }
            PUSH(kv_at(r, x));
            break;
        }
        case KV_OPC_CALL: {
            uint32_t bi = a & 0xFFFF, n = a >> 16;
            const kv_builtin *b = &kv_builtins[bi];
            kv_call call = {ev->arena, lim, ev->env->regex, NULL, ev->env->ctx, ev->env->type_names};
            kvet_value r = kv_absent();
            if (b->fn(&call, ev->stack + ev->sp - n, (int)n, &r) < 0)
                FAIL(call.err ? call.err : fmt_err(ev->arena, "%s() failed", b->name));
            ev->sp -= n;
            PUSH(r);
            break;
        }
        case KV_OPC_CALLFN: {
            const kv_fn *f = &p->fns[a];
            const kv_chunk *ch = &p->chunks[f->chunk];
            /* memoize only while building the resource's own values: a
             * top-level let is built in the run's arena and must not keep
             * a value of this resource */
            bool memo = ev->env->fn_memo[a] && ev->arena == ev->doc_arena;
            uint64_t mh = 0;
            if (memo) {
                const kvet_value *args = ev->stack + ev->sp - f->nparams;
                mh = memo_hash(a, args, f->nparams);
                memo_entry *e = memo_find(ev, a, args, f->nparams, mh);
                if (e) {
                    ev->sp -= f->nparams;
                    PUSH(e->result);
                    break;
                }
            }
            if (ev->nframes - frames0 >= lim->max_call_depth || ev->nframes >= 100000)
                FAIL(fmt_err(ev->arena, "function call depth limit (%u) exceeded in %s()", lim->max_call_depth, f->name));
            if (ev->nframes == ev->capframes) {
                uint32_t cap = ev->capframes ? ev->capframes * 2 : 16;
                frame *fr = realloc(ev->frames, cap * sizeof *fr);
                if (!fr)
                    FAIL("out of memory");
                ev->frames = fr;
                ev->capframes = cap;
            }
            uint32_t nb = ev->ltop;
            if (!reserve_locals_given(ev, ch->nlocals, f->nparams))
                FAIL("out of memory");
            if (!reserve_stack(ev, ch->maxstack))
                FAIL("evaluation stack overflow");
            ev->ltop += ch->nlocals;
            for (uint32_t i = 0; i < f->nparams; i++)
                ev->locals[nb + i] = ev->stack[ev->sp - f->nparams + i];
            ev->sp -= f->nparams;
            frame *fr = &ev->frames[ev->nframes++];
            fr->ret_pc = pc;
            fr->base = base;
            fr->sp = ev->sp;
            fr->fn = memo ? (int32_t)a : ~(int32_t)a;
            fr->memo_hash = mh;
            if (ev->fn_steps) {
                fr->steps0 = steps;
                ev->env->hooks.fn_calls[a]++;
            }
            base = nb;
            pc = ch->entry;
            break;
        }
        case KV_OPC_RET: {
            kvet_value v = POP();
            if (ev->nframes > frames0) {
                frame *fr = &ev->frames[--ev->nframes];
                if (ev->fn_steps)
                    ev->fn_steps[fr->fn >= 0 ? fr->fn : ~fr->fn] += steps - fr->steps0;
                if (fr->fn >= 0 && ev->arena == ev->doc_arena)
                    memo_put(ev, (uint32_t)fr->fn, ev->locals + base, p->fns[fr->fn].nparams, fr->memo_hash, v);
                ev->ltop = base;
                base = fr->base;
                pc = fr->ret_pc;
                ev->sp = fr->sp;
                PUSH(v);
                break;
            }
            ev->sp = sp0;
            ev->steps = steps;
            *result = v;
            return 0;
        }
        case KV_OPC_LIST: {
            kvet_list *l = kv_list_new(ev->arena, a);
            if (!l)
                FAIL("out of memory");
            if (a)
                memcpy(l->items, ev->stack + ev->sp - a, a * sizeof(kvet_value));
            ev->sp -= a;
            PUSH(stamp(p, kv_list_value(l), here));
            break;
        }
        case KV_OPC_MAP: {
            kvet_map *m = kv_map_new(ev->arena, a);
            if (!m)
                FAIL("out of memory");
            kvet_value *kv = ev->stack + ev->sp - 2 * a;
            uint32_t n = 0;
            for (uint32_t i = 0; i < a; i++) {
                kvet_value k = kv[2 * i];
                /* computed keys: an absent key leaves the entry out, and
                 * keys must be strings and distinct */
                if (k.type == KVET_ABSENT)
                    continue;
                if (k.type != KVET_STRING)
                    FAIL(fmt_err(ev->arena, "a map key must be a string, got %s", tname(k)));
                for (uint32_t j = 0; j < n; j++)
                    if (m->e[j].key->len == k.u.s->len && !memcmp(m->e[j].key->data, k.u.s->data, k.u.s->len))
                        FAIL(fmt_err(ev->arena, "duplicate key \"%s\" in map literal", k.u.s->data));
                m->e[n].key = k.u.s;
                m->e[n].val = kv[2 * i + 1];
                n++;
            }
            m->n = n;
            ev->sp -= 2 * a;
            PUSH(stamp(p, kv_map_value(m), here));
            break;
        }
        case KV_OPC_ITER: {
            kvet_value x = POP();
            if (x.type != KVET_LIST && x.type != KVET_MAP && x.type != KVET_ABSENT)
                FAIL(fmt_err(ev->arena, "cannot iterate over a %s", tname(x)));
            ev->locals[base + a] = x;
            ev->locals[base + a + 1] = kv_int(0);
            break;
        }
        case KV_OPC_NEXT: {
            uint32_t s = KV_NEXT_SLOT(a), two = KV_NEXT_TWO(a);
            kvet_value coll = ev->locals[base + s];
            /* the verifier proves stack discipline, not what a slot holds:
             * an iterator that no ITER set up is refused here */
            if ((coll.type != KVET_LIST && coll.type != KVET_MAP && coll.type != KVET_ABSENT) ||
                ev->locals[base + s + 1].type != KVET_INT || ev->locals[base + s + 1].u.i < 0)
                FAIL("invalid instruction: NEXT of a slot that is not an iterator");
            int64_t i = ev->locals[base + s + 1].u.i;
            uint32_t n = coll.type == KVET_LIST ? coll.u.l->n : coll.type == KVET_MAP ? coll.u.m->n : 0;
            if (i >= (int64_t)n) {
                pc = KV_INS_A(code[pc]);
                break;
            }
            ev->locals[base + s + 1].u.i = i + 1;
            if (coll.type == KVET_LIST) {
                if (two) {
                    ev->locals[base + s + 2] = kv_at(kv_int(i), coll.u.l->items[i]);
                    ev->locals[base + s + 3] = coll.u.l->items[i];
                } else {
                    ev->locals[base + s + 2] = coll.u.l->items[i];
                }
            } else {
                const kvet_map_entry *e = &coll.u.m->e[i];
                ev->locals[base + s + 2] = kv_at(kv_str_value(e->key), e->val);
                if (two)
                    ev->locals[base + s + 3] = e->val;
            }
            pc++; /* skip the exit word */
            break;
        }
        case KV_OPC_ITEREND:
            if (ev->locals[base + a].type == KVET_ABSENT)
                ev->stack[ev->sp - 1] = ev->locals[base + a];
            break;
        case KV_OPC_ACCNEW: {
            kv_acc *acc = kv_arena_calloc(ev->arena, sizeof *acc);
            if (!acc)
                FAIL("out of memory");
            kvet_value v = {0};
            v.type = KV_T_ACC;
            v.u.l = (const kvet_list *)(uintptr_t)acc;
            ev->locals[base + a] = v;
            break;
        }
        case KV_OPC_ACCPUSH:
            if (ev->locals[base + a].type != KV_T_ACC)
                FAIL("invalid instruction: not an accumulator");
            if (acc_push(ev, &ev->locals[base + a], POP()) < 0)
                FAIL("out of memory");
            break;
        case KV_OPC_ACCKV: {
            kvet_value coll = ev->locals[base + a + 1];
            if (ev->locals[base + a].type != KV_T_ACC || ev->locals[base + a + 3].type == KV_T_ACC ||
                ev->locals[base + a + 4].type == KV_T_ACC ||
                (coll.type == KVET_MAP && ev->locals[base + a + 3].type != KVET_STRING))
                FAIL("invalid instruction: not an accumulator and its iterator");
            if (coll.type == KVET_MAP) {
                if (acc_push(ev, &ev->locals[base + a], ev->locals[base + a + 3]) < 0 ||
                    acc_push(ev, &ev->locals[base + a], ev->locals[base + a + 4]) < 0)
                    FAIL("out of memory");
            } else {
                if (acc_push(ev, &ev->locals[base + a], ev->locals[base + a + 4]) < 0)
                    FAIL("out of memory");
            }
            break;
        }
        case KV_OPC_ACCLIST:
        case KV_OPC_ACCMAP: {
            if (ev->locals[base + a].type != KV_T_ACC)
                FAIL("invalid instruction: not an accumulator");
            kv_acc *acc = (kv_acc *)(uintptr_t)ev->locals[base + a].u.l;
            kvet_value coll = ev->locals[base + a + 1];
            if (KV_INS_OP(w) == KV_OPC_ACCMAP && coll.type == KVET_MAP) {
                kvet_map *m = kv_map_new(ev->arena, acc->n / 2);
                if (!m)
                    FAIL("out of memory");
                for (uint32_t i = 0; i < acc->n / 2; i++) {
                    if (acc->items[2 * i].type != KVET_STRING)
                        FAIL("invalid instruction: a map accumulated without its keys");
                    m->e[i].key = acc->items[2 * i].u.s;
                    m->e[i].val = acc->items[2 * i + 1];
                }
                PUSH(kv_at(kv_map_value(m), coll));
            } else {
                kvet_list *l = kv_list_new(ev->arena, acc->n);
                if (!l)
                    FAIL("out of memory");
                if (acc->n)
                    memcpy(l->items, acc->items, acc->n * sizeof(kvet_value));
                PUSH(kv_at(kv_list_value(l), coll));
            }
            break;
        }
        case KV_OPC_FORMAT: {
            kv_buf b;
            kv_buf_init(&b);
            for (uint32_t i = 0; i < a; i++)
                render_part(&b, ev->stack[ev->sp - a + i]);
            ev->sp -= a;
            if (b.oom || b.len > lim->max_string_bytes) {
                kv_buf_free(&b);
                FAIL("message too long");
            }
            kvet_value v = kv_string_value(ev->arena, b.data ? b.data : "", b.len);
            kv_buf_free(&b);
            if (v.type == KVET_ABSENT)
                FAIL("out of memory");
            PUSH(v);
            break;
        }
        case KV_OPC_EMIT: {
            kvet_value remedy = POP(), msg = POP(), at = POP();
            if (ev->env->hooks.finding)
                ev->env->hooks.finding(ev->env->hooks.ud, a, at, msg, remedy);
            break;
        }
        case KV_OPC_TRY: {
            if (ev->nhandlers == ev->caphandlers) {
                uint32_t cap = ev->caphandlers ? ev->caphandlers * 2 : 8;
                handler *h = realloc(ev->handlers, cap * sizeof *h);
                if (!h)
                    FAIL("out of memory");
                ev->handlers = h;
                ev->caphandlers = cap;
            }
            handler *h = &ev->handlers[ev->nhandlers++];
            h->catch_pc = a;
            h->sp = ev->sp;
            h->nframes = ev->nframes;
            h->ltop = ev->ltop;
            break;
        }
        case KV_OPC_ENDTRY:
            if (ev->nhandlers > handlers0)
                ev->nhandlers--;
            break;
        default:
            FAIL("invalid instruction");
        }
        continue;

    error:
        ev->err_pc = here;
    error_keep_pc:
        if (ev->nhandlers > handlers0) {
            handler *h = &ev->handlers[--ev->nhandlers];
            /* unwind frames opened inside the try */
            while (ev->nframes > h->nframes) {
                frame *fr = &ev->frames[--ev->nframes];
                base = fr->base;
            }
            ev->sp = h->sp;
            ev->ltop = h->ltop;
            if (!push_val(ev, kv_absent())) {
                ev->steps = steps;
                return -1;
            }
            pc = h->catch_pc;
            ev->err = NULL;
            continue;
        }
        ev->nframes = frames0;
        ev->sp = sp0;
        ev->ltop = ltop0;
        ev->steps = steps;
        return -1;
    }
}

#undef FAIL
#undef PUSH
#undef POP
#undef TOP

/* ------------------------------------------------------ resource driver */

static void report_error(kv_eval *ev, const char *what)
{
    const kvet_pack *p = ev->prog;
    kv_pos pos = kv_program_pos(p, ev->err_pc);
    ev->nerrors++;
    if (ev->env->hooks.error)
        ev->env->hooks.error(ev->env->hooks.ud, what, pos.file < p->nfiles ? p->files[pos.file] : NULL,
                             pos.line, pos.col, ev->err ? ev->err : "evaluation failed");
}

static bool block_selected(const kv_block *b, const char *kind, size_t kl, const char *api, size_t al)
{
    for (uint32_t i = 0; i < b->nsel; i++)
        if (kv_selector_match(&b->sel[i], kind, kl, api, al))
            return true;
    return false;
}

/* Whether block b is selected, each block's selectors matched once: a
 * block holds many rules and derived values (seen: 0 not yet, 1 no, 2 yes;
 * NULL: match every time). */
static bool block_selected_once(const kvet_pack *p, uint8_t *seen, uint32_t b, const kvet_string *kind,
                                const kvet_string *api)
{
    if (!seen)
        return block_selected(&p->blocks[b], kind->data, kind->len, api->data, api->len);
    if (!seen[b])
        seen[b] = block_selected(&p->blocks[b], kind->data, kind->len, api->data, api->len) ? 2 : 1;
    return seen[b] == 2;
}

/* Fill s (its lists at least nderives and nrules long) for kind and api:
 * once per pair and evaluator. */
static void select_blocks(const kvet_pack *p, selection *s, const kvet_string *kind, const kvet_string *api)
{
    uint8_t small[256];
    uint8_t *seen = p->nblocks <= sizeof small ? small : calloc(p->nblocks, 1);
    if (seen == small)
        memset(small, 0, p->nblocks);
    s->nderives = s->nrules = 0;
    for (uint32_t d = 0; d < p->nderives; d++)
        if (block_selected_once(p, seen, p->derives[d].block, kind, api))
            s->derives[s->nderives++] = d;
    for (uint32_t r = 0; r < p->nrules; r++)
        if (p->rules[r].enabled && block_selected_once(p, seen, p->rules[r].block, kind, api))
            s->rules[s->nrules++] = r;
    if (seen != small)
        free(seen);
}

/* The selection of the resource's kind and apiVersion (both strings):
 * the table's, made on first use, or the scratch one when the table is
 * full or cannot grow. */
static const selection *selection_for(kv_eval *ev, const kvet_string *kind, const kvet_string *api)
{
    const kvet_pack *p = ev->prog;
    uint64_t h = kv_hash_bytes(kv_hash_bytes(0, kind->data, kind->len), api->data, api->len);
    uint32_t mask = ev->capsel - 1;
    if (ev->capsel)
        for (uint32_t i = (uint32_t)h & mask; ev->sel[i].kind; i = (i + 1) & mask) {
            const selection *s = &ev->sel[i];
            if (s->hash == h && s->kl == kind->len && s->al == api->len &&
                !memcmp(s->kind, kind->data, kind->len) && !memcmp(s->api, api->data, api->len))
                return s;
        }
    if (ev->nsel >= SELECTIONS_MAX)
        goto scratch;
    if (2 * (ev->nsel + 1) > ev->capsel) {
        uint32_t cap = ev->capsel ? 2 * ev->capsel : 16;
        selection *t = calloc(cap, sizeof *t);
        if (!t)
            goto scratch;
        for (uint32_t i = 0; i < ev->capsel; i++) {
            if (!ev->sel[i].kind)
                continue;
            uint32_t j = (uint32_t)ev->sel[i].hash & (cap - 1);
            while (t[j].kind)
                j = (j + 1) & (cap - 1);
            t[j] = ev->sel[i];
        }
        free(ev->sel);
        ev->sel = t;
        ev->capsel = cap;
        mask = cap - 1;
    }
    /* one allocation: the two lists, then the two strings */
    size_t strs = (size_t)kind->len + 1 + api->len + 1;
    size_t lists = ((size_t)p->nderives + p->nrules + 1) * sizeof(uint32_t);
    char *mem = malloc(lists + strs);
    if (!mem)
        goto scratch;
    selection s = {h, mem + lists, mem + lists + kind->len + 1, kind->len, api->len, (uint32_t *)mem, 0, NULL, 0};
    s.rules = s.derives + p->nderives;
    memcpy(s.kind, kind->data, kind->len + 1);
    memcpy(s.api, api->data, api->len + 1);
    select_blocks(p, &s, kind, api);
    uint32_t i = (uint32_t)h & mask;
    while (ev->sel[i].kind)
        i = (i + 1) & mask;
    ev->sel[i] = s;
    ev->nsel++;
    return &ev->sel[i];
scratch:
    select_blocks(p, &ev->scratch, kind, api);
    return &ev->scratch;
}

bool kv_program_wants(const kvet_pack *prog, const char *kind, size_t kl, const char *api, size_t al)
{
    for (uint32_t b = 0; b < prog->nblocks; b++)
        if (block_selected(&prog->blocks[b], kind, kl, api, al))
            return true;
    return false;
}

/* Set up the frame of a block that selects the resource and evaluate its
 * where clause, once. */
static bool block_ready(kv_eval *ev, uint32_t b)
{
    if (ev->block_applies[b] >= 0)
        return ev->block_applies[b] == 1;
    const kvet_pack *p = ev->prog;
    const kv_block *blk = &p->blocks[b];
    ev->block_applies[b] = 0;
    if (!reserve_locals(ev, blk->nlocals)) {
        ev->err = "out of memory";
        report_error(ev, "block");
        return false;
    }
    ev->block_base[b] = ev->ltop;
    ev->ltop += blk->nlocals;
    ev->locals[ev->block_base[b]] = ev->doc;
    if (blk->where >= 0) {
        kvet_value v;
        if (run_chunk(ev, (uint32_t)blk->where, ev->block_base[b], &v) < 0) {
            report_error(ev, "where");
            return false;
        }
        if (v.type != KVET_BOOL && v.type != KVET_ABSENT) {
            ev->err = fmt_err(ev->arena, "a `where` clause must be a bool, got %s", tname(v));
            ev->err_pc = p->chunks[blk->where].entry;
            report_error(ev, "where");
            return false;
        }
        if (!kv_truthy(v))
            return false;
    }
    ev->block_applies[b] = 1;
    return true;
}

int kv_eval_resource(kv_eval *ev, kvet_value doc, kv_arena *arena)
{
    const kvet_pack *p = ev->prog;
    ev->arena = arena;
    ev->doc_arena = arena;
    /* forget the previous resource's calls (of whichever evaluator shares
     * the table) and this one's $NAME reads */
    ev->memo->gen++;
    ev->memo->n = 0;
    ev->doc = doc;
    ev->sp = 0;
    ev->ltop = 0;
    ev->nframes = 0;
    ev->nhandlers = 0;
    ev->steps = 0;
    ev->nested = 0;
    ev->nerrors = 0;
    ev->ndv = 0;
    ev->dv_version = 0;
    ev->ntrace = 0;
    memset(ev->block_applies, -1, p->nblocks + 1);
    memset(ev->let_state, ST_UNSET, p->nlets + 1);

    /* a resource without a string kind and apiVersion is in no block */
    kvet_value kind = kv_map_get(doc, "kind", 4), api = kv_map_get(doc, "apiVersion", 10);
    if (kind.type != KVET_STRING || api.type != KVET_STRING)
        return 0;
    const selection *sel = selection_for(ev, kind.u.s, api.u.s);

    for (uint32_t k = 0; k < sel->nderives; k++) {
        uint32_t d = sel->derives[k];
        const kv_derive *dv = &p->derives[d];
        if (!block_ready(ev, dv->block))
            continue;
        kvet_value v;
        if (run_chunk(ev, dv->chunk, ev->block_base[dv->block], &v) < 0) {
            char what[256];
            snprintf(what, sizeof what, "$%s", dv->name);
            report_error(ev, what);
            continue;
        }
        ev->trace[ev->ntrace].derive = d;
        ev->trace[ev->ntrace].value = v;
        ev->ntrace++;
        if (ev->env->hooks.derive_run)
            ev->env->hooks.derive_run(ev->env->hooks.ud, d, v.type != KVET_ABSENT);
        if (v.type == KVET_ABSENT)
            continue;
        /* a later definition of the same name replaces an earlier one */
        uint32_t i;
        for (i = 0; i < ev->ndv; i++)
            if (!strcmp(p->derives[ev->dv_derive[i]].name, dv->name))
                break;
        ev->dv_derive[i] = d;
        ev->dv_val[i] = v;
        ev->dv_version++;
        if (i == ev->ndv)
            ev->ndv++;
    }
    for (uint32_t k = 0; k < sel->nrules; k++) {
        uint32_t r = sel->rules[k];
        const kv_rule *rule = &p->rules[r];
        if (!block_ready(ev, rule->block))
            continue;
        if (ev->env->hooks.rule_run)
            ev->env->hooks.rule_run(ev->env->hooks.ud, r);
        kvet_value v;
        if (run_chunk(ev, rule->chunk, ev->block_base[rule->block], &v) < 0)
            report_error(ev, rule->id);
    }
    return ev->nerrors;
}
