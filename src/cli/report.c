/*
 * report.c - text, JSON and explain reporters.
 *
 * JSON is written by hand rather than through cJSON so that 64-bit
 * integers keep their exact value and keys keep a fixed order; the format
 * is documented in docs/output.md and versioned by "format".
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

/* ---------------------------------------------------------- streaming */

int cli_sink_write(void *f, const char *data, size_t len)
{
    return kvet_atomic_write(f, data, len);
}

int cli_buf_commit(kv_buf *b, kvet_atomic_file *f)
{
    if (kv_buf_flush(b) < 0) {
        int e = errno;
        kvet_atomic_abort(f);
        errno = e;
        return -1;
    }
    return kvet_atomic_commit(f);
}

/* The pack's rule ids as JSON strings, quoted once for a whole report:
 * each resource's "outcomes" lists dozens of them. */
typedef struct json_ids {
    kv_buf text;               /* the quoted ids, one after another */
    size_t *at;                /* rule i's is text.data[at[i] .. at[i + 1]) */
    size_t n;                  /* rules; 0 when not made (no pack, or out of memory) */
} json_ids;

static void json_ids_make(json_ids *ids, const kvet_pack *pack)
{
    memset(ids, 0, sizeof *ids);
    kv_buf_init(&ids->text);
    size_t n = pack ? kvet_rule_count(pack) : 0;
    if (!n || !(ids->at = malloc((n + 1) * sizeof *ids->at)))
        return;
    for (size_t i = 0; i < n; i++) {
        const char *id = kvet_rule_id(pack, i);
        ids->at[i] = ids->text.len;
        kv_buf_json_string(&ids->text, id ? id : "", id ? strlen(id) : 0);
    }
    ids->at[n] = ids->text.len;
    if (ids->text.oom) {
        free(ids->at);
        ids->at = NULL;
        return;
    }
    ids->n = n;
}

static void json_ids_free(json_ids *ids)
{
    kv_buf_free(&ids->text);
    free(ids->at);
    ids->at = NULL;
    ids->n = 0;
}

/* The rules evaluated on a resource by outcome, ids in pack order; a rule
 * not listed did not apply.  One line per resource keeps the report
 * streamable (a reader never holds more than a resource). */
static void json_outcomes(kv_buf *out, const kvet_pack *pack, const json_ids *ids, const kvet_resource *r)
{
    if (!pack)
        return;
    kv_buf_puts(out, ",\n     \"outcomes\": {");
    bool first = true;
    for (int st = KVET_OUTCOME_PASS; st < KVET_OUTCOME_NOT_APPLICABLE; st++) {
        size_t n = 0;
        for (size_t k = 0; k < r->noutcomes; k++) {
            if (r->outcomes[k].status != (uint32_t)st)
                continue;
            if (!n++) {
                kv_buf_puts(out, first ? "\"" : ", \"");
                kv_buf_puts(out, kvet_outcome_name((kvet_outcome_status)st));
                kv_buf_puts(out, "\": [");
                first = false;
            } else {
                kv_buf_puts(out, ", ");
            }
            size_t rule = r->outcomes[k].rule;
            if (rule < ids->n) {
                kv_buf_put(out, ids->text.data + ids->at[rule], ids->at[rule + 1] - ids->at[rule]);
            } else {
                const char *id = kvet_rule_id(pack, rule);
                kv_buf_json_string(out, id ? id : "", id ? strlen(id) : 0);
            }
        }
        if (n)
            kv_buf_puts(out, "]");
    }
    kv_buf_puts(out, "}");
}

