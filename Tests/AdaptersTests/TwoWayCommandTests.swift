import Foundation
import MapCLI
import MapDSL
import Sandbox
import SyncEngine
import Testing

extension AdaptersTestSuite {
    /// `mapc sync` of the shipped two-way job against the emulators, and the operator commands.
    @Suite("mapc sync / identities / conflicts of a two-way job", .serialized, .timeLimit(.minutes(3)))
    struct TwoWayCommandTests {
        /// A copy of the project (schemas, platforms, rate limits, the approved mappings and jobs).
        static func project() throws -> String {
            let root = Repository.temporaryDirectory()
            let fm = FileManager.default
            for item in ["schemas", "platforms", "ratelimits", "jobs", "mappings.lock"] {
                try fm.copyItem(atPath: Repository.root.appendingPathComponent(item).path, toPath: root + "/" + item)
            }
            try fm.createDirectory(atPath: root + "/samples", withIntermediateDirectories: true)
            try fm.copyItem(atPath: Repository.root.appendingPathComponent("samples/mappings").path, toPath: root + "/samples/mappings")
            return root
        }

        struct Env {
            let root: String
            let salesforce: SandboxServer
            let mailchimp: SandboxServer
            let environment: [String: String]

            func run(_ args: [String]) -> (code: Int32, out: String, err: String) {
                let io = CapturedIO()
                let code = MapCLI.run(args, io: io, environment: environment, workingDirectory: root)
                return (code, io.stdout, io.stderr)
            }

            func stop() {
                salesforce.stop()
                mailchimp.stop()
                try? FileManager.default.removeItem(atPath: root)
            }
        }

        static func env() throws -> Env {
            let root = try project()
            let options = SandboxOptions.project(root: Repository.root)
            let salesforce = try SandboxServer.start(platform: .salesforce, options: options)
            let mailchimp = try SandboxServer.start(platform: .mailchimp, options: options)
            return Env(
                root: root, salesforce: salesforce, mailchimp: mailchimp,
                environment: [
                    "MAPC_SALESFORCE_URL": salesforce.baseURL.absoluteString, "MAPC_SALESFORCE_TOKEN": salesforce.credential,
                    "MAPC_MAILCHIMP_URL": mailchimp.baseURL.absoluteString, "MAPC_MAILCHIMP_TOKEN": mailchimp.credential,
                    "MAPC_MAILCHIMP_LIST": options.mailchimpListID, "MAPC_RATE_LIMITS": "none", "MAPC_ACTOR": "tester",
                    "MAPC_STORE": root + "/events.db",
                ])
        }

        @Test("sync links and creates, a second sync writes nothing, conflicts are listed and resolved as events")
        func syncAndOperate() throws {
            let e = try Self.env()
            defer { e.stop() }
            let first = e.run(["sync", "contacts-two-way"])
            #expect(first.code == 0, "\(first.out)\(first.err)")
            #expect(first.out.contains("contacts-two-way run 1: completed"))
            #expect(first.out.contains("read: 52 salesforce.Contact, 48 mailchimp.member"))
            let second = e.run(["sync", "contacts-two-way", "--format", "json"])
            let report = try JSONParser.parse(second.out)
            #expect(report["updatedLeft"] == 0 && report["updatedRight"] == 0 && report["createdLeft"] == 0, "\(second.out)")
            #expect(report["readLeft"] == report["readRight"].map { _ in report["readLeft"]! })

            let pairs = e.run(["identities", "contacts-two-way", "--format", "json"])
            let links = try JSONParser.parse(pairs.out).arrayValue ?? []
            #expect(!links.isEmpty && links.allSatisfy { $0["left"]?.stringValue != nil && $0["rule"]?.stringValue != nil })
            let conflicts = e.run(["identities", "conflicts", "contacts-two-way"])
            #expect(conflicts.out.contains("identity open") && conflicts.out.contains("share Email=email_address"), "\(conflicts.out)")

            let parked = e.run(["conflicts", "contacts-two-way", "--format", "json"])
            let list = try JSONParser.parse(parked.out).arrayValue ?? []
            let phone = try #require(list.first { $0["field"] == "merge_fields.PHONE" }, "\(parked.out)")
            let id = try #require(phone["id"]?.intValue)
            let leftValue = try #require(phone["details"]?["leftValue"]?.stringValue)
            let resolve = e.run(["conflicts", "resolve", "contacts-two-way", String(id), "--take", "salesforce", "--by", "ops"])
            #expect(resolve.code == 0 && resolve.out.contains("salesforce wins (by ops)"), "\(resolve.err)")
            let again = e.run(["conflicts", "resolve", "contacts-two-way", String(id), "--take", "mailchimp"])
            #expect(again.code == 1 && again.err.contains("already resolved"))
            let third = e.run(["sync", "contacts-two-way", "--format", "json"])
            #expect(try JSONParser.parse(third.out)["updatedRight"] == 1, "\(third.out)")
            let link = try #require(phone["link"]?.intValue)
            let history = e.run(["identities", "contacts-two-way", String(link)])
            for word in ["linked", "conflict_parked", "conflict_resolved", "conflict_applied", "written"] {
                #expect(history.out.contains("  \(word)  "), "\(word) missing from \(history.out)")
            }
            #expect(history.out.contains("\"merge_fields.PHONE\":\"\(leftValue)\""))
            let why = e.run(["why", "contacts-two-way", String(link)])
            #expect(why.code == 0 && why.out.contains("salesforce -> mailchimp: {\"merge_fields.PHONE\":\"\(leftValue)\"}"), "\(why.out)")
            #expect(why.out.contains("mailchimp -> salesforce: nothing written since the pair was linked"))
            let one = e.run(["identities", "contacts-two-way", "nobody"])
            #expect(one.code == 1 && one.err.contains("has no pair holding 'nobody'"))
        }

