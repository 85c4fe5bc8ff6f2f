/* fuzz_packfile.c - libFuzzer target: the compiled-pack loader, the
 * verifier and the VM.  Inputs get a valid header and digest prepended half
 * of the time so the fuzzer reaches the table reader and the verifier, not
 * just the digest check.  A pack that loads is disassembled, then run over a
 * few small documents made to match its blocks' selectors (so its rules and
 * derivations do run) and coverage is recorded: whatever passes the verifier
 * must run without a crash. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kvet/kvet.h"
#include "program.h"
#include "sha256.h"
#include "value.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A YAML double-quoted scalar, or a placeholder for text that is not
 * printable ASCII. */
static void quoted(kv_buf *b, const char *s, const char *fallback)
{
    for (const char *c = s; *c; c++)
        if (*c < 0x20 || *c > 0x7e) {
            s = fallback;
            break;
        }
    kv_buf_putc(b, '"');
    for (const char *c = s; *c; c++) {
        if (*c == '"' || *c == '\\')
            kv_buf_putc(b, '\\');
        kv_buf_putc(b, *c == '*' ? 'x' : *c);
    }
    kv_buf_putc(b, '"');
}

static void run_documents(kvet_ctx *ctx, kvet_pack *p)
{
    kv_buf y;
    kv_buf_init(&y);
    for (uint32_t i = 0; i < p->nblocks && i < 8; i++) {
        if (!p->blocks[i].nsel)
            continue;
        const kv_selector *s = &p->blocks[i].sel[0];
        kv_buf_puts(&y, "---\napiVersion: ");
        quoted(&y, s->api ? s->api : "v1", "v1");
        kv_buf_puts(&y, "\nkind: ");
        quoted(&y, s->kind, "Service");
        kv_buf_puts(&y, "\nmetadata: {name: a, namespace: ns, annotations: {x: \"1\", y: \"50%\"}}\n"
                        "spec: {replicas: 2, min: 1, max: 0, items: [1, \"x\", {k: v}], flag: true}\n");
    }
    kv_buf_puts(&y, "---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata: {a: \"1\"}\n");
    if (!y.oom) {
        kvet_limits l = kvet_default_limits();
        l.max_steps = 100000;
        kvet_ctx_set_limits(ctx, &l);
        kvet_coverage *cov = kvet_coverage_new(p);
        kvet_inputs in = {.buffer = y.data, .buffer_len = y.len, .buffer_name = "fuzz.yaml", .want_trace = 1,
                          .coverage = cov};
        kvet_result *res = kvet_check(ctx, p, &in);
        kvet_result_free(res);
        kvet_coverage_free(cov);
    }
    kv_buf_free(&y);
}

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
        buf[8] = (uint8_t)KV_PACKFILE_FORMAT; buf[9] = 0; buf[10] = 0; buf[11] = 0;
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
        run_documents(ctx, p);
    }
    kv_program_free(p);
    kvet_ctx_free(ctx);
    return 0;
}
