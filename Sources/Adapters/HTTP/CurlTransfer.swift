import CCurl
import Foundation

/// One libcurl easy handle and the buffers of the transfer it runs. A handle keeps its connection
/// to a host open between requests (keep-alive); it serves one request at a time.
final class CurlTransfer {
    private let easy: UnsafeMutableRawPointer
    /// The reply's body as it arrives.
    fileprivate var body: [UInt8] = []
    /// The reply's header fields (those after the last status line: a `100 Continue` or a redirect
    /// starts them over); repeated names are joined with ", ".
    fileprivate var headers: [String: String] = [:]

    /// libcurl's one-time global set-up, run before the first handle is made.
    private static let initialised: Bool = mapc_curl_global_init() == CURLE_OK

    init?() {
        guard Self.initialised, let easy = curl_easy_init() else { return nil }
        self.easy = easy
    }

    deinit { curl_easy_cleanup(easy) }

    /// Runs `request`; on a transport failure returns libcurl's code (its text never names the URL).
    func perform(_ request: HTTPRequest, timeout: Double) -> Result<HTTPResponse, TransportFailure> {
        // Options of the previous request go; the open connection, DNS and TLS session caches stay.
        curl_easy_reset(easy)
        body.removeAll(keepingCapacity: true)
        headers.removeAll(keepingCapacity: true)
        let context = Unmanaged.passUnretained(self).toOpaque()
        var list: UnsafeMutablePointer<curl_slist>?
        for (name, value) in request.headers {
            // `Name:` with no value removes a header libcurl would add (`Expect`), as URLRequest did.
            list = curl_slist_append(list, value.isEmpty ? "\(name):" : "\(name): \(value)")
        }
        defer { curl_slist_free_all(list) }
        let milliseconds = max(1, Int(timeout * 1000))
        mapc_curl_set_string(easy, CURLOPT_URL, request.url.absoluteString)
        mapc_curl_set_long(easy, CURLOPT_NOSIGNAL, 1)
        mapc_curl_set_long(easy, CURLOPT_CONNECTTIMEOUT_MS, milliseconds)
        mapc_curl_set_long(easy, CURLOPT_TIMEOUT_MS, 4 * milliseconds)
        // No byte for `timeout` seconds is a stall, like URLSession's request timeout.
        mapc_curl_set_long(easy, CURLOPT_LOW_SPEED_LIMIT, 1)
        mapc_curl_set_long(easy, CURLOPT_LOW_SPEED_TIME, max(1, Int(timeout.rounded(.up))))
        mapc_curl_set_long(easy, CURLOPT_FOLLOWLOCATION, 1)
        mapc_curl_set_long(easy, CURLOPT_MAXREDIRS, 5)
        mapc_curl_set_string(easy, CURLOPT_ACCEPT_ENCODING, "")
        mapc_curl_set_string(easy, CURLOPT_USERAGENT, "mapc")
        if !request.reuseConnection {
            // A connection of its own, closed afterwards: libcurl re-sends silently only on a reused one.
            mapc_curl_set_long(easy, CURLOPT_FRESH_CONNECT, 1)
            mapc_curl_set_long(easy, CURLOPT_FORBID_REUSE, 1)
        }
        mapc_curl_set_pointer(easy, CURLOPT_HTTPHEADER, list)
        mapc_curl_set_callback(easy, CURLOPT_WRITEFUNCTION, curlBody)
        mapc_curl_set_pointer(easy, CURLOPT_WRITEDATA, context)
        mapc_curl_set_callback(easy, CURLOPT_HEADERFUNCTION, curlHeader)
        mapc_curl_set_pointer(easy, CURLOPT_HEADERDATA, context)
        switch request.method {
        case "GET": mapc_curl_set_long(easy, CURLOPT_HTTPGET, 1)
        case "POST": break
        default: mapc_curl_set_string(easy, CURLOPT_CUSTOMREQUEST, request.method)
        }
        let code: CURLcode
        if let payload = request.body {
            // libcurl wants an address even for an empty body.
            let storage = payload.isEmpty ? Data([0]) : payload
            code = storage.withUnsafeBytes { raw in
                // The bytes stay where they are for the whole transfer: libcurl reads them as it sends.
                mapc_curl_set_size(easy, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(payload.count))
                mapc_curl_set_pointer(easy, CURLOPT_POSTFIELDS, UnsafeMutableRawPointer(mutating: raw.baseAddress))
                return curl_easy_perform(easy)
            }
        } else {
            code = curl_easy_perform(easy)
        }
        guard code == CURLE_OK else {
            return .failure(TransportFailure(code: Int(code.rawValue), text: String(cString: curl_easy_strerror(code))))
        }
        var status = 0
        mapc_curl_get_long(easy, CURLINFO_RESPONSE_CODE, &status)
        return .success(HTTPResponse(status: status, headers: headers, body: Data(body)))
    }

    /// Spellings of the header names seen, by lower-cased name.
    private var spellings: [String: String] = [:]

    fileprivate func header(_ line: UnsafeBufferPointer<UInt8>) {
        var end = line.count
        while end > 0, line[end - 1] == 0x0D || line[end - 1] == 0x0A { end -= 1 }
        let text = UnsafeBufferPointer(rebasing: line[0..<end])
        if text.starts(with: "HTTP/".utf8) {
            headers.removeAll(keepingCapacity: true)
            spellings.removeAll(keepingCapacity: true)
            return
        }
        guard let colon = text.firstIndex(of: UInt8(ascii: ":")) else { return }
        var start = colon + 1
        while start < end, text[start] == 0x20 || text[start] == 0x09 { start += 1 }
        var stop = end
        while stop > start, text[stop - 1] == 0x20 || text[stop - 1] == 0x09 { stop -= 1 }
        let name = String(decoding: UnsafeBufferPointer(rebasing: text[0..<colon]), as: UTF8.self)
        let value = String(decoding: UnsafeBufferPointer(rebasing: text[start..<stop]), as: UTF8.self)
        // Names are case-insensitive: a repeat under another spelling joins the first.
        let lower = name.lowercased()
        if let seen = spellings[lower], let earlier = headers[seen] {
            headers[seen] = earlier + ", " + value
        } else {
            spellings[lower] = name
            headers[name] = value
        }
    }
}

/// A failed transfer: libcurl's code and its generic description.
struct TransportFailure: Error {
    var code: Int
    var text: String
}

private func curlBody(_ data: UnsafeMutablePointer<CChar>?, _ size: Int, _ count: Int, _ context: UnsafeMutableRawPointer?) -> Int {
    guard let data, let context else { return 0 }
    let transfer = Unmanaged<CurlTransfer>.fromOpaque(context).takeUnretainedValue()
    let n = size * count
    data.withMemoryRebound(to: UInt8.self, capacity: n) { transfer.body.append(contentsOf: UnsafeBufferPointer(start: $0, count: n)) }
    return n
}

private func curlHeader(_ data: UnsafeMutablePointer<CChar>?, _ size: Int, _ count: Int, _ context: UnsafeMutableRawPointer?) -> Int {
    guard let data, let context else { return 0 }
    let transfer = Unmanaged<CurlTransfer>.fromOpaque(context).takeUnretainedValue()
    let n = size * count
    data.withMemoryRebound(to: UInt8.self, capacity: n) { transfer.header(UnsafeBufferPointer(start: $0, count: n)) }
    return n
}
