import Crypto
import Foundation
import MapDSL
import Sandbox
import TestSupport
import Testing

@testable import SyncEngine

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// `mapc sync` of a two-way job killed with SIGKILL right after a write batch went out (before its
/// results were recorded), then run again: no member or contact twice, no edit lost, no echo.
@Suite(.serialized, .timeLimit(.minutes(5))) struct TwoWayKilledRunTests {
    struct Project {
        let root: String
        let env: [String: String]
        let salesforce: SandboxServer
        let mailchimp: SandboxServer

        func stop() {
            salesforce.stop()
            mailchimp.stop()
            try? FileManager.default.removeItem(atPath: root)
        }
    }

    static func sfId(_ i: Int) -> String { "003KL0000000" + String(format: "%06d", i) }

    /// 120 contacts and 100 members, 80 of them the same people.
    static func project() throws -> Project {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("mapc-two-way-killed-\(UUID().uuidString)").path
        let fm = FileManager.default
        for folder in ["samples/salesforce", "samples/mailchimp"] {
            try fm.createDirectory(atPath: root + "/" + folder, withIntermediateDirectories: true)
        }
        for item in ["schemas", "platforms", "ratelimits", "jobs", "mappings.lock", "samples/mappings"] {
            try fm.copyItem(atPath: Repo.path(item), toPath: root + "/" + item)
        }
        let stamp = "2024-06-01T00:00:00.000Z"
        let contacts = (0..<120).map { i in
            JSONWriter.compact([
                "Id": .string(sfId(i)), "Email": .string("k\(i)@example.com"), "FirstName": .string("First\(i)"),
                "LastName": .string("Last\(i)"), "SystemModstamp": .string(stamp), "CreatedDate": .string(stamp),
            ])
        }
        let members = (0..<100).map { j in
            let i = j < 80 ? j : 10_000 + j
            return JSONWriter.compact([
                "email_address": .string("k\(i)@example.com"), "contact_id": .string("c\(i)"), "status": "subscribed",
                "merge_fields.FNAME": .string("First\(i)"), "merge_fields.LNAME": .string("Last\(i)"), "last_changed": .string(stamp),
            ])
        }
        try (contacts.joined(separator: "\n") + "\n").write(
            toFile: root + "/samples/salesforce/Contact.jsonl", atomically: true, encoding: .utf8)
        try (members.joined(separator: "\n") + "\n").write(
            toFile: root + "/samples/mailchimp/member.jsonl", atomically: true, encoding: .utf8)
        let options = SandboxOptions.project(root: URL(fileURLWithPath: root))
        let salesforce = try SandboxServer.start(platform: .salesforce, options: options)
        let mailchimp = try SandboxServer.start(platform: .mailchimp, options: options)
        var env = ProcessInfo.processInfo.environment
        env["MAPC_SALESFORCE_URL"] = salesforce.baseURL.absoluteString
        env["MAPC_SALESFORCE_TOKEN"] = salesforce.credential
        env["MAPC_MAILCHIMP_URL"] = mailchimp.baseURL.absoluteString
        env["MAPC_MAILCHIMP_TOKEN"] = mailchimp.credential
        env["MAPC_MAILCHIMP_LIST"] = options.mailchimpListID
        env["MAPC_RATE_LIMITS"] = "none"
        env["NO_COLOR"] = "1"
        env.removeValue(forKey: "MAPC_STORE")
        env.removeValue(forKey: "MAPC_CRASH_AT")
        return Project(root: root, env: env, salesforce: salesforce, mailchimp: mailchimp)
    }

    /// Runs the built mapc in the project.
    static func mapc(_ args: [String], _ project: Project, crashAt: String? = nil) throws -> (status: Int32, killed: Bool, err: String) {
        let binary = [
            URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("mapc").path,
            Repo.path(".build/debug/mapc"),
        ].first { FileManager.default.isExecutableFile(atPath: $0) }
        guard let binary else { throw HTTPFailure(message: "the mapc executable is not built") }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: binary)
        p.arguments = args
        p.currentDirectoryURL = URL(fileURLWithPath: project.root)
        var env = project.env
        if let crashAt { env["MAPC_CRASH_AT"] = crashAt }
        p.environment = env
        let err = Pipe()
        p.standardError = err
        p.standardOutput = FileHandle.nullDevice
        try p.run()
        let text = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p.terminationStatus, p.terminationReason == .uncaughtSignal, String(decoding: text.suffix(2000), as: UTF8.self))
    }

    struct HTTPFailure: Error, CustomStringConvertible {
        let message: String
        var description: String { message }
    }

    /// One request to an emulator; the reply's JSON.
    static func request(_ method: String, _ url: URL, auth: String, body: JSONValue? = nil) throws -> JSONValue {
        var request = URLRequest(url: url)
        request.httpMethod = method
        request.setValue(auth, forHTTPHeaderField: "Authorization")
        if let body {
            request.httpBody = Data(JSONWriter.compact(body).utf8)
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        }
        final class Box: @unchecked Sendable { var data: Data? }
        let box = Box()
        let done = DispatchSemaphore(value: 0)
        URLSession.shared.dataTask(with: request) { data, _, _ in
            box.data = data
            done.signal()
        }.resume()
        done.wait()
        guard let data = box.data else { throw HTTPFailure(message: "no reply from \(url)") }
        return try JSONParser.parse(Array(data))
    }

    static func records(_ server: SandboxServer, _ object: String, key: String) throws -> JSONValue {
        var components = URLComponents(url: server.baseURL.appendingPathComponent("_sandbox/records"), resolvingAgainstBaseURL: false)!
        components.queryItems = [URLQueryItem(name: "object", value: object), URLQueryItem(name: "key", value: key)]
        return try request("GET", components.url!, auth: "")
    }

    @Test func aKilledRunRunAgainDuplicatesNothingAndLosesNoEdit() throws {
        let project = try Self.project()
        defer { project.stop() }
        let first = try Self.mapc(["sync", "contacts-two-way"], project)
        #expect(first.status == 0, "\(first.err)")
        // Edits on both sides: 30 first names in Salesforce, 30 last names in Mailchimp.
        let sfAuth = "Bearer \(project.salesforce.credential)"
        let edits: [JSONValue] = (0..<30).map { i in
            ["attributes": ["type": "Contact"], "Id": .string(Self.sfId(i)), "FirstName": .string("Edited\(i)")]
        }
        _ = try Self.request(
            "PATCH", project.salesforce.baseURL.appendingPathComponent("services/data/v59.0/composite/sobjects/Contact/Id"),
            auth: sfAuth, body: ["allOrNone": false, "records": .array(edits)])
        let mcAuth = "Basic " + Data("mapc:\(project.mailchimp.credential)".utf8).base64EncodedString()
        let list = project.env["MAPC_MAILCHIMP_LIST"]!
        for i in 40..<70 {
            _ = try Self.request(
                "PATCH", project.mailchimp.baseURL.appendingPathComponent("3.0/lists/\(list)/members/\(MD5.hex("k\(i)@example.com"))"),
                auth: mcAuth, body: ["merge_fields": ["LNAME": .string("Changed\(i)")]])
        }
        // Killed right after the first write batch (the 30 member updates) went out, unrecorded.
        let killed = try Self.mapc(["sync", "contacts-two-way"], project, crashAt: "twoway-after-batch:1")
        #expect(killed.killed, "mapc was not killed: \(killed.err)")
        let again = try Self.mapc(["sync", "contacts-two-way"], project)
        #expect(again.status == 0 && !again.killed, "\(again.err)")

        let contacts = try Self.records(project.salesforce, "Contact", key: "Email")
        let members = try Self.records(project.mailchimp, "member", key: "email_address")
        // 120 contacts and 20 created from members; 100 members and 40 created from contacts; each address once.
        #expect(contacts["count"] == 140 && contacts["distinct"] == 140 && contacts["duplicates"] == .object([]))
        #expect(members["count"] == 140 && members["distinct"] == 140 && members["duplicates"] == .object([]))
        func fields(_ reply: JSONValue, _ key: String, _ value: String) -> JSONValue? {
            reply["records"]?.arrayValue?.first { $0["fields"]?[key]?.stringValue == value }?["fields"]
        }
        for i in 0..<30 {
            #expect(fields(members, "email_address", "k\(i)@example.com")?["merge_fields.FNAME"] == .string("Edited\(i)"))
        }
        for i in 40..<70 {
            #expect(fields(contacts, "Email", "k\(i)@example.com")?["LastName"] == .string("Changed\(i)"))
        }
        // The write that went out before the kill was recognised as mapc's own: nothing bounced back.
        let store = try EventStore(path: project.root + "/.mapc/events.db")
        let runs = try store.runs(job: "contacts-two-way")
        #expect(runs.count == 3)
        let summary = try store.events(run: runs[2].id).first { $0.type == "twoway_summary" }?.payload
        #expect(summary?["echoSuppressed"]?.intValue ?? 0 >= 30, "\(String(describing: summary))")
        #expect(summary?["updatedRight"] == 0 && summary?["updatedLeft"] == 30, "\(String(describing: summary))")
        let quiet = try Self.mapc(["sync", "contacts-two-way"], project)
        #expect(quiet.status == 0)
        let last = try store.events(run: try store.runs(job: "contacts-two-way")[3].id).first { $0.type == "twoway_summary" }?.payload
        #expect(last?["updatedRight"] == 0 && last?["updatedLeft"] == 0, "\(String(describing: last))")
    }
}
