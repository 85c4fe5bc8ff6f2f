/*
 * diff_report.c - the reports of `kvet diff` (docs/output.md, "kvet diff"):
 * text for people at a terminal, JSON for programs, Markdown sized for a
 * pull-request comment (most important first), and GitHub Actions workflow
 * commands that annotate the changed resources on the head side.
 *
 * Every report says the same things, in the words diff.c chose: derived
 * values grouped by component, then findings that are new, resolved or
 * changed, added and removed resources, changed cluster settings, errors.
 */
#include <stdlib.h>
#include <string.h>

#include "diff.h"

/* ---------------------------------------------------------------- shared */

/* A file name as reports show it: without a leading "./". */
static const char *show(const char *path)
{
    if (!path)
        return "";
    while (path[0] == '.' && path[1] == '/')
        path += 2;
    return path;
}

void diff_resource_label(kv_buf *b, const diff_resource *r)
{
    cli_resource_label(b, r->head ? r->head : r->base);
}

static const kvet_resource *where(const diff_resource *r)
{
    return r->head ? r->head : r->base;
}

static const char *finding_file(const kvet_finding *f, const kvet_resource *r)
{
    return show(f->file ? f->file : r->file);
}

static const char *plural(size_t n, const char *one, const char *many)
{
    return n == 1 ? one : many;
}

static const char *accepted(const kvet_finding *f)
{
    return f->waiver ? "waived " : f->baselined ? "baselined " : "";
}

/* One line of a resource's changes: a component's values, or a detail line
 * below it. */
typedef struct line {
    char *text;
    bool detail;
} text_line;

static void add_line(text_line **v, size_t *n, kv_buf *b, bool detail)
{
    text_line *nv = realloc(*v, (*n + 1) * sizeof *nv);
    if (!nv) {
        kv_buf_free(b);
        return;
    }
    *v = nv;
    nv[(*n)++] = (text_line){b->oom ? NULL : b->data, detail};
    if (b->oom)
        kv_buf_free(b);
    kv_buf_init(b);
}

static bool same_component(const char *a, const char *b)
{
    return (!a && !b) || (a && b && !strcmp(a, b));
}

/* The changes of a resource as lines: per component, in the order they
 * first appear, "predictor: min 1 -> 0; max 4 -> 8", then its details on
 * lines of their own (a component with only details has the first on its
 * line). */
static size_t change_lines(const diff_resource *r, text_line **out)
{
    *out = NULL;
    size_t n = 0;
    for (size_t i = 0; i < r->nchanges; i++) {
        const char *comp = r->changes[i].component;
        bool seen = false;
        for (size_t k = 0; k < i && !seen; k++)
            seen = same_component(r->changes[k].component, comp);
        if (seen)
            continue;
        kv_buf b;
        kv_buf_init(&b);
        if (comp)
            kv_buf_printf(&b, "%s: ", comp);
        size_t parts = 0;
        for (size_t k = i; k < r->nchanges; k++) {
            const diff_change *c = &r->changes[k];
            if (same_component(c->component, comp) && !c->detail && !c->merged) {
                kv_buf_puts(&b, parts++ ? "; " : "");
                kv_buf_puts(&b, c->text);
            }
        }
        bool main_done = parts > 0;
        if (main_done)
            add_line(out, &n, &b, false);
        for (size_t k = i; k < r->nchanges; k++) {
            const diff_change *c = &r->changes[k];
            if (!same_component(c->component, comp) || !c->detail || c->merged)
                continue;
            kv_buf_puts(&b, c->text);
            add_line(out, &n, &b, main_done);
            main_done = true;
        }
        kv_buf_free(&b);
    }
    return n;
}

static void free_lines(text_line *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(v[i].text);
    free(v);
}

/* "2 resources change behaviour, 1 only in findings, 1 added, 0 removed,
 * 5 unchanged; findings: 2 new (1 error, 1 info), 1 resolved, 0 changed" */
