import Foundation
import MapDSL

/// What one direction's mapping says about the fields it moves: for each output, the source
/// fields it reads; which outputs the other direction reads back (kept in sync on update) and
/// which it does not (written only when a record is created).
public struct DirectionFields: Sendable {
    /// Output field -> the source fields it reads.
    public var sources: [String: [String]]
    /// Outputs, in mapping order.
    public var outputs: [String]
    /// Source fields the mapping reads.
    public var inputs: Set<String>

    /// Creates the description of a mapping.
    public init(outputs: [String], sources: [[String]], inputs: [String]) {
        self.outputs = outputs
        var map: [String: [String]] = [:]
        for (o, s) in zip(outputs, sources) { map[o] = s }
        self.sources = map
        self.inputs = Set(inputs)
    }
}

/// One pair's decision for one run: what to write to each side, what to park, and the new bases.
public struct PairPlan: Sendable {
    /// Field values to write to the left record.
    public var toLeft: [(String, JSONValue)] = []
    /// Field values to write to the right record.
    public var toRight: [(String, JSONValue)] = []
    /// Conflicts settled by policy: (field, winning side, policy spelling).
    public var settled: [(field: String, winner: TwoWaySide, policy: String)] = []
    /// Conflicts to park: (field as named on the right, left value, right value, policy spelling).
    public var parked: [(field: String, left: JSONValue, right: JSONValue, reason: String)] = []
    /// Left fields whose change was mapc's own write (matched in the ledger).
    public var echoLeft: [String] = []
    /// Right fields whose change was mapc's own write.
    public var echoRight: [String] = []
    /// Left fields changed by someone else since the last sync.
    public var changedLeft: [String] = []
    /// Right fields changed by someone else.
    public var changedRight: [String] = []
}

/// The current state of one linked pair as the planner sees it.
public struct PairState: Sendable {
    public var left: [String: JSONValue]
    public var right: [String: JSONValue]
    /// Values as last synced; nil for a pair linked in this run (nothing is known of its past).
    public var leftBase: [String: JSONValue]?
    public var rightBase: [String: JSONValue]?
    /// The left record mapped to the right object (nil: skipped or failed).
    public var desiredRight: [(String, JSONValue)]?
    /// The right record mapped to the left object.
    public var desiredLeft: [(String, JSONValue)]?
    /// Field values mapc wrote that no read has matched yet, per side.
    public var ledgerLeft: [[String: JSONValue]] = []
    public var ledgerRight: [[String: JSONValue]] = []
    /// Modification times (seconds since 1970), when the platforms give them.
    public var leftModified: Double?
    public var rightModified: Double?
    /// Operator decisions for fields of this pair (right field name -> winning side).
    public var decided: [String: TwoWaySide] = [:]
    /// Right fields with an open parked conflict (not parked again).
    public var open: Set<String> = []

    public init(
        left: [String: JSONValue], right: [String: JSONValue], leftBase: [String: JSONValue]?, rightBase: [String: JSONValue]?,
        desiredRight: [(String, JSONValue)]?, desiredLeft: [(String, JSONValue)]?
    ) {
        self.left = left
        self.right = right
        self.leftBase = leftBase
        self.rightBase = rightBase
        self.desiredRight = desiredRight
        self.desiredLeft = desiredLeft
    }
}

/// Decides, for one linked pair, which fields travel which way. Pure: values in, plan out.
///
/// A field counts as changed on a side when its value differs from the base (the value when the
/// pair was last in sync) and is not a value mapc itself wrote there (the write ledger): so a read
/// that only reflects mapc's own write changes nothing, whatever the timing, and a read that
/// mixes mapc's write with a person's edit carries only the person's fields. Only outputs that
/// the other direction reads back are written on update; the rest are set when a record is created.
public struct TwoWayPlanner: Sendable {
    public let spec: TwoWaySpec
    /// The left -> right mapping's fields.
    public let leftToRight: DirectionFields
    /// The right -> left mapping's fields.
    public let rightToLeft: DirectionFields

    public init(spec: TwoWaySpec, leftToRight: DirectionFields, rightToLeft: DirectionFields) {
        self.spec = spec
        self.leftToRight = leftToRight
        self.rightToLeft = rightToLeft
    }

