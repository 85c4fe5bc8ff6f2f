/*
 * verify.h - proving a program safe to run before the VM runs it.
 *
 * A compiled pack may come from anywhere (docs/security.md), so loading one
 * checks, from the instruction table in opcodes.h alone:
 *   - every table cross-reference (chunks, blocks, lets, rules, functions,
 *     positions) and which chunk belongs to what: a chunk is the code of at
 *     most one rule, let, derived value, where clause, top-level value or
 *     function;
 *   - every operand: constant, let, parameter, global, query, rule and
 *     builtin indexes, local slots against the frame, builtin arity;
 *   - every path through every chunk, by abstract interpretation of the
 *     stack height and the open try handlers: no underflow, no more values
 *     than the chunk declares (kv_chunk.maxstack), the same height wherever
 *     paths join, jumps only to the start of an instruction of the same
 *     chunk, handlers properly nested, and RET with one value at the end of
 *     every path (no chunk falls off its end).
 * The compiler runs the same analysis to declare each chunk's maximum and
 * checks its own output with it.
 */
#ifndef KV_VERIFY_H
#define KV_VERIFY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "program.h"
#include "value.h"

/* What a chunk is the code of. */
typedef enum kv_owner_kind {
    KV_OWN_NONE = 0,   /* nothing refers to it */
    KV_OWN_RULE,
    KV_OWN_LET,
    KV_OWN_DERIVE,
    KV_OWN_WHERE,
    KV_OWN_GLOBAL,
    KV_OWN_FN
} kv_owner_kind;

typedef struct kv_owner {
    kv_owner_kind kind;
    uint32_t index;    /* into the table of its kind (blocks for WHERE) */
    uint32_t block;    /* the block whose frame it runs in (RULE, LET, DERIVE, WHERE) */
} kv_owner;

/* Fill owners[0..p->nchunks) from the program's tables.  Returns 0, or -1
 * with a message in *msg when a chunk index is out of range or a chunk
 * belongs to two things. */
int kv_chunk_owners(const kvet_pack *p, kv_owner *owners, kv_buf *msg);

/* "rule KS-1", "fn f/2", "let x", ... for messages and listings. */
void kv_chunk_describe(const kvet_pack *p, const kv_owner *o, kv_buf *b);

/* The most values chunk c can hold on the stack, analysing its code as
 * verification does but with no declared maximum (the compiler uses this).
 * Returns 0, or -1 with a message in *msg. */
int kv_chunk_max_stack(const kvet_pack *p, uint32_t c, const kv_owner *owner, uint32_t *max, kv_buf *msg);

/* Derived-value names are dotted identifiers of at most this many parts
 * (the VM assembles `$a` from `$a.b.c` part by part, recursively). */
#define KV_MAX_DERIVED_PARTS 32

/* Whether s is such a name: IDENT { "." IDENT }, at most
 * KV_MAX_DERIVED_PARTS parts. */
bool kv_derived_name_ok(const char *s, size_t n);

/* Verify a whole program.  Returns 0 when it is sound, else -1 with the
 * first problem found in *msg ("chunk 3 (rule X) at offset 7 (POP): ..."). */
int kv_verify(const kvet_pack *p, kv_buf *msg);

#endif
