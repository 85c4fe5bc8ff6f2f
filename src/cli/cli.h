/*
 * cli.h - the kvet command-line program: shared declarations.
 *
 * The program drives libkvet through its public API only (kvet/kvet.h);
 * reporters turn a kvet_result into text, JSON and the other formats.
 */
#ifndef KVET_CLI_H
#define KVET_CLI_H

#include <stdbool.h>
#include <stdio.h>

#include "kvet/kvet.h"
#include "strbuf.h"

/* Exit codes: part of the contract, documented in README.md and kvet(1). */
enum {
    KVET_EXIT_OK = 0,       /* nothing at or above the fail level */
    KVET_EXIT_FINDINGS = 1, /* findings at or above the fail level */
    KVET_EXIT_ERROR = 2     /* usage, input or rule errors */
};

/* The reporters write into kv_buf, the buffer of the text utilities the
 * library and the program share (src/strbuf.h). */
/* A kv_buf sink writing to a kvet_atomic_file (the argument). */
int cli_sink_write(void *f, const char *data, size_t len);
/* Finish a report streamed through b's sink to f: the rest written and the
 * file put in place, or nothing changed (f is gone either way); 0, or -1
 * with errno set (ENOMEM when the report ran out of memory). */
int cli_buf_commit(kv_buf *b, kvet_atomic_file *f);

typedef struct report_opts {
    bool color;
    bool quiet;              /* text: findings only, no summary */
    kvet_severity fail_level;
    bool fail_never;
    const kvet_pack *pack;
    const char *const *inputs;
    size_t ninputs;
    const char *const *cluster;  /* --cluster files */
    size_t ncluster;
    long long timestamp;         /* seconds since the epoch to print, or -1: no time */
    /* the rest of the command line, for the reports that list it (html) */
    const char *const *rules;    /* --rules as given; none: the default pack */
    size_t nrules;
    const char *const *waivers;  /* --waivers files */
    size_t nwaivers;
    const char *baseline;        /* --baseline file, or NULL */
    const char *const *sets;     /* --set NAME=VALUE as given */
    size_t nsets;
    const char *today;           /* the date waivers expire against */
    const kvet_project *project; /* the project file the run used, or NULL */
    const char *const *envs;     /* --env: the environments checked (none: all) */
    size_t nenvs;
    const char *stdin_name;      /* --stdin-filename, or NULL */
    const char *const *excludes; /* --exclude patterns */
    size_t nexcludes;
    bool show_baselined;         /* text: print baselined findings too (else only their count) */
    const bool *errors_shown;    /* per result error: already printed on standard error, so a
                                    text report on standard output leaves it out; or NULL */
} report_opts;

/* Print and clear the context's diagnostics on standard error (notes and
 * infos are left out when quiet). */
void cli_print_diags(kvet_ctx *ctx, bool color, bool quiet);
/* Write a report to path (atomically), or to standard output for NULL or
 * "-".  0, or -1 after printing the problem. */
int cli_write_report(const char *path, const kv_buf *b);

/* Files a command works on (files.c): `path` itself when it is not a
 * folder, else every file below it whose name `want` accepts, sorted.
 * Appends malloc'd strings; 0, or -1 after printing the problem. */
int cli_collect_files(const char *path, bool (*want)(const char *name), char ***out, size_t *n);
void cli_free_strings(char **v, size_t n);
bool cli_has_suffix(const char *s, const char *suffix);

/* `kvet fmt` (fmt.c): 0 all formatted (or written), 1 --check found files
 * to format, 2 errors. */
int cli_run_fmt(const char *const *paths, size_t npaths, bool check, bool quiet, bool err_color);

/* `kvet init [DIR]` (init.c): write DIR/kvet.yaml; an exit status. */
int cli_run_init(kvet_ctx *ctx, const char *dir, bool force, bool quiet);

/* `kvet test` (test.c, docs/testing.md). */
typedef struct test_opts {
    const char *const *paths; size_t npaths;           /* test files or folders */
    const char *const *rules; size_t nrules;           /* --rules: replaces each test's own */
    const char *const *rule_paths; size_t nrule_paths; /* --rules-path */
    const char *const *sets; size_t nsets;             /* --set NAME=VALUE, before each test's own */
    const char *stock;                                 /* the stock pack folder */
    const kvet_limits *limits;
    const char *output;
    bool coverage, json, color, err_color, quiet;
} test_opts;

/* Runs the tests and returns the exit status: 0 all passed, 1 a test
 * failed, 2 a test file or its rules are broken. */
int cli_run_tests(const test_opts *o);

