// C side of the PNG codec. libpng reports errors by longjmp; every setjmp lives in
// cpng_shim.c, so a corrupt file comes back to Swift as a status code and a message,
// never as a jump through Swift frames, an abort or output on stderr.
#pragma once
#include <stddef.h>
#include <stdint.h>

typedef enum {
    CPNG_OK = 0,
    CPNG_ERROR = 1,        // libpng rejected the data; see the message
    CPNG_NO_MEMORY = 2,
    CPNG_TOO_LARGE = 3,    // the header exceeds the caller's limits; header->width/height are set
} cpng_status;

typedef struct cpng_reader cpng_reader;

/// Pixel layout after decoding: palette and tRNS are expanded, low bit depths widened to 8,
/// 16-bit samples kept in native byte order.
typedef struct {
    uint32_t width;
    uint32_t height;
    int channels;      // 1 grey, 2 grey+alpha, 3 RGB, 4 RGBA
    int bit_depth;     // 8 or 16
} cpng_header;

/// Reads the header of the PNG in `data` (which must stay alive until cpng_reader_free).
/// The size limits are applied as soon as IHDR is read, before libpng sizes its row buffers
/// (which it would otherwise allocate and clear for any declared width): CPNG_TOO_LARGE then.
/// No pixel memory is allocated here.
cpng_status cpng_reader_begin(const uint8_t *data, size_t length, uint64_t max_width, uint64_t max_height,
                              uint64_t max_pixels, cpng_reader **reader, cpng_header *header);

/// Decodes all pixels into `pixels`, rows packed, `row_bytes` = width * channels * bit_depth / 8.
cpng_status cpng_reader_finish(cpng_reader *reader, uint8_t *pixels, size_t capacity);

/// The last libpng error message of this reader ("" when none).
const char *cpng_reader_message(const cpng_reader *reader);

void cpng_reader_free(cpng_reader *reader);

/// Encodes `pixels` (one sample per byte for bit depths <= 8, native uint16 for 16) as a PNG.
/// color_type is libpng's (0 grey, 2 RGB, 3 palette, 4 grey+alpha, 6 RGBA).
/// For palette images `palette` holds palette_count RGB triples; `trans` holds trans_count
/// alpha values (palette) or one/three 16-bit colour values packed as uint16 (grey/RGB tRNS).
/// On success *out is malloc'd and must be released with cpng_free.
typedef struct {
    uint32_t width;
    uint32_t height;
    int color_type;
    int bit_depth;
    int interlaced;
    const uint8_t *palette;
    int palette_count;
    const uint8_t *trans_alpha;
    int trans_count;
    int has_trans_color;
    uint16_t trans_color[3];
    int compression_level;  // 0..9, or -1 for libpng's default
} cpng_encode_options;

cpng_status cpng_encode(const void *pixels, const cpng_encode_options *options,
                        uint8_t **out, size_t *out_length, char *message, size_t message_capacity);

void cpng_free(void *pointer);
