// Prometheus exposition through swift-metrics: every module records with the swift-metrics
// API (the pool records queue depth, batch sizes, inference latency, rejections); this file
// bootstraps the backend once per process and adds the HTTP-level figures.

import HTTPServer
import Metrics
import Prometheus

enum ServiceMetrics {
    /// One registry per process: `MetricsSystem.bootstrap` may only run once, and tests start
    /// several applications in one process.
    static let registry: PrometheusCollectorRegistry = {
        let registry = PrometheusCollectorRegistry()
        var factory = PrometheusMetricsFactory(registry: registry)
        // Latencies here are sub-millisecond to seconds; the default buckets start too coarse.
        factory.defaultDurationHistogramBuckets = [
            .microseconds(100), .microseconds(250), .microseconds(500), .milliseconds(1), .milliseconds(2),
            .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100),
            .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(2), .seconds(5),
        ]
        factory.valueHistogramBuckets["ocr_batch_size"] = [1, 2, 4, 8, 16, 32, 64]
        MetricsSystem.bootstrap(factory)
        return registry
    }()

    static func bootstrap() { _ = registry }

    /// The API paths get their own label; everything else (static files, 404s) shares one,
    /// so a client probing random paths cannot grow the series without bound.
    static let knownRoutes: Set<String> = [
        "/api/v1/recognize", "/api/v1/model", "/healthz", "/readyz", "/metrics", "/openapi.yaml", "/",
    ]

    static func routeLabel(_ path: String) -> String {
        knownRoutes.contains(path) ? path : "other"
    }

    /// Counts requests by route and status and times them.
    static let middleware: Middleware = { request, next in
        let start = ContinuousClock.now
        let response = try await next(request)
        let route = routeLabel(request.path)
        Counter(label: "http_requests_total", dimensions: [("route", route), ("status", "\(response.status.code)")])
            .increment()
        Timer(label: "http_request_duration_seconds", dimensions: [("route", route)], preferredDisplayUnit: .seconds)
            .recordInterval(since: start)
        return response
    }

    static func exposition(openConnections: Int) -> Response {
        Gauge(label: "http_open_connections").record(openConnections)
        return Response(
            status: .ok, contentType: "text/plain; version=0.0.4; charset=utf-8", body: registry.emitToBuffer()
        )
    }
}

extension Timer {
    func recordInterval(since start: ContinuousClock.Instant) {
        let elapsed = ContinuousClock.now - start
        let (seconds, attoseconds) = elapsed.components
        recordNanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
    }
}
