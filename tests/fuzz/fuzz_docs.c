/* fuzz_docs.c - libFuzzer target: the YAML loader, or the JSON loader when
 * built with -DKV_FUZZ_JSON; then the same text as manifests (lists, JSON
 * streams, apiVersion and kind checks, helm template sources). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ctx.h"
#include "doc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int count_doc(void *ud, kv_doc *doc)
{
    (void)doc;
    (*(size_t *)ud)++;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    kvet_ctx *ctx = kvet_ctx_new();
    if (!ctx)
        return 0;
    kvet_limits l = kvet_default_limits();
    l.max_alias_expansion = 10000; /* keep each run fast */
    kvet_ctx_set_limits(ctx, &l);
    size_t n = 0;
    char *text = malloc(size + 1); /* the loaders want a NUL after the text */
    if (!text) {
        kvet_ctx_free(ctx);
        return 0;
    }
    memcpy(text, data, size);
    text[size] = '\0';
#ifdef KV_FUZZ_JSON
    kv_load_buffer(ctx, "fuzz.json", 1, text, size, KV_FMT_JSON, count_doc, &n);
    kv_load_manifests(ctx, "fuzz.json", 1, text, size, 0, count_doc, &n, NULL);
#else
    kv_load_buffer(ctx, "fuzz.yaml", 1, text, size, KV_FMT_YAML, count_doc, &n);
    kv_load_manifests(ctx, "<stdin>", 1, text, size, KV_LOAD_SOURCES, count_doc, &n, NULL);
#endif
    free(text);
    kvet_ctx_free(ctx);
    return 0;
}
