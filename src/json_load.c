/*
 * json_load.c - JSON documents into kvet_value trees.
 *
 * cJSON does the parsing; it keeps no positions, so a small scanner walks
 * the same (already validated) text and records where every value starts,
 * in document order, which is the order of a pre-order walk of cJSON's
 * tree.  Integers are re-read from the text so 64-bit values stay exact.
 * Duplicate keys keep the last value, as Kubernetes' JSON decoder does,
 * with a warning.  A text may hold several values one after another
 * (`jq -c` output: objects separated by white space or nothing); each is
 * a document.  Offsets are size_t throughout: an input may be larger than
 * 2^31 bytes.
 */
#include <cjson/cJSON.h>
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "ctx.h"
#include "doc.h"
#include "value.h"

typedef struct jpos {
    uint32_t line, col;
    size_t off;
} jpos;

typedef struct jload {
    kvet_ctx *ctx;
    const char *name;
    uint32_t src;
    const char *data;
    size_t len;
    const kv_text *text;    /* data as excerpts quote it */
    kv_arena *arena;
    jpos *pos;
    size_t npos, next;
    int failed;
} jload;

/* ------------------------------------------------------ fast byte scans
 *
 * Every pass over a JSON text (the check, the positions, a window's spans)
 * spends most of its bytes inside strings and in indentation.  These read
 * them eight bytes at a time; each does what its byte-by-byte loop would. */

/* which byte of a word comes first in memory decides which end of a
 * mask names it: the word-at-a-time scans need little-endian order */
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define WORDWISE 1
#else
#define WORDWISE 0
#endif
#define ONES UINT64_C(0x0101010101010101)
#define HIGHS UINT64_C(0x8080808080808080)

static inline uint64_t load8(const char *p)
{
    uint64_t w;
    memcpy(&w, p, 8);
    return w;
}

/* The high bit of w's first zero byte is set, and no bit below it (bytes
 * after it may be flagged too: a scan takes the lowest). */
static inline uint64_t zero_bytes(uint64_t w)
{
    return (w - ONES) & ~w & HIGHS;
}

/* The first i' >= i below n where s[i'] ends a run of string bytes: a
 * quote, a backslash or a control byte (n when none). */
static inline size_t string_run(const char *s, size_t i, size_t n)
{
    while (WORDWISE && n - i >= 8) {
        uint64_t w = load8(s + i);
        /* a byte below 0x20: w - 0x20 sets its high bit; a byte of 0x80 or
         * above is taken out by ~w (the lowest flag is exact, as above) */
        uint64_t stop = ((w - ONES * 0x20) & ~w & HIGHS) | zero_bytes(w ^ (ONES * '"')) |
                        zero_bytes(w ^ (ONES * '\\'));
        if (stop)
            return i + (size_t)(__builtin_ctzll(stop) >> 3);
        i += 8;
    }
    while (i < n) {
        unsigned char c = (unsigned char)s[i];
        if (c == '"' || c == '\\' || c < 0x20)
            break;
        i++;
    }
    return i;
}

/* How many bytes of s[from..to) start a UTF-8 character (are not
 * continuation bytes): the columns they take.  s may be read up to `limit`
 * (at least to). */
static inline uint32_t char_count(const char *s, size_t from, size_t to, size_t limit)
{
    size_t i = from, cont = 0;
    if (!WORDWISE) {
        for (; i < to; i++)
            cont += ((unsigned char)s[i] & 0xC0) == 0x80;
        return (uint32_t)(to - from - cont);
    }
    /* continuation bytes are 10xxxxxx */
    for (; to - i >= 8; i += 8) {
        uint64_t w = load8(s + i);
        if (w & HIGHS)
            cont += (size_t)__builtin_popcountll((w >> 7) & ~(w >> 6) & ONES);
    }
    if (i < to) {
        uint64_t w = 0;
        if (limit - i >= 8)
            w = load8(s + i) & (~UINT64_C(0) >> (8 * (8 - (to - i)))); /* the bytes before `to` */
        else
            memcpy(&w, s + i, to - i);
        if (w & HIGHS)
            cont += (size_t)__builtin_popcountll((w >> 7) & ~(w >> 6) & ONES);
    }
    return (uint32_t)(to - from - cont);
}

/* Past the spaces at s[i], below n (indentation comes in long runs). */
static inline size_t space_run(const char *s, size_t i, size_t n)
{
    while (n - i >= 8 && load8(s + i) == ONES * ' ')
        i += 8;
    while (i < n && s[i] == ' ')
        i++;
    return i;
}

/* Past the blanks (space, tab, CR, LF) at s[i], below n. */
static inline size_t skip_blanks(const char *s, size_t i, size_t n)
{
    while (i < n) {
        char c = s[i];
        if (c == ' ') {
            i = space_run(s, i + 1, n);
        } else if (c == '\t' || c == '\r' || c == '\n') {
            i++;
        } else {
            break;
        }
    }
    return i;
}

/* Record the start of every value of the text from..to (one top-level
 * value, validated by cJSON), continuing the line and column count in
 * *line and *col.  The scanner never reads out of bounds. */
static int scan_positions(jload *J, size_t from, size_t to, uint32_t *line_io, uint32_t *col_io)
{
    size_t cap = 256;
    free(J->pos);
    J->npos = J->next = 0;
    J->pos = malloc(cap * sizeof *J->pos);
    if (!J->pos)
        return -1;
    /* container stack: 1 = object, 0 = array; depth bounded by cJSON's limit */
    unsigned char stack[CJSON_NESTING_LIMIT + 2];
    size_t depth = 0;
    bool want_value = true;
    uint32_t line = *line_io, col = *col_io;
    const char *s = J->data;
    size_t n = to, i = from;
    while (i < n) {
        unsigned char c = (unsigned char)s[i];
        if (c == '\n') {
            line++;
            col = 1;
            i++;
            continue;
        }
        if (c == ' ' || c == '\t' || c == '\r') {
            size_t e = space_run(s, i + 1, n);
            col += (uint32_t)(e - i);
            i = e;
            continue;
        }
        if (want_value && c != ']' && c != '}') {
            if (J->npos == cap) {
                cap *= 2;
                jpos *p = realloc(J->pos, cap * sizeof *p);
                if (!p)
                    return -1;
                J->pos = p;
            }
            J->pos[J->npos].line = line;
            J->pos[J->npos].col = col;
            J->pos[J->npos].off = i;
            J->npos++;
            want_value = false;
            if (c == '{' || c == '[') {
                if (depth >= sizeof stack)
                    return -1;
                stack[depth++] = c == '{';
                want_value = c == '[';
                i++;
                col++;
                continue;
            }
        }
        if (c == '"') {
            /* skip a string (a key or a scalar value) */
            i++;
            col++;
            while (i < n && s[i] != '"') {
                size_t run = string_run(s, i, n);
                if (run > i) {
                    col += char_count(s, i, run, n);
                    i = run;
                    continue;
                }
                if (s[i] == '\\' && i + 1 < n) {
                    i++;
                    col++;
                }
                if (((unsigned char)s[i] & 0xC0) != 0x80)
                    col++;
                i++;
            }
            i++;
            col++;
            continue;
        }
        switch (c) {
        case '{':
            if (depth >= sizeof stack)
                return -1;
            stack[depth++] = 1;
            break;
        case '[':
            if (depth >= sizeof stack)
                return -1;
            stack[depth++] = 0;
            want_value = true;
            break;
        case '}':
        case ']':
            if (depth)
                depth--;
            want_value = false; /* `[]` is a whole value: a comma after it starts no value */
            break;
        case ':':
            want_value = true;
            break;
        case ',':
            want_value = depth > 0 && stack[depth - 1] == 0;
            break;
        default:
            break;
        }
        if ((c & 0xC0) != 0x80)
            col++;
        i++;
    }
    *line_io = line;
    *col_io = col;
    return 0;
}

static kvet_value number_value(jload *J, const cJSON *item, jpos p)
{
    /* integral text that fits int64 stays an exact int */
    const char *t = J->data + p.off;
    size_t k = 0;
    while (p.off + k < J->len && (t[k] == '-' || (t[k] >= '0' && t[k] <= '9')))
        k++;
    bool integral = k > 0 && (p.off + k == J->len || (t[k] != '.' && t[k] != 'e' && t[k] != 'E'));
    if (integral && k < 24) {
        char buf[32];
        memcpy(buf, t, k);
        buf[k] = '\0';
        errno = 0;
        char *end;
        long long v = strtoll(buf, &end, 10);
        if (errno == 0 && *end == '\0')
            return kv_int(v);
    }
    return kv_float(item->valuedouble);
}

/* Items of an array or members of an object (cJSON counts in an int). */
static uint32_t child_count(jload *J, const cJSON *item, jpos p)
{
    size_t n = 0;
    for (const cJSON *c = item->child; c; c = c->next)
        n++;
    if (n > (1u << 30)) {
        kv_diag(J->ctx, KVET_SEV_ERROR, J->name, p.line, p.col, 1, kv_text_line(J->text, p.line),
                "collection too large");
        J->failed = 1;
        return 0;
    }
    return (uint32_t)n;
}

