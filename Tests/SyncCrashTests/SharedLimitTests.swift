import Foundation
import MapDSL
import Sandbox
import TestSupport
import Testing

@testable import SyncEngine

/// Three `mapc worker` processes reading one HubSpot account at once: on a PostgreSQL store they
/// share its request window (decided with the window's row locked), so together they stay under the
/// ceiling the emulator enforces; each on its own (a SQLite store) they overrun it.
@Suite(.serialized, .timeLimit(.minutes(5))) struct SharedLimitTests {
    /// Runs three workers at once over three jobs; the number of requests HubSpot refused (429).
    static func refusals(postgres: Bool) throws -> (refused: Int, requests: Int) {
        var project = try KilledRunTests.project(contacts: 100, budget: (6, 2))
        defer { project.stop() }
        if postgres {
            project = KilledRunTests.Project(
                root: project.root, env: project.env.merging(["MAPC_STORE_URL": try PostgresCluster.freshStoreURL("limits")]) { $1 },
                hubspot: project.hubspot, salesforce: project.salesforce)
        }
        let job = try String(contentsOfFile: project.root + "/jobs/killed.json", encoding: .utf8)
        for n in 2...3 { try job.write(toFile: project.root + "/jobs/killed\(n).json", atomically: true, encoding: .utf8) }
        let enqueue = try KilledRunTests.mapc(["worker", "enqueue", "killed", "killed2", "killed3"], project)
        #expect(enqueue.status == 0, "\(enqueue.stderr)")
        let running = project
        let results = Guarded<[(status: Int32, killed: Bool, stderr: String)]>([])
        let group = DispatchGroup()
        for n in 1...3 {
            group.enter()
            Thread {
                defer { group.leave() }
                let r = try? KilledRunTests.mapc(["worker", "--name", "w\(n)", "--until-empty"], running)
                results.withLock { $0.append(r ?? (-1, false, "could not run mapc")) }
            }.start()
        }
        group.wait()
        for r in results.value { #expect(r.status == 0 && !r.killed, "\(r.stderr)") }
        let queue = try WorkQueue(location: project.env["MAPC_STORE_URL"] ?? project.root + "/.mapc/events.db")
        #expect(try queue.entries().map(\.state) == ["done", "done", "done"])
        // Each of the three jobs was run by a worker (the three may well have run one each).
        let workers = Set(try ["killed", "killed2", "killed3"].flatMap { try queue.leases(job: $0).map(\.worker) })
        #expect(!workers.isEmpty)
        let log = project.hubspot.requestLog
        return (log.filter { $0.status == 429 }.count, log.count)
    }

    @Test func threeWorkersOnPostgreSQLStayUnderOneCeilingTogether() throws {
        let shared = try Self.refusals(postgres: true)
        #expect(shared.refused == 0, "\(shared.refused) of \(shared.requests) requests refused with shared limits")
        // The same three workers each pacing only itself overrun the account (so the check above can fail).
        let alone = try Self.refusals(postgres: false)
        #expect(alone.refused > 0, "no request refused without shared limits (\(alone.requests) requests)")
    }
}

/// A value shared by test threads.
final class Guarded<Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: Value
    init(_ value: Value) { stored = value }
    var value: Value { lock.withLock { stored } }
    func withLock<R>(_ body: (inout Value) -> R) -> R { lock.withLock { body(&stored) } }
}
