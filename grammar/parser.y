/*
 * parser.y - grammar of the kvet rule language (see docs/language.md).
 *
 * A pure, reentrant bison parser with locations and LAC.  Actions are thin:
 * they build AST nodes in the compilation arena (so error recovery cannot
 * leak).  One grammar serves whole files and single expressions (message
 * template interpolations); a leading start token chooses between them.
 */
%require "3.6"
%define api.pure full
%define api.prefix {kvyy}
%define parse.error custom
%define parse.lac full
%locations
%expect 0
%parse-param {void *scanner} {kv_parser *p}
%lex-param {void *scanner}

%code requires {
#include <stdint.h>
#include "parse.h"

typedef struct KVYYLTYPE {
    int first_line, first_column, last_line, last_column;
    uint32_t src, off, end_off;
} KVYYLTYPE;
#define KVYYLTYPE_IS_DECLARED 1
#define KVYYLTYPE_IS_TRIVIAL 1

#define YYLLOC_DEFAULT(Cur, Rhs, N)                                   \
    do {                                                              \
        if (N) {                                                      \
            (Cur).first_line = YYRHSLOC(Rhs, 1).first_line;           \
            (Cur).first_column = YYRHSLOC(Rhs, 1).first_column;       \
            (Cur).off = YYRHSLOC(Rhs, 1).off;                         \
            (Cur).last_line = YYRHSLOC(Rhs, N).last_line;             \
            (Cur).last_column = YYRHSLOC(Rhs, N).last_column;         \
            (Cur).end_off = YYRHSLOC(Rhs, N).end_off;                 \
            (Cur).src = YYRHSLOC(Rhs, 1).src;                         \
        } else {                                                      \
            (Cur).first_line = (Cur).last_line = YYRHSLOC(Rhs, 0).last_line;       \
            (Cur).first_column = (Cur).last_column = YYRHSLOC(Rhs, 0).last_column; \
            (Cur).off = (Cur).end_off = YYRHSLOC(Rhs, 0).end_off;     \
            (Cur).src = YYRHSLOC(Rhs, 0).src;                         \
        }                                                             \
    } while (0)
}

%union {
    kv_node *node;
    struct { const char *s; uint32_t n; } str;
    int64_t i;
    double f;
    int sev;
}

%code provides {
int kvyylex(KVYYSTYPE *lval, KVYYLTYPE *lloc, void *scanner);
int kvyyparse(void *scanner, kv_parser *p);
}

%code {
#include <string.h>
#include <stdarg.h>
#include <stdlib.h>
#include "kvet/kvet.h"
#include "ctx.h"
#include "value.h"

static kv_span S(const KVYYLTYPE *l)
{
    kv_span s;
    s.src = l->src;
    s.line = (uint32_t)l->first_line;
    s.col = (uint32_t)l->first_column;
    s.end_line = (uint32_t)l->last_line;
    s.end_col = (uint32_t)l->last_column;
    s.off = l->off;
    s.end_off = l->end_off;
    return s;
}

#define MK(kind, loc) kv_node_new(p->arena, KV_N_##kind, S(&(loc)))
#define ADD(n, kid) kv_node_add(p->arena, (n), (kid))

static kv_node *mk_str(kv_parser *p, kv_node_kind k, const KVYYLTYPE *loc, const char *s, uint32_t n)
{
    kv_node *x = kv_node_new(p->arena, k, S(loc));
    if (x) { x->str = s; x->slen = n; }
    return x;
}

/* Adjacent string literals ("a" "b") are one string, as in C: a long
 * message, doc or link can be split over lines. */
static kv_node *cat_str(kv_parser *p, kv_node *x, const KVYYLTYPE *loc, const char *s, uint32_t n)
{
    if (!x)
        return NULL;
    char *t = kv_arena_alloc(p->arena, (size_t)x->slen + n + 1);
    if (!t)
        return NULL;
    memcpy(t, x->str, x->slen);
    memcpy(t + x->slen, s, n);
    t[x->slen + n] = '\0';
    x->str = t;
    x->slen += n;
    x->span = kv_span_join(x->span, S(loc));
    return x;
}

/* ... and for message templates, the pieces' parts in order. */
static kv_node *cat_tpl(kv_parser *p, kv_node *t, kv_node *more)
{
    if (!t || !more)
        return NULL;
    for (uint32_t i = 0; i < more->nkids; i++)
        if (!kv_node_add(p->arena, t, more->kids[i]))
            return NULL;
    t->span = kv_span_join(t->span, more->span);
    return t;
}

static kv_node *mk_bin(kv_parser *p, kv_node_kind k, int op, const KVYYLTYPE *loc, kv_node *a, kv_node *b)
{
    kv_node *x = kv_node_new(p->arena, k, S(loc));
    if (x) { x->op = (uint16_t)op; x->a = a; x->b = b; }
    return x;
}

/* let NAME = value in body: the node's span is the name's (diagnostics
 * about the binding point there); body and value are its children. */
static kv_node *mk_let(kv_parser *p, const KVYYLTYPE *name, const char *s, uint32_t n, kv_node *value,
                       kv_node *body)
{
    kv_node *x = mk_str(p, KV_N_LETIN, name, s, n);
    if (x) { x->a = value; x->b = body; }
    return x;
}

static char *join_dotted(kv_parser *p, const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    char *s = kv_arena_alloc(p->arena, la + lb + 2);
    if (!s) return NULL;
    memcpy(s, a, la);
    s[la] = '.';
    memcpy(s + la + 1, b, lb + 1);
    return s;
}

static void kvyyerror(const KVYYLTYPE *loc, void *scanner, kv_parser *p, const char *msg)
{
    (void)scanner;
    kv_parse_error_at(p, S(loc), "%s", msg);
}
}

