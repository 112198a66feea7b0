import Foundation
import MapDSL

/// What an operator may do in the console.
public enum OperatorRole: String, Sendable, Hashable, CaseIterable {
    /// Reads every page and `/metrics`; every action is refused.
    case readOnly = "read-only"
    /// Reads, and fixes, retries, resumes and cancels.
    case `operator`

    /// Whether the role may change anything.
    public var canAct: Bool {
        switch self {
        case .readOnly: false
        case .operator: true
        }
    }
}

/// One operator as stored: a name, a role, a password hash and the digests of API tokens.
public struct OperatorRecord: Sendable, Hashable {
    /// The name the audit trail records.
    public var name: String
    /// The role.
    public var role: OperatorRole
    /// The password hash, when the operator has a password.
    public var password: PasswordHash?
    /// SHA-256 digests of the operator's API tokens.
    public var tokens: [String]
    /// When the operator was added (ISO 8601).
    public var added: String

    /// Creates a record.
    public init(name: String, role: OperatorRole, password: PasswordHash?, tokens: [String] = [], added: String) {
        self.name = name
        self.role = role
        self.password = password
        self.tokens = tokens
        self.added = added
    }
}

/// Why the operators file cannot be read, written or changed; the message never holds a secret.
public struct OperatorFileError: Error, Sendable, CustomStringConvertible {
    /// One line.
    public let description: String
    /// What to do about it, when there is something.
    public let help: String?

    init(_ description: String, help: String? = nil) {
        self.description = description
        self.help = help
    }
}

/// The operators file (`mapc-operators/1`, JSON): who may use the console, with what role, and the
/// hashes of their passwords and tokens. It lives outside the project (never in a repository): by
/// default `$XDG_CONFIG_HOME/mapc/operators.json` (or `~/.config/mapc/operators.json`), readable
/// and writable by its owner only.
public struct OperatorFile: Sendable {
    /// The format tag.
    public static let format = "mapc-operators/1"
    /// Largest accepted file.
    public static let maxBytes = 1 << 20
    /// Most operators in one file.
    public static let maxOperators = 1000
    /// Most tokens per operator.
    public static let maxTokens = 20

    /// Where the file is.
    public let path: String
    /// The operators, in the order added.
    public private(set) var operators: [OperatorRecord]

    /// An empty file at `path` (not written until ``save()``).
    public init(path: String, operators: [OperatorRecord] = []) {
        self.path = path
        self.operators = operators
    }

    /// The default location for `environment`: `$MAPC_OPERATORS`, else `$XDG_CONFIG_HOME/mapc/operators.json`,
    /// else `$HOME/.config/mapc/operators.json`; nil when none of them is set.
    public static func defaultPath(environment: [String: String]) -> String? {
        if let explicit = environment["MAPC_OPERATORS"], !explicit.isEmpty { return explicit }
        if let config = environment["XDG_CONFIG_HOME"], config.hasPrefix("/") { return config + "/mapc/operators.json" }
        if let home = environment["HOME"], home.hasPrefix("/") { return home + "/.config/mapc/operators.json" }
        return nil
    }

    /// Whether `name` is a valid operator name: 1 to 64 letters, digits and `.`, `_`, `-`, `@`.
    public static func isValidName(_ name: String) -> Bool {
        !name.isEmpty && name.count <= 64
            && name.unicodeScalars.allSatisfy {
                $0.isASCII && (CharacterSet.alphanumerics.contains($0) || "._-@".unicodeScalars.contains($0))
            }
    }

    /// Reads the file at `path`; a missing file is an empty one. Refuses a file that others may
    /// write (anyone who can write it can make themselves an operator).
    public static func load(path: String) throws(OperatorFileError) -> OperatorFile {
        let fm = FileManager.default
        guard fm.fileExists(atPath: path) else { return OperatorFile(path: path) }
        let attributes: [FileAttributeKey: Any]
        do {
            attributes = try fm.attributesOfItem(atPath: path)
        } catch {
            throw OperatorFileError("cannot read the operators file \(path)")
        }
        let mode = (attributes[.posixPermissions] as? NSNumber)?.intValue ?? 0
        if mode & 0o022 != 0 {
            throw OperatorFileError(
                "the operators file \(path) may be written by other users (mode \(String(mode, radix: 8)))",
                help: "chmod 600 \(path)")
        }
        if let size = (attributes[.size] as? NSNumber)?.intValue, size > maxBytes {
            throw OperatorFileError("the operators file \(path) is larger than \(maxBytes) bytes")
        }
        guard let data = fm.contents(atPath: path) else { throw OperatorFileError("cannot read the operators file \(path)") }
        return try parse(Array(data), path: path)
    }

