/*
 * test_builtin.c - every builtin function, called through the table the
 * compiler uses (kv_builtin_lookup / kv_builtin_at): results, absent
 * propagation, every error message, overflow, positions, Go durations
 * (Go's own ParseDuration test table), Kubernetes quantities (apimachinery's
 * ParseQuantity test facts), regular expressions with and without the
 * PCRE2 JIT, and version ordering.
 *
 * Calls are written as text, e.g. `min(3, [1, 2.5], absent)`, with
 * arguments in a small literal syntax: ints, floats (with '.', 'e', or
 * nan/inf/-inf), "strings" with \n \t \" \\ \xNN and \uXXXX escapes,
 * true, false, null, absent, [lists] and {"maps": ...}.  A value may be
 * followed by @LINE:COL to give it a position.  The outcome is written as
 * TYPE:TEXT (strings bare, lists and maps as JSON), "absent", or "E message".
 */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "builtin.h"
#include "value.h"

static kv_arena arena;
static kvet_limits limits;
static kv_regex_cache *cache;

/* KVET_REGEX_JIT=0 keeps the PCRE2 JIT off everywhere (valgrind cannot
 * follow JIT-compiled code); the JIT tests then run the interpreter. */
static int jit_wanted(void)
{
    const char *e = getenv("KVET_REGEX_JIT");
    return !(e && !strcmp(e, "0"));
}

static void setup(void)
{
    kv_arena_init(&arena);
    limits = kvet_default_limits();
    limits.regex_jit = jit_wanted();
    cache = kv_regex_cache_new();
    ck_assert_ptr_nonnull(cache);
}

static void teardown(void)
{
    kv_regex_cache_free(cache);
    cache = NULL;
    kv_arena_free(&arena);
}

/* ------------------------------------------------------ literal parser */

static void skip_ws(const char **p)
{
    while (**p == ' ' || **p == '\n' || **p == '\t')
        (*p)++;
}

static bool take(const char **p, const char *word)
{
    size_t n = strlen(word);
    if (strncmp(*p, word, n) == 0) {
        *p += n;
        return true;
    }
    return false;
}

static unsigned hexval(char c)
{
    return c <= '9' ? (unsigned)(c - '0') : (unsigned)((c | 0x20) - 'a' + 10);
}

static kvet_value parse_value(const char **p);

static kvet_value parse_string(const char **p)
{
    char buf[4096];
    size_t n = 0;
    ck_assert_int_eq(**p, '"');
    (*p)++;
    while (**p != '"') {
        ck_assert_msg(**p != '\0', "unterminated string literal");
        char ch = *(*p)++;
        if (ch != '\\') {
            buf[n++] = ch;
            continue;
        }
        ch = *(*p)++;
        switch (ch) {
        case 'n': buf[n++] = '\n'; break;
        case 't': buf[n++] = '\t'; break;
        case 'r': buf[n++] = '\r'; break;
        case '0': buf[n++] = '\0'; break;
        case 'x':
            buf[n++] = (char)(hexval((*p)[0]) * 16 + hexval((*p)[1]));
            *p += 2;
            break;
        case 'u': {
            unsigned cp = 0;
            for (int i = 0; i < 4; i++)
                cp = cp * 16 + hexval(*(*p)++);
            if (cp < 0x80) {
                buf[n++] = (char)cp;
            } else if (cp < 0x800) {
                buf[n++] = (char)(0xC0 | (cp >> 6));
                buf[n++] = (char)(0x80 | (cp & 0x3F));
            } else {
                buf[n++] = (char)(0xE0 | (cp >> 12));
                buf[n++] = (char)(0x80 | ((cp >> 6) & 0x3F));
                buf[n++] = (char)(0x80 | (cp & 0x3F));
            }
            break;
        }
        default: buf[n++] = ch; break;
        }
        ck_assert_uint_lt(n, sizeof buf - 4);
    }
    (*p)++;
    return kv_string_value(&arena, buf, n);
}

static kvet_value parse_number(const char **p)
{
    const char *s = *p;
    if (take(p, "nan"))
        return kv_float(NAN);
    if (take(p, "inf"))
        return kv_float(INFINITY);
    if (take(p, "-inf"))
        return kv_float(-INFINITY);
    const char *q = s;
    if (*q == '-')
        q++;
    bool fl = false;
    while ((*q >= '0' && *q <= '9') || *q == '.' || *q == 'e' || *q == 'E' ||
           ((*q == '-' || *q == '+') && (q[-1] == 'e' || q[-1] == 'E'))) {
        if (*q == '.' || *q == 'e' || *q == 'E')
            fl = true;
        q++;
    }
    ck_assert_msg(q > s, "bad literal at: %s", s);
    char num[64];
    memcpy(num, s, (size_t)(q - s));
    num[q - s] = '\0';
    *p = q;
    return fl ? kv_float(strtod(num, NULL)) : kv_int(strtoll(num, NULL, 10));
}

static kvet_value parse_value(const char **p)
{
    kvet_value v;
    skip_ws(p);
    if (take(p, "absent"))
        v = kv_absent();
    else if (take(p, "null"))
        v = kv_null();
    else if (take(p, "true"))
        v = kv_bool(true);
    else if (take(p, "false"))
        v = kv_bool(false);
    else if (**p == '"')
        v = parse_string(p);
    else if (**p == '[') {
        kvet_value items[256];
        uint32_t n = 0;
        (*p)++;
        skip_ws(p);
        while (**p != ']') {
            items[n++] = parse_value(p);
            skip_ws(p);
            if (**p == ',')
                (*p)++;
            skip_ws(p);
        }
        (*p)++;
        kvet_list *l = kv_list_new(&arena, n);
        if (n)
            memcpy(l->items, items, n * sizeof *items);
        v = kv_list_value(l);
    } else if (**p == '{') {
        kvet_map_entry e[128];
        uint32_t n = 0;
        (*p)++;
        skip_ws(p);
        while (**p != '}') {
            kvet_value k = parse_value(p);
            ck_assert_int_eq(k.type, KVET_STRING);
            skip_ws(p);
            ck_assert_int_eq(**p, ':');
            (*p)++;
            e[n].key = k.u.s;
            e[n++].val = parse_value(p);
            skip_ws(p);
            if (**p == ',')
                (*p)++;
            skip_ws(p);
        }
        (*p)++;
        kvet_map *m = kv_map_new(&arena, n);
        if (n)
            memcpy(m->e, e, n * sizeof *e);
        v = kv_map_value(m);
    } else {
        v = parse_number(p);
    }
    if (**p == '@') {
        (*p)++;
        v.src = 1;
        v.line = (uint32_t)strtoul(*p, (char **)p, 10);
        ck_assert_int_eq(**p, ':');
        (*p)++;
        v.col = (uint32_t)strtoul(*p, (char **)p, 10);
    }
    return v;
}

/* --------------------------------------------------------------- calls */

/* Call NAME(ARGS) through the builtin table; returns 0 or -1 (err set). */
static int call_with(kv_regex_cache *rc, const char *expr, kvet_value *out, const char **err)
{
    const char *p = expr;
    char name[64];
    size_t n = 0;
    while (*p && *p != '(')
        name[n++] = *p++;
    name[n] = '\0';
    ck_assert_int_eq(*p, '(');
    p++;
    kvet_value args[64];
    int nargs = 0;
    skip_ws(&p);
    while (*p != ')') {
        args[nargs++] = parse_value(&p);
        skip_ws(&p);
        if (*p == ',')
            p++;
        skip_ws(&p);
    }
    int idx = kv_builtin_lookup(name);
    ck_assert_msg(idx >= 0, "no builtin %s", name);
    const kv_builtin *b = kv_builtin_at((size_t)idx);
    ck_assert_msg(nargs >= b->min_args && (b->max_args < 0 || nargs <= b->max_args), "%s: bad arity", expr);
    kv_call call = {&arena, &limits, rc, NULL, NULL, NULL};
    *out = kv_absent();
    int r = b->fn(&call, args, nargs, out);
    *err = call.err;
    if (r < 0)
        ck_assert_ptr_nonnull(call.err);
    else
        ck_assert_ptr_null(call.err);
    return r;
}

static char *render_outcome(int r, kvet_value v, const char *err)
{
    kv_buf b;
    kv_buf_init(&b);
    if (r < 0) {
        kv_buf_puts(&b, "E ");
        kv_buf_puts(&b, err);
    } else if (v.type == KVET_ABSENT) {
        kv_buf_puts(&b, "absent");
    } else {
        kv_buf_puts(&b, kv_type_name((kvet_type)v.type));
        kv_buf_putc(&b, ':');
        kv_value_render(&b, v, false);
    }
    return kv_buf_take(&b);
}

static char *eval_with(kv_regex_cache *rc, const char *expr)
{
    kvet_value v;
    const char *err;
    int r = call_with(rc, expr, &v, &err);
    return render_outcome(r, v, err);
}

static kvet_value evalv(const char *expr)
{
    kvet_value v;
    const char *err;
    int r = call_with(cache, expr, &v, &err);
    ck_assert_msg(r == 0, "%s failed: %s", expr, err);
    return v;
}

#define EQW(rc, expr, want)                                                                     \
    do {                                                                                        \
        char *got_ = eval_with((rc), (expr));                                                   \
        ck_assert_msg(strcmp(got_, (want)) == 0, "%s\n  got:  %s\n  want: %s", (expr), got_, (want)); \
        free(got_);                                                                             \
    } while (0)
#define EQ(expr, want) EQW(cache, expr, want)

/* The position of a result. */
#define AT(expr, l, c)                                                                          \
    do {                                                                                        \
        kvet_value v_ = evalv(expr);                                                            \
        ck_assert_msg(v_.line == (l) && v_.col == (c), "%s at %u:%u, want %u:%u", (expr), v_.line, v_.col, \
                      (unsigned)(l), (unsigned)(c));                                            \
    } while (0)

/* --------------------------------------------------------------- table */

START_TEST(table_is_sorted_and_searchable)
{
    size_t n = kv_builtin_count();
    ck_assert_uint_eq(n, 57);
    for (size_t i = 0; i < n; i++) {
        const kv_builtin *b = kv_builtin_at(i);
        ck_assert_ptr_nonnull(b);
        if (i)
            ck_assert_int_lt(strcmp(kv_builtin_at(i - 1)->name, b->name), 0);
        ck_assert_int_eq(kv_builtin_lookup(b->name), (int)i);
        ck_assert_ptr_nonnull(b->fn);
        ck_assert_int_ge(b->min_args, 1);
        ck_assert(b->max_args == -1 || b->max_args >= b->min_args);
        /* the signature starts with the call form */
        ck_assert_msg(strncmp(b->signature, b->name, strlen(b->name)) == 0 && b->signature[strlen(b->name)] == '(',
                      "%s", b->signature);
    }
    ck_assert_ptr_null(kv_builtin_at(n));
    ck_assert_int_eq(kv_builtin_lookup("nope"), -1);
    ck_assert_int_eq(kv_builtin_lookup(""), -1);
    ck_assert_int_eq(kv_builtin_lookup("zzz"), -1);
    ck_assert_int_eq(kv_builtin_lookup("Abs"), -1);
}
END_TEST

/* ------------------------------------------------------------- numbers */

