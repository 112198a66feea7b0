import Adapters
import Foundation
import HTTPServer
import MapDSL
import MapcSupport
import Sandbox
import SyncEngine

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// Platform replies as the adapters receive them, one target per platform (`reply-hubspot`,
/// `reply-salesforce`, `reply-mailchimp`, `reply-segment`, `reply-ga4`) and one for the generic
/// declarative adapter (`reply-declarative`, the `adapters/mailchimp.json` spec).
///
/// An input is one adapter operation (describe, read a page, the Salesforce Bulk API 2.0 query, a
/// write, a lookup, a count) and the replies the platform gives it, in order: a first line
/// `op N`, then replies separated by lines `=====`, each written as a status line, header lines
/// `Name: value`, an empty line and the body. A loopback server in the fuzzing process answers the
/// operation's requests with those replies (the last one again when they run out), so status
/// codes, headers (`Retry-After`, content types) and bodies are all mutated and reach the real
/// decode paths over libcurl. The operation must end in a result or a typed ``AdapterError``.
/// The bulk operations read the Salesforce Bulk API 2.0 result CSVs and the Mailchimp batch
/// results archive: a reply with the header `X-Fuzz-Body: tar.gz` holds the archive's tar, which
/// the server gzips before sending, so mutations reach the tar headers and the JSON inside.
///
/// Seeds are recorded from the sandbox emulators: each operation runs once through a recording
/// proxy in front of the emulator, so mutants start from replies the adapters accept (Bulk API 2.0
/// CSV results included; a gzip archive kept as its tar, see ``ReplyServer/uncompressed(_:)``), plus
/// hand-written hostile replies.
struct PlatformReplyTarget: FuzzTarget {
    enum Platform: String, CaseIterable, Sendable {
        case hubspot, salesforce, mailchimp, segment, ga4, declarative

        /// The name the adapter factory knows.
        var adapterName: String { self == .declarative ? "spec:mailchimp" : rawValue }
        /// The emulator that answers it when seeds are recorded.
        var sandbox: SandboxPlatform? { SandboxPlatform(rawValue: self == .declarative ? "mailchimp" : rawValue) }
    }

    let platform: Platform
    var name: String { "reply-\(platform.rawValue)" }

    static let separator = "\n=====\n"

    // MARK: operations

