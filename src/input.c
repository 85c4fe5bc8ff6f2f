/*
 * input.c - finding and reading input files, and choosing their loader.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ctx.h"
#include "fd.h"
#include "doc.h"
#include "pathglob.h"
#include "yaml_load.h"

int kv_load_json(kvet_ctx *ctx, const char *name, uint32_t src, const char *data, size_t len,
                 kv_doc_fn fn, void *ud);
bool kv_json_value_end(const char *data, size_t len, size_t i, size_t *end);

static bool has_suffix(const char *s, const char *suf)
{
    size_t n = strlen(s), m = strlen(suf);
    return n >= m && !strcmp(s + n - m, suf);
}

static size_t skip_json_space(const char *data, size_t len, size_t i)
{
    while (i < len && (data[i] == ' ' || data[i] == '\t' || data[i] == '\r' || data[i] == '\n'))
        i++;
    return i;
}

/* Does a text start as JSON ({ or [ after JSON's white space)? */
static bool starts_as_json(const char *s, size_t n)
{
    size_t i = skip_json_space(s, n, 0);
    return i < n && (s[i] == '{' || s[i] == '[');
}

/* JSON values one after another (`jq -c` output, `kubectl get -o json`
 * of several objects), which YAML cannot read: a first value that parses
 * as JSON and another object or array after it; with `alone`, one JSON
 * value and nothing after it is JSON too.  A file's one JSON value is left
 * to the YAML reader, as it always was; a stream's (stdin) is read as
 * kubectl reads one, as JSON. */
static bool is_json_stream(const char *data, size_t len, bool alone)
{
    if (!starts_as_json(data, len))
        return false;
    size_t i = skip_json_space(data, len, 0), end;
    if (!kv_json_value_end(data, len, i, &end))
        return false;
    size_t j = skip_json_space(data, len, end);
    return j < len ? data[j] == '{' || data[j] == '[' : alone;
}

int kv_load_buffer(kvet_ctx *ctx, const char *name, uint32_t src,
                   const char *data, size_t len, kv_doc_format fmt,
                   kv_doc_fn fn, void *ud)
{
    return kv_load_buffer_ex(ctx, name, src, data, len, fmt, 0, fn, ud);
}

int kv_load_buffer_ex(kvet_ctx *ctx, const char *name, uint32_t src,
                      const char *data, size_t len, kv_doc_format fmt, unsigned flags,
                      kv_doc_fn fn, void *ud)
{
    return kv_load_buffer_in(ctx, name, src, data, len, fmt, flags, NULL, fn, ud);
}

int kv_load_buffer_in(kvet_ctx *ctx, const char *name, uint32_t src,
                      const char *data, size_t len, kv_doc_format fmt, unsigned flags,
                      kv_arena *into, kv_doc_fn fn, void *ud)
{
    /* a UTF-8 byte order mark is not part of the document */
    if (len >= 3 && (unsigned char)data[0] == 0xEF && (unsigned char)data[1] == 0xBB && (unsigned char)data[2] == 0xBF) {
        data += 3;
        len -= 3;
    }
    if (fmt == KV_FMT_AUTO)
        fmt = has_suffix(name, ".json") || is_json_stream(data, len, (flags & KV_LOAD_SOURCES) != 0) ? KV_FMT_JSON
                                                                                                    : KV_FMT_YAML;
    if (fmt == KV_FMT_JSON)
        return kv_load_json(ctx, name, src, data, len, fn, ud);
    return kv_load_yaml(ctx, name, src, data, len, (flags & KV_LOAD_SOURCES) != 0, into, fn, ud);
}

const char *kv_text_line(const kv_text *t, uint32_t line)
{
    for (size_t i = 0; i < t->nkept; i++)
        if (t->kept[i].line == line)
            return t->kept[i].text;
    if (line < t->line || (line == t->line && t->mid_line))
        return NULL;
    uint32_t n = line - t->line + 1;
    kv_line_cursor *c = t->cursor;
    size_t from = 0;
    uint32_t at = 1;
    if (c && c->data == t->data && c->first == t->line && c->line <= n && c->off <= t->len) {
        from = c->off;
        at = c->line;
    }
    const char *p = kv_line_start(t->data + from, t->len - from, n - at + 1);
    if (c && p) {
        c->data = t->data;
        c->first = t->line;
        c->line = n;
        c->off = (size_t)(p - t->data);
    }
    return p;
}

