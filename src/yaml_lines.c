/*
 * yaml_lines.c - libyaml's marks as lines counted by LF (yaml_lines.h).
 */
#include <stdlib.h>
#include <string.h>

#include "ctx.h"
#include "yaml_lines.h"

static void record(yaml_lines *y)
{
    if (y->n == y->cap) {
        size_t cap = y->cap ? y->cap * 2 : 16;
        yl_break *v = realloc(y->v, cap * sizeof *v);
        if (!v) {
            y->oom = true;
            return;
        }
        y->v = v;
        y->cap = cap;
    }
    y->v[y->n++] = (yl_break){y->yline, y->col};
}

static const unsigned char *next_byte(const unsigned char *p, const unsigned char *e, int c)
{
    const unsigned char *q = memchr(p, c, (size_t)(e - p));
    return q ? q : e;
}

void yl_scan(yaml_lines *y, const char *buf, size_t base, uint32_t line0, size_t upto, bool final, bool bom)
{
    const unsigned char *b0 = (const unsigned char *)buf;
    const unsigned char *p = b0 + (y->at - base), *e = b0 + (upto - base);
    if (!y->active) {
        /* most texts have none of these bytes: memchr finds that fast */
        const unsigned char *cr = next_byte(p, e, '\r'), *c2 = next_byte(p, e, 0xC2), *e2 = next_byte(p, e, 0xE2);
        for (;;) {
            p = cr < c2 ? cr : c2;
            if (e2 < p)
                p = e2;
            if (p == e) {
                y->at = upto;
                return;
            }
            int w = kv_other_break(p, (size_t)(e - p), final);
            if (w < 0) {
                y->at = base + (size_t)(p - b0);
                return;
            }
            if (w > 0)
                break;
            if (p == cr)
                cr = next_byte(p + 1, e, '\r');
            else if (p == c2)
                c2 = next_byte(p + 1, e, 0xC2);
            else
                e2 = next_byte(p + 1, e, 0xE2);
        }
        /* the first one: until here libyaml's lines were LF's */
        const unsigned char *ls = b0;
        uint32_t lines = line0 - 1;
        for (const unsigned char *q = b0; (q = memchr(q, '\n', (size_t)(p - q))); q++) {
            lines++;
            ls = q + 1;
        }
        if (bom && base == 0 && ls == b0)
            ls += 3;
        uint32_t col = 0;
        for (const unsigned char *q = ls; q < p; q++)
            col += (*q & 0xC0) != 0x80;
        y->active = true;
        y->yline = lines;
        y->col = col;
    }
    while (p < e) {
        unsigned char c = *p;
        if (c == '\n') {
            y->yline++;
            y->col = 0;
            p++;
            continue;
        }
        if (c == '\r' || c == 0xC2 || c == 0xE2) {
            int w = kv_other_break(p, (size_t)(e - p), final);
            if (w < 0)
                break;
            if (w > 0) {
                y->yline++;
                y->col++;
                record(y);
                p += w;
                continue;
            }
        }
        y->col += (c & 0xC0) != 0x80;
        p++;
    }
    y->at = base + (size_t)(p - b0);
}

void yl_pos(const yaml_lines *y, size_t mline, size_t mcol, uint32_t *line, uint32_t *col)
{
    /* the breaks that end a libyaml line up to mline */
    size_t lo = 0, hi = y->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (y->v[mid].yline <= mline)
            lo = mid + 1;
        else
            hi = mid;
    }
    *line = (uint32_t)(mline + 1 - (y->forgotten + lo));
    *col = (uint32_t)(mcol + 1 + (lo && y->v[lo - 1].yline == mline ? y->v[lo - 1].col : 0));
}

void yl_forget(yaml_lines *y, size_t mline)
{
    /* forgotten breaks stay in v, where yl_pos still counts them, until
     * they are half of it: a text of many short documents is not moved
     * along once per document */
    while (y->dead < y->n && y->v[y->dead].yline < mline)
        y->dead++;
    if (y->dead < 64 || y->dead * 2 < y->n)
        return;
    memmove(y->v, y->v + y->dead, (y->n - y->dead) * sizeof *y->v);
    y->n -= y->dead;
    y->forgotten += y->dead;
    y->dead = 0;
}

void yl_free(yaml_lines *y)
{
    free(y->v);
    memset(y, 0, sizeof *y);
}
