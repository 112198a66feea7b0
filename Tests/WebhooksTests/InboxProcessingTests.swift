import Foundation
import MapDSL
import SyncEngine
import Testing

@testable import Webhooks

/// Records processing calls in order.
final class CallLog: @unchecked Sendable {
    private let lock = NSLock()
    private var items: [String] = []
    func append(_ s: String) { lock.withLock { items.append(s) } }
    var all: [String] { lock.withLock { items } }
}

@Suite struct InboxProcessingTests {
    private func event(_ record: String, _ id: String, at: String, field: String = "email", value: String = "x") -> ChangeEvent {
        ChangeEvent(
            platform: "hubspot", object: "contact", recordId: record, kind: "contact.propertyChange",
            changes: [FieldChange(field: field, value: .string(value))], occurredAt: at, eventId: id)
    }

    @Test func duplicatesAreStoredOnceAndCounted() throws {
        let inbox = try Inbox(path: ":memory:")
        let first = try inbox.insert([event("1", "a", at: "2026-01-01T00:00:00.000Z")])
        let again = try inbox.insert([event("1", "a", at: "2026-01-01T00:00:00.000Z"), event("1", "b", at: "2026-01-01T00:00:01.000Z")])
        #expect(first.inserted.count == 1)
        #expect(again.inserted.count == 1)
        #expect(again.duplicates == 1)
        let counts = try inbox.counts()
        #expect(counts["pending"] == 2)
        #expect(counts["deliveries"] == 3)
        #expect(try inbox.entry(first.inserted[0])?.deliveries == 2)
    }

    @Test func eachRecordIsProcessedInOccurrenceOrderEvenWhenDeliveredOutOfOrder() throws {
        let inbox = try Inbox(path: ":memory:")
        // Delivered newest first, interleaved across two records.
        _ = try inbox.insert([event("A", "a3", at: "2026-01-01T00:00:03.000Z")])
        _ = try inbox.insert([event("B", "b2", at: "2026-01-01T00:00:02.000Z")])
        _ = try inbox.insert([event("A", "a1", at: "2026-01-01T00:00:01.000Z")])
        _ = try inbox.insert([event("A", "a2", at: "2026-01-01T00:00:02.000Z"), event("B", "b1", at: "2026-01-01T00:00:01.000Z")])
        let log = CallLog()
        let worker = InboxWorker(inbox: inbox) { entry in
            log.append(entry.event.eventId)
            return InboxDecision(outcome: .object([("result", "no_trigger")]))
        }
        #expect(try worker.drain() == 5)
        let order = log.all
        #expect(order.filter { $0.hasPrefix("a") } == ["a1", "a2", "a3"])
        #expect(order.filter { $0.hasPrefix("b") } == ["b1", "b2"])
        #expect(try inbox.counts()["processed"] == 5)
    }

    @Test func failuresAreRetriedWithBackoffAndBlockOnlyTheirOwnRecord() throws {
        let clock = ManualClock()
        let inbox = try Inbox(path: ":memory:", clock: clock)
        _ = try inbox.insert([
            event("A", "a1", at: "2026-01-01T00:00:01.000Z"), event("A", "a2", at: "2026-01-01T00:00:02.000Z"),
            event("B", "b1", at: "2026-01-01T00:00:01.500Z"),
        ])
        let log = CallLog()
        let failuresLeft = CallLog()
        for _ in 0..<3 { failuresLeft.append("fail") }
        let remaining = Remaining(3)
        let worker = InboxWorker(inbox: inbox, backoff: Backoff(base: 2, cap: 60), clock: clock) { entry in
            log.append(entry.event.eventId)
            if entry.event.eventId == "a1", remaining.take() { throw TestFailure(message: "sync side down") }
            return InboxDecision(outcome: .object([("result", "no_trigger")]))
        }
        try worker.drain()
        // a1 failed, a2 waits behind it, b1 went through.
        #expect(log.all == ["a1", "b1"])
        let a1 = try inbox.entries(status: .pending).first { $0.event.eventId == "a1" }
        #expect(a1?.attempts == 1)
        #expect(a1?.lastError?.contains("sync side down") == true)
        // Backoff: attempt n waits base·2^(n-1)·(0.5 + 0.5·0.5).
        for (attempt, wait) in [(1, 1.5), (2, 3.0), (3, 6.0)] {
            clock.advance(wait - 0.01)
            #expect(try worker.drain() == 0, "attempt \(attempt) retried early")
            clock.advance(0.01)
            #expect(try worker.drain() >= 1)
        }
        #expect(log.all == ["a1", "b1", "a1", "a1", "a1", "a2"])
        let counts = try inbox.counts()
        #expect(counts["processed"] == 3)
        #expect(counts["pending"] == 0)
    }

    @Test func quarantinedDeliveriesKeepReasonAndBoundedBodies() throws {
        let inbox = try Inbox(path: ":memory:")
        let forged = Data(repeating: 65, count: 20_000)
        let q1 = try inbox.quarantine(
            platform: "hubspot", source: "default", httpStatus: 401, reason: "signature mismatch", authenticated: false,
            contentType: "application/json", body: forged)
        let q2 = try inbox.quarantine(
            platform: "segment", source: "default", httpStatus: 400, reason: "missing `type`", authenticated: true,
            contentType: nil, body: Data([0xFF, 0x00, 0x01]))
        #expect(try inbox.quarantinedDelivery(q1)?.body.count == 8 * 1024)
        #expect(try inbox.quarantinedDelivery(q1)?.truncated == true)
        #expect(try inbox.quarantinedDelivery(q2)?.body == Data([0xFF, 0x00, 0x01]))
        #expect(try inbox.quarantined().map(\.reason) == ["missing `type`", "signature mismatch"])
        _ = try inbox.release(quarantined: q2, events: [])
        #expect(try inbox.counts()["quarantined"] == 1)
    }