size_t kv_read_more(FILE *f, char **buf, size_t *cap, size_t *end, size_t chunk, bool *oom)
{
    if (*cap - *end < chunk + 1) {
        size_t ncap = *cap ? *cap : chunk + 1;
        while (ncap - *end < chunk + 1)
            ncap *= 2;
        char *b = realloc(*buf, ncap);
        if (!b) {
            *oom = true;
            return 0;
        }
        *buf = b;
        *cap = ncap;
    }
    size_t n = fread(*buf + *end, 1, chunk, f);
    *end += n;
    (*buf)[*end] = '\0';
    return n;
}

bool kv_yaml_windowable_text(const char *text, size_t n)
{
    const unsigned char *head = (const unsigned char *)text;
    if (n > 4096)
        n = 4096;
    if (n >= 3 && head[0] == 0xEF && head[1] == 0xBB && head[2] == 0xBF)
        return false;
    /* a text that starts as JSON may be JSON values one after another
     * (is_json_stream); one of white space only is read whole */
    return skip_json_space(text, n, 0) < n && !starts_as_json(text, n);
}

bool kv_yaml_windowable(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return false;
    char head[4096];
    size_t n = fread(head, 1, sizeof head, f);
    fclose(f);
    return kv_yaml_windowable_text(head, n);
}

/* The largest buffer a read may grow to: the limit plus one byte (to see
 * that a file is over it), never more than size_t holds. */
static size_t read_cap_max(uint64_t limit)
{
    if (limit >= (uint64_t)SIZE_MAX - 1)
        return SIZE_MAX - 1;
    return (size_t)limit + 1;
}

static const char *temp_dir(void)
{
    const char *dir = getenv("TMPDIR");
    return dir && *dir ? dir : "/tmp";
}

/* A new temporary file in $TMPDIR (else /tmp), unlinked at once, or -1. */
static int temp_fd(void)
{
    const char *dir = temp_dir();
    size_t room = strlen(dir) + sizeof "/kvet-stdin-XXXXXX";
    char *path = malloc(room);
    if (!path)
        return -1;
    snprintf(path, room, "%s/kvet-stdin-XXXXXX", dir);
    int fd = mkostemp(path, O_CLOEXEC);
    if (fd >= 0)
        unlink(path);
    free(path);
    /* what the program writes to a closed standard output would go into the copy */
    return kv_fd_above_std(fd);
}

static bool write_all(int fd, const char *p, size_t n, size_t *done)
{
    *done = 0;
    while (*done < n) {
        ssize_t w = write(fd, p + *done, n - *done);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return false;
        *done += (size_t)w;
    }
    return true;
}

/* Standard input, of which the n bytes of *buf (room for *cap and a NUL)
 * were read, copied with the rest to a temporary file (temp_fd), so that a
 * JSON List can be read in two passes through a window, as a file is,
 * instead of held whole.  2: *spool is the copy, at its start, *total
 * bytes long.  -1 after reporting (a read error, past the limit: nothing
 * is checked, as when held whole).  0: the copy could not be written (a
 * full disk): what was read is back in *buf, *n bytes of it, for the
 * caller to read on into memory, as it did before.  With `ended` (YAML),
 * a read error or the limit ends the copy instead, there: *ended gets the
 * error, or -1 past the limit (else 0), for the copy to be read as the
 * stream would have been. */
