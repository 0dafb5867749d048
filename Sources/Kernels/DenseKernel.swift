import LayerPlan

/// Dense (linear) layers with output features in the vector lanes.
///
/// Batches run in slices of a few glyphs, so a dense layer's GEMM has very
/// few columns: with glyphs in the lanes (as the convolution GEMM would put
/// them) a 16-lane panel holding one glyph wastes 15/16 of every
/// multiply-add. Here a tile is `channelLanes` output features (one
/// `ChannelVector`, the same packing as the direct convolution) × up to
/// `denseGlyphTile` glyphs: per input feature k the kernel loads one vector
/// of packed weights and broadcasts each glyph's input value, so every lane
/// is a real output, whatever the batch. The weights are read once per
/// glyph tile (for a whole slice in the wide build); for a large layer
/// (GlyphNet's 864 → 128: 442 KB) that read from L2 is the cost floor.
extension Kernels {
    #if WIDE_VECTORS
    /// 8 glyphs × 32 features = 16 ZMM accumulators: a whole slice per weight pass.
    static let denseGlyphTile = 8
    #else
    /// 4 glyphs × 8 features (16 with AVX2_TILES) = 8 accumulators of the 16 SSE or YMM registers.
    static let denseGlyphTile = 4
    #endif

    /// `output[outF][batch]` = W · `input[inF][batch]` + bias (ReLU optional).
    static func dense(_ s: DenseStep, input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>, batch: Int) {
        let depth = s.inFeatures, lanes = channelLanes
        precondition(s.weights.panelRows == lanes, "dense weights must be packed in panels of \(lanes) features")
        s.weights.values.withUnsafeBufferPointer { a in
            s.paddedBias.withUnsafeBufferPointer { bias in
                guard let a = a.baseAddress, let bias = bias.baseAddress else { return }
                var feature = 0
                while feature < s.outFeatures {
                    var first = 0
                    while first < batch {
                        let count = min(denseGlyphTile, batch - first)
                        let a = a + feature * depth, x = input + first, b = bias + feature, y = output + feature * batch + first
                        let channels = min(lanes, s.outFeatures - feature)
                        // A constant tile width per call, so that each copy keeps only its live accumulators.
                        switch count {
                        case 1: denseTile1(a, depth, x, batch, count, b, s.relu, y, channels)
                        case 2: denseTile2(a, depth, x, batch, count, b, s.relu, y, channels)
                        case 3, 4: denseTile4(a, depth, x, batch, count, b, s.relu, y, channels)
                        default: denseTileFull(a, depth, x, batch, count, b, s.relu, y, channels)
                        }
                        first += count
                    }
                    feature += lanes
                }
            }
        }
    }

    // One function per tile width. Inlined all into `dense`, the four copies
    // made a function so large that the compiler stopped inlining the vector
    // loads: each became a call, around which every accumulator was spilled
    // to the stack (the 864 → 128 layer took about 18 µs at batch 1, 4.5 µs now).
    @inline(never)
    private static func denseTile1(
        _ a: UnsafePointer<Float>, _ depth: Int, _ input: UnsafePointer<Float>, _ stride: Int, _ count: Int,
        _ bias: UnsafePointer<Float>, _ relu: Bool, _ output: UnsafeMutablePointer<Float>, _ channels: Int
    ) {
        denseTile(1, a, depth, input, stride, count, bias, relu, output, channels)
    }

    @inline(never)
    private static func denseTile2(
        _ a: UnsafePointer<Float>, _ depth: Int, _ input: UnsafePointer<Float>, _ stride: Int, _ count: Int,
        _ bias: UnsafePointer<Float>, _ relu: Bool, _ output: UnsafeMutablePointer<Float>, _ channels: Int
    ) {
        denseTile(2, a, depth, input, stride, count, bias, relu, output, channels)
    }

    @inline(never)
    private static func denseTile4(
        _ a: UnsafePointer<Float>, _ depth: Int, _ input: UnsafePointer<Float>, _ stride: Int, _ count: Int,
        _ bias: UnsafePointer<Float>, _ relu: Bool, _ output: UnsafeMutablePointer<Float>, _ channels: Int
    ) {
        denseTile(4, a, depth, input, stride, count, bias, relu, output, channels)
    }

    @inline(never)
    private static func denseTileFull(
        _ a: UnsafePointer<Float>, _ depth: Int, _ input: UnsafePointer<Float>, _ stride: Int, _ count: Int,
        _ bias: UnsafePointer<Float>, _ relu: Bool, _ output: UnsafeMutablePointer<Float>, _ channels: Int
    ) {
        denseTile(denseGlyphTile, a, depth, input, stride, count, bias, relu, output, channels)
    }

