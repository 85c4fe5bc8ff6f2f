/*
 * report_html.c - the audit report: one self-contained HTML file (inline
 * CSS, charts drawn as inline SVG, no scripts, no external assets) that
 * reads well on screen and prints cleanly to PDF.
 *
 * It leads with what needs doing.  Sections, each with a stable id:
 * summary (counts and four charts), findings (open findings grouped by
 * severity, then rule, each group capped), waivers (severity overrides,
 * waivers, accepted findings), errors (when any), then the appendices:
 * rules (those with findings, and counts of the rest), resources (the
 * pack's declared scaling view, capped), cluster, packs and run.  Counts
 * come from the library's per-resource rule outcomes; nothing here knows
 * a pack's rule or value names.  The size stays bounded however many
 * resources there are (the JSON report has everything).  The output
 * depends only on the result and the options: the time appears only when
 * report_opts.timestamp is set.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"

/* ------------------------------------------------------------ escaping */

/* Text for element content and attribute values (kv_buf_html). */
static void h(kv_buf *b, const char *s)
{
    if (s)
        kv_buf_html(b, s, strlen(s));
}

/* Only plain web links become hrefs: a pack could carry javascript: URLs. */
static bool safe_link(const char *url)
{
    return url && (!strncmp(url, "https://", 8) || !strncmp(url, "http://", 7));
}

/* An id fragment made of [A-Za-z0-9_-] (rule ids, section anchors). */
static void anchor(kv_buf *b, const char *s)
{
    for (; s && *s; s++) {
        char c = *s;
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
        kv_buf_printf(b, ok ? "%c" : "_%02x", ok ? c : (unsigned char)c);
    }
}

static void label_of(kv_buf *b, const kvet_resource *r)
{
    cli_resource_label(b, r);
}

/* ------------------------------------------------------------ the data */

typedef struct rule_row {
    kvet_rule_info info;
    size_t evaluated;       /* resources the rule ran on (0 when unknown) */
    size_t failing;         /* resources with an open finding of it */
    size_t accepted;        /* resources whose findings of it are all waived or baselined */
    size_t errors;          /* resources it failed to evaluate on */
    size_t findings;
} rule_row;

typedef struct count {
    char *key;
    size_t n[3];            /* errors, warnings, infos; or failing, accepted, passing */
} count;

typedef struct counts {
    count *v;
    size_t n;
} counts;

static void counts_add(counts *c, const char *key, int slot, bool *oom)
{
    for (size_t i = 0; i < c->n; i++)
        if (!strcmp(c->v[i].key, key)) {
            c->v[i].n[slot]++;
            return;
        }
    count *nv = realloc(c->v, (c->n + 1) * sizeof *nv);
    char *k = strdup(key);
    if (!nv || !k) {
        free(k);
        if (nv)
            c->v = nv;
        *oom = true;
        return;
    }
    c->v = nv;
    memset(&c->v[c->n], 0, sizeof c->v[c->n]);
    c->v[c->n].key = k;
    c->v[c->n].n[slot] = 1;
    c->n++;
}

static size_t count_total(const count *c)
{
    return c->n[0] + c->n[1] + c->n[2];
}

/* Most failing first (slot 0: failing resources, or open errors), then the
 * largest, then by name: the order is the same on every run. */
static int by_total_then_key(const void *a, const void *b)
{
    const count *x = a, *y = b;
    if (x->n[0] != y->n[0])
        return x->n[0] > y->n[0] ? -1 : 1;
    size_t tx = count_total(x), ty = count_total(y);
    if (tx != ty)
        return tx > ty ? -1 : 1;
    return strcmp(x->key, y->key);
}

static int by_open_then_key(const void *a, const void *b)
{
    const count *x = a, *y = b;
    size_t tx = count_total(x), ty = count_total(y);
    if (tx != ty)
        return tx > ty ? -1 : 1;
    return strcmp(x->key, y->key);
}

static void counts_free(counts *c)
{
    for (size_t i = 0; i < c->n; i++)
        free(c->v[i].key);
    free(c->v);
}

/* ----------------------------------------------------------- the charts */

enum { CHART_W = 720, LABEL_W = 220, BAR_H = 18, GAP = 6, VALUE_W = 90 };

/* One horizontal bar chart.  Each row has up to three segments drawn left
 * to right (segment colours come from the classes); rows are scaled to the
 * largest row total.  Every bar carries a <title> (a tooltip, and text a
 * screen reader or the test can read). */
typedef struct bar_row {
    const char *label;
    size_t seg[3];
} bar_row;

static void chart(kv_buf *b, const char *id, const char *title, const char *const seg_class[3],
                  const char *const seg_name[3], const bar_row *rows, size_t n, bool print_failing)
{
    /* rows of zero draw nothing and say nothing: they are left out */
    size_t top = 1, drawn = 0;
    for (size_t i = 0; i < n; i++) {
        size_t t = rows[i].seg[0] + rows[i].seg[1] + rows[i].seg[2];
        if (t > top)
            top = t;
        drawn += t > 0;
    }
    size_t height = drawn * (BAR_H + GAP) + GAP + 24;
    kv_buf_printf(b, "<figure class=\"chart\" id=\"%s\">\n<svg xmlns=\"http://www.w3.org/2000/svg\" role=\"img\" "
                      "width=\"%d\" height=\"%zu\" viewBox=\"0 0 %d %zu\" aria-labelledby=\"%s-title\">\n",
                   id, CHART_W, height, CHART_W, height, id);
    kv_buf_printf(b, "<title id=\"%s-title\">", id);
    h(b, title);
    kv_buf_puts(b, "</title>\n");
    /* a legend on the first line */
    int lx = LABEL_W;
    for (int s = 0; s < 3; s++) {
        if (!seg_class[s])
            continue;
        kv_buf_printf(b, "<rect class=\"legend %s\" x=\"%d\" y=\"4\" width=\"12\" height=\"12\"/>"
                          "<text x=\"%d\" y=\"14\">%s</text>\n", seg_class[s], lx, lx + 16, seg_name[s]);
        lx += 16 + 8 * (int)strlen(seg_name[s]) + 20;
    }
    double scale = (double)(CHART_W - LABEL_W - VALUE_W) / (double)top;
    size_t row = 0;
    for (size_t i = 0; i < n; i++) {
        if (rows[i].seg[0] + rows[i].seg[1] + rows[i].seg[2] == 0)
            continue;
        size_t y = 24 + GAP + row++ * (BAR_H + GAP);
        kv_buf_printf(b, "<text class=\"label\" x=\"%d\" y=\"%zu\" text-anchor=\"end\">", LABEL_W - 8,
                       y + BAR_H - 5);
        h(b, rows[i].label);
        kv_buf_puts(b, "</text>\n");
        double x = LABEL_W;
        size_t total = 0;
        for (int s = 0; s < 3; s++) {
            size_t v = rows[i].seg[s];
            if (!seg_class[s] || v == 0)
                continue;
            double w = (double)v * scale;
            if (w < 1)
                w = 1;
            kv_buf_printf(b, "<rect class=\"bar %s\" x=\"%.1f\" y=\"%zu\" width=\"%.1f\" height=\"%d\"><title>",
                           seg_class[s], x, y, w, BAR_H);
            h(b, rows[i].label);
            kv_buf_printf(b, ": %zu %s</title></rect>\n", v, seg_name[s]);
            x += w;
            total += v;
        }
        if (print_failing)
            kv_buf_printf(b, "<text class=\"value\" x=\"%.1f\" y=\"%zu\">%zu failing</text>\n", x + 6, y + BAR_H - 5,
                          rows[i].seg[0]);
        else
            kv_buf_printf(b, "<text class=\"value\" x=\"%.1f\" y=\"%zu\">%zu</text>\n", x + 6, y + BAR_H - 5, total);
    }
    kv_buf_puts(b, "</svg>\n<figcaption>");
    h(b, title);
    kv_buf_puts(b, "</figcaption>\n</figure>\n");
}

