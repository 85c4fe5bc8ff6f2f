/*
 * format.c - `kvet fmt`: rule files laid out canonically.
 *
 * The formatter keeps the author's line breaks and comments and decides
 * everything else: indentation, the spaces between tokens, blank lines
 * (at most one, none at the start of a block or the file), and the end of
 * the file.  It works on the token stream (comments included) of a file
 * that parses, so the result has the same tokens in the same order and
 * therefore the same meaning; because only the tokens and line breaks
 * decide the layout, formatting twice gives what formatting once gave.
 *
 * Indentation, two spaces a level:
 *   - items (pack, import, param, const, let, fn, for, override, disable,
 *     view, derive, rule) at their block's depth;
 *   - rule clauses (each, when, require, forbid, at, message, remedy,
 *     link, doc, meta, and a `let` before the rule's first require or
 *     forbid) one level deeper than their rule;
 *   - a `let` inside an expression (`let x = v in body`) is no item at all;
 *   - inside a bracket that ends its line, one level deeper than the line
 *     that opened it, and the closing bracket back at that line's depth;
 *   - any other continuation line two levels deeper than the line that
 *     began its item or clause (or than the line of an open bracket that
 *     does not end its line);
 *   - a comment on its own line like the code line after it.
 */
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "ctx.h"
#include "parse.h"
#include "parser.h"
#include "value.h"

enum { INDENT = 2 };

static bool is_item_kw(int k)
{
    return k == PACK || k == IMPORT || k == PARAM || k == CONST || k == LET || k == FN || k == FOR ||
           k == OVERRIDE || k == DISABLE || k == VIEW || k == DERIVE || k == RULE;
}

static bool is_clause_kw(int k)
{
    return k == EACH || k == WHEN || k == REQUIRE || k == FORBID || k == AT || k == MESSAGE || k == REMEDY ||
           k == LINK || k == DOC || k == META;
}

static bool is_opener(int k) { return k == '(' || k == '[' || k == '{'; }

/* Tokens after which a `let` is part of an expression (`let x = v in
 * body`) rather than the start of an item or clause. */
static bool expects_operand(int k)
{
    switch (k) {
    case '=': case '(': case '[': case '{': case ',': case ':': case ARROW: case IN: case NOTIN: case ELSE:
    case WHEN: case REQUIRE: case FORBID: case AT: case NOT: case AND: case OR: case COALESCE: case EQ: case NE:
    case LE: case GE: case '<': case '>': case '+': case '-': case '*': case '/': case '%':
        return true;
    default:
        return false;
    }
}
static bool is_closer(int k) { return k == ')' || k == ']' || k == '}'; }

/* Tokens after which a value ends: a following `-` is binary, a `(` or
 * `[` a call or an index. */
static bool ends_value(int k)
{
    return k == IDENT || k == INT || k == FLOAT || k == STRING || k == DERIVED || k == ')' || k == ']' ||
           k == '}' || k == TRUE_KW || k == FALSE_KW || k == NULL_KW || k == ABSENT_KW;
}

/* The spaces between two tokens on one line (0 or 1); prev2 is the token
 * before prev, wherever it stands. */
static int space_between(int prev2, int prev, int cur)
{
    if (cur == ',' || cur == ':' || cur == '.' || is_closer(cur))
        return 0;
    if (prev == '.' || is_opener(prev))
        return 0;
    if ((cur == '(' || cur == '[') && ends_value(prev))
        return 0;
    if (prev == '-' && !ends_value(prev2))
        return 0; /* a unary minus sticks to its operand */
    return 1;
}

typedef struct open_bracket {
    bool block;             /* the braces of a `for` block */
    bool hanging;           /* it ended its line: items inside go on lines of their own */
    int line_indent;        /* indent of the line that opened it */
    int inside;             /* indent of the lines inside it */
} open_bracket;

typedef struct fmt {
    const char *text;
    const kv_token *t;
    size_t n;
    kv_buf out;
    open_bracket *stack;
    size_t depth, cap;
    int line;               /* indent of the line being written */
    int stmt_indent;        /* the line that began the current item or clause */
    int rule_indent;        /* the current rule's line, -1 outside a rule */
    bool rule_checked;      /* the current rule has had a require or forbid */
    int stmt_kind;          /* the keyword that began the current item */
    size_t stmt_depth;      /* bracket depth at which the item began */
    int prev;               /* the last code token before the line */
} fmt;

static int block_indent(const fmt *f)
{
    for (size_t i = f->depth; i-- > 0;)
        if (f->stack[i].block)
            return f->stack[i].inside;
    return 0;
}

