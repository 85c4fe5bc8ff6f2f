/*
 * test.c - `kvet test`: rule tests written as YAML files next to the rules.
 *
 * A test file (NAME.test.yaml) holds manifests and one or more documents of
 * kind Test (apiVersion kvet.dev/v1) that say which rules to run, with what
 * parameters and cluster configuration, and which findings and derived
 * values to expect.  Every Test document is one case, run over all the other
 * documents of its file (so findings point at the file's own lines).  The
 * format is described in docs/testing.md.
 *
 * Packs are compiled once per distinct set of rule paths and parameters,
 * and coverage is merged across them by rule id, derived value and branch
 * position, so cases that set different parameters still add up.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"

/* ------------------------------------------------------------- helpers */

static char *xstrdup(const char *s)
{
    char *d = strdup(s);
    if (!d) {
        fputs("kvet: out of memory\n", stderr);
        exit(KVET_EXIT_ERROR);
    }
    return d;
}

static void *xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    if (!q) {
        fputs("kvet: out of memory\n", stderr);
        exit(KVET_EXIT_ERROR);
    }
    return q;
}

#define GROW(v, n) ((v) = xrealloc((v), ((n) + 1) * sizeof *(v)))

static bool is_str(kvet_value v) { return v.type == KVET_STRING; }
static const char *str(kvet_value v) { return v.u.s->data; }

static kvet_value get(kvet_value map, const char *key)
{
    return kvet_map_get(map, key, strlen(key));
}

static bool is_test_file(const char *name)
{
    return cli_has_suffix(name, ".test.yaml") || cli_has_suffix(name, ".test.yml") || cli_has_suffix(name, ".test.json");
}

/* A path written in a test file is relative to that file's folder. */
static char *relative_to(const char *file, const char *p)
{
    if (p[0] == '/')
        return xstrdup(p);
    const char *slash = strrchr(file, '/');
    if (!slash)
        return xstrdup(p);
    size_t dl = (size_t)(slash - file);
    size_t len = dl + strlen(p) + 2;
    char *out = xrealloc(NULL, len);
    snprintf(out, len, "%.*s/%s", (int)dl, file, p);
    return out;
}

static bool dir_has_rules(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return false;
    struct dirent *e;
    bool found = false;
    while (!found && (e = readdir(d)))
        found = cli_has_suffix(e->d_name, ".kvet");
    closedir(d);
    return found;
}

/* The pack a test file belongs to when it names none: the nearest folder,
 * from the file's own upwards, that holds .kvet files (a relative path is
 * followed up to the working folder). */
static char *enclosing_pack(const char *file)
{
    char *dir = xstrdup(file);
    for (;;) {
        char *slash = strrchr(dir, '/');
        if (!slash) {
            free(dir);
            return dir_has_rules(".") ? xstrdup(".") : NULL;
        }
        if (slash == dir) {
            free(dir);
            return dir_has_rules("/") ? xstrdup("/") : NULL;
        }
        *slash = '\0';
        if (dir_has_rules(dir))
            return dir;
    }
}

/* ------------------------------------------------------ compiled packs */

/* One compiled pack per distinct rule paths + parameters.  Each has its own
 * context, since parameters live in the context the pack is loaded into. */
typedef struct loaded_pack {
    char *key;
    char **paths;           /* the rule paths it was loaded from */
    size_t npaths;
    kvet_ctx *ctx;
    kvet_pack *pack;
    kvet_coverage *cov;
} loaded_pack;

/* ----------------------------------------------------------- coverage */

typedef struct cov_rule {
    char *id, *file, *title;
    uint32_t line, col;
    size_t evaluated, fired, passed;  /* resources, findings, resources passed */
} cov_rule;

typedef struct cov_derive {
    char *name, *file;
    uint32_t line, col;
    size_t applied, valued;
} cov_derive;

typedef struct cov_branch {
    char *file;
    uint32_t line, col, nth;     /* nth branch of this construct at this position */
    const char *construct, *way[2];
    int taken[2];
    char *rule;                  /* a require/forbid: its rule's id */
    int passed_absent, passed_present;
} cov_branch;

typedef struct coverage {
    cov_rule *rules; size_t nrules;
    cov_derive *derives; size_t nderives;
    cov_branch *branches; size_t nbranches;
} coverage;

/* Coverage is about the packs under test: an item counts when its file is
 * one of the rule paths the tests name or lies below one, so the stock
 * pack an organisation pack imports does not drown the report. */
static bool under_test(const loaded_pack *lp, const char *file)
{
    if (!file)
        return false;
    for (size_t i = 0; i < lp->npaths; i++) {
        const char *p = lp->paths[i];
        size_t n = strlen(p);
        while (n > 1 && p[n - 1] == '/')
            n--;
        if (!strncmp(file, p, n) && (file[n] == '\0' || file[n] == '/'))
            return true;
    }
    return false;
}

