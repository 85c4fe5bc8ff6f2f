/*
 * opcodes.h - the kvet VM instruction set, specified once.
 *
 * Each instruction is a 32-bit word: opcode in the low 8 bits, operand A in
 * the high 24 bits.  The VM is a stack machine with per-chunk local slots.
 * "push"/"pop" refer to the value stack; L[x] is local slot x of the
 * current frame; K[x] is the constant pool.
 *
 * Conditions use three-valued logic: a value is "true" only if it is the
 * boolean true; "false" only if it is the boolean false; absent is neither.
 *
 * Every property a consumer needs is in the table below, and only there:
 * the verifier (verify.c) derives stack effects, jump targets and operand
 * checks from it, the disassembler (disasm.c) its listing, coverage
 * (coverage.c) which instructions are branches, and the VM (vm.c) which
 * functions are pure enough to memoize.  Columns:
 *
 *   OP(NAME, OPERAND, POP, PUSH, JPOP, JPUSH, FLAGS)
 *
 *   OPERAND     what A means (KV_ARG_*, below); it decides how A is checked
 *               and listed
 *   POP, PUSH   values taken from and put on the stack when the
 *               instruction falls through to the next one; KV_VAR: as many
 *               as the operand says (KV_ARG_COUNT: A, KV_ARG_PAIRS: 2*A,
 *               KV_ARG_BUILTIN: A>>16, KV_ARG_FN: the function's
 *               parameters)
 *   JPOP, JPUSH the same when it jumps to its target (instructions with a
 *               KV_ARG_JUMP or KV_ARG_NEXT operand)
 *   FLAGS       KV_OPF_* (below)
 *
 * Notes.
 *   - An instruction needs max(POP, JPOP) values on the stack.  Where both
 *     ways continue, a value read but kept (ANDSC, JNA's jump) counts as
 *     popped and pushed again.
 *   - NEXT is two words: the second holds the loop's exit target and is
 *     never executed; a jump may not land on it.
 *   - TRY opens a handler: an error before the matching ENDTRY unwinds the
 *     stack to its height at the TRY, pushes absent and jumps to A.  Handlers
 *     nest properly on every path, and none is open at RET.
 *   - A chunk ends in RET on every path, with exactly one value on the stack.
 */
#ifndef KV_OPCODES_H
#define KV_OPCODES_H

#include <stdbool.h>
#include <stdint.h>

/* What operand A means. */
typedef enum kv_arg {
    KV_ARG_NONE,      /* unused */
    KV_ARG_CONST,     /* K[A] */
    KV_ARG_NAME,      /* K[A], a string */
    KV_ARG_INT,       /* A itself, 24-bit signed */
    KV_ARG_SLOT,      /* L[A] */
    KV_ARG_ITER,      /* an iterator: L[A] the collection, L[A+1] the position */
    KV_ARG_NEXT,      /* an iterator at L[A & 0xFFFFF] and the element(s) it binds at
                         L[+2] (and L[+3] when bit 20 is set); the next word holds
                         the exit target */
    KV_ARG_ACC,       /* an accumulator at L[A], followed by the iterator it reads
                         (L[A+1] .. L[A+4]) */
    KV_ARG_LET,       /* block let A */
    KV_ARG_PARAM,     /* parameter A */
    KV_ARG_GLOBAL,    /* top-level let or constant A */
    KV_ARG_QUERY,     /* docs() query A */
    KV_ARG_KEY,       /* indexed lookup A (prog->keys) */
    KV_ARG_JUMP,      /* a jump target, an instruction of the same chunk */
    KV_ARG_BUILTIN,   /* builtin A & 0xFFFF called with A >> 16 arguments */
    KV_ARG_FN,        /* user function A */
    KV_ARG_COUNT,     /* a number of values */
    KV_ARG_PAIRS,     /* a number of key/value pairs */
    KV_ARG_RULE       /* rule A */
} kv_arg;

