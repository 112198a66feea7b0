import Adapters
import Foundation
import HTTPServer
import MapDSL
import MapcSupport
import SyncEngine
import Testing

extension AdaptersTestSuite {
    /// Issue 16: the waits inside adapters (retry backoff, a Retry-After held by the limiter,
    /// query-job polling) are announced and end within a slice of a cancel, sending nothing more.
    @Suite("waits inside adapters end on a cancel")
    struct CancellableWaitTests {
        /// A watch whose run is "cancelled" once it has been asked `after` times, recording what
        /// it announced.
        static func watch(cancelAfter after: Int) -> (WaitWatch, Locked<[(String, Double)]>, Locked<Int>) {
            let announced = Locked<[(String, Double)]>([])
            let asked = Locked(0)
            let watch = WaitWatch()
            watch.attach(
                stopRequested: {
                    asked.withLock { n in
                        n += 1
                        return n > after
                    }
                },
                announce: { what, seconds in announced.withLock { $0.append((what, seconds)) } })
            return (watch, announced, asked)
        }

        @Test("a retry backoff of the API client ends at the cancel, and nothing more is sent")
        func backoffEndsOnCancel() throws {
            let requests = Locked(0)
            var router = Router()
            router.fallback { _ in
                requests.withLock { $0 += 1 }
                return Response(status: 503, headerFields: [("Content-Type", "application/json")], body: Data(#"{"message": "down"}"#.utf8))
            }
            let server = try HTTPServer.start(router: router)
            defer { server.stop() }
            let clock = ManualLimiterClock()
            // Cancelled after the first slice of the 8 s backoff.
            let (watch, announced, _) = Self.watch(cancelAfter: 2)
            var options = AdapterOptions(clock: clock, timeout: 5, maxRetries: 3, retryBaseDelay: 8)
            options.waits = watch
            let adapter = try AdapterFactory.make(
                platform: "hubspot", connection: Connection(platform: "hubspot", baseURL: server.baseURL, credential: Secret("t")),
                options: options)
            var message = ""
            do {
                _ = try adapter.fetch(FetchRequest(object: "contact", pageSize: 1))
            } catch {
                message = "\(error)"
            }
            #expect(message.contains("the run was asked to stop"), "\(message)")
            #expect(watch.wasInterrupted)
            // The wait asked for 8 s and was cut after a quarter of a second; no retry was sent.
            #expect(announced.withLock { $0.map(\.1) } == [8])
            #expect(announced.withLock { $0.first?.0 } == "hubspot retry backoff")
            #expect(clock.totalSlept <= 0.5, "\(clock.sleeps)")
            #expect(requests.withLock { $0 } == 1)
        }

        @Test("a Retry-After the limiter holds ends at the cancel")
        func limiterHoldEndsOnCancel() throws {
            let clock = ManualLimiterClock()
            let (watch, announced, _) = Self.watch(cancelAfter: 3)
            let registry = RateLimitRegistry(
                platform: "p",
                endpoints: [EndpointRule(name: "default", bucket: "api", requests: RequestBudget(count: 100, windowSeconds: 10))])
            let limiter = RateLimiter(registry: registry, clock: clock, waits: watch)
            let permit = try limiter.acquire(method: "GET", path: "/objects")
            limiter.complete(permit, feedback: LimitFeedback.parse(status: 429, headers: ["Retry-After": "60"]))
            #expect(throws: AdapterError.self) { _ = try limiter.acquire(method: "GET", path: "/objects") }
            #expect(watch.wasInterrupted)
            #expect(clock.totalSlept <= 0.75, "\(clock.sleeps)")
            #expect(announced.withLock { $0.first.map { $0.1 > 59 && $0.0.hasPrefix("p rate limit") } } == true)
            #expect(limiter.statistics.acquired == 1)
        }

        @Test("without a cancel the wait is whole, in slices")
        func uncancelledWaitIsWhole() {
            let clock = ManualLimiterClock()
            let (watch, announced, asked) = Self.watch(cancelAfter: Int.max)
            #expect(watch.wait(3, for: "x", clock: clock))
            #expect(abs(clock.totalSlept - 3) < 1e-9)
            #expect(clock.sleeps.allSatisfy { $0 <= WaitWatch.slice })
            #expect(asked.withLock { $0 } == 13)
            #expect(announced.withLock { $0.count } == 1)
            // Short waits are not announced.
            #expect(watch.wait(1, for: "y", clock: clock))
            #expect(announced.withLock { $0.count } == 1)
        }
    }
}
