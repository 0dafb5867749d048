/// The compiled form of a model: a sequence of steps whose shapes are fixed
/// and whose weights are folded and packed for the kernels. Built once at
/// load by NeuralNetwork's `LayerPlanner`; an inference only walks this list.
///
/// This module sits below NeuralNetwork and below the three compiled copies
/// of the kernels (KernelsPortable, KernelsAVX2, KernelsAVX512; why three:
/// NeuralNetwork/KernelChoice.swift), so that every copy reads the same plan
/// types.

/// The shape of one glyph's activation between two steps.
public enum ActivationShape: Equatable, Sendable, CustomStringConvertible {
    case spatial(channels: Int, height: Int, width: Int)
    case flat(features: Int)

    public var elements: Int {
        switch self {
        case .spatial(let c, let h, let w): return c * h * w
        case .flat(let f): return f
        }
    }

    public var description: String {
        switch self {
        case .spatial(let c, let h, let w): return "[\(c), \(h), \(w)]"
        case .flat(let f): return "[\(f)]"
        }
    }
}

/// A weight matrix `[rows][depth]` stored as row panels of `panelRows` rows:
/// panel p holds, for each k, the `panelRows` values of rows
/// p·panelRows ..< (p+1)·panelRows (zero past the last row). This is the
/// order the micro-kernels read them.
public struct PackedMatrix: Sendable {
    public let rows: Int
    public let depth: Int
    public let panelRows: Int
    public let values: [Float]

    public init(rows: Int, depth: Int, rowMajor: [Float], panelRows: Int) {
        precondition(rowMajor.count == rows * depth)
        let panels = (rows + panelRows - 1) / panelRows
        var packed = [Float](repeating: 0, count: panels * panelRows * depth)
        for row in 0 ..< rows {
            let panel = row / panelRows, lane = row % panelRows
            for k in 0 ..< depth {
                packed[(panel * depth + k) * panelRows + lane] = rowMajor[row * depth + k]
            }
        }
        self.rows = rows
        self.depth = depth
        self.panelRows = panelRows
        self.values = packed
    }

    /// The matrix back in `[rows][depth]` order.
    public var rowMajor: [Float] {
        var result = [Float](repeating: 0, count: rows * depth)
        for row in 0 ..< rows {
            for k in 0 ..< depth {
                result[row * depth + k] = values[((row / panelRows) * depth + k) * panelRows + row % panelRows]
            }
        }
        return result
    }

    public func repacked(panelRows: Int) -> PackedMatrix {
        PackedMatrix(rows: rows, depth: depth, rowMajor: rowMajor, panelRows: panelRows)
    }
}

public struct ConvStep: Sendable {
    public var name: String
    public var inChannels: Int, outChannels: Int
    public var inHeight: Int, inWidth: Int, outHeight: Int, outWidth: Int
    public var kernelH: Int, kernelW: Int, strideH: Int, strideW: Int, padH: Int, padW: Int
    /// Packed in panels of the kernel set's `gemmRows`.
    public var weights: PackedMatrix
    public var bias: [Float]
    public var relu: Bool
    /// The same weights packed in panels of the kernel set's `channelLanes`
    /// output channels for the direct kernel, and the bias padded to whole
    /// panels; filled in once the plan is final (after BatchNorm folding).
    public var channelWeights: PackedMatrix? = nil
    public var paddedBias: [Float] = []

    public init(
        name: String, inChannels: Int, outChannels: Int, inHeight: Int, inWidth: Int, outHeight: Int, outWidth: Int,
        kernelH: Int, kernelW: Int, strideH: Int, strideW: Int, padH: Int, padW: Int,
        weights: PackedMatrix, bias: [Float], relu: Bool
    ) {
        self.name = name
        self.inChannels = inChannels
        self.outChannels = outChannels
        self.inHeight = inHeight
        self.inWidth = inWidth
        self.outHeight = outHeight
        self.outWidth = outWidth
        self.kernelH = kernelH
        self.kernelW = kernelW
        self.strideH = strideH
        self.strideW = strideW
        self.padH = padH
        self.padW = padW
        self.weights = weights
        self.bias = bias
        self.relu = relu
    }

    public var flops: Int { 2 * outChannels * outHeight * outWidth * inChannels * kernelH * kernelW }
}

public struct PoolStep: Sendable {
    public enum Kind: Sendable { case max, average(countIncludePad: Bool) }
    public var kind: Kind
    public var channels: Int
    public var inHeight: Int, inWidth: Int, outHeight: Int, outWidth: Int
    public var kernelH: Int, kernelW: Int, strideH: Int, strideW: Int, padH: Int, padW: Int

