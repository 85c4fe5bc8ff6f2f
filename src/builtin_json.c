/*
 * builtin_json.c - json(s): JSON text inside a manifest (a ConfigMap entry
 * such as KServe's inferenceservice-config `deploy`) decoded as Go's
 * encoding/json decodes it into generic values: objects become maps (a
 * repeated key keeps its last value), arrays lists, numbers ints when they
 * are whole and fit, else floats.  Text that is not one JSON value, with
 * only white space after it, is an error naming where it went wrong.
 */
#include <cjson/cJSON.h>
#include <string.h>

#include "builtin_impl.h"
#include "json_syntax.h"
#include "yaml_value.h"

static int convert(kv_call *c, const cJSON *j, kvet_value at, uint32_t depth, uint32_t max_depth, kvet_value *out)
{
    if (depth > max_depth)
        return kv_bi_fail(c, "json(): nested deeper than the limit of %u levels", max_depth);
    if (cJSON_IsNull(j)) {
        *out = kv_at(kv_null(), at);
    } else if (cJSON_IsBool(j)) {
        *out = kv_at(kv_bool(cJSON_IsTrue(j)), at);
    } else if (cJSON_IsNumber(j)) {
        *out = kv_at(kv_bi_number(j->valuedouble), at);
    } else if (cJSON_IsString(j)) {
        *out = kv_at(kv_string_value(c->arena, j->valuestring, strlen(j->valuestring)), at);
        if (out->type == KVET_ABSENT)
            return kv_bi_fail(c, "json(): out of memory");
    } else if (cJSON_IsArray(j)) {
        uint32_t n = (uint32_t)cJSON_GetArraySize(j), i = 0;
        kvet_list *l = kv_list_new(c->arena, n);
        if (!l)
            return kv_bi_fail(c, "json(): out of memory");
        for (const cJSON *e = j->child; e; e = e->next)
            if (convert(c, e, at, depth + 1, max_depth, &l->items[i++]) < 0)
                return -1;
        *out = kv_at(kv_list_value(l), at);
    } else if (cJSON_IsObject(j)) {
        uint32_t n = (uint32_t)cJSON_GetArraySize(j), k = 0;
        kvet_map *m = kv_map_new(c->arena, n);
        if (!m)
            return kv_bi_fail(c, "json(): out of memory");
        kv_keyset keys = {0};
        for (const cJSON *e = j->child; e; e = e->next) {
            kvet_value v;
            if (convert(c, e, at, depth + 1, max_depth, &v) < 0) {
                kv_keyset_free(&keys);
                return -1;
            }
            size_t klen = strlen(e->string);
            /* Go keeps the last of repeated keys */
            int64_t found = kv_keyset_find(&keys, m->e, k, e->string, klen);
            uint32_t slot = found >= 0 ? (uint32_t)found : k;
            if (slot == k) {
                m->e[k].key = kv_string_new(c->arena, e->string, klen);
                if (!m->e[k].key) {
                    kv_keyset_free(&keys);
                    return kv_bi_fail(c, "json(): out of memory");
                }
                k++;
            }
            m->e[slot].val = v;
        }
        kv_keyset_free(&keys);
        m->n = k;
        *out = kv_at(kv_map_value(m), at);
    } else {
        return kv_bi_fail(c, "json(): unsupported value");
    }
    return 0;
}

/* Line and column (1-based, bytes) of offset off in s. */
static void where(const char *s, size_t off, unsigned *line, unsigned *col)
{
    *line = 1;
    *col = 1;
    for (size_t i = 0; i < off; i++) {
        if (s[i] == '\n') {
            (*line)++;
            *col = 1;
        } else {
            (*col)++;
        }
    }
}

static int decode(kv_call *c, const kvet_value *args, kvet_value *out);

int kv_bi_json(kv_call *c, const kvet_value *args, int n, kvet_value *out)
{
    (void)n;
    return decode(c, args, out);
}

/* json_error(s): Go's encoding/json syntax error for s (what KServe and
 * autoscaler-keda log), or absent when s is valid JSON.  In a literal block
 * scalar the text's lines are the manifest's, so the result points at the
 * offending byte (a rule's `at` can use it). */
int kv_bi_json_error(kv_call *c, const kvet_value *args, int n, kvet_value *out)
{
    (void)n;
    if (args[0].type == KVET_ABSENT) {
        *out = args[0];
        return 0;
    }
    if (kv_bi_want(c, "json_error", args, 0, KVET_STRING))
        return -1;
    const char *s = args[0].u.s->data;
    size_t len = args[0].u.s->len;
    char msg[160];
    size_t off = kv_json_syntax_error(s, len, msg, sizeof msg);
    if (off == KV_JSON_VALID) {
        *out = kv_at(kv_absent(), args[0]);
        return 0;
    }
    *out = kv_at(kv_string_value(c->arena, msg, strlen(msg)), args[0]);
    if (out->type == KVET_ABSENT)
        return kv_bi_fail(c, "json_error(): out of memory");
    if ((args[0].flags & KVET_VF_LITERAL) && args[0].line) {
        unsigned line, col;
        where(s, off, &line, &col);
        out->line = args[0].line + line;
        out->col = args[0].reserved + col - 1;
    }
    return 0;
}

