/*
 * lint.c - the absent-operand lint (see lint.h).
 *
 * Three small analyses over expressions:
 *   - may_be_absent: can the value be absent?  Field paths and derived
 *     values can; literals, lists and maps cannot; operators, calls and lets
 *     pass absence on from their parts, except where the language says
 *     otherwise (==, ??, has(), min()...);
 *   - present(c): which expressions are surely present when condition c is
 *     true (a guard such as `when has(x)` or `when x > 0`), and
 *     absent_tests(c): which are surely handled when c is true because they
 *     are absent (`x == absent or ...`);
 *   - culprit(e): the part of an operand that may be absent and that no
 *     guard covers.
 * A guard on `a.b.c` covers `a.b` and `a` too: a path is there only when
 * its parents are.  Names of lets are looked through, so a guard written on
 * a let covers the path it names and the other way round.
 */
#include "lint.h"

#include <string.h>

#define MAX_DEPTH 24       /* lets and functions looked through */
#define MAX_STEPS 200000   /* work per check; past it the lint stays silent */
#define MAX_GUARDS 256
#define MAX_LOCALS 64

typedef struct binding {
    const char *name;
    const kv_node *value;  /* NULL: always present; &absent_node: may be absent */
} binding;

typedef struct lint {
    const kv_lint_env *env;
    binding locals[MAX_LOCALS];
    size_t nlocals;
    const kv_node *guards[MAX_GUARDS];
    size_t nguards;
    int depth;
    unsigned long steps;   /* lets used twice in lets used twice... would blow up */
} lint;

/* Count a step; false once the budget is spent (then nothing is reported:
 * a lint must never make compiling slow). */
static bool step(lint *l)
{
    return ++l->steps <= MAX_STEPS;
}

/* Stands for a function parameter whose argument may be absent. */
static const kv_node absent_node = {.kind = KV_N_ABSENT};

static bool bind(lint *l, const char *name, const kv_node *value)
{
    if (l->nlocals == MAX_LOCALS)
        return false;
    l->locals[l->nlocals++] = (binding){name, value};
    return true;
}

static bool lookup(lint *l, const char *name, const kv_node **value)
{
    for (size_t i = l->nlocals; i-- > 0;)
        if (!strcmp(l->locals[i].name, name)) {
            *value = l->locals[i].value;
            return true;
        }
    *value = NULL;
    return l->env->lookup(l->env->ud, name, value);
}

static bool is_builtin_call(const kv_node *e, const char *name)
{
    return e->kind == KV_N_CALL && e->a && e->a->kind == KV_N_NAME && !strcmp(e->a->str, name);
}

static bool is_absent_lit(const kv_node *e)
{
    return e && e->kind == KV_N_ABSENT;
}

static bool is_present_lit(const kv_node *e)
{
    switch (e->kind) {
    case KV_N_INT: case KV_N_FLOAT: case KV_N_STRING: case KV_N_BOOL: case KV_N_NULL:
        return true;
    default:
        return false;
    }
}

/* ------------------------------------------------------ may be absent */

static bool may(lint *l, const kv_node *e);
static bool guarded(lint *l, const kv_node *e);
static void present(lint *l, const kv_node *c, int depth);