    /// A flood of forged (unauthenticated) requests filled the quarantine without end: at most
    /// `unauthenticatedQuarantineLimit` are kept, the oldest unreleased dropped first and counted;
    /// authenticated and released deliveries are never dropped.
    @Test func theQuarantineKeepsABoundedNumberOfUnauthenticatedDeliveries() throws {
        let inbox = try Inbox(path: ":memory:")
        #expect(inbox.unauthenticatedQuarantineLimit == Inbox.defaultUnauthenticatedQuarantineLimit)
        inbox.unauthenticatedQuarantineLimit = 3
        func forged(_ i: Int) throws -> (id: Int, dropped: Int) {
            try inbox.quarantineCounting(
                platform: "hubspot", source: "default", httpStatus: 401, reason: "forged \(i)", authenticated: false,
                contentType: nil, body: Data("x\(i)".utf8))
        }
        let signed = try inbox.quarantine(
            platform: "segment", source: "default", httpStatus: 400, reason: "signed but malformed", authenticated: true,
            contentType: nil, body: Data("{".utf8))
        let first = try forged(0)
        _ = try inbox.release(quarantined: first.id, events: [])
        var dropped: [Int] = []
        for i in 1...5 { dropped.append(try forged(i).dropped) }
        #expect(dropped == [0, 0, 0, 1, 1])
        #expect(inbox.droppedUnauthenticated == 2)
        let kept = try inbox.quarantined().map(\.reason)
        #expect(kept == ["forged 5", "forged 4", "forged 3", "signed but malformed"])
        #expect(try inbox.quarantinedDelivery(signed) != nil && inbox.quarantinedDelivery(first.id) != nil)
        #expect(try inbox.counts()["quarantined"] == 4)
    }

    @Test func jobRequestsCoalesceWhileTheJobRuns() throws {
        let inbox = try Inbox(path: ":memory:")
        _ = try inbox.insert([event("A", "a1", at: "2026-01-01T00:00:01.000Z"), event("B", "b1", at: "2026-01-01T00:00:02.000Z")])
        let gate = DispatchSemaphore(value: 0)
        let started = DispatchSemaphore(value: 0)
        let runs = CallLog()
        let scheduler = JobScheduler(inbox: inbox, concurrency: 2) { job in
            runs.append(job)
            if runs.all.count == 1 {
                started.signal()
                gate.wait()
            }
        }
        let worker = InboxWorker(inbox: inbox) { _ in InboxDecision(outcome: .object([("result", "triggered")]), jobs: ["contacts"]) }
        try worker.drain()
        #expect(try inbox.jobRequests().map(\.events) == [2])
        scheduler.start()
        started.wait()
        // While the first run is stalled, more triggers arrive: coalesced, and no second concurrent run.
        _ = try inbox.insert([event("C", "c1", at: "2026-01-01T00:00:03.000Z"), event("D", "d1", at: "2026-01-01T00:00:04.000Z")])
        try worker.drain()
        // The scheduler's own pass, run inline while the first run is stalled: the job is running, so
        // nothing more starts (the background threads make the same decision when woken).
        #expect(try scheduler.runPending() == [])
        #expect(runs.all == ["contacts"])
        #expect(scheduler.runningJobs == ["contacts"])
        scheduler.wake()
        gate.signal()
        // Polled with a bound: the queue empties once the second run is done.
        let deadline = Date(timeIntervalSinceNow: 60)
        while !(try inbox.jobRequests().isEmpty) && Date() < deadline { usleep(2000) }
        scheduler.stop()
        // One run for the first two triggers, exactly one more for the two that came in meanwhile.
        #expect(runs.all == ["contacts", "contacts"])
        #expect(try inbox.jobRequests().isEmpty)
    }

    @Test func failedRunsStayQueuedWithTheirError() throws {
        let clock = ManualClock()
        let inbox = try Inbox(path: ":memory:", clock: clock)
        _ = try inbox.insert([event("A", "a1", at: "2026-01-01T00:00:01.000Z")])
        try InboxWorker(inbox: inbox, clock: clock) { _ in InboxDecision(outcome: .null, jobs: ["leads"]) }.drain()
        let scheduler = JobScheduler(inbox: inbox, backoff: Backoff(base: 10, cap: 60), clock: clock) { _ in
            throw TestFailure(message: "destination down")
        }
        #expect(try scheduler.runPending() == ["leads"])
        #expect(try inbox.jobRequests().first?.lastError?.contains("destination down") == true)
        #expect(try scheduler.runPending().isEmpty)
        clock.advance(8)
        #expect(try scheduler.runPending() == ["leads"])
        #expect(try inbox.jobRequests().first?.attempts == 2)
    }
}

struct TestFailure: Error, CustomStringConvertible {
    let message: String
    var description: String { message }
}

/// A counter that says yes `n` times.
final class Remaining: @unchecked Sendable {
    private let lock = NSLock()
    private var n: Int
    init(_ n: Int) { self.n = n }
    func take() -> Bool {
        lock.withLock {
            guard n > 0 else { return false }
            n -= 1
            return true
        }
    }
}