void cli_value_json(kv_buf *b, kvet_value v)
{
    char num[32];
    switch ((kvet_type)v.type) {
    case KVET_ABSENT:
    case KVET_NULL: kv_buf_puts(b, "null"); break;
    case KVET_BOOL: kv_buf_puts(b, v.u.b ? "true" : "false"); break;
    case KVET_INT: kv_buf_put_int(b, v.u.i); break;
    case KVET_FLOAT:
        if (!isfinite(v.u.f)) {
            kv_buf_puts(b, "null");
        } else {
            kv_format_double(num, v.u.f);
            kv_buf_puts(b, num);
        }
        break;
    case KVET_STRING: kv_buf_json_string(b, v.u.s->data, v.u.s->len); break;
    case KVET_LIST:
        kv_buf_puts(b, "[");
        for (uint32_t i = 0; i < v.u.l->n; i++) {
            if (i)
                kv_buf_puts(b, ",");
            cli_value_json(b, v.u.l->items[i]);
        }
        kv_buf_puts(b, "]");
        break;
    case KVET_MAP:
        kv_buf_puts(b, "{");
        for (uint32_t i = 0; i < v.u.m->n; i++) {
            if (i)
                kv_buf_puts(b, ",");
            kv_buf_json_string(b, v.u.m->e[i].key->data, v.u.m->e[i].key->len);
            kv_buf_puts(b, ":");
            cli_value_json(b, v.u.m->e[i].val);
        }
        kv_buf_puts(b, "}");
        break;
    }
}

