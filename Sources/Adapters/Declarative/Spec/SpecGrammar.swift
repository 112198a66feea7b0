/// The shape of an adapter spec file, as data: the checker walks it, and the JSON Schema
/// (`adapters/mapc-adapter.schema.json`) is generated from it, so the two cannot disagree.
public indirect enum SpecType: Sendable {
    case string
    case integer
    case boolean
    /// Any JSON value.
    case any
    /// One of these strings.
    case oneOf([String])
    /// An object with known members.
    case object(SpecShape)
    case array(SpecType)
    /// An object whose keys are free and whose values have one type.
    case map(SpecType)

    /// How the type is named in messages.
    public var name: String {
        switch self {
        case .string, .oneOf: "string"
        case .integer: "integer"
        case .boolean: "boolean"
        case .any: "value"
        case .object: "object"
        case .array: "array"
        case .map: "object"
        }
    }
}

/// One member an object may have.
public struct SpecField: Sendable {
    /// The key.
    public var name: String
    /// Its type.
    public var type: SpecType
    /// Whether it must be given.
    public var required: Bool
    /// One line for the JSON Schema's description.
    public var doc: String

    init(_ name: String, _ type: SpecType, required: Bool = false, _ doc: String) {
        self.name = name
        self.type = type
        self.required = required
        self.doc = doc
    }
}

/// An object's members; a tagged object also has variants chosen by its `type` member, each using
/// some of the members.
public struct SpecShape: Sendable {
    /// Name used in messages (`auth`, `pagination`).
    public var name: String
    /// Every member any variant may use.
    public var fields: [SpecField]
    /// For tagged objects: variant name → (required members, optional members), besides `type`.
    public var variants: [(name: String, required: [String], optional: [String])]

    init(_ name: String, _ fields: [SpecField], variants: [(name: String, required: [String], optional: [String])] = []) {
        self.name = name
        self.fields = fields
        self.variants = variants
    }

    /// The member named `name`.
    public func field(_ name: String) -> SpecField? { fields.first { $0.name == name } }

    /// The variant named `name`.
    public func variant(_ name: String) -> (name: String, required: [String], optional: [String])? {
        variants.first { $0.name == name }
    }
}

/// The grammar of `mapc-adapter/1`.
public enum SpecGrammar {
    /// The `format` value of this version.
    public static let format = "mapc-adapter/1"

    static let statuses = SpecType.array(.integer)

    /// `auth`: how the credential travels.
    public static let auth = SpecShape(
        "auth",
        [
            SpecField("type", .oneOf(["bearer", "header", "query", "basic", "oauth2"]), required: true, "How the credential is sent."),
            SpecField("header", .string, "header: the header name (e.g. Authorization, X-API-Key)."),
            SpecField("prefix", .string, "header: text before the credential (e.g. 'Klaviyo-API-Key ')."),
            SpecField("parameter", .string, "query: the query parameter carrying the credential."),
            SpecField("user", .string, "basic: the user name template ({credential} or a parameter)."),
            SpecField("password", .string, "basic: the password template."),
            SpecField("tokenPath", .string, "oauth2: the token endpoint path (client-credentials grant)."),
            SpecField("clientId", .string, "oauth2: the client id template (the credential is the client secret)."),
            SpecField("scope", .string, "oauth2: the scope asked for, if any."),
        ],
        variants: [
            ("bearer", [], []), ("header", ["header"], ["prefix"]), ("query", ["parameter"], []),
            ("basic", ["user", "password"], []), ("oauth2", ["tokenPath", "clientId"], ["scope"]),
        ])

    /// `errors`: the platform's error reply and which failures pass.
    public static let errors = SpecShape(
        "errors",
        [
            SpecField("message", .string, "Path of the message in an error reply (e.g. errors.0.detail)."),
            SpecField("code", .string, "Path of the error code in an error reply."),
            SpecField("field", .string, "Path of the field the platform blames."),
            SpecField("transientStatuses", statuses, "Statuses worth retrying (besides 5xx and 408)."),
            SpecField("rateLimitStatuses", statuses, "Statuses meaning 'slow down' (default [429])."),
            SpecField("retryAfterHeader", .string, "Header giving seconds to wait (default Retry-After)."),
        ])

    /// `list.pagination`: how pages follow each other.
    public static let pagination = SpecShape(
        "pagination",
        [
            SpecField(
                "type", .oneOf(["cursor", "nextURL", "linkHeader", "offset", "page"]), required: true, "The pagination style."),
            SpecField("cursor", .string, "cursor: path of the next cursor in the reply body."),
            SpecField("parameter", .string, "cursor/offset/page: the query parameter carrying it."),
            SpecField("next", .string, "nextURL: path of the next page's URL in the reply body."),
            SpecField("total", .string, "offset: path of the total record count, if given."),
            SpecField("first", .integer, "page: the first page's number (default 1)."),
        ],
        variants: [
            ("cursor", ["cursor", "parameter"], []), ("nextURL", ["next"], []), ("linkHeader", [], []),
            ("offset", ["parameter"], ["total"]), ("page", ["parameter"], ["first"]),
        ])