static void summary_line(kv_buf *b, const diff_result *d)
{
    size_t behaviour = 0, findings_only = 0;
    for (size_t i = 0; i < d->n; i++)
        if (d->v[i].status == DIFF_CHANGED)
            d->v[i].nchanges ? behaviour++ : findings_only++;
    size_t nnew = d->fnew[0] + d->fnew[1] + d->fnew[2];
    if (!d->changed && !d->added && !d->removed && !d->failed && !d->nerrors) {
        kv_buf_printf(b, "no change: %zu %s on both sides, none added or removed, the same findings", d->compared,
                       plural(d->compared, "resource", "resources"));
    } else {
        kv_buf_printf(b, "%zu %s behaviour", behaviour, plural(behaviour, "resource changes", "resources change"));
        if (findings_only)
            kv_buf_printf(b, ", %zu only %s findings", findings_only, plural(findings_only, "its", "their"));
        kv_buf_printf(b, ", %zu added, %zu removed, %zu unchanged", d->added, d->removed, d->unchanged);
        kv_buf_printf(b, "; findings: %zu new", nnew);
        if (nnew) {
            static const char *const names[3][2] = {{"info", "infos"}, {"warning", "warnings"}, {"error", "errors"}};
            size_t parts = 0;
            kv_buf_puts(b, " (");
            for (int s = KVET_SEV_ERROR; s >= KVET_SEV_INFO; s--) {
                if (!d->fnew[s])
                    continue;
                kv_buf_printf(b, "%s%zu %s", parts++ ? ", " : "", d->fnew[s], plural(d->fnew[s], names[s][0], names[s][1]));
            }
            kv_buf_puts(b, ")");
        }
        kv_buf_printf(b, ", %zu resolved, %zu changed", d->fresolved, d->fchanged);
    }
    if (d->failed)
        kv_buf_printf(b, "; %zu could not be compared", d->failed);
    if (d->nerrors)
        kv_buf_printf(b, "; %zu %s (the comparison is incomplete)", d->nerrors, plural(d->nerrors, "error", "errors"));
}

static void header_line(kv_buf *b, const diff_result *d)
{
    kv_buf_printf(b, "%s -> %s", diff_side_label(&d->base), diff_side_label(&d->head));
    for (size_t i = 0; i < d->non; i++)
        kv_buf_printf(b, "%s%s", i ? ", " : " on ", show(d->on[i]));
}

/* Which side a rule or derivation failed on. */
static const char *failed_side(const diff_resource *r)
{
    bool b = r->base && r->base->not_evaluated, h = r->head && r->head->not_evaluated;
    return b && h ? "both" : b ? "base" : "head";
}

/* ------------------------------------------------------------------ text */

static void text_finding(kv_buf *out, const char *what, const kvet_finding *f, const kvet_resource *r,
                         bool located, bool color)
{
    const char *col = "";
    if (color)
        col = !strcmp(what, "resolved") ? "\033[32m"
            : f->severity == KVET_SEV_ERROR ? "\033[1;31m"
            : f->severity == KVET_SEV_WARNING ? "\033[1;35m"
            : "\033[1;36m";
    kv_buf_printf(out, "  %s%s %s%s%s", col, what, accepted(f), kvet_severity_name(f->severity), color ? "\033[0m" : "");
    if (located)
        kv_buf_printf(out, " at %s:%u:%u", finding_file(f, r), f->line, f->col);
    kv_buf_printf(out, ": %s [%s]\n", f->message, f->rule);
}