    /// Right fields kept in sync: written by left -> right and read by right -> left.
    public var syncedRight: [String] { leftToRight.outputs.filter { rightToLeft.inputs.contains($0) } }
    /// Left fields kept in sync.
    public var syncedLeft: [String] { rightToLeft.outputs.filter { leftToRight.inputs.contains($0) } }
    /// Left fields whose values are tracked (what left -> right reads).
    public var trackedLeft: Set<String> { leftToRight.inputs.union(syncedLeft) }
    /// Right fields whose values are tracked.
    public var trackedRight: Set<String> { rightToLeft.inputs.union(syncedRight) }

    /// Equal as synced values: a missing field is null; numbers compare by value.
    public static func same(_ a: JSONValue?, _ b: JSONValue?) -> Bool {
        let x = a ?? .null
        let y = b ?? .null
        switch (x, y) {
        case (.int(let i), .double(let d)), (.double(let d), .int(let i)): return Double(i) == d
        case (.string(let s), .null), (.null, .string(let s)): return s.isEmpty
        default: return x == y
        }
    }

    /// The tracked values of a record (what a base holds).
    public func snapshot(_ record: [String: JSONValue], side: TwoWaySide) -> [String: JSONValue] {
        var out: [String: JSONValue] = [:]
        for f in side == .left ? trackedLeft : trackedRight { out[f] = record[f] ?? .null }
        return out
    }

    /// Fields changed since the base and not explained by mapc's own writes; and the echo fields.
    func changes(
        _ current: [String: JSONValue], base: [String: JSONValue]?, ledger: [[String: JSONValue]], tracked: Set<String>
    ) -> (changed: Set<String>, echo: Set<String>) {
        var changed: Set<String> = []
        var echo: Set<String> = []
        for f in tracked {
            if let base, Self.same(current[f], base[f]) { continue }
            if ledger.contains(where: { entry in entry[f].map { Self.same($0, current[f]) } ?? false }) {
                echo.insert(f)
                continue
            }
            changed.insert(f)
        }
        return (changed, echo)
    }

