import Foundation
import Testing

@testable import Sandbox

/// A hanging request is held until hangs are switched off (what the crash harness relies on to keep
/// a run `created` for as long as it needs), not only until its time runs out.
@Suite struct HeldRequestReleaseTests {
    @Test func aHeldRequestEndsWhenHangsAreSwitchedOff() throws {
        let faults = FaultInjector(switches: FaultSwitches(hangRate: 1, hangMilliseconds: 600_000), seed: 1)
        #expect(faults.decide().action == .hang(milliseconds: 600_000))
        let ended = DispatchSemaphore(value: 0)
        Thread.detachNewThread {
            faults.hold(milliseconds: 600_000)
            ended.signal()
        }
        // Wait (bounded) until the request is held, so switching off cannot come before the hold.
        #expect(faults.waitUntilHolding(1, before: Date(timeIntervalSinceNow: 120)))
        #expect(faults.holding == 1)
        // Another change that keeps hangs on does not end the hold.
        faults.set(FaultSwitches(latencyMilliseconds: 5, hangRate: 1, hangMilliseconds: 600_000))
        #expect(faults.holding == 1)
        faults.set(FaultSwitches())
        // The bound is only a safety net: without the release the hold lasts ten minutes.
        #expect(ended.wait(timeout: .now() + 120) == .success)
        #expect(faults.holding == 0)
        #expect(faults.decide().action == .proceed)
    }
}