/* ------------------------------------------------------- the scaling view */

/* The report shows the derived values a pack declares as its `scaling`
 * view (`view scaling $a, $b`); it knows no value names itself.  A cell
 * lists a value's leaves as "path: value" lines, capped so that a large
 * derived map cannot swell the page (the JSON report has everything). */
enum { VIEW_ROWS = 200, CELL_LEAVES = 24, LEAF_TEXT = 160 };

/* The value at a dotted name below the effective map. */
static kvet_value view_value(kvet_value eff, const char *dotted)
{
    kvet_value v = eff;
    const char *p = dotted;
    while (*p) {
        size_t n = strcspn(p, ".");
        v = kvet_map_get(v, p, n);
        p += n;
        if (*p == '.')
            p++;
    }
    return v;
}

static bool has_value(kvet_value v)
{
    return v.type != KVET_ABSENT && v.type != KVET_NULL;
}

static void leaf_text(kv_buf *b, kvet_value v)
{
    kv_buf t;
    kv_buf_init(&t);
    if (v.type == KVET_STRING)
        kv_buf_put(&t, v.u.s->data, v.u.s->len);
    else
        cli_value_json(&t, v);
    if (t.oom)
        b->oom = true;
    if (t.len > LEAF_TEXT) {
        size_t cut = LEAF_TEXT;
        while (cut > 0 && ((unsigned char)t.data[cut] & 0xC0) == 0x80)
            cut--; /* not inside a UTF-8 sequence */
        t.data[cut] = '\0';
        h(b, t.data);
        kv_buf_puts(b, "&#8230;");
    } else {
        h(b, t.data);
    }
    kv_buf_free(&t);
}

/* Maps are walked to their leaves (lists and scalars), null and absent
 * leaves left out; `shown` counts the lines written. */
static void leaves(kv_buf *b, kv_buf *path, kvet_value v, size_t *shown, size_t *more)
{
    if (!has_value(v))
        return;
    if (v.type == KVET_MAP && v.u.m->n) {
        for (uint32_t i = 0; i < v.u.m->n; i++) {
            size_t keep = path->len;
            if (path->len)
                kv_buf_puts(path, ".");
            kv_buf_put(path, v.u.m->e[i].key->data, v.u.m->e[i].key->len);
            leaves(b, path, v.u.m->e[i].val, shown, more);
            path->len = keep;
            if (path->data)
                path->data[keep] = '\0';
        }
        return;
    }
    if (*shown == CELL_LEAVES) {
        (*more)++;
        return;
    }
    (*shown)++;
    kv_buf_puts(b, "<div>");
    if (path->len) {
        kv_buf_puts(b, "<span class=\"muted\">");
        h(b, path->data);
        kv_buf_puts(b, ":</span> ");
    }
    leaf_text(b, v);
    kv_buf_puts(b, "</div>");
}

static void view_cell(kv_buf *b, kvet_value v)
{
    kv_buf_puts(b, "<td class=\"wrap\">");
    size_t shown = 0, more = 0;
    kv_buf path;
    kv_buf_init(&path);
    leaves(b, &path, v, &shown, &more);
    if (path.oom)
        b->oom = true;
    kv_buf_free(&path);
    if (!shown)
        kv_buf_puts(b, "<span class=\"none\">&#8212;</span>");
    if (more)
        kv_buf_printf(b, "<div class=\"muted\">&#8230; %zu more in the JSON report</div>", more);
    kv_buf_puts(b, "</td>");
}

static bool in_view(const kvet_view_info *v, const kvet_resource *r)
{
    for (size_t i = 0; i < v->nvalues; i++)
        if (has_value(view_value(r->effective, v->values[i])))
            return true;
    return false;
}

/* --------------------------------------------------------------- layout */

