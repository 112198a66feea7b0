import Foundation
import HTTPServer
import SyncEngine

/// Counters of what the webhook endpoints did, for logs and (later) metrics.
public struct IngressCounters: Sendable, Hashable {
    /// Deliveries whose events were stored (or were all duplicates).
    public var accepted = 0
    /// Events newly stored.
    public var stored = 0
    /// Events already stored (platform retries, replays).
    public var duplicates = 0
    /// Deliveries refused with a 4xx, by status.
    public var refused: [Int: Int] = [:]
    /// Deliveries answered 503 because the inbox could not be written.
    public var unavailable = 0
    /// Older unauthenticated refused deliveries dropped from the quarantine to stay within its bound.
    public var quarantineDropped = 0
}

/// The webhook door: one route per platform source, each verifying, parsing, storing in the inbox
/// and answering — nothing else happens before the platform gets its acknowledgement.
///
/// Refused deliveries are answered with a 4xx and the reason, and kept in the inbox's quarantine. If
/// the inbox cannot be written the answer is 503, so the platform retries later: nothing is lost.
public final class WebhookIngress: @unchecked Sendable {
    private let inbox: Inbox
    private let receivers: [any WebhookReceiver]
    private let publicURL: String?
    private let now: @Sendable () -> Date
    private let log: @Sendable (String) -> Void
    private let lock = NSLock()
    private var counters = IngressCounters()

    /// Creates the door over `inbox` for `settings`' receivers; `now` is the clock for timestamp windows.
    public init(
        inbox: Inbox, settings: WebhookSettings, now: @escaping @Sendable () -> Date = { Date() },
        log: @escaping @Sendable (String) -> Void = { _ in }
    ) {
        self.inbox = inbox
        self.receivers = settings.receivers
        self.publicURL = settings.publicURL
        self.now = now
        self.log = log
    }

    /// A snapshot of the counters.
    public var snapshot: IngressCounters {
        lock.withLock { counters }
    }

    /// The paths served, one per receiver: `/webhooks/<platform>` for the `default` source and
    /// `/webhooks/<platform>/<source>` for every source.
    public var endpoints: [(platform: String, source: String, path: String)] {
        receivers.map { r in
            (r.platform, r.source, r.source == "default" ? "/webhooks/\(r.platform)" : "/webhooks/\(r.platform)/\(r.source)")
        }
    }

    /// Adds the webhook routes to `router`.
    public func register(on router: inout Router) {
        for receiver in receivers {
            var paths = ["/webhooks/\(receiver.platform)/\(receiver.source)"]
            if receiver.source == "default" { paths.insert("/webhooks/\(receiver.platform)", at: 0) }
            for path in paths {
                for method in receiver.methods {
                    router.add(method, path) { [self] request in handle(request, receiver: receiver) }
                }
            }
        }
    }

    /// Handles one request for `receiver`: verify, parse, store, answer.
    public func handle(_ request: Request, receiver: any WebhookReceiver) -> Response {
        let delivery = WebhookDelivery(
            method: request.method, url: url(of: request), query: request.queryItems, headers: request.headerFields, body: request.body)
        switch receiver.receive(delivery, now: now()) {
        case .answer(let reply):
            return response(reply)
        case .refused(let status, let reason, let authenticated):
            lock.withLock { counters.refused[status, default: 0] += 1 }
            do {
                let (id, dropped) = try inbox.quarantineCounting(
                    platform: receiver.platform, source: receiver.source, httpStatus: status, reason: reason,
                    authenticated: authenticated, contentType: request.header("content-type"), body: request.body)
                log("webhook \(receiver.platform)/\(receiver.source): refused \(status) (quarantine q\(id)): \(reason)")
                if dropped > 0 {
                    // Said once, then every 1,000 drops: a flood must not flood the log too.
                    let total = lock.withLock {
                        counters.quarantineDropped += dropped
                        return counters.quarantineDropped
                    }
                    if total == dropped || total / 1000 != (total - dropped) / 1000 {
                        log(
                            "webhook: the quarantine keeps \(inbox.unauthenticatedQuarantineLimit) unauthenticated deliveries; "
                                + "\(total) older ones dropped so far")
                    }
                }
            } catch {
                log("webhook \(receiver.platform)/\(receiver.source): refused \(status): \(reason); quarantine failed: \(error)")
            }
            return Response.text(reason + "\n", status: status)
        case .accepted(let events, let reply):
            do {
                let result = try inbox.insert(events)
                lock.withLock {
                    counters.accepted += 1
                    counters.stored += result.inserted.count
                    counters.duplicates += result.duplicates
                }
                return response(reply)
            } catch {
                lock.withLock { counters.unavailable += 1 }
                log("webhook \(receiver.platform)/\(receiver.source): inbox write failed, answered 503: \(error)")
                return Response.text("inbox unavailable, retry later\n", status: 503).withHeader("Retry-After", "30")
            }
        }
    }

    private func response(_ reply: WebhookReply) -> Response {
        Response(status: reply.status, headerFields: [(name: "Content-Type", value: reply.contentType)], body: Data(reply.body.utf8))
    }

    /// The URL the platform called: the configured public base (or `http://` + Host) followed by the
    /// request target exactly as received — nothing decoded, re-encoded or reordered, because URL
    /// signatures (HubSpot v2/v3, Mandrill) are computed over the URL as the platform called it.
    func url(of request: Request) -> String {
        let base = publicURL ?? "http://" + (request.header("host") ?? "localhost")
        if let target = request.target {
            if target.hasPrefix("/") { return base + target }
            // Absolute form (`POST http://host/path?q HTTP/1.1`): its path and query after the base.
            if let scheme = target.range(of: "://") {
                let afterAuthority = target[scheme.upperBound...].firstIndex { $0 == "/" || $0 == "?" }
                return base + (afterAuthority.map { String(target[$0...]) } ?? "")
            }
        }
        // A request that did not come through the server (tests, tools): rebuilt from its parts.
        var url = base + request.path
        if !request.queryItems.isEmpty {
            url +=
                "?"
                + request.queryItems.map { item in
                    FormDecoder.encode(item.name) + (item.value.map { "=" + FormDecoder.encode($0) } ?? "")
                }.joined(separator: "&")
        }
        return url
    }
}
