/*
 * yaml_lines.h - libyaml's marks as lines counted by LF.
 *
 * libyaml ends a line at LF and CRLF, and also at a lone CR, at NEL
 * (U+0085), LS (U+2028) and PS (U+2029).  kvet reports the lines that
 * grep, git, CI annotations and its own excerpts count: by LF alone.  So a
 * text that holds one of those other breaks (mostly inside a quoted string,
 * pasted from a word processor) would put everything after it a line too
 * far down.  The loader scans its text for them as it reads it
 * (yl_scan, a few memchr calls for a text that has none) and turns each
 * mark into a line and column by the breaks before it (yl_pos).
 */
#ifndef KV_YAML_LINES_H
#define KV_YAML_LINES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A break libyaml counts and LF does not. */
typedef struct yl_break {
    uint32_t yline;          /* libyaml's 0-based line that starts after it */
    uint32_t col;            /* characters of its LF line up to it, itself included */
} yl_break;

typedef struct yaml_lines {
    yl_break *v;             /* in text order */
    size_t n, cap;
    size_t dead;             /* v[0..dead) are forgotten, still counted (yl_forget) */
    size_t forgotten;        /* breaks before v[0], dropped from v */
    size_t at;               /* the text is scanned up to this offset */
    bool active;             /* a break was found: the scan follows every line since */
    uint32_t yline;          /* when active: libyaml's 0-based line at `at` */
    uint32_t col;            /* when active: characters since the last LF at `at` */
    bool oom;                /* a break could not be recorded: positions after it may be off */
} yaml_lines;

/* Scan the text from y->at up to offset `upto`.  buf holds the text from
 * offset `base` on (base starts LF line `line0`, 1-based, and is at or
 * before y->at); `bom`: the text starts with a byte order mark, which
 * libyaml does not count as a column.  Unless `final`, a break that may go
 * on past upto waits for the next call. */
void yl_scan(yaml_lines *y, const char *buf, size_t base, uint32_t line0, size_t upto, bool final, bool bom);

/* libyaml's 0-based line and column as kvet's 1-based ones. */
void yl_pos(const yaml_lines *y, size_t mline, size_t mcol, uint32_t *line, uint32_t *col);

/* No position before libyaml's line `mline` will be asked for again. */
void yl_forget(yaml_lines *y, size_t mline);

void yl_free(yaml_lines *y);

#endif
