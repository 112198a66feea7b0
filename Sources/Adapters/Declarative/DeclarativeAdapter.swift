import AdapterSpec
import Foundation
import MapDSL
import SyncEngine

/// The generic adapter: speaks any platform described by an ``AdapterSpec`` (`adapters/<platform>.json`).
///
/// Requests go through the same ``APIClient`` loop as the built-in adapters (rate limiter from
/// `ratelimits/<platform>.json`, waits on refusals, retries with backoff, redacted errors); replies
/// are parsed strictly (invalid UTF-8 is refused). Records travel flat with dotted names, nested on
/// the wire, as for the built-in adapters.
public final class DeclarativeAdapter: PlatformAdapter {
    public let platform: String
    /// The spec this adapter speaks.
    public let spec: AdapterSpec
    let api: APIClient
    let values: [String: String]
    let queryAuth: (String, String)?
    let oauth: OAuthTokens?
    let cache: LookupCache

    /// Creates an adapter for `spec` over `connection` (base URL, credential and the spec's parameters).
    public init(spec: AdapterSpec, connection: Connection, options: AdapterOptions = AdapterOptions()) throws(AdapterError) {
        platform = spec.platform
        self.spec = spec
        guard let url = connection.baseURL ?? spec.baseURL.flatMap(URL.init(string:)) else {
            throw .fatal("\(spec.platform) connection needs a base URL: set \(Connection.environmentPrefix(spec.platform))URL")
        }
        guard let credential = connection.credential else {
            throw .fatal("no credential for \(spec.platform): set \(Connection.environmentPrefix(spec.platform))TOKEN")
        }
        var values: [String: String] = [:]
        for name in spec.parameters {
            guard let value = connection.parameters[name.lowercased()], !value.isEmpty else {
                throw .fatal(
                    "\(spec.platform) connection needs the parameter '\(name)': set \(Connection.environmentPrefix(spec.platform))\(name.uppercased())"
                )
            }
            values[name] = value
        }
        self.values = values
        var headers: [String: String] = [:]
        for (name, template) in spec.headers { headers[name] = SpecTemplate.expand(template, values) }
        var secrets: [Secret?] = [credential]
        var withCredential = values
        withCredential["credential"] = credential.value
        var queryAuth: (String, String)?
        var oauth: OAuthTokens?
        switch spec.auth {
        case .bearer:
            headers["Authorization"] = "Bearer \(credential.value)"
        case .header(let name, let prefix):
            headers[name] = SpecTemplate.expand(prefix, withCredential) + credential.value
        case .query(let parameter):
            queryAuth = (parameter, credential.value)
        case .basic(let user, let password):
            let pair = SpecTemplate.expand(user, withCredential) + ":" + SpecTemplate.expand(password, withCredential)
            let encoded = Data(pair.utf8).base64EncodedString()
            secrets.append(Secret(encoded))
            headers["Authorization"] = "Basic \(encoded)"
        case .oauth2(let tokenPath, let clientId, let scope):
            oauth = OAuthTokens(
                url: url.absoluteString.trimmingSuffix("/") + tokenPath, clientId: SpecTemplate.expand(clientId, withCredential),
                secret: credential.value, scope: scope, timeout: options.timeout, clock: options.clock)
        }
        self.queryAuth = queryAuth
        self.oauth = oauth
        let errors = spec.errors
        api = try APIClient(
            platform: spec.platform, baseURL: url, headers: headers, secrets: secrets, options: options,
            throttle: { response in
                guard errors.rateLimitStatuses.contains(response.status) else { return .none }
                return .wait(response.header(errors.retryAfterHeader).flatMap { LimitFeedback.retryAfterSeconds($0, now: Date()) })
            },
            message: { response in DeclarativeAdapter.message(response, errors) })
        cache = LookupCache(capacity: options.lookupCacheSize)
    }

    /// The platform's message for an error reply: `code: message` from the spec's error paths.
    static func message(_ response: HTTPResponse, _ errors: AdapterSpec.ErrorShape) -> String {
        guard let json = strictJSON(response) else { return response.snippet }
        let message = errors.message.flatMap { SpecPath.get(json, $0) }.flatMap(JSONShapes.text)
        let code = errors.code.flatMap { SpecPath.get(json, $0) }.flatMap(JSONShapes.text)
        switch (code, message) {
        case (let c?, let m?): return "\(c): \(m)"
        case (let c?, nil): return c
        case (nil, let m?): return m
        case (nil, nil): return response.snippet
        }
    }

