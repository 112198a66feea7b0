import Foundation
import MapDSL
import Testing

@testable import Observe
@testable import SyncEngine

/// Issue 16, item 8: the record page says "Values sent" only for values that were sent, and gives
/// "the platform's reason" only for the platform's own refusals (mapc's checks are mapc's).
@Suite struct RecordPageLabelTests {
    static let context = PageContext(
        session: Session(id: "s", name: "ada", role: .readOnly, csrf: "c", created: Date(), lastSeen: Date()))

    static func page(_ r: RecordState, events: [RecordEvent] = []) -> String {
        DashboardPages.record(job: "leads", r, events: events, context: context, canRetry: false, platform: "salesforce")
    }

    static func rejected(code: String, stage: String?, field: String = "Email") -> RecordState {
        var r = RecordState(key: "5192", run: 1, status: "rejected")
        r.errorCode = code
        r.field = field
        r.error = "refused"
        if let stage { r.payload = .object([("values", ["Email": "maria@@gmail.com"]), ("stage", .string(stage))]) }
        return r
    }

    @Test func mapcsOwnCheckIsNotCalledThePlatformsReasonAndItsValuesWereNotSent() {
        let html = Self.page(Self.rejected(code: "V0704", stage: "validation"))
        #expect(html.contains("mapc&#39;s check refused it (never sent)") || html.contains("mapc's check refused it (never sent)"))
        #expect(!html.contains("the platform&#39;s reason") && !html.contains("the platform's reason"))
        #expect(html.contains("Values mapped (not sent)") && !html.contains("<h2>Values sent"))
        // A V07xx code is mapc's even where a stage is missing or says otherwise.
        #expect(!Self.page(Self.rejected(code: "V0704", stage: "destination")).contains("refused it (the platform"))
    }

    @Test func thePlatformsOwnRefusalNamesThePlatformAndTheValuesSent() {
        let html = Self.page(Self.rejected(code: "FIELD_CUSTOM_VALIDATION_EXCEPTION", stage: "destination"))
        #expect(html.contains("salesforce refused it (the platform"))
        #expect(html.contains("<h2>Values sent</h2>"))
        // Refused before and not sent again (no payload): still the platform's refusal.
        #expect(Self.page(Self.rejected(code: "INVALID_EMAIL_ADDRESS", stage: nil)).contains("salesforce refused it (the platform"))
    }

    @Test func aDeliveredRecordShowsTheValuesOfItsLastSend() {
        let sent = RecordEvent(
            run: 2, seq: 1, key: "5192", kind: "sent", at: "2026-12-05T01:00:00.000Z", payload: ["values": ["Email": "maria@gmail.com"]])
        var r = RecordState(key: "5192", run: 2, status: "created")
        r.destinationId = "00Q1"
        let html = Self.page(r, events: [sent])
        #expect(html.contains("<h2>Values sent (run 2)</h2>"))
        #expect(html.contains("id=\"record-timeline\""))
        // A record never sent shows no values as sent.
        let skipped = Self.page(RecordState(key: "1", run: 1, status: "skipped"))
        #expect(!skipped.contains("Values sent"))
    }
}
