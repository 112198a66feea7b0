import Foundation
import MapDSL
import SyncEngine
import TestSupport
import Testing

@testable import Observe

/// The metrics an operator alerts on: freshness, monotonic record counters, quota headroom, and
/// one unit per family.
@Suite struct MetricsFamiliesTests {
    static func scrape(_ observatory: Observatory) throws -> ParsedExposition {
        try ParsedExposition(try MetricsRenderer.scrape(observatory))
    }

    @Test func recordCountersOnlyGrowWhileTheLatestOutcomeGaugeFollowsFixes() throws {
        let project = try TempProject()
        defer { project.remove() }
        let store = try EventStore(path: ":memory:")
        let fixture = try SyncFixture(records: 10, bad: [4], store: store)
        let clock = SteppingClock()
        _ = try fixture.runner(clock: clock, full: true).start()
        let observatory = Observatory(store: store, root: project.root, clock: clock)
        let before = try Self.scrape(observatory)
        #expect(before.types["mapc_records_total"] == "counter")
        #expect(before.value("mapc_records_total", ["job": "people", "outcome": "rejected"]) == 1)
        #expect(before.value("mapc_records", ["job": "people", "outcome": "rejected"]) == 1)
        _ = try Operations.fix(
            store: store, job: "people", key: "p4", field: "Email", value: "p4@example.com", by: "t", at: clock.timestamp())
        _ = try fixture.runner(clock: clock).retryRejected()
        let after = try Self.scrape(observatory)
        #expect(after.value("mapc_records_total", ["job": "people", "outcome": "rejected"]) == 1, "a counter never goes down")
        #expect(after.value("mapc_records_total", ["job": "people", "outcome": "created"]) == 10)
        #expect(after.value("mapc_records", ["job": "people", "outcome": "rejected"]) == nil, "no record is rejected now")
    }

    @Test func lastSuccessIsTheLatestCompletedSync() throws {
        let project = try TempProject()
        defer { project.remove() }
        let store = try EventStore(path: ":memory:")
        let fixture = try SyncFixture(records: 4, store: store)
        let clock = SteppingClock(Date(timeIntervalSince1970: 1_800_000_000))
        let observatory = Observatory(store: store, root: project.root, clock: clock)
        #expect(try Self.scrape(observatory).value("mapc_job_last_success_timestamp_seconds", ["job": "people"]) == nil)
        _ = try fixture.runner(clock: clock, full: true).start()
        let first = try Self.scrape(observatory).value("mapc_job_last_success_timestamp_seconds", ["job": "people"])
        #expect(first == 1_800_000_000)
        clock.advance(3600)
        fixture.destination.failWriteCalls = [fixture.destination.writeCalls + 1: .fatal("401 unauthorized")]
        #expect(throws: SyncStopped.self) { try fixture.runner(clock: clock, full: true).start() }
        #expect(try Self.scrape(observatory).value("mapc_job_last_success_timestamp_seconds", ["job": "people"]) == first)
        _ = try fixture.runner(clock: clock, full: true).start()
        #expect(try Self.scrape(observatory).value("mapc_job_last_success_timestamp_seconds", ["job": "people"]) == 1_800_003_600)
    }

    @Test func quotaLimitAndRemainingComeFromTheRegistry() throws {
        let project = try TempProject()
        defer { project.remove() }
        let store = try EventStore(path: ":memory:")
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        try store.save(QuotaUsage(hourly: [QuotaUsage.slot(now): 1200]), for: "hubspot/account")
        try store.save(QuotaUsage(hourly: [QuotaUsage.slot(now): 7]), for: "nowhere/default")
        let observatory = Observatory(
            store: store, root: project.root, clock: FixedWallClock(now), rateLimitsDirectory: Repo.path("ratelimits"))
        let m = try Self.scrape(observatory)
        let limit = try #require(m.value("mapc_quota_limit", ["platform": "hubspot", "bucket": "account"]))
        #expect(limit == 650_000)
        #expect(m.value("mapc_quota_used", ["platform": "hubspot", "bucket": "account"]) == 1200)
        #expect(m.value("mapc_quota_remaining", ["platform": "hubspot", "bucket": "account"]) == limit - 1200)
        #expect(m.value("mapc_quota_used", ["platform": "nowhere", "bucket": "default"]) == 7)
        #expect(m.value("mapc_quota_limit", ["platform": "nowhere", "bucket": "default"]) == nil, "no registry, no made-up limit")
    }

    /// Seconds, records per second and ratios each have their own family; no family mixes units
    /// behind a `measure` label.
    @Test func eachFamilyHasOneUnit() throws {
        let project = try TempProject()
        defer { project.remove() }
        let store = try EventStore(path: ":memory:")
        let fixture = try SyncFixture(records: 30, bad: [1], store: store)
        let clock = SteppingClock()
        for _ in 0..<4 { _ = try fixture.runner(clock: clock, full: true).start() }
        let m = try Self.scrape(Observatory(store: store, root: project.root, clock: clock))
        for name in ["mapc_job_run_measure", "mapc_job_history_measure"] { #expect(m.types[name] == nil, "\(name) is split") }
        for sample in m.samples where sample.name != "mapc_job_unusual" {
            #expect(sample.labels["measure"] == nil, "\(sample.name) mixes measures")
        }
        #expect(m.value("mapc_job_run_reject_ratio", ["job": "people"]).map { abs($0 - 1.0 / 30) < 1e-9 } == true)
        #expect(m.value("mapc_job_history_reject_ratio", ["job": "people", "quantile": "0.5"]).map { abs($0 - 1.0 / 30) < 1e-9 } == true)
        for suffix in ["duration_seconds", "throughput_records_per_second", "reject_ratio"] {
            #expect(m.types["mapc_job_run_\(suffix)"] == "gauge" && m.types["mapc_job_history_\(suffix)"] == "gauge")
        }
    }
}