/* Flags. */
enum {
    KV_OPF_NOFALL  = 1 << 0, /* never continues with the next instruction */
    KV_OPF_BRANCH  = 1 << 1, /* a conditional jump whose ways coverage records */
    KV_OPF_CHECK   = 1 << 2, /* decides a rule's require/forbid */
    KV_OPF_CALL    = 1 << 3, /* calls a user function */
    KV_OPF_PURE    = 1 << 4, /* depends only on its operands and the run, not on
                                the resource's lets and derived values; no effect
                                beyond the stack and locals */
    KV_OPF_BLOCK   = 1 << 5, /* reads the block's frame: only in chunks of a block */
    KV_OPF_EMIT    = 1 << 6, /* reports a finding: only in the chunk of rule A */
    KV_OPF_TRY     = 1 << 7, /* opens an error handler */
    KV_OPF_ENDTRY  = 1 << 8, /* closes the innermost handler */
    KV_OPF_RET     = 1 << 9  /* returns from the chunk */
};

#define KV_VAR (-1)

#define KV_OPCODES(OP) \
    OP(NOP,     NONE,    0, 0, 0, 0, KV_OPF_PURE)          /* nothing */ \
    OP(CONST,   CONST,   0, 1, 0, 0, KV_OPF_PURE)          /* push K[A] */ \
    OP(ABSENT,  NONE,    0, 1, 0, 0, KV_OPF_PURE)          /* push absent */ \
    OP(NULL,    NONE,    0, 1, 0, 0, KV_OPF_PURE)          /* push null */ \
    OP(TRUE,    NONE,    0, 1, 0, 0, KV_OPF_PURE)          /* push true */ \
    OP(FALSE,   NONE,    0, 1, 0, 0, KV_OPF_PURE)          /* push false */ \
    OP(INT,     INT,     0, 1, 0, 0, KV_OPF_PURE)          /* push A as an integer */ \
    OP(LOAD,    SLOT,    0, 1, 0, 0, KV_OPF_PURE)          /* push L[A] */ \
    OP(STORE,   SLOT,    1, 0, 0, 0, KV_OPF_PURE)          /* L[A] = pop */ \
    OP(LOADLET, LET,     0, 1, 0, 0, KV_OPF_BLOCK)         /* push block let A, computed once per resource */ \
    OP(PARAM,   PARAM,   0, 1, 0, 0, KV_OPF_PURE)          /* push parameter A */ \
    OP(GLOBAL,  GLOBAL,  0, 1, 0, 0, KV_OPF_PURE)          /* push top-level let/const A, computed once per run */ \
    OP(DERIVED, NAME,    0, 1, 0, 0, KV_OPF_BLOCK)         /* push the resource's derived value named K[A] */ \
    OP(QUERY,   QUERY,   0, 1, 0, 0, KV_OPF_PURE)          /* push the list of documents of query A */ \
    OP(POP,     NONE,    1, 0, 0, 0, KV_OPF_PURE)          /* drop the top value */ \
    OP(DUP,     NONE,    1, 2, 0, 0, KV_OPF_PURE)          /* push a copy of the top value */ \
    OP(FIELD,   NAME,    1, 1, 0, 0, KV_OPF_PURE)          /* x = pop; push x[K[A]] (absent if missing or not a map) */ \
    OP(INDEX,   NONE,    2, 1, 0, 0, KV_OPF_PURE)          /* i = pop, x = pop; push x[i] (lists: int, negative from end; maps: string) */ \
    OP(ADD,     NONE,    2, 1, 0, 0, KV_OPF_PURE)          /* b = pop, a = pop; push a + b (numbers, strings, lists) */ \
    OP(SUB,     NONE,    2, 1, 0, 0, KV_OPF_PURE)          /* push a - b */ \
    OP(MUL,     NONE,    2, 1, 0, 0, KV_OPF_PURE)          /* push a * b */ \
    OP(DIV,     NONE,    2, 1, 0, 0, KV_OPF_PURE)          /* push a / b (int / int truncates) */ \
    OP(MOD,     NONE,    2, 1, 0, 0, KV_OPF_PURE)          /* push a % b */ \
    OP(NEG,     NONE,    1, 1, 0, 0, KV_OPF_PURE)          /* push -pop */ \
    OP(NOT,     NONE,    1, 1, 0, 0, KV_OPF_PURE)          /* push not pop (absent stays absent) */ \
    OP(EQ,      NONE,    2, 1, 0, 0, KV_OPF_PURE)          /* push a == b (total: absent equals only absent) */ \
    OP(NE,      NONE,    2, 1, 0, 0, KV_OPF_PURE)          /* push a != b */ \
    OP(LT,      NONE,    2, 1, 0, 0, KV_OPF_PURE)          /* push a < b (absent if either is absent) */ \
    OP(LE,      NONE,    2, 1, 0, 0, KV_OPF_PURE)          /* push a <= b */ \
    OP(GT,      NONE,    2, 1, 0, 0, KV_OPF_PURE)          /* push a > b */ \
    OP(GE,      NONE,    2, 1, 0, 0, KV_OPF_PURE)          /* push a >= b */ \
    OP(IN,      NONE,    2, 1, 0, 0, KV_OPF_PURE)          /* push a in b (list element, map key, substring) */ \
    OP(NOTIN,   NONE,    2, 1, 0, 0, KV_OPF_PURE)          /* push not (a in b) */ \
    OP(JMP,     JUMP,    0, 0, 0, 0, KV_OPF_PURE | KV_OPF_NOFALL) /* pc = A */ \
    OP(JF,      JUMP,    1, 0, 1, 0, KV_OPF_PURE | KV_OPF_BRANCH) /* x = pop; if x is not true: pc = A */ \
    OP(JREQ,    JUMP,    1, 0, 1, 0, KV_OPF_PURE | KV_OPF_BRANCH | KV_OPF_CHECK) \
                        /* a require: x = pop; if x is not false (passed, or absent): pc = A */ \
    OP(JFORBID, JUMP,    1, 0, 1, 0, KV_OPF_PURE | KV_OPF_BRANCH | KV_OPF_CHECK) \
                        /* a forbid: x = pop; if x is not true (passed, or absent): pc = A */ \
    OP(JNA,     JUMP,    1, 0, 1, 1, KV_OPF_PURE | KV_OPF_BRANCH) /* if top is not absent: pc = A (kept); else pop */ \
    OP(ANDSC,   JUMP,    1, 1, 1, 1, KV_OPF_PURE | KV_OPF_BRANCH) /* if top is false: pc = A (kept) */ \
    OP(ANDEND,  NONE,    2, 1, 0, 0, KV_OPF_PURE)          /* b = pop, a = pop; push a and b (three-valued) */ \
    OP(ORSC,    JUMP,    1, 1, 1, 1, KV_OPF_PURE | KV_OPF_BRANCH) /* if top is true: pc = A (kept) */ \
    OP(OREND,   NONE,    2, 1, 0, 0, KV_OPF_PURE)          /* b = pop, a = pop; push a or b (three-valued) */ \
    OP(CALL,    BUILTIN, KV_VAR, 1, 0, 0, KV_OPF_PURE)     /* pop the arguments of builtin A; push its result */ \
    OP(CALLFN,  FN,      KV_VAR, 1, 0, 0, KV_OPF_PURE | KV_OPF_CALL) \
                        /* pop the arguments of user function A into a new frame; push its result */ \
    OP(RET,     NONE,    1, 0, 0, 0, KV_OPF_PURE | KV_OPF_NOFALL | KV_OPF_RET) /* return the top value to the caller */ \
    OP(LIST,    COUNT,   KV_VAR, 1, 0, 0, KV_OPF_PURE)     /* pop A values; push them as a list */ \
    OP(MAP,     PAIRS,   KV_VAR, 1, 0, 0, KV_OPF_PURE)     /* pop A key/value pairs; push a map */ \
    OP(ITER,    ITER,    1, 0, 0, 0, KV_OPF_PURE)          /* L[A] = pop (a list, map or absent), L[A+1] = 0 */ \
    OP(NEXT,    NEXT,    0, 0, 0, 0, KV_OPF_PURE)          /* advance the iterator and bind the element(s); \
                                                              when done, jump to the exit target */ \
    OP(ITEREND, ITER,    1, 1, 0, 0, KV_OPF_PURE)          /* if L[A] was absent, replace the top with absent */ \
    OP(ACCNEW,  ACC,     0, 0, 0, 0, KV_OPF_PURE)          /* L[A] = an empty accumulator */ \
    OP(ACCPUSH, ACC,     1, 0, 0, 0, KV_OPF_PURE)          /* append pop to accumulator L[A] */ \
    OP(ACCKV,   ACC,     0, 0, 0, 0, KV_OPF_PURE)          /* append the current entry of iterator L[A+1] to L[A] */ \
    OP(ACCLIST, ACC,     0, 1, 0, 0, KV_OPF_PURE)          /* push accumulator L[A] as a list */ \
    OP(ACCMAP,  ACC,     0, 1, 0, 0, KV_OPF_PURE)          /* push accumulator L[A] (key/value pairs) as a map */ \
    OP(FORMAT,  COUNT,   KV_VAR, 1, 0, 0, KV_OPF_PURE)     /* pop A values; push their text concatenated */ \
    OP(EMIT,    RULE,    3, 0, 0, 0, KV_OPF_EMIT)          /* remedy = pop, msg = pop, at = pop; report a finding of rule A */ \
    OP(TRY,     JUMP,    0, 0, 0, 1, KV_OPF_PURE | KV_OPF_TRY) \
                        /* open a handler: an error before ENDTRY pushes absent and jumps to A */ \
    OP(ENDTRY,  NONE,    0, 0, 0, 0, KV_OPF_PURE | KV_OPF_ENDTRY) /* close the innermost handler */ \
    OP(QUERYNS, QUERY,   1, 1, 0, 0, KV_OPF_PURE)          /* ns = pop; push the documents of query A in namespace ns */ \
    OP(QUERYKEY, KEY,    2, 1, 0, 0, KV_OPF_PURE)          /* v = pop, ns = pop; push the documents of key A's query in \
                                                              namespace ns whose key is v (a superset when v is not a \
                                                              string: all of them) */ \
    OP(QUERYKEYALL, KEY, 1, 1, 0, 0, KV_OPF_PURE)          /* v = pop; the same over all of the query's documents \
                                                              (docs(KIND, API), docs(KIND)) */