START_TEST(numbers)
{
    EQ("min(3, 1, 2)", "int:1");
    EQ("max(3, 1, 2)", "int:3");
    EQ("max([1, 5.5, 2])", "float:5.5");
    EQ("min([4, 2.0, 2])", "float:2.0"); /* the first of equal values */
    EQ("min(absent, 4)", "int:4");
    EQ("max(absent, 4, absent, 7)", "int:7");
    EQ("min(absent)", "absent");
    EQ("min(absent, absent)", "absent");
    EQ("min([])", "absent");
    EQ("max([absent, 3])", "int:3");
    EQ("min(5)", "int:5");
    EQ("min(\"b\", \"a\", \"c\")", "string:a");
    EQ("max([\"b\", \"ab\"])", "string:b");
    EQ("min(1, nan, 0)", "float:NaN");
    EQ("max(nan, 1)", "float:NaN");
    EQ("max(-inf, 1)", "int:1");
    EQ("min(1, \"a\")", "E min(): cannot compare int and string");
    EQ("max([\"a\", 2.5])", "E max(): cannot compare string and float");
    EQ("min(1, true)", "E min(): argument 2 must be a number or a string, got bool");
    EQ("max([1, [2]])", "E max(): element 2 must be a number or a string, got list");
    EQ("min(null)", "E min(): argument 1 must be a number or a string, got null");

    EQ("abs(-7)", "int:7");
    EQ("abs(7)", "int:7");
    EQ("abs(-2.5)", "float:2.5");
    EQ("abs(-9223372036854775807)", "int:9223372036854775807");
    EQ("abs(-9223372036854775808)", "E abs(): integer overflow in abs(-9223372036854775808)");
    EQ("abs(absent)", "absent");
    EQ("abs(\"1\")", "E abs(): argument 1 must be a number, got string");

    EQ("floor(2.7)", "int:2");
    EQ("floor(-2.5)", "int:-3");
    EQ("ceil(2.1)", "int:3");
    EQ("ceil(-2.9)", "int:-2");
    EQ("round(2.5)", "int:3");
    EQ("round(-2.5)", "int:-3");
    EQ("round(2.4999)", "int:2");
    EQ("round(7)", "int:7");
    EQ("floor(absent)", "absent");
    EQ("round(1e300)", "E round(): 1e+300 is out of the int64 range");
    EQ("ceil(9223372036854775807.0)", "E ceil(): 9.223372036854776e+18 is out of the int64 range");
    EQ("floor(-9223372036854775808.0)", "int:-9223372036854775808");
    EQ("round(nan)", "E round(): cannot convert NaN to an integer");
    EQ("floor(inf)", "E floor(): cannot convert Inf to an integer");
    EQ("ceil(\"2\")", "E ceil(): argument 1 must be a number, got string");

    EQ("sum([1, 2, 3])", "int:6");
    EQ("sum([])", "int:0");
    EQ("sum([1, 2.5])", "float:3.5");
    EQ("sum([2.5, 1])", "float:3.5");
    EQ("sum([1, absent, 2])", "int:3");
    EQ("sum(absent)", "absent");
    EQ("sum([9223372036854775807, 1])", "E sum(): integer overflow in 9223372036854775807 + 1");
    EQ("sum([-9223372036854775808, -1])", "E sum(): integer overflow in -9223372036854775808 + -1");
    EQ("sum([9223372036854775807, 1.0])", "float:9.223372036854776e+18");
    EQ("sum([1, \"2\"])", "E sum(): element 2 must be a number, got string");
    EQ("sum(5)", "E sum(): argument 1 must be a list, got int");
}
END_TEST

/* --------------------------------------------------------- conversions */

START_TEST(conversions)
{
    EQ("int(42)", "int:42");
    EQ("int(\"42\")", "int:42");
    EQ("int(\"-7\")", "int:-7");
    EQ("int(\"+7\")", "int:7");
    EQ("int(\"007\")", "int:7");
    EQ("int(\"9223372036854775807\")", "int:9223372036854775807");
    EQ("int(\"-9223372036854775808\")", "int:-9223372036854775808");
    EQ("int(\"abc\")", "E int(): cannot convert \"abc\" to an integer");
    EQ("int(\"1.0\")", "E int(): cannot convert \"1.0\" to an integer");
    EQ("int(\" 1\")", "E int(): cannot convert \" 1\" to an integer");
    EQ("int(\"1 \")", "E int(): cannot convert \"1 \" to an integer");
    EQ("int(\"1_000\")", "E int(): cannot convert \"1_000\" to an integer");
    EQ("int(\"0x10\")", "E int(): cannot convert \"0x10\" to an integer");
    EQ("int(\"\")", "E int(): cannot convert \"\" to an integer");
    EQ("int(\"-\")", "E int(): cannot convert \"-\" to an integer");
    EQ("int(\"9223372036854775808\")", "E int(): \"9223372036854775808\" is out of the int64 range");
    EQ("int(\"-9223372036854775809\")", "E int(): \"-9223372036854775809\" is out of the int64 range");
    EQ("int(\"99999999999999999999x\")", "E int(): cannot convert \"99999999999999999999x\" to an integer");
    EQ("int(2.0)", "int:2");
    EQ("int(-0.0)", "int:0");
    EQ("int(2.5)", "E int(): 2.5 is not a whole number");
    EQ("int(1e19)", "E int(): 1e+19 is out of the int64 range");
    EQ("int(nan)", "E int(): cannot convert NaN to an integer");
    EQ("int(true)", "E int(): argument 1 must be a number or a string, got bool");
    EQ("int(null)", "E int(): argument 1 must be a number or a string, got null");
    EQ("int(absent)", "absent");

    EQ("float(\"1e2\")", "float:100.0");
    EQ("float(\"1.5\")", "float:1.5");
    EQ("float(\".5\")", "float:0.5");
    EQ("float(\"5.\")", "float:5.0");
    EQ("float(\"-0.25E+1\")", "float:-2.5");
    EQ("float(\"0x1p-2\")", "float:0.25");
    EQ("float(\"0X1.8P1\")", "float:3.0");
    EQ("float(\"0x_1_2.3_4_5p+1_2\")", "float:74565.0");
    EQ("float(\"1_23.50_0_0e+1_2\")", "float:123500000000000.0");
    EQ("float(\"Inf\")", "float:Inf");
    EQ("float(\"+inf\")", "float:Inf");
    EQ("float(\"-Infinity\")", "float:-Inf");
    EQ("float(\"NaN\")", "float:NaN");
    EQ("float(\"nan\")", "float:NaN");
    EQ("float(\"1e-400\")", "float:0.0");
    EQ("float(7)", "float:7.0");
    EQ("float(2.5)", "float:2.5");
    EQ("float(absent)", "absent");
    EQ("float(\"abc\")", "E float(): cannot convert \"abc\" to a float");
    EQ("float(\"\")", "E float(): cannot convert \"\" to a float");
    EQ("float(\" 1\")", "E float(): cannot convert \" 1\" to a float");
    EQ("float(\"1 \")", "E float(): cannot convert \"1 \" to a float");
    EQ("float(\"-nan\")", "E float(): cannot convert \"-nan\" to a float");
    EQ("float(\"infinit\")", "E float(): cannot convert \"infinit\" to a float");
    EQ("float(\"0x1\")", "E float(): cannot convert \"0x1\" to a float");
    EQ("float(\"0x\")", "E float(): cannot convert \"0x\" to a float");
    EQ("float(\"1e\")", "E float(): cannot convert \"1e\" to a float");
    EQ("float(\"1.2.3\")", "E float(): cannot convert \"1.2.3\" to a float");
    EQ("float(\".\")", "E float(): cannot convert \".\" to a float");
    EQ("float(\"_1\")", "E float(): cannot convert \"_1\" to a float");
    EQ("float(\"1__0\")", "E float(): cannot convert \"1__0\" to a float");
    EQ("float(\"123_.5\")", "E float(): cannot convert \"123_.5\" to a float");
    EQ("float(\"123.5e+12_\")", "E float(): cannot convert \"123.5e+12_\" to a float");
    EQ("float(\"1e400\")", "E float(): \"1e400\" is out of the float64 range");
    EQ("float(\"-0x1p2000\")", "E float(): \"-0x1p2000\" is out of the float64 range");
    EQ("float(false)", "E float(): argument 1 must be a number or a string, got bool");

    EQ("string(1.5)", "string:1.5");
    EQ("string(2.0)", "string:2.0");
    EQ("string(0.1)", "string:0.1");
    EQ("string(1e21)", "string:1e+21");
    EQ("string(-42)", "string:-42");
    EQ("string(true)", "string:true");
    EQ("string(null)", "string:null");
    EQ("string(\"x\")", "string:x");
    EQ("string([1, \"a\", null, {\"k\": false}])", "string:[1,\"a\",null,{\"k\":false}]");
    EQ("string(absent)", "absent");

    EQ("bool(\"True\")", "bool:true");
    EQ("bool(\"0\")", "bool:false");
    EQ("bool(\"t\")", "bool:true");
    EQ("bool(\"F\")", "bool:false");
    EQ("bool(\"TRUE\")", "bool:true");
    EQ("bool(\"FALSE\")", "bool:false");
    EQ("bool(false)", "bool:false");
    EQ("bool(\"yes\")", "E bool(): cannot convert \"yes\" to a bool");
    EQ("bool(\"tRUE\")", "E bool(): cannot convert \"tRUE\" to a bool");
    EQ("bool(\"\")", "E bool(): cannot convert \"\" to a bool");
    EQ("bool(1)", "E bool(): argument 1 must be a bool or a string, got int");
    EQ("bool(absent)", "absent");

    EQ("is_int(\"12\")", "bool:true");
    EQ("is_int(\"-12\")", "bool:true");
    EQ("is_int(\"1.5\")", "bool:false");
    EQ("is_int(\"99999999999999999999\")", "bool:false");
    EQ("is_int(3)", "bool:true");
    EQ("is_int(3.0)", "bool:true");
    EQ("is_int(3.5)", "bool:false");
    EQ("is_int(1e19)", "bool:false");
    EQ("is_int(nan)", "bool:false");
    EQ("is_int(true)", "bool:false");
    EQ("is_int(absent)", "absent");
    EQ("is_float(\"1.5\")", "bool:true");
    EQ("is_float(\"Inf\")", "bool:true");
    EQ("is_float(\"1e400\")", "bool:false");
    EQ("is_float(\"x\")", "bool:false");
    EQ("is_float(2)", "bool:true");
    EQ("is_float([])", "bool:false");
    EQ("is_float(absent)", "absent");

    EQ("type(absent)", "string:absent");
    EQ("type(null)", "string:null");
    EQ("type(true)", "string:bool");
    EQ("type(1)", "string:int");
    EQ("type(1.0)", "string:float");
    EQ("type(\"\")", "string:string");
    EQ("type([])", "string:list");
    EQ("type({})", "string:map");

    EQ("has(absent)", "bool:false");
    EQ("has(null)", "bool:true");
    EQ("has(0)", "bool:true");
    EQ("has(\"\")", "bool:true");
}
END_TEST

