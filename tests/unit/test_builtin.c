/*
 * test_builtin.c - every builtin function: results, absent propagation,
 * error messages, overflow, Go durations, Kubernetes quantities, regular
 * expression limits and version ordering.  Each case evaluates one
 * expression through the language and compares its rendering.
 */
#include "harness.h"

static const char *DOC = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n";

/* Evaluate EXPR for the one document; returns "value" or "E message". */
static char *eval(const char *expr)
{
    char rules[4096];
    snprintf(rules, sizeof rules, "pack t \"1\"\nfor ConfigMap as c {\n  derive v = type(%s) + \":\" + string(%s)\n}\n",
             expr, expr);
    char *out = th_check(rules, DOC);
    /* "R ConfigMap/x {v:\"TYPE:VALUE\"}\n" or an E line */
    char *res;
    char *e = strstr(out, "\nE ");
    if (e) {
        char *msg = strstr(e, "): ");
        res = strdup(msg ? msg + 3 : e + 3);
        char *nl = strchr(res, '\n');
        if (nl)
            *nl = '\0';
        res = realloc(res, strlen(res) + 3);
        memmove(res + 2, res, strlen(res) + 1);
        res[0] = 'E';
        res[1] = ' ';
    } else if (strncmp(out, "COMPILE", 7) == 0) {
        res = strdup(out);
    } else {
        char *v = strstr(out, "{v:\"");
        if (!v) {
            res = strdup(strstr(out, "{}") ? "absent" : out);
        } else {
            v += 4;
            char *end = strrchr(v, '"');
            res = strndup(v, (size_t)(end - v));
        }
    }
    free(out);
    return res;
}

#define EQ(expr, want)                                                            \
    do {                                                                          \
        char *got_ = eval(expr);                                                  \
        ck_assert_msg(strcmp(got_, want) == 0, "%s\n  got:  %s\n  want: %s", expr, got_, want); \
        free(got_);                                                               \
    } while (0)

START_TEST(numbers)
{
    EQ("min(3, 1, 2)", "int:1");
    EQ("max([1, 5.5, 2])", "float:5.5");
    EQ("min(absent, 4)", "int:4");
    EQ("min(absent)", "absent");
    EQ("abs(-7)", "int:7");
    EQ("abs(-9223372036854775807 - 1)", "E abs(): integer overflow");
    EQ("floor(2.7)", "int:2");
    EQ("ceil(2.1)", "int:3");
    EQ("round(2.5)", "int:3");
    EQ("round(1e300)", "E round(): 1e+300 does not fit in a 64-bit integer");
    EQ("sum([1, 2, 3])", "int:6");
    EQ("sum([1, 2.5])", "float:3.5");
    EQ("sum([9223372036854775807, 1])", "E sum(): integer overflow");
    EQ("min(1, \"a\")", "E min(): cannot compare int and string");
}
END_TEST

START_TEST(conversions)
{
    EQ("int(\"42\")", "int:42");
    EQ("int(\"-7\")", "int:-7");
    EQ("int(\"1.0\")", "E int(): cannot convert \"1.0\" to an integer");
    EQ("int(\" 1\")", "E int(): cannot convert \" 1\" to an integer");
    EQ("int(\"99999999999999999999\")", "E int(): \"99999999999999999999\" is out of the 64-bit range");
    EQ("int(2.0)", "int:2");
    EQ("int(2.5)", "E int(): 2.5 is not a whole number that fits in 64 bits");
    EQ("int(true)", "E int(): cannot convert a bool to an integer");
    EQ("int(absent)", "absent");
    EQ("float(\"1e2\")", "float:100.0");
    EQ("float(\"0x1p-2\")", "float:0.25");
    EQ("float(\"Inf\")", "float:Inf");
    EQ("float(\"abc\")", "E float(): cannot convert \"abc\" to a number");
    EQ("string(1.5)", "string:1.5");
    EQ("string([1, \"a\"])", "string:[1,\"a\"]");
    EQ("bool(\"True\")", "bool:true");
    EQ("bool(\"0\")", "bool:false");
    EQ("bool(\"yes\")", "E bool(): cannot convert \"yes\" to a bool");
    EQ("is_int(\"12\")", "bool:true");
    EQ("is_int(\"1.5\")", "bool:false");
    EQ("is_float(\"1.5\")", "bool:true");
    EQ("has(absent)", "bool:false");
    EQ("has(null)", "bool:true");
    EQ("type(absent)", "string:absent");
}
END_TEST

