/*
 * manifest.c - which documents of an input are Kubernetes resources.
 *
 * The loaders give every YAML or JSON document of a text; a check run
 * wants resources.  Between the two sit the rules of this file:
 *
 *   - a top-level list (a YAML sequence, a JSON array) holds documents: each
 *     item is one, and an item that is not a mapping is an error;
 *   - a List (`kind: List`, or a `FooList` with an `items` list, as kubectl
 *     and the API server write them) holds resources: each item is one.  An
 *     item of a `FooList` without apiVersion and kind is a Foo of the
 *     list's apiVersion (the API server leaves them out); an item of a
 *     `List` must name both;
 *   - a document with neither apiVersion nor kind is not a Kubernetes
 *     resource (a Helm values file, a config file): skipped with a note, as
 *     are a Helm chart's Chart.yaml and documents whose apiVersion or kind is
 *     a template placeholder (`{{ .Values.x }}`, `${VAR}`): those are not
 *     misspelt, they are not rendered yet;
 *   - anything else must have a well-formed apiVersion (GROUP/VERSION, or
 *     VERSION for the core group) and kind: a resource with one of them
 *     missing or malformed is an error at its position, never skipped.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ctx.h"
#include "doc.h"
#include "value.h"
#include "yaml_load.h"

typedef enum where {
    IN_STREAM,     /* a document of the stream */
    IN_TOP_LIST,   /* an item of a top-level list */
    IN_LIST_KIND   /* an item of a List */
} where;

typedef struct mload {
    kvet_ctx *ctx;
    const kv_text *text; /* for excerpts */
    kv_doc_fn fn;
    void *ud;
    kv_manifest_stats *st;
    bool failed;    /* an error was reported */
    bool stop;      /* fn asked to stop */
    bool list_open; /* the List whose pieces are coming was checked and its items are taken */
} mload;

static const char *doc_name(const mload *m, const kv_doc *doc)
{
    const char *n = kv_source_name(m->ctx, doc->src);
    return n ? n : "?";
}

/* Columns a value takes on its line, for the caret. */
static uint32_t value_width(kvet_value v)
{
    if (v.type != KVET_STRING)
        return 1;
    uint32_t w = 0;
    for (uint32_t i = 0; i < v.u.s->len; i++) {
        char c = v.u.s->data[i];
        if (c == '\n')
            break;
        if (((unsigned char)c & 0xC0) != 0x80)
            w++;
    }
    if (v.flags & KVET_VF_QUOTED)
        w += 2;
    return w ? w : 1;
}

static void vreport(mload *m, const kv_doc *doc, kvet_severity sev, kvet_value at, uint32_t width, const char *fmt,
                    va_list ap)
{
    uint32_t line = at.line ? at.line : doc->line, col = at.line ? at.col : doc->col;
    kv_vdiag(m->ctx, sev, doc_name(m, doc), line, col, line ? width : 0,
             sev == KVET_SEV_NOTE ? NULL : kv_text_line(m->text, line), fmt, ap);
    if (sev == KVET_SEV_ERROR) {
        m->failed = true;
        m->st->invalid++;
    } else {
        m->st->skipped++;
    }
}

static void report(mload *m, const kv_doc *doc, kvet_severity sev, kvet_value at, uint32_t width, const char *fmt,
                   ...) __attribute__((format(printf, 6, 7)));
static void report(mload *m, const kv_doc *doc, kvet_severity sev, kvet_value at, uint32_t width, const char *fmt,
                   ...)
{
    va_list ap;
    va_start(ap, fmt);
    vreport(m, doc, sev, at, width, fmt, ap);
    va_end(ap);
}

/* report() with the caret under the whole of value v, whose width is
 * measured only when a problem is reported. */
