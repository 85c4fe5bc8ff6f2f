/*
 * verify.c - the bytecode verifier (see verify.h).
 *
 * Everything about an instruction comes from its row in opcodes.h: what its
 * operand refers to, how many values it takes and leaves on each way out,
 * whether it can fall through, jump, open or close a handler, and where it
 * may appear.  The per-chunk analysis is a worklist over instruction starts
 * carrying (stack height, open handlers); each instruction is visited once,
 * since a second path into it must arrive in the same state.
 */
#include "verify.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "builtin.h"
#include "opcodes.h"

/* The VM refuses to grow its value stack beyond this many values. */
#define STACK_LIMIT (1u << 20)

bool kv_derived_name_ok(const char *s, size_t n)
{
    size_t parts = 1, len = 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c == '.') {
            if (len == 0 || ++parts > KV_MAX_DERIVED_PARTS)
                return false;
            len = 0;
        } else if (c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (len > 0 && c >= '0' && c <= '9')) {
            len++;
        } else {
            return false;
        }
    }
    return len > 0;
}

/* -------------------------------------------------------------- owners */

static const char *owner_name(const kvet_pack *p, kv_owner_kind k, uint32_t i, kv_buf *tmp)
{
    tmp->len = 0;
    kv_owner o = {k, i, 0};
    kv_chunk_describe(p, &o, tmp);
    kv_buf_putc(tmp, '\0');
    return tmp->data ? tmp->data : "?";
}

static int claim(const kvet_pack *p, kv_owner *owners, uint32_t chunk, kv_owner_kind kind, uint32_t index,
                 uint32_t block, kv_buf *msg)
{
    if (chunk >= p->nchunks) {
        kv_buf tmp;
        kv_buf_init(&tmp);
        kv_buf_printf(msg, "the code of %s is chunk %u, but the pack has %u chunks",
                      owner_name(p, kind, index, &tmp), chunk, p->nchunks);
        kv_buf_free(&tmp);
        return -1;
    }
    kv_owner *o = &owners[chunk];
    if (o->kind != KV_OWN_NONE) {
        kv_buf a, b;
        kv_buf_init(&a);
        kv_buf_init(&b);
        const char *first = owner_name(p, o->kind, o->index, &a);
        const char *second = owner_name(p, kind, index, &b);
        if (kind == KV_OWN_FN || o->kind == KV_OWN_FN)
            kv_buf_printf(msg, "call of a non-function: chunk %u is the code of both %s and %s", chunk,
                          first, second);
        else
            kv_buf_printf(msg, "chunk %u is the code of both %s and %s", chunk, first, second);
        kv_buf_free(&a);
        kv_buf_free(&b);
        return -1;
    }
    o->kind = kind;
    o->index = index;
    o->block = block;
    return 0;
}

int kv_chunk_owners(const kvet_pack *p, kv_owner *owners, kv_buf *msg)
{
    memset(owners, 0, p->nchunks * sizeof *owners);
    for (uint32_t i = 0; i < p->nrules; i++)
        if (claim(p, owners, p->rules[i].chunk, KV_OWN_RULE, i, p->rules[i].block, msg) < 0)
            return -1;
    for (uint32_t i = 0; i < p->nlets; i++)
        if (claim(p, owners, p->lets[i].chunk, KV_OWN_LET, i, p->lets[i].block, msg) < 0)
            return -1;
    for (uint32_t i = 0; i < p->nderives; i++)
        if (claim(p, owners, p->derives[i].chunk, KV_OWN_DERIVE, i, p->derives[i].block, msg) < 0)
            return -1;
    for (uint32_t i = 0; i < p->nblocks; i++)
        if (p->blocks[i].where >= 0 &&
            claim(p, owners, (uint32_t)p->blocks[i].where, KV_OWN_WHERE, i, i, msg) < 0)
            return -1;
    for (uint32_t i = 0; i < p->nglobals; i++)
        if (claim(p, owners, p->globals[i].chunk, KV_OWN_GLOBAL, i, 0, msg) < 0)
            return -1;
    for (uint32_t i = 0; i < p->nfns; i++)
        if (claim(p, owners, p->fns[i].chunk, KV_OWN_FN, i, 0, msg) < 0)
            return -1;
    return 0;
}

