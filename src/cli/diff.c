/*
 * diff.c - `kvet diff`: what a change does to scaling, before it ships.
 *
 *   kvet diff BASE HEAD                 two folders or files
 *   kvet diff REV REV [PATH...]         two git revisions of the current repository
 *   kvet diff REV PATH | PATH REV       a revision and the working files
 *   kvet diff --to-set N=V PATH...      one tree, two parameter sets
 *   kvet diff --to-cluster FILE PATH... one tree, two cluster configurations
 *
 * Each side is one kvet_check run with its own context and pack load (the
 * parameters are applied when a pack loads).  A git revision is read into a
 * temporary folder with `git ls-tree` and `git cat-file --batch` (only the
 * files a check reads: *.yaml, *.yml, *.json), and checked from inside it so
 * that its file names are the repository's.  The comparison and its words
 * are built here (diff.h); diff_report.c writes them out.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "diff.h"

static const char *const prog = "kvet";

/* ------------------------------------------------------ temporary folder */

/* The folder revisions are read into.  It is removed on every way out of
 * the command, and on SIGINT, SIGTERM and SIGHUP too: a signal handler can
 * reach only static data, and may only call async-signal-safe functions,
 * so it runs rm(1) with fork and execve and then dies of the signal as it
 * would have.  (The library itself keeps no such state.) */
static char tmp_root[PATH_MAX];
static volatile sig_atomic_t tmp_live;
static struct sigaction tmp_saved[3];
static const int tmp_signals[3] = {SIGINT, SIGTERM, SIGHUP};

static void tmp_on_signal(int sig)
{
    if (tmp_live) {
        pid_t pid = fork();
        if (pid == 0) {
            char rm[] = "rm", rf[] = "-rf", dd[] = "--";
            char *const argv[] = {rm, rf, dd, tmp_root, NULL};
            char *const envp[] = {NULL};
            execve("/bin/rm", argv, envp);
            execve("/usr/bin/rm", argv, envp);
            _exit(127);
        }
        if (pid > 0)
            waitpid(pid, NULL, 0);
    }
    signal(sig, SIG_DFL);
    raise(sig);
}

static int tmp_rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    remove(path);
    return 0;
}

static int tmp_create(void)
{
    if (tmp_live)
        return 0;
    const char *dir = getenv("TMPDIR");
    if (!dir || !*dir)
        dir = "/tmp";
    if ((size_t)snprintf(tmp_root, sizeof tmp_root, "%s/kvet-diff.XXXXXX", dir) >= sizeof tmp_root ||
        !mkdtemp(tmp_root)) {
        fprintf(stderr, "%s: cannot create a temporary folder in %s: %s\n", prog, dir, strerror(errno));
        return -1;
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = tmp_on_signal;
    sigemptyset(&sa.sa_mask);
    for (int i = 0; i < 3; i++)
        sigaction(tmp_signals[i], &sa, &tmp_saved[i]);
    tmp_live = 1;
    return 0;
}

static void tmp_remove(void)
{
    if (!tmp_live)
        return;
    nftw(tmp_root, tmp_rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    tmp_live = 0;
    for (int i = 0; i < 3; i++)
        sigaction(tmp_signals[i], &tmp_saved[i], NULL);
}

/* ------------------------------------------------------------------- git */

/* Run git with argv (argv[0] is "git"), `in` on its standard input,
 * collecting its standard output and error.  Returns its exit status
 * (127 when it could not be started; err then says why), or -1 when no
 * process could be made. */
static int git_run(const char *const *argv, const char *in, size_t inlen, kv_buf *out, kv_buf *err)
{
    int pin[2] = {-1, -1}, pout[2] = {-1, -1}, perr[2] = {-1, -1};
    if (pipe(pin) < 0 || pipe(pout) < 0 || pipe(perr) < 0) {
        kv_buf_printf(err, "cannot make a pipe: %s", strerror(errno));
        for (int i = 0; i < 2; i++) {
            if (pin[i] >= 0) close(pin[i]);
            if (pout[i] >= 0) close(pout[i]);
            if (perr[i] >= 0) close(perr[i]);
        }
        return -1;
    }
    pid_t pid = fork();
    if (pid < 0) {
        kv_buf_printf(err, "cannot start git: %s", strerror(errno));
        close(pin[0]); close(pin[1]); close(pout[0]); close(pout[1]); close(perr[0]); close(perr[1]);
        return -1;
    }
    if (pid == 0) {
        signal(SIGPIPE, SIG_DFL);
        dup2(pin[0], 0);
        dup2(pout[1], 1);
        dup2(perr[1], 2);
        close(pin[0]); close(pin[1]); close(pout[0]); close(pout[1]); close(perr[0]); close(perr[1]);
        execvp("git", (char *const *)argv);
        dprintf(2, "cannot run git: %s", strerror(errno));
        _exit(127);
    }
    close(pin[0]);
    close(pout[1]);
    close(perr[1]);
    int wfd = pin[1];
    fcntl(wfd, F_SETFL, fcntl(wfd, F_GETFL) | O_NONBLOCK);
    size_t written = 0;
    if (inlen == 0) {
        close(wfd);
        wfd = -1;
    }
    int rfd[2] = {pout[0], perr[0]};
    kv_buf *dst[2] = {out, err};
    char chunk[65536];
    while (rfd[0] >= 0 || rfd[1] >= 0) {
        struct pollfd p[3];
        int np = 0, iw = -1, ir[2] = {-1, -1};
        if (wfd >= 0) {
            p[np] = (struct pollfd){wfd, POLLOUT, 0};
            iw = np++;
        }
        for (int k = 0; k < 2; k++)
            if (rfd[k] >= 0) {
                p[np] = (struct pollfd){rfd[k], POLLIN, 0};
                ir[k] = np++;
            }
        if (poll(p, (nfds_t)np, -1) < 0) {
            if (errno == EINTR)
                continue;
            break;
        }
        if (iw >= 0 && p[iw].revents) {
            ssize_t w = write(wfd, in + written, inlen - written);
            if (w > 0)
                written += (size_t)w;
            if ((w < 0 && errno != EAGAIN && errno != EINTR) || written == inlen || (p[iw].revents & (POLLERR | POLLHUP))) {
                close(wfd);
                wfd = -1;
            }
        }
        for (int k = 0; k < 2; k++) {
            if (ir[k] < 0 || !p[ir[k]].revents)
                continue;
            ssize_t r = read(rfd[k], chunk, sizeof chunk);
            if (r > 0) {
                if (dst[k])
                    kv_buf_put(dst[k], chunk, (size_t)r);
            } else if (r == 0 || (errno != EINTR && errno != EAGAIN)) {
                close(rfd[k]);
                rfd[k] = -1;
            }
        }
    }
    if (wfd >= 0)
        close(wfd);
    for (int k = 0; k < 2; k++)
        if (rfd[k] >= 0)
            close(rfd[k]);
    int status;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR)
            return -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
}

/* git's message, one line, without the trailing newline. */
static const char *git_message(kv_buf *err)
{
    if (!err->data)
        return "(no message)";
    while (err->len && (err->data[err->len - 1] == '\n' || err->data[err->len - 1] == '\r'))
        err->data[--err->len] = '\0';
    for (char *p = err->data; *p; p++)
        if (*p == '\n')
            *p = ' ';
    return err->len ? err->data : "(no message)";
}

/* ---------------------------------------------------------------- helpers */

static void *xcalloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size);
    if (!p) {
        fprintf(stderr, "%s: out of memory\n", prog);
        exit(KVET_EXIT_ERROR); /* the CLI's policy on exhausted memory */
    }
    return p;
}

static void *xrealloc(void *p, size_t size)
{
    void *q = realloc(p, size ? size : 1);
    if (!q) {
        fprintf(stderr, "%s: out of memory\n", prog);
        exit(KVET_EXIT_ERROR);
    }
    return q;
}

static char *xstrdup(const char *s)
{
    char *p = strdup(s);
    if (!p) {
        fprintf(stderr, "%s: out of memory\n", prog);
        exit(KVET_EXIT_ERROR);
    }
    return p;
}

static char *buf_take(kv_buf *b)
{
    if (b->oom) {
        fprintf(stderr, "%s: out of memory\n", prog);
        exit(KVET_EXIT_ERROR);
    }
    char *s = b->data ? b->data : xstrdup("");
    kv_buf_init(b);
    return s;
}

static void push_str(char ***v, size_t *n, char *s)
{
    *v = xrealloc(*v, (*n + 1) * sizeof **v);
    (*v)[(*n)++] = s;
}

static bool key_is(const kvet_map_entry *e, const char *s)
{
    return e->key->len == strlen(s) && !memcmp(e->key->data, s, e->key->len);
}

static kvet_value get(kvet_value v, const char *key)
{
    return kvet_map_get(v, key, strlen(key));
}

/* A dotted path of plain keys. */
static kvet_value get_path(kvet_value v, const char *dotted)
{
    const char *p = dotted;
    while (*p && v.type == KVET_MAP) {
        const char *dot = strchr(p, '.');
        size_t n = dot ? (size_t)(dot - p) : strlen(p);
        v = kvet_map_get(v, p, n);
        p += n + (dot ? 1 : 0);
        if (!dot)
            return v;
    }
    return *p ? (kvet_value){.type = KVET_ABSENT} : v;
}

static bool none(kvet_value v) { return v.type == KVET_ABSENT || v.type == KVET_NULL; }

static bool as_number(kvet_value v, double *d)
{
    if (v.type == KVET_INT) { *d = (double)v.u.i; return true; }
    if (v.type == KVET_FLOAT) { *d = v.u.f; return true; }
    if (v.type == KVET_STRING && v.u.s->len && v.u.s->len < 32) {
        char *end;
        errno = 0;
        double x = strtod(v.u.s->data, &end);
        if (!*end && !errno) { *d = x; return true; }
    }
    return false;
}

/* Deep equality of derived values: numbers by value (2 == 2.0), maps by
 * their keys whatever the order, lists item by item; null and a missing
 * value are the same (no value). */
