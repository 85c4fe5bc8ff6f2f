/*
 * run.c - a check run: inputs -> index -> streaming evaluation -> result.
 *
 * Pass 1 (only when the program queries other documents) builds the index:
 * it parses just the files that can hold a queried kind (a file whose text
 * does not contain the kind's name cannot), and keeps those documents.
 * Pass 2 streams every document: parse, evaluate, record the resource's
 * findings and effective values, release the document.  Memory therefore
 * grows with the index and the results, not with the whole input.
 */
#include <stdlib.h>
#include <string.h>

#include "coverage.h"
#include "ctx.h"
#include "doc.h"
#include "program.h"
#include "value.h"
#include "vm.h"
#include "waiver.h"

typedef struct indexed {
    kv_arena *arena;
    kvet_value root;
} indexed;

typedef struct result_impl {
    kvet_result pub;
    kv_arena arena;
    size_t capresources, caperrors;
} result_impl;

typedef struct run {
    kvet_ctx *ctx;
    const kvet_pack *prog;
    const kvet_inputs *in;
    result_impl *res;
    kv_env *env;
    kv_eval *ev;
    kv_arena scratch;          /* per document evaluation */

    /* index */
    indexed *docs; size_t ndocs, capdocs;
    kv_arena index_arena;      /* the indexed documents, copied compactly */
    kvet_value *query_lists;   /* per query, built on first use */
    uint8_t *query_built;
    struct ns_index *query_ns; /* per query, its documents by namespace, built on first use */
    kvet_value no_docs;        /* the empty list a namespace without documents gives */

    /* the resource being evaluated */
    kvet_resource *cur;
    kvet_finding *findings; size_t nfindings, capfindings;
    uint32_t doc_src_min;      /* source ids >= this are manifests */
    uint32_t cur_src;
    uint32_t cur_line;
    bool cur_failed;
    bool stdin_used;
    char *stdin_data;
    size_t stdin_len;
    bool found_cluster_config;
    bool oom;
    kv_waivers ws;
} run;

static const char *rdup(run *r, const char *s, size_t n)
{
    char *d = kv_arena_strndup(&r->res->arena, s ? s : "", s ? n : 0);
    if (!d)
        r->oom = true;
    return d ? d : "";
}

static void add_error(run *r, const char *file, uint32_t line, uint32_t col, const char *msg)
{
    kvet_result *res = &r->res->pub;
    if (res->nerrors == r->res->caperrors) {
        size_t cap = r->res->caperrors ? r->res->caperrors * 2 : 16;
        kvet_error *e = realloc(res->errors, cap * sizeof *e);
        if (!e) {
            r->oom = true;
            return;
        }
        res->errors = e;
        r->res->caperrors = cap;
    }
    kvet_error *e = &res->errors[res->nerrors++];
    e->file = file ? strdup(file) : NULL;
    e->line = line;
    e->col = col;
    e->message = strdup(msg);
}

/* ------------------------------------------------------------- VM hooks */

static void hook_rule_run(void *ud, uint32_t rule)
{
    run *r = ud;
    r->res->pub.rule_evaluated[rule]++;
}

static void hook_derive_run(void *ud, uint32_t derive, int valued)
{
    run *r = ud;
    r->res->pub.derive_applied[derive]++;
    if (valued)
        r->res->pub.derive_valued[derive]++;
}

