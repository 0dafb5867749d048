import LayerPlan

/// Winograd F(2×2, 3×3) convolution (`WinogradStep`): 16 multiplies per
/// 2×2 outputs and channel pair instead of 36.
///
/// With d a 4×4 input tile and g a 3×3 kernel, the 2×2 outputs are
/// `Y = Aᵀ · [(G·g·Gᵀ) ⊙ (Bᵀ·d·B)] · A`, and the sum over input channels
/// moves inside: for each of the 16 tile positions ξ, `M[ξ] = U[ξ] · V[ξ]`
/// is a small matrix product of the transformed weights `U[ξ]`
/// `[out][in]` (done at load) and the transformed tiles `V[ξ]` `[in][tile]`.
/// A slice runs in three phases:
/// 1. copy the input into a zero-padded buffer with the channels innermost
///    (`[n][y][x][c]`, channels rounded up to whole vectors) and transform
///    every tile, `V = Bᵀ·d·B`, as whole vectors of channels, stored per
///    group of `pixelTile` tiles as `[group][ξ][tile of the group][c]`;
/// 2. per group and panel of `channelLanes` output channels, the 16 products
///    with the direct kernel's register tile (output channels in the lanes,
///    one broadcast per tile and input channel), each stored as whole
///    vectors into a small `[ξ][tile][lane]` buffer that stays in L1;
/// 3. straight from that buffer: `Aᵀ·M·A`, bias, ReLU and the fused 2×2 max
///    pool, vectorised over the panel's channels, one store per output.
///
/// Channels innermost in phase 1 make the transform whole-vector work
/// (32 additions per tile and vector of channels) instead of a scalar
/// shuffle per tile and channel, which had cost an eighth of an inference.
extension Kernels {
    /// Input channels rounded up to whole `HalfVector`s: the stride of a pixel
    /// in the padded input and of a tile in the transformed tiles.
    static func winogradChannelStride(_ w: WinogradStep) -> Int { paddedChannels(w.conv.inChannels) }

    static func paddedChannels(_ channels: Int) -> Int {
        (channels + HalfVector.scalarCount - 1) / HalfVector.scalarCount * HalfVector.scalarCount
    }

    /// Scratch floats for the padded input and for the tiles (phase 1) plus
    /// the products buffer (phase 2).
    static func winogradScratch(_ w: WinogradStep, batch: Int) -> (padded: Int, tiles: Int) {
        let tiles = batch * w.tilesHigh * w.tilesWide
        let groups = (tiles + pixelTile - 1) / pixelTile, channels = winogradChannelStride(w)
        return (batch * w.paddedHeight * w.paddedWidth * channels,
                groups * 16 * pixelTile * channels + 16 * pixelTile * channelLanes)
    }

    static func winogradConvolution(
        _ w: WinogradStep, input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>, batch: Int,
        padded: UnsafeMutablePointer<Float>, tiles: UnsafeMutablePointer<Float>
    ) {
        let s = w.conv
        let channelStride = winogradChannelStride(w), tileCount = batch * w.tilesHigh * w.tilesWide
        let groups = (tileCount + pixelTile - 1) / pixelTile
        let groupStride = 16 * pixelTile * channelStride
        let products = tiles + groups * groupStride
        if w.inputPrepared {
            transformInput(w, padded: input, batch: batch, tiles: tiles)
        } else {
            pad(w, input: input, batch: batch, padded: padded)
            transformInput(w, padded: padded, batch: batch, tiles: tiles)
        }
        if let handOff = w.handOff {
            // The next step's padding (and any lanes past its channels) must read as zeros.
            output.update(repeating: 0, count: batch * handOff.paddedHeight * handOff.paddedWidth * paddedChannels(handOff.channels))
        }

        let lanes = channelLanes, panels = (s.outChannels + lanes - 1) / lanes
        w.transformed.withUnsafeBufferPointer { u in
            w.paddedBias.withUnsafeBufferPointer { bias in
                guard let u = u.baseAddress, let bias = bias.baseAddress else { return }
                for group in 0 ..< groups {
                    let first = group * pixelTile, count = min(pixelTile, tileCount - first)
                    let v = tiles + group * groupStride
                    for panel in 0 ..< panels {
                        let channels = min(lanes, s.outChannels - panel * lanes)
                        for xi in 0 ..< 16 {
                            winogradProducts(a: u + (xi * panels + panel) * s.inChannels * lanes, depth: s.inChannels,
                                             v: v + xi * pixelTile * channelStride, tileStride: channelStride, count: count,
                                             output: products + xi * pixelTile * lanes, full: channels > HalfVector.scalarCount)
                        }
                        transformOutput(w, products: products, first: first, count: count, batch: batch,
                                        bias: bias + panel * lanes, firstChannel: panel * lanes, channels: channels,
                                        output: output)
                    }
                }
            }
        }
    }

