import AdapterSpec
import Foundation
import MapDSL
import SyncEngine

extension DeclarativeAdapter {
    /// One record as the platform wants it: the record's fields nested at `item.fieldsAt`, beside
    /// the item's constants.
    func item(_ record: OutboundRecord, _ keyField: String, _ write: AdapterSpec.WriteSpec) -> JSONValue {
        var pairs = record.pairs
        if record[field: keyField] == nil { pairs.insert((keyField, .string(record.key)), at: 0) }
        let fields = JSONShapes.nest(pairs)
        var item: JSONValue = .object([])
        for (path, value) in write.itemConstants { item = SpecPath.set(item, path, value) }
        if write.itemFieldsAt.isEmpty {
            var merged = item.objectValue ?? []
            for (name, value) in fields.objectValue ?? [] where !merged.contains(where: { $0.0 == name }) { merged.append((name, value)) }
            return .object(merged)
        }
        return SpecPath.set(item, write.itemFieldsAt, fields)
    }

    /// A body with `records` at `path` beside the body constants.
    func body(_ records: JSONValue, _ write: AdapterSpec.WriteSpec) -> JSONValue {
        var body: JSONValue = .object([])
        for (path, value) in write.constants { body = SpecPath.set(body, path, value) }
        return SpecPath.set(body, write.records, records)
    }

    /// Writes records in the spec's shape; one result per record.
    public func write(_ request: WriteRequest) throws(AdapterError) -> [WriteResult] {
        let object = try object(request.object)
        guard let write = object.write else { throw .fatal("\(platform).\(object.name) cannot be written (the spec has no 'write')") }
        guard request.mode != .updateOnly else { throw .fatal("\(platform) specs describe create-or-update writes; use upsert") }
        if request.mode == .upsert, case .status(_, let updated, _, _) = write.results, updated.isEmpty {
            throw .fatal("\(platform).\(object.name) is create-only (its spec has no 'updated' statuses); use insert-only")
        }
        defer { cache.invalidate(request.object) }
        let items = request.records.map { ($0, item($0, request.keyField, write)) }
        let limits = limits(object: request.object, mode: request.mode)
        var results: [WriteResult] = []
        if write.shape == .single {
            for (record, item) in items {
                let size = JSONShapes.size(item)
                if let max = limits.maxRecordBytes ?? limits.maxPayloadBytes, size > max {
                    results.append(tooLarge(record, size, max))
                    continue
                }
                results.append(try single(record, item, write))
            }
            return results
        }
        let envelope = JSONShapes.size(body(.array([]), write))
        let plan = BatchSplitter.split(
            items, maxItems: limits.maxBatchRecords, maxPayload: limits.maxPayloadBytes, maxItem: limits.maxRecordBytes,
            envelope: envelope, size: { JSONShapes.size($0.1) }, key: { $0.0.key.lowercased() })
        results += plan.oversize.map { tooLarge($0.0, JSONShapes.size($0.1), limits.maxRecordBytes ?? limits.maxPayloadBytes ?? 0) }
        for chunk in plan.chunks {
            let array = JSONValue.array(chunk.map(\.1))
            let payload = write.shape == .array ? array : body(array, write)
            let response = try send(write.method, expand(write.path), [], body: payload)
            guard (200..<300).contains(response.status) else { throw api.failure(response, doing: "writing \(object.name)") }
            results += try batchResults(response, chunk, write.results)
        }
        return results
    }

    func tooLarge(_ record: OutboundRecord, _ size: Int, _ limit: Int) -> WriteResult {
        WriteResult(
            key: record.key, status: .rejected, errorCode: "RECORD_TOO_LARGE",
            message: "record is \(size) bytes; \(platform) accepts at most \(limit); not sent")
    }

