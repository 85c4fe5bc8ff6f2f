/* disasm.c - a readable listing of a compiled program (kvet compile --dump),
 * driven by the instruction table of opcodes.h. */
#include <stdlib.h>
#include <string.h>

#include "builtin.h"
#include "opcodes.h"
#include "program.h"
#include "value.h"
#include "verify.h"

/* The operand of the instruction at pc, as the table says to show it. */
static void operand(const kvet_pack *p, uint32_t pc, const kv_opinfo *info, kv_buf *b)
{
    uint32_t w = p->code[pc], a = KV_INS_A(w);
    switch (info->arg) {
    case KV_ARG_NONE: break;
    case KV_ARG_CONST: case KV_ARG_NAME:
        kv_buf_printf(b, " %u\t; ", a);
        if (a < p->nconsts)
            kv_value_render(b, p->consts[a], true);
        break;
    case KV_ARG_INT: kv_buf_printf(b, " %d", KV_INS_SA(w)); break;
    case KV_ARG_SLOT: case KV_ARG_ITER: case KV_ARG_ACC: case KV_ARG_COUNT: case KV_ARG_PAIRS:
        kv_buf_printf(b, " %u", a);
        break;
    case KV_ARG_NEXT:
        kv_buf_printf(b, " %u%s\t; exit -> %u", KV_NEXT_SLOT(a), KV_NEXT_TWO(a) ? " (2 vars)" : "",
                      pc + 1 < p->ncode ? KV_INS_A(p->code[pc + 1]) : 0);
        break;
    case KV_ARG_LET: kv_buf_printf(b, " %u\t; %s", a, a < p->nlets ? p->lets[a].name : "?"); break;
    case KV_ARG_PARAM: kv_buf_printf(b, " %u\t; %s", a, a < p->nparams ? p->params[a].name : "?"); break;
    case KV_ARG_GLOBAL: kv_buf_printf(b, " %u\t; %s", a, a < p->nglobals ? p->globals[a].name : "?"); break;
    case KV_ARG_QUERY:
        kv_buf_printf(b, " %u", a);
        if (a < p->nqueries)
            kv_buf_printf(b, "\t; docs(%s%s%s)", p->queries[a].kind, p->queries[a].api ? ", " : "",
                          p->queries[a].api ? p->queries[a].api : "");
        break;
    case KV_ARG_KEY:
        kv_buf_printf(b, " %u", a);
        if (a < p->nkeys && p->keys[a].query < p->nqueries && p->keys[a].fn < p->nfns)
            kv_buf_printf(b, "\t; docs(%s%s%s) by %s", p->queries[p->keys[a].query].kind,
                          p->queries[p->keys[a].query].api ? ", " : "",
                          p->queries[p->keys[a].query].api ? p->queries[p->keys[a].query].api : "",
                          p->fns[p->keys[a].fn].name);
        break;
    case KV_ARG_JUMP: kv_buf_printf(b, " -> %u", a); break;
    case KV_ARG_BUILTIN: {
        const kv_builtin *bi = (a & 0xFFFF) < kv_builtin_count() ? kv_builtin_at(a & 0xFFFF) : NULL;
        kv_buf_printf(b, " %s/%u", bi ? bi->name : "?", a >> 16);
        break;
    }
    case KV_ARG_FN: kv_buf_printf(b, " %s", a < p->nfns ? p->fns[a].name : "?"); break;
    case KV_ARG_RULE: kv_buf_printf(b, " %s", a < p->nrules ? p->rules[a].id : "?"); break;
    }
}

char *kvet_pack_disassemble(const kvet_pack *p)
{
    kv_buf b;
    kv_buf_init(&b);
    kv_owner *owners = malloc((p->nchunks + 1) * sizeof *owners);
    if (!owners)
        return NULL;
    kv_buf ignored;
    kv_buf_init(&ignored);
    if (kv_chunk_owners(p, owners, &ignored) < 0)
        memset(owners, 0, (p->nchunks + 1) * sizeof *owners); /* only a verified pack gets here */
    kv_buf_free(&ignored);
    for (uint32_t i = 0; i < p->npacks; i++)
        kv_buf_printf(&b, "; pack %s %s sha256:%s\n", p->packs[i].name, p->packs[i].version, p->packs[i].digest);
    kv_buf_printf(&b, "; %u instructions, %u constants, %u chunks, %u rules, %u derived values\n",
                  p->ncode, p->nconsts, p->nchunks, p->nrules, p->nderives);
    for (uint32_t c = 0; c < p->nchunks; c++) {
        uint32_t start = p->chunks[c].entry;
        uint32_t end = c + 1 < p->nchunks ? p->chunks[c + 1].entry : p->ncode;
        kv_buf_printf(&b, "\n; chunk %u: ", c);
        kv_chunk_describe(p, &owners[c], &b);
        kv_buf_printf(&b, " (%u locals, stack %u)\n", p->chunks[c].nlocals, p->chunks[c].maxstack);
        for (uint32_t pc = start; pc < end && pc < p->ncode;) {
            const kv_opinfo *info = kv_op_info(KV_INS_OP(p->code[pc]));
            kv_buf_printf(&b, "%6u  %-8s", pc, info ? info->name : "?");
            if (info)
                operand(p, pc, info, &b);
            kv_pos pos = p->lines[pc];
            if (pos.line)
                kv_buf_printf(&b, "\t; %s:%u:%u", pos.file < p->nfiles ? p->files[pos.file] : "?", pos.line, pos.col);
            kv_buf_putc(&b, '\n');
            pc += info ? kv_op_width(KV_INS_OP(p->code[pc])) : 1;
        }
    }
    free(owners);
    return kv_buf_take(&b);
}