int diff_report_text(kv_buf *out, const diff_result *d, const diff_report_opts *o)
{
    if (!o->quiet) {
        kv_buf_puts(out, "Comparing ");
        header_line(out, d);
        kv_buf_puts(out, "\n");
    }
    for (size_t i = 0; i < d->n; i++) {
        const diff_resource *r = &d->v[i];
        const kvet_resource *at = where(r);
        kv_buf_puts(out, "\n");
        if (o->color)
            kv_buf_puts(out, "\033[1m");
        diff_resource_label(out, r);
        if (o->color)
            kv_buf_puts(out, "\033[0m");
        kv_buf_printf(out, "  (%s%s:%u)\n", r->head ? "" : "was at ", show(at->file), at->line);
        switch (r->status) {
        case DIFF_ADDED:
            kv_buf_printf(out, "  added%s%s\n", r->summary ? ": " : "", r->summary ? r->summary : "");
            break;
        case DIFF_REMOVED:
            kv_buf_printf(out, "  removed%s%s\n", r->summary ? " (was: " : "", r->summary ? r->summary : "");
            if (r->summary)
                out->data[out->len - 1] = ')', kv_buf_puts(out, "\n");
            break;
        case DIFF_FAILED:
            kv_buf_printf(out, "  not compared: a rule or derivation failed on it on the %s side%s (see the errors below)\n",
                           failed_side(r), !strcmp(failed_side(r), "both") ? "s" : "");
            break;
        case DIFF_CHANGED: {
            text_line *lines;
            size_t n = change_lines(r, &lines);
            for (size_t k = 0; k < n; k++)
                kv_buf_printf(out, "%s%s\n", lines[k].detail ? "      " : "  ", lines[k].text ? lines[k].text : "");
            free_lines(lines, n);
            break;
        }
        }
        for (size_t k = 0; k < r->nnew; k++)
            text_finding(out, "new", r->fnew[k].f, r->head, true, o->color);
        for (size_t k = 0; k < r->nchanged; k++) {
            const kvet_finding *f = r->fchanged[k].f, *w = r->fchanged[k].was;
            text_finding(out, "changed", f, r->head, true, o->color);
            if (w->severity != f->severity)
                kv_buf_printf(out, "      was %s: %s\n", kvet_severity_name(w->severity), w->message);
            else
                kv_buf_printf(out, "      was: %s\n", w->message);
        }
        for (size_t k = 0; k < r->nresolved; k++)
            text_finding(out, "resolved", r->fresolved[k].f, r->base, false, o->color);
    }
    if (d->nsettings) {
        kv_buf_puts(out, "\nCluster configuration:\n");
        for (size_t i = 0; i < d->nsettings; i++) {
            const diff_setting *s = &d->settings[i];
            kv_buf_printf(out, "  %s %s: ", s->what, s->key);
            diff_value_text(out, s->before);
            kv_buf_puts(out, " -> ");
            diff_value_text(out, s->after);
            if (s->env)
                kv_buf_printf(out, " [env %s]", s->env);
            kv_buf_printf(out, "  (%s:%u)\n", show(s->file), s->line);
        }
    }
    if (d->nerrors) {
        kv_buf_puts(out, "\n");
        for (size_t i = 0; i < d->nerrors; i++) {
            const kvet_error *e = d->errors[i].e;
            kv_buf_printf(out, "%s: ", d->errors[i].side);
            if (e->file && e->line)
                kv_buf_printf(out, "%s:%u:%u: ", show(e->file), e->line, e->col);
            else if (e->file)
                kv_buf_printf(out, "%s: ", show(e->file));
            kv_buf_printf(out, "%serror%s: %s\n", o->color ? "\033[1;31m" : "", o->color ? "\033[0m" : "", e->message);
        }
    }
    if (!o->quiet) {
        kv_buf_puts(out, "\n");
        summary_line(out, d);
        kv_buf_puts(out, "\n");
    }
    return out->oom ? -1 : 0;
}

/* ------------------------------------------------------------------ json */

static void json_str(kv_buf *out, const char *s)
{
    if (s)
        kv_buf_json_string(out, s, strlen(s));
    else
        kv_buf_puts(out, "null");
}

static void json_impact(kv_buf *out, unsigned impact)
{
    kv_buf_puts(out, "[");
    if (impact & DIFF_RISK)
        kv_buf_puts(out, "\"risk\"");
    if (impact & DIFF_COST)
        kv_buf_puts(out, impact & DIFF_RISK ? ", \"cost\"" : "\"cost\"");
    kv_buf_puts(out, "]");
}

static void json_finding(kv_buf *out, const kvet_finding *f, const kvet_resource *r)
{
    kv_buf_puts(out, "{\"rule\": ");
    json_str(out, f->rule);
    kv_buf_printf(out, ", \"severity\": \"%s\", \"title\": ", kvet_severity_name(f->severity));
    json_str(out, f->title);
    kv_buf_puts(out, ", \"message\": ");
    json_str(out, f->message);
    kv_buf_puts(out, ", \"file\": ");
    json_str(out, finding_file(f, r));
    kv_buf_printf(out, ", \"line\": %u, \"column\": %u", f->line, f->col);
    if (f->waiver)
        kv_buf_puts(out, ", \"waived\": true");
    if (f->baselined)
        kv_buf_puts(out, ", \"baselined\": true");
}

static void json_findings(kv_buf *out, const char *key, const diff_finding *v, size_t n, const kvet_resource *r,
                          bool changed)
{
    kv_buf_printf(out, "\"%s\": [", key);
    for (size_t i = 0; i < n; i++) {
        kv_buf_puts(out, i ? ",\n         " : "\n         ");
        json_finding(out, v[i].f, r);
        if (changed) {
            kv_buf_printf(out, ", \"was\": {\"severity\": \"%s\", \"message\": ", kvet_severity_name(v[i].was->severity));
            json_str(out, v[i].was->message);
            kv_buf_puts(out, "}");
        }
        kv_buf_puts(out, "}");
    }
    kv_buf_puts(out, "]");
}

