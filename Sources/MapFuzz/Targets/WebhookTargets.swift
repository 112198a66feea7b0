import Foundation
import MapDSL
import SyncEngine
import Webhooks

/// Webhook deliveries as `mapc serve` receives them from the open internet, one target per receiver
/// (`webhook-hubspot`, `webhook-salesforce`, `webhook-mailchimp`, `webhook-mandrill`,
/// `webhook-segment`).
///
/// An input is a request written the way it travels: a first line `METHOD URL`, header lines
/// `Name: value`, an empty line, then the body; so headers (signatures, timestamps, content types),
/// the URL and the body are all mutated. Each input goes through the receiver three times: as
/// given (verification with whatever headers the mutant has), through `parse` alone (the replay
/// path, which trusts the body), and re-signed correctly with the receiver's secret, so the code
/// behind a valid signature (timestamp windows, form limits, event parsing) sees hostile bodies too.
/// Accepted events are written out as the inbox stores them.
struct WebhookDeliveryTarget: FuzzTarget {
    enum Platform: String, CaseIterable, Sendable {
        case hubspot, salesforce, mailchimp, mandrill, segment
    }

    let platform: Platform
    var name: String { "webhook-\(platform.rawValue)" }

    static let secret = "fuzz-webhook-secret-9f2c"
    static let organization = "00D000000000062EAA"
    /// The receivers' clock: fixed, so inputs replay the same way.
    static let now = Date(timeIntervalSince1970: 1_764_000_000)
    static let nowMs: Int64 = 1_764_000_000_000

    var receiver: any WebhookReceiver {
        switch platform {
        case .hubspot: HubSpotReceiver(secret: WebhookSecret(Self.secret))
        case .salesforce: SalesforceReceiver(organizationIds: [Self.organization])
        case .mailchimp: MailchimpReceiver(secret: WebhookSecret(Self.secret))
        case .mandrill: MandrillReceiver(key: WebhookSecret(Self.secret))
        case .segment: SegmentReceiver(secret: WebhookSecret(Self.secret))
        }
    }

    // MARK: inputs

    /// Writes a delivery in the input format.
    static func request(_ method: String, _ url: String, _ headers: [(String, String)], _ body: String) -> [UInt8] {
        Array((["\(method) \(url)"] + headers.map { "\($0.0): \($0.1)" } + ["", body]).joined(separator: "\n").utf8)
    }

