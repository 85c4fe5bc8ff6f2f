/*
 * yaml_load.c - YAML documents into kvet_value trees, via libyaml's events.
 *
 * The tree is built with an explicit stack (no recursion), so nesting depth
 * is bounded by limits.max_depth and a hostile input cannot overflow the C
 * stack.  Aliases share the anchored subtree (values are immutable) but the
 * nodes each alias brings in are counted against limits.max_alias_expansion,
 * which stops "billion laughs" inputs.  Plain scalars are typed the way
 * Kubernetes' YAML reader (go-yaml v2, YAML 1.1) types them.
 *
 * `helm template` output names the template each document comes from in a
 * comment, `# Source: chart/templates/x.yaml`, between the documents.  When
 * asked (KV_LOAD_SOURCES: a stream that is no file of its own, such as
 * stdin), a document after such a comment, and the ones after it up to the
 * next, belongs to that path: its values carry a source registered under it, so
 * findings and diagnostics name the template.  Lines and columns stay those
 * of the rendered stream.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "ctx.h"
#include "doc.h"
#include "value.h"
#include "yaml_lines.h"
#include "yaml_load.h"
#include "yaml_value.h"

typedef struct anchor {
    char *name;
    kvet_value value;
    uint64_t nodes;          /* nodes in the anchored subtree */
} anchor;

typedef struct frame {
    int is_map;
    kvet_value *items;       /* for maps: key, value, key, value ... */
    uint32_t *pos;           /* each item's line and column in the text */
    uint32_t n, cap;
    uint32_t line, col;
    char *anchor;            /* anchor to bind when the node completes */
    uint64_t nodes_at_start;
    int tag_merge_pending;
} frame;

typedef struct named_src {
    uint32_t id;
    const char *name;        /* kv_source_name(id): the context owns it */
    size_t len;
} named_src;

/* A large file read through a window (kv_load_yaml_window): what libyaml
 * has been given from the current document's first line on. */
typedef struct ywin {
    FILE *f;
    char *buf;
    size_t cap, end;         /* buf[0..end) is the file from byte `base` on; buf[end] is NUL */
    size_t base;             /* where a line starts */
    size_t given;            /* bytes handed to libyaml */
    size_t chunk;
    bool ioerr;
    uint64_t limit;          /* bytes the input may have (the file-size limit) */
    bool over;               /* it has more: what follows is not given to libyaml */
    int end_errno;           /* its end is where reading failed, with this error */
    kv_text text;            /* buf as excerpts quote it: line text.line starts at buf[0] */
    yaml_lines *lines;       /* the loader's, scanned as the bytes come in */
} ywin;

typedef struct loader {
    kvet_ctx *ctx;           /* diagnostics go here; NULL: the first error is kept in err* */
    const kvet_limits *lim;
    kv_arena *fixed_arena;   /* values go here instead of an arena per document */
    const kvet_value *embed; /* the string the text comes from (kv_yaml_value), or NULL */
    char *errmsg;
    size_t errsz;
    char gomsg[256];         /* the same error in gopkg.in/yaml.v2's words, when it has them */
    uint32_t errline, errcol;
    const char *name;        /* the stream's, or the latest `# Source:` path */
    uint32_t src;            /* the source id values get */
    bool sources;            /* follow `# Source:` comments (KV_LOAD_SOURCES) */
    size_t scanned;          /* text before this offset has been looked at for `# Source:` */
    named_src *srcs;         /* `# Source:` paths registered by this load */
    uint32_t nsrcs, capsrcs;
    uint32_t *src_slot;      /* their index + 1 by the hash of the path (0: free), */
    uint32_t src_mask;       /* ...in 2 * capsrcs slots: a chart has hundreds of templates */
    const char *data;        /* the text, or NULL when it is read through win */
    size_t len;
    ywin *win;
    const kv_text *text;     /* for excerpts, or NULL */
    size_t lc_off;           /* where line lc_line starts: line_offset's cursor */
    uint32_t lc_line;
    yaml_lines lines;        /* libyaml's lines as LF's */
    size_t ci_char, ci_byte; /* a character index and its byte offset: byte_at's cursor */
    size_t bom;              /* bytes of a byte order mark the text starts with */
    uint32_t line0;          /* lines before the text (a part of a file, kv_yaml_parse_part) */
    uint32_t skip;           /* documents at the start not handed on (kv_yaml_stream.skip) */
    kv_arena *arena;
    frame *stack;
    uint32_t depth, capdepth;
    anchor *anchors;
    uint32_t nanchors, capanchors;
    uint64_t nodes;          /* nodes created in this document */
    uint64_t alias_nodes;    /* nodes brought in by aliases */
    int failed;
} loader;

