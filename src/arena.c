/* arena.c - region allocator (see arena.h). */
#include "arena.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define ARENA_BLOCK_MIN 4096u
#define ARENA_ALIGN 8u

_Static_assert(_Alignof(void *) <= ARENA_ALIGN && _Alignof(int64_t) <= ARENA_ALIGN &&
                   _Alignof(double) <= ARENA_ALIGN,
               "arena alignment too small for the objects it holds");

_Static_assert(ARENA_ALIGN == 8, "kv_arena_alloc (arena.h) rounds sizes up to 8 bytes");

struct kv_arena_block {
    kv_arena_block *prev;
    size_t size;   /* usable bytes in data */
    _Alignas(16) unsigned char data[];
};

void kv_arena_init(kv_arena *a)
{
    a->head = NULL;
    a->next = NULL;
    a->room = 0;
    a->total = 0;
    a->limit = 0;
}

static kv_arena_block *block_new(kv_arena *a, size_t need)
{
    size_t size = a->head ? a->head->size * 2 : ARENA_BLOCK_MIN;
    if (size > (1u << 20))
        size = 1u << 20; /* growth stops at 1 MiB blocks */
    if (size < need)
        size = need;
    if (size > SIZE_MAX - sizeof(kv_arena_block))
        return NULL;
    if (a->limit && a->total + size > a->limit)
        return NULL;
    kv_arena_block *b = malloc(sizeof(kv_arena_block) + size);
    if (!b)
        return NULL;
    b->prev = a->head;
    b->size = size;
    a->head = b;
    a->next = b->data;
    a->room = size;
    a->total += size;
    return b;
}

void *kv_arena_alloc_block(kv_arena *a, size_t n)
{
    if (n == 0)
        n = 1;
    if (n > SIZE_MAX - ARENA_ALIGN)
        return NULL;
    n = (n + ARENA_ALIGN - 1) & ~(size_t)(ARENA_ALIGN - 1);
    if (n > a->room && !block_new(a, n))
        return NULL;
    void *p = a->next;
    a->next += n;
    a->room -= n;
    return p;
}

void *kv_arena_calloc(kv_arena *a, size_t n)
{
    void *p = kv_arena_alloc(a, n);
    if (p)
        memset(p, 0, n);
    return p;
}

char *kv_arena_strndup(kv_arena *a, const char *s, size_t n)
{
    char *p = kv_arena_alloc(a, n + 1);
    if (!p)
        return NULL;
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

char *kv_arena_strdup(kv_arena *a, const char *s)
{
    return kv_arena_strndup(a, s, strlen(s));
}

bool kv_arena_owns(const kv_arena *a, const void *p)
{
    uintptr_t at = (uintptr_t)p;
    for (const kv_arena_block *b = a->head; b; b = b->prev)
        if (at >= (uintptr_t)b->data && at < (uintptr_t)b->data + b->size)
            return true;
    return false;
}

void kv_arena_reset(kv_arena *a)
{
    kv_arena_block *b = a->head;
    if (!b)
        return;
    while (b->prev) {
        kv_arena_block *p = b->prev;
        a->total -= b->size;
        free(b);
        b = p;
    }
    a->head = b;
    a->next = b->data;
    a->room = b->size;
}

void kv_arena_free(kv_arena *a)
{
    kv_arena_block *b = a->head;
    while (b) {
        kv_arena_block *p = b->prev;
        free(b);
        b = p;
    }
    a->head = NULL;
    a->next = NULL;
    a->room = 0;
    a->total = 0;
}

void kv_arena_adopt(kv_arena *into, kv_arena *from)
{
    kv_arena_block *oldest = from->head;
    if (!oldest)
        return;
    while (oldest->prev)
        oldest = oldest->prev;
    if (into->head) {
        /* behind into's current block, which stays the one allocated from */
        oldest->prev = into->head->prev;
        into->head->prev = from->head;
    } else {
        into->head = from->head;
        into->next = from->next;
        into->room = from->room;
    }
    into->total += from->total;
    from->head = NULL;
    from->next = NULL;
    from->room = 0;
    from->total = 0;
}