static kvet_value convert(jload *J, const cJSON *item, uint32_t depth)
{
    if (J->failed)
        return kv_absent();
    jpos p = {0, 0, 0};
    if (J->next < J->npos)
        p = J->pos[J->next++];
    if (depth > J->ctx->limits.max_depth) {
        kv_diag(J->ctx, KVET_SEV_ERROR, J->name, p.line, p.col, 1, kv_text_line(J->text, p.line),
                "document nested deeper than the limit of %u levels", J->ctx->limits.max_depth);
        J->failed = 1;
        return kv_absent();
    }
    kvet_value v = kv_absent();
    if (cJSON_IsNull(item)) {
        v = kv_null();
    } else if (cJSON_IsBool(item)) {
        v = kv_bool(cJSON_IsTrue(item));
    } else if (cJSON_IsNumber(item)) {
        v = number_value(J, item, p);
    } else if (cJSON_IsString(item)) {
        v = kv_string_value(J->arena, item->valuestring, strlen(item->valuestring));
        v.flags |= KVET_VF_QUOTED;
    } else if (cJSON_IsArray(item)) {
        uint32_t n = child_count(J, item, p);
        kvet_list *l = J->failed ? NULL : kv_list_new(J->arena, n);
        if (l) {
            uint32_t i = 0;
            for (const cJSON *c = item->child; c && i < n; c = c->next)
                l->items[i++] = convert(J, c, depth + 1);
            v = kv_list_value(l);
        }
    } else if (cJSON_IsObject(item)) {
        uint32_t n = child_count(J, item, p);
        kvet_map *m = J->failed ? NULL : kv_map_new(J->arena, n);
        if (m) {
            uint32_t k = 0;
            kv_keyset keys = {0};
            /* each duplicated key's first line: its entry takes the last
             * value, and with it that value's line */
            uint32_t *first = NULL;
            for (const cJSON *c = item->child; c; c = c->next) {
                kvet_value cv = convert(J, c, depth + 1);
                const char *key = c->string ? c->string : "";
                size_t kl = strlen(key);
                int64_t found = kv_keyset_find(&keys, m->e, k, key, kl);
                uint32_t j = found >= 0 ? (uint32_t)found : k;
                if (j < k) {
                    if (!first)
                        first = calloc(n, sizeof *first);
                    if (first && !first[j])
                        first[j] = m->e[j].val.line;
                    kv_diag(J->ctx, KVET_SEV_WARNING, J->name, cv.line, cv.col, 1,
                            kv_text_line(J->text, cv.line),
                            "duplicate key \"%s\" (first at line %u): the last value is used, as Kubernetes does", key,
                            first ? first[j] : m->e[j].val.line);
                    m->e[j].val = cv;
                    continue;
                }
                m->e[k].key = kv_string_new(J->arena, key, kl);
                if (!m->e[k].key) {
                    J->failed = 1;
                    break;
                }
                m->e[k].val = cv;
                k++;
            }
            kv_keyset_free(&keys);
            free(first);
            m->n = k;
            v = kv_map_value(m);
        }
    }
    if (v.type == KVET_ABSENT && !J->failed) {
        kv_diag(J->ctx, KVET_SEV_ERROR, J->name, p.line, p.col, 0, NULL, "out of memory");
        J->failed = 1;
    }
    v.src = J->src;
    v.line = p.line;
    v.col = p.col;
    return v;
}

/* Continue a line and column count from `from` to `to`, as scan_positions
 * counts (data may be read up to `to`).  Returns where the last line begins
 * when s[from..to) holds a line break, else SIZE_MAX. */
static size_t advance(const char *data, size_t from, size_t to, uint32_t *line, uint32_t *col)
{
    const char *p = data + from, *end = data + to, *nl;
    size_t last = SIZE_MAX;
    while (p < end && (nl = memchr(p, '\n', (size_t)(end - p))) != NULL) {
        (*line)++;
        *col = 1;
        p = nl + 1;
        last = (size_t)(p - data);
    }
    *col += char_count(data, (size_t)(p - data), to, to);
    return last;
}

static void position_of(const char *data, size_t off, uint32_t *line, uint32_t *col)
{
    *line = 1;
    *col = 1;
    advance(data, 0, off, line, col);
}

/* ------------------------------------------------ a check that builds nothing
 *
 * Before a large value is handed on in pieces it must be known to be valid
 * (an invalid one delivers nothing, and cJSON says where it fails).  This
 * check reads RFC 8259 JSON with cJSON's limits and is stricter than cJSON
 * where the two differ: only four white-space bytes, no raw control bytes
 * in strings, exactly four hex digits in \u escapes and whole surrogate
 * pairs, numbers of at most 63 bytes (cJSON's buffer) not followed by a
 * byte cJSON would read as part of them.  So what it accepts, cJSON reads
 * to the same end; what it refuses is left to cJSON, as before. */

typedef struct jkey {
    const char *p;
    size_t n;
} jkey;

typedef struct jcheck {
    jkey *keys;             /* keys of the objects open on the way down */
    size_t nkeys, capkeys;
    bool plain;             /* no key has an escape, no object a key twice */
} jcheck;

static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static int hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

static bool hex4(const char *s, size_t len, size_t i, unsigned *out)
{
    if (len - i < 4)
        return false;
    unsigned v = 0;
    for (size_t k = 0; k < 4; k++) {
        int h = hex_value(s[i + k]);
        if (h < 0)
            return false;
        v = v << 4 | (unsigned)h;
    }
    *out = v;
    return true;
}

/* A string at s[*i] (the opening quote); *i ends after the closing one. */
static bool check_string(const char *s, size_t len, size_t *io, bool *escaped)
{
    size_t i = *io + 1;
    *escaped = false;
    while ((i = string_run(s, i, len)) < len) {
        unsigned char c = (unsigned char)s[i];
        if (c == '"') {
            *io = i + 1;
            return true;
        }
        if (c < 0x20)
            return false;
        *escaped = true;
        if (i + 1 >= len)
            return false;
        char e = s[i + 1];
        if (e != 'u') {
            if (!strchr("\"\\/bfnrt", e) || e == '\0')
                return false;
            i += 2;
            continue;
        }
        unsigned code, low;
        if (!hex4(s, len, i + 2, &code) || (code >= 0xDC00 && code <= 0xDFFF))
            return false;
        i += 6;
        if (code >= 0xD800 && code <= 0xDBFF) {
            /* cJSON wants the low half right after the high one */
            if (len - i < 6 || s[i] != '\\' || s[i + 1] != 'u' || !hex4(s, len, i + 2, &low) || low < 0xDC00 ||
                low > 0xDFFF)
                return false;
            i += 6;
        }
    }
    return false;
}

static bool check_number(const char *s, size_t len, size_t *io)
{
    size_t i = *io, start = i;
    if (s[i] == '-')
        i++;
    if (i >= len || !is_digit(s[i]))
        return false;
    if (s[i] == '0')
        i++;
    else
        while (i < len && is_digit(s[i]))
            i++;
    if (i < len && s[i] == '.') {
        i++;
        if (i >= len || !is_digit(s[i]))
            return false;
        while (i < len && is_digit(s[i]))
            i++;
    }
    if (i < len && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        if (i < len && (s[i] == '+' || s[i] == '-'))
            i++;
        if (i >= len || !is_digit(s[i]))
            return false;
        while (i < len && is_digit(s[i]))
            i++;
    }
    /* cJSON copies at most 63 bytes of [0-9+-.eE] and reads them with strtod */
    if (i - start > 63 || (i < len && (is_digit(s[i]) || strchr("+-.eE", s[i]) != NULL) && s[i] != '\0'))
        return false;
    *io = i;
    return true;
}

static int key_cmp(const void *a, const void *b)
{
    const jkey *x = a, *y = b;
    if (x->n != y->n)
        return x->n < y->n ? -1 : 1;
    return memcmp(x->p, y->p, x->n);
}

/* The keys of an object from `base` on, at its end: a key twice makes the
 * value not plain (its duplicate-key warnings come in order only when the
 * value is converted whole). */
static void close_keys(jcheck *c, size_t base)
{
    size_t n = c->nkeys - base;
    if (n >= 2 && n <= 12 && c->plain) {
        /* most objects have a few keys: comparing each pair costs less
         * than sorting them */
        const jkey *k = c->keys + base;
        for (size_t a = 1; a < n && c->plain; a++)
            for (size_t b = 0; b < a; b++)
                if (k[a].n == k[b].n && !memcmp(k[a].p, k[b].p, k[a].n)) {
                    c->plain = false;
                    break;
                }
    } else if (n >= 2 && c->plain) {
        qsort(c->keys + base, n, sizeof *c->keys, key_cmp);
        for (size_t k = base + 1; k < c->nkeys; k++)
            if (!key_cmp(&c->keys[k - 1], &c->keys[k])) {
                c->plain = false;
                break;
            }
    }
    c->nkeys = base;
}

/* An object's key and its colon, from white space before the key on. */
static bool check_key(const char *s, size_t len, size_t *io, jcheck *c)
{
    size_t i = skip_blanks(s, *io, len);
    if (i >= len || s[i] != '"')
        return false;
    size_t start = i + 1;
    bool escaped;
    if (!check_string(s, len, &i, &escaped))
        return false;
    if (escaped)
        c->plain = false;
    if (c->plain) {
        if (c->nkeys == c->capkeys) {
            size_t cap = c->capkeys ? c->capkeys * 2 : 64;
            jkey *k = realloc(c->keys, cap * sizeof *k);
            if (!k) {
                /* without the keys duplicates cannot be ruled out */
                c->plain = false;
                goto colon;
            }
            c->keys = k;
            c->capkeys = cap;
        }
        c->keys[c->nkeys].p = s + start;
        c->keys[c->nkeys].n = i - 1 - start;
        c->nkeys++;
    }
colon:
    i = skip_blanks(s, i, len);
    if (i >= len || s[i] != ':')
        return false;
    *io = i + 1;
    return true;
}

