/*
 * report.c - text, JSON and explain reporters.
 *
 * JSON is written by hand rather than through cJSON so that 64-bit
 * integers keep their exact value and keys keep a fixed order; the format
 * is documented in docs/output.md and versioned by "format".
 */
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

/* ---------------------------------------------------------------- buffer */

void cli_buf_init(cli_buf *b)
{
    b->data = NULL;
    b->len = b->cap = 0;
    b->oom = false;
}

void cli_buf_free(cli_buf *b)
{
    free(b->data);
    cli_buf_init(b);
}

static bool reserve(cli_buf *b, size_t n)
{
    if (b->oom)
        return false;
    if (b->len + n + 1 <= b->cap)
        return true;
    size_t cap = b->cap ? b->cap : 4096;
    while (cap < b->len + n + 1)
        cap *= 2;
    char *p = realloc(b->data, cap);
    if (!p) {
        b->oom = true;
        return false;
    }
    b->data = p;
    b->cap = cap;
    return true;
}

void cli_buf_put(cli_buf *b, const char *s, size_t n)
{
    if (!reserve(b, n))
        return;
    memcpy(b->data + b->len, s, n);
    b->len += n;
    b->data[b->len] = '\0';
}

void cli_buf_puts(cli_buf *b, const char *s) { cli_buf_put(b, s, strlen(s)); }

void cli_buf_printf(cli_buf *b, const char *fmt, ...)
{
    va_list ap, ap2;
    va_start(ap, fmt);
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n >= 0 && reserve(b, (size_t)n)) {
        vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap2);
        b->len += (size_t)n;
    }
    va_end(ap2);
}

/* ---------------------------------------------------------------- values */

void cli_format_double(char out[32], double d)
{
    if (isnan(d)) { strcpy(out, "NaN"); return; }
    if (isinf(d)) { strcpy(out, d < 0 ? "-Inf" : "Inf"); return; }
    double a = fabs(d);
    if (a >= 1e-4 && a < 1e16) {
        for (int prec = 0; prec <= 17; prec++) {
            snprintf(out, 32, "%.*f", prec, d);
            if (strtod(out, NULL) == d)
                break;
        }
    } else {
        for (int prec = 1; prec <= 17; prec++) {
            snprintf(out, 32, "%.*g", prec, d);
            if (strtod(out, NULL) == d)
                break;
        }
    }
    if (!strpbrk(out, ".eEn"))
        strcat(out, ".0");
}