%token START_FILE START_EXPR
%token <str> IDENT "identifier" STRING "string" DERIVED "derived value" RULEID "rule id"
%token <i> INT "integer"
%token <f> FLOAT "number"
%token ARROW "=>" EQ "==" NE "!=" LE "<=" GE ">=" COALESCE "??" NOTIN "not in"
%token ABSENT_KW "absent" AND "and" AS "as" AT "at" DERIVE "derive" DISABLE "disable" DOC "doc"
%token EACH "each" ELSE "else" SEV_ERROR "error" FALSE_KW "false" FN "fn" FOR "for" FORBID "forbid"
%token IMPORT "import" IN "in" SEV_INFO "info" LET "let" LINK "link" MESSAGE "message" META "meta"
%token NOT "not" NULL_KW "null" OR "or" OVERRIDE "override" PACK "pack" PARAM "param" CONST "const"
%token REMEDY "remedy" REQUIRE "require" RULE "rule" SEVERITY "severity" TRUE_KW "true"
%token SEV_WARNING "warning" VIEW "view" WHEN "when" WHERE "where"
%token ERROR_TOKEN "invalid token"

%type <node> file items item for_item selectors selector block_items block_item rule clauses clause
%type <node> pre_clauses pre_clause check view_values text tpl
%type <node> expr cexpr cond_expr bind_expr bexpr postfix primary args arg list_items map_items params lambda_params
%type <str> dotted_name
%type <sev> severity

%precedence RULE_UNCHECKED  /* a rule without require/forbid yet: a `let` after it is the rule's */
%precedence LET
%left OR
%left AND
%precedence NOT
%nonassoc EQ NE '<' LE '>' GE IN NOTIN
%right COALESCE
%left '+' '-'
%left '*' '/' '%'
%precedence UMINUS

%%

start
    : START_FILE file           { p->root = $2; }
    | START_EXPR expr           { p->root = $2; }
    ;

file
    : PACK dotted_name STRING items {
          $$ = $4;
          kv_node *pk = mk_str(p, KV_N_PACK, &@2, $2.s, $2.n);
          if (pk) { pk->a = mk_str(p, KV_N_STRING, &@3, $3.s, $3.n); }
          if ($$) $$->a = pk;
      }
    | PACK dotted_name items {
          $$ = $3;
          if ($$) $$->a = mk_str(p, KV_N_PACK, &@2, $2.s, $2.n);
      }
    | items {
          kv_span sp = {p->src, 1, 1, 1, 1, 0, 0};
          kv_parse_error_at(p, sp, "a rule file must begin with `pack NAME \"VERSION\"`");
          $$ = $1;
      }
    ;

dotted_name
    : IDENT                     { $$ = $1; }
    | dotted_name '.' IDENT     { $$.s = join_dotted(p, $1.s, $3.s); $$.n = $$.s ? (uint32_t)strlen($$.s) : 0; }
    ;

items
    : %empty                    { kv_span sp = {p->src, 1, 1, 1, 1, 0, 0}; $$ = kv_node_new(p->arena, KV_N_FILE, sp); }
    | items item                { $$ = $1; if ($2) ADD($$, $2); }
    ;

item
    : IMPORT dotted_name        { $$ = mk_str(p, KV_N_IMPORT, &@2, $2.s, $2.n); }
    | IMPORT dotted_name AS IDENT {
          $$ = mk_str(p, KV_N_IMPORT, &@2, $2.s, $2.n);
          if ($$) $$->a = mk_str(p, KV_N_NAME, &@4, $4.s, $4.n);
      }
    | PARAM IDENT '=' expr      { $$ = mk_str(p, KV_N_PARAM, &@2, $2.s, $2.n); if ($$) $$->a = $4; }
    | PARAM IDENT '=' expr DOC text {
          $$ = mk_str(p, KV_N_PARAM, &@2, $2.s, $2.n);
          if ($$) { $$->a = $4; $$->b = $6; }
      }
    | CONST IDENT '=' expr      { $$ = mk_str(p, KV_N_CONST, &@2, $2.s, $2.n); if ($$) $$->a = $4; }
    | LET IDENT '=' expr        { $$ = mk_str(p, KV_N_GLET, &@2, $2.s, $2.n); if ($$) $$->a = $4; }
    | FN IDENT '(' ')' '=' expr {
          $$ = mk_str(p, KV_N_FN, &@2, $2.s, $2.n);
          if ($$) { $$->a = MK(LIST, @3); $$->b = $6; }
      }
    | FN IDENT '(' params ')' '=' expr {
          $$ = mk_str(p, KV_N_FN, &@2, $2.s, $2.n);
          if ($$) { $$->a = $4; $$->b = $7; }
      }
    | for_item                  { $$ = $1; }
    | OVERRIDE RULEID SEVERITY severity {
          $$ = mk_str(p, KV_N_OVERRIDE, &@2, $2.s, $2.n);
          if ($$) $$->op = (uint16_t)$4;
      }
    | DISABLE RULEID            { $$ = mk_str(p, KV_N_DISABLE, &@2, $2.s, $2.n); }
    | VIEW IDENT view_values    { $$ = mk_str(p, KV_N_VIEW, &@2, $2.s, $2.n); if ($$) $$->a = $3; }
    | error                     { $$ = NULL; }
    ;

