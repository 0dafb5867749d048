import Foundation
import Testing
@testable import HTTPServer

@Suite struct RouterTests {
    struct Boom: Error {}

    func router() -> Router {
        var router = Router()
        router.on("GET", "/a") { _ in .text("a") }
        router.on("POST", "/a") { _ in .text("posted") }
        router.on("GET", "/page", headers: [("Content-Security-Policy", "default-src 'self'")]) { _ in .text("page") }
        router.on("GET", "/own", headers: [("Cache-Control", "route")]) { _ in
            Response(status: .ok, headers: HTTPHeaders([("Cache-Control", "handler")]), body: [])
        }
        router.on("GET", "/fail") { _ in throw Boom() }
        router.on("GET", "/busy") { _ in
            throw Problem(.serviceUnavailable, detail: "queue full", headers: [("Retry-After", "2")])
        }
        router.onPrefix("GET", "/files/") { request in .text("file " + request.path) }
        return router
    }

    func json(_ response: Response) throws -> [String: Any] {
        try #require(JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any])
    }

    /// Only a route registered with `offload: true` starts its handler off the connection's
    /// queue; HEAD follows GET, and a path with no route (a 404) is answered in place.
    @Test func offloadIsChosenPerRoute() async {
        var router = router()
        router.on("GET", "/heavy", offload: true) { _ in .text("heavy") }
        #expect(router.offloads(Request(method: "GET", target: "/heavy")))
        #expect(router.offloads(Request(method: "HEAD", target: "/heavy?x=1")))
        #expect(!router.offloads(Request(method: "POST", target: "/heavy")))
        #expect(!router.offloads(Request(method: "GET", target: "/a")))
        #expect(!router.offloads(Request(method: "GET", target: "/files/x")))
        #expect(!router.offloads(Request(method: "GET", target: "/nowhere")))
        #expect(await router.respond(to: Request(method: "GET", target: "/heavy")).body == Array("heavy".utf8))
    }

    @Test func exactAndPrefixRoutes() async {
        let router = router()
        #expect(await router.respond(to: Request(method: "GET", target: "/a")).body == Array("a".utf8))
        #expect(await router.respond(to: Request(method: "POST", target: "/a")).body == Array("posted".utf8))
        #expect(await router.respond(to: Request(method: "GET", target: "/files/x.css?v=1")).body == Array("file /files/x.css".utf8))
        #expect(await router.respond(to: Request(method: "GET", target: "http://h:1/a")).body == Array("a".utf8))
        let absolute = Request(method: "GET", target: "HTTPS://h/files/y?z=1")
        #expect(absolute.path == "/files/y")
        #expect(absolute.query == "z=1")
        #expect(Request(method: "GET", target: "http://h").path == "/")
    }

    @Test func headFallsBackToGet() async {
        let response = await router().respond(to: Request(method: "HEAD", target: "/a"))
        #expect(response.status == .ok)
    }

    @Test func unknownPathIs404Problem() async throws {
        let response = await router().respond(to: Request(method: "GET", target: "/missing"))
        #expect(response.status.code == 404)
        #expect(response.headers["Content-Type"] == "application/problem+json")
        #expect(try json(response)["status"] as? Int == 404)
    }

    @Test func wrongMethodIs405WithAllow() async throws {
        let response = await router().respond(to: Request(method: "DELETE", target: "/a"))
        #expect(response.status.code == 405)
        #expect(response.headers["Allow"] == "GET, HEAD, POST")
        #expect(try json(response)["title"] as? String == "Method Not Allowed")
    }

    @Test func thrownErrorsBecomeOpaque500s() async throws {
        let response = await router().respond(to: Request(method: "GET", target: "/fail"))
        #expect(response.status.code == 500)
        let text = String(decoding: response.body, as: UTF8.self)
        #expect(!text.contains("Boom"))
        #expect(try json(response)["status"] as? Int == 500)
    }

    @Test func thrownProblemsKeepTheirStatusAndHeaders() async throws {
        let response = await router().respond(to: Request(method: "GET", target: "/busy"))
        #expect(response.status.code == 503)
        #expect(response.headers["Retry-After"] == "2")
        #expect(try json(response)["detail"] as? String == "queue full")
    }

    @Test func routeHeadersAreAddedButNeverOverrideTheHandler() async {
        let router = router()
        let page = await router.respond(to: Request(method: "GET", target: "/page"))
        #expect(page.headers["Content-Security-Policy"] == "default-src 'self'")
        let own = await router.respond(to: Request(method: "GET", target: "/own"))
        #expect(own.headers.values("Cache-Control") == ["handler"])
    }

    @Test func middlewareWrapsMatchedAndUnmatchedRequestsInOrder() async {
        var router = router()
        router.use { request, next in
            var response = try await next(request)
            response.headers.add("X-Order", "outer")
            return response
        }
        router.use { request, next in
            guard request.headers["X-Key"] == "secret" else {
                throw Problem(.unauthorized, detail: "missing key")
            }
            var response = try await next(request)
            response.headers.add("X-Order", "inner")
            return response
        }
        let denied = await router.respond(to: Request(method: "GET", target: "/a"))
        #expect(denied.status.code == 401)
        let allowed = await router.respond(
            to: Request(method: "GET", target: "/missing", headers: HTTPHeaders([("X-Key", "secret")]))
        )
        #expect(allowed.status.code == 404)
        let ok = await router.respond(to: Request(method: "GET", target: "/a", headers: HTTPHeaders([("X-Key", "secret")])))
        #expect(ok.headers.values("X-Order") == ["inner", "outer"])
    }

    @Test func problemJSONEscapesText() throws {
        let problem = Problem(.badRequest, detail: "quote \" backslash \\ newline \n tab \t bell \u{07}")
        let object = try #require(JSONSerialization.jsonObject(with: Data(problem.json.utf8)) as? [String: Any])
        #expect(object["detail"] as? String == problem.detail)
    }
}
