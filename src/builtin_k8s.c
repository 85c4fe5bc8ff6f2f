/*
 * builtin_k8s.c - Kubernetes and Go value formats: resource quantities,
 * Go durations, percentages and IntOrString scaling.
 *
 * Each parser follows the syntax and the arithmetic of the Go code that
 * reads the same text in a cluster (apimachinery resource.ParseQuantity,
 * time.ParseDuration, intstr.GetScaledValueFromIntOrPercent), so a rule
 * sees the value the cluster would see, or an error where it would fail.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "builtin_impl.h"

static bool is_digit(char ch)
{
    return ch >= '0' && ch <= '9';
}

/* ----------------------------------------------------------- quantity */

/*
 * <quantity> ::= [+-] <number> <suffix>, where <number> is digits with an
 * optional '.' and fraction (either side may be empty) and <suffix> is a
 * decimal SI suffix (n u m "" k M G T P E), a binary one (Ki Mi Gi Ti Pi
 * Ei) or an exponent (e or E and a Go ParseInt integer, wrapped to 32
 * bits).  Kubernetes also accepts a sign or a dot with no digits ("-",
 * ".", "Ki" are 0) unless the value takes its exact, slower path; that
 * quirk is kept, as is its rounding: the value is rounded away from zero
 * to a multiple of 1e-9, and a binary-suffixed value is capped at 2^63-1
 * in magnitude.  Decimal values are not capped.
 */
typedef struct qparts {
    bool neg;
    const char *num;     /* integer digits, leading zeros stripped; "0" when none */
    size_t numlen;
    const char *den;     /* fraction digits as written */
    size_t denlen;
    const char *suf;
    size_t suflen;
    bool value_digits;   /* the number part holds a digit */
} qparts;

static bool has_digit(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (is_digit(s[i]))
            return true;
    return false;
}

/* The scanner of Kubernetes' parseQuantityString; 0 or -1. */
static int scan_quantity(const char *s, size_t end, qparts *q)
{
    static const char letters[] = "eEinumkKMGTP";
    memset(q, 0, sizeof *q);
    q->num = "0";
    q->numlen = 1;
    q->den = q->suf = "";
    size_t pos = 0;
    if (pos < end && (s[0] == '-' || s[0] == '+')) {
        q->neg = s[0] == '-';
        pos++;
    }
    while (pos < end && s[pos] == '0')
        pos++;
    if (pos >= end) {
        q->value_digits = true; /* the number is "0" */
        return 0;
    }
    size_t i = pos;
    while (i < end && is_digit(s[i]))
        i++;
    if (i > pos) {
        q->num = s + pos;
        q->numlen = i - pos;
    }
    pos = i;
    if (pos < end && s[pos] == '.') {
        pos++;
        i = pos;
        while (i < end && is_digit(s[i]))
            i++;
        q->den = s + pos;
        q->denlen = i - pos;
        pos = i;
    }
    q->value_digits = has_digit(s, pos);
    size_t suf = pos;
    while (pos < end && memchr(letters, s[pos], sizeof letters - 1))
        pos++;
    if (pos < end && (s[pos] == '-' || s[pos] == '+'))
        pos++;
    while (pos < end && is_digit(s[pos]))
        pos++;
    if (pos < end)
        return -1;
    q->suf = s + suf;
    q->suflen = end - suf;
    return 0;
}

/* The suffix as a power: *base 10 or 2, *exp its exponent; 0 or -1. */
static int quantity_suffix(const char *s, size_t n, int *base, int32_t *exp)
{
    static const struct { const char *s; int base, exp; } sufs[] = {
        {"", 10, 0}, {"n", 10, -9}, {"u", 10, -6}, {"m", 10, -3}, {"k", 10, 3}, {"M", 10, 6},
        {"G", 10, 9}, {"T", 10, 12}, {"P", 10, 15}, {"E", 10, 18},
        {"Ki", 2, 10}, {"Mi", 2, 20}, {"Gi", 2, 30}, {"Ti", 2, 40}, {"Pi", 2, 50}, {"Ei", 2, 60},
    };
    for (size_t i = 0; i < sizeof sufs / sizeof sufs[0]; i++)
        if (strlen(sufs[i].s) == n && !memcmp(sufs[i].s, s, n)) {
            *base = sufs[i].base;
            *exp = sufs[i].exp;
            return 0;
        }
    int64_t e;
    if (n > 1 && (s[0] == 'e' || s[0] == 'E') && kv_parse_int(s + 1, n - 1, &e) == 0) {
        *base = 10;
        *exp = (int32_t)(uint32_t)(uint64_t)e; /* Kubernetes keeps the low 32 bits */
        return 0;
    }
    return -1;
}

