/*
 * test_lang.c - the rule language end to end: lexer, parser, checker,
 * compiler and VM, driven through the public API with small rule and
 * manifest texts.  Every user-visible compile error is pinned here.
 */
#include "harness.h"

#include <dirent.h>
#include <sys/wait.h>

#include "builtin.h"
#include "opcodes.h"
#include "parse.h"
#include "program.h"
#include "sha256.h"
#include "verify.h"

static const char *SVC =
    "apiVersion: serving.knative.dev/v1\n"
    "kind: Service\n"
    "metadata:\n"
    "  name: hello\n"
    "  namespace: demo\n"
    "spec:\n"
    "  template:\n"
    "    metadata:\n"
    "      annotations:\n"
    "        autoscaling.knative.dev/min-scale: \"3\"\n"
    "        autoscaling.knative.dev/max-scale: \"2\"\n";

#define PACK "pack t \"1\"\n"

/* ------------------------------------------------------------- parsing */

START_TEST(parse_missing_pack)
{
    char *out = th_check("for Service as s { }\n", SVC);
    th_assert_contains(out, "COMPILE\n1:1: error: a rule file must begin with `pack NAME \"VERSION\"`");
    free(out);
}
END_TEST

START_TEST(parse_errors_recover)
{
    char *out = th_check(PACK
                         "param x =\n"
                         "for Service as s {\n"
                         "  let a = s.spec..x\n"
                         "  derive y = 500m\n"
                         "}\n"
                         "fn f(a) = a + * 2\n",
                         SVC);
    /* several errors from one file, each with a position */
    th_assert_contains(out, "3:1: error: syntax error: unexpected `for`");
    th_assert_contains(out, "4:18: error: syntax error: unexpected `.`, expected identifier");
    th_assert_contains(out, "5:14: error: malformed number '500m'");
    th_assert_contains(out, "7:15: error: syntax error: unexpected `*`");
    free(out);
}
END_TEST

START_TEST(parse_unterminated_string)
{
    char *out = th_check(PACK "const X = \"abc\n", SVC);
    th_assert_contains(out, "2:11: error: unterminated string (strings end on the same line)");
    free(out);
}
END_TEST

START_TEST(parse_bad_escape)
{
    char *out = th_check(PACK "const X = \"a\\qb\"\n", SVC);
    th_assert_contains(out, "2:11: error: invalid escape sequence in string");
    free(out);
}
END_TEST

START_TEST(parse_bad_character)
{
    char *out = th_check(PACK "const X = 1 @ 2\n", SVC);
    th_assert_contains(out, "2:13: error: unexpected character '@'");
    free(out);
}
END_TEST

START_TEST(parse_int_too_big)
{
    char *out = th_check(PACK "const X = 99999999999999999999\n", SVC);
    th_assert_contains(out, "2:11: error: integer literal 99999999999999999999 does not fit in 64 bits");
    free(out);
}
END_TEST

START_TEST(parse_template_errors)
{
    char *out = th_check(PACK
                         "for Service as s {\n"
                         "  rule R1 error \"t\"\n"
                         "    require false\n"
                         "    message \"a {b\"\n"
                         "}\n",
                         SVC);
    th_assert_contains(out, "5:16: error: unterminated `{` in message (write `{{` for a literal brace)");
    free(out);
}
END_TEST

/* ------------------------------------------------------------ checking */

START_TEST(check_unknown_name_hint)
{
    char *out = th_check(PACK
                         "for Service as svc {\n"
                         "  let annotations = svc.metadata.annotations\n"
                         "  rule R1 error \"t\"\n"
                         "    require len(anotations) > 0\n"
                         "}\n",
                         SVC);
    th_assert_contains(out, "5:17: error: unknown name `anotations` | hint: did you mean `annotations`?");
    free(out);
}
END_TEST

START_TEST(check_unknown_function_hint)
{
    char *out = th_check(PACK
                         "for Service as svc {\n"
                         "  rule R1 error \"t\"\n"
                         "    require lenn(svc) > 0\n"
                         "}\n",
                         SVC);
    th_assert_contains(out, "4:13: error: unknown function `lenn` | hint: did you mean `len`?");
    free(out);
}
END_TEST

START_TEST(check_arity)
{
    char *out = th_check(PACK
                         "fn f(a, b) = a + b\n"
                         "for Service as svc {\n"
                         "  rule R1 error \"t\"\n"
                         "    require f(1) > 0 and has(1, 2)\n"
                         "}\n",
                         SVC);
    th_assert_contains(out, "5:13: error: f() takes 2 arguments, 1 given");
    th_assert_contains(out, "error: has() takes 1 argument, 2 given");
    free(out);
}
END_TEST

START_TEST(check_duplicate_rule_id)
{
    char *out = th_check(PACK
                         "for Service as s {\n"
                         "  rule R1 error \"a\" require true\n"
                         "  rule R1 warning \"b\" require true\n"
                         "}\n",
                         SVC);
    th_assert_contains(out, "4:8: error: duplicate rule id R1");
    th_assert_contains(out, "3:8: note: rule R1 is first defined here");
    free(out);
}
END_TEST

START_TEST(check_rule_needs_check)
{
    char *out = th_check(PACK "for Service as s {\n  rule R1 error \"a\" when true\n}\n", SVC);
    th_assert_contains(out, "3:8: error: rule R1 needs a `require` or `forbid` clause");
    free(out);
}
END_TEST

START_TEST(check_unused_let_warns)
{
    kvet_ctx *ctx = kvet_ctx_new();
    char *diags = NULL;
    kvet_pack *p = th_compile(ctx, PACK "for Service as s {\n  let unused = 1\n  rule R1 error \"a\" require true\n}\n",
                              &diags);
    ck_assert_ptr_nonnull(p);
    th_assert_contains(diags, "3:7: warning: `unused` is never used");
    free(diags);
    kvet_pack_free(p);
    kvet_ctx_free(ctx);
}
END_TEST

START_TEST(check_derive_cycle)
{
    char *out = th_check(PACK
                         "for Service as s {\n"
                         "  derive a.x = $b.y + 1\n"
                         "  derive b.y = $c\n"
                         "  derive c = $a.x\n"
                         "}\n",
                         SVC);
    th_assert_contains(out, "error: derived values depend on each other in a cycle: $a.x -> $b.y -> $c -> $a.x");
    free(out);
}
END_TEST

START_TEST(check_self_derive)
{
    char *out = th_check(PACK "for Service as s {\n  derive a = $a + 1\n}\n", SVC);
    th_assert_contains(out, "3:10: error: $a is defined in terms of itself");
    free(out);
}
END_TEST

START_TEST(check_let_cycle)
{
    char *out = th_check(PACK
                         "for Service as s {\n"
                         "  let a = b + 1\n"
                         "  let b = a\n"
                         "  rule R1 error \"t\" require a > 0\n"
                         "}\n",
                         SVC);
    th_assert_contains(out, "error: `a` is defined in terms of itself");
    free(out);
}
END_TEST

START_TEST(check_unknown_derived)
{
    char *out = th_check(PACK
                         "for Service as s {\n"
                         "  derive scale.min = 1\n"
                         "  rule R1 error \"t\" require $scale.mni > 0\n"
                         "}\n",
                         SVC);
    th_assert_contains(out, "4:29: error: no `derive` defines $scale.mni | hint: did you mean `$scale.min`?");
    free(out);
}
END_TEST

START_TEST(check_constant_errors)
{
    char *out = th_check(PACK
                         "const A = 1 / 0\n"
                         "const B = 9223372036854775807 + 1\n"
                         "const C = \"a\" - 1\n",
                         SVC);
    th_assert_contains(out, "2:11: error: division by zero");
    th_assert_contains(out, "3:11: error: integer overflow in 9223372036854775807 + 1");
    th_assert_contains(out, "4:11: error: cannot apply - to string and int");
    free(out);
}
END_TEST

START_TEST(check_override_unknown)
{
    char *out = th_check(PACK
                         "for Service as s { rule KN-001 error \"t\" require true }\n"
                         "override KN-01 severity warning\n",
                         SVC);
    th_assert_contains(out, "3:10: error: no rule has the id KN-01 | hint: did you mean `KN-001`?");
    free(out);
}
END_TEST

START_TEST(check_lambda_misuse)
{
    char *out = th_check(PACK
                         "for Service as s {\n"
                         "  rule R1 error \"t\" require len(x => x) > 0\n"
                         "}\n",
                         SVC);
    th_assert_contains(out, "3:33: error: a function literal is only allowed as the second argument of any, all, count, filter, map or find");
    free(out);
}
END_TEST

/* ----------------------------------------------------------- evaluation */

START_TEST(eval_rule_fires_at_annotation)
{
    char *out = th_check(PACK
                         "for Service \"serving.knative.dev/v1\" as svc {\n"
                         "  let a = svc.spec.template.metadata.annotations\n"
                         "  let min = int(a[\"autoscaling.knative.dev/min-scale\"]) ?? 0\n"
                         "  let max = int(a[\"autoscaling.knative.dev/max-scale\"]) ?? 0\n"
                         "  rule KN-1 error \"max below min\"\n"
                         "    when max != 0\n"
                         "    require max >= min\n"
                         "    at a[\"autoscaling.knative.dev/max-scale\"]\n"
                         "    message \"max-scale={max} is less than min-scale={min}\"\n"
                         "}\n",
                         SVC);
    ck_assert_str_eq(out, "R Service/hello {}\n"
                          "F KN-1 error 11:44 max-scale=2 is less than min-scale=3\n");
    free(out);
}
END_TEST

START_TEST(eval_selector_api_pattern)
{
    char *out = th_check(PACK
                         "for Service \"serving.kserve.io/*\" as s { rule R1 error \"t\" require false }\n"
                         "for Service \"serving.knative.*/v1\" as s { rule R2 error \"t\" require false }\n",
                         SVC);
    ck_assert_ptr_null(strstr(out, "F R1"));
    th_assert_contains(out, "F R2 error");
    free(out);
}
END_TEST

/* An evaluator works out once per kind and apiVersion which blocks take a
 * resource, and keeps 256 such pairs: resources past those (here 350
 * apiVersions of each of two kinds) are evaluated exactly as the first. */
START_TEST(eval_blocks_by_kind_and_api)
{
    size_t cap = 1 << 17, len = 0;
    char *yaml = malloc(cap);
    for (int i = 0; i < 350; i++)
        len += (size_t)snprintf(yaml + len, cap - len,
                                "apiVersion: serving.knative.dev/v%d\nkind: Service\nmetadata: {name: s%d}\n---\n"
                                "apiVersion: apps/v%d\nkind: Deployment\nmetadata: {name: d%d}\n---\n", i, i, i, i);
    char *out = th_check(PACK
                         "for Service \"serving.knative.dev/*\" as s {\n"
                         "  derive tier = s.metadata.name + \"!\"\n"
                         "  rule R1 error \"t\" require false message \"{s.apiVersion} {$tier}\"\n"
                         "}\n"
                         "for Deployment \"apps/*\" as d where d.metadata.name != \"d300\" {\n"
                         "  rule R2 error \"t\" require false message \"{d.metadata.name}\"\n"
                         "}\n"
                         "for Service \"apps/*\", Deployment \"serving.knative.dev/*\" as x {\n"
                         "  rule R3 error \"t\" require false\n"
                         "}\n",
                         yaml);
    free(yaml);
    ck_assert_ptr_null(strstr(out, "F R3"));
    char want[128];
    size_t r1 = 0, r2 = 0;
    for (const char *p = out; (p = strstr(p, "F R")); p++)
        p[3] == '1' ? r1++ : r2++;
    ck_assert_uint_eq(r1, 350);
    ck_assert_uint_eq(r2, 349);
    for (int i = 0; i < 350; i++) {
        snprintf(want, sizeof want, "R Service/s%d {tier:\"s%d!\"}\nF R1 error %d:1 serving.knative.dev/v%d s%d!\n", i,
                 i, 8 * i + 1, i, i);
        th_assert_contains(out, want);
        snprintf(want, sizeof want, "R Deployment/d%d {}\nF R2 error %d:1 d%d\n", i, 8 * i + 5, i);
        if (i != 300)
            th_assert_contains(out, want);
    }
    th_assert_contains(out, "R Deployment/d300 {}\nR Service/s301");
    free(out);
}
END_TEST

START_TEST(eval_where_clause)
{
    char *out = th_check(PACK
                         "for Service as s where s.metadata.namespace == \"prod\" { rule R1 error \"t\" require false }\n"
                         "for Service as s where s.metadata.namespace == \"demo\" { rule R2 error \"t\" require false }\n",
                         SVC);
    ck_assert_ptr_null(strstr(out, "F R1"));
    th_assert_contains(out, "F R2");
    free(out);
}
END_TEST

START_TEST(eval_absent_never_fires)
{
    /* require over an absent comparison is not a violation; forbid neither */
    char *out = th_check(PACK
                         "for Service as s {\n"
                         "  rule R1 error \"t\" require s.spec.nothing > 1\n"
                         "  rule R2 error \"t\" forbid s.spec.nothing < 1\n"
                         "  rule R3 error \"t\" require s.spec.nothing == absent and s.spec.nothing != 0\n"
                         "  rule R4 error \"t\" forbid s.spec.nothing == null\n"
                         "}\n",
                         SVC);
    ck_assert_str_eq(out, "R Service/hello {}\n");
    free(out);
}
END_TEST

