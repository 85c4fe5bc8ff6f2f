/*
 * yaml_load.h - the YAML loader's entry points inside the library
 * (yaml_load.c, yaml_split.c); doc.h has the ones for manifests.
 */
#ifndef KV_YAML_LOAD_H
#define KV_YAML_LOAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "doc.h"

/* Every document of data[0..len), in `into` when it is not NULL; with
 * `sources`, `# Source:` comments name the documents after them. */
int kv_load_yaml(kvet_ctx *ctx, const char *name, uint32_t src, const char *data, size_t len,
                 bool sources, kv_arena *into, kv_doc_fn fn, void *ud);

/* A stream read through a window (kv_yaml_stream); *text gets the window's
 * text while fn runs, for excerpts. */
int kv_load_yaml_window(kvet_ctx *ctx, const kv_yaml_stream *in, kv_arena *into, kv_doc_fn fn, void *ud,
                        const kv_text **text);

/* A part of a file that starts a document, on its own, its documents built
 * in `into` (yaml_split.c). */
int kv_yaml_parse_part(const kvet_limits *lim, uint32_t src, const char *data, size_t len, uint32_t line,
                       kv_arena *into, kv_doc_fn fn, void *ud);

/* Whether text may hold a `# Source: PATH` comment that a load with
 * `sources` would follow: a "#", blanks and "Source:" anywhere (a comment
 * may start mid-line, after a flow or quoted root), inside a scalar too, as
 * this does not parse. */
bool kv_yaml_has_source_line(const char *text, size_t len);

/* kv_load_yaml_window of a file, or of standard input's copy (no head, no
 * limit; with `sources`, from a part that holds a `# Source:` line on it
 * reads alone), with helper threads parsing parts of it ahead: the same documents, in the
 * same order and from the calling thread, and the same diagnostics.  A
 * document's arena is its part's, freed once the part is handed on: fn may
 * build in it but not take it (as with kv_load_buffer_in's `into`). */
int kv_load_yaml_split(kvet_ctx *ctx, const kv_yaml_stream *in, kv_doc_fn fn, void *ud, const kv_text **text);

#endif