static void merge_coverage(coverage *c, const loaded_pack *lp)
{
    for (size_t i = 0; i < kvet_rule_count(lp->pack); i++) {
        kvet_rule_info ri = kvet_rule_at(lp->pack, i);
        if (!under_test(lp, ri.file))
            continue;
        size_t ev, fi;
        kvet_coverage_rule(lp->cov, i, &ev, &fi);
        size_t k = 0;
        while (k < c->nrules && strcmp(c->rules[k].id, ri.id) != 0)
            k++;
        if (k == c->nrules) {
            GROW(c->rules, c->nrules);
            c->rules[k] = (cov_rule){xstrdup(ri.id), xstrdup(ri.file ? ri.file : ""), xstrdup(ri.title),
                                     ri.line, ri.col, 0, 0, 0};
            c->nrules++;
        }
        c->rules[k].evaluated += ev;
        c->rules[k].fired += fi;
        c->rules[k].passed += kvet_coverage_rule_passed(lp->cov, i);
    }
    for (size_t i = 0; i < kvet_derive_count(lp->pack); i++) {
        kvet_derive_info di = kvet_derive_at(lp->pack, i);
        if (!under_test(lp, di.file))
            continue;
        size_t ap, va;
        kvet_coverage_derive(lp->cov, i, &ap, &va);
        const char *file = di.file ? di.file : "";
        size_t k = 0;
        while (k < c->nderives && !(c->derives[k].line == di.line && c->derives[k].col == di.col &&
                                    !strcmp(c->derives[k].name, di.name) && !strcmp(c->derives[k].file, file)))
            k++;
        if (k == c->nderives) {
            GROW(c->derives, c->nderives);
            c->derives[k] = (cov_derive){xstrdup(di.name), xstrdup(file), di.line, di.col, 0, 0};
            c->nderives++;
        }
        c->derives[k].applied += ap;
        c->derives[k].valued += va;
    }
    /* the same sources compile to the same branches in the same order, so
     * (position, construct, how many came before at that position) names a
     * branch across packs compiled with different parameters */
    size_t start = c->nbranches, nb = kvet_coverage_branch_count(lp->cov);
    for (size_t i = 0; i < nb; i++) {
        kvet_branch b = kvet_coverage_branch_at(lp->cov, i);
        if (!under_test(lp, b.file))
            continue;
        const char *file = b.file ? b.file : "";
        uint32_t nth = 0;
        for (size_t j = i; j-- > 0;) {
            kvet_branch p = kvet_coverage_branch_at(lp->cov, j);
            if (p.line != b.line || p.col != b.col || strcmp(p.file ? p.file : "", file) != 0)
                break;
            if (!strcmp(p.construct, b.construct))
                nth++;
        }
        size_t k = 0;
        for (; k < start; k++) {
            cov_branch *x = &c->branches[k];
            if (x->line == b.line && x->col == b.col && x->nth == nth && !strcmp(x->construct, b.construct) &&
                !strcmp(x->file, file))
                break;
        }
        if (k == start) {
            GROW(c->branches, c->nbranches);
            k = c->nbranches++;
            c->branches[k] = (cov_branch){xstrdup(file), b.line, b.col, nth, b.construct, {b.way[0], b.way[1]},
                                          {0, 0}, b.rule ? xstrdup(b.rule) : NULL, 0, 0};
        }
        c->branches[k].taken[0] |= b.taken[0];
        c->branches[k].taken[1] |= b.taken[1];
        c->branches[k].passed_absent |= b.passed_absent;
        c->branches[k].passed_present |= b.passed_present;
    }
}

static void free_coverage(coverage *c)
{
    for (size_t i = 0; i < c->nrules; i++) {
        free(c->rules[i].id);
        free(c->rules[i].file);
        free(c->rules[i].title);
    }
    for (size_t i = 0; i < c->nderives; i++) {
        free(c->derives[i].name);
        free(c->derives[i].file);
    }
    for (size_t i = 0; i < c->nbranches; i++) {
        free(c->branches[i].file);
        free(c->branches[i].rule);
    }
    free(c->rules);
    free(c->derives);
    free(c->branches);
}

/* ------------------------------------------------------------ running */

typedef struct runner {
    const test_opts *o;
    loaded_pack *packs;
    size_t npacks;
    kv_buf out;            /* text or JSON of the cases */
    size_t passed, failed, errors;
    bool first_json;
} runner;

static loaded_pack *get_pack(runner *R, char **paths, size_t npaths, char **sets, size_t nsets)
{
    kv_buf key;
    kv_buf_init(&key);
    for (size_t i = 0; i < npaths; i++)
        kv_buf_printf(&key, "R%s\x1f", paths[i]);
    for (size_t i = 0; i < nsets; i++)
        kv_buf_printf(&key, "S%s\x1f", sets[i]);
    if (!key.data) {
        fputs("kvet: out of memory\n", stderr);
        exit(KVET_EXIT_ERROR);
    }
    for (size_t i = 0; i < R->npacks; i++)
        if (!strcmp(R->packs[i].key, key.data)) {
            kv_buf_free(&key);
            return &R->packs[i];
        }
    GROW(R->packs, R->npacks);
    loaded_pack *lp = &R->packs[R->npacks++];
    memset(lp, 0, sizeof *lp);
    lp->key = key.data; /* owned now */
    lp->paths = calloc(npaths + 1, sizeof *lp->paths);
    for (size_t i = 0; lp->paths && i < npaths; i++)
        lp->paths[lp->npaths++] = xstrdup(paths[i]);
    lp->ctx = kvet_ctx_new();
    if (!lp->ctx) {
        fputs("kvet: out of memory\n", stderr);
        return lp;
    }
    kvet_ctx_set_limits(lp->ctx, R->o->limits);
    bool ok = true;
    for (size_t i = 0; i < nsets && ok; i++) {
        char *eq = strchr(sets[i], '=');
        char *name = xstrdup(sets[i]);
        name[eq - sets[i]] = '\0';
        ok = kvet_ctx_set_param(lp->ctx, name, eq + 1) == 0;
        free(name);
    }
    for (size_t i = 0; i < R->o->nrule_paths; i++)
        kvet_ctx_add_pack_path(lp->ctx, R->o->rule_paths[i]);
    kvet_ctx_add_pack_path(lp->ctx, R->o->stock);
    if (ok)
        lp->pack = kvet_pack_load(lp->ctx, (const char *const *)paths, npaths);
    if (lp->pack && kvet_error_count(lp->ctx) > 0) {
        kvet_pack_free(lp->pack);
        lp->pack = NULL;
    }
    cli_print_diags(lp->ctx, R->o->err_color, lp->pack != NULL);
    if (lp->pack)
        lp->cov = kvet_coverage_new(lp->pack);
    return lp;
}