    /// One tile of `glyphs` (1, 2, 4 or `denseGlyphTile`) glyphs: glyph g's
    /// input feature k is `input[k·stride + g]`; output feature f of glyph g
    /// goes to `output[f·stride + g]`. One glyph alone splits k over four
    /// accumulators instead, so that the FMA latency chain is a quarter as long.
    @inline(__always)
    private static func denseTile(
        _ glyphs: Int, _ a: UnsafePointer<Float>, _ depth: Int, _ input: UnsafePointer<Float>, _ stride: Int, _ count: Int,
        _ bias: UnsafePointer<Float>, _ relu: Bool, _ output: UnsafeMutablePointer<Float>, _ channels: Int
    ) {
        // Past `count`, repeat the last glyph: computed, never stored.
        let x0 = input, x1 = input + min(1, count - 1), x2 = input + min(2, count - 1), x3 = input + min(3, count - 1)
        var c0 = ChannelVector(), c1 = ChannelVector(), c2 = ChannelVector(), c3 = ChannelVector()
        #if WIDE_VECTORS
        let x4 = input + min(4, count - 1), x5 = input + min(5, count - 1)
        let x6 = input + min(6, count - 1), x7 = input + min(7, count - 1)
        var c4 = ChannelVector(), c5 = ChannelVector(), c6 = ChannelVector(), c7 = ChannelVector()
        #endif
        let full = channels > HalfVector.scalarCount
        var pa = UnsafeRawPointer(a)
        var k = 0, t = 0
        if glyphs == 1 {
            let step = ChannelVector.stride
            while k + 4 <= depth {
                if full {
                    lane(&c0, x0[t], ChannelVector(loading: pa))
                    lane(&c1, x0[t + stride], ChannelVector(loading: pa + step))
                    lane(&c2, x0[t + 2 * stride], ChannelVector(loading: pa + 2 * step))
                    lane(&c3, x0[t + 3 * stride], ChannelVector(loading: pa + 3 * step))
                } else {
                    halfLane(&c0, x0[t], pa.loadUnaligned(as: HalfVector.self))
                    halfLane(&c1, x0[t + stride], (pa + step).loadUnaligned(as: HalfVector.self))
                    halfLane(&c2, x0[t + 2 * stride], (pa + 2 * step).loadUnaligned(as: HalfVector.self))
                    halfLane(&c3, x0[t + 3 * stride], (pa + 3 * step).loadUnaligned(as: HalfVector.self))
                }
                pa += 4 * step
                t += 4 * stride
                k += 4
            }
            c0.lo += (c1.lo + c2.lo) + c3.lo
            c0.hi += (c1.hi + c2.hi) + c3.hi
        }
        // The glyph tile (and the last k steps of a lone glyph).
        while k < depth {
            if full {
                let w = ChannelVector(loading: pa)
                lane(&c0, x0[t], w)
                if glyphs > 1 { lane(&c1, x1[t], w) }
                if glyphs > 2 {
                    lane(&c2, x2[t], w)
                    lane(&c3, x3[t], w)
                }
                #if WIDE_VECTORS
                if glyphs > 4 {
                    lane(&c4, x4[t], w)
                    lane(&c5, x5[t], w)
                    lane(&c6, x6[t], w)
                    lane(&c7, x7[t], w)
                }
                #endif
            } else {
                // A last panel at most half full (e.g. 13 classes): skip the upper half.
                let w = pa.loadUnaligned(as: HalfVector.self)
                halfLane(&c0, x0[t], w)
                if glyphs > 1 { halfLane(&c1, x1[t], w) }
                if glyphs > 2 {
                    halfLane(&c2, x2[t], w)
                    halfLane(&c3, x3[t], w)
                }
                #if WIDE_VECTORS
                if glyphs > 4 {
                    halfLane(&c4, x4[t], w)
                    halfLane(&c5, x5[t], w)
                    halfLane(&c6, x6[t], w)
                    halfLane(&c7, x7[t], w)
                }
                #endif
            }
            pa += ChannelVector.stride
            t += stride
            k += 1
        }
        let b = ChannelVector(loading: UnsafeRawPointer(bias))
        scatter(c0, 0, b, relu, output, stride, channels, count)
        if glyphs > 1 { scatter(c1, 1, b, relu, output, stride, channels, count) }
        if glyphs > 2 {
            scatter(c2, 2, b, relu, output, stride, channels, count)
            scatter(c3, 3, b, relu, output, stride, channels, count)
        }
        #if WIDE_VECTORS
        if glyphs > 4 {
            scatter(c4, 4, b, relu, output, stride, channels, count)
            scatter(c5, 5, b, relu, output, stride, channels, count)
            scatter(c6, 6, b, relu, output, stride, channels, count)
            scatter(c7, 7, b, relu, output, stride, channels, count)
        }
        #endif
    }
}
