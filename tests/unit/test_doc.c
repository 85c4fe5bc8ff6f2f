/*
 * test_doc.c - the document loader: YAML 1.1 scalars as Kubernetes reads
 * them, positions, multi-document streams, anchors and merge keys, limits,
 * malformed input, JSON, and input discovery.
 */
#include <errno.h>
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ctx.h"
#include "doc.h"
#include "strbuf.h"
#include "value.h"
#include "pathglob.h"
#include "yaml_load.h"
#include "yaml_value.h"

typedef struct docs {
    kvet_value v[16];
    kv_arena *arenas[16];
    uint32_t piece[16];
    int n;
} docs;

static int keep(void *ud, kv_doc *d)
{
    docs *ds = ud;
    if (ds->n == 16)
        return 0;
    ds->v[ds->n] = d->root;
    ds->arenas[ds->n] = d->arena;
    ds->piece[ds->n] = d->piece;
    ds->n++;
    return 1;
}

static void drop(docs *ds)
{
    for (int i = 0; i < ds->n; i++) {
        kv_arena_free(ds->arenas[i]);
        free(ds->arenas[i]);
    }
    ds->n = 0;
}

/* load text; returns rc and fills ds; diagnostics rendered into *diag */
static int load(kvet_ctx *ctx, const char *name, const char *text, size_t len, docs *ds)
{
    memset(ds, 0, sizeof *ds);
    return kv_load_buffer(ctx, name, 1, text, len, KV_FMT_AUTO, keep, ds);
}

static const char *first_error(kvet_ctx *ctx)
{
    static char buf[1024];
    buf[0] = '\0';
    for (size_t i = 0; i < kvet_diag_count(ctx); i++) {
        const kvet_diag *d = kvet_diag_at(ctx, i);
        snprintf(buf, sizeof buf, "%u:%u: %s", d->line, d->col, d->message);
        if (d->severity == KVET_SEV_ERROR)
            break;
    }
    return buf;
}

static kvet_value get(kvet_value m, const char *key)
{
    return kvet_map_get(m, key, strlen(key));
}

START_TEST(yaml_scalars_as_kubernetes_reads_them)
{
    kvet_ctx *ctx = kvet_ctx_new();
    docs ds;
    const char *y = "a: 1\nb: -7\nc: 0x1F\nd: 010\ne: 0b101\nf: 1_000\ng: 1.5\nh: 1e3\ni: .inf\nj: -.Inf\nk: .nan\n"
                    "l: yes\nm: No\nnk: on\no: OFF\np: true\nq: ~\nr: null\ns:\nt: \"1\"\nu: '2'\nv: hello\nw: 1.5.6\n"
                    "x: 9223372036854775808\nyk: y\nz: !!str 5\n";
    ck_assert_int_eq(load(ctx, "t.yaml", y, strlen(y), &ds), 0);
    ck_assert_int_eq(ds.n, 1);
    kvet_value r = ds.v[0];
    ck_assert_int_eq(get(r, "a").type, KVET_INT);
    ck_assert_int_eq(get(r, "a").u.i, 1);
    ck_assert_int_eq(get(r, "b").u.i, -7);
    ck_assert_int_eq(get(r, "c").u.i, 31);
    ck_assert_int_eq(get(r, "d").u.i, 8);
    ck_assert_int_eq(get(r, "e").u.i, 5);
    ck_assert_int_eq(get(r, "f").u.i, 1000);
    ck_assert_int_eq(get(r, "g").type, KVET_FLOAT);
    ck_assert_double_eq(get(r, "g").u.f, 1.5);
    ck_assert_double_eq(get(r, "h").u.f, 1000.0);
    ck_assert(get(r, "i").type == KVET_FLOAT && get(r, "i").u.f > 1e308);
    ck_assert(get(r, "j").type == KVET_FLOAT && get(r, "j").u.f < -1e308);
    ck_assert(get(r, "k").type == KVET_FLOAT && get(r, "k").u.f != get(r, "k").u.f);
    ck_assert(get(r, "l").type == KVET_BOOL && get(r, "l").u.b);
    ck_assert(get(r, "m").type == KVET_BOOL && !get(r, "m").u.b);
    ck_assert(get(r, "nk").type == KVET_BOOL && get(r, "nk").u.b);
    ck_assert(get(r, "o").type == KVET_BOOL && !get(r, "o").u.b);
    ck_assert(get(r, "p").type == KVET_BOOL && get(r, "p").u.b);
    ck_assert_int_eq(get(r, "q").type, KVET_NULL);
    ck_assert_int_eq(get(r, "r").type, KVET_NULL);
    ck_assert_int_eq(get(r, "s").type, KVET_NULL);
    ck_assert_int_eq(get(r, "t").type, KVET_STRING);
    ck_assert_str_eq(get(r, "t").u.s->data, "1");
    ck_assert(get(r, "t").flags & KVET_VF_QUOTED);
    ck_assert_str_eq(get(r, "u").u.s->data, "2");
    ck_assert_str_eq(get(r, "v").u.s->data, "hello");
    ck_assert_int_eq(get(r, "w").type, KVET_STRING);
    ck_assert_int_eq(get(r, "x").type, KVET_FLOAT);
    ck_assert(get(r, "yk").type == KVET_BOOL && get(r, "yk").u.b);
    ck_assert_int_eq(get(r, "z").type, KVET_STRING);
    /* absent is distinct from null */
    ck_assert_int_eq(get(r, "missing").type, KVET_ABSENT);
    drop(&ds);
    kvet_ctx_free(ctx);
}
END_TEST

/* The YAML 1.1 words are found by length and first byte: every word of
 * each length, and near misses that stay strings. */
START_TEST(yaml_words_by_length_and_first_byte)
{
    kvet_ctx *ctx = kvet_ctx_new();
    docs ds;
    const char *y = "a: [Y, n, N, ~, On, ON, no, NO, Yes, YES, off, Off, Null, NULL, TRUE, True, .Inf, .INF, .NaN, .NAN, "
                    "False, FALSE, +.inf, +.Inf, +.INF, -.inf, -.Inf, -.INF]\n"
                    "b: [ys, oN, nO, yES, oFF, nulL, truE, .iNf, .nAn, falsE, +.iNF, -.InF, yess, offf, ~~, Nope, "
                    "+inf, -nan, ., +, -, _, onx, a1, '']\n";
    ck_assert_int_eq(load(ctx, "t.yaml", y, strlen(y), &ds), 0);
    kvet_value r = ds.v[0];
    const kvet_list *a = get(r, "a").u.l, *b = get(r, "b").u.l;
    const char *want = "TFFNTTFFTTFFNNTTIIAAFFIIIJJJ";
    ck_assert_uint_eq(a->n, strlen(want));
    for (size_t i = 0; i < a->n; i++) {
        kvet_value v = a->items[i];
        switch (want[i]) {
        case 'T': ck_assert(v.type == KVET_BOOL && v.u.b); break;
        case 'F': ck_assert(v.type == KVET_BOOL && !v.u.b); break;
        case 'N': ck_assert_int_eq(v.type, KVET_NULL); break;
        case 'A': ck_assert(v.type == KVET_FLOAT && v.u.f != v.u.f); break;
        case 'I': ck_assert(v.type == KVET_FLOAT && v.u.f > 1e308); break;
        case 'J': ck_assert(v.type == KVET_FLOAT && v.u.f < -1e308); break;
        }
    }
    ck_assert_uint_eq(b->n, 25);
    for (size_t i = 0; i < b->n; i++)
        ck_assert_msg(b->items[i].type == KVET_STRING, "item %zu is not a string", i);
    drop(&ds);
    kvet_ctx_free(ctx);
}
END_TEST

START_TEST(yaml_positions_and_streams)
{
    kvet_ctx *ctx = kvet_ctx_new();
    docs ds;
    const char *y = "# comment\n---\napiVersion: v1\nkind: A\nspec:\n  list:\n    - x: 1\n      w: [1, 2]\n---\n---\n"
                    "# only a comment\n---\nkind: B\n";
    ck_assert_int_eq(load(ctx, "t.yaml", y, strlen(y), &ds), 0);
    ck_assert_int_eq(ds.n, 2); /* empty documents produce nothing */
    kvet_value a = ds.v[0];
    ck_assert_uint_eq(a.line, 3);
    ck_assert_uint_eq(a.col, 1);
    kvet_value x = get(get(get(a, "spec"), "list").u.l->items[0], "x");
    ck_assert_uint_eq(x.line, 7);
    ck_assert_uint_eq(x.col, 10);
    kvet_value y2 = get(get(get(a, "spec"), "list").u.l->items[0], "w").u.l->items[1];
    ck_assert_uint_eq(y2.line, 8);
    ck_assert_uint_eq(y2.col, 14);
    ck_assert_uint_eq(ds.v[1].line, 13);
    /* a missing key is absent, positioned at its map */
    kvet_value miss = get(a, "nothing");
    ck_assert_int_eq(miss.type, KVET_ABSENT);
    ck_assert_uint_eq(miss.line, 3);
    drop(&ds);
    kvet_ctx_free(ctx);
}
END_TEST

/* "line:col" of v */
static const char *pos(kvet_value v)
{
    static char buf[32];
    snprintf(buf, sizeof buf, "%u:%u", v.line, v.col);
    return buf;
}

/* libyaml also ends lines at a lone CR, NEL, LS and PS; kvet counts lines
 * by LF, as grep, git and its own excerpts do, so a position after one of
 * them is on the same line, further right. */