/* Is s[i..len) one valid JSON value from i on (no white space before it)?
 * *end is where it ends. */
static bool json_check(const char *s, size_t len, size_t i, size_t *end, jcheck *c)
{
    struct {
        bool obj;
        size_t keybase;
    } frame[CJSON_NESTING_LIMIT];
    size_t depth = 0;
    bool want_value = true;
    c->nkeys = 0;
    c->plain = true;
    for (;;) {
        i = skip_blanks(s, i, len);
        if (i >= len)
            return false;
        char ch = s[i];
        if (want_value) {
            bool escaped;
            if (ch == '{' || ch == '[') {
                if (depth + 1 >= CJSON_NESTING_LIMIT)
                    return false;
                frame[depth].obj = ch == '{';
                frame[depth].keybase = c->nkeys;
                depth++;
                i = skip_blanks(s, i + 1, len);
                if (i < len && s[i] == (ch == '{' ? '}' : ']')) {
                    depth--;
                    i++;
                    goto value_done;
                }
                if (ch == '{' && !check_key(s, len, &i, c))
                    return false;
                continue;
            }
            if (ch == '"') {
                if (!check_string(s, len, &i, &escaped))
                    return false;
            } else if (ch == '-' || is_digit(ch)) {
                if (!check_number(s, len, &i))
                    return false;
            } else if (len - i >= 4 && !memcmp(s + i, "null", 4)) {
                i += 4;
            } else if (len - i >= 4 && !memcmp(s + i, "true", 4)) {
                i += 4;
            } else if (len - i >= 5 && !memcmp(s + i, "false", 5)) {
                i += 5;
            } else {
                return false;
            }
            goto value_done;
        }
        /* after a value inside a container */
        if (ch == ',') {
            i++;
            if (frame[depth - 1].obj && !check_key(s, len, &i, c))
                return false;
            want_value = true;
            continue;
        }
        if (ch != (frame[depth - 1].obj ? '}' : ']'))
            return false;
        i++;
        depth--;
        if (frame[depth].obj)
            close_keys(c, frame[depth].keybase);
    value_done:
        if (depth == 0) {
            *end = i;
            return true;
        }
        want_value = false;
    }
}

/* The end of the valid value at s[i] (json_check has read it). */
static size_t skip_value(const char *s, size_t len, size_t i)
{
    size_t depth = 0;
    do {
        char ch = s[i];
        if (ch == '"') {
            for (i++; i < len && s[i] != '"'; i++)
                if (s[i] == '\\')
                    i++;
            i++;
        } else if (ch == '{' || ch == '[') {
            depth++;
            i++;
        } else if (ch == '}' || ch == ']') {
            depth--;
            i++;
        } else if (depth == 0) {
            /* a scalar on its own: up to the next delimiter */
            while (i < len && !is_space(s[i]) && s[i] != ',' && s[i] != ']' && s[i] != '}')
                i++;
        } else {
            i++;
        }
    } while (depth > 0 && i < len);
    return i;
}

/* ---------------------------------------------------------- conversion */

static void syntax_error(kvet_ctx *ctx, const char *name, const char *data, size_t len, size_t at)
{
    uint32_t eline, ecol;
    position_of(data, at, &eline, &ecol);
    const char *what = at >= len ? "unexpected end of input" : "unexpected character";
    if (at < len && (unsigned char)data[at] >= 0x20 && (unsigned char)data[at] < 0x7f)
        kv_diag(ctx, KVET_SEV_ERROR, name, eline, ecol, 1, kv_line_start(data, len, eline), "invalid JSON: %s '%c'",
                what, data[at]);
    else
        kv_diag(ctx, KVET_SEV_ERROR, name, eline, ecol, 1, kv_line_start(data, len, eline), "invalid JSON: %s",
                what);
}

/* Convert the valid value data[a..b) into J->arena; *line and *col are the
 * position of a and become that of b.  Returns -1 after reporting. */
static int convert_span(jload *J, size_t a, size_t b, uint32_t *line, uint32_t *col, uint32_t depth,
                        kvet_value *out)
{
    const char *end = NULL;
    cJSON *root = cJSON_ParseWithLengthOpts(J->data + a, b - a, &end, 0);
    if (!root) {
        size_t at = end && end >= J->data + a && end <= J->data + b ? (size_t)(end - J->data) : a;
        syntax_error(J->ctx, J->name, J->data, J->len, at);
        return -1;
    }
    if (scan_positions(J, a, b, line, col) < 0) {
        kv_diag(J->ctx, KVET_SEV_ERROR, J->name, 0, 0, 0, NULL, "out of memory");
        cJSON_Delete(root);
        return -1;
    }
    J->failed = 0;
    *out = convert(J, root, depth);
    cJSON_Delete(root);
    return J->failed ? -1 : 0;
}

static kv_arena *arena_new(void)
{
    kv_arena *a = malloc(sizeof *a);
    if (a)
        kv_arena_init(a);
    return a;
}

static void arena_drop(kv_arena *a)
{
    if (a) {
        kv_arena_free(a);
        free(a);
    }
}

typedef struct jmember {
    size_t key, keylen;     /* raw key bytes (a plain value's keys have no escapes) */
    size_t val, valend;
    kvet_value v;           /* converted, except the List's items */
} jmember;

/* ------------------------------------------------------------- pieces */

/* Member k of a List's members, built once in its shell arena (the items'
 * value is left as it is): false when out of memory. */
static bool shell_set(kv_arena *shell, kvet_map *m, size_t k, const char *key, size_t keylen, kvet_value v)
{
    m->e[k].key = kv_string_new(shell, key, keylen);
    m->e[k].val = v;
    return m->e[k].key != NULL;
}

/* Where a piece's parts come from: the List's members (NULL for a
 * top-level array) with its items at `items`, the list's '[' and the
 * document's start. */
typedef struct jshell {
    const kvet_map *members;
    size_t items;
    uint32_t lline, lcol, line0, col0, docindex;
} jshell;

/* Hand on piece n: the document cut down to `item`, built in arena a, which
 * fn may take.  -1 after reporting or when fn stopped, else 1 when fn took
 * the arena; when it did not, the arena is freed, or left to the caller
 * (to empty for another item) when `reuse` is set. */
static int hand_piece(jload *J, kv_arena *a, kvet_value item, const jshell *sh, uint32_t n, kv_doc_fn fn, void *ud,
                      bool reuse)
{
    const kvet_map *sm = sh->members;
    kvet_list *l = kv_list_new(a, 1);
    kvet_map *root = l && sm ? kv_map_new(a, sm->n) : NULL;
    bool oom = !l || (sm && !root);
    kvet_value lv = kv_absent(), doc_root;
    if (!oom) {
        l->items[0] = item;
        lv = kv_list_value(l);
        lv.src = J->src;
        lv.line = sh->lline;
        lv.col = sh->lcol;
    }
    for (uint32_t k = 0; !oom && root && k < sm->n; k++) {
        root->e[k].key = kv_string_new(a, sm->e[k].key->data, sm->e[k].key->len);
        root->e[k].val = k == sh->items ? lv : kv_value_copy(a, sm->e[k].val, &oom);
        oom = oom || !root->e[k].key;
    }
    if (oom) {
        kv_diag(J->ctx, KVET_SEV_ERROR, J->name, 0, 0, 0, NULL, "out of memory");
        if (!reuse)
            arena_drop(a);
        return -1;
    }
    if (root) {
        doc_root = kv_map_value(root);
        doc_root.src = J->src;
        doc_root.line = sh->line0;
        doc_root.col = sh->col0;
    } else {
        doc_root = lv;
    }
    kv_doc doc = {doc_root, J->src, sh->line0, sh->col0, sh->docindex, a, n ? KV_PIECE_NEXT : KV_PIECE_FIRST};
    int took = fn(ud, &doc);
    if (took != 1 && !reuse)
        arena_drop(a);
    return took < 0 ? -1 : took == 1;
}

/* NO_HELPERS: win_items_shared could not start a helper (nothing read) */
enum { NOT_PIECED = 1, NO_HELPERS = 2 };

/* Hand on the valid, plain value data[off..vend) item by item when it is a
 * top-level array or a List with items, so that only one item is held at a
 * time (manifest.c takes these apart the same way whole).  *line and *col,
 * the position of off, become that of vend.  Returns NOT_PIECED (nothing
 * done, the caller converts the value whole), 0, or -1 (reported, or fn
 * stopped). */
