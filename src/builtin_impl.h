/*
 * builtin_impl.h - helpers shared by the files that implement builtins
 * (builtin.c, builtin_k8s.c, regex.c).  Not part of the interface the
 * compiler and the VM see; that is builtin.h.
 */
#ifndef KV_BUILTIN_IMPL_H
#define KV_BUILTIN_IMPL_H

#include <stdbool.h>

#include "builtin.h"
#include "value.h"

/* Set call->err to a formatted message (in call->arena) and return -1.
 * Messages start with the function name: "lower(): ...". */
int kv_bi_fail(kv_call *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* A value quoted for a message: JSON text, cut to about 60 bytes. */
const char *kv_bi_show(kv_call *c, kvet_value v);

/* "fn(): argument N must be <what>, got <type>"; returns -1. */
int kv_bi_type_error(kv_call *c, const char *fn, int argno, const char *what, kvet_value got);

/* 0 when args[i] has type t, else the type error above. */
int kv_bi_want(kv_call *c, const char *fn, const kvet_value *args, int i, kvet_type t);

/* The limits of the call (the defaults when the caller gave none). */
const kvet_limits *kv_bi_limits(const kv_call *c, kvet_limits *scratch);

/* A double as an int when it is whole and within int64, else a float. */
kvet_value kv_bi_number(double d);

/* Builtins implemented in builtin_k8s.c. */
int kv_bi_quantity(kv_call *c, const kvet_value *args, int n, kvet_value *out);
int kv_bi_duration(kv_call *c, const kvet_value *args, int n, kvet_value *out);
int kv_bi_duration_ns(kv_call *c, const kvet_value *args, int n, kvet_value *out);
int kv_bi_percent(kv_call *c, const kvet_value *args, int n, kvet_value *out);
int kv_bi_is_percent(kv_call *c, const kvet_value *args, int n, kvet_value *out);
int kv_bi_int_or_percent(kv_call *c, const kvet_value *args, int n, kvet_value *out);

/* Implemented in builtin_json.c (json) and with yaml_load.c (yaml). */
int kv_bi_json(kv_call *c, const kvet_value *args, int n, kvet_value *out);
int kv_bi_json_error(kv_call *c, const kvet_value *args, int n, kvet_value *out);
int kv_bi_yaml(kv_call *c, const kvet_value *args, int n, kvet_value *out);
int kv_bi_yaml_error(kv_call *c, const kvet_value *args, int n, kvet_value *out);

/* Builtins implemented in regex.c. */
int kv_bi_match(kv_call *c, const kvet_value *args, int n, kvet_value *out);
int kv_bi_capture(kv_call *c, const kvet_value *args, int n, kvet_value *out);
/* 1 when Go's strconv.IsPrint accepts code point r, 0 when not, -1 on an
 * error (reported in c). */
int kv_regex_is_print(kv_call *c, uint32_t r);

#endif
