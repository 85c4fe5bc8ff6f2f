/*
 * test_reports.c - the CI reporters (SARIF, JUnit, TAP, GitHub workflow
 * commands, Markdown, HTML) over a result built by hand: exact fragments,
 * escaping of hostile strings, documents that parse, and the limits.
 */
#include <check.h>
#include <math.h>
#include <fcntl.h>
#include <unistd.h>
#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "doc.h"
#include "value.h"

/* Rules as a pack would declare them; the findings below name them. */
static const char *const rules_src =
    "pack test.reports \"1.0\"\n"
    "for Service \"serving.knative.dev/*\" as s {\n"
    "  rule T-ERR error \"error rule, strict: yes\"\n"
    "    require s.a != 1\n"
    "    message \"a is 1\"\n"
    "    remedy \"set \\\"a\\\" to {s.a}\"\n"
    "    link \"https://example.com/err\"\n"
    "    doc \"Why errors matter.\"\n"
    "  rule T-WARN warning \"warning rule\"\n"
    "    require s.b != 1\n"
    "    message \"b is 1\"\n"
    "}\n"
    "for HorizontalPodAutoscaler as h {\n"
    "  rule T-INFO info \"info rule\"\n"
    "    require h.c != 1\n"
    "    message \"c is 1\"\n"
    "}\n";

/* A message that needs escaping in every format: markup, quotes, a table
 * pipe, a newline, a percent sign, property separators, an issue and a
 * mention, a control character and a non-ASCII letter. */
#define HOSTILE "max <2> & \"q\" | pipe\nnext %0A: a,b #1 @bob \x01 \xC3\xA9"

typedef struct fixture {
    kvet_ctx *ctx;
    kvet_pack *pack;
    kvet_finding f_web[3], f_hpa[1];
    kvet_outcome o_web[2], o_hpa[1], o_api[2];
    kvet_resource res[4];
    kvet_error err[2];
    kvet_result result;
    report_opts opts;
} fixture;

static void fixture_init(fixture *fx)
{
    memset(fx, 0, sizeof *fx);
    fx->ctx = kvet_ctx_new();
    ck_assert_ptr_nonnull(fx->ctx);
    fx->pack = kvet_pack_load_source(fx->ctx, "rules/t.kvet", rules_src, strlen(rules_src));
    ck_assert_msg(fx->pack != NULL, "test rules do not compile");
    ck_assert_uint_eq(kvet_rule_count(fx->pack), 3);

    kvet_finding *f = fx->f_web;
    f[0] = (kvet_finding){.rule = "T-ERR", .severity = KVET_SEV_ERROR, .title = "error rule, strict: yes",
                          .message = (char *)HOSTILE, .remedy = "set a to 2", .link = "https://example.com/err",
                          .file = "deploy/app:v1,x.yaml", .line = 9, .col = 5};
    f[1] = (kvet_finding){.rule = "T-ERR", .severity = KVET_SEV_ERROR, .title = "error rule, strict: yes",
                          .message = (char *)"second", .file = "deploy/app:v1,x.yaml", .line = 10, .col = 7};
    f[2] = (kvet_finding){.rule = "T-WARN", .severity = KVET_SEV_WARNING, .title = "warning rule",
                          .message = (char *)"b is 1", .file = NULL, .line = 4, .col = 3};
    fx->f_hpa[0] = (kvet_finding){.rule = "T-INFO", .severity = KVET_SEV_INFO, .title = "info rule",
                                  .message = (char *)"c is 1", .file = "./deploy/hpa 1.yaml", .line = 2, .col = 1};

    /* the outcomes kvet_check would record: rules 0 T-ERR, 1 T-WARN, 2 T-INFO;
     * both Service rules failed to evaluate on api */
    fx->o_web[0] = (kvet_outcome){.rule = 0, .status = KVET_OUTCOME_FAIL, .findings = 2, .open = 2};
    fx->o_web[1] = (kvet_outcome){.rule = 1, .status = KVET_OUTCOME_FAIL, .findings = 1, .open = 1};
    fx->o_hpa[0] = (kvet_outcome){.rule = 2, .status = KVET_OUTCOME_FAIL, .findings = 1, .open = 1};
    fx->o_api[0] = (kvet_outcome){.rule = 0, .status = KVET_OUTCOME_ERROR};
    fx->o_api[1] = (kvet_outcome){.rule = 1, .status = KVET_OUTCOME_ERROR};
    fx->res[0] = (kvet_resource){.api_version = "serving.knative.dev/v1", .kind = "Service", .ns = "demo",
                                 .name = "web", .file = "deploy/app:v1,x.yaml", .line = 3,
                                 .findings = fx->f_web, .nfindings = 3, .outcomes = fx->o_web, .noutcomes = 2};
    fx->res[1] = (kvet_resource){.api_version = "autoscaling/v2", .kind = "HorizontalPodAutoscaler", .ns = "",
                                 .name = "", .file = "./deploy/hpa 1.yaml", .line = 1,
                                 .findings = fx->f_hpa, .nfindings = 1, .outcomes = fx->o_hpa, .noutcomes = 1};
    fx->res[2] = (kvet_resource){.api_version = "serving.knative.dev/v1", .kind = "Service", .ns = "demo",
                                 .name = "api", .file = "deploy/app:v1,x.yaml", .line = 20, .not_evaluated = 1,
                                 .outcomes = fx->o_api, .noutcomes = 2};
    fx->res[3] = (kvet_resource){.api_version = "v1", .kind = "ConfigMap", .ns = "demo", .name = "cfg",
                                 .file = "deploy/cm.yaml", .line = 1};
    fx->err[0] = (kvet_error){.file = (char *)"rules/t.kvet", .line = 7, .col = 9,
                              .message = (char *)"int(): cannot convert \"x\" <bad>"};
    fx->err[1] = (kvet_error){.file = NULL, .message = (char *)"no file\nat all"};

    kvet_result *r = &fx->result;
    r->resources = fx->res;
    r->nresources = 4;
    r->errors = fx->err;
    r->nerrors = 2;
    r->nrules = 3;
    r->findings[KVET_SEV_INFO] = 1;
    r->findings[KVET_SEV_WARNING] = 1;
    r->findings[KVET_SEV_ERROR] = 2;

    fx->opts.fail_level = KVET_SEV_ERROR;
    fx->opts.pack = fx->pack;
}

static void fixture_free(fixture *fx)
{
    kvet_pack_free(fx->pack);
    kvet_ctx_free(fx->ctx);
}

typedef int (*reporter)(kv_buf *, const kvet_result *, const report_opts *);

static char *render(reporter fn, const kvet_result *res, const report_opts *o)
{
    kv_buf b;
    kv_buf_init(&b);
    ck_assert_int_eq(fn(&b, res, o), 0);
    ck_assert(!b.oom);
    char *s = b.data ? b.data : strdup("");
    return s;
}

#define contains(hay, needle) ck_assert_msg(strstr((hay), (needle)) != NULL, "expected\n%s\nin\n%s", (needle), (hay))
#define lacks(hay, needle) ck_assert_msg(strstr((hay), (needle)) == NULL, "did not expect\n%s\nin\n%s", (needle), (hay))

static size_t count_of(const char *hay, const char *needle)
{
    size_t n = 0;
    for (const char *p = strstr(hay, needle); p; p = strstr(p + 1, needle))
        n++;
    return n;
}

/* ------------------------------------------------------------ helpers */