START_TEST(yaml_positions_count_lines_by_lf)
{
    kvet_ctx *ctx = kvet_ctx_new();
    docs ds;
    static const struct {
        const char *text;
        const char *key;       /* a key of the root */
        const char *want;      /* its value's position */
    } cases[] = {
        {"a: \"x\xE2\x80\xA8y\"\nb: 1\n", "b", "2:4"},                 /* LS in a quoted string */
        {"a: 'x\xE2\x80\xA9y'\nb: 1\n", "b", "2:4"},                   /* PS in a single-quoted one */
        {"a: \"x\xC2\x85y\"\nb: 1\n", "b", "2:4"},                     /* NEL */
        {"a: x\xE2\x80\xA8  y\nb: 1\n", "b", "2:4"},                   /* a plain scalar goes on */
        {"{a: \"p\xE2\x80\xA8q\", b: 2}\n", "b", "1:15"},              /* the same line, further right */
        {"{a: \"\xC3\xA9\xE2\x80\xA8\xC3\xA9\", b: 2}\n", "b", "1:15"}, /* columns count characters */
        {"\xEF\xBB\xBF{a: \"p\xE2\x80\xA8q\", b: 2}\n", "b", "1:15"},  /* a byte order mark is no column */
        {"a: 1\rb: 2\rc: 3\n", "c", "1:14"},                           /* lone CRs */
        {"a: 1\r\nb: 2\r\nc: 3\r\n", "c", "3:4"},                      /* CRLF is one break */
        {"a: \"x\xE2\x80\xA8y\xE2\x80\xA8z\"\nb:\n  c: [1,\n    2]\n", "b", "3:3"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        ck_assert_int_eq(load(ctx, "t.yaml", cases[i].text, strlen(cases[i].text), &ds), 0);
        ck_assert_int_eq(ds.n, 1);
        ck_assert_msg(!strcmp(pos(get(ds.v[0], cases[i].key)), cases[i].want), "case %zu: %s, not %s", i,
                      pos(get(ds.v[0], cases[i].key)), cases[i].want);
        drop(&ds);
    }
    /* a nested value after two breaks, and the next document */
    const char *y = "a: \"1\xE2\x80\xA8" "2\xE2\x80\xA8" "3\"\nb:\n  c: [1,\n    2]\n---\nd: 4\n";
    ck_assert_int_eq(load(ctx, "t.yaml", y, strlen(y), &ds), 0);
    ck_assert_int_eq(ds.n, 2);
    ck_assert_str_eq(pos(get(get(ds.v[0], "b"), "c").u.l->items[1]), "4:5");
    ck_assert_str_eq(pos(get(ds.v[1], "d")), "6:4");
    drop(&ds);
    /* an error after one: its place and its excerpt, which shows the break as a space */
    y = "a: \"x\xE2\x80\xA8y\"\nb: [1\n";
    ck_assert_int_eq(load(ctx, "t.yaml", y, strlen(y), &ds), -1);
    const kvet_diag *d = kvet_diag_at(ctx, 0);
    ck_assert_uint_eq(d->line, 3);
    y = "a: \"x\xE2\x80\xA8y\": : b\n";
    kvet_diag_clear(ctx);
    ck_assert_int_eq(load(ctx, "t.yaml", y, strlen(y), &ds), -1);
    d = kvet_diag_at(ctx, 0);
    ck_assert_str_eq(first_error(ctx), "1:9: invalid YAML: mapping values are not allowed in this context");
    ck_assert_str_eq(d->excerpt, "a: \"x y\": : b");
    kvet_diag_clear(ctx);
    kvet_ctx_free(ctx);
}
END_TEST

/* yaml() of a literal block scalar places its values on the manifest's
 * lines, which holds while the value's newlines are the manifest's LFs.
 * libyaml also makes a newline of a lone CR or a NEL there, so such a
 * block places what it holds at the block itself, as a quoted string does. */
START_TEST(yaml_literal_block_lines)
{
    kvet_ctx *ctx = kvet_ctx_new();
    kvet_limits lim = kvet_default_limits();
    kv_arena a;
    kv_arena_init(&a);
    docs ds;
    static const struct {
        const char *text;
        bool literal;     /* the block keeps the manifest's lines */
        const char *b;    /* where yaml(cfg) puts b */
    } cases[] = {
        {"x: 0\ncfg: |\n  a: 1\n  b: 2\n", true, "4:6"},
        {"x: 0\ncfg: |\n  a: 1\xC2\x85  b: 2\n  c: 3\n", false, "2:6"},   /* NEL */
        {"x: 0\ncfg: |\n  a: 1\r  b: 2\n  c: 3\n", false, "2:6"},       /* a lone CR */
        {"x: 0\ncfg: |\n  a: 1\r\n  b: 2\r\n", true, "4:6"},            /* CRLF */
        {"x: \"\xC2\x85\"\ncfg: |\n  a: 1\n  b: 2\n", true, "4:6"},      /* a NEL before the block */
        {"cfg: |\n  a: 1\n  b: 2\nx: \"\xC2\x85\"\n", true, "3:6"},      /* and after it */
        {"cfg: |\n  a: 1\n  b: 2\r", false, "1:6"},                        /* at the end of the text */
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        ck_assert_int_eq(load(ctx, "t.yaml", cases[i].text, strlen(cases[i].text), &ds), 0);
        ck_assert_int_eq(ds.n, 1);
        kvet_value cfg = get(ds.v[0], "cfg"), out;
        ck_assert_msg(!(cfg.flags & KVET_VF_LITERAL) == !cases[i].literal, "case %zu", i);
        char msg[256], gomsg[256];
        uint32_t line, col;
        ck_assert_int_eq(kv_yaml_value(&cfg, &lim, &a, &out, msg, sizeof msg, &line, &col, gomsg, sizeof gomsg), 0);
        ck_assert_msg(!strcmp(pos(get(out, "b")), cases[i].b), "case %zu: %s, not %s", i, pos(get(out, "b")),
                      cases[i].b);
        drop(&ds);
    }
    kv_arena_free(&a);
    kvet_ctx_free(ctx);
}
END_TEST

START_TEST(yaml_anchors_and_merge_keys)
{
    kvet_ctx *ctx = kvet_ctx_new();
    docs ds;
    const char *y = "base: &b {min: 1, max: 5}\nmore: &m {max: 9, extra: x}\nuse: *b\n"
                    "merged:\n  <<: [*b, *m]\n  min: 3\n";
    ck_assert_int_eq(load(ctx, "t.yaml", y, strlen(y), &ds), 0);
    kvet_value r = ds.v[0];
    ck_assert_int_eq(get(get(r, "use"), "max").u.i, 5);
    kvet_value m = get(r, "merged");
    ck_assert_int_eq(get(m, "min").u.i, 3);   /* explicit keys win */
    ck_assert_int_eq(get(m, "max").u.i, 5);   /* the first merged map wins */
    ck_assert_str_eq(get(m, "extra").u.s->data, "x");
    drop(&ds);
    kvet_ctx_free(ctx);
}
END_TEST

START_TEST(yaml_duplicate_keys)
{
    kvet_ctx *ctx = kvet_ctx_new();
    docs ds;
    const char *y = "a: 1\nb: 2\na: 3\n";
    ck_assert_int_eq(load(ctx, "t.yaml", y, strlen(y), &ds), -1);
    ck_assert_str_eq(first_error(ctx), "3:1: invalid YAML: mapping key \"a\" already defined at line 1");
    drop(&ds);
    kvet_ctx_free(ctx);
}
END_TEST

/* Large maps: a duplicate key is found by hash past 16 keys, as a scan finds it */
START_TEST(large_map_duplicate_keys)
{
    kvet_ctx *ctx = kvet_ctx_new();
    docs ds;
    kv_buf b;
    kv_buf_init(&b);
    for (int i = 0; i < 3000; i++)
        kv_buf_printf(&b, "k%d: %d\n", i, i);
    kv_buf_puts(&b, "k1234: again\n");
    ck_assert_int_eq(load(ctx, "t.yaml", b.data, b.len, &ds), -1);
    ck_assert_str_eq(first_error(ctx), "3001:1: invalid YAML: mapping key \"k1234\" already defined at line 1235");
    drop(&ds);
    kvet_diag_clear(ctx);
    /* a merge key's entries: the explicit ones win, the others follow them in order */
    kv_buf_free(&b);
    kv_buf_init(&b);
    kv_buf_puts(&b, "base: &b\n");
    for (int i = 0; i < 100; i++)
        kv_buf_printf(&b, "  m%d: base%d\n", i, i);
    kv_buf_puts(&b, "top:\n  <<: *b\n");
    for (int i = 0; i < 100; i += 2)
        kv_buf_printf(&b, "  m%d: own%d\n", i, i);
    ck_assert_int_eq(load(ctx, "t.yaml", b.data, b.len, &ds), 0);
    ck_assert_int_eq(ds.n, 1);
    kvet_value top = get(ds.v[0], "top");
    ck_assert_uint_eq(top.u.m->n, 100);
    ck_assert_str_eq(top.u.m->e[0].key->data, "m0");
    ck_assert_str_eq(top.u.m->e[0].val.u.s->data, "own0");
    ck_assert_str_eq(top.u.m->e[49].key->data, "m98");
    ck_assert_str_eq(top.u.m->e[50].key->data, "m1");
    ck_assert_str_eq(top.u.m->e[50].val.u.s->data, "base1");
    ck_assert_str_eq(top.u.m->e[99].key->data, "m99");
    ck_assert_str_eq(get(top, "m98").u.s->data, "own98");
    drop(&ds);
    /* JSON: the last value, a warning naming the first */
    kv_buf_free(&b);
    kv_buf_init(&b);
    kv_buf_puts(&b, "{\n");
    for (int i = 0; i < 3000; i++)
        kv_buf_printf(&b, "\"k%d\": %d,\n", i, i);
    kv_buf_puts(&b, "\"k2999\": \"again\"}\n");
    ck_assert_int_eq(load(ctx, "t.json", b.data, b.len, &ds), 0);
    ck_assert_str_eq(first_error(ctx), "3002:10: duplicate key \"k2999\" (first at line 3001): the last value is used, "
                                       "as Kubernetes does");
    ck_assert_uint_eq(ds.v[0].u.m->n, 3000);
    ck_assert_str_eq(get(ds.v[0], "k2999").u.s->data, "again");
    drop(&ds);
    kv_buf_free(&b);
    kvet_ctx_free(ctx);
    /* the key set against a scan, with keys that share their hashes' low bits */
    kv_arena a;
    kv_arena_init(&a);
    kvet_map_entry *e = calloc(5000, sizeof *e);
    kv_keyset ks = {0};
    uint32_t n = 0;
    for (int i = 0; i < 20000; i++) {
        char key[16];
        int len = snprintf(key, sizeof key, "%x", (unsigned)(i * 7919) % 5000);
        int64_t want = -1;
        for (uint32_t j = 0; j < n; j++)
            if (e[j].key->len == (uint32_t)len && !memcmp(e[j].key->data, key, (size_t)len))
                want = j;
        ck_assert_int_eq(kv_keyset_find(&ks, e, n, key, (size_t)len), want);
        if (want < 0) {
            e[n].key = kv_string_new(&a, key, (size_t)len);
            n++;
        }
    }
    ck_assert_uint_eq(n, 5000);
    kv_keyset_free(&ks);
    free(e);
    kv_arena_free(&a);
}
END_TEST

START_TEST(yaml_billion_laughs)
{
    kvet_ctx *ctx = kvet_ctx_new();
    docs ds;
    const char *y = "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
                    "b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
                    "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\n"
                    "d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n"
                    "e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]\n"
                    "f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e, *e]\n"
                    "g: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f, *f]\n";
    ck_assert_int_eq(load(ctx, "t.yaml", y, strlen(y), &ds), -1);
    ck_assert_str_eq(first_error(ctx), "5:40: alias expansion limit (100000 nodes) exceeded");
    drop(&ds);
    kvet_ctx_free(ctx);
}
END_TEST

START_TEST(yaml_deep_nesting)
{
    kvet_ctx *ctx = kvet_ctx_new();
    docs ds;
    size_t n = 100000;
    char *y = malloc(n + 1);
    memset(y, '[', n);
    y[n] = '\0';
    ck_assert_int_eq(load(ctx, "t.yaml", y, n, &ds), -1);
    ck_assert_str_eq(first_error(ctx), "1:257: document nested deeper than the limit of 256 levels");
    drop(&ds);
    free(y);
    kvet_ctx_free(ctx);
}
END_TEST

START_TEST(yaml_malformed)
{
    kvet_ctx *ctx = kvet_ctx_new();
    docs ds;
    const char *y = "a: 1\nb: [1, 2\nc: 3\n";
    ck_assert_int_eq(load(ctx, "t.yaml", y, strlen(y), &ds), -1);
    ck_assert_str_eq(first_error(ctx), "3:2: invalid YAML: did not find expected ',' or ']' while parsing a flow sequence");
    const kvet_diag *d = kvet_diag_at(ctx, 0);
    ck_assert_str_eq(d->excerpt, "c: 3");
    kvet_diag_clear(ctx);
    /* the documents before a broken one are delivered */
    const char *y2 = "kind: A\n---\nkind: [\n";
    ck_assert_int_eq(load(ctx, "t.yaml", y2, strlen(y2), &ds), -1);
    ck_assert_int_eq(ds.n, 1);
    drop(&ds);
    kvet_diag_clear(ctx);
    /* NUL bytes and invalid UTF-8 are errors with a position */
    const char nul[] = "a: 1\nb: x\0y\n";
    ck_assert_int_eq(load(ctx, "t.yaml", nul, sizeof nul - 1, &ds), -1);
    ck_assert_str_eq(first_error(ctx), "2:5: invalid YAML: control characters are not allowed (byte 0x00)");
    kvet_diag_clear(ctx);
    const char bad[] = "a: \xff\xfe\n";
    ck_assert_int_eq(load(ctx, "t.yaml", bad, sizeof bad - 1, &ds), -1);
    ck_assert_str_eq(first_error(ctx), "1:4: invalid YAML: invalid leading UTF-8 octet (byte 0xff)");
    drop(&ds);
    kvet_ctx_free(ctx);
}
END_TEST

START_TEST(yaml_bom_and_keys)
{
    kvet_ctx *ctx = kvet_ctx_new();
    docs ds;
    const char *y = "\xEF\xBB\xBF" "1: one\ntrue: t\nnull: nil\n";
    ck_assert_int_eq(load(ctx, "t.yaml", y, strlen(y), &ds), 0);
    ck_assert_str_eq(get(ds.v[0], "1").u.s->data, "one");
    ck_assert_str_eq(get(ds.v[0], "true").u.s->data, "t");
    ck_assert_str_eq(get(ds.v[0], "null").u.s->data, "nil");
    drop(&ds);
    kvet_ctx_free(ctx);
}
END_TEST

START_TEST(json_values_and_positions)
{
    kvet_ctx *ctx = kvet_ctx_new();
    docs ds;
    const char *j = "{\n  \"kind\": \"Service\",\n  \"n\": [1, -2.5, 9223372036854775807, true, null],\n"
                    "  \"s\": {\"k/x.y\": \"v\"}\n}\n";
    ck_assert_int_eq(load(ctx, "t.json", j, strlen(j), &ds), 0);
    kvet_value r = ds.v[0];
    ck_assert_uint_eq(r.line, 1);
    ck_assert_str_eq(get(r, "kind").u.s->data, "Service");
    ck_assert_uint_eq(get(r, "kind").line, 2);
    ck_assert_uint_eq(get(r, "kind").col, 11);
    kvet_value n = get(r, "n");
    ck_assert_int_eq(n.u.l->items[0].type, KVET_INT);
    ck_assert_int_eq(n.u.l->items[2].u.i, INT64_MAX);
    ck_assert_double_eq(n.u.l->items[1].u.f, -2.5);
    ck_assert_uint_eq(n.u.l->items[1].col, 12);
    ck_assert_int_eq(n.u.l->items[4].type, KVET_NULL);
    ck_assert_str_eq(get(get(r, "s"), "k/x.y").u.s->data, "v");
    ck_assert_uint_eq(get(get(r, "s"), "k/x.y").line, 4);
    drop(&ds);
    /* an empty list followed by a comma: the values after it keep their own positions */
    const char *e = "{\"a\": [], \"b\": [[], {}, 7],\n \"c\": 8}";
    ck_assert_int_eq(load(ctx, "t.json", e, strlen(e), &ds), 0);
    ck_assert_uint_eq(get(ds.v[0], "b").col, 16);
    ck_assert_uint_eq(get(ds.v[0], "b").u.l->items[1].col, 21);
    ck_assert_uint_eq(get(ds.v[0], "b").u.l->items[2].col, 25);
    ck_assert_uint_eq(get(ds.v[0], "c").line, 2);
    ck_assert_uint_eq(get(ds.v[0], "c").col, 7);
    drop(&ds);
    kvet_ctx_free(ctx);
}
END_TEST

/* The scans read eight bytes at a time: a value's position after strings
 * of every length and alignment, with multi-byte characters, escapes and
 * runs of indentation, is the one a byte-by-byte count gives. */
START_TEST(json_positions_word_scans)
{
    kvet_ctx *ctx = kvet_ctx_new();
    docs ds;
    kv_buf b;
    kv_buf_init(&b);
    kv_buf_puts(&b, "{\"kind\": \"ConfigMap\", \"data\": {");
    uint32_t line[40], col[40];
    for (int k = 0; k < 40; k++) {
        /* a new line with k % 19 spaces of indentation every third value */
        kv_buf_puts(&b, k ? "," : "");
        if (k % 3 == 0) {
            kv_buf_puts(&b, "\n");
            for (int s = 0; s < k % 19; s++)
                kv_buf_puts(&b, " ");
        }
        kv_buf_printf(&b, "\"k%d\": ", k);
        /* where the value starts: count the text so far byte by byte,
         * a column per byte that does not continue a UTF-8 character */
        line[k] = 1;
        col[k] = 1;
        for (size_t i = 0; i < b.len; i++) {
            if (b.data[i] == '\n') {
                line[k]++;
                col[k] = 1;
            } else if (((unsigned char)b.data[i] & 0xC0) != 0x80) {
                col[k]++;
            }
        }
        /* runs of k % 10 bytes end at an escape, and a character of four
         * bytes follows within the same eight */
        kv_buf_puts(&b, "\"");
        for (int s = 0; s < k % 10; s++)
            kv_buf_puts(&b, "y");
        kv_buf_puts(&b, k % 2 ? "\\\"" : "\\n");
        kv_buf_puts(&b, "\xf0\x9f\x98\x80");
        for (int s = 0; s < k % 3; s++)
            kv_buf_puts(&b, "\xc3\xa9");
        for (int s = 0; s < k % 5; s++)
            kv_buf_puts(&b, "z");
        kv_buf_puts(&b, k % 4 == 1 ? "\\u00e9\"" : "\"");
    }
    kv_buf_puts(&b, "}}\n");
    char *text = kv_buf_take(&b);
    ck_assert_int_eq(load(ctx, "t.json", text, strlen(text), &ds), 0);
    kvet_value data = get(ds.v[0], "data");
    ck_assert_int_eq(data.type, KVET_MAP);
    ck_assert_uint_eq(data.u.m->n, 40);
    for (int k = 0; k < 40; k++) {
        kvet_value v = data.u.m->e[k].val;
        ck_assert_msg(v.line == line[k] && v.col == col[k], "value %d at %u:%u, not %u:%u", k, v.line, v.col,
                      line[k], col[k]);
    }
    drop(&ds);
    free(text);
    kvet_ctx_free(ctx);
}
END_TEST

/* Random JSON texts: strings of ASCII, two- and four-byte characters and
 * escapes, runs of spaces, tabs and CRLF.  Each value's position must be
 * the one a byte-at-a-time walk of the text finds, value by value in
 * document order (the loader's scans read words; this walk reads bytes). */
typedef struct rnd {
    uint64_t s;
} rnd;

static uint32_t rnd_next(rnd *r, uint32_t n)
{
    r->s = r->s * 6364136223846793005ULL + 1442695040888963407ULL;
    return (uint32_t)(r->s >> 33) % n;
}

static void rnd_blank(rnd *r, kv_buf *b)
{
    static const char *const blanks[] = {"", "", " ", "\n", "\r\n", "\t", "\n        ", "\n                 "};
    kv_buf_puts(b, blanks[rnd_next(r, 8)]);
    for (uint32_t k = rnd_next(r, 3) ? 0 : rnd_next(r, 20); k > 0; k--)
        kv_buf_puts(b, " ");
}

static void rnd_string(rnd *r, kv_buf *b, const char *prefix)
{
    static const char *const bits[] = {"a", "bcdefgh", "\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\x98\x80", "\\n", "\\\"",
                                       "\\\\", "\\u00e9", "\\ud83d\\ude00", "\\/", " ", "0123456789abcdef"};
    kv_buf_printf(b, "\"%s", prefix);
    /* a key has no escapes: a List is taken apart only then */
    for (uint32_t k = rnd_next(r, 9); k > 0; k--) {
        const char *bit = bits[rnd_next(r, sizeof bits / sizeof *bits)];
        kv_buf_puts(b, *prefix && *bit == '\\' ? "k" : bit);
    }
    kv_buf_puts(b, "\"");
}

static void rnd_value(rnd *r, kv_buf *b, int depth)
{
    uint32_t pick = depth >= 4 ? 2 + rnd_next(r, 3) : rnd_next(r, 5);
    if (pick <= 1) {
        bool obj = pick == 0;
        kv_buf_puts(b, obj ? "{" : "[");
        uint32_t n = rnd_next(r, 15);
        for (uint32_t i = 0; i < n; i++) {
            kv_buf_puts(b, i ? "," : "");
            rnd_blank(r, b);
            if (obj) {
                char key[16];
                snprintf(key, sizeof key, "%u:", i); /* keys differ: one value each */
                rnd_string(r, b, key);
                rnd_blank(r, b);
                kv_buf_puts(b, ":");
                rnd_blank(r, b);
            }
            rnd_value(r, b, depth + 1);
        }
        rnd_blank(r, b);
        kv_buf_puts(b, obj ? "}" : "]");
    } else if (pick == 2) {
        rnd_string(r, b, "");
    } else {
        static const char *const words[] = {"0", "-12", "3.5e-2", "true", "false", "null", "12345678901"};
        kv_buf_puts(b, words[rnd_next(r, 7)]);
    }
}

/* Where each value starts, in document order, reading a byte at a time
 * (a key is no value: an object's string after '{' or ',' is one). */
static size_t ref_positions(const char *s, size_t n, uint32_t *line, uint32_t *col, size_t max)
{
    size_t np = 0;
    uint32_t l = 1, c = 1;
    bool obj[64];
    int depth = 0;
    bool want = true, key = false, in_str = false;
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (in_str) {
            if (ch == '\\') {
                i++;
                c += 2;
                continue;
            }
            if (ch == '"')
                in_str = false;
        } else if (ch == '\n') {
            l++;
            c = 1;
            continue;
        } else if (ch == ':') {
            want = true;
        } else if (ch == ',') {
            key = depth > 0 && obj[depth - 1];
            want = !key;
        } else if (ch == ']' || ch == '}') {
            depth--;
        } else if (ch != ' ' && ch != '\t' && ch != '\r') {
            if (key) {
                key = false;
            } else if (want && np < max) {
                line[np] = l;
                col[np++] = c;
            }
            want = false;
            in_str = ch == '"';
            if (ch == '[' || ch == '{') {
                obj[depth++] = ch == '{';
                key = ch == '{';
                want = ch == '[';
            }
        }
        if ((ch & 0xC0) != 0x80)
            c++;
    }
    return np;
}

