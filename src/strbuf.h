/*
 * strbuf.h - text utilities shared by libkvet and the kvet program
 * (strbuf.c): no kvet types, no global state.
 */
#ifndef KV_STRBUF_H
#define KV_STRBUF_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* Where a streaming buffer sends what it holds: 0, or -1 with errno set. */
typedef int (*kv_buf_sink)(void *arg, const char *data, size_t len);

/* Growable byte buffer (malloc-backed), always NUL-terminated.  A failed
 * allocation sets `oom` and makes every later write a no-op.  With a sink,
 * whenever about a megabyte is held it goes to the sink and the buffer
 * starts over (for writers that never look back at what they wrote): the
 * text is never whole in memory; kv_buf_flush sends the rest. */
typedef struct kv_buf {
    char *data;
    size_t len, cap;
    bool oom;
    kv_buf_sink sink;
    void *sink_arg;
    int sink_errno;            /* a failed write to the sink, else 0 */
} kv_buf;

void kv_buf_init(kv_buf *b);
void kv_buf_free(kv_buf *b);
void kv_buf_put(kv_buf *b, const char *s, size_t n);
/* Inline, so that the length of a literal is known when compiling. */
static inline void kv_buf_puts(kv_buf *b, const char *s) { kv_buf_put(b, s, strlen(s)); }
void kv_buf_putc(kv_buf *b, char c);
/* The decimal text of n (what printf's %llu and %lld write, without their
 * cost per call). */
void kv_buf_put_uint(kv_buf *b, uint64_t n);
void kv_buf_put_int(kv_buf *b, int64_t n);
void kv_buf_printf(kv_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void kv_buf_vprintf(kv_buf *b, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
/* Send what the buffer holds to its sink: 0, or -1 with errno set (ENOMEM
 * when a write ran out of memory, else the sink's first failure). */
int kv_buf_flush(kv_buf *b);
/* Detach the NUL-terminated contents (malloc'd); the buffer is reset. */
char *kv_buf_take(kv_buf *b);

/* Decode one UTF-8 sequence at s (n bytes available): its length, with the
 * code point in *cp, or 0 for a byte that does not start a valid,
 * shortest-form sequence (surrogates and values above U+10FFFF too). */
size_t kv_utf8_decode(const char *s, size_t n, uint32_t *cp);
/* JSON string escaping of raw bytes (invalid UTF-8 replaced by U+FFFD). */
void kv_buf_json_string(kv_buf *b, const char *s, size_t n);
/* Text for HTML element content and attribute values: the five special
 * characters become entities; control characters and bytes that are not
 * UTF-8 become U+FFFD, so no input can open markup. */
void kv_buf_html(kv_buf *b, const char *s, size_t n);
/* Shortest round-trip text of a double, with ".0" on whole numbers. */
void kv_format_double(char out[32], double d);
/* Glob match with '*' only (any run of characters): linear, no recursion. */
bool kv_glob_match(const char *pat, const char *s, size_t n);

#endif
