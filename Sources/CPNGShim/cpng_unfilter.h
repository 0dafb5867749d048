// Unfiltering of one PNG row for the fast path (cpng_unfilter.c); internal to CPNGShim.
#pragma once
#include <stddef.h>
#include <stdint.h>

/// One row: `raw` holds the filtered bytes, `out` receives the row (it may overlap `raw` as long
/// as it starts before it: every byte is read before that position is written). `prev` is the
/// previous output row, or NULL for the first. Returns 0 for a filter type libpng refuses.
int cpng_unfilter_row(int filter, uint8_t *out, const uint8_t *raw, const uint8_t *prev, size_t n, size_t bpp);
