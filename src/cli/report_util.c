/*
 * report_util.c - helpers shared by the CI reporters: UTF-8 decoding,
 * resource labels, the fail level, rule applicability and the rule table.
 */
#include <stdlib.h>
#include <string.h>

#include "cli.h"

size_t cli_utf8_decode(const char *s, size_t n, uint32_t *cp)
{
    const unsigned char *p = (const unsigned char *)s;
    if (n == 0)
        return 0;
    unsigned char c = p[0];
    if (c < 0x80) {
        *cp = c;
        return 1;
    }
    size_t len;
    uint32_t v, min;
    if ((c & 0xE0) == 0xC0) { len = 2; v = c & 0x1F; min = 0x80; }
    else if ((c & 0xF0) == 0xE0) { len = 3; v = c & 0x0F; min = 0x800; }
    else if ((c & 0xF8) == 0xF0) { len = 4; v = c & 0x07; min = 0x10000; }
    else return 0;
    if (len > n)
        return 0;
    for (size_t k = 1; k < len; k++) {
        if ((p[k] & 0xC0) != 0x80)
            return 0;
        v = (v << 6) | (p[k] & 0x3F);
    }
    /* overlong forms, UTF-16 surrogates and values past Unicode are not text */
    if (v < min || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF))
        return 0;
    *cp = v;
    return len;
}

void cli_resource_label(cli_buf *b, const kvet_resource *r)
{
    const char *ns = r->ns ? r->ns : "", *name = r->name ? r->name : "";
    cli_buf_printf(b, "%s %s%s%s", r->kind ? r->kind : "?", ns, ns[0] ? "/" : "", name[0] ? name : "(unnamed)");
    if (r->env)
        cli_buf_printf(b, " [env %s]", r->env);
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

/* `*` matches any run of characters; everything else matches itself.  The
 * classic two-pointer walk with one backtrack point: linear in practice and
 * without recursion. */
static bool glob_match(const char *pat, size_t plen, const char *s)
{
    size_t p = 0, i = 0, star = (size_t)-1, mark = 0, slen = strlen(s);
    while (i < slen) {
        if (p < plen && pat[p] == '*') {
            star = p++;
            mark = i;
        } else if (p < plen && pat[p] == s[i]) {
            p++;
            i++;
        } else if (star != (size_t)-1) {
            p = star + 1;
            i = ++mark;
        } else {
            return false;
        }
    }
    while (p < plen && pat[p] == '*')
        p++;
    return p == plen;
}

bool cli_rule_applies(const char *applies_to, const char *kind, const char *api_version)
{
    /* without a selector text the rule cannot be ruled out */
    if (!applies_to || !*applies_to)
        return true;
    if (!kind)
        return false;
    const char *p = applies_to;
    while (*p) {
        while (*p == ' ' || *p == ',')
            p++;
        const char *k = p;
        while (*p && *p != ' ' && *p != ',')
            p++;
        size_t klen = (size_t)(p - k);
        while (*p == ' ')
            p++;
        const char *pat = NULL;
        size_t plen = 0;
        if (*p && *p != ',') {
            pat = p;
            while (*p && *p != ',' && *p != ' ')
                p++;
            plen = (size_t)(p - pat);
        }
        if (klen && strlen(kind) == klen && !strncmp(kind, k, klen) &&
            (!pat || glob_match(pat, plen, api_version ? api_version : "")))
            return true;
    }
    return false;
}

void cli_literal_text(cli_buf *b, const char *s)
{
    size_t n = strlen(s);
    if (n < 2 || (s[0] != '"' && s[0] != '\'') || s[n - 1] != s[0]) {
        cli_buf_put(b, s, n);
        return;
    }
    if (s[0] == '\'') { /* raw */
        cli_buf_put(b, s + 1, n - 2);
        return;
    }
    for (size_t i = 1; i + 1 < n; i++) {
        if (s[i] != '\\' || i + 2 >= n) {
            cli_buf_put(b, s + i, 1);
            continue;
        }
        char c = s[++i];
        switch (c) {
        case 'n': cli_buf_puts(b, "\n"); break;
        case 't': cli_buf_puts(b, "\t"); break;
        case 'r': cli_buf_puts(b, "\r"); break;
        case '\\': case '"': case '\'': cli_buf_put(b, &c, 1); break;
        default: /* \0, \xHH, \u{...}: shown as written */
            cli_buf_put(b, s + i - 1, 2);
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

static int rules_push(cli_rules *rules, size_t *cap, kvet_rule_info ri)
{
    if (rules->n == *cap) {
        size_t nc = *cap ? *cap * 2 : 16;
        kvet_rule_info *nv = realloc(rules->v, nc * sizeof *nv);
        if (!nv)
            return -1;
        rules->v = nv;
        *cap = nc;
    }
    rules->v[rules->n++] = ri;
    return 0;
}

int cli_rules_collect(cli_rules *rules, const kvet_result *res, const kvet_pack *pack)
{
    size_t cap = 0;
    rules->v = NULL;
    rules->n = 0;
    size_t np = pack ? kvet_rule_count(pack) : 0;
    for (size_t i = 0; i < np; i++)
        if (rules_push(rules, &cap, kvet_rule_at(pack, i)) < 0)
            goto oom;
    for (size_t i = 0; i < res->nresources; i++) {
        const kvet_resource *r = &res->resources[i];
        for (size_t k = 0; k < r->nfindings; k++) {
            const kvet_finding *f = &r->findings[k];
            if (!f->rule || cli_rules_find(rules, f->rule) >= 0)
                continue;
            kvet_rule_info ri;
            memset(&ri, 0, sizeof ri);
            ri.id = f->rule;
            ri.severity = f->severity;
            ri.enabled = 1;
            ri.title = f->title;
            ri.remedy = f->remedy;
            ri.link = f->link;
            if (rules_push(rules, &cap, ri) < 0)
                goto oom;
        }
    }
    return 0;
oom:
    cli_rules_free(rules);
    return -1;
}

void cli_rules_free(cli_rules *rules)
{
    free(rules->v);
    rules->v = NULL;
    rules->n = 0;
}