static const char *const css =
    "body{font:14px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;color:#1d2430;margin:2rem auto;"
    "max-width:1100px;padding:0 1rem}\n"
    "h1{font-size:1.7rem;margin:0 0 .3rem}h2{font-size:1.25rem;border-bottom:2px solid #d5dbe5;padding-bottom:.2rem;"
    "margin-top:2.2rem}\n"
    "p.lead{color:#4a5568;margin-top:0}\n"
    ".cards{display:flex;flex-wrap:wrap;gap:.8rem;margin:1rem 0}.card{border:1px solid #d5dbe5;border-radius:6px;"
    "padding:.5rem .9rem;min-width:7.5rem}.card b{display:block;font-size:1.5rem}\n"
    ".card.error b{color:#b42318}.card.warning b{color:#b54708}.card.info b{color:#175cd3}\n"
    "table{border-collapse:collapse;width:100%;margin:.6rem 0;font-size:13px}"
    "th,td{border:1px solid #d5dbe5;padding:.25rem .45rem;text-align:left;vertical-align:top}"
    "th{background:#f2f4f8}.muted{color:#667085}\n"
    "td.num{text-align:right;font-variant-numeric:tabular-nums}.loc,code{font-family:ui-monospace,Menlo,"
    "Consolas,monospace;font-size:12px;word-break:break-all}\n"
    ".sev{font-weight:600}.sev.error{color:#b42318}.sev.warning{color:#b54708}.sev.info{color:#175cd3}\n"
    "td.id{white-space:nowrap}td.wrap{overflow-wrap:anywhere}.none{color:#98a2b3}.status{font-size:12px;"
    "color:#4a5568}\n"
    "figure.chart{margin:1rem 0}figure.chart svg{max-width:100%;height:auto}figcaption{font-size:12px;"
    "color:#4a5568}\n"
    "svg text{font:12px system-ui,sans-serif;fill:#1d2430}\n"
    "rect.error{fill:#d92d20}rect.warning{fill:#f79009}rect.info{fill:#2e90fa}rect.pass{fill:#12b76a}"
    "rect.fail{fill:#d92d20}rect.accepted{fill:#98a2b3}\n"
    "h3{font-size:1.1rem;margin:1.4rem 0 .4rem}h4{font-size:.95rem;margin:1rem 0 .2rem;font-weight:600}\n"
    /* the long tables lay out by their first row: fast at any length */
    ".group table,#scaling{table-layout:fixed}.group th:first-child{width:32%}#scaling th:first-child{width:24%}\n"
    "@media print{@page{margin:12mm}body{margin:0;max-width:none;font-size:11px}section.large{break-before:page}"
    "h2,h3,h4{break-after:avoid}tr,figure,.cards{break-inside:avoid}"
    "thead{display:table-header-group}table{font-size:10px}th,td{padding:.15rem .25rem}td.id{white-space:normal}"
    ".loc,code{font-size:9px}.status{font-size:10px}"
    "a{color:inherit;text-decoration:none}}\n";

/* Command-line values as given, each in <code>; `none` (markup) when empty. */
static void code_list(kv_buf *b, const char *const *v, size_t n, const char *none)
{
    if (!n)
        kv_buf_puts(b, none);
    for (size_t i = 0; i < n; i++) {
        kv_buf_puts(b, i ? ", <code>" : "<code>");
        h(b, v[i]);
        kv_buf_puts(b, "</code>");
    }
}

static void section(kv_buf *b, const char *id, const char *title)
{
    kv_buf_printf(b, "</section>\n<section id=\"%s\">\n<h2>%s</h2>\n", id, title);
}

static void finding_status(kv_buf *b, const kvet_finding *f)
{
    if (f->waiver) {
        kv_buf_puts(b, "waived: ");
        h(b, f->waiver->reason);
        if (f->waiver->owner && f->waiver->owner[0]) {
            kv_buf_puts(b, " (");
            h(b, f->waiver->owner);
            kv_buf_puts(b, ")");
        }
        if (f->waiver->expires && f->waiver->expires[0]) {
            kv_buf_puts(b, ", until ");
            h(b, f->waiver->expires);
        }
    } else if (f->baselined) {
        kv_buf_puts(b, "in the baseline");
    } else {
        kv_buf_puts(b, "open");
    }
}

/* One row per context (environment, or scope without a project file):
 * the configuration document of each kind that won there, and why. */
static void cluster_table(kv_buf *out, const kvet_result *res)
{
    static const char *const kinds[] = {"config-autoscaler", "KnativeServing", "inferenceservice-config",
                                        "config-autoscaler-keda"};
    static const char *const why[] = {"--cluster", "environment", "environment's manifests", "nearest folder"};
    enum { MAX_ROWS = 60 };
    size_t *per_ctx = calloc(res->ncontexts + 1, sizeof *per_ctx);
    if (!per_ctx)
        return;
    for (size_t i = 0; i < res->nresources; i++)
        if (res->resources[i].context < res->ncontexts)
            per_ctx[res->resources[i].context]++;
    bool envs = false;
    for (size_t c = 0; c < res->ncontexts; c++)
        envs |= res->contexts[c].env != NULL;
    kv_buf_printf(out, "<p>Each resource was checked with the configuration of its %s: the document of each kind "
                        "that applied, and why it did. Where a kind has none, Knative's or KServe's defaults "
                        "applied.</p>\n<table id=\"cluster-contexts\">\n<thead><tr><th>%s</th><th>resources</th>",
                   envs ? "environment" : "scope (the folder tree it was found in)", envs ? "environment" : "scope");
    for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++) {
        kv_buf_puts(out, "<th>");
        h(out, kinds[k]);
        kv_buf_puts(out, "</th>");
    }
    kv_buf_puts(out, "</tr></thead>\n<tbody>\n");
    size_t rows = 0, hidden = 0;
    for (size_t c = 0; c < res->ncontexts; c++) {
        const kvet_context *x = &res->contexts[c];
        if (!x->nconfig && !x->env)
            continue; /* defaults only: summed up below */
        if (rows == MAX_ROWS) {
            hidden++;
            continue;
        }
        rows++;
        kv_buf_puts(out, "<tr><td>");
        h(out, x->env ? x->env : x->scope);
        kv_buf_printf(out, "</td><td>%zu</td>", per_ctx[c]);
        for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++) {
            const kvet_config_doc *d = NULL;
            for (size_t i = 0; i < x->nconfig; i++)
                if (!strcmp(x->config[i].what, kinds[k]))
                    d = &x->config[i];
            if (!d) {
                kv_buf_puts(out, "<td class=\"muted\">defaults</td>");
                continue;
            }
            kv_buf_puts(out, "<td class=\"loc\">");
            h(out, d->file);
            kv_buf_printf(out, ":%u<br>(%s)</td>", d->line, why[d->origin]);
        }
        kv_buf_puts(out, "</tr>\n");
    }
    kv_buf_puts(out, "</tbody>\n</table>\n");
    size_t plain = 0, plain_res = 0;
    for (size_t c = 0; c < res->ncontexts; c++)
        if (!res->contexts[c].nconfig && !res->contexts[c].env) {
            plain++;
            plain_res += per_ctx[c];
        }
    if (hidden)
        kv_buf_printf(out, "<p>%zu more contexts are listed in the JSON report (<code>cluster</code> of each "
                            "resource).</p>\n", hidden);
    if (plain)
        kv_buf_printf(out, "<p>%zu resource%s in %zu scope%s without configuration documents used the shipped "
                            "defaults.</p>\n", plain_res, plain_res == 1 ? "" : "s", plain, plain == 1 ? "" : "s");
    free(per_ctx);
}

