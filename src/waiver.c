/*
 * waiver.c - waivers (annotation and file) and baselines.
 *
 * A waiver accepts the findings of one rule on some resources, with a
 * reason, an owner and an expiry date.  Waived findings are never dropped:
 * they stay in the result, marked with the waiver, and do not count toward
 * the exit status.  Expired, stale, invalid and forbidden waivers are listed
 * in the result and reported as warnings.  A baseline lists (rule, resource)
 * pairs accepted as they are; findings in it do not fail the run either.
 * Both match by rule id and resource identity, never by line number.
 */
#include "waiver.h"

#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

#include "ctx.h"
#include "doc.h"
#include "program.h"
#include "value.h"

const char *kvet_waiver_status_name(kvet_waiver_status s)
{
    switch (s) {
    case KVET_WAIVER_ACTIVE: return "active";
    case KVET_WAIVER_EXPIRED: return "expired";
    case KVET_WAIVER_STALE: return "stale";
    case KVET_WAIVER_INVALID: return "invalid";
    case KVET_WAIVER_FORBIDDEN: return "forbidden";
    }
    return "?";
}

static bool glob(const char *pat, const char *s)
{
    return kv_glob_match(pat, s, strlen(s));
}

static kv_waiver *waiver_new(kv_waivers *ws)
{
    if (ws->n == ws->cap) {
        size_t cap = ws->cap ? ws->cap * 2 : 16;
        kv_waiver **v = realloc(ws->v, cap * sizeof *v);
        if (!v)
            return NULL;
        ws->v = v;
        ws->cap = cap;
    }
    kv_waiver *w = kv_arena_calloc(ws->arena, sizeof *w);
    if (!w)
        return NULL;
    w->index = ws->n;
    ws->v[ws->n++] = w;
    return w;
}

static const char *adup(kv_waivers *ws, const char *s)
{
    const char *d = kv_arena_strdup(ws->arena, s ? s : "");
    return d ? d : "";
}

/* YYYY-MM-DD with a plausible month and day. */
static bool valid_date(const char *s)
{
    if (strlen(s) != 10 || s[4] != '-' || s[7] != '-')
        return false;
    for (int i = 0; i < 10; i++)
        if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9'))
            return false;
    int m = (s[5] - '0') * 10 + (s[6] - '0'), d = (s[8] - '0') * 10 + (s[9] - '0');
    return m >= 1 && m <= 12 && d >= 1 && d <= 31;
}

/* ---------------------------------------------------------- waiver files */

typedef struct fileload {
    kvet_ctx *ctx;
    kv_waivers *ws;
    const char *path;
    const char *text;
    size_t len;
    int errors;
} fileload;

