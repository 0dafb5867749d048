// The PNG fast path, part 3 of 3: unfiltering in place (the rows move down by one filter byte
// each), with SSE2 versions for 1, 2 and 4 bytes a pixel where the compiler targets SSE2.
#include "cpng_unfilter.h"

#include <string.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

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

// cpng_unfilter.h says what a row is and which overlap is allowed.
int cpng_unfilter_row(int filter, uint8_t *out, const uint8_t *raw, const uint8_t *prev, size_t n, size_t bpp) {
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