/* Deep equality; an integer equals a float of the same value, maps compare
 * regardless of key order.  NaN equals NaN: Go's ParseFloat reads "NaN"
 * from an annotation, and a test must be able to expect what follows. */
static bool values_equal(kvet_value a, kvet_value b)
{
    if ((a.type == KVET_INT || a.type == KVET_FLOAT) && (b.type == KVET_INT || b.type == KVET_FLOAT)) {
        if (a.type == KVET_INT && b.type == KVET_INT)
            return a.u.i == b.u.i;
        double x = a.type == KVET_INT ? (double)a.u.i : a.u.f, y = b.type == KVET_INT ? (double)b.u.i : b.u.f;
        return x == y || (isnan(x) && isnan(y));
    }
    if (a.type != b.type)
        return false;
    switch ((kvet_type)a.type) {
    case KVET_ABSENT:
    case KVET_NULL: return true;
    case KVET_BOOL: return !a.u.b == !b.u.b;
    case KVET_STRING: return a.u.s->len == b.u.s->len && !memcmp(a.u.s->data, b.u.s->data, a.u.s->len);
    case KVET_LIST:
        if (a.u.l->n != b.u.l->n)
            return false;
        for (uint32_t i = 0; i < a.u.l->n; i++)
            if (!values_equal(a.u.l->items[i], b.u.l->items[i]))
                return false;
        return true;
    case KVET_MAP:
        if (a.u.m->n != b.u.m->n)
            return false;
        for (uint32_t i = 0; i < a.u.m->n; i++) {
            kvet_value other = kvet_map_get(b, a.u.m->e[i].key->data, a.u.m->e[i].key->len);
            if (other.type == KVET_ABSENT || !values_equal(a.u.m->e[i].val, other))
                return false;
        }
        return true;
    default:
        return false;
    }
}

/* A derived value by dotted name, walking the effective tree. */
static kvet_value lookup_effective(kvet_value eff, const char *name)
{
    kvet_value v = eff;
    const char *p = name;
    for (;;) {
        const char *dot = strchr(p, '.');
        size_t n = dot ? (size_t)(dot - p) : strlen(p);
        v = kvet_map_get(v, p, n);
        if (!dot || v.type == KVET_ABSENT)
            return v;
        p = dot + 1;
    }
}

static const kvet_resource *find_resource(const kvet_result *res, const char *label)
{
    for (size_t i = 0; i < res->nresources; i++) {
        kv_buf b;
        kv_buf_init(&b);
        cli_resource_label(&b, &res->resources[i]);
        bool same = b.data && !strcmp(b.data, label);
        kv_buf_free(&b);
        if (same)
            return &res->resources[i];
    }
    return NULL;
}

/* One expected finding, as written in the test. */
typedef struct want_finding {
    const char *rule, *resource, *message, *severity;
    int64_t line;           /* 0: any */
    int waived;             /* -1: any */
    bool matched;
} want_finding;

/* One case's failure report, built as the comparison goes. */
typedef struct verdict {
    kv_buf diff;
    bool failed;
} verdict;

static void finding_line(kv_buf *b, char sign, const char *rule, const char *resource, const char *severity,
                         int64_t line, const char *message, int waived)
{
    kv_buf_printf(b, "%c %s %s", sign, rule, resource);
    if (severity)
        kv_buf_printf(b, " %s", severity);
    if (line)
        kv_buf_printf(b, " line %lld", (long long)line);
    if (waived == 1)
        kv_buf_puts(b, " (waived)");
    if (message)
        kv_buf_printf(b, ": %s", message);
    kv_buf_puts(b, "\n");
}