START_TEST(strings)
{
    EQ("lower(\"AbC\")", "string:abc");
    EQ("upper(\"AbC\")", "string:ABC");
    EQ("trim(\"  x \\n\")", "string:x");
    EQ("trim_prefix(\"autoscaling.knative.dev/min-scale\", \"autoscaling.knative.dev/\")", "string:min-scale");
    EQ("trim_suffix(\"abc\", \"c\")", "string:ab");
    EQ("startswith(\"kpa.autoscaling\", \"kpa.\")", "bool:true");
    EQ("endswith(\"x.knative.dev\", \".knative.dev\")", "bool:true");
    EQ("contains(\"hello\", \"ell\")", "bool:true");
    EQ("contains([1, 2], 2)", "bool:true");
    EQ("contains({a: 1}, \"b\")", "bool:false");
    EQ("split(\"a,b,,c\", \",\")", "list:[\"a\",\"b\",\"\",\"c\"]");
    EQ("split(\"\", \",\")", "list:[\"\"]");
    EQ("join([\"a\", 1, true], \"-\")", "string:a-1-true");
    EQ("replace(\"a.b.c\", \".\", \"/\")", "string:a/b/c");
    EQ("substr(\"abcdef\", 2, 3)", "string:cde");
    EQ("substr(\"abc\", 5)", "string:");
    EQ("len(\"abc\")", "int:3");
    EQ("len(5)", "E len(): a int has no length");
    EQ("lower(5)", "E lower(): argument 1 must be a string, got int");
}
END_TEST

START_TEST(collections)
{
    EQ("keys({b: 1, a: 2})", "list:[\"b\",\"a\"]");
    EQ("values({b: 1, a: 2})", "list:[1,2]");
    EQ("entries({k: 1})", "list:[{\"key\":\"k\",\"value\":1}]");
    EQ("get({\"a/b\": 1}, \"a/b\")", "int:1");
    EQ("get({}, \"x\", 7)", "int:7");
    EQ("merge({a: 1, b: 2}, {b: 3})", "map:{\"a\":1,\"b\":3}");
    EQ("sort([3, 1, 2])", "list:[1,2,3]");
    EQ("unique([1, 1, 2, 1])", "list:[1,2]");
    EQ("first([])", "absent");
    EQ("last([1, 2])", "int:2");
    EQ("flatten([[1], 2, [3, 4]])", "list:[1,2,3,4]");
    EQ("range(3)", "list:[0,1,2]");
    EQ("range(10000000)", "E range(): 10000000 is larger than the limit of 1000000");
}
END_TEST

START_TEST(kubernetes_quantities)
{
    EQ("quantity(\"500m\")", "float:0.5");
    EQ("quantity(\"2Gi\")", "int:2147483648");
    EQ("quantity(\"1.5Gi\")", "int:1610612736");
    EQ("quantity(\"100\")", "int:100");
    EQ("quantity(\"1k\")", "int:1000");
    EQ("quantity(\"1e3\")", "int:1000");
    EQ("quantity(\"-2M\")", "int:-2000000");
    EQ("quantity(\"2GB\")", "E quantity(): \"2GB\" is not a Kubernetes quantity");
    EQ("quantity(\".5\")", "float:0.5");
    EQ("quantity(4)", "int:4");
}
END_TEST

