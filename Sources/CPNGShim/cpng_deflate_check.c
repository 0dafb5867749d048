// The PNG fast path, part 2 of 3: a deflate checker (RFC 1950/1951) that walks the zlib
// stream's Huffman symbols without writing output, applying zlib's acceptance rules (and a few
// stricter ones), so the fast path never takes a stream that zlib, and therefore libpng, would
// refuse. libdeflate, which accepts some streams zlib refuses, inflates only what passes here.
#include "cpng_bits.h"
#include "cpng_fast.h"

#include <string.h>

#define FAST_BITS 11
typedef struct {
    uint16_t count[16];             // codes of each length
    uint16_t symbols[288];          // symbols ordered by (length, value): canonical order
    uint16_t table[1 << FAST_BITS]; // (symbol << 4) | length for short codes, 0 otherwise
    // Literal/length codes only (`build_pairs`): (literals << 4) | bits when the next FAST_BITS
    // bits start with one literal, or two, whose codes are in `table`; 0 otherwise.
    uint8_t pairs[1 << FAST_BITS];
    int empty;                      // no codes at all
} huffman;

enum { COMPLETE_ONLY = 0, DISTANCE_RULES = 1 };

// Builds the canonical code for `lengths`. Over-subscribed codes fail. Incomplete codes fail,
// except under DISTANCE_RULES: no codes at all, or a single code of length 1 (zlib takes both).
static int build(huffman *h, const uint8_t *lengths, int n, int rules) {
    memset(h->count, 0, sizeof h->count);
    for (int s = 0; s < n; s++) h->count[lengths[s]]++;
    h->count[0] = 0;
    int left = 1;
    for (int len = 1; len <= 15; len++) {
        left = (left << 1) - h->count[len];
        if (left < 0) return 0;
    }
    int used = n;
    for (int s = 0; s < n; s++) used -= lengths[s] == 0;
    h->empty = used == 0;
    if (left > 0) {
        if (rules != DISTANCE_RULES) return 0;
        if (!(used == 0 || (used == 1 && h->count[1] == 1))) return 0;
    }
    uint16_t offsets[16];
    offsets[1] = 0;
    for (int len = 1; len < 15; len++) offsets[len + 1] = offsets[len] + h->count[len];
    for (int s = 0; s < n; s++) {
        if (lengths[s]) h->symbols[offsets[lengths[s]]++] = (uint16_t)s;
    }
    memset(h->table, 0, sizeof h->table);
    // Canonical codes, assigned in (length, value) order; stored bit-reversed because deflate
    // sends a code's most significant bit first into the low end of the bit stream.
    unsigned code = 0;
    int index = 0;
    for (int len = 1; len <= FAST_BITS; len++) {
        for (int k = 0; k < h->count[len]; k++, index++, code++) {
            unsigned reversed = 0;
            for (int b = 0; b < len; b++) reversed |= ((code >> b) & 1u) << (len - 1 - b);
            uint16_t entry = (uint16_t)((h->symbols[index] << 4) | len);
            for (unsigned slot = reversed; slot < (1u << FAST_BITS); slot += 1u << len) h->table[slot] = entry;
        }
        code <<= 1;
    }
    return 1;
}

// Fills `pairs` from `table`: an entry found at the bits left after a first literal of length
// l1 is only known when its own length fits in the FAST_BITS - l1 bits that are really there.
static void build_pairs(huffman *h) {
    for (unsigned slot = 0; slot < (1u << FAST_BITS); slot++) {
        uint16_t first = h->table[slot];
        if (!first || (first >> 4) >= 256) {
            h->pairs[slot] = 0;
            continue;
        }
        unsigned l1 = first & 15;
        uint16_t second = h->table[slot >> l1];
        unsigned l2 = second & 15;
        h->pairs[slot] = second && (second >> 4) < 256 && l1 + l2 <= FAST_BITS
            ? (uint8_t)((2u << 4) | (l1 + l2)) : (uint8_t)((1u << 4) | l1);
    }
}

// The next symbol, or -1 for a bit pattern that is no code (zlib: "invalid code").
static inline __attribute__((always_inline)) int decode_buffered(bit_reader *r, const huffman *h);

static inline __attribute__((always_inline)) int decode(bit_reader *r, const huffman *h) {
    refill(r);
    return decode_buffered(r, h);
}

