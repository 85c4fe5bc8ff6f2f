/* fuzz_eval.c - libFuzzer target: a fixed rule pack (the stock pack, from
 * $KVET_RULES or the folder given at build time) evaluated over fuzzed
 * manifests. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "kvet/kvet.h"

#ifndef KVET_FUZZ_RULES
#define KVET_FUZZ_RULES "rules"
#endif

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static kvet_ctx *ctx;
static kvet_pack *pack;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!pack) {
        const char *dir = getenv("KVET_RULES");
        if (!dir)
            dir = KVET_FUZZ_RULES;
        ctx = kvet_ctx_new();
        kvet_ctx_add_pack_path(ctx, dir);
        pack = kvet_pack_load(ctx, &dir, 1);
        if (!pack)
            abort(); /* the fixed pack must compile */
    }
    kvet_limits l = kvet_default_limits();
    l.max_steps = 200000;
    kvet_ctx_set_limits(ctx, &l);
    kvet_inputs in = {.buffer = (const char *)data, .buffer_len = size, .buffer_name = "fuzz.yaml", .want_trace = 1};
    kvet_result *res = kvet_check(ctx, pack, &in);
    kvet_result_free(res);
    kvet_diag_clear(ctx);
    return 0;
}