static void error_at(loader *L, uint32_t line, uint32_t col, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static void win_line_read(ywin *w, uint32_t line);

static void error_at(loader *L, uint32_t line, uint32_t col, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    if (L->win)
        win_line_read(L->win, line);
    if (L->ctx) {
        kv_vdiag(L->ctx, KVET_SEV_ERROR, L->name, line, col, 1, L->text ? kv_text_line(L->text, line) : NULL, fmt,
                 ap);
    } else if (!L->failed) {
        vsnprintf(L->errmsg, L->errsz, fmt, ap);
        L->errline = line;
        L->errcol = col;
    }
    va_end(ap);
    L->failed = 1;
}

/* The text's length so far, and its byte at offset i (i below that; through
 * a window, at or after the current document's first line). */
static size_t text_len(const loader *L)
{
    return L->win ? L->win->base + L->win->end : L->len;
}

static char text_at(const loader *L, size_t i)
{
    return L->win ? L->win->buf[i - L->win->base] : L->data[i];
}

/* Where line `line` (1-based, as libyaml counts them: its marks' index
 * counts characters, not bytes) starts in the text, as a byte offset;
 * SIZE_MAX when it is not held.  Lines are asked for in rising order within
 * a document, so the search goes on from the last one. */
static size_t line_offset(loader *L, uint32_t line)
{
    size_t base = L->win ? L->win->base : 0, len = text_len(L);
    uint32_t first = L->win ? L->win->text.line : 1 + L->line0;
    if (L->lc_line < first || L->lc_off < base || L->lc_line > line) {
        L->lc_line = first;
        L->lc_off = base;
    }
    while (L->lc_line < line) {
        const char *from = L->win ? L->win->buf + (L->lc_off - base) : L->data + L->lc_off;
        const char *nl = memchr(from, '\n', len - L->lc_off);
        if (!nl)
            return SIZE_MAX;
        L->lc_off += (size_t)(nl - from) + 1;
        L->lc_line++;
    }
    return L->lc_off;
}

/* Where libyaml's mark m is, as kvet counts lines (yaml_lines.h): libyaml's
 * own line and column unless the text has breaks LF does not count. */
static void at_mark(const loader *L, yaml_mark_t m, uint32_t *line, uint32_t *col)
{
    if (!L->lines.n && !L->lines.forgotten) {
        *line = (uint32_t)m.line + 1;
        *col = (uint32_t)m.column + 1;
    } else {
        yl_pos(&L->lines, m.line, m.column, line, col);
    }
    *line += L->line0;
}

/* Give v its position: the text's own, or for an embedded text
 * (kv_yaml_value) the manifest's when the string is a literal block
 * scalar (its lines are the manifest's, shifted by its indentation), else
 * the string's. */
static void place(const loader *L, kvet_value *v, uint32_t line, uint32_t col)
{
    const kvet_value *at = L->embed;
    if (!at) {
        v->src = L->src;
        v->line = line;
        v->col = col;
        return;
    }
    v->src = at->src;
    if ((at->flags & KVET_VF_LITERAL) && at->line) {
        v->line = at->line + line;
        v->col = at->reserved + col - 1;
        if ((v->flags & KVET_VF_LITERAL) && (uint32_t)v->reserved + at->reserved - 1 < 0xFFFF)
            v->reserved = (uint16_t)(v->reserved + at->reserved - 1);
        else
            v->flags &= (uint8_t)~KVET_VF_LITERAL;
    } else {
        v->line = at->line;
        v->col = at->col;
        v->flags &= (uint8_t)~KVET_VF_LITERAL; /* its lines are nowhere in the manifest */
    }
}

/* ------------------------------------------------------------ scalars */

/* go-yaml v2's resolve table (YAML 1.1 booleans, nulls, infinities and
 * NaN), looked up by length and first byte: every plain scalar, keys
 * included, passes here, and almost none is one of these words. */
enum { W_NONE, W_NULL, W_TRUE, W_FALSE, W_INF, W_NINF, W_NAN };
typedef struct word {
    char text[6];
    unsigned char kind;
} word;
static const word words1[] = {{"~", W_NULL}, {"y", W_TRUE}, {"Y", W_TRUE}, {"n", W_FALSE}, {"N", W_FALSE}};
static const word words2[] = {{"on", W_TRUE}, {"On", W_TRUE}, {"ON", W_TRUE},
                              {"no", W_FALSE}, {"No", W_FALSE}, {"NO", W_FALSE}};
static const word words3[] = {{"yes", W_TRUE}, {"Yes", W_TRUE}, {"YES", W_TRUE},
                              {"off", W_FALSE}, {"Off", W_FALSE}, {"OFF", W_FALSE}};
static const word words4[] = {{"null", W_NULL}, {"Null", W_NULL}, {"NULL", W_NULL}, {"true", W_TRUE},
                              {"True", W_TRUE}, {"TRUE", W_TRUE}, {".inf", W_INF}, {".Inf", W_INF},
                              {".INF", W_INF}, {".nan", W_NAN}, {".NaN", W_NAN}, {".NAN", W_NAN}};
static const word words5[] = {{"false", W_FALSE}, {"False", W_FALSE}, {"FALSE", W_FALSE}, {"+.inf", W_INF},
                              {"+.Inf", W_INF}, {"+.INF", W_INF}, {"-.inf", W_NINF}, {"-.Inf", W_NINF},
                              {"-.INF", W_NINF}};

static int word_kind(const char *s, size_t n)
{
    const word *w;
    size_t count;
    switch (n) {
    case 0: return W_NULL;
    case 1: w = words1; count = sizeof words1 / sizeof *w; break;
    case 2: w = words2; count = sizeof words2 / sizeof *w; break;
    case 3: w = words3; count = sizeof words3 / sizeof *w; break;
    case 4: w = words4; count = sizeof words4 / sizeof *w; break;
    case 5: w = words5; count = sizeof words5 / sizeof *w; break;
    default: return W_NONE;
    }
    for (size_t i = 0; i < count; i++)
        if (w[i].text[0] == s[0] && memcmp(w[i].text, s, n) == 0)
            return w[i].kind;
    return W_NONE;
}

/* Integers as go-yaml v2 reads them: optional sign, decimal, 0x hex, 0b
 * binary, a leading 0 for octal (YAML 1.1), underscores allowed. */
static int parse_yaml_int(const char *s, size_t n, int64_t *out, bool *overflow)
{
    char buf[80];
    size_t k = 0;
    *overflow = false;
    if (n == 0 || n >= sizeof buf)
        return -1;
    for (size_t i = 0; i < n; i++)
        if (s[i] != '_')
            buf[k++] = s[i];
    buf[k] = '\0';
    const char *p = buf;
    bool neg = false;
    if (*p == '+' || *p == '-') {
        neg = *p == '-';
        p++;
    }
    int base = 10;
    if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) { base = 16; p += 2; }
    else if (p[0] == '0' && (p[1] == 'b' || p[1] == 'B')) { base = 2; p += 2; }
    else if (p[0] == '0' && p[1] == 'o') { base = 8; p += 2; }
    else if (p[0] == '0' && p[1] != '\0') { base = 8; p += 1; }
    if (!*p)
        return -1;
    uint64_t v = 0;
    for (; *p; p++) {
        int d;
        if (*p >= '0' && *p <= '9') d = *p - '0';
        else if (*p >= 'a' && *p <= 'f') d = *p - 'a' + 10;
        else if (*p >= 'A' && *p <= 'F') d = *p - 'A' + 10;
        else return -1;
        if (d >= base)
            return -1;
        if (v > (UINT64_MAX - (uint64_t)d) / (uint64_t)base)
            *overflow = true;
        else
            v = v * (uint64_t)base + (uint64_t)d;
    }
    if (*overflow)
        return 0;
    if (neg) {
        if (v > (uint64_t)INT64_MAX + 1)
            *overflow = true;
        else
            *out = v == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)v;
    } else {
        if (v > (uint64_t)INT64_MAX)
            *overflow = true;
        else
            *out = (int64_t)v;
    }
    return 0;
}

/* Floats as YAML 1.1 writes them: [-+]?(digits)?.digits([eE][-+]?digits)?,
 * also "1e3" and "1." forms that go-yaml accepts through strconv. */
