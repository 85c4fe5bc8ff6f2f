/* disasm.c - a readable listing of a compiled program (kvet compile --dump). */
#include <stdlib.h>
#include <string.h>

#include "builtin.h"
#include "opcodes.h"
#include "program.h"
#include "value.h"

static void chunk_label(const kvet_pack *p, uint32_t c, kv_buf *b)
{
    for (uint32_t i = 0; i < p->nrules; i++)
        if (p->rules[i].chunk == c) {
            kv_buf_printf(b, "rule %s", p->rules[i].id);
            return;
        }
    for (uint32_t i = 0; i < p->nderives; i++)
        if (p->derives[i].chunk == c) {
            kv_buf_printf(b, "derive %s", p->derives[i].name);
            return;
        }
    for (uint32_t i = 0; i < p->nlets; i++)
        if (p->lets[i].chunk == c) {
            kv_buf_printf(b, "let %s", p->lets[i].name);
            return;
        }
    for (uint32_t i = 0; i < p->nglobals; i++)
        if (p->globals[i].chunk == c) {
            kv_buf_printf(b, "global %s", p->globals[i].name);
            return;
        }
    for (uint32_t i = 0; i < p->nfns; i++)
        if (p->fns[i].chunk == c) {
            kv_buf_printf(b, "fn %s/%u", p->fns[i].name, p->fns[i].nparams);
            return;
        }
    for (uint32_t i = 0; i < p->nblocks; i++)
        if (p->blocks[i].where == (int32_t)c) {
            kv_buf_printf(b, "where (block %u)", i);
            return;
        }
    kv_buf_puts(b, "chunk");
}

char *kvet_pack_disassemble(const kvet_pack *p)
{
    kv_buf b;
    kv_buf_init(&b);
    for (uint32_t i = 0; i < p->npacks; i++)
        kv_buf_printf(&b, "; pack %s %s sha256:%s\n", p->packs[i].name, p->packs[i].version, p->packs[i].digest);
    kv_buf_printf(&b, "; %u instructions, %u constants, %u chunks, %u rules, %u derived values\n",
                  p->ncode, p->nconsts, p->nchunks, p->nrules, p->nderives);
    for (uint32_t c = 0; c < p->nchunks; c++) {
        uint32_t start = p->chunks[c].entry;
        uint32_t end = c + 1 < p->nchunks ? p->chunks[c + 1].entry : p->ncode;
        kv_buf_printf(&b, "\n; chunk %u: ", c);
        chunk_label(p, c, &b);
        kv_buf_printf(&b, " (%u locals)\n", p->chunks[c].nlocals);
        for (uint32_t pc = start; pc < end; pc++) {
            uint32_t w = p->code[pc];
            kv_opcode op = KV_INS_OP(w);
            uint32_t a = KV_INS_A(w);
            kv_buf_printf(&b, "%6u  %-8s", pc, op < KV_OPC__COUNT ? kv_opcode_names[op] : "?");
            const char *fmt = op < KV_OPC__COUNT ? kv_opcode_formats[op] : "";
            switch (fmt[0]) {
            case 'k':
                kv_buf_printf(&b, " %u\t; ", a);
                if (a < p->nconsts)
                    kv_value_render(&b, p->consts[a], true);
                break;
            case 'i': kv_buf_printf(&b, " %d", KV_INS_SA(w)); break;
            case 's':
                if (op == KV_OPC_NEXT)
                    kv_buf_printf(&b, " %u%s\t; exit -> %u", a & 0xFFFFF, a >> 20 ? " (2 vars)" : "",
                                  pc + 1 < p->ncode ? KV_INS_A(p->code[pc + 1]) : 0);
                else
                    kv_buf_printf(&b, " %u", a);
                break;
            case 'l': kv_buf_printf(&b, " %u\t; %s", a, a < p->nlets ? p->lets[a].name : "?"); break;
            case 'p': kv_buf_printf(&b, " %u\t; %s", a, a < p->nparams ? p->params[a].name : "?"); break;
            case 'g': kv_buf_printf(&b, " %u\t; %s", a, a < p->nglobals ? p->globals[a].name : "?"); break;
            case 'q':
                if (a < p->nqueries)
                    kv_buf_printf(&b, " %u\t; docs(%s%s%s)", a, p->queries[a].kind, p->queries[a].api ? ", " : "",
                                  p->queries[a].api ? p->queries[a].api : "");
                break;
            case 'j': kv_buf_printf(&b, " -> %u", a); break;
            case 'c': {
                const kv_builtin *bi = (a & 0xFFFF) < kv_builtin_count() ? kv_builtin_at(a & 0xFFFF) : NULL;
                kv_buf_printf(&b, " %s/%u", bi ? bi->name : "?", a >> 16);
                break;
            }
            case 'f': kv_buf_printf(&b, " %s", a < p->nfns ? p->fns[a].name : "?"); break;
            case 'n': kv_buf_printf(&b, " %u", a); break;
            case 'r': kv_buf_printf(&b, " %s", a < p->nrules ? p->rules[a].id : "?"); break;
            default: break;
            }
            kv_pos pos = p->lines[pc];
            if (pos.line)
                kv_buf_printf(&b, "\t; %s:%u:%u", pos.file < p->nfiles ? p->files[pos.file] : "?", pos.line, pos.col);
            kv_buf_putc(&b, '\n');
        }
    }
    return kv_buf_take(&b);
}
