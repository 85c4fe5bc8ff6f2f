/*
 * yaml2json.c - the benchmark's JSON input: the documents of the *.yaml
 * files of a folder (in name order) as one JSON List, the way `kubectl get
 * -o json` writes a cluster's resources.  Plain scalars that read as
 * numbers, booleans or null stay bare; everything else is a string.  Only
 * what bench/gen.c writes is meant to convert (no anchors, no tags).
 *   yaml2json DIR > FILE.json
 */
#include <dirent.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

static int cmp_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool bare(const yaml_event_t *ev)
{
    const char *s = (const char *)ev->data.scalar.value;
    size_t n = ev->data.scalar.length, i = 0;
    if (ev->data.scalar.style != YAML_PLAIN_SCALAR_STYLE || n == 0)
        return false;
    if (!strcmp(s, "true") || !strcmp(s, "false") || !strcmp(s, "null"))
        return true;
    if (s[i] == '-')
        i++;
    if (i == n || s[i] < '0' || s[i] > '9' || (s[i] == '0' && i + 1 < n))
        return false;
    while (i < n && s[i] >= '0' && s[i] <= '9')
        i++;
    return i == n;
}

static void put_string(const unsigned char *s, size_t n)
{
    putchar('"');
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '"' || s[i] == '\\')
            printf("\\%c", s[i]);
        else if (s[i] < 0x20)
            printf("\\u%04x", s[i]);
        else
            putchar(s[i]);
    }
    putchar('"');
}

/* Per open collection: is it a mapping, and how many scalars or values it has had. */
typedef struct level {
    bool map;
    unsigned long n;
} level;

static void before_value(level *st, int depth)
{
    if (depth == 0)
        return;
    level *l = &st[depth - 1];
    /* a mapping alternates key, value: a comma before every key but the first */
    if (l->map ? l->n % 2 == 0 && l->n > 0 : l->n > 0)
        putchar(',');
    if (l->map && l->n % 2 == 1)
        putchar(':');
    l->n++;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: yaml2json DIR\n");
        return 2;
    }
    DIR *d = opendir(argv[1]);
    if (!d) {
        perror(argv[1]);
        return 1;
    }
    char **names = NULL;
    size_t nnames = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        size_t l = strlen(e->d_name);
        if (l < 5 || strcmp(e->d_name + l - 5, ".yaml") != 0)
            continue;
        names = realloc(names, (nnames + 1) * sizeof *names);
        names[nnames++] = strdup(e->d_name);
    }
    closedir(d);
    qsort(names, nnames, sizeof *names, cmp_name);
    printf("{\"apiVersion\": \"v1\", \"kind\": \"List\", \"items\": [");
    unsigned long docs = 0;
    level st[64];
    for (size_t k = 0; k < nnames; k++) {
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", argv[1], names[k]);
        FILE *f = fopen(path, "rb");
        if (!f) {
            perror(path);
            return 1;
        }
        yaml_parser_t p;
        yaml_parser_initialize(&p);
        yaml_parser_set_input_file(&p, f);
        int depth = 0;
        for (bool done = false; !done;) {
            yaml_event_t ev;
            if (!yaml_parser_parse(&p, &ev)) {
                fprintf(stderr, "%s: %s\n", path, p.problem ? p.problem : "invalid YAML");
                return 1;
            }
            switch (ev.type) {
            case YAML_DOCUMENT_START_EVENT:
                printf("%s\n", docs++ ? "," : "");
                break;
            case YAML_MAPPING_START_EVENT:
            case YAML_SEQUENCE_START_EVENT:
                before_value(st, depth);
                if (depth == 64) {
                    fprintf(stderr, "%s: nested too deep\n", path);
                    return 1;
                }
                st[depth++] = (level){ev.type == YAML_MAPPING_START_EVENT, 0};
                putchar(ev.type == YAML_MAPPING_START_EVENT ? '{' : '[');
                break;
            case YAML_MAPPING_END_EVENT:
            case YAML_SEQUENCE_END_EVENT:
                putchar(st[--depth].map ? '}' : ']');
                break;
            case YAML_SCALAR_EVENT: {
                bool key = depth > 0 && st[depth - 1].map && st[depth - 1].n % 2 == 0;
                before_value(st, depth);
                if (!key && bare(&ev))
                    fwrite(ev.data.scalar.value, 1, ev.data.scalar.length, stdout);
                else
                    put_string(ev.data.scalar.value, ev.data.scalar.length);
                break;
            }
            case YAML_STREAM_END_EVENT:
                done = true;
                break;
            default:
                break;
            }
            yaml_event_delete(&ev);
        }
        yaml_parser_delete(&p);
        fclose(f);
        free(names[k]);
    }
    free(names);
    printf("\n]}\n");
    return 0;
}