    /// `[c][n][y][x]` → a zeroed `[n][paddedHeight][paddedWidth][channelStride]`, the image at (padH, padW).
    private static func pad(_ w: WinogradStep, input: UnsafePointer<Float>, batch: Int, padded: UnsafeMutablePointer<Float>) {
        let s = w.conv, width = w.paddedWidth, channels = winogradChannelStride(w), inPlane = s.inHeight * s.inWidth
        padded.update(repeating: 0, count: batch * w.paddedHeight * width * channels)
        // Four channels at a time: four source rows read in step, each destination
        // pixel written as one 16-byte group instead of four scattered floats.
        let planeStride = batch * inPlane
        for n in 0 ..< batch {
            var c = 0
            while c + 4 <= s.inChannels {
                let s0 = input + (c * batch + n) * inPlane, s1 = s0 + planeStride, s2 = s1 + planeStride, s3 = s2 + planeStride
                for y in 0 ..< s.inHeight {
                    let row = padded + ((n * w.paddedHeight + y + s.padH) * width + s.padW) * channels + c
                    let r = y * s.inWidth
                    for x in 0 ..< s.inWidth {
                        UnsafeMutableRawPointer(row + x * channels).storeBytes(
                            of: SIMD4<Float>(s0[r + x], s1[r + x], s2[r + x], s3[r + x]), as: SIMD4<Float>.self)
                    }
                }
                c += 4
            }
            while c < s.inChannels {
                let source = input + (c * batch + n) * inPlane
                for y in 0 ..< s.inHeight {
                    let row = padded + ((n * w.paddedHeight + y + s.padH) * width + s.padW) * channels + c
                    for x in 0 ..< s.inWidth { row[x * channels] = source[y * s.inWidth + x] }
                }
                c += 1
            }
        }
    }

