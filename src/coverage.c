/*
 * coverage.c - what a set of check runs exercised in a pack: for each rule,
 * the resources it was evaluated on and the findings it raised; for each
 * derived value, the resources it applied to and how many got a value; for
 * each conditional jump of the bytecode, which of its two ways was taken.
 *
 * The VM marks jumps in a byte per instruction (kv_vm_hooks.branches);
 * kvet_check adds its per-rule and per-derive counts when it finishes.
 */
#include <stdlib.h>
#include <string.h>

#include "coverage.h"
#include "opcodes.h"
#include "verify.h"

struct kvet_coverage {
    const kvet_pack *pack;
    uint8_t *hits;              /* per instruction: KV_COV_FALLTHROUGH | KV_COV_JUMPED */
    size_t *rule_evaluated, *rule_fired, *rule_passed;
    size_t *derive_applied, *derive_valued;
    uint32_t *branches;         /* instructions that branch, in source order */
    uint32_t *branch_rule;      /* per branch: the rule of a require/forbid, or UINT32_MAX */
    size_t nbranches;
    size_t runs;
};


/* Code is laid out nearly in source order, so an insertion sort is close to
 * linear here (and qsort would need shared state for its comparison). */
static void sort_branches(const kvet_pack *p, uint32_t *v, size_t n)
{
    for (size_t i = 1; i < n; i++) {
        uint32_t x = v[i];
        size_t j = i;
        while (j > 0) {
            const kv_pos *a = &p->lines[v[j - 1]], *b = &p->lines[x];
            bool after = a->file > b->file || (a->file == b->file && (a->line > b->line ||
                         (a->line == b->line && (a->col > b->col || (a->col == b->col && v[j - 1] > x)))));
            if (!after)
                break;
            v[j] = v[j - 1];
            j--;
        }
        v[j] = x;
    }
}

kvet_coverage *kvet_coverage_new(const kvet_pack *pack)
{
    if (!pack)
        return NULL;
    kvet_coverage *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    c->pack = pack;
    c->hits = calloc(pack->ncode + 1, 1);
    c->rule_evaluated = calloc(pack->nrules + 1, sizeof(size_t));
    c->rule_fired = calloc(pack->nrules + 1, sizeof(size_t));
    c->rule_passed = calloc(pack->nrules + 1, sizeof(size_t));
    c->derive_applied = calloc(pack->nderives + 1, sizeof(size_t));
    c->derive_valued = calloc(pack->nderives + 1, sizeof(size_t));
    c->branches = malloc((pack->ncode + 1) * sizeof *c->branches);
    if (!c->hits || !c->rule_evaluated || !c->rule_fired || !c->rule_passed || !c->derive_applied || !c->derive_valued ||
        !c->branches) {
        kvet_coverage_free(c);
        return NULL;
    }
    for (uint32_t pc = 0; pc < pack->ncode; pc += kv_op_width(KV_INS_OP(pack->code[pc])))
        if (kv_op_has(KV_INS_OP(pack->code[pc]), KV_OPF_BRANCH))
            c->branches[c->nbranches++] = pc;
    sort_branches(pack, c->branches, c->nbranches);
    /* the rule whose chunk holds each require/forbid */
    c->branch_rule = malloc((c->nbranches + 1) * sizeof *c->branch_rule);
    kv_owner *owners = malloc((pack->nchunks + 1) * sizeof *owners);
    kv_buf ignored;
    kv_buf_init(&ignored);
    if (!c->branch_rule || !owners || kv_chunk_owners(pack, owners, &ignored) < 0) {
        kv_buf_free(&ignored);
        free(owners);
        kvet_coverage_free(c);
        return NULL;
    }
    kv_buf_free(&ignored);
    for (size_t i = 0; i < c->nbranches; i++) {
        uint32_t pc = c->branches[i], chunk = 0;
        c->branch_rule[i] = UINT32_MAX;
        if (!kv_op_has(KV_INS_OP(pack->code[pc]), KV_OPF_CHECK))
            continue;
        while (chunk + 1 < pack->nchunks && pack->chunks[chunk + 1].entry <= pc)
            chunk++;
        if (owners[chunk].kind == KV_OWN_RULE)
            c->branch_rule[i] = owners[chunk].index;
    }
    free(owners);
    return c;
}

