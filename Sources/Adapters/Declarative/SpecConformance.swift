import AdapterSpec
import Foundation
import MapDSL
import SyncEngine

/// The adapter conformance suite, as a library, for `mapc adapter test`: what the built-in
/// adapters' conformance tests check, phrased through the adapter alone so that it runs against a
/// generated emulator or a live endpoint. Test records are generated from the object's schema.
public struct SpecConformance {
    /// One check's outcome.
    public struct Check: Sendable {
        /// The object checked.
        public var object: String
        /// What was checked.
        public var name: String
        /// nil when it passed, else what went wrong; "skipped: …" when it does not apply.
        public var failure: String?

        /// Whether the check passed (or was skipped).
        public var passed: Bool { failure == nil || failure!.hasPrefix("skipped") }
    }

    let adapter: DeclarativeAdapter
    /// Turns a 429 storm on (true) or off (false) at the endpoint, when the endpoint can (emulators).
    let storm: (@Sendable (Bool) -> Void)?
    /// A tag making this run's records distinct.
    let tag: String

    /// Creates a suite over `adapter`.
    public init(adapter: DeclarativeAdapter, tag: String, storm: (@Sendable (Bool) -> Void)? = nil) {
        self.adapter = adapter
        self.tag = tag
        self.storm = storm
    }

    /// Runs every check for every object of the spec.
    public func run() -> [Check] {
        var checks: [Check] = []
        var unreachable: String?
        for object in adapter.spec.objects {
            func check(_ name: String, _ body: () throws -> String?) {
                if let unreachable {
                    checks.append(Check(object: object.name, name: name, failure: "not run: \(unreachable)"))
                    return
                }
                do {
                    checks.append(Check(object: object.name, name: name, failure: try body()))
                } catch {
                    checks.append(Check(object: object.name, name: name, failure: "\(error)"))
                    // A transport failure (after the client's retries) ends the run: the rest would only wait.
                    if case .transient(let message) = error as? AdapterError, message.contains("curl error") {
                        unreachable = "the endpoint did not answer"
                    }
                }
            }
            check("describe returns the bundled schema") {
                let schema = try adapter.describe(object: object.name)
                return schema.fields.isEmpty ? "the schema has no fields" : nil
            }
            check("fetches every page, full and incremental") { try fetchEveryPage(object) }
            check("upserting the same batch twice creates no duplicates") { try upsertTwice(object) }
            check("a per-record rejection carries the platform's code and message") { try rejection(object) }
            check("a batch over the platform's limit is split") { try split(object) }
            check("find serves lookups") { try find(object) }
            check("a rate-limit refusal is waited out") { try rateLimit(object) }
        }
        return checks
    }

    // MARK: - Records from the schema

    /// The field records are keyed by: the first lookup field, else the schema's external id or first unique writable field.
    func keyField(_ object: AdapterSpec.ObjectSpec) -> String? {
        if let field = object.find?.fields.first { return field }
        let schema = object.schema
        return (schema.fields.first { $0.externalId && !$0.readOnly } ?? schema.fields.first { $0.unique && !$0.readOnly })?.name
    }

    /// A valid record number `index`: the key, every required writable field and the first optional text field.
    func good(_ object: AdapterSpec.ObjectSpec, _ index: Int, _ label: String) -> OutboundRecord? {
        guard let key = keyField(object), let keyDefinition = object.schema.field(key) else { return nil }
        let keyValue = keyDefinition.format == .email ? "conf\(index)-\(label)-\(tag)@example.com" : "conf-\(label)-\(tag)-\(index)"
        var fields: [(String, JSONValue)] = [(key, .string(keyValue))]
        var extra = object.schema.fields.filter { !$0.readOnly && $0.required && $0.name != key }
        if let text = object.schema.fields.first(where: {
            !$0.readOnly && !$0.required && $0.type == .string && $0.format == nil && !$0.unique
        }) {
            extra.append(text)
        }
        for field in extra { fields.append((field.name, value(field, index))) }
        return OutboundRecord(key: keyValue, fields: fields)
    }

    func value(_ field: Field, _ index: Int) -> JSONValue {
        if let first = field.values?.first { return .string(first) }
        switch field.type {
        case .int: return .int(index)
        case .decimal: return .double(Double(index) + 0.5)
        case .bool: return .bool(true)
        case .date: return "2024-01-15"
        case .datetime: return "2024-01-15T10:00:00Z"
        default:
            switch field.format {
            case .email?: return .string("conf\(index)-\(tag)@example.com")
            case .phone?: return .string("+1555000\(String(format: "%04d", index % 10000))")
            case .url?: return .string("https://example.com/\(index)")
            case nil: return .string(String("Conformance \(index)".prefix(field.maxLength ?? 64)))
            }
        }
    }

    // MARK: - Checks

    /// Whether writes of `object` only create (a repeat is a duplicate, not an update).
    func createOnly(_ object: AdapterSpec.ObjectSpec) -> Bool {
        if case .status(_, let updated, _, _)? = object.write?.results { return updated.isEmpty }
        return false
    }

    /// The write mode the object supports.
    func mode(_ object: AdapterSpec.ObjectSpec) -> WriteMode { createOnly(object) ? .insertOnly : .upsert }

