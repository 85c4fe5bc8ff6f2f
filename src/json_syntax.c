/*
 * json_syntax.c - the syntax check Go's encoding/json runs before it decodes
 * (checkValid over its scanner), restated so that a finding about JSON inside
 * a manifest quotes what KServe or autoscaler-keda actually log: "invalid
 * character '}' looking for beginning of object key string", "unexpected end
 * of JSON input", and so on.  Only the wording and the offset matter here;
 * decoding is cJSON's job (builtin_json.c).
 */
#include <stdio.h>
#include <string.h>

#include "json_syntax.h"

/* Go's scanner limit (encoding/json maxNestingDepth). */
enum { MAX_NESTING = 10000 };

enum frame { OBJ_KEY, OBJ_VALUE, ARR_VALUE };

enum state {
    BEGIN_VALUE, BEGIN_VALUE_OR_EMPTY, BEGIN_STRING_OR_EMPTY, BEGIN_STRING, END_VALUE, END_TOP,
    IN_STRING, IN_ESC, IN_ESC_U, IN_ESC_U1, IN_ESC_U12, IN_ESC_U123,
    NEG, ONE, ZERO, DOT, DOT0, E, E_SIGN, E0,
    LIT, /* inside true/false/null: `lit` is the rest expected */
};

static int is_space(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static int is_hex(unsigned char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* The byte as Go's quoteChar shows it: strconv.Quote of the byte taken as a
 * rune, between single quotes. */
static void quote_char(unsigned char c, char *out, size_t outsz)
{
    static const char esc[] = "\a\b\f\n\r\t\v";
    static const char letter[] = "abfnrtv";
    if (c == '\'') {
        snprintf(out, outsz, "'\\''");
    } else if (c == '"') {
        snprintf(out, outsz, "'\"'");
    } else if (c == '\\') {
        snprintf(out, outsz, "'\\\\'");
    } else if (c && strchr(esc, c)) {
        snprintf(out, outsz, "'\\%c'", letter[strchr(esc, c) - esc]);
    } else if (c < 0x20 || c == 0x7f) {
        snprintf(out, outsz, "'\\x%02x'", c);
    } else if (c < 0x80) {
        snprintf(out, outsz, "'%c'", c);
    } else if (c < 0xa1 || c == 0xad) {
        /* C1 controls, no-break space and soft hyphen are not printable */
        snprintf(out, outsz, "'\\u%04x'", c);
    } else {
        /* Latin-1 rune, printed as its UTF-8 encoding */
        snprintf(out, outsz, "'%c%c'", 0xc0 | (c >> 6), 0x80 | (c & 0x3f));
    }
}

static size_t fail(char *msg, size_t msgsz, unsigned char c, const char *context, size_t at)
{
    char q[16];
    quote_char(c, q, sizeof q);
    snprintf(msg, msgsz, "invalid character %s %s", q, context);
    return at;
}

size_t kv_json_syntax_error(const char *text, size_t len, char *msg, size_t msgsz)
{
    const unsigned char *s = (const unsigned char *)text;
    unsigned char stack[MAX_NESTING];
    size_t depth = 0;
    enum state st = BEGIN_VALUE;
    const char *lit = NULL, *lit_word = NULL;

    for (size_t i = 0; i <= len; i++) {
        /* Go's eof() feeds one space after the last byte: "-" fails in its
         * numeric literal, "[" merely ends early */
        unsigned char c = i < len ? s[i] : ' ';
        int eof = i == len;
    again:
        switch (st) {
        case BEGIN_VALUE_OR_EMPTY:
            if (is_space(c))
                break;
            if (c == ']') {
                st = END_VALUE;
                goto again;
            }
            st = BEGIN_VALUE;
            goto again;
        case BEGIN_VALUE:
            if (is_space(c))
                break;
            if (c == '{' || c == '[') {
                if (depth == MAX_NESTING) {
                    snprintf(msg, msgsz, "exceeded max depth");
                    return i;
                }
                stack[depth++] = c == '{' ? OBJ_KEY : ARR_VALUE;
                st = c == '{' ? BEGIN_STRING_OR_EMPTY : BEGIN_VALUE_OR_EMPTY;
            } else if (c == '"') {
                st = IN_STRING;
            } else if (c == '-') {
                st = NEG;
            } else if (c == '0') {
                st = ZERO;
            } else if (c >= '1' && c <= '9') {
                st = ONE;
            } else if (c == 't' || c == 'f' || c == 'n') {
                lit_word = c == 't' ? "true" : c == 'f' ? "false" : "null";
                lit = lit_word + 1;
                st = LIT;
            } else {
                return fail(msg, msgsz, c, "looking for beginning of value", i);
            }
            break;
        case BEGIN_STRING_OR_EMPTY:
            if (is_space(c))
                break;
            if (c == '}') {
                stack[depth - 1] = OBJ_VALUE;
                st = END_VALUE;
                goto again;
            }
            st = BEGIN_STRING;
            goto again;
        case BEGIN_STRING:
            if (is_space(c))
                break;
            if (c != '"')
                return fail(msg, msgsz, c, "looking for beginning of object key string", i);
            st = IN_STRING;
            break;
        case END_VALUE:
            if (depth == 0) {
                st = END_TOP;
                goto again;
            }
            if (is_space(c))
                break;
            switch (stack[depth - 1]) {
            case OBJ_KEY:
                if (c != ':')
                    return fail(msg, msgsz, c, "after object key", i);
                stack[depth - 1] = OBJ_VALUE;
                st = BEGIN_VALUE;
                break;
            case OBJ_VALUE:
                if (c == ',') {
                    stack[depth - 1] = OBJ_KEY;
                    st = BEGIN_STRING;
                } else if (c == '}') {
                    depth--;
                    st = depth ? END_VALUE : END_TOP;
                } else {
                    return fail(msg, msgsz, c, "after object key:value pair", i);
                }
                break;
            default:
                if (c == ',') {
                    st = BEGIN_VALUE;
                } else if (c == ']') {
                    depth--;
                    st = depth ? END_VALUE : END_TOP;
                } else {
                    return fail(msg, msgsz, c, "after array element", i);
                }
                break;
            }
            break;
        case END_TOP:
            if (!is_space(c))
                return fail(msg, msgsz, c, "after top-level value", i);
            break;
        case IN_STRING:
            if (c == '"')
                st = END_VALUE;
            else if (c == '\\')
                st = IN_ESC;
            else if (c < 0x20)
                return fail(msg, msgsz, c, "in string literal", i);
            break;
        case IN_ESC:
            if (c == 'u')
                st = IN_ESC_U;
            else if (c && strchr("bfnrt\\/\"", c))
                st = IN_STRING;
            else
                return fail(msg, msgsz, c, "in string escape code", i);
            break;
        case IN_ESC_U:
        case IN_ESC_U1:
        case IN_ESC_U12:
        case IN_ESC_U123:
            if (!is_hex(c))
                return fail(msg, msgsz, c, "in \\u hexadecimal character escape", i);
            st = st == IN_ESC_U123 ? IN_STRING : (enum state)(st + 1);
            break;
        case NEG:
            if (c == '0')
                st = ZERO;
            else if (c >= '1' && c <= '9')
                st = ONE;
            else
                return fail(msg, msgsz, c, "in numeric literal", i);
            break;
        case ONE:
            if (c >= '0' && c <= '9')
                break;
            st = ZERO;
            goto again;
        case ZERO:
            if (c == '.') {
                st = DOT;
            } else if (c == 'e' || c == 'E') {
                st = E;
            } else {
                st = END_VALUE;
                goto again;
            }
            break;
        case DOT:
            if (c >= '0' && c <= '9')
                st = DOT0;
            else
                return fail(msg, msgsz, c, "after decimal point in numeric literal", i);
            break;
        case DOT0:
            if (c >= '0' && c <= '9')
                break;
            if (c == 'e' || c == 'E') {
                st = E;
                break;
            }
            st = END_VALUE;
            goto again;
        case E:
            if (c == '+' || c == '-') {
                st = E_SIGN;
                break;
            }
            st = E_SIGN;
            goto again;
        case E_SIGN:
            if (c >= '0' && c <= '9')
                st = E0;
            else
                return fail(msg, msgsz, c, "in exponent of numeric literal", i);
            break;
        case E0:
            if (c >= '0' && c <= '9')
                break;
            st = END_VALUE;
            goto again;
        case LIT:
            if (c != (unsigned char)*lit) {
                char context[64];
                snprintf(context, sizeof context, "in literal %s (expecting '%c')", lit_word, *lit);
                return fail(msg, msgsz, c, context, i);
            }
            if (!*++lit)
                st = END_VALUE;
            break;
        }
        if (eof && st != END_TOP) {
            snprintf(msg, msgsz, "unexpected end of JSON input");
            return len;
        }
    }
    return KV_JSON_VALID;
}
