import Foundation

/// A temporary copy of the shipped manifest with its `rejection` block replaced (or removed),
/// beside a symbolic link to the shipped weights: tests of the rule then hold whichever
/// model ships, with or without a block of its own.
struct ManifestCopy {
    static let shipped = RecognitionAPITests.root.appendingPathComponent("Models/glyphnet.json")

    let folder: URL
    var path: String { folder.appendingPathComponent("glyphnet.json").path }

    enum Failure: Error { case notAnObject, noWeights }

    init(rejection: [String: Any]?) throws {
        let data = try Data(contentsOf: Self.shipped)
        guard var manifest = try JSONSerialization.jsonObject(with: data) as? [String: Any] else { throw Failure.notAnObject }
        guard let weights = manifest["weights"] as? String else { throw Failure.noWeights }
        manifest["rejection"] = rejection
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("manifest-copy-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(
            at: folder.appendingPathComponent(weights),
            withDestinationURL: Self.shipped.deletingLastPathComponent().appendingPathComponent(weights))
        try JSONSerialization.data(withJSONObject: manifest).write(to: URL(fileURLWithPath: path))
    }

    func remove() { try? FileManager.default.removeItem(at: folder) }
}
