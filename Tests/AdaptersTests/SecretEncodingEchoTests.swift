import Foundation
import HTTPServer
import MapCLI
import MapDSL
import Testing

extension AdaptersTestSuite {
    /// Issue 14: a platform that echoes the credential back (in 5xx, 4xx and 401 bodies, and in
    /// per-record errors), in any encoding, never gets it into what mapc prints or stores.
    @Suite("secrets echoed by a platform in every encoding")
    struct SecretEncodingEchoTests {
        /// A Mailchimp-style API key with the characters URLs and JSON encode.
        static let secret = "mc-Ab3/xY+9z=Qw7/Kp-us21"

        /// Every form of `secret` the fake platform echoes, as JSON string content.
        static let echoed: [String] = {
            let utf8 = Array(secret.utf8)
            func percent(_ upper: Bool) -> String {
                utf8.map { b -> String in
                    let plain = (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) || b == 0x2D
                    return plain ? String(UnicodeScalar(b)) : String(format: upper ? "%%%02X" : "%%%02x", b)
                }.joined()
            }
            return [
                secret,
                secret.replacingOccurrences(of: "/", with: "\\/"),
                secret.unicodeScalars.map { String(format: "\\u%04x", $0.value) }.joined(),
                secret.replacingOccurrences(of: "/", with: "\\u002F"),
                percent(true), percent(false),
                Data(secret.utf8).base64EncodedString(),
                "Basic " + Data(("anystring:" + secret).utf8).base64EncodedString(),
                Data(("x:" + secret).utf8).base64EncodedString().replacingOccurrences(of: "/", with: "\\/"),
            ]
        }()

        /// What must never be found in output or store bytes: each echoed form as sent, and as it
        /// reads once its JSON escapes are undone.
        static let forbidden: [String] = {
            var out = Set(echoed)
            for form in echoed {
                if let decoded = (try? JSONParser.parse("\"\(form)\""))?.stringValue { out.insert(decoded) }
            }
            return out.sorted()
        }()

        /// The echo, as a JSON string value.
        static var echo: String { "the key you sent: " + echoed.joined(separator: " | ") }

        /// A scripted Mailchimp: each POST gets the next reply (the last one repeats); GETs get empty lists.
        final class EchoingPlatform: @unchecked Sendable {
            let lock = NSLock()
            var posts = 0
            var server: HTTPServer!
            let replies: [(Int, @Sendable (Request) -> String)]

