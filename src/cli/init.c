/*
 * init.c - `kvet init [DIR]`: a commented starter project file.
 *
 * It reads the manifests below DIR and proposes one environment per folder
 * that holds cluster configuration (config-autoscaler, KnativeServing,
 * inferenceservice-config, config-autoscaler-keda), named after the folder.
 * A manifest folder whose path names an environment (apps/prod, overlays/dev)
 * goes to that environment; the others are shared by all.  The result is a
 * guess to edit, and says so.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"

typedef struct folders {
    char **v;
    size_t n;
} folders;

static bool want_manifest(const char *name)
{
    return cli_has_suffix(name, ".yaml") || cli_has_suffix(name, ".yml") || cli_has_suffix(name, ".json");
}

static bool folders_has(const folders *f, const char *s)
{
    for (size_t i = 0; i < f->n; i++)
        if (!strcmp(f->v[i], s))
            return true;
    return false;
}

static int folders_add(folders *f, const char *s)
{
    if (folders_has(f, s))
        return 0;
    char **nv = realloc(f->v, (f->n + 1) * sizeof *nv);
    if (!nv || !(nv[f->n] = strdup(s))) {
        if (nv)
            f->v = nv;
        return -1;
    }
    f->v = nv;
    f->n++;
    return 0;
}

static bool str_is(kvet_value v, const char *s)
{
    return v.type == KVET_STRING && !strcmp(v.u.s->data, s);
}

static bool is_cluster_config(kvet_value doc)
{
    kvet_value kind = kvet_map_get(doc, "kind", 4);
    if (str_is(kind, "KnativeServing"))
        return true;
    if (!str_is(kind, "ConfigMap"))
        return false;
    kvet_value name = kvet_map_get(kvet_map_get(doc, "metadata", 8), "name", 4);
    return str_is(name, "config-autoscaler") || str_is(name, "inferenceservice-config") ||
           str_is(name, "config-autoscaler-keda");
}

/* The folder of `file` relative to `root` ("." for the root itself). */
static char *folder_of(const char *root, const char *file)
{
    size_t rl = strlen(root);
    const char *rel = file;
    if (!strncmp(file, root, rl) && file[rl] == '/')
        rel = file + rl + 1;
    const char *slash = strrchr(rel, '/');
    return slash ? strndup(rel, (size_t)(slash - rel)) : strdup(".");
}

static const char *last_part(const char *folder)
{
    const char *slash = strrchr(folder, '/');
    return slash ? slash + 1 : folder;
}

/* Does a path component of `folder` equal `name`? */
static bool names(const char *folder, const char *name)
{
    size_t n = strlen(name);
    for (const char *p = folder; p && *p;) {
        const char *slash = strchr(p, '/');
        size_t len = slash ? (size_t)(slash - p) : strlen(p);
        if (len == n && !strncmp(p, name, n))
            return true;
        p = slash ? slash + 1 : NULL;
    }
    return false;
}

/* Is `folder` below one of the listed folders (or one of them)? */
static bool covered(const folders *f, const char *folder)
{
    for (size_t i = 0; i < f->n; i++) {
        size_t n = strlen(f->v[i]);
        if (!strcmp(f->v[i], ".") || (!strncmp(folder, f->v[i], n) && (folder[n] == '\0' || folder[n] == '/')))
            return true;
    }
    return false;
}

static void yaml_item(kv_buf *b, const char *folder)
{
    if (!strcmp(folder, "."))
        kv_buf_puts(b, "      - \"**\"\n");
    else
        kv_buf_printf(b, "      - \"%s/\"\n", folder);
}