static int spool_stdin(kvet_ctx *ctx, const char *shown, int fd, char **buf, size_t *n, size_t *cap,
                       uint64_t limit, FILE **spool, size_t *total, int *ended)
{
    uint64_t held = 0;
    size_t r = *n, done = 0;
    /* a file-size limit (ulimit -f) is not written past: that would end
     * the process (SIGXFSZ); the input is held in memory instead */
    struct rlimit fs;
    uint64_t fsize = getrlimit(RLIMIT_FSIZE, &fs) == 0 && fs.rlim_cur != RLIM_INFINITY ? (uint64_t)fs.rlim_cur
                                                                                       : UINT64_MAX;
    while (r > 0) {
        if (held + r > fsize)
            break;
        if (held + r > limit && !ended) {
            close(fd);
            kv_diag(ctx, KVET_SEV_ERROR, shown, 0, 0, 0, NULL,
                    "standard input is larger than the limit of %llu bytes: none of it is checked",
                    (unsigned long long)limit);
            return -1;
        }
        if (!write_all(fd, *buf, r, &done))
            break;
        held += r;
        done = 0;
        /* YAML read as it comes checks the documents before the limit:
         * the copy holds the bytes past it that say so, and no more */
        if (held > limit) {
            *ended = -1;
            r = 0;
            break;
        }
        r = fread(*buf, 1, *cap, stdin);
    }
    if (r == 0 && ferror(stdin)) {
        int err = errno;
        if (ended) {
            /* likewise the documents before a read error */
            *ended = err ? err : EIO;
        } else {
            close(fd);
            kv_diag(ctx, KVET_SEV_ERROR, shown, 0, 0, 0, NULL, "cannot read: %s", strerror(err));
            return -1;
        }
    }
    if (r == 0) {
        FILE *f = lseek(fd, 0, SEEK_SET) == 0 ? fdopen(fd, "rb") : NULL;
        if (f) {
            *spool = f;
            *total = (size_t)held;
            return 2;
        }
    }
    /* back into memory: the copy's bytes, then those of the chunk it did not take */
    size_t back = (size_t)held + done, size = (size_t)held + r;
    char *whole = malloc(size + 1);
    if (whole) {
        memmove(whole + back, *buf + done, r - done);
        size_t got = 0;
        while (got < back) {
            ssize_t k = pread(fd, whole + got, back - got, (off_t)got);
            if (k < 0 && errno == EINTR)
                continue;
            if (k <= 0)
                break;
            got += (size_t)k;
        }
        if (got < back) {
            free(whole);
            whole = NULL;
        }
    }
    int err = errno;
    close(fd);
    if (!whole) {
        kv_diag(ctx, KVET_SEV_ERROR, shown, 0, 0, 0, NULL, "cannot read standard input's temporary copy back: %s",
                strerror(err));
        return -1;
    }
    free(*buf);
    *buf = whole;
    *n = size;
    *cap = size;
    return 0;
}

/* spool_stdin to a temporary file (temp_fd): 2 copied or -1 after
 * reporting, *buf freed either way; 0 no copy (none could be made or
 * written), *buf holding what was read. */
static int spool_rest(kvet_ctx *ctx, const char *shown, char **buf, size_t *n, size_t *cap, uint64_t limit,
                      FILE **spool, size_t *total, int *ended)
{
    int fd = temp_fd();
    int rc = fd < 0 ? 0 : spool_stdin(ctx, shown, fd, buf, n, cap, limit, spool, total, ended);
    if (rc) {
        free(*buf);
        *buf = NULL;
    }
    return rc;
}

/* yaml_head and spool apply to standard input of `large` bytes or more:
 * what a window reads as YAML returns 1 with its start, what starts as
 * JSON is copied to *spool (spool_stdin), returning 2, and anything else is
 * read whole. */
