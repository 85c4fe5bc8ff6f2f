/*
 * packfile.c - the compiled pack format (.kvetc).
 *
 * Layout (all integers little-endian):
 *   "KVETPACK"            8 bytes magic
 *   u32 format            KV_PACKFILE_FORMAT; another value is refused
 *   u64 payload length
 *   32 bytes              SHA-256 of the payload
 *   payload               the program's tables, in a fixed order
 * The bytes depend only on the rule sources, so the same sources always
 * give the same file.  Loading checks the digest, then hands the program
 * to the verifier (verify.c), so a damaged or hand-made file is rejected
 * instead of misleading the VM.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "builtin.h"
#include "ctx.h"
#include "opcodes.h"
#include "program.h"
#include "sha256.h"
#include "value.h"
#include "verify.h"

#define KV_PACKFILE_MAGIC "KVETPACK"
#define NONE_STR 0xFFFFFFFFu
#define MAX_VALUE_DEPTH 64

/* ----------------------------------------------------------- writing */

typedef struct wbuf { kv_buf b; } wbuf;

static void w_u8(wbuf *w, uint8_t v) { kv_buf_put(&w->b, (const char *)&v, 1); }
static void w_u32(wbuf *w, uint32_t v)
{
    uint8_t b[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)};
    kv_buf_put(&w->b, (const char *)b, 4);
}
static void w_u64(wbuf *w, uint64_t v)
{
    w_u32(w, (uint32_t)v);
    w_u32(w, (uint32_t)(v >> 32));
}
static void w_bytes(wbuf *w, const char *s, uint32_t n)
{
    w_u32(w, n);
    kv_buf_put(&w->b, s, n);
}
static void w_str(wbuf *w, const char *s)
{
    if (!s) {
        w_u32(w, NONE_STR);
        return;
    }
    w_bytes(w, s, (uint32_t)strlen(s));
}
static void w_pos(wbuf *w, kv_pos p)
{
    w_u32(w, p.file);
    w_u32(w, p.line);
    w_u32(w, p.col);
}

static void w_value(wbuf *w, kvet_value v)
{
    w_u8(w, v.type);
    switch (v.type) {
    case KVET_BOOL: w_u8(w, (uint8_t)v.u.b); break;
    case KVET_INT: w_u64(w, (uint64_t)v.u.i); break;
    case KVET_FLOAT: {
        uint64_t bits;
        memcpy(&bits, &v.u.f, sizeof bits);
        w_u64(w, bits);
        break;
    }
    case KVET_STRING: w_bytes(w, v.u.s->data, v.u.s->len); break;
    case KVET_LIST:
        w_u32(w, v.u.l->n);
        for (uint32_t i = 0; i < v.u.l->n; i++)
            w_value(w, v.u.l->items[i]);
        break;
    case KVET_MAP:
        w_u32(w, v.u.m->n);
        for (uint32_t i = 0; i < v.u.m->n; i++) {
            w_bytes(w, v.u.m->e[i].key->data, v.u.m->e[i].key->len);
            w_value(w, v.u.m->e[i].val);
        }
        break;
    default: break;
    }
}

