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
#include <stdio.h>

#include "kvet/kvet.h"
#include "arena.h"

typedef struct kv_doc {
    kvet_value root;        /* the document; usually a map */
    uint32_t src;           /* source id (kv_source_add) */
    uint32_t line, col;     /* where the document starts */
    uint32_t index;         /* 0-based position of the document in its file */
    kv_arena *arena;        /* owns root; see kv_doc_fn */
    uint32_t piece;         /* KV_PIECE_*: 0 for a whole document */
} kv_doc;

/* A large JSON array or List is not held whole: the loader hands it on in
 * pieces, each the document with its list (the top-level array, or the
 * List's `items`) cut down to one item, in order.  The first piece of a
 * List is KV_PIECE_FIRST, the others KV_PIECE_NEXT: checks of the List
 * itself belong to the first only.  A piece's arena holds the whole piece
 * (the List's other members are copied into it). */
enum { KV_PIECE_FIRST = 1, KV_PIECE_NEXT = 2 };

/* Called for each document in order.  Return 1 to take ownership of
 * doc->arena (the callee must later kv_arena_free and free() it), 0 to let
 * the loader release it, -1 to stop loading (an error already reported). */
typedef int (*kv_doc_fn)(void *ud, kv_doc *doc);

typedef enum kv_doc_format { KV_FMT_AUTO, KV_FMT_YAML, KV_FMT_JSON } kv_doc_format;

/* Parse every document in data[0..len).  `name` is used in diagnostics.
 * KV_FMT_AUTO picks JSON for names ending in .json and for texts that are
 * JSON values one after another (`jq -c` output on stdin), YAML otherwise
 * (JSON is valid YAML, but the JSON loader is faster and stricter).
 * data[len] must be a NUL byte (kv_read_file guarantees it): diagnostics
 * quote source lines up to the next newline or NUL.
 * Returns 0 when the whole buffer was read, -1 when an error stopped it
 * (documents before the error have been delivered). */
int kv_load_buffer(kvet_ctx *ctx, const char *name, uint32_t src,
                   const char *data, size_t len, kv_doc_format fmt,
                   kv_doc_fn fn, void *ud);

/* KV_LOAD_SOURCES: a YAML stream's `# Source: PATH` comments (helm
 * template) attribute the documents after them to PATH (yaml_load.c); for
 * a stream that is no file of its own, such as stdin.  A file's lines are
 * its own, so its documents keep its name. */
enum { KV_LOAD_SOURCES = 1 };
int kv_load_buffer_ex(kvet_ctx *ctx, const char *name, uint32_t src,
                      const char *data, size_t len, kv_doc_format fmt, unsigned flags,
                      kv_doc_fn fn, void *ud);
/* With `into` (not NULL), YAML documents are built in that arena, which
 * the caller owns, instead of an arena each: fn sees doc->arena == into
 * and must not take it.  JSON documents come as before. */
int kv_load_buffer_in(kvet_ctx *ctx, const char *name, uint32_t src,
                      const char *data, size_t len, kv_doc_format fmt, unsigned flags,
                      kv_arena *into, kv_doc_fn fn, void *ud);

/* A text as diagnostics quote it: the whole of an input, or the part of a
 * large file a window holds (json_load.c), with lines from before the
 * window that may still be quoted kept aside. */
typedef struct kv_kept_line {
    uint32_t line;
    char *text;             /* up to 4096 bytes of it, NUL-terminated */
} kv_kept_line;

/* Where the last excerpt's line started: diagnostics mostly come in the
 * order of their lines, so the next one is looked for from there, not
 * from the start of a text of megabytes (a text of 60,000 resources
 * without apiVersion took 30 s, each excerpt counting lines from the
 * first).  Valid while the text's data and first line are those it was
 * set with. */
typedef struct kv_line_cursor {
    const char *data;
    uint32_t first;
    uint32_t line;          /* counted from the text's first line, 1-based */
    size_t off;             /* where that line starts */
} kv_line_cursor;

typedef struct kv_text {
    const char *data;       /* a NUL follows the len bytes */
    size_t len;
    uint32_t line;          /* the line data[0] is on */
    bool mid_line;          /* data[0] is not where that line starts */
    const kv_kept_line *kept;
    size_t nkept;
    kv_line_cursor *cursor; /* or NULL: every lookup counts from data[0] */
} kv_text;

/* Where line `line` starts, for an excerpt; NULL when it is not held. */
const char *kv_text_line(const kv_text *t, uint32_t line);

