/*
 * yaml_split.c - a large YAML file parsed by several threads.
 *
 * A file of many documents (helm template's or kustomize build's output
 * saved to a file, a dump of a cluster's manifests) is one input, and one
 * thread would parse it alone while the others wait.  But a line that
 * starts with "---" followed by a blank, or by nothing, starts a document
 * whatever came before it: libyaml ends any open block and any plain or
 * block scalar there (inside a quoted scalar or a flow collection it is an
 * error, see below).  So the text can be cut before such lines into parts,
 * each a stream of its own that gives the documents the whole text gives,
 * at the same lines (kv_yaml_parse_part counts them from the part's first
 * line).  A directive (%YAML, %TAG) belongs to the document after it: no
 * cut is made between them, but one is made before a directive that
 * follows a document end ("..."), as a stream that writes a directive for
 * every document has no other place to cut.
 *
 * The calling thread reads the file, cuts it into parts of about a quarter
 * of the window, and hands the documents on in order, from itself, with the
 * part's text for excerpts: fn sees what the one-thread load
 * (kv_load_yaml_window) shows it.  It and N - 1 helper threads parse the
 * parts, a bounded number of parts ahead: while it waits for the part to
 * hand on next, it parses one of those after it.
 *
 * A part that fails (a syntax error, a limit, memory) is not reported from
 * its own parse: a cut may have ended a quoted scalar or a flow collection
 * that the whole text reports differently.  Nor are a part's documents
 * handed on when libyaml's reader, reading the whole text, would have
 * stopped before them: it checks its input (UTF-8, the characters YAML
 * allows) a read of up to 16 KB at a time, so a bad byte up to that far
 * after a document's end stops the load before the document is handed on.
 * The calling thread checks the bytes as it reads them the same way, and
 * hands a part on only when those up to READER_AHEAD bytes past its end
 * are good.  Whatever goes wrong (a part, a byte, a read), the calling
 * thread reads the file again from its start with kv_load_yaml_window,
 * which hands on only the documents after those handed on already: what
 * it reports is what the one-thread load reports.  So does a part that
 * holds a `# Source:` comment when the stream follows them (standard input
 * from helm template): the comment names the documents after it, in parts
 * that cannot see it.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctx.h"
#include "yaml_load.h"

/* libyaml reads 16 KB (YAML_RAW_BUFFER_SIZE) at a time: more than that */
enum { HELPERS_MAX = 8, READER_AHEAD = 64 << 10 };
enum { P_NONE, P_QUEUED, P_TAKEN, P_DONE, P_FAILED };

typedef struct part_doc {
    kvet_value root;
    uint32_t line, col;
} part_doc;

typedef struct part {
    char *text;                /* its bytes, a NUL after them */
    size_t len;
    size_t offset;             /* where it starts in the file */
    uint32_t line;             /* the line it starts on */
    kv_arena arena;            /* its documents */
    part_doc *docs;
    size_t ndocs, capdocs;
    int state;                 /* P_* */
} part;

typedef struct splitter {
    pthread_mutex_t mu;
    pthread_cond_t work, done;
    part *ring;                /* parts [head, head + count) in file order */
    uint32_t nring, head, count;
    bool stop;
    pthread_t threads[HELPERS_MAX];
    unsigned nthreads;
    const kvet_limits *lim;
    uint32_t src;
} splitter;

/* What the caller holds of the file beyond the parts: buf[start..end),
 * from file offset `offset` on, which starts line `line`.  It reads `part`
 * bytes at a time, and a part holds that many bytes or more (but the
 * last). */
typedef struct pending {
    char *buf;
    size_t cap, start, end;
    size_t offset;
    uint32_t line;
    size_t part;
    size_t looked;             /* buf[start..looked) holds no cut (a line start) */
    size_t checked;            /* the file's bytes before this offset are good for libyaml's reader... */
    size_t bad;                /* ...up to the first bad one here (SIZE_MAX: none) */
    bool eof, failed;          /* the end of the file; a read error or no memory */
} pending;

