import AdapterSpec
import Foundation
import HTTPServer
import MapDSL
import MapcSupport

/// mapc's JSON model, which specs and ``SpecPath`` speak (the sandbox's own `JSONValue` is its storage model).
typealias SpecJSON = MapDSL.JSONValue

/// An emulator generated from an adapter spec: the spec's auth, list/write/find endpoints with its
/// pagination, record location, batch shape and result style, its error shape, and the platform
/// rules (schemas with `platforms/<platform>/fields.json`, limits from `ratelimits/`).
///
/// Records are seeded from `samples/<platform>/<object>.jsonl` (flat schema field names). The
/// upsert key of an object is its schema's `externalId` field (else its first unique writable
/// field), matched case-insensitively for emails.
struct SpecEmulator: Emulator {
    let spec: AdapterSpec
    let store: RecordStore
    let credential: String
    /// Values of the spec's connection parameters in the sandbox (`sandbox<name>`).
    let parameters: [String: String]
    let schemas: [String: ObjectSchema]
    let clock: @Sendable () -> Date
    /// The platform's published limits (batch sizes are enforced here, windows by the pipeline).
    let limits: RateLimitTable
    /// `http://host:port`, known once the server is bound (next-page URLs).
    let baseURL: Locked<String>
    /// OAuth2 access tokens issued.
    let tokens: Locked<Set<String>>

    init(spec: AdapterSpec, options: SandboxOptions, credential: String, limits: RateLimitTable) throws {
        self.spec = spec
        self.limits = limits
        self.credential = credential
        var parameters: [String: String] = [:]
        for name in spec.parameters { parameters[name] = "sandbox\(name.lowercased())" }
        self.parameters = parameters
        schemas = try ObjectSchema.loadAll(platform: spec.platform, from: options.schemasDirectory)
        clock = options.clock
        baseURL = Locked("")
        tokens = Locked([])
        let samples = try SampleLoader.load(platform: spec.platform, from: options.samplesDirectory)
        var tables = RecordTables()
        let now = options.clock()
        for object in spec.objects {
            guard let rows = samples[object.name] else { continue }
            for (index, row) in rows.rows.enumerated() {
                var fields = rows.fields(row)
                let id = fields.removeValue(forKey: "id")?.textValue ?? Self.id(object.name, index + 1)
                // Seeded records changed at distinct past instants, oldest first, unless the sample says when.
                var updated = now.addingTimeInterval(Double(index - rows.rows.count) * 60)
                if let field = object.modifiedField, let value = fields[field] {
                    if case .number(let seconds) = value {
                        updated = Date(timeIntervalSince1970: seconds)
                    } else if let text = value.textValue, let date = Timestamps.parse(text) {
                        updated = date
                    }
                }
                tables.insert(id: id, fields: fields, createdAt: updated, updatedAt: updated, into: object.name)
            }
        }
        tables.sequence = 1_000_000
        store = RecordStore(seed: tables)
    }

    /// A record id in the emulator's style.
    static func id(_ object: String, _ number: Int) -> String {
        "\(object.prefix(3))_\(String(number, radix: 36))"
    }

    // MARK: - Auth

    func refuseUnauthenticated(_ request: Request) -> Response? {
        if case .oauth2(let tokenPath, _, _) = spec.auth, request.path == tokenPath { return nil }
        var values = parameters
        values["credential"] = credential
        let ok: Bool
        switch spec.auth {
        case .bearer:
            ok = request.bearerToken == credential
        case .header(let name, let prefix):
            ok = request.header(name) == SpecTemplate.expand(prefix, values) + credential
        case .query(let parameter):
            ok = request.query(parameter) == credential
        case .basic(let user, let password):
            let given = request.basicCredentials
            ok = given?.user == SpecTemplate.expand(user, values) && given?.password == SpecTemplate.expand(password, values)
        case .oauth2:
            ok = request.bearerToken.map { token in tokens.withLock { $0.contains(token) } } ?? false
        }
        return ok ? nil : error(401, code: "not_authenticated", message: "Missing or invalid credentials.")
    }

    /// `POST tokenPath` (client credentials): a token for the right client secret.
    func issueToken(_ request: Request) -> Response {
        let form = Dictionary(
            request.bodyText.split(separator: "&").map { pair -> (String, String) in
                let parts = pair.split(separator: "=", maxSplits: 1).map { String($0).removingPercentEncoding ?? String($0) }
                return (parts[0], parts.count > 1 ? parts[1] : "")
            }, uniquingKeysWith: { $1 })
        guard form["grant_type"] == "client_credentials", form["client_secret"] == credential else {
            return .json(["error": "invalid_client"], status: 401)
        }
        let token = store.transaction { "sandbox-access-\($0.nextSequence())" }
        tokens.withLock { _ = $0.insert(token) }
        return .json(["access_token": .string(token), "token_type": "bearer", "expires_in": .number(3600)])
    }

    // MARK: - Errors in the spec's shape

    /// An error reply with the code, message and field at the spec's error paths.
    func error(_ status: Int, code: String, message: String, field: String? = nil) -> Response {
        .json(bytes: JSONWriter.bytes(errorBody(code: code, message: message, field: field)), status: status)
    }