    func fetchEveryPage(_ object: AdapterSpec.ObjectSpec) throws -> String? {
        guard object.list != nil else { return "skipped: the object cannot be read" }
        for since in [nil, "2000-01-01T00:00:00Z"] as [String?] {
            var cursor: String?
            var ids: [String] = []
            var pages = 0
            repeat {
                let page = try adapter.fetch(FetchRequest(object: object.name, cursor: cursor, modifiedSince: since, pageSize: 10))
                if page.records.count > 10 { return "a page of 10 returned \(page.records.count) records" }
                ids += page.records.map(\.id)
                cursor = page.nextCursor
                pages += 1
            } while cursor != nil && pages < 10_000
            if ids.isEmpty { return "no records (seed the endpoint with samples)" }
            if Set(ids).count != ids.count { return "\(ids.count - Set(ids).count) records read twice (since \(since ?? "none"))" }
            if ids.contains("") { return "a record without an id (check the spec's 'id' path)" }
        }
        let none = try adapter.fetch(FetchRequest(object: object.name, modifiedSince: "2100-01-01T00:00:00Z", pageSize: 10))
        if !none.records.isEmpty || none.nextCursor != nil { return "records changed after 2100 were returned" }
        return nil
    }

    func upsertTwice(_ object: AdapterSpec.ObjectSpec) throws -> String? {
        guard object.write != nil else { return "skipped: the object cannot be written" }
        guard let key = keyField(object) else { return "skipped: no key field (add 'find.fields' or an externalId field)" }
        let records = (0..<5).compactMap { good(object, $0, "twice") }
        let request = WriteRequest(object: object.name, keyField: key, mode: mode(object), records: records)
        let first = try adapter.write(request)
        let second = try adapter.write(request)
        if first.count != records.count || second.count != records.count { return "not one result per record" }
        if let bad = first.first(where: { $0.status != .created }) { return "first write: \(bad.key) \(bad.status) \(bad.message ?? "")" }
        let again: WriteResult.Status = createOnly(object) ? .duplicate : .updated
        if let bad = second.first(where: { $0.status != again }) { return "second write: \(bad.key) \(bad.status) \(bad.message ?? "")" }
        if Set(first.map(\.key)) != Set(records.map(\.key)) { return "results keyed by other keys than the records'" }
        if object.find != nil {
            for record in records.prefix(2) {
                guard try adapter.find(object: object.name, field: key, value: record.key) != nil else {
                    return "\(record.key) was written but a lookup does not find it (or finds it twice)"
                }
            }
        }
        return nil
    }

    func rejection(_ object: AdapterSpec.ObjectSpec) throws -> String? {
        guard object.write != nil, let key = keyField(object), let good = good(object, 1, "reject") else {
            return "skipped: the object cannot be written"
        }
        guard let email = object.schema.fields.first(where: { $0.format == .email && !$0.readOnly }) else {
            return "skipped: no email field to make an invalid record with"
        }
        var bad = self.good(object, 2, "reject")!
        bad = OutboundRecord(
            key: email.name == key ? "not-an-email" : bad.key,
            fields: bad.pairs.filter { $0.0 != email.name } + [(email.name, "not-an-email")])
        let results = try adapter.write(WriteRequest(object: object.name, keyField: key, mode: mode(object), records: [good, bad]))
        guard let rejected = results.first(where: { $0.key == bad.key }) else { return "no result for the invalid record" }
        if rejected.status != .rejected { return "an invalid email was \(rejected.status)" }
        if rejected.errorCode == nil || rejected.message == nil {
            return "the rejection has no code or no message (check the spec's error paths)"
        }
        if results.first(where: { $0.key == good.key })?.status != .created { return "the valid record beside it was not created" }
        return nil
    }

    func split(_ object: AdapterSpec.ObjectSpec) throws -> String? {
        guard object.write != nil, let key = keyField(object) else { return "skipped: the object cannot be written" }
        let limit = adapter.limits(object: object.name, mode: mode(object)).maxBatchRecords
        let count = min(limit * 2 + 1, 450)
        let records = (0..<count).compactMap { good(object, $0, "split") }
        let results = try adapter.write(WriteRequest(object: object.name, keyField: key, mode: mode(object), records: records))
        if results.count != records.count { return "\(results.count) results for \(records.count) records" }
        if let bad = results.first(where: { $0.status != .created }) { return "\(bad.key): \(bad.status) \(bad.message ?? "")" }
        return nil
    }

    func find(_ object: AdapterSpec.ObjectSpec) throws -> String? {
        guard let find = object.find, let key = find.fields.first, let record = good(object, 3, "find") else {
            return "skipped: the object has no lookups"
        }
        _ = try adapter.write(WriteRequest(object: object.name, keyField: key, mode: mode(object), records: [record]))
        guard let found = try adapter.find(object: object.name, field: key, value: record.key) else {
            return "the written record is not found"
        }
        if found[key]?.stringValue?.lowercased() != record.key.lowercased() { return "the lookup returned another record" }
        if let someone = try adapter.find(object: object.name, field: key, value: "nobody-\(tag)@example.com") {
            return "a lookup of nobody found \(someone[key].flatMap(JSONShapes.text) ?? "a record")"
        }
        return nil
    }

    func rateLimit(_ object: AdapterSpec.ObjectSpec) throws -> String? {
        guard let storm else { return "skipped: needs an emulator (faults cannot be switched at a live endpoint)" }
        guard object.write != nil, let key = keyField(object), let record = good(object, 4, "storm") else {
            return "skipped: the object cannot be written"
        }
        storm(true)
        let clear = Thread {
            Thread.sleep(forTimeInterval: 0.5)
            storm(false)
        }
        clear.start()
        let results = try adapter.write(WriteRequest(object: object.name, keyField: key, mode: mode(object), records: [record]))
        return results.map(\.status) == [.created] ? nil : "after the storm: \(results.map(\.status))"
    }
}
