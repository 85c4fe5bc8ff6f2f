/*
 * strbuf.c - the small text utilities the library and the kvet program
 * share: a growable buffer, UTF-8 decoding, JSON and HTML escaping, the
 * shortest round-trip text of a double and `*` glob matching.  One copy,
 * linked into both (the library exports only kvet_* symbols).
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "strbuf.h"

/* ---------------------------------------------------------------- buffers */

void kv_buf_init(kv_buf *b)
{
    b->data = NULL;
    b->len = b->cap = 0;
    b->oom = false;
    b->sink = NULL;
    b->sink_arg = NULL;
    b->sink_errno = 0;
}

#define KV_BUF_CHUNK ((size_t)1 << 20)

static void buf_drain(kv_buf *b)
{
    if (!b->sink_errno && b->len && b->sink(b->sink_arg, b->data, b->len) < 0)
        b->sink_errno = errno ? errno : EIO;
    b->len = 0;
    if (b->data)
        b->data[0] = '\0';
}

int kv_buf_flush(kv_buf *b)
{
    if (b->sink && !b->oom)
        buf_drain(b);
    if (b->oom || b->sink_errno) {
        errno = b->oom ? ENOMEM : b->sink_errno;
        return -1;
    }
    return 0;
}

void kv_buf_free(kv_buf *b)
{
    free(b->data);
    kv_buf_init(b);
}