    func errorBody(code: String, message: String, field: String?) -> SpecJSON {
        var body: SpecJSON = .object([])
        body = SpecPath.set(body, spec.errors.message ?? "message", .string(message))
        if let path = spec.errors.code { body = SpecPath.set(body, path, .string(code)) }
        if let path = spec.errors.field, let field { body = SpecPath.set(body, path, .string(field)) }
        return body
    }

    func rateLimited(_ refusal: LimitRefusal?) -> Response {
        var seconds = 1.0
        switch refusal {
        case .window(_, let wait), .daily(_, let wait): seconds = wait
        case .concurrency, nil: break
        }
        let status = spec.errors.rateLimitStatuses.first ?? 429
        return error(status, code: "throttled", message: "Request was throttled.")
            .withHeader(spec.errors.retryAfterHeader, String(max(1, Int(seconds.rounded(.up)))))
    }

    func serverError(status: Int) -> Response {
        error(status, code: "server_error", message: "A server error occurred.")
    }

    func payloadTooLarge(limit: Int, size: Int) -> Response {
        error(413, code: "payload_too_large", message: "Request body is \(size) bytes; the limit is \(limit).")
    }

    func bodyRefused(_ refusal: ContentCoding.Refusal) -> Response {
        switch refusal {
        case .unsupported: error(415, code: "unsupported_encoding", message: refusal.message)
        case .corrupt: error(400, code: "invalid_body", message: refusal.message)
        case .tooLarge: error(413, code: "payload_too_large", message: refusal.message)
        }
    }

    func methodNotAllowed(_ request: Request, allowed: String) -> Response {
        error(405, code: "method_not_allowed", message: "\(request.method) is not allowed on \(request.path); use \(allowed)")
    }

    // MARK: - Routes

    /// The route pattern of a spec path: parameters fixed to their sandbox values, other names as `:name`.
    func pattern(_ template: String) -> String {
        var out = ""
        for part in SpecTemplate.parts(template) {
            switch part {
            case .text(let text): out += text
            case .placeholder(let name, _, _): out += parameters[name] ?? ":\(name)"
            }
        }
        return out
    }

    func register(on router: inout Router) {
        if case .oauth2(let tokenPath, _, _) = spec.auth {
            router.add("POST", tokenPath) { request in issueToken(request) }
        }
        // A list and a find on one path share a route: a request carrying the find's query is a lookup.
        var gets: [String: [(AdapterSpec.ObjectSpec, Bool)]] = [:]
        for object in spec.objects {
            if let list = object.list { gets[pattern(list.path), default: []].append((object, false)) }
            if let find = object.find { gets[pattern(find.path), default: []].append((object, true)) }
            if let write = object.write {
                router.add(write.method, pattern(write.path)) { request in self.write(request, object, write) }
            }
        }
        for (path, handlers) in gets {
            router.add("GET", path) { request in
                for (object, isFind) in handlers where isFind {
                    if let find = object.find,
                        find.query.allSatisfy({ name, template in
                            request.query(name).flatMap { SpecTemplate.match(template, $0) } != nil
                        })
                    {
                        return self.find(request, object, find)
                    }
                }
                for (object, isFind) in handlers where !isFind {
                    if let list = object.list { return self.list(request, object, list) }
                }
                return error(400, code: "invalid_query", message: "missing query parameters")
            }
        }
    }

    /// The object's upsert key: its schema's external id, else its first unique writable field.
    func keyField(_ object: String) -> String? {
        guard let schema = schemas[object] else { return nil }
        return (schema.fields.first { $0.externalId } ?? schema.fields.first { $0.unique && !$0.readOnly })?.name
    }

    /// One stored record as an item of a reply: id at the spec's id path, fields nested at `fieldsAt`.
    func item(_ record: StoredRecord, _ object: AdapterSpec.ObjectSpec) -> SpecJSON {
        var pairs = record.fieldPairs.map { ($0.name, $0.value.mapcValue) }
        if let field = object.modifiedField {
            // The platform keeps the modification time: the record's, not a value written to it.
            pairs.removeAll { $0.0 == field }
            // Unix seconds when the schema says the field is a number (Intercom's updated_at).
            let unix = schemas[object.name]?.field(field)?.kind == .int
            pairs.append((field, unix ? .int(Int(record.updatedAt.timeIntervalSince1970)) : .string(Timestamps.iso(record.updatedAt))))
        }
        let nested = Self.nest(pairs)
        var item: SpecJSON = object.fieldsAt.isEmpty ? nested : SpecPath.set(.object([]), object.fieldsAt, nested)
        item = SpecPath.set(item, object.id, .string(record.id))
        return item
    }

    /// Dotted names nested into objects.
    static func nest(_ pairs: [(String, SpecJSON)]) -> SpecJSON {
        var out: SpecJSON = .object([])
        for (name, value) in pairs { out = SpecPath.set(out, name, value) }
        return out
    }

    /// Nested objects flattened to dotted names (arrays stay values).
    static func flatten(_ value: SpecJSON, prefix: String = "", into out: inout [(String, SpecJSON)], depth: Int = 0) {
        guard case .object(let pairs) = value, depth < 16 else {
            out.append((prefix, value))
            return
        }
        for (key, inner) in pairs { flatten(inner, prefix: prefix.isEmpty ? key : "\(prefix).\(key)", into: &out, depth: depth + 1) }
    }
}
