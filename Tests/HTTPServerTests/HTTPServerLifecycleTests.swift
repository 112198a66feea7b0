import Foundation
import HTTPServer
import Testing

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// Counts handlers running at the same time.
private final class Gauge: @unchecked Sendable {
    private let lock = NSLock()
    private var current = 0
    private(set) var peak = 0

    func enter() {
        lock.lock()
        current += 1
        peak = max(peak, current)
        lock.unlock()
    }

    func leave() {
        lock.lock()
        current -= 1
        lock.unlock()
    }

    /// Waits (bounded) until at least `n` handlers have been inside at once; true when they were.
    func waitForPeak(_ n: Int, seconds: Double) -> Bool {
        let deadline = Date(timeIntervalSinceNow: seconds)
        while Date() < deadline {
            if peakValue >= n { return true }
            usleep(1000)
        }
        return peakValue >= n
    }

    var peakValue: Int {
        lock.lock()
        defer { lock.unlock() }
        return peak
    }
}

/// Runs `body` on a new thread and waits for it without blocking a thread of the cooperative pool.
private func onThread(_ body: @escaping @Sendable () -> Void) async {
    await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
        Thread.detachNewThread {
            body()
            done.resume()
        }
    }
}

@Suite struct HTTPServerLifecycleTests {
    @Test func acceptsLargeBodiesAcrossUploadCallbacks() async throws {
        var router = Router()
        router.add("POST", "/echo") { request in Response(status: 200, body: request.body) }
        let server = try HTTPServer.start(router: router)
        defer { server.stop() }
        let body = Data((0..<(3 * 1024 * 1024)).map { UInt8(truncatingIfNeeded: $0 &* 31) })
        let reply = try await TestClient.send("POST", server.baseURL.appending(path: "echo"), body: body)
        #expect(reply.status == 200)
        #expect(reply.body == body)
    }

    @Test func refusesBodiesOverTheLimitWith413() async throws {
        var router = Router()
        router.add("POST", "/echo") { request in .text("\(request.body.count)") }
        let server = try HTTPServer.start(configuration: .init(maxBodyBytes: 1000), router: router)
        defer { server.stop() }
        let atLimit = try await TestClient.send("POST", server.baseURL.appending(path: "echo"), body: Data(count: 1000))
        #expect(atLimit.status == 200)
        #expect(atLimit.text == "1000")
        let over = try await TestClient.send("POST", server.baseURL.appending(path: "echo"), body: Data(count: 1001))
        #expect(over.status == 413)
        let big = try await TestClient.send(
            "POST", server.baseURL.appending(path: "echo"), body: Data(count: 2 * 1024 * 1024))
        #expect(big.status == 413)
    }

    @Test func servesSlowRequestsConcurrently() async throws {
        let gauge = Gauge()
        var router = Router()
        router.add("GET", "/slow/:n") { request in
            gauge.enter()
            // Held until another request is being handled at the same time (a server handling one
            // request at a time never gets there, and the peak check below fails).
            _ = gauge.waitForPeak(2, seconds: 20)
            gauge.leave()
            return .text(request.parameter("n") ?? "")
        }
        let server = try HTTPServer.start(router: router)
        defer { server.stop() }
        let base = server.baseURL
        let replies = try await withThrowingTaskGroup(of: Reply.self) { group in
            for index in 0..<8 {
                group.addTask { try await TestClient.send("GET", base.appending(path: "slow/\(index)")) }
            }
            var all: [Reply] = []
            for try await reply in group {
                all.append(reply)
            }
            return all
        }
        #expect(replies.count == 8)
        #expect(Set(replies.map(\.text)) == Set((0..<8).map(String.init)))
        #expect(gauge.peakValue >= 2)
    }

    @Test func stopWaitsForInFlightRequestsThenRefusesConnections() async throws {
        let started = DispatchSemaphore(value: 0)
        let release = DispatchSemaphore(value: 0)
        var router = Router()
        router.add("GET", "/slow") { _ in
            started.signal()
            // Held until the test lets go, however slowly the machine schedules the test.
            release.wait()
            return .text("finished")
        }
        let server = try HTTPServer.start(router: router)
        let base = server.baseURL
        // The held request may wait on a loaded machine far longer than the client's usual 20 s idle
        // timeout (the release below runs when the scheduler gets to it): give it the stop's bound.
        let pending = Task { try await TestClient.send("GET", base.appending(path: "slow"), timeout: 300) }
        // Blocking waits run on threads of their own: on the tests' small cooperative pool, shared
        // with every other suite, they could hold up the release below past the stop's deadline.
        await onThread { started.wait() }
        #expect(server.inFlightRequests == 1)
        let stopping = Task { await onThread { server.stop(timeout: 120) } }
        try await Task.sleep(nanoseconds: 200_000_000)
        release.signal()
        await stopping.value
        #expect(server.inFlightRequests == 0)
        let reply = try await pending.value
        #expect(reply.status == 200)
        #expect(reply.text == "finished")
        await #expect(throws: (any Error).self) {
            _ = try await TestClient.send("GET", base.appending(path: "slow"))
        }
        server.stop()  // a second stop is harmless
    }

    @Test func droppedConnectionReachesTheClientAsAnError() async throws {
        var router = Router()
        router.add("GET", "/drop") { _ in .dropConnection }
        let server = try HTTPServer.start(router: router)
        defer { server.stop() }
        await #expect(throws: (any Error).self) {
            _ = try await TestClient.send("GET", server.baseURL.appending(path: "drop"))
        }
    }
}