/* Digits (values 0-9, most significant first) in a malloc'd buffer with
 * room to grow at the front. */
typedef struct digits {
    unsigned char *buf;
    size_t start, end;   /* digits are buf[start..end) */
} digits;

static void digits_mul(digits *d, uint32_t m)
{
    uint64_t carry = 0;
    for (size_t i = d->end; i > d->start; i--) {
        uint64_t x = (uint64_t)d->buf[i - 1] * m + carry;
        d->buf[i - 1] = (unsigned char)(x % 10);
        carry = x / 10;
    }
    while (carry) {
        d->buf[--d->start] = (unsigned char)(carry % 10);
        carry /= 10;
    }
}

static void digits_trim_front(digits *d)
{
    while (d->start < d->end && d->buf[d->start] == 0)
        d->start++;
}

/* Compare the integer G * 10^e (e >= 0, G without leading zeros) with a
 * decimal constant; <0, 0, >0. */
static int digits_cmp_const(const digits *d, int64_t e, const char *k)
{
    size_t kl = strlen(k);
    int64_t len = (int64_t)(d->end - d->start) + e;
    if (len != (int64_t)kl)
        return len < (int64_t)kl ? -1 : 1;
    for (size_t i = 0; i < kl; i++) {
        int g = d->start + i < d->end ? d->buf[d->start + i] : 0;
        int c = k[i] - '0';
        if (g != c)
            return g < c ? -1 : 1;
    }
    return 0;
}

/* The value of the parts as a number; -1 on allocation failure. */
static int quantity_value(const qparts *q, int base, int32_t exp, kvet_value *out)
{
    size_t n = q->numlen + q->denlen;
    digits d;
    d.buf = malloc(n + 24);
    if (!d.buf)
        return -1;
    d.start = d.end = 22; /* room for 2^60 (19 digits) and a carry */
    for (size_t i = 0; i < q->numlen; i++)
        d.buf[d.end++] = (unsigned char)(q->num[i] - '0');
    for (size_t i = 0; i < q->denlen; i++)
        d.buf[d.end++] = (unsigned char)(q->den[i] - '0');
    int64_t e = (base == 10 ? (int64_t)exp : 0) - (int64_t)q->denlen;
    if (base == 2) {
        for (int32_t b = exp; b > 0; b -= 30)
            digits_mul(&d, 1u << (b < 30 ? b : 30));
    }
    digits_trim_front(&d);
    if (d.start == d.end) {
        free(d.buf);
        *out = kv_int(0);
        return 0;
    }
    /* round away from zero to a multiple of 1e-9 */
    if (e < -9) {
        uint64_t drop = (uint64_t)(-9 - e);
        size_t len = d.end - d.start;
        bool nonzero = false;
        if (drop >= len) {
            nonzero = true; /* the digits are not all zero */
            d.end = d.start;
        } else {
            for (size_t i = d.end - drop; i < d.end && !nonzero; i++)
                nonzero = d.buf[i] != 0;
            d.end -= drop;
        }
        e = -9;
        if (nonzero) {
            size_t i = d.end;
            while (i > d.start && d.buf[i - 1] == 9)
                d.buf[--i] = 0;
            if (i > d.start)
                d.buf[i - 1]++;
            else
                d.buf[--d.start] = 1;
        }
    }
    while (d.end > d.start && d.buf[d.end - 1] == 0) {
        d.end--;
        e++;
    }
    static const char int64_max[] = "9223372036854775807";
    if (base == 2) {
        /* cap: compare the integer part with 2^63-1 */
        bool over;
        if (e >= 0) {
            over = digits_cmp_const(&d, e, int64_max) > 0;
        } else {
            size_t intlen = (size_t)((int64_t)(d.end - d.start) + e > 0 ? (int64_t)(d.end - d.start) + e : 0);
            digits ip = d;
            ip.end = d.start + intlen;
            /* a fraction is left (digits are trimmed), so equal also exceeds */
            over = intlen > 0 && digits_cmp_const(&ip, 0, int64_max) >= 0;
        }
        if (over) {
            free(d.buf);
            *out = kv_int(q->neg ? -INT64_MAX : INT64_MAX);
            return 0;
        }
    }
    if (e >= 0 && digits_cmp_const(&d, e, q->neg ? "9223372036854775808" : int64_max) <= 0) {
        uint64_t v = 0;
        for (size_t i = d.start; i < d.end; i++)
            v = v * 10 + d.buf[i];
        for (int64_t i = 0; i < e; i++)
            v *= 10;
        free(d.buf);
        *out = kv_int(!q->neg ? (int64_t)v : v > (uint64_t)INT64_MAX ? INT64_MIN : -(int64_t)v);
        return 0;
    }
    /* not an int64: the nearest double of the exact decimal */
    size_t len = d.end - d.start;
    char *text = malloc(len + 32);
    if (!text) {
        free(d.buf);
        return -1;
    }
    size_t k = 0;
    if (q->neg)
        text[k++] = '-';
    for (size_t i = d.start; i < d.end; i++)
        text[k++] = (char)('0' + d.buf[i]);
    snprintf(text + k, 32, "e%lld", (long long)e);
    free(d.buf);
    double v = strtod(text, NULL);
    free(text);
    *out = kv_float(v);
    return 0;
}

