import MapDSL

/// What the identity rules say about the records not yet linked.
public struct IdentityPlan: Sendable {
    /// Pairs to link: (left id, right id, rule name).
    public var links: [(String, String, String)] = []
    /// Left records with no counterpart: to be created on the right.
    public var onlyLeft: [String] = []
    /// Right records with no counterpart: to be created on the left.
    public var onlyRight: [String] = []
    /// Groups that cannot be linked without a person deciding.
    public var conflicts: [IdentityGroup] = []
}

/// Records that would link to more than one record: two contacts with one e-mail, one person
/// under two e-mails, a new record matching one already linked.
public struct IdentityGroup: Sendable {
    /// A stable key of the group (its records, sorted), so it is parked once.
    public var key: String
    /// `{"records": [...unlinked ids], "left": [...], "right": [...], "linked": [...], "rules": [...]}`.
    public var payload: JSONValue
}

/// Links records across the two objects by the job's identity rules, never merging silently.
///
/// Records (both sides, linked or not) that share a value under any rule form a group. A group of
/// one unlinked left and one unlinked right record is linked (by the first rule that matches them);
/// a lone unlinked record is created on the other side; any other group holding an unlinked record
/// is parked as an identity conflict, and nothing in it is linked or created.
public struct IdentityResolver: Sendable {
    let spec: TwoWaySpec

    public init(spec: TwoWaySpec) { self.spec = spec }

    public func resolve(
        left: [(String, [String: JSONValue])], right: [(String, [String: JSONValue])], linkedLeft: Set<String>,
        linkedRight: Set<String>, ignored: Set<String>
    ) -> IdentityPlan {
        // Nodes: left records first, then right ones.
        var nodes: [(side: TwoWaySide, id: String, fields: [String: JSONValue])] = []
        for (id, f) in left where !ignored.contains("left:" + id) { nodes.append((.left, id, f)) }
        for (id, f) in right where !ignored.contains("right:" + id) { nodes.append((.right, id, f)) }
        var parent = Array(nodes.indices)
        func find(_ x: Int) -> Int {
            var x = x
            while parent[x] != x {
                parent[x] = parent[parent[x]]
                x = parent[x]
            }
            return x
        }
        func union(_ a: Int, _ b: Int) {
            let (ra, rb) = (find(a), find(b))
            if ra != rb { parent[max(ra, rb)] = min(ra, rb) }
        }
        var keys: [[String?]] = Array(repeating: [], count: nodes.count)
        for (ruleIndex, rule) in spec.identity.enumerated() {
            var first: [String: Int] = [:]
            for (i, node) in nodes.enumerated() {
                let key = rule.match.normalize(node.fields[rule.field(node.side)])
                keys[i].append(key)
                guard let key else { continue }
                let bucket = "\(ruleIndex)\u{0}\(key)"
                if let j = first[bucket] { union(i, j) } else { first[bucket] = i }
            }
        }
        var groups: [Int: [Int]] = [:]
        for i in nodes.indices { groups[find(i), default: []].append(i) }
        var plan = IdentityPlan()
        for root in groups.keys.sorted() {
            let members = groups[root]!
            let isLinked = { (i: Int) in
                nodes[i].side == .left ? linkedLeft.contains(nodes[i].id) : linkedRight.contains(nodes[i].id)
            }
            let unlinked = members.filter { !isLinked($0) }
            if unlinked.isEmpty { continue }
            if members.count == 1 {
                let n = nodes[members[0]]
                if n.side == .left { plan.onlyLeft.append(n.id) } else { plan.onlyRight.append(n.id) }
                continue
            }
            if members.count == 2, unlinked.count == 2, nodes[members[0]].side != nodes[members[1]].side {
                let (a, b) = nodes[members[0]].side == .left ? (members[0], members[1]) : (members[1], members[0])
                let rule = spec.identity.indices.first { keys[a][$0] != nil && keys[a][$0] == keys[b][$0] }
                plan.links.append((nodes[a].id, nodes[b].id, rule.map { spec.identity[$0].name } ?? "identity"))
                continue
            }
            let names = members.map { "\(nodes[$0].side.rawValue):\(nodes[$0].id)" }
            let unlinkedNames = unlinked.map { "\(nodes[$0].side.rawValue):\(nodes[$0].id)" }
            var shared: [JSONValue] = []
            for (ruleIndex, rule) in spec.identity.enumerated() {
                var counts: [String: Int] = [:]
                for m in members { if let k = keys[m][ruleIndex] { counts[k, default: 0] += 1 } }
                for (k, n) in counts.sorted(by: { $0.key < $1.key }) where n > 1 {
                    shared.append(["rule": .string(rule.name), "value": .string(k), "records": .int(n)])
                }
            }
            plan.conflicts.append(
                IdentityGroup(
                    key: unlinkedNames.sorted().joined(separator: ","),
                    payload: [
                        "records": .array(unlinkedNames.sorted().map { .string($0) }),
                        "left": .array(members.filter { nodes[$0].side == .left }.map { .string(nodes[$0].id) }),
                        "right": .array(members.filter { nodes[$0].side == .right }.map { .string(nodes[$0].id) }),
                        "linked": .array(names.filter { !unlinkedNames.contains($0) }.sorted().map { .string($0) }),
                        "shared": .array(shared),
                    ]))
        }
        return plan
    }
}
