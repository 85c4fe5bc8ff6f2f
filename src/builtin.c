/*
 * builtin.c - the builtin function table and the general builtins
 * (numbers, conversions, strings, collections, versions).  Kubernetes and Go
 * formats are in builtin_k8s.c, regular expressions in regex.c.
 *
 * Contract (see builtin.h): builtins are pure; results live in call->arena;
 * a failure sets call->err (also in the arena) and returns -1.  An absent
 * argument gives absent unless the table entry says otherwise.  Results
 * carry the position (kv_at) of their main argument, so a finding built
 * from them points at the manifest line the value came from.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* memmem */
#endif
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "builtin_impl.h"
#include "ctx.h"

/* range(n) builds at most this many items. */
#define KV_RANGE_MAX 1000000
/* Nesting depth to which unique() hashes values; deeper parts share a hash
 * (equality still decides, so this only costs speed). */
#define KV_HASH_DEPTH 32

/* ------------------------------------------------------------- helpers */

int kv_bi_fail(kv_call *c, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    va_list ap2;
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    char *msg = n >= 0 ? kv_arena_alloc(c->arena, (size_t)n + 1) : NULL;
    if (msg)
        vsnprintf(msg, (size_t)n + 1, fmt, ap2);
    va_end(ap2);
    c->err = msg ? msg : "out of memory";
    return -1;
}

static int oom(kv_call *c, const char *fn)
{
    return kv_bi_fail(c, "%s(): out of memory", fn);
}

/* Largest prefix length <= max that does not split a UTF-8 sequence. */
static size_t utf8_cut(const char *s, size_t len, size_t max)
{
    if (len <= max)
        return len;
    size_t cut = max;
    while (cut > 0 && ((unsigned char)s[cut] & 0xC0) == 0x80)
        cut--;
    return cut;
}

const char *kv_bi_show(kv_call *c, kvet_value v)
{
    enum { SHOW_MAX = 60 };
    kv_buf b;
    kv_buf_init(&b);
    if (v.type == KVET_STRING) {
        size_t cut = utf8_cut(v.u.s->data, v.u.s->len, SHOW_MAX);
        kv_buf_json_string(&b, v.u.s->data, cut);
        if (cut < v.u.s->len && b.len > 0 && !b.oom) {
            b.len--; /* reopen the quotes to mark the cut */
            kv_buf_puts(&b, "...\"");
        }
    } else {
        /* numbers bare ("NaN", "1e+300"); lists and maps as JSON */
        kv_value_render(&b, v, false);
        if (b.len > SHOW_MAX && !b.oom) {
            b.len = utf8_cut(b.data, b.len, SHOW_MAX);
            kv_buf_puts(&b, "...");
        }
    }
    const char *s = (b.data && !b.oom) ? kv_arena_strndup(c->arena, b.data, b.len) : NULL;
    kv_buf_free(&b);
    return s ? s : "?";
}

static const char *article(const char *noun)
{
    return strchr("aeiou", noun[0]) ? "an" : "a";
}

static const char *tname(kvet_value v)
{
    return kv_type_name((kvet_type)v.type);
}

int kv_bi_type_error(kv_call *c, const char *fn, int argno, const char *what, kvet_value got)
{
    return kv_bi_fail(c, "%s(): argument %d must be %s, got %s", fn, argno, what, tname(got));
}

int kv_bi_want(kv_call *c, const char *fn, const kvet_value *args, int i, kvet_type t)
{
    if (args[i].type == t)
        return 0;
    const char *name = kv_type_name(t);
    char what[32];
    snprintf(what, sizeof what, "%s %s", article(name), name);
    return kv_bi_type_error(c, fn, i + 1, what, args[i]);
}

const kvet_limits *kv_bi_limits(const kv_call *c, kvet_limits *scratch)
{
    if (c->limits)
        return c->limits;
    *scratch = kvet_default_limits();
    return scratch;
}

kvet_value kv_bi_number(double d)
{
    if (d == trunc(d) && d >= -9223372036854775808.0 && d < 9223372036854775808.0)
        return kv_int((int64_t)d);
    return kv_float(d);
}

/* Return absent (positioned at the first absent argument) when any of the
 * first n arguments is absent. */
#define ABSENT_GIVES_ABSENT(n)                                  \
    do {                                                        \
        for (int i_ = 0; i_ < (n); i_++)                        \
            if (args[i_].type == KVET_ABSENT) {                 \
                *out = args[i_];                                \
                return 0;                                       \
            }                                                   \
    } while (0)

static kvet_value str_at(kv_call *c, const char *s, size_t n, kvet_value from)
{
    kvet_string *str = kv_string_new(c->arena, s, n);
    return str ? kv_at(kv_str_value(str), from) : kv_absent();
}

/* A string result; fails on allocation failure. */
static int put_str(kv_call *c, const char *fn, const char *s, size_t n, kvet_value from, kvet_value *out)
{
    kvet_string *str = kv_string_new(c->arena, s, n);
    if (!str)
        return oom(c, fn);
    *out = kv_at(kv_str_value(str), from);
    return 0;
}

static bool is_digit(char ch)
{
    return ch >= '0' && ch <= '9';
}

static bool is_hex(char ch)
{
    return is_digit(ch) || ((ch | 0x20) >= 'a' && (ch | 0x20) <= 'f');
}

/* Length of the UTF-8 sequence at s as Go's decoder sees it: the length of
 * a valid encoding, else 1 (one byte of garbage). */
static size_t utf8_step(const unsigned char *s, size_t n)
{
    unsigned c = s[0];
    size_t len;
    unsigned min;
    if (c < 0x80)
        return 1;
    if ((c & 0xE0) == 0xC0) { len = 2; min = 0x80; c &= 0x1F; }
    else if ((c & 0xF0) == 0xE0) { len = 3; min = 0x800; c &= 0x0F; }
    else if ((c & 0xF8) == 0xF0) { len = 4; min = 0x10000; c &= 0x07; }
    else return 1;
    if (n < len)
        return 1;
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 1;
        c = (c << 6) | (s[i] & 0x3F);
    }
    if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF))
        return 1;
    return len;
}

/* ------------------------------------------------- Go number parsing */

/* strconv.ParseInt(s, 10, 64): optional sign, decimal digits, nothing
 * else.  0, -1 (syntax) or -2 (out of range). */