/* Builtins that do not pass absence on as their other arguments do. */
static bool call_may(lint *l, const kv_node *e, bool args_present)
{
    const kv_node *callee = e->a;
    if (!callee || callee->kind != KV_N_NAME) {
        /* pack.fn(...): an imported function, not looked into */
        for (uint32_t i = 0; i < e->nkids && !args_present; i++)
            if (may(l, e->kids[i]))
                return true;
        return false;
    }
    const char *f = callee->str;
    uint32_t n = e->nkids;
    if (!strcmp(f, "has") || !strcmp(f, "type"))
        return false;
    if (!strcmp(f, "try"))
        return n == 2 ? may(l, e->kids[1]) : true;
    if (!strcmp(f, "docs"))
        return n == 3 && !args_present && may(l, e->kids[2]);
    if (!strcmp(f, "find") || !strcmp(f, "first") || !strcmp(f, "last") || !strcmp(f, "capture"))
        return true;
    if (!strcmp(f, "get"))
        return n == 3 ? (!args_present && may(l, e->kids[0])) || may(l, e->kids[2]) : true;
    if (!strcmp(f, "any") || !strcmp(f, "all") || !strcmp(f, "count") || !strcmp(f, "filter") || !strcmp(f, "map"))
        return n >= 1 && !args_present && may(l, e->kids[0]);
    if (!strcmp(f, "min") || !strcmp(f, "max") || !strcmp(f, "merge")) {
        /* absent arguments are skipped: absent when all are */
        if (n == 1)
            return true;
        for (uint32_t i = 0; i < n; i++)
            if (args_present || !may(l, e->kids[i]))
                return false;
        return true;
    }
    const kv_node *fn = l->env->function(l->env->ud, f);
    if (fn && l->depth < MAX_DEPTH) {
        /* a user function: its body, with each parameter as absent as its argument */
        size_t mark = l->nlocals;
        const kv_node *params = fn->a;
        for (uint32_t i = 0; params && i < params->nkids; i++) {
            bool m = !args_present && i < n && may(l, e->kids[i]);
            if (!bind(l, params->kids[i]->str, m ? &absent_node : NULL))
                break;
        }
        l->depth++;
        bool r = may(l, fn->b);
        l->depth--;
        l->nlocals = mark;
        return r;
    }
    for (uint32_t i = 0; i < n && !args_present; i++)
        if (may(l, e->kids[i]))
            return true;
    return false;
}

static bool may(lint *l, const kv_node *e)
{
    if (!e || l->depth >= MAX_DEPTH || !step(l))
        return false;
    if (guarded(l, e))
        return false;
    switch ((kv_node_kind)e->kind) {
    case KV_N_DERIVED: {
        const kv_node *v = l->env->derived(l->env->ud, e->str);
        if (!v)
            return true;
        l->depth++;
        bool r = may(l, v);
        l->depth--;
        return r;
    }
    case KV_N_ABSENT: case KV_N_FIELD: case KV_N_INDEX:
        if (e->kind == KV_N_FIELD && e->a && e->a->kind == KV_N_NAME) {
            const kv_node *v;
            if (!lookup(l, e->a->str, &v))
                return false; /* alias.name: a value of an imported pack */
        }
        return true;
    case KV_N_NAME: {
        const kv_node *v;
        if (!lookup(l, e->str, &v) || !v)
            return false;
        l->depth++;
        bool r = may(l, v);
        l->depth--;
        return r;
    }
    case KV_N_UNARY:
        return may(l, e->a);
    case KV_N_BINARY:
        if (e->op == KV_OP_EQ || e->op == KV_OP_NE)
            return false; /* total: absent is a value like any other */
        return may(l, e->a) || may(l, e->b);
    case KV_N_AND: case KV_N_OR:
        return may(l, e->a) || may(l, e->b);
    case KV_N_COALESCE:
        return may(l, e->b);
    case KV_N_COND: {
        /* `v when c`: v is taken only when c holds */
        if (!e->c)
            return true;
        size_t mark = l->nguards;
        present(l, e->b, 0);
        bool r = may(l, e->a);
        l->nguards = mark;
        return r || may(l, e->c);
    }
    case KV_N_LETIN: {
        size_t mark = l->nlocals;
        bind(l, e->str, e->a);
        bool r = may(l, e->b);
        l->nlocals = mark;
        return r;
    }
    case KV_N_CALL:
        return call_may(l, e, false);
    default:
        return false;
    }
}

bool kv_lint_may_be_absent(const kv_lint_env *env, const kv_node *e)
{
    lint l;
    memset(&l, 0, sizeof l);
    l.env = env;
    return may(&l, e);
}

/* -------------------------------------------------------------- guards */

