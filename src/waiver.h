/*
 * waiver.h - waivers and baselines applied to a check run's findings.
 */
#ifndef KV_WAIVER_H
#define KV_WAIVER_H

#include <stdbool.h>

#include "kvet/kvet.h"
#include "arena.h"

typedef struct kv_waiver {
    kvet_waiver pub;          /* first: a kvet_waiver pointer is a kv_waiver pointer */
    size_t index;             /* position in the run's list */
    const char *kind, *ns, *name; /* file waivers: resource patterns */
    bool resource_only;       /* an annotation waiver: its own resource only */
} kv_waiver;

typedef struct kv_waivers {
    kv_arena *arena;          /* strings live as long as the result */
    kv_waiver **v;
    size_t n, cap;
    size_t nfile;             /* v[0..nfile) come from waiver files */
    /* the file waivers, found by name: those of one name (no '*') sorted by
     * name then file order, the others (a pattern) in file order; made on
     * the first resource (kv_waivers_resource) */
    kv_waiver **byname, **wild;
    size_t nbyname, nwild;
    bool indexed;
    bool deny_annotations;    /* policy: annotation waivers are not accepted */
    const char **file_only;   /* policy: rule id patterns waivable only in files */
    size_t nfile_only;
    const char *baseline_file;
    kvet_baseline_entry *baseline; /* in file order; strings in the arena */
    size_t nbaseline;
    size_t *baseline_order;   /* indexes into baseline sorted by identity, for lookup */
    const char *today;        /* YYYY-MM-DD or NULL */
} kv_waivers;

/* Read a waiver file (docs/waivers.md); 0, or -1 after reporting. */
int kv_waivers_load_file(kvet_ctx *ctx, kv_waivers *ws, const char *path);
/* Read a baseline file written by `kvet baseline`; 0 or -1. */
int kv_baseline_load(kvet_ctx *ctx, kv_waivers *ws, const char *path);
/* Apply waivers to one resource's findings (reads its kvet.dev/waive
 * annotations from root). */
void kv_waivers_resource(kvet_ctx *ctx, kv_waivers *ws, const kvet_pack *prog, kvet_value root,
                         kvet_resource *res, const char *file);
/* Whether the baseline covers the finding; counts the match on every
 * entry of that identity. */
bool kv_baseline_has(kv_waivers *ws, const kvet_finding *f, const kvet_resource *r);
/* Report the baseline entries that covered no finding (after the run). */
void kv_baseline_finish(kvet_ctx *ctx, kv_waivers *ws);
/* Mark stale waivers and report expired, stale, invalid and forbidden ones. */
void kv_waivers_finish(kvet_ctx *ctx, kv_waivers *ws);
void kv_waivers_free(kv_waivers *ws);

#endif
