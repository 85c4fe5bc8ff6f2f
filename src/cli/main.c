/*
 * main.c - the kvet command: option parsing and the subcommands.
 *
 *   kvet check    evaluate rule packs over manifests and report findings
 *   kvet explain  show derived values and how each was produced
 *   kvet compile  write a compiled pack (or list its bytecode)
 *   kvet rules    list the rules of the loaded packs
 *   kvet diff     what a change does to the derived values and findings (diff.c)
 *   kvet version, kvet help
 */
#include <errno.h>
#include <signal.h>
#include <getopt.h>
#include <stdarg.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"

#ifndef KVET_RULES_DIR
#define KVET_RULES_DIR "/usr/local/share/kvet/rules"
#endif

/* One --format: a reporter and where its report goes (NULL: --output,
 * else standard output; "-": standard output). */
typedef struct format_spec {
    const char *name;
    const char *file;
} format_spec;

typedef struct opts {
    const char **rules; size_t nrules;
    const char **rule_paths; size_t nrule_paths;
    const char **cluster; size_t ncluster;
    const char **inputs; size_t ninputs;
    format_spec *formats; size_t nformats;
    const char *output;
    const char *resource;
    kvet_severity fail_level;
    bool fail_never;
    bool quiet;
    bool stats;            /* --stats: where the run's time and memory went, on stderr */
    unsigned jobs;         /* -j N: threads that parse and evaluate inputs */
    int color;             /* -1 auto, 0 never, 1 always */
    bool dump;
    bool lints;            /* compile: show the lints that other commands leave out */
    const char **waivers; size_t nwaivers;
    const char *baseline;
    const char *today;     /* YYYY-MM-DD for waiver expiry */
    const char **sets; size_t nsets; /* --set as given, for kvet test */
    bool coverage;
    bool timestamp;        /* --timestamp: reports that can show the time do */
    bool check;            /* fmt --check */
    const char *config;    /* --config FILE: the project file */
    bool no_config;        /* --no-config: no project file, scopes inferred */
    const char **envs; size_t nenvs; /* --env NAME */
    bool force;            /* init --force */
    const char **to_sets; size_t nto_sets;       /* diff --to-set */
    const char **to_cluster; size_t nto_cluster; /* diff --to-cluster */
    diff_fail_on fail_on;  /* diff --fail-on */
    bool fail_level_given; /* --fail-level was given */
    const char *cmd;       /* the subcommand, for messages */
    bool allow_empty;      /* no resource in the inputs is not an error */
    const char *stdin_name; /* --stdin-filename */
    const char **excludes; size_t nexcludes; /* --exclude */
    const char *update;    /* baseline --update FILE */
    bool show_baselined;   /* check --show-baselined */
    kvet_ctx *ctx;
} opts;

static const char *prog_name = "kvet";

static void usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void usage_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "%s: ", prog_name);
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\nTry 'kvet help' for usage.\n");
    va_end(ap);
}

static void print_help(FILE *f);

/* ------------------------------------------------------------- helpers */

static bool push(const char ***v, size_t *n, const char *s)
{
    const char **nv = realloc(*v, (*n + 1) * sizeof *nv);
    if (!nv)
        return false;
    nv[(*n)++] = s;
    *v = nv;
    return true;
}

static bool is_dir(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

/* The stock pack: $KVET_RULES, the build tree the program runs from, or
 * the installed copy. */
static const char *stock_rules(void)
{
    static char buf[PATH_MAX + 16];
    const char *env = getenv("KVET_RULES");
    if (env && *env)
        return env;
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n > 0) {
        exe[n] = '\0';
        char *slash = strrchr(exe, '/');
        if (slash) {
            *slash = '\0';
            /* libtool keeps the real binary in .libs/ */
            size_t len = strlen(exe);
            if (len >= 6 && !strcmp(exe + len - 6, "/.libs"))
                exe[len - 6] = '\0';
            snprintf(buf, sizeof buf, "%s/rules", exe);
            char marker[PATH_MAX + 32];
            snprintf(marker, sizeof marker, "%s/../configure.ac", buf);
            if (is_dir(buf) && access(marker, R_OK) == 0)
                return buf;
#ifdef KVET_SRCDIR
            /* a build folder apart from the sources (configure run elsewhere) */
            snprintf(marker, sizeof marker, "%s/config.status", exe);
            if (access(marker, R_OK) == 0 && is_dir(KVET_SRCDIR "/rules"))
                return KVET_SRCDIR "/rules";
#endif
        }
    }
    return KVET_RULES_DIR;
}

void cli_print_diags(kvet_ctx *ctx, bool color, bool quiet)
{
    for (size_t i = 0; i < kvet_diag_count(ctx); i++) {
        const kvet_diag *d = kvet_diag_at(ctx, i);
        if (quiet && (d->severity == KVET_SEV_NOTE || d->severity == KVET_SEV_INFO))
            continue;
        char *s = kvet_diag_render(d, color);
        if (s) {
            fputs(s, stderr);
            free(s);
        }
    }
    kvet_diag_clear(ctx);
}


int cli_write_report(const char *path, const kv_buf *b)
{
    if (b->oom) {
        fprintf(stderr, "%s: out of memory while writing the report\n", prog_name);
        return -1;
    }
    if (!path || !strcmp(path, "-")) {
        if (b->len && fwrite(b->data, 1, b->len, stdout) != b->len) {
            fprintf(stderr, "%s: cannot write the report: %s\n", prog_name, strerror(errno));
            return -1;
        }
        if (fflush(stdout) != 0) {
            fprintf(stderr, "%s: cannot write the report: %s\n", prog_name, strerror(errno));
            return -1;
        }
        return 0;
    }
    if (kvet_write_file_atomic(path, b->data ? b->data : "", b->len) < 0) {
        fprintf(stderr, "%s: cannot write %s: %s\n", prog_name, path, strerror(errno));
        return -1;
    }
    return 0;
}

/* ------------------------------------------------------------ formats */

static int run_text(kv_buf *b, const kvet_result *res, const report_opts *o)
{
    report_text(b, res, o);
    return b->oom ? -1 : 0;
}

/* stream: how the format is written while the run goes on, or NULL when
 * it needs the whole result first (it sorts or summarises resources) */
static const struct reporter {
    const char *name;
    int (*run)(kv_buf *b, const kvet_result *res, const report_opts *o);
    const report_stream_ops *stream;
} reporters[] = {
    {"text", run_text, &report_text_stream},
    {"json", report_json, &report_json_stream},
    {"sarif", report_sarif, &report_sarif_stream},
    {"junit", report_junit, &report_junit_stream},
    {"tap", report_tap, &report_tap_stream},
    {"github", report_github, &report_github_stream},
    {"codeclimate", report_codeclimate, &report_codeclimate_stream},
    {"markdown", report_markdown, NULL},
    {"html", report_html, NULL},
};
#define FORMAT_NAMES "text, json, sarif, junit, tap, github, codeclimate, markdown, html"

static const struct reporter *find_reporter(const char *name)
{
    for (size_t i = 0; i < sizeof reporters / sizeof reporters[0]; i++)
        if (!strcmp(reporters[i].name, name))
            return &reporters[i];
    return NULL;
}

/* --format NAME or NAME=FILE.  Returns 0, or -1 after a usage error. */
static int add_format(opts *o, char *arg)
{
    char *eq = strchr(arg, '=');
    if (eq)
        *eq = '\0';
    if (!find_reporter(arg)) {
        usage_error("unknown format '%s' (valid formats: " FORMAT_NAMES ")", arg);
        return -1;
    }
    if (eq && !eq[1]) {
        usage_error("--format %s= needs a file name (or - for standard output)", arg);
        return -1;
    }
    format_spec *nv = realloc(o->formats, (o->nformats + 1) * sizeof *nv);
    if (!nv) {
        fprintf(stderr, "%s: out of memory\n", prog_name);
        return -1;
    }
    nv[o->nformats].name = arg;
    nv[o->nformats].file = eq ? eq + 1 : NULL;
    o->formats = nv;
    o->nformats++;
    return 0;
}

/* Where a format's report goes: a file name, or NULL for standard output. */
static const char *format_dest(const opts *o, const format_spec *f)
{
    const char *d = f->file ? f->file : o->output;
    return d && strcmp(d, "-") != 0 ? d : NULL;
}

/* Two reports cannot share a destination: standard output would mix them
 * and a file would keep only the last. */
