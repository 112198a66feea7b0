import Foundation
import MapDSL

/// ISO 8601 formatting and parsing in the shapes the platforms use, through mapc's own calendar code
/// (Foundation's formatters cost far more per call than an emulator serving thousands of records can pay).
enum Timestamps {
    private static func millis(_ date: Date) -> Int64 {
        Int64((date.timeIntervalSince1970 * 1000).rounded(.down))
    }

    /// `2024-05-01T12:00:00.000Z` (HubSpot, Mailchimp style with milliseconds).
    static func iso(_ date: Date) -> String {
        Dates.formatDateTime(millis(date))
    }

    /// `2024-05-01T12:00:00.000+0000` (Salesforce style).
    static func salesforce(_ date: Date) -> String {
        String(iso(date).dropLast()) + "+0000"
    }

    /// Parses ISO 8601 date-times with or without fractional seconds, `Z` or `±hh:mm`/`±hhmm`, or a date.
    static func parse(_ text: String) -> Date? {
        guard let ms = Dates.parseISODateTime(Substring(text)) else { return nil }
        return Date(timeIntervalSince1970: Double(ms) / 1000)
    }
}