START_TEST(helpers_utf8_and_glob)
{
    uint32_t cp = 0;
    ck_assert_uint_eq(kv_utf8_decode("\xC3\xA9", 2, &cp), 2);
    ck_assert_uint_eq(cp, 0xE9);
    ck_assert_uint_eq(kv_utf8_decode("\xF0\x9F\x98\x80", 4, &cp), 4);
    ck_assert_uint_eq(cp, 0x1F600);
    ck_assert_uint_eq(kv_utf8_decode("\xC0\x80", 2, &cp), 0);         /* overlong NUL */
    ck_assert_uint_eq(kv_utf8_decode("\xED\xA0\x80", 3, &cp), 0);     /* surrogate */
    ck_assert_uint_eq(kv_utf8_decode("\xF4\x90\x80\x80", 4, &cp), 0); /* past U+10FFFF */
    ck_assert_uint_eq(kv_utf8_decode("\xE2\x82", 2, &cp), 0);         /* truncated */
    ck_assert_uint_eq(kv_utf8_decode("\x80", 1, &cp), 0);             /* continuation byte */

    /* the shared `*` glob of apiVersion patterns and waiver rule ids */
    ck_assert(kv_glob_match("serving.kubeflow.org/*", "serving.kubeflow.org/v1alpha2", 29));
    ck_assert(!kv_glob_match("serving.kubeflow.org/*", "serving.kserve.io/v1alpha1", 26));
    ck_assert(kv_glob_match("*/v*", "x/v1", 4));
    ck_assert(!kv_glob_match("*/v*", "x/w1", 4));
    ck_assert(kv_glob_match("KS-*-0*", "KS-HPA-002", 10));
    /* the text before the first '*', and a pattern without one, compared at once */
    ck_assert(kv_glob_match("apps/v1", "apps/v1", 7));
    ck_assert(!kv_glob_match("apps/v1", "apps/v1beta1", 12));
    ck_assert(!kv_glob_match("apps/v1beta1", "apps/v1", 7));
    ck_assert(!kv_glob_match("keda.sh/*", "keda.s", 6));
    ck_assert(kv_glob_match("keda.sh/*", "keda.sh/", 8));
    ck_assert(kv_glob_match("a*b*", "aXbY", 4));
    ck_assert(!kv_glob_match("a*b", "aXbY", 4));
    ck_assert(!kv_glob_match("KS-*", "KN-HPA-002", 10));
    ck_assert(kv_glob_match("a*", "abc", 1)); /* only the first n bytes count */
    ck_assert(!kv_glob_match("abc", "abc", 2));

    kv_buf b;
    kv_buf_init(&b);
    /* JSON strings: plain runs, every escape, UTF-8 kept, bad bytes replaced */
    const char raw[] = "ab\"c\\d\n\t\r\x01\x7f \xC3\xA9 \xFF" "end";
    kv_buf_json_string(&b, raw, sizeof raw - 1);
    ck_assert_str_eq(b.data, "\"ab\\\"c\\\\d\\n\\t\\r\\u0001\\u007f \xC3\xA9 \\ufffdend\"");
    b.len = 0;
    kv_buf_json_string(&b, "", 0);
    ck_assert_str_eq(b.data, "\"\"");
    b.len = 0;
    /* printf past the short-text buffer formats the whole text */
    kv_buf_printf(&b, "%s-%0300d", "x", 7);
    ck_assert_uint_eq(b.len, 302);
    ck_assert(b.data[0] == 'x' && b.data[301] == '7' && b.data[300] == '0');
    b.len = 0;
    /* eight bytes are checked at a time: a byte to escape (or UTF-8) at any
     * place of a longer string is still found */
    {
        const char *odd[] = {"\"", "\\", "\n", "\x7f", "\xc3\xa9", "\xff"};
        const char *esc[] = {"\\\"", "\\\\", "\\n", "\\u007f", "\xc3\xa9", "\\ufffd"};
        for (size_t k = 0; k < sizeof odd / sizeof odd[0]; k++)
            for (size_t at = 0; at < 20; at++) {
                char in[40], want[64];
                memset(in, 'a', at);
                size_t ol = strlen(odd[k]);
                memcpy(in + at, odd[k], ol);
                memset(in + at + ol, 'z', 20 - at);
                size_t n = at + ol + 20 - at;
                snprintf(want, sizeof want, "\"%.*s%s%.*s\"", (int)at, in, esc[k], (int)(20 - at), in + at + ol);
                b.len = 0;
                kv_buf_json_string(&b, in, n);
                ck_assert_str_eq(b.data, want);
            }
    }
    b.len = 0;
    /* a string with nothing to escape, after text, in one copy */
    kv_buf_puts(&b, "x=");
    kv_buf_json_string(&b, "plain text", 10);
    ck_assert_str_eq(b.data, "x=\"plain text\"");
    ck_assert_uint_eq(b.len, 14);
    b.len = 0;
    /* the fewest digits that read back as the same double */
    {
        const double d[] = {0.1, 1.0 / 3, 2.0, 33.333333333333336, 1e-5, 1e16, 123.456, -0.7, 5e-324};
        const char *want[] = {"0.1", "0.3333333333333333", "2.0", "33.333333333333336", "1e-05", "1e+16",
                              "123.456", "-0.7", "5e-324"};
        char num[32];
        for (size_t i = 0; i < sizeof d / sizeof d[0]; i++) {
            kv_format_double(num, d[i]);
            ck_assert_str_eq(num, want[i]);
        }
    }
    /* decimals as printf writes them, at the edges of the range */
    kv_buf_put_uint(&b, 0);
    kv_buf_putc(&b, ' ');
    kv_buf_put_uint(&b, 7);
    kv_buf_putc(&b, ' ');
    kv_buf_put_uint(&b, 1000);
    kv_buf_putc(&b, ' ');
    kv_buf_put_uint(&b, UINT32_MAX);
    kv_buf_putc(&b, ' ');
    kv_buf_put_uint(&b, UINT64_MAX);
    kv_buf_putc(&b, ' ');
    kv_buf_put_int(&b, -42);
    kv_buf_putc(&b, ' ');
    kv_buf_put_int(&b, INT64_MIN);
    kv_buf_putc(&b, ' ');
    kv_buf_put_int(&b, INT64_MAX);
    ck_assert_str_eq(b.data, "0 7 1000 4294967295 18446744073709551615 -42 -9223372036854775808 "
                             "9223372036854775807");
    b.len = 0;
    for (int i = 0; i < 1000; i++)
        kv_buf_putc(&b, (char)('a' + i % 26));
    ck_assert_uint_eq(b.len, 1000);
    ck_assert(b.data[999] == 'a' + 999 % 26 && b.data[1000] == '\0');
    b.len = 0;
    cli_literal_text(&b, "\"set \\\"a\\\" to {s.a}\\n\"");
    ck_assert_str_eq(b.data, "set \"a\" to {s.a}\n");
    b.len = 0;
    cli_literal_text(&b, "'raw \\d'");
    ck_assert_str_eq(b.data, "raw \\d");
    b.len = 0;
    cli_literal_text(&b, "already plain");
    ck_assert_str_eq(b.data, "already plain");
    kv_buf_free(&b);
}
END_TEST

/* ------------------------------------------------------------ SARIF */

static const cJSON *get(const cJSON *o, const char *path)
{
    /* dotted path; a number selects an array element */
    char buf[256];
    snprintf(buf, sizeof buf, "%s", path);
    const cJSON *cur = o;
    for (char *tok = strtok(buf, "."); tok && cur; tok = strtok(NULL, ".")) {
        if (tok[0] >= '0' && tok[0] <= '9')
            cur = cJSON_GetArrayItem(cur, atoi(tok));
        else
            cur = cJSON_GetObjectItemCaseSensitive(cur, tok);
    }
    ck_assert_msg(cur != NULL, "no %s in the SARIF log", path);
    return cur;
}

static const char *gets(const cJSON *o, const char *path)
{
    const cJSON *v = get(o, path);
    ck_assert_msg(cJSON_IsString(v), "%s is not a string", path);
    return v->valuestring;
}

static int geti(const cJSON *o, const char *path)
{
    const cJSON *v = get(o, path);
    ck_assert_msg(cJSON_IsNumber(v), "%s is not a number", path);
    return v->valueint;
}

/* The shortest text of a double the slow way: printf with 0, 1, ... 17
 * digits until one reads back, as kv_format_double is specified. */
static void format_double_by_printf(char out[32], double d)
{
    double a = fabs(d);
    bool plain = a >= 1e-4 && a < 1e16;
    int digits = plain ? 0 : 1;
    for (; digits < 17; digits++) {
        snprintf(out, 32, plain ? "%.*f" : "%.*g", digits, d);
        if (strtod(out, NULL) == d)
            break;
    }
    snprintf(out, 32, plain ? "%.*f" : "%.*g", digits, d);
    if (!strpbrk(out, ".eEn"))
        strcat(out, ".0");
}

/* Numbers of up to three fraction digits are written without printf: the
 * text is still printf's, digit for digit, including next to where one
 * more digit is needed and around the 1e9 where that way stops. */
START_TEST(format_double_matches_printf)
{
    char got[32], want[32];
    const double edge[] = {0.0, -0.0, 1e-4, 0.001, 0.0015, 0.9995, 0.05, -0.05, 0.125, 2.675, 1.005,
                           999999999.999, 999999999.9999, 1e9, 1e9 + 0.5, 123456789.125, 4503599627370496.0,
                           0.1 + 0.2, 1.0 / 3, -37.8, 17.5, 60.0, 1e15, 9999999999999998.0, 0.7 * 17,
                           54 * 0.7, 1e15 + 0.25, 12345.678901234567, 1.0000000000000002, 9.999999999999998,
                           999.9999999999999, 99999.99999999999, 9999999.999999998, 1e15 - 0.125};
    for (size_t i = 0; i < sizeof edge / sizeof edge[0]; i++) {
        kv_format_double(got, edge[i]);
        format_double_by_printf(want, edge[i]);
        ck_assert_msg(!strcmp(got, want), "%.17g: %s, printf %s", edge[i], got, want);
    }
    /* decimals of 0 to 5 fraction digits, their neighbours one step away,
     * products of two short decimals (most need 16 or 17 digits), and
     * arbitrary bit patterns of the plain range */
    uint64_t x = 88172645463325252ull;
    for (int i = 0; i < 50000; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        double d;
        switch (i % 4) {
        case 0:
            d = (double)(int64_t)(x % 2000000000001ull - 1000000000000ll) / pow(10, (double)((x >> 60) % 6));
            break;
        case 1:
            d = nextafter((double)(x % 100000000ull) / pow(10, (double)((x >> 61) % 4)), (x & 1) ? 1e300 : -1e300);
            break;
        case 2: d = (double)(x % 1000) / 100 * ((double)((x >> 20) % 100000) / 10); break;
        default: memcpy(&d, &x, sizeof d); d = fmod(fabs(d), 2e9) * ((x >> 63) ? -1 : 1); break;
        }
        if (!isfinite(d))
            continue;
        kv_format_double(got, d);
        format_double_by_printf(want, d);
        ck_assert_msg(!strcmp(got, want), "%.17g: %s, printf %s", d, got, want);
    }
}
END_TEST

/* A report streamed to a file: written in pieces, it is the same bytes as
 * the whole, appears only on commit, and an aborted one leaves nothing. */
START_TEST(buf_streams_to_file)
{
    char dir[] = "/tmp/kvet-stream-XXXXXX";
    ck_assert_ptr_nonnull(mkdtemp(dir));
    char path[64];
    snprintf(path, sizeof path, "%s/report.json", dir);
    kv_buf whole, out;
    kv_buf_init(&whole);
    kv_buf_init(&out);
    kvet_atomic_file *sink = kvet_atomic_open(path);
    ck_assert_ptr_nonnull(sink);
    out.sink = cli_sink_write;
    out.sink_arg = sink;
    for (int i = 0; i < 200000; i++) {
        kv_buf_printf(&whole, "{\"item\": %d}\n", i);
        kv_buf_printf(&out, "{\"item\": %d}\n", i);
    }
    ck_assert_uint_gt(whole.len, 3u << 20);
    ck_assert_uint_lt(out.cap, 2u << 20); /* never held whole */
    FILE *f = fopen(path, "rb");
    ck_assert_ptr_null(f); /* not there before the commit */
    ck_assert_int_eq(cli_buf_commit(&out, sink), 0);
    f = fopen(path, "rb");
    ck_assert_ptr_nonnull(f);
    char *got = malloc(whole.len + 1);
    ck_assert_uint_eq(fread(got, 1, whole.len + 1, f), whole.len);
    fclose(f);
    ck_assert(memcmp(got, whole.data, whole.len) == 0);
    free(got);
    kv_buf_free(&out);
    /* aborted: the committed file stays as it was, no temporary file is left */
    kv_buf_init(&out);
    sink = kvet_atomic_open(path);
    out.sink = cli_sink_write;
    out.sink_arg = sink;
    kv_buf_puts(&out, "partial");
    kvet_atomic_abort(sink);
    kv_buf_free(&out);
    char cmd[200];
    snprintf(cmd, sizeof cmd, "test $(ls '%s' | wc -l) = 1 && test $(wc -c < '%s') = %zu", dir, path, whole.len);
    ck_assert_int_eq(system(cmd), 0);
    kv_buf_free(&whole);
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    ck_assert_int_eq(system(cmd), 0);
}
END_TEST

