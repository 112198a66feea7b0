import Foundation
import MapDSL

/// One linked pair of a two-way job: both platform ids, the rule that linked them, when and by
/// which run, and the values each side had when the pair was last in sync (the base that tells a
/// change from an old value).
public struct IdentityLink: Sendable, Hashable {
    /// The link's id (stable across id changes of either record).
    public var id: Int
    /// The job.
    public var job: String
    /// The left record's platform id.
    public var leftId: String
    /// The right record's platform id (for Mailchimp, the hash of the current e-mail).
    public var rightId: String
    /// The right record's stable id (Mailchimp `contact_id`), when the job names one.
    public var rightStable: String?
    /// The identity rule that matched (`Email=email_address`), `created` or `operator`.
    public var rule: String
    /// The run that linked them (nil: an operator).
    public var run: Int?
    /// When.
    public var linkedAt: String
    /// Left values as last synced (field name -> value).
    public var leftBase: [String: JSONValue]
    /// Right values as last synced.
    public var rightBase: [String: JSONValue]
}

/// An event of the identity map or of a two-way conflict.
public struct IdentityEvent: Sendable {
    /// Position in the store.
    public var id: Int
    /// The job.
    public var job: String
    /// The run it happened in (nil: an operator action).
    public var run: Int?
    /// `linked`, `relinked`, `unlinked`, `merged`, `created`, `identity_conflict`, `identity_ignored`,
    /// `conflict_parked`, `conflict_resolved`, `conflict_applied`, `policy_applied`, `echo_suppressed`.
    public var type: String
    /// UTC time, ISO 8601.
    public var at: String
    /// Who: `run N` or the operator.
    public var actor: String
    /// Details (ids, rule, fields, values).
    public var payload: JSONValue
}

/// A conflict parked for an operator: a field changed on both sides (`field`), or records that
/// would link to more than one record (`identity`).
public struct TwoWayConflict: Sendable {
    /// The conflict's id.
    public var id: Int
    /// The job.
    public var job: String
    /// `field` or `identity`.
    public var kind: String
    /// The link, for field conflicts.
    public var link: Int?
    /// The field (as named on the right side), for field conflicts; the group key for identity conflicts.
    public var field: String?
    /// `open`, `resolved` (a side chosen, not yet applied), `applied`, `ignored`.
    public var status: String
    /// Both values, the records, the policy that parked it.
    public var payload: JSONValue
    /// The run that parked it.
    public var openedRun: Int?
    /// When.
    public var openedAt: String
    /// The choice (`left`, `right`, `ignore`, `link`).
    public var resolution: String?
    /// Who chose.
    public var resolvedBy: String?
}

/// A write mapc made, as remembered for loop prevention.
public struct LedgerEntry: Sendable, Hashable {
    /// The platform written to.
    public var platform: String
    /// The record's platform id.
    public var recordId: String
    /// Content hash of the written fields.
    public var hash: String
    /// The written fields.
    public var fields: [String: JSONValue]
    /// The run.
    public var run: Int
}

extension EventStore {
    /// The identity map, its events, the write ledger and parked conflicts of two-way jobs.
    static let identityMapMigration = (
        "010_twoway_identity_map",
        """
        CREATE TABLE IF NOT EXISTS identity_events(id INTEGER PRIMARY KEY, job TEXT NOT NULL, run INTEGER, type TEXT NOT NULL,
          at TEXT NOT NULL, actor TEXT NOT NULL, payload TEXT NOT NULL);
        CREATE INDEX IF NOT EXISTS identity_events_job ON identity_events(job, id);
        CREATE TABLE IF NOT EXISTS identity_links(id INTEGER PRIMARY KEY, job TEXT NOT NULL, left_id TEXT NOT NULL,
          right_id TEXT NOT NULL, right_stable TEXT, rule TEXT NOT NULL, run INTEGER, linked_at TEXT NOT NULL,
          left_base TEXT NOT NULL, right_base TEXT NOT NULL);
        CREATE UNIQUE INDEX IF NOT EXISTS identity_links_left ON identity_links(job, left_id);
        CREATE UNIQUE INDEX IF NOT EXISTS identity_links_right ON identity_links(job, right_id);
        CREATE TABLE IF NOT EXISTS write_ledger(job TEXT NOT NULL, platform TEXT NOT NULL, record_id TEXT NOT NULL,
          hash TEXT NOT NULL, fields TEXT NOT NULL, run INTEGER NOT NULL, at TEXT NOT NULL,
          PRIMARY KEY(job, platform, record_id, hash));
        CREATE TABLE IF NOT EXISTS twoway_conflicts(id INTEGER PRIMARY KEY, job TEXT NOT NULL, kind TEXT NOT NULL, link INTEGER,
          field TEXT, status TEXT NOT NULL, payload TEXT NOT NULL, opened_run INTEGER, opened_at TEXT NOT NULL,
          resolution TEXT, resolved_by TEXT, resolved_at TEXT);
        CREATE INDEX IF NOT EXISTS twoway_conflicts_job ON twoway_conflicts(job, status);
        """
    )

