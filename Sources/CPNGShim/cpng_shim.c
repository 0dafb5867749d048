// libpng with the classic API so every colour type, bit depth and interlace mode is under our
// control. Error handling: libpng calls on_error, which records the message and longjmps back
// to the setjmp in the same C function; warnings are dropped so nothing reaches stderr.
#include "cpng_shim.h"

#include <png.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>

#define MESSAGE_CAPACITY 200

struct cpng_reader {
    png_structp png;
    png_infop info;
    const uint8_t *data;
    size_t length;
    size_t offset;
    char message[MESSAGE_CAPACITY];
    uint32_t width, height;
    size_t row_bytes;
};

static void record(char *buffer, size_t capacity, const char *text) {
    if (capacity == 0) return;
    strncpy(buffer, text ? text : "unknown error", capacity - 1);
    buffer[capacity - 1] = 0;
}

static void on_read_error(png_structp png, png_const_charp text) {
    cpng_reader *reader = (cpng_reader *)png_get_error_ptr(png);
    if (reader) record(reader->message, MESSAGE_CAPACITY, text);
    png_longjmp(png, 1);
}

static void on_warning(png_structp png, png_const_charp text) {
    (void)png;
    (void)text;
}

static void read_from_memory(png_structp png, png_bytep out, size_t count) {
    cpng_reader *reader = (cpng_reader *)png_get_io_ptr(png);
    if (count > reader->length - reader->offset) png_error(png, "truncated data");
    memcpy(out, reader->data + reader->offset, count);
    reader->offset += count;
}

cpng_status cpng_reader_begin(const uint8_t *data, size_t length, uint64_t max_width, uint64_t max_height,
                              uint64_t max_pixels, cpng_reader **out, cpng_header *header) {
    *out = NULL;
    cpng_reader *reader = calloc(1, sizeof(cpng_reader));
    if (!reader) return CPNG_NO_MEMORY;
    *out = reader;
    reader->data = data;
    reader->length = length;
    reader->png = png_create_read_struct(PNG_LIBPNG_VER_STRING, reader, on_read_error, on_warning);
    if (!reader->png) return CPNG_NO_MEMORY;
    reader->info = png_create_info_struct(reader->png);
    if (!reader->info) return CPNG_NO_MEMORY;

    png_structp png = reader->png;
    png_infop info = reader->info;
    if (setjmp(png_jmpbuf(png))) return CPNG_ERROR;

    png_set_read_fn(png, reader, read_from_memory);
    // The caller applies its own width/height limits (to report "too large" rather than
    // "corrupt"), so libpng's are opened to the format's maximum here.
    png_set_user_limits(png, 0x7fffffff, 0x7fffffff);
    // Bound ancillary data: few chunks, small decompressed text/ICC payloads.
    png_set_chunk_cache_max(png, 64);
    png_set_chunk_malloc_max(png, 4u << 20);
    png_set_keep_unknown_chunks(png, PNG_HANDLE_CHUNK_NEVER, NULL, 0);
#ifdef PNG_IGNORE_ADLER32
    // zlib's Adler-32 over the inflated pixels costs ~10 % of a canvas decode; every IDAT
    // chunk's CRC-32 is still verified, so damaged bytes are still caught.
    png_set_option(png, PNG_IGNORE_ADLER32, PNG_OPTION_ON);
#endif
    png_read_info(png, info);

    // png_read_update_info allocates and zeroes row buffers from the declared width (3 GB for
    // a 4 KB file claiming 754 million columns), so the limits must come first.
    uint64_t declared_width = png_get_image_width(png, info), declared_height = png_get_image_height(png, info);
    if (declared_width > max_width || declared_height > max_height || declared_width * declared_height > max_pixels) {
        header->width = (uint32_t)declared_width;
        header->height = (uint32_t)declared_height;
        return CPNG_TOO_LARGE;
    }

    int color_type = png_get_color_type(png, info);
    int bit_depth = png_get_bit_depth(png, info);
    if (color_type == PNG_COLOR_TYPE_PALETTE) png_set_palette_to_rgb(png);
    if (color_type == PNG_COLOR_TYPE_GRAY && bit_depth < 8) png_set_expand_gray_1_2_4_to_8(png);
    if (png_get_valid(png, info, PNG_INFO_tRNS)) png_set_tRNS_to_alpha(png);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    if (bit_depth == 16) png_set_swap(png);
#endif
    png_set_interlace_handling(png);
    png_read_update_info(png, info);

    reader->width = png_get_image_width(png, info);
    reader->height = png_get_image_height(png, info);
    reader->row_bytes = png_get_rowbytes(png, info);
    header->width = reader->width;
    header->height = reader->height;
    header->channels = png_get_channels(png, info);
    header->bit_depth = png_get_bit_depth(png, info);
    return CPNG_OK;
}

