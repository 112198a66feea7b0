import Foundation
import MapDSL

/// What a two-way run did, counted.
public struct TwoWayReport: Sendable {
    public var run = 0
    public var readLeft = 0
    public var readRight = 0
    public var linked = 0
    public var relinked = 0
    public var createdLeft = 0
    public var createdRight = 0
    public var updatedLeft = 0
    public var updatedRight = 0
    public var rejected = 0
    /// Fields whose change was mapc's own write, read back and not propagated.
    public var echoSuppressed = 0
    /// Conflicts settled by the job's policy or an operator's choice.
    public var settled = 0
    /// Field conflicts parked for review in this run.
    public var parked = 0
    /// Identity conflicts (records that would link to more than one record) opened in this run.
    public var identityConflicts = 0
    /// Records not mapped (skipped by a rule or failed), per side.
    public var unmapped = 0
    /// Linked pairs one of whose records was not read (deleted, or filtered by the platform).
    public var missing = 0
    /// Pairs not written because one of their records changed while the run was under way (the
    /// next run sees both changes and applies the policy).
    public var deferred = 0

    public init() {}

    /// The counts as JSON.
    public var json: JSONValue {
        [
            "run": .int(run), "readLeft": .int(readLeft), "readRight": .int(readRight), "linked": .int(linked),
            "relinked": .int(relinked), "createdLeft": .int(createdLeft), "createdRight": .int(createdRight),
            "updatedLeft": .int(updatedLeft), "updatedRight": .int(updatedRight), "rejected": .int(rejected),
            "echoSuppressed": .int(echoSuppressed), "settled": .int(settled), "parked": .int(parked),
            "identityConflicts": .int(identityConflicts), "unmapped": .int(unmapped), "missing": .int(missing),
            "deferred": .int(deferred),
        ]
    }
}

/// Options of a two-way run.
public struct TwoWayOptions: Sendable {
    /// Who started the run (for events).
    public var actor = "mapc"
    /// The time of events.
    public var now: @Sendable () -> String = { Dates.formatDateTime(Int64(Date().timeIntervalSince1970 * 1000)) }
    /// For crash tests: the run stops dead (as if killed) after sending this many write batches,
    /// before recording their results.
    public var dieAfterBatches: Int?
    /// Most records read per side (a guard against a runaway listing).
    public var maxRecords = 5_000_000
    /// How long a write is remembered when its record is not read again (30 days).
    public var ledgerRetentionSeconds = 2_592_000
    /// Waits and randomness between attempts of a failing write.
    public var clock: any SyncClock = SystemClock()
    /// The delays between attempts (a rate-limited request waits as long as the platform says, at most `backoff.cap`).
    public var backoff = Backoff()
    /// The waits the adapters make on their own (shared with their ``AdapterOptions``): attached to
    /// the run, so they are announced and end on a cancel.
    public var waits: WaitWatch?
    /// A stop asked of this process (a signal): the reason to record, or nil to go on.
    public var interrupted: @Sendable () -> String? = { nil }
    /// Seconds between two heartbeats of the run's lease.
    public var heartbeatInterval = SyncOptions().heartbeatInterval
    /// How long a lease held by a process on another host stays good without a heartbeat.
    public var leaseTimeout = SyncOptions().leaseTimeout

    public init() {}
}

/// The run stopped as a test asked (``TwoWayOptions/dieAfterBatches``), as if the process died.
public struct TwoWaySimulatedCrash: Error, Sendable {}

/// The run was cancelled (`mapc cancel`, the dashboard, a signal) and stopped; its state says why.
public struct TwoWayCancelled: Error, Sendable, CustomStringConvertible {
    /// The run.
    public var run: Int
    /// Its final state (`cancelled`, with the reason).
    public var state: JobState

    public var description: String { "run \(run) was cancelled: \(state.reason ?? "cancelled")" }
}

/// A stop asked while the run was under way, carried up to ``TwoWayRunner/run()``.
struct TwoWayStop: Error {
    var reason: String
}