int kv_bi_quantity(kv_call *c, const kvet_value *args, int n, kvet_value *out)
{
    (void)n;
    kvet_value v = args[0];
    if (v.type == KVET_ABSENT || kv_is_number(v)) {
        *out = v;
        return 0;
    }
    if (v.type != KVET_STRING)
        return kv_bi_type_error(c, "quantity", 1, "a string or a number", v);
    const kvet_string *s = v.u.s;
    qparts q;
    int base;
    int32_t exp;
    if (s->len == 0 || scan_quantity(s->data, s->len, &q) < 0 || quantity_suffix(q.suf, q.suflen, &base, &exp) < 0)
        return kv_bi_fail(c, "quantity(): %s is not a Kubernetes quantity", kv_bi_show(c, v));
    /* Kubernetes reads the number part exactly (and then needs a digit)
     * unless it fits its int64 fast path */
    bool fast;
    if (base == 10)
        fast = (int64_t)q.numlen + (int64_t)q.denlen <= 18 && (int64_t)exp - (int64_t)q.denlen >= -9;
    else
        fast = q.denlen == 0 && 15 - (int64_t)q.numlen - (int64_t)((float)exp * 3 / 10) - 1 >= 0;
    if (!fast && !q.value_digits)
        return kv_bi_fail(c, "quantity(): %s is not a Kubernetes quantity", kv_bi_show(c, v));
    kvet_value r;
    if (quantity_value(&q, base, exp, &r) < 0)
        return kv_bi_fail(c, "quantity(): out of memory");
    *out = kv_at(r, v);
    return 0;
}

/* ----------------------------------------------------------- duration */

/* Go's quoting in time errors: '"' and '\' escaped, bytes below 0x20 or
 * above 0x7F as \xNN.  Long text is cut (with "...") to keep messages short. */
static void go_quote(kv_buf *b, const char *s, size_t n)
{
    enum { QUOTE_MAX = 200 };
    static const char hex[] = "0123456789abcdef";
    size_t m = n > QUOTE_MAX ? QUOTE_MAX : n;
    kv_buf_putc(b, '"');
    for (size_t i = 0; i < m; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (ch < 0x20 || ch >= 0x80) {
            char e[4] = {'\\', 'x', hex[ch >> 4], hex[ch & 15]};
            kv_buf_put(b, e, 4);
        } else {
            if (ch == '"' || ch == '\\')
                kv_buf_putc(b, '\\');
            kv_buf_putc(b, (char)ch);
        }
    }
    if (m < n)
        kv_buf_puts(b, "...");
    kv_buf_putc(b, '"');
}

#define NS_LIMIT ((uint64_t)1 << 63)

typedef enum { DUR_OK, DUR_INVALID, DUR_NO_UNIT, DUR_BAD_UNIT } dur_status;

/* Go's time.ParseDuration to nanoseconds.  On DUR_BAD_UNIT, *unit and
 * *unitlen name the unit. */