START_TEST(eval_three_valued_logic)
{
    char *out = th_check(PACK
                         "for Service as s {\n"
                         "  let x = s.nothing\n"
                         "  derive t.and_false = (x > 1) and false\n"
                         "  derive t.or_true = (x > 1) or true\n"
                         "  derive t.and_true = type((x > 1) and true)\n"
                         "  derive t.not_absent = type(not (x > 1))\n"
                         "}\n",
                         SVC);
    ck_assert_str_eq(out, "R Service/hello {t:{and_false:false,and_true:\"absent\",not_absent:\"absent\",or_true:true}}\n");
    free(out);
}
END_TEST

/* Map literals with computed keys: {[expr]: value}. */
START_TEST(eval_computed_map_keys)
{
    char *out = th_check(PACK
                         "fn pair(k, v) = {[k]: v}\n"
                         "for Service as s {\n"
                         "  derive a = pair(\"x/\" + s.metadata.name, 1)\n"
                         "  derive b = {[s.metadata.name]: 2, lit: 3}\n"
                         "  derive c = len({[s.nope]: 4, d: 5})\n"
                         "  derive e = try({[s.metadata.name]: 1, hello: 2}) ?? \"dup\"\n"
                         "}\n",
                         SVC);
    ck_assert_str_eq(out, "R Service/hello {a:{x/hello:1},b:{hello:2,lit:3},c:1,e:\"dup\"}\n");
    free(out);
    out = th_check(PACK "for Service as s {\n  derive k = {[1]: 2}\n}\n", SVC);
    th_assert_contains(out, "a map key must be a string, got int");
    free(out);
    /* an absent key leaves its entry out, but its value is computed all the
     * same (docs/language.md): a failing value fails the map */
    out = th_check(PACK "for Service as s {\n  derive k = {[s.nope]: 1 / 0, a: 1}\n}\n", SVC);
    th_assert_contains(out, "division by zero");
    free(out);
    /* constant keys are still checked when compiling */
    out = th_check(PACK "const M = {[\"a\"]: 1, a: 2}\nfor Service as s { derive m = M }\n", SVC);
    th_assert_contains(out, "duplicate key \"a\" in map literal");
    free(out);
}
END_TEST

START_TEST(eval_coalesce_and_conditional)
{
    char *out = th_check(PACK
                         "param g = 5\n"
                         "for Service as s {\n"
                         "  let max = int(s.spec.template.metadata.annotations[\"autoscaling.knative.dev/max-scale\"])\n"
                         "  derive a = s.missing ?? 7\n"
                         "  derive b = min(g, max) when max > 0 else 1\n"
                         "  derive c = 1 when false\n"
                         "  derive d = [1, 2, 3][-1]\n"
                         "  derive e = {\"k/x.y\": 1}[\"k/x.y\"]\n"
                         "  derive f = \"ab\" + \"cd\"\n"
                         "  derive g2 = 7 / 2\n"
                         "  derive h = 7.0 / 2\n"
                         "  derive i = 2 in [1, 2] and \"b\" in \"abc\" and \"k\" in {k: 1}\n"
                         "}\n",
                         SVC);
    ck_assert_str_eq(out, "R Service/hello {a:7,b:2,d:3,e:1,f:\"abcd\",g2:3,h:3.5,i:true}\n");
    free(out);
}
END_TEST

START_TEST(eval_derive_order_and_nesting)
{
    /* written out of order: the compiler orders by what each reads */
    char *out = th_check(PACK
                         "for Service as s {\n"
                         "  derive scale.initial = $scale.min + 1\n"
                         "  derive scale.min = 3\n"
                         "  derive all = $scale\n"
                         "}\n",
                         SVC);
    ck_assert_str_eq(out, "R Service/hello {all:{initial:4,min:3},scale:{initial:4,min:3}}\n");
    free(out);
}
END_TEST

START_TEST(eval_derive_across_blocks)
{
    char *out = th_check(PACK
                         "for Service as s { rule R1 warning \"t\" require $x < 2 message \"x is {$x}\" }\n"
                         "for Service as s { derive x = 5 }\n",
                         SVC);
    th_assert_contains(out, "F R1 warning 1:1 x is 5");
    free(out);
}
END_TEST

START_TEST(eval_lambdas)
{
    char *out = th_check(PACK
                         "for Service as s {\n"
                         "  let a = s.spec.template.metadata.annotations\n"
                         "  derive n = count(a, k => k != \"x\")\n"
                         "  derive any1 = any([1, 2, 3], x => x > 2)\n"
                         "  derive all1 = all([1, 2, 3], x => x > 2)\n"
                         "  derive f = filter([1, 2, 3, 4], x => x % 2 == 0)\n"
                         "  derive m = map([1, 2], x => x * 10)\n"
                         "  derive fm = filter(a, (k, v) => v == \"3\")\n"
                         "  derive fi = find([5, 6, 7], x => x > 5)\n"
                         "  derive idx = map([\"a\", \"b\"], (i, x) => i)\n"
                         "  derive none = find([1], x => x > 5) ?? \"none\"\n"
                         "  derive abs_any = type(any(s.missing, x => true))\n"
                         "}\n",
                         SVC);
    th_assert_contains(out, "n:2");
    th_assert_contains(out, "any1:true");
    th_assert_contains(out, "all1:false");
    th_assert_contains(out, "f:[2,4]");
    th_assert_contains(out, "m:[10,20]");
    th_assert_contains(out, "fm:{autoscaling.knative.dev/min-scale:\"3\"}");
    th_assert_contains(out, "fi:6");
    th_assert_contains(out, "idx:[0,1]");
    th_assert_contains(out, "none:\"none\"");
    th_assert_contains(out, "abs_any:\"absent\"");
    free(out);
}
END_TEST

START_TEST(eval_each_clause)
{
    char *out = th_check(PACK
                         "for Service as s {\n"
                         "  rule R1 info \"annotation\"\n"
                         "    each k, v in s.spec.template.metadata.annotations\n"
                         "    require int(v) < 3\n"
                         "    at v\n"
                         "    message \"{k}={v}\"\n"
                         "}\n",
                         SVC);
    ck_assert_str_eq(out, "R Service/hello {}\nF R1 info 10:44 autoscaling.knative.dev/min-scale=3\n");
    free(out);
}
END_TEST

START_TEST(eval_functions_and_recursion_limit)
{
    char *out = th_check(PACK
                         "fn fact(n) = 1 when n <= 1 else n * fact(n - 1)\n"
                         "fn forever(n) = forever(n + 1)\n"
                         /* each frame holds nine values when it calls the next: 190 frames
                          * need far more stack than a run starts with, reserved frame by frame */
                         "fn wide(n) = 0 when n == 0 else [1, 2, 3, 4, 5, 6, 7, 8, wide(n - 1)][8] + 1\n"
                         "for Service as s {\n"
                         "  derive f = fact(10)\n"
                         "  derive g = forever(0)\n"
                         "  derive w = wide(190)\n"
                         "}\n",
                         SVC);
    th_assert_contains(out, "R Service/hello {f:3628800,w:190}");
    th_assert_contains(out, "E 3:17 $g failed on Service demo/hello");
    th_assert_contains(out, "function call depth limit (200) exceeded in forever()");
    free(out);
}
END_TEST

START_TEST(eval_runtime_errors_are_reported)
{
    char *out = th_check(PACK
                         "for Service as s {\n"
                         "  derive a = 9223372036854775807 + int(\"1\")\n"
                         "  derive b = 1 / (int(\"0\"))\n"
                         "  derive c = \"x\" < int(\"1\")\n"
                         "  derive d = try(int(\"zz\"), 42)\n"
                         "  derive e = int(\"zz\")\n"
                         "  rule R1 error \"t\" require 1\n"
                         "}\n",
                         SVC);
    th_assert_contains(out, "R Service/hello {d:42}");
    th_assert_contains(out, "integer overflow in 9223372036854775807 + 1");
    th_assert_contains(out, "division by zero");
    th_assert_contains(out, "cannot compare string and int with <");
    th_assert_contains(out, "int(): cannot convert");
    th_assert_contains(out, "E 8:21 R1 failed on Service demo/hello");
    th_assert_contains(out, "a condition must be a bool, got int");
    free(out);
}
END_TEST

START_TEST(eval_params_override)
{
    static const char *sets[] = {"limit", "1"};
    char *out = th_check_sets(PACK
                              "param limit = 10\n"
                              "for Service as s { rule R1 error \"t\" require 2 <= limit message \"limit {limit}\" }\n",
                              SVC, sets, 1);
    th_assert_contains(out, "F R1 error 1:1 limit 1");
    free(out);
}
END_TEST

START_TEST(eval_params_bad_override)
{
    static const char *sets[] = {"limt", "1"};
    char *out = th_check_sets(PACK "param limit = 10\n", SVC, sets, 1);
    th_assert_contains(out, "COMPILE\n0:0: error: --set limt: no loaded pack has a parameter of that name | hint: did you mean `t.limit`?");
    free(out);
    static const char *sets2[] = {"limit", "many"};
    out = th_check_sets(PACK "param limit = 10\n", SVC, sets2, 1);
    th_assert_contains(out, "--set limit=many: the parameter is a number");
    free(out);
}
END_TEST

START_TEST(eval_override_and_disable)
{
    char *out = th_check(PACK
                         "for Service as s {\n"
                         "  rule R1 error \"t\" require false\n"
                         "  rule R2 error \"t\" require false\n"
                         "}\n"
                         "override R1 severity info\n"
                         "disable R2\n",
                         SVC);
    ck_assert_str_eq(out, "R Service/hello {}\nF R1 info 1:1 t\n");
    free(out);
}
END_TEST

START_TEST(eval_json_error_position)
{
    /* json_error() of a literal block scalar points at the byte where
     * decoding stopped, in the manifest's own lines and columns */
    char *out = th_check(PACK
                         "for ConfigMap as cm {\n"
                         "  rule J error \"t\" forbid has(json_error(cm.data.x)) at json_error(cm.data.x) message \"bad\"\n"
                         "}\n",
                         "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata:\n  x: |-\n\n    {\n      \"a\": 1,\n    }\n");
    th_assert_contains(out, "F J error 9:5 bad");
    free(out);
    /* a quoted scalar: the scalar itself */
    out = th_check(PACK
                   "for ConfigMap as cm {\n"
                   "  rule J error \"t\" forbid has(json_error(cm.data.x)) at json_error(cm.data.x) message \"bad\"\n"
                   "}\n",
                   "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata:\n  x: '{\"a\": 1,}'\n");
    th_assert_contains(out, "F J error 5:6 bad");
    free(out);
}
END_TEST

START_TEST(eval_queries)
{
    char *out = th_check(PACK
                         "for Service as s {\n"
                         "  let hpas = filter(docs(\"HorizontalPodAutoscaler\", \"autoscaling/*\"), h =>\n"
                         "      h.spec.scaleTargetRef.name == s.metadata.name)\n"
                         "  derive hpa_count = len(hpas)\n"
                         "}\n",
                         "apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata: {name: h1}\n"
                         "spec: {scaleTargetRef: {name: hello}}\n---\n"
                         "apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata: {name: h2}\n"
                         "spec: {scaleTargetRef: {name: other}}\n---\n"
                         "apiVersion: serving.knative.dev/v1\nkind: Service\nmetadata: {name: hello}\n");
    th_assert_contains(out, "R Service/hello {hpa_count:1}");
    free(out);

    /* by namespace: a document without one is in "namespace not set" (""),
     * never in default; input order is kept */
    out = th_check(PACK
                   "for Service as s {\n"
                   "  derive here = map(docs(\"HorizontalPodAutoscaler\", \"autoscaling/*\", s.metadata.namespace ?? \"\"),\n"
                   "      h => h.metadata.name)\n"
                   "  derive none = len(docs(\"HorizontalPodAutoscaler\", \"autoscaling/*\", \"nowhere\") +\n"
                   "      docs(\"HorizontalPodAutoscaler\", \"autoscaling/*\", \"default\"))\n"
                   "  derive missing = docs(\"HorizontalPodAutoscaler\", \"autoscaling/*\", s.nope)\n"
                   "}\n",
                   "apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata: {name: h1, namespace: a}\n---\n"
                   "apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata: {name: h2}\n---\n"
                   "apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata: {name: h3, namespace: a}\n---\n"
                   /* another API group: the pattern leaves it out */
                   "apiVersion: example.com/v1\nkind: HorizontalPodAutoscaler\nmetadata: {name: h4, namespace: a}\n---\n"
                   "apiVersion: serving.knative.dev/v1\nkind: Service\nmetadata: {name: one, namespace: a}\n---\n"
                   "apiVersion: serving.knative.dev/v1\nkind: Service\nmetadata: {name: two}\n");
    th_assert_contains(out, "R Service/one {here:[\"h1\",\"h3\"],none:0}");
    th_assert_contains(out, "R Service/two {here:[\"h2\"],none:0}");
    free(out);
    out = th_check(PACK "for Service as s { derive x = docs(\"HorizontalPodAutoscaler\", \"autoscaling/*\", 1) }\n", SVC);
    th_assert_contains(out, "docs(): the namespace must be a string, got int");
    free(out);

    /* a lookup over every document of a kind (indexed: 8 documents or more)
     * finds what the scan finds, across namespaces and in input order (the
     * last document repeats the first: one copy is checked and found) */
    kv_buf y;
    kv_buf_init(&y);
    static const char *const names[] = {"a", "b", "a", "c", "a", "b", "d", "e", "f", "a"};
    for (int i = 0; i < 10; i++)
        kv_buf_printf(&y, "%sapiVersion: v1\nkind: ConfigMap\nmetadata: {name: %s, namespace: n%d}\n", i ? "---\n" : "",
                      names[i], i % 3);
    char *yaml = kv_buf_take(&y);
    out = th_check(PACK
                   "for ConfigMap as cm {\n"
                   "  derive idx = count(docs(\"ConfigMap\", \"v1\"), c => c.metadata.name == cm.metadata.name)\n"
                   "  derive scan = count(docs(\"ConfigMap\", \"v1\"), c => true and c.metadata.name == cm.metadata.name)\n"
                   "  derive seen = map(filter(docs(\"ConfigMap\", \"v1\"), c => c.metadata.name in [cm.metadata.name]),\n"
                   "      c => c.metadata.namespace)\n"
                   "}\n",
                   yaml);
    th_assert_contains(out, "R ConfigMap/a {idx:3,scan:3,seen:[\"n0\",\"n2\",\"n1\"]}");
    th_assert_contains(out, "R ConfigMap/b {idx:2,scan:2,seen:[\"n1\",\"n2\"]}");
    th_assert_contains(out, "R ConfigMap/f {idx:1,scan:1,seen:[\"n2\"]}");
    free(out);
    free(yaml);
}
END_TEST

