import Adapters
import Foundation
import MapDSL
import Sandbox
import SyncEngine
import Testing

extension AdaptersTestSuite {
    /// The limiter's hold after a platform said a quota is used up: as long as the job's
    /// `autoResume.unknownResetSeconds` when the platform names no reset, kept across processes, and
    /// met as the quota (a pause `autoResume` resumes), not as a wait.
    @Suite("Quota holds")
    struct QuotaHoldTests {
        static let quota = "salesforce daily API allocation"

        static func registry() -> RateLimitRegistry {
            RateLimitRegistry(platform: "test", endpoints: [EndpointRule(name: "default", bucket: "account")])
        }

        /// One request answered as the quota used up, held `seconds`.
        static func exhaust(_ limiter: RateLimiter, for seconds: Double) throws {
            let permit = try limiter.acquire(method: "POST", path: "/objects")
            var feedback = LimitFeedback(throttled: true, retryAfter: seconds)
            feedback.exhaustedQuota = quota
            limiter.complete(permit, feedback: feedback)
        }

        @Test func aRequestMeetingAQuotaHoldAfterARestartIsToldTheQuotaIsUsedUpUntilTheHoldEnds() throws {
            let store = try EventStore(path: ":memory:")
            let clock = ManualLimiterClock()
            let first = RateLimiter(registry: Self.registry(), clock: clock, windowStore: store)
            try Self.exhaust(first, for: 600)
            let end = clock.now().addingTimeInterval(600)
            #expect(try store.loadWindow("test/account")?.quotaHold == QuotaHold(until: end.timeIntervalSince1970, quota: Self.quota))
            // The next process (a resumed run) meets the hold as the quota, at once: no wait.
            clock.advance(60)
            let restarted = RateLimiter(registry: Self.registry(), clock: clock, windowStore: store)
            #expect {
                _ = try restarted.acquire(method: "POST", path: "/objects")
            } throws: { error in
                guard case .quotaExhausted(let q) = error as? AdapterError else { return false }
                return q.quota == Self.quota && q.resetsAt == end && !q.rolling
            }
            #expect(clock.sleeps.isEmpty)
            // Once the hold is over, requests go again.
            clock.advance(541)
            _ = try restarted.acquire(method: "POST", path: "/objects")
            #expect(clock.sleeps.isEmpty)
        }

        @Test func anotherProcessSharingTheLimitsMeetsTheQuotaHoldAsTheQuota() throws {
            let store = MemorySharedLimits()
            let clock = ManualLimiterClock()
            let registry = SharedLimiterSlotTests.registry
            let first = RateLimiter(registry: registry, clock: clock, windowStore: store)
            let permit = try first.acquire(method: "GET", path: "/objects")
            var feedback = LimitFeedback(throttled: true, retryAfter: 600)
            feedback.exhaustedQuota = Self.quota
            first.complete(permit, feedback: feedback)
            let end = clock.now().addingTimeInterval(600)
            clock.advance(60)
            let other = RateLimiter(registry: registry, clock: clock, windowStore: store)
            #expect {
                _ = try other.acquire(method: "GET", path: "/objects")
            } throws: { error in
                guard case .quotaExhausted(let q) = error as? AdapterError else { return false }
                return q.quota == Self.quota && q.resetsAt == end
            }
            // The hold survives the other process's look at the store, and ends when it says.
            #expect(try store.loadWindow("test/account")?.quotaHold?.until == end.timeIntervalSince1970)
            clock.advance(541)
            _ = try other.acquire(method: "GET", path: "/objects")
            #expect(clock.sleeps.isEmpty)
        }

        @Test func aQuotaHoldEndingWithinTheLongestWaitIsWaitedOut() throws {
            let clock = ManualLimiterClock()
            let limiter = RateLimiter(registry: Self.registry(), clock: clock)
            try Self.exhaust(limiter, for: 600)
            clock.advance(600 - 30)
            _ = try limiter.acquire(method: "POST", path: "/objects")
            #expect(clock.sleeps == [30])
        }

        @Test func aThrottleHoldThatIsNoQuotaIsStillAWaitTooLongToSleep() throws {
            let clock = ManualLimiterClock()
            let limiter = RateLimiter(registry: Self.registry(), clock: clock)
            let permit = try limiter.acquire(method: "POST", path: "/objects")
            limiter.complete(permit, feedback: LimitFeedback(throttled: true, retryAfter: 600))
            #expect {
                _ = try limiter.acquire(method: "POST", path: "/objects")
            } throws: { error in
                guard case .rateLimited = error as? AdapterError else { return false }
                return true
            }
        }

        @Test func anUnnamedQuotaResetHoldsTheBucketForTheConfiguredUnknownResetSecondsNotAnHour() throws {
            let store = try EventStore(path: ":memory:")
            var options = AdapterOptions(windowStore: store)
            let clock = ManualLimiterClock()
            options.clock = clock
            options.limiterConfiguration.unknownQuotaResetSeconds = 600
            // No registry quota for the bucket: nothing estimates the reset.
            let h = try Harness.start(.salesforce, registry: .unlimited(platform: "salesforce"), options: options)
            defer { h.stop() }
            let c = ConformanceCase.salesforce
            let request = WriteRequest(object: c.object, keyField: c.keyField, mode: .upsert, records: [c.good(1, "held")])
            // REQUEST_LIMIT_EXCEEDED names no reset: the pause says so, and the bucket is held 600 s.
            h.server.setFaults(FaultSwitches(rateLimitNext: 1))
            #expect {
                try h.adapter.write(request)
            } throws: { error in
                guard case .quotaExhausted(let q) = error as? AdapterError else { return false }
                return q.quota == Self.quota && q.resetsAt == nil
            }
            let held = try #require(try store.loadWindow("salesforce/default"))
            #expect(held.quotaHold?.until == clock.now().timeIntervalSince1970 + 600)
            #expect(held.quotaHold?.quota == Self.quota)
            // Before the hold ends the next write is the quota again, naming the hold's end, and
            // nothing reaches the platform.
            let sent = h.server.requestLog.count
            clock.advance(300)
            #expect {
                try h.adapter.write(request)
            } throws: { error in
                guard case .quotaExhausted(let q) = error as? AdapterError else { return false }
                return q.resetsAt == Date(timeIntervalSince1970: held.quotaHold?.until ?? 0)
            }
            #expect(h.server.requestLog.count == sent)
            // After it, the write goes through.
            clock.advance(301)
            let results = try h.adapter.write(request)
            #expect(results.map(\.status) == [.created])
        }
    }
}
