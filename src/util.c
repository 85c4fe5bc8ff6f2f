/* util.c - small public utilities: version, atomic file writes. */
#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "fd.h"
#include "kvet/kvet.h"

const char *kvet_version(void)
{
    return PACKAGE_VERSION;
}

/* Write to a temporary file next to the target, flush it to disk, then
 * rename it over the target: readers see the old file or the new one,
 * never a partial one. */
static int write_atomic(const char *path, const char *data, size_t len);

/* How a write to path is made. */
typedef enum write_mode {
    W_REPLACE,                 /* a temporary file beside the target, renamed over it */
    W_IN_PLACE,                /* a device, pipe or socket: written where it is */
    W_STDIO                    /* the program's own standard output or error */
} write_mode;

/* The file a symbolic link at path leads to, followed link by link, and
 * named even when it does not exist yet (a link made before its file);
 * path itself when it is no link.  NULL with errno set. */
static char *link_target(const char *path)
{
    char *cur = strdup(path);
    for (int hops = 0; cur && hops < 40; hops++) {
        struct stat st;
        if (lstat(cur, &st) != 0 || !S_ISLNK(st.st_mode))
            return cur;
        char *to = malloc((size_t)st.st_size + 1);
        ssize_t n = to ? readlink(cur, to, (size_t)st.st_size + 1) : -1;
        if (n < 0 || n > st.st_size) {
            int e = n > st.st_size ? ENAMETOOLONG : errno;
            free(to);
            free(cur);
            errno = e;
            return NULL;
        }
        to[n] = '\0';
        const char *slash = strrchr(cur, '/');
        if (to[0] == '/' || !slash) {
            free(cur);
            cur = to;
            continue;
        }
        /* relative to the link's folder */
        size_t dir = (size_t)(slash - cur) + 1;
        char *next = malloc(dir + (size_t)n + 1);
        if (next) {
            memcpy(next, cur, dir);
            memcpy(next + dir, to, (size_t)n + 1);
        }
        free(to);
        free(cur);
        cur = next;
    }
    if (cur) {
        free(cur);
        errno = ELOOP;
    }
    return NULL;
}

/* How to write to path, and what: *target is the file to replace
 * (W_REPLACE: the one a symbolic link leads to, so that the link stays),
 * *fd the descriptor to write through (W_STDIO).  A path that is standard
 * output or error (/dev/stdout, a link to /proc/self/fd/1) is written
 * through that descriptor, at its offset: a file opened with `>>` is
 * appended to, and replacing it would take it from the shell, or
 * replacing /dev/stdout would take it from every program.  -1 with errno
 * when the target cannot be named. */
static int write_target(const char *path, char **target, int *fd)
{
    struct stat st, std;
    *target = NULL;
    *fd = -1;
    if (stat(path, &st) == 0) {
        for (int k = 1; k <= 2; k++)
            if (fstat(k, &std) == 0 && std.st_dev == st.st_dev && std.st_ino == st.st_ino) {
                *fd = k;
                return W_STDIO;
            }
        if (!S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode))
            return W_IN_PLACE;
    }
    *target = link_target(path);
    return *target ? W_REPLACE : -1;
}

/* A descriptor for writing to path in place (W_IN_PLACE, or a dup of
 * standard output or error for W_STDIO), or -1. */
static int open_in_place(const char *path, int mode, int std_fd)
{
    return mode == W_STDIO ? fcntl(std_fd, F_DUPFD_CLOEXEC, 3) : open(path, O_WRONLY | O_CLOEXEC);
}

/* A temporary file beside target, made for writing (not one of the
 * standard three descriptors, closed on exec), its name in *tmp; -1. */
static int temp_beside(const char *target, char **tmp)
{
    size_t n = strlen(target);
    *tmp = malloc(n + 16);
    if (!*tmp)
        return -1;
    snprintf(*tmp, n + 16, "%s.tmpXXXXXX", target);
    int made = mkostemp(*tmp, O_CLOEXEC);
    if (made < 0 && errno == ENAMETOOLONG) {
        /* a name within 10 bytes of the longest a folder allows: a short
         * one in the same folder, so that the rename stays atomic */
        const char *slash = strrchr(target, '/');
        size_t dir = slash ? (size_t)(slash - target) + 1 : 0;
        snprintf(*tmp + dir, n + 16 - dir, ".kvet-XXXXXX");
        made = mkostemp(*tmp, O_CLOEXEC);
    }
    int fd = kv_fd_above_std(made);
    if (made >= 0 && fd < 0)
        unlink(*tmp);
    if (fd < 0) {
        int e = errno;
        free(*tmp);
        *tmp = NULL;
        errno = e;
    }
    return fd;
}

/* Termination signals are held while the temporary file exists, so an
 * interrupted run leaves neither a partial report nor a stray temporary
 * file; a signal that arrives meanwhile takes effect right after. */
int kvet_write_file_atomic(const char *path, const char *data, size_t len)
{
    sigset_t block, old;
    sigemptyset(&block);
    sigaddset(&block, SIGINT);
    sigaddset(&block, SIGTERM);
    sigaddset(&block, SIGHUP);
    sigaddset(&block, SIGQUIT);
    sigaddset(&block, SIGPIPE);
    bool masked = sigprocmask(SIG_BLOCK, &block, &old) == 0;
    int rc = write_atomic(path, data, len);
    int e = errno;
    if (masked)
        sigprocmask(SIG_SETMASK, &old, NULL);
    errno = e;
    return rc;
}

/* A device, FIFO or socket (say -o /dev/null) must not be replaced by a
 * rename: as root that would swap /dev/null for a regular file.  It is
 * written in place instead; there is no old content to keep. */
