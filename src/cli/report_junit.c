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
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

/* Escape text for XML 1.0 content (attr = false) or a double-quoted
 * attribute value.  Characters XML 1.0 cannot carry at all (C0 controls
 * other than tab, newline and carriage return, U+FFFE, U+FFFF) and bytes
 * that are not UTF-8 become U+FFFD; tab, newline and carriage return are
 * written as references where a parser would otherwise normalise them. */
static void xml_put(kv_buf *b, const char *s, bool attr)
{
    if (!s)
        return;
    size_t n = strlen(s), i = 0;
    while (i < n) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x80) {
            switch (c) {
            case '&': kv_buf_puts(b, "&amp;"); break;
            case '<': kv_buf_puts(b, "&lt;"); break;
            case '>': kv_buf_puts(b, "&gt;"); break;
            case '"': kv_buf_puts(b, attr ? "&quot;" : "\""); break;
            case '\r': kv_buf_puts(b, "&#13;"); break;
            case '\n': kv_buf_puts(b, attr ? "&#10;" : "\n"); break;
            case '\t': kv_buf_puts(b, attr ? "&#9;" : "\t"); break;
            default:
                if (c < 0x20)
                    kv_buf_puts(b, "\xEF\xBF\xBD");
                else
                    kv_buf_put(b, s + i, 1);
            }
            i++;
            continue;
        }
        uint32_t cp;
        size_t len = kv_utf8_decode(s + i, n - i, &cp);
        if (len == 0 || cp == 0xFFFE || cp == 0xFFFF) {
            kv_buf_puts(b, "\xEF\xBF\xBD");
            i += len ? len : 1;
        } else {
            kv_buf_put(b, s + i, len);
            i += len;
        }
    }
}

static void xml_attr(kv_buf *b, const char *name, const char *value)
{
    kv_buf_printf(b, " %s=\"", name);
    xml_put(b, value, true);
    kv_buf_puts(b, "\"");
}

/* One finding as a line of text: "file:line:col: severity: message [rule]"
 * and the remedy and link below it. */
static void finding_text(kv_buf *b, const kvet_finding *f, const kvet_resource *r)
{
    kv_buf t;
    kv_buf_init(&t);
    kv_buf_printf(&t, "%s:%u:%u: %s: %s [%s]\n", cli_finding_file(f, r), f->line, f->col,
                   kvet_severity_name(f->severity), f->message ? f->message : "", f->rule ? f->rule : "");
    if (f->remedy)
        kv_buf_printf(&t, "fix: %s\n", f->remedy);
    if (f->link)
        kv_buf_printf(&t, "see: %s\n", f->link);
    if (t.oom)
        b->oom = true;
    xml_put(b, t.data, false);
    kv_buf_free(&t);
}

typedef struct counts {
    size_t tests, failures, errors, skipped;
} counts;

static bool same_rule(const kvet_finding *f, const char *id)
{
    return f->rule && id && !strcmp(f->rule, id);
}

/* A test case is a resource the rule was evaluated on, as the library's
 * outcomes say (its selectors and `where` decided); a rule the pack does
 * not list (named only by findings) has a case where it raised one. */
static kvet_outcome_status rule_outcome(const report_opts *o, size_t rule, const kvet_rule_info *ri,
                                        const kvet_resource *r)
{
    if (o->pack && rule < kvet_rule_count(o->pack))
        return kvet_outcome_of(o->pack, r, rule, NULL, NULL);
    for (size_t k = 0; k < r->nfindings; k++)
        if (same_rule(&r->findings[k], ri->id))
            return KVET_OUTCOME_FAIL;
    return KVET_OUTCOME_NOT_APPLICABLE;
}

/* What rule's test case on r adds to its suite's counts. */
static void count_case(counts *c, const kvet_rule_info *ri, const kvet_resource *r, const report_opts *o,
                       kvet_outcome_status st)
{
    c->tests++;
    bool failed = false;
    for (size_t k = 0; k < r->nfindings; k++)
        if (same_rule(&r->findings[k], ri->id) && cli_finding_fails(&r->findings[k], o))
            failed = true;
    if (failed)
        c->failures++;
    else if (st == KVET_OUTCOME_ERROR)
        c->skipped++;
}

