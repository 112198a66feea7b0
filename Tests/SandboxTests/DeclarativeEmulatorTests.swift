import AdapterSpec
import Foundation
import Sandbox
import Testing

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// The emulator generated from an adapter spec: the spec's auth, pagination, write shape, result
/// style and error shape, and the platform's rules.
@Suite("Spec emulator")
struct DeclarativeEmulatorTests {
    static let root = Fixtures.repositoryRoot

    static func start(_ platform: String) throws -> SpecSandboxServer {
        let result = try SpecChecker.check(path: root.appendingPathComponent("adapters/\(platform).json").path, root: root.path)
        let spec = try #require(result.spec, "\(result.rendered())")
        return try SpecSandboxServer.start(spec: spec, options: SandboxOptions.project(root: root))
    }

    static func send(_ server: SpecSandboxServer, _ method: String, _ path: String, key: String?, json: Any? = nil) async throws
        -> Reply
    {
        var request = URLRequest(url: URL(string: path.hasPrefix("http") ? path : server.baseURL.absoluteString + path)!)
        request.httpMethod = method
        if let key { request.setValue("Klaviyo-API-Key \(key)", forHTTPHeaderField: "Authorization") }
        if let json {
            request.httpBody = try JSONSerialization.data(withJSONObject: json)
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        }
        let (data, response) = try await Client.session.data(for: request)
        let http = response as! HTTPURLResponse
        var fields: [String: String] = [:]
        for (k, v) in http.allHeaderFields { fields[String(describing: k)] = String(describing: v) }
        return Reply(status: http.statusCode, headers: fields, body: data)
    }

    static func errorCode(_ reply: Reply) -> String? {
        ((reply.object["errors"] as? [[String: Any]])?.first)?["code"] as? String
    }

    @Test("requests without the API key header are refused in the spec's error shape")
    func auth() async throws {
        let server = try Self.start("klaviyo")
        defer { server.stop() }
        let refused = try await Self.send(server, "GET", "/api/profiles", key: nil)
        #expect(refused.status == 401)
        #expect(Self.errorCode(refused) == "not_authenticated")
        let wrong = try await Self.send(server, "GET", "/api/profiles", key: "nope")
        #expect(wrong.status == 401)
        let ok = try await Self.send(server, "GET", "/api/profiles", key: server.credential)
        #expect(ok.status == 200)
    }

    @Test("links.next walks every seeded profile once; a page over the maximum is refused")
    func nextURLPagination() async throws {
        let server = try Self.start("klaviyo")
        defer { server.stop() }
        var next: String? = "/api/profiles?page%5Bsize%5D=7"
        var ids: [String] = []
        while let url = next {
            let reply = try await Self.send(server, "GET", url, key: server.credential)
            #expect(reply.status == 200)
            let data = reply.object["data"] as? [[String: Any]] ?? []
            #expect(data.count <= 7)
            ids += data.compactMap { $0["id"] as? String }
            #expect(data.allSatisfy { ($0["attributes"] as? [String: Any])?["email"] != nil })
            next = (reply.object["links"] as? [String: Any])?["next"] as? String
        }
        #expect(ids.count == server.recordCount(object: "profile"))
        #expect(Set(ids).count == ids.count)
        let big = try await Self.send(server, "GET", "/api/profiles?page%5Bsize%5D=101", key: server.credential)
        #expect(big.status == 400)
    }

    @Test("lookups by filter find the one match and nothing for an unknown email")
    func lookups() async throws {
        let server = try Self.start("klaviyo")
        defer { server.stop() }
        let known = "equals(email,\"ada.lovelace0@example.com\")".addingPercentEncoding(withAllowedCharacters: .alphanumerics)!
        let found = try await Self.send(server, "GET", "/api/profiles?filter=\(known)", key: server.credential)
        #expect((found.object["data"] as? [Any])?.count == 1)
        let unknown = "equals(email,\"nobody@example.com\")".addingPercentEncoding(withAllowedCharacters: .alphanumerics)!
        let none = try await Self.send(server, "GET", "/api/profiles?filter=\(unknown)", key: server.credential)
        #expect(none.status == 200)
        #expect((none.object["data"] as? [Any])?.count == 0, "\(none.text)")
    }

    @Test("create or update: 201 then 200 for one email; an invalid email is a 400 naming the field")
    func writes() async throws {
        let server = try Self.start("klaviyo")
        defer { server.stop() }
        let body: [String: Any] = ["data": ["type": "profile", "attributes": ["email": "new@example.com", "first_name": "New"]]]
        let first = try await Self.send(server, "POST", "/api/profile-import", key: server.credential, json: body)
        #expect(first.status == 201)
        let second = try await Self.send(server, "POST", "/api/profile-import", key: server.credential, json: body)
        #expect(second.status == 200)
        #expect(server.count(object: "profile", field: "email", value: "new@example.com") == 1)
        let bad: [String: Any] = ["data": ["type": "profile", "attributes": ["email": "not-an-email"]]]
        let refused = try await Self.send(server, "POST", "/api/profile-import", key: server.credential, json: bad)
        #expect(refused.status == 400)
        #expect(Self.errorCode(refused) == "invalid_email")
        let wrongType: [String: Any] = ["data": ["type": "event", "attributes": ["email": "x@example.com"]]]
        #expect(try await Self.send(server, "POST", "/api/profile-import", key: server.credential, json: wrongType).status == 400)
    }
}