view_values
    : DERIVED                   { $$ = MK(LIST, @1); ADD($$, mk_str(p, KV_N_DERIVED, &@1, $1.s, $1.n)); }
    | view_values ',' DERIVED   { $$ = $1; ADD($$, mk_str(p, KV_N_DERIVED, &@3, $3.s, $3.n)); }
    ;

params
    : IDENT                     { $$ = MK(LIST, @1); ADD($$, mk_str(p, KV_N_NAME, &@1, $1.s, $1.n)); }
    | params ',' IDENT          { $$ = $1; ADD($$, mk_str(p, KV_N_NAME, &@3, $3.s, $3.n)); }
    ;

for_item
    : FOR selectors AS IDENT '{' block_items '}' {
          $$ = MK(FOR, @1);
          if ($$) { $$->a = $2; $$->str = $4.s; $$->slen = $4.n; $$->b = mk_str(p, KV_N_NAME, &@4, $4.s, $4.n); $$->c = $6; }
      }
    | FOR selectors AS IDENT WHERE expr '{' block_items '}' {
          $$ = MK(FOR, @1);
          if ($$) {
              $$->a = $2; $$->str = $4.s; $$->slen = $4.n; $$->b = mk_str(p, KV_N_NAME, &@4, $4.s, $4.n);
              $$->c = $8;
              if ($$->c) $$->c->a = $6; /* the where clause rides on the item list */
          }
      }
    ;

selectors
    : selector                  { $$ = MK(LIST, @1); ADD($$, $1); }
    | selectors ',' selector    { $$ = $1; ADD($$, $3); }
    ;

selector
    : IDENT                     { $$ = mk_str(p, KV_N_SELECTOR, &@1, $1.s, $1.n); }
    | IDENT STRING              {
          $$ = mk_str(p, KV_N_SELECTOR, &@$, $1.s, $1.n);
          if ($$) $$->a = mk_str(p, KV_N_STRING, &@2, $2.s, $2.n);
      }
    ;

block_items
    : %empty                    { kv_span sp = {p->src, 0, 0, 0, 0, 0, 0}; $$ = kv_node_new(p->arena, KV_N_LIST, sp); }
    | block_items block_item    { $$ = $1; if ($2) ADD($$, $2); }
    ;

block_item
    : LET IDENT '=' expr        { $$ = mk_str(p, KV_N_LET, &@2, $2.s, $2.n); if ($$) $$->a = $4; }
    | DERIVE dotted_name '=' expr {
          $$ = mk_str(p, KV_N_DERIVE, &@2, $2.s, $2.n);
          if ($$) $$->a = $4;
      }
    | rule                      { $$ = $1; }
    | error                     { $$ = NULL; }
    ;

severity
    : SEV_ERROR                 { $$ = KVET_SEV_ERROR; }
    | SEV_WARNING               { $$ = KVET_SEV_WARNING; }
    | SEV_INFO                  { $$ = KVET_SEV_INFO; }
    ;

/* A rule's clauses.  Before its first require/forbid a rule may bind
 * values for the clauses after them (`let NAME = EXPR`); after it, a `let`
 * is the block's next item, as it always was. */
rule
    : RULE RULEID severity STRING pre_clauses %prec RULE_UNCHECKED {
          $$ = mk_str(p, KV_N_RULE, &@2, $2.s, $2.n);
          if ($$) {
              $$->op = (uint16_t)$3;
              $$->a = mk_str(p, KV_N_STRING, &@4, $4.s, $4.n);
              $$->b = $5;
          }
      }
    | RULE RULEID severity STRING pre_clauses check clauses {
          $$ = mk_str(p, KV_N_RULE, &@2, $2.s, $2.n);
          if ($$) {
              $$->op = (uint16_t)$3;
              $$->a = mk_str(p, KV_N_STRING, &@4, $4.s, $4.n);
              $$->b = $5;
              if ($$->b) {
                  ADD($$->b, $6);
                  for (uint32_t i = 0; $7 && i < $7->nkids; i++)
                      ADD($$->b, $7->kids[i]);
              }
          }
      }
    ;