static void compare_findings(verdict *V, const kvet_result *res, want_finding *want, size_t nwant)
{
    kv_buf extra; /* findings nobody expected, listed after the missing ones */
    kv_buf_init(&extra);
    for (size_t i = 0; i < res->nresources; i++) {
        const kvet_resource *r = &res->resources[i];
        kv_buf label;
        kv_buf_init(&label);
        cli_resource_label(&label, r);
        for (size_t k = 0; k < r->nfindings; k++) {
            const kvet_finding *f = &r->findings[k];
            bool found = false;
            for (size_t w = 0; w < nwant && !found; w++) {
                want_finding *x = &want[w];
                if (x->matched || strcmp(x->rule, f->rule) != 0 || strcmp(x->resource, label.data) != 0)
                    continue;
                if (x->line && (uint32_t)x->line != f->line)
                    continue;
                if (x->severity && strcmp(x->severity, kvet_severity_name(f->severity)) != 0)
                    continue;
                if (x->message && !strstr(f->message, x->message))
                    continue;
                if (x->waived >= 0 && x->waived != (f->waiver != NULL))
                    continue;
                x->matched = found = true;
            }
            if (!found)
                finding_line(&extra, '+', f->rule, label.data, kvet_severity_name(f->severity), f->line,
                             f->message, f->waiver != NULL);
        }
        kv_buf_free(&label);
    }
    bool header = false;
    for (size_t w = 0; w < nwant; w++) {
        if (want[w].matched)
            continue;
        if (!header)
            kv_buf_puts(&V->diff, "findings (- expected, + actual):\n");
        header = true;
        finding_line(&V->diff, '-', want[w].rule, want[w].resource, want[w].severity, want[w].line,
                     want[w].message, want[w].waived);
    }
    if (extra.len) {
        if (!header)
            kv_buf_puts(&V->diff, "findings (- expected, + actual):\n");
        header = true;
        kv_buf_put(&V->diff, extra.data, extra.len);
    }
    if (header)
        V->failed = true;
    kv_buf_free(&extra);
}

/* A value in a failure's diff: JSON, except that a float JSON cannot hold
 * is written as YAML writes it (.nan, .inf, -.inf), not as null. */
static void diff_value(kv_buf *b, kvet_value v)
{
    if (v.type == KVET_FLOAT && isnan(v.u.f))
        kv_buf_puts(b, ".nan");
    else if (v.type == KVET_FLOAT && isinf(v.u.f))
        kv_buf_puts(b, v.u.f < 0 ? "-.inf" : ".inf");
    else
        cli_value_json(b, v);
}

static void compare_effective(verdict *V, const kvet_result *res, kvet_value expect)
{
    for (uint32_t i = 0; i < expect.u.m->n; i++) {
        const char *label = expect.u.m->e[i].key->data;
        kvet_value want = expect.u.m->e[i].val;
        const kvet_resource *r = find_resource(res, label);
        if (!r) {
            kv_buf_printf(&V->diff, "effective: no resource %s among the inputs\n", label);
            V->failed = true;
            continue;
        }
        for (uint32_t k = 0; k < want.u.m->n; k++) {
            const char *name = want.u.m->e[k].key->data;
            kvet_value w = want.u.m->e[k].val, got = lookup_effective(r->effective, name);
            if (values_equal(w, got))
                continue;
            kv_buf_printf(&V->diff, "effective %s %s:\n- ", label, name);
            diff_value(&V->diff, w);
            kv_buf_puts(&V->diff, "\n+ ");
            if (got.type == KVET_ABSENT)
                kv_buf_puts(&V->diff, "(absent)");
            else
                diff_value(&V->diff, got);
            kv_buf_puts(&V->diff, "\n");
            V->failed = true;
        }
    }
}

/* A list of strings from a test field (a string alone counts as one). */
static bool string_list(kvet_documents *docs, kvet_value v, const char *field, char ***out, size_t *n,
                        const char *relative_file)
{
    if (v.type == KVET_ABSENT)
        return true;
    if (is_str(v)) {
        GROW(*out, *n);
        (*out)[(*n)++] = relative_file ? relative_to(relative_file, str(v)) : xstrdup(str(v));
        return true;
    }
    if (v.type != KVET_LIST) {
        kvet_documents_error(docs, v, "test: `%s` must be a string or a list of strings", field);
        return false;
    }
    for (uint32_t i = 0; i < v.u.l->n; i++) {
        kvet_value s = v.u.l->items[i];
        if (!is_str(s)) {
            kvet_documents_error(docs, s, "test: `%s` must list strings", field);
            return false;
        }
        GROW(*out, *n);
        (*out)[(*n)++] = relative_file ? relative_to(relative_file, str(s)) : xstrdup(str(s));
    }
    return true;
}

static void free_strings(char **v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(v[i]);
    free(v);
}

/* A scalar as the text --set would be given. */
static bool scalar_text(kvet_value v, kv_buf *b)
{
    switch ((kvet_type)v.type) {
    case KVET_STRING: kv_buf_put(b, v.u.s->data, v.u.s->len); return true;
    case KVET_INT: kv_buf_put_int(b, v.u.i); return true;
    case KVET_BOOL: kv_buf_puts(b, v.u.b ? "true" : "false"); return true;
    case KVET_FLOAT: {
        char num[32];
        kv_format_double(num, v.u.f);
        kv_buf_puts(b, num);
        return true;
    }
    default: return false;
    }
}

static const char *const spec_keys[] = {"rules", "cluster", "set", "waivers", "today", "expect", NULL};
static const char *const expect_keys[] = {"findings", "effective", NULL};
static const char *const finding_keys[] = {"rule", "resource", "line", "severity", "message", "waived", NULL};

/* Unknown keys are errors: a misspelt `expect` would otherwise make a test
 * that can never fail. */