static int read_named(kvet_ctx *ctx, const char *path, const char *shown, uint64_t large, bool yaml_head,
                      int *ended, FILE **spool, char **data, size_t *len)
{
    uint64_t limit = ctx->limits.max_document_bytes;
    bool is_stdin = !strcmp(path, "-");
    if (!shown)
        shown = is_stdin ? "<stdin>" : path;
    *data = NULL;
    *len = 0;
    /* a file is read with read(2), not stdio: for many small files its
     * buffer and its own fstat cost more than the reading */
    int fd = is_stdin ? -1 : open(path, O_RDONLY | O_CLOEXEC);
    if (!is_stdin && fd < 0) {
        kv_diag(ctx, KVET_SEV_ERROR, shown, 0, 0, 0, NULL, "cannot open: %s", strerror(errno));
        return -1;
    }
    size_t cap_max = read_cap_max(limit);
    size_t cap = 65536;
    size_t known = 0;          /* a regular file's size, when fstat gives one */
    struct stat st;
    if (fstat(is_stdin ? fileno(stdin) : fd, &st) == 0) {
        if (S_ISDIR(st.st_mode)) {
            kv_diag(ctx, KVET_SEV_ERROR, shown, 0, 0, 0, NULL, "is a folder, not a file");
            if (!is_stdin)
                close(fd);
            return -1;
        }
        if (S_ISREG(st.st_mode) && st.st_size > 0) {
            /* a regular file's size is known: refuse it early, and read it
             * into one allocation (a byte more shows whether it grew) */
            if (!is_stdin && (uint64_t)st.st_size >= large && (uint64_t)st.st_size <= limit) {
                close(fd);
                return 1;
            }
            if ((uint64_t)st.st_size > limit && !is_stdin) {
                kv_diag(ctx, KVET_SEV_ERROR, shown, 0, 0, 0, NULL, "file is larger than the limit of %llu bytes",
                        (unsigned long long)limit);
                close(fd);
                return -1;
            }
            if ((uint64_t)st.st_size < (uint64_t)cap_max)
                cap = (size_t)st.st_size + 1;
            known = is_stdin ? 0 : (size_t)st.st_size;
        }
    }
    if (cap > cap_max)
        cap = cap_max;
    /* stdin's start is read first, to see whether the rest needs holding;
     * when it does, a redirected file's size is the room it takes */
    bool head_first = is_stdin && large != UINT64_MAX;
    size_t whole = cap;
    if (head_first && cap > large)
        cap = (size_t)large;
    size_t n = 0;
    char *buf = malloc(cap + 1);
    const char *failure = buf ? NULL : "out of memory";
    while (!failure) {
        if (n == cap) {
            if (cap >= cap_max) {
                failure = "too large";
                break;
            }
            size_t ncap = cap <= cap_max / 2 ? cap * 2 : cap_max;
            if (whole > ncap)
                ncap = whole;
            char *nb = realloc(buf, ncap + 1);
            if (!nb) {
                failure = "out of memory";
                break;
            }
            buf = nb;
            cap = ncap;
        }
        size_t r;
        if (is_stdin) {
            size_t want = cap - n;
            if (head_first && n < large && want > large - n)
                want = (size_t)(large - n);
            r = fread(buf + n, 1, want, stdin);
            if (r == 0 && ferror(stdin))
                failure = "cannot read";
        } else {
            ssize_t got = read(fd, buf + n, cap - n);
            while (got < 0 && errno == EINTR)
                got = read(fd, buf + n, cap - n);
            if (got < 0)
                failure = "cannot read";
            r = got < 0 ? 0 : (size_t)got;
        }
        /* a short read that reaches the size fstat gave is the end: no read
         * more to see it (a byte more was asked for, so a file that grew is
         * read on) */
        bool at_end = r == 0 || (n + r == known && r < cap - n);
        n += r;
        if (at_end)
            break;
        /* a long YAML stream on stdin: the rest is read through a window,
         * or, for threads to parse it in parts (yaml_split.c), copied to a
         * temporary file, which a part that fails reads again from its
         * start.  Not helm template's output, whose `# Source:` comments
         * name the documents after them: the parts would read it alone. */
        if (head_first && (uint64_t)n >= large && yaml_head && kv_yaml_windowable_text(buf, n)) {
            if (ended && spool && !kv_yaml_has_source_line(buf, n)) {
                int rc = spool_rest(ctx, shown, &buf, &n, &cap, limit, spool, len, ended);
                if (rc)
                    return rc == 2 ? 3 : -1;
                /* no copy: what was read is the head, the rest read through a window */
            }
            buf[n] = '\0';
            *data = buf;
            *len = n;
            return 1;
        }
        /* JSON: copied to a temporary file; with none (a read-only /tmp,
         * a full disk) held whole, as it was */
        if (head_first && (uint64_t)n >= large && spool && starts_as_json(buf, n)) {
            int rc = spool_rest(ctx, shown, &buf, &n, &cap, limit, spool, len, NULL);
            spool = NULL;
            if (rc)
                return rc;
        }
    }
    if (!failure && (uint64_t)n > limit)
        failure = "too large";
    int err = errno;
    if (!is_stdin)
        close(fd);
    if (failure) {
        /* never a truncated input: past the limit nothing is read */
        if (!strcmp(failure, "too large"))
            kv_diag(ctx, KVET_SEV_ERROR, shown, 0, 0, 0, NULL, "%s is larger than the limit of %llu bytes%s",
                    is_stdin ? "standard input" : "file", (unsigned long long)limit,
                    is_stdin ? ": none of it is checked" : "");
        else if (!strcmp(failure, "cannot read"))
            kv_diag(ctx, KVET_SEV_ERROR, shown, 0, 0, 0, NULL, "cannot read: %s", strerror(err));
        else
            kv_diag(ctx, KVET_SEV_ERROR, shown, 0, 0, 0, NULL, "out of memory");
        free(buf);
        return -1;
    }
    buf[n] = '\0';
    *data = buf;
    *len = n;
    return 0;
}