static void hook_finding(void *ud, uint32_t rule, kvet_value at, kvet_value msg, kvet_value remedy)
{
    run *r = ud;
    const kv_rule *ru = &r->prog->rules[rule];
    r->res->pub.rule_findings[rule]++;
    if (r->nfindings == r->capfindings) {
        size_t cap = r->capfindings ? r->capfindings * 2 : 8;
        kvet_finding *f = realloc(r->findings, cap * sizeof *f);
        if (!f) {
            r->oom = true;
            return;
        }
        r->findings = f;
        r->capfindings = cap;
    }
    kvet_finding *f = &r->findings[r->nfindings++];
    memset(f, 0, sizeof *f);
    f->rule = ru->id;
    f->severity = ru->effective;
    f->title = ru->title;
    f->link = ru->link;
    kv_buf b;
    kv_buf_init(&b);
    kv_value_render(&b, msg, false);
    f->message = kv_buf_take(&b);
    if (remedy.type == KVET_STRING) {
        kv_buf_init(&b);
        kv_value_render(&b, remedy, false);
        char *s = kv_buf_take(&b);
        f->remedy = rdup(r, s, s ? strlen(s) : 0);
        free(s);
    } else {
        f->remedy = NULL;
    }
    /* point at the manifest: the `at` value's position when it comes from
     * a document of this run, else the resource itself */
    if (at.src >= r->doc_src_min && at.src && at.line) {
        f->file = kv_source_name(r->ctx, at.src);
        f->line = at.line;
        f->col = at.col;
    } else {
        f->file = kv_source_name(r->ctx, r->cur_src);
        f->line = r->cur_line;
        f->col = 1;
    }
}

static void hook_error(void *ud, const char *what, const char *file, uint32_t line, uint32_t col, const char *message)
{
    run *r = ud;
    r->cur_failed = true;
    kv_buf b;
    kv_buf_init(&b);
    kvet_resource *res = r->cur;
    kv_buf_printf(&b, "%s failed on %s %s%s%s (%s:%u): %s", what, res->kind, res->ns[0] ? res->ns : "",
                  res->ns[0] ? "/" : "", res->name, res->file, res->line, message);
    char *s = kv_buf_take(&b);
    add_error(r, file, line, col, s ? s : message);
    free(s);
}

/* One query's documents grouped by namespace, the groups sorted by name
 * so a lookup is a binary search: docs(kind, api, ns) inside a rule then
 * costs the size of one namespace, not of the whole input. */
typedef struct ns_group {
    const char *ns;
    uint32_t len;
    kvet_value list;
} ns_group;

typedef struct ns_index {
    bool built;
    ns_group *groups;
    size_t ngroups;
} ns_index;

typedef struct ns_item {
    const char *ns;
    uint32_t len;
    uint32_t pos;              /* position in the query's list: keeps input order */
} ns_item;

static int ns_cmp(const char *a, uint32_t al, const char *b, uint32_t bl)
{
    int c = memcmp(a, b, al < bl ? al : bl);
    return c ? c : (al > bl) - (al < bl);
}

static int ns_item_cmp(const void *x, const void *y)
{
    const ns_item *a = x, *b = y;
    int c = ns_cmp(a->ns, a->len, b->ns, b->len);
    return c ? c : (a->pos > b->pos) - (a->pos < b->pos);
}

static kvet_value hook_query(void *ud, uint32_t q);

static bool build_ns_index(run *r, uint32_t q, ns_index *ix)
{
    kvet_value all = hook_query(r, q);
    uint32_t n = all.type == KVET_LIST ? all.u.l->n : 0;
    ns_item *items = malloc((n + 1) * sizeof *items);
    if (!items)
        return false;
    for (uint32_t i = 0; i < n; i++) {
        kvet_value ns = kvet_map_get(kvet_map_get(all.u.l->items[i], "metadata", 8), "namespace", 9);
        bool named = ns.type == KVET_STRING && ns.u.s->len > 0;
        items[i] = (ns_item){named ? ns.u.s->data : "", named ? ns.u.s->len : 0, i};
    }
    qsort(items, n, sizeof *items, ns_item_cmp);
    size_t groups = 0;
    for (uint32_t i = 0; i < n; i++)
        groups += i == 0 || ns_cmp(items[i - 1].ns, items[i - 1].len, items[i].ns, items[i].len) != 0;
    ix->groups = calloc(groups + 1, sizeof *ix->groups);
    if (!ix->groups) {
        free(items);
        return false;
    }
    for (uint32_t i = 0; i < n;) {
        uint32_t j = i;
        while (j < n && ns_cmp(items[j].ns, items[j].len, items[i].ns, items[i].len) == 0)
            j++;
        kvet_list *l = kv_list_new(&r->res->arena, j - i);
        if (!l) {
            free(items);
            return false;
        }
        for (uint32_t k = i; k < j; k++)
            l->items[k - i] = all.u.l->items[items[k].pos];
        ix->groups[ix->ngroups++] = (ns_group){items[i].ns, items[i].len, kv_list_value(l)};
        i = j;
    }
    free(items);
    ix->built = true;
    return true;
}

