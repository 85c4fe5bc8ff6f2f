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
#include <stdlib.h>
#include <string.h>

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
    kv_arena *arena;
    jpos *pos;
    size_t npos, next;
    int failed;
} jload;

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
            col++;
            i++;
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
        kv_diag(J->ctx, KVET_SEV_ERROR, J->name, p.line, p.col, 1, kv_line_start(J->data, J->len, p.line),
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
        kv_diag(J->ctx, KVET_SEV_ERROR, J->name, p.line, p.col, 1, kv_line_start(J->data, J->len, p.line),
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
            for (const cJSON *c = item->child; c; c = c->next) {
                kvet_value cv = convert(J, c, depth + 1);
                const char *key = c->string ? c->string : "";
                size_t kl = strlen(key);
                uint32_t j;
                for (j = 0; j < k; j++)
                    if (m->e[j].key->len == kl && !memcmp(m->e[j].key->data, key, kl))
                        break;
                if (j < k) {
                    kv_diag(J->ctx, KVET_SEV_WARNING, J->name, cv.line, cv.col, 1,
                            kv_line_start(J->data, J->len, cv.line),
                            "duplicate key \"%s\" (first at line %u): the last value is used, as Kubernetes does", key,
                            m->e[j].val.line);
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

static void position_of(const char *data, size_t off, uint32_t *line, uint32_t *col)
{
    *line = 1;
    *col = 1;
    for (size_t i = 0; i < off; i++) {
        if (data[i] == '\n') {
            (*line)++;
            *col = 1;
        } else if (((unsigned char)data[i] & 0xC0) != 0x80) {
            (*col)++;
        }
    }
}

int kv_load_json(kvet_ctx *ctx, const char *name, uint32_t src, const char *data, size_t len,
                 kv_doc_fn fn, void *ud);

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
    J.ctx = ctx;
    J.name = name;
    J.src = src;
    J.data = data;
    J.len = len;
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
        cJSON *root = cJSON_ParseWithLengthOpts(data + off, len - off, &end, 0);
        if (!root) {
            size_t at = end && end >= data + off && end <= data + len ? (size_t)(end - data) : off;
            uint32_t eline, ecol;
            position_of(data, at, &eline, &ecol);
            const char *what = at >= len ? "unexpected end of input" : "unexpected character";
            if (at < len && (unsigned char)data[at] >= 0x20 && (unsigned char)data[at] < 0x7f)
                kv_diag(ctx, KVET_SEV_ERROR, name, eline, ecol, 1, kv_line_start(data, len, eline),
                        "invalid JSON: %s '%c'", what, data[at]);
            else
                kv_diag(ctx, KVET_SEV_ERROR, name, eline, ecol, 1, kv_line_start(data, len, eline),
                        "invalid JSON: %s", what);
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
        kv_doc doc = {v, src, v.line, v.col, docindex++, J.arena};
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
    return rc;
}
