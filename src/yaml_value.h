/*
 * yaml_value.h - one YAML document inside a string (a ConfigMap entry such
 * as the Prometheus Adapter's config.yaml) read by the manifest loader
 * (yaml_load.c): the same scalar typing, limits and duplicate-key errors.
 */
#ifndef KV_YAML_VALUE_H
#define KV_YAML_VALUE_H

#include <stddef.h>
#include <stdint.h>

#include "kvet/kvet.h"
#include "arena.h"

/* The first document of the text of string str, in arena; the text after
 * it is not read, as go-yaml's Unmarshal reads one.  No document is null.
 * Values are placed in the manifest when str is a literal block scalar
 * (KVET_VF_LITERAL: the text's lines are the manifest's), else at str.
 * Returns 0, or -1 with the error in msg and its 1-based line and column
 * inside the text in *line, *col (0 when it has none).  gomsg gets the
 * text gopkg.in/yaml.v2 gives for the same error when it stops at the same
 * place for the same reason (syntax, an unknown anchor), else "": a
 * repeated key (it names the Go type decoded into), a merge of something
 * not a mapping (it finds that only after reading the whole document, so a
 * later syntax error would come first), the loader's limits. */
int kv_yaml_value(const kvet_value *str, const kvet_limits *lim, kv_arena *arena, kvet_value *out,
                  char *msg, size_t msgsz, uint32_t *line, uint32_t *col, char *gomsg, size_t gosz);

#endif
