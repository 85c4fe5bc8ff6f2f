/*
 * report_sarif.c - SARIF 2.1.0, the static-analysis exchange format that
 * code-scanning services import.
 *
 * One run with kvet as the driver, every loaded rule as a reporting
 * descriptor, one result per finding.  Results carry a partial fingerprint
 * derived from the rule and the resource's identity (never the line), so
 * an alert survives edits that move the resource around in its file.
 * Evaluation errors become tool execution notifications.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

#define SARIF_SCHEMA "https://json.schemastore.org/sarif-2.1.0.json"
#define KVET_HOME "https://github.com/kvet-dev/kvet"
#define FINGERPRINT_KEY "kvetResource/v1"

static void jstr(kv_buf *b, const char *s)
{
    if (!s)
        s = "";
    kv_buf_json_string(b, s, strlen(s));
}

static const char *level_of(kvet_severity s)
{
    switch (s) {
    case KVET_SEV_ERROR: return "error";
    case KVET_SEV_WARNING: return "warning";
    default: return "note";
    }
}

/* A file name as a URI reference.  Paths stay as given (relative ones stay
 * relative to where kvet ran, which is what code scanning expects when kvet
 * runs at the repository root); a leading "./" is dropped, absolute paths
 * become file: URIs, and every byte outside the unreserved set and "/" is
 * percent-encoded (":" too, so that "a:b.yaml" is not read as a scheme). */
static void put_uri(kv_buf *b, const char *path)
{
    static const char hex[] = "0123456789ABCDEF";
    kv_buf uri;
    kv_buf_init(&uri);
    while (path[0] == '.' && path[1] == '/') {
        path += 2;
        while (*path == '/')
            path++;
    }
    if (path[0] == '/')
        kv_buf_puts(&uri, "file://");
    for (const unsigned char *p = (const unsigned char *)path; *p; p++) {
        unsigned char c = *p;
        if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
            c == '_' || c == '~' || c == '/') {
            kv_buf_put(&uri, (const char *)p, 1);
        } else {
            char e[3] = {'%', hex[c >> 4], hex[c & 15]};
            kv_buf_put(&uri, e, 3);
        }
    }
    if (uri.oom)
        b->oom = true;
    kv_buf_json_string(b, uri.data ? uri.data : "", uri.len);
    kv_buf_free(&uri);
}

static void put_location(kv_buf *b, const char *file, uint32_t line, uint32_t col)
{
    kv_buf_puts(b, "{\"physicalLocation\": {\"artifactLocation\": {\"uri\": ");
    put_uri(b, file);
    kv_buf_puts(b, "}");
    if (line) {
        kv_buf_printf(b, ", \"region\": {\"startLine\": %u", line);
        if (col)
            kv_buf_printf(b, ", \"startColumn\": %u", col);
        kv_buf_puts(b, "}");
    }
    kv_buf_puts(b, "}}");
}

/* 64-bit FNV-1a: small, fixed and the same on every platform, which is all
 * a fingerprint needs. */
static uint64_t fnv1a(uint64_t h, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        h ^= (unsigned char)s[i];
        h *= 0x100000001b3ull;
    }
    return h;
}

/* Fields are separated by NUL bytes so that ("a/b", "c") and ("a", "b/c")
 * differ.  `nth` tells apart repeated findings of one rule on one resource
 * (rules with `each`); the first one hashes as if there were no others. */
void cli_finding_fingerprint(char out[17], const kvet_finding *f, const kvet_resource *r, size_t nth)
{
    const char *parts[5] = {f->rule, r->api_version, r->kind, r->ns, r->name};
    uint64_t h = 0xcbf29ce484222325ull;
    for (int i = 0; i < 5; i++) {
        const char *s = parts[i] ? parts[i] : "";
        h = fnv1a(h, s, strlen(s) + 1);
    }
    /* the same resource checked in two environments: two results */
    if (r->env)
        h = fnv1a(h, r->env, strlen(r->env) + 1);
    if (nth) {
        char num[24];
        int n = snprintf(num, sizeof num, "#%zu", nth);
        h = fnv1a(h, num, (size_t)n);
    }
    snprintf(out, 17, "%016llx", (unsigned long long)h);
}

