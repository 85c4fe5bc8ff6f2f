/* value.c - kvet_value builders, comparison, copying and rendering. */
#include "value.h"

#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

kvet_string *kv_string_new(kv_arena *a, const char *s, size_t n)
{
    if (n > UINT32_MAX - 1)
        return NULL;
    kvet_string *str = kv_arena_alloc(a, sizeof(kvet_string) + n + 1);
    if (!str)
        return NULL;
    str->len = (uint32_t)n;
    if (n)
        memcpy(str->data, s, n);
    str->data[n] = '\0';
    return str;
}

kvet_string *kv_string_cstr(kv_arena *a, const char *s)
{
    return kv_string_new(a, s, strlen(s));
}

kvet_value kv_string_value(kv_arena *a, const char *s, size_t n)
{
    kvet_string *str = kv_string_new(a, s, n);
    return str ? kv_str_value(str) : kv_absent();
}


static bool key_eq(const kvet_string *k, const char *s, size_t n)
{
    return k->len == n && !memcmp(k->data, s, n);
}

/* Put e[held..n) in the table, grown to at least twice n slots. */
static bool keyset_take(kv_keyset *ks, const kvet_map_entry *e, uint32_t n)
{
    if (!ks->slot || (uint64_t)n * 2 > (uint64_t)ks->mask + 1) {
        uint64_t cap = ks->slot ? (uint64_t)ks->mask + 1 : 64;
        while (cap < (uint64_t)n * 2)
            cap *= 2;
        uint32_t *slot = cap <= UINT32_MAX ? calloc((size_t)cap, sizeof *slot) : NULL;
        if (!slot)
            return false;
        free(ks->slot);
        ks->slot = slot;
        ks->mask = (uint32_t)(cap - 1);
        ks->held = 0;
    }
    for (; ks->held < n; ks->held++) {
        const kvet_string *k = e[ks->held].key;
        uint32_t i = (uint32_t)kv_hash_bytes(0, k->data, k->len) & ks->mask;
        while (ks->slot[i])
            i = (i + 1) & ks->mask;
        ks->slot[i] = ks->held + 1;
    }
    return true;
}

int64_t kv_keyset_find_hashed(kv_keyset *ks, const kvet_map_entry *e, uint32_t n, const char *key, size_t len)
{
    if (!ks->oom && !keyset_take(ks, e, n))
        ks->oom = true;
    if (ks->oom) {
        for (uint32_t j = 0; j < n; j++)
            if (key_eq(e[j].key, key, len))
                return j;
        return -1;
    }
    /* the first of equal keys is the one found: they go in in order */
    for (uint32_t i = (uint32_t)kv_hash_bytes(0, key, len) & ks->mask; ks->slot[i]; i = (i + 1) & ks->mask)
        if (key_eq(e[ks->slot[i] - 1].key, key, len))
            return ks->slot[i] - 1;
    return -1;
}

void kv_keyset_drop(kv_keyset *ks)
{
    free(ks->slot);
    memset(ks, 0, sizeof *ks);
}

kvet_list *kv_list_new(kv_arena *a, uint32_t n)
{
    kvet_list *l = kv_arena_calloc(a, sizeof(kvet_list) + (size_t)n * sizeof(kvet_value));
    if (l)
        l->n = n;
    return l;
}

kvet_map *kv_map_new(kv_arena *a, uint32_t n)
{
    kvet_map *m = kv_arena_calloc(a, sizeof(kvet_map) + (size_t)n * sizeof(kvet_map_entry));
    if (m)
        m->n = n;
    return m;
}

kvet_value kvet_map_get(kvet_value map, const char *key, size_t keylen)
{
    return kv_map_get(map, key, keylen);
}