void kv_chunk_describe(const kvet_pack *p, const kv_owner *o, kv_buf *b)
{
    switch (o->kind) {
    case KV_OWN_RULE: kv_buf_printf(b, "rule %s", o->index < p->nrules ? p->rules[o->index].id : "?"); break;
    case KV_OWN_LET: kv_buf_printf(b, "let %s", o->index < p->nlets ? p->lets[o->index].name : "?"); break;
    case KV_OWN_DERIVE:
        kv_buf_printf(b, "derive %s", o->index < p->nderives ? p->derives[o->index].name : "?");
        break;
    case KV_OWN_WHERE: kv_buf_printf(b, "where (block %u)", o->index); break;
    case KV_OWN_GLOBAL: kv_buf_printf(b, "global %s", o->index < p->nglobals ? p->globals[o->index].name : "?"); break;
    case KV_OWN_FN:
        if (o->index < p->nfns)
            kv_buf_printf(b, "fn %s/%u", p->fns[o->index].name, p->fns[o->index].nparams);
        else
            kv_buf_puts(b, "fn ?");
        break;
    default: kv_buf_puts(b, "unused chunk"); break;
    }
}

/* ---------------------------------------------------------- one chunk */

typedef struct chunk_check {
    const kvet_pack *p;
    uint32_t c, start, end;
    const kv_owner *owner;
    uint32_t frame;          /* local slots of the frame it runs in */
    uint32_t limit;          /* most values allowed on the stack */
    uint8_t *is_start;       /* per word: an instruction begins here */
    kv_buf *msg;
} chunk_check;