    /// The operations run per platform (the input's `op N` picks one).
    static func operations(_ platform: Platform) -> [@Sendable (any PlatformAdapter) throws -> Void] {
        switch platform {
        case .hubspot:
            let record: @Sendable (Int) -> OutboundRecord = { i in
                OutboundRecord(key: "f\(i)@example.com", fields: [("email", .string("f\(i)@example.com")), ("firstname", "F")])
            }
            return [
                { _ = try $0.describe(object: "contact") },
                { _ = try $0.fetch(FetchRequest(object: "contact", pageSize: 5)) },
                { _ = try $0.fetch(FetchRequest(object: "contact", modifiedSince: "2024-01-01T00:00:00Z", pageSize: 5)) },
                { _ = try $0.write(WriteRequest(object: "contact", keyField: "email", mode: .upsert, records: (0..<3).map(record))) },
                { _ = try $0.write(WriteRequest(object: "contact", keyField: "email", mode: .insertOnly, records: (0..<3).map(record))) },
                { _ = try $0.find(object: "contact", field: "email", value: "f1@example.com") },
                { _ = try $0.count(object: "contact") },
            ]
        case .salesforce:
            let lead: @Sendable (Int) -> OutboundRecord = { i in
                OutboundRecord(
                    key: "ext-\(i)",
                    fields: [
                        ("External_Id__c", .string("ext-\(i)")), ("Email", .string("f\(i)@example.com")), ("LastName", "F"),
                        ("Company", "C"),
                    ])
            }
            return [
                { _ = try $0.describe(object: "Lead") },
                // A first full read of more records than `bulk_query`: the Bulk API 2.0 query job.
                { _ = try $0.fetch(FetchRequest(object: "Lead", pageSize: 5)) },
                { _ = try $0.fetch(FetchRequest(object: "Lead", modifiedSince: "2024-01-01T00:00:00Z", pageSize: 5)) },
                { _ = try $0.write(WriteRequest(object: "Lead", keyField: "External_Id__c", mode: .upsert, records: (0..<3).map(lead))) },
                { _ = try $0.write(WriteRequest(object: "Lead", keyField: "Email", mode: .insertOnly, records: (0..<3).map(lead))) },
                { _ = try $0.find(object: "Lead", field: "Email", value: "f1@example.com") },
                { _ = try $0.count(object: "Lead") },
                // A Bulk API 2.0 ingest job, start to end: its state and its result CSVs.
                { adapter in
                    guard let bulk = adapter as? any BulkWriter else { return }
                    let request = WriteRequest(object: "Lead", keyField: "External_Id__c", mode: .upsert, records: (0..<3).map(lead))
                    let id = try bulk.createBulkJob(request)
                    try bulk.uploadBulkJob(id, request)
                    try bulk.closeBulkJob(id)
                    _ = try bulk.bulkJobState(id)
                    _ = try bulk.bulkJobResults(id, request)
                },
            ]
        case .mailchimp, .declarative:
            let member: @Sendable (Int) -> OutboundRecord = { i in
                OutboundRecord(
                    key: "f\(i)@example.com", fields: [("email_address", .string("f\(i)@example.com")), ("status", "subscribed")])
            }
            return [
                { _ = try $0.describe(object: "member") },
                { _ = try $0.fetch(FetchRequest(object: "member", pageSize: 5)) },
                {
                    _ = try $0.write(WriteRequest(object: "member", keyField: "email_address", mode: .upsert, records: (0..<3).map(member)))
                },
                {
                    _ = try $0.write(
                        WriteRequest(object: "member", keyField: "email_address", mode: .insertOnly, records: (0..<3).map(member)))
                },
                { _ = try $0.find(object: "member", field: "email_address", value: "f1@example.com") },
                { _ = try $0.count(object: "member") },
                // A batch operation, start to end: its state and its results archive (tar.gz).
                { adapter in
                    guard let bulk = adapter as? any BulkWriter else { return }
                    let request = WriteRequest(object: "member", keyField: "email_address", mode: .upsert, records: (0..<3).map(member))
                    let id = try bulk.submitBulkJob(request)
                    _ = try bulk.bulkJobState(id)
                    _ = try bulk.bulkJobResults(id, request)
                },
            ]
        case .segment:
            let message: @Sendable (Int) -> OutboundRecord = { i in
                OutboundRecord(key: "m-\(i)", fields: [("userId", .string("u\(i)")), ("traits.email", .string("u\(i)@example.com"))])
            }
            return [
                { _ = try $0.write(WriteRequest(object: "identify", keyField: "messageId", mode: .upsert, records: (0..<3).map(message))) }
            ]
        case .ga4:
            let event: @Sendable (Int) -> OutboundRecord = { i in
                OutboundRecord(
                    key: "e-\(i)", fields: [("client_id", .string("c.\(i)")), ("name", "fuzz_event"), ("params.value", .int(i))])
            }
            return [
                { _ = try $0.write(WriteRequest(object: "event", keyField: "event_key", mode: .upsert, records: (0..<3).map(event))) }
            ]
        }
    }

    static let credential = "fuzz-platform-token-5d1e"

    /// The adapter under test, talking to `base`.
    func adapter(base: URL, validate: Bool = false) throws -> any PlatformAdapter {
        var parameters: [String: String] = [:]
        switch platform {
        case .mailchimp, .declarative: parameters["list"] = "sandboxlist"
        case .ga4:
            parameters["measurement_id"] = "G-SANDBOX"
            if validate { parameters["validate"] = "true" }
        case .salesforce: parameters["bulk_query"] = "10"
        default: break
        }
        let connection = Connection(
            platform: platform.adapterName, baseURL: base, credential: Secret(Self.credential), parameters: parameters)
        // One retry (on a clock that only counts), so retry and Retry-After paths run without
        // waiting; a reply that stalls ends at the short timeout. The declarative adapter finds its
        // spec under the repository (the parent of `platforms/`).
        let options = AdapterOptions(
            platformsDirectory: Self.repositoryRoot.appendingPathComponent("platforms").path, clock: ManualLimiterClock(), timeout: 2,
            maxRetries: 1, retryBaseDelay: 0.01)
        return try AdapterFactory.make(platform: platform.adapterName, connection: connection, options: options)
    }