/* Compile `rules` and check `in` under ctx's step limit of 1000: each of
 * the n resources is evaluated, or, when `over`, each fails on the limit
 * and is not evaluated. */
static void check_step_limit(kvet_ctx *ctx, const char *rules, const kvet_inputs *in, size_t n, bool over)
{
    char *diags = NULL;
    kvet_pack *p = th_compile(ctx, rules, &diags);
    free(diags);
    ck_assert_ptr_nonnull(p);
    kvet_result *res = kvet_check(ctx, p, in);
    ck_assert_uint_eq(res->nresources, n);
    ck_assert_uint_eq(res->nerrors, over ? n : 0);
    for (size_t i = 0; i < n; i++) {
        if (over)
            th_assert_contains(res->errors[i].message, "evaluation step limit (1000) exceeded");
        ck_assert_int_eq(res->resources[i].not_evaluated, over);
    }
    kvet_result_free(res);
    kvet_pack_free(p);
}

#define LOOP PACK "fn loop(n) = 0 when n == 0 else loop(n - 1)\n"

START_TEST(eval_step_limit)
{
    kvet_ctx *ctx = kvet_ctx_new();
    kvet_limits l = kvet_default_limits();
    l.max_steps = 1000;
    kvet_ctx_set_limits(ctx, &l);
    const char *input = th_write("in.yaml", SVC);
    kvet_inputs in = {.paths = &input, .npaths = 1};
    check_step_limit(ctx, LOOP "for Service as s { derive x = loop(150) }\n", &in, 1, true);
    /* the limit reached inside a let is not caught by a try around its use:
     * the steps the let took count for the code that reads it */
    check_step_limit(ctx,
                     LOOP "for Service as s {\n"
                          "  let heavy = loop(150)\n"
                          "  derive x = try(heavy) ?? 1\n"
                          "}\n",
                     &in, 1, true);
    /* a top-level value counts its steps apart: the first document to ask
     * for it pays nothing more than the others (with -j, each thread has
     * a different first document), and one over the limit by itself fails
     * every document that reads it */
    const char *three = th_write("three.yaml", "apiVersion: serving.knative.dev/v1\nkind: Service\nmetadata: {name: a}\n---\n"
                                               "apiVersion: serving.knative.dev/v1\nkind: Service\nmetadata: {name: b}\n---\n"
                                               "apiVersion: serving.knative.dev/v1\nkind: Service\nmetadata: {name: c}\n");
    kvet_inputs in3 = {.paths = &three, .npaths = 1};
    check_step_limit(ctx, LOOP "let g = loop(90)\nfor Service as s { derive x = g + loop(90) }\n", &in3, 3, false);
    check_step_limit(ctx, LOOP "let g = loop(200)\nfor Service as s { derive x = g }\n", &in3, 3, true);
    kvet_ctx_free(ctx);
}
END_TEST

/* kvet_inputs.on_resource: every resource is handed over once, in order,
 * with its findings and effective values, and the result keeps none. */
typedef struct seen_resources {
    char names[8][32];
    size_t findings[8];
    int64_t n_value[8];
    size_t n;
} seen_resources;

static void note_resource(void *arg, const kvet_result *res, const kvet_resource *r)
{
    seen_resources *s = arg;
    ck_assert_uint_lt(s->n, 8);
    ck_assert_uint_eq(res->nstreamed, s->n); /* the count so far */
    snprintf(s->names[s->n], sizeof s->names[s->n], "%s", r->name);
    s->findings[s->n] = r->nfindings;
    kvet_value v = kvet_map_get(r->effective, "n", 1);
    s->n_value[s->n] = v.type == KVET_INT ? v.u.i : -1;
    s->n++;
}

START_TEST(check_streams_resources)
{
    kvet_ctx *ctx = kvet_ctx_new();
    char *diags = NULL;
    kvet_pack *p = th_compile(ctx, PACK
        "for Service as s {\n"
        "  derive n = s.spec.count ?? 1\n"
        "  rule R1 warning \"n is small\" require $n >= 2\n"
        "}\n", &diags);
    free(diags);
    ck_assert_ptr_nonnull(p);
    const char *a = th_write("a.yaml",
        "apiVersion: serving.knative.dev/v1\nkind: Service\nmetadata: {name: one}\nspec: {count: 3}\n---\n"
        "apiVersion: serving.knative.dev/v1\nkind: Service\nmetadata: {name: two}\n");
    const char *b = th_write("b.yaml",
        "apiVersion: serving.knative.dev/v1\nkind: Service\nmetadata: {name: three}\nspec: {count: 5}\n---\n"
        "apiVersion: serving.knative.dev/v1\nkind: Service\nmetadata: {name: one}\nspec: {count: 3}\n");
    const char *paths[] = {a, b};
    for (unsigned jobs = 1; jobs <= 2; jobs++) {
        seen_resources seen;
        memset(&seen, 0, sizeof seen);
        kvet_inputs in = {.paths = paths, .npaths = 2, .jobs = jobs, .on_resource = note_resource,
                          .on_resource_arg = &seen};
        kvet_result *res = kvet_check(ctx, p, &in);
        ck_assert_ptr_nonnull(res);
        ck_assert_uint_eq(res->nresources, 0);
        ck_assert_uint_eq(res->nstreamed, 3); /* the identical copy of `one` is checked once */
        ck_assert_uint_eq(res->duplicates, 1);
        ck_assert_uint_eq(res->findings[KVET_SEV_WARNING], 1);
        ck_assert_uint_eq(seen.n, 3);
        ck_assert_str_eq(seen.names[0], "one");
        ck_assert_str_eq(seen.names[1], "two");
        ck_assert_str_eq(seen.names[2], "three");
        ck_assert_uint_eq(seen.findings[0], 0);
        ck_assert_uint_eq(seen.findings[1], 1);
        ck_assert_int_eq(seen.n_value[0], 3);
        ck_assert_int_eq(seen.n_value[1], 1);
        ck_assert_int_eq(seen.n_value[2], 5);
        kvet_result_free(res);
        kvet_ctx_free(ctx);
        ctx = kvet_ctx_new();
    }
    kvet_pack_free(p);
    kvet_ctx_free(ctx);
}
END_TEST

/* Coverage accumulates over runs: rule counts, derive counts, and which
 * way each branch went, in source order. */
START_TEST(coverage_accumulates_branches)
{
    kvet_ctx *ctx = kvet_ctx_new();
    char *diags = NULL;
    kvet_pack *p = th_compile(ctx, PACK
        "for Service as s {\n"
        "  derive n = s.spec.count ?? 1\n"
        "  rule R1 warning \"n is small\"\n"
        "    when s.metadata.name == \"hello\"\n"
        "    require $n >= 2\n"
        "}\n", &diags);
    free(diags);
    ck_assert_ptr_nonnull(p);
    kvet_coverage *cov = kvet_coverage_new(p);
    ck_assert_ptr_nonnull(cov);
    ck_assert_uint_eq(kvet_coverage_branch_count(cov), 3);

    /* hello without spec.n: ?? falls back, when true, require violated */
    const char *input = th_write("in.yaml", SVC);
    kvet_inputs in = {.paths = &input, .npaths = 1, .coverage = cov};
    kvet_result *res = kvet_check(ctx, p, &in);
    ck_assert_uint_eq(res->findings[KVET_SEV_WARNING], 1);
    kvet_result_free(res);
    kvet_branch b = kvet_coverage_branch_at(cov, 0);
    ck_assert_str_eq(b.construct, "??");
    ck_assert_uint_eq(b.line, 3);
    ck_assert_int_eq(b.taken[0], 1);
    ck_assert_int_eq(b.taken[1], 0);
    b = kvet_coverage_branch_at(cov, 1);
    ck_assert_str_eq(b.construct, "condition");
    ck_assert_uint_eq(b.line, 5);
    ck_assert_int_eq(b.taken[0], 1);
    ck_assert_int_eq(b.taken[1], 0);
    b = kvet_coverage_branch_at(cov, 2);
    ck_assert_str_eq(b.construct, "require");
    ck_assert_int_eq(b.taken[0], 1);
    ck_assert_int_eq(b.taken[1], 0);

    /* another service with spec.n = 3: the other ways */
    const char *other = th_write("other.yaml",
        "apiVersion: serving.knative.dev/v1\nkind: Service\nmetadata: {name: other}\nspec: {count: 3}\n");
    in.paths = &other;
    res = kvet_check(ctx, p, &in);
    ck_assert_uint_eq(res->findings[KVET_SEV_WARNING], 0);
    kvet_result_free(res);
    b = kvet_coverage_branch_at(cov, 0);
    ck_assert_int_eq(b.taken[0] + b.taken[1], 2);
    b = kvet_coverage_branch_at(cov, 1);
    ck_assert_int_eq(b.taken[0] + b.taken[1], 2);
    b = kvet_coverage_branch_at(cov, 2);
    ck_assert_int_eq(b.taken[1], 0); /* the require never ran for `other` */

    size_t evaluated, fired, applied, valued;
    kvet_coverage_rule(cov, 0, &evaluated, &fired);
    ck_assert_uint_eq(evaluated, 2);
    ck_assert_uint_eq(fired, 1);
    kvet_coverage_derive(cov, 0, &applied, &valued);
    ck_assert_uint_eq(applied, 2);
    ck_assert_uint_eq(valued, 2);

    /* a coverage made for another pack is left alone */
    kvet_pack *q = th_compile(ctx, PACK "for Service as s { derive m = 1 }\n", &diags);
    free(diags);
    in.paths = &input;
    res = kvet_check(ctx, q, &in);
    kvet_result_free(res);
    kvet_coverage_rule(cov, 0, &evaluated, &fired);
    ck_assert_uint_eq(evaluated, 2);
    kvet_pack_free(q);
    kvet_coverage_free(cov);
    kvet_pack_free(p);
    kvet_ctx_free(ctx);
}
END_TEST

/* A rule with `each` raises a finding per item: the resources it passed on
 * are counted, not taken as resources minus findings; a rule that failed
 * with an error did not pass. */
START_TEST(coverage_counts_resources_passed)
{
    kvet_ctx *ctx = kvet_ctx_new();
    char *diags = NULL;
    kvet_pack *p = th_compile(ctx, PACK
        "for Service as s {\n"
        "  rule R1 warning \"items are positive\"\n"
        "    each i in s.spec.items\n"
        "    require i > 0\n"
        "}\n", &diags);
    free(diags);
    ck_assert_ptr_nonnull(p);
    kvet_coverage *cov = kvet_coverage_new(p);
    ck_assert_ptr_nonnull(cov);
    const char *input = th_write("in.yaml",
        "apiVersion: serving.knative.dev/v1\nkind: Service\nmetadata: {name: a}\nspec: {items: [-1, -2]}\n"
        "---\n"
        "apiVersion: serving.knative.dev/v1\nkind: Service\nmetadata: {name: b}\nspec: {items: [1, \"x\"]}\n");
    kvet_inputs in = {.paths = &input, .npaths = 1, .coverage = cov};
    kvet_result *res = kvet_check(ctx, p, &in);
    /* two findings on a; b fails comparing "x" with 0 */
    ck_assert_uint_eq(res->rule_evaluated[0], 2);
    ck_assert_uint_eq(res->rule_findings[0], 2);
    ck_assert_uint_eq(res->rule_passed[0], 0);
    ck_assert_uint_eq(res->nerrors, 1);
    kvet_result_free(res);
    ck_assert_uint_eq(kvet_coverage_rule_passed(cov, 0), 0);

    const char *good = th_write("good.yaml",
        "apiVersion: serving.knative.dev/v1\nkind: Service\nmetadata: {name: c}\nspec: {items: [1, 2]}\n");
    in.paths = &good;
    res = kvet_check(ctx, p, &in);
    ck_assert_uint_eq(res->rule_passed[0], 1);
    kvet_result_free(res);
    size_t evaluated, fired;
    kvet_coverage_rule(cov, 0, &evaluated, &fired);
    ck_assert_uint_eq(evaluated, 3);
    ck_assert_uint_eq(fired, 2);
    ck_assert_uint_eq(kvet_coverage_rule_passed(cov, 0), 1);
    ck_assert_uint_eq(kvet_coverage_rule_passed(cov, 1), 0); /* no such rule */
    kvet_coverage_free(cov);
    kvet_pack_free(p);
    kvet_ctx_free(ctx);
}
END_TEST