static void report_value(mload *m, const kv_doc *doc, kvet_severity sev, kvet_value v, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
static void report_value(mload *m, const kv_doc *doc, kvet_severity sev, kvet_value v, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vreport(m, doc, sev, v, value_width(v), fmt, ap);
    va_end(ap);
}

static const char *a_type(kvet_type t)
{
    switch (t) {
    case KVET_NULL: return "null";
    case KVET_BOOL: return "a boolean";
    case KVET_INT: return "an integer";
    case KVET_FLOAT: return "a number";
    case KVET_STRING: return "a string";
    case KVET_LIST: return "a list";
    case KVET_MAP: return "a mapping";
    default: return "nothing";
    }
}

static bool is_str(kvet_value v)
{
    return v.type == KVET_STRING;
}

static bool str_eq(kvet_value v, const char *s)
{
    return is_str(v) && v.u.s->len == strlen(s) && !memcmp(v.u.s->data, s, v.u.s->len);
}

/* A template placeholder: Helm/Go templates, Jinja, envsubst and Flux. */
static bool is_placeholder(kvet_value v)
{
    if (!is_str(v))
        return false;
    const char *s = v.u.s->data;
    size_t n = v.u.s->len;
    /* "{{" or "${": most values hold neither brace, so look for those first */
    for (const char *b = memchr(s, '{', n); b; b = memchr(b + 1, '{', n - (size_t)(b + 1 - s)))
        if (b > s && (b[-1] == '{' || b[-1] == '$'))
            return true;
    return false;
}

static bool lower_alnum(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

#define API_EXPECTED "expected GROUP/VERSION (e.g. apps/v1) or v1 for the core group"

/* Check apiVersion's form.  Returns false after reporting the problem. */
static bool check_api_version(mload *m, const kv_doc *doc, kvet_value api)
{
    const char *s = api.u.s->data;
    size_t n = api.u.s->len;
    if (n == 0) {
        report_value(m, doc, KVET_SEV_ERROR, api, "apiVersion is empty; " API_EXPECTED);
        return false;
    }
    size_t slashes = 0, slash = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r') {
            report_value(m, doc, KVET_SEV_ERROR, api, "apiVersion \"%s\" contains white space; " API_EXPECTED, s);
            return false;
        }
        if (s[i] == '/') {
            if (!slashes)
                slash = i;
            slashes++;
        }
    }
    if (slashes > 1) {
        report_value(m, doc, KVET_SEV_ERROR, api, "apiVersion \"%s\" has more than one '/'; " API_EXPECTED, s);
        return false;
    }
    const char *version = slashes ? s + slash + 1 : s;
    size_t vlen = slashes ? n - slash - 1 : n;
    if (slashes && slash == 0) {
        report_value(m, doc, KVET_SEV_ERROR, api, "apiVersion \"%s\" has no group before '/'; " API_EXPECTED, s);
        return false;
    }
    if (slashes && vlen == 0) {
        report_value(m, doc, KVET_SEV_ERROR, api, "apiVersion \"%s\" has no version after '/'; " API_EXPECTED, s);
        return false;
    }
    if (!slashes && memchr(s, '.', n)) {
        report_value(m, doc, KVET_SEV_ERROR, api,
                     "apiVersion \"%s\" has no version; expected %s/VERSION (GROUP/VERSION, e.g. apps/v1)", s, s);
        return false;
    }
    for (size_t i = 0; slashes && i < slash; i++)
        if (!lower_alnum(s[i]) && s[i] != '-' && s[i] != '.') {
            report_value(m, doc, KVET_SEV_ERROR, api,
                         "apiVersion \"%s\": the group \"%.*s\" is not a DNS name (lowercase letters, digits, '-' and "
                         "'.'); " API_EXPECTED, s, (int)slash, s);
            return false;
        }
    bool ok = version[0] >= 'a' && version[0] <= 'z';
    for (size_t i = 0; ok && i < vlen; i++)
        ok = lower_alnum(version[i]) || version[i] == '-';
    if (!ok) {
        report_value(m, doc, KVET_SEV_ERROR, api,
                     "apiVersion \"%s\": \"%.*s\" is not a version (a lowercase word such as v1 or v1beta1); "
                     API_EXPECTED, s, (int)vlen, version);
        return false;
    }
    return true;
}

static bool check_kind(mload *m, const kv_doc *doc, kvet_value kind)
{
    const char *s = kind.u.s->data;
    size_t n = kind.u.s->len;
    bool ok = n > 0 && ((s[0] >= 'A' && s[0] <= 'Z') || (s[0] >= 'a' && s[0] <= 'z'));
    for (size_t i = 1; ok && i < n; i++)
        ok = (s[i] >= 'A' && s[i] <= 'Z') || lower_alnum(s[i]) || s[i] == '-';
    if (n == 0)
        report_value(m, doc, KVET_SEV_ERROR, kind,
                     "kind is empty; expected the resource's kind (e.g. kind: Deployment)");
    else if (!ok)
        report_value(m, doc, KVET_SEV_ERROR, kind,
                     "kind \"%s\" is not a kind name (a letter, then letters and digits, e.g. InferenceService)", s);
    return ok;
}

/* A key that looks like a misspelt apiVersion or kind (`apiversion`,
 * `piVersion`, `Kind`): NULL when there is none. */