/* What kv_load_manifests found in a text. */
typedef struct kv_manifest_stats {
    size_t documents;       /* documents, a List's and a top-level list's items one by one
                               (empty documents are not counted) */
    size_t resources;       /* handed to fn */
    size_t skipped;         /* not Kubernetes resources: noted and left out */
    size_t invalid;         /* resources with a missing or malformed apiVersion or kind: errors */
} kv_manifest_stats;

/* Load the Kubernetes resources of a text (manifest.c): the documents of
 * kv_load_buffer (KV_FMT_AUTO), with top-level lists and List kinds taken
 * apart into their items, documents that are not resources skipped with a
 * note, and resources with a missing or malformed apiVersion or kind
 * reported as errors.  flags are kv_load_buffer_ex's.  fn sees only resources; a whole document may have
 * its arena taken (return 1), an item of a list comes with arena NULL (copy
 * what you keep).  stats may be NULL.  Returns 0, or -1 when an error was
 * reported or fn stopped the load. */
int kv_load_manifests(kvet_ctx *ctx, const char *name, uint32_t src, const char *data, size_t len,
                      unsigned flags, kv_doc_fn fn, void *ud, kv_manifest_stats *stats);
/* kv_load_manifests, building YAML documents in `into` (kv_load_buffer_in) */
int kv_load_manifests_in(kvet_ctx *ctx, const char *name, uint32_t src, const char *data, size_t len,
                         unsigned flags, kv_arena *into, kv_doc_fn fn, void *ud, kv_manifest_stats *stats);

/* A large file that is one JSON array or List (`kubectl get -o json` of a
 * cluster) is read through a window instead of whole (json_load.c): only
 * the item being read is held.  kv_json_plan_file reads the file once to
 * check it as the whole text would be (its List's members, and each item a
 * valid value nested within the limits, no key twice), reading about
 * `window` bytes at a time; NULL, with nothing reported, when it is
 * anything else (invalid, several values, a byte order mark, or not
 * readable): read it whole.  kv_load_manifests_planned then does what
 * kv_load_manifests does, reading the items again one at a time. */
typedef struct kv_json_plan kv_json_plan;
/* With threads > 1, the second pass shares the items' checks and
 * conversion with up to threads - 1 helper threads (8 at most); fn still
 * gets the same documents, in the same order, from the calling thread. */
kv_json_plan *kv_json_plan_file(kvet_ctx *ctx, const char *path, size_t window, unsigned threads);
/* kv_json_plan_file of an open file (standard input's copy, see
 * kv_read_stdin_below), which the plan then owns; NULL: f is still the
 * caller's, at its start. */
kv_json_plan *kv_json_plan_stream(kvet_ctx *ctx, FILE *f, size_t window, unsigned threads);
int kv_json_plan_load(kv_json_plan *plan, const char *name, uint32_t src, kv_doc_fn fn, void *ud,
                      const kv_text **text);
void kv_json_plan_free(kv_json_plan *plan);
int kv_load_manifests_planned(kvet_ctx *ctx, kv_json_plan *plan, const char *name, uint32_t src, kv_doc_fn fn,
                              void *ud, kv_manifest_stats *stats);

/* A large YAML file is read through a window too: libyaml is given the file
 * `window` bytes at a time, and the text is kept from the current
 * document's first line on, for excerpts and block scalars.
 * kv_yaml_windowable says whether the file at path can be (no byte order
 * mark, and not JSON: kv_load_buffer's choice of loader needs the text);
 * kv_load_manifests_yaml_window then does what kv_load_manifests does. */
bool kv_yaml_windowable(const char *path);
/* The same for the first n bytes of a text. */
bool kv_yaml_windowable_text(const char *head, size_t n);
int kv_load_manifests_yaml_window(kvet_ctx *ctx, const char *path, const char *name, uint32_t src, size_t window,
                                  unsigned threads, kv_arena *into, kv_doc_fn fn, void *ud,
                                  kv_manifest_stats *stats);

/* A YAML stream read through a window: f from its current position, after
 * `head` (headlen bytes read from it before, malloc'd with a byte to spare:
 * the loader takes it over and frees it).  Past `limit` bytes (0: none)
 * nothing more is parsed and the load fails, saying that `what` ("standard
 * input") is over the limit.  *total gets the bytes read. */
typedef struct kv_yaml_stream {
    FILE *f;
    const char *name;
    uint32_t src;
    size_t window;
    char *head;
    size_t headlen;
    uint64_t limit;
    const char *what;
    bool sources;           /* follow `# Source:` comments (KV_LOAD_SOURCES) */
    size_t *total;
    /* documents handed on before (yaml_split.c reads a file again from
     * its start when a part fails): parsed again, not handed on */
    uint32_t skip;
    /* threads that may parse parts of a file ahead (yaml_split.c): 0 or 1
     * for none */
    unsigned threads;
    /* f is a copy of a stream whose reading failed at the copy's end, with
     * this error: it is reported there as the stream's would have been */
    int end_errno;
} kv_yaml_stream;
int kv_load_manifests_yaml_stream(kvet_ctx *ctx, const kv_yaml_stream *in, kv_arena *into, kv_doc_fn fn, void *ud,
                                  kv_manifest_stats *stats);