static int load_pieces(jload *J, size_t off, size_t vend, uint32_t *line, uint32_t *col, uint32_t docindex,
                       kv_doc_fn fn, void *ud)
{
    const char *s = J->data;
    size_t len = vend, i;
    jmember *mem = NULL;
    size_t nmem = 0, capmem = 0, items = SIZE_MAX;
    kv_arena *shell = NULL;
    const kvet_map *members = NULL;  /* a List's, in shell */
    int rc = 0;
    uint32_t line0 = *line, col0 = *col;
    uint32_t lline = line0, lcol = col0;    /* the position of the list to take apart */
    size_t lopen = off;                     /* its '[' */
    if (s[off] == '{') {
        /* a List: its members, plain keys, kind ending in List and items not empty */
        i = off + 1;
        while (is_space(s[i]))
            i++;
        if (s[i] == '}')
            return NOT_PIECED;
        bool list_kind = false;
        for (;;) {
            while (is_space(s[i]))
                i++;
            if (nmem == capmem) {
                size_t cap = capmem ? capmem * 2 : 8;
                jmember *m = realloc(mem, cap * sizeof *m);
                if (!m) {
                    free(mem);
                    return NOT_PIECED;
                }
                mem = m;
                capmem = cap;
            }
            jmember *m = &mem[nmem++];
            memset(m, 0, sizeof *m);
            m->key = i + 1;
            i++;
            while (s[i] != '"')
                i++;
            m->keylen = i - m->key;
            i++;
            while (is_space(s[i]) || s[i] == ':')
                i++;
            m->val = i;
            m->valend = i = skip_value(s, len, i);
            if (m->keylen == 4 && !memcmp(s + m->key, "kind", 4) && s[m->val] == '"') {
                size_t n = m->valend - m->val - 2;
                list_kind = n >= 4 && !memchr(s + m->val + 1, '\\', n) && !memcmp(s + m->valend - 5, "List", 4);
            }
            if (m->keylen == 5 && !memcmp(s + m->key, "items", 5))
                items = s[m->val] == '[' ? nmem - 1 : SIZE_MAX;
            while (is_space(s[i]))
                i++;
            if (s[i] == '}')
                break;
            i++; /* the comma */
        }
        if (items != SIZE_MAX) {
            size_t k = mem[items].val + 1;
            while (is_space(s[k]))
                k++;
            if (s[k] == ']')
                items = SIZE_MAX;
        }
        if (!list_kind || items == SIZE_MAX) {
            free(mem);
            return NOT_PIECED;
        }
        /* the List's other members, converted once and copied into each piece */
        shell = arena_new();
        if (!shell) {
            kv_diag(J->ctx, KVET_SEV_ERROR, J->name, 0, 0, 0, NULL, "out of memory");
            free(mem);
            return -1;
        }
        J->arena = shell;
        size_t at = off;
        for (size_t k = 0; k < nmem; k++) {
            advance(s, at, mem[k].val, line, col);
            if (k == items) {
                lopen = mem[k].val;
                lline = *line;
                lcol = *col;
                advance(s, mem[k].val, mem[k].valend, line, col);
            } else if (convert_span(J, mem[k].val, mem[k].valend, line, col, 2, &mem[k].v) < 0) {
                arena_drop(shell);
                free(mem);
                return -1;
            }
            at = mem[k].valend;
        }
        advance(s, at, vend, line, col);
        kvet_map *sm = kv_map_new(shell, (uint32_t)nmem);
        bool ok = sm != NULL;
        for (size_t k = 0; ok && k < nmem; k++)
            ok = shell_set(shell, sm, k, s + mem[k].key, mem[k].keylen, mem[k].v);
        if (!ok) {
            kv_diag(J->ctx, KVET_SEV_ERROR, J->name, 0, 0, 0, NULL, "out of memory");
            arena_drop(shell);
            free(mem);
            return -1;
        }
        members = sm;
    } else {
        i = off + 1;
        while (is_space(s[i]))
            i++;
        if (s[i] == ']')
            return NOT_PIECED;
        advance(s, off, vend, line, col);
    }
    /* the items, one piece each */
    uint32_t iline = lline, icol = lcol;
    size_t at = lopen;
    i = lopen + 1;
    uint32_t depth = items == SIZE_MAX ? 2 : 3;
    for (uint32_t n = 0;; n++) {
        while (is_space(s[i]))
            i++;
        size_t b = skip_value(s, len, i);
        advance(s, at, i, &iline, &icol);
        kv_arena *a = arena_new();
        J->arena = a;
        kvet_value item = kv_absent();
        if (!a) {
            kv_diag(J->ctx, KVET_SEV_ERROR, J->name, 0, 0, 0, NULL, "out of memory");
            rc = -1;
            break;
        }
        if (convert_span(J, i, b, &iline, &icol, depth, &item) < 0) {
            arena_drop(a);
            rc = -1;
            break;
        }
        jshell sh = {members, items, lline, lcol, line0, col0, docindex};
        if (hand_piece(J, a, item, &sh, n, fn, ud, false) < 0) {
            rc = -1;
            break;
        }
        at = i = b;
        while (is_space(s[i]))
            i++;
        if (s[i] == ']')
            break;
        i++; /* the comma */
    }
    J->arena = NULL;
    arena_drop(shell);
    free(mem);
    return rc;
}

int kv_load_json(kvet_ctx *ctx, const char *name, uint32_t src, const char *data, size_t len,
                 kv_doc_fn fn, void *ud);

/* Is data[i..len) one valid JSON value?  *end is where it ends.  The
 * check of this file first (no tree built), cJSON for what it refuses. */
bool kv_json_value_end(const char *data, size_t len, size_t i, size_t *end);

bool kv_json_value_end(const char *data, size_t len, size_t i, size_t *end)
{
    jcheck chk = {NULL, 0, 0, true};
    bool ok = json_check(data, len, i, end, &chk);
    free(chk.keys);
    if (ok)
        return true;
    const char *e = NULL;
    cJSON *v = cJSON_ParseWithLengthOpts(data + i, len - i, &e, 0);
    if (!v)
        return false;
    cJSON_Delete(v);
    *end = (size_t)(e - data);
    return true;
}

int kv_load_json(kvet_ctx *ctx, const char *name, uint32_t src, const char *data, size_t len,
                 kv_doc_fn fn, void *ud)
{
    const char *end = NULL;
    uint32_t line, col;
    /* refuse deep nesting before cJSON does, with a message that says so */
    {
        size_t depth = 0;
        bool in_str = false;
        for (size_t i = 0; i < len; i++) {
            char c = data[i];
            if (in_str) {
                if (c == '\\')
                    i++;
                else if (c == '"')
                    in_str = false;
            } else if (c == '"') {
                in_str = true;
            } else if (c == '[' || c == '{') {
                if (++depth > ctx->limits.max_depth || depth >= CJSON_NESTING_LIMIT) {
                    position_of(data, i, &line, &col);
                    kv_diag(ctx, KVET_SEV_ERROR, name, line, col, 1, kv_line_start(data, len, line),
                            "document nested deeper than the limit of %u levels",
                            ctx->limits.max_depth < CJSON_NESTING_LIMIT ? ctx->limits.max_depth : CJSON_NESTING_LIMIT - 1);
                    return -1;
                }
            } else if ((c == ']' || c == '}') && depth) {
                depth--;
            }
        }
    }
    jload J;
    memset(&J, 0, sizeof J);
    jcheck chk = {NULL, 0, 0, true};
    kv_line_cursor cursor = {NULL, 0, 0, 0};
    kv_text text = {data, len, 1, false, NULL, 0, &cursor};
    J.ctx = ctx;
    J.name = name;
    J.src = src;
    J.data = data;
    J.len = len;
    J.text = &text;
    int rc = 0;
    uint32_t docindex = 0;
    size_t off = 0;
    line = 1;
    col = 1;
    /* one document per value, values one after another */
    for (;;) {
        while (off < len && (data[off] == ' ' || data[off] == '\t' || data[off] == '\r' || data[off] == '\n')) {
            if (data[off] == '\n') {
                line++;
                col = 1;
            } else {
                col++;
            }
            off++;
        }
        if (off >= len)
            break;
        /* an array or a List is taken apart item by item when that changes
         * nothing: it is valid, and no duplicate key warns of its items */
        size_t vend;
        if ((data[off] == '[' || data[off] == '{') && json_check(data, len, off, &vend, &chk) && chk.plain) {
            int r = load_pieces(&J, off, vend, &line, &col, docindex, fn, ud);
            if (r != NOT_PIECED) {
                docindex++;
                off = vend;
                if (r < 0) {
                    rc = -1;
                    break;
                }
                continue;
            }
        }
        cJSON *root = cJSON_ParseWithLengthOpts(data + off, len - off, &end, 0);
        if (!root) {
            size_t at = end && end >= data + off && end <= data + len ? (size_t)(end - data) : off;
            syntax_error(ctx, name, data, len, at);
            rc = -1;
            break;
        }
        size_t value_end = (size_t)(end - data);
        if (scan_positions(&J, off, value_end, &line, &col) < 0) {
            kv_diag(ctx, KVET_SEV_ERROR, name, 0, 0, 0, NULL, "out of memory");
            cJSON_Delete(root);
            rc = -1;
            break;
        }
        off = value_end;
        J.failed = 0;
        J.arena = malloc(sizeof *J.arena);
        if (!J.arena) {
            kv_diag(ctx, KVET_SEV_ERROR, name, 0, 0, 0, NULL, "out of memory");
            cJSON_Delete(root);
            rc = -1;
            break;
        }
        kv_arena_init(J.arena);
        kvet_value v = convert(&J, root, 1);
        cJSON_Delete(root);
        if (J.failed) {
            kv_arena_free(J.arena);
            free(J.arena);
            rc = -1;
            break;
        }
        kv_doc doc = {v, src, v.line, v.col, docindex++, J.arena, 0};
        int took = fn(ud, &doc);
        if (took != 1) {
            kv_arena_free(J.arena);
            free(J.arena);
        }
        if (took < 0) {
            rc = -1;
            break;
        }
    }
    free(J.pos);
    free(chk.keys);
    return rc;
}