static void w_payload(wbuf *w, const kvet_pack *p)
{
    w_str(w, kvet_version());
    w_u32(w, p->nfiles);
    for (uint32_t i = 0; i < p->nfiles; i++)
        w_str(w, p->files[i]);
    w_u32(w, p->npacks);
    for (uint32_t i = 0; i < p->npacks; i++) {
        w_str(w, p->packs[i].name);
        w_str(w, p->packs[i].version);
        w_str(w, p->packs[i].digest);
        w_u32(w, p->packs[i].nfiles);
    }
    w_u32(w, p->ncode);
    for (uint32_t i = 0; i < p->ncode; i++) {
        w_u32(w, p->code[i]);
        w_pos(w, p->lines[i]);
    }
    w_u32(w, p->nconsts);
    for (uint32_t i = 0; i < p->nconsts; i++)
        w_value(w, p->consts[i]);
    w_u32(w, p->nchunks);
    for (uint32_t i = 0; i < p->nchunks; i++) {
        w_u32(w, p->chunks[i].entry);
        w_u32(w, p->chunks[i].nlocals);
        w_u32(w, p->chunks[i].maxstack);
    }
    w_u32(w, p->nblocks);
    for (uint32_t i = 0; i < p->nblocks; i++) {
        const kv_block *b = &p->blocks[i];
        w_u32(w, b->pack);
        w_u32(w, b->nsel);
        for (uint32_t k = 0; k < b->nsel; k++) {
            w_str(w, b->sel[k].kind);
            w_str(w, b->sel[k].api);
        }
        w_u32(w, (uint32_t)b->where);
        w_u32(w, b->nlocals);
        w_pos(w, b->pos);
    }
    w_u32(w, p->nlets);
    for (uint32_t i = 0; i < p->nlets; i++) {
        w_u32(w, p->lets[i].block);
        w_u32(w, p->lets[i].slot);
        w_u32(w, p->lets[i].chunk);
        w_str(w, p->lets[i].name);
    }
    w_u32(w, p->nderives);
    for (uint32_t i = 0; i < p->nderives; i++) {
        const kv_derive *d = &p->derives[i];
        w_str(w, d->name);
        w_u32(w, d->block);
        w_u32(w, d->chunk);
        w_pos(w, d->pos);
        w_str(w, d->expr);
        w_str(w, d->reads);
    }
    w_u32(w, p->nrules);
    for (uint32_t i = 0; i < p->nrules; i++) {
        const kv_rule *r = &p->rules[i];
        w_str(w, r->id);
        w_str(w, r->title);
        w_str(w, r->remedy_text);
        w_str(w, r->link);
        w_str(w, r->doc);
        w_u32(w, r->nmeta);
        for (uint32_t k = 0; k < r->nmeta; k++) {
            w_str(w, r->meta_keys[k]);
            w_str(w, r->meta_vals[k]);
        }
        w_u32(w, r->severity);
        w_u32(w, r->effective);
        w_u8(w, r->enabled);
        w_u32(w, r->pack);
        w_u32(w, r->block);
        w_u32(w, r->chunk);
        w_u32(w, (uint32_t)r->remedy);
        w_pos(w, r->pos);
        w_str(w, r->applies_to);
        w_u32(w, (uint32_t)r->override_pack);
        w_pos(w, r->override_pos);
    }
    w_u32(w, p->nparams);
    for (uint32_t i = 0; i < p->nparams; i++) {
        const kv_param *a = &p->params[i];
        w_str(w, a->name);
        w_str(w, a->short_name);
        w_u32(w, a->pack);
        w_value(w, a->value);
        w_str(w, a->doc);
        w_pos(w, a->pos);
    }
    w_u32(w, p->nglobals);
    for (uint32_t i = 0; i < p->nglobals; i++) {
        w_str(w, p->globals[i].name);
        w_u32(w, p->globals[i].chunk);
    }
    w_u32(w, p->nfns);
    for (uint32_t i = 0; i < p->nfns; i++) {
        w_str(w, p->fns[i].name);
        w_u32(w, p->fns[i].nparams);
        w_u32(w, p->fns[i].chunk);
    }
    w_u32(w, p->nqueries);
    for (uint32_t i = 0; i < p->nqueries; i++) {
        w_str(w, p->queries[i].kind);
        w_str(w, p->queries[i].api);
    }
    w_u32(w, p->nkeys);
    for (uint32_t i = 0; i < p->nkeys; i++) {
        w_u32(w, p->keys[i].query);
        w_u32(w, p->keys[i].fn);
        w_u32(w, p->keys[i].mode);
    }
    w_u32(w, p->nviews);
    for (uint32_t i = 0; i < p->nviews; i++) {
        const kv_view *v = &p->views[i];
        w_str(w, v->name);
        w_u32(w, v->pack);
        w_pos(w, v->pos);
        w_u32(w, v->nvalues);
        for (uint32_t k = 0; k < v->nvalues; k++)
            w_str(w, v->values[k]);
    }
}