static int decode(kv_call *c, const kvet_value *args, kvet_value *out)
{
    if (args[0].type == KVET_ABSENT) {
        *out = args[0];
        return 0;
    }
    if (kv_bi_want(c, "json", args, 0, KVET_STRING))
        return -1;
    const char *s = args[0].u.s->data;
    size_t len = args[0].u.s->len;
    char msg[160];
    size_t off = kv_json_syntax_error(s, len, msg, sizeof msg);
    if (off != KV_JSON_VALID) {
        unsigned line, col;
        where(s, off, &line, &col);
        return kv_bi_fail(c, "json(): line %u, column %u: %s", line, col, msg);
    }
    /* Go accepts a NUL inside a string only escaped, so valid text has none
     * and cJSON (which stops at one) sees all of it */
    cJSON *j = cJSON_ParseWithLength(s, len);
    if (!j) /* cJSON stops at its own nesting limit (1000) */
        return kv_bi_fail(c, "json(): nested too deeply, or out of memory");
    kvet_limits scratch;
    const kvet_limits *lim = kv_bi_limits(c, &scratch);
    int rc = convert(c, j, args[0], 1, lim->max_depth, out);
    cJSON_Delete(j);
    return rc;
}

/* yaml(s) and yaml_error(s): one YAML document inside a string, read by the
 * manifest loader.  An error's line and column are inside the text. */
static int yaml_read(kv_call *c, const kvet_value *s, kvet_value *out, char *msg, size_t msgsz, char *gomsg,
                     size_t gosz)
{
    kvet_limits scratch;
    const kvet_limits *lim = kv_bi_limits(c, &scratch);
    uint32_t line = 0, col = 0;
    gomsg[0] = '\0';
    if (s->u.s->len > lim->max_document_bytes) {
        snprintf(msg, msgsz, "the text is larger than the limit of %llu bytes",
                 (unsigned long long)lim->max_document_bytes);
        return -1;
    }
    if (kv_yaml_value(s, lim, c->arena, out, msg, msgsz, &line, &col, gomsg, gosz) == 0)
        return 0;
    if (line) {
        char where_[48];
        snprintf(where_, sizeof where_, "line %u, column %u: ", (unsigned)line, (unsigned)col);
        size_t w = strlen(where_), m = strlen(msg);
        if (w + m >= msgsz)
            m = msgsz - w - 1;
        memmove(msg + w, msg, m);
        memcpy(msg, where_, w);
        msg[w + m] = '\0';
        /* in a literal block scalar the text's lines are the manifest's */
        if ((s->flags & KVET_VF_LITERAL) && s->line) {
            out->line = s->line + line;
            out->col = s->reserved + col - 1;
        } else {
            out->line = s->line;
            out->col = s->col;
        }
    } else {
        out->line = s->line;
        out->col = s->col;
    }
    out->src = s->src;
    return -1;
}

int kv_bi_yaml(kv_call *c, const kvet_value *args, int n, kvet_value *out)
{
    (void)n;
    if (args[0].type == KVET_ABSENT) {
        *out = args[0];
        return 0;
    }
    if (kv_bi_want(c, "yaml", args, 0, KVET_STRING))
        return -1;
    char msg[256], gomsg[256];
    if (yaml_read(c, &args[0], out, msg, sizeof msg, gomsg, sizeof gomsg) < 0)
        return kv_bi_fail(c, "yaml(): %s", msg);
    return 0;
}

/* yaml_error(s): why yaml(s) fails, or absent when it reads: in
 * gopkg.in/yaml.v2's words when it stops at the same place for the same
 * reason (what components reading YAML with it log: "yaml: line 2: did not
 * find expected key"), else "line L, column C: " and the loader's text.  Placed
 * at the failing byte when s is a literal block scalar, else at s. */
int kv_bi_yaml_error(kv_call *c, const kvet_value *args, int n, kvet_value *out)
{
    (void)n;
    if (args[0].type == KVET_ABSENT) {
        *out = args[0];
        return 0;
    }
    if (kv_bi_want(c, "yaml_error", args, 0, KVET_STRING))
        return -1;
    char msg[256], gomsg[256];
    kvet_value pos = kv_absent();
    if (yaml_read(c, &args[0], &pos, msg, sizeof msg, gomsg, sizeof gomsg) == 0) {
        *out = kv_at(kv_absent(), args[0]);
        return 0;
    }
    const char *why = gomsg[0] ? gomsg : msg;
    *out = kv_at(kv_string_value(c->arena, why, strlen(why)), pos);
    if (out->type == KVET_ABSENT)
        return kv_bi_fail(c, "yaml_error(): out of memory");
    return 0;
}