static int check_format_dests(const opts *o)
{
    bool all_named = o->nformats > 0;
    for (size_t i = 0; i < o->nformats; i++)
        all_named &= o->formats[i].file != NULL;
    if (o->output && all_named) {
        usage_error("-o %s would not be written: every --format names its own file (drop -o, or a format's =FILE)",
                    o->output);
        return -1;
    }
    for (size_t i = 0; i < o->nformats; i++) {
        const char *a = format_dest(o, &o->formats[i]);
        for (size_t j = i + 1; j < o->nformats; j++) {
            const char *b = format_dest(o, &o->formats[j]);
            if (!a && !b) {
                usage_error("formats %s and %s would both be written to standard output; at most one may be "
                            "(give the others a file: --format NAME=FILE)",
                            o->formats[i].name, o->formats[j].name);
                return -1;
            }
            if (a && b && !strcmp(a, b)) {
                usage_error("formats %s and %s would both be written to %s", o->formats[i].name,
                            o->formats[j].name, a);
                return -1;
            }
        }
    }
    return 0;
}

/* Color for a report: only on a terminal unless --color says otherwise. */
static bool report_color(const opts *o, const char *dest)
{
    if (o->color >= 0)
        return o->color == 1;
    if (dest)
        return false;
    const char *nc = getenv("NO_COLOR");
    if (nc && *nc)
        return false;
    return isatty(fileno(stdout));
}

enum {
    OPT_FAIL_LEVEL = 256,
    OPT_COLOR,
    OPT_RESOURCE,
    OPT_DUMP,
    OPT_LIMIT,
    OPT_COVERAGE,
    OPT_TIMESTAMP,
    OPT_CHECK,
    OPT_CONFIG,
    OPT_NO_CONFIG,
    OPT_FORCE,
    OPT_ALLOW_EMPTY,
    OPT_STDIN_NAME,
    OPT_EXCLUDE,
    OPT_TO_SET,
    OPT_TO_CLUSTER,
    OPT_FAIL_ON,
    OPT_SHOW_BASELINED,
    OPT_UPDATE,
    OPT_WAIVERS,
    OPT_BASELINE,
    OPT_TODAY,
    OPT_STATS,
};

/* The commands, as bits of the set of commands an option applies to. */
enum {
    C_CHECK = 1 << 0, C_EXPLAIN = 1 << 1, C_COMPILE = 1 << 2, C_BASELINE = 1 << 3, C_REPORT = 1 << 4,
    C_INIT = 1 << 5, C_FMT = 1 << 6, C_RULES = 1 << 7, C_DIFF = 1 << 8, C_TEST = 1 << 9,
};
#define C_RUN (C_CHECK | C_EXPLAIN | C_BASELINE | C_REPORT) /* commands that check manifests */
#define C_PACK (C_RUN | C_COMPILE | C_RULES | C_DIFF | C_TEST) /* commands that load rule packs */
#define C_ALL 0x3ff

static const struct command {
    const char *name;
    unsigned bit;
    const char *usage;   /* after "kvet " */
    const char *summary; /* one line for the command list */
    const char *about;   /* the command's own help */
} commands[] = {
    {"check", C_CHECK, "check [OPTIONS] PATH...", "evaluate the rules over manifests (files, folders, - for stdin)",
     "Evaluate the rule packs over the manifests in PATH (files, folders read recursively, - for standard\n"
     "input) and report the findings in one or more formats.  With a project file (kvet.yaml) and no PATH,\n"
     "the whole project is checked.\n"},
    {"explain", C_EXPLAIN, "explain [OPTIONS] PATH...", "show each resource's derived values and how they were derived",
     "Show each resource's derived values, the expression that produced each one and where its inputs\n"
     "were read, and the cluster configuration it was checked with.\n"},
    {"compile", C_COMPILE, "compile [OPTIONS] -o FILE", "compile the rule packs into one file that check --rules can load",
     "Compile the rule packs into one file that --rules can load, or list its bytecode (--dump).\n"},
    {"baseline", C_BASELINE, "baseline [OPTIONS] -o FILE PATH... | --update FILE PATH...",
     "record the current findings; check --baseline FILE then fails only on new ones",
     "Record every current finding (not waived) of PATH in a baseline file: check --baseline FILE then\n"
     "fails only on findings that are not in it.  --update FILE rewrites FILE in place, keeping only the\n"
     "entries that still match a finding of PATH, so that the baseline shrinks as findings are fixed.\n"},
    {"report", C_REPORT, "report [OPTIONS] -o FILE PATH...", "check, and write one audit report (html or markdown)",
     "Check PATH and write an audit report to one self-contained file: --format html (the default) or\n"
     "markdown.  The exit status is check's.\n"},
    {"init", C_INIT, "init [OPTIONS] [DIR]", "write a commented starter project file (DIR/kvet.yaml)",
     "Write a commented starter project file, DIR/kvet.yaml (DIR: the current folder), with one\n"
     "environment per folder of cluster configuration found below DIR.\n"},
    {"fmt", C_FMT, "fmt [OPTIONS] PATH...", "lay rule files out canonically, in place",
     "Lay rule files (.kvet) out canonically, in place; - formats standard input to standard output.\n"},
    {"rules", C_RULES, "rules [OPTIONS]", "list the rules of the loaded packs",
     "List the packs and rules loaded by --rules (default: the stock pack) as text, JSON or a Markdown\n"
     "catalogue.\n"},
    {"diff", C_DIFF, "diff [OPTIONS] BASE HEAD [PATH...] | --to-set NAME=VALUE | --to-cluster FILE PATH...",
     "what a change does to scaling: derived values and findings that differ",
     "What a change does to scaling: the derived values and findings that differ between two folders or\n"
     "files, or two git revisions (then PATHs limit the tree), or between two parameter sets (--to-set)\n"
     "or cluster configurations (--to-cluster) of one tree.\n"},
    {"test", C_TEST, "test [OPTIONS] PATH...", "run rule tests (NAME.test.yaml files)",
     "Run rule tests: NAME.test.yaml files, or the folders that hold them (docs/testing.md).\n"},
};

/* Every option, with the commands it applies to: the parser and the help
 * are made from this one table, so they cannot disagree. */