/* ------------------------------------------------------ a file in a window
 *
 * A large .json file that is one array or List (`kubectl get -o json` of a
 * cluster) is read through a window instead of whole.  A first pass checks
 * what load_pieces would take apart (the List's own members, then every
 * item: each a valid, plain value, nested within the limits) and keeps the
 * List's members and the lines they are on; a second pass reads the file
 * again from its list on and hands the items on one at a time.  Only the
 * item being read is held, and the line it starts on.  Whatever else a file
 * holds is left to the whole text (KV_NOT_WINDOWED). */

typedef struct jwin {
    FILE *f;
    char *buf;
    size_t cap, end;        /* buf[0..end) holds the file from byte `base` on; buf[end] is NUL */
    size_t base;
    size_t cur;             /* the next byte */
    uint32_t line, col;     /* where buf[cur] is */
    size_t lstart;          /* where line `line` starts in buf, or SIZE_MAX: before buf[0] */
    size_t chunk;
    bool eof, ioerr, oom;
    int read_errno;         /* errno of the read that failed (ioerr) */
    kv_text text;           /* buf as excerpts quote it */
    kv_kept_line *kept;     /* the List's lines, then the current line when it starts before buf */
    size_t nkept, nfixed;   /* nfixed: the List's */
} jwin;

/* An excerpt quotes up to KEPT_LINE_MAX bytes of a line and looks at the
 * bytes after them for a line break (up to three bytes: NEL, LS, PS, CRLF),
 * so a line is kept, and read ahead, for EXCERPT_READ bytes. */
enum { KEPT_LINE_MAX = 4096, EXCERPT_READ = KEPT_LINE_MAX + 3, LONG_LINE = 65536 };

static void win_view(jwin *w)
{
    w->text.data = w->buf;
    w->text.len = w->end;
    w->text.kept = w->kept;
    w->text.nkept = w->nkept;
}

/* Read more of the file: false at its end or on an error. */
static bool win_fill(jwin *w)
{
    if (w->eof || w->ioerr || w->oom)
        return false;
    size_t n = kv_read_more(w->f, &w->buf, &w->cap, &w->end, w->chunk, &w->oom);
    if (n < w->chunk && !w->oom) {
        if (ferror(w->f)) {
            w->ioerr = true;
            w->read_errno = errno;
        } else {
            w->eof = true;
        }
    }
    win_view(w);
    return n > 0;
}

static int win_more(jwin *w, size_t i)
{
    while (i >= w->end)
        if (!win_fill(w))
            return -1;
    return (unsigned char)w->buf[i];
}

/* The byte at buf[i], reading as far as it; -1 past the end. */
static inline int win_at(jwin *w, size_t i)
{
    return i < w->end ? (unsigned char)w->buf[i] : win_more(w, i);
}

/* Consume up to buf[to], counting lines and columns as advance() does. */
static void win_take(jwin *w, size_t to)
{
    size_t last = advance(w->buf, w->cur, to, &w->line, &w->col);
    if (last != SIZE_MAX)
        w->lstart = last;
    w->cur = to;
}

static void win_space(jwin *w)
{
    int c;
    while ((c = win_at(w, w->cur)) == ' ' || c == '\t' || c == '\r' || c == '\n')
        win_take(w, skip_blanks(w->buf, w->cur, w->end));
}

/* The text of the line starting at buf[from], as an excerpt takes it. */
static char *win_line_text(jwin *w, size_t from)
{
    size_t e = from;
    int c;
    while (e - from < EXCERPT_READ && (c = win_at(w, e)) >= 0 && c != '\n')
        e++;
    char *t = malloc(e - from + 1);
    if (t) {
        memcpy(t, w->buf + from, e - from);
        t[e - from] = '\0';
    }
    return t;
}

/* Keep line `line` (starting at buf[from], or before the window when from
 * is SIZE_MAX) for excerpts: for the whole read (fixed: the List's lines),
 * or as the one line the window has lost the start of. */
static bool win_keep_line(jwin *w, uint32_t line, size_t from, bool fixed)
{
    for (size_t i = 0; i < w->nkept; i++)
        if (w->kept[i].line == line) {
            if (fixed && i >= w->nfixed)
                w->nfixed = w->nkept; /* the lost line's start, now the List's too */
            return true;
        }
    /* the lost line's start is not needed past its line */
    while (w->nkept > w->nfixed)
        free(w->kept[--w->nkept].text);
    win_view(w);
    if (from == SIZE_MAX)
        return true;
    kv_kept_line *k = realloc(w->kept, (w->nkept + 1) * sizeof *k);
    if (!k) {
        w->oom = true;
        return false;
    }
    w->kept = k;
    k[w->nkept].line = line;
    if (!(k[w->nkept].text = win_line_text(w, from))) {
        w->oom = true;
        return false;
    }
    w->nkept++;
    if (fixed)
        w->nfixed = w->nkept;
    win_view(w);
    return true;
}

/* Forget what is before the line of buf[at] (line `line`, starting at
 * buf[lstart], or before buf[0] when lstart is SIZE_MAX), or on a very long
 * line what is before buf[at], keeping the line's start aside: done between
 * values, once a chunk's worth of the window is read.  `at` is the value
 * being read (win_drop), or the oldest one not handed on yet when helpers
 * convert items (their lines stay for the excerpts fn quotes). */
static bool win_drop_at(jwin *w, size_t at, uint32_t line, size_t lstart)
{
    if (at < w->chunk)
        return true;
    size_t keep = lstart;
    if (keep == SIZE_MAX || at - keep > LONG_LINE) {
        /* the line's start leaves the window: keep it aside */
        if (keep != SIZE_MAX && !win_keep_line(w, line, keep, false))
            return false;
        keep = at;
    }
    if (keep == 0)
        return true;
    memmove(w->buf, w->buf + keep, w->end - keep + 1);
    w->base += keep;
    w->end -= keep;
    w->cur -= keep;
    /* the line being read: still in the window, or its start lost */
    w->lstart = w->lstart != SIZE_MAX && w->lstart >= keep ? w->lstart - keep : SIZE_MAX;
    w->text.line = line;
    w->text.mid_line = lstart != keep;
    win_view(w);
    return true;
}

static bool win_drop(jwin *w)
{
    return win_drop_at(w, w->cur, w->line, w->lstart);
}

/* Read the window on to the end of the line buf[b] is on (EXCERPT_READ
 * bytes at most): the lines of an excerpt of a value ending there end in
 * the window too. */
static void win_hold_line_end(jwin *w, size_t b)
{
    for (size_t k = b; k - b < EXCERPT_READ; k++) {
        int c = win_at(w, k);
        if (c < 0 || c == '\n')
            break;
    }
}

/* Find the end of the value at buf[cur] (not consumed): *b.  False when
 * it is cut short, or nested deeper than `room` levels. */
static bool win_span(jwin *w, size_t *b, size_t room)
{
    size_t i = w->cur, depth = 0;
    int c = win_at(w, i);
    if (c < 0)
        return false;
    if (c != '"' && c != '[' && c != '{') {
        /* a number or a word: up to the next delimiter */
        while ((c = win_at(w, i)) >= 0 && c != ',' && c != ']' && c != '}' && c != ' ' && c != '\t' &&
               c != '\r' && c != '\n')
            i++;
        *b = i;
        return i > w->cur;
    }
    /* a string or a container: its bytes as the window holds them, the
     * window read on when they run out (win_more may move the buffer) */
    bool in_str = false;
    for (;;) {
        if (i >= w->end && win_more(w, i) < 0)
            return false;
        const char *s = w->buf;
        size_t end = w->end;
        while (i < end) {
            if (in_str) {
                i = string_run(s, i, end);
                if (i >= end)
                    break;
                if (s[i] == '\\') {
                    i += 2; /* the escaped byte is not looked at */
                } else if (s[i++] == '"') {
                    in_str = false;
                    if (depth == 0) {
                        *b = i;
                        return true;
                    }
                }
                continue;
            }
            switch (s[i++]) {
            case '"':
                in_str = true;
                break;
            case '[':
            case '{':
                if (++depth > room)
                    return false;
                break;
            case ']':
            case '}':
                if (depth == 0)
                    return false;
                if (--depth == 0) {
                    *b = i;
                    return true;
                }
                break;
            case ' ':
                i = space_run(s, i, end);
                break;
            default:
                break;
            }
        }
    }
}

/* Is the value at buf[cur] valid and plain, within `room` levels of
 * nesting?  *b is its end. */
static bool win_value(jwin *w, size_t *b, size_t room)
{
    if (!win_span(w, b, room))
        return false;
    win_hold_line_end(w, *b);
    jcheck chk = {NULL, 0, 0, true};
    size_t vend;
    bool ok = json_check(w->buf, *b, w->cur, &vend, &chk) && vend == *b && chk.plain;
    free(chk.keys);
    return ok;
}

/* A member of a List other than its items, kept from the first pass. */
typedef struct jwmember {
    char *key;
    size_t keylen;
    char *text;             /* its value */
    size_t len;
    uint32_t line, col;     /* where the value starts */
    kvet_value v;
} jwmember;

typedef struct jwplan {
    bool list;              /* a List (else a top-level array) */
    uint32_t line0, col0;   /* where the value starts */
    size_t open;            /* the file offset of its list's '[' */
    uint32_t oline, ocol;
    jwmember *mem;
    size_t nmem, items;     /* items: the index of `items` among the members */
} jwplan;

