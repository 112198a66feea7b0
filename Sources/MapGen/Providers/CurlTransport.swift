import CCurl
import Foundation

/// ``HTTPTransport`` over libcurl's easy interface: `curl_easy_perform` waits for the endpoint in
/// `poll(2)`, so a slow or stalled model costs no CPU while mapc waits (FoundationNetworking's
/// `URLSession` kept a core busy for the whole wait, starving a local model on the same machine).
/// One handle per request: generation makes a handful of calls, each waiting seconds to minutes.
public struct CurlTransport: HTTPTransport {
    /// libcurl's one-time global set-up, run before the first handle is made.
    private static let initialised: Bool = mapc_curl_global_init() == CURLE_OK

    /// Creates a transport.
    public init() {}

    public func send(_ request: HTTPRequest, timeout: Double, maxBodyBytes: Int) throws(TransportFailure) -> HTTPResponse {
        guard Self.initialised, let easy = curl_easy_init() else { throw .connection("libcurl could not start a transfer") }
        defer { curl_easy_cleanup(easy) }
        let sink = ResponseSink(limit: maxBodyBytes)
        let context = Unmanaged.passUnretained(sink).toOpaque()
        var list: UnsafeMutablePointer<curl_slist>?
        for (name, value) in request.headers {
            list = curl_slist_append(list, value.isEmpty ? "\(name):" : "\(name): \(value)")
        }
        // No `Expect: 100-continue` round trip before big prompts.
        list = curl_slist_append(list, "Expect:")
        defer { curl_slist_free_all(list) }
        let milliseconds = max(1, Int((timeout * 1000).rounded(.up)))
        mapc_curl_set_string(easy, CURLOPT_URL, request.url)
        mapc_curl_set_long(easy, CURLOPT_NOSIGNAL, 1)
        mapc_curl_set_long(easy, CURLOPT_CONNECTTIMEOUT_MS, milliseconds)
        mapc_curl_set_long(easy, CURLOPT_TIMEOUT_MS, milliseconds)
        mapc_curl_set_long(easy, CURLOPT_FOLLOWLOCATION, 0)
        mapc_curl_set_string(easy, CURLOPT_ACCEPT_ENCODING, "")
        mapc_curl_set_string(easy, CURLOPT_USERAGENT, "mapc")
        mapc_curl_set_pointer(easy, CURLOPT_HTTPHEADER, list)
        mapc_curl_set_callback(easy, CURLOPT_WRITEFUNCTION, mapgenCurlBody)
        mapc_curl_set_pointer(easy, CURLOPT_WRITEDATA, context)
        mapc_curl_set_callback(easy, CURLOPT_HEADERFUNCTION, mapgenCurlHeader)
        mapc_curl_set_pointer(easy, CURLOPT_HEADERDATA, context)
        if request.method != "POST" { mapc_curl_set_string(easy, CURLOPT_CUSTOMREQUEST, request.method) }
        // libcurl wants an address even for an empty body; the bytes stay put for the whole transfer.
        let payload = request.body.isEmpty ? [0] : request.body
        let code = payload.withUnsafeBytes { raw in
            mapc_curl_set_size(easy, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(request.body.count))
            mapc_curl_set_pointer(easy, CURLOPT_POSTFIELDS, UnsafeMutableRawPointer(mutating: raw.baseAddress))
            return curl_easy_perform(easy)
        }
        if sink.overflowed { throw .tooLarge(maxBodyBytes) }
        switch code {
        case CURLE_OK: break
        case CURLE_OPERATION_TIMEDOUT: throw .timeout
        case CURLE_COULDNT_CONNECT: throw .connection("connection refused")
        case CURLE_COULDNT_RESOLVE_HOST: throw .connection("host not found")
        case CURLE_SSL_CONNECT_ERROR, CURLE_PEER_FAILED_VERIFICATION: throw .connection("TLS failure")
        case CURLE_GOT_NOTHING, CURLE_RECV_ERROR, CURLE_SEND_ERROR: throw .connection("connection lost")
        default:
            // libcurl's generic text for the code; it never contains the URL or headers.
            throw .connection(String(cString: curl_easy_strerror(code)))
        }
        var status = 0
        mapc_curl_get_long(easy, CURLINFO_RESPONSE_CODE, &status)
        return HTTPResponse(status: status, headers: sink.headers, body: sink.body)
    }
}

/// The body and headers of one transfer as libcurl hands them over.
private final class ResponseSink {
    let limit: Int
    var body: [UInt8] = []
    var headers: [(String, String)] = []
    var overflowed = false

    init(limit: Int) { self.limit = limit }

    func append(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        guard body.count + bytes.count <= limit else {
            overflowed = true
            return false
        }
        body.append(contentsOf: bytes)
        return true
    }

    func header(_ line: UnsafeBufferPointer<UInt8>) {
        var text = String(decoding: line, as: UTF8.self)
        while text.hasSuffix("\n") || text.hasSuffix("\r") { text.removeLast() }
        // A new status line (a redirect, `100 Continue`) starts the header fields over.
        if text.hasPrefix("HTTP/") {
            headers.removeAll()
            return
        }
        guard let colon = text.firstIndex(of: ":") else { return }
        let value = text[text.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        headers.append((String(text[..<colon]), value))
    }
}

private func mapgenCurlBody(_ data: UnsafeMutablePointer<CChar>?, _ size: Int, _ count: Int, _ context: UnsafeMutableRawPointer?)
    -> Int
{
    guard let data, let context else { return 0 }
    let sink = Unmanaged<ResponseSink>.fromOpaque(context).takeUnretainedValue()
    let n = size * count
    // Returning less than `n` makes libcurl stop the transfer with a write error.
    let kept = data.withMemoryRebound(to: UInt8.self, capacity: n) { sink.append(UnsafeBufferPointer(start: $0, count: n)) }
    return kept ? n : 0
}

private func mapgenCurlHeader(
    _ data: UnsafeMutablePointer<CChar>?, _ size: Int, _ count: Int, _ context: UnsafeMutableRawPointer?
) -> Int {
    guard let data, let context else { return 0 }
    let sink = Unmanaged<ResponseSink>.fromOpaque(context).takeUnretainedValue()
    let n = size * count
    data.withMemoryRebound(to: UInt8.self, capacity: n) { sink.header(UnsafeBufferPointer(start: $0, count: n)) }
    return n
}
