import Foundation
import MapDSL
import MapcSupport
import SyncEngine

/// GA4 Measurement Protocol: one record per event, grouped into requests of ≤25 events and <130 kB
/// per client (`client_id`, `user_id`, `user_properties` shared by a request).
///
/// Every event is validated locally first (`/mp/collect` answers 2xx even for events it drops); with
/// the connection parameter `validate=true` each request is also checked against `/debug/mp/collect`
/// before it is sent. The connection needs the `api_secret` (credential) and `measurement_id`
/// (parameter). GA4 cannot drop repeated events: the adapter remembers the keys it sent (in memory,
/// last 100,000) and reports repeats as duplicates without sending them, and collect requests are
/// never retried after a transport failure. Across processes the engine's batch reconciliation
/// must prevent re-sends. The API is write-only.
public final class GA4Adapter: PlatformAdapter {
    public let platform = "ga4"
    let api: APIClient
    let measurementID: String
    let secret: Secret
    let validateRemotely: Bool
    /// Keys of events sent by this adapter (bounded): GA4 cannot drop repeats, so we do, within one process.
    let sent = Locked<(keys: Set<String>, order: [String])>(([], []))
    static let ledgerCapacity = 100_000

    /// Creates an adapter for `connection`.
    public init(connection: Connection, options: AdapterOptions = AdapterOptions()) throws(AdapterError) {
        guard let url = connection.baseURL, let secret = connection.credential else {
            throw .fatal("ga4 connection needs an api_secret")
        }
        guard let measurement = connection.parameters["measurement_id"], !measurement.isEmpty else {
            throw .fatal("ga4 connection needs a measurement id: set MAPC_GA4_MEASUREMENT_ID")
        }
        self.secret = secret
        measurementID = measurement
        validateRemotely = connection.parameters["validate"] == "true"
        api = try APIClient(
            platform: platform, baseURL: url, headers: [:], secrets: [secret], options: options,
            message: { response in response.json?["error"]?["message"]?.stringValue ?? response.snippet })
    }

    public func limits(object: String, mode: WriteMode) -> AdapterLimits {
        let rule = api.limiter.rule(method: "POST", path: "/mp/collect")
        return AdapterLimits(maxBatchRecords: rule.batchSize ?? 25, maxPayloadBytes: rule.payloadBytes ?? 130_000)
    }

    public func describe(object: String) throws(AdapterError) -> Schema {
        throw .fatal("the Measurement Protocol has no describe endpoint; use schemas/ga4/\(object).json")
    }

    public func fetch(_ request: FetchRequest) throws(AdapterError) -> SourcePage {
        throw .fatal("the Measurement Protocol is write-only; it cannot be a source")
    }

    public func find(object: String, field: String, value: String) throws(AdapterError) -> JSONValue? {
        throw .fatal("the Measurement Protocol is write-only; lookups are not possible")
    }

    private var query: String {
        queryString([("measurement_id", measurementID), ("api_secret", secret.value)])
    }

    /// Fields shared by all events of one request.
    static let requestFields: Set<String> = [
        "client_id", "app_instance_id", "user_id", "user_properties", "non_personalized_ads", "consent",
        "user_location", "device",
    ]