static void rule_counts(size_t rule, const kvet_rule_info *ri, const kvet_result *res, const report_opts *o,
                        counts *c)
{
    memset(c, 0, sizeof *c);
    for (size_t i = 0; i < res->nresources; i++) {
        const kvet_resource *r = &res->resources[i];
        kvet_outcome_status st = rule_outcome(o, rule, ri, r);
        if (st != KVET_OUTCOME_NOT_APPLICABLE)
            count_case(c, ri, r, o, st);
    }
}

static void put_testcase(kv_buf *b, const kvet_rule_info *ri, const kvet_resource *r, const report_opts *o,
                         kvet_outcome_status st)
{
    kv_buf label;
    kv_buf_init(&label);
    cli_resource_label(&label, r);
    if (label.oom)
        b->oom = true;
    kv_buf_puts(b, "    <testcase");
    xml_attr(b, "name", label.data ? label.data : "");
    xml_attr(b, "classname", ri->id);
    xml_attr(b, "file", r->file);
    kv_buf_printf(b, " line=\"%u\"", r->line);
    kv_buf_free(&label);

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
    if (!nfail && !nother && st != KVET_OUTCOME_ERROR) {
        kv_buf_puts(b, "/>\n");
        return;
    }
    kv_buf_puts(b, ">\n");
    if (nfail) {
        kv_buf_puts(b, "      <failure");
        kv_buf t;
        kv_buf_init(&t);
        kv_buf_puts(&t, first->message ? first->message : "");
        if (nfail > 1)
            kv_buf_printf(&t, " (and %zu more)", nfail - 1);
        if (t.oom)
            b->oom = true;
        xml_attr(b, "message", t.data ? t.data : "");
        kv_buf_free(&t);
        xml_attr(b, "type", kvet_severity_name(first->severity));
        kv_buf_puts(b, ">");
        for (size_t k = 0; k < r->nfindings; k++)
            if (same_rule(&r->findings[k], ri->id) && cli_finding_fails(&r->findings[k], o))
                finding_text(b, &r->findings[k], r);
        kv_buf_puts(b, "</failure>\n");
    } else if (st == KVET_OUTCOME_ERROR) {
        kv_buf_puts(b, "      <skipped message=\"the rule failed on the resource; see the evaluation "
                        "errors\"/>\n");
    }
    if (nother) {
        kv_buf_puts(b, "      <system-out>");
        for (size_t k = 0; k < r->nfindings; k++)
            if (same_rule(&r->findings[k], ri->id) && !cli_finding_fails(&r->findings[k], o))
                finding_text(b, &r->findings[k], r);
        kv_buf_puts(b, "</system-out>\n");
    }
    kv_buf_puts(b, "    </testcase>\n");
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

static void put_errors(kv_buf *b, const kvet_result *res)
{
    size_t nfiles = error_files(res);
    kv_buf_printf(b, "  <testsuite name=\"kvet evaluation errors\" tests=\"%zu\" failures=\"0\" errors=\"%zu\" "
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
        kv_buf_puts(b, "    <testcase");
        xml_attr(b, "name", e->file ? e->file : "(no file)");
        kv_buf_puts(b, " classname=\"kvet\"");
        if (e->file)
            xml_attr(b, "file", e->file);
        kv_buf_puts(b, ">\n      <error");
        kv_buf t;
        kv_buf_init(&t);
        kv_buf_puts(&t, e->message ? e->message : "");
        if (more)
            kv_buf_printf(&t, " (and %zu more)", more);
        if (t.oom)
            b->oom = true;
        xml_attr(b, "message", t.data ? t.data : "");
        kv_buf_free(&t);
        kv_buf_puts(b, " type=\"evaluation\">");
        for (size_t j = i; j < res->nerrors; j++) {
            const kvet_error *x = &res->errors[j];
            if (!same_file(x->file, e->file))
                continue;
            kv_buf l;
            kv_buf_init(&l);
            if (x->file && x->line)
                kv_buf_printf(&l, "%s:%u:%u: ", x->file, x->line, x->col);
            else if (x->file)
                kv_buf_printf(&l, "%s: ", x->file);
            kv_buf_printf(&l, "error: %s\n", x->message ? x->message : "");
            if (l.oom)
                b->oom = true;
            xml_put(b, l.data, false);
            kv_buf_free(&l);
        }
        kv_buf_puts(b, "</error>\n    </testcase>\n");
    }
    kv_buf_puts(b, "  </testsuite>\n");
}

static void junit_head(kv_buf *out, const counts *total)
{
    kv_buf_puts(out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    kv_buf_printf(out, "<testsuites name=\"kvet\" tests=\"%zu\" failures=\"%zu\" errors=\"%zu\" skipped=\"%zu\">\n",
                   total->tests, total->failures, total->errors, total->skipped);
}

/* A rule's suite up to its test cases: false when it has none (and is
 * closed already). */
static bool suite_open(kv_buf *out, const kvet_rule_info *ri, const counts *c)
{
    kv_buf_puts(out, "  <testsuite");
    xml_attr(out, "name", ri->id);
    kv_buf_printf(out, " tests=\"%zu\" failures=\"%zu\" errors=\"0\" skipped=\"%zu\"", c->tests, c->failures,
                   c->skipped);
    if (!c->tests) {
        kv_buf_puts(out, "/>\n");
        return false;
    }
    kv_buf_puts(out, ">\n");
    return true;
}

static void junit_tail(kv_buf *out, const kvet_result *res)
{
    if (res->nerrors)
        put_errors(out, res);
    kv_buf_puts(out, "</testsuites>\n");
}

/* The whole run's counts: its rules' suites and the evaluation errors'. */
static void add_errors(counts *total, const kvet_result *res)
{
    size_t nfiles = error_files(res);
    total->tests += nfiles;
    total->errors += nfiles;
}

int report_junit(kv_buf *out, const kvet_result *res, const report_opts *o)
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
        rule_counts(i, &rules.v[i], res, o, &c);
        total.tests += c.tests;
        total.failures += c.failures;
        total.skipped += c.skipped;
    }
    add_errors(&total, res);
    junit_head(out, &total);
    for (size_t i = 0; i < rules.n; i++) {
        const kvet_rule_info *ri = &rules.v[i];
        if (!ri->enabled)
            continue;
        counts c;
        rule_counts(i, ri, res, o, &c);
        if (!suite_open(out, ri, &c))
            continue;
        for (size_t k = 0; k < res->nresources; k++) {
            kvet_outcome_status st = rule_outcome(o, i, ri, &res->resources[k]);
            if (st != KVET_OUTCOME_NOT_APPLICABLE)
                put_testcase(out, ri, &res->resources[k], o, st);
        }
        kv_buf_puts(out, "  </testsuite>\n");
    }
    junit_tail(out, res);
    cli_rules_free(&rules);
    return out->oom ? -1 : 0;
}