    // MARK: Reading

    /// Every link of `job`.
    public func links(job: String) throws -> [IdentityLink] {
        try reading { db in
            try db.prepare(
                "SELECT id, job, left_id, right_id, right_stable, rule, run, linked_at, left_base, right_base FROM identity_links WHERE job = ? ORDER BY id"
            ).query([.text(job)], Self.linkRow)
        }
    }

    /// The link holding `id` on either side, or with link id `id`.
    public func link(job: String, anyId id: String) throws -> IdentityLink? {
        try reading { db in
            try db.prepare(
                """
                SELECT id, job, left_id, right_id, right_stable, rule, run, linked_at, left_base, right_base FROM identity_links
                WHERE job = ? AND (left_id = ? OR right_id = ? OR right_stable = ? OR CAST(id AS TEXT) = ?) ORDER BY id LIMIT 1
                """
            ).query([.text(job), .text(id), .text(id), .text(id), .text(id)], Self.linkRow).first
        }
    }

    static func linkRow(_ s: Statement) throws -> IdentityLink {
        IdentityLink(
            id: Int(s.int(0)), job: s.text(1) ?? "", leftId: s.text(2) ?? "", rightId: s.text(3) ?? "", rightStable: s.text(4),
            rule: s.text(5) ?? "", run: s.isNull(6) ? nil : Int(s.int(6)), linkedAt: s.text(7) ?? "",
            leftBase: try decodeFields(s.text(8)), rightBase: try decodeFields(s.text(9)))
    }

    static func decodeFields(_ text: String?) throws -> [String: JSONValue] {
        guard let text else { return [:] }
        guard case .object(let pairs) = try JSONParser.parse(text) else { return [:] }
        var out: [String: JSONValue] = [:]
        for (k, v) in pairs { out[k] = v }
        return out
    }