START_TEST(parse_helpers)
{
    int64_t i = 99;
    ck_assert_int_eq(kv_parse_int("123", 3, &i), 0);
    ck_assert_int_eq(i, 123);
    ck_assert_int_eq(kv_parse_int("-9223372036854775808", 20, &i), 0);
    ck_assert(i == INT64_MIN);
    i = 5;
    ck_assert_int_eq(kv_parse_int("9223372036854775808", 19, &i), -1);
    ck_assert_int_eq(kv_parse_int("12a", 3, &i), -1);
    ck_assert_int_eq(kv_parse_int("", 0, &i), -1);
    ck_assert_int_eq(kv_parse_int("+", 1, &i), -1);
    ck_assert_int_eq(i, 5); /* untouched on failure */
    ck_assert_int_eq(kv_parse_int("12345", 2, &i), 0); /* only n bytes are read */
    ck_assert_int_eq(i, 12);

    double d = 0;
    ck_assert_int_eq(kv_parse_float("2.5", 3, &d), 0);
    ck_assert(d == 2.5);
    ck_assert_int_eq(kv_parse_float("0x1p-2", 6, &d), 0);
    ck_assert(d == 0.25);
    ck_assert_int_eq(kv_parse_float("-Inf", 4, &d), 0);
    ck_assert(isinf(d) && d < 0);
    ck_assert_int_eq(kv_parse_float("NaN", 3, &d), 0);
    ck_assert(isnan(d));
    ck_assert_int_eq(kv_parse_float("1e999", 5, &d), -1);
    ck_assert_int_eq(kv_parse_float("1x", 2, &d), -1);
    ck_assert_int_eq(kv_parse_float("1.5e3junk", 5, &d), 0);
    ck_assert(d == 1500);
    /* long inputs are read in full and correctly rounded */
    char longnum[300];
    memset(longnum, '0', sizeof longnum);
    memcpy(longnum, "0.", 2);
    longnum[sizeof longnum - 1] = '1';
    ck_assert_int_eq(kv_parse_float(longnum, sizeof longnum, &d), 0);
    ck_assert(d == 1e-298);
    /* below the smallest subnormal: zero, not an error (as in Go) */
    char tiny[400];
    memset(tiny, '0', sizeof tiny);
    memcpy(tiny, "0.", 2);
    tiny[sizeof tiny - 1] = '1';
    ck_assert_int_eq(kv_parse_float(tiny, sizeof tiny, &d), 0);
    ck_assert(d == 0);
    char halfway[] = "1.00000000000000011102230246251565404236316680908203125"; /* ties to even */
    ck_assert_int_eq(kv_parse_float(halfway, strlen(halfway), &d), 0);
    ck_assert(d == 1.0);
}
END_TEST

/* ------------------------------------------------------------- strings */

START_TEST(strings)
{
    EQ("lower(\"AbC-Ä\")", "string:abc-Ä");
    EQ("upper(\"AbC-ä\")", "string:ABC-ä");
    EQ("lower(absent)", "absent");
    EQ("lower(5)", "E lower(): argument 1 must be a string, got int");
    EQ("upper([\"a\"])", "E upper(): argument 1 must be a string, got list");
    EQ("trim(\"  x y \\n\\t\\r\")", "string:x y");
    EQ("trim(\"\\x0bx\\x0c\")", "string:x");
    ck_assert_uint_eq(evalv("trim(\"\\0x\\0\")").u.s->len, 3); /* NUL is not whitespace */
    EQ("trim(\"   \")", "string:");
    EQ("trim(\"\\u00a0x\")", "string:\u00a0x"); /* only ASCII whitespace */
    EQ("trim(1)", "E trim(): argument 1 must be a string, got int");
    EQ("trim_prefix(\"autoscaling.knative.dev/min-scale\", \"autoscaling.knative.dev/\")", "string:min-scale");
    EQ("trim_prefix(\"abc\", \"x\")", "string:abc");
    EQ("trim_prefix(\"abc\", \"abcd\")", "string:abc");
    EQ("trim_prefix(\"abc\", \"\")", "string:abc");
    EQ("trim_suffix(\"abc\", \"c\")", "string:ab");
    EQ("trim_suffix(\"abc\", \"abc\")", "string:");
    EQ("trim_suffix(\"abc\", \"b\")", "string:abc");
    EQ("trim_suffix(absent, \"b\")", "absent");
    EQ("trim_suffix(\"a\", absent)", "absent");
    EQ("trim_suffix(\"a\", 1)", "E trim_suffix(): argument 2 must be a string, got int");
    EQ("startswith(\"kpa.autoscaling\", \"kpa.\")", "bool:true");
    EQ("startswith(\"kpa\", \"kpa.\")", "bool:false");
    EQ("startswith(\"kpa\", \"\")", "bool:true");
    EQ("startswith(1, \"\")", "E startswith(): argument 1 must be a string, got int");
    EQ("endswith(\"x.knative.dev\", \".knative.dev\")", "bool:true");
    EQ("endswith(\"x.knative.dev\", \"x.\")", "bool:false");
    EQ("endswith(absent, \"x\")", "absent");

    EQ("contains(\"hello\", \"ell\")", "bool:true");
    EQ("contains(\"hello\", \"\")", "bool:true");
    EQ("contains(\"hello\", \"olleh\")", "bool:false");
    EQ("contains(\"a\\0b\", \"\\0b\")", "bool:true");
    EQ("contains([1, 2], 2)", "bool:true");
    EQ("contains([1, 2], 2.0)", "bool:true");
    EQ("contains([1, 2], \"2\")", "bool:false");
    EQ("contains([[1], {\"a\": 1}], {\"a\": 1})", "bool:true");
    EQ("contains({\"a\": 1}, \"b\")", "bool:false");
    EQ("contains({\"a\": 1}, \"a\")", "bool:true");
    EQ("contains({\"a\": 1}, 1)", "E contains(): argument 2 must be a string, got int");
    EQ("contains(\"a\", 1)", "E contains(): argument 2 must be a string, got int");
    EQ("contains(5, 1)", "E contains(): argument 1 must be a string, list or map, got int");
    EQ("contains(absent, 1)", "absent");
    EQ("contains([1], absent)", "absent");

    /* Go strings.Split */
    EQ("split(\"a,b,,c\", \",\")", "list:[\"a\",\"b\",\"\",\"c\"]");
    EQ("split(\"a,b,\", \",\")", "list:[\"a\",\"b\",\"\"]");
    EQ("split(\"\", \",\")", "list:[\"\"]");
    EQ("split(\"abc\", \"\")", "list:[\"a\",\"b\",\"c\"]");
    EQ("split(\"\", \"\")", "list:[]");
    EQ("split(\"a\\u00e9b\", \"\")", "list:[\"a\",\"\u00e9\",\"b\"]");
    EQ("split(\"a\\xffb\", \"\")", "list:[\"a\",\"\\ufffd\",\"b\"]");
    EQ("split(\"a::b::\", \"::\")", "list:[\"a\",\"b\",\"\"]");
    EQ("split(\"aaa\", \"aa\")", "list:[\"\",\"a\"]");
    EQ("split(\"abc\", \"x\")", "list:[\"abc\"]");
    EQ("split(1, \",\")", "E split(): argument 1 must be a string, got int");

    EQ("join([\"a\", 1, true, 2.5, null], \"-\")", "string:a-1-true-2.5-null");
    EQ("join([\"a\", absent, \"b\"], \",\")", "string:a,b");
    EQ("join([], \",\")", "string:");
    EQ("join([[1, 2], {\"k\": \"v\"}], \" \")", "string:[1,2] {\"k\":\"v\"}");
    EQ("join(\"ab\", \",\")", "E join(): argument 1 must be a list, got string");
    EQ("join([\"a\"], 1)", "E join(): argument 2 must be a string, got int");

    /* Go strings.ReplaceAll */
    EQ("replace(\"a.b.c\", \".\", \"/\")", "string:a/b/c");
    EQ("replace(\"aaa\", \"aa\", \"b\")", "string:ba");
    EQ("replace(\"abc\", \"x\", \"y\")", "string:abc");
    EQ("replace(\"abc\", \"\", \"-\")", "string:-a-b-c-");
    EQ("replace(\"\", \"\", \"-\")", "string:-");
    EQ("replace(\"a\\u00e9\", \"\", \"|\")", "string:|a|\u00e9|");
    EQ("replace(\"abcabc\", \"abc\", \"\")", "string:");
    EQ("replace(\"a\", \"a\", 1)", "E replace(): argument 3 must be a string, got int");
    EQ("replace(absent, \"a\", \"b\")", "absent");

    EQ("substr(\"abcdef\", 2, 3)", "string:cde");
    EQ("substr(\"abcdef\", 2)", "string:cdef");
    EQ("substr(\"abc\", 5)", "string:");
    EQ("substr(\"abc\", -2, 2)", "string:ab");
    EQ("substr(\"abc\", 1, -1)", "string:");
    EQ("substr(\"abc\", 1, 100)", "string:bc");
    EQ("substr(\"abc\", 1.0)", "E substr(): argument 2 must be an int, got float");
    EQ("substr(\"abc\", 0, \"1\")", "E substr(): argument 3 must be an int, got string");
    EQ("substr(\"abc\", absent)", "absent");

    EQ("len(\"abc\")", "int:3");
    EQ("len(\"\u00e9\")", "int:2");
    EQ("len([1, 2])", "int:2");
    EQ("len({\"a\": 1})", "int:1");
    EQ("len(absent)", "absent");
    EQ("len(5)", "E len(): argument 1 must be a string, list or map, got int");
    EQ("len(null)", "E len(): argument 1 must be a string, list or map, got null");

    /* the standard CRC-32 check value, and Go's ChecksumIEEE("") == 0 */
    EQ("crc32(\"123456789\")", "int:3421780262");
    EQ("crc32(\"\")", "int:0");
    EQ("crc32(\"The quick brown fox jumps over the lazy dog\")", "int:1095738169");
    EQ("crc32(absent)", "absent");
    EQ("crc32(1)", "E crc32(): argument 1 must be a string, got int");
    EQ("hex(255)", "string:ff");
    EQ("hex(255, 8)", "string:000000ff");
    EQ("hex(3421780262, 8)", "string:cbf43926");
    EQ("hex(0)", "string:0");
    EQ("hex(9223372036854775807, 4)", "string:7fffffffffffffff");
    EQ("hex(-1)", "E hex(): -1 is negative");
    EQ("hex(1, 17)", "E hex(): digits must be between 0 and 16, got 17");
    EQ("hex(\"1\")", "E hex(): argument 1 must be an int, got string");
    EQ("hex(1, absent)", "absent");

    /* JSON text decoded as Go's encoding/json decodes generic values */
    EQ("json(\"{\\\"a\\\": [1, 2.5, true, null, \\\"x\\\"]}\")", "map:{\"a\":[1,2.5,true,null,\"x\"]}");
    EQ("json(\"{\\\"k\\\": 1, \\\"k\\\": 2}\")", "map:{\"k\":2}"); /* the last repeated key wins */
    EQ("json(\" 7 \\n\")", "int:7");
    EQ("json(\"1e3\")", "int:1000");
    EQ("json(\"[1,]\")", "E json(): line 1, column 4: invalid character ']' looking for beginning of value");
    EQ("json(\"[1] 2\")", "E json(): line 1, column 5: invalid character '2' after top-level value");
    EQ("json(\"\")", "E json(): line 1, column 1: unexpected end of JSON input");
    EQ("json(absent)", "absent");
    EQ("json(1)", "E json(): argument 1 must be a string, got int");
    EQ("json_error(\"{\\n  \\\"a\\\": 1,\\n}\")", "string:invalid character '}' looking for beginning of object key string");
    /* Go's wording, as KServe and autoscaler-keda log it */
    EQ("json_error(\"{\\\"a\\\" 1}\")", "string:invalid character '1' after object key");
    EQ("json_error(\"{\\\"a\\\": 1 \\\"b\\\"}\")", "string:invalid character '\"' after object key:value pair");
    EQ("json_error(\"[1 2]\")", "string:invalid character '2' after array element");
    EQ("json_error(\"tru\")", "string:invalid character ' ' in literal true (expecting 'e')");
    EQ("json_error(\"nul x\")", "string:invalid character ' ' in literal null (expecting 'l')");
    EQ("json_error(\"-\")", "string:invalid character ' ' in numeric literal");
    EQ("json_error(\"1.\")", "string:invalid character ' ' after decimal point in numeric literal");
    EQ("json_error(\"1e+x\")", "string:invalid character 'x' in exponent of numeric literal");
    EQ("json_error(\"01\")", "string:invalid character '1' after top-level value");
    EQ("json_error(\"\\\"a\\\\x\\\"\")", "string:invalid character 'x' in string escape code");
    EQ("json_error(\"\\\"\\\\u12g4\\\"\")", "string:invalid character 'g' in \\u hexadecimal character escape");
    EQ("json_error(\"\\\"a\\tb\\\"\")", "string:invalid character '\\t' in string literal");
    EQ("json_error(\"{'a': 1}\")", "string:invalid character '\\'' looking for beginning of object key string");
    EQ("json_error(\"[\")", "string:unexpected end of JSON input");
    EQ("json_error(\"{\\\"a\\\": \\\"b\")", "string:unexpected end of JSON input");
    EQ("json_error(\"{}\")", "absent");
}
END_TEST