static kvet_value hook_query_ns(void *ud, uint32_t q, const kvet_string *ns)
{
    run *r = ud;
    ns_index *ix = &r->query_ns[q];
    if (!ix->built && !build_ns_index(r, q, ix)) {
        r->oom = true;
        return kv_absent();
    }
    size_t lo = 0, hi = ix->ngroups;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = ns_cmp(ix->groups[mid].ns, ix->groups[mid].len, ns->data, ns->len);
        if (c == 0)
            return ix->groups[mid].list;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    /* one empty list for every miss, not one per lookup */
    if (r->no_docs.type != KVET_LIST) {
        kvet_list *empty = kv_list_new(&r->res->arena, 0);
        if (!empty) {
            r->oom = true;
            return kv_absent();
        }
        r->no_docs = kv_list_value(empty);
    }
    return r->no_docs;
}

static kvet_value hook_query(void *ud, uint32_t q)
{
    run *r = ud;
    if (r->query_built[q])
        return r->query_lists[q];
    const kv_query *qu = &r->prog->queries[q];
    size_t n = 0;
    for (size_t i = 0; i < r->ndocs; i++) {
        kvet_value kind = kvet_map_get(r->docs[i].root, "kind", 4);
        kvet_value api = kvet_map_get(r->docs[i].root, "apiVersion", 10);
        kv_selector s = {qu->kind, qu->api};
        if (kind.type == KVET_STRING && api.type == KVET_STRING &&
            kv_selector_match(&s, kind.u.s->data, kind.u.s->len, api.u.s->data, api.u.s->len))
            n++;
    }
    /* the list lives as long as the run: allocate it in the result arena */
    kvet_list *l = kv_list_new(&r->res->arena, (uint32_t)n);
    if (!l) {
        r->oom = true;
        return kv_absent();
    }
    n = 0;
    for (size_t i = 0; i < r->ndocs; i++) {
        kvet_value kind = kvet_map_get(r->docs[i].root, "kind", 4);
        kvet_value api = kvet_map_get(r->docs[i].root, "apiVersion", 10);
        kv_selector s = {qu->kind, qu->api};
        if (kind.type == KVET_STRING && api.type == KVET_STRING &&
            kv_selector_match(&s, kind.u.s->data, kind.u.s->len, api.u.s->data, api.u.s->len))
            l->items[n++] = r->docs[i].root;
    }
    r->query_lists[q] = kv_list_value(l);
    r->query_built[q] = 1;
    return r->query_lists[q];
}

/* -------------------------------------------------------------- reading */

static int read_input(run *r, const char *path, char **data, size_t *len, bool *owned)
{
    if (!strcmp(path, "-")) {
        if (!r->stdin_used) {
            if (kv_read_file(r->ctx, "-", &r->stdin_data, &r->stdin_len) < 0)
                return -1;
            r->stdin_used = true;
        }
        *data = r->stdin_data;
        *len = r->stdin_len;
        *owned = false;
        return 0;
    }
    *owned = true;
    return kv_read_file(r->ctx, path, data, len);
}