kvet_value kv_value_copy(kv_arena *a, kvet_value v, bool *oom)
{
    kvet_value out = v;
    switch (v.type) {
    case KVET_STRING: {
        kvet_string *s = kv_string_new(a, v.u.s->data, v.u.s->len);
        if (!s) { *oom = true; return kv_absent(); }
        out.u.s = s;
        break;
    }
    case KVET_LIST: {
        kvet_list *l = kv_list_new(a, v.u.l->n);
        if (!l) { *oom = true; return kv_absent(); }
        for (uint32_t i = 0; i < l->n; i++)
            l->items[i] = kv_value_copy(a, v.u.l->items[i], oom);
        out.u.l = l;
        break;
    }
    case KVET_MAP: {
        kvet_map *m = kv_map_new(a, v.u.m->n);
        if (!m) { *oom = true; return kv_absent(); }
        for (uint32_t i = 0; i < m->n; i++) {
            const kvet_string *k = v.u.m->e[i].key;
            m->e[i].key = kv_string_new(a, k->data, k->len);
            if (!m->e[i].key) { *oom = true; return kv_absent(); }
            m->e[i].val = kv_value_copy(a, v.u.m->e[i].val, oom);
        }
        out.u.m = m;
        break;
    }
    default:
        break;
    }
    return out;
}

/* Longer strings (texts, names made of several parts) seldom repeat. */
enum { SHARED_MAX = 64 };

static uint64_t str_hash(const char *s, size_t n)
{
    return kv_hash_bytes(0, s, n);
}

static bool strset_grow(kv_strset *set)
{
    /* small to start: a report's set is emptied after every file, and most
     * files name a handful of strings (zeroing 1,024 slots for each of
     * 10,000 small files cost more than all their lookups) */
    size_t cap = set->cap ? set->cap * 2 : 16;
    const kvet_string **slot = calloc(cap, sizeof *slot);
    if (!slot)
        return false;
    for (size_t i = 0; i < set->cap; i++) {
        const kvet_string *k = set->slot[i];
        if (!k)
            continue;
        size_t j = str_hash(k->data, k->len) & (cap - 1);
        while (slot[j])
            j = (j + 1) & (cap - 1);
        slot[j] = k;
    }
    free(set->slot);
    set->slot = slot;
    set->cap = cap;
    return true;
}

const kvet_string *kv_strset_get(kv_arena *a, kv_strset *set, const char *s, size_t n)
{
    /* a full set (or none) only costs sharing, never the copy */
    if (n > SHARED_MAX || (set->n * 2 >= set->cap && !strset_grow(set)))
        return kv_string_new(a, s, n);
    size_t j = str_hash(s, n) & (set->cap - 1);
    for (; set->slot[j]; j = (j + 1) & (set->cap - 1))
        if (set->slot[j]->len == n && !memcmp(set->slot[j]->data, s, n))
            return set->slot[j];
    kvet_string *k = kv_string_new(a, s, n);
    if (k) {
        set->slot[j] = k;
        set->n++;
    }
    return k;
}

void kv_strset_free(kv_strset *set)
{
    free(set->slot);
    set->slot = NULL;
    set->cap = set->n = 0;
}

kvet_value kv_value_copy_shared(kv_arena *a, kv_strset *set, kvet_value v, bool *oom)
{
    kvet_value out = v;
    switch (v.type) {
    case KVET_STRING: {
        const kvet_string *s = kv_strset_get(a, set, v.u.s->data, v.u.s->len);
        if (!s) { *oom = true; return kv_absent(); }
        out.u.s = s;
        break;
    }
    case KVET_LIST: {
        kvet_list *l = kv_list_new(a, v.u.l->n);
        if (!l) { *oom = true; return kv_absent(); }
        for (uint32_t i = 0; i < l->n; i++)
            l->items[i] = kv_value_copy_shared(a, set, v.u.l->items[i], oom);
        out.u.l = l;
        break;
    }
    case KVET_MAP: {
        kvet_map *m = kv_map_new(a, v.u.m->n);
        if (!m) { *oom = true; return kv_absent(); }
        for (uint32_t i = 0; i < m->n; i++) {
            const kvet_string *k = v.u.m->e[i].key;
            m->e[i].key = kv_strset_get(a, set, k->data, k->len);
            if (!m->e[i].key) { *oom = true; return kv_absent(); }
            m->e[i].val = kv_value_copy_shared(a, set, v.u.m->e[i].val, oom);
        }
        out.u.m = m;
        break;
    }
    default:
        break;
    }
    return out;
}