static void json_location(kv_buf *out, const kvet_resource *r)
{
    if (!r) {
        kv_buf_puts(out, "null");
        return;
    }
    kv_buf_puts(out, "{\"file\": ");
    json_str(out, show(r->file));
    kv_buf_printf(out, ", \"line\": %u}", r->line);
}

static void json_side(kv_buf *out, const diff_side *s, diff_mode mode)
{
    kv_buf_puts(out, "{\"label\": ");
    json_str(out, diff_side_label(s));
    kv_buf_printf(out, ", \"kind\": \"%s\", \"revision\": ",
                   s->revision ? "revision" : mode == DIFF_SETTINGS ? "settings" : "path");
    json_str(out, s->revision);
    kv_buf_puts(out, ", \"commit\": ");
    json_str(out, s->commit);
    kv_buf_puts(out, ",\n           \"paths\": [");
    for (size_t i = 0; i < s->npaths; i++) {
        kv_buf_puts(out, i ? ", " : "");
        json_str(out, show(s->paths[i]));
    }
    kv_buf_puts(out, "], \"set\": [");
    for (size_t i = 0; i < s->nsets; i++) {
        kv_buf_puts(out, i ? ", " : "");
        json_str(out, s->sets[i]);
    }
    kv_buf_puts(out, "], \"cluster\": [");
    for (size_t i = 0; i < s->ncluster; i++) {
        kv_buf_puts(out, i ? ", " : "");
        json_str(out, s->cluster[i]);
    }
    kv_buf_puts(out, "], \"project\": ");
    json_str(out, s->project ? show(kvet_project_file(s->project)) : NULL);
    kv_buf_puts(out, "}");
}

static const char *const status_names[] = {"changed", "added", "removed", "failed"};