/// A two-way run: reads both objects, links records through the identity map (or parks
/// ambiguous ones), decides per linked pair what travels which way (``TwoWayPlanner``), writes,
/// and records every link, write and conflict as an event.
///
/// Reruns converge: a run cut off anywhere leaves the store saying what was linked and what was
/// written; the next run reads both sides again, recognises its own writes in the ledger, links
/// by the same rules (creations are upserts by key, so nothing is created twice), and carries on.
public final class TwoWayRunner: @unchecked Sendable {
    let spec: TwoWaySpec
    let mappings: [TwoWaySide: CompiledMapping]
    let versions: [TwoWaySide: String]
    let adapters: [TwoWaySide: any PlatformAdapter]
    let store: EventStore
    let options: TwoWayOptions
    let planner: TwoWayPlanner
    private var batchesSent = 0
    /// The run under way (0 before it is created).
    var current = 0
    var lease: LeaseKeeper?

    /// Creates a runner. `leftToRight` maps the left object to the right one, `rightToLeft` back.
    public init(
        spec: TwoWaySpec, leftToRight: CompiledMapping, rightToLeft: CompiledMapping, versions: (String, String),
        left: any PlatformAdapter, right: any PlatformAdapter, store: EventStore, options: TwoWayOptions = TwoWayOptions()
    ) throws {
        guard !leftToRight.usesLookups, !rightToLeft.usesLookups else {
            throw JobError("two-way job \(spec.name): mappings with lookups are not supported in two-way jobs")
        }
        guard leftToRight.source.qualifiedName == spec.left.qualifiedName,
            leftToRight.destination.qualifiedName == spec.right.qualifiedName
        else {
            throw JobError(
                "two-way job \(spec.name): mappings.leftToRight maps \(leftToRight.source.qualifiedName) -> \(leftToRight.destination.qualifiedName), expected \(spec.left.qualifiedName) -> \(spec.right.qualifiedName)"
            )
        }
        guard rightToLeft.source.qualifiedName == spec.right.qualifiedName,
            rightToLeft.destination.qualifiedName == spec.left.qualifiedName
        else {
            throw JobError(
                "two-way job \(spec.name): mappings.rightToLeft maps \(rightToLeft.source.qualifiedName) -> \(rightToLeft.destination.qualifiedName), expected \(spec.right.qualifiedName) -> \(spec.left.qualifiedName)"
            )
        }
        self.spec = spec
        self.mappings = [.left: leftToRight, .right: rightToLeft]
        self.versions = [.left: versions.0, .right: versions.1]
        self.adapters = [.left: left, .right: right]
        self.store = store
        self.options = options
        self.planner = TwoWayPlanner(
            spec: spec, leftToRight: Self.fields(leftToRight), rightToLeft: Self.fields(rightToLeft))
    }

    /// A mapping's outputs, their sources and its inputs.
    public static func fields(_ m: CompiledMapping) -> DirectionFields {
        DirectionFields(outputs: m.outputFields.map(\.name), sources: m.outputSources, inputs: m.inputFields.map(\.name))
    }

    /// The platform id field of a side's object (`Id`, `id`).
    func idField(_ side: TwoWaySide) -> String {
        let schema = side == .left ? mappings[.right]!.destination : mappings[.left]!.destination
        return schema.field("Id") != nil ? "Id" : "id"
    }

    typealias Update = (link: IdentityLink, state: PairState, plan: PairPlan, record: OutboundRecord)

    /// Records of `side` whose modification time moved since `read`: one incremental read from the
    /// latest modification time seen (less the clock-skew tolerance), so the platform's clock decides.
    func changedSinceRead(_ side: TwoWaySide, _ read: Read) throws -> Set<String> {
        let latest = read.records.values.compactMap { r in Self.seconds(r.modified).map { ($0, r.modified!) } }.max { $0.0 < $1.0 }
        guard let latest else { return [] }
        let since = Dates.formatDateTime(Int64((latest.0 - Double(spec.clockSkewSeconds)) * 1000))
        var out: Set<String> = []
        var cursor: String?
        var pages = 0
        repeat {
            let request = FetchRequest(object: spec.endpoint(side).object, cursor: cursor, modifiedSince: since, pageSize: spec.pageSize)
            let page = try attempt(side, "reading changes of \(spec.endpoint(side).qualifiedName)") {
                try adapters[side]!.fetch(request)
            }
            for r in page.records where read.records[r.id]?.modified != r.modified {
                out.insert("\(side.rawValue):\(r.id)")
            }
            pages += 1
            guard pages <= 1_000_000 else { break }
            cursor = page.nextCursor
        } while cursor != nil
        return out
    }

