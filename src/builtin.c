/*
 * builtin.c - the builtin function table and the general builtins
 * (numbers, conversions, strings, collections, versions).  Kubernetes and Go
 * formats are in builtin_k8s.c, regular expressions in regex.c.
 *
 * Contract (see builtin.h): pure; results in call->arena; failure sets
 * call->err and returns -1; an absent argument gives absent unless the
 * function is about absence (has, type, min/max skip it).
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "builtin.h"
#include "value.h"

/* ------------------------------------------------------------- helpers */

int kv_builtin_fail(kv_call *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int kv_builtin_fail(kv_call *c, const char *fmt, ...)
{
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    c->err = kv_arena_strdup(c->arena, buf);
    if (!c->err)
        c->err = "out of memory";
    return -1;
}

/* Quote a value for an error message, shortened. */
const char *kv_builtin_show(kv_call *c, kvet_value v);
const char *kv_builtin_show(kv_call *c, kvet_value v)
{
    kv_buf b;
    kv_buf_init(&b);
    kv_value_render(&b, v, true);
    if (b.len > 60) {
        b.len = 57;
        kv_buf_puts(&b, "...");
    }
    const char *s = b.data ? kv_arena_strdup(c->arena, b.data) : "?";
    kv_buf_free(&b);
    return s ? s : "?";
}

#define ANY_ABSENT(n)                                   \
    do {                                                \
        for (int i_ = 0; i_ < (n); i_++)                \
            if (args[i_].type == KVET_ABSENT) {         \
                *out = kv_absent();                     \
                return 0;                               \
            }                                           \
    } while (0)

static int want(kv_call *c, const char *fn, const kvet_value *args, int i, kvet_type t)
{
    if (args[i].type == t)
        return 0;
    return kv_builtin_fail(c, "%s(): argument %d must be a %s, got %s", fn, i + 1, kv_type_name(t),
                           kv_type_name((kvet_type)args[i].type));
}

static int want_number(kv_call *c, const char *fn, const kvet_value *args, int i)
{
    if (kv_is_number(args[i]))
        return 0;
    return kv_builtin_fail(c, "%s(): argument %d must be a number, got %s", fn, i + 1,
                           kv_type_name((kvet_type)args[i].type));
}

static kvet_value str(kv_call *c, const char *s, size_t n)
{
    return kv_string_value(c->arena, s, n);
}

int kv_parse_int(const char *s, size_t n, int64_t *out)
{
    if (n == 0 || n > 40)
        return -1;
    size_t i = 0;
    bool neg = false;
    if (s[0] == '+' || s[0] == '-') {
        neg = s[0] == '-';
        i = 1;
    }
    if (i == n)
        return -1;
    uint64_t v = 0;
    for (; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        uint64_t d = (uint64_t)(s[i] - '0');
        if (v > (UINT64_MAX - d) / 10)
            return -2;
        v = v * 10 + d;
    }
    if (neg) {
        if (v > (uint64_t)INT64_MAX + 1)
            return -2;
        *out = v == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)v;
    } else {
        if (v > (uint64_t)INT64_MAX)
            return -2;
        *out = (int64_t)v;
    }
    return 0;
}

int kv_parse_float(const char *s, size_t n, double *out)
{
    char buf[128];
    if (n == 0 || n >= sizeof buf)
        return -1;
    memcpy(buf, s, n);
    buf[n] = '\0';
    /* Go accepts Inf/Infinity/NaN in any case, with a sign for Inf */
    const char *p = buf;
    bool neg = false;
    if (*p == '+' || *p == '-') {
        neg = *p == '-';
        p++;
    }
    if (!strcasecmp(p, "inf") || !strcasecmp(p, "infinity")) {
        *out = neg ? -INFINITY : INFINITY;
        return 0;
    }
    if (!strcasecmp(p, "nan")) {
        if (p != buf)
            return -1;
        *out = NAN;
        return 0;
    }
    /* digits, one dot, exponent; hex floats need a p exponent as in Go */
    bool hex = p[0] == '0' && (p[1] == 'x' || p[1] == 'X');
    bool digit = false;
    for (const char *q = hex ? p + 2 : p; *q; q++) {
        char ch = *q;
        if ((ch >= '0' && ch <= '9') || (hex && ((ch >= 'a' && ch <= 'f') || (ch >= 'A' && ch <= 'F'))))
            digit = true;
        else if (ch == '.' || ch == '_')
            continue;
        else if ((!hex && (ch == 'e' || ch == 'E')) || (hex && (ch == 'p' || ch == 'P'))) {
            if (q[1] == '+' || q[1] == '-')
                q++;
        } else
            return -1;
    }
    if (!digit)
        return -1;
    if (hex && !strpbrk(p, "pP"))
        return -1;
    if (strchr(buf, '_'))
        return -1; /* Go allows '_' only in literal code, not ParseFloat without base prefix; keep it strict */
    char *end;
    errno = 0;
    double d = strtod(buf, &end);
    if (*end || end == buf)
        return -1;
    if (errno == ERANGE && isinf(d))
        return -2;
    *out = d;
    return 0;
}

/* ------------------------------------------------------------- numbers */

