// Inflating a PNG's zlib stream for the fast path (cpng_inflate.c); internal to CPNGShim.
#pragma once
#include <stddef.h>
#include <stdint.h>

/// Inflates `stream` (a zlib stream) into `out`, which holds `expected` bytes. Returns 1 if it
/// is one zlib accepts with a window of its own header's size, inflates to exactly `expected`
/// bytes and is followed by exactly the 4 bytes of its checksum; 0 otherwise (`out` then holds
/// unspecified bytes, and nothing was written past `expected`).
int cpng_inflate_zlib_stream(const uint8_t *stream, size_t length, uint8_t *out, size_t expected);
