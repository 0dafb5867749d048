import Foundation
import Testing
@testable import NeuralNetwork

/// The shipped model against the logits PyTorch computed for the golden
/// inputs (written by the training export): every logit within 1e-4.
@Suite struct GoldenParityTests {
    struct Golden: Decodable {
        var model: String
        var inputs: [[Float]]
        var logits: [[Float]]
    }

    /// `Models/` at the package root, found from this file's location.
    static let manifestPath = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Models/glyphnet.json").path

    func golden() throws -> Golden {
        let url = try #require(Bundle.module.url(forResource: "golden", withExtension: "json", subdirectory: "Fixtures"))
        return try JSONDecoder().decode(Golden.self, from: Data(contentsOf: url))
    }

    /// On every kernel set this CPU supports, not only the one a server would choose.
    @Test(arguments: KernelChoice.supported)
    func shippedModelMatchesPyTorchOnEveryGoldenLogit(kernels: KernelChoice) throws {
        let model = try Model.load(manifestPath: Self.manifestPath, kernels: kernels)
        #expect(model.kernelChoice == kernels)
        let golden = try golden()
        #expect(golden.model == model.name)
        #expect(golden.inputs.count == golden.logits.count && !golden.inputs.isEmpty)
        let session = InferenceSession(model: model, maxBatch: golden.inputs.count)
        // All at once (several slices) and one at a time must both match.
        let batched = try session.logits(golden.inputs)
        var worst: Float = 0
        for (index, input) in golden.inputs.enumerated() {
            let alone = try session.logits([input])[0]
            #expect(alone.count == model.outputCount)
            worst = max(worst, maxAbsDifference(batched[index], golden.logits[index]), maxAbsDifference(alone, golden.logits[index]))
        }
        #expect(worst <= 1e-4, "largest logit difference \(worst) on the \(kernels) kernels")
    }
}