static int minmax(kv_call *c, const kvet_value *args, int nargs, kvet_value *out, int sign, const char *fn)
{
    const kvet_value *items = args;
    uint32_t n = (uint32_t)nargs;
    if (nargs == 1 && args[0].type == KVET_LIST) {
        items = args[0].u.l->items;
        n = args[0].u.l->n;
    }
    kvet_value best = kv_absent();
    for (uint32_t i = 0; i < n; i++) {
        kvet_value v = items[i];
        if (v.type == KVET_ABSENT)
            continue;
        if (!kv_is_number(v) && v.type != KVET_STRING)
            return kv_builtin_fail(c, "%s(): cannot compare a %s", fn, kv_type_name((kvet_type)v.type));
        if (best.type != KVET_ABSENT && (kv_is_number(best) != kv_is_number(v)))
            return kv_builtin_fail(c, "%s(): cannot compare %s and %s", fn, kv_type_name((kvet_type)best.type),
                                   kv_type_name((kvet_type)v.type));
        if (v.type == KVET_FLOAT && isnan(v.u.f))
            return kv_builtin_fail(c, "%s(): NaN has no order", fn);
        if (best.type == KVET_ABSENT || kv_value_compare(v, best) * sign > 0)
            best = v;
    }
    *out = best;
    return 0;
}

static int b_min(kv_call *c, const kvet_value *args, int n, kvet_value *out) { return minmax(c, args, n, out, -1, "min"); }
static int b_max(kv_call *c, const kvet_value *args, int n, kvet_value *out) { return minmax(c, args, n, out, 1, "max"); }

static int b_abs(kv_call *c, const kvet_value *args, int n, kvet_value *out)
{
    (void)n;
    ANY_ABSENT(1);
    if (want_number(c, "abs", args, 0))
        return -1;
    if (args[0].type == KVET_INT) {
        if (args[0].u.i == INT64_MIN)
            return kv_builtin_fail(c, "abs(): integer overflow");
        *out = kv_at(kv_int(args[0].u.i < 0 ? -args[0].u.i : args[0].u.i), args[0]);
    } else {
        *out = kv_at(kv_float(fabs(args[0].u.f)), args[0]);
    }
    return 0;
}

static int rounding(kv_call *c, const kvet_value *args, kvet_value *out, double (*f)(double), const char *fn)
{
    ANY_ABSENT(1);
    if (want_number(c, fn, args, 0))
        return -1;
    if (args[0].type == KVET_INT) {
        *out = args[0];
        return 0;
    }
    double d = f(args[0].u.f);
    if (!(d >= -9223372036854775808.0 && d < 9223372036854775808.0))
        return kv_builtin_fail(c, "%s(): %s does not fit in a 64-bit integer", fn, kv_builtin_show(c, args[0]));
    *out = kv_at(kv_int((int64_t)d), args[0]);
    return 0;
}

static int b_floor(kv_call *c, const kvet_value *a, int n, kvet_value *o) { (void)n; return rounding(c, a, o, floor, "floor"); }
static int b_ceil(kv_call *c, const kvet_value *a, int n, kvet_value *o) { (void)n; return rounding(c, a, o, ceil, "ceil"); }
static int b_round(kv_call *c, const kvet_value *a, int n, kvet_value *o) { (void)n; return rounding(c, a, o, round, "round"); }

static int b_sum(kv_call *c, const kvet_value *args, int n, kvet_value *out)
{
    (void)n;
    ANY_ABSENT(1);
    if (want(c, "sum", args, 0, KVET_LIST))
        return -1;
    int64_t si = 0;
    double sf = 0;
    bool fl = false;
    for (uint32_t i = 0; i < args[0].u.l->n; i++) {
        kvet_value v = args[0].u.l->items[i];
        if (v.type == KVET_ABSENT)
            continue;
        if (!kv_is_number(v))
            return kv_builtin_fail(c, "sum(): element %u is a %s, not a number", i + 1, kv_type_name((kvet_type)v.type));
        if (v.type == KVET_FLOAT || fl) {
            if (!fl) {
                sf = (double)si;
                fl = true;
            }
            sf += v.type == KVET_INT ? (double)v.u.i : v.u.f;
        } else if (__builtin_add_overflow(si, v.u.i, &si)) {
            return kv_builtin_fail(c, "sum(): integer overflow");
        }
    }
    *out = fl ? kv_float(sf) : kv_int(si);
    return 0;
}

/* --------------------------------------------------------- conversions */

static int b_int(kv_call *c, const kvet_value *args, int n, kvet_value *out)
{
    (void)n;
    kvet_value v = args[0];
    switch (v.type) {
    case KVET_ABSENT:
        *out = v;
        return 0;
    case KVET_INT:
        *out = v;
        return 0;
    case KVET_FLOAT:
        if (v.u.f != floor(v.u.f) || !(v.u.f >= -9223372036854775808.0 && v.u.f < 9223372036854775808.0))
            return kv_builtin_fail(c, "int(): %s is not a whole number that fits in 64 bits", kv_builtin_show(c, v));
        *out = kv_at(kv_int((int64_t)v.u.f), v);
        return 0;
    case KVET_STRING: {
        int64_t i;
        int rc = kv_parse_int(v.u.s->data, v.u.s->len, &i);
        if (rc == -2)
            return kv_builtin_fail(c, "int(): %s is out of the 64-bit range", kv_builtin_show(c, v));
        if (rc < 0)
            return kv_builtin_fail(c, "int(): cannot convert %s to an integer", kv_builtin_show(c, v));
        *out = kv_at(kv_int(i), v);
        return 0;
    }
    default:
        return kv_builtin_fail(c, "int(): cannot convert a %s to an integer", kv_type_name((kvet_type)v.type));
    }
}

