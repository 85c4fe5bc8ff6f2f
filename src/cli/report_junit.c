/*
 * report_junit.c - JUnit XML, the test report format CI systems display.
 *
 * One <testsuite> per enabled rule, one <testcase> per resource the rule
 * applies to (by kind and apiVersion; a resource with a finding of the
 * rule always counts).  Findings at or above the fail level are a
 * <failure>; findings below it are listed in <system-out> of a passing
 * test case, so the test report agrees with kvet's exit status.  A
 * resource that could not be fully evaluated is <skipped> for the rules
 * without findings on it.  Evaluation errors form a last suite, one test
 * case per file, each with an <error>.
 */
#include <string.h>

#include "cli.h"

/* Escape text for XML 1.0 content (attr = false) or a double-quoted
 * attribute value.  Characters XML 1.0 cannot carry at all (C0 controls
 * other than tab, newline and carriage return, U+FFFE, U+FFFF) and bytes
 * that are not UTF-8 become U+FFFD; tab, newline and carriage return are
 * written as references where a parser would otherwise normalise them. */
static void xml_put(cli_buf *b, const char *s, bool attr)
{
    if (!s)
        return;
    size_t n = strlen(s), i = 0;
    while (i < n) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x80) {
            switch (c) {
            case '&': cli_buf_puts(b, "&amp;"); break;
            case '<': cli_buf_puts(b, "&lt;"); break;
            case '>': cli_buf_puts(b, "&gt;"); break;
            case '"': cli_buf_puts(b, attr ? "&quot;" : "\""); break;
            case '\r': cli_buf_puts(b, "&#13;"); break;
            case '\n': cli_buf_puts(b, attr ? "&#10;" : "\n"); break;
            case '\t': cli_buf_puts(b, attr ? "&#9;" : "\t"); break;
            default:
                if (c < 0x20)
                    cli_buf_puts(b, "\xEF\xBF\xBD");
                else
                    cli_buf_put(b, s + i, 1);
            }
            i++;
            continue;
        }
        uint32_t cp;
        size_t len = cli_utf8_decode(s + i, n - i, &cp);
        if (len == 0 || cp == 0xFFFE || cp == 0xFFFF) {
            cli_buf_puts(b, "\xEF\xBF\xBD");
            i += len ? len : 1;
        } else {
            cli_buf_put(b, s + i, len);
            i += len;
        }
    }
}

static void xml_attr(cli_buf *b, const char *name, const char *value)
{
    cli_buf_printf(b, " %s=\"", name);
    xml_put(b, value, true);
    cli_buf_puts(b, "\"");
}

/* One finding as a line of text: "file:line:col: severity: message [rule]"
 * and the remedy and link below it. */
static void finding_text(cli_buf *b, const kvet_finding *f, const kvet_resource *r)
{
    cli_buf t;
    cli_buf_init(&t);
    cli_buf_printf(&t, "%s:%u:%u: %s: %s [%s]\n", cli_finding_file(f, r), f->line, f->col,
                   kvet_severity_name(f->severity), f->message ? f->message : "", f->rule ? f->rule : "");
    if (f->remedy)
        cli_buf_printf(&t, "fix: %s\n", f->remedy);
    if (f->link)
        cli_buf_printf(&t, "see: %s\n", f->link);
    if (t.oom)
        b->oom = true;
    xml_put(b, t.data, false);
    cli_buf_free(&t);
}

typedef struct counts {
    size_t tests, failures, errors, skipped;
} counts;

static bool same_rule(const kvet_finding *f, const char *id)
{
    return f->rule && id && !strcmp(f->rule, id);
}

static bool rule_selects(const kvet_rule_info *ri, const kvet_resource *r)
{
    if (cli_rule_applies(ri->applies_to, r->kind, r->api_version))
        return true;
    for (size_t k = 0; k < r->nfindings; k++)
        if (same_rule(&r->findings[k], ri->id))
            return true;
    return false;
}