static int type_rank(kvet_type t)
{
    switch (t) {
    case KVET_ABSENT: return 0;
    case KVET_NULL: return 1;
    case KVET_BOOL: return 2;
    case KVET_INT:
    case KVET_FLOAT: return 3;
    case KVET_STRING: return 4;
    case KVET_LIST: return 5;
    case KVET_MAP: return 6;
    }
    return 7;
}

static int cmp_num(kvet_value a, kvet_value b)
{
    if (a.type == KVET_INT && b.type == KVET_INT)
        return (a.u.i > b.u.i) - (a.u.i < b.u.i);
    double x = a.type == KVET_INT ? (double)a.u.i : a.u.f;
    double y = b.type == KVET_INT ? (double)b.u.i : b.u.f;
    if (isnan(x) || isnan(y))
        return isnan(x) - isnan(y); /* NaN sorts last, equal to itself */
    return (x > y) - (x < y);
}

static int cmp_str(const kvet_string *a, const kvet_string *b)
{
    size_t n = a->len < b->len ? a->len : b->len;
    int c = memcmp(a->data, b->data, n);
    if (c)
        return c < 0 ? -1 : 1;
    return (a->len > b->len) - (a->len < b->len);
}

int kv_value_compare(kvet_value a, kvet_value b)
{
    int ra = type_rank(a.type), rb = type_rank(b.type);
    if (ra != rb)
        return ra < rb ? -1 : 1;
    switch (a.type) {
    case KVET_ABSENT:
    case KVET_NULL: return 0;
    case KVET_BOOL: return a.u.b - b.u.b;
    case KVET_INT:
    case KVET_FLOAT: return cmp_num(a, b);
    case KVET_STRING: return cmp_str(a.u.s, b.u.s);
    case KVET_LIST: {
        uint32_t n = a.u.l->n < b.u.l->n ? a.u.l->n : b.u.l->n;
        for (uint32_t i = 0; i < n; i++) {
            int c = kv_value_compare(a.u.l->items[i], b.u.l->items[i]);
            if (c)
                return c;
        }
        return (a.u.l->n > b.u.l->n) - (a.u.l->n < b.u.l->n);
    }
    case KVET_MAP: {
        uint32_t n = a.u.m->n < b.u.m->n ? a.u.m->n : b.u.m->n;
        for (uint32_t i = 0; i < n; i++) {
            int c = cmp_str(a.u.m->e[i].key, b.u.m->e[i].key);
            if (c)
                return c;
            c = kv_value_compare(a.u.m->e[i].val, b.u.m->e[i].val);
            if (c)
                return c;
        }
        return (a.u.m->n > b.u.m->n) - (a.u.m->n < b.u.m->n);
    }
    }
    return 0;
}

bool kv_value_equal(kvet_value a, kvet_value b)
{
    if (kv_is_number(a) && kv_is_number(b)) {
        if (a.type == KVET_INT && b.type == KVET_INT)
            return a.u.i == b.u.i;
        double x = a.type == KVET_INT ? (double)a.u.i : a.u.f;
        double y = b.type == KVET_INT ? (double)b.u.i : b.u.f;
        return x == y;
    }
    if (a.type != b.type)
        return false;
    if (a.type == KVET_MAP) {
        /* maps compare as sets of entries */
        if (a.u.m->n != b.u.m->n)
            return false;
        for (uint32_t i = 0; i < a.u.m->n; i++) {
            const kvet_string *k = a.u.m->e[i].key;
            const kvet_value *o = kv_map_find(b.u.m, k->data, k->len);
            if (!o || !kv_value_equal(a.u.m->e[i].val, *o))
                return false;
        }
        return true;
    }
    if (a.type == KVET_LIST) {
        if (a.u.l->n != b.u.l->n)
            return false;
        for (uint32_t i = 0; i < a.u.l->n; i++)
            if (!kv_value_equal(a.u.l->items[i], b.u.l->items[i]))
                return false;
        return true;
    }
    return kv_value_compare(a, b) == 0;
}