/* ------------------------------------------------ while the run goes on */

/* Suites come one after another, each with its test cases in resource
 * order, so each rule gathers its cases in a small buffer that goes to
 * the spill as a chunk whenever it fills; the report puts each rule's
 * chunks together at the end. */
enum { SUITE_CHUNK = 16 * 1024 };

typedef struct suite_chunk {
    uint64_t at, len;
} suite_chunk;

typedef struct suite_body {
    counts c;
    kv_buf buf;                /* test cases not yet in the spill */
    suite_chunk *chunks;
    size_t nchunks, capchunks;
} suite_body;

typedef struct junit_stream {
    report_stream_base b;
    cli_rules rules;           /* grows as findings name rules the pack lacks */
    suite_body *suites;        /* by rule */
    size_t nsuites;
    bool oom;
} junit_stream;

static void junit_close(void *st)
{
    junit_stream *j = st;
    if (!j)
        return;
    for (size_t i = 0; i < j->nsuites; i++) {
        kv_buf_free(&j->suites[i].buf);
        free(j->suites[i].chunks);
    }
    free(j->suites);
    cli_rules_free(&j->rules);
    report_stream_close(j);
}

static void *junit_open(const report_opts *o, const char *dest)
{
    junit_stream *j = report_stream_new(sizeof *j, o, dest);
    if (j && cli_rules_of_pack(&j->rules, o->pack) < 0) {
        junit_close(j);
        return NULL;
    }
    return j;
}

