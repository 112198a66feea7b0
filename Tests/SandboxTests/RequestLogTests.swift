import Foundation
import Testing

@testable import Sandbox

@Suite struct RequestLogTests {
    @Test func keepsTheNewestEntriesUpToItsCapacity() {
        let log = RequestLog(capacity: 10)
        let summary = HTTPServerRequestSummary(method: "GET", path: "/x", query: [], bodyBytes: 0)
        for count in 1...45 {
            log.append(summary, status: 200, fault: nil, at: Date(timeIntervalSince1970: Double(count)))
            #expect(log.all.map(\.sequence) == Array(max(1, count - 9)...count), "after \(count)")
        }
        log.clear()
        #expect(log.all.isEmpty)
        log.append(summary, status: 204, fault: "drop", at: Date())
        #expect(log.all.map(\.sequence) == [46])
    }
}