static bool in_block_or_top(const fmt *f)
{
    return f->depth == 0 || f->stack[f->depth - 1].block;
}

static void begin_item(fmt *f, int kind, int indent)
{
    f->stmt_kind = kind;
    f->stmt_indent = indent;
    f->stmt_depth = f->depth;
    f->rule_indent = kind == RULE ? indent : -1;
    f->rule_checked = false;
}

/* Does token i (of kind k, after code token prev) begin an item, a rule's
 * `let` clause, or neither? */
enum { NOT_ITEM, ITEM, RULE_LET };
static int item_start(const fmt *f, int k, int prev)
{
    if (!is_item_kw(k) || !in_block_or_top(f))
        return NOT_ITEM;
    if (k == LET && prev && expects_operand(prev) && !(prev == '{' && f->depth && f->stack[f->depth - 1].block))
        return NOT_ITEM;
    if (k == LET && f->rule_indent >= 0 && !f->rule_checked && f->depth == f->stmt_depth)
        return RULE_LET;
    return ITEM;
}

/* The indentation of a code line starting with token i; notes a new item
 * or clause. */
static int line_indent(fmt *f, size_t i)
{
    int k = f->t[i].kind;
    if (is_closer(k) && f->depth > 0)
        return f->stack[f->depth - 1].line_indent;
    if (f->depth > f->stmt_depth && !f->stack[f->depth - 1].block) {
        const open_bracket *b = &f->stack[f->depth - 1];
        /* in a hanging bracket an element begins after `,` or the bracket;
         * anything else continues the element before */
        if (b->hanging && f->prev != ',' && !is_opener(f->prev))
            return b->inside + 2 * INDENT;
        return b->inside;
    }
    int start = item_start(f, k, f->prev);
    if (start == ITEM) {
        begin_item(f, k, block_indent(f));
        return f->stmt_indent;
    }
    if ((start == RULE_LET || is_clause_kw(k)) && f->rule_indent >= 0 && f->depth == f->stmt_depth) {
        f->stmt_indent = f->rule_indent + INDENT;
        return f->stmt_indent;
    }
    return f->stmt_indent + 2 * INDENT;
}

/* Brackets and items on a line, after its indent is known; prev is the
 * code token before token i. */
static void track(fmt *f, size_t i, int prev, bool first_on_line, bool last_on_line)
{
    int k = f->t[i].kind;
    if (k == REQUIRE || k == FORBID)
        f->rule_checked = true;
    /* an item that does not start its line (line_indent saw the others) */
    if (!first_on_line && item_start(f, k, prev) == ITEM)
        begin_item(f, k, f->line);
    if (is_opener(k)) {
        bool block = k == '{' && f->stmt_kind == FOR && f->depth == f->stmt_depth;
        open_bracket b = {block, last_on_line, f->line, f->line + (block || last_on_line ? INDENT : 2 * INDENT)};
        if (f->depth == f->cap) {
            size_t ncap = f->cap ? f->cap * 2 : 32;
            open_bracket *nv = realloc(f->stack, ncap * sizeof *nv);
            if (!nv) {
                f->out.oom = true;
                return;
            }
            f->stack = nv;
            f->cap = ncap;
        }
        f->stack[f->depth++] = b;
        if (block)
            begin_item(f, 0, b.inside);
    } else if (is_closer(k) && f->depth > 0) {
        bool block = f->stack[--f->depth].block;
        if (block)
            begin_item(f, 0, block_indent(f));
        if (f->depth < f->stmt_depth)
            f->stmt_depth = f->depth;
    }
}

/* The indentation of a comment line before code token `next` (n at the
 * end of the file): that of the code line after it, or of the inside of
 * the bracket that line closes. */
static int comment_indent(const fmt *f, size_t next)
{
    if (next >= f->n)
        return block_indent(f);
    if (is_closer(f->t[next].kind) && f->depth > 0)
        return f->stack[f->depth - 1].inside;
    fmt probe = *f;
    return line_indent(&probe, next);
}

static void put_indent(fmt *f, int n)
{
    for (; n > 0; n--)
        kv_buf_putc(&f->out, ' ');
}

/* A comment without trailing white space. */
static void put_comment(fmt *f, const kv_token *t)
{
    size_t end = t->end_off;
    while (end > t->off && (f->text[end - 1] == ' ' || f->text[end - 1] == '\t' || f->text[end - 1] == '\r'))
        end--;
    kv_buf_put(&f->out, f->text + t->off, end - t->off);
}

