import CMicroHTTPD
import Foundation

/// Per-request state kept in libmicrohttpd's `req_cls` slot between upload callbacks.
///
/// Made when the request line has arrived (``mhdRequestTargetReceived``), so it holds the target as
/// received; released by ``mhdRequestCompleted``, which libmicrohttpd calls for every request it
/// told us about, including ones that never reached the access handler.
final class RequestContext {
    /// The request target as received, undecoded.
    let target: String?
    var body = Data()
    var bodyTooLarge = false
    var refused = false
    /// Whether the access handler has seen this request (and counted it in flight).
    var began = false
    /// Why the request is answered 503, when the guard found no slot for it.
    var refusal: Refusal?

    init(target: String?) {
        self.target = target
    }
}

/// The URI log callback: keeps the raw request target before libmicrohttpd decodes and splits it.
func mhdRequestTargetReceived(
    _ cls: UnsafeMutableRawPointer?,
    _ uri: UnsafePointer<CChar>?,
    _ connection: OpaquePointer?
) -> UnsafeMutableRawPointer? {
    let context = RequestContext(target: uri.map { String(cString: $0) })
    return Unmanaged.passRetained(context).toOpaque()
}

/// Collects key/value pairs from `MHD_get_connection_values`.
private final class PairCollector {
    var pairs: [(String, String?)] = []
}

private func collectPair(
    _ cls: UnsafeMutableRawPointer?,
    _ kind: MHD_ValueKind,
    _ key: UnsafePointer<CChar>?,
    _ value: UnsafePointer<CChar>?
) -> MHD_Result {
    guard let cls, let key else { return .YES }
    let collector = Unmanaged<PairCollector>.fromOpaque(cls).takeUnretainedValue()
    collector.pairs.append((String(cString: key), value.map { String(cString: $0) }))
    return .YES
}

private func values(_ connection: OpaquePointer, _ kind: MHD_ValueKind) -> [(String, String?)] {
    let collector = PairCollector()
    withExtendedLifetime(collector) {
        _ = MHD_get_connection_values(
            connection, kind, collectPair, Unmanaged.passUnretained(collector).toOpaque())
    }
    return collector.pairs
}

/// The guarded state of `connection`, kept in its socket context by ``mhdConnectionNotified``.
private func guarded(_ connection: OpaquePointer?) -> GuardedConnection? {
    guard let connection, let pointer = mapc_mhd_socket_context(connection) else { return nil }
    return Unmanaged<GuardedConnection>.fromOpaque(pointer).takeUnretainedValue()
}

/// libmicrohttpd's connection callback: a connection opened (its head deadline starts) or is
/// closing (forget it and free its slot; its socket is closed after this returns).
func mhdConnectionNotified(
    _ cls: UnsafeMutableRawPointer?,
    _ connection: OpaquePointer?,
    _ socketContext: UnsafeMutablePointer<UnsafeMutableRawPointer?>?,
    _ code: MHD_ConnectionNotificationCode
) {
    guard let cls, let connection, let socketContext else { return }
    let core = Unmanaged<ServerCore>.fromOpaque(cls).takeUnretainedValue()
    if code.rawValue == 0 {  // MHD_CONNECTION_NOTIFY_STARTED
        let state = core.connections.opened(fd: mapc_mhd_connection_fd(connection), client: clientAddress(connection) ?? "?")
        socketContext.pointee = Unmanaged.passRetained(state).toOpaque()
    } else if let pointer = socketContext.pointee {
        socketContext.pointee = nil
        core.connections.closed(Unmanaged<GuardedConnection>.fromOpaque(pointer).takeRetainedValue())
    }
}