        @Test("mapc status shows what a two-way run wrote to each side, as its report counts it")
        func statusShowsWritesPerSide() throws {
            let e = try Self.env()
            defer { e.stop() }
            let sync = e.run(["sync", "contacts-two-way", "--format", "json"])
            #expect(sync.code == 0, "\(sync.err)")
            let report = try JSONParser.parse(sync.out)
            let left = (report["createdLeft"]?.intValue ?? 0) + (report["updatedLeft"]?.intValue ?? 0)
            let right = (report["createdRight"]?.intValue ?? 0) + (report["updatedRight"]?.intValue ?? 0)
            #expect(left > 0 && right > 0 && left != right, "\(sync.out)")
            let text = e.run(["status", "contacts-two-way"])
            #expect(text.code == 0 && text.out.contains("salesforce \(left), mailchimp \(right)"), "\(text.out)")
            let json = try JSONParser.parse(e.run(["status", "contacts-two-way", "--format", "json"]).out)
            let written = try #require(json.arrayValue?.first?["written"], "\(json)")
            #expect(written["salesforce.Contact"]?.intValue == left && written["mailchimp.member"]?.intValue == right)
            #expect(written["rejected"] == report["rejected"])
            // A run that writes nothing shows nothing written.
            #expect(e.run(["sync", "contacts-two-way"]).code == 0)
            #expect(e.run(["status", "contacts-two-way"]).out.contains("salesforce 0, mailchimp 0"))
        }

        @Test("a webhook reporting only mapc's own write starts nothing; a person's edit runs the two-way job")
        func webhooksTriggerTwoWayRuns() throws {
            let e = try Self.env()
            defer { e.stop() }
            #expect(e.run(["sync", "contacts-two-way"]).code == 0)
            let storePath = e.root + "/events.db"
            // A member mapc created in run 1, as Mailchimp's profile webhook reports it.
            let ledger = try EventStore(path: storePath).ledger(job: "contacts-two-way").values.flatMap { $0 }
            let created = try #require(ledger.first { $0.platform == "mailchimp" && $0.fields["merge_fields.LNAME"] != nil })
            func event(_ id: String, _ fields: [String: JSONValue]) -> ChangeEvent {
                ChangeEvent(
                    platform: "mailchimp", object: "member", recordId: created.recordId, kind: "profile",
                    changes: fields.sorted { $0.key < $1.key }.map { FieldChange(field: $0.key, value: $0.value) }, snapshot: true,
                    occurredAt: "2030-01-01T00:00:00Z", eventId: id)
            }
            var edited = created.fields
            edited["merge_fields.LNAME"] = "Someone Else"
            let inbox = try Inbox(path: storePath)
            let ids = try inbox.insert([event("echo-1", created.fields), event("edit-1", edited)]).inserted
            #expect(ids.count == 2)
            let echo = e.run(["replay", String(ids[0])])
            #expect(echo.code == 0 && echo.out.contains("echo") && !echo.out.contains("ran:"), "\(echo.out)\(echo.err)")
            let edit = e.run(["replay", String(ids[1])])
            #expect(edit.code == 0 && edit.out.contains("ran: contacts-two-way"), "\(edit.out)\(edit.err)")
            let runs = try EventStore(path: storePath).runs(job: "contacts-two-way")
            #expect(runs.count == 2 && runs.last?.state.phase == .completed && runs.last?.info["kind"] == "two-way")
        }

        @Test("a broken two-way job file is refused with every problem on its line")
        func brokenJobFile() throws {
            let e = try Self.env()
            defer { e.stop() }
            try """
            {
              "kind": "two-way",
              "left": { "platform": "salesforce", "object": "Contact" },
              "right": { "platform": "mailchimp", "object": "member" },
              "mappings": { "leftToRight": "a.map", "rightToLeft": "b.map" },
              "identity": [ { "left": "Emial", "right": "email_address", "match": "email" } ],
              "conflicts": { "default": "salesforce win" }
            }
            """.write(toFile: e.root + "/jobs/broken.json", atomically: true, encoding: .utf8)
            let r = e.run(["sync", "broken"])
            #expect(r.code == 1)
            #expect(r.err.contains("jobs/broken.json:6:27: error: salesforce.Contact has no field `Emial`"), "\(r.err)")
            #expect(r.err.contains("help: did you mean `Email`?"))
            #expect(r.err.contains("jobs/broken.json:7:29: error: unknown conflict policy \"salesforce win\""))
            #expect(r.err.contains("broken.json has 2 problems"))
            let status = e.run(["status", "contacts-two-way"])
            #expect(!status.err.contains("missing object `source`"), "\(status.err)")
        }
    }
}
