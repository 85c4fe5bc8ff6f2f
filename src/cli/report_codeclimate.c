/*
 * report_codeclimate.c - the Code Climate issue list that GitLab reads as a
 * code quality report (artifacts:reports:codequality).
 *
 * One issue per open finding: waived and baselined findings are accepted
 * and the format has no way to mark them so, so they are left out.  The
 * fingerprint is the SARIF one (rule and resource, never the line), which
 * is what GitLab compares between the merge request and its target.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

/* GitLab's scale is info, minor, major, critical, blocker. */
static const char *severity_of(kvet_severity s)
{
    switch (s) {
    case KVET_SEV_ERROR: return "major";
    case KVET_SEV_WARNING: return "minor";
    default: return "info";
    }
}

/* One issue per open finding of r; *issues: those written so far. */
static void codeclimate_resource(kv_buf *out, const kvet_resource *r, size_t *issues)
{
    for (size_t k = 0; k < r->nfindings; k++) {
        const kvet_finding *f = &r->findings[k];
        size_t nth = 0;
        for (size_t j = 0; j < k; j++)
            if (!strcmp(r->findings[j].rule, f->rule))
                nth++;
        if (f->waiver || f->baselined)
            continue;
        kv_buf_puts(out, *issues ? ",\n  {\"type\": \"issue\", \"check_name\": " : "\n  {\"type\": \"issue\", "
                                                                                    "\"check_name\": ");
        ++*issues;
        kv_buf_json_string(out, f->rule, strlen(f->rule));
        kv_buf_puts(out, ", \"description\": ");
        kv_buf_json_string(out, f->message, strlen(f->message));
        kv_buf_printf(out, ", \"categories\": [\"Bug Risk\"], \"severity\": \"%s\", \"fingerprint\": \"",
                       severity_of(f->severity));
        char fp[17];
        cli_finding_fingerprint(fp, f, r, nth);
        kv_buf_printf(out, "%s\",\n   \"location\": {\"path\": ", fp);
        const char *path = cli_finding_file(f, r);
        while (path[0] == '.' && path[1] == '/')
            path += 2; /* GitLab wants paths from the repository root */
        kv_buf_json_string(out, path, strlen(path));
        kv_buf_printf(out, ", \"lines\": {\"begin\": %u}}}", f->line ? f->line : 1);
    }
}

int report_codeclimate(kv_buf *out, const kvet_result *res, const report_opts *o)
{
    (void)o;
    size_t issues = 0;
    kv_buf_puts(out, "[");
    for (size_t i = 0; i < res->nresources; i++)
        codeclimate_resource(out, &res->resources[i], &issues);
    kv_buf_puts(out, issues ? "\n]\n" : "]\n");
    return out->oom ? -1 : 0;
}

/* The stream's n counts issues, not resources. */
static void *codeclimate_open(const report_opts *o, const char *dest)
{
    return report_stream_new(sizeof(report_stream_base), o, dest);
}

static void codeclimate_put(void *st, const kvet_result *res, const kvet_resource *r)
{
    (void)res;
    report_stream_base *c = st;
    codeclimate_resource(&c->body.buf, r, &c->n);
}

static int codeclimate_finish(void *st, kv_buf *out, const kvet_result *res, const report_opts *o)
{
    (void)res;
    (void)o;
    report_stream_base *c = st;
    kv_buf_puts(out, "[");
    if (report_spill_copy_all(&c->body, out) < 0)
        return -1;
    kv_buf_puts(out, c->n ? "\n]\n" : "]\n");
    return out->oom ? (errno = ENOMEM, -1) : 0;
}

const report_stream_ops report_codeclimate_stream = {codeclimate_open, codeclimate_put, codeclimate_finish,
                                                     report_stream_close};