static int b_float(kv_call *c, const kvet_value *args, int n, kvet_value *out)
{
    (void)n;
    kvet_value v = args[0];
    switch (v.type) {
    case KVET_ABSENT: *out = v; return 0;
    case KVET_INT: *out = kv_at(kv_float((double)v.u.i), v); return 0;
    case KVET_FLOAT: *out = v; return 0;
    case KVET_STRING: {
        double d;
        int rc = kv_parse_float(v.u.s->data, v.u.s->len, &d);
        if (rc == -2)
            return kv_builtin_fail(c, "float(): %s is out of range", kv_builtin_show(c, v));
        if (rc < 0)
            return kv_builtin_fail(c, "float(): cannot convert %s to a number", kv_builtin_show(c, v));
        *out = kv_at(kv_float(d), v);
        return 0;
    }
    default:
        return kv_builtin_fail(c, "float(): cannot convert a %s to a number", kv_type_name((kvet_type)v.type));
    }
}

static int b_string(kv_call *c, const kvet_value *args, int n, kvet_value *out)
{
    (void)n;
    if (args[0].type == KVET_ABSENT || args[0].type == KVET_STRING) {
        *out = args[0];
        return 0;
    }
    kv_buf b;
    kv_buf_init(&b);
    kv_value_render(&b, args[0], false);
    *out = kv_at(str(c, b.data ? b.data : "", b.len), args[0]);
    kv_buf_free(&b);
    return out->type == KVET_ABSENT ? kv_builtin_fail(c, "out of memory") : 0;
}

static int parse_bool(const char *s, size_t n, bool *out)
{
    static const char *const t[] = {"1", "t", "T", "TRUE", "true", "True", NULL};
    static const char *const f[] = {"0", "f", "F", "FALSE", "false", "False", NULL};
    for (int i = 0; t[i]; i++)
        if (strlen(t[i]) == n && !memcmp(t[i], s, n)) {
            *out = true;
            return 0;
        }
    for (int i = 0; f[i]; i++)
        if (strlen(f[i]) == n && !memcmp(f[i], s, n)) {
            *out = false;
            return 0;
        }
    return -1;
}

static int b_bool(kv_call *c, const kvet_value *args, int n, kvet_value *out)
{
    (void)n;
    kvet_value v = args[0];
    bool b;
    switch (v.type) {
    case KVET_ABSENT:
    case KVET_BOOL:
        *out = v;
        return 0;
    case KVET_STRING:
        if (parse_bool(v.u.s->data, v.u.s->len, &b) < 0)
            return kv_builtin_fail(c, "bool(): cannot convert %s to a bool", kv_builtin_show(c, v));
        *out = kv_at(kv_bool(b), v);
        return 0;
    default:
        return kv_builtin_fail(c, "bool(): cannot convert a %s to a bool", kv_type_name((kvet_type)v.type));
    }
}

static int b_is_int(kv_call *c, const kvet_value *args, int n, kvet_value *out)
{
    (void)c;
    (void)n;
    int64_t i;
    kvet_value v = args[0];
    bool r = v.type == KVET_INT || (v.type == KVET_FLOAT && v.u.f == floor(v.u.f) && fabs(v.u.f) < 9.2e18) ||
             (v.type == KVET_STRING && kv_parse_int(v.u.s->data, v.u.s->len, &i) == 0);
    *out = v.type == KVET_ABSENT ? v : kv_bool(r);
    return 0;
}

static int b_is_float(kv_call *c, const kvet_value *args, int n, kvet_value *out)
{
    (void)c;
    (void)n;
    double d;
    kvet_value v = args[0];
    bool r = kv_is_number(v) || (v.type == KVET_STRING && kv_parse_float(v.u.s->data, v.u.s->len, &d) == 0);
    *out = v.type == KVET_ABSENT ? v : kv_bool(r);
    return 0;
}

static int b_type(kv_call *c, const kvet_value *args, int n, kvet_value *out)
{
    (void)n;
    const char *t = kv_type_name((kvet_type)args[0].type);
    *out = str(c, t, strlen(t));
    return 0;
}

static int b_has(kv_call *c, const kvet_value *args, int n, kvet_value *out)
{
    (void)c;
    (void)n;
    *out = kv_bool(args[0].type != KVET_ABSENT);
    return 0;
}

static int b_len(kv_call *c, const kvet_value *args, int n, kvet_value *out)
{
    (void)n;
    kvet_value v = args[0];
    switch (v.type) {
    case KVET_ABSENT: *out = v; return 0;
    case KVET_STRING: *out = kv_int(v.u.s->len); return 0;
    case KVET_LIST: *out = kv_int(v.u.l->n); return 0;
    case KVET_MAP: *out = kv_int(v.u.m->n); return 0;
    default: return kv_builtin_fail(c, "len(): a %s has no length", kv_type_name((kvet_type)v.type));
    }
}

/* ------------------------------------------------------------- strings */

