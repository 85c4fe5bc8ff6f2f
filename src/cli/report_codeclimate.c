/*
 * report_codeclimate.c - the Code Climate issue list that GitLab reads as a
 * code quality report (artifacts:reports:codequality).
 *
 * One issue per open finding: waived and baselined findings are accepted
 * and the format has no way to mark them so, so they are left out.  The
 * fingerprint is the SARIF one (rule and resource, never the line), which
 * is what GitLab compares between the merge request and its target.
 */
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

int report_codeclimate(kv_buf *out, const kvet_result *res, const report_opts *o)
{
    (void)o;
    bool first = true;
    kv_buf_puts(out, "[");
    for (size_t i = 0; i < res->nresources; i++) {
        const kvet_resource *r = &res->resources[i];
        for (size_t k = 0; k < r->nfindings; k++) {
            const kvet_finding *f = &r->findings[k];
            size_t nth = 0;
            for (size_t j = 0; j < k; j++)
                if (!strcmp(r->findings[j].rule, f->rule))
                    nth++;
            if (f->waiver || f->baselined)
                continue;
            kv_buf_puts(out, first ? "\n  {\"type\": \"issue\", \"check_name\": " : ",\n  {\"type\": \"issue\", "
                                                                                     "\"check_name\": ");
            first = false;
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
    kv_buf_puts(out, first ? "]\n" : "\n]\n");
    return out->oom ? -1 : 0;
}