static const kvet_map_entry *near_miss(kvet_value map, const char *want)
{
    size_t wl = strlen(want);
    for (uint32_t i = 0; i < map.u.m->n; i++) {
        const kvet_string *k = map.u.m->e[i].key;
        if (k->len == wl && !memcmp(k->data, want, wl))
            continue;
        if (k->len == wl && !strncasecmp(k->data, want, wl))
            return &map.u.m->e[i];
        if (wl >= 8 && k->len >= wl - 2 && k->len <= wl + 2 && kv_edit_distance(k->data, want) <= 2)
            return &map.u.m->e[i];
    }
    return NULL;
}

/* After an error about a missing apiVersion or kind: name the key that was
 * probably meant. */
static void hint_near_miss(mload *m, kvet_value map, const char *want)
{
    const kvet_map_entry *e = near_miss(map, want);
    if (e)
        kv_diag_hint(m->ctx, "did you mean `%s`? `%s` is written at line %u", want, e->key->data, e->val.line);
}

/* A Helm chart's Chart.yaml: apiVersion v1 or v2, a name and a version, no
 * kind and no metadata. */
static bool is_helm_chart(kvet_value root, kvet_value api)
{
    return (str_eq(api, "v1") || str_eq(api, "v2")) && kvet_map_get(root, "kind", 4).type == KVET_ABSENT &&
           kvet_map_get(root, "metadata", 8).type == KVET_ABSENT && is_str(kvet_map_get(root, "name", 4)) &&
           kvet_map_get(root, "version", 7).type != KVET_ABSENT;
}

static int take(mload *m, const kv_doc *doc, kvet_value v, int depth, where w);

/* Give fn one resource.  Only a whole document's arena may change hands;
 * an item shares its document's. */
static int deliver(mload *m, const kv_doc *doc, kvet_value v, bool whole)
{
    kv_doc d = *doc;
    d.root = v;
    if (v.line) {
        d.line = v.line;
        d.col = v.col;
    }
    if (!whole)
        d.arena = NULL;
    int r = m->fn(m->ud, &d);
    if (r < 0)
        m->stop = true;
    return whole ? r : (r < 0 ? -1 : 0);
}

/* The items of a List document; kind is the List's kind. */
static void list_items(mload *m, const kv_doc *doc, kvet_value api, kvet_value kind, kvet_value items,
                       int depth)
{
    if (items.type == KVET_ABSENT || items.type == KVET_NULL)
        return; /* an empty List */
    if (items.type != KVET_LIST) {
        report(m, doc, KVET_SEV_ERROR, items, 1, "items of a %s must be a list, not %s", kind.u.s->data,
               a_type(items.type));
        return;
    }
    /* a FooList's items are Foos: the API server leaves their apiVersion and kind out */
    size_t base = kind.u.s->len - 4;
    for (uint32_t i = 0; i < items.u.l->n && !m->stop; i++) {
        kvet_value it = items.u.l->items[i];
        if (it.type == KVET_MAP && base > 0 && kvet_map_get(it, "apiVersion", 10).type == KVET_ABSENT &&
            kvet_map_get(it, "kind", 4).type == KVET_ABSENT) {
            kvet_map *mm = doc->arena ? kv_map_new(doc->arena, it.u.m->n + 2) : NULL;
            kvet_string *k = doc->arena ? kv_string_new(doc->arena, kind.u.s->data, base) : NULL;
            if (!mm || !k) {
                report(m, doc, KVET_SEV_ERROR, it, 1, "out of memory");
                return;
            }
            mm->e[0].key = kv_string_cstr(doc->arena, "apiVersion");
            mm->e[0].val = api;
            mm->e[1].key = kv_string_cstr(doc->arena, "kind");
            mm->e[1].val = kv_at(kv_str_value(k), kind);
            if (!mm->e[0].key || !mm->e[1].key) {
                report(m, doc, KVET_SEV_ERROR, it, 1, "out of memory");
                return;
            }
            memcpy(&mm->e[2], it.u.m->e, it.u.m->n * sizeof *mm->e);
            it = kv_at(kv_map_value(mm), it);
        }
        take(m, doc, it, depth + 1, IN_LIST_KIND);
    }
}

/* One document (or item): classify it, and hand on what is a resource.
 * Returns fn's answer for a whole document (IN_STREAM), else 0; -1 when fn
 * asked to stop. */