/* The loaded tree's values in document order (keys are not values). */
static void tree_positions(kvet_value v, uint32_t *line, uint32_t *col, size_t *np, size_t max)
{
    if (*np < max) {
        line[*np] = v.line;
        col[*np] = v.col;
    }
    (*np)++;
    if (v.type == KVET_LIST)
        for (uint32_t i = 0; i < v.u.l->n; i++)
            tree_positions(v.u.l->items[i], line, col, np, max);
    else if (v.type == KVET_MAP)
        for (uint32_t i = 0; i < v.u.m->n; i++)
            tree_positions(v.u.m->e[i].val, line, col, np, max);
}

START_TEST(json_positions_random)
{
    kvet_ctx *ctx = kvet_ctx_new();
    enum { MAX = 4096 };
    uint32_t *rl = malloc(MAX * sizeof *rl), *rc = malloc(MAX * sizeof *rc);
    uint32_t *tl = malloc(MAX * sizeof *tl), *tc = malloc(MAX * sizeof *tc);
    rnd r = {12345};
    for (int round = 0; round < 300; round++) {
        kv_buf b;
        kv_buf_init(&b);
        rnd_blank(&r, &b);
        kv_buf_puts(&b, "{\"kind\": \"T\", \"v\": ");
        rnd_value(&r, &b, 0);
        kv_buf_puts(&b, "}");
        rnd_blank(&r, &b);
        char *text = kv_buf_take(&b);
        size_t len = strlen(text);
        docs ds;
        ck_assert_msg(load(ctx, "t.json", text, len, &ds) == 0, "round %d: %s\n%.400s", round, first_error(ctx), text);
        ck_assert_int_eq(ds.n, 1);
        size_t nref = ref_positions(text, len, rl, rc, MAX), ntree = 0;
        tree_positions(ds.v[0], tl, tc, &ntree, MAX);
        ck_assert_uint_eq(nref, ntree);
        for (size_t i = 0; i < nref && i < MAX; i++)
            ck_assert_msg(rl[i] == tl[i] && rc[i] == tc[i], "round %d, value %zu at %u:%u, not %u:%u\n%.400s", round, i,
                          tl[i], tc[i], rl[i], rc[i], text);
        drop(&ds);
        kvet_diag_clear(ctx);
        free(text);
    }
    free(rl);
    free(rc);
    free(tl);
    free(tc);
    kvet_ctx_free(ctx);
}
END_TEST

START_TEST(json_errors)
{
    kvet_ctx *ctx = kvet_ctx_new();
    docs ds;
    const char *j = "{\n  \"a\": 1,\n  \"b\": ]\n}\n";
    ck_assert_int_eq(load(ctx, "t.json", j, strlen(j), &ds), -1);
    ck_assert_str_eq(first_error(ctx), "3:8: invalid JSON: unexpected character ']'");
    kvet_diag_clear(ctx);
    /* values one after another are documents; what follows must be one */
    const char *j2 = "{\"a\": 1} {\"b\": 2} x";
    ck_assert_int_eq(load(ctx, "t.json", j2, strlen(j2), &ds), -1);
    ck_assert_int_eq(ds.n, 2);
    ck_assert_str_eq(first_error(ctx), "1:19: invalid JSON: unexpected character 'x'");
    drop(&ds);
    kvet_diag_clear(ctx);
    const char *j3 = "{\"a\": 1, \"a\": 2}";
    ck_assert_int_eq(load(ctx, "t.json", j3, strlen(j3), &ds), 0);
    ck_assert_int_eq(get(ds.v[0], "a").u.i, 2);
    ck_assert_str_eq(first_error(ctx), "1:15: duplicate key \"a\" (first at line 1): the last value is used, as Kubernetes does");
    drop(&ds);
    kvet_diag_clear(ctx);
    size_t n = 100000;
    char *deep = malloc(n + 1);
    memset(deep, '[', n);
    deep[n] = '\0';
    ck_assert_int_eq(load(ctx, "t.json", deep, n, &ds), -1);
    ck_assert_str_eq(first_error(ctx), "1:257: document nested deeper than the limit of 256 levels");
    free(deep);
    kvet_ctx_free(ctx);
}
END_TEST

/* A shared copy is equal to the value, positions included, and gives
 * repeated short strings one copy; long ones are copied each time. */
START_TEST(values_copied_with_shared_strings)
{
    kvet_ctx *ctx = kvet_ctx_new();
    docs ds;
    char long_text[100];
    memset(long_text, 'x', sizeof long_text - 1);
    long_text[sizeof long_text - 1] = '\0';
    char y[512];
    snprintf(y, sizeof y, "a: {kind: Service, n: 1}\nb: [Service, {kind: Service}]\nc: %s\nd: %s\n", long_text,
             long_text);
    ck_assert_int_eq(load(ctx, "t.yaml", y, strlen(y), &ds), 0);
    kv_arena a;
    kv_arena_init(&a);
    kv_strset set = {NULL, 0, 0};
    bool oom = false;
    kvet_value c = kv_value_copy_shared(&a, &set, ds.v[0], &oom);
    kvet_value c2 = kv_value_copy_shared(&a, &set, ds.v[0], &oom);
    ck_assert(!oom);
    ck_assert(kv_value_equal(c, ds.v[0]));
    ck_assert_uint_eq(get(get(c, "b").u.l->items[1], "kind").line, 2);
    ck_assert_uint_eq(get(get(c, "b").u.l->items[1], "kind").col, 21);
    kvet_value s1 = get(get(c, "a"), "kind"), s2 = get(c, "b").u.l->items[0];
    ck_assert_ptr_eq(s1.u.s, s2.u.s);
    ck_assert_ptr_eq(s1.u.s, get(get(c2, "a"), "kind").u.s);
    ck_assert_ptr_eq(get(c, "a").u.m->e[0].key, get(c, "b").u.l->items[1].u.m->e[0].key);
    ck_assert_ptr_ne(get(c, "c").u.s, get(c, "d").u.s);
    ck_assert_str_eq(get(c, "d").u.s->data, long_text);
    /* many different strings: the set grows and still finds each */
    for (int i = 0; i < 5000; i++) {
        char k[16];
        int n = snprintf(k, sizeof k, "k%d", i);
        const kvet_string *p = kv_strset_get(&a, &set, k, (size_t)n);
        ck_assert_ptr_nonnull(p);
        ck_assert_ptr_eq(p, kv_strset_get(&a, &set, k, (size_t)n));
    }
    ck_assert_ptr_eq(kv_strset_get(&a, &set, "Service", 7), s1.u.s);
    /* a unit's copies adopted by the index live on with it, and the index
     * goes on allocating from its own current block */
    kv_arena unit_arena, index, empty;
    kv_arena_init(&unit_arena);
    kv_arena_init(&index);
    kv_arena_init(&empty);
    char *first = kv_arena_alloc(&index, 16);
    /* as a parsing thread does: its own string set, its strings in its arena */
    kv_strset unit_set = {NULL, 0, 0};
    kvet_value u = kv_value_copy_shared(&unit_arena, &unit_set, ds.v[0], &oom);
    ck_assert(!oom);
    kv_strset_free(&unit_set);
    size_t total = index.total + unit_arena.total;
    kv_arena_adopt(&index, &unit_arena);
    ck_assert_ptr_null(unit_arena.head);
    ck_assert_uint_eq(unit_arena.total, 0);
    ck_assert_uint_eq(index.total, total);
    ck_assert_ptr_eq(kv_arena_alloc(&index, 16), first + 16);
    kv_arena_adopt(&index, &unit_arena);
    ck_assert_uint_eq(index.total, total);
    ck_assert(kv_value_equal(u, ds.v[0]));
    ck_assert_str_eq(get(get(u, "a"), "kind").u.s->data, "Service");
    /* adopted by an arena that has nothing yet, it becomes that arena's */
    kv_arena_adopt(&empty, &index);
    ck_assert_ptr_null(index.head);
    ck_assert_uint_eq(empty.total, total);
    ck_assert(kv_value_equal(u, ds.v[0]));
    ck_assert_ptr_nonnull(kv_arena_alloc(&empty, 16));
    kv_arena_free(&empty);
    kv_strset_free(&set);
    kv_arena_free(&a);
    drop(&ds);
    kvet_ctx_free(ctx);
}
END_TEST

/* A JSON array or List is handed on one item at a time, each piece the
 * document with its list cut down to that item; only a valid value is, and
 * only when no duplicate key would warn. */
START_TEST(json_lists_in_pieces)
{
    kvet_ctx *ctx = kvet_ctx_new();
    docs ds;
    const char *arr = "[{\"a\": 1},\n {\"b\": [2, []]}]";
    ck_assert_int_eq(load(ctx, "t.json", arr, strlen(arr), &ds), 0);
    ck_assert_int_eq(ds.n, 2);
    ck_assert_uint_eq(ds.piece[0], KV_PIECE_FIRST);
    ck_assert_uint_eq(ds.piece[1], KV_PIECE_NEXT);
    ck_assert_int_eq(ds.v[1].type, KVET_LIST);
    ck_assert_uint_eq(ds.v[1].u.l->n, 1);
    ck_assert_uint_eq(ds.v[1].line, 1);
    ck_assert_uint_eq(ds.v[1].col, 1);
    kvet_value b = get(ds.v[1].u.l->items[0], "b");
    ck_assert_uint_eq(b.line, 2);
    ck_assert_uint_eq(b.col, 8);
    ck_assert_uint_eq(b.u.l->items[1].col, 12);
    drop(&ds);
    /* kubectl writes kind after items: every piece has the List's other members */
    const char *list = "{\"apiVersion\": \"v1\",\n \"items\": [{\"kind\": \"A\"}, {\"kind\": \"B\"}],\n"
                       " \"kind\": \"List\", \"metadata\": {\"x\": \"\\u00e9\"}}\n";
    ck_assert_int_eq(load(ctx, "t.json", list, strlen(list), &ds), 0);
    ck_assert_int_eq(ds.n, 2);
    ck_assert_uint_eq(ds.piece[1], KV_PIECE_NEXT);
    for (int i = 0; i < 2; i++) {
        kvet_value r = ds.v[i];
        ck_assert_int_eq(r.type, KVET_MAP);
        ck_assert_uint_eq(r.u.m->n, 4);
        ck_assert_str_eq(r.u.m->e[1].key->data, "items");
        ck_assert_str_eq(get(r, "kind").u.s->data, "List");
        ck_assert_uint_eq(get(r, "kind").line, 3);
        ck_assert_uint_eq(get(r, "kind").col, 10);
        ck_assert_str_eq(get(get(r, "metadata"), "x").u.s->data, "\xc3\xa9");
        ck_assert_uint_eq(get(r, "items").u.l->n, 1);
        ck_assert_uint_eq(get(r, "items").col, 11);
    }
    ck_assert_str_eq(get(get(ds.v[1], "items").u.l->items[0], "kind").u.s->data, "B");
    ck_assert_uint_eq(get(ds.v[1], "items").u.l->items[0].col, 27);
    drop(&ds);
    /* an error in a later item: nothing of the value is delivered, and cJSON says where */
    const char *bad = "[{\"a\": 1},\n {\"b\": tru}]";
    ck_assert_int_eq(load(ctx, "t.json", bad, strlen(bad), &ds), -1);
    ck_assert_int_eq(ds.n, 0);
    ck_assert_str_eq(first_error(ctx), "2:8: invalid JSON: unexpected character 't'");
    kvet_diag_clear(ctx);
    /* a duplicate key: the value comes whole, its warnings before anything is evaluated */
    const char *dup = "[{\"a\": 1},\n {\"b\": 1, \"b\": 2}]";
    ck_assert_int_eq(load(ctx, "t.json", dup, strlen(dup), &ds), 0);
    ck_assert_int_eq(ds.n, 1);
    ck_assert_uint_eq(ds.piece[0], 0);
    ck_assert_uint_eq(ds.v[0].u.l->n, 2);
    ck_assert_str_eq(first_error(ctx), "2:16: duplicate key \"b\" (first at line 2): the last value is used, as Kubernetes does");
    drop(&ds);
    kvet_diag_clear(ctx);
    /* what the strict check refuses and cJSON reads (a raw tab in a string) still loads, whole */
    const char *tab = "[{\"a\": \"x\ty\"}, {}]";
    ck_assert_int_eq(load(ctx, "t.json", tab, strlen(tab), &ds), 0);
    ck_assert_int_eq(ds.n, 1);
    ck_assert_str_eq(get(ds.v[0].u.l->items[0], "a").u.s->data, "x\ty");
    drop(&ds);
    kvet_ctx_free(ctx);
}
END_TEST

