/// Every hot loop of the engine lives here; layers only describe shapes.
///
/// Convolutions and dense layers are one GEMM each over the whole batch:
///
///     C[M][N] = A[M][K] · B[K][N] + bias[M]   (then ReLU if fused)
///
/// with M = output channels (or features), K = input channels × kernel area
/// (or input features), N = glyphs × output pixels (or glyphs). Activations
/// are stored `[channel][glyph][y][x]`, so C lands directly in the layout the
/// next step reads and no transpose is needed between convolutions.
///
/// Blocking scheme. A (the weights) is packed once at load into panels of
/// `mr` rows, k-major (`PackedMatrix`). B is never materialised: for each
/// block of `nr` output columns, `fillIm2colPanel` gathers a K × nr panel
/// (im2col fused with packing, zero padding included) into a scratch buffer
/// that stays in L1/L2, and the micro-kernel then sweeps every A panel over
/// it. The micro-kernel keeps an mr × nr tile of C in registers (`mr`
/// broadcasts of A times one `Vector` of B per k step) and writes it once,
/// with bias and ReLU applied on the way out. With `Vector` = 8 floats the
/// 6 × 8 tile is 12 SSE registers (+2 for B, 1 broadcast) on baseline
/// x86-64; built with `-D WIDE_VECTORS` (for AVX2/AVX-512 targets) the tile
/// is 6 × 16 in 12 YMM registers.
enum Kernels {
    #if WIDE_VECTORS
    typealias Vector = SIMD16<Float>
    #else
    typealias Vector = SIMD8<Float>
    #endif
    /// Rows of C per micro-tile (A panel height).
    static let mr = 6
    /// Columns of C per micro-tile (B panel width).
    static let nr = Vector.scalarCount

    // MARK: GEMM

    /// C[0..<rows][column ..< column+columns] = A · panel + bias (ReLU optional).
    /// `panel` is K × nr, zero past `columns`; `c` has row stride `ldc`.
    @inline(__always)
    static func gemmPanel(
        a: UnsafePointer<Float>, rows: Int, depth: Int, panel: UnsafePointer<Float>,
        bias: UnsafePointer<Float>, relu: Bool, c: UnsafeMutablePointer<Float>, ldc: Int, columns: Int
    ) {
        var row0 = 0
        var aPanel = a
        while row0 < rows {
            microKernel(a: aPanel, b: panel, depth: depth, bias: bias + row0, relu: relu,
                        c: c + row0 * ldc, ldc: ldc, rows: min(mr, rows - row0), columns: columns)
            row0 += mr
            aPanel += mr * depth
        }
    }

    @inline(__always)
    private static func microKernel(
        a: UnsafePointer<Float>, b: UnsafePointer<Float>, depth: Int, bias: UnsafePointer<Float>, relu: Bool,
        c: UnsafeMutablePointer<Float>, ldc: Int, rows: Int, columns: Int
    ) {
        var c0 = Vector(), c1 = Vector(), c2 = Vector(), c3 = Vector(), c4 = Vector(), c5 = Vector()
        var pa = a
        var pb = UnsafeRawPointer(b)
        for _ in 0 ..< depth {
            let bv = pb.loadUnaligned(as: Vector.self)
            c0 += Vector(repeating: pa[0]) * bv
            c1 += Vector(repeating: pa[1]) * bv
            c2 += Vector(repeating: pa[2]) * bv
            c3 += Vector(repeating: pa[3]) * bv
            c4 += Vector(repeating: pa[4]) * bv
            c5 += Vector(repeating: pa[5]) * bv
            pa += 6
            pb += MemoryLayout<Vector>.stride
        }
        store(c0, row: 0, rows: rows, bias: bias, relu: relu, c: c, ldc: ldc, columns: columns)
        store(c1, row: 1, rows: rows, bias: bias, relu: relu, c: c, ldc: ldc, columns: columns)
        store(c2, row: 2, rows: rows, bias: bias, relu: relu, c: c, ldc: ldc, columns: columns)
        store(c3, row: 3, rows: rows, bias: bias, relu: relu, c: c, ldc: ldc, columns: columns)
        store(c4, row: 4, rows: rows, bias: bias, relu: relu, c: c, ldc: ldc, columns: columns)
        store(c5, row: 5, rows: rows, bias: bias, relu: relu, c: c, ldc: ldc, columns: columns)
    }

