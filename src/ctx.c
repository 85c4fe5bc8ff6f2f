/* ctx.c - library context, source registry and diagnostics. */
#include "ctx.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "value.h"

kvet_limits kvet_default_limits(void)
{
    kvet_limits l;
    l.max_alias_expansion = 100000;
    l.max_depth = 256;
    l.max_document_bytes = (uint64_t)2 << 30; /* 2 GiB: a guard, not a policy */
    l.max_steps = 10000000;
    l.max_call_depth = 200;
    l.regex_match_limit = 1000000;
    l.regex_depth_limit = 10000;
    l.max_string_bytes = 16u * 1024 * 1024;
    l.regex_jit = 1;
    return l;
}

kvet_ctx *kvet_ctx_new(void)
{
    kvet_ctx *ctx = calloc(1, sizeof *ctx);
    if (!ctx)
        return NULL;
    ctx->limits = kvet_default_limits();
    ctx->lints = true;
    kv_arena_init(&ctx->arena);
    return ctx;
}

void kvet_ctx_set_lints(kvet_ctx *ctx, int on)
{
    ctx->lints = on != 0;
}

static void diag_free(kvet_diag *d)
{
    free(d->file);
    free(d->message);
    free(d->excerpt);
    free(d->hint);
}

void kvet_ctx_free(kvet_ctx *ctx)
{
    if (!ctx)
        return;
    kvet_diag_clear(ctx);
    free(ctx->diags);
    for (size_t i = 0; i < ctx->nsources; i++)
        free(ctx->sources[i]);
    free(ctx->sources);
    for (size_t i = 0; i < ctx->nparams; i++) {
        free(ctx->params[i].name);
        free(ctx->params[i].raw);
    }
    free(ctx->params);
    for (size_t i = 0; i < ctx->npack_paths; i++)
        free(ctx->pack_paths[i]);
    free(ctx->pack_paths);
    kv_arena_free(&ctx->arena);
    free(ctx);
}

void kvet_ctx_set_limits(kvet_ctx *ctx, const kvet_limits *limits) { ctx->limits = *limits; }
const kvet_limits *kvet_ctx_limits(const kvet_ctx *ctx) { return &ctx->limits; }

int kvet_ctx_add_pack_path(kvet_ctx *ctx, const char *dir)
{
    char **p = realloc(ctx->pack_paths, (ctx->npack_paths + 1) * sizeof *p);
    if (!p)
        return -1;
    ctx->pack_paths = p;
    p[ctx->npack_paths] = strdup(dir);
    if (!p[ctx->npack_paths])
        return -1;
    ctx->npack_paths++;
    return 0;
}

uint32_t kv_source_add(kvet_ctx *ctx, const char *name)
{
    if (ctx->nsources == 0) {
        /* reserve id 0 for "unknown" */
        ctx->sources = calloc(16, sizeof *ctx->sources);
        if (!ctx->sources)
            return 0;
        ctx->capsources = 16;
        ctx->nsources = 1;
    }
    if (ctx->nsources >= UINT32_MAX)
        return 0;
    if (ctx->nsources == ctx->capsources) {
        char **s = realloc(ctx->sources, ctx->capsources * 2 * sizeof *s);
        if (!s)
            return 0;
        ctx->sources = s;
        ctx->capsources *= 2;
    }
    char *copy = strdup(name);
    if (!copy)
        return 0;
    ctx->sources[ctx->nsources] = copy;
    return (uint32_t)ctx->nsources++;
}

int kv_source_set(kvet_ctx *ctx, uint32_t id, const char *name)
{
    if (id == 0 || id == UINT32_MAX)
        return -1;
    if (id >= ctx->capsources) {
        size_t cap = ctx->capsources ? ctx->capsources : 16;
        while (cap <= id)
            cap *= 2;
        char **s = realloc(ctx->sources, cap * sizeof *s);
        if (!s)
            return -1;
        memset(s + ctx->capsources, 0, (cap - ctx->capsources) * sizeof *s);
        ctx->sources = s;
        ctx->capsources = cap;
    }
    char *copy = strdup(name);
    if (!copy)
        return -1;
    free(ctx->sources[id]);
    ctx->sources[id] = copy;
    if (ctx->nsources <= id)
        ctx->nsources = id + 1;
    return 0;
}