static bool values_equal(kvet_value a, kvet_value b, int depth)
{
    if (none(a) || none(b))
        return none(a) && none(b);
    if ((a.type == KVET_INT || a.type == KVET_FLOAT) && (b.type == KVET_INT || b.type == KVET_FLOAT)) {
        if (a.type == KVET_INT && b.type == KVET_INT)
            return a.u.i == b.u.i;
        double x = a.type == KVET_INT ? (double)a.u.i : a.u.f, y = b.type == KVET_INT ? (double)b.u.i : b.u.f;
        return x == y;
    }
    if (a.type != b.type || depth > 200)
        return false;
    switch ((kvet_type)a.type) {
    case KVET_BOOL: return !a.u.b == !b.u.b;
    case KVET_STRING: return a.u.s->len == b.u.s->len && !memcmp(a.u.s->data, b.u.s->data, a.u.s->len);
    case KVET_LIST:
        if (a.u.l->n != b.u.l->n)
            return false;
        for (uint32_t i = 0; i < a.u.l->n; i++)
            if (!values_equal(a.u.l->items[i], b.u.l->items[i], depth + 1))
                return false;
        return true;
    case KVET_MAP: {
        uint32_t na = 0, nb = 0;
        for (uint32_t i = 0; i < a.u.m->n; i++) {
            if (none(a.u.m->e[i].val))
                continue;
            na++;
            kvet_value o = kvet_map_get(b, a.u.m->e[i].key->data, a.u.m->e[i].key->len);
            if (!values_equal(a.u.m->e[i].val, o, depth + 1))
                return false;
        }
        for (uint32_t i = 0; i < b.u.m->n; i++)
            nb += !none(b.u.m->e[i].val);
        return na == nb;
    }
    default: return true;
    }
}

/* ----------------------------------------------------------- the run */

typedef struct run {
    const diff_opts *o;
    diff_result *d;
    char *prefix;            /* the current folder within the repository: "" or "sub/" */
    char *toplevel;          /* the repository's top folder, or NULL */
    bool git_checked;        /* prefix and toplevel were asked for */
    bool err_color;
} run;

static bool is_path(const char *s)
{
    struct stat st;
    return !strcmp(s, "-") || stat(s, &st) == 0;
}

/* The repository's top folder and the current folder's place in it. */
static void git_where(run *R)
{
    if (R->git_checked)
        return;
    R->git_checked = true;
    kv_buf out, err;
    kv_buf_init(&out);
    kv_buf_init(&err);
    const char *argv[] = {"git", "rev-parse", "--show-toplevel", "--show-prefix", NULL};
    if (git_run(argv, NULL, 0, &out, &err) == 0 && out.data) {
        char *nl = strchr(out.data, '\n');
        if (nl) {
            *nl = '\0';
            R->toplevel = xstrdup(out.data);
            char *pre = nl + 1, *end = strchr(pre, '\n');
            if (end)
                *end = '\0';
            R->prefix = xstrdup(pre);
        }
    }
    if (!R->prefix)
        R->prefix = xstrdup("");
    kv_buf_free(&out);
    kv_buf_free(&err);
}

/* Resolve REV to a commit.  0, or -1 after saying why it is neither a path
 * nor a revision. */
static int resolve_revision(const char *what, const char *rev, char **commit)
{
    if (rev[0] == '-') {
        fprintf(stderr, "%s: %s %s: no such file or folder\n", prog, what, rev);
        return -1;
    }
    size_t n = strlen(rev);
    char *spec = xcalloc(n + 10, 1);
    snprintf(spec, n + 10, "%s^{commit}", rev);
    kv_buf out, err;
    kv_buf_init(&out);
    kv_buf_init(&err);
    const char *argv[] = {"git", "rev-parse", "--verify", "--quiet", spec, NULL};
    int st = git_run(argv, NULL, 0, &out, &err);
    free(spec);
    int rc = 0;
    if (st == 0 && out.len >= 40) {
        while (out.len && (out.data[out.len - 1] == '\n'))
            out.data[--out.len] = '\0';
        *commit = buf_take(&out);
    } else if (st == 127 || st < 0) {
        fprintf(stderr, "%s: %s %s: no such file or folder, and no git to read it as a revision (%s)\n", prog, what,
                rev, git_message(&err));
        rc = -1;
    } else {
        kv_buf o2, e2;
        kv_buf_init(&o2);
        kv_buf_init(&e2);
        const char *argv2[] = {"git", "rev-parse", "--is-shallow-repository", NULL};
        int st2 = git_run(argv2, NULL, 0, &o2, &e2);
        if (st2 != 0) {
            fprintf(stderr, "%s: %s %s: no such file or folder, and the current folder is not in a git repository\n",
                    prog, what, rev);
        } else {
            fprintf(stderr, "%s: %s %s: no such file or folder, nor a revision of this git repository\n", prog, what,
                    rev);
            if (o2.data && !strncmp(o2.data, "true", 4))
                fprintf(stderr, "%s: the repository is a shallow clone: fetch the revision first (for example git "
                                "fetch --depth=1 origin %s)\n", prog, rev);
        }
        kv_buf_free(&o2);
        kv_buf_free(&e2);
        rc = -1;
    }
    kv_buf_free(&out);
    kv_buf_free(&err);
    return rc;
}

/* A path given relative to the current folder (or absolute), as a path
 * from the repository's top: lexically, "." for the top.  NULL when it is
 * outside the repository. */
static char *repo_path(run *R, const char *path)
{
    git_where(R);
    kv_buf b;
    kv_buf_init(&b);
    if (path[0] == '/') {
        size_t n = R->toplevel ? strlen(R->toplevel) : 0;
        if (!R->toplevel || strncmp(path, R->toplevel, n) != 0 || (path[n] != '/' && path[n] != '\0'))
            return NULL;
        kv_buf_puts(&b, path + n);
    } else {
        kv_buf_puts(&b, R->prefix);
        kv_buf_puts(&b, path);
    }
    char *joined = buf_take(&b);
    /* normalise the segments: drop "" and ".", resolve ".." */
    char **seg = NULL;
    size_t nseg = 0;
    bool outside = false;
    for (char *save = NULL, *t = strtok_r(joined, "/", &save); t; t = strtok_r(NULL, "/", &save)) {
        if (!strcmp(t, "."))
            continue;
        if (!strcmp(t, "..")) {
            if (!nseg) {
                outside = true;
                break;
            }
            nseg--;
            continue;
        }
        push_str(&seg, &nseg, t);
    }
    kv_buf_init(&b);
    for (size_t i = 0; i < nseg; i++) {
        kv_buf_puts(&b, i ? "/" : "");
        kv_buf_puts(&b, seg[i]);
    }
    if (!nseg)
        kv_buf_puts(&b, ".");
    free(seg);
    free(joined);
    char *res = buf_take(&b);
    if (outside) {
        free(res);
        return NULL;
    }
    return res;
}

static bool wanted_file(const char *path, size_t n)
{
    static const char *const ext[] = {".yaml", ".yml", ".json"};
    for (size_t i = 0; i < 3; i++) {
        size_t m = strlen(ext[i]);
        if (n > m && !memcmp(path + n - m, ext[i], m))
            return true;
    }
    return false;
}

/* A repository path is safe to write below the temporary folder: relative,
 * and without empty, "." or ".." segments. */
static bool safe_repo_path(const char *p, size_t n)
{
    if (!n || p[0] == '/')
        return false;
    size_t start = 0;
    for (size_t i = 0; i <= n; i++) {
        if (i == n || p[i] == '/') {
            size_t len = i - start;
            if (len == 0 || (len == 1 && p[start] == '.') || (len == 2 && p[start] == '.' && p[start + 1] == '.'))
                return false;
            start = i + 1;
        }
    }
    return true;
}

static int write_tree_file(const char *root, const char *path, size_t plen, const char *data, size_t len)
{
    size_t rn = strlen(root);
    char *full = xcalloc(rn + plen + 2, 1);
    memcpy(full, root, rn);
    full[rn] = '/';
    memcpy(full + rn + 1, path, plen);
    for (char *s = full + rn + 1; *s; s++) {
        if (*s != '/')
            continue;
        *s = '\0';
        if (mkdir(full, 0755) < 0 && errno != EEXIST) {
            fprintf(stderr, "%s: cannot create %s: %s\n", prog, full, strerror(errno));
            free(full);
            return -1;
        }
        *s = '/';
    }
    int fd = open(full, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0644);
    int rc = 0;
    if (fd < 0) {
        fprintf(stderr, "%s: cannot create %s: %s\n", prog, full, strerror(errno));
        rc = -1;
    } else {
        size_t off = 0;
        while (off < len) {
            ssize_t w = write(fd, data + off, len - off);
            if (w < 0 && errno == EINTR)
                continue;
            if (w <= 0) {
                fprintf(stderr, "%s: cannot write %s: %s\n", prog, full, strerror(errno));
                rc = -1;
                break;
            }
            off += (size_t)w;
        }
        if (close(fd) < 0 && rc == 0) {
            fprintf(stderr, "%s: cannot write %s: %s\n", prog, full, strerror(errno));
            rc = -1;
        }
    }
    free(full);
    return rc;
}

/* Read the files a check reads (*.yaml, *.yml, *.json; regular files, not
 * symbolic links or submodules) of a commit into s->tree. */