cpng_status cpng_reader_finish(cpng_reader *reader, uint8_t *pixels, size_t capacity) {
    png_structp png = reader->png;
    if (reader->height == 0 || reader->row_bytes == 0 ||
        capacity / reader->row_bytes < reader->height) {
        record(reader->message, MESSAGE_CAPACITY, "pixel buffer does not match the header");
        return CPNG_ERROR;
    }
    png_bytep *rows = malloc(sizeof(png_bytep) * reader->height);
    if (!rows) return CPNG_NO_MEMORY;
    for (uint32_t y = 0; y < reader->height; y++) rows[y] = pixels + (size_t)y * reader->row_bytes;
    // `rows` is volatile-free: it is only freed after setjmp returns, and never modified after.
    if (setjmp(png_jmpbuf(png))) {
        free(rows);
        return CPNG_ERROR;
    }
    png_read_image(png, rows);
    free(rows);
    return CPNG_OK;
}

const char *cpng_reader_message(const cpng_reader *reader) {
    return reader ? reader->message : "out of memory";
}

void cpng_reader_free(cpng_reader *reader) {
    if (!reader) return;
    if (reader->png) png_destroy_read_struct(&reader->png, reader->info ? &reader->info : NULL, NULL);
    free(reader);
}

// ---------------------------------------------------------------------------------------------
// Writing

typedef struct {
    uint8_t *bytes;
    size_t length;
    size_t capacity;
    int failed;
    char message[MESSAGE_CAPACITY];
} memory_sink;

static void on_write_error(png_structp png, png_const_charp text) {
    memory_sink *sink = (memory_sink *)png_get_error_ptr(png);
    if (sink) record(sink->message, MESSAGE_CAPACITY, text);
    png_longjmp(png, 1);
}

static void write_to_memory(png_structp png, png_bytep data, size_t count) {
    memory_sink *sink = (memory_sink *)png_get_io_ptr(png);
    if (count > SIZE_MAX - sink->length) png_error(png, "output too large");
    if (sink->length + count > sink->capacity) {
        size_t capacity = sink->capacity ? sink->capacity : 4096;
        while (capacity < sink->length + count) capacity *= 2;
        uint8_t *grown = realloc(sink->bytes, capacity);
        if (!grown) png_error(png, "out of memory");
        sink->bytes = grown;
        sink->capacity = capacity;
    }
    memcpy(sink->bytes + sink->length, data, count);
    sink->length += count;
}

static void flush_nothing(png_structp png) { (void)png; }

cpng_status cpng_encode(const void *pixels, const cpng_encode_options *o,
                        uint8_t **out, size_t *out_length, char *message, size_t message_capacity) {
    *out = NULL;
    *out_length = 0;
    if (message_capacity) message[0] = 0;
    static const int channels_of[7] = {1, 0, 3, 1, 2, 0, 4};
    if (o->color_type < 0 || o->color_type > 6 || channels_of[o->color_type] == 0 ||
        o->width == 0 || o->height == 0) {
        record(message, message_capacity, "invalid encode options");
        return CPNG_ERROR;
    }
    size_t bytes_per_sample = o->bit_depth == 16 ? 2 : 1;
    size_t stride = (size_t)o->width * channels_of[o->color_type] * bytes_per_sample;

    memory_sink sink = {0};
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, &sink, on_write_error, on_warning);
    if (!png) return CPNG_NO_MEMORY;
    png_infop info = png_create_info_struct(png);
    if (!info) {
        png_destroy_write_struct(&png, NULL);
        return CPNG_NO_MEMORY;
    }
    if (setjmp(png_jmpbuf(png))) {
        record(message, message_capacity, sink.message);
        png_destroy_write_struct(&png, &info);
        free(sink.bytes);
        return CPNG_ERROR;
    }
    png_set_write_fn(png, &sink, write_to_memory, flush_nothing);
    if (o->compression_level >= 0) png_set_compression_level(png, o->compression_level);
    png_set_IHDR(png, info, o->width, o->height, o->bit_depth, o->color_type,
                 o->interlaced ? PNG_INTERLACE_ADAM7 : PNG_INTERLACE_NONE,
                 PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    if (o->color_type == PNG_COLOR_TYPE_PALETTE) {
        png_color colors[256];
        int count = o->palette_count > 256 ? 256 : o->palette_count;
        for (int i = 0; i < count; i++) {
            colors[i].red = o->palette[3 * i];
            colors[i].green = o->palette[3 * i + 1];
            colors[i].blue = o->palette[3 * i + 2];
        }
        png_set_PLTE(png, info, colors, count);
        if (o->trans_alpha && o->trans_count > 0) png_set_tRNS(png, info, o->trans_alpha, o->trans_count, NULL);
    } else if (o->has_trans_color) {
        png_color_16 color = {0};
        color.gray = o->trans_color[0];
        color.red = o->trans_color[0];
        color.green = o->trans_color[1];
        color.blue = o->trans_color[2];
        png_set_tRNS(png, info, NULL, 0, &color);
    }
    png_write_info(png, info);
    if (o->bit_depth < 8) png_set_packing(png);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    if (o->bit_depth == 16) png_set_swap(png);
#endif
    int passes = png_set_interlace_handling(png);
    for (int pass = 0; pass < passes; pass++) {
        for (uint32_t y = 0; y < o->height; y++) {
            png_write_row(png, (png_const_bytep)pixels + (size_t)y * stride);
        }
    }
    png_write_end(png, info);
    png_destroy_write_struct(&png, &info);
    *out = sink.bytes;
    *out_length = sink.length;
    return CPNG_OK;
}

void cpng_free(void *pointer) { free(pointer); }
