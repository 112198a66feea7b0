import Foundation
import HTTPServer
import Testing

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

@Suite struct HTTPServerRequestTargetTests {
    /// URL signatures are computed over the target as sent: the handler sees it undecoded, beside
    /// the decoded path and query.
    @Test func theRequestTargetReachesTheHandlerExactlyAsSent() async throws {
        var router = Router()
        router.add("*", "/sign/*") { request in
            .text([request.target ?? "nil", request.path, request.query("tags") ?? "nil"].joined(separator: "\n"))
        }
        let server = try HTTPServer.start(router: router)
        defer { server.stop() }
        for target in ["/sign/a%20b?tags=a,b&x=%7E+y&flag", "/sign/x?tags=a%2Cb"] {
            let reply = try await TestClient.send("GET", URL(string: server.baseURL.absoluteString + target)!)
            let lines = reply.text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
            #expect(lines.first == target)
            #expect(lines.dropFirst().first?.hasPrefix("/sign/") == true)
            #expect(lines.last == "a,b")
        }
        // Requests made in code carry no target.
        #expect(Request(method: "GET", path: "/").target == nil)
    }
}