/* A suite's test cases so far to the spill, as a chunk. */
static void suite_spill(junit_stream *j, suite_body *sb)
{
    if (!sb->buf.len)
        return;
    if (sb->nchunks == sb->capchunks) {
        size_t cap = sb->capchunks ? 2 * sb->capchunks : 8;
        suite_chunk *v = realloc(sb->chunks, cap * sizeof *v);
        if (!v) {
            j->oom = true;
            return;
        }
        sb->chunks = v;
        sb->capchunks = cap;
    }
    sb->chunks[sb->nchunks++] = (suite_chunk){report_spill_size(&j->b.body), sb->buf.len};
    kv_buf_put(&j->b.body.buf, sb->buf.data, sb->buf.len);
    sb->buf.len = 0;
}

static void junit_put(void *st, const kvet_result *res, const kvet_resource *r)
{
    (void)res;
    junit_stream *j = st;
    for (size_t k = 0; k < r->nfindings; k++)
        if (cli_rules_note(&j->rules, &r->findings[k], true) < 0)
            j->oom = true;
    if (j->nsuites < j->rules.n) {
        suite_body *v = realloc(j->suites, j->rules.n * sizeof *v);
        if (!v) {
            j->oom = true;
            return;
        }
        memset(v + j->nsuites, 0, (j->rules.n - j->nsuites) * sizeof *v);
        for (size_t i = j->nsuites; i < j->rules.n; i++)
            kv_buf_init(&v[i].buf);
        j->suites = v;
        j->nsuites = j->rules.n;
    }
    for (size_t i = 0; i < j->nsuites; i++) {
        const kvet_rule_info *ri = &j->rules.v[i];
        if (!ri->enabled)
            continue;
        kvet_outcome_status oc = rule_outcome(&j->b.o, i, ri, r);
        if (oc == KVET_OUTCOME_NOT_APPLICABLE)
            continue;
        suite_body *sb = &j->suites[i];
        count_case(&sb->c, ri, r, &j->b.o, oc);
        put_testcase(&sb->buf, ri, r, &j->b.o, oc);
        if (sb->buf.oom)
            j->oom = true;
        if (sb->buf.len >= SUITE_CHUNK)
            suite_spill(j, sb);
    }
}

static int junit_finish(void *st, kv_buf *out, const kvet_result *res, const report_opts *o)
{
    (void)o;
    junit_stream *j = st;
    if (j->oom) {
        errno = ENOMEM;
        return -1;
    }
    counts total = {0, 0, 0, 0};
    for (size_t i = 0; i < j->nsuites; i++) {
        if (!j->rules.v[i].enabled)
            continue;
        total.tests += j->suites[i].c.tests;
        total.failures += j->suites[i].c.failures;
        total.skipped += j->suites[i].c.skipped;
    }
    add_errors(&total, res);
    junit_head(out, &total);
    for (size_t i = 0; i < j->rules.n; i++) {
        const kvet_rule_info *ri = &j->rules.v[i];
        if (!ri->enabled)
            continue;
        static const counts none = {0, 0, 0, 0};
        suite_body *sb = i < j->nsuites ? &j->suites[i] : NULL;
        if (!suite_open(out, ri, sb ? &sb->c : &none))
            continue;
        for (size_t k = 0; k < sb->nchunks; k++)
            if (report_spill_copy(&j->b.body, sb->chunks[k].at, sb->chunks[k].len, out, true) < 0)
                return -1;
        kv_buf_put(out, sb->buf.data, sb->buf.len);
        kv_buf_puts(out, "  </testsuite>\n");
    }
    junit_tail(out, res);
    return out->oom ? (errno = ENOMEM, -1) : 0;
}

const report_stream_ops report_junit_stream = {junit_open, junit_put, junit_finish, junit_close};