static int take(mload *m, const kv_doc *doc, kvet_value v, int depth, where w)
{
    if (depth > 8) {
        report(m, doc, KVET_SEV_ERROR, v, 1, "Lists nested more than 8 deep");
        return 0;
    }
    if (v.type != KVET_MAP) {
        if (w == IN_STREAM) {
            /* a scalar document (a YAML file holding only text): not a resource */
            m->st->documents++;
            report(m, doc, KVET_SEV_NOTE, v, 1, "skipped a document that is %s, not a mapping (not a Kubernetes "
                   "resource)", a_type(v.type));
        } else {
            m->st->documents++;
            report(m, doc, KVET_SEV_ERROR, v, 1, "%s holds Kubernetes resources, but this item is %s, not a mapping",
                   w == IN_TOP_LIST ? "a top-level list" : "a List", a_type(v.type));
        }
        return 0;
    }
    kvet_value api = kvet_map_get(v, "apiVersion", 10);
    kvet_value kind = kvet_map_get(v, "kind", 4);
    bool has_api = api.type != KVET_ABSENT, has_kind = kind.type != KVET_ABSENT;
    /* a List is not a document of its own: its items are */
    if (is_str(kind) && kind.u.s->len >= 4 && !memcmp(kind.u.s->data + kind.u.s->len - 4, "List", 4)) {
        kvet_value items = kvet_map_get(v, "items", 5);
        if (kind.u.s->len == 4 || items.type == KVET_LIST) {
            if (is_placeholder(api)) {
                m->st->documents++;
                report_value(m, doc, KVET_SEV_NOTE, api,
                             "skipped a document whose apiVersion is a template placeholder (%s): render it first",
                             api.u.s->data);
                return 0;
            }
            if (!has_api) {
                m->st->documents++;
                report(m, doc, KVET_SEV_ERROR, v, 1, "kind \"%s\" without an apiVersion; " API_EXPECTED,
                       kind.u.s->data);
                return 0;
            }
            if (!is_str(api)) {
                m->st->documents++;
                report(m, doc, KVET_SEV_ERROR, api, 1, "apiVersion is %s, not a string; " API_EXPECTED,
                       a_type(api.type));
                return 0;
            }
            if (!check_api_version(m, doc, api)) {
                m->st->documents++;
                return 0;
            }
            if (depth == 0)
                m->list_open = true;
            list_items(m, doc, api, kind, items, depth);
            return m->stop ? -1 : 0;
        }
    }
    m->st->documents++;
    if (!has_api && !has_kind) {
        const kvet_map_entry *ma = near_miss(v, "apiVersion"), *mk = near_miss(v, "kind");
        if (ma || mk) {
            /* a resource with its keys misspelt is not "not a resource" */
            const kvet_map_entry *e = ma ? ma : mk;
            /* the key itself: in a block mapping, keys start in the mapping's column */
            kvet_value at = e->val;
            at.col = v.col;
            const char *want = ma ? "apiVersion" : "kind";
            report(m, doc, KVET_SEV_ERROR, at, e->key->len, "`%s` is not `%s`%s: this resource has no apiVersion and "
                   "kind", e->key->data, want, strcasecmp(e->key->data, want) ? "" : " (keys are case-sensitive)");
            return 0;
        }
        if (w == IN_LIST_KIND)
            report(m, doc, KVET_SEV_ERROR, v, 1, "a List item without apiVersion and kind; the items of a List are "
                   "Kubernetes resources and name both");
        else
            report(m, doc, KVET_SEV_NOTE, v, 1,
                   "skipped a document without apiVersion and kind (not a Kubernetes resource)");
        return 0;
    }
    if (is_placeholder(api) || is_placeholder(kind)) {
        kvet_value p = is_placeholder(api) ? api : kind;
        report_value(m, doc, KVET_SEV_NOTE, p,
                     "skipped a document whose %s is a template placeholder (%s): render it first",
                     is_placeholder(api) ? "apiVersion" : "kind", p.u.s->data);
        return 0;
    }
    if (!has_kind && is_helm_chart(v, api) && w == IN_STREAM) {
        report(m, doc, KVET_SEV_NOTE, v, 1, "skipped a Helm chart description (Chart.yaml; not a Kubernetes "
               "resource)");
        return 0;
    }
    if (!has_api) {
        if (is_str(kind))
            report(m, doc, KVET_SEV_ERROR, v, 1, "kind \"%s\" without an apiVersion; " API_EXPECTED, kind.u.s->data);
        else
            report(m, doc, KVET_SEV_ERROR, v, 1, "kind without an apiVersion; " API_EXPECTED);
        hint_near_miss(m, v, "apiVersion");
        return 0;
    }
    if (!is_str(api)) {
        report(m, doc, KVET_SEV_ERROR, api, 1, "apiVersion is %s, not a string; " API_EXPECTED, a_type(api.type));
        return 0;
    }
    if (!check_api_version(m, doc, api))
        return 0;
    if (!has_kind) {
        report(m, doc, KVET_SEV_ERROR, v, 1, "apiVersion \"%s\" without a kind; a Kubernetes resource names its kind "
               "(e.g. kind: Deployment)", api.u.s->data);
        hint_near_miss(m, v, "kind");
        return 0;
    }
    if (!is_str(kind)) {
        report(m, doc, KVET_SEV_ERROR, kind, 1, "kind is %s, not a string; expected the resource's kind (e.g. kind: "
               "Deployment)", a_type(kind.type));
        return 0;
    }
    if (!check_kind(m, doc, kind))
        return 0;
    m->st->resources++;
    return deliver(m, doc, v, w == IN_STREAM);
}