int kv_read_named(kvet_ctx *ctx, const char *path, const char *shown, char **data, size_t *len)
{
    return read_named(ctx, path, shown, UINT64_MAX, false, NULL, NULL, data, len);
}

int kv_read_file(kvet_ctx *ctx, const char *path, char **data, size_t *len)
{
    return read_named(ctx, path, NULL, UINT64_MAX, false, NULL, NULL, data, len);
}

int kv_read_file_below(kvet_ctx *ctx, const char *path, uint64_t large, char **data, size_t *len)
{
    return read_named(ctx, path, NULL, large, false, NULL, NULL, data, len);
}

int kv_read_stdin_below(kvet_ctx *ctx, const char *shown, uint64_t large, bool json, int *yaml_copy, char **data,
                        size_t *len, FILE **spool)
{
    *spool = NULL;
    if (yaml_copy)
        *yaml_copy = 0;
    return read_named(ctx, "-", shown, large, !json, yaml_copy, spool, data, len);
}

int kv_read_spool(kvet_ctx *ctx, FILE *f, const char *shown, size_t size, char **data, size_t *len)
{
    char *buf = malloc(size + 1);
    if (!buf) {
        kv_diag(ctx, KVET_SEV_ERROR, shown, 0, 0, 0, NULL, "out of memory");
        return -1;
    }
    if (fseeko(f, 0, SEEK_SET) != 0 || fread(buf, 1, size, f) != size) {
        int err = errno;
        free(buf);
        kv_diag(ctx, KVET_SEV_ERROR, shown, 0, 0, 0, NULL, "cannot read standard input's temporary copy: %s",
                strerror(err));
        return -1;
    }
    buf[size] = '\0';
    *data = buf;
    *len = size;
    return 0;
}

typedef struct strvec {
    char **v;
    size_t n, cap;
    bool oom;
} strvec;

static void sv_push(strvec *sv, char *s)
{
    if (!s) {
        sv->oom = true;
        return;
    }
    if (sv->n == sv->cap) {
        size_t cap = sv->cap ? sv->cap * 2 : 16;
        char **v = realloc(sv->v, cap * sizeof *v);
        if (!v) {
            free(s);
            sv->oom = true;
            return;
        }
        sv->v = v;
        sv->cap = cap;
    }
    sv->v[sv->n++] = s;
}

/* A folder's entry as readdir gave it: its path, and its type when the
 * file system says (a walk over many small files need not stat each). */
typedef struct dir_entry {
    char *full;
    unsigned char type;
} dir_entry;

static int cmp_entry(const void *a, const void *b)
{
    return strcmp(((const dir_entry *)a)->full, ((const dir_entry *)b)->full);
}

typedef struct visited {
    dev_t dev;
    ino_t ino;
} visited;