static int parse_int_go(const char *s, size_t n, int64_t *out)
{
    size_t i = 0;
    bool neg = false;
    if (n > 0 && (s[0] == '+' || s[0] == '-')) {
        neg = s[0] == '-';
        i = 1;
    }
    if (i == n)
        return -1;
    uint64_t v = 0;
    bool range = false;
    for (; i < n; i++) {
        if (!is_digit(s[i]))
            return -1;
        uint64_t d = (uint64_t)(s[i] - '0');
        if (v > (UINT64_MAX - d) / 10)
            range = true; /* keep scanning: a later bad byte is a syntax error */
        else
            v = v * 10 + d;
    }
    if (range)
        return -2;
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

int kv_parse_int(const char *s, size_t n, int64_t *out)
{
    int64_t v;
    if (parse_int_go(s, n, &v) < 0)
        return -1;
    *out = v;
    return 0;
}

static bool ci_equal(const char *s, const char *lit, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if ((s[i] | 0x20) != lit[i])
            return false;
    return true;
}

/* Go's rule for '_' in numbers: only between digits (a base prefix counts
 * as a digit), never first or last. */
static bool underscores_ok(const char *s, size_t n)
{
    char saw = '^';
    size_t i = 0;
    if (n >= 1 && (s[0] == '-' || s[0] == '+')) {
        s++;
        n--;
    }
    bool hex = false;
    if (n >= 2 && s[0] == '0' && ((s[1] | 0x20) == 'b' || (s[1] | 0x20) == 'o' || (s[1] | 0x20) == 'x')) {
        i = 2;
        saw = '0';
        hex = (s[1] | 0x20) == 'x';
    }
    for (; i < n; i++) {
        if (is_digit(s[i]) || (hex && is_hex(s[i]))) {
            saw = '0';
            continue;
        }
        if (s[i] == '_') {
            if (saw != '0')
                return false;
            saw = '_';
            continue;
        }
        if (saw == '_')
            return false;
        saw = '!';
    }
    return saw != '_';
}

/* strconv.ParseFloat(s, 64): decimal and hexadecimal (0x...p...) floats,
 * '_' between digits, "inf"/"infinity" with an optional sign and "nan",
 * case-insensitive.  0, -1 (syntax) or -2 (overflows float64). */
static int parse_float_go(const char *s, size_t n, double *out)
{
    if (n == 0)
        return -1;
    size_t i = 0;
    bool neg = false, sign = false;
    if (s[0] == '+' || s[0] == '-') {
        neg = s[0] == '-';
        sign = true;
        i = 1;
    }
    size_t rest = n - i;
    if ((rest == 3 && ci_equal(s + i, "inf", 3)) || (rest == 8 && ci_equal(s + i, "infinity", 8))) {
        *out = neg ? -INFINITY : INFINITY;
        return 0;
    }
    if (!sign && n == 3 && ci_equal(s, "nan", 3)) {
        *out = NAN;
        return 0;
    }
    bool hex = false;
    size_t p = i;
    if (p + 2 < n && s[p] == '0' && (s[p + 1] | 0x20) == 'x') {
        hex = true;
        p += 2;
    }
    bool underscores = false, sawdot = false, sawdigits = false;
    for (; p < n; p++) {
        char ch = s[p];
        if (ch == '_') {
            underscores = true;
        } else if (ch == '.') {
            if (sawdot)
                break;
            sawdot = true;
        } else if (is_digit(ch) || (hex && is_hex(ch))) {
            sawdigits = true;
        } else {
            break;
        }
    }
    if (!sawdigits)
        return -1;
    if (p < n && (s[p] | 0x20) == (hex ? 'p' : 'e')) {
        p++;
        if (p < n && (s[p] == '+' || s[p] == '-'))
            p++;
        if (p >= n || !is_digit(s[p]))
            return -1;
        for (; p < n && (is_digit(s[p]) || s[p] == '_'); p++)
            if (s[p] == '_')
                underscores = true;
    } else if (hex) {
        return -1; /* a hexadecimal float needs its p exponent */
    }
    if (p != n)
        return -1;
    if (underscores && !underscores_ok(s, n))
        return -1;
    /* the syntax is Go's; strtod (correctly rounded in the C locale) does
     * the conversion of the text without its underscores */
    char small[128];
    char *buf = n < sizeof small ? small : malloc(n + 1);
    if (!buf)
        return -1;
    size_t k = 0;
    for (size_t j = 0; j < n; j++)
        if (s[j] != '_')
            buf[k++] = s[j];
    buf[k] = '\0';
    errno = 0;
    char *end;
    double d = strtod(buf, &end);
    bool whole = *end == '\0';
    bool overflow = errno == ERANGE && isinf(d);
    if (buf != small)
        free(buf);
    if (!whole)
        return -1;
    if (overflow)
        return -2;
    *out = d;
    return 0;
}

int kv_parse_float(const char *s, size_t n, double *out)
{
    double d;
    if (parse_float_go(s, n, &d) < 0)
        return -1;
    *out = d;
    return 0;
}

/* ------------------------------------------------------------- numbers */

static bool is_nan(kvet_value v)
{
    return v.type == KVET_FLOAT && isnan(v.u.f);
}

/* min/max over the arguments, or over the items of a single list argument.
 * Absent items are skipped; numbers compare with numbers (int and float
 * mix) and strings with strings (bytewise); a NaN makes the result NaN. */
static int minmax(kv_call *c, const kvet_value *args, int nargs, kvet_value *out, int sign, const char *fn)
{
    const kvet_value *items = args;
    uint32_t n = (uint32_t)nargs;
    bool from_list = nargs == 1 && args[0].type == KVET_LIST;
    if (from_list) {
        items = args[0].u.l->items;
        n = args[0].u.l->n;
    }
    kvet_value best = kv_absent(), nan = kv_absent();
    bool have = false;
    for (uint32_t i = 0; i < n; i++) {
        kvet_value v = items[i];
        if (v.type == KVET_ABSENT)
            continue;
        if (!kv_is_number(v) && v.type != KVET_STRING) {
            if (from_list)
                return kv_bi_fail(c, "%s(): element %u must be a number or a string, got %s", fn, i + 1, tname(v));
            return kv_bi_type_error(c, fn, (int)i + 1, "a number or a string", v);
        }
        if (have && kv_is_number(best) != kv_is_number(v))
            return kv_bi_fail(c, "%s(): cannot compare %s and %s", fn, tname(best), tname(v));
        if (is_nan(v) && nan.type == KVET_ABSENT)
            nan = v;
        if (!have || kv_value_compare(v, best) * sign > 0)
            best = v;
        have = true;
    }
    *out = nan.type != KVET_ABSENT ? nan : best;
    return 0;
}

static int b_min(kv_call *c, const kvet_value *args, int n, kvet_value *out)
{
    return minmax(c, args, n, out, -1, "min");
}

static int b_max(kv_call *c, const kvet_value *args, int n, kvet_value *out)
{
    return minmax(c, args, n, out, 1, "max");
}

static int b_abs(kv_call *c, const kvet_value *args, int n, kvet_value *out)
{
    (void)n;
    ABSENT_GIVES_ABSENT(1);
    kvet_value v = args[0];
    if (v.type == KVET_INT) {
        if (v.u.i == INT64_MIN)
            return kv_bi_fail(c, "abs(): integer overflow in abs(%lld)", (long long)v.u.i);
        *out = kv_at(kv_int(v.u.i < 0 ? -v.u.i : v.u.i), v);
        return 0;
    }
    if (v.type == KVET_FLOAT) {
        *out = kv_at(kv_float(fabs(v.u.f)), v);
        return 0;
    }
    return kv_bi_type_error(c, "abs", 1, "a number", v);
}

/* A float made whole by f, as an int; fails outside the int64 range. */
static int to_int(kv_call *c, const char *fn, kvet_value v, double (*f)(double), kvet_value *out)
{
    if (!isfinite(v.u.f))
        return kv_bi_fail(c, "%s(): cannot convert %s to an integer", fn, kv_bi_show(c, v));
    double d = f(v.u.f);
    if (!(d >= -9223372036854775808.0 && d < 9223372036854775808.0))
        return kv_bi_fail(c, "%s(): %s is out of the int64 range", fn, kv_bi_show(c, v));
    *out = kv_at(kv_int((int64_t)d), v);
    return 0;
}

static int rounding(kv_call *c, const kvet_value *args, kvet_value *out, double (*f)(double), const char *fn)
{
    ABSENT_GIVES_ABSENT(1);
    if (args[0].type == KVET_INT) {
        *out = args[0];
        return 0;
    }
    if (args[0].type != KVET_FLOAT)
        return kv_bi_type_error(c, fn, 1, "a number", args[0]);
    return to_int(c, fn, args[0], f, out);
}

static int b_floor(kv_call *c, const kvet_value *a, int n, kvet_value *o) { (void)n; return rounding(c, a, o, floor, "floor"); }
static int b_ceil(kv_call *c, const kvet_value *a, int n, kvet_value *o) { (void)n; return rounding(c, a, o, ceil, "ceil"); }
/* round() of C and Go alike: halves go away from zero */
static int b_round(kv_call *c, const kvet_value *a, int n, kvet_value *o) { (void)n; return rounding(c, a, o, round, "round"); }

static int b_sum(kv_call *c, const kvet_value *args, int n, kvet_value *out)
{
    (void)n;
    ABSENT_GIVES_ABSENT(1);
    if (kv_bi_want(c, "sum", args, 0, KVET_LIST))
        return -1;
    int64_t si = 0;
    double sf = 0;
    bool fl = false;
    for (uint32_t i = 0; i < args[0].u.l->n; i++) {
        kvet_value v = args[0].u.l->items[i];
        if (v.type == KVET_ABSENT)
            continue;
        if (!kv_is_number(v))
            return kv_bi_fail(c, "sum(): element %u must be a number, got %s", i + 1, tname(v));
        if (v.type == KVET_FLOAT && !fl) {
            sf = (double)si;
            fl = true;
        }
        if (fl) {
            sf += v.type == KVET_INT ? (double)v.u.i : v.u.f;
        } else {
            int64_t r;
            if (__builtin_add_overflow(si, v.u.i, &r))
                return kv_bi_fail(c, "sum(): integer overflow in %lld + %lld", (long long)si, (long long)v.u.i);
            si = r;
        }
    }
    *out = kv_at(fl ? kv_float(sf) : kv_int(si), args[0]);
    return 0;
}

/* --------------------------------------------------------- conversions */

static int b_int(kv_call *c, const kvet_value *args, int n, kvet_value *out)
{
    (void)n;
    kvet_value v = args[0];
    switch (v.type) {
    case KVET_ABSENT:
    case KVET_INT:
        *out = v;
        return 0;
    case KVET_FLOAT:
        if (isfinite(v.u.f) && v.u.f != trunc(v.u.f))
            return kv_bi_fail(c, "int(): %s is not a whole number", kv_bi_show(c, v));
        return to_int(c, "int", v, trunc, out);
    case KVET_STRING: {
        int64_t i;
        int rc = parse_int_go(v.u.s->data, v.u.s->len, &i);
        if (rc == -2)
            return kv_bi_fail(c, "int(): %s is out of the int64 range", kv_bi_show(c, v));
        if (rc < 0)
            return kv_bi_fail(c, "int(): cannot convert %s to an integer", kv_bi_show(c, v));
        *out = kv_at(kv_int(i), v);
        return 0;
    }
    default:
        return kv_bi_type_error(c, "int", 1, "a number or a string", v);
    }
}

static int b_float(kv_call *c, const kvet_value *args, int n, kvet_value *out)
{
    (void)n;
    kvet_value v = args[0];
    switch (v.type) {
    case KVET_ABSENT:
    case KVET_FLOAT:
        *out = v;
        return 0;
    case KVET_INT:
        *out = kv_at(kv_float((double)v.u.i), v);
        return 0;
    case KVET_STRING: {
        double d;
        int rc = parse_float_go(v.u.s->data, v.u.s->len, &d);
        if (rc == -2)
            return kv_bi_fail(c, "float(): %s is out of the float64 range", kv_bi_show(c, v));
        if (rc < 0)
            return kv_bi_fail(c, "float(): cannot convert %s to a float", kv_bi_show(c, v));
        *out = kv_at(kv_float(d), v);
        return 0;
    }
    default:
        return kv_bi_type_error(c, "float", 1, "a number or a string", v);
    }
}

static int b_string(kv_call *c, const kvet_value *args, int n, kvet_value *out)
{
    (void)n;
    if (args[0].type == KVET_ABSENT || args[0].type == KVET_STRING) {
        *out = args[0];
        return 0;
    }
    kvet_limits scratch;
    const kvet_limits *lim = kv_bi_limits(c, &scratch);
    kv_buf b;
    kv_buf_init(&b);
    kv_value_render(&b, args[0], false);
    if (b.oom) {
        kv_buf_free(&b);
        return oom(c, "string");
    }
    if (b.len > lim->max_string_bytes) {
        kv_buf_free(&b);
        return kv_bi_fail(c, "string(): the text is longer than the limit of %llu bytes",
                          (unsigned long long)lim->max_string_bytes);
    }
    int rc = put_str(c, "string", b.data ? b.data : "", b.len, args[0], out);
    kv_buf_free(&b);
    return rc;
}

/* q(x): x in double quotes as Go's strconv.Quote writes a string (the
 * usual `"value"` of Kubernetes messages); any other value as its text
 * (string(x)), quoted. */
static int b_q(kv_call *c, const kvet_value *args, int n, kvet_value *out)
{
    (void)n;
    kvet_value v = args[0];
    if (v.type == KVET_ABSENT) {
        *out = v;
        return 0;
    }
    kvet_limits scratch;
    const kvet_limits *lim = kv_bi_limits(c, &scratch);
    kv_buf text, b;
    kv_buf_init(&text);
    kv_buf_init(&b);
    const unsigned char *s;
    size_t len;
    if (v.type == KVET_STRING) {
        s = (const unsigned char *)v.u.s->data;
        len = v.u.s->len;
    } else {
        kv_value_render(&text, v, false);
        s = (const unsigned char *)(text.data ? text.data : "");
        len = text.len;
    }
    int rc = 0;
    kv_buf_putc(&b, '"');
    for (size_t i = 0; i < len && rc == 0 && !b.oom;) {
        unsigned ch = s[i];
        size_t w = utf8_step(s + i, len - i);
        if (ch < 0x80) {
            static const char esc[] = {['\a'] = 'a', ['\b'] = 'b', ['\f'] = 'f', ['\n'] = 'n',
                                       ['\r'] = 'r', ['\t'] = 't', ['\v'] = 'v'};
            if (ch == '"' || ch == '\\')
                kv_buf_printf(&b, "\\%c", ch);
            else if (ch >= 0x20 && ch < 0x7f)
                kv_buf_putc(&b, (char)ch);
            else if (ch < sizeof esc && esc[ch])
                kv_buf_printf(&b, "\\%c", esc[ch]);
            else
                kv_buf_printf(&b, "\\x%02x", ch);
        } else if (w == 1) {
            kv_buf_printf(&b, "\\x%02x", ch); /* not UTF-8 */
        } else {
            uint32_t r = ch & (w == 2 ? 0x1F : w == 3 ? 0x0F : 0x07);
            for (size_t k = 1; k < w; k++)
                r = r << 6 | (s[i + k] & 0x3F);
            int print = kv_regex_is_print(c, r);
            if (print < 0)
                rc = -1;
            else if (print)
                kv_buf_put(&b, (const char *)s + i, w);
            else if (r < 0x10000)
                kv_buf_printf(&b, "\\u%04x", (unsigned)r);
            else
                kv_buf_printf(&b, "\\U%08x", (unsigned)r);
        }
        i += w;
    }
    kv_buf_putc(&b, '"');
    if (rc == 0 && (b.oom || text.oom))
        rc = oom(c, "q");
    else if (rc == 0 && b.len > lim->max_string_bytes)
        rc = kv_bi_fail(c, "q(): the text is longer than the limit of %llu bytes",
                        (unsigned long long)lim->max_string_bytes);
    if (rc == 0)
        rc = put_str(c, "q", b.data, b.len, v, out);
    kv_buf_free(&text);
    kv_buf_free(&b);
    return rc;
}

/* strconv.ParseBool */
static int parse_bool(const char *s, size_t n, bool *out)
{
    static const char *const t[] = {"1", "t", "T", "TRUE", "true", "True"};
    static const char *const f[] = {"0", "f", "F", "FALSE", "false", "False"};
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        if (strlen(t[i]) == n && !memcmp(t[i], s, n)) {
            *out = true;
            return 0;
        }
        if (strlen(f[i]) == n && !memcmp(f[i], s, n)) {
            *out = false;
            return 0;
        }
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
            return kv_bi_fail(c, "bool(): cannot convert %s to a bool", kv_bi_show(c, v));
        *out = kv_at(kv_bool(b), v);
        return 0;
    default:
        return kv_bi_type_error(c, "bool", 1, "a bool or a string", v);
    }
}