const char *kv_source_name(const kvet_ctx *ctx, uint32_t id)
{
    if (id == 0 || id >= ctx->nsources)
        return NULL;
    return ctx->sources[id];
}

int kv_other_break(const unsigned char *s, size_t n, bool final)
{
    switch (s[0]) {
    case '\r': /* CRLF is one break, which LF counts */
        if (n < 2)
            return final ? 1 : -1;
        return s[1] == '\n' ? 0 : 1;
    case 0xC2: /* NEL */
        if (n < 2)
            return final ? 0 : -1;
        return s[1] == 0x85 ? 2 : 0;
    case 0xE2: /* LS, PS */
        if (n < 3)
            return final || (n == 2 && s[1] != 0x80) ? 0 : -1;
        return s[1] == 0x80 && (s[2] == 0xA8 || s[2] == 0xA9) ? 3 : 0;
    default: return 0;
    }
}

/* An excerpt keeps the first EXCERPT_KEPT bytes of its line ("..." after
 * them when the line goes on), and is shown
 * at most EXCERPT_SHOWN characters wide: a longer line (minified JSON, a
 * base64 value) around its caret, with "..." where it is cut, so that what
 * a diagnostic prints does not grow with its column. */
enum { EXCERPT_SHOWN = 160, EXCERPT_KEPT = 4096 };

static char *dup_line(const char *s)
{
    if (!s)
        return NULL;
    const char *e = s;
    while (*e && *e != '\n' && !(e[0] == '\r' && (e[1] == '\n' || !e[1])) && e - s < EXCERPT_KEPT)
        e++;
    /* a line cut here says so, as one cut where it is shown does */
    bool cut = *e && *e != '\n' && !(e[0] == '\r' && (e[1] == '\n' || !e[1]));
    char *out = malloc((size_t)(e - s) + 4);
    if (!out)
        return NULL;
    /* tabs, and the line breaks LF does not count, become spaces so the
     * caret lines up */
    size_t n = 0;
    for (const char *p = s; p < e;) {
        int w = kv_other_break((const unsigned char *)p, strnlen(p, 3), true);
        out[n++] = w || *p == '\t' ? ' ' : *p;
        p += w ? w : 1;
    }
    if (cut) {
        memcpy(out + n, "...", 3);
        n += 3;
    }
    out[n] = '\0';
    return out;
}

void kv_vdiag(kvet_ctx *ctx, kvet_severity sev, const char *file,
              uint32_t line, uint32_t col, uint32_t width, const char *excerpt,
              const char *fmt, va_list ap)
{
    if (ctx->ndiags == ctx->capdiags) {
        size_t cap = ctx->capdiags ? ctx->capdiags * 2 : 16;
        kvet_diag *d = realloc(ctx->diags, cap * sizeof *d);
        if (!d)
            return;
        ctx->diags = d;
        ctx->capdiags = cap;
    }
    kvet_diag *d = &ctx->diags[ctx->ndiags];
    memset(d, 0, sizeof *d);
    d->severity = sev;
    d->file = file ? strdup(file) : NULL;
    d->line = line;
    d->col = col;
    d->width = col ? (width ? width : 1) : 0;
    kv_buf b;
    kv_buf_init(&b);
    va_list ap2;
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap2);
    va_end(ap2);
    if (n >= 0) {
        d->message = malloc((size_t)n + 1);
        if (d->message)
            vsnprintf(d->message, (size_t)n + 1, fmt, ap);
    }
    if (!d->message)
        d->message = strdup("out of memory");
    d->excerpt = line ? dup_line(excerpt) : NULL;
    ctx->ndiags++;
    if (sev == KVET_SEV_ERROR)
        ctx->nerrors++;
}

void kv_diag(kvet_ctx *ctx, kvet_severity sev, const char *file,
             uint32_t line, uint32_t col, uint32_t width, const char *excerpt,
             const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    kv_vdiag(ctx, sev, file, line, col, width, excerpt, fmt, ap);
    va_end(ap);
}

void kv_diag_hint(kvet_ctx *ctx, const char *fmt, ...)
{
    if (!ctx->ndiags)
        return;
    kvet_diag *d = &ctx->diags[ctx->ndiags - 1];
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    free(d->hint);
    d->hint = strdup(buf);
}