/* yaml(s): the manifest loader over a string's text (yaml_load.c) */
START_TEST(yaml_text)
{
    /* flow style, comments, quotes holding '#', a literal block scalar */
    EQ("yaml(\"rules: [{seriesQuery: 'x{a=\\\"#\\\"}', name: {matches: ^(.*)_total$, as: \\\"${1}\\\"}}] # c\")",
       "map:{\"rules\":[{\"seriesQuery\":\"x{a=\\\"#\\\"}\",\"name\":{\"matches\":\"^(.*)_total$\",\"as\":\"${1}\"}}]}");
    EQ("yaml(\"q: |\\n  a{b=\\\"1\\\"}\\n  # kept\\nk: 1 # dropped\\n\")", "map:{\"q\":\"a{b=\\\"1\\\"}\\n# kept\\n\",\"k\":1}");
    /* scalars typed as manifests are (go-yaml v2, YAML 1.1) */
    EQ("yaml(\"a: 010\\nb: yes\\nc: 1.5\\nd: '1'\\ne: ~\\nf: 0x1F\")",
       "map:{\"a\":8,\"b\":true,\"c\":1.5,\"d\":\"1\",\"e\":null,\"f\":31}");
    /* nesting, anchors, aliases and merge keys */
    EQ("yaml(\"x: &q {k: 1}\\nw: [*q, *q]\\nz:\\n  <<: *q\\n  j: 2\")",
       "map:{\"x\":{\"k\":1},\"w\":[{\"k\":1},{\"k\":1}],\"z\":{\"j\":2,\"k\":1}}");
    EQ("yaml(\"y: 1\")", "map:{\"true\":1}"); /* YAML 1.1: a plain y is true, keys too */
    EQ("yaml(\"- - - 1\")", "list:[[[1]]]");
    EQ("yaml(\"7\")", "int:7");
    /* nothing to read is null, as go-yaml leaves the value it decodes into */
    EQ("yaml(\"\")", "null:null");
    EQ("yaml(\"# a comment\\n\")", "null:null");
    /* one document: what follows the first is not read (go-yaml's Unmarshal) */
    EQ("yaml(\"a: 1\\n---\\nb: [\")", "map:{\"a\":1}");
    EQ("yaml(\"--- a\\n--- b\\n\")", "string:a");
    /* errors name the line and column inside the text */
    EQ("yaml(\"a: b: c\")", "E yaml(): line 1, column 5: invalid YAML: mapping values are not allowed in this context");
    EQ("yaml(\"a:\\n  - 1\\n - 2\")",
       "E yaml(): line 3, column 2: invalid YAML: did not find expected key while parsing a block mapping");
    EQ("yaml(\"a: 1\\nb: 2\\na: 3\")", "E yaml(): line 3, column 1: invalid YAML: mapping key \"a\" already defined at line 1");
    EQ("yaml(\"x: *nope\")", "E yaml(): line 1, column 4: invalid YAML: unknown anchor 'nope' referenced");
    EQ("yaml(\"a:\\n  <<: [1]\")", "E yaml(): line 2, column 7: invalid YAML: a merge key (<<) takes a mapping or a list of mappings");
    /* libyaml places the end of the text after its last line */
    EQ("yaml(\"[1, 2\")", "E yaml(): line 2, column 1: invalid YAML: did not find expected ',' or ']' while parsing a flow sequence");
    EQ("yaml(absent)", "absent");
    EQ("yaml(1)", "E yaml(): argument 1 must be a string, got int");
    /* yaml_error() in gopkg.in/yaml.v2's words: a 0-based line for parser
     * errors, 1-based for scanner errors, none for the first line */
    EQ("yaml_error(\"a: b: c\")", "string:yaml: mapping values are not allowed in this context");
    EQ("yaml_error(\"a: 1\\nb: c: d\\n\")", "string:yaml: line 2: mapping values are not allowed in this context");
    EQ("yaml_error(\"rules:\\n- seriesQuery: a\\n  - x\\n\")", "string:yaml: line 2: did not find expected key");
    EQ("yaml_error(\"rules: [1, 2\")", "string:yaml: line 1: did not find expected ',' or ']'");
    EQ("yaml_error(\"{a: 1\")", "string:yaml: line 1: did not find expected ',' or '}'");
    EQ("yaml_error(\"rules:\\n\\t- a\\n\")", "string:yaml: line 2: found character that cannot start any token");
    EQ("yaml_error(\"x: \\\"\\\\q\\\"\")", "string:yaml: found unknown escape character");
    EQ("yaml_error(\"a: \\\"\\u0001\\\"\")", "string:yaml: control characters are not allowed"); /* a reader error */
    EQ("yaml_error(\"rules: *x\")", "string:yaml: unknown anchor 'x' referenced");
    /* yaml.v2 names a repeated key by the Go type it decodes into, and finds
     * a bad merge only after reading the whole document: the loader's words */
    EQ("yaml_error(\"a:\\n  <<: [1]\")",
       "string:line 2, column 7: invalid YAML: a merge key (<<) takes a mapping or a list of mappings");
    EQ("yaml_error(\"a: 1\\na: 2\")", "string:line 2, column 1: invalid YAML: mapping key \"a\" already defined at line 1");
    EQ("yaml_error(\"a: 1\")", "absent");
    EQ("yaml_error(absent)", "absent");
    EQ("yaml_error([])", "E yaml_error(): argument 1 must be a string, got list");
    /* the manifest loader's limits */
    limits.max_depth = 3;
    EQ("yaml(\"[[[1]]]\")", "list:[[[1]]]");
    EQ("yaml(\"[[[[1]]]]\")", "E yaml(): line 1, column 4: document nested deeper than the limit of 3 levels");
    limits.max_alias_expansion = 3;
    EQ("yaml(\"a: &x [1, 2]\\nb: *x\")", "map:{\"a\":[1,2],\"b\":[1,2]}");
    EQ("yaml(\"a: &x [1, 2]\\nb: [*x, *x]\")",
       "E yaml(): line 2, column 9: alias expansion limit (3 nodes) exceeded");
    limits.max_document_bytes = 4;
    EQ("yaml(\"a: 12\")", "E yaml(): the text is larger than the limit of 4 bytes");
}
END_TEST

/* Where yaml()'s values and errors are: in a literal block scalar the
 * text's lines are the manifest's; otherwise everything is at the string. */
static kvet_value literal_text(const char *text, bool literal)
{
    kvet_value s = kv_string_value(&arena, text, strlen(text));
    s.src = 1;
    s.line = 10; /* the `|` indicator's line */
    s.col = 9;
    if (literal) {
        s.flags |= KVET_VF_LITERAL | KVET_VF_QUOTED;
        s.reserved = 5; /* its text lines start at column 5 */
    }
    return s;
}

START_TEST(yaml_positions)
{
    kv_call call = {&arena, &limits, cache, NULL, NULL, NULL};
    int idx = kv_builtin_lookup("yaml");
    int eidx = kv_builtin_lookup("yaml_error");
    ck_assert_int_ge(idx, 0);
    ck_assert_int_ge(eidx, 0);
    const char *text = "rules:\n- seriesQuery: a\n  name:\n    as: |\n      x\n";
    kvet_value s = literal_text(text, true), out;
    ck_assert_int_eq(kv_builtin_at((size_t)idx)->fn(&call, &s, 1, &out), 0);
    ck_assert_int_eq(out.type, KVET_MAP);
    kvet_value item = out.u.m->e[0].val.u.l->items[0];
    ck_assert_uint_eq(item.line, 12); /* text line 2 */
    ck_assert_uint_eq(item.col, 7);   /* text column 3 */
    kvet_value q = item.u.m->e[0].val;
    ck_assert_uint_eq(q.src, 1);
    ck_assert_uint_eq(q.line, 12);
    ck_assert_uint_eq(q.col, 20);  /* text column 16 */
    /* a literal block inside keeps pointing at the manifest */
    kvet_value as = item.u.m->e[1].val.u.m->e[0].val;
    ck_assert_uint_eq(as.line, 14);
    ck_assert(as.flags & KVET_VF_LITERAL);
    ck_assert_uint_eq(as.reserved, 11);
    /* not a literal block: the string's own place, and no literal flag */
    s = literal_text(text, false);
    ck_assert_int_eq(kv_builtin_at((size_t)idx)->fn(&call, &s, 1, &out), 0);
    item = out.u.m->e[0].val.u.l->items[0];
    as = item.u.m->e[1].val.u.m->e[0].val;
    ck_assert_uint_eq(item.line, 10);
    ck_assert_uint_eq(item.col, 9);
    ck_assert_uint_eq(as.line, 10);
    ck_assert(!(as.flags & KVET_VF_LITERAL));
    /* yaml_error() points at the failing byte in the manifest */
    s = literal_text("a: 1\nb: c: d\n", true);
    ck_assert_int_eq(kv_builtin_at((size_t)eidx)->fn(&call, &s, 1, &out), 0);
    ck_assert_int_eq(out.type, KVET_STRING);
    ck_assert_str_eq(out.u.s->data, "yaml: line 2: mapping values are not allowed in this context");
    ck_assert_uint_eq(out.line, 12);
    ck_assert_uint_eq(out.col, 9);
    s = literal_text("a: 1\nb: c: d\n", false);
    ck_assert_int_eq(kv_builtin_at((size_t)eidx)->fn(&call, &s, 1, &out), 0);
    ck_assert_uint_eq(out.line, 10);
    ck_assert_uint_eq(out.col, 9);
    /* no document: null at the string */
    s = literal_text("# nothing\n", true);
    ck_assert_int_eq(kv_builtin_at((size_t)idx)->fn(&call, &s, 1, &out), 0);
    ck_assert_int_eq(out.type, KVET_NULL);
    ck_assert_uint_eq(out.line, 10);
}
END_TEST