START_TEST(inputs_walk_and_limits)
{
    char dir[] = "/tmp/kvet-doc-XXXXXX";
    ck_assert_ptr_nonnull(mkdtemp(dir));
    char path[256], cmd[600];
    snprintf(cmd, sizeof cmd,
             "mkdir -p %s/b/c %s/a %s/.hidden && touch %s/z.yaml %s/b/c/x.yml %s/a/y.json %s/a/readme.md %s/.hidden/h.yaml "
             "%s/b/w.yaml && ln -s .. %s/b/loop && ln -s ../z.yaml %s/a/link.yaml && ln -s nowhere.yaml %s/a/gone.yaml",
             dir, dir, dir, dir, dir, dir, dir, dir, dir, dir, dir, dir);
    ck_assert_int_eq(system(cmd), 0);
    kvet_ctx *ctx = kvet_ctx_new();
    const char *paths[] = {dir};
    char **out;
    size_t n;
    ck_assert_int_eq(kv_expand_inputs(ctx, paths, 1, &out, &n), 0);
    /* a link to a file is read (readdir says only that it is a link); a
     * dangling one is not */
    ck_assert_uint_eq(n, 5);
    snprintf(path, sizeof path, "%s/z.yaml", dir);
    ck_assert_str_eq(out[0], path);
    snprintf(path, sizeof path, "%s/a/link.yaml", dir);
    ck_assert_str_eq(out[1], path);
    snprintf(path, sizeof path, "%s/a/y.json", dir);
    ck_assert_str_eq(out[2], path);
    snprintf(path, sizeof path, "%s/b/w.yaml", dir);
    ck_assert_str_eq(out[3], path);
    snprintf(path, sizeof path, "%s/b/c/x.yml", dir);
    ck_assert_str_eq(out[4], path);
    kv_free_strings(out, n);
    /* a missing path is an error naming it */
    const char *missing[] = {"/nonexistent/kvet"};
    ck_assert_int_eq(kv_expand_inputs(ctx, missing, 1, &out, &n), -1);
    kv_free_strings(out, n);
    ck_assert_str_eq(first_error(ctx), "0:0: cannot read: No such file or directory");
    kvet_diag_clear(ctx);
    /* the size limit */
    kvet_limits l = kvet_default_limits();
    l.max_document_bytes = 10;
    kvet_ctx_set_limits(ctx, &l);
    snprintf(path, sizeof path, "%s/big.yaml", dir);
    FILE *f = fopen(path, "w");
    fputs("a: 12345678901234567890\n", f);
    fclose(f);
    char *data;
    size_t len;
    ck_assert_int_eq(kv_read_file(ctx, path, &data, &len), -1);
    ck_assert_str_eq(first_error(ctx), "0:0: file is larger than the limit of 10 bytes");
    kvet_diag_clear(ctx);
    /* over the limit, a file is refused even where a large one is left to
     * a window; within it, one of `large` bytes or more is left unread */
    ck_assert_int_eq(kv_read_file_below(ctx, path, 5, &data, &len), -1);
    ck_assert_str_eq(first_error(ctx), "0:0: file is larger than the limit of 10 bytes");
    kvet_diag_clear(ctx);
    l.max_document_bytes = 100;
    kvet_ctx_set_limits(ctx, &l);
    data = NULL;
    ck_assert_int_eq(kv_read_file_below(ctx, path, 24, &data, &len), 1);
    ck_assert_ptr_null(data);
    ck_assert_int_eq(kvet_diag_count(ctx), 0);
    ck_assert_int_eq(kv_read_file_below(ctx, path, 25, &data, &len), 0);
    ck_assert_uint_eq(len, 24);
    ck_assert_str_eq(data, "a: 12345678901234567890\n");
    free(data);
    l.max_document_bytes = 10;
    kvet_ctx_set_limits(ctx, &l);
    snprintf(path, sizeof path, "%s/b", dir);
    ck_assert_int_eq(kv_read_file(ctx, path, &data, &len), -1);
    ck_assert_str_eq(first_error(ctx), "0:0: is a folder, not a file");
    kvet_ctx_free(ctx);
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    ck_assert_int_eq(system(cmd), 0);
}
END_TEST

START_TEST(documents_api)
{
    char dir[] = "/tmp/kvet-doc-XXXXXX";
    ck_assert_ptr_nonnull(mkdtemp(dir));
    char path[256], cmd[300];
    snprintf(path, sizeof path, "%s/t.yaml", dir);
    FILE *f = fopen(path, "w");
    fputs("a: 1\n---\n# second\nb:\n  c: [x, y]\n", f);
    fclose(f);
    kvet_ctx *ctx = kvet_ctx_new();
    kvet_documents *dd = kvet_documents_read(ctx, path);
    ck_assert_ptr_nonnull(dd);
    ck_assert_uint_eq(kvet_documents_count(dd), 2);
    ck_assert_str_eq(kvet_documents_path(dd), path);
    kvet_value b = kvet_map_get(kvet_documents_at(dd, 1), "b", 1);
    kvet_value c = kvet_map_get(b, "c", 1);
    ck_assert_int_eq(c.type, KVET_LIST);
    ck_assert_uint_eq(c.line, 5);
    ck_assert_uint_eq(c.col, 6);
    ck_assert_int_eq(kvet_documents_at(dd, 2).type, KVET_ABSENT);
    /* an error at a value quotes its line with a caret */
    kvet_documents_error(dd, c, "wanted a %s", "map");
    ck_assert_uint_eq(kvet_diag_count(ctx), 1);
    const kvet_diag *d = kvet_diag_at(ctx, 0);
    ck_assert_str_eq(d->message, "wanted a map");
    ck_assert_uint_eq(d->line, 5);
    ck_assert_str_eq(d->excerpt, "  c: [x, y]");
    kvet_documents_free(dd);
    kvet_diag_clear(ctx);
    /* a broken file gives NULL and a diagnostic */
    f = fopen(path, "w");
    fputs("a: [1, 2\n", f);
    fclose(f);
    ck_assert_ptr_null(kvet_documents_read(ctx, path));
    ck_assert_uint_ge(kvet_error_count(ctx), 1);
    kvet_ctx_free(ctx);
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    ck_assert_int_eq(system(cmd), 0);
}
END_TEST

/* kv_load_manifests: keep the resources it hands on */
enum { RES_MAX = 96 };
typedef struct res_list {
    kvet_value v[RES_MAX];
    uint32_t src[RES_MAX];
    int n;
    bool copied;
    kv_arena arena; /* items come without an arena of their own: copied here */
} res_list;

static int keep_resource(void *ud, kv_doc *d)
{
    res_list *rl = ud;
    if (rl->n == RES_MAX)
        return 0;
    bool oom = false;
    rl->v[rl->n] = kv_value_copy(&rl->arena, d->root, &oom);
    rl->src[rl->n] = d->src;
    rl->n++;
    return 0;
}

static int manifests_ex(kvet_ctx *ctx, const char *name, const char *text, unsigned flags, res_list *rl,
                        kv_manifest_stats *st)
{
    memset(rl, 0, sizeof *rl);
    kv_arena_init(&rl->arena);
    uint32_t src = kv_source_add(ctx, name);
    return kv_load_manifests(ctx, name, src, text, strlen(text), flags, keep_resource, rl, st);
}

static int manifests(kvet_ctx *ctx, const char *name, const char *text, res_list *rl, kv_manifest_stats *st)
{
    return manifests_ex(ctx, name, text, 0, rl, st);
}

static void res_free(res_list *rl)
{
    kv_arena_free(&rl->arena);
}

/* every diagnostic as "sev line:col: message", one a line */
static const char *all_diags(kvet_ctx *ctx)
{
    static char buf[4096];
    size_t o = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < kvet_diag_count(ctx) && o < sizeof buf; i++) {
        const kvet_diag *d = kvet_diag_at(ctx, i);
        o += (size_t)snprintf(buf + o, sizeof buf - o, "%s %u:%u: %s\n", kvet_severity_name(d->severity), d->line,
                              d->col, d->message);
    }
    return buf;
}

START_TEST(manifests_lists_and_streams)
{
    kvet_ctx *ctx = kvet_ctx_new();
    res_list rl;
    kv_manifest_stats st;
    /* a top-level YAML sequence of mappings: each item a document */
    const char *seq = "# header\n- apiVersion: v1\n  kind: A\n- apiVersion: v1\n  kind: B\n";
    ck_assert_int_eq(manifests(ctx, "seq.yaml", seq, &rl, &st), 0);
    ck_assert_int_eq(rl.n, 2);
    ck_assert_uint_eq(rl.v[1].line, 4);
    ck_assert_uint_eq(rl.v[1].col, 3);
    ck_assert_str_eq(get(rl.v[1], "kind").u.s->data, "B");
    ck_assert_uint_eq(st.documents, 2);
    ck_assert_uint_eq(st.resources, 2);
    res_free(&rl);
    /* a JSON array of objects, and one whose items are not objects */
    const char *arr = "[\n {\"apiVersion\": \"v1\", \"kind\": \"A\"},\n {\"apiVersion\": \"v1\", \"kind\": \"B\"}]";
    ck_assert_int_eq(manifests(ctx, "a.json", arr, &rl, &st), 0);
    ck_assert_int_eq(rl.n, 2);
    ck_assert_uint_eq(rl.v[1].line, 3);
    ck_assert_uint_eq(rl.v[1].col, 2);
    res_free(&rl);
    const char *bad = "[{\"apiVersion\": \"v1\", \"kind\": \"A\"},\n  \"x\"]";
    ck_assert_int_eq(manifests(ctx, "b.json", bad, &rl, &st), -1);
    ck_assert_int_eq(rl.n, 1);
    ck_assert_uint_eq(st.invalid, 1);
    ck_assert_str_eq(first_error(ctx),
                     "2:3: a top-level list holds Kubernetes resources, but this item is a string, not a mapping");
    res_free(&rl);
    kvet_diag_clear(ctx);
    /* JSON values one after another (jq -c), in a text not named .json */
    const char *stream = "{\"apiVersion\":\"v1\",\"kind\":\"A\"}\n{\"apiVersion\":\"v1\",\"kind\":\"B\"}"
                         "{\"apiVersion\":\"v1\",\"kind\":\"C\"}\n";
    ck_assert_int_eq(manifests(ctx, "<stdin>", stream, &rl, &st), 0);
    ck_assert_int_eq(rl.n, 3);
    ck_assert_uint_eq(rl.v[1].line, 2);
    ck_assert_uint_eq(rl.v[1].col, 1);
    ck_assert_uint_eq(rl.v[2].line, 2);
    ck_assert_uint_eq(rl.v[2].col, 31);
    ck_assert_uint_eq(get(rl.v[2], "kind").col, 57);
    res_free(&rl);
    /* a v1 List, and a typed list whose items leave apiVersion and kind out */
    const char *list = "apiVersion: v1\nkind: List\nitems:\n- apiVersion: apps/v1\n  kind: Deployment\n"
                       "---\napiVersion: serving.kserve.io/v1beta1\nkind: InferenceServiceList\nitems:\n"
                       "- metadata:\n    name: a\n---\napiVersion: v1\nkind: List\nitems: []\n";
    ck_assert_int_eq(manifests(ctx, "l.yaml", list, &rl, &st), 0);
    ck_assert_int_eq(rl.n, 2);
    ck_assert_str_eq(get(rl.v[0], "kind").u.s->data, "Deployment");
    ck_assert_uint_eq(rl.v[0].line, 4);
    ck_assert_str_eq(get(rl.v[1], "kind").u.s->data, "InferenceService");
    ck_assert_str_eq(get(rl.v[1], "apiVersion").u.s->data, "serving.kserve.io/v1beta1");
    ck_assert_uint_eq(get(rl.v[1], "kind").line, 8); /* the list's kind */
    ck_assert_str_eq(get(get(rl.v[1], "metadata"), "name").u.s->data, "a");
    ck_assert_uint_eq(rl.v[1].line, 10);
    ck_assert_uint_eq(st.documents, 2);
    res_free(&rl);
    /* the items of a List name their apiVersion and kind */
    const char *items = "apiVersion: v1\nkind: List\nitems:\n- metadata: {}\n- 3\n";
    ck_assert_int_eq(manifests(ctx, "i.yaml", items, &rl, &st), -1);
    ck_assert_int_eq(rl.n, 0);
    ck_assert_str_eq(all_diags(ctx),
                     "error 4:3: a List item without apiVersion and kind; the items of a List are Kubernetes resources "
                     "and name both\n"
                     "error 5:3: a List holds Kubernetes resources, but this item is an integer, not a mapping\n");
    res_free(&rl);
    kvet_ctx_free(ctx);
}
END_TEST

/* A JSON List in pieces is taken apart as it would be whole: the List is
 * checked once, with its first piece. */
START_TEST(manifests_json_list_pieces)
{
    kvet_ctx *ctx = kvet_ctx_new();
    res_list rl;
    kv_manifest_stats st;
    const char *typed = "{\"apiVersion\": \"serving.kserve.io/v1beta1\", \"kind\": \"InferenceServiceList\",\n"
                        " \"items\": [{\"metadata\": {\"name\": \"a\"}}, {\"metadata\": {\"name\": \"b\"}},\n"
                        "  {\"apiVersion\": \"v1\", \"kind\": \"ConfigMap\"}, 7]}";
    ck_assert_int_eq(manifests(ctx, "t.json", typed, &rl, &st), -1);
    ck_assert_int_eq(rl.n, 3);
    ck_assert_str_eq(get(rl.v[1], "kind").u.s->data, "InferenceService");
    ck_assert_str_eq(get(get(rl.v[1], "metadata"), "name").u.s->data, "b");
    ck_assert_str_eq(get(rl.v[2], "kind").u.s->data, "ConfigMap");
    ck_assert_uint_eq(st.documents, 4);
    ck_assert_uint_eq(st.resources, 3);
    ck_assert_uint_eq(st.invalid, 1);
    ck_assert_str_eq(all_diags(ctx), "error 3:46: a List holds Kubernetes resources, but this item is an integer, "
                                     "not a mapping\n");
    res_free(&rl);
    kvet_diag_clear(ctx);
    /* a List that is not checked: one note, and none of its items */
    const char *ph = "{\"apiVersion\": \"{{ .Values.api }}\", \"kind\": \"List\",\n"
                     " \"items\": [{\"apiVersion\": \"v1\", \"kind\": \"A\"}, {\"apiVersion\": \"v1\", \"kind\": \"B\"}]}";
    ck_assert_int_eq(manifests(ctx, "t.json", ph, &rl, &st), 0);
    ck_assert_int_eq(rl.n, 0);
    ck_assert_uint_eq(st.documents, 1);
    ck_assert_uint_eq(st.skipped, 1);
    ck_assert_str_eq(all_diags(ctx), "note 1:16: skipped a document whose apiVersion is a template placeholder "
                                     "({{ .Values.api }}): render it first\n");
    res_free(&rl);
    kvet_diag_clear(ctx);
    /* an envsubst placeholder is one too */
    ck_assert_int_eq(manifests(ctx, "t.yaml", "apiVersion: v1\nkind: ${KIND}\n---\napiVersion: v1\nkind: A\n",
                               &rl, &st), 0);
    ck_assert_int_eq(rl.n, 1);
    ck_assert_uint_eq(st.skipped, 1);
    ck_assert_str_eq(all_diags(ctx), "note 2:7: skipped a document whose kind is a template placeholder "
                                     "(${KIND}): render it first\n");
    res_free(&rl);
    kvet_diag_clear(ctx);
    kvet_ctx_free(ctx);
}
END_TEST