    /// Phase 1: `V = Bᵀ·d·B` for every tile, with
    /// `Bᵀ = [[1, 0, −1, 0], [0, 1, 1, 0], [0, −1, 1, 0], [0, 1, 0, −1]]`,
    /// a vector of channels at a time. Tile (n, ty, tx) reads padded rows
    /// 2ty ..< 2ty+4 and columns 2tx ..< 2tx+4.
    private static func transformInput(_ w: WinogradStep, padded: UnsafePointer<Float>, batch: Int, tiles: UnsafeMutablePointer<Float>) {
        let width = w.paddedWidth, channels = winogradChannelStride(w)
        let xiStride = pixelTile * channels, groupStride = 16 * xiStride
        let pixel = channels * MemoryLayout<Float>.stride, row = width * pixel
        var tile = 0
        for n in 0 ..< batch {
            for ty in 0 ..< w.tilesHigh {
                for tx in 0 ..< w.tilesWide {
                    let origin = UnsafeRawPointer(padded + ((n * w.paddedHeight + 2 * ty) * width + 2 * tx) * channels)
                    let destination = tiles + (tile / pixelTile) * groupStride + (tile % pixelTile) * channels
                    var chunk = 0
                    while chunk < channels {
                        let d = origin + chunk * MemoryLayout<Float>.stride
                        @inline(__always) func at(_ r: Int, _ col: Int) -> HalfVector {
                            d.loadUnaligned(fromByteOffset: r * row + col * pixel, as: HalfVector.self)
                        }
                        // Bᵀ·d: row combinations, per column of the tile ...
                        let t00 = at(0, 0) - at(2, 0), t01 = at(0, 1) - at(2, 1), t02 = at(0, 2) - at(2, 2), t03 = at(0, 3) - at(2, 3)
                        let t10 = at(1, 0) + at(2, 0), t11 = at(1, 1) + at(2, 1), t12 = at(1, 2) + at(2, 2), t13 = at(1, 3) + at(2, 3)
                        let t20 = at(2, 0) - at(1, 0), t21 = at(2, 1) - at(1, 1), t22 = at(2, 2) - at(1, 2), t23 = at(2, 3) - at(1, 3)
                        let t30 = at(1, 0) - at(3, 0), t31 = at(1, 1) - at(3, 1), t32 = at(1, 2) - at(3, 2), t33 = at(1, 3) - at(3, 3)
                        // ... then ·B: column combinations, one vector per ξ.
                        let out = UnsafeMutableRawPointer(destination + chunk)
                        storeRow(t00, t01, t02, t03, out, 0, xiStride)
                        storeRow(t10, t11, t12, t13, out, 4, xiStride)
                        storeRow(t20, t21, t22, t23, out, 8, xiStride)
                        storeRow(t30, t31, t32, t33, out, 12, xiStride)
                        chunk += HalfVector.scalarCount
                    }
                    tile += 1
                }
            }
        }
    }

    /// One row (t0, t1, t2, t3) of `Bᵀ·d` times B: `(t0 − t2, t1 + t2, t2 − t1, t1 − t3)` into ξ = first ..< first + 4.
    @inline(__always)
    private static func storeRow(
        _ t0: HalfVector, _ t1: HalfVector, _ t2: HalfVector, _ t3: HalfVector,
        _ out: UnsafeMutableRawPointer, _ first: Int, _ xiStride: Int
    ) {
        let step = xiStride * MemoryLayout<Float>.stride
        (out + first * step).storeBytes(of: t0 - t2, as: HalfVector.self)
        (out + (first + 1) * step).storeBytes(of: t1 + t2, as: HalfVector.self)
        (out + (first + 2) * step).storeBytes(of: t2 - t1, as: HalfVector.self)
        (out + (first + 3) * step).storeBytes(of: t1 - t3, as: HalfVector.self)
    }

    /// Phase 2 for one ξ, one group and one panel: `M[ξ]` for the group's
    /// `count` tiles as `[tile][lanes]` vectors. Same register tile as
    /// `directTile`; a ragged last group (GlyphNet's 3 × 3 pooled tiles are
    /// 7 + 2) runs a copy that holds only its live accumulators.
    @inline(__always)
    private static func winogradProducts(
        a: UnsafePointer<Float>, depth: Int, v: UnsafePointer<Float>, tileStride: Int, count: Int,
        output: UnsafeMutablePointer<Float>, full: Bool
    ) {
        switch count {
        case 1: winogradProducts(1, a, depth, v, tileStride, output, full)
        case 2: winogradProducts(2, a, depth, v, tileStride, output, full)
        case 3: winogradProducts(3, a, depth, v, tileStride, output, full)
        case 4: winogradProducts(4, a, depth, v, tileStride, output, full)
        case 5: winogradProducts(5, a, depth, v, tileStride, output, full)
        default: winogradProducts(pixelTile, a, depth, v, tileStride, output, full)  // 6, or 7 in the wide build
        }
    }

