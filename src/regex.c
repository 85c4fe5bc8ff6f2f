/*
 * regex.c - PCRE2 regular expressions for match() and capture().
 *
 * Patterns are UTF-8 (PCRE2_UTF) and subjects may hold invalid UTF-8
 * (PCRE2_MATCH_INVALID_UTF: such bytes never match, nothing fails).  `$`
 * matches only at the very end of the subject (PCRE2_DOLLAR_ENDONLY), as in
 * Go's RE2, which Kubernetes, Knative and KServe validate with: PCRE2's
 * default would also match before a final newline, so a pattern copied from
 * upstream would accept "abc\n" where upstream rejects it.  With (?m), `$`
 * matches at every line end in both.  A run
 * compiles each pattern once: kv_regex_cache keeps up to KV_REGEX_CACHE
 * compiled patterns by their text, dropping the least recently used one
 * when full.  Patterns are JIT-compiled when kvet_limits.regex_jit asks for
 * it and the platform supports it; otherwise, or when the JIT runs out of
 * stack, the interpreter runs them.  Every match runs under the match and
 * depth limits of kvet_limits, so catastrophic backtracking ends in an
 * error instead of a hung run.
 */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <stdlib.h>
#include <string.h>

#include "builtin_impl.h"

#define KV_REGEX_CACHE 256   /* compiled patterns kept */
#define KV_REGEX_BUCKETS 512 /* hash chains; a power of two */

typedef struct re_entry {
    char *pattern;         /* malloc'd copy of the pattern text */
    size_t len;
    uint64_t hash;
    pcre2_code *code;
    uint32_t ncap;         /* capturing groups */
    uint64_t used;         /* clock of the last use, for eviction */
    int next;              /* next entry in the bucket, or -1 */
} re_entry;

struct kv_regex_cache {
    re_entry e[KV_REGEX_CACHE];
    int n;
    int bucket[KV_REGEX_BUCKETS];
    uint64_t clock;
    pcre2_match_context *mctx;
    pcre2_match_data *md;  /* shared by every match; grown as needed */
    uint32_t md_pairs;
};

kv_regex_cache *kv_regex_cache_new(void)
{
    kv_regex_cache *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    for (int i = 0; i < KV_REGEX_BUCKETS; i++)
        c->bucket[i] = -1;
    c->mctx = pcre2_match_context_create(NULL);
    c->md_pairs = 16;
    c->md = pcre2_match_data_create(c->md_pairs, NULL);
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
    for (int i = 0; i < c->n; i++) {
        free(c->e[i].pattern);
        pcre2_code_free(c->e[i].code);
    }
    pcre2_match_context_free(c->mctx);
    pcre2_match_data_free(c->md);
    free(c);
}

static uint64_t hash_text(const char *s, size_t n)
{
    uint64_t h = 0xcbf29ce484222325ull;
    for (size_t i = 0; i < n; i++) {
        h ^= (unsigned char)s[i];
        h *= 0x100000001b3ull;
    }
    return h;
}

/* Compile a pattern, reporting a bad one as an error of fn. */
static pcre2_code *compile(kv_call *call, const char *fn, const kvet_string *pat, const kvet_limits *lim)
{
    int err;
    PCRE2_SIZE off;
    pcre2_code *code =
        pcre2_compile((PCRE2_SPTR)pat->data, pat->len, PCRE2_UTF | PCRE2_MATCH_INVALID_UTF | PCRE2_DOLLAR_ENDONLY,
                      &err, &off, NULL);
    if (!code) {
        PCRE2_UCHAR msg[256];
        if (pcre2_get_error_message(err, msg, sizeof msg) < 0)
            strcpy((char *)msg, "unknown error");
        kv_bi_fail(call, "%s(): invalid regular expression at offset %zu: %s", fn, (size_t)off, (char *)msg);
        return NULL;
    }
    /* a JIT failure (no JIT support, out of memory) leaves the
     * interpreter in charge, with the same results */
    if (lim->regex_jit)
        (void)pcre2_jit_compile(code, PCRE2_JIT_COMPLETE);
    return code;
}

static void unlink_entry(kv_regex_cache *c, int idx)
{
    int *p = &c->bucket[c->e[idx].hash & (KV_REGEX_BUCKETS - 1)];
    while (*p != idx)
        p = &c->e[*p].next;
    *p = c->e[idx].next;
}

/* The cached compiled pattern, compiling it on first use; NULL after an
 * error has been reported. */
