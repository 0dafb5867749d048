import LayerPlan

/// Stride-1 convolution without an im2col copy.
///
/// The input is copied once into a zero-padded layout `[C][N][Hp][Wp]`.
/// Numbering output columns by their top-left tap in that padded grid,
/// j = n·Hp·Wp + y·Wp + x, the tap (c, ky, kx) of column j sits at
/// `c·N·Hp·Wp + ky·Wp + kx + j`: every B row is the padded input itself at a
/// fixed offset, so the micro-kernel loads its vectors straight from it.
/// The price is computing the columns that fall in the padding (x ≥ outW,
/// or the rows between glyphs), which a compaction pass then drops; the
/// gain is no per-tap gather, which dominates when outputs are small.
extension Kernels {
    struct ShiftedGeometry {
        let paddedHeight: Int, paddedWidth: Int
        /// Columns from the first valid output to the last, junk included.
        let rawColumns: Int
        /// `rawColumns` rounded up to whole panels (the raw buffer's row length).
        let rawStride: Int

        init(_ s: ConvStep, batch: Int) {
            paddedHeight = s.inHeight + 2 * s.padH
            paddedWidth = s.inWidth + 2 * s.padW
            rawColumns = (batch - 1) * paddedHeight * paddedWidth + (s.outHeight - 1) * paddedWidth + s.outWidth
            rawStride = (rawColumns + nr - 1) / nr * nr
        }

        /// Floats of padded input, with one panel of slack for the last panel's overreach.
        func paddedCount(channels: Int, batch: Int) -> Int { channels * batch * paddedHeight * paddedWidth + nr }
    }

    /// Whether the shifted form is the cheaper one for this layer and batch:
    /// it must not compute more than 1.5× the panels im2col would.
    static func prefersShifted(_ s: ConvStep, batch: Int) -> Bool {
        guard s.strideH == 1, s.strideW == 1 else { return false }
        let raw = ShiftedGeometry(s, batch: batch).rawStride / nr
        let dense = (batch * s.outHeight * s.outWidth + nr - 1) / nr
        return raw <= 2 * dense
    }

    static func shiftedConvolution(
        _ s: ConvStep, input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>, batch: Int,
        padded: UnsafeMutablePointer<Float>, raw: UnsafeMutablePointer<Float>, offsets: UnsafeMutablePointer<Int>
    ) {
        let g = ShiftedGeometry(s, batch: batch)
        let paddedPlane = g.paddedHeight * g.paddedWidth, inPlane = s.inHeight * s.inWidth
        let outPlane = s.outHeight * s.outWidth

        padded.update(repeating: 0, count: g.paddedCount(channels: s.inChannels, batch: batch))
        for plane in 0 ..< s.inChannels * batch {
            let source = input + plane * inPlane
            let destination = padded + plane * paddedPlane + s.padH * g.paddedWidth + s.padW
            for y in 0 ..< s.inHeight {
                copy(from: source + y * s.inWidth, to: destination + y * g.paddedWidth, count: s.inWidth)
            }
        }

        var k = 0
        for c in 0 ..< s.inChannels {
            for ky in 0 ..< s.kernelH {
                for kx in 0 ..< s.kernelW {
                    offsets[k] = c * batch * paddedPlane + ky * g.paddedWidth + kx
                    k += 1
                }
            }
        }

        s.weights.values.withUnsafeBufferPointer { a in
            s.bias.withUnsafeBufferPointer { bias in
                guard let a = a.baseAddress, let bias = bias.baseAddress else { return }
                var column = 0
                while column < g.rawColumns {
                    gemmPanel(a: a, rows: s.outChannels, depth: s.weights.depth,
                              panel: ShiftedPanel(base: padded + column, offsets: offsets),
                              bias: bias, relu: s.relu, c: raw + column, ldc: g.rawStride, columns: nr)
                    column += nr
                }
            }
        }

        // Keep the valid columns: raw[m][n·Hp·Wp + y·Wp + x] → output[m][n][y][x].
        for m in 0 ..< s.outChannels {
            for n in 0 ..< batch {
                let source = raw + m * g.rawStride + n * paddedPlane
                let destination = output + (m * batch + n) * outPlane
                for y in 0 ..< s.outHeight {
                    copy(from: source + y * g.paddedWidth, to: destination + y * s.outWidth, count: s.outWidth)
                }
            }
        }
    }
}