/* ------------------------------------------------------------ formatting */

static char *fmt_text(const char *src)
{
    kvet_ctx *ctx = kvet_ctx_new();
    char *out = NULL;
    int rc = kvet_format_source(ctx, "f.kvet", src, strlen(src), &out, NULL);
    char *d = th_diags(ctx);
    ck_assert_msg(rc == 0, "format failed: %s", d ? d : "");
    free(d);
    kvet_ctx_free(ctx);
    return out;
}

START_TEST(format_canonical_layout)
{
    const char *messy =
        "# header comment   \n\n\n\npack   demo.fmt \"1\"\n"
        "param  limit=[1,2 ,3]   // trailing\n"
        "const K = {a:1,\"b/c\" : -2}\n"
        "fn f(x,y)=x+-y when x>0 else   -1\n"
        "fn g(m) = merge(\n      m,\n  {a: 1}, m.b\n        ?? {})\n\n\n"
        "for Service \"serving.knative.dev/v1\" as s where s.metadata.name!=\"x\"{\n\n"
        "      let a=s.spec.template.metadata.annotations # the annotations\n"
        "  derive   scale.n = int(a[\"k\"]??\"1\")\n"
        "// before the rule\n"
        "        rule DEMO-001   warning \"title {  a[\\\"k\\\"]  }\"\n"
        "  when $scale.n>1 and not (a[\"z\"] not   in [\"p\",\"q\"])\n"
        "            require all(s.spec.x ?? [], (k,v)=>v!=null)\n"
        "message 'raw {x}  kept'\n"
        "    at a[\"k\"]\n\n"
        "    # last comment\n\n}\n\n\n";
    const char *want =
        "# header comment\n\npack demo.fmt \"1\"\n"
        "param limit = [1, 2, 3] // trailing\n"
        "const K = {a: 1, \"b/c\": -2}\n"
        "fn f(x, y) = x + -y when x > 0 else -1\n"
        "fn g(m) = merge(\n  m,\n  {a: 1}, m.b\n      ?? {})\n\n"
        "for Service \"serving.knative.dev/v1\" as s where s.metadata.name != \"x\" {\n"
        "  let a = s.spec.template.metadata.annotations # the annotations\n"
        "  derive scale.n = int(a[\"k\"] ?? \"1\")\n"
        "  // before the rule\n"
        "  rule DEMO-001 warning \"title {  a[\\\"k\\\"]  }\"\n"
        "    when $scale.n > 1 and not (a[\"z\"] not in [\"p\", \"q\"])\n"
        "    require all(s.spec.x ?? [], (k, v) => v != null)\n"
        "    message 'raw {x}  kept'\n"
        "    at a[\"k\"]\n\n"
        "  # last comment\n}\n";
    char *out = fmt_text(messy);
    ck_assert_str_eq(out, want);
    /* idempotent */
    char *again = fmt_text(out);
    ck_assert_str_eq(again, out);
    free(again);
    free(out);
    /* a view is an item: at the top level, one space between its parts */
    out = fmt_text("pack a \"1\"\nfor A as a { derive x.y = 1 }\n   view   scaling   $x ,$x.y\n");
    ck_assert_str_eq(out, "pack a \"1\"\nfor A as a {derive x.y = 1}\nview scaling $x, $x.y\n");
    free(out);
    /* CRLF line ends and tabs */
    out = fmt_text("pack a \"1\"\r\nfor A as a {\r\n\tlet x = 1\r\n}\r\n");
    ck_assert_str_eq(out, "pack a \"1\"\nfor A as a {\n  let x = 1\n}\n");
    free(out);
}
END_TEST

/* A NUL byte in a comment is kept, and the text after it too (found by
 * fuzzing: the length was taken with strlen). */
/* `let` inside an expression is no item; a rule's lets are its clauses. */
START_TEST(format_local_bindings)
{
    char *out = fmt_text("pack t \"1\"\nfn f(x) = let y = x in\n   y + 1\nfor Service as s {\n let top = let a = 1 in a\n"
                         "rule A info \"t\"\neach c in s.x\nlet n = c.name\n  when n != \"a\"\nrequire let w = 2 in\n"
                         "n != w\nlet after = [let b = 1 in b]\n}\n");
    ck_assert_str_eq(out, "pack t \"1\"\nfn f(x) = let y = x in\n    y + 1\nfor Service as s {\n  let top = let a = 1 in a\n"
                          "  rule A info \"t\"\n    each c in s.x\n    let n = c.name\n    when n != \"a\"\n"
                          "    require let w = 2 in\n        n != w\n  let after = [let b = 1 in b]\n}\n");
    char *again = fmt_text(out);
    ck_assert_str_eq(again, out);
    free(again);
    free(out);
}
END_TEST

/* A template with string literals inside is one token, kept as written. */
START_TEST(format_templates_with_strings)
{
    char *out = fmt_text("pack t \"1\"\nfor Service as s {\nrule A info \"t\"\nrequire false\n"
                         "message   \"x {f(\"a\",1)}  y\" # c\n  remedy \"r {\"}\"}\"\n}\n");
    ck_assert_str_eq(out, "pack t \"1\"\nfor Service as s {\n  rule A info \"t\"\n    require false\n"
                          "    message \"x {f(\"a\",1)}  y\" # c\n    remedy \"r {\"}\"}\"\n}\n");
    free(out);
}
END_TEST

/* Adjacent string literals are one string (as in C), so long messages,
 * remedies, docs and links can be split over lines; each piece of a
 * message is a template of its own. */
START_TEST(adjacent_literals_join)
{
    char *out = th_check(PACK
                         "for Service \"serving.knative.dev/v1\" as svc {\n"
                         "  rule KN-1 error \"t\"\n"
                         "    forbid true\n"
                         "    message \"name {svc.metadata.name}, \"\n"
                         "        \"kind {svc.kind}\" 'raw\\n'\n"
                         "}\n",
                         SVC);
    ck_assert_str_eq(out, "R Service/hello {}\nF KN-1 error 1:1 name hello, kind Serviceraw\\n\n");
    free(out);
    kvet_ctx *ctx = kvet_ctx_new();
    char *diags = NULL;
    kvet_pack *p = th_compile(ctx, PACK
                              "for Service as s {\n"
                              "  rule R1 error \"t\"\n"
                              "    require true\n"
                              "    remedy \"do \\\"this\\\" \"\n"
                              "        \"and {s.kind}\"\n"
                              "    doc \"one \" \"two\"\n"
                              "    link \"https://example.com/\"\n"
                              "        \"a/b\"\n"
                              "}\n",
                              &diags);
    ck_assert_msg(p != NULL, "%s", diags ? diags : "");
    free(diags);
    kvet_rule_info r = kvet_rule_at(p, 0);
    ck_assert_str_eq(r.remedy, "\"do \\\"this\\\" and {s.kind}\"");
    ck_assert_ptr_eq(kvet_rule_id(p, 0), r.id);
    ck_assert_ptr_null(kvet_rule_id(p, kvet_rule_count(p)));
    ck_assert_str_eq(r.doc, "one two");
    ck_assert_str_eq(r.link, "https://example.com/a/b");
    kvet_pack_free(p);
    kvet_ctx_free(ctx);
    char *f = fmt_text("pack t \"1\"\nfor Service as s {\nrule A info \"t\"\nrequire false\n"
                       "message \"a \"\n\"b\"\n}\n");
    ck_assert_str_eq(f, "pack t \"1\"\nfor Service as s {\n  rule A info \"t\"\n    require false\n"
                        "    message \"a \"\n        \"b\"\n}\n");
    free(f);
}
END_TEST

START_TEST(format_keeps_nul_bytes)
{
    static const char src[] = "# a\0b\npack a \"1\"\n";
    kvet_ctx *ctx = kvet_ctx_new();
    char *out = NULL;
    size_t n = 0;
    ck_assert_int_eq(kvet_format_source(ctx, "nul.kvet", src, sizeof src - 1, &out, &n), 0);
    ck_assert_uint_eq(n, sizeof src - 1);
    ck_assert(memcmp(out, src, n) == 0);
    char *again = NULL;
    size_t n2 = 0;
    ck_assert_int_eq(kvet_format_source(ctx, "nul.kvet", out, n, &again, &n2), 0);
    ck_assert_uint_eq(n2, n);
    free(again);
    free(out);
    kvet_ctx_free(ctx);
}
END_TEST

START_TEST(format_rejects_what_does_not_parse)
{
    kvet_ctx *ctx = kvet_ctx_new();
    char *out = (char *)1;
    const char *bad = "pack a \"1\"\nfor A as a {\n  let = 1\n}\n";
    ck_assert_int_eq(kvet_format_source(ctx, "bad.kvet", bad, strlen(bad), &out, NULL), -1);
    ck_assert_ptr_null(out);
    char *d = th_diags(ctx);
    th_assert_contains(d, "3:7: error: syntax error: unexpected `=`, expected identifier");
    free(d);
    kvet_ctx_free(ctx);
}
END_TEST

/* The listing of a pack without positions and digests: equal listings
 * mean the same program. */
static char *listing_without_positions(const char *name, const char *src)
{
    kvet_ctx *ctx = kvet_ctx_new();
    kvet_ctx_add_pack_path(ctx, "rules");
    kvet_pack *p = kvet_pack_load_source(ctx, name, src, strlen(src));
    ck_assert_msg(p != NULL, "%s does not compile", name);
    char *dis = kvet_pack_disassemble(p);
    kvet_pack_free(p);
    kvet_ctx_free(ctx);
    /* drop "; file:line:col" annotations and sha256 lines */
    char *w = dis;
    for (char *line = strtok(dis, "\n"); line; line = strtok(NULL, "\n")) {
        if (strstr(line, "sha256"))
            continue;
        char *semi = strstr(line, ".kvet:");
        if (semi) {
            while (semi > line && *semi != ';')
                semi--;
            *semi = '\0';
        }
        size_t n = strlen(line);
        memmove(w, line, n);
        w += n;
        *w++ = '\n';
    }
    *w = '\0';
    return dis;
}

/* Every rule file of the project formats to itself, and formatting keeps
 * the compiled program as it was. */
START_TEST(format_project_files)
{
    const char *src = getenv("srcdir");
    if (src && *src)
        ck_assert_int_eq(chdir(src), 0);
    const char *files[] = {"rules/hpa.kvet", "rules/keda.kvet", "rules/knative-annotations.kvet",
                           "rules/knative-common.kvet", "rules/knative-config.kvet", "rules/knative-effective.kvet",
                           "rules/kserve-common.kvet", "rules/kserve-graph.kvet", "rules/kserve-isvc.kvet",
                           "rules/kserve-raw.kvet", "rules/pdb.kvet", "rules/prelude.kvet",
                           "examples/org-pack/acme.kvet",
                           "tests/data/cli-pack/bounds.kvet", "tests/data/fmt/formatted.kvet",
                           "tests/data/rule-tests/pack/replicas.kvet"};
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        FILE *f = fopen(files[i], "rb");
        ck_assert_msg(f != NULL, "cannot open %s", files[i]);
        static char text[1 << 20];
        size_t n = fread(text, 1, sizeof text - 1, f);
        fclose(f);
        text[n] = '\0';
        char *out = fmt_text(text);
        ck_assert_msg(strcmp(out, text) == 0, "%s is not formatted (run kvet fmt)", files[i]);
        free(out);
    }
    /* a file laid out badly compiles to the same program once formatted */
    const char *messy = "pack m \"1\"\nfn f(x)=x*2   when x>0\n  else -x\nfor A as a where a.b!=null{\n"
                        "let v=f(a.n)  rule M-1 error \"t\"\n require v<10 message \"v is {v}\"}\n";
    char *formatted = fmt_text(messy);
    char *l1 = listing_without_positions("m.kvet", messy), *l2 = listing_without_positions("m.kvet", formatted);
    ck_assert_str_eq(l1, l2);
    free(l1);
    free(l2);
    free(formatted);
}
END_TEST

START_TEST(eval_list_documents_and_skips)
{
    char *out = th_check(PACK "for ConfigMap as c { derive n = c.metadata.name }\n",
                         "apiVersion: v1\nkind: List\nitems:\n"
                         "- {apiVersion: v1, kind: ConfigMap, metadata: {name: a}}\n"
                         "- {apiVersion: v1, kind: ConfigMap, metadata: {name: b}}\n"
                         "---\n"
                         "just: data\n");
    ck_assert_str_eq(out, "R ConfigMap/a {n:\"a\"}\nR ConfigMap/b {n:\"b\"}\n");
    free(out);
}
END_TEST

/* ------------------------------------------------------- compiled packs */

/* `view NAME $a, ...`: each value must name derived values; a pack
 * declares a view once and names a value once in it; errors carry
 * file:line:col. */
START_TEST(check_view_errors)
{
    char *out = th_check(PACK
                         "for Service as s { derive scale.min = 1 derive mode = \"m\" }\n"
                         "view scaling $scale, $mdoe, $scale\n"
                         "view scaling $mode\n"
                         "view other $nope\n",
                         SVC);
    th_assert_contains(out, "COMPILE");
    th_assert_contains(out, "3:22: error: no `derive` defines $mdoe | hint: did you mean `$mode`?");
    th_assert_contains(out, "3:29: error: view scaling names $scale twice");
    th_assert_contains(out, "4:6: error: pack t declares view scaling twice");
    th_assert_contains(out, "3:6: note: view scaling is first declared here");
    th_assert_contains(out, "5:12: error: no `derive` defines $nope");
    free(out);
    /* the grammar: a view names derived values, not expressions */
    out = th_check(PACK "for Service as s { derive a = 1 }\nview scaling a\n", SVC);
    th_assert_contains(out, "3:14: error: syntax error");
    free(out);
    out = th_check(PACK "for Service as s { derive a = 1 }\nview $a\n", SVC);
    th_assert_contains(out, "3:6: error: syntax error");
    free(out);
}
END_TEST