static int parse_yaml_float(const char *s, size_t n, double *out)
{
    char buf[128];
    size_t k = 0;
    if (n == 0 || n >= sizeof buf)
        return -1;
    bool digit = false, dot = false, exp = false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c == '_')
            continue;
        if (c >= '0' && c <= '9') {
            digit = true;
        } else if (c == '.') {
            if (dot || exp)
                return -1;
            dot = true;
        } else if (c == 'e' || c == 'E') {
            if (exp || !digit)
                return -1;
            exp = true;
        } else if (c == '+' || c == '-') {
            if (!(k == 0 || buf[k - 1] == 'e' || buf[k - 1] == 'E'))
                return -1;
        } else {
            return -1;
        }
        buf[k++] = c;
    }
    buf[k] = '\0';
    if (!digit || (!dot && !exp))
        return -1;
    char *end;
    errno = 0;
    double d = strtod(buf, &end);
    if (*end)
        return -1;
    *out = d;
    return 0;
}

/* Does the block scalar whose indicator is on LF line `line` and which ends
 * at libyaml's mark `end` hold a lone CR or a NEL?  libyaml makes either a
 * newline of the value, so the value's lines would no longer be the
 * manifest's (LS and PS it keeps as they are, and both counts skip them). */
static bool block_has_other_newline(loader *L, uint32_t line, yaml_mark_t end)
{
    if (!L->lines.n && !L->lines.forgotten)
        return false; /* the text has no break that LF does not count */
    uint32_t eline, ecol;
    at_mark(L, end, &eline, &ecol);
    size_t from = line_offset(L, line), len = text_len(L);
    size_t to = eline > line ? line_offset(L, eline) : from;
    if (from == SIZE_MAX)
        return false;
    if (to == SIZE_MAX)
        to = len;
    else if (ecol > 1) /* it ends inside that line: at the end of the text */
        while (to < len && text_at(L, to) != '\n')
            to++;
    for (size_t i = from; i < to; i++) {
        unsigned char c[3] = {(unsigned char)text_at(L, i), 0, 0};
        if (c[0] != '\r' && c[0] != 0xC2)
            continue;
        size_t n = 1;
        while (n < 3 && i + n < len) {
            c[n] = (unsigned char)text_at(L, i + n);
            n++;
        }
        int w = kv_other_break(c, n, i + n >= len);
        if (w == 1 || w == 2)
            return true;
    }
    return false;
}

/* line, col: where the scalar starts */
static kvet_value scalar_value(loader *L, const yaml_event_t *ev, uint32_t line, uint32_t col)
{
    const char *s = (const char *)ev->data.scalar.value;
    size_t n = ev->data.scalar.length;
    const char *tag = (const char *)ev->data.scalar.tag;
    kvet_value v;
    bool plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
    if (tag && !strcmp(tag, YAML_STR_TAG))
        plain = false;
    if (tag && plain == false && strcmp(tag, YAML_STR_TAG) != 0) {
        /* an explicit tag on a quoted scalar: honour the simple ones */
        if (!strcmp(tag, YAML_INT_TAG) || !strcmp(tag, YAML_FLOAT_TAG) || !strcmp(tag, YAML_BOOL_TAG) ||
            !strcmp(tag, YAML_NULL_TAG))
            plain = true;
    }
    if (plain) {
        int64_t i;
        double d;
        bool overflow;
        int w = word_kind(s, n);
        /* numbers start with a digit, a sign, a dot or an underscore (which
         * parse_yaml_int skips) */
        bool numeric = n > 0 && ((s[0] >= '0' && s[0] <= '9') || s[0] == '+' || s[0] == '-' || s[0] == '.' ||
                                 s[0] == '_');
        if (w == W_NULL && !(tag && !strcmp(tag, YAML_STR_TAG)))
            v = kv_null();
        else if (w == W_TRUE)
            v = kv_bool(true);
        else if (w == W_FALSE)
            v = kv_bool(false);
        else if (numeric && parse_yaml_int(s, n, &i, &overflow) == 0) {
            if (overflow) {
                /* go-yaml keeps too-large integers as floats when they parse as one */
                char buf[80];
                size_t k = 0;
                for (size_t j = 0; j < n && k + 1 < sizeof buf; j++)
                    if (s[j] != '_')
                        buf[k++] = s[j];
                buf[k] = '\0';
                char *end;
                double f = strtod(buf, &end);
                v = *end == '\0' ? kv_float(f) : kv_string_value(L->arena, s, n);
            } else {
                v = kv_int(i);
            }
        } else if (numeric && parse_yaml_float(s, n, &d) == 0)
            v = kv_float(d);
        else if (w == W_INF)
            v = kv_float(INFINITY);
        else if (w == W_NINF)
            v = kv_float(-INFINITY);
        else if (w == W_NAN)
            v = kv_float(NAN);
        else
            v = kv_string_value(L->arena, s, n);
    } else {
        v = kv_string_value(L->arena, s, n);
        v.flags |= KVET_VF_QUOTED;
        if (ev->data.scalar.style == YAML_LITERAL_SCALAR_STYLE) {
            /* where its text lines start: the first line after the indicator
             * that is not blank, so positions inside the text can be found */
            size_t i = line_offset(L, line), len = text_len(L);
            while (i < len && text_at(L, i) != '\n')
                i++;
            while (i < len) {
                size_t lstart = ++i, k = i;
                while (k < len && text_at(L, k) == ' ')
                    k++;
                if (k >= len || text_at(L, k) != '\n') {
                    if (k - lstart < 0xFFFF && !block_has_other_newline(L, line, ev->end_mark)) {
                        v.flags |= KVET_VF_LITERAL;
                        v.reserved = (uint16_t)(k - lstart + 1);
                    }
                    break;
                }
                i = k;
            }
        }
    }
    place(L, &v, line, col);
    return v;
}

/* ---------------------------------------------------------- tree build */

static bool push_item(loader *L, frame *f, kvet_value v, uint32_t line, uint32_t col)
{
    if (f->n == f->cap) {
        uint32_t cap = f->cap ? f->cap * 2 : 8;
        if (cap > (1u << 26)) {
            error_at(L, f->line, f->col, "collection too large");
            return false;
        }
        kvet_value *items = realloc(f->items, cap * sizeof *items);
        if (!items) {
            error_at(L, f->line, f->col, "out of memory");
            return false;
        }
        f->items = items;
        uint32_t *pos = realloc(f->pos, cap * 2 * sizeof *pos);
        if (!pos) {
            error_at(L, f->line, f->col, "out of memory");
            return false;
        }
        f->pos = pos;
        f->cap = cap;
    }
    f->pos[2 * f->n] = line;
    f->pos[2 * f->n + 1] = col;
    f->items[f->n++] = v;
    return true;
}