static void put_rule(kv_buf *b, const kvet_rule_info *ri)
{
    const char *title = ri->title ? ri->title : ri->id;
    kv_buf_puts(b, "            {\n              \"id\": ");
    jstr(b, ri->id);
    kv_buf_puts(b, ",\n              \"name\": ");
    jstr(b, title);
    kv_buf_puts(b, ",\n              \"shortDescription\": {\"text\": ");
    jstr(b, title);
    kv_buf_puts(b, "},\n              \"fullDescription\": {\"text\": ");
    jstr(b, ri->doc ? ri->doc : title);
    kv_buf_puts(b, "},\n              \"help\": {\"text\": ");
    if (ri->remedy) {
        kv_buf t;
        kv_buf_init(&t);
        cli_literal_text(&t, ri->remedy);
        if (t.oom)
            b->oom = true;
        kv_buf_json_string(b, t.data ? t.data : "", t.len);
        kv_buf_free(&t);
    } else {
        jstr(b, ri->doc ? ri->doc : title);
    }
    kv_buf_puts(b, "},\n");
    if (ri->link) {
        kv_buf_puts(b, "              \"helpUri\": ");
        jstr(b, ri->link);
        kv_buf_puts(b, ",\n");
    }
    kv_buf_printf(b, "              \"defaultConfiguration\": {\"enabled\": %s, \"level\": \"%s\"}",
                   ri->enabled ? "true" : "false", level_of(ri->severity));
    if (ri->pack || ri->applies_to) {
        kv_buf_puts(b, ",\n              \"properties\": {");
        if (ri->pack) {
            kv_buf_puts(b, "\"pack\": ");
            jstr(b, ri->pack);
        }
        if (ri->applies_to) {
            kv_buf_puts(b, ri->pack ? ", \"appliesTo\": " : "\"appliesTo\": ");
            jstr(b, ri->applies_to);
        }
        kv_buf_puts(b, "}");
    }
    kv_buf_puts(b, "\n            }");
}

static void put_result(kv_buf *b, const cli_rules *rules, const kvet_finding *f, const kvet_resource *r, size_t nth,
                       const char *baseline)
{
    kv_buf_puts(b, "        {\n          \"ruleId\": ");
    jstr(b, f->rule);
    long idx = cli_rules_find(rules, f->rule);
    if (idx >= 0)
        kv_buf_printf(b, ",\n          \"ruleIndex\": %ld", idx);
    kv_buf_printf(b, ",\n          \"level\": \"%s\",\n          \"message\": {\"text\": ", level_of(f->severity));
    jstr(b, f->message);
    kv_buf_puts(b, "},\n          \"locations\": [");
    put_location(b, cli_finding_file(f, r), f->line, f->col);
    char fp[17];
    cli_finding_fingerprint(fp, f, r, nth);
    kv_buf_printf(b, "],\n          \"partialFingerprints\": {\"" FINGERPRINT_KEY "\": \"%s\"},\n", fp);
    kv_buf_puts(b, "          \"properties\": {\"resource\": {\"apiVersion\": ");
    jstr(b, r->api_version);
    kv_buf_puts(b, ", \"kind\": ");
    jstr(b, r->kind);
    kv_buf_puts(b, ", \"namespace\": ");
    jstr(b, r->ns);
    kv_buf_puts(b, ", \"name\": ");
    jstr(b, r->name);
    kv_buf_puts(b, "}");
    if (r->env) {
        kv_buf_puts(b, ", \"environment\": ");
        jstr(b, r->env);
    }
    if (f->baselined)
        kv_buf_puts(b, ", \"baselined\": true");
    kv_buf_puts(b, "}");
    /* compared with a baseline, every result says whether it is in it; a
     * baselined one is also suppressed, so code scanning does not list it
     * among the open alerts */
    if (baseline)
        kv_buf_printf(b, ",\n          \"baselineState\": \"%s\"", f->baselined ? "unchanged" : "new");
    if (f->baselined) {
        kv_buf_puts(b, ",\n          \"suppressions\": [{\"kind\": \"external\", \"status\": \"accepted\", "
                        "\"justification\": ");
        kv_buf t;
        kv_buf_init(&t);
        kv_buf_printf(&t, "in the baseline %s", baseline ? baseline : "");
        jstr(b, t.data ? t.data : "");
        if (t.oom)
            b->oom = true;
        kv_buf_free(&t);
        kv_buf_puts(b, "}]");
    }
    /* a waiver is a suppression in SARIF terms: code scanning shows it as
     * dismissed, with the justification */
    if (f->waiver) {
        kv_buf_printf(b, ",\n          \"suppressions\": [{\"kind\": \"%s\", \"status\": \"accepted\", \"justification\": ",
                       f->waiver->from_file ? "external" : "inSource");
        kv_buf t;
        kv_buf_init(&t);
        kv_buf_printf(&t, "%s (owner: %s, expires: %s)", f->waiver->reason, f->waiver->owner[0] ? f->waiver->owner : "-",
                       f->waiver->expires[0] ? f->waiver->expires : "-");
        jstr(b, t.data ? t.data : "");
        if (t.oom)
            b->oom = true;
        kv_buf_free(&t);
        kv_buf_puts(b, "}]");
    }
    kv_buf_puts(b, "\n        }");
}

