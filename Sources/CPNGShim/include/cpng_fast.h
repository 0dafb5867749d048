// A fast path for the PNGs browsers and most encoders write: 8-bit grey, grey+alpha, RGB or
// RGBA, not interlaced, no palette and no tRNS. The chunks are parsed here, IDAT is inflated
// in one pass under zlib's rules and unfiltered straight into the caller's buffer.
//
// The fast path only ever takes a file libpng would decode to the very same samples. Anything
// it is not sure of (another pixel format, an unexpected chunk, a bad CRC, a deflate stream
// zlib would refuse or that does not end exactly where the pixels do) makes it decline, and
// the caller decodes the file with libpng instead, so errors and their messages stay libpng's.
#pragma once
#include <stddef.h>
#include <stdint.h>

typedef struct {
    uint32_t width;
    uint32_t height;
    int channels;        // 1 grey, 2 grey+alpha, 3 RGB, 4 RGBA; always 8 bits per sample
    size_t first_idat;   // offset of the first IDAT chunk (its length field)
} cpng_fast_header;

/// Reads the signature, IHDR and the chunks before the first IDAT. Returns 1 when the fast
/// path takes the file (header filled in; nothing allocated), 0 when the caller must use libpng.
int cpng_fast_probe(const uint8_t *data, size_t length, cpng_fast_header *header);

/// Bytes `pixels` must hold for cpng_fast_decode: the inflated size, height * (1 + width *
/// channels), since the rows are unfiltered in place; 0 if that overflows.
size_t cpng_fast_buffer_size(const cpng_fast_header *header);

/// Inflates and unfilters the image into `pixels`: afterwards its first height * width * channels
/// bytes are the rows, packed. Returns 1 on success, 0 when the caller must use libpng instead
/// (the buffer then holds unspecified bytes). Allocates nothing but a copy of the IDAT data
/// when it spans several chunks.
int cpng_fast_decode(const uint8_t *data, size_t length, const cpng_fast_header *header,
                     uint8_t *pixels, size_t capacity);
