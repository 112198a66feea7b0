import MapDSL

extension TwoWaySpec {
    /// The job as a one-way spec from left to right, for what is shared with one-way jobs
    /// (trigger rules).
    var asJobSpec: JobSpec {
        JobSpec(
            name: name, source: left, destination: right, mapping: leftToRight, mode: .upsert, batchSize: nil, pageSize: pageSize,
            retries: retries, overlapSeconds: JobSpec.defaultOverlapSeconds, lookupTTL: 0, lookupMissTTL: 0, raw: raw)
    }

    /// The job's webhook trigger rules (its `triggers` member, as in one-way jobs): a change on
    /// either side may start a run.
    public func triggerRules() throws -> [TriggerRule] { try TriggerRule.rules(of: asJobSpec) }
}

/// Recognises a webhook that only reports mapc's own two-way write, by the write ledger: no time
/// window, no guessing. The event's values are compared field by field with what mapc wrote to that
/// record; when every value it carries for a field mapc wrote equals the written one, and (for a
/// diff) it changes no other field, it starts no run. Anything else — a person's edit alone or mixed
/// with mapc's write — starts the run, which carries only the person's fields (``TwoWayPlanner``).
public struct TwoWayEcho: Sendable {
    let store: EventStore
    let spec: TwoWaySpec

    /// Creates the check of `spec` over `store`.
    public init(store: EventStore, spec: TwoWaySpec) {
        self.store = store
        self.spec = spec
    }

    /// The verdict when `event` only reflects a write of this job; nil otherwise.
    public func check(_ event: ChangeEvent) throws -> EchoVerdict? {
        let sides = TwoWaySide.allCases.filter {
            spec.endpoint($0).platform == event.platform && spec.endpoint($0).object.lowercased() == event.object.lowercased()
        }
        guard !sides.isEmpty, !event.changes.isEmpty else { return nil }
        let entries = try store.ledger(job: spec.name, platform: event.platform, recordId: event.recordId)
        for entry in entries {
            var written: [String: JSONValue] = [:]
            for (k, v) in entry.fields { written[k.lowercased()] = v }
            let overlap = event.changes.filter { written[$0.field.lowercased()] != nil }
            guard !overlap.isEmpty else { continue }
            let same = overlap.allSatisfy { change in
                EchoDetector.text(written[change.field.lowercased()]!) == EchoDetector.text(change.value)
            }
            guard same else { continue }
            if overlap.count != event.changes.count {
                // A diff naming other fields is someone else's change too; a snapshot carries every
                // field, so its other values are compared with the pair's last synced ones.
                guard event.snapshot, let link = try store.link(job: spec.name, anyId: event.recordId) else { continue }
                var base: [String: JSONValue] = [:]
                for side in sides {
                    let values = side == .left ? link.leftBase : link.rightBase
                    for (k, v) in values { base[k.lowercased()] = v }
                }
                let others = event.changes.filter { written[$0.field.lowercased()] == nil }
                let edited = others.contains { change in
                    base[change.field.lowercased()].map { EchoDetector.text($0) != EchoDetector.text(change.value) } ?? false
                }
                guard !edited else { continue }
            }
            return EchoVerdict(
                job: spec.name, key: event.recordId,
                reason:
                    "values of \(overlap.map(\.field).joined(separator: ", ")) are what two-way job \(spec.name) wrote in run \(entry.run)")
        }
        return nil
    }
}