static void value_text(kv_buf *b, kvet_value v)
{
    if (v.type == KVET_STRING)
        kv_buf_put(b, v.u.s->data, v.u.s->len);
    else if (v.type == KVET_ABSENT)
        kv_buf_puts(b, "absent");
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

static void resource_name(kv_buf *b, const kvet_resource *r)
{
    cli_resource_label(b, r);
}

/* A resource's findings, each on its lines. */
static void text_resource(kv_buf *out, const kvet_resource *r, const report_opts *o)
{
    for (size_t k = 0; k < r->nfindings; k++) {
        const kvet_finding *f = &r->findings[k];
        /* accepted debt: counted below, listed only on request */
        if (f->baselined && !o->show_baselined)
            continue;
        if (o->color)
            kv_buf_puts(out, "\033[1m");
        /* a finding's lines, without printf: a large run has many */
        kv_buf_puts(out, cli_finding_file(f, r));
        kv_buf_putc(out, ':');
        kv_buf_put_uint(out, f->line);
        kv_buf_putc(out, ':');
        kv_buf_put_uint(out, f->col);
        kv_buf_puts(out, ": ");
        if (o->color) {
            kv_buf_puts(out, "\033[0m");
            kv_buf_puts(out, sev_color(f->severity));
        }
        if (f->waiver)
            kv_buf_puts(out, "waived ");
        else if (f->baselined)
            kv_buf_puts(out, "baselined ");
        kv_buf_puts(out, kvet_severity_name(f->severity));
        if (o->color)
            kv_buf_puts(out, "\033[0m\033[1m");
        kv_buf_puts(out, ": ");
        kv_buf_puts(out, f->message);
        kv_buf_puts(out, " [");
        kv_buf_puts(out, f->rule);
        kv_buf_putc(out, ']');
        if (o->color)
            kv_buf_puts(out, "\033[0m");
        kv_buf_puts(out, "\n    ");
        resource_name(out, r);
        kv_buf_puts(out, ": ");
        kv_buf_puts(out, f->title);
        kv_buf_putc(out, '\n');
        if (f->waiver)
            kv_buf_printf(out, "    waived by %s%s%s: %s (%s:%u)\n", f->waiver->owner[0] ? f->waiver->owner : "(no owner)",
                           f->waiver->expires[0] ? " until " : "", f->waiver->expires, f->waiver->reason,
                           f->waiver->file, f->waiver->line);
        if (f->remedy)
            kv_buf_printf(out, "    fix: %s\n", f->remedy);
        if (f->link)
            kv_buf_printf(out, "    see: %s\n", f->link);
    }
}

/* What follows the findings of the run's resources (nres of them): the
 * errors, then the summary. */
static void text_tail(kv_buf *out, const kvet_result *res, const report_opts *o, size_t nres)
{
    for (size_t i = 0; i < res->nerrors; i++) {
        const kvet_error *e = &res->errors[i];
        if (o->errors_shown && o->errors_shown[i])
            continue;
        if (e->file && e->line)
            kv_buf_printf(out, "%s:%u:%u: ", e->file, e->line, e->col);
        else if (e->file)
            kv_buf_printf(out, "%s: ", e->file);
        else
            kv_buf_puts(out, "kvet: ");
        if (o->color)
            kv_buf_puts(out, "\033[1;31m");
        kv_buf_puts(out, "error");
        if (o->color)
            kv_buf_puts(out, "\033[0m");
        kv_buf_printf(out, ": %s\n", e->message);
    }
    if (o->quiet)
        return;
    if (res->baselined && !o->show_baselined)
        kv_buf_printf(out, "%zu baselined finding%s (not shown; --show-baselined)\n", res->baselined,
                       res->baselined == 1 ? "" : "s");
    size_t e = res->findings[KVET_SEV_ERROR], w = res->findings[KVET_SEV_WARNING], n = res->findings[KVET_SEV_INFO];
    kv_buf_printf(out, "%zu resource%s checked with %zu rule%s", nres, nres == 1 ? "" : "s",
                   res->nrules, res->nrules == 1 ? "" : "s");
    if (o->project) {
        size_t ne = o->nenvs ? o->nenvs : kvet_project_env_count(o->project);
        kv_buf_puts(out, ne == 1 ? " in environment" : " in environments");
        for (size_t i = 0; i < ne; i++)
            kv_buf_printf(out, "%s %s", i ? "," : "", o->nenvs ? o->envs[i] : kvet_project_env_name(o->project, i));
        kv_buf_printf(out, " (%s)", kvet_project_file(o->project));
    }
    kv_buf_printf(out, ": %zu error%s, %zu warning%s, %zu info%s", e, e == 1 ? "" : "s", w, w == 1 ? "" : "s", n,
                   n == 1 ? "" : "s");
    if (res->waived)
        kv_buf_printf(out, "; %zu waived", res->waived);
    if (res->baselined)
        kv_buf_printf(out, "; %zu in the baseline", res->baselined);
    if (res->nwarnings)
        kv_buf_printf(out, "; %zu input warning%s", res->nwarnings, res->nwarnings == 1 ? "" : "s");
    if (res->nerrors)
        kv_buf_printf(out, "; %zu could not be evaluated (results are incomplete)", res->nerrors);
    kv_buf_puts(out, "\n");
}

void report_text(kv_buf *out, const kvet_result *res, const report_opts *o)
{
    for (size_t i = 0; i < res->nresources; i++)
        text_resource(out, &res->resources[i], o);
    text_tail(out, res, o, res->nresources + res->nstreamed);
}

static void *text_open(const report_opts *o, const char *dest)
{
    return report_stream_new(sizeof(report_stream_base), o, dest);
}

static void text_put(void *st, const kvet_result *res, const kvet_resource *r)
{
    (void)res;
    report_stream_base *t = st;
    text_resource(&t->body.buf, r, &t->o);
    t->n++;
}

static int text_finish(void *st, kv_buf *out, const kvet_result *res, const report_opts *o)
{
    report_stream_base *t = st;
    if (report_spill_copy_all(&t->body, out) < 0)
        return -1;
    text_tail(out, res, o, t->n);
    return out->oom ? (errno = ENOMEM, -1) : 0;
}

const report_stream_ops report_text_stream = {text_open, text_put, text_finish, report_stream_close};

/* ------------------------------------------------------------------ json */

static void json_errors(kv_buf *out, const char *key, const kvet_error *v, size_t n)
{
    kv_buf_printf(out, "  \"%s\": [", key);
    for (size_t i = 0; i < n; i++) {
        const kvet_error *e = &v[i];
        kv_buf_puts(out, i ? ",\n    {" : "\n    {");
        kv_buf_puts(out, "\"file\": ");
        if (e->file)
            kv_buf_json_string(out, e->file, strlen(e->file));
        else
            kv_buf_puts(out, "null");
        kv_buf_printf(out, ", \"line\": %u, \"column\": %u, \"message\": ", e->line, e->col);
        kv_buf_json_string(out, e->message, strlen(e->message));
        kv_buf_puts(out, "}");
    }
    kv_buf_puts(out, n ? "\n  ]" : "]");
}

static void json_opt_string(kv_buf *out, const char *s)
{
    if (s)
        kv_buf_json_string(out, s, strlen(s));
    else
        kv_buf_puts(out, "null");
}

/* A resource's context: its environment, scope and the cluster
 * configuration documents it was checked with. */
static void json_context(kv_buf *out, const kvet_result *res, const kvet_resource *r)
{
    const kvet_context *c = r->context < res->ncontexts ? &res->contexts[r->context] : NULL;
    kv_buf_puts(out, "\"environment\": ");
    json_opt_string(out, c ? c->env : NULL);
    kv_buf_puts(out, ", \"scope\": ");
    json_opt_string(out, c ? c->scope : NULL);
    kv_buf_puts(out, ", \"cluster\": [");
    for (size_t k = 0; c && k < c->nconfig; k++) {
        const kvet_config_doc *d = &c->config[k];
        kv_buf_puts(out, k ? ", {\"kind\": " : "{\"kind\": ");
        kv_buf_json_string(out, d->what, strlen(d->what));
        kv_buf_puts(out, ", \"file\": ");
        kv_buf_json_string(out, d->file, strlen(d->file));
        kv_buf_printf(out, ", \"line\": %u, \"origin\": \"%s\"}", d->line, kvet_config_origin_name(d->origin));
    }
    kv_buf_puts(out, "]");
}

/* The --baseline file: its size, and the entries that matched no finding
 * (a baseline shrinks as they are removed: kvet baseline --update). */
static void json_baseline(kv_buf *out, const kvet_result *res)
{
    if (!res->baseline_file)
        return; /* the key is there only with a baseline */
    kv_buf_puts(out, "  \"baseline\": {\"file\": ");
    kv_buf_json_string(out, res->baseline_file, strlen(res->baseline_file));
    kv_buf_printf(out, ", \"entries\": %zu, \"stale\": [", res->nbaseline);
    bool first = true;
    for (size_t i = 0; i < res->nbaseline; i++) {
        const kvet_baseline_entry *e = &res->baseline[i];
        if (e->matched)
            continue;
        kv_buf_puts(out, first ? "\n    {\"rule\": " : ",\n    {\"rule\": ");
        first = false;
        kv_buf_json_string(out, e->rule, strlen(e->rule));
        kv_buf_puts(out, ", \"apiVersion\": ");
        kv_buf_json_string(out, e->api_version, strlen(e->api_version));
        kv_buf_puts(out, ", \"kind\": ");
        kv_buf_json_string(out, e->kind, strlen(e->kind));
        kv_buf_puts(out, ", \"namespace\": ");
        kv_buf_json_string(out, e->ns, strlen(e->ns));
        kv_buf_puts(out, ", \"name\": ");
        kv_buf_json_string(out, e->name, strlen(e->name));
        kv_buf_printf(out, ", \"line\": %u}", e->line);
    }
    kv_buf_puts(out, first ? "]},\n" : "\n  ]},\n");
}

static void json_head(kv_buf *out, const kvet_result *res, const report_opts *o)
{
    kv_buf_printf(out, "{\n  \"kvet\": {\"version\": ");
    kv_buf_json_string(out, kvet_version(), strlen(kvet_version()));
    kv_buf_printf(out, ", \"format\": %d},\n", KVET_FORMAT_VERSION);
    kv_buf_puts(out, "  \"packs\": [");
    size_t np = o->pack ? kvet_pack_count(o->pack) : 0;
    for (size_t i = 0; i < np; i++) {
        kvet_pack_info pi = kvet_pack_at(o->pack, i);
        kv_buf_puts(out, i ? ", {" : "{");
        kv_buf_puts(out, "\"name\": ");
        kv_buf_json_string(out, pi.name, strlen(pi.name));
        kv_buf_puts(out, ", \"version\": ");
        kv_buf_json_string(out, pi.version, strlen(pi.version));
        kv_buf_puts(out, ", \"digest\": ");
        kv_buf_json_string(out, pi.digest, strlen(pi.digest));
        kv_buf_puts(out, "}");
    }
    kv_buf_puts(out, "],\n");
    kv_buf_printf(out,
                   "  \"summary\": {\"resources\": %zu, \"rules\": %zu, \"findings\": {\"error\": %zu, "
                   "\"warning\": %zu, \"info\": %zu}, \"waived\": %zu, \"baselined\": %zu, \"skipped\": %zu, "
                   "\"errors\": %zu, \"warnings\": %zu, \"duplicates\": %zu, \"clusterDefaults\": %s},\n",
                   res->nresources + res->nstreamed, res->nrules, res->findings[KVET_SEV_ERROR], res->findings[KVET_SEV_WARNING],
                   res->findings[KVET_SEV_INFO], res->waived, res->baselined, res->skipped, res->nerrors,
                   res->nwarnings, res->duplicates, res->used_cluster_defaults ? "true" : "false");
}

/* One resource of the "resources" array; `first` has no comma before it. */
static void json_resource(kv_buf *out, const kvet_result *res, const kvet_pack *pack, const json_ids *ids,
                          const kvet_resource *r, bool first)
{
    kv_buf_puts(out, first ? "\n    {" : ",\n    {");
    kv_buf_puts(out, "\"apiVersion\": ");
    kv_buf_json_string(out, r->api_version, strlen(r->api_version));
    kv_buf_puts(out, ", \"kind\": ");
    kv_buf_json_string(out, r->kind, strlen(r->kind));
    kv_buf_puts(out, ", \"namespace\": ");
    kv_buf_json_string(out, r->ns, strlen(r->ns));
    kv_buf_puts(out, ", \"name\": ");
    kv_buf_json_string(out, r->name, strlen(r->name));
    kv_buf_puts(out, ", \"file\": ");
    kv_buf_json_string(out, r->file, strlen(r->file));
    /* what every resource and finding repeats is written without printf,
     * whose cost per call shows in large reports */
    kv_buf_puts(out, ", \"line\": ");
    kv_buf_put_uint(out, r->line);
    kv_buf_puts(out, r->not_evaluated ? ", \"evaluated\": false,\n     " : ", \"evaluated\": true,\n     ");
    json_context(out, res, r);
    kv_buf_puts(out, ",\n     \"effective\": ");
    cli_value_json(out, r->effective);
    kv_buf_puts(out, ",\n     \"findings\": [");
    for (size_t k = 0; k < r->nfindings; k++) {
        const kvet_finding *f = &r->findings[k];
        kv_buf_puts(out, k ? ",\n       {" : "\n       {");
        kv_buf_puts(out, "\"rule\": ");
        kv_buf_json_string(out, f->rule, strlen(f->rule));
        kv_buf_puts(out, ", \"severity\": \"");
        kv_buf_puts(out, kvet_severity_name(f->severity));
        kv_buf_puts(out, "\", \"title\": ");
        kv_buf_json_string(out, f->title, strlen(f->title));
        kv_buf_puts(out, ", \"message\": ");
        kv_buf_json_string(out, f->message, strlen(f->message));
        kv_buf_puts(out, ", \"file\": ");
        const char *file = cli_finding_file(f, r);
        kv_buf_json_string(out, file, strlen(file));
        kv_buf_puts(out, ", \"line\": ");
        kv_buf_put_uint(out, f->line);
        kv_buf_puts(out, ", \"column\": ");
        kv_buf_put_uint(out, f->col);
        if (f->remedy) {
            kv_buf_puts(out, ", \"remedy\": ");
            kv_buf_json_string(out, f->remedy, strlen(f->remedy));
        }
        if (f->link) {
            kv_buf_puts(out, ", \"link\": ");
            kv_buf_json_string(out, f->link, strlen(f->link));
        }
        if (f->waiver) {
            kv_buf_puts(out, ", \"waived\": {\"owner\": ");
            kv_buf_json_string(out, f->waiver->owner, strlen(f->waiver->owner));
            kv_buf_puts(out, ", \"reason\": ");
            kv_buf_json_string(out, f->waiver->reason, strlen(f->waiver->reason));
            kv_buf_puts(out, ", \"expires\": ");
            kv_buf_json_string(out, f->waiver->expires, strlen(f->waiver->expires));
            kv_buf_printf(out, ", \"source\": \"%s\", \"file\": ", f->waiver->from_file ? "file" : "annotation");
            kv_buf_json_string(out, f->waiver->file, strlen(f->waiver->file));
            kv_buf_printf(out, ", \"line\": %u}", f->waiver->line);
        }
        if (f->baselined)
            kv_buf_puts(out, ", \"baselined\": true");
        kv_buf_puts(out, "}");
    }
    kv_buf_puts(out, r->nfindings ? "\n     ]" : "]");
    json_outcomes(out, pack, ids, r);
    kv_buf_puts(out, "}");
}

/* Everything after the "resources" array. */
static void json_tail(kv_buf *out, const kvet_result *res)
{
    kv_buf_puts(out, "  \"waivers\": [");
    for (size_t i = 0; i < res->nwaivers; i++) {
        const kvet_waiver *w = &res->waivers[i];
        kv_buf_puts(out, i ? ",\n    {" : "\n    {");
        kv_buf_puts(out, "\"rule\": ");
        kv_buf_json_string(out, w->rule, strlen(w->rule));
        kv_buf_puts(out, ", \"resources\": ");
        kv_buf_json_string(out, w->selector, strlen(w->selector));
        kv_buf_printf(out, ", \"source\": \"%s\", \"file\": ", w->from_file ? "file" : "annotation");
        kv_buf_json_string(out, w->file, strlen(w->file));
        kv_buf_printf(out, ", \"line\": %u, \"owner\": ", w->line);
        kv_buf_json_string(out, w->owner, strlen(w->owner));
        kv_buf_puts(out, ", \"reason\": ");
        kv_buf_json_string(out, w->reason, strlen(w->reason));
        kv_buf_puts(out, ", \"expires\": ");
        kv_buf_json_string(out, w->expires, strlen(w->expires));
        kv_buf_printf(out, ", \"status\": \"%s\", \"matched\": %zu}", kvet_waiver_status_name(w->status), w->matched);
    }
    kv_buf_puts(out, res->nwaivers ? "\n  ],\n" : "],\n");
    json_baseline(out, res);
    json_errors(out, "errors", res->errors, res->nerrors);
    kv_buf_puts(out, ",\n");
    json_errors(out, "warnings", res->warnings, res->nwarnings);
    kv_buf_puts(out, "\n}\n");
}


int report_json(kv_buf *out, const kvet_result *res, const report_opts *o)
{
    json_head(out, res, o);
    kv_buf_puts(out, "  \"resources\": [");
    json_ids ids;
    json_ids_make(&ids, o->pack);
    for (size_t i = 0; i < res->nresources; i++)
        json_resource(out, res, o->pack, &ids, &res->resources[i], i == 0);
    json_ids_free(&ids);
    kv_buf_puts(out, res->nresources ? "\n  ],\n" : "],\n");
    json_tail(out, res);
    return out->oom ? -1 : 0;
}

/* ------------------------------------------------ JSON while checking */

typedef struct json_stream {
    report_stream_base b;
    json_ids ids;
} json_stream;

static void *json_open(const report_opts *o, const char *dest)
{
    json_stream *js = report_stream_new(sizeof *js, o, dest);
    if (js)
        json_ids_make(&js->ids, o->pack);
    return js;
}

static void json_put(void *st, const kvet_result *res, const kvet_resource *r)
{
    json_stream *js = st;
    json_resource(&js->b.body.buf, res, js->b.o.pack, &js->ids, r, js->b.n++ == 0);
}

static int json_finish(void *st, kv_buf *out, const kvet_result *res, const report_opts *o)
{
    json_stream *js = st;
    json_head(out, res, o);
    kv_buf_puts(out, "  \"resources\": [");
    if (report_spill_copy_all(&js->b.body, out) < 0)
        return -1;
    kv_buf_puts(out, js->b.n ? "\n  ],\n" : "],\n");
    json_tail(out, res);
    return out->oom ? (errno = ENOMEM, -1) : 0;
}

static void json_close(void *st)
{
    json_stream *js = st;
    if (js)
        json_ids_free(&js->ids);
    report_stream_close(js);
}

const report_stream_ops report_json_stream = {json_open, json_put, json_finish, json_close};

/* --------------------------------------------------------------- explain */

/* Where the cluster-wide inputs of a resource came from: its context and
 * every setting of the configuration documents it was checked with. */
static void explain_context(kv_buf *out, const kvet_result *res, const kvet_resource *r)
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
        kv_buf_printf(out, "  environment %s%s%s\n", c->env, c->namespace_default ? ", namespace " : "",
                       c->namespace_default ? c->namespace_default : "");
    else
        kv_buf_printf(out, "  scope %s (no project file)\n", c->scope);
    for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++) {
        const kvet_config_doc *d = NULL;
        for (size_t i = 0; i < c->nconfig; i++)
            if (!strcmp(c->config[i].what, kinds[k].what))
                d = &c->config[i];
        if (!d) {
            if (kinds[k].without)
                kv_buf_printf(out, "  %s: %s\n", kinds[k].what, kinds[k].without);
            continue;
        }
        kv_buf_printf(out, "  %s: %s:%u (%s)\n", d->what, d->file, d->line, origin_text[d->origin]);
        if (d->settings.type != KVET_MAP || !d->settings.u.m->n) {
            kv_buf_puts(out, "      sets nothing\n");
            continue;
        }
        for (uint32_t i = 0; i < d->settings.u.m->n; i++) {
            const kvet_map_entry *e = &d->settings.u.m->e[i];
            if (!strcmp(e->key->data, "_example"))
                continue;
            kv_buf_printf(out, "      %s = ", e->key->data);
            if (e->val.type == KVET_STRING && !memchr(e->val.u.s->data, '\n', e->val.u.s->len))
                kv_buf_json_string(out, e->val.u.s->data, e->val.u.s->len);
            else if (e->val.type == KVET_STRING)
                kv_buf_puts(out, "(text)");
            else
                value_text(out, e->val);
            if (e->val.line)
                kv_buf_printf(out, "  (line %u)", e->val.line);
            kv_buf_puts(out, "\n");
        }
    }
}

