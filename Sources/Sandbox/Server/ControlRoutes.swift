import Foundation
import HTTPServer

/// The `/_sandbox/*` inspection and control endpoints (see ``SandboxServer``).
struct ControlRoutes: Sendable {
    /// The platform name the health check reports.
    let platform: String
    let store: RecordStore
    let limiter: RateLimiter
    let faults: FaultInjector
    let log: RequestLog
    let reset: @Sendable () -> Void

    func register(on router: inout Router) {
        router.add("GET", "/_sandbox/health") { _ in
            .json(["platform": .string(platform), "status": "ok"])
        }
        router.add("GET", "/_sandbox/objects") { _ in
            .json(["objects": .array(store.objectNames.map(JSONValue.string))])
        }
        router.add("GET", "/_sandbox/records") { request in records(request) }
        router.add("GET", "/_sandbox/requests") { _ in
            let encoder = JSONEncoder()
            // Milliseconds: benchmarks measure request rates from these times.
            encoder.dateEncodingStrategy = .custom { date, encoder in
                let formatter = ISO8601DateFormatter()
                formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
                var container = encoder.singleValueContainer()
                try container.encode(formatter.string(from: date))
            }
            encoder.outputFormatting = [.sortedKeys]
            return .json((try? encoder.encode(["requests": log.all])) ?? Data("{}".utf8))
        }
        router.add("DELETE", "/_sandbox/requests") { _ in
            log.clear()
            return .empty()
        }
        router.add("GET", "/_sandbox/faults") { _ in faultsReply(faults.switches) }
        router.add("POST", "/_sandbox/faults") { request in
            do {
                let patched = try FaultPatch.apply(request.body, over: faults.switches)
                faults.set(patched)
                return faultsReply(patched)
            } catch {
                return .json(["error": .string("invalid fault switches: \(error)")], status: 400)
            }
        }
        router.add("DELETE", "/_sandbox/faults") { _ in
            faults.set(FaultSwitches())
            return faultsReply(FaultSwitches())
        }
        router.add("GET", "/_sandbox/limits") { _ in
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            return .json((try? encoder.encode(limiter.limits)) ?? Data("{}".utf8))
        }
        router.add("POST", "/_sandbox/reset") { _ in
            Self.reset(store: store, limiter: limiter, faults: faults, log: log)
            reset()
            return .json(["reset": true])
        }
        router.add("*", "/_sandbox/*") { _ in .json(["error": "unknown sandbox endpoint"], status: 404) }
    }

    static func reset(store: RecordStore, limiter: RateLimiter, faults: FaultInjector, log: RequestLog) {
        store.reset()
        limiter.reset()
        faults.reset()
        log.clear()
    }

    private func faultsReply(_ switches: FaultSwitches) -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return .json((try? encoder.encode(switches)) ?? Data("{}".utf8))
    }

    private func records(_ request: Request) -> Response {
        guard let object = request.query("object") else {
            return .json(["error": "query parameter 'object' is required"], status: 400)
        }
        var records = store.all(object)
        var reply: [String: JSONValue] = ["object": .string(object)]
        if let key = request.query("key") {
            var counts: [String: Int] = [:]
            for record in records {
                if let value = record[field: key]?.textValue?.lowercased() {
                    counts[value, default: 0] += 1
                }
            }
            reply["key"] = .string(key)
            reply["distinct"] = .int(counts.count)
            reply["duplicates"] = .object(counts.filter { $0.value > 1 }.mapValues { JSONValue.int($0) })
            if let wanted = request.query("value")?.lowercased() {
                records = records.filter { $0[field: key]?.textValue?.lowercased() == wanted }
            }
        }
        reply["count"] = .int(records.count)
        reply["records"] = .array(
            records.map { record in
                [
                    "id": .string(record.id), "fields": .object(record.fieldDictionary),
                    "createdAt": .string(Timestamps.iso(record.createdAt)),
                    "updatedAt": .string(Timestamps.iso(record.updatedAt)),
                ]
            })
        return .json(.object(reply))
    }
}
