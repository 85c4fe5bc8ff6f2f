/*
 * builtin.h - the table of builtin functions callable from rules.
 *
 * Builtins are pure: they read their arguments and build their result in
 * the call's arena.  They never print.  On failure they set call->err to a
 * message (allocated in call->arena) and return -1; the VM turns that into
 * an evaluation error positioned at the call site.
 *
 * Absent arguments: unless a builtin's documentation says otherwise, a
 * builtin given an absent argument returns absent (absent propagates).
 * Higher-order forms (any, all, count, filter, map, find) take a lambda and
 * are compiled inline by the compiler; they are not in this table.
 */
#ifndef KV_BUILTIN_H
#define KV_BUILTIN_H

#include "kvet/kvet.h"
#include "arena.h"

typedef struct kv_regex_cache kv_regex_cache;

typedef struct kv_call {
    kv_arena *arena;          /* results and error messages go here */
    const kvet_limits *limits;
    kv_regex_cache *regex;    /* compiled patterns, shared by a whole run */
    const char *err;          /* set on failure */
    const kvet_ctx *ctx;      /* source names, for loc(); may be NULL */
    /* type()'s answers by kvet_type, made once for a run; NULL: each call
     * makes its own */
    const kvet_string *const *type_names;
} kv_call;

typedef int (*kv_builtin_fn)(kv_call *call, const kvet_value *args, int nargs, kvet_value *out);

typedef struct kv_builtin {
    const char *name;
    int min_args, max_args;   /* max_args -1 = variadic */
    kv_builtin_fn fn;
    const char *signature;    /* e.g. "split(s, sep) -> list" for docs and hints */
} kv_builtin;

size_t kv_builtin_count(void);
const kv_builtin *kv_builtin_at(size_t i);
/* The table itself, for the evaluator's calls: the verifier has checked
 * every CALL's index, so the evaluator reads it without kv_builtin_at. */
extern const kv_builtin kv_builtins[];
/* Index of a builtin by name, or -1. */
int kv_builtin_lookup(const char *name);

kv_regex_cache *kv_regex_cache_new(void);
void kv_regex_cache_free(kv_regex_cache *c);

/* Helpers shared with the VM and the parameter parser. */
/* Parse a Go-style decimal integer (optional sign, digits); 0 or -1. */
int kv_parse_int(const char *s, size_t n, int64_t *out);
/* Parse a Go ParseFloat-style number (incl. Inf, NaN, hex floats); 0 or -1. */
int kv_parse_float(const char *s, size_t n, double *out);

#endif