static int b_is_int(kv_call *c, const kvet_value *args, int n, kvet_value *out)
{
    (void)c;
    (void)n;
    kvet_value v = args[0];
    int64_t i;
    bool r = false;
    switch (v.type) {
    case KVET_ABSENT: *out = v; return 0;
    case KVET_INT: r = true; break;
    case KVET_FLOAT:
        r = v.u.f == trunc(v.u.f) && v.u.f >= -9223372036854775808.0 && v.u.f < 9223372036854775808.0;
        break;
    case KVET_STRING: r = parse_int_go(v.u.s->data, v.u.s->len, &i) == 0; break;
    default: break;
    }
    *out = kv_at(kv_bool(r), v);
    return 0;
}

static int b_is_float(kv_call *c, const kvet_value *args, int n, kvet_value *out)
{
    (void)c;
    (void)n;
    kvet_value v = args[0];
    double d;
    if (v.type == KVET_ABSENT) {
        *out = v;
        return 0;
    }
    bool r = kv_is_number(v) || (v.type == KVET_STRING && parse_float_go(v.u.s->data, v.u.s->len, &d) == 0);
    *out = kv_at(kv_bool(r), v);
    return 0;
}

static int b_type(kv_call *c, const kvet_value *args, int n, kvet_value *out)
{
    (void)n;
    if (c->type_names && args[0].type <= KVET_MAP) {
        *out = kv_at(kv_str_value(c->type_names[args[0].type]), args[0]);
        return 0;
    }
    const char *t = kv_type_name((kvet_type)args[0].type);
    return put_str(c, "type", t, strlen(t), args[0], out);
}

static int b_has(kv_call *c, const kvet_value *args, int n, kvet_value *out)
{
    (void)c;
    (void)n;
    *out = kv_at(kv_bool(args[0].type != KVET_ABSENT), args[0]);
    return 0;
}

static int b_len(kv_call *c, const kvet_value *args, int n, kvet_value *out)
{
    (void)n;
    kvet_value v = args[0];
    switch (v.type) {
    case KVET_ABSENT: *out = v; return 0;
    case KVET_STRING: *out = kv_at(kv_int(v.u.s->len), v); return 0;
    case KVET_LIST: *out = kv_at(kv_int(v.u.l->n), v); return 0;
    case KVET_MAP: *out = kv_at(kv_int(v.u.m->n), v); return 0;
    default: return kv_bi_type_error(c, "len", 1, "a string, list or map", v);
    }
}

/* ------------------------------------------------------------- strings */

static int two_strings(kv_call *c, const kvet_value *args, const char *fn)
{
    if (kv_bi_want(c, fn, args, 0, KVET_STRING) || kv_bi_want(c, fn, args, 1, KVET_STRING))
        return -1;
    return 0;
}

static int map_case(kv_call *c, const kvet_value *args, kvet_value *out, const char *fn, bool upper)
{
    ABSENT_GIVES_ABSENT(1);
    if (kv_bi_want(c, fn, args, 0, KVET_STRING))
        return -1;
    kvet_string *s = kv_string_new(c->arena, args[0].u.s->data, args[0].u.s->len);
    if (!s)
        return oom(c, fn);
    for (uint32_t i = 0; i < s->len; i++) {
        char ch = s->data[i];
        if (upper && ch >= 'a' && ch <= 'z')
            s->data[i] = (char)(ch - 'a' + 'A');
        else if (!upper && ch >= 'A' && ch <= 'Z')
            s->data[i] = (char)(ch - 'A' + 'a');
    }
    *out = kv_at(kv_str_value(s), args[0]);
    return 0;
}