static const struct opt_def {
    const char *name;  /* long name */
    int short_name;    /* or 0 */
    int id;            /* what the parser returns for it */
    const char *arg;   /* its value, or NULL for a flag */
    unsigned cmds;
    const char *help;  /* lines after the first are indented under it */
} opt_defs[] = {
    {"rules", 'R', 'R', "PATH", C_PACK,
     "rule pack: a folder, a .kvet file or a compiled .kvetc\n(repeatable; default: the stock pack)"},
    {"rules-path", 'I', 'I', "DIR", C_PACK, "where imported packs are looked for (repeatable)"},
    {"cluster", 'c', 'c', "FILE", C_RUN | C_DIFF,
     "cluster configuration documents for every manifest\n(repeatable; overrides environments and folders)"},
    {"config", 0, OPT_CONFIG, "FILE", C_RUN | C_DIFF,
     "the project file declaring environments (default:\nkvet.yaml in the inputs' folder or above it)"},
    {"no-config", 0, OPT_NO_CONFIG, NULL, C_RUN | C_DIFF, "use no project file: scopes are inferred from folders"},
    {"env", 'e', 'e', "NAME", C_RUN | C_DIFF, "check only this environment of the project (repeatable)"},
    {"waivers", 0, OPT_WAIVERS, "FILE", C_RUN | C_DIFF, "a waiver file (repeatable; see docs/waivers.md)"},
    {"baseline", 0, OPT_BASELINE, "FILE", C_CHECK | C_EXPLAIN | C_REPORT | C_DIFF,
     "findings in this baseline (kvet baseline) do not fail the run"},
    {"update", 0, OPT_UPDATE, "FILE", C_BASELINE,
     "rewrite this baseline, keeping only the entries that\nstill match a finding"},
    {"show-baselined", 0, OPT_SHOW_BASELINED, NULL, C_CHECK,
     "text: list baselined findings too (default: only\ntheir number)"},
    {"today", 0, OPT_TODAY, "YYYY-MM-DD", C_RUN | C_DIFF, "the date waivers expire against (default: today)"},
    {"set", 's', 's', "NAME=VALUE", C_PACK, "override a pack parameter (repeatable)"},
    {"to-set", 0, OPT_TO_SET, "NAME=VALUE", C_DIFF, "a parameter of the head side (after --set)"},
    {"to-cluster", 0, OPT_TO_CLUSTER, "FILE", C_DIFF,
     "the head side's cluster configuration (repeatable;\nreplaces --cluster there)"},
    {"format", 'f', 'f', "NAME[=FILE]", C_CHECK | C_REPORT | C_RULES | C_DIFF | C_TEST,
     "report format (repeatable): check: text (default), json,\nsarif, junit, tap, github, codeclimate, markdown or "
     "html;\nreport: html or markdown; rules: text, json or markdown;\ndiff: text, json, markdown or github; test: "
     "text or json.\nA report without FILE goes to --output or standard\noutput (only one may)"},
    {"output", 'o', 'o', "FILE", C_ALL & ~(C_INIT | C_FMT), "write the report (or compiled pack) to FILE, atomically"},
    {"fail-level", 0, OPT_FAIL_LEVEL, "LEVEL", C_CHECK | C_REPORT | C_DIFF,
     "error (default), warning, info or never: findings at\nor above it exit 1"},
    {"fail-on", 0, OPT_FAIL_ON, "WHAT", C_DIFF, "changes (default), new-findings or never exit 1"},
    {"quiet", 'q', 'q', NULL, C_ALL, "no summary line and no notes"},
    {"color", 0, OPT_COLOR, "WHEN", C_ALL & ~C_INIT, "auto (default), always or never"},
    {"colour", 0, OPT_COLOR, "WHEN", C_ALL & ~C_INIT, NULL},
    {"exclude", 0, OPT_EXCLUDE, "GLOB", C_RUN,
     "do not read files below a PATH folder whose path (from\nthat folder, or as walked) matches GLOB: *, ?, [...]\n"
     "within a name, ** across folders (repeatable; files\nnamed as PATH are always read)"},
    {"stdin-filename", 0, OPT_STDIN_NAME, "NAME", C_RUN,
     "the name of standard input (-) in reports and\nmessages (NAME.json reads it as JSON)"},
    {"allow-empty", 0, OPT_ALLOW_EMPTY, NULL, C_RUN, "inputs without any Kubernetes resource are not an error"},
    {"stats", 0, OPT_STATS, NULL, C_CHECK,
     "where the run's time and memory went (load, parse,\nindex, evaluate per pack, report), on stderr;\n"
     "it runs in one thread (-j 1)"},
    {"jobs", 'j', 'j', "N", C_RUN,
     "parse and evaluate input files in N threads; the\noutput is the same for any N (default: the number\n"
     "of online CPUs; explain evaluates in one)"},
    {"resource", 'r', 'r', "NS/NAME", C_EXPLAIN, "only this resource (or NAME)"},
    {"dump", 0, OPT_DUMP, NULL, C_COMPILE, "print the bytecode listing"},
    {"timestamp", 0, OPT_TIMESTAMP, NULL, C_CHECK | C_REPORT,
     "html: show the time of the run (also SOURCE_DATE_EPOCH);\nwithout it reports are byte-for-byte reproducible"},
    {"force", 0, OPT_FORCE, NULL, C_INIT, "replace an existing kvet.yaml"},
    {"check", 0, OPT_CHECK, NULL, C_FMT, "change nothing; exit 1 if a file is not formatted"},
    {"coverage", 0, OPT_COVERAGE, NULL, C_TEST,
     "list the rules, derived values and branches that no\ntest exercised"},
    {"limit", 0, OPT_LIMIT, "NAME=N", C_ALL & ~C_FMT,
     "change a resource limit (repeatable): alias-nodes, depth,\nfile-size, steps, call-depth, regex-match, "
     "regex-depth,\nstring-size, regex-jit (0 or 1) (see docs/security.md;\nfile-size, of one input or of stdin, "
     "is 2 GiB by default)"},
    {"help", 'h', 'h', NULL, C_ALL, "print this help"},
};
#define NOPTS (sizeof opt_defs / sizeof opt_defs[0])

static const struct command *find_command(const char *name)
{
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (!strcmp(commands[i].name, name))
            return &commands[i];
    return NULL;
}

/* The options of the commands in `cmds`, one per line, help aligned. */
static void print_options(FILE *f, unsigned cmds)
{
    for (size_t i = 0; i < NOPTS; i++) {
        const struct opt_def *d = &opt_defs[i];
        if (!(d->cmds & cmds) || !d->help)
            continue;
        char head[64];
        int n = snprintf(head, sizeof head, "  %c%c%s--%s%s%s", d->short_name ? '-' : ' ',
                         d->short_name ? d->short_name : ' ', d->short_name ? ", " : "  ", d->name,
                         d->arg ? " " : "", d->arg ? d->arg : "");
        fputs(head, f);
        const char *h = d->help;
        bool first = true;
        while (*h) {
            const char *nl = strchr(h, '\n');
            size_t len = nl ? (size_t)(nl - h) : strlen(h);
            int pad = first ? 27 - n : 27;
            if (pad < 1) { /* a long option name: its help starts on the next line */
                fputc('\n', f);
                pad = 27;
            }
            fprintf(f, "%*s%.*s\n", pad, "", (int)len, h);
            first = false;
            h += len + (nl ? 1 : 0);
        }
    }
}

static const char *const exit_text =
    "Exit status: 0 no findings at or above the fail level; 1 findings at or\n"
    "above it (input warnings, such as competing cluster configuration, count as\n"
    "warnings); 2 usage, input or rule errors (the results are then incomplete),\n"
    "or inputs without any Kubernetes resource (unless --allow-empty);\n"
    "diff: 0 no change, 1 changes (as --fail-on chooses), 2 errors.\n";

/* `kvet help`: the commands and every option. */
static void print_help(FILE *f)
{
    fputs("Usage: kvet COMMAND [OPTIONS] [PATH...]\n\n"
          "Check Kubernetes scaling configuration (KServe, Knative, HPA, KEDA, PDB)\n"
          "against rule packs written in the kvet language.\n\nCommands:\n", f);
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].summary);
    fputs("  version    print the version\n  help       print this help\n\n"
          "'kvet COMMAND --help' lists the options of that command.\n\nOptions:\n", f);
    print_options(f, C_ALL);
    fputc('\n', f);
    fputs(exit_text, f);
}

/* `kvet COMMAND --help`: that command's usage and its options only. */
static void print_command_help(FILE *f, const struct command *c)
{
    fprintf(f, "Usage: kvet %s\n\n", c->usage);
    /* the text re-flowed to 78 columns */
    size_t col = 0;
    for (const char *p = c->about; *p;) {
        while (*p == ' ' || *p == '\n')
            p++;
        size_t n = strcspn(p, " \n");
        if (!n)
            break;
        if (col && col + 1 + n > 78) {
            fputc('\n', f);
            col = 0;
        } else if (col) {
            fputc(' ', f);
            col++;
        }
        fwrite(p, 1, n, f);
        col += n;
        p += n;
    }
    fputs("\n\nOptions:\n", f);
    print_options(f, c->bit);
    if (c->bit & (C_CHECK | C_REPORT | C_EXPLAIN | C_DIFF)) {
        fputc('\n', f);
        fputs(exit_text, f);
    }
}

/* --limit NAME=N */
static int set_limit(kvet_ctx *ctx, const char *arg)
{
    const char *eq = strchr(arg, '=');
    char *end = NULL;
    errno = 0;
    unsigned long long v = eq ? strtoull(eq + 1, &end, 10) : 0;
    bool zero_ok = (size_t)(eq ? eq - arg : 0) == 9 && !strncmp(arg, "regex-jit", 9);
    if (!eq || !end || *end || end == eq + 1 || errno || (v == 0 && !zero_ok) || eq[1] == '-') {
        usage_error("--limit expects NAME=N with a positive whole number, got '%s'", arg);
        return -1;
    }
    kvet_limits l = *kvet_ctx_limits(ctx);
    size_t n = (size_t)(eq - arg);
    struct { const char *name; int kind; } names[] = {
        {"alias-nodes", 0}, {"depth", 1}, {"file-size", 2}, {"steps", 3},
        {"call-depth", 4}, {"regex-match", 5}, {"regex-depth", 6}, {"string-size", 7},
        {"regex-jit", 8},
    };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        if (strlen(names[i].name) != n || strncmp(names[i].name, arg, n) != 0)
            continue;
        bool small = names[i].kind == 1 || names[i].kind == 4 || names[i].kind == 5 || names[i].kind == 6;
        if (small && v > 0xFFFFFFFFull) {
            usage_error("--limit %.*s: %llu is too large", (int)n, arg, v);
            return -1;
        }
        switch (names[i].kind) {
        case 0: l.max_alias_expansion = v; break;
        case 1: l.max_depth = (uint32_t)v; break;
        case 2: l.max_document_bytes = v; break;
        case 3: l.max_steps = v; break;
        case 4: l.max_call_depth = (uint32_t)v; break;
        case 5: l.regex_match_limit = (uint32_t)v; break;
        case 6: l.regex_depth_limit = (uint32_t)v; break;
        case 7: l.max_string_bytes = v; break;
        case 8: l.regex_jit = v != 0; break;
        }
        kvet_ctx_set_limits(ctx, &l);
        return 0;
    }
    usage_error("unknown limit '%.*s' (expected alias-nodes, depth, file-size, steps, call-depth, regex-match, "
                "regex-depth, string-size or regex-jit)", (int)n, arg);
    return -1;
}