/* Appending a file's bytes from its offset on: between files the kernel
 * copies them, from a pipe they are read and written. */
START_TEST(atomic_file_copies_from_fd)
{
    char dir[] = "/tmp/kvet-copy-XXXXXX";
    ck_assert_ptr_nonnull(mkdtemp(dir));
    char src[64], path[64];
    snprintf(src, sizeof src, "%s/spill", dir);
    snprintf(path, sizeof path, "%s/report.json", dir);
    kv_buf body;
    kv_buf_init(&body);
    for (int i = 0; i < 150000; i++)
        kv_buf_printf(&body, "{\"item\": %d}\n", i);
    FILE *f = fopen(src, "wb");
    ck_assert_uint_eq(fwrite(body.data, 1, body.len, f), body.len);
    fclose(f);
    int fd = open(src, O_RDONLY);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(lseek(fd, 10, SEEK_SET), 10);
    kvet_atomic_file *sink = kvet_atomic_open(path);
    ck_assert_ptr_nonnull(sink);
    ck_assert_int_eq(kvet_atomic_write(sink, "head", 4), 0);
    ck_assert_int_eq(kvet_atomic_copy_fd(sink, fd), 0);
    ck_assert_int_eq(kvet_atomic_write(sink, "tail", 4), 0);
    ck_assert_int_eq(kvet_atomic_commit(sink), 0);
    close(fd);
    size_t want = 4 + body.len - 10 + 4;
    char *got = malloc(want + 1);
    f = fopen(path, "rb");
    ck_assert_uint_eq(fread(got, 1, want + 1, f), want);
    fclose(f);
    ck_assert(memcmp(got, "head", 4) == 0);
    ck_assert(memcmp(got + 4, body.data + 10, body.len - 10) == 0);
    ck_assert(memcmp(got + want - 4, "tail", 4) == 0);
    free(got);
    int p[2];
    ck_assert_int_eq(pipe(p), 0);
    ck_assert_int_eq(write(p[1], "from a pipe\n", 12), 12);
    close(p[1]);
    sink = kvet_atomic_open(path);
    ck_assert_int_eq(kvet_atomic_copy_fd(sink, p[0]), 0);
    ck_assert_int_eq(kvet_atomic_commit(sink), 0);
    close(p[0]);
    char small[32] = {0};
    f = fopen(path, "rb");
    ck_assert_uint_eq(fread(small, 1, sizeof small, f), 12);
    fclose(f);
    ck_assert_str_eq(small, "from a pipe\n");
    kv_buf_free(&body);
    char cmd[200];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    ck_assert_int_eq(system(cmd), 0);
}
END_TEST

START_TEST(sarif_document)
{
    fixture fx;
    fixture_init(&fx);
    char *s = render(report_sarif, &fx.result, &fx.opts);
    cJSON *log = cJSON_Parse(s);
    ck_assert_msg(log != NULL, "SARIF does not parse:\n%s", s);
    ck_assert_str_eq(gets(log, "version"), "2.1.0");
    ck_assert_str_eq(gets(log, "$schema"), "https://json.schemastore.org/sarif-2.1.0.json");
    ck_assert_int_eq(cJSON_GetArraySize(get(log, "runs")), 1);
    const cJSON *run = get(log, "runs.0");
    ck_assert_str_eq(gets(run, "tool.driver.name"), "kvet");
    ck_assert_str_eq(gets(run, "tool.driver.version"), kvet_version());
    ck_assert_str_eq(gets(run, "tool.driver.informationUri"), "https://github.com/kvet-dev/kvet");

    /* every rule of the pack, in pack order */
    ck_assert_int_eq(cJSON_GetArraySize(get(run, "tool.driver.rules")), 3);
    ck_assert_str_eq(gets(run, "tool.driver.rules.0.id"), "T-ERR");
    ck_assert_str_eq(gets(run, "tool.driver.rules.0.name"), "error rule, strict: yes");
    ck_assert_str_eq(gets(run, "tool.driver.rules.0.shortDescription.text"), "error rule, strict: yes");
    ck_assert_str_eq(gets(run, "tool.driver.rules.0.fullDescription.text"), "Why errors matter.");
    ck_assert_str_eq(gets(run, "tool.driver.rules.0.help.text"), "set \"a\" to {s.a}");
    ck_assert_str_eq(gets(run, "tool.driver.rules.0.helpUri"), "https://example.com/err");
    ck_assert_str_eq(gets(run, "tool.driver.rules.0.defaultConfiguration.level"), "error");
    ck_assert(cJSON_IsTrue(get(run, "tool.driver.rules.0.defaultConfiguration.enabled")));
    ck_assert_str_eq(gets(run, "tool.driver.rules.0.properties.pack"), "test.reports");
    ck_assert_str_eq(gets(run, "tool.driver.rules.0.properties.appliesTo"), "Service serving.knative.dev/*");
    ck_assert_str_eq(gets(run, "tool.driver.rules.1.defaultConfiguration.level"), "warning");
    /* no doc, no remedy: the title stands in */
    ck_assert_str_eq(gets(run, "tool.driver.rules.1.help.text"), "warning rule");
    ck_assert(cJSON_GetObjectItemCaseSensitive(get(run, "tool.driver.rules.1"), "helpUri") == NULL);
    ck_assert_str_eq(gets(run, "tool.driver.rules.2.id"), "T-INFO");
    ck_assert_str_eq(gets(run, "tool.driver.rules.2.defaultConfiguration.level"), "note");

    /* results: one per finding, in order */
    ck_assert_int_eq(cJSON_GetArraySize(get(run, "results")), 4);
    ck_assert_str_eq(gets(run, "results.0.ruleId"), "T-ERR");
    ck_assert_int_eq(geti(run, "results.0.ruleIndex"), 0);
    ck_assert_str_eq(gets(run, "results.0.level"), "error");
    ck_assert_str_eq(gets(run, "results.0.message.text"), HOSTILE);
    ck_assert_str_eq(gets(run, "results.0.locations.0.physicalLocation.artifactLocation.uri"),
                     "deploy/app%3Av1%2Cx.yaml");
    ck_assert_int_eq(geti(run, "results.0.locations.0.physicalLocation.region.startLine"), 9);
    ck_assert_int_eq(geti(run, "results.0.locations.0.physicalLocation.region.startColumn"), 5);
    ck_assert_str_eq(gets(run, "results.0.properties.resource.apiVersion"), "serving.knative.dev/v1");
    ck_assert_str_eq(gets(run, "results.0.properties.resource.kind"), "Service");
    ck_assert_str_eq(gets(run, "results.0.properties.resource.namespace"), "demo");
    ck_assert_str_eq(gets(run, "results.0.properties.resource.name"), "web");
    ck_assert_int_eq(geti(run, "results.2.ruleIndex"), 1);
    ck_assert_str_eq(gets(run, "results.2.level"), "warning");
    /* a finding without its own file points at its resource's */
    ck_assert_str_eq(gets(run, "results.2.locations.0.physicalLocation.artifactLocation.uri"),
                     "deploy/app%3Av1%2Cx.yaml");
    ck_assert_str_eq(gets(run, "results.3.level"), "note");
    ck_assert_int_eq(geti(run, "results.3.ruleIndex"), 2);
    /* "./" dropped, the space percent-encoded */
    ck_assert_str_eq(gets(run, "results.3.locations.0.physicalLocation.artifactLocation.uri"), "deploy/hpa%201.yaml");
    ck_assert_str_eq(gets(run, "results.3.properties.resource.name"), "");

    /* fingerprints: 16 hex digits; a repeated rule on one resource differs */
    const char *fp0 = gets(run, "results.0.partialFingerprints.kvetResource/v1");
    const char *fp1 = gets(run, "results.1.partialFingerprints.kvetResource/v1");
    const char *fp2 = gets(run, "results.2.partialFingerprints.kvetResource/v1");
    ck_assert_uint_eq(strlen(fp0), 16);
    ck_assert_uint_eq(strspn(fp0, "0123456789abcdef"), 16);
    ck_assert_str_ne(fp0, fp1);
    ck_assert_str_ne(fp0, fp2);

    /* evaluation errors: notifications, the run did not fully succeed */
    ck_assert(cJSON_IsFalse(get(run, "invocations.0.executionSuccessful")));
    ck_assert_int_eq(cJSON_GetArraySize(get(run, "invocations.0.toolExecutionNotifications")), 2);
    ck_assert_str_eq(gets(run, "invocations.0.toolExecutionNotifications.0.level"), "error");
    ck_assert_str_eq(gets(run, "invocations.0.toolExecutionNotifications.0.message.text"),
                     "int(): cannot convert \"x\" <bad>");
    ck_assert_str_eq(gets(run, "invocations.0.toolExecutionNotifications.0.locations.0.physicalLocation."
                               "artifactLocation.uri"), "rules/t.kvet");
    ck_assert(cJSON_GetObjectItemCaseSensitive(get(run, "invocations.0.toolExecutionNotifications.1"),
                                               "locations") == NULL);
    /* no timestamps */
    lacks(s, "Utc");
    char saved0[17];
    snprintf(saved0, sizeof saved0, "%s", fp0);
    cJSON_Delete(log);

    /* the fingerprint ignores where the finding is and follows the resource */
    fx.f_web[0].line = 90;
    fx.f_web[0].col = 1;
    fx.f_web[0].message = (char *)"other text";
    fx.res[0].line = 80;
    char *moved = render(report_sarif, &fx.result, &fx.opts);
    contains(moved, saved0);
    fx.res[0].name = "web2";
    char *renamed = render(report_sarif, &fx.result, &fx.opts);
    lacks(renamed, saved0);

    /* the same input gives the same bytes */
    char *again = render(report_sarif, &fx.result, &fx.opts);
    ck_assert_str_eq(renamed, again);
    free(s);
    free(moved);
    free(renamed);
    free(again);
    fixture_free(&fx);
}
END_TEST