static int read_revision(diff_side *s)
{
    size_t tn = strlen(tmp_root) + strlen(s->name) + 2;
    s->tree = xcalloc(tn, 1);
    snprintf(s->tree, tn, "%s/%s", tmp_root, s->name);
    if (mkdir(s->tree, 0700) < 0) {
        fprintf(stderr, "%s: cannot create %s: %s\n", prog, s->tree, strerror(errno));
        return -1;
    }
    kv_buf list, err;
    kv_buf_init(&list);
    kv_buf_init(&err);
    const char *ls[] = {"git", "ls-tree", "-r", "-z", "--full-tree", s->commit, NULL};
    int st = git_run(ls, NULL, 0, &list, &err);
    if (st != 0) {
        fprintf(stderr, "%s: cannot list the files of %s: git ls-tree: %s\n", prog, s->revision, git_message(&err));
        kv_buf_free(&list);
        kv_buf_free(&err);
        return -1;
    }
    /* entries: "<mode> <type> <object>\t<path>\0" */
    kv_buf want;
    kv_buf_init(&want);
    const char **paths = NULL;
    size_t *plens = NULL, npaths = 0;
    for (size_t i = 0; list.data && i < list.len;) {
        const char *e = list.data + i;
        size_t n = strnlen(e, list.len - i);
        i += n + 1;
        const char *tab = memchr(e, '\t', n);
        if (!tab || (strncmp(e, "100644 blob ", 12) != 0 && strncmp(e, "100755 blob ", 12) != 0))
            continue; /* symbolic links (120000), submodules (160000 commit) */
        const char *path = tab + 1;
        size_t plen = n - (size_t)(path - e);
        if (!wanted_file(path, plen) || !safe_repo_path(path, plen))
            continue;
        kv_buf_put(&want, e + 12, (size_t)(tab - (e + 12)));
        kv_buf_puts(&want, "\n");
        paths = xrealloc(paths, (npaths + 1) * sizeof *paths);
        plens = xrealloc(plens, (npaths + 1) * sizeof *plens);
        paths[npaths] = path;
        plens[npaths++] = plen;
    }
    int rc = 0;
    if (npaths) {
        kv_buf blobs;
        kv_buf_init(&blobs);
        err.len = 0;
        const char *cat[] = {"git", "cat-file", "--batch", NULL};
        st = git_run(cat, want.data, want.len, &blobs, &err);
        if (st != 0 || blobs.oom || want.oom) {
            fprintf(stderr, "%s: cannot read the files of %s: git cat-file: %s\n", prog, s->revision,
                    blobs.oom || want.oom ? "out of memory" : git_message(&err));
            rc = -1;
        }
        /* "<object> blob <size>\n<content>\n" per file, in the order asked */
        size_t off = 0;
        for (size_t k = 0; rc == 0 && k < npaths; k++) {
            const char *h = blobs.data ? blobs.data + off : NULL;
            const char *nl = h ? memchr(h, '\n', blobs.len - off) : NULL;
            const char *sp = nl ? memchr(h, ' ', (size_t)(nl - h)) : NULL;
            unsigned long long size = 0;
            if (sp && !strncmp(sp, " blob ", 6))
                size = strtoull(sp + 6, NULL, 10);
            if (sp && !strncmp(sp, " missing", 8)) {
                fprintf(stderr, "%s: cannot read %.*s of %s: its object is missing from the repository\n", prog,
                        (int)plens[k], paths[k], s->revision);
                rc = -1;
                break;
            }
            if (!sp || strncmp(sp, " blob ", 6) != 0 || (size_t)(nl + 1 - blobs.data) + size + 1 > blobs.len) {
                fprintf(stderr, "%s: cannot read the files of %s: unexpected output from git cat-file\n", prog,
                        s->revision);
                rc = -1;
                break;
            }
            if (write_tree_file(s->tree, paths[k], plens[k], nl + 1, (size_t)size) < 0)
                rc = -1;
            off = (size_t)(nl + 1 - blobs.data) + size + 1;
        }
        kv_buf_free(&blobs);
    }
    free(paths);
    free(plens);
    kv_buf_free(&want);
    kv_buf_free(&list);
    kv_buf_free(&err);
    return rc;
}

/* ------------------------------------------------------------ the sides */

static char *absolute(const char *p)
{
    if (p[0] == '/' || !strcmp(p, "-"))
        return xstrdup(p);
    char cwd[PATH_MAX];
    if (!getcwd(cwd, sizeof cwd))
        return xstrdup(p);
    size_t n = strlen(cwd) + strlen(p) + 2;
    char *s = xcalloc(n, 1);
    snprintf(s, n, "%s/%s", cwd, p);
    return s;
}

/* Print and clear a side's diagnostics, under a line naming the side. */
static void side_diags(run *R, diff_side *s, bool quiet)
{
    size_t shown = 0;
    for (size_t i = 0; i < kvet_diag_count(s->ctx); i++) {
        const kvet_diag *dg = kvet_diag_at(s->ctx, i);
        if (quiet && (dg->severity == KVET_SEV_NOTE || dg->severity == KVET_SEV_INFO))
            continue;
        if (!shown++)
            fprintf(stderr, "%s: %s (%s):\n", prog, s->name, diff_side_label(s));
        char *t = kvet_diag_render(dg, R->err_color);
        if (t) {
            fputs(t, stderr);
            free(t);
        }
    }
    kvet_diag_clear(s->ctx);
}

/* A context and a pack load for one side: its parameters apply as the pack
 * loads.  0, or -1 after printing why. */
static int side_load(run *R, diff_side *s, bool first)
{
    const diff_opts *o = R->o;
    s->ctx = kvet_ctx_new();
    if (!s->ctx) {
        fprintf(stderr, "%s: out of memory\n", prog);
        return -1;
    }
    kvet_ctx_set_limits(s->ctx, o->limits);
    kvet_ctx_set_lints(s->ctx, 0); /* lints are for rule authors: kvet compile and kvet test show them */
    for (size_t i = 0; i < s->nsets; i++) {
        char *nv = xstrdup(s->sets[i]);
        char *eq = strchr(nv, '=');
        int rc = eq ? (*eq = '\0', kvet_ctx_set_param(s->ctx, nv, eq + 1)) : -1;
        free(nv);
        if (rc < 0) {
            side_diags(R, s, false);
            return -1;
        }
    }
    for (size_t i = 0; i < o->nrule_paths; i++)
        kvet_ctx_add_pack_path(s->ctx, o->rule_paths[i]);
    kvet_ctx_add_pack_path(s->ctx, o->stock);
    const char *const *rules = o->nrules ? o->rules : &o->stock;
    s->pack = kvet_pack_load(s->ctx, rules, o->nrules ? o->nrules : 1);
    bool failed = !s->pack || kvet_error_count(s->ctx) > 0;
    if (failed || first)
        side_diags(R, s, o->quiet && !failed);
    else
        kvet_diag_clear(s->ctx); /* the same notes as the first load */
    return failed ? -1 : 0;
}

/* The project file of a side: --config (inside a revision's tree when it
 * is relative), else kvet.yaml found from the inputs.  For a revision the
 * search stays inside its tree.  0, or -1 after printing why. */
static int side_project(run *R, diff_side *s)
{
    const diff_opts *o = R->o;
    if (o->no_config)
        return 0;
    char *path = NULL;
    if (o->config) {
        if (s->tree && o->config[0] != '/') {
            path = repo_path(R, o->config);
            if (!path) {
                fprintf(stderr, "%s: --config %s is outside the repository\n", prog, o->config);
                return -1;
            }
        } else {
            path = xstrdup(o->config);
        }
    } else {
        for (size_t i = 0; i < s->npaths && !path; i++) {
            if (!strcmp(s->paths[i], "-"))
                continue;
            char *found = kvet_project_find(s->paths[i]);
            if (found && s->tree && (found[0] == '/' || !strncmp(found, "../", 3))) {
                free(found); /* above the revision's tree: not the revision's */
                found = NULL;
            }
            path = found;
        }
    }
    if (!path)
        return 0;
    s->project = kvet_project_load(s->ctx, path);
    bool failed = !s->project || kvet_error_count(s->ctx) > 0;
    side_diags(R, s, o->quiet && !failed);
    if (failed) {
        fprintf(stderr, "%s: %s: cannot use the project file %s\n", prog, s->name, path);
        kvet_project_free(s->project);
        s->project = NULL;
        free(path);
        return -1;
    }
    free(path);
    return 0;
}

static bool project_has_env(const kvet_project *p, const char *name)
{
    for (size_t e = 0; p && e < kvet_project_env_count(p); e++)
        if (!strcmp(kvet_project_env_name(p, e), name))
            return true;
    return false;
}

/* Check one side.  0, or -1 when it could not be checked at all. */
static int side_check(run *R, diff_side *s)
{
    const diff_opts *o = R->o;
    int saved = -1;
    if (s->tree) {
        saved = open(".", O_RDONLY | O_DIRECTORY);
        if (saved < 0 || chdir(s->tree) < 0) {
            fprintf(stderr, "%s: cannot enter %s: %s\n", prog, s->tree, strerror(errno));
            if (saved >= 0)
                close(saved);
            return -1;
        }
        /* a folder the revision does not have: that side has nothing there */
        size_t kept = 0;
        for (size_t i = 0; i < s->npaths; i++) {
            if (is_path(s->paths[i]))
                s->paths[kept++] = s->paths[i];
            else
                free(s->paths[i]);
        }
        s->npaths = kept;
        s->empty = kept == 0;
    }
    int rc = 0;
    if (!s->empty && side_project(R, s) < 0)
        rc = -1;
    const char **envs = NULL;
    size_t nenvs = 0;
    if (rc == 0 && !s->empty && o->nenvs) {
        envs = xcalloc(o->nenvs, sizeof *envs);
        for (size_t i = 0; i < o->nenvs; i++)
            if (project_has_env(s->project, o->envs[i]))
                envs[nenvs++] = o->envs[i];
        if (!nenvs)
            s->empty = true; /* none of the environments asked for is declared on this side */
    }
    if (rc == 0 && !s->empty) {
        kvet_inputs in = {.paths = (const char *const *)s->paths, .npaths = s->npaths,
                          .cluster = s->cluster, .ncluster = s->ncluster,
                          .waiver_files = o->waivers, .nwaiver_files = o->nwaivers, .baseline = o->baseline,
                          .today = o->today, .project = s->project, .envs = envs, .nenvs = nenvs};
        s->res = kvet_check(s->ctx, s->pack, &in);
        side_diags(R, s, o->quiet);
        if (!s->res) {
            fprintf(stderr, "%s: out of memory\n", prog);
            rc = -1;
        }
    }
    free(envs);
    if (saved >= 0) {
        if (fchdir(saved) < 0) {
            fprintf(stderr, "%s: cannot return to the working folder: %s\n", prog, strerror(errno));
            rc = -1;
        }
        close(saved);
    }
    return rc;
}

const char *diff_side_label(const diff_side *s)
{
    return s->label ? s->label : s->name;
}

/* "NAME=VALUE, NAME=VALUE, cluster FILE" for a side of one tree; a name set
 * twice shows its last value. */
static char *settings_label(const char *const *sets, size_t nsets, const char *const *cluster, size_t ncluster)
{
    kv_buf b;
    kv_buf_init(&b);
    size_t parts = 0;
    for (size_t i = 0; i < nsets; i++) {
        const char *eq = strchr(sets[i], '=');
        size_t n = eq ? (size_t)(eq - sets[i]) : strlen(sets[i]);
        bool later = false;
        for (size_t k = i + 1; k < nsets && !later; k++)
            later = !strncmp(sets[k], sets[i], n) && sets[k][n] == '=';
        if (later)
            continue;
        kv_buf_puts(&b, parts++ ? ", " : "");
        kv_buf_puts(&b, sets[i]);
    }
    for (size_t i = 0; i < ncluster; i++) {
        kv_buf_puts(&b, parts++ ? ", " : "");
        kv_buf_printf(&b, "cluster %s", cluster[i]);
    }
    if (!parts)
        kv_buf_puts(&b, "the defaults");
    return buf_take(&b);
}

/* ------------------------------------------------------- the comparison */

/* The API group of an apiVersion: "serving.kserve.io" of
 * "serving.kserve.io/v1beta1", "" for the core group's "v1". */
static size_t api_group(const char *api, const char **g)
{
    const char *slash = strrchr(api, '/');
    *g = api;
    return slash ? (size_t)(slash - api) : 0;
}

static char *identity_key(const kvet_resource *r, bool by_env)
{
    const char *g;
    size_t gn = api_group(r->api_version, &g);
    kv_buf b;
    kv_buf_init(&b);
    kv_buf_put(&b, g, gn);
    kv_buf_printf(&b, "\x1f%s\x1f%s\x1f%s\x1f%s", r->kind, r->ns, r->name, by_env && r->env ? r->env : "");
    return buf_take(&b);
}

