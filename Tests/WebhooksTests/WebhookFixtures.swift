import Foundation
import HTTPServer
import MapDSL
import SyncEngine

@testable import Webhooks

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// Documented example payloads and the signing algorithms each platform documents.
enum Fixtures {
    static let hubspotSecret = "yyyyyyyy-yyyy-yyyy-yyyy-yyyyyyyyyyyy"
    static let mailchimpSecret = "mc-url-key-7f3a"
    static let mandrillKey = "mandrill-auth-key-91c2"
    static let segmentSecret = "segment-shared-secret-5d1e"
    static let salesforceOrg = "00D000000000062EAA"

    /// The v1 example from HubSpot's request-validation docs (signature 232db261…).
    static let hubspotDocsBody =
        #"[{"eventId":1,"subscriptionId":12345,"portalId":62515,"occurredAt":1564113600000,"subscriptionType":"contact.creation","attemptNumber":0,"objectId":123,"changeSource":"CRM","changeFlag":"NEW","appId":54321}]"#

    /// A HubSpot property-change event array.
    static func hubspotPropertyChange(
        eventId: Int, objectId: Int, property: String, value: String, occurredAt: Int64 = 1_764_000_000_000, source: String = "CRM_UI"
    ) -> String {
        #"[{"eventId":\#(eventId),"subscriptionId":2001,"portalId":62515,"appId":54321,"occurredAt":\#(occurredAt),"#
            + #""subscriptionType":"contact.propertyChange","attemptNumber":0,"objectId":\#(objectId),"changeSource":"\#(source)","#
            + #""propertyName":"\#(property)","propertyValue":"\#(value)"}]"#
    }

    /// HubSpot v3 headers: base64 HMAC-SHA256 of method + URL + body + timestamp.
    static func hubspotV3(method: String = "POST", url: String, body: String, timestamp: Int64, secret: String = hubspotSecret)
        -> [String: String]
    {
        let message = Array((method + url + body + String(timestamp)).utf8)
        let signature = Data(Digest.hmacSHA256(key: Array(secret.utf8), message: message)).base64EncodedString()
        return ["X-HubSpot-Signature-v3": signature, "X-HubSpot-Request-Timestamp": String(timestamp), "Content-Type": "application/json"]
    }

    static func nowMs() -> Int64 { Int64(Date().timeIntervalSince1970 * 1000) }

    static let salesforceLead = """
        <?xml version="1.0" encoding="UTF-8"?>
        <soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
         <soapenv:Body>
          <notifications xmlns="http://soap.sforce.com/2005/09/outbound">
           <OrganizationId>00D000000000062EAA</OrganizationId>
           <ActionId>04k000000000009AAA</ActionId>
           <SessionId xsi:nil="true"/>
           <EnterpriseUrl>https://na1.salesforce.com/services/Soap/c/58.0/00D000000000062</EnterpriseUrl>
           <PartnerUrl>https://na1.salesforce.com/services/Soap/u/58.0/00D000000000062</PartnerUrl>
           <Notification>
            <Id>04l000000000BPFAA2</Id>
            <sObject xsi:type="sf:Lead" xmlns:sf="urn:sobject.enterprise.soap.sforce.com">
             <sf:Id>00Q000000000001EAA</sf:Id>
             <sf:Company xsi:nil="true"/>
             <sf:Email>ada@example.com</sf:Email>
             <sf:LastModifiedDate>2026-01-15T10:00:00.000Z</sf:LastModifiedDate>
             <sf:LastName>Lovelace</sf:LastName>
            </sObject>
           </Notification>
           <Notification>
            <Id>04l000000000BPGAA2</Id>
            <sObject xsi:type="sf:Lead" xmlns:sf="urn:sobject.enterprise.soap.sforce.com">
             <sf:Id>00Q000000000002EAA</sf:Id>
             <sf:Email>grace@example.com</sf:Email>
             <sf:LastModifiedDate>2026-01-15T10:00:05.000Z</sf:LastModifiedDate>
             <sf:LastName>Hopper</sf:LastName>
            </sObject>
           </Notification>
          </notifications>
         </soapenv:Body>
        </soapenv:Envelope>
        """

    /// Mailchimp's documented `subscribe` example, form-encoded as Mailchimp posts it.
    static let mailchimpSubscribe = [
        ("type", "subscribe"), ("fired_at", "2009-03-26 21:35:57"), ("data[id]", "8a25ff1d98"), ("data[list_id]", "a6b5da1054"),
        ("data[email]", "api@mailchimp.com"), ("data[email_type]", "html"), ("data[merges][EMAIL]", "api@mailchimp.com"),
        ("data[merges][FNAME]", "Mailchimp"), ("data[merges][LNAME]", "API"), ("data[merges][INTERESTS]", "Group1,Group2"),
        ("data[ip_opt]", "10.20.10.30"), ("data[ip_signup]", "10.20.10.30"),
    ].map { FormDecoder.encode($0.0) + "=" + FormDecoder.encode($0.1).replacingOccurrences(of: "%20", with: "+") }
        .joined(separator: "&")