/* The run's baseline: its file, its size and the entries that matched no
 * finding (stale: they have no result to carry them). */
static void put_baseline_properties(kv_buf *b, const kvet_result *res)
{
    kv_buf_puts(b, ",\n      \"properties\": {\"baseline\": {\"file\": ");
    jstr(b, res->baseline_file);
    kv_buf_printf(b, ", \"entries\": %zu, \"stale\": [", res->nbaseline);
    bool first = true;
    for (size_t i = 0; i < res->nbaseline; i++) {
        const kvet_baseline_entry *e = &res->baseline[i];
        if (e->matched)
            continue;
        kv_buf_puts(b, first ? "\n        {\"rule\": " : ",\n        {\"rule\": ");
        first = false;
        jstr(b, e->rule);
        kv_buf_puts(b, ", \"apiVersion\": ");
        jstr(b, e->api_version);
        kv_buf_puts(b, ", \"kind\": ");
        jstr(b, e->kind);
        kv_buf_puts(b, ", \"namespace\": ");
        jstr(b, e->ns);
        kv_buf_puts(b, ", \"name\": ");
        jstr(b, e->name);
        kv_buf_printf(b, ", \"line\": %u}", e->line);
    }
    kv_buf_puts(b, first ? "]}}" : "\n      ]}}");
}

/* Everything before the results: the driver and its rules, and the
 * evaluation errors as notifications. */
static void sarif_head(kv_buf *out, const kvet_result *res, const cli_rules *rules)
{
    kv_buf_puts(out, "{\n  \"$schema\": \"" SARIF_SCHEMA "\",\n  \"version\": \"2.1.0\",\n  \"runs\": [\n    {\n");
    kv_buf_puts(out, "      \"tool\": {\n        \"driver\": {\n          \"name\": \"kvet\",\n          \"version\": ");
    jstr(out, kvet_version());
    kv_buf_puts(out, ",\n          \"semanticVersion\": ");
    jstr(out, kvet_version());
    kv_buf_puts(out, ",\n          \"informationUri\": \"" KVET_HOME "\",\n          \"rules\": [");
    for (size_t i = 0; i < rules->n; i++) {
        kv_buf_puts(out, i ? ",\n" : "\n");
        put_rule(out, &rules->v[i]);
    }
    kv_buf_puts(out, rules->n ? "\n          ]\n        }\n      },\n" : "]\n        }\n      },\n");

    kv_buf_printf(out, "      \"invocations\": [\n        {\"executionSuccessful\": %s, \"toolExecutionNotifications\": [",
                   res->nerrors ? "false" : "true");
    for (size_t i = 0; i < res->nerrors; i++) {
        const kvet_error *e = &res->errors[i];
        kv_buf_puts(out, i ? ",\n          {" : "\n          {");
        kv_buf_puts(out, "\"level\": \"error\", \"message\": {\"text\": ");
        jstr(out, e->message);
        kv_buf_puts(out, "}");
        if (e->file) {
            kv_buf_puts(out, ", \"locations\": [");
            put_location(out, e->file, e->line, e->col);
            kv_buf_puts(out, "]");
        }
        kv_buf_puts(out, "}");
    }
    kv_buf_puts(out, res->nerrors ? "\n        ]}\n      ],\n" : "]}\n      ],\n");
    kv_buf_puts(out, "      \"results\": [");
}