            init(_ replies: [(Int, @Sendable (Request) -> String)]) throws {
                self.replies = replies
                var router = Router()
                router.fallback { [unowned self] request in
                    guard request.method == "POST" else { return Response.json(Data(#"{"members": [], "total_items": 0}"#.utf8)) }
                    let n = lock.withLock {
                        defer { posts += 1 }
                        return posts
                    }
                    let (status, body) = replies[min(n, replies.count - 1)]
                    return Response(status: status, headerFields: [("Content-Type", "application/json")], body: Data(body(request).utf8))
                }
                server = try HTTPServer.start(router: router)
            }
        }

        static func errorBody(_ status: Int) -> String {
            #"{"type": "about:blank", "title": "Refused", "status": \#(status), "detail": "\#(echo)", "instance": "x"}"#
        }

        /// Per-member errors for every member of the batch, each message echoing the key.
        static func memberErrors(_ request: Request) -> String {
            let members = (try? JSONParser.parse(String(decoding: request.body, as: UTF8.self)))?["members"]?.arrayValue ?? []
            let errors = members.map { m in
                #"{"email_address": \#(JSONWriter.compact(m["email_address"] ?? .null)), "error": "\#(echo)", "error_code": "ERROR_GENERIC", "field": "email_address", "field_message": "\#(echo)"}"#
            }
            return
                #"{"new_members": [], "updated_members": [], "errors": [\#(errors.joined(separator: ", "))], "total_created": 0, "total_updated": 0, "error_count": \#(errors.count)}"#
        }

        @Test("a key echoed in 5xx, 4xx, 401 and per-record errors, in every encoding, is in no output, event or store byte")
        func echoedSecretNeverLeaves() throws {
            let platform = try EchoingPlatform([
                (503, { _ in Self.errorBody(503) }), (200, Self.memberErrors), (401, { _ in Self.errorBody(401) }),
                (400, { _ in Self.errorBody(400) }),
            ])
            defer { platform.server.stop(timeout: 5) }
            let root = Repository.temporaryDirectory()
            defer { try? FileManager.default.removeItem(atPath: root) }
            for sub in ["schemas", "platforms", "samples", "ratelimits"] {
                try FileManager.default.copyItem(atPath: Repository.root.appendingPathComponent(sub).path, toPath: "\(root)/\(sub)")
            }
            try FileManager.default.createDirectory(atPath: root + "/data", withIntermediateDirectories: true)
            try FileManager.default.createDirectory(atPath: root + "/jobs", withIntermediateDirectories: true)
            var lines: [String] = []
            for line in try String(contentsOfFile: root + "/samples/salesforce/Contact.jsonl", encoding: .utf8).split(separator: "\n")
                .prefix(3)
            {
                guard case .object(var pairs) = try JSONParser.parse(String(line)) else { continue }
                pairs.insert(("id", pairs.first { $0.0 == "Id" }?.1 ?? .null), at: 0)
                lines.append(JSONWriter.compact(.object(pairs)))
            }
            try (lines.joined(separator: "\n") + "\n").write(toFile: root + "/data/Contact.jsonl", atomically: true, encoding: .utf8)
            try #"""
            {"source": {"platform": "salesforce", "object": "Contact", "adapter": "jsonl"},
             "destination": {"platform": "mailchimp", "object": "member"},
             "mapping": "samples/mappings/sf-contacts-to-mailchimp.map", "mode": "upsert", "retries": 3}
            """#.write(toFile: root + "/jobs/mc.json", atomically: true, encoding: .utf8)
            let environment = [
                "MAPC_JSONL_DIR": root + "/data", "MAPC_MAILCHIMP_URL": platform.server.baseURL.absoluteString,
                "MAPC_MAILCHIMP_TOKEN": Self.secret, "MAPC_MAILCHIMP_LIST": "L1", "MAPC_RATE_LIMITS": "none", "USER": "tester",
            ]
            var output: [String] = []
            func mapc(_ args: [String]) -> Int32 {
                let io = CapturedIO()
                let code = MapCLI.run(args, io: io, environment: environment, workingDirectory: root)
                output += [io.stdout, io.stderr]
                return code
            }
            #expect(mapc(["approve", "samples/mappings/sf-contacts-to-mailchimp.map", "--by", "tester"]) == 0)
            // 503 (retried), then every member refused with the key in its message.
            #expect(mapc(["sync", "mc"]) == 0, "\(output.suffix(2))")
            // 401, then 400: the retries stop with the platform's refusal.
            #expect(mapc(["retry", "mc"]) == 1, "\(output.suffix(2))")
            #expect(mapc(["retry", "mc"]) == 1, "\(output.suffix(2))")
            for args in [
                ["status", "--format", "json"], ["status"], ["events", "mc", "--format", "json"], ["failed", "mc", "--format", "json"],
            ] {
                #expect(mapc(args) == 0 || args[0] == "failed", "\(args): \(output.suffix(2))")
            }
            for run in 1...3 { _ = mapc(["events", "mc", "--run", String(run), "--format", "json"]) }
            let text = output.joined(separator: "\n")
            // The echoes did reach the output, scrubbed: the test would see a leak.
            #expect(text.contains("the key you sent: ‹redacted›"), "\(text.prefix(2000))")
            #expect(text.contains("503") && text.contains("401"))
            for form in Self.forbidden { #expect(!text.contains(form), "output holds \(form)") }
            let store = try FileManager.default.contentsOfDirectory(atPath: root + "/.mapc").filter { $0.hasPrefix("events.db") }
            #expect(store.contains("events.db"))
            for file in store {
                let bytes = try #require(FileManager.default.contents(atPath: root + "/.mapc/" + file))
                for form in Self.forbidden { #expect(bytes.range(of: Data(form.utf8)) == nil, "\(file) holds \(form)") }
            }
        }
    }
}