pre_clauses
    : %empty                    { kv_span sp = {p->src, 0, 0, 0, 0, 0, 0}; $$ = kv_node_new(p->arena, KV_N_LIST, sp); }
    | pre_clauses pre_clause    { $$ = $1; if ($2) ADD($$, $2); }
    ;

pre_clause
    : clause                    { $$ = $1; }
    | LET IDENT '=' cond_expr   { $$ = mk_str(p, KV_N_RLET, &@2, $2.s, $2.n); if ($$) $$->a = $4; }
    ;

clauses
    : %empty                    { kv_span sp = {p->src, 0, 0, 0, 0, 0, 0}; $$ = kv_node_new(p->arena, KV_N_LIST, sp); }
    | clauses clause            { $$ = $1; if ($2) ADD($$, $2); }
    | clauses check             { $$ = $1; if ($2) ADD($$, $2); }
    ;

check
    : REQUIRE cond_expr         { $$ = MK(REQUIRE, @1); if ($$) $$->a = $2; }
    | FORBID cond_expr          { $$ = MK(FORBID, @1); if ($$) $$->a = $2; }
    ;

clause
    : EACH IDENT IN cexpr       {
          $$ = MK(EACH, @1);
          if ($$) { $$->a = $4; $$->b = mk_str(p, KV_N_NAME, &@2, $2.s, $2.n); }
      }
    | EACH IDENT ',' IDENT IN cexpr {
          $$ = MK(EACH, @1);
          if ($$) {
              $$->a = $6;
              $$->b = mk_str(p, KV_N_NAME, &@2, $2.s, $2.n);
              $$->c = mk_str(p, KV_N_NAME, &@4, $4.s, $4.n);
          }
      }
    | WHEN cond_expr            { $$ = MK(WHEN, @1); if ($$) $$->a = $2; }
    | AT cond_expr              { $$ = MK(AT, @1); if ($$) $$->a = $2; }
    | MESSAGE tpl               { $$ = MK(MESSAGE, @1); if ($$) $$->a = $2; }
    | REMEDY tpl                { $$ = MK(REMEDY, @1); if ($$) $$->a = $2; }
    | LINK text                 { $$ = MK(LINK, @1); if ($$) $$->a = $2; }
    | DOC text                  { $$ = MK(DOC, @1); if ($$) $$->a = $2; }
    | META IDENT text           {
          $$ = mk_str(p, KV_N_META, &@2, $2.s, $2.n);
          if ($$) $$->a = $3;
      }
    ;

/* one string literal, or several in a row joined into one */
text
    : STRING                    { $$ = mk_str(p, KV_N_STRING, &@1, $1.s, $1.n); }
    | text STRING               { $$ = cat_str(p, $1, &@2, $2.s, $2.n); }
    ;

/* a message template, in one literal or several */
tpl
    : STRING                    { $$ = kv_parse_template(p, mk_str(p, KV_N_STRING, &@1, $1.s, $1.n)); }
    | tpl STRING                { $$ = cat_tpl(p, $1, kv_parse_template(p, mk_str(p, KV_N_STRING, &@2, $2.s, $2.n))); }
    ;

/* expr: the full expression, with the `v when cond [else other]` form;
 * cexpr: without it (used in rule clauses, where `when` starts a clause). */
expr
    : cexpr                     { $$ = $1; }
    | cexpr WHEN cexpr          { $$ = MK(COND, @$); if ($$) { $$->a = $1; $$->b = $3; } }
    | cexpr WHEN cexpr ELSE expr { $$ = MK(COND, @$); if ($$) { $$->a = $1; $$->b = $3; $$->c = $5; } }
    | LET IDENT '=' bind_expr IN expr { $$ = mk_let(p, &@2, $2.s, $2.n, $4, $6); }
    ;

/* the condition of a rule clause: an operator expression, or a local
 * binding around one */
cond_expr
    : cexpr                     { $$ = $1; }
    | LET IDENT '=' bind_expr IN cond_expr { $$ = mk_let(p, &@2, $2.s, $2.n, $4, $6); }
    ;

/* The value bound by `let NAME = VALUE in BODY`: any expression in which an
 * `in` test is parenthesized, since `in` ends the value. */
bind_expr
    : bexpr                     { $$ = $1; }
    | bexpr WHEN bexpr          { $$ = MK(COND, @$); if ($$) { $$->a = $1; $$->b = $3; } }
    | bexpr WHEN bexpr ELSE bind_expr { $$ = MK(COND, @$); if ($$) { $$->a = $1; $$->b = $3; $$->c = $5; } }
    | LET IDENT '=' bind_expr IN bind_expr { $$ = mk_let(p, &@2, $2.s, $2.n, $4, $6); }
    ;

