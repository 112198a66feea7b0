import Foundation
import MapDSL
import MapcSupport
import SyncEngine

/// Records in local JSON Lines files: `<dir>/<object>.jsonl`, one flat JSON object per line.
///
/// As a source the cursor is the byte offset of the next line, so reading resumes exactly; with the
/// connection parameter `modified_field`, `modifiedSince` keeps records whose field is at or after
/// the instant. As a sink, upserts rewrite the file atomically (replace the line with the same key or
/// append); insert-only appends and reports an existing key as a duplicate. Record ids are the value
/// of `id_field` (parameter, default the key field `id` when present) or the line number.
public final class JSONLAdapter: PlatformAdapter {
    public let platform = "jsonl"
    let directory: String
    let modifiedField: String?
    let idField: String
    let cache: LookupCache

    /// Creates an adapter over the folder in the `dir` parameter (or the connection's file URL).
    public init(connection: Connection, options: AdapterOptions = AdapterOptions()) throws(AdapterError) {
        guard let dir = connection.parameters["dir"] ?? connection.baseURL?.path, !dir.isEmpty else {
            throw .fatal("jsonl connection needs a folder: set MAPC_JSONL_DIR")
        }
        directory = dir
        modifiedField = connection.parameters["modified_field"]
        idField = connection.parameters["id_field"] ?? "id"
        cache = LookupCache(capacity: options.lookupCacheSize)
    }

    func path(_ object: String) throws(AdapterError) -> String {
        guard !object.isEmpty, !object.contains("/"), !object.hasPrefix(".") else {
            throw .fatal("'\(object)' is not a valid jsonl object name")
        }
        return (directory as NSString).appendingPathComponent("\(object).jsonl")
    }

    public func limits(object: String, mode: WriteMode) -> AdapterLimits { AdapterLimits(maxBatchRecords: 10_000) }

    // MARK: - Reading

    /// Lines from `offset`: (text, byte offset after the line), at most `limit` (all when nil).
    func lines(_ object: String, from offset: UInt64, limit: Int?) throws(AdapterError) -> [(String, UInt64)] {
        let file = try path(object)
        guard FileManager.default.fileExists(atPath: file) else { return [] }
        guard let handle = FileHandle(forReadingAtPath: file) else { throw .fatal("cannot read \(file)") }
        defer { try? handle.close() }
        do {
            try handle.seek(toOffset: offset)
        } catch {
            throw .fatal("cannot seek in \(file)")
        }
        var out: [(String, UInt64)] = []
        var buffer: [UInt8] = []
        var position = offset
        while limit.map({ out.count < $0 }) ?? true {
            let chunk = handle.readData(ofLength: 65_536)
            if chunk.isEmpty {
                if !buffer.isEmpty {
                    position += UInt64(buffer.count)
                    out.append((String(decoding: buffer, as: UTF8.self), position))
                }
                break
            }
            buffer.append(contentsOf: chunk)
            while let newline = buffer.firstIndex(of: 0x0A), limit.map({ out.count < $0 }) ?? true {
                position += UInt64(newline + 1)
                out.append((String(decoding: buffer[..<newline], as: UTF8.self), position))
                buffer.removeSubrange(...newline)
            }
        }
        return out
    }

    public func fetch(_ request: FetchRequest) throws(AdapterError) -> SourcePage {
        var offset = UInt64(request.cursor ?? "0") ?? 0
        let since = request.modifiedSince.flatMap(ISODates.parse)
        var records: [SourceRecord] = []
        let pageSize = max(request.pageSize, 1)
        while records.count < pageSize {
            let batch = try lines(request.object, from: offset, limit: pageSize - records.count)
            if batch.isEmpty { return SourcePage(records: records, nextCursor: nil) }
            for (text, end) in batch {
                defer { offset = end }
                let trimmed = text.trimmingCharacters(in: .whitespaces)
                if trimmed.isEmpty { continue }
                guard let json = try? JSONParser.parse(trimmed), case .object(var pairs) = json else {
                    throw .fatal("\(try path(request.object)) at byte \(offset): not a JSON object")
                }
                if let since, let field = modifiedField {
                    guard let value = json[field].flatMap(JSONShapes.text).flatMap(ISODates.parse), value >= since else {
                        continue
                    }
                }
                if let fields = request.fields { pairs = pairs.filter { fields.contains($0.0) } }
                let id = json[idField].flatMap(JSONShapes.text) ?? String(offset)
                // File order is not modification order: a job's mark is taken when the read is over.
                let modified = modifiedField.flatMap { json[$0] }.flatMap(JSONShapes.text)
                records.append(SourceRecord(id: id, fields: .object(pairs), modified: modified))
            }
        }
        let more = !(try lines(request.object, from: offset, limit: 1)).isEmpty
        return SourcePage(records: records, nextCursor: more ? String(offset) : nil)
    }

