/* fuzz_rules.c - libFuzzer target: the rule-language front end (scanner,
 * parser, checker, compiler) over arbitrary text, and the formatter, which
 * must give a fixed point: formatting its own output changes nothing. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kvet/kvet.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    kvet_ctx *ctx = kvet_ctx_new();
    if (!ctx)
        return 0;
    kvet_pack *p = kvet_pack_load_source(ctx, "fuzz.kvet", (const char *)data, size);
    if (p) {
        char *dis = kvet_pack_disassemble(p);
        free(dis);
    }
    kvet_pack_free(p);
    char *once = NULL;
    size_t n1 = 0;
    if (kvet_format_source(ctx, "fuzz.kvet", (const char *)data, size, &once, &n1) == 0) {
        char *twice = NULL;
        size_t n2 = 0;
        if (kvet_format_source(ctx, "fmt.kvet", once, n1, &twice, &n2) != 0 || n1 != n2 || memcmp(once, twice, n1) != 0)
            abort(); /* formatted text must parse and be formatted already */
        free(twice);
    }
    free(once);
    kvet_ctx_free(ctx);
    return 0;
}