/* The results of r's findings; *results: those written so far. */
static void sarif_resource(kv_buf *out, const cli_rules *rules, const kvet_resource *r, const char *baseline,
                           size_t *results)
{
    for (size_t k = 0; k < r->nfindings; k++) {
        const kvet_finding *f = &r->findings[k];
        size_t nth = 0;
        for (size_t j = 0; j < k; j++)
            if (r->findings[j].rule && f->rule && !strcmp(r->findings[j].rule, f->rule))
                nth++;
        kv_buf_puts(out, (*results)++ ? ",\n" : "\n");
        put_result(out, rules, f, r, nth, baseline);
    }
}

static void sarif_tail(kv_buf *out, const kvet_result *res, size_t results)
{
    kv_buf_puts(out, results ? "\n      ]" : "]");
    if (res->baseline_file)
        put_baseline_properties(out, res);
    kv_buf_puts(out, "\n    }\n  ]\n}\n");
}

int report_sarif(kv_buf *out, const kvet_result *res, const report_opts *o)
{
    cli_rules rules;
    if (cli_rules_collect(&rules, res, o->pack) < 0) {
        out->oom = true;
        return -1;
    }
    sarif_head(out, res, &rules);
    size_t results = 0;
    for (size_t i = 0; i < res->nresources; i++)
        sarif_resource(out, &rules, &res->resources[i], res->baseline_file, &results);
    sarif_tail(out, res, results);
    cli_rules_free(&rules);
    return out->oom ? -1 : 0;
}

/* The stream's n counts results, not resources. */
typedef struct sarif_stream {
    report_stream_base b;
    cli_rules rules;           /* grows as findings name rules the pack lacks */
    bool oom;
} sarif_stream;

static void sarif_close(void *st)
{
    sarif_stream *s = st;
    if (s)
        cli_rules_free(&s->rules);
    report_stream_close(s);
}

static void *sarif_open(const report_opts *o, const char *dest)
{
    sarif_stream *s = report_stream_new(sizeof *s, o, dest);
    if (s && cli_rules_of_pack(&s->rules, o->pack) < 0) {
        sarif_close(s);
        return NULL;
    }
    return s;
}

static void sarif_put(void *st, const kvet_result *res, const kvet_resource *r)
{
    sarif_stream *s = st;
    for (size_t k = 0; k < r->nfindings; k++)
        if (cli_rules_note(&s->rules, &r->findings[k], true) < 0)
            s->oom = true;
    /* the library names the baseline file from the start of the run */
    sarif_resource(&s->b.body.buf, &s->rules, r, res->baseline_file, &s->b.n);
}

static int sarif_finish(void *st, kv_buf *out, const kvet_result *res, const report_opts *o)
{
    (void)o;
    sarif_stream *s = st;
    if (s->oom) {
        errno = ENOMEM;
        return -1;
    }
    sarif_head(out, res, &s->rules);
    if (report_spill_copy_all(&s->b.body, out) < 0)
        return -1;
    sarif_tail(out, res, s->b.n);
    return out->oom ? (errno = ENOMEM, -1) : 0;
}

const report_stream_ops report_sarif_stream = {sarif_open, sarif_put, sarif_finish, sarif_close};
