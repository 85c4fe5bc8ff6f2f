/*
 * builtin_k8s.c - Kubernetes and Go value formats: resource quantities,
 * Go durations, percentages and IntOrString scaling.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "builtin.h"
#include "value.h"

int kv_builtin_fail(kv_call *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
const char *kv_builtin_show(kv_call *c, kvet_value v);

int kv_bi_quantity(kv_call *c, const kvet_value *args, int n, kvet_value *out);
int kv_bi_duration(kv_call *c, const kvet_value *args, int n, kvet_value *out);
int kv_bi_duration_ns(kv_call *c, const kvet_value *args, int n, kvet_value *out);
int kv_bi_percent(kv_call *c, const kvet_value *args, int n, kvet_value *out);
int kv_bi_is_percent(kv_call *c, const kvet_value *args, int n, kvet_value *out);
int kv_bi_int_or_percent(kv_call *c, const kvet_value *args, int n, kvet_value *out);

/* A number as an int when it is whole and fits, else a float. */
static kvet_value number(double d)
{
    if (d == floor(d) && d >= -9007199254740992.0 && d <= 9007199254740992.0)
        return kv_int((int64_t)d);
    return kv_float(d);
}

/* ----------------------------------------------------------- quantity */

/* Kubernetes resource.Quantity: a signed decimal number and an optional
 * suffix: binary (Ki Mi Gi Ti Pi Ei), decimal (n u m k M G T P E) or a
 * decimal exponent (e3, E-2). */
static int parse_quantity(const char *s, size_t len, double *out)
{
    size_t i = 0;
    bool neg = false;
    if (i < len && (s[i] == '+' || s[i] == '-')) {
        neg = s[i] == '-';
        i++;
    }
    size_t start = i;
    bool digits = false;
    while (i < len && s[i] >= '0' && s[i] <= '9') {
        i++;
        digits = true;
    }
    if (i < len && s[i] == '.') {
        i++;
        while (i < len && s[i] >= '0' && s[i] <= '9') {
            i++;
            digits = true;
        }
    }
    if (!digits)
        return -1;
    char num[64];
    if (i - start >= sizeof num)
        return -1;
    memcpy(num, s + start, i - start);
    num[i - start] = '\0';
    double v = strtod(num, NULL);
    const char *suf = s + i;
    size_t sl = len - i;
    double mult = 1;
    static const struct { const char *s; double m; } sufs[] = {
        {"Ki", 1024.0}, {"Mi", 1048576.0}, {"Gi", 1073741824.0}, {"Ti", 1099511627776.0},
        {"Pi", 1125899906842624.0}, {"Ei", 1152921504606846976.0},
        {"n", 1e-9}, {"u", 1e-6}, {"m", 1e-3}, {"k", 1e3}, {"M", 1e6}, {"G", 1e9}, {"T", 1e12},
        {"P", 1e15}, {"E", 1e18},
    };
    if (sl == 0) {
        mult = 1;
    } else {
        bool found = false;
        for (size_t k = 0; k < sizeof sufs / sizeof sufs[0]; k++)
            if (strlen(sufs[k].s) == sl && !memcmp(sufs[k].s, suf, sl)) {
                mult = sufs[k].m;
                found = true;
            }
        if (!found) {
            /* decimal exponent: e or E and a signed integer */
            if (suf[0] != 'e' && suf[0] != 'E')
                return -1;
            size_t j = 1;
            bool eneg = false;
            if (j < sl && (suf[j] == '+' || suf[j] == '-')) {
                eneg = suf[j] == '-';
                j++;
            }
            if (j == sl)
                return -1;
            int e = 0;
            for (; j < sl; j++) {
                if (suf[j] < '0' || suf[j] > '9' || e > 1000)
                    return -1;
                e = e * 10 + (suf[j] - '0');
            }
            mult = pow(10.0, eneg ? -e : e);
        }
    }
    v *= mult;
    *out = neg ? -v : v;
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
        return kv_builtin_fail(c, "quantity(): argument 1 must be a string or a number, got %s",
                               kv_type_name((kvet_type)v.type));
    double d;
    if (parse_quantity(v.u.s->data, v.u.s->len, &d) < 0 || !isfinite(d))
        return kv_builtin_fail(c, "quantity(): %s is not a Kubernetes quantity", kv_builtin_show(c, v));
    *out = kv_at(number(d), v);
    return 0;
}

