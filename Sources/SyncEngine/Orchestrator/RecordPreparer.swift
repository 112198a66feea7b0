import Foundation
import MapDSL

/// What mapping a fetched record gives, before the store is asked anything about it: the payload
/// of its `fetched` event and its outcome, with the JSON, violations, content hash and destination
/// key of a mapped record.
struct PreparedRecord: Sendable {
    /// The outcome of mapping one record.
    enum Outcome: Sendable {
        case skipped(rule: Int)
        case failed(RecordFailure)
        case mapped(values: [Value], json: [UInt8], violations: [Violation], hash: String, key: String)
    }

    /// `{"page":…,"values":…}`: the `fetched` event's payload.
    var fetched: [UInt8]
    var outcome: Outcome
    /// What the operator's fixes of the record did, when it has any.
    var fixes: FixUse? = nil
}

/// A page with every record prepared, and the first platform failure of a lookup made while
/// mapping it (the page must then be mapped again, not dead-lettered).
struct PreparedPage: Sendable {
    var page: SourcePage
    /// The page's number in the run.
    var number: Int
    /// Aligned with `page.records`.
    var records: [PreparedRecord]
    var lookupFailure: AdapterError?
}

/// Maps fetched records and prepares everything about them that does not depend on the store, so
/// that a page can be mapped on the thread that read it ahead while the runner uploads the one
/// before. A preparer keeps scratch buffers and its own lookup cache: one per thread.
///
/// Whatever goes wrong while mapping one record is that record's failure, with a code (the
/// evaluator never traps on outside values); should the process die inside the mapper all the
/// same, the crash guard (see `SyncRunner+Quarantine.swift`) knows which record it was on.
final class RecordPreparer: @unchecked Sendable {
    private let mapping: CompiledMapping
    private let job: String
    private let lookups: AdapterLookup?
    private let writer: MappedJSONWriter
    /// This preparer's slot in the crash guard (nil when every slot is taken), and its job's entry
    /// there once the run armed it.
    private let guardSlot = MapperCrashGuard.takeSlot()
    private var guardJob: Int?
    #if DEBUG
        /// Debug builds only, for the tests of the crash guard: `MAPC_DEBUG_CRASH_RECORD=ID[:KIND]`
        /// makes the mapper really die on the record with that id (KIND: `trap`, the default, an
        /// arithmetic overflow trap; `stack`, a stack overflow; `segv`, a bad memory access).
        private let crashOn: (id: String, kind: String)? = {
            guard let spec = ProcessInfo.processInfo.environment["MAPC_DEBUG_CRASH_RECORD"], !spec.isEmpty else { return nil }
            let parts = spec.split(separator: ":", maxSplits: 1).map(String.init)
            return (parts[0], parts.count > 1 ? parts[1] : "trap")
        }()
    #endif

    init(mapping: CompiledMapping, job: String, lookups: AdapterLookup?) {
        self.mapping = mapping
        self.job = job
        self.lookups = lookups
        self.writer = MappedJSONWriter(mapping: mapping)
    }

    deinit {
        if let guardSlot { MapperCrashGuard.releaseSlot(guardSlot) }
    }

    /// Every record of `page`, mapped.
    func prepare(_ page: SourcePage, number: Int) -> PreparedPage {
        let frame = mapping.makeFrame(lookups: lookups)
        var records: [PreparedRecord] = []
        records.reserveCapacity(page.records.count)
        for (index, record) in page.records.enumerated() {
            records.append(prepare(record, page: number, index: index, frame: frame, retry: nil))
        }
        return PreparedPage(page: page, number: number, records: records, lookupFailure: takeLookupFailure())
    }

    /// A frame for ``prepare(_:page:frame:retry:)``.
    func makeFrame() -> Frame { mapping.makeFrame(lookups: lookups) }

    /// The first platform failure of a lookup since the last call, if any.
    func takeLookupFailure() -> AdapterError? { lookups?.takeFailure() }

    /// Records quarantined in this run for having killed the mapper: never mapped again in it (set
    /// before the run reads its first page; a page mapped ahead would otherwise map one again).
    var poisoned: Set<String> = []

    /// The operator's fixes in effect, by record key (set before the run reads its first page).
    var fixes: [String: [RecordFix]] = [:]