    struct Read {
        var records: [String: SourceRecord] = [:]
        var order: [String] = []
    }

    func readAll(_ side: TwoWaySide) throws -> Read {
        var read = Read()
        var cursor: String?
        var pages = 0
        repeat {
            let request = FetchRequest(object: spec.endpoint(side).object, cursor: cursor, pageSize: spec.pageSize)
            let page = try attempt(side, "reading \(spec.endpoint(side).qualifiedName) page \(pages + 1)") {
                try adapters[side]!.fetch(request)
            }
            for r in page.records where !r.id.isEmpty {
                if read.records[r.id] == nil { read.order.append(r.id) }
                read.records[r.id] = r
            }
            guard read.order.count <= options.maxRecords else {
                throw JobError("\(spec.endpoint(side).qualifiedName) has more than \(options.maxRecords) records; refusing to read on")
            }
            pages += 1
            guard pages <= 1_000_000 else { throw JobError("reading \(spec.endpoint(side).qualifiedName) did not end") }
            cursor = page.nextCursor
        } while cursor != nil
        return read
    }

    static func dict(_ record: SourceRecord) -> [String: JSONValue] {
        var out: [String: JSONValue] = [:]
        for (k, v) in record.fields.objectValue ?? [] { out[k] = v }
        return out
    }

    static func seconds(_ text: String?) -> Double? {
        guard let text, let ms = Dates.parseISODateTime(Substring(text)) else { return nil }
        return Double(ms) / 1000
    }

    /// The record mapped to the other side, or nil when skipped or failed.
    func mapped(_ record: SourceRecord, from side: TwoWaySide) -> [(String, JSONValue)]? {
        let m = mappings[side]!
        switch m.evaluate(json: record.fields, frame: m.makeFrame()) {
        case .mapped(let values): return zip(m.outputFields, values).map { ($0.name, $1.json) }
        case .skipped, .failed: return nil
        }
    }

    static func hash(_ fields: [(String, JSONValue)]) -> String {
        ContentHash.of(JSONWriter.compact(.object(fields.sorted { $0.0 < $1.0 })))
    }

    // MARK: - The run

    /// Runs once; returns what it did.
    public func run() throws -> TwoWayReport {
        var report = TwoWayReport()
        try closeAbandoned()
        let at = options.now()
        let run = try store.createRun(
            job: spec.name,
            info: [
                "kind": "two-way", "left": .string(spec.left.qualifiedName), "right": .string(spec.right.qualifiedName),
                "source": .string(spec.left.qualifiedName), "destination": .string(spec.right.qualifiedName + " (and back)"),
                "mapping": .string(spec.leftToRight + " + " + spec.rightToLeft),
                "leftToRight": .string(spec.leftToRight), "rightToLeft": .string(spec.rightToLeft),
                "mappingVersion": .string(versions[.left]! + "+" + versions[.right]!), "by": .string(options.actor),
            ], at: at)
        report.run = run
        current = run
        defer { releaseLease() }
        do {
            try takeLease(run: run)
            try store.transition(run: run, to: JobState(.fetching, page: 1), at: options.now())
            let left = try readAll(.left)
            let right = try readAll(.right)
            report.readLeft = left.order.count
            report.readRight = right.order.count
            try store.transition(run: run, to: JobState(.mapping, page: 1), at: options.now())
            try reconcile(run: run, left: left, right: right, report: &report)
            try store.append(run: run, type: "twoway_summary", payload: report.json, at: options.now())
            try store.transition(run: run, to: JobState(.completed), at: options.now())
        } catch let crash as TwoWaySimulatedCrash {
            throw crash
        } catch let stop as TwoWayStop {
            throw try cancelled(run: run, reason: stop.reason)
        } catch {
            // An adapter's wait cut short by a cancel surfaces as its error: the run is cancelled.
            if let reason = stopReason() { throw try cancelled(run: run, reason: reason) }
            _ = try? store.transition(run: run, to: JobState(.failed, reason: "\(error)"), at: options.now())
            throw error
        }
        return report
    }

    func actor(_ run: Int) -> String { "run \(run) (\(options.actor))" }

