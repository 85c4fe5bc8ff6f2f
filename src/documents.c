/*
 * documents.c - reading a YAML or JSON file into values for tools built on
 * the library (the test runner reads its test specifications this way), and
 * reporting problems at a value's position with the source line.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "ctx.h"
#include "doc.h"

struct kvet_documents {
    kvet_ctx *ctx;
    char *path;
    char *text;             /* kept for diagnostics' excerpts */
    size_t len;
    kv_arena **arenas;      /* one per document */
    kvet_value *roots;
    size_t n, cap;
    bool oom;
};

static int keep_doc(void *ud, kv_doc *doc)
{
    kvet_documents *d = ud;
    if (d->n == d->cap) {
        size_t ncap = d->cap ? d->cap * 2 : 8;
        kv_arena **na = realloc(d->arenas, ncap * sizeof *na);
        if (na)
            d->arenas = na;
        kvet_value *nr = na ? realloc(d->roots, ncap * sizeof *nr) : NULL;
        if (!na || !nr) {
            d->oom = true;
            return -1;
        }
        d->roots = nr;
        d->cap = ncap;
    }
    d->arenas[d->n] = doc->arena;
    d->roots[d->n] = doc->root;
    d->n++;
    return 1;
}

kvet_documents *kvet_documents_read(kvet_ctx *ctx, const char *path)
{
    kvet_documents *d = calloc(1, sizeof *d);
    if (!d || !(d->path = strdup(path))) {
        free(d);
        kv_diag(ctx, KVET_SEV_ERROR, path, 0, 0, 0, NULL, "out of memory");
        return NULL;
    }
    d->ctx = ctx;
    if (kv_read_file(ctx, path, &d->text, &d->len) < 0) {
        kvet_documents_free(d);
        return NULL;
    }
    uint32_t src = kv_source_add(ctx, path);
    int rc = kv_load_buffer(ctx, path, src, d->text, d->len, KV_FMT_AUTO, keep_doc, d);
    if (d->oom)
        kv_diag(ctx, KVET_SEV_ERROR, path, 0, 0, 0, NULL, "out of memory");
    if (rc < 0 || d->oom) {
        kvet_documents_free(d);
        return NULL;
    }
    return d;
}

size_t kvet_documents_count(const kvet_documents *d)
{
    return d ? d->n : 0;
}

kvet_value kvet_documents_at(const kvet_documents *d, size_t i)
{
    kvet_value absent;
    memset(&absent, 0, sizeof absent);
    return d && i < d->n ? d->roots[i] : absent;
}

const char *kvet_documents_path(const kvet_documents *d)
{
    return d ? d->path : NULL;
}

void kvet_documents_error(kvet_documents *d, kvet_value at, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    kv_vdiag(d->ctx, KVET_SEV_ERROR, d->path, at.line, at.col, at.line ? 1 : 0,
             at.line ? kv_line_start(d->text, d->len, at.line) : NULL, fmt, ap);
    va_end(ap);
}

void kvet_documents_free(kvet_documents *d)
{
    if (!d)
        return;
    for (size_t i = 0; i < d->n; i++) {
        kv_arena_free(d->arenas[i]);
        free(d->arenas[i]);
    }
    free(d->arenas);
    free(d->roots);
    free(d->text);
    free(d->path);
    free(d);
}