static inline bool buf_reserve(kv_buf *b, size_t extra)
{
    if (b->oom)
        return false;
    if (b->sink && b->len && b->len + extra + 1 > KV_BUF_CHUNK)
        buf_drain(b);
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

void kv_buf_putc(kv_buf *b, char c) { kv_buf_put(b, &c, 1); }

void kv_buf_put_uint(kv_buf *b, uint64_t n)
{
    char digits[20];
    size_t i = sizeof digits;
    do {
        digits[--i] = (char)('0' + n % 10);
        n /= 10;
    } while (n);
    kv_buf_put(b, digits + i, sizeof digits - i);
}

void kv_buf_put_int(kv_buf *b, int64_t n)
{
    if (n < 0)
        kv_buf_putc(b, '-');
    /* the magnitude in unsigned arithmetic: INT64_MIN has no positive twin */
    kv_buf_put_uint(b, n < 0 ? 0 - (uint64_t)n : (uint64_t)n);
}

void kv_buf_printf(kv_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    kv_buf_vprintf(b, fmt, ap);
    va_end(ap);
}

void kv_buf_vprintf(kv_buf *b, const char *fmt, va_list ap)
{
    /* most texts are short: format once into the stack, twice only when it did not fit */
    char small[256];
    va_list ap2;
    va_copy(ap2, ap);
    int n = vsnprintf(small, sizeof small, fmt, ap);
    if (n >= 0 && (size_t)n < sizeof small) {
        va_end(ap2);
        kv_buf_put(b, small, (size_t)n);
        return;
    }
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

/* ------------------------------------------------------------------ text */

static void format_digits(char out[32], bool plain, int digits, double d)
{
    if (plain)
        snprintf(out, 32, "%.*f", digits, d);
    else
        snprintf(out, 32, "%.*g", digits, d);
}

/* What "%.*f" writes for d (|d| < 1e9) with up to 3 fraction digits, when
 * that many read back as d: the fewest such, or false.  In integers,
 * because most numbers of a report are of this kind and printf's float
 * conversion is its costliest part.  Below 1e9 doubles are less than 2^-23
 * apart, far closer than 10^-3, so at most one decimal of n fraction
 * digits reads back as d, and then it is the one printf rounds to; m and
 * 10^n are exact, so m / 10^n rounds as strtod reads that decimal. */
static bool format_short_plain(char out[32], double d)
{
    static const double p10[] = {1, 10, 100, 1000};
    double a = fabs(d);
    for (int n = 0; n < 4; n++) {
        uint64_t m = (uint64_t)llround(a * p10[n]);
        if ((double)m / p10[n] != a)
            continue;
        char digits[24];
        int len = 0;
        do {
            digits[len++] = (char)('0' + m % 10);
            m /= 10;
        } while (m || len <= n);
        char *o = out;
        if (signbit(d))
            *o++ = '-';
        while (len > n)
            *o++ = digits[--len];
        if (n)
            *o++ = '.';
        while (len)
            *o++ = digits[--len];
        *o = '\0';
        return true;
    }
    return false;
}

void kv_format_double(char out[32], double d)
{
    if (isnan(d)) { strcpy(out, "NaN"); return; }
    if (isinf(d)) { strcpy(out, d < 0 ? "-Inf" : "Inf"); return; }
    double a = fabs(d);
    /* plain decimal notation for everyday magnitudes; the fewest digits
     * that read back as d, else 17 significant ones.  Most values need
     * few, tried first; past those, more digits read back whenever fewer
     * do (printf and strtod round correctly), so the count is searched. */
    bool plain = a >= 1e-4 && a < 1e16;
    int lo = plain ? 0 : 1, hi = 17;
    if (plain && a < 1e9) {
        /* 0 to 3 fraction digits, without printf */
        if (format_short_plain(out, d))
            goto done;
        lo = 4;
    } else {
        for (int few = lo + 3; lo <= few; lo++) {
            format_digits(out, plain, lo, d);
            if (strtod(out, NULL) == d)
                goto done;
        }
    }
    /* 17 significant digits always read back: fraction digits past those
     * of a number >= 1 are not needed */
    if (plain && a >= 1) {
        /* a has e + 1 digits before the point (powers of ten are exact, log10
         * may round up just below one) */
        int e = 0;
        for (double p = 10; p <= a; p *= 10)
            e++;
        hi = 16 - e > lo ? 16 - e : lo;
    }
    /* the rest are mostly computed values (0.7 * 17 is 11.899999999999999)
     * that need all or all but one of them: look there before bisecting.
     * `out` keeps the fewest digits seen to read back, from `hi` on. */
    bool have = false;
    for (int probe = 0; lo < hi; probe++) {
        int mid = probe < 2 ? hi - 1 : lo + (hi - lo) / 2;
        char try[32];
        format_digits(try, plain, mid, d);
        if (strtod(try, NULL) == d) {
            hi = mid;
            memcpy(out, try, sizeof try);
            have = true;
        } else {
            lo = mid + 1;
            if (probe < 2)
                break;
        }
    }
    if (!have)
        format_digits(out, plain, hi, d);
done:
    /* keep a float recognisable as one */
    if (!strpbrk(out, ".eEn"))
        strcat(out, ".0");
}

size_t kv_utf8_decode(const char *text, size_t n, uint32_t *cp)
{
    const unsigned char *s = (const unsigned char *)text;
    if (n == 0) return 0;
    uint32_t c = s[0];
    size_t len;
    uint32_t min;
    if (c < 0x80) { *cp = c; return 1; }
    if ((c & 0xE0) == 0xC0) { len = 2; min = 0x80; c &= 0x1F; }
    else if ((c & 0xF0) == 0xE0) { len = 3; min = 0x800; c &= 0x0F; }
    else if ((c & 0xF8) == 0xF0) { len = 4; min = 0x10000; c &= 0x07; }
    else return 0;
    if (n < len) return 0;
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80) return 0;
        c = (c << 6) | (s[i] & 0x3F);
    }
    /* overlong forms, UTF-16 surrogates and values past Unicode are not text */
    if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF)) return 0;
    *cp = c;
    return len;
}

/* Printable ASCII that a JSON string holds as it is: 1, else 0. */
static const unsigned char json_plain[256] = {
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    1, 1, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0,
    /* 0x80 and above: UTF-8, checked */
};

