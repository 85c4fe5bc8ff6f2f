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

/* Exit codes: part of the contract, documented in README.md and kvet(1). */
enum {
    KVET_EXIT_OK = 0,       /* nothing at or above the fail level */
    KVET_EXIT_FINDINGS = 1, /* findings at or above the fail level */
    KVET_EXIT_ERROR = 2     /* usage, input or rule errors */
};

/* A growable string used by the reporters. */
typedef struct cli_buf {
    char *data;
    size_t len, cap;
    bool oom;
} cli_buf;

void cli_buf_init(cli_buf *b);
void cli_buf_free(cli_buf *b);
void cli_buf_put(cli_buf *b, const char *s, size_t n);
void cli_buf_puts(cli_buf *b, const char *s);
void cli_buf_printf(cli_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

typedef struct report_opts {
    bool color;
    bool quiet;              /* text: findings only, no summary */
    kvet_severity fail_level;
    bool fail_never;
    const kvet_pack *pack;
    const char *const *inputs;
    size_t ninputs;
} report_opts;

/* Reporters append to a buffer; the caller writes it out (atomically for
 * --output). */
void report_text(cli_buf *out, const kvet_result *res, const report_opts *o);
int report_json(cli_buf *out, const kvet_result *res, const report_opts *o);
void report_explain(cli_buf *out, const kvet_result *res, const report_opts *o, const char *only);

/* Shortest round-trip text of a double. */
void cli_format_double(char out[32], double d);
/* A kvet_value as JSON text. */
void cli_value_json(cli_buf *b, kvet_value v);
void cli_json_string(cli_buf *b, const char *s, size_t n);

#endif
