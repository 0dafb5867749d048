// The PNG fast path, part 1 of 3: chunk parsing (signature, IHDR, the chunks before IDAT, the
// IDAT run, every CRC) and the decode that ties the parts together: the stream is inflated
// under zlib's rules (cpng_inflate.c) and unfiltered in place (cpng_unfilter.c). Declining is always safe: the caller then runs libpng
// on the same bytes (cpng_fast.h).
#include "cpng_fast.h"
#include "cpng_inflate.h"
#include "cpng_unfilter.h"

#include <libdeflate.h>
#include <stdlib.h>
#include <string.h>


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

    int ok = cpng_inflate_zlib_stream(stream, total, pixels, raw_size);
    free(joined);
    if (!ok) return 0;

    // Row y's filtered bytes start at y * (stride + 1) + 1 and move to y * stride.
    const uint8_t *prev = NULL;
    for (size_t y = 0; y < header->height; y++) {
        const uint8_t *raw = pixels + y * (stride + 1);
        uint8_t *out = pixels + y * stride;
        if (!cpng_unfilter_row(raw[0], out, raw + 1, prev, stride, (size_t)header->channels)) return 0;
        prev = out;
    }
    return 1;
}
