/*
 * arena.h - region allocator.
 *
 * Every document, compilation and evaluation owns one arena; everything
 * allocated from it is released at once by kv_arena_free.  Allocation
 * failure returns NULL (never aborts): callers propagate it as an error.
 */
#ifndef KV_ARENA_H
#define KV_ARENA_H

#include <stdbool.h>
#include <stddef.h>

typedef struct kv_arena_block kv_arena_block;

typedef struct kv_arena {
    kv_arena_block *head;   /* current block; older blocks chain behind it */
    unsigned char *next;    /* the current block's free space: next, room bytes */
    size_t room;
    size_t total;           /* bytes obtained from malloc, for accounting */
    size_t limit;           /* 0 = unlimited; else allocation fails past it */
} kv_arena;

void kv_arena_init(kv_arena *a);
/* kv_arena_alloc's slow way: n bytes (0 counts as 1), from a new block
 * when the current one has no room for them. */
void *kv_arena_alloc_block(kv_arena *a, size_t n);
/* 8-byte aligned: arena objects hold at most pointers, int64_t and double,
 * and a tree of small maps pays for every byte of padding.  Inline: values
 * are built from arenas everywhere, most of them a few bytes each. */
static inline void *kv_arena_alloc(kv_arena *a, size_t n)
{
    if (n && n <= a->room) {
        size_t m = (n + 7) & ~(size_t)7;
        if (m <= a->room) {
            void *p = a->next;
            a->next += m;
            a->room -= m;
            return p;
        }
    }
    return kv_arena_alloc_block(a, n);
}
void *kv_arena_calloc(kv_arena *a, size_t n);
char *kv_arena_strndup(kv_arena *a, const char *s, size_t n);
char *kv_arena_strdup(kv_arena *a, const char *s);
/* Was p allocated from a (is it inside one of a's blocks)? */
bool kv_arena_owns(const kv_arena *a, const void *p);
/* Release everything but keep the first block for reuse. */
void kv_arena_reset(kv_arena *a);
void kv_arena_free(kv_arena *a);
/* Move every block of `from` into `into` (what was allocated from `from`
 * now lives as long as `into`); `from` is left empty. */
void kv_arena_adopt(kv_arena *into, kv_arena *from);

#endif