/// The libmicrohttpd access handler: accumulates the body, then routes the request and queues the reply.
func mhdAccessHandler(
    _ cls: UnsafeMutableRawPointer?,
    _ connection: OpaquePointer?,
    _ url: UnsafePointer<CChar>?,
    _ method: UnsafePointer<CChar>?,
    _ version: UnsafePointer<CChar>?,
    _ uploadData: UnsafePointer<CChar>?,
    _ uploadDataSize: UnsafeMutablePointer<Int>?,
    _ requestSlot: UnsafeMutablePointer<UnsafeMutableRawPointer?>?
) -> MHD_Result {
    guard let cls, let connection, let requestSlot else { return .NO }
    let core = Unmanaged<ServerCore>.fromOpaque(cls).takeUnretainedValue()

    let context: RequestContext
    if let existing = requestSlot.pointee {
        context = Unmanaged<RequestContext>.fromOpaque(existing).takeUnretainedValue()
    } else {
        context = RequestContext(target: nil)
        requestSlot.pointee = Unmanaged.passRetained(context).toOpaque()
    }
    let state = guarded(connection)
    guard context.began else {
        // First call: the head is complete. Count the request in; the body (if any) follows.
        context.began = true
        context.refused = !core.requestBegan()
        if let state {
            context.refusal = core.connections.headReceived(state)
        }
        return .YES
    }

    if let uploadDataSize, uploadDataSize.pointee > 0 {
        let size = uploadDataSize.pointee
        if !context.bodyTooLarge && !context.refused && context.refusal == nil {
            if context.body.count + size > core.maxBodyBytes {
                context.bodyTooLarge = true
                context.body = Data()
            } else if let uploadData {
                uploadData.withMemoryRebound(to: UInt8.self, capacity: size) { bytes in
                    context.body.append(bytes, count: size)
                }
            }
        }
        uploadDataSize.pointee = 0
        return .YES
    }

    if let state { core.connections.handling(state) }
    defer { if let state { core.connections.replying(state) } }
    let response: Response
    if context.refused {
        response = Response.text("Service Unavailable: server is stopping", status: 503)
            .withHeader("Connection", "close")
    } else if let refusal = context.refusal {
        response = Response.text(refusal.message + "\n", status: 503)
            .withHeader("Retry-After", "5").withHeader("Connection", "close")
    } else if context.bodyTooLarge {
        response = Response.text("Payload Too Large: body exceeds \(core.maxBodyBytes) bytes", status: 413)
            .withHeader("Connection", "close")
    } else {
        let request = Request(
            method: method.map { String(cString: $0) } ?? "GET",
            path: url.map { String(cString: $0) } ?? "/",
            queryItems: values(connection, .GET_ARGUMENT_KIND).map { (name: $0.0, value: $0.1) },
            headerFields: values(connection, .HEADER_KIND).map { (name: $0.0, value: $0.1 ?? "") },
            body: context.body,
            remoteAddress: clientAddress(connection),
            target: context.target
        )
        context.body = Data()
        response = core.router.handle(request)
    }
    return queue(response, on: connection)
}

/// Called by libmicrohttpd when a request is finished (sent, failed or dropped): releases its context.
func mhdRequestCompleted(
    _ cls: UnsafeMutableRawPointer?,
    _ connection: OpaquePointer?,
    _ requestSlot: UnsafeMutablePointer<UnsafeMutableRawPointer?>?,
    _ termination: MHD_RequestTerminationCode
) {
    guard let cls, let requestSlot, let existing = requestSlot.pointee else { return }
    requestSlot.pointee = nil
    let context = Unmanaged<RequestContext>.fromOpaque(existing).takeRetainedValue()
    let core = Unmanaged<ServerCore>.fromOpaque(cls).takeUnretainedValue()
    if let state = guarded(connection) {
        core.connections.completed(state)
    }
    if context.began {
        core.requestEnded()
    }
}

/// The numeric address of the connection's peer, or nil.
func clientAddress(_ connection: OpaquePointer) -> String? {
    guard let address = mapc_mhd_client_address(connection) else { return nil }
    var text = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN) + 1)
    switch Int32(address.pointee.sa_family) {
    case AF_INET:
        return address.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { v4 in
            var a = v4.pointee.sin_addr
            return inet_ntop(AF_INET, &a, &text, socklen_t(text.count)).map { _ in String(cString: text) }
        }
    case AF_INET6:
        return address.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { v6 in
            var a = v6.pointee.sin6_addr
            return inet_ntop(AF_INET6, &a, &text, socklen_t(text.count)).map { _ in String(cString: text) }
        }
    default:
        return nil
    }
}

private func queue(_ response: Response, on connection: OpaquePointer) -> MHD_Result {
    if response.dropsConnection {
        return .NO
    }
    let handle: OpaquePointer? = response.body.withUnsafeBytes { bytes in
        if let base = bytes.baseAddress, bytes.count > 0 {
            return MHD_create_response_from_buffer(
                bytes.count, UnsafeMutableRawPointer(mutating: base), .RESPMEM_MUST_COPY)
        }
        return MHD_create_response_from_buffer(0, nil, .RESPMEM_PERSISTENT)
    }
    guard let handle else { return .NO }
    defer { MHD_destroy_response(handle) }
    for field in response.headerFields where field.name.lowercased() != "content-length" {
        _ = MHD_add_response_header(handle, field.name, field.value)
    }
    let status = (100...999).contains(response.status) ? response.status : 500
    return MHD_queue_response(connection, UInt32(status), handle)
}