static uint64_t fnv(const char *s)
{
    uint64_t h = 1469598103934665603ull;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return h;
}

static diff_resource *add_resource(diff_result *d)
{
    if (d->n == d->cap) {
        d->cap = d->cap ? d->cap * 2 : 32;
        d->v = xrealloc(d->v, d->cap * sizeof *d->v);
    }
    diff_resource *r = &d->v[d->n];
    memset(r, 0, sizeof *r);
    r->order = d->n++;
    return r;
}

/* A message as it is compared: without the side's folder and without the
 * line numbers of files it names (file.yaml:12:3 is file.yaml). */
static char *normalise(const diff_side *s, const char *msg)
{
    kv_buf b;
    kv_buf_init(&b);
    size_t nn = s->norm ? strlen(s->norm) : 0;
    for (const char *p = msg; *p;) {
        if (nn && !strncmp(p, s->norm, nn)) {
            p += nn;
            continue;
        }
        static const char *const ext[] = {".yaml:", ".yml:", ".json:"};
        bool cut = false;
        for (size_t k = 0; k < 3 && !cut; k++) {
            size_t m = strlen(ext[k]);
            if (!strncmp(p, ext[k], m) && p[m] >= '0' && p[m] <= '9') {
                kv_buf_put(&b, p, m - 1);
                p += m;
                while ((*p >= '0' && *p <= '9') || (*p == ':' && p[1] >= '0' && p[1] <= '9'))
                    p++;
                cut = true;
            }
        }
        if (!cut)
            kv_buf_put(&b, p++, 1);
    }
    return buf_take(&b);
}

static bool finding_open(const kvet_finding *f)
{
    return !f->waiver && !f->baselined;
}

static void push_finding(diff_finding **v, size_t *n, const kvet_finding *f, const kvet_finding *was)
{
    *v = xrealloc(*v, (*n + 1) * sizeof **v);
    (*v)[(*n)++] = (diff_finding){f, was};
}

/* Findings of a pair: the same rule, severity and message on both sides is
 * no change; the same rule with another message or severity is a changed
 * finding; the rest are new or resolved. */
static void compare_findings(diff_result *d, diff_resource *dr)
{
    const kvet_resource *b = dr->base, *h = dr->head;
    size_t nb = b ? b->nfindings : 0, nh = h ? h->nfindings : 0;
    bool *ub = xcalloc(nb, sizeof *ub), *uh = xcalloc(nh, sizeof *uh);
    char **mb = xcalloc(nb, sizeof *mb), **mh = xcalloc(nh, sizeof *mh);
    for (size_t j = 0; j < nb; j++)
        mb[j] = normalise(&d->base, b->findings[j].message);
    for (size_t k = 0; k < nh; k++)
        mh[k] = normalise(&d->head, h->findings[k].message);
    for (size_t k = 0; k < nh; k++)
        for (size_t j = 0; j < nb && !uh[k]; j++)
            if (!ub[j] && !strcmp(h->findings[k].rule, b->findings[j].rule) &&
                h->findings[k].severity == b->findings[j].severity && !strcmp(mh[k], mb[j]))
                ub[j] = uh[k] = true;
    for (size_t k = 0; k < nh; k++)
        for (size_t j = 0; j < nb && !uh[k]; j++)
            if (!ub[j] && !strcmp(h->findings[k].rule, b->findings[j].rule)) {
                ub[j] = uh[k] = true;
                push_finding(&dr->fchanged, &dr->nchanged, &h->findings[k], &b->findings[j]);
            }
    for (size_t k = 0; k < nh; k++)
        if (!uh[k]) {
            push_finding(&dr->fnew, &dr->nnew, &h->findings[k], NULL);
            if (finding_open(&h->findings[k]) && h->findings[k].severity <= KVET_SEV_ERROR)
                d->fnew[h->findings[k].severity]++;
        }
    for (size_t j = 0; j < nb; j++)
        if (!ub[j])
            push_finding(&dr->fresolved, &dr->nresolved, &b->findings[j], NULL);
    d->fresolved += dr->nresolved;
    d->fchanged += dr->nchanged;
    for (size_t j = 0; j < nb; j++)
        free(mb[j]);
    for (size_t k = 0; k < nh; k++)
        free(mh[k]);
    free(mb);
    free(mh);
    free(ub);
    free(uh);
}

/* ---- words for derived values */

enum {
    K_MIN,     /* more is more pods always running */
    K_MAX,     /* an upper bound where 0 means none (Knative max-scale) */
    K_BOUND,   /* an upper bound */
    K_INITIAL, /* pods a new revision starts */
    K_STZ,     /* scales to zero */
    K_TARGET,  /* load per pod the autoscaler aims at */
    K_SHAPE,   /* how scaling works: class, metric, mode, autoscalers */
    K_PLAIN,
    K_DETAIL   /* what KServe writes for Knative, recommendations */
};

/* The stock pack's well-known derived values, by their path below a
 * component (components.NAME.*) or below the resource.  A prefix entry
 * covers everything below it. */
static const struct known {
    const char *path;
    bool prefix;
    const char *label;
    int kind;
    bool summary;     /* named when a resource or component is added or removed */
    const char *none; /* what no value means, when "none" would not say it */
} known[] = {
    {"scale.class", false, "autoscaler class", K_SHAPE, false, NULL},
    {"scale.metric", false, "metric", K_SHAPE, false, NULL},
    {"scale.target", false, "target", K_TARGET, false, NULL},
    {"scale.min", false, "min", K_MIN, true, NULL},
    {"scale.max", false, "max", K_MAX, true, NULL},
    {"scale.initial", false, "initial", K_INITIAL, true, NULL},
    {"scale.activation", false, "activation scale", K_MIN, false, NULL},
    {"scale.scaleToZero", false, "scale to zero", K_STZ, true, NULL},
    {"scale.window", false, "stable window", K_PLAIN, false, NULL},
    {"autoscalerClass", false, "autoscaler class", K_SHAPE, true, NULL},
    {"deploymentMode", false, "deployment mode", K_SHAPE, true, NULL},
    {"hpa.minReplicas", false, "HPA min", K_MIN, true, NULL},
    {"hpa.maxReplicas", false, "HPA max", K_BOUND, true, NULL},
    {"hpa.metrics", true, "HPA metrics", K_SHAPE, false, NULL},
    {"hpa", true, "HPA", K_SHAPE, false, NULL},
    {"scaledObject.minReplicaCount", false, "ScaledObject min", K_MIN, true, NULL},
    {"scaledObject.maxReplicaCount", false, "ScaledObject max", K_BOUND, true, NULL},
    {"scaledObject.triggers", true, "ScaledObject triggers", K_SHAPE, false, NULL},
    {"scaledObject", true, "ScaledObject", K_SHAPE, false, NULL},
    {"deploymentReplicas", false, "Deployment replicas", K_MIN, true, "not set by KServe"},
    {"knativeService.annotations", true, "Knative Service annotation", K_DETAIL, false, NULL},
    {"knativeService", true, "Knative Service", K_DETAIL, false, NULL},
    {"recommended.initialScale", false, "recommended initial-scale", K_DETAIL, false, NULL},
    {"recommended.reason", false, "recommended because", K_DETAIL, false, NULL},
    {"recommended", true, "recommendation", K_DETAIL, false, NULL},
};

/* Does the known path match segs[0..n) exactly (or, for a prefix entry, as
 * a prefix)?  *used: how many segments it covered. */
static bool known_match(const struct known *k, const diff_seg *segs, size_t n, size_t *used)
{
    const char *p = k->path;
    size_t i = 0;
    while (*p) {
        const char *dot = strchr(p, '.');
        size_t len = dot ? (size_t)(dot - p) : strlen(p);
        if (i >= n || segs[i].index >= 0 || segs[i].keylen != len || memcmp(segs[i].key, p, len) != 0)
            return false;
        i++;
        p += len + (dot ? 1 : 0);
    }
    if (i < n && !k->prefix)
        return false;
    *used = i;
    return true;
}

static const struct known *known_find(const diff_seg *segs, size_t n, size_t *used)
{
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
        if (known_match(&known[i], segs, n, used))
            return &known[i];
    return NULL;
}

static bool key_needs_quotes(const char *k, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (k[i] == '.' || k[i] == '[' || k[i] == ']' || k[i] == '"' || k[i] == ' ')
            return true;
    return n == 0;
}

/* components.predictor.knativeService.annotations["autoscaling.knative.dev/min-scale"] */
static void path_text(kv_buf *b, const diff_seg *segs, size_t n, bool first_dot)
{
    for (size_t i = 0; i < n; i++) {
        if (segs[i].index >= 0) {
            kv_buf_printf(b, "[%ld]", segs[i].index);
        } else if (key_needs_quotes(segs[i].key, segs[i].keylen)) {
            kv_buf_puts(b, "[");
            kv_buf_json_string(b, segs[i].key, segs[i].keylen);
            kv_buf_puts(b, "]");
        } else {
            if (i || first_dot)
                kv_buf_puts(b, ".");
            kv_buf_put(b, segs[i].key, segs[i].keylen);
        }
    }
}

void diff_value_text(kv_buf *b, kvet_value v)
{
    char num[32];
    switch ((kvet_type)v.type) {
    case KVET_ABSENT: kv_buf_puts(b, "unset"); break;
    case KVET_NULL: kv_buf_puts(b, "none"); break;
    case KVET_BOOL: kv_buf_puts(b, v.u.b ? "yes" : "no"); break;
    case KVET_INT: kv_buf_put_int(b, v.u.i); break;
    case KVET_FLOAT:
        kv_format_double(num, v.u.f);
        if (strlen(num) > 2 && !strcmp(num + strlen(num) - 2, ".0"))
            num[strlen(num) - 2] = '\0';
        kv_buf_puts(b, num);
        break;
    case KVET_STRING:
        if (!v.u.s->len)
            kv_buf_puts(b, "\"\"");
        else
            kv_buf_put(b, v.u.s->data, v.u.s->len);
        break;
    default: {
        kv_buf j;
        kv_buf_init(&j);
        cli_value_json(&j, v);
        if (j.oom)
            b->oom = true;
        if (j.len > 160) {
            size_t cut = 157;
            while (cut && (j.data[cut] & 0xC0) == 0x80)
                cut--;
            kv_buf_put(b, j.data, cut);
            kv_buf_puts(b, "...");
        } else if (j.data) {
            kv_buf_put(b, j.data, j.len);
        }
        kv_buf_free(&j);
    }
    }
}