    /// Reads the input format; anything goes (missing parts are empty).
    static func delivery(_ input: [UInt8]) -> WebhookDelivery {
        var split = input.count
        for i in 0..<max(0, input.count - 1) where input[i] == 0x0A && input[i + 1] == 0x0A {
            split = i
            break
        }
        let head = String(decoding: input[0..<split], as: UTF8.self)
        let body = split + 2 <= input.count ? Data(input[(split + 2)...]) : Data()
        let lines = head.split(separator: "\n", omittingEmptySubsequences: false)
        let requestLine = lines.first.map(String.init) ?? ""
        let parts = requestLine.split(separator: " ", maxSplits: 1)
        let method = parts.first.map(String.init) ?? "POST"
        let url = parts.count > 1 ? String(parts[1]) : ""
        var headers: [(name: String, value: String)] = []
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers.append((String(line[..<colon]), line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)))
        }
        let query = url.firstIndex(of: "?").map { FormDecoder.pairs(String(url[url.index(after: $0)...])) ?? [] } ?? []
        return WebhookDelivery(
            method: method, url: url, query: query.map { (name: $0.key, value: $0.value) }, headers: headers, body: body)
    }

    /// `delivery` with a valid signature (or URL key) for the receiver's secret.
    func signed(_ delivery: WebhookDelivery) -> WebhookDelivery {
        var out = delivery
        let key = Array(Self.secret.utf8)
        func set(_ name: String, _ value: String) {
            out.headers.removeAll { $0.name == name }
            out.headers.append((name: name, value: value))
        }
        switch platform {
        case .hubspot:
            let stamp = delivery.header("x-hubspot-request-timestamp") ?? String(Self.nowMs)
            let message = Array((delivery.method + HubSpotReceiver.v3URI(delivery.url)).utf8) + Array(delivery.body) + Array(stamp.utf8)
            set("x-hubspot-signature-v3", Data(Digest.hmacSHA256(key: key, message: message)).base64EncodedString())
            set("x-hubspot-request-timestamp", stamp)
        case .mandrill:
            guard let text = String(data: delivery.body, encoding: .utf8), let fields = FormDecoder.pairs(text) else { return out }
            set("x-mandrill-signature", MandrillReceiver.signature(url: delivery.url, fields: fields, key: WebhookSecret(Self.secret)))
        case .segment:
            set("x-signature", Digest.hex(Digest.hmacSHA1(key: key, message: Array(delivery.body))))
        case .mailchimp:
            out.query.removeAll { $0.name == "key" }
            out.query.append((name: "key", value: Self.secret))
        case .salesforce:
            break
        }
        return out
    }

    var seeds: [[UInt8]] {
        let base = "https://hooks.example.com/webhooks/\(platform.rawValue)"
        var out: [[UInt8]] = []
        func add(_ method: String, _ url: String, _ headers: [(String, String)], _ body: String) {
            let raw = Self.request(method, url, headers, body)
            out.append(raw)
            // And the same request correctly signed, so mutants start from accepted deliveries.
            let s = signed(Self.delivery(raw))
            out.append(Self.request(s.method, s.url, s.headers.map { ($0.name, $0.value) }, String(decoding: s.body, as: UTF8.self)))
        }
        switch platform {
        case .hubspot:
            let change =
                #"[{"eventId":7,"subscriptionId":2001,"portalId":62515,"appId":54321,"occurredAt":1763999999000,"#
                + #""subscriptionType":"contact.propertyChange","attemptNumber":0,"objectId":501,"changeSource":"CRM_UI","#
                + #""propertyName":"email","propertyValue":"ada@example.com"}]"#
            let creation =
                #"[{"eventId":1,"subscriptionId":12345,"portalId":62515,"occurredAt":1564113600000,"subscriptionType":"object.creation","#
                + #""objectTypeId":"0-1","attemptNumber":0,"objectId":123,"changeSource":"CRM","changeFlag":"NEW","appId":54321}]"#
            add("POST", base, [("Content-Type", "application/json"), ("X-HubSpot-Request-Timestamp", "1763999999000")], change)
            add("POST", base + "?tags=a,b&x=%2C", [("Content-Type", "application/json"), ("X-HubSpot-Signature-v3", "x")], creation)
            add(
                "POST", base,
                [
                    ("X-HubSpot-Signature", Digest.hex(Digest.sha256(Array((Self.secret + creation).utf8)))),
                    ("X-HubSpot-Signature-Version", "v1"),
                ],
                creation)
        case .salesforce:
            add("POST", base, [("Content-Type", "text/xml; charset=utf-8"), ("SOAPAction", "\"\"")], Self.outboundMessage)
        case .mailchimp:
            let subscribe =
                "type=subscribe&fired_at=2009-03-26+21%3A35%3A57&data%5Bid%5D=8a25ff1d98&data%5Blist_id%5D=a6b5da1054"
                + "&data%5Bemail%5D=api%40mailchimp.com&data%5Bmerges%5D%5BEMAIL%5D=api%40mailchimp.com"
                + "&data%5Bmerges%5D%5BFNAME%5D=Mailchimp&data%5Bmerges%5D%5BGROUPINGS%5D%5B0%5D%5Bgroups%5D=A%2CB"
            let campaign = "type=campaign&fired_at=2009-03-26 22:15:09&data[id]=5aa2102003&data[subject]=Test&data[status]=sent"
            add("POST", base + "?key=" + Self.secret, [("Content-Type", "application/x-www-form-urlencoded")], subscribe)
            add("POST", base + "?key=" + Self.secret, [("Content-Type", "application/x-www-form-urlencoded")], campaign)
            add("GET", base + "?key=" + Self.secret, [], "")
        case .mandrill:
            let events =
                #"[{"event":"send","msg":{"ts":1365109999,"subject":"Hi","email":"example.webhook@mandrillapp.com","#
                + #""sender":"example.sender@mandrillapp.com","tags":["webhook-example"],"state":"sent","metadata":{"user_id":111},"#
                + #""_id":"exampleaaaaaaaaaaaaaaaaaaaaaaaaa"},"_id":"exampleaaaaaaaaaaaaaaaaaaaaaaaaa","ts":1384954004},"#
                + #"{"type":"blacklist","action":"add","reject":{"email":"x@example.com","reason":"hard-bounce"},"ts":1384954005}]"#
            add(
                "POST", base + "?tags=a,b", [("Content-Type", "application/x-www-form-urlencoded")],
                "mandrill_events=" + FormDecoder.encode(events))
            add("HEAD", base, [], "")
        case .segment:
            let identify =
                #"{"version":1,"type":"identify","userId":"97980cfea0067","traits":{"email":"peter@example.com","address":{"city":"X"}},"#
                + #""messageId":"022bb90c-bbac-11e4-8dfc-aa07a5b093db","timestamp":"2015-02-23T22:28:55.387Z","context":{"ip":"8.8.8.8"}}"#
            let track = #"{"type":"track","event":"Signed Up","anonymousId":"a1","properties":{"plan":"pro","n":[1,2]}}"#
            add("POST", base, [("Content-Type", "application/json")], identify)
            add("POST", base, [("Content-Type", "application/json")], track)
        }
        return out
    }

    static let outboundMessage = """
        <?xml version="1.0" encoding="UTF-8"?>
        <soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
         <soapenv:Body>
          <notifications xmlns="http://soap.sforce.com/2005/09/outbound">
           <OrganizationId>00D000000000062EAA</OrganizationId>
           <ActionId>04k000000000009AAA</ActionId>
           <Notification>
            <Id>04l000000000BPFAA2</Id>
            <sObject xsi:type="sf:Lead" xmlns:sf="urn:sobject.enterprise.soap.sforce.com">
             <sf:Id>00Q000000000001EAA</sf:Id>
             <sf:Company xsi:nil="true"/>
             <sf:Email>ada@example.com</sf:Email>
             <sf:LastModifiedDate>2026-01-15T10:00:00.000Z</sf:LastModifiedDate>
            </sObject>
           </Notification>
          </notifications>
         </soapenv:Body>
        </soapenv:Envelope>
        """

    // MARK: running

    func run(_ input: [UInt8]) {
        let receiver = self.receiver
        let delivery = Self.delivery(input)
        for verdict in [
            receiver.receive(delivery, now: Self.now), receiver.parse(delivery, now: Self.now),
            receiver.receive(signed(delivery), now: Self.now),
        ] {
            check(verdict)
        }
    }

    /// What the ingress does with a verdict, short of the database: events written as JSON, the
    /// reason a line of text.
    private func check(_ verdict: WebhookVerdict) {
        switch verdict {
        case .accepted(let events, let reply):
            for event in events {
                _ = JSONWriter.compact(event.raw)
                _ = event.changes.map { JSONWriter.compact($0.value) }
                if InboxTime.date(event.occurredAt) == nil {
                    fatalError("\(name): accepted an event whose occurredAt is not a time: \(event.occurredAt.prefix(80))")
                }
            }
            _ = reply.body.utf8.count
        case .answer(let reply):
            _ = reply.body.utf8.count
        case .refused(let status, let reason, _):
            if !(400...499).contains(status) { fatalError("\(name): refused with status \(status), not a 4xx") }
            _ = reason.utf8.count
        }
    }
}
