import Foundation
import MapDSL
import TestSupport
import Testing

@testable import SyncEngine

/// `mapc why`'s timeline for a record the platform refused (transiently, then for good), that was
/// fixed, then changed in the source (the fix no longer applied), then unchanged.
@Suite struct RecordTimelineTests {
    static func event(_ run: Int, _ kind: String, _ at: String, _ payload: JSONValue) -> RecordEvent {
        RecordEvent(run: run, seq: 0, key: "0031", kind: kind, at: "2026-12-05T\(at).000Z", payload: payload)
    }

    @Test func platformRefusalsRetriesFixesAndSourceChangesMatchTheGolden() {
        let v1: JSONValue = ["Email": "a@example.com", "LastName": "Lee", "Phone": "555"]
        let v2: JSONValue = ["Email": "a@example.com", "LastName": "Lee", "Phone": "+1 555 0100"]
        let events = [
            Self.event(1, "fetched", "01:00:00", ["page": 1, "values": ["email": "a@example.com", "phone": "555"]]),
            Self.event(1, "sent", "01:00:01", ["batch": 2, "new": true, "values": v1]),
            Self.event(
                1, "result", "01:00:02", ["status": "rejected", "code": "UNABLE_TO_LOCK_ROW", "message": "row locked", "transient": true]),
            Self.event(1, "sent", "01:00:05", ["batch": 2, "values": v1]),
            Self.event(
                1, "result", "01:00:06",
                [
                    "status": "rejected", "code": "FIELD_CUSTOM_VALIDATION_EXCEPTION", "field": "Phone",
                    "message": "Phone must have 10 digits",
                ]),
            Self.event(
                1, "fixed", "02:00:00",
                ["field": "Phone", "value": "+1 555 0100", "side": "destination", "by": "erin", "identity": "login"]),
            Self.event(2, "fetched", "03:00:00", ["page": 1, "values": ["email": "a@example.com", "phone": "555"]]),
            Self.event(2, "sent", "03:00:01", ["batch": 1, "values": v2]),
            Self.event(2, "result", "03:00:02", ["status": "updated", "destinationId": "00Q1"]),
            Self.event(2, "fix_applied", "03:00:02", ["fields": ["Phone"]]),
            Self.event(3, "fetched", "04:00:00", ["page": 1, "values": ["email": "a@example.com", "phone": "555 0199", "title": "CTO"]]),
            Self.event(
                3, "fix_superseded", "04:00:00",
                ["fields": ["Phone"], "reason": "the source record changed since the fix; its new values are used"]),
            Self.event(
                3, "rejected", "04:00:00", ["stage": "validation", "code": "V0704", "field": "Email", "message": "bad", "values": v1]),
            Self.event(4, "fetched", "05:00:00", ["page": 1, "values": ["email": "a@example.com", "phone": "555 0199", "title": "CTO"]]),
            Self.event(4, "unchanged", "05:00:00", ["hash": "h"]),
            Self.event(5, "skipped", "06:00:00", ["rule": "skip when blank(email)"]),
        ]
        var record = RecordState(key: "0031", run: 5, status: "skipped")
        record.destinationId = "00Q1"
        record.mappingVersion = "0123456789abcdef"
        record.destinationKey = "a@example.com"
        let text = RecordTimeline.render(record: record, events: events) { _ in "salesforce" }
        Golden.check(text, path: "Tests/SyncEngineTests/Golden/record-timeline.txt")
    }
}
