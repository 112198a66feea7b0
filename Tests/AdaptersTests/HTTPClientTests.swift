import Foundation
import HTTPServer
import MapcSupport
import SyncEngine
import Testing

@testable import Adapters

/// The libcurl client every adapter sends through, against a real server on loopback.
@Suite struct HTTPClientTests {
    static func server() throws -> HTTPServer {
        var router = Router()
        router.add("*", "/echo") { request in
            let seen = [
                ("method", request.method), ("body", request.bodyText), ("auth", request.header("Authorization") ?? ""),
                ("expect", request.header("Expect") ?? "-"), ("type", request.header("Content-Type") ?? ""),
            ]
            return Response(
                status: 201, headerFields: [("X-One", "1"), ("x-many", "a"), ("X-Many", "b")],
                body: Data(seen.map { "\($0.0)=\($0.1)" }.joined(separator: "\n").utf8))
        }
        router.add("GET", "/missing") { _ in .text("nothing here", status: 404) }
        router.add("GET", "/moved") { _ in Response(status: 302, headerFields: [("Location", "/echo")]) }
        router.add("GET", "/slow") { _ in
            Thread.sleep(forTimeInterval: 3)
            return .text("late")
        }
        return try HTTPServer.start(router: router)
    }

    static func request(_ method: String, _ url: URL, body: String? = nil) -> HTTPRequest {
        var r = HTTPRequest(method: method, url: url, body: body.map { Data($0.utf8) })
        r.headers = [("Authorization", "Bearer t0ken")]
        if body != nil { r.headers.append(("Content-Type", "application/json")) }
        return r
    }

    @Test(arguments: ["GET", "POST", "PATCH", "PUT", "DELETE"])
    func sendsMethodHeadersAndBodyAndReadsTheReply(method: String) throws {
        let server = try Self.server()
        defer { server.stop() }
        let client = HTTPClient(timeout: 10)
        let body = method == "GET" || method == "DELETE" ? nil : #"{"a":1}"#
        let reply = try client.send(Self.request(method, server.baseURL.appending(path: "echo"), body: body))
        #expect(reply.status == 201)
        let text = String(decoding: reply.body, as: UTF8.self)
        #expect(text.contains("method=\(method)"))
        #expect(text.contains("auth=Bearer t0ken"))
        if let body {
            #expect(text.contains("body=\(body)"))
            #expect(text.contains("type=application/json"))
            // No `Expect: 100-continue` round trip before a body.
            #expect(text.contains("expect=-"))
        }
        #expect(reply.header("x-one") == "1")
        #expect(reply.header("X-MANY") == "a, b")
    }

    @Test func errorStatusesAreRepliesAndRedirectsAreFollowed() throws {
        let server = try Self.server()
        defer { server.stop() }
        let client = HTTPClient(timeout: 10)
        let missing = try client.send(Self.request("GET", server.baseURL.appending(path: "missing")))
        #expect(missing.status == 404)
        #expect(String(decoding: missing.body, as: UTF8.self) == "nothing here")
        let moved = try client.send(Self.request("GET", server.baseURL.appending(path: "moved")))
        #expect(moved.status == 201)
        #expect(String(decoding: moved.body, as: UTF8.self).contains("method=GET"))
    }

    @Test func transportFailuresAreTransientAndNameTheHostOnly() throws {
        let server = try Self.server()
        let url = server.baseURL.appending(path: "echo").appending(queryItems: [URLQueryItem(name: "key", value: "s3cret")])
        server.stop()
        #expect {
            _ = try HTTPClient(timeout: 2).send(Self.request("GET", url))
        } throws: { error in
            guard case .transient(let message) = error as? AdapterError else { return false }
            return message.contains("GET to 127.0.0.1 failed (curl error 7") && !message.contains("s3cret") && !message.contains("/echo")
        }
    }

    @Test func aStalledReplyTimesOut() throws {
        let server = try Self.server()
        defer { server.stop() }
        #expect {
            _ = try HTTPClient(timeout: 1).send(Self.request("GET", server.baseURL.appending(path: "slow")))
        } throws: { error in
            guard case .transient(let message) = error as? AdapterError else { return false }
            return message.contains("curl error 28")
        }
    }

    @Test func concurrentRequestsEachGetTheirOwnTransfer() throws {
        let server = try Self.server()
        defer { server.stop() }
        let client = HTTPClient(timeout: 10)
        let url = server.baseURL.appending(path: "echo")
        let statuses = Locked<[Int]>([])
        DispatchQueue.concurrentPerform(iterations: 24) { i in
            let reply = try? client.send(Self.request("POST", url, body: #"{"n":\#(i)}"#))
            if let reply, String(decoding: reply.body, as: UTF8.self).contains(#"body={"n":\#(i)}"#) {
                statuses.withLock { $0.append(reply.status) }
            }
        }
        #expect(statuses.withLock { $0 } == Array(repeating: 201, count: 24))
    }
}
