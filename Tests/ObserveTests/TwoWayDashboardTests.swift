import Foundation
import MapDSL
import Testing

@testable import Observe
@testable import SyncEngine

/// A two-way job's open conflicts on its dashboard page, escaped, with the command that resolves each.
@Suite(.serialized) struct TwoWayDashboardTests {
    @Test(.timeLimit(.minutes(1)))
    func openConflictsAreListedOnTheJobPage() throws {
        let h = try ConsoleHarness()
        var change = IdentityChange()
        change.newConflicts = [
            .init(
                kind: "identity", link: nil, field: "left:003A,left:003B,right:m1",
                payload: ["records": ["left:003A", "left:003B", "right:m1"]]),
            .init(
                kind: "field", link: 7, field: "merge_fields.FNAME",
                payload: ["leftValue": "<script>alert(1)</script>", "rightValue": "Ann"]),
        ]
        try h.store.apply(change, job: "people", run: nil, actor: "test", at: "2024-06-01T00:00:00Z")
        let (cookie, _) = try h.signIn("rob", ConsoleHarness.robPassword)
        let page = try h.http.request("GET", "/dashboard/jobs/people", headers: [("Cookie", cookie)])
        #expect(page.status == 200)
        #expect(page.body.contains("Open conflicts (2)"))
        #expect(page.body.contains("would link more than once: left:003A, left:003B, right:m1"))
        #expect(page.body.contains("mapc identities resolve people 1 --link LEFT RIGHT | --ignore"))
        #expect(page.body.contains("mapc conflicts resolve people 2 --take SIDE"))
        #expect(page.body.contains("&lt;script&gt;") && !page.body.contains("<script>alert(1)"))
        // Resolved conflicts leave the page.
        try TwoWayOperatorHelper.resolve(h.store, id: 2)
        let after = try h.http.request("GET", "/dashboard/jobs/people", headers: [("Cookie", cookie)])
        #expect(after.body.contains("Open conflicts (1)"))
    }
}

enum TwoWayOperatorHelper {
    static func resolve(_ store: EventStore, id: Int) throws {
        var change = IdentityChange()
        change.conflictUpdates = [.init(id: id, status: "resolved", resolution: "left", by: "ada")]
        try store.apply(change, job: "people", run: nil, actor: "ada", at: "2024-06-01T00:01:00Z")
    }
}
