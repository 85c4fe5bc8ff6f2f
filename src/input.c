/*
 * input.c - finding and reading input files, and choosing their loader.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ctx.h"
#include "doc.h"

int kv_load_yaml(kvet_ctx *ctx, const char *name, uint32_t src, const char *data, size_t len,
                 kv_doc_fn fn, void *ud);
int kv_load_json(kvet_ctx *ctx, const char *name, uint32_t src, const char *data, size_t len,
                 kv_doc_fn fn, void *ud);

static bool has_suffix(const char *s, const char *suf)
{
    size_t n = strlen(s), m = strlen(suf);
    return n >= m && !strcmp(s + n - m, suf);
}

int kv_load_buffer(kvet_ctx *ctx, const char *name, uint32_t src,
                   const char *data, size_t len, kv_doc_format fmt,
                   kv_doc_fn fn, void *ud)
{
    /* a UTF-8 byte order mark is not part of the document */
    if (len >= 3 && (unsigned char)data[0] == 0xEF && (unsigned char)data[1] == 0xBB && (unsigned char)data[2] == 0xBF) {
        data += 3;
        len -= 3;
    }
    if (fmt == KV_FMT_AUTO)
        fmt = has_suffix(name, ".json") ? KV_FMT_JSON : KV_FMT_YAML;
    if (fmt == KV_FMT_JSON)
        return kv_load_json(ctx, name, src, data, len, fn, ud);
    return kv_load_yaml(ctx, name, src, data, len, fn, ud);
}

int kv_read_file(kvet_ctx *ctx, const char *path, char **data, size_t *len)
{
    uint64_t limit = ctx->limits.max_document_bytes;
    bool is_stdin = !strcmp(path, "-");
    const char *shown = is_stdin ? "<stdin>" : path;
    FILE *f = is_stdin ? stdin : fopen(path, "rb");
    *data = NULL;
    *len = 0;
    if (!f) {
        kv_diag(ctx, KVET_SEV_ERROR, shown, 0, 0, 0, NULL, "cannot open: %s", strerror(errno));
        return -1;
    }
    struct stat st;
    if (!is_stdin && fstat(fileno(f), &st) == 0) {
        if (S_ISDIR(st.st_mode)) {
            kv_diag(ctx, KVET_SEV_ERROR, shown, 0, 0, 0, NULL, "is a folder, not a file");
            fclose(f);
            return -1;
        }
        if (S_ISREG(st.st_mode) && (uint64_t)st.st_size > limit) {
            kv_diag(ctx, KVET_SEV_ERROR, shown, 0, 0, 0, NULL, "file is larger than the limit of %llu bytes",
                    (unsigned long long)limit);
            fclose(f);
            return -1;
        }
    }
    size_t cap = 65536, n = 0;
    char *buf = malloc(cap + 1);
    if (!buf) {
        kv_diag(ctx, KVET_SEV_ERROR, shown, 0, 0, 0, NULL, "out of memory");
        if (!is_stdin)
            fclose(f);
        return -1;
    }
    for (;;) {
        if (n == cap) {
            if ((uint64_t)cap >= limit + 1) {
                kv_diag(ctx, KVET_SEV_ERROR, shown, 0, 0, 0, NULL, "file is larger than the limit of %llu bytes",
                        (unsigned long long)limit);
                free(buf);
                if (!is_stdin)
                    fclose(f);
                return -1;
            }
            size_t ncap = cap * 2;
            if ((uint64_t)ncap > limit + 1)
                ncap = (size_t)limit + 1;
            char *nb = realloc(buf, ncap + 1);
            if (!nb) {
                kv_diag(ctx, KVET_SEV_ERROR, shown, 0, 0, 0, NULL, "out of memory");
                free(buf);
                if (!is_stdin)
                    fclose(f);
                return -1;
            }
            buf = nb;
            cap = ncap;
        }
        size_t r = fread(buf + n, 1, cap - n, f);
        n += r;
        if (r == 0) {
            if (ferror(f)) {
                kv_diag(ctx, KVET_SEV_ERROR, shown, 0, 0, 0, NULL, "cannot read: %s", strerror(errno));
                free(buf);
                if (!is_stdin)
                    fclose(f);
                return -1;
            }
            break;
        }
    }
    if ((uint64_t)n > limit) {
        kv_diag(ctx, KVET_SEV_ERROR, shown, 0, 0, 0, NULL, "file is larger than the limit of %llu bytes",
                (unsigned long long)limit);
        free(buf);
        if (!is_stdin)
            fclose(f);
        return -1;
    }
    if (!is_stdin)
        fclose(f);
    buf[n] = '\0';
    *data = buf;
    *len = n;
    return 0;
}

typedef struct strvec {
    char **v;
    size_t n, cap;
    bool oom;
} strvec;