    func reconcile(run: Int, left: Read, right: Read, report: inout TwoWayReport) throws {
        var links = try store.links(job: spec.name)
        let ledger = try store.ledger(job: spec.name)
        let conflicts = try store.twoWayConflicts(job: spec.name)
        var change = IdentityChange()
        if let now = Dates.parseISODateTime(Substring(options.now())) {
            change.ledgerPruneBefore = Dates.formatDateTime(now - Int64(options.ledgerRetentionSeconds) * 1000)
        }

        // Carry a right record whose id changed (a new e-mail is a new Mailchimp hash) across by its stable id.
        var linkByLeft: [String: Int] = [:]
        var linkByRight: [String: Int] = [:]
        for (i, l) in links.enumerated() {
            linkByLeft[l.leftId] = i
            linkByRight[l.rightId] = i
        }
        if let stableField = spec.rightStableId {
            var byStable: [String: Int] = [:]
            for (i, l) in links.enumerated() { if let s = l.rightStable { byStable[s] = i } }
            for id in right.order where linkByRight[id] == nil {
                guard let stable = right.records[id]?.fields[stableField]?.stringValue, let i = byStable[stable],
                    right.records[links[i].rightId] == nil
                else { continue }
                let old = links[i].rightId
                linkByRight[old] = nil
                links[i].rightId = id
                linkByRight[id] = i
                change.link(links[i], event: "relinked", ["side": "right", "from": .string(old), "to": .string(id), "by": "stable id"])
                report.relinked += 1
            }
            for (i, l) in links.enumerated() where l.rightStable == nil {
                if let s = right.records[l.rightId]?.fields[stableField]?.stringValue {
                    links[i].rightStable = s
                    change.links.append(links[i])
                }
            }
        }
        if !change.isEmpty {
            try store.apply(change, job: spec.name, run: run, actor: actor(run), at: options.now())
            change = IdentityChange()
        }

        // Link what is not linked, or park it.
        let ignored = Set(
            conflicts.filter { $0.kind == "identity" && $0.status == "ignored" }.flatMap { c in
                (c.payload["records"]?.arrayValue ?? []).compactMap(\.stringValue)
            })
        let openIdentity = Set(conflicts.filter { $0.kind == "identity" && $0.status == "open" }.compactMap(\.field))
        let plan = IdentityResolver(spec: spec).resolve(
            left: left.order.map { ($0, Self.dict(left.records[$0]!)) }, right: right.order.map { ($0, Self.dict(right.records[$0]!)) },
            linkedLeft: Set(linkByLeft.keys), linkedRight: Set(linkByRight.keys), ignored: ignored)
        for group in plan.conflicts where !openIdentity.contains(group.key) {
            change.newConflicts.append(
                IdentityChange.NewConflict(kind: "identity", link: nil, field: group.key, payload: group.payload))
            report.identityConflicts += 1
        }
        let stableField = spec.rightStableId
        for (l, r, rule) in plan.links {
            let link = IdentityLink(
                id: 0, job: spec.name, leftId: l, rightId: r,
                rightStable: stableField.flatMap { right.records[r]?.fields[$0]?.stringValue }, rule: rule, run: run,
                linkedAt: options.now(), leftBase: [:], rightBase: [:])
            change.link(link, event: "linked", ["left": .string(l), "right": .string(r), "rule": .string(rule)])
            report.linked += 1
        }
        if !change.isEmpty {
            try store.apply(change, job: spec.name, run: run, actor: actor(run), at: options.now())
            change = IdentityChange()
        }
        links = try store.links(job: spec.name)

        // Decide per linked pair.
        let decisions = conflicts.filter { $0.kind == "field" && $0.status == "resolved" }
        let open = conflicts.filter { $0.kind == "field" && $0.status == "open" }
        var updates: [TwoWaySide: [Update]] = [
            .left: [], .right: [],
        ]
        var quiet: [(IdentityLink, PairState, PairPlan)] = []
        try store.transition(run: run, to: JobState(.validating, page: 1), at: options.now())
        for link in links {
            guard let l = left.records[link.leftId], let r = right.records[link.rightId] else {
                report.missing += 1
                continue
            }
            var state = PairState(
                left: Self.dict(l), right: Self.dict(r), leftBase: link.leftBase.isEmpty ? nil : link.leftBase,
                rightBase: link.rightBase.isEmpty ? nil : link.rightBase, desiredRight: mapped(l, from: .left),
                desiredLeft: mapped(r, from: .right))
            if state.desiredRight == nil || state.desiredLeft == nil { report.unmapped += 1 }
            let leftPlatform = spec.left.platform
            let rightPlatform = spec.right.platform
            let leftEntries = ledger[leftPlatform + "\u{0}" + link.leftId] ?? []
            let rightEntries = ledger[rightPlatform + "\u{0}" + link.rightId] ?? []
            state.ledgerLeft = leftEntries.map(\.fields)
            state.ledgerRight = rightEntries.map(\.fields)
            change.ledgerRemovals += leftEntries + rightEntries
            state.leftModified = Self.seconds(l.modified)
            state.rightModified = Self.seconds(r.modified)
            var used: [Int] = []
            for d in decisions where d.link == link.id {
                if let f = d.field, let side = d.resolution.flatMap(TwoWaySide.init(rawValue:)) {
                    state.decided[f] = side
                    used.append(d.id)
                }
            }
            state.open = Set(open.filter { $0.link == link.id }.compactMap(\.field))
            let plan = planner.plan(state)
            report.echoSuppressed += plan.echoLeft.count + plan.echoRight.count
            if !plan.echoLeft.isEmpty || !plan.echoRight.isEmpty {
                change.events.append(
                    (
                        "echo_suppressed",
                        [
                            "link": .int(link.id), "left": .array(plan.echoLeft.map { .string($0) }),
                            "right": .array(plan.echoRight.map { .string($0) }),
                        ]
                    ))
            }
            for s in plan.settled {
                change.events.append(
                    (
                        "policy_applied",
                        [
                            "link": .int(link.id), "field": .string(s.field), "winner": .string(spec.endpoint(s.winner).platform),
                            "policy": .string(s.policy),
                        ]
                    ))
            }
            report.settled += plan.settled.count
            for id in used {
                change.conflictUpdates.append(IdentityChange.ConflictUpdate(id: id, status: "applied"))
                change.events.append(("conflict_applied", ["link": .int(link.id), "conflict": .int(id)]))
            }
            for p in plan.parked {
                change.newConflicts.append(
                    IdentityChange.NewConflict(
                        kind: "field", link: link.id, field: p.field,
                        payload: [
                            "left": .string(link.leftId), "right": .string(link.rightId), "field": .string(p.field),
                            "leftFields": .array((planner.leftToRight.sources[p.field] ?? []).map { .string($0) }),
                            "leftValue": p.left, "rightValue": p.right, "reason": .string(p.reason),
                            "leftModified": l.modified.map { .string($0) } ?? .null,
                            "rightModified": r.modified.map { .string($0) } ?? .null,
                        ]))
                report.parked += 1
            }
            var wrote = false
            if !plan.toRight.isEmpty {
                var fields = plan.toRight
                // The right key travels with every update when both directions map it (Mailchimp's PUT names the e-mail).
                if let k = mappings[.left]!.keyIndex.map({ mappings[.left]!.outputFields[$0].name }),
                    !fields.contains(where: { $0.0 == k }), planner.syncedRight.contains(k),
                    let v = state.desiredRight?.first(where: { $0.0 == k })?.1
                {
                    fields.insert((k, v), at: 0)
                }
                updates[.right]!.append((link, state, plan, OutboundRecord(key: link.rightId, fields: fields)))
                wrote = true
            }
            if !plan.toLeft.isEmpty {
                updates[.left]!.append((link, state, plan, OutboundRecord(key: link.leftId, fields: plan.toLeft)))
                wrote = true
            }
            if !wrote { quiet.append((link, state, plan)) }
        }
        // Pairs with nothing to write: their bases move to what both sides hold now.
        for (link, state, plan) in quiet {
            let bases = planner.bases(after: plan, state, leftWritten: false, rightWritten: false)
            if bases.left != link.leftBase || bases.right != link.rightBase {
                var updated = link
                updated.leftBase = bases.left
                updated.rightBase = bases.right
                change.links.append(updated)
            }
        }
        try store.apply(change, job: spec.name, run: run, actor: actor(run), at: options.now())
        change = IdentityChange()

        try store.transition(run: run, to: JobState(.uploading, batch: 1), at: options.now())
        // A record changed since it was read (a person editing during the run) is not overwritten
        // with a decision made on its old values: its pair waits for the next run.
        let stale = try changedSinceRead(.left, left).union(try changedSinceRead(.right, right))
        if !stale.isEmpty {
            var deferred = IdentityChange()
            for side in TwoWaySide.allCases {
                let (keep, drop) = updates[side]!.reduce(into: ([Update](), [Update]())) { acc, u in
                    if stale.contains("left:" + u.link.leftId) || stale.contains("right:" + u.link.rightId) {
                        acc.1.append(u)
                    } else {
                        acc.0.append(u)
                    }
                }
                updates[side] = keep
                for u in drop where !deferred.events.contains(where: { $0.1["link"]?.intValue == u.link.id }) {
                    deferred.events.append(
                        ("deferred", ["link": .int(u.link.id), "reason": "a record of the pair changed while the run was under way"]))
                }
            }
            report.deferred = deferred.events.count
            if !deferred.isEmpty { try store.apply(deferred, job: spec.name, run: run, actor: actor(run), at: options.now()) }
        }
        try writeUpdates(run: run, updates: updates, report: &report)
        try writeCreates(run: run, plan: plan, left: left, right: right, report: &report)
    }

