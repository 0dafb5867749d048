import LayerPlan

/// Every hot loop of the engine lives in `Kernels` (this folder: this file,
/// WinogradConvolution.swift, ShiftedConvolution.swift,
/// DirectConvolution.swift, DenseKernel.swift, PoolingKernels.swift);
/// layers only describe shapes. The folder is compiled once per kernel set
/// (why: NeuralNetwork/KernelChoice.swift); `#if WIDE_VECTORS` (AVX-512),
/// `#if AVX2_TILES` and `#if FUSED_MULTIPLY_ADD` select that copy's vector
/// width, tiles and multiply-add.
///
/// Convolutions are GEMMs over the whole batch slice:
///
///     C[M][N] = A[M][K] · B[K][N] + bias[M]   (then ReLU if fused)
///
/// with M = output channels, K = input channels × kernel area, N = glyphs ×
/// output pixels. Activations are stored `[channel][glyph][y][x]`, so C
/// lands directly in the layout the next step reads and no transpose is
/// needed between convolutions.
///
/// Blocking scheme. A (the weights) is packed once at load into panels of
/// `mr` rows, k-major (`PackedMatrix`). The micro-kernel keeps an mr × nr
/// tile of C in registers (`mr` broadcasts of A times one `Vector` of B per
/// k step) and writes it once, with bias and ReLU applied on the way out.
/// Portable copy: `Vector` = 8 floats, 6 × 8 tile = 12 SSE registers (+2 for
/// B, 1 broadcast). `AVX2_TILES`: the same 8 floats are one YMM register, so
/// the tile grows to 12 × 8 (12 of 16 registers). `WIDE_VECTORS` (AVX-512):
/// 16 × 16 tile = 16 of the 32 ZMM registers, and 32/64/128 channels fill
/// whole panels.
///
/// A 3×3, stride-1 convolution with at least 8 input channels is planned
/// at load as Winograd F(2×2, 3×3) (WinogradConvolution.swift: 2.25× fewer
/// multiply-adds, a following 2×2 max pool fused; its 16 small products use
/// the direct kernel's register tile). For the others, where B comes from
/// decides the convolution form (chosen per layer and slice in
/// `CompiledKernels.forward`):
/// - direct (DirectConvolution.swift): channels in the lanes instead,
///   for deep layers (K ≥ 64) with few pixels: no im2col, no junk columns;
/// - shifted (ShiftedConvolution.swift): stride 1, B rows are the padded
///   input at per-tap offsets, read in place;
/// - packed im2col (below): any stride; for each chunk of output columns,
///   `packIm2col` gathers K × nr panels (zero padding included) into an
///   L2-sized scratch that every A panel then sweeps.
/// Dense layers (DenseKernel.swift) put output features in the lanes, like
/// the direct convolution, since a slice has too few glyphs to fill a panel.
enum Kernels {
    #if WIDE_VECTORS
    typealias Vector = SIMD16<Float>
    #else
    typealias Vector = SIMD8<Float>
    #endif
    /// Rows of C per micro-tile (A panel height).
    #if WIDE_VECTORS
    static let mr = 16
    #elseif AVX2_TILES
    static let mr = 12
    #else
    static let mr = 6
    #endif
    /// Columns of C per micro-tile (B panel width).
    static let nr = Vector.scalarCount

    // MARK: GEMM

