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
#include "kvet/kvet.h"

const char *kvet_version(void)
{
    return PACKAGE_VERSION;
}

/* Write to a temporary file next to the target, flush it to disk, then
 * rename it over the target: readers see the old file or the new one,
 * never a partial one. */
static int write_atomic(const char *path, const char *data, size_t len);

/* The file a write to path replaces: path, or the file a symbolic link
 * there leads to, so that the link stays (/dev/stdout is one, to whatever
 * standard output is: renamed over, it would be gone for every program).
 * NULL with *in_place when path is a link that cannot be resolved: it is
 * written through then; NULL alone when out of memory. */
static char *replaced_path(const char *path, bool *in_place)
{
    struct stat st;
    *in_place = false;
    if (lstat(path, &st) == 0 && S_ISLNK(st.st_mode)) {
        char *real = realpath(path, NULL);
        *in_place = !real && errno != ENOMEM;
        return real;
    }
    return strdup(path);
}

/* A file opened to be written where it is (a device, or a link that
 * cannot be resolved), or -1. */
static int open_in_place(const char *path, bool link)
{
    return link ? open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666) : open(path, O_WRONLY | O_CLOEXEC);
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
static int write_in_place(const char *path, const char *data, size_t len, bool link)
{
    int fd = open_in_place(path, link);
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
    struct stat st;
    if (stat(path, &st) == 0 && !S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode))
        return write_in_place(path, data, len, false);
    bool in_place;
    char *target = replaced_path(path, &in_place);
    if (!target)
        return in_place ? write_in_place(path, data, len, true) : -1;
    size_t n = strlen(target);
    char *tmp = malloc(n + 16);
    if (!tmp) {
        free(target);
        return -1;
    }
    snprintf(tmp, n + 16, "%s.tmpXXXXXX", target);
    int fd = mkstemp(tmp);
    if (fd < 0) {
        int e = errno;
        free(tmp);
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
    struct stat st;
    bool device = stat(path, &st) == 0 && !S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode), in_place = false;
    f->path = device ? strdup(path) : replaced_path(path, &in_place);
    if (!f->path && in_place)
        f->path = strdup(path);
    if (!f->path)
        goto fail;
    if (device || in_place) {
        /* as write_in_place: a device is written where it is */
        f->fd = open_in_place(path, in_place);
        if (f->fd < 0)
            goto fail;
        return f;
    }
    size_t n = strlen(f->path);
    f->tmp = malloc(n + 16);
    if (!f->tmp)
        goto fail;
    snprintf(f->tmp, n + 16, "%s.tmpXXXXXX", f->path);
    f->fd = mkstemp(f->tmp);
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