static void plan_free(jwplan *p)
{
    for (size_t i = 0; i < p->nmem; i++) {
        free(p->mem[i].key);
        free(p->mem[i].text);
    }
    free(p->mem);
}

/* How deep a value may nest from the top, as the whole text's check counts. */
static size_t win_room(const kvet_ctx *ctx)
{
    return ctx->limits.max_depth < CJSON_NESTING_LIMIT - 1 ? ctx->limits.max_depth : CJSON_NESTING_LIMIT - 1;
}

/* The second pass cannot go on: say why, at the window's position. */
static int read_failed(jload *J, bool oom, bool ioerr, int read_errno, uint32_t line, uint32_t col)
{
    if (oom)
        kv_diag(J->ctx, KVET_SEV_ERROR, J->name, 0, 0, 0, NULL, "out of memory");
    else if (ioerr)
        kv_diag(J->ctx, KVET_SEV_ERROR, J->name, 0, 0, 0, NULL, "cannot read: %s", strerror(read_errno));
    else
        kv_diag(J->ctx, KVET_SEV_ERROR, J->name, line, col, 0, NULL, "the file changed while it was read");
    return -1;
}

static int win_failed(jwin *w, jload *J)
{
    return read_failed(J, w->oom, w->ioerr, w->read_errno, w->line, w->col);
}

/* Convert the item at buf[a..b), which starts at line, col, into *arena
 * (made when NULL, emptied when not) as the serial loop does: -1 after
 * reporting. */
static int convert_here(jwin *w, jload *J, size_t a, size_t b, uint32_t line, uint32_t col, uint32_t depth,
                        kv_arena **arena, kvet_value *out)
{
    if (*arena)
        kv_arena_reset(*arena);
    else if (!(*arena = arena_new())) {
        w->oom = true;
        return win_failed(w, J);
    }
    J->arena = *arena;
    J->data = w->buf;
    J->len = w->end;
    int rc = convert_span(J, a, b, &line, &col, depth, out);
    J->arena = NULL;
    return rc;
}

/* Convert the item at buf[cur..b) into an arena of its own and hand it on
 * as piece n: -1 after reporting or when fn stopped. */
static int win_hand_on(jwin *w, jload *J, size_t b, uint32_t depth, const jshell *sh, uint32_t n, kv_doc_fn fn,
                       void *ud)
{
    kv_arena *a = NULL;
    kvet_value item;
    if (convert_here(w, J, w->cur, b, w->line, w->col, depth, &a, &item) < 0) {
        arena_drop(a);
        return -1;
    }
    return hand_piece(J, a, item, sh, n, fn, ud, false) < 0 ? -1 : 0;
}

/* ------------------------------------------- items converted by helpers
 *
 * A cluster's List is one file, and a file is read by one thread.  With
 * helpers (kv_json_plan_file's threads), the second pass shares the work: the
 * calling thread reads the window, finds where each item ends and hands the
 * items on in order, as without helpers, while helper threads check and
 * convert copies of the items of the batches after.  fn sees the same
 * documents, in the same order and from the same thread, and the window
 * keeps the lines of every item not handed on yet, so the excerpts it
 * quotes are those it would quote without helpers.  An item a helper
 * could not convert without a word (nested too deep, out of memory) is
 * converted again by the calling thread, which reports as it would have;
 * an item larger than a batch is converted there too, in its turn. */

enum { BATCH_ITEMS = 256, BATCH_BYTES = 256 << 10, HELPERS_MAX = 8 };
enum { B_FREE, B_QUEUED, B_TAKEN, B_DONE };
enum { ITEM_OK, ITEM_CHANGED, ITEM_FAILED, ITEM_OOM };

typedef struct jitem {
    size_t off, len;           /* its bytes in the batch's copy (a NUL after them) */
    size_t at, lstart;         /* file offsets: where it starts, where its line starts (SIZE_MAX: not held) */
    uint32_t line, col;        /* where it starts */
    kv_arena *arena;           /* its tree, or NULL */
    kvet_value v;
    kvet_diag *diags;          /* what converting it reported */
    size_t ndiags;
    int state;                 /* ITEM_* */
    bool oom, ioerr;           /* the window's state once it was read (for win_failed's words) */
    int read_errno;
} jitem;

typedef struct jbatch {
    char *bytes;
    size_t len, cap;
    jitem items[BATCH_ITEMS];
    uint32_t n;
    int state;                 /* B_* */
} jbatch;

typedef struct jhelpers {
    pthread_mutex_t mu;
    pthread_cond_t work, done;
    jbatch *ring;              /* in input order from head on: queued or converted, then the one filled */
    uint32_t nring, head, count, take;
    bool stop;
    pthread_t threads[HELPERS_MAX];
    unsigned nthreads;
    const kvet_limits *lim;
    const char *name;
    uint32_t src, depth;
} jhelpers;

static void helper_convert(jhelpers *h, kvet_ctx *tctx, jload *J, jbatch *b)
{
    /* no excerpts: an item that reports anything is converted again by
     * the calling thread, with the window's lines (helpers_hand_on) */
    static const kv_text none = {NULL, 0, UINT32_MAX, true, NULL, 0, NULL};
    for (uint32_t i = 0; i < b->n; i++) {
        jitem *it = &b->items[i];
        const char *s = b->bytes + it->off;
        jcheck chk = {NULL, 0, 0, true};
        size_t vend;
        bool ok = json_check(s, it->len, 0, &vend, &chk) && vend == it->len && chk.plain;
        free(chk.keys);
        if (!ok) {
            it->state = ITEM_CHANGED;
            continue;
        }
        if (!tctx || (!it->arena && !(it->arena = arena_new()))) {
            it->state = ITEM_OOM;
            continue;
        }
        J->arena = it->arena;
        J->ctx = tctx;
        J->name = h->name;
        J->src = h->src;
        J->text = &none;
        J->data = s;
        J->len = it->len;
        uint32_t line = it->line, col = it->col;
        if (convert_span(J, 0, it->len, &line, &col, h->depth, &it->v) < 0)
            it->state = ITEM_FAILED;
        J->arena = NULL;
        if (kvet_diag_count(tctx) && !kv_diag_detach(tctx, 0, &it->diags, &it->ndiags))
            it->state = ITEM_OOM;
    }
}

static void *helper_main(void *arg)
{
    jhelpers *h = arg;
    kvet_ctx *tctx = kvet_ctx_new();
    if (tctx)
        kvet_ctx_set_limits(tctx, h->lim);
    jload J;
    memset(&J, 0, sizeof J);
    pthread_mutex_lock(&h->mu);
    for (;;) {
        while (!h->stop && h->ring[h->take].state != B_QUEUED)
            pthread_cond_wait(&h->work, &h->mu);
        if (h->stop)
            break;
        jbatch *b = &h->ring[h->take];
        b->state = B_TAKEN;
        h->take = (h->take + 1) % h->nring;
        pthread_mutex_unlock(&h->mu);
        helper_convert(h, tctx, &J, b);
        pthread_mutex_lock(&h->mu);
        b->state = B_DONE;
        pthread_cond_broadcast(&h->done);
    }
    pthread_mutex_unlock(&h->mu);
    free(J.pos);
    kvet_ctx_free(tctx);
    return NULL;
}

/* Start up to threads - 1 helpers (the calling thread is the other);
 * false when none started: the items are then converted as they come. */
static bool helpers_start(jhelpers *h, unsigned threads, jload *J, uint32_t depth)
{
    memset(h, 0, sizeof *h);
    unsigned want = threads - 1 < HELPERS_MAX ? threads - 1 : HELPERS_MAX;
    /* a batch filled, one handed on, and one for each helper */
    h->nring = want + 2;
    if (!(h->ring = calloc(h->nring, sizeof *h->ring)))
        return false;
    h->lim = &J->ctx->limits;
    h->name = J->name;
    h->src = J->src;
    h->depth = depth;
    pthread_mutex_init(&h->mu, NULL);
    pthread_cond_init(&h->work, NULL);
    pthread_cond_init(&h->done, NULL);
    for (unsigned k = 0; k < want; k++)
        if (pthread_create(&h->threads[h->nthreads], NULL, helper_main, h) == 0)
            h->nthreads++;
    if (h->nthreads)
        return true;
    pthread_mutex_destroy(&h->mu);
    pthread_cond_destroy(&h->work);
    pthread_cond_destroy(&h->done);
    free(h->ring);
    return false;
}

/* Empty a batch's items for reuse; their arenas stay, emptied, unless `all`. */
static void batch_clear(jbatch *b, bool all)
{
    /* an item past n is empty already (its arena too); freeing takes them all */
    for (uint32_t i = 0; i < (all ? BATCH_ITEMS : b->n); i++) {
        jitem *it = &b->items[i];
        kv_arena *a = it->arena;
        if (a && all)
            arena_drop(a);
        else if (a)
            kv_arena_reset(a);
        for (size_t k = 0; k < it->ndiags; k++)
            kv_diag_release(&it->diags[k]);
        free(it->diags);
        memset(it, 0, sizeof *it);
        it->arena = all ? NULL : a;
    }
    b->n = 0;
    b->len = 0;
}

