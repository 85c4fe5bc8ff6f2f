/*
 * ctx.h - the library context (struct kvet_ctx) and diagnostic reporting.
 *
 * The context owns: limits, --set parameter overrides, the source registry
 * (names of every rule file and manifest, addressed by the `src` id stored
 * in each kvet_value), and the queue of diagnostics.  Modules report through
 * kv_diag(); only the CLI renders them.
 */
#ifndef KV_CTX_H
#define KV_CTX_H

#include <stdarg.h>
#include <stdbool.h>

#include "kvet/kvet.h"
#include "arena.h"

typedef struct kv_param_override {
    char *name;
    char *raw;         /* the text after '=' */
} kv_param_override;

struct kvet_ctx {
    kvet_limits limits;
    kv_arena arena;           /* lives as long as the context */

    kvet_diag *diags;
    size_t ndiags, capdiags;
    size_t nerrors;

    char **sources;           /* id -> name; id 0 is unused */
    size_t nsources, capsources;

    kv_param_override *params;
    size_t nparams, capparams;

    char **pack_paths;
    size_t npack_paths;

    bool lints;               /* raise lint warnings while compiling */
};

/* Register a source name; returns its id (>= 1) or 0 on allocation failure. */
uint32_t kv_source_add(kvet_ctx *ctx, const char *name);
const char *kv_source_name(const kvet_ctx *ctx, uint32_t id);
/* Give id the name `name` in this context (a context that parses for
 * another one, whose ids it must use).  Returns 0, or -1 when out of memory. */
int kv_source_set(kvet_ctx *ctx, uint32_t id, const char *name);

/* Report a diagnostic.  file may be NULL; excerpt (the source line) may be
 * NULL and need not be NUL-terminated at the line end: it is cut at '\n'. */
void kv_diag(kvet_ctx *ctx, kvet_severity sev, const char *file,
             uint32_t line, uint32_t col, uint32_t width, const char *excerpt,
             const char *fmt, ...) __attribute__((format(printf, 8, 9)));
void kv_vdiag(kvet_ctx *ctx, kvet_severity sev, const char *file,
              uint32_t line, uint32_t col, uint32_t width, const char *excerpt,
              const char *fmt, va_list ap);
/* Attach a hint to the last diagnostic. */
void kv_diag_hint(kvet_ctx *ctx, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Drop diagnostics raised after the first n (a pass whose reports would
 * only repeat those of a later pass). */
void kv_diag_truncate(kvet_ctx *ctx, size_t n);

/* Move the diagnostics raised after the first n out of the queue, to be put
 * back later in their place among others (an input parsed before it is
 * evaluated).  *out gets a malloc'd array of *count records (NULL when
 * none).  False when out of memory: they are then dropped, and *out is NULL
 * and *count 0. */
bool kv_diag_detach(kvet_ctx *ctx, size_t n, kvet_diag **out, size_t *count);
/* Append a detached diagnostic (the queue takes its strings); on failure
 * they are freed. */
void kv_diag_attach(kvet_ctx *ctx, kvet_diag *d);
/* Free a detached diagnostic that is not put back. */
void kv_diag_release(kvet_diag *d);

/* Find the text of line `line` (1-based) in a buffer; NULL if out of range. */
const char *kv_line_start(const char *text, size_t len, uint32_t line);
/* The width of a line break other than LF and CRLF at s, with n bytes held
 * from there: a lone CR, NEL (U+0085), LS (U+2028) or PS (U+2029), which
 * YAML counts and kvet's lines do not (yaml_lines.h); 0 for none, -1 when
 * the bytes after s[0] are needed to tell (unless `final`: nothing follows). */
int kv_other_break(const unsigned char *s, size_t n, bool final);

/* Levenshtein distance, capped, for "did you mean" hints. */
size_t kv_edit_distance(const char *a, const char *b);

#endif