size_t report_explain(kv_buf *out, const kvet_result *res, const report_opts *o, const char *only)
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
            kv_buf_puts(out, "\033[1m");
        resource_name(out, r);
        if (o->color)
            kv_buf_puts(out, "\033[0m");
        kv_buf_printf(out, "  (%s, %s:%u)\n", r->api_version, r->file, r->line);
        explain_context(out, res, r);
        if (!r->ntrace)
            kv_buf_puts(out, "  no derived values\n");
        for (size_t k = 0; k < r->ntrace; k++) {
            const kvet_trace *t = &r->trace[k];
            kv_buf_printf(out, "  $%s = ", t->name);
            value_text(out, t->value);
            kv_buf_puts(out, "\n");
            kv_buf_printf(out, "      by   %s:%u:%u  %s\n", t->rule_file ? t->rule_file : "?", t->rule_line,
                           t->rule_col, t->expr);
            if (t->reads)
                kv_buf_printf(out, "      uses $%s\n", t->reads);
            if (t->value_file)
                kv_buf_printf(out, "      from %s:%u:%u\n", t->value_file, t->value_line, t->value_col);
        }
        for (size_t k = 0; k < r->nfindings; k++)
            kv_buf_printf(out, "  finding %s (%s): %s\n", r->findings[k].rule,
                           kvet_severity_name(r->findings[k].severity), r->findings[k].message);
        kv_buf_puts(out, "\n");
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

