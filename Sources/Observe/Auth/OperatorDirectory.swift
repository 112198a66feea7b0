import Crypto
import Foundation

/// The operators the console knows, read from the operators file and read again whenever the file
/// changes, so `mapc operators add` and `remove` take effect on a running `mapc serve` (a removed
/// operator's sessions end at their next request).
///
/// Password checks cost a PBKDF2 derivation each (about half a second of CPU at the default
/// iterations); at most ``concurrentChecks`` run at once and further attempts are told to wait, so
/// guessing cannot take the server's CPU.
public final class OperatorDirectory: @unchecked Sendable {
    /// Password checks allowed to run at once.
    public static let concurrentChecks = 2

    /// The outcome of a password check.
    public enum Verdict: Sendable, Equatable {
        /// The name and password match this operator.
        case accepted(OperatorRecord)
        /// Unknown name, no password set, or wrong password (not told apart).
        case refused
        /// Too many checks are running; try again shortly.
        case busy
    }

    private let path: String?
    private let lock = NSLock()
    private var stamp = ""
    private var records: [String: OperatorRecord] = [:]
    private var error: String?
    private let checks = DispatchSemaphore(value: OperatorDirectory.concurrentChecks)

    /// The operators of the file at `path`.
    public init(path: String) {
        self.path = path
    }

    /// A fixed set of operators (tests).
    public init(records: [OperatorRecord]) {
        path = nil
        self.records = Dictionary(records.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
    }

    /// The file's path, when the operators come from a file.
    public var filePath: String? { path }

    /// Why the file could not be read the last time it changed (then nobody can sign in), or nil.
    public var loadError: String? {
        _ = current()
        return lock.withLock { error }
    }

    /// The operators now, by name.
    public func current() -> [String: OperatorRecord] {
        guard let path else { return lock.withLock { records } }
        let attributes = try? FileManager.default.attributesOfItem(atPath: path)
        let now =
            attributes.map {
                "\(($0[.size] as? NSNumber)?.int64Value ?? -1)@\(($0[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0)@\(($0[.posixPermissions] as? NSNumber)?.intValue ?? 0)"
            } ?? "absent"
        return lock.withLock {
            if now != stamp {
                do {
                    let file = try OperatorFile.load(path: path)
                    records = Dictionary(file.operators.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
                    error = nil
                } catch {
                    // Fail closed: a file that cannot be trusted admits nobody.
                    records = [:]
                    self.error = "\(error)"
                }
                stamp = now
            }
            return records
        }
    }

    /// The operator called `name`, if it still exists.
    public func record(_ name: String) -> OperatorRecord? { current()[name] }

    /// Checks `password` for operator `name`.
    public func authenticate(name: String, password: String) -> Verdict {
        guard checks.wait(timeout: .now()) == .success else { return .busy }
        defer { checks.signal() }
        guard password.utf8.count <= 1024 else { return .refused }
        let operators = current()
        guard let record = operators[name], let hash = record.password else {
            // An unknown name costs as long as a wrong password: one derivation with the iterations
            // of the operators' hashes, so the answer's timing does not tell which names exist.
            let iterations = operators.values.compactMap(\.password?.iterations).max() ?? PasswordHash.minimumIterations
            _ = PasswordHash.derive(password, salt: SecureRandom.bytes(16), iterations: iterations)
            return .refused
        }
        return hash.verify(password) ? .accepted(record) : .refused
    }

    /// The operator one of whose API tokens is `token`.
    public func bearer(_ token: String) -> OperatorRecord? {
        guard token.hasPrefix(APIToken.prefix), token.utf8.count <= 256 else { return nil }
        let digest = APIToken.digest(token)
        var found: OperatorRecord?
        for record in current().values.sorted(by: { $0.name < $1.name }) {
            for stored in record.tokens where ConstantTimeCompare.equals(stored, digest) { found = record }
        }
        return found
    }
}