    // MARK: the input format

    struct Reply: Sendable {
        var status: Int
        var headers: [(name: String, value: String)]
        var body: Data
    }

    /// Reads an input: the operation number and the replies (anything goes: missing parts are defaults).
    static func parse(_ input: [UInt8]) -> (operation: Int, replies: [Reply]) {
        let text = Data(input)
        var operation = 0
        var rest = text[...]
        if let newline = rest.firstIndex(of: 0x0A) {
            let first = String(decoding: rest[..<newline], as: UTF8.self)
            if first.hasPrefix("op "), let n = Int(first.dropFirst(3).prefix(4)) { operation = abs(n) }
            rest = rest[(newline + 1)...]
        }
        var replies: [Reply] = []
        let marker = Data("=====\n".utf8)
        for chunk in split(Data(rest), on: Data(separator.utf8), dropFirstMarker: marker) {
            replies.append(reply(chunk))
            if replies.count >= 64 { break }
        }
        return (operation, replies)
    }

    private static func split(_ data: Data, on separator: Data, dropFirstMarker marker: Data) -> [Data] {
        var data = data
        if data.starts(with: marker) { data = data.dropFirst(marker.count) }
        var out: [Data] = []
        var start = data.startIndex
        while let range = data.range(of: separator, in: start..<data.endIndex) {
            out.append(data[start..<range.lowerBound])
            start = range.upperBound
        }
        out.append(data[start...])
        return out
    }

