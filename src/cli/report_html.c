/*
 * report_html.c - the audit report: one self-contained HTML file (inline
 * CSS, charts drawn as inline SVG, no scripts, no external assets) that
 * reads well on screen and prints cleanly to PDF.
 *
 * Sections, each with a stable id: summary (counts and four charts: open
 * findings by severity and by namespace, resources failing, accepted and
 * passing by namespace and per rule), packs (names, versions, digests),
 * cluster (the configuration used), rules (every rule with its counts),
 * resources (effective scaling per workload component), findings, waivers,
 * errors (when any) and run (version, time, inputs).  The output depends
 * only on the result and the options: the time appears only when
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
    size_t findings;
} rule_row;

typedef struct count {
    char *key;
    size_t n[3];            /* by severity, or failing/accepted/passing */
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

static int by_total_then_key(const void *a, const void *b)
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
                  const char *const seg_name[3], const bar_row *rows, size_t n)
{
    size_t top = 1;
    for (size_t i = 0; i < n; i++) {
        size_t t = rows[i].seg[0] + rows[i].seg[1] + rows[i].seg[2];
        if (t > top)
            top = t;
    }
    size_t height = n * (BAR_H + GAP) + GAP + 24;
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
    for (size_t i = 0; i < n; i++) {
        size_t y = 24 + GAP + i * (BAR_H + GAP);
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
        kv_buf_printf(b, "<text class=\"value\" x=\"%.1f\" y=\"%zu\">%zu</text>\n", x + 6, y + BAR_H - 5, total);
    }
    kv_buf_puts(b, "</svg>\n<figcaption>");
    h(b, title);
    kv_buf_puts(b, "</figcaption>\n</figure>\n");
}

/* ----------------------------------------------------- effective values */

static kvet_value get(kvet_value m, const char *k)
{
    return kvet_map_get(m, k, strlen(k));
}

/* A value as a cell shows it: strings as they are, other values as JSON;
 * nothing for absent and null. */
static void value_text(kv_buf *t, kvet_value v)
{
    if (v.type == KVET_ABSENT || v.type == KVET_NULL)
        return;
    if (v.type == KVET_STRING)
        kv_buf_puts(t, v.u.s->data);
    else
        cli_value_json(t, v);
}

/* One entry of a metric or target list.  With several metrics a missing
 * part is written "?" so that the two lists stay aligned. */
static void list_item(kv_buf *t, size_t i, size_t n, kvet_value v, const char *suffix)
{
    if (i)
        kv_buf_puts(t, ", ");
    size_t before = t->len;
    value_text(t, v);
    if (t->len == before) {
        if (n > 1)
            kv_buf_puts(t, "?");
    } else if (suffix) {
        kv_buf_puts(t, suffix);
    }
}

/* The metrics of the HPA KServe creates (resource metrics), named as a
 * person would: metric "cpu", target "80%". */
static void hpa_metrics(kv_buf *metric, kv_buf *target, kvet_value hpa)
{
    kvet_value ms = get(hpa, "metrics");
    if (ms.type != KVET_LIST)
        return;
    for (size_t i = 0; i < ms.u.l->n; i++) {
        kvet_value m = ms.u.l->items[i], res = get(m, "resource");
        kvet_value name = get(res, "name"), t = get(res, "target");
        list_item(metric, i, ms.u.l->n, name.type == KVET_STRING ? name : get(m, "type"), NULL);
        kvet_value u = get(t, "averageUtilization");
        if (u.type != KVET_ABSENT && u.type != KVET_NULL)
            list_item(target, i, ms.u.l->n, u, "%");
        else
            list_item(target, i, ms.u.l->n, get(t, "averageValue"), NULL);
    }
}

/* The triggers of the ScaledObject KServe creates: the scaler type and the
 * threshold its metadata carries (value for cpu and memory, threshold for
 * external metrics, targetValue for the OpenTelemetry scaler). */
static void keda_triggers(kv_buf *metric, kv_buf *target, kvet_value so)
{
    kvet_value tr = get(so, "triggers");
    if (tr.type != KVET_LIST)
        return;
    static const char *const keys[] = {"value", "threshold", "targetValue"};
    for (size_t i = 0; i < tr.u.l->n; i++) {
        kvet_value t = tr.u.l->items[i], md = get(t, "metadata"), v = {0};
        list_item(metric, i, tr.u.l->n, get(t, "type"), NULL);
        for (size_t k = 0; k < sizeof keys / sizeof keys[0] && v.type == KVET_ABSENT; k++)
            v = get(md, keys[k]);
        kvet_value mt = get(t, "metricType");
        bool pct = mt.type == KVET_STRING && !strcmp(mt.u.s->data, "Utilization");
        list_item(target, i, tr.u.l->n, v, pct ? "%" : NULL);
    }
}

