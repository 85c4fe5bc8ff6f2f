/*
 * compile.c - from checked syntax trees to a linked program.
 *
 * Three passes over the parsed packs:
 *   1. declare: collect every pack's top-level names (params, consts, lets,
 *      functions, imports), rule ids and derived-value names, reporting
 *      duplicates;
 *   2. resolve and emit: walk each expression once, resolving names in
 *      scope (with "did you mean" hints), checking arity and literal types,
 *      folding constants, and emitting bytecode;
 *   3. order: build the dependency graph of derived values (through block
 *      lets and where clauses), reject cycles naming them, and store the
 *      derived values in evaluation order.
 * Overrides and disables are applied last; they must name existing rules.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ast.h"
#include "builtin.h"
#include "ctx.h"
#include "lint.h"
#include "opcodes.h"
#include "program.h"
#include "value.h"
#include "verify.h"
#include "vm.h"

#define MAX_EXPR_DEPTH 400

/* growable array helper: ensures room for one more element */
#define GROW(arr, n, cap)                                                   \
    (((n) < (cap)) ? 1 : grow_array((void **)&(arr), &(cap), sizeof *(arr)))

static int grow_array(void **arr, uint32_t *cap, size_t elem)
{
    uint32_t nc = *cap ? *cap * 2 : 16;
    void *p = realloc(*arr, (size_t)nc * elem);
    if (!p)
        return 0;
    *arr = p;
    *cap = nc;
    return 1;
}

/* A small open-addressing hash from byte strings to indices, so that
 * packs with very many rules and constants compile in linear time. */
typedef struct strhash {
    const char **keys;
    uint32_t *lens;
    uint32_t *vals;
    uint32_t cap, n;
} strhash;

static bool strhash_grow(strhash *h)
{
    uint32_t cap = h->cap ? h->cap * 2 : 64;
    const char **keys = calloc(cap, sizeof *keys);
    uint32_t *lens = calloc(cap, sizeof *lens);
    uint32_t *vals = calloc(cap, sizeof *vals);
    if (!keys || !lens || !vals) {
        free(keys);
        free(lens);
        free(vals);
        return false;
    }
    for (uint32_t i = 0; i < h->cap; i++) {
        if (!h->keys[i])
            continue;
        uint32_t j = (uint32_t)kv_hash_bytes(0, h->keys[i], h->lens[i]) & (cap - 1);
        while (keys[j])
            j = (j + 1) & (cap - 1);
        keys[j] = h->keys[i];
        lens[j] = h->lens[i];
        vals[j] = h->vals[i];
    }
    free(h->keys);
    free(h->lens);
    free(h->vals);
    h->keys = keys;
    h->lens = lens;
    h->vals = vals;
    h->cap = cap;
    return true;
}

/* Find key; returns its value or UINT32_MAX. */
static uint32_t strhash_get(const strhash *h, const char *key, size_t n)
{
    if (!h->cap)
        return UINT32_MAX;
    uint32_t j = (uint32_t)kv_hash_bytes(0, key, n) & (h->cap - 1);
    while (h->keys[j]) {
        if (h->lens[j] == n && !memcmp(h->keys[j], key, n))
            return h->vals[j];
        j = (j + 1) & (h->cap - 1);
    }
    return UINT32_MAX;
}

/* Insert (key must outlive the table). */
static bool strhash_put(strhash *h, const char *key, size_t n, uint32_t val)
{
    if ((h->n + 1) * 2 > h->cap && !strhash_grow(h))
        return false;
    uint32_t j = (uint32_t)kv_hash_bytes(0, key, n) & (h->cap - 1);
    while (h->keys[j]) {
        if (h->lens[j] == n && !memcmp(h->keys[j], key, n)) {
            h->vals[j] = val;
            return true;
        }
        j = (j + 1) & (h->cap - 1);
    }
    h->keys[j] = key;
    h->lens[j] = (uint32_t)n;
    h->vals[j] = val;
    h->n++;
    return true;
}

static void strhash_free(strhash *h)
{
    free(h->keys);
    free(h->lens);
    free(h->vals);
    memset(h, 0, sizeof *h);
}

typedef enum symkind {
    SYM_NONE = 0,
    SYM_LOCAL,   /* slot in the current frame */
    SYM_LET,     /* block let (lazy) */
    SYM_PARAM,
    SYM_GLOBAL,  /* top-level let or const */
    SYM_FN,
    SYM_IMPORT   /* an import alias: only valid before a '.' */
} symkind;

typedef struct sym {
    const char *name;
    symkind kind;
    uint32_t index;
    kv_node *decl;
} sym;

typedef struct cpack {
    kv_srcpack *src;
    sym *syms; uint32_t nsyms, capsyms;
    strhash names;        /* name -> index into syms: every name the code mentions is looked up */
} cpack;

typedef struct scope_entry {
    const char *name;
    symkind kind;
    uint32_t index;
    kv_node *decl;
    struct scope_entry *next;
} scope_entry;

/* per-let bookkeeping for dependency analysis */
typedef struct letinfo {
    kv_node *decl;
    uint32_t *lets; uint32_t nlets, caplets;       /* lets it reads */
    const char **names; uint32_t nnames, capnames; /* derived names it reads */
    int mark;
} letinfo;

typedef struct deriveinfo {
    kv_node *decl;
    uint32_t block, chunk, pack;
    const char **names; uint32_t nnames, capnames; /* derived names read (closure) */
    uint32_t order;
    int mark;
} deriveinfo;

/* The key function of an indexed lookup, compiled once the chunk that
 * needs it is complete (a chunk's code is contiguous). */
typedef struct keyjob {
    uint32_t fn;
    kv_node *key;               /* KEY in `KEY == VALUE`, reading only `param` */
    const char *param;
    uint32_t pack, file;
    kv_srcfile *src;
} keyjob;

typedef struct compiler {
    kvet_ctx *ctx;
    kvet_pack *prog;
    cpack *packs;
    uint32_t npacks;
    int errors;

    uint32_t *code; kv_pos *lines; uint32_t ncode, capcode;
    kvet_value *consts; uint32_t nconsts, capconsts;
    kv_chunk *chunks; uint32_t nchunks, capchunks;
    kv_block *blocks; uint32_t nblocks, capblocks;
    kv_let *lets; uint32_t nlets, caplets;
    letinfo *letinfo; uint32_t capletinfo;
    deriveinfo *derives; uint32_t nderives, capderives;
    kv_rule *rules; uint32_t nrules, caprules;
    kv_param *params; uint32_t nparams, capparams;
    kv_global *globals; uint32_t nglobals, capglobals;
    kv_fn *fns; uint32_t nfns, capfns;
    kv_query *queries; uint32_t nqueries, capqueries;
    kv_key *keys; uint32_t nkeys, capkeys;
    keyjob *keyjobs; uint32_t nkeyjobs, capkeyjobs;
    kv_view *views; uint32_t nviews, capviews;

    /* state of the chunk being compiled */
    uint32_t cur_pack;
    uint32_t cur_file;          /* index into prog files */
    kv_srcfile *cur_src;
    scope_entry *scope;
    uint32_t *nslots;           /* slot counter of the current frame */
    int in_block;               /* $derived and lets allowed */
    letinfo *cur_let;           /* dependency sink, or NULL */
    deriveinfo *cur_derive;
    kv_node *cur_where;         /* the current block's where clause, or NULL */
    kv_node *cur_items;         /* the current block's items, or NULL */
    int depth;
    uint32_t *pack_file_base;
    strhash rule_ids;           /* rule id -> index */
    strhash const_keys;         /* constant (type byte + bytes) -> index */
    kv_arena keybuf;            /* keys of const_keys */
} compiler;

/* ---------------------------------------------------------------- errors */