    private static func reply(_ chunk: Data) -> Reply {
        let bytes = Array(chunk)
        var split = bytes.count
        for i in 0..<max(0, bytes.count - 1) where bytes[i] == 0x0A && bytes[i + 1] == 0x0A {
            split = i
            break
        }
        let head = String(decoding: bytes[0..<split], as: UTF8.self)
        let body = split + 2 <= bytes.count ? Data(bytes[(split + 2)...]) : Data()
        let lines = head.split(separator: "\n", omittingEmptySubsequences: false)
        // A final status (200...599): out-of-range numbers become 200 or 599 at the edges. A 1xx
        // alone is a server that never answers, which only the adapter's timeout ends.
        let status = min(max(Int(lines.first.map { String($0.prefix(6)) } ?? "") ?? 200, 200), 599)
        var headers: [(name: String, value: String)] = []
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            let name = line[..<colon].filter { $0.isLetter || $0.isNumber || $0 == "-" }
            let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces).filter { $0 != "\r" && $0 != "\n" }
            guard !name.isEmpty, !["content-length", "transfer-encoding", "connection"].contains(name.lowercased()) else { continue }
            headers.append((String(name), value))
        }
        return Reply(status: status, headers: headers, body: body)
    }

    static func write(_ operation: Int, _ replies: [Reply]) -> [UInt8] {
        var out = "op \(operation)\n"
        var parts: [Data] = []
        for r in replies {
            var head = "\(r.status)\n"
            for h in r.headers { head += "\(h.name): \(h.value)\n" }
            parts.append(Data((head + "\n").utf8) + r.body)
        }
        out += ""
        var data = Data(out.utf8)
        for (i, p) in parts.enumerated() {
            if i > 0 { data.append(Data(separator.utf8)) }
            data.append(p)
        }
        return Array(data)
    }

    // MARK: running

    func run(_ input: [UInt8]) {
        let (operation, replies) = Self.parse(input)
        let operations = Self.operations(platform)
        let server = ReplyServer.shared
        server.play(replies)
        defer { server.play([]) }
        do {
            let adapter = try adapter(base: server.baseURL, validate: operation % 2 == 1)
            try operations[operation % operations.count](adapter)
        } catch is AdapterError {
            // A typed error is a good ending.
        } catch {
            preconditionFailure("\(name): an untyped error escaped the adapter: \(error)")
        }
    }

    // MARK: seeds

    var seeds: [[UInt8]] {
        var out = Self.recordedSeeds(platform, target: self)
        out += Self.hostileSeeds(operations: Self.operations(platform).count)
        if platform == .mailchimp || platform == .declarative { out.append(Self.batchSeed(operation: Self.operations(platform).count - 1)) }
        return out
    }

    /// A finished Mailchimp batch and its results archive: one member written, one refused, one
    /// rate-limited (the archive's tar, gzipped by the server).
    static func batchSeed(operation: Int) -> [UInt8] {
        let status = Reply(
            status: 200, headers: [("Content-Type", "application/json")],
            body: Data(
                #"{"id":"b1","status":"finished","total_operations":3,"finished_operations":3,"errored_operations":2,"submitted_at":"2024-01-01T00:00:00+00:00","response_body_url":"http://reply-server.invalid/batch-results/b1.tar.gz"}"#
                    .utf8))
        let member =
            #"{\"id\":\"h0\",\"email_address\":\"f0@example.com\",\"status\":\"subscribed\",\"timestamp_signup\":\"2024-01-01T00:00:00+00:00\",\"last_changed\":\"2024-01-01T00:00:00+00:00\"}"#
        let items =
            #"[{"status_code":200,"operation_id":"f0@example.com","response":""# + member + #""},"#
            + #"{"status_code":400,"operation_id":"f1@example.com","response":"{\"title\":\"Invalid Resource\",\"detail\":\"f1 looks fake\"}"},"#
            + #"{"status_code":429,"operation_id":"f2@example.com","response":"{\"title\":\"Too Many Requests\"}"}]"#
        let tar = BatchArchiveWriter.tar([(name: "b1.json", data: Array(items.utf8)), (name: "readme.txt", data: Array("x".utf8))])
        let archive = Reply(status: 200, headers: [("Content-Type", "application/x-gzip"), ("X-Fuzz-Body", "tar.gz")], body: Data(tar))
        return write(operation, [status, status, status, archive])
    }

    /// Replies no platform should send: each with every operation.
    static func hostileSeeds(operations: Int) -> [[UInt8]] {
        let json = [("Content-Type", "application/json")]
        let hostile: [[Reply]] = [
            [Reply(status: 200, headers: json, body: Data(String(repeating: "[", count: 100_000).utf8))],
            [
                Reply(
                    status: 200, headers: json,
                    body: Data(
                        #"{"results":[{"id":1e400,"properties":{"email":123456789012345678901234567890}}],"total":-9223372036854775808,"totalSize":9223372036854775807,"done":false,"nextRecordsUrl":"/x"}"#
                            .utf8))
            ],
            [Reply(status: 200, headers: json, body: Data([0x7B, 0x22, 0xFF, 0xFE, 0x22, 0x3A, 0x22, 0xC3, 0x28, 0x22, 0x7D]))],
            [
                Reply(
                    status: 200, headers: json,
                    body: Data(#"{"results":"#.utf8) + Data(repeating: 0x20, count: 3) + Data("\"".utf8)
                        + Data(repeating: 0x61, count: 256 * 1024) + Data("\"}".utf8))
            ],
            [Reply(status: 429, headers: [("Retry-After", "-1")], body: Data())],
            [Reply(status: 429, headers: [("Retry-After", "99999999999999999999")], body: Data())],
            [Reply(status: 429, headers: [("Retry-After", "Wed, 21 Oct 2015 07:28:00 GMT"), ("Retry-After", "nan")], body: Data())],
            [Reply(status: 503, headers: [("Retry-After", "1e308")], body: Data("{}".utf8))],
            [Reply(status: 299, headers: [], body: Data())],
            [Reply(status: 429, headers: [("Retry-After", "inf"), ("X-RateLimit-Reset", "1e400")], body: Data())],
            [Reply(status: 200, headers: [("Content-Type", "text/csv")], body: Data("\"Id\",\"Email\n\"a\"\"b,\"c\nd\"\n".utf8))],
            [Reply(status: 200, headers: json, body: Data("{\"id\":\"a\"}".utf8) + Data(repeating: 0x00, count: 64))],
        ]
        var out: [[UInt8]] = []
        for (i, replies) in hostile.enumerated() {
            out.append(write(i % max(operations, 1), replies))
            // The last operation (a bulk one where there is one) gets each too.
            if i % max(operations, 1) != operations - 1 { out.append(write(operations - 1, replies)) }
        }
        return out
    }

    /// Each operation run once against the sandbox emulator through the recording proxy.
    static func recordedSeeds(_ platform: Platform, target: PlatformReplyTarget) -> [[UInt8]] {
        guard let sandboxPlatform = platform.sandbox else { return [] }
        var options = SandboxOptions.project(root: repositoryRoot)
        options.credential = credential
        guard let emulator = try? SandboxServer.start(platform: sandboxPlatform, options: options) else { return [] }
        defer { emulator.stop() }
        let server = ReplyServer.shared
        var out: [[UInt8]] = []
        for (i, operation) in operations(platform).enumerated() {
            server.record(upstream: emulator.baseURL)
            if let adapter = try? target.adapter(base: server.baseURL, validate: i % 2 == 1) {
                _ = try? operation(adapter)
            }
            let replies = server.play([])
            out.append(write(i, replies))
        }
        return out
    }

    /// The repository this tool was built from (for the emulators' schemas and samples).
    static var repositoryRoot: URL {
        if let root = ProcessInfo.processInfo.environment["MAPC_REPOSITORY_ROOT"] { return URL(fileURLWithPath: root) }
        return URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
    }
}