static bool known_keys(kvet_documents *docs, kvet_value map, const char *const *keys, const char *where)
{
    bool ok = true;
    for (uint32_t i = 0; i < map.u.m->n; i++) {
        const char *k = map.u.m->e[i].key->data;
        size_t j = 0;
        while (keys[j] && strcmp(keys[j], k) != 0)
            j++;
        if (!keys[j]) {
            kv_buf allowed;
            kv_buf_init(&allowed);
            for (j = 0; keys[j]; j++)
                kv_buf_printf(&allowed, "%s%s", j ? ", " : "", keys[j]);
            kvet_documents_error(docs, map.u.m->e[i].val, "test: unknown key `%s` in %s (expected one of: %s)", k,
                                 where, allowed.data ? allowed.data : "");
            kv_buf_free(&allowed);
            ok = false;
        }
    }
    return ok;
}

static bool read_findings(kvet_documents *docs, kvet_value list, want_finding **out, size_t *n)
{
    if (list.type != KVET_LIST) {
        kvet_documents_error(docs, list, "test: `expect.findings` must be a list (use [] for none)");
        return false;
    }
    for (uint32_t i = 0; i < list.u.l->n; i++) {
        kvet_value f = list.u.l->items[i];
        if (f.type != KVET_MAP) {
            kvet_documents_error(docs, f, "test: each expected finding is a mapping with `rule` and `resource`");
            return false;
        }
        if (!known_keys(docs, f, finding_keys, "an expected finding"))
            return false;
        kvet_value rule = get(f, "rule"), res = get(f, "resource"), line = get(f, "line");
        kvet_value sev = get(f, "severity"), msg = get(f, "message"), waived = get(f, "waived");
        if (!is_str(rule) || !is_str(res)) {
            kvet_documents_error(docs, is_str(rule) ? res : rule,
                                 "test: an expected finding needs `rule` (an id) and `resource` (\"Kind ns/name\")");
            return false;
        }
        if ((line.type != KVET_ABSENT && (line.type != KVET_INT || line.u.i < 1)) ||
            (sev.type != KVET_ABSENT && !is_str(sev)) || (msg.type != KVET_ABSENT && !is_str(msg)) ||
            (waived.type != KVET_ABSENT && waived.type != KVET_BOOL)) {
            kvet_documents_error(docs, f, "test: `line` is a positive number, `severity` and `message` strings, "
                                          "`waived` true or false");
            return false;
        }
        kvet_severity s;
        if (is_str(sev) && kvet_severity_parse(str(sev), &s) < 0) {
            kvet_documents_error(docs, sev, "test: unknown severity '%s' (expected error, warning or info)", str(sev));
            return false;
        }
        GROW(*out, *n);
        (*out)[(*n)++] = (want_finding){str(rule), str(res), is_str(msg) ? str(msg) : NULL,
                                        is_str(sev) ? str(sev) : NULL, line.type == KVET_INT ? line.u.i : 0,
                                        waived.type == KVET_BOOL ? !!waived.u.b : -1, false};
    }
    return true;
}

static void json_case(runner *R, const char *file, const char *name, const char *status, const verdict *V)
{
    kv_buf *b = &R->out;
    kv_buf_puts(b, R->first_json ? "\n    " : ",\n    ");
    R->first_json = false;
    kv_buf_puts(b, "{\"file\": ");
    kv_buf_json_string(b, file, strlen(file));
    kv_buf_puts(b, ", \"name\": ");
    kv_buf_json_string(b, name, strlen(name));
    kv_buf_printf(b, ", \"status\": \"%s\"", status);
    if (V && V->diff.len) {
        kv_buf_puts(b, ", \"diff\": ");
        kv_buf_json_string(b, V->diff.data, V->diff.len);
    }
    kv_buf_puts(b, "}");
}

static void print_case(runner *R, const char *file, const char *name, const char *status, const verdict *V)
{
    if (R->o->json) {
        json_case(R, file, name, status, V);
        return;
    }
    bool pass = !strcmp(status, "pass");
    if (pass && R->o->quiet)
        return;
    const char *tag = pass ? "ok  " : !strcmp(status, "fail") ? "FAIL" : "ERR ";
    if (R->o->color)
        kv_buf_printf(&R->out, "\033[%sm%s\033[0m", pass ? "32" : "31;1", tag);
    else
        kv_buf_puts(&R->out, tag);
    kv_buf_printf(&R->out, " %s: %s\n", file, name);
    if (V && V->diff.len) {
        /* indent the diff under its case */
        const char *p = V->diff.data, *end = p + V->diff.len;
        while (p < end) {
            const char *nl = memchr(p, '\n', (size_t)(end - p));
            size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
            kv_buf_puts(&R->out, "     ");
            kv_buf_put(&R->out, p, n);
            kv_buf_puts(&R->out, "\n");
            p += n + (nl ? 1 : 0);
        }
    }
}

/* Run one Test document of a file.  Returns 0 when it ran (pass or fail),
 * -1 when the test itself is broken. */
