/* sha256.h - SHA-256 (FIPS 180-4), for pack digests. */
#ifndef KV_SHA256_H
#define KV_SHA256_H

#include <stddef.h>
#include <stdint.h>

typedef struct kv_sha256 {
    uint32_t h[8];
    uint64_t len;
    uint8_t buf[64];
    size_t nbuf;
} kv_sha256;

void kv_sha256_init(kv_sha256 *s);
void kv_sha256_update(kv_sha256 *s, const void *data, size_t n);
void kv_sha256_final(kv_sha256 *s, uint8_t out[32]);
/* Hex digest of a buffer into out[65]. */
void kv_sha256_hex(const void *data, size_t n, char out[65]);
void kv_sha256_tohex(const uint8_t d[32], char out[65]);

#endif
