/*
 * harness.h - helpers shared by the unit tests: temporary files, compiling
 * rule text, checking YAML text, and rendering the outcome as compact text
 * that assertions can compare exactly.
 */
#ifndef KVET_TEST_HARNESS_H
#define KVET_TEST_HARNESS_H

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kvet/kvet.h"

/* A private temporary folder per test process. */
static char th_dir[256];

static void th_setup(void)
{
    snprintf(th_dir, sizeof th_dir, "/tmp/kvet-test-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(th_dir));
}

static void th_teardown(void)
{
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", th_dir);
    ck_assert_int_eq(system(cmd), 0);
}

/* Write text to th_dir/name; returns the path (static buffer rotation). */
static const char *th_write(const char *name, const char *text)
{
    static char paths[8][512];
    static int next;
    char *p = paths[next++ % 8];
    snprintf(p, 512, "%s/%s", th_dir, name);
    FILE *f = fopen(p, "wb");
    ck_assert_ptr_nonnull(f);
    fwrite(text, 1, strlen(text), f);
    fclose(f);
    return p;
}

/* All diagnostics as "LINE:COL: severity: message\n" (file names dropped). */
static char *th_diags(kvet_ctx *ctx)
{
    size_t cap = 4096, len = 0;
    char *out = malloc(cap);
    out[0] = '\0';
    for (size_t i = 0; i < kvet_diag_count(ctx); i++) {
        const kvet_diag *d = kvet_diag_at(ctx, i);
        char line[2048];
        int n = snprintf(line, sizeof line, "%u:%u: %s: %s%s%s\n", d->line, d->col, kvet_severity_name(d->severity),
                         d->message, d->hint ? " | hint: " : "", d->hint ? d->hint : "");
        if (n < 0)
            continue;
        if (len + (size_t)n + 1 > cap) {
            cap = (len + (size_t)n + 1) * 2;
            out = realloc(out, cap);
        }
        memcpy(out + len, line, (size_t)n + 1);
        len += (size_t)n;
    }
    return out;
}

/* Compile rule text; returns NULL and fills *diags on failure. */
static kvet_pack *th_compile(kvet_ctx *ctx, const char *rules, char **diags)
{
    const char *path = th_write("rules.kvet", rules);
    kvet_pack *p = kvet_pack_load(ctx, &path, 1);
    if (diags)
        *diags = th_diags(ctx);
    return p;
}

static void th_value(char **out, size_t *len, size_t *cap, kvet_value v);

static void th_put(char **out, size_t *len, size_t *cap, const char *s)
{
    size_t n = strlen(s);
    if (*len + n + 1 > *cap) {
        *cap = (*len + n + 1) * 2;
        *out = realloc(*out, *cap);
    }
    memcpy(*out + *len, s, n + 1);
    *len += n;
}

static void th_value(char **out, size_t *len, size_t *cap, kvet_value v)
{
    char buf[64];
    switch ((kvet_type)v.type) {
    case KVET_ABSENT: th_put(out, len, cap, "absent"); break;
    case KVET_NULL: th_put(out, len, cap, "null"); break;
    case KVET_BOOL: th_put(out, len, cap, v.u.b ? "true" : "false"); break;
    case KVET_INT: snprintf(buf, sizeof buf, "%lld", (long long)v.u.i); th_put(out, len, cap, buf); break;
    case KVET_FLOAT: snprintf(buf, sizeof buf, "%g", v.u.f); th_put(out, len, cap, buf); break;
    case KVET_STRING:
        th_put(out, len, cap, "\"");
        th_put(out, len, cap, v.u.s->data);
        th_put(out, len, cap, "\"");
        break;
    case KVET_LIST:
        th_put(out, len, cap, "[");
        for (uint32_t i = 0; i < v.u.l->n; i++) {
            if (i)
                th_put(out, len, cap, ",");
            th_value(out, len, cap, v.u.l->items[i]);
        }
        th_put(out, len, cap, "]");
        break;
    case KVET_MAP:
        th_put(out, len, cap, "{");
        for (uint32_t i = 0; i < v.u.m->n; i++) {
            if (i)
                th_put(out, len, cap, ",");
            th_put(out, len, cap, v.u.m->e[i].key->data);
            th_put(out, len, cap, ":");
            th_value(out, len, cap, v.u.m->e[i].val);
        }
        th_put(out, len, cap, "}");
        break;
    }
}

/* Check YAML text with rule text.  The outcome, one line per item:
 *   R <kind>/<name> <effective>
 *   F <rule> <severity> <line>:<col> <message>
 *   E <line>:<col> <message>          (evaluation/input errors)
 * or "COMPILE\n" + diagnostics when the rules do not compile. */
/* A context for tests; KVET_REGEX_JIT=0 turns the PCRE2 JIT off (valgrind
 * cannot follow JIT-compiled code). */
static kvet_ctx *th_ctx(void)
{
    kvet_ctx *ctx = kvet_ctx_new();
    const char *jit = getenv("KVET_REGEX_JIT");
    if (jit && !strcmp(jit, "0")) {
        kvet_limits l = *kvet_ctx_limits(ctx);
        l.regex_jit = 0;
        kvet_ctx_set_limits(ctx, &l);
    }
    return ctx;
}

static char *th_check_sets(const char *rules, const char *yaml, const char *const *sets, size_t nsets)
{
    kvet_ctx *ctx = th_ctx();
    for (size_t i = 0; i + 1 < nsets * 2; i += 2)
        kvet_ctx_set_param(ctx, sets[i], sets[i + 1]);
    char *diags = NULL;
    kvet_pack *pack = th_compile(ctx, rules, &diags);
    if (!pack) {
        size_t n = strlen(diags) + 16;
        char *out = malloc(n);
        snprintf(out, n, "COMPILE\n%s", diags);
        free(diags);
        kvet_ctx_free(ctx);
        return out;
    }
    free(diags);
    const char *input = th_write("input.yaml", yaml);
    kvet_inputs in = {.paths = &input, .npaths = 1};
    kvet_result *res = kvet_check(ctx, pack, &in);
    ck_assert_ptr_nonnull(res);
    size_t cap = 1024, len = 0;
    char *out = malloc(cap);
    out[0] = '\0';
    char buf[4096];
    for (size_t i = 0; i < res->nresources; i++) {
        const kvet_resource *r = &res->resources[i];
        snprintf(buf, sizeof buf, "R %s/%s ", r->kind, r->name);
        th_put(&out, &len, &cap, buf);
        th_value(&out, &len, &cap, r->effective);
        th_put(&out, &len, &cap, "\n");
        for (size_t k = 0; k < r->nfindings; k++) {
            const kvet_finding *f = &r->findings[k];
            snprintf(buf, sizeof buf, "F %s %s %u:%u %s\n", f->rule, kvet_severity_name(f->severity), f->line, f->col,
                     f->message);
            th_put(&out, &len, &cap, buf);
        }
    }
    for (size_t i = 0; i < res->nerrors; i++) {
        snprintf(buf, sizeof buf, "E %u:%u %s\n", res->errors[i].line, res->errors[i].col, res->errors[i].message);
        th_put(&out, &len, &cap, buf);
    }
    kvet_result_free(res);
    kvet_pack_free(pack);
    kvet_ctx_free(ctx);
    return out;
}

static char *th_check(const char *rules, const char *yaml)
{
    return th_check_sets(rules, yaml, NULL, 0);
}

/* Assert that haystack contains needle, showing both when it does not. */
#define th_assert_contains(hay, needle)                                                     \
    ck_assert_msg(strstr((hay), (needle)) != NULL, "expected to find:\n%s\nin:\n%s", (needle), (hay))

#endif