static void bind_anchor(loader *L, const char *name, kvet_value v, uint64_t nodes)
{
    if (!name)
        return;
    for (uint32_t i = 0; i < L->nanchors; i++)
        if (!strcmp(L->anchors[i].name, name)) {
            /* a later anchor of the same name replaces the earlier one */
            L->anchors[i].value = v;
            L->anchors[i].nodes = nodes;
            return;
        }
    if (L->nanchors == L->capanchors) {
        uint32_t cap = L->capanchors ? L->capanchors * 2 : 8;
        anchor *a = realloc(L->anchors, cap * sizeof *a);
        if (!a)
            return;
        L->anchors = a;
        L->capanchors = cap;
    }
    L->anchors[L->nanchors].name = strdup(name);
    L->anchors[L->nanchors].value = v;
    L->anchors[L->nanchors].nodes = nodes;
    if (L->anchors[L->nanchors].name)
        L->nanchors++;
}

static bool key_text(loader *L, kvet_value k, uint32_t line, uint32_t col, const kvet_string **out)
{
    char buf[64];
    switch (k.type) {
    case KVET_STRING: *out = k.u.s; return true;
    case KVET_NULL: *out = kv_string_new(L->arena, "null", 4); return *out != NULL;
    case KVET_BOOL: *out = kv_string_cstr(L->arena, k.u.b ? "true" : "false"); return *out != NULL;
    case KVET_INT:
        snprintf(buf, sizeof buf, "%lld", (long long)k.u.i);
        *out = kv_string_cstr(L->arena, buf);
        return *out != NULL;
    case KVET_FLOAT:
        kv_format_double(buf, k.u.f);
        *out = kv_string_cstr(L->arena, buf);
        return *out != NULL;
    default:
        error_at(L, line, col, "invalid YAML: a mapping key must be a scalar (Kubernetes manifests are JSON objects)");
        return false;
    }
}

/* Finish a mapping: resolve keys, apply `<<` merges, reject duplicates. */
static bool finish_map(loader *L, frame *f, kvet_value *out)
{
    uint32_t npairs = f->n / 2;
    /* count merged entries first */
    uint32_t extra = 0;
    for (uint32_t i = 0; i < npairs; i++) {
        kvet_value k = f->items[2 * i];
        if (k.type == KVET_STRING && !(k.flags & KVET_VF_QUOTED) && k.u.s->len == 2 && !memcmp(k.u.s->data, "<<", 2)) {
            kvet_value m = f->items[2 * i + 1];
            if (m.type == KVET_MAP)
                extra += m.u.m->n;
            else if (m.type == KVET_LIST)
                for (uint32_t j = 0; j < m.u.l->n; j++) {
                    if (m.u.l->items[j].type != KVET_MAP) {
                        /* an embedded text's values carry the manifest's
                         * positions: name the list's own place in the text */
                        error_at(L, L->embed ? f->pos[4 * i + 2] : m.u.l->items[j].line,
                                 L->embed ? f->pos[4 * i + 3] : m.u.l->items[j].col,
                                 "invalid YAML: a merge key (<<) takes a mapping or a list of mappings");
                        return false;
                    }
                    extra += m.u.l->items[j].u.m->n;
                }
            else {
                error_at(L, f->pos[4 * i + 2], f->pos[4 * i + 3],
                         "invalid YAML: a merge key (<<) takes a mapping or a list of mappings");
                return false;
            }
        }
    }
    kvet_map *map = kv_map_new(L->arena, npairs + extra);
    if (!map) {
        error_at(L, f->line, f->col, "out of memory");
        return false;
    }
    uint32_t n = 0;
    kv_keyset keys = {0};
    /* explicit keys first: they win over merged ones */
    for (uint32_t i = 0; i < npairs; i++) {
        kvet_value k = f->items[2 * i];
        if (k.type == KVET_STRING && !(k.flags & KVET_VF_QUOTED) && k.u.s->len == 2 && !memcmp(k.u.s->data, "<<", 2))
            continue;
        const kvet_string *ks;
        if (!key_text(L, k, f->pos[4 * i], f->pos[4 * i + 1], &ks)) {
            kv_keyset_free(&keys);
            return false;
        }
        int64_t found = kv_keyset_find(&keys, map->e, n, ks->data, ks->len);
        if (found >= 0) {
            /* the earlier pair: entries so far are the explicit keys in order */
            uint32_t prev = 0;
            for (uint32_t p = 0, seen = 0; p < i; p++) {
                kvet_value pk = f->items[2 * p];
                if (pk.type == KVET_STRING && !(pk.flags & KVET_VF_QUOTED) && pk.u.s->len == 2 &&
                    !memcmp(pk.u.s->data, "<<", 2))
                    continue;
                if (seen++ == (uint32_t)found) {
                    prev = p;
                    break;
                }
            }
            error_at(L, f->pos[4 * i], f->pos[4 * i + 1], "invalid YAML: mapping key \"%s\" already defined at line %u",
                     ks->data, f->pos[4 * prev + 2]);
            kv_keyset_free(&keys);
            return false;
        }
        map->e[n].key = ks;
        map->e[n].val = f->items[2 * i + 1];
        n++;
    }
    for (uint32_t i = 0; i < npairs; i++) {
        kvet_value k = f->items[2 * i];
        if (!(k.type == KVET_STRING && !(k.flags & KVET_VF_QUOTED) && k.u.s->len == 2 && !memcmp(k.u.s->data, "<<", 2)))
            continue;
        kvet_value m = f->items[2 * i + 1];
        uint32_t nsrc = m.type == KVET_MAP ? 1 : m.u.l->n;
        for (uint32_t s = 0; s < nsrc; s++) {
            const kvet_map *src = m.type == KVET_MAP ? m.u.m : m.u.l->items[s].u.m;
            for (uint32_t e = 0; e < src->n; e++)
                if (kv_keyset_find(&keys, map->e, n, src->e[e].key->data, src->e[e].key->len) < 0)
                    map->e[n++] = src->e[e];
        }
    }
    kv_keyset_free(&keys);
    map->n = n;
    *out = kv_map_value(map);
    return true;
}

/* line, col: where v is in the text (v's own may be the manifest's) */
static bool add_value(loader *L, kvet_value v, uint32_t line, uint32_t col, kvet_value *root)
{
    if (L->depth == 0) {
        *root = v;
        return true;
    }
    return push_item(L, &L->stack[L->depth - 1], v, line, col);
}

