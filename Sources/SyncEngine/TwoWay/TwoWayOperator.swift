import Foundation
import MapDSL

/// Operator actions on a two-way job's identity map and parked conflicts; each is an event.
public struct TwoWayOperator: Sendable {
    let store: EventStore
    let spec: TwoWaySpec
    let now: @Sendable () -> String

    /// Creates the actions for `spec` over `store`.
    public init(
        store: EventStore, spec: TwoWaySpec,
        now: @escaping @Sendable () -> String = { Dates.formatDateTime(Int64(Date().timeIntervalSince1970 * 1000)) }
    ) {
        self.store = store
        self.spec = spec
        self.now = now
    }

    /// The side a platform name (or `left`/`right`) means.
    public func side(_ name: String) throws -> TwoWaySide {
        let n = name.lowercased()
        if let s = TwoWaySide(rawValue: n) { return s }
        if spec.left.platform.lowercased() == n && spec.right.platform.lowercased() != n { return .left }
        if spec.right.platform.lowercased() == n && spec.left.platform.lowercased() != n { return .right }
        throw JobError("'\(name)' is neither side of \(spec.name): say \(spec.left.platform) or \(spec.right.platform)")
    }

    func conflict(_ id: Int) throws -> TwoWayConflict {
        guard let c = try store.twoWayConflicts(job: spec.name).first(where: { $0.id == id }) else {
            throw JobError("\(spec.name) has no conflict \(id) (see 'mapc conflicts \(spec.name)')")
        }
        return c
    }

    /// Settles parked field conflict `id` for the side named `take`; the next run writes that
    /// side's value to the other side.
    public func resolve(conflict id: Int, take: String, by: String) throws {
        let c = try conflict(id)
        guard c.kind == "field" else {
            throw JobError("conflict \(id) is an identity conflict: use 'mapc identities resolve' (--link or --ignore)")
        }
        guard c.status == "open" else { throw JobError("conflict \(id) is already \(c.status)") }
        let winner = try side(take)
        var change = IdentityChange()
        change.conflictUpdates.append(.init(id: id, status: "resolved", resolution: winner.rawValue, by: by))
        change.events.append(
            (
                "conflict_resolved",
                [
                    "conflict": .int(id), "link": c.link.map { .int($0) } ?? .null, "field": .string(c.field ?? ""),
                    "take": .string(spec.endpoint(winner).platform), "by": .string(by),
                ]
            ))
        try store.apply(change, job: spec.name, run: nil, actor: by, at: now())
    }

    /// Settles identity conflict `id`: links `left` with `right` (two of its records), or, with
    /// both nil, ignores its unlinked records (they are neither linked nor created from then on).
    public func resolveIdentity(conflict id: Int, left: String?, right: String?, by: String) throws {
        let c = try conflict(id)
        guard c.kind == "identity" else { throw JobError("conflict \(id) is a field conflict: use 'mapc conflicts resolve'") }
        guard c.status == "open" else { throw JobError("conflict \(id) is already \(c.status)") }
        var change = IdentityChange()
        if let left, let right {
            let lefts = (c.payload["left"]?.arrayValue ?? []).compactMap(\.stringValue)
            let rights = (c.payload["right"]?.arrayValue ?? []).compactMap(\.stringValue)
            guard lefts.contains(left), rights.contains(right) else {
                throw JobError(
                    "conflict \(id) holds \(spec.left.platform) \(lefts.joined(separator: ", ")) and \(spec.right.platform) \(rights.joined(separator: ", "))"
                )
            }
            if try store.link(job: spec.name, anyId: left) != nil || store.link(job: spec.name, anyId: right) != nil {
                throw JobError("\(left) or \(right) is already linked; unlink it first ('mapc identities unlink')")
            }
            change.link(
                IdentityLink(
                    id: 0, job: spec.name, leftId: left, rightId: right, rightStable: nil, rule: "operator", run: nil,
                    linkedAt: now(), leftBase: [:], rightBase: [:]), event: "linked",
                ["left": .string(left), "right": .string(right), "rule": "operator", "conflict": .int(id)])
            // The group's other records stay parked, now as a group of their own.
            let rest = (c.payload["records"]?.arrayValue ?? []).compactMap(\.stringValue).filter {
                $0 != "left:" + left && $0 != "right:" + right
            }
            change.conflictUpdates.append(.init(id: id, status: "applied", resolution: "link", by: by))
            change.events.append(
                ("conflict_resolved", ["conflict": .int(id), "link": .array([.string(left), .string(right)]), "by": .string(by)]))
            if !rest.isEmpty {
                change.events.append(("identity_pending", ["conflict": .int(id), "records": .array(rest.map { .string($0) })]))
            }
        } else {
            change.conflictUpdates.append(.init(id: id, status: "ignored", resolution: "ignore", by: by))
            change.events.append(
                ("identity_ignored", ["conflict": .int(id), "records": c.payload["records"] ?? .array([]), "by": .string(by)]))
        }
        try store.apply(change, job: spec.name, run: nil, actor: by, at: now())
    }

    /// Removes the link holding `id`; its records are linked again by the rules on the next run
    /// (or parked). An event says who and which pair.
    public func unlink(_ id: String, by: String) throws {
        guard let link = try store.link(job: spec.name, anyId: id) else { throw JobError("\(spec.name) has no link holding \(id)") }
        var change = IdentityChange()
        change.unlinks.append(link.id)
        change.events.append(
            (
                "unlinked",
                ["link": .int(link.id), "left": .string(link.leftId), "right": .string(link.rightId), "by": .string(by)]
            ))
        try store.apply(change, job: spec.name, run: nil, actor: by, at: now())
    }
}
