import Foundation
import MapDSL
import SyncEngine
import Testing

@testable import Adapters

extension AdaptersTestSuite {
    /// libcurl sends a request again, unseen, when a kept-alive connection turns out dropped before
    /// any byte of the reply: the server counts one arrival more than the client made attempts.
    /// Requests the platform would apply twice must never be sent that way.
    @Suite("Transport re-sends", .timeLimit(.minutes(1)))
    struct TransportResendTests {
        static func post(_ server: DroppingServer, reuse: Bool) -> HTTPRequest {
            HTTPRequest(
                method: "POST", url: server.url.appendingPathComponent("collect"), headers: [("Content-Type", "application/json")],
                body: Data(#"{"n":1}"#.utf8), reuseConnection: reuse)
        }

        @Test("an idempotent request on a dropped kept-alive connection arrives twice (libcurl's silent re-send)")
        func keptAliveRequestsAreResentUnseen() throws {
            let server = try DroppingServer(drop: [2])
            defer { server.stop() }
            let client = HTTPClient(timeout: 5)
            #expect(try client.send(Self.post(server, reuse: true)).status == 200)
            // The second request goes on the kept-alive connection, is received, and the
            // connection closes: libcurl sends it again on a new one and reports success.
            #expect(try client.send(Self.post(server, reuse: true)).status == 200)
            #expect(server.arrivals == 3, "2 attempts, \(server.arrivals) arrivals")
        }

        @Test("a non-idempotent request on a dropped connection is reported, not re-sent")
        func nonIdempotentRequestsAreNeverResentUnseen() throws {
            let server = try DroppingServer(drop: [2])
            defer { server.stop() }
            let client = HTTPClient(timeout: 5)
            // A kept-alive connection is there to be reused…
            #expect(try client.send(Self.post(server, reuse: true)).status == 200)
            // …but the request that must not arrive twice opens its own, and its loss is an error.
            #expect(throws: AdapterError.self) { try client.send(Self.post(server, reuse: false)) }
            #expect(server.arrivals == 2, "2 attempts, \(server.arrivals) arrivals")
            // And the connection it used is not kept for another request.
            #expect(try client.send(Self.post(server, reuse: true)).status == 200)
            #expect(server.arrivals == 3)
        }

        @Test("GA4 collect after a dropped connection: one arrival per attempt, the failure reported")
        func ga4CollectIsNeverResentAfterATransportFailure() throws {
            let server = try DroppingServer(drop: [2], status: 204)
            defer { server.stop() }
            let connection = Connection(
                platform: "ga4", baseURL: server.url, credential: Secret("secret"), parameters: ["measurement_id": "G-TEST"])
            let adapter = try AdapterFactory.make(platform: "ga4", connection: connection, options: AdapterOptions(maxRetries: 3))
            func event(_ key: String) -> WriteRequest {
                WriteRequest(
                    object: "event", keyField: "messageId", mode: .insertOnly,
                    records: [OutboundRecord(key: key, fields: [("client_id", "c1"), ("name", "page_view")])])
            }
            #expect(try adapter.write(event("e1")).first?.status == .created)
            #expect(throws: AdapterError.self) { try adapter.write(event("e2")) }
            #expect(server.arrivals == 2, "2 attempts, \(server.arrivals) arrivals")
        }
    }
}