/* A let's name stands for its value when that is a path. */
static const kv_node *expand(lint *l, const kv_node *e)
{
    for (int i = 0; i < 8 && e && e->kind == KV_N_NAME; i++) {
        const kv_node *v;
        if (!lookup(l, e->str, &v) || !v || v == &absent_node)
            break;
        if (v->kind != KV_N_NAME && v->kind != KV_N_FIELD && v->kind != KV_N_INDEX && v->kind != KV_N_DERIVED)
            break;
        e = v;
    }
    return e;
}

/* x.name and x["name"] are the same access. */
static const char *field_name(const kv_node *e, uint32_t *len)
{
    if (e->kind == KV_N_FIELD) {
        *len = e->slen;
        return e->str;
    }
    if (e->kind == KV_N_INDEX && e->b && e->b->kind == KV_N_STRING) {
        *len = e->b->slen;
        return e->b->str;
    }
    return NULL;
}

static bool same(lint *l, const kv_node *a, const kv_node *b, int depth)
{
    if (!a || !b || depth > 64 || !step(l))
        return a == b;
    a = expand(l, a);
    b = expand(l, b);
    if (a == b)
        return true;
    uint32_t la = 0, lb = 0;
    const char *fa = field_name(a, &la), *fb = field_name(b, &lb);
    if (fa || fb)
        return fa && fb && la == lb && !memcmp(fa, fb, la) && same(l, a->a, b->a, depth + 1);
    if (a->kind != b->kind)
        return false;
    switch ((kv_node_kind)a->kind) {
    case KV_N_NAME: case KV_N_DERIVED:
        return !strcmp(a->str, b->str);
    case KV_N_STRING:
        return a->slen == b->slen && !memcmp(a->str, b->str, a->slen);
    case KV_N_INT: case KV_N_BOOL:
        return a->i == b->i;
    case KV_N_NULL: case KV_N_ABSENT:
        return true;
    case KV_N_INDEX: case KV_N_BINARY: case KV_N_UNARY: case KV_N_COALESCE: case KV_N_AND: case KV_N_OR:
        return a->op == b->op && same(l, a->a, b->a, depth + 1) && same(l, a->b, b->b, depth + 1);
    case KV_N_CALL:
        if (a->nkids != b->nkids || !same(l, a->a, b->a, depth + 1))
            return false;
        for (uint32_t i = 0; i < a->nkids; i++)
            if (!same(l, a->kids[i], b->kids[i], depth + 1))
                return false;
        return true;
    default:
        return false;
    }
}

/* Is e known to be present (or its absence handled)?  A guard on a path
 * covers the path's parents. */
static bool guarded(lint *l, const kv_node *e)
{
    for (size_t i = 0; i < l->nguards; i++)
        for (const kv_node *g = l->guards[i]; g; g = g->kind == KV_N_FIELD || g->kind == KV_N_INDEX ? g->a : NULL)
            if (same(l, g, e, 0))
                return true;
    return false;
}

static void add_guard(lint *l, const kv_node *e)
{
    if (e && l->nguards < MAX_GUARDS)
        l->guards[l->nguards++] = e;
}

/* The expressions whose absence makes e absent. */
static void strict(lint *l, const kv_node *e, int depth)
{
    if (!e || depth > MAX_DEPTH || is_present_lit(e) || !step(l))
        return;
    add_guard(l, e); /* absent would make it absent: e itself, at least */
    switch ((kv_node_kind)e->kind) {
    case KV_N_NAME: {
        const kv_node *v;
        if (lookup(l, e->str, &v) && v && v != &absent_node)
            strict(l, v, depth + 1);
        break;
    }
    case KV_N_UNARY:
        strict(l, e->a, depth + 1);
        break;
    case KV_N_BINARY:
        if (e->op != KV_OP_EQ && e->op != KV_OP_NE) {
            strict(l, e->a, depth + 1);
            strict(l, e->b, depth + 1);
        }
        break;
    case KV_N_CALL:
        if (!e->a || e->a->kind != KV_N_NAME || is_builtin_call(e, "has") || is_builtin_call(e, "type") ||
            is_builtin_call(e, "try") || is_builtin_call(e, "min") || is_builtin_call(e, "max") ||
            is_builtin_call(e, "merge") || is_builtin_call(e, "get") || is_builtin_call(e, "docs") ||
            l->env->function(l->env->ud, e->a->str))
            break;
        /* a builtin passes absence on; the higher-order forms from their collection */
        for (uint32_t i = 0; i < e->nkids; i++)
            if (e->kids[i]->kind != KV_N_LAMBDA)
                strict(l, e->kids[i], depth + 1);
        break;
    default:
        break;
    }
}

