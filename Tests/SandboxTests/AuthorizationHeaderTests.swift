import Foundation
import HTTPServer
import Testing

@testable import Sandbox

@Suite struct AuthorizationHeaderTests {
    /// The bearer token as read by characters, before the byte fast path.
    static func reference(_ header: String) -> String? {
        guard header.lowercased().hasPrefix("bearer ") else { return nil }
        return header.dropFirst(7).trimmingCharacters(in: .whitespaces)
    }

    @Test func bearerTokensReadAsByCharacters() {
        let headers = [
            "Bearer sandbox-hubspot-token", "bearer abc", "BEARER abc", "BeArEr a b c", "Bearer  abc ", "Bearer\tabc",
            "Bearer", "Bearer ", "Bearer  ", "Bearerabc", "Basic dXNlcjpwYXNz", "", "B", "Bëarer abc", "Bearer tökén",
            "Bearer abc\u{00A0}", "Bearer \u{301}abc", "Bearer \u{2003}abc", "bearer \tabc\t", "Bearer x", "bearer\u{301} x",
        ]
        for header in headers {
            let request = Request(method: "GET", path: "/", headerFields: [(name: "Authorization", value: header)])
            #expect(request.bearerToken == Self.reference(header), "\(header)")
        }
        #expect(Request(method: "GET", path: "/").bearerToken == nil)
    }
}
