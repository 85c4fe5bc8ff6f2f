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

/* One issue per open finding of r; *first: none is written yet. */
static void codeclimate_resource(kv_buf *out, const kvet_resource *r, bool *first)
{
    for (size_t k = 0; k < r->nfindings; k++) {
        const kvet_finding *f = &r->findings[k];
        size_t nth = 0;
        for (size_t j = 0; j < k; j++)
            if (!strcmp(r->findings[j].rule, f->rule))
                nth++;
        if (f->waiver || f->baselined)
            continue;
        kv_buf_puts(out, *first ? "\n  {\"type\": \"issue\", \"check_name\": " : ",\n  {\"type\": \"issue\", "
                                                                                 "\"check_name\": ");
        *first = false;
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
    bool first = true;
    kv_buf_puts(out, "[");
    for (size_t i = 0; i < res->nresources; i++)
        codeclimate_resource(out, &res->resources[i], &first);
    kv_buf_puts(out, first ? "]\n" : "\n]\n");
    return out->oom ? -1 : 0;
}

typedef struct codeclimate_stream {
    report_spill body;
    bool first;
} codeclimate_stream;

static void *codeclimate_open(const report_opts *o, const char *dest)
{
    (void)o;
    codeclimate_stream *c = malloc(sizeof *c);
    if (!c)
        return NULL;
    if (report_spill_open(&c->body, dest) < 0) {
        report_spill_close(&c->body);
        free(c);
        return NULL;
    }
    c->first = true;
    return c;
}

static void codeclimate_put(void *st, const kvet_result *res, const kvet_resource *r)
{
    (void)res;
    codeclimate_stream *c = st;
    codeclimate_resource(&c->body.buf, r, &c->first);
}

static int codeclimate_finish(void *st, kv_buf *out, const kvet_result *res, const report_opts *o)
{
    (void)res;
    (void)o;
    codeclimate_stream *c = st;
    kv_buf_puts(out, "[");
    if (report_spill_copy_all(&c->body, out) < 0)
        return -1;
    kv_buf_puts(out, c->first ? "]\n" : "\n]\n");
    return out->oom ? (errno = ENOMEM, -1) : 0;
}

static void codeclimate_close(void *st)
{
    codeclimate_stream *c = st;
    if (!c)
        return;
    report_spill_close(&c->body);
    free(c);
}

const report_stream_ops report_codeclimate_stream = {codeclimate_open, codeclimate_put, codeclimate_finish,
                                                     codeclimate_close};
