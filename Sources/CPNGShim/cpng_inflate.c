// The PNG fast path, part 2 of 3: an inflater (RFC 1950/1951) that applies zlib's acceptance
// rules (and a few stricter ones) as it goes, so the fast path never takes a stream that zlib,
// and therefore libpng, would refuse. One pass: a general inflater such as libdeflate accepts
// some streams zlib refuses, so taking it would mean checking every symbol in a pass of its
// own first, which on a scan's grainy paper cost more than the inflating.
#include "cpng_bits.h"
#include "cpng_inflate.h"

#include <string.h>

#define FAST_BITS 11
typedef struct {
    uint16_t count[16];             // codes of each length
    uint16_t symbols[288];          // symbols ordered by (length, value): canonical order
    uint16_t table[1 << FAST_BITS]; // (symbol << 4) | length for short codes, 0 otherwise
    // What the next FAST_BITS bits hold when it is known from them alone (`build_fast`), or 0:
    // literal/length codes: one or two literals (their values), or a length code and its extra bits (the
    // length itself); distance codes: a code (its base distance and how many extra bits follow).
    uint32_t fast[1 << FAST_BITS];
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

static const uint16_t length_base[29] = {3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31,
                                         35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258};
static const uint8_t length_extra[29] = {0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2,
                                         3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0};
static const uint16_t distance_base[30] = {1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193,
                                           257, 385, 513, 769, 1025, 1537, 2049, 3073, 4097, 6145,
                                           8193, 12289, 16385, 24577};
static const uint8_t distance_extra[30] = {0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6,
                                           7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13};

// Entries of `fast`. Bits 0-3: the bits the entry takes (at most FAST_BITS); literal/length
// entries: FAST_LITERALS with the count (1 or 2) in bits 8-9 and the literals in bits 16-23
// and 24-31, or FAST_LENGTH with the length in bits 16-24; distance entries: the code's extra bits in bits 4-7 (up to 13, read after
// it: too many to be in the table) and the distance they add to in bits 8-23.
enum { FAST_LITERALS = 1u << 4, FAST_LENGTH = 1u << 5 };

// Fills `fast` from `table`. An entry found at the bits left after a first code of length l1
// (a second literal, or the extra bits) is only known when it fits in the FAST_BITS - l1 bits
// that are really there. Lengths get entries only when `distances` has codes: a match with
// none is refused on the slow path, as are codes longer than FAST_BITS, end-of-block, 286,
// 287 and the distances 30 and 31.
static void build_fast(huffman *h, int literal_length, const huffman *distances) {
    for (unsigned slot = 0; slot < (1u << FAST_BITS); slot++) {
        uint16_t first = h->table[slot];
        unsigned symbol = first >> 4, l1 = first & 15, rest = slot >> l1;
        uint32_t entry = 0;
        if (!first) {
        } else if (!literal_length) {
            if (symbol < 30) entry = ((uint32_t)distance_base[symbol] << 8) | (distance_extra[symbol] << 4) | l1;
        } else if (symbol < 256) {
            uint16_t second = h->table[rest];
            unsigned l2 = second & 15;
            entry = second && (second >> 4) < 256 && l1 + l2 <= FAST_BITS
                ? FAST_LITERALS | (2u << 8) | ((uint32_t)(second >> 4) << 24) | (symbol << 16) | (l1 + l2)
                : FAST_LITERALS | (1u << 8) | (symbol << 16) | l1;
        } else if (symbol >= 257 && symbol < 286 && !distances->empty) {
            unsigned extra = length_extra[symbol - 257];
            if (l1 + extra <= FAST_BITS) {
                uint32_t length = length_base[symbol - 257] + (rest & ((1u << extra) - 1));
                entry = FAST_LENGTH | (length << 16) | (l1 + extra);
            }
        }
        h->fast[slot] = entry;
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

// Copies a match of `run` bytes from `distance` back (both checked by the caller).
static inline __attribute__((always_inline)) void copy_match(uint8_t *dst, size_t distance, size_t run,
                                                             size_t room) {
    const uint8_t *src = dst - distance;
    if (distance >= 8 && run + 8 <= room) {
        // Whole words, up to 7 bytes past the run (still inside the output, and written again
        // later): each word's source lies before its destination, already written.
        for (size_t done = 0; done < run; done += 8) memcpy(dst + done, src + done, 8);
    } else if (distance == 1) {
        memset(dst, src[0], run);
    } else {
        for (size_t i = 0; i < run; i++) dst[i] = src[i];
    }
}

// Writes a literal entry's one or two literals; 0 when they do not fit before `expected`. Both
// bytes are stored in one go when there is room: the second of a single literal is written
// over by whatever comes next.
static inline __attribute__((always_inline)) int put_literals(uint8_t *dst, size_t *out, size_t expected,
                                                              uint32_t entry) {
    size_t literals = (entry >> 8) & 3;
    if (expected - *out >= 2) {
        uint16_t both = (uint16_t)(entry >> 16);
        memcpy(dst + *out, &both, 2);
    } else {
        if (expected - *out < literals) return 0;
        dst[*out] = (uint8_t)(entry >> 16);
    }
    *out += literals;
    return 1;
}

// Symbols of one compressed block until end-of-block, written to `dst` from `*out_count` on.
// The hot loop of the fast path, one pass over every symbol of the stream, so it is written for
// speed. It works on local copies of the reader and the count, written back once at the end
// (through the pointers the compiler must assume they alias, and reloads them for every
// literal). On a scan's grainy paper a third of the symbols are literals and most of the rest
// short matches, so both go by the `fast` tables: a literal or two, or a match whose length
// code and extra bits fit (at most FAST_BITS = 11 of the 56 bits a refill leaves, then a
// distance code and 13 extra bits: 39). Every failure returns 0, whatever its order, and
// nothing is written past `expected`; a literal past `expected` fails whether it comes first or
// second of its pair; and an overrun, once it has happened, stays, so testing for one at each
// refill and after each match refuses exactly the streams a test after every symbol would. It
// can only hold once the reader has supplied zero bytes past the end (`next > length`), the
// cheap test that guards it.
static int inflate_block(bit_reader *reader, const huffman *lit, const huffman *dist, uint8_t *dst,
                         size_t *out_count, size_t expected, size_t window) {
    bit_reader r = *reader;
    size_t out = *out_count;
    const unsigned mask = (1u << FAST_BITS) - 1;
    int ok = 0;
    for (;;) {
        refill(&r);
        if (r.next > r.length && overrun(&r)) break;
        uint32_t entry = lit->fast[r.bits & mask];
        size_t run;
        if (entry & FAST_LITERALS) {
            // Two literal entries from one refill (at most 2 x FAST_BITS = 22 of the 56 bits),
            // and a refill before anything else: the slow path needs 48.
            if (!put_literals(dst, &out, expected, entry)) break;
            take(&r, entry & 15);
            entry = lit->fast[r.bits & mask];
            if (entry & FAST_LITERALS) {
                if (!put_literals(dst, &out, expected, entry)) break;
                take(&r, entry & 15);
                continue;
            }
            refill(&r);
            if (r.next > r.length && overrun(&r)) break;
        }
        if (entry & FAST_LENGTH) {
            run = entry >> 16;
            take(&r, entry & 15);
        } else {
            // A whole match, from this one refill: a length code of at most 15 bits and 5 extra
            // bits, a distance code of at most 15 and 13 extra bits, 48 of the 56 buffered.
            int symbol = decode_buffered(&r, lit);
            if (symbol < 0 || (r.next > r.length && overrun(&r))) break;
            if (symbol < 256) {
                if (out == expected) break;
                dst[out++] = (uint8_t)symbol;
                continue;
            }
            if (symbol == 256) {
                ok = 1;
                break;
            }
            symbol -= 257;
            if (symbol >= 29) break;  // 286 and 287 (fixed code): zlib refuses them
            run = length_base[symbol] + take(&r, length_extra[symbol]);
            if (dist->empty) break;
        }
        size_t distance;
        uint32_t near = dist->fast[r.bits & mask];
        if (near) {
            take(&r, near & 15);
            distance = (near >> 8) + take(&r, (near >> 4) & 15);
        } else {
            int d = decode_buffered(&r, dist);
            if (d < 0 || d >= 30) break;  // 30 and 31 (fixed code): zlib refuses them
            distance = distance_base[d] + take(&r, distance_extra[d]);
        }
        if (r.next > r.length && overrun(&r)) break;
        // zlib keeps the last `window` bytes: a distance beyond that, or before the start, fails.
        if (distance > out || distance > window) break;
        if (run > expected - out) break;
        copy_match(dst + out, distance, run, expected - out);
        out += run;
    }
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
    if (!build(lit, lengths, nlen, COMPLETE_ONLY) || !build(dist, lengths + nlen, ndist, DISTANCE_RULES)) return 0;
    build_fast(dist, 0, dist);
    build_fast(lit, 1, dist);
    return 1;
}

// Inflates a raw deflate stream into `dst`; on success *consumed is its length in whole bytes.
static int inflate_raw(const uint8_t *in, size_t length, uint8_t *dst, size_t expected, size_t window,
                       size_t *consumed) {
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
            memcpy(dst + out, in + at, stored);
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
            build_fast(&dist, 0, &dist);
            build_fast(&lit, 1, &dist);
            if (!inflate_block(&r, &lit, &dist, dst, &out, expected, window)) return 0;
        } else if (type == 2) {
            if (!read_dynamic(&r, &lit, &dist)) return 0;
            if (!inflate_block(&r, &lit, &dist, dst, &out, expected, window)) return 0;
        } else {
            return 0;
        }
        if (overrun(&r)) return 0;
    }
    if (out != expected) return 0;
    *consumed = (bits_used(&r) + 7) / 8;
    return *consumed <= length;
}

int cpng_inflate_zlib_stream(const uint8_t *stream, size_t length, uint8_t *out, size_t expected) {
    if (length < 2) return 0;
    unsigned cmf = stream[0], flg = stream[1];
    // What zlib's inflate checks in the header (libpng lets zlib take the window size from it).
    if ((cmf & 15) != 8 || (cmf >> 4) > 7 || ((cmf << 8) | flg) % 31 != 0 || (flg & 0x20)) return 0;
    size_t window = (size_t)1 << ((cmf >> 4) + 8);
    size_t consumed;
    if (!inflate_raw(stream + 2, length - 2, out, expected, window, &consumed)) return 0;
    // The Adler-32 must follow (libpng skips checking it, but zlib still reads it), and nothing
    // after it: libpng would stop reading there, and a fast path that guessed wrong about
    // trailing bytes could disagree with it.
    return length - 2 - consumed == 4;
}