void cli_json_string(cli_buf *b, const char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    cli_buf_put(b, "\"", 1);
    size_t i = 0;
    const unsigned char *p = (const unsigned char *)s;
    while (i < n) {
        unsigned char c = p[i];
        if (c == '"' || c == '\\') {
            char e[2] = {'\\', (char)c};
            cli_buf_put(b, e, 2);
            i++;
        } else if (c < 0x20 || c == 0x7f) {
            if (c == '\n') cli_buf_puts(b, "\\n");
            else if (c == '\t') cli_buf_puts(b, "\\t");
            else if (c == '\r') cli_buf_puts(b, "\\r");
            else {
                char e[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
                cli_buf_put(b, e, 6);
            }
            i++;
        } else if (c < 0x80) {
            cli_buf_put(b, (const char *)p + i, 1);
            i++;
        } else {
            /* pass valid UTF-8 through, replace anything else */
            size_t len = (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : (c & 0xF8) == 0xF0 ? 4 : 0;
            bool ok = len && i + len <= n;
            for (size_t k = 1; ok && k < len; k++)
                ok = (p[i + k] & 0xC0) == 0x80;
            if (ok && len == 2 && c < 0xC2) ok = false;
            if (ok && len == 3 && c == 0xE0 && p[i + 1] < 0xA0) ok = false;
            if (ok && len == 3 && c == 0xED && p[i + 1] >= 0xA0) ok = false;
            if (ok && len == 4 && (c > 0xF4 || (c == 0xF0 && p[i + 1] < 0x90) || (c == 0xF4 && p[i + 1] >= 0x90))) ok = false;
            if (ok) {
                cli_buf_put(b, (const char *)p + i, len);
                i += len;
            } else {
                cli_buf_puts(b, "\\ufffd");
                i++;
            }
        }
    }
    cli_buf_put(b, "\"", 1);
}

void cli_value_json(cli_buf *b, kvet_value v)
{
    char num[32];
    switch ((kvet_type)v.type) {
    case KVET_ABSENT:
    case KVET_NULL: cli_buf_puts(b, "null"); break;
    case KVET_BOOL: cli_buf_puts(b, v.u.b ? "true" : "false"); break;
    case KVET_INT: cli_buf_printf(b, "%lld", (long long)v.u.i); break;
    case KVET_FLOAT:
        if (!isfinite(v.u.f)) {
            cli_buf_puts(b, "null");
        } else {
            cli_format_double(num, v.u.f);
            cli_buf_puts(b, num);
        }
        break;
    case KVET_STRING: cli_json_string(b, v.u.s->data, v.u.s->len); break;
    case KVET_LIST:
        cli_buf_puts(b, "[");
        for (uint32_t i = 0; i < v.u.l->n; i++) {
            if (i)
                cli_buf_puts(b, ",");
            cli_value_json(b, v.u.l->items[i]);
        }
        cli_buf_puts(b, "]");
        break;
    case KVET_MAP:
        cli_buf_puts(b, "{");
        for (uint32_t i = 0; i < v.u.m->n; i++) {
            if (i)
                cli_buf_puts(b, ",");
            cli_json_string(b, v.u.m->e[i].key->data, v.u.m->e[i].key->len);
            cli_buf_puts(b, ":");
            cli_value_json(b, v.u.m->e[i].val);
        }
        cli_buf_puts(b, "}");
        break;
    }
}

static void value_text(cli_buf *b, kvet_value v)
{
    if (v.type == KVET_STRING)
        cli_buf_put(b, v.u.s->data, v.u.s->len);
    else if (v.type == KVET_ABSENT)
        cli_buf_puts(b, "absent");
    else
        cli_value_json(b, v);
}

/* ------------------------------------------------------------------ text */

static const char *sev_color(kvet_severity s)
{
    switch (s) {
    case KVET_SEV_ERROR: return "\033[1;31m";
    case KVET_SEV_WARNING: return "\033[1;35m";
    default: return "\033[1;36m";
    }
}

static void resource_name(cli_buf *b, const kvet_resource *r)
{
    cli_resource_label(b, r);
}

void report_text(cli_buf *out, const kvet_result *res, const report_opts *o)
{
    for (size_t i = 0; i < res->nresources; i++) {
        const kvet_resource *r = &res->resources[i];
        for (size_t k = 0; k < r->nfindings; k++) {
            const kvet_finding *f = &r->findings[k];
            /* accepted debt: counted below, listed only on request */
            if (f->baselined && !o->show_baselined)
                continue;
            if (o->color)
                cli_buf_puts(out, "\033[1m");
            cli_buf_printf(out, "%s:%u:%u: ", f->file ? f->file : r->file, f->line, f->col);
            if (o->color)
                cli_buf_printf(out, "\033[0m%s", sev_color(f->severity));
            if (f->waiver)
                cli_buf_printf(out, "waived %s", kvet_severity_name(f->severity));
            else if (f->baselined)
                cli_buf_printf(out, "baselined %s", kvet_severity_name(f->severity));
            else
                cli_buf_printf(out, "%s", kvet_severity_name(f->severity));
            if (o->color)
                cli_buf_puts(out, "\033[0m\033[1m");
            cli_buf_printf(out, ": %s [%s]", f->message, f->rule);
            if (o->color)
                cli_buf_puts(out, "\033[0m");
            cli_buf_puts(out, "\n    ");
            resource_name(out, r);
            cli_buf_printf(out, ": %s\n", f->title);
            if (f->waiver)
                cli_buf_printf(out, "    waived by %s%s%s: %s (%s:%u)\n", f->waiver->owner[0] ? f->waiver->owner : "(no owner)",
                               f->waiver->expires[0] ? " until " : "", f->waiver->expires, f->waiver->reason,
                               f->waiver->file, f->waiver->line);
            if (f->remedy)
                cli_buf_printf(out, "    fix: %s\n", f->remedy);
            if (f->link)
                cli_buf_printf(out, "    see: %s\n", f->link);
        }
    }
    for (size_t i = 0; i < res->nerrors; i++) {
        const kvet_error *e = &res->errors[i];
        if (o->errors_shown && o->errors_shown[i])
            continue;
        if (e->file && e->line)
            cli_buf_printf(out, "%s:%u:%u: ", e->file, e->line, e->col);
        else if (e->file)
            cli_buf_printf(out, "%s: ", e->file);
        else
            cli_buf_puts(out, "kvet: ");
        if (o->color)
            cli_buf_puts(out, "\033[1;31m");
        cli_buf_puts(out, "error");
        if (o->color)
            cli_buf_puts(out, "\033[0m");
        cli_buf_printf(out, ": %s\n", e->message);
    }
    if (o->quiet)
        return;
    if (res->baselined && !o->show_baselined)
        cli_buf_printf(out, "%zu baselined finding%s (not shown; --show-baselined)\n", res->baselined,
                       res->baselined == 1 ? "" : "s");
    size_t e = res->findings[KVET_SEV_ERROR], w = res->findings[KVET_SEV_WARNING], n = res->findings[KVET_SEV_INFO];
    cli_buf_printf(out, "%zu resource%s checked with %zu rule%s", res->nresources, res->nresources == 1 ? "" : "s",
                   res->nrules, res->nrules == 1 ? "" : "s");
    if (o->project) {
        size_t ne = o->nenvs ? o->nenvs : kvet_project_env_count(o->project);
        cli_buf_puts(out, ne == 1 ? " in environment" : " in environments");
        for (size_t i = 0; i < ne; i++)
            cli_buf_printf(out, "%s %s", i ? "," : "", o->nenvs ? o->envs[i] : kvet_project_env_name(o->project, i));
        cli_buf_printf(out, " (%s)", kvet_project_file(o->project));
    }
    cli_buf_printf(out, ": %zu error%s, %zu warning%s, %zu info%s", e, e == 1 ? "" : "s", w, w == 1 ? "" : "s", n,
                   n == 1 ? "" : "s");
    if (res->waived)
        cli_buf_printf(out, "; %zu waived", res->waived);
    if (res->baselined)
        cli_buf_printf(out, "; %zu in the baseline", res->baselined);
    if (res->nwarnings)
        cli_buf_printf(out, "; %zu input warning%s", res->nwarnings, res->nwarnings == 1 ? "" : "s");
    if (res->nerrors)
        cli_buf_printf(out, "; %zu could not be evaluated (results are incomplete)", res->nerrors);
    cli_buf_puts(out, "\n");
}

/* ------------------------------------------------------------------ json */

static void json_errors(cli_buf *out, const char *key, const kvet_error *v, size_t n)
{
    cli_buf_printf(out, "  \"%s\": [", key);
    for (size_t i = 0; i < n; i++) {
        const kvet_error *e = &v[i];
        cli_buf_puts(out, i ? ",\n    {" : "\n    {");
        cli_buf_puts(out, "\"file\": ");
        if (e->file)
            cli_json_string(out, e->file, strlen(e->file));
        else
            cli_buf_puts(out, "null");
        cli_buf_printf(out, ", \"line\": %u, \"column\": %u, \"message\": ", e->line, e->col);
        cli_json_string(out, e->message, strlen(e->message));
        cli_buf_puts(out, "}");
    }
    cli_buf_puts(out, n ? "\n  ]" : "]");
}

static void json_opt_string(cli_buf *out, const char *s)
{
    if (s)
        cli_json_string(out, s, strlen(s));
    else
        cli_buf_puts(out, "null");
}

/* A resource's context: its environment, scope and the cluster
 * configuration documents it was checked with. */
static void json_context(cli_buf *out, const kvet_result *res, const kvet_resource *r)
{
    const kvet_context *c = r->context < res->ncontexts ? &res->contexts[r->context] : NULL;
    cli_buf_puts(out, "\"environment\": ");
    json_opt_string(out, c ? c->env : NULL);
    cli_buf_puts(out, ", \"scope\": ");
    json_opt_string(out, c ? c->scope : NULL);
    cli_buf_puts(out, ", \"cluster\": [");
    for (size_t k = 0; c && k < c->nconfig; k++) {
        const kvet_config_doc *d = &c->config[k];
        cli_buf_puts(out, k ? ", {\"kind\": " : "{\"kind\": ");
        cli_json_string(out, d->what, strlen(d->what));
        cli_buf_puts(out, ", \"file\": ");
        cli_json_string(out, d->file, strlen(d->file));
        cli_buf_printf(out, ", \"line\": %u, \"origin\": \"%s\"}", d->line, kvet_config_origin_name(d->origin));
    }
    cli_buf_puts(out, "]");
}

/* The --baseline file: its size, and the entries that matched no finding
 * (a baseline shrinks as they are removed: kvet baseline --update). */
static void json_baseline(cli_buf *out, const kvet_result *res)
{
    if (!res->baseline_file)
        return; /* the key is there only with a baseline */
    cli_buf_puts(out, "  \"baseline\": {\"file\": ");
    cli_json_string(out, res->baseline_file, strlen(res->baseline_file));
    cli_buf_printf(out, ", \"entries\": %zu, \"stale\": [", res->nbaseline);
    bool first = true;
    for (size_t i = 0; i < res->nbaseline; i++) {
        const kvet_baseline_entry *e = &res->baseline[i];
        if (e->matched)
            continue;
        cli_buf_puts(out, first ? "\n    {\"rule\": " : ",\n    {\"rule\": ");
        first = false;
        cli_json_string(out, e->rule, strlen(e->rule));
        cli_buf_puts(out, ", \"apiVersion\": ");
        cli_json_string(out, e->api_version, strlen(e->api_version));
        cli_buf_puts(out, ", \"kind\": ");
        cli_json_string(out, e->kind, strlen(e->kind));
        cli_buf_puts(out, ", \"namespace\": ");
        cli_json_string(out, e->ns, strlen(e->ns));
        cli_buf_puts(out, ", \"name\": ");
        cli_json_string(out, e->name, strlen(e->name));
        cli_buf_printf(out, ", \"line\": %u}", e->line);
    }
    cli_buf_puts(out, first ? "]},\n" : "\n  ]},\n");
}

int report_json(cli_buf *out, const kvet_result *res, const report_opts *o)
{
    cli_buf_printf(out, "{\n  \"kvet\": {\"version\": ");
    cli_json_string(out, kvet_version(), strlen(kvet_version()));
    cli_buf_printf(out, ", \"format\": %d},\n", KVET_FORMAT_VERSION);
    cli_buf_puts(out, "  \"packs\": [");
    size_t np = o->pack ? kvet_pack_count(o->pack) : 0;
    for (size_t i = 0; i < np; i++) {
        kvet_pack_info pi = kvet_pack_at(o->pack, i);
        cli_buf_puts(out, i ? ", {" : "{");
        cli_buf_puts(out, "\"name\": ");
        cli_json_string(out, pi.name, strlen(pi.name));
        cli_buf_puts(out, ", \"version\": ");
        cli_json_string(out, pi.version, strlen(pi.version));
        cli_buf_puts(out, ", \"digest\": ");
        cli_json_string(out, pi.digest, strlen(pi.digest));
        cli_buf_puts(out, "}");
    }
    cli_buf_puts(out, "],\n");
    cli_buf_printf(out,
                   "  \"summary\": {\"resources\": %zu, \"rules\": %zu, \"findings\": {\"error\": %zu, "
                   "\"warning\": %zu, \"info\": %zu}, \"waived\": %zu, \"baselined\": %zu, \"skipped\": %zu, "
                   "\"errors\": %zu, \"warnings\": %zu, \"duplicates\": %zu, \"clusterDefaults\": %s},\n",
                   res->nresources, res->nrules, res->findings[KVET_SEV_ERROR], res->findings[KVET_SEV_WARNING],
                   res->findings[KVET_SEV_INFO], res->waived, res->baselined, res->skipped, res->nerrors,
                   res->nwarnings, res->duplicates, res->used_cluster_defaults ? "true" : "false");
    cli_buf_puts(out, "  \"resources\": [");
    for (size_t i = 0; i < res->nresources; i++) {
        const kvet_resource *r = &res->resources[i];
        cli_buf_puts(out, i ? ",\n    {" : "\n    {");
        cli_buf_puts(out, "\"apiVersion\": ");
        cli_json_string(out, r->api_version, strlen(r->api_version));
        cli_buf_puts(out, ", \"kind\": ");
        cli_json_string(out, r->kind, strlen(r->kind));
        cli_buf_puts(out, ", \"namespace\": ");
        cli_json_string(out, r->ns, strlen(r->ns));
        cli_buf_puts(out, ", \"name\": ");
        cli_json_string(out, r->name, strlen(r->name));
        cli_buf_puts(out, ", \"file\": ");
        cli_json_string(out, r->file, strlen(r->file));
        cli_buf_printf(out, ", \"line\": %u, \"evaluated\": %s,\n     ", r->line,
                       r->not_evaluated ? "false" : "true");
        json_context(out, res, r);
        cli_buf_puts(out, ",\n     \"effective\": ");
        cli_value_json(out, r->effective);
        cli_buf_puts(out, ",\n     \"findings\": [");
        for (size_t k = 0; k < r->nfindings; k++) {
            const kvet_finding *f = &r->findings[k];
            cli_buf_puts(out, k ? ",\n       {" : "\n       {");
            cli_buf_puts(out, "\"rule\": ");
            cli_json_string(out, f->rule, strlen(f->rule));
            cli_buf_printf(out, ", \"severity\": \"%s\", \"title\": ", kvet_severity_name(f->severity));
            cli_json_string(out, f->title, strlen(f->title));
            cli_buf_puts(out, ", \"message\": ");
            cli_json_string(out, f->message, strlen(f->message));
            cli_buf_puts(out, ", \"file\": ");
            const char *file = f->file ? f->file : r->file;
            cli_json_string(out, file, strlen(file));
            cli_buf_printf(out, ", \"line\": %u, \"column\": %u", f->line, f->col);
            if (f->remedy) {
                cli_buf_puts(out, ", \"remedy\": ");
                cli_json_string(out, f->remedy, strlen(f->remedy));
            }
            if (f->link) {
                cli_buf_puts(out, ", \"link\": ");
                cli_json_string(out, f->link, strlen(f->link));
            }
            if (f->waiver) {
                cli_buf_puts(out, ", \"waived\": {\"owner\": ");
                cli_json_string(out, f->waiver->owner, strlen(f->waiver->owner));
                cli_buf_puts(out, ", \"reason\": ");
                cli_json_string(out, f->waiver->reason, strlen(f->waiver->reason));
                cli_buf_puts(out, ", \"expires\": ");
                cli_json_string(out, f->waiver->expires, strlen(f->waiver->expires));
                cli_buf_printf(out, ", \"source\": \"%s\", \"file\": ", f->waiver->from_file ? "file" : "annotation");
                cli_json_string(out, f->waiver->file, strlen(f->waiver->file));
                cli_buf_printf(out, ", \"line\": %u}", f->waiver->line);
            }
            if (f->baselined)
                cli_buf_puts(out, ", \"baselined\": true");
            cli_buf_puts(out, "}");
        }
        cli_buf_puts(out, r->nfindings ? "\n     ]}" : "]}");
    }
    cli_buf_puts(out, res->nresources ? "\n  ],\n" : "],\n");
    cli_buf_puts(out, "  \"waivers\": [");
    for (size_t i = 0; i < res->nwaivers; i++) {
        const kvet_waiver *w = &res->waivers[i];
        cli_buf_puts(out, i ? ",\n    {" : "\n    {");
        cli_buf_puts(out, "\"rule\": ");
        cli_json_string(out, w->rule, strlen(w->rule));
        cli_buf_puts(out, ", \"resources\": ");
        cli_json_string(out, w->selector, strlen(w->selector));
        cli_buf_printf(out, ", \"source\": \"%s\", \"file\": ", w->from_file ? "file" : "annotation");
        cli_json_string(out, w->file, strlen(w->file));
        cli_buf_printf(out, ", \"line\": %u, \"owner\": ", w->line);
        cli_json_string(out, w->owner, strlen(w->owner));
        cli_buf_puts(out, ", \"reason\": ");
        cli_json_string(out, w->reason, strlen(w->reason));
        cli_buf_puts(out, ", \"expires\": ");
        cli_json_string(out, w->expires, strlen(w->expires));
        cli_buf_printf(out, ", \"status\": \"%s\", \"matched\": %zu}", kvet_waiver_status_name(w->status), w->matched);
    }
    cli_buf_puts(out, res->nwaivers ? "\n  ],\n" : "],\n");
    json_baseline(out, res);
    json_errors(out, "errors", res->errors, res->nerrors);
    cli_buf_puts(out, ",\n");
    json_errors(out, "warnings", res->warnings, res->nwarnings);
    cli_buf_puts(out, "\n}\n");
    return out->oom ? -1 : 0;
}

/* --------------------------------------------------------------- explain */

/* Where the cluster-wide inputs of a resource came from: its context and
 * every setting of the configuration documents it was checked with. */
static void explain_context(cli_buf *out, const kvet_result *res, const kvet_resource *r)
{
    static const struct {
        const char *what, *without;
    } kinds[] = {
        {"config-autoscaler", "none applies; Knative's defaults"},
        {"KnativeServing", "none applies"},
        {"inferenceservice-config", "none applies; KServe's defaults (Knative mode)"},
        {"config-autoscaler-keda", NULL},
    };
    static const char *const origin_text[] = {"--cluster", "the environment's cluster files",
                                              "among the environment's manifests", "the nearest folder's"};
    const kvet_context *c = r->context < res->ncontexts ? &res->contexts[r->context] : NULL;
    if (!c)
        return;
    if (c->env)
        cli_buf_printf(out, "  environment %s%s%s\n", c->env, c->namespace_default ? ", namespace " : "",
                       c->namespace_default ? c->namespace_default : "");
    else
        cli_buf_printf(out, "  scope %s (no project file)\n", c->scope);
    for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++) {
        const kvet_config_doc *d = NULL;
        for (size_t i = 0; i < c->nconfig; i++)
            if (!strcmp(c->config[i].what, kinds[k].what))
                d = &c->config[i];
        if (!d) {
            if (kinds[k].without)
                cli_buf_printf(out, "  %s: %s\n", kinds[k].what, kinds[k].without);
            continue;
        }
        cli_buf_printf(out, "  %s: %s:%u (%s)\n", d->what, d->file, d->line, origin_text[d->origin]);
        if (d->settings.type != KVET_MAP || !d->settings.u.m->n) {
            cli_buf_puts(out, "      sets nothing\n");
            continue;
        }
        for (uint32_t i = 0; i < d->settings.u.m->n; i++) {
            const kvet_map_entry *e = &d->settings.u.m->e[i];
            if (!strcmp(e->key->data, "_example"))
                continue;
            cli_buf_printf(out, "      %s = ", e->key->data);
            if (e->val.type == KVET_STRING && !memchr(e->val.u.s->data, '\n', e->val.u.s->len))
                cli_json_string(out, e->val.u.s->data, e->val.u.s->len);
            else if (e->val.type == KVET_STRING)
                cli_buf_puts(out, "(text)");
            else
                value_text(out, e->val);
            if (e->val.line)
                cli_buf_printf(out, "  (line %u)", e->val.line);
            cli_buf_puts(out, "\n");
        }
    }
}

size_t report_explain(cli_buf *out, const kvet_result *res, const report_opts *o, const char *only)
{
    size_t shown = 0;
    for (size_t i = 0; i < res->nresources; i++) {
        const kvet_resource *r = &res->resources[i];
        if (only) {
            char id[1024];
            snprintf(id, sizeof id, "%s/%s", r->ns, r->name);
            if (strcmp(only, id) != 0 && strcmp(only, r->name) != 0)
                continue;
        }
        if (!r->ntrace && !only)
            continue;
        shown++;
        if (o->color)
            cli_buf_puts(out, "\033[1m");
        resource_name(out, r);
        if (o->color)
            cli_buf_puts(out, "\033[0m");
        cli_buf_printf(out, "  (%s, %s:%u)\n", r->api_version, r->file, r->line);
        explain_context(out, res, r);
        if (!r->ntrace)
            cli_buf_puts(out, "  no derived values\n");
        for (size_t k = 0; k < r->ntrace; k++) {
            const kvet_trace *t = &r->trace[k];
            cli_buf_printf(out, "  $%s = ", t->name);
            value_text(out, t->value);
            cli_buf_puts(out, "\n");
            cli_buf_printf(out, "      by   %s:%u:%u  %s\n", t->rule_file ? t->rule_file : "?", t->rule_line,
                           t->rule_col, t->expr);
            if (t->reads)
                cli_buf_printf(out, "      uses $%s\n", t->reads);
            if (t->value_file)
                cli_buf_printf(out, "      from %s:%u:%u\n", t->value_file, t->value_line, t->value_col);
        }
        for (size_t k = 0; k < r->nfindings; k++)
            cli_buf_printf(out, "  finding %s (%s): %s\n", r->findings[k].rule,
                           kvet_severity_name(r->findings[k].severity), r->findings[k].message);
        cli_buf_puts(out, "\n");
    }
    return shown;
}

/* ---------------------------------------------------------------- baseline */

typedef struct bl_entry {
    const char *rule, *api, *kind, *ns, *name;
} bl_entry;

static int bl_cmp(const void *a, const void *b)
{
    const bl_entry *x = a, *y = b;
    int c;
    if ((c = strcmp(x->rule, y->rule))) return c;
    if ((c = strcmp(x->api, y->api))) return c;
    if ((c = strcmp(x->kind, y->kind))) return c;
    if ((c = strcmp(x->ns, y->ns))) return c;
    return strcmp(x->name, y->name);
}

int report_baseline(cli_buf *out, const kvet_result *res, bool only_baselined)
{
    size_t n = 0, cap = 64;
    bl_entry *v = malloc(cap * sizeof *v);
    if (!v)
        return -1;
    for (size_t i = 0; i < res->nresources; i++) {
        const kvet_resource *r = &res->resources[i];
        for (size_t k = 0; k < r->nfindings; k++) {
            if (r->findings[k].waiver)
                continue; /* a waiver already covers it */
            if (only_baselined && !r->findings[k].baselined)
                continue;
            if (n == cap) {
                cap *= 2;
                bl_entry *nv = realloc(v, cap * sizeof *nv);
                if (!nv) {
                    free(v);
                    return -1;
                }
                v = nv;
            }
            v[n++] = (bl_entry){r->findings[k].rule, r->api_version, r->kind, r->ns, r->name};
        }
    }
    qsort(v, n, sizeof *v, bl_cmp);
    cli_buf_printf(out, "{\n  \"kvet\": {\"version\": ");
    cli_json_string(out, kvet_version(), strlen(kvet_version()));
    cli_buf_puts(out, ", \"baseline\": 1},\n  \"findings\": [");
    size_t written = 0;
    for (size_t i = 0; i < n; i++) {
        if (i && !bl_cmp(&v[i - 1], &v[i]))
            continue;
        cli_buf_puts(out, written++ ? ",\n    {" : "\n    {");
        cli_buf_puts(out, "\"rule\": ");
        cli_json_string(out, v[i].rule, strlen(v[i].rule));
        cli_buf_puts(out, ", \"apiVersion\": ");
        cli_json_string(out, v[i].api, strlen(v[i].api));
        cli_buf_puts(out, ", \"kind\": ");
        cli_json_string(out, v[i].kind, strlen(v[i].kind));
        cli_buf_puts(out, ", \"namespace\": ");
        cli_json_string(out, v[i].ns, strlen(v[i].ns));
        cli_buf_puts(out, ", \"name\": ");
        cli_json_string(out, v[i].name, strlen(v[i].name));
        cli_buf_puts(out, "}");
    }
    cli_buf_puts(out, written ? "\n  ]\n}\n" : "]\n}\n");
    free(v);
    return out->oom ? -1 : 0;
}
