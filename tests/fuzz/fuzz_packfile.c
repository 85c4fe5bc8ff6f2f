/* fuzz_packfile.c - libFuzzer target: the compiled-pack loader.  Inputs get a
 * valid header and digest prepended half of the time so the fuzzer reaches
 * the table reader and the verifier, not just the digest check. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kvet/kvet.h"
#include "program.h"
#include "sha256.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    kvet_ctx *ctx = kvet_ctx_new();
    if (!ctx)
        return 0;
    kvet_pack *p;
    if (size > 0 && (data[0] & 1)) {
        /* wrap the rest as a payload with a correct header */
        size_t n = size - 1;
        uint8_t *buf = malloc(52 + n);
        if (!buf) {
            kvet_ctx_free(ctx);
            return 0;
        }
        memcpy(buf, "KVETPACK", 8);
        buf[8] = 1; buf[9] = 0; buf[10] = 0; buf[11] = 0;
        for (int i = 0; i < 8; i++)
            buf[12 + i] = (uint8_t)((uint64_t)n >> (8 * i));
        kv_sha256 s;
        kv_sha256_init(&s);
        kv_sha256_update(&s, data + 1, n);
        kv_sha256_final(&s, buf + 20);
        memcpy(buf + 52, data + 1, n);
        p = kv_program_deserialize(ctx, "fuzz.kvetc", (const char *)buf, 52 + n);
        free(buf);
    } else {
        p = kv_program_deserialize(ctx, "fuzz.kvetc", (const char *)data, size);
    }
    if (p) {
        char *dis = kvet_pack_disassemble(p);
        free(dis);
    }
    kv_program_free(p);
    kvet_ctx_free(ctx);
    return 0;
}