int diff_report_json(kv_buf *out, const diff_result *d, const diff_report_opts *o)
{
    (void)o;
    kv_buf_puts(out, "{\n  \"kvet\": {\"version\": ");
    json_str(out, kvet_version());
    kv_buf_puts(out, ", \"diffFormat\": 1},\n  \"base\": ");
    json_side(out, &d->base, d->mode);
    kv_buf_puts(out, ",\n  \"head\": ");
    json_side(out, &d->head, d->mode);
    kv_buf_printf(out,
                   ",\n  \"summary\": {\"compared\": %zu, \"unchanged\": %zu, \"changed\": %zu, \"added\": %zu, "
                   "\"removed\": %zu, \"failed\": %zu,\n              \"findings\": {\"new\": {\"error\": %zu, "
                   "\"warning\": %zu, \"info\": %zu}, \"resolved\": %zu, \"changed\": %zu}, \"settings\": %zu, "
                   "\"errors\": %zu},\n",
                   d->compared, d->unchanged, d->changed, d->added, d->removed, d->failed, d->fnew[KVET_SEV_ERROR],
                   d->fnew[KVET_SEV_WARNING], d->fnew[KVET_SEV_INFO], d->fresolved, d->fchanged, d->nsettings,
                   d->nerrors);
    kv_buf_puts(out, "  \"resources\": [");
    for (size_t i = 0; i < d->n; i++) {
        const diff_resource *r = &d->v[i];
        const kvet_resource *at = where(r);
        kv_buf_puts(out, i ? ",\n    {" : "\n    {");
        kv_buf_printf(out, "\"status\": \"%s\", \"apiVersion\": ", status_names[r->status]);
        json_str(out, at->api_version);
        kv_buf_puts(out, ", \"kind\": ");
        json_str(out, at->kind);
        kv_buf_puts(out, ", \"namespace\": ");
        json_str(out, at->ns);
        kv_buf_puts(out, ", \"name\": ");
        json_str(out, at->name);
        kv_buf_puts(out, ", \"environment\": ");
        json_str(out, at->env);
        kv_buf_puts(out, ",\n     \"base\": ");
        json_location(out, r->base);
        kv_buf_puts(out, ", \"head\": ");
        json_location(out, r->head);
        kv_buf_puts(out, ", \"impact\": ");
        json_impact(out, r->impact);
        if (r->status == DIFF_FAILED)
            kv_buf_printf(out, ", \"failed\": \"%s\"", failed_side(r));
        kv_buf_puts(out, ",\n     \"changes\": [");
        for (size_t k = 0; k < r->nchanges; k++) {
            const diff_change *c = &r->changes[k];
            kv_buf_puts(out, k ? ",\n       {" : "\n       {");
            kv_buf_puts(out, "\"key\": ");
            json_str(out, c->key);
            kv_buf_puts(out, ", \"path\": [");
            for (size_t s = 0; s < c->npath; s++) {
                kv_buf_puts(out, s ? ", " : "");
                if (c->path[s].index >= 0)
                    kv_buf_printf(out, "%ld", c->path[s].index);
                else
                    kv_buf_json_string(out, c->path[s].key, c->path[s].keylen);
            }
            kv_buf_puts(out, "], \"component\": ");
            json_str(out, c->component);
            if (c->before.type != KVET_ABSENT) {
                kv_buf_puts(out, ", \"before\": ");
                cli_value_json(out, c->before);
            }
            if (c->after.type != KVET_ABSENT) {
                kv_buf_puts(out, ", \"after\": ");
                cli_value_json(out, c->after);
            }
            kv_buf_puts(out, ",\n        \"text\": ");
            json_str(out, c->text);
            kv_buf_puts(out, ", \"impact\": ");
            json_impact(out, c->impact);
            kv_buf_printf(out, ", \"detail\": %s}", c->detail ? "true" : "false");
        }
        kv_buf_puts(out, r->nchanges ? "\n     ]," : "],");
        kv_buf_puts(out, " \"summary\": ");
        json_str(out, r->summary);
        if (r->status == DIFF_ADDED || r->status == DIFF_REMOVED) {
            kv_buf_puts(out, ",\n     \"effective\": ");
            cli_value_json(out, at->effective);
        }
        kv_buf_puts(out, ",\n     \"findings\": {");
        json_findings(out, "new", r->fnew, r->nnew, r->head, false);
        kv_buf_puts(out, ", ");
        json_findings(out, "resolved", r->fresolved, r->nresolved, r->base, false);
        kv_buf_puts(out, ", ");
        json_findings(out, "changed", r->fchanged, r->nchanged, r->head, true);
        kv_buf_puts(out, "}}");
    }
    kv_buf_puts(out, d->n ? "\n  ],\n" : "],\n");
    kv_buf_puts(out, "  \"settings\": [");
    for (size_t i = 0; i < d->nsettings; i++) {
        const diff_setting *s = &d->settings[i];
        kv_buf_puts(out, i ? ",\n    {" : "\n    {");
        kv_buf_puts(out, "\"environment\": ");
        json_str(out, s->env);
        kv_buf_puts(out, ", \"kind\": ");
        json_str(out, s->what);
        kv_buf_puts(out, ", \"key\": ");
        json_str(out, s->key);
        if (s->before.type != KVET_ABSENT) {
            kv_buf_puts(out, ", \"before\": ");
            cli_value_json(out, s->before);
        }
        if (s->after.type != KVET_ABSENT) {
            kv_buf_puts(out, ", \"after\": ");
            cli_value_json(out, s->after);
        }
        kv_buf_puts(out, ", \"file\": ");
        json_str(out, show(s->file));
        kv_buf_printf(out, ", \"line\": %u}", s->line);
    }
    kv_buf_puts(out, d->nsettings ? "\n  ],\n" : "],\n");
    kv_buf_puts(out, "  \"errors\": [");
    for (size_t i = 0; i < d->nerrors; i++) {
        const kvet_error *e = d->errors[i].e;
        kv_buf_puts(out, i ? ",\n    {" : "\n    {");
        kv_buf_printf(out, "\"side\": \"%s\", \"file\": ", d->errors[i].side);
        json_str(out, e->file ? show(e->file) : NULL);
        kv_buf_printf(out, ", \"line\": %u, \"column\": %u, \"message\": ", e->line, e->col);
        json_str(out, e->message);
        kv_buf_puts(out, "}");
    }
    kv_buf_puts(out, d->nerrors ? "\n  ]\n}\n" : "]\n}\n");
    return out->oom ? -1 : 0;
}

/* -------------------------------------------------------------- markdown */

enum {
    MD_MAX_ROWS = 200,
    MD_MAX_BYTES = 48 * 1024,
    MD_MAX_CELL = 300,      /* bytes of one line of a cell */
    MD_MAX_LINES = 8,       /* lines in one cell */
    MD_MAX_LIST = 50        /* settings and errors listed */
};


static const char *impact_label(const diff_resource *r)
{
    switch (r->rank) {
    case 0: return r->status == DIFF_FAILED ? "not compared" : "new error";
    case 1: return "new warning";
    case 2: return (r->impact & DIFF_RISK) && (r->impact & DIFF_COST) ? "risk, cost" : r->impact & DIFF_RISK ? "risk" : "cost";
    case 3: return "change";
    case 4: return "added";
    case 5: return "removed";
    default: return "resolved";
    }
}

