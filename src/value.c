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

const kvet_value *kv_map_find(const kvet_map *m, const char *key, size_t keylen)
{
    if (!m)
        return NULL;
    for (uint32_t i = 0; i < m->n; i++) {
        const kvet_string *k = m->e[i].key;
        if (k->len == keylen && memcmp(k->data, key, keylen) == 0)
            return &m->e[i].val;
    }
    return NULL;
}

kvet_value kvet_map_get(kvet_value map, const char *key, size_t keylen)
{
    if (map.type == KVET_MAP) {
        const kvet_value *v = kv_map_find(map.u.m, key, keylen);
        if (v)
            return *v;
    }
    return kv_at(kv_absent(), map);
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

static uint64_t mix(uint64_t h)
{
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ULL;
    h ^= h >> 33;
    return h;
}

static uint64_t hash_bytes(const char *s, size_t n)
{
    uint64_t h = 0xcbf29ce484222325ULL;
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)s[i]) * 0x100000001b3ULL;
    return h;
}

uint64_t kv_value_hash(kvet_value v)
{
    switch ((kvet_type)v.type) {
    case KVET_ABSENT: return 1;
    case KVET_NULL: return 2;
    case KVET_BOOL: return v.u.b ? 3 : 4;
    case KVET_INT: return mix((uint64_t)v.u.i ^ 0x5bd1e995ULL);
    case KVET_FLOAT:
        /* equal to an int when kv_value_equal says so */
        if (v.u.f >= -9.2e18 && v.u.f <= 9.2e18 && (double)(int64_t)v.u.f == v.u.f)
            return mix((uint64_t)(int64_t)v.u.f ^ 0x5bd1e995ULL);
        {
            uint64_t bits;
            memcpy(&bits, &v.u.f, sizeof bits);
            return mix(bits ^ 0x9e3779b97f4a7c15ULL);
        }
    case KVET_STRING: return mix(hash_bytes(v.u.s->data, v.u.s->len));
    case KVET_LIST: {
        uint64_t h = 0x1234567ULL + v.u.l->n;
        for (uint32_t i = 0; i < v.u.l->n; i++)
            h = mix(h * 31 + kv_value_hash(v.u.l->items[i]));
        return h;
    }
    case KVET_MAP: {
        /* maps are sets of entries: combine without regard to order */
        uint64_t h = 0x7654321ULL + v.u.m->n;
        for (uint32_t i = 0; i < v.u.m->n; i++)
            h += mix(hash_bytes(v.u.m->e[i].key->data, v.u.m->e[i].key->len) * 3 + kv_value_hash(v.u.m->e[i].val));
        return mix(h);
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

/* ---- buffers ---- */

void kv_buf_init(kv_buf *b)
{
    b->data = NULL;
    b->len = b->cap = 0;
    b->oom = false;
}

void kv_buf_free(kv_buf *b)
{
    free(b->data);
    kv_buf_init(b);
}

static bool buf_reserve(kv_buf *b, size_t extra)
{
    if (b->oom)
        return false;
    if (b->len + extra + 1 <= b->cap)
        return true;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < b->len + extra + 1) {
        if (cap > SIZE_MAX / 2) { b->oom = true; return false; }
        cap *= 2;
    }
    char *p = realloc(b->data, cap);
    if (!p) { b->oom = true; return false; }
    b->data = p;
    b->cap = cap;
    return true;
}

void kv_buf_put(kv_buf *b, const char *s, size_t n)
{
    if (!buf_reserve(b, n))
        return;
    if (n)
        memcpy(b->data + b->len, s, n);
    b->len += n;
    b->data[b->len] = '\0';
}

void kv_buf_puts(kv_buf *b, const char *s) { kv_buf_put(b, s, strlen(s)); }
void kv_buf_putc(kv_buf *b, char c) { kv_buf_put(b, &c, 1); }

void kv_buf_printf(kv_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    va_list ap2;
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0 || !buf_reserve(b, (size_t)n)) {
        va_end(ap2);
        return;
    }
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap2);
    va_end(ap2);
    b->len += (size_t)n;
}

char *kv_buf_take(kv_buf *b)
{
    if (b->oom) {
        kv_buf_free(b);
        return NULL;
    }
    if (!b->data) {
        if (!buf_reserve(b, 0))
            return NULL;
        b->data[0] = '\0';
    }
    char *p = b->data;
    kv_buf_init(b);
    return p;
}

void kv_format_double(char out[32], double d)
{
    if (isnan(d)) { strcpy(out, "NaN"); return; }
    if (isinf(d)) { strcpy(out, d < 0 ? "-Inf" : "Inf"); return; }
    double a = fabs(d);
    if (a >= 1e-4 && a < 1e16) {
        /* plain decimal notation for everyday magnitudes */
        for (int prec = 0; prec <= 17; prec++) {
            snprintf(out, 32, "%.*f", prec, d);
            if (strtod(out, NULL) == d)
                break;
        }
    } else {
        for (int prec = 1; prec <= 17; prec++) {
            snprintf(out, 32, "%.*g", prec, d);
            if (strtod(out, NULL) == d)
                break;
        }
    }
    /* keep a float recognisable as one */
    if (!strpbrk(out, ".eEn"))
        strcat(out, ".0");
}

/* Decode one UTF-8 sequence; returns its length or 0 if invalid. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
    unsigned c = s[0];
    size_t len;
    unsigned min;
    if (c < 0x80) return 1;
    if ((c & 0xE0) == 0xC0) { len = 2; min = 0x80; c &= 0x1F; }
    else if ((c & 0xF0) == 0xE0) { len = 3; min = 0x800; c &= 0x0F; }
    else if ((c & 0xF8) == 0xF0) { len = 4; min = 0x10000; c &= 0x07; }
    else return 0;
    if (n < len) return 0;
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80) return 0;
        c = (c << 6) | (s[i] & 0x3F);
    }
    if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF)) return 0;
    return len;
}

void kv_buf_json_string(kv_buf *b, const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s;
    kv_buf_putc(b, '"');
    size_t i = 0;
    while (i < n) {
        unsigned char c = p[i];
        if (c == '"' || c == '\\') {
            kv_buf_putc(b, '\\');
            kv_buf_putc(b, (char)c);
            i++;
        } else if (c < 0x20 || c == 0x7F) {
            switch (c) {
            case '\n': kv_buf_puts(b, "\\n"); break;
            case '\t': kv_buf_puts(b, "\\t"); break;
            case '\r': kv_buf_puts(b, "\\r"); break;
            default: kv_buf_printf(b, "\\u%04x", c); break;
            }
            i++;
        } else if (c < 0x80) {
            kv_buf_putc(b, (char)c);
            i++;
        } else {
            size_t l = utf8_len(p + i, n - i);
            if (l == 0) {
                kv_buf_puts(b, "\\ufffd");
                i++;
            } else {
                kv_buf_put(b, s + i, l);
                i += l;
            }
        }
    }
    kv_buf_putc(b, '"');
}

void kv_value_render(kv_buf *b, kvet_value v, bool as_json)
{
    char num[32];
    switch (v.type) {
    case KVET_ABSENT: kv_buf_puts(b, as_json ? "null" : "absent"); break;
    case KVET_NULL: kv_buf_puts(b, "null"); break;
    case KVET_BOOL: kv_buf_puts(b, v.u.b ? "true" : "false"); break;
    case KVET_INT: kv_buf_printf(b, "%lld", (long long)v.u.i); break;
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
