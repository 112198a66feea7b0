import Foundation
import MapDSL
import TestSupport
import Testing

@testable import SyncEngine

/// The two-way runner over in-memory platforms: retries, waits and failures.
@Suite struct TwoWayRunnerTests {
    static func compile(_ name: String) throws -> CompiledMapping {
        let text = try String(contentsOfFile: Repo.path("samples/mappings/\(name).map"), encoding: .utf8)
        let source = SourceText(path: name, text: text)
        return try Compiler.compile(Checker.check(source, schemas: SchemaDirectory(root: Repo.path("schemas"))), text: source)
    }

    static func runner(_ left: FakePlatform, _ right: FakePlatform, _ store: EventStore, _ clock: TestClock) throws -> TwoWayRunner {
        var options = TwoWayOptions()
        options.clock = clock
        return try TwoWayRunner(
            spec: try TwoWaySpec.load(path: Repo.path("jobs/contacts-two-way.json")),
            leftToRight: try compile("contact-to-member-two-way"), rightToLeft: try compile("member-to-contact-two-way"),
            versions: ("l", "r"), left: left, right: right, store: store, options: options)
    }

    static func platforms() -> (FakePlatform, FakePlatform) {
        let left = FakePlatform(platform: "salesforce")
        left.sourceRecords = [
            SourceRecord(
                id: "003A", fields: ["Id": "003A", "Email": "Ann@X.com", "FirstName": "Ann", "LastName": "Lee"],
                modified: "2024-06-01T00:00:00.000Z")
        ]
        return (left, FakePlatform(platform: "mailchimp"))
    }

    @Test(arguments: StoreKind.all) func aTransientFailureIsRetriedAfterABackoffAndARateLimitAfterTheWaitAsked(store kind: StoreKind) throws
    {
        let (left, right) = Self.platforms()
        right.writeFailures = [.transient("HTTP 502"), .rateLimited(retryAfter: 7, message: "slow down")]
        let clock = TestClock()
        let store = try EventStore(path: kind.location())
        let report = try Self.runner(left, right, store, clock).run()
        #expect(report.createdRight == 1)
        #expect(clock.slept == [Backoff().delay(attempt: 1, unit: 0.5), 7])
        #expect(right.writes == ["ann@x.com": 1])
        let link = try #require(try store.link(job: "contacts-two-way", anyId: "003A"))
        #expect(link.rightId == "D-ann@x.com" && link.rule == "created")
    }

    @Test(arguments: StoreKind.all) func aFatalFailureFailsTheRunWithItsReason(store kind: StoreKind) throws {
        let (left, right) = Self.platforms()
        right.writeFailures = [.fatal("HTTP 401: API key invalid")]
        let store = try EventStore(path: kind.location())
        #expect(throws: AdapterError.self) { try Self.runner(left, right, store, TestClock()).run() }
        let run = try #require(try store.latestRun(job: "contacts-two-way"))
        #expect(run.state.phase == .failed && run.state.reason?.contains("API key invalid") == true)
        #expect(try store.links(job: "contacts-two-way").isEmpty)
    }

    @Test func retriesStopAtTheJobsLimit() throws {
        let (left, right) = Self.platforms()
        right.writeFailures = Array(repeating: .transient("HTTP 503"), count: 3)
        let clock = TestClock()
        #expect(throws: AdapterError.self) { try Self.runner(left, right, try EventStore(path: ":memory:"), clock).run() }
        #expect(clock.slept.count == 2 && right.writeCalls == 3)
    }
}
