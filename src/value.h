/*
 * value.h - constructors and helpers for kvet_value (type in kvet/kvet.h).
 *
 * Values are immutable once built.  Strings, lists and maps live in an
 * arena; scalars are stored inline.  Builders return an ABSENT value with
 * type KVET_ABSENT and set *oom on allocation failure where noted.
 */
#ifndef KV_VALUE_H
#define KV_VALUE_H

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "kvet/kvet.h"
#include "strbuf.h"
#include "arena.h"

static inline kvet_value kv_absent(void) { kvet_value v = {0}; return v; }
static inline kvet_value kv_null(void) { kvet_value v = {0}; v.type = KVET_NULL; return v; }
static inline kvet_value kv_bool(bool b) { kvet_value v = {0}; v.type = KVET_BOOL; v.u.b = b ? 1 : 0; return v; }
static inline kvet_value kv_int(int64_t i) { kvet_value v = {0}; v.type = KVET_INT; v.u.i = i; return v; }
static inline kvet_value kv_float(double f) { kvet_value v = {0}; v.type = KVET_FLOAT; v.u.f = f; return v; }
static inline kvet_value kv_str_value(const kvet_string *s) { kvet_value v = {0}; v.type = KVET_STRING; v.u.s = s; return v; }
static inline kvet_value kv_list_value(const kvet_list *l) { kvet_value v = {0}; v.type = KVET_LIST; v.u.l = l; return v; }
static inline kvet_value kv_map_value(const kvet_map *m) { kvet_value v = {0}; v.type = KVET_MAP; v.u.m = m; return v; }

static inline bool kv_is_absent(kvet_value v) { return v.type == KVET_ABSENT; }
static inline bool kv_is_number(kvet_value v) { return v.type == KVET_INT || v.type == KVET_FLOAT; }

/* Copy the position of `from` onto `v`. */
static inline kvet_value kv_at(kvet_value v, kvet_value from)
{
    v.src = from.src;
    v.line = from.line;
    v.col = from.col;
    return v;
}

/* Arena-backed builders; NULL on allocation failure. */
kvet_string *kv_string_new(kv_arena *a, const char *s, size_t n);
kvet_string *kv_string_cstr(kv_arena *a, const char *s);
kvet_list *kv_list_new(kv_arena *a, uint32_t n);   /* items zeroed (ABSENT) */
kvet_map *kv_map_new(kv_arena *a, uint32_t n);     /* entries zeroed */

/* A string value built from bytes; ABSENT on allocation failure. */
kvet_value kv_string_value(kv_arena *a, const char *s, size_t n);

/* Finding a key again among the entries of a map being built (a duplicate
 * key, a merge key's entries): a scan while the map has few entries, a hash
 * table of them past that, so that a map of 100,000 keys (a large
 * ConfigMap) is not checked in quadratic time.  Zero-initialise, look keys
 * up with the entries built so far, e[0..n) (n only grows, e stays the same
 * array), and free with kv_keyset_free.  Out of memory it scans. */
typedef struct kv_keyset {
    uint32_t *slot;        /* entry index + 1; 0: empty */
    uint32_t mask;         /* slots - 1 */
    uint32_t held;         /* entries e[0..held) are in the table */
    bool oom;
} kv_keyset;
/* The index of key[0..len) in e[0..n), or -1. */
int64_t kv_keyset_find_hashed(kv_keyset *ks, const kvet_map_entry *e, uint32_t n, const char *key, size_t len);
static inline int64_t kv_keyset_find(kv_keyset *ks, const kvet_map_entry *e, uint32_t n, const char *key, size_t len)
{
    /* most maps have a handful of keys: scanned here, inline */
    if (n > 16)
        return kv_keyset_find_hashed(ks, e, n, key, len);
    for (uint32_t j = 0; j < n; j++)
        if (e[j].key->len == len && !memcmp(e[j].key->data, key, len))
            return j;
    return -1;
}
void kv_keyset_drop(kv_keyset *ks);
static inline void kv_keyset_free(kv_keyset *ks)
{
    if (ks->slot)
        kv_keyset_drop(ks);
}

/* Do the first w and the last w bytes of a[0..n) and b[0..n) agree
 * (w <= n, w at most 8)?  Together they cover n bytes up to 2 * w. */
static inline bool kv_ends_eq(const char *a, const char *b, size_t n, size_t w)
{
    uint64_t x0 = 0, y0 = 0, x1 = 0, y1 = 0;
    memcpy(&x0, a, w);
    memcpy(&y0, b, w);
    memcpy(&x1, a + n - w, w);
    memcpy(&y1, b + n - w, w);
    return x0 == y0 && x1 == y1;
}

/* Do n bytes at a and b agree?  Map keys are short: up to 16 bytes are
 * compared inline, with loads that overlap rather than read past n. */