/* A finding's place in the findings section: open findings grouped by
 * severity (errors first), then by rule in pack order, then in input
 * order. */
typedef struct fref {
    const kvet_resource *r;
    const kvet_finding *f;
    long rule;              /* index in the report's rule list */
    size_t seq;             /* input order */
} fref;

static int sev_rank(kvet_severity s)
{
    return s == KVET_SEV_ERROR ? 0 : s == KVET_SEV_WARNING ? 1 : 2;
}

static int fref_cmp(const void *a, const void *b)
{
    const fref *x = a, *y = b;
    int sx = sev_rank(x->f->severity), sy = sev_rank(y->f->severity);
    if (sx != sy)
        return sx - sy;
    if (x->rule != y->rule)
        return x->rule < y->rule ? -1 : 1;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

enum { RULE_ROWS = 25, FINDING_ROWS = 1000 };

static void finding_row(kv_buf *out, const fref *x, bool with_status)
{
    const kvet_finding *f = x->f;
    kv_buf label;
    kv_buf_init(&label);
    cli_resource_label(&label, x->r);
    if (label.oom)
        out->oom = true;
    kv_buf_puts(out, "<tr class=\"finding\"><td>");
    h(out, label.data);
    kv_buf_puts(out, "<div class=\"loc\">");
    h(out, cli_finding_file(f, x->r));
    kv_buf_printf(out, ":%u:%u</div></td><td class=\"wrap\">", f->line, f->col);
    kv_buf_free(&label);
    h(out, f->message);
    if (f->remedy) {
        kv_buf_puts(out, "<br><span class=\"status\">fix: ");
        h(out, f->remedy);
        kv_buf_puts(out, "</span>");
    }
    kv_buf_puts(out, "</td>");
    if (with_status) {
        kv_buf_puts(out, "<td class=\"status\">");
        finding_status(out, f);
        kv_buf_puts(out, "</td>");
    }
    kv_buf_puts(out, "</tr>\n");
}

static void rule_link(kv_buf *out, const kvet_rule_info *ri)
{
    kv_buf_puts(out, "<a href=\"#rule-");
    anchor(out, ri->id);
    kv_buf_puts(out, "\">");
    h(out, ri->id);
    kv_buf_puts(out, "</a>");
}

/* Groups of findings (same severity and rule) with their counts, each
 * listing its first RULE_ROWS findings; FINDING_ROWS in all. */
static void finding_groups(kv_buf *out, const fref *v, size_t n, const rule_row *rows, const char *cls,
                           bool with_status)
{
    static const char *const sev_title[3] = {"Errors", "Warnings", "Infos"};
    size_t written = 0;
    for (size_t i = 0; i < n;) {
        int sev = sev_rank(v[i].f->severity);
        size_t send = i;
        while (send < n && sev_rank(v[send].f->severity) == sev)
            send++;
        size_t nrules = 0;
        for (size_t k = i; k < send; k++)
            if (k == i || v[k].rule != v[k - 1].rule)
                nrules++;
        size_t nsev = send - i;
        kv_buf_printf(out, "<h3 class=\"sev %s\">%s: %zu finding%s of %zu rule%s</h3>\n",
                      kvet_severity_name(v[i].f->severity), sev_title[sev], nsev, nsev == 1 ? "" : "s", nrules,
                      nrules == 1 ? "" : "s");
        for (size_t k = i; k < send;) {
            size_t end = k;
            while (end < send && v[end].rule == v[k].rule)
                end++;
            size_t nres = 0;
            for (size_t j = k; j < end; j++)
                if (j == k || v[j].r != v[j - 1].r)
                    nres++;
            const kvet_rule_info *ri = &rows[v[k].rule].info;
            kv_buf_printf(out, "<div class=\"group %s\"><h4>", cls);
            rule_link(out, ri);
            kv_buf_puts(out, " ");
            h(out, ri->title);
            kv_buf_printf(out, " <span class=\"muted\">%zu finding%s on %zu resource%s</span></h4>\n", end - k,
                          end - k == 1 ? "" : "s", nres, nres == 1 ? "" : "s");
            kv_buf_printf(out, "<table>\n<thead><tr><th>resource</th><th>message</th>%s</tr></thead>\n<tbody>\n",
                          with_status ? "<th>status</th>" : "");
            size_t shown = 0;
            for (size_t j = k; j < end; j++) {
                if (shown == RULE_ROWS || written == FINDING_ROWS)
                    break;
                finding_row(out, &v[j], with_status);
                shown++;
                written++;
            }
            kv_buf_puts(out, "</tbody>\n</table>\n");
            if (shown < end - k) {
                kv_buf_printf(out, "<p class=\"muted\">&#8230; and %zu more finding%s of this rule (every finding "
                                   "is in the JSON report).</p>\n", end - k - shown, end - k - shown == 1 ? "" : "s");
            }
            kv_buf_puts(out, "</div>\n");
            k = end;
        }
        i = send;
    }
}

int report_html(kv_buf *out, const kvet_result *res, const report_opts *o)
{
    bool oom = false;
    cli_rules rules;
    if (cli_rules_collect(&rules, res, o->pack) < 0)
        return -1;
    rule_row *rows = calloc(rules.n + 1, sizeof *rows);
    size_t total = 0;
    for (size_t i = 0; i < res->nresources; i++)
        total += res->resources[i].nfindings;
    fref *refs = calloc(total + 1, sizeof *refs);
    if (!rows || !refs) {
        free(rows);
        free(refs);
        cli_rules_free(&rules);
        return -1;
    }
    size_t npack = o->pack ? kvet_rule_count(o->pack) : 0;
    for (size_t i = 0; i < rules.n; i++)
        rows[i].info = rules.v[i];
    /* Per rule and resource, the library's outcome: evaluated (pass, fail,
     * waived, baselined or error), failing with an open finding, accepted
     * when its findings are all waived or baselined.  Over all rules, a
     * resource fails with any open finding and is accepted when it has
     * findings and none is open.  The finding charts count open findings,
     * as the cards do. */
    enum { FAILING, ACCEPTED, PASSING };
    counts by_ns = {0};         /* open findings by namespace: errors, warnings, infos */
    counts res_ns = {0};        /* resources by namespace: failing, accepted, passing */
    size_t open[3] = {0, 0, 0}, nopen_refs = 0, seq = 0;
    for (size_t i = 0; i < res->nresources; i++) {
        const kvet_resource *r = &res->resources[i];
        const char *ns = r->ns && r->ns[0] ? r->ns : "(namespace not set)";
        for (size_t k = 0; k < r->noutcomes; k++) {
            const kvet_outcome *oc = &r->outcomes[k];
            if (oc->rule >= npack)
                continue;
            rule_row *rw = &rows[oc->rule];
            rw->evaluated++;
            rw->findings += oc->findings;
            if (oc->status == KVET_OUTCOME_FAIL)
                rw->failing++;
            else if (oc->status == KVET_OUTCOME_WAIVED || oc->status == KVET_OUTCOME_BASELINED)
                rw->accepted++;
            else if (oc->status == KVET_OUTCOME_ERROR)
                rw->errors++;
        }
        size_t nopen = 0;
        for (size_t k = 0; k < r->nfindings; k++) {
            const kvet_finding *f = &r->findings[k];
            long ri = cli_rules_find(&rules, f->rule);
            refs[seq] = (fref){r, f, ri < 0 ? 0 : ri, seq};
            seq++;
            if (ri >= (long)npack) { /* a rule the pack does not list: counted from its findings */
                rows[ri].findings++;
                bool first = true;
                for (size_t j = 0; j < k && first; j++)
                    first = strcmp(r->findings[j].rule, f->rule) != 0;
                if (first) {
                    rows[ri].evaluated++;
                    rows[ri].failing++;
                }
            }
            if (f->waiver || f->baselined)
                continue;
            nopen++;
            nopen_refs++;
            kvet_severity sev = f->severity <= KVET_SEV_ERROR ? f->severity : KVET_SEV_INFO;
            open[sev]++;
            counts_add(&by_ns, ns, sev_rank(sev), &oom);
        }
        counts_add(&res_ns, ns, nopen ? FAILING : r->nfindings ? ACCEPTED : PASSING, &oom);
    }
    /* open findings first, in report order; the accepted ones after them */
    fref *acc = refs + nopen_refs;
    {
        fref *tmp = calloc(total + 1, sizeof *tmp);
        if (!tmp) {
            oom = true;
        } else {
            size_t a = 0, b = nopen_refs;
            for (size_t i = 0; i < total; i++) {
                bool is_open = !refs[i].f->waiver && !refs[i].f->baselined;
                tmp[is_open ? a++ : b++] = refs[i];
            }
            memcpy(refs, tmp, total * sizeof *refs);
            free(tmp);
        }
    }
    if (nopen_refs > 1)
        qsort(refs, nopen_refs, sizeof *refs, fref_cmp);
    if (total - nopen_refs > 1)
        qsort(acc, total - nopen_refs, sizeof *refs, fref_cmp);
    /* an empty result has no arrays, and qsort must not be given NULL */
    if (by_ns.n > 1)
        qsort(by_ns.v, by_ns.n, sizeof *by_ns.v, by_open_then_key);
    if (res_ns.n > 1)
        qsort(res_ns.v, res_ns.n, sizeof *res_ns.v, by_total_then_key);
    size_t with_findings = 0, passing_rules = 0, unused_rules = 0, disabled = 0, overridden = 0;
    for (size_t i = 0; i < rules.n; i++) {
        if (!rows[i].info.enabled)
            disabled++;
        else if (rows[i].findings)
            with_findings++;
        else if (rows[i].evaluated)
            passing_rules++;
        else
            unused_rules++;
        overridden += rows[i].info.override_pack != NULL;
    }

    /* ---- head ---- */
    kv_buf_puts(out, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
                      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
                      "<meta name=\"generator\" content=\"kvet ");
    h(out, kvet_version());
    kv_buf_puts(out, "\">\n<title>kvet audit report</title>\n<style>\n");
    kv_buf_puts(out, css);
    kv_buf_puts(out, "</style>\n</head>\n<body>\n<header>\n<h1>kvet audit report</h1>\n<p class=\"lead\">");
    kv_buf_printf(out, "%zu resources checked with %zu rules", res->nresources, res->nrules);
    if (o->pack && kvet_pack_count(o->pack)) {
        kv_buf_puts(out, " from ");
        for (size_t i = 0; i < kvet_pack_count(o->pack); i++) {
            kvet_pack_info pi = kvet_pack_at(o->pack, i);
            kv_buf_puts(out, i ? ", " : "");
            h(out, pi.name);
            kv_buf_puts(out, " ");
            h(out, pi.version);
        }
    }
    kv_buf_puts(out, ".");
    if (res->nerrors)
        kv_buf_printf(out, " <strong>%zu evaluation error%s: the results are incomplete.</strong>", res->nerrors,
                       res->nerrors == 1 ? "" : "s");
    kv_buf_puts(out, "</p>\n<nav><a href=\"#summary\">Summary</a> &#183; <a href=\"#findings\">Findings</a> &#183; "
                      "<a href=\"#waivers\">Waivers and overrides</a> &#183; ");
    if (res->nerrors)
        kv_buf_puts(out, "<a href=\"#errors\">Errors</a> &#183; ");
    kv_buf_puts(out, "Appendices: <a href=\"#rules\">Rules</a> &#183; <a href=\"#resources\">Scaling</a> &#183; "
                      "<a href=\"#cluster\">Cluster configuration</a> &#183; <a href=\"#packs\">Rule packs</a> "
                      "&#183; <a href=\"#run\">Run</a></nav>\n</header>\n");

    /* ---- summary ---- */
    kv_buf_puts(out, "<section id=\"summary\">\n<h2>Summary</h2>\n<div class=\"cards\">\n");
    kv_buf_printf(out, "<div class=\"card\"><b>%zu</b>resources</div>\n<div class=\"card\"><b>%zu</b>rules</div>\n",
                   res->nresources, res->nrules);
    kv_buf_printf(out, "<div class=\"card error\"><b>%zu</b>errors</div>\n<div class=\"card warning\"><b>%zu</b>"
                        "warnings</div>\n<div class=\"card info\"><b>%zu</b>infos</div>\n",
                   open[KVET_SEV_ERROR], open[KVET_SEV_WARNING], open[KVET_SEV_INFO]);
    kv_buf_printf(out, "<div class=\"card\"><b>%zu</b>waived</div>\n<div class=\"card\"><b>%zu</b>in the "
                        "baseline</div>\n", res->waived, res->baselined);
    kv_buf_printf(out, "<div class=\"card\"><b>%zu</b>rules with findings</div>\n<div class=\"card\"><b>%zu</b>"
                       "severities overridden</div>\n</div>\n", with_findings, overridden);
    {
        static const char *const sev_cls[3] = {"error", "warning", "info"};
        static const char *const sev_name[3] = {"errors", "warnings", "infos"};
        bar_row sevrows[3] = {{"errors", {open[KVET_SEV_ERROR], 0, 0}}, {"warnings", {0, open[KVET_SEV_WARNING], 0}},
                              {"infos", {0, 0, open[KVET_SEV_INFO]}}};
        chart(out, "chart-severity", "Open findings by severity", sev_cls, sev_name, sevrows, 3, false);

        size_t nns = by_ns.n < 15 ? by_ns.n : 15;
        bar_row *nsrows = calloc(nns + 1, sizeof *nsrows);
        if (nsrows) {
            for (size_t i = 0; i < nns; i++) {
                nsrows[i].label = by_ns.v[i].key;
                for (int s = 0; s < 3; s++)
                    nsrows[i].seg[s] = by_ns.v[i].n[s];
            }
            chart(out, "chart-namespaces",
                  by_ns.n > nns ? "Open findings by namespace (the 15 with the most)" : "Open findings by namespace",
                  sev_cls, sev_name, nsrows, nns, false);
            free(nsrows);
        } else {
            oom = true;
        }

        static const char *const pf_cls[3] = {"fail", "accepted", "pass"};
        static const char *const pf_name[3] = {"failing", "accepted", "passing"};
        /* resources failing, accepted and passing, by namespace, most failing first */
        size_t nrn = res_ns.n < 15 ? res_ns.n : 15;
        bar_row *rnrows = calloc(nrn + 1, sizeof *rnrows);
        if (rnrows) {
            for (size_t i = 0; i < nrn; i++) {
                rnrows[i].label = res_ns.v[i].key;
                for (int s = 0; s < 3; s++)
                    rnrows[i].seg[s] = res_ns.v[i].n[s];
            }
            chart(out, "chart-namespace-resources",
                  res_ns.n > nrn ? "Resources failing, accepted and passing by namespace (the 15 with the most failing)"
                                 : "Resources failing, accepted and passing by namespace",
                  pf_cls, pf_name, rnrows, nrn, true);
            free(rnrows);
        } else {
            oom = true;
        }

        /* per rule: the rules with failing or accepted resources, most failing first */
        bar_row *rr = calloc(rules.n + 1, sizeof *rr);
        if (rr) {
            size_t k = 0;
            for (size_t i = 0; i < rules.n; i++)
                if (rows[i].failing + rows[i].accepted > 0) {
                    rr[k].label = rows[i].info.id;
                    rr[k].seg[FAILING] = rows[i].failing;
                    rr[k].seg[ACCEPTED] = rows[i].accepted;
                    rr[k].seg[PASSING] = rows[i].evaluated - rows[i].failing - rows[i].accepted - rows[i].errors;
                    k++;
                }
            /* stable order: failing, then accepted, descending; then pack order */
            for (size_t i = 1; i < k; i++) {
                bar_row x = rr[i];
                size_t j = i;
                while (j > 0 && (rr[j - 1].seg[FAILING] < x.seg[FAILING] ||
                                 (rr[j - 1].seg[FAILING] == x.seg[FAILING] && rr[j - 1].seg[ACCEPTED] < x.seg[ACCEPTED]))) {
                    rr[j] = rr[j - 1];
                    j--;
                }
                rr[j] = x;
            }
            size_t shown = k < 30 ? k : 30;
            chart(out, "chart-rules",
                  k > shown ? "Resources failing, accepted and passing per rule with findings (the 30 with the most "
                              "failures)"
                            : "Resources failing, accepted and passing per rule with findings",
                  pf_cls, pf_name, rr, shown, false);
            free(rr);
        } else {
            oom = true;
        }
    }

    /* ---- findings ---- */
    kv_buf_puts(out, "</section>\n<section id=\"findings\" class=\"large\">\n<h2>Findings</h2>\n");
    if (!nopen_refs) {
        kv_buf_printf(out, "<p>No open findings.%s</p>\n",
                      total ? " The accepted ones are listed under waivers and overrides." : "");
    } else {
        kv_buf_puts(out, "<p>Open findings (neither waived nor in the baseline) by severity, then by rule; each "
                          "rule lists its first findings, in input order.</p>\n");
        finding_groups(out, refs, nopen_refs, rows, "open", false);
    }

    /* ---- waivers and overrides ---- */
    section(out, "waivers", "Waivers and overrides");
    kv_buf_puts(out, "<h3>Severity overrides</h3>\n");
    if (!overridden) {
        kv_buf_puts(out, "<p>No pack overrides or disables a rule.</p>\n");
    } else {
        kv_buf_puts(out, "<table>\n<thead><tr><th>rule</th><th>stock severity</th><th>now</th><th>by pack</th>"
                          "<th>written in</th><th>findings</th></tr></thead>\n<tbody>\n");
        for (size_t i = 0; i < rules.n; i++) {
            const kvet_rule_info *ri = &rows[i].info;
            if (!ri->override_pack)
                continue;
            const char *now = ri->enabled ? kvet_severity_name(ri->severity) : "disabled";
            const char *how = !ri->enabled ? "disabled" : ri->severity < ri->stock_severity ? "lowered"
                              : ri->severity > ri->stock_severity ? "raised" : "unchanged";
            kv_buf_printf(out, "<tr class=\"override %s\"><td class=\"id\">", how);
            rule_link(out, ri);
            kv_buf_printf(out, "</td><td class=\"sev %s\">%s</td>", kvet_severity_name(ri->stock_severity),
                          kvet_severity_name(ri->stock_severity));
            if (ri->enabled)
                kv_buf_printf(out, "<td class=\"sev %s\">%s (%s)</td><td>", now, now, how);
            else
                kv_buf_puts(out, "<td>disabled</td><td>");
            h(out, ri->override_pack);
            kv_buf_puts(out, "</td><td class=\"loc\">");
            h(out, ri->override_file);
            kv_buf_printf(out, ":%u</td><td class=\"num\">%zu</td></tr>\n", ri->override_line, rows[i].findings);
        }
        kv_buf_puts(out, "</tbody>\n</table>\n");
    }
    kv_buf_puts(out, "<h3>Waivers</h3>\n");
    if (!res->nwaivers) {
        kv_buf_puts(out, "<p>No waivers.</p>\n");
    } else {
        kv_buf_puts(out, "<table>\n<thead><tr><th>rule</th><th>resources</th><th>reason</th><th>owner</th>"
                          "<th>expires</th><th>status</th><th>findings waived</th><th>written in</th></tr></thead>\n"
                          "<tbody>\n");
        for (size_t i = 0; i < res->nwaivers; i++) {
            const kvet_waiver *w = &res->waivers[i];
            kv_buf_puts(out, "<tr class=\"waiver\"><td>");
            h(out, w->rule);
            kv_buf_puts(out, "</td><td class=\"wrap\">");
            h(out, w->selector);
            kv_buf_puts(out, "</td><td>");
            h(out, w->reason);
            kv_buf_puts(out, "</td><td>");
            h(out, w->owner);
            kv_buf_puts(out, "</td><td>");
            h(out, w->expires);
            kv_buf_printf(out, "</td><td>%s</td><td class=\"num\">%zu</td><td class=\"loc\">",
                           kvet_waiver_status_name(w->status), w->matched);
            h(out, w->file);
            kv_buf_printf(out, ":%u%s</td></tr>\n", w->line, w->from_file ? "" : " (annotation)");
        }
        kv_buf_puts(out, "</tbody>\n</table>\n");
    }
    if (total > nopen_refs) {
        kv_buf_printf(out, "<h3>Accepted findings</h3>\n<p>%zu waived and %zu in the baseline", res->waived,
                      res->baselined);
        if (o->baseline) {
            kv_buf_puts(out, " (<code>");
            h(out, o->baseline);
            kv_buf_puts(out, "</code>)");
        }
        kv_buf_puts(out, ".</p>\n");
        finding_groups(out, acc, total - nopen_refs, rows, "accepted", true);
    }

    /* ---- errors ---- */
    if (res->nerrors) {
        section(out, "errors", "Evaluation errors");
        kv_buf_puts(out, "<ul>\n");
        for (size_t i = 0; i < res->nerrors; i++) {
            const kvet_error *x = &res->errors[i];
            kv_buf_puts(out, "<li><span class=\"loc\">");
            h(out, x->file);
            if (x->line)
                kv_buf_printf(out, ":%u:%u", x->line, x->col);
            kv_buf_puts(out, "</span> ");
            h(out, x->message);
            kv_buf_puts(out, "</li>\n");
        }
        kv_buf_puts(out, "</ul>\n");
    }

    /* ---- appendix: rules ---- */
    kv_buf_puts(out, "</section>\n<section id=\"rules\" class=\"large\">\n<h2>Appendix: rules with findings</h2>\n");
    kv_buf_printf(out, "<p id=\"rules-count\">%zu rule%s with findings below; %zu more ran and passed on every "
                       "resource they applied to, %zu applied to no resource", with_findings,
                  with_findings == 1 ? "" : "s", passing_rules, unused_rules);
    if (disabled)
        kv_buf_printf(out, ", %zu %s disabled", disabled, disabled == 1 ? "is" : "are");
    kv_buf_puts(out, " (<code>kvet rules</code> lists them all).</p>\n");
    if (with_findings) {
        kv_buf_puts(out, "<table>\n<thead><tr><th>rule</th><th>severity</th><th>title</th><th>applies to</th>"
                          "<th>evaluated</th><th>passing</th><th>failing</th><th>accepted</th><th>findings</th>"
                          "</tr></thead>\n<tbody>\n");
        for (size_t i = 0; i < rules.n; i++) {
            const rule_row *rw = &rows[i];
            if (!rw->info.enabled || !rw->findings)
                continue;
            kv_buf_puts(out, "<tr id=\"rule-");
            anchor(out, rw->info.id);
            kv_buf_puts(out, "\"><td class=\"id\">");
            if (safe_link(rw->info.link)) {
                kv_buf_puts(out, "<a href=\"");
                h(out, rw->info.link);
                kv_buf_puts(out, "\">");
                h(out, rw->info.id);
                kv_buf_puts(out, "</a>");
            } else {
                h(out, rw->info.id);
            }
            kv_buf_printf(out, "</td><td class=\"sev %s\">%s", kvet_severity_name(rw->info.severity),
                          kvet_severity_name(rw->info.severity));
            if (rw->info.override_pack && rw->info.stock_severity != rw->info.severity)
                kv_buf_printf(out, "<div class=\"status\">stock: %s</div>",
                              kvet_severity_name(rw->info.stock_severity));
            kv_buf_puts(out, "</td><td>");
            h(out, rw->info.title);
            kv_buf_puts(out, "</td><td class=\"wrap\">");
            h(out, rw->info.applies_to);
            size_t pass = rw->evaluated - rw->failing - rw->accepted - rw->errors;
            kv_buf_printf(out, "</td><td class=\"num\">%zu</td><td class=\"num\">%zu</td><td class=\"num\">%zu</td>"
                                "<td class=\"num\">%zu</td><td class=\"num\">%zu</td></tr>\n",
                           rw->evaluated, pass, rw->failing, rw->accepted, rw->findings);
        }
        kv_buf_puts(out, "</tbody>\n</table>\n");
    }

    /* ---- appendix: the scaling view ---- */
    kv_buf_puts(out, "</section>\n<section id=\"resources\" class=\"large\">\n<h2>Appendix: effective scaling</h2>\n");
    kvet_view_info view;
    if (!o->pack || !kvet_view_find(o->pack, "scaling", &view) || !view.nvalues) {
        kv_buf_puts(out, "<p>No pack declares a <code>scaling</code> view (<code>view scaling $value, ...</code>), "
                          "so no derived values are shown here; the JSON report has them all.</p>\n");
    } else {
        size_t nview = 0;
        for (size_t i = 0; i < res->nresources; i++)
            nview += in_view(&view, &res->resources[i]);
        kv_buf_puts(out, "<p>What the controllers would run: the derived values pack <code>");
        h(out, view.pack);
        kv_buf_puts(out, "</code> shows as its scaling view (");
        for (size_t i = 0; i < view.nvalues; i++) {
            kv_buf_puts(out, i ? ", <code>$" : "<code>$");
            h(out, view.values[i]);
            kv_buf_puts(out, "</code>");
        }
        kv_buf_printf(out, ") for the %zu resource%s that have them", nview, nview == 1 ? "" : "s");
        if (nview > VIEW_ROWS)
            kv_buf_printf(out, "; the first %d, every one is in the JSON report (<code>effective</code>)", VIEW_ROWS);
        kv_buf_puts(out, ".</p>\n");
        if (nview) {
            kv_buf_puts(out, "<table id=\"scaling\">\n<thead><tr><th>resource</th>");
            for (size_t i = 0; i < view.nvalues; i++) {
                kv_buf_puts(out, "<th>");
                h(out, view.values[i]);
                kv_buf_puts(out, "</th>");
            }
            kv_buf_puts(out, "</tr></thead>\n<tbody>\n");
            size_t shown = 0;
            for (size_t i = 0; i < res->nresources && shown < VIEW_ROWS; i++) {
                const kvet_resource *r = &res->resources[i];
                if (!in_view(&view, r))
                    continue;
                shown++;
                kv_buf label;
                kv_buf_init(&label);
                label_of(&label, r);
                if (label.oom)
                    oom = true;
                kv_buf_puts(out, "<tr class=\"scaling\"><td>");
                h(out, label.data);
                kv_buf_free(&label);
                kv_buf_puts(out, "<div class=\"loc\">");
                h(out, r->file);
                kv_buf_printf(out, ":%u</div></td>", r->line);
                for (size_t k = 0; k < view.nvalues; k++)
                    view_cell(out, view_value(r->effective, view.values[k]));
                kv_buf_puts(out, "</tr>\n");
            }
            kv_buf_puts(out, "</tbody>\n</table>\n");
        }
        if (res->nresources > nview)
            kv_buf_printf(out, "<p>%zu other resource%s without derived scaling.</p>\n", res->nresources - nview,
                          res->nresources - nview == 1 ? "" : "s");
    }

    /* ---- appendix: cluster ---- */
    kv_buf_puts(out, "</section>\n<section id=\"cluster\">\n<h2>Appendix: cluster configuration</h2>\n");
    if (res->used_cluster_defaults || res->ncontexts == 0) {
        kv_buf_puts(out, "<p id=\"cluster-defaults\">No cluster configuration was found among the inputs: Knative's "
                          "and KServe's shipped defaults were applied.</p>\n");
    } else {
        cluster_table(out, res);
    }
    if (o->ncluster) {
        kv_buf_puts(out, "<p>Given with <code>--cluster</code>: ");
        code_list(out, o->cluster, o->ncluster, "");
        kv_buf_puts(out, "</p>\n");
    }

    /* ---- appendix: packs ---- */
    section(out, "packs", "Appendix: rule packs");
    kv_buf_puts(out, "<table>\n<thead><tr><th>pack</th><th>version</th><th>sha256</th></tr></thead>\n<tbody>\n");
    for (size_t i = 0; o->pack && i < kvet_pack_count(o->pack); i++) {
        kvet_pack_info pi = kvet_pack_at(o->pack, i);
        kv_buf_puts(out, "<tr><td>");
        h(out, pi.name);
        kv_buf_puts(out, "</td><td>");
        h(out, pi.version);
        kv_buf_puts(out, "</td><td class=\"loc\">");
        h(out, pi.digest);
        kv_buf_puts(out, "</td></tr>\n");
    }
    kv_buf_puts(out, "</tbody>\n</table>\n");
    /* ---- run ---- */
    section(out, "run", "Appendix: run");
    kv_buf_puts(out, "<table>\n<tbody>\n<tr><th>kvet</th><td>");
    h(out, kvet_version());
    kv_buf_puts(out, "</td></tr>\n<tr><th>time</th><td id=\"run-time\">");
    if (o->timestamp >= 0) {
        time_t t = (time_t)o->timestamp;
        struct tm tm;
        char buf[32];
        if (gmtime_r(&t, &tm) && strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm))
            h(out, buf);
        else /* beyond what the C library can convert: the number as given */
            kv_buf_printf(out, "%lld seconds since 1970 (UTC)", o->timestamp);
    } else {
        kv_buf_puts(out, "not recorded (use --timestamp or SOURCE_DATE_EPOCH)");
    }
    kv_buf_puts(out, "</td></tr>\n<tr><th>inputs</th><td id=\"run-inputs\">");
    code_list(out, o->inputs, o->ninputs, "none");
    if (o->stdin_name) {
        kv_buf_puts(out, " (standard input named <code>");
        h(out, o->stdin_name);
        kv_buf_puts(out, "</code>)");
    }
    if (o->nexcludes) {
        kv_buf_puts(out, "; excluded: ");
        code_list(out, o->excludes, o->nexcludes, "");
    }
    kv_buf_puts(out, "</td></tr>\n<tr><th>rules</th><td>");
    code_list(out, o->rules, o->nrules, "the default pack (none given with <code>--rules</code>)");
    kv_buf_puts(out, "</td></tr>\n<tr><th>cluster</th><td>");
    code_list(out, o->cluster, o->ncluster, "none given with <code>--cluster</code>");
    kv_buf_puts(out, "</td></tr>\n<tr><th>waivers</th><td>");
    code_list(out, o->waivers, o->nwaivers, "none given with <code>--waivers</code>");
    kv_buf_puts(out, "</td></tr>\n<tr><th>baseline</th><td>");
    code_list(out, o->baseline ? &o->baseline : NULL, o->baseline ? 1 : 0, "none");
    kv_buf_puts(out, "</td></tr>\n");
    if (o->nsets) {
        kv_buf_puts(out, "<tr><th>parameters</th><td>");
        code_list(out, o->sets, o->nsets, "");
        kv_buf_puts(out, "</td></tr>\n");
    }
    /* the date matters only to waivers that expire; printed only then, so
     * that other reports do not change from one day to the next */
    bool expiring = false;
    for (size_t i = 0; i < res->nwaivers; i++)
        expiring |= res->waivers[i].expires && res->waivers[i].expires[0];
    if (expiring && o->today) {
        kv_buf_puts(out, "<tr><th>waivers expire against</th><td id=\"run-today\">");
        h(out, o->today);
        kv_buf_puts(out, "</td></tr>\n");
    }
    kv_buf_printf(out, "<tr><th>fail level</th><td>%s</td></tr>\n",
                   o->fail_never ? "never" : kvet_severity_name(o->fail_level));
    kv_buf_printf(out, "<tr><th>documents skipped</th><td>%zu (no apiVersion or kind)</td></tr>\n", res->skipped);
    kv_buf_puts(out, "</tbody>\n</table>\n</section>\n</body>\n</html>\n");

    counts_free(&by_ns);
    counts_free(&res_ns);
    free(refs);
    free(rows);
    cli_rules_free(&rules);
    if (oom)
        out->oom = true;
    return out->oom ? -1 : 0;
}
