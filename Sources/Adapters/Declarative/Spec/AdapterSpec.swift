import MapDSL

/// A checked adapter spec (`adapters/<platform>.json`, format `mapc-adapter/1`): everything the
/// generic adapter and the spec emulator need to speak a platform's API. Built only by
/// ``SpecChecker`` from a file without errors.
public struct AdapterSpec: Sendable {
    /// How requests authenticate.
    public enum Auth: Sendable, Hashable {
        /// `Authorization: Bearer <credential>`.
        case bearer
        /// `<name>: <prefix><credential>`.
        case header(name: String, prefix: String)
        /// `?<parameter>=<credential>`.
        case query(parameter: String)
        /// HTTP Basic with templated user and password.
        case basic(user: String, password: String)
        /// OAuth2 client credentials: the credential is the client secret; the token is fetched from
        /// `tokenPath`, sent as a bearer token, and fetched again when it expires or is refused.
        case oauth2(tokenPath: String, clientId: String, scope: String?)
    }

    /// The platform's error reply and which failures pass.
    public struct ErrorShape: Sendable, Hashable {
        /// Path of the message in an error reply.
        public var message: String?
        /// Path of the error code.
        public var code: String?
        /// Path of the blamed field.
        public var field: String?
        /// Statuses worth retrying besides 5xx and 408.
        public var transientStatuses: [Int]
        /// Statuses meaning "slow down".
        public var rateLimitStatuses: [Int]
        /// Header giving seconds to wait.
        public var retryAfterHeader: String
    }

    /// How pages follow each other.
    public enum Pagination: Sendable, Hashable {
        /// A cursor at `cursor` in the body, sent back as query `parameter`.
        case cursor(cursor: String, parameter: String)
        /// The next page's full URL at `next` in the body.
        case nextURL(next: String)
        /// RFC 8288 `Link: <url>; rel="next"`.
        case linkHeader
        /// Offset in query `parameter`; the total at `total`, when given.
        case offset(parameter: String, total: String?)
        /// Page number in query `parameter`, counted from `first`.
        case page(parameter: String, first: Int)
    }

    /// Reading an object page by page.
    public struct ListSpec: Sendable {
        public var path: String
        /// Path of the record array ('' = the reply is the array).
        public var records: String
        public var pageSizeParameter: String
        public var pageSizeMax: Int
        public var pagination: Pagination
        /// Query parameter and value template (`{since}`) of the server-side incremental filter.
        public var modifiedSince: (parameter: String, value: String)?
        /// Fixed query parameters.
        public var query: [(String, String)]
    }

    /// How a write request is shaped.
    public enum WriteShape: String, Sendable, Hashable {
        case single, array, wrapped
    }

    /// How a write reply reports on each record.
    public enum Results: Sendable, Hashable {
        /// One record per request: these statuses mean created / updated / a repeat the platform
        /// dropped; other 4xx replies are rejections. No `updated` statuses: a create-only endpoint.
        case status(created: [Int], updated: [Int], duplicate: [Int], id: String?)
        /// Lists of created, updated and failed items, matched to records by the key at `key`.
        case byKey(
            key: String, created: String, updated: String, errors: String, id: String?, errorCode: String?,
            errorMessage: String?, errorField: String?)
        /// One result per record at `at`, in input order; `error` present marks a rejection.
        case inOrder(
            at: String, id: String?, error: String?, errorCode: String?, errorMessage: String?, errorField: String?,
            created: String?)
        /// A 2xx reply means every record was accepted (write-only event APIs).
        case accepted
    }

    /// Writing records.
    public struct WriteSpec: Sendable {
        public var method: String
        public var path: String
        public var shape: WriteShape
        /// wrapped: path of the array; single: path of the record ('' = the body).
        public var records: String
        /// Where a record's fields go inside an item.
        public var itemFieldsAt: String
        /// Members every item carries.
        public var itemConstants: [(String, JSONValue)]
        /// Members every body carries.
        public var constants: [(String, JSONValue)]
        public var results: Results
    }

    /// Reading one record by a field.
    public struct FindSpec: Sendable {
        public var path: String
        public var query: [(String, String)]
        /// Path of the matching records; nil when the reply is the record.
        public var records: String?
        /// Schema fields lookups may use.
        public var fields: [String]
        public var notFoundStatuses: [Int]
    }

    /// One object of the platform.
    public struct ObjectSpec: Sendable {
        public var name: String
        /// The bundled schema file, relative to the project root.
        public var schemaPath: String
        /// The schema, loaded and checked.
        public var schema: Schema
        /// Path of the record id inside an item.
        public var id: String
        /// Path of the fields inside an item.
        public var fieldsAt: String
        public var modifiedField: String?
        public var list: ListSpec?
        public var write: WriteSpec?
        public var find: FindSpec?
    }

    public var platform: String
    public var label: String?
    public var docs: [String]
    public var baseURL: String?
    public var parameters: [String]
    public var auth: Auth
    public var headers: [(String, String)]
    public var errors: ErrorShape
    public var objects: [ObjectSpec]

    /// The object named `name`.
    public func object(_ name: String) -> ObjectSpec? { objects.first { $0.name == name } }
}

/// Dotted paths into JSON values: `errors.0.detail`; the empty path is the value itself.
public enum SpecPath {
    /// The value at `path`.
    public static func get(_ value: JSONValue, _ path: String) -> JSONValue? {
        if path.isEmpty { return value }
        var current = value
        for part in path.split(separator: ".", omittingEmptySubsequences: false) {
            if case .array(let items) = current, let index = Int(part) {
                guard index >= 0, index < items.count else { return nil }
                current = items[index]
            } else if let next = current[String(part)] {
                current = next
            } else {
                return nil
            }
        }
        return current
    }

    /// `value` with `new` stored at `path` (objects created on the way; a number makes an array index).
    public static func set(_ value: JSONValue, _ path: String, _ new: JSONValue) -> JSONValue {
        guard !path.isEmpty else { return new }
        let parts = path.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        return set(value, parts[...], new)
    }

    private static func set(_ value: JSONValue, _ parts: ArraySlice<String>, _ new: JSONValue) -> JSONValue {
        guard let head = parts.first else { return new }
        let rest = parts.dropFirst()
        if let index = Int(head), index >= 0, index < 1000 {
            var items = value.arrayValue ?? []
            while items.count <= index { items.append(.null) }
            items[index] = set(items[index], rest, new)
            return .array(items)
        }
        var pairs = value.objectValue ?? []
        if let i = pairs.firstIndex(where: { $0.0 == head }) {
            pairs[i].1 = set(pairs[i].1, rest, new)
        } else {
            pairs.append((head, set(.null, rest, new)))
        }
        return .object(pairs)
    }
}