/* `kvet diff` (diff.c, diff_report.c, docs/output.md). */
typedef enum diff_fail_on {
    DIFF_FAIL_CHANGES = 0,     /* any change of behaviour or findings exits 1 (the default) */
    DIFF_FAIL_NEW_FINDINGS,    /* only findings the base did not have */
    DIFF_FAIL_NEVER
} diff_fail_on;

typedef struct diff_opts {
    const char *const *args; size_t nargs;             /* BASE HEAD [PATH...], or PATH... with --to-* */
    const char *const *rules; size_t nrules;           /* --rules (none: the stock pack) */
    const char *const *rule_paths; size_t nrule_paths; /* --rules-path */
    const char *stock;                                 /* the stock pack folder */
    const char *const *sets; size_t nsets;             /* --set: both sides */
    const char *const *to_sets; size_t nto_sets;       /* --to-set: the head side, after --set */
    const char *const *cluster; size_t ncluster;       /* --cluster: both sides ... */
    const char *const *to_cluster; size_t nto_cluster; /* ... unless --to-cluster replaces it on the head side */
    const char *config;                                /* --config */
    bool no_config;
    const char *const *envs; size_t nenvs;             /* --env */
    const char *const *waivers; size_t nwaivers;       /* --waivers */
    const char *baseline;                              /* --baseline */
    const char *today;                                 /* the date waivers expire against */
    const kvet_limits *limits;
    const char *const *format_names; const char *const *format_files; size_t nformats;
    const char *output;                                /* --output */
    diff_fail_on fail_on;
    kvet_severity fail_level;                          /* --fail-on new-findings: from this severity */
    bool fail_level_given;
    int color;                                         /* -1 auto, 0 never, 1 always */
    bool quiet;
} diff_opts;

/* Runs the comparison and writes its reports; returns the exit status:
 * 0 no change (by --fail-on), 1 changes, 2 errors. */
int cli_run_diff(const diff_opts *o);

/* Reporters append to a buffer; the caller writes it out (atomically for
 * --output). */
void report_text(kv_buf *out, const kvet_result *res, const report_opts *o);
int report_json(kv_buf *out, const kvet_result *res, const report_opts *o);
/* ---- reports written while the run goes on (report_stream.c) ---- */

/* The part of a report that grows with the resources (its body), kept in
 * memory up to about a megabyte and past that in a file made for it and
 * unlinked at once, beside the report or in $TMPDIR, so that memory does
 * not grow with the run; what the file does not take (none could be made,
 * a full disk, a file-size limit) stays in memory. */
typedef struct report_spill {
    kv_buf buf;                /* the body as it is written; to the file in pieces */
    kv_buf rest;               /* what follows the file's bytes, in memory */
    int fd;                    /* -1: no file (yet) */
    bool file_full;            /* the file takes no more, or none could be made */
    uint64_t in_file;          /* the body's first bytes, in the file */
    uint64_t limit;            /* the file-size limit (RLIMIT_FSIZE) */
    char *dest;                /* the report's file, or NULL for standard output */
} report_spill;
/* 0, or -1 when out of memory. */
int report_spill_open(report_spill *s, const char *dest);
uint64_t report_spill_size(const report_spill *s);
/* The body's bytes [from, from + len), or all of them, appended to out;
 * with `release` the file's disk space is given back as they are written
 * (out is flushed to its sink as it goes).  0, or -1 with errno (ENOMEM
 * when a byte of the body was lost). */
int report_spill_copy(report_spill *s, uint64_t from, uint64_t len, kv_buf *out, bool release);
int report_spill_copy_all(report_spill *s, kv_buf *out);
void report_spill_close(report_spill *s);

/* A format that can be written while the run goes on.  open makes its
 * state for a report to dest (NULL: standard output), with the options
 * its resources are written with (o is copied), or NULL when out of
 * memory; resource writes one settled resource to its spill, in input
 * order; finish appends the whole report to out (whose sink writes it),
 * with the options of the end of the run (errors_shown): 0, or -1 with
 * errno.  The bytes are those of the format's report_* function on a
 * result that kept every resource. */
typedef struct report_stream_ops {
    void *(*open)(const report_opts *o, const char *dest);
    void (*resource)(void *st, const kvet_result *res, const kvet_resource *r);
    int (*finish)(void *st, kv_buf *out, const kvet_result *res, const report_opts *o);
    void (*close)(void *st);
} report_stream_ops;
/* What every format's stream state starts with: the options its
 * resources are written with, its body, and the resources written.
 * report_stream_new makes a state of `size` bytes (a struct that starts
 * with this), or NULL when out of memory; report_stream_close frees it,
 * and serves as the close of formats with nothing more to free. */