static dur_status parse_duration(const char *s, size_t len, int64_t *out, const char **unit, size_t *unitlen)
{
    static const struct { const char *u; uint64_t ns; } units[] = {
        {"ns", 1}, {"us", 1000}, {"\xc2\xb5s", 1000} /* U+00B5 micro sign */,
        {"\xce\xbcs", 1000} /* U+03BC mu */, {"ms", 1000000}, {"s", 1000000000ull},
        {"m", 60000000000ull}, {"h", 3600000000000ull},
    };
    size_t i = 0;
    bool neg = false;
    if (len > 0 && (s[0] == '-' || s[0] == '+')) {
        neg = s[0] == '-';
        i = 1;
    }
    if (len - i == 1 && s[i] == '0') {
        *out = 0;
        return DUR_OK;
    }
    if (i == len)
        return DUR_INVALID;
    uint64_t d = 0;
    while (i < len) {
        if (!(s[i] == '.' || is_digit(s[i])))
            return DUR_INVALID;
        /* leading integer; overflow is an error */
        uint64_t v = 0;
        size_t start = i;
        for (; i < len && is_digit(s[i]); i++) {
            if (v > NS_LIMIT / 10)
                return DUR_INVALID;
            v = v * 10 + (uint64_t)(s[i] - '0');
            if (v > NS_LIMIT)
                return DUR_INVALID;
        }
        bool pre = i != start;
        /* fraction: digits past 63 bits of precision are read but ignored */
        uint64_t f = 0;
        double scale = 1;
        bool post = false;
        if (i < len && s[i] == '.') {
            i++;
            size_t fstart = i;
            bool overflow = false;
            for (; i < len && is_digit(s[i]); i++) {
                if (overflow)
                    continue;
                if (f > (NS_LIMIT - 1) / 10) {
                    overflow = true;
                    continue;
                }
                uint64_t y = f * 10 + (uint64_t)(s[i] - '0');
                if (y > NS_LIMIT) {
                    overflow = true;
                    continue;
                }
                f = y;
                scale *= 10;
            }
            post = i != fstart;
        }
        if (!pre && !post)
            return DUR_INVALID;
        size_t u = i;
        while (i < len && s[i] != '.' && !is_digit(s[i]))
            i++;
        if (u == i)
            return DUR_NO_UNIT;
        uint64_t per = 0;
        for (size_t k = 0; k < sizeof units / sizeof units[0]; k++)
            if (strlen(units[k].u) == i - u && !memcmp(units[k].u, s + u, i - u))
                per = units[k].ns;
        if (!per) {
            *unit = s + u;
            *unitlen = i - u;
            return DUR_BAD_UNIT;
        }
        if (v > NS_LIMIT / per)
            return DUR_INVALID;
        v *= per;
        if (f > 0) {
            /* Go computes the fraction in float64, exactly like this */
            v += (uint64_t)((double)f * ((double)per / scale));
            if (v > NS_LIMIT)
                return DUR_INVALID;
        }
        d += v;
        if (d > NS_LIMIT)
            return DUR_INVALID;
    }
    if (neg) {
        *out = d == NS_LIMIT ? INT64_MIN : -(int64_t)d;
        return DUR_OK;
    }
    if (d > NS_LIMIT - 1)
        return DUR_INVALID;
    *out = (int64_t)d;
    return DUR_OK;
}

/* Seconds from nanoseconds: an int when whole, else the nearest double of
 * the exact decimal (so "100ms" is exactly 0.1). */
static kvet_value ns_to_seconds(int64_t ns)
{
    if (ns % 1000000000 == 0)
        return kv_int(ns / 1000000000);
    uint64_t mag = ns < 0 ? 0 - (uint64_t)ns : (uint64_t)ns;
    char text[48];
    snprintf(text, sizeof text, "%s%llu.%09llu", ns < 0 ? "-" : "", (unsigned long long)(mag / 1000000000),
             (unsigned long long)(mag % 1000000000));
    return kv_float(strtod(text, NULL));
}

static int duration_common(kv_call *c, const kvet_value *args, kvet_value *out, bool as_ns, const char *fn)
{
    kvet_value v = args[0];
    if (v.type == KVET_ABSENT) {
        *out = v;
        return 0;
    }
    if (v.type != KVET_STRING)
        return kv_bi_want(c, fn, args, 0, KVET_STRING);
    const kvet_string *s = v.u.s;
    int64_t ns = 0;
    const char *unit = NULL;
    size_t unitlen = 0;
    dur_status st = parse_duration(s->data, s->len, &ns, &unit, &unitlen);
    if (st != DUR_OK) {
        kv_buf b;
        kv_buf_init(&b);
        if (st == DUR_BAD_UNIT) {
            kv_buf_puts(&b, "unknown unit ");
            go_quote(&b, unit, unitlen);
            kv_buf_puts(&b, " in duration ");
        } else {
            kv_buf_puts(&b, st == DUR_NO_UNIT ? "missing unit in duration " : "invalid duration ");
        }
        go_quote(&b, s->data, s->len);
        int rc = b.oom ? kv_bi_fail(c, "%s(): out of memory", fn) : kv_bi_fail(c, "%s(): time: %s", fn, b.data);
        kv_buf_free(&b);
        return rc;
    }
    *out = kv_at(as_ns ? kv_int(ns) : ns_to_seconds(ns), v);
    return 0;
}

