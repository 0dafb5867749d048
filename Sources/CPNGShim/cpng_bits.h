// A little-endian bit reader over a byte buffer for the inflater (cpng_inflate.c);
// internal to CPNGShim. Past the end of the buffer it supplies zero bytes, and `overrun` tells
// whether the reader has consumed any of them.
#pragma once
#include <stddef.h>
#include <stdint.h>
#include <string.h>

typedef struct {
    const uint8_t *in;
    size_t length;
    size_t next;      // next byte to load; past `length` the reader supplies zero bytes
    uint64_t bits;
    unsigned count;
} bit_reader;

static inline __attribute__((always_inline)) void refill(bit_reader *r) {
    if (r->count > 56) return;
    if (r->next + 8 <= r->length) {
        // Eight bytes at once; only the whole bytes that fit are counted as loaded.
        uint64_t word;
        memcpy(&word, r->in + r->next, 8);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
        word = __builtin_bswap64(word);
#endif
        r->bits |= word << r->count;
        r->next += (63 - r->count) >> 3;
        r->count |= 56;
        return;
    }
    while (r->count <= 56) {
        uint64_t byte = r->next < r->length ? r->in[r->next] : 0;
        r->next++;
        r->bits |= byte << r->count;
        r->count += 8;
    }
}

static inline __attribute__((always_inline)) uint32_t take(bit_reader *r, unsigned n) {  // n <= 32; call refill first
    uint32_t value = (uint32_t)(r->bits & ((1ull << n) - 1));
    r->bits >>= n;
    r->count -= n;
    return value;
}

static size_t bits_used(const bit_reader *r) { return r->next * 8 - r->count; }
static int overrun(const bit_reader *r) { return bits_used(r) > r->length * 8; }