static int run_case(runner *R, kvet_documents *docs, kvet_value test, const char *file)
{
    kvet_value meta = get(test, "metadata"), spec = get(test, "spec");
    kvet_value nm = get(meta, "name");
    const char *name = is_str(nm) ? str(nm) : "(unnamed)";
    if (spec.type != KVET_MAP) {
        kvet_documents_error(docs, test, "test: a Test needs a `spec` mapping (with `expect`)");
        return -1;
    }
    if (!known_keys(docs, spec, spec_keys, "spec"))
        return -1;
    kvet_value expect = get(spec, "expect");
    if (expect.type != KVET_MAP) {
        kvet_documents_error(docs, expect.type == KVET_ABSENT ? spec : expect,
                             "test: `spec.expect` must be a mapping with `findings` and/or `effective`");
        return -1;
    }
    if (!known_keys(docs, expect, expect_keys, "spec.expect"))
        return -1;
    kvet_value effective = get(expect, "effective"), today = get(spec, "today"), set = get(spec, "set");
    if (effective.type != KVET_ABSENT) {
        bool ok = effective.type == KVET_MAP;
        for (uint32_t i = 0; ok && i < effective.u.m->n; i++)
            ok = effective.u.m->e[i].val.type == KVET_MAP;
        if (!ok) {
            kvet_documents_error(docs, effective, "test: `expect.effective` maps \"Kind ns/name\" to a mapping of "
                                                  "derived value names to values");
            return -1;
        }
    }
    if (today.type != KVET_ABSENT && !is_str(today)) {
        kvet_documents_error(docs, today, "test: `today` is a date written \"YYYY-MM-DD\"");
        return -1;
    }
    if (set.type != KVET_ABSENT && set.type != KVET_MAP) {
        kvet_documents_error(docs, set, "test: `set` maps parameter names to values");
        return -1;
    }

    int rc = -1;
    char **rules = NULL, **cluster = NULL, **waivers = NULL, **sets = NULL;
    size_t nrules = 0, ncluster = 0, nwaivers = 0, nsets = 0;
    want_finding *want = NULL;
    size_t nwant = 0;
    kvet_value wf = get(expect, "findings");
    if (wf.type != KVET_ABSENT && !read_findings(docs, wf, &want, &nwant))
        goto out;
    if (!string_list(docs, get(spec, "rules"), "rules", &rules, &nrules, file) ||
        !string_list(docs, get(spec, "cluster"), "cluster", &cluster, &ncluster, file) ||
        !string_list(docs, get(spec, "waivers"), "waivers", &waivers, &nwaivers, file))
        goto out;
    /* rules: the command line's, else the test's, else the enclosing pack */
    if (R->o->nrules) {
        free_strings(rules, nrules);
        rules = NULL;
        nrules = 0;
        for (size_t i = 0; i < R->o->nrules; i++) {
            GROW(rules, nrules);
            rules[nrules++] = xstrdup(R->o->rules[i]);
        }
    } else if (!nrules) {
        char *p = enclosing_pack(file);
        if (!p) {
            kvet_documents_error(docs, test, "test: no rules: give `spec.rules`, use --rules, or keep the test "
                                             "beside .kvet files");
            goto out;
        }
        GROW(rules, nrules);
        rules[nrules++] = p;
    }
    for (size_t i = 0; i < R->o->nsets; i++) {
        GROW(sets, nsets);
        sets[nsets++] = xstrdup(R->o->sets[i]);
    }
    for (uint32_t i = 0; set.type == KVET_MAP && i < set.u.m->n; i++) {
        kv_buf b;
        kv_buf_init(&b);
        kv_buf_printf(&b, "%s=", set.u.m->e[i].key->data);
        if (!scalar_text(set.u.m->e[i].val, &b)) {
            kvet_documents_error(docs, set.u.m->e[i].val, "test: parameter values in `set` are scalars");
            kv_buf_free(&b);
            goto out;
        }
        GROW(sets, nsets);
        sets[nsets++] = b.data;
    }

    loaded_pack *lp = get_pack(R, rules, nrules, sets, nsets);
    if (!lp->pack) {
        fprintf(stderr, "kvet: %s: %s: the rules did not compile\n", file, name);
        goto out;
    }
    const char *paths[1] = {file};
    kvet_inputs in = {.paths = paths, .npaths = 1, .cluster = (const char *const *)cluster, .ncluster = ncluster,
                      .waiver_files = (const char *const *)waivers, .nwaiver_files = nwaivers,
                      .today = is_str(today) ? str(today) : NULL, .coverage = R->o->coverage ? lp->cov : NULL};
    kvet_result *res = kvet_check(lp->ctx, lp->pack, &in);
    cli_print_diags(lp->ctx, R->o->err_color, true);
    if (!res) {
        fputs("kvet: out of memory\n", stderr);
        goto out;
    }
    verdict V;
    kv_buf_init(&V.diff);
    V.failed = false;
    for (size_t i = 0; i < res->nerrors; i++) {
        const kvet_error *e = &res->errors[i];
        kv_buf_printf(&V.diff, "error: %s:%u:%u: %s\n", e->file ? e->file : "", e->line, e->col, e->message);
        V.failed = true;
    }
    if (wf.type != KVET_ABSENT)
        compare_findings(&V, res, want, nwant);
    if (effective.type == KVET_MAP)
        compare_effective(&V, res, effective);
    print_case(R, file, name, V.failed ? "fail" : "pass", &V);
    if (V.failed)
        R->failed++;
    else
        R->passed++;
    kv_buf_free(&V.diff);
    kvet_result_free(res);
    rc = 0;
out:
    free(want);
    free_strings(rules, nrules);
    free_strings(cluster, ncluster);
    free_strings(waivers, nwaivers);
    free_strings(sets, nsets);
    return rc;
}

