/*
 * fd.h - descriptors shared by libkvet and the kvet program: no kvet
 * types, no global state.
 */
#ifndef KV_FD_H
#define KV_FD_H

#include <fcntl.h>
#include <unistd.h>

/* fd, or when it is 0, 1 or 2 (closed when the program started, and taken
 * since by a file the program made) a copy of it at 3 or above, closed on
 * exec, with fd closed: what the program writes to standard output or
 * reads from standard input must not go to or come from that file.  -1
 * stays -1, and a failed copy gives -1. */
static inline int kv_fd_above_std(int fd)
{
    if (fd < 0 || fd > 2)
        return fd;
    int moved = fcntl(fd, F_DUPFD_CLOEXEC, 3);
    close(fd);
    return moved;
}

#endif
