import MapDSL

/// What a run does with one fetched record, decided from what mapping gave and what the store knows
/// of the record: a pure function, so the rules are tested without a store or a platform.
enum RecordAction {
    /// This run already settled the record (a page read again after a resume or a restart of the
    /// read): nothing more to record.
    case alreadyDone
    /// A skip rule matched.
    case skip(rule: Int)
    /// Mapping failed (a record error).
    case mappingFailed(RecordFailure)
    /// The mapped values break the destination's rules.
    case invalid(values: [Value], violations: [Violation], key: String)
    /// The destination already holds these values.
    case unchanged(hash: String, key: String)
    /// The platform refused these very values under this mapping version before, for a reason that
    /// does not pass: not sent again (`mapc retry` sends it, with fixes).
    case stillRejected(hash: String, key: String)
    /// To send. `isNew`: the destination never acknowledged the record before. `again`: the run
    /// settled an older version of it already (it changed while the run was under way), so it is
    /// not counted as fetched a second time.
    case send(values: [Value], json: [UInt8], hash: String, key: String, isNew: Bool, again: Bool)
}

enum RecordDecision {
    /// Statuses that mean a record is done with for the run that gave them.
    static let settled: Set<String> = ["created", "updated", "duplicate", "rejected", "skipped", "unchanged"]

    /// Decides for one record given what mapping it gave, the store's state of it (`before`), the
    /// run, the approved mapping `version`, `--full`, and whether this is a retry run of dead letters.
    static func decide(
        _ outcome: PreparedRecord.Outcome, before: RecordSyncState?, run: Int, version: String, full: Bool, retrying: Bool
    ) -> RecordAction {
        let inRun = !retrying && before.map { $0.run == run && settled.contains($0.status) } == true
        switch outcome {
        case .skipped(let rule):
            return inRun ? .alreadyDone : .skip(rule: rule)
        case .failed(let failure):
            return inRun ? .alreadyDone : .mappingFailed(failure)
        case .mapped(let values, let json, let violations, let hash, let key):
            if !violations.isEmpty { return inRun ? .alreadyDone : .invalid(values: values, violations: violations, key: key) }
            let isNew = before?.sentHash == nil
            if inRun, let before {
                if before.sentHash == hash || before.contentHash == hash { return .alreadyDone }
                return .send(values: values, json: json, hash: hash, key: key, isNew: isNew, again: true)
            }
            let send = RecordAction.send(values: values, json: json, hash: hash, key: key, isNew: isNew, again: false)
            guard !retrying, !full, let before else { return send }
            if before.sentHash == hash { return .unchanged(hash: hash, key: key) }
            if before.status == "rejected", !before.transient, before.errorCode != nil, before.contentHash == hash,
                before.mappingVersion == version
            {
                return .stillRejected(hash: hash, key: key)
            }
            return send
        }
    }
}
