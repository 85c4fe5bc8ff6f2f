/*
 * regex.c - PCRE2 regular expressions for match() and capture().
 *
 * Patterns are compiled once per run and cached by their text (JIT-compiled
 * when the platform supports it).  Every match runs under the match and
 * depth limits from kvet_limits, so a catastrophic pattern fails with an
 * error instead of hanging the run.
 */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <stdlib.h>
#include <string.h>

#include "builtin.h"
#include "value.h"

int kv_builtin_fail(kv_call *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int kv_bi_match(kv_call *c, const kvet_value *args, int n, kvet_value *out);
int kv_bi_capture(kv_call *c, const kvet_value *args, int n, kvet_value *out);

#define CACHE_SIZE 256

typedef struct entry {
    char *pattern;
    size_t len;
    pcre2_code *code;
    uint64_t used;           /* for least-recently-used eviction */
} entry;

struct kv_regex_cache {
    entry e[CACHE_SIZE];
    size_t n;
    uint64_t clock;
    pcre2_match_context *mctx;
    pcre2_match_data *md;
    uint32_t match_limit, depth_limit;
};

kv_regex_cache *kv_regex_cache_new(void)
{
    kv_regex_cache *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    c->mctx = pcre2_match_context_create(NULL);
    c->md = pcre2_match_data_create(32, NULL);
    if (!c->mctx || !c->md) {
        kv_regex_cache_free(c);
        return NULL;
    }
    return c;
}

void kv_regex_cache_free(kv_regex_cache *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < c->n; i++) {
        free(c->e[i].pattern);
        pcre2_code_free(c->e[i].code);
    }
    pcre2_match_context_free(c->mctx);
    pcre2_match_data_free(c->md);
    free(c);
}

static pcre2_code *compile(kv_call *call, const char *fn, const kvet_string *pat)
{
    kv_regex_cache *c = call->regex;
    for (size_t i = 0; i < c->n; i++)
        if (c->e[i].len == pat->len && !memcmp(c->e[i].pattern, pat->data, pat->len)) {
            c->e[i].used = ++c->clock;
            return c->e[i].code;
        }
    int err;
    PCRE2_SIZE off;
    pcre2_code *code = pcre2_compile((PCRE2_SPTR)pat->data, pat->len, PCRE2_UTF | PCRE2_MATCH_INVALID_UTF, &err, &off,
                                     NULL);
    if (!code) {
        PCRE2_UCHAR msg[256];
        pcre2_get_error_message(err, msg, sizeof msg);
        kv_builtin_fail(call, "%s(): invalid regular expression at offset %zu: %s", fn, (size_t)off, (char *)msg);
        return NULL;
    }
    /* JIT when available and wanted; the interpreter is the fallback */
    if (call->limits->regex_jit)
        (void)pcre2_jit_compile(code, PCRE2_JIT_COMPLETE);
    size_t slot = c->n;
    if (c->n == CACHE_SIZE) {
        slot = 0;
        for (size_t i = 1; i < c->n; i++)
            if (c->e[i].used < c->e[slot].used)
                slot = i;
        free(c->e[slot].pattern);
        pcre2_code_free(c->e[slot].code);
    } else {
        c->n++;
    }
    c->e[slot].pattern = malloc(pat->len + 1);
    if (!c->e[slot].pattern) {
        pcre2_code_free(code);
        c->n--;
        kv_builtin_fail(call, "out of memory");
        return NULL;
    }
    memcpy(c->e[slot].pattern, pat->data, pat->len);
    c->e[slot].len = pat->len;
    c->e[slot].code = code;
    c->e[slot].used = ++c->clock;
    return code;
}

/* Run a match; returns the pcre2_match result (>= 0 matched, NOMATCH) or
 * -1000 after reporting an error. */
