import Foundation
import MapDSL

/// A webhook configuration problem. Never contains a secret.
public struct WebhookSettingsError: Error, Sendable, CustomStringConvertible {
    /// What is wrong and how to fix it.
    public var message: String
    public var description: String { message }

    init(_ message: String) { self.message = message }
}

/// Which webhook endpoints to serve and with which secrets, from the environment and the
/// credentials file.
///
/// Environment: `MAPC_WEBHOOK_<PLATFORM>[_<SOURCE>]_<SETTING>`, e.g. `MAPC_WEBHOOK_HUBSPOT_SECRET`,
/// `MAPC_WEBHOOK_HUBSPOT_EU_SECRET` (source `eu`), `MAPC_WEBHOOK_SALESFORCE_ORG_ID`,
/// `MAPC_WEBHOOK_MAILCHIMP_SECRET`, `MAPC_WEBHOOK_MANDRILL_KEY` (+ optional `_URL`),
/// `MAPC_WEBHOOK_SEGMENT_SECRET` (or `_ALLOW_UNSIGNED=1`), and `MAPC_WEBHOOK_PUBLIC_URL` (the
/// scheme and host the platforms call, for URL-signing schemes behind a proxy).
/// Credentials file (`MAPC_CREDENTIALS`): `{"webhooks": {"hubspot": {"secret": "..."},
/// "hubspot/eu": {"secret": "..."}}}`; the environment wins.
public struct WebhookSettings: Sendable {
    /// `scheme://host[:port]` the platforms call, when it differs from what the request shows.
    public var publicURL: String?
    /// One receiver per configured platform source.
    public var receivers: [any WebhookReceiver]

    /// Creates settings from receivers.
    public init(publicURL: String? = nil, receivers: [any WebhookReceiver]) {
        self.publicURL = publicURL
        self.receivers = receivers
    }

    /// Platforms with webhook receivers, and the setting each needs.
    public static let platforms: [(name: String, needs: String)] = [
        ("hubspot", "SECRET (the app's client secret)"), ("salesforce", "ORG_ID (comma-separated organisation ids)"),
        ("mailchimp", "SECRET (the value of ?key= in the webhook URL)"), ("mandrill", "KEY (the webhook's auth_key)"),
        ("segment", "SECRET (the shared secret) or ALLOW_UNSIGNED=1"),
    ]

    private static let settingNames = ["SECRET", "ORG_ID", "KEY", "URL", "ALLOW_UNSIGNED", "REQUIRE_V3"]

    /// Reads the settings from `environment` (and the credentials file it names).
    public static func load(environment: [String: String]) throws -> WebhookSettings {
        var table: [String: [String: String]] = [:]  // "platform/source" -> setting -> value
        if let file = environment["MAPC_CREDENTIALS"], !file.isEmpty {
            table = try fileSettings(path: file)
        }
        let prefix = "MAPC_WEBHOOK_"
        for (name, value) in environment where name.hasPrefix(prefix) && !value.isEmpty && name != "MAPC_WEBHOOK_PUBLIC_URL" {
            let rest = String(name.dropFirst(prefix.count))
            guard let setting = settingNames.first(where: { rest.hasSuffix("_" + $0) }) else { continue }
            let head = rest.dropLast(setting.count + 1).lowercased()
            guard let platform = platforms.map(\.name).first(where: { head == $0 || head.hasPrefix($0 + "_") }) else { continue }
            let source = head == platform ? "default" : String(head.dropFirst(platform.count + 1)).replacingOccurrences(of: "_", with: "-")
            table["\(platform)/\(source)", default: [:]][setting.lowercased()] = value
        }
        var receivers: [any WebhookReceiver] = []
        for id in table.keys.sorted() {
            let parts = id.split(separator: "/", maxSplits: 1).map(String.init)
            let (platform, source) = (parts[0], parts.count > 1 ? parts[1] : "default")
            guard source.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" }), !source.isEmpty else {
                throw WebhookSettingsError("webhook source name '\(source)' for \(platform) may use only letters, digits and '-'")
            }
            receivers.append(try receiver(platform: platform, source: source, settings: table[id]!))
        }
        let publicURL = environment["MAPC_WEBHOOK_PUBLIC_URL"].flatMap { $0.isEmpty ? nil : $0 }
        if let publicURL, URL(string: publicURL)?.scheme == nil {
            throw WebhookSettingsError("MAPC_WEBHOOK_PUBLIC_URL must be an absolute URL such as https://hooks.example.com")
        }
        return WebhookSettings(publicURL: publicURL.map { $0.hasSuffix("/") ? String($0.dropLast()) : $0 }, receivers: receivers)
    }

    private static func receiver(platform: String, source: String, settings: [String: String]) throws -> any WebhookReceiver {
        let variable =
            "MAPC_WEBHOOK_\(platform.uppercased())\(source == "default" ? "" : "_" + source.uppercased().replacingOccurrences(of: "-", with: "_"))_"
        func required(_ key: String) throws -> String {
            guard let v = settings[key], !v.isEmpty else {
                throw WebhookSettingsError("the \(platform) webhook source '\(source)' needs \(variable)\(key.uppercased())")
            }
            return v
        }
        let on = { (key: String) in ["1", "true", "yes"].contains(settings[key]?.lowercased() ?? "") }
        switch platform {
        case "hubspot":
            return HubSpotReceiver(source: source, secret: WebhookSecret(try required("secret")), requireV3: on("require_v3"))
        case "salesforce":
            let ids = try required("org_id").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            guard ids.allSatisfy({ $0.count == 15 || $0.count == 18 }) else {
                throw WebhookSettingsError("\(variable)ORG_ID must list 15- or 18-character organisation ids")
            }
            return SalesforceReceiver(source: source, organizationIds: ids)
        case "mailchimp":
            return MailchimpReceiver(source: source, secret: WebhookSecret(try required("secret")))
        case "mandrill":
            return MandrillReceiver(source: source, key: WebhookSecret(try required("key")), registeredURL: settings["url"])
        default:
            if let secret = settings["secret"], !secret.isEmpty {
                return SegmentReceiver(source: source, secret: WebhookSecret(secret))
            }
            guard on("allow_unsigned") else {
                throw WebhookSettingsError(
                    "the segment webhook source '\(source)' needs \(variable)SECRET (or \(variable)ALLOW_UNSIGNED=1)")
            }
            return SegmentReceiver(source: source, secret: nil)
        }
    }

    private static func fileSettings(path: String) throws -> [String: [String: String]] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw WebhookSettingsError("cannot read the credentials file named by MAPC_CREDENTIALS (\(path))")
        }
        guard let root = try? JSONParser.parse(Array(data)) else {
            // The parser's message could quote file content, so none of it is repeated here.
            throw WebhookSettingsError("the credentials file \(path) is not valid JSON")
        }
        guard let section = root["webhooks"] else { return [:] }
        var out: [String: [String: String]] = [:]
        for (id, value) in section.objectValue ?? [] {
            let platform = id.split(separator: "/").first.map(String.init) ?? id
            guard platforms.contains(where: { $0.name == platform }) else {
                throw WebhookSettingsError("the credentials file \(path): unknown webhook platform \"\(platform)\"")
            }
            var settings: [String: String] = [:]
            for (k, v) in value.objectValue ?? [] {
                guard let text = v.stringValue ?? v.boolValue.map({ $0 ? "1" : "0" }) else {
                    throw WebhookSettingsError("the credentials file \(path): \"webhooks.\(id).\(k)\" must be a string")
                }
                settings[k.lowercased()] = text
            }
            out[id.contains("/") ? id : id + "/default"] = settings
        }
        return out
    }
}