static bool open_frame(loader *L, int is_map, const yaml_event_t *ev, const char *anchor_name)
{
    if (L->depth >= L->lim->max_depth) {
        uint32_t line, col;
        at_mark(L, ev->start_mark, &line, &col);
        error_at(L, line, col,
                 "document nested deeper than the limit of %u levels", L->lim->max_depth);
        return false;
    }
    if (L->depth == L->capdepth) {
        uint32_t cap = L->capdepth ? L->capdepth * 2 : 16;
        frame *s = realloc(L->stack, cap * sizeof *s);
        if (!s) {
            error_at(L, 0, 0, "out of memory");
            return false;
        }
        /* new slots own no item buffers yet */
        memset(s + L->capdepth, 0, (cap - L->capdepth) * sizeof *s);
        L->stack = s;
        L->capdepth = cap;
    }
    /* a slot keeps its item buffers from the collections it held before:
     * most collections then need no allocation at all */
    frame *f = &L->stack[L->depth++];
    kvet_value *items = f->items;
    uint32_t *pos = f->pos, cap = f->cap;
    memset(f, 0, sizeof *f);
    f->items = items;
    f->pos = pos;
    f->cap = cap;
    f->is_map = is_map;
    at_mark(L, ev->start_mark, &f->line, &f->col);
    f->anchor = anchor_name ? strdup(anchor_name) : NULL;
    f->nodes_at_start = L->nodes;
    return true;
}

static void drop_frames(loader *L)
{
    while (L->depth)
        free(L->stack[--L->depth].anchor);
    for (uint32_t i = 0; i < L->capdepth; i++) {
        free(L->stack[i].items);
        free(L->stack[i].pos);
    }
}

static void drop_anchors(loader *L)
{
    for (uint32_t i = 0; i < L->nanchors; i++)
        free(L->anchors[i].name);
    L->nanchors = 0;
}

/* The path of a `# Source: PATH` line (helm template), or NULL.  The line
 * starts at p; *n gets the path's length. */
static const char *source_comment(const char *p, const char *end, size_t *n)
{
    if (p >= end || *p != '#')
        return NULL;
    p++;
    while (p < end && *p == ' ')
        p++;
    if ((size_t)(end - p) < 7 || memcmp(p, "Source:", 7) != 0)
        return NULL;
    p += 7;
    while (p < end && *p == ' ')
        p++;
    const char *path = p;
    while (p < end && *p != '\n' && *p != '\r' && *p != ' ' && *p != '\t')
        p++;
    size_t len = (size_t)(p - path);
    while (p < end && (*p == ' ' || *p == '\t'))
        p++;
    /* one path and nothing after it; a URL is a provenance note, not a template */
    if (len == 0 || len > 1024 || (p < end && *p != '\n' && *p != '\r') || memmem(path, len, "://", 3))
        return NULL;
    *n = len;
    return path;
}

bool kv_yaml_has_source_line(const char *text, size_t len)
{
    /* a load looks for comments from where a document's root ends, which
     * may be mid-line (after a quoted or flow root): any "#", blanks and
     * "Source:" might be one.  Each match looks back over the blanks before
     * it only, so the search stays linear however long a line is. */
    const char *end = text + len;
    for (const char *p = text; (p = memmem(p, (size_t)(end - p), "Source:", 7)) != NULL; p += 7) {
        const char *q = p;
        while (q > text && q[-1] == ' ')
            q--;
        if (q > text && q[-1] == '#')
            return true;
    }
    return false;
}

/* The byte offset of libyaml's character index `index` (its marks count
 * characters, a CRLF as two, and not a byte order mark).  Indexes come in
 * rising order, so the count goes on from the last one. */
static size_t byte_at(loader *L, size_t index)
{
    if (index < L->ci_char) {
        L->ci_char = 0;
        L->ci_byte = L->bom;
    }
    size_t len = text_len(L), base = L->win ? L->win->base : 0;
    if (L->ci_byte < base)
        return L->ci_byte; /* not held any more (never, as documents end past it) */
    const unsigned char *text = (const unsigned char *)(L->win ? L->win->buf : L->data);
    while (L->ci_char < index && L->ci_byte < len) {
        /* eight ASCII bytes (not followed by a continuation byte) are
         * eight characters */
        const unsigned char *p = text + (L->ci_byte - base);
        if (index - L->ci_char >= 8 && len - L->ci_byte > 8) {
            uint64_t w;
            memcpy(&w, p, 8);
            if (!(w & 0x8080808080808080ULL) && (p[8] & 0xC0) != 0x80) {
                L->ci_byte += 8;
                L->ci_char += 8;
                continue;
            }
        }
        L->ci_byte++;
        while (L->ci_byte < len && (text[L->ci_byte - base] & 0xC0) == 0x80)
            L->ci_byte++;
        L->ci_char++;
    }
    return L->ci_byte;
}

/* Look at the text between documents, up to `upto`, for the last
 * `# Source:` line: the next document belongs to its path. */
static void attribute(loader *L, size_t index)
{
    if (!L->sources)
        return;
    size_t upto = byte_at(L, index);
    if (upto > text_len(L))
        upto = text_len(L);
    /* through a window the text is held from the line the last document
     * ended on, which is where the scan goes on from */
    size_t base = L->win ? L->win->base : 0;
    const char *text = L->win ? L->win->buf : L->data;
    const char *found = NULL;
    size_t flen = 0;
    for (size_t i = L->scanned > base ? L->scanned : base; i < upto;) {
        const char *line = text + (i - base);
        const char *nl = memchr(line, '\n', upto - i);
        const char *eol = nl ? nl : text + (upto - base);
        size_t n;
        const char *path = source_comment(line, eol, &n);
        if (path) {
            found = path;
            flen = n;
        }
        i = (size_t)(eol - text) + base + 1;
    }
    if (upto > L->scanned)
        L->scanned = upto;
    if (!found)
        return;
    uint32_t slot = 0;
    if (L->src_slot)
        for (slot = (uint32_t)kv_hash_bytes(0, found, flen) & L->src_mask; L->src_slot[slot];
             slot = (slot + 1) & L->src_mask) {
            const named_src *ns = &L->srcs[L->src_slot[slot] - 1];
            if (ns->len == flen && !memcmp(ns->name, found, flen)) {
                L->src = ns->id;
                L->name = ns->name;
                return;
            }
        }
    char *name = strndup(found, flen);
    uint32_t id = name ? kv_source_add(L->ctx, name) : 0;
    free(name);
    if (!id)
        return; /* out of memory: the stream's name stays */
    if (L->nsrcs == L->capsrcs) {
        uint32_t cap = L->capsrcs ? L->capsrcs * 2 : 8;
        named_src *ns = realloc(L->srcs, cap * sizeof *ns);
        uint32_t *slots = ns ? calloc(2 * (size_t)cap, sizeof *slots) : NULL;
        if (ns)
            L->srcs = ns;
        if (!slots)
            return;
        free(L->src_slot);
        L->src_slot = slots;
        L->capsrcs = cap;
        L->src_mask = 2 * cap - 1;
        for (uint32_t i = 0; i < L->nsrcs; i++) {
            uint32_t k = (uint32_t)kv_hash_bytes(0, L->srcs[i].name, L->srcs[i].len) & L->src_mask;
            while (slots[k])
                k = (k + 1) & L->src_mask;
            slots[k] = i + 1;
        }
        for (slot = (uint32_t)kv_hash_bytes(0, found, flen) & L->src_mask; slots[slot];
             slot = (slot + 1) & L->src_mask)
            ;
    }
    L->srcs[L->nsrcs] = (named_src){id, kv_source_name(L->ctx, id), flen};
    L->src_slot[slot] = L->nsrcs + 1;
    L->src = id;
    L->name = L->srcs[L->nsrcs].name;
    L->nsrcs++;
}