static int map_chars(kv_call *c, const kvet_value *args, kvet_value *out, const char *fn, int upper)
{
    ANY_ABSENT(1);
    if (want(c, fn, args, 0, KVET_STRING))
        return -1;
    kvet_string *s = kv_string_new(c->arena, args[0].u.s->data, args[0].u.s->len);
    if (!s)
        return kv_builtin_fail(c, "out of memory");
    for (uint32_t i = 0; i < s->len; i++) {
        char ch = s->data[i];
        if (upper && ch >= 'a' && ch <= 'z')
            s->data[i] = (char)(ch - 32);
        else if (!upper && ch >= 'A' && ch <= 'Z')
            s->data[i] = (char)(ch + 32);
    }
    *out = kv_at(kv_str_value(s), args[0]);
    return 0;
}

static int b_lower(kv_call *c, const kvet_value *a, int n, kvet_value *o) { (void)n; return map_chars(c, a, o, "lower", 0); }
static int b_upper(kv_call *c, const kvet_value *a, int n, kvet_value *o) { (void)n; return map_chars(c, a, o, "upper", 1); }

static int b_trim(kv_call *c, const kvet_value *args, int n, kvet_value *out)
{
    (void)n;
    ANY_ABSENT(1);
    if (want(c, "trim", args, 0, KVET_STRING))
        return -1;
    const char *s = args[0].u.s->data;
    size_t b = 0, e = args[0].u.s->len;
    while (b < e && strchr(" \t\r\n\v\f", s[b]))
        b++;
    while (e > b && strchr(" \t\r\n\v\f", s[e - 1]))
        e--;
    *out = kv_at(str(c, s + b, e - b), args[0]);
    return 0;
}

static int two_strings(kv_call *c, const kvet_value *args, const char *fn)
{
    if (want(c, fn, args, 0, KVET_STRING) || want(c, fn, args, 1, KVET_STRING))
        return -1;
    return 0;
}

static int b_startswith(kv_call *c, const kvet_value *args, int n, kvet_value *out)
{
    (void)n;
    ANY_ABSENT(2);
    if (two_strings(c, args, "startswith"))
        return -1;
    const kvet_string *s = args[0].u.s, *p = args[1].u.s;
    *out = kv_bool(p->len <= s->len && !memcmp(s->data, p->data, p->len));
    return 0;
}

static int b_endswith(kv_call *c, const kvet_value *args, int n, kvet_value *out)
{
    (void)n;
    ANY_ABSENT(2);
    if (two_strings(c, args, "endswith"))
        return -1;
    const kvet_string *s = args[0].u.s, *p = args[1].u.s;
    *out = kv_bool(p->len <= s->len && !memcmp(s->data + s->len - p->len, p->data, p->len));
    return 0;
}

static int b_trim_prefix(kv_call *c, const kvet_value *args, int n, kvet_value *out)
{
    (void)n;
    ANY_ABSENT(2);
    if (two_strings(c, args, "trim_prefix"))
        return -1;
    const kvet_string *s = args[0].u.s, *p = args[1].u.s;
    if (p->len <= s->len && !memcmp(s->data, p->data, p->len))
        *out = kv_at(str(c, s->data + p->len, s->len - p->len), args[0]);
    else
        *out = args[0];
    return 0;
}

static int b_trim_suffix(kv_call *c, const kvet_value *args, int n, kvet_value *out)
{
    (void)n;
    ANY_ABSENT(2);
    if (two_strings(c, args, "trim_suffix"))
        return -1;
    const kvet_string *s = args[0].u.s, *p = args[1].u.s;
    if (p->len <= s->len && !memcmp(s->data + s->len - p->len, p->data, p->len))
        *out = kv_at(str(c, s->data, s->len - p->len), args[0]);
    else
        *out = args[0];
    return 0;
}

static int b_contains(kv_call *c, const kvet_value *args, int n, kvet_value *out)
{
    (void)n;
    ANY_ABSENT(2);
    kvet_value h = args[0], x = args[1];
    switch (h.type) {
    case KVET_STRING:
        if (want(c, "contains", args, 1, KVET_STRING))
            return -1;
        *out = kv_bool(x.u.s->len == 0 || memmem(h.u.s->data, h.u.s->len, x.u.s->data, x.u.s->len) != NULL);
        return 0;
    case KVET_LIST:
        for (uint32_t i = 0; i < h.u.l->n; i++)
            if (kv_value_equal(h.u.l->items[i], x)) {
                *out = kv_bool(true);
                return 0;
            }
        *out = kv_bool(false);
        return 0;
    case KVET_MAP:
        if (want(c, "contains", args, 1, KVET_STRING))
            return -1;
        *out = kv_bool(kv_map_find(h.u.m, x.u.s->data, x.u.s->len) != NULL);
        return 0;
    default:
        return kv_builtin_fail(c, "contains(): argument 1 must be a string, list or map, got %s",
                               kv_type_name((kvet_type)h.type));
    }
}

