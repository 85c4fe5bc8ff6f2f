/*
 * report_util.c - helpers shared by the CI reporters: UTF-8 decoding,
 * resource labels, the fail level and the rule table.
 */
#include <stdlib.h>
#include <string.h>

#include "cli.h"

void cli_resource_label(kv_buf *b, const kvet_resource *r)
{
    const char *ns = r->ns ? r->ns : "", *name = r->name ? r->name : "";
    kv_buf_printf(b, "%s %s%s%s", r->kind ? r->kind : "?", ns, ns[0] ? "/" : "", name[0] ? name : "(unnamed)");
    if (r->env)
        kv_buf_printf(b, " [env %s]", r->env);
}

const char *cli_finding_file(const kvet_finding *f, const kvet_resource *r)
{
    if (f->file)
        return f->file;
    return r->file ? r->file : "";
}

bool cli_finding_fails(const kvet_finding *f, const report_opts *o)
{
    /* waived and baselined findings are reported but never fail */
    return !o->fail_never && !f->waiver && !f->baselined && f->severity <= KVET_SEV_ERROR &&
           f->severity >= o->fail_level;
}

/* Text inside a table cell (or a list item): `|` would end the cell and a
 * newline the row, so they become `\|` and `<br>`; characters Markdown or
 * HTML would interpret are backslash-escaped; `@` and `#` are followed by
 * a zero-width space; bytes that are not UTF-8 become U+FFFD.  At most `max` bytes of s are used (0: all), cut on a
 * character boundary and marked with an ellipsis.  With `arrows`, "->" becomes an arrow (kvet diff's "before ->
 * after"). */
void cli_md_text(kv_buf *b, const char *s, size_t max, bool arrows)
{
    if (!s)
        return;
    size_t full = strlen(s), n = full, i = 0;
    bool cut = max && n > max;
    if (cut)
        n = max;
    while (i < n) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x80) {
            uint32_t cp;
            size_t len = kv_utf8_decode(s + i, full - i, &cp);
            if (len == 0) {
                kv_buf_puts(b, "\xEF\xBF\xBD");
                i++;
            } else if (i + len > n) {
                break; /* do not split a character at the cut */
            } else {
                kv_buf_put(b, s + i, len);
                i += len;
            }
            continue;
        }
        if (arrows && c == '-' && i + 1 < n && s[i + 1] == '>') {
            kv_buf_puts(b, "\xE2\x86\x92");
            i += 2;
            continue;
        }
        if (c == '\n')
            kv_buf_puts(b, "<br>");
        else if (c == '\r')
            ;
        else if (c == '\t')
            kv_buf_puts(b, " ");
        else if (c < 0x20 || c == 0x7f)
            kv_buf_puts(b, "\xEF\xBF\xBD");
        else if (c == '@' || c == '#') {
            /* a zero-width space keeps "@name" from notifying someone and
             * "#12" from linking an issue */
            kv_buf_put(b, s + i, 1);
            kv_buf_puts(b, "&#8203;");
        } else if (strchr("\\`*_[]<>|~&!", c)) {
            char e[2] = {'\\', (char)c};
            kv_buf_put(b, e, 2);
        } else
            kv_buf_put(b, s + i, 1);
        i++;
    }
    if (cut)
        kv_buf_puts(b, "\xE2\x80\xA6");
}

void cli_literal_text(kv_buf *b, const char *s)
{
    size_t n = strlen(s);
    if (n < 2 || (s[0] != '"' && s[0] != '\'') || s[n - 1] != s[0]) {
        kv_buf_put(b, s, n);
        return;
    }
    if (s[0] == '\'') { /* raw */
        kv_buf_put(b, s + 1, n - 2);
        return;
    }
    for (size_t i = 1; i + 1 < n; i++) {
        if (s[i] != '\\' || i + 2 >= n) {
            kv_buf_put(b, s + i, 1);
            continue;
        }
        char c = s[++i];
        switch (c) {
        case 'n': kv_buf_puts(b, "\n"); break;
        case 't': kv_buf_puts(b, "\t"); break;
        case 'r': kv_buf_puts(b, "\r"); break;
        case '\\': case '"': case '\'': kv_buf_put(b, &c, 1); break;
        default: /* \0, \xHH, \u{...}: shown as written */
            kv_buf_put(b, s + i - 1, 2);
        }
    }
}

long cli_rules_find(const cli_rules *rules, const char *id)
{
    for (size_t i = 0; i < rules->n; i++)
        if (rules->v[i].id && id && !strcmp(rules->v[i].id, id))
            return (long)i;
    return -1;
}

static int rules_push(cli_rules *rules, kvet_rule_info ri)
{
    if (rules->n == rules->cap) {
        size_t nc = rules->cap ? rules->cap * 2 : 16;
        kvet_rule_info *nv = realloc(rules->v, nc * sizeof *nv);
        if (!nv)
            return -1;
        rules->v = nv;
        rules->cap = nc;
    }
    rules->v[rules->n++] = ri;
    return 0;
}

int cli_rules_of_pack(cli_rules *rules, const kvet_pack *pack)
{
    memset(rules, 0, sizeof *rules);
    size_t np = pack ? kvet_rule_count(pack) : 0;
    for (size_t i = 0; i < np; i++)
        if (rules_push(rules, kvet_rule_at(pack, i)) < 0) {
            cli_rules_free(rules);
            return -1;
        }
    return 0;
}

/* A copy of s that lives as long as the rules, or s itself without copy. */
static const char *rules_string(cli_rules *rules, const char *s, bool copy, bool *oom)
{
    if (!copy || !s)
        return s;
    char **v = realloc(rules->own, (rules->nown + 1) * sizeof *v);
    char *d = v ? strdup(s) : NULL;
    if (v)
        rules->own = v;
    if (!d) {
        *oom = true;
        return NULL;
    }
    rules->own[rules->nown++] = d;
    return d;
}

int cli_rules_note(cli_rules *rules, const kvet_finding *f, bool copy)
{
    if (!f->rule || cli_rules_find(rules, f->rule) >= 0)
        return 0;
    kvet_rule_info ri;
    memset(&ri, 0, sizeof ri);
    bool oom = false;
    ri.id = rules_string(rules, f->rule, copy, &oom);
    ri.severity = f->severity;
    ri.enabled = 1;
    ri.title = rules_string(rules, f->title, copy, &oom);
    ri.remedy = rules_string(rules, f->remedy, copy, &oom);
    ri.link = rules_string(rules, f->link, copy, &oom);
    return oom ? -1 : rules_push(rules, ri);
}

int cli_rules_collect(cli_rules *rules, const kvet_result *res, const kvet_pack *pack)
{
    if (cli_rules_of_pack(rules, pack) < 0)
        return -1;
    for (size_t i = 0; i < res->nresources; i++) {
        const kvet_resource *r = &res->resources[i];
        for (size_t k = 0; k < r->nfindings; k++)
            if (cli_rules_note(rules, &r->findings[k], false) < 0) {
                cli_rules_free(rules);
                return -1;
            }
    }
    return 0;
}

void cli_rules_free(cli_rules *rules)
{
    for (size_t i = 0; i < rules->nown; i++)
        free(rules->own[i]);
    free(rules->own);
    free(rules->v);
    memset(rules, 0, sizeof *rules);
}