static int fail(const chunk_check *k, uint32_t pc, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail(const chunk_check *k, uint32_t pc, const char *fmt, ...)
{
    char text[300];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    kv_buf_printf(k->msg, "chunk %u (", k->c);
    kv_chunk_describe(k->p, k->owner, k->msg);
    kv_buf_printf(k->msg, ") at offset %u", pc - k->start);
    const kv_opinfo *info = kv_op_info(KV_INS_OP(k->p->code[pc]));
    if (info)
        kv_buf_printf(k->msg, " (%s)", info->name);
    kv_buf_printf(k->msg, ": %s", text);
    return -1;
}

static bool in_block(const kv_owner *o)
{
    return o->kind == KV_OWN_RULE || o->kind == KV_OWN_LET || o->kind == KV_OWN_DERIVE || o->kind == KV_OWN_WHERE;
}

static int check_target(const chunk_check *k, uint32_t pc, uint32_t target)
{
    if (target < k->start || target >= k->end)
        return fail(k, pc, "jump out of the chunk (to %u; the chunk is %u..%u)", target, k->start, k->end - 1);
    if (!k->is_start[target - k->start])
        return fail(k, pc, "jump into the middle of an instruction (to offset %u)", target - k->start);
    return 0;
}

/* Everything about one instruction that does not depend on the path to it. */
static int check_operand(const chunk_check *k, uint32_t pc)
{
    const kvet_pack *p = k->p;
    uint32_t w = p->code[pc], a = KV_INS_A(w);
    kv_opcode op = KV_INS_OP(w);
    const kv_opinfo *info = kv_op_info(op);
    const kv_pos *pos = &p->lines[pc];
    if (p->nfiles ? pos->file >= p->nfiles : pos->file != 0)
        return fail(k, pc, "position names file %u, but the pack has %u", pos->file, p->nfiles);
    if ((info->flags & KV_OPF_BLOCK) && !in_block(k->owner))
        return fail(k, pc, "%s reads a block's frame outside the code of a block", info->name);
    if ((info->flags & KV_OPF_EMIT) && !(k->owner->kind == KV_OWN_RULE && k->owner->index == a))
        return fail(k, pc, "a finding of rule %u reported outside that rule's code", a);
    switch (info->arg) {
    case KV_ARG_NONE: case KV_ARG_INT: case KV_ARG_COUNT: case KV_ARG_PAIRS:
        break;
    case KV_ARG_CONST:
        if (a >= p->nconsts)
            return fail(k, pc, "constant %u out of range (the pack has %u)", a, p->nconsts);
        break;
    case KV_ARG_NAME:
        if (a >= p->nconsts || p->consts[a].type != KVET_STRING)
            return fail(k, pc, "constant %u is not a name (a string)", a);
        if (op == KV_OPC_DERIVED && !kv_derived_name_ok(p->consts[a].u.s->data, p->consts[a].u.s->len))
            return fail(k, pc, "constant %u is not the name of a derived value", a);
        break;
    case KV_ARG_SLOT: case KV_ARG_ITER: case KV_ARG_NEXT: case KV_ARG_ACC: {
        uint32_t base = info->arg == KV_ARG_NEXT ? KV_NEXT_SLOT(a) : a;
        if (info->arg == KV_ARG_NEXT && (a >> 21) != 0)
            return fail(k, pc, "malformed operand %u", a);
        if ((uint64_t)base + kv_arg_slots(info->arg, a) > k->frame)
            return fail(k, pc, "local slot %u out of range (the frame has %u)",
                        base + kv_arg_slots(info->arg, a) - 1, k->frame);
        if (info->arg == KV_ARG_NEXT)
            return check_target(k, pc, KV_INS_A(p->code[pc + 1]));
        break;
    }
    case KV_ARG_LET:
        if (a >= p->nlets)
            return fail(k, pc, "let %u out of range (the pack has %u)", a, p->nlets);
        if (p->lets[a].block != k->owner->block)
            return fail(k, pc, "let %s belongs to another block", p->lets[a].name);
        break;
    case KV_ARG_PARAM:
        if (a >= p->nparams)
            return fail(k, pc, "parameter %u out of range (the pack has %u)", a, p->nparams);
        break;
    case KV_ARG_GLOBAL:
        if (a >= p->nglobals)
            return fail(k, pc, "global %u out of range (the pack has %u)", a, p->nglobals);
        break;
    case KV_ARG_QUERY:
        if (a >= p->nqueries)
            return fail(k, pc, "query %u out of range (the pack has %u)", a, p->nqueries);
        break;
    case KV_ARG_KEY:
        if (a >= p->nkeys)
            return fail(k, pc, "indexed lookup %u out of range (the pack has %u)", a, p->nkeys);
        break;
    case KV_ARG_JUMP:
        return check_target(k, pc, a);
    case KV_ARG_BUILTIN: {
        uint32_t bi = a & 0xFFFF, n = a >> 16;
        if (bi >= kv_builtin_count())
            return fail(k, pc, "call of a non-function: there is no builtin %u", bi);
        const kv_builtin *b = kv_builtin_at(bi);
        if ((int)n < b->min_args || (b->max_args >= 0 && (int)n > b->max_args))
            return fail(k, pc, "%s() called with %u argument%s (%s)", b->name, n, n == 1 ? "" : "s", b->signature);
        break;
    }
    case KV_ARG_FN:
        if (a >= p->nfns)
            return fail(k, pc, "call of a non-function: there is no function %u (the pack has %u)", a, p->nfns);
        break;
    case KV_ARG_RULE:
        if (a >= p->nrules)
            return fail(k, pc, "rule %u out of range (the pack has %u)", a, p->nrules);
        break;
    }
    return 0;
}

/* Values the instruction at pc takes when it falls through (jumping:
 * *jpop), with KV_VAR resolved from its operand. */
static int64_t pops(const kvet_pack *p, const kv_opinfo *info, uint32_t a, int8_t n)
{
    if (n != KV_VAR)
        return n;
    switch (info->arg) {
    case KV_ARG_COUNT: return a;
    case KV_ARG_PAIRS: return 2 * (int64_t)a;
    case KV_ARG_BUILTIN: return a >> 16;
    case KV_ARG_FN: return p->fns[a].nparams;
    default: return 0;
    }
}

typedef struct flowstate {
    int32_t *height;         /* per word; -1 = not reached yet */
    int32_t *tries;          /* open handlers */
    uint32_t *work;
    uint32_t nwork;
    uint32_t max;
} flowstate;

static int flow(const chunk_check *k, flowstate *s, uint32_t from, uint32_t to, int64_t h, int32_t t)
{
    if (to >= k->end)
        return fail(k, from, "the chunk falls off its end");
    if (h > k->limit) {
        if (k->limit == STACK_LIMIT)
            return fail(k, from, "stack overflow: more than %u values", STACK_LIMIT);
        return fail(k, from, "stack overflow: %lld values exceed the chunk's declared maximum of %u", (long long)h,
                    k->limit);
    }
    if (h > s->max)
        s->max = (uint32_t)h;
    uint32_t i = to - k->start;
    if (s->height[i] < 0) {
        s->height[i] = (int32_t)h;
        s->tries[i] = t;
        s->work[s->nwork++] = to;
        return 0;
    }
    if (s->height[i] != h)
        return fail(k, from, "paths join at offset %u with different stack heights (%d and %lld)", i,
                    s->height[i], (long long)h);
    if (s->tries[i] != t)
        return fail(k, from, "paths join at offset %u inside different numbers of try handlers (%d and %d)", i,
                    s->tries[i], t);
    return 0;
}

static int analyse(chunk_check *k, uint32_t *max_out)
{
    const kvet_pack *p = k->p;
    uint32_t len = k->end - k->start;
    int rc = -1;
    flowstate s = {0};
    k->is_start = calloc(len, 1);
    s.height = malloc(len * sizeof *s.height);
    s.tries = malloc(len * sizeof *s.tries);
    s.work = malloc(len * sizeof *s.work);
    if (!k->is_start || !s.height || !s.tries || !s.work) {
        kv_buf_puts(k->msg, "out of memory");
        goto done;
    }
    /* where instructions begin; every one must be known and complete */
    for (uint32_t pc = k->start; pc < k->end;) {
        const kv_opinfo *info = kv_op_info(KV_INS_OP(p->code[pc]));
        if (!info) {
            kv_buf_printf(k->msg, "chunk %u (", k->c);
            kv_chunk_describe(p, k->owner, k->msg);
            kv_buf_printf(k->msg, ") at offset %u: unknown instruction 0x%02x", pc - k->start,
                          (unsigned)KV_INS_OP(p->code[pc]));
            goto done;
        }
        k->is_start[pc - k->start] = 1;
        uint32_t width = kv_op_width(KV_INS_OP(p->code[pc]));
        if (width > k->end - pc) {
            fail(k, pc, "the instruction is cut off by the end of the chunk");
            goto done;
        }
        pc += width;
    }
    for (uint32_t pc = k->start; pc < k->end; pc++)
        if (k->is_start[pc - k->start] && check_operand(k, pc) < 0)
            goto done;
    /* every path, from the entry with an empty stack */
    for (uint32_t i = 0; i < len; i++)
        s.height[i] = -1;
    s.height[0] = 0;
    s.tries[0] = 0;
    s.work[s.nwork++] = k->start;
    while (s.nwork) {
        uint32_t pc = s.work[--s.nwork];
        uint32_t w = p->code[pc], a = KV_INS_A(w);
        kv_opcode op = KV_INS_OP(w);
        const kv_opinfo *info = kv_op_info(op);
        int64_t h = s.height[pc - k->start];
        int32_t t = s.tries[pc - k->start];
        bool jumps = info->arg == KV_ARG_JUMP || info->arg == KV_ARG_NEXT;
        int64_t pop = pops(p, info, a, info->pop), push = info->push;
        int64_t need = pop;
        if (jumps && info->jpop > need)
            need = info->jpop;
        if (h < need) {
            fail(k, pc, "stack underflow: it takes %lld value%s, the stack holds %lld", (long long)need,
                 need == 1 ? "" : "s", (long long)h);
            goto done;
        }
        int32_t t_fall = t, t_jump = t;
        if (info->flags & KV_OPF_TRY)
            t_fall = t + 1;
        if (info->flags & KV_OPF_ENDTRY) {
            if (t == 0) {
                fail(k, pc, "no try handler is open");
                goto done;
            }
            t_fall = t - 1;
        }
        if (info->flags & KV_OPF_RET) {
            if (h != 1) {
                fail(k, pc, "returns with %lld values on the stack (it must be exactly 1)", (long long)h);
                goto done;
            }
            if (t != 0) {
                fail(k, pc, "returns inside %d open try handler%s", t, t == 1 ? "" : "s");
                goto done;
            }
        }
        if (!(info->flags & KV_OPF_NOFALL) &&
            flow(k, &s, pc, pc + kv_op_width(op), h - pop + push, t_fall) < 0)
            goto done;
        if (jumps) {
            uint32_t target = info->arg == KV_ARG_NEXT ? KV_INS_A(p->code[pc + 1]) : a;
            if (flow(k, &s, pc, target, h - info->jpop + info->jpush, t_jump) < 0)
                goto done;
        }
    }
    *max_out = s.max;
    rc = 0;
done:
    free(k->is_start);
    k->is_start = NULL;
    free(s.height);
    free(s.tries);
    free(s.work);
    return rc;
}

static int chunk_bounds(const kvet_pack *p, uint32_t c, uint32_t *start, uint32_t *end, kv_buf *msg)
{
    *start = p->chunks[c].entry;
    *end = c + 1 < p->nchunks ? p->chunks[c + 1].entry : p->ncode;
    if (*start >= *end || *end > p->ncode) {
        kv_buf_printf(msg, "chunk %u has no code or overlaps the next (%u..%u of %u instructions)", c, *start,
                      *end, p->ncode);
        return -1;
    }
    return 0;
}

int kv_chunk_max_stack(const kvet_pack *p, uint32_t c, const kv_owner *owner, uint32_t *max, kv_buf *msg)
{
    chunk_check k = {p, c, 0, 0, owner, p->chunks[c].nlocals, STACK_LIMIT, NULL, msg};
    if (chunk_bounds(p, c, &k.start, &k.end, msg) < 0)
        return -1;
    return analyse(&k, max);
}

/* ------------------------------------------------------------- tables */

static int check_pos(const kvet_pack *p, kv_pos pos, const char *what, uint32_t i, kv_buf *msg)
{
    if (p->nfiles ? pos.file < p->nfiles : pos.file == 0)
        return 0;
    kv_buf_printf(msg, "%s %u names file %u, but the pack has %u", what, i, pos.file, p->nfiles);
    return -1;
}

static int check_tables(const kvet_pack *p, kv_buf *msg)
{
#define BAD(...) do { kv_buf_printf(msg, __VA_ARGS__); return -1; } while (0)
    if (p->nchunks == 0 && p->ncode != 0)
        BAD("code without chunks");
    for (uint32_t i = 0; i < p->nblocks; i++) {
        const kv_block *b = &p->blocks[i];
        if (b->nlocals == 0)
            BAD("block %u has no frame", i);
        if (b->pack >= p->npacks)
            BAD("block %u belongs to pack %u, but there are %u", i, b->pack, p->npacks);
        if (check_pos(p, b->pos, "block", i, msg) < 0)
            return -1;
    }
    for (uint32_t i = 0; i < p->nlets; i++)
        if (p->lets[i].block >= p->nblocks)
            BAD("let %s belongs to block %u, but there are %u", p->lets[i].name, p->lets[i].block, p->nblocks);
    for (uint32_t i = 0; i < p->nderives; i++) {
        if (!kv_derived_name_ok(p->derives[i].name, strlen(p->derives[i].name)))
            BAD("derived value %u has a malformed name", i);
        if (p->derives[i].block >= p->nblocks)
            BAD("derive %s belongs to block %u, but there are %u", p->derives[i].name, p->derives[i].block,
                p->nblocks);
        if (check_pos(p, p->derives[i].pos, "derive", i, msg) < 0)
            return -1;
    }
    for (uint32_t i = 0; i < p->nrules; i++) {
        const kv_rule *r = &p->rules[i];
        if (r->block >= p->nblocks || r->pack >= p->npacks)
            BAD("rule %s refers to block %u of pack %u, which do not exist", r->id, r->block, r->pack);
        if (r->remedy >= 0 && (uint32_t)r->remedy >= p->nchunks)
            BAD("rule %s has a remedy chunk out of range", r->id);
        if (check_pos(p, r->pos, "rule", i, msg) < 0)
            return -1;
    }
    for (uint32_t i = 0; i < p->nkeys; i++) {
        const kv_key *k = &p->keys[i];
        if (k->query >= p->nqueries)
            BAD("indexed lookup %u refers to query %u, but there are %u", i, k->query, p->nqueries);
        if (k->mode > KV_KEY_IN_KEYS)
            BAD("indexed lookup %u has an unknown mode %u", i, k->mode);
        if (k->fn >= p->nfns || p->fns[k->fn].nparams != 1)
            BAD("indexed lookup %u's key is not a function of one parameter", i);
    }
    for (uint32_t i = 0; i < p->nparams; i++) {
        if (p->params[i].pack >= p->npacks)
            BAD("parameter %s belongs to pack %u, but there are %u", p->params[i].name, p->params[i].pack,
                p->npacks);
        if (check_pos(p, p->params[i].pos, "parameter", i, msg) < 0)
            return -1;
    }
    return 0;
#undef BAD
}

int kv_verify(const kvet_pack *p, kv_buf *msg)
{
    if (check_tables(p, msg) < 0)
        return -1;
    kv_owner *owners = malloc((p->nchunks + 1) * sizeof *owners);
    if (!owners) {
        kv_buf_puts(msg, "out of memory");
        return -1;
    }
    int rc = kv_chunk_owners(p, owners, msg);
    for (uint32_t c = 0; rc == 0 && c < p->nchunks; c++) {
        const kv_owner *o = &owners[c];
        chunk_check k = {p, c, 0, 0, o, p->chunks[c].nlocals, p->chunks[c].maxstack, NULL, msg};
        if (chunk_bounds(p, c, &k.start, &k.end, msg) < 0) {
            rc = -1;
            break;
        }
        if (in_block(o) && p->chunks[c].nlocals != p->blocks[o->block].nlocals) {
            kv_buf_printf(msg, "chunk %u (", c);
            kv_chunk_describe(p, o, msg);
            kv_buf_printf(msg, ") has %u locals, its block's frame %u", p->chunks[c].nlocals,
                          p->blocks[o->block].nlocals);
            rc = -1;
            break;
        }
        if (o->kind == KV_OWN_FN && p->fns[o->index].nparams > p->chunks[c].nlocals) {
            kv_buf_printf(msg, "function %s has %u parameters but a frame of %u slots", p->fns[o->index].name,
                          p->fns[o->index].nparams, p->chunks[c].nlocals);
            rc = -1;
            break;
        }
        if (k.limit > STACK_LIMIT)
            k.limit = STACK_LIMIT;
        uint32_t max;
        rc = analyse(&k, &max);
    }
    free(owners);
    return rc;
}
