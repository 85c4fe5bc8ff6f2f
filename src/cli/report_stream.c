/*
 * report_stream.c - the body of a report written while the run goes on.
 *
 * The reports that list resources one after another (text, json, sarif,
 * junit, tap, github, codeclimate) take each resource as the library
 * settles it (kvet_inputs.on_resource) and write its part to a spill: a
 * file made for it and unlinked at once, beside the report or, for one on
 * standard output, in $TMPDIR.  Once the summary is known the report is
 * written whole, what comes before the resources, the spill, and what
 * follows, so the bytes are those of a report made from a result kept
 * whole, and memory does not grow with the resources.
 *
 * A spill never loses a byte: when no file can be made, or the file stops
 * taking bytes (a full disk, a file-size limit), the rest of the body is
 * kept in memory.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"

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
        if (fd >= 0)
            return fd;
    }
    return -1;
}

/* buf's sink: to the file while it takes bytes, then to `rest`.  Writing
 * past a file-size limit would end the program (SIGXFSZ): the file stops
 * short of it. */
static int spill_sink(void *arg, const char *data, size_t len)
{
    report_spill *s = arg;
    while (len && s->fd >= 0 && !s->file_full) {
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

void report_spill_open(report_spill *s, const char *dest)
{
    memset(s, 0, sizeof *s);
    kv_buf_init(&s->buf);
    kv_buf_init(&s->rest);
    s->fd = spill_file(dest);
    s->limit = UINT64_MAX;
    struct rlimit rl;
    if (getrlimit(RLIMIT_FSIZE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY)
        s->limit = (uint64_t)rl.rlim_cur;
    if (s->fd >= 0) {
        s->buf.sink = spill_sink;
        s->buf.sink_arg = s;
    }
}

uint64_t report_spill_size(const report_spill *s)
{
    return s->in_file + s->rest.len + s->buf.len;
}

/* The file's bytes [from, from + len) appended to out. */
static int copy_from_file(const report_spill *s, uint64_t from, uint64_t len, kv_buf *out)
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
        kv_buf_put(out, chunk, (size_t)got);
        from += (uint64_t)got;
        len -= (uint64_t)got;
    }
    free(chunk);
    return 0;
}

int report_spill_copy(report_spill *s, uint64_t from, uint64_t len, kv_buf *out, kvet_atomic_file *dest)
{
    if (s->buf.sink && kv_buf_flush(&s->buf) < 0)
        return -1;
    if (s->fd < 0) {
        /* no file: the body is all in buf */
        kv_buf_put(out, s->buf.data + from, (size_t)len);
        return out->oom ? (errno = ENOMEM, -1) : 0;
    }
    uint64_t in_file = from < s->in_file ? (from + len < s->in_file ? len : s->in_file - from) : 0;
    if (in_file) {
        /* the whole file to a report file: from file to file, by the kernel
         * when it can, once what precedes it in out is written */
        bool whole = dest && from == 0 && in_file == s->in_file;
        if (whole ? kv_buf_flush(out) < 0 || lseek(s->fd, 0, SEEK_SET) < 0 || kvet_atomic_copy_fd(dest, s->fd) < 0
                  : copy_from_file(s, from, in_file, out) < 0)
            return -1;
        from += in_file;
        len -= in_file;
    }
    if (len)
        kv_buf_put(out, s->rest.data + (from - s->in_file), (size_t)len);
    return out->oom ? (errno = ENOMEM, -1) : 0;
}

int report_spill_copy_all(report_spill *s, kv_buf *out, kvet_atomic_file *dest)
{
    return report_spill_copy(s, 0, report_spill_size(s), out, dest);
}

void report_spill_close(report_spill *s)
{
    if (s->fd >= 0)
        close(s->fd);
    s->fd = -1;
    kv_buf_free(&s->buf);
    kv_buf_free(&s->rest);
}
