/*
 * test_cli.c - the kvet program as a user meets it: exit codes, flags,
 * formats, atomic output files and error messages.  Runs the binary named
 * by $KVET from the source tree ($srcdir).
 */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static char tmpdir[256];

static void setup(void)
{
    /* once per process: without fork mode (CK_FORK=no, valgrind) the
     * working folder would otherwise move up at every test */
    static int moved;
    const char *src = getenv("srcdir");
    if (!moved && src && *src)
        ck_assert_int_eq(chdir(src), 0);
    moved = 1;
    snprintf(tmpdir, sizeof tmpdir, "/tmp/kvet-cli-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(tmpdir));
}

static void teardown(void)
{
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    ck_assert_int_eq(system(cmd), 0);
}

typedef struct outcome {
    int status;
    char *out, *err;
} outcome;

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return strdup("");
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *s = malloc((size_t)n + 1);
    size_t r = fread(s, 1, (size_t)n, f);
    s[r] = '\0';
    fclose(f);
    return s;
}

/* Run kvet with the given arguments (a shell-quoted string) and optional
 * standard input text. */
static outcome run(const char *args, const char *stdin_text)
{
    const char *kvet = getenv("KVET");
    ck_assert_msg(kvet != NULL, "KVET is not set");
    char in[400], out[400], err[400], cmd[4096];
    snprintf(in, sizeof in, "%s/stdin", tmpdir);
    snprintf(out, sizeof out, "%s/stdout", tmpdir);
    snprintf(err, sizeof err, "%s/stderr", tmpdir);
    FILE *f = fopen(in, "wb");
    if (stdin_text)
        fputs(stdin_text, f);
    fclose(f);
    /* env -u LD_PRELOAD: under valgrind the child must not inherit its preload */
    snprintf(cmd, sizeof cmd, "env -u LD_PRELOAD '%s' %s < '%s' > '%s' 2> '%s'", kvet, args, in, out, err);
    int rc = system(cmd);
    outcome o;
    o.status = WIFEXITED(rc) ? WEXITSTATUS(rc) : 128 + WTERMSIG(rc);
    o.out = slurp(out);
    o.err = slurp(err);
    return o;
}

static void done(outcome *o)
{
    free(o->out);
    free(o->err);
}

#define contains(hay, needle) ck_assert_msg(strstr((hay), (needle)) != NULL, "expected\n%s\nin\n%s", (needle), (hay))

START_TEST(cli_version_and_help)
{
    outcome o = run("version", NULL);
    ck_assert_int_eq(o.status, 0);
    contains(o.out, "kvet 0.");
    done(&o);
    o = run("help", NULL);
    ck_assert_int_eq(o.status, 0);
    contains(o.out, "Usage: kvet COMMAND");
    contains(o.out, "--fail-level");
    done(&o);
}
END_TEST