START_TEST(manifests_api_version_and_kind)
{
    kvet_ctx *ctx = kvet_ctx_new();
    res_list rl;
    kv_manifest_stats st;
    const char *y = "kind: A\n"                                      /* 1: no apiVersion */
                    "---\napiVersion: 2\nkind: A\n"                  /* 3 */
                    "---\napiVersion: ''\nkind: A\n"                 /* 6 */
                    "---\napiVersion: serving.kserve.io\nkind: A\n"  /* 9 */
                    "---\napiVersion: v1/\nkind: A\n"                /* 12 */
                    "---\napiVersion: a b/v1\nkind: A\n"             /* 15 */
                    "---\napiVersion: a/b/c\nkind: A\n"              /* 18 */
                    "---\napiVersion: v1\nmetadata: {}\n"            /* 21: no kind */
                    "---\nname: values\n"                            /* 24: not a resource */
                    "---\napiVersion: '{{ .Values.api }}'\nkind: A\n" /* 26: a placeholder */
                    "---\napiVersion: v2\nname: chart\nversion: 1.0.0\n" /* 29: Chart.yaml */
                    "---\nhello\n"                                   /* 33: a scalar */
                    "---\napiVersion: apps/v1\nkind: Deployment\n";  /* 35: fine */
    ck_assert_int_eq(manifests(ctx, "k.yaml", y, &rl, &st), -1);
    ck_assert_int_eq(rl.n, 1);
    ck_assert_uint_eq(st.documents, 13);
    ck_assert_uint_eq(st.invalid, 8);
    ck_assert_uint_eq(st.skipped, 4);
    ck_assert_str_eq(
        all_diags(ctx),
        "error 1:1: kind \"A\" without an apiVersion; expected GROUP/VERSION (e.g. apps/v1) or v1 for the core group\n"
        "error 3:13: apiVersion is an integer, not a string; expected GROUP/VERSION (e.g. apps/v1) or v1 for the core "
        "group\n"
        "error 6:13: apiVersion is empty; expected GROUP/VERSION (e.g. apps/v1) or v1 for the core group\n"
        "error 9:13: apiVersion \"serving.kserve.io\" has no version; expected serving.kserve.io/VERSION "
        "(GROUP/VERSION, e.g. apps/v1)\n"
        "error 12:13: apiVersion \"v1/\" has no version after '/'; expected GROUP/VERSION (e.g. apps/v1) or v1 for "
        "the core group\n"
        "error 15:13: apiVersion \"a b/v1\" contains white space; expected GROUP/VERSION (e.g. apps/v1) or v1 for the "
        "core group\n"
        "error 18:13: apiVersion \"a/b/c\" has more than one '/'; expected GROUP/VERSION (e.g. apps/v1) or v1 for the "
        "core group\n"
        "error 21:1: apiVersion \"v1\" without a kind; a Kubernetes resource names its kind (e.g. kind: Deployment)\n"
        "note 24:1: skipped a document without apiVersion and kind (not a Kubernetes resource)\n"
        "note 26:13: skipped a document whose apiVersion is a template placeholder ({{ .Values.api }}): render it "
        "first\n"
        "note 29:1: skipped a Helm chart description (Chart.yaml; not a Kubernetes resource)\n"
        "note 33:1: skipped a document that is a string, not a mapping (not a Kubernetes resource)\n");
    /* the caret covers the value */
    const kvet_diag *d = kvet_diag_at(ctx, 3);
    ck_assert_uint_eq(d->width, 17);
    ck_assert_str_eq(d->excerpt, "apiVersion: serving.kserve.io");
    res_free(&rl);
    kvet_diag_clear(ctx);
    /* a misspelt key is named */
    const char *typo = "piVersion: v1\nkind: A\n---\napiversion: v1\nKind: A\n";
    ck_assert_int_eq(manifests(ctx, "t.yaml", typo, &rl, &st), -1);
    ck_assert_str_eq(kvet_diag_at(ctx, 0)->hint, "did you mean `apiVersion`? `piVersion` is written at line 1");
    ck_assert_str_eq(kvet_diag_at(ctx, 1)->message,
                     "`apiversion` is not `apiVersion` (keys are case-sensitive): this resource has no apiVersion and "
                     "kind");
    ck_assert_uint_eq(kvet_diag_at(ctx, 1)->line, 4);
    res_free(&rl);
    kvet_ctx_free(ctx);
}
END_TEST

START_TEST(manifests_helm_sources)
{
    kvet_ctx *ctx = kvet_ctx_new();
    res_list rl;
    kv_manifest_stats st;
    const char *y = "apiVersion: v1\nkind: Before\n"
                    "---\n# Source: shop/templates/a.yaml\napiVersion: v1\nkind: A\n"
                    "---\napiVersion: v1\nkind: StillA\n"
                    "# Source: https://example.com/not/a/template.yaml\n"
                    "---\n# Source: shop/charts/db/templates/b.yaml\n\napiVersion: v1\nkind: B\n"
                    "---\n# Source: shop/templates/a.yaml\napiVersion: v1\nkind: [Broken]\n";
    ck_assert_int_eq(manifests_ex(ctx, "<stdin>", y, KV_LOAD_SOURCES, &rl, &st), -1);
    ck_assert_int_eq(rl.n, 4);
    ck_assert_str_eq(kv_source_name(ctx, rl.src[0]), "<stdin>");
    ck_assert_str_eq(kv_source_name(ctx, rl.src[1]), "shop/templates/a.yaml");
    ck_assert_str_eq(kv_source_name(ctx, rl.src[2]), "shop/templates/a.yaml");
    ck_assert_str_eq(kv_source_name(ctx, rl.src[3]), "shop/charts/db/templates/b.yaml");
    /* values carry the template's source, positions stay the stream's */
    kvet_value k = get(rl.v[3], "kind");
    ck_assert_str_eq(kv_source_name(ctx, k.src), "shop/charts/db/templates/b.yaml");
    ck_assert_uint_eq(k.line, 15);
    /* diagnostics name the template */
    const kvet_diag *d = kvet_diag_at(ctx, 0);
    ck_assert_str_eq(d->file, "shop/templates/a.yaml");
    ck_assert_uint_eq(d->line, 19);
    res_free(&rl);
    kvet_diag_clear(ctx);
    /* libyaml's marks count characters, not bytes: the comment before a
     * document is found after text of many multi-byte characters */
    const char *wide = "# Source: shop/templates/a.yaml\napiVersion: v1\nkind: A\nx: \"\xC3\xA9\xC3\xA9\xC3\xA9"
                       "\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9"
                       "\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9"
                       "\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9"
                       "\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\"\n---\n"
                       "# Source: shop/templates/b.yaml\napiVersion: v1\nkind: B\n";
    ck_assert_int_eq(manifests_ex(ctx, "<stdin>", wide, KV_LOAD_SOURCES, &rl, &st), 0);
    ck_assert_int_eq(rl.n, 2);
    ck_assert_str_eq(kv_source_name(ctx, rl.src[0]), "shop/templates/a.yaml");
    ck_assert_str_eq(kv_source_name(ctx, rl.src[1]), "shop/templates/b.yaml");
    res_free(&rl);
    kvet_diag_clear(ctx);
    /* many templates, then each again in the other order: a template
     * seen before gets its source back (the table of paths grows) */
    kv_buf many;
    kv_buf_init(&many);
    for (int i = 0; i < 80; i++)
        kv_buf_printf(&many, "---\n# Source: shop/templates/t%d.yaml\napiVersion: v1\nkind: K%d\n",
                      i < 40 ? i : 79 - i, i);
    ck_assert_int_eq(manifests_ex(ctx, "<stdin>", many.data, KV_LOAD_SOURCES, &rl, &st), 0);
    ck_assert_int_eq(rl.n, 80);
    for (int i = 0; i < 40; i++) {
        char want[64];
        snprintf(want, sizeof want, "shop/templates/t%d.yaml", i);
        ck_assert_str_eq(kv_source_name(ctx, rl.src[i]), want);
        ck_assert_uint_eq(rl.src[79 - i], rl.src[i]);
    }
    kv_buf_free(&many);
    res_free(&rl);
    kvet_diag_clear(ctx);
    /* a file's documents keep its name: its lines are its own */
    ck_assert_int_eq(manifests(ctx, "rendered.yaml", y, &rl, &st), -1);
    ck_assert_str_eq(kv_source_name(ctx, rl.src[3]), "rendered.yaml");
    ck_assert_str_eq(kvet_diag_at(ctx, 0)->file, "rendered.yaml");
    res_free(&rl);
    kvet_ctx_free(ctx);
}
END_TEST

START_TEST(inputs_exclude_and_stats)
{
    char dir[] = "/tmp/kvet-doc-XXXXXX";
    ck_assert_ptr_nonnull(mkdtemp(dir));
    char cmd[1200];
    snprintf(cmd, sizeof cmd,
             "mkdir -p %s/tests/m/apps/prod %s/tests/m/apps/legacy %s/tests/m/tests %s/tests/m/.git && "
             "touch %s/tests/m/apps/prod/a.yaml %s/tests/m/apps/legacy/b.yaml %s/tests/m/tests/c.yaml "
             "%s/tests/m/apps/d.json %s/tests/m/README.md %s/tests/m/top.yaml",
             dir, dir, dir, dir, dir, dir, dir, dir, dir, dir);
    ck_assert_int_eq(system(cmd), 0);
    kvet_ctx *ctx = kvet_ctx_new();
    char root[300], named[300], walked_pat[320];
    snprintf(root, sizeof root, "%s/tests/m", dir);
    snprintf(named, sizeof named, "%s/tests/m/apps/legacy/b.yaml", dir);
    snprintf(walked_pat, sizeof walked_pat, "%s/tests/m/top.yaml", dir);
    /* relative to the folder (`tests` is its sub-folder, not the folder's
     * own parent), as walked, and a file named explicitly is read */
    const char *ex[] = {"apps/legacy", "**/*.json", "tests", walked_pat};
    kv_walk_opts wo = {ex, 4};
    const char *paths[] = {root, named, "-"};
    char **out;
    size_t n, *origin;
    kv_walk_stats ws[3];
    ck_assert_int_eq(kv_expand_inputs_ex(ctx, paths, 3, &wo, &out, &n, &origin, ws), 0);
    ck_assert_uint_eq(n, 3);
    ck_assert(strstr(out[0], "/tests/m/apps/prod/a.yaml") != NULL);
    ck_assert_str_eq(out[1], named);
    ck_assert_str_eq(out[2], "-");
    ck_assert_uint_eq(origin[0], 0);
    ck_assert_uint_eq(origin[1], 1);
    ck_assert_uint_eq(origin[2], 2);
    ck_assert(ws[0].folder && !ws[1].folder && !ws[2].folder);
    ck_assert_uint_eq(ws[0].files, 1);
    ck_assert_uint_eq(ws[0].excluded, 4);
    ck_assert_uint_eq(ws[0].hidden, 1);
    ck_assert_uint_eq(ws[0].other, 1);
    ck_assert_uint_eq(ws[1].files, 1);
    kv_free_strings(out, n);
    free(origin);
    kvet_ctx_free(ctx);
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    ck_assert_int_eq(system(cmd), 0);
}
END_TEST

/* Standard input of `large` bytes or more that is no YAML a window reads is
 * copied to an unlinked file in $TMPDIR, from which a JSON List is planned
 * as a file is; without a temporary file it is read whole. */
static void stdin_from(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs(text, f);
    fclose(f);
    ck_assert_ptr_nonnull(freopen(path, "rb", stdin));
}

START_TEST(stdin_json_copied_to_a_file)
{
    char dir[] = "/tmp/kvet-stdin-test-XXXXXX";
    ck_assert_ptr_nonnull(mkdtemp(dir));
    char in[300], copies[300], cmd[700];
    snprintf(in, sizeof in, "%s/in", dir);
    snprintf(copies, sizeof copies, "%s/copies", dir);
    ck_assert_int_eq(mkdir(copies, 0700), 0);
    setenv("TMPDIR", copies, 1);
    kvet_ctx *ctx = kvet_ctx_new();
    const char *list = "  {\"apiVersion\": \"v1\", \"kind\": \"List\", \"items\": [\n"
                       "{\"apiVersion\": \"v1\", \"kind\": \"ConfigMap\", \"metadata\": {\"name\": \"a\"}},\n"
                       "{\"apiVersion\": \"v1\", \"kind\": \"ConfigMap\", \"metadata\": {\"name\": \"b\"}}]}\n";
    char *data = NULL;
    size_t len = 0;
    FILE *spool = NULL;
    /* past `large`: copied, and the copy is unlinked at once */
    stdin_from(in, list);
    ck_assert_int_eq(kv_read_stdin_below(ctx, "<stdin>", 16, false, NULL, &data, &len, &spool), 2);
    ck_assert_ptr_nonnull(spool);
    ck_assert_ptr_null(data);
    ck_assert_uint_eq(len, strlen(list));
    snprintf(cmd, sizeof cmd, "test -z \"$(ls -A %s)\"", copies);
    ck_assert_int_eq(system(cmd), 0);
    /* the List is planned from the copy and read through a window */
    kv_json_plan *plan = kv_json_plan_stream(ctx, spool, 8, 1);
    ck_assert_ptr_nonnull(plan);
    res_list rl;
    memset(&rl, 0, sizeof rl);
    kv_arena_init(&rl.arena);
    kv_manifest_stats st;
    uint32_t src = kv_source_add(ctx, "<stdin>");
    ck_assert_int_eq(kv_load_manifests_planned(ctx, plan, "<stdin>", src, keep_resource, &rl, &st), 0);
    ck_assert_int_eq(rl.n, 2);
    ck_assert_str_eq(get(get(rl.v[1], "metadata"), "name").u.s->data, "b");
    ck_assert_uint_eq(rl.v[1].line, 3);
    ck_assert_uint_eq(rl.v[1].col, 1);
    ck_assert_int_eq(kvet_diag_count(ctx), 0);
    res_free(&rl);
    kv_json_plan_free(plan);
    /* what is no array or List (here cut short) is not planned: the copy is
     * read whole, as standard input was */
    stdin_from(in, "[{\"apiVersion\": \"v1\", \"kind\": \"ConfigMap\"},\n");
    ck_assert_int_eq(kv_read_stdin_below(ctx, "<stdin>", 16, false, NULL, &data, &len, &spool), 2);
    ck_assert_ptr_null(kv_json_plan_stream(ctx, spool, 8, 1));
    ck_assert_int_eq(kvet_diag_count(ctx), 0);
    ck_assert_int_eq(kv_read_spool(ctx, spool, "<stdin>", len, &data, &len), 0);
    fclose(spool);
    ck_assert_str_eq(data, "[{\"apiVersion\": \"v1\", \"kind\": \"ConfigMap\"},\n");
    free(data);
    /* YAML is read through a window from its start; named *.json it is copied */
    const char *yaml = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n";
    stdin_from(in, yaml);
    ck_assert_int_eq(kv_read_stdin_below(ctx, "<stdin>", 16, false, NULL, &data, &len, &spool), 1);
    ck_assert_ptr_null(spool);
    ck_assert_uint_eq(len, 16);
    ck_assert_int_eq(memcmp(data, yaml, 16), 0);
    free(data);
    stdin_from(in, yaml);
    ck_assert_int_eq(kv_read_stdin_below(ctx, "x.json", 16, true, NULL, &data, &len, &spool), 0);
    ck_assert_ptr_null(spool);
    ck_assert_str_eq(data, yaml);
    free(data);
    /* for threads to parse in parts, YAML is copied whole, and the copy
     * unlinked at once; not named *.json, nor with a `# Source:` line in
     * its first `large` bytes (helm template's output is read as it comes) */
    int copy_end = 7;
    stdin_from(in, yaml);
    ck_assert_int_eq(kv_read_stdin_below(ctx, "<stdin>", 16, false, &copy_end, &data, &len, &spool), 3);
    ck_assert_ptr_nonnull(spool);
    ck_assert_ptr_null(data);
    ck_assert_int_eq(copy_end, 0);
    ck_assert_uint_eq(len, strlen(yaml));
    snprintf(cmd, sizeof cmd, "test -z \"$(ls -A %s)\"", copies);
    ck_assert_int_eq(system(cmd), 0);
    ck_assert_int_eq(kv_read_spool(ctx, spool, "<stdin>", len, &data, &len), 0);
    fclose(spool);
    ck_assert_str_eq(data, yaml);
    free(data);
    stdin_from(in, yaml);
    ck_assert_int_eq(kv_read_stdin_below(ctx, "x.json", 16, true, &copy_end, &data, &len, &spool), 0);
    ck_assert_ptr_null(spool);
    free(data);
    const char *helm = "---\n# Source: chart/templates/a.yaml\napiVersion: v1\nkind: ConfigMap\n";
    stdin_from(in, helm);
    ck_assert_int_eq(kv_read_stdin_below(ctx, "<stdin>", 40, false, &copy_end, &data, &len, &spool), 1);
    ck_assert_ptr_null(spool);
    ck_assert_uint_eq(len, 40);
    free(data);
    /* one past the first `large` bytes is not looked for (the parts read
     * alone from the one that holds it, yaml_split.c) */
    const char *later = "apiVersion: v1\nkind: ConfigMap\n---\n# Source: chart/templates/a.yaml\nkind: Secret\n";
    stdin_from(in, later);
    ck_assert_int_eq(kv_read_stdin_below(ctx, "<stdin>", 16, false, &copy_end, &data, &len, &spool), 3);
    ck_assert_uint_eq(len, strlen(later));
    fclose(spool);
    stdin_from(in, list);
    ck_assert_int_eq(kv_read_stdin_below(ctx, "x.json", 16, true, NULL, &data, &len, &spool), 2);
    ck_assert_uint_eq(len, strlen(list));
    fclose(spool);
    /* a copy that cannot be written (here: the file-size limit) leaves the
     * input held whole, every byte of it */
    struct rlimit fsize, small;
    ck_assert_int_eq(getrlimit(RLIMIT_FSIZE, &fsize), 0);
    small = fsize;
    small.rlim_cur = 64;
    stdin_from(in, list);
    signal(SIGXFSZ, SIG_IGN);
    /* nothing but the read while the limit holds: Check writes files too */
    int limited = setrlimit(RLIMIT_FSIZE, &small);
    int rc = kv_read_stdin_below(ctx, "<stdin>", 16, false, NULL, &data, &len, &spool);
    int restored = setrlimit(RLIMIT_FSIZE, &fsize);
    signal(SIGXFSZ, SIG_DFL);
    ck_assert_int_eq(limited, 0);
    ck_assert_int_eq(restored, 0);
    ck_assert_int_eq(rc, 0);
    ck_assert_ptr_null(spool);
    ck_assert_str_eq(data, list);
    ck_assert_int_eq(kvet_diag_count(ctx), 0);
    free(data);
    /* below `large`: read whole */
    stdin_from(in, list);
    ck_assert_int_eq(kv_read_stdin_below(ctx, "<stdin>", 4096, false, NULL, &data, &len, &spool), 0);
    ck_assert_ptr_null(spool);
    ck_assert_str_eq(data, list);
    free(data);
    /* past the limit nothing is checked, with or without the copy */
    kvet_limits l = kvet_default_limits();
    l.max_document_bytes = 100;
    kvet_ctx_set_limits(ctx, &l);
    /* but a YAML copy ends past the limit, with no error yet: the documents
     * before the limit are checked as they would have been as they came */
    char longer[400];
    snprintf(longer, sizeof longer, "%s---\n%s---\n%s---\n%s---\n%s", yaml, yaml, yaml, yaml, yaml);
    stdin_from(in, longer);
    ck_assert_int_eq(kv_read_stdin_below(ctx, "<stdin>", 16, false, &copy_end, &data, &len, &spool), 3);
    ck_assert_int_eq(copy_end, -1);
    ck_assert_uint_gt(len, 100);
    ck_assert_int_eq(kvet_diag_count(ctx), 0);
    fclose(spool);
    stdin_from(in, list);
    ck_assert_int_eq(kv_read_stdin_below(ctx, "<stdin>", 16, false, NULL, &data, &len, &spool), -1);
    ck_assert_ptr_null(spool);
    ck_assert_str_eq(first_error(ctx), "0:0: standard input is larger than the limit of 100 bytes: none of it is checked");
    kvet_diag_clear(ctx);
    snprintf(cmd, sizeof cmd, "test -z \"$(ls -A %s)\"", copies);
    ck_assert_int_eq(system(cmd), 0);
    l.max_document_bytes = 1 << 20;
    kvet_ctx_set_limits(ctx, &l);
    /* no temporary file can be made: held whole */
    setenv("TMPDIR", in, 1);
    stdin_from(in, list);
    ck_assert_int_eq(kv_read_stdin_below(ctx, "<stdin>", 16, false, NULL, &data, &len, &spool), 0);
    ck_assert_ptr_null(spool);
    ck_assert_str_eq(data, list);
    ck_assert_int_eq(kvet_diag_count(ctx), 0);
    free(data);
    snprintf(cmd, sizeof cmd, "test -z \"$(ls -A %s)\"", copies);
    ck_assert_int_eq(system(cmd), 0);
    kvet_ctx_free(ctx);
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    ck_assert_int_eq(system(cmd), 0);
}
END_TEST

