/*
 * yamlparse.c - the benchmark baseline: libyaml's event parser over every
 * *.yaml file of a folder, without building anything.  Prints bytes and
 * documents parsed.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: yamlparse DIR\n");
        return 2;
    }
    DIR *d = opendir(argv[1]);
    if (!d) {
        perror(argv[1]);
        return 1;
    }
    unsigned long long bytes = 0, docs = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        size_t l = strlen(e->d_name);
        if (l < 5 || strcmp(e->d_name + l - 5, ".yaml") != 0)
            continue;
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", argv[1], e->d_name);
        FILE *f = fopen(path, "rb");
        if (!f)
            continue;
        fseek(f, 0, SEEK_END);
        long n = ftell(f);
        fseek(f, 0, SEEK_SET);
        unsigned char *buf = malloc((size_t)n + 1);
        if (!buf || fread(buf, 1, (size_t)n, f) != (size_t)n) {
            fclose(f);
            free(buf);
            continue;
        }
        fclose(f);
        bytes += (unsigned long long)n;
        yaml_parser_t p;
        yaml_parser_initialize(&p);
        yaml_parser_set_input_string(&p, buf, (size_t)n);
        for (;;) {
            yaml_event_t ev;
            if (!yaml_parser_parse(&p, &ev)) {
                fprintf(stderr, "%s: %s\n", path, p.problem);
                break;
            }
            int done = ev.type == YAML_STREAM_END_EVENT;
            if (ev.type == YAML_DOCUMENT_START_EVENT)
                docs++;
            yaml_event_delete(&ev);
            if (done)
                break;
        }
        yaml_parser_delete(&p);
        free(buf);
    }
    closedir(d);
    printf("%llu bytes %llu documents\n", bytes, docs);
    return 0;
}
