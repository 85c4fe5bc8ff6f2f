/*
 * project.c - reading the project file (kvet.yaml) and finding it.
 *
 * The file is one YAML document; every key is checked, so that a misspelt
 * one is an error at its position rather than a setting silently ignored.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ctx.h"
#include "pathglob.h"
#include "project.h"
#include "value.h"

static bool str_is(kvet_value v, const char *s)
{
    return v.type == KVET_STRING && !strcmp(v.u.s->data, s);
}

static char *vdup(kvet_value v)
{
    return strndup(v.u.s->data, v.u.s->len);
}

static void strings_free(kv_strings *s)
{
    for (size_t i = 0; i < s->n; i++)
        free(s->v[i]);
    free(s->v);
    s->v = NULL;
    s->n = 0;
}

static int strings_push(kv_strings *s, char *x)
{
    char **nv = x ? realloc(s->v, (s->n + 1) * sizeof *nv) : NULL;
    if (!nv) {
        free(x);
        return -1;
    }
    nv[s->n++] = x;
    s->v = nv;
    return 0;
}

/* A scalar as the text --set would get: strings as they are, numbers and
 * booleans as written. */
static char *scalar_text(kvet_value v)
{
    kv_buf b;
    kv_buf_init(&b);
    if (v.type == KVET_STRING)
        return vdup(v);
    kv_value_render(&b, v, true);
    return kv_buf_take(&b);
}

/* A list of path strings (a single string is taken as a list of one). */
static int read_paths(kvet_documents *d, kvet_value v, const char *key, kv_strings *out)
{
    if (v.type == KVET_STRING) {
        if (!v.u.s->len) {
            kvet_documents_error(d, v, "%s: expected a path or glob, got an empty string", key);
            return -1;
        }
        return strings_push(out, vdup(v));
    }
    if (v.type != KVET_LIST) {
        kvet_documents_error(d, v, "%s: expected a list of paths or globs, got %s", key, kv_type_name(v.type));
        return -1;
    }
    for (uint32_t i = 0; i < v.u.l->n; i++) {
        kvet_value it = v.u.l->items[i];
        if (it.type != KVET_STRING || !it.u.s->len) {
            kvet_documents_error(d, it, "%s: expected a path or glob (a non-empty string), got %s", key,
                                 it.type == KVET_STRING ? "an empty string" : kv_type_name(it.type));
            return -1;
        }
        if (it.u.s->data[0] == '/' || strstr(it.u.s->data, "../") || !strcmp(it.u.s->data, "..")) {
            kvet_documents_error(d, it, "%s: paths are relative to the project file's folder and stay inside it",
                                 key);
            return -1;
        }
        if (strings_push(out, vdup(it)) < 0)
            return -1;
    }
    return 0;
}

static int read_env(kvet_documents *d, kvet_project *p, kvet_value e, kv_project_env *env)
{
    if (e.type != KVET_MAP) {
        kvet_documents_error(d, e, "an environment is a map with name, paths, cluster, namespace, set and exclude");
        return -1;
    }
    env->line = e.line;
    for (uint32_t i = 0; i < e.u.m->n; i++) {
        const char *k = e.u.m->e[i].key->data;
        kvet_value v = e.u.m->e[i].val;
        int rc = 0;
        if (!strcmp(k, "name")) {
            if (v.type != KVET_STRING || !v.u.s->len || strpbrk(v.u.s->data, " \t/,")) {
                kvet_documents_error(d, v, "name: expected a word (no spaces, slashes or commas)");
                return -1;
            }
            env->name = vdup(v);
        } else if (!strcmp(k, "paths")) {
            rc = read_paths(d, v, "paths", &env->paths);
        } else if (!strcmp(k, "cluster")) {
            rc = read_paths(d, v, "cluster", &env->cluster);
        } else if (!strcmp(k, "exclude")) {
            rc = read_paths(d, v, "exclude", &env->exclude);
        } else if (!strcmp(k, "namespace")) {
            if (v.type != KVET_STRING || !v.u.s->len) {
                kvet_documents_error(d, v, "namespace: expected a namespace name");
                return -1;
            }
            env->ns = vdup(v);
        } else if (!strcmp(k, "set")) {
            if (v.type != KVET_MAP) {
                kvet_documents_error(d, v, "set: expected a map of pack parameters (NAME: VALUE)");
                return -1;
            }
            for (uint32_t j = 0; j < v.u.m->n && rc == 0; j++) {
                kvet_value pv = v.u.m->e[j].val;
                if (pv.type == KVET_MAP || pv.type == KVET_LIST || pv.type == KVET_NULL) {
                    kvet_documents_error(d, pv, "set: %s: expected a scalar value", v.u.m->e[j].key->data);
                    return -1;
                }
                rc = strings_push(&env->set_names, strdup(v.u.m->e[j].key->data));
                if (rc == 0)
                    rc = strings_push(&env->set_values, scalar_text(pv));
            }
        } else {
            kvet_documents_error(d, v, "unknown key '%s' in an environment (expected name, paths, cluster, namespace, set "
                                 "or exclude)", k);
            return -1;
        }
        if (rc < 0)
            return -1;
    }
    if (!env->name) {
        kvet_documents_error(d, e, "an environment needs a name");
        return -1;
    }
    if (!env->paths.n) {
        kvet_documents_error(d, e, "environment '%s' needs paths: the manifests that belong to it", env->name);
        return -1;
    }
    for (size_t i = 0; i + 1 < p->nenvs; i++)
        if (p->envs[i].name && !strcmp(p->envs[i].name, env->name)) {
            kvet_documents_error(d, kvet_map_get(e, "name", 4), "environment '%s' is declared twice (line %u)",
                                 env->name, p->envs[i].line);
            return -1;
        }
    return 0;
}