/* gopkg.in/yaml.v2's text for a parser error (decode.go, parser.fail):
 * the 0-based line of the problem (1-based for scanner errors), else of
 * the context, and no line when that is 0. */
static void go_parser_error(loader *L, const yaml_parser_t *p, const char *problem)
{
    size_t line = 0;
    if (p->problem_mark.line != 0)
        line = p->problem_mark.line + (p->error == YAML_SCANNER_ERROR ? 1 : 0);
    else if (p->context_mark.line != 0)
        line = p->context_mark.line;
    if (line)
        snprintf(L->gomsg, sizeof L->gomsg, "yaml: line %zu: %s", line, problem);
    else
        snprintf(L->gomsg, sizeof L->gomsg, "yaml: %s", problem);
}

static void report_parser_error(loader *L, yaml_parser_t *p)
{
    uint32_t line, col;
    at_mark(L, p->problem_mark, &line, &col);
    const char *problem = p->problem ? p->problem : "unknown problem";
    go_parser_error(L, p, p->problem ? p->problem : "unknown problem parsing YAML content");
    if (p->error == YAML_READER_ERROR && L->win && L->win->over && L->win->given >= L->win->limit)
        return; /* kv_load_yaml_window says the input is over the limit */
    if (p->error == YAML_READER_ERROR && L->win && L->win->ioerr)
        return; /* and that it could not be read ("input error" is the read's failure) */
    if (p->error == YAML_READER_ERROR) {
        /* the reader gives an offset, not a line: count lines up to it */
        size_t len = text_len(L), off = p->problem_offset < len ? p->problem_offset : len;
        size_t from = L->win ? L->win->base : 0;
        line = L->win ? L->win->text.line : 1 + L->line0;
        col = 1;
        for (size_t i = from; i < off; i++) {
            if (text_at(L, i) == '\n') {
                line++;
                col = 1;
            } else if (((unsigned char)text_at(L, i) & 0xC0) != 0x80) {
                col++;
            }
        }
        if (p->problem_value != -1)
            error_at(L, line, col, "invalid YAML: %s (byte 0x%02x)", problem, (unsigned)p->problem_value & 0xFF);
        else
            error_at(L, line, col, "invalid YAML: %s", problem);
        return;
    }
    if (p->context)
        error_at(L, line, col, "invalid YAML: %s %s", problem, p->context);
    else
        error_at(L, line, col, "invalid YAML: %s", problem);
}

/* Does the text start with UTF-16's byte order mark (n bytes held)?  libyaml
 * then reads it as UTF-16, and its lines are taken as they are: the bytes
 * of its CRLFs would look like lone CRs to yaml_lines. */
static bool utf16(const char *s, size_t n)
{
    const unsigned char *u = (const unsigned char *)s;
    return n >= 2 && ((u[0] == 0xFE && u[1] == 0xFF) || (u[0] == 0xFF && u[1] == 0xFE));
}

/* Read a chunk more into the window: false at the end or on an error. */
static bool win_more(ywin *w)
{
    bool oom = false;
    if (w->over)
        return false;
    size_t n = kv_read_more(w->f, &w->buf, &w->cap, &w->end, w->chunk, &oom);
    w->text.data = w->buf;
    w->text.len = w->end;
    /* the bytes up to the limit are parsed, and libyaml's read fails
     * there (win_read) */
    if (w->limit && w->base + w->end > w->limit)
        w->over = true;
    if (w->lines && w->base == 0 && utf16(w->buf, w->end))
        w->lines = NULL;
    if (w->lines && !oom)
        yl_scan(w->lines, w->buf, w->base, w->text.line, w->base + w->end, n == 0, false);
    if (oom || (n == 0 && ferror(w->f)))
        w->ioerr = true;
    /* a copy of a stream whose reading failed there (kv_yaml_stream.end_errno) */
    if (n == 0 && !w->ioerr && w->end_errno) {
        errno = w->end_errno;
        w->ioerr = true;
    }
    return n > 0;
}

/* Read as far as the end of line `line` (up to an excerpt's length), so
 * that an excerpt of it is whole. */
static void win_line_read(ywin *w, uint32_t line)
{
    while (w->buf && line >= w->text.line) {
        const char *p = kv_text_line(&w->text, line);
        size_t from = p ? (size_t)(p - w->buf) : w->end;
        if (memchr(w->buf + from, '\n', w->end - from) || w->end - from >= 4096 || !win_more(w))
            return;
    }
}

/* libyaml's input: the file's next bytes, kept in the window too.  As many
 * as it asks for, as from a string, so that it reads the same way. */
static int win_read(void *data, unsigned char *buffer, size_t size, size_t *size_read)
{
    ywin *w = data;
    *size_read = 0;
    while (w->base + w->end - w->given < size && win_more(w))
        ;
    if (w->ioerr)
        return 0;
    size_t held = w->base + w->end;
    if (w->over && held > w->limit)
        held = (size_t)w->limit;
    size_t n = held > w->given ? held - w->given : 0;
    if (w->over && n == 0)
        return 0;
    if (n > size)
        n = size;
    memcpy(buffer, w->buf + (w->given - w->base), n);
    w->given += n;
    *size_read = n;
    return 1;
}

/* Forget the text before offset `upto` (the start of the line a document
 * ends on), once a chunk's worth of it is read. */
static void win_drop(ywin *w, size_t upto)
{
    if (upto <= w->base || upto - w->base < w->chunk || upto > w->base + w->end)
        return;
    size_t keep = upto - w->base;
    while (keep > 0 && w->buf[keep - 1] != '\n')
        keep--;
    for (const char *p = w->buf, *e = w->buf + keep; (p = memchr(p, '\n', (size_t)(e - p))); p++)
        w->text.line++;
    memmove(w->buf, w->buf + keep, w->end - keep + 1);
    w->base += keep;
    w->end -= keep;
    w->text.data = w->buf;
    w->text.len = w->end;
}