static bool is_config_doc(kvet_value root)
{
    kvet_value kind = kvet_map_get(root, "kind", 4);
    if (kind.type != KVET_STRING)
        return false;
    if (!strcmp(kind.u.s->data, "KnativeServing"))
        return true;
    if (!strcmp(kind.u.s->data, "ConfigMap")) {
        kvet_value name = kvet_map_get(kvet_map_get(root, "metadata", 8), "name", 4);
        return name.type == KVET_STRING &&
               (!strcmp(name.u.s->data, "config-autoscaler") || !strcmp(name.u.s->data, "inferenceservice-config"));
    }
    return false;
}

/* pass 1: keep documents of queried kinds */
static int index_doc(void *ud, kv_doc *doc)
{
    run *r = ud;
    kvet_value kind = kvet_map_get(doc->root, "kind", 4);
    kvet_value api = kvet_map_get(doc->root, "apiVersion", 10);
    if (kind.type != KVET_STRING || api.type != KVET_STRING)
        return 0;
    bool want = false;
    for (uint32_t q = 0; q < r->prog->nqueries && !want; q++) {
        kv_selector s = {r->prog->queries[q].kind, r->prog->queries[q].api};
        want = kv_selector_match(&s, kind.u.s->data, kind.u.s->len, api.u.s->data, api.u.s->len);
    }
    /* List documents may hold queried kinds */
    if (!want && kind.u.s->len >= 4 && !strcmp(kind.u.s->data + kind.u.s->len - 4, "List")) {
        kvet_value items = kvet_map_get(doc->root, "items", 5);
        if (items.type == KVET_LIST) {
            for (uint32_t i = 0; i < items.u.l->n && !want; i++) {
                kvet_value k = kvet_map_get(items.u.l->items[i], "kind", 4);
                kvet_value a = kvet_map_get(items.u.l->items[i], "apiVersion", 10);
                if (k.type != KVET_STRING || a.type != KVET_STRING)
                    continue;
                for (uint32_t q = 0; q < r->prog->nqueries && !want; q++) {
                    kv_selector s = {r->prog->queries[q].kind, r->prog->queries[q].api};
                    want = kv_selector_match(&s, k.u.s->data, k.u.s->len, a.u.s->data, a.u.s->len);
                }
            }
            if (want) {
                /* index each item */
                for (uint32_t i = 0; i < items.u.l->n; i++) {
                    if (r->ndocs == r->capdocs) {
                        size_t cap = r->capdocs ? r->capdocs * 2 : 64;
                        indexed *d = realloc(r->docs, cap * sizeof *d);
                        if (!d) { r->oom = true; return 0; }
                        r->docs = d;
                        r->capdocs = cap;
                    }
                    bool oom = false;
                    r->docs[r->ndocs].arena = NULL;
                    r->docs[r->ndocs].root = kv_value_copy(&r->index_arena, items.u.l->items[i], &oom);
                    if (oom) {
                        r->oom = true;
                        return 0;
                    }
                    r->ndocs++;
                }
                return 0;
            }
        }
    }
    if (!want)
        return 0;
    if (r->ndocs == r->capdocs) {
        size_t cap = r->capdocs ? r->capdocs * 2 : 64;
        indexed *d = realloc(r->docs, cap * sizeof *d);
        if (!d) {
            r->oom = true;
            return 0;
        }
        r->docs = d;
        r->capdocs = cap;
    }
    /* a copy in one shared arena: a document's own arena starts with a
     * block much larger than a typical manifest */
    bool oom = false;
    r->docs[r->ndocs].arena = NULL;
    r->docs[r->ndocs].root = kv_value_copy(&r->index_arena, doc->root, &oom);
    if (oom) {
        r->oom = true;
        return 0;
    }
    r->ndocs++;
    return 0;
}

static bool may_hold_queried_kind(const kvet_pack *prog, const char *data, size_t len)
{
    /* a backslash may hide a kind behind an escape: parse to be sure */
    if (memchr(data, '\\', len))
        return true;
    for (uint32_t q = 0; q < prog->nqueries; q++)
        if (memmem(data, len, prog->queries[q].kind, strlen(prog->queries[q].kind)))
            return true;
    /* List documents can carry any kind, including queried ones */
    return memmem(data, len, "List", 4) != NULL;
}