/* Stop the helpers and drop what was not handed on. */
static void helpers_stop(jhelpers *h)
{
    pthread_mutex_lock(&h->mu);
    h->stop = true;
    pthread_cond_broadcast(&h->work);
    pthread_mutex_unlock(&h->mu);
    for (unsigned k = 0; k < h->nthreads; k++)
        pthread_join(h->threads[k], NULL);
    for (uint32_t i = 0; i < h->nring; i++) {
        batch_clear(&h->ring[i], true);
        free(h->ring[i].bytes);
    }
    free(h->ring);
    pthread_mutex_destroy(&h->mu);
    pthread_cond_destroy(&h->work);
    pthread_cond_destroy(&h->done);
}

/* The batch being filled: the one after those queued. */
static jbatch *helpers_filling(jhelpers *h)
{
    return &h->ring[(h->head + h->count) % h->nring];
}

/* The oldest item not handed on, or NULL. */
static const jitem *helpers_oldest(jhelpers *h)
{
    for (uint32_t k = 0; k <= h->count; k++) {
        jbatch *b = &h->ring[(h->head + k) % h->nring];
        if (b->n)
            return &b->items[0];
    }
    return NULL;
}

/* Hand on the oldest queued batch once converted, item by item as the
 * serial loop would; *n counts the items.  -1 after reporting or when fn
 * stopped. */
static int helpers_hand_on(jhelpers *h, jwin *w, jload *J, const jshell *sh, uint32_t *n, kv_doc_fn fn, void *ud)
{
    jbatch *b = &h->ring[h->head];
    pthread_mutex_lock(&h->mu);
    while (b->state != B_DONE)
        pthread_cond_wait(&h->done, &h->mu);
    pthread_mutex_unlock(&h->mu);
    int rc = 0;
    for (uint32_t i = 0; i < b->n && rc == 0; i++) {
        jitem *it = &b->items[i];
        if (it->state == ITEM_CHANGED) {
            /* what win_failed would have said when the item was read */
            rc = read_failed(J, it->oom, it->ioerr, it->read_errno, it->line, it->col);
            break;
        }
        if (it->state != ITEM_OK || it->ndiags) {
            /* converted again here, from the window, as without helpers */
            rc = convert_here(w, J, it->at - w->base, it->at - w->base + it->len, it->line, it->col, h->depth,
                              &it->arena, &it->v);
            if (rc < 0)
                break;
        }
        /* an arena fn does not take is emptied for the item that takes
         * this place next: the helper that fills it has no malloc or free
         * to make (a free across threads takes a lock) */
        rc = hand_piece(J, it->arena, it->v, sh, (*n)++, fn, ud, true);
        if (rc == 1) {
            it->arena = NULL;
            rc = 0;
        }
    }
    batch_clear(b, false);
    /* a helper waiting for the batch after the last reads its state */
    pthread_mutex_lock(&h->mu);
    b->state = B_FREE;
    pthread_mutex_unlock(&h->mu);
    h->head = (h->head + 1) % h->nring;
    h->count--;
    return rc;
}

static bool helpers_head_done(jhelpers *h)
{
    pthread_mutex_lock(&h->mu);
    bool done = h->ring[h->head].state == B_DONE;
    pthread_mutex_unlock(&h->mu);
    return done;
}

/* Queue the batch being filled (when it holds any item). */
static void helpers_queue(jhelpers *h)
{
    jbatch *b = helpers_filling(h);
    if (!b->n)
        return;
    pthread_mutex_lock(&h->mu);
    b->state = B_QUEUED;
    h->count++;
    pthread_cond_signal(&h->work);
    pthread_mutex_unlock(&h->mu);
}

/* Copy the item at buf[cur..b) into the batch being filled, queueing it
 * when full (and handing on the oldest batches when converted, or when no
 * other is free).  -1 after reporting or when fn stopped, 1 when out of
 * memory (not reported: the caller has the items before it handed on). */
static int helpers_add(jhelpers *h, jwin *w, size_t b, jload *J, const jshell *sh, uint32_t *n, kv_doc_fn fn,
                       void *ud)
{
    jbatch *f = helpers_filling(h);
    size_t len = b - w->cur;
    if (f->len + len + 1 > f->cap) {
        size_t cap = f->cap ? f->cap : 2 * BATCH_BYTES;
        while (cap < f->len + len + 1)
            cap *= 2;
        char *bytes = realloc(f->bytes, cap);
        if (!bytes)
            return 1;
        f->bytes = bytes;
        f->cap = cap;
    }
    jitem *it = &f->items[f->n++];
    it->off = f->len;
    it->len = len;
    memcpy(f->bytes + f->len, w->buf + w->cur, len);
    f->bytes[f->len + len] = '\0';
    f->len += len + 1;
    it->at = w->base + w->cur;
    it->lstart = w->lstart == SIZE_MAX ? SIZE_MAX : w->base + w->lstart;
    it->line = w->line;
    it->col = w->col;
    it->oom = w->oom;
    it->ioerr = w->ioerr;
    it->read_errno = w->read_errno;
    if (f->n < BATCH_ITEMS && f->len < BATCH_BYTES)
        return 0;
    helpers_queue(h);
    /* hand on what is converted; wait only when every batch is queued */
    int rc = 0;
    while (rc == 0 && h->count && (h->count == h->nring || helpers_head_done(h)))
        rc = helpers_hand_on(h, w, J, sh, n, fn, ud);
    return rc;
}

/* Drop what the window holds before the oldest item not handed on (or the
 * value at buf[cur], when none is pending), as win_drop does. */
static bool helpers_drop(jhelpers *h, jwin *w)
{
    const jitem *o = helpers_oldest(h);
    if (!o)
        return win_drop(w);
    size_t lstart = o->lstart == SIZE_MAX || o->lstart < w->base ? SIZE_MAX : o->lstart - w->base;
    return win_drop_at(w, o->at - w->base, o->line, lstart);
}

/* win_items' second pass with helpers (see above): the same loop, with
 * the items checked and converted a batch ahead of handing them on, and a
 * failure to read on reported once every item before it was handed on.
 * NO_HELPERS when no helper could start (or the list is too deep to take
 * apart), with nothing read: win_items does it all. */
static int win_items_shared(jwin *w, jload *J, const jwplan *p, const jshell *sh, kv_doc_fn fn, void *ud,
                            unsigned threads)
{
    size_t room = win_room(J->ctx);
    size_t outer = p->list ? 2 : 1;
    jhelpers h;
    if (room <= outer || !helpers_start(&h, threads, J, p->list ? 3 : 2))
        return NO_HELPERS;
    room -= outer;
    win_take(w, w->cur + 1);
    win_space(w);
    int rc = 0;
    bool failed = win_at(w, w->cur) == ']'; /* an empty list: nothing to take apart */
    uint32_t n = 0;
    while (!failed && rc == 0) {
        win_space(w);
        size_t b;
        if (!helpers_drop(&h, w) || !win_span(w, &b, room)) {
            failed = true;
            break;
        }
        win_hold_line_end(w, b);
        if (b - w->cur > BATCH_BYTES) {
            /* a large item: converted here, after those before it (a copy
             * and a tree of each of several would be held at once) */
            helpers_queue(&h);
            while (rc == 0 && h.count)
                rc = helpers_hand_on(&h, w, J, sh, &n, fn, ud);
            if (rc == 0)
                rc = win_hand_on(w, J, b, h.depth, sh, n++, fn, ud);
        } else if ((rc = helpers_add(&h, w, b, J, sh, &n, fn, ud)) == 1) {
            w->oom = true;
            failed = true;
            rc = 0;
        }
        if (rc != 0 || failed)
            break;
        win_take(w, b);
        win_space(w);
        int c = win_at(w, w->cur);
        if (c == ']') {
            win_take(w, w->cur + 1);
            break;
        }
        if (c != ',')
            failed = true;
        else
            win_take(w, w->cur + 1);
    }
    if (rc == 0) {
        helpers_queue(&h);
        while (rc == 0 && h.count)
            rc = helpers_hand_on(&h, w, J, sh, &n, fn, ud);
    }
    helpers_stop(&h);
    if (rc == 0 && failed)
        rc = win_failed(w, J);
    return rc;
}

/* The list's items from its '[' at buf[cur]: each checked (sh NULL, the
 * first pass) or handed on as a piece of sh.  0 when done, NOT_PIECED
 * (first pass) when an item does not qualify, -1 after reporting or when fn
 * stopped. */
static int win_items(jwin *w, jload *J, const jwplan *p, const jshell *sh, kv_doc_fn fn, void *ud)
{
    bool check = !sh;
    size_t room = win_room(J->ctx);
    size_t outer = p->list ? 2 : 1;
    if (room <= outer)
        return NOT_PIECED;
    room -= outer;
    win_take(w, w->cur + 1);
    win_space(w);
    if (win_at(w, w->cur) == ']')
        return check ? NOT_PIECED : win_failed(w, J); /* an empty list: nothing to take apart */
    for (uint32_t n = 0;; n++) {
        win_space(w);
        if (!win_drop(w))
            return check ? NOT_PIECED : win_failed(w, J);
        size_t b;
        if (!win_value(w, &b, room))
            return check ? NOT_PIECED : win_failed(w, J);
        if (!check && win_hand_on(w, J, b, p->list ? 3 : 2, sh, n, fn, ud) < 0)
            return -1;
        win_take(w, b);
        win_space(w);
        int c = win_at(w, w->cur);
        if (c == ']') {
            win_take(w, w->cur + 1);
            return 0;
        }
        if (c != ',')
            return check ? NOT_PIECED : win_failed(w, J);
        win_take(w, w->cur + 1);
    }
}

/* The first pass at a list's '[' (the top-level value, or a List's items):
 * where it is, then its items checked. */