static void error_at(compiler *c, kv_span sp, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void warn_at(compiler *c, kv_span sp, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static kv_srcfile *file_of(compiler *c, uint32_t src)
{
    for (uint32_t p = 0; p < c->npacks; p++)
        for (uint32_t f = 0; f < c->packs[p].src->nfiles; f++)
            if (c->packs[p].src->files[f].src == src)
                return &c->packs[p].src->files[f];
    return NULL;
}

static void vreport(compiler *c, kvet_severity sev, kv_span sp, const char *fmt, va_list ap)
{
    kv_srcfile *f = file_of(c, sp.src);
    const char *excerpt = f ? kv_line_start(f->text, f->len, sp.line) : NULL;
    uint32_t width = (sp.end_line == sp.line && sp.end_col > sp.col) ? sp.end_col - sp.col : 1;
    kv_vdiag(c->ctx, sev, f ? f->name : NULL, sp.line, sp.col, width, excerpt, fmt, ap);
}

static void error_at(compiler *c, kv_span sp, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vreport(c, KVET_SEV_ERROR, sp, fmt, ap);
    va_end(ap);
    c->errors++;
}

static void warn_at(compiler *c, kv_span sp, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vreport(c, KVET_SEV_WARNING, sp, fmt, ap);
    va_end(ap);
}

static void oom(compiler *c)
{
    kv_diag(c->ctx, KVET_SEV_ERROR, NULL, 0, 0, 0, NULL, "out of memory while compiling rules");
    c->errors++;
}

/* "did you mean" over a list of candidate names */
typedef struct hint { const char *best; size_t dist; } hint;

static void hint_consider(hint *h, const char *want, const char *cand)
{
    if (!cand || !strcmp(want, cand))
        return;
    size_t d = kv_edit_distance(want, cand);
    size_t lim = strlen(want) / 3 + 1;
    if (lim > 3)
        lim = 3;
    if (d <= lim && (!h->best || d < h->dist)) {
        h->best = cand;
        h->dist = d;
    }
}

static void hint_emit(compiler *c, hint *h)
{
    if (h->best)
        kv_diag_hint(c->ctx, "did you mean `%s`?", h->best);
}

/* ------------------------------------------------------------- emitting */

static kv_pos pos_of(compiler *c, kv_span sp)
{
    kv_pos p = {c->cur_file, sp.line, sp.col};
    return p;
}

static uint32_t emit(compiler *c, kv_opcode op, uint32_t a, kv_span sp)
{
    if (a > KV_MAXARG) {
        error_at(c, sp, "program too large (operand %u exceeds the instruction format)", a);
        a = 0;
    }
    if (c->ncode == c->capcode) {
        uint32_t cap = c->capcode ? c->capcode * 2 : 256;
        uint32_t *code = realloc(c->code, (size_t)cap * sizeof *code);
        if (code)
            c->code = code;
        kv_pos *lines = realloc(c->lines, (size_t)cap * sizeof *lines);
        if (lines)
            c->lines = lines;
        if (!code || !lines) {
            oom(c);
            return 0;
        }
        c->capcode = cap;
    }
    c->code[c->ncode] = KV_INS(op, a);
    c->lines[c->ncode] = pos_of(c, sp);
    return c->ncode++;
}

static void patch(compiler *c, uint32_t at, uint32_t target)
{
    if (at < c->ncode) {
        if (target > KV_MAXARG) {
            c->errors++;
            return;
        }
        c->code[at] = KV_INS(KV_INS_OP(c->code[at]), target);
    }
}

static uint32_t add_const(compiler *c, kvet_value v)
{
    /* reuse equal string and number constants: key = type byte + payload */
    char small[17];
    const char *key = small;
    size_t klen;
    small[0] = (char)v.type;
    if (v.type == KVET_STRING) {
        char *k = kv_arena_alloc(&c->keybuf, (size_t)v.u.s->len + 1);
        if (!k) {
            oom(c);
            return 0;
        }
        k[0] = (char)KVET_STRING;
        memcpy(k + 1, v.u.s->data, v.u.s->len);
        key = k;
        klen = (size_t)v.u.s->len + 1;
    } else {
        memcpy(small + 1, &v.u, 8);
        klen = 9;
    }
    uint32_t found = (v.type == KVET_STRING || v.type == KVET_INT || v.type == KVET_FLOAT)
                         ? strhash_get(&c->const_keys, key, klen) : UINT32_MAX;
    if (found != UINT32_MAX)
        return found;
    if (!GROW(c->consts, c->nconsts, c->capconsts)) {
        oom(c);
        return 0;
    }
    c->consts[c->nconsts] = v;
    if (v.type == KVET_STRING || v.type == KVET_INT || v.type == KVET_FLOAT) {
        if (key == small) {
            char *k = kv_arena_alloc(&c->keybuf, klen);
            if (!k) {
                oom(c);
                return 0;
            }
            memcpy(k, small, klen);
            key = k;
        }
        if (!strhash_put(&c->const_keys, key, klen, c->nconsts))
            oom(c);
    }
    return c->nconsts++;
}

static uint32_t str_const(compiler *c, const char *s, size_t n)
{
    kvet_value v = kv_string_value(&c->prog->arena, s, n);
    if (v.type == KVET_ABSENT) {
        oom(c);
        return 0;
    }
    return add_const(c, v);
}

static uint32_t new_chunk(compiler *c, uint32_t nlocals)
{
    if (!GROW(c->chunks, c->nchunks, c->capchunks)) {
        oom(c);
        return 0;
    }
    c->chunks[c->nchunks].entry = c->ncode;
    c->chunks[c->nchunks].nlocals = nlocals;
    c->chunks[c->nchunks].maxstack = 0; /* declared once the code is complete */
    return c->nchunks++;
}

static uint32_t new_slot(compiler *c, uint32_t n)
{
    uint32_t s = *c->nslots;
    *c->nslots += n;
    return s;
}

static const char *adup(compiler *c, const char *s)
{
    if (!s)
        return NULL;
    char *d = kv_arena_strdup(&c->prog->arena, s);
    if (!d)
        oom(c);
    return d;
}

static const char *adupn(compiler *c, const char *s, size_t n)
{
    char *d = kv_arena_strndup(&c->prog->arena, s, n);
    if (!d)
        oom(c);
    return d;
}

/* --------------------------------------------------------------- scopes */

static scope_entry *scope_push(compiler *c, const char *name, symkind k, uint32_t index, kv_node *decl)
{
    scope_entry *e = malloc(sizeof *e);
    if (!e) {
        oom(c);
        return NULL;
    }
    e->name = name;
    e->kind = k;
    e->index = index;
    e->decl = decl;
    e->next = c->scope;
    c->scope = e;
    return e;
}

static void scope_pop_to(compiler *c, scope_entry *mark)
{
    while (c->scope && c->scope != mark) {
        scope_entry *e = c->scope;
        c->scope = e->next;
        free(e);
    }
}

static sym *pack_sym(cpack *p, const char *name)
{
    uint32_t i = strhash_get(&p->names, name, strlen(name));
    return i == UINT32_MAX ? NULL : &p->syms[i];
}

static int add_pack_sym(compiler *c, cpack *p, const char *name, symkind k, uint32_t index, kv_node *decl)
{
    sym *old = pack_sym(p, name);
    if (old) {
        error_at(c, decl->span, "`%s` is already defined in pack %s", name, p->src->name);
        if (old->decl)
            kv_diag(c->ctx, KVET_SEV_NOTE, file_of(c, old->decl->span.src) ? file_of(c, old->decl->span.src)->name : NULL,
                    old->decl->span.line, old->decl->span.col, 1, NULL, "previous definition of `%s` is here", name);
        return -1;
    }
    if (!GROW(p->syms, p->nsyms, p->capsyms) || !strhash_put(&p->names, name, strlen(name), p->nsyms)) {
        oom(c);
        return -1;
    }
    sym *s = &p->syms[p->nsyms++];
    s->name = name;
    s->kind = k;
    s->index = index;
    s->decl = decl;
    return 0;
}

static int find_pack(compiler *c, const char *name)
{
    for (uint32_t i = 0; i < c->npacks; i++)
        if (!strcmp(c->packs[i].src->name, name))
            return (int)i;
    return -1;
}

/* ------------------------------------------------------ dependency sinks */

static void note_let_read(compiler *c, uint32_t let)
{
    if (c->cur_let) {
        letinfo *li = c->cur_let;
        if (GROW(li->lets, li->nlets, li->caplets))
            li->lets[li->nlets++] = let;
        else
            oom(c);
    }
    if (c->cur_derive) {
        /* derives read lets: fold the let's closure in later; record as a
         * pseudo name "#<let>" resolved in order_derives */
        deriveinfo *d = c->cur_derive;
        char buf[24];
        snprintf(buf, sizeof buf, "#%u", let);
        if (GROW(d->names, d->nnames, d->capnames))
            d->names[d->nnames++] = adup(c, buf);
    }
}

static void note_derived_read(compiler *c, const char *name)
{
    if (c->cur_let) {
        letinfo *li = c->cur_let;
        if (GROW(li->names, li->nnames, li->capnames))
            li->names[li->nnames++] = name;
    }
    if (c->cur_derive) {
        deriveinfo *d = c->cur_derive;
        if (GROW(d->names, d->nnames, d->capnames))
            d->names[d->nnames++] = name;
    }
}

/* ---------------------------------------------------------- expressions */

static void expr(compiler *c, kv_node *n);

static bool is_literal(kv_node *n)
{
    switch (n->kind) {
    case KV_N_INT: case KV_N_FLOAT: case KV_N_STRING: case KV_N_BOOL: case KV_N_NULL: case KV_N_ABSENT:
        return true;
    default:
        return false;
    }
}

static kvet_value literal_value(compiler *c, kv_node *n)
{
    switch (n->kind) {
    case KV_N_INT: return kv_int(n->i);
    case KV_N_FLOAT: return kv_float(n->f);
    case KV_N_BOOL: return kv_bool(n->i != 0);
    case KV_N_NULL: return kv_null();
    case KV_N_STRING: {
        kvet_value v = kv_string_value(&c->prog->arena, n->str, n->slen);
        if (v.type == KVET_ABSENT)
            oom(c);
        return v;
    }
    default: return kv_absent();
    }
}

static void emit_value(compiler *c, kvet_value v, kv_span sp)
{
    switch (v.type) {
    case KVET_ABSENT: emit(c, KV_OPC_ABSENT, 0, sp); break;
    case KVET_NULL: emit(c, KV_OPC_NULL, 0, sp); break;
    case KVET_BOOL: emit(c, v.u.b ? KV_OPC_TRUE : KV_OPC_FALSE, 0, sp); break;
    case KVET_INT:
        if (v.u.i >= -(1 << 23) && v.u.i < (1 << 23)) {
            emit(c, KV_OPC_INT, (uint32_t)v.u.i & KV_MAXARG, sp);
            break;
        }
        /* fall through */
    default:
        emit(c, KV_OPC_CONST, add_const(c, v), sp);
        break;
    }
}

/* Try to fold a unary/binary node over literal operands. */
static bool fold(compiler *c, kv_node *n)
{
    if (n->kind == KV_N_BINARY && is_literal(n->a) && is_literal(n->b) &&
        n->a->kind != KV_N_ABSENT && n->b->kind != KV_N_ABSENT) {
        kvet_value r;
        const char *err = NULL;
        if (kv_vm_binop(&c->prog->arena, n->op, literal_value(c, n->a), literal_value(c, n->b), &r, &err) != 0) {
            error_at(c, n->span, "%s", err ? err : "invalid constant expression");
            return true;
        }
        emit_value(c, r, n->span);
        return true;
    }
    if (n->kind == KV_N_UNARY && n->op == KV_OP_NEG && (n->a->kind == KV_N_INT || n->a->kind == KV_N_FLOAT)) {
        kvet_value r;
        const char *err = NULL;
        if (kv_vm_binop(&c->prog->arena, KV_OP_SUB, kv_int(0), literal_value(c, n->a), &r, &err) != 0) {
            error_at(c, n->span, "%s", err ? err : "invalid constant expression");
            return true;
        }
        if (n->a->kind == KV_N_FLOAT)
            r = kv_float(-n->a->f);
        emit_value(c, r, n->span);
        return true;
    }
    return false;
}

static scope_entry *lookup_scope(compiler *c, const char *name)
{
    for (scope_entry *e = c->scope; e; e = e->next)
        if (!strcmp(e->name, name))
            return e;
    return NULL;
}

static void name_hints(compiler *c, const char *name, bool want_fn)
{
    hint h = {NULL, 0};
    if (!want_fn)
        for (scope_entry *e = c->scope; e; e = e->next)
            hint_consider(&h, name, e->name);
    cpack *p = &c->packs[c->cur_pack];
    for (uint32_t i = 0; i < p->nsyms; i++)
        if ((p->syms[i].kind == SYM_FN) == want_fn)
            hint_consider(&h, name, p->syms[i].name);
    if (want_fn) {
        static const char *const forms[] = {"any", "all", "count", "filter", "map", "find", "try", "docs"};
        for (size_t i = 0; i < sizeof forms / sizeof forms[0]; i++)
            hint_consider(&h, name, forms[i]);
        for (size_t i = 0; i < kv_builtin_count(); i++)
            hint_consider(&h, name, kv_builtin_at(i)->name);
    }
    hint_emit(c, &h);
}

static void note_defined_here(compiler *c, const kv_node *decl, const char *name)
{
    kv_srcfile *f = file_of(c, decl->span.src);
    kv_diag(c->ctx, KVET_SEV_NOTE, f ? f->name : NULL, decl->span.line, decl->span.col, 1, NULL,
            "`%s` is defined here", name);
}

/* A let binds a new name: it may not shadow anything visible where it
 * stands (docs/language.md, "Local bindings"). */
static void check_let_name(compiler *c, kv_node *n)
{
    scope_entry *e = lookup_scope(c, n->str);
    if (e) {
        error_at(c, n->span, "`%s` is already bound here; a let may not shadow it", n->str);
        if (e->decl)
            note_defined_here(c, e->decl, n->str);
        return;
    }
    sym *s = pack_sym(&c->packs[c->cur_pack], n->str);
    if (s) {
        const char *what = s->kind == SYM_PARAM ? "a parameter" : s->kind == SYM_FN ? "a function"
                         : s->kind == SYM_IMPORT ? "an imported pack"
                         : s->decl && s->decl->kind == KV_N_CONST ? "a constant" : "a top-level let";
        error_at(c, n->span, "`%s` is %s of this pack; a let may not shadow it", n->str, what);
        if (s->decl)
            note_defined_here(c, s->decl, n->str);
    }
}

/* let NAME = value in body: the value in a new slot of the frame, visible
 * to the body only. */
static void let_expr(compiler *c, kv_node *n)
{
    check_let_name(c, n);
    uint32_t slot = new_slot(c, 1);
    expr(c, n->a);
    emit(c, KV_OPC_STORE, slot, n->span);
    scope_entry *mark = c->scope;
    scope_push(c, n->str, SYM_LOCAL, slot, n);
    expr(c, n->b);
    scope_pop_to(c, mark);
    if (!n->used)
        warn_at(c, n->span, "`%s` is never used", n->str);
}

static void load_sym(compiler *c, symkind k, uint32_t index, kv_node *decl, kv_span sp)
{
    switch (k) {
    case SYM_LOCAL: emit(c, KV_OPC_LOAD, index, sp); break;
    case SYM_LET:
        if (decl)
            decl->used = true;
        note_let_read(c, index);
        emit(c, KV_OPC_LOADLET, index, sp);
        break;
    case SYM_PARAM:
        if (decl)
            decl->used = true;
        emit(c, KV_OPC_PARAM, index, sp);
        break;
    case SYM_GLOBAL:
        if (decl)
            decl->used = true;
        emit(c, KV_OPC_GLOBAL, index, sp);
        break;
    default:
        emit(c, KV_OPC_ABSENT, 0, sp);
        break;
    }
}

static void name_expr(compiler *c, kv_node *n)
{
    scope_entry *e = lookup_scope(c, n->str);
    if (e) {
        if (e->decl)
            e->decl->used = true;
        load_sym(c, e->kind, e->index, e->decl, n->span);
        return;
    }
    sym *s = pack_sym(&c->packs[c->cur_pack], n->str);
    if (s && s->kind != SYM_FN && s->kind != SYM_IMPORT) {
        load_sym(c, s->kind, s->index, s->decl, n->span);
        return;
    }
    if (s && s->kind == SYM_IMPORT) {
        error_at(c, n->span, "`%s` names an imported pack; write `%s.NAME` to use one of its values", n->str, n->str);
        return;
    }
    if (s && s->kind == SYM_FN) {
        error_at(c, n->span, "`%s` is a function; call it as `%s(...)`", n->str, n->str);
        return;
    }
    error_at(c, n->span, "unknown name `%s`", n->str);
    name_hints(c, n->str, false);
    emit(c, KV_OPC_ABSENT, 0, n->span);
}

/* alias.name where alias is an imported pack */
static bool qualified_sym(compiler *c, kv_node *n, bool want_fn, sym **out, cpack **outp)
{
    if (n->kind != KV_N_FIELD || !n->a || n->a->kind != KV_N_NAME)
        return false;
    if (lookup_scope(c, n->a->str))
        return false;
    sym *imp = pack_sym(&c->packs[c->cur_pack], n->a->str);
    if (!imp || imp->kind != SYM_IMPORT)
        return false;
    cpack *target = &c->packs[imp->index];
    sym *s = pack_sym(target, n->str);
    if (!s || s->kind == SYM_IMPORT || (s->kind == SYM_FN) != want_fn) {
        error_at(c, n->span, "pack %s has no %s named `%s`", target->src->name, want_fn ? "function" : "value", n->str);
        hint h = {NULL, 0};
        for (uint32_t i = 0; i < target->nsyms; i++)
            if ((target->syms[i].kind == SYM_FN) == want_fn)
                hint_consider(&h, n->str, target->syms[i].name);
        hint_emit(c, &h);
        *out = NULL;
        return true;
    }
    *out = s;
    *outp = target;
    return true;
}

/* The query of docs(KIND, API): one per distinct pair. */
static uint32_t query_index(compiler *c, const char *kind, const char *api)
{
    uint32_t q;
    for (q = 0; q < c->nqueries; q++)
        if (!strcmp(c->queries[q].kind, kind) &&
            ((!api && !c->queries[q].api) || (api && c->queries[q].api && !strcmp(api, c->queries[q].api))))
            return q;
    if (!GROW(c->queries, c->nqueries, c->capqueries)) {
        oom(c);
        return 0;
    }
    c->queries[q].kind = adup(c, kind);
    c->queries[q].api = api ? adup(c, api) : NULL;
    c->nqueries++;
    return q;
}

/* ------------------------------------------------------ indexed lookups */

/* x.a.b...: fields of the lambda's parameter only */
static bool param_path(const kv_node *n, const char *param)
{
    while (n->kind == KV_N_FIELD)
        n = n->a;
    return n->kind == KV_N_NAME && !strcmp(n->str, param);
}

/* A key the index can compute from the document alone: a path of its
 * fields, or a call of one of this pack's functions on such paths. */
static bool key_expr_ok(compiler *c, const kv_node *n, const char *param)
{
    if (n->kind == KV_N_FIELD)
        return param_path(n, param);
    if (n->kind != KV_N_CALL || !n->a || n->a->kind != KV_N_NAME || n->nkids == 0 || lookup_scope(c, n->a->str))
        return false;
    sym *s = pack_sym(&c->packs[c->cur_pack], n->a->str);
    if (!s || s->kind != SYM_FN || c->fns[s->index].nparams != n->nkids)
        return false;
    for (uint32_t i = 0; i < n->nkids; i++)
        if (!param_path(n->kids[i], param))
            return false;
    return true;
}

/* Whether `n` mentions `name` anywhere (a lambda or let that binds the
 * same name counts too: the check only has to be safe). */
static bool mentions(const kv_node *n, const char *name)
{
    if (!n)
        return false;
    if ((n->kind == KV_N_NAME || n->kind == KV_N_LETIN) && n->str && !strcmp(n->str, name))
        return true;
    if (mentions(n->a, name) || mentions(n->b, name) || mentions(n->c, name))
        return true;
    for (uint32_t i = 0; i < n->nkids; i++)
        if (mentions(n->kids[i], name))
            return true;
    return false;
}

/* filter/find/any/count(docs(KIND, API, NS), x => KEY == VALUE [and ...])
 * (or KEY in VALUE, or VALUE in KEY) where KEY reads only x and VALUE does
 * not read x: the documents whose KEY can match VALUE come from an index
 * (grouped once per namespace and context) instead of a scan of the
 * namespace; over docs(KIND, API) or docs(KIND), grouped once per context,
 * instead of a scan of every document.  The whole predicate still runs on
 * them, so results, their order and errors are the scan's.  Returns the
 * key's index, or -1 when the form does not fit. */
static int32_t lookup_key(compiler *c, kv_node *src, kv_node *lam, kv_node **value)
{
    if (src->kind != KV_N_CALL || !src->a || src->a->kind != KV_N_NAME || strcmp(src->a->str, "docs") ||
        src->nkids < 1 || src->nkids > 3 || src->kids[0]->kind != KV_N_STRING ||
        (src->nkids >= 2 && src->kids[1]->kind != KV_N_STRING) || lookup_scope(c, "docs") || lam->a->nkids != 1)
        return -1;
    const char *param = lam->a->kids[0]->str;
    kv_node *t = lam->b;
    while (t->kind == KV_N_AND)
        t = t->a;
    if (t->kind != KV_N_BINARY || (t->op != KV_OP_EQ && t->op != KV_OP_IN))
        return -1;
    kv_node *key = t->a, *v = t->b;
    kv_key_mode mode = t->op == KV_OP_EQ ? KV_KEY_EQ : KV_KEY_IN;
    if (!key_expr_ok(c, key, param) || mentions(v, param)) {
        key = t->b;
        v = t->a;
        mode = t->op == KV_OP_EQ ? KV_KEY_EQ : KV_KEY_IN_KEYS;
        if (!key_expr_ok(c, key, param) || mentions(v, param))
            return -1;
    }
    if (!GROW(c->fns, c->nfns, c->capfns) || !GROW(c->keys, c->nkeys, c->capkeys) ||
        !GROW(c->keyjobs, c->nkeyjobs, c->capkeyjobs)) {
        oom(c);
        return -1;
    }
    char name[64];
    snprintf(name, sizeof name, "key@%u:%u", key->span.line, key->span.col);
    c->fns[c->nfns] = (kv_fn){adup(c, name), 1, 0};
    c->keys[c->nkeys] =
        (kv_key){query_index(c, src->kids[0]->str, src->nkids >= 2 ? src->kids[1]->str : NULL), c->nfns, mode};
    c->keyjobs[c->nkeyjobs++] = (keyjob){c->nfns, key, param, c->cur_pack, c->cur_file, c->cur_src};
    c->nfns++;
    *value = v;
    return (int32_t)c->nkeys++;
}

/* Compile the key functions the last chunk asked for. */
static void compile_keyjobs(compiler *c)
{
    uint32_t pack = c->cur_pack, file = c->cur_file;
    kv_srcfile *src = c->cur_src;
    uint32_t *nslots_saved = c->nslots;
    int in_block = c->in_block;
    scope_entry *scope = c->scope;
    for (uint32_t i = 0; i < c->nkeyjobs; i++) {
        keyjob *j = &c->keyjobs[i];
        uint32_t nslots = 0;
        c->cur_pack = j->pack;
        c->cur_file = j->file;
        c->cur_src = j->src;
        c->nslots = &nslots;
        c->in_block = 0;
        c->scope = NULL;
        scope_push(c, j->param, SYM_LOCAL, new_slot(c, 1), NULL);
        uint32_t ch = new_chunk(c, 0);
        expr(c, j->key);
        emit(c, KV_OPC_RET, 0, j->key->span);
        c->chunks[ch].nlocals = nslots;
        c->fns[j->fn].chunk = ch;
        scope_pop_to(c, NULL);
    }
    c->nkeyjobs = 0;
    c->cur_pack = pack;
    c->cur_file = file;
    c->cur_src = src;
    c->nslots = nslots_saved;
    c->in_block = in_block;
    c->scope = scope;
}

/* Higher-order forms: any/all/count/filter/map/find with a lambda. */
static bool lambda_form(compiler *c, kv_node *n, const char *fname)
{
    enum { F_ANY, F_ALL, F_COUNT, F_FILTER, F_MAP, F_FIND } form;
    if (!strcmp(fname, "any")) form = F_ANY;
    else if (!strcmp(fname, "all")) form = F_ALL;
    else if (!strcmp(fname, "count")) form = F_COUNT;
    else if (!strcmp(fname, "filter")) form = F_FILTER;
    else if (!strcmp(fname, "map")) form = F_MAP;
    else if (!strcmp(fname, "find")) form = F_FIND;
    else return false;

    if (n->nkids == 1 && (form == F_ANY || form == F_ALL) && n->kids[0]->kind != KV_N_LAMBDA) {
        /* any(list) / all(list) over booleans: handled with an identity lambda below */
    } else if (n->nkids != 2 || n->kids[1]->kind != KV_N_LAMBDA) {
        error_at(c, n->span, "%s() takes a collection and a function, e.g. %s(xs, x => x > 1)", fname, fname);
        return true;
    }
    kv_node *lam = n->nkids == 2 ? n->kids[1] : NULL;
    if (n->kids[0]->kind == KV_N_LAMBDA) {
        error_at(c, n->kids[0]->span, "the first argument of %s() must be a collection", fname);
        return true;
    }
    uint32_t nvars = lam ? lam->a->nkids : 1;
    if (nvars < 1 || nvars > 2) {
        error_at(c, lam->span, "a function given to %s() takes one or two parameters", fname);
        return true;
    }
    kv_span sp = n->span;
    uint32_t acc = 0;
    if (form == F_FILTER || form == F_MAP)
        acc = new_slot(c, 1);
    uint32_t it = new_slot(c, 4);
    kv_node *value = NULL;
    int32_t key = lam && form != F_MAP && form != F_ALL ? lookup_key(c, n->kids[0], lam, &value) : -1;
    if (key >= 0) {
        bool in_ns = n->kids[0]->nkids == 3;
        if (in_ns)
            expr(c, n->kids[0]->kids[2]);
        /* a value that fails leaves the lookup to the scan, where the
         * predicate meets the same error */
        uint32_t t = emit(c, KV_OPC_TRY, 0, sp);
        expr(c, value);
        emit(c, KV_OPC_ENDTRY, 0, sp);
        patch(c, t, c->ncode);
        emit(c, in_ns ? KV_OPC_QUERYKEY : KV_OPC_QUERYKEYALL, (uint32_t)key, sp);
    } else {
        expr(c, n->kids[0]);
    }
    emit(c, KV_OPC_ITER, it, sp);
    switch (form) {
    case F_ANY: emit(c, KV_OPC_FALSE, 0, sp); break;
    case F_FIND: emit(c, KV_OPC_ABSENT, 0, sp); break; /* absent until a match */
    case F_ALL: emit(c, KV_OPC_TRUE, 0, sp); break;
    case F_COUNT: emit(c, KV_OPC_INT, 0, sp); break;
    case F_FILTER: case F_MAP: emit(c, KV_OPC_ACCNEW, acc, sp); break;
    }
    uint32_t loop = emit(c, KV_OPC_NEXT, it | ((nvars - 1) << 20), sp);
    uint32_t exitw = emit(c, KV_OPC_NOP, 0, sp); /* holds the exit target */
    scope_entry *mark = c->scope;
    if (lam) {
        scope_push(c, lam->a->kids[0]->str, SYM_LOCAL, it + 2, NULL);
        if (nvars == 2)
            scope_push(c, lam->a->kids[1]->str, SYM_LOCAL, it + 3, NULL);
        expr(c, lam->b);
    } else {
        emit(c, KV_OPC_LOAD, it + 2, sp);
    }
    scope_pop_to(c, mark);
    uint32_t jskip, jend = 0;
    switch (form) {
    case F_ANY:
        jskip = emit(c, KV_OPC_JF, 0, sp);
        emit(c, KV_OPC_POP, 0, sp);
        emit(c, KV_OPC_TRUE, 0, sp);
        jend = emit(c, KV_OPC_JMP, 0, sp);
        patch(c, jskip, loop);
        emit(c, KV_OPC_JMP, loop, sp);
        break;
    case F_ALL:
        jskip = emit(c, KV_OPC_JF, 0, sp);
        emit(c, KV_OPC_JMP, loop, sp);
        patch(c, jskip, c->ncode);
        emit(c, KV_OPC_POP, 0, sp);
        emit(c, KV_OPC_FALSE, 0, sp);
        jend = emit(c, KV_OPC_JMP, 0, sp);
        break;
    case F_COUNT:
        jskip = emit(c, KV_OPC_JF, loop, sp);
        emit(c, KV_OPC_INT, 1, sp);
        emit(c, KV_OPC_ADD, 0, sp);
        emit(c, KV_OPC_JMP, loop, sp);
        (void)jskip;
        break;
    case F_FIND:
        /* a match falls through to the end, where the exhausted loop lands too */
        jskip = emit(c, KV_OPC_JF, loop, sp);
        emit(c, KV_OPC_POP, 0, sp);
        emit(c, KV_OPC_LOAD, it + (nvars == 2 ? 3 : 2), sp);
        (void)jskip;
        break;
    case F_FILTER:
        jskip = emit(c, KV_OPC_JF, loop, sp);
        if (nvars == 2) {
            emit(c, KV_OPC_ACCKV, acc, sp);
            /* ACCKV reads the iterator that follows the accumulator */
        } else {
            emit(c, KV_OPC_LOAD, it + 2, sp);
            emit(c, KV_OPC_ACCPUSH, acc, sp);
        }
        emit(c, KV_OPC_JMP, loop, sp);
        (void)jskip;
        break;
    case F_MAP:
        emit(c, KV_OPC_ACCPUSH, acc, sp);
        emit(c, KV_OPC_JMP, loop, sp);
        break;
    }
    /* exhausted */
    patch(c, exitw, c->ncode);
    if (form == F_FILTER)
        emit(c, nvars == 2 ? KV_OPC_ACCMAP : KV_OPC_ACCLIST, acc, sp);
    else if (form == F_MAP)
        emit(c, KV_OPC_ACCLIST, acc, sp);
    if (jend)
        patch(c, jend, c->ncode);
    emit(c, KV_OPC_ITEREND, it, sp);
    return true;
}

static void call_expr(compiler *c, kv_node *n)
{
    kv_node *callee = n->a;
    if (!callee) {
        emit(c, KV_OPC_ABSENT, 0, n->span);
        return;
    }
    for (uint32_t i = 0; i < n->nkids; i++) {
        if (n->kids[i]->kind == KV_N_LAMBDA && !(callee->kind == KV_N_NAME && i == 1)) {
            error_at(c, n->kids[i]->span, "a function literal is only allowed as the second argument of any, all, count, filter, map or find");
            emit(c, KV_OPC_ABSENT, 0, n->span);
            return;
        }
    }
    sym *qs = NULL;
    cpack *qp = NULL;
    if (callee->kind == KV_N_FIELD && qualified_sym(c, callee, true, &qs, &qp)) {
        if (!qs) {
            emit(c, KV_OPC_ABSENT, 0, n->span);
            return;
        }
        kv_fn *f = &c->fns[qs->index];
        if (n->nkids != f->nparams)
            error_at(c, n->span, "%s() takes %u argument%s, %u given", f->name, f->nparams, f->nparams == 1 ? "" : "s", n->nkids);
        for (uint32_t i = 0; i < n->nkids; i++)
            expr(c, n->kids[i]);
        emit(c, KV_OPC_CALLFN, qs->index, n->span);
        return;
    }
    if (callee->kind != KV_N_NAME) {
        error_at(c, callee->span, "only named functions can be called");
        emit(c, KV_OPC_ABSENT, 0, n->span);
        return;
    }
    const char *name = callee->str;
    if (n->nkids >= 1 && n->nkids <= 2 && (n->nkids == 2 ? n->kids[1]->kind == KV_N_LAMBDA : 1) &&
        lambda_form(c, n, name))
        return;
    for (uint32_t i = 0; i < n->nkids; i++)
        if (n->kids[i]->kind == KV_N_LAMBDA) {
            error_at(c, n->kids[i]->span, "%s() does not take a function argument", name);
            emit(c, KV_OPC_ABSENT, 0, n->span);
            return;
        }
    if (!strcmp(name, "try")) {
        if (n->nkids < 1 || n->nkids > 2) {
            error_at(c, n->span, "try() takes an expression and an optional default");
            emit(c, KV_OPC_ABSENT, 0, n->span);
            return;
        }
        uint32_t t = emit(c, KV_OPC_TRY, 0, n->span);
        expr(c, n->kids[0]);
        emit(c, KV_OPC_ENDTRY, 0, n->span);
        patch(c, t, c->ncode);
        if (n->nkids == 2) {
            uint32_t j = emit(c, KV_OPC_JNA, 0, n->span);
            expr(c, n->kids[1]);
            patch(c, j, c->ncode);
        }
        return;
    }
    if (!strcmp(name, "docs")) {
        if (n->nkids < 1 || n->nkids > 3 || n->kids[0]->kind != KV_N_STRING ||
            (n->nkids >= 2 && n->kids[1]->kind != KV_N_STRING)) {
            error_at(c, n->span, "docs() takes a kind and an optional apiVersion pattern, both as literal strings, and "
                                 "optionally a namespace, e.g. docs(\"HorizontalPodAutoscaler\", \"autoscaling/*\", ns)");
            emit(c, KV_OPC_ABSENT, 0, n->span);
            return;
        }
        uint32_t q = query_index(c, n->kids[0]->str, n->nkids >= 2 ? n->kids[1]->str : NULL);
        if (n->nkids == 3) {
            /* one namespace's documents, from an index built once per run */
            expr(c, n->kids[2]);
            emit(c, KV_OPC_QUERYNS, q, n->span);
        } else {
            emit(c, KV_OPC_QUERY, q, n->span);
        }
        return;
    }
    /* user function of this pack */
    sym *s = pack_sym(&c->packs[c->cur_pack], name);
    if (s && s->kind == SYM_FN && !lookup_scope(c, name)) {
        kv_fn *f = &c->fns[s->index];
        if (n->nkids != f->nparams)
            error_at(c, n->span, "%s() takes %u argument%s, %u given", name, f->nparams, f->nparams == 1 ? "" : "s", n->nkids);
        for (uint32_t i = 0; i < n->nkids; i++)
            expr(c, n->kids[i]);
        emit(c, KV_OPC_CALLFN, s->index, n->span);
        return;
    }
    int b = kv_builtin_lookup(name);
    if (b < 0) {
        error_at(c, callee->span, "unknown function `%s`", name);
        name_hints(c, name, true);
        emit(c, KV_OPC_ABSENT, 0, n->span);
        return;
    }
    const kv_builtin *bi = kv_builtin_at((size_t)b);
    if ((int)n->nkids < bi->min_args || (bi->max_args >= 0 && (int)n->nkids > bi->max_args)) {
        if (bi->min_args == bi->max_args)
            error_at(c, n->span, "%s() takes %d argument%s, %u given", name, bi->min_args, bi->min_args == 1 ? "" : "s", n->nkids);
        else if (bi->max_args < 0)
            error_at(c, n->span, "%s() takes at least %d argument%s, %u given", name, bi->min_args, bi->min_args == 1 ? "" : "s", n->nkids);
        else
            error_at(c, n->span, "%s() takes %d to %d arguments, %u given", name, bi->min_args, bi->max_args, n->nkids);
        kv_diag_hint(c->ctx, "%s", bi->signature);
    }
    if (n->nkids > 255) {
        error_at(c, n->span, "too many arguments");
        return;
    }
    for (uint32_t i = 0; i < n->nkids; i++)
        expr(c, n->kids[i]);
    emit(c, KV_OPC_CALL, (uint32_t)b | (n->nkids << 16), n->span);
}

static void derived_expr(compiler *c, kv_node *n)
{
    if (!c->in_block) {
        error_at(c, n->span, "derived values ($%s) can only be read inside a `for` block; pass them to functions as arguments", n->str);
        emit(c, KV_OPC_ABSENT, 0, n->span);
        return;
    }
    if (!kv_derived_name_ok(n->str, n->slen)) {
        error_at(c, n->span, "a derived value's name has at most %d parts", KV_MAX_DERIVED_PARTS);
        emit(c, KV_OPC_ABSENT, 0, n->span);
        return;
    }
    /* the name must relate to some derive somewhere */
    bool found = false;
    size_t nl = strlen(n->str);
    for (uint32_t i = 0; i < c->nderives && !found; i++) {
        const char *d = c->derives[i].decl->str;
        size_t dl = strlen(d);
        if ((dl == nl && !memcmp(d, n->str, nl)) ||
            (dl > nl && !memcmp(d, n->str, nl) && d[nl] == '.') ||
            (nl > dl && !memcmp(d, n->str, dl) && n->str[dl] == '.'))
            found = true;
    }
    if (!found) {
        error_at(c, n->span, "no `derive` defines $%s", n->str);
        hint h = {NULL, 0};
        for (uint32_t i = 0; i < c->nderives; i++)
            hint_consider(&h, n->str, c->derives[i].decl->str);
        if (h.best)
            kv_diag_hint(c->ctx, "did you mean `$%s`?", h.best);
    }
    note_derived_read(c, n->str);
    emit(c, KV_OPC_DERIVED, str_const(c, n->str, n->slen), n->span);
}

static void expr(compiler *c, kv_node *n)
{
    if (!n) {
        c->errors++;
        return;
    }
    if (++c->depth > MAX_EXPR_DEPTH) {
        if (c->depth == MAX_EXPR_DEPTH + 1)
            error_at(c, n->span, "expression nested too deeply (more than %d levels)", MAX_EXPR_DEPTH);
        c->depth--;
        return;
    }
    switch ((kv_node_kind)n->kind) {
    case KV_N_INT: case KV_N_FLOAT: case KV_N_STRING: case KV_N_BOOL: case KV_N_NULL: case KV_N_ABSENT:
        emit_value(c, literal_value(c, n), n->span);
        break;
    case KV_N_LIST:
        if (n->nkids > KV_MAXARG) {
            error_at(c, n->span, "list literal too long");
            break;
        }
        for (uint32_t i = 0; i < n->nkids; i++)
            expr(c, n->kids[i]);
        emit(c, KV_OPC_LIST, n->nkids, n->span);
        break;
    case KV_N_MAP:
        for (uint32_t i = 0; i + 1 < n->nkids; i += 2) {
            kv_node *k = n->kids[i];
            if (k->kind != KV_N_STRING) {
                /* a computed key: checked when the map is built */
                expr(c, k);
                expr(c, n->kids[i + 1]);
                continue;
            }
            for (uint32_t j = 0; j < i; j += 2)
                if (n->kids[j]->kind == KV_N_STRING && n->kids[j]->slen == k->slen &&
                    !memcmp(n->kids[j]->str, k->str, k->slen)) {
                    error_at(c, k->span, "duplicate key \"%s\" in map literal", k->str);
                    break;
                }
            emit(c, KV_OPC_CONST, str_const(c, k->str, k->slen), k->span);
            expr(c, n->kids[i + 1]);
        }
        emit(c, KV_OPC_MAP, n->nkids / 2, n->span);
        break;
    case KV_N_NAME:
        name_expr(c, n);
        break;
    case KV_N_DERIVED:
        derived_expr(c, n);
        break;
    case KV_N_FIELD: {
        sym *qs = NULL;
        cpack *qp = NULL;
        if (qualified_sym(c, n, false, &qs, &qp)) {
            if (qs)
                load_sym(c, qs->kind, qs->index, qs->decl, n->span);
            else
                emit(c, KV_OPC_ABSENT, 0, n->span);
            break;
        }
        expr(c, n->a);
        emit(c, KV_OPC_FIELD, str_const(c, n->str, n->slen), n->span);
        break;
    }
    case KV_N_INDEX:
        expr(c, n->a);
        if (n->b->kind == KV_N_STRING) {
            emit(c, KV_OPC_FIELD, str_const(c, n->b->str, n->b->slen), n->span);
        } else {
            if (n->b->kind == KV_N_FLOAT || n->b->kind == KV_N_BOOL || n->b->kind == KV_N_NULL ||
                n->b->kind == KV_N_LIST || n->b->kind == KV_N_MAP)
                error_at(c, n->b->span, "an index must be an integer (lists) or a string (maps)");
            expr(c, n->b);
            emit(c, KV_OPC_INDEX, 0, n->span);
        }
        break;
    case KV_N_CALL:
        call_expr(c, n);
        break;
    case KV_N_LAMBDA:
        error_at(c, n->span, "a function literal is only allowed as an argument of any, all, count, filter, map or find");
        break;
    case KV_N_UNARY:
        if (fold(c, n))
            break;
        expr(c, n->a);
        emit(c, n->op == KV_OP_NEG ? KV_OPC_NEG : KV_OPC_NOT, 0, n->span);
        break;
    case KV_N_BINARY: {
        if (fold(c, n))
            break;
        expr(c, n->a);
        expr(c, n->b);
        static const kv_opcode map[] = {
            [KV_OP_ADD] = KV_OPC_ADD, [KV_OP_SUB] = KV_OPC_SUB, [KV_OP_MUL] = KV_OPC_MUL,
            [KV_OP_DIV] = KV_OPC_DIV, [KV_OP_MOD] = KV_OPC_MOD, [KV_OP_EQ] = KV_OPC_EQ,
            [KV_OP_NE] = KV_OPC_NE, [KV_OP_LT] = KV_OPC_LT, [KV_OP_LE] = KV_OPC_LE,
            [KV_OP_GT] = KV_OPC_GT, [KV_OP_GE] = KV_OPC_GE, [KV_OP_IN] = KV_OPC_IN,
            [KV_OP_NOTIN] = KV_OPC_NOTIN,
        };
        emit(c, map[n->op], 0, n->span);
        break;
    }
    case KV_N_AND: {
        expr(c, n->a);
        uint32_t j = emit(c, KV_OPC_ANDSC, 0, n->span);
        expr(c, n->b);
        emit(c, KV_OPC_ANDEND, 0, n->span);
        patch(c, j, c->ncode);
        break;
    }
    case KV_N_OR: {
        expr(c, n->a);
        uint32_t j = emit(c, KV_OPC_ORSC, 0, n->span);
        expr(c, n->b);
        emit(c, KV_OPC_OREND, 0, n->span);
        patch(c, j, c->ncode);
        break;
    }
    case KV_N_COALESCE: {
        expr(c, n->a);
        uint32_t j = emit(c, KV_OPC_JNA, 0, n->span);
        expr(c, n->b);
        patch(c, j, c->ncode);
        break;
    }
    case KV_N_COND: {
        /* value when cond [else other] */
        expr(c, n->b);
        uint32_t jf = emit(c, KV_OPC_JF, 0, n->span);
        expr(c, n->a);
        uint32_t je = emit(c, KV_OPC_JMP, 0, n->span);
        patch(c, jf, c->ncode);
        if (n->c)
            expr(c, n->c);
        else
            emit(c, KV_OPC_ABSENT, 0, n->span);
        patch(c, je, c->ncode);
        break;
    }
    case KV_N_LETIN:
        let_expr(c, n);
        break;
    case KV_N_TEMPLATE:
        for (uint32_t i = 0; i < n->nkids; i++)
            expr(c, n->kids[i]);
        emit(c, KV_OPC_FORMAT, n->nkids, n->span);
        break;
    default:
        error_at(c, n->span, "internal error: unexpected %s node in an expression", kv_node_kind_name(n->kind));
        break;
    }
    c->depth--;
}

/* --------------------------------------------------------- declarations */

static void declare_pack(compiler *c, uint32_t pi)
{
    cpack *p = &c->packs[pi];
    for (uint32_t f = 0; f < p->src->nfiles; f++) {
        kv_node *file = p->src->files[f].ast;
        for (uint32_t i = 0; i < file->nkids; i++) {
            kv_node *it = file->kids[i];
            switch (it->kind) {
            case KV_N_IMPORT: {
                int t = find_pack(c, it->str);
                if (t < 0) {
                    error_at(c, it->span, "pack `%s` was not found", it->str);
                    break;
                }
                if ((uint32_t)t == pi) {
                    error_at(c, it->span, "pack `%s` imports itself", it->str);
                    break;
                }
                const char *alias = it->a ? it->a->str : strrchr(it->str, '.') ? strrchr(it->str, '.') + 1 : it->str;
                add_pack_sym(c, p, alias, SYM_IMPORT, (uint32_t)t, it);
                break;
            }
            case KV_N_PARAM: {
                if (!GROW(c->params, c->nparams, c->capparams)) { oom(c); return; }
                kv_param *pa = &c->params[c->nparams];
                memset(pa, 0, sizeof *pa);
                size_t nl = strlen(p->src->name) + 1 + strlen(it->str) + 1;
                char *full = kv_arena_alloc(&c->prog->arena, nl);
                if (!full) { oom(c); return; }
                snprintf(full, nl, "%s.%s", p->src->name, it->str);
                pa->name = full;
                pa->short_name = adup(c, it->str);
                pa->pack = pi;
                pa->doc = it->b ? adup(c, it->b->str) : NULL;
                pa->pos.line = it->span.line;
                pa->pos.col = it->span.col;
                pa->pos.file = c->pack_file_base[pi] + f;
                add_pack_sym(c, p, it->str, SYM_PARAM, c->nparams, it);
                c->nparams++;
                break;
            }
            case KV_N_CONST:
            case KV_N_GLET:
                if (!GROW(c->globals, c->nglobals, c->capglobals)) { oom(c); return; }
                c->globals[c->nglobals].name = adup(c, it->str);
                c->globals[c->nglobals].chunk = 0;
                add_pack_sym(c, p, it->str, SYM_GLOBAL, c->nglobals, it);
                it->slot = (int32_t)c->nglobals;
                c->nglobals++;
                break;
            case KV_N_FN:
                if (!GROW(c->fns, c->nfns, c->capfns)) { oom(c); return; }
                if (kv_builtin_lookup(it->str) >= 0)
                    warn_at(c, it->span, "function `%s` hides the builtin of the same name in this pack", it->str);
                c->fns[c->nfns].name = adup(c, it->str);
                c->fns[c->nfns].nparams = it->a ? it->a->nkids : 0;
                c->fns[c->nfns].chunk = 0;
                add_pack_sym(c, p, it->str, SYM_FN, c->nfns, it);
                it->slot = (int32_t)c->nfns;
                c->nfns++;
                break;
            case KV_N_FOR:
                for (uint32_t k = 0; k < it->c->nkids; k++) {
                    kv_node *bi = it->c->kids[k];
                    if (bi->kind == KV_N_DERIVE) {
                        if (!kv_derived_name_ok(bi->str, strlen(bi->str)))
                            error_at(c, bi->span, "a derived value's name has at most %d parts", KV_MAX_DERIVED_PARTS);
                        if (!GROW(c->derives, c->nderives, c->capderives)) { oom(c); return; }
                        deriveinfo *d = &c->derives[c->nderives++];
                        memset(d, 0, sizeof *d);
                        d->decl = bi;
                        d->pack = pi;
                        bi->slot = (int32_t)(c->nderives - 1);
                    } else if (bi->kind == KV_N_RULE) {
                        uint32_t prev = strhash_get(&c->rule_ids, bi->str, strlen(bi->str));
                        if (prev != UINT32_MAX) {
                            error_at(c, bi->span, "duplicate rule id %s", bi->str);
                            kv_diag(c->ctx, KVET_SEV_NOTE, c->prog->files[c->rules[prev].pos.file],
                                    c->rules[prev].pos.line, c->rules[prev].pos.col, 1, NULL,
                                    "rule %s is first defined here", bi->str);
                        } else if (!strhash_put(&c->rule_ids, bi->str, strlen(bi->str), c->nrules)) {
                            oom(c);
                        }
                        if (!GROW(c->rules, c->nrules, c->caprules)) { oom(c); return; }
                        kv_rule *r = &c->rules[c->nrules++];
                        memset(r, 0, sizeof *r);
                        r->override_pack = -1;
                        r->id = adup(c, bi->str);
                        r->pos.file = c->pack_file_base[pi] + f;
                        r->pos.line = bi->span.line;
                        r->pos.col = bi->span.col;
                        bi->slot = (int32_t)(c->nrules - 1);
                    }
                }
                break;
            default:
                break;
            }
        }
    }
}

/* ------------------------------------------------------------ top level */

static void compile_value_chunk(compiler *c, kv_node *e, uint32_t *chunk_out)
{
    uint32_t nslots = 0;
    uint32_t *saved = c->nslots;
    c->nslots = &nslots;
    uint32_t ch = new_chunk(c, 0);
    expr(c, e);
    emit(c, KV_OPC_RET, 0, e ? e->span : (kv_span){0});
    c->chunks[ch].nlocals = nslots;
    c->nslots = saved;
    *chunk_out = ch;
}

static const char *span_text(compiler *c, kv_span sp)
{
    kv_srcfile *f = file_of(c, sp.src);
    if (!f || sp.end_off <= sp.off || sp.end_off > f->len)
        return adup(c, "");
    return adupn(c, f->text + sp.off, sp.end_off - sp.off);
}

/* Source text on one line (explain prints a derivation's expression): a
 * line break and the indentation after it become one space. */
static const char *one_line(compiler *c, const char *t)
{
    if (!strchr(t, '\n'))
        return t;
    char *out = (char *)adupn(c, t, strlen(t)); /* arena memory of our own */
    if (!out)
        return t;
    size_t w = 0;
    for (size_t i = 0; t[i]; i++) {
        if (t[i] == '\n' || t[i] == '\r') {
            while (w && (out[w - 1] == ' ' || out[w - 1] == '\t'))
                w--;
            out[w++] = ' ';
            while (t[i + 1] == ' ' || t[i + 1] == '\t' || t[i + 1] == '\n' || t[i + 1] == '\r')
                i++;
        } else {
            out[w++] = t[i];
        }
    }
    out[w] = '\0';
    return out;
}

/* The source of a template written as several literals ("a" "b" over
 * lines) as the one literal it means ("ab"): readers of a rule's remedy
 * source expect a single quoted string.  Literals of different quoting
 * ('raw' after "escaped") stay as written. */
static const char *joined_literals(compiler *c, kv_span sp)
{
    const char *t = span_text(c, sp);
    size_t n = strlen(t);
    char *out = (char *)adupn(c, t, n); /* arena memory of our own */
    if (!out)
        return t;
    size_t w = 0;
    char q = 0;         /* the open literal's quote, or 0 between literals */
    char last = 0;      /* the quote of the literal that closed last */
    size_t last_close = 0;
    for (size_t i = 0; i < n; i++) {
        char ch = t[i];
        if (q) {
            out[w++] = ch;
            if (ch == '\\' && q == '"' && i + 1 < n)
                out[w++] = t[++i];
            else if (ch == q) {
                last = q;
                last_close = w - 1;
                q = 0;
            }
        } else if (ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r') {
            continue;
        } else if ((ch == '"' || ch == '\'') && ch == last) {
            w = last_close; /* drop the closing quote and this opening one */
            q = ch;
        } else {
            if ((ch == '"' || ch == '\'') && last)
                out[w++] = ' ';
            out[w++] = ch;
            if (ch == '"' || ch == '\'')
                q = ch;
        }
    }
    out[w] = '\0';
    return out;
}

/* ------------------------------------------------------ the absent lint */

static bool lint_lookup(void *ud, const char *name, const kv_node **value)
{
    compiler *c = ud;
    *value = NULL;
    scope_entry *e = lookup_scope(c, name);
    if (e) {
        if (e->decl && (e->decl->kind == KV_N_LET || e->decl->kind == KV_N_RLET || e->decl->kind == KV_N_LETIN))
            *value = e->decl->a;
        return true;
    }
    sym *s = pack_sym(&c->packs[c->cur_pack], name);
    if (!s || s->kind == SYM_FN || s->kind == SYM_IMPORT)
        return false;
    if (s->kind == SYM_GLOBAL && s->decl)
        *value = s->decl->a;
    return true;
}

static const kv_node *lint_function(void *ud, const char *name)
{
    compiler *c = ud;
    sym *s = pack_sym(&c->packs[c->cur_pack], name);
    return s && s->kind == SYM_FN && !lookup_scope(c, name) ? s->decl : NULL;
}

static bool names_related(const char *a, const char *b);

static const kv_node *lint_derived(void *ud, const char *name)
{
    compiler *c = ud;
    const kv_node *only = NULL;
    for (uint32_t i = 0; i < c->nderives; i++) {
        kv_node *d = c->derives[i].decl;
        if (!names_related(d->str, name))
            continue;
        if (only || strcmp(d->str, name) != 0)
            return NULL;
        only = d;
    }
    for (uint32_t i = 0; only && c->cur_items && i < c->cur_items->nkids; i++)
        if (c->cur_items->kids[i] == only)
            return only->a;
    return NULL;
}

static void lint_report(void *ud, const kv_node *cmp, const kv_node *operand, bool forbid)
{
    compiler *c = ud;
    static const char *const ops[] = {[KV_OP_LT] = "<", [KV_OP_LE] = "<=", [KV_OP_GT] = ">", [KV_OP_GE] = ">=",
                                      [KV_OP_IN] = "in", [KV_OP_NOTIN] = "not in"};
    const char *text = span_text(c, operand->span);
    char shown[72];
    if (text && strlen(text) > 60 && !strchr(text, '\n'))
        snprintf(shown, sizeof shown, "%.57s...", text);
    else if (text && !strchr(text, '\n'))
        snprintf(shown, sizeof shown, "%s", text);
    else
        snprintf(shown, sizeof shown, "this value");
    bool quote = strcmp(shown, "this value") != 0;
    const char *q = quote ? "`" : "";
    warn_at(c, operand->span, "%s%s%s may be absent, and then `%s` is absent and this %s %s", q, shown, q,
            cmp->op < sizeof ops / sizeof ops[0] && ops[cmp->op] ? ops[cmp->op] : "?",
            forbid ? "forbid" : "require", forbid ? "never fires" : "passes without a finding");
    kv_diag_hint(c->ctx, "write `%s ?? DEFAULT` with the value an absent one means, or test for it with has(): "
                         "`when has(...)`, `has(...) and ...`", quote ? shown : "VALUE");
}

/* Lint one require/forbid of rule rn against the rule's guards. */
static void lint_check_clause(compiler *c, kv_node *rn, kv_node *check)
{
    enum { MAX_RULE_GUARDS = 64 };
    const kv_node *guards[MAX_RULE_GUARDS];
    size_t n = 0;
    if (c->cur_where)
        guards[n++] = c->cur_where;
    for (uint32_t i = 0; i < rn->b->nkids && n < MAX_RULE_GUARDS; i++) {
        kv_node *cl = rn->b->kids[i];
        if (cl->kind == KV_N_WHEN || cl->kind == KV_N_EACH)
            guards[n++] = cl->a;
    }
    kv_lint_env env = {c, lint_lookup, lint_function, lint_derived, lint_report};
    kv_lint_check(&env, check->a, check->kind == KV_N_FORBID, guards, n);
}

static void compile_rule(compiler *c, kv_node *rn, uint32_t block, uint32_t pack)
{
    kv_rule *r = &c->rules[rn->slot];
    r->title = adupn(c, rn->a->str, rn->a->slen);
    r->severity = r->effective = (kvet_severity)rn->op;
    r->enabled = true;
    r->pack = pack;
    r->block = block;
    r->remedy = -1;
    uint32_t nmeta = 0;
    for (uint32_t i = 0; i < rn->b->nkids; i++)
        if (rn->b->kids[i]->kind == KV_N_META)
            nmeta++;
    if (nmeta) {
        r->meta_keys = kv_arena_alloc(&c->prog->arena, nmeta * sizeof(char *));
        r->meta_vals = kv_arena_alloc(&c->prog->arena, nmeta * sizeof(char *));
        if (!r->meta_keys || !r->meta_vals) { oom(c); return; }
    }
    kv_node *message = NULL, *remedy = NULL, *at = NULL;
    kv_node **eaches = NULL;
    uint32_t neach = 0;
    int nchecks = 0;
    for (uint32_t i = 0; i < rn->b->nkids; i++) {
        kv_node *cl = rn->b->kids[i];
        switch (cl->kind) {
        case KV_N_MESSAGE:
            if (message) error_at(c, cl->span, "rule %s has more than one `message`", r->id);
            message = cl->a;
            break;
        case KV_N_REMEDY:
            if (remedy) error_at(c, cl->span, "rule %s has more than one `remedy`", r->id);
            remedy = cl->a;
            r->remedy_text = joined_literals(c, cl->a->span);
            break;
        case KV_N_AT:
            if (at) error_at(c, cl->span, "rule %s has more than one `at`", r->id);
            at = cl->a;
            break;
        case KV_N_LINK: r->link = adup(c, cl->a->str); break;
        case KV_N_DOC: r->doc = adup(c, cl->a->str); break;
        case KV_N_META:
            r->meta_keys[r->nmeta] = adup(c, cl->str);
            r->meta_vals[r->nmeta] = adup(c, cl->a->str);
            r->nmeta++;
            break;
        case KV_N_REQUIRE: case KV_N_FORBID: nchecks++; break;
        case KV_N_EACH:
            if (nchecks || neach != i) {
                /* each must come first so later clauses can use its variables */
            }
            neach++;
            break;
        default: break;
        }
    }
    if (!nchecks)
        error_at(c, rn->span, "rule %s needs a `require` or `forbid` clause", r->id);
    (void)eaches;

    scope_entry *mark = c->scope;
    uint32_t ch = new_chunk(c, 0);
    r->chunk = ch;
    scope_entry *message_scope = mark, *remedy_scope = mark, *at_scope = mark;
    /* loops */
    uint32_t loops[16], exits[16];
    uint32_t nloops = 0;
    uint32_t pending_skip[64];
    uint32_t nskip = 0;
    for (uint32_t i = 0; i < rn->b->nkids; i++) {
        kv_node *cl = rn->b->kids[i];
        if (cl->kind == KV_N_EACH) {
            if (nloops == 16) {
                error_at(c, cl->span, "too many `each` clauses");
                break;
            }
            if (nskip) {
                error_at(c, cl->span, "`each` must come before `when`, `require` and `forbid` clauses");
            }
            uint32_t it = new_slot(c, 4);
            expr(c, cl->a);
            emit(c, KV_OPC_ITER, it, cl->span);
            uint32_t nv = cl->c ? 2 : 1;
            loops[nloops] = emit(c, KV_OPC_NEXT, it | ((nv - 1) << 20), cl->span);
            exits[nloops] = emit(c, KV_OPC_NOP, 0, cl->span);
            nloops++;
            scope_push(c, cl->b->str, SYM_LOCAL, it + 2, NULL);
            if (cl->c)
                scope_push(c, cl->c->str, SYM_LOCAL, it + 3, NULL);
        } else if (cl->kind == KV_N_WHEN) {
            expr(c, cl->a);
            if (nskip < 64) pending_skip[nskip++] = emit(c, KV_OPC_JF, 0, cl->span);
            else error_at(c, cl->span, "too many conditions");
        } else if (cl->kind == KV_N_RLET) {
            /* computed where it stands: once per element of the loops
             * before it, and only when the conditions before it hold */
            check_let_name(c, cl);
            uint32_t slot = new_slot(c, 1);
            expr(c, cl->a);
            emit(c, KV_OPC_STORE, slot, cl->span);
            scope_push(c, cl->str, SYM_LOCAL, slot, cl);
        } else if (cl->kind == KV_N_MESSAGE) {
            message_scope = c->scope; /* the lets written before it */
        } else if (cl->kind == KV_N_REMEDY) {
            remedy_scope = c->scope;
        } else if (cl->kind == KV_N_AT) {
            at_scope = c->scope;
        }
    }
    /* checks: any violated check fires the finding */
    uint32_t to_emit[64];
    uint32_t nemit = 0;
    int seen = 0;
    for (uint32_t i = 0; i < rn->b->nkids; i++) {
        kv_node *cl = rn->b->kids[i];
        if (cl->kind != KV_N_REQUIRE && cl->kind != KV_N_FORBID)
            continue;
        seen++;
        if (c->ctx->lints)
            lint_check_clause(c, rn, cl);
        /* `forbid true` (`require false`) after when/each clauses says "every
         * item that got here is a finding": no test can make it pass, so it
         * compiles to no check (and no branch for coverage to miss) */
        if (cl->a->kind == KV_N_BOOL && (cl->a->i != 0) == (cl->kind == KV_N_FORBID)) {
            if (seen < nchecks && nemit < 64)
                to_emit[nemit++] = emit(c, KV_OPC_JMP, 0, cl->span);
            continue;
        }
        expr(c, cl->a);
        kv_opcode pass = cl->kind == KV_N_REQUIRE ? KV_OPC_JREQ : KV_OPC_JFORBID;
        if (seen < nchecks) {
            uint32_t j = emit(c, pass, 0, cl->span);
            if (nemit < 64) to_emit[nemit++] = emit(c, KV_OPC_JMP, 0, cl->span);
            patch(c, j, c->ncode);
        } else {
            if (nskip < 64) pending_skip[nskip++] = emit(c, pass, 0, cl->span);
        }
    }
    for (uint32_t i = 0; i < nemit; i++)
        patch(c, to_emit[i], c->ncode);
    scope_entry *all = c->scope;
    if (at) {
        c->scope = at_scope;
        expr(c, at);
    } else {
        emit(c, KV_OPC_ABSENT, 0, rn->span);
    }
    if (message) {
        c->scope = message_scope;
        expr(c, message);
    } else {
        emit(c, KV_OPC_CONST, str_const(c, rn->a->str, rn->a->slen), rn->span);
    }
    if (remedy) {
        c->scope = remedy_scope;
        expr(c, remedy);
    } else {
        emit(c, KV_OPC_ABSENT, 0, rn->span);
    }
    c->scope = all;
    for (uint32_t i = 0; i < rn->b->nkids; i++)
        if (rn->b->kids[i]->kind == KV_N_RLET && !rn->b->kids[i]->used)
            warn_at(c, rn->b->kids[i]->span, "`%s` is never used", rn->b->kids[i]->str);
    emit(c, KV_OPC_EMIT, (uint32_t)rn->slot, rn->span);
    uint32_t next = c->ncode;
    for (uint32_t i = 0; i < nskip; i++)
        patch(c, pending_skip[i], nloops ? loops[nloops - 1] : next);
    while (nloops > 0) {
        nloops--;
        emit(c, KV_OPC_JMP, loops[nloops], rn->span);
        patch(c, exits[nloops], c->ncode);
        if (nloops > 0) {
            /* the inner loop is done: continue the outer one */
        }
    }
    emit(c, KV_OPC_ABSENT, 0, rn->span);
    emit(c, KV_OPC_RET, 0, rn->span);
    scope_pop_to(c, mark);
}

static const char *applies_text(compiler *c, kv_node *sels)
{
    kv_buf b;
    kv_buf_init(&b);
    for (uint32_t i = 0; i < sels->nkids; i++) {
        if (i)
            kv_buf_puts(&b, ", ");
        kv_buf_puts(&b, sels->kids[i]->str);
        if (sels->kids[i]->a)
            kv_buf_printf(&b, " %s", sels->kids[i]->a->str);
    }
    char *s = kv_buf_take(&b);
    const char *r = adup(c, s ? s : "");
    free(s);
    return r;
}

static void compile_block(compiler *c, kv_node *fn, uint32_t pack, uint32_t file_index)
{
    if (!GROW(c->blocks, c->nblocks, c->capblocks)) { oom(c); return; }
    uint32_t bi = c->nblocks++;
    kv_block *b = &c->blocks[bi];
    memset(b, 0, sizeof *b);
    b->pack = pack;
    b->where = -1;
    b->pos.file = file_index;
    b->pos.line = fn->span.line;
    b->pos.col = fn->span.col;
    kv_node *sels = fn->a;
    b->nsel = sels->nkids;
    b->sel = kv_arena_alloc(&c->prog->arena, sels->nkids * sizeof *b->sel);
    if (!b->sel) { oom(c); return; }
    for (uint32_t i = 0; i < sels->nkids; i++) {
        b->sel[i].kind = adup(c, sels->kids[i]->str);
        b->sel[i].api = sels->kids[i]->a ? adup(c, sels->kids[i]->a->str) : NULL;
    }
    const char *applies = applies_text(c, sels);

    uint32_t nslots = 1; /* slot 0: the document */
    uint32_t first_chunk = c->nchunks;
    c->nslots = &nslots;
    c->in_block = 1;
    scope_entry *mark = c->scope;
    scope_push(c, fn->str, SYM_LOCAL, 0, NULL);

    /* lets first: they are visible to each other and to everything else */
    kv_node *items = fn->c;
    uint32_t first_let = c->nlets;
    for (uint32_t i = 0; i < items->nkids; i++) {
        kv_node *it = items->kids[i];
        if (it->kind != KV_N_LET)
            continue;
        for (uint32_t j = first_let; j < c->nlets; j++)
            if (!strcmp(c->lets[j].name, it->str)) {
                error_at(c, it->span, "`%s` is already defined in this block", it->str);
                break;
            }
        if (!strcmp(it->str, fn->str))
            error_at(c, it->span, "`%s` hides the document name of this block", it->str);
        if (!GROW(c->lets, c->nlets, c->caplets) ||
            (c->capletinfo < c->caplets &&
             !(c->letinfo = realloc(c->letinfo, (size_t)c->caplets * sizeof *c->letinfo)))) {
            oom(c);
            return;
        }
        if (c->capletinfo < c->caplets) {
            memset(c->letinfo + c->capletinfo, 0, (size_t)(c->caplets - c->capletinfo) * sizeof *c->letinfo);
            c->capletinfo = c->caplets;
        }
        kv_let *l = &c->lets[c->nlets];
        l->block = bi;
        l->slot = new_slot(c, 1);
        l->name = adup(c, it->str);
        l->chunk = 0;
        memset(&c->letinfo[c->nlets], 0, sizeof c->letinfo[c->nlets]);
        c->letinfo[c->nlets].decl = it;
        it->slot = (int32_t)c->nlets;
        scope_push(c, it->str, SYM_LET, c->nlets, it);
        c->nlets++;
    }
    c->cur_where = items->a;
    c->cur_items = items;
    /* the where clause: a chunk of its own */
    if (items->a) {
        uint32_t ch = new_chunk(c, 0);
        deriveinfo wherebox;
        memset(&wherebox, 0, sizeof wherebox);
        c->cur_derive = &wherebox;
        expr(c, items->a);
        c->cur_derive = NULL;
        emit(c, KV_OPC_RET, 0, items->a->span);
        b = &c->blocks[bi];
        b->where = (int32_t)ch;
        /* every derive of this block inherits the where clause's reads */
        for (uint32_t d = 0; d < c->nderives; d++) {
            deriveinfo *di = &c->derives[d];
            for (uint32_t k = 0; k < items->nkids; k++)
                if (items->kids[k] == di->decl)
                    for (uint32_t w = 0; w < wherebox.nnames; w++)
                        if (GROW(di->names, di->nnames, di->capnames))
                            di->names[di->nnames++] = wherebox.names[w];
        }
        free(wherebox.names);
    }
    for (uint32_t i = 0; i < items->nkids; i++) {
        kv_node *it = items->kids[i];
        if (it->kind == KV_N_LET) {
            uint32_t li = (uint32_t)it->slot;
            c->cur_let = &c->letinfo[li];
            uint32_t ch = new_chunk(c, 0);
            expr(c, it->a);
            emit(c, KV_OPC_RET, 0, it->span);
            c->lets[li].chunk = ch;
            c->cur_let = NULL;
        } else if (it->kind == KV_N_DERIVE) {
            if (it->slot < 0 || (uint32_t)it->slot >= c->nderives)
                continue;
            deriveinfo *d = &c->derives[it->slot];
            c->cur_derive = d;
            uint32_t ch = new_chunk(c, 0);
            expr(c, it->a);
            emit(c, KV_OPC_RET, 0, it->span);
            c->cur_derive = NULL;
            d->block = bi;
            d->chunk = ch;
        } else if (it->kind == KV_N_RULE) {
            compile_rule(c, it, bi, pack);
            c->rules[it->slot].applies_to = applies;
        }
    }
    for (uint32_t i = first_let; i < c->nlets; i++)
        if (!c->letinfo[i].decl->used)
            warn_at(c, c->letinfo[i].decl->span, "`%s` is never used", c->lets[i].name);
    scope_pop_to(c, mark);
    c->in_block = 0;
    c->cur_where = NULL;
    c->cur_items = NULL;
    c->blocks[bi].nlocals = nslots;
    /* every chunk of the block runs in the block's frame */
    for (uint32_t i = first_chunk; i < c->nchunks; i++)
        c->chunks[i].nlocals = nslots;
    c->nslots = NULL;
}

static void compile_pack(compiler *c, uint32_t pi)
{
    cpack *p = &c->packs[pi];
    c->cur_pack = pi;
    for (uint32_t f = 0; f < p->src->nfiles; f++) {
        kv_srcfile *sf = &p->src->files[f];
        c->cur_file = c->pack_file_base[pi] + f;
        c->cur_src = sf;
        kv_node *file = sf->ast;
        for (uint32_t i = 0; i < file->nkids; i++) {
            kv_node *it = file->kids[i];
            switch (it->kind) {
            case KV_N_PARAM: {
                kv_param *pa = NULL;
                for (uint32_t k = 0; k < c->nparams; k++)
                    if (c->params[k].pack == pi && !strcmp(c->params[k].short_name, it->str))
                        pa = &c->params[k];
                if (!pa)
                    break;
                kv_node *e = it->a;
                bool neg = false;
                if (e->kind == KV_N_UNARY && e->op == KV_OP_NEG && (e->a->kind == KV_N_INT || e->a->kind == KV_N_FLOAT)) {
                    neg = true;
                    e = e->a;
                }
                if (is_literal(e)) {
                    pa->value = literal_value(c, e);
                    if (neg) {
                        if (pa->value.type == KVET_INT) pa->value.u.i = -pa->value.u.i;
                        else pa->value.u.f = -pa->value.u.f;
                    }
                } else if (e->kind == KV_N_LIST) {
                    kvet_list *l = kv_list_new(&c->prog->arena, e->nkids);
                    if (!l) { oom(c); break; }
                    for (uint32_t k = 0; k < e->nkids; k++) {
                        if (!is_literal(e->kids[k]))
                            error_at(c, e->kids[k]->span, "parameter defaults must be literal values");
                        else
                            l->items[k] = literal_value(c, e->kids[k]);
                    }
                    pa->value = kv_list_value(l);
                } else {
                    error_at(c, e->span, "parameter defaults must be literal values (a number, string, boolean or list)");
                }
                break;
            }
            case KV_N_CONST:
            case KV_N_GLET: {
                c->in_block = 0;
                uint32_t ch;
                compile_value_chunk(c, it->a, &ch);
                c->globals[it->slot].chunk = ch;
                break;
            }
            case KV_N_FN: {
                uint32_t nslots = 0;
                c->nslots = &nslots;
                c->in_block = 0;
                scope_entry *mark = c->scope;
                if (it->a)
                    for (uint32_t k = 0; k < it->a->nkids; k++) {
                        for (uint32_t j = 0; j < k; j++)
                            if (!strcmp(it->a->kids[j]->str, it->a->kids[k]->str))
                                error_at(c, it->a->kids[k]->span, "duplicate parameter `%s`", it->a->kids[k]->str);
                        scope_push(c, it->a->kids[k]->str, SYM_LOCAL, new_slot(c, 1), NULL);
                    }
                uint32_t ch = new_chunk(c, 0);
                expr(c, it->b);
                emit(c, KV_OPC_RET, 0, it->span);
                c->chunks[ch].nlocals = nslots;
                c->fns[it->slot].chunk = ch;
                scope_pop_to(c, mark);
                c->nslots = NULL;
                break;
            }
            case KV_N_FOR:
                compile_block(c, it, pi, c->cur_file);
                break;
            default:
                break;
            }
            compile_keyjobs(c);
        }
    }
}

/* ---------------------------------------------------------- derive order */

static bool names_related(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    size_t n = la < lb ? la : lb;
    if (memcmp(a, b, n) != 0)
        return false;
    return la == lb || (la > lb ? a[lb] == '.' : b[la] == '.');
}

/* Expand "#<let>" entries into the let's own reads, transitively. */
static void let_closure(compiler *c, uint32_t li, deriveinfo *d, uint8_t *seen)
{
    if (seen[li])
        return;
    seen[li] = 1;
    letinfo *l = &c->letinfo[li];
    for (uint32_t i = 0; i < l->nnames; i++)
        if (GROW(d->names, d->nnames, d->capnames))
            d->names[d->nnames++] = l->names[i];
    for (uint32_t i = 0; i < l->nlets; i++)
        let_closure(c, l->lets[i], d, seen);
}

static int let_cycle_dfs(compiler *c, uint32_t li)
{
    letinfo *l = &c->letinfo[li];
    if (l->mark == 1) {
        error_at(c, l->decl->span, "`%s` is defined in terms of itself", c->lets[li].name);
        return -1;
    }
    if (l->mark == 2)
        return 0;
    l->mark = 1;
    for (uint32_t i = 0; i < l->nlets; i++)
        if (let_cycle_dfs(c, l->lets[i]) < 0) {
            l->mark = 2;
            return -1;
        }
    l->mark = 2;
    return 0;
}

static bool derive_depends(compiler *c, uint32_t a, uint32_t b)
{
    deriveinfo *da = &c->derives[a];
    for (uint32_t i = 0; i < da->nnames; i++)
        if (da->names[i][0] != '#' && names_related(da->names[i], c->derives[b].decl->str))
            return true;
    return false;
}

static int derive_dfs(compiler *c, uint32_t d, uint32_t *stack, uint32_t depth, uint32_t *out, uint32_t *nout)
{
    deriveinfo *di = &c->derives[d];
    if (di->mark == 2)
        return 0;
    if (di->mark == 1) {
        /* report the cycle: from d's position in the stack to the top */
        kv_buf b;
        kv_buf_init(&b);
        uint32_t start = 0;
        for (uint32_t i = 0; i < depth; i++)
            if (stack[i] == d)
                start = i;
        for (uint32_t i = start; i < depth; i++)
            kv_buf_printf(&b, "$%s -> ", c->derives[stack[i]].decl->str);
        kv_buf_printf(&b, "$%s", di->decl->str);
        char *s = kv_buf_take(&b);
        error_at(c, di->decl->span, "derived values depend on each other in a cycle: %s", s ? s : "");
        free(s);
        return -1;
    }
    di->mark = 1;
    stack[depth] = d;
    for (uint32_t e = 0; e < c->nderives; e++) {
        if (!derive_depends(c, d, e))
            continue;
        if (e == d) {
            error_at(c, di->decl->span, "$%s is defined in terms of itself", di->decl->str);
            di->mark = 2;
            return -1;
        }
        if (derive_dfs(c, e, stack, depth + 1, out, nout) < 0) {
            di->mark = 2;
            return -1;
        }
    }
    di->mark = 2;
    out[(*nout)++] = d;
    return 0;
}

static void order_derives(compiler *c)
{
    /* let cycles first */
    for (uint32_t i = 0; i < c->nlets; i++)
        if (let_cycle_dfs(c, i) < 0)
            return;
    uint8_t *seen = calloc(c->nlets + 1, 1);
    if (!seen) { oom(c); return; }
    for (uint32_t d = 0; d < c->nderives; d++) {
        deriveinfo *di = &c->derives[d];
        uint32_t n = di->nnames;
        memset(seen, 0, c->nlets + 1);
        for (uint32_t i = 0; i < n; i++)
            if (di->names[i][0] == '#')
                let_closure(c, (uint32_t)strtoul(di->names[i] + 1, NULL, 10), di, seen);
    }
    free(seen);
    uint32_t *stack = malloc((c->nderives + 1) * sizeof *stack);
    uint32_t *out = malloc((c->nderives + 1) * sizeof *out);
    uint32_t nout = 0;
    if (!stack || !out) { free(stack); free(out); oom(c); return; }
    for (uint32_t d = 0; d < c->nderives; d++)
        if (derive_dfs(c, d, stack, 0, out, &nout) < 0)
            break;
    if (!c->errors) {
        c->prog->derives = kv_arena_calloc(&c->prog->arena, (nout + 1) * sizeof *c->prog->derives);
        if (!c->prog->derives) { oom(c); goto done; }
        for (uint32_t i = 0; i < nout; i++) {
            deriveinfo *di = &c->derives[out[i]];
            kv_derive *pd = &c->prog->derives[i];
            pd->name = adup(c, di->decl->str);
            pd->block = di->block;
            pd->chunk = di->chunk;
            pd->pos.file = c->blocks[di->block].pos.file;
            pd->pos.line = di->decl->span.line;
            pd->pos.col = di->decl->span.col;
            pd->expr = one_line(c, span_text(c, di->decl->a->span));
            kv_buf b;
            kv_buf_init(&b);
            uint32_t listed = 0;
            for (uint32_t k = 0; k < di->nnames; k++) {
                const char *nm = di->names[k];
                if (nm[0] == '#')
                    continue;
                bool dup = false;
                for (uint32_t j = 0; j < k; j++)
                    if (!strcmp(di->names[j], nm))
                        dup = true;
                if (dup)
                    continue;
                kv_buf_printf(&b, "%s%s", listed++ ? "," : "", nm);
            }
            char *s = kv_buf_take(&b);
            pd->reads = adup(c, s ? s : "");
            free(s);
        }
        c->prog->nderives = nout;
    }
done:
    free(stack);
    free(out);
}

/* ------------------------------------------------ overrides and disables */

static void apply_overrides(compiler *c)
{
    for (uint32_t pi = 0; pi < c->npacks; pi++) {
        cpack *p = &c->packs[pi];
        for (uint32_t f = 0; f < p->src->nfiles; f++) {
            kv_node *file = p->src->files[f].ast;
            for (uint32_t i = 0; i < file->nkids; i++) {
                kv_node *it = file->kids[i];
                if (it->kind != KV_N_OVERRIDE && it->kind != KV_N_DISABLE)
                    continue;
                uint32_t ri = strhash_get(&c->rule_ids, it->str, strlen(it->str));
                kv_rule *r = ri != UINT32_MAX ? &c->rules[ri] : NULL;
                if (!r) {
                    error_at(c, it->span, "no rule has the id %s", it->str);
                    hint h = {NULL, 0};
                    for (uint32_t k = 0; k < c->nrules; k++)
                        hint_consider(&h, it->str, c->rules[k].id);
                    hint_emit(c, &h);
                    continue;
                }
                if (it->kind == KV_N_DISABLE)
                    r->enabled = false;
                else
                    r->effective = (kvet_severity)it->op;
                /* reports show who changed a rule: an organisation's pack
                 * lowering a stock error must not look like a stock info */
                r->override_pack = (int32_t)pi;
                r->override_pos.file = c->pack_file_base[pi] + f;
                r->override_pos.line = it->span.line;
                r->override_pos.col = it->span.col;
            }
        }
    }
}

/* ---------------------------------------------------------------- views */

/* `view NAME $a, $b`: each value must name derived values of the program
 * (a `derive` of that name or below it, as a `$name` read does); a pack
 * declares a view once and names a value once in it. */
static void compile_views(compiler *c)
{
    for (uint32_t pi = 0; pi < c->npacks; pi++) {
        cpack *p = &c->packs[pi];
        for (uint32_t f = 0; f < p->src->nfiles; f++) {
            kv_node *file = p->src->files[f].ast;
            for (uint32_t i = 0; i < file->nkids; i++) {
                kv_node *it = file->kids[i];
                if (it->kind != KV_N_VIEW || !it->a)
                    continue;
                bool dup = false;
                for (uint32_t k = 0; k < c->nviews && !dup; k++) {
                    kv_view *o = &c->views[k];
                    if (o->pack != pi || strcmp(o->name, it->str) != 0)
                        continue;
                    dup = true;
                    error_at(c, it->span, "pack %s declares view %s twice", p->src->name, it->str);
                    kv_diag(c->ctx, KVET_SEV_NOTE, c->prog->files[o->pos.file], o->pos.line, o->pos.col, 1, NULL,
                            "view %s is first declared here", it->str);
                }
                if (dup)
                    continue;
                kv_node *vals = it->a;
                const char **names = kv_arena_alloc(&c->prog->arena, ((size_t)vals->nkids + 1) * sizeof *names);
                if (!names) { oom(c); return; }
                uint32_t n = 0;
                for (uint32_t k = 0; k < vals->nkids; k++) {
                    kv_node *v = vals->kids[k];
                    bool found = false, again = false;
                    for (uint32_t d = 0; d < c->nderives && !found; d++)
                        found = names_related(c->derives[d].decl->str, v->str);
                    for (uint32_t j = 0; j < n && !again; j++)
                        again = !strcmp(names[j], v->str);
                    if (!found) {
                        error_at(c, v->span, "no `derive` defines $%s", v->str);
                        hint h = {NULL, 0};
                        for (uint32_t d = 0; d < c->nderives; d++)
                            hint_consider(&h, v->str, c->derives[d].decl->str);
                        if (h.best)
                            kv_diag_hint(c->ctx, "did you mean `$%s`?", h.best);
                    } else if (again) {
                        error_at(c, v->span, "view %s names $%s twice", it->str, v->str);
                    } else {
                        names[n++] = adup(c, v->str);
                    }
                }
                if (!GROW(c->views, c->nviews, c->capviews)) { oom(c); return; }
                kv_view *w = &c->views[c->nviews++];
                w->name = adup(c, it->str);
                w->values = names;
                w->nvalues = n;
                w->pack = pi;
                w->pos.file = c->pack_file_base[pi] + f;
                w->pos.line = it->span.line;
                w->pos.col = it->span.col;
            }
        }
    }
}

/* ------------------------------------------------------------- driver */

/* Declare each chunk's stack maximum, found by the verifier's analysis, and
 * check the whole program as a loaded pack would be: a failure here is a
 * bug in the compiler, reported rather than run. */
static int declare_stacks(compiler *c)
{
    kvet_pack *p = c->prog;
    kv_buf msg;
    kv_buf_init(&msg);
    kv_owner *owners = malloc((p->nchunks + 1) * sizeof *owners);
    int rc = owners ? kv_chunk_owners(p, owners, &msg) : -1;
    for (uint32_t i = 0; rc == 0 && i < p->nchunks; i++)
        rc = kv_chunk_max_stack(p, i, &owners[i], &p->chunks[i].maxstack, &msg);
    if (rc == 0)
        rc = kv_verify(p, &msg);
    if (rc < 0) {
        if (!owners || msg.oom)
            oom(c);
        else
            kv_diag(c->ctx, KVET_SEV_ERROR, NULL, 0, 0, 0, NULL, "internal error: the compiled program does not verify: %.*s",
                    (int)msg.len, msg.data ? msg.data : "");
    }
    free(owners);
    kv_buf_free(&msg);
    return rc;
}

#define MOVE_TABLE(dst, ndst, src, n)                                              \
    do {                                                                           \
        (dst) = kv_arena_alloc(&prog->arena, ((size_t)(n) + 1) * sizeof *(src));   \
        if (!(dst)) { oom(&c); goto fail; }                                        \
        if (n) memcpy((dst), (src), (size_t)(n) * sizeof *(src));                  \
        (ndst) = (n);                                                              \
    } while (0)

kvet_pack *kv_compile(kvet_ctx *ctx, kv_srcpack *packs, uint32_t npacks)
{
    compiler c;
    memset(&c, 0, sizeof c);
    c.ctx = ctx;
    kv_arena_init(&c.keybuf);
    kvet_pack *prog = calloc(1, sizeof *prog);
    if (!prog) {
        kv_diag(ctx, KVET_SEV_ERROR, NULL, 0, 0, 0, NULL, "out of memory");
        return NULL;
    }
    kv_arena_init(&prog->arena);
    c.prog = prog;
    c.npacks = npacks;
    c.packs = calloc(npacks ? npacks : 1, sizeof *c.packs);
    c.pack_file_base = calloc(npacks ? npacks : 1, sizeof *c.pack_file_base);
    if (!c.packs || !c.pack_file_base) { oom(&c); goto fail; }

    /* file and pack tables */
    uint32_t nfiles = 0;
    for (uint32_t i = 0; i < npacks; i++) {
        c.packs[i].src = &packs[i];
        c.pack_file_base[i] = nfiles;
        nfiles += packs[i].nfiles;
    }
    prog->files = kv_arena_alloc(&prog->arena, (nfiles + 1) * sizeof *prog->files);
    prog->file_src = calloc(nfiles + 1, sizeof *prog->file_src);
    prog->packs = kv_arena_calloc(&prog->arena, (npacks + 1) * sizeof *prog->packs);
    if (!prog->files || !prog->file_src || !prog->packs) { oom(&c); goto fail; }
    for (uint32_t i = 0; i < npacks; i++) {
        for (uint32_t f = 0; f < packs[i].nfiles; f++) {
            prog->files[c.pack_file_base[i] + f] = adup(&c, packs[i].files[f].name);
            prog->file_src[c.pack_file_base[i] + f] = packs[i].files[f].src;
        }
        prog->packs[i].name = adup(&c, packs[i].name);
        prog->packs[i].version = adup(&c, packs[i].version ? packs[i].version : "");
        memcpy(prog->packs[i].digest, packs[i].digest, sizeof prog->packs[i].digest);
        prog->packs[i].nfiles = packs[i].nfiles;
    }
    prog->nfiles = nfiles;
    prog->npacks = npacks;

    for (uint32_t i = 0; i < npacks; i++)
        declare_pack(&c, i);
    for (uint32_t i = 0; i < npacks; i++)
        compile_pack(&c, i);
    if (!c.errors)
        order_derives(&c);
    apply_overrides(&c);
    compile_views(&c);
    for (uint32_t i = 0; i < c.nparams; i++)
        if (!c.packs[c.params[i].pack].syms) { /* nothing */ }
    if (c.errors)
        goto fail;

    MOVE_TABLE(prog->code, prog->ncode, c.code, c.ncode);
    prog->lines = kv_arena_alloc(&prog->arena, ((size_t)c.ncode + 1) * sizeof *prog->lines);
    if (!prog->lines) { oom(&c); goto fail; }
    if (c.ncode) memcpy(prog->lines, c.lines, (size_t)c.ncode * sizeof *prog->lines);
    MOVE_TABLE(prog->consts, prog->nconsts, c.consts, c.nconsts);
    MOVE_TABLE(prog->chunks, prog->nchunks, c.chunks, c.nchunks);
    MOVE_TABLE(prog->blocks, prog->nblocks, c.blocks, c.nblocks);
    MOVE_TABLE(prog->lets, prog->nlets, c.lets, c.nlets);
    MOVE_TABLE(prog->rules, prog->nrules, c.rules, c.nrules);
    MOVE_TABLE(prog->params, prog->nparams, c.params, c.nparams);
    MOVE_TABLE(prog->globals, prog->nglobals, c.globals, c.nglobals);
    MOVE_TABLE(prog->fns, prog->nfns, c.fns, c.nfns);
    MOVE_TABLE(prog->queries, prog->nqueries, c.queries, c.nqueries);
    MOVE_TABLE(prog->keys, prog->nkeys, c.keys, c.nkeys);
    MOVE_TABLE(prog->views, prog->nviews, c.views, c.nviews);
    if (declare_stacks(&c) < 0)
        goto fail;
    goto cleanup;

fail:
    kv_program_free(prog);
    prog = NULL;
cleanup:
    scope_pop_to(&c, NULL);
    for (uint32_t i = 0; i < c.npacks && c.packs; i++) {
        free(c.packs[i].syms);
        strhash_free(&c.packs[i].names);
    }
    free(c.packs);
    free(c.pack_file_base);
    strhash_free(&c.rule_ids);
    strhash_free(&c.const_keys);
    kv_arena_free(&c.keybuf);
    for (uint32_t i = 0; i < c.nlets; i++) {
        free(c.letinfo[i].lets);
        free(c.letinfo[i].names);
    }
    free(c.letinfo);
    for (uint32_t i = 0; i < c.nderives; i++)
        free(c.derives[i].names);
    free(c.derives);
    free(c.code);
    free(c.lines);
    free(c.consts);
    free(c.chunks);
    free(c.blocks);
    free(c.lets);
    free(c.rules);
    free(c.params);
    free(c.globals);
    free(c.fns);
    free(c.queries);
    free(c.keys);
    free(c.keyjobs);
    free(c.views);
    return prog;
}

void kv_program_free(kvet_pack *prog)
{
    if (!prog)
        return;
    free(prog->file_src);
    kv_arena_free(&prog->arena);
    free(prog);
}

bool kv_selector_match(const kv_selector *s, const char *kind, size_t kl, const char *api, size_t al)
{
    /* kinds mostly differ in their first letter: that before the length */
    if (kl && s->kind[0] != kind[0])
        return false;
    if (strlen(s->kind) != kl || memcmp(s->kind, kind, kl) != 0)
        return false;
    return !s->api || kv_glob_match(s->api, api, al);
}
