/* opcodes.c - the instruction table of opcodes.h, expanded once. */
#include "opcodes.h"

const kv_opinfo kv_opinfo_table[KV_OPC__COUNT] = {
#define KV_OP_ROW(name, arg, pop, push, jpop, jpush, flags) \
    [KV_OPC_##name] = {#name, KV_ARG_##arg, pop, push, jpop, jpush, flags},
    KV_OPCODES(KV_OP_ROW)
#undef KV_OP_ROW
};
