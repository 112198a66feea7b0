import Foundation
import MapDSL
import Sandbox
import SyncEngine
import TestSupport
import Testing

/// The crash harness (see ``OutsideKillHarness``): a HubSpot → Salesforce sync killed with SIGKILL
/// from outside the process at points a seeded generator picks — while the run is `created`, while
/// it is `paused`, after some destination writes, source requests or store events (so kills land
/// with writes staged and not yet committed, and with answers on the wire) — and resumed each time.
/// Every kill's landing is recorded (the run's phase, the store's last event, the last request each
/// emulator saw). Afterwards the destination must hold every record once, with the values a
/// hand-written reference of the mapping gives, and the store must account for every record.
///
/// `MAPC_CRASH_SEED=N` replays a plan; `MAPC_CRASH_KILLS=N` asks for more kills (`make soak`).
@Suite(.serialized, .timeLimit(.minutes(15))) struct CrashHarnessTests {
    static var seed: UInt64 {
        ProcessInfo.processInfo.environment["MAPC_CRASH_SEED"].flatMap { UInt64($0) } ?? UInt64.random(in: 1...999_999)
    }
    static var kills: Int { ProcessInfo.processInfo.environment["MAPC_CRASH_KILLS"].flatMap { Int($0) } ?? 50 }

    @Test func killedFromOutsideAtSeededPointsNothingLostNothingTwice() throws {
        let seed = Self.seed
        let target = Self.kills
        print("crash harness: seed \(seed) (MAPC_CRASH_SEED=\(seed) replays the plan), \(target) kills")
        let harness = try OutsideKillHarness(records: max(3000, target * 40), seed: seed)
        defer { harness.stop() }
        try harness.run(kills: target)
        if harness.failures.isEmpty { try harness.check() }
        for line in harness.log { print("crash harness: \(line)") }
        #expect(harness.failures.isEmpty, "seed \(seed):\n\(harness.failures.joined(separator: "\n"))")
        #expect(harness.landings.count >= target, "seed \(seed): \(harness.landings.count) planned kills")
        let phases = Dictionary(grouping: harness.landings, by: \.phase).mapValues(\.count)
        #expect(phases["created", default: 0] >= 1, "seed \(seed): no kill landed while the run was created: \(phases)")
        #expect(phases["paused", default: 0] >= 1, "seed \(seed): no kill landed while the run was paused: \(phases)")
        let unacknowledged = harness.landings.filter { $0.appliedUnacknowledged > 0 }
        // Kills landed after the destination applied a batch and before the store acknowledged it
        // (the answer on the wire, or its acknowledgement staged and not yet committed).
        #expect(!unacknowledged.isEmpty, "seed \(seed): no kill landed between a write and its acknowledgement")
        print(
            "crash harness: seed \(seed): \(harness.landings.count) kills; phases \(phases.sorted { $0.key < $1.key }); \(unacknowledged.count) with writes the destination applied and the store had not acknowledged"
        )
    }

    /// The harness's own test: a resume that dies for real (the debug build's mapper trap) is a
    /// failure, told apart from the planned kills by its signal and the process's crash marker.
    @Test func aResumeThatCrashesForRealFailsTheHarness() throws {
        let harness = try OutsideKillHarness(records: 400, seed: 7)
        defer { harness.stop() }
        try harness.run(kills: 3, finalStep: false)
        #expect(harness.failures.isEmpty, "\(harness.failures)")
        #expect(harness.landings.count == 3)
        let n = (harness.landings.last?.step ?? 0) + 1
        // The last record is mapped by any resume that goes on to the end.
        harness.stepEnvironment[n] = ["MAPC_DEBUG_CRASH_RECORD": harness.contacts[harness.contacts.count - 1].id + ":trap"]
        let end = try harness.step(n, "resume", .none)
        guard case .realCrash(let why) = end else {
            Issue.record("a trapping resume ended \(end)")
            return
        }
        #expect(!why.contains("signal \(SIGKILL)"), "\(why)")
        #expect(why.contains("crash marker"), "\(why)")
        #expect(harness.failures.contains { $0.contains("crashed for real") }, "\(harness.failures)")
    }

    /// A SIGKILL the harness did not send, and any other signal, are real crashes.
    @Test func anUnplannedKillOrAnotherSignalIsARealCrash() throws {
        let harness = try OutsideKillHarness(records: 10, seed: 1)
        defer { harness.stop() }
        for (signal, planned) in [(SIGKILL, false), (SIGSEGV, true), (SIGKILL, true)] {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: "/bin/sleep")
            p.arguments = ["60"]
            try p.run()
            kill(p.processIdentifier, signal)
            p.waitUntilExit()
            let end = harness.classify(p, killed: planned)
            if signal == SIGKILL && planned {
                #expect(end == .plannedKill)
            } else {
                #expect(end != .plannedKill, "signal \(signal), planned \(planned): \(end)")
            }
        }
    }
}