static bool is_manifest_name(const char *name)
{
    return has_suffix(name, ".yaml") || has_suffix(name, ".yml") || has_suffix(name, ".json");
}

/* Does an exclude pattern take this path?  `rel` is the path relative to
 * the input folder, `full` the path as walked (the folder as given, then
 * the names below it).  A pattern that takes the input folder itself
 * (`tests` for the input tests/manifests) is matched against relative
 * paths only (walked[i] false): the folder was named to be read. */
static bool excluded(const kv_walk_opts *o, const bool *walked, const char *rel, const char *full)
{
    for (size_t i = 0; o && i < o->nexclude; i++)
        if (kv_path_glob(o->exclude[i], rel) || (walked[i] && kv_path_glob(o->exclude[i], full)))
            return true;
    return false;
}

/* Walk a folder: entries sorted by name, manifests only, hidden entries
 * skipped, excluded paths skipped, each folder visited once (symlink loops
 * end). Iterative. */
static int walk(kvet_ctx *ctx, const char *root, const kv_walk_opts *o, strvec *out, kv_walk_stats *stats)
{
    strvec todo = {0};
    visited *seen = NULL;
    size_t nseen = 0, capseen = 0;
    int rc = 0;
    /* below root, a walked path is root, a '/' unless root ends in one, and
     * the path relative to root */
    size_t rel_at = strlen(root) + (has_suffix(root, "/") ? 0 : 1);
    size_t nex = o ? o->nexclude : 0;
    bool *walked = calloc(nex + 1, sizeof *walked);
    if (!walked) {
        kv_diag(ctx, KVET_SEV_ERROR, root, 0, 0, 0, NULL, "out of memory");
        return -1;
    }
    for (size_t i = 0; i < nex; i++)
        walked[i] = !kv_path_glob(o->exclude[i], root);
    sv_push(&todo, strdup(root));
    while (todo.n && !todo.oom) {
        char *dir = todo.v[--todo.n];
        struct stat st;
        if (stat(dir, &st) != 0) {
            kv_diag(ctx, KVET_SEV_ERROR, dir, 0, 0, 0, NULL, "cannot read: %s", strerror(errno));
            rc = -1;
            free(dir);
            continue;
        }
        bool dup = false;
        for (size_t i = 0; i < nseen; i++)
            if (seen[i].dev == st.st_dev && seen[i].ino == st.st_ino)
                dup = true;
        if (dup) {
            free(dir);
            continue;
        }
        if (nseen == capseen) {
            capseen = capseen ? capseen * 2 : 16;
            visited *ns = realloc(seen, capseen * sizeof *ns);
            if (!ns) {
                free(dir);
                rc = -1;
                break;
            }
            seen = ns;
        }
        seen[nseen].dev = st.st_dev;
        seen[nseen].ino = st.st_ino;
        nseen++;
        DIR *d = opendir(dir);
        if (!d) {
            kv_diag(ctx, KVET_SEV_ERROR, dir, 0, 0, 0, NULL, "cannot open folder: %s", strerror(errno));
            rc = -1;
            free(dir);
            continue;
        }
        dir_entry *entries = NULL;
        size_t nentries = 0, capentries = 0;
        bool entries_oom = false;
        struct dirent *e;
        while ((e = readdir(d))) {
            if (e->d_name[0] == '.') {
                if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
                    stats->hidden++;
                continue;
            }
            if (nentries == capentries) {
                size_t cap = capentries ? capentries * 2 : 16;
                dir_entry *v = realloc(entries, cap * sizeof *v);
                if (!v) {
                    entries_oom = true;
                    break;
                }
                entries = v;
                capentries = cap;
            }
            size_t len = strlen(dir) + strlen(e->d_name) + 2;
            char *full = malloc(len);
            if (!full) {
                entries_oom = true;
                break;
            }
            snprintf(full, len, "%s%s%s", dir, has_suffix(dir, "/") ? "" : "/", e->d_name);
            entries[nentries++] = (dir_entry){full, e->d_type};
        }
        closedir(d);
        if (nentries)
            qsort(entries, nentries, sizeof *entries, cmp_entry);
        /* files in order now; sub-folders pushed in reverse so they pop in order */
        strvec subdirs = {0};
        for (size_t i = 0; i < nentries; i++) {
            char *full = entries[i].full;
            bool is_dir = entries[i].type == DT_DIR, is_reg = entries[i].type == DT_REG;
            /* a link is followed; some file systems do not say */
            if (!is_dir && !is_reg) {
                struct stat es;
                if (stat(full, &es) != 0) {
                    free(full);
                    continue; /* a dangling link: nothing to read */
                }
                is_dir = S_ISDIR(es.st_mode);
                is_reg = S_ISREG(es.st_mode);
            }
            bool manifest = is_reg && is_manifest_name(full);
            /* a folder an exclude pattern takes holds nothing to read */
            if ((is_dir || manifest) && excluded(o, walked, full + rel_at, full)) {
                stats->excluded++;
                free(full);
            } else if (is_dir) {
                sv_push(&subdirs, full);
            } else if (manifest) {
                sv_push(out, full);
                stats->files++;
            } else {
                stats->other++;
                free(full);
            }
        }
        /* depth-first, in name order: a folder's files, then its sub-folders */
        for (size_t i = subdirs.n; i > 0; i--)
            sv_push(&todo, subdirs.v[i - 1]);
        free(subdirs.v);
        free(entries);
        if (entries_oom || subdirs.oom)
            todo.oom = true;
        free(dir);
    }
    for (size_t i = 0; i < todo.n; i++)
        free(todo.v[i]);
    free(todo.v);
    free(seen);
    free(walked);
    if (todo.oom) {
        kv_diag(ctx, KVET_SEV_ERROR, root, 0, 0, 0, NULL, "out of memory");
        rc = -1;
    }
    return rc;
}