    /// The plan for one pair.
    public func plan(_ s: PairState) -> PairPlan {
        var plan = PairPlan()
        let (lc, le) = changes(s.left, base: s.leftBase, ledger: s.ledgerLeft, tracked: trackedLeft)
        let (rc, re) = changes(s.right, base: s.rightBase, ledger: s.ledgerRight, tracked: trackedRight)
        plan.echoLeft = le.sorted()
        plan.echoRight = re.sorted()
        plan.changedLeft = lc.sorted()
        plan.changedRight = rc.sorted()
        let desiredRight = Dictionary(s.desiredRight ?? [], uniquingKeysWith: { a, _ in a })
        let desiredLeft = Dictionary(s.desiredLeft ?? [], uniquingKeysWith: { a, _ in a })
        // Candidates: a synced field whose sources changed on the other side and whose mapped value differs.
        var toRight: [String: JSONValue] = [:]
        if s.desiredRight != nil {
            for f in syncedRight {
                let sources = leftToRight.sources[f] ?? []
                guard sources.contains(where: lc.contains) || s.decided[f] == .left, let v = desiredRight[f],
                    !Self.same(v, s.right[f])
                else { continue }
                toRight[f] = v
            }
        }
        var toLeft: [String: JSONValue] = [:]
        if s.desiredLeft != nil {
            for g in syncedLeft {
                let sources = rightToLeft.sources[g] ?? []
                let decidedRight = sources.contains { s.decided[$0] == .right }
                guard sources.contains(where: rc.contains) || decidedRight, let v = desiredLeft[g], !Self.same(v, s.left[g]) else {
                    continue
                }
                toLeft[g] = v
            }
        }
        // Values already equivalent through the other mapping (an e-mail differing only in case
        // where left -> right lower-cases it) are in sync: nothing travels.
        for g in Array(toLeft.keys) {
            let back = leftToRight.outputs.filter { (leftToRight.sources[$0] ?? []).contains(g) && rightToLeft.inputs.contains($0) }
            if !back.isEmpty, toRight.keys.allSatisfy({ !back.contains($0) }),
                back.allSatisfy({ Self.same(desiredRight[$0], s.right[$0]) }), !(back.contains { s.decided[$0] == .right })
            {
                toLeft[g] = nil
            }
        }
        for f in Array(toRight.keys) {
            let back = rightToLeft.outputs.filter { (rightToLeft.sources[$0] ?? []).contains(f) && leftToRight.inputs.contains($0) }
            if !back.isEmpty, toLeft.keys.allSatisfy({ !back.contains($0) }),
                back.allSatisfy({ Self.same(desiredLeft[$0], s.left[$0]) }), s.decided[f] != .left
            {
                toRight[f] = nil
            }
        }
        // Conflicts: the right field is going to be written from the left while a person changed it
        // on the right (or its counterpart on the left is going to be written while changed there).
        let candidates = Set(toRight.keys).union(
            toLeft.keys.flatMap { g in leftToRight.outputs.filter { (leftToRight.sources[$0] ?? []).contains(g) } })
        for f in candidates.sorted() where syncedRight.contains(f) {
            let partners = toLeft.keys.filter { (rightToLeft.sources[$0] ?? []).contains(f) }
            let leftSources = leftToRight.sources[f] ?? []
            let bothChanged =
                (toRight[f] != nil && rc.contains(f)) || partners.contains { lc.contains($0) }
                || (toRight[f] != nil && !partners.isEmpty)
            guard bothChanged else { continue }
            var winner: TwoWaySide?
            var reason = ""
            if let decided = s.decided[f] {
                winner = decided
                reason = "operator"
            } else {
                let names = [f] + leftSources + partners
                let policy = spec.policy(for: names)
                reason = policy.spelling(spec)
                switch policy {
                case .wins(let side): winner = side
                case .review: winner = nil
                case .lastWriterWins:
                    if let l = s.leftModified, let r = s.rightModified, abs(l - r) > Double(spec.clockSkewSeconds) {
                        winner = l > r ? .left : .right
                    } else {
                        reason = "last-writer-wins: modification times within the \(spec.clockSkewSeconds)s clock-skew tolerance"
                    }
                }
            }
            switch winner {
            case .left?:
                for g in partners { toLeft[g] = nil }
                if toRight[f] == nil, let v = desiredRight[f], !Self.same(v, s.right[f]) { toRight[f] = v }
                plan.settled.append((f, .left, reason))
            case .right?:
                toRight[f] = nil
                for g in rightToLeft.outputs where (rightToLeft.sources[g] ?? []).contains(f) && syncedLeft.contains(g) {
                    if let v = desiredLeft[g], !Self.same(v, s.left[g]) { toLeft[g] = v }
                }
                plan.settled.append((f, .right, reason))
            case nil:
                toRight[f] = nil
                for g in partners { toLeft[g] = nil }
                if !s.open.contains(f) {
                    let leftValue = leftSources.count == 1 ? (s.left[leftSources[0]] ?? .null) : (desiredRight[f] ?? .null)
                    plan.parked.append((f, leftValue, s.right[f] ?? .null, reason))
                }
            }
        }
        plan.toRight = syncedRight.compactMap { f in toRight[f].map { (f, $0) } }
        plan.toLeft = syncedLeft.compactMap { g in toLeft[g].map { (g, $0) } }
        return plan
    }

    /// The new bases after the plan's writes succeeded: what each side holds now. Fields parked
    /// for review keep their old base, so the difference stays visible until it is resolved.
    public func bases(after plan: PairPlan, _ s: PairState, leftWritten: Bool, rightWritten: Bool) -> (
        left: [String: JSONValue], right: [String: JSONValue]
    ) {
        var left = snapshot(s.left, side: .left)
        var right = snapshot(s.right, side: .right)
        if leftWritten {
            for (f, v) in plan.toLeft { left[f] = v }
        } else if let base = s.leftBase {
            for (f, _) in plan.toLeft { left[f] = base[f] ?? .null }
        }
        if rightWritten {
            for (f, v) in plan.toRight { right[f] = v }
        } else if let base = s.rightBase {
            for (f, _) in plan.toRight { right[f] = base[f] ?? .null }
        }
        for p in plan.parked {
            if let base = s.rightBase { right[p.field] = base[p.field] ?? .null }
            for g in leftToRight.sources[p.field] ?? [] { if let base = s.leftBase { left[g] = base[g] ?? .null } }
        }
        return (left, right)
    }
}