    /// One record mapped; `retry` is the dead letter it is a retry of, with the operator's fixes.
    /// `index` is the record's place in its page (for the crash guard's marker).
    func prepare(_ rec: SourceRecord, page: Int, index: Int = -1, frame: Frame, retry: RecordState?) -> PreparedRecord {
        if retry == nil, poisoned.contains(rec.id) {
            return PreparedRecord(
                fetched: [],
                outcome: .failed(
                    RecordFailure(
                        code: .mapperCrashed, message: "quarantined in this run: it crashed the mapper", field: nil, line: nil,
                        sourceField: nil)))
        }
        if guardJob == nil, MapperCrashGuard.memory != nil { guardJob = MapperCrashGuard.entry(of: job) }
        if let slot = guardSlot, let entry = guardJob {
            MapperCrashGuard.begin(slot: slot, job: entry, id: rec.id, page: page, index: index)
        }
        defer { if let slot = guardSlot { MapperCrashGuard.end(slot: slot) } }
        return map(rec, page: page, frame: frame, retry: retry)
    }

    private func map(_ rec: SourceRecord, page: Int, frame: Frame, retry: RecordState?) -> PreparedRecord {
        var fetched: [UInt8] = []
        JSONWriter.appendRaw("{\"page\":", to: &fetched)
        JSONWriter.appendInt(page, to: &fetched)
        JSONWriter.appendRaw(",\"values\":", to: &fetched)
        JSONWriter.append(rec.fields, to: &fetched)
        fetched.append(UInt8(ascii: "}"))
        let recordFixes = fixes[rec.id] ?? []
        let sourceRead = retry == nil || retry?.payload?["source"] != nil
        let (fields, effective, use) = RecordFix.applySource(recordFixes, to: rec.fields, sourceRead: sourceRead)
        let destinationFixes = effective.filter { $0.side != .source }
        let outcome: RecordOutcome
        if let retry, retry.payload?["source"] == nil, retry.payload?["quarantined"] != nil, effective.isEmpty {
            // It killed the mapper once and its values were not kept: mapping it again would
            // map nothing (or die again).
            outcome = .failed(
                RecordFailure(
                    code: .mapperCrashed,
                    message:
                        "this record crashed the mapper in an earlier run and its source values were not kept; fix its source fields (mapc fix) to retry it",
                    field: nil, line: nil, sourceField: nil))
        } else if let retry, retry.payload?["source"] == nil, let stored = retry.payload?["values"]?.objectValue {
            // A destination rejection with no source kept: resend the stored values, fixed.
            outcome = .mapped(
                mapping.outputFields.map { f in
                    let raw = destinationFixes.last { $0.field == f.name }?.value ?? stored.first { $0.0 == f.name }?.1 ?? .null
                    return (try? SourceDecoder.decode(raw, as: f).get()) ?? .null
                })
        } else {
            #if DEBUG
                if let crashOn, crashOn.id == rec.id { Self.die(crashOn.kind) }
            #endif
            outcome = mapping.evaluate(json: fields, frame: frame)
        }
        let fixUse = recordFixes.isEmpty ? nil : use
        switch SyncRunner.applyDestinationFixes(outcome, destinationFixes, fields: mapping.outputFields) {
        case .skipped(let rule): return PreparedRecord(fetched: fetched, outcome: .skipped(rule: rule), fixes: fixUse)
        case .failed(let failure): return PreparedRecord(fetched: fetched, outcome: .failed(failure), fixes: fixUse)
        case .mapped(let values):
            var json: [UInt8] = []
            let violations = writer.write(values, to: &json)
            let hash = ContentHash.of(json)
            let key =
                mapping.keyIndex.map { values[$0].text } ?? "msg-"
                + String(ContentHash.of(Array((job + "\u{0}" + rec.id + "\u{0}" + hash).utf8)).prefix(24))
            return PreparedRecord(
                fetched: fetched, outcome: .mapped(values: values, json: json, violations: violations, hash: hash, key: key),
                fixes: fixUse)
        }
    }
}

#if DEBUG
    extension RecordPreparer {
        /// Dies as a bug in the mapper would (see `crashOn`).
        static func die(_ kind: String) -> Never {
            switch kind {
            case "stack":
                func deeper(_ n: Int) -> Int { n == Int.min ? 0 : deeper(n &+ 1) &+ 1 }
                _ = deeper(Int(ProcessInfo.processInfo.processIdentifier))
                fatalError("unreachable")
            case "segv":
                let bad = UnsafeMutablePointer<Int>(bitPattern: 8)!
                bad.pointee = 1
                fatalError("unreachable")
            default:
                let big = Int.max - Int(ProcessInfo.processInfo.processIdentifier % 2)
                _ = big + 2
                fatalError("unreachable")
            }
        }
    }
#endif