    /// The fused epilogue: bias, optional ReLU, then one vector store (or a
    /// scalar tail when the block is the ragged end of N).
    @inline(__always)
    private static func store(
        _ accumulator: Vector, row: Int, rows: Int, bias: UnsafePointer<Float>, relu: Bool,
        c: UnsafeMutablePointer<Float>, ldc: Int, columns: Int
    ) {
        guard row < rows else { return }
        var v = accumulator + Vector(repeating: bias[row])
        if relu { v.replace(with: 0, where: v .< 0) }
        let destination = c + row * ldc
        if columns == nr {
            UnsafeMutableRawPointer(destination).storeBytes(of: v, as: Vector.self)
        } else {
            for j in 0 ..< columns { destination[j] = v[j] }
        }
    }

    // MARK: Convolution and dense layers

    /// `output[outC][batch][outH][outW]` = conv(`input[inC][batch][inH][inW]`).
    /// `panel` holds K × nr floats; `offsets` holds 3 × nr integers.
    static func convolution(
        _ s: ConvStep, input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>, batch: Int,
        panel: UnsafeMutablePointer<Float>, offsets: UnsafeMutablePointer<Int>
    ) {
        let outPlane = s.outHeight * s.outWidth
        let columnsTotal = batch * outPlane
        let depth = s.weights.depth
        s.weights.values.withUnsafeBufferPointer { a in
            s.bias.withUnsafeBufferPointer { bias in
                guard let a = a.baseAddress, let bias = bias.baseAddress else { return }
                var column = 0
                while column < columnsTotal {
                    let count = min(nr, columnsTotal - column)
                    fillIm2colPanel(s, input: input, batch: batch, firstColumn: column, count: count,
                                    panel: panel, offsets: offsets)
                    gemmPanel(a: a, rows: s.outChannels, depth: depth, panel: panel, bias: bias, relu: s.relu,
                              c: output + column, ldc: columnsTotal, columns: count)
                    column += nr
                }
            }
        }
    }

    /// Gathers the K × nr panel of im2col(input) for output columns
    /// `firstColumn ..< firstColumn+count`, k ordered (channel, ky, kx) as in
    /// PyTorch's weight layout; out-of-image taps and columns past `count` are 0.
    @inline(__always)
    static func fillIm2colPanel(
        _ s: ConvStep, input: UnsafePointer<Float>, batch: Int, firstColumn: Int, count: Int,
        panel: UnsafeMutablePointer<Float>, offsets: UnsafeMutablePointer<Int>
    ) {
        let outPlane = s.outHeight * s.outWidth
        let inPlane = s.inHeight * s.inWidth
        let glyphBase = offsets, rowOrigin = offsets + nr, columnOrigin = offsets + 2 * nr
        for j in 0 ..< nr {
            if j < count {
                let column = firstColumn + j
                let glyph = column / outPlane, pixel = column % outPlane
                glyphBase[j] = glyph * inPlane
                rowOrigin[j] = (pixel / s.outWidth) * s.strideH - s.padH
                columnOrigin[j] = (pixel % s.outWidth) * s.strideW - s.padW
            } else {
                // Far outside the image, so every tap of a padding column reads as 0.
                glyphBase[j] = 0
                rowOrigin[j] = Int.min / 4
                columnOrigin[j] = 0
            }
        }
        let channelStride = batch * inPlane
        let height = UInt(bitPattern: s.inHeight), width = UInt(bitPattern: s.inWidth)
        var row = panel
        for channel in 0 ..< s.inChannels {
            let source = input + channel * channelStride
            for ky in 0 ..< s.kernelH {
                for kx in 0 ..< s.kernelW {
                    for j in 0 ..< nr {
                        let y = rowOrigin[j] + ky, x = columnOrigin[j] + kx
                        let inside = UInt(bitPattern: y) < height && UInt(bitPattern: x) < width
                        row[j] = inside ? source[glyphBase[j] + y * s.inWidth + x] : 0
                    }
                    row += nr
                }
            }
        }
    }