bexpr
    : postfix                   { $$ = $1; }
    | bexpr OR bexpr            { $$ = mk_bin(p, KV_N_OR, 0, &@$, $1, $3); }
    | bexpr AND bexpr           { $$ = mk_bin(p, KV_N_AND, 0, &@$, $1, $3); }
    | NOT bexpr                 { $$ = mk_bin(p, KV_N_UNARY, KV_OP_NOT, &@$, $2, NULL); }
    | bexpr EQ bexpr            { $$ = mk_bin(p, KV_N_BINARY, KV_OP_EQ, &@$, $1, $3); }
    | bexpr NE bexpr            { $$ = mk_bin(p, KV_N_BINARY, KV_OP_NE, &@$, $1, $3); }
    | bexpr '<' bexpr           { $$ = mk_bin(p, KV_N_BINARY, KV_OP_LT, &@$, $1, $3); }
    | bexpr LE bexpr            { $$ = mk_bin(p, KV_N_BINARY, KV_OP_LE, &@$, $1, $3); }
    | bexpr '>' bexpr           { $$ = mk_bin(p, KV_N_BINARY, KV_OP_GT, &@$, $1, $3); }
    | bexpr GE bexpr            { $$ = mk_bin(p, KV_N_BINARY, KV_OP_GE, &@$, $1, $3); }
    | bexpr COALESCE bexpr      { $$ = mk_bin(p, KV_N_COALESCE, 0, &@$, $1, $3); }
    | bexpr '+' bexpr           { $$ = mk_bin(p, KV_N_BINARY, KV_OP_ADD, &@$, $1, $3); }
    | bexpr '-' bexpr           { $$ = mk_bin(p, KV_N_BINARY, KV_OP_SUB, &@$, $1, $3); }
    | bexpr '*' bexpr           { $$ = mk_bin(p, KV_N_BINARY, KV_OP_MUL, &@$, $1, $3); }
    | bexpr '/' bexpr           { $$ = mk_bin(p, KV_N_BINARY, KV_OP_DIV, &@$, $1, $3); }
    | bexpr '%' bexpr           { $$ = mk_bin(p, KV_N_BINARY, KV_OP_MOD, &@$, $1, $3); }
    | '-' bexpr %prec UMINUS    { $$ = mk_bin(p, KV_N_UNARY, KV_OP_NEG, &@$, $2, NULL); }
    ;

cexpr
    : postfix                   { $$ = $1; }
    | cexpr OR cexpr            { $$ = mk_bin(p, KV_N_OR, 0, &@$, $1, $3); }
    | cexpr AND cexpr           { $$ = mk_bin(p, KV_N_AND, 0, &@$, $1, $3); }
    | NOT cexpr                 { $$ = mk_bin(p, KV_N_UNARY, KV_OP_NOT, &@$, $2, NULL); }
    | cexpr EQ cexpr            { $$ = mk_bin(p, KV_N_BINARY, KV_OP_EQ, &@$, $1, $3); }
    | cexpr NE cexpr            { $$ = mk_bin(p, KV_N_BINARY, KV_OP_NE, &@$, $1, $3); }
    | cexpr '<' cexpr           { $$ = mk_bin(p, KV_N_BINARY, KV_OP_LT, &@$, $1, $3); }
    | cexpr LE cexpr            { $$ = mk_bin(p, KV_N_BINARY, KV_OP_LE, &@$, $1, $3); }
    | cexpr '>' cexpr           { $$ = mk_bin(p, KV_N_BINARY, KV_OP_GT, &@$, $1, $3); }
    | cexpr GE cexpr            { $$ = mk_bin(p, KV_N_BINARY, KV_OP_GE, &@$, $1, $3); }
    | cexpr IN cexpr            { $$ = mk_bin(p, KV_N_BINARY, KV_OP_IN, &@$, $1, $3); }
    | cexpr NOTIN cexpr         { $$ = mk_bin(p, KV_N_BINARY, KV_OP_NOTIN, &@$, $1, $3); }
    | cexpr COALESCE cexpr      { $$ = mk_bin(p, KV_N_COALESCE, 0, &@$, $1, $3); }
    | cexpr '+' cexpr           { $$ = mk_bin(p, KV_N_BINARY, KV_OP_ADD, &@$, $1, $3); }
    | cexpr '-' cexpr           { $$ = mk_bin(p, KV_N_BINARY, KV_OP_SUB, &@$, $1, $3); }
    | cexpr '*' cexpr           { $$ = mk_bin(p, KV_N_BINARY, KV_OP_MUL, &@$, $1, $3); }
    | cexpr '/' cexpr           { $$ = mk_bin(p, KV_N_BINARY, KV_OP_DIV, &@$, $1, $3); }
    | cexpr '%' cexpr           { $$ = mk_bin(p, KV_N_BINARY, KV_OP_MOD, &@$, $1, $3); }
    | '-' cexpr %prec UMINUS    { $$ = mk_bin(p, KV_N_UNARY, KV_OP_NEG, &@$, $2, NULL); }
    ;

postfix
    : primary                   { $$ = $1; }
    | postfix '.' IDENT         {
          $$ = mk_str(p, KV_N_FIELD, &@$, $3.s, $3.n);
          if ($$) $$->a = $1;
      }
    | postfix '[' expr ']'      { $$ = mk_bin(p, KV_N_INDEX, 0, &@$, $1, $3); }
    | postfix '(' ')'           { $$ = MK(CALL, @$); if ($$) $$->a = $1; }
    | postfix '(' args ')'      {
          $$ = MK(CALL, @$);
          if ($$ && $3) { $$->a = $1; $$->kids = $3->kids; $$->nkids = $3->nkids; $$->capkids = $3->capkids; }
      }
    ;