    // MARK: - Writes

    func send(_ side: TwoWaySide, keyField: String, _ records: [OutboundRecord]) throws -> [String: WriteResult] {
        var results: [String: WriteResult] = [:]
        let adapter = adapters[side]!
        let limit = max(1, adapter.limits(object: spec.endpoint(side).object, mode: .upsert).maxBatchRecords)
        var start = 0
        while start < records.count {
            let chunk = Array(records[start..<min(records.count, start + limit)])
            let written = try attempt(side, "writing \(spec.endpoint(side).qualifiedName)") {
                try adapter.write(WriteRequest(object: spec.endpoint(side).object, keyField: keyField, mode: .upsert, records: chunk))
            }
            for r in written { results[r.key] = r }
            batchesSent += 1
            if let die = options.dieAfterBatches, batchesSent >= die { throw TwoWaySimulatedCrash() }
            start += limit
        }
        return results
    }

    func writeUpdates(
        run: Int, updates: [TwoWaySide: [(link: IdentityLink, state: PairState, plan: PairPlan, record: OutboundRecord)]],
        report: inout TwoWayReport
    ) throws {
        // Remember every write before it is sent, so its echo is known whenever it is read back.
        var intent = IdentityChange()
        for side in TwoWaySide.allCases {
            for u in updates[side]! {
                intent.ledgerAdds.append(
                    LedgerEntry(
                        platform: spec.endpoint(side).platform, recordId: u.record.key, hash: Self.hash(u.record.pairs),
                        fields: u.record.fields, run: run))
            }
        }
        if !intent.isEmpty { try store.apply(intent, job: spec.name, run: run, actor: actor(run), at: options.now()) }
        var outcome: [TwoWaySide: [String: WriteResult]] = [:]
        for side in [TwoWaySide.right, .left] where !updates[side]!.isEmpty {
            outcome[side] = try send(side, keyField: idField(side), updates[side]!.map(\.record))
        }
        // One base update per link, whichever sides were written.
        var byLink: [Int: (IdentityLink, PairState, PairPlan)] = [:]
        for side in TwoWaySide.allCases { for u in updates[side]! { byLink[u.link.id] = (u.link, u.state, u.plan) } }
        var change = IdentityChange()
        for (id, (link, state, plan)) in byLink.sorted(by: { $0.key < $1.key }) {
            let l = outcome[.left]?[link.leftId]
            let r = outcome[.right]?[link.rightId]
            let leftOK = l.map { $0.status != .rejected } ?? false
            let rightOK = r.map { $0.status != .rejected } ?? false
            var updated = link
            let bases = planner.bases(after: plan, state, leftWritten: leftOK, rightWritten: rightOK)
            updated.leftBase = bases.left
            updated.rightBase = bases.right
            var events: [(String, JSONValue)] = []
            for (side, result, fields) in [(TwoWaySide.left, l, plan.toLeft), (.right, r, plan.toRight)] {
                guard let result else { continue }
                if result.status == .rejected {
                    report.rejected += 1
                    events.append(
                        (
                            "write_rejected",
                            [
                                "side": .string(side.rawValue), "fields": .array(fields.map { .string($0.0) }),
                                "error": .string(result.errorCode ?? ""), "message": .string(result.message ?? ""),
                            ]
                        ))
                    continue
                }
                if side == .left { report.updatedLeft += 1 } else { report.updatedRight += 1 }
                events.append(
                    (
                        "written",
                        [
                            "side": .string(side.rawValue), "platform": .string(spec.endpoint(side).platform),
                            "fields": .object(fields),
                        ]
                    ))
            }
            // A new e-mail is a new Mailchimp hash: the member is carried across, not created again.
            if let r, r.status != .rejected, let newId = r.destinationId, newId != link.rightId {
                updated.rightId = newId
                events.append(("relinked", ["side": "right", "from": .string(link.rightId), "to": .string(newId), "by": "write"]))
                let written = updates[.right]!.first { $0.link.id == id }!.record
                change.ledgerAdds.append(
                    LedgerEntry(
                        platform: spec.right.platform, recordId: newId, hash: Self.hash(written.pairs), fields: written.fields, run: run))
                report.relinked += 1
            }
            change.links.append(updated)
            change.linkEvents[updated.leftId + "\u{0}" + updated.rightId] = events
        }
        if !change.isEmpty { try store.apply(change, job: spec.name, run: run, actor: actor(run), at: options.now()) }
    }