    /// `list`: reading an object page by page.
    public static let list = SpecShape(
        "list",
        [
            SpecField("path", .string, required: true, "The list endpoint (templates: connection parameters)."),
            SpecField("records", .string, "Path of the record array in the reply ('' when the reply is the array)."),
            SpecField(
                "pageSize",
                .object(
                    SpecShape(
                        "pageSize",
                        [
                            SpecField("parameter", .string, required: true, "Query parameter of the page size."),
                            SpecField("max", .integer, required: true, "Largest page the platform serves."),
                        ])), required: true, "The page size parameter and its maximum."),
            SpecField("pagination", .object(pagination), required: true, "How pages follow each other."),
            SpecField(
                "modifiedSince",
                .object(
                    SpecShape(
                        "modifiedSince",
                        [
                            SpecField("parameter", .string, required: true, "Query parameter of the incremental filter."),
                            SpecField("value", .string, "Its value template with {since} (default '{since}')."),
                        ])), "Server-side incremental filter; without it records are filtered after reading."),
            SpecField("query", .map(.string), "Fixed query parameters (sorting by modification time, e.g.)."),
        ])

    /// `write.results`: how the reply reports on each record.
    public static let results = SpecShape(
        "results",
        [
            SpecField("type", .oneOf(["status", "byKey", "inOrder", "accepted"]), required: true, "How results are reported."),
            SpecField(
                "created", .any, "status: statuses meaning created; byKey: path of the created list; inOrder: path of a created flag."),
            SpecField("updated", .any, "status: statuses meaning updated (none: a create-only endpoint); byKey: path of the updated list."),
            SpecField("duplicate", statuses, "status: statuses meaning the platform already has the record and dropped the repeat (409)."),
            SpecField("errors", .string, "byKey: path of the error list."),
            SpecField("key", .string, "byKey: path of the record key inside listed items."),
            SpecField("at", .string, "inOrder: path of the result array (one per record, in input order)."),
            SpecField("id", .string, "Path of the platform's record id inside a result."),
            SpecField("error", .string, "inOrder: path whose presence marks a rejected record."),
            SpecField("errorCode", .string, "Path of a rejection's code inside an error item."),
            SpecField("errorMessage", .string, "Path of a rejection's message inside an error item."),
            SpecField("errorField", .string, "Path of the blamed field inside an error item."),
        ],
        variants: [
            ("status", ["created"], ["updated", "duplicate", "id"]),
            ("byKey", ["key", "created", "updated", "errors"], ["id", "errorCode", "errorMessage", "errorField"]),
            ("inOrder", ["at"], ["id", "error", "errorCode", "errorMessage", "errorField", "created"]),
            ("accepted", [], []),
        ])

    /// `write`: sending records.
    public static let write = SpecShape(
        "write",
        [
            SpecField("method", .oneOf(["POST", "PUT", "PATCH"]), required: true, "HTTP method."),
            SpecField("path", .string, required: true, "The write endpoint ({key} and parameters allowed)."),
            SpecField(
                "shape", .oneOf(["single", "array", "wrapped"]), required: true,
                "One record per request, a bare array, or an array inside an object."),
            SpecField("records", .string, "wrapped: path of the record array; single: path of the record ('' = the body)."),
            SpecField(
                "item",
                .object(
                    SpecShape(
                        "item",
                        [
                            SpecField("fieldsAt", .string, "Path under which a record's fields go ('' = the item itself)."),
                            SpecField("constants", .map(.any), "Members every item carries (paths → values)."),
                        ])), "How one record is shaped."),
            SpecField("constants", .map(.any), "Members every request body carries (paths → values)."),
            SpecField("results", .object(results), required: true, "How the reply reports on each record."),
        ])

    /// `find`: reading one record by a field, for lookups.
    public static let find = SpecShape(
        "find",
        [
            SpecField("path", .string, required: true, "The endpoint ({field}, {value}, parameters allowed)."),
            SpecField("query", .map(.string), "Query parameters ({field}, {value} allowed)."),
            SpecField("records", .string, "Path of the matching records in the reply (absent: the reply is the record)."),
            SpecField("fields", .array(.string), required: true, "Schema fields that lookups may use."),
            SpecField("notFoundStatuses", statuses, "Statuses meaning 'no such record' (default [404])."),
        ])

    /// One entry of `objects`.
    public static let object = SpecShape(
        "object",
        [
            SpecField("name", .string, required: true, "The object's name in mappings (platform.object)."),
            SpecField("schema", .string, required: true, "The bundled schema file, relative to the project root."),
            SpecField("id", .string, required: true, "Path of the platform's record id inside an item."),
            SpecField("fieldsAt", .string, "Path of the fields inside an item ('' = the item itself)."),
            SpecField("modifiedField", .string, "Schema field holding the last-modified time (incremental reads)."),
            SpecField("list", .object(list), "Reading the object page by page."),
            SpecField("write", .object(write), "Writing records."),
            SpecField("find", .object(find), "Lookups by a field."),
        ])

    /// The whole file.
    public static let root = SpecShape(
        "spec",
        [
            SpecField("$schema", .string, "The JSON Schema of this format (for editors)."),
            SpecField("format", .oneOf([format]), required: true, "The spec format and version."),
            SpecField("platform", .string, required: true, "The platform name (lower case, as in schemas/ and ratelimits/)."),
            SpecField("label", .string, "Display name."),
            SpecField("docs", .array(.string), "The public documentation the spec follows."),
            SpecField("baseURL", .string, "The API root when the connection gives none."),
            SpecField("parameters", .array(.string), "Connection parameters the templates use (MAPC_<PLATFORM>_<NAME>)."),
            SpecField("auth", .object(auth), required: true, "How requests authenticate."),
            SpecField("headers", .map(.string), "Headers sent with every request (API version, e.g.)."),
            SpecField("errors", .object(errors), "The platform's error reply and transient failures."),
            SpecField("objects", .array(.object(object)), required: true, "The objects the platform serves."),
        ])

    /// Template names every template may use, besides the spec's parameters.
    static let filters = ["lower", "md5lower"]
}