/* A cell of the resources table: a dash when empty.  `wrap` lets long
 * tokens (class names) break anywhere. */
static void cell_text(kv_buf *b, const kv_buf *t, bool wrap)
{
    if (t->oom)
        b->oom = true;
    kv_buf_puts(b, wrap ? "<td class=\"wrap\">" : "<td>");
    if (t->len)
        h(b, t->data);
    else
        kv_buf_puts(b, "<span class=\"none\">&#8212;</span>");
    kv_buf_puts(b, "</td>");
}

static void cell_value(kv_buf *b, kvet_value v, bool wrap)
{
    kv_buf t;
    kv_buf_init(&t);
    value_text(&t, v);
    cell_text(b, &t, wrap);
    kv_buf_free(&t);
}

/* One row of the resources table. */
static void scale_row(kv_buf *b, const kvet_resource *r, const char *component, const char *mode, kvet_value cls,
                      const kv_buf *metric, const kv_buf *target, kvet_value min, kvet_value max, kvet_value initial,
                      kvet_value activation)
{
    /* the resource, with its file below: one column fewer keeps the table
     * within a printed page */
    kv_buf label;
    kv_buf_init(&label);
    cli_resource_label(&label, r);
    kv_buf_puts(b, "<tr><td>");
    h(b, label.data);
    kv_buf_free(&label);
    kv_buf_puts(b, "<div class=\"loc\">");
    h(b, r->file);
    kv_buf_printf(b, ":%u</div></td><td>", r->line);
    h(b, component);
    kv_buf_puts(b, "</td><td>");
    h(b, mode);
    kv_buf_puts(b, "</td>");
    cell_value(b, cls, true);
    cell_text(b, metric, false);
    cell_text(b, target, false);
    cell_value(b, min, false);
    cell_value(b, max, false);
    cell_value(b, initial, false);
    cell_value(b, activation, false);
    kv_buf_puts(b, "</tr>\n");
}

static void knative_row(kv_buf *b, const kvet_resource *r, const char *component, const char *mode, kvet_value s)
{
    kv_buf metric, target;
    kv_buf_init(&metric);
    kv_buf_init(&target);
    value_text(&metric, get(s, "metric"));
    value_text(&target, get(s, "target"));
    scale_row(b, r, component, mode, get(s, "class"), &metric, &target, get(s, "min"), get(s, "max"),
              get(s, "initial"), get(s, "activation"));
    kv_buf_free(&metric);
    kv_buf_free(&target);
}

/* The rows of one resource: a Knative workload's scale, or each component
 * of an InferenceService or InferenceGraph.  Returns the rows written. */