int kv_program_serialize(const kvet_pack *prog, char **out, size_t *len)
{
    wbuf payload;
    kv_buf_init(&payload.b);
    w_payload(&payload, prog);
    if (payload.b.oom) {
        kv_buf_free(&payload.b);
        return -1;
    }
    uint8_t digest[32];
    kv_sha256 s;
    kv_sha256_init(&s);
    kv_sha256_update(&s, payload.b.data, payload.b.len);
    kv_sha256_final(&s, digest);
    wbuf w;
    kv_buf_init(&w.b);
    kv_buf_put(&w.b, KV_PACKFILE_MAGIC, 8);
    w_u32(&w, KV_PACKFILE_FORMAT);
    w_u64(&w, payload.b.len);
    kv_buf_put(&w.b, (const char *)digest, 32);
    kv_buf_put(&w.b, payload.b.data, payload.b.len);
    kv_buf_free(&payload.b);
    if (w.b.oom) {
        kv_buf_free(&w.b);
        return -1;
    }
    *len = w.b.len;
    *out = kv_buf_take(&w.b);
    return *out ? 0 : -1;
}

int kvet_pack_write(kvet_ctx *ctx, const kvet_pack *pack, const char *path)
{
    char *data = NULL;
    size_t len = 0;
    if (kv_program_serialize(pack, &data, &len) < 0) {
        kv_diag(ctx, KVET_SEV_ERROR, path, 0, 0, 0, NULL, "out of memory while writing the compiled pack");
        return -1;
    }
    int rc = kvet_write_file_atomic(path, data, len);
    if (rc < 0)
        kv_diag(ctx, KVET_SEV_ERROR, path, 0, 0, 0, NULL, "cannot write the compiled pack: %s", strerror(errno));
    free(data);
    return rc;
}

/* ----------------------------------------------------------- reading */

typedef struct rbuf {
    const uint8_t *p, *end;
    kv_arena *a;
    int bad;
    const char *why;
} rbuf;

static void bad(rbuf *r, const char *why)
{
    if (!r->bad)
        r->why = why;
    r->bad = 1;
}

static uint8_t r_u8(rbuf *r)
{
    if (r->bad || r->end - r->p < 1) { bad(r, "truncated"); return 0; }
    return *r->p++;
}

static uint32_t r_u32(rbuf *r)
{
    if (r->bad || r->end - r->p < 4) { bad(r, "truncated"); return 0; }
    uint32_t v = (uint32_t)r->p[0] | (uint32_t)r->p[1] << 8 | (uint32_t)r->p[2] << 16 | (uint32_t)r->p[3] << 24;
    r->p += 4;
    return v;
}

static uint64_t r_u64(rbuf *r)
{
    uint64_t lo = r_u32(r);
    uint64_t hi = r_u32(r);
    return lo | hi << 32;
}

/* a count of items each at least `min` bytes long: bounded by what is left */
static uint32_t r_count(rbuf *r, size_t min)
{
    uint32_t n = r_u32(r);
    if (!r->bad && (size_t)(r->end - r->p) / (min ? min : 1) < n) {
        bad(r, "a table is longer than the file");
        return 0;
    }
    return n;
}

static const char *r_str(rbuf *r)
{
    uint32_t n = r_u32(r);
    if (r->bad || n == NONE_STR)
        return NULL;
    if ((size_t)(r->end - r->p) < n) { bad(r, "truncated string"); return NULL; }
    char *s = kv_arena_strndup(r->a, (const char *)r->p, n);
    if (!s) { bad(r, "out of memory"); return NULL; }
    if (memchr(s, '\0', n)) { bad(r, "string with a NUL byte"); return NULL; }
    r->p += n;
    return s;
}

static const char *r_req_str(rbuf *r)
{
    const char *s = r_str(r);
    if (!s && !r->bad)
        bad(r, "missing string");
    return s ? s : "";
}

static kv_pos r_pos(rbuf *r)
{
    kv_pos p;
    p.file = r_u32(r);
    p.line = r_u32(r);
    p.col = r_u32(r);
    return p;
}