static void rule_counts(const kvet_rule_info *ri, const kvet_result *res, const report_opts *o, counts *c)
{
    memset(c, 0, sizeof *c);
    for (size_t i = 0; i < res->nresources; i++) {
        const kvet_resource *r = &res->resources[i];
        if (!rule_selects(ri, r))
            continue;
        c->tests++;
        bool failed = false;
        for (size_t k = 0; k < r->nfindings; k++)
            if (same_rule(&r->findings[k], ri->id) && cli_finding_fails(&r->findings[k], o))
                failed = true;
        if (failed)
            c->failures++;
        else if (r->not_evaluated)
            c->skipped++;
    }
}

static void put_testcase(cli_buf *b, const kvet_rule_info *ri, const kvet_resource *r, const report_opts *o)
{
    cli_buf label;
    cli_buf_init(&label);
    cli_resource_label(&label, r);
    if (label.oom)
        b->oom = true;
    cli_buf_puts(b, "    <testcase");
    xml_attr(b, "name", label.data ? label.data : "");
    xml_attr(b, "classname", ri->id);
    xml_attr(b, "file", r->file);
    cli_buf_printf(b, " line=\"%u\"", r->line);
    cli_buf_free(&label);

    size_t nfail = 0, nother = 0;
    const kvet_finding *first = NULL;
    for (size_t k = 0; k < r->nfindings; k++) {
        const kvet_finding *f = &r->findings[k];
        if (!same_rule(f, ri->id))
            continue;
        if (cli_finding_fails(f, o)) {
            if (!nfail++)
                first = f;
        } else {
            nother++;
        }
    }
    if (!nfail && !nother && !r->not_evaluated) {
        cli_buf_puts(b, "/>\n");
        return;
    }
    cli_buf_puts(b, ">\n");
    if (nfail) {
        cli_buf_puts(b, "      <failure");
        cli_buf t;
        cli_buf_init(&t);
        cli_buf_puts(&t, first->message ? first->message : "");
        if (nfail > 1)
            cli_buf_printf(&t, " (and %zu more)", nfail - 1);
        if (t.oom)
            b->oom = true;
        xml_attr(b, "message", t.data ? t.data : "");
        cli_buf_free(&t);
        xml_attr(b, "type", kvet_severity_name(first->severity));
        cli_buf_puts(b, ">");
        for (size_t k = 0; k < r->nfindings; k++)
            if (same_rule(&r->findings[k], ri->id) && cli_finding_fails(&r->findings[k], o))
                finding_text(b, &r->findings[k], r);
        cli_buf_puts(b, "</failure>\n");
    } else if (r->not_evaluated) {
        cli_buf_puts(b, "      <skipped message=\"the resource could not be fully evaluated; see the evaluation "
                        "errors\"/>\n");
    }
    if (nother) {
        cli_buf_puts(b, "      <system-out>");
        for (size_t k = 0; k < r->nfindings; k++)
            if (same_rule(&r->findings[k], ri->id) && !cli_finding_fails(&r->findings[k], o))
                finding_text(b, &r->findings[k], r);
        cli_buf_puts(b, "</system-out>\n");
    }
    cli_buf_puts(b, "    </testcase>\n");
}

static bool same_file(const char *a, const char *b)
{
    if (!a || !b)
        return a == b;
    return !strcmp(a, b);
}

/* Errors are grouped by file, in the order the files first appear. */
static size_t error_files(const kvet_result *res)
{
    size_t n = 0;
    for (size_t i = 0; i < res->nerrors; i++) {
        bool seen = false;
        for (size_t j = 0; j < i && !seen; j++)
            seen = same_file(res->errors[j].file, res->errors[i].file);
        if (!seen)
            n++;
    }
    return n;
}