START_TEST(string_limits)
{
    limits.max_string_bytes = 10;
    EQ("replace(\"aaaa\", \"a\", \"xyz\")", "E replace(): the result is longer than the limit of 10 bytes");
    EQ("replace(\"aaaa\", \"a\", \"xy\")", "string:xyxyxyxy");
    EQ("join([\"abcdef\", \"ghijk\"], \"\")", "E join(): the result is longer than the limit of 10 bytes");
    EQ("string([1234567, 1234567])", "E string(): the text is longer than the limit of 10 bytes");
    EQ("range(1000001)", "E range(): 1000001 is more than the limit of 1000000 items");
    EQ("range(3)", "list:[0,1,2]");
}
END_TEST

/* ---------------------------------------------------------- collections */

START_TEST(collections)
{
    EQ("keys({\"b\": 1, \"a\": 2})", "list:[\"b\",\"a\"]");
    EQ("keys({})", "list:[]");
    EQ("keys(absent)", "absent");
    EQ("keys([1])", "E keys(): argument 1 must be a map, got list");
    EQ("values({\"b\": 1, \"a\": 2})", "list:[1,2]");
    EQ("values(1)", "E values(): argument 1 must be a map, got int");
    EQ("entries({\"k\": 1, \"j\": [2]})", "list:[{\"key\":\"k\",\"value\":1},{\"key\":\"j\",\"value\":[2]}]");
    EQ("entries({})", "list:[]");
    EQ("entries(absent)", "absent");

    EQ("get({\"a/b\": 1}, \"a/b\")", "int:1");
    EQ("get({\"a.b[0]\": 1}, \"a.b[0]\")", "int:1");
    EQ("get({\"a\": null}, \"a\", 7)", "null:null");
    EQ("get({\"a\": absent}, \"a\", 7)", "int:7");
    EQ("get({}, \"x\", 7)", "int:7");
    EQ("get({}, \"x\")", "absent");
    EQ("get(absent, \"x\", 7)", "int:7");
    EQ("get(absent, \"x\")", "absent");
    EQ("get({\"x\": 1}, absent, 7)", "absent");
    EQ("get([1], \"x\")", "E get(): argument 1 must be a map, got list");
    EQ("get({}, 1)", "E get(): argument 2 must be a string, got int");

    /* the first key the map has, in the list's order; a null value counts */
    EQ("first_key({\"b\": 1, \"a\": 2}, [\"a\", \"b\"])", "string:a");
    EQ("first_key({\"b\": 1}, [\"a\", \"b\"])", "string:b");
    EQ("first_key({\"a\": null}, [\"a\", \"b\"])", "string:a");
    EQ("first_key({\"a\": absent, \"b\": 1}, [\"a\", \"b\"])", "string:b");
    EQ("first_key({\"c\": 1}, [\"a\", \"b\"])", "absent");
    EQ("first_key({\"a\": 1}, [])", "absent");
    EQ("first_key(absent, [\"a\"])", "absent");
    EQ("first_key(\"a\", [\"a\"])", "absent");
    EQ("first_key([1], [\"a\"])", "absent");
    EQ("first_key({\"a\": 1}, absent)", "absent");
    EQ("first_key({\"a\": 1}, \"a\")", "E first_key(): argument 2 must be a list, got string");
    EQ("first_key({\"a\": 1}, [1, \"a\"])", "E first_key(): argument 2 must be a list of strings, got int");

    EQ("merge({\"a\": 1, \"b\": 2}, {\"b\": 3, \"c\": 4})", "map:{\"a\":1,\"b\":3,\"c\":4}");
    EQ("merge({\"a\": 1}, absent, {\"a\": 2})", "map:{\"a\":2}");
    EQ("merge(absent, {\"a\": 2})", "map:{\"a\":2}");
    EQ("merge(absent)", "absent");
    EQ("merge({})", "map:{}");
    EQ("merge({\"x\": 1, \"y\": 2}, {\"y\": 3}, {\"x\": 4})", "map:{\"x\":4,\"y\":3}");
    EQ("merge({\"a\": 1}, [1])", "E merge(): argument 2 must be a map, got list");

    EQ("sort([3, 1, 2])", "list:[1,2,3]");
    EQ("sort([])", "list:[]");
    EQ("sort([\"b\", 2, null, \"a\", 1.5, true])", "list:[null,true,1.5,2,\"a\",\"b\"]");
    EQ("sort([2, 1.0, 1, 2.0])", "list:[1.0,1,2,2.0]"); /* stable */
    EQ("sort([[2], [1, 5], [1]])", "list:[[1],[1,5],[2]]");
    EQ("sort(absent)", "absent");
    EQ("sort({})", "E sort(): argument 1 must be a list, got map");

    EQ("unique([1, 1, 2, 1])", "list:[1,2]");
    EQ("unique([1, 1.0, \"1\"])", "list:[1,\"1\"]");
    EQ("unique([{\"a\": 1, \"b\": 2}, {\"b\": 2, \"a\": 1}, [1], [1]])", "list:[{\"a\":1,\"b\":2},[1]]");
    EQ("unique([0.0, -0.0])", "list:[0.0]");
    EQ("unique([nan, nan])", "list:[null,null]"); /* NaN equals nothing (JSON shows it as null) */
    EQ("unique([absent, absent, null])", "list:[null,null]");
    EQ("unique([])", "list:[]");
    EQ("unique(1)", "E unique(): argument 1 must be a list, got int");

    EQ("first([])", "absent");
    EQ("first([4, 5])", "int:4");
    EQ("first(absent)", "absent");
    EQ("first(\"ab\")", "E first(): argument 1 must be a list, got string");
    EQ("last([1, 2])", "int:2");
    EQ("last([])", "absent");
    EQ("flatten([[1], 2, [3, [4]], []])", "list:[1,2,3,[4]]");
    EQ("flatten([])", "list:[]");
    EQ("flatten({})", "E flatten(): argument 1 must be a list, got map");

    EQ("range(3)", "list:[0,1,2]");
    EQ("range(0)", "list:[]");
    EQ("range(-5)", "list:[]");
    EQ("range(absent)", "absent");
    EQ("range(2.0)", "E range(): argument 1 must be an int, got float");
    EQ("range(10000000)", "E range(): 10000000 is more than the limit of 1000000 items");
}
END_TEST

/* Sort and unique over lists large enough to exercise the hash table and
 * several merge passes. */
START_TEST(large_collections)
{
    enum { N = 5000 };
    kvet_list *l = kv_list_new(&arena, N);
    for (uint32_t i = 0; i < N; i++)
        l->items[i] = i % 2 ? kv_int((int64_t)((i * 7919u) % 1000)) : kv_float((double)((i * 7919u) % 1000));
    kvet_value arg = kv_list_value(l), out;
    kv_call call = {&arena, &limits, cache, NULL, NULL, NULL};
    ck_assert_int_eq(kv_builtin_at((size_t)kv_builtin_lookup("sort"))->fn(&call, &arg, 1, &out), 0);
    ck_assert_uint_eq(out.u.l->n, N);
    for (uint32_t i = 1; i < N; i++) {
        ck_assert_int_le(kv_value_compare(out.u.l->items[i - 1], out.u.l->items[i]), 0);
        /* stability: among equal numbers, the original order (even index
         * floats and odd index ints interleave as they came) is kept */
    }
    ck_assert_int_eq(kv_builtin_at((size_t)kv_builtin_lookup("unique"))->fn(&call, &arg, 1, &out), 0);
    ck_assert_uint_eq(out.u.l->n, 1000);
    /* first occurrences in order: item 0 is 0.0 (a float), item 1 is 7919 % 1000 */
    ck_assert_int_eq(out.u.l->items[0].type, KVET_FLOAT);
    ck_assert_int_eq(out.u.l->items[1].type, KVET_INT);
    ck_assert_int_eq(out.u.l->items[1].u.i, 919);

    /* stability on a large list: equal keys keep their order */
    kvet_list *m = kv_list_new(&arena, N);
    for (uint32_t i = 0; i < N; i++)
        m->items[i] = (i % 3) ? kv_int(i % 10) : kv_float((double)(i % 10));
    arg = kv_list_value(m);
    ck_assert_int_eq(kv_builtin_at((size_t)kv_builtin_lookup("sort"))->fn(&call, &arg, 1, &out), 0);
    for (uint32_t i = 1; i < N; i++) {
        kvet_value a = out.u.l->items[i - 1], b = out.u.l->items[i];
        ck_assert_int_le(kv_value_compare(a, b), 0);
        ck_assert_ptr_null(call.err);
    }
    /* the first 0 in the sorted output is item 0 of the input: a float */
    ck_assert_int_eq(out.u.l->items[0].type, KVET_FLOAT);
}
END_TEST

/* ----------------------------------------------------------- positions */

START_TEST(positions)
{
    AT("lower(\"AB\"@4:7)", 4, 7);
    AT("trim(\" x \"@2:3)", 2, 3);
    AT("int(\"12\"@5:9)", 5, 9);
    AT("float(\"1.5\"@5:9)", 5, 9);
    AT("quantity(\"500m\"@3:14)", 3, 14);
    AT("duration(\"1m\"@8:20)", 8, 20);
    AT("percent(\"50%\"@6:2)", 6, 2);
    AT("int_or_percent(\"50%\"@6:2, 10, true)", 6, 2);
    AT("abs(-3@1:2)", 1, 2);
    AT("len(\"abc\"@9:1)", 9, 1);
    AT("split(\"a,b\"@7:7, \",\")", 7, 7);
    AT("match(\"abc\"@2:2, \"b\")", 2, 2);
    AT("string(5@3:3)", 3, 3);
    AT("min(3@1:1, 2@2:2, 5@3:3)", 2, 2); /* the winner keeps its own */
    AT("max([1@1:1, 7@4:4])", 4, 4);
    AT("first([8@6:6])", 6, 6);
    AT("get({\"a\": 1@3:5}, \"a\")", 3, 5);
    AT("get({}@2:1, \"a\")", 2, 1); /* absent where the map is */
    /* keys take their values' positions */
    kvet_value k = evalv("keys({\"a\": 1@3:5, \"b\": 2@4:5})");
    ck_assert_uint_eq(k.u.l->items[0].line, 3);
    ck_assert_uint_eq(k.u.l->items[1].line, 4);
    kvet_value e = evalv("entries({\"a\": 1@3:5})");
    ck_assert_uint_eq(e.u.l->items[0].line, 3);
    kvet_value cap = evalv("capture(\"v1.2\"@5:5, \"(\\\\d+)\\\\.(\\\\d+)\")");
    ck_assert_uint_eq(cap.line, 5);
    ck_assert_uint_eq(cap.u.l->items[1].line, 5);
    /* absent arguments give absent at their own position */
    AT("lower(absent@4:4)", 4, 4);
}
END_TEST

/* -------------------------------------------------- Kubernetes quantity */