static inline bool kv_bytes_eq(const char *a, const char *b, size_t n)
{
    if (n > 16)
        return memcmp(a, b, n) == 0;
    if (n >= 8)
        return kv_ends_eq(a, b, n, 8);
    if (n >= 4)
        return kv_ends_eq(a, b, n, 4);
    for (size_t i = 0; i < n; i++)
        if (a[i] != b[i])
            return false;
    return true;
}

/* Index into a map by key; returns NULL when missing.  Inline: the
 * evaluator looks a field up for most instructions it runs. */
static inline const kvet_value *kv_map_find(const kvet_map *m, const char *key, size_t keylen)
{
    if (!m)
        return NULL;
    /* keys are short and mostly differ early: the first byte (a NUL for
     * the empty key) before the rest */
    const unsigned char first = keylen ? (unsigned char)key[0] : 0;
    for (uint32_t i = 0; i < m->n; i++) {
        const kvet_string *k = m->e[i].key;
        if (k->len == keylen && (unsigned char)k->data[0] == first && kv_bytes_eq(k->data, key, keylen))
            return &m->e[i].val;
    }
    return NULL;
}

/* kvet_map_get, inline. */
static inline kvet_value kv_map_get(kvet_value map, const char *key, size_t keylen)
{
    if (map.type == KVET_MAP) {
        const kvet_value *v = kv_map_find(map.u.m, key, keylen);
        if (v)
            return *v;
    }
    return kv_at(kv_absent(), map);
}

/* Deep copy into another arena (for values that outlive their arena). */
kvet_value kv_value_copy(kv_arena *a, kvet_value v, bool *oom);

/* Short strings copied once: kv_value_copy_shared gives every copy of the
 * same text the same kvet_string in `a` (results of many resources repeat
 * their keys and most values).  The set only finds strings; they live in
 * the arena, and the set may be freed (kv_strset_free) before it. */
typedef struct kv_strset {
    const kvet_string **slot;
    size_t cap, n;
} kv_strset;
kvet_value kv_value_copy_shared(kv_arena *a, kv_strset *set, kvet_value v, bool *oom);
/* The arena's copy of s[0..n), shared when it is short; NULL when out of memory. */
const kvet_string *kv_strset_get(kv_arena *a, kv_strset *set, const char *s, size_t n);
void kv_strset_free(kv_strset *set);

/* Structural equality; absent equals only absent; 1 == 1.0. */
bool kv_value_equal(kvet_value a, kvet_value b);
/* A hash that agrees with kv_value_equal (positions are not part of it). */
uint64_t kv_value_hash(kvet_value v);
/* The same text: one string, or the same bytes. */
static inline bool kv_str_same(const kvet_string *a, const kvet_string *b)
{
    return a == b || (a->len == b->len && kv_bytes_eq(a->data, b->data, a->len));
}

/* A 64-bit finalizer: every input bit reaches the low bits that pick table slots. */
static inline uint64_t kv_hash_mix(uint64_t h)
{
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ULL;
    h ^= h >> 33;
    return h;
}

/* A fast hash of n bytes, chained through seed, for in-process tables
 * only (nothing stored or printed depends on it): eight bytes a step, the
 * tail as one more word, then kv_hash_mix.  Inline: the evaluator
 * hashes every memoized call's strings. */
static inline uint64_t kv_hash_bytes(uint64_t seed, const void *p, size_t n)
{
    const unsigned char *s = p;
    uint64_t h = seed ^ (n * 0x9e3779b97f4a7c15ULL);
    for (; n >= 8; s += 8, n -= 8) {
        uint64_t w;
        memcpy(&w, s, 8);
        h = (h ^ w) * 0x100000001b3ULL;
        h ^= h >> 29;
    }
    if (n) {
        /* the tail without a loop: two 4-byte reads that may overlap, or
         * three bytes (the length is in h already) */
        uint64_t w;
        if (n >= 4) {
            uint32_t lo, hi;
            memcpy(&lo, s, 4);
            memcpy(&hi, s + n - 4, 4);
            w = (uint64_t)hi << 32 | lo;
        } else {
            w = (uint64_t)s[0] << 16 | (uint64_t)s[n >> 1] << 8 | s[n - 1];
        }
        h = (h ^ w) * 0x100000001b3ULL;
        h ^= h >> 29;
    }
    return kv_hash_mix(h);
}
/* Total order for sorting: by type rank, then value.  Returns <0, 0, >0. */
int kv_value_compare(kvet_value a, kvet_value b);

/* Truthiness in conditions: only `true` is true; absent counts as false. */
static inline bool kv_truthy(kvet_value v) { return v.type == KVET_BOOL && v.u.b; }

const char *kv_type_name(kvet_type t);

/* Render for messages: strings bare, everything else as compact JSON-like
 * text ("absent" for absent).  `as_json` quotes strings. */
void kv_value_render(kv_buf *b, kvet_value v, bool as_json);

#endif