static re_entry *lookup(kv_call *call, const char *fn, const kvet_string *pat, const kvet_limits *lim)
{
    kv_regex_cache *c = call->regex;
    uint64_t h = hash_text(pat->data, pat->len);
    int *head = &c->bucket[h & (KV_REGEX_BUCKETS - 1)];
    for (int i = *head; i >= 0; i = c->e[i].next) {
        re_entry *e = &c->e[i];
        if (e->hash == h && e->len == pat->len && !memcmp(e->pattern, pat->data, pat->len)) {
            e->used = ++c->clock;
            return e;
        }
    }
    pcre2_code *code = compile(call, fn, pat, lim);
    if (!code)
        return NULL;
    char *copy = malloc(pat->len + 1);
    if (!copy) {
        pcre2_code_free(code);
        kv_bi_fail(call, "%s(): out of memory", fn);
        return NULL;
    }
    memcpy(copy, pat->data, pat->len);
    int slot;
    if (c->n < KV_REGEX_CACHE) {
        slot = c->n++;
    } else {
        /* full: replace the least recently used pattern */
        slot = 0;
        for (int i = 1; i < c->n; i++)
            if (c->e[i].used < c->e[slot].used)
                slot = i;
        unlink_entry(c, slot);
        free(c->e[slot].pattern);
        pcre2_code_free(c->e[slot].code);
    }
    re_entry *e = &c->e[slot];
    e->pattern = copy;
    e->len = pat->len;
    e->hash = h;
    e->code = code;
    e->ncap = 0;
    pcre2_pattern_info(code, PCRE2_INFO_CAPTURECOUNT, &e->ncap);
    e->used = ++c->clock;
    e->next = *head;
    *head = slot;
    return e;
}

/* Run a match; returns the pcre2_match result (>= 0 on a match, or
 * PCRE2_ERROR_NOMATCH), or -1000 after reporting an error. */
static int run(kv_call *call, const char *fn, pcre2_code *code, const kvet_string *s, pcre2_match_data *md,
               pcre2_match_context *mctx, const kvet_limits *lim)
{
    pcre2_set_match_limit(mctx, lim->regex_match_limit);
    pcre2_set_depth_limit(mctx, lim->regex_depth_limit);
    uint32_t opts = lim->regex_jit ? 0 : PCRE2_NO_JIT;
    int rc = pcre2_match(code, (PCRE2_SPTR)s->data, s->len, 0, opts, md, mctx);
    if (rc == PCRE2_ERROR_JIT_STACKLIMIT) {
        /* the JIT's stack is small; the interpreter keeps its frames on
         * the heap, bounded by the depth limit */
        rc = pcre2_match(code, (PCRE2_SPTR)s->data, s->len, 0, PCRE2_NO_JIT, md, mctx);
    }
    if (rc >= 0 || rc == PCRE2_ERROR_NOMATCH)
        return rc;
    if (rc == PCRE2_ERROR_MATCHLIMIT)
        kv_bi_fail(call, "%s(): regular expression exceeded the match limit (%u)", fn, lim->regex_match_limit);
    else if (rc == PCRE2_ERROR_DEPTHLIMIT)
        kv_bi_fail(call, "%s(): regular expression exceeded the depth limit (%u)", fn, lim->regex_depth_limit);
    else if (rc == PCRE2_ERROR_HEAPLIMIT)
        kv_bi_fail(call, "%s(): regular expression exceeded the heap limit", fn);
    else if (rc == PCRE2_ERROR_NOMEMORY)
        kv_bi_fail(call, "%s(): out of memory", fn);
    else {
        PCRE2_UCHAR msg[256];
        if (pcre2_get_error_message(rc, msg, sizeof msg) < 0)
            strcpy((char *)msg, "unknown error");
        kv_bi_fail(call, "%s(): regular expression failed: %s", fn, (char *)msg);
    }
    return -1000;
}