/* Facts from apimachinery's TestQuantityParse and TestParseQuantity. */
START_TEST(kubernetes_quantities)
{
    static const char *const cases[][2] = {
        {"0", "int:0"}, {"0n", "int:0"}, {"0u", "int:0"}, {"0m", "int:0"}, {"0Ki", "int:0"}, {"0k", "int:0"},
        {"0Mi", "int:0"}, {"0M", "int:0"}, {"0Gi", "int:0"}, {"0G", "int:0"}, {"0Ti", "int:0"}, {"0T", "int:0"},
        {"1", "int:1"},
        {"1Ki", "int:1024"}, {"8Ki", "int:8192"}, {"7Mi", "int:7340032"}, {"6Gi", "int:6442450944"},
        {"5Ti", "int:5497558138880"}, {"4Pi", "int:4503599627370496"}, {"3Ei", "int:3458764513820540928"},
        {"10Ti", "int:10995116277760"}, {"100Ti", "int:109951162777600"},
        {"5n", "float:5e-09"}, {"4u", "float:4e-06"}, {"3m", "float:0.003"}, {"9", "int:9"}, {"8k", "int:8000"},
        {"50k", "int:50000"}, {"7M", "int:7000000"}, {"6G", "int:6000000000"}, {"5T", "int:5000000000000"},
        {"40T", "int:40000000000000"}, {"300T", "int:300000000000000"}, {"2P", "int:2000000000000000"},
        {"1E", "int:1000000000000000000"},
        {"1E-3", "float:0.001"}, {"1e3", "int:1000"}, {"1E6", "int:1000000"}, {"1e9", "int:1000000000"},
        {"1E12", "int:1000000000000"}, {"1e15", "int:1000000000000000"}, {"1E18", "int:1000000000000000000"},
        {"1e14", "int:100000000000000"}, {"1e13", "int:10000000000000"}, {"100.035k", "int:100035"},
        {"0.001", "float:0.001"}, {"0.0005k", "float:0.5"}, {"0.005", "float:0.005"}, {"0.05", "float:0.05"},
        {"0.5", "float:0.5"}, {"0.00050k", "float:0.5"}, {"0.00500", "float:0.005"}, {"0.05000", "float:0.05"},
        {"0.50000", "float:0.5"}, {"0.5e0", "float:0.5"}, {"0.5e-1", "float:0.05"}, {"0.5e-2", "float:0.005"},
        {"10.035M", "int:10035000"},
        {"1.2e3", "int:1200"}, {"1.3E+6", "int:1300000"}, {"1.40e9", "int:1400000000"},
        {"1.53E12", "int:1530000000000"}, {"1.6e15", "int:1600000000000000"},
        {"1.7E18", "int:1700000000000000000"},
        {"9.01", "float:9.01"}, {"8.1k", "int:8100"}, {"7.123456M", "int:7123456"},
        {"6.987654321G", "int:6987654321"}, {"5.444T", "int:5444000000000"}, {"40.1T", "int:40100000000000"},
        {"300.2T", "int:300200000000000"}, {"2.5P", "int:2500000000000000"}, {"1.01E", "int:1010000000000000000"},
        /* rounded up to a multiple of 1n; binary suffixes capped at 2^63-1 */
        {"3.001n", "float:4e-09"}, {"1.1E-9", "float:2e-09"}, {"0.0000000001", "float:1e-09"},
        {"0.0000000005", "float:1e-09"}, {"0.00000000050", "float:1e-09"}, {"0.5e-9", "float:1e-09"},
        {"0.9n", "float:1e-09"}, {"0.00000012345", "float:1.24e-07"}, {"0.00000012354", "float:1.24e-07"},
        {"9Ei", "int:9223372036854775807"}, {"9223372036854775807Ki", "int:9223372036854775807"},
        {"12E", "float:1.2e+19"},
        {"100.035Ki", "float:102435.84"}, {"0.5Mi", "int:524288"}, {"0.05Gi", "float:53687091.2"},
        {"0.025Ti", "float:27487790694.4"},
        {"0.000000000001Ki", "float:2e-09"}, {".001", "float:0.001"}, {".0001k", "float:0.1"}, {"1.", "int:1"},
        {"1.G", "int:1000000000"},
        /* negative and explicitly positive forms */
        {"-1Ki", "int:-1024"}, {"+1Ki", "int:1024"}, {"-3.001n", "float:-4e-09"}, {"-9Ei", "int:-9223372036854775807"},
        {"-0.5", "float:-0.5"}, {"+100.035k", "int:100035"}, {"-0", "int:0"},
        /* around the int64 range (TestParseQuantity) */
        {"999999999999999999", "int:999999999999999999"}, {"-999999999999999999", "int:-999999999999999999"},
        {"9223372036854775807", "int:9223372036854775807"}, {"-9223372036854775808", "int:-9223372036854775808"},
        {"9223372036854775807000m", "int:9223372036854775807"},
        {"-9223372036854775808000m", "int:-9223372036854775808"},
        {"9223372036854775808", "float:9.223372036854776e+18"},
        {"-9223372036854775809", "float:-9.223372036854776e+18"},
        {"9223372036854775807.1", "float:9.223372036854776e+18"}, {"10E", "float:1e+19"},
        {"999999999999999999.1", "float:1e+18"},
        {"1.000000000000000001E", "int:1000000000000000001"},
        /* exact arithmetic: no float rounding on the way */
        {"0.1", "float:0.1"}, {"1.1Ki", "float:1126.4"}, {"123456789.123456789", "float:123456789.12345679"},
        {"1e-100", "float:1e-09"}, {"1e400", "float:Inf"}, {"1e4294967299", "int:1000"},
        /* Kubernetes accepts these: no digits but a zero value */
        {".", "int:0"}, {"-", "int:0"}, {"+", "int:0"}, {"Ki", "int:0"}, {"m", "int:0"}, {"e3", "int:0"},
        {"000", "int:0"}, {"00.5", "float:0.5"},
    };
    char expr[128];
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        snprintf(expr, sizeof expr, "quantity(\"%s\")", cases[i][0]);
        EQ(expr, cases[i][1]);
    }
    static const char *const invalid[] = {
        "1.1.M", "1+1.0M", "0.1mi", "0.1am", "aoeu", ".5i", "1i", "-3.01i", "-3.01e-", " 1", "1 ", "",
        "2GB", "Non-Numeric", "1K", "1ki", "1e", "1E+", "1e3.5", "1e99999999999999999999", "1 Gi",
        /* no digits on Kubernetes' exact path: rejected there */
        "Pi", "Ei", ".e-10", "e-10",
    };
    for (size_t i = 0; i < sizeof invalid / sizeof invalid[0]; i++) {
        snprintf(expr, sizeof expr, "quantity(\"%s\")", invalid[i]);
        char want[160];
        snprintf(want, sizeof want, "E quantity(): \"%s\" is not a Kubernetes quantity", invalid[i]);
        EQ(expr, want);
    }
    EQ("quantity(4)", "int:4");
    EQ("quantity(0.5)", "float:0.5");
    EQ("quantity(absent)", "absent");
    EQ("quantity(true)", "E quantity(): argument 1 must be a string or a number, got bool");
    EQ("quantity(\"1\\0\")", "E quantity(): \"1\\u0000\" is not a Kubernetes quantity");
}
END_TEST

/* ----------------------------------------------------------- durations */

/* Go's parseDurationTests (src/time/time_test.go), in nanoseconds. */
START_TEST(go_durations)
{
    static const struct { const char *in; const char *ns; } ok[] = {
        {"0", "0"}, {"5s", "5000000000"}, {"30s", "30000000000"}, {"1478s", "1478000000000"},
        {"-5s", "-5000000000"}, {"+5s", "5000000000"}, {"-0", "0"}, {"+0", "0"},
        {"5.0s", "5000000000"}, {"5.6s", "5600000000"}, {"5.s", "5000000000"}, {".5s", "500000000"},
        {"1.0s", "1000000000"}, {"1.00s", "1000000000"}, {"1.004s", "1004000000"}, {"1.0040s", "1004000000"},
        {"100.00100s", "100001000000"},
        {"10ns", "10"}, {"11us", "11000"}, {"12\\u00b5s", "12000"}, {"12\\u03bcs", "12000"}, {"13ms", "13000000"},
        {"14s", "14000000000"}, {"15m", "900000000000"}, {"16h", "57600000000000"},
        {"3h30m", "12600000000000"}, {"10.5s4m", "250500000000"}, {"-2m3.4s", "-123400000000"},
        {"1h2m3s4ms5us6ns", "3723004005006"}, {"39h9m14.425s", "140954425000000"},
        {"52763797000ns", "52763797000"},
        {"0.3333333333333333333h", "1200000000000"},
        {"9007199254740993ns", "9007199254740993"},
        {"9223372036854775807ns", "9223372036854775807"}, {"9223372036854775.807us", "9223372036854775807"},
        {"9223372036s854ms775us807ns", "9223372036854775807"},
        {"-9223372036854775808ns", "-9223372036854775808"}, {"-9223372036854775.808us", "-9223372036854775808"},
        {"-9223372036s854ms775us808ns", "-9223372036854775808"},
        {"-2562047h47m16.854775808s", "-9223372036854775808"},
        {"0.100000000000000000000h", "360000000000"},
        {"0.830103483285477580700h", "2988372539827"},
    };
    char expr[128], want[128];
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        snprintf(expr, sizeof expr, "duration_ns(\"%s\")", ok[i].in);
        snprintf(want, sizeof want, "int:%s", ok[i].ns);
        EQ(expr, want);
    }
    /* parseDurationErrorTests, with Go's messages */
    static const struct { const char *in, *msg; } bad[] = {
        {"", "invalid duration \"\""},
        {"3", "missing unit in duration \"3\""},
        {"-", "invalid duration \"-\""},
        {"s", "invalid duration \"s\""},
        {".", "invalid duration \".\""},
        {"-.", "invalid duration \"-.\""},
        {".s", "invalid duration \".s\""},
        {"+.s", "invalid duration \"+.s\""},
        {"1d", "unknown unit \"d\" in duration \"1d\""},
        {"\\x85\\x85", "invalid duration \"\\x85\\x85\""},
        {"\\xffff", "invalid duration \"\\xffff\""},
        {"hello \\xffff world", "invalid duration \"hello \\xffff world\""},
        {"\\ufffd", "invalid duration \"\\xef\\xbf\\xbd\""},
        {"\\ufffd hello \\ufffd world", "invalid duration \"\\xef\\xbf\\xbd hello \\xef\\xbf\\xbd world\""},
        {"9223372036854775810ns", "invalid duration \"9223372036854775810ns\""},
        {"9223372036854775808ns", "invalid duration \"9223372036854775808ns\""},
        {"-9223372036854775809ns", "invalid duration \"-9223372036854775809ns\""},
        {"9223372036854776us", "invalid duration \"9223372036854776us\""},
        {"3000000h", "invalid duration \"3000000h\""},
        {"9223372036854775.808us", "invalid duration \"9223372036854775.808us\""},
        {"9223372036854ms775us808ns", "invalid duration \"9223372036854ms775us808ns\""},
        /* more of the same rules */
        {"1h 30m", "unknown unit \"h \" in duration \"1h 30m\""},
        {"1\\u00b5", "unknown unit \"\\xc2\\xb5\" in duration \"1\\xc2\\xb5\""},
        {"1w", "unknown unit \"w\" in duration \"1w\""},
        {"1H", "unknown unit \"H\" in duration \"1H\""},
        {"1.5", "missing unit in duration \"1.5\""},
        {"1h30", "missing unit in duration \"1h30\""},
        {" 1s", "invalid duration \" 1s\""},
        {"1s\\\"", "unknown unit \"s\\\"\" in duration \"1s\\\"\""},
        {"--1s", "invalid duration \"--1s\""},
        {"1..5s", "missing unit in duration \"1..5s\""},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        snprintf(expr, sizeof expr, "duration_ns(\"%s\")", bad[i].in);
        snprintf(want, sizeof want, "E duration_ns(): time: %s", bad[i].msg);
        EQ(expr, want);
    }

    EQ("duration(\"0\")", "int:0");
    EQ("duration(\"5s\")", "int:5");
    EQ("duration(\"1h30m\")", "int:5400");
    EQ("duration(\"3h30m10s\")", "int:12610");
    EQ("duration(\"1.5s\")", "float:1.5");
    EQ("duration(\"1.5h\")", "int:5400");
    EQ("duration(\"100ms\")", "float:0.1");
    EQ("duration(\"-100ms\")", "float:-0.1");
    EQ("duration(\"1ns\")", "float:1e-09");
    EQ("duration(\"5.6s\")", "float:5.6");
    EQ("duration(\"1.004s\")", "float:1.004");
    EQ("duration(\"9223372036854775807ns\")", "float:9223372036.854776");
    EQ("duration(\"-2562047h47m16.854775808s\")", "float:-9223372036.854776");
    EQ("duration(absent)", "absent");
    EQ("duration(1)", "E duration(): argument 1 must be a string, got int");
    EQ("duration(\"1d\")", "E duration(): time: unknown unit \"d\" in duration \"1d\"");
    EQ("duration(\"1\")", "E duration(): time: missing unit in duration \"1\"");
    EQ("duration(\"x\")", "E duration(): time: invalid duration \"x\"");
    EQ("duration_ns(\"1.5h\")", "int:5400000000000");
    EQ("duration_ns(absent)", "absent");
    EQ("duration_ns([])", "E duration_ns(): argument 1 must be a string, got list");

    /* a long bad input is cut in the message */
    char longin[400];
    memset(longin, 'x', sizeof longin - 1);
    longin[sizeof longin - 1] = '\0';
    char lexpr[512];
    snprintf(lexpr, sizeof lexpr, "duration(\"%s\")", longin);
    char *got = eval_with(cache, lexpr);
    char lwant[512];
    snprintf(lwant, sizeof lwant, "E duration(): time: invalid duration \"%.200s...\"", longin);
    ck_assert_str_eq(got, lwant);
    free(got);
}
END_TEST

