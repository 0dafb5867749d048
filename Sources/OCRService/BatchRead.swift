// `ocr-server read`: files and folders read in-process with the service's own pipeline (the
// Recognizer and its pool), one result line per file. The command in `Sources/ocr-server`
// owns the terminal (progress, exit status); this file owns what a line says.

import Foundation
import HTTPServer
import Recognition

/// How `ocr-server read` writes one file's result (README.md, "Reading files").
public enum BatchFormat: String, Sendable, CaseIterable {
    /// `path<TAB>reading`, with `\`, tab, newline and carriage return escaped as `\\`, `\t`, `\n`, `\r`.
    case text
    /// The API's answer with a `file` member first, one object per line.
    case json
    /// `file,text,confidence` (RFC 4180 quoting), after a header line of those three names.
    case csv
}

/// One thing to read: a file, or an argument that yields none (with the reason).
public enum BatchEntry: Sendable, Equatable {
    case file(String)
    case unusable(path: String, reason: String)
}

/// One entry's outcome: a line for stdout, or a one-line reason for stderr.
public enum BatchOutcome: Sendable, Equatable {
    case read(String)
    case failed(path: String, reason: String)
}

public enum BatchFiles {
    /// Extensions taken from folders; a file named on the command line is read whatever its name.
    public static let imageExtensions: Set<String> = ["png", "jpg", "jpeg"]

    /// The arguments expanded in order: files as given, folders as their PNG and JPEG files at
    /// any depth (hidden ones skipped), sorted by path so that a run's output order is stable.
    public static func entries(_ arguments: [String]) -> [BatchEntry] {
        arguments.flatMap { argument -> [BatchEntry] in
            var isFolder: ObjCBool = false
            guard FileManager.default.fileExists(atPath: argument, isDirectory: &isFolder) else {
                return [.unusable(path: argument, reason: "no such file or folder")]
            }
            guard isFolder.boolValue else { return [.file(argument)] }
            guard let walker = FileManager.default.enumerator(atPath: argument) else {
                return [.unusable(path: argument, reason: "cannot list this folder")]
            }
            var found: [String] = []
            while let relative = walker.nextObject() as? String {
                let name = (relative as NSString).lastPathComponent
                if name.hasPrefix(".") {
                    walker.skipDescendants()
                    continue
                }
                let path = (argument as NSString).appendingPathComponent(relative)
                var isSubfolder: ObjCBool = false
                guard FileManager.default.fileExists(atPath: path, isDirectory: &isSubfolder), !isSubfolder.boolValue,
                      imageExtensions.contains((name as NSString).pathExtension.lowercased()) else { continue }
                found.append(path)
            }
            if found.isEmpty { return [.unusable(path: argument, reason: "no PNG or JPEG files in this folder")] }
            return found.sorted().map(BatchEntry.file)
        }
    }

    /// The file's bytes, or why they cannot be had (at most `limit` bytes, as the API's body limit).
    static func contents(of path: String, limit: Int) -> Result<[UInt8], BatchReadFailure> {
        let descriptor = open(path, O_RDONLY)
        guard descriptor >= 0 else { return .failure(.init("cannot open: " + String(cString: strerror(errno)))) }
        defer { close(descriptor) }
        var status = stat()
        guard fstat(descriptor, &status) == 0 else { return .failure(.init("cannot read: " + String(cString: strerror(errno)))) }
        guard (status.st_mode & S_IFMT) == S_IFREG else { return .failure(.init("not a regular file")) }
        guard Int(status.st_size) <= limit else {
            return .failure(.init("the file is \(status.st_size) bytes, more than server.max_body_bytes (\(limit))"))
        }
        var bytes = [UInt8](repeating: 0, count: Int(status.st_size))
        var filled = 0
        while filled < bytes.count {
            let count = bytes.withUnsafeMutableBytes { read(descriptor, $0.baseAddress! + filled, $0.count - filled) }
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else {
                return .failure(.init(count < 0 ? "cannot read: " + String(cString: strerror(errno)) : "the file shrank while being read"))
            }
            filled += count
        }
        return .success(bytes)
    }
}

struct BatchReadFailure: Error {
    var reason: String
    init(_ reason: String) { self.reason = reason }
}

/// Reads one file at a time through `recognizer`; many may run at once (the command bounds how many).
public struct BatchReader: Sendable {
    public let recognizer: Recognizer
    public let mode: ReadingMode
    public let format: BatchFormat
    public let maxFileBytes: Int

    public init(recognizer: Recognizer, mode: ReadingMode, format: BatchFormat, maxFileBytes: Int) {
        var recognizer = recognizer
        recognizer.waitsForCapacity = true  // the other files fill the queue: wait, never fail
        self.recognizer = recognizer
        self.mode = mode
        self.format = format
        self.maxFileBytes = maxFileBytes
    }

    /// The line written before any result: CSV's header, nothing for the other formats.
    public var header: String? { format == .csv ? "file,text,confidence" : nil }

    public func read(_ entry: BatchEntry) async -> BatchOutcome {
        switch entry {
        case .unusable(let path, let reason): return .failed(path: path, reason: reason)
        case .file(let path): return await read(path)
        }
    }

    func read(_ path: String) async -> BatchOutcome {
        let start = ContinuousClock.now
        let bytes: [UInt8]
        switch BatchFiles.contents(of: path, limit: maxFileBytes) {
        case .success(let contents): bytes = contents
        case .failure(let failure): return .failed(path: path, reason: failure.reason)
        }
        do {
            let result = try await recognizer.read(.image(bytes), mode: mode)
            return .read(line(path, result, totalMs: (ContinuousClock.now - start).milliseconds))
        } catch {
            return .failed(path: path, reason: error.description)
        }
    }

    func line(_ path: String, _ result: RecognitionResult, totalMs: Double) -> String {
        switch format {
        case .text:
            return Self.escaped(path) + "\t" + Self.escaped(RecognitionJSON.reading(result).text)
        case .json:
            let model = recognizer.model
            return RecognitionJSON.render(result, top: min(RecognitionRoutes.Options.defaultTop, model.classes.count),
                                          debug: false, modelName: model.name, modelVersion: model.version,
                                          totalMs: totalMs, file: path)
        case .csv:
            let reading = RecognitionJSON.reading(result)
            return [path, reading.text, RecognitionJSON.number(reading.confidence)].map(Self.csvField).joined(separator: ",")
        }
    }

    /// The text format's escaping: one line per file whatever the reading holds.
    static func escaped(_ value: String) -> String {
        var out = ""
        for character in value.unicodeScalars {
            switch character {
            case "\\": out += "\\\\"
            case "\t": out += "\\t"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            default: out.unicodeScalars.append(character)
            }
        }
        return out
    }

    /// RFC 4180: a field holding a comma, a quote or a line break is quoted, its quotes doubled.
    static func csvField(_ value: String) -> String {
        guard value.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" || $0 == "\r\n" }) else { return value }
        return "\"" + value.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}