/* A view and a rule's override record survive the compiled form; a name
 * related to a derive (a prefix of one) is a valid view value. */
START_TEST(view_and_override_roundtrip)
{
    kvet_ctx *ctx = kvet_ctx_new();
    char *diags = NULL;
    kvet_pack *p = th_compile(ctx, PACK
                              "for Service as s {\n"
                              "  derive scale.min = 1\n"
                              "  derive mode = \"m\"\n"
                              "  rule R1 error \"t\" require true\n"
                              "  rule R2 warning \"t\" require true\n"
                              "}\n"
                              "override R1 severity info\n"
                              "disable R2\n"
                              "view scaling $scale, $mode\n",
                              &diags);
    ck_assert_msg(p != NULL, "%s", diags ? diags : "");
    free(diags);
    char path[600];
    snprintf(path, sizeof path, "%s/view.kvetc", th_dir);
    ck_assert_int_eq(kvet_pack_write(ctx, p, path), 0);
    const char *pp = path;
    kvet_pack *q = kvet_pack_load(ctx, &pp, 1);
    ck_assert_ptr_nonnull(q);
    const kvet_pack *both[] = {p, q};
    for (int k = 0; k < 2; k++) {
        const kvet_pack *x = both[k];
        ck_assert_uint_eq(kvet_view_count(x), 1);
        kvet_view_info v;
        ck_assert_int_eq(kvet_view_find(x, "scaling", &v), 1);
        ck_assert_str_eq(v.name, "scaling");
        ck_assert_str_eq(v.pack, "t");
        ck_assert_uint_eq(v.nvalues, 2);
        ck_assert_str_eq(v.values[0], "scale");
        ck_assert_str_eq(v.values[1], "mode");
        ck_assert_uint_eq(v.line, 10);
        ck_assert_uint_eq(v.col, 6);
        ck_assert_int_eq(kvet_view_find(x, "other", &v), 0);
        ck_assert_ptr_null(v.name);
        kvet_rule_info r1 = kvet_rule_at(x, 0), r2 = kvet_rule_at(x, 1);
        ck_assert_int_eq(r1.stock_severity, KVET_SEV_ERROR);
        ck_assert_int_eq(r1.severity, KVET_SEV_INFO);
        ck_assert_str_eq(r1.override_pack, "t");
        ck_assert_uint_eq(r1.override_line, 8);
        ck_assert_uint_eq(r1.override_col, 10);
        ck_assert_int_eq(r2.enabled, 0);
        ck_assert_int_eq(r2.stock_severity, KVET_SEV_WARNING);
        ck_assert_uint_eq(r2.override_line, 9);
    }
    kvet_pack_free(q);
    /* no override: no record */
    diags = NULL;
    q = th_compile(ctx, PACK "for Service as s { rule R1 error \"t\" require true }\n", &diags);
    free(diags);
    ck_assert_ptr_null(kvet_rule_at(q, 0).override_pack);
    ck_assert_uint_eq(kvet_view_count(q), 0);
    kvet_pack_free(q);
    kvet_pack_free(p);
    kvet_ctx_free(ctx);
}
END_TEST

/* Per-resource rule outcomes: what ran, what it found, and why the rest
 * did not apply. */
START_TEST(rule_outcomes)
{
    kvet_ctx *ctx = kvet_ctx_new();
    char *diags = NULL;
    kvet_pack *p = th_compile(ctx, PACK
                              "for Service as s {\n"
                              "  rule PASS warning \"t\" require true\n"
                              "  rule FAIL error \"t\" require false\n"
                              "  rule TWICE info \"t\" each x in [1, 2] require false\n"
                              "  rule WAIVED warning \"t\" require false\n"
                              "  rule BROKEN error \"t\" require int(\"x\") > 0\n"
                              "  rule OFF error \"t\" require false\n"
                              "}\n"
                              "for Service as s where s.metadata.name == \"nobody\" {\n"
                              "  rule WHERE error \"t\" require false\n"
                              "}\n"
                              "for ConfigMap as c { rule CM error \"t\" require false }\n"
                              "disable OFF\n",
                              &diags);
    ck_assert_msg(p != NULL, "%s", diags ? diags : "");
    free(diags);
    const char *input = th_write("outcomes.yaml",
                                 "apiVersion: serving.knative.dev/v1\nkind: Service\n"
                                 "metadata:\n  name: hello\n  annotations:\n"
                                 "    kvet.dev/waive: \"WAIVED\"\n"
                                 "    kvet.dev/waive-reason: \"accepted for the test\"\n");
    kvet_inputs in = {.paths = &input, .npaths = 1};
    kvet_result *res = kvet_check(ctx, p, &in);
    ck_assert_uint_eq(res->nresources, 1);
    const kvet_resource *r = &res->resources[0];
    ck_assert_uint_eq(r->noutcomes, 5);
    const kvet_outcome *o;
    kvet_na_reason why;
    ck_assert_int_eq(kvet_outcome_of(p, r, 0, &o, &why), KVET_OUTCOME_PASS);
    ck_assert_ptr_nonnull(o);
    ck_assert_uint_eq(o->findings, 0);
    ck_assert_int_eq(why, KVET_NA_NONE);
    ck_assert_int_eq(kvet_outcome_of(p, r, 1, &o, NULL), KVET_OUTCOME_FAIL);
    ck_assert_uint_eq(o->open, 1);
    ck_assert_int_eq(kvet_outcome_of(p, r, 2, &o, NULL), KVET_OUTCOME_FAIL);
    ck_assert_uint_eq(o->findings, 2);
    ck_assert_uint_eq(o->open, 2);
    ck_assert_int_eq(kvet_outcome_of(p, r, 3, &o, NULL), KVET_OUTCOME_WAIVED);
    ck_assert_ptr_nonnull(o->waiver);
    ck_assert_str_eq(o->waiver->reason, "accepted for the test");
    ck_assert_uint_eq(o->open, 0);
    ck_assert_int_eq(kvet_outcome_of(p, r, 4, &o, NULL), KVET_OUTCOME_ERROR);
    ck_assert_int_eq(kvet_outcome_of(p, r, 5, &o, &why), KVET_OUTCOME_NOT_APPLICABLE);
    ck_assert_ptr_null(o);
    ck_assert_int_eq(why, KVET_NA_DISABLED);
    ck_assert_int_eq(kvet_outcome_of(p, r, 6, NULL, &why), KVET_OUTCOME_NOT_APPLICABLE);
    ck_assert_int_eq(why, KVET_NA_WHERE);
    ck_assert_int_eq(kvet_outcome_of(p, r, 7, NULL, &why), KVET_OUTCOME_NOT_APPLICABLE);
    ck_assert_int_eq(why, KVET_NA_SELECTOR);
    ck_assert_str_eq(kvet_outcome_name(KVET_OUTCOME_BASELINED), "baselined");
    ck_assert_str_eq(kvet_outcome_name(KVET_OUTCOME_NOT_APPLICABLE), "not applicable");
    ck_assert_str_eq(kvet_na_reason_text(KVET_NA_WHERE), "its block's where condition did not hold");
    kvet_result_free(res);
    kvet_pack_free(p);
    kvet_ctx_free(ctx);
}
END_TEST

START_TEST(compiled_pack_roundtrip)
{
    kvet_ctx *ctx = kvet_ctx_new();
    char *diags = NULL;
    kvet_pack *p = th_compile(ctx, PACK "for Service as s { derive x = 1 rule R1 warning \"t\" require false }\n",
                              &diags);
    free(diags);
    ck_assert_ptr_nonnull(p);
    char out1[600], out2[600];
    snprintf(out1, sizeof out1, "%s/a.kvetc", th_dir);
    snprintf(out2, sizeof out2, "%s/b.kvetc", th_dir);
    ck_assert_int_eq(kvet_pack_write(ctx, p, out1), 0);
    const char *path = out1;
    kvet_pack *q = kvet_pack_load(ctx, &path, 1);
    ck_assert_ptr_nonnull(q);
    ck_assert_int_eq(kvet_pack_write(ctx, q, out2), 0);
    /* deterministic bytes: writing the loaded pack again gives the same file */
    char cmd[1400];
    snprintf(cmd, sizeof cmd, "cmp -s '%s' '%s'", out1, out2);
    ck_assert_int_eq(system(cmd), 0);
    ck_assert_str_eq(kvet_pack_at(p, 0).digest, kvet_pack_at(q, 0).digest);
    kvet_pack_free(q);
    kvet_pack_free(p);
    kvet_ctx_free(ctx);
}
END_TEST

START_TEST(compiled_pack_corrupted)
{
    kvet_ctx *ctx = kvet_ctx_new();
    char *diags = NULL;
    kvet_pack *p = th_compile(ctx, PACK "for Service as s { derive x = 1 }\n", &diags);
    free(diags);
    char path[600];
    snprintf(path, sizeof path, "%s/c.kvetc", th_dir);
    ck_assert_int_eq(kvet_pack_write(ctx, p, path), 0);
    kvet_pack_free(p);
    /* flip one payload byte */
    FILE *f = fopen(path, "r+b");
    fseek(f, -3, SEEK_END);
    int c = fgetc(f);
    fseek(f, -3, SEEK_END);
    fputc(c ^ 0x55, f);
    fclose(f);
    kvet_diag_clear(ctx);
    const char *pp = path;
    ck_assert_ptr_null(kvet_pack_load(ctx, &pp, 1));
    char *d = th_diags(ctx);
    th_assert_contains(d, "corrupted compiled pack: the digest does not match its contents");
    free(d);
    /* not a pack at all */
    kvet_diag_clear(ctx);
    const char *junk = th_write("junk.kvetc", "hello");
    ck_assert_ptr_null(kvet_pack_load(ctx, &junk, 1));
    d = th_diags(ctx);
    th_assert_contains(d, "not a compiled kvet pack (bad magic number)");
    free(d);
    /* another format version */
    kvet_diag_clear(ctx);
    const char *other = th_write("other.kvetc", "KVETPACK\x07\x01\x01\x01........................................................");
    ck_assert_ptr_null(kvet_pack_load(ctx, &other, 1));
    d = th_diags(ctx);
    th_assert_contains(d, "compiled pack format 16843015 is not supported");
    free(d);
    kvet_ctx_free(ctx);
}
END_TEST


/* The scanner running out of memory unwinds like any other error: one
 * diagnostic, no exit, nothing leaked (the sanitizer and valgrind runs
 * check that), wherever the allocation fails. */
START_TEST(parse_scanner_out_of_memory)
{
    const char *text = PACK "for Service as s {\n  rule R-1 info \"t\"\n    require s.x > 1\n    message \"{s.x}\"\n}\n";
    int failures = 0;
    for (int n = 1; n <= 12; n++) {
        kvet_ctx *ctx = kvet_ctx_new();
        kv_arena arena;
        kv_arena_init(&arena);
        kv_node *root = kv_parse_file_failing(ctx, &arena, "oom.kvet", 1, text, strlen(text), n);
        if (!root) {
            failures++;
            char *d = th_diags(ctx);
            th_assert_contains(d, "error: out of memory while reading the rule file");
            ck_assert_uint_eq(kvet_error_count(ctx), 1);
            free(d);
        }
        /* the formatter's token scan, the same way */
        kv_parser p;
        memset(&p, 0, sizeof p);
        p.ctx = ctx;
        p.arena = &arena;
        p.file = "oom.kvet";
        p.text = p.file_text = text;
        p.len = p.file_len = strlen(text);
        p.lex_fail_alloc = n;
        kv_token *toks = NULL;
        size_t ntoks = 0;
        int rc = kv_lex_tokens(&p, text, strlen(text), &toks, &ntoks);
        ck_assert(rc == 0 || rc == -1);
        free(toks);
        kv_arena_free(&arena);
        kvet_ctx_free(ctx);
    }
    ck_assert_int_gt(failures, 0);
}
END_TEST


/* Golden bytecode: each tests/golden/NAME.kvet compiles to exactly the
 * listing in NAME.dis.  KVET_REGEN_GOLDEN=1 rewrites the listings (review
 * the diff before committing). */
static char *read_text(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *s = malloc((size_t)n + 1);
    size_t r = fread(s, 1, (size_t)n, f);
    s[r] = '\0';
    fclose(f);
    return s;
}