    /// `output[outF][batch]` = W · `input[inF][batch]` + bias.
    static func dense(
        _ s: DenseStep, input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>, batch: Int,
        panel: UnsafeMutablePointer<Float>
    ) {
        let depth = s.inFeatures
        s.weights.values.withUnsafeBufferPointer { a in
            s.bias.withUnsafeBufferPointer { bias in
                guard let a = a.baseAddress, let bias = bias.baseAddress else { return }
                var column = 0
                while column < batch {
                    let count = min(nr, batch - column)
                    for k in 0 ..< depth {
                        let source = input + k * batch + column
                        let row = panel + k * nr
                        for j in 0 ..< nr { row[j] = j < count ? source[j] : 0 }
                    }
                    gemmPanel(a: a, rows: s.outFeatures, depth: depth, panel: panel, bias: bias, relu: s.relu,
                              c: output + column, ldc: batch, columns: count)
                    column += nr
                }
            }
        }
    }

    // MARK: Pooling, reshaping, activation

    /// Max or average pooling of every (channel, glyph) plane. Padding taps
    /// are ignored by max (PyTorch pads with −∞) and count as zeros for
    /// average when `countIncludePad` (PyTorch's default).
    static func pool(_ s: PoolStep, input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>, batch: Int) {
        let inPlane = s.inHeight * s.inWidth, outPlane = s.outHeight * s.outWidth
        for plane in 0 ..< s.channels * batch {
            let source = input + plane * inPlane
            let destination = output + plane * outPlane
            for oy in 0 ..< s.outHeight {
                let y0 = oy * s.strideH - s.padH
                let yStart = max(y0, 0), yEnd = min(y0 + s.kernelH, s.inHeight)
                for ox in 0 ..< s.outWidth {
                    let x0 = ox * s.strideW - s.padW
                    let xStart = max(x0, 0), xEnd = min(x0 + s.kernelW, s.inWidth)
                    switch s.kind {
                    case .max:
                        var best = -Float.infinity
                        for y in yStart ..< yEnd {
                            for x in xStart ..< xEnd { best = max(best, source[y * s.inWidth + x]) }
                        }
                        destination[oy * s.outWidth + ox] = best
                    case .average(let countIncludePad):
                        var sum: Float = 0
                        for y in yStart ..< yEnd {
                            for x in xStart ..< xEnd { sum += source[y * s.inWidth + x] }
                        }
                        let divisor = countIncludePad ? s.kernelH * s.kernelW : (yEnd - yStart) * (xEnd - xStart)
                        destination[oy * s.outWidth + ox] = sum / Float(divisor)
                    }
                }
            }
        }
    }

    /// `[C][N][plane]` → `[C][N]`, the mean of each plane.
    static func globalAveragePool(input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>, planes: Int, plane: Int) {
        let scale = 1 / Float(plane)
        for p in 0 ..< planes {
            let source = input + p * plane
            var sum: Float = 0
            for i in 0 ..< plane { sum += source[i] }
            output[p] = sum * scale
        }
    }

    /// `[C][N][plane]` → `[C·plane][N]`: each glyph's features in NCHW order.
    static func flatten(input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>, channels: Int, plane: Int, batch: Int) {
        for c in 0 ..< channels {
            for n in 0 ..< batch {
                let source = input + (c * batch + n) * plane
                for p in 0 ..< plane { output[(c * plane + p) * batch + n] = source[p] }
            }
        }
    }

    static func relu(_ buffer: UnsafeMutablePointer<Float>, count: Int) {
        for i in 0 ..< count where buffer[i] < 0 { buffer[i] = 0 }
    }
}