static kvet_value r_value(rbuf *r, int depth)
{
    if (depth > MAX_VALUE_DEPTH) { bad(r, "value nested too deeply"); return kv_absent(); }
    uint8_t t = r_u8(r);
    switch (t) {
    case KVET_ABSENT: return kv_absent();
    case KVET_NULL: return kv_null();
    case KVET_BOOL: return kv_bool(r_u8(r) != 0);
    case KVET_INT: return kv_int((int64_t)r_u64(r));
    case KVET_FLOAT: {
        uint64_t bits = r_u64(r);
        double d;
        memcpy(&d, &bits, sizeof d);
        return kv_float(d);
    }
    case KVET_STRING: {
        uint32_t n = r_u32(r);
        if (r->bad || (size_t)(r->end - r->p) < n) { bad(r, "truncated string"); return kv_absent(); }
        kvet_value v = kv_string_value(r->a, (const char *)r->p, n);
        r->p += n;
        return v;
    }
    case KVET_LIST: {
        uint32_t n = r_count(r, 1);
        kvet_list *l = kv_list_new(r->a, n);
        if (!l) { bad(r, "out of memory"); return kv_absent(); }
        for (uint32_t i = 0; i < n && !r->bad; i++)
            l->items[i] = r_value(r, depth + 1);
        return kv_list_value(l);
    }
    case KVET_MAP: {
        uint32_t n = r_count(r, 5);
        kvet_map *m = kv_map_new(r->a, n);
        if (!m) { bad(r, "out of memory"); return kv_absent(); }
        for (uint32_t i = 0; i < n && !r->bad; i++) {
            uint32_t kl = r_u32(r);
            if (r->bad || (size_t)(r->end - r->p) < kl) { bad(r, "truncated key"); break; }
            m->e[i].key = kv_string_new(r->a, (const char *)r->p, kl);
            r->p += kl;
            if (!m->e[i].key) { bad(r, "out of memory"); break; }
            m->e[i].val = r_value(r, depth + 1);
        }
        return kv_map_value(m);
    }
    default:
        bad(r, "unknown value type");
        return kv_absent();
    }
}

#define ALLOC_TABLE(ptr, n)                                                      \
    do {                                                                         \
        (ptr) = kv_arena_calloc(r->a, ((size_t)(n) + 1) * sizeof *(ptr));       \
        if (!(ptr)) { bad(r, "out of memory"); return; }                         \
    } while (0)

