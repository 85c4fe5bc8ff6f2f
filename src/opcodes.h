/*
 * opcodes.h - the kvet VM instruction set, defined once.
 *
 * Each instruction is a 32-bit word: opcode in the low 8 bits, operand A in
 * the high 24 bits.  The VM is a stack machine with per-chunk local slots.
 * "push"/"pop" refer to the value stack; L[x] is local slot x of the
 * current frame; K[x] is the constant pool.
 *
 * Conditions use three-valued logic: a value is "true" only if it is the
 * boolean true; "false" only if it is the boolean false; absent is neither.
 */
#ifndef KV_OPCODES_H
#define KV_OPCODES_H

#define KV_OPCODES(OP) \
    OP(NOP,      "")                /* nothing */ \
    OP(CONST,    "k")               /* push K[A] */ \
    OP(ABSENT,   "")                /* push absent */ \
    OP(NULL,     "")                /* push null */ \
    OP(TRUE,     "")                /* push true */ \
    OP(FALSE,    "")                /* push false */ \
    OP(INT,      "i")               /* push A as an integer (24-bit signed) */ \
    OP(LOAD,     "s")               /* push L[A] */ \
    OP(STORE,    "s")               /* L[A] = pop */ \
    OP(LOADLET,  "l")               /* push block let A, computing it once per resource */ \
    OP(PARAM,    "p")               /* push parameter A */ \
    OP(GLOBAL,   "g")               /* push top-level let/const A, computed once per run */ \
    OP(DERIVED,  "k")               /* push derived value named K[A] of this resource */ \
    OP(QUERY,    "q")               /* push the list of indexed documents of query A */ \
    OP(POP,      "")                /* drop the top value */ \
    OP(DUP,      "")                /* push a copy of the top value */ \
    OP(FIELD,    "k")               /* x = pop; push x[K[A]] (absent if missing or not a map) */ \
    OP(INDEX,    "")                /* i = pop, x = pop; push x[i] (lists: int, negative from end; maps: string) */ \
    OP(ADD,      "")                /* b = pop, a = pop; push a + b (numbers, strings, lists) */ \
    OP(SUB,      "")                /* push a - b */ \
    OP(MUL,      "")                /* push a * b */ \
    OP(DIV,      "")                /* push a / b (int / int truncates) */ \
    OP(MOD,      "")                /* push a % b */ \
    OP(NEG,      "")                /* push -pop */ \
    OP(NOT,      "")                /* push not pop (absent stays absent) */ \
    OP(EQ,       "")                /* push a == b (total: absent equals only absent) */ \
    OP(NE,       "")                /* push a != b */ \
    OP(LT,       "")                /* push a < b (absent if either is absent) */ \
    OP(LE,       "")                /* push a <= b */ \
    OP(GT,       "")                /* push a > b */ \
    OP(GE,       "")                /* push a >= b */ \
    OP(IN,       "")                /* push a in b (list element, map key, substring) */ \
    OP(NOTIN,    "")                /* push not (a in b) */ \
    OP(JMP,      "j")               /* pc = A */ \
    OP(JF,       "j")               /* x = pop; if x is not true: pc = A */ \
    OP(JNF,      "j")               /* x = pop; if x is not false: pc = A */ \
    OP(JNA,      "j")               /* if top is not absent: pc = A (kept); else pop */ \
    OP(ANDSC,    "j")               /* if top is false: pc = A (kept) */ \
    OP(ANDEND,   "")                /* b = pop, a = pop; push a and b (three-valued) */ \
    OP(ORSC,     "j")               /* if top is true: pc = A (kept) */ \
    OP(OREND,    "")                /* b = pop, a = pop; push a or b (three-valued) */ \
    OP(CALL,     "c")               /* builtin A&0xFFFF with A>>16 arguments popped; push result */ \
    OP(CALLFN,   "f")               /* user function A: arguments popped into a new frame */ \
    OP(RET,      "")                /* return the top value to the caller */ \
    OP(LIST,     "n")               /* pop A values; push them as a list */ \
    OP(MAP,      "n")               /* pop A key/value pairs; push a map */ \
    OP(ITER,     "s")               /* L[A] = pop (a list, map or absent), L[A+1] = 0 */ \
    OP(NEXT,     "s")               /* advance L[A]; bind L[A+2] (and L[A+3] for two variables, bit 20); \
                                       when done jump to the target in the next word */ \
    OP(ITEREND,  "s")               /* if L[A] was absent, replace the top with absent */ \
    OP(ACCNEW,   "s")               /* L[A] = an empty accumulator */ \
    OP(ACCPUSH,  "s")               /* append pop to accumulator L[A] */ \
    OP(ACCKV,    "s")               /* append the current entry of iterator L[A+1] to accumulator L[A] */ \
    OP(ACCLIST,  "s")               /* push accumulator L[A] as a list */ \
    OP(ACCMAP,   "s")               /* push accumulator L[A] (key/value pairs) as a map */ \
    OP(FORMAT,   "n")               /* pop A values; push their text concatenated */ \
    OP(EMIT,     "r")               /* remedy = pop, msg = pop, at = pop; report a finding of rule A */ \
    OP(TRY,      "j")               /* run to the matching ENDTRY; on an error there, push absent and pc = A */ \
    OP(ENDTRY,   "")                /* leave the innermost TRY */ \
    OP(QUERYNS,  "q")               /* ns = pop; push the documents of query A in namespace ns */

typedef enum kv_opcode {
#define KV_OP_ENUM(name, fmt) KV_OPC_##name,
    KV_OPCODES(KV_OP_ENUM)
#undef KV_OP_ENUM
    KV_OPC__COUNT
} kv_opcode;

_Static_assert(KV_OPC__COUNT <= 256, "opcodes must fit in 8 bits");

#define KV_INS(op, a) ((uint32_t)(op) | ((uint32_t)(a) << 8))
#define KV_INS_OP(w) ((kv_opcode)((w) & 0xFFu))
#define KV_INS_A(w) ((uint32_t)(w) >> 8)
#define KV_INS_SA(w) ((int32_t)((w) & 0xFFFFFF00u) >> 8) /* signed A */
#define KV_MAXARG ((1u << 24) - 1)

extern const char *const kv_opcode_names[KV_OPC__COUNT];
extern const char *const kv_opcode_formats[KV_OPC__COUNT];

#endif