    static func encodeFields(_ fields: [String: JSONValue]) -> String {
        JSONWriter.compact(.object(fields.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }))
    }

    /// Identity-map and conflict events of `job` (of one link when `link` is given), oldest first.
    public func identityEvents(job: String, link: Int? = nil, limit: Int = 100_000) throws -> [IdentityEvent] {
        let all = try reading { db in
            try db.prepare("SELECT id, job, run, type, at, actor, payload FROM identity_events WHERE job = ? ORDER BY id LIMIT ?")
                .query([.text(job), .int(Int64(limit))]) { s in
                    IdentityEvent(
                        id: Int(s.int(0)), job: s.text(1) ?? "", run: s.isNull(2) ? nil : Int(s.int(2)), type: s.text(3) ?? "",
                        at: s.text(4) ?? "", actor: s.text(5) ?? "", payload: (try? JSONParser.parse(s.text(6) ?? "{}")) ?? .object([]))
                }
        }
        guard let link else { return all }
        return all.filter { $0.payload["link"]?.intValue == link }
    }

    /// What `run` of two-way `job` wrote so far: records updated or created per side, and writes
    /// the platforms refused (from its `written`, `created`, `write_rejected` and `create_rejected`
    /// events, recorded as each side's batches are answered).
    public func twoWayWrites(job: String, run: Int) throws -> TwoWayWrites {
        let rows = try reading { db in
            try db.prepare(
                "SELECT type, payload FROM identity_events WHERE job = ? AND run = ? AND type IN ('written', 'created', 'write_rejected', 'create_rejected')"
            ).query([.text(job), .int(Int64(run))]) { s in (s.text(0) ?? "", (try? JSONParser.parse(s.text(1) ?? "{}")) ?? .null) }
        }
        var writes = TwoWayWrites()
        for (type, payload) in rows {
            if type.hasSuffix("_rejected") {
                writes.rejected += 1
            } else if payload["side"]?.stringValue == TwoWaySide.left.rawValue {
                writes.left += 1
            } else if payload["side"]?.stringValue == TwoWaySide.right.rawValue {
                writes.right += 1
            }
        }
        return writes
    }

    /// Conflicts of `job` with one of `statuses` (all when empty), oldest first.
    public func twoWayConflicts(job: String, statuses: [String] = []) throws -> [TwoWayConflict] {
        let all = try reading { db in
            try db.prepare(
                """
                SELECT id, job, kind, link, field, status, payload, opened_run, opened_at, resolution, resolved_by
                FROM twoway_conflicts WHERE job = ? ORDER BY id
                """
            ).query([.text(job)]) { s in
                TwoWayConflict(
                    id: Int(s.int(0)), job: s.text(1) ?? "", kind: s.text(2) ?? "", link: s.isNull(3) ? nil : Int(s.int(3)),
                    field: s.text(4), status: s.text(5) ?? "", payload: (try? JSONParser.parse(s.text(6) ?? "{}")) ?? .object([]),
                    openedRun: s.isNull(7) ? nil : Int(s.int(7)), openedAt: s.text(8) ?? "", resolution: s.text(9),
                    resolvedBy: s.text(10))
            }
        }
        return statuses.isEmpty ? all : all.filter { statuses.contains($0.status) }
    }

    /// The writes remembered for `job` that a read has not yet matched, by (platform, record id).
    public func ledger(job: String) throws -> [String: [LedgerEntry]] {
        let rows = try reading { db in
            try db.prepare("SELECT platform, record_id, hash, fields, run FROM write_ledger WHERE job = ?").query([.text(job)]) { s in
                LedgerEntry(
                    platform: s.text(0) ?? "", recordId: s.text(1) ?? "", hash: s.text(2) ?? "",
                    fields: try Self.decodeFields(s.text(3)), run: Int(s.int(4)))
            }
        }
        var out: [String: [LedgerEntry]] = [:]
        for r in rows { out[r.platform + "\u{0}" + r.recordId, default: []].append(r) }
        return out
    }

    /// The writes remembered for one record (by its primary key, not a scan: webhooks ask this per event).
    public func ledger(job: String, platform: String, recordId: String) throws -> [LedgerEntry] {
        try reading { db in
            try db.prepare(
                "SELECT platform, record_id, hash, fields, run FROM write_ledger WHERE job = ? AND platform = ? AND record_id = ?"
            )
            .query([.text(job), .text(platform), .text(recordId)]) { s in
                LedgerEntry(
                    platform: s.text(0) ?? "", recordId: s.text(1) ?? "", hash: s.text(2) ?? "",
                    fields: try Self.decodeFields(s.text(3)), run: Int(s.int(4)))
            }
        }
    }

    // MARK: Writing

    /// Applies a change to the identity map, the ledger and the conflicts in one transaction, with
    /// its events.
    public func apply(_ change: IdentityChange, job: String, run: Int?, actor: String, at: String) throws {
        try locked {
            try db.transaction {
                for entry in change.ledgerAdds {
                    try db.prepare(
                        "INSERT OR REPLACE INTO write_ledger(job, platform, record_id, hash, fields, run, at) VALUES(?, ?, ?, ?, ?, ?, ?)"
                    ).run([
                        .text(job), .text(entry.platform), .text(entry.recordId), .text(entry.hash), .text(Self.encodeFields(entry.fields)),
                        .int(Int64(entry.run)), .text(at),
                    ])
                }
                if let before = change.ledgerPruneBefore {
                    try db.prepare("DELETE FROM write_ledger WHERE job = ? AND at < ?").run([.text(job), .text(before)])
                }
                for entry in change.ledgerRemovals {
                    try db.prepare("DELETE FROM write_ledger WHERE job = ? AND platform = ? AND record_id = ? AND hash = ?")
                        .run([.text(job), .text(entry.platform), .text(entry.recordId), .text(entry.hash)])
                }
                for var link in change.links {
                    if link.id == 0 {
                        try db.prepare(
                            """
                            INSERT INTO identity_links(job, left_id, right_id, right_stable, rule, run, linked_at, left_base, right_base)
                            VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?)
                            """
                        ).run([
                            .text(job), .text(link.leftId), .text(link.rightId), .of(link.rightStable), .text(link.rule), .of(link.run),
                            .text(at), .text(Self.encodeFields(link.leftBase)), .text(Self.encodeFields(link.rightBase)),
                        ])
                        link.id = Int(db.lastInsertRowID)
                    } else {
                        try db.prepare(
                            "UPDATE identity_links SET left_id = ?, right_id = ?, right_stable = ?, left_base = ?, right_base = ? WHERE id = ? AND job = ?"
                        ).run([
                            .text(link.leftId), .text(link.rightId), .of(link.rightStable), .text(Self.encodeFields(link.leftBase)),
                            .text(Self.encodeFields(link.rightBase)), .int(Int64(link.id)), .text(job),
                        ])
                    }
                    for (type, payload) in change.linkEvents[link.leftId + "\u{0}" + link.rightId] ?? [] {
                        var pairs = payload.objectValue ?? []
                        pairs.insert(("link", .int(link.id)), at: 0)
                        try insertEvent(job: job, run: run, type: type, actor: actor, payload: .object(pairs), at: at)
                    }
                }
                for id in change.unlinks {
                    try db.prepare("DELETE FROM identity_links WHERE id = ? AND job = ?").run([.int(Int64(id)), .text(job)])
                }
                for conflict in change.newConflicts {
                    try db.prepare(
                        """
                        INSERT INTO twoway_conflicts(job, kind, link, field, status, payload, opened_run, opened_at)
                        VALUES(?, ?, ?, ?, 'open', ?, ?, ?)
                        """
                    ).run([
                        .text(job), .text(conflict.kind), .of(conflict.link), .of(conflict.field),
                        .text(JSONWriter.compact(conflict.payload)),
                        .of(run), .text(at),
                    ])
                    var pairs = conflict.payload.objectValue ?? []
                    pairs.insert(("conflict", .int(Int(db.lastInsertRowID))), at: 0)
                    if let link = conflict.link { pairs.insert(("link", .int(link)), at: 0) }
                    try insertEvent(
                        job: job, run: run, type: conflict.kind == "field" ? "conflict_parked" : "identity_conflict", actor: actor,
                        payload: .object(pairs), at: at)
                }
                for update in change.conflictUpdates {
                    try db.prepare(
                        "UPDATE twoway_conflicts SET status = ?, resolution = coalesce(?, resolution), resolved_by = coalesce(?, resolved_by), resolved_at = ? WHERE id = ? AND job = ?"
                    ).run([.text(update.status), .of(update.resolution), .of(update.by), .text(at), .int(Int64(update.id)), .text(job)])
                }
                for (type, payload) in change.events {
                    try insertEvent(job: job, run: run, type: type, actor: actor, payload: payload, at: at)
                }
            }
        }
    }

    private func insertEvent(job: String, run: Int?, type: String, actor: String, payload: JSONValue, at: String) throws {
        try db.prepare("INSERT INTO identity_events(job, run, type, at, actor, payload) VALUES(?, ?, ?, ?, ?, ?)")
            .run([.text(job), .of(run), .text(type), .text(at), .text(actor), .text(JSONWriter.compact(payload))])
    }
}

