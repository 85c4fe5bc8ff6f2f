/*
 * lint.h - the absent-operand lint over a rule's checks.
 *
 * "Absent never fires" is the language's rule: an ordering comparison or an
 * `in` test with an absent operand is absent, and an absent require or
 * forbid passes.  That is right for a value that may legitimately be
 * missing, and silently wrong for a required bound such as
 *     require hpa.spec.behavior.scaleDown.stabilizationWindowSeconds >= 300
 * which passes when the field is not set at all.  The lint finds, in a
 * require or forbid condition, the comparisons (< <= > >= in, not in) with
 * an operand that may be absent (docs/language.md, "Absent values") and that
 * nothing in the rule guards: a `when` that needs it present, an `and` with
 * has(x), an `or` with x == absent, a `?? default`.
 *
 * The analysis works on syntax trees; the compiler answers what a name
 * stands for, and receives the reports.
 */
#ifndef KV_LINT_H
#define KV_LINT_H

#include <stdbool.h>
#include <stddef.h>

#include "ast.h"

typedef struct kv_lint_env {
    void *ud;
    /* What a name stands for where the rule is: *value is the expression of
     * a let (of the block, the rule or the pack) and the result true; a name
     * of something always present (the document, an each or lambda
     * variable, a parameter) gives true with *value NULL; false when the
     * name is unknown. */
    bool (*lookup)(void *ud, const char *name, const kv_node **value);
    /* User function `name`: its FN node (parameters in a, body in b), or
     * NULL for a builtin or an unknown name. */
    const kv_node *(*function)(void *ud, const char *name);
    /* $name: the expression of its one definition when that is sure to
     * apply wherever the rule does (it is in the rule's block) and nothing
     * else defines the name or a part of it; else NULL (it may be absent). */
    const kv_node *(*derived)(void *ud, const char *name);
    /* A comparison `cmp` in a require (forbid: a forbid) has `operand`,
     * which may be absent and is not guarded. */
    void (*report)(void *ud, const kv_node *cmp, const kv_node *operand, bool forbid);
} kv_lint_env;

/* Lint one require/forbid condition.  guards are the conditions that hold
 * whenever it is evaluated: the rule's `when` clauses, the collections of
 * its `each` clauses (a missing one gives no iterations) and the block's
 * `where`. */
void kv_lint_check(const kv_lint_env *env, const kv_node *cond, bool forbid, const kv_node *const *guards,
                   size_t nguards);

/* Whether the value of e may be absent (e.g. a field path, a derived
 * value, or something computed from one without a `?? default`). */
bool kv_lint_may_be_absent(const kv_lint_env *env, const kv_node *e);

#endif
