// `ocr-server read`: the built binary run on a folder of real image files, one of them corrupt.

import Foundation
import Testing

@Suite(.serialized) struct ReadCommandTests {
    typealias API = RecognitionAPITests

    /// A temporary folder: `page.png` ("10 7" over "71 0"), `seven.png`, `deeper/scan.jpg` ("10"
    /// on grainy paper), `notes.txt` (not an image: skipped in a folder), and, when asked,
    /// `broken.png`, a real PNG cut off halfway.
    static func folder(broken: Bool) throws -> URL {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("read-\(UUID().uuidString)")
        let deeper = folder.appendingPathComponent("deeper")
        try FileManager.default.createDirectory(at: deeper, withIntermediateDirectories: true)
        let page = try PageAPITests.page([[(API.one, 20), (API.zero, 45), (API.seven, 170)],
                                          [(API.seven, 20), (API.one, 95), (API.zero, 190)]], width: 280)
        try Data(page).write(to: folder.appendingPathComponent("page.png"))
        let seven = try API.png(API.seven)
        try Data(seven).write(to: folder.appendingPathComponent("seven.png"))
        try Data(API.grainyScan([API.one, API.zero], grain: 0.02, shadow: 0)).write(to: deeper.appendingPathComponent("scan.jpg"))
        try Data("not an image".utf8).write(to: folder.appendingPathComponent("notes.txt"))
        if broken { try Data(seven.prefix(seven.count / 2)).write(to: folder.appendingPathComponent("broken.png")) }
        return folder
    }

    static func lines(_ text: String) -> [String] {
        text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init).filter { !$0.isEmpty }
    }

    @Test func readsAFolderAndReportsTheBrokenFile() throws {
        let folder = try Self.folder(broken: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let dir = folder.path
        let outcome = try ExecutableTests.run(["read", dir, "--set", "inference.workers=2"])
        #expect(outcome.status == 1)
        // Sorted by path, folders recursively; the broken file has no stdout line, notes.txt is skipped.
        #expect(Self.lines(outcome.stdout) == [
            "\(dir)/deeper/scan.jpg\t10",
            "\(dir)/page.png\t10 7\\n71 0",
            "\(dir)/seven.png\t7",
        ], "\(outcome.stdout)")
        let errors = Self.lines(outcome.stderr)
        #expect(errors.count == 1, "\(outcome.stderr)")
        #expect(errors.first?.hasPrefix("ocr-server: \(dir)/broken.png: the image data is corrupt or truncated") == true,
                "\(outcome.stderr)")
        // Not a terminal: no progress bar.
        #expect(!outcome.stderr.contains("\r"))
    }

    @Test func jsonLinesAreTheAPIAnswerWithTheFile() throws {
        let folder = try Self.folder(broken: false)
        defer { try? FileManager.default.removeItem(at: folder) }
        let page = folder.appendingPathComponent("page.png").path
        let seven = folder.appendingPathComponent("seven.png").path
        let outcome = try ExecutableTests.run(["read", "--format", "json", page, seven])
        #expect(outcome.status == 0)
        #expect(outcome.stderr.isEmpty, "\(outcome.stderr)")
        let objects = Self.lines(outcome.stdout).map {
            (try? JSONSerialization.jsonObject(with: Data($0.utf8))) as? [String: Any] ?? [:]
        }
        #expect(objects.count == 2, "\(outcome.stdout)")
        #expect(objects.compactMap { $0["file"] as? String } == [page, seven])
        #expect(objects.compactMap { $0["text"] as? String } == ["10 7\n71 0", "7"])
        // The answer's own members, as the API writes them.
        #expect((objects.first?["lines"] as? [Any])?.count == 2)
        #expect((objects.last?["top"] as? [Any])?.count == 3)
        #expect((objects.last?["timings_ms"] as? [String: Any])?["total"] is Double)
        #expect(Self.lines(outcome.stdout).allSatisfy { $0.hasPrefix("{\"file\":") })
    }

    @Test func csvQuotesAReadingOfSeveralLines() throws {
        let folder = try Self.folder(broken: false)
        defer { try? FileManager.default.removeItem(at: folder) }
        let outcome = try ExecutableTests.run(["read", "--format", "csv", "--mode", "page", folder.path])
        #expect(outcome.status == 0)
        #expect(outcome.stderr.isEmpty, "\(outcome.stderr)")
        let dir = folder.path
        #expect(outcome.stdout.hasPrefix("file,text,confidence\n\(dir)/deeper/scan.jpg,10,0."), "\(outcome.stdout)")
        #expect(outcome.stdout.contains("\n\(dir)/page.png,\"10 7\n71 0\",0."), "\(outcome.stdout)")
        #expect(outcome.stdout.contains("\n\(dir)/seven.png,7,0."), "\(outcome.stdout)")
    }

    @Test func aMissingPathIsOneLineAndTheRestStillRead() throws {
        let folder = try Self.folder(broken: false)
        defer { try? FileManager.default.removeItem(at: folder) }
        let missing = folder.appendingPathComponent("absent.png").path
        let seven = folder.appendingPathComponent("seven.png").path
        let outcome = try ExecutableTests.run(["read", missing, seven, "--mode", "single"])
        #expect(outcome.status == 1)
        #expect(outcome.stdout == "\(seven)\t7\n")
        #expect(outcome.stderr == "ocr-server: \(missing): no such file or folder\n")
        let badMode = try ExecutableTests.run(["read", seven, "--mode", "sideways"])
        #expect(badMode.status != 0 && badMode.status != 1, "\(badMode.stderr)")
        #expect(badMode.stdout.isEmpty)
        let nothing = try ExecutableTests.run(["read"])
        #expect(nothing.status != 0 && nothing.status != 1)
        #expect(nothing.stderr.contains("Missing expected argument '<paths> ...'"), "\(nothing.stderr)")
    }
}