static void known_value(kv_buf *b, const struct known *k, kvet_value v)
{
    if (k && k->none && none(v)) {
        kv_buf_puts(b, k->none);
        return;
    }
    diff_value_text(b, v);
    if (k && k->kind == K_MAX && v.type == KVET_INT && v.u.i == 0)
        kv_buf_puts(b, " (unbounded)");
}

/* What a change of a well-known value may do. */
static unsigned impact_of(const struct known *k, kvet_value before, kvet_value after)
{
    if (!k)
        return 0;
    double x, y;
    bool nums = as_number(before, &x) && as_number(after, &y);
    switch (k->kind) {
    case K_MIN:
    case K_BOUND:
    case K_MAX:
        if (!nums)
            return DIFF_RISK;
        if (k->kind == K_MAX) {
            if (x == 0) x = INFINITY;
            if (y == 0) y = INFINITY;
        }
        return y > x ? DIFF_COST : y < x ? DIFF_RISK : 0;
    case K_INITIAL: /* fewer: a new revision takes traffic with fewer pods ready */
        if (!nums)
            return DIFF_RISK;
        return y > x ? DIFF_COST : y < x ? DIFF_RISK : 0;
    case K_STZ: return after.type == KVET_BOOL && after.u.b ? DIFF_RISK : DIFF_COST;
    case K_TARGET:
        if (!nums)
            return DIFF_RISK;
        return y > x ? DIFF_RISK : y < x ? DIFF_COST : 0;
    case K_SHAPE: return DIFF_RISK;
    default: return 0;
    }
}

/* A component or a resource-level map (its `scale`) in a few words:
 * "min 1, max 5, initial 3". prefix is the path of the value below a
 * component ("" for a component, "scale." for a resource's scale). */
static void group_summary(kv_buf *b, kvet_value v, const char *prefix)
{
    size_t pn = strlen(prefix), parts = 0;
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++) {
        const struct known *k = &known[i];
        if (!k->summary || strncmp(k->path, prefix, pn) != 0)
            continue;
        kvet_value x = get_path(v, k->path + pn);
        if (none(x) || (k->kind == K_STZ && !(x.type == KVET_BOOL && x.u.b)))
            continue;
        kv_buf_puts(b, parts++ ? ", " : "");
        if (k->kind == K_STZ) {
            kv_buf_puts(b, "scales to zero");
            continue;
        }
        kv_buf_printf(b, "%s ", k->label);
        known_value(b, k, x);
    }
    if (!parts)
        kv_buf_puts(b, "no scaling values");
}

/* An added or removed resource's derived values in words. */
static char *resource_summary(kvet_value eff)
{
    if (eff.type != KVET_MAP || !eff.u.m->n)
        return NULL;
    kv_buf b;
    kv_buf_init(&b);
    size_t parts = 0;
    kvet_value mode = get(eff, "deploymentMode");
    if (mode.type == KVET_STRING) {
        kv_buf_printf(&b, "%s mode", mode.u.s->data);
        parts++;
    }
    kvet_value comps = get(eff, "components");
    for (uint32_t i = 0; comps.type == KVET_MAP && i < comps.u.m->n; i++) {
        kv_buf_puts(&b, parts++ ? "; " : "");
        kv_buf_printf(&b, "%s: ", comps.u.m->e[i].key->data);
        group_summary(&b, comps.u.m->e[i].val, "");
    }
    kvet_value scale = get(eff, "scale");
    if (scale.type == KVET_MAP) {
        kv_buf_puts(&b, parts++ ? "; " : "");
        group_summary(&b, scale, "scale.");
    }
    /* values the stock pack does not define: the first few, as they are */
    for (uint32_t i = 0; comps.type != KVET_MAP && mode.type != KVET_STRING && scale.type != KVET_MAP && i < eff.u.m->n; i++) {
        if (parts == 6) {
            kv_buf_puts(&b, ", ...");
            break;
        }
        kv_buf_printf(&b, "%s%s ", parts++ ? ", " : "", eff.u.m->e[i].key->data);
        diff_value_text(&b, eff.u.m->e[i].val);
    }
    if (!parts) {
        kv_buf_free(&b);
        return NULL;
    }
    return buf_take(&b);
}

/* ---- walking the derived values */

enum { MAX_DEPTH = 64 };

typedef struct walker {
    diff_resource *dr;
    diff_seg segs[MAX_DEPTH];
    size_t depth;
} walker;

/* Where a component's or the resource's own values start: after
 * components.NAME, else at the root. */
static size_t group_start(const diff_seg *segs, size_t n)
{
    if (n >= 2 && segs[0].index < 0 && segs[0].keylen == 10 && !memcmp(segs[0].key, "components", 10) &&
        segs[1].index < 0)
        return 2;
    return 0;
}

static bool rel_is_reason(const diff_seg *rel, size_t n)
{
    return n == 2 && rel[0].index < 0 && rel[1].index < 0 && rel[0].keylen == 11 &&
           !memcmp(rel[0].key, "recommended", 11) && rel[1].keylen == 6 && !memcmp(rel[1].key, "reason", 6);
}

static void add_change(walker *w, kvet_value before, kvet_value after)
{
    diff_resource *dr = w->dr;
    dr->changes = xrealloc(dr->changes, (dr->nchanges + 1) * sizeof *dr->changes);
    diff_change *c = &dr->changes[dr->nchanges++];
    memset(c, 0, sizeof *c);
    c->before = before;
    c->after = after;
    c->npath = w->depth;
    c->path = xcalloc(w->depth, sizeof *c->path);
    memcpy(c->path, w->segs, w->depth * sizeof *c->path);
    kv_buf b;
    kv_buf_init(&b);
    path_text(&b, c->path, c->npath, false);
    c->key = buf_take(&b);
    size_t start = group_start(c->path, c->npath);
    if (start) {
        char *comp = xcalloc(c->path[1].keylen + 1, 1);
        memcpy(comp, c->path[1].key, c->path[1].keylen);
        c->component = comp;
    }
    const diff_seg *rel = c->path + start;
    size_t nrel = c->npath - start, used = 0;
    kv_buf_init(&b);
    if (nrel == 0) {
        /* a whole component appeared or went */
        if (none(before)) {
            kv_buf_puts(&b, "added (");
            group_summary(&b, after, "");
        } else {
            kv_buf_puts(&b, "removed (was ");
            group_summary(&b, before, "");
        }
        kv_buf_puts(&b, ")");
        c->impact = DIFF_RISK;
        c->text = buf_take(&b);
        return;
    }
    if (nrel == 1 && !start && rel[0].index < 0 && rel[0].keylen == 5 && !memcmp(rel[0].key, "scale", 5) &&
        (none(before) || none(after))) {
        /* a resource's whole scale map appeared or went */
        kv_buf_puts(&b, none(before) ? "now scaled: " : "no longer scaled (was ");
        group_summary(&b, none(before) ? after : before, "scale.");
        if (!none(before))
            kv_buf_puts(&b, ")");
        c->impact = DIFF_RISK;
        c->text = buf_take(&b);
        return;
    }
    const struct known *k = known_find(rel, nrel, &used);
    c->detail = k && k->kind == K_DETAIL;
    c->impact = impact_of(k, before, after);
    if (rel_is_reason(rel, nrel)) {
        kv_buf_puts(&b, "recommended because: ");
        diff_value_text(&b, after);
    } else if (k && k->kind == K_STZ) {
        kv_buf_puts(&b, after.type == KVET_BOOL && after.u.b ? "now scales to zero" : "no longer scales to zero");
    } else if (k) {
        kv_buf_puts(&b, k->label);
        if (used < nrel) {
            /* "Knative Service annotation autoscaling.knative.dev/min-scale",
             * "HPA metrics[0].resource.target.averageUtilization" */
            const diff_seg *more = rel + used;
            size_t nm = nrel - used;
            if (more[0].index < 0) {
                kv_buf_puts(&b, " ");
                kv_buf_put(&b, more[0].key, more[0].keylen);
                path_text(&b, more + 1, nm - 1, true);
            } else {
                path_text(&b, more, nm, true);
            }
        }
        kv_buf_puts(&b, used < nrel || k->kind == K_DETAIL ? ": " : " ");
        known_value(&b, k, before);
        kv_buf_puts(&b, " -> ");
        known_value(&b, k, after);
    } else {
        path_text(&b, rel, nrel, false);
        kv_buf_puts(&b, ": ");
        diff_value_text(&b, before);
        kv_buf_puts(&b, " -> ");
        diff_value_text(&b, after);
    }
    c->text = buf_take(&b);
}

static bool at_group(const walker *w)
{
    /* components.NAME, or a top-level value other than components */
    if (w->depth == 2)
        return group_start(w->segs, 2) == 2;
    return w->depth == 1 && !(w->segs[0].keylen == 10 && !memcmp(w->segs[0].key, "components", 10));
}

static void walk(walker *w, kvet_value a, kvet_value b)
{
    if (values_equal(a, b, 0))
        return;
    bool am = a.type == KVET_MAP, bm = b.type == KVET_MAP;
    bool descend = (am && bm) || (!at_group(w) && ((am && none(b)) || (bm && none(a))));
    if (descend && w->depth < MAX_DEPTH) {
        static const kvet_map empty = {0};
        const kvet_map *ma = am ? a.u.m : &empty, *mb = bm ? b.u.m : &empty;
        kvet_value av = am ? a : (kvet_value){.type = KVET_ABSENT};
        for (uint32_t i = 0; i < mb->n; i++) {
            w->segs[w->depth++] = (diff_seg){mb->e[i].key->data, mb->e[i].key->len, -1};
            walk(w, kvet_map_get(av, mb->e[i].key->data, mb->e[i].key->len), mb->e[i].val);
            w->depth--;
        }
        for (uint32_t i = 0; i < ma->n; i++) {
            kvet_value o = bm ? kvet_map_get(b, ma->e[i].key->data, ma->e[i].key->len) : (kvet_value){.type = KVET_ABSENT};
            if (o.type != KVET_ABSENT)
                continue;
            w->segs[w->depth++] = (diff_seg){ma->e[i].key->data, ma->e[i].key->len, -1};
            walk(w, ma->e[i].val, (kvet_value){.type = KVET_ABSENT});
            w->depth--;
        }
        return;
    }
    if (a.type == KVET_LIST && b.type == KVET_LIST && w->depth < MAX_DEPTH) {
        uint32_t n = a.u.l->n > b.u.l->n ? a.u.l->n : b.u.l->n;
        for (uint32_t i = 0; i < n; i++) {
            w->segs[w->depth++] = (diff_seg){NULL, 0, (long)i};
            walk(w, i < a.u.l->n ? a.u.l->items[i] : (kvet_value){.type = KVET_ABSENT},
                 i < b.u.l->n ? b.u.l->items[i] : (kvet_value){.type = KVET_ABSENT});
            w->depth--;
        }
        return;
    }
    add_change(w, a, b);
}