/* Parse the documents of init's text, handing each to fn; with first_only
 * the text after the first document is not read (go-yaml's Unmarshal reads
 * one).  init->errline/errcol get the first error's place when init has no
 * context. */
static int run(loader *init, bool first_only, kv_doc_fn fn, void *ud)
{
    loader L = *init;
    yaml_parser_t parser;
    if (!yaml_parser_initialize(&parser)) {
        error_at(init, 0, 0, "out of memory");
        return -1;
    }
    const unsigned char *head = (const unsigned char *)L.data;
    if (L.win) {
        L.win->lines = &L.lines;
        /* the text read before the window opened (stdin's start); the
         * bytes of UTF-16 are not the characters libyaml's marks count, and
         * hold no `# Source:` line a whole text would find either */
        if (L.win->end && utf16(L.win->buf, L.win->end)) {
            L.win->lines = NULL;
            L.sources = false;
        } else if (L.win->end)
            yl_scan(&L.lines, L.win->buf, 0, 1, L.win->end, false, false);
        yaml_parser_set_input(&parser, win_read, L.win);
    } else if (utf16(L.data, L.len)) {
        yaml_parser_set_input_string(&parser, head, L.len);
    } else {
        L.bom = L.len >= 3 && head[0] == 0xEF && head[1] == 0xBB && head[2] == 0xBF ? 3 : 0;
        L.ci_byte = L.bom;
        yl_scan(&L.lines, L.data, 0, 1, L.len, true, L.bom > 0);
        yaml_parser_set_input_string(&parser, head, L.len);
    }
    int rc = 0;
    uint32_t docindex = 0;
    kvet_value root = kv_absent();
    bool in_doc = false;
    uint32_t doc_line = 1, doc_col = 1;

    for (;;) {
        yaml_event_t ev;
        if (!yaml_parser_parse(&parser, &ev)) {
            if (L.depth == 0 && root.type == KVET_ABSENT)
                attribute(&L, parser.problem_mark.index);
            report_parser_error(&L, &parser);
            rc = -1;
            break;
        }
        bool stop = false;
        bool node = ev.type == YAML_SCALAR_EVENT || ev.type == YAML_ALIAS_EVENT ||
                    ev.type == YAML_SEQUENCE_START_EVENT || ev.type == YAML_MAPPING_START_EVENT;
        if (node && L.depth == 0)
            attribute(&L, ev.start_mark.index); /* the first event of a document's root */
        switch (ev.type) {
        case YAML_STREAM_END_EVENT:
            stop = true;
            break;
        case YAML_DOCUMENT_START_EVENT:
            if (L.fixed_arena) {
                L.arena = L.fixed_arena;
            } else {
                L.arena = malloc(sizeof *L.arena);
                if (!L.arena) {
                    error_at(&L, 0, 0, "out of memory");
                    stop = true;
                    break;
                }
                kv_arena_init(L.arena);
            }
            L.nodes = L.alias_nodes = 0;
            root = kv_absent();
            in_doc = true;
            at_mark(&L, ev.start_mark, &doc_line, &doc_col);
            break;
        case YAML_DOCUMENT_END_EVENT: {
            in_doc = false;
            drop_anchors(&L);
            int took = 0;
            if (root.type != KVET_ABSENT && root.type != KVET_NULL && docindex++ >= L.skip) {
                kv_doc doc;
                doc.root = root;
                doc.src = L.src;
                doc.line = root.line ? root.line : doc_line;
                doc.col = root.col ? root.col : doc_col;
                doc.index = docindex - 1;
                doc.arena = L.arena;
                doc.piece = 0;
                took = fn(ud, &doc);
            }
            if (took != 1 && !L.fixed_arena) {
                kv_arena_free(L.arena);
                free(L.arena);
            }
            L.arena = NULL;
            /* the next document's excerpts start at its own line */
            if (L.win) {
                uint32_t eline, ecol;
                at_mark(&L, ev.end_mark, &eline, &ecol);
                win_drop(L.win, line_offset(&L, eline));
            }
            yl_forget(&L.lines, ev.end_mark.line);
            if (took < 0) {
                rc = -1;
                stop = true;
            }
            if (first_only)
                stop = true;
            break;
        }
        case YAML_SCALAR_EVENT: {
            L.nodes++;
            uint32_t line, col;
            at_mark(&L, ev.start_mark, &line, &col);
            kvet_value v = scalar_value(&L, &ev, line, col);
            if (v.type == KVET_ABSENT) {
                error_at(&L, line, col, "out of memory");
                stop = true;
                break;
            }
            if (ev.data.scalar.anchor)
                bind_anchor(&L, (const char *)ev.data.scalar.anchor, v, 1);
            if (!add_value(&L, v, line, col, &root))
                stop = true;
            break;
        }
        case YAML_ALIAS_EVENT: {
            const char *an = (const char *)ev.data.alias.anchor;
            anchor *a = NULL;
            for (uint32_t i = 0; i < L.nanchors; i++)
                if (!strcmp(L.anchors[i].name, an))
                    a = &L.anchors[i];
            uint32_t line, col;
            at_mark(&L, ev.start_mark, &line, &col);
            if (!a) {
                error_at(&L, line, col, "invalid YAML: unknown anchor '%s' referenced", an);
                snprintf(L.gomsg, sizeof L.gomsg, "yaml: unknown anchor '%s' referenced", an);
                stop = true;
                break;
            }
            L.alias_nodes += a->nodes;
            if (L.alias_nodes > L.lim->max_alias_expansion) {
                error_at(&L, line, col, "alias expansion limit (%llu nodes) exceeded",
                         (unsigned long long)L.lim->max_alias_expansion);
                stop = true;
                break;
            }
            L.nodes += a->nodes;
            if (!add_value(&L, a->value, line, col, &root))
                stop = true;
            break;
        }
        case YAML_SEQUENCE_START_EVENT:
        case YAML_MAPPING_START_EVENT: {
            L.nodes++;
            bool is_map = ev.type == YAML_MAPPING_START_EVENT;
            const char *an = (const char *)(is_map ? ev.data.mapping_start.anchor : ev.data.sequence_start.anchor);
            if (!open_frame(&L, is_map, &ev, an))
                stop = true;
            break;
        }
        case YAML_SEQUENCE_END_EVENT:
        case YAML_MAPPING_END_EVENT: {
            frame *f = &L.stack[L.depth - 1];
            kvet_value v;
            bool ok;
            if (f->is_map) {
                ok = finish_map(&L, f, &v);
            } else {
                kvet_list *l = kv_list_new(L.arena, f->n);
                ok = l != NULL;
                if (ok) {
                    if (f->n)
                        memcpy(l->items, f->items, f->n * sizeof(kvet_value));
                    v = kv_list_value(l);
                } else {
                    error_at(&L, f->line, f->col, "out of memory");
                }
            }
            uint32_t line = f->line, col = f->col;
            if (ok) {
                place(&L, &v, line, col);
                bind_anchor(&L, f->anchor, v, L.nodes - f->nodes_at_start);
            }
            free(f->anchor);
            f->anchor = NULL;
            L.depth--;
            if (!ok || !add_value(&L, v, line, col, &root))
                stop = true;
            break;
        }
        default:
            break;
        }
        /* the root is complete: what follows is between documents */
        if ((node || ev.type == YAML_SEQUENCE_END_EVENT || ev.type == YAML_MAPPING_END_EVENT) && L.depth == 0 &&
            L.sources && byte_at(&L, ev.end_mark.index) > L.scanned)
            L.scanned = L.ci_byte;
        yaml_event_delete(&ev);
        if (stop || L.failed)
            break;
    }
    if (L.failed)
        rc = -1;
    drop_frames(&L);
    drop_anchors(&L);
    free(L.anchors);
    free(L.stack);
    free(L.srcs);
    free(L.src_slot);
    yl_free(&L.lines);
    if (L.win)
        L.win->lines = NULL;
    if (in_doc && L.arena && !L.fixed_arena) {
        kv_arena_free(L.arena);
        free(L.arena);
    }
    yaml_parser_delete(&parser);
    init->failed = L.failed;
    init->errline = L.errline;
    init->errcol = L.errcol;
    memcpy(init->gomsg, L.gomsg, sizeof L.gomsg);
    return rc;
}

