import Foundation
import HTTPServer

/// What every emulator is built from.
struct EmulatorContext: Sendable {
    let platform: SandboxPlatform
    let options: SandboxOptions
    let credential: String
    let schemas: [String: ObjectSchema]
    /// Seed records by object name.
    let samples: [String: SampleRows]
    let clock: @Sendable () -> Date
}

/// One platform's emulation: its routes, auth rule and the shapes of its error replies.
///
/// The shared pipeline (``SandboxPipeline``) calls these in order: faults, the body's content coding
/// (``requestCodings``, ``bodyRefused(_:)``), ``refuseUnauthenticated(_:)``, rate limits
/// (``rateLimited(_:)``), payload size (``payloadTooLarge(limit:size:)``), then the routes;
/// ``limitHeaders(_:)`` decorates every reply that passed authentication.
protocol Emulator: Sendable {
    /// The records this emulator serves (seeded from samples).
    var store: RecordStore { get }
    /// Adds the platform's routes.
    func register(on router: inout Router)
    /// `nil` when the request carries valid credentials, else the platform's refusal.
    func refuseUnauthenticated(_ request: Request) -> Response?
    /// The platform's "slow down" reply; `nil` refusal means an injected 429 storm.
    func rateLimited(_ refusal: LimitRefusal?) -> Response
    /// The platform's reply for an injected server error.
    func serverError(status: Int) -> Response
    /// The platform's reply for a body over its payload limit.
    func payloadTooLarge(limit: Int, size: Int) -> Response
    /// Headers the platform adds to every reply about its limits.
    func limitHeaders(_ usage: LimitUsage) -> [(name: String, value: String)]
    /// Called after a reset of the store, to clear emulator-private state (cursors, dedup sets).
    func didReset()
    /// The `Content-Encoding`s the platform decodes on request bodies; every other one is refused.
    var requestCodings: Set<ContentCoding> { get }
    /// The platform's reply for a body that is not decoded (415, 400 or 413, see ``ContentCoding/Refusal``).
    func bodyRefused(_ refusal: ContentCoding.Refusal) -> Response
    /// The platform's reply for a known path asked with another method; `allowed` lists the methods it takes.
    func methodNotAllowed(_ request: Request, allowed: String) -> Response
    /// Adds the emulator's own `/_sandbox/*` control routes (no auth, no faults), before the shared ones.
    func registerControl(on router: inout Router)
}

extension Emulator {
    func limitHeaders(_ usage: LimitUsage) -> [(name: String, value: String)] { [] }
    func didReset() {}
    func registerControl(on router: inout Router) {}
    /// No compressed bodies unless the platform documents (or its own libraries send) them.
    var requestCodings: Set<ContentCoding> { [] }
}

extension Response {
    /// A JSON reply from a ``JSONValue``.
    static func json(_ value: JSONValue, status: Int = 200, contentType: String = "application/json;charset=utf-8")
        -> Response
    {
        .json(value.serialized(), status: status, contentType: contentType)
    }

    /// A JSON reply from already-serialised bytes, with the sandbox's JSON content type.
    static func json(bytes: [UInt8], status: Int = 200, contentType: String = "application/json;charset=utf-8")
        -> Response
    {
        .json(Data(bytes), status: status, contentType: contentType)
    }
}

extension Request {
    /// The body parsed as JSON, or `nil`.
    var jsonBody: JSONValue? {
        JSONValue.parse(body)
    }

    /// The credentials of a `Basic` authorization header as (user, password), or `nil`.
    var basicCredentials: (user: String, password: String)? {
        guard let header = header("Authorization"), header.lowercased().hasPrefix("basic ") else { return nil }
        let encoded = header.dropFirst(6).trimmingCharacters(in: .whitespaces)
        guard let data = Data(base64Encoded: encoded) else { return nil }
        let text = String(decoding: data, as: UTF8.self)
        guard let colon = text.firstIndex(of: ":") else { return nil }
        return (String(text[..<colon]), String(text[text.index(after: colon)...]))
    }

    /// The token of a `Bearer` authorization header, or `nil`.
    var bearerToken: String? {
        guard let header = header("Authorization") else { return nil }
        switch BearerHeader(header) {
        case .token(let token): return token
        case .other: return nil
        case .undecided:
            guard header.lowercased().hasPrefix("bearer ") else { return nil }
            return header.dropFirst(7).trimmingCharacters(in: .whitespaces)
        }
    }
}

/// An `Authorization` header read over bytes where that gives the answer the character rules give
/// (a case-insensitive `bearer ` prefix, the rest trimmed of spaces and tabs), so the usual header
/// costs no Foundation calls.
private enum BearerHeader {
    case token(String)
    /// Not a bearer token.
    case other
    /// Non-ASCII where it matters, or whitespace to trim: decide by characters.
    case undecided

    init(_ header: String) {
        let bytes = Array(header.utf8)
        let prefix = Array("bearer ".utf8)
        guard bytes.prefix(prefix.count + 1).allSatisfy({ $0 < 0x80 }) else {
            self = .undecided
            return
        }
        // ASCII letters fold by setting bit 5; the space must match as it is.
        guard bytes.count >= prefix.count,
            zip(bytes, prefix).allSatisfy({ byte, wanted in (wanted == 0x20 ? byte : byte | 0x20) == wanted })
        else {
            self = .other
            return
        }
        let token = bytes[prefix.count...]
        guard let first = token.first, let last = token.last else {
            self = .token("")
            return
        }
        if first >= 0x80 || last >= 0x80 || first == 0x20 || first == 0x09 || last == 0x20 || last == 0x09 {
            self = .undecided
        } else {
            self = .token(String(decoding: token, as: UTF8.self))
        }
    }
}

/// A random-looking but deterministic UUID string from a number (correlation ids, request ids).
func sandboxUUID(_ number: Int) -> String {
    let hex = String(number, radix: 16)
    let padded = String(repeating: "0", count: max(0, 12 - hex.count)) + hex
    return "5a4db0c5-0000-4000-8000-\(padded.suffix(12))"
}