static void r_payload(rbuf *r, kvet_pack *p)
{
    const char *ver = r_req_str(r);
    if (!r->bad && strcmp(ver, kvet_version()) != 0) {
        bad(r, NULL);
        r->why = kv_arena_strdup(r->a, "it was compiled by another version of kvet; compile it again");
        return;
    }
    p->nfiles = r_count(r, 4);
    ALLOC_TABLE(p->files, p->nfiles);
    for (uint32_t i = 0; i < p->nfiles; i++)
        p->files[i] = r_req_str(r);
    p->npacks = r_count(r, 16);
    ALLOC_TABLE(p->packs, p->npacks);
    for (uint32_t i = 0; i < p->npacks && !r->bad; i++) {
        p->packs[i].name = r_req_str(r);
        p->packs[i].version = r_req_str(r);
        const char *d = r_req_str(r);
        if (strlen(d) != 64) bad(r, "bad pack digest");
        else memcpy(p->packs[i].digest, d, 65);
        p->packs[i].nfiles = r_u32(r);
    }
    p->ncode = r_count(r, 16);
    ALLOC_TABLE(p->code, p->ncode);
    ALLOC_TABLE(p->lines, p->ncode);
    for (uint32_t i = 0; i < p->ncode && !r->bad; i++) {
        p->code[i] = r_u32(r);
        p->lines[i] = r_pos(r);
    }
    p->nconsts = r_count(r, 1);
    ALLOC_TABLE(p->consts, p->nconsts);
    for (uint32_t i = 0; i < p->nconsts && !r->bad; i++)
        p->consts[i] = r_value(r, 0);
    p->nchunks = r_count(r, 12);
    ALLOC_TABLE(p->chunks, p->nchunks);
    for (uint32_t i = 0; i < p->nchunks; i++) {
        p->chunks[i].entry = r_u32(r);
        p->chunks[i].nlocals = r_u32(r);
        p->chunks[i].maxstack = r_u32(r);
    }
    p->nblocks = r_count(r, 20);
    ALLOC_TABLE(p->blocks, p->nblocks);
    for (uint32_t i = 0; i < p->nblocks && !r->bad; i++) {
        kv_block *b = &p->blocks[i];
        b->pack = r_u32(r);
        b->nsel = r_count(r, 8);
        ALLOC_TABLE(b->sel, b->nsel);
        for (uint32_t k = 0; k < b->nsel; k++) {
            b->sel[k].kind = r_req_str(r);
            b->sel[k].api = r_str(r);
        }
        b->where = (int32_t)r_u32(r);
        b->nlocals = r_u32(r);
        b->pos = r_pos(r);
    }
    p->nlets = r_count(r, 16);
    ALLOC_TABLE(p->lets, p->nlets);
    for (uint32_t i = 0; i < p->nlets; i++) {
        p->lets[i].block = r_u32(r);
        p->lets[i].slot = r_u32(r);
        p->lets[i].chunk = r_u32(r);
        p->lets[i].name = r_req_str(r);
    }
    p->nderives = r_count(r, 32);
    ALLOC_TABLE(p->derives, p->nderives);
    for (uint32_t i = 0; i < p->nderives; i++) {
        kv_derive *d = &p->derives[i];
        d->name = r_req_str(r);
        d->block = r_u32(r);
        d->chunk = r_u32(r);
        d->pos = r_pos(r);
        d->expr = r_req_str(r);
        d->reads = r_req_str(r);
    }
    p->nrules = r_count(r, 64);
    ALLOC_TABLE(p->rules, p->nrules);
    for (uint32_t i = 0; i < p->nrules && !r->bad; i++) {
        kv_rule *k = &p->rules[i];
        k->id = r_req_str(r);
        k->title = r_req_str(r);
        k->remedy_text = r_str(r);
        k->link = r_str(r);
        k->doc = r_str(r);
        k->nmeta = r_count(r, 8);
        ALLOC_TABLE(k->meta_keys, k->nmeta);
        ALLOC_TABLE(k->meta_vals, k->nmeta);
        for (uint32_t m = 0; m < k->nmeta; m++) {
            k->meta_keys[m] = r_req_str(r);
            k->meta_vals[m] = r_req_str(r);
        }
        k->severity = (kvet_severity)r_u32(r);
        k->effective = (kvet_severity)r_u32(r);
        if (k->severity > KVET_SEV_ERROR || k->effective > KVET_SEV_ERROR)
            bad(r, "bad severity");
        k->enabled = r_u8(r) != 0;
        k->pack = r_u32(r);
        k->block = r_u32(r);
        k->chunk = r_u32(r);
        k->remedy = (int32_t)r_u32(r);
        k->pos = r_pos(r);
        k->applies_to = r_req_str(r);
        k->override_pack = (int32_t)r_u32(r);
        k->override_pos = r_pos(r);
        if (k->override_pack < -1 || (k->override_pack >= 0 && (uint32_t)k->override_pack >= p->npacks))
            bad(r, "bad override pack");
    }
    p->nparams = r_count(r, 16);
    ALLOC_TABLE(p->params, p->nparams);
    for (uint32_t i = 0; i < p->nparams; i++) {
        kv_param *a = &p->params[i];
        a->name = r_req_str(r);
        a->short_name = r_req_str(r);
        a->pack = r_u32(r);
        a->value = r_value(r, 0);
        a->doc = r_str(r);
        a->pos = r_pos(r);
    }
    p->nglobals = r_count(r, 8);
    ALLOC_TABLE(p->globals, p->nglobals);
    for (uint32_t i = 0; i < p->nglobals; i++) {
        p->globals[i].name = r_req_str(r);
        p->globals[i].chunk = r_u32(r);
    }
    p->nfns = r_count(r, 12);
    ALLOC_TABLE(p->fns, p->nfns);
    for (uint32_t i = 0; i < p->nfns; i++) {
        p->fns[i].name = r_req_str(r);
        p->fns[i].nparams = r_u32(r);
        p->fns[i].chunk = r_u32(r);
    }
    p->nqueries = r_count(r, 8);
    ALLOC_TABLE(p->queries, p->nqueries);
    for (uint32_t i = 0; i < p->nqueries; i++) {
        p->queries[i].kind = r_req_str(r);
        p->queries[i].api = r_str(r);
    }
    p->nkeys = r_count(r, 12);
    ALLOC_TABLE(p->keys, p->nkeys);
    for (uint32_t i = 0; i < p->nkeys; i++) {
        p->keys[i].query = r_u32(r);
        p->keys[i].fn = r_u32(r);
        p->keys[i].mode = r_u32(r);
    }
    p->nviews = r_count(r, 20);
    ALLOC_TABLE(p->views, p->nviews);
    for (uint32_t i = 0; i < p->nviews && !r->bad; i++) {
        kv_view *v = &p->views[i];
        v->name = r_req_str(r);
        v->pack = r_u32(r);
        if (v->pack >= p->npacks)
            bad(r, "bad view pack");
        v->pos = r_pos(r);
        v->nvalues = r_count(r, 4);
        ALLOC_TABLE(v->values, v->nvalues);
        for (uint32_t k = 0; k < v->nvalues; k++)
            v->values[k] = r_req_str(r);
    }
    if (!r->bad && r->p != r->end)
        bad(r, "trailing bytes");
}

