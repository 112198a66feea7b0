import Foundation
import MapDSL
import SyncEngine

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// One HTTP request as the adapters build it.
struct HTTPRequest: Sendable {
    var method: String
    var url: URL
    var headers: [(String, String)] = []
    var body: Data?
}

/// One HTTP response.
struct HTTPResponse: Sendable {
    var status: Int
    var headers: [String: String]
    var body: Data

    /// A header by case-insensitive name.
    func header(_ name: String) -> String? {
        let lower = name.lowercased()
        return headers.first { $0.key.lowercased() == lower }?.value
    }

    /// The body as JSON, or nil.
    var json: JSONValue? {
        body.withUnsafeBytes { raw in try? JSONParser.parse(raw.bindMemory(to: UInt8.self)) }
    }

    /// The body as text, shortened for error messages.
    var snippet: String {
        let text = String(decoding: body.prefix(300), as: UTF8.self)
        return body.count > 300 ? text + "…" : text
    }
}

/// A blocking HTTP client over URLSession (libcurl on Linux). Transport failures are transient.
final class HTTPClient: Sendable {
    private let session: URLSession

    init(timeout: Double) {
        let configuration = URLSessionConfiguration.ephemeral
        configuration.timeoutIntervalForRequest = timeout
        configuration.timeoutIntervalForResource = timeout * 4
        configuration.httpMaximumConnectionsPerHost = 16
        configuration.requestCachePolicy = .reloadIgnoringLocalCacheData
        session = URLSession(configuration: configuration)
    }

    /// Sends `request` and waits for the reply. Error text names the host only, never the URL (query
    /// strings can hold credentials).
    func send(_ request: HTTPRequest) throws(AdapterError) -> HTTPResponse {
        var urlRequest = URLRequest(url: request.url)
        urlRequest.httpMethod = request.method
        for (name, value) in request.headers { urlRequest.setValue(value, forHTTPHeaderField: name) }
        urlRequest.httpBody = request.body
        // Some libcurl versions ask for `100 Continue` before large bodies and wait up to a second
        // for it; an empty Expect header turns that round trip off.
        if request.body != nil { urlRequest.setValue("", forHTTPHeaderField: "Expect") }
        final class Outcome: @unchecked Sendable {
            var data: Data?
            var response: URLResponse?
            var error: (any Error)?
        }
        let outcome = Outcome()
        let done = DispatchSemaphore(value: 0)
        let task = session.dataTask(with: urlRequest) { data, response, error in
            outcome.data = data
            outcome.response = response
            outcome.error = error
            done.signal()
        }
        task.resume()
        done.wait()
        let host = request.url.host ?? "the server"
        if let error = outcome.error {
            let code = (error as? URLError)?.code.rawValue ?? (error as NSError).code
            throw .transient("\(request.method) to \(host) failed (URL error \(code))")
        }
        guard let http = outcome.response as? HTTPURLResponse else {
            throw .transient("\(request.method) to \(host) got no HTTP response")
        }
        var headers: [String: String] = [:]
        for (name, value) in http.allHeaderFields {
            if let name = name as? String, let value = value as? String { headers[name] = value }
        }
        return HTTPResponse(status: http.statusCode, headers: headers, body: outcome.data ?? Data())
    }
}
