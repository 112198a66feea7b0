import Foundation
import HTTPServer

/// Request-body content codings (`Content-Encoding`) and what the sandbox does with them.
///
/// Each emulator names the codings its platform documents or is known to accept
/// (``Emulator/requestCodings``); a body in any other coding is refused with 415, a body that does not
/// decode with 400, and one that would inflate past ``SandboxOptions/maxInflatedBodyBytes`` with 413
/// (each in the platform's error shape, see ``Emulator/bodyRefused(_:)``).
enum ContentCoding: String, Sendable, CaseIterable {
    case gzip
    case deflate

    /// At most this many codings are undone for one body (`gzip, gzip, …` cannot multiply the work).
    static let maximumLayers = 2

    /// Why a request body was not decoded.
    enum Refusal: Error, Sendable, Equatable {
        /// A coding the platform does not accept (the name as sent).
        case unsupported(String)
        /// The body is not valid data in its declared coding.
        case corrupt(ContentCoding)
        /// Inflating would exceed the limit (in bytes).
        case tooLarge(limit: Int)

        /// The HTTP status the sandbox answers with.
        var status: Int {
            switch self {
            case .unsupported: 415
            case .corrupt: 400
            case .tooLarge: 413
            }
        }

        /// A one-line explanation for error bodies.
        var message: String {
            switch self {
            case .unsupported(let name): "Content-Encoding '\(name)' is not supported for request bodies"
            case .corrupt(let coding): "The request body is not valid \(coding.rawValue) data"
            case .tooLarge(let limit): "The request body inflates past \(limit) bytes"
            }
        }
    }

    /// `request` with its body decoded and `Content-Encoding` removed, or the refusal.
    ///
    /// Codings are undone last-applied first; `identity` is skipped and `x-gzip` is `gzip` (RFC 9110).
    static func decode(_ request: Request, accepting accepted: Set<ContentCoding>, limit: Int)
        -> Result<Request, Refusal>
    {
        let declared = request.headerFields.filter { $0.name == "content-encoding" }
        guard !declared.isEmpty else { return .success(request) }
        let names = declared.flatMap { $0.value.split(separator: ",") }
            .map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
            .filter { !$0.isEmpty && $0 != "identity" }
        guard names.count <= maximumLayers else { return .failure(.unsupported(names.joined(separator: ", "))) }
        var codings: [ContentCoding] = []
        for name in names {
            guard let coding = ContentCoding(rawValue: name == "x-gzip" ? "gzip" : name), accepted.contains(coding)
            else { return .failure(.unsupported(name)) }
            codings.append(coding)
        }
        var body = request.body
        for coding in codings.reversed() {
            switch Inflater.inflate(body, format: coding == .gzip ? .gzip : .deflate, limit: limit) {
            case .success(let inflated): body = inflated
            case .failure(.corrupt): return .failure(.corrupt(coding))
            case .failure(.tooLarge): return .failure(.tooLarge(limit: limit))
            }
        }
        return .success(
            Request(
                method: request.method, path: request.path, queryItems: request.queryItems,
                headerFields: request.headerFields.filter { $0.name != "content-encoding" }, body: body,
                pathParameters: request.pathParameters))
    }
}