/* --------------------------------------------------------- percentages */

START_TEST(percentages)
{
    EQ("percent(\"80%\")", "int:80");
    EQ("percent(\"12.5%\")", "float:12.5");
    EQ("percent(\"-5%\")", "int:-5");
    EQ("percent(\"0%\")", "int:0");
    EQ("percent(80)", "int:80");
    EQ("percent(0.5)", "float:0.5");
    EQ("percent(absent)", "absent");
    EQ("percent(\"80\")", "E percent(): \"80\" is not a percentage such as \"80%\"");
    EQ("percent(\"%\")", "E percent(): \"%\" is not a percentage such as \"80%\"");
    EQ("percent(\"80 %\")", "E percent(): \"80 %\" is not a percentage such as \"80%\"");
    EQ("percent(\"Inf%\")", "E percent(): \"Inf%\" is not a percentage such as \"80%\"");
    EQ("percent(\"80%%\")", "E percent(): \"80%%\" is not a percentage such as \"80%\"");
    EQ("percent(true)", "E percent(): argument 1 must be a number or a string, got bool");
    EQ("is_percent(\"50%\")", "bool:true");
    EQ("is_percent(\"50\")", "bool:false");
    EQ("is_percent(50)", "bool:false");
    EQ("is_percent(absent)", "absent");

    /* intstr.GetScaledValueFromIntOrPercent */
    EQ("int_or_percent(\"50%\", 5, true)", "int:3");
    EQ("int_or_percent(\"50%\", 5, false)", "int:2");
    EQ("int_or_percent(\"100%\", 7, false)", "int:7");
    EQ("int_or_percent(\"0%\", 7, true)", "int:0");
    EQ("int_or_percent(\"33%\", 3, true)", "int:1");
    EQ("int_or_percent(\"33%\", 3, false)", "int:0");
    EQ("int_or_percent(\"-50%\", 5, true)", "int:-2");
    EQ("int_or_percent(\"+50%\", 4, true)", "int:2");
    EQ("int_or_percent(2, 5, true)", "int:2");
    EQ("int_or_percent(-2, 5, true)", "int:-2");
    EQ("int_or_percent(absent, 5, true)", "absent");
    EQ("int_or_percent(\"5%\", absent, true)", "absent");
    EQ("int_or_percent(\"50\", 5, true)",
       "E int_or_percent(): invalid value for IntOrString: invalid type: string is not a percentage: \"50\"");
    EQ("int_or_percent(\"\", 5, true)",
       "E int_or_percent(): invalid value for IntOrString: invalid type: string is not a percentage: \"\"");
    EQ("int_or_percent(\"1.5%\", 5, true)",
       "E int_or_percent(): invalid value for IntOrString: invalid value \"1.5%\": strconv.Atoi: parsing \"1.5\": invalid syntax");
    EQ("int_or_percent(\"%\", 5, true)",
       "E int_or_percent(): invalid value for IntOrString: invalid value \"%\": strconv.Atoi: parsing \"\": invalid syntax");
    EQ("int_or_percent(\"99999999999999999999%\", 5, true)",
       "E int_or_percent(): invalid value for IntOrString: invalid value \"99999999999999999999%\": "
       "strconv.Atoi: parsing \"99999999999999999999\": value out of range");
    EQ("int_or_percent(\"9223372036854775807%\", 9223372036854775807, true)",
       "E int_or_percent(): \"9223372036854775807%\" of 9223372036854775807 is out of the int64 range");
    EQ("int_or_percent(1.5, 5, true)", "E int_or_percent(): argument 1 must be an int or a string, got float");
    EQ("int_or_percent(\"5%\", 5.0, true)", "E int_or_percent(): argument 2 must be an int, got float");
    EQ("int_or_percent(\"5%\", 5, 1)", "E int_or_percent(): argument 3 must be a bool, got int");
}
END_TEST

/* ------------------------------------------------- regular expressions */

static void check_regex(kv_regex_cache *rc)
{
    EQW(rc, "match(\"kpa.autoscaling.knative.dev\", \"^(kpa|hpa)\\\\.\")", "bool:true");
    EQW(rc, "match(\"x\", \"^y\")", "bool:false");
    EQW(rc, "match(\"abc\", \"b\")", "bool:true"); /* unanchored */
    EQW(rc, "match(\"\", \"\")", "bool:true");
    EQW(rc, "match(\"\u00e9\", \"^.$\")", "bool:true"); /* UTF-8 characters */
    EQW(rc, "match(\"a\\xffb\", \"a.b\")", "bool:false"); /* invalid UTF-8 does not match */
    EQW(rc, "match(\"a\\xffb\", \"b$\")", "bool:true");   /* ... and does not fail */
    EQW(rc, "match(\"a\\0b\", \"a\\\\x00b\")", "bool:true");
    EQW(rc, "match(absent, \"x\")", "absent");
    EQW(rc, "match(\"x\", absent)", "absent");
    EQW(rc, "match(1, \"x\")", "E match(): argument 1 must be a string, got int");
    EQW(rc, "match(\"1\", 1)", "E match(): argument 2 must be a string, got int");
    EQW(rc, "capture(\"v1.23.4\", \"^v(\\\\d+)\\\\.(\\\\d+)(x)?\")", "list:[\"v1.23\",\"1\",\"23\",null]");
    EQW(rc, "capture(\"ab\", \"(x)?(a)(y)?\")", "list:[\"a\",null,\"a\",null]");
    EQW(rc, "capture(\"abc\", \"z\")", "absent");
    EQW(rc, "capture(\"abc\", \"b\")", "list:[\"b\"]");
    EQW(rc, "capture(\"k=v\", \"(?<key>\\\\w+)=(?<val>\\\\w+)\")", "list:[\"k=v\",\"k\",\"v\"]");
    EQW(rc, "capture(absent, \"b\")", "absent");
    /* anchors as in Go's RE2: `$` only at the very end, unless (?m) */
    EQW(rc, "match(\"abc\", \"^abc$\")", "bool:true");
    EQW(rc, "match(\"abc\\n\", \"^abc$\")", "bool:false");
    EQW(rc, "match(\"abc\\n\", \"^abc\\n$\")", "bool:true");
    EQW(rc, "match(\"abc\\n\", \"c\\\\z\")", "bool:false");
    EQW(rc, "capture(\"v1\\n\", \"^v(\\\\d+)$\")", "absent");
    EQW(rc, "match(\"a\\nb\", \"(?m)^a$\")", "bool:true");
    EQW(rc, "match(\"a\\nb\\n\", \"(?m)^b$\")", "bool:true");
    /* more groups than the shared match data starts with */
    EQW(rc, "capture(\"abcdefghijklmnopqrst\", \"(a)(b)(c)(d)(e)(f)(g)(h)(i)(j)(k)(l)(m)(n)(o)(p)(q)(r)(s)(t)\")",
        "list:[\"abcdefghijklmnopqrst\",\"a\",\"b\",\"c\",\"d\",\"e\",\"f\",\"g\",\"h\",\"i\",\"j\",\"k\",\"l\","
        "\"m\",\"n\",\"o\",\"p\",\"q\",\"r\",\"s\",\"t\"]");
    EQW(rc, "match(\"a\", \"(\")", "E match(): invalid regular expression at offset 1: missing closing parenthesis");
    EQW(rc, "capture(\"a\", \"a{2,1}\")",
        "E capture(): invalid regular expression at offset 5: numbers out of order in {} quantifier");
    EQW(rc, "match(\"a\", \"[z-a]\")", "E match(): invalid regular expression at offset 3: range out of order in character class");
    EQW(rc, "match(\"a\", \"\\xff\")",
        "E match(): invalid regular expression at offset 0: UTF-8 error: illegal byte (0xfe or 0xff)");
    /* the same bad pattern again (errors are not cached) */
    EQW(rc, "match(\"a\", \"(\")", "E match(): invalid regular expression at offset 1: missing closing parenthesis");

    /* catastrophic backtracking stops at the match limit, quickly */
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    EQW(rc, "match(\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa!\", \"^(a+)+$\")",
        "E match(): regular expression exceeded the match limit (1000000)");
    EQW(rc, "capture(\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa!\", \"^(a+)+$\")",
        "E capture(): regular expression exceeded the match limit (1000000)");
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    ck_assert_msg(secs < 5.0, "the match limit took %.2f s", secs);
    limits.regex_match_limit = 100;
    EQW(rc, "match(\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa!\", \"^(a+)+$\")",
        "E match(): regular expression exceeded the match limit (100)");
    limits.regex_match_limit = 1000000;

    /* deep recursion stops at the depth limit (with the JIT too: its small
     * stack gives way to the interpreter) */
    char deep[2100] = "match(\"";
    size_t k = strlen(deep);
    for (int i = 0; i < 2000; i++)
        deep[k++] = 'a';
    strcpy(deep + k, "\", \"^(a(?1)?)$\")");
    limits.regex_depth_limit = 10;
    EQW(rc, deep, "E match(): regular expression exceeded the depth limit (10)");
    limits.regex_depth_limit = 100000;
    EQW(rc, deep, "bool:true");
    limits.regex_depth_limit = 10000;
}