START_TEST(sarif_without_pack_and_empty)
{
    fixture fx;
    fixture_init(&fx);
    /* without a pack the rules come from the findings */
    fx.opts.pack = NULL;
    char *s = render(report_sarif, &fx.result, &fx.opts);
    cJSON *log = cJSON_Parse(s);
    ck_assert_ptr_nonnull(log);
    ck_assert_int_eq(cJSON_GetArraySize(get(log, "runs.0.tool.driver.rules")), 3);
    ck_assert_str_eq(gets(log, "runs.0.tool.driver.rules.1.id"), "T-WARN");
    ck_assert_int_eq(geti(log, "runs.0.results.3.ruleIndex"), 2);
    cJSON_Delete(log);
    free(s);

    /* an empty result is still a valid log, and invalid UTF-8 becomes U+FFFD */
    kvet_result empty;
    memset(&empty, 0, sizeof empty);
    s = render(report_sarif, &empty, &fx.opts);
    log = cJSON_Parse(s);
    ck_assert_ptr_nonnull(log);
    ck_assert_int_eq(cJSON_GetArraySize(get(log, "runs.0.results")), 0);
    ck_assert_int_eq(cJSON_GetArraySize(get(log, "runs.0.tool.driver.rules")), 0);
    ck_assert(cJSON_IsTrue(get(log, "runs.0.invocations.0.executionSuccessful")));
    cJSON_Delete(log);
    free(s);

    fx.opts.pack = fx.pack;
    fx.f_web[0].message = (char *)"bad \xff byte";
    fx.res[1].file = "/abs/dir/x.yaml";
    fx.f_hpa[0].file = NULL;
    s = render(report_sarif, &fx.result, &fx.opts);
    contains(s, "\"bad \\ufffd byte\"");
    contains(s, "\"uri\": \"file:///abs/dir/x.yaml\"");
    log = cJSON_Parse(s);
    ck_assert_ptr_nonnull(log);
    cJSON_Delete(log);
    free(s);
    fixture_free(&fx);
}
END_TEST

/* ------------------------------------------------------------ JUnit */

/* Well-formedness, simply: tags balance, attribute values are quoted and
 * hold no '<', every '&' starts a known reference, and no character XML 1.0
 * forbids appears.  Returns NULL or what is wrong. */
static const char *xml_problem(const char *s)
{
    static char why[200];
    const char *stack[64];
    size_t depth = 0, lens[64];
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if (*p < 0x20 && *p != '\n' && *p != '\r' && *p != '\t')
            return "a control character";
    const char *p = s;
    if (strncmp(p, "<?xml ", 6) != 0)
        return "no XML declaration";
    p = strstr(p, "?>");
    if (!p)
        return "unterminated declaration";
    p += 2;
    bool root_seen = false;
    while (*p) {
        if (*p == '&') {
            static const char *const refs[] = {"&amp;", "&lt;", "&gt;", "&quot;", "&apos;", "&#9;", "&#10;", "&#13;"};
            bool ok = false;
            for (size_t i = 0; i < sizeof refs / sizeof refs[0]; i++)
                if (!strncmp(p, refs[i], strlen(refs[i])))
                    ok = true;
            if (!ok)
                return "a bare &";
            p++;
            continue;
        }
        if (*p == '>')
            return "a bare > in text";
        if (*p != '<') {
            if (!depth && *p != '\n' && *p != ' ')
                return "text outside the root element";
            p++;
            continue;
        }
        if (p[1] == '/') {
            const char *name = p + 2;
            size_t n = strcspn(name, ">");
            if (!depth || n != lens[depth - 1] || strncmp(name, stack[depth - 1], n) != 0) {
                snprintf(why, sizeof why, "mismatched </%.*s>", (int)n, name);
                return why;
            }
            depth--;
            p = name + n + 1;
            continue;
        }
        const char *name = p + 1;
        size_t n = strcspn(name, " />");
        if (!n)
            return "an empty tag name";
        const char *q = name + n;
        /* attributes: name="value" */
        for (;;) {
            while (*q == ' ')
                q++;
            if (*q == '>' || (q[0] == '/' && q[1] == '>'))
                break;
            size_t an = strcspn(q, "=");
            if (q[an] != '=' || q[an + 1] != '"')
                return "an unquoted attribute";
            const char *v = q + an + 2;
            const char *end = strchr(v, '"');
            if (!end)
                return "an unterminated attribute";
            for (const char *c = v; c < end; c++) {
                if (*c == '<')
                    return "< in an attribute";
                if (*c == '&') {
                    bool ok = !strncmp(c, "&amp;", 5) || !strncmp(c, "&lt;", 4) || !strncmp(c, "&gt;", 4) ||
                              !strncmp(c, "&quot;", 6) || !strncmp(c, "&#10;", 5) || !strncmp(c, "&#9;", 4) ||
                              !strncmp(c, "&#13;", 5);
                    if (!ok)
                        return "a bare & in an attribute";
                }
            }
            q = end + 1;
        }
        if (!depth && root_seen)
            return "a second root element";
        root_seen = true;
        if (*q == '/') {
            p = q + 2;
        } else {
            if (depth == 64)
                return "too deep";
            stack[depth] = name;
            lens[depth++] = n;
            p = q + 1;
        }
    }
    if (depth)
        return "unclosed elements";
    return root_seen ? NULL : "no root element";
}