static int b_lower(kv_call *c, const kvet_value *a, int n, kvet_value *o) { (void)n; return map_case(c, a, o, "lower", false); }
static int b_upper(kv_call *c, const kvet_value *a, int n, kvet_value *o) { (void)n; return map_case(c, a, o, "upper", true); }

static bool ascii_space(char ch)
{
    return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\v' || ch == '\f' || ch == '\r';
}

static int b_trim(kv_call *c, const kvet_value *args, int n, kvet_value *out)
{
    (void)n;
    ABSENT_GIVES_ABSENT(1);
    if (kv_bi_want(c, "trim", args, 0, KVET_STRING))
        return -1;
    const char *s = args[0].u.s->data;
    size_t b = 0, e = args[0].u.s->len;
    while (b < e && ascii_space(s[b]))
        b++;
    while (e > b && ascii_space(s[e - 1]))
        e--;
    if (b == 0 && e == args[0].u.s->len) {
        *out = args[0];
        return 0;
    }
    return put_str(c, "trim", s + b, e - b, args[0], out);
}

/* CRC-32 (IEEE 802.3, reflected polynomial 0xEDB88320), as Go's
 * crc32.ChecksumIEEE: Knative checksums ConfigMap `_example` values with it. */
/* loc(x): where a manifest wrote x, for messages that name another
 * resource ("HPA web (apps/hpa.yaml:3)"). */
static int b_loc(kv_call *c, const kvet_value *args, int nargs, kvet_value *out)
{
    (void)nargs;
    kvet_value v = args[0];
    const char *file = c->ctx && v.src && v.line ? kv_source_name(c->ctx, v.src) : NULL;
    if (!file || !*file) {
        *out = kv_absent();
        return 0;
    }
    char *s = kv_arena_alloc(c->arena, strlen(file) + 16);
    if (!s)
        return oom(c, "loc");
    int n = sprintf(s, "%s:%u", file, v.line);
    *out = kv_string_value(c->arena, s, (size_t)n);
    return 0;
}

static int b_crc32(kv_call *c, const kvet_value *args, int n, kvet_value *out)
{
    (void)n;
    ABSENT_GIVES_ABSENT(1);
    if (kv_bi_want(c, "crc32", args, 0, KVET_STRING))
        return -1;
    const unsigned char *p = (const unsigned char *)args[0].u.s->data;
    uint32_t crc = 0xFFFFFFFFu;
    for (uint32_t i = 0; i < args[0].u.s->len; i++) {
        crc ^= p[i];
        for (int k = 0; k < 8; k++)
            crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1u)));
    }
    *out = kv_at(kv_int((int64_t)(crc ^ 0xFFFFFFFFu)), args[0]);
    return 0;
}

/* Lowercase hexadecimal of a non-negative int, zero-padded to `digits`. */
static int b_hex(kv_call *c, const kvet_value *args, int n, kvet_value *out)
{
    ABSENT_GIVES_ABSENT(n);
    if (kv_bi_want(c, "hex", args, 0, KVET_INT) || (n == 2 && kv_bi_want(c, "hex", args, 1, KVET_INT)))
        return -1;
    if (args[0].u.i < 0)
        return kv_bi_fail(c, "hex(): %lld is negative", (long long)args[0].u.i);
    int64_t digits = n == 2 ? args[1].u.i : 0;
    if (digits < 0 || digits > 16)
        return kv_bi_fail(c, "hex(): digits must be between 0 and 16, got %lld", (long long)digits);
    char buf[32];
    int len = snprintf(buf, sizeof buf, "%0*llx", (int)digits, (unsigned long long)args[0].u.i);
    return put_str(c, "hex", buf, (size_t)len, args[0], out);
}

static bool has_prefix(const kvet_string *s, const kvet_string *p)
{
    return p->len <= s->len && !memcmp(s->data, p->data, p->len);
}

static bool has_suffix(const kvet_string *s, const kvet_string *p)
{
    return p->len <= s->len && !memcmp(s->data + s->len - p->len, p->data, p->len);
}

static int b_startswith(kv_call *c, const kvet_value *args, int n, kvet_value *out)
{
    (void)n;
    ABSENT_GIVES_ABSENT(2);
    if (two_strings(c, args, "startswith"))
        return -1;
    *out = kv_at(kv_bool(has_prefix(args[0].u.s, args[1].u.s)), args[0]);
    return 0;
}

static int b_endswith(kv_call *c, const kvet_value *args, int n, kvet_value *out)
{
    (void)n;
    ABSENT_GIVES_ABSENT(2);
    if (two_strings(c, args, "endswith"))
        return -1;
    *out = kv_at(kv_bool(has_suffix(args[0].u.s, args[1].u.s)), args[0]);
    return 0;
}

static int b_trim_prefix(kv_call *c, const kvet_value *args, int n, kvet_value *out)
{
    (void)n;
    ABSENT_GIVES_ABSENT(2);
    if (two_strings(c, args, "trim_prefix"))
        return -1;
    const kvet_string *s = args[0].u.s, *p = args[1].u.s;
    if (!has_prefix(s, p) || p->len == 0) {
        *out = args[0];
        return 0;
    }
    return put_str(c, "trim_prefix", s->data + p->len, s->len - p->len, args[0], out);
}

static int b_trim_suffix(kv_call *c, const kvet_value *args, int n, kvet_value *out)
{
    (void)n;
    ABSENT_GIVES_ABSENT(2);
    if (two_strings(c, args, "trim_suffix"))
        return -1;
    const kvet_string *s = args[0].u.s, *p = args[1].u.s;
    if (!has_suffix(s, p) || p->len == 0) {
        *out = args[0];
        return 0;
    }
    return put_str(c, "trim_suffix", s->data, s->len - p->len, args[0], out);
}

static const char *find_bytes(const char *h, size_t hn, const char *nd, size_t nn)
{
    if (nn == 0)
        return h;
    return memmem(h, hn, nd, nn);
}

static int b_contains(kv_call *c, const kvet_value *args, int n, kvet_value *out)
{
    (void)n;
    ABSENT_GIVES_ABSENT(2);
    kvet_value h = args[0], x = args[1];
    bool r = false;
    switch (h.type) {
    case KVET_STRING:
        if (kv_bi_want(c, "contains", args, 1, KVET_STRING))
            return -1;
        r = find_bytes(h.u.s->data, h.u.s->len, x.u.s->data, x.u.s->len) != NULL;
        break;
    case KVET_LIST:
        for (uint32_t i = 0; i < h.u.l->n && !r; i++)
            r = kv_value_equal(h.u.l->items[i], x);
        break;
    case KVET_MAP:
        if (kv_bi_want(c, "contains", args, 1, KVET_STRING))
            return -1;
        r = kv_map_find(h.u.m, x.u.s->data, x.u.s->len) != NULL;
        break;
    default:
        return kv_bi_type_error(c, "contains", 1, "a string, list or map", h);
    }
    *out = kv_at(kv_bool(r), h);
    return 0;
}

/* Go strings.Split: with an empty separator, one item per UTF-8 sequence
 * (a byte of invalid UTF-8 is an item of its own) and none for "". */
static int b_split(kv_call *c, const kvet_value *args, int n, kvet_value *out)
{
    (void)n;
    ABSENT_GIVES_ABSENT(2);
    if (two_strings(c, args, "split"))
        return -1;
    const kvet_string *s = args[0].u.s, *sep = args[1].u.s;
    const unsigned char *u = (const unsigned char *)s->data;
    uint32_t count = 0;
    if (sep->len == 0) {
        for (size_t i = 0; i < s->len; i += utf8_step(u + i, s->len - i))
            count++;
    } else {
        count = 1;
        const char *p = s->data, *end = s->data + s->len;
        while ((p = find_bytes(p, (size_t)(end - p), sep->data, sep->len)) != NULL) {
            count++;
            p += sep->len;
        }
    }
    kvet_list *l = kv_list_new(c->arena, count);
    if (!l)
        return oom(c, "split");
    if (sep->len == 0) {
        size_t i = 0;
        for (uint32_t k = 0; k < count; k++) {
            size_t w = utf8_step(u + i, s->len - i);
            l->items[k] = str_at(c, s->data + i, w, args[0]);
            i += w;
        }
    } else {
        const char *p = s->data, *end = s->data + s->len;
        for (uint32_t k = 0; k < count; k++) {
            const char *q = k + 1 < count ? find_bytes(p, (size_t)(end - p), sep->data, sep->len) : end;
            l->items[k] = str_at(c, p, (size_t)(q - p), args[0]);
            p = q + sep->len;
        }
    }
    for (uint32_t k = 0; k < count; k++)
        if (l->items[k].type == KVET_ABSENT)
            return oom(c, "split");
    *out = kv_at(kv_list_value(l), args[0]);
    return 0;
}