    public init(
        kind: Kind, channels: Int, inHeight: Int, inWidth: Int, outHeight: Int, outWidth: Int,
        kernelH: Int, kernelW: Int, strideH: Int, strideW: Int, padH: Int, padW: Int
    ) {
        self.kind = kind
        self.channels = channels
        self.inHeight = inHeight
        self.inWidth = inWidth
        self.outHeight = outHeight
        self.outWidth = outWidth
        self.kernelH = kernelH
        self.kernelW = kernelW
        self.strideH = strideH
        self.strideW = strideW
        self.padH = padH
        self.padW = padW
    }
}

public struct DenseStep: Sendable {
    public var name: String
    public var inFeatures: Int, outFeatures: Int
    /// Packed in panels of the kernel set's `channelLanes` output features
    /// once the plan is final (the dense kernel puts features in the lanes).
    public var weights: PackedMatrix
    public var bias: [Float]
    public var relu: Bool
    /// `bias` padded with zeros to whole panels; filled in with the final packing.
    public var paddedBias: [Float] = []

    public init(name: String, inFeatures: Int, outFeatures: Int, weights: PackedMatrix, bias: [Float], relu: Bool) {
        self.name = name
        self.inFeatures = inFeatures
        self.outFeatures = outFeatures
        self.weights = weights
        self.bias = bias
        self.relu = relu
    }

    public var flops: Int { 2 * inFeatures * outFeatures }
}

/// A 3×3, stride-1 convolution run as Winograd F(2×2, 3×3): each 2×2 block
/// of outputs comes from a 4×4 input tile with 16 multiplies per (input,
/// output) channel pair instead of 36, 2.25 times fewer. A 2×2/2 max pool
/// that directly follows may be fused: a pooled output is the maximum of
/// one tile's four outputs, so the full-size map is never written.
public struct WinogradStep: Sendable {
    /// Geometry, bias and ReLU; its GEMM packings are not used.
    public var conv: ConvStep
    /// Whether the step ends with a 2×2, stride-2 max pool (floor mode).
    public var pooled: Bool
    /// `U = G·g·Gᵀ` for every (output, input) channel pair, stored as 16
    /// matrices (one per position ξ of the 4×4 tile) of `[outChannels][inChannels]`,
    /// each packed in panels of the kernel set's `channelLanes` output channels:
    /// value (ξ, o, c) is at `((ξ · panels + o / lanes) · inChannels + c) · lanes + o % lanes`.
    public var transformed: [Float]
    public var paddedBias: [Float]
    /// Set when the next step is also a Winograd step: this one then writes
    /// its output straight into that step's zero-padded, channels-innermost
    /// input (`[n][y][x][c]`), whole vectors of channels at a time, instead
    /// of `[c][n][y][x]` planes that the next step would copy over.
    public var handOff: HandOff? = nil
    /// Set on the step that receives a `handOff`: its input is already padded.
    public var inputPrepared = false

    /// The padded input of the next Winograd step, as this step must write it.
    public struct HandOff: Sendable, Equatable {
        public var paddedHeight: Int, paddedWidth: Int, padH: Int, padW: Int, channels: Int
        public init(paddedHeight: Int, paddedWidth: Int, padH: Int, padW: Int, channels: Int) {
            self.paddedHeight = paddedHeight
            self.paddedWidth = paddedWidth
            self.padH = padH
            self.padW = padW
            self.channels = channels
        }
        /// Floats per glyph, with the channels rounded up to 16, the widest vector of any
        /// kernel set (each set rounds to its own, never more).
        public var elements: Int { paddedHeight * paddedWidth * ((channels + 15) / 16 * 16) }
    }

    public init(conv: ConvStep, pooled: Bool, transformed: [Float], paddedBias: [Float]) {
        self.conv = conv
        self.pooled = pooled
        self.transformed = transformed
        self.paddedBias = paddedBias
    }

    /// How the previous Winograd step must write this step's input.
    public var receivingEnd: HandOff {
        HandOff(paddedHeight: paddedHeight, paddedWidth: paddedWidth, padH: conv.padH, padW: conv.padW, channels: conv.inChannels)
    }

    /// Tiles per glyph (rows × columns). Pooled, a tile is one pooled output
    /// (PyTorch's floor mode drops a ragged last row or column, so its tile is
    /// never computed); otherwise tiles cover the output, the last row or
    /// column of them half outside it when the size is odd.
    public var tilesHigh: Int { pooled ? conv.outHeight / 2 : (conv.outHeight + 1) / 2 }
    public var tilesWide: Int { pooled ? conv.outWidth / 2 : (conv.outWidth + 1) / 2 }
    /// The zero-padded input the tiles read: covers both the padding and the
    /// rows and columns a half-outside last tile reaches.
    public var paddedHeight: Int { max(conv.inHeight + 2 * conv.padH, 2 * tilesHigh + 2) }
    public var paddedWidth: Int { max(conv.inWidth + 2 * conv.padW, 2 * tilesWide + 2) }
    public var outHeight: Int { pooled ? conv.outHeight / 2 : conv.outHeight }
    public var outWidth: Int { pooled ? conv.outWidth / 2 : conv.outWidth }