/* ---- explanations, from the head side */

/* A setting of the Knative autoscaler configuration the resource was
 * checked with (config-autoscaler, else KnativeServing's section). */
static kvet_value cluster_setting(const kvet_result *res, const kvet_resource *r, const char *key)
{
    kvet_value none_v = {.type = KVET_ABSENT};
    if (!res || r->context >= res->ncontexts)
        return none_v;
    const kvet_context *c = &res->contexts[r->context];
    for (int pass = 0; pass < 2; pass++)
        for (size_t i = 0; i < c->nconfig; i++) {
            if (strcmp(c->config[i].what, pass ? "KnativeServing" : "config-autoscaler") != 0)
                continue;
            kvet_value v = get(c->config[i].settings, key);
            if (!none(v))
                return v;
        }
    return none_v;
}

static bool int_of(kvet_value v, long long *out)
{
    double d;
    if (!as_number(v, &d) || d != floor(d) || fabs(d) > 1e15)
        return false;
    *out = (long long)d;
    return true;
}

/* Where a revision's initial scale of n pods comes from, as " (...)": the
 * annotation on the Knative Service KServe creates, or the cluster's
 * setting; nothing when neither says n. */
static void initial_source(kv_buf *b, const kvet_result *res, const kvet_resource *r, kvet_value comp, long long n)
{
    long long x;
    kvet_value ann = get_path(comp, "knativeService.annotations");
    kvet_value on_ksvc = get(ann, "autoscaling.knative.dev/initial-scale");
    if (int_of(on_ksvc, &x) && x == n)
        kv_buf_printf(b, " (initial-scale %lld on the Knative Service)", n);
    else if (int_of(cluster_setting(res, r, "initial-scale"), &x) && x == n)
        kv_buf_printf(b, " (cluster initial-scale %lld)", n);
}

static const char *pods(long long n) { return n == 1 ? "pod" : "pods"; }

/* Rewrite the words of a component's scale changes with what they mean:
 * scale to zero that still starts pods, a maximum that is the cluster's,
 * revisions that now start at their minimum. */
static void explain(diff_resource *dr, const kvet_result *hres)
{
    const kvet_resource *h = dr->head, *b = dr->base;
    for (size_t i = 0; i < dr->nchanges; i++) {
        diff_change *c = &dr->changes[i];
        size_t start = group_start(c->path, c->npath), used;
        const struct known *k = known_find(c->path + start, c->npath - start, &used);
        if (!k || used != c->npath - start || strncmp(k->path, "scale.", 6) != 0)
            continue;
        /* the component's (or resource's) values on each side */
        kvet_value hc = h->effective, bc = b->effective;
        if (start) {
            char name[256];
            size_t n = c->path[1].keylen < sizeof name - 1 ? c->path[1].keylen : sizeof name - 1;
            memcpy(name, c->path[1].key, n);
            name[n] = '\0';
            hc = get(get(hc, "components"), name);
            bc = get(get(bc, "components"), name);
        }
        long long hmin, hinit, hmax, bmin, binit, cmax;
        bool have_hmin = int_of(get_path(hc, "scale.min"), &hmin), have_hinit = int_of(get_path(hc, "scale.initial"), &hinit);
        kv_buf t;
        kv_buf_init(&t);
        if (k->kind == K_STZ && c->after.type == KVET_BOOL && c->after.u.b) {
            kv_buf_puts(&t, c->text);
            if (have_hinit && hinit > 0) {
                kv_buf_printf(&t, ", but each new revision still starts %lld %s", hinit, pods(hinit));
                initial_source(&t, hres, h, hc, hinit);
            }
        } else if (k->kind == K_STZ) {
            kv_buf_puts(&t, c->text);
            if (have_hmin && hmin > 0)
                kv_buf_printf(&t, ": at least %lld %s always %s", hmin, pods(hmin), hmin == 1 ? "runs" : "run");
        } else if (k->kind == K_MAX && int_of(c->after, &hmax)) {
            kv_buf_puts(&t, c->text);
            kvet_value ann = get(get_path(hc, "knativeService.annotations"), "autoscaling.knative.dev/max-scale");
            long long am;
            if (hmax > 0 && int_of(cluster_setting(hres, h, "max-scale"), &cmax) && cmax == hmax &&
                !(int_of(ann, &am) && am == hmax))
                kv_buf_printf(&t, ": the cluster's max-scale %lld applies", cmax);
            else if (hmax == 0 && int_of(ann, &am) && am == 0)
                kv_buf_puts(&t, ": max-scale 0 on the Knative Service lifts the cluster's limit");
        } else if (k->kind == K_INITIAL && have_hinit && have_hmin) {
            kv_buf_puts(&t, c->text);
            bool was_min = int_of(get_path(bc, "scale.min"), &bmin) && int_of(get_path(bc, "scale.initial"), &binit) &&
                           bmin == binit;
            if (hinit == hmin && !was_min)
                kv_buf_puts(&t, ": each new revision now starts at its minimum");
            initial_source(&t, hres, h, hc, hinit);
        } else {
            kv_buf_free(&t);
            continue;
        }
        free(c->text);
        c->text = buf_take(&t);
    }
}

/* A recommendation's reason joins the change of the recommended value:
 * "recommended initial-scale: 1 -> 3, because ...". */
static bool rel_is(const diff_change *c, const char *a, const char *b)
{
    size_t start = group_start(c->path, c->npath);
    if (c->npath - start != 2)
        return false;
    const diff_seg *x = c->path + start;
    return x[0].index < 0 && x[1].index < 0 && x[0].keylen == strlen(a) && !memcmp(x[0].key, a, x[0].keylen) &&
           x[1].keylen == strlen(b) && !memcmp(x[1].key, b, x[1].keylen);
}

static void merge_reasons(diff_resource *dr)
{
    for (size_t i = 0; i < dr->nchanges; i++) {
        diff_change *why = &dr->changes[i];
        if (!rel_is(why, "recommended", "reason") || why->after.type != KVET_STRING)
            continue;
        for (size_t k = 0; k < dr->nchanges; k++) {
            diff_change *c = &dr->changes[k];
            if (!rel_is(c, "recommended", "initialScale") ||
                !((!c->component && !why->component) || (c->component && why->component && !strcmp(c->component, why->component))))
                continue;
            kv_buf t;
            kv_buf_init(&t);
            kv_buf_printf(&t, "%s, because %s", c->text, why->after.u.s->data);
            free(c->text);
            c->text = buf_take(&t);
            why->merged = true;
        }
    }
}

/* ---- ranking */

static int severity_rank(const diff_resource *r)
{
    int rank = 99;
    for (size_t i = 0; i < r->nnew; i++) {
        const kvet_finding *f = r->fnew[i].f;
        if (!finding_open(f))
            continue;
        if (f->severity == KVET_SEV_ERROR && rank > 0) rank = 0;
        else if (f->severity == KVET_SEV_WARNING && rank > 1) rank = 1;
        else if (rank > 3) rank = 3;
    }
    for (size_t i = 0; i < r->nchanged; i++) {
        const kvet_finding *f = r->fchanged[i].f, *w = r->fchanged[i].was;
        int k = 3;
        if (finding_open(f) && f->severity <= KVET_SEV_ERROR && w->severity <= KVET_SEV_ERROR && f->severity > w->severity)
            k = f->severity == KVET_SEV_ERROR ? 0 : 1; /* raised to a warning or an error */
        if (k < rank)
            rank = k;
    }
    return rank;
}

/* 0 failed or new errors, 1 new warnings, 2 changes of cost or risk,
 * 3 other changes, 4 added, 5 removed, 6 only resolved findings. */
static void rank(diff_resource *r)
{
    for (size_t i = 0; i < r->nchanges; i++)
        r->impact |= r->changes[i].impact;
    int k = r->status == DIFF_FAILED ? 0
          : r->status == DIFF_ADDED ? 4
          : r->status == DIFF_REMOVED ? 5
          : r->impact ? 2
          : r->nchanges ? 3
          : 6;
    /* new errors and warnings come first; an info or a changed finding
     * counts only where nothing else changed */
    int s = severity_rank(r);
    r->rank = s < k && (s < 3 || r->status == DIFF_CHANGED) ? s : k;
}

/* ---- cluster configuration */

static void add_setting(diff_result *d, const char *env, const kvet_config_doc *bd, const kvet_config_doc *hd,
                        const char *key, kvet_value before, kvet_value after)
{
    const kvet_config_doc *at = hd ? hd : bd;
    for (size_t i = 0; i < d->nsettings; i++) {
        const diff_setting *s = &d->settings[i];
        if (!strcmp(s->what, at->what) && !strcmp(s->key, key) && values_equal(s->before, before, 0) &&
            values_equal(s->after, after, 0) && !strcmp(s->file, at->file) && s->line == at->line &&
            ((!s->env && !env) || (s->env && env && !strcmp(s->env, env))))
            return;
    }
    if (d->nsettings == d->capsettings) {
        d->capsettings = d->capsettings ? d->capsettings * 2 : 8;
        d->settings = xrealloc(d->settings, d->capsettings * sizeof *d->settings);
    }
    d->settings[d->nsettings++] = (diff_setting){env, at->what, key, before, after, at->file, at->line};
}

static const kvet_config_doc *config_of(const kvet_context *c, const char *what)
{
    for (size_t i = 0; c && i < c->nconfig; i++)
        if (!strcmp(c->config[i].what, what))
            return &c->config[i];
    return NULL;
}

/* A scope's folder relative to the side's folder ("" for the folder
 * itself), so that the scopes of two folders can be paired. */
static const char *scope_rel(const diff_side *s, const char *scope)
{
    if (!scope)
        return "";
    size_t n = s->norm ? strlen(s->norm) : 0;
    if (n && s->norm[n - 1] == '/')
        n--;
    if (n && !strncmp(scope, s->norm, n) && (scope[n] == '\0' || scope[n] == '/'))
        return scope + n + (scope[n] == '/');
    return scope;
}

static bool same_scope(const diff_result *d, const kvet_context *b, const kvet_context *h)
{
    if (d->by_env)
        return b->env && h->env && !strcmp(b->env, h->env);
    return !strcmp(scope_rel(&d->base, b->scope), scope_rel(&d->head, h->scope));
}

/* The settings of the configuration documents that differ, per environment
 * (or scope): what a cluster change or an upgrade of its configuration
 * does, before looking at the workloads. */
