/*
 * report_stream.c - the body of a report written while the run goes on.
 *
 * The reports that list resources one after another (text, json, sarif,
 * junit, tap, github, codeclimate) take each resource as the library
 * settles it (kvet_inputs.on_resource) and write its part to a spill: a
 * megabyte in memory, then a file made for it and unlinked at once, beside
 * the report or, for one on standard output, in $TMPDIR.  Once the summary
 * is known the report is written whole, what comes before the resources,
 * the spill, and what follows, so the bytes are those of a report made
 * from a result kept whole, and memory does not grow with the resources.
 *
 * A spill never loses a byte: when no file can be made, or the file stops
 * taking bytes (a full disk, a file-size limit), the rest of the body is
 * kept in memory.  A byte memory could not keep fails the report.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "fd.h"

/* Descriptors a spill file leaves free below the process's limit: input
 * files, one per thread that reads them, the copy of standard input and
 * the reports' own files. */
enum { FD_RESERVE = 32 };

/* A file for the spill of a report to `dest`, unlinked at once (nothing
 * is left behind however the run ends): beside it when dest is a file or
 * is to be one, else in $TMPDIR (default /tmp); -1 when neither works. */
static int spill_file(const char *dest)
{
    struct stat sb;
    const char *dir = getenv("TMPDIR");
    if (!dir || !*dir)
        dir = "/tmp";
    bool beside = dest && (stat(dest, &sb) != 0 || S_ISREG(sb.st_mode));
    for (int k = beside ? 0 : 1; k < 2; k++) {
        size_t room = (k ? strlen(dir) + sizeof "/kvet-report" : strlen(dest)) + sizeof ".partXXXXXX";
        char *path = malloc(room);
        if (!path)
            return -1;
        snprintf(path, room, "%s%s.partXXXXXX", k ? dir : dest, k ? "/kvet-report" : "");
        int fd = mkostemp(path, O_CLOEXEC);
        if (fd >= 0)
            unlink(path);
        free(path);
        fd = kv_fd_above_std(fd);
        /* nor one of the last descriptors the process may open: the
         * inputs still to be read need them, and the body can stay in
         * memory */
        struct rlimit rl;
        if (fd >= 0 && getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY &&
            (rlim_t)fd + FD_RESERVE >= rl.rlim_cur) {
            close(fd);
            return -1;
        }
        if (fd >= 0)
            return fd;
    }
    return -1;
}

/* buf's sink, called once buf holds about a megabyte (a smaller body
 * never makes a file): to the file while it takes bytes, then to `rest`.
 * Writing past a file-size limit would end the program (SIGXFSZ): the
 * file stops short of it. */
static int spill_sink(void *arg, const char *data, size_t len)
{
    report_spill *s = arg;
    if (s->fd < 0 && !s->file_full) {
        s->fd = spill_file(s->dest);
        s->file_full = s->fd < 0;
    }
    while (len && !s->file_full) {
        if (s->in_file + len > s->limit) {
            s->file_full = true;
            break;
        }
        ssize_t w = write(s->fd, data, len);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            s->file_full = true;
            break;
        }
        s->in_file += (uint64_t)w;
        data += w;
        len -= (size_t)w;
    }
    if (len) {
        kv_buf_put(&s->rest, data, len);
        if (s->rest.oom) {
            errno = ENOMEM;
            return -1;
        }
    }
    return 0;
}

