import Foundation
import MapDSL
import Testing

@testable import SyncEngine

/// Pages read ahead of the runner: in order, never more than the depth ahead, a failure handed over
/// where it happened, and a cursor that is not the next one read ahead reads nothing.
@Suite struct ReadAheadTests {
    /// Twenty pages `c0` … `c19`; each knows the next cursor. Counts reads, and the most unread pages.
    final class Pages: @unchecked Sendable {
        let lock = NSLock()
        var reads: [String] = []
        var failing: Set<String> = []

        func fetch(_ cursor: String) throws -> SourcePage {
            let n = Int(cursor.dropFirst())!
            try lock.withLock {
                reads.append(cursor)
                if failing.contains(cursor) { throw AdapterError.transient("HTTP 503 on \(cursor)") }
            }
            return SourcePage(records: [SourceRecord(id: "r\(n)", fields: [:])], nextCursor: n < 19 ? "c\(n + 1)" : nil)
        }
    }

    @Test func pagesComeInOrderAndNoMoreThanTheDepthIsReadAhead() throws {
        let pages = Pages()
        let ahead = ReadAhead(depth: 2, preparer: nil) { try pages.fetch($0) }
        ahead.start(at: "c1", number: 2)
        for n in 1...19 {
            let page = try #require(ahead.take("c\(n)")).get()
            #expect(page.page.records.map(\.id) == ["r\(n)"])
            #expect(page.prepared == nil)
            // What was read so far goes at most two pages past what was taken.
            let read = pages.lock.withLock { pages.reads.count }
            #expect(read <= n + 2, "\(read) pages read after taking page \(n)")
        }
        #expect(pages.lock.withLock { pages.reads } == (1...19).map { "c\($0)" })
    }

    @Test func aFailedReadIsHandedOverAndTheReadingStopsThere() throws {
        let pages = Pages()
        pages.failing = ["c3"]
        let ahead = ReadAhead(depth: 2, preparer: nil) { try pages.fetch($0) }
        ahead.start(at: "c1", number: 2)
        #expect(throws: Never.self) { try #require(ahead.take("c1")).get() }
        #expect(throws: Never.self) { try #require(ahead.take("c2")).get() }
        let failed = try #require(ahead.take("c3"))
        #expect(throws: AdapterError.transient("HTTP 503 on c3")) { try failed.get() }
        // Nothing was read past the failure; asking again reads nothing.
        #expect(ahead.take("c3") == nil)
        #expect(!pages.lock.withLock { pages.reads }.contains("c4"))
    }

    @Test func anotherCursorDropsWhatWasReadAhead() throws {
        let pages = Pages()
        let ahead = ReadAhead(depth: 2, preparer: nil) { try pages.fetch($0) }
        ahead.start(at: "c5", number: 6)
        #expect(ahead.take("c9") == nil)
        #expect(ahead.take("c5") == nil)
        ahead.start(at: "c9", number: 10)
        #expect(try #require(ahead.take("c9")).get().page.records.map(\.id) == ["r9"])
    }
}
