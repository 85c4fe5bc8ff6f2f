/*
 * report_tap.c - TAP version 14 (Test Anything Protocol).
 *
 * One test point per resource, "not ok" when it has a finding at or above
 * the fail level, then one "not ok" point per evaluation error.  A point
 * with findings carries a YAML diagnostic block: the most severe finding's
 * severity, rule, file, line, column and message at the top (the keys TAP
 * consumers show), and every finding under `findings` when there are more.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

/* A YAML double-quoted scalar.  Everything YAML does not allow unescaped
 * (C0 and C1 controls, DEL, U+2028/U+2029 which YAML 1.1 reads as line
 * breaks, the byte order mark, U+FFFE/U+FFFF) is escaped; bytes that are not
 * UTF-8 become U+FFFD. */
static void yq(kv_buf *b, const char *s)
{
    if (!s)
        s = "";
    size_t n = strlen(s), i = 0;
    kv_buf_puts(b, "\"");
    while (i < n) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x80) {
            if (c == '"') kv_buf_puts(b, "\\\"");
            else if (c == '\\') kv_buf_puts(b, "\\\\");
            else if (c == '\n') kv_buf_puts(b, "\\n");
            else if (c == '\r') kv_buf_puts(b, "\\r");
            else if (c == '\t') kv_buf_puts(b, "\\t");
            else if (c < 0x20 || c == 0x7f) kv_buf_printf(b, "\\x%02x", c);
            else kv_buf_put(b, s + i, 1);
            i++;
            continue;
        }
        uint32_t cp;
        size_t len = kv_utf8_decode(s + i, n - i, &cp);
        if (len == 0) {
            kv_buf_puts(b, "\\uFFFD");
            i++;
        } else if (cp <= 0x9F || cp == 0x2028 || cp == 0x2029 || cp == 0xFEFF || cp == 0xFFFE || cp == 0xFFFF) {
            kv_buf_printf(b, "\\u%04X", (unsigned)cp);
            i += len;
        } else {
            kv_buf_put(b, s + i, len);
            i += len;
        }
    }
    kv_buf_puts(b, "\"");
}

/* A test point description: one line, with `#` (which would start a
 * directive) and `\` escaped as TAP 14 asks. */
static void description(kv_buf *b, const char *s)
{
    for (; *s; s++) {
        if (*s == '#' || *s == '\\') {
            char e[2] = {'\\', *s};
            kv_buf_put(b, e, 2);
        } else if (*s == '\n' || *s == '\r') {
            kv_buf_puts(b, " ");
        } else {
            kv_buf_put(b, s, 1);
        }
    }
}

static void finding_keys(kv_buf *b, const kvet_finding *f, const kvet_resource *r, const char *indent,
                         const char *first_indent)
{
    kv_buf_printf(b, "%sseverity: %s\n", first_indent, kvet_severity_name(f->severity));
    kv_buf_printf(b, "%srule: ", indent);
    yq(b, f->rule);
    kv_buf_printf(b, "\n%stitle: ", indent);
    yq(b, f->title);
    kv_buf_printf(b, "\n%sfile: ", indent);
    yq(b, cli_finding_file(f, r));
    kv_buf_printf(b, "\n%sline: %u\n%scolumn: %u\n%smessage: ", indent, f->line, indent, f->col, indent);
    yq(b, f->message);
    kv_buf_puts(b, "\n");
    if (f->remedy) {
        kv_buf_printf(b, "%sremedy: ", indent);
        yq(b, f->remedy);
        kv_buf_puts(b, "\n");
    }
    if (f->link) {
        kv_buf_printf(b, "%slink: ", indent);
        yq(b, f->link);
        kv_buf_puts(b, "\n");
    }
}

