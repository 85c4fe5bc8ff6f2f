/* ast.c - syntax tree construction. */
#include "ast.h"

#include <string.h>

static const char *const node_kind_names[] = {
#define X(k) #k,
    KV_NODE_KINDS(X)
#undef X
};

_Static_assert(sizeof node_kind_names / sizeof node_kind_names[0] == KV_N__COUNT,
               "node kind name table out of step with KV_NODE_KINDS");

const char *kv_node_kind_name(kv_node_kind k)
{
    return k < KV_N__COUNT ? node_kind_names[k] : "?";
}

kv_node *kv_node_new(kv_arena *a, kv_node_kind kind, kv_span span)
{
    kv_node *n = kv_arena_calloc(a, sizeof *n);
    if (!n)
        return NULL;
    n->kind = (uint16_t)kind;
    n->span = span;
    n->slot = -1;
    return n;
}

bool kv_node_add(kv_arena *a, kv_node *n, kv_node *kid)
{
    if (!n || !kid)
        return false;
    if (n->nkids == n->capkids) {
        uint32_t cap = n->capkids ? n->capkids * 2 : 4;
        kv_node **k = kv_arena_alloc(a, cap * sizeof *k);
        if (!k)
            return false;
        if (n->nkids)
            memcpy(k, n->kids, n->nkids * sizeof *k);
        n->kids = k;
        n->capkids = cap;
    }
    n->kids[n->nkids++] = kid;
    return true;
}

kv_span kv_span_join(kv_span a, kv_span b)
{
    kv_span s = a;
    s.end_line = b.end_line;
    s.end_col = b.end_col;
    s.end_off = b.end_off;
    return s;
}