static int write_in_place(const char *path, const char *data, size_t len, int mode, int std_fd)
{
    int fd = open_in_place(path, mode, std_fd);
    if (fd < 0)
        return -1;
    size_t off = 0;
    while (off < len) {
        ssize_t w = write(fd, data + off, len - off);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            int e = errno;
            close(fd);
            errno = e;
            return -1;
        }
        off += (size_t)w;
    }
    return close(fd);
}

static int write_atomic(const char *path, const char *data, size_t len)
{
    char *target, *tmp;
    int std_fd;
    int mode = write_target(path, &target, &std_fd);
    if (mode < 0)
        return -1;
    if (mode != W_REPLACE)
        return write_in_place(path, data, len, mode, std_fd);
    int fd = temp_beside(target, &tmp);
    if (fd < 0) {
        int e = errno;
        free(target);
        errno = e;
        return -1;
    }
    size_t off = 0;
    while (off < len) {
        ssize_t w = write(fd, data + off, len - off);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            goto fail;
        }
        off += (size_t)w;
    }
    /* mkstemp creates 0600; give the file the usual permissions */
    mode_t mask = umask(0);
    umask(mask);
    if (fchmod(fd, 0666 & ~mask) < 0 || fsync(fd) < 0)
        goto fail;
    if (close(fd) < 0) {
        fd = -1;
        goto fail;
    }
    fd = -1;
    if (rename(tmp, target) < 0)
        goto fail;
    free(tmp);
    free(target);
    return 0;
fail: {
    int e = errno;
    if (fd >= 0)
        close(fd);
    unlink(tmp);
    free(tmp);
    free(target);
    errno = e;
    return -1;
}
}

struct kvet_atomic_file {
    char *path, *tmp;          /* tmp NULL: a device written in place */
    int fd;
    bool masked;
    sigset_t old;
};

static void atomic_release(kvet_atomic_file *f)
{
    int e = errno;
    if (f->masked)
        sigprocmask(SIG_SETMASK, &f->old, NULL);
    free(f->path);
    free(f->tmp);
    free(f);
    errno = e;
}

kvet_atomic_file *kvet_atomic_open(const char *path)
{
    kvet_atomic_file *f = calloc(1, sizeof *f);
    if (!f)
        return NULL;
    f->fd = -1;
    sigset_t block;
    sigemptyset(&block);
    sigaddset(&block, SIGINT);
    sigaddset(&block, SIGTERM);
    sigaddset(&block, SIGHUP);
    sigaddset(&block, SIGQUIT);
    sigaddset(&block, SIGPIPE);
    f->masked = sigprocmask(SIG_BLOCK, &block, &f->old) == 0;
    int std_fd;
    int mode = write_target(path, &f->path, &std_fd);
    if (mode < 0)
        goto fail;
    if (mode != W_REPLACE) {
        /* as write_in_place: a device, or standard output, is written where it is */
        f->fd = open_in_place(path, mode, std_fd);
        if (f->fd < 0)
            goto fail;
        return f;
    }
    f->fd = temp_beside(f->path, &f->tmp);
    if (f->fd < 0)
        goto fail;
    return f;
fail:
    atomic_release(f);
    return NULL;
}

int kvet_atomic_write(kvet_atomic_file *f, const char *data, size_t len)
{
    size_t off = 0;
    while (off < len) {
        ssize_t w = write(f->fd, data + off, len - off);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        off += (size_t)w;
    }
    return 0;
}

int kvet_atomic_copy_fd(kvet_atomic_file *f, int fd)
{
#ifdef HAVE_COPY_FILE_RANGE
    for (;;) {
        ssize_t n = copy_file_range(fd, NULL, f->fd, NULL, (size_t)1 << 30, 0);
        if (n == 0)
            return 0;
        if (n > 0)
            continue;
        if (errno == EINTR)
            continue;
        /* whatever stops the kernel (another file system, a kernel, file or
         * sandbox without the call: EXDEV, EINVAL, ENOSYS, EPERM...), the
         * copy goes on by hand from where it stopped, and a real read or
         * write error shows there */
        break;
    }
#endif
    enum { CHUNK = 1 << 20 };
    char *buf = malloc(CHUNK);
    if (!buf)
        return -1;
    for (;;) {
        ssize_t got = read(fd, buf, CHUNK);
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0 || kvet_atomic_write(f, buf, (size_t)got) < 0) {
            int e = errno;
            free(buf);
            errno = e;
            return got == 0 ? 0 : -1;
        }
    }
}

void kvet_atomic_abort(kvet_atomic_file *f)
{
    if (!f)
        return;
    if (f->fd >= 0)
        close(f->fd);
    if (f->tmp)
        unlink(f->tmp);
    atomic_release(f);
}

int kvet_atomic_commit(kvet_atomic_file *f)
{
    if (!f->tmp) {
        int rc = close(f->fd);
        f->fd = -1;
        if (rc < 0) {
            kvet_atomic_abort(f);
            return -1;
        }
        atomic_release(f);
        return 0;
    }
    /* mkstemp creates 0600; give the file the usual permissions */
    mode_t mask = umask(0);
    umask(mask);
    if (fchmod(f->fd, 0666 & ~mask) < 0 || fsync(f->fd) < 0) {
        kvet_atomic_abort(f);
        return -1;
    }
    int rc = close(f->fd);
    f->fd = -1;
    if (rc < 0 || rename(f->tmp, f->path) < 0) {
        kvet_atomic_abort(f);
        return -1;
    }
    atomic_release(f);
    return 0;
}