static int on_doc(void *ud, kv_doc *doc)
{
    mload *m = ud;
    kvet_value root = doc->root;
    if (doc->piece == KV_PIECE_NEXT && root.type == KVET_MAP) {
        /* more items of a List: the List itself was checked with its first piece */
        if (m->list_open)
            list_items(m, doc, kvet_map_get(root, "apiVersion", 10), kvet_map_get(root, "kind", 4),
                       kvet_map_get(root, "items", 5), 0);
        return m->stop ? -1 : 0;
    }
    m->list_open = false;
    if (root.type == KVET_LIST) {
        for (uint32_t i = 0; i < root.u.l->n && !m->stop; i++)
            take(m, doc, root.u.l->items[i], 1, IN_TOP_LIST);
        return m->stop ? -1 : 0;
    }
    /* a resource on its own may take its document's arena */
    int r = take(m, doc, root, 0, IN_STREAM);
    return m->stop ? -1 : r;
}

int kv_load_manifests(kvet_ctx *ctx, const char *name, uint32_t src, const char *data, size_t len,
                      unsigned flags, kv_doc_fn fn, void *ud, kv_manifest_stats *stats)
{
    return kv_load_manifests_in(ctx, name, src, data, len, flags, NULL, fn, ud, stats);
}

int kv_load_manifests_in(kvet_ctx *ctx, const char *name, uint32_t src, const char *data, size_t len,
                         unsigned flags, kv_arena *into, kv_doc_fn fn, void *ud, kv_manifest_stats *stats)
{
    kv_manifest_stats none;
    if (!stats)
        stats = &none;
    memset(stats, 0, sizeof *stats);
    kv_line_cursor cursor = {NULL, 0, 0, 0};
    kv_text text = {data, len, 1, false, NULL, 0, &cursor};
    mload m = {ctx, &text, fn, ud, stats, false, false, false};
    int rc = kv_load_buffer_in(ctx, name, src, data, len, KV_FMT_AUTO, flags, into, on_doc, &m);
    return rc < 0 || m.failed ? -1 : 0;
}

int kv_load_manifests_yaml_stream(kvet_ctx *ctx, const kv_yaml_stream *in, kv_arena *into, kv_doc_fn fn, void *ud,
                                  kv_manifest_stats *stats)
{
    kv_manifest_stats none;
    if (!stats)
        stats = &none;
    memset(stats, 0, sizeof *stats);
    mload m = {ctx, NULL, fn, ud, stats, false, false, false};
    /* the split reads alone what it cannot cut (one thread, a stream) */
    int rc = into ? kv_load_yaml_window(ctx, in, into, on_doc, &m, &m.text)
                  : kv_load_yaml_split(ctx, in, on_doc, &m, &m.text);
    return rc < 0 || m.failed ? -1 : 0;
}

int kv_load_manifests_yaml_window(kvet_ctx *ctx, const char *path, const char *name, uint32_t src, size_t window,
                                  unsigned threads, kv_arena *into, kv_doc_fn fn, void *ud,
                                  kv_manifest_stats *stats)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        if (stats)
            memset(stats, 0, sizeof *stats);
        kv_diag(ctx, KVET_SEV_ERROR, name, 0, 0, 0, NULL, "cannot open: %s", strerror(errno));
        return -1;
    }
    kv_yaml_stream in = {.f = f, .name = name, .src = src, .window = window, .threads = threads};
    int rc = kv_load_manifests_yaml_stream(ctx, &in, into, fn, ud, stats);
    fclose(f);
    return rc;
}

int kv_load_manifests_planned(kvet_ctx *ctx, kv_json_plan *plan, const char *name, uint32_t src, kv_doc_fn fn,
                              void *ud, kv_manifest_stats *stats)
{
    kv_manifest_stats none;
    if (!stats)
        stats = &none;
    memset(stats, 0, sizeof *stats);
    mload m = {ctx, NULL, fn, ud, stats, false, false, false};
    /* the loader points m.text at its window before it hands anything on */
    int rc = kv_json_plan_load(plan, name, src, on_doc, &m, &m.text);
    return rc < 0 || m.failed ? -1 : 0;
}
