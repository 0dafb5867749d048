import Foundation
import Testing
@testable import NeuralNetwork

/// Loading from files and refusing bad models with a message naming the culprit.
@Suite struct ModelTests {
    func tiny() -> TestModel {
        var m = TestModel(classes: 2, height: 4, width: 4)
        m.conv("conv1", in: 1, out: 3, kernel: [3, 3], padding: [1, 1], weight: .init(repeating: 0.1, count: 27), bias: nil)
        m.batchNorm("bn1", gamma: [1, 1, 1], beta: [0, 0, 0], mean: [0, 0, 0], variance: [1, 1, 1])
        m.layer("relu")
        m.layer("maxpool2d", ["kernel": [2, 2], "stride": [2, 2], "padding": [0, 0]])
        m.layer("flatten")
        m.linear("fc", in: 12, out: 2, weight: .init(repeating: 0.5, count: 24), bias: [0, 1])
        return m
    }

    func loadError(_ model: TestModel) throws -> ModelError {
        try #require(throws: ModelError.self) { try model.build() }
    }

    @Test func loadsFromDiskAndReportsWhatItLoaded() throws {
        let path = try tiny().write()
        let model = try Model.load(manifestPath: path)
        #expect(model.name == "test")
        #expect(model.classes == ["c0", "c1"])
        #expect(model.inputSize == 16)
        #expect(model.manifest.metrics == ["accuracy": 0.5])
        #expect(model.flopsPerGlyph == 2 * (3 * 16 * 9) + 2 * 12 * 2)
        #expect(model.normalization.std == 0.25)
        let logits = try InferenceSession(model: model, maxBatch: 1).logits([.init(repeating: 1, count: 16)])
        #expect(logits[0].count == 2)
    }

    @Test func aMissingFileNamesThePath() throws {
        let error = try #require(throws: ModelError.self) { try Model.load(manifestPath: "no-such-dir/model.json") }
        #expect(error.description.contains("no-such-dir/model.json"))
    }

    @Test func aManifestWithoutLayersNamesTheField() throws {
        var object = tiny().manifestObject()
        object["layers"] = nil
        let data = try JSONSerialization.data(withJSONObject: object)
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("nn-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try data.write(to: folder.appendingPathComponent("model.json"))
        let error = try #require(throws: ModelError.self) { try Model.load(manifestPath: folder.appendingPathComponent("model.json").path) }
        #expect(error.description.contains("layers"))
    }

    @Test func aMissingTensorNamesTensorAndLayer() throws {
        var m = tiny()
        m.tensors.removeAll { $0.name == "bn1.running_var" }
        #expect(try loadError(m) == .tensorMissing(tensor: "bn1.running_var", layer: "bn1"))
    }

    @Test func aWronglyShapedTensorNamesIt() throws {
        var m = tiny()
        let index = try #require(m.tensors.firstIndex { $0.name == "fc.bias" })
        m.tensors[index] = ("fc.bias", [3], [0, 1, 2])
        #expect(try loadError(m) == .tensorShape(tensor: "fc.bias", layer: "fc", expected: [2], actual: [3]))
    }

    @Test func theClassCountMustMatchTheLastLayer() throws {
        var m = tiny()
        m.classes.append("extra")
        #expect(try loadError(m) == .classCount(classes: 3, head: 0, outputs: 2))
    }

    /// `tiny` with the page head's thirteen outputs after its two classes.
    func withPageHead() -> TestModel {
        var m = tiny()
        m.tensors.removeAll { $0.name.hasPrefix("fc.") }
        m.layers[5]["out_features"] = 15
        m.tensors.append(("fc.weight", [15, 12], (0 ..< 180).map { Float($0 % 7) * 0.05 }))
        m.tensors.append(("fc.bias", [15], (0 ..< 15).map(Float.init)))
        m.extra["page_head"] = ["extent": ["one", "several", "part"], "piece_digits": (0...9).map(String.init)]
        return m
    }

    @Test func thePageHeadsOutputsFollowTheClasses() throws {
        let model = try withPageHead().build()
        #expect(model.hasPageHead)
        #expect(model.classes == ["c0", "c1"])
        #expect(model.outputCount == 15)
        let outputs = try InferenceSession(model: model, maxBatch: 2).logits([.init(repeating: 1, count: 16), .init(repeating: 0, count: 16)])
        #expect(outputs.map(\.count) == [15, 15])
        // A zero input gives the bias: the classes' two, then the head's thirteen, in order.
        #expect(outputs[1] == (0 ..< 15).map(Float.init))
        #expect(try tiny().build().outputCount == 2)
    }

    @Test func aPageHeadMustHaveItsOutputsAndItsLabels() throws {
        var renamed = withPageHead()
        renamed.extra["page_head"] = ["extent": ["one", "many", "part"], "piece_digits": (0...9).map(String.init)]
        #expect(try loadError(renamed).description.contains("expected [\"one\", \"several\", \"part\"]"))

        var fewerDigits = withPageHead()
        fewerDigits.extra["page_head"] = ["extent": ["one", "several", "part"], "piece_digits": (0...8).map(String.init)]
        #expect(try loadError(fewerDigits).description.contains("page_head"))

        var missingOutputs = tiny()
        missingOutputs.extra["page_head"] = ["extent": ["one", "several", "part"], "piece_digits": (0...9).map(String.init)]
        #expect(try loadError(missingOutputs) == .classCount(classes: 2, head: 13, outputs: 2))
        #expect(try loadError(missingOutputs).description.contains("2 classes and 13 page head outputs"))
    }

    @Test func layerMismatchesNameTheLayer() throws {
        var wrongChannels = tiny()
        wrongChannels.layers[0]["in_channels"] = 2
        #expect(try loadError(wrongChannels).description.contains("'conv1'"))

        var wrongFeatures = tiny()
        wrongFeatures.layers[5]["in_features"] = 13
        #expect(try loadError(wrongFeatures).description.contains("'fc'"))

        var unknown = tiny()
        unknown.layers.insert(["type": "gelu", "name": "act"], at: 2)
        #expect(try loadError(unknown).description.contains("'act'"))

        var notFolded = tiny()
        notFolded.layers.swapAt(1, 2)  // relu before batchnorm cannot be folded
        #expect(try loadError(notFolded).description.contains("'bn1'"))

        var noFlatten = tiny()
        noFlatten.layers.remove(at: 4)
        #expect(try loadError(noFlatten).description.contains("flatten"))

        var lastNotLinear = tiny()
        lastNotLinear.layers.append(["type": "relu", "name": "final"])
        _ = try lastNotLinear.build()  // a ReLU fuses into the linear layer: still logits-shaped
        lastNotLinear.layers.append(["type": "maxpool2d", "name": "pool", "kernel": [1, 1]])
        #expect(throws: ModelError.self) { try lastNotLinear.build() }
    }

    @Test func softmaxIsStableAndSumsToOne() {
        let p = softmax([1000, 1001, 999] as [Float])
        #expect(abs(p.reduce(0, +) - 1) < 1e-6)
        #expect(p[1] > p[0] && p[0] > p[2])
        #expect(softmax([] as [Float]).isEmpty)
    }
}