/// The loopback server that answers the adapters: with the current input's replies, in order, or
/// (recording) by forwarding to an emulator and keeping what it answered.
final class ReplyServer: Sendable {
    private struct State {
        var replies: [PlatformReplyTarget.Reply] = []
        var next = 0
        var upstream: URL?
        var recorded: [PlatformReplyTarget.Reply] = []
    }

    private let state = Locked(State())
    private let server: HTTPServer
    var baseURL: URL { server.baseURL }

    static let shared: ReplyServer = {
        do {
            return try ReplyServer()
        } catch {
            FileHandle.standardError.write(Data("mapc-fuzz: cannot start the reply server: \(error)\n".utf8))
            exit(3)
        }
    }()

    private init() throws {
        let state = self.state
        var router = Router()
        router.fallback { request in
            let (upstream, reply): (URL?, PlatformReplyTarget.Reply?) = state.withLock { s in
                if let upstream = s.upstream { return (upstream, nil) }
                guard !s.replies.isEmpty else { return (nil, nil) }
                let r = s.replies[min(s.next, s.replies.count - 1)]
                s.next += 1
                return (nil, r)
            }
            let base = Data(request.headerFields.first { $0.name == "host" }.map { "http://\($0.value)" }?.utf8 ?? "".utf8)
            if let upstream {
                // Absolute URLs the emulator hands out (a batch's results archive) point here, so
                // what the adapter fetches next is recorded too.
                var r = ReplyServer.forward(request, to: upstream)
                r.body = replacing(r.body, Data(upstream.absoluteString.trimmingSuffix("/").utf8), with: placeholder)
                state.withLock { $0.recorded.append(ReplyServer.uncompressed(r)) }
                return Response(status: r.status, headerFields: r.headers, body: replacing(r.body, placeholder, with: base))
            }
            guard let reply else { return Response(status: 404, body: Data("no reply".utf8)) }
            var body = replacing(reply.body, placeholder, with: base)
            var headers = reply.headers
            if headers.contains(where: { $0.name.lowercased() == "x-fuzz-body" && $0.value == "tar.gz" }) {
                headers.removeAll { $0.name.lowercased() == "x-fuzz-body" }
                body = BatchArchiveWriter.gzip(Array(body))
            }
            return Response(status: reply.status, headerFields: headers, body: body)
        }
        server = try HTTPServer.start(
            configuration: HTTPServerConfiguration(host: "127.0.0.1", port: 0, maxBodyBytes: 64 * 1024 * 1024), router: router)
    }