int kv_expand_inputs_ex(kvet_ctx *ctx, const char *const *paths, size_t n, const kv_walk_opts *o,
                        char ***out, size_t *nout, size_t **origin, kv_walk_stats *stats)
{
    strvec sv = {0};
    size_t *org = NULL, caporg = 0;
    int rc = 0;
    for (size_t i = 0; i < n; i++) {
        kv_walk_stats ws = {0};
        size_t first = sv.n;
        struct stat st;
        if (!strcmp(paths[i], "-")) {
            sv_push(&sv, strdup("-"));
            ws.files = 1;
        } else if (stat(paths[i], &st) != 0) {
            kv_diag(ctx, KVET_SEV_ERROR, paths[i], 0, 0, 0, NULL, "cannot read: %s", strerror(errno));
            rc = -1;
        } else if (S_ISDIR(st.st_mode)) {
            ws.folder = true;
            if (walk(ctx, paths[i], o, &sv, &ws) < 0)
                rc = -1;
        } else {
            /* a file named explicitly is read whatever its name, excluded or not */
            sv_push(&sv, strdup(paths[i]));
            ws.files = 1;
        }
        if (stats)
            stats[i] = ws;
        if (origin && sv.n > caporg) {
            size_t cap = sv.cap > caporg ? sv.cap : caporg;
            size_t *no = realloc(org, cap * sizeof *no);
            if (!no) {
                sv.oom = true;
            } else {
                org = no;
                caporg = cap;
            }
        }
        for (size_t k = first; org && k < sv.n && k < caporg; k++)
            org[k] = i;
    }
    if (sv.oom) {
        kv_diag(ctx, KVET_SEV_ERROR, NULL, 0, 0, 0, NULL, "out of memory");
        rc = -1;
    }
    *out = sv.v;
    *nout = sv.n;
    if (origin)
        *origin = org;
    else
        free(org);
    return rc;
}

int kv_expand_inputs(kvet_ctx *ctx, const char *const *paths, size_t n,
                     char ***out, size_t *nout)
{
    return kv_expand_inputs_ex(ctx, paths, n, NULL, out, nout, NULL, NULL);
}

void kv_free_strings(char **v, size_t n)
{
    if (!v)
        return;
    for (size_t i = 0; i < n; i++)
        free(v[i]);
    free(v);
}
