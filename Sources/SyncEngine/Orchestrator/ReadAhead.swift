import Foundation

/// Source pages read ahead of the runner, in two stages that overlap: as soon as a page arrives the
/// next one is requested (its cursor came with the page), and the page that arrived is mapped on
/// another thread meanwhile. At most ``depth`` pages wait, read or being read, for the runner.
///
/// Nothing here is recorded: the runner records a page when it takes it, in order. A page asked for
/// with another cursor than the one read ahead is simply read again by the runner, and pages read
/// ahead but never taken are dropped.
final class ReadAhead: @unchecked Sendable {
    /// A page as it is handed over: fetched, and mapped when a preparer was given.
    typealias Page = (page: SourcePage, prepared: PreparedPage?)

    private let fetch: @Sendable (String) throws -> SourcePage
    private let preparer: RecordPreparer?
    private let depth: Int
    private let fetchQueue = DispatchQueue(label: "mapc.sync.read-ahead")
    private let mapQueue = DispatchQueue(label: "mapc.sync.map-ahead")
    private let lock = NSLock()
    // Guarded by `lock`: pages asked for and not yet taken, in order; where to go on when there is
    // room again; and which reading they belong to (a new start drops what an earlier one read).
    private var waiting: [(cursor: String, number: Int, result: Ahead<Page>.Promise)] = []
    private var resume: (cursor: String, number: Int)?
    private var generation = 0

    /// Reads with `fetch` (given a cursor), maps with `preparer` (nil: pages are handed over as
    /// read), keeping at most `depth` pages ahead.
    init(depth: Int, preparer: RecordPreparer?, fetch: @escaping @Sendable (String) throws -> SourcePage) {
        self.depth = max(1, depth)
        self.preparer = preparer
        self.fetch = fetch
    }

    /// Starts reading at `cursor` (page `number` of the run), dropping whatever was read ahead.
    func start(at cursor: String, number: Int) {
        let current = lock.withLock {
            waiting.removeAll()
            resume = nil
            generation += 1
            return generation
        }
        request(cursor, number: number, generation: current)
    }

    /// Whether the page for `cursor` is read ahead and there to take without waiting.
    func isReady(_ cursor: String) -> Bool {
        lock.withLock {
            guard let first = waiting.first, first.cursor == cursor else { return false }
            return first.result.isReady
        }
    }

    /// The page for `cursor`, when it is the next one read ahead (waiting for it if it is still on
    /// its way); nil otherwise (then nothing is read ahead any more until ``start(at:number:)``).
    func take(_ cursor: String) -> Result<Page, any Error>? {
        let next: Ahead<Page>.Promise? = lock.withLock {
            guard let first = waiting.first, first.cursor == cursor else {
                waiting.removeAll()
                resume = nil
                generation += 1
                return nil
            }
            waiting.removeFirst()
            return first.result
        }
        guard let next else { return nil }
        // A free place: go on reading where the reading stopped.
        if let (cursor, number, current) = lock.withLock({ () -> (String, Int, Int)? in
            defer { resume = nil }
            return resume.map { ($0.cursor, $0.number, generation) }
        }) {
            request(cursor, number: number, generation: current)
        }
        return next.wait()
    }

    private func request(_ cursor: String, number: Int, generation current: Int) {
        let promise = Ahead<Page>.Promise()
        lock.withLock { waiting.append((cursor, number, promise)) }
        fetchQueue.async { [self] in
            let fetched = Result { try fetch(cursor) }
            switch fetched {
            case .failure(let error):
                promise.fulfil(.failure(error))
                return
            case .success(let page):
                if let next = page.nextCursor {
                    let room = lock.withLock { () -> Bool in
                        // Still the current reading, and room for one more page not yet taken.
                        guard generation == current else { return false }
                        if waiting.count < depth { return true }
                        resume = (next, number + 1)
                        return false
                    }
                    if room { request(next, number: number + 1, generation: current) }
                }
                if let preparer {
                    mapQueue.async { promise.fulfil(.success((page, preparer.prepare(page, number: number)))) }
                } else {
                    promise.fulfil(.success((page, nil)))
                }
            }
        }
    }
}
