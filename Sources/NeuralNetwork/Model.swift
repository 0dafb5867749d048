import Foundation
import LayerPlan

/// A loaded, validated model: the manifest's facts plus the compiled step
/// list with folded, packed weights. Immutable, so one instance is shared by
/// every worker; the mutable scratch lives in `InferenceSession`.
public final class Model: Sendable {
    public let manifest: Manifest
    let steps: [Step]
    /// Largest activation (floats per glyph) any step reads or writes, input included.
    let maxActivation: Int
    /// Largest GEMM depth (rows of an im2col panel).
    let maxDepth: Int
    /// The manifest's open-set reject; nil when it has none (nothing is rejected).
    public let rejection: RejectionRule?
    /// The compiled kernels the steps are packed for and run on.
    public let kernelChoice: KernelChoice
    var kernels: any KernelSet.Type { kernelChoice.kernels }

    public var name: String { manifest.name }
    public var version: String { manifest.version }
    public var classes: [String] { manifest.classes }
    /// Whether the model has the page head (docs/model-format.md, "Page head"): after the
    /// classes' outputs, the logits of whether an input holds one glyph, several touching ones
    /// or part of one, then those of which digit a piece cut out of touching ink is.
    public var hasPageHead: Bool { manifest.pageHead != nil }
    /// The page head's outputs, in order: the only layout the page reader knows.
    public static let pageHeadLayout = Manifest.PageHead(extent: ["one", "several", "part"],
                                                          pieceDigits: (0...9).map(String.init))
    /// Floats the network produces per glyph: the class logits, then the page head's.
    public var outputCount: Int { classes.count + (manifest.pageHead?.outputCount ?? 0) }
    public var normalization: Manifest.Normalization { manifest.normalization }
    /// Floats per input glyph: channels × height × width, row-major.
    public var inputSize: Int { manifest.input.channels * manifest.input.height * manifest.input.width }
    /// Multiply-adds count as two FLOPs, as in the manifest.
    public let flopsPerGlyph: Int
    /// Parameters after BatchNorm folding.
    public let parameterCount: Int
    /// Whether any convolution runs as Winograd F(2×2, 3×3).
    public var runsWinograd: Bool {
        steps.contains { if case .winograd = $0 { true } else { false } }
    }

    /// Reads `<manifest>.json` and the weights file it names (relative to the manifest's folder).
    /// `kernels` defaults to `KernelChoice.fromEnvironment()`: `OCR_KERNELS`, else the best the CPU runs.
    public static func load(manifestPath: String, kernels: KernelChoice? = nil, winograd: Bool = true) throws(ModelError) -> Model {
        let manifestURL = URL(fileURLWithPath: manifestPath)
        let manifestData = try read(manifestURL)
        let manifest: Manifest
        do {
            manifest = try JSONDecoder().decode(Manifest.self, from: manifestData)
        } catch {
            throw .manifest("\(manifestPath): \(describe(error))")
        }
        let weightsURL = manifestURL.deletingLastPathComponent().appendingPathComponent(manifest.weights)
        return try Model(manifest: manifest, weights: try read(weightsURL), kernels: kernels, winograd: winograd)
    }

    /// Builds a model from a decoded manifest and the bytes of its safetensors file.
    /// `winograd: false` keeps every convolution on the direct and GEMM kernels (for comparisons).
    public init(manifest: Manifest, weights: Data, kernels: KernelChoice? = nil, winograd: Bool = true) throws(ModelError) {
        let choice: KernelChoice
        if let kernels {
            guard KernelChoice.supported.contains(kernels) else {
                throw .kernels("\(kernels) is not supported by this CPU")
            }
            choice = kernels
        } else {
            choice = try KernelChoice.fromEnvironment()
        }
        guard manifest.format == 1 else { throw .manifest("unsupported format \(manifest.format), expected 1") }
        guard !manifest.classes.isEmpty else { throw .manifest("no classes") }
        let input = manifest.input
        guard input.channels > 0, input.height > 0, input.width > 0 else {
            throw .manifest("input dimensions must be positive")
        }
        guard manifest.normalization.std > 0, manifest.normalization.std.isFinite, manifest.normalization.mean.isFinite else {
            throw .manifest("normalization std must be positive and finite")
        }
        let rejection = try manifest.rejection.map { (spec) throws(ModelError) in try RejectionRule(spec, classes: manifest.classes) }
        let tensors = try SafeTensors(bytes: weights)
        var planner = LayerPlanner(weights: tensors, input: .spatial(channels: input.channels, height: input.height, width: input.width),
                                   kernels: choice.kernels)
        for (index, spec) in manifest.layers.enumerated() {
            try planner.add(spec, index: index)
        }
        guard case .dense(let last) = planner.steps.last else {
            throw .layer(name: manifest.layers.last?.name ?? "(none)", reason: "the last layer must be a linear layer producing the logits")
        }
        if let head = manifest.pageHead, head != Self.pageHeadLayout {
            throw .manifest("page_head is \(head.extent) and \(head.pieceDigits), expected \(Self.pageHeadLayout.extent) and \(Self.pageHeadLayout.pieceDigits)")
        }
        let head = manifest.pageHead?.outputCount ?? 0
        guard last.outFeatures == manifest.classes.count + head else {
            throw .classCount(classes: manifest.classes.count, head: head, outputs: last.outFeatures)
        }
        self.manifest = manifest
        self.rejection = rejection
        self.kernelChoice = choice
        self.steps = planner.finalSteps(winograd: winograd)
        var elements = input.channels * input.height * input.width
        var largest = elements, depth = 1, flops = 0, parameters = 0
        for step in steps {
            elements = step.outputElements(input: elements)
            largest = max(largest, elements)
            switch step {
            case .conv(let c):
                depth = max(depth, c.weights.depth)
                flops += c.flops
                parameters += c.weights.rows * c.weights.depth + c.bias.count
            case .winograd(let w):
                flops += w.flops
                parameters += w.conv.weights.rows * w.conv.weights.depth + w.conv.bias.count
            case .dense(let d):
                depth = max(depth, d.weights.depth)
                flops += d.flops
                parameters += d.weights.rows * d.weights.depth + d.bias.count
            default: break
            }
        }
        maxActivation = largest
        maxDepth = depth
        flopsPerGlyph = flops
        parameterCount = parameters
    }

    private static func read(_ url: URL) throws(ModelError) -> Data {
        do {
            return try Data(contentsOf: url, options: .mappedIfSafe)
        } catch {
            throw .unreadable(path: url.path, reason: describe(error))
        }
    }

    private static func describe(_ error: any Error) -> String {
        switch error {
        case DecodingError.keyNotFound(let key, let context):
            return "missing '\(key.stringValue)' at \(path(context))"
        case DecodingError.typeMismatch(_, let context), DecodingError.valueNotFound(_, let context),
             DecodingError.dataCorrupted(let context):
            return "\(context.debugDescription) at \(path(context))"
        default:
            return String(describing: error)
        }
    }

    private static func path(_ context: DecodingError.Context) -> String {
        let parts = context.codingPath.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }
        return parts.isEmpty ? "the top level" : parts.joined()
    }
}
