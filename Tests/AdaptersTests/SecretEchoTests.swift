import Adapters
import Foundation
import HTTPServer
import MapDSL
import MapcSupport
import SyncEngine
import Testing

extension AdaptersTestSuite {
    /// Platforms echo what they were sent in their error bodies: a rejected token, the URL with its
    /// query (where GA4 carries its secret), the Authorization header. A live server answers every
    /// request with such a body — 401, a 4xx, a 5xx every time (so the adapter retries and logs) —
    /// and nothing the adapter throws or logs may contain the secret.
    @Suite("Secrets echoed by failing platforms", .serialized)
    struct SecretEchoTests {
        static let planted = "pk-ECHOED-9876543210-secret"

        /// A server that answers every request with `status` and a body echoing the request raw:
        /// the Authorization header, the path with its query, and the body.
        static func echoServer(status: Int) throws -> HTTPServer {
            var router = Router()
            router.fallback { request in
                let auth = request.headerFields.first { $0.name.lowercased() == "authorization" }?.value ?? ""
                let query = request.queryItems.map { "\($0.name)=\($0.value ?? "")" }.joined(separator: "&")
                let echoed = "token \(auth) for \(request.path)?\(query) with \(request.bodyText.prefix(300))"
                // Raw text, as platforms put it in plain-text and JSON messages alike.
                let body =
                    "{\"message\": \"invalid credential \(planted): \(echoed.replacingOccurrences(of: "\"", with: "'"))\", \"status\": \"error\", \"errors\": [{\"message\": \"\(planted)\"}], \"detail\": \"\(planted)\"}"
                return Response(status: status, headerFields: [("Content-Type", "application/json")], body: Data(body.utf8))
            }
            return try HTTPServer.start(router: router)
        }

        struct Case: CustomStringConvertible, Sendable {
            var platform: String
            var parameters: [String: String] = [:]
            var object: String
            var keyField: String
            var mode: WriteMode
            var fields: [(String, JSONValue)]
            var readable: Bool
            var description: String { platform }
        }

        static let cases: [Case] = [
            Case(
                platform: "hubspot", object: "contact", keyField: "email", mode: .upsert, fields: [("email", "a@example.com")],
                readable: true),
            Case(
                platform: "salesforce", parameters: ["version": "59.0"], object: "Lead", keyField: "Email", mode: .upsert,
                fields: [("Email", "a@example.com"), ("LastName", "A"), ("Company", "C")], readable: true),
            Case(
                platform: "mailchimp", parameters: ["list": "list1"], object: "member", keyField: "email_address", mode: .upsert,
                fields: [("email_address", "a@example.com"), ("status_if_new", "subscribed")], readable: true),
            Case(
                platform: "segment", object: "track", keyField: "messageId", mode: .insertOnly,
                fields: [("userId", "u1"), ("event", "Signed Up"), ("messageId", "m-1")], readable: false),
            Case(
                platform: "ga4", parameters: ["measurement_id": "G-1"], object: "event", keyField: "k", mode: .insertOnly,
                fields: [("client_id", "c.1"), ("name", "ok_event")], readable: false),
        ]

        @Test("401, 4xx and retried 5xx bodies that echo the secret never reach errors or logs", arguments: cases)
        func echoedSecretNeverLeaks(_ c: Case) throws {
            for status in [401, 400, 404, 422, 500, 503] {
                let server = try Self.echoServer(status: status)
                defer { server.stop() }
                let lines = Locked<[String]>([])
                let options = AdapterOptions(
                    timeout: 5, maxRetries: 2, retryBaseDelay: 0.001, log: { line in lines.withLock { $0.append(line) } })
                let adapter = try AdapterFactory.make(
                    platform: c.platform,
                    connection: Connection(
                        platform: c.platform, baseURL: server.baseURL, credential: Secret(Self.planted), parameters: c.parameters),
                    options: options)
                var captured: [String] = []
                func capture<T>(_ what: String, _ body: () throws -> T) {
                    do {
                        let value = try body()
                        // A write may report per-record failures instead of throwing: those count too.
                        captured.append(String(reflecting: value))
                    } catch {
                        captured.append("\(error)")
                        captured.append(String(reflecting: error))
                    }
                }
                capture("write") {
                    try adapter.write(
                        WriteRequest(
                            object: c.object, keyField: c.keyField, mode: c.mode, records: [OutboundRecord(key: "k1", fields: c.fields)]))
                }
                if c.readable {
                    capture("fetch") { try adapter.fetch(FetchRequest(object: c.object, pageSize: 1)) }
                    capture("describe") { try adapter.describe(object: c.object) }
                }
                captured += lines.withLock { $0 }
                // The server really answered with the echo (so the adapters had the secret in hand).
                #expect(!captured.isEmpty)
                for text in captured {
                    #expect(!text.contains(Self.planted), "\(c.platform) HTTP \(status): \(text)")
                }
                if status >= 500 && c.platform != "ga4" {
                    // The 5xx was retried, and the retries were logged (GA4 events are not idempotent:
                    // a failed send is reported, never sent again).
                    #expect(!lines.withLock { $0 }.isEmpty, "\(c.platform) HTTP \(status): no retry logged")
                }
            }
        }
    }
}
