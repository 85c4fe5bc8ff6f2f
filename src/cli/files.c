/*
 * files.c - the files a command works on: a path given on the command line
 * is taken as it is, a folder is walked for the files a command wants
 * (sorted, hidden entries and symbolic-link loops left out).
 */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"

bool cli_has_suffix(const char *s, const char *suf)
{
    size_t n = strlen(s), m = strlen(suf);
    return n >= m && !strcmp(s + n - m, suf);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int add(char ***out, size_t *n, char *s)
{
    char **nv = s ? realloc(*out, (*n + 1) * sizeof *nv) : NULL;
    if (!nv) {
        free(s);
        fputs("kvet: out of memory\n", stderr);
        return -1;
    }
    nv[(*n)++] = s;
    *out = nv;
    return 0;
}

/* depth bounds the walk: a folder symlinked into itself ends there */
static int walk(const char *path, bool (*want)(const char *name), char ***out, size_t *n, int depth)
{
    struct stat st;
    if (stat(path, &st) < 0) {
        fprintf(stderr, "kvet: %s: %s\n", path, strerror(errno));
        return -1;
    }
    if (!S_ISDIR(st.st_mode))
        return depth == 0 ? add(out, n, strdup(path)) : 0;
    if (depth > 64)
        return 0;
    DIR *d = opendir(path);
    if (!d) {
        fprintf(stderr, "kvet: %s: %s\n", path, strerror(errno));
        return -1;
    }
    char **names = NULL;
    size_t nn = 0;
    int rc = 0;
    struct dirent *e;
    while (rc == 0 && (e = readdir(d)))
        if (e->d_name[0] != '.')
            rc = add(&names, &nn, strdup(e->d_name));
    closedir(d);
    if (names)
        qsort(names, nn, sizeof *names, cmp_str);
    for (size_t i = 0; i < nn; i++) {
        size_t len = strlen(path) + strlen(names[i]) + 2;
        char *full = malloc(len);
        if (full && rc == 0) {
            snprintf(full, len, "%s%s%s", path, cli_has_suffix(path, "/") ? "" : "/", names[i]);
            struct stat cs;
            if (stat(full, &cs) == 0 && S_ISDIR(cs.st_mode)) {
                if (walk(full, want, out, n, depth + 1) < 0)
                    rc = -1;
            } else if (want(names[i])) {
                rc = add(out, n, full);
                full = NULL;
            }
        } else if (!full) {
            rc = -1;
        }
        free(full);
        free(names[i]);
    }
    free(names);
    return rc;
}

int cli_collect_files(const char *path, bool (*want)(const char *name), char ***out, size_t *n)
{
    return walk(path, want, out, n, 0);
}

void cli_free_strings(char **v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(v[i]);
    free(v);
}