/* The table entry of what getopt_long returned. */
static const struct opt_def *opt_by_id(int id, int longindex, const struct option *lo)
{
    if (longindex >= 0)
        for (size_t i = 0; i < NOPTS; i++)
            if (!strcmp(opt_defs[i].name, lo[longindex].name))
                return &opt_defs[i];
    for (size_t i = 0; i < NOPTS; i++)
        if (opt_defs[i].id == id)
            return &opt_defs[i];
    return NULL;
}

/* Returns 0, 1 after --help (printed), or KVET_EXIT_ERROR after printing
 * the problem. */
static int parse_opts(int argc, char **argv, opts *o, const struct command *cmd)
{
    struct option lo[NOPTS + 1];
    char shorts[2 * NOPTS + 2];
    size_t ns = 0;
    shorts[ns++] = ':';
    for (size_t i = 0; i < NOPTS; i++) {
        const struct opt_def *d = &opt_defs[i];
        lo[i] = (struct option){d->name, d->arg ? required_argument : no_argument, NULL, d->id};
        if (d->short_name) {
            shorts[ns++] = (char)d->short_name;
            if (d->arg)
                shorts[ns++] = ':';
        }
    }
    lo[NOPTS] = (struct option){NULL, 0, NULL, 0};
    shorts[ns] = '\0';
    int c, li = -1;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, shorts, lo, &li)) != -1) {
        const struct opt_def *d = c == ':' || c == '?' ? NULL : opt_by_id(c, li, lo);
        li = -1;
        if (d && !(d->cmds & cmd->bit)) {
            /* name it as written: the long name, or -X for the short one */
            const char *tok = argv[optind - 1];
            if (d->arg && tok[0] != '-' && optind >= 2)
                tok = argv[optind - 2];
            if (!strncmp(tok, "--", 2) || !d->short_name)
                usage_error("option '--%s' does not apply to kvet %s (see 'kvet %s --help')", d->name, cmd->name,
                            cmd->name);
            else
                usage_error("option '-%c' does not apply to kvet %s (see 'kvet %s --help')", d->short_name,
                            cmd->name, cmd->name);
            return KVET_EXIT_ERROR;
        }
        switch (c) {
        case 'R': push(&o->rules, &o->nrules, optarg); break;
        case OPT_WAIVERS: push(&o->waivers, &o->nwaivers, optarg); break;
        case OPT_BASELINE: o->baseline = optarg; break;
        case OPT_UPDATE: o->update = optarg; break;
        case OPT_SHOW_BASELINED: o->show_baselined = true; break;
        case OPT_TODAY:
            if (strlen(optarg) != 10 || optarg[4] != '-' || optarg[7] != '-' ||
                strspn(optarg, "0123456789-") != 10) {
                usage_error("--today expects a date written YYYY-MM-DD, got '%s'", optarg);
                return KVET_EXIT_ERROR;
            }
            o->today = optarg;
            break;
        case 'I': push(&o->rule_paths, &o->nrule_paths, optarg); break;
        case 'c': push(&o->cluster, &o->ncluster, optarg); break;
        case 's': {
            char *eq = strchr(optarg, '=');
            if (!eq || eq == optarg) {
                usage_error("--set expects NAME=VALUE, got '%s'", optarg);
                return KVET_EXIT_ERROR;
            }
            *eq = '\0';
            if (kvet_ctx_set_param(o->ctx, optarg, eq + 1) < 0) {
                cli_print_diags(o->ctx, false, false);
                return KVET_EXIT_ERROR;
            }
            *eq = '=';
            push(&o->sets, &o->nsets, optarg);
            break;
        }
        case 'f':
            if (add_format(o, optarg) < 0)
                return KVET_EXIT_ERROR;
            break;
        case 'o': o->output = optarg; break;
        case OPT_FAIL_LEVEL:
            o->fail_level_given = true;
            if (!strcmp(optarg, "never")) {
                o->fail_never = true;
            } else if (kvet_severity_parse(optarg, &o->fail_level) < 0) {
                usage_error("unknown fail level '%s' (expected error, warning, info or never)", optarg);
                return KVET_EXIT_ERROR;
            }
            break;
        case 'q': o->quiet = true; break;
        case OPT_COLOR:
            if (!strcmp(optarg, "auto")) o->color = -1;
            else if (!strcmp(optarg, "always")) o->color = 1;
            else if (!strcmp(optarg, "never")) o->color = 0;
            else {
                usage_error("unknown color mode '%s' (expected auto, always or never)", optarg);
                return KVET_EXIT_ERROR;
            }
            break;
        case 'r': o->resource = optarg; break;
        case OPT_DUMP: o->dump = true; break;
        case OPT_COVERAGE: o->coverage = true; break;
        case OPT_TIMESTAMP: o->timestamp = true; break;
        case OPT_CHECK: o->check = true; break;
        case OPT_CONFIG: o->config = optarg; break;
        case OPT_NO_CONFIG: o->no_config = true; break;
        case OPT_FORCE: o->force = true; break;
        case 'e': push(&o->envs, &o->nenvs, optarg); break;
        case OPT_ALLOW_EMPTY: o->allow_empty = true; break;
        case OPT_STDIN_NAME:
            if (!*optarg) {
                usage_error("--stdin-filename needs a name");
                return KVET_EXIT_ERROR;
            }
            o->stdin_name = optarg;
            break;
        case OPT_EXCLUDE:
            if (!*optarg) {
                usage_error("--exclude needs a pattern");
                return KVET_EXIT_ERROR;
            }
            push(&o->excludes, &o->nexcludes, optarg);
            break;
        case OPT_TO_SET:
            if (!strchr(optarg, '=') || optarg[0] == '=') {
                usage_error("--to-set expects NAME=VALUE, got '%s'", optarg);
                return KVET_EXIT_ERROR;
            }
            push(&o->to_sets, &o->nto_sets, optarg);
            break;
        case OPT_TO_CLUSTER: push(&o->to_cluster, &o->nto_cluster, optarg); break;
        case OPT_STATS: o->stats = true; break;
        case 'j': {
            char *end;
            errno = 0;
            unsigned long n = strtoul(optarg, &end, 10);
            if (errno || end == optarg || *end || optarg[0] == '-' || n < 1 || n > 1024) {
                usage_error("-j/--jobs expects a number from 1 to 1024, got '%s'", optarg);
                return KVET_EXIT_ERROR;
            }
            o->jobs = (unsigned)n;
            break;
        }
        case OPT_FAIL_ON:
            if (!strcmp(optarg, "changes")) o->fail_on = DIFF_FAIL_CHANGES;
            else if (!strcmp(optarg, "new-findings")) o->fail_on = DIFF_FAIL_NEW_FINDINGS;
            else if (!strcmp(optarg, "never")) o->fail_on = DIFF_FAIL_NEVER;
            else {
                usage_error("unknown --fail-on '%s' (expected changes, new-findings or never)", optarg);
                return KVET_EXIT_ERROR;
            }
            break;
        case OPT_LIMIT:
            if (set_limit(o->ctx, optarg) < 0)
                return KVET_EXIT_ERROR;
            break;
        case 'h':
            print_command_help(stdout, cmd);
            return 1;
        case ':':
            usage_error("option '%s' needs a value", argv[optind - 1]);
            return KVET_EXIT_ERROR;
        default:
            if (optopt)
                usage_error("unknown option '-%c'", optopt);
            else
                usage_error("unknown option '%s'", argv[optind - 1]);
            return KVET_EXIT_ERROR;
        }
    }
    for (int i = optind; i < argc; i++)
        push(&o->inputs, &o->ninputs, argv[i]);
    if (check_format_dests(o) < 0)
        return KVET_EXIT_ERROR;
    return 0;
}

static kvet_pack *load_rules(opts *o, bool color)
{
    const char *stock = stock_rules();
    for (size_t i = 0; i < o->nrule_paths; i++)
        kvet_ctx_add_pack_path(o->ctx, o->rule_paths[i]);
    /* the stock pack can always be imported */
    kvet_ctx_add_pack_path(o->ctx, stock);
    if (o->nrules == 0)
        push(&o->rules, &o->nrules, stock);
    kvet_ctx_set_lints(o->ctx, o->lints);
    kvet_pack *pack = kvet_pack_load(o->ctx, o->rules, o->nrules);
    bool failed = !pack || kvet_error_count(o->ctx) > 0;
    cli_print_diags(o->ctx, color, o->quiet && !failed);
    if (failed) {
        kvet_pack_free(pack);
        return NULL;
    }
    return pack;
}

static bool use_color(const opts *o, FILE *f)
{
    if (o->color >= 0)
        return o->color == 1;
    if (o->output && strcmp(o->output, "-") != 0)
        return false;
    const char *nc = getenv("NO_COLOR");
    if (nc && *nc)
        return false;
    return isatty(fileno(f));
}

