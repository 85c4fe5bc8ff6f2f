/*
 * report_markdown.c - a report sized for a pull-request comment (GitHub
 * flavoured Markdown): a heading, a summary table, a table of findings and
 * the evaluation errors.
 *
 * Comments have a size limit, so the findings table stops at MD_MAX_ROWS
 * rows or MD_MAX_BYTES bytes, whichever comes first, long messages are cut
 * at MD_MAX_CELL bytes, and the rest is counted in an "and N more" line.
 * What is kept is what matters most: errors, then warnings, then infos,
 * open findings before waived and baselined ones, each in input order.
 */
#include <stdlib.h>
#include <string.h>

#include "cli.h"

enum {
    MD_MAX_ROWS = 200,
    MD_MAX_BYTES = 48 * 1024,
    MD_MAX_CELL = 300,
    MD_MAX_ERRORS = 50
};


static const char *plural(size_t n, const char *one, const char *many)
{
    return n == 1 ? one : many;
}

/* The cluster configuration each environment (or scope) was checked with;
 * scopes that found none are counted, not listed. */
static void md_cluster(kv_buf *out, const kvet_result *res)
{
    enum { MAX_CONTEXTS = 20 };
    size_t listed = 0, plain = 0, more = 0;
    for (size_t c = 0; c < res->ncontexts; c++) {
        const kvet_context *x = &res->contexts[c];
        if (!x->nconfig && !x->env) {
            plain++;
            continue;
        }
        if (listed == MAX_CONTEXTS) {
            more++;
            continue;
        }
        if (!listed)
            kv_buf_puts(out, "\n### Cluster configuration\n\n| environment or scope | document used |\n|---|---|\n");
        listed++;
        kv_buf_puts(out, "| ");
        cli_md_text(out, x->env ? x->env : x->scope, MD_MAX_CELL, false);
        kv_buf_puts(out, " | ");
        if (!x->nconfig)
            kv_buf_puts(out, "none: shipped defaults");
        for (size_t i = 0; i < x->nconfig; i++) {
            const kvet_config_doc *d = &x->config[i];
            kv_buf_printf(out, "%s%s: ", i ? "<br>" : "", d->what);
            cli_md_text(out, d->file, MD_MAX_CELL, false);
            kv_buf_printf(out, ":%u (%s)", d->line, kvet_config_origin_name(d->origin));
        }
        kv_buf_puts(out, " |\n");
    }
    if (more)
        kv_buf_printf(out, "\n... and %zu more (see the JSON report).\n", more);
    if (plain && listed)
        kv_buf_printf(out, "\n%zu %s without configuration documents used the shipped defaults.\n", plain,
                       plural(plain, "scope", "scopes"));
}

/* A finding in the order the table lists it. */
typedef struct md_ref {
    const kvet_resource *r;
    const kvet_finding *f;
    size_t seq;
} md_ref;

static int md_rank(const kvet_finding *f)
{
    int sev = f->severity == KVET_SEV_ERROR ? 0 : f->severity == KVET_SEV_WARNING ? 1 : 2;
    return (f->waiver || f->baselined) ? 3 + sev : sev;
}

static int md_ref_cmp(const void *a, const void *b)
{
    const md_ref *x = a, *y = b;
    int rx = md_rank(x->f), ry = md_rank(y->f);
    if (rx != ry)
        return rx - ry;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

int report_markdown(kv_buf *out, const kvet_result *res, const report_opts *o)
{
    (void)o;
    size_t e = res->findings[KVET_SEV_ERROR], w = res->findings[KVET_SEV_WARNING], n = res->findings[KVET_SEV_INFO];
    kv_buf_puts(out, "## kvet report\n\n");
    kv_buf_puts(out, "| errors | warnings | infos | resources | rules |\n|---:|---:|---:|---:|---:|\n");
    kv_buf_printf(out, "| %zu | %zu | %zu | %zu | %zu |\n\n", e, w, n, res->nresources, res->nrules);
    if (res->nerrors)
        kv_buf_printf(out, "**%zu evaluation %s: the results are incomplete.**\n\n", res->nerrors,
                       plural(res->nerrors, "error", "errors"));

    size_t total = 0;
    for (size_t i = 0; i < res->nresources; i++)
        total += res->resources[i].nfindings;
    if (!total) {
        kv_buf_puts(out, "No findings.\n");
    } else {
        kv_buf_puts(out, "### Findings\n\n| severity | rule | resource | location | message |\n"
                          "|---|---|---|---|---|\n");
        /* the table is cut at a size: the most severe findings go first,
         * open before accepted, then in input order */
        md_ref *refs = malloc(total * sizeof *refs);
        if (!refs) {
            out->oom = true;
            return -1;
        }
        size_t nrefs = 0;
        for (size_t i = 0; i < res->nresources; i++)
            for (size_t k = 0; k < res->resources[i].nfindings; k++, nrefs++)
                refs[nrefs] = (md_ref){&res->resources[i], &res->resources[i].findings[k], nrefs};
        qsort(refs, nrefs, sizeof *refs, md_ref_cmp);
        size_t start = out->len, shown = 0;
        for (size_t i = 0; i < nrefs; i++) {
            const kvet_resource *r = refs[i].r;
            {
                if (shown == MD_MAX_ROWS || out->len - start > MD_MAX_BYTES)
                    break;
                const kvet_finding *f = refs[i].f;
                kv_buf_printf(out, "| %s | ", kvet_severity_name(f->severity));
                cli_md_text(out, f->rule, 0, false);
                kv_buf_puts(out, " | ");
                kv_buf label;
                kv_buf_init(&label);
                cli_resource_label(&label, r);
                if (label.oom)
                    out->oom = true;
                cli_md_text(out, label.data, MD_MAX_CELL, false);
                kv_buf_free(&label);
                kv_buf_puts(out, " | ");
                cli_md_text(out, cli_finding_file(f, r), MD_MAX_CELL, false);
                kv_buf_printf(out, ":%u | ", f->line);
                cli_md_text(out, f->message, MD_MAX_CELL, false);
                kv_buf_puts(out, " |\n");
                shown++;
            }
        }
        free(refs);
        if (shown < total)
            kv_buf_printf(out, "\n... and %zu more %s (see the full report).\n", total - shown,
                           plural(total - shown, "finding", "findings"));
    }

    md_cluster(out, res);

    if (res->nerrors) {
        kv_buf_puts(out, "\n### Evaluation errors\n\n");
        size_t shown = 0;
        for (size_t i = 0; i < res->nerrors && shown < MD_MAX_ERRORS; i++, shown++) {
            const kvet_error *x = &res->errors[i];
            kv_buf_puts(out, "- ");
            if (x->file) {
                cli_md_text(out, x->file, MD_MAX_CELL, false);
                if (x->line)
                    kv_buf_printf(out, ":%u:%u", x->line, x->col);
                kv_buf_puts(out, ": ");
            }
            cli_md_text(out, x->message, MD_MAX_CELL, false);
            kv_buf_puts(out, "\n");
        }
        if (shown < res->nerrors)
            kv_buf_printf(out, "- ... and %zu more\n", res->nerrors - shown);
    }
    return out->oom ? -1 : 0;
}