/* type(E) */
static bool is_type_of(const kv_node *e)
{
    return is_builtin_call(e, "type") && e->nkids == 1;
}

/* A string or a list of strings, none of them "absent": type(E) equal to
 * or in it means E is there. */
static bool names_no_absent(const kv_node *e)
{
    if (e->kind == KV_N_STRING)
        return strcmp(e->str, "absent") != 0;
    if (e->kind != KV_N_LIST)
        return false;
    for (uint32_t i = 0; i < e->nkids; i++)
        if (!names_no_absent(e->kids[i]) || e->kids[i]->kind != KV_N_STRING)
            return false;
    return true;
}

/* Add what is present whenever condition c is true. */
static void present(lint *l, const kv_node *c, int depth)
{
    if (!c || depth > MAX_DEPTH)
        return;
    switch ((kv_node_kind)c->kind) {
    case KV_N_AND:
        present(l, c->a, depth + 1);
        present(l, c->b, depth + 1);
        break;
    case KV_N_CALL:
        if (is_builtin_call(c, "has") && c->nkids == 1)
            add_guard(l, c->kids[0]);
        else
            strict(l, c, depth + 1);
        break;
    case KV_N_BINARY:
        if ((c->op == KV_OP_EQ || c->op == KV_OP_IN) && is_type_of(c->a) && names_no_absent(c->b))
            add_guard(l, c->a->kids[0]);
        else if (c->op == KV_OP_EQ && is_type_of(c->b) && names_no_absent(c->a))
            add_guard(l, c->b->kids[0]);
        else if (c->op == KV_OP_NE && (is_absent_lit(c->a) || is_absent_lit(c->b)))
            add_guard(l, is_absent_lit(c->a) ? c->b : c->a);
        else if (c->op == KV_OP_EQ && is_present_lit(c->a))
            add_guard(l, c->b);
        else if (c->op == KV_OP_EQ && is_present_lit(c->b))
            add_guard(l, c->a);
        else
            strict(l, c, depth + 1);
        break;
    case KV_N_UNARY:
        if (c->op == KV_OP_NOT && c->a->kind == KV_N_BINARY && c->a->op == KV_OP_EQ &&
            (is_absent_lit(c->a->a) || is_absent_lit(c->a->b)))
            add_guard(l, is_absent_lit(c->a->a) ? c->a->b : c->a->a);
        else
            strict(l, c, depth + 1);
        break;
    default:
        strict(l, c, depth + 1);
        break;
    }
}

/* Add what is handled by being absent when condition c is true. */
static void absent_tests(lint *l, const kv_node *c, int depth)
{
    if (!c || depth > MAX_DEPTH)
        return;
    if (c->kind == KV_N_OR) {
        absent_tests(l, c->a, depth + 1);
        absent_tests(l, c->b, depth + 1);
    } else if (c->kind == KV_N_BINARY && c->op == KV_OP_EQ && (is_absent_lit(c->a) || is_absent_lit(c->b))) {
        add_guard(l, is_absent_lit(c->a) ? c->b : c->a);
    } else if (c->kind == KV_N_UNARY && c->op == KV_OP_NOT) {
        const kv_node *x = c->a;
        if (is_builtin_call(x, "has") && x->nkids == 1)
            add_guard(l, x->kids[0]);
        else if (x->kind == KV_N_BINARY && x->op == KV_OP_NE && (is_absent_lit(x->a) || is_absent_lit(x->b)))
            add_guard(l, is_absent_lit(x->a) ? x->b : x->a);
    }
}

/* ------------------------------------------------------------- culprit */

