import Foundation

/// Commits a run's store writes on a thread of its own, strictly in the order they were handed
/// over, so the runner maps the next records while the last ones are being written.
///
/// The order is what keeps a crash harmless: whatever moment the process dies, the store holds a
/// prefix of the writes, exactly as if they had been made one after the other on the runner's
/// thread. The runner waits (``sync()``) before anything whose safety depends on a write being
/// durable: a batch is on disk as being sent before it goes out (``barrier()`` lets the sending
/// thread wait instead of the runner), and the run's final state is on disk before it returns.
///
/// After a failed write nothing further is written; the failure is thrown by the next call.
final class StoreWriter: @unchecked Sendable {
    private let queue = DispatchQueue(label: "mapc.sync.store")
    private let lock = NSLock()
    // Guarded by `lock`.
    private var failure: (any Error)?

    /// Hands `work` over; it runs after everything handed over before it. Throws the failure of an
    /// earlier write, if there was one.
    func enqueue(_ work: @escaping @Sendable () throws -> Void) throws {
        try rethrow()
        queue.async {
            guard self.lock.withLock({ self.failure == nil }) else { return }
            do {
                try work()
            } catch {
                self.lock.withLock {
                    if self.failure == nil { self.failure = error }
                }
            }
        }
    }

    /// Waits until everything handed over is committed; throws the first failure.
    func sync() throws {
        queue.sync {}
        try rethrow()
    }

    /// A point in the order of writes: ``Barrier/wait()`` returns once everything handed over
    /// before it is committed, and throws if a write failed.
    func barrier() -> Barrier {
        let barrier = Barrier(writer: self)
        queue.async { barrier.reached.signal() }
        return barrier
    }

    /// See ``barrier()``.
    final class Barrier: Sendable {
        fileprivate let reached = DispatchSemaphore(value: 0)
        private let writer: StoreWriter

        fileprivate init(writer: StoreWriter) { self.writer = writer }

        /// Waits for the writes before the barrier; throws the first failure.
        func wait() throws {
            reached.wait()
            reached.signal()
            try writer.rethrow()
        }
    }

    private func rethrow() throws {
        if let failure = lock.withLock({ failure }) { throw failure }
    }
}