static void put_errors(cli_buf *b, const kvet_result *res)
{
    size_t nfiles = error_files(res);
    cli_buf_printf(b, "  <testsuite name=\"kvet evaluation errors\" tests=\"%zu\" failures=\"0\" errors=\"%zu\" "
                      "skipped=\"0\">\n", nfiles, nfiles);
    for (size_t i = 0; i < res->nerrors; i++) {
        const kvet_error *e = &res->errors[i];
        bool seen = false;
        for (size_t j = 0; j < i && !seen; j++)
            seen = same_file(res->errors[j].file, e->file);
        if (seen)
            continue;
        size_t more = 0;
        for (size_t j = i + 1; j < res->nerrors; j++)
            if (same_file(res->errors[j].file, e->file))
                more++;
        cli_buf_puts(b, "    <testcase");
        xml_attr(b, "name", e->file ? e->file : "(no file)");
        cli_buf_puts(b, " classname=\"kvet\"");
        if (e->file)
            xml_attr(b, "file", e->file);
        cli_buf_puts(b, ">\n      <error");
        cli_buf t;
        cli_buf_init(&t);
        cli_buf_puts(&t, e->message ? e->message : "");
        if (more)
            cli_buf_printf(&t, " (and %zu more)", more);
        if (t.oom)
            b->oom = true;
        xml_attr(b, "message", t.data ? t.data : "");
        cli_buf_free(&t);
        cli_buf_puts(b, " type=\"evaluation\">");
        for (size_t j = i; j < res->nerrors; j++) {
            const kvet_error *x = &res->errors[j];
            if (!same_file(x->file, e->file))
                continue;
            cli_buf l;
            cli_buf_init(&l);
            if (x->file && x->line)
                cli_buf_printf(&l, "%s:%u:%u: ", x->file, x->line, x->col);
            else if (x->file)
                cli_buf_printf(&l, "%s: ", x->file);
            cli_buf_printf(&l, "error: %s\n", x->message ? x->message : "");
            if (l.oom)
                b->oom = true;
            xml_put(b, l.data, false);
            cli_buf_free(&l);
        }
        cli_buf_puts(b, "</error>\n    </testcase>\n");
    }
    cli_buf_puts(b, "  </testsuite>\n");
}

int report_junit(cli_buf *out, const kvet_result *res, const report_opts *o)
{
    cli_rules rules;
    if (cli_rules_collect(&rules, res, o->pack) < 0) {
        out->oom = true;
        return -1;
    }
    counts total = {0, 0, 0, 0};
    for (size_t i = 0; i < rules.n; i++) {
        if (!rules.v[i].enabled)
            continue;
        counts c;
        rule_counts(&rules.v[i], res, o, &c);
        total.tests += c.tests;
        total.failures += c.failures;
        total.skipped += c.skipped;
    }
    size_t nfiles = error_files(res);
    total.tests += nfiles;
    total.errors += nfiles;

    cli_buf_puts(out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    cli_buf_printf(out, "<testsuites name=\"kvet\" tests=\"%zu\" failures=\"%zu\" errors=\"%zu\" skipped=\"%zu\">\n",
                   total.tests, total.failures, total.errors, total.skipped);
    for (size_t i = 0; i < rules.n; i++) {
        const kvet_rule_info *ri = &rules.v[i];
        if (!ri->enabled)
            continue;
        counts c;
        rule_counts(ri, res, o, &c);
        cli_buf_puts(out, "  <testsuite");
        xml_attr(out, "name", ri->id);
        cli_buf_printf(out, " tests=\"%zu\" failures=\"%zu\" errors=\"0\" skipped=\"%zu\"", c.tests, c.failures,
                       c.skipped);
        if (!c.tests) {
            cli_buf_puts(out, "/>\n");
            continue;
        }
        cli_buf_puts(out, ">\n");
        for (size_t k = 0; k < res->nresources; k++)
            if (rule_selects(ri, &res->resources[k]))
                put_testcase(out, ri, &res->resources[k], o);
        cli_buf_puts(out, "  </testsuite>\n");
    }
    if (res->nerrors)
        put_errors(out, res);
    cli_buf_puts(out, "</testsuites>\n");
    cli_rules_free(&rules);
    return out->oom ? -1 : 0;
}
