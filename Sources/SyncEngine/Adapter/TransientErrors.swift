import Foundation
import MapDSL

/// The per-record errors a platform documents as passing (a row locked by another transaction, a
/// per-record rate limit or server error inside a multi-status answer), read from
/// `platforms/<platform>/errors.json`. A record rejected with one of them is sent again inside the
/// run, with backoff, before it becomes a dead letter.
///
/// ```json
/// { "format": "mapc-errors/1", "platform": "salesforce",
///   "transient": [ { "code": "UNABLE_TO_LOCK_ROW", "source": "<where the platform documents it>", "note": "…" } ] }
/// ```
///
/// A rule names the per-record error `code` the platform sends, or the per-record HTTP `status`
/// (`"429"`, or a class such as `"5xx"`), and the documentation it comes from.
public struct TransientErrors: Sendable, Hashable {
    /// One transient error.
    public struct Rule: Sendable, Hashable {
        /// The platform's per-record error code, matched exactly.
        public var code: String?
        /// A per-record HTTP status (`429`) or status class (`5xx`).
        public var status: String?
        /// Where the platform documents that the error passes.
        public var source: String

        /// Creates a rule.
        public init(code: String? = nil, status: String? = nil, source: String) {
            self.code = code
            self.status = status
            self.source = source
        }

        func matches(code: String?, status: Int?) -> Bool {
            if let want = self.code, let code, want == code { return true }
            guard let want = self.status, let status else { return false }
            if want.count == 3, want.hasSuffix("xx"), let digit = want.first?.wholeNumberValue { return status / 100 == digit }
            return Int(want) == status
        }
    }

    /// The platform.
    public var platform: String
    /// Its transient errors.
    public var rules: [Rule]

    /// Creates a table.
    public init(platform: String, rules: [Rule]) {
        self.platform = platform
        self.rules = rules
    }

    /// Whether a per-record error with `code` (and, when the platform gives one, the per-record
    /// HTTP `status`) is transient.
    public func isTransient(code: String?, status: Int? = nil) -> Bool {
        rules.contains { $0.matches(code: code, status: status) }
    }

    /// The file's format tag.
    public static let format = "mapc-errors/1"
    /// The largest file read.
    static let maxBytes = 1 << 20

    /// Reads `<directory>/<platform>/errors.json`; a missing file means no transient errors.
    public static func load(platform: String, directory: String) throws(TransientErrorsError) -> TransientErrors {
        let path = (directory as NSString).appendingPathComponent("\(platform)/errors.json")
        guard FileManager.default.fileExists(atPath: path) else { return TransientErrors(platform: platform, rules: []) }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw TransientErrorsError(path: path, message: "cannot read the file")
        }
        guard data.count <= maxBytes else { throw TransientErrorsError(path: path, message: "larger than \(maxBytes) bytes") }
        let json: JSONValue
        do {
            json = try JSONParser.parse(Array(data))
        } catch {
            throw TransientErrorsError(path: path, message: "not valid JSON (\(error.description))")
        }
        return try parse(json, platform: platform, path: path)
    }

    /// Checks and reads a parsed file; `path` names it in errors.
    public static func parse(_ json: JSONValue, platform: String, path: String) throws(TransientErrorsError) -> TransientErrors {
        func fail(_ message: String) -> TransientErrorsError { TransientErrorsError(path: path, message: message) }
        guard json["format"]?.stringValue == format else { throw fail("`format` must be \"\(format)\"") }
        guard json["platform"]?.stringValue == platform else { throw fail("`platform` must be \"\(platform)\"") }
        guard let entries = json["transient"]?.arrayValue else { throw fail("`transient` must be an array of errors") }
        var rules: [Rule] = []
        for (i, entry) in entries.enumerated() {
            guard case .object = entry else { throw fail("transient[\(i)] must be an object") }
            let code = entry["code"]?.stringValue
            let status = entry["status"]?.stringValue
            guard code != nil || status != nil else { throw fail("transient[\(i)] needs a `code` or a `status`") }
            if let status, !Self.validStatus(status) {
                throw fail("transient[\(i)].status must be a status such as \"429\" or a class such as \"5xx\", not \"\(status)\"")
            }
            guard let source = entry["source"]?.stringValue, !source.isEmpty else {
                throw fail("transient[\(i)] needs `source`: where the platform documents that the error passes")
            }
            rules.append(Rule(code: code, status: status, source: source))
        }
        return TransientErrors(platform: platform, rules: rules)
    }

    private static func validStatus(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        guard bytes.count == 3, (UInt8(ascii: "1")...UInt8(ascii: "5")).contains(bytes[0]) else { return false }
        let digits = bytes[1...].allSatisfy { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }
        return digits || bytes[1...].allSatisfy { $0 == UInt8(ascii: "x") }
    }
}

/// A `platforms/<platform>/errors.json` that cannot be used: which file and what is wrong.
public struct TransientErrorsError: Error, Sendable, CustomStringConvertible {
    /// The file.
    public var path: String
    /// What is wrong.
    public var message: String

    public var description: String { "\(path): \(message)" }
}