static int keep_doc(void *ud, kv_doc *doc)
{
    part *p = ud;
    if (p->ndocs == p->capdocs) {
        size_t cap = p->capdocs ? p->capdocs * 2 : 64;
        part_doc *d = realloc(p->docs, cap * sizeof *d);
        if (!d)
            return -1; /* the loader stops */
        p->docs = d;
        p->capdocs = cap;
    }
    p->docs[p->ndocs++] = (part_doc){doc->root, doc->line, doc->col};
    return 0;
}

static void drop_part(part *p)
{
    kv_arena_free(&p->arena);
    free(p->docs);
    free(p->text);
    memset(p, 0, sizeof *p);
}

/* The first part queued and not taken, or NULL (s->mu held). */
static part *queued_part(splitter *s)
{
    for (uint32_t i = 0; i < s->count; i++) {
        part *c = &s->ring[(s->head + i) % s->nring];
        if (c->state == P_QUEUED)
            return c;
    }
    return NULL;
}

/* Parse part p, taken (s->mu held, and held again after). */
static void parse_part(splitter *s, part *p)
{
    p->state = P_TAKEN;
    pthread_mutex_unlock(&s->mu);
    int rc = kv_yaml_parse_part(s->lim, s->src, p->text, p->len, p->line, &p->arena, keep_doc, p);
    pthread_mutex_lock(&s->mu);
    p->state = rc == 0 ? P_DONE : P_FAILED;
    pthread_cond_broadcast(&s->done);
}

static void *helper_main(void *arg)
{
    splitter *s = arg;
    pthread_mutex_lock(&s->mu);
    for (;;) {
        part *p = NULL;
        while (!s->stop && !(p = queued_part(s)))
            pthread_cond_wait(&s->work, &s->mu);
        if (s->stop)
            break;
        parse_part(s, p);
    }
    pthread_mutex_unlock(&s->mu);
    return NULL;
}

static void stop_helpers(splitter *s)
{
    pthread_mutex_lock(&s->mu);
    s->stop = true;
    pthread_cond_broadcast(&s->work);
    pthread_mutex_unlock(&s->mu);
    for (unsigned i = 0; i < s->nthreads; i++)
        pthread_join(s->threads[i], NULL);
    s->nthreads = 0;
}

/* The length of the character at s (n bytes held) as libyaml's reader
 * takes it: 0 when the reader stops at it (not UTF-8, or a character YAML
 * does not allow), -1 when more bytes are needed to tell. */