    /// A recorded reply as a seed keeps it: a gzip body (a Mailchimp batch's results archive) is kept
    /// as its tar, marked `X-Fuzz-Body: tar.gz` so the server gzips it again when it plays the reply;
    /// mutations then reach the tar headers and the JSON inside rather than the compressed stream.
    static func uncompressed(_ reply: PlatformReplyTarget.Reply) -> PlatformReplyTarget.Reply {
        guard let tar = BatchArchiveWriter.gunzip(reply.body) else { return reply }
        var kept = reply
        kept.body = Data(tar)
        kept.headers.append((name: "X-Fuzz-Body", value: "tar.gz"))
        return kept
    }

    /// Answers with `replies` from now on; returns what was recorded since the last call.
    @discardableResult
    func play(_ replies: [PlatformReplyTarget.Reply]) -> [PlatformReplyTarget.Reply] {
        state.withLock { s in
            defer {
                s.replies = replies
                s.next = 0
                s.upstream = nil
                s.recorded = []
            }
            return s.recorded
        }
    }

    /// Forwards requests to `upstream` and records the replies.
    func record(upstream: URL) {
        state.withLock {
            $0.upstream = upstream
            $0.recorded = []
        }
    }

    /// One request sent on to the emulator; absolute URLs it hands out are rewritten to point here.
    private static func forward(_ request: Request, to upstream: URL) -> PlatformReplyTarget.Reply {
        let target = request.target ?? request.path
        guard let url = URL(string: upstream.absoluteString.trimmingSuffix("/") + target) else {
            return PlatformReplyTarget.Reply(status: 500, headers: [], body: Data())
        }
        var outgoing = URLRequest(url: url)
        outgoing.httpMethod = request.method
        for (name, value) in request.headerFields where !["host", "content-length", "expect", "accept-encoding"].contains(name) {
            outgoing.addValue(value, forHTTPHeaderField: name)
        }
        if !request.body.isEmpty { outgoing.httpBody = request.body }
        let box = Locked<PlatformReplyTarget.Reply?>(nil)
        let done = DispatchSemaphore(value: 0)
        URLSession.shared.dataTask(with: outgoing) { data, response, _ in
            let http = response as? HTTPURLResponse
            var headers: [(name: String, value: String)] = []
            for (key, value) in http?.allHeaderFields ?? [:] {
                let name = "\(key)"
                guard !["content-length", "transfer-encoding", "content-encoding", "connection", "date"].contains(name.lowercased())
                else { continue }
                headers.append((name, "\(value)"))
            }
            box.withLock { $0 = PlatformReplyTarget.Reply(status: http?.statusCode ?? 502, headers: headers, body: data ?? Data()) }
            done.signal()
        }.resume()
        _ = done.wait(timeout: .now() + 30)
        return box.withLock { $0 } ?? PlatformReplyTarget.Reply(status: 504, headers: [], body: Data())
    }
}

/// Stands for the reply server's address in recorded replies (absolute URLs the platform hands out).
private let placeholder = Data("http://reply-server.invalid".utf8)

/// `data` with every `pattern` replaced by `replacement`.
private func replacing(_ data: Data, _ pattern: Data, with replacement: Data) -> Data {
    guard !pattern.isEmpty, data.range(of: pattern) != nil else { return data }
    var out = Data()
    var start = data.startIndex
    while let range = data.range(of: pattern, in: start..<data.endIndex) {
        out.append(data[start..<range.lowerBound])
        out.append(replacement)
        start = range.upperBound
    }
    out.append(data[start...])
    return out
}

extension String {
    fileprivate func trimmingSuffix(_ suffix: String) -> String {
        var s = self
        while s.hasSuffix(suffix) { s.removeLast(suffix.count) }
        return s
    }
}