static int b_split(kv_call *c, const kvet_value *args, int n, kvet_value *out)
{
    (void)n;
    ANY_ABSENT(2);
    if (two_strings(c, args, "split"))
        return -1;
    const kvet_string *s = args[0].u.s, *sep = args[1].u.s;
    uint32_t count = 0;
    if (sep->len == 0) {
        /* Go: split into UTF-8 characters */
        for (uint32_t i = 0; i < s->len; i++)
            if (((unsigned char)s->data[i] & 0xC0) != 0x80)
                count++;
        kvet_list *l = kv_list_new(c->arena, count);
        if (!l)
            return kv_builtin_fail(c, "out of memory");
        uint32_t k = 0, start = 0;
        for (uint32_t i = 1; i <= s->len; i++)
            if (i == s->len || ((unsigned char)s->data[i] & 0xC0) != 0x80) {
                l->items[k++] = str(c, s->data + start, i - start);
                start = i;
            }
        l->n = k;
        *out = kv_at(kv_list_value(l), args[0]);
        return 0;
    }
    count = 1;
    for (const char *p = s->data; (p = memmem(p, (size_t)(s->data + s->len - p), sep->data, sep->len)); p += sep->len)
        count++;
    kvet_list *l = kv_list_new(c->arena, count);
    if (!l)
        return kv_builtin_fail(c, "out of memory");
    const char *p = s->data, *end = s->data + s->len;
    for (uint32_t k = 0; k < count; k++) {
        const char *q = k + 1 < count ? memmem(p, (size_t)(end - p), sep->data, sep->len) : end;
        l->items[k] = str(c, p, (size_t)(q - p));
        p = q + sep->len;
    }
    *out = kv_at(kv_list_value(l), args[0]);
    return 0;
}

static int b_join(kv_call *c, const kvet_value *args, int n, kvet_value *out)
{
    (void)n;
    ANY_ABSENT(2);
    if (want(c, "join", args, 0, KVET_LIST) || want(c, "join", args, 1, KVET_STRING))
        return -1;
    kv_buf b;
    kv_buf_init(&b);
    for (uint32_t i = 0; i < args[0].u.l->n; i++) {
        if (i)
            kv_buf_put(&b, args[1].u.s->data, args[1].u.s->len);
        kv_value_render(&b, args[0].u.l->items[i], false);
        if (b.len > c->limits->max_string_bytes) {
            kv_buf_free(&b);
            return kv_builtin_fail(c, "join(): the result is longer than the limit of %llu bytes",
                                   (unsigned long long)c->limits->max_string_bytes);
        }
    }
    *out = str(c, b.data ? b.data : "", b.len);
    kv_buf_free(&b);
    return 0;
}

static int b_replace(kv_call *c, const kvet_value *args, int n, kvet_value *out)
{
    (void)n;
    ANY_ABSENT(3);
    if (want(c, "replace", args, 0, KVET_STRING) || want(c, "replace", args, 1, KVET_STRING) ||
        want(c, "replace", args, 2, KVET_STRING))
        return -1;
    const kvet_string *s = args[0].u.s, *old = args[1].u.s, *nw = args[2].u.s;
    if (old->len == 0) {
        *out = args[0];
        return 0;
    }
    kv_buf b;
    kv_buf_init(&b);
    const char *p = s->data, *end = s->data + s->len, *q;
    while ((q = memmem(p, (size_t)(end - p), old->data, old->len))) {
        kv_buf_put(&b, p, (size_t)(q - p));
        kv_buf_put(&b, nw->data, nw->len);
        p = q + old->len;
        if (b.len > c->limits->max_string_bytes) {
            kv_buf_free(&b);
            return kv_builtin_fail(c, "replace(): the result is longer than the limit");
        }
    }
    kv_buf_put(&b, p, (size_t)(end - p));
    *out = kv_at(str(c, b.data ? b.data : "", b.len), args[0]);
    kv_buf_free(&b);
    return 0;
}

static int b_substr(kv_call *c, const kvet_value *args, int n, kvet_value *out)
{
    ANY_ABSENT(n);
    if (want(c, "substr", args, 0, KVET_STRING) || want(c, "substr", args, 1, KVET_INT) ||
        (n == 3 && want(c, "substr", args, 2, KVET_INT)))
        return -1;
    int64_t len = args[0].u.s->len, start = args[1].u.i, cnt = n == 3 ? args[2].u.i : len;
    if (start < 0)
        start = 0;
    if (start > len)
        start = len;
    if (cnt < 0)
        cnt = 0;
    if (cnt > len - start)
        cnt = len - start;
    *out = kv_at(str(c, args[0].u.s->data + start, (size_t)cnt), args[0]);
    return 0;
}

/* ---------------------------------------------------------- collections */

static int b_keys(kv_call *c, const kvet_value *args, int n, kvet_value *out)
{
    (void)n;
    ANY_ABSENT(1);
    if (want(c, "keys", args, 0, KVET_MAP))
        return -1;
    kvet_list *l = kv_list_new(c->arena, args[0].u.m->n);
    if (!l)
        return kv_builtin_fail(c, "out of memory");
    for (uint32_t i = 0; i < l->n; i++)
        l->items[i] = kv_at(kv_str_value(args[0].u.m->e[i].key), args[0].u.m->e[i].val);
    *out = kv_at(kv_list_value(l), args[0]);
    return 0;
}

static int b_values(kv_call *c, const kvet_value *args, int n, kvet_value *out)
{
    (void)n;
    ANY_ABSENT(1);
    if (want(c, "values", args, 0, KVET_MAP))
        return -1;
    kvet_list *l = kv_list_new(c->arena, args[0].u.m->n);
    if (!l)
        return kv_builtin_fail(c, "out of memory");
    for (uint32_t i = 0; i < l->n; i++)
        l->items[i] = args[0].u.m->e[i].val;
    *out = kv_at(kv_list_value(l), args[0]);
    return 0;
}

