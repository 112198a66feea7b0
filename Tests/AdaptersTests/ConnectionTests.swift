import Adapters
import Foundation
import MapDSL
import MapcSupport
import Sandbox
import SyncEngine
import Testing

extension AdaptersTestSuite {
    @Suite("Connections and secrets")
    struct ConnectionTests {
        static let planted = "pk-PLANTED-0123456789-secret"

        @Test("environment variables build connections; parameters are lower-cased")
        func environment() throws {
            let env = [
                "MAPC_MAILCHIMP_TOKEN": "abc123-us7", "MAPC_MAILCHIMP_LIST": "list1", "MAPC_HUBSPOT_URL": "http://127.0.0.1:9",
                "MAPC_HUBSPOT_TOKEN": Self.planted, "MAPC_GA4_API_SECRET": "s3cr3t", "MAPC_GA4_MEASUREMENT_ID": "G-1",
            ]
            let mailchimp = try Connection.resolve(platform: "mailchimp", environment: env)
            #expect(mailchimp.baseURL?.absoluteString == "https://us7.api.mailchimp.com")
            #expect(mailchimp.parameters == ["list": "list1"])
            let hubspot = try Connection.resolve(platform: "hubspot", environment: env)
            #expect(hubspot.baseURL?.absoluteString == "http://127.0.0.1:9")
            let ga4 = try Connection.resolve(platform: "ga4", environment: env)
            #expect(ga4.parameters["measurement_id"] == "G-1")
            #expect(ga4.credential != nil)
            #expect {
                _ = try Connection.resolve(platform: "salesforce", environment: ["MAPC_SALESFORCE_TOKEN": "t"])
            } throws: { error in
                "\(error)".contains("MAPC_SALESFORCE_URL")
            }
            #expect {
                _ = try Connection.resolve(platform: "segment", environment: [:])
            } throws: { error in
                "\(error)".contains("MAPC_SEGMENT_TOKEN")
            }
        }

        @Test("descriptions, debug output and interpolation never show the credential")
        func redaction() throws {
            let connection = try Connection.resolve(
                platform: "hubspot", environment: ["MAPC_HUBSPOT_TOKEN": Self.planted, "MAPC_HUBSPOT_URL": "http://127.0.0.1:9"])
            let texts = [
                connection.description, "\(connection)", String(reflecting: connection.credential!), "\(connection.credential!)",
            ]
            for text in texts { #expect(!text.contains(Self.planted), "\(text)") }
            #expect(connection.description.contains("‹redacted›"))
        }

        @Test("a credentials file outside the repository is read; one inside a git work tree is refused")
        func credentialsFile() throws {
            let dir = Repository.temporaryDirectory()
            let file = dir + "/credentials.json"
            try Data(#"{"salesforce": {"url": "http://127.0.0.1:8", "token": "file-token", "version": "60.0"}}"#.utf8)
                .write(to: URL(fileURLWithPath: file))
            let connection = try Connection.resolve(platform: "salesforce", environment: ["MAPC_CREDENTIALS": file])
            #expect(connection.baseURL?.absoluteString == "http://127.0.0.1:8")
            #expect(connection.parameters["version"] == "60.0")
            let overridden = try Connection.resolve(
                platform: "salesforce", environment: ["MAPC_CREDENTIALS": file, "MAPC_SALESFORCE_URL": "http://127.0.0.1:7"])
            #expect(overridden.baseURL?.absoluteString == "http://127.0.0.1:7")

            try FileManager.default.createDirectory(atPath: dir + "/repo/.git", withIntermediateDirectories: true)
            try FileManager.default.createDirectory(atPath: dir + "/repo/config", withIntermediateDirectories: true)
            try FileManager.default.copyItem(atPath: file, toPath: dir + "/repo/config/credentials.json")
            #expect {
                _ = try Connection.resolve(platform: "salesforce", environment: ["MAPC_CREDENTIALS": dir + "/repo/config/credentials.json"])
            } throws: { error in
                "\(error)".contains("inside the git work tree") && !"\(error)".contains("file-token")
            }
        }

        @Test("errors and logs of a failing adapter never contain the secret")
        func plantedSecretNeverLeaks() throws {
            // GA4 carries its secret in the query string, the worst case for leaking through URLs.
            let server = try SandboxServer.start(platform: .ga4, options: SandboxOptions(credential: Self.planted))
            let url = server.baseURL
            server.stop()
            let lines = Locked<[String]>([])
            let options = AdapterOptions(
                timeout: 2, maxRetries: 1, retryBaseDelay: 0.01, log: { line in lines.withLock { $0.append(line) } })
            let adapter = try AdapterFactory.make(
                platform: "ga4",
                connection: Connection(
                    platform: "ga4", baseURL: url, credential: Secret(Self.planted), parameters: ["measurement_id": "G-1"]),
                options: options)
            var captured: [String] = []
            do {
                _ = try adapter.write(
                    WriteRequest(
                        object: "event", keyField: "k", mode: .insertOnly,
                        records: [OutboundRecord(key: "1", fields: [("client_id", "c.1"), ("name", "ok_event")])]))
                Issue.record("expected a transport failure")
            } catch {
                captured.append("\(error)")
                captured.append(String(reflecting: error))
            }
            // A HubSpot adapter with a wrong URL logs retries: check those too.
            let hubspot = try AdapterFactory.make(
                platform: "hubspot",
                connection: Connection(platform: "hubspot", baseURL: url, credential: Secret(Self.planted)), options: options)
            do {
                _ = try hubspot.fetch(FetchRequest(object: "contact", pageSize: 1, fields: ["email"]))
            } catch {
                captured.append("\(error)")
            }
            captured += lines.withLock { $0 }
            #expect(captured.count >= 3)
            for text in captured { #expect(!text.contains(Self.planted), "\(text)") }
        }
    }
}
