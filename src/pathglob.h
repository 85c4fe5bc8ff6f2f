/*
 * pathglob.h - matching file paths against glob patterns, as kvet.yaml's
 * environments and --exclude write them.
 *
 * Paths and patterns use '/' between segments.  In a pattern, `*` matches
 * any run of characters within one segment, `?` one character, `[...]` a
 * class (as fnmatch), and a segment that is exactly `**` matches zero or
 * more whole segments.  A pattern also matches every path below a folder
 * it matches, so `apps/prod` and "apps/" followed by `*` both take `apps/prod/x.yaml`
 * (as .gitignore does).  A leading "./" in either is ignored.
 */
#ifndef KV_PATHGLOB_H
#define KV_PATHGLOB_H

#include <stdbool.h>

bool kv_path_glob(const char *pattern, const char *path);

/* Does the pattern contain a wildcard (*, ? or [)? */
bool kv_path_is_glob(const char *pattern);

/* `path` relative to the folder `root`, both made absolute and cleaned
 * ("." and ".." resolved lexically, symbolic links left alone): a malloc'd
 * string, "." for the root itself, or NULL when path is not below root (or
 * out of memory). */
char *kv_path_relative(const char *root, const char *path);

/* kv_path_relative of two paths kv_path_absolute made. */
char *kv_path_relative_abs(const char *root, const char *path);

/* The absolute, lexically cleaned form of a path (relative paths are taken
 * from the current folder).  malloc'd, or NULL. */
char *kv_path_absolute(const char *path);
/* The same, relative paths taken from `cwd` (the current folder when NULL):
 * for many paths, one getcwd for all of them. */
char *kv_path_absolute_in(const char *cwd, const char *path);

#endif
