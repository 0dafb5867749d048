// C side of the JPEG codec. libjpeg reports fatal errors through error_exit, which must not
// return; the shim's error manager records the message and longjmps to a setjmp inside this
// C file, so Swift only ever sees a status code. Warnings and trace output are swallowed.
#pragma once
#include <stddef.h>
#include <stdint.h>

typedef enum {
    CJPEG_OK = 0,
    CJPEG_ERROR = 1,        // libjpeg rejected the data; see the message
    CJPEG_NO_MEMORY = 2,
    CJPEG_UNSUPPORTED = 3,  // valid JPEG in a colour space we do not convert (CMYK, YCCK)
} cjpeg_status;

typedef struct cjpeg_reader cjpeg_reader;

typedef struct {
    uint32_t width;
    uint32_t height;
    int channels;     // output channels: 1 grey or 3 RGB
    int progressive;
} cjpeg_header;

/// Reads the JPEG header. `data` must stay alive until cjpeg_reader_free. `max_memory` bounds
/// libjpeg's working memory (coefficient buffers of progressive files included); `max_scans`
/// bounds the number of progressive scans, which is where a tiny file can burn CPU.
cjpeg_status cjpeg_reader_begin(const uint8_t *data, size_t length, long max_memory, int max_scans,
                                cjpeg_reader **reader, cjpeg_header *header);

/// Decodes into `pixels` (width * channels bytes per row, rows packed).
cjpeg_status cjpeg_reader_finish(cjpeg_reader *reader, uint8_t *pixels, size_t capacity);

const char *cjpeg_reader_message(const cjpeg_reader *reader);

void cjpeg_reader_free(cjpeg_reader *reader);

/// Encodes 8-bit pixels: channels 1 (grey), 3 (RGB) or 4 (CMYK, written as stored, with an
/// Adobe marker). On success *out is malloc'd and must be released with cjpeg_free.
cjpeg_status cjpeg_encode(const uint8_t *pixels, uint32_t width, uint32_t height, int channels,
                          int quality, int progressive, uint8_t **out, size_t *out_length,
                          char *message, size_t message_capacity);

void cjpeg_free(void *pointer);