static void compare_settings(diff_result *d)
{
    static const char *const kinds[] = {"config-autoscaler", "KnativeServing", "inferenceservice-config",
                                        "config-autoscaler-keda"};
    const kvet_result *B = d->base.res, *H = d->head.res;
    size_t nb = B ? B->ncontexts : 0, nh = H ? H->ncontexts : 0;
    bool *matched = xcalloc(nb, sizeof *matched);
    for (size_t pass = 0; pass < 2; pass++) {
        size_t n = pass ? nb : nh;
        for (size_t i = 0; i < n; i++) {
            const kvet_context *hc = pass ? NULL : &H->contexts[i], *bc = pass ? &B->contexts[i] : NULL;
            if (pass && matched[i])
                continue;
            for (size_t j = 0; !pass && j < nb && !bc; j++)
                if (same_scope(d, &B->contexts[j], hc)) {
                    bc = &B->contexts[j];
                    matched[j] = true;
                }
            const char *env = hc ? hc->env : bc->env;
            for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++) {
                const kvet_config_doc *bd = config_of(bc, kinds[k]), *hd = config_of(hc, kinds[k]);
                if (!bd && !hd)
                    continue;
                kvet_value bs = bd ? bd->settings : (kvet_value){.type = KVET_ABSENT};
                kvet_value hs = hd ? hd->settings : (kvet_value){.type = KVET_ABSENT};
                for (uint32_t e = 0; hs.type == KVET_MAP && e < hs.u.m->n; e++) {
                    const kvet_map_entry *me = &hs.u.m->e[e];
                    if (key_is(me, "_example"))
                        continue;
                    kvet_value o = kvet_map_get(bs, me->key->data, me->key->len);
                    if (!values_equal(o, me->val, 0))
                        add_setting(d, env, bd, hd, me->key->data, o, me->val);
                }
                for (uint32_t e = 0; bs.type == KVET_MAP && e < bs.u.m->n; e++) {
                    const kvet_map_entry *me = &bs.u.m->e[e];
                    if (key_is(me, "_example") || none(me->val))
                        continue;
                    if (none(kvet_map_get(hs, me->key->data, me->key->len)))
                        add_setting(d, env, bd, hd, me->key->data, me->val, (kvet_value){.type = KVET_ABSENT});
                }
            }
        }
    }
    free(matched);
}

/* ---- pairing resources */

static void add_errors(diff_result *d, const char *side, const kvet_result *res)
{
    for (size_t i = 0; res && i < res->nerrors; i++) {
        if (d->nerrors == d->caperrors) {
            d->caperrors = d->caperrors ? d->caperrors * 2 : 8;
            d->errors = xrealloc(d->errors, d->caperrors * sizeof *d->errors);
        }
        d->errors[d->nerrors++] = (diff_error){side, &res->errors[i]};
    }
}

static void compare(diff_result *d)
{
    const kvet_result *B = d->base.res, *H = d->head.res;
    size_t nb = B ? B->nresources : 0, nh = H ? H->nresources : 0;
    d->by_env = d->base.project && d->head.project;
    bool reuse = !d->by_env && (d->base.project || d->head.project);
    /* base resources by identity: a hash table of chains in input order */
    size_t nbuckets = 1;
    while (nbuckets < nb * 2)
        nbuckets *= 2;
    long *bucket = xcalloc(nbuckets, sizeof *bucket), *next = xcalloc(nb, sizeof *next);
    char **bkeys = xcalloc(nb, sizeof *bkeys);
    bool *used = xcalloc(nb, sizeof *used);
    for (size_t i = 0; i < nbuckets; i++)
        bucket[i] = -1;
    for (size_t i = nb; i-- > 0;) {
        bkeys[i] = identity_key(&B->resources[i], d->by_env);
        size_t h = fnv(bkeys[i]) & (nbuckets - 1);
        next[i] = bucket[h];
        bucket[h] = (long)i;
    }
    for (size_t k = 0; k < nh; k++) {
        const kvet_resource *hr = &H->resources[k];
        char *key = identity_key(hr, d->by_env);
        long match = -1, last = -1;
        for (long j = nb ? bucket[fnv(key) & (nbuckets - 1)] : -1; j >= 0; j = next[j]) {
            if (strcmp(bkeys[j], key) != 0)
                continue;
            last = j;
            if (!used[j]) {
                match = j;
                break;
            }
        }
        free(key);
        if (match < 0 && reuse)
            match = last;
        if (match < 0) {
            diff_resource *dr = add_resource(d);
            dr->head = hr;
            dr->status = hr->not_evaluated ? DIFF_FAILED : DIFF_ADDED;
            if (dr->status == DIFF_ADDED) {
                dr->summary = resource_summary(hr->effective);
                compare_findings(d, dr);
                d->added++;
            } else {
                d->failed++;
            }
            rank(dr);
            continue;
        }
        used[match] = true;
        const kvet_resource *br = &B->resources[match];
        d->compared++;
        diff_resource *dr = add_resource(d);
        dr->base = br;
        dr->head = hr;
        if (br->not_evaluated || hr->not_evaluated) {
            dr->status = DIFF_FAILED;
            d->failed++;
            rank(dr);
            continue;
        }
        walker w = {.dr = dr};
        walk(&w, br->effective, hr->effective);
        explain(dr, H);
        merge_reasons(dr);
        compare_findings(d, dr);
        if (!dr->nchanges && !dr->nnew && !dr->nresolved && !dr->nchanged) {
            free(dr->changes);
            d->n--;
            d->unchanged++;
            continue;
        }
        dr->status = DIFF_CHANGED;
        d->changed++;
        rank(dr);
    }
    for (size_t j = 0; j < nb; j++) {
        if (used[j])
            continue;
        const kvet_resource *br = &B->resources[j];
        diff_resource *dr = add_resource(d);
        dr->base = br;
        dr->status = br->not_evaluated ? DIFF_FAILED : DIFF_REMOVED;
        if (dr->status == DIFF_REMOVED) {
            dr->summary = resource_summary(br->effective);
            compare_findings(d, dr);
            d->removed++;
        } else {
            d->failed++;
        }
        rank(dr);
    }
    for (size_t j = 0; j < nb; j++)
        free(bkeys[j]);
    free(bkeys);
    free(bucket);
    free(next);
    free(used);
    compare_settings(d);
    add_errors(d, "base", B);
    add_errors(d, "head", H);
}

static void free_result(diff_result *d)
{
    for (size_t i = 0; i < d->n; i++) {
        diff_resource *r = &d->v[i];
        for (size_t k = 0; k < r->nchanges; k++) {
            free(r->changes[k].key);
            free(r->changes[k].path);
            free(r->changes[k].component);
            free(r->changes[k].text);
        }
        free(r->changes);
        free(r->summary);
        free(r->fnew);
        free(r->fresolved);
        free(r->fchanged);
    }
    free(d->v);
    free(d->settings);
    free(d->errors);
    diff_side *sides[2] = {&d->base, &d->head};
    for (int i = 0; i < 2; i++) {
        diff_side *s = sides[i];
        kvet_result_free(s->res);
        kvet_project_free(s->project);
        kvet_pack_free(s->pack);
        kvet_ctx_free(s->ctx);
        for (size_t k = 0; k < s->npaths; k++)
            free(s->paths[k]);
        free(s->paths);
        free(s->label);
        free(s->revision);
        free(s->commit);
        free(s->tree);
        free(s->norm);
        free(s->cluster);
        free(s->sets);
    }
}

/* ------------------------------------------------------------ the command */

static void usage(const char *msg)
{
    fprintf(stderr, "%s: %s\nTry 'kvet help' for usage.\n", prog, msg);
}

static const char **join_lists(const char *const *a, size_t na, const char *const *b, size_t nb, size_t *n)
{
    const char **v = xcalloc(na + nb + 1, sizeof *v);
    for (size_t i = 0; i < na; i++)
        v[i] = a[i];
    for (size_t i = 0; i < nb; i++)
        v[na + i] = b[i];
    *n = na + nb;
    return v;
}

static char *short_label(const char *rev, const char *commit)
{
    size_t n = strlen(rev) + 16;
    char *s = xcalloc(n, 1);
    snprintf(s, n, "%s (%.7s)", rev, commit);
    return s;
}

/* The prefix dropped from a side's messages before they are compared: its
 * folder, when it is one input. */
static char *norm_prefix(const diff_side *s)
{
    if (s->npaths != 1 || !strcmp(s->paths[0], "-") || !strcmp(s->paths[0], "."))
        return NULL;
    size_t n = strlen(s->paths[0]);
    char *p = xcalloc(n + 2, 1);
    memcpy(p, s->paths[0], n);
    if (n && p[n - 1] != '/') {
        struct stat st;
        if (stat(s->paths[0], &st) == 0 && S_ISDIR(st.st_mode))
            p[n] = '/';
    }
    return p;
}