/* ------------------------------------------------------------ pass 2 */

static int cmp_finding(const void *a, const void *b)
{
    const kvet_finding *x = a, *y = b;
    int c = strcmp(x->file ? x->file : "", y->file ? y->file : "");
    if (c)
        return c;
    if (x->line != y->line)
        return x->line < y->line ? -1 : 1;
    if (x->col != y->col)
        return x->col < y->col ? -1 : 1;
    c = strcmp(x->rule, y->rule);
    if (c)
        return c;
    return strcmp(x->message ? x->message : "", y->message ? y->message : "");
}

static void eval_resource(run *r, kvet_value root, uint32_t src)
{
    kvet_result *res = &r->res->pub;
    if (res->nresources == r->res->capresources) {
        size_t cap = r->res->capresources ? r->res->capresources * 2 : 64;
        kvet_resource *nr = realloc(res->resources, cap * sizeof *nr);
        if (!nr) {
            r->oom = true;
            return;
        }
        res->resources = nr;
        r->res->capresources = cap;
    }
    kvet_resource *rs = &res->resources[res->nresources++];
    memset(rs, 0, sizeof *rs);
    kvet_value api = kvet_map_get(root, "apiVersion", 10);
    kvet_value kind = kvet_map_get(root, "kind", 4);
    kvet_value meta = kvet_map_get(root, "metadata", 8);
    kvet_value ns = kvet_map_get(meta, "namespace", 9);
    kvet_value name = kvet_map_get(meta, "name", 4);
    if (name.type != KVET_STRING)
        name = kvet_map_get(meta, "generateName", 12);
    rs->api_version = rdup(r, api.u.s->data, api.u.s->len);
    rs->kind = rdup(r, kind.u.s->data, kind.u.s->len);
    rs->ns = ns.type == KVET_STRING ? rdup(r, ns.u.s->data, ns.u.s->len) : "";
    rs->name = name.type == KVET_STRING ? rdup(r, name.u.s->data, name.u.s->len) : "";
    rs->file = kv_source_name(r->ctx, src);
    rs->line = root.line;
    rs->effective = kv_map_value(kv_map_new(&r->res->arena, 0));
    if (is_config_doc(root))
        r->found_cluster_config = true;

    r->cur = rs;
    r->cur_src = src;
    r->cur_line = root.line;
    r->cur_failed = false;
    r->nfindings = 0;
    kv_arena_reset(&r->scratch);
    kv_eval_resource(r->ev, root, &r->scratch);
    /* re-fetch: hooks may have grown other arrays, not this one */
    rs = &res->resources[res->nresources - 1];
    rs->not_evaluated = r->cur_failed;

    bool oom = false;
    kvet_value eff = kv_eval_effective(r->ev);
    rs->effective = kv_value_copy(&r->res->arena, eff, &oom);
    if (oom)
        r->oom = true;
    if (r->nfindings) {
        qsort(r->findings, r->nfindings, sizeof *r->findings, cmp_finding);
        rs->findings = malloc(r->nfindings * sizeof *rs->findings);
        if (!rs->findings) {
            r->oom = true;
        } else {
            memcpy(rs->findings, r->findings, r->nfindings * sizeof *rs->findings);
            rs->nfindings = r->nfindings;
        }
    }
    /* waivers first (explicit acceptance), then the baseline */
    kv_waivers_resource(r->ctx, &r->ws, r->prog, root, rs, rs->file);
    for (size_t i = 0; i < rs->nfindings; i++) {
        kvet_finding *f = &rs->findings[i];
        if (f->waiver) {
            res->waived++;
        } else if (kv_baseline_has(&r->ws, f, rs)) {
            f->baselined = 1;
            res->baselined++;
        } else if (f->severity <= KVET_SEV_ERROR) {
            res->findings[f->severity]++;
        }
    }
    if (r->in->want_trace) {
        size_t nt;
        const kv_trace_rec *t = kv_eval_trace(r->ev, &nt);
        if (nt) {
            rs->trace = calloc(nt, sizeof *rs->trace);
            if (!rs->trace) {
                r->oom = true;
                nt = 0;
            }
            rs->ntrace = nt;
            for (size_t i = 0; i < nt; i++) {
                const kv_derive *d = &r->prog->derives[t[i].derive];
                kvet_trace *tr = &rs->trace[i];
                tr->name = d->name;
                tr->value = kv_value_copy(&r->res->arena, t[i].value, &oom);
                tr->rule_file = d->pos.file < r->prog->nfiles ? r->prog->files[d->pos.file] : NULL;
                tr->rule_line = d->pos.line;
                tr->rule_col = d->pos.col;
                tr->expr = strdup(d->expr);
                tr->reads = d->reads[0] ? strdup(d->reads) : NULL;
                if (t[i].value.src) {
                    tr->value_file = kv_source_name(r->ctx, t[i].value.src);
                    tr->value_line = t[i].value.line;
                    tr->value_col = t[i].value.col;
                }
            }
        }
    }
}

