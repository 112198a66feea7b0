import MapDSL

/// Limits on a form body, so a hostile one is a clear refusal rather than a stack overflow or a
/// quadratic build-up.
public struct FormLimits: Sendable, Hashable {
    /// Most `name=value` fields in one body.
    public var maxFields: Int
    /// Longest field name, in bytes after decoding.
    public var maxKeyBytes: Int
    /// Most levels of one bracketed name: `data[merges][EMAIL]` has 3.
    public var maxDepth: Int

    /// Creates limits; the defaults are far above what Mailchimp and Mandrill send (a Mailchimp
    /// profile event has a few dozen fields at most 5 levels deep; Mandrill sends one field).
    public init(maxFields: Int = 1000, maxKeyBytes: Int = 256, maxDepth: Int = 16) {
        self.maxFields = maxFields
        self.maxKeyBytes = maxKeyBytes
        self.maxDepth = maxDepth
    }
}

/// Why a form body was refused. The message quotes no body content.
public enum FormError: Error, Sendable, Hashable, CustomStringConvertible {
    /// A `%` escape is malformed or the decoded bytes are not UTF-8.
    case malformed
    /// More fields than the limit.
    case tooManyFields(limit: Int)
    /// A field name longer than the limit.
    case keyTooLong(limit: Int)
    /// A bracketed name nested deeper than the limit.
    case tooDeep(limit: Int)

    public var description: String {
        switch self {
        case .malformed: "body is not a valid form encoding"
        case .tooManyFields(let limit): "form body has more than \(limit) fields"
        case .keyTooLong(let limit): "form field name longer than \(limit) bytes"
        case .tooDeep(let limit): "form field name nested more than \(limit) levels deep"
        }
    }
}

/// `application/x-www-form-urlencoded` bodies, with PHP-style bracketed keys (`data[merges][EMAIL]`).
public enum FormDecoder {
    /// The decoded key/value pairs in body order (`+` is a space, `%XX` a byte); nil when a `%`
    /// escape is malformed, the text is not UTF-8 or a limit is exceeded.
    public static func pairs(_ body: String, limits: FormLimits = FormLimits()) -> [(key: String, value: String)]? {
        try? decode(body, limits: limits)
    }

    /// The decoded key/value pairs in body order, within `limits` (field count and name length).
    public static func decode(_ body: String, limits: FormLimits = FormLimits()) throws(FormError) -> [(key: String, value: String)] {
        var out: [(key: String, value: String)] = []
        for part in body.split(separator: "&", omittingEmptySubsequences: true) {
            guard out.count < limits.maxFields else { throw .tooManyFields(limit: limits.maxFields) }
            let kv = part.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard let key = decode(kv[0]) else { throw .malformed }
            guard key.utf8.count <= limits.maxKeyBytes else { throw .keyTooLong(limit: limits.maxKeyBytes) }
            guard let value = kv.count > 1 ? decode(kv[1]) : "" else { throw .malformed }
            out.append((key, value))
        }
        return out
    }

    /// Splits a bracketed key into its path: `data[merges][EMAIL]` → `["data", "merges", "EMAIL"]`.
    public static func path(_ key: String) -> [String] {
        guard let open = key.firstIndex(of: "[") else { return [key] }
        var parts = [String(key[..<open])]
        var rest = key[open...]
        while rest.first == "[", let close = rest.firstIndex(of: "]") {
            parts.append(String(rest[rest.index(after: rest.startIndex)..<close]))
            rest = rest[rest.index(after: close)...]
        }
        if !rest.isEmpty { parts[parts.count - 1] += String(rest) }
        return parts
    }

    /// The pairs as nested JSON objects following the bracketed paths (later duplicates win); a
    /// name with more than `limits.maxDepth` levels is refused before anything is built.
    public static func nested(_ pairs: [(key: String, value: String)], limits: FormLimits = FormLimits()) throws(FormError) -> JSONValue {
        var root: JSONValue = .object([])
        for (key, value) in pairs {
            let path = path(key)
            guard path.count <= limits.maxDepth else { throw .tooDeep(limit: limits.maxDepth) }
            insert(&root, path: path[...], value: .string(value))
        }
        return root
    }

    /// Recursion is bounded by the path length, which ``nested(_:limits:)`` checks first.
    private static func insert(_ node: inout JSONValue, path: ArraySlice<String>, value: JSONValue) {
        guard let head = path.first else {
            node = value
            return
        }
        var pairs = node.objectValue ?? []
        if let i = pairs.firstIndex(where: { $0.0 == head }) {
            insert(&pairs[i].1, path: path.dropFirst(), value: value)
        } else {
            var child: JSONValue = .object([])
            insert(&child, path: path.dropFirst(), value: value)
            pairs.append((head, child))
        }
        node = .object(pairs)
    }

    private static func decode(_ text: Substring) -> String? {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.utf8.count)
        var it = Array(text.utf8)[...]
        while let b = it.popFirst() {
            switch b {
            case UInt8(ascii: "+"): bytes.append(UInt8(ascii: " "))
            case UInt8(ascii: "%"):
                guard it.count >= 2, let hi = hexValue(it.removeFirst()), let lo = hexValue(it.removeFirst()) else { return nil }
                bytes.append(hi << 4 | lo)
            default: bytes.append(b)
            }
        }
        return String(validating: bytes, as: UTF8.self)
    }

    private static func hexValue(_ b: UInt8) -> UInt8? {
        switch b {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): b - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): b - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): b - UInt8(ascii: "A") + 10
        default: nil
        }
    }

    /// Percent-encodes `text` for a form body or query (RFC 3986 unreserved characters stay).
    public static func encode(_ text: String) -> String {
        var out = ""
        for b in text.utf8 {
            switch b {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
                out.append(Character(Unicode.Scalar(b)))
            default:
                let digits = Array("0123456789ABCDEF")
                out += "%" + String(digits[Int(b >> 4)]) + String(digits[Int(b & 0x0F)])
            }
        }
        return out
    }
}