START_TEST(junit_document)
{
    fixture fx;
    fixture_init(&fx);
    char *s = render(report_junit, &fx.result, &fx.opts);
    const char *why = xml_problem(s);
    ck_assert_msg(why == NULL, "JUnit XML is not well-formed (%s):\n%s", why, s);
    ck_assert(!strncmp(s, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n", 39));
    /* T-ERR and T-WARN apply to the two Services, T-INFO to the HPA; the
     * ConfigMap to none; the errors come from two files */
    contains(s, "<testsuites name=\"kvet\" tests=\"7\" failures=\"1\" errors=\"2\" skipped=\"2\">\n");
    contains(s, "  <testsuite name=\"T-ERR\" tests=\"2\" failures=\"1\" errors=\"0\" skipped=\"1\">\n");
    contains(s, "  <testsuite name=\"T-WARN\" tests=\"2\" failures=\"0\" errors=\"0\" skipped=\"1\">\n");
    contains(s, "  <testsuite name=\"T-INFO\" tests=\"1\" failures=\"0\" errors=\"0\" skipped=\"0\">\n");
    lacks(s, "ConfigMap");
    /* the failing case: both T-ERR findings, the first in the message */
    contains(s, "    <testcase name=\"Service demo/web\" classname=\"T-ERR\" file=\"deploy/app:v1,x.yaml\" "
                "line=\"3\">\n"
                "      <failure message=\"max &lt;2&gt; &amp; &quot;q&quot; | pipe&#10;next %0A: a,b #1 @bob "
                "\xEF\xBF\xBD \xC3\xA9 (and 1 more)\" type=\"error\">"
                "deploy/app:v1,x.yaml:9:5: error: max &lt;2&gt; &amp; \"q\" | pipe\nnext %0A: a,b #1 @bob "
                "\xEF\xBF\xBD \xC3\xA9 [T-ERR]\nfix: set a to 2\nsee: https://example.com/err\n"
                "deploy/app:v1,x.yaml:10:7: error: second [T-ERR]\n</failure>\n    </testcase>\n");
    /* below the fail level: a passing case with the finding in system-out */
    contains(s, "    <testcase name=\"Service demo/web\" classname=\"T-WARN\" file=\"deploy/app:v1,x.yaml\" "
                "line=\"3\">\n      <system-out>deploy/app:v1,x.yaml:4:3: warning: b is 1 [T-WARN]\n"
                "</system-out>\n    </testcase>\n");
    /* not evaluated: skipped */
    contains(s, "    <testcase name=\"Service demo/api\" classname=\"T-ERR\" file=\"deploy/app:v1,x.yaml\" "
                "line=\"20\">\n      <skipped message=\"the rule failed on the resource; see the "
                "evaluation errors\"/>\n    </testcase>\n");
    contains(s, "<testcase name=\"HorizontalPodAutoscaler (unnamed)\" classname=\"T-INFO\" "
                "file=\"./deploy/hpa 1.yaml\" line=\"1\">");
    /* errors: a test case per file */
    contains(s, "  <testsuite name=\"kvet evaluation errors\" tests=\"2\" failures=\"0\" errors=\"2\" "
                "skipped=\"0\">\n"
                "    <testcase name=\"rules/t.kvet\" classname=\"kvet\" file=\"rules/t.kvet\">\n"
                "      <error message=\"int(): cannot convert &quot;x&quot; &lt;bad&gt;\" type=\"evaluation\">"
                "rules/t.kvet:7:9: error: int(): cannot convert \"x\" &lt;bad&gt;\n</error>\n");
    contains(s, "<testcase name=\"(no file)\" classname=\"kvet\">\n      <error message=\"no file&#10;at all\" "
                "type=\"evaluation\">error: no file\nat all\n</error>");
    ck_assert(strcmp(s + strlen(s) - 14, "</testsuites>\n") == 0);
    free(s);

    /* --fail-level info: every finding fails */
    fx.opts.fail_level = KVET_SEV_INFO;
    s = render(report_junit, &fx.result, &fx.opts);
    contains(s, "<testsuites name=\"kvet\" tests=\"7\" failures=\"3\" errors=\"2\" skipped=\"2\">");
    contains(s, "<failure message=\"b is 1\" type=\"warning\">");
    contains(s, "<failure message=\"c is 1\" type=\"info\">");
    lacks(s, "<system-out>");
    ck_assert_ptr_null(xml_problem(s));
    free(s);

    /* --fail-level never: nothing fails */
    fx.opts.fail_never = true;
    s = render(report_junit, &fx.result, &fx.opts);
    contains(s, "failures=\"0\" errors=\"2\"");
    lacks(s, "<failure");
    free(s);

    /* an empty result and hostile rule ids still give well-formed XML */
    kvet_result empty;
    memset(&empty, 0, sizeof empty);
    fx.opts.pack = NULL;
    s = render(report_junit, &empty, &fx.opts);
    ck_assert_str_eq(s, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                        "<testsuites name=\"kvet\" tests=\"0\" failures=\"0\" errors=\"0\" skipped=\"0\">\n"
                        "</testsuites>\n");
    free(s);
    fx.f_hpa[0].rule = "<x&\"y\">\x02";
    fx.f_hpa[0].message = (char *)"bad \xff\xfe byte \xEF\xBF\xBE";
    fx.opts.fail_never = false;
    s = render(report_junit, &fx.result, &fx.opts);
    ck_assert_msg(xml_problem(s) == NULL, "%s", xml_problem(s));
    contains(s, "<testsuite name=\"&lt;x&amp;&quot;y&quot;&gt;\xEF\xBF\xBD\"");
    contains(s, "bad \xEF\xBF\xBD\xEF\xBF\xBD byte \xEF\xBF\xBD [&lt;x&amp;\"y\"&gt;\xEF\xBF\xBD]");
    free(s);
    fixture_free(&fx);
}
END_TEST

START_TEST(junit_checker_rejects)
{
    /* the checker itself must catch what it is there to catch */
    ck_assert_str_eq(xml_problem("<?xml version=\"1.0\"?>\n<a><b></a></b>"), "mismatched </a>");
    ck_assert_str_eq(xml_problem("<?xml version=\"1.0\"?>\n<a>x & y</a>"), "a bare &");
    ck_assert_str_eq(xml_problem("<?xml version=\"1.0\"?>\n<a b=\"<\"/>"), "< in an attribute");
    ck_assert_str_eq(xml_problem("<?xml version=\"1.0\"?>\n<a>\x01</a>"), "a control character");
    ck_assert_str_eq(xml_problem("<?xml version=\"1.0\"?>\n<a>"), "unclosed elements");
    ck_assert_ptr_null(xml_problem("<?xml version=\"1.0\"?>\n<a b=\"&amp;\"><c/>t</a>\n"));
}
END_TEST

/* ------------------------------------------------------------ TAP */

START_TEST(tap_document)
{
    fixture fx;
    fixture_init(&fx);
    char *s = render(report_tap, &fx.result, &fx.opts);
    ck_assert_str_eq(
        s,
        "TAP version 14\n"
        "1..6\n"
        "not ok 1 - Service demo/web (deploy/app:v1,x.yaml:3)\n"
        "  ---\n"
        "  severity: error\n"
        "  rule: \"T-ERR\"\n"
        "  title: \"error rule, strict: yes\"\n"
        "  file: \"deploy/app:v1,x.yaml\"\n"
        "  line: 9\n"
        "  column: 5\n"
        "  message: \"max <2> & \\\"q\\\" | pipe\\nnext %0A: a,b #1 @bob \\x01 \xC3\xA9\"\n"
        "  remedy: \"set a to 2\"\n"
        "  link: \"https://example.com/err\"\n"
        "  resource: {apiVersion: \"serving.knative.dev/v1\", kind: \"Service\", namespace: \"demo\", name: \"web\"}\n"
        "  findings:\n"
        "    - severity: error\n"
        "      rule: \"T-ERR\"\n"
        "      title: \"error rule, strict: yes\"\n"
        "      file: \"deploy/app:v1,x.yaml\"\n"
        "      line: 9\n"
        "      column: 5\n"
        "      message: \"max <2> & \\\"q\\\" | pipe\\nnext %0A: a,b #1 @bob \\x01 \xC3\xA9\"\n"
        "      remedy: \"set a to 2\"\n"
        "      link: \"https://example.com/err\"\n"
        "    - severity: error\n"
        "      rule: \"T-ERR\"\n"
        "      title: \"error rule, strict: yes\"\n"
        "      file: \"deploy/app:v1,x.yaml\"\n"
        "      line: 10\n"
        "      column: 7\n"
        "      message: \"second\"\n"
        "    - severity: warning\n"
        "      rule: \"T-WARN\"\n"
        "      title: \"warning rule\"\n"
        "      file: \"deploy/app:v1,x.yaml\"\n"
        "      line: 4\n"
        "      column: 3\n"
        "      message: \"b is 1\"\n"
        "  ...\n"
        "ok 2 - HorizontalPodAutoscaler (unnamed) (./deploy/hpa 1.yaml:1)\n"
        "  ---\n"
        "  severity: info\n"
        "  rule: \"T-INFO\"\n"
        "  title: \"info rule\"\n"
        "  file: \"./deploy/hpa 1.yaml\"\n"
        "  line: 2\n"
        "  column: 1\n"
        "  message: \"c is 1\"\n"
        "  resource: {apiVersion: \"autoscaling/v2\", kind: \"HorizontalPodAutoscaler\", namespace: \"\", name: \"\"}\n"
        "  ...\n"
        "ok 3 - Service demo/api (deploy/app:v1,x.yaml:20) # SKIP not fully evaluated, see the evaluation errors\n"
        "ok 4 - ConfigMap demo/cfg (deploy/cm.yaml:1)\n"
        "not ok 5 - evaluation error at rules/t.kvet:7:9\n"
        "  ---\n"
        "  severity: error\n"
        "  file: \"rules/t.kvet\"\n"
        "  line: 7\n"
        "  column: 9\n"
        "  message: \"int(): cannot convert \\\"x\\\" <bad>\"\n"
        "  ...\n"
        "not ok 6 - evaluation error\n"
        "  ---\n"
        "  severity: error\n"
        "  message: \"no file\\nat all\"\n"
        "  ...\n");
    free(s);

    /* --fail-level warning: the HPA's info finding still passes; a `#` in a
     * name is escaped so it does not start a directive */
    fx.opts.fail_level = KVET_SEV_WARNING;
    fx.res[3].name = "a#b\\c\nd";
    fx.res[3].not_evaluated = 0;
    s = render(report_tap, &fx.result, &fx.opts);
    contains(s, "ok 2 - HorizontalPodAutoscaler (unnamed)");
    contains(s, "\nok 4 - ConfigMap demo/a\\#b\\\\c d (deploy/cm.yaml:1)\n");
    free(s);

    /* YAML escapes for characters YAML does not take raw */
    fx.f_hpa[0].message = (char *)"nel \xC2\x85 ls \xE2\x80\xA8 bom \xEF\xBB\xBF bad \xff del \x7f";
    s = render(report_tap, &fx.result, &fx.opts);
    contains(s, "  message: \"nel \\u0085 ls \\u2028 bom \\uFEFF bad \\uFFFD del \\x7f\"\n");
    free(s);

    kvet_result empty;
    memset(&empty, 0, sizeof empty);
    s = render(report_tap, &empty, &fx.opts);
    ck_assert_str_eq(s, "TAP version 14\n1..0 # SKIP no resources to check\n");
    free(s);
    fixture_free(&fx);
}
END_TEST

/* ------------------------------------------------------------ GitHub */

START_TEST(github_commands)
{
    fixture fx;
    fixture_init(&fx);
    char *s = render(report_github, &fx.result, &fx.opts);
    ck_assert_str_eq(
        s,
        "::error file=deploy/app%3Av1%2Cx.yaml,line=9,col=5,title=T-ERR%3A error rule%2C strict%3A yes::"
        "max <2> & \"q\" | pipe%0Anext %250A: a,b #1 @bob \x01 \xC3\xA9%0AService demo/web%0Afix: set a to 2"
        "%0Asee: https://example.com/err\n"
        "::error file=deploy/app%3Av1%2Cx.yaml,line=10,col=7,title=T-ERR%3A error rule%2C strict%3A yes::"
        "second%0AService demo/web\n"
        "::warning file=deploy/app%3Av1%2Cx.yaml,line=4,col=3,title=T-WARN%3A warning rule::b is 1%0A"
        "Service demo/web\n"
        "::notice file=./deploy/hpa 1.yaml,line=2,col=1,title=T-INFO%3A info rule::c is 1%0A"
        "HorizontalPodAutoscaler (unnamed)\n"
        "::error file=rules/t.kvet,line=7,col=9,title=kvet evaluation error::int(): cannot convert \"x\" <bad>\n"
        "::error title=kvet evaluation error::no file%0Aat all\n");
    free(s);

    /* a carriage return cannot end the command early; unknown positions
     * are left out */
    fx.f_hpa[0].message = (char *)"a\r\n::error::forged";
    fx.f_hpa[0].line = 0;
    fx.f_hpa[0].col = 0;
    s = render(report_github, &fx.result, &fx.opts);
    contains(s, "::notice file=./deploy/hpa 1.yaml,title=T-INFO%3A info rule::a%0D%0A::error::forged%0A");
    ck_assert_uint_eq(count_of(s, "\n"), 6);
    free(s);

    kvet_result empty;
    memset(&empty, 0, sizeof empty);
    s = render(report_github, &empty, &fx.opts);
    ck_assert_str_eq(s, "");
    free(s);
    fixture_free(&fx);
}
END_TEST

/* ------------------------------------------------------------ Markdown */

START_TEST(markdown_report)
{
    fixture fx;
    fixture_init(&fx);
    char *s = render(report_markdown, &fx.result, &fx.opts);
    ck_assert(!strncmp(s, "## kvet report\n\n", 16));
    contains(s, "| errors | warnings | infos | resources | rules |\n|---:|---:|---:|---:|---:|\n"
                "| 2 | 1 | 1 | 4 | 3 |\n\n**2 evaluation errors: the results are incomplete.**\n");
    contains(s, "### Findings\n\n| severity | rule | resource | location | message |\n|---|---|---|---|---|\n");
    /* the table cannot be broken by the message */
    contains(s, "| error | T-ERR | Service demo/web | deploy/app:v1,x.yaml:9 | max \\<2\\> \\& \"q\" \\| pipe<br>"
                "next %0A: a,b #&#8203;1 @&#8203;bob \xEF\xBF\xBD \xC3\xA9 |\n");
    contains(s, "| warning | T-WARN | Service demo/web | deploy/app:v1,x.yaml:4 | b is 1 |\n");
    contains(s, "| info | T-INFO | HorizontalPodAutoscaler (unnamed) | ./deploy/hpa 1.yaml:2 | c is 1 |\n");
    contains(s, "\n### Evaluation errors\n\n- rules/t.kvet:7:9: int(): cannot convert \"x\" \\<bad\\>\n"
                "- no file<br>at all\n");
    lacks(s, "more finding");
    free(s);

    /* a clean run */
    kvet_result clean;
    memset(&clean, 0, sizeof clean);
    clean.nresources = 0;
    s = render(report_markdown, &clean, &fx.opts);
    ck_assert_str_eq(s, "## kvet report\n\n| errors | warnings | infos | resources | rules |\n"
                        "|---:|---:|---:|---:|---:|\n| 0 | 0 | 0 | 0 | 0 |\n\nNo findings.\n");
    free(s);
    fixture_free(&fx);
}
END_TEST

START_TEST(markdown_caps)
{
    fixture fx;
    fixture_init(&fx);
    /* 250 findings: 200 rows and a line for the rest */
    enum { N = 250 };
    kvet_finding *many = calloc(N, sizeof *many);
    for (size_t i = 0; i < N; i++)
        many[i] = (kvet_finding){.rule = "T-WARN", .severity = KVET_SEV_WARNING, .title = "w",
                                 .message = (char *)"short", .file = "f.yaml", .line = (uint32_t)i + 1, .col = 1};
    kvet_resource r = {.api_version = "v1", .kind = "Service", .ns = "", .name = "n", .file = "f.yaml",
                       .line = 1, .findings = many, .nfindings = N};
    kvet_result res;
    memset(&res, 0, sizeof res);
    res.resources = &r;
    res.nresources = 1;
    res.findings[KVET_SEV_WARNING] = N;
    char *s = render(report_markdown, &res, &fx.opts);
    ck_assert_uint_eq(count_of(s, "| warning | T-WARN |"), 200);
    contains(s, "| f.yaml:200 | short |\n\n... and 50 more findings (see the full report).\n");
    lacks(s, "f.yaml:201 ");
    free(s);

    /* long messages are cut on a character boundary; big tables stop early */
    char *big = malloc(2000);
    for (size_t i = 0; i < 1998; i += 2)
        memcpy(big + i, "\xC3\xA9", 2);
    big[1998] = '\0';
    for (size_t i = 0; i < N; i++)
        many[i].message = big;
    s = render(report_markdown, &res, &fx.opts);
    contains(s, "| \xC3\xA9\xC3\xA9");
    contains(s, "\xC3\xA9\xE2\x80\xA6 |\n");
    size_t rows = count_of(s, "| warning | T-WARN |");
    ck_assert_msg(rows < 200 && rows > 50, "%zu rows", rows);
    ck_assert_uint_lt(strlen(s), 64 * 1024);
    char tail[80];
    snprintf(tail, sizeof tail, "... and %zu more findings (see the full report).\n", (size_t)N - rows);
    contains(s, tail);
    free(s);
    free(big);

    /* the most severe findings are kept, not the first in the file: the
     * last finding is an error, one waived error comes after the open
     * warnings, and both infos go last */
    for (size_t i = 0; i < N; i++)
        many[i].message = (char *)"short";
    many[N - 1].severity = KVET_SEV_ERROR;
    many[N - 1].rule = "T-ERR";
    many[0].severity = KVET_SEV_INFO;
    many[0].rule = "T-INFO";
    kvet_waiver wv = {.rule = "T-ERR", .reason = "r", .owner = "", .expires = "", .file = "w.yaml"};
    many[N - 2].severity = KVET_SEV_ERROR;
    many[N - 2].rule = "T-ERR";
    many[N - 2].waiver = &wv;
    s = render(report_markdown, &res, &fx.opts);
    contains(s, "|---|---|---|---|---|\n| error | T-ERR | Service n | f.yaml:250 | short |\n| warning | T-WARN |");
    lacks(s, "f.yaml:249 ");  /* waived: after 248 open warnings, past the cut */
    lacks(s, "| info |");
    contains(s, "| f.yaml:2 | short |");
    free(s);
    free(many);
    fixture_free(&fx);
}
END_TEST

/* ------------------------------------------------------------ HTML */

/* The part of an HTML report from `from` up to the next `to`. */
static char *html_part(const char *html, const char *from, const char *to)
{
    const char *a = strstr(html, from);
    ck_assert_msg(a != NULL, "no %s in the report", from);
    const char *b = strstr(a, to);
    ck_assert_msg(b != NULL, "no %s after %s", to, from);
    return strndup(a, (size_t)(b - a));
}

/* The bars (segments) drawn in one chart. */
static size_t bars_in(const char *html, const char *chart)
{
    char from[96];
    snprintf(from, sizeof from, "<figure class=\"chart\" id=\"%s\">", chart);
    char *part = html_part(html, from, "</figure>");
    size_t n = count_of(part, "<rect class=\"bar ");
    free(part);
    return n;
}

START_TEST(html_report)
{
    fixture fx;
    fixture_init(&fx);
    size_t evaluated[3] = {3, 2, 1}, fired[3] = {2, 1, 1};
    fx.result.rule_evaluated = evaluated;
    fx.result.rule_findings = fired;
    fx.res[3].name = "<script>alert(1)</script>";
    fx.opts.timestamp = -1;
    const char *inputs[] = {"deploy/", "extra <dir>"};
    fx.opts.inputs = inputs;
    fx.opts.ninputs = 2;
    char *html = render(report_html, &fx.result, &fx.opts);

    ck_assert(strncmp(html, "<!DOCTYPE html>\n<html lang=\"en\">", 31) == 0);
    contains(html, "<title>kvet audit report</title>");
    /* findings lead; the catalogue, scaling, cluster, packs and run follow */
    const char *ids[] = {"summary", "findings", "waivers", "errors", "rules", "resources", "cluster", "packs", "run"};
    const char *prev = html;
    for (size_t i = 0; i < sizeof ids / sizeof ids[0]; i++) {
        char want[64];
        snprintf(want, sizeof want, "<section id=\"%s\"", ids[i]);
        ck_assert_uint_eq(count_of(html, want), 1);
        const char *at = strstr(html, want);
        ck_assert_msg(at > prev, "section %s is out of order", ids[i]);
        prev = at;
    }
    ck_assert_uint_eq(count_of(html, "<section"), count_of(html, "</section>"));
    /* a printed page break only before the large sections */
    contains(html, "<section id=\"findings\" class=\"large\">");
    contains(html, "<section id=\"rules\" class=\"large\">");
    contains(html, "<section id=\"resources\" class=\"large\">");
    contains(html, "<section id=\"waivers\">");
    contains(html, "section.large{break-before:page}");
    /* self-contained: no scripts, no external assets */
    lacks(html, "<script");
    lacks(html, "src=");
    lacks(html, "<link");
    /* everything from the inputs is escaped */
    contains(html, "max &lt;2&gt; &amp; &quot;q&quot; | pipe");
    contains(html, "<code>extra &lt;dir&gt;</code>");
    contains(html, "\xEF\xBF\xBD"); /* the control character */

    /* the four charts, with a title and the right bars */
    ck_assert_uint_eq(count_of(html, "<svg "), 4);
    ck_assert_uint_eq(count_of(html, "role=\"img\""), 4);
    ck_assert_uint_eq(bars_in(html, "chart-severity"), 3);
    ck_assert_uint_eq(bars_in(html, "chart-namespaces"), 3);
    ck_assert_uint_eq(bars_in(html, "chart-namespace-resources"), 3);
    ck_assert_uint_eq(bars_in(html, "chart-rules"), 3);
    contains(html, "<text class=\"label\" x=\"212\" y=\"43\" text-anchor=\"end\">T-ERR</text>");
    contains(html, "aria-labelledby=\"chart-severity-title\"");
    contains(html, "aria-labelledby=\"chart-namespaces-title\"");
    contains(html, "aria-labelledby=\"chart-rules-title\"");
    contains(html, "aria-labelledby=\"chart-namespace-resources-title\"");
    contains(html, "<title>demo: 1 failing</title>");
    contains(html, "<title>demo: 2 passing</title>");
    contains(html, "<title>(namespace not set): 1 failing</title>");
    lacks(html, "(cluster or default)");
    contains(html, "<title>errors: 2 errors</title>");
    contains(html, "<title>warnings: 1 warnings</title>");
    contains(html, "<title>demo: 2 errors</title>");
    contains(html, "<title>demo: 1 warnings</title>");
    contains(html, "<title>(namespace not set): 1 infos</title>");
    /* namespaces by failing resources, with the count printed: demo and
     * the HPA's (no namespace) tie at 1 and go by name */
    char *nsr = html_part(html, "id=\"chart-namespace-resources\"", "</figure>");
    contains(nsr, ">1 failing</text>");
    ck_assert_ptr_nonnull(strstr(nsr, "(namespace not set)"));
    /* both have one failing resource: the larger namespace first */
    ck_assert(strstr(nsr, ">demo<") < strstr(nsr, "(namespace not set)"));
    free(nsr);
    /* T-ERR: two findings on one resource fail it once; on api it failed to
     * evaluate, which is neither passing nor failing */
    contains(html, "<title>T-ERR: 1 failing</title>");
    lacks(html, "<title>T-ERR: 1 passing</title>");
    contains(html, "<title>T-INFO: 1 failing</title>");
    lacks(html, "T-INFO: 0 passing");
    /* no chart row for zero: a severity without findings draws nothing */
    fx.f_hpa[0].baselined = 1;
    char *noinfo = render(report_html, &fx.result, &fx.opts);
    char *sev = html_part(noinfo, "id=\"chart-severity\"", "</figure>");
    lacks(sev, "text-anchor=\"end\">infos</text>");
    free(sev);
    free(noinfo);
    fx.f_hpa[0].baselined = 0;
    /* the rule appendix: rules with findings (evaluated, passing, failing,
     * accepted, findings), and a count of the others */
    contains(html, "<td class=\"num\">2</td><td class=\"num\">0</td><td class=\"num\">1</td><td class=\"num\">0</td>"
                   "<td class=\"num\">2</td>");
    contains(html, "<tr id=\"rule-T-ERR\"><td class=\"id\"><a href=\"https://example.com/err\">T-ERR</a>");
    contains(html, "<p id=\"rules-count\">3 rules with findings below; 0 more ran and passed");
    /* findings grouped by severity, then rule, with counts; errors first */
    ck_assert_uint_eq(count_of(html, "<tr class=\"finding\">"), 4);
    contains(html, "<h3 class=\"sev error\">Errors: 2 findings of 1 rule</h3>");
    contains(html, "<a href=\"#rule-T-ERR\">T-ERR</a> error rule, strict: yes <span class=\"muted\">2 findings on 1 "
                   "resource</span>");
    ck_assert(strstr(html, "Errors: 2 findings") < strstr(html, "Warnings: 1 finding of 1 rule"));
    ck_assert(strstr(html, "Warnings: 1 finding") < strstr(html, "Infos: 1 finding of 1 rule"));
    contains(html, "<a href=\"#rule-T-WARN\">T-WARN</a>");
    contains(html, "deploy/app:v1,x.yaml:9:5");
    contains(html, "<p>No waivers.</p>");
    contains(html, "<p>No pack overrides or disables a rule.</p>");
    contains(html, "No cluster configuration was found");
    contains(html, "rules/t.kvet:7:9");
    contains(html, "<a href=\"#errors\">Errors</a>");
    /* the test pack declares no scaling view: the report says so */
    contains(html, "No pack declares a <code>scaling</code> view");
    /* no time unless asked, and the same bytes every time */
    contains(html, "not recorded (use --timestamp or SOURCE_DATE_EPOCH)");
    lacks(html, "run-today");
    char *again = render(report_html, &fx.result, &fx.opts);
    ck_assert_str_eq(html, again);
    free(again);
    fx.opts.timestamp = 86400 + 3600 + 61;
    char *timed = render(report_html, &fx.result, &fx.opts);
    contains(timed, "<td id=\"run-time\">1970-01-02T01:01:01Z</td>");
    free(timed);
    free(html);

    /* a waiver and a pack link that is not a web address */
    kvet_waiver w = {.from_file = 1, .file = "waivers.yaml", .line = 4, .rule = "T-ERR", .selector = "Service demo/web",
                     .reason = "known <issue>", .owner = "team-a", .expires = "2027-01-01",
                     .status = KVET_WAIVER_ACTIVE, .matched = 1};
    fx.f_web[0].waiver = &w;
    fx.result.waivers = &w;
    fx.result.nwaivers = 1;
    fx.opts.timestamp = -1;
    fx.opts.today = "2026-11-25";
    html = render(report_html, &fx.result, &fx.opts);
    contains(html, "<tr class=\"waiver\"><td>T-ERR</td><td class=\"wrap\">Service demo/web</td><td>known &lt;issue&gt;</td>"
                   "<td>team-a</td><td>2027-01-01</td><td>active</td>");
    /* the waived finding moved from the open findings to the accepted ones */
    contains(html, "waived: known &lt;issue&gt; (team-a), until 2027-01-01");
    contains(html, "<h3>Accepted findings</h3>\n<p>0 waived and 0 in the baseline.</p>"); /* the result's counts */
    ck_assert(strstr(html, "waived: known") > strstr(html, "<section id=\"waivers\""));
    contains(html, "<h3 class=\"sev error\">Errors: 1 finding of 1 rule</h3>");
    /* the date the expiry was judged against, since a waiver expires */
    contains(html, "<td id=\"run-today\">2026-11-25</td>");
    /* T-ERR has another, open finding on web: still failing; the finding
     * charts count open findings only */
    contains(html, "<title>T-ERR: 1 failing</title>");
    contains(html, "<title>errors: 1 errors</title>");
    contains(html, "<title>demo: 1 errors</title>");
    free(html);

    /* every T-ERR finding on web accepted (one waived, one baselined): the
     * library's outcome says waived */
    fx.f_web[1].baselined = 1;
    fx.o_web[0].status = KVET_OUTCOME_WAIVED;
    fx.o_web[0].open = 0;
    fx.o_web[0].waiver = &w;
    html = render(report_html, &fx.result, &fx.opts);
    contains(html, "<title>T-ERR: 1 accepted</title>");
    lacks(html, "T-ERR: 1 failing");
    lacks(html, "<title>demo: 1 errors</title>");
    contains(html, "<title>demo: 1 warnings</title>");
    contains(html, "<td class=\"num\">2</td><td class=\"num\">0</td><td class=\"num\">0</td><td class=\"num\">1</td>"
                   "<td class=\"num\">2</td>");
    contains(html, "<title>demo: 1 failing</title>"); /* T-WARN is still open on web */
    free(html);
    /* and T-WARN too: web is accepted in the namespace chart */
    fx.f_web[2].waiver = &w;
    html = render(report_html, &fx.result, &fx.opts);
    contains(html, "<title>demo: 1 accepted</title>");
    contains(html, "<title>demo: 2 passing</title>");
    lacks(html, "<title>demo: 1 failing</title>");
    ck_assert_uint_eq(bars_in(html, "chart-namespaces"), 1); /* the HPA's info only */
    free(html);
    fixture_free(&fx);
}
END_TEST

/* Derived values as the stock pack writes them (JSON), for the resources
 * table: a Knative Service, and InferenceService components in Standard
 * mode with an HPA, a ScaledObject and fixed replicas. */
static const char *const effective_json =
    "{\"scale\": {\"class\": \"kpa.autoscaling.knative.dev\", \"metric\": \"rps\", \"target\": 150.0,"
    " \"min\": 1, \"max\": 0, \"initial\": 2, \"activation\": 3}}\n---\n"
    "{\"deploymentMode\": \"Standard\", \"components\": {"
    " \"predictor\": {\"autoscalerClass\": \"hpa\", \"hpa\": {\"minReplicas\": 2, \"maxReplicas\": 8, \"metrics\": ["
    "  {\"type\": \"Resource\", \"resource\": {\"name\": \"cpu\", \"target\": {\"type\": \"Utilization\", \"averageUtilization\": 70}}},"
    "  {\"type\": \"Resource\", \"resource\": {\"name\": \"memory\", \"target\": {\"type\": \"AverageValue\", \"averageValue\": \"1Gi\"}}}]},"
    "  \"scaledObject\": null, \"deploymentReplicas\": null},"
    " \"transformer\": {\"autoscalerClass\": \"keda\", \"hpa\": null, \"scaledObject\": {\"minReplicaCount\": 1,"
    "  \"maxReplicaCount\": 6, \"triggers\": ["
    "  {\"type\": \"cpu\", \"metricType\": \"Utilization\", \"metadata\": {\"value\": \"60\"}},"
    "  {\"type\": \"prometheus\", \"metadata\": {\"query\": \"q\", \"threshold\": \"4\"}},"
    "  {\"metadata\": {}}]}, \"deploymentReplicas\": null},"
    " \"<script>x</script>\": {\"autoscalerClass\": \"none\", \"hpa\": null, \"scaledObject\": null,"
    "  \"deploymentReplicas\": 2}}}\n";

typedef struct kept {
    kvet_value v[4];
    kv_arena *arenas[4];
    int n;
} kept;

static int keep_doc(void *ud, kv_doc *d)
{
    kept *k = ud;
    if (k->n == 4)
        return 0;
    k->v[k->n] = d->root;
    k->arenas[k->n++] = d->arena;
    return 1;
}

/* A pack that declares its scaling view: the report shows those values
 * and no others, whatever their names. */
static const char view_src[] = "pack v \"1\"\n"
                               "for Service \"serving.knative.dev/v1\" as s {\n"
                               "  derive scale.min = 1\n"
                               "}\n"
                               "for InferenceService as i {\n"
                               "  derive deploymentMode = \"Standard\"\n"
                               "  derive components.predictor = {}\n"
                               "  derive hidden = 1\n"
                               "}\n"
                               "view scaling $scale, $deploymentMode, $components\n";

START_TEST(html_effective_scaling)
{
    fixture fx;
    fixture_init(&fx);
    kvet_pack *vp = kvet_pack_load_source(fx.ctx, "v.kvet", view_src, strlen(view_src));
    ck_assert_ptr_nonnull(vp);
    fx.opts.pack = vp;
    kept k = {0};
    ck_assert_int_eq(kv_load_buffer(fx.ctx, "effective.json", 1, effective_json, strlen(effective_json), KV_FMT_YAML,
                                    keep_doc, &k), 0);
    ck_assert_int_eq(k.n, 2);
    fx.res[0].effective = k.v[0];
    fx.res[1] = (kvet_resource){.api_version = "serving.kserve.io/v1beta1", .kind = "InferenceService", .ns = "ml",
                                .name = "ranker", .file = "isvc.yaml", .line = 5, .effective = k.v[1]};
    fx.opts.timestamp = -1;
    char *html = render(report_html, &fx.result, &fx.opts);
    char *table = html_part(html, "<section id=\"resources\"", "</section>");
    /* one column per declared value, one row per resource that has one */
    contains(table, "<code>$scale</code>, <code>$deploymentMode</code>, <code>$components</code>");
    contains(table, "<th>resource</th><th>scale</th><th>deploymentMode</th><th>components</th>");
    ck_assert_uint_eq(count_of(table, "<tr class=\"scaling\">"), 2);
    contains(table, "<tr class=\"scaling\"><td>Service demo/web<div class=\"loc\">deploy/app:v1,x.yaml:3</div></td>"
                    "<td class=\"wrap\"><div><span class=\"muted\">class:</span> kpa.autoscaling.knative.dev</div>");
    contains(table, "<div><span class=\"muted\">target:</span> 150.0</div>");
    /* a plain value, and leaves of nested maps by their paths; null leaves
     * are left out */
    contains(table, "<td class=\"wrap\"><div>Standard</div></td>");
    contains(table, "<div><span class=\"muted\">predictor.hpa.minReplicas:</span> 2</div>");
    lacks(table, "predictor.scaledObject");
    contains(table, "<div><span class=\"muted\">transformer.scaledObject.triggers:</span> [{&quot;type&quot;:");
    /* a component name from the manifest is escaped */
    contains(table, "&lt;script&gt;x&lt;/script&gt;.deploymentReplicas:</span> 2</div>");
    lacks(html, "<script");
    contains(table, "2 other resources without derived scaling");
    free(table);
    free(html);

    /* caps: VIEW_ROWS (200) rows, CELL_LEAVES (24) lines a cell */
    static char big[8192];
    size_t len = (size_t)snprintf(big, sizeof big, "{\"scale\": {");
    for (int i = 0; i < 30; i++)
        len += (size_t)snprintf(big + len, sizeof big - len, "%s\"k%02d\": %d", i ? ", " : "", i, i);
    snprintf(big + len, sizeof big - len, "}}\n");
    kept kb = {0};
    ck_assert_int_eq(kv_load_buffer(fx.ctx, "big.json", 2, big, strlen(big), KV_FMT_YAML, keep_doc, &kb), 0);
    enum { MANY = 250 };
    kvet_resource *many = calloc(MANY, sizeof *many);
    for (size_t i = 0; i < MANY; i++)
        many[i] = (kvet_resource){.api_version = "serving.knative.dev/v1", .kind = "Service", .ns = "n",
                                  .name = "s", .file = "m.yaml", .line = (uint32_t)i + 1, .effective = kb.v[0]};
    kvet_result mr = {.resources = many, .nresources = MANY};
    html = render(report_html, &mr, &fx.opts);
    table = html_part(html, "<section id=\"resources\"", "</section>");
    ck_assert_uint_eq(count_of(table, "<tr class=\"scaling\">"), 200);
    contains(table, "for the 250 resources that have them; the first 200, every one is in the JSON report");
    ck_assert_uint_eq(count_of(table, "&#8230; 6 more in the JSON report"), 200);
    lacks(table, "k24:");
    contains(table, "k23:");
    free(table);
    free(html);
    free(many);
    for (int i = 0; i < kb.n; i++) {
        kv_arena_free(kb.arenas[i]);
        free(kb.arenas[i]);
    }
    for (int i = 0; i < k.n; i++) {
        kv_arena_free(k.arenas[i]);
        free(k.arenas[i]);
    }
    kvet_pack_free(vp);
    fixture_free(&fx);
}
END_TEST

START_TEST(html_run_inputs)
{
    fixture fx;
    fixture_init(&fx);
    fx.opts.timestamp = -1;
    char *html = render(report_html, &fx.result, &fx.opts);
    contains(html, "<tr><th>rules</th><td>the default pack (none given with <code>--rules</code>)</td></tr>");
    contains(html, "<tr><th>waivers</th><td>none given with <code>--waivers</code></td></tr>");
    contains(html, "<tr><th>baseline</th><td>none</td></tr>");
    lacks(html, "<th>parameters</th>");
    free(html);

    const char *rules[] = {"rules", "org&co.kvet"}, *waivers[] = {"w.yaml"}, *sets[] = {"max=<3>"};
    const char *cluster[] = {"cluster/"};
    fx.opts.rules = rules;
    fx.opts.nrules = 2;
    fx.opts.waivers = waivers;
    fx.opts.nwaivers = 1;
    fx.opts.baseline = "base.json";
    fx.opts.sets = sets;
    fx.opts.nsets = 1;
    fx.opts.cluster = cluster;
    fx.opts.ncluster = 1;
    html = render(report_html, &fx.result, &fx.opts);
    contains(html, "<tr><th>rules</th><td><code>rules</code>, <code>org&amp;co.kvet</code></td></tr>");
    contains(html, "<tr><th>cluster</th><td><code>cluster/</code></td></tr>");
    contains(html, "<tr><th>waivers</th><td><code>w.yaml</code></td></tr>");
    contains(html, "<tr><th>baseline</th><td><code>base.json</code></td></tr>");
    contains(html, "<tr><th>parameters</th><td><code>max=&lt;3&gt;</code></td></tr>");
    contains(html, "<p>Given with <code>--cluster</code>: <code>cluster/</code></p>");
    free(html);

    /* a time the C library cannot convert is printed as the number */
    fx.opts.timestamp = 0x7fffffffffffffffLL;
    html = render(report_html, &fx.result, &fx.opts);
    contains(html, "<td id=\"run-time\">9223372036854775807 seconds since 1970 (UTC)</td>");
    free(html);
    fixture_free(&fx);
}
END_TEST

/* A pack's override is visible: stock severity, the severity now, whether
 * it was lowered, the pack and line that did it. */
START_TEST(html_overrides)
{
    static const char src[] = "pack org \"1\"\n"
                              "for Service as s {\n"
                              "  rule O-1 error \"o\" require s.a != 1\n"
                              "  rule O-2 warning \"p\" require s.b != 1\n"
                              "}\n"
                              "override O-1 severity info\n"
                              "disable O-2\n";
    kvet_ctx *ctx = kvet_ctx_new();
    kvet_pack *pack = kvet_pack_load_source(ctx, "org.kvet", src, strlen(src));
    ck_assert_ptr_nonnull(pack);
    kvet_finding f = {.rule = "O-1", .severity = KVET_SEV_INFO, .title = "o", .message = (char *)"m",
                      .file = "a.yaml", .line = 1, .col = 1};
    kvet_outcome oc = {.rule = 0, .status = KVET_OUTCOME_FAIL, .findings = 1, .open = 1};
    kvet_resource r = {.api_version = "serving.knative.dev/v1", .kind = "Service", .ns = "", .name = "s",
                       .file = "a.yaml", .line = 1, .findings = &f, .nfindings = 1, .outcomes = &oc, .noutcomes = 1};
    kvet_result res = {.resources = &r, .nresources = 1};
    report_opts o = {.pack = pack, .timestamp = -1};
    char *html = render(report_html, &res, &o);
    contains(html, "<div class=\"card\"><b>2</b>severities overridden</div>");
    contains(html, "<tr class=\"override lowered\"><td class=\"id\"><a href=\"#rule-O-1\">O-1</a></td>"
                   "<td class=\"sev error\">error</td><td class=\"sev info\">info (lowered)</td><td>org</td>"
                   "<td class=\"loc\">org.kvet:6</td><td class=\"num\">1</td></tr>");
    contains(html, "<tr class=\"override disabled\"><td class=\"id\"><a href=\"#rule-O-2\">O-2</a></td>"
                   "<td class=\"sev warning\">warning</td><td>disabled</td><td>org</td>");
    /* the rule appendix shows the stock severity next to the one in force */
    contains(html, "<td class=\"sev info\">info<div class=\"status\">stock: error</div></td>");
    contains(html, ", 1 is disabled");
    free(html);
    kvet_pack_free(pack);
    kvet_ctx_free(ctx);
}
END_TEST

/* Only http(s) links become hrefs: a pack could carry javascript: URLs. */
START_TEST(html_unsafe_link)
{
    static const char src[] = "pack evil \"1\"\n"
                              "for Service as s {\n"
                              "  rule E-1 error \"e\"\n"
                              "    require s.a != 1\n"
                              "    message \"m\"\n"
                              "    link \"javascript:alert(1)\"\n"
                              "}\n";
    kvet_ctx *ctx = kvet_ctx_new();
    kvet_pack *pack = kvet_pack_load_source(ctx, "evil.kvet", src, strlen(src));
    ck_assert_ptr_nonnull(pack);
    kvet_result res = {0};
    report_opts o = {.pack = pack, .timestamp = -1};
    char *html = render(report_html, &res, &o);
    contains(html, "<p>No open findings.</p>");
    contains(html, "No cluster configuration was found");
    /* no findings: the rule is only counted, as a rule that applied to nothing */
    contains(html, "<p id=\"rules-count\">0 rules with findings below; 0 more ran and passed on every resource "
                   "they applied to, 1 applied to no resource");
    lacks(html, "rule-E-1");
    free(html);
    /* with a finding the rule is listed, its link as text */
    kvet_finding f = {.rule = "E-1", .severity = KVET_SEV_ERROR, .title = "e", .message = (char *)"m",
                      .link = "javascript:alert(1)", .file = "a.yaml", .line = 1, .col = 1};
    kvet_outcome oc = {.rule = 0, .status = KVET_OUTCOME_FAIL, .findings = 1, .open = 1};
    kvet_resource r = {.api_version = "serving.knative.dev/v1", .kind = "Service", .ns = "", .name = "s",
                       .file = "a.yaml", .line = 1, .findings = &f, .nfindings = 1, .outcomes = &oc, .noutcomes = 1};
    res.resources = &r;
    res.nresources = 1;
    html = render(report_html, &res, &o);
    contains(html, "<tr id=\"rule-E-1\"><td class=\"id\">E-1</td>");
    lacks(html, "javascript:");
    free(html);
    kvet_pack_free(pack);
    kvet_ctx_free(ctx);
}
END_TEST

static Suite *reports_suite(void)
{
    Suite *s = suite_create("reports");
    TCase *tc = tcase_create("reports");
    /* the sanitizer and valgrind runs of CI are many times slower */
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, helpers_utf8_and_glob);
    tcase_add_test(tc, format_double_matches_printf);
    tcase_add_test(tc, buf_streams_to_file);
    tcase_add_test(tc, atomic_file_copies_from_fd);
    tcase_add_test(tc, sarif_document);
    tcase_add_test(tc, sarif_without_pack_and_empty);
    tcase_add_test(tc, junit_document);
    tcase_add_test(tc, junit_checker_rejects);
    tcase_add_test(tc, tap_document);
    tcase_add_test(tc, github_commands);
    tcase_add_test(tc, markdown_report);
    tcase_add_test(tc, markdown_caps);
    tcase_add_test(tc, html_report);
    tcase_add_test(tc, html_effective_scaling);
    tcase_add_test(tc, html_run_inputs);
    tcase_add_test(tc, html_unsafe_link);
    tcase_add_test(tc, html_overrides);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(reports_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
