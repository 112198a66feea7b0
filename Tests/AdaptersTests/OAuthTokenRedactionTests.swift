import Adapters
import Foundation
import HTTPServer
import MapcSupport
import SyncEngine
import Testing

extension AdaptersTestSuite {
    /// An OAuth access token is fetched at run time, so it was not among the secrets the adapter
    /// scrubbed from replies: a platform echoing it put it in errors, logs and the event store.
    @Suite("OAuth token redaction")
    struct OAuthTokenRedactionTests {
        @Test("an access token the platform echoes is redacted in every encoding, like the credential")
        func anOAuthAccessTokenThePlatformEchoesIsRedacted() throws {
            let root = try DeclarativeVariantsTests.project(DeclarativeVariantsTests.variants[0])
            defer { try? FileManager.default.removeItem(atPath: root) }
            // Characters JSON and URLs encode: `/`, `+`, `=`.
            let token = "at/\(UUID().uuidString)+tok="
            let escaped = token.replacingOccurrences(of: "/", with: "\\/")
            let percent = token.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? token
            var router = Router()
            router.add("POST", "/oauth/token") { _ in
                Response(
                    status: 200, headerFields: [("Content-Type", "application/json")],
                    body: Data(#"{"access_token":"\#(escaped)","token_type":"bearer","expires_in":3600}"#.utf8))
            }
            router.add("*", "/*") { request in
                // The platform echoes the Authorization header: raw in a header, JSON-escaped and
                // percent-encoded in its error message.
                let auth = request.headerFields.first { $0.name.lowercased() == "authorization" }?.value ?? ""
                let seen = String(auth.dropFirst("Bearer ".count))
                let body =
                    #"{"code":"BAD_SCOPE","message":"token \#(seen.replacingOccurrences(of: "/", with: "\\/")) (\#(seen.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")) lacks a scope"}"#
                return Response(
                    status: 400, headerFields: [("Content-Type", "application/json"), ("X-Echo", seen)], body: Data(body.utf8))
            }
            let platform = try HTTPServer.start(configuration: HTTPServerConfiguration(), router: router)
            defer { platform.stop() }
            let logged = Locked<[String]>([])
            let options = AdapterOptions(
                rateLimitsDirectory: root + "/ratelimits", maxRetries: 0, log: { line in logged.withLock { $0.append(line) } })
            let connection = Connection(
                platform: "demo", baseURL: platform.baseURL, credential: Secret("client-secret-9f2c"), parameters: ["client": "c1"])
            let adapter = try AdapterFactory.make(platform: "demo", connection: connection, options: options)
            var message = ""
            do {
                _ = try adapter.fetch(FetchRequest(object: "person", pageSize: 5))
                Issue.record("the platform refused the read; the adapter did not say so")
            } catch {
                message = "\(error)"
            }
            #expect(message.contains("BAD_SCOPE") && message.contains("‹redacted›"), "\(message)")
            for form in [token, escaped, percent] {
                #expect(!message.contains(form), "\(message)")
                #expect(!logged.withLock { $0 }.contains { $0.contains(form) })
            }
        }
    }
}