    /// `tiles` is a constant in every inlined copy, so the unused accumulators disappear.
    @inline(__always)
    private static func winogradProducts(
        _ tiles: Int, _ a: UnsafePointer<Float>, _ depth: Int, _ v: UnsafePointer<Float>, _ tileStride: Int,
        _ output: UnsafeMutablePointer<Float>, _ full: Bool
    ) {
        // Tile j's input channels are contiguous from v + j · tileStride.
        let p0 = v, p1 = v + tileStride, p2 = v + 2 * tileStride
        let p3 = v + 3 * tileStride, p4 = v + 4 * tileStride, p5 = v + 5 * tileStride
        var c0 = ChannelVector(), c1 = ChannelVector(), c2 = ChannelVector()
        var c3 = ChannelVector(), c4 = ChannelVector(), c5 = ChannelVector()
        #if WIDE_VECTORS
        let p6 = v + 6 * tileStride
        var c6 = ChannelVector()
        #endif
        var pa = UnsafeRawPointer(a)
        var t = 0
        if full {
            for _ in 0 ..< depth {
                let w = ChannelVector(loading: pa)
                lane(&c0, p0[t], w)
                if tiles > 1 { lane(&c1, p1[t], w) }
                if tiles > 2 { lane(&c2, p2[t], w) }
                if tiles > 3 { lane(&c3, p3[t], w) }
                if tiles > 4 { lane(&c4, p4[t], w) }
                if tiles > 5 { lane(&c5, p5[t], w) }
                #if WIDE_VECTORS
                if tiles > 6 { lane(&c6, p6[t], w) }
                #endif
                pa += ChannelVector.stride
                t += 1
            }
        } else {
            for _ in 0 ..< depth {
                let w = pa.loadUnaligned(as: HalfVector.self)
                halfLane(&c0, p0[t], w)
                if tiles > 1 { halfLane(&c1, p1[t], w) }
                if tiles > 2 { halfLane(&c2, p2[t], w) }
                if tiles > 3 { halfLane(&c3, p3[t], w) }
                if tiles > 4 { halfLane(&c4, p4[t], w) }
                if tiles > 5 { halfLane(&c5, p5[t], w) }
                #if WIDE_VECTORS
                if tiles > 6 { halfLane(&c6, p6[t], w) }
                #endif
                pa += ChannelVector.stride
                t += 1
            }
        }
        let out = UnsafeMutableRawPointer(output)
        store(c0, out, 0)
        if tiles > 1 { store(c1, out, 1) }
        if tiles > 2 { store(c2, out, 2) }
        if tiles > 3 { store(c3, out, 3) }
        if tiles > 4 { store(c4, out, 4) }
        if tiles > 5 { store(c5, out, 5) }
        #if WIDE_VECTORS
        if tiles > 6 { store(c6, out, 6) }
        #endif
    }

    @inline(__always)
    private static func store(_ accumulator: ChannelVector, _ output: UnsafeMutableRawPointer, _ tile: Int) {
        let at = output + tile * ChannelVector.stride
        at.storeBytes(of: accumulator.lo, as: HalfVector.self)
        (at + MemoryLayout<HalfVector>.stride).storeBytes(of: accumulator.hi, as: HalfVector.self)
    }

    /// The standard library's `pointwiseMax` was not inlined here and ran lane by lane.
    @inline(__always)
    private static func maximum(_ a: HalfVector, _ b: HalfVector) -> HalfVector {
        var result = a
        result.replace(with: b, where: b .> a)
        return result
    }

