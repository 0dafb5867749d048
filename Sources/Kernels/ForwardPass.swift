import LayerPlan

/// This module's copy of the kernels as a `KernelSet`: the forward pass of
/// one slice of glyphs, and the scratch it needs.
///
/// This folder is compiled three times, once per kernel set, and each copy
/// exports its own `CompiledKernels`; why, and how one is chosen at run time:
/// NeuralNetwork/KernelChoice.swift.
public enum CompiledKernels: KernelSet {
    #if WIDE_VECTORS
    public static let name = "avx512"
    #elseif AVX2_TILES
    public static let name = "avx2"
    #else
    public static let name = "portable"
    #endif

    public static var gemmRows: Int { Kernels.mr }
    public static var channelLanes: Int { Kernels.channelLanes }

    public static func scratchSizes(steps: [Step], slice: Int, maxDepth: Int) -> ScratchSizes {
        var padded = 0, raw = 0, tiles = 0
        for step in steps {
            switch step {
            case .conv(let conv):
                let geometry = Kernels.ShiftedGeometry(conv, batch: slice)
                padded = max(padded, geometry.paddedCount(channels: conv.inChannels, batch: slice))
                if conv.strideH == 1 && conv.strideW == 1 { raw = max(raw, conv.outChannels * geometry.rawStride) }
            case .winograd(let winograd):
                let sizes = Kernels.winogradScratch(winograd, batch: slice)
                padded = max(padded, sizes.padded)
                tiles = max(tiles, sizes.tiles)
            default:
                break
            }
        }
        return ScratchSizes(panel: maxDepth * max(Kernels.chunkColumns, Kernels.nr), padded: padded, raw: raw,
                            offsets: maxDepth, tiles: tiles)
    }

    public static func forward(steps: [Step], count: Int, inputElements: Int, scratch: KernelScratch) -> UnsafeMutablePointer<Float> {
        var current = scratch.front, spare = scratch.back
        var elements = inputElements
        for step in steps {
            switch step {
            case .conv(let conv) where Kernels.prefersDirect(conv, batch: count):
                Kernels.directConvolution(conv, input: current, output: spare, batch: count,
                                          padded: scratch.padded, taps: scratch.offsets)
            case .conv(let conv) where Kernels.prefersShifted(conv, batch: count):
                Kernels.shiftedConvolution(conv, input: current, output: spare, batch: count,
                                           padded: scratch.padded, raw: scratch.raw, offsets: scratch.offsets)
            case .conv(let conv):
                Kernels.convolution(conv, input: current, output: spare, batch: count, packed: scratch.panel)
            case .winograd(let winograd):
                Kernels.winogradConvolution(winograd, input: current, output: spare, batch: count,
                                            padded: scratch.padded, tiles: scratch.tiles)
            case .pool(let pool):
                Kernels.pool(pool, input: current, output: spare, batch: count)
            case .globalAveragePool(let c, let plane):
                Kernels.globalAveragePool(input: current, output: spare, planes: c * count, plane: plane)
            case .flatten(let c, let plane):
                Kernels.flatten(input: current, output: spare, channels: c, plane: plane, batch: count)
            case .dense(let dense):
                Kernels.dense(dense, input: current, output: spare, batch: count)
            case .relu:
                Kernels.relu(current, count: elements * count)
                continue  // in place: no swap
            }
            elements = step.outputElements(input: elements)
            swap(&current, &spare)
        }
        return current
    }
}