typedef enum kv_opcode {
#define KV_OP_ENUM(name, arg, pop, push, jpop, jpush, flags) KV_OPC_##name,
    KV_OPCODES(KV_OP_ENUM)
#undef KV_OP_ENUM
    KV_OPC__COUNT
} kv_opcode;

_Static_assert(KV_OPC__COUNT <= 256, "opcodes must fit in 8 bits");

/* One row of the table. */
typedef struct kv_opinfo {
    const char *name;
    kv_arg arg;
    int8_t pop, push;     /* falling through; KV_VAR: from the operand */
    int8_t jpop, jpush;   /* jumping */
    uint16_t flags;
} kv_opinfo;

extern const kv_opinfo kv_opinfo_table[KV_OPC__COUNT];

#define KV_INS(op, a) ((uint32_t)(op) | ((uint32_t)(a) << 8))
#define KV_INS_OP(w) ((kv_opcode)((w) & 0xFFu))
#define KV_INS_A(w) ((uint32_t)(w) >> 8)
#define KV_INS_SA(w) ((int32_t)((w) & 0xFFFFFF00u) >> 8) /* signed A */
#define KV_MAXARG ((1u << 24) - 1)

/* The NEXT operand: iterator slot and whether two variables are bound. */
#define KV_NEXT_SLOT(a) ((a) & 0xFFFFFu)
#define KV_NEXT_TWO(a) (((a) >> 20) & 1u)

/* The table row of an opcode, or NULL for a byte that is no opcode. */
static inline const kv_opinfo *kv_op_info(uint32_t op)
{
    return op < KV_OPC__COUNT ? &kv_opinfo_table[op] : (const kv_opinfo *)0;
}

static inline bool kv_op_has(kv_opcode op, unsigned flag)
{
    return op < KV_OPC__COUNT && (kv_opinfo_table[op].flags & flag) != 0;
}

/* Words the instruction takes: 2 for NEXT, else 1. */
static inline uint32_t kv_op_width(kv_opcode op)
{
    return op < KV_OPC__COUNT && kv_opinfo_table[op].arg == KV_ARG_NEXT ? 2 : 1;
}

/* Local slots an operand of this kind touches from its base slot. */
static inline uint32_t kv_arg_slots(kv_arg arg, uint32_t a)
{
    switch (arg) {
    case KV_ARG_SLOT: return 1;
    case KV_ARG_ITER: return 2;
    case KV_ARG_NEXT: return KV_NEXT_TWO(a) ? 4 : 3;
    case KV_ARG_ACC: return 5;
    default: return 0;
    }
}

#endif