static void ferr(fileload *F, kvet_value at, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void ferr(fileload *F, kvet_value at, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    kv_vdiag(F->ctx, KVET_SEV_ERROR, F->path, at.line, at.col, 1, kv_line_start(F->text, F->len, at.line), fmt, ap);
    va_end(ap);
    F->errors++;
}

static const char *req_string(fileload *F, kvet_value map, const char *key, const char *what)
{
    kvet_value v = kvet_map_get(map, key, strlen(key));
    if (v.type == KVET_ABSENT) {
        ferr(F, map, "waiver: `%s` is required (%s)", key, what);
        return NULL;
    }
    if (v.type != KVET_STRING || v.u.s->len == 0) {
        ferr(F, v.type == KVET_ABSENT ? map : v, "waiver: `%s` must be a non-empty string (%s)", key, what);
        return NULL;
    }
    return v.u.s->data;
}

static int load_waiver_doc(void *ud, kv_doc *doc)
{
    fileload *F = ud;
    kvet_value root = doc->root;
    if (root.type != KVET_MAP) {
        ferr(F, root, "waiver file: expected a mapping with `waivers:`");
        return 0;
    }
    kvet_value policy = kvet_map_get(root, "policy", 6);
    if (policy.type == KVET_MAP) {
        kvet_value aw = kvet_map_get(policy, "annotationWaivers", 17);
        if (aw.type == KVET_STRING && !strcmp(aw.u.s->data, "deny"))
            F->ws->deny_annotations = true;
        else if (aw.type != KVET_ABSENT && !(aw.type == KVET_STRING && !strcmp(aw.u.s->data, "allow")))
            ferr(F, aw, "waiver file: policy.annotationWaivers must be \"allow\" or \"deny\"");
        kvet_value fo = kvet_map_get(policy, "fileOnlyRules", 13);
        if (fo.type == KVET_LIST) {
            for (uint32_t i = 0; i < fo.u.l->n; i++) {
                kvet_value r = fo.u.l->items[i];
                if (r.type != KVET_STRING) {
                    ferr(F, r, "waiver file: policy.fileOnlyRules lists rule ids (strings)");
                    continue;
                }
                const char **v = realloc(F->ws->file_only, (F->ws->nfile_only + 1) * sizeof *v);
                if (!v)
                    return -1;
                F->ws->file_only = v;
                v[F->ws->nfile_only++] = adup(F->ws, r.u.s->data);
            }
        } else if (fo.type != KVET_ABSENT) {
            ferr(F, fo, "waiver file: policy.fileOnlyRules must be a list of rule ids");
        }
    } else if (policy.type != KVET_ABSENT) {
        ferr(F, policy, "waiver file: `policy` must be a mapping");
    }
    kvet_value list = kvet_map_get(root, "waivers", 7);
    if (list.type == KVET_ABSENT) {
        if (policy.type == KVET_ABSENT)
            ferr(F, root, "waiver file: expected `waivers:` (a list) or `policy:`");
        return 0;
    }
    if (list.type != KVET_LIST) {
        ferr(F, list, "waiver file: `waivers` must be a list");
        return 0;
    }
    for (uint32_t i = 0; i < list.u.l->n; i++) {
        kvet_value e = list.u.l->items[i];
        if (e.type != KVET_MAP) {
            ferr(F, e, "waiver file: each waiver is a mapping with rule, resource, reason, owner and expires");
            continue;
        }
        static const char *const known[] = {"rule", "resource", "reason", "owner", "expires", NULL};
        for (uint32_t k = 0; k < e.u.m->n; k++) {
            bool ok = false;
            for (int j = 0; known[j]; j++)
                ok |= !strcmp(e.u.m->e[k].key->data, known[j]);
            if (!ok)
                ferr(F, e.u.m->e[k].val, "waiver: unknown field `%s` (expected rule, resource, reason, owner, expires)",
                     e.u.m->e[k].key->data);
        }
        const char *rule = req_string(F, e, "rule", "the rule id it waives; * is a wildcard");
        const char *reason = req_string(F, e, "reason", "why the finding is accepted");
        const char *owner = req_string(F, e, "owner", "who accepted it");
        const char *expires = req_string(F, e, "expires", "the last day it applies, YYYY-MM-DD");
        kvet_value ex = kvet_map_get(e, "expires", 7);
        if (expires && !valid_date(expires)) {
            ferr(F, ex, "waiver: expires must be a date written YYYY-MM-DD, got \"%s\"", expires);
            expires = NULL;
        }
        kvet_value res = kvet_map_get(e, "resource", 8);
        const char *kind = "*", *ns = "*", *name = "*";
        if (res.type == KVET_MAP) {
            static const char *const rk[] = {"kind", "namespace", "name", NULL};
            for (uint32_t k = 0; k < res.u.m->n; k++) {
                bool ok = false;
                for (int j = 0; rk[j]; j++)
                    ok |= !strcmp(res.u.m->e[k].key->data, rk[j]);
                kvet_value v = res.u.m->e[k].val;
                if (!ok)
                    ferr(F, v, "waiver: unknown resource field `%s` (expected kind, namespace, name)",
                         res.u.m->e[k].key->data);
                else if (v.type != KVET_STRING)
                    ferr(F, v, "waiver: resource.%s must be a string", res.u.m->e[k].key->data);
            }
            kvet_value v;
            if ((v = kvet_map_get(res, "kind", 4)).type == KVET_STRING) kind = v.u.s->data;
            if ((v = kvet_map_get(res, "namespace", 9)).type == KVET_STRING) ns = v.u.s->data;
            if ((v = kvet_map_get(res, "name", 4)).type == KVET_STRING) name = v.u.s->data;
        } else if (res.type != KVET_ABSENT) {
            ferr(F, res, "waiver: `resource` must be a mapping with kind, namespace and name (each may use *)");
        }
        if (!rule || !reason || !owner || !expires)
            continue;
        kv_waiver *w = waiver_new(F->ws);
        if (!w)
            return -1;
        w->pub.from_file = 1;
        w->pub.file = adup(F->ws, F->path);
        w->pub.line = e.line;
        w->pub.rule = adup(F->ws, rule);
        w->kind = adup(F->ws, kind);
        w->ns = adup(F->ws, ns);
        w->name = adup(F->ws, name);
        char sel[1024];
        snprintf(sel, sizeof sel, "%s %s/%s", kind, ns, name);
        w->pub.selector = adup(F->ws, sel);
        w->pub.reason = adup(F->ws, reason);
        w->pub.owner = adup(F->ws, owner);
        w->pub.expires = adup(F->ws, expires);
        w->pub.status = (F->ws->today && strcmp(F->ws->today, expires) > 0) ? KVET_WAIVER_EXPIRED : KVET_WAIVER_ACTIVE;
    }
    return 0;
}

int kv_waivers_load_file(kvet_ctx *ctx, kv_waivers *ws, const char *path)
{
    char *text;
    size_t len;
    if (kv_read_file(ctx, path, &text, &len) < 0)
        return -1;
    fileload F = {ctx, ws, path, text, len, 0};
    uint32_t src = kv_source_add(ctx, path);
    int rc = kv_load_buffer(ctx, path, src, text, len, KV_FMT_YAML, load_waiver_doc, &F);
    free(text);
    return rc < 0 || F.errors ? -1 : 0;
}

/* ------------------------------------------------------ applying waivers */

static bool file_only(const kv_waivers *ws, const kv_rule *rule)
{
    for (uint32_t i = 0; i < rule->nmeta; i++)
        if (!strcmp(rule->meta_keys[i], "waivers") && !strcmp(rule->meta_vals[i], "file-only"))
            return true;
    for (size_t i = 0; i < ws->nfile_only; i++)
        if (glob(ws->file_only[i], rule->id))
            return true;
    return false;
}

static int byname_cmp(const void *a, const void *b)
{
    const kv_waiver *x = *(kv_waiver *const *)a, *y = *(kv_waiver *const *)b;
    int c = strcmp(x->name, y->name);
    return c ? c : (x->index > y->index) - (x->index < y->index);
}

/* Index the file waivers by name: a finding is looked up among the waivers
 * of its resource's name and the patterns, not every waiver (20,000
 * waivers over 100,000 resources took 9 s). */
static void index_file_waivers(kv_waivers *ws)
{
    ws->indexed = true;
    ws->byname = malloc((ws->nfile + 1) * sizeof *ws->byname);
    ws->wild = malloc((ws->nfile + 1) * sizeof *ws->wild);
    if (!ws->byname || !ws->wild) {
        /* out of memory: every waiver is a pattern to try, as before */
        free(ws->byname);
        ws->byname = NULL;
        free(ws->wild);
        ws->wild = NULL;
        return;
    }
    for (size_t k = 0; k < ws->nfile; k++) {
        kv_waiver *w = ws->v[k];
        if (strchr(w->name, '*'))
            ws->wild[ws->nwild++] = w;
        else
            ws->byname[ws->nbyname++] = w;
    }
    qsort(ws->byname, ws->nbyname, sizeof *ws->byname, byname_cmp);
}

static bool file_waiver_applies(const kv_waiver *w, const kvet_finding *f, const kvet_resource *res)
{
    return (w->pub.status == KVET_WAIVER_ACTIVE || w->pub.status == KVET_WAIVER_STALE) && glob(w->pub.rule, f->rule) &&
           glob(w->kind, res->kind) && glob(w->ns, res->ns) && glob(w->name, res->name);
}

/* The first file waiver, in file order, that takes finding f of res;
 * those of res's name are byname[named..]. */
static kv_waiver *file_waiver_for(const kv_waivers *ws, size_t named, const kvet_finding *f,
                                  const kvet_resource *res)
{
    kv_waiver *hit = NULL;
    if (!ws->byname) {
        for (size_t k = 0; k < ws->nfile && !hit; k++)
            if (file_waiver_applies(ws->v[k], f, res))
                hit = ws->v[k];
        return hit;
    }
    for (size_t k = named; k < ws->nbyname && !strcmp(ws->byname[k]->name, res->name) && !hit; k++)
        if (file_waiver_applies(ws->byname[k], f, res))
            hit = ws->byname[k];
    for (size_t k = 0; k < ws->nwild && (!hit || ws->wild[k]->index < hit->index); k++)
        if (file_waiver_applies(ws->wild[k], f, res))
            return ws->wild[k];
    return hit;
}

void kv_waivers_resource(kvet_ctx *ctx, kv_waivers *ws, const kvet_pack *prog, kvet_value root,
                         kvet_resource *res, const char *file)
{
    if (!ws->indexed)
        index_file_waivers(ws);
    kvet_value ann = kvet_map_get(kvet_map_get(root, "metadata", 8), "annotations", 11);
    kvet_value waive = kvet_map_get(ann, "kvet.dev/waive", 14);
    size_t first_ann = ws->n;
    if (waive.type == KVET_STRING) {
        kvet_value reason = kvet_map_get(ann, "kvet.dev/waive-reason", 21);
        kvet_value owner = kvet_map_get(ann, "kvet.dev/waive-owner", 20);
        kvet_value expires = kvet_map_get(ann, "kvet.dev/waive-expires", 22);
        char sel[1024];
        snprintf(sel, sizeof sel, "%s %s/%s", res->kind, res->ns, res->name);
        /* one waiver per rule id in the comma-separated list */
        const char *p = waive.u.s->data;
        while (*p) {
            while (*p == ' ' || *p == ',')
                p++;
            const char *q = p;
            while (*q && *q != ',' && *q != ' ')
                q++;
            if (q == p)
                break;
            kv_waiver *w = waiver_new(ws);
            if (!w)
                return;
            char id[256];
            snprintf(id, sizeof id, "%.*s", (int)(q - p), p);
            w->pub.from_file = 0;
            w->pub.file = adup(ws, file);
            w->pub.line = waive.line;
            w->pub.rule = adup(ws, id);
            w->pub.selector = adup(ws, sel);
            w->pub.reason = reason.type == KVET_STRING ? adup(ws, reason.u.s->data) : "";
            w->pub.owner = owner.type == KVET_STRING ? adup(ws, owner.u.s->data) : "";
            w->pub.expires = expires.type == KVET_STRING ? adup(ws, expires.u.s->data) : "";
            w->resource_only = true;
            if (!w->pub.reason[0]) {
                w->pub.status = KVET_WAIVER_INVALID;
            } else if (w->pub.expires[0] && !valid_date(w->pub.expires)) {
                w->pub.status = KVET_WAIVER_INVALID;
            } else if (w->pub.expires[0] && ws->today && strcmp(ws->today, w->pub.expires) > 0) {
                w->pub.status = KVET_WAIVER_EXPIRED;
            } else {
                w->pub.status = KVET_WAIVER_ACTIVE;
            }
            if (w->pub.status == KVET_WAIVER_ACTIVE && ws->deny_annotations)
                w->pub.status = KVET_WAIVER_FORBIDDEN;
            if (w->pub.status == KVET_WAIVER_ACTIVE) {
                for (uint32_t r = 0; r < prog->nrules; r++)
                    if (!strcmp(prog->rules[r].id, id) && file_only(ws, &prog->rules[r]))
                        w->pub.status = KVET_WAIVER_FORBIDDEN;
            }
            p = q;
        }
    }
    /* the first file waiver of res's name */
    size_t named = 0, hi = ws->nbyname;
    while (named < hi) {
        size_t mid = named + (hi - named) / 2;
        if (strcmp(ws->byname[mid]->name, res->name) < 0)
            named = mid + 1;
        else
            hi = mid;
    }
    for (size_t i = 0; i < res->nfindings; i++) {
        kvet_finding *f = &res->findings[i];
        kv_waiver *hit = NULL;
        /* the resource's own annotation first, then the files */
        for (size_t k = first_ann; k < ws->n && !hit; k++)
            if (ws->v[k]->pub.status == KVET_WAIVER_ACTIVE && !strcmp(ws->v[k]->pub.rule, f->rule))
                hit = ws->v[k];
        if (!hit)
            hit = file_waiver_for(ws, named, f, res);
        if (hit) {
            hit->pub.matched++;
            f->waiver = &hit->pub; /* remapped to the result's array at the end */
        }
    }
    (void)ctx;
}

void kv_waivers_finish(kvet_ctx *ctx, kv_waivers *ws)
{
    for (size_t i = 0; i < ws->n; i++) {
        kvet_waiver *w = &ws->v[i]->pub;
        if (w->status == KVET_WAIVER_ACTIVE && w->matched == 0)
            w->status = KVET_WAIVER_STALE;
        switch (w->status) {
        case KVET_WAIVER_EXPIRED:
            kv_diag(ctx, KVET_SEV_WARNING, w->file, w->line, 0, 0, NULL,
                    "waiver for %s (%s) expired on %s: it no longer waives anything", w->rule, w->selector, w->expires);
            break;
        case KVET_WAIVER_STALE:
            kv_diag(ctx, KVET_SEV_WARNING, w->file, w->line, 0, 0, NULL,
                    "stale waiver: %s (%s) matches no finding; remove it", w->rule, w->selector);
            break;
        case KVET_WAIVER_INVALID:
            kv_diag(ctx, KVET_SEV_WARNING, w->file, w->line, 0, 0, NULL,
                    "waiver annotation for %s on %s ignored: it needs kvet.dev/waive-reason (and a YYYY-MM-DD "
                    "kvet.dev/waive-expires when given)", w->rule, w->selector);
            break;
        case KVET_WAIVER_FORBIDDEN:
            kv_diag(ctx, KVET_SEV_WARNING, w->file, w->line, 0, 0, NULL,
                    "waiver annotation for %s on %s ignored: this rule may only be waived in a reviewed waiver file",
                    w->rule, w->selector);
            break;
        default:
            break;
        }
    }
}

void kv_waivers_free(kv_waivers *ws)
{
    free(ws->byname);
    free(ws->wild);
    ws->byname = ws->wild = NULL;
    free(ws->v);
    free(ws->file_only);
    free(ws->baseline);
    free(ws->baseline_order);
    ws->v = NULL;
    ws->file_only = NULL;
    ws->baseline = NULL;
    ws->baseline_order = NULL;
}

/* ------------------------------------------------------------ baselines */

static int entry_cmp(const kvet_baseline_entry *x, const char *rule, const char *api, const char *kind,
                     const char *ns, const char *name)
{
    int c;
    if ((c = strcmp(x->rule, rule))) return c;
    if ((c = strcmp(x->api_version, api))) return c;
    if ((c = strcmp(x->kind, kind))) return c;
    if ((c = strcmp(x->ns, ns))) return c;
    return strcmp(x->name, name);
}

/* qsort has no context argument: the entries are found through the
 * index's first element, which the caller sets before sorting */
typedef struct order_key {
    const kvet_baseline_entry *all;
    size_t i;
} order_key;

static int order_cmp(const void *a, const void *b)
{
    const order_key *x = a, *y = b;
    const kvet_baseline_entry *e = &y->all[y->i];
    int c = entry_cmp(&x->all[x->i], e->rule, e->api_version, e->kind, e->ns, e->name);
    return c ? c : (x->i > y->i) - (x->i < y->i);
}

/* The line and column each object of the top-level "findings" list starts
 * at, in order (cJSON keeps no positions).  Fills at most n of each. */
static void entry_lines(const char *text, size_t len, uint32_t *lines, uint32_t *cols, size_t n)
{
    uint32_t line = 1;
    size_t bol = 0; /* where the current line begins */
    int depth = 0, list_depth = -1;
    size_t found = 0;
    const char *key = NULL; /* the last string closed at depth 1 */
    size_t keylen = 0;
    for (size_t i = 0; i < len && found < n; i++) {
        char c = text[i];
        if (c == '\n') {
            line++;
            bol = i + 1;
        } else if (c == '"') {
            size_t j = i + 1;
            while (j < len && text[j] != '"') {
                if (text[j] == '\\')
                    j++;
                else if (text[j] == '\n') {
                    line++;
                    bol = j + 1;
                }
                j++;
            }
            if (depth == 1) {
                key = text + i + 1;
                keylen = j - i - 1;
            }
            i = j;
        } else if (c == '{' || c == '[') {
            if (c == '[' && depth == 1 && key && keylen == 8 && !memcmp(key, "findings", 8))
                list_depth = depth + 1;
            else if (c == '{' && depth == list_depth) {
                cols[found] = (uint32_t)(i - bol + 1);
                lines[found++] = line;
            }
            depth++;
        } else if (c == '}' || c == ']') {
            depth--;
            if (depth < list_depth)
                list_depth = -1;
        }
    }
}

int kv_baseline_load(kvet_ctx *ctx, kv_waivers *ws, const char *path)
{
    char *text;
    size_t len;
    if (kv_read_file(ctx, path, &text, &len) < 0)
        return -1;
    const char *end = NULL;
    cJSON *root = cJSON_ParseWithLengthOpts(text, len, &end, 0);
    const cJSON *fmt = root ? cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(root, "kvet"), "baseline") : NULL;
    const cJSON *list = root ? cJSON_GetObjectItemCaseSensitive(root, "findings") : NULL;
    if (!root || !cJSON_IsNumber(fmt) || fmt->valueint != 1 || !cJSON_IsArray(list)) {
        kv_diag(ctx, KVET_SEV_ERROR, path, 0, 0, 0, NULL,
                "not a kvet baseline (expected JSON with \"kvet\": {\"baseline\": 1} and a \"findings\" list; "
                "write one with `kvet baseline -o FILE PATH...`)");
        cJSON_Delete(root);
        free(text);
        return -1;
    }
    size_t count = (size_t)cJSON_GetArraySize(list);
    uint32_t *lines = calloc(count ? count : 1, sizeof *lines);
    uint32_t *cols = calloc(count ? count : 1, sizeof *cols);
    kvet_baseline_entry *v = calloc(count ? count : 1, sizeof *v);
    size_t *order = calloc(count ? count : 1, sizeof *order);
    order_key *keys = calloc(count ? count : 1, sizeof *keys);
    if (!lines || !cols || !v || !order || !keys) {
        free(lines);
        free(cols);
        free(v);
        free(order);
        free(keys);
        cJSON_Delete(root);
        free(text);
        return -1;
    }
    entry_lines(text, len, lines, cols, count);
    ws->baseline_file = adup(ws, path);
    int rc = 0;
    const cJSON *e;
    size_t i = 0, n = 0;
    cJSON_ArrayForEach(e, list) {
        const char *f[5];
        static const char *const names[5] = {"rule", "apiVersion", "kind", "namespace", "name"};
        bool ok = true;
        for (int k = 0; k < 5; k++) {
            const cJSON *x = cJSON_GetObjectItemCaseSensitive(e, names[k]);
            f[k] = cJSON_IsString(x) ? x->valuestring : NULL;
            ok &= f[k] != NULL;
        }
        if (!ok) {
            kv_diag(ctx, KVET_SEV_ERROR, path, lines[i], cols[i], 0, NULL,
                    "baseline entry %zu needs string fields rule, apiVersion, kind, namespace and name", i + 1);
            rc = -1;
            i++;
            continue;
        }
        v[n] = (kvet_baseline_entry){adup(ws, f[0]), adup(ws, f[1]), adup(ws, f[2]), adup(ws, f[3]), adup(ws, f[4]),
                                     lines[i], cols[i], 0};
        n++;
        i++;
    }
    for (size_t k = 0; k < n; k++)
        keys[k] = (order_key){v, k};
    qsort(keys, n, sizeof *keys, order_cmp);
    for (size_t k = 0; k < n; k++)
        order[k] = keys[k].i;
    free(keys);
    free(lines);
    free(cols);
    free(ws->baseline);
    free(ws->baseline_order);
    ws->baseline = v;
    ws->nbaseline = n;
    ws->baseline_order = order;
    cJSON_Delete(root);
    free(text);
    return rc;
}

