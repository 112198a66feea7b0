import Foundation
import MapDSL
import SyncEngine

/// Segment HTTP Tracking API: identify/track/page/screen/group messages sent through `/v1/batch`,
/// with the record key as `messageId` so Segment drops repeats.
///
/// Limits are kept on our side: batches are split below 500 KB and 2,500 messages, a single message
/// over 32 KB is rejected without being sent, and messages Segment would silently drop (no `userId`
/// or `anonymousId`, a `track` without `event`) are rejected with Segment's reason. The API is
/// write-only: `fetch`, `describe` and `find` throw fatal errors.
public final class SegmentAdapter: PlatformAdapter {
    public let platform = "segment"
    let api: APIClient
    static let types: Set<String> = ["identify", "track", "page", "screen", "group"]

    /// Creates an adapter for `connection` (write key as the credential).
    public init(connection: Connection, options: AdapterOptions = AdapterOptions()) throws(AdapterError) {
        guard let url = connection.baseURL, let key = connection.credential else {
            throw .fatal("segment connection needs a write key")
        }
        let basic = Data("\(key.value):".utf8).base64EncodedString()
        api = try APIClient(
            platform: platform, baseURL: url, headers: ["Authorization": "Basic \(basic)"], secrets: [key, Secret(basic)],
            options: options, message: { response in response.json?["message"]?.stringValue ?? response.snippet })
    }

    public func limits(object: String, mode: WriteMode) -> AdapterLimits {
        let rule = api.limiter.rule(method: "POST", path: "/v1/batch")
        return AdapterLimits(
            maxBatchRecords: rule.batchSize ?? 2500, maxPayloadBytes: rule.payloadBytes ?? 512_000,
            maxRecordBytes: rule.recordBytes ?? 32_768)
    }

    public func describe(object: String) throws(AdapterError) -> Schema {
        throw .fatal("segment's Tracking API has no describe endpoint; use schemas/segment/\(object).json")
    }

    public func fetch(_ request: FetchRequest) throws(AdapterError) -> SourcePage {
        throw .fatal("segment's Tracking API is write-only; it cannot be a source")
    }

    public func find(object: String, field: String, value: String) throws(AdapterError) -> JSONValue? {
        throw .fatal("segment's Tracking API is write-only; lookups are not possible")
    }

    /// Why Segment would drop `message` without telling us, or nil.
    static func problem(_ message: JSONValue, type: String) -> (code: String, text: String, field: String)? {
        let identified = ["userId", "anonymousId"].contains { name in
            message[name].flatMap(JSONShapes.text).map { !$0.isEmpty } ?? false
        }
        if !identified {
            return ("no_user_anon_id", "every message needs userId or anonymousId", "userId")
        }
        if type == "track", message["event"]?.stringValue?.isEmpty ?? true {
            return ("missing_event", "a track message needs an event name", "event")
        }
        return nil
    }

    public func write(_ request: WriteRequest) throws(AdapterError) -> [WriteResult] {
        guard Self.types.contains(request.object) else {
            throw .fatal("segment has no message type '\(request.object)' (use identify, track, page, screen or group)")
        }
        guard request.mode != .updateOnly else { throw .fatal("segment messages cannot be update-only") }
        let limits = limits(object: request.object, mode: request.mode)
        var results: [WriteResult] = []
        var messages: [(OutboundRecord, JSONValue, Int)] = []
        for record in request.records {
            var pairs: [(String, JSONValue)] = [("type", .string(request.object)), ("messageId", .string(record.key))]
            for (name, value) in record.pairs where name != "messageId" && name != "type" {
                pairs.append((name, value))
            }
            let message = JSONShapes.nest(pairs)
            if let problem = Self.problem(message, type: request.object) {
                results.append(
                    WriteResult(key: record.key, status: .rejected, errorCode: problem.code, message: problem.text, field: problem.field))
                continue
            }
            messages.append((record, message, JSONShapes.size(message)))
        }
        let plan = BatchSplitter.split(
            messages, maxItems: limits.maxBatchRecords, maxPayload: limits.maxPayloadBytes,
            maxItem: limits.maxRecordBytes, envelope: 12, size: { $0.2 })
        results += plan.oversize.map {
            WriteResult(
                key: $0.0.key, status: .rejected, errorCode: "MESSAGE_TOO_LARGE",
                message: "message is \($0.2) bytes; Segment accepts at most \(limits.maxRecordBytes ?? 32_768) per message; not sent")
        }
        for chunk in plan.chunks {
            let response = try api.sendJSON("POST", "/v1/batch", ["batch": .array(chunk.map(\.1))])
            guard response.status == 200 else { throw api.failure(response, doing: "sending a batch") }
            results += chunk.map { WriteResult(key: $0.0.key, status: .created) }
        }
        return results
    }
}