static int win_plan_items(jwin *w, jload *J, jwplan *p)
{
    p->open = w->base + w->cur;
    p->oline = w->line;
    p->ocol = w->col;
    return win_items(w, J, p, NULL, NULL, NULL);
}

/* The first pass: does the file qualify, and what are the List's members?
 * 0: yes (the plan is filled), NOT_PIECED: no. */
static int win_plan(jwin *w, jload *J, jwplan *p)
{
    if (win_at(w, 0) == 0xEF && win_at(w, 1) == 0xBB && win_at(w, 2) == 0xBF)
        return NOT_PIECED; /* a byte order mark: left to the whole text */
    win_space(w);
    int c = win_at(w, w->cur);
    if (c != '[' && c != '{')
        return NOT_PIECED;
    p->line0 = w->line;
    p->col0 = w->col;
    if (!win_keep_line(w, w->line, w->lstart, true))
        return NOT_PIECED;
    p->items = SIZE_MAX;
    if (c == '[') {
        if (win_plan_items(w, J, p) != 0)
            return NOT_PIECED;
    } else {
        p->list = true;
        bool list_kind = false;
        win_take(w, w->cur + 1);
        size_t room = win_room(J->ctx);
        for (;;) {
            win_space(w);
            if (!win_drop(w) || win_at(w, w->cur) != '"')
                return NOT_PIECED;
            if (!win_keep_line(w, w->line, w->lstart, true))
                return NOT_PIECED;
            /* a plain key: no escapes */
            size_t k = w->cur + 1;
            while ((c = win_at(w, k)) >= 0 && c != '"' && c != '\\' && c >= 0x20)
                k++;
            if (c != '"')
                return NOT_PIECED;
            size_t klen = k - w->cur - 1;
            for (size_t i = 0; i < p->nmem; i++)
                if (p->mem[i].keylen == klen && !memcmp(p->mem[i].key, w->buf + w->cur + 1, klen))
                    return NOT_PIECED; /* a key twice */
            jwmember *m = realloc(p->mem, (p->nmem + 1) * sizeof *m);
            if (!m)
                return NOT_PIECED;
            p->mem = m;
            m = &p->mem[p->nmem++];
            memset(m, 0, sizeof *m);
            if (!(m->key = malloc(klen + 1)))
                return NOT_PIECED;
            memcpy(m->key, w->buf + w->cur + 1, klen);
            m->key[klen] = '\0';
            m->keylen = klen;
            win_take(w, k + 1);
            win_space(w);
            if (win_at(w, w->cur) != ':')
                return NOT_PIECED;
            win_take(w, w->cur + 1);
            win_space(w);
            if (!win_keep_line(w, w->line, w->lstart, true))
                return NOT_PIECED;
            m->line = w->line;
            m->col = w->col;
            if (klen == 5 && !memcmp(m->key, "items", 5) && win_at(w, w->cur) == '[') {
                p->items = p->nmem - 1;
                if (win_plan_items(w, J, p) != 0)
                    return NOT_PIECED;
            } else {
                size_t b;
                if (room < 1 || !win_value(w, &b, room - 1))
                    return NOT_PIECED;
                m->len = b - w->cur;
                if (!(m->text = malloc(m->len + 1)))
                    return NOT_PIECED;
                memcpy(m->text, w->buf + w->cur, m->len);
                m->text[m->len] = '\0';
                if (klen == 4 && !memcmp(m->key, "kind", 4) && m->text[0] == '"') {
                    size_t n = m->len - 2;
                    list_kind = n >= 4 && !memchr(m->text + 1, '\\', n) && !memcmp(m->text + m->len - 5, "List", 4);
                }
                win_take(w, b);
            }
            win_space(w);
            c = win_at(w, w->cur);
            if (c == '}') {
                win_take(w, w->cur + 1);
                break;
            }
            if (c != ',')
                return NOT_PIECED;
            win_take(w, w->cur + 1);
        }
        if (!list_kind || p->items == SIZE_MAX)
            return NOT_PIECED;
    }
    /* nothing but white space after it */
    win_space(w);
    if (win_at(w, w->cur) >= 0 || w->ioerr)
        return NOT_PIECED;
    /* no lost line's start is kept into the second pass */
    while (w->nkept > w->nfixed)
        free(w->kept[--w->nkept].text);
    return 0;
}

struct kv_json_plan {
    kvet_ctx *ctx;
    jwin w;
    jwplan p;
    struct stat st;         /* the file as the first pass read it */
    unsigned threads;       /* the second pass's, helpers included */
};

/* Has the file changed since the first pass (its size or its time)? */
static bool plan_changed(const kv_json_plan *plan)
{
    struct stat st;
    return fstat(fileno(plan->w.f), &st) != 0 || st.st_size != plan->st.st_size ||
           st.st_mtim.tv_sec != plan->st.st_mtim.tv_sec || st.st_mtim.tv_nsec != plan->st.st_mtim.tv_nsec;
}

void kv_json_plan_free(kv_json_plan *plan)
{
    if (!plan)
        return;
    plan_free(&plan->p);
    for (size_t i = 0; i < plan->w.nkept; i++)
        free(plan->w.kept[i].text);
    free(plan->w.kept);
    free(plan->w.buf);
    if (plan->w.f)
        fclose(plan->w.f);
    free(plan);
}

kv_json_plan *kv_json_plan_stream(kvet_ctx *ctx, FILE *f, size_t window, unsigned threads)
{
    kv_json_plan *plan = calloc(1, sizeof *plan);
    if (!plan)
        return NULL;
    plan->ctx = ctx;
    plan->threads = threads;
    jwin *w = &plan->w;
    w->f = f;
    w->chunk = window ? window : 1;
    w->line = w->col = 1;
    w->text.line = 1;
    jload J;
    memset(&J, 0, sizeof J);
    J.ctx = ctx;
    if (fstat(fileno(f), &plan->st) != 0 || win_plan(w, &J, &plan->p) != 0) {
        w->f = NULL; /* the caller's still */
        kv_json_plan_free(plan);
        fseeko(f, 0, SEEK_SET);
        return NULL;
    }
    return plan;
}

kv_json_plan *kv_json_plan_file(kvet_ctx *ctx, const char *path, size_t window, unsigned threads)
{
    FILE *f = fopen(path, "rb");
    kv_json_plan *plan = f ? kv_json_plan_stream(ctx, f, window, threads) : NULL;
    if (f && !plan)
        fclose(f);
    return plan;
}

int kv_json_plan_load(kv_json_plan *plan, const char *name, uint32_t src, kv_doc_fn fn, void *ud,
                      const kv_text **text)
{
    kvet_ctx *ctx = plan->ctx;
    jwin *w = &plan->w;
    jwplan *p = &plan->p;
    jload J;
    memset(&J, 0, sizeof J);
    J.ctx = ctx;
    J.name = name;
    J.src = src;
    J.text = &w->text;
    *text = &w->text;
    /* the List's members, converted once and copied into each piece */
    kv_arena *shell = arena_new();
    int rc = 0;
    if (!shell) {
        kv_diag(ctx, KVET_SEV_ERROR, name, 0, 0, 0, NULL, "out of memory");
        rc = -1;
    }
    for (size_t k = 0; rc == 0 && k < p->nmem; k++) {
        if (k == p->items)
            continue;
        uint32_t line = p->mem[k].line, col = p->mem[k].col;
        J.arena = shell;
        J.data = p->mem[k].text;
        J.len = p->mem[k].len;
        rc = convert_span(&J, 0, p->mem[k].len, &line, &col, 2, &p->mem[k].v);
    }
    kvet_map *sm = NULL;
    if (rc == 0 && p->list) {
        bool ok = (sm = kv_map_new(shell, (uint32_t)p->nmem)) != NULL;
        for (size_t k = 0; ok && k < p->nmem; k++)
            ok = shell_set(shell, sm, k, p->mem[k].key, p->mem[k].keylen, p->mem[k].v);
        if (!ok) {
            kv_diag(ctx, KVET_SEV_ERROR, name, 0, 0, 0, NULL, "out of memory");
            rc = -1;
        }
    }
    /* the second pass, from the list on */
    if (rc == 0 && fseeko(w->f, (off_t)p->open, SEEK_SET) != 0) {
        kv_diag(ctx, KVET_SEV_ERROR, name, 0, 0, 0, NULL, "cannot read: %s", strerror(errno));
        rc = -1;
    }
    if (rc == 0) {
        w->end = w->cur = 0;
        w->buf[0] = '\0';
        w->base = p->open;
        w->eof = w->ioerr = false;
        w->line = p->oline;
        w->col = p->ocol;
        w->lstart = p->ocol == 1 ? 0 : SIZE_MAX;
        w->text.line = p->oline;
        w->text.mid_line = p->ocol != 1;
        win_view(w);
        const jshell sh = {sm, p->items, p->oline, p->ocol, p->line0, p->col0, 0};
        if (win_at(w, 0) != '[')
            rc = win_failed(w, &J);
        else if (plan->threads < 2 || (rc = win_items_shared(w, &J, p, &sh, fn, ud, plan->threads)) == NO_HELPERS)
            rc = win_items(w, &J, p, &sh, fn, ud);
        /* what the second pass did not read again must be what the first read */
        if (rc == 0 && plan_changed(plan))
            rc = win_failed(w, &J);
    }
    J.arena = NULL;
    arena_drop(shell);
    free(J.pos);
    *text = NULL;
    return rc;
}