int kv_bi_duration(kv_call *c, const kvet_value *args, int n, kvet_value *out)
{
    (void)n;
    return duration_common(c, args, out, false, "duration");
}

int kv_bi_duration_ns(kv_call *c, const kvet_value *args, int n, kvet_value *out)
{
    (void)n;
    return duration_common(c, args, out, true, "duration_ns");
}

/* --------------------------------------------------------- percentages */

/* "N%" with N finite in Go ParseFloat syntax. */
static int parse_percent(const kvet_string *s, double *out)
{
    if (s->len < 2 || s->data[s->len - 1] != '%')
        return -1;
    double d;
    if (kv_parse_float(s->data, s->len - 1, &d) < 0 || !isfinite(d))
        return -1;
    *out = d;
    return 0;
}

int kv_bi_percent(kv_call *c, const kvet_value *args, int n, kvet_value *out)
{
    (void)n;
    kvet_value v = args[0];
    if (v.type == KVET_ABSENT || kv_is_number(v)) {
        *out = v;
        return 0;
    }
    if (v.type != KVET_STRING)
        return kv_bi_type_error(c, "percent", 1, "a number or a string", v);
    double d;
    if (parse_percent(v.u.s, &d) < 0)
        return kv_bi_fail(c, "percent(): %s is not a percentage such as \"80%%\"", kv_bi_show(c, v));
    *out = kv_at(kv_bi_number(d), v);
    return 0;
}

int kv_bi_is_percent(kv_call *c, const kvet_value *args, int n, kvet_value *out)
{
    (void)c;
    (void)n;
    kvet_value v = args[0];
    double d;
    if (v.type == KVET_ABSENT) {
        *out = v;
        return 0;
    }
    *out = kv_at(kv_bool(v.type == KVET_STRING && parse_percent(v.u.s, &d) == 0), v);
    return 0;
}

/* Kubernetes intstr.GetScaledValueFromIntOrPercent: an int is itself; a
 * string must be "N%" with N in strconv.Atoi syntax, and gives
 * ceil(N * total / 100) or floor(...), computed in float64 as Kubernetes
 * does.  Error texts are Kubernetes' own. */
int kv_bi_int_or_percent(kv_call *c, const kvet_value *args, int n, kvet_value *out)
{
    (void)n;
    for (int i = 0; i < 3; i++)
        if (args[i].type == KVET_ABSENT) {
            *out = args[i];
            return 0;
        }
    kvet_value v = args[0];
    if (v.type != KVET_INT && v.type != KVET_STRING)
        return kv_bi_type_error(c, "int_or_percent", 1, "an int or a string", v);
    if (kv_bi_want(c, "int_or_percent", args, 1, KVET_INT) || kv_bi_want(c, "int_or_percent", args, 2, KVET_BOOL))
        return -1;
    if (v.type == KVET_INT) {
        *out = v;
        return 0;
    }
    const kvet_string *s = v.u.s;
    if (s->len == 0 || s->data[s->len - 1] != '%')
        return kv_bi_fail(c, "int_or_percent(): invalid value for IntOrString: invalid type: string is not a percentage: %s",
                          kv_bi_show(c, v));
    int64_t pct;
    if (kv_parse_int(s->data, s->len - 1, &pct) < 0) {
        kvet_value num = kv_string_value(c->arena, s->data, s->len - 1);
        /* tell a syntax error from a range error as strconv does */
        bool digits_only = s->len > 1;
        for (uint32_t i = 0; i + 1 < s->len; i++)
            if (!is_digit(s->data[i]) && !(i == 0 && (s->data[0] == '-' || s->data[0] == '+') && s->len > 2))
                digits_only = false;
        return kv_bi_fail(c, "int_or_percent(): invalid value for IntOrString: invalid value %s: strconv.Atoi: parsing %s: %s",
                          kv_bi_show(c, v), kv_bi_show(c, num), digits_only ? "value out of range" : "invalid syntax");
    }
    double scaled = (double)pct * (double)args[1].u.i / 100;
    double r = args[2].u.b ? ceil(scaled) : floor(scaled);
    if (!(r >= -9223372036854775808.0 && r < 9223372036854775808.0))
        return kv_bi_fail(c, "int_or_percent(): %s of %lld is out of the int64 range", kv_bi_show(c, v),
                          (long long)args[1].u.i);
    *out = kv_at(kv_int((int64_t)r), v);
    return 0;
}