/* ------------------------------------------------------------ commands */

/* The project file of a run: --config, else kvet.yaml in the inputs'
 * folder or above it (the current folder for standard input or no input).
 * *project stays NULL without one.  0, or KVET_EXIT_ERROR after saying why. */
static int load_project(opts *o, kvet_project **project, bool color)
{
    *project = NULL;
    if (o->config && o->no_config) {
        usage_error("--config and --no-config contradict each other");
        return KVET_EXIT_ERROR;
    }
    char *path = NULL;
    if (o->config) {
        path = strdup(o->config);
    } else if (!o->no_config) {
        const char *from = NULL;
        for (size_t i = 0; i < o->ninputs; i++) {
            if (!strcmp(o->inputs[i], "-"))
                continue;
            char *found = kvet_project_find(o->inputs[i]);
            if (!found)
                continue;
            if (path && strcmp(path, found) != 0) {
                fprintf(stderr,
                        "%s: the inputs belong to different projects: %s (for %s) and %s (for %s); check them "
                        "separately, or choose one with --config FILE (or none with --no-config)\n",
                        prog_name, path, from, found, o->inputs[i]);
                free(found);
                free(path);
                return KVET_EXIT_ERROR;
            }
            if (!path) {
                path = found;
                from = o->inputs[i];
            } else {
                free(found);
            }
        }
        bool any_path = false;
        for (size_t i = 0; i < o->ninputs; i++)
            any_path |= strcmp(o->inputs[i], "-") != 0;
        if (!path && !any_path)
            path = kvet_project_find(".");
    }
    if (!path) {
        if (o->nenvs) {
            usage_error("--env needs a project file (kvet.yaml, or --config FILE) that declares environments");
            return KVET_EXIT_ERROR;
        }
        return 0;
    }
    *project = kvet_project_load(o->ctx, path);
    bool failed = !*project || kvet_error_count(o->ctx) > 0;
    cli_print_diags(o->ctx, color, o->quiet && !failed);
    if (failed) {
        fprintf(stderr, "%s: cannot use the project file %s\n", prog_name, path);
        kvet_project_free(*project);
        *project = NULL;
        free(path);
        return KVET_EXIT_ERROR;
    }
    free(path);
    for (size_t i = 0; i < o->nenvs; i++) {
        bool known = false;
        for (size_t e = 0; e < kvet_project_env_count(*project); e++)
            known |= !strcmp(o->envs[i], kvet_project_env_name(*project, e));
        if (!known) {
            fprintf(stderr, "%s: --env %s: %s declares no environment of that name (it declares", prog_name,
                    o->envs[i], kvet_project_file(*project));
            for (size_t e = 0; e < kvet_project_env_count(*project); e++)
                fprintf(stderr, "%s %s", e ? "," : "", kvet_project_env_name(*project, e));
            fputs(")\n", stderr);
            kvet_project_free(*project);
            *project = NULL;
            return KVET_EXIT_ERROR;
        }
    }
    /* no PATH: the whole project */
    if (o->ninputs == 0)
        push(&o->inputs, &o->ninputs, kvet_project_root(*project));
    return 0;
}

/* The exit status a result gives: errors, then findings and input warnings
 * at or above the fail level. */
static int result_status(const opts *o, const kvet_result *res)
{
    if (res->nerrors)
        return KVET_EXIT_ERROR;
    if (o->fail_never)
        return KVET_EXIT_OK;
    for (int s = KVET_SEV_ERROR; s >= (int)o->fail_level; s--)
        if (res->findings[s])
            return KVET_EXIT_FINDINGS;
    if (res->nwarnings && o->fail_level <= KVET_SEV_WARNING)
        return KVET_EXIT_FINDINGS;
    return KVET_EXIT_OK;
}

/* The date waivers expire against: --today, else SOURCE_DATE_EPOCH, else
 * the clock (local date). */
static const char *today_or(const opts *o)
{
    static char buf[16];
    if (o->today)
        return o->today;
    time_t t = time(NULL);
    const char *sde = getenv("SOURCE_DATE_EPOCH");
    if (sde && *sde)
        t = (time_t)strtoll(sde, NULL, 10);
    struct tm tm;
    if (!localtime_r(&t, &tm))
        return NULL;
    strftime(buf, sizeof buf, "%Y-%m-%d", &tm);
    return buf;
}

/* --stdin-filename names standard input: one of the PATHs must be "-". */
static int check_input_opts(const opts *o)
{
    if (!o->stdin_name)
        return 0;
    for (size_t i = 0; i < o->ninputs; i++)
        if (!strcmp(o->inputs[i], "-"))
            return 0;
    usage_error("--stdin-filename names standard input, but no PATH is - (standard input)");
    return KVET_EXIT_ERROR;
}

static kvet_inputs make_inputs(const opts *o, const kvet_project *project)
{
    kvet_inputs in = {.paths = o->inputs, .npaths = o->ninputs, .cluster = o->cluster, .ncluster = o->ncluster,
                      .waiver_files = o->waivers, .nwaiver_files = o->nwaivers, .today = today_or(o),
                      .stdin_name = o->stdin_name, .exclude = o->excludes, .nexclude = o->nexcludes,
                      .project = project, .envs = o->envs, .nenvs = o->nenvs, .jobs = o->jobs};
    return in;
}

static void plural(kv_buf *b, size_t n, const char *one, const char *many)
{
    kv_buf_printf(b, "%zu %s", n, n == 1 ? one : many);
}

/* What an input without resources held, in words. */
static void describe_input(kv_buf *b, const kvet_input_info *in)
{
    if (in->unassigned && !in->documents) {
        kv_buf_printf(b, "%s: ", in->path);
        plural(b, in->unassigned, "file", "files");
        kv_buf_puts(b, " in no environment of the project file, not read");
        return;
    }
    if (in->folder && in->files == 0) {
        kv_buf_printf(b, "%s has no *.yaml, *.yml or *.json files to read", in->path);
        if (in->hidden || in->excluded || in->other) {
            const char *sep = " (not read:";
            if (in->hidden) {
                kv_buf_printf(b, "%s %zu hidden %s", sep, in->hidden, in->hidden == 1 ? "entry" : "entries");
                sep = ",";
            }
            if (in->excluded) {
                kv_buf_printf(b, "%s %zu excluded", sep, in->excluded);
                sep = ",";
            }
            if (in->other) {
                kv_buf_printf(b, "%s ", sep);
                plural(b, in->other, "file with another name", "files with other names");
            }
            kv_buf_puts(b, ")");
        }
        return;
    }
    kv_buf_printf(b, "%s", in->path);
    if (in->folder) {
        kv_buf_puts(b, ": ");
        plural(b, in->files, "file", "files");
        kv_buf_puts(b, in->documents ? ", " : " with no documents");
    } else if (in->bytes == 0) {
        kv_buf_puts(b, " is empty");
        return;
    } else if (!in->documents) {
        kv_buf_puts(b, " holds no documents (only comments or blank lines)");
        return;
    } else {
        kv_buf_puts(b, ": ");
    }
    if (in->documents) {
        plural(b, in->documents, "document", "documents");
        kv_buf_puts(b, in->documents == 1 ? ", not a Kubernetes resource" : ", none of them a Kubernetes resource");
    }
}

/* Inputs without a single Kubernetes resource: nothing was checked, which
 * is an error unless --allow-empty says it is expected.  (Inputs that
 * could not be read are errors of their own.)  Returns true when the run
 * must stop, after saying why. */
static bool refuse_empty(const opts *o, const kvet_result *res)
{
    if (res->nerrors)
        return false;
    for (size_t i = 0; i < res->ninputs; i++)
        if (res->inputs[i].resources)
            return false;
    if (o->allow_empty && o->quiet)
        return false;
    kv_buf b;
    kv_buf_init(&b);
    for (size_t i = 0; i < res->ninputs; i++) {
        if (i)
            kv_buf_puts(&b, "; ");
        describe_input(&b, &res->inputs[i]);
    }
    if (o->allow_empty) {
        fprintf(stderr, "%s: note: no Kubernetes resources found in the inputs: %s\n", prog_name,
                b.data ? b.data : "");
        kv_buf_free(&b);
        return false;
    }
    fprintf(stderr, "%s: no Kubernetes resources found in the inputs: %s\n", prog_name, b.data ? b.data : "");
    fprintf(stderr, "%s: nothing was checked (--allow-empty accepts inputs without resources)\n", prog_name);
    kv_buf_free(&b);
    return true;
}

/* `kvet baseline -o FILE PATH...`: every current finding as accepted.
 * `kvet baseline --update FILE PATH...`: FILE again, without the entries
 * that no longer match a finding (it never gains new ones). */
