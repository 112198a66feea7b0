import Foundation
import SyncEngine

/// Builds the adapter for a platform name.
public enum AdapterFactory {
    /// Every platform with an adapter.
    public static let platforms = ["hubspot", "salesforce", "mailchimp", "segment", "ga4", "jsonl", "sqlite"]

    /// The adapter for `platform` over `connection`.
    ///
    /// - Throws: ``AdapterError/fatal(_:)`` for an unknown platform, an incomplete connection or an
    ///   unreadable rate-limit file.
    public static func make(platform: String, connection: Connection, options: AdapterOptions = AdapterOptions())
        throws(AdapterError) -> any PlatformAdapter
    {
        // A platform described by adapters/<platform>.json (`spec:<platform>` when a built-in one exists).
        let name = platform.lowercased()
        if name.hasPrefix(DeclarativeAdapters.prefix) || !platforms.contains(name) {
            let bare = String(name.dropFirst(name.hasPrefix(DeclarativeAdapters.prefix) ? DeclarativeAdapters.prefix.count : 0))
            if let adapter = try DeclarativeAdapters.make(platform: bare, connection: connection, options: options) {
                return adapter
            }
        }
        switch name {
        case "hubspot": return try HubSpotAdapter(connection: connection, options: options)
        case "salesforce": return try SalesforceAdapter(connection: connection, options: options)
        case "mailchimp": return try MailchimpAdapter(connection: connection, options: options)
        case "segment": return try SegmentAdapter(connection: connection, options: options)
        case "ga4": return try GA4Adapter(connection: connection, options: options)
        case "jsonl": return try JSONLAdapter(connection: connection, options: options)
        case "sqlite": return try SQLiteAdapter(connection: connection, options: options)
        default:
            throw .fatal(
                "no adapter for platform '\(platform)' (known: \(platforms.joined(separator: ", ")), or a spec in adapters/<platform>.json)"
            )
        }
    }

    /// The adapter for `platform` with its connection read from `environment` (see ``Connection/resolve(platform:environment:)``).
    public static func make(platform: String, environment: [String: String], options: AdapterOptions = AdapterOptions())
        throws(AdapterError) -> any PlatformAdapter
    {
        let connection: Connection
        do {
            var name = platform.lowercased()
            if name.hasPrefix(DeclarativeAdapters.prefix) { name.removeFirst(DeclarativeAdapters.prefix.count) }
            connection = try Connection.resolve(platform: name, environment: environment)
        } catch {
            throw .fatal(error.message)
        }
        return try make(platform: platform, connection: connection, options: options)
    }
}
