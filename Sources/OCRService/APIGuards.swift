// Cross-cutting rules for /api/*: CORS, API keys and a per-client rate limit. Each is a
// middleware built from configuration; the page, its assets and the probes stay open.

import Foundation
import HTTPServer

enum APIGuards {
    static func isAPI(_ path: String) -> Bool { path.hasPrefix("/api/") }

    /// Answers preflights and adds `Access-Control-Allow-Origin` for configured origins.
    /// With no origins configured only same-origin use works (browsers enforce it).
    static func cors(origins: [String]) -> Middleware {
        let allowed = Set(origins)
        let any = allowed.contains("*")
        return { request, next in
            guard isAPI(request.path), let origin = request.headers["Origin"],
                  any || allowed.contains(origin) else {
                return try await next(request)
            }
            let allowOrigin = any ? "*" : origin
            if request.method == "OPTIONS" {
                var headers = HTTPHeaders([
                    ("Access-Control-Allow-Origin", allowOrigin),
                    ("Access-Control-Allow-Methods", "GET, POST, OPTIONS"),
                    ("Access-Control-Allow-Headers", "Authorization, Content-Type, X-Request-Id"),
                    ("Access-Control-Max-Age", "600"),
                ])
                if !any { headers.add("Vary", "Origin") }
                return Response(status: .noContent, headers: headers)
            }
            var response = try await next(request)
            response.headers.set("Access-Control-Allow-Origin", allowOrigin)
            response.headers.set("Access-Control-Expose-Headers", "Retry-After, X-Request-Id")
            if !any { response.headers.add("Vary", "Origin") }
            return response
        }
    }

    /// `Authorization: Bearer <key>` on /api/* when keys are configured (preflights pass:
    /// browsers send them without credentials).
    static func apiKeys(_ keys: [String]) -> Middleware {
        let accepted = keys.map { Array($0.utf8) }
        return { request, next in
            guard isAPI(request.path), request.method != "OPTIONS" else { return try await next(request) }
            let header = request.headers["Authorization"] ?? ""
            let prefix = "Bearer "
            let presented = header.hasPrefix(prefix) ? Array(header.utf8.dropFirst(prefix.utf8.count)) : []
            // Check every key with a constant-time comparison, so timing reveals neither
            // which key nor how much of one matched.
            var matched = false
            for key in accepted where constantTimeEqual(key, presented) { matched = true }
            guard matched else {
                throw Problem(.unauthorized, detail: "Send a valid API key as 'Authorization: Bearer <key>'.",
                              type: Problems.base + "unauthorized", headers: [("WWW-Authenticate", "Bearer")])
            }
            return try await next(request)
        }
    }

    static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        var difference = UInt8(truncatingIfNeeded: a.count ^ b.count)
        let length = max(a.count, b.count)
        for index in 0..<length {
            let x = index < a.count ? a[index] : 0
            let y = index < b.count ? b[index] : 0
            difference |= x ^ y
        }
        return difference == 0 && a.count == b.count
    }

    static func rateLimit(_ limiter: RateLimiter) -> Middleware {
        return { request, next in
            guard isAPI(request.path) else { return try await next(request) }
            if let wait = limiter.take(client: request.remoteAddress) {
                throw Problem(.tooManyRequests, detail: "Too many requests from this address; slow down.",
                              type: Problems.base + "rate-limited", headers: [("Retry-After", "\(wait)")])
            }
            return try await next(request)
        }
    }
}

/// A token bucket per client address: `rate` tokens a second up to `burst`.
final class RateLimiter: @unchecked Sendable {
    private struct Bucket {
        var tokens: Double
        var updated: ContinuousClock.Instant
    }

    private let rate: Double
    private let burst: Double
    private let lock = NSLock()
    /// Guarded by `lock`. Pruned of full buckets when it grows, so memory stays bounded
    /// by the number of clients active within about `burst / rate` seconds.
    private var buckets: [String: Bucket] = [:]

    init(requestsPerSecond: Double, burst: Int) {
        rate = requestsPerSecond
        self.burst = Double(max(1, burst))
    }

    /// nil when the request may go ahead; otherwise whole seconds until a token is free.
    func take(client: String) -> Int? {
        let now = ContinuousClock.now
        return lock.withLock {
            var bucket = buckets[client] ?? Bucket(tokens: burst, updated: now)
            let elapsed = now - bucket.updated
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            bucket.tokens = min(burst, bucket.tokens + seconds * rate)
            bucket.updated = now
            defer {
                buckets[client] = bucket
                if buckets.count > 10_000 { prune(now: now) }
            }
            if bucket.tokens >= 1 {
                bucket.tokens -= 1
                return nil
            }
            return max(1, Int(((1 - bucket.tokens) / rate).rounded(.up)))
        }
    }

    private func prune(now: ContinuousClock.Instant) {
        let refill = Duration.seconds(burst / rate)
        buckets = buckets.filter { now - $0.value.updated < refill }
    }
}