static int cmd_baseline(opts *o)
{
    bool err_color = use_color(o, stderr);
    if (o->update && o->output) {
        usage_error("baseline takes -o FILE (write a new baseline) or --update FILE (rewrite one), not both");
        return KVET_EXIT_ERROR;
    }
    kvet_project *project = NULL;
    if (load_project(o, &project, err_color) != 0)
        return KVET_EXIT_ERROR;
    if ((!o->output && !o->update) || o->ninputs == 0) {
        usage_error("baseline needs -o FILE (or --update FILE) and at least one PATH");
        kvet_project_free(project);
        return KVET_EXIT_ERROR;
    }
    if (check_input_opts(o)) {
        kvet_project_free(project);
        return KVET_EXIT_ERROR;
    }
    kvet_pack *pack = load_rules(o, err_color);
    if (!pack) {
        kvet_project_free(project);
        return KVET_EXIT_ERROR;
    }
    kvet_inputs in = make_inputs(o, project);
    in.baseline = o->update;
    kvet_result *res = kvet_check(o->ctx, pack, &in);
    cli_print_diags(o->ctx, err_color, o->quiet);
    if (!res || res->nerrors || refuse_empty(o, res)) {
        fprintf(stderr, "%s: not writing a baseline: %s\n", prog_name,
                res && !res->nerrors ? "no resources" : "some inputs could not be evaluated");
        kvet_result_free(res);
        kvet_pack_free(pack);
        kvet_project_free(project);
        return KVET_EXIT_ERROR;
    }
    kv_buf out;
    kv_buf_init(&out);
    const char *dest = o->update ? o->update : o->output;
    int rc = report_baseline(&out, res, o->update != NULL) < 0 || cli_write_report(dest, &out) < 0 ? KVET_EXIT_ERROR
                                                                                                : KVET_EXIT_OK;
    if (rc == KVET_EXIT_OK && o->update && !o->quiet)
        fprintf(stderr, "%s: %s: kept %zu of %zu entries, removed %zu that match no finding\n", prog_name, dest,
                res->nbaseline - res->stale_baseline, res->nbaseline, res->stale_baseline);
    kv_buf_free(&out);
    kvet_result_free(res);
    kvet_pack_free(pack);
    kvet_project_free(project);
    return rc;
}

/* Which of the result's errors are also diagnostics (printed on standard
 * error with their source line); NULL when none is or out of memory.  The
 * library records input errors in the order it reports them, so the search
 * resumes after the last match: linear in the usual case. */
static bool *errors_in_diags(kvet_ctx *ctx, const kvet_result *res)
{
    if (!res->nerrors)
        return NULL;
    bool *shown = calloc(res->nerrors, sizeof *shown);
    size_t from = 0, nd = kvet_diag_count(ctx);
    for (size_t i = 0; shown && i < res->nerrors; i++) {
        const kvet_error *e = &res->errors[i];
        for (size_t k = from; k < nd; k++) {
            const kvet_diag *d = kvet_diag_at(ctx, k);
            if (d->severity == KVET_SEV_ERROR && d->line == e->line && d->col == e->col &&
                !strcmp(d->message, e->message) && (d->file ? e->file && !strcmp(d->file, e->file) : !e->file)) {
                shown[i] = true;
                from = k + 1;
                break;
            }
        }
    }
    return shown;
}

/* The time a report may show: none unless --timestamp or SOURCE_DATE_EPOCH
 * asks, so that reports are reproducible by default. */
static long long report_time(const opts *o)
{
    const char *sde = getenv("SOURCE_DATE_EPOCH");
    if (sde && *sde) {
        char *end;
        long long t = strtoll(sde, &end, 10);
        if (!*end && t >= 0)
            return t;
    }
    return o->timestamp ? (long long)time(NULL) : -1;
}

static double stats_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static long stats_rss_kb(void)
{
    struct rusage ru;
    return getrusage(RUSAGE_SELF, &ru) == 0 ? ru.ru_maxrss : 0;
}

/* The `limit` largest of `n` times, largest first, as indexes into `top`
 * (which has room for `limit`): how many there are. */
static size_t largest_times(const double *t, size_t n, size_t *top, size_t limit)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (t[i] <= 0 || (k == limit && t[i] <= t[top[limit - 1]]))
            continue;
        size_t at = k < limit ? k++ : limit - 1;
        while (at > 0 && t[top[at - 1]] < t[i]) {
            top[at] = top[at - 1];
            at--;
        }
        top[at] = i;
    }
    return k;
}

#define STATS_TOP 10

/* --stats: the phases in order, with the process's peak memory after each
 * (it only grows, so the phase where it jumps is the one that needed it),
 * then the rules and derived values that took longest and the functions
 * whose calls ran the most VM instructions. */
static void print_stats(const kvet_result *res, const kvet_pack *pack, double t_load, long rss_load, double t_report)
{
    const kvet_stats *st = res->stats;
    double total = t_load + st->parse_s + st->index_s + st->evaluate_s + t_report;
    fprintf(stderr, "stats: %-24s %9s %12s\n", "phase", "seconds", "peak RSS MB");
    fprintf(stderr, "stats: %-24s %9.3f %12.1f\n", "load rules", t_load, rss_load / 1024.0);
    fprintf(stderr, "stats: %-24s %9.3f %12.1f\n", "parse", st->parse_s, st->parse_rss_kb / 1024.0);
    fprintf(stderr, "stats: %-24s %9.3f %12.1f\n", "index", st->index_s, st->index_rss_kb / 1024.0);
    fprintf(stderr, "stats: %-24s %9.3f %12.1f\n", "evaluate", st->evaluate_s, st->evaluate_rss_kb / 1024.0);
    for (size_t i = 0; i < st->npacks; i++) {
        kvet_pack_info pi = kvet_pack_at(pack, i);
        fprintf(stderr, "stats:   %-22s %9.3f\n", pi.name ? pi.name : "?", st->pack_s[i]);
    }
    fprintf(stderr, "stats:   %-22s %9.3f\n", "derived values, other", st->derive_s);
    fprintf(stderr, "stats: %-24s %9.3f %12.1f\n", "report", t_report, stats_rss_kb() / 1024.0);
    fprintf(stderr, "stats: %-24s %9.3f   (%zu documents evaluated)\n", "total", total, st->documents);
    fprintf(stderr, "stats: %-24s %9zu   (at most %zu held at once)\n", "contexts", st->contexts, st->contexts_held);
    size_t top[STATS_TOP];
    size_t k = largest_times(st->rule_s, st->nrules, top, STATS_TOP);
    if (k)
        fprintf(stderr, "stats: %-24s %9s %12s\n", "slowest rules", "ms", "evaluated");
    for (size_t i = 0; i < k; i++)
        fprintf(stderr, "stats:   %-22s %9.3f %12zu\n", kvet_rule_at(pack, top[i]).id, st->rule_s[top[i]] * 1e3,
                res->rule_evaluated[top[i]]);
    k = largest_times(st->derive_each_s, st->nderives, top, STATS_TOP);
    if (k)
        fprintf(stderr, "stats: %-24s %9s %12s\n", "slowest derived values", "ms", "valued");
    for (size_t i = 0; i < k; i++)
        fprintf(stderr, "stats:   %-22s %9.3f %12zu\n", kvet_derive_at(pack, top[i]).name,
                st->derive_each_s[top[i]] * 1e3, res->derive_valued[top[i]]);
    /* functions by the VM instructions their calls ran, callees included
     * (a function that calls itself counts its inner calls again) */
    double *steps = malloc((st->nfns + 1) * sizeof *steps);
    if (!steps)
        return;
    for (size_t i = 0; i < st->nfns; i++)
        steps[i] = (double)st->fn_steps[i];
    k = largest_times(steps, st->nfns, top, STATS_TOP);
    if (k)
        fprintf(stderr, "stats: %-24s %9s %12s\n", "costliest functions", "VM steps", "calls");
    for (size_t i = 0; i < k; i++)
        fprintf(stderr, "stats:   %-22s %9llu %12llu\n", kvet_function_name(pack, top[i]),
                (unsigned long long)st->fn_steps[top[i]], (unsigned long long)st->fn_calls[top[i]]);
    free(steps);
}

/* ---------------------------------------- reports while the run goes on */

typedef struct report_out {
    const report_stream_ops *ops;
    void *st;
} report_out;

typedef struct report_set {
    report_out *v;             /* one per format, in --format order */
    size_t n;
} report_set;

static void set_resource(void *arg, const kvet_result *res, const kvet_resource *r)
{
    report_set *set = arg;
    for (size_t i = 0; i < set->n; i++)
        set->v[i].ops->resource(set->v[i].st, res, r);
}