static int reader_char(const unsigned char *s, size_t n)
{
    unsigned char c = s[0];
    if (c < 0x80)
        return (c >= 0x20 && c <= 0x7E) || c == '\n' || c == '\t' || c == '\r' ? 1 : 0;
    int w = (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : (c & 0xF8) == 0xF0 ? 4 : 0;
    if (!w)
        return 0;
    uint32_t v = c & (w == 2 ? 0x1F : w == 3 ? 0x0F : 0x07);
    for (int k = 1; k < w; k++) {
        if ((size_t)k >= n)
            return -1;
        if ((s[k] & 0xC0) != 0x80)
            return 0;
        v = (v << 6) | (s[k] & 0x3F);
    }
    if ((w == 2 && v < 0x80) || (w == 3 && v < 0x800) || (w == 4 && v < 0x10000))
        return 0;
    bool ok = v == 0x85 || (v >= 0xA0 && v <= 0xD7FF) || (v >= 0xE000 && v <= 0xFFFD) || (v >= 0x10000 && v <= 0x10FFFF);
    return ok ? w : 0;
}

/* Check the pending bytes from pend->checked on, as libyaml's reader will. */
static void check_bytes(pending *pend)
{
    if (pend->bad != SIZE_MAX)
        return;
    const unsigned char *b = (const unsigned char *)pend->buf + pend->start;
    size_t i = pend->checked - pend->offset, n = pend->end - pend->start;
    while (i < n) {
        unsigned char c = b[i];
        if (c >= 0x20 && c <= 0x7E) { /* most of a manifest */
            i++;
            continue;
        }
        int w = reader_char(b + i, n - i);
        if (w < 0 && !pend->eof)
            break; /* the rest of the character is still to be read */
        if (w <= 0) {
            pend->bad = pend->offset + i;
            break;
        }
        i += (size_t)w;
    }
    pend->checked = pend->offset + i;
}

/* Read more of the file into the pending bytes: false at its end, or when
 * reading failed (pend->failed). */
static bool read_more(FILE *f, pending *pend)
{
    if (pend->eof || pend->failed)
        return false;
    if (pend->start && pend->start >= pend->end / 2) {
        /* what was cut off goes, before the buffer grows */
        memmove(pend->buf, pend->buf + pend->start, pend->end - pend->start + 1);
        pend->end -= pend->start;
        pend->looked -= pend->start;
        pend->start = 0;
    }
    bool oom = false;
    size_t n = kv_read_more(f, &pend->buf, &pend->cap, &pend->end, pend->part, &oom);
    if (oom || (n == 0 && ferror(f)))
        pend->failed = true;
    else if (n == 0)
        pend->eof = true;
    check_bytes(pend);
    return n > 0;
}

/* Does the line b[from..to) (b[to] its LF) hold a line break libyaml
 * counts and LF does not (a lone CR, NEL, LS, PS)?  A directive may start
 * after one. */
static bool other_break(const char *b, size_t from, size_t to)
{
    for (size_t i = from; i < to; i++)
        if (kv_other_break((const unsigned char *)b + i, to + 1 - i, true) > 0)
            return true;
    return false;
}

/* The line before offset `at` (a line start) that is not blank or a
 * comment: 1 with its start in *ls, 0 when there is none from `from` on,
 * -1 when a line on the way holds a break LF does not count (where the
 * lines are then cannot be told without libyaml's view of them). */
static int line_before(const char *b, size_t from, size_t at, size_t *ls)
{
    while (at > from) {
        size_t end = at - 1; /* its newline */
        size_t l = end;
        while (l > from && b[l - 1] != '\n')
            l--;
        if (other_break(b, l, end))
            return -1;
        size_t i = l;
        while (i < end && (b[i] == ' ' || b[i] == '\t' || b[i] == '\r'))
            i++;
        if (i < end && b[i] != '#') {
            *ls = l;
            return 1;
        }
        at = l;
    }
    return 0;
}

/* Does a line of n bytes at p start with "---" or "..." (`mark`) followed
 * by a blank or its end? */
static bool marker_line(const char *p, size_t n, const char *mark)
{
    return n >= 3 && !memcmp(p, mark, 3) && (n == 3 || p[3] == ' ' || p[3] == '\t' || p[3] == '\r' || p[3] == '\n');
}

/* May the text be cut before the line at offset p (buf[p..end) held, at
 * least 4 bytes)?  Before a document start that no directive precedes, and
 * before a directive that a document end precedes. */
static bool cut_here(const pending *pend, size_t p)
{
    const char *b = pend->buf;
    size_t ls = 0;
    if (marker_line(b + p, pend->end - p, "---")) {
        int r = line_before(b, pend->start, p, &ls);
        return r == 0 || (r == 1 && b[ls] != '%');
    }
    if (b[p] == '%' && line_before(b, pend->start, p, &ls) == 1) {
        const char *nl = memchr(b + ls, '\n', p - ls);
        return marker_line(b + ls, (size_t)(nl - (b + ls)) + 1, "...");
    }
    return false;
}

/* Where the part that starts the pending bytes ends: before the first line
 * `part` bytes on or later that starts a document, or at the end of the
 * file; 0 when more must be read to tell. */
static size_t find_cut(pending *pend)
{
    const char *b = pend->buf;
    size_t p = pend->looked > pend->start + pend->part ? pend->looked : pend->start + pend->part;
    for (;;) {
        if (p > pend->end)
            p = pend->end;
        /* p at a line start */
        while (p > pend->start && p < pend->end && b[p - 1] != '\n') {
            const char *nl = memchr(b + p, '\n', pend->end - p);
            p = nl ? (size_t)(nl - b) + 1 : pend->end;
        }
        if (p >= pend->end || pend->end - p < 4) {
            pend->looked = p;
            return pend->eof ? pend->end - pend->start : 0;
        }
        if (cut_here(pend, p)) {
            pend->looked = p;
            return p - pend->start;
        }
        const char *nl = memchr(b + p, '\n', pend->end - p);
        if (!nl) {
            pend->looked = p;
            return pend->eof ? pend->end - pend->start : 0;
        }
        p = (size_t)(nl - b) + 1;
    }
}

/* The next part off the pending bytes: false when there is none (the end
 * of the file, or a failure: pend->failed). */
static bool next_part(FILE *f, pending *pend, part *out)
{
    size_t cut;
    while (!(cut = find_cut(pend)))
        if (!read_more(f, pend) && (pend->failed || pend->end == pend->start))
            return false;
    char *text;
    bool whole = pend->start == 0 && cut == pend->end;
    if (whole) {
        /* all that is held, at the end (one document larger than a part):
         * the buffer itself, NUL-terminated, rather than a copy of it */
        text = pend->buf;
        pend->buf = NULL;
        pend->cap = pend->end = 0;
    } else {
        if (!(text = malloc(cut + 1))) {
            pend->failed = true;
            return false;
        }
        memcpy(text, pend->buf + pend->start, cut);
        text[cut] = '\0';
    }
    memset(out, 0, sizeof *out);
    out->text = text;
    out->len = cut;
    out->offset = pend->offset;
    out->line = pend->line;
    out->state = P_QUEUED;
    kv_arena_init(&out->arena);
    for (const char *q = text, *e = text + cut; (q = memchr(q, '\n', (size_t)(e - q))); q++)
        pend->line++;
    if (!whole)
        pend->start += cut;
    pend->offset += cut; /* (the bytes cut off are checked: a cut is before the last line held) */
    if (pend->looked < pend->start || whole)
        pend->looked = pend->start;
    return true;
}

/* Read the file again from its start, alone, handing on the documents
 * after the first `index` (handed on already). */
static int again_alone(kvet_ctx *ctx, const kv_yaml_stream *in, uint32_t index, kv_doc_fn fn, void *ud,
                       const kv_text **text)
{
    if (fseeko(in->f, 0, SEEK_SET) != 0) {
        kv_diag(ctx, KVET_SEV_ERROR, in->name, 0, 0, 0, NULL, "cannot read: %s", strerror(errno));
        return -1;
    }
    clearerr(in->f);
    kv_yaml_stream all = *in;
    all.skip = index;
    all.threads = 0;
    return kv_load_yaml_window(ctx, &all, NULL, fn, ud, text);
}

/* May the first part's documents be handed on: 1 yes, 0 when libyaml's
 * reader would stop before them (or it cannot be told), -1 when more of
 * the file must be checked first. */
static int reader_passes(const pending *pend, const part *p)
{
    size_t need = p->offset + p->len + READER_AHEAD;
    if (pend->bad != SIZE_MAX)
        return pend->bad >= need;
    if (pend->checked >= need || (pend->eof && pend->checked == pend->offset + (pend->end - pend->start)))
        return 1;
    return pend->failed ? 0 : -1;
}

int kv_load_yaml_split(kvet_ctx *ctx, const kv_yaml_stream *in, kv_doc_fn fn, void *ud, const kv_text **text)
{
    if (in->threads < 2 || in->head || in->limit || in->skip || in->end_errno)
        return kv_load_yaml_window(ctx, in, NULL, fn, ud, text);
    /* a quarter of the window: a few parts ahead hold about what a window does */
    pending pend = {.line = 1, .part = in->window / 4 ? in->window / 4 : 1, .bad = SIZE_MAX};
    /* enough to see a byte order mark */
    while (pend.end < 4 && read_more(in->f, &pend))
        ;
    const unsigned char *u = (const unsigned char *)pend.buf;
    bool plain = !pend.failed && pend.end >= 2 && !((u[0] == 0xFE && u[1] == 0xFF) || (u[0] == 0xFF && u[1] == 0xFE)) &&
                 !(pend.end >= 3 && u[0] == 0xEF && u[1] == 0xBB && u[2] == 0xBF);
    splitter s;
    memset(&s, 0, sizeof s);
    s.lim = &ctx->limits;
    s.src = in->src;
    unsigned helpers = in->threads - 1 < HELPERS_MAX ? in->threads - 1 : HELPERS_MAX;
    s.nring = 2 * (helpers + 1) + 2;
    s.ring = plain ? calloc(s.nring, sizeof *s.ring) : NULL;
    if (s.ring && pthread_mutex_init(&s.mu, NULL) == 0) {
        if (pthread_cond_init(&s.work, NULL) == 0) {
            if (pthread_cond_init(&s.done, NULL) == 0) {
                for (unsigned i = 0; i < helpers; i++)
                    if (pthread_create(&s.threads[s.nthreads], NULL, helper_main, &s) == 0)
                        s.nthreads++;
                if (!s.nthreads)
                    pthread_cond_destroy(&s.done);
            }
            if (!s.nthreads)
                pthread_cond_destroy(&s.work);
        }
        if (!s.nthreads)
            pthread_mutex_destroy(&s.mu);
    }
    if (!s.nthreads) {
        /* UTF-16 or a byte order mark, or no threads: read alone from the start */
        free(s.ring);
        kv_yaml_stream all = *in;
        all.threads = 0;
        if (pend.end) {
            all.head = pend.buf;
            all.headlen = pend.end;
        } else {
            free(pend.buf);
        }
        return kv_load_yaml_window(ctx, &all, NULL, fn, ud, text);
    }
    kv_line_cursor cursor = {NULL, 0, 0, 0};
    kv_text shown = {"", 0, 1, false, NULL, 0, &cursor};
    *text = &shown;
    uint32_t index = 0;
    int rc = 0;
    bool alone = false;
    for (;;) {
        /* queue parts while there is room */
        while (s.count < s.nring) {
            part p;
            if (!next_part(in->f, &pend, &p))
                break;
            pthread_mutex_lock(&s.mu);
            s.ring[(s.head + s.count) % s.nring] = p;
            s.count++;
            pthread_cond_signal(&s.work);
            pthread_mutex_unlock(&s.mu);
        }
        if (!s.count) {
            /* the end, or a failure before anything was queued */
            alone = pend.failed || pend.bad != SIZE_MAX;
            break;
        }
        /* hand on the first part's documents */
        part *p = &s.ring[s.head];
        int pass;
        while ((pass = reader_passes(&pend, p)) < 0)
            read_more(in->f, &pend);
        pthread_mutex_lock(&s.mu);
        while (p->state != P_DONE && p->state != P_FAILED) {
            part *q = queued_part(&s);
            if (q)
                parse_part(&s, q); /* rather than wait */
            else
                pthread_cond_wait(&s.done, &s.mu);
        }
        pthread_mutex_unlock(&s.mu);
        /* a `# Source:` comment names the documents after it (helm
         * template's output on standard input), which a part cannot know
         * of the parts before it: from the first part that holds one (or
         * what might be one) the text is read alone, and the documents
         * handed on before it were named by none in either reading */
        if (p->state == P_FAILED || !pass || (in->sources && kv_yaml_has_source_line(p->text, p->len))) {
            alone = true;
            break;
        }
        shown = (kv_text){p->text, p->len, p->line, false, NULL, 0, &cursor};
        for (size_t i = 0; i < p->ndocs && rc == 0; i++) {
            part_doc *d = &p->docs[i];
            /* built in the part's arena, which fn may add to (a FooList's
             * items get their kind there) but not take, as with `into` */
            kv_doc doc = {d->root, in->src, d->line, d->col, index++, &p->arena, 0};
            if (fn(ud, &doc) < 0)
                rc = -1;
        }
        shown = (kv_text){"", 0, 1, false, NULL, 0, &cursor};
        /* out of the helpers' sight before it goes */
        pthread_mutex_lock(&s.mu);
        s.head = (s.head + 1) % s.nring;
        s.count--;
        pthread_mutex_unlock(&s.mu);
        drop_part(p);
        if (rc < 0)
            break;
    }
    *text = NULL;
    stop_helpers(&s);
    for (uint32_t i = 0; i < s.count; i++)
        drop_part(&s.ring[(s.head + i) % s.nring]);
    free(pend.buf);
    free(s.ring);
    pthread_cond_destroy(&s.done);
    pthread_cond_destroy(&s.work);
    pthread_mutex_destroy(&s.mu);
    if (alone)
        return again_alone(ctx, in, index, fn, ud, text);
    if (in->total)
        *in->total = pend.offset;
    return rc;
}