void kv_diag_truncate(kvet_ctx *ctx, size_t n)
{
    while (ctx->ndiags > n) {
        kvet_diag *d = &ctx->diags[--ctx->ndiags];
        if (d->severity == KVET_SEV_ERROR)
            ctx->nerrors--;
        diag_free(d);
    }
}

bool kv_diag_detach(kvet_ctx *ctx, size_t n, kvet_diag **out, size_t *count)
{
    size_t c = ctx->ndiags > n ? ctx->ndiags - n : 0;
    *out = NULL;
    *count = 0;
    if (!c)
        return true;
    kvet_diag *d = malloc(c * sizeof *d);
    if (!d) {
        kv_diag_truncate(ctx, n);
        return false;
    }
    memcpy(d, &ctx->diags[n], c * sizeof *d);
    for (size_t i = 0; i < c; i++)
        if (d[i].severity == KVET_SEV_ERROR)
            ctx->nerrors--;
    ctx->ndiags = n;
    *out = d;
    *count = c;
    return true;
}

void kv_diag_attach(kvet_ctx *ctx, kvet_diag *d)
{
    if (ctx->ndiags == ctx->capdiags) {
        size_t cap = ctx->capdiags ? ctx->capdiags * 2 : 16;
        kvet_diag *nd = realloc(ctx->diags, cap * sizeof *nd);
        if (!nd) {
            diag_free(d);
            return;
        }
        ctx->diags = nd;
        ctx->capdiags = cap;
    }
    ctx->diags[ctx->ndiags++] = *d;
    if (d->severity == KVET_SEV_ERROR)
        ctx->nerrors++;
}

void kv_diag_release(kvet_diag *d)
{
    diag_free(d);
}

int kvet_ctx_set_param(kvet_ctx *ctx, const char *name, const char *value)
{
    if (!name || !*name) {
        kv_diag(ctx, KVET_SEV_ERROR, NULL, 0, 0, 0, NULL, "--set needs NAME=VALUE");
        return -1;
    }
    for (size_t i = 0; i < ctx->nparams; i++)
        if (!strcmp(ctx->params[i].name, name)) {
            char *r = strdup(value);
            if (!r)
                return -1;
            free(ctx->params[i].raw);
            ctx->params[i].raw = r;
            return 0;
        }
    if (ctx->nparams == ctx->capparams) {
        size_t cap = ctx->capparams ? ctx->capparams * 2 : 8;
        kv_param_override *p = realloc(ctx->params, cap * sizeof *p);
        if (!p)
            return -1;
        ctx->params = p;
        ctx->capparams = cap;
    }
    kv_param_override *p = &ctx->params[ctx->nparams];
    p->name = strdup(name);
    p->raw = strdup(value);
    if (!p->name || !p->raw) {
        free(p->name);
        free(p->raw);
        return -1;
    }
    ctx->nparams++;
    return 0;
}

size_t kvet_diag_count(const kvet_ctx *ctx) { return ctx->ndiags; }
const kvet_diag *kvet_diag_at(const kvet_ctx *ctx, size_t i) { return i < ctx->ndiags ? &ctx->diags[i] : NULL; }
size_t kvet_error_count(const kvet_ctx *ctx) { return ctx->nerrors; }

void kvet_diag_clear(kvet_ctx *ctx)
{
    for (size_t i = 0; i < ctx->ndiags; i++)
        diag_free(&ctx->diags[i]);
    ctx->ndiags = 0;
    ctx->nerrors = 0;
}

const char *kvet_severity_name(kvet_severity s)
{
    switch (s) {
    case KVET_SEV_INFO: return "info";
    case KVET_SEV_WARNING: return "warning";
    case KVET_SEV_ERROR: return "error";
    case KVET_SEV_NOTE: return "note";
    }
    return "?";
}

int kvet_severity_parse(const char *s, kvet_severity *out)
{
    if (!strcmp(s, "info")) *out = KVET_SEV_INFO;
    else if (!strcmp(s, "warning")) *out = KVET_SEV_WARNING;
    else if (!strcmp(s, "error")) *out = KVET_SEV_ERROR;
    else return -1;
    return 0;
}

/* The byte offset of character k of s[0..n) (UTF-8), or n. */
static size_t char_offset(const char *s, size_t n, size_t k)
{
    size_t i = 0;
    for (; i < n; i++)
        if (((unsigned char)s[i] & 0xC0) != 0x80 && k-- == 0)
            break;
    return i;
}