/* An excerpt is quoted at most 160 characters wide, around its caret; a
 * caret past what the excerpt keeps comes without one. */
static char *render_at(kvet_ctx *ctx, const char *line, uint32_t col, uint32_t width)
{
    kvet_diag_clear(ctx);
    kv_diag(ctx, KVET_SEV_ERROR, "f", 1, col, width, line, "m");
    return kvet_diag_render(kvet_diag_at(ctx, 0), 0);
}

START_TEST(long_lines_quoted_around_the_caret)
{
    kvet_ctx *ctx = kvet_ctx_new();
    char *r = render_at(ctx, "key: [1, 2", 11, 1);
    ck_assert_str_eq(r, "f:1:11: error: m\n 1 | key: [1, 2\n   |           ^\n");
    free(r);
    /* 1,000 characters, digits that say where they are */
    char line[6001];
    for (int i = 0; i < 1000; i++)
        line[i] = (char)('0' + i % 10);
    line[1000] = '\0';
    char want[1200], shown[200];
    memset(want, 0, sizeof want);
    /* near the start: cut on the right only */
    r = render_at(ctx, line, 10, 3);
    memcpy(shown, line, 160);
    shown[160] = '\0';
    snprintf(want, sizeof want, "f:1:10: error: m\n 1 | %s...\n   | %9s^~~\n", shown, "");
    ck_assert_str_eq(r, want);
    free(r);
    /* in the middle: 80 characters before the caret, after "..." */
    r = render_at(ctx, line, 501, 1);
    memcpy(shown, line + 420, 160);
    snprintf(want, sizeof want, "f:1:501: error: m\n 1 | ...%s...\n   | %83s^\n", shown, "");
    ck_assert_str_eq(r, want);
    free(r);
    /* near the end, and a span that runs past what is shown */
    r = render_at(ctx, line, 995, 40);
    memcpy(shown, line + 840, 160);
    snprintf(want, sizeof want, "f:1:995: error: m\n 1 | ...%s\n   | %157s^%s\n", shown, "",
             "~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~");
    ck_assert_str_eq(r, want);
    free(r);
    /* characters, not bytes: 300 two-byte ones */
    char wide[601];
    for (int i = 0; i < 300; i++)
        memcpy(wide + 2 * i, "\xc3\xa9", 2);
    wide[600] = '\0';
    r = render_at(ctx, wide, 151, 1);
    char wshown[321];
    memcpy(wshown, wide + 140, 320);
    wshown[320] = '\0';
    snprintf(want, sizeof want, "f:1:151: error: m\n 1 | ...%s...\n   | %83s^\n", wshown, "");
    ck_assert_str_eq(r, want);
    free(r);
    /* a line kept cut at 4,096 bytes, a caret past it: no excerpt */
    for (int i = 0; i < 6000; i++)
        line[i] = 'x';
    line[6000] = '\0';
    r = render_at(ctx, line, 5000, 1);
    ck_assert_str_eq(r, "f:1:5000: error: m\n");
    free(r);
    /* near the end of the kept text: the "..." it was kept with says the
     * line goes on */
    r = render_at(ctx, line, 4090, 1);
    memset(shown, 'x', 157);
    shown[157] = '\0';
    snprintf(want, sizeof want, "f:1:4090: error: m\n 1 | ...%s...\n   | %153s^\n", shown, "");
    ck_assert_str_eq(r, want);
    free(r);
    /* right after the kept text: the caret there, on the "..." */
    r = render_at(ctx, line, 4097, 1);
    snprintf(want, sizeof want, "f:1:4097: error: m\n 1 | ...%s...\n   | %160s^\n", shown, "");
    ck_assert_str_eq(r, want);
    free(r);
    kvet_ctx_free(ctx);
}
END_TEST

START_TEST(path_globs)
{
    ck_assert(kv_path_glob("apps/**", "apps/a/b/c.yaml"));
    ck_assert(kv_path_glob("apps/**/*.yaml", "apps/c.yaml"));
    ck_assert(kv_path_glob("apps/**/*.yaml", "apps/x/y/c.yaml"));
    ck_assert(!kv_path_glob("apps/**/*.yaml", "apps/x/y/c.json"));
    ck_assert(kv_path_glob("apps/prod", "apps/prod/isvc.yaml"));   /* a folder takes what is below it */
    ck_assert(!kv_path_glob("apps/prod", "apps/production/isvc.yaml"));
    ck_assert(kv_path_glob("apps/*", "apps/prod/isvc.yaml"));
    ck_assert(!kv_path_glob("apps/*.yaml", "apps/prod/isvc.yaml")); /* '*' stays within a segment */
    ck_assert(kv_path_glob("./clusters/prod/*.yaml", "clusters/prod/config-autoscaler.yaml"));
    ck_assert(kv_path_glob("clusters/[dp]*/x.yaml", "clusters/dev/x.yaml"));
    ck_assert(!kv_path_glob("clusters/[dp]*/x.yaml", "clusters/staging/x.yaml"));
    ck_assert(kv_path_glob("**/kustomization.yaml", "kustomization.yaml"));
    ck_assert(kv_path_glob("**/tests/**", "a/b/tests/c.yaml"));
    ck_assert(!kv_path_glob("**/tests/**", "a/b/testsx/c.yaml"));
    ck_assert(kv_path_is_glob("a/*") && !kv_path_is_glob("a/b"));
    char *r = kv_path_relative("/repo/x/../", "/repo/apps/./a.yaml");
    ck_assert_str_eq(r, "apps/a.yaml");
    free(r);
    r = kv_path_relative("/repo", "/repo");
    ck_assert_str_eq(r, ".");
    free(r);
    ck_assert_ptr_null(kv_path_relative("/repo/apps", "/repo/other/a.yaml"));
    ck_assert_ptr_null(kv_path_relative("/repo/apps", "/repo/apps2/a.yaml"));
    r = kv_path_relative_abs("/", "/repo/a.yaml");
    ck_assert_str_eq(r, "repo/a.yaml");
    free(r);
    ck_assert_ptr_null(kv_path_relative_abs("/repo", "/repository/a.yaml"));
    /* a relative path taken from the folder given, not the current one */
    r = kv_path_absolute_in("/repo/apps", "../cluster/./x.yaml");
    ck_assert_str_eq(r, "/repo/cluster/x.yaml");
    free(r);
    r = kv_path_absolute_in("/repo/apps", "/abs//y.yaml");
    ck_assert_str_eq(r, "/abs/y.yaml");
    free(r);
    char cwd[4096], *here = kv_path_absolute("a/b.yaml"), *there = kv_path_absolute_in(NULL, "a/b.yaml");
    ck_assert_ptr_nonnull(getcwd(cwd, sizeof cwd));
    ck_assert_ptr_nonnull(here);
    ck_assert_str_eq(here, there);
    ck_assert(!strncmp(here, cwd, strlen(cwd)));
    free(here);
    free(there);
}
END_TEST

/* The lines a load that follows `# Source:` comments would take as one:
 * a `#` at the line's start, blanks, "Source:", one path and nothing after
 * it, not a URL. */
START_TEST(yaml_source_lines)
{
    const char *yes[] = {"# Source: a/b.yaml", "x: 1\n#Source: t.yaml\ny: 2", "a\r# Source:   p  \r\n",
                         "k: |\n  text\n# Source: x.yaml\n",
                         /* after a flow or quoted root a comment starts mid-line */
                         "--- {a: 1}#Source: t/x.yaml\n", "--- \"x\" # Source: t/x.yaml\n",
                         /* what a load would not follow, but might be taken for one */
                         "  # Source: a.yaml\n", "# Source: a b\n", "x: \"# Source: a.yaml\"\n"};
    const char *no[] = {"", "Source: a.yaml", "#  Sources: a\n", "dataSource: x\n", "#\tSource: a\n"};
    for (size_t i = 0; i < sizeof yes / sizeof *yes; i++)
        ck_assert_msg(kv_yaml_has_source_line(yes[i], strlen(yes[i])), "%s", yes[i]);
    for (size_t i = 0; i < sizeof no / sizeof *no; i++)
        ck_assert_msg(!kv_yaml_has_source_line(no[i], strlen(no[i])), "%s", no[i]);
    /* linear in a line's length: 2 MB of "Source:" on one line, no "#" */
    size_t big = 2 << 20;
    char *line = malloc(big);
    ck_assert_ptr_nonnull(line);
    for (size_t i = 0; i < big; i++)
        line[i] = "Source:"[i % 7];
    ck_assert(!kv_yaml_has_source_line(line, big));
    free(line);
    /* the text's bounds, not a NUL, end it */
    ck_assert(!kv_yaml_has_source_line("# Sour", 6));
    ck_assert(kv_yaml_has_source_line("# Source: a.yaml and more", 16));
}
END_TEST

/* A map finds a key of every length from 0 to 40 bytes, and no key that
 * differs from it in one byte, wherever that byte is: short keys are
 * compared inline, by loads that overlap. */
START_TEST(map_keys_of_every_length)
{
    kv_arena a;
    kv_arena_init(&a);
    char text[41];
    for (size_t n = 0; n <= 40; n++) {
        for (size_t i = 0; i < n; i++)
            text[i] = (char)('a' + i % 26);
        kvet_map *m = kv_map_new(&a, 2);
        ck_assert_ptr_nonnull(m);
        m->e[0].key = kv_string_new(&a, "other", 5);
        m->e[0].val = kv_int(-1);
        m->e[1].key = kv_string_new(&a, text, n);
        m->e[1].val = kv_int((int64_t)n);
        const kvet_value *v = kv_map_find(m, text, n);
        ck_assert_msg(v && v->u.i == (int64_t)n, "the key of %zu bytes was not found", n);
        for (size_t i = 0; i < n; i++) {
            char probe[41];
            memcpy(probe, text, n);
            probe[i] = 'Z';
            ck_assert_msg(!kv_map_find(m, probe, n), "a key of %zu bytes differing at %zu was found", n, i);
        }
    }
    kv_arena_free(&a);
}
END_TEST

/* ------------------------------------------------- a JSON file in a window */

/* Every value of v with its position, in a buffer. */
static void dump_value(kv_buf *b, kvet_value v, uint32_t src)
{
    kv_buf_printf(b, "@%s%u:%u ", v.src == src ? "" : "elsewhere:", v.line, v.col);
    switch (v.type) {
    case KVET_MAP:
        kv_buf_puts(b, "{");
        for (uint32_t i = 0; i < v.u.m->n; i++) {
            kv_buf_printf(b, "\"%s\": ", v.u.m->e[i].key->data);
            dump_value(b, v.u.m->e[i].val, src);
            kv_buf_puts(b, ", ");
        }
        kv_buf_puts(b, "}");
        break;
    case KVET_LIST:
        kv_buf_puts(b, "[");
        for (uint32_t i = 0; i < v.u.l->n; i++) {
            dump_value(b, v.u.l->items[i], src);
            kv_buf_puts(b, ", ");
        }
        kv_buf_puts(b, "]");
        break;
    case KVET_STRING: kv_buf_printf(b, "s%u'%s'", v.flags, v.u.s->data); break;
    case KVET_INT: kv_buf_printf(b, "i%lld", (long long)v.u.i); break;
    case KVET_FLOAT: kv_buf_printf(b, "f%.17g", v.u.f); break;
    case KVET_BOOL: kv_buf_printf(b, "b%d", v.u.b); break;
    default: kv_buf_printf(b, "t%d", v.type); break;
    }
}

typedef struct seen {
    kv_buf b;
    int n;
    uint32_t src;
} seen;

static int see_resource(void *ud, kv_doc *d)
{
    seen *s = ud;
    kv_buf_printf(&s->b, "doc %u:%u piece %u: ", d->line, d->col, d->piece);
    dump_value(&s->b, d->root, s->src);
    kv_buf_puts(&s->b, "\n");
    s->n++;
    return 0;
}

