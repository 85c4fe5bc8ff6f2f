/*
 * doc.h - reading manifests into kvet_value trees.
 *
 * Each document is built in an arena of its own, so a consumer may keep a
 * document (the cross-resource index) or let it go as soon as it has been
 * evaluated (streaming).  Every node carries its source id, line and column.
 * Errors are reported with kv_diag() as file:line:col plus the source line.
 */
#ifndef KV_DOC_H
#define KV_DOC_H

#include <stdbool.h>

#include "kvet/kvet.h"
#include "arena.h"

typedef struct kv_doc {
    kvet_value root;        /* the document; usually a map */
    uint32_t src;           /* source id (kv_source_add) */
    uint32_t line, col;     /* where the document starts */
    uint32_t index;         /* 0-based position of the document in its file */
    kv_arena *arena;        /* owns root; see kv_doc_fn */
} kv_doc;

/* Called for each document in order.  Return 1 to take ownership of
 * doc->arena (the callee must later kv_arena_free and free() it), 0 to let
 * the loader release it, -1 to stop loading (an error already reported). */
typedef int (*kv_doc_fn)(void *ud, kv_doc *doc);

typedef enum kv_doc_format { KV_FMT_AUTO, KV_FMT_YAML, KV_FMT_JSON } kv_doc_format;

/* Parse every document in data[0..len).  `name` is used in diagnostics.
 * KV_FMT_AUTO picks JSON for names ending in .json, YAML otherwise (JSON is
 * valid YAML, but the JSON loader is faster and stricter).
 * data[len] must be a NUL byte (kv_read_file guarantees it): diagnostics
 * quote source lines up to the next newline or NUL.
 * Returns 0 when the whole buffer was read, -1 when an error stopped it
 * (documents before the error have been delivered). */
int kv_load_buffer(kvet_ctx *ctx, const char *name, uint32_t src,
                   const char *data, size_t len, kv_doc_format fmt,
                   kv_doc_fn fn, void *ud);

/* Read a whole file ("-" = stdin) into a malloc'd buffer, honouring
 * limits.max_document_bytes.  Returns 0, or -1 after reporting. */
int kv_read_file(kvet_ctx *ctx, const char *path, char **data, size_t *len);

/* Expand input paths: folders are walked recursively (entries sorted by
 * name, only *.yaml, *.yml and *.json, hidden entries skipped); files and
 * "-" are kept as given.  Returns 0 or -1 (errors reported, e.g. a missing
 * path).  *out is a malloc'd array of malloc'd strings. */
int kv_expand_inputs(kvet_ctx *ctx, const char *const *paths, size_t n,
                     char ***out, size_t *nout);
void kv_free_strings(char **v, size_t n);

#endif