/// Changes to the identity map made together: links added or updated (with their events), links
/// removed, ledger entries added or consumed, conflicts opened or moved on, and other events.
public struct IdentityChange: Sendable {
    /// Links to insert (id 0) or update.
    public var links: [IdentityLink] = []
    /// Events per link, by `leftId \0 rightId` of the link as written (the link id is filled in).
    public var linkEvents: [String: [(String, JSONValue)]] = [:]
    /// Link ids to remove.
    public var unlinks: [Int] = []
    /// Writes to remember.
    public var ledgerAdds: [LedgerEntry] = []
    /// Remembered writes a read has matched.
    public var ledgerRemovals: [LedgerEntry] = []
    /// Forget remembered writes made before this time (ISO 8601): writes to records never read
    /// again (deleted, or outside the job) would otherwise be kept for ever.
    public var ledgerPruneBefore: String?
    /// Conflicts to open.
    public var newConflicts: [NewConflict] = []
    /// Conflicts moving on.
    public var conflictUpdates: [ConflictUpdate] = []
    /// Other events.
    public var events: [(String, JSONValue)] = []

    /// Creates an empty change.
    public init() {}

    /// Whether there is nothing to write.
    public var isEmpty: Bool {
        links.isEmpty && unlinks.isEmpty && ledgerAdds.isEmpty && ledgerRemovals.isEmpty && ledgerPruneBefore == nil
            && newConflicts.isEmpty
            && conflictUpdates.isEmpty && events.isEmpty
    }

    /// Adds or updates `link` with an event.
    public mutating func link(_ link: IdentityLink, event: String?, _ payload: JSONValue = .object([])) {
        links.append(link)
        if let event { linkEvents[link.leftId + "\u{0}" + link.rightId, default: []].append((event, payload)) }
    }

    /// A conflict to open.
    public struct NewConflict: Sendable {
        public var kind: String
        public var link: Int?
        public var field: String?
        public var payload: JSONValue

        public init(kind: String, link: Int?, field: String?, payload: JSONValue) {
            self.kind = kind
            self.link = link
            self.field = field
            self.payload = payload
        }
    }

    /// A conflict's new status.
    public struct ConflictUpdate: Sendable {
        public var id: Int
        public var status: String
        public var resolution: String?
        public var by: String?

        public init(id: Int, status: String, resolution: String? = nil, by: String? = nil) {
            self.id = id
            self.status = status
            self.resolution = resolution
            self.by = by
        }
    }
}

/// What a two-way run wrote (``EventStore/twoWayWrites(job:run:)``).
public struct TwoWayWrites: Sendable, Hashable {
    /// Records updated or created on the left side.
    public var left = 0
    /// Records updated or created on the right side.
    public var right = 0
    /// Writes (updates or creations, either side) the platforms refused.
    public var rejected = 0

    public init(left: Int = 0, right: Int = 0, rejected: Int = 0) {
        self.left = left
        self.right = right
        self.rejected = rejected
    }
}