static void sv_push(strvec *sv, char *s)
{
    if (!s) {
        sv->oom = true;
        return;
    }
    if (sv->n == sv->cap) {
        size_t cap = sv->cap ? sv->cap * 2 : 16;
        char **v = realloc(sv->v, cap * sizeof *v);
        if (!v) {
            free(s);
            sv->oom = true;
            return;
        }
        sv->v = v;
        sv->cap = cap;
    }
    sv->v[sv->n++] = s;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

typedef struct visited {
    dev_t dev;
    ino_t ino;
} visited;

/* Walk a folder: entries sorted by name, manifests only, hidden entries
 * skipped, each folder visited once (symlink loops end). Iterative. */
static int walk(kvet_ctx *ctx, const char *root, strvec *out)
{
    strvec todo = {0};
    visited *seen = NULL;
    size_t nseen = 0, capseen = 0;
    int rc = 0;
    sv_push(&todo, strdup(root));
    while (todo.n && !todo.oom) {
        char *dir = todo.v[--todo.n];
        struct stat st;
        if (stat(dir, &st) != 0) {
            kv_diag(ctx, KVET_SEV_ERROR, dir, 0, 0, 0, NULL, "cannot read: %s", strerror(errno));
            rc = -1;
            free(dir);
            continue;
        }
        bool dup = false;
        for (size_t i = 0; i < nseen; i++)
            if (seen[i].dev == st.st_dev && seen[i].ino == st.st_ino)
                dup = true;
        if (dup) {
            free(dir);
            continue;
        }
        if (nseen == capseen) {
            capseen = capseen ? capseen * 2 : 16;
            visited *ns = realloc(seen, capseen * sizeof *ns);
            if (!ns) {
                free(dir);
                rc = -1;
                break;
            }
            seen = ns;
        }
        seen[nseen].dev = st.st_dev;
        seen[nseen].ino = st.st_ino;
        nseen++;
        DIR *d = opendir(dir);
        if (!d) {
            kv_diag(ctx, KVET_SEV_ERROR, dir, 0, 0, 0, NULL, "cannot open folder: %s", strerror(errno));
            rc = -1;
            free(dir);
            continue;
        }
        strvec entries = {0};
        struct dirent *e;
        while ((e = readdir(d))) {
            if (e->d_name[0] == '.')
                continue;
            size_t len = strlen(dir) + strlen(e->d_name) + 2;
            char *full = malloc(len);
            if (!full) {
                entries.oom = true;
                break;
            }
            snprintf(full, len, "%s%s%s", dir, has_suffix(dir, "/") ? "" : "/", e->d_name);
            sv_push(&entries, full);
        }
        closedir(d);
        if (entries.n)
            qsort(entries.v, entries.n, sizeof *entries.v, cmp_str);
        /* files in order now; sub-folders pushed in reverse so they pop in order */
        strvec subdirs = {0};
        for (size_t i = 0; i < entries.n; i++) {
            struct stat es;
            if (stat(entries.v[i], &es) != 0) {
                free(entries.v[i]);
                continue; /* a dangling link: nothing to read */
            }
            if (S_ISDIR(es.st_mode)) {
                sv_push(&subdirs, entries.v[i]);
            } else if (S_ISREG(es.st_mode) && (has_suffix(entries.v[i], ".yaml") || has_suffix(entries.v[i], ".yml") ||
                                               has_suffix(entries.v[i], ".json"))) {
                sv_push(out, entries.v[i]);
            } else {
                free(entries.v[i]);
            }
        }
        /* depth-first, in name order: a folder's files, then its sub-folders */
        for (size_t i = subdirs.n; i > 0; i--)
            sv_push(&todo, subdirs.v[i - 1]);
        free(subdirs.v);
        free(entries.v);
        if (entries.oom || subdirs.oom)
            todo.oom = true;
        free(dir);
    }
    for (size_t i = 0; i < todo.n; i++)
        free(todo.v[i]);
    free(todo.v);
    free(seen);
    if (todo.oom) {
        kv_diag(ctx, KVET_SEV_ERROR, root, 0, 0, 0, NULL, "out of memory");
        rc = -1;
    }
    return rc;
}

int kv_expand_inputs(kvet_ctx *ctx, const char *const *paths, size_t n,
                     char ***out, size_t *nout)
{
    strvec sv = {0};
    int rc = 0;
    for (size_t i = 0; i < n; i++) {
        if (!strcmp(paths[i], "-")) {
            sv_push(&sv, strdup("-"));
            continue;
        }
        struct stat st;
        if (stat(paths[i], &st) != 0) {
            kv_diag(ctx, KVET_SEV_ERROR, paths[i], 0, 0, 0, NULL, "cannot read: %s", strerror(errno));
            rc = -1;
            continue;
        }
        if (S_ISDIR(st.st_mode)) {
            if (walk(ctx, paths[i], &sv) < 0)
                rc = -1;
        } else {
            sv_push(&sv, strdup(paths[i]));
        }
    }
    if (sv.oom) {
        kv_diag(ctx, KVET_SEV_ERROR, NULL, 0, 0, 0, NULL, "out of memory");
        rc = -1;
    }
    *out = sv.v;
    *nout = sv.n;
    return rc;
}

void kv_free_strings(char **v, size_t n)
{
    if (!v)
        return;
    for (size_t i = 0; i < n; i++)
        free(v[i]);
    free(v);
}