kvet_project *kvet_project_load(kvet_ctx *ctx, const char *path)
{
    kvet_documents *d = kvet_documents_read(ctx, path);
    if (!d)
        return NULL;
    kvet_project *p = calloc(1, sizeof *p);
    if (!p) {
        kvet_documents_free(d);
        kv_diag(ctx, KVET_SEV_ERROR, path, 0, 0, 0, NULL, "out of memory");
        return NULL;
    }
    p->file = strdup(path);
    const char *slash = strrchr(path, '/');
    p->root = slash ? strndup(path, slash == path ? 1 : (size_t)(slash - path)) : strdup(".");
    int rc = p->file && p->root ? 0 : -1;
    if (kvet_documents_count(d) != 1) {
        kv_diag(ctx, KVET_SEV_ERROR, path, 0, 0, 0, NULL, "a project file holds one YAML document, found %zu",
                kvet_documents_count(d));
        rc = -1;
    }
    kvet_value root = kvet_documents_at(d, 0);
    if (rc == 0 && root.type != KVET_MAP) {
        kvet_documents_error(d, root, "expected a map with environments (see docs/environments.md)");
        rc = -1;
    }
    for (uint32_t i = 0; rc == 0 && i < root.u.m->n; i++) {
        const char *k = root.u.m->e[i].key->data;
        kvet_value v = root.u.m->e[i].val;
        if (!strcmp(k, "apiVersion")) {
            if (!str_is(v, "kvet.dev/v1")) {
                kvet_documents_error(d, v, "apiVersion: expected kvet.dev/v1");
                rc = -1;
            }
        } else if (!strcmp(k, "kind")) {
            if (!str_is(v, "Project")) {
                kvet_documents_error(d, v, "kind: expected Project");
                rc = -1;
            }
        } else if (!strcmp(k, "exclude")) {
            rc = read_paths(d, v, "exclude", &p->exclude);
        } else if (!strcmp(k, "environments")) {
            if (v.type != KVET_LIST || v.u.l->n == 0) {
                kvet_documents_error(d, v, "environments: expected a list of environments");
                rc = -1;
                break;
            }
            p->envs = calloc(v.u.l->n, sizeof *p->envs);
            if (!p->envs) {
                rc = -1;
                break;
            }
            for (uint32_t j = 0; j < v.u.l->n && rc == 0; j++) {
                p->nenvs++;
                rc = read_env(d, p, v.u.l->items[j], &p->envs[j]);
            }
        } else {
            kvet_documents_error(d, v, "unknown key '%s' in the project file (expected apiVersion, kind, environments or "
                                 "exclude)", k);
            rc = -1;
        }
    }
    if (rc == 0 && !p->nenvs) {
        kvet_documents_error(d, root, "the project file declares no environments");
        rc = -1;
    }
    kvet_documents_free(d);
    if (rc < 0) {
        kvet_project_free(p);
        return NULL;
    }
    return p;
}

void kvet_project_free(kvet_project *p)
{
    if (!p)
        return;
    for (size_t i = 0; i < p->nenvs; i++) {
        kv_project_env *e = &p->envs[i];
        free(e->name);
        free(e->ns);
        strings_free(&e->paths);
        strings_free(&e->cluster);
        strings_free(&e->exclude);
        strings_free(&e->set_names);
        strings_free(&e->set_values);
    }
    free(p->envs);
    strings_free(&p->exclude);
    free(p->file);
    free(p->root);
    free(p);
}

const char *kvet_project_file(const kvet_project *p) { return p->file; }
const char *kvet_project_root(const kvet_project *p) { return p->root; }
size_t kvet_project_env_count(const kvet_project *p) { return p->nenvs; }
const char *kvet_project_env_name(const kvet_project *p, size_t i) { return i < p->nenvs ? p->envs[i].name : NULL; }

char *kvet_project_find(const char *start)
{
    char *dir = kv_path_absolute(start ? start : ".");
    if (!dir)
        return NULL;
    struct stat st;
    /* a file's project is its folder's */
    if (stat(dir, &st) == 0 && !S_ISDIR(st.st_mode)) {
        char *slash = strrchr(dir, '/');
        if (slash)
            slash == dir ? (void)(slash[1] = '\0') : (void)(*slash = '\0');
    }
    for (;;) {
        size_t n = strlen(dir);
        char *cand = malloc(n + 11);
        if (!cand)
            break;
        snprintf(cand, n + 11, "%s%skvet.yaml", dir, n && dir[n - 1] == '/' ? "" : "/");
        if (stat(cand, &st) == 0 && S_ISREG(st.st_mode)) {
            free(dir);
            /* as short as the user would write it: relative to the current
             * folder when it is below it */
            char *rel = kv_path_relative(".", cand);
            if (rel) {
                free(cand);
                return rel;
            }
            return cand;
        }
        free(cand);
        char *slash = strrchr(dir, '/');
        if (!slash || (slash == dir && !dir[1]))
            break;
        if (slash == dir)
            dir[1] = '\0';
        else
            *slash = '\0';
    }
    free(dir);
    return NULL;
}