static int b_entries(kv_call *c, const kvet_value *args, int n, kvet_value *out)
{
    (void)n;
    ANY_ABSENT(1);
    if (want(c, "entries", args, 0, KVET_MAP))
        return -1;
    kvet_list *l = kv_list_new(c->arena, args[0].u.m->n);
    kvet_string *kk = kv_string_cstr(c->arena, "key"), *vk = kv_string_cstr(c->arena, "value");
    if (!l || !kk || !vk)
        return kv_builtin_fail(c, "out of memory");
    for (uint32_t i = 0; i < l->n; i++) {
        kvet_map *m = kv_map_new(c->arena, 2);
        if (!m)
            return kv_builtin_fail(c, "out of memory");
        m->e[0].key = kk;
        m->e[0].val = kv_at(kv_str_value(args[0].u.m->e[i].key), args[0].u.m->e[i].val);
        m->e[1].key = vk;
        m->e[1].val = args[0].u.m->e[i].val;
        l->items[i] = kv_at(kv_map_value(m), args[0].u.m->e[i].val);
    }
    *out = kv_at(kv_list_value(l), args[0]);
    return 0;
}

static int b_get(kv_call *c, const kvet_value *args, int n, kvet_value *out)
{
    if (args[1].type == KVET_ABSENT) {
        *out = kv_absent();
        return 0;
    }
    if (args[0].type != KVET_MAP && args[0].type != KVET_ABSENT)
        return want(c, "get", args, 0, KVET_MAP);
    if (want(c, "get", args, 1, KVET_STRING))
        return -1;
    *out = kvet_map_get(args[0], args[1].u.s->data, args[1].u.s->len);
    if (out->type == KVET_ABSENT && n == 3)
        *out = args[2];
    return 0;
}

static int b_merge(kv_call *c, const kvet_value *args, int n, kvet_value *out)
{
    uint64_t total = 0;
    for (int i = 0; i < n; i++) {
        if (args[i].type == KVET_ABSENT)
            continue;
        if (want(c, "merge", args, i, KVET_MAP))
            return -1;
        total += args[i].u.m->n;
    }
    if (total > UINT32_MAX / 2)
        return kv_builtin_fail(c, "merge(): too many entries");
    kvet_map *m = kv_map_new(c->arena, (uint32_t)total);
    if (!m)
        return kv_builtin_fail(c, "out of memory");
    uint32_t k = 0;
    for (int i = 0; i < n; i++) {
        if (args[i].type == KVET_ABSENT)
            continue;
        for (uint32_t e = 0; e < args[i].u.m->n; e++) {
            const kvet_map_entry *en = &args[i].u.m->e[e];
            uint32_t j;
            for (j = 0; j < k; j++)
                if (m->e[j].key->len == en->key->len && !memcmp(m->e[j].key->data, en->key->data, en->key->len))
                    break;
            m->e[j] = *en;
            if (j == k)
                k++;
        }
    }
    m->n = k;
    *out = kv_map_value(m);
    return 0;
}

static int cmp_values(const void *a, const void *b)
{
    return kv_value_compare(*(const kvet_value *)a, *(const kvet_value *)b);
}

static int b_sort(kv_call *c, const kvet_value *args, int n, kvet_value *out)
{
    (void)n;
    ANY_ABSENT(1);
    if (want(c, "sort", args, 0, KVET_LIST))
        return -1;
    uint32_t len = args[0].u.l->n;
    kvet_list *l = kv_list_new(c->arena, len);
    if (!l)
        return kv_builtin_fail(c, "out of memory");
    if (len)
        memcpy(l->items, args[0].u.l->items, len * sizeof(kvet_value));
    /* insertion sort keeps equal elements in order (stable) and is
     * fine for the short lists manifests hold; larger ones use qsort */
    if (len <= 64) {
        for (uint32_t i = 1; i < len; i++)
            for (uint32_t j = i; j > 0 && kv_value_compare(l->items[j - 1], l->items[j]) > 0; j--) {
                kvet_value t = l->items[j];
                l->items[j] = l->items[j - 1];
                l->items[j - 1] = t;
            }
    } else {
        qsort(l->items, len, sizeof(kvet_value), cmp_values);
    }
    *out = kv_at(kv_list_value(l), args[0]);
    return 0;
}

static int b_unique(kv_call *c, const kvet_value *args, int n, kvet_value *out)
{
    (void)n;
    ANY_ABSENT(1);
    if (want(c, "unique", args, 0, KVET_LIST))
        return -1;
    uint32_t len = args[0].u.l->n, k = 0;
    kvet_list *l = kv_list_new(c->arena, len);
    if (!l)
        return kv_builtin_fail(c, "out of memory");
    for (uint32_t i = 0; i < len; i++) {
        bool seen = false;
        for (uint32_t j = 0; j < k && !seen; j++)
            seen = kv_value_equal(l->items[j], args[0].u.l->items[i]);
        if (!seen)
            l->items[k++] = args[0].u.l->items[i];
    }
    l->n = k;
    *out = kv_at(kv_list_value(l), args[0]);
    return 0;
}

static int b_first(kv_call *c, const kvet_value *args, int n, kvet_value *out)
{
    (void)n;
    ANY_ABSENT(1);
    if (want(c, "first", args, 0, KVET_LIST))
        return -1;
    *out = args[0].u.l->n ? args[0].u.l->items[0] : kv_at(kv_absent(), args[0]);
    return 0;
}