static bool passes_absence_on(lint *l, const kv_node *call)
{
    return call->a && call->a->kind == KV_N_NAME && !is_builtin_call(call, "has") && !is_builtin_call(call, "type") &&
           !is_builtin_call(call, "try") && !is_builtin_call(call, "min") && !is_builtin_call(call, "max") &&
           !is_builtin_call(call, "merge") && !is_builtin_call(call, "get") && !is_builtin_call(call, "docs") &&
           !l->env->function(l->env->ud, call->a->str);
}

static const kv_node *culprit(lint *l, const kv_node *e)
{
    if (!e || l->depth >= MAX_DEPTH || !may(l, e) || guarded(l, e))
        return NULL;
    if (l->steps > MAX_STEPS)
        return NULL;
    switch ((kv_node_kind)e->kind) {
    case KV_N_UNARY:
        return culprit(l, e->a);
    case KV_N_BINARY: {
        const kv_node *c = culprit(l, e->a);
        return c ? c : culprit(l, e->b);
    }
    case KV_N_COALESCE:
        return culprit(l, e->b);
    case KV_N_NAME: {
        const kv_node *v;
        if (!lookup(l, e->str, &v) || !v)
            return NULL;
        if (v == &absent_node)
            return e;
        l->depth++;
        const kv_node *c = culprit(l, v);
        l->depth--;
        return c ? e : NULL; /* reported where the name is used */
    }
    case KV_N_LETIN: {
        size_t mark = l->nlocals;
        bind(l, e->str, e->a);
        const kv_node *c = culprit(l, e->b);
        l->nlocals = mark;
        return c;
    }
    case KV_N_CALL:
        if (passes_absence_on(l, e)) {
            for (uint32_t i = 0; i < e->nkids; i++) {
                if (e->kids[i]->kind == KV_N_LAMBDA)
                    continue;
                const kv_node *c = culprit(l, e->kids[i]);
                if (c)
                    return c;
            }
            return call_may(l, e, true) ? e : NULL;
        }
        return e;
    default:
        return e;
    }
}

/* ----------------------------------------------------------- the walk */

static void check(lint *l, const kv_node *c, bool forbid, int depth)
{
    if (!c || depth > MAX_DEPTH)
        return;
    size_t mark = l->nguards;
    switch ((kv_node_kind)c->kind) {
    case KV_N_AND:
        present(l, c->b, 0);
        check(l, c->a, forbid, depth + 1);
        l->nguards = mark;
        present(l, c->a, 0);
        check(l, c->b, forbid, depth + 1);
        break;
    case KV_N_OR:
        absent_tests(l, c->b, 0);
        check(l, c->a, forbid, depth + 1);
        l->nguards = mark;
        absent_tests(l, c->a, 0);
        check(l, c->b, forbid, depth + 1);
        break;
    case KV_N_UNARY:
        if (c->op == KV_OP_NOT)
            check(l, c->a, forbid, depth + 1);
        break;
    case KV_N_LETIN: {
        size_t locals = l->nlocals;
        bind(l, c->str, c->a);
        check(l, c->b, forbid, depth + 1);
        l->nlocals = locals;
        break;
    }
    case KV_N_BINARY:
        if (c->op == KV_OP_LT || c->op == KV_OP_LE || c->op == KV_OP_GT || c->op == KV_OP_GE || c->op == KV_OP_IN ||
            c->op == KV_OP_NOTIN) {
            const kv_node *k = culprit(l, c->a);
            if (!k)
                k = culprit(l, c->b);
            if (k && l->steps <= MAX_STEPS)
                l->env->report(l->env->ud, c, k, forbid);
        }
        break;
    default:
        break;
    }
    l->nguards = mark;
}

void kv_lint_check(const kv_lint_env *env, const kv_node *cond, bool forbid, const kv_node *const *guards,
                   size_t nguards)
{
    lint l;
    memset(&l, 0, sizeof l);
    l.env = env;
    for (size_t i = 0; i < nguards; i++)
        present(&l, guards[i], 0);
    check(&l, cond, forbid, 0);
}