/* A token as written, except `not in`, whose two words may be apart. */
static void put_token(fmt *f, const kv_token *t)
{
    if (t->kind == NOTIN)
        kv_buf_puts(&f->out, "not in");
    else
        kv_buf_put(&f->out, f->text + t->off, t->end_off - t->off);
}

static void layout(fmt *f)
{
    int prev = 0, prev2 = 0;    /* the last two code tokens */
    uint32_t last_line = 0;     /* last source line written */
    bool wrote = false, after_opener = false;
    size_t i = 0;
    while (i < f->n) {
        uint32_t line = f->t[i].line;
        size_t end = i;
        while (end < f->n && f->t[end].line == line)
            end++;
        size_t first_code = i;
        while (first_code < end && f->t[first_code].kind == KV_TOK_COMMENT)
            first_code++;
        size_t last_code = end;
        for (size_t j = i; j < end; j++)
            if (f->t[j].kind != KV_TOK_COMMENT)
                last_code = j;

        /* one blank line where there were any, but not at the start of the
         * file, after an opening bracket or before a closing one */
        bool closer_next = first_code < end && is_closer(f->t[first_code].kind);
        if (wrote && line > last_line + 1 && !after_opener && !closer_next)
            kv_buf_putc(&f->out, '\n');

        if (first_code == end) {
            /* a line of comments only */
            size_t next = end;
            while (next < f->n && f->t[next].kind == KV_TOK_COMMENT)
                next++;
            if (next < f->n && is_closer(f->t[next].kind))
                closer_next = true;
            f->prev = prev;
            put_indent(f, comment_indent(f, next));
            put_comment(f, &f->t[i]);
        } else {
            f->prev = prev;
            f->line = line_indent(f, first_code);
            put_indent(f, f->line);
            for (size_t j = i; j < end; j++) {
                const kv_token *t = &f->t[j];
                if (t->kind == KV_TOK_COMMENT) {
                    if (j > i)
                        kv_buf_putc(&f->out, ' ');
                    put_comment(f, t);
                    continue;
                }
                if (j > first_code && space_between(prev2, prev, t->kind))
                    kv_buf_putc(&f->out, ' ');
                put_token(f, t);
                int before = prev;
                prev2 = prev;
                prev = t->kind;
                track(f, j, before, j == first_code, j == last_code);
            }
            after_opener = is_opener(prev);
        }
        kv_buf_putc(&f->out, '\n');
        wrote = true;
        last_line = f->t[end - 1].end_line;
        i = end;
    }
}

int kvet_format_source(kvet_ctx *ctx, const char *name, const char *text, size_t len, char **out,
                       size_t *out_len)
{
    *out = NULL;
    if (out_len)
        *out_len = 0;
    /* the scanner and the excerpts of diagnostics want a NUL at the end */
    char *copy = malloc(len + 1);
    if (!copy) {
        kv_diag(ctx, KVET_SEV_ERROR, name, 0, 0, 0, NULL, "out of memory");
        return -1;
    }
    memcpy(copy, text, len);
    copy[len] = '\0';
    kv_arena arena;
    kv_arena_init(&arena);
    uint32_t src = kv_source_add(ctx, name);
    size_t before = kvet_error_count(ctx);
    kv_node *root = kv_parse_file(ctx, &arena, name, src, copy, len);
    int rc = -1;
    if (root && kvet_error_count(ctx) == before) {
        kv_parser p;
        memset(&p, 0, sizeof p);
        p.ctx = ctx;
        p.arena = &arena;
        p.file = name;
        p.src = src;
        p.text = p.file_text = copy;
        p.len = p.file_len = len;
        p.mode = KV_PARSE_FILE;
        kv_token *toks = NULL;
        size_t n = 0;
        if (kv_lex_tokens(&p, copy, len, &toks, &n) == 0) {
            fmt f;
            memset(&f, 0, sizeof f);
            f.text = copy;
            f.t = toks;
            f.n = n;
            f.rule_indent = -1;
            kv_buf_init(&f.out);
            layout(&f);
            if (f.out.oom) {
                kv_buf_free(&f.out);
            } else {
                size_t olen = f.out.len;
                *out = f.out.data ? kv_buf_take(&f.out) : strdup("");
                if (out_len)
                    *out_len = *out ? olen : 0;
                rc = *out ? 0 : -1;
            }
            free(f.stack);
        }
        free(toks);
        if (rc < 0)
            kv_diag(ctx, KVET_SEV_ERROR, name, 0, 0, 0, NULL, "out of memory");
    }
    kv_arena_free(&arena);
    free(copy);
    return rc;
}