START_TEST(golden_bytecode)
{
    const char *srcdir = getenv("srcdir") ? getenv("srcdir") : ".";
    char dirpath[600];
    snprintf(dirpath, sizeof dirpath, "%s/tests/golden", srcdir);
    DIR *dir = opendir(dirpath);
    ck_assert_msg(dir != NULL, "cannot open %s", dirpath);
    bool regen = getenv("KVET_REGEN_GOLDEN") != NULL;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(dir))) {
        size_t len = strlen(e->d_name);
        if (len < 6 || strcmp(e->d_name + len - 5, ".kvet"))
            continue;
        char src[1200], want[1200];
        snprintf(src, sizeof src, "%s/%s", dirpath, e->d_name);
        snprintf(want, sizeof want, "%s/%.*s.dis", dirpath, (int)(len - 5), e->d_name);
        char *text = read_text(src);
        kvet_ctx *ctx = kvet_ctx_new();
        kvet_ctx_set_lints(ctx, 0); /* the listing is the point here */
        kvet_pack *p = kvet_pack_load_source(ctx, e->d_name, text, strlen(text));
        char *d = th_diags(ctx);
        ck_assert_msg(p != NULL, "%s: %s", e->d_name, d);
        ck_assert_msg(kvet_error_count(ctx) == 0 && kvet_diag_count(ctx) == 0, "%s: %s", e->d_name, d);
        free(d);
        char *got = kvet_pack_disassemble(p);
        if (regen) {
            FILE *f = fopen(want, "wb");
            fputs(got, f);
            fclose(f);
        }
        char *expected = read_text(want);
        ck_assert_msg(expected != NULL, "%s is missing (KVET_REGEN_GOLDEN=1 writes it)", want);
        ck_assert_msg(!strcmp(got, expected), "%s: the listing differs from %s:\n%s", e->d_name, want, got);
        free(expected);
        free(got);
        free(text);
        kvet_pack_free(p);
        kvet_ctx_free(ctx);
        n++;
    }
    closedir(dir);
    ck_assert_int_gt(n, 0);
}
END_TEST

/* ------------------------------------------------- the bytecode verifier */

/* Hand-made packs: a program compiled from source, changed in memory the
 * way a hostile file could be, and written with a correct digest. */
static const char *VERIFY_SRC =
    PACK
    "fn twice(v) = v * 2\n"
    "for Service as s {\n"
    "  rule X-1 warning \"replicas\"\n"
    "    require twice(s.spec.replicas ?? 1) >= 2 and any(s.spec.ports ?? [], p => p > 0)\n"
    "}\n";

/* The n-th instruction (from 0) with opcode op, from the start of the code. */
static uint32_t find_op(const kvet_pack *p, kv_opcode op, int n)
{
    for (uint32_t pc = 0; pc < p->ncode; pc += kv_op_width(KV_INS_OP(p->code[pc])))
        if (KV_INS_OP(p->code[pc]) == op && n-- == 0)
            return pc;
    ck_abort_msg("no %s in the program", kv_op_info(op)->name);
    return 0;
}

static void craft_three_pops(kvet_pack *p)
{
    for (int i = 0; i < 3; i++)
        p->code[i] = KV_INS(KV_OPC_POP, 0);
}
static void craft_underflow(kvet_pack *p)
{
    /* `INT 2` after the call becomes ADD: one value where ADD takes two */
    p->code[find_op(p, KV_OPC_CALLFN, 0) + 1] = KV_INS(KV_OPC_ADD, 0);
}
static void craft_overflow(kvet_pack *p)
{
    /* the function's MUL becomes a third push */
    p->code[find_op(p, KV_OPC_MUL, 0)] = KV_INS(KV_OPC_INT, 5);
}
static void craft_jump_into_operand(kvet_pack *p)
{
    /* the loop's back edge lands on NEXT's exit word */
    uint32_t next = find_op(p, KV_OPC_NEXT, 0);
    for (uint32_t pc = next; pc < p->ncode; pc++)
        if (KV_INS_OP(p->code[pc]) == KV_OPC_JMP && KV_INS_A(p->code[pc]) == next) {
            p->code[pc] = KV_INS(KV_OPC_JMP, next + 1);
            return;
        }
    ck_abort_msg("no back edge");
}
static void craft_call_missing_fn(kvet_pack *p)
{
    p->code[find_op(p, KV_OPC_CALLFN, 0)] = KV_INS(KV_OPC_CALLFN, 7);
}
static void craft_call_rule_code(kvet_pack *p)
{
    p->fns[0].chunk = p->rules[0].chunk;
}
static void craft_call_builtin_arity(kvet_pack *p)
{
    p->code[find_op(p, KV_OPC_CALLFN, 0)] = KV_INS(KV_OPC_CALL, (uint32_t)kv_builtin_lookup("len") | 3u << 16);
}
static void craft_jump_out(kvet_pack *p)
{
    p->code[find_op(p, KV_OPC_JNA, 0)] = KV_INS(KV_OPC_JNA, 1);
}
static void craft_join_heights(kvet_pack *p)
{
    /* `?? 1` without its fallback: one way arrives with a value, the other without */
    p->code[find_op(p, KV_OPC_JNA, 0) + 1] = KV_INS(KV_OPC_NOP, 0);
}
static void craft_fall_off(kvet_pack *p)
{
    p->code[p->chunks[1].entry - 1] = KV_INS(KV_OPC_NOP, 0);
}
static void craft_slot(kvet_pack *p)
{
    p->code[find_op(p, KV_OPC_LOAD, 0)] = KV_INS(KV_OPC_LOAD, 9);
}
static void craft_const(kvet_pack *p)
{
    p->code[find_op(p, KV_OPC_FIELD, 0)] = KV_INS(KV_OPC_FIELD, 4000);
}
static void craft_global(kvet_pack *p)
{
    p->code[find_op(p, KV_OPC_INT, 0)] = KV_INS(KV_OPC_GLOBAL, 0);
}
static void craft_query(kvet_pack *p)
{
    p->code[find_op(p, KV_OPC_INT, 0)] = KV_INS(KV_OPC_QUERY, 2);
}
static void craft_emit_other(kvet_pack *p)
{
    p->code[find_op(p, KV_OPC_EMIT, 0)] = KV_INS(KV_OPC_EMIT, 1);
}
static void craft_unknown(kvet_pack *p)
{
    p->code[1] = 0xFE;
}
static void craft_endtry(kvet_pack *p)
{
    p->code[find_op(p, KV_OPC_MUL, 0)] = KV_INS(KV_OPC_ENDTRY, 0);
}
static void craft_ret_height(kvet_pack *p)
{
    uint32_t mul = find_op(p, KV_OPC_MUL, 0);
    p->code[mul] = KV_INS(KV_OPC_RET, 0);
}

typedef struct crafted {
    const char *name;
    void (*patch)(kvet_pack *);
    const char *error;
} crafted;

static const crafted CRAFTED[] = {
    {"three-pops", craft_three_pops,
     "chunk 0 (fn twice/1) at offset 0 (POP): stack underflow: it takes 1 value, the stack holds 0"},
    {"underflow", craft_underflow, "chunk 1 (rule X-1) at offset 6 (ADD): stack underflow: it takes 2 values, the stack holds 1"},
    {"overflow", craft_overflow,
     "chunk 0 (fn twice/1) at offset 2 (INT): stack overflow: 3 values exceed the chunk's declared maximum of 2"},
    {"jump-into-operand", craft_jump_into_operand, "(JMP): jump into the middle of an instruction (to offset "},
    {"call-missing-fn", craft_call_missing_fn,
     "chunk 1 (rule X-1) at offset 5 (CALLFN): call of a non-function: there is no function 7 (the pack has 1)"},
    {"call-rule-code", craft_call_rule_code, "call of a non-function: chunk 1 is the code of both rule X-1 and fn twice/1"},
    {"builtin-arity", craft_call_builtin_arity, "(CALL): len() called with 3 arguments (len(string|list|map) -> int"},
    {"jump-out", craft_jump_out, "(JNA): jump out of the chunk (to 1; the chunk is "},
    {"join-heights", craft_join_heights, "chunk 1 (rule X-1) at offset 4 (NOP): paths join at offset 5 with different stack heights (1 and 0)"},
    {"fall-off", craft_fall_off, "chunk 0 (fn twice/1) at offset 3 (NOP): the chunk falls off its end"},
    {"slot", craft_slot, "chunk 0 (fn twice/1) at offset 0 (LOAD): local slot 9 out of range (the frame has 1)"},
    {"constant", craft_const, "(FIELD): constant 4000 is not a name (a string)"},
    {"global", craft_global, "(GLOBAL): global 0 out of range (the pack has 0)"},
    {"query", craft_query, "(QUERY): query 2 out of range (the pack has 0)"},
    {"emit-other-rule", craft_emit_other, "(EMIT): a finding of rule 1 reported outside that rule's code"},
    {"unknown-instruction", craft_unknown, "chunk 0 (fn twice/1) at offset 1: unknown instruction 0xfe"},
    {"endtry", craft_endtry, "(ENDTRY): no try handler is open"},
    {"ret-height", craft_ret_height, "(RET): returns with 2 values on the stack (it must be exactly 1)"},
};

/* Write the crafted pack `c` to th_dir and return its path. */
static const char *write_crafted(const crafted *c)
{
    kvet_ctx *ctx = kvet_ctx_new();
    kvet_pack *p = kvet_pack_load_source(ctx, "x.kvet", VERIFY_SRC, strlen(VERIFY_SRC));
    char *d = th_diags(ctx);
    ck_assert_msg(p != NULL, "%s", d);
    free(d);
    c->patch(p);
    char *data;
    size_t len;
    ck_assert_int_eq(kv_program_serialize(p, &data, &len), 0);
    static char path[600];
    snprintf(path, sizeof path, "%s/%s.kvetc", th_dir, c->name);
    FILE *f = fopen(path, "wb");
    ck_assert_uint_eq(fwrite(data, 1, len, f), len);
    fclose(f);
    free(data);
    kvet_pack_free(p);
    kvet_ctx_free(ctx);
    return path;
}

/* A lookup by key over one namespace's documents compiles to an indexed
 * lookup with its key function; a scan that starts otherwise does not,
 * and a crafted key entry is refused before anything runs. */
START_TEST(indexed_lookups_compile_and_verify)
{
    static const char *const src = PACK
        "for Deployment as d {\n"
        "  rule X-1 warning \"hpa\"\n"
        "    require any(docs(\"HorizontalPodAutoscaler\", \"autoscaling/*\", d.metadata.namespace),\n"
        "        h => h.spec.scaleTargetRef.name == d.metadata.name and h.spec.maxReplicas > 1)\n"
        "  rule X-2 warning \"labels\"\n"
        "    require count(docs(\"Service\", \"v1\", d.metadata.namespace), s => \"a=b\" in keys(s.metadata)) +\n"
        "        count(docs(\"Service\", \"v1\", d.metadata.namespace), s => s.metadata.name in [\"x\"]) +\n"
        "        count(docs(\"Service\", \"v1\", d.metadata.namespace), s => true and s.metadata.name == \"x\") > 0\n"
        "  rule X-3 warning \"across namespaces\"\n"
        "    require count(docs(\"Service\", \"v1\"), s => s.metadata.name == d.metadata.name) == 0\n"
        "}\n";
    kvet_ctx *ctx = kvet_ctx_new();
    kvet_pack *p = kvet_pack_load_source(ctx, "x.kvet", src, strlen(src));
    char *d = th_diags(ctx);
    ck_assert_msg(p != NULL, "%s", d);
    free(d);
    /* keys(...) is a builtin, not one of the pack's functions: no index */
    ck_assert_uint_eq(p->nkeys, 3);
    ck_assert_uint_eq(p->keys[0].mode, KV_KEY_EQ);
    ck_assert_uint_eq(p->keys[1].mode, KV_KEY_IN);
    ck_assert_uint_eq(p->keys[2].mode, KV_KEY_EQ);
    ck_assert_uint_eq(p->fns[p->keys[0].fn].nparams, 1);
    find_op(p, KV_OPC_QUERYKEY, 1);
    find_op(p, KV_OPC_QUERYKEYALL, 0);
    char *data;
    size_t len;
    p->keys[1].query = 9;
    ck_assert_int_eq(kv_program_serialize(p, &data, &len), 0);
    char path[600];
    snprintf(path, sizeof path, "%s/badkey.kvetc", th_dir);
    FILE *f = fopen(path, "wb");
    ck_assert_uint_eq(fwrite(data, 1, len, f), len);
    fclose(f);
    free(data);
    kvet_pack_free(p);
    const char *paths[] = {path};
    ck_assert_ptr_null(kvet_pack_load(ctx, paths, 1));
    d = th_diags(ctx);
    th_assert_contains(d, "corrupted compiled pack: indexed lookup 1 refers to query 9");
    free(d);
    kvet_ctx_free(ctx);
}
END_TEST

START_TEST(verify_rejects_crafted_packs)
{
    const crafted *c = &CRAFTED[_i];
    const char *path = write_crafted(c);
    kvet_ctx *ctx = kvet_ctx_new();
    ck_assert_ptr_null(kvet_pack_load(ctx, &path, 1));
    char *d = th_diags(ctx);
    th_assert_contains(d, "error: corrupted compiled pack: ");
    th_assert_contains(d, c->error);
    free(d);
    kvet_ctx_free(ctx);
}
END_TEST

/* The issue's reproduction and its relatives, through the program: exit 2
 * and an error naming the file and the chunk and offset, never a crash. */