static bool is_test_doc(kvet_value d)
{
    kvet_value api = get(d, "apiVersion"), kind = get(d, "kind");
    return is_str(api) && is_str(kind) && !strcmp(str(api), "kvet.dev/v1") && !strcmp(str(kind), "Test");
}

static void run_file(runner *R, const char *file)
{
    kvet_ctx *ctx = kvet_ctx_new();
    if (!ctx) {
        fputs("kvet: out of memory\n", stderr);
        R->errors++;
        return;
    }
    kvet_ctx_set_limits(ctx, R->o->limits);
    kvet_documents *docs = kvet_documents_read(ctx, file);
    size_t ntests = 0;
    if (docs) {
        for (size_t i = 0; i < kvet_documents_count(docs); i++) {
            kvet_value d = kvet_documents_at(docs, i);
            if (!is_test_doc(d))
                continue;
            ntests++;
            if (run_case(R, docs, d, file) < 0) {
                kvet_value nm = get(get(d, "metadata"), "name");
                print_case(R, file, is_str(nm) ? str(nm) : "(unnamed)", "error", NULL);
                R->errors++;
            }
        }
        if (ntests == 0) {
            kvet_documents_error(docs, kvet_documents_at(docs, 0),
                                 "test file without a test: expected a document with apiVersion: kvet.dev/v1 and "
                                 "kind: Test");
            R->errors++;
        }
    } else {
        R->errors++;
    }
    cli_print_diags(ctx, R->o->err_color, false);
    kvet_documents_free(docs);
    kvet_ctx_free(ctx);
}

/* ----------------------------------------------------------- reporting */

/* A require/forbid of the rule that passed, but only ever because its value
 * was absent: the passing cases never tested what it states. */
static const cov_branch *absent_only(const coverage *c, const cov_rule *r)
{
    for (size_t i = 0; i < c->nbranches; i++) {
        const cov_branch *x = &c->branches[i];
        if (x->rule && !strcmp(x->rule, r->id) && x->passed_absent && !x->passed_present)
            return x;
    }
    return NULL;
}

/* Fired on some resource and passed on another (or the same one in another
 * case); findings are not resources, so "passed" is counted, not inferred. */
static bool rule_covered(const coverage *c, const cov_rule *r)
{
    return r->fired && r->passed && !absent_only(c, r);
}

static void coverage_text(kv_buf *b, const coverage *c)
{
    size_t rules_ok = 0, der_ok = 0, ways = 0, ways_ok = 0;
    for (size_t i = 0; i < c->nrules; i++)
        rules_ok += rule_covered(c, &c->rules[i]);
    for (size_t i = 0; i < c->nderives; i++)
        der_ok += c->derives[i].valued > 0;
    for (size_t i = 0; i < c->nbranches; i++) {
        ways += 2;
        ways_ok += (size_t)c->branches[i].taken[0] + (size_t)c->branches[i].taken[1];
    }
    kv_buf_printf(b, "\ncoverage: rules %zu/%zu (fired and passed), derived values %zu/%zu, branch ways %zu/%zu\n",
                   rules_ok, c->nrules, der_ok, c->nderives, ways_ok, ways);
    bool head = false;
    for (size_t i = 0; i < c->nrules; i++) {
        const cov_rule *r = &c->rules[i];
        if (rule_covered(c, r))
            continue;
        if (!head)
            kv_buf_puts(b, "rules not exercised both ways:\n");
        head = true;
        const cov_branch *x = absent_only(c, r);
        const char *what = !r->evaluated ? "never evaluated" : !r->fired ? "never fired" : "never passed";
        if (r->fired && r->passed && x)
            kv_buf_printf(b, "  %s:%u:%u: %s passed only because a value was absent (%s at %u:%u)\n", r->file,
                           r->line, r->col, r->id, x->construct, x->line, x->col);
        else
            kv_buf_printf(b, "  %s:%u:%u: %s %s%s\n", r->file, r->line, r->col, r->id, what,
                           x ? " (and passed only because a value was absent)" : "");
    }
    head = false;
    for (size_t i = 0; i < c->nderives; i++) {
        const cov_derive *d = &c->derives[i];
        if (d->valued)
            continue;
        if (!head)
            kv_buf_puts(b, "derived values never computed:\n");
        head = true;
        kv_buf_printf(b, "  %s:%u:%u: %s %s\n", d->file, d->line, d->col, d->name,
                       d->applied ? "applied but always absent" : "never applied");
    }
    head = false;
    for (size_t i = 0; i < c->nbranches; i++) {
        const cov_branch *x = &c->branches[i];
        if (x->taken[0] && x->taken[1])
            continue;
        if (!head)
            kv_buf_puts(b, "branches with a way never taken:\n");
        head = true;
        kv_buf_printf(b, "  %s:%u:%u: %s", x->file, x->line, x->col, x->construct);
        if (x->nth)
            kv_buf_printf(b, " (#%u here)", x->nth + 1);
        if (!x->taken[0] && !x->taken[1])
            kv_buf_puts(b, " never reached\n");
        else
            kv_buf_printf(b, " never %s\n", x->way[x->taken[0] ? 1 : 0]);
    }
}