START_TEST(regex_jit)
{
    limits.regex_jit = jit_wanted();
    check_regex(cache);
}
END_TEST

START_TEST(regex_interpreter)
{
    limits.regex_jit = 0;
    check_regex(cache);
}
END_TEST

/* A caller without a cache gets the same results (and frees everything). */
START_TEST(regex_without_cache)
{
    limits.regex_jit = jit_wanted();
    check_regex(NULL);
    limits.regex_jit = 0;
    check_regex(NULL);
}
END_TEST

/* More patterns than the cache holds: the oldest are dropped and compiled
 * again when they come back. */
START_TEST(regex_cache_eviction)
{
    char expr[128];
    for (int round = 0; round < 2; round++)
        for (int i = 0; i < 600; i++) {
            snprintf(expr, sizeof expr, "match(\"x%dy\", \"^x%dy$\")", i, i);
            EQ(expr, "bool:true");
            snprintf(expr, sizeof expr, "capture(\"x%dy\", \"^x(%d)y$\")", i + 1, i);
            EQ(expr, "absent");
        }
    EQ("capture(\"x7y\", \"^x(7)y$\")", "list:[\"x7y\",\"7\"]");
    /* JIT switched off after patterns were JIT-compiled: still the same */
    limits.regex_jit = 0;
    EQ("capture(\"x7y\", \"^x(7)y$\")", "list:[\"x7y\",\"7\"]");
}
END_TEST

/* ------------------------------------------------------------ versions */

START_TEST(versions)
{
    EQ("semver_cmp(\"0.15.1\", \"0.15.0\")", "int:1");
    EQ("semver_cmp(\"0.15.0\", \"0.15.1\")", "int:-1");
    EQ("semver_cmp(\"v1.23.0\", \"1.23\")", "int:0");
    EQ("semver_cmp(\"V2\", \"1.99.99\")", "int:1");
    EQ("semver_cmp(\"1.11\", \"1.9\")", "int:1");
    EQ("semver_cmp(\"1.01\", \"1.1\")", "int:0");
    EQ("semver_cmp(\"1.0.0-rc1\", \"1.0.0\")", "int:-1");
    EQ("semver_cmp(\"1.0.0\", \"1.0.0-rc1\")", "int:1");
    EQ("semver_cmp(\"1.0.0-rc1\", \"1.0.0-rc1\")", "int:0");
    EQ("semver_cmp(\"1.0.0+build.5\", \"1.0.0\")", "int:0");
    EQ("semver_cmp(\"1.0.0-rc.1+b\", \"1.0.0-rc.1\")", "int:0");
    EQ("semver_cmp(\"1.0-rc.1\", \"1.0.0-rc.2\")", "int:-1");
    EQ("semver_cmp(\"1.99999999999999999999\", \"1.100000000000000000000\")", "int:-1");
    EQ("semver_cmp(\"1.2.3.4\", \"1.2.3\")", "int:1");
    EQ("semver_cmp(\"v1.27.3-gke.100\", \"1.27.3\")", "int:-1");
    /* the precedence example of the SemVer specification */
    static const char *const order[] = {
        "1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-alpha.beta", "1.0.0-beta", "1.0.0-beta.2",
        "1.0.0-beta.11", "1.0.0-rc.1", "1.0.0", "1.0.1", "1.1.0", "2.0.0",
    };
    char expr[128];
    for (size_t i = 0; i + 1 < sizeof order / sizeof order[0]; i++) {
        snprintf(expr, sizeof expr, "semver_cmp(\"%s\", \"%s\")", order[i], order[i + 1]);
        EQ(expr, "int:-1");
        snprintf(expr, sizeof expr, "semver_cmp(\"%s\", \"%s\")", order[i + 1], order[i]);
        EQ(expr, "int:1");
    }
    EQ("semver_cmp(\"1.0.0-rc.01\", \"1.0.0-rc.1\")", "int:0");
    static const char *const bad[] = {
        "abc", "", "v", "1.", "1..2", "1.x", "1.2-", "1.2+", "1.2.3.4.5.6.7.8.9", " 1.2", "1.2 ", "1.2-rc..1",
        "-1", "1.2-rc_1", "vv1",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        snprintf(expr, sizeof expr, "semver_cmp(\"%s\", \"1\")", bad[i]);
        char want[128];
        snprintf(want, sizeof want, "E semver_cmp(): \"%s\" is not a version", bad[i]);
        EQ(expr, want);
    }
    EQ("semver_cmp(\"1\", \"x\")", "E semver_cmp(): \"x\" is not a version");
    EQ("semver_cmp(absent, \"1\")", "absent");
    EQ("semver_cmp(1, \"1\")", "E semver_cmp(): argument 1 must be a string, got int");
}
END_TEST

/* Long values are cut in messages, without splitting a UTF-8 character. */
START_TEST(message_quoting)
{
    /* 59 ASCII bytes, then 2-byte characters: byte 60 is inside one */
    char x59[60];
    memset(x59, 'x', 59);
    x59[59] = '\0';
    char expr[256], want[256];
    snprintf(expr, sizeof expr, "int(\"%s\u00e9\u00e9\")", x59);
    snprintf(want, sizeof want, "E int(): cannot convert \"%s...\" to an integer", x59);
    EQ(expr, want);
    /* exactly 60 bytes: shown whole */
    snprintf(expr, sizeof expr, "int(\"%sy\")", x59);
    snprintf(want, sizeof want, "E int(): cannot convert \"%sy\" to an integer", x59);
    EQ(expr, want);
    EQ("int(\"a\\nb\\\"\")", "E int(): cannot convert \"a\\nb\\\"\" to an integer");
    EQ("int([1, 2])", "E int(): argument 1 must be a number or a string, got list");
    EQ("round(123456789012345678901234567890.0)", "E round(): 1.2345678901234568e+29 is out of the int64 range");
}
END_TEST

/* q(): Go's strconv.Quote for strings, and the text of other values. */
START_TEST(go_quote)
{
    EQ("q(\"abc\")", "string:\"abc\"");
    EQ("q(\"\")", "string:\"\"");
    EQ("q(\"a\\\"b\\\\c\")", "string:\"a\\\"b\\\\c\"");
    EQ("q(\"\\x07\\x08\\x0c\\n\\r\\t\\x0b\")", "string:\"\\a\\b\\f\\n\\r\\t\\v\"");
    EQ("q(\"\\0\\x01\\x1f\\x7f\")", "string:\"\\x00\\x01\\x1f\\x7f\"");
    EQ("q(\"caf\u00e9 \\xf0\\x9f\\x98\\x80\")", "string:\"caf\u00e9 \U0001F600\"");          /* printable */
    EQ("q(\"\\xc2\\xa0\\xc2\\xad\\xe2\\x80\\xa8\\xee\\x80\\x80\")",                      /* U+00A0 U+00AD U+2028 U+E000 */
       "string:\"\\u00a0\\u00ad\\u2028\\ue000\"");
    EQ("q(\"\\xf4\\x8f\\xbf\\xbf\")", "string:\"\\U0010ffff\"");                          /* U+10FFFF */
    EQ("q(\"a\\xffb\\xc3\")", "string:\"a\\xffb\\xc3\"");           /* bytes that are not UTF-8 */
    EQ("q(\"\\xed\\xa0\\x80\")", "string:\"\\xed\\xa0\\x80\"");   /* a surrogate is not UTF-8 */
    EQ("q(5)", "string:\"5\"");
    EQ("q(1.5)", "string:\"1.5\"");
    EQ("q(null)", "string:\"null\"");
    EQ("q(true)", "string:\"true\"");
    EQ("q([1, \"a\"])", "string:\"[1,\\\"a\\\"]\"");
    EQ("q(absent)", "absent");
    AT("q(\"x\"@3:4)", 3, 4);
}
END_TEST

/* Every builtin that builds its result in the arena fails cleanly when the
 * arena cannot grow (the message itself then falls back to a constant). */
START_TEST(allocation_failure)
{
    static const char *const calls[] = {
        "lower(\"ABC\")", "upper(\"abc\")", "trim(\" a \")", "type(1)", "string(12)", "split(\"a,b\", \",\")",
        "split(\"ab\", \"\")", "join([1, 2], \",\")", "replace(\"aa\", \"a\", \"b\")", "substr(\"abc\", 1)",
        "keys({\"a\": 1})", "values({\"a\": 1})", "entries({\"a\": 1})", "merge({\"a\": 1}, {\"b\": 2})",
        "sort([2, 1])", "unique([1, 1])", "flatten([[1]])", "range(3)", "capture(\"ab\", \"(a)\")",
        "trim_prefix(\"ab\", \"a\")", "trim_suffix(\"ab\", \"b\")",
    };
    for (size_t i = 0; i < sizeof calls / sizeof calls[0]; i++) {
        /* parse the arguments in the test arena ... */
        const char *p = strchr(calls[i], '(') + 1;
        kvet_value args[8];
        int nargs = 0;
        skip_ws(&p);
        while (*p != ')') {
            args[nargs++] = parse_value(&p);
            skip_ws(&p);
            if (*p == ',')
                p++;
            skip_ws(&p);
        }
        char name[32];
        size_t n = (size_t)(strchr(calls[i], '(') - calls[i]);
        memcpy(name, calls[i], n);
        name[n] = '\0';
        /* ... and call with an arena that cannot allocate */
        kv_arena tiny;
        kv_arena_init(&tiny);
        tiny.limit = 1;
        kv_call call = {&tiny, &limits, cache, NULL, NULL, NULL};
        kvet_value out;
        int r = kv_builtin_at((size_t)kv_builtin_lookup(name))->fn(&call, args, nargs, &out);
        ck_assert_msg(r == -1, "%s did not fail", calls[i]);
        ck_assert_str_eq(call.err, "out of memory");
        kv_arena_free(&tiny);
    }
}
END_TEST

static Suite *builtin_suite(void)
{
    Suite *s = suite_create("builtin");
    TCase *tc = tcase_create("builtin");
    tcase_set_timeout(tc, 120);
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, table_is_sorted_and_searchable);
    tcase_add_test(tc, numbers);
    tcase_add_test(tc, conversions);
    tcase_add_test(tc, parse_helpers);
    tcase_add_test(tc, strings);
    tcase_add_test(tc, string_limits);
    tcase_add_test(tc, yaml_text);
    tcase_add_test(tc, yaml_positions);
    tcase_add_test(tc, collections);
    tcase_add_test(tc, large_collections);
    tcase_add_test(tc, positions);
    tcase_add_test(tc, kubernetes_quantities);
    tcase_add_test(tc, go_durations);
    tcase_add_test(tc, percentages);
    tcase_add_test(tc, regex_jit);
    tcase_add_test(tc, regex_interpreter);
    tcase_add_test(tc, regex_without_cache);
    tcase_add_test(tc, regex_cache_eviction);
    tcase_add_test(tc, versions);
    tcase_add_test(tc, message_quoting);
    tcase_add_test(tc, go_quote);
    tcase_add_test(tc, allocation_failure);
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