    /// Parses the file's bytes.
    public static func parse(_ bytes: [UInt8], path: String) throws(OperatorFileError) -> OperatorFile {
        func bad(_ why: String) -> OperatorFileError {
            OperatorFileError(
                "the operators file \(path) is not valid: \(why)", help: "fix it, or move it away and add the operators again")
        }
        guard bytes.count <= maxBytes else { throw bad("larger than \(maxBytes) bytes") }
        let json: JSONValue
        do {
            json = try JSONParser.parse(bytes)
        } catch {
            throw bad("not JSON")
        }
        guard json["format"]?.stringValue == format else { throw bad("\"format\" must be \"\(format)\"") }
        guard let list = json["operators"]?.arrayValue else { throw bad("\"operators\" must be a list") }
        guard list.count <= maxOperators else { throw bad("more than \(maxOperators) operators") }
        var out: [OperatorRecord] = []
        var names = Set<String>()
        for (i, item) in list.enumerated() {
            guard let name = item["name"]?.stringValue, isValidName(name) else { throw bad("operator \(i + 1) has no valid name") }
            guard names.insert(name).inserted else { throw bad("operator \(name) is listed twice") }
            guard let role = item["role"]?.stringValue.flatMap(OperatorRole.init(rawValue:)) else {
                throw bad("operator \(name) has no valid role (operator or read-only)")
            }
            var password: PasswordHash?
            if let encoded = item["password"]?.stringValue {
                guard let hash = PasswordHash(encoded: encoded) else {
                    throw bad("operator \(name) has a password hash this version cannot read")
                }
                password = hash
            }
            let tokens = (item["tokens"]?.arrayValue ?? []).compactMap(\.stringValue)
            guard tokens.count <= maxTokens, tokens.allSatisfy({ $0.count == 64 && $0.allSatisfy(\.isHexDigit) }) else {
                throw bad("operator \(name) has invalid token digests")
            }
            out.append(
                OperatorRecord(name: name, role: role, password: password, tokens: tokens, added: item["added"]?.stringValue ?? ""))
        }
        return OperatorFile(path: path, operators: out)
    }

    /// The file's JSON text.
    public var text: String {
        JSONWriter.pretty(
            .object([
                ("format", .string(Self.format)),
                (
                    "operators",
                    .array(
                        operators.map { o in
                            var members: [(String, JSONValue)] = [("name", .string(o.name)), ("role", .string(o.role.rawValue))]
                            if let p = o.password { members.append(("password", .string(p.encoded))) }
                            if !o.tokens.isEmpty { members.append(("tokens", .array(o.tokens.map(JSONValue.string)))) }
                            members.append(("added", .string(o.added)))
                            return .object(members)
                        })
                ),
            ]))
    }

    /// Writes the file atomically, readable and writable by its owner only (its folder is created
    /// with mode 700 when missing).
    public func save() throws(OperatorFileError) {
        let fm = FileManager.default
        let folder = (path as NSString).deletingLastPathComponent
        do {
            if !folder.isEmpty, !fm.fileExists(atPath: folder) {
                try fm.createDirectory(atPath: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            }
            let temporary = path + ".tmp-\(getpid())"
            guard fm.createFile(atPath: temporary, contents: Data(text.utf8), attributes: [.posixPermissions: 0o600]) else {
                throw OperatorFileError("cannot write \(temporary)")
            }
            guard rename(temporary, path) == 0 else {
                try? fm.removeItem(atPath: temporary)
                throw OperatorFileError("cannot replace \(path)")
            }
        } catch let e as OperatorFileError {
            throw e
        } catch {
            throw OperatorFileError("cannot write the operators file \(path): \((error as NSError).localizedDescription)")
        }
    }

    /// The operator called `name`.
    public func record(_ name: String) -> OperatorRecord? {
        operators.first { $0.name == name }
    }

    /// Adds an operator, or replaces the password and role of an existing one when `replace` is set.
    public mutating func add(_ record: OperatorRecord, replace: Bool = false) throws(OperatorFileError) {
        guard Self.isValidName(record.name) else {
            throw OperatorFileError(
                "'\(record.name)' is not a valid operator name", help: "use 1 to 64 letters, digits and . _ - @")
        }
        if let i = operators.firstIndex(where: { $0.name == record.name }) {
            guard replace else {
                throw OperatorFileError(
                    "operator \(record.name) already exists", help: "pass --replace to set a new password or role")
            }
            var merged = record
            merged.tokens =
                record.tokens.isEmpty ? operators[i].tokens : Array((operators[i].tokens + record.tokens).suffix(Self.maxTokens))
            merged.added = operators[i].added
            operators[i] = merged
        } else {
            guard operators.count < Self.maxOperators else {
                throw OperatorFileError("the file already has \(Self.maxOperators) operators")
            }
            operators.append(record)
        }
    }

    /// Removes the operator called `name`; returns whether there was one.
    @discardableResult
    public mutating func remove(_ name: String) -> Bool {
        let before = operators.count
        operators.removeAll { $0.name == name }
        return operators.count != before
    }
}