static int b_join(kv_call *c, const kvet_value *args, int n, kvet_value *out)
{
    (void)n;
    ABSENT_GIVES_ABSENT(2);
    if (kv_bi_want(c, "join", args, 0, KVET_LIST) || kv_bi_want(c, "join", args, 1, KVET_STRING))
        return -1;
    kvet_limits scratch;
    const kvet_limits *lim = kv_bi_limits(c, &scratch);
    kv_buf b;
    kv_buf_init(&b);
    bool first = true;
    for (uint32_t i = 0; i < args[0].u.l->n; i++) {
        kvet_value v = args[0].u.l->items[i];
        if (v.type == KVET_ABSENT)
            continue; /* string(absent) is absent: nothing to join */
        if (!first)
            kv_buf_put(&b, args[1].u.s->data, args[1].u.s->len);
        first = false;
        kv_value_render(&b, v, false);
        if (b.oom) {
            kv_buf_free(&b);
            return oom(c, "join");
        }
        if (b.len > lim->max_string_bytes) {
            kv_buf_free(&b);
            return kv_bi_fail(c, "join(): the result is longer than the limit of %llu bytes",
                              (unsigned long long)lim->max_string_bytes);
        }
    }
    int rc = put_str(c, "join", b.data ? b.data : "", b.len, args[0], out);
    kv_buf_free(&b);
    return rc;
}

/* Go strings.ReplaceAll: every non-overlapping old, left to right; an
 * empty old matches before each UTF-8 sequence and at the end. */
static int b_replace(kv_call *c, const kvet_value *args, int n, kvet_value *out)
{
    (void)n;
    ABSENT_GIVES_ABSENT(3);
    for (int i = 0; i < 3; i++)
        if (kv_bi_want(c, "replace", args, i, KVET_STRING))
            return -1;
    const kvet_string *s = args[0].u.s, *old = args[1].u.s, *nw = args[2].u.s;
    const unsigned char *u = (const unsigned char *)s->data;
    const char *end = s->data + s->len;
    uint64_t m = 0;
    if (old->len == 0) {
        for (size_t i = 0; i < s->len; i += utf8_step(u + i, s->len - i))
            m++;
        m++;
    } else {
        for (const char *p = s->data; (p = find_bytes(p, (size_t)(end - p), old->data, old->len)); p += old->len)
            m++;
    }
    if (m == 0 || (old->len == nw->len && !memcmp(old->data, nw->data, old->len))) {
        *out = args[0];
        return 0;
    }
    kvet_limits scratch;
    const kvet_limits *lim = kv_bi_limits(c, &scratch);
    /* m <= len + 1 and lengths < 2^32, so this cannot overflow 64 bits */
    uint64_t total = (uint64_t)s->len - m * old->len + m * nw->len;
    if (total > lim->max_string_bytes || total > UINT32_MAX - 1)
        return kv_bi_fail(c, "replace(): the result is longer than the limit of %llu bytes",
                          (unsigned long long)lim->max_string_bytes);
    kvet_string *r = kv_arena_alloc(c->arena, sizeof(kvet_string) + (size_t)total + 1);
    if (!r)
        return oom(c, "replace");
    char *w = r->data;
    size_t start = 0;
    for (uint64_t i = 0; i < m; i++) {
        size_t j = start;
        if (old->len == 0) {
            if (i > 0)
                j += utf8_step(u + start, s->len - start);
        } else {
            j = (size_t)(find_bytes(s->data + start, s->len - start, old->data, old->len) - s->data);
        }
        memcpy(w, s->data + start, j - start);
        w += j - start;
        memcpy(w, nw->data, nw->len);
        w += nw->len;
        start = j + old->len;
    }
    memcpy(w, s->data + start, s->len - start);
    w += s->len - start;
    *w = '\0';
    r->len = (uint32_t)total;
    *out = kv_at(kv_str_value(r), args[0]);
    return 0;
}

static int b_substr(kv_call *c, const kvet_value *args, int n, kvet_value *out)
{
    ABSENT_GIVES_ABSENT(n);
    if (kv_bi_want(c, "substr", args, 0, KVET_STRING) || kv_bi_want(c, "substr", args, 1, KVET_INT) ||
        (n == 3 && kv_bi_want(c, "substr", args, 2, KVET_INT)))
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
    return put_str(c, "substr", args[0].u.s->data + start, (size_t)cnt, args[0], out);
}

/* ---------------------------------------------------------- collections */

static int b_keys(kv_call *c, const kvet_value *args, int n, kvet_value *out)
{
    (void)n;
    ABSENT_GIVES_ABSENT(1);
    if (kv_bi_want(c, "keys", args, 0, KVET_MAP))
        return -1;
    const kvet_map *m = args[0].u.m;
    kvet_list *l = kv_list_new(c->arena, m->n);
    if (!l)
        return oom(c, "keys");
    /* a key has no position of its own: it takes its value's line */
    for (uint32_t i = 0; i < m->n; i++)
        l->items[i] = kv_at(kv_str_value(m->e[i].key), m->e[i].val);
    *out = kv_at(kv_list_value(l), args[0]);
    return 0;
}

static int b_values(kv_call *c, const kvet_value *args, int n, kvet_value *out)
{
    (void)n;
    ABSENT_GIVES_ABSENT(1);
    if (kv_bi_want(c, "values", args, 0, KVET_MAP))
        return -1;
    const kvet_map *m = args[0].u.m;
    kvet_list *l = kv_list_new(c->arena, m->n);
    if (!l)
        return oom(c, "values");
    for (uint32_t i = 0; i < m->n; i++)
        l->items[i] = m->e[i].val;
    *out = kv_at(kv_list_value(l), args[0]);
    return 0;
}

static int b_entries(kv_call *c, const kvet_value *args, int n, kvet_value *out)
{
    (void)n;
    ABSENT_GIVES_ABSENT(1);
    if (kv_bi_want(c, "entries", args, 0, KVET_MAP))
        return -1;
    const kvet_map *src = args[0].u.m;
    kvet_list *l = kv_list_new(c->arena, src->n);
    kvet_string *kk = kv_string_cstr(c->arena, "key"), *vk = kv_string_cstr(c->arena, "value");
    if (!l || !kk || !vk)
        return oom(c, "entries");
    for (uint32_t i = 0; i < src->n; i++) {
        kvet_map *m = kv_map_new(c->arena, 2);
        if (!m)
            return oom(c, "entries");
        kvet_value val = src->e[i].val;
        m->e[0].key = kk;
        m->e[0].val = kv_at(kv_str_value(src->e[i].key), val);
        m->e[1].key = vk;
        m->e[1].val = val;
        l->items[i] = kv_at(kv_map_value(m), val);
    }
    *out = kv_at(kv_list_value(l), args[0]);
    return 0;
}

static int b_get(kv_call *c, const kvet_value *args, int n, kvet_value *out)
{
    kvet_value m = args[0], k = args[1];
    if (k.type == KVET_ABSENT) {
        *out = k;
        return 0;
    }
    if (m.type != KVET_MAP && m.type != KVET_ABSENT)
        return kv_bi_type_error(c, "get", 1, "a map", m);
    if (kv_bi_want(c, "get", args, 1, KVET_STRING))
        return -1;
    *out = kvet_map_get(m, k.u.s->data, k.u.s->len);
    if (out->type == KVET_ABSENT && n == 3)
        *out = args[2];
    return 0;
}

/* A hash consistent with kv_value_equal: equal values hash alike (1 and
 * 1.0 included; maps regardless of entry order). */
static uint64_t hash_value(kvet_value v, int depth)
{
    uint64_t h = 0xcbf29ce484222325ull ^ (uint64_t)(kv_is_number(v) ? KVET_INT : v.type);
    if (depth > KV_HASH_DEPTH)
        return h;
    switch (v.type) {
    case KVET_BOOL:
        return kv_hash_bytes(h, &v.u.b, sizeof v.u.b);
    case KVET_INT:
    case KVET_FLOAT: {
        /* numbers are equal when their doubles are */
        double d = v.type == KVET_INT ? (double)v.u.i : v.u.f;
        if (d == 0)
            d = 0; /* -0.0 == 0.0 */
        return kv_hash_bytes(h, &d, sizeof d);
    }
    case KVET_STRING:
        return kv_hash_bytes(h, v.u.s->data, v.u.s->len);
    case KVET_LIST:
        for (uint32_t i = 0; i < v.u.l->n; i++) {
            uint64_t e = hash_value(v.u.l->items[i], depth + 1);
            h = kv_hash_bytes(h, &e, sizeof e);
        }
        return h;
    case KVET_MAP: {
        uint64_t sum = 0;
        for (uint32_t i = 0; i < v.u.m->n; i++) {
            const kvet_string *k = v.u.m->e[i].key;
            uint64_t e = kv_hash_bytes(0xcbf29ce484222325ull, k->data, k->len);
            e ^= hash_value(v.u.m->e[i].val, depth + 1) * 0x9e3779b97f4a7c15ull;
            sum += e;
        }
        return kv_hash_bytes(h, &sum, sizeof sum);
    }
    default:
        return h;
    }
}

