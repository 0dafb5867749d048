// Method + path → handler, with middleware wrapping and problem-details
// errors for everything that does not match.

import Logging

/// A request handler. It runs as a Swift task started on the connection's queue, where it
/// stays until its first suspension (`Connection.handle`): short work is fine there, a
/// blocking wait is not (it would hold a Dispatch thread). A route registered with
/// `offload: true` starts its task elsewhere instead, for handlers with long work up front.
public typealias Handler = @Sendable (Request) async throws -> Response

/// Wraps a handler: may answer by itself (an API-key check) or call `next` and
/// adjust the response (CORS headers).
public typealias Middleware = @Sendable (Request, _ next: Handler) async throws -> Response

public struct Router: Sendable {
    private struct Route: Sendable {
        let handler: Handler
        var offload = false
    }

    /// path → method → route, for exact matches.
    private var exact: [String: [String: Route]] = [:]
    /// Prefix routes, tried in registration order after exact ones.
    private var prefixes: [(prefix: String, routes: [String: Route])] = []
    private var middleware: [Middleware] = []
    private let logger: Logger

    public init(logger: Logger = Logger(label: "http.router")) {
        self.logger = logger
    }

    /// Registers `handler` for `method` on exactly `path`. `headers` are added to
    /// every response of this route that does not set them itself.
    /// `offload`: start the handler's task off the connection's queue (see `Handler`).
    public mutating func on(
        _ method: String, _ path: String, headers: [(String, String)] = [],
        use middleware: [Middleware] = [], offload: Bool = false, _ handler: @escaping Handler
    ) {
        exact[path, default: [:]][method] = Route(
            handler: Self.wrap(handler, headers: headers, middleware: middleware), offload: offload)
    }

    /// Registers `handler` for every path starting with `prefix` (e.g. static files under "/").
    public mutating func onPrefix(
        _ method: String, _ prefix: String, headers: [(String, String)] = [],
        use middleware: [Middleware] = [], _ handler: @escaping Handler
    ) {
        let route = Route(handler: Self.wrap(handler, headers: headers, middleware: middleware))
        if let index = prefixes.firstIndex(where: { $0.prefix == prefix }) {
            prefixes[index].routes[method] = route
        } else {
            prefixes.append((prefix, [method: route]))
        }
    }

    /// Adds middleware around every request, matched or not; the first added is outermost.
    public mutating func use(_ middleware: @escaping Middleware) {
        self.middleware.append(middleware)
    }

    /// Answers a request; never throws. Unmatched paths get 404, unmatched
    /// methods 405 with `Allow`, thrown `Problem`s their own response, and any
    /// other error a 500 that says nothing about the cause.
    public func respond(to request: Request) async -> Response {
        var handler: Handler = { request in try await self.dispatch(request) }
        for outer in middleware.reversed() {
            let inner = handler
            handler = { request in try await outer(request, inner) }
        }
        do {
            return try await handler(request)
        } catch let problem as Problem {
            return problem.response
        } catch {
            logger.error("handler failed", metadata: ["path": "\(request.path)", "error": "\(error)"])
            return Problem(.internalServerError, detail: "The server could not complete the request.").response
        }
    }

    /// Whether the request's route asked for its handler to start off the connection's queue.
    func offloads(_ request: Request) -> Bool {
        guard let routes = routes(for: request.path) else { return false }
        return Self.route(in: routes, for: request.method)?.offload ?? false
    }

    /// The route of a method among a path's routes; HEAD falls back to GET.
    private static func route(in routes: [String: Route], for method: String) -> Route? {
        routes[method] ?? (method == "HEAD" ? routes["GET"] : nil)
    }

    /// Finds the route for a request and runs it; HEAD falls back to GET.
    private func dispatch(_ request: Request) async throws -> Response {
        guard let routes = routes(for: request.path) else {
            throw Problem(.notFound, detail: "No resource exists at this path.")
        }
        if let route = Self.route(in: routes, for: request.method) {
            return try await route.handler(request)
        }
        var methods = Set(routes.keys)
        if methods.contains("GET") { methods.insert("HEAD") }
        let allow = methods.sorted().joined(separator: ", ")
        throw Problem(
            .methodNotAllowed, detail: "This resource supports \(allow).", headers: [("Allow", allow)]
        )
    }

    private func routes(for path: String) -> [String: Route]? {
        if let routes = exact[path] { return routes }
        return prefixes.first { path.hasPrefix($0.prefix) }?.routes
    }

    private static func wrap(_ handler: @escaping Handler, headers: [(String, String)], middleware: [Middleware]) -> Handler {
        var wrapped: Handler = handler
        for outer in middleware.reversed() {
            let inner = wrapped
            wrapped = { request in try await outer(request, inner) }
        }
        guard !headers.isEmpty else { return wrapped }
        let inner = wrapped
        return { request in
            var response = try await inner(request)
            for (name, value) in headers where !response.headers.contains(name) {
                response.headers.add(name, value)
            }
            return response
        }
    }
}
