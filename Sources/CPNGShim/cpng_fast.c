// The PNG fast path (see cpng_fast.h). Three parts:
//   1. chunk parsing: signature, IHDR, the chunks before IDAT, the IDAT run, every CRC;
//   2. a deflate checker that walks the zlib stream's Huffman symbols without writing output,
//      applying zlib's rules (and a few stricter ones), so the fast path never takes a stream
//      that zlib, and therefore libpng, would refuse; libdeflate then inflates it in one call;
//   3. unfiltering in place (the rows move down by one filter byte each).
// Declining is always safe: the caller then runs libpng on the same bytes.
#include "cpng_fast.h"

#include <libdeflate.h>
#include <stdlib.h>
#include <string.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

// libpng (as the shim configures it) refuses any chunk longer than this; the fast path also
// declines them, even IDAT, which libpng may accept up to the image's size.
#define MAX_CHUNK_LENGTH (4u << 20)

static uint32_t be32(const uint8_t *p) {
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

static uint32_t tag(const char *name) { return be32((const uint8_t *)name); }

// A chunk at `offset`: its length and type, with the whole chunk inside the file and its CRC
// (over type and data) correct. Returns 0 otherwise.
static int read_chunk(const uint8_t *data, size_t length, size_t offset, uint32_t *chunk_length, uint32_t *type) {
    if (offset > length || length - offset < 12) return 0;
    uint32_t n = be32(data + offset);
    if (n > MAX_CHUNK_LENGTH || length - offset - 12 < n) return 0;
    uint32_t crc = (uint32_t)libdeflate_crc32(0, data + offset + 4, (size_t)n + 4);
    if (crc != be32(data + offset + 8 + n)) return 0;
    *chunk_length = n;
    *type = be32(data + offset + 4);
    return 1;
}

// Ancillary chunks that may stand between IHDR and IDAT on the fast path. libpng reads them
// but none changes the samples it returns (no gamma or background transform is requested),
// and it reports their defects as warnings. tRNS, PLTE and every other chunk decline.
static int harmless_before_idat(uint32_t type) {
    static const char *names[] = {"gAMA", "cHRM", "sRGB", "iCCP", "sBIT", "bKGD", "pHYs", "tIME", "tEXt", "zTXt", "iTXt"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        if (type == tag(names[i])) return 1;
    }
    return 0;
}

int cpng_fast_probe(const uint8_t *data, size_t length, cpng_fast_header *header) {
    static const uint8_t signature[8] = {0x89, 'P', 'N', 'G', 0x0D, 0x0A, 0x1A, 0x0A};
    if (!data || length < 8 || memcmp(data, signature, 8) != 0) return 0;
    uint32_t n, type;
    if (!read_chunk(data, length, 8, &n, &type) || type != tag("IHDR") || n != 13) return 0;
    const uint8_t *ihdr = data + 16;
    uint32_t width = be32(ihdr), height = be32(ihdr + 4);
    int depth = ihdr[8], color = ihdr[9];
    if (width == 0 || height == 0 || width > 0x7fffffffu || height > 0x7fffffffu) return 0;
    if (depth != 8 || ihdr[10] != 0 || ihdr[11] != 0 || ihdr[12] != 0) return 0;
    int channels;
    switch (color) {
    case 0: channels = 1; break;
    case 2: channels = 3; break;
    case 4: channels = 2; break;
    case 6: channels = 4; break;
    default: return 0;
    }
    size_t offset = 8 + 25;
    for (;;) {
        if (!read_chunk(data, length, offset, &n, &type)) return 0;
        if (type == tag("IDAT")) break;
        if (!harmless_before_idat(type)) return 0;
        offset += 12 + (size_t)n;
    }
    header->width = width;
    header->height = height;
    header->channels = channels;
    header->first_idat = offset;
    return 1;
}

// ---------------------------------------------------------------------------------------------
// Deflate checking (RFC 1950/1951 with zlib's acceptance rules)

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

#define FAST_BITS 11
typedef struct {
    uint16_t count[16];             // codes of each length
    uint16_t symbols[288];          // symbols ordered by (length, value): canonical order
    uint16_t table[1 << FAST_BITS]; // (symbol << 4) | length for short codes, 0 otherwise
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

// The next symbol, or -1 for a bit pattern that is no code (zlib: "invalid code").
static inline __attribute__((always_inline)) int decode(bit_reader *r, const huffman *h) {
    refill(r);
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
static int check_block(bit_reader *r, const huffman *lit, const huffman *dist, size_t *out, size_t expected,
                       size_t window) {
    for (;;) {
        int symbol = decode(r, lit);
        if (symbol < 0 || overrun(r)) return 0;
        if (symbol < 256) {
            if (*out == expected) return 0;
            (*out)++;
            continue;
        }
        if (symbol == 256) return 1;
        symbol -= 257;
        if (symbol >= 29) return 0;  // 286 and 287 (fixed code): zlib refuses them
        refill(r);
        size_t run = length_base[symbol] + take(r, length_extra[symbol]);
        if (dist->empty) return 0;
        int d = decode(r, dist);
        if (d < 0 || d >= 30) return 0;  // 30 and 31 (fixed code): zlib refuses them
        refill(r);
        size_t distance = distance_base[d] + take(r, distance_extra[d]);
        if (overrun(r)) return 0;
        // zlib keeps the last `window` bytes: a distance beyond that, or before the start, fails.
        if (distance > *out || distance > window) return 0;
        if (run > expected - *out) return 0;
        *out += run;
    }
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

// ---------------------------------------------------------------------------------------------
// Unfiltering

static inline uint8_t paeth(uint8_t a, uint8_t b, uint8_t c) {
    int p = (int)a + b - c;
    int pa = abs(p - a), pb = abs(p - b), pc = abs(p - c);
    if (pa <= pb && pa <= pc) return a;
    return pb <= pc ? b : c;
}

#if defined(__SSE2__)
// SSE2 versions for 1, 2 and 4 bytes a pixel (grey, grey+alpha, RGBA). Each loads its 16 bytes
// of `raw` before storing 16 bytes of `out`, so the in-place overlap (out before raw) is safe.

static void sub_sse2(uint8_t *out, const uint8_t *raw, size_t n, size_t bpp) {
    __m128i carry = _mm_setzero_si128();  // the last pixel of the previous block, in every slot
    size_t i = 0;
    for (; i + 16 <= n; i += 16) {
        __m128i x = _mm_loadu_si128((const __m128i *)(raw + i));
        // Prefix sums of pixels within the block, then the carry.
        if (bpp == 1) {
            x = _mm_add_epi8(x, _mm_slli_si128(x, 1));
            x = _mm_add_epi8(x, _mm_slli_si128(x, 2));
        } else if (bpp == 2) {
            x = _mm_add_epi8(x, _mm_slli_si128(x, 2));
        }
        x = _mm_add_epi8(x, _mm_slli_si128(x, 4));
        x = _mm_add_epi8(x, _mm_slli_si128(x, 8));
        x = _mm_add_epi8(x, carry);
        _mm_storeu_si128((__m128i *)(out + i), x);
        if (bpp == 1) {
            carry = _mm_set1_epi8((char)out[i + 15]);
        } else if (bpp == 2) {
            carry = _mm_shufflelo_epi16(_mm_srli_si128(x, 14), 0);
            carry = _mm_shuffle_epi32(carry, 0);
        } else {
            carry = _mm_shuffle_epi32(x, 0xFF);
        }
    }
    for (; i < n; i++) out[i] = (uint8_t)(raw[i] + (i >= bpp ? out[i - bpp] : 0));
}

static void up_sse2(uint8_t *out, const uint8_t *raw, const uint8_t *prev, size_t n) {
    size_t i = 0;
    for (; i + 16 <= n; i += 16) {
        __m128i x = _mm_loadu_si128((const __m128i *)(raw + i));
        __m128i b = _mm_loadu_si128((const __m128i *)(prev + i));
        _mm_storeu_si128((__m128i *)(out + i), _mm_add_epi8(x, b));
    }
    for (; i < n; i++) out[i] = (uint8_t)(raw[i] + prev[i]);
}

static __m128i load4(const uint8_t *p) {
    int32_t v;
    memcpy(&v, p, 4);
    return _mm_cvtsi32_si128(v);
}

static void store4(uint8_t *p, __m128i v) {
    int32_t x = _mm_cvtsi128_si32(v);
    memcpy(p, &x, 4);
}

// Average and Paeth for 4-byte pixels, one pixel at a time in 16-bit lanes (each pixel needs
// the one before it). `prev` is never NULL here.
static void average4_sse2(uint8_t *out, const uint8_t *raw, const uint8_t *prev, size_t n) {
    const __m128i zero = _mm_setzero_si128();
    __m128i a = zero;
    for (size_t i = 0; i < n; i += 4) {
        __m128i b = _mm_unpacklo_epi8(load4(prev + i), zero);
        __m128i x = _mm_unpacklo_epi8(load4(raw + i), zero);
        a = _mm_add_epi16(x, _mm_srli_epi16(_mm_add_epi16(a, b), 1));
        a = _mm_and_si128(a, _mm_set1_epi16(0xFF));
        store4(out + i, _mm_packus_epi16(a, a));
    }
}

static void paeth4_sse2(uint8_t *out, const uint8_t *raw, const uint8_t *prev, size_t n) {
    const __m128i zero = _mm_setzero_si128();
    __m128i a = zero, c = zero;
    for (size_t i = 0; i < n; i += 4) {
        __m128i b = _mm_unpacklo_epi8(load4(prev + i), zero);
        __m128i x = _mm_unpacklo_epi8(load4(raw + i), zero);
        // p = a + b - c; pa = |p - a| = |b - c|, pb = |p - b| = |a - c|, pc = |p - c|.
        __m128i bc = _mm_sub_epi16(b, c), ac = _mm_sub_epi16(a, c);
        __m128i pa = _mm_max_epi16(bc, _mm_sub_epi16(zero, bc));
        __m128i pb = _mm_max_epi16(ac, _mm_sub_epi16(zero, ac));
        __m128i sum = _mm_add_epi16(bc, ac);
        __m128i pc = _mm_max_epi16(sum, _mm_sub_epi16(zero, sum));
        // a if pa <= pb and pa <= pc, else b if pb <= pc, else c.
        __m128i not_a = _mm_or_si128(_mm_cmpgt_epi16(pa, pb), _mm_cmpgt_epi16(pa, pc));
        __m128i not_b = _mm_cmpgt_epi16(pb, pc);
        __m128i bc_pick = _mm_or_si128(_mm_and_si128(not_b, c), _mm_andnot_si128(not_b, b));
        __m128i predictor = _mm_or_si128(_mm_and_si128(not_a, bc_pick), _mm_andnot_si128(not_a, a));
        __m128i value = _mm_and_si128(_mm_add_epi16(x, predictor), _mm_set1_epi16(0xFF));
        store4(out + i, _mm_packus_epi16(value, value));
        a = value;
        c = b;
    }
}
#endif

// One row: `raw` holds the filtered bytes, `out` receives the row (it may overlap `raw` as long
// as it starts before it: every byte is read before that position is written). `prev` is the
// previous output row, or NULL for the first.
static int unfilter_row(int filter, uint8_t *out, const uint8_t *raw, const uint8_t *prev, size_t n, size_t bpp) {
#if defined(__SSE2__)
    if (bpp != 3) {
        if (filter == 1) {
            sub_sse2(out, raw, n, bpp);
            return 1;
        }
        if (filter == 2 && prev) {
            up_sse2(out, raw, prev, n);
            return 1;
        }
        if (bpp == 4 && prev && filter == 3) {
            average4_sse2(out, raw, prev, n);
            return 1;
        }
        if (bpp == 4 && prev && filter == 4) {
            paeth4_sse2(out, raw, prev, n);
            return 1;
        }
    }
#endif
    switch (filter) {
    case 0:
        memmove(out, raw, n);
        return 1;
    case 1:
        for (size_t i = 0; i < bpp && i < n; i++) out[i] = raw[i];
        for (size_t i = bpp; i < n; i++) out[i] = (uint8_t)(raw[i] + out[i - bpp]);
        return 1;
    case 2:
        if (!prev) {
            memmove(out, raw, n);
            return 1;
        }
        for (size_t i = 0; i < n; i++) out[i] = (uint8_t)(raw[i] + prev[i]);
        return 1;
    case 3:
        for (size_t i = 0; i < n; i++) {
            unsigned left = i >= bpp ? out[i - bpp] : 0, up = prev ? prev[i] : 0;
            out[i] = (uint8_t)(raw[i] + ((left + up) >> 1));
        }
        return 1;
    case 4:
        for (size_t i = 0; i < n; i++) {
            uint8_t left = i >= bpp ? out[i - bpp] : 0, up = prev ? prev[i] : 0;
            uint8_t corner = (prev && i >= bpp) ? prev[i - bpp] : 0;
            out[i] = (uint8_t)(raw[i] + paeth(left, up, corner));
        }
        return 1;
    default:
        return 0;  // libpng: "bad adaptive filter value"
    }
}

size_t cpng_fast_buffer_size(const cpng_fast_header *header) {
    size_t stride = (size_t)header->width * (size_t)header->channels;
    size_t raw_size;
    if (__builtin_mul_overflow(stride + 1, (size_t)header->height, &raw_size)) return 0;
    return raw_size;
}

int cpng_fast_decode(const uint8_t *data, size_t length, const cpng_fast_header *header,
                     uint8_t *pixels, size_t capacity) {
    size_t stride = (size_t)header->width * (size_t)header->channels;
    size_t raw_size = cpng_fast_buffer_size(header);
    if (raw_size == 0 || capacity < raw_size || !pixels) return 0;

    // The IDAT run: consecutive IDAT chunks, each whole and with a correct CRC.
    size_t offset = header->first_idat, total = 0, chunks = 0;
    uint32_t n, type;
    while (read_chunk(data, length, offset, &n, &type) && type == tag("IDAT")) {
        total += n;
        chunks++;
        offset += 12 + (size_t)n;
    }
    if (chunks == 0) return 0;
    const uint8_t *stream = data + header->first_idat + 8;
    uint8_t *joined = NULL;
    if (chunks > 1) {
        joined = malloc(total ? total : 1);
        if (!joined) return 0;
        size_t at = header->first_idat, filled = 0;
        for (size_t k = 0; k < chunks; k++) {
            uint32_t size = be32(data + at);
            memcpy(joined + filled, data + at + 8, size);
            filled += size;
            at += 12 + (size_t)size;
        }
        stream = joined;
    }

    int ok = cpng_fast_check_zlib_stream(stream, total, raw_size);
    if (ok) {
        struct libdeflate_decompressor *inflater = libdeflate_alloc_decompressor();
        size_t used_in = 0, used_out = 0;
        ok = inflater && libdeflate_deflate_decompress_ex(inflater, stream + 2, total - 6, pixels, raw_size,
                                                          &used_in, &used_out) == LIBDEFLATE_SUCCESS
             && used_out == raw_size && used_in == total - 6;
        if (inflater) libdeflate_free_decompressor(inflater);
    }
    free(joined);
    if (!ok) return 0;

    // Row y's filtered bytes start at y * (stride + 1) + 1 and move to y * stride.
    const uint8_t *prev = NULL;
    for (size_t y = 0; y < header->height; y++) {
        const uint8_t *raw = pixels + y * (stride + 1);
        uint8_t *out = pixels + y * stride;
        if (!unfilter_row(raw[0], out, raw + 1, prev, stride, (size_t)header->channels)) return 0;
        prev = out;
    }
    return 1;
}
