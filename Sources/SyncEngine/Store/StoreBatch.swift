import MapDSL

/// An event about one record whose payload is already JSON text (UTF-8 bytes).
struct RecordEventRow: Sendable {
    /// The record key.
    var key: String
    /// `fetched`, `skipped`, `rejected`, `unchanged`, `sent`, `result`, `fixed`.
    var kind: String
    /// The payload: one JSON value, already serialised.
    var payload: [UInt8]
}

/// Writes that are committed to the event store together, in one transaction: state transitions,
/// run events, record events and record-state updates.
///
/// The sync runner collects the transitions and events of work that touches nothing outside the
/// process (mapping a page, say) and commits them with the next write that must be durable — before
/// any request that changes the destination — so a page costs one transaction instead of one per
/// event (several batches committed together are written one after the other, each as if alone). Payloads are JSON bytes written straight from the values, never a ``JSONValue`` tree.
struct StoreBatch: Sendable {
    /// One state change, validated against the one before it when the batch is committed.
    struct Transition: Sendable {
        var to: JobState
        var at: String
        var extra: [(String, JSONValue)] = []
    }

    /// One run event.
    struct Event: Sendable {
        var type: String
        var payload: [UInt8]
        var at: String
    }

    /// State changes, oldest first; each becomes a `state` event before the other events.
    var transitions: [Transition] = []
    /// Run events, in order, after the transitions.
    var events: [Event] = []
    /// Events about records; they refer to the first of ``events`` (a `records` event is added when
    /// there is none).
    var recordEvents: [RecordEventRow] = []
    /// Changes to the record projection.
    var updates: [RecordUpdate] = []
    /// The job's high-water mark reached by a checkpoint in this batch (it only ever advances, see
    /// ``EventStore/advanceWatermark(_:job:in:)``).
    var watermark: Watermark?

    /// Whether there is nothing to write.
    var isEmpty: Bool {
        transitions.isEmpty && events.isEmpty && recordEvents.isEmpty && updates.isEmpty && watermark == nil
    }

    /// Adds a run event whose payload is `payload`.
    mutating func event(_ type: String, _ payload: JSONValue, at: String) {
        events.append(Event(type: type, payload: JSONWriter.bytes(payload), at: at))
    }

    /// Adds a record event whose payload is `payload`.
    mutating func recordEvent(_ key: String, _ kind: String, _ payload: JSONValue) {
        recordEvents.append(RecordEventRow(key: key, kind: kind, payload: JSONWriter.bytes(payload)))
    }

    /// Moves everything of `other` after what this batch holds.
    mutating func append(contentsOf other: StoreBatch) {
        transitions += other.transitions
        events += other.events
        recordEvents += other.recordEvents
        updates += other.updates
        if let mark = other.watermark { watermark = mark }
    }
}

/// The latest state of a record as a sync needs it to decide what to do with the record.
struct RecordSyncState {
    /// The run that last touched it.
    var run: Int
    /// Its status then.
    var status: String
    /// Hash of the values the destination last acknowledged.
    var sentHash: String?
    /// Hash of the values last mapped (for a rejected record: the values refused).
    var contentHash: String? = nil
    /// The mapping version that mapped them.
    var mappingVersion: String? = nil
    /// For a rejected record: the code, message and field of the rejection.
    var errorCode: String? = nil
    var error: String? = nil
    var field: String? = nil
    /// For a rejected record: whether the platform's error passes with time.
    var transient = false
}
