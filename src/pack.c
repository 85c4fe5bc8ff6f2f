/*
 * pack.c - finding, reading and parsing rule packs, resolving imports.
 *
 * A pack is a folder of *.kvet files (or a single file) that all begin
 * with the same `pack NAME "VERSION"`.  Imports name packs; they are looked
 * for among the packs already given, then in the context's pack paths (each
 * folder, its sub-folders and its *.kvet files).  Everything loaded is
 * compiled into one program (compile.c).
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "ast.h"
#include "ctx.h"
#include "doc.h"
#include "parse.h"
#include "program.h"
#include "sha256.h"
#include "value.h"
#include "vm.h"

typedef struct loader {
    kvet_ctx *ctx;
    kv_arena ast;            /* syntax trees and file texts */
    kv_srcpack *packs;
    uint32_t npacks, cap;
    char **texts;            /* malloc'd file contents */
    uint32_t ntexts, captexts;
    int errors;
} loader;

static bool has_suffix(const char *s, const char *suf)
{
    size_t n = strlen(s), m = strlen(suf);
    return n >= m && !strcmp(s + n - m, suf);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Rule files of a folder, sorted; NULL-terminated, malloc'd. */
static char **list_rule_files(kvet_ctx *ctx, const char *dir, size_t *n)
{
    DIR *d = opendir(dir);
    *n = 0;
    if (!d) {
        kv_diag(ctx, KVET_SEV_ERROR, dir, 0, 0, 0, NULL, "cannot open rule folder: %s", strerror(errno));
        return NULL;
    }
    size_t cap = 16;
    char **v = malloc(cap * sizeof *v);
    struct dirent *e;
    while (v && (e = readdir(d))) {
        if (e->d_name[0] == '.' || !has_suffix(e->d_name, ".kvet"))
            continue;
        if (*n + 1 >= cap) {
            char **nv = realloc(v, cap * 2 * sizeof *v);
            if (!nv)
                break;
            v = nv;
            cap *= 2;
        }
        size_t len = strlen(dir) + strlen(e->d_name) + 2;
        v[*n] = malloc(len);
        if (!v[*n])
            break;
        snprintf(v[*n], len, "%s/%s", dir, e->d_name);
        (*n)++;
    }
    closedir(d);
    if (!v)
        return NULL;
    qsort(v, *n, sizeof *v, cmp_str);
    v[*n] = NULL;
    return v;
}

static void free_list(char **v, size_t n)
{
    if (!v)
        return;
    for (size_t i = 0; i < n; i++)
        free(v[i]);
    free(v);
}

static kv_srcpack *pack_named(loader *L, const char *name)
{
    for (uint32_t i = 0; i < L->npacks; i++)
        if (!strcmp(L->packs[i].name, name))
            return &L->packs[i];
    return NULL;
}

/* Read and parse one rule file and add it to the pack it declares. */
static int load_rule_file(loader *L, const char *path, const char *want_pack)
{
    char *text = NULL;
    size_t len = 0;
    if (kv_read_file(L->ctx, path, &text, &len) < 0) {
        L->errors++;
        return -1;
    }
    if (L->ntexts == L->captexts) {
        uint32_t cap = L->captexts ? L->captexts * 2 : 16;
        char **t = realloc(L->texts, cap * sizeof *t);
        if (!t) {
            free(text);
            return -1;
        }
        L->texts = t;
        L->captexts = cap;
    }
    L->texts[L->ntexts++] = text;
    uint32_t src = kv_source_add(L->ctx, path);
    kv_node *ast = kv_parse_file(L->ctx, &L->ast, path, src, text, len);
    if (!ast) {
        L->errors++;
        return -1;
    }
    if (!ast->a) {
        L->errors++;
        return -1;
    }
    const char *name = ast->a->str;
    const char *version = ast->a->a ? ast->a->a->str : NULL;
    if (want_pack && strcmp(want_pack, name) != 0) {
        kv_diag(L->ctx, KVET_SEV_ERROR, path, ast->a->span.line, ast->a->span.col,
                (uint32_t)strlen(name), kv_line_start(text, len, ast->a->span.line),
                "this file declares pack `%s`, but the other files of its folder declare `%s`", name, want_pack);
        L->errors++;
        return -1;
    }
    kv_srcpack *p = pack_named(L, name);
    if (!p) {
        if (L->npacks == L->cap) {
            uint32_t cap = L->cap ? L->cap * 2 : 8;
            kv_srcpack *np = realloc(L->packs, cap * sizeof *np);
            if (!np)
                return -1;
            L->packs = np;
            L->cap = cap;
        }
        p = &L->packs[L->npacks++];
        memset(p, 0, sizeof *p);
        p->name = name;
        p->version = version;
    } else if (version && p->version && strcmp(version, p->version) != 0) {
        kv_diag(L->ctx, KVET_SEV_ERROR, path, ast->a->span.line, ast->a->span.col, 1,
                kv_line_start(text, len, ast->a->span.line),
                "pack `%s` is declared with version \"%s\" here but \"%s\" elsewhere", name, version, p->version);
        L->errors++;
        return -1;
    } else if (!p->version) {
        p->version = version;
    }
    kv_srcfile *files = kv_arena_alloc(&L->ast, (p->nfiles + 1) * sizeof *files);
    if (!files)
        return -1;
    if (p->nfiles)
        memcpy(files, p->files, p->nfiles * sizeof *files);
    p->files = files;
    kv_srcfile *f = &p->files[p->nfiles++];
    f->name = kv_arena_strdup(&L->ast, path);
    f->text = text;
    f->len = len;
    f->src = src;
    f->ast = ast;
    return 0;
}

static int load_path(loader *L, const char *path)
{
    struct stat st;
    if (stat(path, &st) != 0) {
        kv_diag(L->ctx, KVET_SEV_ERROR, path, 0, 0, 0, NULL, "cannot read rules: %s", strerror(errno));
        L->errors++;
        return -1;
    }
    if (S_ISDIR(st.st_mode)) {
        size_t n;
        char **files = list_rule_files(L->ctx, path, &n);
        if (!files) {
            L->errors++;
            return -1;
        }
        if (n == 0) {
            kv_diag(L->ctx, KVET_SEV_ERROR, path, 0, 0, 0, NULL, "no rule files (*.kvet) in this folder");
            L->errors++;
        }
        const char *first_pack = NULL;
        for (size_t i = 0; i < n; i++) {
            uint32_t before = L->npacks;
            if (load_rule_file(L, files[i], first_pack) == 0 && !first_pack) {
                first_pack = L->packs[before < L->npacks ? before : L->npacks - 1].name;
                /* the first file fixes the folder's pack name */
                kv_srcpack *p = NULL;
                for (uint32_t k = 0; k < L->npacks; k++)
                    for (uint32_t f = 0; f < L->packs[k].nfiles; f++)
                        if (!strcmp(L->packs[k].files[f].name, files[i]))
                            p = &L->packs[k];
                if (p)
                    first_pack = p->name;
            }
        }
        free_list(files, n);
        return 0;
    }
    return load_rule_file(L, path, NULL);
}

/* The pack name a rule file declares, read cheaply from its first tokens. */
static bool peek_pack_name(const char *path, char *out, size_t outlen)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return false;
    char buf[4096];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    const char *p = buf;
    for (;;) {
        while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
            p++;
        if (*p == '#' || (p[0] == '/' && p[1] == '/')) {
            p = strchr(p, '\n');
            if (!p)
                return false;
            continue;
        }
        break;
    }
    if (strncmp(p, "pack", 4) != 0 || (p[4] != ' ' && p[4] != '\t'))
        return false;
    p += 4;
    while (*p == ' ' || *p == '\t')
        p++;
    size_t k = 0;
    while ((*p == '.' || *p == '_' || (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
            (*p >= '0' && *p <= '9')) && k + 1 < outlen)
        out[k++] = *p++;
    out[k] = '\0';
    return k > 0;
}

/* Look for a pack by name in the search path; load it when found. */
static bool find_import(loader *L, const char *name)
{
    char pname[256];
    for (size_t i = 0; i < L->ctx->npack_paths; i++) {
        const char *dir = L->ctx->pack_paths[i];
        /* the folder itself */
        size_t n;
        DIR *d = opendir(dir);
        if (!d)
            continue;
        closedir(d);
        char **files = list_rule_files(L->ctx, dir, &n);
        if (files && n > 0 && peek_pack_name(files[0], pname, sizeof pname) && !strcmp(pname, name)) {
            free_list(files, n);
            load_path(L, dir);
            return true;
        }
        free_list(files, n);
        /* sub-folders, sorted */
        d = opendir(dir);
        if (!d)
            continue;
        struct dirent *e;
        char **subs = NULL;
        size_t ns = 0, cap = 0;
        while ((e = readdir(d))) {
            if (e->d_name[0] == '.')
                continue;
            size_t len = strlen(dir) + strlen(e->d_name) + 2;
            char *full = malloc(len);
            if (!full)
                break;
            snprintf(full, len, "%s/%s", dir, e->d_name);
            struct stat st;
            if (stat(full, &st) != 0 || !S_ISDIR(st.st_mode)) {
                free(full);
                continue;
            }
            if (ns + 1 >= cap) {
                cap = cap ? cap * 2 : 8;
                char **nsubs = realloc(subs, cap * sizeof *subs);
                if (!nsubs) {
                    free(full);
                    break;
                }
                subs = nsubs;
            }
            subs[ns++] = full;
        }
        closedir(d);
        if (subs)
            qsort(subs, ns, sizeof *subs, cmp_str);
        bool found = false;
        for (size_t k = 0; k < ns && !found; k++) {
            size_t m;
            char **sf = list_rule_files(L->ctx, subs[k], &m);
            if (sf && m > 0 && peek_pack_name(sf[0], pname, sizeof pname) && !strcmp(pname, name)) {
                load_path(L, subs[k]);
                found = true;
            }
            free_list(sf, m);
        }
        free_list(subs, ns);
        if (found)
            return true;
    }
    return false;
}

static void resolve_imports(loader *L)
{
    /* new packs may be appended while we walk: index, don't cache pointers */
    for (uint32_t pi = 0; pi < L->npacks; pi++) {
        for (uint32_t f = 0; f < L->packs[pi].nfiles; f++) {
            kv_node *file = L->packs[pi].files[f].ast;
            for (uint32_t i = 0; i < file->nkids; i++) {
                kv_node *it = file->kids[i];
                if (it->kind != KV_N_IMPORT || pack_named(L, it->str))
                    continue;
                size_t before = kvet_diag_count(L->ctx);
                if (!find_import(L, it->str)) {
                    kv_srcfile *sf = &L->packs[pi].files[f];
                    kv_diag_truncate(L->ctx, before);
                    kv_diag(L->ctx, KVET_SEV_ERROR, sf->name, it->span.line, it->span.col,
                            it->span.end_col > it->span.col ? it->span.end_col - it->span.col : 1,
                            kv_line_start(sf->text, sf->len, it->span.line),
                            "pack `%s` was not found among the rules given or in the pack search path", it->str);
                    L->errors++;
                }
            }
        }
    }
}

static int cmp_srcfile(const void *a, const void *b)
{
    return strcmp(((const kv_srcfile *)a)->name, ((const kv_srcfile *)b)->name);
}

static void pack_digest(kv_srcpack *p)
{
    kv_sha256 s;
    uint8_t d[32];
    kv_sha256_init(&s);
    for (uint32_t i = 0; i < p->nfiles; i++) {
        const char *base = strrchr(p->files[i].name, '/');
        base = base ? base + 1 : p->files[i].name;
        kv_sha256_update(&s, base, strlen(base) + 1);
        uint64_t len = p->files[i].len;
        kv_sha256_update(&s, &len, sizeof len);
        kv_sha256_update(&s, p->files[i].text, p->files[i].len);
    }
    kv_sha256_final(&s, d);
    kv_sha256_tohex(d, p->digest);
}

static kvet_pack *load_compiled(kvet_ctx *ctx, const char *path)
{
    char *data = NULL;
    size_t len = 0;
    if (kv_read_file(ctx, path, &data, &len) < 0)
        return NULL;
    kvet_pack *prog = kv_program_deserialize(ctx, path, data, len);
    free(data);
    if (prog && kv_program_apply_params(ctx, prog) < 0) {
        kv_program_free(prog);
        return NULL;
    }
    return prog;
}

kvet_pack *kvet_pack_load(kvet_ctx *ctx, const char *const *paths, size_t n)
{
    size_t ncompiled = 0;
    for (size_t i = 0; i < n; i++)
        if (has_suffix(paths[i], ".kvetc"))
            ncompiled++;
    if (ncompiled) {
        if (n != 1) {
            kv_diag(ctx, KVET_SEV_ERROR, NULL, 0, 0, 0, NULL,
                    "a compiled pack (.kvetc) already holds its imports and must be the only --rules given");
            return NULL;
        }
        return load_compiled(ctx, paths[0]);
    }
    if (n == 0) {
        kv_diag(ctx, KVET_SEV_ERROR, NULL, 0, 0, 0, NULL, "no rules given");
        return NULL;
    }
    loader L;
    memset(&L, 0, sizeof L);
    L.ctx = ctx;
    kv_arena_init(&L.ast);
    for (size_t i = 0; i < n; i++)
        load_path(&L, paths[i]);
    if (!L.errors)
        resolve_imports(&L);
    kvet_pack *prog = NULL;
    if (!L.errors) {
        for (uint32_t i = 0; i < L.npacks; i++) {
            qsort(L.packs[i].files, L.packs[i].nfiles, sizeof *L.packs[i].files, cmp_srcfile);
            pack_digest(&L.packs[i]);
        }
        prog = kv_compile(ctx, L.packs, L.npacks);
        if (prog && kv_program_apply_params(ctx, prog) < 0) {
            kv_program_free(prog);
            prog = NULL;
        }
    }
    for (uint32_t i = 0; i < L.ntexts; i++)
        free(L.texts[i]);
    free(L.texts);
    free(L.packs);
    kv_arena_free(&L.ast);
    return prog;
}

kvet_pack *kvet_pack_load_source(kvet_ctx *ctx, const char *name, const char *text_in, size_t len)
{
    loader L;
    memset(&L, 0, sizeof L);
    L.ctx = ctx;
    kv_arena_init(&L.ast);
    /* a NUL-terminated copy: diagnostics quote lines up to a newline or NUL */
    char *text = kv_arena_alloc(&L.ast, len + 1);
    if (!text) {
        kv_arena_free(&L.ast);
        return NULL;
    }
    memcpy(text, text_in, len);
    text[len] = '\0';
    kvet_pack *prog = NULL;
    uint32_t src = kv_source_add(ctx, name);
    kv_node *ast = kv_parse_file(ctx, &L.ast, name, src, text, len);
    if (ast && ast->a) {
        L.packs = calloc(1, sizeof *L.packs);
        if (L.packs) {
            L.npacks = L.cap = 1;
            kv_srcpack *p = &L.packs[0];
            p->name = ast->a->str;
            p->version = ast->a->a ? ast->a->a->str : NULL;
            p->files = kv_arena_alloc(&L.ast, sizeof *p->files);
            if (p->files) {
                p->nfiles = 1;
                p->files[0].name = name;
                p->files[0].text = text;
                p->files[0].len = len;
                p->files[0].src = src;
                p->files[0].ast = ast;
                resolve_imports(&L);
                if (!L.errors) {
                    for (uint32_t i = 0; i < L.npacks; i++)
                        pack_digest(&L.packs[i]);
                    prog = kv_compile(ctx, L.packs, L.npacks);
                    if (prog && kv_program_apply_params(ctx, prog) < 0) {
                        kv_program_free(prog);
                        prog = NULL;
                    }
                }
            }
        }
    }
    for (uint32_t i = 0; i < L.ntexts; i++)
        free(L.texts[i]);
    free(L.texts);
    free(L.packs);
    kv_arena_free(&L.ast);
    return prog;
}

void kvet_pack_free(kvet_pack *pack)
{
    kv_program_free(pack);
}

/* Read a --set value: a kvet literal (number, string, bool, null, list of
 * literals) when it parses as one, otherwise the text itself. */
static kvet_value param_value(kvet_ctx *ctx, kv_arena *a, const char *raw)
{
    size_t len = strlen(raw);
    kv_arena tmp;
    kv_arena_init(&tmp);
    size_t before = kvet_diag_count(ctx);
    uint32_t src = 0;
    kv_node *n = len ? kv_parse_expr_at(ctx, &tmp, "--set", src, raw, len, 0, (uint32_t)len, 1, 1) : NULL;
    kv_diag_truncate(ctx, before);
    kvet_value v = kv_absent();
    bool ok = false;
    if (n) {
        bool neg = false;
        kv_node *x = n;
        if (x->kind == KV_N_UNARY && x->op == KV_OP_NEG && (x->a->kind == KV_N_INT || x->a->kind == KV_N_FLOAT)) {
            neg = true;
            x = x->a;
        }
        ok = true;
        switch (x->kind) {
        case KV_N_INT: v = kv_int(neg ? -x->i : x->i); break;
        case KV_N_FLOAT: v = kv_float(neg ? -x->f : x->f); break;
        case KV_N_BOOL: v = kv_bool(x->i != 0); break;
        case KV_N_NULL: v = kv_null(); break;
        case KV_N_STRING: v = kv_string_value(a, x->str, x->slen); break;
        case KV_N_LIST: {
            kvet_list *l = kv_list_new(a, x->nkids);
            if (!l) { ok = false; break; }
            for (uint32_t i = 0; i < x->nkids && ok; i++) {
                kv_node *k = x->kids[i];
                switch (k->kind) {
                case KV_N_INT: l->items[i] = kv_int(k->i); break;
                case KV_N_FLOAT: l->items[i] = kv_float(k->f); break;
                case KV_N_BOOL: l->items[i] = kv_bool(k->i != 0); break;
                case KV_N_STRING: l->items[i] = kv_string_value(a, k->str, k->slen); break;
                case KV_N_NULL: l->items[i] = kv_null(); break;
                default: ok = false; break;
                }
            }
            if (ok)
                v = kv_list_value(l);
            break;
        }
        default:
            ok = false;
        }
    }
    if (!ok)
        v = kv_string_value(a, raw, len);
    kv_arena_free(&tmp);
    return v;
}

/* Apply overrides name=raw to vals[] (one per prog->params, starting from
 * the current values).  `what` says where they were given ("--set", or an
 * environment) and leads each error.  Values are built in arena a. */
int kv_program_param_values(kvet_ctx *ctx, const kvet_pack *prog, const char *what, const char *file,
                            uint32_t line, const char *const *names, const char *const *raws, size_t n,
                            kv_arena *a, kvet_value *vals)
{
    int rc = 0;
    for (size_t i = 0; i < n; i++) {
        const char *name = names[i];
        int match = -1, nmatch = 0;
        for (uint32_t k = 0; k < prog->nparams; k++) {
            if (!strcmp(prog->params[k].name, name)) {
                match = (int)k;
                nmatch = 1;
                break;
            }
            if (!strcmp(prog->params[k].short_name, name)) {
                match = (int)k;
                nmatch++;
            }
        }
        if (nmatch == 0) {
            kv_diag(ctx, KVET_SEV_ERROR, file, line, 0, 0, NULL, "%s %s: no loaded pack has a parameter of that name",
                    what, name);
            size_t best = (size_t)-1;
            const char *bname = NULL;
            for (uint32_t k = 0; k < prog->nparams; k++) {
                size_t d = kv_edit_distance(name, prog->params[k].short_name);
                if (d < best && d <= 3) {
                    best = d;
                    bname = prog->params[k].name;
                }
            }
            if (bname)
                kv_diag_hint(ctx, "did you mean `%s`?", bname);
            rc = -1;
            continue;
        }
        if (nmatch > 1) {
            kv_diag(ctx, KVET_SEV_ERROR, file, line, 0, 0, NULL,
                    "%s %s: several packs have a parameter of that name; write PACK.%s", what, name, name);
            rc = -1;
            continue;
        }
        kvet_value v = param_value(ctx, a, raws[i]);
        kvet_value old = prog->params[match].value;
        /* keep the declared type where the text allows it: a number parameter
         * given "3" is 3, a string parameter given 3 is "3" */
        if (old.type == KVET_STRING && v.type != KVET_STRING)
            v = kv_string_value(a, raws[i], strlen(raws[i]));
        if ((old.type == KVET_INT || old.type == KVET_FLOAT) && !kv_is_number(v)) {
            kv_diag(ctx, KVET_SEV_ERROR, file, line, 0, 0, NULL, "%s %s=%s: the parameter is a number", what, name,
                    raws[i]);
            rc = -1;
            continue;
        }
        if (old.type == KVET_BOOL && v.type != KVET_BOOL) {
            kv_diag(ctx, KVET_SEV_ERROR, file, line, 0, 0, NULL, "%s %s=%s: the parameter is a bool (true or false)",
                    what, name, raws[i]);
            rc = -1;
            continue;
        }
        if (old.type == KVET_FLOAT && v.type == KVET_INT)
            v = kv_float((double)v.u.i);
        vals[match] = v;
    }
    return rc;
}

int kv_program_apply_params(kvet_ctx *ctx, kvet_pack *prog)
{
    if (!ctx->nparams)
        return 0;
    const char **names = malloc(ctx->nparams * sizeof *names);
    const char **raws = malloc(ctx->nparams * sizeof *raws);
    kvet_value *vals = malloc((prog->nparams + 1) * sizeof *vals);
    int rc = -1;
    if (names && raws && vals) {
        for (size_t i = 0; i < ctx->nparams; i++) {
            names[i] = ctx->params[i].name;
            raws[i] = ctx->params[i].raw;
        }
        for (uint32_t k = 0; k < prog->nparams; k++)
            vals[k] = prog->params[k].value;
        rc = kv_program_param_values(ctx, prog, "--set", NULL, 0, names, raws, ctx->nparams, &prog->arena, vals);
        for (uint32_t k = 0; k < prog->nparams; k++)
            prog->params[k].value = vals[k];
    } else {
        kv_diag(ctx, KVET_SEV_ERROR, NULL, 0, 0, 0, NULL, "out of memory");
    }
    free(names);
    free(raws);
    free(vals);
    return rc;
}

/* ---- introspection ---- */

size_t kvet_pack_count(const kvet_pack *pack) { return pack->npacks; }

kvet_pack_info kvet_pack_at(const kvet_pack *pack, size_t i)
{
    kvet_pack_info info = {NULL, NULL, NULL};
    if (i < pack->npacks) {
        info.name = pack->packs[i].name;
        info.version = pack->packs[i].version;
        info.digest = pack->packs[i].digest;
    }
    return info;
}

size_t kvet_rule_count(const kvet_pack *pack) { return pack->nrules; }

size_t kvet_function_count(const kvet_pack *pack) { return pack->nfns; }

const char *kvet_function_name(const kvet_pack *pack, size_t i)
{
    return i < pack->nfns ? pack->fns[i].name : NULL;
}

const char *kvet_rule_id(const kvet_pack *pack, size_t i)
{
    return i < pack->nrules ? pack->rules[i].id : NULL;
}

kvet_rule_info kvet_rule_at(const kvet_pack *pack, size_t i)
{
    kvet_rule_info r;
    memset(&r, 0, sizeof r);
    if (i >= pack->nrules)
        return r;
    const kv_rule *k = &pack->rules[i];
    r.id = k->id;
    r.severity = k->effective;
    r.enabled = k->enabled;
    r.title = k->title;
    r.pack = pack->packs[k->pack].name;
    r.remedy = k->remedy_text;
    r.link = k->link;
    r.doc = k->doc;
    r.file = k->pos.file < pack->nfiles ? pack->files[k->pos.file] : NULL;
    r.line = k->pos.line;
    r.col = k->pos.col;
    r.applies_to = k->applies_to;
    r.stock_severity = k->severity;
    if (k->override_pack >= 0 && (uint32_t)k->override_pack < pack->npacks) {
        r.override_pack = pack->packs[k->override_pack].name;
        r.override_file = k->override_pos.file < pack->nfiles ? pack->files[k->override_pos.file] : NULL;
        r.override_line = k->override_pos.line;
        r.override_col = k->override_pos.col;
    }
    return r;
}

size_t kvet_view_count(const kvet_pack *pack) { return pack ? pack->nviews : 0; }

kvet_view_info kvet_view_at(const kvet_pack *pack, size_t i)
{
    kvet_view_info v;
    memset(&v, 0, sizeof v);
    if (!pack || i >= pack->nviews)
        return v;
    const kv_view *k = &pack->views[i];
    v.name = k->name;
    v.pack = k->pack < pack->npacks ? pack->packs[k->pack].name : NULL;
    v.values = k->values;
    v.nvalues = k->nvalues;
    v.file = k->pos.file < pack->nfiles ? pack->files[k->pos.file] : NULL;
    v.line = k->pos.line;
    v.col = k->pos.col;
    return v;
}

int kvet_view_find(const kvet_pack *pack, const char *name, kvet_view_info *out)
{
    memset(out, 0, sizeof *out);
    /* the packs a user names come before the packs they import: an
     * organisation's pack that imports the stock pack may declare its own */
    for (size_t i = 0; i < kvet_view_count(pack); i++)
        if (name && !strcmp(pack->views[i].name, name)) {
            *out = kvet_view_at(pack, i);
            return 1;
        }
    return 0;
}

size_t kvet_derive_count(const kvet_pack *pack) { return pack->nderives; }

kvet_derive_info kvet_derive_at(const kvet_pack *pack, size_t i)
{
    kvet_derive_info d;
    memset(&d, 0, sizeof d);
    if (i >= pack->nderives)
        return d;
    const kv_derive *k = &pack->derives[i];
    d.name = k->name;
    d.file = k->pos.file < pack->nfiles ? pack->files[k->pos.file] : NULL;
    d.line = k->pos.line;
    d.col = k->pos.col;
    d.expr = k->expr;
    return d;
}

const char *kvet_rule_meta(const kvet_pack *pack, size_t i, const char *key)
{
    if (i >= pack->nrules)
        return NULL;
    const kv_rule *r = &pack->rules[i];
    for (uint32_t k = 0; k < r->nmeta; k++)
        if (!strcmp(r->meta_keys[k], key))
            return r->meta_vals[k];
    return NULL;
}