// `decode` without the refill, for a caller that knows at least 15 bits are buffered.
static inline __attribute__((always_inline)) int decode_buffered(bit_reader *r, const huffman *h) {
    uint16_t entry = h->table[r->bits & ((1u << FAST_BITS) - 1)];
    if (entry) {
        take(r, entry & 15);
        return entry >> 4;
    }
    int code = 0, first = 0, index = 0;
    for (int len = 1; len <= 15; len++) {
        code |= (int)((r->bits >> (len - 1)) & 1);
        int count = h->count[len];
        if (code - first < count) {
            take(r, (unsigned)len);
            return h->symbols[index + code - first];
        }
        index += count;
        first = (first + count) << 1;
        code <<= 1;
    }
    return -1;
}

static const uint16_t length_base[29] = {3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31,
                                         35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258};
static const uint8_t length_extra[29] = {0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2,
                                         3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0};
static const uint16_t distance_base[30] = {1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193,
                                           257, 385, 513, 769, 1025, 1537, 2049, 3073, 4097, 6145,
                                           8193, 12289, 16385, 24577};
static const uint8_t distance_extra[30] = {0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6,
                                           7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13};

// Symbols of one compressed block until end-of-block; `out` counts the bytes it produces.
// The hot loop of the fast path, one pass over every symbol of the stream, so it is written for
// speed. It works on local copies of the reader and the count, written back once at the end
// (through the pointers the compiler must assume they alias, and reloads them for every
// literal). Literals, most of the symbols of a scan's grainy paper, are counted one or two per
// table lookup (`pairs`, only the count matters here) and up to four lookups per refill: each
// takes at most FAST_BITS = 11 bits, and a refill leaves at least 56. Every failure returns 0,
// whatever its order; a literal past `expected` fails whether it comes first or second of its
// pair; and an overrun, once it has happened, stays, so testing for one at each refill and
// before end-of-block refuses exactly the streams a test after every symbol would. It can only
// hold once the reader has supplied zero bytes past the end (`next > length`), the cheap test
// that guards it.
static int check_block(bit_reader *reader, const huffman *lit, const huffman *dist, size_t *out_count,
                       size_t expected, size_t window) {
    bit_reader r = *reader;
    size_t out = *out_count;
    int ok = 0;
    for (;;) {
        refill(&r);
        if (r.next > r.length && overrun(&r)) break;
        uint8_t pair = lit->pairs[r.bits & ((1u << FAST_BITS) - 1)];
        if (pair) {
            int steps = 0;
            do {
                size_t literals = pair >> 4;
                if (expected - out < literals) goto done;
                out += literals;
                take(&r, pair & 15);
                pair = lit->pairs[r.bits & ((1u << FAST_BITS) - 1)];
            } while (++steps < 4 && pair);
            continue;
        }
        // A whole match, from this one refill: a length code of at most 15 bits and 5 extra
        // bits, a distance code of at most 15 and 13 extra bits, 48 of the 56 buffered.
        int symbol = decode_buffered(&r, lit);
        if (symbol < 0 || (r.next > r.length && overrun(&r))) break;
        if (symbol < 256) {
            if (out == expected) break;
            out++;
            continue;
        }
        if (symbol == 256) {
            ok = 1;
            break;
        }
        symbol -= 257;
        if (symbol >= 29) break;  // 286 and 287 (fixed code): zlib refuses them
        size_t run = length_base[symbol] + take(&r, length_extra[symbol]);
        if (dist->empty) break;
        int d = decode_buffered(&r, dist);
        if (d < 0 || d >= 30) break;  // 30 and 31 (fixed code): zlib refuses them
        size_t distance = distance_base[d] + take(&r, distance_extra[d]);
        if (r.next > r.length && overrun(&r)) break;
        // zlib keeps the last `window` bytes: a distance beyond that, or before the start, fails.
        if (distance > out || distance > window) break;
        if (run > expected - out) break;
        out += run;
    }
done:
    *reader = r;
    *out_count = out;
    return ok;
}

