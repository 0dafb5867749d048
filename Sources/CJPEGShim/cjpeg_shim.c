// libjpeg(-turbo) behind a setjmp-based error manager. A premature end of data is only a
// warning to libjpeg (it pads with grey); we make it fatal, because a truncated upload should
// be reported rather than recognised.
#include "cjpeg_shim.h"

#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jpeglib.h>
#include <jerror.h>

#define MESSAGE_CAPACITY 200

typedef struct {
    struct jpeg_error_mgr base;
    jmp_buf jump;
    char message[MESSAGE_CAPACITY];
} error_manager;

typedef struct {
    struct jpeg_progress_mgr base;
    j_decompress_ptr owner;
    int max_scans;
} scan_guard;

struct cjpeg_reader {
    struct jpeg_decompress_struct info;
    error_manager errors;
    scan_guard guard;
    int started;
};

static void format_message(j_common_ptr cinfo) {
    error_manager *errors = (error_manager *)cinfo->err;
    char text[JMSG_LENGTH_MAX];
    (*cinfo->err->format_message)(cinfo, text);
    strncpy(errors->message, text, MESSAGE_CAPACITY - 1);
    errors->message[MESSAGE_CAPACITY - 1] = 0;
}

static void on_error_exit(j_common_ptr cinfo) {
    format_message(cinfo);
    longjmp(((error_manager *)cinfo->err)->jump, 1);
}

static void on_emit_message(j_common_ptr cinfo, int level) {
    // level -1 is a warning about corrupt data; the rest is tracing.
    if (level == -1 && cinfo->err->msg_code == JWRN_JPEG_EOF) on_error_exit(cinfo);
}

static void on_output_message(j_common_ptr cinfo) { (void)cinfo; }

static void install_errors(error_manager *errors) {
    jpeg_std_error(&errors->base);
    errors->base.error_exit = on_error_exit;
    errors->base.emit_message = on_emit_message;
    errors->base.output_message = on_output_message;
    errors->message[0] = 0;
}

static void check_scans(j_common_ptr cinfo) {
    scan_guard *guard = (scan_guard *)cinfo->progress;
    if (guard->owner->input_scan_number > guard->max_scans) {
        error_manager *errors = (error_manager *)cinfo->err;
        snprintf(errors->message, MESSAGE_CAPACITY, "more than %d progressive scans", guard->max_scans);
        longjmp(errors->jump, 1);
    }
}

cjpeg_status cjpeg_reader_begin(const uint8_t *data, size_t length, long max_memory, int max_scans,
                                cjpeg_reader **out, cjpeg_header *header) {
    *out = NULL;
    cjpeg_reader *reader = calloc(1, sizeof(cjpeg_reader));
    if (!reader) return CJPEG_NO_MEMORY;
    *out = reader;
    j_decompress_ptr info = &reader->info;
    install_errors(&reader->errors);
    info->err = &reader->errors.base;
    if (setjmp(reader->errors.jump)) return CJPEG_ERROR;
    jpeg_create_decompress(info);
    reader->started = 1;
    info->mem->max_memory_to_use = max_memory;
    reader->guard.base.progress_monitor = check_scans;
    reader->guard.owner = info;
    reader->guard.max_scans = max_scans;
    info->progress = &reader->guard.base;
    jpeg_mem_src(info, data, (unsigned long)length);
    jpeg_read_header(info, TRUE);

    if (info->jpeg_color_space == JCS_CMYK || info->jpeg_color_space == JCS_YCCK) {
        strncpy(reader->errors.message, "CMYK JPEG images are not supported", MESSAGE_CAPACITY - 1);
        return CJPEG_UNSUPPORTED;
    }
    info->out_color_space = info->num_components == 1 ? JCS_GRAYSCALE : JCS_RGB;
    header->width = info->image_width;
    header->height = info->image_height;
    header->channels = info->num_components == 1 ? 1 : 3;
    header->progressive = jpeg_has_multiple_scans(info) ? 1 : 0;
    return CJPEG_OK;
}