static void close_streams(report_set *set)
{
    for (size_t i = 0; i < set->n; i++)
        set->v[i].ops->close(set->v[i].st);
    free(set->v);
    set->v = NULL;
    set->n = 0;
}

/* A stream for each format, when every one has them: 0, or -1 and none
 * (a format needs the whole result, or memory ran out: the reports are
 * then made from the result kept whole). */
static int open_streams(const opts *o, const format_spec *fs, size_t nfs, const report_opts *ro, report_set *set)
{
    for (size_t i = 0; i < nfs; i++)
        if (!find_reporter(fs[i].name)->stream)
            return -1;
    set->v = calloc(nfs, sizeof *set->v);
    if (!set->v)
        return -1;
    for (size_t i = 0; i < nfs; i++) {
        const char *dest = format_dest(o, &fs[i]);
        report_opts fo = *ro;
        fo.color = report_color(o, dest);
        const report_stream_ops *ops = find_reporter(fs[i].name)->stream;
        void *st = ops->open(&fo, dest);
        if (!st) {
            close_streams(set);
            return -1;
        }
        set->v[set->n++] = (report_out){ops, st};
    }
    return 0;
}

/* A kv_buf sink to standard output. */
static int stdout_sink(void *arg, const char *data, size_t len)
{
    (void)arg;
    return fwrite(data, 1, len, stdout) == len ? 0 : -1;
}

/* Write the report of a stream to dest (NULL: standard output): 0, or -1
 * after saying why. */
static int finish_report(report_out *ro_out, const kvet_result *res, const report_opts *ro, const char *dest)
{
    /* resources the run kept instead of handing them over (it does when it
     * traces, which check does not ask for) follow */
    for (size_t k = 0; k < res->nresources; k++)
        ro_out->ops->resource(ro_out->st, res, &res->resources[k]);
    kv_buf out;
    kv_buf_init(&out);
    kvet_atomic_file *file = NULL;
    if (dest && !(file = kvet_atomic_open(dest))) {
        fprintf(stderr, "%s: cannot write %s: %s\n", prog_name, dest, strerror(errno));
        return -1;
    }
    out.sink = file ? cli_sink_write : stdout_sink;
    out.sink_arg = file;
    int rc = ro_out->ops->finish(ro_out->st, &out, res, ro);
    if (rc == 0)
        rc = file ? cli_buf_commit(&out, file) : kv_buf_flush(&out) < 0 || fflush(stdout) != 0 ? -1 : 0;
    else if (file)
        kvet_atomic_abort(file);
    int e = errno;
    kv_buf_free(&out);
    if (rc == 0)
        return 0;
    if (e == ENOMEM)
        fprintf(stderr, "%s: out of memory while writing the report\n", prog_name);
    else
        fprintf(stderr, "%s: cannot write %s: %s\n", prog_name, dest ? dest : "the report", strerror(e));
    return -1;
}

static int cmd_check(opts *o, bool explain)
{
    bool err_color = use_color(o, stderr);
    kvet_project *project = NULL;
    if (load_project(o, &project, err_color) != 0)
        return KVET_EXIT_ERROR;
    if (o->ninputs == 0) {
        usage_error("%s needs at least one PATH (a file, a folder or - for stdin), or a project file (kvet.yaml)",
                    o->cmd);
        kvet_project_free(project);
        return KVET_EXIT_ERROR;
    }
    if (check_input_opts(o)) {
        kvet_project_free(project);
        return KVET_EXIT_ERROR;
    }
    size_t rules_given = o->nrules; /* load_rules adds the default pack when none is given */
    double t_load = stats_now();
    kvet_pack *pack = load_rules(o, err_color);
    t_load = stats_now() - t_load;
    long rss_load = stats_rss_kb();
    if (!pack) {
        kvet_project_free(project);
        return KVET_EXIT_ERROR;
    }
    kvet_inputs in = make_inputs(o, project);
    in.want_trace = explain;
    in.baseline = o->baseline;
    in.want_stats = o->stats && !explain;
    report_opts ro = {use_color(o, stdout), o->quiet, o->fail_level, o->fail_never, pack, o->inputs, o->ninputs,
                      o->cluster, o->ncluster, -1 /* set once the run is done */, o->rules, rules_given,
                      o->waivers, o->nwaivers, o->baseline, o->sets, o->nsets, in.today, project, o->envs, o->nenvs,
                      o->stdin_name, o->excludes, o->nexcludes, o->show_baselined, NULL};
    const format_spec deflt = {"text", NULL};
    const format_spec *fs = o->nformats ? o->formats : &deflt;
    size_t nfs = o->nformats ? o->nformats : 1;
    /* reports that list resources one after another are written while the
     * run goes on: the resources are not held until the end */
    report_set set = {NULL, 0};
    if (!explain && open_streams(o, fs, nfs, &ro, &set) == 0) {
        in.on_resource = set_resource;
        in.on_resource_arg = &set;
    }
    kvet_result *res = kvet_check(o->ctx, pack, &in);
    bool *shown = res ? errors_in_diags(o->ctx, res) : NULL;
    cli_print_diags(o->ctx, err_color, o->quiet);
    double t_report = stats_now();
    /* the time the reports say they were made (html), once the run is done */
    ro.timestamp = report_time(o);
    if (!res) {
        fprintf(stderr, "%s: out of memory\n", prog_name);
        close_streams(&set);
        kvet_pack_free(pack);
        kvet_project_free(project);
        return KVET_EXIT_ERROR;
    }
    /* nothing to report: no report is written, so none can be read as a pass */
    if (refuse_empty(o, res)) {
        close_streams(&set);
        free(shown);
        kvet_result_free(res);
        kvet_pack_free(pack);
        kvet_project_free(project);
        return KVET_EXIT_ERROR;
    }
    int rc = KVET_EXIT_OK;
    if (explain) {
        kv_buf out;
        kv_buf_init(&out);
        if (!report_explain(&out, res, &ro, o->resource) && o->resource) {
            fprintf(stderr, "%s: explain: no resource named %s in the inputs (-r takes NAMESPACE/NAME or NAME)\n",
                    prog_name, o->resource);
            rc = KVET_EXIT_ERROR;
        } else if (cli_write_report(o->output, &out) < 0) {
            rc = KVET_EXIT_ERROR;
        }
        kv_buf_free(&out);
    } else {
        /* files are replaced atomically: a failed write leaves nothing */
        for (size_t i = 0; i < nfs; i++) {
            const char *dest = format_dest(o, &fs[i]);
            ro.color = report_color(o, dest);
            /* on a terminal the diagnostics and the report meet: say each error once */
            ro.errors_shown = dest ? NULL : shown;
            if (set.n) {
                if (finish_report(&set.v[i], res, &ro, dest) < 0)
                    rc = KVET_EXIT_ERROR;
                continue;
            }
            kv_buf out;
            kv_buf_init(&out);
            find_reporter(fs[i].name)->run(&out, res, &ro);
            if (cli_write_report(dest, &out) < 0)
                rc = KVET_EXIT_ERROR;
            kv_buf_free(&out);
        }
    }
    close_streams(&set);
    if (res->stats)
        print_stats(res, pack, t_load, rss_load, stats_now() - t_report);
    if (rc == KVET_EXIT_OK && res->nerrors)
        rc = KVET_EXIT_ERROR;
    if (rc == KVET_EXIT_OK && !explain)
        rc = result_status(o, res);
    free(shown);
    kvet_result_free(res);
    kvet_pack_free(pack);
    kvet_project_free(project);
    return rc;
}

static int cmd_compile(opts *o)
{
    if (!o->output && !o->dump) {
        usage_error("compile needs -o FILE (or --dump to list the bytecode)");
        return KVET_EXIT_ERROR;
    }
    if (o->ninputs) {
        usage_error("compile takes rule packs with --rules, not PATH arguments");
        return KVET_EXIT_ERROR;
    }
    o->lints = true;
    kvet_pack *pack = load_rules(o, use_color(o, stderr));
    if (!pack)
        return KVET_EXIT_ERROR;
    int rc = KVET_EXIT_OK;
    if (o->dump) {
        char *s = kvet_pack_disassemble(pack);
        if (s) {
            fputs(s, stdout);
            free(s);
        }
    }
    if (o->output && kvet_pack_write(o->ctx, pack, o->output) < 0) {
        cli_print_diags(o->ctx, use_color(o, stderr), false);
        rc = KVET_EXIT_ERROR;
    }
    kvet_pack_free(pack);
    return rc;
}

