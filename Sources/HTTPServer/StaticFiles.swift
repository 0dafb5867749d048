// Files under one root folder, with ETags, cache headers and gzip computed
// once per file version. No request path can reach outside the root: the
// decoded path may not contain "." or ".." segments, NUL or backslashes, and
// the resolved real path (symlinks followed) must still lie under the root.

import Foundation

public final class StaticFiles: Sendable {
    private struct Entry: Sendable {
        let modified: Date
        let size: Int
        let body: [UInt8]
        let gzipped: [UInt8]?
        let etag: String
        let contentType: String
    }

    private let root: String
    private let entries = LockedCache<Entry>()
    private let hits = LockedCache<Hit>()

    /// `root` is resolved once; a missing folder serves 404s.
    public init(root: String) {
        let absolute = root.hasPrefix("/") ? root : FileManager.default.currentDirectoryPath + "/" + root
        self.root = URL(fileURLWithPath: absolute).resolvingSymlinksInPath().path
    }

    /// A GET handler: "/" serves index.html.
    public var handler: Handler {
        { [self] request in try self.serve(request) }
    }

    /// A file found for a request path recently; re-checked against the disk
    /// at most once a second, so hot files cost no path resolution or stat.
    private struct Hit: Sendable {
        let path: String
        let entry: Entry
        let checked: ContinuousClock.Instant
    }

    public func serve(_ request: Request) throws -> Response {
        let path: String, entry: Entry
        let now = ContinuousClock.now
        if let hit = hits.get(request.path), now - hit.checked < .seconds(1) {
            (path, entry) = (hit.path, hit.entry)
        } else {
            guard let relative = Self.safeRelativePath(request.path), let found = load(relative) else {
                throw Problem(.notFound, detail: "No file exists at this path.")
            }
            (path, entry) = found
            // Many spellings can name one file ("/a//b"); past a bound, stop remembering new ones.
            if hits.count < 4096 { hits.set(request.path, Hit(path: path, entry: entry, checked: now)) }
        }
        let useGzip = entry.gzipped != nil && Self.acceptsGzip(request.headers)
        let etag = useGzip ? "\"\(entry.etag)-gz\"" : "\"\(entry.etag)\""
        var headers = HTTPHeaders([
            ("Content-Type", entry.contentType),
            ("ETag", etag),
            ("Cache-Control", path.hasSuffix("/index.html") ? "no-cache" : "public, max-age=3600"),
        ])
        if entry.gzipped != nil { headers.add("Vary", "Accept-Encoding") }
        if Self.matches(request.headers["If-None-Match"], etag: etag) {
            // The length the 200 would have had (RFC 9110 §8.6), so every response carries one.
            headers.add("Content-Length", String(useGzip ? entry.gzipped?.count ?? entry.body.count : entry.body.count))
            return Response(status: .notModified, headers: headers)
        }
        if useGzip, let gzipped = entry.gzipped {
            headers.add("Content-Encoding", "gzip")
            return Response(status: .ok, headers: headers, body: gzipped)
        }
        return Response(status: .ok, headers: headers, body: entry.body)
    }

    /// The decoded path relative to the root, or nil if it is unsafe.
    static func safeRelativePath(_ rawPath: String) -> String? {
        guard rawPath.hasPrefix("/"), let decoded = rawPath.removingPercentEncoding else { return nil }
        guard !decoded.contains("\0"), !decoded.contains("\\") else { return nil }
        var segments = decoded.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
        guard !segments.contains(where: { $0 == "." || $0 == ".." }) else { return nil }
        if rawPath.hasSuffix("/") || segments.isEmpty { segments.append("index.html") }
        return segments.joined(separator: "/")
    }

    private func load(_ relative: String) -> (String, Entry)? {
        let candidate = root + "/" + relative
        let resolved = URL(fileURLWithPath: candidate).resolvingSymlinksInPath().path
        guard resolved.hasPrefix(root + "/") else { return nil }
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: resolved),
              attributes[.type] as? FileAttributeType == .typeRegular,
              let modified = attributes[.modificationDate] as? Date,
              let size = (attributes[.size] as? NSNumber)?.intValue else { return nil }
        if let entry = entries.get(resolved), entry.modified == modified, entry.size == size {
            return (resolved, entry)
        }
        guard let data = FileManager.default.contents(atPath: resolved) else { return nil }
        let body = [UInt8](data)
        let type = Self.contentType(for: resolved)
        let compressible = type.hasPrefix("text/") || type.contains("javascript") || type.contains("json") || type.contains("svg")
        let gzipped = compressible ? Gzip.compress(body).flatMap { $0.count < body.count ? $0 : nil } : nil
        let entry = Entry(
            modified: modified, size: size, body: body, gzipped: gzipped,
            etag: Self.fingerprint(body), contentType: type
        )
        entries.set(resolved, entry)
        return (resolved, entry)
    }

    static func acceptsGzip(_ headers: HTTPHeaders) -> Bool {
        for value in headers.values("Accept-Encoding") {
            for part in value.split(separator: ",") {
                let pieces = part.split(separator: ";").map { trimOWS($0).lowercased() }
                guard let name = pieces.first, name == "gzip" || name == "*" else { continue }
                let zeroQuality = pieces.dropFirst().contains { $0.hasPrefix("q=") && Double($0.dropFirst(2)) == 0 }
                if !zeroQuality { return true }
            }
        }
        return false
    }

    static func matches(_ ifNoneMatch: String?, etag: String) -> Bool {
        guard let ifNoneMatch else { return false }
        let bare = etag.hasPrefix("W/") ? String(etag.dropFirst(2)) : etag
        for candidate in ifNoneMatch.split(separator: ",") {
            let tag = trimOWS(candidate)
            if tag == "*" { return true }
            let bareTag = tag.hasPrefix("W/") ? tag.dropFirst(2) : tag
            if bareTag == bare { return true }
        }
        return false
    }

    /// FNV-1a over the content: changes whenever the bytes do.
    static func fingerprint(_ bytes: [UInt8]) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in bytes {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01B3
        }
        return String(hash, radix: 16) + "-" + String(bytes.count, radix: 16)
    }

    static func contentType(for path: String) -> String {
        let ext = path.split(separator: ".").last.map { $0.lowercased() } ?? ""
        switch ext {
        case "html", "htm": return "text/html; charset=utf-8"
        case "css": return "text/css; charset=utf-8"
        case "js", "mjs": return "text/javascript; charset=utf-8"
        case "json": return "application/json"
        case "txt": return "text/plain; charset=utf-8"
        case "svg": return "image/svg+xml"
        case "png": return "image/png"
        case "jpg", "jpeg": return "image/jpeg"
        case "gif": return "image/gif"
        case "ico": return "image/x-icon"
        case "webp": return "image/webp"
        case "wasm": return "application/wasm"
        case "woff2": return "font/woff2"
        default: return "application/octet-stream"
        }
    }
}

/// A dictionary under a lock; values are immutable and replaced whole when a file changes.
private final class LockedCache<Value: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var values: [String: Value] = [:]  // Guarded by `lock`.

    var count: Int { lock.withLock { values.count } }

    func get(_ key: String) -> Value? {
        lock.withLock { values[key] }
    }

    func set(_ key: String, _ value: Value) {
        lock.withLock { values[key] = value }
    }
}