    public func describe(object: String) throws(AdapterError) -> Schema {
        var order: [String] = []
        var kinds: [String: FieldType] = [:]
        for (text, _) in try lines(object, from: 0, limit: 1000) {
            guard let pairs = (try? JSONParser.parse(text))?.objectValue else { continue }
            for (name, value) in pairs {
                if kinds[name] == nil { order.append(name) }
                kinds[name] = LocalTypes.merge(kinds[name], LocalTypes.kind(value))
            }
        }
        guard !order.isEmpty else { throw .fatal("\(try path(object)) has no records to describe") }
        return Schema(
            platform: platform, object: object,
            fields: order.map { Field(name: $0, type: kinds[$0] ?? .string, unique: $0 == idField) })
    }

    public func find(object: String, field: String, value: String) throws(AdapterError) -> JSONValue? {
        try cache.lookup(object, field, value) { () throws(AdapterError) -> JSONValue? in
            var found: [JSONValue] = []
            for (text, _) in try lines(object, from: 0, limit: nil) {
                guard let json = try? JSONParser.parse(text), json[field].flatMap(JSONShapes.text) == value else { continue }
                found.append(json)
                if found.count > 1 { return nil }
            }
            return found.first
        }
    }

    // MARK: - Writing

    public func write(_ request: WriteRequest) throws(AdapterError) -> [WriteResult] {
        let file = try path(request.object)
        // Several jobs of one process (a worker's slots, a server's triggered runs) may write the
        // same file, each through an adapter of its own: the rewrite is serialised per file.
        let lock = JSONLFileLocks.lock(for: file)
        lock.lock()
        defer { lock.unlock() }
        defer { cache.invalidate(request.object) }
        var order: [String] = []
        var rows: [String: JSONValue] = [:]
        var unkeyed: [String] = []
        for (text, _) in try lines(request.object, from: 0, limit: nil) {
            let trimmed = text.trimmingCharacters(in: .whitespaces)
            guard !trimmed.isEmpty else { continue }
            guard let json = try? JSONParser.parse(trimmed), let key = json[request.keyField].flatMap(JSONShapes.text) else {
                unkeyed.append(trimmed)
                continue
            }
            if rows[key] == nil { order.append(key) }
            rows[key] = json
        }
        var results: [WriteResult] = []
        for record in request.records {
            var pairs = record.pairs
            if record[field: request.keyField] == nil { pairs.insert((request.keyField, .string(record.key)), at: 0) }
            let exists = rows[record.key] != nil
            switch (request.mode, exists) {
            case (.insertOnly, true):
                results.append(WriteResult(key: record.key, status: .duplicate, destinationId: record.key))
                continue
            case (.updateOnly, false):
                results.append(
                    WriteResult(key: record.key, status: .rejected, errorCode: "NOT_FOUND", message: "no record with this key"))
                continue
            default: break
            }
            if exists {
                var merged = rows[record.key]?.objectValue ?? []
                for (name, value) in pairs {
                    if let index = merged.firstIndex(where: { $0.0 == name }) {
                        merged[index].1 = value
                    } else {
                        merged.append((name, value))
                    }
                }
                rows[record.key] = .object(merged)
            } else {
                order.append(record.key)
                rows[record.key] = .object(pairs)
            }
            results.append(WriteResult(key: record.key, status: exists ? .updated : .created, destinationId: record.key))
        }
        var text = unkeyed.map { $0 + "\n" }.joined()
        for key in order { text += JSONWriter.compact(rows[key]!) + "\n" }
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            try Data(text.utf8).write(to: URL(fileURLWithPath: file), options: .atomic)
        } catch {
            throw .fatal("cannot write \(file): \((error as NSError).localizedDescription)")
        }
        return results
    }
}

/// One lock per JSON Lines file for the whole process.
enum JSONLFileLocks {
    private static let locks = Locked<[String: NSLock]>([:])

    static func lock(for file: String) -> NSLock {
        locks.withLock { locks in
            if let existing = locks[file] { return existing }
            let made = NSLock()
            locks[file] = made
            return made
        }
    }
}

/// Field types inferred from local data.
enum LocalTypes {
    static func kind(_ value: JSONValue) -> FieldType? {
        switch value {
        case .null: return nil
        case .bool: return .bool
        case .int: return .int
        case .double: return .decimal
        case .string(let text):
            if text.count == 10, ISODates.parse(text) != nil { return .date }
            if text.count > 10, text.contains("T"), ISODates.parse(text) != nil { return .datetime }
            return .string
        case .array, .object: return .string
        }
    }

    static func merge(_ a: FieldType?, _ b: FieldType?) -> FieldType? {
        guard let a else { return b }
        guard let b, a != b else { return a }
        if (a == .int && b == .decimal) || (a == .decimal && b == .int) { return .decimal }
        return .string
    }
}
