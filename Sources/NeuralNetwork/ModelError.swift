/// Why a model could not be loaded. Every case names the file, tensor or
/// layer at fault so that an operator can fix the model without a debugger.
public enum ModelError: Error, Sendable, Equatable, CustomStringConvertible {
    case unreadable(path: String, reason: String)
    case manifest(String)
    case safetensors(String)
    case tensorMissing(tensor: String, layer: String)
    case tensorDType(tensor: String, dtype: String)
    case tensorOffsets(tensor: String, reason: String)
    case tensorShape(tensor: String, layer: String, expected: [Int], actual: [Int])
    case layer(name: String, reason: String)
    case classCount(classes: Int, head: Int, outputs: Int)
    /// The `rejection` block is malformed; `field` is its path in the manifest.
    case rejection(field: String, reason: String)
    /// The requested kernel set is unknown or not supported by this CPU.
    case kernels(String)

    public var description: String {
        switch self {
        case .unreadable(let path, let reason):
            return "cannot read \(path): \(reason)"
        case .manifest(let reason):
            return "invalid model manifest: \(reason)"
        case .safetensors(let reason):
            return "invalid safetensors file: \(reason)"
        case .tensorMissing(let tensor, let layer):
            return "tensor '\(tensor)' used by layer '\(layer)' is not in the weights file"
        case .tensorDType(let tensor, let dtype):
            return "tensor '\(tensor)' has dtype \(dtype); only F32 is supported"
        case .tensorOffsets(let tensor, let reason):
            return "tensor '\(tensor)' has bad data offsets: \(reason)"
        case .tensorShape(let tensor, let layer, let expected, let actual):
            return "tensor '\(tensor)' of layer '\(layer)' has shape \(actual), expected \(expected)"
        case .layer(let name, let reason):
            return "layer '\(name)': \(reason)"
        case .classCount(let classes, let head, let outputs):
            let listed = head > 0 ? "\(classes) classes and \(head) page head outputs" : "\(classes) classes"
            return "the manifest lists \(listed) but the last layer has \(outputs) outputs"
        case .rejection(let field, let reason):
            return "invalid model manifest: '\(field)' \(reason)"
        case .kernels(let reason):
            return "kernel set: \(reason)"
        }
    }
}

/// Why an inference call was refused. Only caller mistakes end up here:
/// the kernels themselves cannot fail once a model has loaded.
public enum InferenceError: Error, Sendable, Equatable, CustomStringConvertible {
    case batchTooLarge(count: Int, maxBatch: Int)
    case inputSize(expected: Int, actual: Int)
    case outputSize(expected: Int, actual: Int)

    public var description: String {
        switch self {
        case .batchTooLarge(let count, let maxBatch):
            return "batch of \(count) exceeds the session's maximum of \(maxBatch)"
        case .inputSize(let expected, let actual):
            return "input has \(actual) floats, expected \(expected)"
        case .outputSize(let expected, let actual):
            return "output buffer has \(actual) floats, expected \(expected)"
        }
    }
}