static uint64_t hash_bytes(const char *s, size_t n)
{
    return kv_hash_bytes(0xcbf29ce484222325ULL, s, n);
}

uint64_t kv_value_hash(kvet_value v)
{
    switch ((kvet_type)v.type) {
    case KVET_ABSENT: return 1;
    case KVET_NULL: return 2;
    case KVET_BOOL: return v.u.b ? 3 : 4;
    case KVET_INT: return kv_hash_mix((uint64_t)v.u.i ^ 0x5bd1e995ULL);
    case KVET_FLOAT:
        /* equal to an int when kv_value_equal says so */
        if (v.u.f >= -9.2e18 && v.u.f <= 9.2e18 && (double)(int64_t)v.u.f == v.u.f)
            return kv_hash_mix((uint64_t)(int64_t)v.u.f ^ 0x5bd1e995ULL);
        {
            uint64_t bits;
            memcpy(&bits, &v.u.f, sizeof bits);
            return kv_hash_mix(bits ^ 0x9e3779b97f4a7c15ULL);
        }
    case KVET_STRING: return hash_bytes(v.u.s->data, v.u.s->len);
    case KVET_LIST: {
        uint64_t h = 0x1234567ULL + v.u.l->n;
        for (uint32_t i = 0; i < v.u.l->n; i++)
            h = kv_hash_mix(h * 31 + kv_value_hash(v.u.l->items[i]));
        return h;
    }
    case KVET_MAP: {
        /* maps are sets of entries: combine without regard to order */
        uint64_t h = 0x7654321ULL + v.u.m->n;
        for (uint32_t i = 0; i < v.u.m->n; i++)
            h += kv_hash_mix(hash_bytes(v.u.m->e[i].key->data, v.u.m->e[i].key->len) * 3 +
                             kv_value_hash(v.u.m->e[i].val));
        return kv_hash_mix(h);
    }
    }
    return 0;
}

const char *kv_type_name(kvet_type t)
{
    switch (t) {
    case KVET_ABSENT: return "absent";
    case KVET_NULL: return "null";
    case KVET_BOOL: return "bool";
    case KVET_INT: return "int";
    case KVET_FLOAT: return "float";
    case KVET_STRING: return "string";
    case KVET_LIST: return "list";
    case KVET_MAP: return "map";
    }
    return "?";
}

void kv_value_render(kv_buf *b, kvet_value v, bool as_json)
{
    char num[32];
    switch (v.type) {
    case KVET_ABSENT: kv_buf_puts(b, as_json ? "null" : "absent"); break;
    case KVET_NULL: kv_buf_puts(b, "null"); break;
    case KVET_BOOL: kv_buf_puts(b, v.u.b ? "true" : "false"); break;
    case KVET_INT: kv_buf_put_int(b, v.u.i); break;
    case KVET_FLOAT:
        if (as_json && !isfinite(v.u.f)) {
            kv_buf_puts(b, "null"); /* JSON has no NaN/Inf */
        } else {
            kv_format_double(num, v.u.f);
            kv_buf_puts(b, num);
        }
        break;
    case KVET_STRING:
        if (as_json)
            kv_buf_json_string(b, v.u.s->data, v.u.s->len);
        else
            kv_buf_put(b, v.u.s->data, v.u.s->len);
        break;
    case KVET_LIST:
        kv_buf_putc(b, '[');
        for (uint32_t i = 0; i < v.u.l->n; i++) {
            if (i)
                kv_buf_putc(b, ',');
            kv_value_render(b, v.u.l->items[i], true);
        }
        kv_buf_putc(b, ']');
        break;
    case KVET_MAP:
        kv_buf_putc(b, '{');
        for (uint32_t i = 0; i < v.u.m->n; i++) {
            if (i)
                kv_buf_putc(b, ',');
            kv_buf_json_string(b, v.u.m->e[i].key->data, v.u.m->e[i].key->len);
            kv_buf_putc(b, ':');
            kv_value_render(b, v.u.m->e[i].val, true);
        }
        kv_buf_putc(b, '}');
        break;
    }
}
