import LayerPlan

/// Convolution with output channels in the vector lanes.
///
/// The GEMM of `Kernels.swift` puts output pixels in the vector lanes, so a
/// layer with few pixels (7 × 7 at batch 1) wastes most of its last vector,
/// and the shifted form computes padding columns too. Here the roles are
/// swapped: a tile is `channelLanes` output channels (one `ChannelVector`)
/// × `pixelTile` output pixels. Each pixel has its own pointer into the
/// zero-padded input, so any stride works, only real pixels are computed,
/// and no im2col copy is made: per k step the kernel loads one vector of
/// packed weights and broadcasts one input value per pixel straight from
/// the padded input at that tap's offset.
///
/// The tile is transposed relative to the `[C][N][H][W]` output, so the
/// epilogue scatters each channel lane to its plane; that costs one store
/// per output against K multiply-adds, so this path is chosen only when K
/// is large (see `prefersDirect`).
extension Kernels {
    #if WIDE_VECTORS
    /// 32 channels in two ZMM registers; 7 pixels → 14 accumulators (7 divides
    /// GlyphNet's 14 × 14 and 7 × 7 planes, so no tile is ragged).
    typealias HalfVector = SIMD16<Float>
    static let pixelTile = 7
    #elseif AVX2_TILES
    /// 16 channels in two YMM registers; 6 pixels → 12 accumulators of 16.
    typealias HalfVector = SIMD8<Float>
    static let pixelTile = 6
    #else
    /// 8 channels in two SSE registers; 6 pixels → 12 accumulators.
    typealias HalfVector = SIMD4<Float>
    static let pixelTile = 6
    #endif
    static let channelLanes = 2 * HalfVector.scalarCount

    /// Two explicit halves rather than one SIMD32: the compiler keeps these in
    /// registers, while a 32-lane SIMD value went through the stack.
    struct ChannelVector {
        var lo = HalfVector(), hi = HalfVector()

        @inline(__always) init() {}

        @inline(__always) init(loading pointer: UnsafeRawPointer) {
            lo = pointer.loadUnaligned(as: HalfVector.self)
            hi = pointer.loadUnaligned(fromByteOffset: MemoryLayout<HalfVector>.stride, as: HalfVector.self)
        }

        static var stride: Int { 2 * MemoryLayout<HalfVector>.stride }
    }

    /// Direct pays one scattered store per output, so it needs enough
    /// multiply-adds per output (K) to hide it, and the scattered planes must
    /// stay cache-resident (few output pixels): otherwise the shifted GEMM wins.
    static func prefersDirect(_ s: ConvStep, batch: Int) -> Bool {
        s.weights.depth >= 64 && batch * s.outHeight * s.outWidth <= directPixelLimit && s.channelWeights != nil
    }

    static let directPixelLimit = 2048

    static func directConvolution(
        _ s: ConvStep, input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>, batch: Int,
        padded: UnsafeMutablePointer<Float>, taps: UnsafeMutablePointer<Int>
    ) {
        guard let packed = s.channelWeights else { return }
        let paddedHeight = s.inHeight + 2 * s.padH, paddedWidth = s.inWidth + 2 * s.padW
        let paddedPlane = paddedHeight * paddedWidth, inPlane = s.inHeight * s.inWidth
        let outPlane = s.outHeight * s.outWidth
        let total = batch * outPlane
        let depth = packed.depth, lanes = channelLanes

        padded.update(repeating: 0, count: s.inChannels * batch * paddedPlane)
        for plane in 0 ..< s.inChannels * batch {
            let source = input + plane * inPlane
            let destination = padded + plane * paddedPlane + s.padH * paddedWidth + s.padW
            for y in 0 ..< s.inHeight {
                copy(from: source + y * s.inWidth, to: destination + y * paddedWidth, count: s.inWidth)
            }
        }
        var k = 0
        for c in 0 ..< s.inChannels {
            for ky in 0 ..< s.kernelH {
                for kx in 0 ..< s.kernelW {
                    taps[k] = c * batch * paddedPlane + ky * paddedWidth + kx
                    k += 1
                }
            }
        }

        packed.values.withUnsafeBufferPointer { a in
            s.paddedBias.withUnsafeBufferPointer { bias in
                guard let a = a.baseAddress, let bias = bias.baseAddress else { return }
                var pixels = (0, 0, 0, 0, 0, 0, 0, 0)
                var first = 0
                while first < total {
                    let count = min(pixelTile, total - first)
                    withUnsafeMutableBytes(of: &pixels) { raw in
                        let offsets = raw.baseAddress!.assumingMemoryBound(to: Int.self)
                        for j in 0 ..< pixelTile {
                            // Past the end, repeat the last pixel: computed, never stored.
                            let pixel = first + min(j, count - 1)
                            let n = pixel / outPlane, p = pixel % outPlane
                            offsets[j] = n * paddedPlane + (p / s.outWidth) * s.strideH * paddedWidth
                                + (p % s.outWidth) * s.strideW
                        }
                    }
                    var channel = 0
                    while channel < s.outChannels {
                        directTile(a: a + channel * depth, depth: depth, input: padded, taps: taps, pixels: pixels,
                                   bias: bias + channel, relu: s.relu,
                                   output: output + channel * total + first, planeStride: total,
                                   channels: min(lanes, s.outChannels - channel), count: count)
                        channel += lanes
                    }
                    first += count
                }
            }
        }
    }