    /// C[0..<rows][column ..< column+columns] = A · panel + bias (ReLU optional).
    /// `panel` is K × nr, zero past `columns`; `c` has row stride `ldc`.
    @inline(__always)
    static func gemmPanel<Panel: PanelReader>(
        a: UnsafePointer<Float>, rows: Int, depth: Int, panel: Panel,
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
    private static func microKernel<Panel: PanelReader>(
        a: UnsafePointer<Float>, b: Panel, depth: Int, bias: UnsafePointer<Float>, relu: Bool,
        c: UnsafeMutablePointer<Float>, ldc: Int, rows: Int, columns: Int
    ) {
        // Six rows portable (SSE), twelve with AVX2's 16 YMM registers, sixteen (of AVX-512's 32) wide.
        var c0 = Vector(), c1 = Vector(), c2 = Vector(), c3 = Vector(), c4 = Vector(), c5 = Vector()
        #if WIDE_VECTORS || AVX2_TILES
        var c6 = Vector(), c7 = Vector(), c8 = Vector(), c9 = Vector(), c10 = Vector(), c11 = Vector()
        #endif
        #if WIDE_VECTORS
        var c12 = Vector(), c13 = Vector(), c14 = Vector(), c15 = Vector()
        #endif
        var pa = a
        for k in 0 ..< depth {
            let bv = b.vector(k)
            step(&c0, pa[0], bv)
            step(&c1, pa[1], bv)
            step(&c2, pa[2], bv)
            step(&c3, pa[3], bv)
            step(&c4, pa[4], bv)
            step(&c5, pa[5], bv)
            #if WIDE_VECTORS || AVX2_TILES
            step(&c6, pa[6], bv)
            step(&c7, pa[7], bv)
            step(&c8, pa[8], bv)
            step(&c9, pa[9], bv)
            step(&c10, pa[10], bv)
            step(&c11, pa[11], bv)
            #endif
            #if WIDE_VECTORS
            step(&c12, pa[12], bv)
            step(&c13, pa[13], bv)
            step(&c14, pa[14], bv)
            step(&c15, pa[15], bv)
            #endif
            pa += mr
        }
        store(c0, row: 0, rows: rows, bias: bias, relu: relu, c: c, ldc: ldc, columns: columns)
        store(c1, row: 1, rows: rows, bias: bias, relu: relu, c: c, ldc: ldc, columns: columns)
        store(c2, row: 2, rows: rows, bias: bias, relu: relu, c: c, ldc: ldc, columns: columns)
        store(c3, row: 3, rows: rows, bias: bias, relu: relu, c: c, ldc: ldc, columns: columns)
        store(c4, row: 4, rows: rows, bias: bias, relu: relu, c: c, ldc: ldc, columns: columns)
        store(c5, row: 5, rows: rows, bias: bias, relu: relu, c: c, ldc: ldc, columns: columns)
        #if WIDE_VECTORS || AVX2_TILES
        store(c6, row: 6, rows: rows, bias: bias, relu: relu, c: c, ldc: ldc, columns: columns)
        store(c7, row: 7, rows: rows, bias: bias, relu: relu, c: c, ldc: ldc, columns: columns)
        store(c8, row: 8, rows: rows, bias: bias, relu: relu, c: c, ldc: ldc, columns: columns)
        store(c9, row: 9, rows: rows, bias: bias, relu: relu, c: c, ldc: ldc, columns: columns)
        store(c10, row: 10, rows: rows, bias: bias, relu: relu, c: c, ldc: ldc, columns: columns)
        store(c11, row: 11, rows: rows, bias: bias, relu: relu, c: c, ldc: ldc, columns: columns)
        #endif
        #if WIDE_VECTORS
        store(c12, row: 12, rows: rows, bias: bias, relu: relu, c: c, ldc: ldc, columns: columns)
        store(c13, row: 13, rows: rows, bias: bias, relu: relu, c: c, ldc: ldc, columns: columns)
        store(c14, row: 14, rows: rows, bias: bias, relu: relu, c: c, ldc: ldc, columns: columns)
        store(c15, row: 15, rows: rows, bias: bias, relu: relu, c: c, ldc: ldc, columns: columns)
        #endif
    }

    /// acc += a · b, fused only where the target has FMA (elsewhere
    /// `addingProduct` would be a libm call per lane).
    @inline(__always)
    private static func step(_ accumulator: inout Vector, _ a: Float, _ b: Vector) {
        #if FUSED_MULTIPLY_ADD
        accumulator.addProduct(Vector(repeating: a), b)
        #else
        accumulator += Vector(repeating: a) * b
        #endif
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

    // MARK: Convolution

    /// Where the micro-kernel finds row k of its K × nr B panel.
    protocol PanelReader {
        func vector(_ k: Int) -> Vector
    }

    /// A packed panel: rows stored one after another.
    struct PackedPanel: PanelReader {
        let base: UnsafePointer<Float>
        init(_ base: UnsafePointer<Float>) { self.base = base }
        @inline(__always) func vector(_ k: Int) -> Vector {
            UnsafeRawPointer(base + k * nr).loadUnaligned(as: Vector.self)
        }
    }

    /// An implicit im2col panel over a zero-padded input: row k = (c, ky, kx)
    /// is the input itself, shifted by that tap's offset (stride-1 convolutions).
    struct ShiftedPanel: PanelReader {
        let base: UnsafePointer<Float>
        let offsets: UnsafePointer<Int>
        @inline(__always) func vector(_ k: Int) -> Vector {
            UnsafeRawPointer(base + offsets[k]).loadUnaligned(as: Vector.self)
        }
    }

    /// Output columns packed per round: the packed im2col chunk (K × this)
    /// is at most 576 × 128 floats for GlyphNet's widest layer, L2-resident.
    static let chunkColumns = 8 * nr

    /// `output[outC][batch][outH][outW]` = conv(`input[inC][batch][inH][inW]`).
    /// `packed` holds K × `chunkColumns` floats.
    static func convolution(
        _ s: ConvStep, input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>, batch: Int,
        packed: UnsafeMutablePointer<Float>
    ) {
        let columnsTotal = batch * s.outHeight * s.outWidth
        let depth = s.weights.depth
        s.weights.values.withUnsafeBufferPointer { a in
            s.bias.withUnsafeBufferPointer { bias in
                guard let a = a.baseAddress, let bias = bias.baseAddress else { return }
                var chunk = 0
                while chunk < columnsTotal {
                    let columns = min(chunkColumns, columnsTotal - chunk)
                    packIm2col(s, input: input, batch: batch, firstColumn: chunk, columns: columns, packed: packed)
                    var panelStart = 0
                    while panelStart < columns {
                        gemmPanel(a: a, rows: s.outChannels, depth: depth, panel: PackedPanel(packed + panelStart * depth),
                                  bias: bias, relu: s.relu, c: output + chunk + panelStart, ldc: columnsTotal,
                                  columns: min(nr, columns - panelStart))
                        panelStart += nr
                    }
                    chunk += columns
                }
            }
        }
    }

    /// Packs im2col(input) for output columns `firstColumn ..< firstColumn+columns`
    /// into panels of `nr` columns (panel p at `packed + p·nr·K`, k-major
    /// inside), k ordered (channel, ky, kx) as in PyTorch's weight layout.
    /// It walks runs of one output row, so a tap row is a strided (for
    /// stride 1, contiguous) copy with zeros only where it leaves the image.
    static func packIm2col(
        _ s: ConvStep, input: UnsafePointer<Float>, batch: Int, firstColumn: Int, columns: Int,
        packed: UnsafeMutablePointer<Float>
    ) {
        let depth = s.weights.depth
        let outPlane = s.outHeight * s.outWidth, inPlane = s.inHeight * s.inWidth
        let tail = columns % nr
        if tail != 0 {  // the ragged last panel reads as zero past `columns`
            (packed + (columns - tail) * depth).update(repeating: 0, count: nr * depth)
        }
        var k = 0
        for channel in 0 ..< s.inChannels {
            let source = input + channel * batch * inPlane
            for ky in 0 ..< s.kernelH {
                for kx in 0 ..< s.kernelW {
                    var column = 0
                    var glyph = firstColumn / outPlane
                    var oy = (firstColumn % outPlane) / s.outWidth
                    var ox = firstColumn % s.outWidth
                    while column < columns {
                        // One segment: same output row, same panel.
                        let panelRoom = nr - column % nr
                        let run = min(s.outWidth - ox, columns - column, panelRoom)
                        let destination = packed + (column / nr) * nr * depth + k * nr + column % nr
                        let y = oy * s.strideH - s.padH + ky
                        if y < 0 || y >= s.inHeight {
                            for t in 0 ..< run { destination[t] = 0 }
                        } else {
                            let row = source + glyph * inPlane + y * s.inWidth
                            let x0 = ox * s.strideW - s.padW + kx
                            if s.strideW == 1 {
                                let lo = min(max(-x0, 0), run), hi = max(min(s.inWidth - x0, run), lo)
                                // Runs are short (≤ nr): plain loops beat memcpy/memset calls here.
                                for t in 0 ..< lo { destination[t] = 0 }
                                copy(from: row + x0 + lo, to: destination + lo, count: hi - lo)
                                for t in hi ..< run { destination[t] = 0 }
                            } else {
                                for t in 0 ..< run {
                                    let x = x0 + t * s.strideW
                                    destination[t] = x >= 0 && x < s.inWidth ? row[x] : 0
                                }
                            }
                        }
                        column += run
                        ox += run
                        if ox == s.outWidth {
                            ox = 0
                            oy += 1
                            if oy == s.outHeight { oy = 0; glyph += 1 }
                        }
                    }
                    k += 1
                }
            }
        }
    }

    /// A short copy in 4-float vectors, written out so that it is not turned into a memcpy call.
    @inline(__always)
    static func copy(from source: UnsafePointer<Float>, to destination: UnsafeMutablePointer<Float>, count: Int) {
        var t = 0
        while t + 4 <= count {
            UnsafeMutableRawPointer(destination + t).storeBytes(
                of: UnsafeRawPointer(source + t).loadUnaligned(as: SIMD4<Float>.self), as: SIMD4<Float>.self)
            t += 4
        }
        while t < count {
            destination[t] = source[t]
            t += 1
        }
    }
}