static int run(kv_call *call, const char *fn, pcre2_code *code, const kvet_string *s, pcre2_match_data *md)
{
    kv_regex_cache *c = call->regex;
    pcre2_set_match_limit(c->mctx, call->limits->regex_match_limit);
    pcre2_set_depth_limit(c->mctx, call->limits->regex_depth_limit);
    int rc = pcre2_match(code, (PCRE2_SPTR)s->data, s->len, 0, 0, md, c->mctx);
    if (rc >= 0 || rc == PCRE2_ERROR_NOMATCH)
        return rc;
    if (rc == PCRE2_ERROR_MATCHLIMIT) {
        kv_builtin_fail(call, "%s(): regular expression exceeded the match limit (%u)", fn,
                        call->limits->regex_match_limit);
    } else if (rc == PCRE2_ERROR_DEPTHLIMIT) {
        kv_builtin_fail(call, "%s(): regular expression exceeded the depth limit (%u)", fn,
                        call->limits->regex_depth_limit);
    } else {
        PCRE2_UCHAR msg[256];
        pcre2_get_error_message(rc, msg, sizeof msg);
        kv_builtin_fail(call, "%s(): %s", fn, (char *)msg);
    }
    return -1000;
}

static int args_ok(kv_call *call, const char *fn, const kvet_value *args)
{
    for (int i = 0; i < 2; i++)
        if (args[i].type != KVET_STRING)
            return kv_builtin_fail(call, "%s(): argument %d must be a string, got %s", fn, i + 1,
                                   kv_type_name((kvet_type)args[i].type));
    return 0;
}

int kv_bi_match(kv_call *call, const kvet_value *args, int n, kvet_value *out)
{
    (void)n;
    if (args[0].type == KVET_ABSENT || args[1].type == KVET_ABSENT) {
        *out = kv_absent();
        return 0;
    }
    if (args_ok(call, "match", args) < 0)
        return -1;
    pcre2_code *code = compile(call, "match", args[1].u.s);
    if (!code)
        return -1;
    int rc = run(call, "match", code, args[0].u.s, call->regex->md);
    if (rc == -1000)
        return -1;
    *out = kv_at(kv_bool(rc >= 0), args[0]);
    return 0;
}

int kv_bi_capture(kv_call *call, const kvet_value *args, int n, kvet_value *out)
{
    (void)n;
    if (args[0].type == KVET_ABSENT || args[1].type == KVET_ABSENT) {
        *out = kv_absent();
        return 0;
    }
    if (args_ok(call, "capture", args) < 0)
        return -1;
    pcre2_code *code = compile(call, "capture", args[1].u.s);
    if (!code)
        return -1;
    pcre2_match_data *md = pcre2_match_data_create_from_pattern(code, NULL);
    if (!md)
        return kv_builtin_fail(call, "out of memory");
    int rc = run(call, "capture", code, args[0].u.s, md);
    if (rc == -1000) {
        pcre2_match_data_free(md);
        return -1;
    }
    if (rc == PCRE2_ERROR_NOMATCH) {
        pcre2_match_data_free(md);
        *out = kv_at(kv_absent(), args[0]);
        return 0;
    }
    uint32_t groups = 0;
    pcre2_pattern_info(code, PCRE2_INFO_CAPTURECOUNT, &groups);
    PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md);
    kvet_list *l = kv_list_new(call->arena, groups + 1);
    if (!l) {
        pcre2_match_data_free(md);
        return kv_builtin_fail(call, "out of memory");
    }
    for (uint32_t g = 0; g <= groups; g++) {
        if ((int)g < rc && ov[2 * g] != PCRE2_UNSET)
            l->items[g] = kv_at(kv_string_value(call->arena, args[0].u.s->data + ov[2 * g], ov[2 * g + 1] - ov[2 * g]),
                                args[0]);
        else
            l->items[g] = kv_absent();
    }
    pcre2_match_data_free(md);
    *out = kv_at(kv_list_value(l), args[0]);
    return 0;
}