bool kv_baseline_has(kv_waivers *ws, const kvet_finding *f, const kvet_resource *r)
{
    size_t lo = 0, hi = ws->nbaseline;
    while (lo < hi) { /* the first entry not below the finding's identity */
        size_t mid = lo + (hi - lo) / 2;
        if (entry_cmp(&ws->baseline[ws->baseline_order[mid]], f->rule, r->api_version, r->kind, r->ns, r->name) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    bool found = false;
    /* a duplicated entry is not stale while its twin matches */
    for (size_t k = lo; k < ws->nbaseline; k++) {
        kvet_baseline_entry *e = &ws->baseline[ws->baseline_order[k]];
        if (entry_cmp(e, f->rule, r->api_version, r->kind, r->ns, r->name) != 0)
            break;
        e->matched++;
        found = true;
    }
    return found;
}

void kv_baseline_finish(kvet_ctx *ctx, kv_waivers *ws)
{
    for (size_t i = 0; i < ws->nbaseline; i++) {
        const kvet_baseline_entry *e = &ws->baseline[i];
        if (e->matched)
            continue;
        kv_diag(ctx, KVET_SEV_WARNING, ws->baseline_file, e->line, e->col, 0, NULL,
                "stale baseline entry: %s on %s %s%s%s matches no finding; `kvet baseline --update` removes it",
                e->rule, e->kind, e->ns, e->ns[0] ? "/" : "", e->name);
    }
}