int report_spill_open(report_spill *s, const char *dest)
{
    memset(s, 0, sizeof *s);
    kv_buf_init(&s->buf);
    kv_buf_init(&s->rest);
    s->fd = -1;
    s->limit = UINT64_MAX;
    struct rlimit rl;
    if (getrlimit(RLIMIT_FSIZE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY)
        s->limit = (uint64_t)rl.rlim_cur;
    if (dest && !(s->dest = strdup(dest)))
        return -1;
    s->buf.sink = spill_sink;
    s->buf.sink_arg = s;
    return 0;
}

uint64_t report_spill_size(const report_spill *s)
{
    return s->in_file + s->rest.len + s->buf.len;
}

/* The file's bytes [from, from + len) appended to out, a megabyte at a
 * time.  With `release` each piece's disk space is given back as soon as
 * it is read (when the file system can punch holes): a report on the
 * spill's file system then needs room for itself and a megabyte, not for
 * itself twice. */
static int copy_from_file(const report_spill *s, uint64_t from, uint64_t len, kv_buf *out, bool release)
{
    enum { CHUNK = 1 << 20 };
    char *chunk = malloc(CHUNK);
    if (!chunk)
        return -1;
    while (len) {
        ssize_t got = pread(s->fd, chunk, len < CHUNK ? (size_t)len : CHUNK, (off_t)from);
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0) {
            int e = got < 0 ? errno : EIO;
            free(chunk);
            errno = e;
            return -1;
        }
#ifdef FALLOC_FL_PUNCH_HOLE
        if (release)
            (void)fallocate(s->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, (off_t)from, (off_t)got);
#else
        (void)release;
#endif
        kv_buf_put(out, chunk, (size_t)got);
        from += (uint64_t)got;
        len -= (uint64_t)got;
    }
    free(chunk);
    return 0;
}

/* The bytes [from, from + len) of t appended to out, a megabyte at a time
 * (out's sink writes each: out never holds the body a second time). */
static void copy_from_memory(const kv_buf *t, uint64_t from, uint64_t len, kv_buf *out)
{
    enum { PIECE = 1 << 20 };
    if (from >= t->len)
        return;
    if (from + len > t->len)
        len = t->len - from;
    while (len && !out->oom) {
        size_t n = len < PIECE ? (size_t)len : PIECE;
        kv_buf_put(out, t->data + from, n);
        from += n;
        len -= n;
    }
}

int report_spill_copy(report_spill *s, uint64_t from, uint64_t len, kv_buf *out, bool release)
{
    /* what a write could not keep is lost: no report then, rather than
     * one that is cut */
    if (s->buf.oom || s->rest.oom || s->buf.sink_errno) {
        errno = ENOMEM;
        return -1;
    }
    /* the body is the file's bytes, then rest's, then buf's (not flushed:
     * a body of less than a megabyte never makes a file) */
    uint64_t at = 0;
    const kv_buf *mem[2] = {&s->rest, &s->buf};
    if (s->in_file) {
        if (from < s->in_file) {
            uint64_t n = from + len < s->in_file ? len : s->in_file - from;
            if (copy_from_file(s, from, n, out, release) < 0)
                return -1;
        }
        at = s->in_file;
    }
    for (int k = 0; k < 2; k++) {
        uint64_t end = at + mem[k]->len;
        if (from < end && from + len > at) {
            uint64_t lo = from > at ? from - at : 0;
            uint64_t hi = (from + len < end ? from + len : end) - at;
            copy_from_memory(mem[k], lo, hi - lo, out);
        }
        at = end;
    }
    return out->oom ? (errno = ENOMEM, -1) : 0;
}

int report_spill_copy_all(report_spill *s, kv_buf *out)
{
    return report_spill_copy(s, 0, report_spill_size(s), out, true);
}

void report_spill_close(report_spill *s)
{
    if (s->fd >= 0)
        close(s->fd);
    s->fd = -1;
    free(s->dest);
    s->dest = NULL;
    kv_buf_free(&s->buf);
    kv_buf_free(&s->rest);
}

void *report_stream_new(size_t size, const report_opts *o, const char *dest)
{
    report_stream_base *b = calloc(1, size);
    if (!b)
        return NULL;
    b->o = *o;
    if (report_spill_open(&b->body, dest) < 0) {
        report_stream_close(b);
        return NULL;
    }
    return b;
}

void report_stream_close(void *st)
{
    report_stream_base *b = st;
    if (!b)
        return;
    report_spill_close(&b->body);
    free(b);
}