static int eval_doc(void *ud, kv_doc *doc)
{
    run *r = ud;
    kvet_value root = doc->root;
    kvet_value api = kvet_map_get(root, "apiVersion", 10);
    kvet_value kind = kvet_map_get(root, "kind", 4);
    if (api.type != KVET_STRING || kind.type != KVET_STRING) {
        r->res->pub.skipped++;
        kv_diag(r->ctx, KVET_SEV_NOTE, kv_source_name(r->ctx, doc->src), doc->line, doc->col, 0, NULL,
                "skipped a document without apiVersion and kind (not a Kubernetes resource)");
        return 0;
    }
    /* List kinds: evaluate the items */
    if (kind.u.s->len >= 4 && !strcmp(kind.u.s->data + kind.u.s->len - 4, "List")) {
        kvet_value items = kvet_map_get(root, "items", 5);
        if (items.type == KVET_LIST) {
            for (uint32_t i = 0; i < items.u.l->n; i++) {
                kvet_value it = items.u.l->items[i];
                kvet_value ia = kvet_map_get(it, "apiVersion", 10);
                kvet_value ik = kvet_map_get(it, "kind", 4);
                if (ia.type != KVET_STRING || ik.type != KVET_STRING) {
                    r->res->pub.skipped++;
                    kv_diag(r->ctx, KVET_SEV_NOTE, kv_source_name(r->ctx, doc->src), it.line, it.col, 0, NULL,
                            "skipped a List item without apiVersion and kind");
                    continue;
                }
                eval_resource(r, it, doc->src);
            }
            return 0;
        }
    }
    eval_resource(r, root, doc->src);
    return 0;
}

/* Inputs that produced load errors are reported in result->errors. */
static void collect_input_errors(run *r, size_t from)
{
    for (size_t i = from; i < kvet_diag_count(r->ctx); i++) {
        const kvet_diag *d = kvet_diag_at(r->ctx, i);
        if (d->severity == KVET_SEV_ERROR)
            add_error(r, d->file, d->line, d->col, d->message);
    }
}

static void load_pass(run *r, char **files, size_t nfiles, bool indexing, bool always)
{
    for (size_t i = 0; i < nfiles; i++) {
        char *data = NULL;
        size_t len = 0;
        bool owned = false;
        size_t before = kvet_diag_count(r->ctx);
        if (read_input(r, files[i], &data, &len, &owned) < 0) {
            if (indexing)
                kv_diag_truncate(r->ctx, before); /* pass 2 reports it */
            else
                collect_input_errors(r, before);
            continue;
        }
        if (indexing && !always && !may_hold_queried_kind(r->prog, data, len)) {
            if (owned)
                free(data);
            continue;
        }
        const char *name = !strcmp(files[i], "-") ? "<stdin>" : files[i];
        uint32_t src;
        if (indexing) {
            src = kv_source_add(r->ctx, name);
            kv_load_buffer(r->ctx, name, src, data, len, KV_FMT_AUTO, index_doc, r);
            kv_diag_truncate(r->ctx, before);
        } else {
            src = kv_source_add(r->ctx, name);
            kv_load_buffer(r->ctx, name, src, data, len, KV_FMT_AUTO, eval_doc, r);
            collect_input_errors(r, before);
        }
        if (owned)
            free(data);
    }
}