/* Shared body of match() and capture(): *out is the bool or the list. */
static int regex_call(kv_call *call, const char *fn, const kvet_value *args, bool want_groups, kvet_value *out)
{
    for (int i = 0; i < 2; i++)
        if (args[i].type == KVET_ABSENT) {
            *out = args[i];
            return 0;
        }
    if (kv_bi_want(call, fn, args, 0, KVET_STRING) || kv_bi_want(call, fn, args, 1, KVET_STRING))
        return -1;
    kvet_limits scratch;
    const kvet_limits *lim = kv_bi_limits(call, &scratch);
    const kvet_string *subject = args[0].u.s;

    /* with a cache: its compiled code and match data; without one (a
     * caller that evaluates a single expression): our own, freed below */
    pcre2_code *code;
    pcre2_match_data *md;
    pcre2_match_context *mctx;
    uint32_t ncap = 0;
    kv_regex_cache *c = call->regex;
    if (c) {
        re_entry *e = lookup(call, fn, args[1].u.s, lim);
        if (!e)
            return -1;
        code = e->code;
        ncap = e->ncap;
        if (want_groups && ncap + 1 > c->md_pairs) {
            pcre2_match_data *bigger = pcre2_match_data_create(ncap + 1, NULL);
            if (!bigger)
                return kv_bi_fail(call, "%s(): out of memory", fn);
            pcre2_match_data_free(c->md);
            c->md = bigger;
            c->md_pairs = ncap + 1;
        }
        md = c->md;
        mctx = c->mctx;
    } else {
        code = compile(call, fn, args[1].u.s, lim);
        if (!code)
            return -1;
        pcre2_pattern_info(code, PCRE2_INFO_CAPTURECOUNT, &ncap);
        md = pcre2_match_data_create_from_pattern(code, NULL);
        mctx = pcre2_match_context_create(NULL);
        if (!md || !mctx) {
            pcre2_match_data_free(md);
            pcre2_match_context_free(mctx);
            pcre2_code_free(code);
            return kv_bi_fail(call, "%s(): out of memory", fn);
        }
    }

    int rc = run(call, fn, code, subject, md, mctx, lim);
    int result = 0;
    if (rc == -1000) {
        result = -1;
    } else if (!want_groups) {
        *out = kv_at(kv_bool(rc >= 0), args[0]);
    } else if (rc == PCRE2_ERROR_NOMATCH) {
        *out = kv_at(kv_absent(), args[0]);
    } else {
        PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md);
        kvet_list *l = kv_list_new(call->arena, ncap + 1);
        if (!l) {
            result = kv_bi_fail(call, "%s(): out of memory", fn);
        } else {
            /* rc is the highest set group + 1; groups past it are unset */
            for (uint32_t g = 0; g <= ncap && result == 0; g++) {
                if ((int)g < rc && ov[2 * g] != PCRE2_UNSET) {
                    PCRE2_SIZE from = ov[2 * g], to = ov[2 * g + 1] < from ? from : ov[2 * g + 1];
                    l->items[g] = kv_at(kv_string_value(call->arena, subject->data + from, to - from), args[0]);
                    if (l->items[g].type == KVET_ABSENT)
                        result = kv_bi_fail(call, "%s(): out of memory", fn);
                } else {
                    l->items[g] = kv_at(kv_absent(), args[0]);
                }
            }
            if (result == 0)
                *out = kv_at(kv_list_value(l), args[0]);
        }
    }
    if (!c) {
        pcre2_match_data_free(md);
        pcre2_match_context_free(mctx);
        pcre2_code_free(code);
    }
    return result;
}

/* Go's strconv.IsPrint: letters, marks, numbers, punctuation, symbols and
 * the ASCII space.  Beyond ASCII the categories come from PCRE2's Unicode
 * tables (which may be a Unicode version apart from Go's). */
int kv_regex_is_print(kv_call *call, uint32_t r)
{
    if (r < 0x80)
        return r >= 0x20 && r < 0x7f;
    static const char pattern[] = "^[\\p{L}\\p{M}\\p{N}\\p{P}\\p{S}]$";
    char text[8];
    size_t n = 0;
    if (r < 0x800) {
        text[n++] = (char)(0xC0 | (r >> 6));
    } else if (r < 0x10000) {
        text[n++] = (char)(0xE0 | (r >> 12));
        text[n++] = (char)(0x80 | ((r >> 6) & 0x3F));
    } else {
        text[n++] = (char)(0xF0 | (r >> 18));
        text[n++] = (char)(0x80 | ((r >> 12) & 0x3F));
        text[n++] = (char)(0x80 | ((r >> 6) & 0x3F));
    }
    text[n++] = (char)(0x80 | (r & 0x3F));
    kvet_value args[2] = {kv_string_value(call->arena, text, n),
                          kv_string_value(call->arena, pattern, sizeof pattern - 1)};
    if (args[0].type == KVET_ABSENT || args[1].type == KVET_ABSENT)
        return kv_bi_fail(call, "q(): out of memory");
    kvet_value out;
    if (regex_call(call, "q", args, false, &out) < 0)
        return -1;
    return out.u.b;
}

int kv_bi_match(kv_call *call, const kvet_value *args, int n, kvet_value *out)
{
    (void)n;
    return regex_call(call, "match", args, false, out);
}

int kv_bi_capture(kv_call *call, const kvet_value *args, int n, kvet_value *out)
{
    (void)n;
    return regex_call(call, "capture", args, true, out);
}