args
    : arg                       { $$ = MK(LIST, @1); ADD($$, $1); }
    | args ',' arg              { $$ = $1; ADD($$, $3); }
    ;

arg
    : expr                      { $$ = $1; }
    | IDENT ARROW expr          {
          $$ = MK(LAMBDA, @$);
          if ($$) { $$->a = MK(LIST, @1); ADD($$->a, mk_str(p, KV_N_NAME, &@1, $1.s, $1.n)); $$->b = $3; }
      }
    | '(' lambda_params ')' ARROW expr {
          $$ = MK(LAMBDA, @$);
          if ($$) { $$->a = $2; $$->b = $5; }
      }
    ;

lambda_params
    : IDENT ',' IDENT           {
          $$ = MK(LIST, @$);
          ADD($$, mk_str(p, KV_N_NAME, &@1, $1.s, $1.n));
          ADD($$, mk_str(p, KV_N_NAME, &@3, $3.s, $3.n));
      }
    ;

primary
    : INT                       { $$ = MK(INT, @1); if ($$) $$->i = $1; }
    | FLOAT                     { $$ = MK(FLOAT, @1); if ($$) $$->f = $1; }
    | STRING                    { $$ = mk_str(p, KV_N_STRING, &@1, $1.s, $1.n); }
    | TRUE_KW                   { $$ = MK(BOOL, @1); if ($$) $$->i = 1; }
    | FALSE_KW                  { $$ = MK(BOOL, @1); if ($$) $$->i = 0; }
    | NULL_KW                   { $$ = MK(NULL, @1); }
    | ABSENT_KW                 { $$ = MK(ABSENT, @1); }
    | IDENT                     { $$ = mk_str(p, KV_N_NAME, &@1, $1.s, $1.n); }
    | DERIVED                   { $$ = mk_str(p, KV_N_DERIVED, &@1, $1.s, $1.n); }
    | '(' expr ')'              { $$ = $2; }
    | '[' ']'                   { $$ = MK(LIST, @$); }
    | '[' list_items ']'        { $$ = $2; if ($$) $$->span = S(&@$); }
    | '[' list_items ',' ']'    { $$ = $2; if ($$) $$->span = S(&@$); }
    | '{' '}'                   { $$ = MK(MAP, @$); }
    | '{' map_items '}'         { $$ = $2; if ($$) $$->span = S(&@$); }
    | '{' map_items ',' '}'     { $$ = $2; if ($$) $$->span = S(&@$); }
    ;

list_items
    : expr                      { $$ = MK(LIST, @1); ADD($$, $1); }
    | list_items ',' expr       { $$ = $1; ADD($$, $3); }
    ;

/* map literals keep keys and values alternating in kids */
map_items
    : STRING ':' expr           { $$ = MK(MAP, @1); ADD($$, mk_str(p, KV_N_STRING, &@1, $1.s, $1.n)); ADD($$, $3); }
    | IDENT ':' expr            { $$ = MK(MAP, @1); ADD($$, mk_str(p, KV_N_STRING, &@1, $1.s, $1.n)); ADD($$, $3); }
    | map_items ',' STRING ':' expr { $$ = $1; ADD($$, mk_str(p, KV_N_STRING, &@3, $3.s, $3.n)); ADD($$, $5); }
    | map_items ',' IDENT ':' expr  { $$ = $1; ADD($$, mk_str(p, KV_N_STRING, &@3, $3.s, $3.n)); ADD($$, $5); }
    /* a computed key: {[expr]: value} */
    | '[' expr ']' ':' expr     { $$ = MK(MAP, @1); ADD($$, $2); ADD($$, $5); }
    | map_items ',' '[' expr ']' ':' expr { $$ = $1; ADD($$, $4); ADD($$, $7); }
    ;

%%

/* Name a token for an error message: keywords and operators in backquotes,
 * classes of tokens ("identifier", "string") as plain words. */
static void describe_symbol(kv_buf *b, yysymbol_kind_t sym)
{
    const char *name = yysymbol_name(sym);
    size_t n = strlen(name);
    if (n >= 2 && (name[0] == '"' || name[0] == '\'')) {
        name++;
        n -= 2;
    }
    static const char *const classes[] = {"identifier", "string", "integer", "number", "derived value",
                                          "rule id", "invalid token", "end of file"};
    for (size_t i = 0; i < sizeof classes / sizeof classes[0]; i++) {
        if (strlen(classes[i]) == n && memcmp(classes[i], name, n) == 0) {
            kv_buf_put(b, name, n);
            return;
        }
    }
    kv_buf_putc(b, '`');
    kv_buf_put(b, name, n);
    kv_buf_putc(b, '`');
}

