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
/// 1. pad the input and transform every tile, `V = Bᵀ·d·B`, stored per group
///    of `pixelTile` tiles as `[group][ξ][in][tile of the group]`, so that the
///    products of one group read 16 · in · `pixelTile` contiguous floats;
/// 2. per group and panel of `channelLanes` output channels, the 16 products
///    with the direct kernel's register tile (channels in the lanes, one
///    broadcast per tile and input channel), each stored as whole vectors
///    into a small `[ξ][tile][lane]` buffer that stays in L1;
/// 3. straight from that buffer: `Aᵀ·M·A`, bias, ReLU and the fused 2×2 max
///    pool, vectorised over the panel's channels, one store per output.
extension Kernels {
    /// Scratch floats for the padded input and for the tiles (phase 1) plus
    /// the products buffer (phase 2).
    static func winogradScratch(_ w: WinogradStep, batch: Int) -> (padded: Int, tiles: Int) {
        let tiles = batch * w.tilesHigh * w.tilesWide
        let groups = (tiles + pixelTile - 1) / pixelTile
        return (w.conv.inChannels * batch * w.paddedHeight * w.paddedWidth,
                groups * 16 * w.conv.inChannels * pixelTile + 16 * pixelTile * channelLanes)
    }

    static func winogradConvolution(
        _ w: WinogradStep, input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>, batch: Int,
        padded: UnsafeMutablePointer<Float>, tiles: UnsafeMutablePointer<Float>
    ) {
        let s = w.conv
        let inChannels = s.inChannels, tileCount = batch * w.tilesHigh * w.tilesWide
        let groups = (tileCount + pixelTile - 1) / pixelTile
        let products = tiles + groups * 16 * inChannels * pixelTile
        pad(w, input: input, batch: batch, padded: padded)
        transformInput(w, padded: padded, batch: batch, tiles: tiles)

        let lanes = channelLanes, panels = (s.outChannels + lanes - 1) / lanes
        w.transformed.withUnsafeBufferPointer { u in
            w.paddedBias.withUnsafeBufferPointer { bias in
                guard let u = u.baseAddress, let bias = bias.baseAddress else { return }
                for group in 0 ..< groups {
                    let first = group * pixelTile, count = min(pixelTile, tileCount - first)
                    let v = tiles + group * 16 * inChannels * pixelTile
                    for panel in 0 ..< panels {
                        let channels = min(lanes, s.outChannels - panel * lanes)
                        for xi in 0 ..< 16 {
                            winogradProducts(a: u + (xi * panels + panel) * inChannels * lanes, depth: inChannels,
                                             v: v + xi * inChannels * pixelTile, count: count,
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

    /// Copies each `[c][n]` plane into the middle of a zeroed `paddedHeight × paddedWidth` plane.
    private static func pad(_ w: WinogradStep, input: UnsafePointer<Float>, batch: Int, padded: UnsafeMutablePointer<Float>) {
        let s = w.conv, width = w.paddedWidth, plane = w.paddedHeight * width, inPlane = s.inHeight * s.inWidth
        padded.update(repeating: 0, count: s.inChannels * batch * plane)
        for p in 0 ..< s.inChannels * batch {
            let source = input + p * inPlane, destination = padded + p * plane + s.padH * width + s.padW
            for y in 0 ..< s.inHeight {
                copy(from: source + y * s.inWidth, to: destination + y * width, count: s.inWidth)
            }
        }
    }

    /// Phase 1: `V = Bᵀ·d·B` for every tile, with
    /// `Bᵀ = [[1, 0, −1, 0], [0, 1, 1, 0], [0, −1, 1, 0], [0, 1, 0, −1]]`.
    /// Tile (n, ty, tx) reads padded rows 2ty ..< 2ty+4 and columns 2tx ..< 2tx+4.
    private static func transformInput(_ w: WinogradStep, padded: UnsafePointer<Float>, batch: Int, tiles: UnsafeMutablePointer<Float>) {
        let inChannels = w.conv.inChannels, width = w.paddedWidth, plane = w.paddedHeight * width
        let tilesHigh = w.tilesHigh, tilesWide = w.tilesWide
        let xiStride = inChannels * pixelTile, groupStride = 16 * xiStride
        for c in 0 ..< inChannels {
            for n in 0 ..< batch {
                let source = padded + (c * batch + n) * plane
                for ty in 0 ..< tilesHigh {
                    let r0 = source + 2 * ty * width, r1 = r0 + width, r2 = r1 + width, r3 = r2 + width
                    var tile = (n * tilesHigh + ty) * tilesWide
                    for tx in 0 ..< tilesWide {
                        let x = 2 * tx
                        // Bᵀ·d on the rows (columns of the tile in the lanes) ...
                        let d0 = SIMD4<Float>(r0[x], r0[x + 1], r0[x + 2], r0[x + 3])
                        let d1 = SIMD4<Float>(r1[x], r1[x + 1], r1[x + 2], r1[x + 3])
                        let d2 = SIMD4<Float>(r2[x], r2[x + 1], r2[x + 2], r2[x + 3])
                        let d3 = SIMD4<Float>(r3[x], r3[x + 1], r3[x + 2], r3[x + 3])
                        let rows = (d0 - d2, d1 + d2, d2 - d1, d1 - d3)
                        // ... then ·B across each row's lanes, written to the tile's 16 slots.
                        let destination = tiles + (tile / pixelTile) * groupStride + c * pixelTile + tile % pixelTile
                        storeRow(rows.0, destination, xiStride)
                        storeRow(rows.1, destination + 4 * xiStride, xiStride)
                        storeRow(rows.2, destination + 8 * xiStride, xiStride)
                        storeRow(rows.3, destination + 12 * xiStride, xiStride)
                        tile += 1
                    }
                }
            }
        }
    }

    /// One row t of `Bᵀ·d` times B: `(t0 − t2, t1 + t2, t2 − t1, t1 − t3)`, one value per ξ.
    @inline(__always)
    private static func storeRow(_ t: SIMD4<Float>, _ destination: UnsafeMutablePointer<Float>, _ xiStride: Int) {
        destination[0] = t[0] - t[2]
        destination[xiStride] = t[1] + t[2]
        destination[2 * xiStride] = t[2] - t[1]
        destination[3 * xiStride] = t[1] - t[3]
    }

    /// Phase 2 for one ξ, one group and one panel: `M[ξ]` for the group's
    /// `count` tiles as `[tile][lanes]` vectors. Same register tile as
    /// `directTile`; a ragged last group (GlyphNet's 3 × 3 pooled tiles are
    /// 7 + 2) runs a copy that holds only its live accumulators.
    @inline(__always)
    private static func winogradProducts(
        a: UnsafePointer<Float>, depth: Int, v: UnsafePointer<Float>, count: Int,
        output: UnsafeMutablePointer<Float>, full: Bool
    ) {
        switch count {
        case 1: winogradProducts(1, a, depth, v, output, full)
        case 2: winogradProducts(2, a, depth, v, output, full)
        case 3: winogradProducts(3, a, depth, v, output, full)
        case 4: winogradProducts(4, a, depth, v, output, full)
        case 5: winogradProducts(5, a, depth, v, output, full)
        default: winogradProducts(pixelTile, a, depth, v, output, full)  // 6, or 7 in the wide build
        }
    }

    /// `tiles` is a constant in every inlined copy, so the unused accumulators disappear.
    @inline(__always)
    private static func winogradProducts(
        _ tiles: Int, _ a: UnsafePointer<Float>, _ depth: Int, _ v: UnsafePointer<Float>,
        _ output: UnsafeMutablePointer<Float>, _ full: Bool
    ) {
        let p0 = v, p1 = v + 1, p2 = v + 2, p3 = v + 3, p4 = v + 4, p5 = v + 5
        var c0 = ChannelVector(), c1 = ChannelVector(), c2 = ChannelVector()
        var c3 = ChannelVector(), c4 = ChannelVector(), c5 = ChannelVector()
        #if WIDE_VECTORS
        let p6 = v + 6
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
                t += pixelTile
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
                t += pixelTile
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
                if w.pooled {
                    // max then bias and ReLU: both are monotonic, so this equals pooling after them.
                    var v = maximum(maximum(y00, y01), maximum(y10, y11)) + b
                    if s.relu { v.replace(with: 0, where: v .< 0) }
                    // The pooled map's element order is the tiles' order.
                    var destination = channel + tile
                    for l in 0 ..< live {
                        destination.pointee = v[l]
                        destination += planeStride
                    }
                } else {
                    let oy = 2 * ty, ox = 2 * tx
                    let base = channel + n * outPlane + oy * w.outWidth + ox
                    let right = ox + 1 < w.outWidth, below = oy + 1 < w.outHeight
                    var v00 = y00 + b, v01 = y01 + b, v10 = y10 + b, v11 = y11 + b
                    if s.relu {
                        v00.replace(with: 0, where: v00 .< 0)
                        v01.replace(with: 0, where: v01 .< 0)
                        v10.replace(with: 0, where: v10 .< 0)
                        v11.replace(with: 0, where: v11 .< 0)
                    }
                    var destination = base
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
                part += half
            }
        }
    }
}
