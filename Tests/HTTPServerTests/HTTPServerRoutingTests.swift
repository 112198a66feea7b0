import Foundation
import HTTPServer
import Testing

@Suite struct HTTPServerRoutingTests {
    private func makeServer() throws -> HTTPServer {
        var router = Router()
        router.add("GET", "/hello") { _ in .text("hello") }
        router.add("POST", "/hello") { request in .text("posted \(request.body.count)", status: 201) }
        router.add("POST", "/crm/v3/objects/:type/batch/upsert") { request in
            .text("type=\(request.parameter("type") ?? "-")")
        }
        router.add("GET", "/files/*") { request in .text("rest=\(request.parameter("*") ?? "-")") }
        router.add("GET", "/query") { request in
            let items = request.queryItems.map { "\($0.name)=\($0.value ?? "<nil>")" }
            return .text(items.joined(separator: "&"))
        }
        router.add("GET", "/headers") { request in
            Response.text(request.header("X-Custom") ?? "none")
                .withHeader("X-Reply", "yes")
                .withHeader("Retry-After", "7")
        }
        return try HTTPServer.start(router: router)
    }

    @Test func bindsAFreePortOnLoopback() throws {
        let server = try makeServer()
        defer { server.stop() }
        #expect(server.port != 0)
        #expect(server.baseURL.absoluteString == "http://127.0.0.1:\(server.port)")
        #expect(throws: HTTPServerError.self) {
            try HTTPServer.start(configuration: .init(port: server.port), router: Router())
        }
        #expect(throws: HTTPServerError.self) {
            try HTTPServer.start(configuration: .init(host: "not-an-address"), router: Router())
        }
    }

    @Test func routesByMethodAndPath() async throws {
        let server = try makeServer()
        defer { server.stop() }
        let get = try await TestClient.send("GET", server.baseURL.appending(path: "hello"))
        #expect(get.status == 200)
        #expect(get.text == "hello")
        let post = try await TestClient.send("POST", server.baseURL.appending(path: "hello"), body: Data("abc".utf8))
        #expect(post.status == 201)
        #expect(post.text == "posted 3")
        let wrongMethod = try await TestClient.send("DELETE", server.baseURL.appending(path: "hello"))
        #expect(wrongMethod.status == 405)
        #expect(wrongMethod.header("Allow") == "GET, POST")
    }

    @Test func unknownPathIs404AndFallbackIsReplaceable() async throws {
        let server = try makeServer()
        defer { server.stop() }
        let missing = try await TestClient.send("GET", server.baseURL.appending(path: "nope/deeper"))
        #expect(missing.status == 404)

        var router = Router()
        router.fallback { request in .text("caught \(request.method) \(request.path)", status: 418) }
        let other = try HTTPServer.start(router: router)
        defer { other.stop() }
        let caught = try await TestClient.send("PUT", other.baseURL.appending(path: "any/thing"))
        #expect(caught.status == 418)
        #expect(caught.text == "caught PUT /any/thing")
    }

    @Test func bindsPathParametersAndWildcards() async throws {
        let server = try makeServer()
        defer { server.stop() }
        let upsert = try await TestClient.send(
            "POST", server.baseURL.appending(path: "crm/v3/objects/contacts/batch/upsert"), body: Data("{}".utf8))
        #expect(upsert.text == "type=contacts")
        let rest = try await TestClient.send("GET", server.baseURL.appending(path: "files/a/b/c.txt"))
        #expect(rest.text == "rest=a/b/c.txt")
        let encoded = try await TestClient.send("GET", URL(string: "\(server.baseURL)/files/a%20b%40c.com")!)
        #expect(encoded.text == "rest=a b@c.com")
        let tooShort = try await TestClient.send("POST", server.baseURL.appending(path: "crm/v3/objects/contacts"))
        #expect(tooShort.status == 404)
    }

    @Test func decodesQueryParameters() async throws {
        let server = try makeServer()
        defer { server.stop() }
        let url = URL(string: "\(server.baseURL)/query?q=SELECT+Id+FROM+Lead&limit=10&name=a%20b%26c&flag")!
        let reply = try await TestClient.send("GET", url)
        #expect(reply.text == "q=SELECT Id FROM Lead&limit=10&name=a b&c&flag=<nil>")
    }

    @Test func passesRequestAndResponseHeaders() async throws {
        let server = try makeServer()
        defer { server.stop() }
        let reply = try await TestClient.send(
            "GET", server.baseURL.appending(path: "headers"), headers: ["X-Custom": "value 1"])
        #expect(reply.text == "value 1")
        #expect(reply.header("X-Reply") == "yes")
        #expect(reply.header("Retry-After") == "7")
    }
}

@Suite struct PathPatternTests {
    @Test func matchesLiteralsParametersAndWildcards() {
        #expect(PathPattern("/a/:id/c").match("/a/42/c") == ["id": "42"])
        #expect(PathPattern("/a/:id/c").match("/a/42/d") == nil)
        #expect(PathPattern("/a/:id").match("/a") == nil)
        #expect(PathPattern("/a/*").match("/a") == ["*": ""])
        #expect(PathPattern("/a/*").match("/a/b/c") == ["*": "b/c"])
        #expect(PathPattern("/*").match("/") == ["*": ""])
        #expect(PathPattern("/a//b/").match("a/b") == [:])
        #expect(PathPattern("/a/b").description == "/a/b")
    }
}
