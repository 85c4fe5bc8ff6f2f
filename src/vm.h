/*
 * vm.h - the interpreter: evaluates a program's chunks for one resource.
 *
 * A kv_env lives for a whole check run (parameters, memoized top-level
 * lets, cross-resource query results); a kv_eval lives for one resource and
 * allocates everything it builds in a per-document arena that the caller
 * resets afterwards.  Findings and errors are handed to callbacks; the VM
 * never prints.
 */
#ifndef KV_VM_H
#define KV_VM_H

#include <stdbool.h>

#include "kvet/kvet.h"
#include "arena.h"
#include "builtin.h"
#include "program.h"

typedef struct kv_env kv_env;
typedef struct kv_eval kv_eval;

typedef struct kv_vm_hooks {
    void *ud;
    /* A rule fired.  at: the value the `at` clause named (position), msg and
     * remedy: strings (remedy may be absent). */
    void (*finding)(void *ud, uint32_t rule, kvet_value at, kvet_value msg, kvet_value remedy);
    /* Evaluation failed; `what` names the rule or derived value. */
    void (*error)(void *ud, const char *what, const char *file, uint32_t line, uint32_t col, const char *message);
    /* The documents matching query q (a list value that stays valid for the
     * whole run). */
    kvet_value (*query)(void *ud, uint32_t q);
    /* The documents of query q whose namespace is ns: metadata.namespace,
     * or "" for a document without one ("namespace not set", which matches
     * only other documents without one, never "default"). */
    kvet_value (*query_ns)(void *ud, uint32_t q, const kvet_string *ns);
    /* Optional: a rule was evaluated on the resource (its block applied). */
    void (*rule_run)(void *ud, uint32_t rule);
    /* Optional: a derivation applied; valued says whether it gave a value. */
    void (*derive_run)(void *ud, uint32_t derive, int valued);
    /* Optional: one byte per instruction; a conditional jump ORs in
     * KV_COV_FALLTHROUGH or KV_COV_JUMPED (coverage.h) each time it runs. */
    uint8_t *branches;
    /* Optional, both or neither: per user function, the VM instructions its
     * calls ran (with those of the functions they called) and the calls that
     * ran (a memoized result is not a call; a call that fails is counted
     * but not its instructions). */
    uint64_t *fn_steps, *fn_calls;
} kv_vm_hooks;

/* What the envs of a pack share, worked out once (a run over many scopes
 * makes an env for each): which functions are memoized, which lookup keys
 * read only their document, the strings type() answers.  Read-only once
 * made, so threads share it; it must outlive the envs made with it. */
typedef struct kv_env_plan kv_env_plan;
kv_env_plan *kv_env_plan_new(const kvet_pack *prog);
void kv_env_plan_free(kv_env_plan *plan);

/* regex: the compiled patterns of the env's thread, a cache that outlives
 * the env (a pattern compiles the same in every env); NULL: its own. */
kv_env *kv_env_new(kvet_ctx *ctx, const kvet_pack *prog, const kv_env_plan *plan, const kv_vm_hooks *hooks,
                   kv_regex_cache *regex);
void kv_env_free(kv_env *env);

/* The indexes of indexed lookups, shared by envs that evaluate in threads
 * over the same query lists (a lookup's index is found by its list's
 * address): each is built once, by the first env that needs it, and is
 * read by all.  It must outlive the envs that use it. */
typedef struct kv_key_share kv_key_share;
kv_key_share *kv_key_share_new(void);
void kv_key_share_free(kv_key_share *ks);
void kv_env_share_keys(kv_env *env, kv_key_share *ks);
/* Parameter values for this environment, by prog->params index (they must
 * outlive the env); NULL gives the pack's own (after --set). */
void kv_env_set_params(kv_env *env, const kvet_value *params);

typedef struct kv_trace_rec {
    uint32_t derive;        /* index into prog->derives */
    kvet_value value;
} kv_trace_rec;

/* Evaluate every derive and rule that applies to `doc`.  Values are built in
 * `arena`.  Returns the number of evaluation errors (0 = clean).  After the
 * call, kv_eval_effective() gives the derived values as a nested map and
 * kv_eval_trace() the derivation records, both valid until the arena is
 * reset. */
kv_eval *kv_eval_new(kv_env *env);
void kv_eval_free(kv_eval *ev);

/* The table of remembered calls, which holds a resource's calls while it
 * is evaluated: evaluators that run in one thread, one resource at a time,
 * can share one, which must outlive their evaluations (without it each
 * keeps its own, as large as its largest resource needed). */
typedef struct kv_memo kv_memo;
kv_memo *kv_memo_new(void);
void kv_memo_free(kv_memo *m);
void kv_eval_share_memo(kv_eval *ev, kv_memo *m);
int kv_eval_resource(kv_eval *ev, kvet_value doc, kv_arena *arena);
kvet_value kv_eval_effective(kv_eval *ev);
const kv_trace_rec *kv_eval_trace(kv_eval *ev, size_t *n);

/* Does any block of the program apply to this kind/apiVersion? */
bool kv_program_wants(const kvet_pack *prog, const char *kind, size_t kl, const char *api, size_t al);

/* Arithmetic and comparison shared by the VM and constant folding.
 * op is a kv_op (ast.h).  Returns 0, or -1 with *err set. */
int kv_vm_binop(kv_arena *a, int op, kvet_value x, kvet_value y, kvet_value *out, const char **err);

#endif
