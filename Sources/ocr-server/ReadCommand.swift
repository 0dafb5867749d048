// `ocr-server read`: reads image files in this process, no server and no sockets. What a
// result line says: `Sources/OCRService/BatchRead.swift`; here, the terminal: how many files are
// in flight, the order of the output, the progress bar and the exit status.

import ArgumentParser
import Foundation
import OCRService
import Recognition

extension ReadingMode: ExpressibleByArgument {}
extension BatchFormat: ExpressibleByArgument {}

struct Read: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "read",
        abstract: "Read PNG/JPEG files and folders of them in-process; one result per file on stdout.",
        discussion: """
            Folders are read recursively (.png, .jpg, .jpeg; hidden entries skipped), in sorted order. \
            Results come out in argument order. A file that cannot be read gets one line on stderr \
            and the exit status is 1; the other files are still read.
            """
    )

    @Argument(help: "Image files or folders.")
    var paths: [String]

    @Option(name: .long, help: "auto, single, multi or page (as the API's 'mode').")
    var mode: ReadingMode = .auto

    @Option(name: .long, help: "text (path<TAB>reading, newlines as \\n), json (the API's answer plus 'file') or csv.")
    var format: BatchFormat = .text

    @Option(name: .long, help: "Configuration file (YAML). Default: config.yaml if present.")
    var config: String?

    @Option(name: .long, help: "Model manifest (model.path).")
    var model: String?

    @Option(name: .customLong("set"), help: ArgumentHelp("Override any key, e.g. --set inference.workers=4.", valueName: "key=value"))
    var settings: [String] = []

    func run() async throws {
        MemoryTuning.keepFreedMemory()
        let configuration = try Serve.loadOrExit(
            file: config, host: nil, port: nil, publicDir: nil, model: model, logLevel: nil, settings: settings
        )
        let recognizer: Recognizer
        do {
            recognizer = try Application.makeRecognizer(configuration)
        } catch {
            Serve.fail("ocr-server: cannot load model \(configuration.model.path): \(error)")
        }
        let reader = BatchReader(recognizer: recognizer, mode: mode, format: format,
                                 maxFileBytes: configuration.server.maxBodyBytes)
        let entries = BatchFiles.entries(paths)
        var progress = Progress(total: entries.count, enabled: isatty(STDERR_FILENO) == 1)
        var output = StandardOutput()
        if let header = reader.header { output.write(header) }

        // Two files per worker in flight: one decoding on a core while the other is in the network.
        let inFlight = max(2, 2 * recognizer.pool.configuration.workers)
        var failures = 0
        await withTaskGroup(of: (Int, BatchOutcome).self) { group in
            var next = 0
            var pending: [Int: BatchOutcome] = [:]
            var written = 0
            func submit() {
                guard next < entries.count else { return }
                let index = next, entry = entries[index]
                next += 1
                group.addTask { (index, await reader.read(entry)) }
            }
            for _ in 0..<inFlight { submit() }
            while let (index, outcome) = await group.next() {
                submit()
                pending[index] = outcome
                // Results in argument order, each as soon as those before it are out.
                while let ready = pending.removeValue(forKey: written) {
                    written += 1
                    switch ready {
                    case .read(let line):
                        output.write(line)
                    case .failed(let path, let reason):
                        failures += 1
                        progress.clear()
                        FileHandle.standardError.write(Data("ocr-server: \(path): \(reason)\n".utf8))
                    }
                    progress.advance()
                }
            }
        }
        output.flush()
        progress.finish()
        if failures > 0 { throw ExitCode(1) }
    }
}

/// Result lines, buffered and written in large pieces (a folder of thousands of files).
/// Line by line when stdout is a terminal, so that results show as they come.
struct StandardOutput {
    private var buffer: [UInt8] = []
    private let limit = isatty(STDOUT_FILENO) == 1 ? 1 : 1 << 16

    mutating func write(_ line: String) {
        buffer += Array(line.utf8)
        buffer.append(UInt8(ascii: "\n"))
        if buffer.count >= limit { flush() }
    }

    mutating func flush() {
        var offset = 0
        while offset < buffer.count {
            let count = buffer.withUnsafeBytes { Foundation.write(STDOUT_FILENO, $0.baseAddress! + offset, $0.count - offset) }
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else { break }  // stdout closed: nothing more can be said there
            offset += count
        }
        buffer.removeAll(keepingCapacity: true)
    }
}

/// A one-line bar on stderr, redrawn in place; only when stderr is a terminal, so that logs and
/// pipes never see it.
struct Progress {
    let total: Int
    let enabled: Bool
    private var done = 0
    private var shown = false

    init(total: Int, enabled: Bool) {
        self.total = total
        self.enabled = enabled
    }

    mutating func advance() {
        done += 1
        guard enabled else { return }
        let width = 30
        let filled = total > 0 ? width * done / total : width
        let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled)
        FileHandle.standardError.write(Data("\r[\(bar)] \(done)/\(total)".utf8))
        shown = true
    }

    /// Erases the bar so that a message can take its line; the next `advance` redraws it.
    mutating func clear() {
        guard enabled, shown else { return }
        FileHandle.standardError.write(Data("\r\u{1B}[K".utf8))
        shown = false
    }

    mutating func finish() { clear() }
}