int report_baseline(kv_buf *out, const kvet_result *res, bool only_baselined)
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
    kv_buf_printf(out, "{\n  \"kvet\": {\"version\": ");
    kv_buf_json_string(out, kvet_version(), strlen(kvet_version()));
    kv_buf_puts(out, ", \"baseline\": 1},\n  \"findings\": [");
    size_t written = 0;
    for (size_t i = 0; i < n; i++) {
        if (i && !bl_cmp(&v[i - 1], &v[i]))
            continue;
        kv_buf_puts(out, written++ ? ",\n    {" : "\n    {");
        kv_buf_puts(out, "\"rule\": ");
        kv_buf_json_string(out, v[i].rule, strlen(v[i].rule));
        kv_buf_puts(out, ", \"apiVersion\": ");
        kv_buf_json_string(out, v[i].api, strlen(v[i].api));
        kv_buf_puts(out, ", \"kind\": ");
        kv_buf_json_string(out, v[i].kind, strlen(v[i].kind));
        kv_buf_puts(out, ", \"namespace\": ");
        kv_buf_json_string(out, v[i].ns, strlen(v[i].ns));
        kv_buf_puts(out, ", \"name\": ");
        kv_buf_json_string(out, v[i].name, strlen(v[i].name));
        kv_buf_puts(out, "}");
    }
    kv_buf_puts(out, written ? "\n  ]\n}\n" : "]\n}\n");
    free(v);
    return out->oom ? -1 : 0;
}