    /// Multiply-adds of the convolution it replaces (the model's nominal count).
    public var flops: Int { conv.flops }
}

/// Activations live in "CNHW" order: channel-major, then glyph, then row and
/// column. A convolution over a whole batch is then one GEMM whose output
/// columns are (glyph, y, x), and a dense layer's input is `[feature][glyph]`.
public enum Step: Sendable {
    case conv(ConvStep)
    case pool(PoolStep)
    /// `[C][N][plane]` → `[C][N]`.
    case globalAveragePool(channels: Int, plane: Int)
    /// `[C][N][plane]` → `[C·plane][N]` (PyTorch's NCHW flatten order per glyph).
    case flatten(channels: Int, plane: Int)
    case dense(DenseStep)
    case winograd(WinogradStep)
    case relu

    /// Output floats per glyph.
    public func outputElements(input: Int) -> Int {
        switch self {
        case .conv(let c): return c.outChannels * c.outHeight * c.outWidth
        case .pool(let p): return p.channels * p.outHeight * p.outWidth
        case .globalAveragePool(let channels, _): return channels
        case .flatten, .relu: return input
        case .dense(let d): return d.outFeatures
        case .winograd(let w): return w.handOff?.elements ?? w.conv.outChannels * w.outHeight * w.outWidth
        }
    }
}

/// Scratch memory one inference session owns, handed to the kernels for a
/// slice of glyphs: two ping-pong activation buffers and the per-layer
/// working areas, sized once by `KernelSet.scratchSizes`.
public struct KernelScratch {
    public var front: UnsafeMutablePointer<Float>
    public var back: UnsafeMutablePointer<Float>
    /// Packed im2col chunk.
    public var panel: UnsafeMutablePointer<Float>
    /// Zero-padded input of a shifted or direct convolution.
    public var padded: UnsafeMutablePointer<Float>
    /// The shifted convolution's output before compaction.
    public var raw: UnsafeMutablePointer<Float>
    /// Tap offsets.
    public var offsets: UnsafeMutablePointer<Int>
    /// A Winograd convolution's transformed input tiles, then its products.
    public var tiles: UnsafeMutablePointer<Float>

    public init(
        front: UnsafeMutablePointer<Float>, back: UnsafeMutablePointer<Float>, panel: UnsafeMutablePointer<Float>,
        padded: UnsafeMutablePointer<Float>, raw: UnsafeMutablePointer<Float>, offsets: UnsafeMutablePointer<Int>,
        tiles: UnsafeMutablePointer<Float>
    ) {
        self.front = front
        self.back = back
        self.panel = panel
        self.padded = padded
        self.raw = raw
        self.offsets = offsets
        self.tiles = tiles
    }
}

/// Element counts of `KernelScratch`'s working areas (the activation
/// buffers are sized by the caller).
public struct ScratchSizes: Sendable {
    public var panel: Int, padded: Int, raw: Int, offsets: Int, tiles: Int
    public init(panel: Int, padded: Int, raw: Int, offsets: Int, tiles: Int) {
        self.panel = panel
        self.padded = padded
        self.raw = raw
        self.offsets = offsets
        self.tiles = tiles
    }
}

/// One compiled copy of the kernels (the copies and how one is chosen:
/// NeuralNetwork/KernelChoice.swift). A model's weights are packed in the
/// panel sizes of the copy it runs on.
public protocol KernelSet {
    /// `portable`, `avx2` or `avx512`.
    static var name: String { get }
    /// Rows per packed weight panel of the GEMM micro-kernel (`PackedMatrix.panelRows` of
    /// `ConvStep.weights`).
    static var gemmRows: Int { get }
    /// Output channels per panel of the direct convolution (`ConvStep.channelWeights`)
    /// and output features per panel of the dense kernel (`DenseStep.weights`).
    static var channelLanes: Int { get }
    /// Scratch a slice of up to `slice` glyphs needs; `maxDepth` is the plan's largest GEMM depth.
    static func scratchSizes(steps: [Step], slice: Int, maxDepth: Int) -> ScratchSizes
    /// Runs `steps` on `count` glyphs whose input is in `scratch.front` (`[C][N][H][W]`);
    /// returns the buffer (front or back) that holds the logits, `[classes][N]`.
    static func forward(steps: [Step], count: Int, inputElements: Int, scratch: KernelScratch) -> UnsafeMutablePointer<Float>
}