/* What loading file `path` gives: its resources, their positions, every
 * diagnostic as rendered (excerpts and carets), the counts and the result;
 * through a window of `window` bytes when window > 0 (a JSON List's items
 * converted, a YAML file's parts parsed, in `threads` threads). */
static char *load_report_threads(kvet_ctx *ctx, const char *path, size_t window, unsigned threads, bool *windowed)
{
    seen s = {.n = 0};
    kv_buf_init(&s.b);
    kv_manifest_stats st;
    uint32_t src = s.src = kv_source_add(ctx, path);
    int rc;
    *windowed = false;
    size_t n = strlen(path);
    bool yaml = n > 5 && !strcmp(path + n - 5, ".yaml");
    kv_json_plan *plan = window && !yaml ? kv_json_plan_file(ctx, path, window, threads) : NULL;
    if (window && yaml && kv_yaml_windowable(path)) {
        *windowed = true;
        rc = kv_load_manifests_yaml_window(ctx, path, path, src, window, threads, NULL, see_resource, &s, &st);
    } else if (plan) {
        *windowed = true;
        rc = kv_load_manifests_planned(ctx, plan, path, src, see_resource, &s, &st);
        kv_json_plan_free(plan);
    } else {
        char *data;
        size_t len;
        ck_assert_int_eq(kv_read_file(ctx, path, &data, &len), 0);
        rc = kv_load_manifests(ctx, path, src, data, len, 0, see_resource, &s, &st);
        free(data);
    }
    kv_buf_printf(&s.b, "rc %d docs %zu resources %zu skipped %zu invalid %zu\n", rc, st.documents, st.resources,
                  st.skipped, st.invalid);
    for (size_t i = 0; i < kvet_diag_count(ctx); i++) {
        char *r = kvet_diag_render(kvet_diag_at(ctx, i), 0);
        kv_buf_puts(&s.b, r);
        free(r);
    }
    kvet_diag_clear(ctx);
    return kv_buf_take(&s.b);
}

static char *load_report(kvet_ctx *ctx, const char *path, size_t window, bool *windowed)
{
    return load_report_threads(ctx, path, window, 1, windowed);
}

static void write_file(const char *path, const char *text, size_t len)
{
    FILE *f = fopen(path, "wb");
    ck_assert_ptr_nonnull(f);
    ck_assert_uint_eq(fwrite(text, 1, len, f), len);
    fclose(f);
}

/* A large JSON array or List read through a window gives what the whole
 * text gives: the same resources at the same positions, the same
 * diagnostics with the same excerpts; anything else is not windowed. */
START_TEST(json_window_as_whole)
{
    kvet_ctx *ctx = kvet_ctx_new();
    char dir[] = "/tmp/kvet-window-XXXXXX";
    ck_assert_ptr_nonnull(mkdtemp(dir));
    char path[256];
    snprintf(path, sizeof path, "%s/in.json", dir);
    /* a line longer than a window keeps its start for excerpts */
    size_t longn = 70000;
    char *longs = malloc(longn + 1);
    memset(longs, 'x', longn);
    longs[longn] = '\0';
    kv_buf big;
    kv_buf_init(&big);
    kv_buf_printf(&big, "{\"apiVersion\": \"v1\", \"items\": [{\"apiVersion\": \"v1\", \"kind\": \"ConfigMap\", "
                        "\"data\": {\"a\": \"%s\"}}, 7, {\"apiVersion\": \"v1\"}], \"kind\": \"List\"}\n", longs);
    char *bigtext = kv_buf_take(&big);
    free(longs);
    /* more items than helpers take at once (batches of 256), some with
     * errors and notes, over many lines and then on one line */
    kv_buf many;
    kv_buf_init(&many);
    kv_buf_puts(&many, "{\"apiVersion\": \"v1\", \"kind\": \"List\", \"items\": [");
    for (int i = 0; i < 700; i++) {
        kv_buf_puts(&many, i ? ",\n  " : "\n  ");
        if (i % 97 == 5)
            kv_buf_printf(&many, "{\"apiVersion\": \"\", \"kind\": \"Service\", \"metadata\": {\"name\": \"e%d\"}}", i);
        else if (i % 131 == 7)
            kv_buf_printf(&many, "%d", i);
        else
            kv_buf_printf(&many, "{\"apiVersion\": \"v1\", \"kind\": \"ConfigMap\",\n   \"metadata\": {\"name\": \"c%d\"}, "
                                 "\"data\": {\"k\": \"%0*d\"}}", i, i % 40, i);
    }
    kv_buf_puts(&many, "\n]}\n");
    char *manytext = kv_buf_take(&many);
    /* an excerpt looks past a line's first 4096 bytes for a line break of
     * several bytes: a long line kept aside keeps those bytes too (an LS
     * across byte 4096, then an item quoting the line) */
    kv_buf ls;
    kv_buf_init(&ls);
    kv_buf_puts(&ls, "[{\"apiVersion\": \"v1\", \"kind\": \"ConfigMap\", \"data\": {\"a\": \"");
    while (ls.len < 4094)
        kv_buf_puts(&ls, "x");
    kv_buf_puts(&ls, "\xe2\x80\xa8");
    while (ls.len < 70000)
        kv_buf_puts(&ls, "y");
    kv_buf_puts(&ls, "\"}}, 7, {\"apiVersion\": \"\", \"kind\": \"A\"}]\n");
    char *lstext = kv_buf_take(&ls);
    char *oneline = strdup(manytext);
    for (char *c = oneline; *c; c++)
        if (*c == '\n' && c[1])
            *c = ' ';
    const char *yes[] = {
        /* kubectl's layout: members after the items, items with errors */
        "{\n    \"apiVersion\": \"v1\",\n    \"items\": [\n        {\n            \"apiVersion\": \"apps/v1\",\n"
        "            \"kind\": \"Deployment\",\n            \"metadata\": {\"name\": \"d\\u00e9\\n\\\"q\\\"\", "
        "\"n\": [1, -2.5e3, 9223372036854775807, 18446744073709551616, true, false, null]}\n        },\n"
        "        {\"metadata\": {}}, 7,\n        {\"apiVersion\": \"apps/v1/x\", \"kind\": \"D\"},\n"
        "        {\"apiVersion\": \"v1\", \"kind\": \"\\u00c9\"}\n    ],\n    \"kind\": \"List\",\n"
        "    \"metadata\": {\n        \"resourceVersion\": \"\"\n    }\n}\n",
        /* a typed list: its items are of its kind */
        "{\"apiVersion\": \"serving.kserve.io/v1beta1\", \"kind\": \"InferenceServiceList\",\n"
        " \"items\": [{\"metadata\": {\"name\": \"a\"}}, {\"metadata\": {\"name\": \"b\"}},\n"
        "  {\"apiVersion\": \"v1\", \"kind\": \"ConfigMap\"}, \"s\"]}",
        /* a top-level array */
        "  [\n {\"apiVersion\": \"v1\", \"kind\": \"A\"},{\"apiVersion\": \"v1\", \"kind\": \"B\"} ,\n"
        "  {\"kind\": \"C\"}, [1], {}]\n\n",
        bigtext,
        manytext,
        oneline,
        lstext,
        /* a value one level deeper than the limit in an item whose
         * containers are within it (helpers leave it to the caller) */
        "{\"apiVersion\": \"v1\", \"kind\": \"List\", \"items\": [{\"apiVersion\": \"v1\", \"kind\": \"A\"},\n"
        "  {\"apiVersion\": \"v1\", \"kind\": \"B\", \"x\": {\"y\": {\"z\": {\"w\": 1}}}}]}\n",
        /* keys of a dozen objects or more (a key twice is looked for in pairs
         * up to 12 keys, by sorting above), strings of every alignment */
        "[{\"apiVersion\": \"v1\", \"kind\": \"A\", \"data\": {\"a\": \"\xc3\xa9\", \"b\": \"\\\"\", \"c\": \"\",\n"
        "       \"d\": \"0123456\", \"e\": \"01234567\", \"f\": \"012345678\", \"g\": \"\xf0\x9f\x98\x80\\n\",\n"
        "                 \"h\": 1, \"i\": 2, \"j\": 3, \"k\": 4, \"l\": 5, \"m\": 6}},\n"
        "\t{\"apiVersion\": \"v1\", \"kind\": \"B\", \"data\": {\"a\": 1, \"b\": 2, \"c\": 3, \"d\": 4, \"e\": 5, \"f\": 6,\r\n"
        " \"g\": 7, \"h\": 8, \"i\": 9, \"j\": 10, \"k\": 11}}]",
    };
    const char *no[] = {
        "[{\"apiVersion\": \"v1\", \"kind\": \"A\"},]",                              /* invalid */
        "[{\"apiVersion\": \"v1\", \"kind\": \"A\", \"kind\": \"B\"}]",              /* a key twice */
        "[{\"apiVersion\": \"v1\", \"kind\": \"A\", \"d\": {\"a\": 1, \"b\": 2, \"c\": 3, \"d\": 4, \"e\": 5, "
        "\"f\": 6, \"g\": 7, \"h\": 8, \"i\": 9, \"j\": 10, \"k\": 11, \"l\": 12, \"a\": 13}}]", /* in 13 keys */
        "[{\"apiVersion\": \"v1\", \"kind\": \"A\", \"s\": \"0123456789abcdef\x01\"}]", /* a raw control byte */
        "[{\"apiVersion\": \"v1\", \"kind\": \"A\"}]\n[{\"apiVersion\": \"v1\", \"kind\": \"B\"}]", /* two values */
        "\xef\xbb\xbf[{\"apiVersion\": \"v1\", \"kind\": \"A\"}]",                   /* a byte order mark */
        "{\"apiVersion\": \"v1\", \"kind\": \"List\", \"items\": []}",               /* nothing to take apart */
        "{\"apiVersion\": \"v1\", \"kind\": \"Thing\", \"items\": [{}]}",            /* not a List */
        "{\"apiVersion\": \"v1\", \"k\\u0069nd\": \"List\", \"items\": [{}]}",       /* an escaped key */
        "{\"apiVersion\": \"v1\", \"kind\": \"List\", \"items\": [{}], \"items\": [{}]}",
        "[[[[[[{\"apiVersion\": \"v1\", \"kind\": \"A\"}]]]]]]",                     /* deeper than the limit */
        "[{\"apiVersion\": \"v1\", \"kind\": \"A\"}",                                /* cut short */
        "7",
    };
    kvet_limits lim = *kvet_ctx_limits(ctx);
    lim.max_depth = 6;
    kvet_ctx_set_limits(ctx, &lim);
    const size_t windows[] = {1, 3, 64, 1 << 20};
    for (size_t c = 0; c < sizeof yes / sizeof *yes; c++) {
        write_file(path, yes[c], strlen(yes[c]));
        bool windowed;
        char *whole = load_report(ctx, path, 0, &windowed);
        /* with one thread, then with helpers converting the items */
        for (size_t k = 0; k < 2 * sizeof windows / sizeof *windows; k++) {
            char *part = load_report_threads(ctx, path, windows[k % 4], k < 4 ? 1 : 3, &windowed);
            ck_assert_msg(windowed, "case %zu, window %zu: not windowed", c, windows[k % 4]);
            ck_assert_msg(!strcmp(whole, part), "case %zu, window %zu, %d threads:\n%.3000s\n--- whole:\n%.3000s", c,
                          windows[k % 4], k < 4 ? 1 : 3, part, whole);
            free(part);
        }
        free(whole);
    }
    for (size_t c = 0; c < sizeof no / sizeof *no; c++) {
        write_file(path, no[c], strlen(no[c]));
        ck_assert_msg(!kv_json_plan_file(ctx, path, 16, 1), "case %zu: windowed", c);
        ck_assert_uint_eq(kvet_diag_count(ctx), 0);
    }
    /* a file changed between the two passes is an error, never a silent success */
    const char *list = "{\"apiVersion\": \"v1\", \"kind\": \"List\", \"items\": [{\"apiVersion\": \"v1\", \"kind\": \"A\"}]}";
    const char *changed[] = {
        "{\"apiVersion\": \"v1\", \"kind\": \"List\", \"items\": []                                   }",
        "{\"apiVersion\": \"v1\", \"kind\": \"List\", \"items\": [{\"apiVersion\": \"v1\", \"kind\": \"A\"}]",
        "{\"apiVersion\": \"v1\", \"kind\": \"List\", \"items\": [{\"apiVersion\": \"v1\", \"kind\": \"A\"}],  \"x\": 1}",
    };
    for (size_t c = 0; c < 2 * sizeof changed / sizeof *changed; c++) {
        write_file(path, list, strlen(list));
        /* with one thread, then with helpers */
        kv_json_plan *plan = kv_json_plan_file(ctx, path, 8, c < 3 ? 1 : 3);
        ck_assert_ptr_nonnull(plan);
        write_file(path, changed[c % 3], strlen(changed[c % 3]));
        seen sn = {.n = 0};
        kv_buf_init(&sn.b);
        ck_assert_int_eq(kv_load_manifests_planned(ctx, plan, path, 1, see_resource, &sn, NULL), -1);
        kv_json_plan_free(plan);
        free(kv_buf_take(&sn.b));
        ck_assert_msg(strstr(all_diags(ctx), "the file changed while it was read"), "case %zu: %s", c, all_diags(ctx));
        kvet_diag_clear(ctx);
    }
    free(bigtext);
    free(manytext);
    free(oneline);
    free(lstext);
    unlink(path);
    rmdir(dir);
    kvet_ctx_free(ctx);
}
END_TEST

/* Random Lists read through windows of 1, 3 and 64 bytes give what the
 * whole text gives (the window's scans read the buffer a word at a time). */
START_TEST(json_window_random)
{
    kvet_ctx *ctx = kvet_ctx_new();
    char dir[] = "/tmp/kvet-window-XXXXXX";
    ck_assert_ptr_nonnull(mkdtemp(dir));
    char path[256];
    snprintf(path, sizeof path, "%s/in.json", dir);
    rnd r = {777};
    const size_t windows[] = {1, 3, 64};
    for (int round = 0; round < 40; round++) {
        kv_buf b;
        kv_buf_init(&b);
        kv_buf_puts(&b, "{\"apiVersion\": \"v1\", \"items\": [");
        for (uint32_t n = 1 + rnd_next(&r, 4), i = 0; i < n; i++) {
            kv_buf_puts(&b, i ? "," : "");
            rnd_blank(&r, &b);
            kv_buf_puts(&b, "{\"apiVersion\": \"v1\", \"kind\": \"ConfigMap\", \"data\": ");
            rnd_value(&r, &b, 1);
            kv_buf_puts(&b, "}");
            rnd_blank(&r, &b);
        }
        kv_buf_puts(&b, "], \"kind\": \"List\"}\n");
        char *text = kv_buf_take(&b);
        write_file(path, text, strlen(text));
        bool windowed;
        char *whole = load_report(ctx, path, 0, &windowed);
        for (size_t k = 0; k < 2 * sizeof windows / sizeof *windows; k++) {
            size_t win = windows[k % 3];
            unsigned threads = k < 3 ? 1 : 3;
            char *part = load_report_threads(ctx, path, win, threads, &windowed);
            ck_assert_msg(windowed, "round %d, window %zu: not windowed", round, win);
            ck_assert_msg(!strcmp(whole, part), "round %d, window %zu, %u threads:\n%.1500s\n--- whole:\n%.1500s",
                          round, win, threads, part, whole);
            free(part);
        }
        free(whole);
        free(text);
    }
    unlink(path);
    rmdir(dir);
    kvet_ctx_free(ctx);
}
END_TEST

/* A large YAML file read through a window gives what the whole text gives. */
/* A text with a cursor finds every line where one without finds it, in
 * any order of lookups, and after its data or first line change. */