static int by_rank(const void *a, const void *b)
{
    const diff_resource *x = *(const diff_resource *const *)a, *y = *(const diff_resource *const *)b;
    if (x->rank != y->rank)
        return x->rank < y->rank ? -1 : 1;
    return x->order < y->order ? -1 : x->order > y->order;
}

/* One cell line, counted against the cell's limit. */
static void md_cell_line(kv_buf *out, size_t *shown, size_t *hidden, const char *text)
{
    if (*shown == MD_MAX_LINES) {
        (*hidden)++;
        return;
    }
    if ((*shown)++)
        kv_buf_puts(out, "<br>");
    cli_md_text(out, text, MD_MAX_CELL, true);
}

static void md_finding_line(kv_buf *out, size_t *shown, size_t *hidden, const char *what, const kvet_finding *f)
{
    kv_buf t;
    kv_buf_init(&t);
    kv_buf_printf(&t, "%s %s%s %s: %s", what, accepted(f), kvet_severity_name(f->severity), f->rule, f->message);
    if (t.oom)
        out->oom = true;
    md_cell_line(out, shown, hidden, t.data);
    kv_buf_free(&t);
}

int diff_report_markdown(kv_buf *out, const diff_result *d, const diff_report_opts *o)
{
    (void)o;
    kv_buf_puts(out, "## kvet diff\n\n");
    kv_buf t;
    kv_buf_init(&t);
    header_line(&t, d);
    cli_md_text(out, t.data, 0, true);
    t.len = 0;
    kv_buf_puts(out, ": ");
    summary_line(&t, d);
    cli_md_text(out, t.data, 0, true);
    kv_buf_free(&t);
    kv_buf_puts(out, ".\n\n");
    if (d->nerrors || d->failed)
        kv_buf_puts(out, "**Some resources could not be compared: the comparison is incomplete.**\n\n");

    if (d->n) {
        const diff_resource **order = malloc(d->n * sizeof *order);
        if (!order) {
            out->oom = true;
            return -1;
        }
        for (size_t i = 0; i < d->n; i++)
            order[i] = &d->v[i];
        qsort(order, d->n, sizeof *order, by_rank);
        kv_buf_puts(out, "| impact | resource | location | what changes |\n|---|---|---|---|\n");
        size_t start = out->len, rows = 0;
        for (size_t i = 0; i < d->n; i++) {
            if (rows == MD_MAX_ROWS || out->len - start > MD_MAX_BYTES)
                break;
            const diff_resource *r = order[i];
            const kvet_resource *at = where(r);
            kv_buf_printf(out, "| %s | ", impact_label(r));
            kv_buf label;
            kv_buf_init(&label);
            diff_resource_label(&label, r);
            if (label.oom)
                out->oom = true;
            cli_md_text(out, label.data, MD_MAX_CELL, true);
            kv_buf_free(&label);
            kv_buf_puts(out, " | ");
            if (!r->head)
                kv_buf_puts(out, "was ");
            cli_md_text(out, show(at->file), MD_MAX_CELL, true);
            kv_buf_printf(out, ":%u | ", at->line);
            size_t shown = 0, hidden = 0;
            kv_buf c;
            kv_buf_init(&c);
            if (r->status == DIFF_ADDED) {
                kv_buf_printf(&c, "added%s%s", r->summary ? ": " : "", r->summary ? r->summary : "");
                md_cell_line(out, &shown, &hidden, c.data);
            } else if (r->status == DIFF_REMOVED) {
                kv_buf_printf(&c, "removed%s%s%s", r->summary ? " (was: " : "", r->summary ? r->summary : "",
                               r->summary ? ")" : "");
                md_cell_line(out, &shown, &hidden, c.data);
            } else if (r->status == DIFF_FAILED) {
                kv_buf_printf(&c, "not compared: a rule or derivation failed on it (%s)", failed_side(r));
                md_cell_line(out, &shown, &hidden, c.data);
            }
            if (c.oom)
                out->oom = true;
            kv_buf_free(&c);
            text_line *lines;
            size_t nl = change_lines(r, &lines);
            for (size_t k = 0; k < nl; k++)
                md_cell_line(out, &shown, &hidden, lines[k].text);
            free_lines(lines, nl);
            for (size_t k = 0; k < r->nnew; k++)
                md_finding_line(out, &shown, &hidden, "new", r->fnew[k].f);
            for (size_t k = 0; k < r->nchanged; k++)
                md_finding_line(out, &shown, &hidden, "changed", r->fchanged[k].f);
            for (size_t k = 0; k < r->nresolved; k++)
                md_finding_line(out, &shown, &hidden, "resolved", r->fresolved[k].f);
            if (hidden)
                kv_buf_printf(out, "<br>… and %zu more", hidden);
            kv_buf_puts(out, " |\n");
            rows++;
        }
        if (rows < d->n)
            kv_buf_printf(out, "\n... and %zu more %s (see the full report).\n", d->n - rows,
                           plural(d->n - rows, "resource", "resources"));
        free(order);
    } else {
        kv_buf_puts(out, "No resource changes behaviour.\n");
    }

    if (d->nsettings) {
        kv_buf_puts(out, "\n### Cluster configuration\n\n| setting | before | after | location |\n|---|---|---|---|\n");
        for (size_t i = 0; i < d->nsettings && i < MD_MAX_LIST; i++) {
            const diff_setting *s = &d->settings[i];
            kv_buf v;
            kv_buf_init(&v);
            kv_buf_printf(&v, "%s %s%s%s%s", s->what, s->key, s->env ? " [env " : "", s->env ? s->env : "",
                           s->env ? "]" : "");
            kv_buf_puts(out, "| ");
            cli_md_text(out, v.data, MD_MAX_CELL, true);
            v.len = 0;
            diff_value_text(&v, s->before);
            kv_buf_puts(out, " | ");
            cli_md_text(out, v.data, MD_MAX_CELL, true);
            v.len = 0;
            diff_value_text(&v, s->after);
            kv_buf_puts(out, " | ");
            cli_md_text(out, v.data, MD_MAX_CELL, true);
            kv_buf_puts(out, " | ");
            cli_md_text(out, show(s->file), MD_MAX_CELL, true);
            kv_buf_printf(out, ":%u |\n", s->line);
            if (v.oom)
                out->oom = true;
            kv_buf_free(&v);
        }
        if (d->nsettings > MD_MAX_LIST)
            kv_buf_printf(out, "\n... and %zu more settings.\n", d->nsettings - MD_MAX_LIST);
    }

    if (d->nerrors) {
        kv_buf_puts(out, "\n### Errors\n\n");
        for (size_t i = 0; i < d->nerrors && i < MD_MAX_LIST; i++) {
            const kvet_error *e = d->errors[i].e;
            kv_buf_printf(out, "- %s: ", d->errors[i].side);
            if (e->file) {
                cli_md_text(out, show(e->file), MD_MAX_CELL, true);
                if (e->line)
                    kv_buf_printf(out, ":%u:%u", e->line, e->col);
                kv_buf_puts(out, ": ");
            }
            cli_md_text(out, e->message, MD_MAX_CELL, true);
            kv_buf_puts(out, "\n");
        }
        if (d->nerrors > MD_MAX_LIST)
            kv_buf_printf(out, "- ... and %zu more\n", d->nerrors - MD_MAX_LIST);
    }
    return out->oom ? -1 : 0;
}