static size_t resource_rows(kv_buf *b, const kvet_resource *r)
{
    kvet_value eff = r->effective, none = {0};
    kvet_value scale = get(eff, "scale");
    if (scale.type == KVET_MAP) {
        knative_row(b, r, "", "Knative", scale);
        return 1;
    }
    kvet_value comps = get(eff, "components");
    if (comps.type != KVET_MAP)
        return 0;
    kvet_value mode = get(eff, "deploymentMode");
    const char *mname = mode.type == KVET_STRING ? mode.u.s->data : "";
    size_t rows = 0;
    for (uint32_t i = 0; i < comps.u.m->n; i++) {
        const char *cname = comps.u.m->e[i].key->data;
        kvet_value c = comps.u.m->e[i].val;
        kvet_value cs = get(c, "scale");
        if (cs.type == KVET_MAP) {
            knative_row(b, r, cname, mname, cs);
        } else {
            kvet_value hpa = get(c, "hpa"), so = get(c, "scaledObject"), reps = get(c, "deploymentReplicas");
            kvet_value min = none, max = none;
            kv_buf metric, target;
            kv_buf_init(&metric);
            kv_buf_init(&target);
            if (hpa.type == KVET_MAP) {
                min = get(hpa, "minReplicas");
                max = get(hpa, "maxReplicas");
                hpa_metrics(&metric, &target, hpa);
            } else if (so.type == KVET_MAP) {
                min = get(so, "minReplicaCount");
                max = get(so, "maxReplicaCount");
                keda_triggers(&metric, &target, so);
            } else if (reps.type == KVET_INT) {
                min = max = reps;
            }
            scale_row(b, r, cname, mname, get(c, "autoscalerClass"), &metric, &target, min, max, reps, none);
            kv_buf_free(&metric);
            kv_buf_free(&target);
        }
        rows++;
    }
    return rows;
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
    "@media print{@page{margin:12mm}body{margin:0;max-width:none;font-size:11px}section{break-before:page}"
    "section#summary{break-before:auto}h2{break-after:avoid}tr,figure,.cards{break-inside:avoid}"
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

int report_html(kv_buf *out, const kvet_result *res, const report_opts *o)
{
    bool oom = false;
    cli_rules rules;
    if (cli_rules_collect(&rules, res, o->pack) < 0)
        return -1;
    rule_row *rows = calloc(rules.n + 1, sizeof *rows);
    if (!rows) {
        cli_rules_free(&rules);
        return -1;
    }
    for (size_t i = 0; i < rules.n; i++) {
        rows[i].info = rules.v[i];
        /* the result counts per rule in pack order; extra rules (named only
         * by findings) have no count */
        if (o->pack && i < kvet_rule_count(o->pack) && res->rule_evaluated)
            rows[i].evaluated = res->rule_evaluated[i];
    }
    /* A resource passes a rule evaluated on it without findings, fails it
     * with an open finding, and is accepted when every finding of the rule
     * on it is waived or baselined; the same for a resource over all rules
     * (the namespace chart).  The finding charts count open findings, as
     * the cards do. */
    enum { FAILING, ACCEPTED, PASSING };
    counts by_ns = {0};         /* open findings by namespace and severity */
    counts res_ns = {0};        /* resources by namespace: failing, accepted, passing */
    size_t total = 0, open[3] = {0, 0, 0};
    for (size_t i = 0; i < res->nresources; i++) {
        const kvet_resource *r = &res->resources[i];
        const char *ns = r->ns && r->ns[0] ? r->ns : "(cluster or default)";
        size_t nopen = 0;
        for (size_t k = 0; k < r->nfindings; k++) {
            const kvet_finding *f = &r->findings[k];
            bool is_open = !f->waiver && !f->baselined;
            total++;
            kvet_severity sev = f->severity <= KVET_SEV_ERROR ? f->severity : KVET_SEV_INFO;
            if (is_open) {
                nopen++;
                open[sev]++;
                counts_add(&by_ns, ns, (int)sev, &oom);
            }
            long ri = cli_rules_find(&rules, f->rule);
            if (ri < 0)
                continue;
            rows[ri].findings++;
            /* a resource counts once per rule, however many findings it has */
            bool seen = false;
            for (size_t j = 0; j < k && !seen; j++)
                seen = !strcmp(r->findings[j].rule, f->rule);
            if (seen)
                continue;
            bool rule_open = false;
            for (size_t j = k; j < r->nfindings; j++)
                rule_open |= !strcmp(r->findings[j].rule, f->rule) && !r->findings[j].waiver &&
                             !r->findings[j].baselined;
            if (rule_open)
                rows[ri].failing++;
            else
                rows[ri].accepted++;
        }
        counts_add(&res_ns, ns, nopen ? FAILING : r->nfindings ? ACCEPTED : PASSING, &oom);
    }
    for (size_t i = 0; i < rules.n; i++)
        if (rows[i].evaluated < rows[i].failing + rows[i].accepted)
            rows[i].evaluated = rows[i].failing + rows[i].accepted;
    /* an empty result has no arrays, and qsort must not be given NULL */
    if (by_ns.n > 1)
        qsort(by_ns.v, by_ns.n, sizeof *by_ns.v, by_total_then_key);
    if (res_ns.n > 1)
        qsort(res_ns.v, res_ns.n, sizeof *res_ns.v, by_total_then_key);

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
    kv_buf_puts(out, "</p>\n<nav><a href=\"#summary\">Summary</a> &#183; <a href=\"#packs\">Rule packs</a> &#183; "
                      "<a href=\"#cluster\">Cluster configuration</a> &#183; <a href=\"#rules\">Rules</a> &#183; "
                      "<a href=\"#resources\">Resources</a> &#183; <a href=\"#findings\">Findings</a> &#183; "
                      "<a href=\"#waivers\">Waivers</a> &#183; ");
    if (res->nerrors)
        kv_buf_puts(out, "<a href=\"#errors\">Errors</a> &#183; ");
    kv_buf_puts(out, "<a href=\"#run\">Run</a></nav>\n</header>\n");

    /* ---- summary ---- */
    kv_buf_puts(out, "<section id=\"summary\">\n<h2>Summary</h2>\n<div class=\"cards\">\n");
    kv_buf_printf(out, "<div class=\"card\"><b>%zu</b>resources</div>\n<div class=\"card\"><b>%zu</b>rules</div>\n",
                   res->nresources, res->nrules);
    kv_buf_printf(out, "<div class=\"card error\"><b>%zu</b>errors</div>\n<div class=\"card warning\"><b>%zu</b>"
                        "warnings</div>\n<div class=\"card info\"><b>%zu</b>infos</div>\n",
                   open[KVET_SEV_ERROR], open[KVET_SEV_WARNING], open[KVET_SEV_INFO]);
    kv_buf_printf(out, "<div class=\"card\"><b>%zu</b>waived</div>\n<div class=\"card\"><b>%zu</b>in the "
                        "baseline</div>\n</div>\n", res->waived, res->baselined);
    {
        static const char *const sev_cls[3] = {"error", "warning", "info"};
        static const char *const sev_name[3] = {"errors", "warnings", "infos"};
        /* by severity: one bar per severity, each in its own colour */
        bar_row sevrows[3] = {{"errors", {open[KVET_SEV_ERROR], 0, 0}}, {"warnings", {0, open[KVET_SEV_WARNING], 0}},
                              {"infos", {0, 0, open[KVET_SEV_INFO]}}};
        chart(out, "chart-severity", "Open findings by severity", sev_cls, sev_name, sevrows, 3);

        size_t nns = by_ns.n < 15 ? by_ns.n : 15;
        bar_row *nsrows = calloc(nns + 1, sizeof *nsrows);
        if (nsrows) {
            for (size_t i = 0; i < nns; i++) {
                nsrows[i].label = by_ns.v[i].key;
                nsrows[i].seg[0] = by_ns.v[i].n[KVET_SEV_ERROR];
                nsrows[i].seg[1] = by_ns.v[i].n[KVET_SEV_WARNING];
                nsrows[i].seg[2] = by_ns.v[i].n[KVET_SEV_INFO];
            }
            chart(out, "chart-namespaces",
                  by_ns.n > nns ? "Open findings by namespace (the 15 with the most)" : "Open findings by namespace",
                  sev_cls, sev_name, nsrows, nns);
            free(nsrows);
        } else {
            oom = true;
        }

        static const char *const pf_cls[3] = {"fail", "accepted", "pass"};
        static const char *const pf_name[3] = {"failing", "accepted", "passing"};
        /* resources failing, accepted and passing, by namespace */
        size_t nrn = res_ns.n < 15 ? res_ns.n : 15;
        bar_row *rnrows = calloc(nrn + 1, sizeof *rnrows);
        if (rnrows) {
            for (size_t i = 0; i < nrn; i++) {
                rnrows[i].label = res_ns.v[i].key;
                for (int s = 0; s < 3; s++)
                    rnrows[i].seg[s] = res_ns.v[i].n[s];
            }
            chart(out, "chart-namespace-resources",
                  res_ns.n > nrn ? "Resources failing, accepted and passing by namespace (the 15 with the most)"
                                 : "Resources failing, accepted and passing by namespace",
                  pf_cls, pf_name, rnrows, nrn);
            free(rnrows);
        } else {
            oom = true;
        }

        /* pass/fail per rule: the rules that ran, most failing first */
        size_t nrun = 0;
        for (size_t i = 0; i < rules.n; i++)
            nrun += rows[i].evaluated > 0;
        bar_row *rr = calloc(nrun + 1, sizeof *rr);
        if (rr) {
            size_t k = 0;
            for (size_t i = 0; i < rules.n; i++)
                if (rows[i].evaluated > 0) {
                    rr[k].label = rows[i].info.id;
                    rr[k].seg[FAILING] = rows[i].failing;
                    rr[k].seg[ACCEPTED] = rows[i].accepted;
                    rr[k].seg[PASSING] = rows[i].evaluated - rows[i].failing - rows[i].accepted;
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
                  k > shown ? "Resources failing, accepted and passing per rule (the 30 with the most failures)"
                            : "Resources failing, accepted and passing per rule",
                  pf_cls, pf_name, rr, shown);
            free(rr);
        } else {
            oom = true;
        }
    }

    /* ---- packs ---- */
    section(out, "packs", "Rule packs");
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

    /* ---- cluster ---- */
    section(out, "cluster", "Cluster configuration");
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

    /* ---- rules ---- */
    section(out, "rules", "Rules");
    kv_buf_puts(out, "<table>\n<thead><tr><th>rule</th><th>severity</th><th>title</th><th>applies to</th>"
                      "<th>evaluated</th><th>passing</th><th>failing</th><th>accepted</th><th>findings</th></tr></thead>\n"
                      "<tbody>\n");
    for (size_t i = 0; i < rules.n; i++) {
        const rule_row *rw = &rows[i];
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
        kv_buf_printf(out, "</td><td class=\"sev %s\">%s%s</td><td>", kvet_severity_name(rw->info.severity),
                       kvet_severity_name(rw->info.severity), rw->info.enabled ? "" : " (disabled)");
        h(out, rw->info.title);
        kv_buf_puts(out, "</td><td class=\"wrap\">");
        h(out, rw->info.applies_to);
        kv_buf_printf(out, "</td><td class=\"num\">%zu</td><td class=\"num\">%zu</td><td class=\"num\">%zu</td>"
                            "<td class=\"num\">%zu</td><td class=\"num\">%zu</td></tr>\n",
                       rw->evaluated, rw->evaluated - rw->failing - rw->accepted, rw->failing, rw->accepted,
                       rw->findings);
    }
    kv_buf_puts(out, "</tbody>\n</table>\n");

    /* ---- resources ---- */
    section(out, "resources", "Resources and their effective scaling");
    kv_buf_puts(out, "<p>What the controllers would run: for Knative workloads the autoscaler's class, metric, "
                      "per-pod target and bounds (max 0 = unbounded); for Standard-mode components the HPA or "
                      "ScaledObject KServe creates, or fixed replicas (initial).</p>\n");
    kv_buf_puts(out, "<table>\n<thead><tr><th>resource</th><th>component</th><th>mode</th><th>class</th>"
                      "<th>metric</th><th>target</th><th>min</th><th>max</th><th>initial</th><th>activation</th>"
                      "</tr></thead>\n<tbody>\n");
    size_t other = 0;
    for (size_t i = 0; i < res->nresources; i++)
        if (resource_rows(out, &res->resources[i]) == 0)
            other++;
    kv_buf_puts(out, "</tbody>\n</table>\n");
    if (other) {
        kv_buf_printf(out, "<details><summary>%zu other resource%s without derived scaling</summary>\n<ul>\n", other,
                       other == 1 ? "" : "s");
        for (size_t i = 0; i < res->nresources; i++) {
            const kvet_resource *r = &res->resources[i];
            kvet_value eff = r->effective;
            if (get(eff, "scale").type == KVET_MAP || get(eff, "components").type == KVET_MAP)
                continue;
            kv_buf label;
            kv_buf_init(&label);
            label_of(&label, r);
            kv_buf_puts(out, "<li>");
            h(out, label.data);
            kv_buf_puts(out, " <span class=\"loc\">");
            h(out, r->file);
            kv_buf_printf(out, ":%u</span></li>\n", r->line);
            kv_buf_free(&label);
        }
        kv_buf_puts(out, "</ul>\n</details>\n");
    }

    /* ---- findings ---- */
    section(out, "findings", "Findings");
    if (!total) {
        kv_buf_puts(out, "<p>No findings.</p>\n");
    } else {
        kv_buf_puts(out, "<table>\n<thead><tr><th>severity</th><th>rule</th><th>resource</th><th>location</th>"
                          "<th>message</th><th>status</th></tr></thead>\n<tbody>\n");
        for (size_t i = 0; i < res->nresources; i++) {
            const kvet_resource *r = &res->resources[i];
            for (size_t k = 0; k < r->nfindings; k++) {
                const kvet_finding *f = &r->findings[k];
                const char *sev = kvet_severity_name(f->severity);
                kv_buf_printf(out, "<tr class=\"finding\"><td class=\"sev %s\">%s</td><td class=\"id\"><a href=\"#rule-", sev,
                               sev);
                anchor(out, f->rule);
                kv_buf_puts(out, "\">");
                h(out, f->rule);
                kv_buf_puts(out, "</a></td><td>");
                kv_buf label;
                kv_buf_init(&label);
                label_of(&label, r);
                h(out, label.data);
                kv_buf_free(&label);
                kv_buf_puts(out, "</td><td class=\"loc\">");
                h(out, cli_finding_file(f, r));
                kv_buf_printf(out, ":%u:%u</td><td class=\"wrap\">", f->line, f->col);
                h(out, f->message);
                if (f->remedy) {
                    kv_buf_puts(out, "<br><span class=\"status\">fix: ");
                    h(out, f->remedy);
                    kv_buf_puts(out, "</span>");
                }
                kv_buf_puts(out, "</td><td class=\"status\">");
                finding_status(out, f);
                kv_buf_puts(out, "</td></tr>\n");
            }
        }
        kv_buf_puts(out, "</tbody>\n</table>\n");
    }

    /* ---- waivers ---- */
    section(out, "waivers", "Waivers");
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

    /* ---- run ---- */
    section(out, "run", "Run");
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
    free(rows);
    cli_rules_free(&rules);
    if (oom)
        out->oom = true;
    return out->oom ? -1 : 0;
}