START_TEST(go_durations)
{
    /* facts from Go's time.ParseDuration tests */
    EQ("duration(\"0\")", "int:0");
    EQ("duration(\"5s\")", "int:5");
    EQ("duration(\"30s\")", "int:30");
    EQ("duration(\"1478s\")", "int:1478");
    EQ("duration(\"-5s\")", "int:-5");
    EQ("duration(\"+5s\")", "int:5");
    EQ("duration(\"5.0s\")", "int:5");
    EQ("duration(\"5.6s\")", "float:5.6");
    EQ("duration(\"5.s\")", "int:5");
    EQ("duration(\".5s\")", "float:0.5");
    EQ("duration(\"1.004s\")", "float:1.004");
    EQ("duration(\"100ms\")", "float:0.1");
    EQ("duration(\"1h30m\")", "int:5400");
    EQ("duration(\"3h30m10s\")", "int:12610");
    EQ("duration_ns(\"10ns\")", "int:10");
    EQ("duration_ns(\"11us\")", "int:11000");
    EQ("duration_ns(\"12\\u{b5}s\")", "int:12000");
    EQ("duration_ns(\"13\\u{3bc}s\")", "int:13000");
    EQ("duration_ns(\"1.5h\")", "int:5400000000000");
    EQ("duration(\"1d\")", "E duration(): time: unknown unit \"d\" in duration \"1d\"");
    EQ("duration(\"1\")", "E duration(): time: missing unit in duration \"1\"");
    EQ("duration(\"\")", "E duration(): time: invalid duration \"\"");
    EQ("duration(\"3\")", "E duration(): time: missing unit in duration \"3\"");
    EQ("duration(\"-\")", "E duration(): time: invalid duration \"-\"");
    EQ("duration(\"s\")", "E duration(): time: invalid duration \"s\"");
    EQ("duration(\".\")", "E duration(): time: invalid duration \".\"");
    EQ("duration(\"-.\")", "E duration(): time: invalid duration \"-.\"");
    EQ("duration(\".s\")", "E duration(): time: invalid duration \".s\"");
    EQ("duration(\"9223372036854775810ns\")", "E duration(): time: invalid duration \"9223372036854775810ns\"");
}
END_TEST

START_TEST(percentages)
{
    EQ("percent(\"80%\")", "int:80");
    EQ("percent(\"12.5%\")", "float:12.5");
    EQ("percent(\"80\")", "E percent(): \"80\" is not a percentage such as \"80%\"");
    EQ("is_percent(\"50%\")", "bool:true");
    EQ("int_or_percent(\"50%\", 5, true)", "int:3");
    EQ("int_or_percent(\"50%\", 5, false)", "int:2");
    EQ("int_or_percent(2, 5, true)", "int:2");
}
END_TEST

START_TEST(regular_expressions)
{
    EQ("match(\"kpa.autoscaling.knative.dev\", '^(kpa|hpa)\\.')", "bool:true");
    EQ("match(\"x\", '^y')", "bool:false");
    EQ("capture(\"v1.23.4\", '^v(\\d+)\\.(\\d+)(x)?')", "list:[\"v1.23\",\"1\",\"23\",null]");
    EQ("capture(\"abc\", 'z')", "absent");
    EQ("match(\"a\", '(')", "E match(): invalid regular expression at offset 1: missing closing parenthesis");
    /* catastrophic backtracking stops at the match limit */
    EQ("match(\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa!\", '^(a+)+$')",
       "E match(): regular expression exceeded the match limit (1000000)");
}
END_TEST

START_TEST(versions)
{
    EQ("semver_cmp(\"0.15.1\", \"0.15.0\")", "int:1");
    EQ("semver_cmp(\"v1.23.0\", \"1.23\")", "int:0");
    EQ("semver_cmp(\"1.11\", \"1.9\")", "int:1");
    EQ("semver_cmp(\"1.0.0-rc1\", \"1.0.0\")", "int:-1");
    EQ("semver_cmp(\"abc\", \"1\")", "E semver_cmp(): \"abc\" is not a version");
}
END_TEST

static Suite *builtin_suite(void)
{
    Suite *s = suite_create("builtin");
    TCase *tc = tcase_create("builtin");
    tcase_set_timeout(tc, 60);
    tcase_add_checked_fixture(tc, th_setup, th_teardown);
    tcase_add_test(tc, numbers);
    tcase_add_test(tc, conversions);
    tcase_add_test(tc, strings);
    tcase_add_test(tc, collections);
    tcase_add_test(tc, kubernetes_quantities);
    tcase_add_test(tc, go_durations);
    tcase_add_test(tc, percentages);
    tcase_add_test(tc, regular_expressions);
    tcase_add_test(tc, versions);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(builtin_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