static void put_resource(kv_buf *b, size_t num, const kvet_resource *r, const report_opts *o)
{
    bool failed = false;
    const kvet_finding *primary = NULL;
    for (size_t k = 0; k < r->nfindings; k++) {
        const kvet_finding *f = &r->findings[k];
        if (cli_finding_fails(f, o))
            failed = true;
        if (f->severity <= KVET_SEV_ERROR && (!primary || f->severity > primary->severity))
            primary = f;
    }
    kv_buf label;
    kv_buf_init(&label);
    cli_resource_label(&label, r);
    kv_buf_printf(&label, " (%s:%u)", r->file ? r->file : "", r->line);
    if (label.oom)
        b->oom = true;
    kv_buf_printf(b, "%s %zu - ", failed ? "not ok" : "ok", num);
    description(b, label.data ? label.data : "");
    kv_buf_free(&label);
    if (!failed && r->not_evaluated)
        kv_buf_puts(b, " # SKIP not fully evaluated, see the evaluation errors");
    kv_buf_puts(b, "\n");
    if (!primary)
        return;
    kv_buf_puts(b, "  ---\n");
    finding_keys(b, primary, r, "  ", "  ");
    kv_buf_puts(b, "  resource: {apiVersion: ");
    yq(b, r->api_version);
    kv_buf_puts(b, ", kind: ");
    yq(b, r->kind);
    kv_buf_puts(b, ", namespace: ");
    yq(b, r->ns);
    kv_buf_puts(b, ", name: ");
    yq(b, r->name);
    kv_buf_puts(b, "}\n");
    if (r->nfindings > 1) {
        kv_buf_puts(b, "  findings:\n");
        for (size_t k = 0; k < r->nfindings; k++)
            finding_keys(b, &r->findings[k], r, "      ", "    - ");
    }
    kv_buf_puts(b, "  ...\n");
}

static void put_error(kv_buf *b, size_t num, const kvet_error *e)
{
    kv_buf d;
    kv_buf_init(&d);
    kv_buf_puts(&d, "evaluation error");
    if (e->file && e->line)
        kv_buf_printf(&d, " at %s:%u:%u", e->file, e->line, e->col);
    else if (e->file)
        kv_buf_printf(&d, " in %s", e->file);
    if (d.oom)
        b->oom = true;
    kv_buf_printf(b, "not ok %zu - ", num);
    description(b, d.data ? d.data : "");
    kv_buf_free(&d);
    kv_buf_puts(b, "\n  ---\n  severity: error\n");
    if (e->file) {
        kv_buf_puts(b, "  file: ");
        yq(b, e->file);
        kv_buf_printf(b, "\n  line: %u\n  column: %u\n", e->line, e->col);
    }
    kv_buf_puts(b, "  message: ");
    yq(b, e->message);
    kv_buf_puts(b, "\n  ...\n");
}

/* The version and the plan: a test point for each of n resources, then
 * one for each evaluation error (tap_errors). */
static void tap_plan(kv_buf *out, const kvet_result *res, size_t n)
{
    kv_buf_puts(out, "TAP version 14\n");
    if (!n && !res->nerrors)
        kv_buf_puts(out, "1..0 # SKIP no resources to check\n");
    else
        kv_buf_printf(out, "1..%zu\n", n + res->nerrors);
}

static void tap_errors(kv_buf *out, const kvet_result *res, size_t n)
{
    for (size_t i = 0; i < res->nerrors; i++)
        put_error(out, n + i + 1, &res->errors[i]);
}

int report_tap(kv_buf *out, const kvet_result *res, const report_opts *o)
{
    tap_plan(out, res, res->nresources);
    for (size_t i = 0; i < res->nresources; i++)
        put_resource(out, i + 1, &res->resources[i], o);
    tap_errors(out, res, res->nresources);
    return out->oom ? -1 : 0;
}

static void *tap_open(const report_opts *o, const char *dest)
{
    return report_stream_new(sizeof(report_stream_base), o, dest);
}

static void tap_put(void *st, const kvet_result *res, const kvet_resource *r)
{
    (void)res;
    report_stream_base *t = st;
    put_resource(&t->body.buf, ++t->n, r, &t->o);
}

static int tap_finish(void *st, kv_buf *out, const kvet_result *res, const report_opts *o)
{
    (void)o;
    report_stream_base *t = st;
    tap_plan(out, res, t->n);
    if (report_spill_copy_all(&t->body, out) < 0)
        return -1;
    tap_errors(out, res, t->n);
    return out->oom ? (errno = ENOMEM, -1) : 0;
}

const report_stream_ops report_tap_stream = {tap_open, tap_put, tap_finish, report_stream_close};