    /// One record, one request: the status says created or updated; a 4xx (other than auth,
    /// permission and rate limits) is the record's rejection.
    func single(_ record: OutboundRecord, _ item: JSONValue, _ write: AdapterSpec.WriteSpec) throws(AdapterError) -> WriteResult {
        guard case .status(let created, let updated, let duplicate, let idPath) = write.results else {
            throw .fatal("\(platform): a single write reports by status")
        }
        let path = expand(write.path, ["key": record.key])
        let response = try send(write.method, path, [], body: body(item, write))
        let json = Self.strictJSON(response)
        if duplicate.contains(response.status) { return WriteResult(key: record.key, status: .duplicate) }
        if created.contains(response.status) || updated.contains(response.status) {
            let id = idPath.flatMap { path in json.flatMap { SpecPath.get($0, path) } }.flatMap(JSONShapes.text)
            return WriteResult(key: record.key, status: created.contains(response.status) ? .created : .updated, destinationId: id)
        }
        guard (400..<500).contains(response.status), ![401, 403].contains(response.status), let json else {
            throw api.failure(response, doing: "writing a record")
        }
        let errors = spec.errors
        let code = errors.code.flatMap { SpecPath.get(json, $0) }.flatMap(JSONShapes.text) ?? String(response.status)
        return WriteResult(
            key: record.key, status: .rejected, errorCode: code,
            message: errors.message.flatMap { SpecPath.get(json, $0) }.flatMap(JSONShapes.text),
            field: errors.field.flatMap { SpecPath.get(json, $0) }.flatMap(JSONShapes.text),
            transient: api.transient.isTransient(code: code, status: response.status))
    }

    /// Per-record results of one batch, in the chunk's order; a record the reply does not report on
    /// fails the batch as transient (writes are create-or-update, so re-sending is safe).
    func batchResults(_ response: HTTPResponse, _ chunk: [(OutboundRecord, JSONValue)], _ style: AdapterSpec.Results)
        throws(AdapterError) -> [WriteResult]
    {
        let missing = AdapterError.transient("\(platform) did not report on every record of the batch; re-send it")
        func text(_ value: JSONValue, _ path: String?) -> String? {
            path.flatMap { SpecPath.get(value, $0) }.flatMap(JSONShapes.text)
        }
        switch style {
        case .accepted:
            return chunk.map { WriteResult(key: $0.0.key, status: .created) }
        case .status:
            throw .fatal("\(platform): results by status need single writes")
        case .byKey(let key, let created, let updated, let errors, let id, let errorCode, let errorMessage, let errorField):
            guard let json = Self.strictJSON(response) else { throw missing }
            var done: [String: WriteResult] = [:]
            var byKey: [String: OutboundRecord] = [:]
            for (record, item) in chunk { byKey[(text(item, key) ?? record.key).lowercased()] = record }
            for (path, status) in [(created, WriteResult.Status.created), (updated, .updated)] {
                for entry in SpecPath.get(json, path)?.arrayValue ?? [] {
                    guard let k = text(entry, key)?.lowercased(), let record = byKey[k] else { continue }
                    done[k] = WriteResult(key: record.key, status: status, destinationId: text(entry, id))
                }
            }
            for entry in SpecPath.get(json, errors)?.arrayValue ?? [] {
                guard let k = text(entry, key)?.lowercased(), let record = byKey[k] else { continue }
                let code = text(entry, errorCode)
                done[k] = WriteResult(
                    key: record.key, status: .rejected, errorCode: code, message: text(entry, errorMessage),
                    field: text(entry, errorField), transient: api.transient.isTransient(code: code))
            }
            var out: [WriteResult] = []
            for (record, item) in chunk {
                guard let result = done[(text(item, key) ?? record.key).lowercased()] else { throw missing }
                out.append(result)
            }
            return out
        case .inOrder(let at, let id, let error, let errorCode, let errorMessage, let errorField, let created):
            guard let json = Self.strictJSON(response), let entries = SpecPath.get(json, at)?.arrayValue,
                entries.count == chunk.count
            else { throw missing }
            return zip(chunk, entries).map { pair, entry in
                let record = pair.0
                if let error, let problem = SpecPath.get(entry, error), problem != .null {
                    let code = text(entry, errorCode)
                    return WriteResult(
                        key: record.key, status: .rejected, errorCode: code, message: text(entry, errorMessage),
                        field: text(entry, errorField), transient: api.transient.isTransient(code: code))
                }
                let isNew = created.flatMap { SpecPath.get(entry, $0)?.boolValue } ?? true
                return WriteResult(key: record.key, status: isNew ? .created : .updated, destinationId: text(entry, id))
            }
        }
    }
}
