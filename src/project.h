/*
 * project.h - the project file (kvet.yaml): the environments of a
 * repository, each with its manifests, cluster configuration, parameters
 * and default namespace (docs/environments.md).
 */
#ifndef KV_PROJECT_H
#define KV_PROJECT_H

#include <stdbool.h>
#include <stdint.h>

#include "kvet/kvet.h"

typedef struct kv_strings {
    char **v;
    size_t n;
} kv_strings;

typedef struct kv_project_env {
    char *name;
    uint32_t line;            /* where it is declared in the project file */
    kv_strings paths;         /* globs of manifests, relative to the root */
    kv_strings cluster;       /* cluster configuration files or globs */
    kv_strings exclude;
    kv_strings set_names, set_values; /* parameters, as --set NAME=VALUE */
    char *ns;                 /* namespace of namespace-less documents, or NULL */
} kv_project_env;

struct kvet_project {
    char *file;               /* the project file as given */
    char *root;               /* its folder */
    kv_strings exclude;       /* for every environment */
    kv_project_env *envs;
    size_t nenvs;
};

#endif