static int yyreport_syntax_error(const yypcontext_t *yyctx, void *scanner, kv_parser *p)
{
    (void)scanner;
    yysymbol_kind_t look = yypcontext_token(yyctx);
    if (look == YYSYMBOL_ERROR_TOKEN)
        return 0; /* the scanner has already reported it */
    enum { MAX_EXPECTED = 8 };
    yysymbol_kind_t expected[MAX_EXPECTED];
    int n = yypcontext_expected_tokens(yyctx, expected, MAX_EXPECTED);
    kv_buf b;
    kv_buf_init(&b);
    kv_buf_puts(&b, "syntax error");
    if (look != YYSYMBOL_YYEMPTY) {
        kv_buf_puts(&b, ": unexpected ");
        describe_symbol(&b, look);
    }
    if (n > 0) {
        kv_buf_puts(&b, look != YYSYMBOL_YYEMPTY ? ", expected " : ": expected ");
        for (int i = 0; i < n; i++) {
            if (i)
                kv_buf_puts(&b, i == n - 1 ? " or " : ", ");
            describe_symbol(&b, expected[i]);
        }
    }
    char *msg = kv_buf_take(&b);
    kv_parse_error_at(p, S(yypcontext_location(yyctx)), "%s", msg ? msg : "syntax error");
    free(msg);
    return 0;
}

int kv_lex_run(kv_parser *p, int start_token, uint32_t line, uint32_t col, uint32_t off,
               const char *text, size_t len);

kv_node *kv_parse_file(kvet_ctx *ctx, kv_arena *arena, const char *file,
                       uint32_t src, const char *text, size_t len)
{
    return kv_parse_file_failing(ctx, arena, file, src, text, len, 0);
}

kv_node *kv_parse_file_failing(kvet_ctx *ctx, kv_arena *arena, const char *file,
                               uint32_t src, const char *text, size_t len, int fail_alloc)
{
    kv_parser p;
    memset(&p, 0, sizeof p);
    p.lex_fail_alloc = fail_alloc;
    p.ctx = ctx;
    p.arena = arena;
    p.file = file;
    p.src = src;
    p.text = text;
    p.len = len;
    p.file_text = text;
    p.file_len = len;
    p.mode = KV_PARSE_FILE;
    if (len > INT32_MAX) {
        kv_diag(ctx, KVET_SEV_ERROR, file, 0, 0, 0, NULL, "rule file is too large");
        return NULL;
    }
    int rc = kv_lex_run(&p, START_FILE, 1, 1, 0, text, len);
    if (rc != 0 || p.errors)
        return NULL;
    return p.root;
}

kv_node *kv_parse_expr_at(kvet_ctx *ctx, kv_arena *arena, const char *file,
                          uint32_t src, const char *file_text, size_t file_len,
                          uint32_t off, uint32_t len, uint32_t line, uint32_t col)
{
    kv_parser p;
    memset(&p, 0, sizeof p);
    p.ctx = ctx;
    p.arena = arena;
    p.file = file;
    p.src = src;
    p.text = file_text;
    p.len = file_len;
    p.file_text = file_text;
    p.file_len = file_len;
    p.mode = KV_PARSE_EXPR;
    int rc = kv_lex_run(&p, START_EXPR, line, col, off, file_text + off, len);
    if (rc != 0 || p.errors)
        return NULL;
    return p.root;
}

void kv_parse_error_at(kv_parser *p, kv_span sp, const char *fmt, ...)
{
    if (p->gave_up) {
        p->errors++;
        return;
    }
    const char *excerpt = kv_line_start(p->file_text, p->file_len, sp.line);
    uint32_t width = 1;
    if (sp.end_line == sp.line && sp.end_col > sp.col)
        width = sp.end_col - sp.col;
    va_list ap;
    va_start(ap, fmt);
    kv_vdiag(p->ctx, KVET_SEV_ERROR, p->file, sp.line, sp.col, width, excerpt, fmt, ap);
    va_end(ap);
    p->errors++;
}