/* Manifests handed over in memory (kvet_inputs.buffer). */
static void load_memory(run *r, const kvet_inputs *in, bool indexing)
{
    const char *name = in->buffer_name ? in->buffer_name : "<memory>";
    size_t before = kvet_diag_count(r->ctx);
    uint32_t src = kv_source_add(r->ctx, name);
    /* the loaders want a NUL after the text */
    char *copy = malloc(in->buffer_len + 1);
    if (!copy) {
        r->oom = true;
        return;
    }
    memcpy(copy, in->buffer, in->buffer_len);
    copy[in->buffer_len] = '\0';
    if (indexing) {
        kv_load_buffer(r->ctx, name, src, copy, in->buffer_len, KV_FMT_AUTO, index_doc, r);
        kv_diag_truncate(r->ctx, before);
    } else {
        kv_load_buffer(r->ctx, name, src, copy, in->buffer_len, KV_FMT_AUTO, eval_doc, r);
        collect_input_errors(r, before);
    }
    free(copy);
}

kvet_result *kvet_check(kvet_ctx *ctx, const kvet_pack *pack, const kvet_inputs *in)
{
    result_impl *ri = calloc(1, sizeof *ri);
    if (!ri)
        return NULL;
    kv_arena_init(&ri->arena);
    run r;
    memset(&r, 0, sizeof r);
    r.ctx = ctx;
    r.prog = pack;
    r.in = in;
    r.res = ri;
    kv_arena_init(&r.scratch);
    kv_arena_init(&r.index_arena);
    r.query_lists = calloc(pack->nqueries + 1, sizeof *r.query_lists);
    r.query_built = calloc(pack->nqueries + 1, 1);
    r.query_ns = calloc(pack->nqueries + 1, sizeof *r.query_ns);
    kv_vm_hooks hooks = {&r, hook_finding, hook_error, hook_query, hook_query_ns, hook_rule_run, hook_derive_run,
                         kv_coverage_hits(in->coverage, pack)};
    ri->pub.rule_evaluated = calloc(pack->nrules + 1, sizeof(size_t));
    ri->pub.rule_findings = calloc(pack->nrules + 1, sizeof(size_t));
    ri->pub.derive_applied = calloc(pack->nderives + 1, sizeof(size_t));
    ri->pub.derive_valued = calloc(pack->nderives + 1, sizeof(size_t));
    r.env = kv_env_new(ctx, pack, &hooks);
    r.ev = r.env ? kv_eval_new(r.env) : NULL;
    char **files = NULL, **cluster = NULL;
    size_t nfiles = 0, ncluster = 0;
    if (!r.query_lists || !r.query_built || !r.query_ns || !r.ev || !ri->pub.rule_evaluated || !ri->pub.rule_findings ||
        !ri->pub.derive_applied || !ri->pub.derive_valued) {
        r.oom = true;
        goto done;
    }
    for (uint32_t i = 0; i < pack->nrules; i++)
        if (pack->rules[i].enabled)
            ri->pub.nrules++;

    size_t before = kvet_diag_count(ctx);
    if (kv_expand_inputs(ctx, in->paths, in->npaths, &files, &nfiles) < 0)
        collect_input_errors(&r, before);
    before = kvet_diag_count(ctx);
    if (in->ncluster && kv_expand_inputs(ctx, in->cluster, in->ncluster, &cluster, &ncluster) < 0)
        collect_input_errors(&r, before);
    r.ws.arena = &ri->arena;
    r.ws.today = in->today;
    for (size_t i = 0; i < in->nwaiver_files; i++) {
        before = kvet_diag_count(ctx);
        if (kv_waivers_load_file(ctx, &r.ws, in->waiver_files[i]) < 0)
            collect_input_errors(&r, before);
    }
    r.ws.nfile = r.ws.n;
    if (in->baseline) {
        before = kvet_diag_count(ctx);
        if (kv_baseline_load(ctx, &r.ws, in->baseline) < 0)
            collect_input_errors(&r, before);
    }
    r.doc_src_min = (uint32_t)ctx->nsources;

    if (pack->nqueries) {
        load_pass(&r, cluster, ncluster, true, true);
        load_pass(&r, files, nfiles, true, false);
        if (in->buffer)
            load_memory(&r, in, true);
    }
    load_pass(&r, cluster, ncluster, false, false);
    load_pass(&r, files, nfiles, false, false);
    if (in->buffer)
        load_memory(&r, in, false);
    ri->pub.used_cluster_defaults = !r.found_cluster_config;
    kv_waivers_finish(ctx, &r.ws);
    if (r.ws.n) {
        ri->pub.waivers = calloc(r.ws.n, sizeof *ri->pub.waivers);
        if (!ri->pub.waivers) {
            r.oom = true;
        } else {
            for (size_t i = 0; i < r.ws.n; i++)
                ri->pub.waivers[i] = r.ws.v[i]->pub;
            ri->pub.nwaivers = r.ws.n;
            /* findings point into the run's list: move them to the result's */
            for (size_t i = 0; i < ri->pub.nresources; i++)
                for (size_t k = 0; k < ri->pub.resources[i].nfindings; k++) {
                    kvet_finding *f = &ri->pub.resources[i].findings[k];
                    if (f->waiver)
                        f->waiver = &ri->pub.waivers[((const kv_waiver *)f->waiver)->index];
                }
        }
    }

done:
    if (r.oom)
        add_error(&r, NULL, 0, 0, "out of memory");
    kv_free_strings(files, nfiles);
    kv_free_strings(cluster, ncluster);
    for (size_t i = 0; i < r.ndocs; i++)
        if (r.docs[i].arena) {
            kv_arena_free(r.docs[i].arena);
            free(r.docs[i].arena);
        }
    free(r.docs);
    free(r.query_lists);
    free(r.query_built);
    for (uint32_t q = 0; r.query_ns && q < pack->nqueries; q++)
        free(r.query_ns[q].groups);
    free(r.query_ns);
    free(r.findings);
    free(r.stdin_data);
    kv_eval_free(r.ev);
    kv_env_free(r.env);
    kv_waivers_free(&r.ws);
    kv_arena_free(&r.scratch);
    kv_arena_free(&r.index_arena);
    if (!r.oom)
        kv_coverage_add(in->coverage, pack, &ri->pub);
    return &ri->pub;
}

void kvet_result_free(kvet_result *res)
{
    if (!res)
        return;
    result_impl *ri = (result_impl *)res;
    for (size_t i = 0; i < res->nresources; i++) {
        kvet_resource *rs = &res->resources[i];
        for (size_t k = 0; k < rs->nfindings; k++)
            free(rs->findings[k].message);
        free(rs->findings);
        for (size_t k = 0; k < rs->ntrace; k++) {
            free(rs->trace[k].expr);
            free(rs->trace[k].reads);
        }
        free(rs->trace);
    }
    free(res->resources);
    for (size_t i = 0; i < res->nerrors; i++) {
        free(res->errors[i].file);
        free(res->errors[i].message);
    }
    free(res->errors);
    free(res->waivers);
    free(res->rule_evaluated);
    free(res->rule_findings);
    free(res->derive_applied);
    free(res->derive_valued);
    kv_arena_free(&ri->arena);
    free(ri);
}