/* Set up both sides from the arguments.  0, or an exit status. */
static int setup_sides(run *R)
{
    const diff_opts *o = R->o;
    diff_result *d = R->d;
    diff_side *b = &d->base, *h = &d->head;
    b->name = "base";
    h->name = "head";
    b->sets = join_lists(o->sets, o->nsets, NULL, 0, &b->nsets);
    h->sets = join_lists(o->sets, o->nsets, o->to_sets, o->nto_sets, &h->nsets);
    b->cluster = join_lists(o->cluster, o->ncluster, NULL, 0, &b->ncluster);
    if (o->nto_cluster)
        h->cluster = join_lists(o->to_cluster, o->nto_cluster, NULL, 0, &h->ncluster);
    else
        h->cluster = join_lists(o->cluster, o->ncluster, NULL, 0, &h->ncluster);

    if (o->nto_sets || o->nto_cluster) {
        d->mode = DIFF_SETTINGS;
        for (size_t i = 0; i < o->nargs; i++)
            if (!is_path(o->args[i])) {
                fprintf(stderr, "%s: %s: no such file or folder (with --to-set or --to-cluster, the arguments are "
                                "the PATHs of one tree)\n", prog, o->args[i]);
                return KVET_EXIT_ERROR;
            }
        size_t stdin_uses = 0;
        for (size_t i = 0; i < o->nargs; i++)
            stdin_uses += !strcmp(o->args[i], "-");
        if (stdin_uses) {
            usage("diff reads each input twice: standard input (-) cannot be one of them with --to-set or --to-cluster");
            return KVET_EXIT_ERROR;
        }
        if (!o->nargs) {
            char *found = o->no_config ? NULL : o->config ? xstrdup(o->config) : kvet_project_find(".");
            if (!found) {
                usage("diff --to-set/--to-cluster needs at least one PATH, or a project file (kvet.yaml)");
                return KVET_EXIT_ERROR;
            }
            /* the whole project, as check takes it */
            char *slash = strrchr(found, '/');
            if (slash)
                *slash = '\0';
            const char *root = slash ? (found[0] ? found : "/") : ".";
            push_str(&b->paths, &b->npaths, xstrdup(root));
            push_str(&h->paths, &h->npaths, xstrdup(root));
            free(found);
        }
        for (size_t i = 0; i < o->nargs; i++) {
            push_str(&b->paths, &b->npaths, xstrdup(o->args[i]));
            push_str(&h->paths, &h->npaths, xstrdup(o->args[i]));
        }
        d->on = (const char *const *)h->paths;
        d->non = h->npaths;
        b->label = settings_label(b->sets, b->nsets, b->cluster, b->ncluster);
        h->label = settings_label(h->sets, h->nsets, h->cluster, h->ncluster);
        return 0;
    }

    if (o->nargs < 2) {
        usage("diff needs BASE and HEAD (two folders, files or git revisions), or PATH with --to-set NAME=VALUE or "
              "--to-cluster FILE");
        return KVET_EXIT_ERROR;
    }
    const char *A = o->args[0], *Bh = o->args[1];
    bool ap = is_path(A), bp = is_path(Bh);
    if (ap && bp) {
        if (o->nargs > 2) {
            usage("BASE and HEAD are paths: PATH arguments after them are only for two git revisions");
            return KVET_EXIT_ERROR;
        }
        if (!strcmp(A, "-") && !strcmp(Bh, "-")) {
            usage("standard input (-) can be only one side of a diff");
            return KVET_EXIT_ERROR;
        }
        d->mode = DIFF_PATHS;
        push_str(&b->paths, &b->npaths, xstrdup(A));
        push_str(&h->paths, &h->npaths, xstrdup(Bh));
        b->label = xstrdup(A);
        h->label = xstrdup(Bh);
        b->norm = norm_prefix(b);
        h->norm = norm_prefix(h);
        return 0;
    }
    d->mode = DIFF_REVISIONS;
    if (!ap && resolve_revision("BASE", A, &b->commit) < 0)
        return KVET_EXIT_ERROR;
    if (!bp && resolve_revision("HEAD", Bh, &h->commit) < 0)
        return KVET_EXIT_ERROR;
    if ((ap || bp) && o->nargs > 2) {
        usage("PATH arguments limit two git revisions; with one revision and one path, the path says what is compared");
        return KVET_EXIT_ERROR;
    }
    if (!strcmp(ap ? A : Bh, "-") && (ap || bp)) {
        usage("a revision is compared with files or folders, not with standard input");
        return KVET_EXIT_ERROR;
    }
    /* what each side reads: PATHs (or the current folder) below the
     * repository's top for a revision; the path itself for a path */
    const char *const *limit = o->args + 2;
    size_t nlimit = o->nargs - 2;
    const char *cur = ".";
    if (ap || bp) {
        limit = ap ? &A : &Bh;
        nlimit = 1;
    } else if (!nlimit) {
        limit = &cur;
        nlimit = 1;
    }
    diff_side *sides[2] = {b, h};
    const char *given[2] = {A, Bh};
    bool is_rev[2] = {!ap, !bp};
    for (int i = 0; i < 2; i++) {
        diff_side *s = sides[i];
        if (!is_rev[i]) {
            push_str(&s->paths, &s->npaths, xstrdup(given[i]));
            s->label = xstrdup(given[i]);
            continue;
        }
        s->revision = xstrdup(given[i]);
        s->label = short_label(given[i], s->commit);
        for (size_t k = 0; k < nlimit; k++) {
            char *p = repo_path(R, limit[k]);
            if (!p) {
                fprintf(stderr, "%s: %s is outside the repository\n", prog, limit[k]);
                return KVET_EXIT_ERROR;
            }
            push_str(&s->paths, &s->npaths, p);
        }
    }
    if (!ap && !bp) {
        d->on = o->args + 2;
        d->non = o->nargs - 2;
    }
    if (tmp_create() < 0)
        return KVET_EXIT_ERROR;
    for (int i = 0; i < 2; i++)
        if (is_rev[i] && read_revision(sides[i]) < 0)
            return KVET_EXIT_ERROR;
    return 0;
}

/* Absolute copies of the files a revision's check reads from the working
 * folder, kept alive for the run. */
typedef struct owned {
    char **v;
    size_t n;
} owned;

static int write_reports(run *R, diff_result *d)
{
    const diff_opts *o = R->o;
    static const char *const names[] = {"text", "json", "markdown", "github"};
    int (*const fns[])(kv_buf *, const diff_result *, const diff_report_opts *) = {
        diff_report_text, diff_report_json, diff_report_markdown, diff_report_github};
    const char *def_name = "text", *def_file = NULL;
    size_t n = o->nformats ? o->nformats : 1;
    int rc = 0;
    for (size_t i = 0; i < n; i++) {
        const char *name = o->nformats ? o->format_names[i] : def_name;
        const char *file = o->nformats ? o->format_files[i] : def_file;
        const char *dest = file ? file : o->output;
        if (dest && !strcmp(dest, "-"))
            dest = NULL;
        size_t f = 0;
        while (f < 4 && strcmp(names[f], name) != 0)
            f++;
        bool color = false;
        if (o->color >= 0) {
            color = o->color == 1;
        } else if (!dest) {
            const char *nc = getenv("NO_COLOR");
            color = !(nc && *nc) && isatty(fileno(stdout));
        }
        diff_report_opts ro = {color && f == 0, o->quiet};
        kv_buf out;
        kv_buf_init(&out);
        fns[f](&out, d, &ro);
        if (cli_write_report(dest, &out) < 0)
            rc = -1;
        kv_buf_free(&out);
    }
    return rc;
}

int cli_run_diff(const diff_opts *o)
{
    for (size_t i = 0; i < o->nformats; i++) {
        const char *n = o->format_names[i];
        if (strcmp(n, "text") != 0 && strcmp(n, "json") != 0 && strcmp(n, "markdown") != 0 && strcmp(n, "github") != 0) {
            fprintf(stderr, "%s: diff writes text, json, markdown or github, not %s\nTry 'kvet help' for usage.\n",
                    prog, n);
            return KVET_EXIT_ERROR;
        }
    }
    if (o->config && o->no_config) {
        usage("--config and --no-config contradict each other");
        return KVET_EXIT_ERROR;
    }
    diff_result d;
    memset(&d, 0, sizeof d);
    run R = {.o = o, .d = &d};
    R.err_color = o->color >= 0 ? o->color == 1 : isatty(fileno(stderr)) && !(getenv("NO_COLOR") && *getenv("NO_COLOR"));
    struct sigaction ign, old_pipe;
    memset(&ign, 0, sizeof ign);
    ign.sa_handler = SIG_IGN;
    sigaction(SIGPIPE, &ign, &old_pipe); /* a git that exits early must not end kvet */
    owned abs = {0};
    int rc = setup_sides(&R);
    if (rc == 0) {
        /* a revision is checked from inside its folder: the files it reads
         * from the working folder are named absolutely */
        diff_side *sides[2] = {&d.base, &d.head};
        for (int i = 0; i < 2; i++) {
            for (size_t k = 0; sides[i]->tree && k < sides[i]->ncluster; k++) {
                char *a = absolute(sides[i]->cluster[k]);
                push_str(&abs.v, &abs.n, a);
                sides[i]->cluster[k] = a;
            }
        }
    }
    diff_opts local = *o;
    const char **wv = NULL;
    if (rc == 0 && (d.base.tree || d.head.tree)) {
        wv = xcalloc(o->nwaivers + 1, sizeof *wv);
        for (size_t i = 0; i < o->nwaivers; i++) {
            char *a = absolute(o->waivers[i]);
            push_str(&abs.v, &abs.n, a);
            wv[i] = a;
        }
        local.waivers = wv;
        if (o->baseline) {
            char *a = absolute(o->baseline);
            push_str(&abs.v, &abs.n, a);
            local.baseline = a;
        }
        R.o = &local;
    }
    if (rc == 0 && (side_load(&R, &d.base, true) < 0 || side_load(&R, &d.head, false) < 0))
        rc = KVET_EXIT_ERROR;
    if (rc == 0 && (side_check(&R, &d.base) < 0 || side_check(&R, &d.head) < 0))
        rc = KVET_EXIT_ERROR;
    if (rc == 0 && d.base.empty && d.head.empty) {
        fprintf(stderr, "%s: none of the paths exists in either revision\n", prog);
        rc = KVET_EXIT_ERROR;
    }
    if (rc == 0 && o->nenvs) {
        for (size_t i = 0; i < o->nenvs && rc == 0; i++)
            if (!project_has_env(d.base.project, o->envs[i]) && !project_has_env(d.head.project, o->envs[i])) {
                fprintf(stderr, "%s: --env %s: no project file of either side declares an environment of that name\n",
                        prog, o->envs[i]);
                rc = KVET_EXIT_ERROR;
            }
    }
    if (rc == 0) {
        compare(&d);
        if (write_reports(&R, &d) < 0)
            rc = KVET_EXIT_ERROR;
    }
    if (rc == 0) {
        if (d.nerrors || d.failed) {
            rc = KVET_EXIT_ERROR;
        } else if (o->fail_on == DIFF_FAIL_CHANGES) {
            rc = d.changed || d.added || d.removed ? KVET_EXIT_FINDINGS : KVET_EXIT_OK;
        } else if (o->fail_on == DIFF_FAIL_NEW_FINDINGS) {
            kvet_severity level = o->fail_level_given ? o->fail_level : KVET_SEV_INFO;
            for (size_t i = 0; i < d.n && rc == 0; i++) {
                const diff_resource *r = &d.v[i];
                for (size_t k = 0; k < r->nnew; k++)
                    if (finding_open(r->fnew[k].f) && r->fnew[k].f->severity <= KVET_SEV_ERROR &&
                        r->fnew[k].f->severity >= level)
                        rc = KVET_EXIT_FINDINGS;
                for (size_t k = 0; k < r->nchanged; k++) {
                    const kvet_finding *f = r->fchanged[k].f, *w = r->fchanged[k].was;
                    if (finding_open(f) && f->severity <= KVET_SEV_ERROR && f->severity >= level &&
                        (w->severity > KVET_SEV_ERROR || f->severity > w->severity))
                        rc = KVET_EXIT_FINDINGS;
                }
            }
        }
    }
    tmp_remove();
    sigaction(SIGPIPE, &old_pipe, NULL);
    free_result(&d);
    for (size_t i = 0; i < abs.n; i++)
        free(abs.v[i]);
    free(abs.v);
    free(wv);
    free(R.prefix);
    free(R.toplevel);
    return rc;
}