/* ----------------------------------------------------------- duration */

/* Go's time.ParseDuration, to int64 nanoseconds.  Returns 0, or -1 with a
 * message in msg (Go's own wording). */
static int parse_duration(const char *s, size_t len, int64_t *out, char *msg, size_t msglen, const char *quoted)
{
    size_t i = 0;
    bool neg = false;
    if (i < len && (s[i] == '-' || s[i] == '+')) {
        neg = s[i] == '-';
        i++;
    }
    if (len - i == 1 && s[i] == '0') {
        *out = 0;
        return 0;
    }
    if (i == len) {
        snprintf(msg, msglen, "time: invalid duration %s", quoted);
        return -1;
    }
    uint64_t total = 0;
    while (i < len) {
        uint64_t v = 0, f = 0;
        double scale = 1;
        bool pre = false, post = false, overflow = false;
        if (!(s[i] == '.' || (s[i] >= '0' && s[i] <= '9'))) {
            snprintf(msg, msglen, "time: invalid duration %s", quoted);
            return -1;
        }
        while (i < len && s[i] >= '0' && s[i] <= '9') {
            if (v > ((uint64_t)1 << 63) / 10)
                overflow = true;
            v = v * 10 + (uint64_t)(s[i] - '0');
            if (v > (uint64_t)1 << 63)
                overflow = true;
            i++;
            pre = true;
        }
        if (overflow) {
            snprintf(msg, msglen, "time: invalid duration %s", quoted);
            return -1;
        }
        if (i < len && s[i] == '.') {
            i++;
            while (i < len && s[i] >= '0' && s[i] <= '9') {
                if (f <= (UINT64_MAX - 9) / 10 && scale < 1e18) {
                    f = f * 10 + (uint64_t)(s[i] - '0');
                    scale *= 10;
                }
                i++;
                post = true;
            }
        }
        if (!pre && !post) {
            snprintf(msg, msglen, "time: invalid duration %s", quoted);
            return -1;
        }
        size_t u = i;
        while (i < len && s[i] != '.' && !(s[i] >= '0' && s[i] <= '9'))
            i++;
        if (u == i) {
            snprintf(msg, msglen, "time: missing unit in duration %s", quoted);
            return -1;
        }
        static const struct { const char *u; uint64_t ns; } units[] = {
            {"ns", 1}, {"us", 1000}, {"\xc2\xb5s", 1000}, {"\xce\xbcs", 1000}, {"ms", 1000000},
            {"s", 1000000000ull}, {"m", 60000000000ull}, {"h", 3600000000000ull},
        };
        uint64_t unit = 0;
        for (size_t k = 0; k < sizeof units / sizeof units[0]; k++)
            if (strlen(units[k].u) == i - u && !memcmp(units[k].u, s + u, i - u))
                unit = units[k].ns;
        if (!unit) {
            snprintf(msg, msglen, "time: unknown unit \"%.*s\" in duration %s", (int)(i - u), s + u, quoted);
            return -1;
        }
        if (v > ((uint64_t)1 << 63) / unit) {
            snprintf(msg, msglen, "time: invalid duration %s", quoted);
            return -1;
        }
        v *= unit;
        if (f > 0) {
            v += (uint64_t)((double)f * ((double)unit / scale));
            if (v > (uint64_t)1 << 63) {
                snprintf(msg, msglen, "time: invalid duration %s", quoted);
                return -1;
            }
        }
        total += v;
        if (total > (uint64_t)1 << 63) {
            snprintf(msg, msglen, "time: invalid duration %s", quoted);
            return -1;
        }
    }
    if (neg)
        *out = total == (uint64_t)1 << 63 ? INT64_MIN : -(int64_t)total;
    else {
        if (total > (uint64_t)INT64_MAX) {
            snprintf(msg, msglen, "time: invalid duration %s", quoted);
            return -1;
        }
        *out = (int64_t)total;
    }
    return 0;
}