/* ---------------------------------------------------------------- github */

/* Workflow command escaping: "%", CR and LF everywhere, and ":" and ","
 * in property values. */
static void gh_escape(kv_buf *b, const char *s, bool property)
{
    if (!s)
        return;
    for (; *s; s++) {
        switch (*s) {
        case '%': kv_buf_puts(b, "%25"); break;
        case '\r': kv_buf_puts(b, "%0D"); break;
        case '\n': kv_buf_puts(b, "%0A"); break;
        case ':': kv_buf_puts(b, property ? "%3A" : ":"); break;
        case ',': kv_buf_puts(b, property ? "%2C" : ","); break;
        default: kv_buf_put(b, s, 1);
        }
    }
}

static void gh_command(kv_buf *out, const char *cmd, const char *file, uint32_t ln, uint32_t col, const char *title,
                       const char *message)
{
    kv_buf_printf(out, "::%s ", cmd);
    if (file && *file) {
        kv_buf_puts(out, "file=");
        gh_escape(out, file, true);
        kv_buf_puts(out, ",");
        if (ln) {
            kv_buf_printf(out, "line=%u,", ln);
            if (col)
                kv_buf_printf(out, "col=%u,", col);
        }
    }
    kv_buf_puts(out, "title=");
    gh_escape(out, title, true);
    kv_buf_puts(out, "::");
    gh_escape(out, message, false);
    kv_buf_puts(out, "\n");
}

static const char *gh_level(kvet_severity s)
{
    return s == KVET_SEV_ERROR ? "error" : s == KVET_SEV_WARNING ? "warning" : "notice";
}