cjpeg_status cjpeg_reader_finish(cjpeg_reader *reader, uint8_t *pixels, size_t capacity) {
    j_decompress_ptr info = &reader->info;
    if (setjmp(reader->errors.jump)) return CJPEG_ERROR;
    jpeg_start_decompress(info);
    size_t stride = (size_t)info->output_width * (size_t)info->output_components;
    if (stride == 0 || capacity / stride < info->output_height) {
        strncpy(reader->errors.message, "pixel buffer does not match the header", MESSAGE_CAPACITY - 1);
        return CJPEG_ERROR;
    }
    while (info->output_scanline < info->output_height) {
        JSAMPROW row = pixels + (size_t)info->output_scanline * stride;
        jpeg_read_scanlines(info, &row, 1);
    }
    // Trailing garbage after the image is not our concern; jpeg_finish_decompress is skipped.
    return CJPEG_OK;
}

const char *cjpeg_reader_message(const cjpeg_reader *reader) {
    return reader ? reader->errors.message : "out of memory";
}

void cjpeg_reader_free(cjpeg_reader *reader) {
    if (!reader) return;
    if (reader->started) {
        // jpeg_destroy does not call error_exit, but keep a landing pad for safety.
        if (setjmp(reader->errors.jump) == 0) jpeg_destroy_decompress(&reader->info);
    }
    free(reader);
}

cjpeg_status cjpeg_encode(const uint8_t *pixels, uint32_t width, uint32_t height, int channels,
                          int quality, int progressive, uint8_t **out, size_t *out_length,
                          char *message, size_t message_capacity) {
    *out = NULL;
    *out_length = 0;
    if (message_capacity) message[0] = 0;
    if (width == 0 || height == 0 || (channels != 1 && channels != 3 && channels != 4)) {
        if (message_capacity) snprintf(message, message_capacity, "invalid encode options");
        return CJPEG_ERROR;
    }
    // Everything libjpeg may change before a longjmp lives on the heap, behind a pointer that
    // is never reassigned, so its contents are reliable in the landing pad.
    typedef struct {
        struct jpeg_compress_struct info;
        error_manager errors;
        unsigned char *buffer;
        unsigned long size;
    } encoder;
    encoder *e = calloc(1, sizeof(encoder));
    if (!e) return CJPEG_NO_MEMORY;
    install_errors(&e->errors);
    e->info.err = &e->errors.base;
    if (setjmp(e->errors.jump)) {
        if (message_capacity) snprintf(message, message_capacity, "%s", e->errors.message);
        jpeg_destroy_compress(&e->info);
        free(e->buffer);
        free(e);
        return CJPEG_ERROR;
    }
    jpeg_create_compress(&e->info);
    jpeg_mem_dest(&e->info, &e->buffer, &e->size);
    e->info.image_width = width;
    e->info.image_height = height;
    e->info.input_components = channels;
    e->info.in_color_space = channels == 1 ? JCS_GRAYSCALE : channels == 3 ? JCS_RGB : JCS_CMYK;
    jpeg_set_defaults(&e->info);
    jpeg_set_quality(&e->info, quality, TRUE);
    if (progressive) jpeg_simple_progression(&e->info);
    jpeg_start_compress(&e->info, TRUE);
    size_t stride = (size_t)width * (size_t)channels;
    while (e->info.next_scanline < e->info.image_height) {
        JSAMPROW row = (JSAMPROW)(pixels + (size_t)e->info.next_scanline * stride);
        jpeg_write_scanlines(&e->info, &row, 1);
    }
    jpeg_finish_compress(&e->info);
    jpeg_destroy_compress(&e->info);
    *out = e->buffer;
    *out_length = e->size;
    free(e);
    return CJPEG_OK;
}

void cjpeg_free(void *pointer) { free(pointer); }
