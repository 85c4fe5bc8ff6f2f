/*
 * fmt.c - `kvet fmt [--check] PATH...`: rule files in the canonical layout
 * (kvet_format_source).  Files are rewritten atomically and only when
 * their text changes; `--check` writes nothing and names the files that
 * are not formatted, with the first line that differs; `-` formats
 * standard input to standard output.
 */
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static bool is_rule_file(const char *name)
{
    return cli_has_suffix(name, ".kvet");
}

static char *read_all(FILE *f, size_t *len)
{
    size_t cap = 65536, n = 0;
    char *buf = malloc(cap);
    while (buf) {
        size_t got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (n < cap) {
            if (ferror(f)) {
                free(buf);
                return NULL;
            }
            *len = n;
            return buf;
        }
        char *nb = realloc(buf, cap * 2);
        if (!nb)
            free(buf);
        buf = nb;
        cap *= 2;
    }
    return NULL;
}

/* The first line where two texts differ (1-based). */
static size_t first_difference(const char *a, size_t alen, const char *b, size_t blen)
{
    size_t line = 1;
    for (size_t i = 0; i < alen && i < blen && a[i] == b[i]; i++)
        if (a[i] == '\n')
            line++;
    return line;
}

/* The text of line `line` of s, for showing what it should be. */
static void show_line(const char *s, size_t len, size_t line, const char *sign)
{
    size_t at = 1, i = 0;
    while (i < len && at < line)
        if (s[i++] == '\n')
            at++;
    size_t end = i;
    while (end < len && s[end] != '\n')
        end++;
    fprintf(stdout, "  %s %.*s\n", sign, (int)(end - i), s + i);
}

int cli_run_fmt(const char *const *paths, size_t npaths, bool check, bool quiet, bool err_color)
{
    if (npaths == 0) {
        fputs("kvet: fmt needs at least one PATH (a .kvet file, a folder, or - for standard input)\n"
              "Try 'kvet help' for usage.\n", stderr);
        return KVET_EXIT_ERROR;
    }
    kvet_ctx *ctx = kvet_ctx_new();
    if (!ctx) {
        fputs("kvet: out of memory\n", stderr);
        return KVET_EXIT_ERROR;
    }
    char **files = NULL;
    size_t nfiles = 0;
    int rc = KVET_EXIT_OK;
    bool unformatted = false;
    for (size_t i = 0; i < npaths; i++) {
        if (!strcmp(paths[i], "-")) {
            char *dash = strdup("-");
            char **nv = dash ? realloc(files, (nfiles + 1) * sizeof *nv) : NULL;
            if (!nv) {
                free(dash);
                rc = KVET_EXIT_ERROR;
                continue;
            }
            files = nv;
            files[nfiles++] = dash;
        } else if (cli_collect_files(paths[i], is_rule_file, &files, &nfiles) < 0) {
            rc = KVET_EXIT_ERROR;
        }
    }
    for (size_t i = 0; i < nfiles; i++) {
        const char *path = files[i];
        bool is_stdin = !strcmp(path, "-");
        const char *shown = is_stdin ? "<stdin>" : path;
        FILE *f = is_stdin ? stdin : fopen(path, "rb");
        size_t len = 0;
        char *text = f ? read_all(f, &len) : NULL;
        if (f && !is_stdin)
            fclose(f);
        if (!text) {
            fprintf(stderr, "kvet: cannot read %s\n", shown);
            rc = KVET_EXIT_ERROR;
            continue;
        }
        char *out = NULL;
        size_t olen = 0;
        if (kvet_format_source(ctx, shown, text, len, &out, &olen) < 0) {
            cli_print_diags(ctx, err_color, false);
            fprintf(stderr, "kvet: %s was not formatted: it does not parse\n", shown);
            rc = KVET_EXIT_ERROR;
            free(text);
            continue;
        }
        cli_print_diags(ctx, err_color, true);
        bool same = olen == len && !memcmp(out, text, len);
        if (is_stdin && !check) {
            fwrite(out, 1, olen, stdout);
        } else if (!same && check) {
            size_t line = first_difference(text, len, out, olen);
            printf("%s:%zu: not formatted\n", shown, line);
            if (!quiet) {
                show_line(text, len, line, "-");
                show_line(out, olen, line, "+");
            }
            unformatted = true;
        } else if (!same) {
            if (kvet_write_file_atomic(path, out, olen) < 0) {
                fprintf(stderr, "kvet: cannot write %s\n", path);
                rc = KVET_EXIT_ERROR;
            } else if (!quiet) {
                printf("%s\n", path);
            }
        }
        free(out);
        free(text);
    }
    if (fflush(stdout) != 0)
        rc = KVET_EXIT_ERROR;
    cli_free_strings(files, nfiles);
    kvet_ctx_free(ctx);
    if (rc == KVET_EXIT_OK && unformatted)
        rc = KVET_EXIT_FINDINGS;
    return rc;
}