int diff_report_github(kv_buf *out, const diff_result *d, const diff_report_opts *o)
{
    (void)o;
    kv_buf title, msg;
    kv_buf_init(&title);
    kv_buf_init(&msg);
    for (size_t i = 0; i < d->n; i++) {
        const diff_resource *r = &d->v[i];
        title.len = msg.len = 0;
        kv_buf_puts(&title, "kvet diff: ");
        kv_buf_puts(&title, r->status == DIFF_ADDED ? "added " : r->status == DIFF_REMOVED ? "removed "
                                                              : r->status == DIFF_FAILED ? "not compared: " : "");
        diff_resource_label(&title, r);
        const char *level = "notice";
        if (r->status == DIFF_FAILED) {
            level = "error";
            kv_buf_printf(&msg, "a rule or derivation failed on it on the %s side%s; see the evaluation errors",
                           failed_side(r), !strcmp(failed_side(r), "both") ? "s" : "");
        } else if (r->status == DIFF_ADDED) {
            kv_buf_puts(&msg, r->summary ? r->summary : "added");
        } else if (r->status == DIFF_REMOVED) {
            kv_buf_printf(&msg, "removed (was at %s:%u)", show(r->base->file), r->base->line);
            if (r->summary)
                kv_buf_printf(&msg, ": %s", r->summary);
        } else {
            if (r->nchanges)
                level = "warning";
            text_line *lines;
            size_t nl = change_lines(r, &lines);
            for (size_t k = 0; k < nl; k++)
                kv_buf_printf(&msg, "%s%s%s", msg.len ? "\n" : "", lines[k].detail ? "    " : "",
                               lines[k].text ? lines[k].text : "");
            free_lines(lines, nl);
            for (size_t k = 0; k < r->nchanged; k++)
                kv_buf_printf(&msg, "%schanged %s %s: %s (was: %s)", msg.len ? "\n" : "",
                               kvet_severity_name(r->fchanged[k].f->severity), r->fchanged[k].f->rule,
                               r->fchanged[k].f->message, r->fchanged[k].was->message);
            for (size_t k = 0; k < r->nresolved; k++)
                kv_buf_printf(&msg, "%sresolved %s %s: %s", msg.len ? "\n" : "",
                               kvet_severity_name(r->fresolved[k].f->severity), r->fresolved[k].f->rule,
                               r->fresolved[k].f->message);
        }
        if (msg.len && !title.oom && !msg.oom) {
            const kvet_resource *at = r->head;
            gh_command(out, level, at ? show(at->file) : NULL, at ? at->line : 0, 0, title.data, msg.data);
        }
        /* new findings at their own lines */
        for (size_t k = 0; k < r->nnew; k++) {
            const kvet_finding *f = r->fnew[k].f;
            title.len = msg.len = 0;
            kv_buf_printf(&title, "kvet diff: new %s%s: %s", accepted(f), f->rule, f->title ? f->title : "");
            kv_buf_printf(&msg, "%s\n", f->message);
            cli_resource_label(&msg, r->head);
            if (f->remedy)
                kv_buf_printf(&msg, "\nfix: %s", f->remedy);
            if (!title.oom && !msg.oom)
                gh_command(out, f->waiver || f->baselined ? "notice" : gh_level(f->severity), finding_file(f, r->head),
                           f->line, f->col, title.data, msg.data);
        }
    }
    for (size_t i = 0; i < d->nsettings; i++) {
        const diff_setting *s = &d->settings[i];
        msg.len = 0;
        kv_buf_printf(&msg, "%s %s: ", s->what, s->key);
        diff_value_text(&msg, s->before);
        kv_buf_puts(&msg, " -> ");
        diff_value_text(&msg, s->after);
        if (s->env)
            kv_buf_printf(&msg, " [env %s]", s->env);
        if (!msg.oom)
            gh_command(out, "notice", show(s->file), s->line, 0, "kvet diff: cluster configuration", msg.data);
    }
    for (size_t i = 0; i < d->nerrors; i++) {
        const kvet_error *e = d->errors[i].e;
        title.len = 0;
        kv_buf_printf(&title, "kvet diff: evaluation error (%s)", d->errors[i].side);
        if (!title.oom)
            gh_command(out, "error", e->file ? show(e->file) : NULL, e->line, e->col, title.data, e->message);
    }
    if (title.oom || msg.oom)
        out->oom = true;
    kv_buf_free(&title);
    kv_buf_free(&msg);
    return out->oom ? -1 : 0;
}