    func writeCreates(run: Int, plan: IdentityPlan, left: Read, right: Read, report: inout TwoWayReport) throws {
        for side in [TwoWaySide.left, .right] {
            // Records of `side` that exist only there are created on the other side.
            let ids = side == .left ? plan.onlyLeft : plan.onlyRight
            let target = side.other
            let mapping = mappings[side]!
            guard let keyIndex = mapping.keyIndex else { continue }
            let keyField = mapping.outputFields[keyIndex].name
            var records: [OutboundRecord] = []
            var sources: [String: (String, [(String, JSONValue)])] = [:]
            for id in ids {
                guard let record = (side == .left ? left : right).records[id], let fields = mapped(record, from: side),
                    let key = fields.first(where: { $0.0 == keyField })?.1.stringValue, !key.isEmpty
                else {
                    report.unmapped += 1
                    continue
                }
                guard sources[key] == nil else { continue }
                sources[key] = (id, fields)
                records.append(OutboundRecord(key: key, fields: fields))
            }
            guard !records.isEmpty else { continue }
            let results = try send(target, keyField: keyField, records)
            var change = IdentityChange()
            for record in records {
                guard let result = results[record.key], let (sourceId, fields) = sources[record.key] else { continue }
                guard result.status != .rejected, let newId = result.destinationId else {
                    report.rejected += 1
                    change.events.append(
                        (
                            "create_rejected",
                            [
                                "side": .string(target.rawValue), "source": .string(sourceId),
                                "error": .string(result.errorCode ?? ""), "message": .string(result.message ?? ""),
                            ]
                        ))
                    continue
                }
                if target == .left { report.createdLeft += 1 } else { report.createdRight += 1 }
                let sourceRecord = (side == .left ? left : right).records[sourceId].map(Self.dict) ?? [:]
                var written: [String: JSONValue] = [:]
                for (k, v) in fields { written[k] = v }
                let sourceBase = planner.snapshot(sourceRecord, side: side)
                let targetBase = planner.snapshot(written, side: target)
                let link = IdentityLink(
                    id: 0, job: spec.name, leftId: side == .left ? sourceId : newId, rightId: side == .left ? newId : sourceId,
                    rightStable: side == .right ? spec.rightStableId.flatMap { sourceRecord[$0]?.stringValue } : nil,
                    rule: "created", run: run, linkedAt: options.now(), leftBase: side == .left ? sourceBase : targetBase,
                    rightBase: side == .left ? targetBase : sourceBase)
                change.link(
                    link, event: "created",
                    ["side": .string(target.rawValue), "from": .string(sourceId), "id": .string(newId), "key": .string(record.key)])
                change.ledgerAdds.append(
                    LedgerEntry(
                        platform: spec.endpoint(target).platform, recordId: newId, hash: Self.hash(fields), fields: written, run: run))
            }
            if !change.isEmpty { try store.apply(change, job: spec.name, run: run, actor: actor(run), at: options.now()) }
        }
    }
}