static int cmd_rules(opts *o)
{
    const char *fmt = o->nformats ? o->formats[0].name : "text";
    if (o->nformats > 1 || (strcmp(fmt, "text") && strcmp(fmt, "json") && strcmp(fmt, "markdown"))) {
        usage_error("rules writes one list: --format text (the default), json or markdown");
        return KVET_EXIT_ERROR;
    }
    if (o->ninputs) {
        usage_error("rules takes rule packs with --rules, not PATH arguments");
        return KVET_EXIT_ERROR;
    }
    kvet_pack *pack = load_rules(o, use_color(o, stderr));
    if (!pack)
        return KVET_EXIT_ERROR;
    kv_buf out;
    kv_buf_init(&out);
    const char *dest = o->nformats ? format_dest(o, &o->formats[0]) : o->output;
    int rc = 0;
    if (!strcmp(fmt, "markdown")) {
        rc = report_catalogue(&out, pack);
    } else if (!strcmp(fmt, "json")) {
        rc = report_rules_json(&out, pack);
    } else {
        for (size_t i = 0; i < kvet_pack_count(pack); i++) {
            kvet_pack_info pi = kvet_pack_at(pack, i);
            kv_buf_printf(&out, "pack %s %s  sha256:%s\n", pi.name, pi.version, pi.digest);
        }
        for (size_t i = 0; i < kvet_rule_count(pack); i++) {
            kvet_rule_info r = kvet_rule_at(pack, i);
            kv_buf_printf(&out, "%-16s %-8s %s%s  (%s; %s:%u)\n", r.id, kvet_severity_name(r.severity), r.title,
                           r.enabled ? "" : " [disabled]", r.applies_to, r.file ? r.file : "?", r.line);
        }
    }
    rc = rc < 0 || cli_write_report(dest, &out) < 0 ? KVET_EXIT_ERROR : KVET_EXIT_OK;
    kv_buf_free(&out);
    kvet_pack_free(pack);
    return rc;
}

/* `kvet report --format html|markdown -o FILE PATH...`: check, and write
 * one audit report to a file (exit status as check). */
static int cmd_report(opts *o)
{
    if (o->nformats == 0) {
        static format_spec html = {"html", NULL};
        o->formats = malloc(sizeof *o->formats);
        if (!o->formats) {
            fprintf(stderr, "%s: out of memory\n", prog_name);
            return KVET_EXIT_ERROR;
        }
        o->formats[0] = html;
        o->nformats = 1;
    }
    if (o->nformats > 1 || (strcmp(o->formats[0].name, "html") != 0 && strcmp(o->formats[0].name, "markdown") != 0)) {
        usage_error("report writes one report, --format html (the default) or markdown; use check for the other "
                    "formats");
        return KVET_EXIT_ERROR;
    }
    if (!o->output && !o->formats[0].file) {
        usage_error("report needs -o FILE (the report is one file; - writes it to standard output)");
        return KVET_EXIT_ERROR;
    }
    return cmd_check(o, false);
}

/* `kvet diff BASE HEAD [PATH...]` and `kvet diff --to-set|--to-cluster
 * PATH...` (diff.c). */
static int cmd_diff(opts *o)
{
    const char **names = calloc(o->nformats + 1, sizeof *names);
    const char **files = calloc(o->nformats + 1, sizeof *files);
    if (!names || !files) {
        free(names);
        free(files);
        fprintf(stderr, "%s: out of memory\n", prog_name);
        return KVET_EXIT_ERROR;
    }
    for (size_t i = 0; i < o->nformats; i++) {
        names[i] = o->formats[i].name;
        files[i] = o->formats[i].file;
    }
    diff_opts d = {
        .args = o->inputs, .nargs = o->ninputs,
        .rules = o->rules, .nrules = o->nrules,
        .rule_paths = o->rule_paths, .nrule_paths = o->nrule_paths,
        .stock = stock_rules(),
        .sets = o->sets, .nsets = o->nsets,
        .to_sets = o->to_sets, .nto_sets = o->nto_sets,
        .cluster = o->cluster, .ncluster = o->ncluster,
        .to_cluster = o->to_cluster, .nto_cluster = o->nto_cluster,
        .config = o->config, .no_config = o->no_config,
        .envs = o->envs, .nenvs = o->nenvs,
        .waivers = o->waivers, .nwaivers = o->nwaivers,
        .baseline = o->baseline, .today = today_or(o),
        .limits = kvet_ctx_limits(o->ctx),
        .format_names = names, .format_files = files, .nformats = o->nformats,
        .output = o->output,
        .fail_on = o->fail_on, .fail_level = o->fail_level, .fail_level_given = o->fail_level_given,
        .color = o->color, .quiet = o->quiet,
    };
    int rc = cli_run_diff(&d);
    free(names);
    free(files);
    return rc;
}

/* `kvet test PATH...`: rule tests (test.c). */
static int cmd_test(opts *o)
{
    if (o->ninputs == 0) {
        usage_error("test needs at least one PATH (a NAME.test.yaml file or a folder of them)");
        return KVET_EXIT_ERROR;
    }
    bool json = false;
    for (size_t i = 0; i < o->nformats; i++) {
        if (strcmp(o->formats[i].name, "text") != 0 && strcmp(o->formats[i].name, "json") != 0) {
            usage_error("test writes text or json, not %s", o->formats[i].name);
            return KVET_EXIT_ERROR;
        }
        if (o->formats[i].file || i > 0) {
            usage_error("test writes one report: use --format text|json with --output FILE");
            return KVET_EXIT_ERROR;
        }
        json = !strcmp(o->formats[i].name, "json");
    }
    test_opts t = {
        .paths = o->inputs, .npaths = o->ninputs,
        .rules = o->rules, .nrules = o->nrules,
        .rule_paths = o->rule_paths, .nrule_paths = o->nrule_paths,
        .sets = o->sets, .nsets = o->nsets,
        .stock = stock_rules(),
        .limits = kvet_ctx_limits(o->ctx),
        .output = o->output,
        .coverage = o->coverage, .json = json,
        .color = report_color(o, o->output && strcmp(o->output, "-") != 0 ? o->output : NULL),
        .err_color = use_color(o, stderr), .quiet = o->quiet,
    };
    return cli_run_tests(&t);
}

int main(int argc, char **argv)
{
    /* a write past a file-size limit (ulimit -f) fails with EFBIG, which is
     * reported and leaves no file, instead of ending the program */
    signal(SIGXFSZ, SIG_IGN);
    if (argc < 2) {
        print_help(stderr);
        return KVET_EXIT_ERROR;
    }
    const char *cmd = argv[1];
    if (!strcmp(cmd, "help") || !strcmp(cmd, "--help") || !strcmp(cmd, "-h")) {
        print_help(stdout);
        return KVET_EXIT_OK;
    }
    if (!strcmp(cmd, "version") || !strcmp(cmd, "--version")) {
        printf("kvet %s\n", kvet_version());
        return KVET_EXIT_OK;
    }
    const struct command *command = find_command(cmd);
    if (!command) {
        usage_error("unknown command '%s'", cmd);
        return KVET_EXIT_ERROR;
    }
    opts o;
    memset(&o, 0, sizeof o);
    o.fail_level = KVET_SEV_ERROR;
    o.color = -1;
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    o.jobs = cpus > 1 ? (unsigned)(cpus < 1024 ? cpus : 1024) : 1;
    o.ctx = kvet_ctx_new();
    if (!o.ctx) {
        fprintf(stderr, "%s: out of memory\n", prog_name);
        return KVET_EXIT_ERROR;
    }
    o.cmd = cmd;
    int rc = parse_opts(argc - 1, argv + 1, &o, command);
    if (rc == 1) {
        rc = KVET_EXIT_OK; /* --help */
    } else if (rc == 0) {
        switch (command->bit) {
        case C_CHECK: rc = cmd_check(&o, false); break;
        case C_EXPLAIN: rc = cmd_check(&o, true); break;
        case C_BASELINE: rc = cmd_baseline(&o); break;
        case C_COMPILE: rc = cmd_compile(&o); break;
        case C_RULES: rc = cmd_rules(&o); break;
        case C_TEST: rc = cmd_test(&o); break;
        case C_REPORT: rc = cmd_report(&o); break;
        case C_DIFF: rc = cmd_diff(&o); break;
        case C_INIT:
            if (o.ninputs > 1) {
                usage_error("init takes one folder (default: the current one)");
                rc = KVET_EXIT_ERROR;
            } else {
                rc = cli_run_init(o.ctx, o.ninputs ? o.inputs[0] : ".", o.force, o.quiet);
            }
            break;
        case C_FMT: rc = cli_run_fmt(o.inputs, o.ninputs, o.check, o.quiet, use_color(&o, stderr)); break;
        }
    }
    free(o.rules);
    free(o.sets);
    free(o.waivers);
    free(o.rule_paths);
    free(o.cluster);
    free(o.envs);
    free(o.excludes);
    free(o.to_sets);
    free(o.to_cluster);
    free(o.inputs);
    free(o.formats);
    kvet_ctx_free(o.ctx);
    return rc;
}
