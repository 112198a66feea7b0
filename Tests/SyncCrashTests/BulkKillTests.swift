import Foundation
import MapDSL
import Sandbox
import TestSupport
import Testing

@testable import SyncEngine

/// `mapc sync` through Bulk API 2.0 killed with SIGKILL at each step of a job, then `mapc resume`:
/// the resumed run finds the job on the platform and continues it, never starting a second one for
/// records a job holds, and every contact ends up once in Salesforce.
@Suite(.serialized, .timeLimit(.minutes(5))) struct BulkKillTests {
    typealias Killed = KilledRunTests

    /// A project of `contacts` contacts whose job always takes the bulk path, polling without a wait.
    static func project(contacts: Int, faults: BulkFaults) throws -> Killed.Project {
        let project = try Killed.project(contacts: contacts)
        try
            #"{"source": {"platform": "hubspot", "object": "contact"}, "destination": {"platform": "salesforce", "object": "Lead"}, "mapping": "killed.map", "pageSize": 100, "retries": 3, "bulk": {"use": "bulk", "pollSeconds": 0.01}}"#
            .write(toFile: project.root + "/jobs/killed.json", atomically: true, encoding: .utf8)
        project.salesforce.setBulkFaults(faults)
        return project
    }

    /// Kills a sync at `point`, resumes it, and checks the outcome: one bulk job, each contact once.
    func killAndResume(at point: String, contacts: Int = 300, faults: BulkFaults = BulkFaults()) throws -> Killed.Project {
        let project = try Self.project(contacts: contacts, faults: faults)
        let killed = try Killed.mapc(["sync", "killed"], project, crashAt: point)
        #expect(killed.killed, "mapc was not killed at \(point): \(killed.stderr)")
        let resumed = try Killed.mapc(["resume", "killed"], project)
        #expect(resumed.status == 0 && !resumed.killed, "\(resumed.stderr)")
        #expect(project.salesforce.bulkJobs.count == 1, "bulk jobs: \(project.salesforce.bulkJobs)")
        #expect(project.salesforce.bulkJobs.first?.uploads == 1)
        let leads = try JSONParser.parse(
            String(
                decoding: try Data(
                    contentsOf: project.salesforce.baseURL.appendingPathComponent("_sandbox/records").appending(queryItems: [
                        URLQueryItem(name: "object", value: "Lead"), URLQueryItem(name: "key", value: "HubSpot_Contact_Id__c"),
                    ])), as: UTF8.self))
        #expect(leads["distinct"]?.intValue == contacts)
        #expect(leads["duplicates"]?.objectValue?.isEmpty == true)
        let store = try EventStore(path: project.root + "/.mapc/events.db")
        let run = try #require(try store.latestRun(job: "killed"))
        #expect(run.state.phase == .completed)
        #expect(try store.statusCounts(job: "killed", run: run.id)["created"] == contacts)
        return project
    }

    @Test func killedAfterTheJobWasCreatedAndBeforeItsUploadResumesTheSameJob() throws {
        let project = try killAndResume(at: "bulk-created:1")
        project.stop()
    }

    @Test func killedAfterTheUploadAndBeforeUploadCompleteResumesTheSameJob() throws {
        let project = try killAndResume(at: "bulk-uploaded:1")
        project.stop()
    }

    @Test func killedWhilePollingResumesPollingTheSameJob() throws {
        // 100 records per status request: the kill lands with the job a third done.
        let project = try killAndResume(at: "bulk-polling:1", faults: BulkFaults(recordsPerPoll: 100))
        defer { project.stop() }
        let store = try EventStore(path: project.root + "/.mapc/events.db")
        let run = try #require(try store.latestRun(job: "killed"))
        let types = try store.events(run: run.id).map(\.type)
        #expect(types.filter { $0 == "bulk_job" }.count == 1)
        #expect(types.contains("resumed"))
    }

    @Test func aJobThatExpiredWhileMapcWasDownIsSentAgainWithoutDuplicates() throws {
        let project = try Self.project(contacts: 300, faults: BulkFaults(recordsPerPoll: 100))
        defer { project.stop() }
        let killed = try Killed.mapc(["sync", "killed"], project, crashAt: "bulk-polling:2")
        #expect(killed.killed, "\(killed.stderr)")
        project.salesforce.expireBulkJobs()
        let resumed = try Killed.mapc(["resume", "killed"], project)
        #expect(resumed.status == 0, "\(resumed.stderr)")
        let store = try EventStore(path: project.root + "/.mapc/events.db")
        let run = try #require(try store.latestRun(job: "killed"))
        #expect(try store.events(run: run.id).contains { $0.type == "bulk_job_gone" })
        #expect(try store.statusCounts(job: "killed", run: run.id)["created"] == 300)
        #expect(project.salesforce.recordCount(object: "Lead") == 300)
    }

    // MARK: Mailchimp batch operations

    /// HubSpot contacts to Mailchimp members through batch operations, the sandboxes in this process.
    struct MailchimpProject {
        let root: String
        let env: [String: String]
        let hubspot: SandboxServer
        let mailchimp: SandboxServer

        func stop() {
            hubspot.stop()
            mailchimp.stop()
            try? FileManager.default.removeItem(atPath: root)
        }

        var asKilled: Killed.Project {
            // Only `root` and `env` are read by Killed.mapc.
            Killed.Project(root: root, env: env, hubspot: hubspot, salesforce: mailchimp)
        }
    }

    static func mailchimpProject(contacts: Int, faults: BulkFaults) throws -> MailchimpProject {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("mapc-bulk-\(UUID().uuidString)").path
        let fm = FileManager.default
        try fm.createDirectory(atPath: root + "/samples/hubspot", withIntermediateDirectories: true)
        try fm.createDirectory(atPath: root + "/jobs", withIntermediateDirectories: true)
        try fm.copyItem(atPath: Repo.path("schemas"), toPath: root + "/schemas")
        try fm.copyItem(atPath: Repo.path("ratelimits"), toPath: root + "/ratelimits")
        let lines = (0..<contacts).map { i in
            JSONWriter.compact(
                .object([
                    ("hs_object_id", .string(String(500_000 + i))), ("email", .string("m\(i)@example.com")),
                    ("firstname", .string("First \(i)")),
                    ("lastmodifieddate", .string(Dates.formatDateTime(1_709_251_200_000 + Int64(i) * 60_000))),
                ]))
        }
        try (lines.joined(separator: "\n") + "\n").write(toFile: root + "/samples/hubspot/contact.jsonl", atomically: true, encoding: .utf8)
        try """
        mapping hubspot.contact -> mailchimp.member
        key email_address
        skip when blank(email)

        email_address      = lower(trim(email))
        merge_fields.FNAME = trim(firstname ?? "")
        status             = "subscribed"
        status_if_new      = "subscribed"
        """.write(toFile: root + "/members.map", atomically: true, encoding: .utf8)
        try
            #"{"source": {"platform": "hubspot", "object": "contact"}, "destination": {"platform": "mailchimp", "object": "member"}, "mapping": "members.map", "pageSize": 100, "retries": 3, "bulk": {"use": "bulk", "pollSeconds": 0.01}}"#
            .write(toFile: root + "/jobs/killed.json", atomically: true, encoding: .utf8)
        var options = SandboxOptions.project(root: URL(fileURLWithPath: root))
        options.bulkFaults = faults
        let hubspot = try SandboxServer.start(platform: .hubspot, options: options)
        let mailchimp = try SandboxServer.start(platform: .mailchimp, options: options)
        var env = ProcessInfo.processInfo.environment
        env["MAPC_HUBSPOT_URL"] = hubspot.baseURL.absoluteString
        env["MAPC_HUBSPOT_TOKEN"] = hubspot.credential
        env["MAPC_MAILCHIMP_URL"] = mailchimp.baseURL.absoluteString + "/3.0"
        env["MAPC_MAILCHIMP_TOKEN"] = mailchimp.credential
        env["MAPC_MAILCHIMP_LIST"] = options.mailchimpListID
        env["NO_COLOR"] = "1"
        env.removeValue(forKey: "MAPC_RATE_LIMITS")
        env.removeValue(forKey: "MAPC_STORE")
        let project = MailchimpProject(root: root, env: env, hubspot: hubspot, mailchimp: mailchimp)
        let approve = try Killed.mapc(["approve", "members.map", "--by", "test"], project.asKilled)
        guard approve.status == 0 else {
            project.stop()
            throw Killed.Failure("approve failed: \(approve.stderr)")
        }
        return project
    }

    @Test(arguments: ["bulk-submitting:1", "bulk-submitted:1", "bulk-polling:1"])
    func mailchimpKilledAndResumedMakesOneBatchAndWritesEachMemberOnce(point: String) throws {
        let project = try Self.mailchimpProject(contacts: 300, faults: BulkFaults(recordsPerPoll: 100))
        defer { project.stop() }
        let killed = try Killed.mapc(["sync", "killed"], project.asKilled, crashAt: point)
        #expect(killed.killed, "mapc was not killed at \(point): \(killed.stderr)")
        let resumed = try Killed.mapc(["resume", "killed"], project.asKilled)
        #expect(resumed.status == 0 && !resumed.killed, "\(resumed.stderr)")
        #expect(project.mailchimp.bulkJobs.count == 1, "batches: \(project.mailchimp.bulkJobs)")
        #expect(project.mailchimp.recordCount(object: "member") == 300)
        let store = try EventStore(path: project.root + "/.mapc/events.db")
        let run = try #require(try store.latestRun(job: "killed"))
        #expect(run.state.phase == .completed)
        #expect(try store.statusCounts(job: "killed", run: run.id)["created"] == 300)
    }
}