static int b_last(kv_call *c, const kvet_value *args, int n, kvet_value *out)
{
    (void)n;
    ANY_ABSENT(1);
    if (want(c, "last", args, 0, KVET_LIST))
        return -1;
    *out = args[0].u.l->n ? args[0].u.l->items[args[0].u.l->n - 1] : kv_at(kv_absent(), args[0]);
    return 0;
}

static int b_flatten(kv_call *c, const kvet_value *args, int n, kvet_value *out)
{
    (void)n;
    ANY_ABSENT(1);
    if (want(c, "flatten", args, 0, KVET_LIST))
        return -1;
    uint64_t total = 0;
    for (uint32_t i = 0; i < args[0].u.l->n; i++) {
        kvet_value v = args[0].u.l->items[i];
        total += v.type == KVET_LIST ? v.u.l->n : 1;
    }
    if (total > UINT32_MAX / 2)
        return kv_builtin_fail(c, "flatten(): too many elements");
    kvet_list *l = kv_list_new(c->arena, (uint32_t)total);
    if (!l)
        return kv_builtin_fail(c, "out of memory");
    uint32_t k = 0;
    for (uint32_t i = 0; i < args[0].u.l->n; i++) {
        kvet_value v = args[0].u.l->items[i];
        if (v.type == KVET_LIST)
            for (uint32_t j = 0; j < v.u.l->n; j++)
                l->items[k++] = v.u.l->items[j];
        else
            l->items[k++] = v;
    }
    *out = kv_at(kv_list_value(l), args[0]);
    return 0;
}

static int b_range(kv_call *c, const kvet_value *args, int n, kvet_value *out)
{
    (void)n;
    ANY_ABSENT(1);
    if (want(c, "range", args, 0, KVET_INT))
        return -1;
    int64_t cnt = args[0].u.i;
    if (cnt < 0)
        cnt = 0;
    if (cnt > 1000000)
        return kv_builtin_fail(c, "range(): %lld is larger than the limit of 1000000", (long long)cnt);
    kvet_list *l = kv_list_new(c->arena, (uint32_t)cnt);
    if (!l)
        return kv_builtin_fail(c, "out of memory");
    for (int64_t i = 0; i < cnt; i++)
        l->items[i] = kv_int(i);
    *out = kv_list_value(l);
    return 0;
}

/* ------------------------------------------------------------ versions */

/* Split "v1.23.0-rc1" into numbers; returns the pre-release part or NULL. */
static int version_parts(const kvet_string *s, int64_t parts[4], const char **pre, size_t *prelen)
{
    const char *p = s->data, *end = s->data + s->len;
    if (p < end && (*p == 'v' || *p == 'V'))
        p++;
    int k = 0;
    *pre = NULL;
    *prelen = 0;
    for (int i = 0; i < 4; i++)
        parts[i] = 0;
    if (p == end || *p < '0' || *p > '9')
        return -1;
    while (p < end && k < 4) {
        int64_t v = 0;
        if (*p < '0' || *p > '9')
            return -1;
        while (p < end && *p >= '0' && *p <= '9') {
            if (v > 100000000)
                return -1;
            v = v * 10 + (*p - '0');
            p++;
        }
        parts[k++] = v;
        if (p < end && *p == '.') {
            p++;
            continue;
        }
        break;
    }
    if (p < end) {
        if (*p != '-' && *p != '+')
            return -1;
        if (*p == '-') {
            *pre = p + 1;
            const char *q = p + 1;
            while (q < end && *q != '+')
                q++;
            *prelen = (size_t)(q - p - 1);
        }
    }
    return 0;
}

static int b_semver_cmp(kv_call *c, const kvet_value *args, int n, kvet_value *out)
{
    (void)n;
    ANY_ABSENT(2);
    if (two_strings(c, args, "semver_cmp"))
        return -1;
    int64_t a[4], b[4];
    const char *pa, *pb;
    size_t la, lb;
    if (version_parts(args[0].u.s, a, &pa, &la) < 0)
        return kv_builtin_fail(c, "semver_cmp(): %s is not a version", kv_builtin_show(c, args[0]));
    if (version_parts(args[1].u.s, b, &pb, &lb) < 0)
        return kv_builtin_fail(c, "semver_cmp(): %s is not a version", kv_builtin_show(c, args[1]));
    int r = 0;
    for (int i = 0; i < 4 && !r; i++)
        r = (a[i] > b[i]) - (a[i] < b[i]);
    if (!r) {
        if (pa && !pb) r = -1;
        else if (!pa && pb) r = 1;
        else if (pa && pb) {
            size_t m = la < lb ? la : lb;
            int cmp = memcmp(pa, pb, m);
            r = cmp ? (cmp > 0) - (cmp < 0) : (la > lb) - (la < lb);
        }
    }
    *out = kv_int(r);
    return 0;
}

/* -------------------------------------------------------------- table */