void kvet_coverage_free(kvet_coverage *c)
{
    if (!c)
        return;
    free(c->hits);
    free(c->rule_evaluated);
    free(c->rule_fired);
    free(c->rule_passed);
    free(c->derive_applied);
    free(c->derive_valued);
    free(c->branches);
    free(c->branch_rule);
    free(c);
}

uint8_t *kv_coverage_hits(kvet_coverage *c, const kvet_pack *pack)
{
    return c && c->pack == pack ? c->hits : NULL;
}

void kv_coverage_add(kvet_coverage *c, const kvet_pack *pack, const kvet_result *res)
{
    if (!c || c->pack != pack || !res)
        return;
    for (uint32_t i = 0; i < pack->nrules; i++) {
        c->rule_evaluated[i] += res->rule_evaluated[i];
        c->rule_fired[i] += res->rule_findings[i];
        c->rule_passed[i] += res->rule_passed[i];
    }
    for (uint32_t i = 0; i < pack->nderives; i++) {
        c->derive_applied[i] += res->derive_applied[i];
        c->derive_valued[i] += res->derive_valued[i];
    }
    c->runs++;
}

void kvet_coverage_rule(const kvet_coverage *c, size_t rule, size_t *evaluated, size_t *fired)
{
    bool ok = c && rule < c->pack->nrules;
    *evaluated = ok ? c->rule_evaluated[rule] : 0;
    *fired = ok ? c->rule_fired[rule] : 0;
}

size_t kvet_coverage_rule_passed(const kvet_coverage *c, size_t rule)
{
    return c && rule < c->pack->nrules ? c->rule_passed[rule] : 0;
}

void kvet_coverage_derive(const kvet_coverage *c, size_t derive, size_t *applied, size_t *valued)
{
    bool ok = c && derive < c->pack->nderives;
    *applied = ok ? c->derive_applied[derive] : 0;
    *valued = ok ? c->derive_valued[derive] : 0;
}

size_t kvet_coverage_branch_count(const kvet_coverage *c)
{
    return c ? c->nbranches : 0;
}

kvet_branch kvet_coverage_branch_at(const kvet_coverage *c, size_t i)
{
    kvet_branch b;
    memset(&b, 0, sizeof b);
    if (!c || i >= c->nbranches)
        return b;
    const kvet_pack *p = c->pack;
    uint32_t pc = c->branches[i];
    const kv_pos *pos = &p->lines[pc];
    b.file = pos->file < p->nfiles ? p->files[pos->file] : NULL;
    b.line = pos->line;
    b.col = pos->col;
    uint8_t h = c->hits[pc];
    /* way[0] is the fall-through, way[1] the jump, each named for what the
     * tested value was */
    switch (KV_INS_OP(p->code[pc])) {
    case KV_OPC_JF:
        b.construct = "condition";
        b.way[0] = "true";
        b.way[1] = "false or absent";
        break;
    case KV_OPC_JREQ:
        b.construct = "require";
        b.way[0] = "false (violated)";
        b.way[1] = "true or absent";
        break;
    case KV_OPC_JFORBID:
        b.construct = "forbid";
        b.way[0] = "true (violated)";
        b.way[1] = "false or absent";
        break;
    case KV_OPC_JNA:
        b.construct = "??";
        b.way[0] = "absent (fallback used)";
        b.way[1] = "present";
        break;
    case KV_OPC_ANDSC:
        b.construct = "and";
        b.way[0] = "left true or absent";
        b.way[1] = "left false";
        break;
    default:
        b.construct = "or";
        b.way[0] = "left false or absent";
        b.way[1] = "left true";
        break;
    }
    b.taken[0] = (h & KV_COV_FALLTHROUGH) != 0;
    b.taken[1] = (h & KV_COV_JUMPED) != 0;
    if (c->branch_rule[i] != UINT32_MAX) {
        b.rule = p->rules[c->branch_rule[i]].id;
        b.passed_absent = (h & KV_COV_ABSENT) != 0;
        b.passed_present = (h & KV_COV_PRESENT) != 0;
    }
    return b;
}

size_t kvet_coverage_rule_absent_only(const kvet_coverage *c, size_t rule)
{
    size_t n = 0;
    for (size_t i = 0; c && i < c->nbranches; i++) {
        uint8_t h = c->hits[c->branches[i]];
        n += c->branch_rule[i] == rule && (h & KV_COV_ABSENT) && !(h & KV_COV_PRESENT);
    }
    return n;
}