START_TEST(text_line_cursor)
{
    const char *a = "one\ntwo\n\nfour\nfive", *b = "uno\ndos\ntres\n";
    kv_line_cursor cur = {NULL, 0, 0, 0};
    kv_text with = {a, strlen(a), 10, false, NULL, 0, &cur};
    kv_text without = {a, strlen(a), 10, false, NULL, 0, NULL};
    const uint32_t order[] = {10, 12, 12, 14, 11, 13, 15, 9, 16, 14, 10};
    for (size_t i = 0; i < sizeof order / sizeof *order; i++)
        ck_assert_ptr_eq(kv_text_line(&with, order[i]), kv_text_line(&without, order[i]));
    /* the same lines moved on by two (a window that dropped its first lines) */
    with.data = without.data = a + 8;
    with.len = without.len = strlen(a + 8);
    with.line = without.line = 12;
    for (uint32_t l = 11; l <= 15; l++)
        ck_assert_ptr_eq(kv_text_line(&with, l), kv_text_line(&without, l));
    /* other data with the same first line */
    with.data = without.data = b;
    with.len = without.len = strlen(b);
    for (uint32_t l = 15; l >= 11; l--)
        ck_assert_ptr_eq(kv_text_line(&with, l), kv_text_line(&without, l));
    ck_assert_str_eq(kv_text_line(&with, 14), "tres\n");
}
END_TEST

/* The parts a file is cut into come with arenas of their own: count the
 * arenas documents come in. */
typedef struct arenas_seen {
    const kv_arena *a[64];
    int n;
} arenas_seen;

static int see_arena(void *ud, kv_doc *d)
{
    arenas_seen *s = ud;
    for (int i = 0; i < s->n; i++)
        if (s->a[i] == d->arena)
            return 0;
    if (s->n < 64)
        s->a[s->n++] = d->arena;
    return 0;
}

/* With threads, a file is cut into parts before its "---" lines, with LF
 * or CRLF line ends, and before a directive after a document end ("..."):
 * documents come in more than one part's arena.  Not after a directive,
 * nor after a line with a lone CR (libyaml's line break). */
START_TEST(yaml_split_cuts)
{
    kvet_ctx *ctx = kvet_ctx_new();
    char dir[] = "/tmp/kvet-split-XXXXXX";
    ck_assert_ptr_nonnull(mkdtemp(dir));
    char path[256];
    snprintf(path, sizeof path, "%s/in.yaml", dir);
    const struct {
        const char *pre, *post; /* a document: pre, its number, post */
        bool cut;
    } cases[] = {
        {"---\napiVersion: v1\nkind: A", "\n", true},
        {"---\r\napiVersion: v1\r\nkind: A", "\r\n", true},
        {"%YAML 1.1\n---\napiVersion: v1\nkind: A", "\n...\n", true},
        {"%YAML 1.1\n---\napiVersion: v1\nkind: A", "\n", false},
        {"---\napiVersion: v1\nkind: A", "\nx: \"a\rb\"\n", false},
    };
    for (size_t c = 0; c < sizeof cases / sizeof *cases; c++) {
        kv_buf b;
        kv_buf_init(&b);
        for (int i = 0; i < 40; i++)
            kv_buf_printf(&b, "%s%d%s", cases[c].pre, i, cases[c].post);
        write_file(path, b.data, b.len);
        kv_buf_free(&b);
        arenas_seen s = {.n = 0};
        kv_manifest_stats st;
        ck_assert_int_eq(kv_load_manifests_yaml_window(ctx, path, path, 1, 64, 3, NULL, see_arena, &s, &st), 0);
        ck_assert_uint_eq(st.resources, 40);
        ck_assert_msg((s.n > 1) == cases[c].cut, "case %zu: documents in %d arenas", c, s.n);
        kvet_diag_clear(ctx);
    }
    unlink(path);
    rmdir(dir);
    kvet_ctx_free(ctx);
}
END_TEST

START_TEST(yaml_window_as_whole)
{
    kvet_ctx *ctx = kvet_ctx_new();
    char dir[] = "/tmp/kvet-window-XXXXXX";
    ck_assert_ptr_nonnull(mkdtemp(dir));
    char path[256];
    snprintf(path, sizeof path, "%s/in.yaml", dir);
    const char *yes[] = {
        /* resources, notes and errors over several documents, a literal block scalar, anchors */
        "# a cluster dump\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\ndata:\n  config.yaml: |\n\n"
        "    rules:\n      - seriesQuery: x\n---\nnot: a resource\n---\napiVersion: apps/v1/x\nkind: D\n"
        "---\nbase: &b {apiVersion: v1, kind: ConfigMap}\n---\napiVersion: v1\nkind: List\nitems:\n"
        "- apiVersion: v1\n  kind: Service\n  metadata: {name: s, labels: {a: \"1\", a: \"2\"}}\n- 7\n"
        "---\napiVersion: v1\nkind: \"\\u00c9\"\n...\n---\n- apiVersion: v1\n  kind: Pod\n\t- x\n",
        /* an error in the middle: what came before is delivered */
        "apiVersion: v1\nkind: A\nmetadata: {name: a}\n---\napiVersion: v1\nkind: B\nmetadata: {name: [b\n"
        "---\napiVersion: v1\nkind: C\n",
        /* an unknown anchor, and a long last line without a newline */
        "apiVersion: v1\nkind: A\n---\napiVersion: v1\nkind: *nope\n",
        "apiVersion: v1\nkind: A\nmetadata:\n  name: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa: b: c",
        /* invalid UTF-8 */
        "apiVersion: v1\nkind: A\n---\napiVersion: v1\nkind: B\nmetadata: {name: \"\xff\"}\n",
        /* breaks libyaml counts and LF does not (LS, NEL, lone CRs), CRLF, and an error after them */
        "apiVersion: v1\nkind: A\nmetadata: {name: \"x\xE2\x80\xA8y\", note: \"\xC2\x85\"}\n---\n"
        "apiVersion: v1\rkind: B\rmetadata:\r  name: b\r---\r\napiVersion: v1\r\nkind: C\r\n---\n"
        "apiVersion: v1\nkind: D\nmetadata: {name: \"\xE2\x80\xA9\", x: [1\n",
    };
    const char *no[] = {
        "\xef\xbb\xbf" "apiVersion: v1\nkind: A\n",    /* a byte order mark */
        "  {\"apiVersion\": \"v1\", \"kind\": \"A\"}\n", /* perhaps JSON values one after another */
        "[]",
        "   \n\n",
    };
    const size_t windows[] = {1, 3, 64, 1 << 20};
    for (size_t c = 0; c < sizeof yes / sizeof *yes; c++) {
        write_file(path, yes[c], strlen(yes[c]));
        bool windowed;
        char *whole = load_report(ctx, path, 0, &windowed);
        for (size_t k = 0; k < 2 * sizeof windows / sizeof *windows; k++) {
            size_t w = windows[k % 4];
            unsigned threads = k < 4 ? 1 : 3;
            char *part = load_report_threads(ctx, path, w, threads, &windowed);
            ck_assert_msg(windowed, "case %zu, window %zu: not windowed", c, w);
            ck_assert_msg(!strcmp(whole, part), "case %zu, window %zu, %u threads:\n%.3000s\n--- whole:\n%.3000s", c,
                          w, threads, part, whole);
            free(part);
        }
        free(whole);
    }
    for (size_t c = 0; c < sizeof no / sizeof *no; c++) {
        write_file(path, no[c], strlen(no[c]));
        ck_assert_msg(!kv_yaml_windowable(path), "case %zu: windowable", c);
    }
    /* many documents, each with breaks LF does not count: those before a
     * document are forgotten as the window moves on */
    {
        kv_buf many;
        kv_buf_init(&many);
        for (int i = 0; i < 300; i++)
            kv_buf_printf(&many, "apiVersion: v1\nkind: K%d\nmetadata: {name: \"a\xE2\x80\xA8" "b\"}\r"
                          "spec: {v: %d}\n---\n", i, i);
        kv_buf_puts(&many, "apiVersion: v1\nkind: Last\nmetadata: {name: [x}\n");
        write_file(path, many.data, many.len);
        kv_buf_free(&many);
        bool windowed;
        char *whole = load_report(ctx, path, 0, &windowed);
        /* 300 documents of 4 LF lines, then the error on the third line of the last */
        ck_assert_ptr_nonnull(strstr(whole, "in.yaml:1203:20: error"));
        for (size_t k = 0; k < 2 * sizeof windows / sizeof *windows; k++) {
            char *part = load_report_threads(ctx, path, windows[k % 4], k < 4 ? 1 : 3, &windowed);
            ck_assert_msg(!strcmp(whole, part), "many, window %zu, %s:\n%.2000s", windows[k % 4],
                          k < 4 ? "1 thread" : "3 threads", part);
            free(part);
        }
        free(whole);
    }
    /* UTF-16 with CRLF (what Windows PowerShell's `>` writes): its CR and
     * LF bytes are followed by NULs, and are no lone CRs */
    {
        const char *utf8 = "apiVersion: v1\r\nkind: A\r\n---\r\n"
                           "apiVersion: v1\r\nkind: B\r\nmetadata: {name: x: y}\r\n";
        char utf16[256];
        size_t n = 0;
        utf16[n++] = (char)0xFF;
        utf16[n++] = (char)0xFE;
        for (const char *c = utf8; *c; c++) {
            utf16[n++] = *c;
            utf16[n++] = 0;
        }
        write_file(path, utf16, n);
        bool windowed;
        char *whole = load_report(ctx, path, 0, &windowed);
        ck_assert_ptr_nonnull(strstr(whole, "in.yaml:6:19: error"));
        for (size_t k = 0; k < 2 * sizeof windows / sizeof *windows; k++) {
            char *part = load_report_threads(ctx, path, windows[k % 4], k < 4 ? 1 : 3, &windowed);
            ck_assert_msg(windowed, "UTF-16, window %zu: not windowed", windows[k % 4]);
            ck_assert_msg(!strcmp(whole, part), "UTF-16, window %zu:\n%s\n--- whole:\n%s", windows[k % 4], part, whole);
            free(part);
        }
        free(whole);
    }
    /* libyaml counts characters, not bytes: a literal block scalar after
     * multi-byte text still finds where its lines start */
    for (int nonascii = 0; nonascii < 2; nonascii++) {
        const char *text = nonascii ? "name: \xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\nk: |\n\n      x: 1\n"
                                    : "name: eeee\nk: |\n\n      x: 1\n";
        docs ds;
        ck_assert_int_eq(load(ctx, "l.yaml", text, strlen(text), &ds), 0);
        kvet_value k = get(ds.v[0], "k");
        ck_assert_uint_eq(k.flags & KVET_VF_LITERAL, KVET_VF_LITERAL);
        ck_assert_uint_eq(k.reserved, 7);
        drop(&ds);
    }
    /* a read that fails (a folder read as a file) is said once, as such,
     * not also as libyaml's "input error" */
    {
        FILE *f = fopen(dir, "rb");
        ck_assert_ptr_nonnull(f);
        kv_yaml_stream in = {.f = f, .name = "folder", .src = kv_source_add(ctx, "folder"), .window = 64};
        kv_manifest_stats st;
        seen sn = {.n = 0};
        kv_buf_init(&sn.b);
        ck_assert_int_eq(kv_load_manifests_yaml_stream(ctx, &in, NULL, see_resource, &sn, &st), -1);
        ck_assert_int_eq(sn.n, 0);
        kv_buf_free(&sn.b);
        fclose(f);
        ck_assert_uint_eq(kvet_diag_count(ctx), 1);
        ck_assert_str_eq(kvet_diag_at(ctx, 0)->message, "cannot read: Is a directory");
        kvet_diag_clear(ctx);
    }
    /* a copy of standard input whose reading failed ends with that failure
     * (end_errno): the documents before it, not the one it cut short */
    for (int fail = 0; fail < 2; fail++) {
        /* libyaml reads 16 KB ahead: the documents wholly before those */
        kv_buf b;
        kv_buf_init(&b);
        kv_buf_puts(&b, "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n");
        for (int d = 0; d < 2; d++) {
            kv_buf_printf(&b, "---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: b%d}\ndata:\n", d);
            for (int i = 0; i < 2000; i++)
                kv_buf_printf(&b, "  k%d: value %d of some length\n", i, i);
        }
        FILE *f = tmpfile();
        ck_assert_ptr_nonnull(f);
        ck_assert_uint_eq(fwrite(b.data, 1, b.len, f), b.len);
        kv_buf_free(&b);
        rewind(f);
        kv_yaml_stream in = {.f = f, .name = "<stdin>", .src = kv_source_add(ctx, "<stdin>"), .window = 4096,
                             .threads = 2, .end_errno = fail ? EIO : 0};
        seen sn = {.n = 0};
        kv_buf_init(&sn.b);
        ck_assert_int_eq(kv_load_manifests_yaml_stream(ctx, &in, NULL, see_resource, &sn, NULL), fail ? -1 : 0);
        ck_assert_int_eq(sn.n, fail ? 2 : 3);
        kv_buf_free(&sn.b);
        fclose(f);
        ck_assert_uint_eq(kvet_diag_count(ctx), (unsigned)fail);
        if (fail)
            ck_assert_str_eq(kvet_diag_at(ctx, 0)->message, "cannot read: Input/output error");
        kvet_diag_clear(ctx);
    }
    unlink(path);
    rmdir(dir);
    kvet_ctx_free(ctx);
}
END_TEST

static Suite *doc_suite(void)
{
    Suite *s = suite_create("doc");
    TCase *tc = tcase_create("yaml");
    tcase_add_test(tc, yaml_scalars_as_kubernetes_reads_them);
    tcase_add_test(tc, yaml_words_by_length_and_first_byte);
    tcase_add_test(tc, yaml_positions_and_streams);
    tcase_add_test(tc, yaml_positions_count_lines_by_lf);
    tcase_add_test(tc, yaml_literal_block_lines);
    tcase_add_test(tc, yaml_anchors_and_merge_keys);
    tcase_add_test(tc, yaml_duplicate_keys);
    tcase_add_test(tc, large_map_duplicate_keys);
    tcase_add_test(tc, yaml_billion_laughs);
    tcase_add_test(tc, yaml_deep_nesting);
    tcase_add_test(tc, yaml_malformed);
    tcase_add_test(tc, yaml_bom_and_keys);
    suite_add_tcase(s, tc);
    tc = tcase_create("json");
    tcase_add_test(tc, json_values_and_positions);
    tcase_add_test(tc, json_positions_word_scans);
    tcase_add_test(tc, json_positions_random);
    tcase_add_test(tc, json_errors);
    tcase_add_test(tc, json_lists_in_pieces);
    tcase_add_test(tc, values_copied_with_shared_strings);
    suite_add_tcase(s, tc);
    tc = tcase_create("manifests");
    tcase_add_test(tc, manifests_lists_and_streams);
    tcase_add_test(tc, manifests_json_list_pieces);
    tcase_add_test(tc, json_window_as_whole);
    tcase_add_test(tc, json_window_random);
    tcase_add_test(tc, yaml_window_as_whole);
    tcase_add_test(tc, yaml_split_cuts);
    tcase_add_test(tc, text_line_cursor);
    tcase_add_test(tc, manifests_api_version_and_kind);
    tcase_add_test(tc, manifests_helm_sources);
    suite_add_tcase(s, tc);
    tc = tcase_create("inputs");
    tcase_add_test(tc, inputs_walk_and_limits);
    tcase_add_test(tc, documents_api);
    tcase_add_test(tc, path_globs);
    tcase_add_test(tc, yaml_source_lines);
    tcase_add_test(tc, stdin_json_copied_to_a_file);
    tcase_add_test(tc, long_lines_quoted_around_the_caret);
    tcase_add_test(tc, map_keys_of_every_length);
    tcase_add_test(tc, inputs_exclude_and_stats);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(doc_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