static size_t char_count(const char *s, size_t n)
{
    size_t c = 0;
    for (size_t i = 0; i < n; i++)
        c += ((unsigned char)s[i] & 0xC0) != 0x80;
    return c;
}

char *kvet_diag_render(const kvet_diag *d, int color)
{
    static const char *const sev_color[] = {"\033[1;36m", "\033[1;35m", "\033[1;31m", "\033[1;36m"};
    kv_buf b;
    kv_buf_init(&b);
    if (color)
        kv_buf_puts(&b, "\033[1m");
    if (d->file) {
        kv_buf_puts(&b, d->file);
        if (d->line) {
            kv_buf_printf(&b, ":%u", d->line);
            if (d->col)
                kv_buf_printf(&b, ":%u", d->col);
        }
        kv_buf_puts(&b, ": ");
    } else {
        kv_buf_puts(&b, "kvet: ");
    }
    if (color)
        kv_buf_printf(&b, "\033[0m%s", sev_color[d->severity]);
    kv_buf_printf(&b, "%s:", kvet_severity_name(d->severity));
    if (color)
        kv_buf_puts(&b, "\033[0m\033[1m");
    kv_buf_printf(&b, " %s", d->message);
    if (color)
        kv_buf_puts(&b, "\033[0m");
    kv_buf_putc(&b, '\n');
    size_t len = d->excerpt ? strlen(d->excerpt) : 0, chars = char_count(d->excerpt, len);
    size_t caret = d->col ? d->col - 1 : 0;
    /* a caret past what an excerpt keeps of a line (4,096 bytes) would
     * point at nothing shown: no excerpt then.  One past the excerpt's
     * text otherwise (it stops at a NUL) is drawn there, as always. */
    if (d->excerpt && d->line && caret <= EXCERPT_KEPT) {
        size_t from = 0, to = chars;
        if (chars > EXCERPT_SHOWN) {
            if (caret <= chars)
                from = caret > EXCERPT_SHOWN / 2 ? caret - EXCERPT_SHOWN / 2 : 0;
            if (from > chars - EXCERPT_SHOWN)
                from = chars - EXCERPT_SHOWN;
            to = from + EXCERPT_SHOWN;
        }
        size_t bfrom = char_offset(d->excerpt, len, from), bto = char_offset(d->excerpt, len, to);
        char num[16];
        int w = snprintf(num, sizeof num, "%u", d->line);
        kv_buf_printf(&b, " %s | %s", num, from ? "..." : "");
        kv_buf_put(&b, d->excerpt + bfrom, bto - bfrom);
        kv_buf_puts(&b, to < chars ? "...\n" : "\n");
        if (d->col) {
            kv_buf_printf(&b, " %*s | %*s", w, "", (int)(caret - from + (from ? 3 : 0)), "");
            if (color)
                kv_buf_puts(&b, "\033[1;32m");
            kv_buf_putc(&b, '^');
            /* within what is shown when the line is cut */
            size_t under = to < chars ? to - caret : 200;
            for (uint32_t i = 1; i < d->width && i < 200 && i < under; i++)
                kv_buf_putc(&b, '~');
            if (color)
                kv_buf_puts(&b, "\033[0m");
            kv_buf_putc(&b, '\n');
        }
    }
    if (d->hint)
        kv_buf_printf(&b, " %*s = hint: %s\n", 0, "", d->hint);
    return kv_buf_take(&b);
}

const char *kv_line_start(const char *text, size_t len, uint32_t line)
{
    if (!text || line == 0)
        return NULL;
    const char *p = text, *end = text + len;
    for (uint32_t l = 1; l < line; l++) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        if (!nl)
            return NULL;
        p = nl + 1;
    }
    return p <= end ? p : NULL;
}

size_t kv_edit_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la > 64 || lb > 64)
        return (size_t)-1;
    size_t prev[65], cur[65];
    for (size_t j = 0; j <= lb; j++)
        prev[j] = j;
    for (size_t i = 1; i <= la; i++) {
        cur[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t sub = prev[j - 1] + (a[i - 1] != b[j - 1]);
            size_t del = prev[j] + 1, ins = cur[j - 1] + 1;
            cur[j] = sub < del ? (sub < ins ? sub : ins) : (del < ins ? del : ins);
        }
        memcpy(prev, cur, (lb + 1) * sizeof *prev);
    }
    return prev[lb];
}
