/*
 * report_github.c - GitHub Actions workflow commands: one annotation per
 * finding and per evaluation error, shown on the pull request's diff.
 *
 *   ::error file=F,line=L,col=C,title=RULE: TITLE::MESSAGE
 *
 * warning findings use ::warning and info findings ::notice.  The runner
 * reads each line of the step's output as a command, so every value is
 * escaped: "%", CR and LF everywhere (a raw newline would end the command
 * and let the rest of a message forge another one), and ":" and "," as
 * well in property values, where they would end the value.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static void escape(kv_buf *b, const char *s, bool property)
{
    if (!s)
        return;
    for (; *s; s++) {
        switch (*s) {
        case '%': kv_buf_puts(b, "%25"); break;
        case '\r': kv_buf_puts(b, "%0D"); break;
        case '\n': kv_buf_puts(b, "%0A"); break;
        case ':':
            if (property) kv_buf_puts(b, "%3A");
            else kv_buf_puts(b, ":");
            break;
        case ',':
            if (property) kv_buf_puts(b, "%2C");
            else kv_buf_puts(b, ",");
            break;
        default: kv_buf_put(b, s, 1);
        }
    }
}

static const char *command_of(kvet_severity s)
{
    switch (s) {
    case KVET_SEV_ERROR: return "error";
    case KVET_SEV_WARNING: return "warning";
    default: return "notice";
    }
}

/* "file=F,line=L,col=C," as far as the position is known. */
static void position(kv_buf *b, const char *file, uint32_t line, uint32_t col)
{
    if (file && *file) {
        kv_buf_puts(b, "file=");
        escape(b, file, true);
        kv_buf_puts(b, ",");
        if (line) {
            kv_buf_printf(b, "line=%u,", line);
            if (col)
                kv_buf_printf(b, "col=%u,", col);
        }
    }
}

/* One annotation per finding of r. */
static void github_resource(kv_buf *out, const kvet_resource *r)
{
    for (size_t k = 0; k < r->nfindings; k++) {
        const kvet_finding *f = &r->findings[k];
        /* waived and baselined findings are accepted: notices, not errors */
        bool accepted = f->waiver || f->baselined;
        kv_buf_printf(out, "::%s ", accepted ? "notice" : command_of(f->severity));
        position(out, cli_finding_file(f, r), f->line, f->col);
        kv_buf t;
        kv_buf_init(&t);
        kv_buf_printf(&t, "%s%s: %s", accepted ? (f->waiver ? "waived " : "baselined ") : "", f->rule ? f->rule : "",
                       f->title ? f->title : "");
        kv_buf_puts(out, "title=");
        escape(out, t.data, true);
        kv_buf_puts(out, "::");
        /* the message, then the resource and the remedy on lines of
         * their own: annotations show multi-line text */
        t.len = 0;
        kv_buf_puts(&t, f->message ? f->message : "");
        kv_buf_puts(&t, "\n");
        cli_resource_label(&t, r);
        if (f->waiver)
            kv_buf_printf(&t, "\nwaived by %s until %s: %s", f->waiver->owner[0] ? f->waiver->owner : "-",
                           f->waiver->expires[0] ? f->waiver->expires : "-", f->waiver->reason);
        if (f->remedy)
            kv_buf_printf(&t, "\nfix: %s", f->remedy);
        if (f->link)
            kv_buf_printf(&t, "\nsee: %s", f->link);
        if (t.oom)
            out->oom = true;
        escape(out, t.data, false);
        kv_buf_free(&t);
        kv_buf_puts(out, "\n");
    }
}

/* One annotation per evaluation error. */
static void github_errors(kv_buf *out, const kvet_result *res)
{
    for (size_t i = 0; i < res->nerrors; i++) {
        const kvet_error *e = &res->errors[i];
        kv_buf_puts(out, "::error ");
        position(out, e->file, e->line, e->col);
        kv_buf_puts(out, "title=kvet evaluation error::");
        escape(out, e->message, false);
        kv_buf_puts(out, "\n");
    }
}

int report_github(kv_buf *out, const kvet_result *res, const report_opts *o)
{
    (void)o;
    for (size_t i = 0; i < res->nresources; i++)
        github_resource(out, &res->resources[i]);
    github_errors(out, res);
    return out->oom ? -1 : 0;
}

static void *github_open(const report_opts *o, const char *dest)
{
    return report_stream_new(sizeof(report_stream_base), o, dest);
}

static void github_put(void *st, const kvet_result *res, const kvet_resource *r)
{
    (void)res;
    github_resource(&((report_stream_base *)st)->body.buf, r);
}

static int github_finish(void *st, kv_buf *out, const kvet_result *res, const report_opts *o)
{
    (void)o;
    if (report_spill_copy_all(&((report_stream_base *)st)->body, out) < 0)
        return -1;
    github_errors(out, res);
    return out->oom ? (errno = ENOMEM, -1) : 0;
}

const report_stream_ops report_github_stream = {github_open, github_put, github_finish, report_stream_close};