/* An open-addressing table of item indices (UINT32_MAX = empty slot). */
typedef struct index_table {
    uint32_t *slot;
    uint64_t *hash;
    size_t mask;
} index_table;

static bool table_init(kv_call *c, index_table *t, uint32_t n)
{
    size_t size = 16;
    while (size < (size_t)n * 2)
        size *= 2;
    t->slot = kv_arena_alloc(c->arena, size * sizeof *t->slot);
    t->hash = kv_arena_alloc(c->arena, size * sizeof *t->hash);
    if (!t->slot || !t->hash)
        return false;
    memset(t->slot, 0xFF, size * sizeof *t->slot);
    t->mask = size - 1;
    return true;
}

static int b_merge(kv_call *c, const kvet_value *args, int n, kvet_value *out)
{
    uint64_t total = 0;
    int first = -1;
    for (int i = 0; i < n; i++) {
        if (args[i].type == KVET_ABSENT)
            continue;
        if (kv_bi_want(c, "merge", args, i, KVET_MAP))
            return -1;
        total += args[i].u.m->n;
        if (first < 0)
            first = i;
    }
    if (first < 0) {
        *out = args[0];
        return 0;
    }
    if (total > UINT32_MAX / 4)
        return kv_bi_fail(c, "merge(): too many entries");
    kvet_map *m = kv_map_new(c->arena, (uint32_t)total);
    index_table t;
    if (!m || !table_init(c, &t, (uint32_t)total))
        return oom(c, "merge");
    uint32_t k = 0;
    for (int i = 0; i < n; i++) {
        if (args[i].type == KVET_ABSENT)
            continue;
        const kvet_map *src = args[i].u.m;
        for (uint32_t e = 0; e < src->n; e++) {
            const kvet_map_entry *en = &src->e[e];
            uint64_t h = kv_hash_bytes(0xcbf29ce484222325ull, en->key->data, en->key->len);
            size_t s = (size_t)h & t.mask;
            while (t.slot[s] != UINT32_MAX) {
                const kvet_string *have = m->e[t.slot[s]].key;
                if (t.hash[s] == h && have->len == en->key->len && !memcmp(have->data, en->key->data, have->len))
                    break;
                s = (s + 1) & t.mask;
            }
            if (t.slot[s] == UINT32_MAX) {
                /* a new key keeps the place of its first appearance */
                t.slot[s] = k;
                t.hash[s] = h;
                m->e[k++] = *en;
            } else {
                m->e[t.slot[s]].val = en->val; /* later maps win */
            }
        }
    }
    m->n = k;
    *out = kv_at(kv_map_value(m), args[first]);
    return 0;
}

/* Stable bottom-up merge sort by kv_value_compare. */
static bool sort_values(kv_call *c, kvet_value *items, uint32_t n)
{
    if (n < 2)
        return true;
    kvet_value *tmp = kv_arena_alloc(c->arena, (size_t)n * sizeof *tmp);
    if (!tmp)
        return false;
    kvet_value *src = items, *dst = tmp;
    for (uint32_t width = 1; width < n; width = width > n / 2 ? n : width * 2) {
        for (uint32_t lo = 0; lo < n; lo += 2 * width) {
            uint32_t mid = lo + width < n ? lo + width : n;
            uint32_t hi = mid + width < n ? mid + width : n;
            uint32_t a = lo, b = mid, k = lo;
            while (a < mid && b < hi)
                dst[k++] = kv_value_compare(src[b], src[a]) < 0 ? src[b++] : src[a++];
            while (a < mid)
                dst[k++] = src[a++];
            while (b < hi)
                dst[k++] = src[b++];
        }
        kvet_value *t = src;
        src = dst;
        dst = t;
    }
    if (src != items)
        memcpy(items, src, (size_t)n * sizeof *items);
    return true;
}

static int b_sort(kv_call *c, const kvet_value *args, int n, kvet_value *out)
{
    (void)n;
    ABSENT_GIVES_ABSENT(1);
    if (kv_bi_want(c, "sort", args, 0, KVET_LIST))
        return -1;
    uint32_t len = args[0].u.l->n;
    kvet_list *l = kv_list_new(c->arena, len);
    if (!l)
        return oom(c, "sort");
    if (len)
        memcpy(l->items, args[0].u.l->items, (size_t)len * sizeof(kvet_value));
    if (!sort_values(c, l->items, len))
        return oom(c, "sort");
    *out = kv_at(kv_list_value(l), args[0]);
    return 0;
}

static int b_unique(kv_call *c, const kvet_value *args, int n, kvet_value *out)
{
    (void)n;
    ABSENT_GIVES_ABSENT(1);
    if (kv_bi_want(c, "unique", args, 0, KVET_LIST))
        return -1;
    const kvet_list *src = args[0].u.l;
    kvet_list *l = kv_list_new(c->arena, src->n);
    index_table t;
    if (!l || !table_init(c, &t, src->n))
        return oom(c, "unique");
    uint32_t k = 0;
    for (uint32_t i = 0; i < src->n; i++) {
        kvet_value v = src->items[i];
        uint64_t h = hash_value(v, 0);
        size_t s = (size_t)h & t.mask;
        bool seen = false;
        while (t.slot[s] != UINT32_MAX && !seen) {
            seen = t.hash[s] == h && kv_value_equal(l->items[t.slot[s]], v);
            s = (s + 1) & t.mask;
        }
        if (seen)
            continue;
        t.slot[s] = k;
        t.hash[s] = h;
        l->items[k++] = v;
    }
    l->n = k;
    *out = kv_at(kv_list_value(l), args[0]);
    return 0;
}

static int b_first(kv_call *c, const kvet_value *args, int n, kvet_value *out)
{
    (void)n;
    ABSENT_GIVES_ABSENT(1);
    if (kv_bi_want(c, "first", args, 0, KVET_LIST))
        return -1;
    const kvet_list *l = args[0].u.l;
    *out = l->n ? l->items[0] : kv_at(kv_absent(), args[0]);
    return 0;
}

/* first_key(m, keys): Knative's kmap.KeyPriority and similar aliasing
 * read the first of several spellings a map has; find(keys, k =>
 * has(m[k])) without a call per key. */
static int b_first_key(kv_call *c, const kvet_value *args, int n, kvet_value *out)
{
    (void)n;
    kvet_value m = args[0], keys = args[1];
    if (keys.type == KVET_ABSENT) {
        *out = keys;
        return 0;
    }
    if (kv_bi_want(c, "first_key", args, 1, KVET_LIST))
        return -1;
    for (uint32_t i = 0; i < keys.u.l->n; i++) {
        kvet_value k = keys.u.l->items[i];
        if (k.type != KVET_STRING)
            return kv_bi_type_error(c, "first_key", 2, "a list of strings", k);
        /* a map literal may hold an absent value: has() is false for it */
        const kvet_value *v = m.type == KVET_MAP ? kv_map_find(m.u.m, k.u.s->data, k.u.s->len) : NULL;
        if (v && v->type != KVET_ABSENT) {
            *out = k;
            return 0;
        }
    }
    *out = kv_at(kv_absent(), keys);
    return 0;
}

static int b_last(kv_call *c, const kvet_value *args, int n, kvet_value *out)
{
    (void)n;
    ABSENT_GIVES_ABSENT(1);
    if (kv_bi_want(c, "last", args, 0, KVET_LIST))
        return -1;
    const kvet_list *l = args[0].u.l;
    *out = l->n ? l->items[l->n - 1] : kv_at(kv_absent(), args[0]);
    return 0;
}

static int b_flatten(kv_call *c, const kvet_value *args, int n, kvet_value *out)
{
    (void)n;
    ABSENT_GIVES_ABSENT(1);
    if (kv_bi_want(c, "flatten", args, 0, KVET_LIST))
        return -1;
    const kvet_list *src = args[0].u.l;
    uint64_t total = 0;
    for (uint32_t i = 0; i < src->n; i++)
        total += src->items[i].type == KVET_LIST ? src->items[i].u.l->n : 1;
    if (total > UINT32_MAX / 4)
        return kv_bi_fail(c, "flatten(): too many items");
    kvet_list *l = kv_list_new(c->arena, (uint32_t)total);
    if (!l)
        return oom(c, "flatten");
    uint32_t k = 0;
    for (uint32_t i = 0; i < src->n; i++) {
        kvet_value v = src->items[i];
        if (v.type == KVET_LIST) {
            if (v.u.l->n)
                memcpy(l->items + k, v.u.l->items, (size_t)v.u.l->n * sizeof(kvet_value));
            k += v.u.l->n;
        } else {
            l->items[k++] = v;
        }
    }
    *out = kv_at(kv_list_value(l), args[0]);
    return 0;
}

