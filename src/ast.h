/*
 * ast.h - the syntax tree of kvet rule files.
 *
 * One node type serves every construct; `kind` says which fields are used.
 * All nodes, strings and child arrays live in the compilation arena, so the
 * parser never frees (error recovery cannot leak) and the whole tree goes
 * away with the compilation.
 */
#ifndef KV_AST_H
#define KV_AST_H

#include <stdbool.h>
#include <stdint.h>

#include "arena.h"

/* A source range: start line/col (1-based), and byte offsets for excerpts. */
typedef struct kv_span {
    uint32_t src;
    uint32_t line, col;
    uint32_t end_line, end_col;
    uint32_t off, end_off;
} kv_span;

#define KV_NODE_KINDS(X) \
    /* expressions */ \
    X(INT)      X(FLOAT)   X(STRING)  X(BOOL)    X(NULL)    X(ABSENT) \
    X(LIST)     X(MAP)     X(NAME)    X(DERIVED) X(FIELD)   X(INDEX) \
    X(CALL)     X(LAMBDA)  X(UNARY)   X(BINARY)  X(AND)     X(OR) \
    X(COALESCE) X(COND)    X(TEMPLATE) X(LETIN) \
    /* top-level items */ \
    X(FILE)     X(PACK)    X(IMPORT)  X(PARAM)   X(CONST)   X(GLET) \
    X(FN)       X(FOR)     X(SELECTOR) X(OVERRIDE) X(DISABLE) X(VIEW) \
    /* block items */ \
    X(LET)      X(DERIVE)  X(RULE) \
    /* rule clauses */ \
    X(EACH)     X(WHEN)    X(REQUIRE) X(FORBID)  X(AT)      X(MESSAGE) \
    X(REMEDY)   X(LINK)    X(DOC)     X(META)    X(RLET)

typedef enum kv_node_kind {
#define X(k) KV_N_##k,
    KV_NODE_KINDS(X)
#undef X
    KV_N__COUNT
} kv_node_kind;

/* Binary and unary operators (node->op). */
typedef enum kv_op {
    KV_OP_NONE = 0,
    KV_OP_ADD, KV_OP_SUB, KV_OP_MUL, KV_OP_DIV, KV_OP_MOD,
    KV_OP_EQ, KV_OP_NE, KV_OP_LT, KV_OP_LE, KV_OP_GT, KV_OP_GE,
    KV_OP_IN, KV_OP_NOTIN,
    KV_OP_NEG, KV_OP_NOT
} kv_op;

typedef struct kv_node kv_node;

struct kv_node {
    uint16_t kind;        /* kv_node_kind */
    uint16_t op;          /* kv_op, or a severity for RULE/OVERRIDE */
    kv_span span;
    const char *str;      /* names, literals, ids, titles (NUL-terminated) */
    uint32_t slen;        /* length of str (strings may hold NULs) */
    int64_t i;            /* INT, BOOL */
    double f;             /* FLOAT */
    kv_node *a, *b, *c;   /* children; meaning depends on kind */
    kv_node **kids;       /* ordered children (lists, args, items, clauses) */
    uint32_t nkids, capkids;

    /* filled by the checker */
    int32_t sym;          /* resolved symbol kind (kv_symkind in check.h) */
    int32_t slot;         /* local slot, table index or builtin index */
    int32_t aux;          /* extra resolution data */
    bool used;            /* LET/GLET/PARAM/CONST: read somewhere */
};

const char *kv_node_kind_name(kv_node_kind k);

kv_node *kv_node_new(kv_arena *a, kv_node_kind kind, kv_span span);
/* Append a child to n->kids; returns false on allocation failure. */
bool kv_node_add(kv_arena *a, kv_node *n, kv_node *kid);

/* Span covering both; either may be NULL. */
kv_span kv_span_join(kv_span a, kv_span b);

#endif