    /// The reply body as JSON; nil for anything but well-formed UTF-8 JSON.
    static func strictJSON(_ response: HTTPResponse) -> JSONValue? {
        try? JSONParser.parse(Array(response.body), rejectingInvalidUTF8: true)
    }

    func object(_ name: String) throws(AdapterError) -> AdapterSpec.ObjectSpec {
        guard let object = spec.object(name) else {
            throw .fatal("\(platform) has no object '\(name)' (spec objects: \(spec.objects.map(\.name).joined(separator: ", ")))")
        }
        return object
    }

    /// Sends one request: the query credential and the OAuth token added, a 401 answered by one
    /// token refresh.
    func send(_ method: String, _ path: String, _ query: [(String, String)], body: JSONValue? = nil, idempotent: Bool = true)
        throws(AdapterError) -> HTTPResponse
    {
        var query = query
        if let queryAuth { query.append(queryAuth) }
        let separator = path.contains("?") ? "&" : "?"
        let full = query.isEmpty ? path : path + separator + String(queryString(query).dropFirst())
        let data = body.map { Data(JSONWriter.bytes($0)) }
        guard let oauth else { return try api.send(method, full, body: data, idempotent: idempotent) }
        for attempt in 0..<2 {
            let token = try oauth.token(refresh: attempt > 0)
            // The access token is a secret too: a platform that echoes it is scrubbed like the credential.
            api.remember(secret: token)
            let response = try api.send(
                method, full, body: data, extraHeaders: ["Authorization": "Bearer \(token)"], idempotent: idempotent)
            if response.status != 401 || attempt > 0 { return response }
        }
        throw .fatal("\(platform): unreachable")
    }

    func expand(_ template: String, _ extra: [String: String] = [:]) -> String {
        SpecTemplate.expand(template, values.merging(extra) { $1 }, escape: queryEscape)
    }

    public func limits(object: String, mode: WriteMode) -> AdapterLimits {
        guard let write = spec.object(object)?.write else { return AdapterLimits(maxBatchRecords: 100) }
        let rule = api.limiter.rule(method: write.method, path: expand(write.path, ["key": "key"]))
        return AdapterLimits(
            maxBatchRecords: rule.batchSize ?? 100, maxPayloadBytes: rule.payloadBytes, maxRecordBytes: rule.recordBytes)
    }

    /// Specs describe objects with a bundled schema file.
    public func describe(object: String) throws(AdapterError) -> Schema {
        try self.object(object).schema
    }

    /// A record of `object` from one item of a reply.
    func record(_ item: JSONValue, _ object: AdapterSpec.ObjectSpec, fields wanted: [String]?) -> SourceRecord {
        let id = SpecPath.get(item, object.id).flatMap(JSONShapes.text) ?? ""
        var pairs = JSONShapes.flatten(SpecPath.get(item, object.fieldsAt) ?? .object([]))
        let modified = object.modifiedField.flatMap { name in pairs.first { $0.0 == name }?.1 }.flatMap(Self.instant)
        if let wanted { pairs = pairs.filter { wanted.contains($0.0) } }
        return SourceRecord(id: id, fields: .object(pairs), modified: modified)
    }

    /// A modification time as ISO 8601 text: text as given, a number as Unix seconds (Intercom's `updated_at`).
    static func instant(_ value: JSONValue) -> String? {
        switch value {
        case .string(let text): return text
        case .int(let seconds):
            let (millis, overflow) = seconds.multipliedReportingOverflow(by: 1000)
            return overflow ? nil : Dates.formatDateTime(Int64(millis))
        default: return nil
        }
    }

    public func count(object: String) throws(AdapterError) -> Int? { nil }
}

extension String {
    func trimmingSuffix(_ suffix: String) -> String {
        var s = self
        while s.hasSuffix(suffix) { s.removeLast(suffix.count) }
        return s
    }
}