/* A window's reading: up to `chunk` more bytes of f appended at buf[*end],
 * the buffer grown as needed and a NUL kept after the bytes.  Returns the
 * bytes read (0 at the end, on a read error, see ferror, or when out of
 * memory, *oom set). */
size_t kv_read_more(FILE *f, char **buf, size_t *cap, size_t *end, size_t chunk, bool *oom);

/* Read a whole file ("-" = stdin) into a malloc'd buffer, honouring
 * limits.max_document_bytes: an input over the limit is an error, never
 * read in part.  kv_read_named names the input `shown` in diagnostics
 * (NULL: the path, "<stdin>" for "-").  Returns 0, or -1 after reporting. */
int kv_read_file(kvet_ctx *ctx, const char *path, char **data, size_t *len);
int kv_read_named(kvet_ctx *ctx, const char *path, const char *shown, char **data, size_t *len);
/* kv_read_file, but a regular file of `large` bytes or more (within the
 * limit) is left unread: returns 1, for the caller to read it through a
 * window.  One fstat tells, where asking first would take a stat more for
 * every file. */
int kv_read_file_below(kvet_ctx *ctx, const char *path, uint64_t large, char **data, size_t *len);
/* Standard input read whole as kv_read_named reads it, unless it goes on
 * past `large` bytes.  Then, as YAML that a window can read
 * (kv_yaml_windowable_text; never when `json`, the input named *.json): 1,
 * with the bytes read so far in *data (malloc'd, a NUL after them), for the
 * caller to read the rest through a window.  As JSON ({ or [ first): 2,
 * with the whole input copied to *spool, a temporary file in $TMPDIR (else
 * /tmp) that is already unlinked, at its start, *len bytes long; the caller
 * closes it.  When the copy cannot be made or written (a read-only /tmp, a
 * full disk), the input is read whole, as anything else is.  kv_read_spool
 * reads such a copy whole, as kv_read_named would have read the input.
 * With `yaml_copy`, YAML is copied the same way, returning 3, unless its
 * first `large` bytes hold a `# Source:` line (kv_yaml_has_source_line);
 * when the copy cannot be made it is read through a window (1).  A read
 * error or the file-size limit ends such a copy, which holds the bytes
 * read before: *yaml_copy gets the error, or -1 past the limit (0: the
 * whole stream), for it to be read as the stream would have been
 * (kv_yaml_stream.end_errno, .limit). */
int kv_read_stdin_below(kvet_ctx *ctx, const char *shown, uint64_t large, bool json, int *yaml_copy, char **data,
                        size_t *len, FILE **spool);
int kv_read_spool(kvet_ctx *ctx, FILE *f, const char *shown, size_t size, char **data, size_t *len);

/* How folders are walked: paths an exclude pattern (pathglob.h) takes,
 * relative to the input folder or as walked, are not read. */
typedef struct kv_walk_opts {
    const char *const *exclude;
    size_t nexclude;
} kv_walk_opts;

/* What one input path held. */
typedef struct kv_walk_stats {
    bool folder;            /* a folder, walked */
    size_t files;           /* files to read (1 for a file or "-") */
    size_t hidden;          /* entries below a folder named .* */
    size_t excluded;        /* files and folders an exclude pattern took */
    size_t other;           /* files not named *.yaml, *.yml or *.json */
} kv_walk_stats;

/* Expand input paths: folders are walked recursively (entries sorted by
 * name, only *.yaml, *.yml and *.json, hidden entries skipped); files and
 * "-" are kept as given, excluded or not.  Returns 0 or -1 (errors
 * reported, e.g. a missing path).  *out is a malloc'd array of malloc'd
 * strings.  kv_expand_inputs_ex also applies `o` (may be NULL), gives for
 * each file the index of the path it came from (*origin, malloc'd, when
 * origin is not NULL) and fills stats[0..n) when stats is not NULL. */
int kv_expand_inputs(kvet_ctx *ctx, const char *const *paths, size_t n,
                     char ***out, size_t *nout);
int kv_expand_inputs_ex(kvet_ctx *ctx, const char *const *paths, size_t n, const kv_walk_opts *o,
                        char ***out, size_t *nout, size_t **origin, kv_walk_stats *stats);
void kv_free_strings(char **v, size_t n);

#endif