typedef struct report_stream_base {
    report_opts o;
    report_spill body;
    size_t n;
} report_stream_base;
void *report_stream_new(size_t size, const report_opts *o, const char *dest);
void report_stream_close(void *st);

extern const report_stream_ops report_text_stream, report_json_stream, report_sarif_stream, report_junit_stream,
    report_tap_stream, report_github_stream, report_codeclimate_stream;

/* The resources shown (only: the one named NS/NAME or NAME); 0 when `only`
 * names none, and then nothing is written. */
size_t report_explain(kv_buf *out, const kvet_result *res, const report_opts *o, const char *only);
/* The baseline file `kvet baseline` writes (docs/waivers.md): every finding
 * not waived, or with only_baselined those the run's baseline covered. */
int report_baseline(kv_buf *out, const kvet_result *res, bool only_baselined);
/* The rule catalogue (docs/rules.md). */
int report_catalogue(kv_buf *out, const kvet_pack *pack);
/* `kvet rules --format json` (docs/output.md). */
int report_rules_json(kv_buf *out, const kvet_pack *pack);

/* CI reporters (docs/output.md).  Each appends one complete document and
 * returns 0, or -1 when the buffer ran out of memory.  The output depends
 * only on the result and the options: no timestamps, no host names. */
int report_sarif(kv_buf *out, const kvet_result *res, const report_opts *o);    /* SARIF 2.1.0 */
int report_junit(kv_buf *out, const kvet_result *res, const report_opts *o);    /* JUnit XML */
int report_tap(kv_buf *out, const kvet_result *res, const report_opts *o);      /* TAP version 14 */
int report_github(kv_buf *out, const kvet_result *res, const report_opts *o);   /* Actions workflow commands */
int report_codeclimate(kv_buf *out, const kvet_result *res, const report_opts *o); /* GitLab code quality */
int report_markdown(kv_buf *out, const kvet_result *res, const report_opts *o); /* a pull-request comment */
int report_html(kv_buf *out, const kvet_result *res, const report_opts *o);     /* the audit report */

/* ---- helpers shared by the CI reporters (report_util.c) ---- */

/* "Kind ns/name", "Kind name" or "Kind (unnamed)". */
void cli_resource_label(kv_buf *b, const kvet_resource *r);

/* The file a finding points at: its own, else its resource's. */
const char *cli_finding_file(const kvet_finding *f, const kvet_resource *r);
/* A finding's identity as 16 hex digits: its rule and resource (and
 * environment), never its line, so it survives edits that move it; nth
 * tells apart repeated findings of one rule on one resource. */
void cli_finding_fingerprint(char out[17], const kvet_finding *f, const kvet_resource *r, size_t nth);

/* True when the finding counts against the fail level (--fail-level). */
bool cli_finding_fails(const kvet_finding *f, const report_opts *o);

/* The text of a string literal as rule sources write it (kvet_rule_info's
 * remedy is the template's source): the quotes are dropped and the simple
 * escapes resolved; anything that is not a quoted literal is copied. */
void cli_literal_text(kv_buf *b, const char *s);

/* Text for a Markdown table cell or list item (the markdown reports of check
 * and diff), at most max bytes (0: all); arrows: "->" becomes an arrow. */
void cli_md_text(kv_buf *b, const char *s, size_t max, bool arrows);

/* The rules a report describes: every rule of the pack in pack order, then
 * any rule named by a finding that the pack does not list (so a report is
 * complete even without a pack). */
typedef struct cli_rules {
    kvet_rule_info *v;
    size_t n, cap;
    char **own;                /* strings copied by cli_rules_note */
    size_t nown;
} cli_rules;

int cli_rules_collect(cli_rules *rules, const kvet_result *res, const kvet_pack *pack); /* 0 or -1 (memory) */
/* The same list made as the resources come: the pack's rules, then each
 * finding's rule when it is not listed yet, with its strings copied when
 * the finding does not outlive the list (copy).  0 or -1 (memory). */
int cli_rules_of_pack(cli_rules *rules, const kvet_pack *pack);
int cli_rules_note(cli_rules *rules, const kvet_finding *f, bool copy);
void cli_rules_free(cli_rules *rules);
/* Index of the rule with this id, or -1. */
long cli_rules_find(const cli_rules *rules, const char *id);

/* A kvet_value as JSON text. */
void cli_value_json(kv_buf *b, kvet_value v);

#endif