START_TEST(cli_exit_codes)
{
    /* findings at error level: 1 */
    outcome o = run("check --rules tests/data/cli-pack examples/gitops/hello.yaml", NULL);
    ck_assert_int_eq(o.status, 1);
    contains(o.out, "examples/gitops/hello.yaml:28:44: error: max-scale=2 is less than min-scale=3");
    contains(o.out, "[CLI-001]");
    done(&o);
    /* --fail-level never: 0 */
    o = run("check --rules tests/data/cli-pack --fail-level never examples/gitops/hello.yaml", NULL);
    ck_assert_int_eq(o.status, 0);
    done(&o);
    /* a clean input: 0 */
    o = run("check --rules tests/data/cli-pack -", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n");
    ck_assert_int_eq(o.status, 0);
    contains(o.out, "1 resource checked");
    done(&o);
}
END_TEST

START_TEST(cli_usage_errors)
{
    outcome o = run("check --frobnicate x", NULL);
    ck_assert_int_eq(o.status, 2);
    contains(o.err, "kvet: unknown option '--frobnicate'");
    done(&o);
    o = run("check --rules", NULL);
    ck_assert_int_eq(o.status, 2);
    contains(o.err, "option '--rules' needs a value");
    done(&o);
    o = run("check --fail-level fatal x", NULL);
    ck_assert_int_eq(o.status, 2);
    contains(o.err, "unknown fail level 'fatal'");
    done(&o);
    o = run("check --color sometimes x", NULL);
    ck_assert_int_eq(o.status, 2);
    done(&o);
    o = run("check", NULL);
    ck_assert_int_eq(o.status, 2);
    contains(o.err, "check needs at least one PATH");
    done(&o);
    o = run("frobnicate", NULL);
    ck_assert_int_eq(o.status, 2);
    contains(o.err, "unknown command 'frobnicate'");
    done(&o);
    o = run("check --set novalue x", NULL);
    ck_assert_int_eq(o.status, 2);
    contains(o.err, "--set expects NAME=VALUE");
    done(&o);
}
END_TEST

START_TEST(cli_input_errors_exit_2)
{
    outcome o = run("check --rules tests/data/cli-pack no/such/file.yaml", NULL);
    ck_assert_int_eq(o.status, 2);
    contains(o.out, "could not be evaluated");
    done(&o);
    o = run("check --rules tests/data/cli-pack --format json -", "a: [1, 2\n");
    ck_assert_int_eq(o.status, 2);
    contains(o.out, "\"errors\": [\n    {\"file\": \"<stdin>\"");
    done(&o);
    o = run("check --rules no/such/rules x.yaml", NULL);
    ck_assert_int_eq(o.status, 2);
    contains(o.err, "no/such/rules: error: cannot read rules: No such file or directory");
    done(&o);
}
END_TEST

/* --stats lists the functions whose calls ran the most VM instructions,
 * with those of the functions they call, and how many calls ran. */
START_TEST(cli_stats_functions)
{
    char pack[600], docs[600];
    snprintf(pack, sizeof pack, "%s/prof.kvet", tmpdir);
    snprintf(docs, sizeof docs, "%s/prof.yaml", tmpdir);
    FILE *f = fopen(pack, "w");
    fputs("pack prof \"1\"\nfn inner(x) = x + 1\nfn outer(x) = inner(x) * 2\n"
          "for Service as s {\n  rule P1 error \"t\" require outer(len(s.metadata.name)) > 0\n}\n",
          f);
    fclose(f);
    f = fopen(docs, "w");
    for (int i = 0; i < 3; i++)
        fprintf(f, "---\napiVersion: serving.knative.dev/v1\nkind: Service\nmetadata: {name: s%d}\n", i);
    fclose(f);
    char args[1400];
    snprintf(args, sizeof args, "check --stats --rules '%s' '%s'", pack, docs);
    outcome o = run(args, NULL);
    ck_assert_int_eq(o.status, 0);
    const char *at = strstr(o.err, "stats: costliest functions ");
    ck_assert_msg(at != NULL, "%s", o.err);
    unsigned long long outer_steps = 0, outer_calls = 0, inner_steps = 0, inner_calls = 0;
    const char *po = strstr(at, "stats:   outer "), *pi = strstr(at, "stats:   inner ");
    ck_assert(po && pi && po < pi);
    ck_assert_int_eq(sscanf(po, "stats: outer %llu %llu", &outer_steps, &outer_calls), 2);
    ck_assert_int_eq(sscanf(pi, "stats: inner %llu %llu", &inner_steps, &inner_calls), 2);
    ck_assert_uint_eq(outer_calls, 3);
    ck_assert_uint_eq(inner_calls, 3);
    /* outer's count includes inner's and its own instructions */
    ck_assert(inner_steps > 0 && outer_steps > inner_steps);
    done(&o);
}
END_TEST

START_TEST(cli_rule_errors_have_carets)
{
    char path[600];
    snprintf(path, sizeof path, "%s/bad.kvet", tmpdir);
    FILE *f = fopen(path, "w");
    fputs("pack bad \"1\"\nfor Service as s {\n  rule R1 error \"t\" require lenght(s) > 0\n}\n", f);
    fclose(f);
    char args[800];
    snprintf(args, sizeof args, "check --rules '%s' examples/gitops", path);
    outcome o = run(args, NULL);
    ck_assert_int_eq(o.status, 2);
    contains(o.err, "bad.kvet:3:29: error: unknown function `lenght`\n"
                    " 3 |   rule R1 error \"t\" require lenght(s) > 0\n"
                    "   |                             ^~~~~~\n");
    contains(o.err, "hint: did you mean `len`?");
    ck_assert_str_eq(o.out, "");
    done(&o);
}
END_TEST

START_TEST(cli_json_output_file_atomic)
{
    char path[600], args[1400];
    snprintf(path, sizeof path, "%s/report.json", tmpdir);
    snprintf(args, sizeof args, "check --rules tests/data/cli-pack --format json -o '%s' examples/gitops/hello.yaml", path);
    outcome o = run(args, NULL);
    ck_assert_int_eq(o.status, 1);
    ck_assert_str_eq(o.out, "");
    done(&o);
    char *json = slurp(path);
    contains(json, "\"kvet\": {\"version\": ");
    /* hello.yaml's two Services and the cluster files of its environment
     * (examples/gitops/kvet.yaml) */
    contains(json, "\"summary\": {\"resources\": 4, \"rules\": ");
    contains(json, "\"rule\": \"CLI-001\", \"severity\": \"error\"");
    contains(json, "\"line\": 28, \"column\": 44");
    free(json);
    /* an unwritable output path: exit 2, a clear message, no file */
    snprintf(args, sizeof args, "check --rules tests/data/cli-pack --format json -o '%s/missing/dir/out.json' examples/gitops", tmpdir);
    o = run(args, NULL);
    ck_assert_int_eq(o.status, 2);
    contains(o.err, "cannot write");
    done(&o);
    /* no temporary files are left behind */
    char cmd[700];
    snprintf(cmd, sizeof cmd, "ls '%s' | grep -q tmp", tmpdir);
    ck_assert_int_ne(system(cmd), 0);
}
END_TEST

/* --stats names every phase and the loaded packs on stderr, counts the
 * documents evaluated, and leaves the report as it is without it. */
START_TEST(cli_stats)
{
    outcome plain = run("check --rules rules --format json examples/gitops/hello.yaml", NULL);
    outcome o = run("check --stats --rules rules --format json examples/gitops/hello.yaml", NULL);
    ck_assert_int_eq(o.status, plain.status);
    ck_assert_str_eq(o.out, plain.out);
    for (const char *const *p = (const char *const[]){"stats: load rules ", "stats: parse ", "stats: index ",
                                                        "stats: evaluate ", "stats:   kvet.stock ",
                                                        "stats:   derived values, other ", "stats: report ",
                                                        "(4 documents evaluated)", "stats: slowest rules ",
                                                        "stats: slowest derived values ", "stats:   scale ", NULL};
         *p; p++)
        contains(o.err, *p);
    ck_assert_ptr_null(strstr(plain.err, "stats:"));
    /* every rule listed ran: its evaluation count follows its time */
    const char *at = strstr(o.err, "stats: slowest rules");
    const char *end = strstr(o.err, "stats: slowest derived values");
    ck_assert(at && end && at < end);
    int listed = 0;
    for (const char *l = strchr(at, '\n'); l && l + 1 < end; l = strchr(l + 1, '\n')) {
        char id[64];
        double ms;
        unsigned long n;
        ck_assert_int_eq(sscanf(l + 1, "stats: %63s %lf %lu", id, &ms, &n), 3);
        ck_assert(ms >= 0 && n >= 1);
        listed++;
    }
    ck_assert(listed >= 1 && listed <= 10);
    done(&o);
    done(&plain);
}
END_TEST

/* A scope's contexts are freed once its last file is evaluated: a
 * repository of many folders holds one at a time, and reports as before,
 * with threads too. */
START_TEST(cli_contexts_retire)
{
    char dir[600], path[700], args[1600];
    snprintf(dir, sizeof dir, "%s/scopes", tmpdir);
    ck_assert_int_eq(mkdir(dir, 0755), 0);
    for (int i = 0; i < 6; i++) {
        snprintf(path, sizeof path, "%s/app%d", dir, i);
        ck_assert_int_eq(mkdir(path, 0755), 0);
        snprintf(path, sizeof path, "%s/app%d/svc.yaml", dir, i);
        FILE *f = fopen(path, "w");
        ck_assert_ptr_nonnull(f);
        fprintf(f, "apiVersion: serving.knative.dev/v1\nkind: Service\nmetadata: {name: s%d, namespace: ns}\n"
                   "spec:\n  template:\n    metadata:\n      annotations:\n"
                   "        autoscaling.knative.dev/min-scale: \"%d\"\n        autoscaling.knative.dev/max-scale: \"2\"\n",
                i, i);
        fclose(f);
    }
    snprintf(args, sizeof args, "check --stats --rules rules --format json '%s'", dir);
    outcome o = run(args, NULL);
    contains(o.err, "stats: contexts                         6   (at most 1 held at once)");
    snprintf(args, sizeof args, "check -j 1 --rules rules --format json '%s'", dir);
    outcome one = run(args, NULL);
    snprintf(args, sizeof args, "check -j 3 --rules rules --format json '%s'", dir);
    outcome three = run(args, NULL);
    ck_assert_int_eq(one.status, o.status);
    ck_assert_int_eq(three.status, o.status);
    ck_assert_str_eq(one.out, o.out);
    ck_assert_str_eq(three.out, o.out);
    /* app3 to app5: min-scale above max-scale, each found */
    contains(o.out, "\"summary\": {\"resources\": 6, ");
    for (int i = 3; i < 6; i++) {
        char msg[64];
        snprintf(msg, sizeof msg, "max-scale=2 is less than min-scale=%d;", i);
        contains(o.out, msg);
    }
    done(&o);
    done(&one);
    done(&three);
}
END_TEST

START_TEST(cli_compile_and_load)
{
    char path[600], args[1400];
    snprintf(path, sizeof path, "%s/stock.kvetc", tmpdir);
    snprintf(args, sizeof args, "compile --rules tests/data/cli-pack -o '%s'", path);
    outcome o = run(args, NULL);
    ck_assert_int_eq(o.status, 0);
    done(&o);
    snprintf(args, sizeof args, "check --rules '%s' examples/gitops/hello.yaml", path);
    o = run(args, NULL);
    ck_assert_int_eq(o.status, 1);
    contains(o.out, "[CLI-001]");
    done(&o);
    o = run("compile --rules tests/data/cli-pack --dump", NULL);
    ck_assert_int_eq(o.status, 0);
    contains(o.out, "; pack cli.test 1.0.0");
    contains(o.out, "EMIT     CLI-001");
    done(&o);
    /* a corrupted compiled pack */
    FILE *f = fopen(path, "r+b");
    fseek(f, 60, SEEK_SET);
    fputc('#', f);
    fclose(f);
    snprintf(args, sizeof args, "check --rules '%s' examples/gitops", path);
    o = run(args, NULL);
    ck_assert_int_eq(o.status, 2);
    contains(o.err, "corrupted compiled pack");
    done(&o);
}
END_TEST

START_TEST(cli_explain)
{
    outcome o = run("explain --rules tests/data/cli-pack examples/gitops/hello.yaml --resource demo/broken-bounds", NULL);
    ck_assert_int_eq(o.status, 0);
    contains(o.out, "Service demo/broken-bounds");
    contains(o.out, "$scale.min = 3");
    contains(o.out, "from examples/gitops/hello.yaml:27:44");
    ck_assert_ptr_null(strstr(o.out, "demo/hello "));
    done(&o);
}
END_TEST

START_TEST(cli_color)
{
    outcome o = run("check --rules tests/data/cli-pack --color always examples/gitops/hello.yaml", NULL);
    contains(o.out, "\033[1;31merror");
    done(&o);
    o = run("check --rules tests/data/cli-pack --color never examples/gitops/hello.yaml", NULL);
    ck_assert_ptr_null(strchr(o.out, '\033'));
    done(&o);
}
END_TEST

START_TEST(cli_resource_limits)
{
    /* a 3 GB file is refused before it is read (the default limit is 2 GiB) */
    char path[600], args[1400];
    snprintf(path, sizeof path, "%s/huge.yaml", tmpdir);
    FILE *f = fopen(path, "w");
    ck_assert_int_eq(ftruncate(fileno(f), (off_t)3 << 30), 0);
    fclose(f);
    snprintf(args, sizeof args, "check --rules tests/data/cli-pack '%s'", path);
    outcome o = run(args, NULL);
    ck_assert_int_eq(o.status, 2);
    contains(o.err, "huge.yaml: error: file is larger than the limit of 2147483648 bytes");
    done(&o);
    unlink(path);
    /* a line of 10 MB is read and checked */
    snprintf(path, sizeof path, "%s/long.yaml", tmpdir);
    f = fopen(path, "w");
    fputs("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: long}\ndata:\n  blob: \"", f);
    for (int i = 0; i < 10 * 1024 * 1024 / 64; i++)
        fputs("0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", f);
    fputs("\"\n", f);
    fclose(f);
    snprintf(args, sizeof args, "check --rules tests/data/cli-pack --format json '%s'", path);
    o = run(args, NULL);
    ck_assert_int_eq(o.status, 0);
    contains(o.out, "\"resources\": 1");
    done(&o);
    /* limits can be changed, and bad values are usage errors */
    snprintf(args, sizeof args, "check --rules tests/data/cli-pack --limit file-size=100 '%s'", path);
    o = run(args, NULL);
    ck_assert_int_eq(o.status, 2);
    contains(o.err, "file is larger than the limit of 100 bytes");
    done(&o);
    o = run("check --limit steps=-1 x", NULL);
    ck_assert_int_eq(o.status, 2);
    contains(o.err, "--limit expects NAME=N with a positive whole number, got 'steps=-1'");
    done(&o);
    o = run("check --limit speed=3 x", NULL);
    ck_assert_int_eq(o.status, 2);
    contains(o.err, "unknown limit 'speed'");
    done(&o);
}
END_TEST

/* A YAML stream on stdin longer than a window's start is read as it is
 * checked, not held whole: its documents keep their lines and the
 * templates helm's `# Source:` lines name, and a stream over the file-size
 * limit fails after the documents before the limit were checked. */
START_TEST(cli_stdin_streamed)
{
    char pack[600], args[1400];
    /* 45,000 documents of 9 lines, about 5.6 MB: document i's size is on
     * line 9 i + 9, its value at column 9.  `near` is the last document
     * that ends 4 KB or more before byte 4,500,000 (the limit below) */
    enum { LIMIT = 4500000 };
    size_t cap = 8u << 20, n = 0;
    char *text = malloc(cap);
    int near = 0;
    for (int i = 0; i < 45000; i++) {
        n += (size_t)snprintf(text + n, cap - n,
                              "---\n# Source: chart/templates/cm%d.yaml\napiVersion: v1\nkind: ConfigMap\nmetadata:\n"
                              "  name: cm-%d\n  namespace: ns\ndata:\n  size: \"%d\"\n", i, i, i);
        if (n + 4096 <= LIMIT)
            near = i;
    }
    ck_assert_uint_lt(n, cap);
    snprintf(pack, sizeof pack, "%s/stream.kvet", tmpdir);
    FILE *f = fopen(pack, "w");
    fprintf(f,
            "pack t.stream \"1.0.0\"\nfor ConfigMap \"v1\" as cm {\n  rule STR-001 error \"marked sizes\"\n"
            "    when cm.data.size in [\"7\", \"%d\", \"44999\"]\n    forbid true\n    at cm.data.size\n"
            "    message \"size {cm.data.size}\"\n}\n",
            near);
    fclose(f);
    ck_assert_uint_gt(strlen(text), 5u << 20);
    snprintf(args, sizeof args, "check --rules '%s' --format text -", pack);
    outcome o = run(args, text);
    ck_assert_int_eq(o.status, 1);
    contains(o.out, "chart/templates/cm7.yaml:72:9: error: size 7 [STR-001]");
    contains(o.out, "chart/templates/cm44999.yaml:405000:9: error: size 44999 [STR-001]");
    contains(o.out, "45000 resources checked");
    done(&o);
    /* the same with a rule that reads other documents: they are kept from
     * a first pass over the stream, and every one is seen */
    f = fopen(pack, "a");
    fputs("for ConfigMap \"v1\" as all {\n  rule STR-002 error \"every document\"\n"
          "    when all.data.size == \"7\"\n    forbid true\n    at all.data.size\n"
          "    message \"{len(docs(\\\"ConfigMap\\\", \\\"v1\\\"))} documents\"\n}\n",
          f);
    fclose(f);
    snprintf(args, sizeof args, "check --rules '%s' --format text -j 2 -", pack);
    o = run(args, text);
    contains(o.out, "chart/templates/cm44999.yaml:405000:9: error: size 44999 [STR-001]");
    contains(o.out, "chart/templates/cm7.yaml:72:9: error: 45000 documents [STR-002]");
    contains(o.out, "45000 resources checked");
    done(&o);
    /* over the limit: what came before it was checked, up to the limit,
     * and the run fails */
    snprintf(args, sizeof args, "check --rules '%s' --format text --limit file-size=%d -", pack, (int)LIMIT);
    o = run(args, text);
    ck_assert_int_eq(o.status, 2);
    contains(o.err, "<stdin>: error: standard input is larger than the limit of 4500000 bytes: the documents before "
                    "it were checked as they came, the rest was not read");
    contains(o.out, "chart/templates/cm7.yaml:72:9: error: size 7 [STR-001]");
    char line[200];
    snprintf(line, sizeof line, "chart/templates/cm%d.yaml:%d:9: error: size %d [STR-001]", near, 9 * near + 9, near);
    contains(o.out, line);
    ck_assert_ptr_null(strstr(o.out, "cm44999"));
    done(&o);
    /* named *.json by --stdin-filename, it is read as JSON, as a short one is */
    snprintf(args, sizeof args, "check --rules '%s' --format text --stdin-filename rendered.json -", pack);
    o = run(args, text);
    ck_assert_int_eq(o.status, 2);
    contains(o.err, "rendered.json:1:1: error: invalid JSON");
    done(&o);
    /* read twice (two - arguments), it is held whole as before */
    snprintf(args, sizeof args, "check --rules '%s' --format text - -", pack);
    o = run(args, text);
    contains(o.out, "chart/templates/cm44999.yaml:405000:9: error: size 44999 [STR-001]");
    done(&o);
    free(text);
    unlink(pack);
}
END_TEST

START_TEST(cli_empty_inputs)
{
    /* an empty folder (git cannot keep one, so it is made here) */
    char dir[600], args[1400];
    snprintf(dir, sizeof dir, "%s/empty", tmpdir);
    ck_assert_int_eq(mkdir(dir, 0700), 0);
    snprintf(args, sizeof args, "check --rules tests/data/inputs-pack --format json '%s'", dir);
    outcome o = run(args, NULL);
    ck_assert_int_eq(o.status, 2);
    contains(o.err, "/empty has no *.yaml, *.yml or *.json files to read\n");
    contains(o.err, "kvet: nothing was checked (--allow-empty accepts inputs without resources)");
    ck_assert_str_eq(o.out, ""); /* no report that could be read as a pass */
    done(&o);
    snprintf(args, sizeof args, "check --rules tests/data/inputs-pack --format json --allow-empty -q '%s'", dir);
    o = run(args, NULL);
    ck_assert_int_eq(o.status, 0);
    ck_assert_str_eq(o.err, "");
    contains(o.out, "\"resources\": 0");
    done(&o);
    /* stdin holding only white space, and a JSON stream that is empty */
    o = run("check --rules tests/data/inputs-pack -", "\n\n");
    ck_assert_int_eq(o.status, 2);
    contains(o.err, "kvet: no Kubernetes resources found in the inputs: <stdin> holds no documents");
    done(&o);
    /* a stdin name is used in the message too */
    o = run("check --rules tests/data/inputs-pack --stdin-filename rendered.yaml -", "");
    ck_assert_int_eq(o.status, 2);
    contains(o.err, "kvet: no Kubernetes resources found in the inputs: rendered.yaml is empty");
    done(&o);
    rmdir(dir);
}
END_TEST

START_TEST(cli_hundred_thousand_rules)
{
    /* a pack of 100k rules compiles and runs (linear-time compiler tables) */
    char path[600], args[1400];
    snprintf(path, sizeof path, "%s/big.kvet", tmpdir);
    FILE *f = fopen(path, "w");
    fputs("pack big \"1\"\nfor ConfigMap \"v1\" as c {\n", f);
    for (int i = 0; i < 100000; i++)
        fprintf(f, "  rule R%d info \"rule %d\" require c.data.k%d != \"%d\"\n", i, i, i % 50, i);
    fputs("}\n", f);
    fclose(f);
    snprintf(args, sizeof args, "check --rules '%s' --format json -", path);
    outcome o = run(args, "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\ndata: {k7: \"7\"}\n");
    ck_assert_int_eq(o.status, 0);
    contains(o.out, "\"rules\": 100000, \"findings\": {\"error\": 0, \"warning\": 0, \"info\": 1}");
    contains(o.out, "\"rule\": \"R7\"");
    done(&o);
}
END_TEST

/* kvet report and --format html: the same bytes from the same inputs, the
 * time only when asked for, and nothing written when the file cannot be. */
START_TEST(cli_html_report)
{
    const char *sde = getenv("SOURCE_DATE_EPOCH");
    char *saved = sde ? strdup(sde) : NULL;
    unsetenv("SOURCE_DATE_EPOCH");
    char a[600], b[600], c[600], args[1600];
    snprintf(a, sizeof a, "%s/a.html", tmpdir);
    snprintf(b, sizeof b, "%s/b.html", tmpdir);
    snprintf(c, sizeof c, "%s/c.html", tmpdir);
    snprintf(args, sizeof args, "report --rules tests/data/cli-pack -o '%s' examples/gitops/hello.yaml", a);
    outcome o = run(args, NULL);
    ck_assert_int_eq(o.status, 1); /* exits like check */
    ck_assert_str_eq(o.out, "");
    done(&o);
    /* the same file from check, written beside a text report */
    snprintf(args, sizeof args,
             "check --rules tests/data/cli-pack --format text --format html='%s' examples/gitops/hello.yaml", b);
    o = run(args, NULL);
    ck_assert_int_eq(o.status, 1);
    contains(o.out, "[CLI-001]");
    done(&o);
    char *ha = slurp(a), *hb = slurp(b);
    contains(ha, "<title>kvet audit report</title>");
    contains(ha, "<td id=\"run-time\">not recorded (use --timestamp or SOURCE_DATE_EPOCH)</td>");
    contains(ha, "<td id=\"run-inputs\"><code>examples/gitops/hello.yaml</code></td>");
    contains(ha, "<tr><th>rules</th><td><code>tests/data/cli-pack</code></td></tr>");
    ck_assert_str_eq(ha, hb);
    free(hb);

    /* SOURCE_DATE_EPOCH: that time, in UTC */
    setenv("SOURCE_DATE_EPOCH", "1764064800", 1);
    snprintf(args, sizeof args, "report --rules tests/data/cli-pack -o '%s' examples/gitops/hello.yaml", c);
    o = run(args, NULL);
    ck_assert_int_eq(o.status, 1);
    done(&o);
    char *hc = slurp(c);
    contains(hc, "<td id=\"run-time\">2025-11-25T10:00:00Z</td>");
    free(hc);
    unsetenv("SOURCE_DATE_EPOCH");

    /* --timestamp: the current time */
    snprintf(args, sizeof args, "report --timestamp --rules tests/data/cli-pack -o - examples/gitops/hello.yaml");
    o = run(args, NULL);
    ck_assert_int_eq(o.status, 1);
    const char *t = strstr(o.out, "<td id=\"run-time\">");
    ck_assert_ptr_nonnull(t);
    t += strlen("<td id=\"run-time\">");
    ck_assert_msg(strlen(t) > 20 && t[4] == '-' && t[10] == 'T' && t[19] == 'Z', "not a UTC time: %.30s", t);
    done(&o);

    /* markdown from report */
    snprintf(args, sizeof args, "report --format markdown --rules tests/data/cli-pack -o - examples/gitops/hello.yaml");
    o = run(args, NULL);
    ck_assert_int_eq(o.status, 1);
    ck_assert(strncmp(o.out, "<!DOCTYPE", 9) != 0);
    contains(o.out, "CLI-001");
    done(&o);

    /* an unwritable path: exit 2, a clear message, no file */
    snprintf(args, sizeof args, "report --rules tests/data/cli-pack -o '%s/missing/x.html' examples/gitops/hello.yaml",
             tmpdir);
    o = run(args, NULL);
    ck_assert_int_eq(o.status, 2);
    contains(o.err, "cannot write");
    done(&o);
    char cmd[700];
    snprintf(cmd, sizeof cmd, "test -e '%s/missing'", tmpdir);
    ck_assert_int_ne(system(cmd), 0);
    free(ha);
    if (saved) {
        setenv("SOURCE_DATE_EPOCH", saved, 1);
        free(saved);
    }
}
END_TEST


START_TEST(cli_init_and_environments)
{
    char cmd[2000], args[1400], path[600];
    /* a copy of the dev/staging/prod example without its project file */
    snprintf(cmd, sizeof cmd, "rm -rf '%s/envs' && cp -r examples/environments '%s/envs' && rm '%s/envs/kvet.yaml'",
             tmpdir, tmpdir, tmpdir);
    ck_assert_int_eq(system(cmd), 0);
    snprintf(args, sizeof args, "init '%s/envs'", tmpdir);
    outcome o = run(args, NULL);
    ck_assert_int_eq(o.status, 0);
    contains(o.err, "with 3 environments");
    done(&o);
    snprintf(path, sizeof path, "%s/envs/kvet.yaml", tmpdir);
    char *y = slurp(path);
    contains(y, "  - name: prod\n");
    contains(y, "      - \"clusters/prod/\"\n");
    contains(y, "      - \"apps/prod/\"\n      - \"shared/\"\n");
    free(y);
    /* it is not replaced without --force */
    o = run(args, NULL);
    ck_assert_int_eq(o.status, 2);
    contains(o.err, "exists; edit it, or pass --force");
    done(&o);
    /* the written file drives a check: each environment with its own cluster */
    snprintf(args, sizeof args, "check --format json '%s/envs'", tmpdir);
    o = run(args, NULL);
    contains(o.out, "\"environment\": \"prod\"");
    contains(o.out, "\"environment\": \"dev\"");
    contains(o.out, "clusters/prod/config-autoscaler.yaml\", \"line\": 3, \"origin\": \"environment\"");
    done(&o);
    /* --env limits the run; the summary says which */
    snprintf(args, sizeof args, "check --env prod '%s/envs'", tmpdir);
    o = run(args, NULL);
    ck_assert_int_eq(o.status, 0);
    contains(o.out, "in environment prod (");
    contains(o.out, "InferenceService ranker [env prod]: initial-scale above maxReplicas");
    done(&o);
}
END_TEST

/* kvet baseline --update: the entries that still match stay, a stale one
 * goes, nothing is added, and the next check has no stale entry; a file
 * that cannot be written is left as it was. */
START_TEST(cli_baseline_update)
{
    char cmd[1200], bl[400];
    snprintf(bl, sizeof bl, "%s/baseline.json", tmpdir);
    snprintf(cmd, sizeof cmd, "cp tests/cases/baseline/baseline.json '%s'", bl);
    ck_assert_int_eq(system(cmd), 0);
    const char *common = "--rules tests/cases/baseline/rules --today 2026-11-25 tests/cases/baseline/input.yaml";
    snprintf(cmd, sizeof cmd, "baseline --update '%s' %s", bl, common);
    outcome o = run(cmd, NULL);
    ck_assert_int_eq(o.status, 0);
    contains(o.err, "stale baseline entry: CLI-001 on Service demo/gone matches no finding");
    contains(o.err, "kept 1 of 2 entries, removed 1 that match no finding");
    done(&o);
    char *text = slurp(bl);
    contains(text, "\"name\": \"waived-by-file\"");
    ck_assert_ptr_null(strstr(text, "\"gone\""));
    /* demo/no-reason has an open finding: --update never adds it */
    ck_assert_ptr_null(strstr(text, "no-reason"));
    free(text);
    snprintf(cmd, sizeof cmd, "check --format json --baseline '%s' %s", bl, common);
    o = run(cmd, NULL);
    ck_assert_int_eq(o.status, 1);
    contains(o.out, "\"entries\": 1, \"stale\": []}");
    ck_assert_ptr_null(strstr(o.err, "stale baseline entry"));
    done(&o);
    /* not a baseline: an error, and the file is untouched */
    snprintf(cmd, sizeof cmd, "printf '{}' > '%s'", bl);
    ck_assert_int_eq(system(cmd), 0);
    snprintf(cmd, sizeof cmd, "baseline --update '%s' %s", bl, common);
    o = run(cmd, NULL);
    ck_assert_int_eq(o.status, 2);
    contains(o.err, "not a kvet baseline");
    contains(o.err, "not writing a baseline");
    done(&o);
    text = slurp(bl);
    ck_assert_str_eq(text, "{}");
    free(text);
}
END_TEST

static Suite *cli_suite(void)
{
    Suite *s = suite_create("cli");
    TCase *tc = tcase_create("cli");
    tcase_set_timeout(tc, 300);
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, cli_version_and_help);
    tcase_add_test(tc, cli_exit_codes);
    tcase_add_test(tc, cli_stats);
    tcase_add_test(tc, cli_contexts_retire);
    tcase_add_test(tc, cli_stats_functions);
    tcase_add_test(tc, cli_usage_errors);
    tcase_add_test(tc, cli_input_errors_exit_2);
    tcase_add_test(tc, cli_rule_errors_have_carets);
    tcase_add_test(tc, cli_json_output_file_atomic);
    tcase_add_test(tc, cli_html_report);
    tcase_add_test(tc, cli_compile_and_load);
    tcase_add_test(tc, cli_explain);
    tcase_add_test(tc, cli_color);
    tcase_add_test(tc, cli_resource_limits);
    tcase_add_test(tc, cli_stdin_streamed);
    tcase_add_test(tc, cli_empty_inputs);
    tcase_add_test(tc, cli_hundred_thousand_rules);
    tcase_add_test(tc, cli_init_and_environments);
    tcase_add_test(tc, cli_baseline_update);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(cli_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