// The dynamic block header: three code-length counts, the code-length code, then the
// literal/length and distance code lengths themselves.
static int read_dynamic(bit_reader *r, huffman *lit, huffman *dist) {
    static const uint8_t order[19] = {16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15};
    refill(r);
    int nlen = (int)take(r, 5) + 257, ndist = (int)take(r, 5) + 1, ncode = (int)take(r, 4) + 4;
    if (nlen > 286 || ndist > 30) return 0;
    uint8_t lengths[286 + 30];
    memset(lengths, 0, 19);
    for (int i = 0; i < ncode; i++) {
        refill(r);
        lengths[order[i]] = (uint8_t)take(r, 3);
    }
    huffman precode;
    if (!build(&precode, lengths, 19, COMPLETE_ONLY)) return 0;
    int filled = 0;
    while (filled < nlen + ndist) {
        int symbol = decode(r, &precode);
        if (symbol < 0 || overrun(r)) return 0;
        if (symbol < 16) {
            lengths[filled++] = (uint8_t)symbol;
            continue;
        }
        refill(r);
        uint8_t value = 0;
        int repeat;
        if (symbol == 16) {
            if (filled == 0) return 0;
            value = lengths[filled - 1];
            repeat = 3 + (int)take(r, 2);
        } else if (symbol == 17) {
            repeat = 3 + (int)take(r, 3);
        } else {
            repeat = 11 + (int)take(r, 7);
        }
        if (repeat > nlen + ndist - filled) return 0;
        while (repeat--) lengths[filled++] = value;
    }
    if (overrun(r) || lengths[256] == 0) return 0;
    if (!build(lit, lengths, nlen, COMPLETE_ONLY)) return 0;
    build_pairs(lit);
    return build(dist, lengths + nlen, ndist, DISTANCE_RULES);
}

// Checks a raw deflate stream; on success *consumed is its length in whole bytes.
static int check_deflate(const uint8_t *in, size_t length, size_t expected, size_t window, size_t *consumed) {
    bit_reader r = {in, length, 0, 0, 0};
    huffman lit, dist;
    size_t out = 0;
    int last = 0;
    while (!last) {
        refill(&r);
        last = (int)take(&r, 1);
        unsigned type = take(&r, 2);
        if (type == 0) {
            take(&r, (unsigned)(r.count % 8));  // to the byte boundary
            uint32_t stored = take(&r, 16), check = take(&r, 16);
            if (overrun(&r) || stored != (~check & 0xffffu)) return 0;
            size_t at = bits_used(&r) / 8;
            if (stored > length - at || stored > expected - out) return 0;
            out += stored;
            r.next = at + stored;
            r.bits = 0;
            r.count = 0;
        } else if (type == 1) {
            uint8_t lengths[288 + 32];
            memset(lengths, 8, 144);
            memset(lengths + 144, 9, 112);
            memset(lengths + 256, 7, 24);
            memset(lengths + 280, 8, 8);
            memset(lengths + 288, 5, 32);
            if (!build(&lit, lengths, 288, COMPLETE_ONLY) || !build(&dist, lengths + 288, 32, COMPLETE_ONLY)) return 0;
            build_pairs(&lit);
            if (!check_block(&r, &lit, &dist, &out, expected, window)) return 0;
        } else if (type == 2) {
            if (!read_dynamic(&r, &lit, &dist)) return 0;
            if (!check_block(&r, &lit, &dist, &out, expected, window)) return 0;
        } else {
            return 0;
        }
        if (overrun(&r)) return 0;
    }
    if (out != expected) return 0;
    *consumed = (bits_used(&r) + 7) / 8;
    return *consumed <= length;
}

int cpng_fast_check_zlib_stream(const uint8_t *stream, size_t length, size_t expected) {
    if (length < 2) return 0;
    unsigned cmf = stream[0], flg = stream[1];
    // What zlib's inflate checks in the header (libpng lets zlib take the window size from it).
    if ((cmf & 15) != 8 || (cmf >> 4) > 7 || ((cmf << 8) | flg) % 31 != 0 || (flg & 0x20)) return 0;
    size_t window = (size_t)1 << ((cmf >> 4) + 8);
    size_t consumed;
    if (!check_deflate(stream + 2, length - 2, expected, window, &consumed)) return 0;
    // The Adler-32 must follow (libpng skips checking it, but zlib still reads it), and nothing
    // after it: libpng would stop reading there, and a fast path that guessed wrong about
    // trailing bytes could disagree with it.
    return length - 2 - consumed == 4;
}