    /// Mandrill's documented example `send` event.
    static let mandrillEvents =
        #"[{"event":"send","msg":{"ts":1365109999,"subject":"This an example webhook message","email":"example.webhook@mandrillapp.com","sender":"example.sender@mandrillapp.com","tags":["webhook-example"],"opens":[],"clicks":[],"state":"sent","metadata":{"user_id":111},"_id":"exampleaaaaaaaaaaaaaaaaaaaaaaaaa","_version":"exampleaaaaaaaaaaaaaaa"},"_id":"exampleaaaaaaaaaaaaaaaaaaaaaaaaa","ts":1384954004}]"#

    /// A Mandrill form body and its signature for `url`: base64 HMAC-SHA1 over URL + sorted key+value.
    static func mandrill(url: String, events: String = mandrillEvents, key: String = mandrillKey) -> (body: String, signature: String) {
        let signature = Data(Digest.hmacSHA1(key: Array(key.utf8), message: Array((url + "mandrill_events" + events).utf8)))
            .base64EncodedString()
        return ("mandrill_events=" + FormDecoder.encode(events), signature)
    }

    /// A Segment `identify` message as the Webhooks destination posts it.
    static func segmentIdentify(messageId: String = "022bb90c-bbac-11e4-8dfc-aa07a5b093db", email: String = "peter@example.com") -> String {
        #"{"version":1,"type":"identify","userId":"97980cfea0067","traits":{"email":"\#(email)","name":"Peter Gibbons","plan":"premium"},"#
            + #""messageId":"\#(messageId)","timestamp":"2015-02-23T22:28:55.387Z","context":{"ip":"8.8.8.8"}}"#
    }

    /// Segment's X-Signature: hex HMAC-SHA1 of the body.
    static func segmentSignature(_ body: String, secret: String = segmentSecret) -> String {
        Digest.hex(Digest.hmacSHA1(key: Array(secret.utf8), message: Array(body.utf8)))
    }

    /// Settings with every platform configured.
    static var settings: WebhookSettings {
        WebhookSettings(receivers: [
            HubSpotReceiver(secret: WebhookSecret(hubspotSecret)),
            SalesforceReceiver(organizationIds: [salesforceOrg]),
            MailchimpReceiver(secret: WebhookSecret(mailchimpSecret)),
            MandrillReceiver(key: WebhookSecret(mandrillKey)),
            SegmentReceiver(secret: WebhookSecret(segmentSecret)),
        ])
    }

    /// A fresh temporary directory.
    static func temporaryDirectory() -> String {
        let path = NSTemporaryDirectory() + "mapc-webhooks-" + UUID().uuidString
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }
}

/// A running webhook server over a fresh inbox, for loopback tests.
final class TestServer: @unchecked Sendable {
    let directory: String
    let inbox: Inbox
    let ingress: WebhookIngress
    let server: HTTPServer
    let logs = LogCapture()

    init(maxBodyBytes: Int = 1 << 20, settings: WebhookSettings = Fixtures.settings, path: String? = nil) throws {
        directory = Fixtures.temporaryDirectory()
        inbox = try Inbox(path: path ?? directory + "/events.db")
        let logs = self.logs
        ingress = WebhookIngress(inbox: inbox, settings: settings, log: { logs.append($0) })
        let router = WebhookHost.router(ingress: ingress)
        server = try HTTPServer.start(configuration: .init(maxBodyBytes: maxBodyBytes, connectionLimit: 512), router: router)
    }

    func url(_ path: String) -> URL { URL(string: server.baseURL.absoluteString + path)! }

    func stop() {
        server.stop()
        try? FileManager.default.removeItem(atPath: directory)
    }
}

/// Log lines captured in memory.
final class LogCapture: @unchecked Sendable {
    private let lock = NSLock()
    private var lines: [String] = []
    func append(_ line: String) { lock.withLock { lines.append(line) } }
    var all: [String] { lock.withLock { lines } }
}

/// A reply as seen by the test client.
struct Reply: Sendable {
    let status: Int
    let body: Data
    let contentType: String?
    var text: String { String(decoding: body, as: UTF8.self) }
}

/// Sends requests over loopback.
enum Client {
    static let session: URLSession = {
        let configuration = URLSessionConfiguration.ephemeral
        configuration.timeoutIntervalForRequest = 60
        configuration.httpMaximumConnectionsPerHost = 64
        return URLSession(configuration: configuration)
    }()

    static func send(_ method: String, _ url: URL, headers: [String: String] = [:], body: String? = nil) async throws -> Reply {
        try await send(method, url, headers: headers, data: body.map { Data($0.utf8) })
    }

    static func send(_ method: String, _ url: URL, headers: [String: String] = [:], data: Data?) async throws -> Reply {
        var request = URLRequest(url: url)
        request.httpMethod = method
        for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
        request.httpBody = data
        let (body, response) = try await session.data(for: request)
        let http = response as! HTTPURLResponse
        return Reply(status: http.statusCode, body: body, contentType: http.value(forHTTPHeaderField: "Content-Type"))
    }
}

/// A clock for the inbox whose time only moves when told.
final class ManualClock: SyncClock, @unchecked Sendable {
    private let lock = NSLock()
    private var t: Double
    init(_ start: Double = 1_000_000) { t = start }
    func now() -> Double { lock.withLock { t } }
    func advance(_ seconds: Double) { lock.withLock { t += seconds } }
    func sleep(_ seconds: Double) { advance(seconds) }
    func random() -> Double { 0.5 }
    func timestamp() -> String { InboxTime.string(Date(timeIntervalSinceReferenceDate: now())) }
}
