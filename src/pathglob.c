/*
 * pathglob.c - glob patterns over '/'-separated paths (see pathglob.h).
 */
#include <fnmatch.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pathglob.h"

static const char *skip_dot_slash(const char *s)
{
    while (s[0] == '.' && s[1] == '/') {
        s += 2;
        while (*s == '/')
            s++;
    }
    return s;
}

/* One segment of pattern p (length pn) against one of path s (length sn). */
static bool seg_match(const char *p, size_t pn, const char *s, size_t sn)
{
    char pat[PATH_MAX], str[PATH_MAX];
    if (pn >= sizeof pat || sn >= sizeof str)
        return false;
    memcpy(pat, p, pn);
    pat[pn] = '\0';
    memcpy(str, s, sn);
    str[sn] = '\0';
    return fnmatch(pat, str, FNM_PATHNAME) == 0;
}

static size_t seg_len(const char *s)
{
    const char *slash = strchr(s, '/');
    return slash ? (size_t)(slash - s) : strlen(s);
}

/* Match pattern segments against path segments.  The pattern may end
 * before the path does: it then names a folder the path is in. */
static bool match_from(const char *p, const char *s, int depth)
{
    if (depth > 64)
        return false;
    for (;;) {
        while (*p == '/')
            p++;
        while (*s == '/')
            s++;
        if (!*p)
            return true; /* the path is the pattern's folder or below it */
        size_t pn = seg_len(p);
        if (pn == 2 && p[0] == '*' && p[1] == '*') {
            const char *rest = p + 2;
            /* zero or more segments: try every split */
            for (const char *t = s;;) {
                if (match_from(rest, t, depth + 1))
                    return true;
                if (!*t)
                    return false;
                t += seg_len(t);
                while (*t == '/')
                    t++;
            }
        }
        if (!*s)
            return false;
        size_t sn = seg_len(s);
        if (!seg_match(p, pn, s, sn))
            return false;
        p += pn;
        s += sn;
    }
}

bool kv_path_glob(const char *pattern, const char *path)
{
    return match_from(skip_dot_slash(pattern), skip_dot_slash(path), 0);
}

bool kv_path_is_glob(const char *pattern)
{
    return strpbrk(pattern, "*?[") != NULL;
}

char *kv_path_absolute(const char *path)
{
    return kv_path_absolute_in(NULL, path);
}

char *kv_path_absolute_in(const char *cwd, const char *path)
{
    char here[PATH_MAX];
    size_t plen = strlen(path);
    char *joined;
    if (path[0] == '/') {
        joined = strdup(path);
    } else {
        if (!cwd && !(cwd = getcwd(here, sizeof here)))
            return NULL;
        size_t clen = strlen(cwd);
        joined = malloc(clen + plen + 2);
        if (joined) {
            memcpy(joined, cwd, clen);
            joined[clen] = '/';
            memcpy(joined + clen + 1, path, plen + 1);
        }
    }
    if (!joined)
        return NULL;
    /* clean in place: segments kept on a stack of output positions */
    size_t n = strlen(joined);
    char *out = malloc(n + 2);
    if (!out) {
        free(joined);
        return NULL;
    }
    size_t o = 0;
    const char *s = joined;
    while (*s) {
        while (*s == '/')
            s++;
        if (!*s)
            break;
        size_t len = seg_len(s);
        if (len == 1 && s[0] == '.') {
            /* nothing */
        } else if (len == 2 && s[0] == '.' && s[1] == '.') {
            while (o > 0 && out[o - 1] != '/')
                o--;
            if (o > 0)
                o--;
        } else {
            out[o++] = '/';
            memcpy(out + o, s, len);
            o += len;
        }
        s += len;
    }
    if (o == 0)
        out[o++] = '/';
    out[o] = '\0';
    free(joined);
    return out;
}

char *kv_path_relative_abs(const char *r, const char *p)
{
    size_t rl = strlen(r);
    if (!strcmp(r, p))
        return strdup(".");
    if (rl == 1 && r[0] == '/')
        return strdup(p + 1);
    if (!strncmp(r, p, rl) && p[rl] == '/')
        return strdup(p + rl + 1);
    return NULL;
}

char *kv_path_relative(const char *root, const char *path)
{
    char *r = kv_path_absolute(root), *p = kv_path_absolute(path);
    char *res = r && p ? kv_path_relative_abs(r, p) : NULL;
    free(r);
    free(p);
    return res;
}