static int duration_common(kv_call *c, const kvet_value *args, kvet_value *out, bool as_ns, const char *fn)
{
    kvet_value v = args[0];
    if (v.type == KVET_ABSENT) {
        *out = v;
        return 0;
    }
    if (v.type != KVET_STRING)
        return kv_builtin_fail(c, "%s(): argument 1 must be a string, got %s", fn, kv_type_name((kvet_type)v.type));
    char msg[300], quoted[128];
    snprintf(quoted, sizeof quoted, "\"%.*s\"", v.u.s->len > 100 ? 100 : (int)v.u.s->len, v.u.s->data);
    int64_t ns;
    if (parse_duration(v.u.s->data, v.u.s->len, &ns, msg, sizeof msg, quoted) < 0)
        return kv_builtin_fail(c, "%s(): %s", fn, msg);
    if (as_ns)
        *out = kv_at(kv_int(ns), v);
    else if (ns % 1000000000 == 0)
        *out = kv_at(kv_int(ns / 1000000000), v);
    else
        *out = kv_at(kv_float((double)ns / 1e9), v);
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
    double d;
    if (v.type != KVET_STRING || parse_percent(v.u.s, &d) < 0)
        return kv_builtin_fail(c, "percent(): %s is not a percentage such as \"80%%\"", kv_builtin_show(c, v));
    *out = kv_at(number(d), v);
    return 0;
}

int kv_bi_is_percent(kv_call *c, const kvet_value *args, int n, kvet_value *out)
{
    (void)c;
    (void)n;
    double d;
    kvet_value v = args[0];
    *out = v.type == KVET_ABSENT ? v : kv_bool(v.type == KVET_STRING && parse_percent(v.u.s, &d) == 0);
    return 0;
}

/* Kubernetes intstr.GetScaledValueFromIntOrPercent: an int is itself; "N%"
 * of total, rounded up or down. */
int kv_bi_int_or_percent(kv_call *c, const kvet_value *args, int n, kvet_value *out)
{
    (void)n;
    for (int i = 0; i < 3; i++)
        if (args[i].type == KVET_ABSENT) {
            *out = kv_absent();
            return 0;
        }
    if (args[1].type != KVET_INT)
        return kv_builtin_fail(c, "int_or_percent(): argument 2 must be an int, got %s",
                               kv_type_name((kvet_type)args[1].type));
    if (args[2].type != KVET_BOOL)
        return kv_builtin_fail(c, "int_or_percent(): argument 3 must be a bool, got %s",
                               kv_type_name((kvet_type)args[2].type));
    kvet_value v = args[0];
    if (v.type == KVET_INT) {
        *out = v;
        return 0;
    }
    if (v.type == KVET_STRING) {
        const kvet_string *s = v.u.s;
        int64_t pct;
        if (s->len >= 2 && s->data[s->len - 1] == '%' && kv_parse_int(s->data, s->len - 1, &pct) == 0) {
            double scaled = (double)pct * (double)args[1].u.i / 100.0;
            double r = args[2].u.b ? ceil(scaled) : floor(scaled);
            *out = kv_at(kv_int((int64_t)r), v);
            return 0;
        }
        return kv_builtin_fail(c, "int_or_percent(): invalid value for IntOrString: invalid type: string is not a percentage: %s",
                               kv_builtin_show(c, v));
    }
    return kv_builtin_fail(c, "int_or_percent(): argument 1 must be an int or a percentage string, got %s",
                           kv_type_name((kvet_type)v.type));
}