kv_node *kv_parse_template(kv_parser *p, kv_node *str)
{
    if (!str)
        return NULL;
    kv_node *t = kv_node_new(p->arena, KV_N_TEMPLATE, str->span);
    if (!t)
        return NULL;
    /* Work on the raw source between the quotes so positions are exact;
     * literal parts are taken from the decoded string where there is no
     * interpolation at all (the common case). */
    if (!memchr(str->str, '{', str->slen) && !memchr(str->str, '}', str->slen)) {
        kv_node_add(p->arena, t, str);
        return t;
    }
    const char *src = p->file_text;
    uint32_t start = str->span.off + 1, end = str->span.end_off - 1;
    bool raw = src[str->span.off] == '\'';
    uint32_t line = str->span.line, col = str->span.col + 1;
    kv_buf lit;
    kv_buf_init(&lit);
    uint32_t lit_line = line, lit_col = col, lit_off = start;
    uint32_t i = start;
    while (i < end) {
        char c = src[i];
        if (c == '{' && i + 1 < end && src[i + 1] == '{') {
            kv_buf_putc(&lit, '{');
            i += 2; col += 2;
            continue;
        }
        if (c == '}' && i + 1 < end && src[i + 1] == '}') {
            kv_buf_putc(&lit, '}');
            i += 2; col += 2;
            continue;
        }
        if (c == '}') {
            kv_span sp = {p->src, line, col, line, col + 1, i, i + 1};
            kv_parse_error_at(p, sp, "unmatched `}` in message (write `}}` for a literal brace)");
            i++; col++;
            continue;
        }
        if (c == '{') {
            /* find the matching `}`, skipping the strings inside the
             * expression: '...' raw strings, "..." strings, and (the older
             * way, inside a double-quoted template) \"...\" */
            uint32_t j = i + 1;
            int depth = 1;
            char q = 0;          /* in a string: '\'', '"', or 'e' for \"...\" */
            while (j < end) {
                char d = src[j];
                bool esc_dq = !raw && d == '\\' && j + 1 < end && src[j + 1] == '"';
                if (q == '\'') {
                    if (d == '\'') q = 0;
                } else if (q == 'e') {
                    if (esc_dq) {
                        q = 0;
                        j++;
                    } else if (d == '\\' && j + 1 < end) {
                        j += 2; /* \\ or another escape inside the embedded string */
                        continue;
                    }
                } else if (q == '"') {
                    if (d == '"') {
                        q = 0;
                    } else if (d == '\\' && j + 1 < end) {
                        j += 2;
                        continue;
                    }
                } else if (d == '\'') {
                    q = d;
                } else if (esc_dq) {
                    q = 'e';
                    j++;
                } else if (d == '"') {
                    q = '"';
                } else if (d == '{') {
                    depth++;
                } else if (d == '}' && --depth == 0) {
                    break;
                }
                j++;
            }
            if (j >= end) {
                kv_span sp = {p->src, line, col, line, col + 1, i, i + 1};
                kv_parse_error_at(p, sp, "unterminated `{` in message (write `{{` for a literal brace)");
                break;
            }
            if (lit.len) {
                kv_span sp = {p->src, lit_line, lit_col, line, col, lit_off, i};
                kv_node *s = kv_node_new(p->arena, KV_N_STRING, sp);
                if (s) {
                    s->str = kv_arena_strndup(p->arena, lit.data, lit.len);
                    s->slen = (uint32_t)lit.len;
                    kv_node_add(p->arena, t, s);
                }
                lit.len = 0;
            }
            kv_parser sub = *p;
            sub.errors = 0;
            sub.root = NULL;
            /* an expression written the older way, with every embedded
             * string as \"...\" and no plain quote, is unescaped before it
             * is parsed; one with plain string literals is parsed as it is */
            const char *etext = src + i + 1;
            size_t elen = j - i - 1;
            bool plain_quote = false;
            for (size_t k = 0; k < elen && !plain_quote; k++)
                plain_quote = etext[k] == '"' && (k == 0 || etext[k - 1] != '\\');
            char *decoded = NULL;
            if (!raw && !plain_quote && memchr(etext, '\\', elen)) {
                decoded = kv_arena_alloc(p->arena, elen + 1);
                if (decoded) {
                    size_t o = 0;
                    for (size_t k = 0; k < elen; k++) {
                        if (etext[k] == '\\' && k + 1 < elen && (etext[k + 1] == '"' || etext[k + 1] == '\\'))
                            k++;
                        decoded[o++] = etext[k];
                    }
                    decoded[o] = '\0';
                    etext = decoded;
                    elen = o;
                }
            }
            int rc = kv_lex_run(&sub, START_EXPR, line, col + 1, i + 1, etext, elen);
            if (rc != 0 || sub.errors || !sub.root)
                p->errors += sub.errors ? sub.errors : 1;
            else
                kv_node_add(p->arena, t, sub.root);
            col += j - i + 1;
            i = j + 1;
            lit_line = line; lit_col = col; lit_off = i;
            continue;
        }
        if (c == '\\' && !raw) {
            char bytes[4];
            size_t nb = 0, k = i;
            if (kv_unescape(src, end, &k, bytes, &nb) < 0) {
                kv_span sp = {p->src, line, col, line, col + 2, i, i + 2};
                kv_parse_error_at(p, sp, "invalid escape sequence in string (valid: \\n \\t \\r \\0 \\\\ \\\" \\' \\xHH \\u{HHHH})");
                k = i + 1;
            } else {
                kv_buf_put(&lit, bytes, nb);
            }
            col += (uint32_t)(k + 1 - i); /* escapes are ASCII */
            i = (uint32_t)k + 1;
            continue;
        }
        kv_buf_putc(&lit, c);
        if (((unsigned char)c & 0xC0) != 0x80)
            col++;
        i++;
    }
    if (lit.len) {
        kv_span sp = {p->src, lit_line, lit_col, line, col, lit_off, i};
        kv_node *s = kv_node_new(p->arena, KV_N_STRING, sp);
        if (s) {
            s->str = kv_arena_strndup(p->arena, lit.data, lit.len);
            s->slen = (uint32_t)lit.len;
            kv_node_add(p->arena, t, s);
        }
    }
    kv_buf_free(&lit);
    return t;
}