int kv_bi_quantity(kv_call *c, const kvet_value *args, int n, kvet_value *out);
int kv_bi_duration(kv_call *c, const kvet_value *args, int n, kvet_value *out);
int kv_bi_duration_ns(kv_call *c, const kvet_value *args, int n, kvet_value *out);
int kv_bi_percent(kv_call *c, const kvet_value *args, int n, kvet_value *out);
int kv_bi_is_percent(kv_call *c, const kvet_value *args, int n, kvet_value *out);
int kv_bi_int_or_percent(kv_call *c, const kvet_value *args, int n, kvet_value *out);
int kv_bi_match(kv_call *c, const kvet_value *args, int n, kvet_value *out);
int kv_bi_capture(kv_call *c, const kvet_value *args, int n, kvet_value *out);

/* Sorted by name: looked up by binary search. */
static const kv_builtin table[] = {
    {"abs", 1, 1, b_abs, "abs(n) -> number"},
    {"bool", 1, 1, b_bool, "bool(x) -> bool (Go ParseBool text)"},
    {"capture", 2, 2, kv_bi_capture, "capture(s, regex) -> list of groups, or absent"},
    {"ceil", 1, 1, b_ceil, "ceil(n) -> int"},
    {"contains", 2, 2, b_contains, "contains(string|list|map, x) -> bool"},
    {"duration", 1, 1, kv_bi_duration, "duration(s) -> seconds (Go duration)"},
    {"duration_ns", 1, 1, kv_bi_duration_ns, "duration_ns(s) -> int nanoseconds (Go duration)"},
    {"endswith", 2, 2, b_endswith, "endswith(s, suffix) -> bool"},
    {"entries", 1, 1, b_entries, "entries(map) -> list of {key, value}"},
    {"first", 1, 1, b_first, "first(list) -> element or absent"},
    {"flatten", 1, 1, b_flatten, "flatten(list) -> list"},
    {"float", 1, 1, b_float, "float(x) -> float (Go ParseFloat text)"},
    {"floor", 1, 1, b_floor, "floor(n) -> int"},
    {"get", 2, 3, b_get, "get(map, key[, default]) -> value"},
    {"has", 1, 1, b_has, "has(x) -> bool (false only for absent)"},
    {"int", 1, 1, b_int, "int(x) -> int (Go ParseInt(s, 10, 64) text)"},
    {"int_or_percent", 3, 3, kv_bi_int_or_percent, "int_or_percent(x, total, round_up) -> int"},
    {"is_float", 1, 1, b_is_float, "is_float(x) -> bool"},
    {"is_int", 1, 1, b_is_int, "is_int(x) -> bool"},
    {"is_percent", 1, 1, kv_bi_is_percent, "is_percent(x) -> bool"},
    {"join", 2, 2, b_join, "join(list, sep) -> string"},
    {"keys", 1, 1, b_keys, "keys(map) -> list"},
    {"last", 1, 1, b_last, "last(list) -> element or absent"},
    {"len", 1, 1, b_len, "len(string|list|map) -> int"},
    {"lower", 1, 1, b_lower, "lower(s) -> string"},
    {"match", 2, 2, kv_bi_match, "match(s, regex) -> bool"},
    {"max", 1, -1, b_max, "max(a, b, ...) or max(list) -> value"},
    {"merge", 1, -1, b_merge, "merge(map, map, ...) -> map (later keys win)"},
    {"min", 1, -1, b_min, "min(a, b, ...) or min(list) -> value"},
    {"percent", 1, 1, kv_bi_percent, "percent(\"80%\") -> 80"},
    {"quantity", 1, 1, kv_bi_quantity, "quantity(s) -> number (Kubernetes quantity)"},
    {"range", 1, 1, b_range, "range(n) -> [0, ..., n-1]"},
    {"replace", 3, 3, b_replace, "replace(s, old, new) -> string"},
    {"round", 1, 1, b_round, "round(n) -> int"},
    {"semver_cmp", 2, 2, b_semver_cmp, "semver_cmp(a, b) -> -1, 0 or 1"},
    {"sort", 1, 1, b_sort, "sort(list) -> list"},
    {"split", 2, 2, b_split, "split(s, sep) -> list"},
    {"startswith", 2, 2, b_startswith, "startswith(s, prefix) -> bool"},
    {"string", 1, 1, b_string, "string(x) -> string"},
    {"substr", 2, 3, b_substr, "substr(s, start[, len]) -> string"},
    {"sum", 1, 1, b_sum, "sum(list) -> number"},
    {"trim", 1, 1, b_trim, "trim(s) -> string"},
    {"trim_prefix", 2, 2, b_trim_prefix, "trim_prefix(s, prefix) -> string"},
    {"trim_suffix", 2, 2, b_trim_suffix, "trim_suffix(s, suffix) -> string"},
    {"type", 1, 1, b_type, "type(x) -> string"},
    {"unique", 1, 1, b_unique, "unique(list) -> list"},
    {"upper", 1, 1, b_upper, "upper(s) -> string"},
    {"values", 1, 1, b_values, "values(map) -> list"},
};

size_t kv_builtin_count(void)
{
    return sizeof table / sizeof table[0];
}

const kv_builtin *kv_builtin_at(size_t i)
{
    return i < kv_builtin_count() ? &table[i] : NULL;
}

int kv_builtin_lookup(const char *name)
{
    size_t lo = 0, hi = kv_builtin_count();
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        int c = strcmp(name, table[mid].name);
        if (c == 0)
            return (int)mid;
        if (c < 0)
            hi = mid;
        else
            lo = mid + 1;
    }
    return -1;
}