    @inline(__always)
    private static func directTile(
        a: UnsafePointer<Float>, depth: Int, input: UnsafePointer<Float>, taps: UnsafePointer<Int>,
        pixels: (Int, Int, Int, Int, Int, Int, Int, Int), bias: UnsafePointer<Float>, relu: Bool,
        output: UnsafeMutablePointer<Float>, planeStride: Int, channels: Int, count: Int
    ) {
        let p0 = input + pixels.0, p1 = input + pixels.1, p2 = input + pixels.2
        let p3 = input + pixels.3, p4 = input + pixels.4, p5 = input + pixels.5
        var c0 = ChannelVector(), c1 = ChannelVector(), c2 = ChannelVector()
        var c3 = ChannelVector(), c4 = ChannelVector(), c5 = ChannelVector()
        #if WIDE_VECTORS
        let p6 = input + pixels.6
        var c6 = ChannelVector()
        #endif
        var pa = UnsafeRawPointer(a)
        if channels > HalfVector.scalarCount {
            for k in 0 ..< depth {
                let w = ChannelVector(loading: pa)
                let t = taps[k]
                lane(&c0, p0[t], w)
                lane(&c1, p1[t], w)
                lane(&c2, p2[t], w)
                lane(&c3, p3[t], w)
                lane(&c4, p4[t], w)
                lane(&c5, p5[t], w)
                #if WIDE_VECTORS
                lane(&c6, p6[t], w)
                #endif
                pa += ChannelVector.stride
            }
        } else {
            // A last panel at most half full (e.g. 48 = 32 + 16 channels): skip the upper half.
            for k in 0 ..< depth {
                let w = pa.loadUnaligned(as: HalfVector.self)
                let t = taps[k]
                halfLane(&c0, p0[t], w)
                halfLane(&c1, p1[t], w)
                halfLane(&c2, p2[t], w)
                halfLane(&c3, p3[t], w)
                halfLane(&c4, p4[t], w)
                halfLane(&c5, p5[t], w)
                #if WIDE_VECTORS
                halfLane(&c6, p6[t], w)
                #endif
                pa += ChannelVector.stride
            }
        }
        let b = ChannelVector(loading: UnsafeRawPointer(bias))
        scatter(c0, 0, b, relu, output, planeStride, channels, count)
        scatter(c1, 1, b, relu, output, planeStride, channels, count)
        scatter(c2, 2, b, relu, output, planeStride, channels, count)
        scatter(c3, 3, b, relu, output, planeStride, channels, count)
        scatter(c4, 4, b, relu, output, planeStride, channels, count)
        scatter(c5, 5, b, relu, output, planeStride, channels, count)
        #if WIDE_VECTORS
        scatter(c6, 6, b, relu, output, planeStride, channels, count)
        #endif
    }

    @inline(__always)
    static func lane(_ accumulator: inout ChannelVector, _ x: Float, _ w: ChannelVector) {
        let broadcast = HalfVector(repeating: x)
        #if FUSED_MULTIPLY_ADD
        accumulator.lo.addProduct(broadcast, w.lo)
        accumulator.hi.addProduct(broadcast, w.hi)
        #else
        accumulator.lo += broadcast * w.lo
        accumulator.hi += broadcast * w.hi
        #endif
    }

    @inline(__always)
    static func halfLane(_ accumulator: inout ChannelVector, _ x: Float, _ w: HalfVector) {
        #if FUSED_MULTIPLY_ADD
        accumulator.lo.addProduct(HalfVector(repeating: x), w)
        #else
        accumulator.lo += HalfVector(repeating: x) * w
        #endif
    }

    /// Bias, ReLU, then one store per channel lane into its output plane.
    @inline(__always)
    static func scatter(
        _ accumulator: ChannelVector, _ pixel: Int, _ bias: ChannelVector, _ relu: Bool,
        _ output: UnsafeMutablePointer<Float>, _ planeStride: Int, _ channels: Int, _ count: Int
    ) {
        guard pixel < count else { return }
        var lo = accumulator.lo + bias.lo, hi = accumulator.hi + bias.hi
        if relu {
            lo.replace(with: 0, where: lo .< 0)
            hi.replace(with: 0, where: hi .< 0)
        }
        var destination = output + pixel
        let half = HalfVector.scalarCount
        for lane in 0 ..< min(channels, half) {
            destination.pointee = lo[lane]
            destination += planeStride
        }
        for lane in 0 ..< max(channels - half, 0) {
            destination.pointee = hi[lane]
            destination += planeStride
        }
    }
}