/* How many bytes from p on need no escape: eight at a time while a word
 * has none of a control byte, '"', '\\', DEL or a byte above 0x7F (which
 * the byte loop then decides on). */
static size_t json_plain_run(const unsigned char *p, size_t n)
{
    const uint64_t ones = 0x0101010101010101ULL, highs = 0x8080808080808080ULL;
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t w;
        memcpy(&w, p + i, 8);
        uint64_t quote = w ^ (ones * '"'), bslash = w ^ (ones * '\\');
        /* a byte is flagged when it is below 0x20, is 0x7F or more (with
         * the high bit, or reaching it when 1 is added), or was '"' or '\\'
         * (zero after the xor) */
        uint64_t bad = (w - ones * 0x20) | (w + ones * 0x01) | w | (quote - ones) | (bslash - ones);
        if (bad & highs)
            break;
    }
    while (i < n && json_plain[p[i]])
        i++;
    return i;
}

void kv_buf_json_string(kv_buf *b, const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = json_plain_run(p, n);
    if (i == n) {
        /* nothing to escape (most names, files and messages): one copy */
        if (!buf_reserve(b, n + 2))
            return;
        char *d = b->data + b->len;
        d[0] = '"';
        if (n)
            memcpy(d + 1, s, n);
        d[n + 1] = '"';
        d[n + 2] = '\0';
        b->len += n + 2;
        return;
    }
    kv_buf_putc(b, '"');
    if (i)
        kv_buf_put(b, s, i);
    while (i < n) {
        /* a run of printable ASCII needing no escape goes in one copy */
        size_t run = i + json_plain_run(p + i, n - i);
        if (run > i) {
            kv_buf_put(b, s + i, run - i);
            i = run;
            continue;
        }
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
        } else {
            uint32_t cp;
            size_t l = kv_utf8_decode(s + i, n - i, &cp);
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


void kv_buf_html(kv_buf *b, const char *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x80) {
            uint32_t cp;
            size_t len = kv_utf8_decode(s + i, n - i, &cp);
            if (len == 0) {
                kv_buf_puts(b, "\xEF\xBF\xBD");
                i++;
            } else {
                kv_buf_put(b, s + i, len);
                i += len;
            }
            continue;
        }
        switch (c) {
        case '&': kv_buf_puts(b, "&amp;"); break;
        case '<': kv_buf_puts(b, "&lt;"); break;
        case '>': kv_buf_puts(b, "&gt;"); break;
        case '"': kv_buf_puts(b, "&quot;"); break;
        case '\'': kv_buf_puts(b, "&#39;"); break;
        case '\n': case '\t': kv_buf_put(b, s + i, 1); break;
        case '\r': break;
        default:
            if (c < 0x20 || c == 0x7f)
                kv_buf_puts(b, "\xEF\xBF\xBD");
            else
                kv_buf_put(b, s + i, 1);
        }
        i++;
    }
}

bool kv_glob_match(const char *pat, const char *s, size_t n)
{
    /* the text before the first '*' is compared at once (most patterns,
     * apiVersions among them, have no '*' or only a trailing one) */
    const char *first = strchr(pat, '*');
    size_t pn = strlen(pat), lead = first ? (size_t)(first - pat) : pn;
    if (n < lead || memcmp(pat, s, lead) != 0)
        return false;
    if (!first)
        return n == pn;
    /* then iterative '*' matching with a single backtrack point */
    size_t pi = lead, si = lead, star = (size_t)-1, mark = 0;
    while (si < n) {
        if (pi < pn && pat[pi] == '*') {
            star = pi++;
            mark = si;
        } else if (pi < pn && pat[pi] == s[si]) {
            pi++;
            si++;
        } else if (star != (size_t)-1) {
            pi = star + 1;
            si = ++mark;
        } else {
            return false;
        }
    }
    while (pi < pn && pat[pi] == '*')
        pi++;
    return pi == pn;
}