    public func write(_ request: WriteRequest) throws(AdapterError) -> [WriteResult] {
        guard request.object == "event" else { throw .fatal("ga4 has no object '\(request.object)' (only 'event')") }
        guard request.mode != .updateOnly else { throw .fatal("ga4 events cannot be update-only") }
        let limits = limits(object: request.object, mode: request.mode)
        var results: [WriteResult] = []
        // Group consecutive events of the same client into requests.
        var groups: [(shared: JSONValue, items: [(OutboundRecord, JSONValue)])] = []
        for record in request.records {
            if sent.withLock({ $0.keys.contains(record.key) }) {
                results.append(WriteResult(key: record.key, status: .duplicate))
                continue
            }
            let nested = JSONShapes.nest(record.pairs)
            let problems = GA4Rules.problems(nested)
            if let first = problems.first {
                results.append(
                    WriteResult(key: record.key, status: .rejected, errorCode: first.code, message: first.message, field: first.fieldPath))
                continue
            }
            let shared = JSONValue.object(
                (nested.objectValue ?? []).filter { Self.requestFields.contains($0.0) && $0.1 != .null })
            var event: [(String, JSONValue)] = [("name", nested["name"] ?? .null)]
            if let params = nested["params"], params != .null { event.append(("params", params)) }
            if let time = nested["timestamp_micros"], time != .null { event.append(("timestamp_micros", time)) }
            if let last = groups.last, last.shared == shared {
                groups[groups.count - 1].items.append((record, .object(event)))
            } else {
                groups.append((shared, [(record, .object(event))]))
            }
        }
        for group in groups {
            let envelope = JSONShapes.size(group.shared) + 12
            let plan = BatchSplitter.split(
                group.items, maxItems: limits.maxBatchRecords, maxPayload: limits.maxPayloadBytes, envelope: envelope,
                size: { JSONShapes.size($0.1) })
            results += plan.oversize.map {
                WriteResult(key: $0.0.key, status: .rejected, errorCode: "VALUE_OUT_OF_BOUNDS", message: "event too large; not sent")
            }
            for chunk in plan.chunks {
                var body = group.shared.objectValue ?? []
                body.append(("events", .array(chunk.map(\.1))))
                var sendable = chunk
                if validateRemotely {
                    let rejected = try validate(.object(body), chunk)
                    results += rejected
                    let refused = Set(rejected.map(\.key))
                    sendable = chunk.filter { !refused.contains($0.0.key) }
                    guard !sendable.isEmpty else { continue }
                    body = (group.shared.objectValue ?? []) + [("events", .array(sendable.map(\.1)))]
                }
                let response = try api.sendJSON("POST", "/mp/collect" + query, .object(body), idempotent: false)
                guard (200..<300).contains(response.status) else { throw api.failure(response, doing: "sending events") }
                results += sendable.map { WriteResult(key: $0.0.key, status: .created) }
                remember(sendable.map(\.0.key))
            }
        }
        return results
    }

    private func remember(_ keys: [String]) {
        sent.withLock { ledger in
            for key in keys where ledger.keys.insert(key).inserted { ledger.order.append(key) }
            if ledger.order.count > Self.ledgerCapacity {
                let drop = ledger.order.count - Self.ledgerCapacity
                for key in ledger.order.prefix(drop) { ledger.keys.remove(key) }
                ledger.order.removeFirst(drop)
            }
        }
    }

    /// Asks `/debug/mp/collect`; returns rejections for the events it complained about.
    func validate(_ body: JSONValue, _ chunk: [(OutboundRecord, JSONValue)]) throws(AdapterError) -> [WriteResult] {
        let response = try api.sendJSON("POST", "/debug/mp/collect" + query, body)
        guard response.status == 200, let messages = response.json?["validationMessages"]?.arrayValue else {
            throw api.failure(response, doing: "validating events")
        }
        var out: [String: WriteResult] = [:]
        for message in messages {
            let path = message["fieldPath"]?.stringValue ?? ""
            let code = message["validationCode"]?.stringValue
            let text = message["description"]?.stringValue
            var targets = chunk.map(\.0)
            if path.hasPrefix("events["), let close = path.firstIndex(of: "]"),
                let index = Int(path[path.index(path.startIndex, offsetBy: 7)..<close]), index < chunk.count
            {
                targets = [chunk[index].0]
            }
            for record in targets where out[record.key] == nil {
                out[record.key] = WriteResult(key: record.key, status: .rejected, errorCode: code, message: text, field: path)
            }
        }
        return chunk.compactMap { out[$0.0.key] }
    }
}