static int b_range(kv_call *c, const kvet_value *args, int n, kvet_value *out)
{
    (void)n;
    ABSENT_GIVES_ABSENT(1);
    if (kv_bi_want(c, "range", args, 0, KVET_INT))
        return -1;
    int64_t cnt = args[0].u.i < 0 ? 0 : args[0].u.i;
    if (cnt > KV_RANGE_MAX)
        return kv_bi_fail(c, "range(): %lld is more than the limit of %d items", (long long)cnt, KV_RANGE_MAX);
    kvet_list *l = kv_list_new(c->arena, (uint32_t)cnt);
    if (!l)
        return oom(c, "range");
    for (int64_t i = 0; i < cnt; i++)
        l->items[i] = kv_int(i);
    *out = kv_at(kv_list_value(l), args[0]);
    return 0;
}

/* ------------------------------------------------------------ versions */

#define KV_VERSION_PARTS 8

typedef struct version {
    const char *num[KV_VERSION_PARTS]; /* digits without leading zeros */
    size_t numlen[KV_VERSION_PARTS];
    int nparts;
    const char *pre;                   /* pre-release, without '-' */
    size_t prelen;
} version;

/* An identifier: one or more of [0-9A-Za-z-]. */
static size_t ident_len(const char *p, const char *end)
{
    const char *q = p;
    while (q < end && (is_digit(*q) || ((*q | 0x20) >= 'a' && (*q | 0x20) <= 'z') || *q == '-'))
        q++;
    return (size_t)(q - p);
}

/* Dot-separated identifiers up to end; returns the end of the run or NULL
 * when a part is empty. */
static const char *ident_run(const char *p, const char *end)
{
    for (;;) {
        size_t n = ident_len(p, end);
        if (n == 0)
            return NULL;
        p += n;
        if (p < end && *p == '.') {
            p++;
            continue;
        }
        return p;
    }
}

/* [v|V]N(.N)*[-PRERELEASE][+BUILD]; 1 to 8 numeric parts. */
static int parse_version(const kvet_string *s, version *v)
{
    const char *p = s->data, *end = s->data + s->len;
    memset(v, 0, sizeof *v);
    if (p < end && (*p == 'v' || *p == 'V'))
        p++;
    for (;;) {
        if (p == end || !is_digit(*p) || v->nparts == KV_VERSION_PARTS)
            return -1;
        while (p + 1 < end && *p == '0' && is_digit(p[1]))
            p++;
        const char *q = p;
        while (q < end && is_digit(*q))
            q++;
        v->num[v->nparts] = p;
        v->numlen[v->nparts++] = (size_t)(q - p);
        p = q;
        if (p < end && *p == '.') {
            p++;
            continue;
        }
        break;
    }
    if (p < end && *p == '-') {
        const char *q = ident_run(p + 1, end);
        if (!q)
            return -1;
        v->pre = p + 1;
        v->prelen = (size_t)(q - p - 1);
        p = q;
    }
    if (p < end && *p == '+') {
        const char *q = ident_run(p + 1, end);
        if (!q)
            return -1;
        p = q; /* build metadata does not take part in ordering */
    }
    return p == end ? 0 : -1;
}

/* Digit strings without leading zeros, compared as numbers. */
static int cmp_digits(const char *a, size_t an, const char *b, size_t bn)
{
    if (an != bn)
        return an < bn ? -1 : 1;
    int c = memcmp(a, b, an);
    return (c > 0) - (c < 0);
}

static bool all_digits(const char *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!is_digit(p[i]))
            return false;
    return n > 0;
}

/* SemVer pre-release precedence: identifier by identifier, numeric ones
 * numerically and below alphanumeric ones, which compare in ASCII order;
 * a shorter list of equal identifiers sorts first. */
static int cmp_prerelease(const char *a, size_t an, const char *b, size_t bn)
{
    const char *ae = a + an, *be = b + bn;
    for (;;) {
        if (a >= ae || b >= be)
            return (a < ae) - (b < be);
        size_t la = 0, lb = 0;
        while (a + la < ae && a[la] != '.')
            la++;
        while (b + lb < be && b[lb] != '.')
            lb++;
        bool na = all_digits(a, la), nb = all_digits(b, lb);
        int r;
        if (na && nb) {
            const char *x = a, *y = b;
            size_t lx = la, ly = lb;
            while (lx > 1 && *x == '0') { x++; lx--; }
            while (ly > 1 && *y == '0') { y++; ly--; }
            r = cmp_digits(x, lx, y, ly);
        } else if (na != nb) {
            r = na ? -1 : 1;
        } else {
            size_t m = la < lb ? la : lb;
            int cm = memcmp(a, b, m);
            r = cm ? (cm > 0) - (cm < 0) : (la > lb) - (la < lb);
        }
        if (r)
            return r;
        a += la + 1;
        b += lb + 1;
    }
}

static int b_semver_cmp(kv_call *c, const kvet_value *args, int n, kvet_value *out)
{
    (void)n;
    ABSENT_GIVES_ABSENT(2);
    if (two_strings(c, args, "semver_cmp"))
        return -1;
    version a, b;
    if (parse_version(args[0].u.s, &a) < 0)
        return kv_bi_fail(c, "semver_cmp(): %s is not a version", kv_bi_show(c, args[0]));
    if (parse_version(args[1].u.s, &b) < 0)
        return kv_bi_fail(c, "semver_cmp(): %s is not a version", kv_bi_show(c, args[1]));
    int r = 0;
    for (int i = 0; i < KV_VERSION_PARTS && !r; i++) {
        /* a missing part counts as 0 */
        const char *x = i < a.nparts ? a.num[i] : "0", *y = i < b.nparts ? b.num[i] : "0";
        size_t lx = i < a.nparts ? a.numlen[i] : 1, ly = i < b.nparts ? b.numlen[i] : 1;
        r = cmp_digits(x, lx, y, ly);
    }
    if (!r && (a.pre || b.pre)) {
        if (!a.pre || !b.pre)
            r = a.pre ? -1 : 1; /* a pre-release sorts before its release */
        else
            r = cmp_prerelease(a.pre, a.prelen, b.pre, b.prelen);
    }
    *out = kv_at(kv_int(r), args[0]);
    return 0;
}

/* -------------------------------------------------------------- table */

/*
 * Sorted by name (kv_builtin_lookup searches it by bisection).  The index
 * of an entry is stored in compiled packs, so adding a builtin changes the
 * compiled form: rebuild packs after changing this table.
 *
 * Unless an entry says otherwise: an absent argument gives absent; a
 * result carries the position of the first argument; a wrong argument type
 * is an error "f(): argument N must be ..., got TYPE".
 */