kvet_pack *kv_program_deserialize(kvet_ctx *ctx, const char *name, const char *data, size_t len)
{
    const uint8_t *d = (const uint8_t *)data;
    if (len < 8 || memcmp(d, KV_PACKFILE_MAGIC, 8) != 0) {
        kv_diag(ctx, KVET_SEV_ERROR, name, 0, 0, 0, NULL, "not a compiled kvet pack (bad magic number)");
        return NULL;
    }
    if (len < 52) {
        kv_diag(ctx, KVET_SEV_ERROR, name, 0, 0, 0, NULL, "corrupted compiled pack: the header is truncated");
        return NULL;
    }
    uint32_t fmt = (uint32_t)d[8] | (uint32_t)d[9] << 8 | (uint32_t)d[10] << 16 | (uint32_t)d[11] << 24;
    if (fmt != KV_PACKFILE_FORMAT) {
        kv_diag(ctx, KVET_SEV_ERROR, name, 0, 0, 0, NULL,
                "compiled pack format %u is not supported by kvet %s (it reads format %u); compile the pack again",
                fmt, kvet_version(), KV_PACKFILE_FORMAT);
        return NULL;
    }
    uint64_t plen = 0;
    for (int i = 7; i >= 0; i--)
        plen = plen << 8 | d[12 + i];
    if (plen != len - 52) {
        kv_diag(ctx, KVET_SEV_ERROR, name, 0, 0, 0, NULL,
                "corrupted compiled pack: the payload is %zu bytes, the header says %llu", len - 52,
                (unsigned long long)plen);
        return NULL;
    }
    uint8_t digest[32];
    kv_sha256 s;
    kv_sha256_init(&s);
    kv_sha256_update(&s, d + 52, len - 52);
    kv_sha256_final(&s, digest);
    if (memcmp(digest, d + 20, 32) != 0) {
        kv_diag(ctx, KVET_SEV_ERROR, name, 0, 0, 0, NULL, "corrupted compiled pack: the digest does not match its contents");
        return NULL;
    }
    kvet_pack *p = calloc(1, sizeof *p);
    if (!p)
        return NULL;
    kv_arena_init(&p->arena);
    rbuf r = {d + 52, d + len, &p->arena, 0, NULL};
    r_payload(&r, p);
    kv_buf why;
    kv_buf_init(&why);
    if (r.bad)
        kv_buf_puts(&why, r.why ? r.why : "unreadable");
    if (r.bad || kv_verify(p, &why) < 0) {
        kv_diag(ctx, KVET_SEV_ERROR, name, 0, 0, 0, NULL, "%s%.*s",
                r.bad && r.why && strstr(r.why, "another version") ? "cannot load compiled pack: " : "corrupted compiled pack: ",
                (int)why.len, why.oom ? "out of memory" : why.data ? why.data : "");
        kv_buf_free(&why);
        kv_program_free(p);
        return NULL;
    }
    kv_buf_free(&why);
    p->file_src = calloc(p->nfiles + 1, sizeof *p->file_src);
    if (!p->file_src) {
        kv_program_free(p);
        return NULL;
    }
    for (uint32_t i = 0; i < p->nfiles; i++)
        p->file_src[i] = kv_source_add(ctx, p->files[i]);
    return p;
}