int cli_run_init(kvet_ctx *ctx, const char *dir, bool force, bool quiet)
{
    const char *root = dir ? dir : ".";
    struct stat st;
    if (stat(root, &st) != 0 || !S_ISDIR(st.st_mode)) {
        fprintf(stderr, "kvet: init: %s is not a folder\n", root);
        return KVET_EXIT_ERROR;
    }
    size_t plen = strlen(root) + 16;
    char *path = malloc(plen);
    if (!path)
        return KVET_EXIT_ERROR;
    snprintf(path, plen, "%s%skvet.yaml", root, cli_has_suffix(root, "/") ? "" : "/");
    if (!force && stat(path, &st) == 0) {
        fprintf(stderr, "kvet: init: %s exists; edit it, or pass --force to replace it\n", path);
        free(path);
        return KVET_EXIT_ERROR;
    }
    char **files = NULL;
    size_t nfiles = 0;
    if (cli_collect_files(root, want_manifest, &files, &nfiles) < 0) {
        free(path);
        return KVET_EXIT_ERROR;
    }
    folders cfg = {0}, manifests = {0};
    int rc = 0;
    for (size_t i = 0; i < nfiles && rc == 0; i++) {
        if (cli_has_suffix(files[i], "/kvet.yaml") || !strcmp(files[i], "kvet.yaml"))
            continue;
        kvet_documents *docs = kvet_documents_read(ctx, files[i]);
        kvet_diag_clear(ctx); /* unreadable files are check's business */
        if (!docs)
            continue;
        char *folder = folder_of(root, files[i]);
        bool config = false, any = false;
        for (size_t k = 0; k < kvet_documents_count(docs); k++) {
            kvet_value d = kvet_documents_at(docs, k);
            config |= is_cluster_config(d);
            any |= kvet_map_get(d, "kind", 4).type == KVET_STRING;
        }
        if (folder && config)
            rc = folders_add(&cfg, folder);
        else if (folder && any)
            rc = folders_add(&manifests, folder);
        free(folder);
        kvet_documents_free(docs);
    }
    kv_buf b;
    kv_buf_init(&b);
    kv_buf_puts(&b, "# kvet project file: the environments of this repository (docs/environments.md).\n"
                     "# Written by `kvet init` from the manifests it found; check every line.\n"
                     "#\n"
                     "# An environment is one cluster: its manifests (paths), its cluster configuration\n"
                     "# (cluster: config-autoscaler, KnativeServing, inferenceservice-config), the pack\n"
                     "# parameters of its releases (set:) and the namespace of manifests without one\n"
                     "# (namespace:).  Paths are relative to this file; a folder takes what is below it;\n"
                     "# * and ** are globs.\n"
                     "apiVersion: kvet.dev/v1\n"
                     "kind: Project\n"
                     "# exclude:\n"
                     "#   - \"**/testdata/**\"\n"
                     "environments:\n");
    if (!cfg.n) {
        kv_buf_puts(&b, "  # No cluster configuration was found: every manifest is checked against\n"
                         "  # Knative's and KServe's defaults.  List your cluster's config-autoscaler\n"
                         "  # (and inferenceservice-config) under cluster:.\n"
                         "  - name: default\n"
                         "    paths:\n"
                         "      - \"**\"\n"
                         "    # cluster:\n"
                         "    #   - cluster/config-autoscaler.yaml\n"
                         "    # namespace: default\n"
                         "    # set:\n"
                         "    #   kserve_version: \"0.15.2\"\n"
                         "    #   knative_version: \"1.19\"\n");
    }
    for (size_t e = 0; e < cfg.n; e++) {
        char name[256];
        snprintf(name, sizeof name, "%s", !strcmp(cfg.v[e], ".") ? "default" : last_part(cfg.v[e]));
        for (size_t x = 0; x < cfg.n; x++)
            if (x != e && !strcmp(last_part(cfg.v[x]), name)) {
                /* two folders of one name: the whole path names each */
                snprintf(name, sizeof name, "%s", cfg.v[e]);
                for (char *c = name; *c; c++)
                    if (*c == '/')
                        *c = '-';
                break;
            }
        kv_buf_printf(&b, "  - name: %s\n    # cluster configuration found in %s/\n    cluster:\n      - \"%s/\"\n",
                       name, cfg.v[e], cfg.v[e]);
        kv_buf_puts(&b, "    paths:\n");
        folders mine = {0};
        for (size_t m = 0; m < manifests.n; m++) {
            const char *f = manifests.v[m];
            bool other = false, own = names(f, name);
            for (size_t x = 0; x < cfg.n && !own; x++)
                other |= x != e && names(f, last_part(cfg.v[x]));
            if ((own || !other) && !covered(&mine, f) && !covered(&cfg, f))
                folders_add(&mine, f);
        }
        for (size_t m = 0; m < mine.n; m++)
            yaml_item(&b, mine.v[m]);
        if (!mine.n)
            kv_buf_printf(&b, "      - \"%s/\"\n", cfg.v[e]);
        cli_free_strings(mine.v, mine.n);
        kv_buf_puts(&b, "    # namespace: the namespace Argo CD or kustomize gives manifests without one\n"
                         "    # set:\n"
                         "    #   kserve_version: \"0.15.2\"\n"
                         "    #   knative_version: \"1.19\"\n");
    }
    /* what was written must load */
    if (rc == 0 && !b.oom) {
        rc = cli_write_report(path, &b);
        if (rc == 0) {
            kvet_project *p = kvet_project_load(ctx, path);
            if (!p) {
                cli_print_diags(ctx, false, false);
                rc = -1;
            }
            kvet_project_free(p);
        }
    } else {
        rc = -1;
    }
    if (rc == 0 && !quiet)
        fprintf(stderr, "kvet: wrote %s with %zu environment%s; review it, then run kvet check\n", path,
                cfg.n ? cfg.n : 1, cfg.n > 1 ? "s" : "");
    kv_buf_free(&b);
    cli_free_strings(cfg.v, cfg.n);
    cli_free_strings(manifests.v, manifests.n);
    cli_free_strings(files, nfiles);
    free(path);
    return rc == 0 ? KVET_EXIT_OK : KVET_EXIT_ERROR;
}