const kv_builtin kv_builtins[] = {
    /* int -> int (abs(-9223372036854775808) is an overflow error); float -> float */
    {"abs", 1, 1, b_abs, "abs(n) -> number of the same type"},
    /* a bool as is; a string in Go strconv.ParseBool syntax; else an error */
    {"bool", 1, 1, b_bool, "bool(x) -> bool; x a bool or \"1 t T TRUE true True 0 f F FALSE false False\""},
    /* PCRE2, unanchored; groups in order, group 0 first, an unset group is
     * absent; absent when there is no match (regex.c) */
    {"capture", 2, 2, kv_bi_capture, "capture(s, regex) -> [whole match, group 1, ...] or absent when no match"},
    /* int as is; float rounded up to an int (error outside int64) */
    {"ceil", 1, 1, b_ceil, "ceil(n) -> int (error outside the int64 range)"},
    /* string: substring test ("" is in every string); list: an element
     * equal to x (1 == 1.0); map: a key x */
    {"contains", 2, 2, b_contains, "contains(string|list|map, x) -> bool: substring, element or key"},
    {"crc32", 1, 1, b_crc32, "crc32(s) -> int: the IEEE CRC-32 of the bytes of s (Go crc32.ChecksumIEEE)"},
    /* Go time.ParseDuration, in seconds: an int when whole (builtin_k8s.c) */
    {"duration", 1, 1, kv_bi_duration, "duration(s) -> seconds (int when whole, else float); s a Go duration such as \"1h30m\""},
    /* Go time.ParseDuration, in nanoseconds (builtin_k8s.c) */
    {"duration_ns", 1, 1, kv_bi_duration_ns, "duration_ns(s) -> int nanoseconds; s a Go duration"},
    /* bytewise; "" ends every string */
    {"endswith", 2, 2, b_endswith, "endswith(s, suffix) -> bool"},
    /* in document order; each map and key takes the position of its value */
    {"entries", 1, 1, b_entries, "entries(map) -> [{\"key\": k, \"value\": v}, ...] in document order"},
    /* the first item (its own position), absent for [] */
    {"first", 1, 1, b_first, "first(list) -> the first item, or absent when empty"},
    /* the item itself (its own position); absent when m is not a map or has
     * none (a key whose value is absent is not had) */
    {"first_key", 2, 2, b_first_key, "first_key(map, keys) -> the first of the strings keys that map has, or absent"},
    /* one level: list items are spliced in, anything else is kept as is */
    {"flatten", 1, 1, b_flatten, "flatten(list) -> list with one level of nested lists spliced in"},
    /* a float as is; an int converted; a string in Go strconv.ParseFloat
     * syntax (decimal, hex "0x1p-2", "Inf", "NaN", '_' between digits);
     * out of the float64 range is an error */
    {"float", 1, 1, b_float, "float(x) -> float; x a number or a Go ParseFloat string"},
    {"floor", 1, 1, b_floor, "floor(n) -> int (error outside the int64 range)"},
    /* absent map: default (or absent); absent key: absent; a missing key
     * or one whose value is absent: default (or absent) */
    {"get", 2, 3, b_get, "get(map, key[, default]) -> the value at key, else default (or absent); any key text"},
    /* takes absent: false only for absent (null is true) */
    {"has", 1, 1, b_has, "has(x) -> false when x is absent, else true"},
    {"hex", 1, 2, b_hex, "hex(n[, digits]) -> string: lowercase hexadecimal of n >= 0, zero-padded to digits"},
    /* int as is; whole float in range; string in Go strconv.ParseInt(s, 10,
     * 64) syntax (sign, decimal digits, nothing else); anything else fails */
    {"int", 1, 1, b_int, "int(x) -> int; x an int, a whole float or a Go ParseInt(s, 10, 64) string"},
    /* Kubernetes intstr.GetScaledValueFromIntOrPercent (builtin_k8s.c) */
    {"int_or_percent", 3, 3, kv_bi_int_or_percent, "int_or_percent(x, total, round_up) -> int; x an int or \"N%\" of total"},
    /* whether float(x) would succeed; absent gives absent */
    {"is_float", 1, 1, b_is_float, "is_float(x) -> bool: a number, or a string float() accepts"},
    /* whether int(x) would succeed; absent gives absent */
    {"is_int", 1, 1, b_is_int, "is_int(x) -> bool: an int, a whole float in range, or a string int() accepts"},
    /* whether percent(x) accepts the string x; numbers give false (builtin_k8s.c) */
    {"is_percent", 1, 1, kv_bi_is_percent, "is_percent(x) -> bool: a string such as \"80%\""},
    /* items rendered as string() does; absent items are left out */
    {"join", 2, 2, b_join, "join(list, sep) -> string of the items as string() renders them"},
    {"json", 1, 1, kv_bi_json, "json(s) -> the value of the JSON text s, decoded as Go's encoding/json does"},
    {"json_error", 1, 1, kv_bi_json_error, "json_error(s) -> why json(s) fails (a string), or absent when s is JSON"},
    /* document order; each key takes the position of its value */
    {"keys", 1, 1, b_keys, "keys(map) -> list of keys in document order"},
    /* the last item (its own position), absent for [] */
    {"last", 1, 1, b_last, "last(list) -> the last item, or absent when empty"},
    /* bytes of a string, items of a list or map; absent gives absent */
    {"len", 1, 1, b_len, "len(string|list|map) -> int: bytes or items"},
    /* ASCII letters only; other bytes unchanged */
    {"loc", 1, 1, b_loc, "loc(x) -> string: where x is written, \"FILE:LINE\" (absent for a value no manifest wrote)"},
    {"lower", 1, 1, b_lower, "lower(s) -> string with A-Z lowered"},
    /* PCRE2 UTF search anywhere in s, under the regex limits (regex.c) */
    {"match", 2, 2, kv_bi_match, "match(s, regex) -> bool: the regex matches somewhere in s ($ only at the end, as in Go)"},
    /* as min */
    {"max", 1, -1, b_max, "max(a, b, ...) or max(list) -> largest number or string; absent skipped; NaN wins"},
    /* absent arguments skipped; later maps win; a key keeps the place of
     * its first appearance; all absent gives absent */
    {"merge", 1, -1, b_merge, "merge(map, map, ...) -> map; later maps win; absent arguments skipped"},
    /* numbers (int and float mix) or strings (bytewise), not both; absent
     * arguments or items are skipped, all absent gives absent; any NaN
     * makes the result NaN; the result is the winning argument itself */
    {"min", 1, -1, b_min, "min(a, b, ...) or min(list) -> smallest number or string; absent skipped; NaN wins"},
    /* "80%" -> 80, "12.5%" -> 12.5 (Go ParseFloat text before %); a number as is (builtin_k8s.c) */
    {"percent", 1, 1, kv_bi_percent, "percent(x) -> number; x a number or a string such as \"80%\""},
    /* Kubernetes resource.Quantity, rounded up to 1n and (binary suffixes)
     * capped at 2^63-1 as Kubernetes does; a number as is (builtin_k8s.c) */
    /* strconv.Quote for strings; other values quoted as string() renders them */
    {"q", 1, 1, b_q, "q(x) -> string: x in double quotes with Go's escapes, as strconv.Quote (%q) writes it"},
    {"quantity", 1, 1, kv_bi_quantity, "quantity(x) -> number (int when whole); x a number or a Kubernetes quantity such as \"500m\""},
    /* 0 .. n-1; n < 0 gives []; at most 1000000 items */
    {"range", 1, 1, b_range, "range(n) -> [0, 1, ..., n-1] (at most 1000000 items)"},
    /* Go strings.ReplaceAll semantics (an empty old matches between characters) */
    {"replace", 3, 3, b_replace, "replace(s, old, new) -> string with every old replaced"},
    /* halves away from zero, as Go math.Round */
    {"round", 1, 1, b_round, "round(n) -> int, halves away from zero (error outside the int64 range)"},
    /* [v]N(.N)*[-pre][+build]; missing parts are 0; SemVer pre-release order */
    {"semver_cmp", 2, 2, b_semver_cmp, "semver_cmp(a, b) -> -1, 0 or 1; versions such as \"v1.23.0\", \"0.15.1\", \"1.0.0-rc1\""},
    /* stable, by the total order of values (numbers < strings < lists < maps) */
    {"sort", 1, 1, b_sort, "sort(list) -> list in ascending order (stable)"},
    /* Go strings.Split semantics */
    {"split", 2, 2, b_split, "split(s, sep) -> list of strings (\"\" gives [\"\"])"},
    /* bytewise; every string starts with "" */
    {"startswith", 2, 2, b_startswith, "startswith(s, prefix) -> bool"},
    /* strings as is; numbers shortest round-trip ("1.5", "2.0", "1e+21");
     * bools true/false; null "null"; lists and maps as JSON */
    {"string", 1, 1, b_string, "string(x) -> string; numbers shortest round-trip, lists and maps as JSON"},
    /* bytes; start and len clamped to the string */
    {"substr", 2, 3, b_substr, "substr(s, start[, len]) -> string of bytes, clamped to s"},
    /* ints exactly (overflow is an error) until a float appears; absent items skipped */
    {"sum", 1, 1, b_sum, "sum(list) -> number; absent items skipped; integer overflow is an error"},
    /* ASCII whitespace at both ends */
    {"trim", 1, 1, b_trim, "trim(s) -> string without leading and trailing ASCII whitespace"},
    /* once, bytewise; s unchanged when it does not start with prefix */
    {"trim_prefix", 2, 2, b_trim_prefix, "trim_prefix(s, prefix) -> s without the prefix when it starts with it"},
    /* once, bytewise; s unchanged when it does not end with suffix */
    {"trim_suffix", 2, 2, b_trim_suffix, "trim_suffix(s, suffix) -> s without the suffix when it ends with it"},
    /* takes absent: "absent" */
    {"type", 1, 1, b_type, "type(x) -> \"absent\", \"null\", \"bool\", \"int\", \"float\", \"string\", \"list\" or \"map\""},
    /* first occurrences, in order; equality as ==  (1 == 1.0) */
    {"unique", 1, 1, b_unique, "unique(list) -> list without repeated items, first occurrences kept"},
    /* ASCII letters only; other bytes unchanged */
    {"upper", 1, 1, b_upper, "upper(s) -> string with a-z raised"},
    /* document order; each value keeps its own position */
    {"values", 1, 1, b_values, "values(map) -> list of values in document order"},
    /* YAML text inside a manifest, read by the manifest loader (builtin_json.c) */
    {"yaml", 1, 1, kv_bi_yaml, "yaml(s) -> the value of the first YAML document in s, read as manifests are"},
    {"yaml_error", 1, 1, kv_bi_yaml_error, "yaml_error(s) -> why yaml(s) fails (a string), or absent when s reads"},
};

size_t kv_builtin_count(void)
{
    return sizeof kv_builtins / sizeof kv_builtins[0];
}

const kv_builtin *kv_builtin_at(size_t i)
{
    return i < kv_builtin_count() ? &kv_builtins[i] : NULL;
}

int kv_builtin_lookup(const char *name)
{
    size_t lo = 0, hi = kv_builtin_count();
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(name, kv_builtins[mid].name);
        if (c == 0)
            return (int)mid;
        if (c < 0)
            hi = mid;
        else
            lo = mid + 1;
    }
    return -1;
}