    /// Phase 3 for one group and panel: `Y = Aᵀ·M·A` with `Aᵀ = [[1, 1, 1, 0], [0, 1, −1, −1]]`,
    /// then bias and ReLU, pooled or written as the 2×2 block (clipped at an odd edge).
    private static func transformOutput(
        _ w: WinogradStep, products: UnsafePointer<Float>, first: Int, count: Int, batch: Int,
        bias: UnsafePointer<Float>, firstChannel: Int, channels: Int, output: UnsafeMutablePointer<Float>
    ) {
        let s = w.conv, half = HalfVector.scalarCount, lanes = channelLanes
        let perGlyph = w.tilesHigh * w.tilesWide
        let outPlane = w.outHeight * w.outWidth, planeStride = batch * outPlane
        for j in 0 ..< count {
            let tile = first + j, n = tile / perGlyph, ty = (tile % perGlyph) / w.tilesWide, tx = tile % w.tilesWide
            var part = 0
            while part < channels {
                let m = UnsafeRawPointer(products + j * lanes + part)
                @inline(__always) func at(_ xi: Int) -> HalfVector {
                    m.loadUnaligned(fromByteOffset: xi * pixelTile * lanes * MemoryLayout<Float>.stride, as: HalfVector.self)
                }
                // Aᵀ·M: two rows of four.
                let s00 = at(0) + at(4) + at(8), s01 = at(1) + at(5) + at(9)
                let s02 = at(2) + at(6) + at(10), s03 = at(3) + at(7) + at(11)
                let s10 = at(4) - at(8) - at(12), s11 = at(5) - at(9) - at(13)
                let s12 = at(6) - at(10) - at(14), s13 = at(7) - at(11) - at(15)
                // ·A: the 2×2 outputs.
                let y00 = s00 + s01 + s02, y01 = s01 - s02 - s03
                let y10 = s10 + s11 + s12, y11 = s11 - s12 - s13
                let b = UnsafeRawPointer(bias + part).loadUnaligned(as: HalfVector.self)
                let live = min(half, channels - part)
                let channel = output + (firstChannel + part) * planeStride
                // Whole vectors into the next step's padded [n][y][x][c] input. Lanes past the
                // last channel hold zeros (zero weights and bias), as that layout needs.
                @inline(__always) func put(_ handOff: WinogradStep.HandOff, _ value: HalfVector, _ y: Int, _ x: Int) {
                    let at = output + ((n * handOff.paddedHeight + y + handOff.padH) * handOff.paddedWidth + x + handOff.padW)
                        * paddedChannels(handOff.channels)
                    UnsafeMutableRawPointer(at + firstChannel + part).storeBytes(of: value, as: HalfVector.self)
                }
                if w.pooled {
                    // max then bias and ReLU: both are monotonic, so this equals pooling after them.
                    var v = maximum(maximum(y00, y01), maximum(y10, y11)) + b
                    if s.relu { v.replace(with: 0, where: v .< 0) }
                    if let handOff = w.handOff {
                        put(handOff, v, ty, tx)
                    } else {
                        // The pooled map's element order is the tiles' order.
                        var destination = channel + tile
                        for l in 0 ..< live {
                            destination.pointee = v[l]
                            destination += planeStride
                        }
                    }
                } else {
                    let oy = 2 * ty, ox = 2 * tx
                    let right = ox + 1 < w.outWidth, below = oy + 1 < w.outHeight
                    var v00 = y00 + b, v01 = y01 + b, v10 = y10 + b, v11 = y11 + b
                    if s.relu {
                        v00.replace(with: 0, where: v00 .< 0)
                        v01.replace(with: 0, where: v01 .< 0)
                        v10.replace(with: 0, where: v10 .< 0)
                        v11.replace(with: 0, where: v11 .< 0)
                    }
                    if let handOff = w.handOff {
                        put(handOff, v00, oy, ox)
                        if right { put(handOff, v01, oy, ox + 1) }
                        if below {
                            put(handOff, v10, oy + 1, ox)
                            if right { put(handOff, v11, oy + 1, ox + 1) }
                        }
                    } else {
                        var destination = channel + n * outPlane + oy * w.outWidth + ox
                        for l in 0 ..< live {
                            destination[0] = v00[l]
                            if right { destination[1] = v01[l] }
                            if below {
                                destination[w.outWidth] = v10[l]
                                if right { destination[w.outWidth + 1] = v11[l] }
                            }
                            destination += planeStride
                        }
                    }
                }
                part += half
            }
        }
    }
}