START_TEST(verify_cli_exits_2)
{
    static const char *const names[] = {"three-pops", "underflow", "overflow", "jump-into-operand",
                                        "call-missing-fn", "call-rule-code"};
    const char *kvet = getenv("KVET");
    if (!kvet)
        return; /* run by make check, which sets it */
    const char *input = th_write("in.yaml", SVC);
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        const crafted *c = NULL;
        for (size_t k = 0; k < sizeof CRAFTED / sizeof CRAFTED[0]; k++)
            if (!strcmp(CRAFTED[k].name, names[i]))
                c = &CRAFTED[k];
        const char *path = write_crafted(c);
        char cmd[2000], errf[700];
        snprintf(errf, sizeof errf, "%s/err", th_dir);
        snprintf(cmd, sizeof cmd, "env -u LD_PRELOAD '%s' check --rules '%s' '%s' > /dev/null 2> '%s'", kvet, path,
                 input, errf);
        int rc = system(cmd);
        ck_assert_msg(WIFEXITED(rc) && WEXITSTATUS(rc) == 2, "%s: status %d", c->name, rc);
        FILE *f = fopen(errf, "rb");
        char err[2000] = "";
        size_t n = fread(err, 1, sizeof err - 1, f);
        err[n] = '\0';
        fclose(f);
        char want[800];
        snprintf(want, sizeof want, "%s: error: corrupted compiled pack: ", path);
        th_assert_contains(err, want);
        th_assert_contains(err, c->error);
    }
}
END_TEST

/* Inputs the packfile fuzzer found crashing, run as it runs them: first
 * byte odd, the rest is a payload given a correct header.  Each must be
 * rejected, or load and run without a crash. */
START_TEST(regression_fuzz_packfiles)
{
    const char *srcdir = getenv("srcdir") ? getenv("srcdir") : ".";
    char dirpath[600];
    snprintf(dirpath, sizeof dirpath, "%s/tests/data/fuzz-packfile", srcdir);
    DIR *dir = opendir(dirpath);
    ck_assert_ptr_nonnull(dir);
    struct dirent *e;
    int n = 0;
    while ((e = readdir(dir))) {
        if (e->d_name[0] == '.')
            continue;
        char path[1200];
        snprintf(path, sizeof path, "%s/%s", dirpath, e->d_name);
        FILE *f = fopen(path, "rb");
        ck_assert_ptr_nonnull(f);
        unsigned char data[70000];
        size_t size = fread(data, 1, sizeof data, f);
        fclose(f);
        ck_assert(size > 0 && (data[0] & 1));
        size_t len = 52 + size - 1;
        unsigned char *buf = malloc(len);
        memcpy(buf, "KVETPACK\0\0\0\0", 12);
        buf[8] = (unsigned char)KV_PACKFILE_FORMAT;
        for (int i = 0; i < 8; i++)
            buf[12 + i] = (unsigned char)((uint64_t)(size - 1) >> (8 * i));
        kv_sha256 s;
        kv_sha256_init(&s);
        kv_sha256_update(&s, data + 1, size - 1);
        kv_sha256_final(&s, buf + 20);
        memcpy(buf + 52, data + 1, size - 1);
        kvet_ctx *ctx = kvet_ctx_new();
        kvet_pack *p = kv_program_deserialize(ctx, e->d_name, (const char *)buf, len);
        if (p) {
            const char *yaml = "apiVersion: v1\nkind: Service\nmetadata: {name: a}\n";
            kvet_inputs in = {.buffer = yaml, .buffer_len = strlen(yaml), .buffer_name = "in.yaml"};
            kvet_result_free(kvet_check(ctx, p, &in));
            kv_program_free(p);
        } else {
            char *d = th_diags(ctx);
            th_assert_contains(d, "corrupted compiled pack: ");
            free(d);
        }
        kvet_ctx_free(ctx);
        free(buf);
        n++;
    }
    closedir(dir);
    ck_assert_int_gt(n, 0);
}
END_TEST

/* What the compiler writes always verifies, and states its stack needs. */
START_TEST(verify_accepts_compiled_code)
{
    kvet_ctx *ctx = kvet_ctx_new();
    kvet_pack *p = kvet_pack_load_source(ctx, "x.kvet", VERIFY_SRC, strlen(VERIFY_SRC));
    ck_assert_ptr_nonnull(p);
    kv_buf msg;
    kv_buf_init(&msg);
    ck_assert_int_eq(kv_verify(p, &msg), 0);
    kv_buf_free(&msg);
    ck_assert_uint_eq(p->chunks[0].maxstack, 2);
    ck_assert_uint_eq(p->chunks[1].maxstack, 4);
    kvet_pack_free(p);
    kvet_ctx_free(ctx);
}
END_TEST

/* -------------------------------------------------------------- imports */

START_TEST(imports_and_overrides_across_packs)
{
    char dir[600];
    snprintf(dir, sizeof dir, "%s/stock", th_dir);
    ck_assert_int_eq(mkdir(dir, 0755), 0);
    char f[700];
    snprintf(f, sizeof f, "%s/a.kvet", dir);
    FILE *fp = fopen(f, "w");
    fputs("pack base.stock \"2\"\nparam limit = 3\nfn twice(x) = x * 2\n"
          "for Service as s { derive base.v = twice(limit) rule B-1 error \"base\" require false }\n", fp);
    fclose(fp);
    kvet_ctx *ctx = kvet_ctx_new();
    kvet_ctx_add_pack_path(ctx, th_dir);
    const char *org = th_write("org.kvet", "pack org \"1\"\nimport base.stock as b\n"
                                           "override B-1 severity warning\n"
                                           "for Service as s { derive org.v = b.twice($base.v) + b.limit }\n");
    kvet_pack *p = kvet_pack_load(ctx, &org, 1);
    char *d = th_diags(ctx);
    ck_assert_msg(p != NULL, "%s", d);
    free(d);
    ck_assert_uint_eq(kvet_pack_count(p), 2);
    const char *input = th_write("in.yaml", SVC);
    kvet_inputs in = {.paths = &input, .npaths = 1};
    kvet_result *res = kvet_check(ctx, p, &in);
    ck_assert_uint_eq(res->nresources, 1);
    ck_assert_uint_eq(res->resources[0].nfindings, 1);
    ck_assert_int_eq(res->resources[0].findings[0].severity, KVET_SEV_WARNING);
    kvet_result_free(res);
    kvet_pack_free(p);
    kvet_ctx_free(ctx);

    ctx = kvet_ctx_new();
    const char *bad = th_write("bad.kvet", "pack org \"1\"\nimport no.such.pack\n");
    ck_assert_ptr_null(kvet_pack_load(ctx, &bad, 1));
    d = th_diags(ctx);
    th_assert_contains(d, "2:8: error: pack `no.such.pack` was not found");
    free(d);
    kvet_ctx_free(ctx);
}
END_TEST

/* Regression (fuzzing): rule text and manifests handed over in memory
 * without a terminating NUL, including the empty input. */
START_TEST(regression_unterminated_buffers)
{
    static const char *const texts[] = {"", "pack", "for x", "pack t \"1\"\nconst a = \"b"};
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
        size_t n = strlen(texts[i]);
        char *buf = malloc(n ? n : 1);
        memcpy(buf, texts[i], n);
        kvet_ctx *ctx = kvet_ctx_new();
        ck_assert_ptr_null(kvet_pack_load_source(ctx, "mem.kvet", buf, n));
        ck_assert_uint_gt(kvet_error_count(ctx), 0);
        for (size_t k = 0; k < kvet_diag_count(ctx); k++)
            free(kvet_diag_render(kvet_diag_at(ctx, k), 0));
        kvet_ctx_free(ctx);
        free(buf);
    }
    kvet_ctx *ctx = kvet_ctx_new();
    const char *rules = "pack t \"1\"\nfor ConfigMap as c { derive n = c.metadata.name }\n";
    kvet_pack *p = kvet_pack_load_source(ctx, "mem.kvet", rules, strlen(rules));
    ck_assert_ptr_nonnull(p);
    static const char yaml[] = {'a', ':', ' ', '['};
    char *buf = malloc(sizeof yaml);
    memcpy(buf, yaml, sizeof yaml);
    kvet_inputs in = {.buffer = buf, .buffer_len = sizeof yaml, .buffer_name = "mem.yaml"};
    kvet_result *res = kvet_check(ctx, p, &in);
    ck_assert_uint_eq(res->nerrors, 1);
    ck_assert_str_eq(res->errors[0].file, "mem.yaml");
    kvet_result_free(res);
    free(buf);
    kvet_pack_free(p);
    kvet_ctx_free(ctx);
}
END_TEST

START_TEST(templates_with_embedded_strings)
{
    char *out = th_check(PACK
                         "for Service as s {\n"
                         "  rule T-1 info \"t\"\n"
                         "    require false\n"
                         "    message \"a={\\\"it's\\\"} b={\\\"a}b\\\"} c={'x}y'} d={s.metadata[\\\"name\\\"]}\"\n"
                         "}\n",
                         SVC);
    th_assert_contains(out, "F T-1 info 1:1 a=it's b=a}b c=x}y d=hello");
    free(out);
}
END_TEST

/* Templates take plain string literals inside {...}; the older escaped
 * form still works, and escapes in the literal parts are decoded (and
 * checked) like those of any string. */
START_TEST(templates_with_plain_strings)
{
    char *out = th_check(PACK
                         "for Service as s {\n"
                         "  rule T-1 info \"t\"\n"
                         "    require false\n"
                         "    message \"a={q(s.metadata.name)} b={s.metadata.name == \"hello\"} c={\"x}y\"} "
                         "d={ {\"k\": \"v\"}[\"k\"]} e=\\u{41}{1}\\x42 f={\\\"it's\\\"} g={'{'}\"\n"
                         "    remedy \"set {join([\"a\", \"b\"], \", \")} in {q(s.spec.x ?? \"\\n\")}\"\n"
                         "}\n",
                         SVC);
    th_assert_contains(out, "F T-1 info 1:1 a=\"hello\" b=true c=x}y d=v e=A1B f=it's g={\n");
    free(out);
    out = th_check(PACK
                   "for Service as s {\n"
                   "  rule T-1 info \"t\"\n"
                   "    require false\n"
                   "    message \"a {1} \\q {2}\"\n"
                   "}\n",
                   SVC);
    th_assert_contains(out, "COMPILE\n5:20: error: invalid escape sequence in string");
    free(out);
    /* a message that is not a template at all, and one in a raw string */
    out = th_check(PACK
                   "for Service as s {\n"
                   "  rule T-1 info \"t\"\n"
                   "    require false\n"
                   "    message 'x={s.metadata[\"name\"] + \"!\"}'\n"
                   "    remedy \"plain \\u{e9}\"\n"
                   "}\n",
                   SVC);
    th_assert_contains(out, "F T-1 info 1:1 x=hello!\n");
    free(out);
}
END_TEST

/* let NAME = VALUE in BODY, and a rule's own lets. */
START_TEST(eval_local_bindings)
{
    char *out = th_check(PACK
                         "param limit = 3\n"
                         "fn clamp(v, lo, hi) = let low = max(v, lo) in min(low, hi)\n"
                         "for Service as s {\n"
                         "  let a = s.spec.template.metadata.annotations\n"
                         "  derive d = let n = int(a[\"autoscaling.knative.dev/min-scale\"]) in let m = n * 2 in m + 1\n"
                         "  derive e = let x = 1 in let y = (x in [1]) in y when x > 0 else false\n"
                         "  derive f = [let k = 2 in k * k, (let k = 3 in k)]\n"
                         "  derive g = clamp(7, 1, limit)\n"
                         "  rule L-1 warning \"bounds\"\n"
                         "    let mn = int(a[\"autoscaling.knative.dev/min-scale\"])\n"
                         "    when mn > 0\n"
                         "    let mx = int(a[\"autoscaling.knative.dev/max-scale\"])\n"
                         "    require let slack = mx - mn in slack >= 0\n"
                         "    at a[\"autoscaling.knative.dev/max-scale\"]\n"
                         "    message \"max {mx} < min {mn} by {let d = mn - mx in d}\"\n"
                         "  rule L-2 info \"each\"\n"
                         "    each i, v in [10, 20]\n"
                         "    let twice = v * 2\n"
                         "    require twice < 30\n"
                         "    message \"{i}: {twice}\"\n"
                         "}\n",
                         SVC);
    ck_assert_str_eq(out, "R Service/hello {d:7,e:true,f:[4,3],g:3}\n"
                          "F L-2 info 1:1 1: 40\n"
                          "F L-1 warning 11:44 max 2 < min 3 by 1\n");
    free(out);
}
END_TEST

/* The absent lint: warnings on rule text, one string per case. */
static char *lint_of(const char *rules)
{
    kvet_ctx *ctx = kvet_ctx_new();
    char *d = NULL;
    kvet_pack *p = th_compile(ctx, rules, &d);
    ck_assert_msg(p != NULL, "%s", d);
    kvet_pack_free(p);
    kvet_ctx_free(ctx);
    return d;
}

#define LINT_BLOCK(clauses) PACK "param limit = 3\nfn pos(v) = v when v > 0\nfor HorizontalPodAutoscaler as h {\n" \
    "  let w = h.spec.behavior.scaleDown.stabilizationWindowSeconds\n" \
    "  derive sure = h.spec.maxReplicas ?? 1\n  derive maybe = h.spec.maxReplicas\n" \
    "  rule L-1 warning \"t\"\n" clauses "}\n"