static void coverage_json(kv_buf *b, const coverage *c)
{
    kv_buf_puts(b, ",\n  \"coverage\": {\n    \"rules\": [");
    for (size_t i = 0; i < c->nrules; i++) {
        const cov_rule *r = &c->rules[i];
        kv_buf_puts(b, i ? ",\n      {\"id\": " : "\n      {\"id\": ");
        kv_buf_json_string(b, r->id, strlen(r->id));
        kv_buf_puts(b, ", \"file\": ");
        kv_buf_json_string(b, r->file, strlen(r->file));
        kv_buf_printf(b, ", \"line\": %u, \"evaluated\": %zu, \"fired\": %zu, \"passed\": %zu, "
                          "\"passed_only_absent\": %s, \"covered\": %s}", r->line, r->evaluated, r->fired, r->passed,
                       absent_only(c, r) ? "true" : "false",
                       rule_covered(c, r) ? "true" : "false");
    }
    kv_buf_puts(b, c->nrules ? "\n    ],\n    \"derived\": [" : "],\n    \"derived\": [");
    for (size_t i = 0; i < c->nderives; i++) {
        const cov_derive *d = &c->derives[i];
        kv_buf_puts(b, i ? ",\n      {\"name\": " : "\n      {\"name\": ");
        kv_buf_json_string(b, d->name, strlen(d->name));
        kv_buf_puts(b, ", \"file\": ");
        kv_buf_json_string(b, d->file, strlen(d->file));
        kv_buf_printf(b, ", \"line\": %u, \"applied\": %zu, \"valued\": %zu, \"covered\": %s}", d->line,
                       d->applied, d->valued, d->valued ? "true" : "false");
    }
    kv_buf_puts(b, c->nderives ? "\n    ],\n    \"branches\": [" : "],\n    \"branches\": [");
    for (size_t i = 0; i < c->nbranches; i++) {
        const cov_branch *x = &c->branches[i];
        kv_buf_puts(b, i ? ",\n      {\"file\": " : "\n      {\"file\": ");
        kv_buf_json_string(b, x->file, strlen(x->file));
        kv_buf_printf(b, ", \"line\": %u, \"col\": %u, \"construct\": ", x->line, x->col);
        kv_buf_json_string(b, x->construct, strlen(x->construct));
        kv_buf_puts(b, ", \"ways\": [");
        for (int w = 0; w < 2; w++) {
            kv_buf_puts(b, w ? ", {\"outcome\": " : "{\"outcome\": ");
            kv_buf_json_string(b, x->way[w], strlen(x->way[w]));
            kv_buf_printf(b, ", \"taken\": %s}", x->taken[w] ? "true" : "false");
        }
        kv_buf_puts(b, "]}");
    }
    kv_buf_puts(b, c->nbranches ? "\n    ]\n  }" : "]\n  }");
}

int cli_run_tests(const test_opts *o)
{
    char **files = NULL;
    size_t nfiles = 0;
    int rc = KVET_EXIT_OK;
    for (size_t i = 0; i < o->npaths; i++)
        if (cli_collect_files(o->paths[i], is_test_file, &files, &nfiles) < 0)
            rc = KVET_EXIT_ERROR;
    runner R;
    memset(&R, 0, sizeof R);
    R.o = o;
    R.first_json = true;
    kv_buf_init(&R.out);
    if (o->json)
        kv_buf_printf(&R.out, "{\n  \"kvet\": {\"version\": \"%s\"},\n  \"tests\": [", kvet_version());
    for (size_t i = 0; i < nfiles; i++)
        run_file(&R, files[i]);
    if (nfiles == 0 && rc == KVET_EXIT_OK) {
        fputs("kvet: no test files (NAME.test.yaml) under the given paths\n", stderr);
        rc = KVET_EXIT_ERROR;
    }
    coverage cov;
    memset(&cov, 0, sizeof cov);
    if (o->coverage)
        for (size_t i = 0; i < R.npacks; i++)
            if (R.packs[i].pack)
                merge_coverage(&cov, &R.packs[i]);
    if (o->json) {
        kv_buf_puts(&R.out, nfiles ? "\n  ],\n" : "],\n");
        kv_buf_printf(&R.out, "  \"summary\": {\"passed\": %zu, \"failed\": %zu, \"errors\": %zu}", R.passed,
                       R.failed, R.errors);
        if (o->coverage)
            coverage_json(&R.out, &cov);
        kv_buf_puts(&R.out, "\n}\n");
    } else {
        if (o->coverage)
            coverage_text(&R.out, &cov);
        kv_buf_printf(&R.out, "tests: %zu passed, %zu failed, %zu errors\n", R.passed, R.failed, R.errors);
    }
    if (cli_write_report(o->output, &R.out) < 0)
        rc = KVET_EXIT_ERROR;
    if (rc == KVET_EXIT_OK && R.errors)
        rc = KVET_EXIT_ERROR;
    if (rc == KVET_EXIT_OK && R.failed)
        rc = KVET_EXIT_FINDINGS;
    free_coverage(&cov);
    kv_buf_free(&R.out);
    for (size_t i = 0; i < R.npacks; i++) {
        kvet_coverage_free(R.packs[i].cov);
        kvet_pack_free(R.packs[i].pack);
        kvet_ctx_free(R.packs[i].ctx);
        free(R.packs[i].key);
        for (size_t k = 0; k < R.packs[i].npaths; k++)
            free(R.packs[i].paths[k]);
        free(R.packs[i].paths);
    }
    free(R.packs);
    cli_free_strings(files, nfiles);
    return rc;
}
