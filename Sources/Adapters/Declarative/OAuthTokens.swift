import Foundation
import MapDSL
import MapcSupport
import SyncEngine

/// OAuth2 client-credentials tokens (RFC 6749 §4.4) for a spec with `"auth": {"type": "oauth2"}`:
/// fetched on first use, kept until a minute before `expires_in`, fetched again when a request is
/// refused with 401. The token never appears in messages.
final class OAuthTokens: Sendable {
    private let url: String
    private let clientId: String
    private let secret: String
    private let scope: String?
    private let http: HTTPClient
    private let clock: any LimiterClock
    private let current = Locked<(token: String, expires: Date)?>(nil)

    init(url: String, clientId: String, secret: String, scope: String?, timeout: Double, clock: any LimiterClock) {
        self.url = url
        self.clientId = clientId
        self.secret = secret
        self.scope = scope
        self.http = HTTPClient(timeout: timeout)
        self.clock = clock
    }

    /// A valid access token; a new one when `refresh` or when the cached one is expiring.
    func token(refresh: Bool) throws(AdapterError) -> String {
        if !refresh, let cached = current.withLock({ $0 }), cached.expires > clock.now() { return cached.token }
        guard let target = URL(string: url) else { throw .fatal("cannot build the token URL") }
        var form: [(String, String)] = [("grant_type", "client_credentials"), ("client_id", clientId), ("client_secret", secret)]
        if let scope { form.append(("scope", scope)) }
        let body = Data(String(queryString(form).dropFirst()).utf8)
        let request = HTTPRequest(
            method: "POST", url: target, headers: [("Content-Type", "application/x-www-form-urlencoded"), ("Accept", "application/json")],
            body: body)
        let response = try http.send(request)
        let redactor = Redactor(secrets: [secret])
        guard response.status == 200 else {
            let text = redactor.redact("the token endpoint refused the client credentials (\(response.status))")
            if response.status >= 500 { throw .transient(text) }
            throw .fatal("authentication failed: " + text)
        }
        guard let json = try? JSONParser.parse(Array(response.body), rejectingInvalidUTF8: true),
            let token = json["access_token"]?.stringValue, !token.isEmpty
        else {
            throw .fatal("the token endpoint's reply has no access_token")
        }
        let lifetime = Double(json["expires_in"]?.intValue ?? 3600)
        current.withLock { $0 = (token, clock.now().addingTimeInterval(max(0, lifetime - 60))) }
        return token
    }
}