START_TEST(lint_absent_operands)
{
    /* the issue's example: the warning, its position and the fix in a hint */
    char *d = lint_of(LINT_BLOCK("    require h.spec.behavior.scaleDown.stabilizationWindowSeconds >= 300\n"));
    th_assert_contains(d, "9:13: warning: `h.spec.behavior.scaleDown.stabilizationWindowSeconds` may be absent, and "
                        "then `>=` is absent and this require passes without a finding | hint: write "
                        "`h.spec.behavior.scaleDown.stabilizationWindowSeconds ?? DEFAULT` with the value an absent "
                        "one means, or test for it with has(): `when has(...)`, `has(...) and ...`\n");
    free(d);
    static const struct { const char *clauses, *want; } cases[] = {
        /* what it warns about */
        {"    forbid h.spec.minReplicas > limit\n", "9:12: warning: `h.spec.minReplicas` may be absent, and then `>` "
                                                    "is absent and this forbid never fires"},
        {"    require w <= 3600\n", "9:13: warning: `w` may be absent, and then `<=` is absent"},
        {"    require h.spec.metrics[0].type in [\"Resource\"]\n", "`in` is absent"},
        {"    require not (h.spec.x < 1)\n", "`h.spec.x` may be absent"},
        {"    require $maybe >= 2\n", "`$maybe` may be absent"},
        {"    require pos(1) >= 2\n", "`pos(1)` may be absent"},
        {"    require let x = h.spec.x in x >= 2\n", "`x` may be absent"},
        {"    each m in h.spec.metrics\n    require m.resource.target.averageUtilization <= 90\n", "may be absent"},
        {"    when has(h.spec.minReplicas)\n    require h.spec.maxReplicas >= h.spec.minReplicas\n",
         "`h.spec.maxReplicas` may be absent"},
        /* what it leaves alone: a default, a guard, a total operator */
        {"    require (w ?? 300) >= 300\n", NULL},
        {"    when has(w)\n    require w >= 300\n", NULL},
        {"    when w > 0\n    require w >= 300\n", NULL},
        {"    when h.spec.behavior.scaleDown.stabilizationWindowSeconds != absent\n    require w >= 300\n", NULL},
        {"    when has(h.spec.behavior.scaleDown.stabilizationWindowSeconds.x)\n    require w >= 300\n", NULL},
        {"    require has(w) and w >= 300\n", NULL},
        {"    require w >= 300 and has(w)\n", NULL},
        {"    require w == absent or w >= 300\n", NULL},
        {"    require not has(w) or w >= 300\n", NULL},
        {"    require w == 300 or w != 5\n", NULL},
        {"    require $sure >= 2\n", NULL},
        {"    require len(h.spec.metrics ?? []) > 0 and limit > 1\n", NULL},
        {"    require type(w) == \"int\" and w > 1\n", NULL},
        {"    require let x = h.spec.x ?? 1 in x >= 2\n", NULL},
        {"    require any(h.spec.metrics ?? [], m => m.type > \"a\")\n", NULL},
        {"    let m = h.spec.maxReplicas\n    when has(m)\n    require m > 1\n", NULL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char rules[2048];
        snprintf(rules, sizeof rules, LINT_BLOCK("%s"), cases[i].clauses);
        d = lint_of(rules);
        if (cases[i].want)
            ck_assert_msg(strstr(d, cases[i].want) != NULL, "case %zu: expected %s in:\n%s", i, cases[i].want, d);
        else
            ck_assert_msg(strstr(d, "may be absent") == NULL, "case %zu: expected no warning, got:\n%s", i, d);
        free(d);
    }
    /* lets built from lets used twice: the analysis stays linear in effect
     * (it has a budget), so this compiles at once */
    char big[4096];
    int o = snprintf(big, sizeof big, PACK "for Service as s {\n  let a0 = s.spec.x\n");
    for (int i = 1; i < 40; i++)
        o += snprintf(big + o, sizeof big - (size_t)o, "  let a%d = a%d + a%d\n", i, i - 1, i - 1);
    snprintf(big + o, sizeof big - (size_t)o, "  rule R info \"t\"\n    require a39 > 1\n}\n");
    d = lint_of(big);
    free(d);
    /* off when asked */
    kvet_ctx *ctx = kvet_ctx_new();
    kvet_ctx_set_lints(ctx, 0);
    kvet_pack *p = th_compile(ctx, LINT_BLOCK("    require w >= 300\n"), &d);
    ck_assert_ptr_nonnull(p);
    ck_assert_ptr_null(strstr(d, "may be absent"));
    free(d);
    kvet_pack_free(p);
    kvet_ctx_free(ctx);
}
END_TEST

/* Coverage notes the checks that passed only because their value was
 * absent. */
START_TEST(coverage_absent_passes)
{
    kvet_ctx *ctx = kvet_ctx_new();
    char *d = NULL;
    kvet_pack *p = th_compile(ctx, PACK "for Service as s {\n  rule R warning \"t\"\n    require s.spec.w >= 300\n"
                                        "  rule F info \"f\"\n    forbid s.spec.w < 300\n}\n", &d);
    free(d);
    kvet_coverage *cov = kvet_coverage_new(p);
    const char *unset = th_write("unset.yaml", SVC);
    kvet_inputs in = {.paths = &unset, .npaths = 1, .coverage = cov};
    kvet_result_free(kvet_check(ctx, p, &in));
    ck_assert_uint_eq(kvet_coverage_rule_absent_only(cov, 0), 1);
    ck_assert_uint_eq(kvet_coverage_rule_absent_only(cov, 1), 1);
    kvet_branch b = kvet_coverage_branch_at(cov, 0);
    ck_assert_str_eq(b.construct, "require");
    ck_assert_str_eq(b.rule, "R");
    ck_assert_int_eq(b.passed_absent, 1);
    ck_assert_int_eq(b.passed_present, 0);
    b = kvet_coverage_branch_at(cov, 1);
    ck_assert_str_eq(b.construct, "forbid");
    ck_assert_str_eq(b.way[0], "true (violated)");
    /* a resource that has the value and passes */
    const char *set = th_write("set.yaml", "apiVersion: v1\nkind: Service\nmetadata: {name: x}\nspec: {w: 600}\n");
    in.paths = &set;
    kvet_result_free(kvet_check(ctx, p, &in));
    ck_assert_uint_eq(kvet_coverage_rule_absent_only(cov, 0), 0);
    ck_assert_uint_eq(kvet_coverage_rule_absent_only(cov, 1), 0);
    b = kvet_coverage_branch_at(cov, 0);
    ck_assert_int_eq(b.passed_present, 1);
    kvet_coverage_free(cov);
    kvet_pack_free(p);
    kvet_ctx_free(ctx);
}
END_TEST

/* Scoping of lets is checked before anything runs. */
START_TEST(check_local_binding_errors)
{
    char *out = th_check(PACK
                         "param limit = 3\n"
                         "fn f(x) = let x = 1 in x\n"
                         "for Service as s {\n"
                         "  let top = 1\n"
                         "  derive a = let top = 2 in top\n"
                         "  derive b = let s = 2 in s\n"
                         "  derive c = let limit = 2 in limit\n"
                         "  derive d = (let k = 2 in k) + k\n"
                         "  derive e = let unused = 2 in 3\n"
                         "  derive g = let f = 1 in f\n"
                         "  rule R-1 info \"t\"\n"
                         "    each v in [1]\n"
                         "    let v = 2\n"
                         "    require v > 0\n"
                         "    let late = v\n"
                         "}\n",
                         SVC);
    th_assert_contains(out, "COMPILE\n");
    th_assert_contains(out, "3:15: error: `x` is already bound here; a let may not shadow it\n");
    th_assert_contains(out, "6:18: error: `top` is already bound here; a let may not shadow it\n");
    th_assert_contains(out, "5:7: note: `top` is defined here\n");
    th_assert_contains(out, "7:18: error: `s` is already bound here; a let may not shadow it\n");
    th_assert_contains(out, "8:18: error: `limit` is a parameter of this pack; a let may not shadow it\n");
    th_assert_contains(out, "9:33: error: unknown name `k` | hint: did you mean `s`?\n");
    th_assert_contains(out, "10:18: warning: `unused` is never used\n");
    th_assert_contains(out, "11:18: error: `f` is a function of this pack; a let may not shadow it\n");
    th_assert_contains(out, "14:9: error: `v` is already bound here; a let may not shadow it\n");
    /* a let after the rule's first require belongs to the block */
    th_assert_contains(out, "16:16: error: unknown name `v` | hint: did you mean `s`?\n");
    free(out);
}
END_TEST

START_TEST(index_is_always_safe)
{
    char *out = th_check(PACK
                         "for Service as s {\n"
                         "  let k = \"name\"\n"
                         "  derive a = type([1, 2][k])\n"
                         "  derive b = type({x: 1}[0])\n"
                         "  derive c = type(s.metadata[k])\n"
                         "}\n",
                         SVC);
    ck_assert_str_eq(out, "R Service/hello {a:\"absent\",b:\"absent\",c:\"string\"}\n");
    free(out);
}
END_TEST

static Suite *lang_suite(void)
{
    Suite *s = suite_create("lang");
    TCase *tc = tcase_create("parse");
    tcase_add_checked_fixture(tc, th_setup, th_teardown);
    tcase_add_test(tc, parse_missing_pack);
    tcase_add_test(tc, parse_errors_recover);
    tcase_add_test(tc, parse_unterminated_string);
    tcase_add_test(tc, parse_bad_escape);
    tcase_add_test(tc, parse_bad_character);
    tcase_add_test(tc, parse_int_too_big);
    tcase_add_test(tc, parse_template_errors);
    tcase_add_test(tc, parse_scanner_out_of_memory);
    suite_add_tcase(s, tc);

    tc = tcase_create("check");
    tcase_add_checked_fixture(tc, th_setup, th_teardown);
    tcase_add_test(tc, check_unknown_name_hint);
    tcase_add_test(tc, check_unknown_function_hint);
    tcase_add_test(tc, check_arity);
    tcase_add_test(tc, check_duplicate_rule_id);
    tcase_add_test(tc, check_rule_needs_check);
    tcase_add_test(tc, check_unused_let_warns);
    tcase_add_test(tc, check_derive_cycle);
    tcase_add_test(tc, check_self_derive);
    tcase_add_test(tc, check_let_cycle);
    tcase_add_test(tc, check_unknown_derived);
    tcase_add_test(tc, check_constant_errors);
    tcase_add_test(tc, check_override_unknown);
    tcase_add_test(tc, check_lambda_misuse);
    tcase_add_test(tc, check_local_binding_errors);
    tcase_add_test(tc, lint_absent_operands);
    suite_add_tcase(s, tc);

    tc = tcase_create("eval");
    tcase_add_checked_fixture(tc, th_setup, th_teardown);
    tcase_add_test(tc, eval_rule_fires_at_annotation);
    tcase_add_test(tc, eval_selector_api_pattern);
    tcase_add_test(tc, eval_blocks_by_kind_and_api);
    tcase_add_test(tc, eval_where_clause);
    tcase_add_test(tc, eval_absent_never_fires);
    tcase_add_test(tc, eval_three_valued_logic);
    tcase_add_test(tc, eval_coalesce_and_conditional);
    tcase_add_test(tc, eval_computed_map_keys);
    tcase_add_test(tc, eval_derive_order_and_nesting);
    tcase_add_test(tc, eval_derive_across_blocks);
    tcase_add_test(tc, eval_lambdas);
    tcase_add_test(tc, eval_each_clause);
    tcase_add_test(tc, eval_functions_and_recursion_limit);
    tcase_add_test(tc, eval_runtime_errors_are_reported);
    tcase_add_test(tc, eval_params_override);
    tcase_add_test(tc, eval_params_bad_override);
    tcase_add_test(tc, eval_override_and_disable);
    tcase_add_test(tc, eval_queries);
    tcase_add_test(tc, eval_json_error_position);
    tcase_add_test(tc, eval_step_limit);
    tcase_add_test(tc, check_streams_resources);
    tcase_add_test(tc, eval_list_documents_and_skips);
    tcase_add_test(tc, coverage_accumulates_branches);
    tcase_add_test(tc, coverage_counts_resources_passed);
    tcase_add_test(tc, coverage_absent_passes);
    tcase_add_test(tc, templates_with_embedded_strings);
    tcase_add_test(tc, templates_with_plain_strings);
    tcase_add_test(tc, eval_local_bindings);
    tcase_add_test(tc, index_is_always_safe);
    suite_add_tcase(s, tc);

    tc = tcase_create("packs");
    /* verify_cli_exits_2 runs the kvet binary six times: Check's 4 s default
     * is too short for it on a loaded or sanitizer build */
    tcase_set_timeout(tc, 120);
    tcase_add_checked_fixture(tc, th_setup, th_teardown);
    tcase_add_test(tc, compiled_pack_roundtrip);
    tcase_add_test(tc, check_view_errors);
    tcase_add_test(tc, view_and_override_roundtrip);
    tcase_add_test(tc, rule_outcomes);
    tcase_add_test(tc, adjacent_literals_join);
    tcase_add_test(tc, compiled_pack_corrupted);
    tcase_add_test(tc, imports_and_overrides_across_packs);
    tcase_add_test(tc, regression_unterminated_buffers);
    tcase_add_loop_test(tc, verify_rejects_crafted_packs, 0, (int)(sizeof CRAFTED / sizeof CRAFTED[0]));
    tcase_add_test(tc, indexed_lookups_compile_and_verify);
    tcase_add_test(tc, verify_cli_exits_2);
    tcase_add_test(tc, verify_accepts_compiled_code);
    tcase_add_test(tc, regression_fuzz_packfiles);
    tcase_add_test(tc, golden_bytecode);
    suite_add_tcase(s, tc);

    tc = tcase_create("format");
    tcase_add_test(tc, format_canonical_layout);
    tcase_add_test(tc, format_rejects_what_does_not_parse);
    tcase_add_test(tc, format_keeps_nul_bytes);
    tcase_add_test(tc, format_templates_with_strings);
    tcase_add_test(tc, format_local_bindings);
    tcase_add_test(tc, format_project_files);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(lang_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