/* into: build every document there, not in an arena of its own */
int kv_load_yaml(kvet_ctx *ctx, const char *name, uint32_t src, const char *data, size_t len,
                 bool sources, kv_arena *into, kv_doc_fn fn, void *ud)
{
    loader L;
    memset(&L, 0, sizeof L);
    L.fixed_arena = into;
    L.ctx = ctx;
    L.lim = &ctx->limits;
    L.name = name;
    L.src = src;
    L.data = data;
    L.len = len;
    L.sources = sources;
    kv_line_cursor cursor = {NULL, 0, 0, 0};
    kv_text text = {data, len, 1, false, NULL, 0, &cursor};
    L.text = &text;
    return run(&L, false, fn, ud);
}

int kv_load_yaml_window(kvet_ctx *ctx, const kv_yaml_stream *in, kv_arena *into, kv_doc_fn fn, void *ud,
                        const kv_text **text)
{
    const char *name = in->name;
    uint32_t src = in->src;
    ywin w;
    memset(&w, 0, sizeof w);
    kv_line_cursor cursor = {NULL, 0, 0, 0};
    w.text.cursor = &cursor;
    w.f = in->f;
    w.chunk = in->window ? in->window : 1;
    w.limit = in->limit;
    w.end_errno = in->end_errno;
    w.text.line = 1;
    w.text.data = "";
    if (in->head) {
        /* the head is the window's from the start (its cap: len + 1) */
        w.buf = in->head;
        w.end = w.cap = in->headlen;
        w.cap++;
        w.text.data = w.buf;
        w.text.len = w.end;
        /* a head read past the limit (a copy of standard input that could
         * not be written, a limit just under the head's size): no byte
         * past the limit is given to libyaml, as when a read passes it */
        if (w.limit && w.end > w.limit)
            w.over = true;
    }
    loader L;
    memset(&L, 0, sizeof L);
    L.ctx = ctx;
    L.lim = &ctx->limits;
    L.name = name;
    L.src = src;
    L.fixed_arena = into;
    L.sources = in->sources;
    L.win = &w;
    L.text = &w.text;
    L.skip = in->skip;
    *text = &w.text;
    int rc = run(&L, false, fn, ud);
    if (w.ioerr) {
        kv_diag(ctx, KVET_SEV_ERROR, name, 0, 0, 0, NULL, "cannot read: %s", strerror(errno));
        rc = -1;
    } else if (w.over && w.given >= w.limit) {
        /* parsed up to the limit (another error may stop it before) */
        kv_diag(ctx, KVET_SEV_ERROR, name, 0, 0, 0, NULL,
                "%s is larger than the limit of %llu bytes: the documents before it were checked as they came, "
                "the rest was not read", in->what ? in->what : "the input", (unsigned long long)in->limit);
        rc = -1;
    }
    if (in->total)
        *in->total = w.base + w.end;
    *text = NULL;
    free(w.buf);
    return rc;
}

typedef struct first_doc {
    kvet_value root;
    bool found;
} first_doc;

static int take_first(void *ud, kv_doc *doc)
{
    first_doc *fd = ud;
    fd->root = doc->root;
    fd->found = true;
    return 0;
}

int kv_yaml_value(const kvet_value *str, const kvet_limits *lim, kv_arena *arena, kvet_value *out,
                  char *msg, size_t msgsz, uint32_t *line, uint32_t *col, char *gomsg, size_t gosz)
{
    loader L;
    memset(&L, 0, sizeof L);
    L.lim = lim;
    L.fixed_arena = arena;
    L.embed = str;
    L.data = str->u.s->data;
    L.len = str->u.s->len;
    L.errmsg = msg;
    L.errsz = msgsz;
    if (msgsz)
        msg[0] = '\0';
    first_doc fd = {kv_absent(), false};
    int rc = run(&L, true, take_first, &fd);
    if (rc < 0 || L.failed) {
        *line = L.errline;
        *col = L.errcol;
        if (gosz)
            snprintf(gomsg, gosz, "%s", L.gomsg);
        return -1;
    }
    /* no document, or an empty one, is null, as go-yaml leaves a value it
     * has nothing to decode into */
    if (!fd.found || fd.root.type == KVET_ABSENT) {
        *out = kv_at(kv_null(), *str);
    } else {
        *out = fd.root;
    }
    return 0;
}

/* A part of a file that starts a document (yaml_split.c), on its own:
 * positions count `line` (data[0]'s) on, and nothing is reported.  Returns
 * 0 when the whole part was read, -1 when something stopped it (a syntax
 * error, a limit, memory, fn); fn sees documents numbered from 0, built in
 * `into`. */
int kv_yaml_parse_part(const kvet_limits *lim, uint32_t src, const char *data, size_t len, uint32_t line,
                       kv_arena *into, kv_doc_fn fn, void *ud)
{
    loader L;
    memset(&L, 0, sizeof L);
    L.lim = lim;
    L.fixed_arena = into;
    L.src = src;
    L.data = data;
    L.len = len;
    L.line0 = line ? line - 1 : 0;
    int rc = run(&L, false, fn, ud);
    return rc < 0 || L.failed ? -1 : 0;
}
