/*
 * parse.h - the rule-language front end: flex scanner + bison parser.
 *
 * Both are reentrant and keep all state in kv_parser.  Syntax errors are
 * reported through kv_diag() with the file, line, column, the source line
 * and what was expected; the parser recovers at the next item so several
 * errors are reported per file.
 */
#ifndef KV_PARSE_H
#define KV_PARSE_H

#include "kvet/kvet.h"
#include "arena.h"
#include "ast.h"

typedef struct kv_parser {
    kvet_ctx *ctx;
    kv_arena *arena;          /* nodes go here */
    const char *file;         /* name used in diagnostics */
    uint32_t src;
    const char *text;         /* the whole source, for excerpts */
    size_t len;
    uint32_t base_line, base_col, base_off; /* where `text` starts in its file */
    const char *file_text;    /* whole file text when parsing a fragment */
    size_t file_len;
    kv_node *root;
    int errors;
    int mode;                 /* KV_PARSE_FILE or KV_PARSE_EXPR */
    int lex_fail_alloc;       /* testing: the scanner's n-th allocation fails (0: none) */
    int gave_up;              /* the scanner ran out of memory: later errors are its echo */
} kv_parser;

enum { KV_PARSE_FILE = 1, KV_PARSE_EXPR = 2 };

/* Parse a whole rule file.  Returns the FILE node, or NULL when errors were
 * reported. */
kv_node *kv_parse_file(kvet_ctx *ctx, kv_arena *arena, const char *file,
                       uint32_t src, const char *text, size_t len);

/* The same, for tests: the scanner's fail_alloc-th allocation fails. */
kv_node *kv_parse_file_failing(kvet_ctx *ctx, kv_arena *arena, const char *file,
                               uint32_t src, const char *text, size_t len, int fail_alloc);

/* Parse one expression that sits inside a larger file (a `{...}` in a
 * message template) at the given position; positions in the result are
 * those of the enclosing file. */
kv_node *kv_parse_expr_at(kvet_ctx *ctx, kv_arena *arena, const char *file,
                          uint32_t src, const char *file_text, size_t file_len,
                          uint32_t off, uint32_t len, uint32_t line, uint32_t col);

/* Report an error at a span of the parser's file, with the source line. */
void kv_parse_error_at(kv_parser *p, kv_span sp, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* A token of the source as the scanner sees it: its kind (a bison token
 * number, a character, or KV_TOK_COMMENT), byte span and lines. */
typedef struct kv_token {
    int kind;
    uint32_t off, end_off;
    uint32_t line, end_line;
} kv_token;

enum { KV_TOK_COMMENT = 0x10000 };

/* All tokens of a file, comments included (format.c).  *out is malloc'd.
 * 0, or -1 when out of memory.  Lexical errors go to p's diagnostics. */
int kv_lex_tokens(kv_parser *p, const char *text, size_t len, kv_token **out, size_t *n);

/* Decode the escape sequence at text[*i] (a backslash) of a double-quoted
 * literal ending before text[end], appending at most 4 bytes to out[*o...]
 * and leaving *i on its last character.  0, or -1 for an invalid escape. */
int kv_unescape(const char *text, size_t end, size_t *i, char *out, size_t *o);

/* Split a message template into a TEMPLATE node of STRING and expression
 * parts ("{expr}" interpolates, "{{" and "}}" are literal braces).  The
 * string node's span gives the positions. */
kv_node *kv_parse_template(kv_parser *p, kv_node *str);

#endif
